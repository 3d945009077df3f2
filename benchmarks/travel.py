"""Travel-matrix benchmark (issue 4): geoplan vs a networkx loop vs bare csgraph.

Run: ``/work/venv/bin/python benchmarks/travel.py`` (about 2 minutes on 2 cores);
``... benchmarks/travel.py --province`` for the province rows (10,000 villages x 1,000 sites on
a ~1M-edge grid, no cut-off and a 60-minute cut-off); ``... --workers`` for one search process
against two (issue 27: school bus, 10,000 x 1,000 on 250,000 nodes); ``... --shared-modes`` for
four modes each searching alone against sharing identical searches. Graph: the
seeded road grid of ``benchmarks/make_road_graph.py`` (102,400 nodes, 360,444 edges); 2,000
villages x 200 schools at seeded random spots. geoplan timings are cold (empty cache dir) and
include the graph conversion and snapping.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely import points as shp_points

sys.path.insert(0, str(Path(__file__).parent))
from make_road_graph import CRS, build

import geoplan.network.travel as travel_module
from geoplan.network.modes import CAR, PUPIL_WALK
from geoplan.network.travel import _search, network_for, travel_matrix

N_VILLAGES, N_SCHOOLS, NX_SOURCES = 2000, 200, 20


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def layer(g: nx.MultiDiGraph, n: int, seed: int, prefix: str) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    xy = np.array([(d["x"], d["y"]) for _, d in g.nodes(data=True)])
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    pts = shp_points(rng.uniform(lo[0], hi[0], n), rng.uniform(lo[1], hi[1], n))
    return gpd.GeoDataFrame(
        geometry=pts, index=pd.Index([f"{prefix}{i}" for i in range(n)], name="id"), crs=CRS
    )


def main() -> None:
    t = time.perf_counter()
    g = build()
    print(
        f"graph: {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges "
        f"(built in {time.perf_counter() - t:.1f} s); peak RSS {rss_mb():.0f} MB"
    )
    villages = layer(g, N_VILLAGES, 1, "v")
    schools = layer(g, N_SCHOOLS, 2, "s")

    results = {}
    for mode, cutoff in ((PUPIL_WALK, None), (PUPIL_WALK, 45.0), (CAR, None)):
        travel_module._NETWORKS.clear()  # cold: convert the networkx graph again
        with tempfile.TemporaryDirectory() as cache:
            t = time.perf_counter()
            m = travel_matrix(g, villages, schools, mode=mode, cutoff_min=cutoff, cache_dir=cache)
            cold = time.perf_counter() - t
            t = time.perf_counter()
            travel_matrix(g, villages, schools, mode=mode, cutoff_min=cutoff, cache_dir=cache)
            warm = time.perf_counter() - t
        results[(mode.name, cutoff)] = (m, cold)
        print(
            f"geoplan {mode.name:<10} cutoff={cutoff}: cold {cold:.2f} s, cached {warm:.2f} s; "
            f"peak RSS {rss_mb():.0f} MB"
        )

    # a prebuilt ModeNetwork (network_for, converted once) reused by later calls, disk cache off
    travel_module._NETWORKS.clear()
    t = time.perf_counter()
    net = network_for(g, PUPIL_WALK, crs=CRS)
    print(f"network_for(graph, pupil_walk): conversion {time.perf_counter() - t:.2f} s")
    reuse = {}
    for cutoff in (None, 45.0):
        times = []
        for _ in range(3):  # first call also builds the reversed CSR, k-d tree and digest
            t = time.perf_counter()
            travel_matrix(net, villages, schools, mode=PUPIL_WALK, cutoff_min=cutoff,
                          use_cache=False)  # fmt: skip
            times.append(time.perf_counter() - t)
        reuse[cutoff] = min(times[1:])
        t = time.perf_counter()
        travel_matrix(g, villages, schools, mode=PUPIL_WALK, cutoff_min=cutoff, use_cache=False)
        memo = time.perf_counter() - t
        print(
            f"geoplan prebuilt network, cutoff={cutoff}: calls "
            f"{', '.join(f'{x:.2f}' for x in times)} s; same graph again (in-process memo) "
            f"{memo:.2f} s"
        )

    # bare csgraph on a prebuilt CSR (reversed graph, from the nodes nearest the 200 schools)
    m, cold = results[("pupil_walk", None)]
    csr_rev = net.metres.T.tocsr()
    school_xy = np.column_stack([schools.geometry.x, schools.geometry.y])
    school_nodes = np.unique(cKDTree(net.xy).query(school_xy)[1])
    for cutoff in (None, 45.0):
        limit = np.inf if cutoff is None else cutoff * PUPIL_WALK.walk_kph * 1000 / 60
        bares = []
        for _ in range(3):
            t = time.perf_counter()
            dijkstra(csr_rev, directed=True, indices=school_nodes, limit=limit)
            bares.append(time.perf_counter() - t)
        bare = min(bares)
        ours = results[("pupil_walk", cutoff)][1]
        print(
            f"bare csgraph.dijkstra, {len(school_nodes)} sources, cutoff={cutoff}: {bare:.2f} s "
            f"(best of 3) -> geoplan cold / bare = {ours / bare:.2f}x, prebuilt network / bare "
            f"= {reuse[cutoff] / bare:.2f}x"
        )

    # networkx loop on the MultiDiGraph as loaded, time NX_SOURCES sources and scale to 200
    rev = g.reverse(copy=False)
    sources = [net.node_ids[k] for k in school_nodes[:NX_SOURCES]]
    t = time.perf_counter()
    refs = [nx.single_source_dijkstra_path_length(rev, s, weight="length") for s in sources]
    nx_time = (time.perf_counter() - t) / len(sources) * N_SCHOOLS
    print(
        f"networkx single_source_dijkstra_path_length loop: {nx_time:.1f} s for "
        f"{N_SCHOOLS} sources (timed {len(sources)}, scaled) -> geoplan cold is "
        f"{nx_time / cold:.0f}x faster"
    )

    # agreement of the float64 search with networkx (walkers ignore one-ways: undirected view)
    und = g.to_undirected(as_view=True)
    nodes = np.arange(0, len(net.node_ids), 97)
    road = _search(net.metres_reversed, school_nodes[:NX_SOURCES], nodes, limit=np.inf, desc="")
    worst = 0.0
    for j, s in enumerate(sources):
        ref = nx.single_source_dijkstra_path_length(und, s, weight="length")
        want = np.array([ref.get(net.node_ids[k], np.inf) for k in nodes])
        worst = max(worst, float(np.abs(road[j] - want).max()))
    del refs
    print(
        f"float64 road metres vs networkx, {NX_SOURCES} x {len(nodes)}: max |diff| = {worst:.2e} m"
    )
    joined = m.origin_access["straight_m"].to_numpy()
    print(
        f"villages' distance to the road they join: median {np.median(joined):.0f} m, "
        f"max {joined.max():.0f} m (random spots between grid roads)"
    )

    travel_module._NETWORKS.clear()
    tracemalloc.start()
    with tempfile.TemporaryDirectory() as cache:
        travel_matrix(g, villages, schools, mode=PUPIL_WALK, cache_dir=cache)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"traced peak allocation of one cold travel_matrix call: {peak / 2**20:.0f} MB; "
        f"process peak RSS {rss_mb():.0f} MB"
    )


def province(*, side: int = 530) -> None:
    """10,000 villages x 1,000 sites on a ~1M-edge road grid, pupil walk, no cut-off and 60 min."""
    t = time.perf_counter()
    g = build(side=side)
    print(
        f"province graph: {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges "
        f"(built in {time.perf_counter() - t:.1f} s); peak RSS {rss_mb():.0f} MB"
    )
    villages = layer(g, 10_000, 11, "v")
    sites = layer(g, 1_000, 12, "t")
    for cutoff in (None, 60.0):
        travel_module._NETWORKS.clear()
        with tempfile.TemporaryDirectory() as cache:
            t, cpu = time.perf_counter(), time.process_time()
            m = travel_matrix(g, villages, sites, mode=PUPIL_WALK, cutoff_min=cutoff,
                              cache_dir=cache)  # fmt: skip
            cold, cpu = time.perf_counter() - t, time.process_time() - cpu
        print(
            f"province: geoplan travel_matrix, pupil_walk, 10,000 x 1,000, cutoff={cutoff}, "
            f"cold: {cold:.1f} s wall, {cpu:.1f} s CPU; reachable pairs "
            f"{np.isfinite(m.minutes).mean():.1%}; load average {os.getloadavg()[0]:.1f}; "
            f"peak RSS {rss_mb():.0f} MB"
        )


def workers(*, side: int = 500, rounds: int = 2, cutoff_only: bool = False) -> None:
    """One process vs two on the issue-27 case: school bus, 10,000 villages x 1,000 sites.

    Graph ``build(side=500)`` (250,000 nodes, ~880,000 edges); the network is converted once
    (``network_for``) and the joins made by each call; no disk cache. The single-process and
    two-process searches alternate (``rounds`` times each) so both see the same machine load;
    the best of each is compared. Also the 60-minute cut-off, dense and sparse.
    """
    from geoplan.network.modes import SCHOOL_BUS

    t = time.perf_counter()
    g = build(side=side)
    print(
        f"graph: {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges "
        f"(built in {time.perf_counter() - t:.1f} s)"
    )
    villages = layer(g, 10_000, 11, "v")
    sites = layer(g, 1_000, 12, "t")
    net = network_for(g, SCHOOL_BUS, crs=CRS)
    travel_matrix(net, villages.iloc[:10], sites.iloc[:10], mode=SCHOOL_BUS, use_cache=False)
    cases = [(None, "dense"), (60.0, "dense"), (60.0, "sparse")]
    for cutoff, storage in cases[1:2] if cutoff_only else cases:
        times: dict[int, list[float]] = {1: [], 2: []}
        cpu: dict[int, list[float]] = {1: [], 2: []}
        loads: list[float] = []
        result: dict[int, object] = {}
        for _ in range(rounds):
            for k in (1, 2):
                t, c = time.perf_counter(), time.process_time()
                result[k] = travel_matrix(net, villages, sites, mode=SCHOOL_BUS,
                                          cutoff_min=cutoff, storage=storage, workers=k,
                                          use_cache=False)  # fmt: skip
                times[k].append(time.perf_counter() - t)
                cpu[k].append(time.process_time() - c)
                loads.append(os.getloadavg()[0])
        a, b = result[1], result[2]
        same = np.array_equal(a.minutes_array(), b.minutes_array()) and np.array_equal(
            a.metres_array(), b.metres_array()
        )
        print(
            f"school_bus 10,000 x 1,000 cutoff={cutoff} {storage}: 1 process "
            f"{', '.join(f'{x:.1f}' for x in times[1])} s (parent CPU "
            f"{', '.join(f'{x:.1f}' for x in cpu[1])}), 2 processes "
            f"{', '.join(f'{x:.1f}' for x in times[2])} s (parent CPU "
            f"{', '.join(f'{x:.1f}' for x in cpu[2])}) -> best 1 / best 2 = "
            f"{min(times[1]) / min(times[2]):.2f}x; identical {same}; pairs {a.pairs:,}; "
            f"load average {min(loads):.1f}-{max(loads):.1f}; peak RSS {rss_mb():.0f} MB"
        )


def growth(n_villages: int, storage: str, *, side: int = 500) -> None:
    """One size of the growth rows: school bus, ``n_villages`` x 1,000 sites, 60-minute cut-off.

    Run once per size and storage in a fresh process, so the peak RSS is this size's:
    ``python benchmarks/travel.py --growth 10000 sparse``. Timed: ``travel_matrix`` on the
    converted network (joins + search, 2 processes, no disk cache); traced peak allocation of
    that call and the process's peak RSS (the networkx graph included).
    """
    from geoplan.network.modes import SCHOOL_BUS

    g = build(side=side)
    villages = layer(g, n_villages, 11, "v")
    sites = layer(g, 1_000, 12, "t")
    net = network_for(g, SCHOOL_BUS, crs=CRS)
    base = rss_mb()
    tracemalloc.start()
    t = time.perf_counter()
    m = travel_matrix(net, villages, sites, mode=SCHOOL_BUS, cutoff_min=60.0, storage=storage,
                      use_cache=False)  # fmt: skip
    wall = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if m.is_sparse:
        held = sum(a.nbytes for a in (m.minutes.data, m.metres.data, m.minutes.indices))
        held += m.minutes.indptr.nbytes
    else:
        held = m.minutes.nbytes + m.metres.nbytes
    print(
        f"growth: school_bus {n_villages:,} x 1,000, cutoff 60, {storage}: {wall:.1f} s; "
        f"pairs {m.pairs:,}; matrix holds {held / 2**20:.0f} MB; traced peak of the call "
        f"{peak / 2**20:.0f} MB; RSS before the call {base:.0f} MB, peak {rss_mb():.0f} MB; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def shared_modes(*, side: int = 300, n_villages: int = 4_000, n_sites: int = 400) -> None:
    """Four modes of one scenario, each searching alone vs sharing identical searches.

    Child walk, pupil walk, school bus and car (no cut-off, dense), as ``geoplan run``
    computes them one after another on one road graph (``build(side=300)``: 90,000 nodes), no
    disk cache. "alone" forgets the kept searches before each mode (as before the search memo);
    "shared" keeps them, so the pupils' walk reuses the children's search of metres and the
    car the school bus's two searches. Alternated twice; best of each; matrices compared.
    """
    from geoplan.network._search_memo import SEARCHES
    from geoplan.network.modes import CHILD_WALK, SCHOOL_BUS

    g = build(side=side)
    villages = layer(g, n_villages, 11, "v")
    sites = layer(g, n_sites, 12, "t")
    modes = (CHILD_WALK, PUPIL_WALK, SCHOOL_BUS, CAR)
    nets = {m.name: network_for(g, m, crs=CRS) for m in modes}
    times: dict[str, list[float]] = {"alone": [], "shared": []}
    out: dict[str, dict[str, object]] = {}
    loads: list[float] = []
    for _ in range(2):
        for how in ("alone", "shared"):
            SEARCHES.clear()
            t = time.perf_counter()
            for m in modes:
                if how == "alone":
                    SEARCHES.clear()
                out.setdefault(how, {})[m.name] = travel_matrix(
                    nets[m.name], villages, sites, mode=m, use_cache=False
                )
            times[how].append(time.perf_counter() - t)
            loads.append(os.getloadavg()[0])
    same = all(
        np.array_equal(out["alone"][k].minutes_array(), out["shared"][k].minutes_array())  # type: ignore[attr-defined]
        and np.array_equal(out["alone"][k].metres_array(), out["shared"][k].metres_array())  # type: ignore[attr-defined]
        for k in out["alone"]
    )
    print(
        f"four modes, {n_villages:,} x {n_sites:,} on {g.number_of_nodes():,} nodes: alone "
        f"{', '.join(f'{x:.1f}' for x in times['alone'])} s, shared "
        f"{', '.join(f'{x:.1f}' for x in times['shared'])} s -> best alone / best shared = "
        f"{min(times['alone']) / min(times['shared']):.2f}x; identical {same}; load average "
        f"{min(loads):.1f}-{max(loads):.1f}"
    )


if __name__ == "__main__":
    if "--province" in sys.argv:
        province()
    elif "--workers" in sys.argv:  # --workers cutoff: only the 60-minute dense case, 3 rounds
        cut = "cutoff" in sys.argv
        workers(cutoff_only=cut, rounds=3 if cut else 2)
    elif "--shared-modes" in sys.argv:
        shared_modes()
    elif "--growth" in sys.argv:
        at = sys.argv.index("--growth")
        growth(int(sys.argv[at + 1]), sys.argv[at + 2])
    else:
        main()
