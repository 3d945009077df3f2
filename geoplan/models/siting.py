"""Which sites to open: p-median, maximal coverage, set cover and budgeted coverage.

Every model has a core over a cost matrix (demand points x candidate sites, minutes or metres:
a ``TravelMatrix``, a DataFrame whose index and columns are the ids, or a 2-D array with
``demand_ids``/``site_ids``; see :data:`CostInput`) and a thin convenience,
:func:`cost_from_layers`, that cuts that matrix out of a travel matrix for the village and site
layers. Ids and arrays meet in one place, :func:`geoplan.models.solver.id_matrix`. All models
take:

- ``fixed``: sites that are open and stay open (existing schools; no minimum enrolment, no cost);
- ``must`` / ``never``: candidate sites that must open / may not open (the ``decision`` column);
- ``capacity``: pupils a site can take (classes x class-size limit), each point to one site;
- ``min_enrolment``: a candidate site is not opened for fewer pupils than this;
- ``weights``: pupils at each demand point (an array in row order, or a Series aligned by id);
- ``fill_fixed=True``: fixed sites filled to their capacity (spopt's predefined facilities).

``p`` counts every open site, the fixed ones included. Exact solutions come from HiGHS (through
:mod:`geoplan.models.solver`) with a heuristic warm start; ``method="heuristic"`` runs only the
heuristic (p-median: greedy + vertex substitution, Lagrangian bound). Results are
:class:`SitingResult` tables; a model with no solution raises :class:`InfeasibleError` in numbers.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.data.messages import coded_problem
from geoplan.errors import ArgumentError, InfeasibleError, ValidationError
from geoplan.models import _capacitated
from geoplan.models import _heuristics as heur
from geoplan.models import _location as loc
from geoplan.models import _max_cover as mc
from geoplan.models._cover_tree import cover_tree
from geoplan.models._lagrangian_tree import lagrangian_tree
from geoplan.models.solver import (
    IdMatrix,
    MipBuilder,
    SolveResult,
    id_matrix,
    id_vector,
    relative_gap,
    time_left,
)

__all__ = [
    "METHODS",
    "ROBUST",
    "TREE_SHARE",
    "CostInput",
    "CostMatrixLike",
    "SeasonCost",
    "SitingResult",
    "budgeted_coverage",
    "cost_from_layers",
    "max_coverage",
    "p_median",
    "set_cover",
]

_logger = logging.getLogger(__name__)

METHODS: tuple[str, ...] = ("exact", "heuristic")


class CostMatrixLike(Protocol):
    """Anything shaped like ``geoplan.travel.TravelMatrix``."""

    @property
    def minutes(self) -> np.ndarray: ...  # noqa: D102

    @property
    def origin_ids(self) -> Any: ...  # noqa: D102

    @property
    def destination_ids(self) -> Any: ...  # noqa: D102


CostInput = CostMatrixLike | IdMatrix | pd.DataFrame | np.ndarray
"""What the models take as costs: a ``TravelMatrix`` (its minutes and ids), an
:class:`~geoplan.models.solver.IdMatrix`, a DataFrame (index: demand ids, columns: site ids) or a
2-D array (with ``demand_ids`` / ``site_ids``, or default ids ``demand0``..., ``site0``...)."""

SeasonCost = CostInput | Mapping[str, CostInput]
"""A cost matrix, or a mapping *season -> cost matrix* (the same demand points and sites in every
season) for the robust models (``robust=``)."""

ROBUST: tuple[str, ...] = ("worst", "regret", "expected")
"""How a robust model combines the seasons (see :mod:`geoplan.models.siting`)."""


def _not_robust(robust: str | None, months: Any) -> None:
    if robust is not None or months is not None:
        msg = (
            "`robust` and `months` need `cost` as a mapping season -> cost matrix "
            "(e.g. {'summer': m1, 'winter': m2})"
        )
        raise ArgumentError(msg)


@dataclass(frozen=True)
class SitingResult:
    """A siting plan as tables.

    Parameters
    ----------
    model
        ``"p_median"``, ``"max_coverage"``, ``"set_cover"`` or ``"budgeted_coverage"``.
    sites
        One row per candidate site (index ``id``): ``open`` (bool), ``fixed`` (bool), ``decision``
        (``fixed``/``must``/``never``/``free``), ``assigned_pupils``, ``assigned_points``.
    assignment
        One row per demand point (index ``id``): ``site`` (id of its site, ``""`` if none),
        ``cost`` (``nan`` if none), ``pupils``, ``covered`` (within the limit; p-median: assigned).
    objective
        Objective value (p-median: pupil-weighted total cost; coverage: pupils covered; set cover:
        sites opened besides the fixed ones, or their cost).
    bound
        Proven bound on the objective (lower when minimising, upper when maximising).
    gap
        Relative gap between objective and bound (0 when proven optimal).
    status
        ``"optimal"``, ``"time_limit"`` or ``"heuristic"``.
    seconds
        Wall time, model building included.
    method
        ``"exact"`` or ``"heuristic"``.
    robust
        ``""`` for one cost matrix; ``"worst"``, ``"regret"`` or ``"expected"`` when ``cost``
        was a mapping season -> matrix (then ``sites`` and ``assignment`` are those of the first
        season, and ``objective``/``bound`` are in the robust setting's terms).
    seasons
        Robust models only: one row per season (index ``season``): ``months``, ``value`` (the
        plan's value in that season: p-median total cost with unreachable pairs at
        ``unreachable_min``, coverage and set cover the pupils covered), ``covered_pupils``;
        p-median also ``unreachable_min`` and ``unreachable_pupils``; set cover
        ``coverable_pupils``; ``robust="regret"`` also ``optimum`` (the season's own optimum, or
        its bound), ``optimum_proven`` and ``regret``.
    season_assignment
        Robust models only: the ``assignment`` table of every season, by season.
    """

    model: str
    sites: pd.DataFrame
    assignment: pd.DataFrame
    objective: float
    bound: float
    gap: float
    status: str
    seconds: float
    method: str
    robust: str = ""
    seasons: pd.DataFrame | None = None
    season_assignment: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def open_ids(self) -> list[str]:
        """Ids of the open sites, in input order."""
        return [str(i) for i in self.sites.index[self.sites["open"].to_numpy()]]


@dataclass(frozen=True)
class _Problem:
    cost: np.ndarray
    weights: np.ndarray
    demand_ids: list[str]
    site_ids: list[str]
    fixed: np.ndarray
    must: np.ndarray
    never: np.ndarray
    capacity: np.ndarray | None
    min_enrolment: np.ndarray | None
    obj_weights: np.ndarray

    @property
    def forced(self) -> np.ndarray:
        return np.asarray(self.fixed | self.must, dtype=bool)

    @property
    def allowed(self) -> np.ndarray:
        return ~self.never

    @property
    def integral(self) -> bool:
        c = self.cost[np.isfinite(self.cost)]
        w = self.obj_weights
        return bool(np.all(c == np.round(c)) and np.all(w == np.round(w)))


def _per_site(
    values: Any, site_ids: list[str], name: str, default: float | None
) -> np.ndarray | None:
    arr = id_vector(values, site_ids, name=name, what="candidate site", default=default)
    if arr is not None and (np.any(np.isnan(arr)) or np.any(arr < 0)):
        msg = f"`{name}` must hold one non-negative number per candidate site ({len(site_ids)})"
        raise ArgumentError(msg)
    return arr


def _mask(ids: Iterable[str], site_ids: list[str], name: str) -> np.ndarray:
    pos = {s: k for k, s in enumerate(site_ids)}
    mask = np.zeros(len(site_ids), dtype=bool)
    unknown = []
    for s in ids:
        if str(s) in pos:
            mask[pos[str(s)]] = True
        else:
            unknown.append(str(s))
    if unknown:
        raise ValidationError(
            [
                coded_problem(
                    "siting_not_a_candidate", "", "sites", s, name, s, argument=name, site=s
                )
                for s in unknown
            ]
        )
    return mask


@dataclass(frozen=True)
class _SiteChoice:
    """What every siting model is asked to choose among (the arguments of the module docstring).

    Built once by each public model from its arguments and passed down unchanged (to
    :func:`_prepare`, and to the robust models of :mod:`geoplan.models._robust`); ``fixed``,
    ``must`` and ``never`` are held as tuples, so an iterator given by the caller is read once.
    """

    weights: Any = None
    fixed: Iterable[str] = ()
    must: Iterable[str] = ()
    never: Iterable[str] = ()
    capacity: Any = None
    min_enrolment: Any = None
    fill_fixed: bool = False
    demand_ids: Any = None
    site_ids: Any = None

    def __post_init__(self) -> None:
        for name in ("fixed", "must", "never"):
            object.__setattr__(self, name, tuple(getattr(self, name)))


def _prepare(cost: CostInput, choice: _SiteChoice) -> _Problem:
    table = id_matrix(cost, row_ids=choice.demand_ids, col_ids=choice.site_ids)
    matrix = table.values
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        msg = f"the cost matrix must be demand x sites and not empty; got {matrix.shape}"
        raise ArgumentError(msg)
    if np.any(matrix < 0):
        msg = "the cost matrix holds negative costs; travel costs must be >= 0"
        raise ArgumentError(msg)
    n, _m = matrix.shape
    d_ids, s_ids = table.row_ids, table.col_ids
    w = id_vector(choice.weights, d_ids, name="weights", what="demand point", default=1.0)
    assert w is not None
    if np.any(np.isnan(w)) or np.any(w < 0):
        msg = f"`weights` must hold one non-negative number per demand point ({n})"
        raise ArgumentError(msg)
    f_mask = _mask(choice.fixed, s_ids, "fixed")
    m_mask = _mask(choice.must, s_ids, "must")
    n_mask = _mask(choice.never, s_ids, "never")
    clash = np.flatnonzero((f_mask | m_mask) & n_mask)
    if clash.size:
        names = ", ".join(s_ids[k] for k in clash[:10])
        msg = f"sites {names} are both open (fixed/must) and `never`; choose one decision"
        raise InfeasibleError(msg)
    cap = _per_site(choice.capacity, s_ids, "capacity", None)
    low = _per_site(choice.min_enrolment, s_ids, "min_enrolment", None)
    if low is not None:
        low = np.where(f_mask, 0.0, low)
    if choice.fill_fixed:
        if cap is None:
            msg = "`fill_fixed=True` fills the fixed sites to their capacity; give `capacity`"
            raise ArgumentError(msg)
        if not f_mask.any():
            msg = "`fill_fixed=True` needs `fixed` sites to fill"
            raise ArgumentError(msg)
        low = np.where(f_mask, cap, 0.0 if low is None else low)
    if low is not None and not np.any(low > 0):
        low = None
    return _Problem(matrix, w, d_ids, s_ids, f_mask, m_mask, n_mask, cap, low, w)


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _check_count(prob: _Problem, p: int) -> None:
    n_forced = int(prob.forced.sum())
    n_allowed = int(prob.allowed.sum())
    if n_forced > p:
        msg = (
            f"fixed and must-open sites {n_forced} > p = {p}; raise p or release some `must` sites"
        )
        raise InfeasibleError(msg)
    if p > n_allowed:
        msg = f"p = {p} > {n_allowed} sites that may open; lower p or allow more sites"
        raise InfeasibleError(msg)
    if p < 1:
        msg = f"p = {p}; at least one site must open"
        raise InfeasibleError(msg)


def _check_capacity(prob: _Problem, demand: np.ndarray, p: int | None) -> None:
    if prob.capacity is None:
        return
    total = float(prob.weights[demand].sum())
    cap = np.where(prob.allowed, prob.capacity, 0.0)
    if p is not None:
        free = np.sort(cap[~prob.forced])[::-1][: max(p - int(prob.forced.sum()), 0)]
        best = float(cap[prob.forced].sum() + free.sum())
        what = f"capacity of the best {p} sites"
    else:
        best = float(cap.sum())
        what = "capacity of every site that may open"
    if best + 1e-9 < total:
        msg = f"{what} {_fmt(best)} < demand {_fmt(total)} pupils; add capacity or sites"
        raise InfeasibleError(msg)


def _reachable(prob: _Problem, limit: float) -> np.ndarray:
    return np.asarray((prob.cost <= limit) & prob.allowed[None, :], dtype=bool)


def _tables(
    prob: _Problem,
    model: str,
    site_of: np.ndarray,
    is_open: np.ndarray,
    limit: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = prob.cost.shape[0]
    has = site_of >= 0
    cost = np.full(n, np.nan)
    cost[has] = prob.cost[np.flatnonzero(has), site_of[has]]
    assignment = pd.DataFrame(
        {
            "site": [prob.site_ids[k] if k >= 0 else "" for k in site_of],
            "cost": cost,
            "pupils": prob.weights,
            "covered": has & (np.nan_to_num(cost, nan=np.inf) <= limit),
        },
        index=pd.Index(prob.demand_ids, name="id"),
    )
    load = np.bincount(site_of[has], weights=prob.weights[has], minlength=len(prob.site_ids))
    count = np.bincount(site_of[has], minlength=len(prob.site_ids))
    decision = np.where(
        prob.fixed, "fixed", np.where(prob.must, "must", np.where(prob.never, "never", "free"))
    )
    sites = pd.DataFrame(
        {
            "open": is_open,
            "fixed": prob.fixed,
            "decision": decision,
            "assigned_pupils": load,
            "assigned_points": count,
        },
        index=pd.Index(prob.site_ids, name="id"),
    )
    return sites, assignment


def _result(
    prob: _Problem,
    model: str,
    *,
    is_open: np.ndarray,
    site_of: np.ndarray,
    objective: float,
    bound: float,
    status: str,
    method: str,
    t0: float,
    limit: float = math.inf,
) -> SitingResult:
    sites, assignment = _tables(prob, model, site_of, is_open, limit)
    return SitingResult(
        model,
        sites,
        assignment,
        float(objective),
        float(bound),
        relative_gap(objective, bound),
        status,
        time.perf_counter() - t0,
        method,
    )


def _raise_if_no_solution(res: SolveResult, what: str) -> None:
    if res.status == "infeasible":
        raise InfeasibleError(f"no plan satisfies {what}")
    if res.x is None:
        msg = f"no plan found within the time limit ({res.status}, {res.seconds:.0f} s) for {what}"
        raise InfeasibleError(msg)


# ---------------------------------------------------------------------------------------------
# Generic single-source assignment model (capacities, minimum enrolment)


def _assignment_milp(
    prob: _Problem,
    *,
    pairs: np.ndarray,
    demand_rows: np.ndarray,
    assign_eq: bool,
    objective: str,
    p: int | None,
    p_eq: bool,
    site_cost: np.ndarray | None,
    budget: float | None,
    start_open: np.ndarray | None,
    start_site: np.ndarray | None,
    time_limit_s: float,
    integral: bool,
    cutoff: float | None = None,
) -> tuple[SolveResult, np.ndarray, np.ndarray]:
    """Variables ``y`` (one per site) then ``x`` (one per allowed pair); returns open, site_of.

    ``cutoff`` prunes every node whose bound exceeds it (HiGHS's ``objective_bound``).
    """
    n, m = prob.cost.shape
    ii, jj = np.nonzero(pairs)
    w = prob.weights
    sense = "max" if objective == "cover" else "min"
    b = MipBuilder(sense)
    site_cost = np.where(prob.fixed, 0.0, 1.0 if site_cost is None else site_cost)
    y = b.add_vars(
        "open",
        m,
        cost=site_cost if objective == "sites" else 0.0,
        lb=np.where(prob.forced, 1.0, 0.0),
        ub=np.where(prob.never, 0.0, 1.0),
    )
    if objective == "cost":
        pair_cost = prob.obj_weights[ii] * prob.cost[ii, jj]
    else:
        pair_cost = w[ii] if objective == "cover" else np.zeros(ii.size)
    x = b.add_vars("assign", ii.size, cost=pair_cost)
    # each demand point of `demand_rows`: sum_j x_ij = 1 (or <= 1)
    rows_of = np.full(n, -1)
    rows_of[demand_rows] = np.arange(demand_rows.size)
    keep = rows_of[ii] >= 0
    loc.add_one_per_group(
        b, rows_of[ii[keep]], x[keep], demand_rows.size, lower=1.0 if assign_eq else 0.0
    )
    loc.add_link_rows(b, x, y[jj])
    if prob.capacity is not None:
        loc.add_load_rows(b, jj, x, w[ii], m, site_cols=y, per_site=prob.capacity, upper=0.0)
    if prob.min_enrolment is not None:
        loc.add_load_rows(
            b, jj, x, w[ii], m, site_cols=y, per_site=prob.min_enrolment, lower=0.0, upper=np.inf
        )
    if p is not None:
        b.add_rows(np.zeros(m), y, 1.0, n_rows=1, lower=p if p_eq else -np.inf, upper=p)
    if budget is not None:
        loc.add_limit_row(b, y, site_cost, budget)
    mip = b.build()
    start = None
    if start_open is not None and start_site is not None:
        start_x = np.zeros(ii.size)
        pos = {(int(i), int(j)): t for t, (i, j) in enumerate(zip(ii, jj, strict=True))}
        for i, j in enumerate(start_site):
            if j >= 0 and (i, int(j)) in pos:
                start_x[pos[(i, int(j))]] = 1.0
        start = mip.start(open=start_open, assign=start_x)
    res = mip.solve(
        time_limit_s=time_limit_s,
        start=start,
        integral_objective=integral,
        mip_abs_gap=0.999 if integral else 1e-6,
        options=None if cutoff is None else {"objective_bound": float(cutoff)},
    )
    is_open = np.zeros(m, dtype=bool)
    site_of = np.full(n, -1, dtype=np.int64)
    if res.x is not None:
        is_open = res.x[:m] > 0.5
        chosen = res.x[m:] > 0.5
        site_of[ii[chosen]] = jj[chosen]
    return res, is_open, site_of


# ---------------------------------------------------------------------------------------------
# p-median


def _radius_milp(
    prob: _Problem,
    p: int,
    start_open: np.ndarray | None,
    time_limit_s: float,
    *,
    level_cap: np.ndarray | None = None,
    cutoff: float | None = None,
    truncate: np.ndarray | None = None,
) -> tuple[SolveResult, np.ndarray]:
    """Compact radius formulation (after Elloumi 2010) in nested form.

    For point ``i`` with distinct costs ``D1 < D2 < ... < DK`` to sites that may open,
    ``z_ik`` = 1 if ``i`` is not served within ``Dk``:
    ``z_i1 + sum_{j: d_ij = D1} y_j >= 1``, ``z_ik - z_i,k-1 + sum_{j: d_ij = Dk} y_j >= 0``;
    cost ``w_i (D1 + sum_k (D_k+1 - D_k) z_ik)``. Levels beyond the cost to a forced site, or to
    the ``(m - p + 1)``-th nearest site (one of those is always open), or beyond ``level_cap``
    (each point is served within it in every solution of interest), are dropped. ``cutoff``
    prunes every node whose bound exceeds it (no solution above it is wanted).

    ``truncate`` relaxes the model: point ``i`` keeps only the levels up to ``truncate[i]`` and
    pays at most that much (its last ``z`` free and without cost), so the optimum is a lower
    bound; a plan that serves every truncated point within its last level is valued right
    (after Garcia, Labbe & Marin 2011, who grow the levels where a solution needs them).
    """
    n, m = prob.cost.shape
    allowed = prob.allowed
    cols = np.flatnonzero(allowed)
    sub = prob.cost[:, cols]
    n_allowed = cols.size
    kth = np.sort(sub, axis=1)[:, n_allowed - p]
    forced_sub = prob.forced[cols]
    cap = np.minimum(kth, sub[:, forced_sub].min(axis=1)) if forced_sub.any() else kth
    if level_cap is not None:
        cap = np.minimum(cap, level_cap)
    z_cost: list[float] = []
    z_ub: list[float] = []
    r_idx: list[np.ndarray] = []
    c_idx: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    offset = 0.0
    row = 0
    zcol = m
    first_rows: list[int] = []
    for i in range(n):
        di = sub[i]
        top = cap[i]
        if not np.isfinite(top):
            finite = di[np.isfinite(di)]
            if finite.size == 0:
                raise InfeasibleError(
                    f"demand point {prob.demand_ids[i]} reaches no site that may open"
                )
            top = float(finite.max())
        levels, inverse = np.unique(di, return_inverse=True)
        n_lev = int(np.searchsorted(levels, top, side="right"))
        cut = False
        if truncate is not None:
            n_cut = max(1, int(np.searchsorted(levels, truncate[i], side="right")))
            cut = n_cut < n_lev
            n_lev = min(n_lev, n_cut)
        w = prob.obj_weights[i]
        offset += w * levels[0]
        in_lev = inverse < n_lev
        js = cols[in_lev]
        lev = inverse[in_lev]
        # y terms
        r_idx.append(row + lev)
        c_idx.append(js)
        vals.append(np.ones(js.size))
        # z terms: row k has +z_k and (k >= 1) -z_{k-1}
        ks = np.arange(n_lev)
        r_idx.append(row + ks)
        c_idx.append(zcol + ks)
        vals.append(np.ones(n_lev))
        if n_lev > 1:
            r_idx.append(row + ks[1:])
            c_idx.append(zcol + ks[:-1])
            vals.append(-np.ones(n_lev - 1))
        steps = np.diff(levels[:n_lev]) if n_lev > 1 else np.zeros(0)
        z_cost.extend([*(w * steps).tolist(), 0.0])
        z_ub.extend([1.0] * (n_lev - 1) + [1.0 if cut else 0.0])
        first_rows.append(row)
        row += n_lev
        zcol += n_lev
    b = MipBuilder("min")
    b.offset = offset
    b.add_vars("open", m, lb=np.where(prob.forced, 1.0, 0.0), ub=np.where(prob.never, 0.0, 1.0))
    b.add_vars("beyond", zcol - m, cost=np.asarray(z_cost), ub=np.asarray(z_ub), integer=False)
    rlo = np.zeros(row)
    rlo[np.asarray(first_rows, dtype=np.int64)] = 1.0
    b.add_rows(
        np.concatenate(r_idx),
        np.concatenate(c_idx),
        np.concatenate(vals),
        n_rows=row,
        lower=rlo,
        name="levels",
    )
    b.add_rows(np.zeros(m), np.arange(m), 1.0, n_rows=1, lower=p, upper=p, name="count")
    mip = b.build()
    res = mip.solve(
        time_limit_s=time_limit_s,
        start=None if start_open is None else mip.start(open=start_open),
        integral_objective=prob.integral,
        mip_abs_gap=0.999 if prob.integral else 1e-6,
        options=None if cutoff is None else {"objective_bound": float(cutoff)},
    )
    is_open = res.x[:m] > 0.5 if res.x is not None else np.zeros(m, dtype=bool)
    return res, is_open


def p_median(
    cost: SeasonCost,
    *,
    p: int,
    weights: Any = None,
    fixed: Iterable[str] = (),
    must: Iterable[str] = (),
    never: Iterable[str] = (),
    capacity: Any = None,
    min_enrolment: Any = None,
    fill_fixed: bool = False,
    demand_ids: Any = None,
    site_ids: Any = None,
    method: str = "exact",
    time_limit_s: float = 300.0,
    heuristic_rounds: int = 30,
    objective_weights: Any = None,
    robust: str | None = None,
    months: Mapping[str, float] | None = None,
    unreachable_min: float | Mapping[str, float] | None = None,
) -> SitingResult:
    """Open ``p`` sites so that the pupil-weighted total cost to the nearest open site is least.

    Parameters
    ----------
    cost
        Demand points x candidate sites (:data:`CostInput`: a ``TravelMatrix``, a DataFrame whose
        index and columns are the ids, or an array; ``inf``/``nan``: unreachable).
    p
        Number of open sites, the ``fixed`` ones included.
    weights
        Pupils per demand point (default 1 each): an array in row order, or a Series by demand
        id (aligned by id; a Series with other ids is an error naming them).
    fixed, must, never
        Site ids that are open already / must open / may not open.
    capacity
        Pupils each site can take (array or Series by site id); pupils are assigned to one site.
        Exact without ``min_enrolment``/``fill_fixed``: a knapsack Lagrangian bound and its
        reduced-cost fixing shrink the model before HiGHS (``models/_capacitated.py``).
    min_enrolment
        Fewest pupils a (non-fixed) site is opened for.
    fill_fixed
        Fill every fixed site to its ``capacity`` (spopt's predefined facilities filled to
        capacity); needs ``capacity`` and ``fixed``.
    demand_ids, site_ids
        Ids of rows and columns of an array; with a ``TravelMatrix`` or a DataFrame, the ids to
        take (in that order). Default: the table's ids, or ``demand0``, ``site0``... for arrays.
    method
        ``"exact"`` (proven optimal, or the best bound proven when ``time_limit_s`` runs out:
        uncapacitated, a Lagrangian branch and bound with HiGHS on small reduced models;
        capacitated, knapsack Lagrangian bounds with HiGHS) or ``"heuristic"`` (with a
        Lagrangian bound when uncapacitated).
    time_limit_s
        Time limit of the exact solve (the result's ``gap`` says how far from proven it got).
    heuristic_rounds
        Perturbation rounds of the iterated vertex substitution (stopped after 15 % of
        ``time_limit_s``).
    objective_weights
        Multipliers of each point's cost in the objective when they differ from ``weights``
        (``weights`` then count only against capacity and minimum enrolment).
    robust
        With ``cost`` a mapping season -> matrix: ``"worst"`` (default; least largest season
        total), ``"regret"`` (least largest excess over each season's own optimum) or
        ``"expected"`` (least months-weighted mean total). See :data:`ROBUST`.
    months
        School months of each season (weights of ``"expected"``; default equal).
    unreachable_min
        Robust models: the cost of an unreachable pair (a number, or one per season); default
        twice the largest finite cost of that season, so that unserved pupils dominate.

    Returns
    -------
    SitingResult
        ``objective`` is the total pupil-weighted cost (robust: in the ``robust`` setting's
        terms, with each season's value in ``seasons``).
    """
    t0 = time.perf_counter()
    if method not in METHODS:
        msg = f"`method` must be one of {METHODS}, got {method!r}"
        raise ArgumentError(msg)
    choice = _SiteChoice(
        weights, fixed, must, never, capacity, min_enrolment, fill_fixed, demand_ids, site_ids
    )
    if isinstance(cost, Mapping):
        from geoplan.models import _robust

        return _robust.p_median(
            cost,
            choice,
            p=p,
            robust=_robust.check_robust(robust, cost),
            months=months,
            unreachable_min=unreachable_min,
            method=method,
            time_limit_s=time_limit_s,
            heuristic_rounds=heuristic_rounds,
            objective_weights=objective_weights,
        )
    _not_robust(robust, months)
    prob = _prepare(cost, choice)
    if objective_weights is not None:
        ow = np.asarray(objective_weights, dtype=np.float64).ravel()
        if ow.shape != prob.weights.shape or np.any(np.isnan(ow)) or np.any(ow < 0):
            msg = "`objective_weights` must hold one non-negative number per demand point"
            raise ArgumentError(msg)
        prob = replace(prob, obj_weights=ow)
    _check_count(prob, p)
    n, _m = prob.cost.shape
    reach = np.isfinite(prob.cost) & prob.allowed[None, :]
    lost = np.flatnonzero(~reach.any(axis=1))
    if lost.size:
        names = ", ".join(prob.demand_ids[i] for i in lost[:10])
        raise InfeasibleError(f"demand points {names} reach no site that may open")
    all_rows = np.arange(n)
    if prob.capacity is not None or prob.min_enrolment is not None:
        _check_capacity(prob, all_rows, p)
        return _pmedian_assignment(prob, p, method, time_limit_s, t0)

    return _pmedian_uncapacitated(prob, p, method, time_limit_s, heuristic_rounds, t0)


_DUAL_STALL, _DUAL_MIN_STEP = 30, 1e-3
"""Subgradient schedule of the exact p-median's Lagrangian duals (province-sized cases need
the slower halving to come within 0.02 % of their bound)."""

_DEFLECT_PAIRS = 1_000_000
"""From this many demand-site pairs on, the duals' subgradient steps are deflected."""


def _deflect(cost: np.ndarray) -> float:
    return 1.5 if cost.size >= _DEFLECT_PAIRS else 0.0


_MILP_PAIRS = 100_000
"""Most demand-site pairs left after the fixing for which the exact p-median tries the radius
MILP (on a province, 1.3 million pairs did not finish HiGHS's root LP in 158 s; 283,000 reached
a bound 30 % below the Lagrangian one in 118 s)."""

_DUAL_SHARE = 0.25
"""Share of the time limit one Lagrangian dual may take."""

_PERTURB_SHARE = 0.15
"""Share of the p-median's time limit the perturbation rounds of the heuristic may take."""

_FIXING_SHARE = 0.3
"""After this share of the time limit no further fixing round starts: the tree, whose rounds fix
against their own targets, gains more from the time (province, p = 100, 60 s: four fixing rounds
left the tree 17 s and a gap of 0.0078 %; one round leaves it 35 s)."""

TREE_SHARE = 0.3
"""Share of the exact p-median's remaining time given to the Lagrangian tree before the MILP."""


def _proof_cutoff(value: float, integral: bool) -> float:
    """A bound above this proves a solution of ``value`` optimal (whole-number values: by 1)."""
    if integral:
        return value - 1.0 + min(0.5, 1e-7 * max(1.0, abs(value)))
    return value - 1e-9 * max(1.0, abs(value))


def _served_cost(w: np.ndarray, cost: np.ndarray, is_open: np.ndarray) -> float:
    """Total cost of serving every point from its nearest open site; ``inf`` if one reaches none."""
    reached = heur.nearest_open(cost, is_open)[1]
    return float(w @ reached) if np.isfinite(reached).all() else math.inf


def _pmedian_uncapacitated(
    prob: _Problem, p: int, method: str, time_limit_s: float, heuristic_rounds: int, t0: float
) -> SitingResult:
    """Heuristic, Lagrangian bound and fixing, then the radius MILP on what is left."""
    w, cost = prob.obj_weights, prob.cost
    forced, allowed, integral = prob.forced, prob.allowed, prob.integral
    ranked = heur.Ranked.of(cost)
    start = heur.greedy_pmedian(cost, w, p, forced, allowed, ranked=ranked)
    start = heur.interchange(cost, w, start, forced, allowed, ranked=ranked)
    value = _served_cost(w, cost, start)

    def done(is_open: np.ndarray, objective: float, lower: float, status: str) -> SitingResult:
        site_of, reached = heur.nearest_open(cost, is_open)
        if not np.isfinite(reached).all():
            return every_point_served()
        return _result(
            prob,
            "p_median",
            is_open=is_open,
            site_of=site_of,
            objective=objective,
            bound=lower,
            status=status,
            method=method,
            t0=t0,
        )

    def every_point_served() -> SitingResult:
        """The radius MILP, when a plan of the penalised costs left a point unreachable.

        The heuristics, the bounds and the tree price an unreachable pair at a finite penalty
        (:func:`~geoplan.models._heuristics.finite_cost`), which light or zero weights can make
        cheaper than serving the point; their bounds stay valid, their plan may not be.
        """
        res, is_open = _radius_milp(prob, p, None, time_left(t0, time_limit_s))
        _raise_if_no_solution(res, f"p = {p} with every demand point served")
        found = _served_cost(w, cost, is_open)
        lower = min(res.bound, found)
        return done(is_open, found, lower, _status(found, lower, res.status))

    if not math.isfinite(value):
        return every_point_served()
    lag = heur.lagrangian_bound(
        cost,
        w,
        p,
        forced,
        allowed,
        upper=value,
        cutoff=_proof_cutoff(value, integral),
        start=start,
        ranked=ranked,
        stall=_DUAL_STALL,
        min_step=_DUAL_MIN_STEP,
        time_limit_s=_DUAL_SHARE * time_limit_s,
        deflect=_deflect(cost),
    )
    if lag.bound <= _proof_cutoff(value, integral):
        # Vertex substitution from the Lagrangian solutions met (a swap search is cheap here).
        t_polish = time.perf_counter()
        starts = [lag.primal] if lag.primal.sum() == p else []
        for cand in [*starts, *lag.candidates]:
            if time.perf_counter() - t_polish > _PERTURB_SHARE * time_limit_s:
                break
            cand = heur.interchange(cost, w, cand, forced, allowed, ranked=ranked)
            cand_value = _served_cost(w, cost, cand)
            if cand_value < value:
                start, value = cand, cand_value
    proven = lag.bound > _proof_cutoff(value, integral)
    if not proven and heuristic_rounds > 0:
        found = heur.perturbed_search(
            cost,
            w,
            start,
            forced,
            allowed,
            rounds=heuristic_rounds,
            ranked=ranked,
            time_limit_s=_PERTURB_SHARE * time_limit_s,
        )
        found_value = _served_cost(w, cost, found)
        if found_value <= value:  # not a plan that leaves a point unreachable
            start, value = found, found_value
        proven = lag.bound > _proof_cutoff(value, integral)
    bound = min(value, float(math.ceil(lag.bound - 1e-6)) if integral else lag.bound)
    if proven:
        bound = value
    _logger.info(
        "p-median heuristic %.6g, Lagrangian bound %.6g (%d steps)", value, bound, lag.iterations
    )

    if proven:
        return done(start, value, value, "optimal")
    if method == "heuristic":
        return done(start, value, bound, "heuristic")
    cutoff = _proof_cutoff(value, integral)
    # Fix what no better plan can use, re-solve the Lagrangian dual without it, repeat.
    red_cost, red_forced, red_allowed, lam = cost, forced, allowed, lag.lam
    for _round in range(4):
        if _round and time.perf_counter() - t0 > _FIXING_SHARE * time_limit_s:
            break
        closed, opened, pair_ok = heur.lagrangian_fixing(
            red_cost, w, p, red_forced, red_allowed, lam, cutoff
        )
        pair_ok &= np.isfinite(red_cost)
        red_cost = np.where(pair_ok, red_cost, np.inf)
        red_forced, red_allowed = red_forced | opened, red_allowed & ~closed
        _logger.info(
            "Lagrangian fixing: %d sites closed, %d open, %d of %d pairs left",
            int((~red_allowed).sum()),
            int(red_forced.sum()),
            int(pair_ok.sum()),
            pair_ok.size,
        )
        if not pair_ok.any(axis=1).all() or int(red_forced.sum()) > p or int(red_allowed.sum()) < p:
            # No assignment of a better plan survives the fixing: the heuristic plan is optimal.
            return done(start, value, value, "optimal")
        again = heur.lagrangian_bound(
            red_cost,
            w,
            p,
            red_forced,
            red_allowed,
            upper=value,
            cutoff=cutoff,
            lam=lam,
            step=1.0,
            ranked=ranked,
            stall=_DUAL_STALL,
            min_step=_DUAL_MIN_STEP,
            time_limit_s=_DUAL_SHARE * time_limit_s,
            deflect=_deflect(cost),
        )
        _logger.info("Lagrangian bound after fixing %.6g", again.bound)
        if again.bound > cutoff:
            return done(start, value, value, "optimal")
        if again.bound <= lag.bound + 1e-6 * max(1.0, abs(value)):
            break
        lag, lam = again, again.lam
        bound = max(bound, float(math.ceil(lag.bound - 1e-6)) if integral else lag.bound)
    # Branch and bound with Lagrangian bounds first; the MILP if it does not finish in time
    # and the pairs left make a radius model HiGHS can start on (otherwise the tree has it all).
    use_milp = int(np.isfinite(red_cost).sum()) <= _MILP_PAIRS
    left = time_left(t0, time_limit_s)
    tree = lagrangian_tree(
        red_cost,
        w,
        p,
        red_forced,
        red_allowed,
        lam,
        best=start,
        cutoff_of=lambda v: _proof_cutoff(v, integral),
        lower=lag.bound,
        true_cost=cost,
        time_limit_s=(TREE_SHARE if use_milp else 1.0) * left,
    )
    _logger.info(
        "Lagrangian tree: %d nodes, %s, bound %.8g",
        tree.nodes,
        "finished" if tree.finished else "stopped",
        tree.bound,
    )
    if tree.value < value:
        start, value = tree.best, tree.value
    if tree.finished:
        return done(start, value, value, "optimal")
    bound = max(bound, float(math.ceil(tree.bound - 1e-6)) if integral else tree.bound)
    bound = min(bound, value)
    if not use_milp:
        return done(start, value, bound, _status(value, bound, "time_limit"))
    cutoff = _proof_cutoff(value, integral)
    reduced = replace(prob, cost=red_cost, never=~red_allowed, must=red_forced & ~prob.fixed)
    level_cap = np.where(np.isfinite(red_cost), red_cost, -np.inf).max(axis=1)
    left = time_left(t0, time_limit_s)
    res, is_open = _radius_milp(reduced, p, None, left, level_cap=level_cap, cutoff=cutoff)
    if res.status == "infeasible":
        return done(start, value, value, "optimal")
    if res.x is not None:
        cand_value = _served_cost(w, cost, is_open)
        if cand_value < value:
            start, value = is_open, cand_value
    if res.status == "optimal":
        return done(start, value, value, "optimal")
    # Time limit: plans the fixing removed cost more than the cutoff.
    lower = bound
    if math.isfinite(res.bound):
        lower = max(bound, min(res.bound, value))
    return done(start, value, lower, _status(value, lower, res.status))


def _status(objective: float, bound: float, solver_status: str) -> str:
    if solver_status == "optimal" or relative_gap(objective, bound) == 0:
        return "optimal"
    return "time_limit" if solver_status == "time_limit" else solver_status


def _pmedian_assignment(
    prob: _Problem, p: int, method: str, time_limit_s: float, t0: float
) -> SitingResult:
    n, _m = prob.cost.shape
    start_open: np.ndarray | None = None
    start_site: np.ndarray | None = None
    if prob.min_enrolment is None and prob.capacity is not None:
        found = heur.capacitated_pmedian(
            prob.cost,
            prob.weights,
            p,
            prob.capacity,
            prob.forced,
            prob.allowed,
            obj_weights=prob.obj_weights,
        )
        if found is not None:
            start_open, start_site = found
    if method == "heuristic":
        if start_open is None or start_site is None:
            msg = (
                f"the capacitated heuristic found no plan with p = {p}; "
                "use method='exact' to prove whether one exists"
            )
            raise InfeasibleError(msg)
        value = float((prob.obj_weights * prob.cost[np.arange(n), start_site]).sum())
        return _result(
            prob,
            "p_median",
            is_open=start_open,
            site_of=start_site,
            objective=value,
            bound=math.nan,
            status="heuristic",
            method=method,
            t0=t0,
        )
    if start_site is not None and prob.min_enrolment is None and prob.cost.size <= _KNAPSACK_PAIRS:
        assert start_open is not None
        start = _capacitated.Plan(start_open, start_site)
        return _pmedian_knapsack(prob, p, start, time_limit_s, t0)
    pairs = np.isfinite(prob.cost) & prob.allowed[None, :]
    res, is_open, site_of = _assignment_milp(
        prob,
        pairs=pairs,
        demand_rows=np.arange(n),
        assign_eq=True,
        objective="cost",
        p=p,
        p_eq=True,
        site_cost=None,
        budget=None,
        start_open=start_open,
        start_site=start_site,
        time_limit_s=time_limit_s,
        integral=prob.integral,
    )
    _raise_if_no_solution(res, _limits_text(prob, p=p))
    objective = res.objective
    if (site_of >= 0).all():  # the plan's own cost, free of the solver's rounding
        objective = float((prob.obj_weights * prob.cost[np.arange(n), site_of]).sum())
    return _result(
        prob,
        "p_median",
        is_open=is_open,
        site_of=site_of,
        objective=objective,
        bound=res.bound,
        status=_status(objective, res.bound, res.status),
        method=method,
        t0=t0,
    )


_KNAPSACK_PAIRS = 1_000_000
"""Most demand-site pairs for which the exact capacitated p-median takes the knapsack
Lagrangian path (its tables are dense, demand x sites)."""


def _pmedian_knapsack(
    prob: _Problem, p: int, start: _capacitated.Plan, time_limit_s: float, t0: float
) -> SitingResult:
    """Exact capacitated p-median by the knapsack Lagrangian bound, fixing and HiGHS."""
    assert prob.capacity is not None
    n = prob.cost.shape[0]
    rows = np.arange(n)
    finite = np.isfinite(prob.cost) & prob.allowed[None, :]
    pair_cost = np.where(finite, prob.obj_weights[:, None] * np.where(finite, prob.cost, 0), np.inf)
    integral = prob.integral

    def restricted(
        pair_ok: np.ndarray,
        closed: np.ndarray,
        opened: np.ndarray,
        begin: _capacitated.Plan | None,
        cutoff: float,
        limit_s: float,
    ) -> tuple[str, float, _capacitated.Plan | None]:
        reduced = replace(
            prob,
            cost=np.where(pair_ok, prob.cost, np.inf),
            never=prob.never | closed,
            must=(prob.must | opened) & ~prob.fixed,
        )
        res, is_open, site_of = _assignment_milp(
            reduced,
            pairs=pair_ok & reduced.allowed[None, :],
            demand_rows=rows,
            assign_eq=True,
            objective="cost",
            p=p,
            p_eq=True,
            site_cost=None,
            budget=None,
            start_open=None if begin is None else begin.is_open,
            start_site=None if begin is None else begin.site_of,
            time_limit_s=limit_s,
            integral=integral,
            cutoff=cutoff if math.isfinite(cutoff) else None,
        )
        found = _capacitated.Plan(is_open, site_of) if res.x is not None else None
        return res.status, res.bound, found

    out = _capacitated.solve(
        pair_cost,
        prob.weights,
        p,
        prob.capacity,
        prob.forced,
        prob.allowed,
        start=start,
        cutoff_of=lambda v: _proof_cutoff(v, integral),
        restricted=restricted,
        time_limit_s=time_limit_s,
    )
    bound = out.value if out.proven else out.bound
    if integral and not out.proven:
        bound = min(out.value, float(math.ceil(bound - 1e-6)))
    status = "optimal" if out.proven else _status(out.value, bound, out.status)
    return _result(
        prob,
        "p_median",
        is_open=out.plan.is_open,
        site_of=out.plan.site_of,
        objective=float((prob.obj_weights * prob.cost[rows, out.plan.site_of]).sum()),
        bound=bound,
        status=status,
        method="exact",
        t0=t0,
    )


def _limits_text(prob: _Problem, **extra: float | None) -> str:
    parts = [f"{k} = {_fmt(v)}" for k, v in extra.items() if v is not None]
    parts.append(f"demand {_fmt(float(prob.weights.sum()))} pupils")
    if prob.capacity is not None:
        parts.append(f"capacity {_fmt(float(prob.capacity[prob.allowed].sum()))}")
    if prob.min_enrolment is not None:
        parts.append(f"minimum enrolment up to {_fmt(float(prob.min_enrolment.max()))}")
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# Coverage models


def _coverage(
    prob: _Problem,
    model: str,
    *,
    limit: float,
    p: int | None,
    site_cost: np.ndarray,
    budget: float | None,
    method: str,
    time_limit_s: float,
    t0: float,
) -> SitingResult:
    n, m = prob.cost.shape
    covers = _reachable(prob, limit)
    greedy = heur.greedy_coverage(
        covers,
        prob.weights,
        prob.forced,
        prob.allowed,
        site_cost=site_cost,
        budget=math.inf if budget is None else budget,
        max_open=m if p is None else p,
    )
    needs_assign = prob.capacity is not None or prob.min_enrolment is not None
    if method == "heuristic" and not needs_assign:
        site_of = _nearest_within(prob, greedy, limit)
        value = float(prob.weights[site_of >= 0].sum())
        return _result(
            prob,
            model,
            is_open=greedy,
            site_of=site_of,
            objective=value,
            bound=float(prob.weights[covers.any(axis=1)].sum()),
            status="heuristic",
            method=method,
            t0=t0,
            limit=limit,
        )
    if needs_assign:
        res, is_open, site_of = _assignment_milp(
            prob,
            pairs=covers,
            demand_rows=np.arange(n),
            assign_eq=False,
            objective="cover",
            p=p,
            p_eq=False,
            site_cost=site_cost,
            budget=budget,
            start_open=None,
            start_site=None,
            time_limit_s=time_limit_s,
            integral=prob.integral,
        )
        _raise_if_no_solution(res, _limits_text(prob, p=p, budget=budget))
    else:
        res, is_open = _max_cover_milp(
            prob, covers, p, site_cost, budget, greedy, time_left(t0, time_limit_s)
        )
        _raise_if_no_solution(res, _limits_text(prob, p=p, budget=budget))
        site_of = _nearest_within(prob, is_open, limit)
    value = float(prob.weights[site_of >= 0].sum())
    return _result(
        prob,
        model,
        is_open=is_open,
        site_of=site_of,
        objective=value,
        bound=res.bound,
        status=_status(value, res.bound, res.status),
        method=method,
        t0=t0,
        limit=limit,
    )


def _nearest_within(prob: _Problem, is_open: np.ndarray, limit: float) -> np.ndarray:
    if not is_open.any():  # nothing open (no site covers anyone, or none fits the budget)
        return np.full(prob.cost.shape[0], -1, dtype=np.int64)
    site, cost = heur.nearest_open(np.where(np.isfinite(prob.cost), prob.cost, np.inf), is_open)
    return np.where(cost <= limit, site, -1)


_COVER_ROUNDS = 100  # perturbations of each maximal-coverage swap search
_COVER_SEARCH_SHARE = 0.1  # of the time limit, at most, for each such search
_COVER_DUAL_SHARE = 0.3  # of the time limit, at most, for its Lagrangian bound
_COVER_TREE_SHARE = 0.5  # of the time left, for the coverage tree before HiGHS
_COVER_TREE_ONLY = 200_000  # covers (group-site pairs) beyond which the tree takes all the time


def _max_cover_milp(
    prob: _Problem,
    covers: np.ndarray,
    p: int | None,
    site_cost: np.ndarray,
    budget: float | None,
    start_open: np.ndarray,
    time_limit_s: float,
) -> tuple[SolveResult, np.ndarray]:
    """``max sum w_i z_i`` s.t. ``z_i <= sum_{j covers i} y_j``, count and budget rows.

    On the rows and sites :func:`~geoplan.models._location.reduce_cover` leaves (one row per
    group of points covered by the same sites, dominated sites closed), which keeps the value.
    The swap search of :mod:`~geoplan.models._max_cover` improves the greedy start; with a count
    (``p``) the Lagrangian bound may prove it optimal, the search runs again from the sites of
    the Lagrangian relaxation, and the bound fixes the sites no better plan opens (or closes)
    before HiGHS searches the rest for a better plan.
    """
    t0 = time.perf_counter()
    _n, m = covers.shape
    groups, group_w, dominated, base = loc.reduce_cover(
        covers, prob.weights, prob.forced, prob.allowed, site_cost
    )
    may = prob.allowed & ~dominated
    _logger.debug(
        "coverage: %d rows in %d groups, %d of %d free sites undominated",
        covers.shape[0],
        groups.shape[0],
        int((may & ~prob.forced).sum()),
        int((prob.allowed & ~prob.forced).sum()),
    )
    max_open = m if p is None else p
    spend = math.inf if budget is None else budget
    reduced_start = heur.greedy_coverage(
        groups, group_w, prob.forced, may, site_cost=site_cost, budget=spend, max_open=max_open
    )
    if (
        float(group_w[groups[:, reduced_start].any(axis=1)].sum()) + base
        >= float(prob.weights[covers[:, start_open].any(axis=1)].sum())
        or (start_open & dominated).any()
    ):
        start_open = reduced_start
    grouped = sp.csr_array(groups)

    def searched(start: np.ndarray) -> np.ndarray:
        return mc.perturbed_swaps(
            grouped,
            group_w,
            start,
            prob.forced,
            may,
            site_cost=site_cost,
            budget=spend,
            max_open=max_open,
            rounds=_COVER_ROUNDS,
            time_limit_s=_COVER_SEARCH_SHARE * time_limit_s,
        )

    integral = bool(np.all(prob.weights == np.round(prob.weights)))

    def better_than(value: float) -> float:
        """What a better plan must cover: one pupil more (whole pupils), a hair more otherwise."""
        return value + 1.0 if integral else value + 1e-9 * max(1.0, value)

    start_open = searched(start_open)
    value = base + mc.covered_weight(grouped, group_w, start_open)
    cutoff = better_than(value)
    upper = math.inf
    forced, allowed = prob.forced, may
    free = may & ~prob.forced
    k = max_open - int(prob.forced.sum())
    if budget is None and 0 < k < int(free.sum()):
        lag = mc.lagrangian_bound(
            grouped,
            group_w,
            k,
            free,
            target=cutoff - base,
            time_limit_s=_COVER_DUAL_SHARE * time_limit_s,
        )
        upper = base + lag.bound
        if upper < cutoff - 1e-7 * max(1.0, abs(upper)):  # no better plan: the start is optimal
            x = start_open.astype(np.float64)
            return SolveResult("optimal", x, value, value, 0.0, 0.0, "lagrangian"), start_open
        # The relaxation's own sites, searched from: often a better start than the greedy's.
        found = searched(lag.plan | prob.forced)
        found_value = base + mc.covered_weight(grouped, group_w, found)
        if found_value > value:
            start_open, value = found, found_value
            cutoff = better_than(value)
        big = grouped.nnz > _COVER_TREE_ONLY
        none = np.zeros(m, dtype=bool)
        by_col = sp.csc_array(grouped, dtype=np.float64)  # the search's own form, made once

        def polish(plan: np.ndarray) -> np.ndarray:  # the tree's groups hold the free sites only
            return mc.swap_search(
                by_col, group_w, plan, none, free,
                site_cost=site_cost, budget=math.inf, max_open=k,
            )  # fmt: skip

        tree = cover_tree(
            grouped,
            group_w,
            k,
            free,
            lag.lam,
            best=start_open & free,
            cutoff_of=lambda v: better_than(v + base) - base,
            upper=upper - base,
            time_limit_s=(1.0 if big else _COVER_TREE_SHARE) * time_left(t0, time_limit_s),
            polish=polish,
        )
        _logger.info(
            "coverage: tree %s, %.6g, bound %.6g, %d nodes",
            "proven" if tree.finished else "stopped",
            base + tree.value,
            base + tree.bound,
            tree.nodes,
        )
        if base + tree.value > value:
            start_open, value = tree.best | prob.forced, base + tree.value
            cutoff = better_than(value)
        upper = min(upper, base + tree.bound)
        x = start_open.astype(np.float64)
        if tree.finished or upper < cutoff - 1e-7 * max(1.0, abs(upper)):
            return SolveResult("optimal", x, value, value, 0.0, 0.0, "lagrangian"), start_open
        if big:  # HiGHS's root alone takes longer than such a limit: the tree's bound stands
            bound = float(math.floor(upper + 1e-6)) if integral else upper
            return SolveResult(
                "time_limit", x, value, bound, relative_gap(value, bound), 0.0, "lagrangian"
            ), start_open
        closed, opened = mc.lagrangian_fixing(grouped, group_w, k, free, lag.lam, cutoff - base)
        _logger.info(
            "coverage: swap search %.6g, Lagrangian bound %.6g (%d steps), %d sites closed, "
            "%d opened",
            value,
            upper,
            lag.iterations,
            int(closed.sum()),
            int(opened.sum()),
        )
        x = start_open.astype(np.float64)
        if upper < cutoff - 1e-7 * max(1.0, abs(upper)):  # no better plan: the start is optimal
            return SolveResult("optimal", x, value, value, 0.0, 0.0, "lagrangian"), start_open
        forced, allowed = prob.forced | opened, may & ~closed
        if closed.any() or opened.any():
            groups, group_w, dominated, base = loc.reduce_cover(
                covers, prob.weights, forced, allowed, site_cost
            )
            allowed = allowed & ~dominated
    b = MipBuilder("max")
    b.offset = base
    y = b.add_vars("open", m, lb=np.where(forced, 1.0, 0.0), ub=np.where(allowed, 1.0, 0.0))
    z = b.add_vars("covered", groups.shape[0], cost=group_w, integer=False)
    loc.add_cover_rows(b, groups, y, z)
    if p is not None:
        loc.add_limit_row(b, y, 1.0, float(p), name="count")
    if budget is not None:
        loc.add_limit_row(b, y, site_cost, float(budget), name="budget")
    mip = b.build()
    fits = not (start_open & ~allowed).any() and not (forced & ~start_open).any()
    left = time_left(t0, time_limit_s)
    res = mip.solve(
        time_limit_s=left,
        start=mip.start(open=start_open, covered=groups[:, start_open].any(axis=1))
        if fits
        else None,
        integral_objective=integral,
        mip_abs_gap=0.999 if integral else 1e-6,  # the default stops within 0.999 pupils
    )
    if res.status == "infeasible":  # what the fixing left holds no better plan
        x = start_open.astype(np.float64)
        return SolveResult("optimal", x, value, value, 0.0, res.seconds, "lagrangian"), start_open
    is_open = start_open
    if res.x is not None:
        found = mip.values(res.x, "open") > 0.5
        if float(prob.weights[covers[:, found].any(axis=1)].sum()) > value:
            is_open = found
    best = float(prob.weights[covers[:, is_open].any(axis=1)].sum())
    if res.status == "optimal":
        bound = best
    else:  # a better plan keeps to the fixing, so it is within HiGHS's bound there
        bound = min(upper, max(best, res.bound)) if math.isfinite(res.bound) else upper
        if integral and math.isfinite(bound):
            bound = float(math.floor(bound + 1e-6))
    status = "optimal" if res.status == "optimal" else res.status
    x = is_open.astype(np.float64)
    return SolveResult(
        status, x, best, bound, relative_gap(best, bound), res.seconds, "highs"
    ), is_open


def max_coverage(
    cost: SeasonCost,
    *,
    limit: float,
    p: int,
    weights: Any = None,
    fixed: Iterable[str] = (),
    must: Iterable[str] = (),
    never: Iterable[str] = (),
    capacity: Any = None,
    min_enrolment: Any = None,
    fill_fixed: bool = False,
    demand_ids: Any = None,
    site_ids: Any = None,
    method: str = "exact",
    time_limit_s: float = 300.0,
    robust: str | None = None,
    months: Mapping[str, float] | None = None,
) -> SitingResult:
    """Open at most ``p`` sites (fixed included) so that most pupils are within ``limit``.

    Parameters are as for :func:`p_median`; ``limit`` is the largest cost (e.g. minutes) that
    counts as covered. With ``capacity``, a covered pupil must also fit in the site.

    With ``cost`` a mapping season -> matrix, ``robust`` = ``"worst"`` (default: most pupils
    covered in the worst season), ``"regret"`` (least largest shortfall against each season's
    own optimum) or ``"expected"`` (most pupils covered, months-weighted mean; ``months`` per
    season, default equal); each season's value is in the result's ``seasons``.

    Returns
    -------
    SitingResult
        ``objective`` is the number of pupils covered.
    """
    choice = _SiteChoice(
        weights, fixed, must, never, capacity, min_enrolment, fill_fixed, demand_ids, site_ids
    )
    return _covering(
        "max_coverage",
        cost,
        choice,
        limit=limit,
        p=p,
        site_cost=None,
        budget=None,
        robust=robust,
        months=months,
        method=method,
        time_limit_s=time_limit_s,
    )


def _coverage_costs(
    prob: _Problem, p: int | None, site_cost: Any, budget: float | None
) -> np.ndarray:
    """What opening each site costs: one each against ``p``, or ``site_cost`` against ``budget``.

    Fixed sites cost nothing; the must-open sites must fit the budget.
    """
    if p is not None:
        _check_count(prob, p)
        return np.ones(len(prob.site_ids))
    costs = _per_site(site_cost, prob.site_ids, "site_cost", None)
    assert costs is not None and budget is not None
    costs = np.where(prob.fixed, 0.0, costs)
    must_cost = float(costs[prob.must].sum())
    if must_cost > budget + 1e-9:
        msg = f"must-open sites cost {_fmt(must_cost)} > budget {_fmt(budget)}; raise the budget"
        raise InfeasibleError(msg)
    return costs


def _covering(
    model: str,
    cost: SeasonCost,
    choice: _SiteChoice,
    *,
    limit: float,
    p: int | None,
    site_cost: Any,
    budget: float | None,
    robust: str | None,
    months: Mapping[str, float] | None,
    method: str,
    time_limit_s: float,
) -> SitingResult:
    """``max_coverage`` (``p``) or ``budgeted_coverage`` (``site_cost``, ``budget``)."""
    t0 = time.perf_counter()
    if isinstance(cost, Mapping):
        from geoplan.models import _robust

        return _robust.coverage(
            model,
            cost,
            choice,
            limit=limit,
            p=p,
            site_cost=site_cost,
            budget=budget,
            robust=_robust.check_robust(robust, cost),
            months=months,
            method=method,
            time_limit_s=time_limit_s,
        )
    _not_robust(robust, months)
    prob = _prepare(cost, choice)
    return _coverage(
        prob,
        model,
        limit=limit,
        p=p,
        site_cost=_coverage_costs(prob, p, site_cost, budget),
        budget=budget,
        method=method,
        time_limit_s=time_limit_s,
        t0=t0,
    )


def budgeted_coverage(
    cost: SeasonCost,
    *,
    limit: float,
    site_cost: Any,
    budget: float,
    weights: Any = None,
    fixed: Iterable[str] = (),
    must: Iterable[str] = (),
    never: Iterable[str] = (),
    capacity: Any = None,
    min_enrolment: Any = None,
    fill_fixed: bool = False,
    demand_ids: Any = None,
    site_ids: Any = None,
    method: str = "exact",
    time_limit_s: float = 300.0,
    robust: str | None = None,
    months: Mapping[str, float] | None = None,
) -> SitingResult:
    """Open sites whose cost (e.g. ``restore_cost_yuan``) fits ``budget``, covering most pupils.

    Fixed sites cost nothing; ``must`` sites are paid from the budget. Other parameters,
    ``robust`` and ``months`` (with ``cost`` a mapping season -> matrix) are as for
    :func:`max_coverage`.

    Returns
    -------
    SitingResult
        ``objective`` is the number of pupils covered.
    """
    choice = _SiteChoice(
        weights, fixed, must, never, capacity, min_enrolment, fill_fixed, demand_ids, site_ids
    )
    return _covering(
        "budgeted_coverage",
        cost,
        choice,
        limit=limit,
        p=None,
        site_cost=site_cost,
        budget=budget,
        robust=robust,
        months=months,
        method=method,
        time_limit_s=time_limit_s,
    )


_COVER_SEARCH_STEPS = 100  # set-cover search steps per group of demand points, at most
_SET_COVER_SEARCH_SHARE = 0.5  # of the time limit, at most, for that search


def _set_cover_milp(
    prob: _Problem,
    covers: np.ndarray,
    costs: np.ndarray,
    greedy: np.ndarray,
    integral: bool,
    time_limit_s: float,
) -> tuple[SolveResult, np.ndarray]:
    """The set cover of the coverable rows ``covers`` (rows x sites) on the reduced groups.

    Groups and sites that share no cover make components, solved apart
    (:func:`_set_cover_block`); the plan opens the forced sites and each component's cover.
    """
    t0 = time.perf_counter()
    m = covers.shape[1]
    # One row per group of points covered by the same sites, dominated sites closed.
    groups, _gw, dominated, _base = loc.reduce_cover(
        covers, np.ones(covers.shape[0]), prob.forced, prob.allowed, costs, drop_supersets=True
    )
    _logger.debug(
        "set cover: %d rows -> %d, %d of %d sites undominated",
        covers.shape[0],
        groups.shape[0],
        int((prob.allowed & ~dominated).sum()),
        int(prob.allowed.sum()),
    )
    may = prob.allowed & ~dominated
    if (greedy & dominated).any():
        greedy = heur.greedy_coverage(
            groups,
            np.ones(groups.shape[0]),
            prob.forced,
            may,
            site_cost=costs,
            budget=math.inf,
            max_open=m,
        )
    free = may & ~prob.forced
    is_open = prob.forced.copy()
    value = bound = float(costs[prob.forced].sum())
    status, seconds = "optimal", 0.0
    parts = mc.components(groups, free)
    for k, (rows, sites) in enumerate(parts):  # apart: the covers add up, so do their bounds
        share = float(rows.size) / max(1, sum(r.size for r, _s in parts[k:]))
        left = time_left(t0, time_limit_s)
        res = _set_cover_block(
            groups[np.ix_(rows, sites)], costs[sites], greedy[sites], integral, share * left
        )
        if res.x is None:
            return res, greedy
        is_open[sites] = res.x > 0.5
        value += float(costs[sites][res.x > 0.5].sum())
        bound += res.bound if math.isfinite(res.bound) else -math.inf
        seconds += res.seconds
        if res.status != "optimal":
            status = res.status
    if len(parts) > 1:
        _logger.info("set cover: %d components apart", len(parts))
    if status == "optimal":
        bound = value
    x = is_open.astype(np.float64)
    return SolveResult(
        status, x, value, bound, relative_gap(value, bound), seconds, "highs"
    ), is_open


def _set_cover_block(
    groups: np.ndarray,
    costs: np.ndarray,
    start: np.ndarray,
    integral: bool,
    time_limit_s: float,
) -> SolveResult:
    """Fewest (cheapest) of the columns of ``groups`` covering every row; ``start`` covers them.

    Sites of one cost: the LP bound, then :func:`~geoplan.models._max_cover.cover_search` for a
    cover at that bound (which proves it), and HiGHS from the best cover if it stops above.
    """
    t0 = time.perf_counter()
    n_groups, m = groups.shape
    b = MipBuilder("min")
    y = b.add_vars("open", m, cost=costs)
    ii, jj = np.nonzero(groups)
    b.add_rows(ii, y[jj], 1.0, n_rows=n_groups, lower=1.0, name="covered")
    mip = b.build()
    if m and costs[0] > 0 and np.all(costs == costs[0]):
        lp = mip.relaxed().solve(time_limit_s=time_limit_s)
        fewest = 0
        if lp.status == "optimal":  # no cover has fewer sites than this
            fewest = math.ceil(lp.objective / float(costs[0]) - 1e-6)
        start = mc.cover_search(
            sp.csr_array(groups),
            start,
            np.ones(m, dtype=bool),
            lower=fewest,
            steps=_COVER_SEARCH_STEPS * n_groups,
            time_limit_s=_SET_COVER_SEARCH_SHARE * time_limit_s,
        )
        _logger.info("set cover: search %d sites, LP bound %d", int(start.sum()), fewest)
        if int(start.sum()) <= fewest:
            value = float(costs[start].sum())
            x = start.astype(np.float64)
            return SolveResult("optimal", x, value, value, 0.0, time.perf_counter() - t0, "search")
    left = time_left(t0, time_limit_s)
    return mip.solve(
        time_limit_s=left,
        start=start.astype(np.float64),
        integral_objective=integral,
        mip_abs_gap=0.999 if integral else 1e-6,
    )


def set_cover(
    cost: SeasonCost,
    *,
    limit: float,
    weights: Any = None,
    site_cost: Any = None,
    fixed: Iterable[str] = (),
    must: Iterable[str] = (),
    never: Iterable[str] = (),
    capacity: Any = None,
    min_enrolment: Any = None,
    fill_fixed: bool = False,
    demand_ids: Any = None,
    site_ids: Any = None,
    method: str = "exact",
    time_limit_s: float = 300.0,
    robust: str | None = None,
    months: Mapping[str, float] | None = None,
) -> SitingResult:
    """Open the fewest sites (or cheapest, with ``site_cost``) so every coverable pupil is covered.

    A demand point no site that may open reaches within ``limit`` is left uncovered and shows as
    ``covered = False``; every other point with pupils is covered (within capacity, if given).

    With ``cost`` a mapping season -> matrix, the plan covers, in every season, every village
    that some site can cover in that season; the cheapest such plan is the same for every
    ``robust`` setting (``months`` only label the ``seasons`` table).

    Returns
    -------
    SitingResult
        ``objective`` is the number (or cost) of sites opened besides the fixed ones.
    """
    t0 = time.perf_counter()
    choice = _SiteChoice(
        weights, fixed, must, never, capacity, min_enrolment, fill_fixed, demand_ids, site_ids
    )
    if isinstance(cost, Mapping):
        from geoplan.models import _robust

        return _robust.set_cover(
            cost,
            choice,
            limit=limit,
            robust=_robust.check_robust(robust, cost),
            months=months,
            site_cost=site_cost,
            method=method,
            time_limit_s=time_limit_s,
        )
    _not_robust(robust, months)
    prob = _prepare(cost, choice)
    _n, m = prob.cost.shape
    costs = _per_site(site_cost, prob.site_ids, "site_cost", 1.0)
    assert costs is not None
    costs = np.where(prob.fixed, 0.0, costs)
    covers = _reachable(prob, limit)
    rows = np.flatnonzero(covers.any(axis=1) & (prob.weights > 0))
    integral = bool(np.all(costs == np.round(costs)))
    if prob.capacity is not None or prob.min_enrolment is not None:
        _check_capacity(prob, rows, None)
        if method == "heuristic":
            msg = "set_cover with capacity or minimum enrolment has no heuristic; use 'exact'"
            raise ArgumentError(msg)
        res, is_open, site_of = _assignment_milp(
            prob,
            pairs=covers,
            demand_rows=rows,
            assign_eq=True,
            objective="sites",
            p=None,
            p_eq=False,
            site_cost=costs,
            budget=None,
            start_open=None,
            start_site=None,
            time_limit_s=time_limit_s,
            integral=integral,
        )
        _raise_if_no_solution(res, _limits_text(prob, limit=limit))
        value = res.objective
    else:
        greedy = heur.greedy_coverage(
            covers[rows],
            prob.weights[rows],
            prob.forced,
            prob.allowed,
            site_cost=costs,
            budget=math.inf,
            max_open=m,
        )
        if method == "heuristic":
            res = SolveResult("heuristic", None, math.nan, math.nan, math.inf, 0.0, "greedy")
            is_open = greedy
        else:
            res, is_open = _set_cover_milp(
                prob, covers[rows], costs, greedy, integral, time_left(t0, time_limit_s)
            )
            _raise_if_no_solution(res, _limits_text(prob, limit=limit))
        site_of = _nearest_within(prob, is_open, limit)
        value = float(costs[is_open].sum())
    return _result(
        prob,
        "set_cover",
        is_open=is_open,
        site_of=site_of,
        objective=value,
        bound=res.bound,
        status=_status(value, res.bound, res.status),
        method=method,
        t0=t0,
        limit=limit,
    )


# ---------------------------------------------------------------------------------------------
# Convenience over layers


def cost_from_layers(
    travel: CostMatrixLike,
    demand: pd.DataFrame,
    sites: pd.DataFrame,
) -> pd.DataFrame:
    """Cut the rows of ``demand`` and the columns of ``sites`` (by id) out of a travel matrix.

    Parameters
    ----------
    travel
        A ``TravelMatrix`` (``minutes``, ``origin_ids``, ``destination_ids``).
    demand, sites
        Layers indexed by id (villages or blocks; schools and candidate sites).

    Returns
    -------
    pandas.DataFrame
        Minutes, ``len(demand)`` x ``len(sites)``, indexed by the demand ids, columns the site ids:
        pass it to a model as it is.

    Raises
    ------
    ValidationError
        Naming the ids missing from the travel matrix.
    """
    return id_matrix(travel).take(list(demand.index), list(sites.index)).frame()
