"""Undeclared offset coordinates: GCJ-02 or BD-09 layers read as WGS-84.

Township offices often export villages and schools from Amap or Tencent maps (GCJ-02, offset
100-700 m from WGS-84) or Baidu maps (BD-09, GCJ-02 plus a further ~0.0065 degrees, about
1 km in all), and trace township boundaries on such a base map, without saying so. Read as
WGS-84 the points then join the wrong roads, and points near a boundary fall in the wrong
township. :func:`offset_problems` warns about such a layer (one warning per layer, naming the
offset system it looks like, and the ``coordinates:`` declaration that fixes it, in the column
mapping the folder is read with: the scenario's ``area.columns`` or the folder's
``columns.yaml``); it never converts anything itself. Each of :data:`OFFSET_CANDIDATES` is
tried; the one that helps most is named.

**Point layers** are tested against the roads (OSM, WGS-84): a layer whose median distance to
the nearest road falls markedly when its points are converted to WGS-84 was very likely in that
offset system. The thresholds were first measured on the demo county's roads
(``roads.osm.bz2``, 1,474 edges): its 116 villages, sampled 10-30 at a time (300 draws each)
and scattered off their roads by half-normal distances of spread 0-200 m, were tested as
WGS-84, shifted to GCJ-02, and jittered 300 m in random directions (noise, not GCJ-02).
Converted/given median ratios of layers of 10 or more points: WGS-84 1.3 or more (10th
percentile; never a warning), GCJ-02 within 100 m of the roads 0.4 or less (90th percentile),
jittered 0.5-1.6 (10th-90th). A ratio of at most 0.4 warns about 99-100 % of the GCJ-02 layers
whose points lie within 50 m of a road and 88-98 % of those within 100 m, against 0-3 % of the
jittered layers of 10 points and under 1 % of 20 or more (at most 0.5 warned 3-9 % of the
jittered layers of 10 points). Below 10 points the median is too noisy (5 jittered points:
10-21 % false warnings at 0.5), so smaller layers are not tested. The margins on long rural
roads (``tests/rural_roads.py``, with sparse villages 1-3 km off the road) and with BD-09 as a
second candidate are in ``BENCHMARKS.md``.

**Townships** (polygons) are tested against the points that name them: the villages, schools
and sites whose ``township`` column names a township (layers warned about themselves are left
out). Boundaries traced on an Amap or Baidu map lie offset from WGS-84 points, so the points
near a boundary fall outside the township they name; converting the boundaries to WGS-84 puts
them back inside. A candidate is warned about when converting the boundaries brings at least
:data:`MIN_FIXED` points into the township they name, takes at most :data:`BROKEN_SHARE` of that
many out of it, and converting them the other way (a shift of the same size in the opposite
direction: the control) brings at most that share inside. For WGS-84 boundaries the conversion
takes points out rather than in; points that name a neighbouring township near a boundary are
brought in as often by the control; points far outside their township (mistyped) are outside
either way and count for nothing. Only points near a boundary tell: a county whose villages all
lie farther from every boundary than the offset is not warned about (nor harmed by it).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from pyproj import CRS, Transformer

from geoplan.data.crs import (
    WGS84,
    bd09_to_wgs84,
    gcj02_to_wgs84,
    in_gcj_area,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geoplan.data.messages import coded_problem
from geoplan.errors import GeoplanError, Problem
from geoplan.network.roads import load_graph, road_lines

__all__ = [
    "BROKEN_SHARE",
    "MIN_FIXED",
    "MIN_POINTS",
    "OFFSET_CANDIDATES",
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

MIN_FIXED = 3
"""Townships: warn when converting the boundaries brings at least this many points inside ..."""

BROKEN_SHARE = 0.25
"""... takes at most this share of that many outside the township they name, and converting
them the other way (the control) brings at most this share of that many inside."""

POINT_LAYERS: tuple[str, ...] = ("villages", "schools", "sites")
"""The point layers tested."""

_Convert = Callable[[Any, Any], tuple[np.ndarray, np.ndarray]]

OFFSET_CANDIDATES: dict[str, _Convert] = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
"""The offset systems a layer is tested for, with their conversions to WGS-84."""

_FORWARD: dict[str, _Convert] = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}
"""The conversions the other way (WGS-84 to the offset system): the townships' control."""


