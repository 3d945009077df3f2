"""Capacitated p-median (Osman & Christofides; Lorena & Senne) against the published optima.

Usage: ``python benchmarks/cap_pmed.py [--limit S] [--methods exact,heuristic,spopt]
[--assignment-only] [NAME ...]`` (default: every instance of ``bks.csv``). ``--assignment-only``
solves the exact model as before issue 27 (HiGHS on the whole assignment model, no knapsack
Lagrangian path), for comparison. Prints one JSON line per instance and method:
``instance``, ``method``, ``objective``, ``bound``, ``gap``, ``seconds``, ``optimum``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _instances import SHARED, Instance, cap_pmed_names, print_row, read_cap_pmed

from geoplan.errors import InfeasibleError
from geoplan.models import siting


def run_geoplan(inst: Instance, method: str, limit: float) -> dict[str, object]:
    """Solve with geoplan; demand counts against capacity, the objective is unweighted."""
    res = siting.p_median(
        inst.cost,
        p=inst.p,
        weights=inst.weights,
        objective_weights=np.ones(len(inst.weights)),
        capacity=inst.capacity,
        method=method,
        time_limit_s=limit,
    )
    return {
        "objective": res.objective,
        "bound": res.bound,
        "gap": res.gap,
        "seconds": res.seconds,
        "status": res.status,
    }


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run each instance and method, print JSON lines."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("names", nargs="*", help="instance names (default: all of bks.csv)")
    ap.add_argument("--limit", type=float, default=300.0, help="time limit per solve, s")
    ap.add_argument("--methods", default="exact,heuristic")
    ap.add_argument("--folder", type=Path, default=SHARED / "cap_pmed")
    ap.add_argument("--assignment-only", action="store_true", help="exact without the knapsack")
    args = ap.parse_args(argv)
    if args.assignment_only:
        siting._KNAPSACK_PAIRS = -1  # every case then takes the plain assignment MILP
    for name in args.names or cap_pmed_names(args.folder):
        inst = read_cap_pmed(name, args.folder)
        for method in args.methods.split(","):
            try:
                out = run_geoplan(inst, method, args.limit)
            except InfeasibleError as exc:
                out = {
                    "objective": None,
                    "bound": None,
                    "gap": None,
                    "seconds": None,
                    "status": f"failed: {exc}",
                }
            print_row(name, method, out, inst)


if __name__ == "__main__":
    main()
