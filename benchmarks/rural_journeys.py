"""How close journeys are to the exact shortest path on sparse rural networks (issue 14).

Run: ``/work/venv/bin/python benchmarks/rural_journeys.py [n_seeds]`` (default 20 seeds, about a
minute). Networks: ``tests/rural_roads.py`` (junctions 1-10 km apart on a jittered 5 km lattice,
winding roads, 150 villages and 8 schools on the roads, 4 % of villages 300-1500 m off-road).
For each village, its journey to its nearest school (network metres) is compared with the exact
one (networkx on the unsimplified graph, both points spliced into their segments): the share
within 2 % or 50 m, walking (pupil_walk) and by school bus; and the same for the old rule
(join the nearest junction of the simplified graph by a straight leg), computed here.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from rural_roads import exact_matrix, rural_network

from geoplan.network.modes import PUPIL_WALK, SCHOOL_BUS
from geoplan.network.travel import _search, network_for, travel_matrix


def nearest_junction_metres(g, mode, villages, schools) -> np.ndarray:
    """Journeys by the old rule: straight leg x detour to the nearest main-component node."""
    net = network_for(g, mode)
    main = np.flatnonzero(net.main)
    tree = cKDTree(net.xy[main])

    def join(layer):
        d, i = tree.query(np.column_stack([layer.geometry.x, layer.geometry.y]))
        return main[i], d * mode.detour_factor

    o, leg_o = join(villages)
    d, leg_d = join(schools)
    road = _search(net.metres_reversed, d, o, limit=np.inf, desc="").T
    return leg_o[:, None] + road + leg_d[None, :]


def share_within(got: np.ndarray, exact: np.ndarray) -> tuple[int, int]:
    g, w = got.min(axis=1).astype(float), exact.min(axis=1)
    ok = np.isfinite(w) & np.isfinite(g)
    close = np.abs(g[ok] - w[ok]) <= np.maximum(0.02 * w[ok], 50.0)
    return int(close.sum()), int(np.isfinite(w).sum())


def main(n_seeds: int) -> None:
    logging.disable(logging.WARNING)
    tally = {}
    for seed in range(1, n_seeds + 1):
        g, villages, schools = rural_network(seed)
        for mode in (PUPIL_WALK, SCHOOL_BUS):
            exact = exact_matrix(g, mode, villages, schools, weight="metres")
            ours = travel_matrix(g, villages, schools, mode=mode, use_cache=False).metres
            old = nearest_junction_metres(g, mode, villages, schools)
            for rule, got in (("nearest road", ours), ("nearest junction (old)", old)):
                hit, total = share_within(got, exact)
                h0, t0 = tally.get((mode.name, rule), (0, 0))
                tally[(mode.name, rule)] = (h0 + hit, t0 + total)
    for (mode, rule), (hit, total) in tally.items():
        print(
            f"{mode:<10} {rule:<24} {hit:>5} of {total} villages within 2 % or 50 m of the "
            f"exact journey to their nearest school: {hit / total:.1%}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
