"""County-town school districts: each block to one school per level, under class-size limits.

The core works on arrays, one school level at a time: pupils per block and grade band, a cost
matrix in minutes (blocks x schools, e.g. ``TravelMatrix.minutes``), capacities per school and band,
and the rook adjacency of the blocks. It minimises total pupil journey minutes subject to

* capacity: pupils of each band at a school <= its classes x class-size limit;
* contiguity: each district is connected through shared frontage (blocks facing each other
  across a digitising gap or a street, see ``_contiguity``) and holds its school's block
  (a single-commodity flow per district, after Shirabe 2005);
* optional limits: longest journey, pupils moved from the status quo, communities kept whole,
  fixed blocks (planner overrides).

:func:`solve_districts` solves it exactly with HiGHS (warm-started from the heuristic, with gap and
time limit) at town size, and with the heuristic for large inputs: the capacitated-assignment LP
(whose value is the reported bound), rounding, contiguity repair and local search by boundary
moves that keep every district connected. :func:`least_extra_classes` finds the fewest extra
classes per school that make a plan feasible. :func:`plan_districts` is the convenience over
``blocks`` and ``schools`` layers; it returns a :class:`DistrictPlan` of tables.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geoplan.data.messages import coded_problem, problem_text
from geoplan.data.problem_log import log_problem
from geoplan.errors import ArgumentError, InfeasibleError, Problem
from geoplan.models._contiguity import (
    DEFAULT_GAP_TOLERANCE_M,
    DEFAULT_MIN_SHARED_M,
    components_within,
)
from geoplan.models._district_feeders import _lp_value, _solve_joint, _solve_units
from geoplan.models._district_heuristic import _heuristic
from geoplan.models._district_inputs import (
    DETOUR_FACTOR,
    LEVEL_NAMES,
    _check_block_rows,
    _checked_blocks,
    _input_warnings,
    _level_inputs,
    _LevelInput,
    _num,
)
from geoplan.models._district_map import (
    ISLAND_MODES,
    _block_map,
    _block_names,
    _BlockMap,
    _island_problem,
    _islands,
    _join_islands,
    _lone_block_problem,
    _lone_blocks,
)
from geoplan.models._district_model import (
    FIXED_CONFLICTS,
    _assignment_from,
    _build_level,
    _build_mip,
    _contiguous,
    _loads,
    _start_vector,
)
from geoplan.models.solver import relative_gap, time_left
from geoplan.rules import classes_needed, grade_label, oversized_classes

__all__ = [
    "EXACT_MAX_PAIRS",
    "METHODS",
    "TOWN_REACH_M",
    "CapacityDiagnosis",
    "DistrictPlan",
    "DistrictSolution",
    "ExtraClasses",
    "FeederSolution",
    "diagnose_capacity",
    "district_input_problems",
    "least_extra_classes",
    "lone_block_problems",
    "plan_districts",
    "solve_districts",
    "solve_feeder_districts",
    "town_schools",
]

_logger = logging.getLogger(__name__)

METHODS: tuple[str, ...] = ("auto", "exact", "heuristic")
"""Solution methods :func:`solve_districts` accepts."""

EXACT_MAX_PAIRS = 30_000
"""With ``method="auto"``, the exact MIP is used up to this many block-school pairs."""

TOWN_REACH_M = 2000.0
"""A run districts the blocks among the open schools within this many metres of them."""


@dataclass(frozen=True)
class DistrictSolution:
    """Outcome of one level's districting, aligned to the input arrays.

    Parameters
    ----------
    assignment
        School position (column of the cost matrix) per block.
    objective
        Total pupil journey, pupil-minutes.
    bound
        Proven lower bound on the objective (the MIP bound, or the capacitated-assignment LP
        bound for the heuristic); ``nan`` when unknown.
    gap
        Relative gap between objective and bound.
    lp_bound
        Value of the capacitated-assignment LP (no contiguity, fractional blocks).
    status
        ``"optimal"``, ``"time_limit"`` (best found), ``"heuristic"`` (feasible, not proven),
        ``"not_feasible"`` (the heuristic found no plan within capacity and contiguity) or
        ``"over_capacity"`` (:func:`plan_districts` with ``allow_over_capacity``: the best plan
        with the least extra classes; ``over_capacity_pupils`` is its overflow over today's).
    method
        ``"exact"`` or ``"heuristic"``.
    contiguous
        Whether every district is connected and holds its school's block.
    over_capacity_pupils
        Pupils above capacity, summed over schools and bands (0 for a feasible plan).
    seconds
        Wall time.
    """

    assignment: np.ndarray
    objective: float
    bound: float
    gap: float
    lp_bound: float
    status: str
    method: str
    contiguous: bool
    over_capacity_pupils: float
    seconds: float


# --------------------------------------------------------------------------------------------
# Public array core
# --------------------------------------------------------------------------------------------


def solve_districts(
    demand: Any,
    cost: Any,
    capacity: Any,
    adjacency: Any,
    home: Any,
    *,
    max_journey_min: float | None = None,
    fixed: Any = None,
    status_quo: Any = None,
    max_moved: float | None = None,
    max_journey_increase_min: float | None = None,
    stay_weight_min: float = 0.0,
    groups: Any = None,
    method: str = "auto",
    time_limit_s: float = 30.0,
    mip_rel_gap: float = 0.01,
) -> DistrictSolution:
    """Districts of one level: each block to one school, capacitated and contiguous.

    Parameters
    ----------
    demand
        Pupils per block and band, ``(blocks, bands)`` (or ``(blocks,)`` for one band).
    cost
        Journey minutes, ``(blocks, schools)``: an array or a ``TravelMatrix``, dense or sparse
        (its minutes, rows and columns already in block and school order). ``inf``/``nan``:
        unreachable.
    capacity
        Places per school and band, ``(schools, bands)``: classes x class-size limit.
    adjacency
        Rook adjacency of the blocks, ``(blocks, blocks)`` (see ``rook_adjacency``).
    home
        Block position holding each school (its district must contain it).
    max_journey_min
        Longest journey allowed, minutes.
    fixed
        School position per block that the planner fixed (``-1``: free).
    status_quo
        Today's school position per block (``-1``: none).
    max_moved
        Most pupils whose school may differ from the status quo.
    max_journey_increase_min
        No pupil's journey may rise more than this many minutes above the journey to today's
        school (blocks with pupils and a reachable school today).
    stay_weight_min
        Minutes of journey a pupil may gain to keep today's school: each pupil who changes
        school adds this many minutes to the objective.
    groups
        Label per block; blocks with the same label (a community) go to one school together.
    method
        ``"exact"`` (HiGHS MIP, warm-started from the heuristic), ``"heuristic"`` or ``"auto"``
        (exact up to :data:`EXACT_MAX_PAIRS` block-school pairs).
    time_limit_s
        Wall-time limit for the whole solve.
    mip_rel_gap
        Relative gap at which the MIP stops.

    Returns
    -------
    DistrictSolution
        Assignment per block, objective (journey pupil-minutes plus ``stay_weight_min`` per pupil
        moved), bound and gap.

    Raises
    ------
    InfeasibleError
        If no assignment fits the capacity, journey and fixed limits.
    """
    if method not in METHODS:
        msg = f"`method` must be one of {METHODS}, got {method!r}."
        raise ArgumentError(msg)
    t0 = time.perf_counter()
    p, unit_of = _build_level(
        demand,
        cost,
        capacity,
        adjacency,
        home,
        max_journey_min=max_journey_min,
        fixed=fixed,
        status_quo=status_quo,
        max_moved=max_moved,
        groups=groups,
        max_increase_min=max_journey_increase_min,
        stay_weight_min=stay_weight_min,
    )
    _refuse_stranded(p, unit_of)
    pairs = int(p.allowed.sum())
    exact = method == "exact" or (method == "auto" and pairs <= EXACT_MAX_PAIRS)
    got = _solve_units(p, exact=exact, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
    assign = got.assign
    over = float(np.maximum(_loads(p, assign) - p.capacity, 0.0).sum())
    return DistrictSolution(
        assignment=assign[unit_of],
        objective=got.objective,
        bound=got.bound,
        gap=relative_gap(got.objective, got.bound),
        lp_bound=got.lp_bound,
        status=got.status,
        method=got.method,
        contiguous=_contiguous(p, assign),
        over_capacity_pupils=over,
        seconds=time.perf_counter() - t0,
    )


@dataclass(frozen=True)
class FeederSolution:
    """Primary and middle districts solved jointly, every primary district in one middle one.

    Parameters
    ----------
    primary, middle
        Each level's :class:`DistrictSolution` (its ``bound`` is the level's own LP bound, its
        ``status`` the joint one).
    feeds
        Middle school position fed by each primary school.
    objective
        Both levels' objectives summed, pupil-minutes.
    bound
        Proven lower bound on that sum (the joint MIP's bound, or the levels' LP bounds summed).
    gap
        Relative gap between the two.
    lp_bound
        The levels' capacitated-assignment LP bounds summed (no contiguity, no nesting).
    status
        ``"optimal"``, ``"time_limit"``, ``"heuristic"`` or ``"not_feasible"``.
    method
        ``"exact"`` (the joint MIP) or ``"heuristic"`` (the better of the two sequences).
    seconds
        Wall time.
    """

    primary: DistrictSolution
    middle: DistrictSolution
    feeds: np.ndarray
    objective: float
    bound: float
    gap: float
    lp_bound: float
    status: str
    method: str
    seconds: float


_LEVEL_KEYS = ("demand", "cost", "capacity", "adjacency", "home")
_LEVEL_OPTIONS = (
    "max_journey_min",
    "fixed",
    "status_quo",
    "max_moved",
    "max_journey_increase_min",
    "stay_weight_min",
)


def _refuse_stranded(p: Any, unit_of: np.ndarray) -> None:
    """Refuse a level whose map leaves blocks apart from every school's district (positions)."""
    stranded = [u for piece in _islands(p.adjacency, p.home) for u in piece]
    if stranded:
        where = np.flatnonzero(np.isin(unit_of, stranded))
        problem = coded_problem(
            "districts_stranded_blocks", "", "", "", "", "",
            count=where.size, positions=where[:10].tolist(),
        )  # fmt: skip
        raise InfeasibleError(f"{problem.message} {problem.fix}", problems=[problem])


