"""The districting model of one school level: the problem on units, its LP and its MIP.

A level's problem (:class:`Level`) holds pupils per unit and band, pupil-minutes per unit and
school, capacities, rook adjacency and each school's own unit. The capacitated-assignment LP gives
the bound; the MIP adds single-commodity flow contiguity (after Shirabe 2005): every district is
connected and holds its school's unit. The same MIP, with extra classes as variables, finds the
fewest extra classes that make a plan feasible.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from geoplan.data.messages import coded_problem
from geoplan.errors import ArgumentError, InfeasibleError, Problem
from geoplan.models import _location as loc
from geoplan.models._contiguity import components_within
from geoplan.models.solver import Mip, MipBuilder, SolveResult

logger = logging.getLogger(__name__)

_HIGHS_LOG = False


FIXED_CONFLICTS: tuple[str, ...] = (
    "districts_fixed_unit_conflict",
    "districts_fixed_home_conflict",
)
"""Codes of the refusals of fixed assignments that contradict each other; their ``block``,
``school`` and ``other`` are positions (the caller that knows the ids names them)."""


def _only_forced(allowed: np.ndarray, forced: np.ndarray) -> np.ndarray:
    """``allowed`` with each forced unit (``forced >= 0``) allowed its school only.

    Forcing narrows what the limits allow, never widens it: a unit that does not reach its
    school within them (a community holding a school's block and a block beyond the longest
    journey) is left no school, and refused as such.
    """
    rows = np.flatnonzero(forced >= 0)
    only = np.zeros_like(allowed, dtype=bool)
    only[rows, forced[rows]] = True
    out = allowed.copy()
    out[rows] &= only[rows]
    return out


def _forced(fixed_b: np.ndarray, home_b: np.ndarray, unit_of: np.ndarray, n: int) -> np.ndarray:
    """The school each unit is forced to (-1: free): its fixed blocks' school, its school's own.

    Raises
    ------
    InfeasibleError
        When two of these disagree, with one coded problem per conflict (positions as ids).
    """
    forced = np.full(n, -1, dtype=np.int64)
    problems: list[Problem] = []
    for blk in np.flatnonzero(fixed_b >= 0).tolist():
        u, j = int(unit_of[blk]), int(fixed_b[blk])
        if forced[u] not in (-1, j):
            at = ("", "", str(blk), "fixed", str(j))
            problems.append(
                coded_problem(
                    "districts_fixed_unit_conflict", *at, block=blk, school=j, other=forced[u]
                )
            )
        forced[u] = j
    for j, u in enumerate(unit_of[home_b].tolist()):
        if forced[u] not in (-1, j):
            blk, other = int(home_b[j]), int(forced[u])
            at = ("", "", str(blk), "fixed", str(other))
            problems.append(
                coded_problem(
                    "districts_fixed_home_conflict", *at, block=blk, school=j, other=other
                )
            )
        forced[u] = j
    if problems:
        text = " ".join(f"{p.message} {p.fix}" for p in problems)
        raise InfeasibleError(text, problems=problems)
    return forced


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
    stay: np.ndarray  # (n, m) pupils of the unit whose school today is that school
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
        raise ArgumentError(msg)
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
    max_increase_min: float | None = None,
    stay_weight_min: float = 0.0,
) -> tuple[_Level, np.ndarray]:
    """Check the arrays and aggregate blocks into units; returns the level and block -> unit.

    Against today's school (``status_quo``): ``max_increase_min`` forbids a school whose journey
    is more than that many minutes longer than today's (blocks with pupils and a reachable school
    today only); ``stay_weight_min`` adds that many minutes per pupil who changes school.
    """
    dem = _as_2d(demand, "demand")
    dense = getattr(cost, "minutes_array", None)  # a TravelMatrix, dense or sparse
    minutes = np.asarray(dense() if callable(dense) else cost, dtype=np.float64)
    cap = _as_2d(capacity, "capacity")
    n_blocks, k = dem.shape
    if minutes.ndim != 2 or minutes.shape[0] != n_blocks:
        msg = f"`cost` has shape {minutes.shape}; expected ({n_blocks}, schools)."
        raise ArgumentError(msg)
    m = minutes.shape[1]
    if cap.shape != (m, k):
        msg = f"`capacity` has shape {cap.shape}; expected ({m}, {k}) (schools x bands)."
        raise ArgumentError(msg)
    if np.any(dem < 0) or np.any(cap < 0):
        msg = "`demand` and `capacity` must be non-negative."
        raise ArgumentError(msg)
    adj = sp.csr_array(adjacency, dtype=bool)
    if adj.shape != (n_blocks, n_blocks):
        msg = f"`adjacency` has shape {adj.shape}; expected ({n_blocks}, {n_blocks})."
        raise ArgumentError(msg)
    home_b = np.asarray(home, dtype=np.int64).ravel()
    if home_b.shape != (m,) or np.any((home_b < 0) | (home_b >= n_blocks)):
        msg = f"`home` must hold one block position per school ({m}), each in [0, {n_blocks})."
        raise ArgumentError(msg)
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
            raise ArgumentError(msg)

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
    pupils_b = dem.sum(axis=1)
    has_sq = sq_b >= 0
    rows_sq = np.flatnonzero(has_sq)
    if stay_weight_min < 0 or (max_increase_min is not None and max_increase_min < 0):
        msg = "`stay_weight_min` and `max_increase_min` must be 0 or more."
        raise ArgumentError(msg)
    if (stay_weight_min or max_increase_min is not None or max_moved is not None) and not (
        rows_sq.size
    ):
        msg = (
            "Stability limits need today's school per block (`status_quo`, the blocks' "
            "school_primary / school_middle columns); none is given."
        )
        raise ArgumentError(msg)
    penalty = np.zeros_like(safe)
    if stay_weight_min:
        penalty[rows_sq] = stay_weight_min
        penalty[rows_sq, sq_b[rows_sq]] = 0.0
    weight_u = agg @ (pupils_b[:, None] * (safe + penalty))
    reach = finite if max_journey_min is None else finite & (minutes <= max_journey_min)
    if max_increase_min is not None:
        today = np.full(n_blocks, np.inf)
        today[rows_sq] = minutes[rows_sq, sq_b[rows_sq]]
        today = np.where(np.isfinite(today), today, np.inf)  # no reachable school today: no limit
        rise_ok = ~(minutes > today[:, None] + max_increase_min + 1e-9)
        rise_ok[pupils_b <= 0] = True
        reach &= rise_ok
    stay_b = np.zeros_like(safe)
    stay_b[rows_sq, sq_b[rows_sq]] = pupils_b[rows_sq]
    allowed_u = (agg @ (~reach).astype(np.float64)) == 0  # every block of the unit allowed
    adj_u = sp.csr_array((agg @ adj.astype(np.float64) @ agg.T) > 0)
    adj_u.setdiag(False)
    adj_u.eliminate_zeros()

    home_u = unit_of[home_b]
    forced = _forced(fixed_b, home_b, unit_of, n)
    allowed_u = _only_forced(allowed_u, forced)
    weight_u = np.where(allowed_u, weight_u, np.inf)
    no_school = np.flatnonzero(~allowed_u.any(axis=1))
    if no_school.size:
        stranded = np.flatnonzero(np.isin(unit_of, no_school))
        blocks, more = stranded[:10], "..." if stranded.size > 10 else ""
        problem = coded_problem(
            "districts_unreachable_blocks", "", "", "", "", "",
            count=stranded.size, positions=f"{blocks.tolist()}{more}",
        )  # fmt: skip
        raise InfeasibleError(f"{problem.message} {problem.fix}", problems=[problem])

    level = _Level(
        demand=np.asarray(dem_u),
        weight=weight_u,
        allowed=allowed_u,
        capacity=cap,
        adjacency=adj_u,
        neighbours=[adj_u.indices[adj_u.indptr[i] : adj_u.indptr[i + 1]] for i in range(n)],
        home=home_u,
        stay=np.asarray(agg @ stay_b),
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
    """Pupils whose school differs from today's (blocks without a school today not counted)."""
    return float(p.stay.sum() - p.stay[np.arange(p.n), assign].sum())


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
    b: MipBuilder,
    p: _Level,
    ii: np.ndarray,
    jj: np.ndarray,
    x: np.ndarray,
    *,
    extra: np.ndarray | None = None,
    class_size: np.ndarray | None = None,
) -> None:
    """Rows shared by the LP and the MIP: one school per unit, capacity, moved limit.

    The capacity rows (one block of ``p.m`` rows per band, band-major) follow the ``p.n`` rows of
    one school per unit; with ``extra`` (column numbers, schools × bands) and ``class_size`` each
    extra class adds ``class_size`` places.
    """
    k = p.capacity.shape[1]
    loc.add_one_per_group(b, ii, x, p.n, lower=1.0, upper=1.0, name="one_school")
    for band in range(k):
        site_cols = None if extra is None else extra[:, band]
        per_site = None if class_size is None else class_size[:, band].astype(float)
        loc.add_load_rows(
            b,
            jj,
            x,
            p.demand[ii, band],
            p.m,
            site_cols=site_cols,
            per_site=per_site,
            upper=p.capacity[:, band],
            name=f"capacity_{band}",
        )
    if p.max_moved is not None:
        kept = p.stay[ii, jj]
        sel = np.flatnonzero(kept > 0)
        b.add_rows(  # pupils kept at today's school >= pupils with one - most moved
            np.zeros(sel.size, dtype=np.int64),
            x[sel],
            kept[sel],
            n_rows=1,
            lower=float(p.stay.sum()) - p.max_moved,
            name="moved",
        )


