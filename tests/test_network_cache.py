"""The disk cache of a mode's network (issue 27): a warm run reads it instead of converting.

Oracle: the network converted afresh from the same graph (``use_cache=False``), compared array
by array, and the travel matrices computed on each.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point

from geoplan.data.datasets import demo_roads_path
from geoplan.network import roads
from geoplan.network.modes import MODES, Closure, ModeNetwork
from geoplan.network.travel import area_points, network_for, travel_matrix

CRS = "EPSG:32645"


def _types(values: Any) -> list[type]:
    """Python types of the values (an id 7 is not the id "7"); numpy ints count as int."""
    return [int if isinstance(v, np.integer) else type(v) for v in values]


def _same_network(a: ModeNetwork, b: ModeNetwork) -> list[str]:
    """Names of the fields where two networks differ (empty: the same network)."""
    differ = []
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "edges":
            for ef in dataclasses.fields(x):
                u, v = getattr(x, ef.name), getattr(y, ef.name)
                if ef.name == "geometry":  # equals_exact compares x and y only
                    same = len(u) == len(v) and all(
                        p.equals_exact(q, 0) and p.has_z == q.has_z
                        for p, q in zip(u, v, strict=True)
                    )
                elif ef.name == "data":
                    ways_x, names_x = x.labels(range(len(x)))
                    ways_y, names_y = y.labels(range(len(y)))
                    same = (ways_x, names_x) == (ways_y, names_y) and _types(ways_x) == _types(
                        ways_y
                    )
                else:
                    same = np.array_equal(u, v) and u.dtype == v.dtype
                if not same:
                    differ.append(f"edges.{ef.name}")
        elif hasattr(x, "tocsr"):
            if x.shape != y.shape or (x != y).nnz:
                differ.append(f.name)
        elif isinstance(x, np.ndarray):
            if not (np.array_equal(x, y) and x.dtype == y.dtype and _types(x) == _types(y)):
                differ.append(f.name)
        elif x != y:
            differ.append(f.name)
    return differ


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("network_cache")


def _load(cache: Path) -> Any:
    return roads.load_graph(demo_roads_path(), to_crs=CRS, cache_dir=cache)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_a_cached_network_is_the_converted_one(cache: Path, mode: str) -> None:
    closure = Closure(label="road works", names=("Youyi Road",))
    for closures in ((), (closure,)):
        first = _load(cache)
        written = network_for(first, mode, closures=closures, crs=CRS, cache_dir=cache)
        files = sorted(cache.glob(f"network_{mode}_*.npz"))
        assert files, "no network cache written"
        again = _load(cache)  # a new graph object: the in-process memo does not know it
        assert again is not first
        read = network_for(again, mode, closures=closures, crs=CRS, cache_dir=cache)
        fresh = network_for(again.copy(), mode, closures=closures, crs=CRS, use_cache=False)
        assert _same_network(read, fresh) == []
        assert _same_network(written, fresh) == []
        assert read.digest == fresh.digest


def test_journeys_on_a_cached_network_are_the_fresh_ones(cache: Path) -> None:
    from geoplan.data.datasets import _demo_area

    area = _demo_area()
    villages, schools = area_points(area, "villages"), area_points(area, "schools")
    graph = _load(cache)
    network_for(graph, "school_bus", crs=area.crs, cache_dir=cache)
    read = network_for(_load(cache), "school_bus", crs=area.crs, cache_dir=cache)
    fresh = network_for(graph.copy(), "school_bus", crs=area.crs, use_cache=False)
    a = travel_matrix(read, villages, schools, mode="school_bus", use_cache=False)
    b = travel_matrix(fresh, villages, schools, mode="school_bus", use_cache=False)
    assert np.array_equal(a.minutes_array(), b.minutes_array())
    assert np.array_equal(a.metres_array(), b.metres_array())
    assert a.origin_access.equals(b.origin_access)


def test_only_a_graph_as_loaded_is_cached(tmp_path: Path, cache: Path) -> None:
    graph = _load(cache)
    assert roads.loaded_key(graph) is not None
    assert roads.loaded_key(graph.copy()) is None  # a copy may be edited: never cached
    network_for(graph.copy(), "car", crs=CRS, cache_dir=tmp_path)
    assert list(tmp_path.glob("network_*")) == []
    edited = _load(cache)
    u, v = next(iter(edited.edges()))
    edited.add_edge(v, u, length=1.0, highway="residential")
    if roads.loaded_key(edited) is not None:  # the reverse link existed already
        edited.add_node("new", x=0.0, y=0.0)
    assert roads.loaded_key(edited) is None
    network_for(edited, "car", crs=CRS, cache_dir=tmp_path)
    assert list(tmp_path.glob("network_*")) == []
    network_for(_load(cache), "car", crs=CRS, use_cache=False, cache_dir=tmp_path)
    assert list(tmp_path.glob("network_*")) == []


def test_an_unreadable_network_cache_is_converted_again(
    tmp_path: Path, cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    network_for(_load(cache), "pupil_walk", crs=CRS, cache_dir=tmp_path)
    (path,) = tmp_path.glob("network_pupil_walk_*.npz")
    path.write_bytes(b"not an npz")
    with caplog.at_level(logging.WARNING, logger="geoplan.network._network_cache"):
        again = network_for(_load(cache), "pupil_walk", crs=CRS, cache_dir=tmp_path)
    assert "unreadable" in caplog.text
    fresh = network_for(_load(cache).copy(), "pupil_walk", crs=CRS, use_cache=False)
    assert _same_network(again, fresh) == []
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="geoplan.network._network_cache"):
        rewritten = network_for(_load(cache), "pupil_walk", crs=CRS, cache_dir=tmp_path)
    assert "read from cache" in caplog.text  # written again after the bad file
    assert _same_network(rewritten, fresh) == []


def _mixed_id_graph() -> Any:
    """Integer OSM nodes and ways joined to a local road's text ids (as merge_local_roads makes)."""
    import networkx as nx

    graph = nx.MultiDiGraph(crs=CRS)
    for node, x in ((101, 0.0), (102, 100.0), ("local_0", 200.0), ("split_1_2_0", 300.0)):
        graph.add_node(node, x=x, y=0.0)
    ways = (
        (101, 102, 7001, "Youyi Road"),
        (102, "local_0", "L5", None),
        ("local_0", "split_1_2_0", -1, None),
    )
    for u, v, way, name in ways:
        attrs: dict[str, Any] = {"highway": "tertiary", "length": 100.0, "osmid": way}
        if name is not None:
            attrs["name"] = name
        graph.add_edge(u, v, **attrs)
        graph.add_edge(v, u, **attrs)
    return graph


