"""Rook contiguity of polygons: adjacency from shared edges, connectivity checks.

Two polygons are rook neighbours when their boundaries share a stretch longer than a tolerance
(default 1 m); touching at a corner or along a sliver shorter than the tolerance does not count.
The districting models use :func:`rook_adjacency`; :func:`dissolved_pieces` is an independent check
that works from the dissolved geometry only.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

DEFAULT_TOLERANCE_M = 1.0
"""Shortest shared edge, metres, that makes two blocks rook neighbours."""


def rook_adjacency(
    geoms: gpd.GeoSeries | gpd.GeoDataFrame, *, tolerance_m: float = DEFAULT_TOLERANCE_M
) -> sp.csr_array:
    """Rook adjacency of polygons: neighbours share an edge longer than ``tolerance_m``.

    Parameters
    ----------
    geoms
        Polygons in a projected (metric) CRS, in the order the rows of the result follow.
    tolerance_m
        Shortest shared boundary, metres, that counts as a shared edge.

    Returns
    -------
    scipy.sparse.csr_array
        Symmetric boolean ``n x n`` matrix, ``True`` where two polygons are neighbours.
    """
    series = geoms.geometry if isinstance(geoms, gpd.GeoDataFrame) else geoms
    n = len(series)
    values = np.asarray(series.values)
    if n == 0:
        return sp.csr_array((0, 0), dtype=bool)
    tree = shapely.STRtree(values)
    left, right = tree.query(values, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    boundaries = shapely.boundary(values)
    shared = shapely.length(shapely.intersection(boundaries[left], boundaries[right]))
    ok = shared > tolerance_m
    rows = np.concatenate([left[ok], right[ok]])
    cols = np.concatenate([right[ok], left[ok]])
    data = np.ones(rows.size, dtype=bool)
    return sp.csr_array((data, (rows, cols)), shape=(n, n))


def components_within(adjacency: sp.csr_array, nodes: np.ndarray) -> list[np.ndarray]:
    """Connected pieces of the sub-graph on ``nodes`` (each as an array of node numbers)."""
    nodes = np.asarray(nodes, dtype=np.int64)
    if nodes.size == 0:
        return []
    sub = adjacency[nodes][:, nodes]
    count, labels = connected_components(sub, directed=False)
    return [nodes[labels == k] for k in range(count)]


def dissolved_pieces(
    geoms: gpd.GeoSeries | gpd.GeoDataFrame, *, tolerance_m: float = DEFAULT_TOLERANCE_M
) -> int:
    """Number of separate pieces of the dissolved polygons under the rook rule.

    The union is shrunk by half the tolerance, which cuts the necks narrower than the tolerance
    (corner touches and short shared edges), then its parts are counted. This check uses only the
    dissolved geometry, not :func:`rook_adjacency`.

    Parameters
    ----------
    geoms
        Polygons in a metric CRS, each wider than the tolerance.
    tolerance_m
        Shortest shared edge, metres, that joins two polygons.

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
