"""Undeclared GCJ-02 points: a point layer that lies nearer the roads once converted to WGS-84.

Township offices often export villages and schools from Amap or Tencent maps, whose coordinates
are GCJ-02 (offset 100-700 m from WGS-84), without saying so. Read as WGS-84 the points then
join the wrong roads. Road networks (OSM) are WGS-84, so the roads tell: a layer whose median
distance to the nearest road falls markedly when its points are converted from GCJ-02 to WGS-84
was very likely GCJ-02. :func:`offset_problems` warns about such a layer (one warning per
layer, with both medians and the ``coordinates:`` declaration that fixes it, in the column
mapping the folder is read with: the scenario's ``area.columns`` or the folder's
``columns.yaml``); it never converts anything itself.

The thresholds were measured on the demo county's roads (``roads.osm.bz2``, 1,474 edges): its
116 villages, sampled 10-30 at a time (300 draws each) and scattered off their roads by
half-normal distances of spread 0-200 m, were tested as WGS-84, shifted to GCJ-02, and jittered
300 m in random directions (noise, not GCJ-02). Converted/given median ratios of layers of 10
or more points: WGS-84 1.3 or more (10th percentile; never a warning), GCJ-02 within 100 m of
the roads 0.4 or less (90th percentile), jittered 0.5-1.6 (10th-90th). A ratio of at most 0.4
warns about 99-100 % of the GCJ-02 layers whose points lie within 50 m of a road and
88-98 % of those within 100 m, against 0-3 % of the jittered layers of 10 points and under 1 %
of 20 or more (at most 0.5 warned 3-9 % of the jittered layers of 10 points). Below 10 points
the median is too noisy (5 jittered points: 10-21 % false warnings at 0.5), so smaller layers
are not tested.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
from pyproj import CRS, Transformer

from geoplan.data.crs import WGS84, gcj02_to_wgs84, in_gcj_area
from geoplan.data.messages import coded_problem
from geoplan.errors import GeoplanError, Problem
from geoplan.network.roads import load_graph, road_lines

__all__ = [
    "MIN_POINTS",
    "OFFSET_GAIN_M",
    "OFFSET_RATIO",
    "POINT_LAYERS",
    "folder_offset_problems",
    "offset_problems",
]

_logger = logging.getLogger(__name__)

OFFSET_RATIO = 0.4
"""Warn when the converted median distance to the roads is at most this share of the given one."""

OFFSET_GAIN_M = 50.0
"""... and at least this many metres smaller (points on the roads either way are not tested)."""

MIN_POINTS = 10
"""Layers with fewer points in China's GCJ-02 area are not tested (their median is noise)."""

POINT_LAYERS: tuple[str, ...] = ("villages", "schools", "sites")
"""The point layers tested."""


def _median_road_m(tree: Any, xy: np.ndarray) -> float:
    import shapely

    _, dist = tree.query_nearest(
        shapely.points(xy[:, 0], xy[:, 1]), return_distance=True, all_matches=False
    )
    return float(np.median(dist))


