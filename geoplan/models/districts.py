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
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geoplan.errors import ArgumentError, InfeasibleError
from geoplan.models._contiguity import (
    DEFAULT_GAP_TOLERANCE_M,
    DEFAULT_MIN_SHARED_M,
    components_within,
    rook_adjacency,
)
from geoplan.models._district_heuristic import _heuristic, _neighbourhood_search, _Search
from geoplan.models._district_inputs import (
    DETOUR_FACTOR,
    LEVEL_NAMES,
    _checked_blocks,
    _level_inputs,
    _LevelInput,
    _num,
)
from geoplan.models._district_model import (
    _build_level,
    _build_mip,
    _contiguous,
    _exact,
    _loads,
    _objective,
)
from geoplan.models.solver import relative_gap
from geoplan.rules import classes_needed, grade_label, oversized_classes

__all__ = [
    "EXACT_MAX_PAIRS",
    "METHODS",
    "CapacityDiagnosis",
    "DistrictPlan",
    "DistrictSolution",
    "diagnose_capacity",
    "least_extra_classes",
    "plan_districts",
    "solve_districts",
]

_logger = logging.getLogger(__name__)

METHODS: tuple[str, ...] = ("auto", "exact", "heuristic")
"""Solution methods :func:`solve_districts` accepts."""

