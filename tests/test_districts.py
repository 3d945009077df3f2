"""Tests of geoplan.models.districts and geoplan.models._contiguity: brute force on tiny
towns, plan checks."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from geoplan.data.messages import problem_text
from geoplan.errors import ArgumentError, InfeasibleError, ValidationError
from geoplan.models._contiguity import dissolved_pieces, rook_adjacency
from geoplan.models.districts import (
    diagnose_capacity,
    least_extra_classes,
    plan_districts,
    solve_districts,
)

CRS = "EPSG:32645"
ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "make_rough_towns", Path(__file__).resolve().parents[1] / "scripts" / "make_rough_towns.py"
)
assert _spec is not None and _spec.loader is not None
rough = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rough)


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
    result = least_extra_classes(
        demand, cost, cap, limit, rook_adjacency(g), home, max_extra_classes=5
    )
    got = result.classes
    assert got.sum() == best == result.total
    assert result.proven_least and result.lower_bound == best and result.gap == 0.0
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


def test_short_capacity_is_diagnosed_with_its_true_cause():
    blocks, schools = town(seed=2)
    schools = schools.copy()
    schools["classes_g7_9"] = [2, 0, 0, 2]
    # Independently: pupils minus places (classes x 50) of grades 7-9.
    short = float(blocks["pupils_g7_9"].sum() - (schools["classes_g7_9"] * 50).sum())
    assert short > 0
    with pytest.raises(InfeasibleError) as info:
        plan_districts(blocks, schools, levels=("middle",), time_limit_s=10)
    msg = str(info.value)
    assert f"Capacity: junior-middle places short by {short:,.0f}" in msg
    assert "journey limit" not in msg.lower()  # no limit was set, so none is blamed
    assert "Least extra classes" in msg and "School A" in msg
    plan = plan_districts(
        blocks, schools, levels=("middle",), time_limit_s=10, allow_over_capacity=True
    )
    diag = plan.diagnoses["middle"]
    assert diag.causes == ("capacity",)
    assert float(diag.shortages["short"].sum()) == short
    assert diag.least is not None and diag.least.total * 50 >= short
    extra_cols = diag.extra_classes[["extra_classes_g7_9"]].to_numpy()
    assert int(extra_cols.sum()) == diag.least.total
    ind = plan.indicators.loc["middle"]
    assert ind["status"] == "over_capacity" and not ind["fits_today"]
    assert ind["extra_classes_needed"] == diag.least.total
    # The overflow is counted against today's classes: the pupils are all placed.
    assert plan.schools["pupils_g7_9"].fillna(0).sum() == blocks["pupils_g7_9"].sum()
    assert ind["over_capacity_pupils"] >= short
    assert plan.schools["oversized_after"].sum() > 0
    assert (plan.districts["pieces"] == 1).all()


def test_journey_limit_is_blamed_only_when_set_and_names_blocks():
    blocks, schools = town(seed=0)
    with pytest.raises(InfeasibleError) as info:
        plan_districts(blocks, schools, levels=("middle",), max_journey_min=8.0, time_limit_s=5)
    msg = str(info.value)
    # Independently: 8 minutes at 4 km/h with the 1.3 detour is 410 m as the crow flies.
    points = blocks.geometry.representative_point()
    middle = schools[schools["kind"] == "nine_year"].geometry
    far = [b for b, p in points.items() if middle.distance(p).min() * 1.3 / (4000 / 60) > 8]
    assert (
        f"Journey limit: {len(far)} block(s) reach no junior-middle school within 8 minutes" in msg
    )
    assert f"{far[0]}, {far[1]}" in msg


def row_town(pupils=40.0):
    """Five 100 m blocks in a row; school A (roomy) at the west end, B (one class) next to it."""
    g = grid(5, 1)
    blocks = gpd.GeoDataFrame(
        {"name": [f"Row {i}" for i in range(5)], "pupils_g1_3": pupils, "pupils_g4_6": 0.0},
        index=pd.Index([f"r{i}" for i in range(5)], name="id"),
        geometry=list(g),
        crs=CRS,
    )
    schools = gpd.GeoDataFrame(
        {
            "name": ["School A", "School B"],
            "kind": "primary",
            "status": "open",
            "classes_g1_3": [5, 1],
            "classes_g4_6": [1, 1],
        },
        index=pd.Index(["sA", "sB"], name="id"),
        geometry=shapely.points([(50, 50), (150, 50)]),
        crs=CRS,
    )
    return blocks, schools


def test_the_generic_refusal_is_coded_and_placed_at_the_field_its_cause_names():
    blocks, schools = row_town()
    # A's district cannot pass B's block: the MIP finds no contiguous plan, 3 classes at B fit.
    with pytest.raises(InfeasibleError) as info:
        plan_districts(blocks, schools, levels=("primary",), method="exact", time_limit_s=5)
    assert str(info.value).startswith("No contiguous districting fits the capacity and limits")
    problem, diagnosis, least = info.value.problems
    assert problem.code == "districts_no_contiguous_plan"
    assert problem.column == diagnosis.column == "districts.extra_classes"  # not `name`
    assert least.code == "districts_diag_least" and "School B: 3" in least.message
    message, fix = problem_text(problem, "zh")
    assert message == "没有满足学位容量和各项限制的连片学区方案。"
    assert "districts.extra_classes" in fix
    # the diagnosis reaches a run in Chinese, in Chinese
    said = problem_text(diagnosis, "zh")[0]
    assert said.startswith("连片:连片学区至少需要增加 3 个班") and "School B" in said


def test_contiguity_is_named_when_places_suffice_but_a_district_is_walled_in():
    blocks, schools = row_town()
    # 200 pupils, 270 places: enough, but A's district cannot pass B's block to reach r2-r4.
    with pytest.raises(InfeasibleError) as info:
        plan_districts(blocks, schools, levels=("primary",), time_limit_s=5)
    msg = str(info.value)
    assert "Contiguity:" in msg and "School B" in msg
    assert "Capacity:" not in msg.split("Contiguity:")[0].split("\n", 1)[1]
    assert "journey limit" not in msg.lower()
    diag = diagnose_capacity(blocks, schools, level="primary", time_limit_s=5)
    assert "contiguity" in diag.causes and "journey limit" not in diag.causes
    # B must hold r1-r4: 160 pupils in 45-pupil classes, 1 today: 3 more (hand-worked).
    assert diag.least is not None and diag.least.total == 3 and diag.least.proven_least
    assert diag.extra_classes.loc["sB", "extra_classes_g1_3"] == 3


def islanded_town():
    """The small town with its corner block b119 carried 500 m out to sea."""
    blocks, schools = town(seed=0)
    blocks = blocks.copy()
    blocks["name"] = [f"Block {i}" for i in range(len(blocks))]
    blocks.loc["b119", "geometry"] = shapely.affinity.translate(
        blocks.geometry["b119"], 500.0, 500.0
    )
    return blocks, schools


def test_solve_districts_names_stranded_blocks():
    g = grid(3, 1)
    adj = rook_adjacency(g).tolil()
    adj[1, 2] = adj[2, 1] = False  # block 2 cut off, no school on it
    cost = np.ones((3, 1))
    with pytest.raises(InfeasibleError, match=r"Contiguity: 1 block\(s\) \(positions \[2\]\)"):
        solve_districts(np.ones((3, 1)), cost, np.full((1, 1), 10.0), adj.tocsr(), [0])


def test_island_without_a_school_is_reported_by_id_and_name():
    blocks, schools = islanded_town()
    with pytest.raises(InfeasibleError) as info:
        plan_districts(blocks, schools, levels=("primary",), time_limit_s=5)
    msg = str(info.value)
    assert "1 block(s) in 1 piece(s)" in msg and ": b119 (Block 119)." in msg
    assert "districts.islands: join" in msg and "districts.gap_tolerance_m" in msg
    assert "districts.add_pairs" in msg  # the scenario's fields


def test_island_joins_the_district_of_the_school_reached_first():
    blocks, schools = islanded_town()
    plan = plan_districts(blocks, schools, levels=("primary",), islands="join", time_limit_s=10)
    # Independently: the fallback cost is the straight line from the block's representative point.
    point = blocks.geometry["b119"].representative_point()
    first = schools.geometry.distance(point).idxmin()
    assert plan.blocks.loc["b119", "school_primary"] == first
    reason = plan.blocks.loc["b119", "joined_primary"]
    assert schools.loc[first, "name"] in reason and "first" in reason
    assert plan.islands.loc["b119", "joined_to"] == first
    assert (plan.blocks.drop(index="b119")["joined_primary"] == "").all()
    assert (plan.districts["pieces"] == 1).all() and plan.indicators.loc["primary", "contiguous"]


def test_island_with_a_school_is_its_own_district():
    blocks, schools = town(seed=0, slack=1.6)  # the other three schools can hold the town
    blocks = blocks.copy()
    schools = schools.copy()
    home = blocks.index[blocks.intersects(schools.geometry["s1"])][0]
    blocks.loc[home, "geometry"] = shapely.affinity.translate(blocks.geometry[home], 0, -800.0)
    schools.loc["s1", "geometry"] = shapely.affinity.translate(schools.geometry["s1"], 0, -800.0)
    plan = plan_districts(blocks, schools, levels=("primary",), time_limit_s=10)
    assert (plan.blocks["school_primary"] == "s1").sum() == 1
    assert plan.blocks.loc[home, "school_primary"] == "s1"
    assert len(plan.islands) == 0
    assert (plan.districts["pieces"] == 1).all()


def test_scenario_pairs_remove_and_add_neighbours():
    blocks, schools = town(seed=0)
    clean = plan_districts(blocks, schools, levels=("middle",), method="heuristic")
    pairs = clean.adjacency
    assert set(pairs["source"]) == {"measured"} and pairs["used"].all()
    cut = pairs[(pairs["block_a"] == "b119") | (pairs["block_b"] == "b119")]
    remove = [tuple(p) for p in cut[["block_a", "block_b"]].to_numpy()]
    with pytest.raises(InfeasibleError, match="b119"):
        plan_districts(blocks, schools, levels=("middle",), remove_pairs=remove)
    bridged = plan_districts(
        blocks,
        schools,
        levels=("middle",),
        remove_pairs=remove,
        add_pairs=[("b119", "b000")],
        method="heuristic",
    )
    table = bridged.adjacency.set_index(["block_a", "block_b"])
    assert table.loc[("b000", "b119"), "source"] == "added"
    assert not table.loc[remove[0], "used"]
    assert (
        bridged.blocks.loc["b119", "school_middle"] == bridged.blocks.loc["b000", "school_middle"]
    )
    with pytest.raises(ValidationError, match="b999"):
        plan_districts(blocks, schools, levels=("middle",), add_pairs=[("b000", "b999")])


def test_bad_pairs_and_overrides_are_refused_in_english_and_chinese():
    blocks, schools = town(seed=0)
    first = list(blocks.index[:2])
    with pytest.raises(ValidationError) as info:
        plan_districts(blocks, schools, add_pairs=[("b000", "b999"), ("b001", "b001")])
    unknown, same = info.value.problems
    layer = "A pair must name two different blocks of the blocks layer"
    assert (unknown.column, unknown.message) == (
        "districts.add_pairs",
        f"{layer}; unknown: ['b999'].",
    )
    assert same.message == f"{layer}." and same.fix == f"Use block ids such as {first}."
    assert problem_text(unknown, "zh") == (
        "每一对必须是街区图层中两个不同的街区;未知的编号:['b999']。",
        f"使用如 {first} 的街区编号。",
    )
    overrides = {"middle": {"b999": "s404", "b050": "s404"}}  # no such block; no such school
    with pytest.raises(ValidationError) as info:
        plan_districts(blocks, schools, levels=("middle",), overrides=overrides)
    no_block, no_school = info.value.problems
    assert (no_block.row_id, no_block.message) == ("b999", "No block has this id.")
    assert no_school.message == "No open school with this id teaches the middle level."
    assert problem_text(no_block, "zh")[0] == "没有街区使用这个编号。"
    assert problem_text(no_school, "zh")[0] == "没有使用这个编号、开办初中学段的学校。"


def test_a_layer_in_feet_is_reprojected_to_metres():
    blocks, schools = town(seed=0)
    feet = "+proj=utm +zone=45 +datum=WGS84 +units=us-ft +no_defs"
    plan = plan_districts(
        blocks.to_crs(feet), schools.to_crs(feet), levels=("middle",), method="heuristic"
    )
    [note] = plan.warnings
    assert (note.code, note.severity, note.layer) == (
        "districts_blocks_reprojected",
        "note",
        "blocks",
    )
    assert "(US survey foot); it was reprojected to" in note.message and "metres" in note.message
    assert "已转换到" in problem_text(note, "zh")[0]
    metric = plan_districts(blocks, schools, levels=("middle",), method="heuristic")
    assert len(plan.adjacency) == len(metric.adjacency)
    # Square metres, not square feet (10.8 times more); the UTM zone of the centre differs a bit.
    assert plan.districts["area_m2"].sum() == pytest.approx(blocks.area.sum(), rel=0.02)


def test_pieces_agree_with_contiguous_for_multi_part_blocks():
    blocks, schools = town(seed=0)
    blocks = blocks.copy()
    # Two blocks drawn as two parts each (a lane through them): still one unit each.
    for bid in ("b050", "b051"):
        box = blocks.geometry[bid]
        x0, y0, x1, y1 = box.bounds
        mid = (x0 + x1) / 2
        blocks.loc[bid, "geometry"] = shapely.MultiPolygon(
            [shapely.box(x0, y0, mid - 0.5, y1), shapely.box(mid + 0.5, y0, x1, y1)]
        )
    plan = plan_districts(blocks, schools, method="heuristic")
    for level in ("primary", "middle"):
        rows = plan.districts[plan.districts["level"] == level]
        assert (rows["pieces"] == 1).all() == bool(plan.indicators.loc[level, "contiguous"])
    assert plan.indicators["contiguous"].all()


def test_perturbed_and_street_towns_plan_as_the_clean_one():
    blocks, schools = town(seed=0)
    xy = np.column_stack([blocks.centroid.x, blocks.centroid.y])
    sxy = np.column_stack([schools.geometry.x, schools.geometry.y])
    cost = np.hypot(*(xy[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1)) / 60.0
    versions = {
        "clean": (blocks, {}),
        "perturbed": (rough.perturbed_blocks(blocks), {}),
        "streets": (rough.street_blocks(blocks), {"gap_tolerance_m": 30.0}),
    }
    got = {}
    for name, (layer, kw) in versions.items():
        plan = plan_districts(
            layer, schools, travel=cost, method="exact", mip_rel_gap=0.0, time_limit_s=60, **kw
        )
        adj = plan.adjacency[plan.adjacency["used"]]
        got[name] = (
            set(zip(adj["block_a"], adj["block_b"], strict=True)),
            plan.indicators["objective_pupil_min"].round(6).to_dict(),
            plan.indicators["status"].to_dict(),
        )
    assert got["clean"][2] == {"primary": "optimal", "middle": "optimal"}
    assert got["perturbed"][:2] == got["clean"][:2]
    assert got["streets"][:2] == got["clean"][:2]


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


@pytest.fixture(scope="module")
def demo_town():
    """The demo county town: its blocks and the open schools within 2 km of them."""
    from geoplan.data.datasets import demo_county

    area = demo_county()
    near = area.blocks.union_all().buffer(2000)
    schools = area.schools[(area.schools["status"] == "open") & area.schools.within(near)]
    return area.blocks, schools


@pytest.mark.slow
def test_demo_today_shortage_is_pupils_minus_places(demo_town) -> None:
    """Today's town does not fit: the diagnosis's shortage is pupils minus places, per band."""
    blocks, schools = demo_town
    # Independently, from the planner-facing files: pupils of the blocks, classes x the standard
    # class-size limit (45 in primary grades, 50 in junior middle) of the town's open schools.
    raw_blocks = gpd.read_file(ROOT / "data" / "demo" / "blocks.geojson")
    raw_schools = pd.read_excel(ROOT / "data" / "demo" / "schools.xlsx", engine="openpyxl")
    town_ids = set(schools.index)
    raw_schools = raw_schools[raw_schools["id"].isin(town_ids)]
    expected = {
        band: float(
            raw_blocks[f"pupils_{band}"].sum() - (raw_schools[f"classes_{band}"] * limit).sum()
        )
        for band, limit in (("g1_3", 45), ("g4_6", 45), ("g7_9", 50))
    }
    assert all(v > 0 for v in expected.values())
    plan = plan_districts(
        blocks, schools, use_planned=False, allow_over_capacity=True, time_limit_s=10.0
    )
    for level, bands in (("primary", ("g1_3", "g4_6")), ("middle", ("g7_9",))):
        diag = plan.diagnoses[level]
        assert diag.causes[0] == "capacity"
        for band in bands:
            assert float(diag.shortages.loc[f"{level}:{band}", "short"]) == expected[band]
        least = diag.least
        assert least is not None and least.lower_bound <= least.total
        assert least.proven_least == (least.lower_bound == least.total)
        assert plan.indicators.loc[level, "status"] == "over_capacity"
        assert plan.indicators.loc[level, "over_capacity_pupils"] >= sum(expected[b] for b in bands)
    assert (plan.districts["pieces"] == 1).all()
    assert int(plan.schools["oversized_after"].sum()) > 0


@pytest.mark.slow
def test_demo_perturbed_and_street_towns_plan_as_the_clean_one(demo_town) -> None:
    blocks, schools = demo_town
    points = blocks.geometry.representative_point()
    cost = np.column_stack([points.distance(p) for p in schools.geometry]) * 1.3 / (4000 / 60)
    versions = {
        "clean": (blocks, {}),
        "perturbed": (rough.perturbed_blocks(blocks), {}),
        "streets": (rough.street_blocks(blocks), {"gap_tolerance_m": 30.0}),
    }
    got = {}
    for name, (layer, kw) in versions.items():
        plan = plan_districts(
            layer, schools, travel=cost, levels=("middle",), use_planned=True, time_limit_s=60, **kw
        )
        adj = plan.adjacency[plan.adjacency["used"]]
        got[name] = (
            set(zip(adj["block_a"], adj["block_b"], strict=True)),
            round(float(plan.indicators.loc["middle", "objective_pupil_min"]), 6),
        )
        assert plan.indicators.loc["middle", "status"] == "optimal", name
    assert len(got["clean"][0]) == 430
    assert got["perturbed"] == got["clean"]
    assert got["streets"] == got["clean"]


def test_a_level_whose_blocks_hold_no_pupils_is_planned_and_warned_about(caplog):
    # a town survey that counted primary pupils only: pupils_g7_9 0 in every block
    blocks, schools = town(nx_=6, ny_=5)
    for col in ("pupils_g7_9", "pupils_g7_9_resident", "pupils_g7_9_migrant"):
        blocks[col] = 0
    with caplog.at_level("WARNING", logger="geoplan.models.districts"):
        plan = plan_districts(blocks, schools, method="exact", time_limit_s=10)
    [warning] = [p for p in plan.warnings if p.code == "districts_no_pupils"]  # middle only
    assert warning.severity == "warning"
    assert (warning.layer, warning.column, warning.value) == ("blocks", "pupils_g7_9", "0")
    assert warning.message.startswith("No block holds pupils of junior-middle (blocks columns")
    assert problem_text(warning, "zh")[0].startswith("没有街区有初中学生(街区的 pupils_g7_9 列")
    assert caplog.text.count("No block holds pupils") == 1  # logged once, where it was found
    assert plan.indicators.loc["middle", "pupils"] == 0
    assert plan.blocks["school_middle"].notna().all()
    assert (
        plan.indicators.loc["primary", "pupils"]
        == blocks["pupils_g1_3"].sum() + blocks["pupils_g4_6"].sum()
    )


def test_a_school_far_outside_the_block_map_is_warned_about(caplog):
    blocks, schools = town()  # 12 x 10 blocks of 120 m, every school inside
    schools = schools.copy()
    schools.loc["s3", "geometry"] = shapely.Point(3000.0, 3000.0)  # beyond the town's corner
    with caplog.at_level("WARNING", logger="geoplan.models.districts"):
        plan = plan_districts(blocks, schools, method="heuristic", time_limit_s=10)
    # from (3000, 3000) to the corner (1440, 1200) of block b119
    dx, dy = 3000.0 - 1440.0, 3000.0 - 1200.0
    far = [p for p in plan.warnings if p.code == "districts_school_off_map"]
    assert [(p.layer, p.row_id, p.column) for p in far] == [("schools", "s3", "geometry")] * 2
    assert far[0].value == f"{np.hypot(dx, dy):.0f} m" == "2382 m"  # s3, once per level
    assert far[0].message == (
        "School D (s3) lies in no block, 2382 m from the nearest one (b119); its primary "
        "district is anchored there."
    )
    assert "check the school's coordinates" in far[0].fix.lower()
    assert problem_text(far[1], "zh") == (
        "School D (s3) 不在任何街区内,距最近的街区(b119)2382 米;它的初中学区以该街区为起点。",
        "核对该校的坐标,或补上它周围的街区。",
    )
    assert caplog.text.count("lies in no block") == 2  # the others: no word
    assert plan.blocks.loc["b119", "school_middle"] == "s3"  # anchored on its nearest block


def test_blocks_no_districting_can_use_are_refused_by_id_not_a_geos_traceback():
    # a bow-tie block (digitised with crossed corners), one with no polygon, negative pupils:
    # read_planning_area repairs or refuses these; handed to the model directly, it names them
    blocks, schools = town()
    blocks = blocks.copy()
    blocks.loc["b013", "geometry"] = shapely.Polygon(
        [(120, 120), (240, 240), (240, 120), (120, 240)]
    )
    blocks.loc["b014", "geometry"] = shapely.Polygon()
    blocks.loc["b015", "pupils_g4_6"] = -3
    with pytest.raises(ArgumentError) as err:
        plan_districts(blocks, schools, method="heuristic", time_limit_s=5)
    text = str(err.value)
    assert text.startswith("The blocks layer has 3 row(s) no districting can use:")
    assert "Block b013 has an invalid polygon (Self-intersection" in text
    assert "Block b014 has no polygon" in text
    assert "Block b015 has -3 pupils in pupils_g4_6" in text
    assert "Fix: Read the layers with geoplan.data.read_planning_area" in text
    # one coded problem per row, at its id, column and value, in English and Chinese
    where = {(p.row_id, p.column, p.value) for p in err.value.problems}
    assert where == {("b013", "geometry", ""), ("b014", "geometry", ""),
                     ("b015", "pupils_g4_6", "-3")}  # fmt: skip
    zh = {p.row_id: problem_text(p, "zh")[0] for p in err.value.problems}
    assert zh["b014"] == "街区 b014 没有多边形,任何学区都无法包含它。"
    assert zh["b015"] == "街区 b015 的 pupils_g4_6 为 -3 人。"
    assert zh["b013"].startswith("街区 b013 的多边形无效(原因:Self-intersection")


def test_blocks_in_longitude_latitude_are_refused_in_both_languages():
    from geoplan.errors import CRSError

    blocks, schools = town()
    with pytest.raises(CRSError) as err:
        plan_districts(blocks.to_crs(4326), schools, method="heuristic", time_limit_s=5)
    (problem,) = err.value.problems
    assert (problem.code, problem.layer) == ("blocks_crs_not_projected", "blocks")
    assert "The blocks layer is in WGS 84, not a projected CRS" in str(err.value)
    assert problem_text(problem, "zh")[0].startswith("街区图层的坐标系为 WGS 84,不是投影坐标系")


def test_a_school_its_own_block_cannot_reach_is_refused_naming_both():
    # the journeys from the school's own block to it are unreachable (the school joined a road
    # piece cut off from the block's): refused at the cause, not as "no school within the limit"
    blocks, schools = town()
    home = "b013"  # holds School A (200, 200)
    travel = pd.DataFrame(10.0, index=blocks.index, columns=schools.index)
    travel.loc[home, "s0"] = np.inf
    with pytest.raises(InfeasibleError) as err:
        plan_districts(blocks, schools, travel=travel, method="heuristic", time_limit_s=5)
    (problem,) = err.value.problems
    assert problem.code == "districts_home_unreachable" and problem.row_id == "s0"
    # the name says "School" already: the kind word is not written before it again
    assert str(err.value).startswith("School A (s0): its own block b013 reaches it by no road")
    assert problem_text(problem, "zh")[0].startswith("School A (s0):它所在的街区 b013")


def test_a_school_whose_own_block_holds_more_pupils_than_its_places_is_refused_naming_it():
    # School A (s0) stands in block b013: with more grades 1-3 pupils there than its places, no
    # district of it fits (its own block is always in it); the refusal names the block, its
    # pupils, the school's places and the classes that fit them, and these classes do fit
    blocks, schools = town(slack=1.5)
    blocks["name"] = [f"Lane {i}" for i in range(len(blocks))]
    places = int(schools.loc["s0", "classes_g1_3"]) * 45
    blocks.loc["b013", "pupils_g1_3"] = places + 60
    with pytest.raises(InfeasibleError) as err:
        plan_districts(blocks, schools, method="heuristic", time_limit_s=5)
    (problem,) = [p for p in err.value.problems if p.code == "districts_home_over_places"]
    extra = -(-(places + 60) // 45) - int(schools.loc["s0", "classes_g1_3"])
    assert problem.message.startswith(
        f"School A (s0): its own block b013 (Lane 13) already holds {places + 60} grades 1-3 "
        f"pupils, more than the school's {places} places"
    )
    assert f"at least {extra} more grades 1-3 classes (districts.extra_classes)" in problem.fix
    assert "split block b013 (Lane 13)" in problem.fix
    assert problem.column == "districts.extra_classes"
    zh = problem_text(problem, "zh")
    said = f"街区 b013 (Lane 13) 已有 1-3 年级学生 {places + 60} 人,超过该校的 {places} 个学位"
    assert said in zh[0]
    assert f"至少增加 {extra} 个 1-3 年级班级" in zh[1]
    # the spread-out capacity finding ("places suffice in total") is not said beside it
    assert "districts_diag_capacity_spread" not in [p.code for p in err.value.problems]
    fewer = pd.DataFrame({"extra_classes_g1_3": {"s0": extra - 1}})
    with pytest.raises(InfeasibleError, match=r"already holds"):
        plan_districts(blocks, schools, method="heuristic", time_limit_s=5, extra_classes=fewer)
    more = pd.DataFrame({"extra_classes_g1_3": {"s0": extra}})
    plan = plan_districts(blocks, schools, method="heuristic", time_limit_s=5, extra_classes=more)
    assert plan.blocks.loc["b013", "school_primary"] == "s0"
