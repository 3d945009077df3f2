"""Undeclared GCJ-02 / BD-09 layers on long rural roads, and township boundaries traced on them.

Networks: ``tests/rural_roads.py`` (junctions 1-10 km apart, winding roads, villages on the
roads, 4 % 300-1500 m off them; near 85.8 E, 42.4 N, where GCJ-02 moves points about 250 m and
BD-09 about 1.1 km). Each layer is tested as the WGS-84 truth, shifted forward to GCJ-02 (as
Amap gives it) and to BD-09 (as Baidu does): the detector must name the system it is in and
must not warn about the truth. The oracles: the median distance of the shifted points to the
roads, computed here, and the truth's own median, which the exact inverse must give back; for
townships, the villages each shifted (or true) polygon covers, counted here row by row. The
margins over 40 seeds are measured by ``benchmarks/offsets.py`` (``BENCHMARKS.md``).
"""

from __future__ import annotations

import re

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from rural_roads import as_offset, in_township, move_off_road, rural_network, rural_townships

from geoplan.data.crs import WGS84
from geoplan.data.messages import problem_text
from geoplan.network.offsets import offset_problems
from geoplan.network.roads import road_lines

_HAN = re.compile(r"[\u4e00-\u9fff]")
SYSTEMS = ("gcj02", "bd09")
NAMES = {"gcj02": "GCJ-02", "bd09": "BD-09"}


def _median_road_m(graph: nx.MultiDiGraph, gdf: gpd.GeoDataFrame) -> float:
    _, dist = shapely.STRtree(road_lines(graph)).query_nearest(
        gdf.geometry.to_numpy(), return_distance=True, all_matches=False
    )
    return float(np.median(dist))


@pytest.mark.parametrize("seed", [3, 11])
@pytest.mark.parametrize("sparse_share", [0.0, 0.3])
def test_point_layers_on_rural_roads_are_named_by_their_system(
    seed: int, sparse_share: float
) -> None:
    """On the roads, or with 30 % of the villages 1-3 km off them."""
    graph, villages, _ = rural_network(seed)
    villages = move_off_road(villages, sparse_share, seed, low_m=1000.0, high_m=3000.0)
    assert offset_problems(graph, {"villages": villages}) == []  # the truth: no false alarm
    truth_m = _median_road_m(graph, villages)
    for system in SYSTEMS:
        shifted = as_offset(villages, system)
        given = _median_road_m(graph, shifted)
        (problem,) = offset_problems(graph, {"villages": shifted}, files={"villages": "v.csv"})
        assert problem.code == f"coordinates_look_{system}"
        params = dict(problem.params)
        assert params["given_m"] == f"{given:.0f}"
        assert abs(float(params["converted_m"]) - truth_m) <= 1  # the inverse gives the truth
        assert f"after converting {NAMES[system]} to WGS-84" in problem.message
        assert f"`coordinates: {{villages: {system}}}`" in problem.fix
        assert "v.csv" in problem.fix
        message, fix = problem_text(problem, "zh")
        assert f"按 {NAMES[system]} 转为 WGS-84 后" in message and _HAN.search(fix)
        assert f"`coordinates: {{villages: {system}}}`" in fix


@pytest.mark.parametrize("seed", [3, 11])
def test_sparse_villages_1_to_3_km_off_the_road_are_not_taken_for_an_offset(seed: int) -> None:
    graph, villages, _ = rural_network(seed)
    sparse = move_off_road(villages, 1.0, seed, low_m=1000.0, high_m=3000.0)
    assert _median_road_m(graph, sparse) > 400  # well off the roads (GCJ-02 moves ~250 m)
    assert offset_problems(graph, {"villages": sparse}) == []


def _border_villages(townships: gpd.GeoDataFrame, n: int, seed: int) -> gpd.GeoDataFrame:
    """``n`` villages 30-120 m from a boundary between two townships (a river, say)."""
    rng = np.random.default_rng(seed)
    geoms = townships.geometry.to_numpy()
    shared = [
        line
        for i in range(len(geoms))
        for j in range(i + 1, len(geoms))
        if (line := geoms[i].boundary.intersection(geoms[j].boundary)).length > 1000
    ]
    points = []
    for _ in range(n):
        line = shared[int(rng.integers(len(shared)))]
        at = line.interpolate(rng.uniform(0.1, 0.9), normalized=True)
        angle, off = rng.uniform(0, 2 * np.pi), rng.uniform(30.0, 120.0)
        points.append(shapely.Point(at.x + off * np.cos(angle), at.y + off * np.sin(angle)))
    ids = [f"b{i}" for i in range(n)]
    return gpd.GeoDataFrame(geometry=points, index=ids, crs=townships.crs)


