"""The demo county town's blocks as real maps draw them: digitising gaps and street blocks (seeded).

Two versions of the clean ``blocks`` layer of the demo county, for testing adjacency on real maps:

* **perturbed**: every boundary is cut into pieces of at most ``--step-m`` metres and each block's
  own copy of every vertex is moved by up to ``--shift-m`` (0.5 m) in a random direction, so the
  two copies of a shared edge cross each other again and again instead of coinciding (as two
  offices digitising the same street would draw it);
* **street blocks**: every block shrunk by ``--shrink-m`` (10 m), so 20 m streets run between them.

Run from the repository root::

    python scripts/make_rough_towns.py --out outputs/rough_towns   # seed 18

It writes ``rough_towns.gpkg`` with the layers ``clean``, ``perturbed`` and ``streets`` (in the
demo's metric CRS). The tests call :func:`perturbed_blocks` and :func:`street_blocks` directly.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

SEED = 18
SHIFT_M = 0.5
STEP_M = 8.0
SHRINK_M = 10.0


def perturbed_blocks(
    blocks: gpd.GeoDataFrame,
    *,
    seed: int = SEED,
    shift_m: float = SHIFT_M,
    step_m: float = STEP_M,
) -> gpd.GeoDataFrame:
    """Blocks whose shared edges cross within ``shift_m`` instead of coinciding (a copy).

    Parameters
    ----------
    blocks
        Polygons in a metric CRS with coinciding shared edges.
    seed
        Seed of the random shifts.
    shift_m
        Largest shift of a vertex, metres.
    step_m
        Boundaries are first cut into pieces of at most this length, metres.

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows and columns; every vertex of every polygon moved independently.
    """
    rng = np.random.default_rng(seed)
    out = blocks.copy()
    shapes = []
    for geom in shapely.segmentize(np.asarray(blocks.geometry.values), step_m):
        polys = list(getattr(geom, "geoms", [geom]))
        rings = []
        for poly in polys:
            moved = []
            for ring in (poly.exterior, *poly.interiors):
                xy = np.asarray(ring.coords)[:-1]
                angle = rng.uniform(0.0, 2.0 * np.pi, len(xy))
                radius = shift_m * np.sqrt(rng.uniform(0.0, 1.0, len(xy)))
                xy = xy + radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
                moved.append(xy)
            rings.append(shapely.Polygon(moved[0], moved[1:]))
        shape = rings[0] if len(rings) == 1 else shapely.MultiPolygon(rings)
        shapes.append(shapely.make_valid(shape))
    out.geometry = gpd.GeoSeries(shapes, index=blocks.index, crs=blocks.crs)
    return out


def street_blocks(blocks: gpd.GeoDataFrame, *, shrink_m: float = SHRINK_M) -> gpd.GeoDataFrame:
    """Blocks shrunk by ``shrink_m``, so streets ``2 * shrink_m`` wide separate them (a copy)."""
    out = blocks.copy()
    shrunk = shapely.buffer(np.asarray(blocks.geometry.values), -shrink_m, join_style="mitre")
    out.geometry = gpd.GeoSeries(shrunk, index=blocks.index, crs=blocks.crs)
    return out


def main(argv: list[str] | None = None) -> int:
    """Write ``rough_towns.gpkg`` (clean, perturbed, streets) into ``--out``."""
    from geoplan.data.datasets import demo_county

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("outputs/rough_towns"))
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--shift-m", type=float, default=SHIFT_M)
    parser.add_argument("--step-m", type=float, default=STEP_M)
    parser.add_argument("--shrink-m", type=float, default=SHRINK_M)
    args = parser.parse_args(argv)
    blocks = demo_county().blocks
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "rough_towns.gpkg"
    layers = {
        "clean": blocks,
        "perturbed": perturbed_blocks(
            blocks, seed=args.seed, shift_m=args.shift_m, step_m=args.step_m
        ),
        "streets": street_blocks(blocks, shrink_m=args.shrink_m),
    }
    for name, layer in layers.items():
        layer.to_file(path, layer=name, driver="GPKG")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
