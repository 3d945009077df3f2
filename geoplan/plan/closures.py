"""School closures and mergers: most yearly saving for the least added journey.

:func:`plan_closures` chooses, with a HiGHS MIP, the open schools to close and where each group of
their pupils (a village's pupils of one band) moves, within room, beds and day limits.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoplan.data.area import ID_INDEX
from geoplan.errors import InfeasibleError
from geoplan.models import _location as loc
from geoplan.models._coverage import YOUNG
from geoplan.models.solver import MipBuilder
from geoplan.plan.evaluate import assign_pupils
from geoplan.rules import BANDS, PlanningRules, teaches

__all__ = [
    "SCHOOL_DAYS_PER_YEAR",
    "Closures",
    "plan_closures",
]

_logger = logging.getLogger(__name__)

SCHOOL_DAYS_PER_YEAR = 190
"""School days a year, for yearly pupil-minutes (two journeys a day)."""


@dataclass(frozen=True)
class Closures:
    """Schools chosen to close, and where their pupils go.

    Parameters
    ----------
    closed
        Indexed by school id: ``merged_into`` (the school taking most of its pupils),
        ``pupils_affected``, ``saving_yuan`` (its ``annual_cost_yuan``) and
        ``added_pupil_minutes`` (one-way, per school day).
    moves
        Indexed by (village ``id``, ``band``): ``pupils``, ``school_before``, ``school_after``,
        ``journey_before_min``, ``journey_after_min``, ``boards_before``, ``boards_after``.
    new_boarders
        Pupils who were day pupils and now board.
    objective
        Yearly saving minus the valued added journeys (yuan).
    status
        Solver status.
    """

    closed: pd.DataFrame
    moves: pd.DataFrame
    new_boarders: float
    objective: float
    status: str


def _room(schools: pd.DataFrame, load: pd.DataFrame, rules: PlanningRules) -> np.ndarray:
    """Free places per school and band; ``inf`` where the school gives no class count."""
    room = np.full((len(schools), len(BANDS)), np.inf)
    all_limits = rules.school_limits(schools)
    for b, band in enumerate(BANDS):
        col = f"classes_{band}"
        if col not in schools.columns:
            continue
        classes = schools[col].fillna(0).to_numpy(dtype="float64")
        if f"planned_classes_{band}" in schools.columns:
            classes = classes + schools[f"planned_classes_{band}"].fillna(0).to_numpy(
                dtype="float64"
            )
        limits = all_limits[:, b]
        places = np.where(classes > 0, classes * limits, np.inf)
        room[:, b] = places - load[band].to_numpy()
    return room


def plan_closures(
    villages: pd.DataFrame,
    minutes: Mapping[str, pd.DataFrame],
    schools: pd.DataFrame,
    *,
    candidates: Collection[str] | None = None,
    yuan_per_pupil_minute: float = 2.0 * SCHOOL_DAYS_PER_YEAR * 0.5,
    allow_new_boarders: bool = False,
    time_limit_s: float = 30.0,
    rules: PlanningRules | None = None,
) -> Closures:
    """Choose schools to close or merge: most yearly saving for the least added journey.

    A school whose recorded ``enrolment_*`` exceeds the village pupils it serves by more than 10 %
    (pupils of county-town blocks, say) is not closed. A school may close only if every group of
    its pupils (a village's pupils of one band) moves to
    another open school teaching the band that stays open, has room (classes × class-size limit,
    planned classes included; a school without class counts is taken to have room) and lies within
    the band's day limit. Pupils who board today may move to another school with free beds; with
    ``allow_new_boarders``, pupils of grades 4-9 may also move beyond the limit to a school with
    free beds. Every township keeps at least one open school teaching grades 7-9 if it has one.

    Parameters
    ----------
    villages, minutes, schools
        As for :func:`geoplan.evaluate.assign_pupils` (today's assignment is the nearest school).
    candidates
        Schools that may close; default: open schools with an ``annual_cost_yuan``.
    yuan_per_pupil_minute
        Yearly value of one pupil-minute of one-way journey per school day (default: two journeys
        a day, 190 days, 0.5 yuan a minute = 190 yuan).
    allow_new_boarders
        Let grades 4-9 pupils move beyond the day limit to schools with free beds.
    time_limit_s
        Time limit of the MIP.
    rules
        Planning rules; defaults to :class:`PlanningRules`.

    Returns
    -------
    Closures
        The schools closed, the moves of their pupils and the new boarders.
    """
    rules = rules or PlanningRules()
    before = assign_pupils(villages, minutes, schools, rules=rules)
    is_open = (
        (schools["status"] == "open").to_numpy()
        if "status" in schools.columns
        else np.ones(len(schools), dtype=bool)
    )
    sid = [str(s) for s in schools.index]
    pos = {s: i for i, s in enumerate(sid)}
    annual = (
        schools["annual_cost_yuan"].to_numpy(dtype="float64")
        if "annual_cost_yuan" in schools.columns
        else np.full(len(schools), np.nan)
    )
    if candidates is None:
        closable = is_open & np.isfinite(annual)
    else:
        closable = is_open & schools.index.isin(list(candidates))
    saving = np.where(np.isfinite(annual), annual, 0.0)
    served = before[(before["status"] != "unserved") & (before["pupils"] > 0)].reset_index()
    load = (
        served.pivot_table(index="school", columns="band", values="pupils", aggfunc="sum")
        .reindex(index=schools.index, columns=list(BANDS))
        .fillna(0.0)
    )
    enrol_cols = [f"enrolment_{b}" for b in BANDS if f"enrolment_{b}" in schools.columns]
    if enrol_cols:  # pupils from outside the villages layer (county-town blocks) stay put
        recorded = schools[enrol_cols].fillna(0).to_numpy(dtype="float64").sum(axis=1)
        outside = recorded > 1.1 * load.to_numpy().sum(axis=1) + 1.0
        for j in map(int, np.flatnonzero(closable & outside)):
            _logger.info(
                "school %s keeps open: %.0f pupils enrolled but %.0f from the villages layer",
                schools.index[j],
                recorded[j],
                load.to_numpy()[j].sum(),
            )
        closable = closable & ~outside
    room = _room(schools, load, rules)
    beds = (
        schools["boarding_beds"].fillna(0).to_numpy(dtype="float64")
        if "boarding_beds" in schools.columns
        else np.zeros(len(schools))
    )
    boarders_now = served[served["status"] == "boards"].groupby("school")["pupils"].sum()
    bed_room = beds - boarders_now.reindex(schools.index, fill_value=0.0).to_numpy()
    taught = {band: teaches(schools["kind"], band) for band in BANDS}
    k_ids = np.flatnonzero(closable)
    kpos = {int(i): n for n, i in enumerate(k_ids)}
    groups = served[served["school"].map(lambda s: closable[pos[str(s)]])].reset_index(drop=True)
    arcs: list[tuple[int, int, float, bool]] = []  # (group, school, added minutes, boards)
    for g_pos, (_, row) in enumerate(groups.iterrows()):
        band = str(row["band"])
        limit = rules.day_limit_min[band]
        mins = minutes[band].loc[row[ID_INDEX]]
        for j in map(int, np.flatnonzero(is_open & taught[band])):
            if sid[j] == row["school"]:
                continue
            m = float(mins.get(sid[j], np.inf))
            if not np.isfinite(m):
                continue
            boards = m > limit
            boarding_ok = beds[j] > 0 and (
                row["status"] == "boards" or (allow_new_boarders and band != YOUNG)
            )
            if boards and not boarding_ok:
                continue
            arcs.append((g_pos, j, m - float(row["journey_min"]), bool(boards)))
    n_k = len(k_ids)
    pupils_g = groups["pupils"].to_numpy(dtype="float64")
    arc_g = np.array([a[0] for a in arcs], dtype=np.int64)
    arc_j = np.array([a[1] for a in arcs], dtype=np.int64)
    arc_added = np.array([a[2] for a in arcs], dtype=np.float64)
    arc_boards = np.array([a[3] for a in arcs], dtype=bool)
    arc_band = groups["band"].to_numpy(dtype=object)[arc_g] if len(arcs) else np.zeros(0, object)
    b = MipBuilder("max")
    close = b.add_vars("close", n_k, cost=saving[k_ids])
    move = b.add_vars("move", len(arcs), cost=-yuan_per_pupil_minute * pupils_g[arc_g] * arc_added)
    group_school = np.array(
        [kpos[pos[str(sch)]] for sch in groups["school"]], dtype=np.int64
    ).reshape(-1)
    b.add_rows(  # a group moves exactly when its school closes
        np.concatenate([arc_g, np.arange(len(groups))]),
        np.concatenate([move, close[group_school]]),
        np.concatenate([np.ones(len(arcs)), -np.ones(len(groups))]),
        n_rows=len(groups),
        lower=0.0,
        upper=0.0,
        name="group_moves",
    )
    into_closable = np.flatnonzero([int(j) in kpos for j in arc_j])
    b.add_rows(  # nobody moves into a school that closes
        np.repeat(np.arange(into_closable.size), 2),
        np.column_stack(
            [move[into_closable], close[[kpos[int(j)] for j in arc_j[into_closable]]]]
        ).ravel(),
        1.0,
        n_rows=into_closable.size,
        upper=1.0,
        name="not_into_closed",
    )
    for j in range(len(schools)):
        for col, band in enumerate(BANDS):  # room per band
            arcs_in = np.flatnonzero((arc_j == j) & (arc_band == band))
            loc.add_limit_row(b, move[arcs_in], pupils_g[arc_g[arcs_in]], max(room[j, col], 0.0))
        board_in = np.flatnonzero((arc_j == j) & arc_boards)
        loc.add_limit_row(b, move[board_in], pupils_g[arc_g[board_in]], max(bed_room[j], 0.0))
    town = (
        schools["township"].astype("object").to_numpy()
        if "township" in schools.columns
        else np.full(len(schools), None, dtype=object)
    )
    middle = is_open & taught["g7_9"]
    for t in {x for x in town[middle] if x is not None and x == x}:
        in_t = [int(j) for j in np.flatnonzero(middle & (town == t))]
        ks = [kpos[j] for j in in_t if j in kpos]  # the township keeps one middle school
        loc.add_limit_row(b, close[ks], 1.0, float(len(in_t) - 1))
    mip = b.build()
    res = mip.solve(time_limit_s=time_limit_s, mip_abs_gap=1e-6, start=np.zeros(mip.n_cols))
    if not res.has_solution or res.x is None:
        raise InfeasibleError(f"the closures model has no solution ({res.status}).")
    x = res.x
    closed_idx = [int(k_ids[n_]) for n_ in np.flatnonzero(mip.values(x, "close") > 0.5)]
    moved = mip.values(x, "move") > 0.5
    move_rows = []
    for a, (g, j, _, bd) in enumerate(arcs):
        if moved[a]:
            row = groups.iloc[g]
            move_rows.append(
                {
                    ID_INDEX: row[ID_INDEX],
                    "band": row["band"],
                    "pupils": row["pupils"],
                    "school_before": row["school"],
                    "school_after": sid[j],
                    "journey_before_min": row["journey_min"],
                    "journey_after_min": float(
                        minutes[str(row["band"])].to_numpy()[
                            minutes[str(row["band"])].index.get_loc(row[ID_INDEX]),
                            minutes[str(row["band"])].columns.get_loc(sid[j]),
                        ]
                    ),
                    "boards_before": row["status"] == "boards",
                    "boards_after": bd,
                }
            )
    cols_m = [
        ID_INDEX,
        "band",
        "pupils",
        "school_before",
        "school_after",
        "journey_before_min",
        "journey_after_min",
        "boards_before",
        "boards_after",
    ]
    moves = pd.DataFrame(move_rows, columns=cols_m).set_index([ID_INDEX, "band"])
    closed = []
    for j in closed_idx:
        mine = moves[moves["school_before"] == sid[j]]
        into = mine.groupby("school_after")["pupils"].sum()
        closed.append(
            {
                ID_INDEX: sid[j],
                "merged_into": str(into.idxmax()) if len(into) else None,
                "pupils_affected": float(mine["pupils"].sum()),
                "saving_yuan": float(saving[j]),
                "added_pupil_minutes": float(
                    (
                        (mine["journey_after_min"] - mine["journey_before_min"]) * mine["pupils"]
                    ).sum()
                ),
            }
        )
    closed_df = pd.DataFrame(
        closed,
        columns=[ID_INDEX, "merged_into", "pupils_affected", "saving_yuan", "added_pupil_minutes"],
    ).set_index(ID_INDEX)
    new_boarders = float(moves.loc[moves["boards_after"] & ~moves["boards_before"], "pupils"].sum())
    _logger.info(
        "closures: %d schools, saving %.0f yuan", len(closed_df), closed_df["saving_yuan"].sum()
    )
    return Closures(closed_df, moves, new_boarders, float(res.objective), res.status)
