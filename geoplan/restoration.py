"""Teaching-point restoration: site scorecard, multi-year phasing, closures and mergers, plans.

The cores take plain tables: grades 1-3 pupils per village and year (villages × years, from
:func:`geoplan.demand.pupils_by_year`), one-way walking minutes from villages to schools and sites
(villages × destinations), the ``schools`` and ``sites`` layers. A village is *brought within the
limit* by a site when the site is within the grades 1-3 day limit and no open school is. A site
*reaches its minimum* in a year when the pupils who would switch to it on their own (within the
limit and nearer than every open school) number at least ``min_pupils``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._errors import InfeasibleError, Problem, ValidationError
from ._solvers import SolveResult, solve_milp
from .area import ID_INDEX
from .rules import BANDS_BY_KIND, PlanningRules

logger = logging.getLogger(__name__)

YOUNG = "g1_3"
SCHOOL_DAYS_PER_YEAR = 190
"""School days a year, for yearly pupil-minutes (two journeys a day)."""


# --------------------------------------------------------------------------------------------
# shared preparation


@dataclass(frozen=True)
class _Cover:
    site_ids: list[str]
    village_ids: list[str]
    pupils: np.ndarray  # villages × years
    base_min: np.ndarray  # villages: nearest open grades 1-3 school (inf: none)
    base_school: np.ndarray  # villages: its id (None: none)
    base_boards: np.ndarray  # villages: boards today
    site_min: np.ndarray  # villages × sites
    cover: np.ndarray  # villages × sites: brought within the limit
    switch: np.ndarray  # villages × sites: would switch to the site
    min_pupils: np.ndarray  # sites


def _frame_years(young: pd.DataFrame | pd.Series) -> pd.DataFrame:
    if isinstance(young, pd.Series):
        return young.to_frame(name=0)
    return young


def _prepare(
    young: pd.DataFrame | pd.Series,
    minutes: pd.DataFrame,
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    rules: PlanningRules,
) -> _Cover:
    young = _frame_years(young)
    problems: list[Problem] = []
    missing = sites.index.difference(minutes.columns)
    if len(missing):
        problems.append(
            Problem("", "travel", str(missing[0]), "g1_3", "",
                    f"{len(missing)} site(s) missing from the grades 1-3 minutes table.",
                    "build the walking matrix to every site.")
        )
    missing_v = young.index.difference(minutes.index)
    if len(missing_v):
        problems.append(
            Problem("", "travel", str(missing_v[0]), "g1_3", "",
                    f"{len(missing_v)} village(s) missing from the grades 1-3 minutes table.",
                    "build the walking matrix from every village.")
        )
    for col in ("restore_cost_yuan",):
        if col not in sites.columns:
            problems.append(Problem("", "sites", "", col, "", "column missing.", f"add `{col}`."))
    if problems:
        raise ValidationError(problems)
    is_open = (
        (schools["status"] == "open").to_numpy()
        if "status" in schools.columns
        else np.ones(len(schools), dtype=bool)
    )
    teaches = np.array([YOUNG in BANDS_BY_KIND[str(k)] for k in schools["kind"]], dtype=bool)
    open_ids = schools.index[is_open & teaches]
    beds = (
        schools["boarding_beds"].fillna(0).to_numpy(dtype="float64")[is_open & teaches]
        if "boarding_beds" in schools.columns
        else np.zeros(len(open_ids))
    )
    base = minutes.reindex(index=young.index, columns=open_ids).to_numpy(dtype="float64")
    base = np.where(np.isfinite(base), base, np.inf)
    if base.shape[1]:
        arg = base.argmin(axis=1)
        base_min = base[np.arange(len(base)), arg]
        base_school = np.asarray(open_ids, dtype=object)[arg]
        base_school[~np.isfinite(base_min)] = None
        base_beds = beds[arg]
    else:
        base_min = np.full(len(young), np.inf)
        base_school = np.full(len(young), None, dtype=object)
        base_beds = np.zeros(len(young))
    limit = rules.day_limit_min[YOUNG]
    site_min = minutes.reindex(index=young.index, columns=sites.index).to_numpy(dtype="float64")
    site_min = np.where(np.isfinite(site_min), site_min, np.inf)
    base_within = base_min <= limit
    cover = (site_min <= limit) & ~base_within[:, None]
    switch = (site_min <= limit) & (site_min < base_min[:, None])
    mins = (
        sites["min_pupils"].to_numpy(dtype="float64")
        if "min_pupils" in sites.columns
        else np.full(len(sites), np.nan)
    )
    mins = np.where(np.isfinite(mins), mins, rules.teaching_point_min_pupils)
    pupils = young.fillna(0.0).to_numpy(dtype="float64")
    return _Cover(
        site_ids=[str(s) for s in sites.index],
        village_ids=[str(v) for v in young.index],
        pupils=pupils,
        base_min=base_min,
        base_school=base_school,
        base_boards=~base_within & np.isfinite(base_min) & (base_beds > 0),
        site_min=site_min,
        cover=cover,
        switch=switch,
        min_pupils=mins,
    )


def _enrolment(cov: _Cover) -> np.ndarray:
    """Standalone enrolment per site and year (sites × years)."""
    out: np.ndarray = cov.switch.T.astype("float64") @ cov.pupils
    return out


# --------------------------------------------------------------------------------------------
# scorecard

SCORECARD_HEADERS: dict[str, tuple[str, str]] = {
    "name": ("Site", "教学点"),
    "township": ("Township", "乡镇"),
    "rank": ("Rank", "排名"),
    "young_brought_within": (
        "Grades 1-3 pupils brought within the day limit",
        "新进入限时的1-3年级学生",
    ),
    "pupil_minutes_saved_per_day": ("Pupil-minutes saved per school day", "每天节省的学生分钟"),
    "could_stop_boarding": ("Pupils who could stop boarding", "可不再寄宿的学生"),
    "enrolment": ("Projected enrolment, first year", "预计在校生(首年)"),
    "enrolment_last_year": ("Projected enrolment, last year", "预计在校生(末年)"),
    "classes_needed": ("Classes needed (multi-grade)", "所需班数(复式)"),
    "fits_max_classes": ("Fits its most classes", "不超过最多班数"),
    "reaches_min_pupils": ("Reaches the minimum enrolment", "达到最少学生数"),
    "teachers_needed": ("Teachers needed", "所需教师"),
    "restore_cost_yuan": ("Restoration cost (yuan)", "恢复费用(元)"),
    "annual_cost_yuan": ("Yearly cost (yuan)", "年运行费用(元)"),
    "cost_per_pupil_served_yuan": (
        "Restoration cost per pupil brought within (yuan)",
        "每名受益学生恢复费用(元)",
    ),
    "nearest_open_school": ("Nearest open school", "最近的开办学校"),
    "nearest_open_min": ("Journey to the nearest open school (min)", "到最近开办学校时间(分钟)"),
    "decision": ("Decision", "决定"),
}
"""Readable headers (English, Chinese) of the scorecard columns, in export order."""


def score_sites(
    young: pd.DataFrame | pd.Series,
    minutes: pd.DataFrame,
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    site_minutes: pd.DataFrame | None = None,
    rules: PlanningRules | None = None,
) -> pd.DataFrame:
    """One row per candidate site, each restored on its own against today's open schools.

    Parameters
    ----------
    young
        Grades 1-3 pupils per village: a Series (today) or villages × years (first column is the
        first plan year, used for every count except ``enrolment_last_year``).
    minutes
        One-way grades 1-3 walking minutes, villages × (schools and sites).
    schools
        The ``schools`` layer (``kind``, ``status``, ``boarding_beds``).
    sites
        The ``sites`` layer (``restore_cost_yuan``, ``min_pupils``, ``max_classes``,
        ``annual_cost_yuan``, ``decision``).
    site_minutes
        Optional minutes from sites (rows) to schools (columns) for the nearest open school of
        each site; without it, the school most of the site's pupils attend today and their mean
        journey there are reported.
    rules
        Planning rules; defaults to :class:`PlanningRules`.

    Returns
    -------
    pandas.DataFrame
        Indexed by site id, columns :data:`SCORECARD_HEADERS`. Pupil-minutes count both journeys
        of a day; ``rank`` 1 is best (most pupils brought within the limit among sites reaching
        their minimum, then most minutes saved, then cheapest); ``never`` sites rank last.
    """
    rules = rules or PlanningRules()
    cov = _prepare(young, minutes, schools, sites, rules)
    p0 = cov.pupils[:, 0]
    enrol = _enrolment(cov)
    out = pd.DataFrame(index=sites.index.copy())
    out["name"] = sites["name"] if "name" in sites.columns else sites.index.astype(str)
    out["township"] = sites["township"] if "township" in sites.columns else ""
    out["young_brought_within"] = cov.cover.T.astype("float64") @ p0
    saved = np.where(
        cov.switch & np.isfinite(cov.base_min)[:, None],
        np.where(np.isfinite(cov.base_min), cov.base_min, 0.0)[:, None]
        - np.where(np.isfinite(cov.site_min), cov.site_min, 0.0),
        0.0,
    )
    out["pupil_minutes_saved_per_day"] = 2.0 * (saved.T @ p0)
    out["could_stop_boarding"] = (cov.cover & cov.base_boards[:, None]).T.astype("float64") @ p0
    out["enrolment"] = enrol[:, 0]
    out["enrolment_last_year"] = enrol[:, -1]
    limit = rules.teaching_point_class_size_limit
    classes = np.ceil(np.round(enrol[:, 0], 6) / limit).astype("int64")
    max_classes = (
        sites["max_classes"].fillna(rules.teaching_point_max_classes).to_numpy(dtype="int64")
        if "max_classes" in sites.columns
        else np.full(len(sites), rules.teaching_point_max_classes)
    )
    out["classes_needed"] = classes
    out["fits_max_classes"] = classes <= max_classes
    out["reaches_min_pupils"] = enrol[:, 0] >= cov.min_pupils
    by_ratio = np.ceil(np.round(enrol[:, 0] / rules.pupils_per_teacher, 6)).astype("int64")
    out["teachers_needed"] = np.maximum(classes, by_ratio)
    out["restore_cost_yuan"] = sites["restore_cost_yuan"].astype("float64")
    out["annual_cost_yuan"] = (
        sites["annual_cost_yuan"].fillna(0.0).astype("float64")
        if "annual_cost_yuan" in sites.columns
        else 0.0
    )
    within = out["young_brought_within"].to_numpy()
    out["cost_per_pupil_served_yuan"] = np.where(
        within > 0, out["restore_cost_yuan"].to_numpy() / np.where(within > 0, within, 1), np.inf
    )
    nearest, nearest_min = _nearest_open(cov, schools, sites, site_minutes, p0)
    out["nearest_open_school"] = pd.Series(nearest, index=out.index, dtype=object)
    out["nearest_open_min"] = np.asarray(nearest_min, dtype="float64")
    out["decision"] = sites["decision"] if "decision" in sites.columns else "free"
    order = out.assign(
        _never=(out["decision"] == "never"),
        _ok=~out["reaches_min_pupils"],
        _cost=out["restore_cost_yuan"],
    ).sort_values(
        ["_never", "_ok", "young_brought_within", "pupil_minutes_saved_per_day", "_cost"],
        ascending=[True, True, False, False, True],
        kind="stable",
    )
    out.loc[order.index, "rank"] = np.arange(1, len(out) + 1)
    out["rank"] = out["rank"].astype("int64")
    out.index.name = ID_INDEX
    return out[list(SCORECARD_HEADERS)]


def _nearest_open(
    cov: _Cover,
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    site_minutes: pd.DataFrame | None,
    p0: np.ndarray,
) -> tuple[list[object], list[float]]:
    names: list[object] = []
    journeys: list[float] = []
    if site_minutes is not None:
        is_open = (
            schools["status"] == "open" if "status" in schools.columns
            else pd.Series(True, index=schools.index)
        )
        table = site_minutes.reindex(index=sites.index, columns=schools.index[is_open.to_numpy()])
        for sid in sites.index:
            row = table.loc[sid].astype("float64").replace(np.inf, np.nan).dropna()
            names.append(str(row.idxmin()) if len(row) else None)
            journeys.append(float(row.min()) if len(row) else math.nan)
        return names, journeys
    for j in range(len(cov.site_ids)):
        mask = cov.switch[:, j] & (cov.base_school != None)  # noqa: E711 (object array)
        if not mask.any():
            names.append(None)
            journeys.append(math.nan)
            continue
        weights = pd.Series(p0[mask] + 1e-9, index=cov.base_school[mask])
        names.append(str(weights.groupby(level=0).sum().idxmax()))
        journeys.append(float(np.average(cov.base_min[mask], weights=p0[mask] + 1e-9)))
    return names, journeys


def write_scorecard(scorecard: pd.DataFrame, path: str | Path, *, lang: str = "en") -> list[Path]:
    """Write a scorecard as CSV and XLSX with readable headers.

    Parameters
    ----------
    scorecard
        Result of :func:`score_sites`.
    path
        Output path without or with a suffix; ``<stem>.csv`` and ``<stem>.xlsx`` are written.
    lang
        ``"en"`` or ``"zh"`` headers.

    Returns
    -------
    list of Path
        The CSV and XLSX files written.
    """
    if lang not in ("en", "zh"):
        msg = f"`lang` must be 'en' or 'zh', got {lang!r}"
        raise ValueError(msg)
    stem = Path(path).with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    which = 0 if lang == "en" else 1
    table = scorecard.copy()
    table.index = table.index.astype(str)
    table.index.name = "Id" if lang == "en" else "编号"
    table = table.rename(columns={k: v[which] for k, v in SCORECARD_HEADERS.items()})
    table = table.replace([np.inf, -np.inf], np.nan)
    csv_path = stem.with_suffix(".csv")
    xlsx_path = stem.with_suffix(".xlsx")
    table.to_csv(csv_path, encoding="utf-8-sig", float_format="%.2f")
    with pd.ExcelWriter(xlsx_path, engine="openpyxl") as writer:
        table.round(2).to_excel(writer, sheet_name="scorecard")
        sheet = writer.sheets["scorecard"]
        for col_cells in sheet.columns:
            width = max(len(str(c.value or "")) for c in col_cells)
            sheet.column_dimensions[col_cells[0].column_letter].width = min(max(width, 8), 40)
    return [csv_path, xlsx_path]


# --------------------------------------------------------------------------------------------
# phasing


@dataclass(frozen=True)
class Phasing:
    """Which sites are restored in which phase.

    Parameters
    ----------
    phase
        Per site id the phase it is restored in (1 = first), 0 when not restored.
    pupil_years
        Pupil-years brought within the grades 1-3 day limit over the horizon.
    bound
        Proven upper bound on ``pupil_years`` (``nan`` when unknown).
    gap
        Relative gap between ``pupil_years`` and ``bound``.
    status
        Solver status (``optimal``, ``time_limit``, ``greedy``).
    method
        ``"mip"`` or ``"greedy"``.
    seconds
        Wall time.
    """

    phase: pd.Series
    pupil_years: float
    bound: float
    gap: float
    status: str
    method: str
    seconds: float

    def sites_in(self, phase: int) -> list[str]:
        """Site ids restored in ``phase``."""
        return [str(s) for s in self.phase.index[self.phase == phase]]


def pupil_years_served(
    phase: Mapping[str, int] | pd.Series,
    young: pd.DataFrame | pd.Series,
    minutes: pd.DataFrame,
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    rules: PlanningRules | None = None,
) -> float:
    """Pupil-years brought within the day limit by a phasing (year ``j`` belongs to phase j+1).

    Parameters
    ----------
    phase
        Per site id its phase (1 = first); 0 or absent: not restored.
    young, minutes, schools, sites, rules
        As for :func:`phase_sites`.

    Returns
    -------
    float
        Sum over villages and years of grades 1-3 pupils within the limit of a site restored in
        that year or before, and of no open school.
    """
    rules = rules or PlanningRules()
    cov = _prepare(young, minutes, schools, sites, rules)
    ph = np.array([int(pd.Series(phase).get(s, 0)) for s in cov.site_ids])
    return _value(cov, ph)


def _value(cov: _Cover, ph: np.ndarray) -> float:
    years = cov.pupils.shape[1]
    total = 0.0
    for j in range(years):
        on = (ph >= 1) & (ph <= j + 1)
        served = cov.cover[:, on].any(axis=1)
        total += float(cov.pupils[served, j].sum())
    return total


def _check_phasing(
    sites: pd.DataFrame,
    n_phases: int,
    sites_per_phase: Sequence[int] | None,
    budget_per_phase: Sequence[float] | None,
    years: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    problems: list[Problem] = []
    if years < n_phases:
        problems.append(
            Problem("", "projection", "", "years", str(years),
                    f"{n_phases} phases need at least {n_phases} projected years.",
                    "project pupils over the whole plan (one column per phase year at least).")
        )
    decision = (
        sites["decision"].fillna("free").astype(str).to_numpy()
        if "decision" in sites.columns
        else np.full(len(sites), "free", dtype=object)
    )
    fixed = (
        sites["phase"].to_numpy(dtype="float64")
        if "phase" in sites.columns
        else np.full(len(sites), np.nan)
    )
    for sid, d, f in zip(sites.index, map(str, decision), fixed, strict=True):
        if d not in ("free", "must", "never"):
            problems.append(Problem("", "sites", str(sid), "decision", d, "unknown decision.",
                                    "use free, must or never."))
        if np.isfinite(f) and not 1 <= f <= n_phases:
            problems.append(Problem("", "sites", str(sid), "phase", str(f),
                                    f"phase outside 1-{n_phases}.",
                                    f"give a phase from 1 to {n_phases} or leave it empty."))
        if np.isfinite(f) and d == "never":
            problems.append(Problem("", "sites", str(sid), "decision", d,
                                    "a never site has a fixed phase.",
                                    "clear the phase or change the decision."))
    if problems:
        raise ValidationError(problems)
    caps = np.asarray(sites_per_phase if sites_per_phase is not None else [np.inf] * n_phases,
                      dtype="float64")
    budgets = np.asarray(
        budget_per_phase if budget_per_phase is not None else [np.inf] * n_phases, dtype="float64"
    )
    return decision, fixed, np.vstack([caps, budgets])


def phase_sites(
    young: pd.DataFrame | pd.Series,
    minutes: pd.DataFrame,
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    sites_per_phase: Sequence[int] | None = None,
    budget_per_phase: Sequence[float] | None = None,
    method: str = "auto",
    max_exact_pairs: int = 20_000,
    time_limit_s: float = 30.0,
    mip_rel_gap: float = 1e-4,
    rules: PlanningRules | None = None,
) -> Phasing:
    """Choose the sites and the phase of each that maximise pupil-years within the day limit.

    Phases are years: phase ``t`` restores its sites at the start of year column ``t - 1`` of
    ``young``; a village brought within the limit counts in that year and every later one. A
    free site may be restored in phase ``t`` only if it reaches its minimum enrolment that year;
    ``must`` sites are always restored, ``never`` sites never, and sites with a ``phase`` in it.

    Parameters
    ----------
    young
        Grades 1-3 pupils, villages × years (at least one column per phase).
    minutes
        One-way grades 1-3 walking minutes, villages × (schools and sites).
    schools, sites
        The layers (status quo schools; candidate sites).
    sites_per_phase
        Most sites restored per phase, e.g. ``[4, 4, 3, 3]``.
    budget_per_phase
        Most restoration cost per phase (yuan).
    method
        ``"mip"`` (exact, HiGHS), ``"greedy"``, or ``"auto"``: the MIP when sites × phases +
        villages × years is at most ``max_exact_pairs``, else greedy with an LP bound.
    max_exact_pairs
        Size limit of ``"auto"``.
    time_limit_s, mip_rel_gap
        Limits of the MIP (its gap is reported).
    rules
        Planning rules; defaults to :class:`PlanningRules`.

    Returns
    -------
    Phasing
        The phase of every site, the pupil-years, bound and gap.
    """
    t0 = time.perf_counter()
    rules = rules or PlanningRules()
    if sites_per_phase is None and budget_per_phase is None:
        msg = "give `sites_per_phase` (e.g. [4, 4, 3, 3]) or `budget_per_phase` (yuan)."
        raise ValueError(msg)
    n_phases = len(sites_per_phase if sites_per_phase is not None else budget_per_phase or [])
    if (
        sites_per_phase is not None
        and budget_per_phase is not None
        and len(budget_per_phase) != n_phases
    ):
        msg = "`sites_per_phase` and `budget_per_phase` must have one entry per phase each."
        raise ValueError(msg)
    cov = _prepare(young, minutes, schools, sites, rules)
    decision, fixed, limits = _check_phasing(
        sites, n_phases, sites_per_phase, budget_per_phase, cov.pupils.shape[1]
    )
    cost = sites["restore_cost_yuan"].to_numpy(dtype="float64")
    enrol = _enrolment(cov)
    allowed = np.zeros((len(cov.site_ids), n_phases), dtype=bool)
    for i in range(len(cov.site_ids)):
        if decision[i] == "never":
            continue
        if np.isfinite(fixed[i]):
            allowed[i, int(fixed[i]) - 1] = True
        elif decision[i] == "must":
            allowed[i, :] = True
        else:
            allowed[i, :] = enrol[i, :n_phases] >= cov.min_pupils[i] - 1e-9
    forced = (decision == "must") | np.isfinite(fixed)
    _check_forced(cov, forced, fixed, cost, limits)
    size = int(allowed.sum()) + int(cov.cover.any(axis=1).sum()) * cov.pupils.shape[1]
    use_mip = method == "mip" or (method == "auto" and size <= max_exact_pairs)
    if method not in ("auto", "mip", "greedy"):
        msg = f"`method` must be 'auto', 'mip' or 'greedy', got {method!r}"
        raise ValueError(msg)
    greedy = _greedy(cov, allowed, forced, cost, limits)
    model = _model(cov, allowed, forced, cost, limits)
    if use_mip:
        res = solve_milp(
            *model.args, lb=model.lb, ub=model.ub, integrality=model.integrality, sense="max",
            time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, mip_abs_gap=1e-6,
            start=model.start(greedy),
        )
        if not res.has_solution:
            raise InfeasibleError(f"the phasing model has no solution ({res.status}).")
        ph = model.phases(res)
        value = _value(cov, ph)
        if value + 1e-6 < _value(cov, greedy):  # time limit hit before the warm start was beaten
            ph, value = greedy, _value(cov, greedy)
        bound = res.bound + model.slack if math.isfinite(res.bound) else math.nan
        status, used = res.status, "mip"
    else:
        lp = solve_milp(
            *model.args, lb=model.lb, ub=model.ub, integrality=None, sense="max",
            time_limit_s=time_limit_s,
        )
        ph, value = greedy, _value(cov, greedy)
        bound = lp.objective + model.slack if lp.has_solution else math.nan
        status, used = "greedy", "greedy"
    bound = max(bound, value) if math.isfinite(bound) else bound
    gap = (bound - value) / max(abs(value), 1e-9) if math.isfinite(bound) else math.inf
    if gap < 1e-7:
        gap = 0.0
    seconds = time.perf_counter() - t0
    logger.info("phasing (%s): %.1f pupil-years, gap %.2g, %.2fs", used, value, gap, seconds)
    return Phasing(
        phase=pd.Series(ph, index=pd.Index(cov.site_ids, name=ID_INDEX), name="phase"),
        pupil_years=value,
        bound=bound,
        gap=gap,
        status=status,
        method=used,
        seconds=seconds,
    )


def _check_forced(
    cov: _Cover, forced: np.ndarray, fixed: np.ndarray, cost: np.ndarray, limits: np.ndarray
) -> None:
    n_phases = limits.shape[1]
    fixed_count = np.zeros(n_phases)
    fixed_cost = np.zeros(n_phases)
    for i in np.flatnonzero(np.isfinite(fixed)):
        fixed_count[int(fixed[i]) - 1] += 1
        fixed_cost[int(fixed[i]) - 1] += cost[i]
    for t in range(n_phases):
        if fixed_count[t] > limits[0, t] or fixed_cost[t] > limits[1, t] + 1e-6:
            raise InfeasibleError(
                f"phase {t + 1} has {int(fixed_count[t])} sites fixed to it costing "
                f"{fixed_cost[t]:,.0f} yuan, but allows {limits[0, t]:g} sites and "
                f"{limits[1, t]:,.0f} yuan; move some fixed phases or raise the limits."
            )
    if forced.sum() > limits[0].sum():
        raise InfeasibleError(
            f"{int(forced.sum())} sites must be restored but the phases allow "
            f"{limits[0].sum():g}; drop some `must` decisions or allow more sites."
        )


def _greedy(
    cov: _Cover, allowed: np.ndarray, forced: np.ndarray, cost: np.ndarray, limits: np.ndarray
) -> np.ndarray:
    n_sites, n_phases = allowed.shape
    years = cov.pupils.shape[1]
    ph = np.zeros(n_sites, dtype="int64")
    count = np.zeros(n_phases)
    spent = np.zeros(n_phases)

    def fits(i: int, t: int) -> bool:
        return bool(count[t] + 1 <= limits[0, t] and spent[t] + cost[i] <= limits[1, t] + 1e-6)

    def place(i: int, t: int) -> None:
        ph[i] = t + 1
        count[t] += 1
        spent[t] += cost[i]

    for i in map(int, np.flatnonzero(forced & allowed.sum(axis=1).astype(bool))):
        if allowed[i].sum() == 1:
            place(i, int(np.flatnonzero(allowed[i])[0]))
    for i in map(int, np.flatnonzero(forced & (ph == 0))):
        t = next((t for t in range(n_phases) if allowed[i, t] and fits(i, t)), None)
        if t is None:
            raise InfeasibleError(
                f"must site {cov.site_ids[i]} fits in no phase; raise the sites or budget "
                "per phase."
            )
        place(i, t)
    served = np.zeros(len(cov.village_ids), dtype=bool)
    tail = np.cumsum(cov.pupils[:, ::-1], axis=1)[:, ::-1]  # pupils from year j to the end
    for t in range(n_phases):
        served |= cov.cover[:, (ph >= 1) & (ph <= t + 1)].any(axis=1)
        weight = tail[:, t] if t < years else np.zeros(len(served))
        while True:
            cands = [i for i in range(n_sites) if ph[i] == 0 and allowed[i, t] and fits(i, t)]
            if not cands:
                break
            gains = np.array(
                [float(weight[cov.cover[:, i] & ~served].sum()) for i in cands]
            )
            by_cost = np.isfinite(limits[1, t])
            score = gains / np.maximum(cost[cands], 1.0) if by_cost else gains
            k = int(np.argmax(score))
            if gains[k] <= 1e-9:
                break
            place(cands[k], t)
            served |= cov.cover[:, cands[k]]
    return ph


@dataclass(frozen=True)
class _Model:
    args: tuple[np.ndarray, sp.csr_array, np.ndarray, np.ndarray]
    lb: np.ndarray
    ub: np.ndarray
    integrality: np.ndarray
    pairs: list[tuple[int, int]]
    n_sites: int
    eps: float
    cost: np.ndarray

    def start(self, ph: np.ndarray) -> np.ndarray:
        x = np.full(len(self.lb), np.nan)
        for k, (i, t) in enumerate(self.pairs):
            x[k] = 1.0 if ph[i] == t + 1 else 0.0
        return x

    def phases(self, res: SolveResult) -> np.ndarray:
        assert res.x is not None
        ph = np.zeros(self.n_sites, dtype="int64")
        for k, (i, t) in enumerate(self.pairs):
            if res.x[k] > 0.5:
                ph[i] = t + 1
        return ph

    @property
    def slack(self) -> float:
        """Most the small cost tie-breaker can lower the objective below pupil-years."""
        return float(self.eps * self.cost.sum())


def _model(
    cov: _Cover, allowed: np.ndarray, forced: np.ndarray, cost: np.ndarray, limits: np.ndarray
) -> _Model:
    n_sites, n_phases = allowed.shape
    years = cov.pupils.shape[1]
    pairs = [(i, t) for i in range(n_sites) for t in range(n_phases) if allowed[i, t]]
    pair_cost = np.array([cost[i] for i, _ in pairs], dtype="float64")
    villages = np.flatnonzero(cov.cover.any(axis=1) & (cov.pupils.sum(axis=1) > 0))
    n_x = len(pairs)
    n_y = len(villages) * years
    eps = 1e-3 / (float(pair_cost.sum()) + 1.0)
    c = np.concatenate([-eps * pair_cost, np.zeros(n_y)])
    for a, v in enumerate(villages):
        c[n_x + a * years : n_x + (a + 1) * years] = cov.pupils[v]
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    r = 0
    by_site: dict[int, list[int]] = {}
    for k, (i, _) in enumerate(pairs):
        by_site.setdefault(i, []).append(k)
    for i, ks in by_site.items():  # at most one phase per site (exactly one if forced)
        rows += [r] * len(ks)
        cols += ks
        vals += [1.0] * len(ks)
        lo.append(1.0 if forced[i] else 0.0)
        hi.append(1.0)
        r += 1
    for t in range(n_phases):
        ks = [k for k, (_, tt) in enumerate(pairs) if tt == t]
        for which in (0, 1):
            if not ks or not np.isfinite(limits[which, t]):
                continue
            rows += [r] * len(ks)
            cols += ks
            vals += [1.0 if which == 0 else float(cost[pairs[k][0]]) for k in ks]
            lo.append(-np.inf)
            hi.append(float(limits[which, t]))
            r += 1
    for a, v in enumerate(villages):
        sites_v = set(np.flatnonzero(cov.cover[v]).tolist())
        ks_v = [(k, t) for k, (i, t) in enumerate(pairs) if i in sites_v]
        for j in range(years):  # y_vj <= sum of x_st over covering sites with t <= j
            ks = [k for k, t in ks_v if t <= j]
            rows += [r] * (len(ks) + 1)
            cols += [n_x + a * years + j, *ks]
            vals += [1.0] + [-1.0] * len(ks)
            lo.append(-np.inf)
            hi.append(0.0)
            r += 1
    n = n_x + n_y
    mat = sp.csr_array((vals, (rows, cols)), shape=(r, n))
    integrality = np.concatenate([np.ones(n_x), np.zeros(n_y)])
    return _Model(
        args=(c, mat, np.array(lo), np.array(hi)),
        lb=np.zeros(n),
        ub=np.ones(n),
        integrality=integrality,
        pairs=pairs,
        n_sites=n_sites,
        eps=eps,
        cost=pair_cost,
    )
