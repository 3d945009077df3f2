"""Journeys on small hand-made OSM extracts shaped like a real county, against the exact answer.

Each test writes a few OSM ways (coordinates in metres east and north of 86.5°E 42.3°N, in
UTM 45N) with the tags a Xinjiang extract carries, loads them with ``load_graph`` and checks the
travel matrix against the oracle of ``tests/rural_roads.py`` (networkx on the unsimplified graph,
every point spliced into its nearest segment, access legs as the design defines them) run on
osmnx's *unsimplified* graph of the same file, and against figures worked by hand.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest
from pyproj import Transformer
from rural_roads import exact_matrix
from shapely import Point

import geoplan.network.roads as roads_module
from geoplan.data.messages import problem_text
from geoplan.errors import NetworkError
from geoplan.network.modes import MODES
from geoplan.network.roads import load_graph
from geoplan.network.travel import travel_matrix

CRS = "EPSG:32645"
LON0, LAT0 = 86.5, 42.3
_TO_UTM = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)


def lonlat(x_m: float, y_m: float) -> tuple[float, float]:
    """Longitude and latitude ``x_m`` east and ``y_m`` north of 86.5°E 42.3°N."""
    lat = LAT0 + y_m / 111_132.0
    return LON0 + x_m / (111_320.0 * math.cos(math.radians(LAT0))), lat


def write_osm(
    path: Path,
    nodes: dict[int, tuple[float, float]],
    ways: list[tuple[int, list[int], dict[str, str]]],
    node_tags: dict[int, dict[str, str]] | None = None,
) -> Path:
    """An OSM XML file of ``nodes`` (id: metres east, north) and ``ways`` (id, refs, tags)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    for nid, (x, y) in nodes.items():
        lon, lat = lonlat(x, y)
        tags = "".join(
            f"<tag k={quoteattr(k)} v={quoteattr(v)}/>"
            for k, v in (node_tags or {}).get(nid, {}).items()
        )
        lines.append(f'<node id="{nid}" version="1" lat="{lat:.8f}" lon="{lon:.8f}">{tags}</node>')
    for wid, refs, way_tags in ways:
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        tags = "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in way_tags.items())
        lines.append(f'<way id="{wid}" version="1">{nds}{tags}</way>')
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def places(coords: dict[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    """Points at metres east and north of the origin, in UTM 45N, indexed by id."""
    return gpd.GeoDataFrame(
        geometry=[Point(*_TO_UTM.transform(*lonlat(x, y))) for x, y in coords.values()],
        index=pd.Index(list(coords), name="id"),
        crs=CRS,
    )


def unsimplified(path: Path) -> nx.MultiDiGraph:
    """osmnx's graph of ``path`` with a node at every OSM node, lengths as geoplan's, in UTM."""
    settings = ox.settings
    saved = (settings.useful_tags_way, settings.useful_tags_node)
    try:
        settings.useful_tags_way = sorted({*saved[0], *roads_module._ACCESS_WAY_TAGS})
        settings.useful_tags_node = sorted({*saved[1], *roads_module._ACCESS_NODE_TAGS})
        g = ox.graph_from_xml(path, retain_all=True, simplify=False)
    finally:
        settings.useful_tags_way, settings.useful_tags_node = saved
    roads_module._ellipsoidal_lengths(g)  # geoplan measures along the ellipsoid
    return ox.project_graph(g, to_crs=CRS)


def assert_exact(path: Path, origins: Any, destinations: Any, **kwargs: Any) -> None:
    """Every mode's minutes and metres equal the oracle's on the unsimplified graph."""
    graph = load_graph(path, to_crs=CRS, use_cache=False)
    base = unsimplified(path)
    for name, mode in MODES.items():
        m = travel_matrix(graph, origins, destinations, mode=mode, use_cache=False, **kwargs)
        for weight, got in (("minutes", m.minutes_array()), ("metres", m.metres_array())):
            want = exact_matrix(base, mode, origins, destinations, weight=weight, **kwargs)
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-3, err_msg=f"{name} {weight}")


def test_a_road_changing_class_mid_way_keeps_each_stretchs_speed(tmp_path: Path) -> None:
    # a tertiary road 20 km east, running on as a 2 km track and a 1 km footpath, no junction
    # between them; a side road at 10 km
    nodes = {i: (i * 1000.0, 0.0) for i in range(24)} | {50: (10_000.0, 1000.0)}
    ways = [
        (1, list(range(21)), {"highway": "tertiary"}),
        (2, [20, 21, 22], {"highway": "track"}),
        (3, [22, 23], {"highway": "footway"}),
        (4, [10, 50], {"highway": "unclassified"}),
    ]
    path = write_osm(tmp_path / "class_change.osm", nodes, ways)
    village = places({"v": (0.0, 0.0)})
    schools = places({"end_of_track": (22_000.0, 0.0), "end_of_path": (23_000.0, 0.0)})
    graph = load_graph(path, to_crs=CRS, use_cache=False)
    assert all(isinstance(hw, str) for _, _, hw in graph.edges(data="highway"))
    bus = travel_matrix(graph, village, schools, mode="school_bus", use_cache=False)
    road_m = bus.metres_array()[0]
    # 20 km at 40 km/h and 2 km at 15 km/h, not 22 km at the track's 15 (88 min); the bus
    # never drives the footpath: its last 1 km is walked (x 1.3 at 4 km/h)
    assert bus.minutes_array()[0, 0] == pytest.approx(30.0 + 8.0, rel=0.002)
    assert bus.minutes_array()[0, 1] == pytest.approx(38.0 + 1300.0 / (4000 / 60), rel=0.002)
    assert road_m[0] == pytest.approx(22_000.0, rel=0.002)
    assert_exact(path, village, schools)


def test_a_road_of_two_ways_end_to_end_routes(tmp_path: Path) -> None:
    # two OSM ways meeting end to end and nothing else: one edge carrying osmid [1, 2] each way
    nodes = {i: (i * 1000.0, 0.0) for i in range(5)}
    ways = [(1, [0, 1, 2], {"highway": "tertiary"}), (2, [2, 3, 4], {"highway": "tertiary"})]
    path = write_osm(tmp_path / "two_ways.osm", nodes, ways)
    village, school = places({"v": (0.0, 0.0)}), places({"s": (4000.0, 0.0)})
    graph = load_graph(path, to_crs=CRS, use_cache=False)
    car = travel_matrix(graph, village, school, mode="car", use_cache=False)
    assert car.minutes_array()[0, 0] == pytest.approx(4000.0 / (40_000 / 60), rel=0.002)
    assert_exact(path, village, school)


def test_a_school_beside_the_end_of_a_one_way_street_is_reached_from_the_junction(
    tmp_path: Path,
) -> None:
    # a one-way street runs east along y = 0 to junction J (5000, 0); a two-way road runs north
    # from J to the village, and a loop (west, then south) brings cars back to the street's start
    nodes = {i: (i * 500.0, 0.0) for i in range(11)}
    nodes |= {20: (5000.0, 3000.0), 21: (0.0, 3000.0)}
    ways = [
        (1, list(range(11)), {"highway": "secondary", "oneway": "yes"}),
        (2, [10, 20], {"highway": "tertiary"}),
        (3, [20, 21, 0], {"highway": "tertiary"}),
    ]
    path = write_osm(tmp_path / "one_way_end.osm", nodes, ways)
    village = places({"v": (5000.0, 3000.0)})
    # 10 m south of J: its nearest point on the one-way street falls millimetres short of J
    schools = places({"beside_j": (5000.0, -10.0), "on_j": (5000.0, 0.0)})
    graph = load_graph(path, to_crs=CRS, use_cache=False)
    car = travel_matrix(graph, village, schools, mode="car", use_cache=False)
    # 3 km south at 40 km/h, then the 10 m leg walked (x 1.3 at 4 km/h); not 13 km round
    assert car.minutes_array()[0, 0] == pytest.approx(4.5 + 13.0 / (4000 / 60), rel=0.002)
    assert car.minutes_array()[0, 1] == pytest.approx(4.5, rel=0.002)
    assert car.destination_access["fraction"].isin([0.0, 1.0]).all()
    assert_exact(path, village, schools)


def test_a_village_and_its_school_on_a_road_cut_off_from_the_rest_reach_each_other(
    tmp_path: Path,
) -> None:
    # the county's roads end at a river (x = 4 km); across it, 2 km east, a valley road of its
    # own (the ferry or a bridge missing from the extract); a village and a school stand on
    # that road, 1 km apart
    nodes = {i: (i * 1000.0, 0.0) for i in range(5)} | {i: (i * 1000.0, 0.0) for i in range(6, 11)}
    ways = [
        (1, [0, 1, 2, 3, 4], {"highway": "tertiary"}),
        (2, [6, 7, 8, 9, 10], {"highway": "unclassified"}),
        (3, [2, 20], {"highway": "track"}),  # a side road: the county's part is the larger
    ]
    nodes[20] = (2000.0, 1500.0)
    path = write_osm(tmp_path / "valley.osm", nodes, ways)
    villages = places({"valley": (8000.0, 50.0), "town": (500.0, 0.0)})
    schools = places({"valley_school": (9000.0, 0.0), "town_school": (0.0, 0.0)})
    graph = load_graph(path, to_crs=CRS, use_cache=False)
    walk = travel_matrix(graph, villages, schools, mode="pupil_walk", use_cache=False)
    minutes = walk.minutes_frame()
    # 50 m leg (x 1.3) and 1 km along the valley road at 4 km/h; not unreachable
    assert minutes.loc["valley", "valley_school"] == pytest.approx(
        (65.0 + 1000.0) / (4000 / 60), rel=0.002
    )
    assert np.isinf(minutes.loc["valley", "town_school"])
    assert np.isinf(minutes.loc["town", "valley_school"])
    access = walk.origin_access
    assert not access.loc["valley", "on_network"] and access.loc["valley", "way_id"] == 2
    assert "does not connect to the main pupil_walk network" in access.loc["valley", "reason"]
    assert_exact(path, villages, schools)


@pytest.mark.parametrize("first", ["primary", "track"])
def test_a_village_beside_a_road_mapped_twice_takes_the_faster(tmp_path: Path, first: str) -> None:
    # the same line mapped twice (a primary road and, on the same nodes, a track), whichever
    # the file lists first; a loop back closes the network
    nodes = {20: (0.0, 0.0), 21: (3000.0, 0.0), 22: (3000.0, 1000.0), 23: (0.0, 1000.0)}
    second = "track" if first == "primary" else "primary"
    ways = [
        (4, [20, 21], {"highway": first}),
        (5, [20, 21], {"highway": second}),
        (6, [21, 22, 23, 20], {"highway": "unclassified"}),
    ]
    path = write_osm(tmp_path / "mapped_twice.osm", nodes, ways)
    village, school = places({"v": (1500.0, 20.0)}), places({"s": (3000.0, 0.0)})
    graph = load_graph(path, to_crs=CRS, use_cache=False)
    car = travel_matrix(graph, village, school, mode="car", use_cache=False)
    assert car.origin_access.loc["v", "highway"] == "primary"
    # 1.5 km at 60 km/h and the 20 m leg (x 1.3 at 4 km/h); not 1.5 km at the track's 15
    assert car.minutes_array()[0, 0] == pytest.approx(1.5 + 26.0 / (4000 / 60), rel=0.002)
    assert_exact(path, village, school)


def test_a_ferry_dropped_from_the_roads_is_reported_and_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # a road to the river, a ferry across (route=ferry, no highway tag), a road beyond
    nodes = {i: (i * 1000.0, 0.0) for i in range(6)} | {9: (500.0, 500.0), 10: (0.0, 600.0)}
    ways = [
        (1, [0, 1, 2], {"highway": "tertiary"}),
        (2, [2, 3], {"route": "ferry", "motor_vehicle": "yes"}),
        (3, [3, 4, 5], {"highway": "tertiary"}),
        (4, [9, 10], {"building": "yes"}),
    ]
    path = write_osm(tmp_path / "ferry.osm", nodes, ways)
    with caplog.at_level("WARNING", logger="geoplan.network.roads"):
        graph = load_graph(path, to_crs=CRS, use_cache=False)
    report = roads_module.load_report(graph)
    assert report is not None
    assert report.dropped_ways == {"route=ferry": 1, "no highway tag": 1}
    assert "1 ferry route(s) dropped (OSM way 2)" in caplog.text
    assert "no journey crosses by ferry" in caplog.text


def test_a_bus_on_an_extract_of_paths_only_is_refused_naming_the_classes(tmp_path: Path) -> None:
    nodes = {i: (i * 1000.0, 0.0) for i in range(5)}
    ways = [(1, [0, 1, 2], {"highway": "path"}), (2, [2, 3, 4], {"highway": "footway"})]
    path = write_osm(tmp_path / "paths.osm", nodes, ways)
    graph = load_graph(path, to_crs=CRS, use_cache=False)
    village, school = places({"v": (0.0, 0.0)}), places({"s": (4000.0, 0.0)})
    with pytest.raises(NetworkError) as err:
        travel_matrix(graph, village, school, mode="school_bus", use_cache=False)
    text = str(err.value)
    assert "no road in the graph is open to this mode" in text
    assert "the graph's edges (each direction counted) are path (2), footway (2)" in text
    assert "(0 closed to it by OSM access tags, 0 by the scenario's closures)" in text
    assert "Fix: Give a road file holding the roads this mode uses" in text
    (problem,) = err.value.problems  # in the catalogue: the refusal reads in Chinese too
    zh = problem_text(problem, "zh")
    assert zh[0].startswith("出行方式 school_bus:路网中没有这种方式可走的道路")
    assert "路段(每个方向各计一次)为 path (2), footway (2)" in zh[0]
    assert "travel.modes" in zh[1]
    walk = travel_matrix(graph, village, school, mode="pupil_walk", use_cache=False)
    assert walk.minutes_array()[0, 0] == pytest.approx(60.0, rel=0.002)  # 4 km at 4 km/h


def test_an_osmnx_graphml_in_lon_lat_is_measured_as_the_osm_file_is(tmp_path: Path) -> None:
    # osmnx measures lengths on a sphere (0.26 % short east-west here); geoplan's OSM reader
    # along the WGS-84 ellipsoid: the same roads saved as GraphML must give the same journeys
    nodes = {i: (i * 1000.0, 0.0) for i in range(6)} | {10: (5000.0, 3000.0)}
    ways = [(1, list(range(6)), {"highway": "tertiary"}), (2, [5, 10], {"highway": "track"})]
    path = write_osm(tmp_path / "roads.osm", nodes, ways)
    ox.save_graphml(ox.graph_from_xml(path, retain_all=True), tmp_path / "roads.graphml")
    village, school = places({"v": (0.0, 0.0)}), places({"s": (5000.0, 3000.0)})
    journeys = [
        travel_matrix(
            load_graph(tmp_path / name, to_crs=CRS, use_cache=False),
            village,
            school,
            mode="pupil_walk",
            use_cache=False,
        ).metres_array()[0, 0]
        for name in ("roads.osm", "roads.graphml")
    ]
    assert journeys[1] == pytest.approx(journeys[0], rel=1e-6)
