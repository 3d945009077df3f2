"""Benchmark: the demo county's whole restoration analysis (projection, scorecard, 4-phase plan of
14 sites, closures, indicators, unserved list), timed after the travel matrices exist.

Run: /work/venv/bin/python benchmarks/restoration.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd

from geoplan.data.datasets import demo_county, demo_roads_path
from geoplan.network.roads import load_graph
from geoplan.network.travel import travel_matrix
from geoplan.plan.demand import project_pupils
from geoplan.plan.restoration import destinations, plan_restoration, write_scorecard


def main() -> None:
    t0 = time.perf_counter()
    area = demo_county()
    graph = load_graph(demo_roads_path(), to_crs=area.crs)
    dest = area.schools[["geometry"]]
    all_dest = pd.concat([dest, area.sites[["geometry"]]])
    with tempfile.TemporaryDirectory() as cache:
        walk = travel_matrix(graph, area.villages, all_dest, mode="child_walk", cache_dir=cache)
        pupil = travel_matrix(graph, area.villages, dest, mode="pupil_walk", cache_dir=cache)
        bus = travel_matrix(graph, area.villages, dest, mode="school_bus", cache_dir=cache)
    minutes = {
        "g1_3": walk.minutes_frame(),
        "g4_6": pupil.minutes_frame(),
        "g7_9": bus.minutes_frame(),
    }
    t1 = time.perf_counter()

    projection = project_pupils(area.villages, years=4)
    plan = plan_restoration(
        area.villages,
        minutes,
        area.schools,
        area.sites,
        projection=projection,
        sites_per_phase=[4, 4, 3, 3],
        closures=True,
    )
    with tempfile.TemporaryDirectory() as out:
        write_scorecard(plan.scorecard, Path(out) / "scorecard")
    t2 = time.perf_counter()

    n_dest = len(destinations(area.schools, area.sites))
    print(
        f"demo county: {len(area.villages)} villages, {len(area.schools)} schools, "
        f"{len(area.sites)} sites ({n_dest} destinations)"
    )
    print(f"setup (demo, graph, 3 travel matrices): {t1 - t0:.2f} s")
    print(
        f"restoration analysis: {t2 - t1:.2f} s "
        f"(phasing {plan.phasing.method} {plan.phasing.status}, {plan.phasing.seconds:.2f} s, "
        f"gap {plan.phasing.gap:.2g})"
    )
    print(
        f"sites restored: {len(plan.restored)}; pupil-years {plan.phasing.pupil_years:.1f} "
        f"(bound {plan.phasing.bound:.1f})"
    )
    print(
        f"closures: {len(plan.closures.closed) if plan.closures else 0}; "
        f"unserved rows after the plan: {len(plan.unserved)}"
    )
    young_before = plan.townships_before["young_beyond_limit"].sum()
    young_after = plan.townships["young_beyond_limit"].sum()
    print(f"grades 1-3 pupils beyond the day limit: {young_before:.0f} -> {young_after:.0f}")


if __name__ == "__main__":
    main()