def solve_feeder_districts(
    primary: Mapping[str, Any],
    middle: Mapping[str, Any],
    *,
    feeds: Any = None,
    groups: Any = None,
    method: str = "auto",
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 0.01,
) -> FeederSolution:
    """Primary and middle districts with feeders: each primary district inside one middle one.

    Both levels are solved in one MIP (each level's flow contiguity and capacity, plus a binary
    per primary and middle school pair: the primary school feeds that middle school, and every
    block of its district lies in that middle district), warm-started from two sequences
    (primary first, then middle districts of whole primary districts; middle first, then primary
    districts inside them). With ``method="heuristic"`` (or ``"auto"`` beyond
    :data:`EXACT_MAX_PAIRS` pairs) the better sequence is the answer and the levels' LP bounds
    summed are its bound.

    Parameters
    ----------
    primary, middle
        Each level's arguments of :func:`solve_districts` by name: ``demand``, ``cost``,
        ``capacity``, ``adjacency``, ``home`` and optionally ``max_journey_min``, ``fixed``,
        ``status_quo``, ``max_moved``, ``max_journey_increase_min``, ``stay_weight_min``. The
        blocks (rows) are the same in both.
    feeds
        Per primary school, the middle school position it must feed (a nine-year school: its
        own), ``-1`` when free.
    groups
        As for :func:`solve_districts` (applied to both levels).
    method, time_limit_s, mip_rel_gap
        As for :func:`solve_districts`; the time limit covers both levels.

    Returns
    -------
    FeederSolution
        Both levels' assignments, the middle school each primary school feeds, and the joint
        objective, bound and gap.

    Raises
    ------
    InfeasibleError
        If no nested plan fits the places, contiguity and limits.
    """
    if method not in METHODS:
        msg = f"`method` must be one of {METHODS}, got {method!r}."
        raise ArgumentError(msg)
    t0 = time.perf_counter()
    built = []
    for name, spec in (("primary", primary), ("middle", middle)):
        missing = [k for k in _LEVEL_KEYS if k not in spec]
        unknown = [k for k in spec if k not in _LEVEL_KEYS + _LEVEL_OPTIONS]
        if missing or unknown:
            msg = (
                f"`{name}` must hold {', '.join(_LEVEL_KEYS)} (and optionally "
                f"{', '.join(_LEVEL_OPTIONS)}); missing {missing}, unknown {unknown}."
            )
            raise ArgumentError(msg)
        p, unit_of = _build_level(
            *(spec[k] for k in _LEVEL_KEYS),
            max_journey_min=spec.get("max_journey_min"),
            fixed=spec.get("fixed"),
            status_quo=spec.get("status_quo"),
            max_moved=spec.get("max_moved"),
            groups=groups,
            max_increase_min=spec.get("max_journey_increase_min"),
            stay_weight_min=float(spec.get("stay_weight_min") or 0.0),
        )
        _refuse_stranded(p, unit_of)
        built.append((p, unit_of))
    (pri, unit_of), (mid, unit_m) = built
    if not np.array_equal(unit_of, unit_m):
        msg = "`primary` and `middle` must hold the same blocks (rows)."
        raise ArgumentError(msg)
    fd = (
        np.full(pri.m, -1, dtype=np.int64)
        if feeds is None
        else np.asarray(feeds, dtype=np.int64).ravel()
    )
    if fd.shape != (pri.m,) or np.any(fd >= mid.m) or np.any(fd < -1):
        msg = f"`feeds` must hold a middle school position or -1 per primary school ({pri.m})."
        raise ArgumentError(msg)
    pairs = int(pri.allowed.sum() + mid.allowed.sum())
    exact = method == "exact" or (method == "auto" and pairs <= EXACT_MAX_PAIRS)
    got = _solve_joint(
        pri, mid, fd, exact=exact, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap
    )
    seconds = time.perf_counter() - t0
    sols = []
    for p, assign, obj in (
        (pri, got.assign_p, got.objective_p),
        (mid, got.assign_m, got.objective_m),
    ):
        lp = _lp_value(p)
        sols.append(
            DistrictSolution(
                assignment=assign[unit_of],
                objective=obj,
                bound=lp,
                gap=relative_gap(obj, lp),
                lp_bound=lp,
                status=got.status,
                method=got.method,
                contiguous=_contiguous(p, assign),
                over_capacity_pupils=float(np.maximum(_loads(p, assign) - p.capacity, 0.0).sum()),
                seconds=seconds,
            )
        )
    total = got.objective_p + got.objective_m
    return FeederSolution(
        primary=sols[0],
        middle=sols[1],
        feeds=got.assign_m[pri.home],
        objective=total,
        bound=got.bound,
        gap=relative_gap(total, got.bound),
        lp_bound=got.lp_bound,
        status=got.status,
        method=got.method,
        seconds=seconds,
    )


@dataclass(frozen=True)
class ExtraClasses:
    """The fewest extra classes per school and band that make a district plan feasible.

    Parameters
    ----------
    classes
        Extra classes, integer ``(schools, bands)``; all zero when today's capacity suffices.
    total
        Their sum.
    lower_bound
        Proven: no feasible plan needs fewer extra classes in total.
    proven_least
        Whether ``total`` is proven least (``total == lower_bound``); else it is an upper bound.
    gap
        ``(total - lower_bound) / total`` (0 when proven least).
    status
        Status of the MIP: ``"optimal"`` or ``"time_limit"``.
    assignment
        School position per block of a plan that fits with these classes.
    seconds
        Wall time.
    """

    classes: np.ndarray
    total: int
    lower_bound: int
    proven_least: bool
    gap: float
    status: str
    assignment: np.ndarray
    seconds: float

    def describe(self) -> str:
        """``"22 (proven least)"`` or ``"22 (upper bound; at least 19, gap 13.6 %)"``."""
        if self.proven_least:
            return f"{self.total} (proven least)"
        return f"{self.total} (upper bound; at least {self.lower_bound}, gap {self.gap:.1%})"