EXACT_MAX_PAIRS = 30_000
"""With ``method="auto"``, the exact MIP is used up to this many block-school pairs."""


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
        ``"optimal"``, ``"time_limit"`` (best found), ``"heuristic"`` (feasible, not proven)
        or ``"not_feasible"`` (the heuristic found no plan within capacity and contiguity).
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
        Journey minutes, ``(blocks, schools)``: an array or a ``TravelMatrix`` (its ``.minutes``,
        rows and columns already in block and school order). ``inf``/``nan``: unreachable.
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
        Assignment per block, objective, bound and gap.

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
    )
    pairs = int(p.allowed.sum())
    exact = method == "exact" or (method == "auto" and pairs <= EXACT_MAX_PAIRS)
    heur_time = time_limit_s * (0.15 if exact else 0.6)
    assign, lp = _heuristic(p, time_limit_s=heur_time)
    heur_ok = _Search(p, assign).total_over() <= 1e-9 and _contiguous(p, assign)
    if not heur_ok or exact:
        # Sub-MIPs over a few neighbouring districts: to capacity first, then (before the
        # exact MIP) towards a local optimum, the MIP's warm start.
        share = (0.75 if exact else 1.0) if not heur_ok else 0.4
        assign = _neighbourhood_search(
            p,
            assign,
            deadline=t0 + time_limit_s * share,
            size=3 if heur_ok else 4,
            sub_time_s=4.0,
        )
        heur_ok = _Search(p, assign).total_over() <= 1e-9 and _contiguous(p, assign)
    objective = _objective(p, assign)
    bound = lp.objective
    status = "heuristic"
    used = "heuristic"
    if exact:
        remaining = max(time_limit_s - (time.perf_counter() - t0), 1.0)
        best, res = _exact(
            p, assign if heur_ok else None, time_limit_s=remaining, mip_rel_gap=mip_rel_gap
        )
        used = "exact"
        if res.status == "infeasible":
            raise InfeasibleError(
                "No contiguous districting fits the capacity and limits "
                "(see `diagnose_capacity` and `least_extra_classes`)."
            )
        if math.isfinite(res.bound):
            bound = max(bound, res.bound)
        if best is not None and (not heur_ok or _objective(p, best) <= objective + 1e-6):
            assign = best
            objective = _objective(p, best)
            heur_ok = True
        status = "optimal" if res.status == "optimal" else "time_limit"
    over = float(np.maximum(_loads(p, assign) - p.capacity, 0.0).sum())
    if over > 1e-9 or not _contiguous(p, assign):
        status = "not_feasible"
    return DistrictSolution(
        assignment=assign[unit_of],
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound),
        lp_bound=lp.objective,
        status=status,
        method=used,
        contiguous=_contiguous(p, assign),
        over_capacity_pupils=over,
        seconds=time.perf_counter() - t0,
    )


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
) -> np.ndarray:
    """Fewest extra classes per school and band that make a feasible district plan.

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
    numpy.ndarray
        Extra classes, integer ``(schools, bands)``; all zero when today's capacity suffices.

    Raises
    ------
    InfeasibleError
        If even ``max_extra_classes`` everywhere cannot fit the pupils.
    """
    p, _ = _build_level(
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
    dm = _build_mip(p, contiguous=contiguous, extra_limits=limits, class_size=size)
    res = dm.mip.solve(time_limit_s=time_limit_s, mip_rel_gap=0.0, mip_abs_gap=0.5)
    if res.x is None:
        msg = (
            f"Even {int(limits.max())} extra classes per school cannot fit the pupils within the "
            "journey limit; add a school or relax the limits."
        )
        raise InfeasibleError(msg)
    if res.status != "optimal":
        _logger.warning("least_extra_classes: time limit reached; the count may not be least")
    extra = np.rint(dm.mip.values(res.x, "extra")).astype(np.int64)
    result: np.ndarray = extra.reshape(shape)
    return result


# --------------------------------------------------------------------------------------------
# From layers: blocks and schools
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapacityDiagnosis:
    """Where places are short, and the fewest extra classes that fit the pupils.

    Parameters
    ----------
    shortages
        One row per level and band (index ``level:band``): ``pupils``, ``places``, ``short``.
    extra_classes
        Extra classes per school (index ``id``) and band (``extra_classes_<band>``).
    message
        The diagnosis in a planner's words.
    """

    shortages: Any
    extra_classes: Any
    message: str

    @property
    def feasible(self) -> bool:
        """Whether today's classes already fit every pupil."""
        return int(self.extra_classes.to_numpy().sum()) == 0


@dataclass(frozen=True)
class DistrictPlan:
    """A district plan for a county town, as tables aligned to the input ids.

    Parameters
    ----------
    blocks
        Per block (index ``id``): ``school_<level>``, ``journey_<level>_min``,
        ``nearest_<level>`` (the assigned school is the nearest one teaching the level),
        ``moved_<level>`` (differs from the status quo), geometry.
    schools
        Per school (index ``id``): pupils per band (total, resident, migrant), classes,
        classes needed, average class size, oversized (56+) and severely oversized (66+) classes
        before (today's enrolment and classes) and after, utilisation per level.
    districts
        One polygon per level and school (index ``<level>:<school id>``): ``level``, ``school``,
        ``pupils``, ``area_m2``, ``polsby_popper``, ``pieces`` (1 when contiguous).
    indicators
        Per level: mean and worst journey, share at the nearest school, pupils moved, contiguity,
        objective, bound, gap, status, method, seconds.
    solutions
        The :class:`DistrictSolution` of each level.
    cost_source
        ``"travel matrix"`` or ``"straight line x detour (fallback)"`` per level.
    """

    blocks: Any
    schools: Any
    districts: Any
    indicators: Any
    solutions: dict[str, DistrictSolution]
    cost_source: dict[str, str]


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
    use_planned: bool = True,
    extra_classes: Any = None,
    method: str = "auto",
    time_limit_s: float = 30.0,
    mip_rel_gap: float = 0.01,
    gap_tolerance_m: float = DEFAULT_GAP_TOLERANCE_M,
    min_shared_m: float = DEFAULT_MIN_SHARED_M,
    detour_factor: float = DETOUR_FACTOR,
    allow_over_capacity: bool = False,
) -> DistrictPlan:
    """School districts for the blocks of a county town, one partition per level.

    Parameters
    ----------
    blocks
        The ``blocks`` layer (polygons in a metric CRS, index ``id``), e.g.
        ``PlanningArea.blocks``.
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
        Most pupils per level whose school may change from ``school_<level>``.
    use_planned
        Count ``planned_classes_<band>`` in the capacity.
    extra_classes
        Table (index school id, columns ``extra_classes_<band>``) of classes a scenario adds.
    method, time_limit_s, mip_rel_gap
        Passed to :func:`solve_districts` (the time limit is per level).
    gap_tolerance_m
        Block boundaries closer than this count as touching, metres (digitising gaps; about 30
        for street blocks separated by streets).
    min_shared_m
        Shortest shared frontage making two blocks neighbours, metres (corners never count).
    detour_factor
        Factor on straight-line distance for the fallback cost.
    allow_over_capacity
        When no plan within the class-size limits is found in the time limit, return the best
        plan found (its ``indicators`` give ``over_capacity_pupils`` and status
        ``"not_feasible"``) instead of raising.

    Returns
    -------
    DistrictPlan
        Tables per block, school, district and level.

    Raises
    ------
    InfeasibleError
        When places are short; the message says where, by how much, and the fewest extra classes.
    """
    from geoplan.rules import PlanningRules

    rules = rules or PlanningRules()
    blocks, schools = _checked_blocks(blocks, schools)
    adjacency = rook_adjacency(blocks, gap_tolerance_m=gap_tolerance_m, min_shared_m=min_shared_m)
    groups = blocks["community"].to_numpy() if keep_communities else None
    block_out = gpd.GeoDataFrame(
        index=blocks.index.copy(), geometry=blocks.geometry.copy(), crs=blocks.crs
    )
    block_out.index.name = "id"
    school_frames = []
    districts = []
    indicators = []
    solutions: dict[str, DistrictSolution] = {}
    sources: dict[str, str] = {}
    for level in levels:
        li = _level_inputs(
            blocks,
            schools,
            adjacency,
            level=level,
            travel=travel,
            rules=rules,
            overrides=overrides,
            use_planned=use_planned,
            extra_classes=extra_classes,
            detour_factor=detour_factor,
        )
        limit_j = _per_level(max_journey_min, level)
        try:
            sol = solve_districts(
                li.demand,
                li.cost,
                li.classes_after * li.limit,
                adjacency,
                li.home,
                max_journey_min=limit_j,
                fixed=li.fixed,
                status_quo=li.status_quo,
                max_moved=_per_level(max_moved, level),
                groups=groups,
                method=method,
                time_limit_s=time_limit_s,
                mip_rel_gap=mip_rel_gap,
            )
        except InfeasibleError as err:
            diag = _diagnose_level(
                li, adjacency, groups=groups, max_journey_min=limit_j, time_limit_s=time_limit_s
            )
            raise InfeasibleError(f"{err}\n{diag.message}") from err
        if sol.status == "not_feasible":
            what = (
                f"The {LEVEL_NAMES[level]} {sol.method} search found no plan within capacity and "
                f"contiguity in {time_limit_s:g} s ({sol.over_capacity_pupils:,.0f} pupils over "
                "the class-size limit in its best plan)."
            )
            if allow_over_capacity:
                _logger.warning("%s Keeping that plan (allow_over_capacity=True).", what)
            else:
                diag = _diagnose_level(
                    li, adjacency, groups=groups, max_journey_min=limit_j, time_limit_s=time_limit_s
                )
                raise InfeasibleError(f"{what}\n{diag.message}")
        solutions[level] = sol
        sources[level] = li.cost_source
        _fill_blocks(block_out, li, sol)
        school_frames.append(_school_table(li, sol))
        districts.append(_district_table(blocks, li, sol, adjacency))
        indicators.append(_indicators(li, sol))
    school_table = _merge_school_tables(schools, school_frames)
    district_gdf = gpd.GeoDataFrame(pd.concat(districts), crs=blocks.crs)
    district_gdf.index.name = "id"
    ind = pd.DataFrame(indicators).set_index("level")
    return DistrictPlan(block_out, school_table, district_gdf, ind, solutions, sources)


