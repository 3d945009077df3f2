"""XLSX writing benchmark (issue 27): one province-sized village journey table.

Run: ``python benchmarks/workbooks.py [--villages N]`` (default 10,000 villages x 3 bands =
30,000 rows, the columns of ``plan.evaluate.VILLAGE_COLUMNS``, seeded values). Times, in the
same run: geoplan's ``outputs.plan_files.write_table`` (CSV + formatted XLSX through
``workbooks.write_workbook``, XlsxWriter), pandas ``to_excel`` with openpyxl (unformatted, the
writer geoplan used before) and ``to_csv``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.outputs.plan_files import write_table


def journey_table(n_villages: int, seed: int = 27) -> pd.DataFrame:
    """A village journey table shaped like ``village_journeys`` (seeded)."""
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [[f"V{i:05d}" for i in range(n_villages)], ["g1_3", "g4_6", "g7_9"]],
        names=["id", "band"],
    )
    m = len(index)
    day = rng.uniform(0.5, 45.0, m)
    boards = rng.random(m) < 0.5
    return pd.DataFrame(
        {
            "township": [f"T{i % 100:03d}" for i in range(m)],
            "pupils": rng.integers(2, 260, m).astype(float),
            "school": [f"S{i % 300:04d}" for i in range(m)],
            "status": np.where(boards, "boards", "day"),
            "mode": np.where(boards, "school_bus", "pupil_walk"),
            "day_journey_min": np.where(boards, np.nan, day),
            "weekly_trip_min": np.where(boards, rng.uniform(3.0, 25.0, m), np.nan),
        },
        index=index,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=10_000)
    args = parser.parse_args()
    table = journey_table(args.villages)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clock = time.perf_counter()
        write_table(table, folder / "villages_journeys")
        geoplan_s = time.perf_counter() - clock
        clock = time.perf_counter()
        table.to_excel(folder / "openpyxl.xlsx", engine="openpyxl")
        openpyxl_s = time.perf_counter() - clock
        clock = time.perf_counter()
        table.to_csv(folder / "plain.csv")
        csv_s = time.perf_counter() - clock
    print(
        f"{len(table):,} rows x {table.shape[1] + 2} columns: geoplan write_table (CSV + "
        f"formatted XLSX, XlsxWriter) {geoplan_s:.1f} s; pandas to_excel (openpyxl, "
        f"unformatted) {openpyxl_s:.1f} s ({openpyxl_s / geoplan_s:.1f}x); to_csv {csv_s:.2f} s; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
