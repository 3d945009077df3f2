"""Run time of the township edge checks (overlaps, enclosed gaps, gaps open to the county edge).

Run: ``PYTHONPATH=. /work/venv/bin/python benchmarks/township_edges.py [repeats]`` (default 5,
best of them). Sets: the demo's 11 townships (``geoplan.data.datasets.demo_county()``, 791
vertices) and a synthetic county of 100 Voronoi townships (seed 7): 100 random seeds in a disc
of 35,000 km² (the demo's size) whose edge wiggles 0-3 km every 100 m, cells clipped to it with a
vertex every 500 m (about 29,000 vertices; shared edges digitised once). Each set is timed
clean, and with one township cut back 40 m from a neighbour (a strip open to the county's
edge, which must be found). ``without inlets`` is the same check with the inlet step skipped
(the check as it was before it), in the same run.
"""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Any
from unittest import mock

import geopandas as gpd
import numpy as np
import shapely

from geoplan.data import validation
from geoplan.data.datasets import demo_county


def synthetic(n: int = 100, seed: int = 7) -> gpd.GeoDataFrame:
    """``n`` Voronoi townships in a wiggly disc of 35,000 km², EPSG:32645."""
    rng = np.random.default_rng(seed)
    radius = np.sqrt(35_000e6 / np.pi)
    steps = int(2 * np.pi * radius / 100)
    angle = np.linspace(0, 2 * np.pi, steps, endpoint=False)
    wiggle = np.convolve(rng.normal(0, 1, steps), np.ones(30) / 30, mode="same") * 3000 * 5
    r = radius + np.clip(wiggle, -3000, 3000)
    outline = shapely.Polygon(np.c_[r * np.cos(angle), r * np.sin(angle)] + [500_000, 4_700_000])
    pts = []
    x0, y0, x1, y1 = outline.bounds
    while len(pts) < n:
        p = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if outline.contains(p):
            pts.append(p)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(pts)))
    geoms = [shapely.segmentize(c.intersection(outline), 500.0) for c in cells]
    geoms = [g for g in geoms if not g.is_empty]
    ids = [f"T{i:03d}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"id": ids}, geometry=geoms, crs=32645).set_index("id")


def with_strip(towns: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, tuple[str, str]]:
    """``towns`` with the first coastal township cut back 40 m from a coastal neighbour."""
    coast = shapely.union_all(towns.geometry.to_numpy()).boundary
    on_coast = [i for i, g in towns.geometry.items() if g.boundary.intersection(coast).length > 0]
    for a in on_coast:
        for b in on_coast:
            shared = towns.geometry[a].intersection(towns.geometry[b])
            if a < b and shared.length > 5000 and shared.intersects(coast):
                out = towns.copy()
                out.loc[a, "geometry"] = towns.geometry[a].difference(towns.geometry[b].buffer(40))
                return out, (a, b)
    raise ValueError("no coastal pair")


def timed(towns: gpd.GeoDataFrame, repeats: int, *, inlets: bool) -> tuple[float, list[Any]]:
    """Best run time of the edge check on ``towns``, and its problems."""
    best, problems = float("inf"), []
    for _ in range(repeats):
        problems = []
        skip = mock.patch.object(validation, "_inlets", return_value=[])
        with contextlib.nullcontext() if inlets else skip:
            start = time.perf_counter()
            boundary = shapely.union_all(towns.geometry.to_numpy())
            validation._check_township_edges(towns, boundary, "townships", problems)
            best = min(best, time.perf_counter() - start)
    return best, problems


def main(repeats: int = 5) -> None:
    demo = demo_county().townships[["geometry"]]
    for name, towns in (("demo, 11 townships", demo), ("synthetic, 100 townships", synthetic())):
        n_vertices = int(shapely.get_num_coordinates(towns.geometry.to_numpy()).sum())
        cut, pair = with_strip(towns)
        for case, layer in (("clean", towns), (f"{pair[0]} cut 40 m from {pair[1]}", cut)):
            before, _ = timed(layer, repeats, inlets=False)
            after, problems = timed(layer, repeats, inlets=True)
            gaps = [
                (p.row_id, p.message.split("about ")[1].split(" wide")[0])
                for p in problems
                if p.code == "township_gap"
            ]
            print(
                f"{name} ({n_vertices} vertices), {case}: {after * 1000:.0f} ms "
                f"(without inlets {before * 1000:.0f} ms); gaps {gaps}"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
