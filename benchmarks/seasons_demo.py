"""The demo county's summer-only plan and robust plan, side by side in each season.

Runs ``seasons_cover_6.yaml`` (six new teaching points, most young pupils within the day limit on
summer journeys) and ``seasons_cover_6_robust.yaml`` (the same with ``robust: worst``) and prints,
per season and for the year, grades 1-3 pupils within the limit, and the restoration cost::

    python benchmarks/seasons_demo.py
"""

from __future__ import annotations

import time

from geoplan.data.datasets import demo_scenarios
from geoplan.runs.runner import plan_scenario


def main() -> None:
    for name in ("seasons_cover_6", "seasons_cover_6_robust"):
        t0 = time.perf_counter()
        plan = plan_scenario(demo_scenarios() / f"{name}.yaml").result
        m = plan.metrics
        siting = plan.restoration.siting if plan.restoration is not None else None
        sites = ", ".join(plan.restoration.restored.index) if plan.restoration is not None else ""
        print(
            f"{name}: young within limit summer {m['summer_after_within_limit_g1_3']}, "
            f"winter {m['winter_after_within_limit_g1_3']}, "
            f"year {m['year_after_within_limit_g1_3']}; beyond limit winter "
            f"{m['winter_after_young_beyond_limit']}; cost {m['restoration_cost_yuan']:,.0f} yuan; "
            f"sites {sites}; gap {getattr(siting, 'gap', float('nan'))}; "
            f"{time.perf_counter() - t0:.1f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
