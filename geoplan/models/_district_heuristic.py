"""Heuristic districting of one level: LP rounding, contiguity repair, local search.

Used alone for large towns and as the warm start of the exact MIP: the capacitated-assignment LP
is rounded, detached pieces of districts are re-grown from their schools, boundary moves that keep
every district connected lower journey and capacity excess, ejection chains pass excess pupils
along neighbouring districts, and small sub-MIPs over a few neighbouring districts (large
neighbourhood search) reach capacity and a local optimum.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import time
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from geoplan.data.messages import coded_problem
from geoplan.errors import InfeasibleError
from geoplan.models._contiguity import components_within
from geoplan.models._district_model import (
    _assignment_from,
    _assignment_lp,
    _build_mip,
    _contiguous,
    _Level,
    _loads,
    _moved,
    _objective,
    _round_lp,
    _start_vector,
    _with_slack,
)
from geoplan.models.solver import SolveResult

logger = logging.getLogger(__name__)


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
        if p.max_moved is not None:
            new_moved = self.moved + float(p.stay[i, a] - p.stay[i, b])
            delta += self.penalty * (
                max(new_moved - p.max_moved, 0.0) - max(self.moved - p.max_moved, 0.0)
            )
        return delta

    def apply(self, i: int, b: int) -> None:
        p = self.p
        a = int(self.assign[i])
        self.moved += float(p.stay[i, a] - p.stay[i, b])
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
        # A step of the repair, not a finding: a plan left with such a unit is not contiguous,
        # so its status is not_feasible and the planner reads the coded refusal or diagnosis.
        logger.debug("%d unit(s) reach no adjacent district; assigned to the cheapest", left.size)
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
        problem = coded_problem("districts_no_assignment", "", "districts", "", "", "")
        raise InfeasibleError(f"{problem.message} {problem.fix}", problems=[problem])
    first_lp = lp
    room = p.capacity.copy()
    best: tuple[float, float, np.ndarray] | None = None
    filled = p.demand[p.demand.sum(axis=1) > 0]  # none: a level whose blocks hold no pupils
    typical = np.median(filled, axis=0) if len(filled) else 0.0
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
# Large neighbourhood search: re-solve a few neighbouring districts exactly
# --------------------------------------------------------------------------------------------


def _subproblem(p: _Level, assign: np.ndarray, schools: list[int]) -> tuple[_Level, np.ndarray]:
    """The problem on the units of ``schools``' districts, the other districts held fixed."""
    sch = np.asarray(schools, dtype=np.int64)
    units = np.flatnonzero(np.isin(assign, sch))
    local = np.full(p.m, -1, dtype=np.int64)
    local[sch] = np.arange(sch.size)
    adj = sp.csr_array(p.adjacency[units][:, units])
    stay = p.stay[units]
    max_moved = p.max_moved
    if max_moved is not None:
        # Pupils moved outside the sub-problem, or whose school today is outside it, stay moved.
        outside = np.flatnonzero(~np.isin(np.arange(p.n), units))
        fixed_moved = float(p.stay[outside].sum() - p.stay[outside, assign[outside]].sum())
        fixed_moved += float(stay.sum() - stay[:, sch].sum())
        max_moved = max_moved - fixed_moved
    sub = _Level(
        demand=p.demand[units],
        weight=p.weight[units][:, sch],
        allowed=p.allowed[units][:, sch],
        capacity=p.capacity[sch],
        adjacency=adj,
        neighbours=[adj.indices[adj.indptr[i] : adj.indptr[i + 1]] for i in range(units.size)],
        home=np.searchsorted(units, p.home[sch]),
        stay=stay[:, sch],
        max_moved=max_moved,
        fixed=np.where(p.fixed[units] >= 0, local[np.maximum(p.fixed[units], 0)], -1),
    )
    return sub, units


def _district_neighbours(p: _Level, assign: np.ndarray) -> list[set[int]]:
    adj = p.adjacency.tocoo()
    a, b = assign[adj.row], assign[adj.col]
    out: list[set[int]] = [set() for _ in range(p.m)]
    for x, y in zip(a[a != b].tolist(), b[a != b].tolist(), strict=True):
        out[x].add(y)
    return out


def _neighbourhood_search(
    p: _Level,
    assign: np.ndarray,
    *,
    deadline: float,
    sub_time_s: float = 2.0,
    size: int = 3,
) -> np.ndarray:
    """Re-solve the districts of a school and two of its neighbours exactly, while it pays.

    Each sub-problem is the flow MIP on those districts' units with elastic capacity (excess
    pupils cost :func:`_penalty` each), warm-started from the current plan, so a pass first
    removes capacity excess and then lowers journeys. Stops at a local optimum (no set of up to
    three neighbouring districts improves) or at ``deadline``.
    """
    out = assign.copy()
    penalty = _penalty(p)
    version = np.zeros(p.m, dtype=np.int64)
    tried: dict[tuple[int, ...], tuple[int, ...]] = {}

    def score(a: np.ndarray) -> float:
        over = float(np.maximum(_loads(p, a) - p.capacity, 0.0).sum())
        return _objective(p, a) + penalty * over

    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        over = np.maximum(_loads(p, out) - p.capacity, 0.0).sum(axis=1)
        seeds = np.argsort(-over, kind="stable")
        if over.max() > 1e-9:
            seeds = seeds[over[seeds] > 1e-9]
        nbrs = _district_neighbours(p, out)
        for seed in seeds.tolist():
            near = sorted(nbrs[seed])
            sets = [
                (seed, *rest)
                for r in range(min(size - 1, len(near)), 0, -1)
                for rest in itertools.combinations(near, r)
            ]
            for group in sets:
                if time.perf_counter() >= deadline:
                    return out
                key = tuple(sorted(group))
                stamp = tuple(int(version[j]) for j in key)
                if tried.get(key) == stamp:
                    continue
                tried[key] = stamp
                sub, units = _subproblem(p, out, list(key))
                dm = _with_slack(_build_mip(sub), sub, penalty)
                res = dm.mip.solve(
                    time_limit_s=max(min(sub_time_s, deadline - time.perf_counter()), 0.1),
                    mip_rel_gap=0.0,
                    mip_abs_gap=1e-6,
                    start=_start_vector(sub, dm, np.searchsorted(key, out[units])),
                )
                if res.x is None:
                    continue
                trial = out.copy()
                trial[units] = np.asarray(key)[_assignment_from(dm, sub, res.x)]
                if score(trial) < score(out) - 1e-6 and _contiguous(p, trial):
                    changed = np.unique(np.concatenate([out[trial != out], trial[trial != out]]))
                    version[changed] += 1
                    out = trial
                    improved = True
                    break  # the neighbourhoods changed
            if improved:
                break
    return out
