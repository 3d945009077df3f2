"""Solving one level's districts on units, and the joint primary-middle model with feeders.

:func:`_solve_units` is the solve of one level's problem (heuristic, neighbourhood search, then
the exact MIP), shared by ``solve_districts`` and the feeder model.

With **feeders**, every primary district lies wholly inside one middle district: the primary
school *feeds* that middle school. The joint MIP puts both levels' flow models side by side on
the same units and adds, per primary school ``j`` and middle school ``k``, a binary ``y[j, k]``
(``j`` feeds ``k``): each primary school feeds one middle school (a nine-year school its own
middle school), and a unit in ``j``'s district lies in ``k``'s when ``j`` feeds ``k``::

    x_p[i, j] + y[j, k] - x_m[i, k] <= 1.

Its warm starts come from two sequences (each proves nothing; the joint MIP does): primary
districts first, then middle districts built of whole primary districts; or middle districts
first, then primary districts each kept inside the middle district of its school's block.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from geoplan.data.messages import coded_problem
from geoplan.errors import InfeasibleError
from geoplan.models._district_heuristic import _heuristic, _neighbourhood_search, _Search
from geoplan.models._district_model import (
    _assignment_from,
    _assignment_lp,
    _build_mip,
    _contiguous,
    _exact,
    _Level,
    _loads,
    _moved,
    _objective,
    _only_forced,
    _start_vector,
)
from geoplan.models.solver import Mip, time_left

_logger = logging.getLogger(__name__)

_HIGHS_LOG = False


@dataclass(frozen=True)
class _UnitSolve:
    """One level's result on units."""

    assign: np.ndarray
    objective: float
    bound: float
    lp_bound: float
    status: str  # optimal | time_limit | heuristic | not_feasible
    method: str
    feasible: bool


def _feasible(p: _Level, assign: np.ndarray) -> bool:
    over = float(np.maximum(_loads(p, assign) - p.capacity, 0.0).sum())
    too_many = p.max_moved is not None and _moved(p, assign) > p.max_moved + 1e-6
    return over <= 1e-9 and not too_many and _contiguous(p, assign)


def _solve_units(p: _Level, *, exact: bool, time_limit_s: float, mip_rel_gap: float) -> _UnitSolve:
    """Heuristic, neighbourhood search, then (``exact``) the MIP warm-started from them."""
    t0 = time.perf_counter()
    heur_time = time_limit_s * (0.15 if exact else 0.6)
    assign, lp = _heuristic(p, time_limit_s=heur_time)
    heur_ok = _Search(p, assign).total_over() <= 1e-9 and _contiguous(p, assign)
    if not heur_ok or exact:
        # Sub-MIPs over a few neighbouring districts: to capacity first, then (before the
        # exact MIP) towards a local optimum, the MIP's warm start.
        share = (0.75 if exact else 1.0) if not heur_ok else 0.4
        assign = _neighbourhood_search(
            p,
            assign,
            deadline=t0 + time_limit_s * share,
            size=3 if heur_ok else 4,
            sub_time_s=4.0,
        )
        heur_ok = _Search(p, assign).total_over() <= 1e-9 and _contiguous(p, assign)
    objective = _objective(p, assign)
    bound = lp.objective
    status = "heuristic"
    used = "heuristic"
    if exact:
        remaining = time_left(t0, time_limit_s)
        best, res = _exact(
            p, assign if heur_ok else None, time_limit_s=remaining, mip_rel_gap=mip_rel_gap
        )
        used = "exact"
        if res.status == "infeasible":
            refusal = coded_problem("districts_no_contiguous_plan", "", "districts", "", "", "")
            raise InfeasibleError(f"{refusal.message} {refusal.fix}", problems=[refusal])
        if math.isfinite(res.bound):
            bound = max(bound, res.bound)
        if best is not None and (not heur_ok or _objective(p, best) <= objective + 1e-6):
            assign = best
            objective = _objective(p, best)
        status = "optimal" if res.status == "optimal" else "time_limit"
    ok = _feasible(p, assign)
    return _UnitSolve(
        assign, objective, bound, lp.objective, status if ok else "not_feasible", used, ok
    )


