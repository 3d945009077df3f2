"""The demo county's town districts: result, gap, time, oversized classes before and after.

Run: python benchmarks/districts_demo.py [--time-limit S] [--feeders] [--max-moved P,M]
Prints one JSON line per level (and one for the whole plan). ``--feeders`` plans both levels
jointly (as ``town_districts_feeders.yaml``: two more middle classes at S04 and S07; the pair
gets twice the time limit); ``--max-moved P,M`` caps the primary and middle pupils who change
school from today's (the blocks' ``school_primary`` / ``school_middle``).
"""

from __future__ import annotations

import argparse
import json
import time

from geoplan.data.datasets import demo_county
from geoplan.plan.pipeline import PlanSettings, load_network, make_plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--feeders", action="store_true")
    parser.add_argument("--max-moved", default=None, help="primary,middle pupils")
    args = parser.parse_args()
    area = demo_county()
    graph = load_network(area)
    moved = None
    if args.max_moved:
        p, m = (float(v) for v in args.max_moved.split(","))
        moved = {"primary": p, "middle": m}
    settings = PlanSettings(
        restore=False,
        district_time_limit_s=args.time_limit,
        district_feeders=args.feeders,
        district_extra_classes={"S04": {"g7_9": 2}, "S07": {"g7_9": 2}} if args.feeders else None,
        district_max_pupils_moved=moved,
    )
    clock = time.perf_counter()
    result = make_plan(area, graph=graph, settings=settings)
    seconds = time.perf_counter() - clock
    assert result.districts is not None
    for level, row in result.districts.indicators.iterrows():
        print(
            json.dumps(
                {
                    "level": level,
                    "objective_pupil_min": round(float(row["objective_pupil_min"]), 1),
                    "bound": round(float(row["bound_pupil_min"]), 1),
                    "gap": round(float(row["gap"]), 5),
                    "status": row["status"],
                    "method": row["method"],
                    "seconds": round(float(row["seconds"]), 2),
                    "mean_journey_min": round(float(row["mean_journey_min"]), 2),
                    "pupils_moved": float(row["pupils_moved"]),
                    "share_kept": round(float(row["share_kept"]), 4),
                    **{
                        k: round(float(row[k]), 5 if k == "joint_gap" else 1)
                        for k in ("joint_objective_pupil_min", "joint_bound_pupil_min", "joint_gap")
                        if k in row.index
                    },
                }
            )
        )
    metrics = result.metrics
    print(
        json.dumps(
            {
                "plan_seconds_incl_travel": round(seconds, 2),
                "oversized_before": metrics.get("districts_oversized_before"),
                "oversized_after": metrics.get("districts_oversized_after"),
            }
        )
    )


if __name__ == "__main__":
    main()
