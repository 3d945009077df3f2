"""Seeded sparse rural road networks, and an exact journey oracle on the unsimplified graph.

:func:`rural_network` draws a county-like network: junctions on a jittered 5 km lattice (so
junctions lie 1-10 km apart), long winding roads between them (tertiary, unclassified, tracks;
3 % one-way, 5 % private), a small road cut off from the rest, villages and schools standing
*on* the roads (within 20 m of them) and a few villages off-road. The graph is osmnx style
(simplified: nodes only at junctions and dead ends, edges carrying their geometry).
:func:`rural_townships` tiles its extent with townships, :func:`in_township` names each point's
township, :func:`move_off_road` scatters points off the roads and :func:`as_offset` shifts a
layer to GCJ-02 or BD-09 (as Amap or Baidu would give it).

:func:`exact_matrix` is an independent oracle for geoplan's travel matrices: it explodes every
usable edge into its straight segments (the unsimplified graph), splices each point into the
segment nearest to it (brute force over every segment of the main component), links it by an
access leg (straight line times the detour factor) and runs networkx's Dijkstra.
"""

from __future__ import annotations

import itertools
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from shapely import LineString, Point

from geoplan.network.modes import END_SNAP_M, TravelMode, closed_by_tags

CRS = "EPSG:32645"


