"""The embedded demo county: a synthetic county shaped like Hejing County (和静县), Xinjiang.

The files ship as package data in ``geoplan/data/demo`` (one GeoPackage with the five layers,
``roads.osm.bz2`` and ``area.yaml``), and the example scenarios that read them in
``geoplan/data/scenarios`` (:func:`demo_scenarios`), so the demo, the scenarios and the notebooks
work after an editable or a regular (wheel) install and without network. They are made by
``scripts/make_demo_county.py``; every name and number in them is fictional, and the area is
flagged ``synthetic``.
"""

from __future__ import annotations

import dataclasses
import logging
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from geoplan.data.area import LAYERS, PlanningArea
from geoplan.errors import MissingInputError

__all__ = [
    "DEMO_GPKG",
    "DEMO_ROADS",
    "demo_county",
    "demo_folder",
    "demo_roads_path",
    "demo_scenarios",
]

_logger = logging.getLogger(__name__)

DEMO_GPKG = "demo_county.gpkg"
"""Name of the demo GeoPackage inside :func:`demo_folder`."""

DEMO_ROADS = "roads.osm.bz2"
"""Name of the demo road network (OSM XML, bz2) inside :func:`demo_folder`."""


def demo_folder() -> Path:
    """Folder of the demo county's files, inside the installed package.

    Returns
    -------
    pathlib.Path
        A planning-area folder (``demo_county.gpkg``, ``roads.osm.bz2``, ``area.yaml``).

    Raises
    ------
    MissingInputError
        When the package was installed without its data (or from a zip archive).
    """
    resource = files("geoplan").joinpath("data", "demo")
    folder = Path(str(resource))
    if not (folder / DEMO_GPKG).is_file():
        msg = (
            f"The demo county is missing from the installed package (looked in {folder}). "
            "Reinstall geoplan from a wheel or a source checkout (pip install geoplan); "
            "it must not be installed as a zip archive."
        )
        raise MissingInputError(msg)
    return folder


def demo_roads_path() -> Path:
    """Path of the demo county's road network (OSM XML compressed with bz2).

    Load it with ``osmnx.graph_from_xml(path, simplify=True, retain_all=True)`` or through
    :mod:`geoplan.network`.
    """
    path = demo_folder() / DEMO_ROADS
    if not path.is_file():
        msg = f"The demo road network {path} is missing. Reinstall geoplan."
        raise MissingInputError(msg)
    return path


def demo_scenarios() -> Path:
    """Folder of the example scenarios of the demo county, inside the installed package.

    One YAML file per what-if (``status_quo.yaml``, ``restore_14_in_4_phases.yaml``, ...) and
    their shared part in ``base/``; they read the demo county of :func:`demo_folder`. Run one
    with ``geoplan run``, all of them with ``geoplan batch``, or copy them as a starting point.

    Returns
    -------
    pathlib.Path
        The folder (its ``README.md`` explains every scenario).

    Raises
    ------
    MissingInputError
        When the package was installed without its data (or from a zip archive).
    """
    folder = Path(str(files("geoplan").joinpath("data", "scenarios")))
    if not (folder / "base").is_dir():
        msg = (
            f"The example scenarios are missing from the installed package (looked in {folder}). "
            "Reinstall geoplan from a wheel or a source checkout; it must not be installed as "
            "a zip archive."
        )
        raise MissingInputError(msg)
    return folder


@lru_cache(maxsize=1)
def _demo_area() -> PlanningArea:
    from geoplan.data.readers import read_planning_area

    _logger.debug("reading the demo county from %s", demo_folder())
    return read_planning_area(demo_folder())


def demo_county() -> PlanningArea:
    """The demo county, read and validated like any planning-area folder.

    It is read once per process; each call returns fresh copies of the layers, so callers may
    change what they get without affecting later calls.

    Returns
    -------
    PlanningArea
        Layers in a metric CRS (UTM zone 45N), ``synthetic=True``, ``roads_path`` set.

    Examples
    --------
    >>> from geoplan.data.datasets import demo_county
    >>> area = demo_county()
    >>> area.synthetic, len(area.open_schools)
    (True, 18)
    """
    area = _demo_area()
    copies = {name: getattr(area, name).copy(deep=True) for name in LAYERS}
    return dataclasses.replace(area, **copies)
