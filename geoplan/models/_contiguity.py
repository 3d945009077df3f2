"""Contiguity of blocks on real maps: adjacency through digitising gaps and streets, pieces.

Real block maps rarely have coinciding boundaries: shared edges cross each other within a metre,
and street blocks stand 10-30 m apart. Two blocks are neighbours here when their **frontage** on
each other is long enough. The frontage of block ``a`` on block ``b`` is the length of ``a``'s
boundary whose nearest other block is ``b`` and lies within ``gap_tolerance_m``; the shared
frontage of a pair is the smaller of the two directions. On a clean map (gap 0) it is exactly the
length of the shared edge; on street blocks it is the length of street the two blocks face each
other across. A corner touch gives (almost) no frontage, so ``min_shared_m`` keeps corners apart.

It is measured by cutting every boundary into short segments (at most half of ``min_shared_m``
and 5 m, split at the polygons' own vertices) and finding, for each segment's midpoint, the
nearest other block within the tolerance (one ``STRtree`` query and vectorised distances); a
segment counts when it faces that block (its distance changes slowly along it), so the stretch
where a boundary turns away at the end of a frontage does not. Across a street, the frontage is
what the two blocks face each other across: at a junction it ends about a street width short of
the clean map's edge, so very short edges may need a lower ``min_shared_m``.
A block of several parts is one unit: its parts' frontages add up.
:func:`dissolved_pieces` is an independent check working on the dissolved geometry only.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

DEFAULT_GAP_TOLERANCE_M = 2.0
"""Boundaries closer than this (metres) count as touching (digitising gaps); ~30 for streets."""

DEFAULT_MIN_SHARED_M = 10.0
"""Shortest shared frontage (metres) that makes two blocks neighbours; corners never count."""


FACING_COS = 0.5
"""A segment faces a block when its distance to it changes by at most this per metre along it."""


def _values(geoms: gpd.GeoSeries | gpd.GeoDataFrame) -> np.ndarray:
    series = geoms.geometry if isinstance(geoms, gpd.GeoDataFrame) else geoms
    return np.asarray(series.values, dtype=object)


def _segments(
    values: np.ndarray, step_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Boundary segments of every polygon: owner position, start points, midpoints, lengths."""
    lines = shapely.segmentize(shapely.boundary(values), step_m)
    parts, owner = shapely.get_parts(lines, return_index=True)
    coords, part_of = shapely.get_coordinates(parts, return_index=True)
    same = part_of[1:] == part_of[:-1]
    start, end = coords[:-1][same], coords[1:][same]
    seg_owner = owner[part_of[:-1][same]]
    length = np.hypot(*(end - start).T)
    keep = length > 0
    return seg_owner[keep], start[keep], ((start + end) / 2.0)[keep], length[keep]


def shared_frontage(
    geoms: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    gap_tolerance_m: float = DEFAULT_GAP_TOLERANCE_M,
    min_shared_m: float = DEFAULT_MIN_SHARED_M,
) -> pd.DataFrame:
    """Shared frontage of every pair of polygons that face each other within the tolerance.

    Parameters
    ----------
    geoms
        Polygons or multi-polygons in a metric CRS, in the order the positions refer to.
    gap_tolerance_m
        Boundaries closer than this count as touching, metres.
    min_shared_m
        Sets the measuring step (half of it, at most 5 m); pairs below it are kept too.

    Returns
    -------
    pandas.DataFrame
        One row per pair ``a < b`` (positions) with ``shared_m``, the smaller of the two
        frontages, and ``gap_m``, the distance between the two polygons.
    """
    values = _values(geoms)
    empty = pd.DataFrame(
        {
            "a": np.zeros(0, np.int64),
            "b": np.zeros(0, np.int64),
            "shared_m": np.zeros(0),
            "gap_m": np.zeros(0),
        }
    )
    n = values.size
    if n < 2:
        return empty
    step = max(min(min_shared_m / 2.0, 5.0), 0.25)
    owner, start, mid, length = _segments(values, step)
    tree = shapely.STRtree(values)
    points = shapely.points(mid)
    # The nearest block to a midpoint on a shared edge is at distance ~0; ``dwithin`` needs a
    # positive distance, so a tiny floor keeps exact touches.
    pt, blk = tree.query(points, predicate="dwithin", distance=max(gap_tolerance_m, 1e-6))
    other = blk != owner[pt]
    pt, blk = pt[other], blk[other]
    if pt.size == 0:
        return empty
    dist = shapely.distance(points[pt], values[blk])
    order = np.lexsort((dist, pt))
    pt, blk, dist = pt[order], blk[order], dist[order]
    first = np.ones(pt.size, dtype=bool)
    first[1:] = pt[1:] != pt[:-1]
    pt, blk, dist = pt[first], blk[first], dist[first]
    # A segment faces its nearest block when its distance to it changes slowly along it (the
    # way across is more across than along it): where a boundary turns away at the end of a
    # frontage, it does not face it.
    away = np.flatnonzero(dist > 1e-9)
    slope = np.zeros(pt.size)
    slope[away] = np.abs(
        dist[away] - shapely.distance(shapely.points(start[pt[away]]), values[blk[away]])
    ) / (0.5 * length[pt[away]])
    facing = slope <= FACING_COS
    pt, blk = pt[facing], blk[facing]
    src, dst = owner[pt], blk
    code = src.astype(np.int64) * n + dst
    keys, inverse = np.unique(code, return_inverse=True)
    frontage = np.bincount(inverse, weights=length[pt])
    a, b = keys // n, keys % n
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    table = pd.DataFrame({"a": lo, "b": hi, "frontage": frontage})
    both = table.groupby(["a", "b"])["frontage"].agg(["min", "size"]).reset_index()
    both["shared_m"] = np.where(both["size"] == 2, both["min"], 0.0)
    both = both[both["shared_m"] > 0]
    ai, bi = both["a"].to_numpy(np.int64), both["b"].to_numpy(np.int64)
    return pd.DataFrame(
        {
            "a": ai,
            "b": bi,
            "shared_m": both["shared_m"].to_numpy(float),
            "gap_m": shapely.distance(values[ai], values[bi]),
        }
    )


