"""Seeded generator of a province-sized planning-area folder (issue 27).

The road graph is :func:`make_road_graph.build` (``side=500``: 250,000 nodes, about 880,000
edges, 125 x 125 km in UTM 45N); on it 10,000 villages in 100 townships (a 10 x 10 grid of
square townships), 300 schools (one nine-year school per township at the village nearest its
middle, and 200 primaries at random villages) and 1,000 former teaching-point sites at random
villages' spots, with seeded pupils, classes, beds and costs. Written as a planning-area folder:
``province.gpkg`` (layers townships, villages, schools, sites; EPSG:4326), ``roads.graphml``,
``area.yaml``, and a scenario ``province_restore_50.yaml`` beside it (restoration of 50 sites in
5 phases of 10, maps, profiles and printable maps off).

Usage: ``python benchmarks/make_province.py OUT_FOLDER [--villages N] [--side S] [--seed K]``
(``--villages 1000 --side 160`` and ``--villages 50000 --side 1000`` give the smaller and
larger provinces of BENCHMARKS.md; sites and schools scale with the villages).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import yaml
from shapely import box, points

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_road_graph import CRS, build

SCENARIO = "province_restore_50.yaml"


def make(
    out: Path, *, n_villages: int = 10_000, side: int = 500, seed: int = 27
) -> dict[str, float]:
    """Write the folder; return seconds per step."""
    import osmnx as ox

    rng = np.random.default_rng(seed)
    times: dict[str, float] = {}
    t = time.perf_counter()
    graph = build(side=side)
    times["graph"] = time.perf_counter() - t
    xy = np.array([(d["x"], d["y"]) for _, d in graph.nodes(data=True)])
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    n_town = 10
    width = (hi - lo) / n_town

    townships = gpd.GeoDataFrame(
        {
            "id": [f"T{i:03d}" for i in range(n_town * n_town)],
            "name": [f"Township {i:03d}" for i in range(n_town * n_town)],
        },
        geometry=[
            box(*(lo + width * [c, r]), *(lo + width * [c + 1, r + 1]))
            for r in range(n_town)
            for c in range(n_town)
        ],
        crs=CRS,
    )

    vx = rng.uniform(lo[0], hi[0], n_villages)
    vy = rng.uniform(lo[1], hi[1], n_villages)
    cell = np.minimum(((np.column_stack([vx, vy]) - lo) / width).astype(int), n_town - 1)
    town_of = np.array([f"T{r * n_town + c:03d}" for c, r in cell])
    size = rng.lognormal(3.2, 0.6, n_villages)  # pupils per band: median ~25
    villages = gpd.GeoDataFrame(
        {
            "id": [f"V{i:05d}" for i in range(n_villages)],
            "name": [f"Village {i:05d}" for i in range(n_villages)],
            "township": town_of,
            "pupils_g1_3": np.round(size * rng.uniform(0.8, 1.2, n_villages)).astype(int),
            "pupils_g4_6": np.round(size * rng.uniform(0.8, 1.2, n_villages)).astype(int),
            "pupils_g7_9": np.round(size * rng.uniform(0.7, 1.1, n_villages)).astype(int),
        },
        geometry=points(vx, vy),
        crs=CRS,
    )

    # one nine-year school per township at the village nearest its middle, the rest primaries
    n_schools = max(n_town * n_town, round(n_villages * 0.03))
    centre = np.array([g.centroid.coords[0] for g in townships.geometry])
    d = (vx[None, :] - centre[:, 0:1]) ** 2 + (vy[None, :] - centre[:, 1:2]) ** 2
    hubs = list(np.argmin(d, axis=1))
    others = rng.choice(np.setdiff1d(np.arange(n_villages), hubs), n_schools - len(hubs), False)
    at = np.concatenate([hubs, others])
    kind = np.array(["nine_year"] * len(hubs) + ["primary"] * len(others))
    jitter = rng.uniform(-150, 150, (len(at), 2))
    classes = {
        "g1_3": rng.integers(3, 9, len(at)),
        "g4_6": rng.integers(3, 9, len(at)),
        "g7_9": np.where(kind == "nine_year", rng.integers(6, 16, len(at)), 0),
    }
    schools = gpd.GeoDataFrame(
        {
            "id": [f"S{i:04d}" for i in range(len(at))],
            "name": [f"School {i:04d}" for i in range(len(at))],
            "kind": kind,
            "township": town_of[at],
            "status": "open",
            **{f"classes_{b}": c for b, c in classes.items()},
            **{
                f"enrolment_{b}": np.round(c * rng.uniform(30, 48, len(at))).astype(int)
                for b, c in classes.items()
            },
            "boarding_beds": np.where(kind == "nine_year", rng.integers(200, 800, len(at)), 0),
        },
        geometry=points(vx[at] + jitter[:, 0], vy[at] + jitter[:, 1]),
        crs=CRS,
    )

    n_sites = round(n_villages * 0.1)
    at_s = rng.choice(n_villages, n_sites, replace=False)
    jitter = rng.uniform(-300, 300, (n_sites, 2))
    sites = gpd.GeoDataFrame(
        {
            "id": [f"P{i:05d}" for i in range(n_sites)],
            "name": [f"Former teaching point {i:05d}" for i in range(n_sites)],
            "township": town_of[at_s],
            "restore_cost_yuan": np.round(rng.uniform(0.8, 2.0, n_sites), 2) * 1e6,
            "annual_cost_yuan": np.round(rng.uniform(0.2, 0.4, n_sites), 2) * 1e6,
            "min_pupils": rng.integers(5, 15, n_sites),
            "max_classes": rng.integers(2, 5, n_sites),
            "decision": "free",
        },
        geometry=points(vx[at_s] + jitter[:, 0], vy[at_s] + jitter[:, 1]),
        crs=CRS,
    )

    t = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    gpkg = out / "province.gpkg"
    gpkg.unlink(missing_ok=True)
    for name, layer in (
        ("townships", townships),
        ("villages", villages),
        ("schools", schools),
        ("sites", sites),
    ):
        layer.to_crs("EPSG:4326").to_file(gpkg, layer=name, driver="GPKG")
    (out / "area.yaml").write_text(
        yaml.safe_dump(
            {
                "name": f"Province (synthetic, {n_villages:,} villages)",
                "synthetic": True,
                "description": f"benchmarks/make_province.py, seed {seed}, side {side}.",
            },
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    times["layers"] = time.perf_counter() - t
    t = time.perf_counter()
    ox.save_graphml(graph, out / "roads.graphml")
    times["graphml"] = time.perf_counter() - t
    scenario = {
        "description": "Province: restore 50 former teaching points in 5 phases of 10.",
        "area": {"folder": "."},
        "projection": {"years": 5},
        "restoration": {"enabled": True, "sites_per_phase": [10] * 5, "time_limit_s": 30},
        "districts": {"enabled": False},
        "outputs": {"lang": "en", "maps": False, "profiles": False, "print_maps": False},
    }
    (out / SCENARIO).write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--villages", type=int, default=10_000)
    parser.add_argument("--side", type=int, default=500)
    parser.add_argument("--seed", type=int, default=27)
    args = parser.parse_args()
    times = make(args.out, n_villages=args.villages, side=args.side, seed=args.seed)
    print(f"{args.out}: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))


if __name__ == "__main__":
    main()
