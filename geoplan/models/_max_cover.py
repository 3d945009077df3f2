"""Maximal coverage on the cover groups of :func:`~geoplan.models._location.reduce_cover`.

What the exact model runs before HiGHS, on ``groups`` (groups × sites, true where a free site
covers the group) and the group weights:

- swap search: open the best site while one fits and gains, else exchange the open free site and
  the closed one that gain most (every pair evaluated at once from sparse products); iterated with
  seeded perturbations (a few open sites exchanged for random closed ones, then the search again).
- Lagrangian bound: relaxing the cover rows ``z_g <= sum_j a_gj y_j`` with multipliers
  ``0 <= lam_g <= w_g`` leaves ``sum_g (w_g - lam_g)^+`` plus the ``p`` largest site values
  ``c_j = sum_g lam_g a_gj``, an upper bound for every ``lam``; a subgradient search lowers it
  (at best to the LP bound).
- reduced-cost fixing: a site outside the Lagrangian's ``p`` whose opening brings that bound below
  what a better plan needs is closed; one inside whose closing does is opened. Plans better than
  the incumbent all keep to what is left.

And for set cover with sites of one cost, :func:`cover_search`: a row-weighting local search for
a cover with fewer sites, stopped at the LP bound.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from geoplan.models import _heuristics as heur

__all__: list[str] = []


def covered_weight(groups: sp.csr_array, weights: np.ndarray, is_open: np.ndarray) -> float:
    """Weight of the groups an open site covers."""
    hit = groups @ is_open.astype(np.float64) > 0.5
    return float(weights[hit].sum())


def swap_search(
    groups: sp.csr_array,
    weights: np.ndarray,
    is_open: np.ndarray,
    forced: np.ndarray,
    allowed: np.ndarray,
    *,
    site_cost: np.ndarray,
    budget: float,
    max_open: int,
) -> np.ndarray:
    """Local search from ``is_open``: the best gaining add that fits, else the best swap.

    A swap closes an open site that is not forced and opens an allowed closed one, keeping the
    count and the budget. Stops when no move gains (every move gains, so it ends).
    """
    a = sp.csc_array(groups, dtype=np.float64)
    cur = np.asarray(is_open, dtype=bool).copy()
    tol = 1e-9 * max(1.0, float(weights.sum()))
    while True:
        cnt = a @ cur.astype(np.float64)
        add = a.T @ np.where(cnt < 0.5, weights, 0.0)
        spent = float(site_cost[cur].sum())
        closed = allowed & ~cur
        if int(cur.sum()) < max_open:
            fits = closed & (spent + site_cost <= budget + 1e-9) & (add > tol)
            if fits.any():
                cur[int(np.argmax(np.where(fits, add, -np.inf)))] = True
                continue
        outs = np.flatnonzero(cur & ~forced)
        if not outs.size or not closed.any():
            return cur
        only = sp.diags_array(np.where(np.abs(cnt - 1.0) < 0.5, weights, 0.0)) @ a[:, outs]
        loss = np.asarray(only.sum(axis=0)).ravel()
        # (a.T @ only).T: the transpose of a CSC matrix is CSR without a copy, so only the
        # small ``only`` is converted (``only.T @ a`` converted all of ``a`` at every swap).
        delta = (a.T @ only).toarray().T + add[None, :] - loss[:, None]
        ok = closed[None, :] & (
            spent - site_cost[outs][:, None] + site_cost[None, :] <= budget + 1e-9
        )
        delta = np.where(ok, delta, -np.inf)
        r, k = np.unravel_index(int(np.argmax(delta)), delta.shape)
        if not delta[r, k] > tol:
            return cur
        cur[outs[r]] = False
        cur[k] = True


def perturbed_swaps(
    groups: sp.csr_array,
    weights: np.ndarray,
    is_open: np.ndarray,
    forced: np.ndarray,
    allowed: np.ndarray,
    *,
    site_cost: np.ndarray,
    budget: float,
    max_open: int,
    rounds: int,
    seed: int = 0,
    time_limit_s: float = math.inf,
) -> np.ndarray:
    """:func:`swap_search`, then ``rounds`` perturbations (1-3 open sites exchanged at random).

    The best plan is kept; stops early after ``time_limit_s`` seconds.
    """
    t0 = time.perf_counter()

    def search(start: np.ndarray) -> np.ndarray:
        return swap_search(
            groups, weights, start, forced, allowed,
            site_cost=site_cost, budget=budget, max_open=max_open,
        )  # fmt: skip

    best = search(is_open)
    value = covered_weight(groups, weights, best)
    tol = 1e-9 * max(1.0, float(weights.sum()))
    rng = np.random.default_rng(seed)
    for _ in range(rounds):
        if time.perf_counter() - t0 > time_limit_s:
            break
        kick = heur.random_kick(best, forced, allowed, rng)
        if kick is None:
            break
        trial, put = kick
        spent = float(site_cost[trial].sum())
        for j in put:  # the random sites that fit; the search fills the rest
            if spent + site_cost[j] <= budget + 1e-9:
                trial[j] = True
                spent += float(site_cost[j])
        trial = search(trial)
        trial_value = covered_weight(groups, weights, trial)
        if trial_value > value + tol:
            best, value = trial, trial_value
    return best


@dataclass(frozen=True)
class CoverBound:
    """The best Lagrangian upper bound found and what gave it.

    ``lam``: its multipliers (one per group); ``plan``: the sites its relaxation opens there (a
    start for the swap search); ``iterations``: the subgradient steps taken.
    """

    bound: float
    lam: np.ndarray
    plan: np.ndarray
    iterations: int


def _dual(
    at: sp.csr_array, weights: np.ndarray, lam: np.ndarray, free: np.ndarray, p: int
) -> tuple[float, np.ndarray, np.ndarray]:
    """``L(lam)``, the site values ``c`` and the ``p`` free sites the relaxation opens."""
    c = at @ lam
    vals = c[free]
    top = free[np.argpartition(-vals, p - 1)[:p]] if p < free.size else free
    return float(np.maximum(weights - lam, 0.0).sum() + c[top].sum()), c, top


def lagrangian_bound(
    groups: sp.csr_array,
    weights: np.ndarray,
    p: int,
    free: np.ndarray,
    *,
    target: float,
    iterations: int = 4000,
    stall: int = 50,
    deflect: float = 0.7,
    time_limit_s: float = math.inf,
) -> CoverBound:
    """Subgradient search for the least Lagrangian bound of ``p`` sites among the ``free`` ones.

    Polyak steps towards ``target`` (the value a better plan needs) along the subgradient deflected
    by ``deflect`` times the previous direction; the step factor halves after ``stall`` steps
    without a better bound. Stops once the bound is below ``target``, the factor is tiny, after
    ``iterations`` steps or ``time_limit_s`` seconds.
    """
    t0 = time.perf_counter()
    a = sp.csr_array(groups, dtype=np.float64)
    at = sp.csr_array(a.T)
    free_idx = np.flatnonzero(free)
    lam = 0.5 * weights
    best, best_lam, best_top = math.inf, lam, free_idx[:0]
    theta, since, steps = 2.0, 0, 0
    direction = np.zeros_like(lam)
    for _ in range(iterations):
        steps += 1
        value, _c, top = _dual(at, weights, lam, free_idx, p)
        if value < best - 1e-12 * max(1.0, abs(value)):
            best, best_lam, best_top, since = value, lam, top, 0
        else:
            since += 1
            if since >= stall:
                theta, since = theta / 2.0, 0
        if theta < 1e-4 or best < target or time.perf_counter() - t0 > time_limit_s:
            break
        y = np.zeros(groups.shape[1])
        y[top] = 1.0
        g = a @ y - (lam < weights)
        if not g.any():  # lam minimises the bound
            break
        direction = g + deflect * direction
        norm = float(direction @ direction)
        step = theta * max(value - target, 1e-9 * max(1.0, abs(value))) / norm
        lam = np.clip(lam - step * direction, 0.0, weights)
    plan = np.zeros(groups.shape[1], dtype=bool)
    plan[best_top] = True
    return CoverBound(best, best_lam, plan, steps)


def lagrangian_fixing(
    groups: sp.csr_array,
    weights: np.ndarray,
    p: int,
    free: np.ndarray,
    lam: np.ndarray,
    cutoff: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Sites no plan worth at least ``cutoff`` opens (``closed``) / leaves closed (``opened``).

    With ``j`` forced open the relaxation's best changes by ``c_j - c_p`` (``c_p`` the ``p``-th
    largest free value); forced closed, by ``c_(p+1) - c_j``. A change that takes the bound below
    ``cutoff`` (less a rounding margin) fixes the site.
    """
    at = sp.csr_array(sp.csr_array(groups, dtype=np.float64).T)
    free_idx = np.flatnonzero(free)
    value, c, _top = _dual(at, weights, lam, free_idx, min(p, free_idx.size))
    order = free_idx[np.argsort(-c[free_idx], kind="stable")]
    inside, outside = order[:p], order[p:]
    c_p = float(c[inside[-1]]) if inside.size else 0.0
    c_next = float(c[outside[0]]) if outside.size else 0.0
    margin = 1e-7 * max(1.0, abs(value))
    closed = np.zeros(groups.shape[1], dtype=bool)
    opened = np.zeros(groups.shape[1], dtype=bool)
    closed[outside[value - (c_p - c[outside]) < cutoff - margin]] = True
    opened[inside[value - (c[inside] - c_next) < cutoff - margin]] = True
    return closed, opened


