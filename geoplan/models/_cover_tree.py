"""Best-first branch and bound for maximal coverage, with Lagrangian bounds on the cover groups.

The model (on the groups of :func:`~geoplan.models._location.reduce_cover`): open at most ``k``
of the free sites so that the weight of the groups an open site covers is largest. Every node
relaxes the cover rows ``z_g <= sum_j a_gj y_j`` with multipliers ``0 <= lam_g <= w_g`` (as
:func:`~geoplan.models._max_cover.lagrangian_bound`): its bound is the weight of the groups its
forced sites cover, plus ``sum (w_g - lam_g)`` over the other groups some allowed site covers,
plus the ``k`` largest values ``c_j = sum_g lam_g a_gj`` among its free sites; a few subgradient
steps from its parent's multipliers lower it. Nodes branch on one site (open / closed).

As the p-median's tree (:mod:`~geoplan.models._lagrangian_tree`), the search proves a *target*
``T``: no plan covers ``T`` or more. A first, time-boxed round aims straight at the proof (``T``
one pupil above the incumbent); then rounds of tightening targets (halfway between the
incumbent and the bound proven so far), each fixing, against its own ``T``, the sites whose
opening (or closing) takes a node's bound below ``T``. A round that finishes proves ``T``; one
stopped by the time limit proves the largest bound of its open nodes (best first). A better plan
found on the way raises the round's target to its own cut-off.
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

logger = logging.getLogger(__name__)

__all__ = ["CoverTreeOutcome", "cover_tree"]

_ROOT_STEPS, _NODE_STEPS, _STALL = 300, 30, 5
"""Subgradient steps at a round's root and at every node; halve the step after this many
steps without a better bound."""

_FIRST_SHARE = 0.1
"""Share of the time the first round, aimed straight at the proof, may take."""

_OPEN_BYTES = 512 * 2**20
"""Memory the open nodes may hold (their multipliers); a round stops beyond it."""

_POLISH_SHARE = 0.2
"""With a ``polish`` search, a node's Lagrangian plan (each distinct plan once) is searched from
before it is offered while the searches so far took at most this share of the tree's time (the
first node's always): on the province's 45-minute case a search costs ~50 nodes' time, and a
search every 10th node left the tree 660 nodes in a minute instead of ~3,000."""


@dataclass(frozen=True)
class CoverTreeOutcome:
    """What the branch and bound proved and found.

    Parameters
    ----------
    best
        Sites of the best plan (the given one unless the tree found a better one).
    value
        The weight it covers.
    bound
        Proven upper bound of every plan (``value`` when ``finished``).
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


@dataclass(frozen=True)
class _Node:
    bound: float
    forced: np.ndarray
    allowed: np.ndarray
    lam: np.ndarray  # float32: what an open node keeps


