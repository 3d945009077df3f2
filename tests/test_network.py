"""Tests of geoplan.network.modes: loading real OSM extracts, road layers, modes, snapping."""

from __future__ import annotations

import bz2
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest
from shapely import LineString, Point

import geoplan.network.roads as roads_module
from geoplan.errors import MissingInputError, NetworkError
from geoplan.network.modes import (
    CAR,
    CHILD_WALK,
    MOTOR_SPEEDS_KPH,
    RIDING,
    SCHOOL_BUS,
    NetworkSettings,
    TravelMode,
    closed_by_tags,
    mode_network,
    snap_points,
)
from geoplan.network.roads import (
    ROAD_CLASSES,
    _as_list,
    graph_from_roads,
    load_graph,
    load_report,
)

pyrosm = pytest.importorskip("pyrosm")
TEST_PBF = Path(pyrosm.get_data("test_pbf"))


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the graph cache of every test in its own folder, never in ~/.cache."""
    monkeypatch.setenv("GEOPLAN_CACHE_DIR", str(tmp_path / "geoplan-cache"))


OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="42.300" lon="86.400"/>
 <node id="2" lat="42.300" lon="86.410"/>
 <node id="3" lat="42.310" lon="86.410"/>
 <node id="4" lat="42.305" lon="86.405"/>
 <node id="5" lat="42.306" lon="86.405"/>
 <node id="6" lat="42.306" lon="86.406"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="999"/>
  <tag k="highway" v="tertiary"/><tag k="name" v="Alagou road"/></way>
 <way id="11"><nd ref="4"/><nd ref="5"/><nd ref="6"/><nd ref="4"/><tag k="building" v="yes"/></way>
 <way id="12"><nd ref="2"/><nd ref="4"/><tag k="highway" v="proposed"/></way>
 <way id="13"><nd ref="998"/><nd ref="997"/><tag k="highway" v="track"/></way>
</osm>
"""


def test_osm_xml_bz2_keeps_roads_drops_the_rest_and_reports(tmp_path: Path) -> None:
    path = tmp_path / "tiny.osm.bz2"
    path.write_bytes(bz2.compress(OSM_XML.encode()))
    g = load_graph(path)
    rep = load_report(g)
    assert rep is not None
    assert rep.road_ways == 1
    assert rep.dropped_ways == {
        "no highway tag": 1,
        "highway=proposed": 1,
        "outside the extract": 1,
    }
    assert rep.dangling_refs == 3 and rep.ways_cut == 2
    assert set(g.nodes) == {1, 3}  # simplified: the road's two ends
    assert g.number_of_edges() == 2  # two-way
    assert all(d["name"] == "Alagou road" for _, _, d in g.edges(data=True))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError, match="not found"):
        load_graph(tmp_path / "nope.osm")


def test_pbf_extract_loads_roads_only_and_reports_clipping() -> None:
    g = load_graph(TEST_PBF)
    rep = load_report(g)
    assert rep is not None
    assert rep.dangling_refs > 0  # the extract is clipped at its edges
    assert sum(rep.dropped_ways.values()) > 0  # buildings, land use
    classes = {h for _, _, h in g.edges(data="highway") for h in ([h] if isinstance(h, str) else h)}
    assert classes <= ROAD_CLASSES
    assert all("x" in d and "y" in d for _, d in g.nodes(data=True))
    # every kept way made it into the graph: way ids on edges == ways kept
    osmids = {w for _, _, o in g.edges(data="osmid") for w in (o if isinstance(o, list) else [o])}
    assert len(osmids) == rep.road_ways


def test_graphml_and_two_files_merge(tmp_path: Path) -> None:
    g = load_graph(TEST_PBF)
    ox.save_graphml(g, tmp_path / "g.graphml")
    again = load_graph(tmp_path / "g.graphml")
    assert again.number_of_edges() == g.number_of_edges()
    both = load_graph([TEST_PBF, tmp_path / "g.graphml"])
    assert both.number_of_nodes() == g.number_of_nodes()


def test_road_layer_from_geopackage_joins_line_ends(tmp_path: Path) -> None:
    roads = gpd.GeoDataFrame(
        {"class": ["track", "tertiary"], "oneway": [False, True], "name": ["t", None]},
        geometry=[LineString([(0, 0), (100, 0)]), LineString([(100.2, 0), (100, 300)])],
        crs="EPSG:32645",
    )
    path = tmp_path / "roads.gpkg"
    roads.to_file(path, layer="roads")
    g = load_graph(path, road_class_column="class")
    assert g.number_of_nodes() == 3  # (100, 0) and (100.2, 0) are one junction
    assert g.number_of_edges() == 3  # track both ways, tertiary one way
    lengths = sorted(d["length"] for _, _, d in g.edges(data=True))
    assert lengths[0] == pytest.approx(100.0)
    with pytest.raises(Exception, match="road_class_column"):
        graph_from_roads(roads, road_class_column="highway")


def test_mode_speeds_and_rules() -> None:
    assert CAR.speed_kph("trunk") == 60 and CAR.speed_kph("secondary_link") == 50
    assert CAR.speed_kph("footway") is None and CAR.speed_kph("track") == 15
    assert SCHOOL_BUS.speed_kph("tertiary") == 40 and SCHOOL_BUS.oneway
    assert RIDING.speed_kph("track") == 20 and RIDING.speed_kph("primary") == 30
    assert CHILD_WALK.speed_kph("footway") == 3 and CHILD_WALK.speed_kph("motorway") is None
    assert CHILD_WALK.constant_speed and not CAR.constant_speed
    assert MOTOR_SPEEDS_KPH["unclassified"] == 30
    with pytest.raises(ValueError, match="positive"):
        TravelMode("bad", walk_kph=0)
    settings = NetworkSettings(detour_factor=1.5)
    assert settings.mode("car").detour_factor == 1.5
    with pytest.raises(NetworkError, match="Unknown travel mode"):
        settings.mode("boat")


