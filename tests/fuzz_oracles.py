"""Brute-force oracles for ``test_fuzz_models.py``, written from the models' definitions.

Nothing here calls geoplan: every plan (set of open sites), every assignment of points to sites,
every phasing and every assignment of blocks to schools of a tiny case is enumerated with numpy
and judged by the rules the models' docstrings state (see each function). The fuzz compares the
models' answers with what these functions say is feasible, what a plan is worth and which plan
is best.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

TOL = 1e-9


def reach(cost: np.ndarray, limit: float = math.inf) -> np.ndarray:
    """Pairs within ``limit`` (``inf`` and ``nan`` are unreachable)."""
    c = np.asarray(cost, dtype=float)
    return np.isfinite(c) & (np.nan_to_num(c, nan=np.inf) <= limit)


# ------------------------------------------------------------------ siting: plans of open sites
def open_sets(
    m: int, forced: np.ndarray, never: np.ndarray, sizes: Sequence[int] | None = None
) -> np.ndarray:
    """Every set of open sites (rows, bool) holding ``forced``, none of ``never``, of ``sizes``."""
    rows = np.array(list(itertools.product([False, True], repeat=m)), dtype=bool).reshape(-1, m)
    keep = (rows >= forced).all(axis=1) & ~(rows & never).any(axis=1)
    if sizes is not None:
        keep &= np.isin(rows.sum(axis=1), list(sizes))
    return rows[keep]


def pmedian_value(cost: np.ndarray, w: np.ndarray, is_open: np.ndarray) -> float:
    """Pupil-weighted cost of every point to its nearest open site; ``inf`` if one reaches none.

    The p-median serves every demand point, those without pupils too.
    """
    c = np.where(reach(cost), cost, np.inf)[:, np.asarray(is_open, dtype=bool)]
    if c.shape[1] == 0:
        return math.inf
    d = c.min(axis=1)
    return float(w @ d) if np.isfinite(d).all() else math.inf


def covered_pupils(cost: np.ndarray, w: np.ndarray, is_open: np.ndarray, limit: float) -> float:
    """Pupils of the points within ``limit`` of an open site."""
    return float(w @ reach(cost, limit)[:, np.asarray(is_open, dtype=bool)].any(axis=1))


def coverable(cost: np.ndarray, w: np.ndarray, never: np.ndarray, limit: float) -> np.ndarray:
    """Points with pupils some site that may open reaches within ``limit`` (set cover's rows)."""
    return (w > 0) & reach(cost, limit)[:, ~never].any(axis=1)


# ------------------------------------------------------------------ siting: single-source plans
def assignments(
    cost: np.ndarray,
    w: np.ndarray,
    *,
    limit: float,
    required: np.ndarray,
    forced: np.ndarray,
    never: np.ndarray,
    fixed: np.ndarray,
    cap: np.ndarray | None,
    low: np.ndarray | None,
    fill_fixed: bool = False,
    exactly: int | None = None,
    at_most: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every feasible single-source plan: (site per point, -1 none; the open sites), as rows.

    A point goes to one open site within ``limit`` (``required`` points must, others may stay
    out); loads stay within ``cap``; every open non-fixed site holds at least ``low``; with
    ``fill_fixed`` every fixed site holds exactly its ``cap``. The open sites are those used and
    the forced ones, padded with unused free sites that may open empty up to ``exactly``; at most
    ``at_most`` open.
    """
    n, m = cost.shape
    ok = reach(cost, limit) & ~never[None, :]
    options = [[*np.flatnonzero(ok[i]).tolist(), *([] if required[i] else [-1])] for i in range(n)]
    if any(not o for o in options):
        return np.zeros((0, n), dtype=int), np.zeros((0, m), dtype=bool)
    site = np.array(list(itertools.product(*options)), dtype=int).reshape(-1, n)
    load = np.zeros((site.shape[0], m))
    for j in range(m):
        load[:, j] = (site == j) @ w
    used = np.zeros((site.shape[0], m), dtype=bool)
    for j in range(m):
        used[:, j] = (site == j).any(axis=1)
    is_open = used | forced[None, :]
    good = np.ones(site.shape[0], dtype=bool)
    need = np.zeros(m) if low is None else np.where(fixed, 0.0, low)
    if fill_fixed:
        assert cap is not None
        need = np.where(fixed, cap, need)
    good &= ~(is_open & (load < need[None, :] - TOL)).any(axis=1)
    if cap is not None:
        good &= (load <= cap[None, :] + TOL).all(axis=1)
    count = is_open.sum(axis=1)
    if exactly is not None:
        spare = ~never & ~forced & (need <= TOL)  # sites that may open with no pupils
        free = (spare[None, :] & ~is_open).sum(axis=1)
        good &= (count <= exactly) & (count + free >= exactly)
    if at_most is not None:
        good &= count <= at_most
    return site[good], is_open[good]


def assigned_cost(cost: np.ndarray, w: np.ndarray, site: np.ndarray) -> np.ndarray:
    """Pupil-weighted cost of each plan of ``site`` rows (points at -1 cost nothing)."""
    c = np.where(reach(cost), cost, 0.0)
    n = cost.shape[0]
    picked = c[np.arange(n)[None, :], np.maximum(site, 0)]
    return np.asarray(((site >= 0) * picked) @ w, dtype=float)


# ------------------------------------------------------------------ robust (seasonal) siting
def penalised(cost: np.ndarray, unreachable_min: float | None = None) -> np.ndarray:
    """A season's matrix with unreachable pairs at ``unreachable_min``.

    Default (the robust p-median's): twice the season's largest finite cost, 1 if none is above 0.
    """
    ok = reach(cost)
    if unreachable_min is None:
        top = float(np.where(ok, cost, 0.0).max()) if ok.any() else 0.0
        unreachable_min = 2.0 * top if top > 0 else 1.0
    return np.where(ok, np.nan_to_num(cost, nan=0.0), unreachable_min)


def season_totals(costs: Sequence[np.ndarray], w: np.ndarray, plans: np.ndarray) -> np.ndarray:
    """(plans, seasons): each season's p-median total of each plan on the penalised ``costs``."""
    out = np.zeros((plans.shape[0], len(costs)))
    for s, d in enumerate(costs):
        big = np.where(plans[:, None, :], d[None, :, :], np.inf)  # plan x point x site
        out[:, s] = big.min(axis=2) @ w
    return out


def season_covered(
    costs: Sequence[np.ndarray], w: np.ndarray, plans: np.ndarray, limit: float
) -> np.ndarray:
    """(plans, seasons): pupils each plan covers within ``limit`` in each season."""
    out = np.zeros((plans.shape[0], len(costs)))
    for s, d in enumerate(costs):
        r = reach(d, limit)
        out[:, s] = ((plans.astype(float) @ r.T.astype(float)) > 0) @ w
    return out


# ------------------------------------------------------------------ phasing
def phasing_tables(
    pupils: np.ndarray,
    base_min: np.ndarray,
    site_min: np.ndarray,
    limit: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(cover, switch), villages x sites.

    A site *brings a village within the limit* when it is within ``limit`` and no open school
    is; the village's pupils *switch* to it when it is within the limit and nearer than every
    open school (``base_min``: the nearest open school's minutes, ``inf`` for none).
    """
    site_ok = reach(site_min, limit)
    base_ok = reach(base_min[:, None], limit)[:, 0]
    cover = site_ok & ~base_ok[:, None]
    s = np.nan_to_num(site_min, nan=np.inf)
    switch = site_ok & (s < base_min[:, None])
    return cover, switch


def phasing_allowed(
    pupils: np.ndarray,
    switch: np.ndarray,
    decision: Sequence[str],
    phase: np.ndarray,
    min_pupils: np.ndarray,
    n_phases: int,
) -> np.ndarray:
    """(sites, phases): where a site may be restored.

    ``never`` nowhere; a site given a ``phase`` there only; ``must`` in any phase; a free site in
    phase t when the pupils who would switch to it in year t number at least its minimum.
    """
    enrol = switch.T.astype(float) @ pupils  # sites x years
    out = np.zeros((len(decision), n_phases), dtype=bool)
    for i, d in enumerate(decision):
        if d == "never":
            continue
        if np.isfinite(phase[i]):
            out[i, int(phase[i]) - 1] = True
        elif d == "must":
            out[i, :] = True
        else:
            out[i, :] = enrol[i, :n_phases] >= min_pupils[i] - TOL
    return out


def phasings(
    allowed: np.ndarray,
    forced: np.ndarray,
    cost: np.ndarray,
    sites_per_phase: Sequence[float],
    budget_per_phase: Sequence[float],
) -> np.ndarray:
    """Every feasible phasing (rows: phase per site, 0 not restored).

    Each site in one allowed phase at most (forced sites: exactly one); per phase at most
    ``sites_per_phase`` sites costing at most ``budget_per_phase``.
    """
    options = [
        [*([] if forced[i] else [0]), *(np.flatnonzero(allowed[i]) + 1).tolist()]
        for i in range(allowed.shape[0])
    ]
    if any(not o for o in options):
        return np.zeros((0, allowed.shape[0]), dtype=int)
    ph = np.array(list(itertools.product(*options)), dtype=int).reshape(-1, allowed.shape[0])
    good = np.ones(ph.shape[0], dtype=bool)
    for t in range(allowed.shape[1]):
        in_t = ph == t + 1
        good &= in_t.sum(axis=1) <= sites_per_phase[t]
        good &= in_t @ cost <= budget_per_phase[t] + 1e-6
    return ph[good]


def pupil_years(cover: np.ndarray, pupils: np.ndarray, ph: np.ndarray) -> np.ndarray:
    """Pupil-years of each phasing row: year j counts villages a site of phase <= j+1 covers."""
    ph = np.atleast_2d(ph)
    total = np.zeros(ph.shape[0])
    for j in range(pupils.shape[1]):
        on = ((ph >= 1) & (ph <= j + 1)).astype(float)
        served = (on @ cover.T.astype(float)) > 0
        total += served @ pupils[:, j]
    return total


# ------------------------------------------------------------------ districts
def connected_sets(adjacency: np.ndarray) -> np.ndarray:
    """``out[mask]``: whether the blocks of bit mask ``mask`` are connected (empty: False)."""
    n = adjacency.shape[0]
    out = np.zeros(2**n, dtype=bool)
    for mask in range(1, 2**n):
        members = [b for b in range(n) if mask >> b & 1]
        seen, todo = {members[0]}, [members[0]]
        while todo:
            b = todo.pop()
            for c in members:
                if c not in seen and adjacency[b, c]:
                    seen.add(c)
                    todo.append(c)
        out[mask] = len(seen) == len(members)
    return out


def district_plans(
    demand: np.ndarray,
    cost: np.ndarray,
    capacity: np.ndarray,
    adjacency: np.ndarray,
    home: Sequence[int],
    *,
    max_journey_min: float | None = None,
    fixed: np.ndarray | None = None,
    status_quo: np.ndarray | None = None,
    max_moved: float | None = None,
    max_increase_min: float | None = None,
    stay_weight_min: float = 0.0,
    groups: Sequence[object] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every feasible districting (rows: school per block) and its objective.

    Each block goes to one school it reaches (within ``max_journey_min``; its journey at most
    ``max_increase_min`` above today's when it has pupils and reaches today's school); a school's
    block and a planner's fixed block go to that school; a community (same ``groups`` label)
    goes to one school; pupils of each band within each school's capacity; at most
    ``max_moved`` pupils away from today's school; each district connected and holding its
    school's block. Objective: pupil-minutes plus ``stay_weight_min`` per pupil moved.

    A community is one unit of the districts: its blocks count as joined to each other (the
    model aggregates a community into one unit and checks contiguity between units).
    """
    n, m = cost.shape
    dem = demand.reshape(n, -1)
    pupils = dem.sum(axis=1)
    ok = reach(cost, math.inf if max_journey_min is None else max_journey_min)
    c = np.where(ok, np.nan_to_num(cost, nan=0.0), np.inf)
    sq = np.full(n, -1) if status_quo is None else np.asarray(status_quo)
    if max_increase_min is not None:
        for b in range(n):
            if sq[b] >= 0 and pupils[b] > 0 and reach(cost[b, sq[b]]):
                ok[b] &= ~(np.nan_to_num(cost[b], nan=np.inf) > cost[b, sq[b]] + max_increase_min
                           + TOL)  # fmt: skip
    must = np.full(n, -1) if fixed is None else np.asarray(fixed).copy()
    for j, b in enumerate(home):
        if must[b] not in (-1, j):
            return np.zeros((0, n), dtype=int), np.zeros(0)
        must[b] = j
    options = [
        [j for j in range(m) if ok[b, j] and must[b] in (-1, j)] for b in range(n)
    ]  # fmt: skip
    if any(not o for o in options):
        return np.zeros((0, n), dtype=int), np.zeros(0)
    a = np.array(list(itertools.product(*options)), dtype=int).reshape(-1, n)
    good = np.ones(a.shape[0], dtype=bool)
    joined = np.asarray(adjacency, dtype=bool).copy()
    if groups is not None:
        for b, g in enumerate(groups):
            for c2, h in enumerate(groups):
                if g is not None and g == h and b != c2:
                    good &= a[:, b] == a[:, c2]
                    joined[b, c2] = True
    for j in range(m):
        load = (a == j).astype(float) @ dem
        good &= (load <= capacity[j][None, :] + TOL).all(axis=1)
    has_sq = sq >= 0
    moved = ((a != sq[None, :]) & has_sq[None, :]).astype(float) @ pupils
    if max_moved is not None:
        good &= moved <= max_moved + TOL
    conn = connected_sets(joined)
    bits = 1 << np.arange(n)
    for j in range(m):
        mask = (a == j).astype(np.int64) @ bits
        good &= conn[mask] & (mask >> home[j] & 1).astype(bool)
    a = a[good]
    minutes = (c[np.arange(n)[None, :], a] * pupils[None, :]).sum(axis=1)
    return a, minutes + stay_weight_min * moved[good]