class _Search:
    """One problem's data shared by the rounds."""

    def __init__(
        self,
        groups: sp.csr_array,
        weights: np.ndarray,
        k: int,
        allowed: np.ndarray,
        best: np.ndarray,
        cutoff_of: Callable[[float], float],
        polish: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self.allowed = allowed.copy()
        self.polish = polish
        self.polished: set[bytes] = set()
        self.started = time.perf_counter()
        self.polish_s = 0.0  # spent in ``polish``
        self.a = sp.csc_array(groups, dtype=np.float64)
        self.at = sp.csr_array(self.a.T)
        self.w = np.asarray(weights, dtype=np.float64)
        self.n, self.m = groups.shape
        self.k = k
        self.cutoff_of = cutoff_of
        self.best = best.copy()
        self.value = self.covered(best)
        self.nodes = 0
        self.deadline = math.inf
        self.target = math.inf  # of the round under way
        self.margin = 1e-7 * max(1.0, float(self.w.sum()))

    def counts(self, sites: np.ndarray) -> np.ndarray:
        """How many of the ``sites`` (bool) cover each group."""
        cols = np.flatnonzero(sites)
        if not cols.size:
            return np.zeros(self.n)
        ip = self.a.indptr
        idx = np.concatenate([self.a.indices[ip[j] : ip[j + 1]] for j in cols])
        return np.bincount(idx, minlength=self.n).astype(np.float64)

    def covered(self, sites: np.ndarray) -> float:
        return float(self.w[self.counts(sites) > 0.5].sum())

    def offer(self, plan: np.ndarray) -> None:
        """Keep a plan that beats the incumbent; the round's target rises with it.

        A plan not seen before is first handed to ``polish`` while the searches so far took at
        most :data:`_POLISH_SHARE` of the tree's time; what it returns is offered too.
        """
        now = time.perf_counter()
        if self.polish is not None and self.polish_s <= _POLISH_SHARE * (now - self.started):
            key = np.packbits(plan).tobytes()
            if key not in self.polished:
                self.polished.add(key)
                found = self.polish(plan)
                self.polish_s += time.perf_counter() - now
                if int(found.sum()) <= self.k and not (found & ~self.allowed).any():
                    self.offer_one(found)
        self.offer_one(plan)

    def offer_one(self, plan: np.ndarray) -> None:
        """Keep ``plan`` if it beats the incumbent (and opens at most ``k`` sites)."""
        if int(plan.sum()) > self.k:
            return
        value = self.covered(plan)
        if value > self.value + self.margin:
            self.best, self.value = plan.copy(), value
            self.target = max(self.target, self.cutoff_of(value))
            logger.debug("coverage tree: a better plan %.8g", value)

    def state(
        self, forced: np.ndarray, allowed: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray, int]:
        """What a node's forced and allowed sites leave.

        Returns the weight the forced sites cover, the groups still open to the relaxation (not
        covered by a forced site, covered by a free one), the free sites and how many may open.
        """
        cnt = self.counts(forced)
        done = cnt > 0.5
        free = allowed & ~forced
        live = ~done & (self.counts(free) > 0.5)
        return float(self.w[done].sum()), live, np.flatnonzero(free), self.k - int(forced.sum())

    def evaluate(
        self,
        lam: np.ndarray,
        base: float,
        live: np.ndarray,
        free: np.ndarray,
        k_free: int,
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """``L(lam)`` at a node, the site values ``c`` and the free sites in its top ``k_free``."""
        lam_live = np.where(live, lam, 0.0)
        c = self.at @ lam_live
        if k_free <= 0:
            top = free[:0]
        elif k_free < free.size:
            top = free[np.argpartition(-c[free], k_free - 1)[:k_free]]
        else:
            top = free
        value = base + float(np.where(live, self.w - lam, 0.0).sum()) + float(c[top].sum())
        return value, c, top

    def dual(
        self,
        lam: np.ndarray,
        base: float,
        live: np.ndarray,
        free: np.ndarray,
        k_free: int,
        steps: int,
        theta: float,
    ) -> tuple[float, np.ndarray]:
        """Subgradient steps (Polyak's, towards the round's target); the best bound and ``lam``.

        Stops at the round's deadline too (after one step: a bound is always returned).
        """
        best, best_lam, since = math.inf, lam, 0
        for _ in range(steps):
            value, _c, top = self.evaluate(lam, base, live, free, k_free)
            if value < best - 1e-12 * max(1.0, abs(value)):
                best, best_lam, since = value, lam, 0
            else:
                since += 1
                if since >= _STALL:
                    theta, since = theta / 2.0, 0
            if best < self.target - self.margin or theta < 1e-4:
                break
            if time.perf_counter() > self.deadline:
                break
            y = np.zeros(self.m, dtype=bool)
            y[top] = True
            g = np.where(live, self.counts(y) - (lam < self.w), 0.0)
            norm = float(g @ g)
            if norm == 0:
                break
            gap = max(value - self.target, 1e-9 * max(1.0, abs(value)))
            lam = np.clip(lam - theta * gap / norm * g, 0.0, self.w)
        return best, best_lam

    def fix(
        self,
        value: float,
        c: np.ndarray,
        free: np.ndarray,
        k_free: int,
        forced: np.ndarray,
        allowed: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Close / open the free sites whose opening / closing takes the bound below the target."""
        order = free[np.argsort(-c[free], kind="stable")]
        inside, outside = order[:k_free], order[k_free:]
        forced, allowed = forced.copy(), allowed.copy()
        if not (inside.size and outside.size):
            return forced, allowed
        low = self.target - self.margin
        allowed[outside[value - (float(c[inside[-1]]) - c[outside]) < low]] = False
        forced[inside[value - (c[inside] - float(c[outside[0]])) < low]] = True
        return forced, allowed

    def round(self, lam: np.ndarray, target: float, deadline: float) -> tuple[bool, float]:
        """Prove ``target`` (or the cut-off of a better plan found); ``(finished, bound)``."""
        self.deadline, self.target = deadline, target
        root_forced = np.zeros(self.m, dtype=bool)
        root_allowed = self.allowed.copy()
        heap: list[tuple[float, int, _Node]] = []
        count = held = 0

        def push(node: _Node) -> None:
            nonlocal count, held
            count += 1
            held += node.lam.nbytes
            heapq.heappush(heap, (-node.bound, count, node))

        push(_Node(math.inf, root_forced, root_allowed, lam.astype(np.float32)))
        steps, theta = _ROOT_STEPS, 1.0
        while heap:
            if time.perf_counter() > deadline or held > _OPEN_BYTES:
                return False, max(self.target, -heap[0][0])
            neg_bound, _seq, node = heapq.heappop(heap)
            held -= node.lam.nbytes
            if -neg_bound < self.target - self.margin:
                continue
            self.nodes += 1
            forced, allowed = node.forced, node.allowed
            if int(forced.sum()) > self.k:
                continue
            base, live, free, k_free = self.state(forced, allowed)
            if k_free == 0 or free.size <= k_free:  # one plan left: the node's forced and free
                self.offer(forced | allowed)
                continue
            value, lam = self.dual(
                node.lam.astype(np.float64), base, live, free, k_free, steps, theta
            )
            steps, theta = _NODE_STEPS, 0.5
            value, c, top = self.evaluate(lam, base, live, free, k_free)
            plan = forced.copy()
            plan[top] = True
            self.offer(plan)
            if value < self.target - self.margin:
                continue
            f, a = self.fix(value, c, free, k_free, forced, allowed)
            if (f != forced).any() or (a != allowed).any():  # fixed: a node of its own
                push(_Node(value, f, a, lam.astype(np.float32)))
                continue
            order = free[np.argsort(-c[free], kind="stable")]
            inside, outside = order[:k_free], order[k_free:]
            drop = c[inside] - float(c[outside[0]])
            j = int(inside[int(np.argmax(drop))])
            closed, opened = allowed.copy(), forced.copy()
            closed[j] = False
            opened[j] = True
            lam32 = lam.astype(np.float32)
            push(_Node(value - float(drop.max()), forced, closed, lam32))
            push(_Node(value, opened, allowed, lam32))
        return True, self.target


def cover_tree(
    groups: sp.csr_array,
    weights: np.ndarray,
    k: int,
    allowed: np.ndarray,
    lam: np.ndarray,
    *,
    best: np.ndarray,
    cutoff_of: Callable[[float], float],
    upper: float = math.inf,
    time_limit_s: float = 30.0,
    polish: Callable[[np.ndarray], np.ndarray] | None = None,
) -> CoverTreeOutcome:
    """Prove the coverage plan ``best`` optimal, or as close to it as ``time_limit_s`` allows.

    Parameters
    ----------
    groups
        Groups x sites, true where a site covers the group; only the sites that may open have
        any (the forced ones and their groups already taken out).
    weights
        Weight of each group.
    k
        Sites to open, at most.
    allowed
        The sites that may open.
    lam
        Starting multipliers (one per group), e.g. the root dual's.
    best
        Sites of the incumbent plan (at most ``k``).
    cutoff_of
        What a better plan than one of the given value must cover (one pupil more, say).
    upper
        A bound already proven; rounds start from its gap to the incumbent.
    time_limit_s
        Wall-time limit.
    polish
        A local search taking a plan (at most ``k`` of the ``allowed`` sites) to a plan at least
        as good, e.g. :func:`~geoplan.models._max_cover.swap_search`; run on the nodes'
        Lagrangian plans within :data:`_POLISH_SHARE` of the time (a search from the
        relaxation's sites finds better plans than those sites alone). What it returns is
        offered as any plan.

    Returns
    -------
    CoverTreeOutcome
        The best plan, its value and the proven bound.
    """
    t0 = time.perf_counter()
    search = _Search(groups, weights, k, allowed, best, cutoff_of, polish)
    deadline = t0 + time_limit_s
    proven = upper
    first = True
    while True:
        cutoff = cutoff_of(search.value)
        target = cutoff
        gap = proven - search.value
        if not first and math.isfinite(gap) and gap / max(1.0, abs(search.value)) >= 1e-6:
            target = max(cutoff, search.value + gap / 2.0)
        stop = (
            min(deadline, time.perf_counter() + _FIRST_SHARE * time_limit_s) if first else deadline
        )
        finished, bound = search.round(lam, target, stop)
        was_first, first = first, False
        proven = min(proven, bound)
        logger.debug(
            "coverage tree round to %.8g: %s, bound %.8g, %d nodes",
            target,
            "proven" if finished else "stopped",
            proven,
            search.nodes,
        )
        if finished and search.target <= cutoff_of(search.value) + search.margin:
            return CoverTreeOutcome(search.best, search.value, search.value, True, search.nodes)
        if time.perf_counter() > deadline or not (finished or was_first):
            return CoverTreeOutcome(
                search.best, search.value, max(proven, search.value), False, search.nodes
            )
