"""Best-first branch and bound for the p-median, with Lagrangian bounds on sparse pairs.

After Beasley (1985): every node relaxes the assignment rows with multipliers ``lambda``
(one per demand point), so its bound is ``sum(lambda)`` plus the ``p`` least site values
``rho_j = sum_i min(0, w_i d_ij - lambda_i)``, raised by a few subgradient steps from its
parent's multipliers. Nodes branch on one site (open / closed).

The search proves a *target*: a value ``T`` below which no plan exists. After a first,
time-boxed try at the proof itself, it runs in rounds of tightening targets: each round fixes,
against its own ``T``, the sites and the demand-site pairs whose Lagrangian penalty lifts the
bound to ``T`` (a plan that uses them costs at least ``T``), which on a province leaves a fifth
of the pairs and a small tree. A round that finishes
proves ``T``; the last round's target is the incumbent's own proof cut-off, so finishing it
proves the incumbent optimal. A round stopped by the time limit still proves the least bound
of its open nodes (best first: the bound of the whole search).
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from geoplan.models._heuristics import finite_cost, nearest_open

logger = logging.getLogger(__name__)

__all__ = ["TreeOutcome", "lagrangian_tree"]

_ROOT_STEPS, _NODE_STEPS, _STALL = 300, 30, 5
"""Subgradient steps at a round's root and at every node; halve the step after this many
steps without a better bound (30 / 5 proved the province's 0.01 % in 441 nodes, 3.6 s)."""

_FIRST_SHARE = 0.1
"""Share of the time the first round, aimed straight at the proof, may take (OR-Library pmed22:
749 nodes there against 2,756 over the halving rounds)."""

_OPEN_BYTES = 512 * 2**20
"""Memory the open nodes may hold (multipliers and pair positions); a round stops beyond it."""


@dataclass(frozen=True)
class _Pairs:
    """The demand-site pairs a node may still assign, by demand point (``rows`` sorted).

    ``index`` gives their positions among all the search's pairs: what an open node keeps.
    """

    rows: np.ndarray
    sites: np.ndarray
    cost: np.ndarray  # w_i d_ij
    index: np.ndarray

    def keep(self, mask: np.ndarray) -> _Pairs:
        return _Pairs(self.rows[mask], self.sites[mask], self.cost[mask], self.index[mask])

    def take(self, index: np.ndarray) -> _Pairs:
        return _Pairs(self.rows[index], self.sites[index], self.cost[index], index)


@dataclass(frozen=True)
class _Node:
    bound: float
    forced: np.ndarray
    allowed: np.ndarray
    lam: np.ndarray
    index: np.ndarray  # of its pairs among the search's

    @property
    def nbytes(self) -> int:
        return int(self.lam.nbytes + self.index.nbytes)


@dataclass(frozen=True)
class TreeOutcome:
    """What the branch and bound proved and found.

    Parameters
    ----------
    best
        Sites of the best plan (the given one unless the tree found a cheaper one).
    value
        Its total cost.
    bound
        Proven lower bound of every plan (``value`` when ``finished``).
    finished
        The search proved ``best`` optimal.
    nodes
        Nodes solved, over all rounds.
    """

    best: np.ndarray
    value: float
    bound: float
    finished: bool
    nodes: int


class _Search:
    """One problem's data shared by the rounds."""

    def __init__(
        self,
        pairs: _Pairs,
        n: int,
        m: int,
        p: int,
        real: np.ndarray,
        weights: np.ndarray,
        best: np.ndarray,
    ) -> None:
        self.pairs, self.n, self.m, self.p = pairs, n, m, p
        self.real, self.weights = real, weights
        self.best = best
        self.value = float(weights @ nearest_open(real, best)[1])
        self.nodes = 0
        self.deadline = math.inf  # of the round under way
        self.starts = np.flatnonzero(np.r_[True, pairs.rows[1:] != pairs.rows[:-1]])

    def evaluate(
        self, pairs: _Pairs, lam: np.ndarray, forced: np.ndarray, allowed: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``L(lambda)``, the pairs' reduced costs, ``rho``, the chosen sites and the free ones."""
        red = np.minimum(pairs.cost - lam[pairs.rows], 0.0)
        rho = np.bincount(pairs.sites, weights=red, minlength=self.m)
        free = np.flatnonzero(allowed & ~forced)
        k_free = self.p - int(forced.sum())
        chosen = forced.copy()
        if 0 < k_free < free.size:
            chosen[free[np.argpartition(rho[free], k_free - 1)[:k_free]]] = True
        elif k_free > 0:
            chosen[free] = True
        return float(lam.sum() + rho[chosen].sum()), red, rho, chosen, free

    def dual(
        self,
        pairs: _Pairs,
        lam: np.ndarray,
        forced: np.ndarray,
        allowed: np.ndarray,
        target: float,
        steps: int,
        theta: float,
    ) -> tuple[float, np.ndarray]:
        """Subgradient steps (Polyak's, towards the incumbent); the best bound and multipliers.

        Stops at the round's deadline too (after one step: a bound is always returned).
        """
        best, best_lam, since = -math.inf, lam, 0
        for _ in range(steps):
            value, red, _rho, chosen, _free = self.evaluate(pairs, lam, forced, allowed)
            if value > best + 1e-9 * max(1.0, abs(best)) or not math.isfinite(best):
                best, best_lam, since = value, lam, 0
            else:
                since += 1
                if since >= _STALL:
                    theta, since = theta / 2.0, 0
            if best >= target or theta < 1e-4 or time.perf_counter() > self.deadline:
                break
            served = np.bincount(
                pairs.rows, weights=(red < 0) & chosen[pairs.sites], minlength=self.n
            )
            g = 1.0 - served
            norm = float(g @ g)
            if norm == 0:
                break
            gap = max(self.value - value, 1e-9 * max(1.0, abs(self.value)))
            lam = lam + theta * gap / norm * g
        return best, best_lam

    def offer(self, chosen: np.ndarray) -> None:
        """Keep a Lagrangian solution that beats the incumbent (valued on the real costs)."""
        if int(chosen.sum()) != self.p:
            return
        masked = np.where(chosen[self.pairs.sites], self.pairs.cost, np.inf)
        if float(np.minimum.reduceat(masked, self.starts).sum()) >= self.value:
            return  # no cheaper on the pairs left (the real costs are no higher)
        value = float(self.weights @ nearest_open(self.real, chosen)[1])
        if value < self.value:
            self.best, self.value = chosen.copy(), value
            logger.debug("Lagrangian tree: a better plan %.6g", value)

    def fix(
        self,
        node_pairs: _Pairs,
        value: float,
        rho: np.ndarray,
        lam: np.ndarray,
        forced: np.ndarray,
        allowed: np.ndarray,
        target: float,
    ) -> tuple[_Pairs, np.ndarray, np.ndarray]:
        """Close/open the sites and drop the pairs whose use lifts the bound to ``target``.

        Returns the pairs left, the sites forced and allowed.
        """
        free = np.flatnonzero(allowed & ~forced)
        k_free = self.p - int(forced.sum())
        order = free[np.argsort(rho[free], kind="stable")]
        inside, outside = order[:k_free], order[k_free:]
        forced, allowed = forced.copy(), allowed.copy()
        with_open = np.full(self.m, value)
        if k_free > 0 and outside.size:
            with_open[outside] = value + rho[outside] - rho[inside[-1]]
            allowed[outside[with_open[outside] >= target]] = False
            forced[inside[value + rho[outside[0]] - rho[inside] >= target]] = True
        keep = allowed[node_pairs.sites] & (
            with_open[node_pairs.sites] + np.maximum(node_pairs.cost - lam[node_pairs.rows], 0.0)
            < target
        )
        return node_pairs.keep(keep), forced, allowed

    def leaf(self, forced: np.ndarray, allowed: np.ndarray) -> bool:
        """A node with one plan left (or none): offer it and say so."""
        free = np.flatnonzero(allowed & ~forced)
        k_free = self.p - int(forced.sum())
        if k_free < 0 or free.size < k_free:
            return True
        if k_free == 0 or free.size == k_free:
            self.offer(forced | (allowed & ~forced))
            return True
        return False

    def round(
        self,
        forced: np.ndarray,
        allowed: np.ndarray,
        lam: np.ndarray,
        target: float,
        deadline: float,
    ) -> tuple[bool, float]:
        """Prove ``target``; returns ``(finished, proven bound)``."""
        self.deadline = deadline
        value, lam = self.dual(self.pairs, lam, forced, allowed, target, _ROOT_STEPS, 1.0)
        self.offer(self.evaluate(self.pairs, lam, forced, allowed)[3])
        if value >= target:
            return True, target
        heap: list[tuple[float, int, _Node]] = []
        count = 0
        held = 0

        def push(node: _Node) -> None:
            nonlocal count, held
            count += 1
            held += node.nbytes
            heapq.heappush(heap, (node.bound, count, node))

        push(_Node(value, forced, allowed, lam, self.pairs.index))
        while heap:
            if time.perf_counter() > deadline or held > _OPEN_BYTES:
                return False, min(target, heap[0][0])
            _bound, _seq, node = heapq.heappop(heap)
            held -= node.nbytes
            node_pairs = self.pairs.take(node.index)
            self.nodes += 1
            value, lam = self.dual(
                node_pairs, node.lam, node.forced, node.allowed, target, _NODE_STEPS, 0.5
            )
            if value >= target:
                continue
            value, _red, rho, chosen, _free = self.evaluate(
                node_pairs, lam, node.forced, node.allowed
            )
            self.offer(chosen)
            pairs, f, a = self.fix(node_pairs, value, rho, lam, node.forced, node.allowed, target)
            if not np.bincount(pairs.rows, minlength=self.n).all() or self.leaf(f, a):
                continue  # a demand point has no pair left: every plan here costs >= target
            free = np.flatnonzero(a & ~f)
            k_free = self.p - int(f.sum())
            order = free[np.argsort(rho[free], kind="stable")]
            inside, outside = order[:k_free], order[k_free:]
            raise_if_closed = rho[outside[0]] - rho[inside]
            j = int(inside[int(np.argmax(raise_if_closed))])
            closed, opened = a.copy(), f.copy()
            closed[j] = False
            opened[j] = True
            push(
                _Node(
                    value + float(raise_if_closed.max()),
                    f,
                    closed,
                    lam,
                    pairs.index[pairs.sites != j],
                )
            )
            push(_Node(value, opened, a, lam, pairs.index))
        return True, target


def lagrangian_tree(
    cost: np.ndarray,
    weights: np.ndarray,
    p: int,
    forced: np.ndarray,
    allowed: np.ndarray,
    lam: np.ndarray,
    *,
    best: np.ndarray,
    cutoff_of: Callable[[float], float],
    lower: float = -math.inf,
    true_cost: np.ndarray | None = None,
    time_limit_s: float = 30.0,
) -> TreeOutcome:
    """Prove the p-median plan ``best`` optimal, or as close to it as ``time_limit_s`` allows.

    Parameters
    ----------
    cost
        Demand x sites; ``inf`` for the pairs no plan better than ``best`` may use (after a
        Lagrangian fixing, say). Every demand point keeps at least one finite pair.
    weights
        Pupils per demand point.
    p
        Sites to open.
    forced, allowed
        Sites that must open / may open.
    lam
        Starting multipliers (one per demand point), e.g. the root dual's.
    best
        Sites of the incumbent plan.
    cutoff_of
        The bound above which a plan of the given value is proven optimal.
    lower
        A bound already proven; rounds start from its gap to the incumbent.
    true_cost
        The costs that value a plan (default ``cost``).
    time_limit_s
        Wall-time limit.

    Returns
    -------
    TreeOutcome
        Each round halves the gap between the incumbent and the proven bound.
    """
    t0 = time.perf_counter()
    n, m = cost.shape
    real = finite_cost(cost if true_cost is None else true_cost)
    if int(forced.sum()) > p or int(allowed.sum()) < p:
        # No other plan of p sites: ``best`` is the only one there is.
        value = float(weights @ nearest_open(real, best)[1])
        return TreeOutcome(best.copy(), value, value, True, 0)
    rows, sites = np.nonzero(np.isfinite(cost) & allowed[None, :])
    if not np.bincount(rows, minlength=n).all():
        # A demand point has no pair a better plan may use: ``best`` is optimal.
        value = float(weights @ nearest_open(real, best)[1])
        return TreeOutcome(best.copy(), value, value, True, 0)
    index = np.arange(rows.size, dtype=np.int32 if rows.size < 2**31 else np.int64)
    pairs = _Pairs(rows, sites, weights[rows] * cost[rows, sites], index)
    search = _Search(pairs, n, m, p, real, weights, best.copy())
    proven = lower
    deadline = t0 + time_limit_s
    # First straight at the proof (small gaps finish there, without the rounds' repeats).
    first = True
    while True:
        cutoff = cutoff_of(search.value)
        gap = search.value - proven
        target = cutoff
        if not first and math.isfinite(gap) and gap / max(1.0, abs(search.value)) >= 1e-6:
            target = min(cutoff, search.value - gap / 2.0)
        stop = (
            min(deadline, time.perf_counter() + _FIRST_SHARE * time_limit_s) if first else deadline
        )
        finished, bound = search.round(forced, allowed, lam, target, stop)
        was_first, first = first, False
        proven = max(proven, bound)
        logger.debug(
            "Lagrangian tree round to %.8g: %s, bound %.8g, %d nodes",
            target,
            "proven" if finished else "stopped",
            proven,
            search.nodes,
        )
        if finished and target >= cutoff_of(search.value):
            return TreeOutcome(search.best, search.value, search.value, True, search.nodes)
        if time.perf_counter() > deadline or not (finished or was_first):
            return TreeOutcome(
                search.best, search.value, min(proven, search.value), False, search.nodes
            )
