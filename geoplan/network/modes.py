"""Routable road networks per travel mode: modes, closures, per-mode arrays, snapping.

The road graph comes from :mod:`geoplan.roads` (:func:`load_graph` and friends are re-exported
here). :func:`mode_network` turns it into compact sparse arrays for one :class:`TravelMode`
(speeds, allowed road classes, one-way rules, closures, slope), and :func:`snap_points` joins
villages, schools and sites to it by access legs.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely import LineString
from shapely.geometry.base import BaseGeometry

from geoplan.errors import ArgumentError, NetworkError
from geoplan.network.roads import ROAD_CLASSES, _as_list

__all__ = [
    "CAR",
    "CHILD_WALK",
    "MODES",
    "MOTOR_SPEEDS_KPH",
    "NOT_WALKABLE",
    "PUPIL_WALK",
    "RIDING",
    "SCHOOL_BUS",
    "TRACK_CLASSES",
    "Closure",
    "ModeNetwork",
    "NetworkSettings",
    "Snapping",
    "TravelMode",
    "mode_network",
    "snap_points",
]

_logger = logging.getLogger(__name__)

MOTOR_SPEEDS_KPH: Mapping[str, float] = {
    "motorway": 80.0, "trunk": 60.0, "primary": 60.0, "secondary": 50.0, "tertiary": 40.0,
    "unclassified": 30.0, "residential": 30.0, "road": 30.0, "living_street": 10.0,
    "service": 15.0, "track": 15.0,
}  # fmt: skip
"""Bus and car speeds by road class (``*_link`` roads take their parent's speed)."""

TRACK_CLASSES: frozenset[str] = frozenset({"track", "path", "bridleway", "footway", "cycleway"})
NOT_WALKABLE: frozenset[str] = frozenset({"motorway", "motorway_link"})


def _base_class(highway: str) -> str:
    return highway[: -len("_link")] if highway.endswith("_link") else highway


@dataclass(frozen=True)
class TravelMode:
    """How one kind of traveller moves on the road graph.

    Parameters
    ----------
    name
        Name used in tables and cache keys (``child_walk``, ``car`` ...).
    speeds_kph
        Speed by OSM ``highway`` class, km/h; ``*_link`` classes use their parent's speed.
    allowed
        Road classes the mode may use; ``None``: every class in :data:`ROAD_CLASSES` except
        motorways.
    walk_kph
        Walking speed on access legs (and everywhere for walking modes), km/h.
    default_kph
        Speed on allowed classes missing from ``speeds_kph``; ``None``: ``walk_kph``.
    oneway
        Whether one-way streets are respected.
    detour_factor
        Access legs are straight lines times this factor.
    slope_aware
        Whether walking times follow Tobler's hiking function when nodes carry ``elevation``.
    """

    name: str
    speeds_kph: Mapping[str, float] = field(default_factory=dict)
    allowed: frozenset[str] | None = None
    walk_kph: float = 4.0
    default_kph: float | None = None
    oneway: bool = False
    detour_factor: float = 1.3
    slope_aware: bool = False

    def __post_init__(self) -> None:
        speeds = [self.walk_kph, *self.speeds_kph.values()]
        if self.default_kph is not None:
            speeds.append(self.default_kph)
        if not all(math.isfinite(s) and s > 0 for s in speeds):
            msg = f"Travel mode {self.name!r}: every speed must be a positive number of km/h."
            raise ArgumentError(msg)
        if self.detour_factor < 1:
            msg = f"Travel mode {self.name!r}: detour_factor {self.detour_factor} is below 1."
            raise ArgumentError(msg)

    def speed_kph(self, highway: str) -> float | None:
        """Speed on a road of class ``highway``, or ``None`` when the mode may not use it."""
        allowed = self.allowed if self.allowed is not None else ROAD_CLASSES - NOT_WALKABLE
        if highway not in allowed:
            return None
        speed = self.speeds_kph.get(highway, self.speeds_kph.get(_base_class(highway)))
        if speed is None:
            speed = self.default_kph if self.default_kph is not None else self.walk_kph
        return speed

    @property
    def constant_speed(self) -> bool:
        """True when every allowed road has the same speed (minutes follow metres)."""
        allowed = self.allowed if self.allowed is not None else ROAD_CLASSES - NOT_WALKABLE
        return len({self.speed_kph(h) for h in allowed}) <= 1

    def fingerprint(self) -> str:
        """A stable text naming every field, for cache keys."""
        return repr(
            (
                self.name,
                sorted(self.speeds_kph.items()),
                sorted(self.allowed) if self.allowed is not None else None,
                self.walk_kph,
                self.default_kph,
                self.oneway,
                self.detour_factor,
                self.slope_aware,
            )
        )


CHILD_WALK = TravelMode("child_walk", walk_kph=3.0, slope_aware=True)
"""Grades 1-3 walking at 3 km/h on every road except motorways, both ways on one-way streets."""
PUPIL_WALK = TravelMode("pupil_walk", walk_kph=4.0, slope_aware=True)
"""Grades 4-6 walking at 4 km/h."""
RIDING = TravelMode(
    "riding",
    speeds_kph={c: 20.0 for c in TRACK_CLASSES},
    allowed=ROAD_CLASSES - NOT_WALKABLE - {"steps", "pedestrian"},
    default_kph=30.0,
    walk_kph=4.0,
)
"""Motorbike or horse: 20 km/h on tracks and paths, 30 km/h on roads."""
SCHOOL_BUS = TravelMode(
    "school_bus",
    speeds_kph=MOTOR_SPEEDS_KPH,
    allowed=frozenset(c for c in ROAD_CLASSES if _base_class(c) in MOTOR_SPEEDS_KPH),
    walk_kph=4.0,
    oneway=True,
)
"""School bus by road class (trunk 60 ... track 15 km/h), roads only, one-ways respected."""
CAR = TravelMode(
    "car",
    speeds_kph=MOTOR_SPEEDS_KPH,
    allowed=SCHOOL_BUS.allowed,
    walk_kph=4.0,
    oneway=True,
)
"""Car by road class, roads only, one-ways respected."""
MODES: Mapping[str, TravelMode] = {
    m.name: m for m in (CHILD_WALK, PUPIL_WALK, RIDING, SCHOOL_BUS, CAR)
}
"""The preset modes by name."""


@dataclass(frozen=True)
class Closure:
    """Roads out of use (a winter pass, a river crossing): by OSM way id, name or area.

    Parameters
    ----------
    label
        What is closed, for reports.
    way_ids
        OSM way ids (the edge attribute ``osmid``).
    names
        Road names (the edge attribute ``name``), matched exactly.
    polygon
        Every edge crossing this polygon (in the graph's CRS) is closed.
    """

    label: str = ""
    way_ids: tuple[int, ...] = ()
    names: tuple[str, ...] = ()
    polygon: BaseGeometry | None = None

    def fingerprint(self) -> str:
        """A stable text naming every field, for cache keys."""
        wkt = self.polygon.wkt if self.polygon is not None else ""
        return repr((self.label, sorted(self.way_ids), sorted(self.names), wkt))


@dataclass(frozen=True)
class NetworkSettings:
    """Road-network settings a scenario names: modes, closures and snapping.

    Parameters
    ----------
    modes
        Travel modes by name (default: the presets of :data:`MODES`).
    closures
        Roads out of use.
    max_access_m
        Access legs longer than this are warned about and listed (the network misses roads).
    detour_factor
        When set, overrides every mode's access-leg detour factor.
    """

    modes: Mapping[str, TravelMode] = field(default_factory=lambda: dict(MODES))
    closures: tuple[Closure, ...] = ()
    max_access_m: float = 2000.0
    detour_factor: float | None = None

    def mode(self, name: str) -> TravelMode:
        """The mode called ``name``, with this settings' detour factor applied."""
        if name not in self.modes:
            msg = f"Unknown travel mode {name!r}; modes are {', '.join(self.modes)}."
            raise NetworkError(msg)
        mode = self.modes[name]
        if self.detour_factor is not None:
            from dataclasses import replace

            mode = replace(mode, detour_factor=self.detour_factor)
        return mode


# --------------------------------------------------------------------------- per mode


@dataclass(frozen=True)
class ModeNetwork:
    """The routable arcs of one mode, as sparse arrays over node positions.

    Parameters
    ----------
    mode
        The travel mode.
    node_ids
        Graph node id of each position.
    xy
        Node coordinates (graph CRS), shape ``(n, 2)``.
    metres, minutes
        ``n x n`` CSR matrices of arcs (one per ordered node pair, the shortest of parallel
        edges for each weight).
    arc_edge
        For each stored arc (CSR order), the index of the fastest edge in ``graph.edges``.
    main
        Mask of the nodes in the mode's largest strongly connected component.
    time_follows_length
        True when minutes are metres over one speed everywhere (one search serves both).
    closed_edges
        Graph edges removed by closures.
    crs
        CRS of ``xy``.
    """

    mode: TravelMode
    node_ids: np.ndarray
    xy: np.ndarray
    metres: csr_matrix
    minutes: csr_matrix
    arc_edge: np.ndarray
    main: np.ndarray
    time_follows_length: bool
    closed_edges: int
    crs: Any
    closures: tuple[Closure, ...] = ()

    @functools.cached_property
    def metres_reversed(self) -> csr_matrix:
        """``metres`` transposed (arcs reversed), built once, for searches from destinations."""
        rev: csr_matrix = self.metres.T.tocsr()
        return rev

    @functools.cached_property
    def digest(self) -> str:
        """A hash of the arrays, mode and closures (for cache keys), computed once."""
        h = hashlib.sha256()
        for arr in (
            self.xy,
            self.metres.indptr,
            self.metres.indices,
            self.metres.data,
            self.minutes.data,
            self.main,
        ):
            h.update(np.ascontiguousarray(arr).tobytes())
        h.update(self.mode.fingerprint().encode())
        h.update(repr([c.fingerprint() for c in self.closures]).encode())
        return h.hexdigest()

    @functools.cached_property
    def main_tree(self) -> cKDTree:
        """k-d tree of the main component's nodes (positions ``flatnonzero(main)``)."""
        return cKDTree(self.xy[np.flatnonzero(self.main)])

    @functools.cached_property
    def minutes_reversed(self) -> csr_matrix:
        """``minutes`` transposed (arcs reversed), built once."""
        rev: csr_matrix = self.minutes.T.tocsr()
        return rev


def mode_network(
    graph: nx.MultiDiGraph,
    mode: TravelMode,
    *,
    closures: Iterable[Closure] = (),
) -> ModeNetwork:
    """Routable arcs of ``graph`` for ``mode``, with ``closures`` removed.

    Parameters
    ----------
    graph
        An osmnx graph with edge ``length`` (m) and ``highway``; node ``elevation`` (m) is used by
        slope-aware modes.
    mode
        The travel mode (speeds, allowed classes, one-way rule).
    closures
        Roads out of use.
    """
    from geoplan.network import terrain

    closures = tuple(closures)
    node_ids = np.array(list(graph.nodes), dtype=object)
    pos = {n: i for i, n in enumerate(node_ids)}
    nodes = graph.nodes
    xy = np.array([(nodes[n]["x"], nodes[n]["y"]) for n in node_ids], dtype=float)
    n = len(node_ids)
    if n == 0:
        msg = "The road graph is empty."
        raise NetworkError(msg)
    need_ids = any(c.way_ids or c.names for c in closures)
    polys = [c.polygon for c in closures if c.polygon is not None]
    ids_closed = {int(w) for c in closures for w in c.way_ids}
    names_closed = {s for c in closures for s in c.names}
    speed_cache: dict[Any, float | None] = {}
    us: list[int] = []
    vs: list[int] = []
    lengths: list[float] = []
    speeds: list[float] = []
    edge_index: list[int] = []
    closed = 0
    for i, (u, v, data) in enumerate(graph.edges(data=True)):
        hw = data.get("highway", "road")
        key = hw if isinstance(hw, str) else tuple(hw)
        if key not in speed_cache:
            options = [mode.speed_kph(str(h)) for h in _as_list(hw)]
            allowed = [s for s in options if s is not None]
            speed_cache[key] = min(allowed) if allowed else None
        speed = speed_cache[key]
        if speed is None:
            continue
        if need_ids and (
            any(int(w) in ids_closed for w in _as_list(data.get("osmid", -1)) if w is not None)
            or any(s in names_closed for s in _as_list(data.get("name")))
        ):
            closed += 1
            continue
        if polys:
            geom = data.get("geometry") or LineString([xy[pos[u]], xy[pos[v]]])
            if any(p.intersects(geom) for p in polys):
                closed += 1
                continue
        us.append(pos[u])
        vs.append(pos[v])
        lengths.append(float(data["length"]))
        speeds.append(speed)
        edge_index.append(i)
    a = np.asarray(us, dtype=np.int64)
    b = np.asarray(vs, dtype=np.int64)
    length = np.asarray(lengths, dtype=float)
    speed_arr = np.asarray(speeds, dtype=float)
    eidx = np.asarray(edge_index, dtype=np.int64)
    if not mode.oneway:
        a, b = np.concatenate([a, b]), np.concatenate([b, a])
        length = np.concatenate([length, length])
        speed_arr = np.concatenate([speed_arr, speed_arr])
        eidx = np.concatenate([eidx, eidx])
    minutes = length / (speed_arr * 1000.0 / 60.0)
    sloped = False
    if mode.slope_aware:
        z = np.array([nodes[nid].get("elevation", np.nan) for nid in node_ids], dtype=float)
        if np.isfinite(z).any():
            rise = np.nan_to_num(z[b] - z[a])
            minutes = terrain.walking_minutes(length, rise, flat_kph=speed_arr)
            sloped = True
    if closed:
        _logger.info("Mode %s: %d road edges closed.", mode.name, closed)
    keys = a * n + b
    order = np.lexsort((minutes, keys))
    keys_s = keys[order]
    starts = np.flatnonzero(np.r_[True, keys_s[1:] != keys_s[:-1]]) if len(keys_s) else keys_s
    rows = a[order][starts]
    cols = b[order][starts]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    indptr = np.cumsum(indptr)
    min_metres = (
        np.minimum.reduceat(length[order], starts) if len(starts) else np.zeros(0, dtype=float)
    )
    metres_csr = csr_matrix((min_metres, cols, indptr), shape=(n, n))
    minutes_csr = csr_matrix((minutes[order][starts], cols, indptr), shape=(n, n))
    _, labels = connected_components(minutes_csr, directed=True, connection="strong")
    counts = np.bincount(labels)
    # a node without arcs is its own component; pick the largest component holding an arc
    has_arc = np.zeros(n, dtype=bool)
    has_arc[rows] = True
    counts = counts * np.bincount(labels, weights=has_arc, minlength=len(counts)).astype(bool)
    main = labels == int(np.argmax(counts))
    if not has_arc.any():
        msg = f"Mode {mode.name}: no road in the graph is open to this mode."
        raise NetworkError(msg)
    return ModeNetwork(
        mode=mode,
        node_ids=node_ids,
        xy=xy,
        metres=metres_csr,
        minutes=minutes_csr,
        arc_edge=eidx[order][starts],
        main=main,
        time_follows_length=mode.constant_speed and not sloped,
        closed_edges=closed,
        crs=graph.graph.get("crs"),
        closures=closures,
    )


# --------------------------------------------------------------------------- snapping


@dataclass(frozen=True)
class Snapping:
    """How each point joins the network.

    Parameters
    ----------
    table
        Indexed by point id: ``node`` (position in the mode network, -1 when off the network),
        ``node_id`` (graph node), ``x`` and ``y`` of the point, ``straight_m``, ``access_m``
        (straight line times the detour factor), ``access_min`` (at walking speed),
        ``long_leg`` (over ``max_access_m``) and ``on_network`` (False: the nearest road does not
        connect to the mode's main network and
        the point is unreachable).
    max_access_m
        The threshold used for ``long_leg``.
    """

    table: pd.DataFrame
    max_access_m: float

    def long_legs(self) -> list[str]:
        """Ids of points whose access leg is longer than the threshold."""
        return [str(i) for i in self.table.index[self.table["long_leg"]]]

    def off_network(self) -> list[str]:
        """Ids of points that cannot reach the mode's main network."""
        return [str(i) for i in self.table.index[~self.table["on_network"]]]


def snap_points(
    net: ModeNetwork,
    points: gpd.GeoDataFrame,
    *,
    max_access_m: float = 2000.0,
    layer: str = "points",
) -> Snapping:
    """Join every point to the mode's main network by an access leg.

    A point snaps to the nearest node of the main (largest strongly connected) component. When
    that is farther than ``max_access_m`` and the point's nearest road belongs to another,
    disconnected part, the point is reported off the network (unreachable) instead; otherwise a
    long leg is kept and reported. Warnings are logged; no point is dropped.
    """
    if len(points) and not points.geom_type.eq("Point").all():
        bad = points.index[~points.geom_type.eq("Point")][0]
        msg = f"Layer {layer}, row {bad}: geometry must be a point to snap to the road network."
        raise NetworkError(msg)
    xy = np.column_stack([points.geometry.x.to_numpy(), points.geometry.y.to_numpy()])
    main_pos = np.flatnonzero(net.main)
    d_main, i_main = net.main_tree.query(xy) if len(xy) else (np.zeros(0), [])
    node = main_pos[np.asarray(i_main, dtype=np.int64)] if len(xy) else np.zeros(0, np.int64)
    d_main = np.asarray(d_main, dtype=float)
    on = np.ones(len(xy), dtype=bool)
    far = d_main > max_access_m
    if far.any():
        routable = np.flatnonzero(np.diff(net.minutes.indptr) > 0)
        _, i_all = cKDTree(net.xy[routable]).query(xy[far])
        on[np.flatnonzero(far)] = net.main[routable[np.asarray(i_all)]]
    node = np.where(on, node, -1)
    access_m = d_main * net.mode.detour_factor
    access_min = access_m / (net.mode.walk_kph * 1000.0 / 60.0)
    table = pd.DataFrame(
        {
            "node": node,
            "node_id": [net.node_ids[k] if k >= 0 else None for k in node],
            "x": xy[:, 0] if len(xy) else np.zeros(0),
            "y": xy[:, 1] if len(xy) else np.zeros(0),
            "straight_m": np.where(on, d_main, np.nan),
            "access_m": np.where(on, access_m, np.inf),
            "access_min": np.where(on, access_min, np.inf),
            "long_leg": far & on,
            "on_network": on,
        },
        index=pd.Index(points.index.astype(str), name="id"),
    )
    snapping = Snapping(table=table, max_access_m=max_access_m)
    if snapping.long_legs():
        _logger.warning(
            "Mode %s, layer %s: %d point(s) more than %.0f m from the nearest road: %s. The "
            "network probably misses roads there; add them as local roads.",
            net.mode.name,
            layer,
            len(snapping.long_legs()),
            max_access_m,
            ", ".join(snapping.long_legs()[:20]),
        )
    if snapping.off_network():
        _logger.warning(
            "Mode %s, layer %s: %d point(s) cannot reach the main road network (their roads are "
            "cut off or closed): %s. Their journeys are reported unreachable.",
            net.mode.name,
            layer,
            len(snapping.off_network()),
            ", ".join(snapping.off_network()[:20]),
        )
    return snapping
