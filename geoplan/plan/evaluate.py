"""Shared indicators: who goes where, how far, who boards or is unserved; villages and townships.

The core works on plain tables: pupils per village and band, and per band a villages ×
destinations table of one-way minutes (``TravelMatrix.minutes`` as a DataFrame). Every pupil goes
to the nearest open school teaching the band. A pupil whose journey exceeds the band's day limit
boards if that school has boarding beds, otherwise is unserved; grades 1-3 beyond the limit are
also counted apart (policy says they should not board).

Three kinds of pupil are counted apart everywhere (:data:`STATUSES`): *day pupils* travel daily
by their band's mode, so their one-way journey is a daily journey; *boarders* go home once a
week, by the boarders' trip mode (a vehicle), so their journey is a weekly trip; *unserved*
pupils have no school they can reach within the day limit nor a bed. :func:`journey_figures`
reports the two kinds of journey apart and never a boarder's walking time (``docs/indicators.md``
defines every figure).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

from geoplan.data.area import ID_INDEX
from geoplan.data.messages import coded_problem
from geoplan.errors import Problem, ValidationError
from geoplan.rules import BANDS, PlanningRules, bands_taught, teaches

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "COUNT_FIGURES",
    "DAY_FIGURES",
    "STATUSES",
    "TRIP_FIGURES",
    "VILLAGE_COLUMNS",
    "assign_pupils",
    "band_figure",
    "journey_figures",
    "school_load",
    "township_indicators",
    "unserved_villages",
    "village_journeys",
    "weighted_quantile",
]

_logger = logging.getLogger(__name__)

STATUSES: tuple[str, ...] = ("day", "boards", "unserved")
"""Status of a village's pupils of one band: day pupils, boarders, unserved."""

ASSIGNMENT_COLUMNS: tuple[str, ...] = (
    "township",
    "pupils",
    "school",
    "mode",
    "journey_min",
    "within_limit",
    "status",
    "day_journey_min",
    "weekly_trip_min",
)
"""Columns of :func:`assign_pupils`. ``journey_min`` (by the band's mode, whatever the status)
is the rule's input and stays inside the library; planners see :data:`VILLAGE_COLUMNS`."""

VILLAGE_COLUMNS: tuple[str, ...] = (
    "township",
    "pupils",
    "school",
    "status",
    "mode",
    "day_journey_min",
    "weekly_trip_min",
)
"""Columns of :func:`village_journeys`, the village rows planners see (tables, GeoPackage)."""

COUNT_FIGURES: tuple[str, ...] = ("pupils", "day_pupils", "boarders", "unserved")
"""Pupil counts of :func:`journey_figures`: all pupils and each of the three kinds."""

DAY_FIGURES: tuple[str, ...] = (
    "day_mean_journey_min",
    "day_median_journey_min",
    "day_p90_journey_min",
    "day_longest_journey_min",
)
"""Daily one-way journeys of day pupils only (pupil-weighted), in :func:`journey_figures`."""

TRIP_FIGURES: tuple[str, ...] = ("boarder_mean_weekly_trip_min", "boarder_longest_weekly_trip_min")
"""Boarders' weekly one-way trip home by the boarders' trip mode, in :func:`journey_figures`."""


def _teaches(schools: pd.DataFrame, band: str) -> np.ndarray:
    return teaches(schools["kind"], band)


def _check_inputs(
    villages: pd.DataFrame, minutes: Mapping[str, pd.DataFrame], schools: pd.DataFrame
) -> None:
    problems: list[Problem] = []
    for band in BANDS:
        col = f"pupils_{band}"
        if col not in villages.columns:
            problems.append(
                coded_problem("input_column_missing", "", "villages", "", col, "", column=col)
            )
        if band not in minutes:
            problems.append(coded_problem("minutes_band_missing", "", "travel", "", band, ""))
            continue
        table = minutes[band]
        missing_rows = villages.index.difference(table.index)
        if len(missing_rows):
            problems.append(
                coded_problem(
                    "minutes_villages_missing",
                    "",
                    "travel",
                    str(missing_rows[0]),
                    band,
                    "",
                    count=len(missing_rows),
                )
            )
        if "kind" not in schools.columns:
            continue
        missing_cols = schools.index[_teaches(schools, band)].difference(table.columns)
        if len(missing_cols):
            problems.append(
                coded_problem(
                    "minutes_schools_missing",
                    "",
                    "travel",
                    str(missing_cols[0]),
                    band,
                    "",
                    count=len(missing_cols),
                )
            )
    if "kind" not in schools.columns:
        problems.append(
            coded_problem("input_column_missing", "", "schools", "", "kind", "", column="kind")
        )
    if problems:
        raise ValidationError(problems)


