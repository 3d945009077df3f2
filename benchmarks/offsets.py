"""Margins of the undeclared GCJ-02 / BD-09 detector on long rural roads (geoplan.network.offsets).

Run: ``/work/venv/bin/python benchmarks/offsets.py [n_seeds]`` (default 20 seeds, about a minute).
Networks: ``tests/rural_roads.py`` (junctions 1-10 km apart on a jittered 5 km lattice, winding
roads, 150 villages on the roads, 4 % of them 300-1500 m off-road; EPSG:32645 near 85.8 E,
42.4 N, where GCJ-02 moves points about 250 m and BD-09 about 1.1 km), nine Voronoi townships.

Point layers, each as WGS-84 (the truth), GCJ-02 and BD-09: ``on roads`` (the villages as
drawn), ``30 % sparse`` (30 % of them moved 1-3 km off the road), ``all sparse`` (every village
1-3 km off), and random draws of 10 and 20 villages. For each: the median distance to the roads
as given and converted from each candidate, the ratio best/given (warned at most
``OFFSET_RATIO``), the medians in metres, the margin in metres (the smallest distance of the
best converted median from the nearest warning limit, 0.4 x given or given - 50 m, on the side
of the right answer: negative where some draw was decided wrongly) and the candidate named.

Townships (9 or 20 Voronoi cells) as WGS-84, GCJ-02 and BD-09 against WGS-84 villages whose
``township`` column names the township they lie in (``clean``), or (``sloppy``) where villages
within 150 m of a boundary name the neighbouring township half the time and 2 % name a
township at random (mistyped): villages brought inside the township they name by the best
candidate, taken outside by it, and brought inside by the opposite shift (the control).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from rural_roads import as_offset, in_township, move_off_road, rural_network, rural_townships

from geoplan.data.crs import WGS84
from geoplan.network.offsets import (
    BROKEN_SHARE,
    MIN_FIXED,
    OFFSET_GAIN_M,
    OFFSET_RATIO,
    _named_points,
    _road_medians,
    _township_counts,
)
from geoplan.network.roads import road_lines

SYSTEMS = ("wgs84", "gcj02", "bd09")


def _shifted(gdf, system):
    return gdf if system == "wgs84" else as_offset(gdf, system)


def point_case(tree, crs, gdf):
    lonlat = shapely.get_coordinates(gdf.to_crs(WGS84).geometry.to_numpy())
    given, medians = _road_medians(tree, crs, lonlat)
    best = min(medians, key=medians.__getitem__)
    ratio = medians[best] / given if given > 0 else np.inf
    warned = ratio <= OFFSET_RATIO and given - medians[best] >= OFFSET_GAIN_M
    # metres between the best converted median and the nearest warning limit (0.4 x given, and
    # given - 50 m): positive on the warned side
    margin = min(OFFSET_RATIO * given - medians[best], given - OFFSET_GAIN_M - medians[best])
    return ratio, best if warned else "wgs84", given, medians[best], margin


def sloppy(villages, townships, rng):
    """Villages near a boundary naming the neighbour half the time; 2 % mistyped."""
    out = villages.copy()
    ids = list(townships.index)
    for vid, point in zip(out.index, out.geometry, strict=True):
        own = out.at[vid, "township"]
        if townships.geometry[own].exterior.distance(point) < 150 and rng.random() < 0.5:
            others = [t for t in ids if t != own and townships.geometry[t].distance(point) < 150]
            if others:
                out.at[vid, "township"] = others[0]
        if rng.random() < 0.02:
            out.at[vid, "township"] = ids[int(rng.integers(len(ids)))]
    return out


def main(n_seeds: int = 20) -> None:
    ratios = defaultdict(list)  # (case, system) -> ratios
    metres = defaultdict(list)  # (case, system) -> (given, converted, margin)
    named = defaultdict(lambda: defaultdict(int))  # (case, system) -> candidate -> count
    towns = defaultdict(list)  # system -> (fixed, broken, candidate)
    for seed in range(n_seeds):
        graph, villages, _ = rural_network(seed)
        crs = graph.graph["crs"]
        tree = shapely.STRtree(road_lines(graph))
        rng = np.random.default_rng(seed)
        cases = {
            "on roads": villages,
            "30 % sparse": move_off_road(villages, 0.3, seed, low_m=1000, high_m=3000),
            "all sparse": move_off_road(villages, 1.0, seed, low_m=1000, high_m=3000),
        }
        for n in (10, 20):
            for draw in range(10):
                cases[f"{n} villages #{draw}"] = villages.iloc[
                    rng.choice(len(villages), n, replace=False)
                ]
        for case, gdf in cases.items():
            key = case.split(" #")[0]
            for system in SYSTEMS:
                ratio, name, given, converted, margin = point_case(tree, crs, _shifted(gdf, system))
                ratios[(key, system)].append(ratio)
                metres[(key, system)].append((given, converted, margin))
                named[(key, system)][name] += 1
        for n_towns in (9, 20):
            townships = rural_townships(graph, seed, n=n_towns)
            truth = in_township(villages, townships)
            for labels, named_ in (("clean", truth), ("sloppy", sloppy(truth, townships, rng))):
                for system in SYSTEMS:
                    shifted = _shifted(townships, system)
                    points, where = _named_points(shifted, {"villages": named_})
                    _, found = _township_counts(shifted.geometry.to_numpy(), crs, points, where)
                    best = max(found, key=lambda n: found[n][0] - found[n][1])
                    fixed, broken, _, control = found[best]
                    warned = fixed >= MIN_FIXED and max(broken, control) <= BROKEN_SHARE * fixed
                    towns[(n_towns, labels, system)].append(
                        (fixed, broken, control, best if warned else "wgs84")
                    )

    print(
        f"Point layers ({n_seeds} seeds; ratio = best converted / given median, warn <= "
        f"{OFFSET_RATIO}):"
    )
    print(
        "| layer | truth | ratio min | 10th pct | median | 90th pct | max | given m | "
        "converted m | margin m | named |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (case, system), values in ratios.items():
        q = np.percentile(values, [0, 10, 50, 90, 100])
        given, converted, margin = np.array(metres[(case, system)]).T
        # the margin that matters: the smallest on the side of the right answer
        worst = margin.min() if system != "wgs84" else -margin.max()
        names = ", ".join(f"{k} {v}" for k, v in sorted(named[(case, system)].items()))
        print(
            f"| {case} | {system} | "
            + " | ".join(f"{x:.2f}" for x in q)
            + f" | {np.median(given):.0f} | {np.median(converted):.0f} | {worst:.0f} | {names} |"
        )
    print(
        f"\nTownships ({n_seeds} seeds; in = villages brought inside the township they name "
        "by the best candidate, out = taken outside, control = brought inside by the opposite "
        f"shift; warn: in >= {MIN_FIXED}, out and control <= {BROKEN_SHARE} x in)"
    )
    print("| townships | labels | truth | in min-median-max | out | control | named |")
    print("|---|---|---|---|---|---|---|")
    for (n_towns, labels, system), rows in towns.items():
        cols = [np.array([r[k] for r in rows]) for k in range(3)]
        spans = [f"{c.min()}-{np.median(c):.0f}-{c.max()}" for c in cols]
        names = defaultdict(int)
        for r in rows:
            names[r[3]] += 1
        listed = ", ".join(f"{k} {v}" for k, v in sorted(names.items()))
        print(f"| {n_towns} | {labels} | {system} | " + " | ".join(spans) + f" | {listed} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