def offset_problems(
    graph: nx.MultiDiGraph,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    files: Mapping[str, str] | None = None,
    declared: Mapping[str, str] | None = None,
    columns_file: str | os.PathLike[str] | None = None,
) -> list[Problem]:
    """A warning for each point layer that looks like undeclared GCJ-02 coordinates.

    A layer is tested when its column mapping declares no coordinate system for it and it has at
    least :data:`MIN_POINTS` points inside China's GCJ-02 area. It is warned about when the
    median distance from those points to the nearest road of ``graph`` after the GCJ-02 to
    WGS-84 conversion is at most :data:`OFFSET_RATIO` of the median as given and at least
    :data:`OFFSET_GAIN_M` smaller. The layers are not changed.

    Parameters
    ----------
    graph
        The road graph, in a projected CRS (its ``crs`` attribute).
    layers
        Layers by name; those of :data:`POINT_LAYERS` are tested.
    files
        The file each layer was read from, named in the warning (default: the layer's name).
    declared
        The coordinate system declared for each layer (``PlanningArea.coordinates``); a layer
        listed here is not tested.
    columns_file
        The column mapping the layers were read with (``PlanningArea.columns_file``), which the
        fix names as the place of the declaration (default: ``columns.yaml``).

    Returns
    -------
    list of Problem
        One ``coordinates_look_gcj02`` warning per such layer.
    """
    import shapely

    files = files or {}
    declared = declared or {}
    graph_crs = graph.graph.get("crs")
    if graph_crs is None or not CRS.from_user_input(graph_crs).is_projected:
        _logger.debug("The road graph is not in a projected CRS; GCJ-02 check skipped.")
        return []
    lines = road_lines(graph)
    if len(lines) == 0:
        return []
    tree: Any = None
    problems: list[Problem] = []
    for layer in POINT_LAYERS:
        gdf = layers.get(layer)
        if gdf is None or layer in declared or gdf.crs is None or len(gdf) < MIN_POINTS:
            continue
        geoms = gdf.geometry
        points = geoms[geoms.notna() & ~geoms.is_empty & (geoms.geom_type == "Point")]
        lonlat = shapely.get_coordinates(points.to_crs(WGS84).to_numpy())
        lonlat = lonlat[in_gcj_area(lonlat[:, 0], lonlat[:, 1])]
        if len(lonlat) < MIN_POINTS:
            continue
        to_roads = Transformer.from_crs(WGS84, graph_crs, always_xy=True)
        given = np.column_stack(to_roads.transform(lonlat[:, 0], lonlat[:, 1]))
        converted = np.column_stack(to_roads.transform(*gcj02_to_wgs84(lonlat[:, 0], lonlat[:, 1])))
        tree = shapely.STRtree(lines) if tree is None else tree
        given_m = _median_road_m(tree, given)
        converted_m = _median_road_m(tree, converted)
        _logger.debug(
            "Layer %s: median distance to the nearest road %.0f m as given, %.0f m as GCJ-02.",
            layer,
            given_m,
            converted_m,
        )
        if converted_m <= OFFSET_RATIO * given_m and given_m - converted_m >= OFFSET_GAIN_M:
            file = files.get(layer, layer)
            problems.append(
                coded_problem(
                    "coordinates_look_gcj02",
                    file,
                    layer,
                    "",
                    "coordinates",
                    f"{given_m:.0f} m -> {converted_m:.0f} m",
                    severity="warning",
                    layer=layer,
                    points=len(lonlat),
                    given_m=f"{given_m:.0f}",
                    converted_m=f"{converted_m:.0f}",
                    file=file,
                    columns=str(columns_file) if columns_file is not None else "columns.yaml",
                )
            )
    return problems


def folder_offset_problems(
    layers: Mapping[str, gpd.GeoDataFrame], info: Mapping[str, Any]
) -> list[Problem]:
    """:func:`offset_problems` for a folder read by :func:`geoplan.data.readers.read_layers`.

    Reads the folder's road file (``info["roads_path"]``, cached as every command reads it)
    in the folder's metric CRS. Without a road file or a CRS nothing is tested; a road file
    that cannot be read is logged and skipped (``geoplan run`` reports it).

    Parameters
    ----------
    layers
        The layers :func:`~geoplan.data.readers.read_layers` returns.
    info
        Its ``info``: ``roads_path``, ``crs``, ``files``, ``coordinates`` and ``columns_file``.
    """
    roads_path = info.get("roads_path")
    crs = info.get("crs")
    if roads_path is None or crs is None:
        return []
    try:
        graph = load_graph(roads_path, to_crs=crs)
    except GeoplanError as err:
        _logger.warning(
            "Road file %s not read, so the GCJ-02 check is skipped: %s", roads_path, err
        )
        return []
    return offset_problems(
        graph,
        layers,
        files=info.get("files"),
        declared=info.get("coordinates"),
        columns_file=info.get("columns_file"),
    )
