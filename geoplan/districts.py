"""County-town school districts: each block to one school per level, under class-size limits.

The core works on arrays, one school level at a time: pupils per block and grade band, a cost
matrix in minutes (blocks x schools, e.g. ``TravelMatrix.minutes``), capacities per school and band,
and the rook adjacency of the blocks. It minimises total pupil journey minutes subject to

* capacity: pupils of each band at a school <= its classes x class-size limit;
* rook contiguity: each district is connected through shared edges and holds its school's block
  (a single-commodity flow per district, after Shirabe 2005);
* optional limits: longest journey, pupils moved from the status quo, communities kept whole,
  fixed blocks (planner overrides).

:func:`solve_districts` solves it exactly with HiGHS (warm-started from the heuristic, with gap and
time limit) at town size, and with the heuristic for large inputs: the capacitated-assignment LP
(whose value is the reported bound), rounding, contiguity repair and local search by boundary
moves that keep every district connected. :func:`least_extra_classes` finds the fewest extra
classes per school that make a plan feasible. :func:`plan_districts` is the convenience over
``blocks`` and ``schools`` layers; it returns a :class:`DistrictPlan` of tables.
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from ._contiguity import components_within, dissolved_pieces, rook_adjacency
from ._errors import CRSError, InfeasibleError, Problem, ValidationError
from ._solvers import SolveResult, solve_milp
from .rules import classes_needed, oversized_classes

logger = logging.getLogger(__name__)

METHODS: tuple[str, ...] = ("auto", "exact", "heuristic")
"""Solution methods :func:`solve_districts` accepts."""

_HIGHS_LOG = False

EXACT_MAX_PAIRS = 30_000
"""With ``method="auto"``, the exact MIP is used up to this many block-school pairs."""


@dataclass(frozen=True)
class DistrictSolution:
    """Outcome of one level's districting, aligned to the input arrays.

    Parameters
    ----------
    assignment
        School position (column of the cost matrix) per block.
    objective
        Total pupil journey, pupil-minutes.
    bound
        Proven lower bound on the objective (the MIP bound, or the capacitated-assignment LP
        bound for the heuristic); ``nan`` when unknown.
    gap
        Relative gap between objective and bound.
    lp_bound
        Value of the capacitated-assignment LP (no contiguity, fractional blocks).
    status
        ``"optimal"``, ``"time_limit"`` (best found), ``"heuristic"`` (feasible, not proven)
        or ``"not_feasible"`` (the heuristic found no plan within capacity and contiguity).
    method
        ``"exact"`` or ``"heuristic"``.
    contiguous
        Whether every district is connected and holds its school's block.
    over_capacity_pupils
        Pupils above capacity, summed over schools and bands (0 for a feasible plan).
    seconds
        Wall time.
    """

    assignment: np.ndarray
    objective: float
    bound: float
    gap: float
    lp_bound: float
    status: str
    method: str
    contiguous: bool
    over_capacity_pupils: float
    seconds: float


@dataclass(frozen=True)
class _Level:
    """One level's problem on units (blocks, or communities kept whole)."""

    demand: np.ndarray  # (n, k) pupils per band
    weight: np.ndarray  # (n, m) pupil-minutes, inf where not allowed
    allowed: np.ndarray  # (n, m) bool
    capacity: np.ndarray  # (m, k)
    adjacency: sp.csr_array  # (n, n) bool
    neighbours: list[np.ndarray]
    home: np.ndarray  # (m,) unit per school
    status_quo: np.ndarray  # (n,) school or -1
    max_moved: float | None
    fixed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def n(self) -> int:
        return int(self.demand.shape[0])

    @property
    def m(self) -> int:
        return int(self.capacity.shape[0])


# --------------------------------------------------------------------------------------------
# Building the level problem
# --------------------------------------------------------------------------------------------


def _as_2d(a: Any, name: str) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        msg = f"`{name}` must be 1- or 2-dimensional, got shape {arr.shape}."
        raise ValueError(msg)
    return arr


def _build_level(
    demand: Any,
    cost: Any,
    capacity: Any,
    adjacency: Any,
    home: Any,
    *,
    max_journey_min: float | None,
    fixed: Any,
    status_quo: Any,
    max_moved: float | None,
    groups: Any,
) -> tuple[_Level, np.ndarray]:
    """Check the arrays and aggregate blocks into units; returns the level and block -> unit."""
    dem = _as_2d(demand, "demand")
    minutes = np.asarray(getattr(cost, "minutes", cost), dtype=np.float64)
    cap = _as_2d(capacity, "capacity")
    n_blocks, k = dem.shape
    if minutes.ndim != 2 or minutes.shape[0] != n_blocks:
        msg = f"`cost` has shape {minutes.shape}; expected ({n_blocks}, schools)."
        raise ValueError(msg)
    m = minutes.shape[1]
    if cap.shape != (m, k):
        msg = f"`capacity` has shape {cap.shape}; expected ({m}, {k}) (schools x bands)."
        raise ValueError(msg)
    if np.any(dem < 0) or np.any(cap < 0):
        msg = "`demand` and `capacity` must be non-negative."
        raise ValueError(msg)
    adj = sp.csr_array(adjacency, dtype=bool)
    if adj.shape != (n_blocks, n_blocks):
        msg = f"`adjacency` has shape {adj.shape}; expected ({n_blocks}, {n_blocks})."
        raise ValueError(msg)
    home_b = np.asarray(home, dtype=np.int64).ravel()
    if home_b.shape != (m,) or np.any((home_b < 0) | (home_b >= n_blocks)):
        msg = f"`home` must hold one block position per school ({m}), each in [0, {n_blocks})."
        raise ValueError(msg)
    fixed_b = (
        np.full(n_blocks, -1, dtype=np.int64)
        if fixed is None
        else np.asarray(fixed, dtype=np.int64).ravel()
    )
    sq_b = (
        np.full(n_blocks, -1, dtype=np.int64)
        if status_quo is None
        else np.asarray(status_quo, dtype=np.int64).ravel()
    )
    for name, arr in (("fixed", fixed_b), ("status_quo", sq_b)):
        if arr.shape != (n_blocks,) or np.any(arr >= m) or np.any(arr < -1):
            msg = f"`{name}` must hold a school position or -1 per block ({n_blocks})."
            raise ValueError(msg)

    # Units: one per block, or one per group (community kept whole).
    if groups is None:
        unit_of = np.arange(n_blocks)
    else:
        labels = np.asarray(groups, dtype=object).ravel()
        keys: dict[Any, int] = {}
        unit_list = []
        for b, g in enumerate(labels):
            if g is None or (isinstance(g, float) and math.isnan(g)) or g == "":
                unit_list.append(len(keys) + 10**9 + b)  # placeholder, renumbered below
            else:
                unit_list.append(keys.setdefault(g, len(keys)))
        _, unit_of = np.unique(np.asarray(unit_list), return_inverse=True)
    n = int(unit_of.max()) + 1 if n_blocks else 0
    agg = sp.csr_array((np.ones(n_blocks), (unit_of, np.arange(n_blocks))), shape=(n, n_blocks))
    dem_u = agg @ dem
    finite = np.isfinite(minutes)
    safe = np.where(finite, minutes, 0.0)
    weight_u = agg @ (dem.sum(axis=1)[:, None] * safe)
    reach = finite if max_journey_min is None else finite & (minutes <= max_journey_min)
    allowed_u = (agg @ (~reach).astype(np.float64)) == 0  # every block of the unit allowed
    adj_u = sp.csr_array((agg @ adj.astype(np.float64) @ agg.T) > 0)
    adj_u.setdiag(False)
    adj_u.eliminate_zeros()

    # Fixed blocks, then homes: a unit is forced to one school.
    forced = np.full(n, -1, dtype=np.int64)
    problems: list[str] = []
    for blk in np.flatnonzero(fixed_b >= 0):
        u, j = unit_of[blk], fixed_b[blk]
        if forced[u] not in (-1, j):
            problems.append(
                f"block {blk} is fixed to school {j} but its unit to school {forced[u]}"
            )
        forced[u] = j
    home_u = unit_of[home_b]
    for j, u in enumerate(home_u):
        if forced[u] not in (-1, j):
            problems.append(f"school {j}'s own block is assigned to school {forced[u]}")
        forced[u] = j
    if problems:
        raise InfeasibleError("Fixed assignments conflict: " + "; ".join(problems) + ".")
    rows = np.flatnonzero(forced >= 0)
    allowed_u[rows] = False
    allowed_u[rows, forced[rows]] = True
    weight_u = np.where(allowed_u, weight_u, np.inf)
    no_school = np.flatnonzero(~allowed_u.any(axis=1))
    if no_school.size:
        blocks = np.flatnonzero(np.isin(unit_of, no_school))[:10]
        msg = (
            f"{no_school.size} block(s) (positions {blocks.tolist()}...) can reach no school of "
            "this level within the journey limit. Raise `max_journey_min` or add a school."
        )
        raise InfeasibleError(msg)

    sq_u = np.full(n, -1, dtype=np.int64)
    sq_u[unit_of] = sq_b  # a unit takes its blocks' status quo (the last one wins if mixed)
    level = _Level(
        demand=np.asarray(dem_u),
        weight=weight_u,
        allowed=allowed_u,
        capacity=cap,
        adjacency=adj_u,
        neighbours=[adj_u.indices[adj_u.indptr[i] : adj_u.indptr[i + 1]] for i in range(n)],
        home=home_u,
        status_quo=sq_u,
        max_moved=max_moved,
        fixed=forced,
    )
    return level, unit_of


