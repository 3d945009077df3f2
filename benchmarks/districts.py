"""Benchmark: school districts of a generated town (5,000 blocks, 40 schools).

The town is generated with a fixed seed: Voronoi blocks around points drawn from clustered
(Gaussian-mixture) centres in a 12 x 10 km square, pupils per block clustered too (dense centres),
40 schools placed at random (not on a lattice) among the blocks, capacities sized so total
capacity is 3-5 % above demand. Reports the heuristic's objective, the capacitated-assignment LP
bound, the gap, contiguity, capacity and time.

Run: ``/work/venv/bin/python benchmarks/districts.py [--blocks 5000 --schools 40]``;
town size, exact: ``... --blocks 400 --schools 10 --method exact --time-limit 30``.

Issue 19 (both levels): ``--feeders`` adds a middle level (one nine-year school at every third
school's block, grades 7-9 pupils about 0.45 of the primary pupils per block, classes of 50, each
middle school's places sized for the primary schools nearest to it, 3-5 % above their share) and
plans both levels jointly, every primary district inside one middle district
(``solve_feeder_districts``); ``--levels 2`` plans the same two levels apart (no feeders).
``--moved-cap F`` sets today's districts to each block's nearest school and allows at most F x
the pupils of each level to change school.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import shapely

from geoplan.models._contiguity import rook_adjacency
from geoplan.models.districts import solve_districts, solve_feeder_districts

SEED = 20240607
CRS = "EPSG:32645"


def generate_town(n_blocks: int = 5000, n_schools: int = 40, seed: int = SEED):
    rng = np.random.default_rng(seed)
    width, height = 12_000.0, 10_000.0
    centres = rng.uniform([1000, 1000], [width - 1000, height - 1000], (12, 2))
    spread = rng.uniform(400, 1500, 12)
    which = rng.integers(0, 12, n_blocks)
    pts = centres[which] + rng.normal(0, 1, (n_blocks, 2)) * spread[which, None]
    pts = np.clip(pts, 1, [width - 1, height - 1])
    frame = shapely.box(0, 0, width, height)
    cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame)
    geoms = shapely.intersection(np.asarray(cells.geoms), frame)
    # voronoi_polygons returns cells in no particular order: order them by their seed point.
    tree = shapely.STRtree(geoms)
    order = tree.query(shapely.points(pts), predicate="intersects")
    first = {}
    for p_i, g_i in zip(*order, strict=True):
        first.setdefault(int(p_i), int(g_i))
    geoms = geoms[[first[i] for i in range(n_blocks)]]
    blocks = gpd.GeoSeries(geoms, crs=CRS)
    area_ha = blocks.area.to_numpy() / 10_000
    density = rng.lognormal(np.log(6.0), 0.5, n_blocks)  # pupils per hectare, dense centres
    primary = np.minimum(np.rint(density * np.minimum(area_ha, 4.0)), 400) + rng.poisson(
        3, n_blocks
    )
    demand = primary.astype(float)[:, None]
    homes = rng.choice(n_blocks, n_schools, replace=False)
    xy = np.column_stack([blocks.centroid.x, blocks.centroid.y])
    school_xy = xy[homes]
    # Capacity in whole classes of 45 shared by nearby demand, total 3-5 % above demand.
    nearest = np.argmin(((xy[:, None] - school_xy[None]) ** 2).sum(-1), axis=1)
    share = np.bincount(nearest, weights=demand[:, 0], minlength=n_schools)
    share = 0.5 * share + 0.5 * demand.sum() / n_schools
    target = demand.sum() * rng.uniform(1.03, 1.05)
    classes = np.floor(share / share.sum() * target / 45)
    while classes.sum() * 45 < demand.sum() * 1.03:
        classes[np.argmax(share - classes * 45)] += 1
    capacity = (classes * 45)[:, None]
    metres = np.hypot(
        xy[:, None, 0] - school_xy[None, :, 0], xy[:, None, 1] - school_xy[None, :, 1]
    )
    minutes = metres * 1.3 / (4000 / 60)
    return blocks, demand, minutes, capacity, homes


def middle_level(demand, minutes, capacity, homes, slack=(0.03, 0.05), seed: int = SEED):
    """Grades 7-9 of the same town: nine-year schools at every third school's block.

    Each middle school's places are sized for the primary schools whose block is nearest to it
    (their primary places x the town's ratio of grades 7-9 to primary pupils, plus the slack),
    as a county sizing its middle schools for their feeder primaries would.
    """
    rng = np.random.default_rng(seed + 1)
    cols = np.arange(0, len(homes), 3)
    mid = (np.rint(demand[:, 0] * 0.45) + rng.poisson(1, len(demand))).astype(float)[:, None]
    feeder_of = np.argmin(minutes[homes][:, cols], axis=1)  # nearest middle school per primary
    places = np.bincount(feeder_of, weights=capacity[:, 0], minlength=cols.size)
    ratio = mid.sum() / demand.sum()
    target = places * ratio * (1 + rng.uniform(*slack, cols.size))
    classes = np.ceil(target / 50)
    return mid, minutes[:, cols], (classes * 50)[:, None], homes[cols], cols


def _report(name, sol, demand, capacity, today=None) -> None:
    moved = ""
    if today is not None:
        moved = f", moved {demand[sol.assignment != today].sum():.0f} of {demand.sum():.0f}"
    print(
        f"  {name}: objective {sol.objective:,.0f}, LP {sol.lp_bound:,.0f}, contiguous "
        f"{sol.contiguous}, over capacity {sol.over_capacity_pupils:.0f}{moved}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--blocks", type=int, default=5000)
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--method", default="heuristic", choices=("heuristic", "exact", "auto"))
    parser.add_argument("--feeders", action="store_true", help="both levels, nested")
    parser.add_argument("--levels", type=int, default=1, choices=(1, 2))
    parser.add_argument("--middle-slack", type=float, default=0.03, help="places over pupils")
    parser.add_argument("--moved-cap", type=float, default=None, help="share of pupils")
    args = parser.parse_args()
    t0 = time.perf_counter()
    blocks, demand, minutes, capacity, homes = generate_town(args.blocks, args.schools)
    adjacency = rook_adjacency(blocks)
    t_gen = time.perf_counter() - t0
    slack = capacity.sum() / demand.sum() - 1
    print(
        f"town: {len(blocks)} blocks, {len(homes)} schools, {demand.sum():.0f} pupils, "
        f"capacity +{slack:.1%}, {adjacency.nnz // 2} rook edges (built in {t_gen:.1f}s)"
    )
    today_p = np.argmin(minutes, axis=1) if args.moved_cap is not None else None
    cap_p = None if today_p is None else args.moved_cap * demand.sum()
    if not args.feeders and args.levels == 1:
        sol = solve_districts(
            demand,
            minutes,
            capacity,
            adjacency,
            homes,
            method=args.method,
            time_limit_s=args.time_limit,
            status_quo=today_p,
            max_moved=cap_p,
        )
        load = np.bincount(sol.assignment, weights=demand[:, 0], minlength=len(homes))
        print(
            f"{sol.method}: objective {sol.objective:,.0f} pupil-min, bound {sol.bound:,.0f} "
            f"(LP {sol.lp_bound:,.0f}), "
            f"gap {sol.gap:.2%}, contiguous {sol.contiguous}, over capacity "
            f"{sol.over_capacity_pupils:.0f} (max load/cap {np.max(load / capacity[:, 0]):.3f}), "
            f"status {sol.status}, {sol.seconds:.1f}s"
        )
        if today_p is not None:
            _report("primary", sol, demand[:, 0], capacity, today_p)
        return
    slack_m = (args.middle_slack, args.middle_slack + 0.02)
    mid, minutes_m, capacity_m, homes_m, cols = middle_level(
        demand, minutes, capacity, homes, slack_m
    )
    today_m = np.argmin(minutes_m, axis=1) if args.moved_cap is not None else None
    cap_m = None if today_m is None else args.moved_cap * mid.sum()
    print(
        f"middle: {len(homes_m)} nine-year schools, {mid.sum():.0f} pupils, "
        f"capacity +{capacity_m.sum() / mid.sum() - 1:.1%}"
    )
    primary = {"demand": demand, "cost": minutes, "capacity": capacity, "adjacency": adjacency,
               "home": homes, "status_quo": today_p, "max_moved": cap_p}  # fmt: skip
    middle = {"demand": mid, "cost": minutes_m, "capacity": capacity_m, "adjacency": adjacency,
              "home": homes_m, "status_quo": today_m, "max_moved": cap_m}  # fmt: skip
    if args.feeders:
        feeds = np.full(len(homes), -1)
        feeds[cols] = np.arange(cols.size)
        got = solve_feeder_districts(
            primary, middle, feeds=feeds, method=args.method, time_limit_s=args.time_limit
        )
        print(
            f"feeders, {got.method}: objective {got.objective:,.0f} pupil-min, bound "
            f"{got.bound:,.0f} (LP {got.lp_bound:,.0f}), gap {got.gap:.2%}, status "
            f"{got.status}, {got.seconds:.1f}s"
        )
        _report("primary", got.primary, demand[:, 0], capacity, today_p)
        _report("middle", got.middle, mid[:, 0], capacity_m, today_m)
        nested = all(
            np.unique(got.middle.assignment[got.primary.assignment == j]).size == 1
            for j in range(len(homes))
        )
        print(f"  every primary district inside one middle district: {nested}")
        return
    t1 = time.perf_counter()
    half = args.time_limit / 2
    sols = [
        solve_districts(**lv, method=args.method, time_limit_s=half) for lv in (primary, middle)
    ]
    total = sum(s.objective for s in sols)
    bound = sum(s.bound for s in sols)
    print(
        f"two levels apart: objective {total:,.0f} pupil-min, bound {bound:,.0f}, gap "
        f"{(total - bound) / total:.2%}, status {[s.status for s in sols]}, "
        f"{time.perf_counter() - t1:.1f}s"
    )
    _report("primary", sols[0], demand[:, 0], capacity, today_p)
    _report("middle", sols[1], mid[:, 0], capacity_m, today_m)


if __name__ == "__main__":
    main()
