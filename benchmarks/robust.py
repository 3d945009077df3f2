"""Robust (two-season) location models on a province-sized instance, timed with their gap.

A seeded province of 300 x 300 km: ``--villages`` villages in clusters, ``--sites`` candidate
sites among them, pupils 5-80 per village. Summer cost: straight line x 1.3 at 30 km/h (minutes).
Winter: every speed 20 % slower, and a mountain range along x = 150 km north of y = 100 km is
closed (pairs on either side of it cannot be joined, except round its southern end: no pair of the
northern half crosses it). Run::

    python benchmarks/robust.py                              # 10,000 villages, 1,000 sites
    python benchmarks/robust.py --villages 2000 --sites 200  # smaller
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from geoplan.models import siting


def province(n: int, m: int, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 300, (max(n // 200, 1), 2))
    xy = centres[rng.integers(len(centres), size=n)] + rng.normal(0, 12, (n, 2))
    xy = np.clip(xy, 0, 300)
    sites = xy[rng.choice(n, m, replace=False)]
    km = np.linalg.norm(xy[:, None, :] - sites[None, :, :], axis=2) * 1.3
    summer = km / 30 * 60
    winter = summer / 0.8
    north = (xy[:, 1] > 100)[:, None] | (sites[:, 1] > 100)[None, :]
    cross = (xy[:, 0] < 150)[:, None] != (sites[:, 0] < 150)[None, :]
    winter = np.where(north & cross, np.inf, winter)
    weights = rng.integers(5, 81, n).astype(float)
    return {"summer": np.round(summer, 1), "winter": np.round(winter, 1)}, weights


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--villages", type=int, default=10_000)
    ap.add_argument("--sites", type=int, default=1_000)
    ap.add_argument("--p", type=int, default=100)
    ap.add_argument("--limit", type=float, default=60.0)
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--only", choices=["cover", "cover-worst", "pmedian"], default=None)
    args = ap.parse_args()
    t0 = time.perf_counter()
    costs, w = province(args.villages, args.sites, args.seed)
    built = time.perf_counter() - t0
    print(f"instance {args.villages} x {args.sites}, 2 seasons, built in {built:.1f} s")
    months = {"summer": 5, "winter": 5}

    def report(name: str, res: siting.SitingResult) -> None:
        per = ""
        if res.seasons is not None:
            per = "; " + ", ".join(f"{s} {v:,.0f}" for s, v in res.seasons["value"].items())
        gap = f"gap {100 * res.gap:.3f} %"
        print(f"{name}: objective {res.objective:,.1f} bound {res.bound:,.1f} {gap} "
              f"status {res.status} in {res.seconds:.1f} s{per}", flush=True)  # fmt: skip

    if args.only in (None, "cover"):
        single = siting.max_coverage(costs["summer"], limit=args.limit, p=args.p, weights=w,
                                     time_limit_s=args.time_limit)  # fmt: skip
        report("max_coverage summer only", single)
        ev = siting.max_coverage(costs, limit=args.limit, p=args.p, weights=w, robust="worst",
                                 must=single.open_ids, method="heuristic")  # fmt: skip
        assert ev.seasons is not None
        print("   judged per season: " + ", ".join(
            f"{s} {v:,.0f}" for s, v in ev.seasons["value"].items()), flush=True)  # fmt: skip
    if args.only in (None, "cover", "cover-worst"):
        for how in ("worst",) if args.only == "cover-worst" else ("worst", "expected"):
            res = siting.max_coverage(costs, limit=args.limit, p=args.p, weights=w, robust=how,
                                      months=months, time_limit_s=args.time_limit)  # fmt: skip
            report(f"max_coverage {how}", res)
    if args.only in (None, "pmedian"):
        for how, method in (("worst", "heuristic"), ("expected", "exact")):
            res = siting.p_median(costs, p=args.p, weights=w, robust=how, months=months,
                                  method=method, time_limit_s=args.time_limit)  # fmt: skip
            report(f"p_median {how} ({method})", res)


if __name__ == "__main__":
    main()
