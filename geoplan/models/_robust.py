"""Robust location models over seasons: one set of sites judged against several cost matrices.

``cost`` is a mapping *season -> matrix* (the same demand points and sites in every season) and
``robust`` says how the seasons combine:

- ``"worst"``: coverage models maximise the pupils covered in the worst season; the p-median
  minimises the largest season total, an unreachable pair costing ``unreachable_min`` (default:
  twice the largest finite cost of that season) so that unserved pupils dominate;
- ``"regret"``: the least largest shortfall against each season's own optimum (absolute, in the
  model's units); each season's optimum is solved first, and where it is not proven its bound is
  used (the result's ``seasons`` table says so in ``optimum_proven``);
- ``"expected"``: the months-weighted mean of the season values (weights ``months / sum``).

``"expected"`` is the single-season model over the seasons stacked as demand rows (each pupil
counted once per season with its months share), so it uses the single-season exact solver and
heuristics as they are. ``"worst"`` and ``"regret"`` are MILPs that share one set of site columns
over one block per season (the radius formulation for the p-median, cover rows for coverage),
warm-started from a robust greedy + swap search, which is also ``method="heuristic"``. Set cover
covers, in every season, every village some site can cover in that season: the cheapest such plan
is the same for every ``robust`` setting (its cost does not depend on the season).

Capacities and minimum enrolments are single-season only for now.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.errors import ArgumentError
from geoplan.models import _heuristics as heur
from geoplan.models import _location as loc
from geoplan.models import siting as st
from geoplan.models.siting import ROBUST
from geoplan.models.solver import MipBuilder, relative_gap

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Seasons:
    names: list[str]
    probs: list[st._Problem]
    months: np.ndarray

    @property
    def share(self) -> np.ndarray:
        out: np.ndarray = self.months / self.months.sum()
        return out

    @property
    def first(self) -> st._Problem:
        return self.probs[0]


def check_robust(robust: str | None, cost: Any) -> str:
    """The robust setting to use (``"worst"`` by default when ``cost`` is a mapping)."""
    if robust is None:
        return "worst"
    if robust not in ROBUST:
        msg = f"`robust` must be one of {ROBUST}, got {robust!r}"
        raise ArgumentError(msg)
    return robust


def prepare(
    cost: Mapping[str, Any],
    choice: st._SiteChoice,
    *,
    months: Mapping[str, float] | None,
    objective_weights: Any = None,
) -> _Seasons:
    """Align every season's matrix on the first one's ids; check months and unsupported options."""
    single_only = {
        "capacity": choice.capacity,
        "min_enrolment": choice.min_enrolment,
        "fill_fixed": choice.fill_fixed,
        "objective_weights": objective_weights,
    }
    used = [k for k, v in single_only.items() if v not in (None, False)]
    if used:
        msg = (
            f"robust (seasonal) models take no {', '.join(used)}; solve each season alone "
            "for capacitated plans"
        )
        raise ArgumentError(msg)
    names = [str(k) for k in cost]
    if not names:
        msg = "`cost` is an empty mapping; give one cost matrix per season"
        raise ArgumentError(msg)
    uncapacitated = replace(choice, capacity=None, min_enrolment=None, fill_fixed=False)
    probs: list[st._Problem] = []
    for name, matrix in cost.items():
        season = uncapacitated
        if probs and not isinstance(matrix, np.ndarray):
            first = probs[0]
            season = replace(uncapacitated, demand_ids=first.demand_ids, site_ids=first.site_ids)
        prob = st._prepare(matrix, season)
        if probs and (
            prob.cost.shape != probs[0].cost.shape
            or prob.demand_ids != probs[0].demand_ids
            or prob.site_ids != probs[0].site_ids
        ):
            msg = (
                f"season {name!r} has other demand points or sites than season {names[0]!r}; "
                "every season's matrix must hold the same ids"
            )
            raise ArgumentError(msg)
        probs.append(prob)
    if months is None:
        m = np.ones(len(names))
    else:
        missing = [s for s in names if s not in months]
        extra_names = [str(s) for s in months if str(s) not in names]
        if missing or extra_names:
            msg = (
                f"`months` must name every season of `cost` ({', '.join(names)}); "
                f"missing {missing}, unknown {extra_names}"
            )
            raise ArgumentError(msg)
        m = np.array([float(months[s]) for s in names])
        if np.any(~np.isfinite(m)) or np.any(m <= 0):
            msg = f"`months` must be positive numbers, got {dict(months)}"
            raise ArgumentError(msg)
    return _Seasons(names, probs, m)


def _stack(seasons: _Seasons, costs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    w = seasons.first.weights
    mat = np.vstack(costs)
    weights = np.concatenate([share * w for share in seasons.share])
    ids = [f"{s}\x1f{d}" for s in seasons.names for d in seasons.first.demand_ids]
    return mat, weights, ids


def _decisions(seasons: _Seasons) -> dict[str, Any]:
    prob = seasons.first
    ids = np.asarray(prob.site_ids, dtype=object)
    return {
        "fixed": list(ids[prob.fixed]),
        "must": list(ids[prob.must]),
        "never": list(ids[prob.never]),
    }


# ---------------------------------------------------------------------------------------------
# Season values of a plan, and of every one-site change (vectorised over candidates)


def _pm_totals(costs: list[np.ndarray], w: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    if not is_open.any():  # nothing open yet: every point at the greedy's start cost
        return np.array([float(w.sum()) * (float(d.max()) * 2 + 1.0) for d in costs])
    return np.array([float(w @ heur.nearest_open(d, is_open)[1]) for d in costs])


def _cov_values(covers: list[np.ndarray], w: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    return np.array([float(w @ c[:, is_open].any(axis=1)) for c in covers])


def _pm_add(d: np.ndarray, w: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    """Season total after opening each site (``m``)."""
    if is_open.any():
        cur = heur.nearest_open(d, is_open)[1]
    else:
        cur = np.full(d.shape[0], float(d.max()) * 2 + 1.0)
    out: np.ndarray = float(w @ cur) - w @ np.maximum(cur[:, None] - d, 0.0)
    return out


def _pm_swap(d: np.ndarray, w: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    """Season total after opening site ``j`` and closing the ``r``-th open site (``m x k``)."""
    n = d.shape[0]
    rows = np.arange(n)
    cols = np.flatnonzero(is_open)
    sub = d[:, cols]
    order = np.argsort(sub, axis=1)[:, :2]
    a1 = order[:, 0]
    d1 = sub[rows, a1]
    d2 = sub[rows, order[:, 1]] if cols.size > 1 else np.full(n, float(d.max()) * 2 + 1.0)
    gain_in = w @ np.maximum(d1[:, None] - d, 0.0)
    t = w[:, None] * (np.minimum(d, d2[:, None]) - np.minimum(d, d1[:, None]))
    onehot = sp.csr_array((np.ones(n), (rows, a1)), shape=(n, cols.size))
    loss = np.asarray((onehot.T @ t).T)
    out: np.ndarray = float(w @ d1) - gain_in[:, None] + loss
    return out


def _cov_add(c: np.ndarray, w: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    covered = c[:, is_open].any(axis=1)
    out: np.ndarray = float(w @ covered) + (w * ~covered) @ c
    return out


def _cov_swap(c: np.ndarray, w: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    cols = np.flatnonzero(is_open)
    sub = c[:, cols]
    count = sub.sum(axis=1)
    covered = count > 0
    gain_in = (w * ~covered) @ c  # m
    only = sub & (count == 1)[:, None]  # n x k: points covered by that open site alone
    loss = w @ only  # k
    keep = c.T.astype(np.float64) @ (only * w[:, None])  # m x k: of those, what j covers
    out: np.ndarray = float(w @ covered) + gain_in[:, None] - loss[None, :] + keep
    return out


@dataclass(frozen=True)
class _Search:
    """A robust local search: season losses (lower is better) of plans and of moves."""

    losses: Any  # is_open -> (S,)
    add: Any  # is_open -> (S, m)
    swap: Any  # is_open -> (S, m, k)
    ref: np.ndarray  # (S,) the reference of each season (0 or the loss of its own optimum)


def _score(loss: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Robust value (largest loss above the reference) and the sum (tie-break), over axis 0."""
    shape = (-1,) + (1,) * (loss.ndim - 1)
    return (loss - ref.reshape(shape)).max(axis=0), loss.sum(axis=0)