def _choose_schools(
    mins: np.ndarray, has_beds: np.ndarray, limit: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each village's school: the nearest within the day limit, else the nearest with beds.

    A pupil beyond the day limit of every school boards, so goes to the nearest school that has
    beds; with no reachable school with beds, the nearest school (the pupil is unserved).

    Returns
    -------
    tuple of numpy.ndarray
        Column index of the chosen school and its journey (``inf`` when none is reachable).
    """
    n = len(mins)
    if not mins.shape[1]:
        return np.zeros(n, dtype=int), np.full(n, np.inf)
    nearest = mins.argmin(axis=1)
    nearest_min = mins[np.arange(n), nearest]
    boarding = np.where(has_beds[None, :], mins, np.inf)
    nearest_beds = boarding.argmin(axis=1)
    beds_min = boarding[np.arange(n), nearest_beds]
    board = (nearest_min > limit) & np.isfinite(beds_min)
    best = np.where(board, nearest_beds, nearest)
    return best, np.where(board, beds_min, nearest_min)


def _minutes_table(table: Any) -> pd.DataFrame:
    """A minutes DataFrame; a ``TravelMatrix`` (dense or sparse) becomes its minutes frame."""
    if isinstance(table, pd.DataFrame):
        return table
    frame = getattr(table, "minutes_frame", None)
    if callable(frame):
        out: pd.DataFrame = frame().astype("float64")
        return out
    return pd.DataFrame(table)


def _trips(trip_minutes: pd.DataFrame | None, ids: pd.Index, school: np.ndarray) -> np.ndarray:
    """Minutes by the trip mode from each village to its school (``nan`` if none or unknown)."""
    out = np.full(len(ids), np.nan)
    if trip_minutes is None:
        return out
    table = trip_minutes.reindex(index=ids)
    cols = {str(c): k for k, c in enumerate(table.columns)}
    values = table.to_numpy(dtype="float64")
    for i, sid in enumerate(school):
        k = cols.get(str(sid)) if sid is not None else None
        if k is not None and np.isfinite(values[i, k]):
            out[i] = values[i, k]
    return out


def assign_pupils(
    villages: pd.DataFrame,
    minutes: Mapping[str, Any],
    schools: pd.DataFrame,
    *,
    open_ids: Collection[str] | None = None,
    rules: PlanningRules | None = None,
    modes: Mapping[str, str] | None = None,
    trip_minutes: Any = None,
    trip_mode: str | None = None,
) -> pd.DataFrame:
    """Send every village's pupils of each band to an open school teaching the band.

    The nearest school when it is within the band's day limit (a day pupil); otherwise the
    nearest school with boarding beds (a boarder); with none reachable, the nearest school (the
    pupils are unserved there).

    Parameters
    ----------
    villages
        Villages indexed by id with ``pupils_g1_3``, ``pupils_g4_6``, ``pupils_g7_9`` and
        optionally ``township``.
    minutes
        Per band, one-way minutes from villages (rows) to schools and sites (columns); ``nan`` or
        ``inf`` where unreachable: DataFrames, or ``TravelMatrix`` objects (dense or sparse).
    schools
        Destinations indexed by id with ``kind`` and optionally ``boarding_beds`` and ``status``.
        Restored teaching points are rows of kind ``teaching_point``.
    open_ids
        Destinations that are open; default: ``status == "open"`` (or all without ``status``).
    rules
        Planning rules (day limits); defaults to :class:`PlanningRules`.
    modes
        Travel mode name per band (e.g. ``child_walk``), recorded in ``mode``; ``None``: blank.
    trip_minutes
        One-way minutes by the boarders' trip mode, villages × destinations (a DataFrame or a
        ``TravelMatrix``): a boarder's ``weekly_trip_min``. ``None``: no weekly trips (blank).
    trip_mode
        Name of the boarders' trip mode, recorded in a boarder's ``mode``.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``id``, ``band``), columns :data:`ASSIGNMENT_COLUMNS`: the assigned school
        (``None`` if no open school is reachable), ``mode`` (the band's mode; a boarder's: the
        trip mode), ``journey_min`` (one-way, by the band's mode), whether it is within the day
        limit, ``status`` ``day`` / ``boards`` / ``unserved``, ``day_journey_min`` (day pupils
        only: the daily one-way journey) and ``weekly_trip_min`` (boarders only: the one-way
        trip home by the trip mode; blank where that mode cannot reach the school).
    """
    rules = rules or PlanningRules()
    minutes = {band: _minutes_table(table) for band, table in minutes.items()}
    trip_minutes = None if trip_minutes is None else _minutes_table(trip_minutes)
    _check_inputs(villages, minutes, schools)
    if open_ids is None:
        is_open = (
            (schools["status"] == "open").to_numpy()
            if "status" in schools.columns
            else np.ones(len(schools), dtype=bool)
        )
    else:
        is_open = schools.index.isin(list(open_ids))
    beds = (
        schools["boarding_beds"].fillna(0).to_numpy(dtype="float64")
        if "boarding_beds" in schools.columns
        else np.zeros(len(schools))
    )
    township = (
        villages["township"].astype(str).to_numpy()
        if "township" in villages.columns
        else np.full(len(villages), "", dtype=object)
    )
    parts = []
    for band in BANDS:
        usable = is_open & _teaches(schools, band)
        ids = schools.index[usable]
        table = minutes[band].reindex(index=villages.index, columns=ids)
        mins = table.to_numpy(dtype="float64")
        mins = np.where(np.isfinite(mins), mins, np.inf)
        limit = rules.day_limit_min[band]
        best, journey = _choose_schools(mins, beds[usable] > 0, limit)
        reachable = np.isfinite(journey)
        school = np.where(
            reachable, np.asarray(ids, dtype=object)[best] if len(ids) else None, None
        )
        within = reachable & (journey <= limit)
        has_beds = np.where(reachable, beds[usable][best] > 0 if len(ids) else False, False)
        status = np.where(within, "day", np.where(reachable & has_beds, "boards", "unserved"))
        boards = status == "boards"
        band_mode = None if modes is None else modes.get(band)
        parts.append(
            pd.DataFrame(
                {
                    ID_INDEX: villages.index.astype(str),
                    "band": band,
                    "township": township,
                    "pupils": villages[f"pupils_{band}"].to_numpy(dtype="float64"),
                    "school": school,
                    "mode": np.array([trip_mode if b else band_mode for b in boards], dtype=object),
                    "journey_min": np.where(reachable, journey, np.nan),
                    "within_limit": within,
                    "status": status,
                    "day_journey_min": np.where(within, journey, np.nan),
                    "weekly_trip_min": np.where(
                        boards, _trips(trip_minutes, villages.index, np.asarray(school)), np.nan
                    ),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True).set_index([ID_INDEX, "band"])
    return out.sort_index(level=ID_INDEX, sort_remaining=False)


def school_load(
    assignment: pd.DataFrame, schools: pd.DataFrame, *, rules: PlanningRules | None = None
) -> pd.DataFrame:
    """Enrolment, classes and teachers needed per school under an assignment.

    Teaching points run multi-grade classes (``ceil(pupils / 30)``); other schools need classes per
    band. A school needs at least one teacher per class and one per ``pupils_per_teacher``
    pupils.

    Parameters
    ----------
    assignment
        Result of :func:`assign_pupils`.
    schools
        Destinations indexed by id with ``kind`` and optionally ``class_size_limit``.
    rules
        Planning rules; defaults to :class:`PlanningRules`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``schools``: ``enrolment_g1_3`` ... ``enrolment_g7_9``, ``boarders``,
        ``classes_needed``, ``teachers_needed``.
    """
    rules = rules or PlanningRules()
    served = assignment[assignment["status"] != "unserved"].reset_index()
    enrol = served.pivot_table(
        index="school", columns="band", values="pupils", aggfunc="sum", fill_value=0.0
    ).reindex(index=schools.index, columns=list(BANDS), fill_value=0.0)
    enrol = enrol.fillna(0.0)
    boarders = (
        served[served["status"] == "boards"]
        .groupby("school")["pupils"]
        .sum()
        .reindex(schools.index, fill_value=0.0)
    )
    out = pd.DataFrame(index=schools.index)
    for band in BANDS:
        out[f"enrolment_{band}"] = enrol[band].to_numpy()
    out["boarders"] = boarders.to_numpy()
    enrol_arr = np.round(enrol.to_numpy(dtype="float64"), 6)
    limits = rules.school_limits(schools)
    classes = []
    for i, kind in enumerate(schools["kind"].astype(str)):
        if kind == "teaching_point":  # multi-grade classes: every pupil counts together
            classes.append(math.ceil(float(enrol_arr[i].sum()) / limits[i, 0]))
            continue
        total = 0
        for band in bands_taught(kind):
            b = BANDS.index(band)
            total += math.ceil(float(enrol_arr[i, b]) / limits[i, b])
        classes.append(total)
    out["classes_needed"] = np.array(classes, dtype="int64")
    out["teachers_needed"] = rules.teachers_needed(
        enrol.sum(axis=1).to_numpy(), out["classes_needed"].to_numpy()
    )
    return out


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value at or below which at least ``q`` of the weight lies (``nan`` if none).

    With pupils as weights this is the journey of a real village: the median (``q = 0.5``) is
    the journey half the pupils do not exceed; the 90th percentile (``q = 0.9``) the journey nine
    pupils in ten do not exceed. Zero weights and ``nan`` values are left out.
    """
    v = np.asarray(values, dtype="float64")
    w = np.asarray(weights, dtype="float64")
    ok = np.isfinite(v) & (w > 0)
    if not ok.any():
        return math.nan
    order = np.argsort(v[ok], kind="stable")
    v, w = v[ok][order], w[ok][order]
    cum = np.cumsum(w)
    k = int(np.searchsorted(cum, q * cum[-1] - 1e-9 * cum[-1], side="left"))
    return float(v[min(k, len(v) - 1)])


def _figures(part: pd.DataFrame) -> dict[str, float]:
    """Counts and journey figures of one group of assignment rows (one band)."""
    pupils = part["pupils"].to_numpy(dtype="float64")
    status = part["status"].to_numpy()
    out = {
        "pupils": float(pupils.sum()),
        "day_pupils": float(pupils[status == "day"].sum()),
        "boarders": float(pupils[status == "boards"].sum()),
        "unserved": float(pupils[status == "unserved"].sum()),
    }
    day = part["day_journey_min"].to_numpy(dtype="float64")
    ok = (status == "day") & np.isfinite(day) & (pupils > 0)
    w, d = pupils[ok], day[ok]
    out["day_mean_journey_min"] = float((d * w).sum() / w.sum()) if ok.any() else math.nan
    out["day_median_journey_min"] = weighted_quantile(d, w, 0.5)
    out["day_p90_journey_min"] = weighted_quantile(d, w, 0.9)
    out["day_longest_journey_min"] = float(d.max()) if ok.any() else math.nan
    trip = part["weekly_trip_min"].to_numpy(dtype="float64")
    ok = (status == "boards") & np.isfinite(trip) & (pupils > 0)
    w, t = pupils[ok], trip[ok]
    out["boarder_mean_weekly_trip_min"] = float((t * w).sum() / w.sum()) if ok.any() else math.nan
    out["boarder_longest_weekly_trip_min"] = float(t.max()) if ok.any() else math.nan
    return out


def journey_figures(assignment: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Pupils of each kind and their journeys, per band (and per township or school).

    Day pupils' figures are their daily one-way journeys; boarders' are their weekly one-way trips
    home by the trip mode. No figure mixes the two; none uses a boarder's journey by the band's
    (walking) mode; unserved pupils have no journey figure. Journeys are pupil-weighted over
    villages with pupils; a figure with no pupils behind it is ``nan``.

    Parameters
    ----------
    assignment
        Result of :func:`assign_pupils`.
    by
        ``None`` (the whole plan), ``"township"`` or ``"school"`` (the assigned school; for
        unserved pupils the nearest school).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``band`` (or by ``by`` and ``band``): :data:`COUNT_FIGURES`, then
        :data:`DAY_FIGURES` and :data:`TRIP_FIGURES` (minutes).
    """
    flat = assignment.reset_index()
    keys = ["band"] if by is None else [by, "band"]
    flat = flat[flat[keys].notna().all(axis=1)]
    columns = [*COUNT_FIGURES, *DAY_FIGURES, *TRIP_FIGURES]
    rows = {key: _figures(part) for key, part in flat.groupby(keys, sort=True)}
    index = (
        pd.MultiIndex.from_tuples(list(rows), names=keys)
        if rows
        else pd.MultiIndex.from_arrays([[]] * len(keys), names=keys)
    )
    out = pd.DataFrame(list(rows.values()), index=index, columns=columns)
    if by is None:
        out.index = out.index.get_level_values("band")
        out = out.reindex([b for b in BANDS if b in out.index])
    return out.astype("float64")


def band_figure(figure: str, band: str) -> str:
    """The name of ``figure`` for one band, e.g. ``day_mean_journey_g1_3_min``."""
    if figure.endswith("_min"):
        return f"{figure[: -len('_min')]}_{band}_min"
    return f"{figure}_{band}"


def village_journeys(assignment: pd.DataFrame) -> pd.DataFrame:
    """The village rows planners see: school, kind of pupil, mode and the journey that applies.

    Parameters
    ----------
    assignment
        Result of :func:`assign_pupils`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``assignment``, columns :data:`VILLAGE_COLUMNS`: a day pupil has a daily
        one-way journey, a boarder a weekly one-way trip, an unserved pupil neither.
    """
    return assignment[list(VILLAGE_COLUMNS)].copy()


def township_indicators(
    assignment: pd.DataFrame,
    schools: pd.DataFrame,
    *,
    cost_by_township: pd.Series | None = None,
    rules: PlanningRules | None = None,
) -> pd.DataFrame:
    """Indicators per township: the three kinds of pupil, their journeys, teachers, cost.

    Parameters
    ----------
    assignment
        Result of :func:`assign_pupils` (villages need a ``township``).
    schools
        Destinations of the assignment; a school counts for its ``township`` column, or without
        one for the township most of its pupils come from.
    cost_by_township
        Cost (yuan) to report per township, e.g. the restoration cost of a plan.
    rules
        Planning rules; defaults to :class:`PlanningRules`.

    Returns
    -------
    pandas.DataFrame
        Indexed by township id: per band every figure of :func:`journey_figures` named by
        :func:`band_figure` (``pupils_g1_3``, ``day_pupils_g1_3``, ``boarders_g1_3``,
        ``unserved_g1_3``, ``day_mean_journey_g1_3_min``, ...,
        ``boarder_longest_weekly_trip_g1_3_min``); then ``day_pupils``, ``boarders``,
        ``unserved``, ``young_beyond_limit`` (grades 1-3 beyond the day limit, boarders or
        unserved), ``teachers_needed`` and ``cost_yuan``.
    """
    rules = rules or PlanningRules()
    flat = assignment.reset_index()
    towns = sorted(flat["township"].astype(str).unique())
    out = pd.DataFrame(index=pd.Index(towns, name="township"))
    figures = journey_figures(
        assignment.assign(township=assignment["township"].astype(str)), by="township"
    )
    for band in BANDS:
        part = (
            figures.xs(band, level="band")
            if band in figures.index.get_level_values("band")
            else pd.DataFrame(columns=figures.columns)
        )
        for col in figures.columns:
            out[band_figure(col, band)] = part[col].reindex(out.index)
    for kind in ("day_pupils", "boarders", "unserved"):
        out[kind] = sum(out[band_figure(kind, b)].fillna(0.0) for b in BANDS)
    young = flat[(flat["band"] == "g1_3") & ~flat["within_limit"].astype(bool)]
    out["young_beyond_limit"] = young.groupby(young["township"].astype(str))["pupils"].sum()
    load = school_load(assignment, schools, rules=rules)
    home = (
        schools["township"].astype("object").where(schools["township"].notna(), None)
        if "township" in schools.columns
        else pd.Series(None, index=schools.index, dtype=object)
    )
    main_town = flat[flat["school"].notna()].groupby(["school", "township"])["pupils"].sum()
    teachers = pd.Series(0.0, index=out.index)
    for sid, need in zip(load.index.astype(str), load["teachers_needed"], strict=True):
        if need <= 0:
            continue
        town = home.get(sid)
        if town is None or (isinstance(town, float) and math.isnan(town)):
            if sid not in main_town.index.get_level_values(0):
                continue
            town = str(main_town.loc[sid].idxmax())
        if str(town) in teachers.index:
            teachers[str(town)] += need
    out["teachers_needed"] = teachers.astype("int64")
    cost = (
        cost_by_township.reindex(out.index).fillna(0.0)
        if cost_by_township is not None
        else pd.Series(0.0, index=out.index)
    )
    out["cost_yuan"] = cost.astype("float64")
    counts = [c for c in out.columns if not c.endswith("_min")]
    out[counts] = out[counts].fillna(0.0)
    return out


def unserved_villages(
    assignment: pd.DataFrame, *, rules: PlanningRules | None = None
) -> pd.DataFrame:
    """The villages a planner must act on: unserved pupils and grades 1-3 beyond the day limit.

    Grades 1-3 beyond the limit are listed whether they board or are unserved (policy says they
    should not board); older boarders are not. Runs write it as
    ``villages_beyond_day_limit_after_plan``: most of its rows are usually grades 1-3 boarders.

    Parameters
    ----------
    assignment
        Result of :func:`assign_pupils`.
    rules
        Planning rules (day limits); defaults to :class:`PlanningRules`.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``id``, ``band``) with ``township``, ``pupils``, ``status``,
        ``assigned_school`` (the nearest school, or the nearest with beds for a boarder),
        ``limit_min``, ``unserved_journey_min`` (unserved pupils only: the one-way journey by the
        band's mode to the nearest school, beyond the limit; blank when none is reachable),
        ``weekly_trip_min`` (boarders only) and ``reason`` (``young_beyond_limit`` for grades 1-3
        beyond the limit, boarding or not; ``unserved`` for others), largest groups first;
        villages without pupils are left out.
    """
    rules = rules or PlanningRules()
    flat = assignment.reset_index()
    young = (flat["band"] == "g1_3") & ~flat["within_limit"].astype(bool)
    bad = (flat["status"] == "unserved") | young
    rows = flat[bad & (flat["pupils"] > 0)].copy()
    rows["reason"] = np.where(young[rows.index], "young_beyond_limit", "unserved")
    rows["limit_min"] = rows["band"].map(rules.day_limit_min).astype("float64")
    rows["unserved_journey_min"] = rows["journey_min"].where(rows["status"] == "unserved")
    rows = rows.rename(columns={"school": "assigned_school"})
    rows = rows.sort_values(["pupils", ID_INDEX], ascending=[False, True])
    cols = [
        "township",
        "pupils",
        "status",
        "assigned_school",
        "limit_min",
        "unserved_journey_min",
        "weekly_trip_min",
        "reason",
    ]
    return rows.set_index([ID_INDEX, "band"])[cols]
