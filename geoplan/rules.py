"""Planning rules every module shares: grade bands, day-journey limits, class sizes.

The defaults come from the national standards summarised in ``docs/data.md``; a scenario may
override each field. Rules are plain frozen dataclasses, never global state.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from geoplan.errors import UnknownIdError

__all__ = [
    "BANDS",
    "BANDS_BY_KIND",
    "LEVEL_BANDS",
    "MIDDLE_BANDS",
    "OVERSIZED_CLASS",
    "PRIMARY_BANDS",
    "SCHOOL_KINDS",
    "SEVERELY_OVERSIZED_CLASS",
    "PlanningRules",
    "bands_taught",
    "class_sizes",
    "classes_needed",
    "grade_label",
    "oversized_classes",
    "teaches",
]

BANDS: tuple[str, ...] = ("g1_3", "g4_6", "g7_9")
"""Grade bands, in order: grades 1-3, 4-6 and 7-9."""

PRIMARY_BANDS: tuple[str, ...] = ("g1_3", "g4_6")
MIDDLE_BANDS: tuple[str, ...] = ("g7_9",)
LEVEL_BANDS: dict[str, tuple[str, ...]] = {"primary": PRIMARY_BANDS, "middle": MIDDLE_BANDS}

SCHOOL_KINDS: tuple[str, ...] = (
    "teaching_point",
    "primary",
    "central_primary",
    "nine_year",
    "middle",
)
"""Kinds of school a ``schools`` layer may name."""

BANDS_BY_KIND: dict[str, tuple[str, ...]] = {
    "teaching_point": ("g1_3",),
    "primary": PRIMARY_BANDS,
    "central_primary": PRIMARY_BANDS,
    "nine_year": BANDS,
    "middle": MIDDLE_BANDS,
}
"""Grade bands each kind of school teaches (teaching points: grades 1-3)."""


def bands_taught(kind: str) -> tuple[str, ...]:
    """The grade bands a kind of school teaches (:data:`BANDS_BY_KIND`).

    Raises
    ------
    geoplan.errors.UnknownIdError
        When ``kind`` is not one of :data:`SCHOOL_KINDS`.
    """
    try:
        return BANDS_BY_KIND[str(kind)]
    except KeyError:
        msg = f"Unknown kind of school {kind!r}; kinds are {', '.join(SCHOOL_KINDS)}."
        raise UnknownIdError(msg) from None


def teaches(kinds: Iterable[str], bands: str | Iterable[str]) -> np.ndarray:
    """Whether each school (by kind) teaches ``bands`` (one band, or any of several)."""
    wanted = {bands} if isinstance(bands, str) else set(bands)
    return np.array([bool(wanted & set(bands_taught(k))) for k in kinds], dtype=bool)


def grade_label(band: str) -> str:
    """The grades of a band as a planner writes them: ``g1_3`` -> ``1-3``."""
    if band not in BANDS:
        msg = f"Unknown band {band!r}; bands are {', '.join(BANDS)}."
        raise UnknownIdError(msg)
    return band[1:].replace("_", "-")


OVERSIZED_CLASS = 56
"""A class of this many pupils or more is oversized (大班额)."""

SEVERELY_OVERSIZED_CLASS = 66
"""A class of this many pupils or more is severely oversized (超大班额)."""


@dataclass(frozen=True)
class PlanningRules:
    """Planning defaults shared by every model; each field may be overridden.

    Parameters
    ----------
    day_limit_min
        Longest one-way day journey per band, minutes.
    class_size_limit
        Class-size limit (capacity per class) per band in ordinary schools.
    teaching_point_class_size_limit
        Class-size limit in a teaching point (multi-grade classes allowed).
    teaching_point_max_classes
        Most classes a teaching point runs.
    teaching_point_min_pupils
        Fewest grades 1-3 pupils a restored teaching point is opened for, unless a site says.
    pupils_per_teacher
        Pupils per teacher, for teachers-needed estimates (a class needs at least one).
    """

    day_limit_min: dict[str, float] = field(
        default_factory=lambda: {"g1_3": 30.0, "g4_6": 45.0, "g7_9": 60.0}
    )
    class_size_limit: dict[str, int] = field(
        default_factory=lambda: {"g1_3": 45, "g4_6": 45, "g7_9": 50}
    )
    teaching_point_class_size_limit: int = 30
    teaching_point_max_classes: int = 4
    teaching_point_min_pupils: int = 10
    pupils_per_teacher: float = 15.0

    def teachers_needed(self, pupils: ArrayLike, classes: ArrayLike) -> np.ndarray:
        """Teachers a school needs: one per class, and at least one per ``pupils_per_teacher``.

        Parameters
        ----------
        pupils
            Pupils of each school (any shape).
        classes
            Classes of each school (same shape).

        Returns
        -------
        numpy.ndarray
            Whole teachers, int64, the shape of the inputs.
        """
        ratio = np.asarray(pupils, dtype="float64") / self.pupils_per_teacher
        by_ratio = np.ceil(np.round(ratio, 6))
        needed: np.ndarray = np.maximum(np.asarray(classes, dtype="float64"), by_ratio)
        return needed.astype("int64")

    def school_limits(self, schools: pd.DataFrame) -> np.ndarray:
        """Class-size limit per school (rows) and band (columns, in :data:`BANDS` order).

        A school's own ``class_size_limit`` where it gives one, else the rule for its ``kind``.
        """
        default = np.array(
            [[self.limit_for(str(kind), band) for band in BANDS] for kind in schools["kind"]],
            dtype="float64",
        ).reshape(len(schools), len(BANDS))
        if "class_size_limit" not in schools.columns:
            return default
        own = pd.to_numeric(schools["class_size_limit"], errors="coerce")
        own_arr = own.to_numpy(dtype="float64", na_value=np.nan).reshape(-1, 1)
        limits: np.ndarray = np.where(np.isfinite(own_arr), own_arr, default)
        return limits

    def site_max_classes(self, sites: pd.DataFrame) -> pd.Series:
        """Most classes each candidate site can run: its ``max_classes``, else the rule's."""
        given = (
            pd.to_numeric(sites["max_classes"], errors="coerce")
            if "max_classes" in sites.columns
            else pd.Series(np.nan, index=sites.index)
        )
        return given.fillna(self.teaching_point_max_classes).astype("int64")

    def limit_for(self, kind: str, band: str) -> int:
        """Class-size limit of ``band`` in a school of ``kind``."""
        if kind == "teaching_point":
            return self.teaching_point_class_size_limit
        return self.class_size_limit[band]


def classes_needed(pupils: float, limit: int) -> int:
    """Fewest classes that hold ``pupils`` with at most ``limit`` per class."""
    if pupils <= 0:
        return 0
    return math.ceil(pupils / limit)


def class_sizes(pupils: int, classes: int) -> list[int]:
    """Pupils spread as evenly as possible over ``classes`` classes (largest first)."""
    if classes <= 0:
        return [pupils] if pupils > 0 else []
    base, extra = divmod(int(pupils), int(classes))
    return [base + 1] * extra + [base] * (classes - extra)


def oversized_classes(pupils: int, classes: int) -> tuple[int, int]:
    """Number of oversized (56+) and severely oversized (66+) classes.

    Pupils are spread as evenly as possible over the classes, as the planning rules say.
    """
    sizes = class_sizes(pupils, classes)
    return (
        sum(1 for s in sizes if s >= OVERSIZED_CLASS),
        sum(1 for s in sizes if s >= SEVERELY_OVERSIZED_CLASS),
    )
