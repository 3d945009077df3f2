"""Benchmark: school districts of a generated town (5,000 blocks, 40 schools).

The town is generated with a fixed seed: Voronoi blocks around points drawn from clustered
(Gaussian-mixture) centres in a 12 x 10 km square, pupils per block clustered too (dense centres),
40 schools placed at random (not on a lattice) among the blocks, capacities sized so total
capacity is 3-5 % above demand. Reports the heuristic's objective, the capacitated-assignment LP
bound, the gap, contiguity, capacity and time.

Run: ``/work/venv/bin/python benchmarks/districts.py [--blocks 5000 --schools 40]``;
town size, exact: ``... --blocks 400 --schools 10 --method exact --time-limit 30``.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import shapely

from geoplan.models._contiguity import rook_adjacency
from geoplan.models.districts import solve_districts

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--blocks", type=int, default=5000)
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--method", default="heuristic", choices=("heuristic", "exact", "auto"))
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
    sol = solve_districts(
        demand,
        minutes,
        capacity,
        adjacency,
        homes,
        method=args.method,
        time_limit_s=args.time_limit,
    )
    load = np.bincount(sol.assignment, weights=demand[:, 0], minlength=len(homes))
    print(
        f"{sol.method}: objective {sol.objective:,.0f} pupil-min, bound {sol.bound:,.0f} "
        f"(LP {sol.lp_bound:,.0f}), "
        f"gap {sol.gap:.2%}, contiguous {sol.contiguous}, over capacity "
        f"{sol.over_capacity_pupils:.0f} (max load/cap {np.max(load / capacity[:, 0]):.3f}), "
        f"status {sol.status}, {sol.seconds:.1f}s"
    )


if __name__ == "__main__":
    main()