def least_extra_classes(
    demand: Any,
    cost: Any,
    capacity: Any,
    class_size_limit: Any,
    adjacency: Any,
    home: Any,
    *,
    max_extra_classes: int | Any = 10,
    contiguous: bool = True,
    max_journey_min: float | None = None,
    fixed: Any = None,
    groups: Any = None,
    time_limit_s: float = 30.0,
) -> ExtraClasses:
    """Fewest extra classes per school and band that make a feasible district plan.

    With ``contiguous=True`` the plan without contiguity is solved first: its least count is a
    proven lower bound, so a time-limited contiguous solve still says how far from least it can be.

    Parameters
    ----------
    demand, cost, capacity, adjacency, home, max_journey_min, fixed, groups
        As for :func:`solve_districts`.
    class_size_limit
        Places one extra class adds, per school and band ``(schools, bands)`` (or a scalar).
    max_extra_classes
        Most extra classes per school and band (scalar or ``(schools, bands)``).
    contiguous
        Require contiguous districts (else capacity and journey limits only).
    time_limit_s
        Wall-time limit.

    Returns
    -------
    ExtraClasses
        The classes per school and band, whether the count is proven least, and the gap.

    Raises
    ------
    InfeasibleError
        If even ``max_extra_classes`` everywhere cannot fit the pupils (the message says whether
        a journey limit or contiguity is what stops them).
    """
    t0 = time.perf_counter()
    p, unit_of = _build_level(
        demand,
        cost,
        capacity,
        adjacency,
        home,
        max_journey_min=max_journey_min,
        fixed=fixed,
        status_quo=None,
        max_moved=None,
        groups=groups,
    )
    shape = p.capacity.shape
    limits = np.broadcast_to(np.asarray(max_extra_classes, dtype=float), shape).copy()
    size = np.broadcast_to(np.asarray(class_size_limit, dtype=float), shape).copy()
    # Places short per band, over the largest class a school can add: a bound no plan beats.
    short = np.maximum(p.demand.sum(axis=0) - p.capacity.sum(axis=0), 0.0)
    biggest = np.where(limits > 0, size, 0.0).max(axis=0)
    floor_total = int(
        sum(math.ceil(s_b / c_b - 1e-9) for s_b, c_b in zip(short, biggest, strict=True) if c_b)
    )
    if contiguous:
        loose = least_extra_classes(
            demand,
            cost,
            capacity,
            class_size_limit,
            adjacency,
            home,
            max_extra_classes=max_extra_classes,
            contiguous=False,
            max_journey_min=max_journey_min,
            fixed=fixed,
            groups=groups,
            time_limit_s=time_limit_s / 3.0,
        )
        floor_total = max(floor_total, loose.lower_bound)
    dm = _build_mip(p, contiguous=contiguous, extra_limits=limits, class_size=size)
    start = None
    if contiguous:
        # A contiguous plan grown with the loose count's classes, and the classes it needs:
        # a feasible start, so a time-limited solve always has an answer (an upper bound).
        room = p.capacity + loose.classes * size
        start = _extra_start(p, dm, room, size, limits, time_limit_s=time_limit_s / 6.0)
    remaining = time_left(t0, time_limit_s)
    res = dm.mip.solve(time_limit_s=remaining, mip_rel_gap=0.0, mip_abs_gap=0.5, start=start)
    if res.x is None and start is not None and res.status == "time_limit":
        res = replace(res, x=start, bound=math.nan)
    if res.x is None:
        stops = [] if max_journey_min is None else [f"max_journey_min={max_journey_min:g}"]
        stops += ["contiguous"] if contiguous else []
        limits_text = ", ".join(stops) or "-"
        most = int(limits.max())
        problem = (
            coded_problem(
                "districts_extra_not_found_in_time", "", "districts", "", "", "",
                most=most, seconds=f"{remaining:.0f}", limits=limits_text,
            )
            if res.status == "time_limit"
            else coded_problem(
                "districts_extra_cannot_fit", "", "districts", "", "", "",
                most=most, limits=limits_text,
            )
        )  # fmt: skip
        raise InfeasibleError(f"{problem.message} {problem.fix}", problems=[problem])
    extra = np.rint(dm.mip.values(res.x, "extra")).astype(np.int64).reshape(shape)
    total = int(extra.sum())
    lower = floor_total
    if res.status == "optimal":
        lower = total
    elif math.isfinite(res.bound):
        # The objective is the count plus a journey tie-break below 0.5.
        lower = max(lower, math.floor(res.bound - 0.5 + 1e-6) + 1)
    lower = min(max(lower, 0), total)
    assign = _assignment_from(dm, p, res.x)
    return ExtraClasses(
        classes=extra,
        total=total,
        lower_bound=lower,
        proven_least=lower == total,
        gap=(total - lower) / total if total else 0.0,
        status=res.status,
        assignment=assign[unit_of],
        seconds=time.perf_counter() - t0,
    )


