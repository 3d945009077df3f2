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
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._errors import InfeasibleError, Problem, ValidationError
from ._solvers import SolveResult, solve_milp
from .area import ID_INDEX
from .evaluate import assign_pupils, township_indicators, unserved_villages
from .rules import BANDS, BANDS_BY_KIND, PlanningRules

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


# --------------------------------------------------------------------------------------------
# closures and mergers


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
    for b, band in enumerate(BANDS):
        col = f"classes_{band}"
        if col not in schools.columns:
            continue
        classes = schools[col].fillna(0).to_numpy(dtype="float64")
        if f"planned_classes_{band}" in schools.columns:
            classes = classes + schools[f"planned_classes_{band}"].fillna(0).to_numpy(
                dtype="float64"
            )
        own = (
            schools["class_size_limit"].to_numpy(dtype="float64")
            if "class_size_limit" in schools.columns
            else np.full(len(schools), np.nan)
        )
        limits = np.array(
            [
                o if np.isfinite(o) else rules.limit_for(str(k), band)
                for o, k in zip(own, schools["kind"], strict=True)
            ]
        )
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
        .reindex(index=schools.index, columns=list(BANDS)).fillna(0.0)
    )
    enrol_cols = [f"enrolment_{b}" for b in BANDS if f"enrolment_{b}" in schools.columns]
    if enrol_cols:  # pupils from outside the villages layer (county-town blocks) stay put
        recorded = schools[enrol_cols].fillna(0).to_numpy(dtype="float64").sum(axis=1)
        outside = recorded > 1.1 * load.to_numpy().sum(axis=1) + 1.0
        for j in map(int, np.flatnonzero(closable & outside)):
            logger.info(
                "school %s keeps open: %.0f pupils enrolled but %.0f from the villages layer",
                schools.index[j], recorded[j], load.to_numpy()[j].sum(),
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
    teaches = {band: np.array([band in BANDS_BY_KIND[str(k)] for k in schools["kind"]])
               for band in BANDS}
    k_ids = np.flatnonzero(closable)
    kpos = {int(i): n for n, i in enumerate(k_ids)}
    groups = served[served["school"].map(lambda s: closable[pos[str(s)]])].reset_index(drop=True)
    arcs: list[tuple[int, int, float, bool]] = []  # (group, school, added minutes, boards)
    for g_pos, (_, row) in enumerate(groups.iterrows()):
        band = str(row["band"])
        limit = rules.day_limit_min[band]
        mins = minutes[band].loc[row[ID_INDEX]]
        for j in map(int, np.flatnonzero(is_open & teaches[band])):
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
    n_k, n_z = len(k_ids), len(arcs)
    n = n_k + n_z
    pupils_g = groups["pupils"].to_numpy(dtype="float64")
    c = np.concatenate(
        [saving[k_ids], [-yuan_per_pupil_minute * pupils_g[g] * d for g, _, d, _ in arcs]]
    )
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    r = 0
    group_school = [kpos[pos[str(s)]] for s in groups["school"]]
    for g in range(len(groups)):  # a group moves exactly when its school closes
        ks = [n_k + a for a, arc in enumerate(arcs) if arc[0] == g]
        rows += [r] * (len(ks) + 1)
        cols += [*ks, group_school[g]]
        vals += [1.0] * len(ks) + [-1.0]
        lo.append(0.0)
        hi.append(0.0)
        r += 1
    for a, (_, j, _, _) in enumerate(arcs):  # nobody moves into a school that closes
        if j in kpos:
            rows += [r, r]
            cols += [n_k + a, kpos[j]]
            vals += [1.0, 1.0]
            lo.append(-np.inf)
            hi.append(1.0)
            r += 1
    for j in range(len(schools)):
        for b, band in enumerate(BANDS):  # room per band
            arcs_in = [a for a, (g, jj, _, _) in enumerate(arcs)
                       if jj == j and groups.at[g, "band"] == band]
            if arcs_in and np.isfinite(room[j, b]):
                rows += [r] * len(arcs_in)
                cols += [n_k + a for a in arcs_in]
                vals += [pupils_g[arcs[a][0]] for a in arcs_in]
                lo.append(-np.inf)
                hi.append(max(room[j, b], 0.0))
                r += 1
        board_in = [a for a, (_, jj, _, bd) in enumerate(arcs) if jj == j and bd]
        if board_in:
            rows += [r] * len(board_in)
            cols += [n_k + a for a in board_in]
            vals += [pupils_g[arcs[a][0]] for a in board_in]
            lo.append(-np.inf)
            hi.append(max(bed_room[j], 0.0))
            r += 1
    town = (
        schools["township"].astype("object").to_numpy()
        if "township" in schools.columns
        else np.full(len(schools), None, dtype=object)
    )
    middle = is_open & teaches["g7_9"]
    for t in {x for x in town[middle] if x is not None and x == x}:
        in_t = [int(j) for j in np.flatnonzero(middle & (town == t))]
        ks = [kpos[j] for j in in_t if j in kpos]
        if ks:
            rows += [r] * len(ks)
            cols += ks
            vals += [1.0] * len(ks)
            lo.append(-np.inf)
            hi.append(float(len(in_t) - 1))
            r += 1
    mat = sp.csr_array((vals, (rows, cols)), shape=(r, n))
    res = solve_milp(
        c, mat, np.array(lo), np.array(hi), lb=0.0, ub=1.0, integrality=np.ones(n),
        sense="max", time_limit_s=time_limit_s, mip_abs_gap=1e-6,
        start=np.zeros(n),
    )
    if not res.has_solution or res.x is None:
        raise InfeasibleError(f"the closures model has no solution ({res.status}).")
    x = res.x
    closed_idx = [int(k_ids[n_]) for n_ in range(n_k) if x[n_] > 0.5]
    move_rows = []
    for a, (g, j, _, bd) in enumerate(arcs):
        if x[n_k + a] > 0.5:
            row = groups.iloc[g]
            move_rows.append(
                {
                    ID_INDEX: row[ID_INDEX], "band": row["band"], "pupils": row["pupils"],
                    "school_before": row["school"], "school_after": sid[j],
                    "journey_before_min": row["journey_min"],
                    "journey_after_min": float(
                        minutes[str(row["band"])].to_numpy()[
                            minutes[str(row["band"])].index.get_loc(row[ID_INDEX]),
                            minutes[str(row["band"])].columns.get_loc(sid[j]),
                        ]
                    ),
                    "boards_before": row["status"] == "boards", "boards_after": bd,
                }
            )
    cols_m = [ID_INDEX, "band", "pupils", "school_before", "school_after", "journey_before_min",
              "journey_after_min", "boards_before", "boards_after"]
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
    logger.info(
        "closures: %d schools, saving %.0f yuan", len(closed_df), closed_df["saving_yuan"].sum()
    )
    return Closures(closed_df, moves, new_boarders, float(res.objective), res.status)


# --------------------------------------------------------------------------------------------
# whole plan


@dataclass(frozen=True)
class RestorationPlan:
    """A restoration plan and its effects, as data.

    Parameters
    ----------
    scorecard
        One row per candidate site (:func:`score_sites`).
    phasing
        The phase of every site, pupil-years, bound and gap (:func:`phase_sites`).
    phases
        Indexed by phase (1 = first): ``sites`` and ``closures`` (comma-separated ids),
        ``n_sites``, ``restore_cost_yuan``, ``young_brought_within`` (today's pupils newly within
        the limit in that phase).
    restored
        Indexed by restored site id: ``phase``, ``name``, ``township``, ``restore_cost_yuan``,
        ``enrolment`` (pupils assigned to it after the plan).
    closures
        Schools closed or merged, or ``None`` when closures were not asked for.
    before, after
        Per village and band the assigned school, journey and status, today and after the plan
        (:func:`geoplan.evaluate.assign_pupils`; today's pupils both times).
    townships_before, townships
        Indicators per township today and after the plan (cost: restoration cost of the plan).
    unserved
        Villages still unserved (or with grades 1-3 beyond the limit) after the plan, with
        pupils, journey and nearest school.
    """

    scorecard: pd.DataFrame
    phasing: Phasing
    phases: pd.DataFrame
    restored: pd.DataFrame
    closures: Closures | None
    before: pd.DataFrame
    after: pd.DataFrame
    townships_before: pd.DataFrame
    townships: pd.DataFrame
    unserved: pd.DataFrame


def destinations(schools: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Schools and candidate sites in one table (sites as closed teaching points).

    Parameters
    ----------
    schools, sites
        The layers.

    Returns
    -------
    pandas.DataFrame
        Indexed by id: ``kind``, ``township``, ``status``, ``boarding_beds``, ``annual_cost_yuan``.
    """
    cols = ["kind", "township", "status", "boarding_beds", "annual_cost_yuan"]
    left = pd.DataFrame(index=schools.index.astype(str))
    for col, default in zip(cols, (None, None, "open", 0, np.nan), strict=True):
        left[col] = schools[col].to_numpy() if col in schools.columns else default
    right = pd.DataFrame(index=sites.index.astype(str))
    right["kind"] = "teaching_point"
    right["township"] = sites["township"].to_numpy() if "township" in sites.columns else None
    right["status"] = "closed"
    right["boarding_beds"] = 0
    right["annual_cost_yuan"] = (
        sites["annual_cost_yuan"].to_numpy() if "annual_cost_yuan" in sites.columns else np.nan
    )
    clash = left.index.intersection(right.index)
    if len(clash):
        raise ValidationError(
            [Problem("", "sites", str(clash[0]), "id", str(clash[0]),
                     "a site has the id of a school.", "give sites ids of their own.")]
        )
    out = pd.concat([left, right])
    out.index.name = ID_INDEX
    return out


def plan_restoration(
    villages: pd.DataFrame,
    minutes: Mapping[str, pd.DataFrame],
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    projection: pd.DataFrame | None = None,
    sites_per_phase: Sequence[int] | None = None,
    budget_per_phase: Sequence[float] | None = None,
    closures: bool = False,
    method: str = "auto",
    time_limit_s: float = 30.0,
    rules: PlanningRules | None = None,
) -> RestorationPlan:
    """The whole restoration analysis: scorecard, phasing, closures, indicators, unserved list.

    Parameters
    ----------
    villages
        The ``villages`` layer (``township`` and pupils per band today).
    minutes
        Per band one-way minutes, villages × destinations; grades 1-3 must include the sites.
    schools, sites
        The layers.
    projection
        Result of :func:`geoplan.demand.project_pupils`, whose years after the first are the plan
        years (phase ``t`` in year ``t``); default: today's pupils held steady.
    sites_per_phase, budget_per_phase
        Limits per phase (see :func:`phase_sites`).
    closures
        Also choose schools to close or merge (:func:`plan_closures`, defaults), done in phase 1.
    method, time_limit_s
        Phasing method and time limit.
    rules
        Planning rules; defaults to :class:`PlanningRules`.

    Returns
    -------
    RestorationPlan
        Everything a planner reads, as data.
    """
    rules = rules or PlanningRules()
    limits = sites_per_phase if sites_per_phase is not None else budget_per_phase
    n_phases = len(limits) if limits is not None else 0
    if projection is not None:
        from .demand import pupils_by_year

        wide = pupils_by_year(projection, YOUNG)
        young = wide.iloc[:, 1:] if wide.shape[1] > n_phases else wide
    else:
        today = villages["pupils_g1_3"].astype("float64")
        young = pd.DataFrame({t: today for t in range(1, max(n_phases, 1) + 1)})
    young = young.reindex(villages.index).fillna(0.0)
    scorecard = score_sites(young, minutes[YOUNG], schools, sites, rules=rules)
    phasing = phase_sites(
        young, minutes[YOUNG], schools, sites, sites_per_phase=sites_per_phase,
        budget_per_phase=budget_per_phase, method=method, time_limit_s=time_limit_s, rules=rules,
    )
    closed: Closures | None = None
    closed_ids: list[str] = []
    if closures:
        closed = plan_closures(villages, minutes, schools, time_limit_s=time_limit_s, rules=rules)
        closed_ids = [str(s) for s in closed.closed.index]
    dest = destinations(schools, sites)
    before = assign_pupils(villages, minutes, dest, rules=rules)
    restored_ids = [str(s) for s in phasing.phase.index[phasing.phase > 0]]
    open_now = [str(s) for s in dest.index[dest["status"] == "open"] if s not in closed_ids]
    after = assign_pupils(villages, minutes, dest, open_ids=open_now + restored_ids, rules=rules)
    cost_site = sites["restore_cost_yuan"].astype("float64")
    cost_site.index = cost_site.index.astype(str)
    town_site = (
        sites["township"].astype(str) if "township" in sites.columns
        else pd.Series("", index=sites.index)
    )
    town_site.index = town_site.index.astype(str)
    cost_by_town = cost_site[restored_ids].groupby(town_site[restored_ids]).sum()
    townships_before = township_indicators(before, dest, rules=rules)
    townships = township_indicators(after, dest, cost_by_township=cost_by_town, rules=rules)
    # per phase: today's pupils newly within the limit
    cov = _prepare(villages["pupils_g1_3"].astype("float64"), minutes[YOUNG], schools, sites, rules)
    ph = phasing.phase.reindex(cov.site_ids).to_numpy()
    rows = []
    served = np.zeros(len(cov.village_ids), dtype=bool)
    for t in range(1, n_phases + 1):
        now = cov.cover[:, (ph >= 1) & (ph <= t)].any(axis=1)
        ids_t = phasing.sites_in(t)
        rows.append(
            {
                "phase": t,
                "sites": ", ".join(ids_t),
                "closures": ", ".join(closed_ids) if t == 1 else "",
                "n_sites": len(ids_t),
                "restore_cost_yuan": float(cost_site[ids_t].sum()),
                "young_brought_within": float(cov.pupils[now & ~served, 0].sum()),
            }
        )
        served = np.asarray(now, dtype=bool)
    phases = pd.DataFrame(rows).set_index("phase")
    enrol = after[after["status"] != "unserved"].groupby("school")["pupils"].sum()
    restored = pd.DataFrame(index=pd.Index(restored_ids, name=ID_INDEX))
    restored["phase"] = phasing.phase[restored_ids].to_numpy()
    restored["name"] = (
        sites["name"].set_axis(sites.index.astype(str))[restored_ids].to_numpy()
        if "name" in sites.columns else restored_ids
    )
    restored["township"] = town_site[restored_ids].to_numpy()
    restored["restore_cost_yuan"] = cost_site[restored_ids].to_numpy()
    restored["enrolment"] = enrol.reindex(restored_ids, fill_value=0.0).to_numpy()
    restored = restored.sort_values(["phase", ID_INDEX])
    return RestorationPlan(
        scorecard=scorecard,
        phasing=phasing,
        phases=phases,
        restored=restored,
        closures=closed,
        before=before,
        after=after,
        townships_before=townships_before,
        townships=townships,
        unserved=unserved_villages(after, rules=rules),
    )