def _median_road_m(tree: Any, xy: np.ndarray) -> float:
    _, dist = tree.query_nearest(
        shapely.points(xy[:, 0], xy[:, 1]), return_distance=True, all_matches=False
    )
    return float(np.median(dist))


def _road_medians(tree: Any, crs: Any, lonlat: np.ndarray) -> tuple[float, dict[str, float]]:
    """Median distance (m) of ``lonlat`` to the roads of ``tree`` (in ``crs``).

    As given, and converted from each of :data:`OFFSET_CANDIDATES`.
    """
    to_roads = Transformer.from_crs(WGS84, crs, always_xy=True)
    given = _median_road_m(tree, np.column_stack(to_roads.transform(*lonlat.T)))
    return given, {
        name: _median_road_m(
            tree, np.column_stack(to_roads.transform(*convert(lonlat[:, 0], lonlat[:, 1])))
        )
        for name, convert in OFFSET_CANDIDATES.items()
    }


def offset_problems(
    graph: nx.MultiDiGraph,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    files: Mapping[str, str] | None = None,
    declared: Mapping[str, str] | None = None,
    columns_file: str | os.PathLike[str] | None = None,
) -> list[Problem]:
    """A warning for each layer that looks like undeclared GCJ-02 or BD-09 coordinates.

    A point layer is tested when its column mapping declares no coordinate system for it and it
    has at least :data:`MIN_POINTS` points inside China's GCJ-02 area. It is warned about when,
    for the candidate of :data:`OFFSET_CANDIDATES` that brings its points nearest the roads,
    the median distance from those points to the nearest road of ``graph`` after the conversion
    to WGS-84 is at most :data:`OFFSET_RATIO` of the median as given and at least
    :data:`OFFSET_GAIN_M` smaller. The ``townships`` layer, when given and undeclared, is
    tested against the points that name their township (see the module's notes). The layers
    are not changed.

    Parameters
    ----------
    graph
        The road graph, in a projected CRS (its ``crs`` attribute).
    layers
        Layers by name; those of :data:`POINT_LAYERS` and ``townships`` are tested.
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
        One ``coordinates_look_gcj02`` or ``coordinates_look_bd09`` warning per such point
        layer, then one ``townships_look_gcj02`` or ``townships_look_bd09`` for the townships.
    """
    files = files or {}
    declared = declared or {}
    columns = str(columns_file) if columns_file is not None else "columns.yaml"
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
        tree = shapely.STRtree(lines) if tree is None else tree
        given_m, medians = _road_medians(tree, graph_crs, lonlat)
        best = min(medians, key=medians.__getitem__)
        converted_m = medians[best]
        _logger.debug(
            "Layer %s: median distance to the nearest road %.0f m as given, %s.",
            layer,
            given_m,
            ", ".join(f"{m:.0f} m as {name}" for name, m in medians.items()),
        )
        if converted_m <= OFFSET_RATIO * given_m and given_m - converted_m >= OFFSET_GAIN_M:
            file = files.get(layer, layer)
            problems.append(
                coded_problem(
                    "coordinates_look_bd09" if best == "bd09" else "coordinates_look_gcj02",
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
                    columns=columns,
                )
            )
    townships = layers.get("townships")
    if townships is not None and "townships" not in declared:
        warned = {p.layer for p in problems}
        named = {k: v for k, v in layers.items() if k in POINT_LAYERS and k not in warned}
        problem = _township_problem(townships, named, files.get("townships", "townships"), columns)
        if problem is not None:
            problems.append(problem)
    return problems