# --------------------------------------------------------------------------------------------
# Evaluating an assignment
# --------------------------------------------------------------------------------------------


def _loads(p: _Level, assign: np.ndarray) -> np.ndarray:
    load = np.zeros_like(p.capacity)
    np.add.at(load, assign, p.demand)
    return load


def _objective(p: _Level, assign: np.ndarray) -> float:
    return float(p.weight[np.arange(p.n), assign].sum())


def _moved(p: _Level, assign: np.ndarray) -> float:
    has = p.status_quo >= 0
    return float(p.demand[has & (assign != p.status_quo)].sum())


def _contiguous(p: _Level, assign: np.ndarray) -> bool:
    for j in range(p.m):
        members = np.flatnonzero(assign == j)
        if p.home[j] not in members or len(components_within(p.adjacency, members)) > 1:
            return False
    return True


# --------------------------------------------------------------------------------------------
# Capacitated-assignment LP (the bound) and the heuristic
# --------------------------------------------------------------------------------------------


def _pairs(p: _Level) -> tuple[np.ndarray, np.ndarray]:
    ii, jj = np.nonzero(p.allowed)
    return ii, jj


def _assignment_rows(
    p: _Level, ii: np.ndarray, jj: np.ndarray, *, n_cols: int
) -> tuple[list[sp.coo_array], list[np.ndarray], list[np.ndarray]]:
    """Rows shared by the LP and the MIP: one school per unit, capacity, moved limit."""
    nv = ii.size
    k = p.capacity.shape[1]
    cols = np.arange(nv)
    blocks: list[sp.coo_array] = [
        sp.coo_array((np.ones(nv), (ii, cols)), shape=(p.n, n_cols)),
    ]
    lower = [np.ones(p.n)]
    upper = [np.ones(p.n)]
    for b in range(k):
        blocks.append(sp.coo_array((p.demand[ii, b], (jj, cols)), shape=(p.m, n_cols)))
        lower.append(np.full(p.m, -np.inf))
        upper.append(p.capacity[:, b])
    if p.max_moved is not None and np.any(p.status_quo >= 0):
        stay = p.status_quo[ii] == jj
        tot = p.demand.sum(axis=1)
        blocks.append(
            sp.coo_array(
                (tot[ii[stay]], (np.zeros(int(stay.sum()), int), cols[stay])), shape=(1, n_cols)
            )
        )
        has = p.status_quo >= 0
        lower.append(np.array([tot[has].sum() - p.max_moved]))
        upper.append(np.array([np.inf]))
    return blocks, lower, upper


def _assignment_lp(p: _Level, *, time_limit_s: float) -> tuple[SolveResult, np.ndarray, np.ndarray]:
    ii, jj = _pairs(p)
    blocks, lower, upper = _assignment_rows(p, ii, jj, n_cols=ii.size)
    res = solve_milp(
        p.weight[ii, jj],
        sp.vstack(blocks, format="csc"),
        np.concatenate(lower),
        np.concatenate(upper),
        lb=0.0,
        ub=1.0,
        time_limit_s=time_limit_s,
    )
    return res, ii, jj


def _penalty(p: _Level) -> float:
    """Cost per pupil over capacity: more than any pupil's longest journey."""
    tot = p.demand.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        minutes = np.where(p.allowed & (tot[:, None] > 0), p.weight / tot[:, None], 0.0)
    return 10.0 * float(minutes.max(initial=1.0)) + 1.0


class _Search:
    """Local search state: assignment, loads, penalty for capacity and moved-limit excess."""

    def __init__(self, p: _Level, assign: np.ndarray) -> None:
        self.p = p
        self.assign = assign.copy()
        self.load = _loads(p, self.assign)
        self.penalty = _penalty(p)
        self.tot = p.demand.sum(axis=1)
        self.moved = _moved(p, self.assign)
        self.is_home = np.zeros(p.n, dtype=bool)
        self.is_home[p.home] = True
        self.locked = p.fixed >= 0

    def over(self, j: int, extra: np.ndarray | None = None) -> float:
        load = self.load[j] if extra is None else self.load[j] + extra
        return float(np.maximum(load - self.p.capacity[j], 0.0).sum())

    def move_delta(self, i: int, b: int) -> float:
        p = self.p
        a = int(self.assign[i])
        d = p.demand[i]
        delta = float(p.weight[i, b] - p.weight[i, a])
        delta += self.penalty * (self.over(a, -d) - self.over(a) + self.over(b, d) - self.over(b))
        if p.max_moved is not None and p.status_quo[i] >= 0:
            sq = p.status_quo[i]
            new_moved = (
                self.moved + (self.tot[i] if a == sq else 0.0) - (self.tot[i] if b == sq else 0.0)
            )
            delta += self.penalty * (
                max(new_moved - p.max_moved, 0.0) - max(self.moved - p.max_moved, 0.0)
            )
        return delta

    def apply(self, i: int, b: int) -> None:
        p = self.p
        a = int(self.assign[i])
        sq = p.status_quo[i]
        if sq >= 0:
            self.moved += (self.tot[i] if a == sq else 0.0) - (self.tot[i] if b == sq else 0.0)
        self.load[a] -= p.demand[i]
        self.load[b] += p.demand[i]
        self.assign[i] = b

    def stays_connected(self, i: int) -> bool:
        """Whether district ``assign[i]`` stays connected without unit ``i``."""
        a = self.assign[i]
        nb = self.p.neighbours
        ns = [int(v) for v in nb[i] if self.assign[v] == a]
        if len(ns) <= 1:
            return True
        targets = set(ns)
        seen = {ns[0], i}
        stack = [ns[0]]
        found = 1
        while stack:
            u = stack.pop()
            for v in nb[u]:
                v = int(v)
                if v not in seen and self.assign[v] == a:
                    seen.add(v)
                    if v in targets:
                        found += 1
                        if found == len(targets):
                            return True
                    stack.append(v)
        return False

    def total_over(self) -> float:
        over = float(np.maximum(self.load - self.p.capacity, 0.0).sum())
        if self.p.max_moved is not None:
            over += max(self.moved - self.p.max_moved, 0.0)
        return over

    def improve(self, deadline: float) -> int:
        """Boundary moves that lower cost + penalty and keep districts connected."""
        p = self.p
        moves = 0
        improved = True
        while improved and time.perf_counter() < deadline:
            improved = False
            for i in range(p.n):
                if self.is_home[i] or self.locked[i]:
                    continue
                a = self.assign[i]
                cands = {int(self.assign[v]) for v in p.neighbours[i]} - {int(a)}
                best_b, best = -1, -1e-9
                for b in cands:
                    if not p.allowed[i, b]:
                        continue
                    delta = self.move_delta(i, b)
                    if delta < best:
                        best_b, best = b, delta
                if best_b >= 0 and self.stays_connected(i):
                    self.apply(i, best_b)
                    moves += 1
                    improved = True
            if time.perf_counter() >= deadline:
                break
        return moves

    def eject(self, deadline: float) -> bool:
        """Shift pupils from an overfull school along a chain of districts to one with room."""
        p = self.p
        over = np.flatnonzero(np.maximum(self.load - p.capacity, 0.0).sum(axis=1) > 1e-9)
        progress = False
        for a0 in over:
            if time.perf_counter() >= deadline:
                break
            # Breadth-first search over districts: edges a -> b by a movable boundary unit.
            prev: dict[int, tuple[int, int]] = {int(a0): (-1, -1)}
            queue = [int(a0)]
            goal = -1
            while queue and goal < 0:
                nxt = []
                for a in queue:
                    for i in np.flatnonzero(self.assign == a):
                        if self.is_home[i] or self.locked[i]:
                            continue
                        for v in p.neighbours[i]:
                            b = int(self.assign[v])
                            if b in prev or not p.allowed[i, b]:
                                continue
                            prev[b] = (a, int(i))
                            if self.over(b, p.demand[i]) <= self.over(b) + 1e-9:
                                goal = b
                                break
                            nxt.append(b)
                        if goal >= 0:
                            break
                    if goal >= 0:
                        break
                queue = nxt
            if goal < 0:
                continue
            chain: list[tuple[int, int]] = []
            node = goal
            while prev[node][0] >= 0:
                parent, unit = prev[node]
                chain.append((unit, node))
                node = parent
            before = self.total_over()
            saved = self.assign.copy(), self.load.copy(), self.moved
            ok = True
            for unit, node in reversed(chain):
                if not self.stays_connected(unit):
                    ok = False
                    break
                self.apply(unit, node)
            if not ok or self.total_over() >= before - 1e-9:
                self.assign, self.load, self.moved = saved
            else:
                progress = True
        return progress