@pytest.fixture(scope="module")
def county() -> tuple[nx.MultiDiGraph, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Roads, nine townships and WGS-84 villages naming the township they lie in, 15 of them
    within 120 m of a boundary."""
    graph, villages, _ = rural_network(5)
    townships = rural_townships(graph, 5)
    both = gpd.GeoDataFrame(
        geometry=[*villages.geometry, *_border_villages(townships, 15, 5).geometry],
        index=[*villages.index, *[f"b{i}" for i in range(15)]],
        crs=villages.crs,
    )
    return graph, townships, in_township(both, townships)


def _outside(townships: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> int:
    """Villages the township they name does not cover, counted row by row."""
    return sum(
        not townships.geometry[ref].covers(point)
        for ref, point in zip(villages["township"], villages.geometry, strict=True)
    )


def test_wgs84_townships_are_not_warned_about(
    county: tuple[nx.MultiDiGraph, gpd.GeoDataFrame, gpd.GeoDataFrame],
) -> None:
    graph, townships, villages = county
    assert _outside(townships, villages) == 0
    assert offset_problems(graph, {"villages": villages, "townships": townships}) == []


@pytest.mark.parametrize("system", SYSTEMS)
def test_townships_traced_on_a_web_map_are_named_with_the_shift_and_the_fix(
    county: tuple[nx.MultiDiGraph, gpd.GeoDataFrame, gpd.GeoDataFrame], system: str
) -> None:
    graph, townships, villages = county
    shifted = as_offset(townships, system)
    outside = _outside(shifted, villages)
    assert outside >= 5  # the border villages fall out of their townships
    layers = {"villages": villages, "townships": shifted}
    (problem,) = offset_problems(graph, layers, files={"townships": "townships.kml"})
    assert problem.code == f"townships_look_{system}" and problem.severity == "warning"
    assert (problem.file, problem.layer, problem.column) == (
        "townships.kml",
        "townships",
        "geometry",
    )
    params = dict(problem.params)
    assert (params["outside"], params["converted"]) == (str(outside), "0")
    assert params["points"] == str(len(villages))
    centre = gpd.GeoSeries(
        [shapely.union_all(townships.geometry).centroid], crs=townships.crs
    ).to_crs(WGS84)
    moved = as_offset(gpd.GeoDataFrame(geometry=centre), system).to_crs(townships.crs)
    shift = float(moved.geometry.iloc[0].distance(centre.to_crs(townships.crs).iloc[0]))
    assert abs(float(params["shift_m"]) - shift) <= 2
    assert f"from {NAMES[system]} to WGS-84 (a shift of {params['shift_m']} m)" in problem.message
    assert f"`coordinates: {{townships: {system}}}`" in problem.fix
    assert "townships.kml" in problem.fix and "columns.yaml" in problem.fix
    message, fix = problem_text(problem, "zh")
    assert f"按原边界有 {outside} 个" in message and f"平移 {params['shift_m']} 米" in message
    assert f"`coordinates: {{townships: {system}}}`" in fix and _HAN.search(fix)
    assert offset_problems(graph, layers, declared={"townships": system}) == []
    assert offset_problems(graph, layers, declared={"townships": "wgs84"}) == []


def test_mistyped_townships_far_away_count_for_nothing(
    county: tuple[nx.MultiDiGraph, gpd.GeoDataFrame, gpd.GeoDataFrame],
) -> None:
    graph, townships, villages = county
    mistyped = villages.copy()
    depth = [
        townships.geometry[ref].exterior.distance(point)
        for ref, point in zip(villages["township"], villages.geometry, strict=True)
    ]
    far = list(villages.index[np.asarray(depth) > 3000][:3])
    others = {ref: next(t for t in townships.index if t != ref) for ref in townships.index}
    mistyped.loc[far, "township"] = [others[r] for r in mistyped.loc[far, "township"]]
    assert _outside(townships, mistyped) == 3
    assert offset_problems(graph, {"villages": mistyped, "townships": townships}) == []
    shifted = as_offset(townships, "gcj02")
    (problem,) = offset_problems(graph, {"villages": mistyped, "townships": shifted})
    assert dict(problem.params)["converted"] == "3"


def test_villages_offset_themselves_are_not_used_to_judge_the_townships(
    county: tuple[nx.MultiDiGraph, gpd.GeoDataFrame, gpd.GeoDataFrame],
) -> None:
    """Amap villages beside surveyed townships: the villages are warned about, not the townships."""
    graph, townships, villages = county
    amap = as_offset(villages, "gcj02")
    problems = offset_problems(graph, {"villages": amap, "townships": townships})
    assert [p.code for p in problems] == ["coordinates_look_gcj02"]