def _better(f: np.ndarray, g: np.ndarray, f0: float, g0: float) -> np.ndarray:
    tol_f = 1e-9 * max(1.0, abs(f0))
    tol_g = 1e-9 * max(1.0, abs(g0))
    out: np.ndarray = (f < f0 - tol_f) | ((f <= f0 + tol_f) & (g < g0 - tol_g))
    return out


def _search_deadline(method: str, t0: float, time_limit_s: float) -> float:
    """When the robust search stops: alone, at 80 % of the time; before the MIP, after a fifth.

    A fifth of the time left, that is, and at least a second either way.
    """
    now = time.perf_counter()
    if method == "heuristic":
        return max(now + 1.0, t0 + 0.8 * time_limit_s)
    return now + 0.2 * max(1.0, t0 + time_limit_s - now)


def _robust_search(
    search: _Search,
    prob: st._Problem,
    *,
    count: int | None,
    exact_count: bool,
    site_cost: np.ndarray,
    budget: float,
    deadline: float,
    initial: np.ndarray | None = None,
) -> np.ndarray:
    """Greedy robust adding, then best-improvement swaps (and adds), lexicographic (value, sum).

    ``initial`` (a feasible plan, e.g. the months-weighted greedy's) replaces the robust greedy's
    plan as the start of the swaps when it is better.
    """
    m = len(prob.site_ids)
    max_open = m if count is None else count
    is_open = prob.forced.copy()
    while is_open.sum() < max_open:
        f0, g0 = (float(v) for v in _score(search.losses(is_open), search.ref))
        f, g = _score(search.add(is_open), search.ref)
        ok = prob.allowed & ~is_open & (site_cost[is_open].sum() + site_cost <= budget + 1e-9)
        if not exact_count:
            ok &= _better(f, g, f0, g0)
        if not ok.any():
            break
        gain = (f0 - f) + 1e-3 * (g0 - g) / len(search.ref)
        score = np.where(ok, gain / np.maximum(site_cost, 1e-9), -np.inf)
        if exact_count:
            score = np.where(ok, gain, -np.inf)
        is_open[int(np.argmax(score))] = True
    if initial is not None:
        f1, g1 = (float(v) for v in _score(search.losses(initial), search.ref))
        f0, g0 = (float(v) for v in _score(search.losses(is_open), search.ref))
        if _better(np.array([f1]), np.array([g1]), f0, g0)[0]:
            is_open = initial.copy()
    spent = float(site_cost[is_open].sum())
    while time.perf_counter() < deadline:
        f0, g0 = (float(v) for v in _score(search.losses(is_open), search.ref))
        cols = np.flatnonzero(is_open)
        moves = []
        if cols.size and (prob.allowed & ~is_open).any():
            f, g = _score(search.swap(is_open), search.ref)
            ok = (prob.allowed & ~is_open)[:, None] & ~prob.forced[cols][None, :]
            ok &= spent - site_cost[cols][None, :] + site_cost[:, None] <= budget + 1e-9
            ok &= _better(f, g, f0, g0)
            if ok.any():
                fm = np.where(ok, f, np.inf)
                js, rs = np.unravel_index(int(np.argmin(fm)), fm.shape)
                moves.append((float(f[js, rs]), float(g[js, rs]), int(js), int(cols[rs])))
        if not exact_count and is_open.sum() < max_open:
            f, g = _score(search.add(is_open), search.ref)
            ok = prob.allowed & ~is_open & (spent + site_cost <= budget + 1e-9)
            ok &= _better(f, g, f0, g0)
            if ok.any():
                ja = int(np.argmin(np.where(ok, f, np.inf)))
                moves.append((float(f[ja]), float(g[ja]), ja, -1))
        if not moves:
            break
        _f, _g, j, r = min(moves)
        is_open[j] = True
        if r >= 0:
            is_open[r] = False
        spent = float(site_cost[is_open].sum())
    return is_open


