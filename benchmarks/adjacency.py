"""Benchmark: block adjacency of a 10,000-block town, clean, with digitising gaps, and streets.

The town (seed 18) is the Voronoi diagram of a 100 m lattice of points, each moved by up to 35 m,
so blocks are about a hectare, with 4-8 sides of all lengths (short ones too). Three versions:

* clean: shared edges coincide (the reference adjacency: gap 2 m, shared frontage 10 m);
* perturbed: every vertex of every block moved by up to 0.5 m on its own
  (``scripts/make_rough_towns.py``), so shared edges cross instead of coinciding;
* streets: every block shrunk by 10 m (20 m streets), adjacency with ``gap_tolerance_m=30``.

For each it reports the wall and CPU seconds (the machine is shared: CPU time is the steadier
figure) of :func:`geoplan.models._contiguity.rook_adjacency`, the pairs
found and how many differ from the clean adjacency; the baseline is the exact-edge rule (length of
the intersection of the two boundaries, the rule before tolerant adjacency).

Run: ``/work/venv/bin/python benchmarks/adjacency.py [--blocks 10000]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geoplan.models._contiguity import rook_adjacency, shared_frontage

ROOT = Path(__file__).resolve().parents[1]


def _rough_towns():  # the committed perturbation script
    spec = importlib.util.spec_from_file_location(
        "make_rough_towns", ROOT / "scripts" / "make_rough_towns.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lattice_town(n_blocks: int, seed: int = 18) -> gpd.GeoSeries:
    """Voronoi blocks around a jittered 100 m lattice of about ``n_blocks`` points."""
    rng = np.random.default_rng(seed)
    side = round(np.sqrt(n_blocks))
    xy = np.stack(np.meshgrid(np.arange(side), np.arange(side)), axis=-1).reshape(-1, 2) * 100.0
    xy = xy + rng.uniform(-35.0, 35.0, xy.shape)
    frame = shapely.box(-50.0, -50.0, side * 100.0 - 50.0, side * 100.0 - 50.0)
    cells = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=frame)
    geoms = shapely.intersection(np.asarray(cells.geoms), frame)
    return gpd.GeoSeries(geoms[~shapely.is_empty(geoms)], crs="EPSG:32645")


def exact_edges(blocks: gpd.GeoSeries, min_shared_m: float = 10.0) -> set[tuple[int, int]]:
    """The exact-edge rule: boundaries intersect over at least ``min_shared_m``."""
    values = np.asarray(blocks.values)
    left, right = shapely.STRtree(values).query(values, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    bnd = shapely.boundary(values)
    shared = shapely.length(shapely.intersection(bnd[left], bnd[right]))
    ok = shared >= min_shared_m
    return set(zip(left[ok].tolist(), right[ok].tolist(), strict=True))


def pairs(adj) -> set[tuple[int, int]]:
    rows, cols = adj.nonzero()
    return {(int(a), int(b)) for a, b in zip(rows, cols, strict=True) if a < b}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=10_000)
    args = parser.parse_args()
    rough = _rough_towns()
    blocks = lattice_town(args.blocks)
    t0, c0 = time.perf_counter(), time.process_time()
    reference = exact_edges(blocks)
    base_s, base_cpu = time.perf_counter() - t0, time.process_time() - c0
    versions = {
        "clean": (blocks, {}),
        "perturbed": (rough.perturbed_blocks(gpd.GeoDataFrame(geometry=blocks)).geometry, {}),
        "streets": (
            rough.street_blocks(gpd.GeoDataFrame(geometry=blocks)).geometry,
            {"gap_tolerance_m": 30.0},
        ),
    }
    clean_len = shared_frontage(blocks).set_index(["a", "b"])["shared_m"]
    print(json.dumps({"blocks": args.blocks, "exact_edge_rule_s": round(base_s, 2),
                      "exact_edge_rule_cpu_s": round(base_cpu, 2),
                      "clean_pairs": len(reference)}))  # fmt: skip
    for name, (geoms, kwargs) in versions.items():
        t0, c0 = time.perf_counter(), time.process_time()
        adj = rook_adjacency(geoms, **kwargs)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        got = pairs(adj)
        exact = exact_edges(geoms) if name != "clean" else reference
        row = {
            "version": name,
            "seconds": round(seconds, 2),
            "cpu_s": round(cpu, 2),
            "pairs": len(got),
            "missing_vs_clean": len(reference - got),
            "extra_vs_clean": len(got - reference),
            "exact_edge_rule_pairs": len(exact),
            # the clean shared edges of the pairs that differ: borderline or short ones
            "differ_clean_shared_m_max": round(
                max((float(clean_len.get(p, 0.0)) for p in reference ^ got), default=0.0), 1
            ),
        }
        print(json.dumps(row))


if __name__ == "__main__":
    main()
