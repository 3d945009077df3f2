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
from typing import Any, NoReturn

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from shapely import LineString, STRtree
from shapely.geometry.base import BaseGeometry

from geoplan.data.messages import coded_error, coded_problem
from geoplan.errors import ArgumentError, NetworkError, Problem
from geoplan.network.roads import ROAD_CLASSES, _as_list, _no_gc

__all__ = [
    "ACCESS_KINDS",
    "ACCESS_REOPEN",
    "ACCESS_RULES",
    "ACCESS_TAGS",
    "CAR",
    "CHILD_WALK",
    "END_SNAP_M",
    "MODES",
    "MOTOR_SPEEDS_KPH",
    "NOT_WALKABLE",
    "PUPIL_WALK",
    "RIDING",
    "SCHOOL_BUS",
    "SNAP_COLUMNS",
    "TRACK_CLASSES",
    "AccessRule",
    "Closure",
    "ModeNetwork",
    "NetworkSettings",
    "RoadEdges",
    "Snapping",
    "TravelMode",
    "closed_by_tags",
    "closure_problems",
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


ACCESS_KINDS: tuple[str, ...] = ("foot", "ride", "motor")
"""Kinds of traveller OSM access rules tell apart (:attr:`TravelMode.access`)."""


@dataclass(frozen=True)
class AccessRule:
    """One OSM tag rule closing roads (or passing points, for barriers) to kinds of traveller.

    Parameters
    ----------
    tag
        The OSM key (``access``, ``motor_vehicle`` ...).
    values
        Values of ``tag`` that close the way.
    closes
        Kinds of traveller (:data:`ACCESS_KINDS`) it closes the way to.
    on
        ``"way"`` (the edge is closed) or ``"node"`` (a barrier: nobody of those kinds passes
        the point, though both sides stay usable up to it).
    """

    tag: str
    values: frozenset[str]
    closes: frozenset[str]
    on: str = "way"


_MOTOR_BARRIERS = (
    "block", "bollard", "boulder", "chain", "cycle_barrier", "jersey_barrier", "kissing_gate",
    "log", "stile", "turnstile",
)  # fmt: skip

ACCESS_RULES: tuple[AccessRule, ...] = (
    AccessRule("access", frozenset({"private", "no"}), frozenset(ACCESS_KINDS)),
    AccessRule("motor_vehicle", frozenset({"private", "no"}), frozenset({"motor"})),
    AccessRule("foot", frozenset({"private", "no"}), frozenset({"foot"})),
    AccessRule("service", frozenset({"parking_aisle"}), frozenset({"motor"})),
    AccessRule("barrier", frozenset(_MOTOR_BARRIERS), frozenset({"motor"}), on="node"),
    AccessRule("access", frozenset({"private", "no"}), frozenset(ACCESS_KINDS), on="node"),
    AccessRule("motor_vehicle", frozenset({"private", "no"}), frozenset({"motor"}), on="node"),
    AccessRule("foot", frozenset({"private", "no"}), frozenset({"foot"}), on="node"),
)
"""The OSM access rules every mode obeys (documented in ``docs/access_rules.md``).

A way (or a barrier node) is closed to a kind of traveller when any rule matches, unless the
kind's own tag re-opens it (:data:`ACCESS_REOPEN`: ``foot=yes`` on a private road lets walkers
through). Node rules other than ``barrier`` apply only to nodes that carry a ``barrier`` tag.
"""

ACCESS_REOPEN: Mapping[str, tuple[str, frozenset[str]]] = {
    "foot": ("foot", frozenset({"yes", "designated", "permissive"})),
    "motor": ("motor_vehicle", frozenset({"yes", "designated", "permissive", "destination"})),
}
"""Per kind of traveller, the tag and values that re-open a way or barrier closed by a rule."""

ACCESS_TAGS: tuple[str, ...] = tuple(sorted({r.tag for r in ACCESS_RULES}))
"""OSM keys the access rules read (kept on edges and nodes when loading OSM files)."""


def _values(value: Any) -> set[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return set()
    items = value if isinstance(value, list | tuple | set) else [value]
    return {part.strip() for item in items for part in str(item).split(";")}


def closed_by_tags(tags: Mapping[str, Any], kind: str, *, on: str = "way") -> bool:
    """Whether OSM ``tags`` of a way (``on="way"``) or node close it to ``kind``.

    Parameters
    ----------
    tags
        The way's edge attributes or the node's attributes (a value may be a list, as osmnx
        keeps merged ways; one closing value closes the edge).
    kind
        One of :data:`ACCESS_KINDS`.
    on
        ``"way"`` or ``"node"``.
    """
    if on == "node" and not _values(tags.get("barrier")):
        return False
    closed = any(
        rule.on == on and kind in rule.closes and _values(tags.get(rule.tag)) & rule.values
        for rule in ACCESS_RULES
    )
    if closed and kind in ACCESS_REOPEN:
        tag, yes = ACCESS_REOPEN[kind]
        if _values(tags.get(tag)) & yes:
            return False
    return closed


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
    access
        Which OSM access rules the mode obeys (see :data:`ACCESS_RULES`): ``"foot"`` (walkers),
        ``"ride"`` (motorbike or horse) or ``"motor"`` (bus, car).
    """

    name: str
    speeds_kph: Mapping[str, float] = field(default_factory=dict)
    allowed: frozenset[str] | None = None
    walk_kph: float = 4.0
    default_kph: float | None = None
    oneway: bool = False
    detour_factor: float = 1.3
    slope_aware: bool = False
    access: str = "foot"

    def __post_init__(self) -> None:
        if self.access not in ACCESS_KINDS:
            msg = (
                f"Travel mode {self.name!r}: access {self.access!r} is not one of "
                f"{', '.join(ACCESS_KINDS)}."
            )
            raise ArgumentError(msg)
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
                self.access,
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
    access="ride",
)
"""Motorbike or horse: 20 km/h on tracks and paths, 30 km/h on roads."""
SCHOOL_BUS = TravelMode(
    "school_bus",
    speeds_kph=MOTOR_SPEEDS_KPH,
    allowed=frozenset(c for c in ROAD_CLASSES if _base_class(c) in MOTOR_SPEEDS_KPH),
    walk_kph=4.0,
    oneway=True,
    access="motor",
)
"""School bus by road class (trunk 60 ... track 15 km/h), roads only, one-ways respected."""
CAR = TravelMode(
    "car",
    speeds_kph=MOTOR_SPEEDS_KPH,
    allowed=SCHOOL_BUS.allowed,
    walk_kph=4.0,
    oneway=True,
    access="motor",
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
        Points farther than this from the nearest road their mode may use are warned about
        and listed (the network misses roads); a point whose nearest road is cut off from the
        main network, itself farther than this, joins that road and reaches only the places on
        its part of the network.
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
class RoadEdges:
    """The roads one mode may use, one row per physical road edge (twin arcs merged).

    A two-way osmnx road is two graph edges (``u -> v`` and ``v -> u``); here it is one row
    running from ``start`` to ``end``, with its time in each direction. Points join the network
    on these rows (:func:`snap_points`).

    Parameters
    ----------
    start, end
        Node positions (in the :class:`ModeNetwork`) of the two ends; ``geometry`` runs from
        ``start`` to ``end``.
    length_m
        Road length, metres (the edge ``length``).
    forward_min, backward_min
        Minutes from ``start`` to ``end`` and back; ``inf`` where the mode may not go that way
        (a one-way street for motor modes). Slope-aware walking keeps them apart.
    geometry
        Shapely lines in the graph's CRS.
    highway
        Road class (the first the mode may use, for merged ways).
    data
        The graph edge's attributes (OSM way id, name ...), read by :meth:`labels`.
    main
        Whether both ends lie in the mode's main component.
    """

    start: np.ndarray
    end: np.ndarray
    length_m: np.ndarray
    forward_min: np.ndarray
    backward_min: np.ndarray
    geometry: np.ndarray
    highway: np.ndarray
    data: np.ndarray
    main: np.ndarray

    def __len__(self) -> int:
        return len(self.start)

    def labels(self, rows: Iterable[int]) -> tuple[list[Any], list[str | None]]:
        """OSM way ids (the first, for merged ways) and road names of edges ``rows``."""
        ways: list[Any] = []
        names: list[str | None] = []
        for k in rows:
            data = self.data[k]
            ways.append(_as_list(data.get("osmid"))[0])
            name = _as_list(data.get("name"))[0]
            names.append(name if isinstance(name, str) else None)
        return ways, names

    def costs(self, weight: str) -> tuple[np.ndarray, np.ndarray]:
        """Cost of the whole edge forwards and backwards in ``weight`` (metres or minutes)."""
        if weight == "minutes":
            return self.forward_min, self.backward_min
        fwd = np.where(np.isfinite(self.forward_min), self.length_m, np.inf)
        bwd = np.where(np.isfinite(self.backward_min), self.length_m, np.inf)
        return fwd, bwd


@dataclass(frozen=True)
class ModeNetwork:
    """The routable arcs of one mode, as sparse arrays over node positions.

    Parameters
    ----------
    mode
        The travel mode.
    node_ids
        Graph node id of each position (a barrier node the mode may not pass appears once per
        road meeting there, so that nothing passes through it).
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
    edges
        The usable roads, one row per physical edge (:class:`RoadEdges`).
    closed_by_access
        Graph edges closed to this mode by OSM access tags (:data:`ACCESS_RULES`).
    barriers
        Barrier nodes the mode may not pass.
    closures
        Closures applied.
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
    edges: RoadEdges
    closed_by_access: int = 0
    barriers: int = 0
    closures: tuple[Closure, ...] = ()

    @functools.cached_property
    def metres_reversed(self) -> csr_matrix:
        """``metres`` transposed (arcs reversed), built once, for searches from destinations."""
        rev: csr_matrix = self.metres.T.tocsr()
        return rev

    @functools.cached_property
    def minutes_reversed(self) -> csr_matrix:
        """``minutes`` transposed (arcs reversed), built once."""
        rev: csr_matrix = self.minutes.T.tocsr()
        return rev

    @functools.cached_property
    def digest(self) -> str:
        """A hash of the arrays, mode and closures (for cache keys), computed once."""
        import shapely

        h = hashlib.sha256()
        e = self.edges
        for arr in (
            self.xy,
            self.metres.indptr,
            self.metres.indices,
            self.metres.data,
            self.minutes.data,
            self.main,
            e.start,
            e.end,
            e.length_m,
            e.forward_min,
            e.backward_min,
            shapely.get_coordinates(e.geometry),
            shapely.get_num_coordinates(e.geometry),
        ):
            h.update(np.ascontiguousarray(arr).tobytes())
        h.update(self.mode.fingerprint().encode())
        h.update(repr([c.fingerprint() for c in self.closures]).encode())
        return h.hexdigest()

    @functools.cached_property
    def main_edges(self) -> np.ndarray:
        """Indices of the edges in the main component (the rows of :attr:`main_edge_tree`)."""
        return np.flatnonzero(self.edges.main)

    @functools.cached_property
    def main_edge_tree(self) -> STRtree:
        """Spatial index of the main component's edges."""
        return STRtree(self.edges.geometry[self.main_edges])

    @functools.cached_property
    def edge_tree(self) -> STRtree:
        """Spatial index of every usable edge."""
        return STRtree(self.edges.geometry)


def _class_key(data: Mapping[str, Any]) -> Any:
    hw = data.get("highway", "road")
    return hw if isinstance(hw, str) else tuple(hw)


def _way_hash(osmid: Any) -> int:
    """An integer naming the OSM way(s) of an edge (the same for both arcs of a road)."""
    if isinstance(osmid, int):
        return osmid
    return hash(tuple(sorted(str(w) for w in _as_list(osmid))))


def closure_problems(graph: nx.MultiDiGraph, closures: Iterable[Closure]) -> list[Problem]:
    """The closures of ``closures`` that would close nothing, as problems (none: all match).

    A road name or OSM way id on no edge of ``graph`` (the closest names suggested), or a polygon
    outside the graph's extent. Each problem's layer is ``closures`` and its column the closure's
    field (``names``, ``way_ids``, ``polygon``); :func:`mode_network` refuses them.

    Parameters
    ----------
    graph
        An osmnx graph (node ``x``, ``y``; edge ``name``, ``osmid``).
    closures
        Roads out of use.
    """
    closures = tuple(closures)
    if not closures or not len(graph):
        return []
    nodes = graph.nodes
    xy = np.array([(nodes[n]["x"], nodes[n]["y"]) for n in graph.nodes], dtype=float)
    return _closure_problems(graph, closures, xy)


def _check_closures(graph: nx.MultiDiGraph, closures: tuple[Closure, ...], xy: np.ndarray) -> None:
    """Refuse a closure that would close nothing: a name, way id or polygon matching no road."""
    problems = _closure_problems(graph, closures, xy) if closures else []
    if problems:
        msg = "A road closure matches no road, so nothing would be closed:\n  - " + "\n  - ".join(
            f"{p.message} Fix: {p.fix}" for p in problems
        )
        raise NetworkError(msg, problems=problems)


def _closure_problems(
    graph: nx.MultiDiGraph, closures: tuple[Closure, ...], xy: np.ndarray
) -> list[Problem]:
    import difflib

    import shapely

    names: set[str] = set()
    way_ids: set[int] = set()
    for _, _, data in graph.edges(data=True):
        names.update(str(s) for s in _as_list(data.get("name")) if s is not None)
        way_ids.update(int(w) for w in _as_list(data.get("osmid", -1)) if w is not None)
    extent = shapely.box(*xy.min(axis=0), *xy.max(axis=0))
    problems: list[Problem] = []
    for closure in closures:
        label = closure.label or ", ".join(closure.names) or "a road closure"
        for name in closure.names:
            if name in names:
                continue
            close = difflib.get_close_matches(name, sorted(names), n=5, cutoff=0.5)
            problems.append(
                coded_problem(
                    "closure_no_such_road" if close else "closure_no_such_road_none_close",
                    "",
                    "closures",
                    "",
                    "names",
                    name,
                    label=label,
                    name=name,
                    close=", ".join(repr(c) for c in close),
                    count=len(names),
                )
            )
        missing = [w for w in closure.way_ids if int(w) not in way_ids]
        if missing:
            problems.append(
                coded_problem(
                    "closure_no_such_way",
                    "",
                    "closures",
                    "",
                    "way_ids",
                    ", ".join(map(str, missing)),
                    label=label,
                    missing=missing,
                )
            )
        if closure.polygon is not None and not closure.polygon.intersects(extent):
            problems.append(
                coded_problem(
                    "closure_polygon_outside",
                    "",
                    "closures",
                    "",
                    "polygon",
                    closure.polygon.wkt[:80],
                    label=label,
                    extent=", ".join(f"{v:.0f}" for v in extent.bounds),
                )
            )
    return problems


def mode_network(
    graph: nx.MultiDiGraph,
    mode: TravelMode,
    *,
    closures: Iterable[Closure] = (),
) -> ModeNetwork:
    """Routable arcs of ``graph`` for ``mode``, with ``closures`` and OSM access rules applied.

    Parameters
    ----------
    graph
        An osmnx graph with edge ``length`` (m) and ``highway``; node ``elevation`` (m) is used by
        slope-aware modes; OSM access tags (:data:`ACCESS_TAGS`) on edges and barrier nodes are
        obeyed per :data:`ACCESS_RULES`.
    mode
        The travel mode (speeds, allowed classes, one-way rule, access kind).
    closures
        Roads out of use.
    """
    with _no_gc():
        return _mode_network(graph, mode, tuple(closures))


def _mode_network(
    graph: nx.MultiDiGraph, mode: TravelMode, closures: tuple[Closure, ...]
) -> ModeNetwork:
    import shapely

    from geoplan.network import terrain

    node_ids = np.array(list(graph.nodes), dtype=object)
    pos = {n: i for i, n in enumerate(node_ids)}
    nodes = graph.nodes
    xy = np.array([(nodes[n]["x"], nodes[n]["y"]) for n in node_ids], dtype=float)
    n = len(node_ids)
    if n == 0:
        msg = "The road graph is empty."
        raise NetworkError(msg)
    _check_closures(graph, closures, xy)
    need_ids = any(c.way_ids or c.names for c in closures)
    polys = [c.polygon for c in closures if c.polygon is not None]
    ids_closed = {int(w) for c in closures for w in c.way_ids}
    names_closed = {s for c in closures for s in c.names}
    speed_cache: dict[Any, float | None] = {}
    class_cache: dict[Any, str] = {}
    tag_cache: dict[tuple[str, ...], bool] = {}
    access_keys = frozenset(ACCESS_TAGS)
    us: list[int] = []
    vs: list[int] = []
    speeds: list[float] = []
    edge_index: list[int] = []
    datas: list[Mapping[str, Any]] = []
    lengths: list[float] = []
    closed = 0
    by_access = 0
    for i, (u, v, data) in enumerate(graph.edges(data=True)):
        hw = data.get("highway", "road")
        key = _class_key(data)
        if key not in speed_cache:
            options = [mode.speed_kph(str(h)) for h in _as_list(hw)]
            allowed = [s for s in options if s is not None]
            speed_cache[key] = min(allowed) if allowed else None
            usable = [str(h) for h in _as_list(hw) if mode.speed_kph(str(h)) is not None]
            class_cache[key] = usable[0] if usable else str(_as_list(hw)[0])
        speed = speed_cache[key]
        if speed is None:
            continue
        if not access_keys.isdisjoint(data):
            tags = tuple(str(data.get(t, "")) for t in ACCESS_TAGS)
            if tags not in tag_cache:
                tag_cache[tags] = closed_by_tags(data, mode.access)
            if tag_cache[tags]:
                by_access += 1
                continue
        if need_ids and (
            any(int(w) in ids_closed for w in _as_list(data.get("osmid", -1)) if w is not None)
            or any(s in names_closed for s in _as_list(data.get("name")))
        ):
            closed += 1
            continue
        if polys:
            line = data.get("geometry") or LineString([xy[pos[u]], xy[pos[v]]])
            if any(p.intersects(line) for p in polys):
                closed += 1
                continue
        us.append(pos[u])
        vs.append(pos[v])
        speeds.append(speed)
        edge_index.append(i)
        datas.append(data)
        lengths.append(data["length"])
    length = np.asarray(lengths, dtype=float)
    osmids = [d.get("osmid", -1) for d in datas]
    try:
        way_keys = np.asarray(osmids, dtype=np.int64)
    except (TypeError, ValueError, OverflowError):  # merged ways carry lists of ids
        way_keys = np.zeros((0, 0), dtype=np.int64)
    if way_keys.ndim != 1:  # lists of ids (all of one length: a 2-D array)
        way_keys = np.fromiter(map(_way_hash, osmids), dtype=np.int64, count=len(osmids))
    a = np.asarray(us, dtype=np.int64)
    b = np.asarray(vs, dtype=np.int64)
    speed_arr = np.asarray(speeds, dtype=float)
    eidx = np.asarray(edge_index, dtype=np.int64)
    if len(a) == 0:
        _refuse_none_open(graph, mode, by_access=by_access, closed=closed)
    # physical edges: twin arcs (same ends, way and length) are one road
    phys = _physical_edges(a, b, length, way_keys)
    # barrier nodes this mode may not pass: one node position per road meeting there
    blocked = np.array(
        [
            "barrier" in nodes[nid] and closed_by_tags(nodes[nid], mode.access, on="node")
            for nid in node_ids
        ],
        dtype=bool,
    )
    n_barriers = int(blocked.sum())
    if n_barriers:
        a, b, node_ids, xy = _split_barriers(a, b, phys, blocked, node_ids, xy)
        n = len(node_ids)
    # per arc: minutes (slope-aware) and the mirror for modes ignoring one-ways
    minutes_ab = length / (speed_arr * 1000.0 / 60.0)
    minutes_ba = minutes_ab.copy()
    sloped = False
    if mode.slope_aware:
        z = np.array([nodes[nid].get("elevation", np.nan) for nid in node_ids], dtype=float)
        if np.isfinite(z).any():
            rise = np.nan_to_num(z[b] - z[a])
            minutes_ab = terrain.walking_minutes(length, rise, flat_kph=speed_arr)
            minutes_ba = terrain.walking_minutes(length, -rise, flat_kph=speed_arr)
            sloped = True
    if mode.oneway:
        arc_a, arc_b, arc_len, arc_min, arc_e = a, b, length, minutes_ab, eidx
    else:
        arc_a, arc_b = np.concatenate([a, b]), np.concatenate([b, a])
        arc_len = np.concatenate([length, length])
        arc_min = np.concatenate([minutes_ab, minutes_ba])
        arc_e = np.concatenate([eidx, eidx])
    if closed:
        _logger.info("Mode %s: %d road edges closed.", mode.name, closed)
    if by_access:
        _logger.info("Mode %s: %d road edges closed by OSM access tags.", mode.name, by_access)
    keys = arc_a * n + arc_b
    order = np.lexsort((arc_min, keys))
    keys_s = keys[order]
    starts = np.flatnonzero(np.r_[True, keys_s[1:] != keys_s[:-1]])
    rows = arc_a[order][starts]
    cols = arc_b[order][starts]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    indptr = np.cumsum(indptr)
    min_metres = np.minimum.reduceat(arc_len[order], starts)
    metres_csr = csr_matrix((min_metres, cols, indptr), shape=(n, n))
    minutes_csr = csr_matrix((arc_min[order][starts], cols, indptr), shape=(n, n))
    _, labels = connected_components(minutes_csr, directed=True, connection="strong")
    counts = np.bincount(labels)
    # a node without arcs is its own component; pick the largest component holding an arc
    has_arc = np.zeros(n, dtype=bool)
    has_arc[rows] = True
    counts = counts * np.bincount(labels, weights=has_arc, minlength=len(counts)).astype(bool)
    main = labels == int(np.argmax(counts))
    # the physical edges: ends, both directions' minutes, geometry, report columns
    first = phys.first
    forward = phys.forward  # arc runs start -> end of its physical edge
    n_phys = len(first)
    fwd = np.full(n_phys, np.inf)
    bwd = np.full(n_phys, np.inf)
    g = phys.group
    np.minimum.at(fwd, g[forward], minutes_ab[forward])
    np.minimum.at(bwd, g[~forward], minutes_ab[~forward])
    if not mode.oneway:
        np.minimum.at(bwd, g[forward], minutes_ba[forward])
        np.minimum.at(fwd, g[~forward], minutes_ba[~forward])
    start, end = a[first], b[first]
    geom_arr = np.empty(len(first), dtype=object)
    geom_arr[:] = [datas[k].get("geometry") for k in first]
    missing = np.array([x is None for x in geom_arr], dtype=bool)
    if missing.any():
        ends = np.stack([xy[start[missing]], xy[end[missing]]], axis=1)
        geom_arr[missing] = shapely.linestrings(ends)
    data_arr = np.empty(len(first), dtype=object)
    data_arr[:] = [datas[k] for k in first]
    edges = RoadEdges(
        start=start,
        end=end,
        length_m=length[first],
        forward_min=fwd,
        backward_min=bwd,
        geometry=geom_arr,
        highway=np.array([class_cache[_class_key(datas[k])] for k in first], dtype=object),
        data=data_arr,
        main=main[start] & main[end],
    )
    return ModeNetwork(
        mode=mode,
        node_ids=node_ids,
        xy=xy,
        metres=metres_csr,
        minutes=minutes_csr,
        arc_edge=arc_e[order][starts],
        main=main,
        time_follows_length=mode.constant_speed and not sloped,
        closed_edges=closed,
        crs=graph.graph.get("crs"),
        edges=edges,
        closed_by_access=by_access,
        barriers=n_barriers,
        closures=closures,
    )


def _refuse_none_open(
    graph: nx.MultiDiGraph, mode: TravelMode, *, by_access: int, closed: int
) -> NoReturn:
    """Refuse ``mode`` when no road of ``graph`` is open to it.

    The refusal (``mode_no_open_road``, en + zh) names the classes the mode uses, the ones the
    graph has and what closed the rest.
    """
    from collections import Counter

    classes = Counter(str(h) for _, _, hw in graph.edges(data="highway") for h in _as_list(hw))
    has = ", ".join(f"{c} ({n})" for c, n in classes.most_common(8))
    allowed = mode.allowed if mode.allowed is not None else ROAD_CLASSES - NOT_WALKABLE
    usable = sorted(c for c in allowed if not c.endswith("_link"))
    raise coded_error(
        NetworkError, "mode_no_open_road", "", "roads", "", "highway", "",
        mode=mode.name, usable=", ".join(usable), has=has or "-", by_access=by_access,
        closed=closed,
    )  # fmt: skip


@dataclass(frozen=True)
class _Physical:
    group: np.ndarray  # per arc: its physical edge
    first: np.ndarray  # per physical edge: the arc that defines its orientation
    forward: np.ndarray  # per arc: runs start -> end of its physical edge


def _physical_edges(a: np.ndarray, b: np.ndarray, length: np.ndarray, way: np.ndarray) -> _Physical:
    """Group arcs into physical roads: same unordered ends, same way, lengths within 1 cm."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((length, way, hi, lo))
    ls, ws, hs, los = length[order], way[order], hi[order], lo[order]
    new = np.r_[
        True,
        (los[1:] != los[:-1]) | (hs[1:] != hs[:-1]) | (ws[1:] != ws[:-1]) | (np.diff(ls) > 0.01),
    ]
    group = np.empty(len(a), dtype=np.int64)
    group[order] = np.cumsum(new) - 1
    first = order[new]
    forward = a == a[first][group]
    forward |= a == b  # a loop runs forward
    return _Physical(group=group, first=first, forward=forward)


def _split_barriers(
    a: np.ndarray,
    b: np.ndarray,
    phys: _Physical,
    blocked: np.ndarray,
    node_ids: np.ndarray,
    xy: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Give each road meeting at a blocked barrier node its own copy of the node."""
    n = len(node_ids)
    a, b = a.copy(), b.copy()
    extra: dict[tuple[int, int], int] = {}
    for arr in (a, b):
        for k in np.flatnonzero(blocked[arr]):
            key = (int(phys.group[k]), int(arr[k]))
            if key not in extra:
                extra[key] = n + len(extra)
            arr[k] = extra[key]
    copies = np.array([node for _, node in extra], dtype=np.int64)
    return a, b, np.concatenate([node_ids, node_ids[copies]]), np.vstack([xy, xy[copies]])


# --------------------------------------------------------------------------- snapping

END_SNAP_M = 0.5
"""A point whose nearest point on its road lies this close (metres along the road) to one of the
road's ends joins at that end, the junction: every road meeting there is as near, and a point
2 mm short of the end of a one-way street would otherwise be reached by car only round the
block (the nearest point of a point beside a junction falls a few millimetres along either
road, as coordinates are projected and rounded)."""

SNAP_COLUMNS: tuple[str, ...] = (
    "x", "y", "edge", "fraction", "road_x", "road_y", "way_id", "highway", "road_name",
    "edge_from", "edge_to", "straight_m", "access_m", "access_min", "long_leg", "on_network",
    "reason",
)  # fmt: skip
"""Columns of :attr:`Snapping.table`."""


@dataclass(frozen=True)
class Snapping:
    """How each point joins the network: at the nearest point of the nearest usable road.

    Parameters
    ----------
    table
        Indexed by point id, columns :data:`SNAP_COLUMNS`: ``x`` and ``y`` of the point;
        ``edge`` (row of :attr:`ModeNetwork.edges`) and ``fraction``
        (where along its geometry, 0 at its start, 1 at its end; within :data:`END_SNAP_M`
        of an end, that end); ``road_x`` and ``road_y``
        (the joined point on the road); the road's ``way_id`` (OSM), ``highway`` (road class)
        and ``road_name``; ``edge_from`` and ``edge_to`` (graph node ids of the road's ends);
        ``straight_m`` (distance from the point to the road); ``access_m`` (that times the
        detour factor); ``access_min`` (at walking speed); ``long_leg`` (over
        ``max_access_m``); ``on_network`` (False: the nearest road does not connect to the
        mode's main network, which is farther than ``max_access_m``: the point joined that
        road and reaches only the places on its part of the network) and ``reason`` (why not,
        else empty).
    max_access_m
        The threshold used for ``long_leg`` and the off-network rule.
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
    """Join every point to the nearest point of the nearest road its mode may use.

    Each point joins the nearest edge of the mode's main (largest strongly connected)
    component, at the point of that edge nearest to it; the access leg is the straight line to
    there. When the main component is farther than ``max_access_m`` and the point's nearest
    usable road belongs to another, disconnected part (a valley road beyond a closed pass, a
    township's roads the extract does not link up), the point joins that road instead and is
    reported off the main network, with the reason: it reaches the places on its own part and
    none other. Otherwise a long leg is kept and reported. Warnings are logged; no point is
    dropped.
    """
    import shapely

    if len(points) and not points.geom_type.eq("Point").all():
        bad = points.index[~points.geom_type.eq("Point")][0]
        msg = f"Layer {layer}, row {bad}: geometry must be a point to snap to the road network."
        raise NetworkError(msg)
    pts = np.asarray(points.geometry.to_numpy(), dtype=object)
    k = len(pts)
    xy = shapely.get_coordinates(pts)[:, :2] if k else np.zeros((0, 2))
    e = net.edges
    edge = np.full(k, -1, dtype=np.int64)
    dist = np.full(k, np.inf)
    if k:
        (p_idx, t_idx), d = net.main_edge_tree.query_nearest(
            pts, return_distance=True, all_matches=True
        )
        # of roads equally near (a road mapped twice, as a primary and as a track), the fastest:
        # the journey must not depend on which the file lists first
        cand = net.main_edges[t_idx]
        pace = np.minimum(e.forward_min[cand], e.backward_min[cand]) / np.maximum(
            e.length_m[cand], 1e-9
        )
        order = np.lexsort((pace, p_idx))
        pick = order[np.r_[True, p_idx[order][1:] != p_idx[order][:-1]]]
        edge[p_idx[pick]] = cand[pick]
        dist[p_idx[pick]] = d[pick]
    on = np.ones(k, dtype=bool)
    reason = np.full(k, "", dtype=object)
    far = np.flatnonzero(dist > max_access_m)
    if len(far):
        (p_idx, t_idx), d_all = net.edge_tree.query_nearest(
            pts[far], return_distance=True, all_matches=False
        )
        cut = ~e.main[t_idx] & (d_all < dist[far[p_idx]])
        for i, j, d_any in zip(far[p_idx][cut], t_idx[cut], d_all[cut], strict=True):
            on[i] = False
            reason[i] = (
                f"the nearest road (OSM way {e.labels([j])[0][0]}, {e.highway[j]}, "
                f"{d_any:.0f} m away) "
                f"does not connect to the main {net.mode.name} network, which is "
                f"{dist[i]:.0f} m away"
            )
            edge[i], dist[i] = j, d_any  # it joins its own road: it reaches the places there
    geom = e.geometry[np.maximum(edge, 0)]
    frac = shapely.line_locate_point(geom, pts, normalized=True) if k else np.zeros(0)
    frac = np.clip(np.nan_to_num(np.asarray(frac, dtype=float)), 0.0, 1.0)
    # a joined point within END_SNAP_M of an end of its road is at that end (the junction)
    road_m = e.length_m[np.maximum(edge, 0)] if k else np.zeros(0)
    frac = np.where(frac * road_m < END_SNAP_M, 0.0, frac)
    frac = np.where((1.0 - frac) * road_m < END_SNAP_M, 1.0, frac)
    joined = shapely.get_coordinates(shapely.line_interpolate_point(geom, frac, normalized=True))
    joined = joined[:, :2] if k else np.zeros((0, 2))
    at_end = (frac == 0.0) | (frac == 1.0)
    dist[at_end] = np.hypot(*(joined[at_end] - xy[at_end]).T)  # the leg runs to the end itself
    safe = np.maximum(edge, 0)
    access_m = dist * net.mode.detour_factor
    access_min = access_m / (net.mode.walk_kph * 1000.0 / 60.0)

    ways, names = e.labels(safe)

    table = pd.DataFrame(
        {
            "x": xy[:, 0],
            "y": xy[:, 1],
            "edge": edge,
            "fraction": frac,
            "road_x": joined[:, 0],
            "road_y": joined[:, 1],
            "way_id": ways,
            "highway": e.highway[safe],
            "road_name": names,
            "edge_from": net.node_ids[e.start[safe]],
            "edge_to": net.node_ids[e.end[safe]],
            "straight_m": dist,
            "access_m": access_m,
            "access_min": access_min,
            "long_leg": dist > max_access_m,
            "on_network": on,
            "reason": reason,
        },
        index=pd.Index(points.index.astype(str), name="id"),
    )
    snapping = Snapping(table=table, max_access_m=max_access_m)
    if snapping.long_legs():
        _logger.warning(
            "Mode %s, layer %s: %d point(s) more than %.0f m from the nearest road the mode may "
            "use: %s. The network probably misses roads there; add them as local roads.",
            net.mode.name,
            layer,
            len(snapping.long_legs()),
            max_access_m,
            ", ".join(snapping.long_legs()[:20]),
        )
    if snapping.off_network():
        first_id = snapping.off_network()[0]
        _logger.warning(
            "Mode %s, layer %s: %d point(s) cannot reach the main road network (their nearest "
            "road is cut off or closed, and the main network is more than %.0f m away): %s "
            "(%s: %s). They join that road and reach only the places on its part of the "
            "network; their other journeys are reported unreachable.",
            net.mode.name,
            layer,
            len(snapping.off_network()),
            max_access_m,
            ", ".join(snapping.off_network()[:20]),
            first_id,
            table.loc[first_id, "reason"],
        )
    return snapping