def test_mixed_node_and_way_ids_keep_their_types(tmp_path: Path) -> None:
    from geoplan.network._network_cache import read_network_cache, write_network_cache
    from geoplan.network.modes import mode_network

    mode = MODES["car"]
    fresh = mode_network(_mixed_id_graph(), mode)
    path = tmp_path / "network_car_mixed.npz"
    write_network_cache(path, fresh)
    read = read_network_cache(path, mode, ())
    assert read is not None
    assert _same_network(read, fresh) == []
    assert [type(n) for n in read.node_ids] == [type(n) for n in fresh.node_ids]
    ways = read.edges.labels(range(len(read.edges)))[0]
    fresh_ways = fresh.edges.labels(range(len(fresh.edges)))[0]
    assert [type(w) for w in ways] == [type(w) for w in fresh_ways]


def test_a_failed_network_cache_write_warns_and_leaves_no_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from geoplan.network._network_cache import write_network_cache
    from geoplan.network.modes import mode_network

    net = mode_network(_mixed_id_graph(), MODES["car"])
    path = tmp_path / "network_car_blocked.npz"
    path.mkdir()  # the temporary file cannot replace a folder
    with caplog.at_level(logging.WARNING, logger="geoplan.network._network_cache"):
        write_network_cache(path, net)
    assert "Cannot write the network cache" in caplog.text
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_lines_with_and_without_heights_keep_their_dimensions(tmp_path: Path) -> None:
    import networkx as nx
    from shapely.geometry import LineString

    from geoplan.network._network_cache import read_network_cache, write_network_cache
    from geoplan.network.modes import mode_network

    graph = nx.MultiDiGraph(crs=CRS)
    for node, x in ((1, 0.0), (2, 100.0), (3, 200.0)):
        graph.add_node(node, x=x, y=0.0)
    drawn = LineString([(0, 0, 10), (100, 0, 12)])  # a road layer with heights
    graph.add_edge(1, 2, highway="tertiary", length=100.0, osmid=5, geometry=drawn)
    graph.add_edge(2, 3, highway="tertiary", length=100.0, osmid=6)  # drawn straight, 2-D
    mode = MODES["car"]
    fresh = mode_network(graph, mode)
    path = tmp_path / "network_car_z.npz"
    write_network_cache(path, fresh)
    read = read_network_cache(path, mode, ())
    assert read is not None
    assert [g.has_z for g in fresh.edges.geometry] == [True, False]
    assert _same_network(read, fresh) == []


