"""Exact capacitated p-median: a knapsack Lagrangian bound, reduced-cost fixing, rising targets.

The assignment rows ``sum_j x_ij = 1`` are relaxed with multipliers ``lambda_i``; the capacities
stay, so every site's subproblem is a 0/1 knapsack over the demand points (profit
``lambda_i - c_ij``, size the point's pupils), solved exactly by dynamic programming over whole
pupils; the ``p`` sites of least reduced value make the Lagrangian solution (the bound of
Lorena & Senne's column generation; Ceselli & Righini 2005 price the same subproblem).
Subgradient steps (Polyak towards the incumbent, deflected) raise the bound; its reduced costs
fix sites and demand-site pairs that no plan within a target value can use, and the caller's
MILP (HiGHS on the assignment model, :mod:`geoplan.models.siting`) solves what is left, for
targets rising from just above the bound to the incumbent's value (:func:`solve`).

Costs are ``float`` arrays, demand x sites (objective weights already multiplied in); ``inf``
marks a pair that cannot be assigned.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from geoplan.models import _heuristics as heur
from geoplan.models.solver import time_left

_logger = logging.getLogger(__name__)

_DP_CELLS = 4000
"""Most capacity cells of a site's knapsack table; larger capacities are counted in coarser
units (sizes rounded down, so the bound stays a bound)."""


@dataclass(frozen=True)
class Units:
    """Whole-number sizes and rooms of the knapsacks (a relaxation of the real capacities).

    ``size_i = floor(w_i / unit)`` and ``room_j = floor(capacity_j / unit)``: every assignment
    within the real capacities fits these, so the knapsack bound stays a lower bound.
    """

    size: np.ndarray
    room: np.ndarray

    @classmethod
    def of(cls, weights: np.ndarray, capacity: np.ndarray) -> Units:
        """Units of ``weights`` (pupils per point) and ``capacity`` (per site).

        Whole pupils count one by one up to :data:`_DP_CELLS` cells; beyond that, or with
        fractional weights, the largest useful room is cut into that many cells.
        """
        top = float(min(np.max(capacity, initial=0.0), weights.sum()))
        whole = bool(np.all(weights == np.round(weights)))
        unit = max(1.0, top / _DP_CELLS) if whole else top / _DP_CELLS
        if unit <= 0:
            unit = 1.0
        size = np.floor(weights / unit + 1e-9).astype(np.int64)
        room = np.floor(np.minimum(capacity, top) / unit + 1e-9).astype(np.int64)
        return cls(size, np.maximum(room, 0))


@dataclass(frozen=True)
class Knapsacks:
    """Every site's knapsack for one set of multipliers.

    Parameters
    ----------
    table
        ``table[j, c]``: the best profit site ``j`` makes within room ``c`` (``c`` up to the
        largest room; a site reads its own room).
    take
        Demand x sites: the points each site's best knapsack takes (at its own room).
    """

    table: np.ndarray
    take: np.ndarray

    def best(self, room: np.ndarray) -> np.ndarray:
        """Each site's best profit at its own room."""
        return np.asarray(self.table[np.arange(room.size), room])


def knapsacks(profit: np.ndarray, units: Units) -> Knapsacks:
    """Solve every site's 0/1 knapsack at once (items: points with positive profit there).

    ``profit`` is demand x sites; one pass per point updates the tables of every site where
    it pays, so the work is (paying pairs) x (largest room).
    """
    n, m = profit.shape
    size, room = units.size, units.room
    top = int(room.max(initial=0))
    table = np.zeros((m, top + 1))
    pays = profit > 0
    steps: list[tuple[int, np.ndarray, np.ndarray]] = []
    for i in np.flatnonzero(pays.any(axis=1)):
        q = int(size[i])
        if q > top:
            continue
        s = np.flatnonzero(pays[i])
        sub = table[s]
        cand = sub[:, : top + 1 - q] + profit[i, s][:, None]
        better = cand > sub[:, q:]
        sub[:, q:] = np.where(better, cand, sub[:, q:])
        table[s] = sub
        steps.append((int(i), s, better))
    take = np.zeros((n, m), dtype=bool)
    left = room.copy()
    for i, s, better in reversed(steps):
        q = int(size[i])
        c = left[s]
        fits = np.flatnonzero(c >= q)
        got = fits[better[fits, c[fits] - q]]
        take[i, s[got]] = True
        left[s[got]] -= q
    return Knapsacks(table, take)