# --------------------------------------------------------------------------------------------
# Feeders: sequences for warm starts
# --------------------------------------------------------------------------------------------


def _coarsen(p: _Level, labels: np.ndarray, forced: np.ndarray) -> _Level | None:
    """The level on groups of units (``labels``, 0..g-1), group ``forced`` to a school or -1.

    ``None`` when two schools' own units fall in one group, or a forced school conflicts.
    """
    g = int(labels.max()) + 1
    agg = sp.csr_array((np.ones(p.n), (labels, np.arange(p.n))), shape=(g, p.n))
    allowed = (agg @ (~p.allowed).astype(np.float64)) == 0
    weight = agg @ np.where(p.allowed, p.weight, 0.0)
    fixed = forced.copy()
    for j, h in enumerate(labels[p.home]):
        if fixed[h] not in (-1, j):
            return None
        fixed[h] = j
    for u in np.flatnonzero(p.fixed >= 0):
        if fixed[labels[u]] not in (-1, p.fixed[u]):
            return None
        fixed[labels[u]] = p.fixed[u]
    allowed = _only_forced(allowed, fixed)
    if not allowed.any(axis=1).all():
        return None
    adj = sp.csr_array((agg @ p.adjacency.astype(np.float64) @ agg.T) > 0)
    adj.setdiag(False)
    adj.eliminate_zeros()
    return _Level(
        demand=np.asarray(agg @ p.demand),
        weight=np.where(allowed, weight, np.inf),
        allowed=allowed,
        capacity=p.capacity,
        adjacency=adj,
        neighbours=[adj.indices[adj.indptr[i] : adj.indptr[i + 1]] for i in range(g)],
        home=labels[p.home],
        stay=np.asarray(agg @ p.stay),
        max_moved=p.max_moved,
        fixed=fixed,
    )


def _restricted(p: _Level, mask: np.ndarray) -> _Level | None:
    """The level with only the pairs in ``mask`` allowed (``None`` if a unit loses them all)."""
    allowed = p.allowed & mask
    allowed[p.home, np.arange(p.m)] = p.allowed[p.home, np.arange(p.m)]
    if not allowed.any(axis=1).all() or not allowed[p.home, np.arange(p.m)].all():
        return None
    return replace(p, allowed=allowed, weight=np.where(allowed, p.weight, np.inf))


def _target(pri: _Level, assign_m: np.ndarray, feeds: np.ndarray) -> np.ndarray:
    """The middle school each primary school feeds under a middle plan."""
    out: np.ndarray = np.where(feeds >= 0, feeds, assign_m[pri.home])
    return out


def _primary_first(
    pri: _Level, mid: _Level, feeds: np.ndarray, *, exact: bool, time_limit_s: float
) -> tuple[np.ndarray, np.ndarray] | None:
    t0 = time.perf_counter()
    try:
        sp_ = _solve_units(pri, exact=exact, time_limit_s=time_limit_s * 0.7, mip_rel_gap=0.0)
    except InfeasibleError:
        return None
    if not sp_.feasible:
        return None
    forced = np.full(pri.m, -1, dtype=np.int64)
    forced[feeds >= 0] = feeds[feeds >= 0]
    coarse = _coarsen(mid, sp_.assign, forced)
    if coarse is None:
        return None
    left = time_left(t0, time_limit_s)
    try:
        sm = _solve_units(coarse, exact=True, time_limit_s=left, mip_rel_gap=0.0)
    except InfeasibleError:
        return None
    if not sm.feasible:
        return None
    return sp_.assign, sm.assign[sp_.assign]