def _local_road(graph: Any, **columns: str) -> Any:
    """A one-road local layer starting at the graph's first junction, with ``columns``."""
    import geopandas as gpd
    from shapely.geometry import LineString

    node = next(iter(graph.nodes))
    x, y = graph.nodes[node]["x"], graph.nodes[node]["y"]
    line = LineString([(x, y), (x + 400.0, y + 300.0), (x + 800.0, y)])
    data = {"highway": ["track"], **{k: [v] for k, v in columns.items()}}
    return gpd.GeoDataFrame(data, geometry=[line], crs=CRS)


def test_local_road_layers_differing_only_in_column_names_are_not_confused(
    tmp_path: Path, cache: Path
) -> None:
    one_way = _local_road(_load(cache), oneway="yes")
    renamed = one_way.rename(columns={"oneway": "note"})  # same values: two-way now
    for local in (one_way, renamed):
        cached = roads.load_graph(
            demo_roads_path(), local_roads=local, to_crs=CRS, cache_dir=tmp_path
        )
        fresh = roads.load_graph(demo_roads_path(), local_roads=local, to_crs=CRS, use_cache=False)
        assert cached.number_of_edges() == fresh.number_of_edges()


def test_a_local_road_layer_with_another_geometry_column_name_loads_through_the_cache(
    tmp_path: Path, cache: Path
) -> None:
    base = _load(cache)
    local = _local_road(base).rename_geometry("geom")  # as a layer read with another name
    cached = roads.load_graph(demo_roads_path(), local_roads=local, to_crs=CRS, cache_dir=tmp_path)
    again = roads.load_graph(demo_roads_path(), local_roads=local, to_crs=CRS, cache_dir=tmp_path)
    fresh = roads.load_graph(demo_roads_path(), local_roads=local, to_crs=CRS, use_cache=False)
    assert cached.number_of_edges() == again.number_of_edges() == fresh.number_of_edges()
    assert fresh.number_of_edges() > base.number_of_edges()  # the local road was merged


def _write_together(write: Any, path: Path, rounds: int = 4) -> None:
    """Run ``write(path)`` in two threads at once, ``rounds`` times, re-raising their errors."""
    import threading

    errors: list[BaseException] = []

    def writer(start: threading.Barrier) -> None:
        try:
            start.wait()
            write(path)
        except BaseException as err:  # handed to the test thread
            errors.append(err)

    for _ in range(rounds):
        start = threading.Barrier(2)
        threads = [threading.Thread(target=writer, args=(start,)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors


def test_two_threads_writing_one_cache_both_succeed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two runs in one process (threads of a server) may write the same cache file at once.

    Each must write its own temporary file and move it into place whole: neither may fail
    (the writers log a failure as a warning) and every cache read back is complete.
    """
    from geoplan.network import travel
    from geoplan.network._network_cache import read_network_cache, write_network_cache

    graph = roads.load_graph(demo_roads_path(), to_crs=CRS, use_cache=False)
    fresh = network_for(graph, MODES["car"], crs=CRS, use_cache=False)
    nodes = list(graph.nodes)[::10][:40]
    points = gpd.GeoDataFrame(
        index=[f"n{k}" for k in range(len(nodes))],
        geometry=[Point(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in nodes],
        crs=CRS,
    )
    sparse = travel_matrix(graph, points, points, mode="car", use_cache=False).to_sparse()
    minutes, metres = sparse.minutes, sparse.metres
    with caplog.at_level(logging.WARNING):
        _write_together(lambda p: write_network_cache(p, fresh), tmp_path / "network_car.npz")
        _write_together(lambda p: roads._write_graph_cache(p, graph), tmp_path / "graph.pickle")
        _write_together(
            lambda p: travel._write_cache(p, minutes, metres), tmp_path / "travel_car.npz"
        )
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "graph.pickle",
        "network_car.npz",
        "travel_car.npz",
    ]  # no temporary file left behind
    read = read_network_cache(tmp_path / "network_car.npz", MODES["car"], ())
    assert read is not None and _same_network(read, fresh) == []
    back = roads._read_graph_cache(tmp_path / "graph.pickle")
    assert back is not None and roads.graph_size(back) == roads.graph_size(graph)
    pair = travel._read_cache(tmp_path / "travel_car.npz", minutes.shape)
    assert pair is not None
    assert (pair[0] != minutes).nnz == 0 and (pair[1] != metres).nnz == 0
