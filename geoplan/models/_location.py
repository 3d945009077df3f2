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
