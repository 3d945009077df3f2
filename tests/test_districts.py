"""Tests of geoplan.models.districts and geoplan.models._contiguity: brute force on tiny
towns, plan checks."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from geoplan.errors import InfeasibleError
from geoplan.models._contiguity import dissolved_pieces, rook_adjacency
from geoplan.models.districts import least_extra_classes, plan_districts, solve_districts

CRS = "EPSG:32645"


def grid(nx_: int, ny_: int, size: float = 100.0) -> gpd.GeoSeries:
    boxes = [
        shapely.box(x * size, y * size, (x + 1) * size, (y + 1) * size)
        for y in range(ny_)
        for x in range(nx_)
    ]
    return gpd.GeoSeries(boxes, crs=CRS)


def centroids(g: gpd.GeoSeries) -> np.ndarray:
    return np.column_stack([g.centroid.x, g.centroid.y])


def polygon_graph(geoms: list[shapely.Geometry], tol: float = 1.0) -> nx.Graph:
    """Rook graph by pairwise shared-boundary length (a second, loop-based implementation)."""
    graph = nx.Graph()
    graph.add_nodes_from(range(len(geoms)))
    for a, b in itertools.combinations(range(len(geoms)), 2):
        if geoms[a].boundary.intersection(geoms[b].boundary).length > tol:
            graph.add_edge(a, b)
    return graph


def brute_force(demand, cost, cap, graph, home, extra=None, limit=None):
    """Least objective over all contiguous, capacity-feasible assignments (None if none)."""
    n, m = cost.shape
    best = None
    for combo in itertools.product(range(m), repeat=n):
        a = np.array(combo)
        if any(a[home[j]] != j for j in range(m)):
            continue
        load = np.zeros_like(cap)
        np.add.at(load, a, demand)
        room = cap if extra is None else cap + extra * limit
        if np.any(load > room + 1e-9):
            continue
        if not all(nx.is_connected(graph.subgraph(np.flatnonzero(a == j))) for j in range(m)):
            continue
        obj = float((demand.sum(axis=1) * cost[np.arange(n), a]).sum())
        best = obj if best is None else min(best, obj)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_tiny_exact_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    g = grid(3, 3) if seed % 2 == 0 else grid(4, 2)
    n = len(g)
    m = 2 if seed < 3 else 3
    home = rng.choice(n, m, replace=False)
    xy = centroids(g)
    cost = np.linalg.norm(xy[:, None] - xy[home][None], axis=2) / 50 + rng.uniform(0, 2, (n, m))
    demand = rng.integers(1, 30, (n, 2)).astype(float)
    cap = np.tile(demand.sum(0) / m * rng.uniform(1.05, 1.4), (m, 1))
    adj = rook_adjacency(g)
    expected = brute_force(demand, cost, cap, polygon_graph(list(g)), home)
    if expected is None:
        with pytest.raises(InfeasibleError):
            solve_districts(demand, cost, cap, adj, home, method="exact", mip_rel_gap=0.0)
        return
    sol = solve_districts(demand, cost, cap, adj, home, method="exact", mip_rel_gap=0.0)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(expected, rel=1e-9)
    assert sol.contiguous
    heur = solve_districts(demand, cost, cap, adj, home, method="heuristic")
    assert heur.bound <= expected + 1e-6
    if heur.status == "heuristic":  # a feasible contiguous plan: never better than the optimum
        assert heur.over_capacity_pupils == 0 and heur.contiguous
        assert heur.objective >= expected - 1e-6
    else:
        assert heur.status == "not_feasible"


@pytest.mark.parametrize("seed", range(4))
def test_least_extra_classes_equals_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    g = grid(3, 2)
    n, m = len(g), 2
    home = np.array([0, n - 1])
    xy = centroids(g)
    cost = np.linalg.norm(xy[:, None] - xy[home][None], axis=2) / 50
    demand = rng.integers(5, 40, (n, 1)).astype(float)
    limit = np.full((m, 1), 20.0)
    cap = np.floor(demand.sum() * rng.uniform(0.4, 0.8) / m / 20) * 20 * np.ones((m, 1))
    graph = polygon_graph(list(g))
    best = None
    for extra in itertools.product(range(6), repeat=m):
        e = np.array(extra, dtype=float)[:, None]
        if best is not None and e.sum() >= best:
            continue
        if brute_force(demand, cost, cap, graph, home, extra=e, limit=limit) is not None:
            best = e.sum()
    got = least_extra_classes(
        demand, cost, cap, limit, rook_adjacency(g), home, max_extra_classes=5
    )
    assert got.sum() == best
    # The classes found make the plan feasible.
    sol = solve_districts(demand, cost, cap + got * limit, rook_adjacency(g), home)
    assert sol.over_capacity_pupils == 0 and sol.contiguous


def town(seed: int = 0, nx_: int = 12, ny_: int = 10, slack: float = 1.1):
    """A small town: a jittered grid of blocks, four schools (two nine-year, two primary)."""
    rng = np.random.default_rng(seed)
    g = grid(nx_, ny_, 120.0)
    ids = [f"b{i:03d}" for i in range(len(g))]
    blocks = gpd.GeoDataFrame(index=pd.Index(ids, name="id"), geometry=list(g), crs=CRS)
    for band in ("g1_3", "g4_6", "g7_9"):
        res = rng.poisson(8, len(g))
        mig = rng.poisson(3, len(g))
        blocks[f"pupils_{band}_resident"] = res
        blocks[f"pupils_{band}_migrant"] = mig
        blocks[f"pupils_{band}"] = res + mig
    blocks["community"] = [f"c{(i % nx_) // 3}-{(i // nx_) // 2}" for i in range(len(g))]
    pts = [(200, 200), (1200, 300), (300, 1000), (1100, 1000)]
    kinds = ["nine_year", "primary", "primary", "nine_year"]
    schools = gpd.GeoDataFrame(
        {"name": [f"School {c}" for c in "ABCD"], "kind": kinds, "status": "open"},
        index=pd.Index([f"s{i}" for i in range(4)], name="id"),
        geometry=shapely.points(pts),
        crs=CRS,
    )
    tot = {b: blocks[f"pupils_{b}"].sum() for b in ("g1_3", "g4_6", "g7_9")}
    for band, teach, limit in (
        ("g1_3", [1, 1, 1, 1], 45),
        ("g4_6", [1, 1, 1, 1], 45),
        ("g7_9", [1, 0, 0, 1], 50),
    ):
        per = tot[band] * slack / sum(teach) / limit
        schools[f"classes_{band}"] = [int(np.ceil(per)) * t for t in teach]
        schools[f"enrolment_{band}"] = [int(tot[band] / sum(teach)) * t for t in teach]
    return blocks, schools


def independent_checks(plan, blocks, schools):
    limits = {"g1_3": 45, "g4_6": 45, "g7_9": 50}
    for band, lim in limits.items():
        cap = schools[f"classes_{band}"] * lim
        col = "school_middle" if band == "g7_9" else "school_primary"
        load = blocks.groupby(plan.blocks[col])[f"pupils_{band}"].sum()
        assert (load <= cap.reindex(load.index)).all(), band
    for level in ("primary", "middle"):
        for sid, members in blocks.groupby(plan.blocks[f"school_{level}"]):
            geoms = list(members.geometry)
            assert nx.is_connected(polygon_graph(geoms)), (level, sid)
            assert dissolved_pieces(members) == 1
            assert members.intersects(schools.geometry[sid]).any()


def test_plan_districts_on_a_small_town():
    blocks, schools = town()
    plan = plan_districts(blocks, schools, method="exact", time_limit_s=20)
    independent_checks(plan, blocks, schools)
    assert (plan.schools["oversized_after"] == 0).all()
    assert plan.indicators.loc["primary", "contiguous"]
    assert plan.indicators.loc["primary", "gap"] <= 0.01 + 1e-9
    assert set(plan.districts["level"]) == {"primary", "middle"}
    assert (plan.districts["pieces"] == 1).all()
    assert plan.blocks.index.equals(blocks.index)
    pupils = plan.schools["pupils_g7_9"].fillna(0)
    parts = plan.schools["pupils_g7_9_resident"].fillna(0) + plan.schools[
        "pupils_g7_9_migrant"
    ].fillna(0)
    assert np.allclose(pupils, parts)
    assert pupils.sum() == blocks["pupils_g7_9"].sum()


def test_overrides_are_honoured_and_communities_kept_whole():
    blocks, schools = town(seed=1, slack=1.25)
    overrides = {"primary": {"b050": "s3", "b051": "s3"}}
    plan = plan_districts(
        blocks,
        schools,
        overrides=overrides,
        keep_communities=True,
        method="heuristic",
        levels=("primary",),
    )
    assert plan.blocks.loc["b050", "school_primary"] == "s3"
    assert plan.blocks.loc["b051", "school_primary"] == "s3"
    per_community = plan.blocks.groupby(blocks["community"])["school_primary"].nunique()
    assert (per_community == 1).all()


def test_short_capacity_is_diagnosed_in_planner_terms():
    blocks, schools = town(seed=2)
    schools = schools.copy()
    schools["classes_g7_9"] = [2, 0, 0, 2]
    with pytest.raises(InfeasibleError, match=r"Junior-middle places short by [\d,]+") as info:
        plan_districts(blocks, schools, levels=("middle",), time_limit_s=10)
    assert "more classes would fit them" in str(info.value)


@pytest.mark.slow
def test_demo_county_oversized_classes_fall_to_zero() -> None:
    """The demo town's 58 oversized classes (56+) fall to 0 with the planned extension."""
    from geoplan.data.datasets import demo_county
    from geoplan.network.roads import load_graph
    from geoplan.network.travel import travel_matrix

    area = demo_county()
    blocks = area.blocks
    town = area.schools[area.schools.geometry.within(blocks.union_all().buffer(2000))]
    points = gpd.GeoDataFrame(
        blocks.drop(columns="geometry"),
        geometry=blocks.geometry.representative_point(),
        crs=area.crs,
    )
    graph = load_graph(area.roads_path, to_crs=area.crs)
    matrix = travel_matrix(graph, points, town, mode="pupil_walk")
    plan = plan_districts(
        blocks, town, travel=matrix, use_planned=True, time_limit_s=8.0, allow_over_capacity=True
    )
    assert int(plan.schools["oversized_before"].sum()) == 58
    assert int(plan.schools["oversized_after"].sum()) == 0
    assert int(plan.schools["severely_oversized_after"].sum()) == 0
    assert (plan.districts["pieces"] == 1).all()
    assert plan.blocks["school_primary"].notna().all()
