"""Batch benchmark: N demo-county scenarios sharing one travel matrix, 1 versus 2 workers.

Writes N scenario files into a temporary folder (varying day limits, budgets, school closures
and sites per phase; no road closures, so every scenario needs the same travel matrices), warms
the travel cache with one scenario, then runs the whole batch with local processes and with an
embedded Dask LocalCluster, each with 1 and 2 workers. Prints a Markdown table: wall seconds,
median seconds per scenario (inside the worker; maps, profiles and print maps off unless
``--maps``), the median of each
stage from the manifests, and the speed-up of 2 workers over 1.

Run from the repository root::

    python benchmarks/batch.py --n 100
    python benchmarks/batch.py --n 20 --engines local_cluster --province FOLDER [--cache DIR]

(``FOLDER`` from ``benchmarks/make_province.py``: 20 restorations of the province, day limits
20-45 minutes and five phasings, sharing one set of travel matrices.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from geoplan.data.datasets import demo_county, demo_folder
from geoplan.runs.batch import run_batch
from geoplan.runs.runner import run_scenario


def write_scenarios(folder: Path, n: int, *, maps: bool) -> list[Path]:
    """``n`` varied demo-county scenarios (and their base) in ``folder``."""
    (folder / "base").mkdir(parents=True)
    flag = str(maps).lower()
    (folder / "base" / "demo.yaml").write_text(
        f"area: {{folder: {demo_folder()}}}\nprojection: {{years: 4}}\n"
        f"districts: {{enabled: false}}\noutputs: {{maps: {flag}, profiles: {flag}, "
        f"print_maps: {flag}}}\n",
        encoding="utf-8",
    )
    schools = demo_county().open_schools
    small = list(schools.sort_values("enrolment_g1_3").index[:6])
    limits = [20, 25, 30, 35, 40, 45]
    phases = [[4, 4, 3, 3], [2, 2], [3, 3, 3], [1], [5, 5], [6]]
    files = []
    for i in range(n):
        lines = ["base: base/demo.yaml", f"description: batch benchmark scenario {i}"]
        lines.append(f"rules: {{day_limit_min: {{g1_3: {limits[i % 6]}}}}}")
        if i % 4 == 3:
            budget = 1_000_000 * (1 + i % 5)
            lines.append(f"restoration: {{budget_per_phase_yuan: [{budget}, {budget}], "
                         "sites_per_phase: null}")  # fmt: skip
        else:
            lines.append(f"restoration: {{sites_per_phase: {phases[i % 6]}}}")
        if i % 3 == 1:
            lines.append(f"closures: {{schools: [{small[i % len(small)]}]}}")
        path = folder / f"s{i:03d}.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
    return files


def write_province_scenarios(folder: Path, n: int, area: Path) -> list[Path]:
    """``n`` restorations of the province of ``benchmarks/make_province.py`` (maps off)."""
    (folder / "base").mkdir(parents=True)
    (folder / "base" / "province.yaml").write_text(
        f"area: {{folder: {area.resolve()}}}\nprojection: {{years: 5}}\n"
        "districts: {enabled: false}\nrestoration: {time_limit_s: 30}\n"
        "outputs: {maps: false, profiles: false, print_maps: false}\n",
        encoding="utf-8",
    )
    limits = [20, 25, 30, 35, 40]
    phases = [[10] * 5, [5] * 5, [8, 8, 8], [20, 20], [4] * 5]
    files = []
    for i in range(n):
        path = folder / f"p{i:03d}.yaml"
        path.write_text(
            "base: base/province.yaml\n"
            f"description: province batch scenario {i}\n"
            f"rules: {{day_limit_min: {{g1_3: {limits[i % 5]}}}}}\n"
            f"restoration: {{enabled: true, sites_per_phase: {phases[(i // 5) % 5]}}}\n",
            encoding="utf-8",
        )
        files.append(path)
    return files


def stage_medians(batch: Path) -> dict[str, float]:
    """Median seconds of each stage over the manifests of a batch."""
    stages: dict[str, list[float]] = {}
    for manifest in batch.glob("*/manifest.json"):
        for key, value in json.loads(manifest.read_text(encoding="utf-8"))["timings_s"].items():
            stages.setdefault(key, []).append(float(value))
    return {k: statistics.median(v) for k, v in sorted(stages.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="scenarios (default 100)")
    parser.add_argument(
        "--maps", action="store_true", help="write maps, profiles and print maps too"
    )
    parser.add_argument("--engines", default="processes,local_cluster",
                        help="comma-separated: processes, local_cluster")  # fmt: skip
    parser.add_argument("--province", type=Path, default=None,
                        help="a make_province.py folder instead of the demo")  # fmt: skip
    parser.add_argument("--cache", type=Path, default=None,
                        help="a cache folder to use (and keep), e.g. one a province run "
                             "warmed; default a new temporary one")  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["GEOPLAN_CACHE_DIR"] = str(args.cache or root / "cache")
        if args.province is not None:
            files = write_province_scenarios(root / "scenarios", args.n, args.province)
        else:
            files = write_scenarios(root / "scenarios", args.n, maps=args.maps)
        clock = time.perf_counter()
        run_scenario(files[0], out=root / "warm")
        print(f"cache warmed in {time.perf_counter() - clock:.1f} s (one scenario, in-process)")
        print("| engine | workers | scenarios ok | wall s | median s per scenario | speed-up |")
        print("|---|---:|---:|---:|---:|---:|")
        stages: dict[str, float] = {}
        for engine in args.engines.split(","):
            walls: dict[int, float] = {}
            for workers in (1, 2):
                clock = time.perf_counter()
                result = run_batch(
                    root / "scenarios", out=root / "out", name=f"{engine}_{workers}",
                    workers=workers, local_cluster=engine == "local_cluster", progress=False,
                )  # fmt: skip
                walls[workers] = time.perf_counter() - clock
                ok = result.status[result.status["status"] == "ok"]
                median = statistics.median(float(s) for s in ok["seconds"])
                speed = f"{walls[1] / walls[2]:.2f}x" if workers == 2 else ""
                print(f"| {engine} | {workers} | {len(ok)}/{len(result.status)} | "
                      f"{walls[workers]:.1f} | {median:.2f} | {speed} |", flush=True)  # fmt: skip
                if engine == "processes" and workers == 1:
                    stages = stage_medians(result.folder)
        print("\nmedian stage seconds (processes, 1 worker):",
              ", ".join(f"{k} {v:.2f}" for k, v in stages.items()))  # fmt: skip


if __name__ == "__main__":
    main()