@dataclass(frozen=True)
class Bound:
    """The knapsack Lagrangian bound at one set of multipliers, with its reduced costs.

    Parameters
    ----------
    value
        ``sum(lambda) + sum of rho over the chosen sites``.
    lam
        The multipliers.
    rho
        Each site's least reduced value (``-`` its best knapsack profit; ``inf`` if it may not
        open).
    chosen
        The sites of the Lagrangian solution (forced ones and the free ones of least ``rho``).
    knap
        The knapsacks behind ``rho``.
    """

    value: float
    lam: np.ndarray
    rho: np.ndarray
    chosen: np.ndarray
    knap: Knapsacks


def evaluate(
    cost: np.ndarray,
    lam: np.ndarray,
    units: Units,
    p: int,
    forced: np.ndarray,
    allowed: np.ndarray,
) -> Bound:
    """``L(lambda)`` of the capacitated p-median (``cost``: objective cost of every pair)."""
    with np.errstate(invalid="ignore"):
        profit = lam[:, None] - cost
    profit[:, ~allowed] = -np.inf
    knap = knapsacks(np.nan_to_num(profit, nan=-np.inf, posinf=-np.inf), units)
    rho = -knap.best(units.room)
    rho[~allowed] = np.inf
    chosen = forced.copy()
    free = np.flatnonzero(allowed & ~forced)
    k_free = p - int(forced.sum())
    if k_free > 0:
        chosen[free[np.argpartition(rho[free], k_free - 1)[:k_free]]] = True
    value = float(lam.sum() + rho[chosen].sum())
    return Bound(value, lam, rho, chosen, knap)


@dataclass(frozen=True)
class Dual:
    """Outcome of the subgradient search: the best bound and the steps taken."""

    best: Bound
    iterations: int


def first_multipliers(cost: np.ndarray, site_of: np.ndarray) -> np.ndarray:
    """Multipliers from a plan: every point's cost to its site (an optimal plan's own share)."""
    return np.asarray(cost[np.arange(cost.shape[0]), site_of], dtype=np.float64)


def dual(
    cost: np.ndarray,
    units: Units,
    p: int,
    forced: np.ndarray,
    allowed: np.ndarray,
    lam: np.ndarray,
    *,
    upper: float,
    cutoff: float,
    step: float = 1.0,
    stall: int = 20,
    min_step: float = 1e-3,
    iterations: int = 3000,
    deflect: float = 1.5,
    time_limit_s: float = math.inf,
) -> Dual:
    """Raise ``L(lambda)`` by subgradient steps, Polyak's towards ``upper``, deflected.

    The step factor starts at ``step`` and halves after ``stall`` steps without a better bound;
    the search ends below ``min_step``, after ``iterations`` steps or ``time_limit_s`` seconds,
    or once the bound exceeds ``cutoff``. ``deflect`` > 0 deflects a step turning back on the
    last one (Camerini, Fratta & Maffioli 1975), afresh after each halving.
    """
    t0 = time.perf_counter()
    lam = np.asarray(lam, dtype=np.float64).copy()
    best: Bound | None = None
    theta, since, it = step, 0, 0
    direction: np.ndarray | None = None
    while it < iterations:
        it += 1
        cur = evaluate(cost, lam, units, p, forced, allowed)
        if best is None or cur.value > best.value + 1e-9 * max(1.0, abs(best.value)):
            best, since = cur, 0
        else:
            since += 1
            if since >= stall:
                theta, since, direction = theta / 2.0, 0, None
        if best.value > cutoff or theta < min_step or time.perf_counter() - t0 > time_limit_s:
            break
        g = 1.0 - cur.knap.take[:, cur.chosen].sum(axis=1)
        if deflect > 0 and direction is not None:
            dot = float(g @ direction)
            if dot < 0:
                g = g - deflect * dot / float(direction @ direction) * direction
        norm = float(g @ g)
        if norm == 0:
            break
        direction = g
        lam = lam + theta * max(upper - cur.value, 1e-9 * max(1.0, abs(upper))) / norm * g
    assert best is not None
    _logger.debug("capacitated Lagrangian bound %.6g after %d steps", best.value, it)
    return Dual(best, it)