def _convert_geoms(geoms: np.ndarray, crs: Any, convert: _Convert) -> np.ndarray:
    """``geoms`` (in ``crs``) converted by ``convert`` from an offset system to WGS-84."""
    to_wgs = Transformer.from_crs(crs, WGS84, always_xy=True)
    back = Transformer.from_crs(WGS84, crs, always_xy=True)

    def _xy(xy: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs.transform(xy[:, 0], xy[:, 1])
        return np.column_stack(back.transform(*convert(lon, lat)))

    out: np.ndarray = shapely.transform(geoms, _xy)
    return out


def _township_counts(
    polys: np.ndarray, crs: Any, points: np.ndarray, where: np.ndarray
) -> tuple[int, dict[str, tuple[int, int, int, int]]]:
    """Points outside the township they name as given, and what converting changes.

    For each candidate of :data:`OFFSET_CANDIDATES` (the boundaries converted from it): the
    points brought inside, the points taken outside, the points then outside, and the points
    brought inside by converting the boundaries the other way (to the candidate: the control,
    as likely as the conversion to bring points in when the boundaries are WGS-84 and the
    points near them merely named at random).
    """
    inside = shapely.covers(polys[where], points)
    found: dict[str, tuple[int, int, int, int]] = {}
    for name, convert in OFFSET_CANDIDATES.items():
        now = shapely.covers(_convert_geoms(polys, crs, convert)[where], points)
        other = shapely.covers(_convert_geoms(polys, crs, _FORWARD[name])[where], points)
        found[name] = (
            int(np.sum(~inside & now)),
            int(np.sum(inside & ~now)),
            int(np.sum(~now)),
            int(np.sum(~inside & other)),
        )
    return int(np.sum(~inside)), found


def _named_points(
    townships: gpd.GeoDataFrame, layers: Mapping[str, gpd.GeoDataFrame]
) -> tuple[np.ndarray, np.ndarray]:
    """Points (in the townships' CRS) that name a known township, and the township's position."""
    position = {tid: k for k, tid in enumerate(townships.index)}
    points: list[Any] = []
    where: list[int] = []
    for gdf in layers.values():
        if "township" not in gdf.columns or gdf.crs is None or len(gdf) == 0:
            continue
        geoms = gdf.geometry.to_crs(townships.crs)
        for ref, geom in zip(gdf["township"], geoms, strict=True):
            k = position.get(ref) if isinstance(ref, Hashable) else None
            if k is None or geom is None or geom.is_empty or geom.geom_type != "Point":
                continue
            points.append(geom)
            where.append(k)
    return np.asarray(points, dtype=object), np.asarray(where, dtype=int)


def _township_problem(
    townships: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
    file: str,
    columns: str,
) -> Problem | None:
    """The warning for township boundaries offset from the points that name them, if any."""
    if townships.crs is None or len(townships) == 0 or not townships.index.is_unique:
        return None
    polys = townships.geometry.to_numpy()
    if not shapely.is_valid(polys).all() or not np.isin(shapely.get_type_id(polys), (3, 6)).all():
        return None  # reported by the validation; the offset is not measured on broken shapes
    centre = gpd.GeoSeries([shapely.union_all(polys).centroid], crs=townships.crs).to_crs(WGS84)
    lon, lat = float(centre.x.iloc[0]), float(centre.y.iloc[0])
    if not in_gcj_area(lon, lat):
        return None
    points, where = _named_points(townships, layers)
    if len(points) < MIN_POINTS:
        return None
    given, found = _township_counts(polys, townships.crs, points, where)
    _logger.debug(
        "Townships: %d of %d points outside the township they name as given; %s.",
        given,
        len(points),
        ", ".join(
            f"as {n}: {f} in, {b} out ({c} in the other way)" for n, (f, b, _, c) in found.items()
        ),
    )
    best = max(found, key=lambda n: found[n][0] - found[n][1])
    fixed, broken, outside, control = found[best]
    if fixed < MIN_FIXED or max(broken, control) > BROKEN_SHARE * fixed:
        return None
    cx, cy = OFFSET_CANDIDATES[best](lon, lat)
    shift_m = _metres(lon, lat, float(cx), float(cy))
    return coded_problem(
        "townships_look_bd09" if best == "bd09" else "townships_look_gcj02",
        file,
        "townships",
        "",
        "geometry",
        f"{given} -> {outside} of {len(points)} outside",
        severity="warning",
        outside=given,
        converted=outside,
        points=len(points),
        shift_m=f"{shift_m:.0f}",
        file=file,
        columns=columns,
    )


def _metres(lon: float, lat: float, lon2: float, lat2: float) -> float:
    """Distance in metres from ``lon``, ``lat`` to ``lon2``, ``lat2`` on the WGS-84 ellipsoid."""
    from pyproj import Geod

    _, _, dist = Geod(ellps="WGS84").inv(lon, lat, lon2, lat2)
    return float(dist)


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
