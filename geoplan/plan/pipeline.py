"""One plan end to end: travel matrices, today's journeys, restoration phases, districts.

:func:`make_plan` is the pipeline every run uses (``geoplan demo``, scenario runs, batches). It
only computes; writing files and drawing maps are the callers' business. Inputs are never
mutated; results are returned as one frozen :class:`PlanResult`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd

from geoplan.data.area import PlanningArea
from geoplan.data.problem_log import log_problem
from geoplan.errors import Problem, ScenarioError
from geoplan.models.districts import DistrictPlan, plan_districts, town_schools
from geoplan.network import roads, travel
from geoplan.network.modes import Closure
from geoplan.network.offsets import POINT_LAYERS, offset_problems
from geoplan.plan import demand, evaluate, restoration
from geoplan.plan.investments import InvestmentSettings
from geoplan.plan.restoration import RestorationPlan
from geoplan.plan.seasons import Season, check_seasons, season_metrics, season_minutes
from geoplan.plan.siting_plan import SitingSettings, plan_siting
from geoplan.plan.standards import Standards, default_standards
from geoplan.plan.ways import (
    WayJourneys,
    WaysPlan,
    WaysSettings,
    day_way_minutes,
    plan_ways,
    refuse_unknown_way_ids,
    way_journeys,
)
from geoplan.rules import BANDS, PlanningRules

__all__ = [
    "DEFAULT_BAND_MODES",
    "DEFAULT_BOARDERS_TRIP_MODE",
    "PlanResult",
    "PlanSettings",
    "destination_points",
    "load_network",
    "make_plan",
    "plan_metrics",
    "plan_schools",
    "town_districts",
    "travel_minutes",
    "weekly_trip_minutes",
]

_logger = logging.getLogger(__name__)

DEFAULT_BAND_MODES: dict[str, str] = {
    "g1_3": "child_walk",
    "g4_6": "pupil_walk",
    "g7_9": "school_bus",
}
"""Travel mode per grade band (planning rules): children walk, older pupils walk, middle bus."""

DEFAULT_BOARDERS_TRIP_MODE = "school_bus"
"""How boarders travel home once a week unless a scenario says otherwise."""


@dataclass(frozen=True)
class PlanSettings:
    """What a plan computes, and with which rules. Every field has a planner's default.

    Parameters
    ----------
    rules
        Planning rules (day limits, class sizes).
    band_modes
        Travel mode per grade band (names of :mod:`geoplan.network` presets).
    boarders_trip_mode
        How boarders travel home once a week (a vehicle mode): their weekly trip's minutes.
    closures
        Roads out of use (a winter pass, a broken bridge).
    closed_schools
        Ids of open schools to treat as closed in this plan.
    years
        Plan horizon in years (one phase a year).
    sites_per_phase
        Most teaching points restored per phase, e.g. ``(4, 4, 3, 3)``; ``None`` with a budget.
    budget_per_phase_yuan
        Most restoration spending per phase (yuan); ``None`` with sites per phase.
    restore
        Plan teaching-point restorations.
    siting
        Instead of phased restoration (``restore=False``), choose new teaching points with one
        location model (:class:`~geoplan.plan.siting_plan.SitingSettings`), as one phase.
    choose_closures
        Also choose the emptiest schools to close or merge (with the restoration plan, phase 1).
    districts
        Plan county-town school districts (needs a ``blocks`` layer).
    district_extra_classes
        Extra classes per school id and band a plan adds, e.g. ``{"S01": {"g1_3": 2}}``.
    use_planned_extension
        Count the schools' ``planned_classes_*`` in district capacity.
    district_time_limit_s
        Time limit of each district MIP.
    district_gap_tolerance_m
        Block boundaries closer than this touch, metres (digitising gaps; ~30 for street blocks).
    district_min_shared_m
        Shortest shared frontage making two blocks neighbours, metres (corners never count).
    district_add_pairs, district_remove_pairs
        Block id pairs made neighbours (a footbridge) or kept apart (a river with no bridge).
    district_islands
        Blocks touching no district of a level: ``"report"`` (name them and stop) or ``"join"``
        (join each to the district of the school it reaches first by road).
    district_max_pupils_moved
        Most pupils whose school changes from today's (blocks' ``school_primary`` /
        ``school_middle``), one value or one per level (``{"primary": 300, "middle": 150}``).
    district_max_journey_increase_min
        No pupil's journey rises more than this many minutes above today's (one or per level).
    district_stay_weight_min
        Minutes of journey a pupil may gain to keep today's school (one or per level).
    district_feeders
        Plan both levels jointly so every primary district lies inside one middle district
        (a nine-year school's inside its own).
    phasing_time_limit_s
        Time limit of the phasing MIP.
    seasons
        Seasons of the school year (:class:`~geoplan.plan.seasons.Season`): travel matrices,
        journeys and indicators per season and for the year; robust siting over them. Empty:
        one season, as the scenario's closures give.
    restoration_robust
        With seasons: the restoration phasing holds over them, ``"worst"``, ``"regret"`` or
        ``"expected"`` (a scenario's ``restoration: {robust: worst}``); ``None``: phased on the
        scenario's journeys.
    cache_dir
        Travel-matrix cache folder (default: :func:`geoplan.network.roads.default_cache_dir`).
    standards
        What each school should have and what it costs (:mod:`geoplan.plan.standards`), for the
        needs of every school (:mod:`geoplan.plan.needs`).
    investment
        Money per year for the needs, scheduled by :func:`geoplan.plan.investments.plan_investments`
        (``None``: no schedule); separate from ``budget_per_phase_yuan``.
    ways
        How pupils get to school (a scenario's ``ways:``, :class:`~geoplan.plan.ways.WaysSettings`):
        walk, bus, escorted or board, chosen by one MIP within seats, beds and places; today's
        journeys and the plan's are then the ways' (``PlanResult.ways_before`` / ``ways_after``).
        ``None``: every band by its travel mode and the boarding rule.
    """

    rules: PlanningRules = field(default_factory=PlanningRules)
    band_modes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_BAND_MODES))
    boarders_trip_mode: str = DEFAULT_BOARDERS_TRIP_MODE
    closures: tuple[Closure, ...] = ()
    closed_schools: tuple[str, ...] = ()
    years: int = 4
    sites_per_phase: tuple[int, ...] | None = (4, 4, 3, 3)
    budget_per_phase_yuan: tuple[float, ...] | None = None
    restore: bool = True
    siting: SitingSettings | None = None
    choose_closures: bool = False
    districts: bool = True
    district_extra_classes: Mapping[str, Mapping[str, int]] | None = None
    use_planned_extension: bool = True
    district_time_limit_s: float = 30.0
    district_gap_tolerance_m: float = 2.0
    district_min_shared_m: float = 10.0
    district_add_pairs: tuple[tuple[str, str], ...] = ()
    district_remove_pairs: tuple[tuple[str, str], ...] = ()
    district_islands: str = "report"
    district_max_pupils_moved: float | Mapping[str, float] | None = None
    district_max_journey_increase_min: float | Mapping[str, float] | None = None
    district_stay_weight_min: float | Mapping[str, float] | None = None
    district_feeders: bool = False
    phasing_time_limit_s: float = 30.0
    seasons: tuple[Season, ...] = ()
    restoration_robust: str | None = None
    cache_dir: Path | None = None
    standards: Standards = field(default_factory=default_standards)
    investment: InvestmentSettings | None = None
    ways: WaysSettings | None = None


@dataclass(frozen=True)
class PlanResult:
    """Everything a plan computed, as data aligned to the input ids.

    Parameters
    ----------
    area
        The planning area the plan is for.
    settings
        The settings it was made with.
    schools
        The schools of the plan (closures applied: ``status`` closed).
    minutes
        Per band, one-way minutes villages (rows) × schools and sites (columns).
    before
        Today's assignment per village and band (:func:`geoplan.evaluate.assign_pupils`).
    restoration
        The restoration plan (scorecard, phases, after, unserved), or ``None``.
    districts
        The county-town district plan, or ``None``.
    projection
        Pupils per village, band and year.
    metrics
        Headline indicators (numbers a comparison table shows).
    seconds
        Wall time per step.
    season_minutes
        With seasons: per season, the minutes per band (as ``minutes``).
    season_before, season_after
        With seasons: per season, today's assignment and the plan's (as ``before``/``after``).
    ways_before, ways_after
        With ``ways:``: how pupils get to school today and after the plan
        (:class:`~geoplan.plan.ways.WaysPlan`); ``before`` and ``after`` are then their
        assignments.
    warnings
        Warnings found while planning, also logged (undeclared GCJ-02 or BD-09 layers,
        ``coordinates_look_gcj02``, ``coordinates_look_bd09``, ``townships_look_gcj02``,
        ``townships_look_bd09``; restored sites needing more classes than they can run,
        ``restored_over_classes``; the districts' :attr:`DistrictPlan.warnings`, such as a
        school off the block map, ``districts_school_off_map``, or a level answered with extra
        classes); the reading's are ``area.warnings``.
    """

    area: PlanningArea
    settings: PlanSettings
    schools: gpd.GeoDataFrame
    minutes: dict[str, pd.DataFrame]
    before: pd.DataFrame
    restoration: RestorationPlan | None
    districts: DistrictPlan | None
    projection: pd.DataFrame
    metrics: dict[str, Any]
    seconds: dict[str, float]
    season_minutes: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)
    season_before: dict[str, pd.DataFrame] = field(default_factory=dict)
    season_after: dict[str, pd.DataFrame] = field(default_factory=dict)
    ways_before: WaysPlan | None = None
    ways_after: WaysPlan | None = None
    warnings: tuple[Problem, ...] = ()

    @property
    def after(self) -> pd.DataFrame:
        """The assignment after the plan (today's when nothing is restored)."""
        return self.before if self.restoration is None else self.restoration.after


def plan_schools(area: PlanningArea, settings: PlanSettings) -> gpd.GeoDataFrame:
    """The schools layer with the plan's closures applied (a copy)."""
    schools = area.schools.copy()
    unknown = sorted(set(settings.closed_schools) - set(schools.index))
    if unknown:
        msg = (
            f"closed_schools names unknown school id(s) {unknown}. "
            f"Fix: use ids of the schools layer, e.g. {list(schools.index[:3])}."
        )
        raise ScenarioError(msg)
    schools.loc[list(settings.closed_schools), "status"] = "closed"
    return schools


def destination_points(schools: gpd.GeoDataFrame, sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Schools and candidate sites as one point layer (sites as closed teaching points)."""
    table = restoration.destinations(schools, sites)
    geometry = pd.concat([schools.geometry, sites.geometry]).loc[table.index]
    return gpd.GeoDataFrame(table, geometry=geometry.values, crs=schools.crs)


def travel_minutes(
    graph: nx.MultiDiGraph,
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    settings: PlanSettings,
) -> dict[str, pd.DataFrame]:
    """Minutes per band from ``origins`` to ``targets`` by each band's travel mode.

    Bands sharing a mode share one matrix (computed once, cached on disk).
    """
    by_mode: dict[str, pd.DataFrame] = {}
    out: dict[str, pd.DataFrame] = {}
    for band in BANDS:
        mode = settings.band_modes[band]
        if mode not in by_mode:
            by_mode[mode] = _mode_minutes(graph, origins, targets, mode, settings)
        out[band] = by_mode[mode]
    return out


def _mode_minutes(
    graph: nx.MultiDiGraph,
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    mode: str,
    settings: PlanSettings,
) -> pd.DataFrame:
    """Minutes from ``origins`` to ``targets`` by ``mode``, with the plan's closures and cache."""
    matrix = travel.travel_matrix(
        graph,
        origins,
        targets,
        mode=mode,
        closures=settings.closures,
        cache_dir=settings.cache_dir,
    )
    return matrix.minutes_frame().astype("float64")


def weekly_trip_minutes(
    graph: nx.MultiDiGraph,
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    settings: PlanSettings,
    *,
    minutes: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Minutes from ``origins`` to ``targets`` by the boarders' trip mode (their weekly trip).

    Reuses a band's table of ``minutes`` when that band travels by the same mode.
    """
    mode = settings.boarders_trip_mode
    for band in BANDS:
        if minutes is not None and band in minutes and settings.band_modes[band] == mode:
            return minutes[band]
    return _mode_minutes(graph, origins, targets, mode, settings)


def load_network(area: PlanningArea) -> nx.MultiDiGraph:
    """The road graph of ``area``, projected to its CRS.

    Raises
    ------
    MissingInputError
        When the area has no road file (``area_no_roads``, en + zh).
    """
    return roads.load_graph(travel._roads_path(area), to_crs=area.crs)


def town_districts(
    area: PlanningArea,
    schools: gpd.GeoDataFrame,
    graph: nx.MultiDiGraph,
    settings: PlanSettings,
) -> DistrictPlan:
    """County-town districts: blocks to the open schools within 2 km of the blocks.

    When today's schools cannot hold the town, the plan is still an answer: the diagnosis
    (shortage per band, least extra classes per school) and the best plan with the overflow in
    oversized classes (``DistrictPlan.diagnoses``).
    """
    in_town = town_schools(area.blocks, schools)
    block_points = gpd.GeoDataFrame(
        area.blocks.drop(columns="geometry"),
        geometry=area.blocks.geometry.representative_point(),
        crs=area.crs,
    )
    block_travel = travel.travel_matrix(
        graph,
        block_points,
        in_town,
        mode=settings.band_modes["g4_6"],
        closures=settings.closures,
        cache_dir=settings.cache_dir,
        origins_label="blocks",
        destinations_label="schools",
    )
    return plan_districts(
        area.blocks,
        in_town,
        travel=block_travel,
        rules=settings.rules,
        use_planned=settings.use_planned_extension,
        extra_classes=settings.district_extra_classes,
        time_limit_s=settings.district_time_limit_s,
        gap_tolerance_m=settings.district_gap_tolerance_m,
        min_shared_m=settings.district_min_shared_m,
        add_pairs=settings.district_add_pairs,
        remove_pairs=settings.district_remove_pairs,
        islands=settings.district_islands,
        max_moved=settings.district_max_pupils_moved,
        max_journey_increase_min=settings.district_max_journey_increase_min,
        stay_weight_min=settings.district_stay_weight_min,
        feeders=settings.district_feeders,
        allow_over_capacity=True,
        files=area.files,
    )


def make_plan(
    area: PlanningArea,
    *,
    graph: nx.MultiDiGraph | None = None,
    settings: PlanSettings | None = None,
) -> PlanResult:
    """Compute one plan for ``area``: journeys today, restorations by phase, districts.

    Parameters
    ----------
    area
        The planning area (with a road network file, or give ``graph``).
    graph
        The road graph; default: loaded from ``area.roads_path``.
    settings
        What to plan; defaults to :class:`PlanSettings`.

    Returns
    -------
    PlanResult
        Every table of the plan and its headline metrics.
    """
    settings = settings or PlanSettings()
    rules = settings.rules
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    graph = load_network(area) if graph is None else graph
    travel.check_roads_reach(graph, area.villages, county=area.townships)
    offset_layers = {layer: area.layer(layer) for layer in (*POINT_LAYERS, "townships")}
    warnings = tuple(
        offset_problems(
            graph,
            offset_layers,
            files=area.files,
            declared=area.coordinates,
            columns_file=area.columns_file,
        )
    )
    for problem in warnings:
        log_problem(_logger, problem)
    seconds["network"] = time.perf_counter() - clock

    clock = time.perf_counter()
    schools = plan_schools(area, settings)
    dest = destination_points(schools, area.sites)
    minutes = travel_minutes(graph, area.villages, dest, settings)
    by_season: dict[str, dict[str, pd.DataFrame]] = {}
    if settings.seasons:
        check_seasons(settings.seasons)
        by_season = season_minutes(
            graph,
            area.villages,
            dest,
            band_modes=settings.band_modes,
            closures=settings.closures,
            seasons=settings.seasons,
            cache_dir=settings.cache_dir,
        )
    trips = weekly_trip_minutes(graph, area.villages, dest, settings, minutes=minutes)
    way_trips: WayJourneys | None = None
    plan_minutes: Mapping[str, pd.DataFrame] = minutes
    if settings.ways is not None:  # sites are scored, phased and sited under the ways
        way_trips = _way_journeys(area, settings, graph, dest, minutes=minutes)
        plan_minutes = day_way_minutes(
            area.villages, schools, area.sites, way_trips, settings=settings.ways, rules=rules
        )
    seconds["travel"] = time.perf_counter() - clock

    clock = time.perf_counter()
    projection = demand.project_pupils(area.villages, years=settings.years)
    modes = dict(settings.band_modes)
    trip_mode = settings.boarders_trip_mode
    before = evaluate.assign_pupils(
        area.villages,
        minutes,
        dest,
        rules=rules,
        modes=modes,
        trip_minutes=trips,
        trip_mode=trip_mode,
    )
    plan = None
    if settings.siting is not None and settings.restore:
        msg = (
            "PlanSettings.siting and PlanSettings.restore are exclusive: a plan chooses its "
            "teaching points either by one location model or by phased restoration. "
            "Fix: set restore=False with siting, or siting=None."
        )
        raise ScenarioError(msg)
    if settings.siting is not None and len(area.sites):
        plan = plan_siting(
            area.villages,
            plan_minutes,
            schools,
            area.sites,
            settings=settings.siting,
            rules=rules,
            season_minutes=by_season or None,
            months={s.name: s.months for s in settings.seasons} or None,
            modes=modes,
            trip_minutes=trips,
            trip_mode=trip_mode,
        )
    elif settings.restore and len(area.sites):
        plan = restoration.plan_restoration(
            area.villages,
            plan_minutes,
            schools,
            area.sites,
            projection=projection,
            sites_per_phase=settings.sites_per_phase,
            budget_per_phase=settings.budget_per_phase_yuan,
            closures=settings.choose_closures,
            time_limit_s=settings.phasing_time_limit_s,
            rules=rules,
            season_minutes=by_season or None,
            robust=settings.restoration_robust,
            months={s.name: s.months for s in settings.seasons} or None,
            modes=modes,
            trip_minutes=trips,
            trip_mode=trip_mode,
        )
        if plan.closures is not None and len(plan.closures.closed):
            schools.loc[[str(s) for s in plan.closures.closed.index], "status"] = "closed"
    if by_season and plan is not None:
        plan = _season_scorecard(area, settings, plan, by_season)
    if plan is not None:
        over = restoration.over_class_problems(
            plan.restored, rules.teaching_point_class_size_limit, file=area.files.get("sites", "")
        )
        for problem in over:
            log_problem(_logger, problem)
        warnings += tuple(over)
    seconds["restoration"] = time.perf_counter() - clock

    ways_before = ways_after = None
    if settings.ways is not None and way_trips is not None:
        clock = time.perf_counter()
        ways_before, ways_after, plan = _plan_ways(area, settings, way_trips, dest, schools, plan)
        before = ways_before.assignment
        seconds["ways"] = time.perf_counter() - clock

    clock = time.perf_counter()
    districts = (
        town_districts(area, schools, graph, settings)
        if settings.districts and len(area.blocks)
        else None
    )
    if districts is not None:  # logged by plan_districts, where they were found
        warnings += districts.warnings
    seconds["districts"] = time.perf_counter() - clock

    after = before if plan is None else plan.after
    restored = [] if plan is None else [str(s) for s in plan.restored.index]
    metrics = plan_metrics(
        before=before,
        after=after,
        area=area,
        restored=restored,
        districts=districts,
        schools=schools,
    )
    for label, got in (("before", ways_before), ("after", ways_after)):
        if got is not None:
            metrics.update({f"{label}_{key}": value for key, value in got.metrics().items()})
    season_before: dict[str, pd.DataFrame] = {}
    season_after: dict[str, pd.DataFrame] = {}
    if by_season:
        dest_now = destination_points(schools, area.sites)
        open_ids = [str(s) for s in dest_now.index[dest_now["status"] == "open"]] + restored
        for name, mins in by_season.items():
            journeys: dict[str, Any] = {
                "modes": modes,
                "trip_minutes": next(
                    (mins[b] for b in BANDS if settings.band_modes[b] == trip_mode), trips
                ),
                "trip_mode": trip_mode,
            }
            season_before[name] = evaluate.assign_pupils(
                area.villages, mins, dest, rules=rules, **journeys
            )
            season_after[name] = evaluate.assign_pupils(
                area.villages, mins, dest_now, open_ids=open_ids, rules=rules, **journeys
            )

        def of_season(name: str) -> dict[str, Any]:
            got = plan_metrics(
                before=season_before[name],
                after=season_after[name],
                area=area,
                restored=restored,
                districts=None,
                schools=schools,
            )
            return {k: v for k, v in got.items() if k.startswith(("before_", "after_"))}

        metrics.update(season_metrics(settings.seasons, of_season))
        phasing = None if plan is None else plan.phasing
        if phasing is not None and phasing.season_pupil_years:
            metrics["restoration_robust"] = phasing.robust
            for name, value in phasing.season_pupil_years.items():
                metrics[f"{name}_phasing_pupil_years"] = round(float(value), 3)
    return PlanResult(
        area=area,
        settings=settings,
        schools=schools,
        minutes=minutes,
        before=before,
        restoration=plan,
        districts=districts,
        projection=projection,
        metrics=metrics,
        seconds=seconds,
        season_minutes=by_season,
        season_before=season_before,
        season_after=season_after,
        ways_before=ways_before,
        ways_after=ways_after,
        warnings=warnings,
    )


def _way_journeys(
    area: PlanningArea,
    settings: PlanSettings,
    graph: nx.MultiDiGraph,
    dest: gpd.GeoDataFrame,
    *,
    minutes: Mapping[str, pd.DataFrame],
) -> WayJourneys:
    """The journeys of every way, once the scenario's ``ways:`` ids are checked."""
    ways = settings.ways
    assert ways is not None
    refuse_unknown_way_ids(ways, townships=area.townships.index, schools=area.schools.index)
    return way_journeys(
        graph,
        area.villages,
        dest,
        settings=ways,
        band_modes=settings.band_modes,
        trip_mode=settings.boarders_trip_mode,
        closures=settings.closures,
        cache_dir=settings.cache_dir,
        minutes=minutes,
    )


def _plan_ways(
    area: PlanningArea,
    settings: PlanSettings,
    journeys: WayJourneys,
    dest: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    plan: RestorationPlan | None,
) -> tuple[WaysPlan, WaysPlan, RestorationPlan | None]:
    """How pupils get to school today and after the plan; the plan's tables under the ways."""
    ways = settings.ways
    assert ways is not None
    today = plan_schools(area, settings)
    common: dict[str, Any] = {
        "settings": ways,
        "rules": settings.rules,
        "band_modes": settings.band_modes,
        "trip_mode": settings.boarders_trip_mode,
    }
    before = plan_ways(area.villages, today, area.sites, journeys, **common)
    if plan is None:
        return before, before, None
    restored = [str(s) for s in plan.restored.index]
    open_now = [str(s) for s in schools.index[schools["status"] == "open"]] + restored
    after = plan_ways(area.villages, schools, area.sites, journeys, open_ids=open_now, **common)
    dest_now = destination_points(schools, area.sites)
    rules = settings.rules
    plan = replace(
        plan,
        before=before.assignment,
        after=after.assignment,
        townships_before=evaluate.township_indicators(before.assignment, dest, rules=rules),
        townships=evaluate.township_indicators(
            after.assignment,
            dest_now,
            cost_by_township=plan.townships["cost_yuan"],
            rules=rules,
        ),
        unserved=evaluate.unserved_villages(after.assignment, rules=rules),
    )
    return before, after, plan


def _season_scorecard(
    area: PlanningArea,
    settings: PlanSettings,
    plan: RestorationPlan,
    by_season: Mapping[str, Mapping[str, pd.DataFrame]],
) -> RestorationPlan:
    """The scorecard with each site's value in every season.

    Columns ``<season>_young_brought_within`` and ``<season>_pupil_minutes_saved_per_day``: the
    site restored on its own, with today's pupils.
    """
    young = area.villages["pupils_g1_3"].astype("float64")
    today = plan_schools(area, settings)
    extra: dict[str, pd.Series] = {}
    for name, mins in by_season.items():
        card = restoration.score_sites(young, mins["g1_3"], today, area.sites, rules=settings.rules)
        for col in ("young_brought_within", "pupil_minutes_saved_per_day"):
            extra[f"{name}_{col}"] = card[col]
    return replace(plan, scorecard=plan.scorecard.assign(**extra))


def plan_metrics(
    *,
    before: pd.DataFrame,
    after: pd.DataFrame,
    area: PlanningArea,
    restored: list[str],
    districts: DistrictPlan | None,
    schools: pd.DataFrame,
) -> dict[str, Any]:
    """Headline indicators of a plan, the numbers a comparison table shows side by side.

    Every key is defined in ``docs/indicators.md``: per state (``before``: today, ``after``: after
    the plan) and band the pupils of each kind and their journeys (:func:`geoplan.plan.evaluate.
    journey_figures`), the totals of each kind, then the restoration and the districts.
    """
    out: dict[str, Any] = {}
    for label, table in (("before", before), ("after", after)):
        figures = evaluate.journey_figures(table)
        for band in BANDS:
            row = figures.loc[band] if band in figures.index else None
            for name in figures.columns:
                value = None if row is None else row[name]
                key = f"{label}_{evaluate.band_figure(name, band)}"
                if name in evaluate.COUNT_FIGURES:
                    out[key] = round(float(value or 0.0))
                else:
                    out[key] = None if value is None or pd.isna(value) else round(float(value), 3)
        for kind in ("day_pupils", "boarders", "unserved"):
            out[f"{label}_{kind}"] = round(float(figures[kind].sum()))
        young = table.xs("g1_3", level="band")
        out[f"{label}_beyond_day_limit_g1_3"] = int(
            young.loc[~young["within_limit"], "pupils"].sum()
        )
    out["sites_restored"] = len(restored)
    out["restoration_cost_yuan"] = float(area.sites.loc[restored, "restore_cost_yuan"].sum())
    out["schools_closed"] = int(
        ((schools["status"] == "closed") & (area.schools["status"] == "open")).sum()
    )
    if districts is not None:
        sch = districts.schools
        for col in ("oversized_before", "oversized_after"):
            if col in sch:
                out[f"districts_{col}"] = int(sch[col].sum())
        ind = districts.indicators
        names = {
            "pupils_moved": "pupils_moved",
            "share_kept": "share_kept",
            "mean_journey_min": "day_mean_journey_min",
            "worst_journey_min": "day_longest_journey_min",
            "gap": "solver_gap",
            "over_capacity_pupils": "over_capacity_pupils",
            "extra_classes_needed": "extra_classes_needed",
        }
        for level in ind.index if hasattr(ind, "index") else []:
            for key, name in names.items():
                if key in ind.columns:
                    value = ind.loc[level, key]
                    out[f"districts_{level}_{name}"] = None if pd.isna(value) else float(value)
        for level, diag in districts.diagnoses.items():
            out[f"districts_{level}_short_pupils"] = float(diag.shortages["short"].sum())
    return out