# ---------------------------------------------------------------------------------------------
# Results


def _robust_result(
    seasons: _Seasons,
    model: str,
    robust: str,
    *,
    is_open: np.ndarray,
    objective: float,
    bound: float,
    status: str,
    method: str,
    t0: float,
    values: np.ndarray,
    costs: list[np.ndarray],
    limit: float,
    optimum: np.ndarray | None = None,
    proven: np.ndarray | None = None,
    extra: Mapping[str, np.ndarray] | None = None,
) -> st.SitingResult:
    tables = []
    for prob, d in zip(seasons.probs, costs, strict=True):
        if model == "p_median":
            site_of = heur.nearest_open(d, is_open)[0]
            site_of = np.where(np.isfinite(prob.cost[np.arange(d.shape[0]), site_of]), site_of, -1)
        else:
            site_of = st._nearest_within(prob, is_open, limit)
        tables.append(st._tables(prob, model, site_of, is_open, limit))
    table = pd.DataFrame(
        {"months": seasons.months, "value": values},
        index=pd.Index(seasons.names, name="season"),
    )
    for name, col in (extra or {}).items():
        table[name] = col
    table["covered_pupils"] = [float(a.loc[a["covered"], "pupils"].sum()) for _s, a in tables]
    if optimum is not None and proven is not None:
        table["optimum"] = optimum
        table["optimum_proven"] = proven
        table["regret"] = (values - optimum) if model == "p_median" else (optimum - values)
    if status != "optimal" and math.isfinite(bound) and relative_gap(objective, bound) == 0:
        status = "optimal"
    return st.SitingResult(
        model,
        tables[0][0],
        tables[0][1],
        float(objective),
        float(bound),
        relative_gap(objective, bound),
        status,
        time.perf_counter() - t0,
        method,
        robust=robust,
        seasons=table,
        season_assignment={s: a for s, (_x, a) in zip(seasons.names, tables, strict=True)},
    )


