"""Seeded generator of a large road-like osmnx graph for the travel benchmark.

A jittered grid (like a valley-floor road net) in UTM 45N: nodes every ~250 m, about 10 % of
links missing, road classes by row/column (a few trunk and secondary corridors, tertiary, local
residential roads and tracks), about 3 % one-way, lengths 0-15 % longer than the straight line
(curves). ``python benchmarks/make_road_graph.py OUT.graphml`` writes it; the benchmark builds it
in memory with :func:`build`.
"""

from __future__ import annotations

import sys

import networkx as nx
import numpy as np

CRS = "EPSG:32645"


def build(*, side: int = 320, spacing_m: float = 250.0, seed: int = 4) -> nx.MultiDiGraph:
    """A road-like MultiDiGraph of ``side x side`` nodes (about 340,000 edges for 320)."""
    rng = np.random.default_rng(seed)
    n = side * side
    ii, jj = np.divmod(np.arange(n), side)
    x = 500_000.0 + jj * spacing_m + rng.uniform(-60, 60, n)
    y = 4_650_000.0 + ii * spacing_m + rng.uniform(-60, 60, n)
    right = np.flatnonzero(jj < side - 1)
    up = np.flatnonzero(ii < side - 1)
    u = np.concatenate([right, up])
    v = np.concatenate([right + 1, up + side])
    keep = rng.random(len(u)) > 0.10
    u, v = u[keep], v[keep]
    horizontal = v == u + 1
    line = np.where(horizontal, ii[u], jj[u])
    classes = np.full(len(u), "residential", dtype=object)
    classes[line % 4 == 1] = "tertiary"
    classes[line % 20 == 5] = "secondary"
    classes[line % 80 == 40] = "trunk"
    classes[(line % 4 == 3) & (rng.random(len(u)) < 0.5)] = "track"
    straight = np.hypot(x[u] - x[v], y[u] - y[v])
    length = straight * (1.0 + rng.uniform(0.0, 0.15, len(u)))
    oneway = (classes == "residential") & (rng.random(len(u)) < 0.06)
    g = nx.MultiDiGraph(crs=CRS, name="benchmark road grid", seed=seed)
    g.add_nodes_from((int(k), {"x": float(x[k]), "y": float(y[k])}) for k in range(n))
    rows = []
    for k in range(len(u)):
        attrs = {
            "osmid": k,
            "highway": classes[k],
            "length": float(length[k]),
            "oneway": bool(oneway[k]),
            "reversed": False,
        }
        rows.append((int(u[k]), int(v[k]), attrs))
        if not oneway[k]:
            rows.append((int(v[k]), int(u[k]), {**attrs, "reversed": True}))
    g.add_edges_from(rows)
    return g


if __name__ == "__main__":
    import osmnx as ox

    graph = build()
    print(f"{graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges")
    if len(sys.argv) > 1:
        ox.save_graphml(graph, sys.argv[1])
