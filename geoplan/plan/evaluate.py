"""Shared indicators: who goes where, how far, who boards or is unserved; villages and townships.

The core works on plain tables: pupils per village and band, and per band a villages ×
destinations table of one-way minutes (``TravelMatrix.minutes`` as a DataFrame). Every pupil goes
to the nearest open school teaching the band. A pupil whose journey exceeds the band's day limit
boards if that school has boarding beds, otherwise is unserved; grades 1-3 beyond the limit are
also counted apart (policy says they should not board).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from geoplan.data.area import ID_INDEX
from geoplan.errors import Problem, ValidationError
from geoplan.rules import BANDS, PlanningRules, bands_taught, teaches

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "STATUSES",
    "assign_pupils",
    "school_load",
    "township_indicators",
    "unserved_villages",
]

_logger = logging.getLogger(__name__)

STATUSES: tuple[str, ...] = ("day", "boards", "unserved")
"""Status of a village's pupils of one band."""

ASSIGNMENT_COLUMNS: tuple[str, ...] = (
    "township",
    "pupils",
    "school",
    "journey_min",
    "within_limit",
    "status",
)


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
                Problem("", "villages", "", col, "", "column missing.", f"add `{col}`.")
            )
        if band not in minutes:
            problems.append(
                Problem(
                    "",
                    "travel",
                    "",
                    band,
                    "",
                    "no minutes for this band.",
                    "give a villages × schools minutes table for every band.",
                )
            )
            continue
        table = minutes[band]
        missing_rows = villages.index.difference(table.index)
        if len(missing_rows):
            problems.append(
                Problem(
                    "",
                    "travel",
                    str(missing_rows[0]),
                    band,
                    "",
                    f"{len(missing_rows)} village(s) missing from the minutes table.",
                    "build the travel matrix from the same villages layer.",
                )
            )
        if "kind" not in schools.columns:
            continue
        missing_cols = schools.index[_teaches(schools, band)].difference(table.columns)
        if len(missing_cols):
            problems.append(
                Problem(
                    "",
                    "travel",
                    str(missing_cols[0]),
                    band,
                    "",
                    f"{len(missing_cols)} school(s) missing from the minutes table.",
                    "build the travel matrix to every school and site.",
                )
            )
    if "kind" not in schools.columns:
        problems.append(Problem("", "schools", "", "kind", "", "column missing.", "add `kind`."))
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


def assign_pupils(
    villages: pd.DataFrame,
    minutes: Mapping[str, pd.DataFrame],
    schools: pd.DataFrame,
    *,
    open_ids: Collection[str] | None = None,
    rules: PlanningRules | None = None,
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
        ``inf`` where unreachable.
    schools
        Destinations indexed by id with ``kind`` and optionally ``boarding_beds`` and ``status``.
        Restored teaching points are rows of kind ``teaching_point``.
    open_ids
        Destinations that are open; default: ``status == "open"`` (or all without ``status``).
    rules
        Planning rules (day limits); defaults to :class:`PlanningRules`.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``id``, ``band``), columns :data:`ASSIGNMENT_COLUMNS`: the assigned school
        (``None`` if no open school is reachable), the one-way journey, whether it is within the
        day limit, and ``status`` ``day`` / ``boards`` / ``unserved``.
    """
    rules = rules or PlanningRules()
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
        parts.append(
            pd.DataFrame(
                {
                    ID_INDEX: villages.index.astype(str),
                    "band": band,
                    "township": township,
                    "pupils": villages[f"pupils_{band}"].to_numpy(dtype="float64"),
                    "school": school,
                    "journey_min": np.where(reachable, journey, np.nan),
                    "within_limit": within,
                    "status": status,
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


def township_indicators(
    assignment: pd.DataFrame,
    schools: pd.DataFrame,
    *,
    cost_by_township: pd.Series | None = None,
    rules: PlanningRules | None = None,
) -> pd.DataFrame:
    """Indicators per township: pupils within the limit, journeys, boarders, teachers, cost.

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
        Indexed by township id: per band ``pupils_<band>``, ``within_limit_<band>``,
        ``mean_journey_<band>_min`` (pupil-weighted, reachable pupils),
        ``worst_journey_<band>_min``; then ``boarders``, ``unserved``, ``young_beyond_limit``
        (grades 1-3 beyond the limit), ``teachers_needed`` and ``cost_yuan``.
    """
    rules = rules or PlanningRules()
    flat = assignment.reset_index()
    towns = sorted(flat["township"].astype(str).unique())
    out = pd.DataFrame(index=pd.Index(towns, name="township"))
    for band in BANDS:
        part = flat[flat["band"] == band]
        grouped = part.groupby("township")
        out[f"pupils_{band}"] = grouped["pupils"].sum()
        out[f"within_limit_{band}"] = part[part["within_limit"]].groupby("township")["pupils"].sum()
        reach = part[part["journey_min"].notna() & (part["pupils"] > 0)]
        weighted = (reach["journey_min"] * reach["pupils"]).groupby(reach["township"]).sum()
        out[f"mean_journey_{band}_min"] = weighted / reach.groupby("township")["pupils"].sum()
        out[f"worst_journey_{band}_min"] = reach.groupby("township")["journey_min"].max()
    out["boarders"] = flat[flat["status"] == "boards"].groupby("township")["pupils"].sum()
    out["unserved"] = flat[flat["status"] == "unserved"].groupby("township")["pupils"].sum()
    young = flat[(flat["band"] == "g1_3") & ~flat["within_limit"].astype(bool)]
    out["young_beyond_limit"] = young.groupby("township")["pupils"].sum()
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

    Parameters
    ----------
    assignment
        Result of :func:`assign_pupils`.
    rules
        Planning rules (day limits); defaults to :class:`PlanningRules`.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``id``, ``band``) with ``township``, ``pupils``, ``journey_min``,
        ``assigned_school`` (the nearest school, or the nearest with beds for a boarder),
        ``limit_min`` and ``reason`` (``young_beyond_limit`` for grades 1-3
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
    rows = rows.rename(columns={"school": "assigned_school"})
    rows = rows.sort_values(["pupils", ID_INDEX], ascending=[False, True])
    cols = ["township", "pupils", "journey_min", "assigned_school", "limit_min", "reason"]
    return rows.set_index([ID_INDEX, "band"])[cols]
