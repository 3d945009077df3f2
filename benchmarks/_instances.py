"""Readers for the published location-model instances (OR-Library pmed, capacitated p-median).

Each reader returns an :class:`Instance`: a cost matrix (demand points x candidate sites), demand
weights, capacities and the published optimum. The distance conventions follow the READMEs of
``../shared/benchmarks`` (copied into ``tests/data/orlib/README.md``).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"
"""Default location of the benchmark files (``../shared/benchmarks`` beside the checkout)."""


@dataclass(frozen=True)
class Instance:
    """One benchmark instance.

    Parameters
    ----------
    name
        Instance name (``pmed7``, ``pmedcap1_03``, ``SJC1``).
    cost
        Cost matrix, demand points x candidate sites (every point is also a candidate).
    p
        Number of medians.
    optimum
        Published optimal (or best-known) objective.
    weights
        Demand of each point (counts against capacity only; the objective is unweighted).
    capacity
        Capacity of each site, or ``None`` (uncapacitated).
    integral
        Whether every cost is a whole number.
    """

    name: str
    cost: np.ndarray
    p: int
    optimum: float
    weights: np.ndarray
    capacity: np.ndarray | None
    integral: bool


def pmed_optima(folder: Path = SHARED / "orlib_pmed") -> dict[str, float]:
    """Published optima of pmed1..pmed40 from ``pmedopt.txt``."""
    optima: dict[str, float] = {}
    for line in (folder / "pmedopt.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("pmed"):
            optima[parts[0]] = float(parts[1])
    return optima


def read_pmed(path: Path, *, optimum: float = math.nan) -> Instance:
    """Read an OR-Library pmed file; distances are all-pairs shortest paths.

    Edge lines are read in turn and a repeated vertex pair keeps its LAST cost (OR-Library's note).
    """
    tokens = path.read_text().split()
    n, n_edges, p = (int(t) for t in tokens[:3])
    edges = np.asarray(tokens[3 : 3 + 3 * n_edges], dtype=np.int64).reshape(n_edges, 3)
    last: dict[tuple[int, int], int] = {}
    for i, j, k in edges:
        a, b = (int(i) - 1, int(j) - 1)
        last[(min(a, b), max(a, b))] = int(k)
    rows = np.array([key[0] for key in last], dtype=np.int64)
    cols = np.array([key[1] for key in last], dtype=np.int64)
    vals = np.array(list(last.values()), dtype=np.float64)
    graph = sp.csr_array((vals, (rows, cols)), shape=(n, n))
    dist = shortest_path(graph, method="D", directed=False)
    return Instance(path.stem, dist, p, optimum, np.ones(n), None, True)


def read_osman_christofides(path: Path) -> Instance:
    """Read one OR-Library pmedcap1 problem; distance = floor(Euclidean)."""
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    best = float(lines[0][1])
    n, p, cap = (int(t) for t in lines[1][:3])
    data = np.asarray(lines[2 : 2 + n], dtype=np.float64)
    xy, demand = data[:, 1:3], data[:, 3]
    dist = np.floor(np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)) + 1e-9)
    return Instance(path.stem, dist, p, best, demand, np.full(n, float(cap)), True)


def read_lorena_senne(path: Path, *, optimum: float = math.nan) -> Instance:
    """Read one Lorena & Senne SJC instance; distance = real-valued Euclidean."""
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    n, p = int(lines[0][0]), int(lines[0][1])
    data = np.asarray(lines[1 : 1 + n], dtype=np.float64)
    xy, cap, demand = data[:, 0:2], data[:, 2], data[:, 3]
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    return Instance(path.stem, dist, p, optimum, demand, cap, False)


def read_cap_pmed(name: str, folder: Path = SHARED / "cap_pmed") -> Instance:
    """Read a capacitated instance named in ``bks.csv`` (``pmedcap1_01`` .. ``SJC4b``)."""
    with (folder / "bks.csv").open() as fh:
        rows = {r["instance"]: r for r in csv.DictReader(fh)}
    row = rows[name]
    path = folder / row["file"]
    if row["set"] == "osman_christofides":
        return read_osman_christofides(path)
    return read_lorena_senne(path, optimum=float(row["optimum"]))


def cap_pmed_names(folder: Path = SHARED / "cap_pmed") -> list[str]:
    """Names of every instance in ``bks.csv``, in order."""
    with (folder / "bks.csv").open() as fh:
        return [r["instance"] for r in csv.DictReader(fh)]


def print_row(name: str, method: str, out: dict[str, object], inst: Instance) -> None:
    """Print one benchmark result as a JSON line (non-finite numbers as null)."""
    row = {
        "instance": name,
        "method": method,
        **out,
        "optimum": inst.optimum,
        "n": int(inst.cost.shape[0]),
        "p": inst.p,
    }
    clean = {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()
    }
    print(json.dumps(clean), flush=True)
