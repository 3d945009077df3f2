"""Multi-year phasing of teaching-point restoration: which sites, in which phase.

:func:`phase_sites` maximises the pupil-years brought within the grades 1-3 day limit under
limits of sites and cost per phase, exactly (a HiGHS MIP warm-started by the greedy) or greedily
with an LP bound; :func:`pupil_years_served` scores any phasing. Inputs are described in
:mod:`geoplan._coverage`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.data.messages import coded_error, coded_problem
from geoplan.errors import ArgumentError, InfeasibleError, Problem, ValidationError
from geoplan.models import _location as loc
from geoplan.models._coverage import _Cover, _enrolment, _prepare
from geoplan.models.solver import Mip, MipBuilder, SolveResult, id_series, relative_gap
from geoplan.rules import PlanningRules

__all__ = [
    "Phasing",
    "phase_sites",
    "pupil_years_served",
]

_logger = logging.getLogger(__name__)


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
        Solver status (``optimal``, ``time_limit``, ``greedy``; with ``siting``: the location
        model's status).
    method
        ``"mip"``, ``"greedy"``, or ``"siting"`` (one phase chosen by a location model of
        :mod:`geoplan.plan.siting_plan`; its bound and gap are in the plan's ``siting``).
    seconds
        Wall time.
    robust
        ``""``, or with seasons ``"worst"``, ``"regret"`` or ``"expected"``: then
        ``pupil_years``, ``bound`` and ``gap`` are in that setting's terms (the worst season's
        pupil-years; the largest shortfall against a season's own optimum; the months-weighted
        mean).
    season_pupil_years
        With seasons: the plan's pupil-years in each season.
    season_optimum
        With ``robust="regret"``: each season's own optimum (or its bound when not proven).
    """

    phase: pd.Series
    pupil_years: float
    bound: float
    gap: float
    status: str
    method: str
    seconds: float
    robust: str = ""
    season_pupil_years: Mapping[str, float] = field(default_factory=dict)
    season_optimum: Mapping[str, float] = field(default_factory=dict)

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
            coded_problem(
                "phases_over_years",
                "",
                "projection",
                "",
                "years",
                years,
                phases=n_phases,
                value=years,
            )
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
            problems.append(
                coded_problem(
                    "unknown_choice",
                    "",
                    "sites",
                    str(sid),
                    "decision",
                    d,
                    column="decision",
                    choices="free, must, never",
                )
            )
        if np.isfinite(f) and not 1 <= f <= n_phases:
            problems.append(
                coded_problem(
                    "phase_out_of_range", "", "sites", str(sid), "phase", f, phases=n_phases
                )
            )
        if np.isfinite(f) and d == "never":
            problems.append(
                coded_problem("never_site_with_phase", "", "sites", str(sid), "decision", d)
            )
    if problems:
        raise ValidationError(problems)
    caps = np.asarray(
        sites_per_phase if sites_per_phase is not None else [np.inf] * n_phases, dtype="float64"
    )
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
    season_minutes: Mapping[str, pd.DataFrame] | None = None,
    robust: str | None = None,
    months: Mapping[str, float] | None = None,
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
    season_minutes, robust, months
        Seasons: grades 1-3 minutes per season (as ``minutes``), and how they combine:
        ``"worst"`` (most pupil-years in the worse season), ``"regret"`` (least largest
        shortfall against each season's own optimum) or ``"expected"`` (months-weighted mean;
        ``months`` per season, default equal). Minimum enrolments are checked on ``minutes``.
        Always the MIP.

    Returns
    -------
    Phasing
        The phase of every site, the pupil-years, bound and gap.
    """
    t0 = time.perf_counter()
    rules = rules or PlanningRules()
    if sites_per_phase is None and budget_per_phase is None:
        msg = "give `sites_per_phase` (e.g. [4, 4, 3, 3]) or `budget_per_phase` (yuan)."
        raise ArgumentError(msg)
    n_phases = len(sites_per_phase if sites_per_phase is not None else budget_per_phase or [])
    if (
        sites_per_phase is not None
        and budget_per_phase is not None
        and len(budget_per_phase) != n_phases
    ):
        msg = "`sites_per_phase` and `budget_per_phase` must have one entry per phase each."
        raise ArgumentError(msg)
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
    _check_forced(cov, forced, fixed, cost, limits, sites)
    size = int(allowed.sum()) + int(cov.cover.any(axis=1).sum()) * cov.pupils.shape[1]
    use_mip = method == "mip" or (method == "auto" and size <= max_exact_pairs)
    if method not in ("auto", "mip", "greedy"):
        msg = f"`method` must be 'auto', 'mip' or 'greedy', got {method!r}"
        raise ArgumentError(msg)
    if season_minutes is not None:
        return _robust_phasing(
            young,
            season_minutes,
            schools,
            sites,
            allowed=allowed,
            forced=forced,
            cost=cost,
            limits=limits,
            robust=robust or "worst",
            months=months,
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
            rules=rules,
            t0=t0,
        )
    greedy = _greedy(cov, allowed, forced, cost, limits)
    model = _model(cov, allowed, forced, cost, limits)
    if use_mip:
        res = model.mip.solve(
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
            mip_abs_gap=1e-6,
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
        lp = model.mip.relaxed().solve(time_limit_s=time_limit_s)
        ph, value = greedy, _value(cov, greedy)
        bound = lp.objective + model.slack if lp.has_solution else math.nan
        status, used = "greedy", "greedy"
    bound = max(bound, value) if math.isfinite(bound) else bound
    gap = relative_gap(value, bound)
    seconds = time.perf_counter() - t0
    _logger.info("phasing (%s): %.1f pupil-years, gap %.2g, %.2fs", used, value, gap, seconds)
    return Phasing(
        phase=id_series(ph, cov.site_ids, name="phase"),
        pupil_years=value,
        bound=bound,
        gap=gap,
        status=status,
        method=used,
        seconds=seconds,
    )


def _robust_phasing(
    young: pd.DataFrame | pd.Series,
    season_minutes: Mapping[str, pd.DataFrame],
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    allowed: np.ndarray,
    forced: np.ndarray,
    cost: np.ndarray,
    limits: np.ndarray,
    robust: str,
    months: Mapping[str, float] | None,
    time_limit_s: float,
    mip_rel_gap: float,
    rules: PlanningRules,
    t0: float,
) -> Phasing:
    """One set of site-phase columns over one cover block per season (seasons stacked as rows)."""
    if robust not in ("worst", "regret", "expected"):
        msg = f"`robust` must be 'worst', 'regret' or 'expected', got {robust!r}"
        raise ArgumentError(msg)
    names = [str(k) for k in season_minutes]
    covs = [_prepare(young, m, schools, sites, rules) for m in season_minutes.values()]
    share = np.ones(len(names)) if months is None else np.array([months[k] for k in names])
    share = share / share.sum()
    refs = np.zeros(len(names))
    if robust == "regret":
        each = 0.5 * time_limit_s / len(names)
        for k, (name, m) in enumerate(season_minutes.items()):
            own = _robust_phasing(
                young, {name: m}, schools, sites, allowed=allowed, forced=forced, cost=cost,
                limits=limits, robust="expected", months=None, time_limit_s=each,
                mip_rel_gap=mip_rel_gap, rules=rules, t0=time.perf_counter(),
            )  # fmt: skip
            refs[k] = own.pupil_years if own.status == "optimal" else own.bound
    scale = share if robust == "expected" else np.ones(len(names))
    stacked = replace(
        covs[0],
        village_ids=[f"{s}|{v}" for s in names for v in covs[0].village_ids],
        pupils=np.vstack([f * c.pupils for f, c in zip(scale, covs, strict=True)]),
        cover=np.vstack([c.cover for c in covs]),
        switch=np.vstack([c.switch for c in covs]),
    )
    greedy = _greedy(stacked, allowed, forced, cost, limits)
    model = _model(stacked, allowed, forced, cost, limits)
    mip = model.mip
    if robust != "expected":
        # t against each season's pupil-years: z keeps its rows, its objective moves to t
        years = stacked.pupils.shape[1]
        n_v = len(covs[0].village_ids)
        villages = np.flatnonzero(stacked.cover.any(axis=1) & (stacked.pupils.sum(axis=1) > 0))
        zcols = np.arange(mip.columns["covered"].start, mip.columns["covered"].stop)
        season_of = np.repeat(villages // n_v, years)
        weight = stacked.pupils[villages].ravel()
        mip = mip.with_columns(
            "robust", sp.csc_array((mip.n_rows, 1)), cost=1.0, lb=-math.inf, ub=math.inf
        )
        c = mip.c.copy()
        c[zcols] = 0.0
        sign = 1.0 if robust == "worst" else -1.0  # worst: t <= P_s z; regret: t >= ref_s - P_s z
        rows = sp.coo_array(
            (
                np.concatenate([-sign * weight, np.ones(len(names))]),
                (
                    np.concatenate([season_of, np.arange(len(names))]),
                    np.concatenate([zcols, np.full(len(names), mip.n_cols - 1)]),
                ),
            ),
            shape=(len(names), mip.n_cols),
        )
        lower = np.full(len(names), -math.inf) if robust == "worst" else refs
        upper = np.zeros(len(names)) if robust == "worst" else np.full(len(names), math.inf)
        if robust == "regret":
            c[mip.columns["restore"]] *= -1.0  # the tie-breaker still prefers cheaper plans
        mip = replace(
            mip,
            c=c,
            a=sp.vstack([mip.a, rows.tocsc()], format="csc"),
            row_lower=np.concatenate([mip.row_lower, lower]),
            row_upper=np.concatenate([mip.row_upper, upper]),
            rows={**mip.rows, "seasons": slice(mip.n_rows, mip.n_rows + len(names))},
            sense="max" if robust == "worst" else "min",
        )

    def score(ph: np.ndarray) -> tuple[float, np.ndarray]:
        per = np.array([_value(c, ph) for c in covs])
        if robust == "worst":
            return float(per.min()), per
        if robust == "regret":
            return float((refs - per).max()), per
        return float(share @ per), per

    start = np.concatenate([model.start(greedy), np.full(mip.n_cols - model.mip.n_cols, np.nan)])
    res = mip.solve(time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, mip_abs_gap=1e-6,
                    start=start)  # fmt: skip
    if not res.has_solution:
        raise InfeasibleError(f"the seasonal phasing model has no solution ({res.status}).")
    ph = model.phases(replace(res, x=res.x[: model.mip.n_cols] if res.x is not None else None))
    value, per = score(ph)
    g_value, g_per = score(greedy)
    if (g_value > value + 1e-6) if robust != "regret" else (g_value < value - 1e-6):
        ph, value, per = greedy, g_value, g_per
    slack = model.slack
    bound = res.bound
    if math.isfinite(bound):
        bound = max(bound + slack, value) if robust != "regret" else min(bound - slack, value)
    gap = relative_gap(value, bound)
    _logger.info("seasonal phasing (%s): %.1f, gap %.2g", robust, value, gap)
    return Phasing(
        phase=id_series(ph, covs[0].site_ids, name="phase"),
        pupil_years=value,
        bound=bound,
        gap=gap,
        status=res.status,
        method="mip",
        seconds=time.perf_counter() - t0,
        robust=robust,
        season_pupil_years=dict(zip(names, per.tolist(), strict=True)),
        season_optimum=dict(zip(names, refs.tolist(), strict=True)) if robust == "regret" else {},
    )


def _check_forced(
    cov: _Cover,
    forced: np.ndarray,
    fixed: np.ndarray,
    cost: np.ndarray,
    limits: np.ndarray,
    sites: pd.DataFrame,
) -> None:
    n_phases = limits.shape[1]
    fixed_count = np.zeros(n_phases)
    fixed_cost = np.zeros(n_phases)
    for i in np.flatnonzero(np.isfinite(fixed)):
        fixed_count[int(fixed[i]) - 1] += 1
        fixed_cost[int(fixed[i]) - 1] += cost[i]
    for t in range(n_phases):
        # name only the limit exceeded: a phase limited by budget alone allows any number of sites
        over_sites = fixed_count[t] > limits[0, t]
        if over_sites or fixed_cost[t] > limits[1, t] + 1e-6:
            raise coded_error(
                InfeasibleError,
                "phase_fixed_over_sites" if over_sites else "phase_fixed_over_budget",
                "",
                "sites",
                "",
                "phase",
                t + 1,
                phase=t + 1,
                fixed=int(fixed_count[t]),
                cost=f"{fixed_cost[t]:,.0f}",
                sites=f"{limits[0, t]:g}",
                budget=f"{limits[1, t]:,.0f}",
            )
    over_sites = forced.sum() > limits[0].sum()
    if over_sites or cost[forced].sum() > limits[1].sum() + 1e-6:
        listed = _forced_sites(cov, forced, fixed, sites)
        raise coded_error(
            InfeasibleError,
            "must_over_sites" if over_sites else "must_over_budget",
            "",
            "sites",
            "",
            "decision",
            "must",
            must=int(forced.sum()),
            listed=listed["name"],
            listed_zh=listed["name_zh"],
            sites=f"{limits[0].sum():g}",
            per_phase=", ".join(f"{v:g}" for v in limits[0]),
            cost=f"{cost[forced].sum():,.0f}",
            budget=f"{limits[1].sum():,.0f}",
            per_phase_budget=", ".join(f"{v:,.0f}" for v in limits[1]),
        )


def _forced_sites(
    cov: _Cover, forced: np.ndarray, fixed: np.ndarray, sites: pd.DataFrame
) -> dict[str, str]:
    """The sites that must be restored as ``P01 name``, one list per name column (``name_zh``).

    A site fixed to a phase says so (``P06 name (phase 1)``); a missing Chinese name falls back
    to the English one.
    """

    def name_of(site: str, column: str) -> str:
        value: Any = sites.at[site, column] if column in sites.columns else None
        return "" if value is None or bool(pd.isna(value)) else str(value).strip()

    out = {}
    for column in ("name", "name_zh"):
        names = []
        for i in map(int, np.flatnonzero(forced)):
            site = str(cov.site_ids[i])
            name = name_of(site, column) or name_of(site, "name")
            text = f"{site} {name}".strip()
            if np.isfinite(fixed[i]):
                phase = int(fixed[i])
                text += f" (phase {phase})" if column == "name" else f"(第 {phase} 期)"
            names.append(text)
        out[column] = ", ".join(names)
    return out


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

    # sites with one allowed phase first, then first fit; when that leaves one without a phase,
    # a placement of them all is searched (first fit can miss it: must sites of cost 1 and 3,
    # one site and budget 4 in phase 1, budget 2 in phase 2)
    single = forced & (allowed.sum(axis=1) == 1)
    order = [*np.flatnonzero(single), *np.flatnonzero(forced & ~single)]
    for i in map(int, order):
        t = next((t for t in range(n_phases) if allowed[i, t] and fits(i, t)), None)
        if t is None:
            placed = _place_forced(allowed, forced, cost, limits)
            if placed is None:
                raise coded_error(
                    InfeasibleError,
                    "must_fits_no_phase",
                    "",
                    "sites",
                    str(cov.site_ids[i]),
                    "decision",
                    "must",
                    site=cov.site_ids[i],
                )
            ph[:], count[:], spent[:] = 0, 0.0, 0.0
            for site in np.flatnonzero(placed).tolist():
                place(site, int(placed[site]) - 1)
            break
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
            gains = np.array([float(weight[cov.cover[:, i] & ~served].sum()) for i in cands])
            by_cost = np.isfinite(limits[1, t])
            score = gains / np.maximum(cost[cands], 1.0) if by_cost else gains
            k = int(np.argmax(score))
            if gains[k] <= 1e-9:
                break
            place(cands[k], t)
            served |= cov.cover[:, cands[k]]
    return ph


def _place_forced(
    allowed: np.ndarray, forced: np.ndarray, cost: np.ndarray, limits: np.ndarray
) -> np.ndarray | None:
    """A phase (1 = first) for every forced site within the limits per phase, or ``None``.

    The phasing model's rows for the forced sites alone (each in one allowed phase; sites and
    cost per phase), solved for feasibility.
    """
    n_sites, n_phases = allowed.shape
    pair_site, pair_phase = np.nonzero(allowed & forced[:, None])
    b = MipBuilder("min")
    x = b.add_vars("restore", pair_site.size)
    sites_with = np.flatnonzero(forced)
    loc.add_one_per_group(
        b, np.searchsorted(sites_with, pair_site), x, sites_with.size, lower=1.0, upper=1.0
    )
    for t in range(n_phases):
        in_t = np.flatnonzero(pair_phase == t)
        loc.add_limit_row(b, x[in_t], 1.0, float(limits[0, t]))
        loc.add_limit_row(b, x[in_t], cost[pair_site[in_t]], float(limits[1, t]) + 1e-6)
    res = b.build().solve(time_limit_s=10.0)
    if res.x is None:
        return None
    ph = np.zeros(n_sites, dtype="int64")
    on = res.x > 0.5
    ph[pair_site[on]] = pair_phase[on] + 1
    return ph


@dataclass(frozen=True)
class _Phasing:
    """The phasing MIP and what its columns mean.

    ``restore`` is one column per allowed (site, phase) pair, ``covered`` one per village and year.
    """

    mip: Mip
    pair_site: np.ndarray
    pair_phase: np.ndarray  # 0-based
    n_sites: int
    eps: float
    cost: np.ndarray  # per pair

    def start(self, ph: np.ndarray) -> np.ndarray:
        return self.mip.start(restore=(ph[self.pair_site] == self.pair_phase + 1).astype(float))

    def phases(self, res: SolveResult) -> np.ndarray:
        assert res.x is not None
        ph = np.zeros(self.n_sites, dtype="int64")
        on = self.mip.values(res.x, "restore") > 0.5
        ph[self.pair_site[on]] = self.pair_phase[on] + 1
        return ph

    @property
    def slack(self) -> float:
        """Most the small cost tie-breaker can lower the objective below pupil-years."""
        return float(self.eps * self.cost.sum())


def _model(
    cov: _Cover, allowed: np.ndarray, forced: np.ndarray, cost: np.ndarray, limits: np.ndarray
) -> _Phasing:
    """Multi-year maximal coverage on the location engine's blocks.

    Columns ``restore`` (site i in phase t, binary; a tiny cost tie-breaker) and ``covered``
    (village v within the limit in year j, weight its pupils). Rows: each site in one phase at
    most (exactly one if forced); sites and cost per phase; ``covered_vj <= sum of restore_it``
    over the sites i covering v and phases t <= j (the maximal-coverage rows of
    :func:`geoplan.models.siting.max_coverage`, with site-phase columns).
    """
    n_sites, n_phases = allowed.shape
    years = cov.pupils.shape[1]
    pair_site, pair_phase = np.nonzero(allowed)
    pair_cost = cost[pair_site].astype("float64")
    villages = np.flatnonzero(cov.cover.any(axis=1) & (cov.pupils.sum(axis=1) > 0))
    eps = 1e-3 / (float(pair_cost.sum()) + 1.0)
    b = MipBuilder("max")
    x = b.add_vars("restore", pair_site.size, cost=-eps * pair_cost)
    z = b.add_vars(
        "covered", villages.size * years, cost=cov.pupils[villages].ravel(), integer=False
    )
    sites_with = np.unique(pair_site)
    loc.add_one_per_group(
        b,
        np.searchsorted(sites_with, pair_site),
        x,
        sites_with.size,
        lower=np.where(forced[sites_with], 1.0, 0.0),
        name="one_phase",
    )
    for t in range(n_phases):
        in_t = np.flatnonzero(pair_phase == t)
        loc.add_limit_row(b, x[in_t], 1.0, float(limits[0, t]), name=f"sites_{t + 1}")
        loc.add_limit_row(b, x[in_t], pair_cost[in_t], float(limits[1, t]), name=f"cost_{t + 1}")
    # village-year (a, j) is covered by pair k when k's site covers the village and t_k <= j
    by_pair = sp.coo_array(cov.cover[villages][:, pair_site])
    rows, cols = [], []
    for j in range(years):
        keep = pair_phase[by_pair.col] <= j
        rows.append(by_pair.row[keep] * years + j)
        cols.append(by_pair.col[keep])
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    covers = sp.coo_array((np.ones(r.size), (r, c)), shape=(villages.size * years, pair_site.size))
    loc.add_cover_rows(b, covers, x, z)
    return _Phasing(
        mip=b.build(),
        pair_site=pair_site,
        pair_phase=pair_phase,
        n_sites=n_sites,
        eps=eps,
        cost=pair_cost,
    )