def _winding(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> LineString:
    """A road from ``a`` to ``b`` winding sideways by up to ~12 % of its span."""
    span = float(np.hypot(*(b - a)))
    k = max(4, int(span / 250))
    t = np.linspace(0.0, 1.0, k + 1)
    normal = np.array([-(b - a)[1], (b - a)[0]]) / span
    bend = rng.uniform(0.03, 0.12) * span * np.sin(np.pi * t * rng.integers(1, 4))
    wiggle = rng.normal(0.0, 25.0, k + 1)
    wiggle[[0, -1]] = 0.0
    pts = a + np.outer(t, b - a) + np.outer(bend + wiggle, normal)
    return LineString(pts)


def rural_network(
    seed: int,
    *,
    side: int = 6,
    spacing_m: float = 5000.0,
    n_villages: int = 150,
    n_schools: int = 8,
    off_road_share: float = 0.04,
) -> tuple[nx.MultiDiGraph, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A seeded rural road graph with villages and schools: ``(graph, villages, schools)``.

    Villages (``v0``...) and schools (``s0``...) lie on random roads (random spot along the
    road, 0-20 m beside it); ``off_road_share`` of the villages lie 300-1500 m off any road.
    """
    rng = np.random.default_rng(seed)
    g = nx.MultiDiGraph(crs=CRS, name=f"rural network {seed}")
    x0, y0 = 400_000.0, 4_700_000.0
    ids = {}
    for i in range(side):
        for j in range(side):
            jitter = rng.uniform(-0.4, 0.4, 2) * spacing_m
            ids[(i, j)] = len(ids)
            g.add_node(
                ids[(i, j)], x=x0 + j * spacing_m + jitter[0], y=y0 + i * spacing_m + jitter[1]
            )
    links = [((i, j), (i, j + 1)) for i in range(side) for j in range(side - 1)]
    links += [((i, j), (i + 1, j)) for i in range(side - 1) for j in range(side)]
    keep = rng.random(len(links)) > 0.2
    way = 100
    for (p, q), kept in zip(links, keep, strict=True):
        if not kept:
            continue
        u, v = ids[p], ids[q]
        a = np.array([g.nodes[u]["x"], g.nodes[u]["y"]])
        b = np.array([g.nodes[v]["x"], g.nodes[v]["y"]])
        geom = _winding(a, b, rng)
        r = rng.random()
        attrs: dict[str, Any] = {
            "osmid": way,
            "highway": "tertiary" if r < 0.3 else "unclassified" if r < 0.7 else "track",
            "name": f"road {way}",
            "length": float(geom.length),
        }
        if rng.random() < 0.05:
            attrs["access"] = "private"
        oneway = rng.random() < 0.03
        g.add_edge(u, v, geometry=geom, oneway=oneway, reversed=False, **attrs)
        if not oneway:
            g.add_edge(v, u, geometry=geom.reverse(), oneway=False, reversed=True, **attrs)
        way += 1
    # a road cut off from the rest (a valley beyond a closed pass), 12 km east of the grid
    far_x = x0 + side * spacing_m + 12_000.0
    g.add_node("island_a", x=far_x, y=y0)
    g.add_node("island_b", x=far_x, y=y0 + 4000.0)
    island = LineString([(far_x, y0), (far_x + 300.0, y0 + 2000.0), (far_x, y0 + 4000.0)])
    for u, v, geom in (
        ("island_a", "island_b", island),
        ("island_b", "island_a", island.reverse()),
    ):
        g.add_edge(u, v, geometry=geom, osmid=99, highway="track", length=float(geom.length))
    roads = [  # villages and schools stand on the public roads of the connected part
        (u, v, d["geometry"])
        for u, v, d in g.edges(data=True)
        if d.get("access") is None and d["osmid"] != 99
    ]

    def on_roads(n: int, prefix: str) -> gpd.GeoDataFrame:
        pts = []
        for _ in range(n):
            geom = roads[int(rng.integers(len(roads)))][2]
            at = geom.interpolate(rng.uniform(0.0, 1.0), normalized=True)
            pts.append(Point(at.x + rng.uniform(-20, 20), at.y + rng.uniform(-20, 20)))
        return gpd.GeoDataFrame(
            geometry=pts, index=pd.Index([f"{prefix}{i}" for i in range(n)], name="id"), crs=CRS
        )

    villages = on_roads(n_villages, "v")
    schools = on_roads(n_schools, "s")
    n_off = max(1, round(off_road_share * n_villages))
    geoms = list(villages.geometry)
    for k in rng.choice(n_villages, n_off, replace=False):
        angle = rng.uniform(0, 2 * np.pi)
        off = rng.uniform(300.0, 1500.0)
        geoms[k] = Point(geoms[k].x + off * np.cos(angle), geoms[k].y + off * np.sin(angle))
    villages = villages.set_geometry(gpd.GeoSeries(geoms, index=villages.index, crs=CRS))
    return g, villages, schools


def rural_townships(
    graph: nx.MultiDiGraph, seed: int, *, n: int = 9, margin_m: float = 3000.0
) -> gpd.GeoDataFrame:
    """``n`` townships (``t0``...) tiling the network's extent: Voronoi cells of random seeds.

    The extent is the box of the graph's nodes widened by ``margin_m``; the cells are clipped
    to it. Boundaries are straight (real ones wind more, so more villages lie near them).
    """
    import shapely

    rng = np.random.default_rng(seed)
    xy = np.array([[d["x"], d["y"]] for _, d in graph.nodes(data=True)])
    (x0, y0), (x1, y1) = xy.min(0) - margin_m, xy.max(0) + margin_m
    box = shapely.box(x0, y0, x1, y1)
    seeds = shapely.multipoints(np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)]))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box))
    cells = [c.intersection(box) for c in cells]
    ids = pd.Index([f"t{i}" for i in range(len(cells))], name="id")
    return gpd.GeoDataFrame({"name": list(ids)}, geometry=cells, index=ids, crs=CRS)


def in_township(points: gpd.GeoDataFrame, townships: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``points`` with a ``township`` column: the id of the township each lies in (or nearest)."""
    import shapely

    tree = shapely.STRtree(townships.geometry.to_numpy())
    pairs = tree.query_nearest(points.geometry.to_numpy(), all_matches=False)
    nearest = np.empty(len(points), dtype=int)
    nearest[pairs[0]] = pairs[1]
    return points.assign(township=[str(townships.index[k]) for k in nearest])


def move_off_road(
    points: gpd.GeoDataFrame, share: float, seed: int, *, low_m: float, high_m: float
) -> gpd.GeoDataFrame:
    """``share`` of ``points`` (at random) moved ``low_m``-``high_m`` in random directions."""
    rng = np.random.default_rng(seed)
    geoms = list(points.geometry)
    for k in rng.choice(len(geoms), round(share * len(geoms)), replace=False):
        angle, off = rng.uniform(0, 2 * np.pi), rng.uniform(low_m, high_m)
        geoms[k] = Point(geoms[k].x + off * np.cos(angle), geoms[k].y + off * np.sin(angle))
    return points.set_geometry(gpd.GeoSeries(geoms, index=points.index, crs=points.crs))


def as_offset(gdf: gpd.GeoDataFrame, system: str) -> gpd.GeoDataFrame:
    """``gdf`` as a web map would give it: WGS-84 shifted forward to ``gcj02`` or ``bd09``."""
    import shapely

    from geoplan.data.crs import WGS84, wgs84_to_bd09, wgs84_to_gcj02

    forward = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}[system]

    def shift(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(forward(xy[:, 0], xy[:, 1]))

    wgs = gdf.to_crs(WGS84)
    moved = shapely.transform(wgs.geometry.to_numpy(), shift)
    return gdf.set_geometry(gpd.GeoSeries(moved, index=gdf.index, crs=WGS84).to_crs(gdf.crs))


# --------------------------------------------------------------------------- the oracle


def _usable(mode: TravelMode, data: dict[str, Any]) -> float | None:
    """Speed (km/h) of ``mode`` on the edge, or None when it may not use it."""
    hw = data.get("highway")
    speeds = [mode.speed_kph(str(h)) for h in (hw if isinstance(hw, list) else [hw])]
    ok = [s for s in speeds if s is not None]
    if not ok or closed_by_tags(data, mode.access):
        return None
    return min(ok)


def _coords(g: nx.MultiDiGraph, u: Any, v: Any, data: dict[str, Any]) -> np.ndarray:
    geom = data.get("geometry")
    if geom is not None:
        return np.asarray(geom.coords)[:, :2]
    return np.array([[g.nodes[u]["x"], g.nodes[u]["y"]], [g.nodes[v]["x"], g.nodes[v]["y"]]])


def unsimplified(g: nx.MultiDiGraph, mode: TravelMode) -> nx.DiGraph:
    """The mode's usable roads with a node at every vertex (segment weights ``metres``,
    ``minutes``); blocked barrier nodes split per road, as they cannot be passed."""
    out = nx.DiGraph()

    def blocked(node: Any) -> bool:
        return "barrier" in g.nodes[node] and closed_by_tags(g.nodes[node], mode.access, on="node")

    for u, v, data in g.edges(data=True):
        speed = _usable(mode, data)
        if speed is None:
            continue
        xy = _coords(g, u, v, data)
        seg = np.hypot(*np.diff(xy, axis=0).T)
        scale = data["length"] / seg.sum() if seg.sum() > 0 else 0.0
        osmid = data.get("osmid")  # merged ways: the twins list the ids in opposite orders
        osmid = sorted(osmid) if isinstance(osmid, list) else osmid
        road = (min(str(u), str(v)), max(str(u), str(v)), str(osmid))
        names = [("end", u, road) if blocked(u) else u]
        names += [("pt", road, round(float(x), 3), round(float(y), 3)) for x, y in xy[1:-1]]
        names += [("end", v, road) if blocked(v) else v]
        for k in range(len(seg)):
            metres = float(seg[k] * scale)
            minutes = metres / (speed * 1000 / 60)
            pairs = [(names[k], names[k + 1], (xy[k], xy[k + 1]))]
            if not mode.oneway:
                pairs.append((names[k + 1], names[k], (xy[k + 1], xy[k])))
            for a, b, ends in pairs:
                old = out.get_edge_data(a, b)
                if old is None or old["minutes"] > minutes:
                    out.add_edge(a, b, metres=metres, minutes=minutes, xy=ends)
    return out


def _inside(node: Any) -> bool:
    """Whether ``node`` of :func:`unsimplified` is a vertex inside a road (not a graph node)."""
    return isinstance(node, tuple) and node[0] == "pt"


def _to_segments(xy: np.ndarray, p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fraction along each segment ``p -> q`` of the point nearest ``xy``, and the distance."""
    pq = q - p
    t = np.clip(((xy - p) * pq).sum(1) / np.maximum((pq**2).sum(1), 1e-12), 0, 1)
    near = p + t[:, None] * pq
    return t, np.hypot(*(near - xy).T)


def exact_matrix(
    g: nx.MultiDiGraph,
    mode: TravelMode,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    weight: str = "metres",
    max_access_m: float = 2000.0,
) -> np.ndarray:
    """Exact journeys (access leg + road + access leg) in ``weight``, origins x destinations.

    Every point joins the nearest segment of the unsimplified graph's largest strongly
    connected component (brute force; of equally near ones the fastest), spliced in at the
    nearest point, or at the graph node when that lies within ``END_SNAP_M`` of one; the access
    leg is the straight line times ``mode.detour_factor`` at ``mode.walk_kph``. A point whose
    nearest segment lies outside that component while the component is farther than
    ``max_access_m`` joins that nearest segment instead (it reaches the places on its own part
    only).
    """
    base = unsimplified(g, mode)
    main = max(nx.strongly_connected_components(base), key=len)
    every = list(base.edges(data=True))
    segs = [(a, b, d) for a, b, d in every if a in main and b in main]
    p = np.array([d["xy"][0] for _, _, d in segs])
    q = np.array([d["xy"][1] for _, _, d in segs])
    p_all = np.array([d["xy"][0] for _, _, d in every])
    q_all = np.array([d["xy"][1] for _, _, d in every])
    work = base.copy()
    on_seg: dict[int, list[tuple[float, Any]]] = {}
    layers = [("o", origins), ("d", destinations)]
    for side, layer in layers:
        for pid, geom in zip(layer.index, layer.geometry, strict=True):
            xy = np.array([geom.x, geom.y])
            t, dist = _to_segments(xy, p, q)
            tied = np.flatnonzero(dist == dist.min())  # of equally near roads, the fastest
            k = int(
                min(tied, key=lambda i: segs[i][2]["minutes"] / max(segs[i][2]["metres"], 1e-9))
            )
            joined = segs[k]
            t_all, dist_all = _to_segments(xy, p_all, q_all)
            if dist[k] > max_access_m and dist_all.min() < dist[k]:
                # its nearest road is cut off from the main network: it joins that road
                k = int(np.argmin(dist_all))
                t, dist, joined = t_all, dist_all, every[k]
            a, b, seg = joined
            straight = float(dist[k])
            # within END_SNAP_M of a graph node (not a vertex inside a road), at that node
            near_end = float(t[k]) * seg["metres"] < END_SNAP_M
            end = a if near_end else b
            if not (near_end or (1.0 - float(t[k])) * seg["metres"] < END_SNAP_M) or _inside(end):
                end = None
            else:
                straight = float(np.hypot(*(seg["xy"][0 if end == a else 1] - xy)))
            leg = straight * mode.detour_factor
            leg_w = leg if weight == "metres" else leg / (mode.walk_kph * 1000 / 60)
            node = (side, pid)
            work.add_edge(node, ("on", side, pid), w=leg_w)
            work.add_edge(("on", side, pid), node, w=leg_w)
            if end is not None:
                work.add_edge(("on", side, pid), end, w=0.0)
                work.add_edge(end, ("on", side, pid), w=0.0)
                continue
            key = (min(a, b, key=str), max(a, b, key=str))
            t_k = float(t[k]) if key[0] == a else 1.0 - float(t[k])
            on_seg.setdefault(hash(key), []).append((t_k, ("on", side, pid), key))
    for a, b, data in list(base.edges(data=True)):
        data_w = data[weight]
        work[a][b]["w"] = data_w
    for spliced in on_seg.values():
        lo, hi = spliced[0][2]
        spliced.sort(key=lambda x: x[0])
        chain = [(0.0, lo), *[(t, n) for t, n, _ in spliced], (1.0, hi)]
        for a, b in ((lo, hi), (hi, lo)):
            if not base.has_edge(a, b):
                continue
            w = base[a][b][weight]
            seq = chain if a == lo else [(1.0 - t, n) for t, n in reversed(chain)]
            for (t1, n1), (t2, n2) in itertools.pairwise(seq):
                work.add_edge(n1, n2, w=w * (t2 - t1))
    out = np.full((len(origins), len(destinations)), np.inf)
    rev = work.reverse(copy=False)
    for j, did in enumerate(destinations.index):
        if ("d", did) not in work:
            continue
        to_d = nx.single_source_dijkstra_path_length(rev, ("d", did), weight="w")
        for i, oid in enumerate(origins.index):
            if ("o", oid) in work:
                out[i, j] = to_d.get(("o", oid), np.inf)
    return out
