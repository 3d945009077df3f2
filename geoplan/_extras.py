"""Importing the packages of geoplan's optional extras, with a message that names the extra.

``pip install geoplan`` leaves out what only one feature needs: rasterio (slope-aware walking from
a DEM, extra ``terrain``) and Dask (``geoplan batch --local-cluster`` / ``--scheduler``, extra
``dask``). A feature imports them through :func:`import_extra`, so a missing one is a
:class:`~geoplan.errors.MissingDependencyError` saying which extra to install, not a traceback.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType

from geoplan.errors import MissingDependencyError

EXTRAS: Mapping[str, tuple[str, ...]] = {
    "terrain": ("rasterio",),
    "dask": ("dask", "distributed"),
}
"""Modules each extra of ``pyproject.toml`` installs (kept equal to it by a test)."""


def import_extra(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import ``module``, which the optional extra ``extra`` installs.

    Parameters
    ----------
    module
        Module to import (e.g. ``"rasterio"``).
    extra
        Name of the extra that installs it (a key of :data:`EXTRAS`).
    feature
        What needs it, in the user's words (e.g. ``"Slope-aware walking times (a DEM)"``).

    Returns
    -------
    ModuleType
        The module.

    Raises
    ------
    MissingDependencyError
        When it is not installed; the message names the feature and the install command.
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        msg = (
            f"{feature} needs the optional package {module!r}, which is not installed. "
            f"Fix: pip install 'geoplan[{extra}]' (or pip install {' '.join(EXTRAS[extra])})."
        )
        raise MissingDependencyError(msg) from err
