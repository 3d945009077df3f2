"""The demo county's town districts: result, gap, time, oversized classes before and after.

Run: python benchmarks/districts_demo.py [--time-limit S]
Prints one JSON line per level (and one for the whole plan).
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
    args = parser.parse_args()
    area = demo_county()
    graph = load_network(area)
    settings = PlanSettings(restore=False, district_time_limit_s=args.time_limit)
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