def _middle_first(
    pri: _Level, mid: _Level, feeds: np.ndarray, *, exact: bool, time_limit_s: float
) -> tuple[np.ndarray, np.ndarray] | None:
    t0 = time.perf_counter()
    try:
        sm = _solve_units(mid, exact=exact, time_limit_s=time_limit_s * 0.4, mip_rel_gap=0.0)
    except InfeasibleError:
        return None
    if not sm.feasible:
        return None
    target = _target(pri, sm.assign, feeds)
    sub = _restricted(pri, sm.assign[:, None] == target[None, :])
    if sub is None:
        return None
    left = time_left(t0, time_limit_s)
    try:
        sp_ = _solve_units(sub, exact=exact, time_limit_s=left, mip_rel_gap=0.0)
    except InfeasibleError:
        return None
    if not sp_.feasible:
        return None
    return sp_.assign, sm.assign


def _pattern_level(pri: _Level, mid: _Level, y: np.ndarray, share: np.ndarray) -> _Level | None:
    """The primary level under a feed pattern ``y`` (``None`` if ``y`` cannot work).

    A unit's middle school is ``y`` of its primary school, so both levels' journeys and places
    go on the primary schools (each middle school's places split among its feeders by ``share``).
    """
    allowed = pri.allowed & mid.allowed[:, y]
    for k in range(mid.m):
        feeders = y == k
        if not feeders.any():
            return None  # a middle school's own block lies in some primary district
        allowed[mid.home[k]] &= feeders
    for u in np.flatnonzero(mid.fixed >= 0):
        allowed[u] &= y == mid.fixed[u]
    cols = np.arange(pri.m)
    if not allowed[pri.home, cols].all() or not allowed.any(axis=1).all():
        return None
    limits = [(q.stay if q is pri else q.stay[:, y], q.max_moved) for q in (pri, mid)]
    stay = sum((st for st, lim in limits if lim is not None), np.zeros_like(pri.stay))
    moved = [lim for _, lim in limits if lim is not None]
    weight = np.where(allowed, pri.weight + mid.weight[:, y], np.inf)
    return _Level(
        demand=np.hstack([pri.demand, mid.demand]),
        weight=weight,
        allowed=allowed,
        capacity=np.hstack([pri.capacity, mid.capacity[y] * share[:, None]]),
        adjacency=pri.adjacency,
        neighbours=pri.neighbours,
        home=pri.home,
        stay=stay,
        max_moved=float(sum(moved)) if moved else None,
        fixed=pri.fixed,
    )