def _reference(
    solve_one: Any, seasons: _Seasons, minimise: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each season's own optimum (or its bound when not proven), proven flags, its best plan."""
    refs, proven, values = [], [], []
    for k, _name in enumerate(seasons.names):
        res = solve_one(k)
        ok = res.status == "optimal"
        ref = res.objective if ok else res.bound
        if not math.isfinite(ref):  # no bound: the trivial one
            ref = 0.0 if minimise else float(seasons.probs[k].weights.sum())
        refs.append(ref)
        proven.append(ok)
        values.append(res.objective)
    return np.array(refs), np.array(proven), np.array(values)


# ---------------------------------------------------------------------------------------------
# p-median


def _unreachable(
    seasons: _Seasons, unreachable_min: float | Mapping[str, float] | None
) -> tuple[list[np.ndarray], np.ndarray]:
    costs, penalty = [], []
    for name, prob in zip(seasons.names, seasons.probs, strict=True):
        if isinstance(unreachable_min, Mapping):
            u = float(unreachable_min[name]) if name in unreachable_min else math.nan
        elif unreachable_min is not None:
            u = float(unreachable_min)
        else:
            finite = prob.cost[np.isfinite(prob.cost)]
            u = 2.0 * float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        if not (math.isfinite(u) and u > 0):
            msg = f"`unreachable_min` of season {name!r} must be a positive number, got {u}"
            raise ArgumentError(msg)
        costs.append(np.where(np.isfinite(prob.cost), prob.cost, u))
        penalty.append(u)
    return costs, np.array(penalty)


def _radius_block(
    b: MipBuilder, d: np.ndarray, w: np.ndarray, p: int, prob: st._Problem, tag: str
) -> tuple[np.ndarray, np.ndarray, float]:
    """Radius rows of one season over the site columns ``0..m-1``: (z columns, z costs, offset).

    The season total is ``offset + z_cost @ z``; see ``siting._radius_milp`` for the levels.
    """
    cols = np.flatnonzero(prob.allowed)
    sub = d[:, cols]
    kth = np.sort(sub, axis=1)[:, cols.size - p]
    forced_sub = prob.forced[cols]
    cap = np.minimum(kth, sub[:, forced_sub].min(axis=1)) if forced_sub.any() else kth
    r_idx, c_idx, vals, z_cost, z_ub, first = [], [], [], [], [], []
    offset, row, nz = 0.0, 0, 0
    for i in range(d.shape[0]):
        levels, inverse = np.unique(sub[i], return_inverse=True)
        n_lev = int(np.searchsorted(levels, cap[i], side="right"))
        offset += w[i] * levels[0]
        keep = inverse < n_lev
        r_idx.append(row + inverse[keep])
        c_idx.append(cols[keep])
        vals.append(np.ones(int(keep.sum())))
        ks = np.arange(n_lev)
        r_idx.append(row + ks)
        c_idx.append(-1 - (nz + ks))  # z columns, numbered once the block exists
        vals.append(np.ones(n_lev))
        if n_lev > 1:
            r_idx.append(row + ks[1:])
            c_idx.append(-1 - (nz + ks[:-1]))
            vals.append(-np.ones(n_lev - 1))
        steps = np.diff(levels[:n_lev])
        z_cost.extend([*(w[i] * steps).tolist(), 0.0])
        z_ub.extend([1.0] * (n_lev - 1) + [0.0])
        first.append(row)
        row += n_lev
        nz += n_lev
    z = b.add_vars(f"beyond_{tag}", nz, ub=np.asarray(z_ub), integer=False)
    c = np.concatenate(c_idx)
    c = np.where(c < 0, z[0] + (-1 - c), c)
    lo = np.zeros(row)
    lo[np.asarray(first, dtype=np.int64)] = 1.0
    b.add_rows(
        np.concatenate(r_idx), c, np.concatenate(vals), n_rows=row, lower=lo, name=f"levels_{tag}"
    )
    return z, np.asarray(z_cost), offset


def p_median(
    cost: Mapping[str, Any],
    choice: st._SiteChoice,
    *,
    p: int,
    robust: str,
    months: Mapping[str, float] | None,
    unreachable_min: float | Mapping[str, float] | None,
    method: str,
    time_limit_s: float,
    heuristic_rounds: int,
    objective_weights: Any,
) -> st.SitingResult:
    """Robust p-median over seasons (see the module docstring)."""
    t0 = time.perf_counter()
    seasons = prepare(cost, choice, months=months, objective_weights=objective_weights)
    prob = seasons.first
    st._check_count(prob, p)
    costs, penalty = _unreachable(seasons, unreachable_min)
    w = prob.weights
    dec = _decisions(seasons)
    deadline = t0 + time_limit_s

    def finish(
        is_open: np.ndarray,
        objective: float,
        bound: float,
        status: str,
        optimum: np.ndarray | None = None,
        proven: np.ndarray | None = None,
    ) -> st.SitingResult:
        values = _pm_totals(costs, w, is_open)
        lost = []
        for d, prob_s in zip(costs, seasons.probs, strict=True):
            site = heur.nearest_open(d, is_open)[0]
            lost.append(float(w[~np.isfinite(prob_s.cost[np.arange(d.shape[0]), site])].sum()))
        return _robust_result(
            seasons,
            "p_median",
            robust,
            is_open=is_open,
            objective=objective,
            bound=bound,
            status=status,
            method=method,
            t0=t0,
            values=values,
            costs=costs,
            limit=math.inf,
            optimum=optimum,
            proven=proven,
            extra={"unreachable_min": penalty, "unreachable_pupils": np.array(lost)},
        )

    if robust == "expected":
        mat, sw, ids = _stack(seasons, costs)
        res = st.p_median(
            mat,
            p=p,
            weights=sw,
            demand_ids=ids,
            site_ids=prob.site_ids,
            method=method,
            time_limit_s=time_limit_s,
            heuristic_rounds=heuristic_rounds,
            **dec,
        )
        return finish(res.sites["open"].to_numpy(), res.objective, res.bound, res.status)
    share_left = 0.5 if robust == "regret" else 0.0
    ref = np.zeros(len(costs))
    optimum = proven = None
    if robust == "regret":
        each = share_left * time_limit_s / len(costs)
        ref, proven, _v = _reference(
            lambda k: st.p_median(
                costs[k],
                p=p,
                weights=w,
                demand_ids=prob.demand_ids,
                site_ids=prob.site_ids,
                method=method,
                time_limit_s=each,
                heuristic_rounds=heuristic_rounds,
                **dec,
            ),
            seasons,
            minimise=True,
        )
        optimum = ref
    search = _Search(
        losses=lambda y: _pm_totals(costs, w, y),
        add=lambda y: np.stack([_pm_add(d, w, y) for d in costs]),
        swap=lambda y: np.stack([_pm_swap(d, w, y) for d in costs]),
        ref=ref,
    )
    m = len(prob.site_ids)
    stacked_greedy = heur.greedy_pmedian(
        np.vstack(costs), np.tile(w, len(costs)), p, prob.forced, prob.allowed
    )
    start = _robust_search(
        search,
        prob,
        count=p,
        exact_count=True,
        initial=stacked_greedy,
        site_cost=np.zeros(m),
        budget=math.inf,
        deadline=_search_deadline(method, t0, time_limit_s),
    )
    value = float((_pm_totals(costs, w, start) - ref).max())
    if method == "heuristic":
        # a cheap bound: the months-weighted mean of the seasons never exceeds the largest one
        mean = st.p_median(
            _stack(seasons, costs)[0],
            p=p,
            weights=_stack(seasons, costs)[1],
            site_ids=prob.site_ids,
            method="heuristic",
            heuristic_rounds=0,
            **dec,
        )
        bound = mean.bound - float(seasons.share @ ref) if math.isfinite(mean.bound) else math.nan
        bound = min(value, max(bound, 0.0 if robust == "regret" else bound))
        return finish(start, value, bound, "heuristic", optimum, proven)
    b = MipBuilder("min")
    y = b.add_vars("open", m, lb=np.where(prob.forced, 1.0, 0.0), ub=np.where(prob.never, 0.0, 1.0))
    t = b.add_vars("worst", 1, cost=1.0, lb=-math.inf, ub=math.inf, integer=False)
    for k, d in enumerate(costs):
        z, z_cost, offset = _radius_block(b, d, w, p, prob, str(k))
        # t - z_cost @ z >= offset - ref
        b.add_rows(
            np.zeros(z.size + 1, dtype=np.int64),
            np.concatenate([t, z]),
            np.concatenate([[1.0], -z_cost]),
            n_rows=1,
            lower=offset - ref[k],
        )
    b.add_rows(np.zeros(m), y, 1.0, n_rows=1, lower=p, upper=p, name="count")
    mip = b.build()
    integral = all(np.all(d == np.round(d)) for d in costs) and bool(
        np.all(w == np.round(w)) and np.all(ref == np.round(ref))
    )
    sol = mip.solve(
        time_limit_s=max(1.0, deadline - time.perf_counter()),
        start=mip.start(open=start),
        integral_objective=integral,
        mip_abs_gap=0.999 if integral else 1e-6,
    )
    is_open = start
    if sol.x is not None:
        cand = mip.values(sol.x, "open") > 0.5
        cand_value = float((_pm_totals(costs, w, cand) - ref).max())
        if cand_value < value:
            is_open, value = cand, cand_value
    bound = min(sol.bound, value) if math.isfinite(sol.bound) else math.nan
    status = "optimal" if sol.status == "optimal" else st._status(value, bound, sol.status)
    if status == "optimal":
        bound = value
    return finish(is_open, value, bound, status, optimum, proven)


# ---------------------------------------------------------------------------------------------
# Coverage


def coverage(
    model: str,
    cost: Mapping[str, Any],
    choice: st._SiteChoice,
    *,
    limit: float,
    p: int | None,
    site_cost: Any,
    budget: float | None,
    robust: str,
    months: Mapping[str, float] | None,
    method: str,
    time_limit_s: float,
) -> st.SitingResult:
    """Robust ``max_coverage`` (``p``) or ``budgeted_coverage`` (``site_cost``, ``budget``)."""
    t0 = time.perf_counter()
    seasons = prepare(cost, choice, months=months)
    prob = seasons.first
    m = len(prob.site_ids)
    costs_site = st._coverage_costs(prob, p, site_cost, budget)
    w = prob.weights
    covers = [st._reachable(s, limit) for s in seasons.probs]
    dec = _decisions(seasons)
    deadline = t0 + time_limit_s

    def single(mat: np.ndarray, wts: np.ndarray, ids: list[str], how: str, secs: float) -> Any:
        if p is not None:
            return st.max_coverage(
                mat,
                limit=limit,
                p=p,
                weights=wts,
                demand_ids=ids,
                site_ids=prob.site_ids,
                method=how,
                time_limit_s=secs,
                **dec,
            )
        return st.budgeted_coverage(
            mat,
            limit=limit,
            site_cost=costs_site,
            budget=float(budget or 0.0),
            weights=wts,
            demand_ids=ids,
            site_ids=prob.site_ids,
            method=how,
            time_limit_s=secs,
            **dec,
        )

    def finish(
        is_open: np.ndarray,
        objective: float,
        bound: float,
        status: str,
        optimum: np.ndarray | None = None,
        proven: np.ndarray | None = None,
    ) -> st.SitingResult:
        return _robust_result(
            seasons,
            model,
            robust,
            is_open=is_open,
            objective=objective,
            bound=bound,
            status=status,
            method=method,
            t0=t0,
            values=_cov_values(covers, w, is_open),
            costs=[s.cost for s in seasons.probs],
            limit=limit,
            optimum=optimum,
            proven=proven,
        )

    if robust == "expected":
        mat, sw, ids = _stack(seasons, [s.cost for s in seasons.probs])
        res = single(mat, sw, ids, method, time_limit_s)
        return finish(res.sites["open"].to_numpy(), res.objective, res.bound, res.status)
    ref = np.zeros(len(covers))
    optimum = proven = None
    if robust == "regret":
        each = 0.5 * time_limit_s / len(covers)
        opt, proven, _v = _reference(
            lambda k: single(seasons.probs[k].cost, w, prob.demand_ids, method, each),
            seasons,
            minimise=False,
        )
        optimum = opt
        ref = -opt  # losses are minus the covered pupils
    search = _Search(
        losses=lambda y: -_cov_values(covers, w, y),
        add=lambda y: -np.stack([_cov_add(c, w, y) for c in covers]),
        swap=lambda y: -np.stack([_cov_swap(c, w, y) for c in covers]),
        ref=ref,
    )
    stacked_greedy = heur.greedy_coverage(
        np.vstack(covers),
        np.concatenate([w] * len(covers)),
        prob.forced,
        prob.allowed,
        site_cost=costs_site if p is None else np.ones(m),
        budget=math.inf if budget is None else float(budget),
        max_open=m if p is None else p,
    )
    start = _robust_search(
        search,
        prob,
        count=p,
        exact_count=False,
        initial=stacked_greedy,
        site_cost=costs_site if p is None else np.ones(m),
        budget=math.inf if budget is None else float(budget),
        deadline=_search_deadline(method, t0, time_limit_s),
    )

    def robust_value(is_open: np.ndarray) -> float:
        v = _cov_values(covers, w, is_open)
        return float(v.min()) if robust == "worst" else float((optimum - v).max())

    value = robust_value(start)
    if method == "heuristic":
        coverable = np.array([float(w @ c.any(axis=1)) for c in covers])
        bound = float(coverable.min()) if robust == "worst" else 0.0
        return finish(start, value, bound, "heuristic", optimum, proven)
    worst = robust == "worst"
    b = MipBuilder("max" if worst else "min")
    y = b.add_vars("open", m, lb=np.where(prob.forced, 1.0, 0.0), ub=np.where(prob.never, 0.0, 1.0))
    t = b.add_vars("robust", 1, cost=1.0, lb=-math.inf, ub=math.inf, integer=False)
    z_start = {}
    for k, c in enumerate(covers):
        z = b.add_vars(f"covered_{k}", c.shape[0], integer=False)
        loc.add_cover_rows(b, c, y, z, name=f"cover_{k}")
        z_start[f"covered_{k}"] = c[:, start].any(axis=1)
        if worst:  # t <= w @ z
            b.add_rows(
                np.zeros(z.size + 1),
                np.concatenate([t, z]),
                np.concatenate([[1.0], -w]),
                n_rows=1,
                upper=0.0,
            )
        else:  # t >= optimum - w @ z
            b.add_rows(
                np.zeros(z.size + 1),
                np.concatenate([t, z]),
                np.concatenate([[1.0], w]),
                n_rows=1,
                lower=float(-ref[k]),
            )
    if p is not None:
        loc.add_limit_row(b, y, 1.0, float(p), name="count")
    if budget is not None:
        loc.add_limit_row(b, y, costs_site, float(budget), name="budget")
    mip = b.build()
    integral = bool(np.all(w == np.round(w)) and np.all(ref == np.round(ref)))
    res = mip.solve(
        time_limit_s=max(1.0, deadline - time.perf_counter()),
        start=mip.start(open=start, robust=[value], **z_start),
        integral_objective=integral,
        mip_abs_gap=0.999 if integral else 1e-6,
    )
    is_open = start
    if res.x is not None:
        cand = mip.values(res.x, "open") > 0.5
        cand_value = robust_value(cand)
        if (cand_value > value) if worst else (cand_value < value):
            is_open, value = cand, cand_value
    bound = res.bound
    if math.isfinite(bound):
        bound = max(bound, value) if worst else min(bound, value)
    status = "optimal" if res.status == "optimal" else st._status(value, bound, res.status)
    if status == "optimal":
        bound = value
    return finish(is_open, value, bound, status, optimum, proven)


def set_cover(
    cost: Mapping[str, Any],
    choice: st._SiteChoice,
    *,
    limit: float,
    robust: str,
    months: Mapping[str, float] | None,
    site_cost: Any,
    method: str,
    time_limit_s: float,
) -> st.SitingResult:
    """Cheapest sites covering, in every season, every village some site covers in that season."""
    t0 = time.perf_counter()
    seasons = prepare(cost, choice, months=months)
    prob = seasons.first
    mat, _sw, ids = _stack(seasons, [s.cost for s in seasons.probs])
    stacked_w = np.tile(prob.weights, len(seasons.names))
    res = st.set_cover(
        mat,
        limit=limit,
        weights=stacked_w,
        site_cost=site_cost,
        demand_ids=ids,
        site_ids=prob.site_ids,
        method=method,
        time_limit_s=time_limit_s,
        **_decisions(seasons),
    )
    is_open = res.sites["open"].to_numpy()
    covers = [st._reachable(s, limit) for s in seasons.probs]
    coverable = np.array([float(prob.weights @ c.any(axis=1)) for c in covers])
    out = _robust_result(
        seasons,
        "set_cover",
        robust,
        is_open=is_open,
        objective=res.objective,
        bound=res.bound,
        status=res.status,
        method=method,
        t0=t0,
        values=_cov_values(covers, prob.weights, is_open),
        costs=[s.cost for s in seasons.probs],
        limit=limit,
        extra={"coverable_pupils": coverable},
    )
    return replace(out, status=res.status if res.status != "optimal" else out.status)