def _assignment_lp(p: _Level, *, time_limit_s: float) -> tuple[SolveResult, np.ndarray, np.ndarray]:
    ii, jj = _pairs(p)
    b = MipBuilder("min")
    x = b.add_vars("assign", ii.size, cost=p.weight[ii, jj], integer=False)
    _assignment_rows(b, p, ii, jj, x)
    res = b.build().solve(time_limit_s=time_limit_s)
    return res, ii, jj


def _round_lp(p: _Level, x: np.ndarray, ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
    order = np.lexsort((-x, ii))
    first = np.ones(order.size, dtype=bool)
    first[1:] = ii[order][1:] != ii[order][:-1]
    assign = np.full(p.n, -1, dtype=np.int64)
    assign[ii[order][first]] = jj[order][first]
    return assign


# --------------------------------------------------------------------------------------------
# The exact MIP (flow-based contiguity), also used for the least extra classes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DistrictModel:
    """The MIP of one level and what its columns mean (``assign``, ``flow``, ``extra``)."""

    mip: Mip
    ii: np.ndarray
    jj: np.ndarray
    arcs: np.ndarray  # (n_arcs, 3): from unit, to unit, school
    n_extra: int
    n_slack: int = 0


def _build_mip(
    p: _Level,
    *,
    contiguous: bool = True,
    extra_limits: np.ndarray | None = None,
    class_size: np.ndarray | None = None,
) -> _DistrictModel:
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
    if ne:
        assert extra_limits is not None and class_size is not None
        scale = float(np.nanmax(np.where(np.isfinite(p.weight), p.weight, 0).max(axis=1).sum()))
        pair_cost = p.weight[ii, jj] * (0.5 / max(scale, 1e-9))  # tie-break only: sums to < 1
    else:
        pair_cost = p.weight[ii, jj]
    b = MipBuilder("min")
    x = b.add_vars("assign", nv, cost=pair_cost, lb=np.where(p.fixed[ii] == jj, 1.0, 0.0))
    f = b.add_vars("flow", na, ub=np.inf, integer=False)
    extra = None
    if ne:
        assert extra_limits is not None
        extra = b.add_vars("extra", ne, cost=1.0, ub=extra_limits.ravel()).reshape(p.m, k)
    _assignment_rows(b, p, ii, jj, x, extra=extra, class_size=class_size)
    u, v, j_arc = arcs[:, 0], arcs[:, 1], arcs[:, 2]
    not_home = ii != p.home[jj]
    rows_of_pair = np.full(nv, -1, dtype=np.int64)
    rows_of_pair[not_home] = np.arange(int(not_home.sum()))
    if na:
        n_cons = int(not_home.sum())
        out_rows = rows_of_pair[pair_id[u, j_arc]]
        in_rows = rows_of_pair[pair_id[v, j_arc]]
        has_in = in_rows >= 0
        b.add_rows(  # flow out - flow in = 1 unit of flow per unit away from the school's own
            np.concatenate([out_rows, in_rows[has_in], np.arange(n_cons)]),
            np.concatenate([f, f[has_in], x[np.flatnonzero(not_home)]]),
            np.concatenate([np.ones(na), -np.ones(int(has_in.sum())), -np.ones(n_cons)]),
            n_rows=n_cons,
            lower=0.0,
            upper=0.0,
            name="flow",
        )
        room = p.capacity
        if extra_limits is not None and class_size is not None:
            room = p.capacity + extra_limits * class_size
        big = _max_district_units(p, room) - 1.0
        arange = np.arange(na)
        for name, end in (("link_from", u), ("link_to", v)):
            b.add_rows(  # flow only along arcs inside the district
                np.concatenate([arange, arange]),
                np.concatenate([f, x[pair_id[end, j_arc]]]),
                np.concatenate([np.ones(na), -big[j_arc]]),
                n_rows=na,
                upper=0.0,
                name=name,
            )
    if contiguous:
        # Valid cut: a unit away from its school's block has a neighbour in the same district.
        # With no arc at all (no two units that may share a district are neighbours) it holds
        # every unit away from its school's own at 0: contiguity is kept, not dropped with the
        # flow rows (found by the district fuzz).
        sel = np.flatnonzero(not_home)
        b.add_rows(
            np.concatenate([np.arange(sel.size), rows_of_pair[pair_id[u, j_arc]]]),
            np.concatenate([x[sel], x[pair_id[v, j_arc]]]),
            np.concatenate([np.ones(sel.size), -np.ones(na)]),
            n_rows=sel.size,
            upper=0.0,
            name="neighbour",
        )
    return _DistrictModel(mip=b.build(), ii=ii, jj=jj, arcs=arcs, n_extra=ne)


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


def _start_vector(p: _Level, dm: _DistrictModel, assign: np.ndarray) -> np.ndarray:
    """Warm start: the assignment, with flows along a breadth-first tree of each district."""
    nv = dm.ii.size
    na = dm.arcs.shape[0]
    x = np.zeros(dm.mip.n_cols)
    x[:nv] = (assign[dm.ii] == dm.jj).astype(float)
    if na:
        arc_id = {(int(a), int(b), int(j)): t for t, (a, b, j) in enumerate(dm.arcs)}
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
    if dm.n_extra:
        x[dm.mip.columns["extra"]] = np.nan
    if dm.n_slack:
        over = np.maximum(_loads(p, assign) - p.capacity, 0.0)  # (m, k)
        x[dm.mip.columns["slack"]] = over.T.ravel()
    return x


def _with_slack(dm: _DistrictModel, p: _Level, penalty: float) -> _DistrictModel:
    """The MIP with capacity made elastic: pupils over capacity cost ``penalty`` each.

    Any assignment (over capacity or not) is then a feasible warm start; the slack columns follow
    the others, one per band and school (band-major, as the capacity rows).
    """
    k = p.capacity.shape[1]
    ns = p.m * k
    rows = p.n + np.arange(ns)  # the capacity rows follow the one-school-per-unit rows
    slack = sp.csc_array((-np.ones(ns), (rows, np.arange(ns))), shape=(dm.mip.n_rows, ns))
    mip = dm.mip.with_columns("slack", slack, cost=penalty, ub=np.inf)
    return replace(dm, mip=mip, n_slack=ns)


def _assignment_from(dm: _DistrictModel, p: _Level, x: np.ndarray) -> np.ndarray:
    return _round_lp(p, dm.mip.values(x, "assign"), dm.ii, dm.jj)


def _exact(
    p: _Level,
    start: np.ndarray | None,
    *,
    time_limit_s: float,
    mip_rel_gap: float,
) -> tuple[np.ndarray | None, SolveResult]:
    dm = _build_mip(p)
    x0 = None if start is None else _start_vector(p, dm, start)
    res = dm.mip.solve(
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        mip_abs_gap=1e-6,
        start=x0,
        log=_HIGHS_LOG,
    )
    if res.x is None:
        return None, res
    return _assignment_from(dm, p, res.x), res