def _round_lp(p: _Level, x: np.ndarray, ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
    order = np.lexsort((-x, ii))
    first = np.ones(order.size, dtype=bool)
    first[1:] = ii[order][1:] != ii[order][:-1]
    assign = np.full(p.n, -1, dtype=np.int64)
    assign[ii[order][first]] = jj[order][first]
    return assign


def _contiguity_repair(p: _Level, assign: np.ndarray) -> np.ndarray:
    """Drop detached pieces of each district, then grow districts over them by least cost.

    A detached piece holding fixed units is joined to its district by the cheapest path of
    units that are free to move.
    """
    out = assign.copy()
    out[p.home] = np.arange(p.m)
    for j in range(p.m):
        for _ in range(p.n):
            members = np.flatnonzero(out == j)
            pieces = components_within(p.adjacency, members)
            if len(pieces) <= 1:
                break
            main = next(pc for pc in pieces if p.home[j] in pc)
            detached = [pc for pc in pieces if p.home[j] not in pc]
            out[np.concatenate([pc[p.fixed[pc] < 0] for pc in detached])] = -1
            stuck = [pc for pc in detached if np.any(p.fixed[pc] >= 0)]
            if not stuck or not _join_piece(p, out, j, stuck[0], main):
                break
    load = np.zeros_like(p.capacity)
    np.add.at(load, out[out >= 0], p.demand[out >= 0])
    heap: list[tuple[float, int, int]] = []
    penalty = _penalty(p)

    def push(i: int) -> None:
        for v in p.neighbours[i]:
            if out[v] < 0 and p.allowed[v, out[i]]:
                j = int(out[i])
                over = float(np.maximum(load[j] + p.demand[v] - p.capacity[j], 0).sum())
                heapq.heappush(heap, (float(p.weight[v, j]) + penalty * over, int(v), j))

    for i in np.flatnonzero(out >= 0):
        push(int(i))
    while heap:
        _, v, j = heapq.heappop(heap)
        if out[v] >= 0:
            continue
        out[v] = j
        load[j] += p.demand[v]
        push(v)
    left = np.flatnonzero(out < 0)
    if left.size:
        logger.warning("%d unit(s) reach no adjacent district; assigned to the cheapest", left.size)
        out[left] = np.argmin(p.weight[left], axis=1)
    return out


def _join_piece(p: _Level, out: np.ndarray, j: int, piece: np.ndarray, main: np.ndarray) -> bool:
    """Assign to ``j`` the cheapest path of free units joining ``piece`` to ``main``."""
    target = set(main.tolist())
    dist = {int(u): 0.0 for u in piece}
    prev: dict[int, int] = {}
    heap = [(0.0, int(u)) for u in piece]
    heapq.heapify(heap)
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist.get(u, math.inf):
            continue
        if u in target:
            while u in prev:
                u = prev[u]
                if p.fixed[u] < 0:
                    out[u] = j
            return True
        for v in p.neighbours[u]:
            v = int(v)
            if v not in target and (p.fixed[v] >= 0 or not p.allowed[v, j]):
                continue
            nd = d + (0.0 if v in target else float(p.weight[v, j]) + 1.0)
            if nd < dist.get(v, math.inf):
                dist[v] = nd
                prev[v] = u
                heapq.heappush(heap, (nd, v))
    return False


def _heuristic(p: _Level, *, time_limit_s: float) -> tuple[np.ndarray, SolveResult]:
    """LP, rounding, contiguity repair, local search; returns the plan and the (first) LP.

    When a school stays over capacity, its capacity is tightened in the LP by the excess (and a
    typical block) and the round repeats, so the LP moves the excess where there is room.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    lp, ii, jj = _assignment_lp(p, time_limit_s=max(time_limit_s * 0.5, 1.0))
    if lp.x is None or lp.status != "optimal":
        raise InfeasibleError(
            "The capacitated assignment has no solution: there are not enough places within "
            "reach (see `diagnose_capacity`)."
        )
    first_lp = lp
    room = p.capacity.copy()
    best: tuple[float, float, np.ndarray] | None = None
    typical = np.median(p.demand[p.demand.sum(axis=1) > 0], axis=0) if p.n else 0.0
    for _ in range(6):
        assign = _round_lp(p, lp.x, ii, jj)
        for _ in range(3):
            assign = _contiguity_repair(p, assign)
            if _contiguous(p, assign):
                break
        search = _Search(p, assign)
        for _ in range(50):
            search.improve(deadline)
            if search.total_over() <= 1e-9 or time.perf_counter() >= deadline:
                break
            if not search.eject(deadline):
                break
        search.improve(deadline)
        excess = search.total_over() + (0.0 if _contiguous(p, search.assign) else 1e9)
        value = _objective(p, search.assign)
        if best is None or (excess, value) < (best[0], best[1]):
            best = (excess, value, search.assign.copy())
        if excess <= 1e-9 or time.perf_counter() >= deadline:
            break
        over = np.maximum(search.load - p.capacity, 0.0)
        hit = over.sum(axis=1) > 1e-9
        room[hit] = np.maximum(room[hit] - over[hit] - typical, 0.0)
        lp, ii, jj = _assignment_lp(
            replace(p, capacity=room), time_limit_s=max(deadline - time.perf_counter(), 1.0)
        )
        if lp.x is None:
            break
    assert best is not None
    logger.info(
        "heuristic: %.0f pupil-min (LP bound %.0f) in %.1fs",
        best[1],
        first_lp.objective,
        time.perf_counter() - t0,
    )
    return best[2], first_lp


# --------------------------------------------------------------------------------------------
# The exact MIP (flow-based contiguity), also used for the least extra classes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mip:
    c: np.ndarray
    a: sp.csc_array
    lower: np.ndarray
    upper: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integrality: np.ndarray
    ii: np.ndarray
    jj: np.ndarray
    arcs: np.ndarray  # (n_arcs, 3): from unit, to unit, school
    n_extra: int


def _build_mip(
    p: _Level,
    *,
    contiguous: bool = True,
    extra_limits: np.ndarray | None = None,
    class_size: np.ndarray | None = None,
) -> _Mip:
    ii, jj = _pairs(p)
    nv = ii.size
    pair_id = np.full((p.n, p.m), -1, dtype=np.int64)
    pair_id[ii, jj] = np.arange(nv)
    if contiguous:
        adj = p.adjacency.tocoo()
        r, cc = adj.row.astype(np.int64), adj.col.astype(np.int64)
        arc_list = []
        for j in range(p.m):
            ok = p.allowed[r, j] & p.allowed[cc, j] & (r != p.home[j])
            arc_list.append(np.column_stack([r[ok], cc[ok], np.full(int(ok.sum()), j)]))
        arcs = np.concatenate(arc_list) if arc_list else np.zeros((0, 3), dtype=np.int64)
    else:
        arcs = np.zeros((0, 3), dtype=np.int64)
    na = arcs.shape[0]
    k = p.capacity.shape[1]
    ne = 0 if extra_limits is None else p.m * k
    n_cols = nv + na + ne
    blocks, lower, upper = _assignment_rows(p, ii, jj, n_cols=n_cols)
    if ne:
        assert class_size is not None and extra_limits is not None
        # Capacity rows (one block per band) gain -limit * extra classes.
        for b in range(k):
            e_cols = nv + na + np.arange(p.m) * k + b
            blocks[1 + b] = sp.coo_array(
                sp.csr_array(blocks[1 + b])
                + sp.csr_array(
                    (-class_size[:, b].astype(float), (np.arange(p.m), e_cols)),
                    shape=(p.m, n_cols),
                )
            )
    if na:
        u, v, j_arc = arcs[:, 0], arcs[:, 1], arcs[:, 2]
        f_cols = nv + np.arange(na)
        not_home = ii != p.home[jj]
        rows_of_pair = np.full(nv, -1, dtype=np.int64)
        rows_of_pair[not_home] = np.arange(int(not_home.sum()))
        n_cons = int(not_home.sum())
        out_rows = rows_of_pair[pair_id[u, j_arc]]
        in_rows = rows_of_pair[pair_id[v, j_arc]]
        has_in = in_rows >= 0
        cons = sp.coo_array(
            (
                np.concatenate([np.ones(na), -np.ones(int(has_in.sum())), -np.ones(n_cons)]),
                (
                    np.concatenate([out_rows, in_rows[has_in], np.arange(n_cons)]),
                    np.concatenate([f_cols, f_cols[has_in], np.flatnonzero(not_home)]),
                ),
            ),
            shape=(n_cons, n_cols),
        )
        blocks.append(cons)
        lower.append(np.zeros(n_cons))
        upper.append(np.zeros(n_cons))
        room = p.capacity
        if extra_limits is not None and class_size is not None:
            room = p.capacity + extra_limits * class_size
        big = _max_district_units(p, room) - 1.0
        arange = np.arange(na)
        for end in (u, v):
            link = sp.coo_array(
                (
                    np.concatenate([np.ones(na), -big[j_arc]]),
                    (
                        np.concatenate([arange, arange]),
                        np.concatenate([f_cols, pair_id[end, j_arc]]),
                    ),
                ),
                shape=(na, n_cols),
            )
            blocks.append(link)
            lower.append(np.full(na, -np.inf))
            upper.append(np.zeros(na))
        # Valid cut: a unit away from its school's block has a neighbour in the same district.
        sel = np.flatnonzero(not_home)
        nb_pairs = pair_id[v, j_arc]
        cut = sp.coo_array(
            (
                np.concatenate([np.ones(sel.size), -np.ones(na)]),
                (
                    np.concatenate([np.arange(sel.size), rows_of_pair[pair_id[u, j_arc]]]),
                    np.concatenate([sel, nb_pairs]),
                ),
            ),
            shape=(sel.size, n_cols),
        )
        blocks.append(cut)
        lower.append(np.full(sel.size, -np.inf))
        upper.append(np.zeros(sel.size))
    lb = np.zeros(n_cols)
    ub = np.full(n_cols, np.inf)
    ub[:nv] = 1.0
    forced = p.fixed[ii] == jj
    lb[:nv][forced] = 1.0
    integrality = np.zeros(n_cols, dtype=np.int64)
    integrality[:nv] = 1
    c = np.zeros(n_cols)
    if ne:
        assert extra_limits is not None
        ub[nv + na :] = extra_limits.ravel()
        integrality[nv + na :] = 1
        c[nv + na :] = 1.0
        scale = float(np.nanmax(np.where(np.isfinite(p.weight), p.weight, 0).max(axis=1).sum()))
        c[:nv] = p.weight[ii, jj] * (0.5 / max(scale, 1e-9))  # tie-break only: sums to < 1
    else:
        c[:nv] = p.weight[ii, jj]
    return _Mip(
        c=c,
        a=sp.vstack(blocks, format="csc"),
        lower=np.concatenate(lower),
        upper=np.concatenate(upper),
        lb=lb,
        ub=ub,
        integrality=integrality,
        ii=ii,
        jj=jj,
        arcs=arcs,
        n_extra=ne,
    )


def _max_district_units(p: _Level, room: np.ndarray) -> np.ndarray:
    """Most units a district can hold: the allowed units, and as many as fit its capacity."""
    out = p.allowed.sum(axis=0).astype(float)
    for j in range(p.m):
        units = np.flatnonzero(p.allowed[:, j])
        for b in range(p.capacity.shape[1]):
            fits = np.cumsum(np.sort(p.demand[units, b])) <= room[j, b] + 1e-9
            out[j] = min(out[j], float(fits.sum()))
    result: np.ndarray = np.maximum(out, 1.0)
    return result


def _start_vector(p: _Level, mip: _Mip, assign: np.ndarray) -> np.ndarray:
    """Warm start: the assignment, with flows along a breadth-first tree of each district."""
    nv = mip.ii.size
    na = mip.arcs.shape[0]
    x = np.zeros(mip.c.size)
    x[:nv] = (assign[mip.ii] == mip.jj).astype(float)
    if na:
        arc_id = {(int(a), int(b), int(j)): t for t, (a, b, j) in enumerate(mip.arcs)}
        for j in range(p.m):
            root = int(p.home[j])
            parent = {root: -1}
            order = [root]
            for u in order:
                for v in p.neighbours[u]:
                    v = int(v)
                    if v not in parent and assign[v] == j:
                        parent[v] = u
                        order.append(v)
            size = dict.fromkeys(order, 1)
            for u in reversed(order[1:]):
                size[parent[u]] += size[u]
                t = arc_id.get((u, parent[u], j))
                if t is not None:
                    x[nv + t] = size[u]
    if mip.n_extra:
        x[nv + na :] = np.nan
    return x


def _assignment_from(mip: _Mip, p: _Level, x: np.ndarray) -> np.ndarray:
    nv = mip.ii.size
    return _round_lp(p, x[:nv], mip.ii, mip.jj)


def _exact(
    p: _Level,
    start: np.ndarray | None,
    *,
    time_limit_s: float,
    mip_rel_gap: float,
) -> tuple[np.ndarray | None, SolveResult]:
    mip = _build_mip(p)
    x0 = None if start is None else _start_vector(p, mip, start)
    res = solve_milp(
        mip.c,
        mip.a,
        mip.lower,
        mip.upper,
        lb=mip.lb,
        ub=mip.ub,
        integrality=mip.integrality,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        mip_abs_gap=1e-6,
        start=x0,
        log=_HIGHS_LOG,
    )
    if res.x is None:
        return None, res
    return _assignment_from(mip, p, res.x), res


# --------------------------------------------------------------------------------------------
# Public array core
# --------------------------------------------------------------------------------------------


def solve_districts(
    demand: Any,
    cost: Any,
    capacity: Any,
    adjacency: Any,
    home: Any,
    *,
    max_journey_min: float | None = None,
    fixed: Any = None,
    status_quo: Any = None,
    max_moved: float | None = None,
    groups: Any = None,
    method: str = "auto",
    time_limit_s: float = 30.0,
    mip_rel_gap: float = 0.01,
) -> DistrictSolution:
    """Districts of one level: each block to one school, capacitated and contiguous.

    Parameters
    ----------
    demand
        Pupils per block and band, ``(blocks, bands)`` (or ``(blocks,)`` for one band).
    cost
        Journey minutes, ``(blocks, schools)``: an array or a ``TravelMatrix`` (its ``.minutes``,
        rows and columns already in block and school order). ``inf``/``nan``: unreachable.
    capacity
        Places per school and band, ``(schools, bands)``: classes x class-size limit.
    adjacency
        Rook adjacency of the blocks, ``(blocks, blocks)`` (see ``rook_adjacency``).
    home
        Block position holding each school (its district must contain it).
    max_journey_min
        Longest journey allowed, minutes.
    fixed
        School position per block that the planner fixed (``-1``: free).
    status_quo
        Today's school position per block (``-1``: none).
    max_moved
        Most pupils whose school may differ from the status quo.
    groups
        Label per block; blocks with the same label (a community) go to one school together.
    method
        ``"exact"`` (HiGHS MIP, warm-started from the heuristic), ``"heuristic"`` or ``"auto"``
        (exact up to :data:`EXACT_MAX_PAIRS` block-school pairs).
    time_limit_s
        Wall-time limit for the whole solve.
    mip_rel_gap
        Relative gap at which the MIP stops.

    Returns
    -------
    DistrictSolution
        Assignment per block, objective, bound and gap.

    Raises
    ------
    InfeasibleError
        If no assignment fits the capacity, journey and fixed limits.
    """
    if method not in METHODS:
        msg = f"`method` must be one of {METHODS}, got {method!r}."
        raise ValueError(msg)
    t0 = time.perf_counter()
    p, unit_of = _build_level(
        demand,
        cost,
        capacity,
        adjacency,
        home,
        max_journey_min=max_journey_min,
        fixed=fixed,
        status_quo=status_quo,
        max_moved=max_moved,
        groups=groups,
    )
    pairs = int(p.allowed.sum())
    exact = method == "exact" or (method == "auto" and pairs <= EXACT_MAX_PAIRS)
    heur_time = time_limit_s * (0.3 if exact else 1.0)
    assign, lp = _heuristic(p, time_limit_s=heur_time)
    search = _Search(p, assign)
    heur_ok = search.total_over() <= 1e-9 and _contiguous(p, assign)
    objective = _objective(p, assign)
    bound = lp.objective
    status = "heuristic"
    used = "heuristic"
    if exact:
        remaining = max(time_limit_s - (time.perf_counter() - t0), 1.0)
        best, res = _exact(
            p, assign if heur_ok else None, time_limit_s=remaining, mip_rel_gap=mip_rel_gap
        )
        used = "exact"
        if res.status == "infeasible":
            raise InfeasibleError(
                "No contiguous districting fits the capacity and limits "
                "(see `diagnose_capacity` and `least_extra_classes`)."
            )
        if math.isfinite(res.bound):
            bound = max(bound, res.bound)
        if best is not None and (not heur_ok or _objective(p, best) <= objective + 1e-6):
            assign = best
            objective = _objective(p, best)
            heur_ok = True
        status = "optimal" if res.status == "optimal" else "time_limit"
    over = float(np.maximum(_loads(p, assign) - p.capacity, 0.0).sum())
    if over > 1e-9 or not _contiguous(p, assign):
        status = "not_feasible"
    gap = (objective - bound) / max(abs(objective), 1e-9) if math.isfinite(bound) else math.inf
    return DistrictSolution(
        assignment=assign[unit_of],
        objective=objective,
        bound=bound,
        gap=max(gap, 0.0),
        lp_bound=lp.objective,
        status=status,
        method=used,
        contiguous=_contiguous(p, assign),
        over_capacity_pupils=over,
        seconds=time.perf_counter() - t0,
    )


def least_extra_classes(
    demand: Any,
    cost: Any,
    capacity: Any,
    class_size_limit: Any,
    adjacency: Any,
    home: Any,
    *,
    max_extra_classes: int | Any = 10,
    contiguous: bool = True,
    max_journey_min: float | None = None,
    fixed: Any = None,
    groups: Any = None,
    time_limit_s: float = 30.0,
) -> np.ndarray:
    """Fewest extra classes per school and band that make a feasible district plan.

    Parameters
    ----------
    demand, cost, capacity, adjacency, home, max_journey_min, fixed, groups
        As for :func:`solve_districts`.
    class_size_limit
        Places one extra class adds, per school and band ``(schools, bands)`` (or a scalar).
    max_extra_classes
        Most extra classes per school and band (scalar or ``(schools, bands)``).
    contiguous
        Require contiguous districts (else capacity and journey limits only).
    time_limit_s
        Wall-time limit.

    Returns
    -------
    numpy.ndarray
        Extra classes, integer ``(schools, bands)``; all zero when today's capacity suffices.

    Raises
    ------
    InfeasibleError
        If even ``max_extra_classes`` everywhere cannot fit the pupils.
    """
    p, _ = _build_level(
        demand,
        cost,
        capacity,
        adjacency,
        home,
        max_journey_min=max_journey_min,
        fixed=fixed,
        status_quo=None,
        max_moved=None,
        groups=groups,
    )
    shape = p.capacity.shape
    limits = np.broadcast_to(np.asarray(max_extra_classes, dtype=float), shape).copy()
    size = np.broadcast_to(np.asarray(class_size_limit, dtype=float), shape).copy()
    mip = _build_mip(p, contiguous=contiguous, extra_limits=limits, class_size=size)
    res = solve_milp(
        mip.c,
        mip.a,
        mip.lower,
        mip.upper,
        lb=mip.lb,
        ub=mip.ub,
        integrality=mip.integrality,
        time_limit_s=time_limit_s,
        mip_rel_gap=0.0,
        mip_abs_gap=0.5,
    )
    if res.x is None:
        msg = (
            f"Even {int(limits.max())} extra classes per school cannot fit the pupils within the "
            "journey limit; add a school or relax the limits."
        )
        raise InfeasibleError(msg)
    if res.status != "optimal":
        logger.warning("least_extra_classes: time limit reached; the count may not be least")
    extra = np.rint(res.x[mip.c.size - mip.n_extra :]).astype(np.int64)
    result: np.ndarray = extra.reshape(shape)
    return result


# --------------------------------------------------------------------------------------------
# From layers: blocks and schools
# --------------------------------------------------------------------------------------------

LEVEL_NAMES: dict[str, str] = {"primary": "primary", "middle": "junior-middle"}
FALLBACK_KPH: dict[str, float] = {"primary": 3.0, "middle": 4.0}
"""Walking speeds of the straight-line fallback cost, km/h (youngest band of the level)."""
DETOUR_FACTOR = 1.3
"""Straight-line distance x this factor approximates the walked distance (fallback only)."""


@dataclass(frozen=True)
class CapacityDiagnosis:
    """Where places are short, and the fewest extra classes that fit the pupils.

    Parameters
    ----------
    shortages
        One row per level and band (index ``level:band``): ``pupils``, ``places``, ``short``.
    extra_classes
        Extra classes per school (index ``id``) and band (``extra_classes_<band>``).
    message
        The diagnosis in a planner's words.
    """

    shortages: Any
    extra_classes: Any
    message: str

    @property
    def feasible(self) -> bool:
        """Whether today's classes already fit every pupil."""
        return int(self.extra_classes.to_numpy().sum()) == 0


@dataclass(frozen=True)
class DistrictPlan:
    """A district plan for a county town, as tables aligned to the input ids.

    Parameters
    ----------
    blocks
        Per block (index ``id``): ``school_<level>``, ``journey_<level>_min``,
        ``nearest_<level>`` (the assigned school is the nearest one teaching the level),
        ``moved_<level>`` (differs from the status quo), geometry.
    schools
        Per school (index ``id``): pupils per band (total, resident, migrant), classes,
        classes needed, average class size, oversized (56+) and severely oversized (66+) classes
        before (today's enrolment and classes) and after, utilisation per level.
    districts
        One polygon per level and school (index ``<level>:<school id>``): ``level``, ``school``,
        ``pupils``, ``area_m2``, ``polsby_popper``, ``pieces`` (1 when contiguous).
    indicators
        Per level: mean and worst journey, share at the nearest school, pupils moved, contiguity,
        objective, bound, gap, status, method, seconds.
    solutions
        The :class:`DistrictSolution` of each level.
    cost_source
        ``"travel matrix"`` or ``"straight line x detour (fallback)"`` per level.
    """

    blocks: Any
    schools: Any
    districts: Any
    indicators: Any
    solutions: dict[str, DistrictSolution]
    cost_source: dict[str, str]


def _teaches(schools: Any, level: str) -> np.ndarray:
    from .rules import BANDS_BY_KIND, LEVEL_BANDS

    bands = set(LEVEL_BANDS[level])
    return np.array(
        [bool(bands & set(BANDS_BY_KIND.get(str(k), ()))) for k in schools["kind"]], dtype=bool
    )


def _num(frame: Any, col: str, default: float = 0.0) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), default, dtype=np.float64)

    values = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return np.asarray(values.fillna(default).to_numpy(), dtype=np.float64)


