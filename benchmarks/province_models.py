"""Proven optima at scale (issue 27, step 3): the location models on the province matrix.

The matrix: school-bus minutes without a cut-off on ``make_road_graph.build(side=500)``
(250,000 nodes), 10,000 villages x 1,000 candidate sites placed as in ``travel.py --workers``
(``layer(g, 10_000, 11, "v")``, ``layer(g, 1_000, 12, "t")``). Its search takes a minute or more,
so it is made once and kept in ``--cache`` (default ``/tmp/geoplan_province_models.npz``).
Pupils per village: seeded whole numbers (lognormal, seed 27, 1-200).

Usage::

    python benchmarks/province_models.py [--limit S] [--models p_median,max_coverage,set_cover]
        [--p 100] [--cover-p 20,10,5] [--limits 30,45,60] [--unit] [--profile FILE]

Prints one line per solve: model, limit, objective, bound, gap, status, seconds, load average.
Coverage p: 20 sites at 30 minutes, 10 at 45, 5 at 60 (the set covers need 40, 16 and 9 there,
so every p binds).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from geoplan.models import siting
from geoplan.models.solver import IdMatrix

CACHE = Path("/tmp/geoplan_province_models.npz")


def province_matrix(cache: Path = CACHE) -> IdMatrix:
    """The 10,000 x 1,000 school-bus minutes, from ``cache`` or computed once and stored there."""
    if cache.exists():
        with np.load(cache) as f:
            return IdMatrix(
                f["minutes"].astype(np.float64),
                [str(k) for k in f["rows"]],
                [str(k) for k in f["cols"]],
            )
    from make_road_graph import CRS, build
    from travel import layer

    from geoplan.network.modes import SCHOOL_BUS
    from geoplan.network.travel import network_for, travel_matrix

    t = time.perf_counter()
    g = build(side=500)
    villages = layer(g, 10_000, 11, "v")
    sites = layer(g, 1_000, 12, "t")
    net = network_for(g, SCHOOL_BUS, crs=CRS)
    m = travel_matrix(net, villages, sites, mode=SCHOOL_BUS, use_cache=False)
    minutes = np.asarray(m.minutes_array(), dtype=np.float64)
    rows = np.asarray([str(k) for k in m.origin_ids])
    cols = np.asarray([str(k) for k in m.destination_ids])
    np.savez(cache, minutes=minutes, rows=rows, cols=cols)
    print(f"matrix computed in {time.perf_counter() - t:.1f} s, stored in {cache}", flush=True)
    return IdMatrix(minutes, list(rows), list(cols))


def pupils(n: int) -> np.ndarray:
    """Seeded whole-number pupils per village."""
    rng = np.random.default_rng(27)
    return np.clip(np.round(rng.lognormal(3.0, 0.8, n)), 1, 200)


def _line(name: str, res: siting.SitingResult, load0: float) -> None:
    load1 = os.getloadavg()[0]
    print(
        f"{name}: objective {res.objective:,.4f} bound {res.bound:,.4f} gap {res.gap:.2e} "
        f"status {res.status} open {len(res.open_ids)} in {res.seconds:.1f} s "
        f"(load average {load0:.1f}-{load1:.1f})",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, load or make the matrix, run each model."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--limit", type=float, default=60.0, help="time limit per solve, s")
    ap.add_argument("--models", default="p_median,max_coverage,set_cover")
    ap.add_argument("--p", type=int, default=100, help="p of the p-median")
    ap.add_argument(
        "--cover-p", default="20,10,5", help="p of maximal coverage, one per limit (or one for all)"
    )
    ap.add_argument("--limits", default="30,45,60", help="coverage limits, minutes")
    ap.add_argument("--unit", action="store_true", help="one pupil per village")
    ap.add_argument("--method", default="exact")
    ap.add_argument("--profile", type=Path, default=None, help="write a cProfile of the solves")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    cost = province_matrix(args.cache)
    n, m = cost.shape
    finite = np.isfinite(cost.values)
    print(
        f"matrix {n:,} x {m:,} ({int(finite.sum()):,} finite pairs) ready in "
        f"{time.perf_counter() - t:.1f} s",
        flush=True,
    )
    w = np.ones(n) if args.unit else pupils(n)
    limits = [float(x) for x in args.limits.split(",") if x]
    prof = cProfile.Profile() if args.profile else None
    for model in args.models.split(","):
        runs: list[tuple[str, dict[str, object]]] = []
        if model == "p_median":
            runs = [(f"p_median p={args.p}", {"p": args.p})]
        elif model == "max_coverage":
            ps = [int(x) for x in args.cover_p.split(",")]
            ps = ps * len(limits) if len(ps) == 1 else ps
            runs = [(f"max_coverage p={q} limit={x:g}", {"p": q, "limit": x})
                    for q, x in zip(ps, limits, strict=True)]  # fmt: skip
        elif model == "set_cover":
            runs = [(f"set_cover limit={x:g}", {"limit": x}) for x in limits]
        for name, kw in runs:
            fn = getattr(siting, model)
            load0 = os.getloadavg()[0]
            if prof is not None:
                prof.enable()
            res = fn(cost, weights=w, method=args.method, time_limit_s=args.limit, **kw)
            if prof is not None:
                prof.disable()
            _line(name, res, load0)
    if prof is not None and args.profile is not None:
        prof.dump_stats(str(args.profile))


if __name__ == "__main__":
    main()
