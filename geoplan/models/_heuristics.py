"""Fast heuristics for the location models, vectorised with numpy.

- p-median: greedy adding, then vertex substitution (best-improvement swaps, Whitaker's fast
  interchange evaluated for every pair at once), and a Lagrangian (subgradient) lower bound so a
  heuristic result carries a gap; Lagrangian reduced-cost fixing, with which the exact model
  starts its branch and bound (``_lagrangian_tree``).
- capacitated p-median: regret assignment of demand to open sites, then alternate
  location-allocation moves; used as a warm start for the exact model.
- coverage: greedy by newly covered demand (per yuan when sites cost money).

Costs are ``float`` arrays, demand x sites; ``inf`` marks a pair that cannot be assigned.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)


def finite_cost(cost: np.ndarray) -> np.ndarray:
    """``cost`` with ``inf`` replaced by a penalty larger than any finite total."""
    finite = cost[np.isfinite(cost)]
    big = (float(finite.max()) if finite.size else 1.0) * (cost.shape[0] + 1) + 1.0
    return np.where(np.isfinite(cost), cost, big)


def nearest_open(cost: np.ndarray, is_open: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index and cost of the nearest open site of every demand point."""
    cols = np.flatnonzero(is_open)
    sub = cost[:, cols]
    k = np.argmin(sub, axis=1)
    return cols[k], sub[np.arange(cost.shape[0]), k]