def _band_pupils(blocks: Any, band: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Total, resident and migrant pupils of one band per block."""
    res_col, mig_col, tot_col = (
        f"pupils_{band}_resident",
        f"pupils_{band}_migrant",
        f"pupils_{band}",
    )
    has_split = res_col in blocks.columns and mig_col in blocks.columns
    if tot_col in blocks.columns and blocks[tot_col].notna().any():
        total = _num(blocks, tot_col)
    elif has_split:
        total = _num(blocks, res_col) + _num(blocks, mig_col)
    else:
        total = np.zeros(len(blocks))
    migrant = _num(blocks, mig_col) if mig_col in blocks.columns else np.zeros(len(blocks))
    migrant = np.minimum(migrant, total)
    return total, total - migrant, migrant


def _capacity(
    schools: Any, bands: Sequence[str], rules: Any, *, use_planned: bool, extra: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Classes (today, after) and class-size limit per school and band."""
    from .rules import BANDS_BY_KIND

    m, k = len(schools), len(bands)
    today = np.zeros((m, k))
    after = np.zeros((m, k))
    limit = np.zeros((m, k))
    own_limit = _num(schools, "class_size_limit", default=np.nan)
    for b, band in enumerate(bands):
        teaches = np.array([band in BANDS_BY_KIND.get(str(kd), ()) for kd in schools["kind"]])
        today[:, b] = np.where(teaches, _num(schools, f"classes_{band}"), 0.0)
        after[:, b] = today[:, b]
        if use_planned:
            after[:, b] += np.where(teaches, _num(schools, f"planned_classes_{band}"), 0.0)
        if extra is not None and f"extra_classes_{band}" in extra.columns:
            add = extra[f"extra_classes_{band}"].reindex(schools.index).fillna(0).to_numpy()
            after[:, b] += np.where(teaches, add.astype(float), 0.0)
        default = np.array([rules.limit_for(str(kd), band) for kd in schools["kind"]], float)
        limit[:, b] = np.where(np.isnan(own_limit), default, own_limit)
    return today, after, limit


def _homes(blocks: Any, schools: Any) -> np.ndarray:
    """Block position holding each school point (the nearest block if it lies in none)."""
    tree = shapely.STRtree(np.asarray(blocks.geometry.values))
    pts = np.asarray(schools.geometry.values)
    home = np.full(len(schools), -1, dtype=np.int64)
    s_idx, b_idx = tree.query(pts, predicate="intersects")
    home[s_idx[::-1]] = b_idx[::-1]  # first hit wins
    missing = np.flatnonzero(home < 0)
    if missing.size:
        home[missing] = tree.nearest(pts[missing])
    return home


def _separate_homes(home: np.ndarray, adjacency: sp.csr_array, names: Sequence[str]) -> np.ndarray:
    """Give schools that share a block each their own: the later takes a free neighbour."""
    out = home.copy()
    taken: set[int] = set()
    for j, h in enumerate(home):
        if int(h) not in taken:
            taken.add(int(h))
            continue
        free = [int(v) for v in adjacency.indices[adjacency.indptr[h] : adjacency.indptr[h + 1]]]
        free = [v for v in free if v not in taken]
        if not free:
            msg = (
                f"School {names[j]!r} shares its block with another school of the same level and "
                "no neighbouring block is free to anchor its district. Split the block."
            )
            raise InfeasibleError(msg)
        out[j] = free[0]
        taken.add(free[0])
        logger.info("school %s shares a block; its district is anchored on a neighbour", names[j])
    return out


def _cost_for(
    level: str,
    travel: Any,
    blocks: Any,
    schools: Any,
    *,
    detour_factor: float,
) -> tuple[np.ndarray, str]:
    mat = travel.get(level) if isinstance(travel, Mapping) else travel
    if mat is None:
        a = np.asarray(shapely.point_on_surface(np.asarray(blocks.geometry.values)))
        b = np.asarray(schools.geometry.values)
        ax, ay = shapely.get_x(a), shapely.get_y(a)
        bx, by = shapely.get_x(b), shapely.get_y(b)
        metres = np.hypot(ax[:, None] - bx[None, :], ay[:, None] - by[None, :]) * detour_factor
        logger.warning(
            "districts (%s): no travel matrix; using straight line x %.2f at %.1f km/h",
            level,
            detour_factor,
            FALLBACK_KPH[level],
        )
        return metres / (FALLBACK_KPH[level] * 1000.0 / 60.0), "straight line x detour (fallback)"
    minutes = np.asarray(getattr(mat, "minutes", mat), dtype=np.float64)
    origin_ids = getattr(mat, "origin_ids", None)
    dest_ids = getattr(mat, "destination_ids", None)
    if origin_ids is not None and dest_ids is not None:
        frame = pd.DataFrame(
            minutes, index=[str(i) for i in origin_ids], columns=[str(i) for i in dest_ids]
        )
        missing_b = [i for i in blocks.index if i not in frame.index]
        missing_s = [i for i in schools.index if i not in frame.columns]
        if missing_b or missing_s:
            msg = (
                f"The travel matrix lacks blocks {missing_b[:5]} / schools {missing_s[:5]}; "
                "compute it from the blocks to the schools."
            )
            raise ValueError(msg)
        minutes = frame.loc[list(blocks.index), list(schools.index)].to_numpy(dtype=np.float64)
    elif minutes.shape != (len(blocks), len(schools)):
        msg = f"The {level} cost matrix has shape {minutes.shape}; expected (blocks, schools)."
        raise ValueError(msg)
    return minutes, "travel matrix"


@dataclass(frozen=True)
class _LevelInput:
    level: str
    bands: tuple[str, ...]
    schools: Any  # the schools teaching the level
    demand: np.ndarray
    resident: np.ndarray
    migrant: np.ndarray
    cost: np.ndarray
    cost_source: str
    classes_today: np.ndarray
    classes_after: np.ndarray
    limit: np.ndarray
    home: np.ndarray
    fixed: np.ndarray
    status_quo: np.ndarray


def _level_inputs(
    blocks: Any,
    schools: Any,
    adjacency: sp.csr_array,
    *,
    level: str,
    travel: Any,
    rules: Any,
    overrides: Mapping[str, Mapping[str, str]] | None,
    use_planned: bool,
    extra_classes: Any,
    detour_factor: float,
) -> _LevelInput:
    from .rules import LEVEL_BANDS

    bands = LEVEL_BANDS[level]
    sub = schools[_teaches(schools, level)]
    if len(sub) == 0:
        msg = f"No open school teaches the {LEVEL_NAMES[level]} level; add one or drop the level."
        raise InfeasibleError(msg)
    parts = [_band_pupils(blocks, band) for band in bands]
    demand = np.column_stack([p[0] for p in parts])
    resident = np.column_stack([p[1] for p in parts])
    migrant = np.column_stack([p[2] for p in parts])
    all_cost, source = _cost_for(level, travel, blocks, schools, detour_factor=detour_factor)
    cost = all_cost[:, _teaches(schools, level)]
    today, after, limit = _capacity(sub, bands, rules, use_planned=use_planned, extra=extra_classes)
    names = [str(n) for n in sub.get("name", pd.Series(sub.index, index=sub.index))]
    home = _separate_homes(_homes(blocks, sub), adjacency, names)
    pos = {sid: j for j, sid in enumerate(sub.index)}
    fixed = np.full(len(blocks), -1, dtype=np.int64)
    problems: list[Problem] = []
    block_pos = {bid: i for i, bid in enumerate(blocks.index)}
    for bid, sid in ((overrides or {}).get(level, {}) or {}).items():
        if bid not in block_pos:
            problems.append(
                Problem(
                    "overrides",
                    "blocks",
                    str(bid),
                    f"school_{level}",
                    str(sid),
                    "No block has this id.",
                    "Use an id of the blocks layer.",
                )
            )
        elif sid not in pos:
            problems.append(
                Problem(
                    "overrides",
                    "blocks",
                    str(bid),
                    f"school_{level}",
                    str(sid),
                    f"No open school with this id teaches the {level} level.",
                    "Name an open school teaching the level.",
                )
            )
        else:
            fixed[block_pos[bid]] = pos[sid]
    if problems:
        raise ValidationError(problems)
    col = f"school_{level}"
    if col in blocks.columns:
        status_quo = np.array(
            [pos.get(str(s), -1) if isinstance(s, str) else -1 for s in blocks[col]], np.int64
        )
    else:
        status_quo = np.full(len(blocks), -1, dtype=np.int64)
    return _LevelInput(
        level,
        bands,
        sub,
        demand,
        resident,
        migrant,
        cost,
        source,
        today,
        after,
        limit,
        home,
        fixed,
        status_quo,
    )


def _checked_blocks(blocks: Any, schools: Any) -> tuple[Any, Any]:
    if blocks.crs is None or not blocks.crs.is_projected:
        msg = (
            "The blocks layer must be in a projected (metric) CRS for rook contiguity and areas; "
            f"got {blocks.crs}. Use the PlanningArea's CRS."
        )
        raise CRSError(msg)
    if schools.crs is not None and schools.crs != blocks.crs:
        schools = schools.to_crs(blocks.crs)
    if "status" in schools.columns:
        schools = schools[schools["status"].fillna("open") == "open"]
    return blocks, schools


def plan_districts(
    blocks: Any,
    schools: Any,
    *,
    travel: Any = None,
    rules: Any = None,
    levels: Sequence[str] = ("primary", "middle"),
    overrides: Mapping[str, Mapping[str, str]] | None = None,
    keep_communities: bool = False,
    max_journey_min: float | Mapping[str, float] | None = None,
    max_moved: float | Mapping[str, float] | None = None,
    use_planned: bool = True,
    extra_classes: Any = None,
    method: str = "auto",
    time_limit_s: float = 30.0,
    mip_rel_gap: float = 0.01,
    tolerance_m: float = 1.0,
    detour_factor: float = DETOUR_FACTOR,
) -> DistrictPlan:
    """School districts for the blocks of a county town, one partition per level.

    Parameters
    ----------
    blocks
        The ``blocks`` layer (polygons in a metric CRS, index ``id``), e.g.
        ``PlanningArea.blocks``.
    schools
        The ``schools`` layer; closed schools are left out.
    travel
        Journey minutes blocks x schools: a ``TravelMatrix`` (aligned by its ids), an array, or a
        mapping ``{"primary": ..., "middle": ...}``. ``None``: straight-line distance x
        ``detour_factor`` at walking speed -- a fallback only; the real path is a network matrix.
    rules
        Planning rules (class-size limits); default :class:`geoplan.rules.PlanningRules`.
    levels
        Levels to district: ``"primary"`` (g1_3 + g4_6) and/or ``"middle"`` (g7_9).
    overrides
        Planner's hand assignments ``{level: {block id: school id}}``; honoured, the rest
        re-optimised.
    keep_communities
        Keep the blocks of each ``community`` in one district.
    max_journey_min
        Longest journey allowed, minutes (one value or one per level).
    max_moved
        Most pupils per level whose school may change from ``school_<level>``.
    use_planned
        Count ``planned_classes_<band>`` in the capacity.
    extra_classes
        Table (index school id, columns ``extra_classes_<band>``) of classes a scenario adds.
    method, time_limit_s, mip_rel_gap
        Passed to :func:`solve_districts` (the time limit is per level).
    tolerance_m
        Shortest shared edge making two blocks neighbours, metres.
    detour_factor
        Factor on straight-line distance for the fallback cost.

    Returns
    -------
    DistrictPlan
        Tables per block, school, district and level.

    Raises
    ------
    InfeasibleError
        When places are short; the message says where, by how much, and the fewest extra classes.
    """
    from .rules import PlanningRules

    rules = rules or PlanningRules()
    blocks, schools = _checked_blocks(blocks, schools)
    adjacency = rook_adjacency(blocks, tolerance_m=tolerance_m)
    groups = blocks["community"].to_numpy() if keep_communities else None
    block_out = gpd.GeoDataFrame(
        index=blocks.index.copy(), geometry=blocks.geometry.copy(), crs=blocks.crs
    )
    block_out.index.name = "id"
    school_frames = []
    districts = []
    indicators = []
    solutions: dict[str, DistrictSolution] = {}
    sources: dict[str, str] = {}
    for level in levels:
        li = _level_inputs(
            blocks,
            schools,
            adjacency,
            level=level,
            travel=travel,
            rules=rules,
            overrides=overrides,
            use_planned=use_planned,
            extra_classes=extra_classes,
            detour_factor=detour_factor,
        )
        limit_j = _per_level(max_journey_min, level)
        try:
            sol = solve_districts(
                li.demand,
                li.cost,
                li.classes_after * li.limit,
                adjacency,
                li.home,
                max_journey_min=limit_j,
                fixed=li.fixed,
                status_quo=li.status_quo,
                max_moved=_per_level(max_moved, level),
                groups=groups,
                method=method,
                time_limit_s=time_limit_s,
                mip_rel_gap=mip_rel_gap,
            )
        except InfeasibleError as err:
            diag = _diagnose_level(
                li, adjacency, groups=groups, max_journey_min=limit_j, time_limit_s=time_limit_s
            )
            raise InfeasibleError(f"{err}\n{diag.message}") from err
        if sol.status == "not_feasible":
            diag = _diagnose_level(
                li, adjacency, groups=groups, max_journey_min=limit_j, time_limit_s=time_limit_s
            )
            msg = (
                f"The {LEVEL_NAMES[level]} heuristic found no plan within capacity and contiguity"
                f" ({sol.over_capacity_pupils:,.0f} pupils over).\n{diag.message}"
            )
            raise InfeasibleError(msg)
        solutions[level] = sol
        sources[level] = li.cost_source
        _fill_blocks(block_out, li, sol)
        school_frames.append(_school_table(li, sol))
        districts.append(_district_table(blocks, li, sol, tolerance_m=tolerance_m))
        indicators.append(_indicators(li, sol))
    school_table = _merge_school_tables(schools, school_frames)
    district_gdf = gpd.GeoDataFrame(pd.concat(districts), crs=blocks.crs)
    district_gdf.index.name = "id"
    ind = pd.DataFrame(indicators).set_index("level")
    return DistrictPlan(block_out, school_table, district_gdf, ind, solutions, sources)


def _per_level(value: float | Mapping[str, float] | None, level: str) -> float | None:
    if isinstance(value, Mapping):
        got = value.get(level)
        return None if got is None else float(got)
    return None if value is None else float(value)


def _fill_blocks(out: Any, li: _LevelInput, sol: DistrictSolution) -> None:
    ids = np.asarray(li.schools.index, dtype=object)
    n = len(out)
    journey = li.cost[np.arange(n), sol.assignment]
    masked = np.where(np.isfinite(li.cost), li.cost, np.inf)
    nearest = journey <= masked.min(axis=1) + 1e-9
    out[f"school_{li.level}"] = ids[sol.assignment]
    out[f"journey_{li.level}_min"] = journey
    out[f"nearest_{li.level}"] = nearest
    has = li.status_quo >= 0
    out[f"moved_{li.level}"] = has & (li.status_quo != sol.assignment)


def _school_table(li: _LevelInput, sol: DistrictSolution) -> Any:
    m = len(li.schools)
    table = pd.DataFrame(index=li.schools.index.copy())
    places = 0.0 * np.zeros(m)
    pupils_all = np.zeros(m)
    for b, band in enumerate(li.bands):
        pupils = np.bincount(sol.assignment, weights=li.demand[:, b], minlength=m)
        res = np.bincount(sol.assignment, weights=li.resident[:, b], minlength=m)
        mig = np.bincount(sol.assignment, weights=li.migrant[:, b], minlength=m)
        classes = li.classes_after[:, b].astype(int)
        today = li.classes_today[:, b].astype(int)
        enrol = _num(li.schools, f"enrolment_{band}")
        before = [oversized_classes(round(e), int(c)) for e, c in zip(enrol, today, strict=True)]
        after = [oversized_classes(round(p), int(c)) for p, c in zip(pupils, classes, strict=True)]
        table[f"pupils_{band}"] = pupils
        table[f"pupils_{band}_resident"] = res
        table[f"pupils_{band}_migrant"] = mig
        table[f"classes_{band}"] = classes
        table[f"classes_needed_{band}"] = [
            classes_needed(float(p), int(lim))
            for p, lim in zip(pupils, li.limit[:, b], strict=True)
        ]
        with np.errstate(divide="ignore", invalid="ignore"):
            table[f"avg_class_size_{band}"] = np.where(classes > 0, pupils / classes, np.nan)
        table[f"oversized_before_{band}"] = [o for o, _ in before]
        table[f"severely_oversized_before_{band}"] = [s for _, s in before]
        table[f"oversized_after_{band}"] = [o for o, _ in after]
        table[f"severely_oversized_after_{band}"] = [s for _, s in after]
        places = places + li.classes_after[:, b] * li.limit[:, b]
        pupils_all = pupils_all + pupils
    with np.errstate(divide="ignore", invalid="ignore"):
        table[f"utilisation_{li.level}"] = np.where(places > 0, pupils_all / places, np.nan)
    return table


def _merge_school_tables(schools: Any, frames: list[Any]) -> Any:
    keep = [c for c in ("name", "kind") if c in schools.columns]
    out = pd.DataFrame(schools[keep].copy())
    for frame in frames:
        out = out.join(frame, how="left")
    for kind in ("oversized", "severely_oversized"):
        for when in ("before", "after"):
            cols = [c for c in out.columns if c.startswith(f"{kind}_{when}_g")]
            out[f"{kind}_{when}"] = out[cols].fillna(0).sum(axis=1).astype(int)
    out.index.name = "id"
    return out


def _district_table(
    blocks: Any, li: _LevelInput, sol: DistrictSolution, *, tolerance_m: float
) -> Any:
    rows = []
    for j, sid in enumerate(li.schools.index):
        members = blocks.geometry[sol.assignment == j]
        geom = shapely.union_all(np.asarray(members.values))
        area = float(geom.area)
        perimeter = float(geom.length)
        rows.append(
            {
                "id": f"{li.level}:{sid}",
                "level": li.level,
                "school": str(sid),
                "pupils": float(li.demand[sol.assignment == j].sum()),
                "blocks": len(members),
                "area_m2": area,
                "polsby_popper": 4 * math.pi * area / perimeter**2
                if perimeter > 0
                else float("nan"),
                "pieces": dissolved_pieces(members, tolerance_m=tolerance_m),
                "geometry": geom,
            }
        )
    return pd.DataFrame(rows).set_index("id")


def _indicators(li: _LevelInput, sol: DistrictSolution) -> dict[str, Any]:
    n = li.demand.shape[0]
    pupils = li.demand.sum(axis=1)
    journey = li.cost[np.arange(n), sol.assignment]
    nearest = journey <= np.where(np.isfinite(li.cost), li.cost, np.inf).min(axis=1) + 1e-9
    total = float(pupils.sum())
    has = li.status_quo >= 0
    return {
        "level": li.level,
        "pupils": total,
        "mean_journey_min": float((pupils * journey).sum() / total) if total else float("nan"),
        "worst_journey_min": float(journey[pupils > 0].max()) if total else float("nan"),
        "share_nearest": float(pupils[nearest].sum() / total) if total else float("nan"),
        "pupils_moved": float(pupils[has & (li.status_quo != sol.assignment)].sum()),
        "contiguous": sol.contiguous,
        "objective_pupil_min": sol.objective,
        "bound_pupil_min": sol.bound,
        "lp_bound_pupil_min": sol.lp_bound,
        "gap": sol.gap,
        "status": sol.status,
        "method": sol.method,
        "over_capacity_pupils": sol.over_capacity_pupils,
        "seconds": sol.seconds,
        "cost_source": li.cost_source,
    }


def _diagnose_level(
    li: _LevelInput,
    adjacency: sp.csr_array,
    *,
    groups: Any,
    max_journey_min: float | None,
    time_limit_s: float,
    max_extra_classes: int = 20,
) -> CapacityDiagnosis:
    places = li.classes_after * li.limit
    rows = []
    for b, band in enumerate(li.bands):
        need, have = float(li.demand[:, b].sum()), float(places[:, b].sum())
        rows.append(
            {
                "id": f"{li.level}:{band}",
                "pupils": need,
                "places": have,
                "short": max(need - have, 0.0),
            }
        )
    shortages = pd.DataFrame(rows).set_index("id")
    extra = least_extra_classes(
        li.demand,
        li.cost,
        places,
        li.limit,
        adjacency,
        li.home,
        max_extra_classes=max_extra_classes,
        max_journey_min=max_journey_min,
        fixed=li.fixed,
        groups=groups,
        time_limit_s=time_limit_s,
    )
    extra_df = pd.DataFrame(
        extra, index=li.schools.index.copy(), columns=[f"extra_classes_{band}" for band in li.bands]
    )
    extra_df.index.name = "id"
    names = li.schools["name"] if "name" in li.schools.columns else li.schools.index.to_series()
    lines = []
    level_name = LEVEL_NAMES[li.level]
    short_total = float(shortages["short"].sum())
    if short_total > 0:
        lines.append(
            f"{level_name.capitalize()} places short by {short_total:,.0f} "
            f"(pupils {li.demand.sum():,.0f}, places {places.sum():,.0f})."
        )
    else:
        lines.append(
            f"{level_name.capitalize()} places suffice in total ({places.sum():,.0f} for "
            f"{li.demand.sum():,.0f} pupils) but not where the pupils live, within the journey "
            "limit and with contiguous districts."
        )
    for row in rows:
        if float(str(row["short"])) > 0:
            band = str(row["id"]).split(":")[1]
            lines.append(f"  grades {band[1:].replace('_', '-')}: short by {row['short']:,.0f}")
    per_school = extra.sum(axis=1)
    if per_school.sum() > 0:
        where = [f"{int(c)} at {names.iloc[j]}" for j, c in enumerate(per_school) if c > 0]
        joined = ", ".join(where)
        lines.append(f"{int(per_school.sum())} more classes would fit them: {joined}.")
    return CapacityDiagnosis(shortages, extra_df, "\n".join(lines))


def diagnose_capacity(
    blocks: Any,
    schools: Any,
    *,
    level: str,
    travel: Any = None,
    rules: Any = None,
    overrides: Mapping[str, Mapping[str, str]] | None = None,
    keep_communities: bool = False,
    max_journey_min: float | None = None,
    use_planned: bool = True,
    extra_classes: Any = None,
    max_extra_classes: int = 20,
    time_limit_s: float = 30.0,
    tolerance_m: float = 1.0,
    detour_factor: float = DETOUR_FACTOR,
) -> CapacityDiagnosis:
    """Places short per band, and the fewest extra classes per school that fit every pupil.

    Parameters
    ----------
    blocks, schools, travel, rules, overrides, keep_communities, use_planned, extra_classes
        As for :func:`plan_districts`.
    level
        ``"primary"`` or ``"middle"``.
    max_journey_min
        Longest journey allowed, minutes.
    max_extra_classes
        Most extra classes considered per school and band.
    time_limit_s
        Wall-time limit of the least-extra-classes MIP.
    tolerance_m, detour_factor
        As for :func:`plan_districts`.

    Returns
    -------
    CapacityDiagnosis
        Shortages, extra classes per school, and the message in a planner's words.
    """
    from .rules import PlanningRules

    rules = rules or PlanningRules()
    blocks, schools = _checked_blocks(blocks, schools)
    adjacency = rook_adjacency(blocks, tolerance_m=tolerance_m)
    li = _level_inputs(
        blocks,
        schools,
        adjacency,
        level=level,
        travel=travel,
        rules=rules,
        overrides=overrides,
        use_planned=use_planned,
        extra_classes=extra_classes,
        detour_factor=detour_factor,
    )
    groups = blocks["community"].to_numpy() if keep_communities else None
    return _diagnose_level(
        li,
        adjacency,
        groups=groups,
        max_journey_min=max_journey_min,
        time_limit_s=time_limit_s,
        max_extra_classes=max_extra_classes,
    )
