"""Stability against today's districts (issue 19): brute force on tiny towns for the moved
limit, the journey-increase limit and the stay weight; independent counts on a small town."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from geoplan.data.messages import problem_text
from geoplan.errors import ArgumentError, InfeasibleError
from geoplan.models._contiguity import rook_adjacency
from geoplan.models.districts import plan_districts, solve_districts

CRS = "EPSG:32645"


def grid(nx_: int, ny_: int, size: float = 100.0) -> list[shapely.Geometry]:
    return [
        shapely.box(x * size, y * size, (x + 1) * size, (y + 1) * size)
        for y in range(ny_)
        for x in range(nx_)
    ]


def shared_edge_graph(geoms: list[shapely.Geometry]) -> nx.Graph:
    """Neighbours by the length of their common boundary, pair by pair (no geoplan code)."""
    graph = nx.Graph()
    graph.add_nodes_from(range(len(geoms)))
    for a, b in itertools.combinations(range(len(geoms)), 2):
        if geoms[a].boundary.intersection(geoms[b].boundary).length > 1.0:
            graph.add_edge(a, b)
    return graph


def brute_force(demand, cost, cap, graph, home, today, *, max_moved, rise, stay_w):
    """Least journey + stay_w x moved over every feasible assignment (None if none)."""
    n, m = cost.shape
    pupils = demand.sum(axis=1)
    today_min = cost[np.arange(n), today]
    best = None
    for combo in itertools.product(range(m), repeat=n):
        a = np.array(combo)
        if any(a[home[j]] != j for j in range(m)):
            continue
        load = np.zeros_like(cap)
        np.add.at(load, a, demand)
        if np.any(load > cap + 1e-9):
            continue
        moved = float(pupils[a != today].sum())
        if max_moved is not None and moved > max_moved + 1e-9:
            continue
        journey = cost[np.arange(n), a]
        forced = np.zeros(n, dtype=bool)
        forced[home] = True  # a school's own block belongs to its school, whatever the limit
        if rise is not None and np.any((journey > today_min + rise + 1e-9) & ~forced):
            continue
        if not all(nx.is_connected(graph.subgraph(np.flatnonzero(a == j))) for j in range(m)):
            continue
        obj = float((pupils * journey).sum()) + stay_w * moved
        best = obj if best is None else min(best, obj)
    return best


def tiny(seed: int):
    rng = np.random.default_rng(seed)
    geoms = grid(4, 2) if seed % 2 == 0 else grid(3, 2)
    n = len(geoms)
    m = 3 if seed % 3 == 0 else 2
    home = rng.choice(n, m, replace=False)
    xy = np.array([[g.centroid.x, g.centroid.y] for g in geoms])
    cost = np.linalg.norm(xy[:, None] - xy[home][None], axis=2) / 40 + rng.uniform(0, 3, (n, m))
    demand = rng.integers(1, 25, (n, 2)).astype(float)
    cap = np.tile(demand.sum(0) / m * rng.uniform(1.1, 1.5), (m, 1))
    today = rng.integers(0, m, n)
    today[home] = np.arange(m)
    return geoms, demand, cost, cap, home, today


CASES = [
    (seed, limits)
    for seed in range(6)
    for limits in (
        {"max_moved": 20.0},
        {"rise": 1.5},
        {"stay_w": 4.0},
        {"max_moved": 35.0, "rise": 2.5, "stay_w": 1.0},
    )
]


@pytest.mark.parametrize(("seed", "limits"), CASES)
def test_stability_limits_equal_brute_force(seed, limits):
    geoms, demand, cost, cap, home, today = tiny(seed)
    max_moved = limits.get("max_moved")
    rise = limits.get("rise")
    stay_w = limits.get("stay_w", 0.0)
    expected = brute_force(
        demand, cost, cap, shared_edge_graph(geoms), home, today,
        max_moved=max_moved, rise=rise, stay_w=stay_w,
    )  # fmt: skip
    kwargs = {
        "status_quo": today,
        "max_moved": max_moved,
        "max_journey_increase_min": rise,
        "stay_weight_min": stay_w,
        "method": "exact",
        "mip_rel_gap": 0.0,
    }
    adj = rook_adjacency(gpd.GeoSeries(geoms, crs=CRS))
    if expected is None:
        with pytest.raises(InfeasibleError):
            sol = solve_districts(demand, cost, cap, adj, home, **kwargs)
            if sol.status == "not_feasible":
                raise InfeasibleError("not feasible")
        return
    sol = solve_districts(demand, cost, cap, adj, home, **kwargs)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(expected, rel=1e-9, abs=1e-9)
    # The plan itself satisfies every limit, counted here from the arrays.
    a = sol.assignment
    pupils = demand.sum(axis=1)
    if max_moved is not None:
        assert pupils[a != today].sum() <= max_moved + 1e-9
    if rise is not None:
        free = np.ones(len(a), dtype=bool)
        free[home] = False
        n = len(a)
        assert np.all((cost[np.arange(n), a] - cost[np.arange(n), today])[free] <= rise + 1e-9)


def test_stability_needs_todays_school():
    geoms, demand, cost, cap, home, _ = tiny(0)
    adj = rook_adjacency(gpd.GeoSeries(geoms, crs=CRS))
    with pytest.raises(ArgumentError, match="today's school"):
        solve_districts(demand, cost, cap, adj, home, max_moved=10.0)


def small_town(seed: int = 3, nx_: int = 10, ny_: int = 8):
    """A jittered-grid town of 80 blocks, two nine-year and two primary schools; today each
    block goes to a school drawn at random among the two nearest of its level."""
    rng = np.random.default_rng(seed)
    geoms = grid(nx_, ny_, 120.0)
    ids = [f"b{i:03d}" for i in range(len(geoms))]
    blocks = gpd.GeoDataFrame(index=pd.Index(ids, name="id"), geometry=geoms, crs=CRS)
    for band in ("g1_3", "g4_6", "g7_9"):
        blocks[f"pupils_{band}"] = rng.poisson(9, len(geoms))
    pts = [(180, 180), (1000, 240), (260, 800), (1000, 840)]
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
        per = tot[band] * 1.15 / sum(teach) / limit
        schools[f"classes_{band}"] = [int(np.ceil(per)) * t for t in teach]
    centre = np.array([[g.centroid.x, g.centroid.y] for g in geoms])
    xy = np.array(pts, dtype=float)
    minutes = np.linalg.norm(centre[:, None] - xy[None], axis=2) * 1.3 / (4000 / 60)
    for level, cols in (("primary", [0, 1, 2, 3]), ("middle", [0, 3])):
        two = np.argsort(minutes[:, cols], axis=1)[:, :2]
        pick = two[np.arange(len(geoms)), rng.integers(0, 2, len(geoms))]
        blocks[f"school_{level}"] = [f"s{cols[k]}" for k in pick]
    return blocks, schools, minutes


@pytest.mark.slow
def test_plan_stability_counts_and_limits_checked_independently():
    blocks, schools, minutes = small_town()
    free = plan_districts(blocks, schools, travel=minutes, method="exact", time_limit_s=20)
    limits = {lv: 0.7 * free.indicators.loc[lv, "pupils_moved"] for lv in ("primary", "middle")}
    plan = plan_districts(
        blocks, schools, travel=minutes, method="exact", time_limit_s=20,
        max_moved=limits, max_journey_increase_min=4.0, stay_weight_min=2.0,
    )  # fmt: skip
    pupils = {
        "primary": blocks["pupils_g1_3"] + blocks["pupils_g4_6"],
        "middle": blocks["pupils_g7_9"],
    }
    col_of = {sid: k for k, sid in enumerate(schools.index)}
    for level in ("primary", "middle"):
        today = blocks[f"school_{level}"]
        after = plan.blocks[f"school_{level}"]
        moved = pupils[level][today != after].sum()
        assert moved <= limits[level] + 1e-9
        assert plan.indicators.loc[level, "pupils_moved"] == moved
        # No pupil's journey rises more than 4 minutes (schools' own blocks excepted).
        rows = np.arange(len(blocks))
        t_min = minutes[rows, [col_of[s] for s in today]]
        a_min = minutes[rows, [col_of[s] for s in after]]
        own = blocks.geometry.apply(lambda g: schools.geometry.intersects(g).any()).to_numpy()
        assert np.all((a_min - t_min)[(pupils[level] > 0).to_numpy() & ~own] <= 4.0 + 1e-9)
        # Kept, moved in and out per school, counted here from the two columns.
        table = plan.stability[plan.stability["level"] == level].set_index("school")
        for sid in table.index:
            was, now = today == sid, after == sid
            assert table.loc[sid, "pupils_today"] == pupils[level][was].sum()
            assert table.loc[sid, "pupils_kept"] == pupils[level][was & now].sum()
            assert table.loc[sid, "pupils_moved_out"] == pupils[level][was & ~now].sum()
            assert table.loc[sid, "pupils_moved_in"] == pupils[level][~was & now].sum()
            assert table.loc[sid, "share_kept"] == pytest.approx(
                pupils[level][was & now].sum() / pupils[level][was].sum()
            )
        assert table["pupils_moved_in"].sum() == table["pupils_moved_out"].sum() == moved
        assert (plan.blocks[f"moved_{level}"] == (today != after)).all()
        assert (plan.blocks[f"school_{level}_today"] == today).all()
    assert (plan.districts["pieces"] == 1).all()


def test_stability_limits_name_their_cause_and_need_todays_school():
    blocks, schools, minutes = small_town()
    with pytest.raises(InfeasibleError, match="max_pupils_moved = 0") as err:
        plan_districts(
            blocks, schools, travel=minutes, levels=("primary",), max_moved=0.0, time_limit_s=5
        )
    (problem,) = err.value.problems  # coded, so `geoplan run --lang zh` prints it in Chinese
    assert (problem.code, problem.column, problem.value) == (
        "districts_stability_infeasible",
        "districts.max_pupils_moved",
        "0",
    )
    said, fix = problem_text(problem, "zh")
    assert "districts.max_pupils_moved = 0" in said and "小学学区" in said and "放宽" in fix
    with pytest.raises(ArgumentError, match="Fill `school_middle`"):
        plan_districts(
            blocks.drop(columns="school_middle"), schools, travel=minutes, levels=("middle",),
            max_journey_increase_min=5.0,
        )  # fmt: skip


def test_manifest_reports_each_district_solve():
    """manifest.json's solvers carry each level's objective, bound and gap (as the indicators)."""
    from types import SimpleNamespace

    from geoplan.runs.runner import solver_report

    blocks, schools, minutes = small_town()
    plan = plan_districts(blocks, schools, travel=minutes, levels=("primary",), time_limit_s=5)
    got = solver_report(SimpleNamespace(restoration=None, districts=plan))["districts_primary"]
    ind = plan.indicators.loc["primary"]
    assert got["objective_pupil_min"] == ind["objective_pupil_min"] > 0
    assert got["bound_pupil_min"] == ind["bound_pupil_min"] > 0
    assert got["gap"] == ind["gap"] and got["status"] == ind["status"]


def test_a_zero_journey_increase_is_a_limit_too():
    """`max_journey_increase_min: 0` (no journey may rise) is checked like any other value."""
    blocks, schools, minutes = small_town()
    with pytest.raises(
        ArgumentError, match=r"max_journey_increase_min.*Fill `school_middle`"
    ) as err:
        plan_districts(
            blocks.drop(columns="school_middle"), schools, travel=minutes, levels=("middle",),
            max_journey_increase_min=0.0,
        )  # fmt: skip
    (problem,) = err.value.problems  # coded: the scenario's field names, in Chinese too
    assert (problem.code, problem.column) == ("districts_stability_needs_today", "school_middle")
    said, fix = problem_text(problem, "zh")
    assert "districts.max_journey_increase_min" in said and "初中" in said and "blocks" in fix


def demo_town():
    """The demo county town, its open schools within 2 km and the pupil-walk block matrix."""
    from geoplan.data.datasets import demo_county
    from geoplan.network.roads import load_graph
    from geoplan.network.travel import travel_matrix

    area = demo_county()
    blocks = area.blocks
    near = blocks.union_all().buffer(2000)
    schools = area.schools[(area.schools["status"] == "open") & area.schools.within(near)]
    points = gpd.GeoDataFrame(
        blocks.drop(columns="geometry"),
        geometry=blocks.geometry.representative_point(),
        crs=area.crs,
    )
    graph = load_graph(area.roads_path, to_crs=area.crs)
    return blocks, schools, travel_matrix(graph, points, schools, mode="pupil_walk")


@pytest.mark.slow
def test_demo_stability_checked_from_the_blocks_table() -> None:
    """The demo town with a moved cap and a journey-increase limit: counts from the blocks."""
    blocks, schools, matrix = demo_town()
    caps = {"primary": 650.0, "middle": 420.0}
    plan = plan_districts(
        blocks, schools, travel=matrix, max_moved=caps, max_journey_increase_min=5.0,
        stay_weight_min=1.0, time_limit_s=15,
    )  # fmt: skip
    minutes = matrix.minutes_frame()
    pupils = {
        "primary": blocks["pupils_g1_3"] + blocks["pupils_g4_6"],
        "middle": blocks["pupils_g7_9"],
    }
    homes = {sid: blocks.index[blocks.intersects(pt)][0] for sid, pt in schools.geometry.items()}
    for level, cap in caps.items():
        today, after = blocks[f"school_{level}"], plan.blocks[f"school_{level}"]
        moved = pupils[level][today != after].sum()
        assert moved <= cap
        assert plan.indicators.loc[level, "pupils_moved"] == moved
        rows = zip(blocks.index, today, after, strict=True)
        rise = np.array([minutes.loc[b, a] - minutes.loc[b, t] for b, t, a in rows])
        free = ~blocks.index.isin(list(homes.values())) & (pupils[level] > 0).to_numpy()
        assert np.all(rise[free] <= 5.0 + 1e-9)
        table = plan.stability[plan.stability["level"] == level].set_index("school")
        kept = pd.Series(pupils[level][today == after].groupby(today[today == after]).sum())
        assert table["pupils_kept"].to_dict() == pytest.approx(
            kept.reindex(table.index).fillna(0).to_dict()
        )
        assert table["pupils_moved_out"].sum() == moved
    assert (plan.districts["pieces"] == 1).all()
