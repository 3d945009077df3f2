"""Feeders (issue 19): every primary district inside one middle district, solved jointly.

Brute force on tiny towns (every assignment of 6-8 blocks enumerated, contiguity by a separate
polygon graph), then checks from the polygons on a small town."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from test_districts_stability import demo_town, grid, shared_edge_graph

from geoplan.errors import InfeasibleError
from geoplan.models._contiguity import rook_adjacency
from geoplan.models.districts import plan_districts, solve_feeder_districts

CRS = "EPSG:32645"


def feasible_plans(demand, cost, cap, graph, home, today=None, max_moved=None):
    """Every contiguous, capacity-feasible assignment with its objective."""
    n, m = cost.shape
    pupils = demand.sum(axis=1)
    out = []
    for combo in itertools.product(range(m), repeat=n):
        a = np.array(combo)
        if any(a[home[j]] != j for j in range(m)):
            continue
        load = np.zeros_like(cap)
        np.add.at(load, a, demand)
        if np.any(load > cap + 1e-9):
            continue
        if max_moved is not None and pupils[a != today].sum() > max_moved + 1e-9:
            continue
        if not all(nx.is_connected(graph.subgraph(np.flatnonzero(a == j))) for j in range(m)):
            continue
        out.append((a, float((pupils * cost[np.arange(n), a]).sum())))
    return out


def nested(a_p, a_m, m_p, feeds):
    for j in range(m_p):
        inside = set(a_m[a_p == j].tolist())
        if len(inside) != 1 or (feeds[j] >= 0 and inside != {feeds[j]}):
            return False
    return True


def tiny(seed):
    rng = np.random.default_rng(seed)
    geoms = grid(4, 2) if seed % 2 == 0 else grid(3, 2)
    n = len(geoms)
    xy = np.array([[g.centroid.x, g.centroid.y] for g in geoms])
    home_p = rng.choice(n, 3, replace=False)
    # Middle: a nine-year school (primary 0's block) and a middle school elsewhere.
    others = [b for b in range(n) if b != home_p[0]]
    home_m = np.array([home_p[0], rng.choice(others)])
    feeds = np.array([0, -1, -1])
    if home_m[1] in home_p[1:]:  # a nine-year school too
        feeds[list(home_p).index(home_m[1])] = 1
    cost_p = np.linalg.norm(xy[:, None] - xy[home_p][None], axis=2) / 40 + rng.uniform(0, 3, (n, 3))
    cost_m = np.linalg.norm(xy[:, None] - xy[home_m][None], axis=2) / 50 + rng.uniform(0, 3, (n, 2))
    dem_p = rng.integers(1, 20, (n, 2)).astype(float)
    dem_m = rng.integers(1, 20, (n, 1)).astype(float)
    cap_p = np.tile(dem_p.sum(0) / 3 * rng.uniform(1.3, 1.9), (3, 1))
    cap_m = np.tile(dem_m.sum(0) / 2 * rng.uniform(1.15, 1.6), (2, 1))
    return geoms, (dem_p, cost_p, cap_p, home_p), (dem_m, cost_m, cap_m, home_m), feeds


@pytest.mark.parametrize("seed", range(16))
def test_joint_feeder_model_equals_brute_force(seed):
    """Seeds 2, 4, 11, 13 and 14 cost more nested than the levels alone; in 0, 3, 8 and 15
    each level alone has a plan but no pair nests."""
    geoms, (dem_p, cost_p, cap_p, home_p), (dem_m, cost_m, cap_m, home_m), feeds = tiny(seed)
    graph = shared_edge_graph(geoms)
    rng = np.random.default_rng(seed)
    today_m = rng.integers(0, 2, len(geoms))
    today_m[home_m] = [0, 1]
    max_moved = float(dem_m.sum() * 0.3) if seed % 2 else None
    plans_p = feasible_plans(dem_p, cost_p, cap_p, graph, home_p)
    plans_m = feasible_plans(dem_m, cost_m, cap_m, graph, home_m, today_m, max_moved)
    best = None
    for (a_p, o_p), (a_m, o_m) in itertools.product(plans_p, plans_m):
        if nested(a_p, a_m, 3, feeds) and (best is None or o_p + o_m < best[0]):
            best = (o_p + o_m, o_p, o_m)
    adj = rook_adjacency(gpd.GeoSeries(geoms, crs=CRS))
    primary = {"demand": dem_p, "cost": cost_p, "capacity": cap_p, "adjacency": adj,
               "home": home_p}  # fmt: skip
    middle = {"demand": dem_m, "cost": cost_m, "capacity": cap_m, "adjacency": adj,
              "home": home_m, "status_quo": today_m, "max_moved": max_moved}  # fmt: skip
    if best is None:
        with pytest.raises(InfeasibleError):
            solve_feeder_districts(primary, middle, feeds=feeds, method="exact", mip_rel_gap=0.0)
        return
    sol = solve_feeder_districts(primary, middle, feeds=feeds, method="exact", mip_rel_gap=0.0)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(best[0], rel=1e-9)
    assert sol.bound <= sol.objective + 1e-6
    a_p, a_m = sol.primary.assignment, sol.middle.assignment
    assert nested(a_p, a_m, 3, feeds)
    assert sol.feeds.tolist() == [int(a_m[home_p[j]]) for j in range(3)]
    # The levels alone can only do as well or better.
    alone = min(o for _, o in plans_p) + min(o for _, o in plans_m)
    assert alone <= best[0] + 1e-9
    heur = solve_feeder_districts(primary, middle, feeds=feeds, method="heuristic")
    assert heur.bound <= best[0] + 1e-6
    if heur.status == "heuristic":
        assert heur.objective >= best[0] - 1e-6
        assert nested(heur.primary.assignment, heur.middle.assignment, 3, feeds)


def small_town(seed: int = 5, nx_: int = 9, ny_: int = 7):
    """63 blocks, five primary-level schools (two of them nine-year) and a middle school."""
    rng = np.random.default_rng(seed)
    geoms = grid(nx_, ny_, 120.0)
    ids = [f"b{i:03d}" for i in range(len(geoms))]
    blocks = gpd.GeoDataFrame(index=pd.Index(ids, name="id"), geometry=geoms, crs=CRS)
    for band in ("g1_3", "g4_6", "g7_9"):
        blocks[f"pupils_{band}"] = rng.poisson(9, len(geoms))
    pts = [(180, 180), (900, 200), (200, 700), (950, 720), (560, 420), (580, 780)]
    kinds = ["nine_year", "primary", "primary", "nine_year", "primary", "middle"]
    schools = gpd.GeoDataFrame(
        {"name": [f"School {c}" for c in "ABCDEF"], "kind": kinds, "status": "open"},
        index=pd.Index([f"s{i}" for i in range(6)], name="id"),
        geometry=shapely.points(pts),
        crs=CRS,
    )
    tot = {b: blocks[f"pupils_{b}"].sum() for b in ("g1_3", "g4_6", "g7_9")}
    for band, teach, limit in (
        ("g1_3", [1, 1, 1, 1, 1, 0], 45),
        ("g4_6", [1, 1, 1, 1, 1, 0], 45),
        ("g7_9", [1, 0, 0, 1, 0, 1], 50),
    ):
        per = tot[band] * 1.2 / sum(teach) / limit
        schools[f"classes_{band}"] = [int(np.ceil(per)) * t for t in teach]
    return blocks, schools


@pytest.mark.slow
def test_feeder_plan_checked_from_the_polygons():
    blocks, schools = small_town()
    plan = plan_districts(blocks, schools, feeders=True, method="exact", time_limit_s=15)
    free = plan_districts(blocks, schools, method="exact", time_limit_s=15, mip_rel_gap=0.0)
    d = plan.districts
    prim, mid = d[d["level"] == "primary"], d[d["level"] == "middle"]
    for _, row in prim.iterrows():
        shares = mid.geometry.intersection(row.geometry).area / row.geometry.area
        inside = shares[shares > 1e-6]
        assert len(inside) == 1 and inside.iloc[0] == pytest.approx(1.0)  # wholly in one
        fed = mid.loc[inside.index[0], "school"]
        assert plan.feeders.loc[row["school"], "feeds"] == fed
        if schools.loc[row["school"], "kind"] == "nine_year":
            assert fed == row["school"]
    # Per block too: the block's middle school is the one its primary school feeds.
    fed_by = plan.feeders["feeds"]
    assert (
        plan.blocks["school_middle"] == fed_by.reindex(plan.blocks["school_primary"]).values
    ).all()
    assert (d["pieces"] == 1).all()
    ind = plan.indicators
    assert ind["joint_gap"].max() <= 0.01 + 1e-9
    # Nesting costs journey: never less than the two levels planned alone (optimal, gap 0).
    assert ind["objective_pupil_min"].sum() >= free.indicators["bound_pupil_min"].sum() - 1e-6


@pytest.fixture(scope="module")
def demo_inputs():
    """The demo county town, its open schools within 2 km and the pupil-walk block matrix."""
    return demo_town()


@pytest.mark.slow
def test_demo_feeders_nest_by_the_polygons(demo_inputs) -> None:
    blocks, schools, matrix = demo_inputs
    extra = {"S04": {"g7_9": 2}, "S07": {"g7_9": 2}}  # as town_districts_feeders.yaml
    plan = plan_districts(
        blocks, schools, travel=matrix, feeders=True, extra_classes=extra, time_limit_s=20
    )
    d = plan.districts
    prim, mid = d[d["level"] == "primary"], d[d["level"] == "middle"]
    for _, row in prim.iterrows():
        shares = mid.geometry.intersection(row.geometry).area / row.geometry.area
        inside = shares[shares > 1e-6]
        assert len(inside) == 1 and inside.iloc[0] == pytest.approx(1.0), row["school"]
        assert plan.feeders.loc[row["school"], "feeds"] == mid.loc[inside.index[0], "school"]
    for sid in plan.feeders.index[plan.feeders["nine_year"]]:
        assert plan.feeders.loc[sid, "feeds"] == sid
    assert set(plan.feeders["feeds"]) == set(mid["school"])  # every middle school is fed
    assert (d["pieces"] == 1).all()
    # Capacity from the schools table and the blocks, counted here.
    limits = {"g1_3": 45, "g4_6": 45, "g7_9": 50}
    for band, lim in limits.items():
        col = "school_middle" if band == "g7_9" else "school_primary"
        load = blocks.groupby(plan.blocks[col])[f"pupils_{band}"].sum()
        classes = schools[f"classes_{band}"] + schools[f"planned_classes_{band}"]
        classes = classes + pd.Series({s: v.get(band, 0) for s, v in extra.items()})
        classes = classes.fillna(schools[f"classes_{band}"] + schools[f"planned_classes_{band}"])
        assert (load <= classes.reindex(load.index) * lim).all(), band