@pytest.fixture(scope="module")
def extract() -> nx.MultiDiGraph:
    return ox.project_graph(load_graph(TEST_PBF), to_crs="EPSG:32635")


def test_main_component_matches_networkx(extract: nx.MultiDiGraph) -> None:
    g = extract
    net = mode_network(g, CAR)
    allowed = nx.MultiDiGraph()
    allowed.add_edges_from(
        (u, v)
        for u, v, d in g.edges(data=True)
        if any(CAR.speed_kph(c) is not None for c in _as_list(d["highway"]))
        and not closed_by_tags(d, "motor")
    )
    largest = max(nx.strongly_connected_components(allowed), key=len)
    assert set(net.node_ids[net.main]) == largest


def test_snapping_joins_the_nearest_point_of_the_nearest_road_brute_force(
    extract: nx.MultiDiGraph,
) -> None:
    g = extract
    net = mode_network(g, CAR)
    rng = np.random.default_rng(4)
    xs, ys = net.xy[:, 0], net.xy[:, 1]
    pts = gpd.GeoDataFrame(
        geometry=[
            Point(x, y)
            for x, y in zip(
                rng.uniform(xs.min(), xs.max(), 40),
                rng.uniform(ys.min(), ys.max(), 40),
                strict=True,
            )
        ],
        index=pd.Index([f"p{i}" for i in range(40)], name="id"),
        crs="EPSG:32635",
    )
    snap = snap_points(net, pts, max_access_m=1e9)
    # brute force over every main-component road the car may use, from the graph itself
    main_nodes = set(net.node_ids[net.main])
    lines = [
        d.get("geometry")
        or LineString([(g.nodes[u]["x"], g.nodes[u]["y"]), (g.nodes[v]["x"], g.nodes[v]["y"])])
        for u, v, d in g.edges(data=True)
        if u in main_nodes
        and v in main_nodes
        and any(CAR.speed_kph(c) is not None for c in _as_list(d["highway"]))
        and not closed_by_tags(d, "motor")
    ]
    for pid, geom in zip(pts.index, pts.geometry, strict=False):
        d = min(line.distance(geom) for line in lines)
        row = snap.table.loc[pid]
        assert row["straight_m"] == pytest.approx(d, abs=1e-6)
        assert row["access_m"] == pytest.approx(d * CAR.detour_factor)
        joined = Point(row["road_x"], row["road_y"])
        assert joined.distance(geom) == pytest.approx(d, abs=1e-6)
        assert net.edges.geometry[row["edge"]].distance(joined) < 1e-6
        assert CAR.speed_kph(row["highway"]) is not None
        a, b = row["edge_from"], row["edge_to"]
        parallel = [*g.get_edge_data(a, b, default={}).values()]
        parallel += [*g.get_edge_data(b, a, default={}).values()]
        assert any(row["way_id"] in _as_list(d["osmid"]) for d in parallel)


def test_graph_cache_serves_a_second_load_and_a_changed_file_invalidates_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "roads.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    cache = tmp_path / "cache"
    first = load_graph(path, to_crs="EPSG:32645", cache_dir=cache)
    assert len(list(cache.glob("graph_*.pickle"))) == 1

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the road file was parsed again despite the cache")

    real = roads_module._load_graph
    monkeypatch.setattr(roads_module, "_load_graph", no_parsing)
    second = load_graph(path, to_crs="EPSG:32645", cache_dir=cache)
    assert nx.utils.graphs_equal(first, second)
    assert load_report(second) == load_report(first)
    # other options are another key: they are parsed, not served from the cache
    with pytest.raises(AssertionError, match="parsed again"):
        load_graph(path, cache_dir=cache)
    # a changed file is parsed again and its change shows
    path.write_text(OSM_XML.replace('v="tertiary"', 'v="track"'), encoding="utf-8")
    with pytest.raises(AssertionError, match="parsed again"):
        load_graph(path, to_crs="EPSG:32645", cache_dir=cache)
    monkeypatch.setattr(roads_module, "_load_graph", real)
    changed = load_graph(path, to_crs="EPSG:32645", cache_dir=cache)
    assert {h for _, _, h in changed.edges(data="highway")} == {"track"}
    assert len(list(cache.glob("graph_*.pickle"))) == 2
    # use_cache=False neither reads nor writes
    fresh = tmp_path / "fresh"
    load_graph(path, cache_dir=fresh, use_cache=False)
    assert not fresh.exists()


def test_unreadable_graph_cache_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "roads.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    cache = tmp_path / "cache"
    first = load_graph(path, cache_dir=cache)
    (pickled,) = cache.glob("graph_*.pickle")
    pickled.write_bytes(b"not a pickle")
    again = load_graph(path, cache_dir=cache)
    # osmnx stamps each build with the second it ran; everything else must match
    first.graph.pop("created_date")
    again.graph.pop("created_date")
    assert nx.utils.graphs_equal(first, again)


def test_default_cache_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geoplan.network.roads import default_cache_dir

    monkeypatch.setenv("GEOPLAN_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("GEOPLAN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "geoplan"