def cover_search(
    groups: sp.csr_array,
    start: np.ndarray,
    allowed: np.ndarray,
    *,
    lower: int,
    steps: int,
    seed: int = 0,
    time_limit_s: float = math.inf,
) -> np.ndarray:
    """Fewest ``allowed`` sites covering every group: row-weighting local search from ``start``.

    The unicost set-cover search of Gao et al. (2015, RWLS), simplified: while every group is
    covered, keep the plan and close the open site whose loss (weight of the groups only it
    covers) is least; otherwise close the least-loss open site (not the one just opened), open the
    closed site of a random uncovered group that gains most (not the one just closed; ties: the
    longest unchanged) and add one to the weight of every uncovered group. ``start`` must cover
    every group. Stops at ``lower`` sites, after ``steps`` steps or ``time_limit_s`` seconds.
    """
    t0 = time.perf_counter()
    by_col = sp.csc_array(groups, dtype=np.float64)
    by_row = sp.csr_array(groups, dtype=np.float64)
    at = sp.csr_array(by_col.T)
    rng = np.random.default_rng(seed)
    cur = np.asarray(start, dtype=bool).copy()
    best = cur.copy()
    cnt = by_col @ cur.astype(np.float64)
    weight = np.ones(groups.shape[0])
    stamp = np.zeros(groups.shape[1])
    just_opened = -1

    def flip(j: int, step: int, opened: bool) -> None:
        cur[j] = opened
        cnt[by_col.indices[by_col.indptr[j] : by_col.indptr[j + 1]]] += 1.0 if opened else -1.0
        stamp[j] = step

    for step in range(1, steps + 1):
        if time.perf_counter() - t0 > time_limit_s:
            break
        loss = at @ np.where(np.abs(cnt - 1.0) < 0.5, weight, 0.0)
        if (cnt > 0.5).all():
            best = cur.copy()
            if int(best.sum()) <= lower:
                break
            opens = np.flatnonzero(cur)
            flip(int(opens[np.argmin(loss[opens])]), step, False)
            continue
        opens = np.flatnonzero(cur)
        opens = opens[opens != just_opened] if opens.size > 1 else opens
        least = opens[loss[opens] == loss[opens].min()]
        out = int(least[np.argmin(stamp[least])])
        flip(out, step, False)
        uncovered = np.flatnonzero(cnt < 0.5)
        row = int(uncovered[rng.integers(uncovered.size)])
        sites = by_row.indices[by_row.indptr[row] : by_row.indptr[row + 1]]
        sites = sites[allowed[sites] & ~cur[sites]]
        if sites.size > 1:
            sites = sites[sites != out]
        gain = at[sites] @ np.where(cnt < 0.5, weight, 0.0)
        most = sites[gain == gain.max()]
        just_opened = int(most[np.argmin(stamp[most])])
        flip(just_opened, step, True)
        weight[cnt < 0.5] += 1.0
    return best


def components(groups: np.ndarray, sites: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The groups and ``sites`` linked by covers, split into connected parts.

    Returns one ``(groups, sites)`` pair of index arrays per part that holds a group, largest
    first; a site covering no group is in none.
    """
    cols = np.flatnonzero(sites)
    if not (groups.shape[0] and cols.size):
        return []
    sub = sp.csr_array(np.asarray(groups, dtype=bool)[:, cols], dtype=np.int8)
    n_rows = sub.shape[0]
    graph = sp.block_array([[None, sub], [sub.T, None]], format="csr")
    _n, label = connected_components(graph, directed=False)
    row_label, col_label = label[:n_rows], label[n_rows:]
    parts = [(np.flatnonzero(row_label == c), cols[col_label == c]) for c in np.unique(row_label)]
    return sorted(parts, key=lambda part: -part[0].size)
