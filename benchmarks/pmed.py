"""OR-Library pmed1..pmed40: geoplan's exact and heuristic p-median against the optima and spopt.

Usage: ``python benchmarks/pmed.py [--limit S] [--methods exact,heuristic,spopt] N [N ...]``.
Prints one JSON line per instance and method: ``instance``, ``method``, ``objective``, ``bound``,
``gap``, ``seconds`` (wall time including model building) and ``optimum`` (published).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _instances import SHARED, Instance, pmed_optima, print_row, read_pmed

from geoplan.models import siting


def run_geoplan(inst: Instance, method: str, limit: float) -> dict[str, object]:
    """Solve with geoplan; seconds include building the model."""
    res = siting.p_median(
        inst.cost, p=inst.p, weights=inst.weights, method=method, time_limit_s=limit
    )
    return {
        "objective": res.objective,
        "bound": res.bound,
        "gap": res.gap,
        "seconds": res.seconds,
        "status": res.status,
    }


def run_spopt(inst: Instance, limit: float) -> dict[str, object]:
    """Solve with PySAL spopt's PMedian and PuLP's CBC; seconds include building the model."""
    import pulp
    from spopt.locate import PMedian

    t0 = time.perf_counter()
    model = PMedian.from_cost_matrix(inst.cost, inst.weights, p_facilities=inst.p)
    # spopt raises when CBC stops at the time limit without a solution.
    with contextlib.suppress(RuntimeError):
        model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=limit))
    seconds = time.perf_counter() - t0
    status = pulp.LpStatus[model.problem.status]
    value = pulp.value(model.problem.objective)
    objective = math.nan if value is None else float(value)
    return {
        "objective": objective,
        "bound": math.nan,
        "gap": math.nan,
        "seconds": seconds,
        "status": status,
    }


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run each instance and method, print JSON lines."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("numbers", type=int, nargs="+", help="instance numbers 1..40")
    ap.add_argument("--limit", type=float, default=300.0, help="time limit per solve, s")
    ap.add_argument("--methods", default="exact,heuristic,spopt")
    ap.add_argument("--folder", type=Path, default=SHARED / "orlib_pmed")
    args = ap.parse_args(argv)
    optima = pmed_optima(args.folder)
    for k in args.numbers:
        name = f"pmed{k}"
        inst = read_pmed(args.folder / f"{name}.txt", optimum=optima[name])
        for method in args.methods.split(","):
            if method == "spopt":
                out = run_spopt(inst, args.limit)
            else:
                out = run_geoplan(inst, method, args.limit)
            print_row(name, method, out, inst)


if __name__ == "__main__":
    main()