def _extra_start(
    p: Any,
    dm: Any,
    room: np.ndarray,
    size: np.ndarray,
    limits: np.ndarray,
    *,
    time_limit_s: float,
) -> np.ndarray | None:
    """A start of the least-extra-classes MIP: a contiguous plan and the classes it needs."""
    try:
        assign, _ = _heuristic(replace(p, capacity=room), time_limit_s=max(time_limit_s, 0.5))
    except InfeasibleError:
        return None
    if not _contiguous(p, assign):
        return None
    over = np.maximum(_loads(p, assign) - p.capacity, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.where(size > 0, np.ceil(over / np.where(size > 0, size, 1.0) - 1e-9), np.inf)
    need = np.where(over > 0, need, 0.0)
    if np.any(need > limits):
        return None
    x = _start_vector(p, dm, assign)
    x[dm.mip.columns["extra"]] = need.ravel()
    return x


# --------------------------------------------------------------------------------------------
# From layers: blocks and schools
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapacityDiagnosis:
    """Why a level has no plan within today's classes, and the fewest extra classes that fit it.

    Parameters
    ----------
    shortages
        One row per level and band (index ``level:band``): ``pupils``, ``places``, ``short``
        (pupils minus places, at least 0).
    extra_classes
        Extra classes per school (index ``id``) and band (``extra_classes_<band>``), with the
        school's ``name``.
    message
        The diagnosis in a planner's words: the cause, the blocks and schools involved.
    causes
        The causes found, among ``"capacity"``, ``"journey limit"``, ``"contiguity"`` and
        ``"time limit"`` (a plan exists but the search did not find it in time).
    least
        The least-extra-classes result (proven least or an upper bound, with its gap), or
        ``None`` when no number of classes helps (blocks beyond every school's reach).
    problems
        The findings of ``message``, one catalogue problem per line (what was found and what to
        do), so the diagnosis reads in Chinese too (:meth:`text`).
    """

    shortages: Any
    extra_classes: Any
    message: str
    causes: tuple[str, ...] = ()
    least: ExtraClasses | None = None
    problems: tuple[Problem, ...] = ()

    def text(self, lang: str = "en") -> str:
        """The diagnosis in ``lang`` (``en`` or ``zh``): one line per finding and its fix."""
        return _diagnosis_text(self.problems, lang) if self.problems else self.message

    @property
    def feasible(self) -> bool:
        """Whether today's classes already fit every pupil."""
        return int(self.extra_classes.filter(like="extra_classes_").to_numpy().sum()) == 0


@dataclass(frozen=True)
class DistrictPlan:
    """A district plan for a county town, as tables aligned to the input ids.

    Parameters
    ----------
    blocks
        Per block (index ``id``): ``school_<level>``, ``journey_<level>_min``,
        ``nearest_<level>`` (the assigned school is the nearest one teaching the level),
        ``moved_<level>`` (differs from the status quo), ``school_<level>_today`` (today's school,
        empty when none), ``journey_<level>_today_min``, ``joined_<level>`` (why an island
        block was joined to its district, else empty), geometry.
    schools
        Per school (index ``id``): pupils per band (total, resident, migrant), classes,
        classes needed, average class size, oversized (56+) and severely oversized (66+) classes
        before (today's enrolment and classes) and after, utilisation per level.
    districts
        One polygon per level and school (index ``<level>:<school id>``): ``level``, ``school``,
        ``pupils``, ``area_m2``, ``polsby_popper``, ``pieces`` (connected pieces under the
        adjacency used: 1 exactly when the district is contiguous).
    indicators
        Per level: mean and worst journey, share at the nearest school, pupils moved, contiguity,
        objective, bound, gap, status, method, seconds, ``fits_today`` and
        ``extra_classes_needed``.
    solutions
        The :class:`DistrictSolution` of each level.
    cost_source
        ``"travel matrix"`` or ``"straight line x detour (fallback)"`` per level.
    adjacency
        The block pairs (``block_a``, ``block_b``, ``shared_m``, ``gap_m``, ``source``:
        measured / added / removed, ``used``): the adjacency the plan used.
    islands
        Island blocks joined to a district (``islands="join"``): ``level``, ``piece``,
        ``joined_to``, ``minutes``, ``reason``.
    diagnoses
        Per level whose pupils do not fit today's classes: the :class:`CapacityDiagnosis`; the
        plan of that level is then the best plan with the overflow in oversized classes.
    warnings
        What the planner should know about the input and the answer, each a coded problem with
        its file, layer, row id, column, value and fix in English and Chinese
        (:func:`geoplan.data.messages.problem_text`), also logged (warnings at WARNING, notes at
        INFO): a school far off the block map (``districts_school_off_map``), a level whose
        blocks hold no pupils (``districts_no_pupils``), a blocks layer reprojected to metres
        (``districts_blocks_reprojected``, a note), ``districts.remove_pairs`` naming blocks that
        were not neighbours (``district_pair_not_neighbours``) and, with ``allow_over_capacity``,
        a level answered with extra classes: why it had no plan and its diagnosis (the least
        extra classes, ``districts_diag_least_bound`` when that number is only an upper bound).
    stability
        Per level and school (index ``<level>:<school id>``), against today's districts (the
        blocks' ``school_<level>``): ``pupils_today``, ``pupils_kept``, ``pupils_moved_out``,
        ``pupils_moved_in`` (from another school of the level), ``pupils_new`` (blocks without a
        school today), ``pupils_after`` and ``share_kept`` (kept / today); ``None`` when no
        block has a school today.
    feeders
        With ``feeders=True``: per primary school (index ``id``), its ``name``, the middle school
        it ``feeds`` (``feeds_name``), ``nine_year`` (it feeds itself) and ``primary_pupils``.
    """

    blocks: Any
    schools: Any
    districts: Any
    indicators: Any
    solutions: dict[str, DistrictSolution]
    cost_source: dict[str, str]
    adjacency: Any = None
    islands: Any = None
    diagnoses: dict[str, CapacityDiagnosis] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()
    stability: Any = None
    feeders: Any = None


def lone_block_problems(
    blocks: Any,
    *,
    file: str = "blocks",
    gap_tolerance_m: float = DEFAULT_GAP_TOLERANCE_M,
    min_shared_m: float = DEFAULT_MIN_SHARED_M,
) -> list[Problem]:
    """A warning naming the blocks that touch no other block, as the district model reads the map.

    Two blocks touch when they face each other within ``gap_tolerance_m`` over at least
    ``min_shared_m`` of frontage, the adjacency :func:`plan_districts` uses (before a scenario's
    ``add_pairs`` and ``remove_pairs``). A block that touches none is a piece of the map of its
    own: no district can reach it unless it holds a school, so a run with districts stops there
    (``islands: report``). ``geoplan validate`` calls this with the default tolerances.

    Parameters
    ----------
    blocks
        The ``blocks`` layer, in a projected CRS (layers in feet are measured in metres).
    file
        The file the blocks were read from, named in the warning.
    gap_tolerance_m, min_shared_m
        The adjacency rule's tolerances (a scenario's ``districts.gap_tolerance_m`` and
        ``districts.min_shared_m``).

    Returns
    -------
    list of Problem
        One ``blocks_touch_none`` warning listing every such block (id, name) with the distance
        in metres to its nearest other block; empty when every block touches another, or with
        fewer than two blocks or no projected CRS.
    """
    if len(blocks) < 2 or blocks.crs is None or not blocks.crs.is_projected:
        return []
    measured, lone, distance = _lone_blocks(
        blocks, gap_tolerance_m=gap_tolerance_m, min_shared_m=min_shared_m
    )
    if lone.size == 0:
        return []
    return [
        _lone_block_problem(
            measured,
            lone,
            distance,
            file=file,
            gap_tolerance_m=gap_tolerance_m,
            min_shared_m=min_shared_m,
        )
    ]


def town_schools(blocks: Any, schools: Any) -> Any:
    """The open schools a run districts the blocks among: within :data:`TOWN_REACH_M` of them.

    Parameters
    ----------
    blocks, schools
        The ``blocks`` and ``schools`` layers, in one projected CRS in metres.
    """
    town = blocks.union_all().buffer(TOWN_REACH_M)
    open_schools = schools[schools["status"] == "open"]
    return open_schools[open_schools.geometry.within(town)]


def district_input_problems(
    blocks: Any,
    schools: Any,
    *,
    files: Mapping[str, str] | None = None,
    levels: Sequence[str] = ("primary", "middle"),
) -> list[Problem]:
    """The warnings a run's districts would give about the layers, found without planning.

    A level whose blocks hold no pupils (``districts_no_pupils``) and a town school more than
    100 m from every block (``districts_school_off_map``), as :func:`plan_districts` gives them
    on :attr:`DistrictPlan.warnings`; ``geoplan validate`` reports them.

    Parameters
    ----------
    blocks, schools
        The ``blocks`` and ``schools`` layers, in one projected CRS in metres.
    files
        The file each layer was read from, named in the warnings.
    levels
        The levels a run districts.

    Returns
    -------
    list of Problem
        The warnings; empty with no blocks, or no projected CRS.
    """
    if len(blocks) == 0 or blocks.crs is None or not blocks.crs.is_projected:
        return []
    town = town_schools(blocks, schools if schools.crs is None else schools.to_crs(blocks.crs))
    return _placed([p for lv in levels for p in _input_warnings(blocks, town, lv)], files)


def _placed(problems: Sequence[Problem], files: Mapping[str, str] | None) -> list[Problem]:
    """``problems``, each without a file placed in its layer's file (when ``files`` has it)."""
    files = files or {}
    return [
        p if p.file or p.layer not in files else replace(p, file=files[p.layer]) for p in problems
    ]


def plan_districts(
    blocks: Any,
    schools: Any,
    *,
    travel: Any = None,
    rules: Any = None,
    levels: Sequence[str] = ("primary", "middle"),
    overrides: Mapping[str, Mapping[str, str]] | None = None,
    keep_communities: bool = False,
    max_journey_min: float | Mapping[str, float] | None = None,
    max_moved: float | Mapping[str, float] | None = None,
    max_journey_increase_min: float | Mapping[str, float] | None = None,
    stay_weight_min: float | Mapping[str, float] | None = None,
    use_planned: bool = True,
    extra_classes: Any = None,
    method: str = "auto",
    time_limit_s: float = 30.0,
    mip_rel_gap: float = 0.01,
    gap_tolerance_m: float = DEFAULT_GAP_TOLERANCE_M,
    min_shared_m: float = DEFAULT_MIN_SHARED_M,
    add_pairs: Sequence[Sequence[str]] | None = None,
    remove_pairs: Sequence[Sequence[str]] | None = None,
    islands: str = "report",
    detour_factor: float = DETOUR_FACTOR,
    allow_over_capacity: bool = False,
    feeders: bool = False,
    files: Mapping[str, str] | None = None,
) -> DistrictPlan:
    """School districts for the blocks of a county town, one partition per level.

    Parameters
    ----------
    blocks
        The ``blocks`` layer (polygons in a projected CRS, index ``id``), e.g.
        ``PlanningArea.blocks``; a layer in feet is reprojected to metres (see ``warnings``).
        A block of several parts is one unit.
    schools
        The ``schools`` layer; closed schools are left out.
    travel
        Journey minutes blocks x schools: a ``TravelMatrix`` (aligned by its ids), an array, or a
        mapping ``{"primary": ..., "middle": ...}``. ``None``: straight-line distance x
        ``detour_factor`` at walking speed -- a fallback only; the real path is a network matrix.
    rules
        Planning rules (class-size limits); default :class:`geoplan.rules.PlanningRules`.
    levels
        Levels to district: ``"primary"`` (g1_3 + g4_6) and/or ``"middle"`` (g7_9).
    overrides
        Planner's hand assignments ``{level: {block id: school id}}``; honoured, the rest
        re-optimised.
    keep_communities
        Keep the blocks of each ``community`` in one district.
    max_journey_min
        Longest journey allowed, minutes (one value or one per level).
    max_moved
        Most pupils per level whose school may change from today's, ``school_<level>`` of the
        blocks (one value or one per level).
    max_journey_increase_min
        No pupil's journey may rise more than this many minutes above the journey to today's
        school (one value or one per level).
    stay_weight_min
        Minutes of journey a pupil may gain to keep today's school (each pupil who changes
        school counts that many pupil-minutes in the objective; one value or one per level).
    use_planned
        Count ``planned_classes_<band>`` in the capacity.
    extra_classes
        Table (index school id, columns ``extra_classes_<band>``) of classes a scenario adds, or
        a mapping ``{school id: {band: classes}}`` (a scenario's ``districts.extra_classes``).
    method, time_limit_s, mip_rel_gap
        Passed to :func:`solve_districts` (the time limit is per level).
    gap_tolerance_m
        Block boundaries closer than this count as touching, metres (digitising gaps; about 30
        for street blocks separated by streets).
    min_shared_m
        Shortest shared frontage making two blocks neighbours, metres (corners never count).
    add_pairs, remove_pairs
        Pairs of block ids to make neighbours (a footbridge) or to keep apart (a river with no
        bridge), on top of the measured adjacency.
    islands
        A piece of the map holding no school of the level: ``"report"`` refuses, naming its
        blocks and what to do; ``"join"`` joins it to the district of the school it reaches
        first (the reason is in ``blocks["joined_<level>"]`` and ``islands``).
    detour_factor
        Factor on straight-line distance for the fallback cost.
    allow_over_capacity
        Infeasible is an answer: when the pupils do not fit today's classes, diagnose the level
        (:attr:`DistrictPlan.diagnoses`: shortage per band, least extra classes per school) and
        return the best plan that fits with those classes, its overflow counted as oversized
        classes against today's classes, instead of raising.
    feeders
        Plan both levels jointly so that every primary district lies wholly inside one middle
        district (a nine-year school's inside its own): :func:`solve_feeder_districts`, with
        twice ``time_limit_s`` for the pair; :attr:`DistrictPlan.feeders` says which primary
        school feeds which middle school. A town whose levels do not fit raises.
    files
        The file each layer was read from (``PlanningArea.files``), named in the warnings.

    Returns
    -------
    DistrictPlan
        Tables per block, school, district and level.

    Raises
    ------
    InfeasibleError
        When no plan exists (or, with ``allow_over_capacity``, when no number of extra classes
        helps); the message names the cause (capacity, contiguity, journey limit) and the blocks
        and schools involved.
    """
    from geoplan.rules import PlanningRules

    if islands not in ISLAND_MODES:
        msg = f"`islands` must be one of {ISLAND_MODES}, got {islands!r}."
        raise ArgumentError(msg)
    reading = _TownReading(
        travel, rules or PlanningRules(), overrides, use_planned, extra_classes, detour_factor,
        gap_tolerance_m, min_shared_m, add_pairs, remove_pairs,
    )  # fmt: skip
    bmap, blocks, schools = reading.town(blocks, schools)
    warnings = list(bmap.warnings)
    groups = blocks["community"].to_numpy() if keep_communities else None
    block_out = gpd.GeoDataFrame(
        index=blocks.index.copy(), geometry=blocks.geometry.copy(), crs=blocks.crs
    )
    block_out.index.name = "id"
    school_frames = []
    districts = []
    indicators = []
    island_tables = []
    solutions: dict[str, DistrictSolution] = {}
    sources: dict[str, str] = {}
    diagnoses: dict[str, CapacityDiagnosis] = {}
    stability_frames: list[pd.DataFrame] = []
    if feeders and set(levels) != {"primary", "middle"}:
        msg = f"`feeders` needs both levels, primary and middle; got levels={tuple(levels)}."
        raise ArgumentError(msg)
    prepared: dict[str, tuple[Any, ...]] = {}
    for level in levels:
        li = reading.level(bmap, blocks, schools, level)
        warnings += li.warnings
        adjacency, joined = _level_adjacency(blocks, bmap.adjacency, li, islands=islands)
        limit_j = _per_level(max_journey_min, level)
        args = (li.demand, li.cost, li.classes_after * li.limit, adjacency, li.home)
        stable = {
            "max_moved": _per_level(max_moved, level),
            "max_journey_increase_min": _per_level(max_journey_increase_min, level),
            "stay_weight_min": _per_level(stay_weight_min, level) or 0.0,
        }
        _check_today(li, stable)
        kwargs: dict[str, Any] = {
            "max_journey_min": limit_j,
            "fixed": li.fixed,
            "status_quo": li.status_quo,
            **stable,
            "groups": groups,
            "method": method,
            "time_limit_s": time_limit_s,
            "mip_rel_gap": mip_rel_gap,
        }
        prepared[level] = (li, adjacency, joined, limit_j, args, stable, kwargs)
    joint: FeederSolution | None = None
    if feeders:
        joint = _feeder_plan(prepared, groups=groups, method=method, time_limit_s=time_limit_s,
                             mip_rel_gap=mip_rel_gap)  # fmt: skip
    for level, (li, adjacency, joined, limit_j, args, stable, kwargs) in prepared.items():
        island_tables.append(joined)
        failure = ""
        refusals: list[Problem] = []
        sol: DistrictSolution | None = None
        if joint is not None:
            sol = joint.primary if level == "primary" else joint.middle
        else:
            try:
                sol = solve_districts(*args, **kwargs)
            except InfeasibleError as err:
                _refuse_conflicts(err, li, blocks)
                failure, refusals = str(err), err.problems
        if sol is not None and sol.status == "not_feasible":
            refusal = coded_problem(
                "districts_no_plan_in_time", "", "districts", "", "", "",
                level=level, level_name=LEVEL_NAMES[level], method=sol.method,
                seconds=f"{time_limit_s:g}", over=f"{sol.over_capacity_pupils:,.0f}",
            )  # fmt: skip
            failure, refusals = refusal.message, [refusal]
        if failure and (
            stable["max_moved"] is not None or stable["max_journey_increase_min"] is not None
        ):
            _stability_cause(li, level, args, kwargs, stable, failure)
        if failure:
            diag = _diagnose_level(
                li,
                adjacency,
                blocks=blocks,
                groups=groups,
                max_journey_min=limit_j,
                time_limit_s=time_limit_s,
            )
            if not allow_over_capacity or diag.least is None:
                raise _refused(failure, diag, refusals)
            diagnoses[level] = diag
            warnings += _at_field(diag, refusals, severity="warning")
            if diag.least.total > 0:
                room = (li.classes_after + diag.least.classes) * li.limit
                sol = _answer_plan(li, room, args, kwargs, diag.least)
            elif sol is None:
                raise _refused(failure, diag, refusals)
        assert sol is not None
        solutions[level] = sol
        sources[level] = li.cost_source
        _fill_blocks(block_out, li, sol)
        block_out[f"joined_{level}"] = (
            joined.set_index("id")["reason"].reindex(block_out.index).fillna("").to_numpy()
        )
        school_frames.append(_school_table(li, sol))
        stability_frames.append(_stability_table(li, sol))
        districts.append(_district_table(blocks, li, sol, adjacency))
        row = _indicators(li, sol)
        least = diagnoses[level].least if level in diagnoses else None
        row["fits_today"] = level not in diagnoses
        row["extra_classes_needed"] = 0 if least is None else least.total
        row["extra_classes_proven_least"] = True if least is None else least.proven_least
        if joint is not None:
            row["feeders"] = True
            row["joint_objective_pupil_min"] = joint.objective
            row["joint_bound_pupil_min"] = joint.bound
            row["joint_gap"] = joint.gap
        indicators.append(row)
    school_table = _merge_school_tables(schools, school_frames)
    district_gdf = gpd.GeoDataFrame(pd.concat(districts), crs=blocks.crs)
    district_gdf.index.name = "id"
    ind = pd.DataFrame(indicators).set_index("level")
    island_table = pd.concat(island_tables, ignore_index=True).set_index("id")
    warnings = _placed(warnings, files)
    _log_problems(warnings)
    return DistrictPlan(
        block_out,
        school_table,
        district_gdf,
        ind,
        solutions,
        sources,
        adjacency=bmap.pairs,
        islands=island_table,
        diagnoses=diagnoses,
        warnings=tuple(warnings),
        stability=_stability_frame(stability_frames),
        feeders=None if joint is None else _feeder_table(prepared, joint),
    )


def _log_problems(problems: Sequence[Problem]) -> None:
    """Log each warning at WARNING and each note at INFO, in the run's language."""
    for problem in problems:
        log_problem(_logger, problem)


def _refuse_conflicts(err: InfeasibleError, li: _LevelInput, blocks: Any) -> None:
    """Re-raise a refusal of contradicting fixed assignments with ids for the core's positions.

    The overrides contradict each other or a school's own block: no diagnosis of places helps,
    so the refusal is raised at once, at the overrides' block and school.
    """
    conflicts = [p for p in err.problems if p.code in FIXED_CONFLICTS]
    if not conflicts:
        return
    problems = []
    for p in conflicts:
        pos = dict(p.params)
        block = str(blocks.index[int(pos["block"])])
        school, other = (str(li.schools.index[int(pos[k])]) for k in ("school", "other"))
        unit = p.code == "districts_fixed_unit_conflict"
        at = ("overrides", "blocks", block, f"school_{li.level}", school if unit else other)
        code = "districts_fixed_unit_conflict" if unit else "districts_fixed_home_conflict"
        problems.append(coded_problem(code, *at, block=block, school=school, other=other))
    text = " ".join(f"{p.message} Fix: {p.fix}" for p in problems)
    raise InfeasibleError(text, problems=problems) from err


def _refused(failure: str, diag: CapacityDiagnosis, problems: list[Problem]) -> InfeasibleError:
    """A level's refusal with its diagnosis, its problems placed at the field the cause names.

    The refusal's problems are followed by the diagnosis's findings (each a catalogue problem),
    so that a run in Chinese shows the diagnosis in Chinese.
    """
    return InfeasibleError(f"{failure}\n{diag.message}", problems=_at_field(diag, problems))


def _at_field(
    diag: CapacityDiagnosis, problems: Sequence[Problem], *, severity: str = ""
) -> list[Problem]:
    """``problems`` then the diagnosis's findings at the field to change (as ``severity``).

    The field a planner changes: ``districts.time_limit_s`` when a plan exists but was not found
    in time, ``districts.extra_classes`` when extra classes would fit the pupils, else
    ``districts.add_pairs`` for contiguity and ``districts.enabled`` for blocks no school reaches.
    """
    if "time limit" in diag.causes:
        field = "districts.time_limit_s"
    elif diag.least is not None and diag.least.total > 0:
        field = "districts.extra_classes"
    elif "contiguity" in diag.causes:
        field = "districts.add_pairs"
    else:
        field = "districts.enabled"
    return [
        replace(p, column=p.column or field, severity=severity or p.severity)
        for p in (*problems, *diag.problems)
    ]


def _feeder_plan(
    prepared: Mapping[str, tuple[Any, ...]],
    *,
    groups: Any,
    method: str,
    time_limit_s: float,
    mip_rel_gap: float,
) -> FeederSolution:
    """The joint plan of both levels from their prepared inputs; a failure names its cause."""
    levels = {}
    for level, (_li, _adj, _joined, _limit, args, _stable, kwargs) in prepared.items():
        keep = ("max_journey_min", "fixed", "status_quo", "max_moved",
                "max_journey_increase_min", "stay_weight_min")  # fmt: skip
        levels[level] = dict(zip(("demand", "cost", "capacity", "adjacency", "home"), args,
                                 strict=True)) | {k: kwargs[k] for k in keep}  # fmt: skip
    li_p, li_m = prepared["primary"][0], prepared["middle"][0]
    middle_pos = {sid: k for k, sid in enumerate(li_m.schools.index)}
    feeds = np.array([middle_pos.get(sid, -1) for sid in li_p.schools.index], dtype=np.int64)
    try:
        return solve_feeder_districts(
            levels["primary"], levels["middle"], feeds=feeds, groups=groups, method=method,
            time_limit_s=time_limit_s * 2, mip_rel_gap=mip_rel_gap,
        )  # fmt: skip
    except InfeasibleError as err:
        unfit = []
        for level in ("primary", "middle"):
            args, kwargs = prepared[level][4], prepared[level][6]
            try:
                fits = solve_districts(*args, **kwargs).status != "not_feasible"
            except InfeasibleError:
                fits = False
            if not fits:
                unfit.append(level)
        at = ("", "districts", "", "districts.feeders", "true")
        causes = [
            coded_problem("districts_feeders_level_unfit", *at, level=lv) for lv in unfit
        ] or [coded_problem("districts_feeders_cause", *at)]
        problems = [*err.problems, *causes]  # the refusal, then its cause (en + zh)
        text = "\n".join(f"{p.message} Fix: {p.fix}" for p in problems)
        raise InfeasibleError(text, problems=problems) from err


def _feeder_table(prepared: Mapping[str, tuple[Any, ...]], joint: FeederSolution) -> Any:
    """Which middle school each primary school feeds."""
    li_p, li_m = prepared["primary"][0], prepared["middle"][0]
    names_p = li_p.schools.get("name", pd.Series(li_p.schools.index, index=li_p.schools.index))
    names_m = li_m.schools.get("name", pd.Series(li_m.schools.index, index=li_m.schools.index))
    mids = np.asarray(li_m.schools.index, dtype=object)[joint.feeds]
    pupils = np.bincount(
        joint.primary.assignment, weights=li_p.demand.sum(axis=1), minlength=len(li_p.schools)
    )
    table = pd.DataFrame(
        {
            "name": names_p.to_numpy(),
            "feeds": [str(m) for m in mids],
            "feeds_name": names_m.reindex(mids).to_numpy(),
            "nine_year": [str(s) in set(map(str, li_m.schools.index)) for s in li_p.schools.index],
            "primary_pupils": pupils,
        },
        index=pd.Index([str(s) for s in li_p.schools.index], name="id"),
    )
    return table


@dataclass(frozen=True)
class _TownReading:
    """How :func:`plan_districts` and :func:`diagnose_capacity` read a town: their arguments."""

    travel: Any
    rules: Any
    overrides: Mapping[str, Mapping[str, str]] | None
    use_planned: bool
    extra_classes: Any
    detour_factor: float
    gap_tolerance_m: float
    min_shared_m: float
    add_pairs: Sequence[Sequence[str]] | None
    remove_pairs: Sequence[Sequence[str]] | None

    def town(self, blocks: Any, schools: Any) -> tuple[_BlockMap, Any, Any]:
        """The block map, then the checked blocks and open schools, in the blocks' metric CRS."""
        _check_block_rows(blocks)
        bmap = _block_map(
            blocks,
            schools,
            gap_tolerance_m=self.gap_tolerance_m,
            min_shared_m=self.min_shared_m,
            add_pairs=self.add_pairs,
            remove_pairs=self.remove_pairs,
        )
        blocks, schools = _checked_blocks(bmap.blocks, bmap.schools)
        return bmap, blocks, schools

    def level(self, bmap: _BlockMap, blocks: Any, schools: Any, level: str) -> _LevelInput:
        """Pupils, journeys and places of one level (see ``_level_inputs``)."""
        return _level_inputs(
            blocks,
            schools,
            bmap.adjacency,
            level=level,
            travel=self.travel,
            rules=self.rules,
            overrides=self.overrides,
            use_planned=self.use_planned,
            extra_classes=self.extra_classes,
            detour_factor=self.detour_factor,
        )


def _level_adjacency(
    blocks: Any, adjacency: sp.csr_array, li: _LevelInput, *, islands: str
) -> tuple[sp.csr_array, pd.DataFrame]:
    """The level's adjacency: islands refused (named) or joined to their first school's district."""
    found = _islands(adjacency, li.home)
    if not found:
        return adjacency, _join_islands(
            blocks,
            adjacency,
            [],
            cost=li.cost,
            home=li.home,
            schools=li.schools,
            level=li.level,
            cost_source=li.cost_source,
        )[1]
    if islands == "report":
        problem = _island_problem(blocks, found, li.level)
        raise InfeasibleError(f"{problem.message}\nFix: {problem.fix}", problems=[problem])
    joined, table = _join_islands(
        blocks,
        adjacency,
        found,
        cost=li.cost,
        home=li.home,
        schools=li.schools,
        level=li.level,
        cost_source=li.cost_source,
    )
    _logger.info("%d island block(s) joined to a %s district", len(table), li.level)
    return joined, table


def _answer_plan(
    li: _LevelInput,
    room: np.ndarray,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    least: ExtraClasses,
) -> DistrictSolution:
    """The best plan with the least extra classes, its overflow measured against today's."""
    sol: DistrictSolution | None = None
    try:
        sol = solve_districts(args[0], args[1], room, *args[3:], **kwargs)
    except InfeasibleError:
        sol = None
    if sol is None or sol.status == "not_feasible":
        assign = least.assignment  # fits the extra classes, contiguous, by construction
        n = li.demand.shape[0]
        objective = float((li.demand.sum(axis=1) * li.cost[np.arange(n), assign]).sum())
        sol = DistrictSolution(
            assign, objective, math.nan, math.inf, math.nan, "over_capacity",
            "least_extra_classes", True, 0.0, least.seconds,
        )  # fmt: skip
    today = li.classes_after * li.limit
    load = np.zeros_like(today)
    np.add.at(load, sol.assignment, li.demand)
    over = float(np.maximum(load - today, 0.0).sum())
    return replace(sol, over_capacity_pupils=over, status="over_capacity")


def _per_level(value: float | Mapping[str, float] | None, level: str) -> float | None:
    if isinstance(value, Mapping):
        got = value.get(level)
        return None if got is None else float(got)
    return None if value is None else float(value)


def _stability_cause(
    li: _LevelInput,
    level: str,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    stable: Mapping[str, float | None],
    failure: str,
) -> None:
    """Raise naming the stability limits when the level has a plan without them."""
    free_kw = {**kwargs, "max_moved": None, "max_journey_increase_min": None}
    try:
        free = solve_districts(*args, **free_kw)
    except InfeasibleError:
        return
    if free.status == "not_feasible":
        return
    pupils = li.demand.sum(axis=1)
    has = li.status_quo >= 0
    n = len(pupils)
    moved = float(pupils[has & (li.status_quo != free.assignment)].sum())
    rise = (li.cost[np.arange(n), free.assignment] - li.cost[np.arange(n), li.status_quo])[
        has & (pupils > 0)
    ]
    rise = rise[np.isfinite(rise)]
    limits = []
    if stable["max_moved"] is not None:
        limits.append(f"districts.max_pupils_moved = {stable['max_moved']:g}")
    if stable["max_journey_increase_min"] is not None:
        limits.append(
            f"districts.max_journey_increase_min = {stable['max_journey_increase_min']:g}"
        )
    field = "max_pupils_moved" if stable["max_moved"] is not None else "max_journey_increase_min"
    limit = stable["max_moved"] if field == "max_pupils_moved" else stable[field]
    problem = coded_problem(
        "districts_stability_infeasible", "", "districts", "", f"districts.{field}", f"{limit:g}",
        level=level, limits=", ".join(limits), moved=f"{moved:,.0f}",
        rise=f"{float(rise.max()) if rise.size else 0.0:.1f}",
    )  # fmt: skip
    msg = f"{failure}\nStability: {problem.message} Fix: {problem.fix}"
    raise InfeasibleError(msg, problems=[problem])


def _check_today(li: _LevelInput, stable: Mapping[str, float | None]) -> None:
    """Stability limits need today's school of the level on the blocks."""
    asked = [  # a limit of 0 is a limit; a weight of 0 is no weight
        k for k, v in stable.items() if (v is not None if k != "stay_weight_min" else bool(v))
    ]
    if asked and not np.any(li.status_quo >= 0):
        fields = [f"districts.{_SCENARIO_FIELD.get(k, k)}" for k in asked]
        problem = coded_problem(
            "districts_stability_needs_today", "", "blocks", "", f"school_{li.level}", "",
            fields=", ".join(fields), level=li.level,
            schools=", ".join(map(str, li.schools.index)),
        )  # fmt: skip
        raise ArgumentError(f"{problem.message} Fix: {problem.fix}", problems=[problem])


_SCENARIO_FIELD = {"max_moved": "max_pupils_moved"}
"""The scenario's ``districts:`` name of a stability argument, where the two differ."""


def _stability_table(li: _LevelInput, sol: DistrictSolution) -> Any:
    """Pupils kept, moved out, moved in and new per school of the level, against today's."""
    m = len(li.schools)
    pupils = li.demand.sum(axis=1)
    today, after = li.status_quo, sol.assignment
    has = today >= 0
    kept = has & (today == after)

    def count(mask: np.ndarray, to: np.ndarray) -> np.ndarray:
        return np.bincount(to[mask], weights=pupils[mask], minlength=m)

    table = pd.DataFrame(
        {
            "level": li.level,
            "school": [str(s) for s in li.schools.index],
            "name": li.schools["name"].to_numpy()
            if "name" in li.schools.columns
            else [str(s) for s in li.schools.index],
            "pupils_today": count(has, np.maximum(today, 0)),
            "pupils_kept": count(kept, after),
            "pupils_moved_out": count(has & ~kept, np.maximum(today, 0)),
            "pupils_moved_in": count(has & ~kept, after),
            "pupils_new": count(~has, after).astype(float),
            "pupils_after": count(np.ones_like(has), after),
        },
        index=pd.Index([f"{li.level}:{s}" for s in li.schools.index], name="id"),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        table["share_kept"] = np.where(
            table["pupils_today"] > 0, table["pupils_kept"] / table["pupils_today"], np.nan
        )
    return table if has.any() else table.iloc[0:0]


def _stability_frame(frames: list[pd.DataFrame]) -> Any:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames) if frames else None


def _fill_blocks(out: Any, li: _LevelInput, sol: DistrictSolution) -> None:
    ids = np.asarray(li.schools.index, dtype=object)
    n = len(out)
    journey = li.cost[np.arange(n), sol.assignment]
    masked = np.where(np.isfinite(li.cost), li.cost, np.inf)
    nearest = journey <= masked.min(axis=1) + 1e-9
    out[f"school_{li.level}"] = ids[sol.assignment]
    out[f"journey_{li.level}_min"] = journey
    out[f"nearest_{li.level}"] = nearest
    has = li.status_quo >= 0
    out[f"moved_{li.level}"] = has & (li.status_quo != sol.assignment)
    out[f"school_{li.level}_today"] = np.where(has, ids[np.maximum(li.status_quo, 0)], "")
    out[f"journey_{li.level}_today_min"] = np.where(
        has, li.cost[np.arange(n), np.maximum(li.status_quo, 0)], np.nan
    )


def _school_table(li: _LevelInput, sol: DistrictSolution) -> Any:
    m = len(li.schools)
    table = pd.DataFrame(index=li.schools.index.copy())
    places = 0.0 * np.zeros(m)
    pupils_all = np.zeros(m)
    for b, band in enumerate(li.bands):
        pupils = np.bincount(sol.assignment, weights=li.demand[:, b], minlength=m)
        res = np.bincount(sol.assignment, weights=li.resident[:, b], minlength=m)
        mig = np.bincount(sol.assignment, weights=li.migrant[:, b], minlength=m)
        classes = li.classes_after[:, b].astype(int)
        today = li.classes_today[:, b].astype(int)
        enrol = _num(li.schools, f"enrolment_{band}")
        before = [oversized_classes(round(e), int(c)) for e, c in zip(enrol, today, strict=True)]
        after = [oversized_classes(round(p), int(c)) for p, c in zip(pupils, classes, strict=True)]
        table[f"pupils_{band}"] = pupils
        table[f"pupils_{band}_resident"] = res
        table[f"pupils_{band}_migrant"] = mig
        table[f"classes_{band}"] = classes
        table[f"classes_needed_{band}"] = [
            classes_needed(float(p), int(lim))
            for p, lim in zip(pupils, li.limit[:, b], strict=True)
        ]
        with np.errstate(divide="ignore", invalid="ignore"):
            table[f"avg_class_size_{band}"] = np.where(classes > 0, pupils / classes, np.nan)
        table[f"oversized_before_{band}"] = [o for o, _ in before]
        table[f"severely_oversized_before_{band}"] = [s for _, s in before]
        table[f"oversized_after_{band}"] = [o for o, _ in after]
        table[f"severely_oversized_after_{band}"] = [s for _, s in after]
        places = places + li.classes_after[:, b] * li.limit[:, b]
        pupils_all = pupils_all + pupils
    with np.errstate(divide="ignore", invalid="ignore"):
        table[f"utilisation_{li.level}"] = np.where(places > 0, pupils_all / places, np.nan)
    return table


def _merge_school_tables(schools: Any, frames: list[Any]) -> Any:
    keep = [c for c in ("name", "kind") if c in schools.columns]
    out = pd.DataFrame(schools[keep].copy())
    for frame in frames:
        out = out.join(frame, how="left")
    for kind in ("oversized", "severely_oversized"):
        for when in ("before", "after"):
            cols = [c for c in out.columns if c.startswith(f"{kind}_{when}_g")]
            out[f"{kind}_{when}"] = out[cols].fillna(0).sum(axis=1).astype(int)
    out.index.name = "id"
    return out


def _district_table(
    blocks: Any, li: _LevelInput, sol: DistrictSolution, adjacency: sp.csr_array
) -> Any:
    rows = []
    for j, sid in enumerate(li.schools.index):
        members = blocks.geometry[sol.assignment == j]
        geom = shapely.union_all(np.asarray(members.values))
        area = float(geom.area)
        perimeter = float(geom.length)
        rows.append(
            {
                "id": f"{li.level}:{sid}",
                "level": li.level,
                "school": str(sid),
                "pupils": float(li.demand[sol.assignment == j].sum()),
                "blocks": len(members),
                "area_m2": area,
                "polsby_popper": 4 * math.pi * area / perimeter**2
                if perimeter > 0
                else float("nan"),
                "pieces": len(components_within(adjacency, np.flatnonzero(sol.assignment == j))),
                "geometry": geom,
            }
        )
    return pd.DataFrame(rows).set_index("id")


def _indicators(li: _LevelInput, sol: DistrictSolution) -> dict[str, Any]:
    n = li.demand.shape[0]
    pupils = li.demand.sum(axis=1)
    journey = li.cost[np.arange(n), sol.assignment]
    nearest = journey <= np.where(np.isfinite(li.cost), li.cost, np.inf).min(axis=1) + 1e-9
    total = float(pupils.sum())
    has = li.status_quo >= 0
    kept = float(pupils[has & (li.status_quo == sol.assignment)].sum())
    today = float(pupils[has].sum())
    rise = journey - li.cost[np.arange(n), np.maximum(li.status_quo, 0)]
    rise = rise[has & (pupils > 0) & np.isfinite(rise)]
    return {
        "level": li.level,
        "pupils": total,
        "mean_journey_min": float((pupils * journey).sum() / total) if total else float("nan"),
        "worst_journey_min": float(journey[pupils > 0].max()) if total else float("nan"),
        "share_nearest": float(pupils[nearest].sum() / total) if total else float("nan"),
        "pupils_moved": float(pupils[has & (li.status_quo != sol.assignment)].sum()),
        "pupils_kept": kept,
        "share_kept": kept / today if today else float("nan"),
        "worst_journey_increase_min": float(rise.max()) if rise.size else float("nan"),
        "contiguous": sol.contiguous,
        "objective_pupil_min": sol.objective,
        "bound_pupil_min": sol.bound,
        "lp_bound_pupil_min": sol.lp_bound,
        "gap": sol.gap,
        "status": sol.status,
        "method": sol.method,
        "over_capacity_pupils": sol.over_capacity_pupils,
        "seconds": sol.seconds,
        "cost_source": li.cost_source,
    }


def _diagnose_level(
    li: _LevelInput,
    adjacency: sp.csr_array,
    *,
    blocks: Any,
    groups: Any,
    max_journey_min: float | None,
    time_limit_s: float,
    max_extra_classes: int = 20,
    island: Problem | None = None,
) -> CapacityDiagnosis:
    """The true cause of a level without a plan: capacity, journey limit, contiguity or time.

    Each finding is a catalogue problem (:attr:`CapacityDiagnosis.problems`), so the diagnosis
    reads in the planner's language; ``island`` is the refusal of map pieces no district reaches.
    """
    places = li.classes_after * li.limit
    level_name = LEVEL_NAMES[li.level]
    rows = []
    for b, band in enumerate(li.bands):
        need, have = float(li.demand[:, b].sum()), float(places[:, b].sum())
        rows.append(
            {
                "id": f"{li.level}:{band}",
                "pupils": need,
                "places": have,
                "short": max(need - have, 0),
            }
        )
    shortages = pd.DataFrame(rows).set_index("id")
    names = li.schools["name"] if "name" in li.schools.columns else li.schools.index.to_series()
    extra_df = pd.DataFrame(
        0, index=li.schools.index.copy(), columns=[f"extra_classes_{band}" for band in li.bands]
    )
    extra_df.insert(0, "name", names.to_numpy())
    extra_df.index.name = "id"
    causes: list[str] = []
    found: list[Problem] = []
    at = ("", "districts", "", "", "")
    level = li.level

    def diagnosis(least: ExtraClasses | None = None) -> CapacityDiagnosis:
        return CapacityDiagnosis(
            shortages, extra_df, _diagnosis_text(found, "en"), tuple(causes), least, tuple(found)
        )

    short_total = float(shortages["short"].sum())
    if short_total > 0:
        causes.append("capacity")
        found.append(
            coded_problem(
                "districts_diag_capacity",
                *at,
                level=level,
                level_name=level_name,
                short=f"{short_total:,.0f}",
                pupils=f"{li.demand.sum():,.0f}",
                places=f"{places.sum():,.0f}",
            )
        )
        for key, row in shortages.iterrows():
            if float(row["short"]) > 0:
                found.append(
                    coded_problem(
                        "districts_diag_band",
                        *at,
                        grades=grade_label(str(key).split(":")[1]),
                        pupils=f"{row['pupils']:,.0f}",
                        places=f"{row['places']:,.0f}",
                        short=f"{row['short']:,.0f}",
                    )
                )
    crowded = _homes_over_places(li, places, blocks)
    if crowded:
        causes.extend([] if "capacity" in causes else ["capacity"])
        found.extend(crowded)
    if island is not None:
        causes.append("contiguity")
        found.append(island)
        return diagnosis()
    # Blocks no school reaches (by road, or within the journey limit): no class helps them.
    reach = np.isfinite(li.cost)
    if max_journey_min is not None:
        reach &= li.cost <= max_journey_min
    alone = np.flatnonzero(~reach.any(axis=1) & (li.fixed < 0))
    if alone.size:
        listed = ", ".join(_block_names(blocks, alone[:10])) + (" ..." if alone.size > 10 else "")
        if max_journey_min is not None and np.isfinite(li.cost[alone]).any(axis=1).all():
            causes.append("journey limit")
            found.append(
                coded_problem(
                    "districts_diag_journey_blocks",
                    *at,
                    level=level,
                    level_name=level_name,
                    count=alone.size,
                    minutes=f"{max_journey_min:g}",
                    blocks=listed,
                )
            )
        else:
            causes.append("road network")
            found.append(
                coded_problem(
                    "districts_diag_road_network",
                    *at,
                    level=level,
                    level_name=level_name,
                    count=alone.size,
                    blocks=listed,
                )
            )
        return diagnosis()
    common = {
        "max_extra_classes": max_extra_classes,
        "fixed": li.fixed,
        "groups": groups,
    }
    try:
        loose = least_extra_classes(
            li.demand, li.cost, places, li.limit, adjacency, li.home, contiguous=False,
            max_journey_min=max_journey_min, time_limit_s=time_limit_s / 4.0, **common,
        )  # fmt: skip
        least = least_extra_classes(
            li.demand, li.cost, places, li.limit, adjacency, li.home, contiguous=True,
            max_journey_min=max_journey_min, time_limit_s=time_limit_s, **common,
        )  # fmt: skip
    except InfeasibleError as err:
        found.extend(err.problems)
        return diagnosis()
    if max_journey_min is not None:
        free = least_extra_classes(
            li.demand, li.cost, places, li.limit, adjacency, li.home, contiguous=False,
            max_journey_min=None, time_limit_s=time_limit_s / 4.0, **common,
        )  # fmt: skip
        if loose.lower_bound > free.total:
            causes.append("journey limit")
            found.append(
                coded_problem(
                    "districts_diag_journey_classes",
                    *at,
                    minutes=f"{max_journey_min:g}",
                    within=loose.lower_bound,
                    without=free.total,
                    schools=_where(names, loose.classes - np.minimum(loose.classes, free.classes)),
                )
            )
    if least.total > loose.total and least.lower_bound > loose.total:
        causes.append("contiguity")
        found.append(
            coded_problem(
                "districts_diag_contiguity",
                *at,
                within=least.lower_bound,
                alone=loose.total,
                schools=_where(names, least.classes - np.minimum(least.classes, loose.classes)),
            )
        )
    if least.total == 0:
        causes.append("time limit")
        found.append(
            coded_problem("districts_diag_time_limit", *at, level=level, level_name=level_name)
        )
    elif "capacity" not in causes and "contiguity" not in causes and "journey limit" not in causes:
        causes.append("capacity")
        found.append(
            coded_problem(
                "districts_diag_capacity_spread",
                *at,
                level=level,
                level_name=level_name,
                places=f"{places.sum():,.0f}",
                pupils=f"{li.demand.sum():,.0f}",
            )
        )
    extra_df[[f"extra_classes_{band}" for band in li.bands]] = least.classes
    per_school = least.classes.sum(axis=1)
    if least.total > 0:
        where = ", ".join(f"{names.iloc[j]}: {int(c)}" for j, c in enumerate(per_school) if c > 0)
        if least.proven_least:
            found.append(coded_problem("districts_diag_least", *at, total=least.total, where=where))
        else:
            found.append(
                coded_problem(
                    "districts_diag_least_bound",
                    *at,
                    total=least.total,
                    lower=least.lower_bound,
                    gap=f"{least.gap:.1%}",
                    where=where,
                )
            )
    return diagnosis(least)


def _homes_over_places(li: _LevelInput, places: np.ndarray, blocks: Any) -> list[Problem]:
    """Schools whose own block alone holds more pupils of a band than the school has places.

    A school's district always holds its own block, so such a school has no district at all
    until it has more classes: one finding per school and band, naming the block (id and name),
    its pupils, the school's places and the classes that would fit them.
    """
    found = []
    names = li.schools["name"] if "name" in li.schools.columns else li.schools.index.to_series()
    for j, b in zip(*np.nonzero(li.demand[li.home] > places + 1e-9), strict=True):
        pupils, limit = float(li.demand[li.home[j], b]), int(li.limit[j, b])
        classes = int(li.classes_after[j, b])
        found.append(
            coded_problem(
                "districts_home_over_places", "", "districts", "", "", "",
                school=f"{names.iloc[j]} ({li.schools.index[j]})",
                block=_block_names(blocks, np.array([li.home[j]]))[0],
                grades=grade_label(li.bands[b]), pupils=f"{pupils:,.0f}",
                places=f"{places[j, b]:,.0f}", classes=classes, limit=limit,
                extra=classes_needed(pupils, limit) - classes if limit > 0 else "1",
            )
        )  # fmt: skip
    return found


def _diagnosis_text(problems: Sequence[Problem], lang: str) -> str:
    """A diagnosis in ``lang``: one line per finding, what was found, then what to do.

    Chinese sentences follow each other with no space (``。按``); English ones with one.
    """
    gap = "" if lang == "zh" else " "
    return "\n".join(gap.join(problem_text(p, lang)) for p in problems)


def _where(names: Any, classes: np.ndarray) -> str:
    """The names of the schools with classes, or ``-`` for none."""
    per = classes.sum(axis=1)
    return ", ".join(str(names.iloc[j]) for j in np.flatnonzero(per > 0)) or "-"


def diagnose_capacity(
    blocks: Any,
    schools: Any,
    *,
    level: str,
    travel: Any = None,
    rules: Any = None,
    overrides: Mapping[str, Mapping[str, str]] | None = None,
    keep_communities: bool = False,
    max_journey_min: float | None = None,
    use_planned: bool = True,
    extra_classes: Any = None,
    max_extra_classes: int = 20,
    time_limit_s: float = 30.0,
    gap_tolerance_m: float = DEFAULT_GAP_TOLERANCE_M,
    min_shared_m: float = DEFAULT_MIN_SHARED_M,
    add_pairs: Sequence[Sequence[str]] | None = None,
    remove_pairs: Sequence[Sequence[str]] | None = None,
    islands: str = "report",
    detour_factor: float = DETOUR_FACTOR,
) -> CapacityDiagnosis:
    """Why the pupils of a level do not fit: places short per band, the cause, the least classes.

    Parameters
    ----------
    blocks, schools, travel, rules, overrides, keep_communities, use_planned, extra_classes
        As for :func:`plan_districts`.
    level
        ``"primary"`` or ``"middle"``.
    max_journey_min
        Longest journey allowed, minutes (``None``: no limit, and none is blamed).
    max_extra_classes
        Most extra classes considered per school and band.
    time_limit_s
        Wall-time limit of the least-extra-classes MIP.
    gap_tolerance_m, min_shared_m, add_pairs, remove_pairs, islands, detour_factor
        As for :func:`plan_districts`.

    Returns
    -------
    CapacityDiagnosis
        Shortages, the causes (naming blocks and schools), the least extra classes per school
        (proven least or an upper bound with its gap) and the message in a planner's words.
    """
    from geoplan.rules import PlanningRules

    reading = _TownReading(
        travel, rules or PlanningRules(), overrides, use_planned, extra_classes, detour_factor,
        gap_tolerance_m, min_shared_m, add_pairs, remove_pairs,
    )  # fmt: skip
    bmap, blocks, schools = reading.town(blocks, schools)
    li = reading.level(bmap, blocks, schools, level)
    _log_problems((*bmap.warnings, *li.warnings))
    groups = blocks["community"].to_numpy() if keep_communities else None
    try:
        adjacency, _ = _level_adjacency(blocks, bmap.adjacency, li, islands=islands)
    except InfeasibleError as err:
        return _diagnose_level(
            li,
            bmap.adjacency,
            blocks=blocks,
            groups=groups,
            max_journey_min=max_journey_min,
            time_limit_s=time_limit_s,
            max_extra_classes=max_extra_classes,
            island=err.problems[0],
        )
    return _diagnose_level(
        li,
        adjacency,
        blocks=blocks,
        groups=groups,
        max_journey_min=max_journey_min,
        time_limit_s=time_limit_s,
        max_extra_classes=max_extra_classes,
    )