@dataclass(frozen=True)
class Ranked:
    """Every demand point's sites by cost, made once and shared by the p-median heuristics.

    With each row sorted, the pairs cheaper than a point's current (or second) nearest open site
    are a prefix of its row, so the greedy and the swaps work on those prefixes only: a few
    per cent of the pairs once a fair number of sites are open.

    Parameters
    ----------
    d
        ``finite_cost(cost)``.
    order
        Per row, the sites by increasing cost (stable).
    ranked
        ``d`` in that order.
    rank_of
        Position of every site in its row's order (the inverse of ``order``).
    """

    d: np.ndarray
    order: np.ndarray
    ranked: np.ndarray
    rank_of: np.ndarray

    @classmethod
    def of(cls, cost: np.ndarray) -> Ranked:
        """Rank the rows of a cost matrix (``inf``: unassignable, ranked last)."""
        d = finite_cost(cost)
        n, m = d.shape
        order = np.argsort(d, axis=1, kind="stable").astype(np.int32)
        ranked = np.take_along_axis(d, order, axis=1)
        rank_of = np.empty((n, m), dtype=np.int32)
        np.put_along_axis(rank_of, order, np.arange(m, dtype=np.int32)[None, :], axis=1)
        return cls(d, order, ranked, rank_of)

    def prefix(self, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, sites and costs of the first ``k[i]`` ranked pairs of every row ``i``."""
        n, m = self.d.shape
        k = np.asarray(k, dtype=np.int64)
        rows = np.repeat(np.arange(n), k)
        starts = np.cumsum(k) - k
        flat = rows * m + (np.arange(rows.size) - np.repeat(starts, k))
        return rows, self.order.ravel()[flat], self.ranked.ravel()[flat]

    def two_nearest(self, is_open: np.ndarray) -> tuple[np.ndarray, ...]:
        """Nearest and second-nearest open site of every row: ``a1, d1, r1, a2, d2, r2``.

        ``r`` are their ranks in the row; with one open site, ``a2 = -1``, ``d2`` a cost above
        every other and ``r2 = m``.
        """
        n, m = self.d.shape
        cols = np.flatnonzero(is_open)
        rows = np.arange(n)
        ranks = self.rank_of[:, cols]
        if cols.size > 1:
            two = np.partition(ranks, 1, axis=1)[:, :2]
            r1, r2 = two.min(axis=1), two.max(axis=1)
        else:
            r1 = ranks[:, 0]
            r2 = np.full(n, m)
        a1, d1 = self.order[rows, r1], self.ranked[rows, r1]
        if cols.size > 1:
            a2, d2 = self.order[rows, r2], self.ranked[rows, r2]
        else:
            a2, d2 = np.full(n, -1), np.full(n, float(self.d.max()) * 2 + 1.0)
        return a1, d1, r1, a2, d2, r2


def greedy_pmedian(
    cost: np.ndarray,
    weights: np.ndarray,
    p: int,
    forced: np.ndarray,
    allowed: np.ndarray,
    *,
    ranked: Ranked | None = None,
) -> np.ndarray:
    """Greedy adding: open the forced sites, then the site that saves most, until ``p`` are open.

    The saving of each site counts only the pairs cheaper than the point's current nearest open
    site (a prefix of its ranked row); ``ranked`` reuses a ranking made by :meth:`Ranked.of`.
    """
    rk = Ranked.of(cost) if ranked is None else ranked
    d = rk.d
    n, m = d.shape
    is_open = forced.copy()
    if is_open.any():
        _a1, cur, k, *_ = rk.two_nearest(is_open)
        cur = cur.copy()
    else:
        cur, k = np.full(n, d.max() * 2 + 1.0), np.full(n, m, dtype=np.int64)
    k = np.asarray(k, dtype=np.int64).copy()
    while is_open.sum() < p:
        if 2 * int(k.sum()) > n * m:  # most pairs count: dense arithmetic is faster
            gains = weights @ np.maximum(cur[:, None] - d, 0.0)
        else:
            rows, sites, vals = rk.prefix(k)
            gains = np.bincount(sites, weights=weights[rows] * (cur[rows] - vals), minlength=m)
            gains = gains.astype(np.float64)
        gains[~allowed | is_open] = -np.inf
        j = int(np.argmax(gains))
        is_open[j] = True
        cur = np.minimum(cur, d[:, j])
        k = np.minimum(k, rk.rank_of[:, j])
    return is_open


def interchange(
    cost: np.ndarray,
    weights: np.ndarray,
    is_open: np.ndarray,
    forced: np.ndarray,
    allowed: np.ndarray,
    *,
    max_swaps: int = 100_000,
    ranked: Ranked | None = None,
) -> np.ndarray:
    """Vertex substitution: apply the best improving swap (one in, one out) until none improves.

    Every (in, out) pair is evaluated at once from each point's nearest and second-nearest open
    site: ``delta(j, r) = -gain(j) + sum_{i: a1(i) = r} w_i (min(d2_i, d_ij) - min(d1_i, d_ij))``,
    written as ``base(r) - gain(j) - extra(j, r)`` with ``base(r) = sum_{a1(i) = r} w_i (d2_i -
    d1_i)`` and ``extra`` over the pairs cheaper than ``d2_i`` only (a prefix of each ranked row;
    ``ranked`` reuses a ranking made by :meth:`Ranked.of`).
    """
    rk = Ranked.of(cost) if ranked is None else ranked
    d = rk.d
    _n, m = d.shape
    is_open = is_open.copy()
    for _ in range(max_swaps):
        cols = np.flatnonzero(is_open)
        if cols.size == 0 or not (allowed & ~is_open).any():
            break
        a1, d1, r1, _a2, d2, r2 = rk.two_nearest(is_open)
        pos = np.full(m, -1)
        pos[cols] = np.arange(cols.size)
        rows, sites, vals = rk.prefix(r1)
        gain_in = np.bincount(sites, weights=weights[rows] * (d1[rows] - vals), minlength=m)
        base = np.bincount(pos[a1], weights=weights * (d2 - d1), minlength=cols.size)
        rows, sites, vals = rk.prefix(np.minimum(r2, m))
        gain_in, base = gain_in.astype(np.float64), base.astype(np.float64)
        extra = np.bincount(
            sites * cols.size + pos[a1[rows]],
            weights=weights[rows] * (d2[rows] - np.maximum(vals, d1[rows])),
            minlength=m * cols.size,
        ).reshape(m, cols.size)
        delta: np.ndarray = base[None, :] - gain_in[:, None] - extra
        delta[~allowed | is_open, :] = np.inf
        delta[:, forced[cols]] = np.inf
        j, r = np.unravel_index(int(np.argmin(delta)), delta.shape)
        best = float(delta[j, r])
        total = float(weights @ d1)
        if not best < -1e-9 * max(1.0, abs(total)):
            break
        is_open[cols[r]] = False
        is_open[j] = True
    return is_open


def random_kick(
    is_open: np.ndarray, forced: np.ndarray, allowed: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray] | None:
    """The perturbation of the iterated local searches: 1-3 open sites closed at random.

    Returns the plan without them and as many random closed sites to open instead (the caller
    opens those that fit), or ``None`` when no site can be exchanged.
    """
    outs = np.flatnonzero(is_open & ~forced)
    ins = np.flatnonzero(allowed & ~is_open)
    k = min(int(rng.integers(1, 4)), outs.size, ins.size)
    if k == 0:
        return None
    trial = is_open.copy()
    trial[rng.choice(outs, k, replace=False)] = False
    return trial, rng.choice(ins, k, replace=False)


def perturbed_search(
    cost: np.ndarray,
    weights: np.ndarray,
    is_open: np.ndarray,
    forced: np.ndarray,
    allowed: np.ndarray,
    *,
    rounds: int,
    seed: int = 0,
    ranked: Ranked | None = None,
    time_limit_s: float = math.inf,
) -> np.ndarray:
    """Iterated local search: swap a few random sites, re-run :func:`interchange`, keep the best.

    Stops after ``rounds`` perturbations or ``time_limit_s`` seconds.
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    rk = Ranked.of(cost) if ranked is None else ranked
    d = rk.d
    best = is_open.copy()
    best_value = float(weights @ nearest_open(d, best)[1])
    for _ in range(rounds):
        if time.perf_counter() - t0 > time_limit_s:
            break
        kick = random_kick(best, forced, allowed, rng)
        if kick is None:
            break
        trial, put = kick
        trial[put] = True
        trial = interchange(cost, weights, trial, forced, allowed, ranked=rk)
        value = float(weights @ nearest_open(d, trial)[1])
        if value < best_value - 1e-9 * max(1.0, best_value):
            best, best_value = trial, value
    return best


@dataclass(frozen=True)
class Lagrangian:
    """Outcome of the subgradient search for the p-median Lagrangian dual.

    Parameters
    ----------
    bound
        Best lower bound ``L(lambda)`` found.
    lam
        Multipliers (one per demand point) that gave ``bound``.
    primal
        Best feasible site set met on the way (a Lagrangian heuristic).
    primal_value
        Its total cost.
    iterations
        Subgradient steps taken.
    candidates
        The Lagrangian solutions (site sets) of the last few improving steps, latest first:
        starts for a local search.
    """

    bound: float
    lam: np.ndarray
    primal: np.ndarray
    primal_value: float
    iterations: int
    candidates: tuple[np.ndarray, ...] = ()


def _weighted(cost: np.ndarray, weights: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    wd: np.ndarray = weights[:, None] * finite_cost(cost)
    wd[:, ~allowed] = np.inf
    return wd


_CANDIDATES = 40


def lagrangian_bound(
    cost: np.ndarray,
    weights: np.ndarray,
    p: int,
    forced: np.ndarray,
    allowed: np.ndarray,
    *,
    upper: float,
    cutoff: float | None = None,
    start: np.ndarray | None = None,
    lam: np.ndarray | None = None,
    step: float = 2.0,
    iterations: int = 5000,
    stall: int = 10,
    min_step: float = 1e-2,
    ranked: Ranked | None = None,
    time_limit_s: float = math.inf,
    deflect: float = 0.0,
) -> Lagrangian:
    """Lower bound of the p-median by Lagrangian relaxation of the assignment rows.

    ``L(lambda) = sum(lambda) + min_{y: sum y = p} sum_j y_j sum_i min(0, w_i d_ij - lambda_i)``,
    raised by subgradient steps with Polyak's step towards ``upper`` (a known solution value);
    the step factor halves after ``stall`` steps without a better bound and the search ends
    when it falls below ``min_step``, after ``time_limit_s`` seconds, or once
    the bound exceeds ``cutoff`` (default ``upper``: the known solution is then optimal).
    ``start`` (the sites of the known solution) seeds the multipliers with each point's cost
    to its nearest site in it; ``lam`` gives the first multipliers instead, and ``step`` the
    first step factor. ``deflect`` > 0 deflects each step by that much of the last one when
    they point apart (Camerini, Fratta & Maffioli 1975; 1.5 is theirs), the deflection
    starting afresh at each halving: on a province (10,000 x 1,000) it came twice as close to
    the optimum in half the time, on small cases it often stopped short.

    Only the pairs with ``w_i d_ij < lambda_i`` count; with every row ranked (``ranked``, made
    by :meth:`Ranked.of` from ``cost`` or from a matrix whose costs ``cost`` only raises, to
    ``inf`` say) they lie in a prefix of each row, whose length each step updates. An ``inf``
    pair costs what :func:`finite_cost` makes of it, as in the heuristics.
    """
    t0 = time.perf_counter()
    rk = Ranked.of(cost) if ranked is None else ranked
    n, m = cost.shape
    free = np.flatnonzero(allowed & ~forced)
    k_free = p - int(forced.sum())
    d = finite_cost(cost)
    if lam is not None:
        lam = np.asarray(lam, dtype=np.float64).copy()
    elif start is not None and start.any():
        lam = weights * nearest_open(d, start)[1]
    else:
        lam = weights * rk.ranked[:, min(1, m - 1)]
    rows_n = np.arange(n)
    # k[i]: how many of row i's ranked pairs have w_i d_ij < lambda_i
    k = (weights[:, None] * rk.ranked < lam[:, None]).sum(axis=1)
    limit = upper if cutoff is None else cutoff
    best, best_lam = -math.inf, lam.copy()
    primal, primal_value = forced.copy(), math.inf
    theta, since = step, 0
    it = 0
    direction: np.ndarray | None = None
    recent: list[np.ndarray] = []
    while it < iterations:
        it += 1
        rows, sites, _vals = rk.prefix(k)
        # the pair's own cost here (a pair `cost` cut is `inf`, valued as finite_cost does)
        red = np.minimum(weights[rows] * d[rows, sites] - lam[rows], 0.0)
        red[~allowed[sites]] = 0.0
        rho = np.bincount(sites, weights=red, minlength=m).astype(np.float64)
        chosen = forced.copy()
        if k_free > 0:
            chosen[free[np.argpartition(rho[free], k_free - 1)[:k_free]]] = True
        value = float(lam.sum() + rho[chosen].sum())
        if value > best + 1e-9 * max(1.0, abs(best)) or not math.isfinite(best):
            best, best_lam, since = value, lam.copy(), 0
            cand_value = float(weights @ nearest_open(d, chosen)[1])
            if cand_value < primal_value:
                primal, primal_value = chosen, cand_value
            if chosen.sum() == p and not any(np.array_equal(chosen, c) for c in recent):
                recent = [chosen, *recent[: _CANDIDATES - 1]]
        else:
            since += 1
            if since >= stall:
                theta, since = theta / 2.0, 0
                direction = None  # a fresh start of the deflection
        if best > limit or theta < min_step or time.perf_counter() - t0 > time_limit_s:
            break
        served = np.bincount(rows, weights=(red < 0) & chosen[sites], minlength=n)
        g = 1.0 - served
        if float(g @ g) == 0:
            break
        if deflect > 0 and direction is not None:
            # Camerini-Fratta-Maffioli: deflect when the step turns back on the last one
            dot = float(g @ direction)
            if dot < 0:
                g = g - deflect * dot / float(direction @ direction) * direction
        direction = g
        norm = float(g @ g)
        lam = lam + theta * max(upper - value, 1e-9 * max(1.0, abs(upper))) / norm * g
        k = _grow_prefix(rk, weights, lam, k, rows_n)
    logger.debug("Lagrangian bound %.6g after %d steps (n=%d, m=%d)", best, it, n, m)
    return Lagrangian(best, best_lam, primal, primal_value, it, tuple(recent))


def _grow_prefix(
    rk: Ranked, weights: np.ndarray, lam: np.ndarray, k: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """The prefix lengths ``k`` moved to the new multipliers (``w_i d_ij < lambda_i``)."""
    m = rk.ranked.shape[1]
    k = k.copy()
    idx = rows
    while idx.size:  # lengthen
        kk = k[idx]
        can = kk < m
        idx, kk = idx[can], kk[can]
        up = weights[idx] * rk.ranked[idx, kk] < lam[idx]
        idx = idx[up]
        k[idx] += 1
    idx = rows
    while idx.size:  # shorten
        kk = k[idx]
        can = kk > 0
        idx, kk = idx[can], kk[can]
        down = weights[idx] * rk.ranked[idx, kk - 1] >= lam[idx]
        idx = idx[down]
        k[idx] -= 1
    return k


def lagrangian_fixing(
    cost: np.ndarray,
    weights: np.ndarray,
    p: int,
    forced: np.ndarray,
    allowed: np.ndarray,
    lam: np.ndarray,
    cutoff: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lagrangian reduced-cost fixing: what no solution of value <= ``cutoff`` can use.

    Returns ``(closed, opened, pair_ok)``: sites whose opening (``closed``) or closing
    (``opened``) lifts the Lagrangian bound above ``cutoff``, and the demand x site pairs an
    assignment of such a solution may still use (``pair_ok``; forcing ``x_ij = 1`` adds
    ``max(0, w_i d_ij - lambda_i)`` to the bound with ``j`` open).
    """
    wd = _weighted(cost, weights, allowed)
    rho = np.minimum(wd - lam[:, None], 0.0).sum(axis=0)
    with_open, closed, opened = fix_sites(rho, float(lam.sum()), p, forced, allowed, cutoff)
    pair_ok = (with_open[None, :] + np.maximum(wd - lam[:, None], 0.0) <= cutoff) & ~closed
    pair_ok &= np.isfinite(wd)
    return closed, opened, pair_ok


def fix_sites(
    rho: np.ndarray,
    lam_sum: float,
    p: int,
    forced: np.ndarray,
    allowed: np.ndarray,
    cutoff: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Site fixing of a Lagrangian bound ``lam_sum + sum of the p least rho`` (forced ones in).

    Returns ``(with_open, closed, opened)``: the bound with each site open (``inf`` for sites
    that may not open), the free sites whose opening lifts it above ``cutoff`` and those whose
    closing does.
    """
    m = rho.size
    free = np.flatnonzero(allowed & ~forced)
    k_free = p - int(forced.sum())
    order = free[np.argsort(rho[free], kind="stable")]
    inside, outside = order[:k_free], order[k_free:]
    value = float(lam_sum + rho[forced].sum() + rho[inside].sum())
    with_open = np.full(m, np.inf)
    with_open[forced] = value
    with_open[inside] = value
    if k_free > 0 and outside.size:
        with_open[outside] = value + rho[outside] - rho[inside[-1]]
    closed = np.zeros(m, dtype=bool)
    closed[free] = with_open[free] > cutoff
    opened = np.zeros(m, dtype=bool)
    if k_free > 0:
        if outside.size:
            with_closed = value - rho[inside] + rho[outside[0]]
            opened[inside] = with_closed > cutoff
        else:
            opened[inside] = True
    return with_open, closed, opened


def regret_assign(
    cost: np.ndarray, weights: np.ndarray, is_open: np.ndarray, capacity: np.ndarray
) -> np.ndarray | None:
    """Single-source assignment to open sites within capacity, by largest regret first.

    Returns the site index of every point, or ``None`` when some point does not fit.
    """
    n = cost.shape[0]
    cols = np.flatnonzero(is_open)
    sub = cost[:, cols].copy()
    left = capacity[cols].astype(np.float64).copy()
    site = np.full(n, -1, dtype=np.int64)
    todo = np.ones(n, dtype=bool)
    while todo.any():
        fits = (weights[:, None] <= left[None, :] + 1e-9) & np.isfinite(sub)
        masked = np.where(fits, sub, np.inf)
        masked[~todo] = np.inf
        part = np.sort(masked, axis=1)[:, :2] if cols.size > 1 else masked[:, :1]
        best = part[:, 0]
        if np.any(todo & ~np.isfinite(best)):
            return None
        second = part[:, 1] if cols.size > 1 else np.full(n, np.inf)
        with np.errstate(invalid="ignore"):
            regret = np.where(np.isfinite(second), second - best, 1e18)
        regret = regret + 1e-9 * weights
        regret[~todo] = -np.inf
        i = int(np.argmax(regret))
        k = int(np.argmin(masked[i]))
        site[i] = cols[k]
        left[k] -= weights[i]
        todo[i] = False
    return site


def capacitated_pmedian(
    cost: np.ndarray,
    weights: np.ndarray,
    p: int,
    capacity: np.ndarray,
    forced: np.ndarray,
    allowed: np.ndarray,
    *,
    obj_weights: np.ndarray | None = None,
    rounds: int = 20,
    swap_candidates: int = 8,
    time_limit_s: float = 10.0,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Capacitated p-median heuristic: uncapacitated sites, regret assignment, relocation, swaps.

    Swap moves try the ``swap_candidates`` closed sites nearest each open site's members, for at
    most ``time_limit_s`` seconds. ``weights`` count against capacity; ``obj_weights`` (default
    ``weights``) multiply costs.
    Returns ``(is_open, site of each point)`` or ``None`` when no feasible assignment was found.
    """
    ow = weights if obj_weights is None else obj_weights
    d = finite_cost(cost) * ow[:, None]
    is_open = interchange(cost, ow, greedy_pmedian(cost, ow, p, forced, allowed), forced, allowed)
    site = regret_assign(cost, weights, is_open, capacity)
    if site is None:
        # Prefer big sites: scale costs by the reciprocal of capacity and retry.
        usable = allowed & (capacity > 0)
        if int((usable | forced).sum()) < p:  # the greedy could never open p of them
            return None
        scaled = finite_cost(cost) / np.maximum(capacity, 1e-9)[None, :]
        is_open = greedy_pmedian(scaled, ow, p, forced, usable)
        site = regret_assign(cost, weights, is_open, capacity)
        if site is None:
            return None
    best = float(d[np.arange(d.shape[0]), site].sum())
    for _ in range(rounds):
        improved = False
        new_open = forced.copy()
        for r in np.flatnonzero(is_open):
            members = np.flatnonzero(site == r)
            if forced[r] or members.size == 0:
                new_open[r] = True
                continue
            load = weights[members].sum()
            total = d[members].sum(axis=0)
            total[~allowed | (capacity < load) | new_open] = np.inf
            new_open[int(np.argmin(total))] = True
        if new_open.sum() == p:
            cand = regret_assign(cost, weights, new_open, capacity)
            if cand is not None:
                value = float(d[np.arange(d.shape[0]), cand].sum())
                if value < best - 1e-9:
                    best, site, is_open, improved = value, cand, new_open, True
        if not improved:
            break
    # Swap moves: close one open site, open one of the sites nearest its members, re-assign by
    # regret; take the first improvement, repeat until none improves or time runs out.
    t0 = time.perf_counter()
    rows = np.arange(d.shape[0])
    improved = True
    while improved and time.perf_counter() - t0 < time_limit_s:
        improved = False
        for r in np.flatnonzero(is_open & ~forced):
            members = np.flatnonzero(site == r)
            near = d[members].sum(axis=0) if members.size else np.zeros(d.shape[1])
            near[~allowed | is_open | (capacity <= 0)] = np.inf
            for j in np.argsort(near, kind="stable")[:swap_candidates]:
                if not np.isfinite(near[j]):
                    break
                trial = is_open.copy()
                trial[r], trial[j] = False, True
                cand = regret_assign(cost, weights, trial, capacity)
                if cand is None:
                    continue
                value = float(d[rows, cand].sum())
                if value < best - 1e-9:
                    best, site, is_open, improved = value, cand, trial, True
                    break
            if improved or time.perf_counter() - t0 >= time_limit_s:
                break
    return is_open, site


def greedy_coverage(
    covers: np.ndarray,
    weights: np.ndarray,
    forced: np.ndarray,
    allowed: np.ndarray,
    *,
    site_cost: np.ndarray,
    budget: float,
    max_open: int,
) -> np.ndarray:
    """Greedy coverage: open the site covering most new demand per unit cost, within the limits."""
    is_open = forced.copy()
    covered = covers[:, is_open].any(axis=1)
    spent = float(site_cost[is_open].sum())
    while is_open.sum() < max_open:
        gain = weights[~covered] @ covers[~covered]
        fits = allowed & ~is_open & (spent + site_cost <= budget + 1e-9) & (gain > 0)
        if not fits.any():
            break
        score = np.where(fits, gain / np.maximum(site_cost, 1e-9), -np.inf)
        j = int(np.argmax(score))
        is_open[j] = True
        spent += float(site_cost[j])
        covered |= covers[:, j]
    return is_open