def rook_adjacency(
    geoms: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    gap_tolerance_m: float = DEFAULT_GAP_TOLERANCE_M,
    min_shared_m: float = DEFAULT_MIN_SHARED_M,
) -> sp.csr_array:
    """Adjacency of blocks: neighbours face each other over ``min_shared_m`` within the tolerance.

    Parameters
    ----------
    geoms
        Polygons (a block of several parts is one unit) in a metric CRS, in the order the rows
        of the result follow.
    gap_tolerance_m
        Boundaries closer than this count as touching, metres (default 2; about 30 for street
        blocks separated by streets).
    min_shared_m
        Shortest shared frontage, metres, that makes two blocks neighbours (default 10, so
        corner touches never count).

    Returns
    -------
    scipy.sparse.csr_array
        Symmetric boolean ``n x n`` matrix, ``True`` where two polygons are neighbours.
    """
    n = _values(geoms).size
    table = shared_frontage(geoms, gap_tolerance_m=gap_tolerance_m, min_shared_m=min_shared_m)
    ok = table["shared_m"].to_numpy() >= min_shared_m
    return pairs_adjacency(table["a"].to_numpy()[ok], table["b"].to_numpy()[ok], n)


def pairs_adjacency(a: np.ndarray, b: np.ndarray, n: int) -> sp.csr_array:
    """Symmetric boolean adjacency of ``n`` units from pairs of positions."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    keep = a != b
    rows = np.concatenate([a[keep], b[keep]])
    cols = np.concatenate([b[keep], a[keep]])
    adj = sp.csr_array((np.ones(rows.size, dtype=bool), (rows, cols)), shape=(n, n))
    adj.sum_duplicates()
    return sp.csr_array(adj > 0)


def components_within(adjacency: sp.csr_array, nodes: np.ndarray) -> list[np.ndarray]:
    """Connected pieces of the sub-graph on ``nodes`` (each as an array of node numbers)."""
    nodes = np.asarray(nodes, dtype=np.int64)
    if nodes.size == 0:
        return []
    sub = adjacency[nodes][:, nodes]
    count, labels = connected_components(sub, directed=False)
    return [nodes[labels == k] for k in range(count)]


def dissolved_pieces(geoms: gpd.GeoSeries | gpd.GeoDataFrame, *, tolerance_m: float = 1.0) -> int:
    """Number of separate pieces of the dissolved polygons under the rook rule.

    The union is shrunk by half the tolerance, which cuts the necks narrower than the tolerance
    (corner touches and short shared edges), then its parts are counted. This check uses only the
    dissolved geometry, not :func:`rook_adjacency`; it is meant for clean maps (coinciding edges,
    single-part blocks), as an independent test.

    Parameters
    ----------
    geoms
        Polygons in a metric CRS, each wider than the tolerance.
    tolerance_m
        Shortest shared edge that joins two polygons, metres.

    Returns
    -------
    int
        ``1`` for a contiguous district, more when it falls apart, ``0`` when empty.
    """
    series = geoms.geometry if isinstance(geoms, gpd.GeoDataFrame) else geoms
    if len(series) == 0:
        return 0
    merged = shapely.union_all(np.asarray(series.values)).buffer(-tolerance_m / 2.0)
    if merged.is_empty:
        return 0
    return int(shapely.get_num_geometries(merged))
