"""Building blocks of the location models, shared by siting, restoration phasing and closures.

Each block adds rows to a :class:`geoplan.models.solver.MipBuilder` over columns the caller made:
site columns ``y`` (open a site, or restore a site in a phase), assignment columns ``x`` (a demand
point served by a site) and cover columns ``z`` (a demand point covered). Blocks take the column
numbers rather than making them, so one set of site columns can serve several cost matrices (one
assignment block per season, say) or several years (phasing).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from geoplan.models.solver import ArrayLike, MipBuilder


def within(cost: np.ndarray, limit: float) -> np.ndarray:
    """Which demand points (rows) each site (column) reaches within ``limit``."""
    out: np.ndarray = np.isfinite(cost) & (cost <= limit)
    return out


def add_cover_rows(
    b: MipBuilder,
    covers: np.ndarray | sp.sparray | sp.spmatrix,
    site_cols: np.ndarray,
    cover_cols: np.ndarray,
    *,
    name: str | None = "cover",
) -> np.ndarray:
    """``z_i <= sum of y_k over the site columns k that cover i`` for every row ``i`` of ``covers``.

    Parameters
    ----------
    covers
        Demand rows × site columns, true (non-zero) where the column covers the row.
    site_cols, cover_cols
        Column numbers of ``y`` (one per column of ``covers``) and of ``z`` (one per row).
    """
    coo = sp.coo_array(covers)
    n = int(coo.shape[0])
    rows = np.concatenate([np.arange(n), coo.row])
    cols = np.concatenate([np.asarray(cover_cols, dtype=np.int64), site_cols[coo.col]])
    vals = np.concatenate([np.ones(n), -np.ones(coo.row.size)])
    return b.add_rows(rows, cols, vals, n_rows=n, upper=0.0, name=name)


def add_limit_row(
    b: MipBuilder,
    cols: np.ndarray,
    coef: ArrayLike,
    upper: float,
    *,
    name: str | None = None,
) -> np.ndarray:
    """``sum coef_k * x_k <= upper`` (a count of sites with ``coef = 1``, a budget with costs).

    Nothing is added when ``upper`` is infinite or ``cols`` is empty.
    """
    cols = np.asarray(cols, dtype=np.int64)
    if not cols.size or not math.isfinite(upper):
        return np.zeros(0, dtype=np.int64)
    vals = np.broadcast_to(np.asarray(coef, dtype=np.float64), cols.shape)
    return b.add_rows(
        np.zeros(cols.size, dtype=np.int64), cols, vals, n_rows=1, upper=float(upper), name=name
    )


def add_one_per_group(
    b: MipBuilder,
    group: np.ndarray,
    cols: np.ndarray,
    n_groups: int,
    *,
    lower: ArrayLike = 0.0,
    upper: ArrayLike = 1.0,
    name: str | None = None,
) -> np.ndarray:
    """``lower_g <= sum of the columns in group g <= upper_g`` for every group ``0 .. n_groups-1``.

    Demand points served once (``group`` = the point of each pair), a site restored in one phase
    at most (``group`` = the site of each site-phase column).
    """
    return b.add_rows(
        np.asarray(group, dtype=np.int64),
        cols,
        1.0,
        n_rows=n_groups,
        lower=lower,
        upper=upper,
        name=name,
    )


def add_link_rows(
    b: MipBuilder, x_cols: np.ndarray, site_cols: np.ndarray, *, name: str | None = "link"
) -> np.ndarray:
    """``x_k <= y_site(k)``: a pair is used only if its site is open (one row per pair)."""
    k = int(np.asarray(x_cols).size)
    return b.add_rows(
        np.repeat(np.arange(k), 2),
        np.column_stack([x_cols, site_cols]).ravel(),
        np.tile([1.0, -1.0], k),
        n_rows=k,
        upper=0.0,
        name=name,
    )


def add_load_rows(
    b: MipBuilder,
    site_of_pair: np.ndarray,
    x_cols: np.ndarray,
    load: np.ndarray,
    n_sites: int,
    *,
    site_cols: np.ndarray | None = None,
    per_site: ArrayLike | None = None,
    lower: ArrayLike = -math.inf,
    upper: ArrayLike = 0.0,
    name: str | None = None,
) -> np.ndarray:
    """``lower <= sum of load_k x_k over the pairs of site j - per_site_j y_j <= upper`` per site.

    With ``site_cols`` and ``per_site``: capacity (``upper = 0``) or minimum enrolment
    (``lower = 0``, ``upper = inf``) of an open site; without them, room (``upper`` = free places).
    """
    rows = [np.asarray(site_of_pair, dtype=np.int64)]
    cols = [np.asarray(x_cols, dtype=np.int64)]
    vals = [np.asarray(load, dtype=np.float64)]
    if site_cols is not None and per_site is not None:
        rows.append(np.arange(n_sites))
        cols.append(np.asarray(site_cols, dtype=np.int64))
        vals.append(-np.broadcast_to(np.asarray(per_site, dtype=np.float64), (n_sites,)))
    return b.add_rows(
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(vals),
        n_rows=n_sites,
        lower=lower,
        upper=upper,
        name=name,
    )


def reduce_cover(
    covers: np.ndarray,
    weights: np.ndarray,
    forced: np.ndarray,
    allowed: np.ndarray,
    site_cost: np.ndarray,
    *,
    drop_supersets: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """A coverage model's rows and sites without what cannot change its optimum.

    Rows covered by a forced site, rows no site covers and rows without weight are dropped;
    rows covered by the same free sites become one group (their weights summed); a free site
    whose rows another free site covers too, at no greater cost, is *dominated*: some optimal
    plan leaves it closed (open the other one instead). Among sites covering the same rows at
    the same cost the first is kept. With ``drop_supersets`` (set cover: every row must be
    covered, weights do not count) a group whose sites include another group's is dropped as
    well: covering the other covers it.

    Parameters
    ----------
    covers
        Demand rows x sites, true where the site covers the row (``allowed`` sites only count).
    weights
        Weight of each row (pupils).
    forced, allowed
        Sites that are open anyway / that may open.
    site_cost
        What opening each site costs (ones when only their number counts).

    Returns
    -------
    tuple
        ``(groups, group_weights, dominated, forced_weight)``: groups x sites (true only in the
        columns of free, undominated sites), the summed weight of each group, the dominated
        sites, and the weight the forced sites cover.
    """
    covers = np.asarray(covers, dtype=bool) & allowed[None, :]
    base = covers[:, forced].any(axis=1)
    free = np.flatnonzero(allowed & ~forced)
    live = ~base & covers[:, free].any(axis=1) & (weights > 0)
    sub = covers[np.ix_(np.flatnonzero(live), free)]
    if sub.shape[0]:
        _u, first, inverse = np.unique(
            np.packbits(sub, axis=1), axis=0, return_index=True, return_inverse=True
        )
        group_w: np.ndarray = np.bincount(
            inverse.ravel(), weights=weights[live], minlength=first.size
        ).astype(np.float64)
        sub = sub[first]
    else:
        group_w = np.zeros(0)
    cost = np.asarray(site_cost, dtype=np.float64)[free]
    keep = np.ones(free.size, dtype=bool)
    for _round in range(10):  # set cover: fewer rows may dominate more sites, and so on
        keep[np.flatnonzero(keep)[_dominated_columns(sub[:, keep], cost[keep])]] = False
        if not (drop_supersets and sub.shape[0]):
            break
        rows = _minimal_rows(sub[:, keep])
        if rows.size == sub.shape[0]:
            break
        sub, group_w = sub[rows], group_w[rows]
    dominated = np.zeros(allowed.size, dtype=bool)
    dominated[free[~keep]] = True
    groups = np.zeros((sub.shape[0], allowed.size), dtype=bool)
    groups[:, free[keep]] = sub[:, keep]
    return groups, group_w, dominated, float(weights[base].sum())


def _dominated_columns(sets: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Columns whose rows another column covers too at no greater cost (ties: the first stays)."""
    mat = sp.csr_array(sets.astype(np.float64))
    overlap = (mat.T @ mat).toarray()
    size = np.diag(overlap).copy()
    k = np.arange(sets.shape[1])
    inside = overlap >= size[:, None] - 0.5  # column j's rows all covered by column k
    cheaper = cost[None, :] < cost[:, None]
    same = cost[None, :] == cost[:, None]
    better = cheaper | (same & ((size[None, :] > size[:, None]) | (k[None, :] < k[:, None])))
    dom = inside & better
    np.fill_diagonal(dom, False)
    out: np.ndarray = dom.any(axis=1)
    return out


def _minimal_rows(sets: np.ndarray) -> np.ndarray:
    """Rows of a (distinct rows) boolean matrix whose true columns include no other row's."""
    n = sets.shape[0]
    by_col = sp.csc_array(sets.astype(np.int8))
    col_count = np.diff(by_col.indptr)
    size = sets.sum(axis=1)
    superset = np.zeros(n, dtype=bool)
    for r in np.argsort(size, kind="stable"):
        if superset[r] or size[r] == 0:
            continue
        cols = np.flatnonzero(sets[r])
        rare = cols[np.argmin(col_count[cols])]
        cand = by_col.indices[by_col.indptr[rare] : by_col.indptr[rare + 1]]
        cand = cand[(cand != r) & ~superset[cand]]
        if cand.size:
            inside = sets[np.ix_(cand, cols)].all(axis=1)
            superset[cand[inside]] = True
    out: np.ndarray = np.flatnonzero(~superset)
    return out