def fixing(
    cost: np.ndarray,
    units: Units,
    bound: Bound,
    p: int,
    forced: np.ndarray,
    allowed: np.ndarray,
    cutoff: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reduced-cost fixing: what no plan of value <= ``cutoff`` can use.

    Returns ``(closed, opened, pair_ok)`` as :func:`geoplan.models._heuristics.lagrangian_fixing`
    does. Forcing point ``i`` into site ``j``'s knapsack leaves at most ``lambda_i - c_ij`` plus
    the best profit within the room left, so it lifts ``rho_j`` by at least
    ``table[j, room_j] - table[j, room_j - size_i] - (lambda_i - c_ij)``.
    """
    with_open, closed, opened = heur.fix_sites(
        bound.rho, float(bound.lam.sum()), p, forced, allowed, cutoff
    )
    table, room, size = bound.knap.table, units.room, units.size
    rows = np.arange(room.size)
    left = room[None, :] - size[:, None]
    fits = left >= 0
    rest = table[rows[None, :], np.maximum(left, 0)]
    with np.errstate(invalid="ignore"):
        lift = table[rows, room][None, :] - rest - (bound.lam[:, None] - cost)
    lift = np.where(bound.knap.take, 0.0, np.maximum(lift, 0.0))
    pair_ok = fits & np.isfinite(cost) & (with_open[None, :] + lift <= cutoff) & ~closed[None, :]
    return closed, opened, pair_ok


@dataclass(frozen=True)
class Plan:
    """A plan: the open sites and the site of every demand point."""

    is_open: np.ndarray
    site_of: np.ndarray


def polish(
    cost: np.ndarray, weights: np.ndarray, capacity: np.ndarray, plan: Plan, *, moves: int = 10_000
) -> Plan:
    """Best-improvement local search on the assignment of a plan: shifts, then swaps.

    A shift moves one point to another open site with room; a swap exchanges two points of
    different sites when both stay within capacity. Stops when neither improves.
    """
    n = cost.shape[0]
    rows = np.arange(n)
    cols = np.flatnonzero(plan.is_open)
    site = plan.site_of.copy()
    load = np.bincount(site, weights=weights, minlength=capacity.size).astype(np.float64)
    tol = 1e-9 * max(1.0, float(np.abs(cost[rows, site]).sum()))
    for _ in range(moves):
        cur = cost[rows, site]
        with np.errstate(invalid="ignore"):
            gain = cur[:, None] - cost[:, cols]
        room = capacity[cols] - load[cols]
        gain[weights[:, None] > room[None, :] + 1e-9] = -np.inf
        gain = np.nan_to_num(gain, nan=-np.inf)
        i, k = np.unravel_index(int(np.argmax(gain)), gain.shape)
        if gain[i, k] > tol:
            load[site[i]] -= weights[i]
            site[i] = cols[k]
            load[site[i]] += weights[i]
            continue
        at = cost[:, site]  # at[i, k]: point i at k's site
        with np.errstate(invalid="ignore"):
            delta = at + at.T - cur[:, None] - cur[None, :]
        left = capacity[site] - load[site] + weights  # room at i's site without i
        ok = (weights[None, :] <= left[:, None] + 1e-9) & (weights[:, None] <= left[None, :] + 1e-9)
        delta[~ok | (site[:, None] == site[None, :])] = np.inf
        delta = np.nan_to_num(delta, nan=np.inf)
        i, k = np.unravel_index(int(np.argmin(delta)), delta.shape)
        if not delta[i, k] < -tol:
            break
        site[i], site[k] = site[k], site[i]
        load = np.bincount(site, weights=weights, minlength=capacity.size).astype(np.float64)
    return Plan(plan.is_open.copy(), site)


def plan_value(cost: np.ndarray, site_of: np.ndarray) -> float:
    """Total objective cost of an assignment."""
    return float(cost[np.arange(cost.shape[0]), site_of].sum())


Restricted = Callable[
    [np.ndarray, np.ndarray, np.ndarray, Plan | None, float, float],
    tuple[str, float, Plan | None],
]
"""The MILP on what the fixing left: ``(pair_ok, closed, opened, start plan or None, cutoff,
time limit s) -> (status, bound, plan or None)``; ``cutoff`` (``inf``: none) prunes every plan
of a larger value, so ``"infeasible"`` means no plan within it is left."""


@dataclass(frozen=True)
class Outcome:
    """What :func:`solve` proved: the best plan, its value, a lower bound, and whether proven."""

    plan: Plan
    value: float
    bound: float
    proven: bool
    status: str


_DUAL_SHARE = 0.2
"""Share of the time limit the first subgradient search may take."""

_REDUAL_SHARE = 0.05
"""Share of the time limit each search on the fixed problem may take."""

_TARGETS = (0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.06, 0.1)
"""Relative distances above the Lagrangian bound of the successive fixing targets."""

_RISE_SHARE = 0.6
"""Share of the time limit the targets below the incumbent's cutoff may take; the rest goes
to the incumbent's own model (started from its plan, so better plans are found too)."""

_DENSE = 0.5
"""A fixing target that leaves more than this share of the pairs is passed over for the
incumbent's own cutoff (the MILP would be as large)."""


def solve(
    cost: np.ndarray,
    weights: np.ndarray,
    p: int,
    capacity: np.ndarray,
    forced: np.ndarray,
    allowed: np.ndarray,
    *,
    start: Plan,
    cutoff_of: Callable[[float], float],
    restricted: Restricted,
    time_limit_s: float,
) -> Outcome:
    """Exact capacitated p-median: the knapsack bound, then MILPs on fixed problems.

    ``cost`` is the objective cost of every pair (``inf``: not assignable), ``weights`` the
    pupils counted against ``capacity``; ``start`` a feasible plan (the heuristic's),
    ``cutoff_of(value)`` the value a bound must exceed to prove a plan of ``value`` optimal.
    Each target ``T`` (a little above the bound first, then further, at last the incumbent's
    cutoff) fixes what no plan of value <= ``T`` uses and hands the rest to ``restricted``
    with ``T`` as its cutoff: a plan found there within ``T`` is optimal (every plan within
    ``T`` is in the restricted model); none proves every plan worse than ``T``, and the next
    target follows. After :data:`_RISE_SHARE` of the time the incumbent's cutoff is the
    target, with its plan as the MILP's start.
    """
    t0 = time.perf_counter()
    units = Units.of(weights, capacity)
    best = polish(cost, weights, capacity, start)
    upper = plan_value(cost, best.site_of)
    run = dual(
        cost,
        units,
        p,
        forced,
        allowed,
        first_multipliers(cost, best.site_of),
        upper=upper,
        cutoff=cutoff_of(upper),
        time_limit_s=_DUAL_SHARE * time_limit_s,
    )
    lag = run.best
    lower = lag.value
    _logger.info(
        "capacitated p-median: heuristic %.6g, knapsack bound %.6g (%d steps, %.1f s)",
        upper,
        lower,
        run.iterations,
        time.perf_counter() - t0,
    )
    steps = iter([lower + d * max(abs(lower), 1.0) for d in _TARGETS])
    target, last = next(steps), False
    while True:
        if lower > cutoff_of(upper):
            return Outcome(best, upper, upper, True, "optimal")
        if last or target >= cutoff_of(upper):
            # The incumbent's own model: every plan up to its value, started from it.
            target, last = upper + 1e-9 * max(1.0, abs(upper)), True
        end = time_limit_s if last else _RISE_SHARE * time_limit_s
        found, status, bound = _within(
            cost,
            units,
            lag,
            p,
            forced,
            allowed,
            target,
            last,
            best,
            upper,
            restricted,
            max(1.0, end - (time.perf_counter() - t0)),
        )
        if found is not None and plan_value(cost, found.site_of) < upper:
            best, upper = found, plan_value(cost, found.site_of)
        if status == "optimal" or (status == "none" and last):
            return Outcome(best, upper, upper, True, "optimal")
        if status == "none":  # no plan within the target
            lower = max(lower, target)
            target = next(steps, math.inf)
            continue
        if status != "dense" and math.isfinite(bound):
            lower = max(lower, min(bound, target))
        if last:
            return Outcome(best, upper, min(lower, upper), False, status)
        # Too large, or out of the rising share: the incumbent's own model next.
        last = True


def _within(
    cost: np.ndarray,
    units: Units,
    lag: Bound,
    p: int,
    forced: np.ndarray,
    allowed: np.ndarray,
    target: float,
    last: bool,
    best: Plan,
    upper: float,
    restricted: Restricted,
    time_limit_s: float,
) -> tuple[Plan | None, str, float]:
    """Look for a plan of value <= ``target``: fix, bound the rest again, solve what is left.

    Returns ``(plan found or None, outcome, bound)``: ``"optimal"`` (the plan is the best of
    all), ``"none"`` (no plan within the target), ``"dense"`` (the fixing left too much for a
    target below the last), or the MILP's status when it stopped short. The ``last`` target
    (the incumbent's value) gives the MILP the incumbent's plan and no cutoff.
    """
    t0 = time.perf_counter()
    closed, opened, pair_ok = fixing(cost, units, lag, p, forced, allowed, target)
    if _nothing_left(pair_ok, closed, opened, p, forced, allowed):
        return None, "none", math.nan
    if not last and pair_ok.mean() > _DENSE:
        return None, "dense", math.nan
    # The dual again on what is left: a higher bound fixes more.
    f2, a2 = forced | opened, allowed & ~closed
    cut = np.where(pair_ok, cost, np.inf)
    again = dual(
        cut,
        units,
        p,
        f2,
        a2,
        lag.lam,
        upper=min(upper, target),
        cutoff=target,
        step=0.5,
        time_limit_s=_REDUAL_SHARE * time_limit_s / (1.0 - _DUAL_SHARE),
    ).best
    if again.value > target:
        _logger.info("bound on the plans within %.6g: %.6g, none left", target, again.value)
        return None, "none", math.nan
    c2, o2, ok2 = fixing(cut, units, again, p, f2, a2, target)
    closed, opened, pair_ok = closed | c2, opened | o2, pair_ok & ok2
    if _nothing_left(pair_ok, closed, opened, p, forced, allowed):
        return None, "none", math.nan
    fits = upper <= target and bool(pair_ok[np.arange(cost.shape[0]), best.site_of].all())
    _logger.info(
        "plans within %.6g: %d sites closed, %d open, %d of %d pairs left",
        target,
        int(closed.sum()),
        int(opened.sum()),
        int(pair_ok.sum()),
        pair_ok.size,
    )
    left = time_left(t0, time_limit_s)
    status, bound, found = restricted(
        pair_ok, closed, opened, best if fits else None, math.inf if last else target, left
    )
    _logger.info("MILP on the plans within %.6g: %s, bound %.6g", target, status, bound)
    if found is not None and not (found.site_of >= 0).all():
        found = None
    within = found is not None and plan_value(cost, found.site_of) <= target
    if status == "infeasible" or (status == "optimal" and not within):
        # HiGHS ends "optimal" with a plan beyond its objective bound when none lies within.
        return found, "none", math.nan
    return found, status, bound


def _nothing_left(
    pair_ok: np.ndarray,
    closed: np.ndarray,
    opened: np.ndarray,
    p: int,
    forced: np.ndarray,
    allowed: np.ndarray,
) -> bool:
    """Whether the fixing leaves no plan: a point without a pair, or too many or few sites."""
    return (
        not pair_ok.any(axis=1).all()
        or int((forced | opened).sum()) > p
        or int((allowed & ~closed).sum()) < p
    )