def _pattern_search(
    pri: _Level,
    mid: _Level,
    feeds: np.ndarray,
    *,
    exact: bool,
    deadline: float,
    last: float,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Feed patterns from the levels planned alone, then single changes while they pay.

    Improving stops at ``deadline``; while no pattern has worked, the search goes on to ``last``.
    """
    left = deadline - time.perf_counter()
    try:
        alone_p = _solve_units(pri, exact=False, time_limit_s=max(0.1 * left, 0.5), mip_rel_gap=0)
        alone_m = _solve_units(mid, exact=False, time_limit_s=max(0.1 * left, 0.5), mip_rel_gap=0)
    except InfeasibleError:
        return None
    mid_pupils = mid.demand.sum(axis=1)
    overlap = np.zeros((pri.m, mid.m))
    np.add.at(overlap, (alone_p.assign, alone_m.assign), mid_pupils)
    may = mid.allowed[pri.home]  # (m_p, m_m)
    free = feeds < 0
    may[~free] = False
    may[np.flatnonzero(~free), feeds[~free]] = True
    y0 = np.where(free, np.where(may, overlap, -1.0).argmax(axis=1), feeds)
    for k in range(mid.m):  # a middle school with no feeder takes its best free one
        if not (y0 == k).any():
            counts = np.bincount(y0, minlength=mid.m)
            cand = np.flatnonzero(free & may[:, k] & (counts[y0] > 1))
            if cand.size:
                y0[cand[np.argmax(overlap[cand, k])]] = k
    own = np.bincount(alone_p.assign, weights=mid_pupils, minlength=pri.m) + 1e-9

    def evaluate(y: np.ndarray, until: float) -> tuple[float, np.ndarray, np.ndarray] | None:
        group = np.bincount(y, weights=own, minlength=mid.m)
        level = _pattern_level(pri, mid, y, own / group[y])
        limit = until - time.perf_counter()
        if level is None or limit < 0.3:
            return None
        try:
            got = _solve_units(level, exact=exact, time_limit_s=limit, mip_rel_gap=0.005)
        except InfeasibleError:
            return None
        a_p, a_m = got.assign, y[got.assign]
        if not (_feasible(pri, a_p) and _feasible(mid, a_m) and _nested(pri, a_p, a_m, feeds)):
            return None
        return _objective(pri, a_p) + _objective(mid, a_m), a_p, a_m

    per_try = max((deadline - time.perf_counter()) / 4.0, 1.0)
    best = evaluate(y0, min(last, time.perf_counter() + 2 * per_try))
    moves = [
        (j, k)
        for j in np.flatnonzero(free)
        for k in np.argsort(-overlap[j])
        if may[j, k] and k != y0[j]
    ]
    moves.sort(key=lambda jk: -overlap[jk[0], jk[1]])
    y_best = y0
    for j, k in moves:
        stop = deadline if best is not None else last
        if time.perf_counter() > stop - 0.5:
            break
        y = y_best.copy()
        y[j] = k
        got = evaluate(y, min(stop, time.perf_counter() + per_try))
        if got is not None and (best is None or got[0] < best[0] - 1e-6):
            best, y_best = got, y
    if best is None:
        return None
    _logger.info("feeders: feed pattern %s, %.0f pupil-min", y_best.tolist(), best[0])
    return best[1], best[2]


def _nested(pri: _Level, assign_p: np.ndarray, assign_m: np.ndarray, feeds: np.ndarray) -> bool:
    """Whether every primary district lies inside one middle district (the fed one, if fixed)."""
    for j in range(pri.m):
        inside = np.unique(assign_m[assign_p == j])
        if inside.size != 1 or (feeds[j] >= 0 and inside[0] != feeds[j]):
            return False
    return True


# --------------------------------------------------------------------------------------------
# The joint MIP
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _JointModel:
    mip: Mip
    primary: object  # _DistrictModel
    middle: object
    n_p: int  # columns of the primary model
    n_m: int
    feed_pairs: np.ndarray  # (n_y, 2): primary school, middle school


def _feed_pairs(pri: _Level, mid: _Level, feeds: np.ndarray) -> np.ndarray:
    ok = mid.allowed[pri.home]  # (m_p, m_m): the middle school may hold j's own unit
    fixed = feeds >= 0
    ok[fixed] = False
    ok[np.flatnonzero(fixed), feeds[fixed]] = True
    jj, kk = np.nonzero(ok)
    return np.column_stack([jj, kk])


def _build_joint(pri: _Level, mid: _Level, feeds: np.ndarray) -> _JointModel:
    dp, dm = _build_mip(pri), _build_mip(mid)
    a_p, a_m = dp.mip, dm.mip
    n_p, n_m = a_p.n_cols, a_m.n_cols
    pairs = _feed_pairs(pri, mid, feeds)
    ny = pairs.shape[0]
    y0 = n_p + n_m
    # One middle school fed per primary school.
    r_feed = pairs[:, 0]
    c_feed = y0 + np.arange(ny)
    # Nesting: x_p[i, j] + y[j, k] - x_m[i, k] <= 1 for each primary pair (i, j) and fed k.
    mid_id = np.full((mid.n, mid.m), -1, dtype=np.int64)
    mid_id[dm.ii, dm.jj] = np.arange(dm.ii.size)
    y_of_j = [np.flatnonzero(pairs[:, 0] == j) for j in range(pri.m)]
    counts = np.array([y_of_j[j].size for j in dp.jj])
    t = np.repeat(np.arange(dp.ii.size), counts)
    ys = np.concatenate([y_of_j[j] for j in dp.jj]) if t.size else np.zeros(0, dtype=np.int64)
    units = dp.ii[t]
    ks = pairs[ys, 1]
    xm = mid_id[units, ks]
    n_nest = t.size
    rows = np.arange(n_nest)
    has_m = xm >= 0
    nest = sp.csr_array(
        (
            np.concatenate([np.ones(n_nest), np.ones(n_nest), -np.ones(int(has_m.sum()))]),
            (
                np.concatenate([rows, rows, rows[has_m]]),
                np.concatenate([t, y0 + ys, n_p + xm[has_m]]),
            ),
        ),
        shape=(n_nest, y0 + ny),
    )
    feed = sp.csr_array((np.ones(ny), (r_feed, c_feed)), shape=(pri.m, y0 + ny))
    top = sp.block_diag([a_p.a, a_m.a, sp.csc_array((0, ny))], format="csc")
    a = sp.vstack([top, feed, nest], format="csc")
    lb_y = np.zeros(ny)
    lb_y[feeds[pairs[:, 0]] == pairs[:, 1]] = 1.0
    mip = Mip(
        c=np.concatenate([a_p.c, a_m.c, np.zeros(ny)]),
        a=sp.csc_array(a),
        row_lower=np.concatenate(
            [a_p.row_lower, a_m.row_lower, np.ones(pri.m), np.full(n_nest, -np.inf)]
        ),
        row_upper=np.concatenate([a_p.row_upper, a_m.row_upper, np.ones(pri.m), np.ones(n_nest)]),
        lb=np.concatenate([a_p.lb, a_m.lb, lb_y]),
        ub=np.concatenate([a_p.ub, a_m.ub, np.ones(ny)]),
        integrality=np.concatenate([a_p.integrality, a_m.integrality, np.ones(ny, dtype=np.int64)]),
        sense="min",
        offset=a_p.offset + a_m.offset,
        columns={"primary": slice(0, n_p), "middle": slice(n_p, y0), "feeds": slice(y0, y0 + ny)},
    )
    return _JointModel(mip, dp, dm, n_p, n_m, pairs)


@dataclass(frozen=True)
class _JointSolve:
    assign_p: np.ndarray
    assign_m: np.ndarray
    objective_p: float
    objective_m: float
    bound: float
    lp_bound: float
    status: str
    method: str


def _solve_joint(
    pri: _Level,
    mid: _Level,
    feeds: np.ndarray,
    *,
    exact: bool,
    time_limit_s: float,
    mip_rel_gap: float,
) -> _JointSolve:
    """Both levels with every primary district inside one middle district (see the module)."""
    t0 = time.perf_counter()
    starts: list[tuple[np.ndarray, np.ndarray]] = []
    share = 0.35 if exact else 0.7
    got = _pattern_search(
        pri,
        mid,
        feeds,
        exact=exact,
        deadline=t0 + time_limit_s * share,
        last=t0 + time_limit_s * 0.8,
    )
    if got is not None:
        starts.append(got)
    if not starts:
        got = _primary_first(pri, mid, feeds, exact=exact, time_limit_s=time_limit_s * 0.15)
        if got is not None:
            starts.append(got)
    if not starts:
        left = time_limit_s * (0.6 if exact else 1.0) - (time.perf_counter() - t0)
        got = _middle_first(pri, mid, feeds, exact=exact, time_limit_s=max(left, 1.0))
        if got is not None:
            starts.append(got)
    starts = [
        s
        for s in starts
        if _nested(pri, s[0], s[1], feeds) and _feasible(pri, s[0]) and _feasible(mid, s[1])
    ]

    def total(s: tuple[np.ndarray, np.ndarray]) -> float:
        return _objective(pri, s[0]) + _objective(mid, s[1])

    best = min(starts, key=total) if starts else None
    lp_bound = _lp_value(pri) + _lp_value(mid)
    bound = lp_bound
    status = "heuristic" if best is not None else "not_feasible"
    method = "heuristic"
    if exact:
        jm = _build_joint(pri, mid, feeds)

        def start_of(plan: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
            y = (plan[1][pri.home[jm.feed_pairs[:, 0]]] == jm.feed_pairs[:, 1]).astype(float)
            return np.concatenate(
                [
                    _start_vector(pri, jm.primary, plan[0]),  # type: ignore[arg-type]
                    _start_vector(mid, jm.middle, plan[1]),  # type: ignore[arg-type]
                    y,
                ]
            )

        x0 = None
        if best is not None:
            x0 = start_of(best)
            # Polish: the joint MIP with the feed pattern fixed (true middle places, not split).
            y_cols = jm.mip.columns["feeds"]
            lb, ub = jm.mip.lb.copy(), jm.mip.ub.copy()
            lb[y_cols] = ub[y_cols] = x0[y_cols]
            left = time_limit_s - (time.perf_counter() - t0)
            fixed_y = replace(jm.mip, lb=lb, ub=ub).solve(
                time_limit_s=max(0.15 * left, 1.0), mip_rel_gap=mip_rel_gap, start=x0
            )
            if fixed_y.x is not None:
                x = np.asarray(fixed_y.x)
                ap = _assignment_from(jm.primary, pri, x[: jm.n_p])  # type: ignore[arg-type]
                am = _assignment_from(jm.middle, mid, x[jm.n_p : jm.n_p + jm.n_m])  # type: ignore[arg-type]
                if total((ap, am)) < total(best) - 1e-6:
                    best = (ap, am)
                    x0 = start_of(best)
        remaining = time_left(t0, time_limit_s)
        res = jm.mip.solve(
            time_limit_s=remaining,
            mip_rel_gap=mip_rel_gap,
            mip_abs_gap=1e-6,
            start=x0,
            log=_HIGHS_LOG,
        )
        method = "exact"
        if res.status == "infeasible":
            refusal = coded_problem(
                "districts_feeders_infeasible", "", "districts", "", "districts.feeders", "true"
            )
            raise InfeasibleError(f"{refusal.message} {refusal.fix}", problems=[refusal])
        if math.isfinite(res.bound):
            bound = max(bound, res.bound)
        if res.x is not None:
            x = np.asarray(res.x)
            ap = _assignment_from(jm.primary, pri, x[: jm.n_p])  # type: ignore[arg-type]
            am = _assignment_from(jm.middle, mid, x[jm.n_p : jm.n_p + jm.n_m])  # type: ignore[arg-type]
            if best is None or total((ap, am)) <= total(best) + 1e-6:
                best = (ap, am)
        status = "optimal" if res.status == "optimal" else "time_limit"
        if best is None:
            status = "not_feasible"
    if best is None:
        refusal = coded_problem(
            "districts_feeders_not_found_in_time", "", "districts", "", "districts.feeders",
            "true", seconds=f"{time_limit_s:g}",
        )  # fmt: skip
        raise InfeasibleError(f"{refusal.message} {refusal.fix}", problems=[refusal])
    ok = _nested(pri, *best, feeds) and _feasible(pri, best[0]) and _feasible(mid, best[1])
    return _JointSolve(
        best[0],
        best[1],
        _objective(pri, best[0]),
        _objective(mid, best[1]),
        bound,
        lp_bound,
        status if ok else "not_feasible",
        method,
    )


def _lp_value(p: _Level) -> float:
    res, _, _ = _assignment_lp(p, time_limit_s=60.0)
    return float(res.objective) if res.x is not None else math.nan
