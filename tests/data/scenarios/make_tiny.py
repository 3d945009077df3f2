"""Write the tiny hand-worked county of the scenario tests (run from the repository root).

Everything lies on one straight unclassified road along y = 4,700,000 m in UTM zone 45N
(EPSG:32645), so every journey is a distance along the road divided by a speed; the villages,
schools and the site sit exactly on road nodes (access legs of 0 m). Offsets from x = 500,000 m:
S1 0, V1 600, V2 1800, P1 3000, V3 3300, V4 3900, S2 6000, V5 6500.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import osmnx as ox

HERE = Path(__file__).parent / "tiny_county"
X0, Y0 = 500_000.0, 4_700_000.0
NODES = {"S1": 0, "V1": 600, "V2": 1800, "P1": 3000, "V3": 3300, "V4": 3900, "S2": 6000, "V5": 6500}


def main() -> None:
    HERE.mkdir(exist_ok=True)
    graph = nx.MultiDiGraph(crs="EPSG:32645")
    order = sorted(NODES, key=NODES.get)
    for i, key in enumerate(order, start=1):
        graph.add_node(i, x=X0 + NODES[key], y=Y0)
    for i in range(1, len(order)):
        length = float(NODES[order[i]] - NODES[order[i - 1]])
        for u, v in ((i, i + 1), (i + 1, i)):
            graph.add_edge(
                u,
                v,
                osmid=100 + i,
                highway="unclassified",
                length=length,
                name="Tiny Pass" if order[i] == "S2" else "Valley Road",
                oneway=False,
                reversed=u > v,
            )
    ox.save_graphml(graph, HERE / "roads.graphml")


if __name__ == "__main__":
    main()