def _per_level(value: float | Mapping[str, float] | None, level: str) -> float | None:
    if isinstance(value, Mapping):
        got = value.get(level)
        return None if got is None else float(got)
    return None if value is None else float(value)


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
    return {
        "level": li.level,
        "pupils": total,
        "mean_journey_min": float((pupils * journey).sum() / total) if total else float("nan"),
        "worst_journey_min": float(journey[pupils > 0].max()) if total else float("nan"),
        "share_nearest": float(pupils[nearest].sum() / total) if total else float("nan"),
        "pupils_moved": float(pupils[has & (li.status_quo != sol.assignment)].sum()),
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
    groups: Any,
    max_journey_min: float | None,
    time_limit_s: float,
    max_extra_classes: int = 20,
) -> CapacityDiagnosis:
    places = li.classes_after * li.limit
    rows = []
    for b, band in enumerate(li.bands):
        need, have = float(li.demand[:, b].sum()), float(places[:, b].sum())
        rows.append(
            {
                "id": f"{li.level}:{band}",
                "pupils": need,
                "places": have,
                "short": max(need - have, 0.0),
            }
        )
    shortages = pd.DataFrame(rows).set_index("id")
    extra = least_extra_classes(
        li.demand,
        li.cost,
        places,
        li.limit,
        adjacency,
        li.home,
        max_extra_classes=max_extra_classes,
        max_journey_min=max_journey_min,
        fixed=li.fixed,
        groups=groups,
        time_limit_s=time_limit_s,
    )
    extra_df = pd.DataFrame(
        extra, index=li.schools.index.copy(), columns=[f"extra_classes_{band}" for band in li.bands]
    )
    extra_df.index.name = "id"
    names = li.schools["name"] if "name" in li.schools.columns else li.schools.index.to_series()
    lines = []
    level_name = LEVEL_NAMES[li.level]
    short_total = float(shortages["short"].sum())
    if short_total > 0:
        lines.append(
            f"{level_name.capitalize()} places short by {short_total:,.0f} "
            f"(pupils {li.demand.sum():,.0f}, places {places.sum():,.0f})."
        )
    else:
        lines.append(
            f"{level_name.capitalize()} places suffice in total ({places.sum():,.0f} for "
            f"{li.demand.sum():,.0f} pupils) but not where the pupils live, within the journey "
            "limit and with contiguous districts."
        )
    for row in rows:
        if float(str(row["short"])) > 0:
            band = str(row["id"]).split(":")[1]
            lines.append(f"  grades {grade_label(band)}: short by {row['short']:,.0f}")
    per_school = extra.sum(axis=1)
    if per_school.sum() > 0:
        where = [f"{int(c)} at {names.iloc[j]}" for j, c in enumerate(per_school) if c > 0]
        joined = ", ".join(where)
        lines.append(f"{int(per_school.sum())} more classes would fit them: {joined}.")
    return CapacityDiagnosis(shortages, extra_df, "\n".join(lines))


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
    detour_factor: float = DETOUR_FACTOR,
) -> CapacityDiagnosis:
    """Places short per band, and the fewest extra classes per school that fit every pupil.

    Parameters
    ----------
    blocks, schools, travel, rules, overrides, keep_communities, use_planned, extra_classes
        As for :func:`plan_districts`.
    level
        ``"primary"`` or ``"middle"``.
    max_journey_min
        Longest journey allowed, minutes.
    max_extra_classes
        Most extra classes considered per school and band.
    time_limit_s
        Wall-time limit of the least-extra-classes MIP.
    gap_tolerance_m, min_shared_m, detour_factor
        As for :func:`plan_districts`.

    Returns
    -------
    CapacityDiagnosis
        Shortages, extra classes per school, and the message in a planner's words.
    """
    from geoplan.rules import PlanningRules

    rules = rules or PlanningRules()
    blocks, schools = _checked_blocks(blocks, schools)
    adjacency = rook_adjacency(blocks, gap_tolerance_m=gap_tolerance_m, min_shared_m=min_shared_m)
    li = _level_inputs(
        blocks,
        schools,
        adjacency,
        level=level,
        travel=travel,
        rules=rules,
        overrides=overrides,
        use_planned=use_planned,
        extra_classes=extra_classes,
        detour_factor=detour_factor,
    )
    groups = blocks["community"].to_numpy() if keep_communities else None
    return _diagnose_level(
        li,
        adjacency,
        groups=groups,
        max_journey_min=max_journey_min,
        time_limit_s=time_limit_s,
        max_extra_classes=max_extra_classes,
    )
