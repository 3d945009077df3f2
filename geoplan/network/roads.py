"""Road graphs: reading OSM XML/PBF, GraphML and road layers, merging local roads, the cache.

The graph everyone shares is an osmnx ``MultiDiGraph`` with an edge ``length`` in metres and a
``highway`` road class. :func:`load_graph` reads it from OSM XML (``.osm``, ``.osm.bz2``), OSM PBF,
GraphML or a GeoPackage/Shapefile road layer, optionally merging a local roads layer (tracks to
winter pastures) joined where it meets the OSM roads, and keeps it in a pickle cache keyed by the
files' bytes. :mod:`geoplan.network` turns it into arrays per travel mode (and re-exports these
names).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import itertools
import logging
import math
import os
import pickle
import tempfile
import weakref
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely import LineString, Point, STRtree
from shapely.geometry.base import BaseGeometry

from geoplan.atomic import atomic_path
from geoplan.data._sniff import file_kind
from geoplan.data.messages import coded_error, coded_problem
from geoplan.errors import (
    CRSError,
    GeoplanError,
    InputFileError,
    MissingDependencyError,
    MissingInputError,
    NetworkError,
    Problem,
)

__all__ = [
    "CACHE_ENV",
    "CACHE_LIBRARIES",
    "GRAPH_CACHE_VERSION",
    "GRAPH_CODE",
    "REPORT_KEY",
    "ROAD_CLASSES",
    "LoadReport",
    "default_cache_dir",
    "download_graph",
    "graph_from_roads",
    "graph_size",
    "load_graph",
    "load_report",
    "loaded_key",
    "merge_local_roads",
    "road_file_problems",
    "road_lines",
    "the_road_file",
]

_logger = logging.getLogger(__name__)

ROAD_CLASSES: frozenset[str] = frozenset(
    {
        "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
        "motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link",
        "living_street", "service", "road", "track", "path", "footway", "bridleway", "steps",
        "pedestrian", "cycleway",
    }
)  # fmt: skip
"""OSM ``highway`` values kept as roads; every other way (buildings, land use, ...) is dropped."""


@dataclass(frozen=True)
class LoadReport:
    """What :func:`load_graph` kept and dropped.

    Parameters
    ----------
    sources
        Files read.
    road_ways
        OSM ways kept as roads.
    dropped_ways
        Ways dropped, counted by reason (``"no highway tag"``, ``"route=ferry"``,
        ``"highway=proposed"`` ...).
    dangling_refs
        Node references missing from the extract (clipped at its edge), dropped.
    ways_cut
        Ways shortened because of dangling references (the longest present run is kept).
    local_edges
        Edges added from the local roads layer.
    local_joins
        Points where a local road was joined to the OSM graph.
    """

    sources: tuple[str, ...] = ()
    road_ways: int = 0
    dropped_ways: Mapping[str, int] = field(default_factory=dict)
    dangling_refs: int = 0
    ways_cut: int = 0
    local_edges: int = 0
    local_joins: int = 0


REPORT_KEY = "geoplan_load_report"

CACHE_ENV = "GEOPLAN_CACHE_DIR"
GRAPH_CACHE_VERSION = "3"
"""Part of every graph cache key, with the digest of this module's source and the libraries'
versions (:func:`_cache_stamp`): a change to the loader's code or an upgrade of osmnx, networkx,
shapely or pyproj invalidates cached graphs by itself; bump this only for a change outside both
that alters the graph (e.g. a new osmium behaviour)."""

GRAPH_CODE: tuple[str, ...] = ("geoplan.network.roads",)
"""The modules whose source a cached graph depends on."""

CACHE_LIBRARIES: tuple[str, ...] = ("osmnx", "networkx", "shapely", "pyproj", "numpy", "scipy")
"""The distributions whose versions shape a cached graph, network or travel matrix (with PROJ's
own version and its database's, see :func:`_library_versions`): upgrading one invalidates every
cache."""


def default_cache_dir() -> Path:
    """``$GEOPLAN_CACHE_DIR``, else the user's cache folder for geoplan (platformdirs).

    On Linux that is ``$XDG_CACHE_HOME/geoplan`` (``~/.cache/geoplan`` when unset); on macOS
    ``~/Library/Caches/geoplan``; on Windows under ``%LOCALAPPDATA%``.
    """
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("geoplan", appauthor=False))


def load_report(graph: nx.MultiDiGraph) -> LoadReport | None:
    """The :class:`LoadReport` of a graph built by :func:`load_graph`, if any."""
    report = graph.graph.get(REPORT_KEY)
    return report if isinstance(report, LoadReport) else None


# --------------------------------------------------------------------------- loading


def load_graph(
    path: str | Path | Sequence[str | Path],
    *,
    local_roads: gpd.GeoDataFrame | str | Path | None = None,
    road_class_column: str = "highway",
    to_crs: Any = None,
    join_tolerance_m: float = 50.0,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
) -> nx.MultiDiGraph:
    """Read a road graph from OSM XML/PBF, GraphML or a road layer; merge local roads.

    Parameters
    ----------
    path
        One file or several (merged): ``.osm``, ``.osm.bz2``, ``.osm.pbf``/``.pbf``,
        ``.graphml``, or a GeoPackage/Shapefile/GeoJSON road layer.
    local_roads
        A road layer (or its file) merged into the graph, joined where its ends come within
        ``join_tolerance_m`` of the graph.
    road_class_column
        Column of road layers holding the OSM-style road class.
    to_crs
        Project the graph to this (metric) CRS; needed for merging local roads (default there:
        the local layer's CRS).
    join_tolerance_m
        Largest gap, metres, joined between a local road's end and the graph.
    cache_dir
        Folder of the graph cache; default :func:`default_cache_dir`.
        A loaded graph is pickled there, keyed by a hash of the files' bytes, the options and
        the geoplan version, so loading the same files again skips parsing and simplifying.
    use_cache
        Read and write that cache.

    Returns
    -------
    networkx.MultiDiGraph
        An osmnx graph; ``load_report(graph)`` tells what was dropped.
    """
    paths = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
    if not paths:
        msg = "load_graph: no road file given."
        raise MissingInputError(msg)
    for p in paths:
        if not p.exists():
            msg = f"{p}: road file not found. Fix: check the path."
            raise MissingInputError(msg)
    cache_file: Path | None = None
    if use_cache:
        key = _graph_cache_key(
            paths,
            local_roads=local_roads,
            road_class_column=road_class_column,
            to_crs=to_crs,
            join_tolerance_m=join_tolerance_m,
        )
        folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        cache_file = folder / f"graph_{key}.pickle"
        cached = _read_graph_cache(cache_file)
        if cached is not None:
            _LOADED[cached] = (key, graph_size(cached))
            return cached
    with _no_gc():
        graph = _load_graph(
            paths,
            local_roads=local_roads,
            road_class_column=road_class_column,
            to_crs=to_crs,
            join_tolerance_m=join_tolerance_m,
        )
    if cache_file is not None:
        _write_graph_cache(cache_file, graph)
        _LOADED[graph] = (key, graph_size(graph))
    return graph


def the_road_file(roads_path: str | Path | None, *, area: str, source: str = "") -> Path:
    """The road file a plan of ``area`` reads: ``roads_path``, refused when there is none.

    Every command that needs roads (``geoplan run``, ``geoplan travel``) and ``geoplan validate``
    (through :func:`road_file_problems`) apply this one rule.

    Parameters
    ----------
    roads_path
        The folder's road file (:func:`geoplan.data.readers.find_roads`), or one named instead.
    area
        The planning area's name, for the message.
    source
        The planning-area folder, named as the problem's file.

    Raises
    ------
    MissingInputError
        ``area_no_roads`` (en + zh), naming the road files looked for.
    """
    if roads_path is None:
        from geoplan.data.readers import ROAD_FILES

        raise coded_error(
            MissingInputError, "area_no_roads", source, "roads", "", "", "",
            area=area, files=", ".join(ROAD_FILES),
        )  # fmt: skip
    return Path(roads_path)


def road_file_problems(
    roads_path: str | Path | None, *, area: str, source: str = "", crs: Any = None
) -> list[Problem]:
    """Why a run could not read the road network: no road file, or one that cannot be read.

    The file is read as a run reads it (:func:`the_road_file`, then :func:`load_graph` in
    ``crs``, cached), so ``geoplan validate`` reports what ``geoplan run`` would refuse.

    Returns
    -------
    list of Problem
        Empty when the road graph reads; else the errors of the refusal.
    """
    try:
        load_graph(the_road_file(roads_path, area=area, source=source), to_crs=crs)
    except GeoplanError as err:
        if err.problems:
            return list(err.problems)
        name = Path(roads_path).name if roads_path is not None else source
        return [coded_problem("untranslated", name, "roads", "", "", "", error=err)]
    return []


_LOADED: weakref.WeakKeyDictionary[nx.MultiDiGraph, tuple[str, tuple[int, int]]] = (
    weakref.WeakKeyDictionary()
)
"""Per graph object returned by :func:`load_graph`: its cache key and its size then."""


def graph_size(graph: nx.MultiDiGraph) -> tuple[int, int]:
    """Nodes and linked node pairs of ``graph``: cheap to count, and changed by most edits."""
    return graph.number_of_nodes(), sum(len(nbrs) for _, nbrs in graph.adjacency())


def loaded_key(graph: nx.MultiDiGraph) -> str | None:
    """The cache key :func:`load_graph` gave ``graph``, while its nodes and links are unchanged.

    ``None`` for a graph not returned by :func:`load_graph` (a copy, a projection, a graph
    built by hand or loaded without the cache) or one whose nodes or linked pairs changed since.
    Edge attributes changed in place are not noticed: copy a graph before editing it.
    """
    entry = _LOADED.get(graph)
    if entry is None or entry[1] != graph_size(graph):
        return None
    return entry[0]


def _graph_cache_key(
    paths: Sequence[Path],
    *,
    local_roads: gpd.GeoDataFrame | str | Path | None,
    road_class_column: str,
    to_crs: Any,
    join_tolerance_m: float,
) -> str:
    h = hashlib.sha256()
    h.update(f"{GRAPH_CACHE_VERSION}|{_cache_stamp(GRAPH_CODE)}|".encode())
    h.update(f"{road_class_column}|".encode())
    h.update(f"{join_tolerance_m!r}|{_crs_text(to_crs)}|".encode())
    for p in paths:
        h.update(p.name.encode() + b"\x1f")
        with p.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    if isinstance(local_roads, gpd.GeoDataFrame):
        h.update(b"local layer")
        h.update(_crs_text(local_roads.crs).encode())
        attrs = local_roads.drop(columns=local_roads.geometry.name)
        # the values' hash ignores column names and dtypes, which decide what a column means
        h.update(repr([(str(c), str(t)) for c, t in attrs.dtypes.items()]).encode())
        attrs = pd.util.hash_pandas_object(attrs)
        h.update(np.ascontiguousarray(attrs.to_numpy()).tobytes())
        for wkb in local_roads.geometry.to_wkb():
            h.update(wkb)
    elif local_roads is not None:
        h.update(b"local file")
        h.update(Path(local_roads).read_bytes())
    return h.hexdigest()[:32]


def _cache_stamp(modules: tuple[str, ...]) -> str:
    """The part every cache key holds besides its inputs: what made the cache.

    The digest of the source of ``modules`` (:func:`_code_digest`), geoplan's version and the
    versions of the libraries that shape the result (:func:`_library_versions`); the graph,
    network and travel-matrix caches all key on it, so an edit or an upgrade rebuilds them.
    """
    from geoplan import __version__

    return f"{_code_digest(modules)}|{__version__}|{_library_versions()}"


def _library_versions() -> str:
    """The installed versions of :data:`CACHE_LIBRARIES`, PROJ and PROJ's database, as text.

    Read from the distributions' metadata (no import of osmnx on a warm cache) and from pyproj
    at each call (a few milliseconds), so an upgrade in a long-lived process is seen too. A
    library that is not installed counts as ``absent``.
    """
    from importlib import metadata

    import pyproj
    from pyproj.database import get_database_metadata

    parts = []
    for name in CACHE_LIBRARIES:
        try:
            parts.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name}=absent")
    parts.append(f"PROJ={pyproj.proj_version_str}")
    for key in ("EPSG.VERSION", "PROJ_DATA.VERSION"):
        parts.append(f"{key}={get_database_metadata(key)}")
    return ";".join(parts)


@functools.lru_cache(maxsize=8)
def _code_digest(modules: tuple[str, ...]) -> str:
    """SHA-256 of the source of ``modules``: a cache key part that changes with their code.

    Tying cache keys to the code (not only to a hand-kept version string) means a cache can
    never outlive the code that made it; the price is a rebuild after any edit of these modules.
    A module whose source cannot be read (a frozen install) counts by its name.
    """
    import importlib.util

    h = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        h.update(name.encode() + b"\x1f")
        try:
            h.update(Path(origin).read_bytes() if origin else b"")
        except OSError:
            _logger.debug("No source for %s; cache keys use its name only.", name)
    return h.hexdigest()[:16]


def _crs_text(crs: Any) -> str:
    if crs is None:
        return ""
    from pyproj import CRS

    return str(CRS.from_user_input(crs).to_wkt())


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects.

    Each collection walks every object alive, the whole networkx graph included; reading or
    converting a graph of hundreds of thousands of edges would trigger dozens of them (a
    province graph's cache reads 2-3x faster without).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_graph_cache(path: Path) -> nx.MultiDiGraph | None:
    """The graph pickled at ``path`` by :func:`load_graph`, or None when absent or unreadable.

    The cache folder is the user's own; only files this function's writer made are read.
    """
    if not path.is_file():
        return None
    try:
        with path.open("rb") as f, _no_gc():
            graph = pickle.load(f)
    except Exception as err:  # a truncated or foreign file: rebuild
        _logger.warning("Graph cache %s unreadable (%s); reloading the road file.", path, err)
        return None
    if not isinstance(graph, nx.MultiDiGraph):
        return None
    _logger.info("Road graph read from cache %s.", path)
    return graph


def _write_graph_cache(path: Path, graph: nx.MultiDiGraph) -> None:
    try:
        with atomic_path(path) as tmp, tmp.open("wb") as f:
            pickle.dump(graph, f, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as err:
        _logger.warning("Cannot write the graph cache %s (%s); continuing without.", path, err)


def _load_graph(
    paths: Sequence[Path],
    *,
    local_roads: gpd.GeoDataFrame | str | Path | None,
    road_class_column: str,
    to_crs: Any,
    join_tolerance_m: float,
) -> nx.MultiDiGraph:
    import osmnx as ox

    graphs: list[nx.MultiDiGraph] = []
    reports: list[LoadReport] = []
    for p in paths:
        g, rep = _read_one(p, road_class_column=road_class_column)
        graphs.append(g)
        reports.append(rep)
    graph = graphs[0]
    if len(graphs) > 1:
        crs = graph.graph.get("crs")
        graphs = [
            g if _same_crs(g.graph.get("crs"), crs) else ox.project_graph(g, to_crs=crs)
            for g in graphs
        ]
        graph = nx.compose_all(graphs)
        graph.graph.update(graphs[0].graph)
    local_gdf: gpd.GeoDataFrame | None = None
    if local_roads is not None:
        local_gdf = (
            local_roads
            if isinstance(local_roads, gpd.GeoDataFrame)
            else _read_layer(Path(local_roads))
        )
        if to_crs is None:
            to_crs = (
                local_gdf.crs if local_gdf.crs is not None and local_gdf.crs.is_projected else None
            )
        if to_crs is None:
            msg = "load_graph: merging local roads needs a metric CRS. Fix: pass to_crs=<EPSG>."
            raise CRSError(msg)
    if to_crs is not None and not _same_crs(graph.graph.get("crs"), to_crs):
        graph = ox.project_graph(graph, to_crs=to_crs)
    dropped: Counter[str] = Counter()
    for rep in reports:
        dropped.update(rep.dropped_ways)
    report = LoadReport(
        sources=tuple(str(p) for p in paths),
        road_ways=sum(r.road_ways for r in reports),
        dropped_ways=dict(dropped),
        dangling_refs=sum(r.dangling_refs for r in reports),
        ways_cut=sum(r.ways_cut for r in reports),
    )
    if local_gdf is not None:
        graph, edges, joins = merge_local_roads(
            graph,
            local_gdf,
            road_class_column=road_class_column,
            join_tolerance_m=join_tolerance_m,
        )
        report = LoadReport(**{**report.__dict__, "local_edges": edges, "local_joins": joins})
    graph.graph[REPORT_KEY] = report
    if report.dropped_ways or report.dangling_refs:
        _logger.info(
            "Road graph: kept %d road ways; dropped %s; %d dangling node references "
            "dropped (%d ways cut at the extract edge).",
            report.road_ways,
            ", ".join(f"{n} ({why})" for why, n in sorted(report.dropped_ways.items())) or "none",
            report.dangling_refs,
            report.ways_cut,
        )
    return graph


def download_graph(
    polygon_or_place: BaseGeometry | str,
    *,
    network_type: str = "all",
    to_crs: Any = None,
) -> nx.MultiDiGraph:
    """Download roads from OpenStreetMap with osmnx (NEEDS THE INTERNET; never used offline).

    Parameters
    ----------
    polygon_or_place
        A (Multi)Polygon in EPSG:4326 longitude/latitude, or a place name osmnx geocodes
        (``"Hejing County, Xinjiang, China"``).
    network_type
        osmnx network type: ``all`` (default: tracks and paths too), ``drive``, ``walk`` ...
    to_crs
        Project the graph to this metric CRS.

    Returns
    -------
    networkx.MultiDiGraph
        The osmnx graph, non-road ways removed, lengths along the WGS-84 ellipsoid. Save it
        with ``osmnx.save_graphml`` and load it later, offline, with :func:`load_graph`.

    Raises
    ------
    NetworkError
        When the download fails (no internet, Overpass refusal, unknown place).
    """
    import osmnx as ox

    try:
        if isinstance(polygon_or_place, str):
            graph = ox.graph_from_place(
                polygon_or_place, network_type=network_type, retain_all=True, simplify=True
            )
        else:
            graph = ox.graph_from_polygon(
                polygon_or_place, network_type=network_type, retain_all=True, simplify=True
            )
    except Exception as err:
        msg = (
            f"Downloading roads for {polygon_or_place!s:.80} failed ({err}). This needs the "
            "internet; offline, export an OSM extract (.osm.pbf) and use load_graph."
        )
        raise NetworkError(msg) from err
    drop = [
        (u, v, k)
        for u, v, k, hw in graph.edges(keys=True, data="highway")
        if not any(str(h) in ROAD_CLASSES for h in _as_list(hw))
    ]
    graph.remove_edges_from(drop)
    _ellipsoidal_lengths(graph)
    graph.graph[REPORT_KEY] = LoadReport(
        sources=(f"OpenStreetMap download: {polygon_or_place!s:.80}",),
        road_ways=graph.number_of_edges(),
        dropped_ways={"not a road class": len(drop)} if drop else {},
    )
    if to_crs is not None:
        graph = ox.project_graph(graph, to_crs=to_crs)
    return graph


def _is_geographic(crs: Any) -> bool:
    from pyproj import CRS

    return crs is not None and bool(CRS.from_user_input(crs).is_geographic)


def _same_crs(a: Any, b: Any) -> bool:
    from pyproj import CRS

    if a is None or b is None:
        return a is b
    return bool(CRS.from_user_input(a) == CRS.from_user_input(b))


def _read_one(path: Path, *, road_class_column: str) -> tuple[nx.MultiDiGraph, LoadReport]:
    import osmnx as ox

    name = path.name.lower()
    if name.endswith((".osm", ".osm.bz2", ".pbf", ".osm.gz", ".xml")):
        return _graph_from_osm(path)
    if name.endswith(".graphml"):
        try:
            g = ox.load_graphml(path)
        except Exception as err:
            raise _unreadable(path, err) from err
        if _is_geographic(g.graph.get("crs")):
            _ellipsoidal_lengths(g)  # osmnx measured on a sphere, as OSM files are not
        return g, LoadReport(sources=(str(path),))
    gdf = _read_layer(path)
    return graph_from_roads(gdf, road_class_column=road_class_column, source=str(path)), (
        LoadReport(sources=(str(path),), road_ways=len(gdf))
    )


def _read_layer(path: Path) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(path)
    except Exception as err:
        raise _unreadable(path, err) from err
    return gdf


def _unreadable(path: Path, err: Exception) -> InputFileError:
    """The refusal of a road file that cannot be read, in plain words; the library's in the log."""
    _logger.debug("%s: cannot be read: %s", path, err)
    if file_kind(path) == "html":
        return coded_error(
            InputFileError, "roads_web_page", path.name, "roads", "", "", "", file=path.name
        )
    return coded_error(
        InputFileError, "roads_unreadable", path.name, "roads", "", "", "", file=path.name
    )


def _graph_from_osm(path: Path) -> tuple[nx.MultiDiGraph, LoadReport]:
    """Filter an OSM file to roads with osmium, then build the graph with osmnx."""
    try:
        import osmium
    except ImportError as err:  # pragma: no cover
        msg = "Reading OSM files needs the 'osmium' package (pip install osmium)."
        raise MissingDependencyError(msg) from err

    dropped: Counter[str] = Counter()
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    ferries: list[int] = []
    try:
        for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
            tags = dict(way.tags)
            hw = tags.get("highway")
            if hw is None and tags.get("route") == "ferry":
                dropped["route=ferry"] += 1
                ferries.append(way.id)
            elif hw is None:
                dropped["no highway tag"] += 1
            elif hw not in ROAD_CLASSES:
                dropped[f"highway={hw}"] += 1
            elif tags.get("area") == "yes":
                dropped["highway area"] += 1
            else:
                refs = [n.ref for n in way.nodes]  # type: ignore[union-attr]
                ways.append((way.id, refs, tags))
        needed = {ref for _, refs, _ in ways for ref in refs}
        nodes: dict[int, tuple[float, float, dict[str, str]]] = {}
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
            loc = node.location  # type: ignore[union-attr]
            if node.id in needed and loc.valid():
                nodes[node.id] = (loc.lon, loc.lat, dict(node.tags))
    except RuntimeError as err:
        raise _unreadable(path, err) from err
    if ferries:
        _logger.warning(
            "%s: %d ferry route(s) dropped (OSM way %s): only roads are routed, so no journey "
            "crosses by ferry; it goes round by road or is unreachable. Fix: if a ferry carries "
            "pupils, add its crossing to the local roads layer.",
            path,
            len(ferries),
            ", ".join(map(str, ferries[:10])) + (" ..." if len(ferries) > 10 else ""),
        )
    dangling = 0
    cut = 0
    kept: list[tuple[int, list[int], dict[str, str]]] = []
    for wid, refs, tags in ways:
        runs: list[list[int]] = [[]]
        for ref in refs:
            if ref in nodes:
                runs[-1].append(ref)
            else:
                dangling += 1
                if runs[-1]:
                    runs.append([])
        best = max(runs, key=len)
        if len(best) < len(refs):
            cut += 1
        if len(best) >= 2:
            kept.append((wid, best, tags))
        else:
            dropped["outside the extract"] += 1
    if not kept:
        raise coded_error(
            NetworkError, "roads_none", path.name, "roads", "", "", "", file=path.name
        )
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "roads.osm"
        used = {ref for _, refs, _ in kept for ref in refs}
        with xml.open("w", encoding="utf-8") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n')
            for nid in sorted(used):
                lon, lat, ntags = nodes[nid]
                f.write(f'<node id="{nid}" lat="{lat!r}" lon="{lon!r}">')
                for k, v in ntags.items():
                    f.write(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>")
                f.write("</node>\n")
            for wid, refs, tags in kept:
                f.write(f'<way id="{wid}">')
                f.writelines(f'<nd ref="{r}"/>' for r in refs)
                for k, v in tags.items():
                    f.write(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>")
                f.write("</way>\n")
            f.write("</osm>\n")
        graph = _graph_from_xml_with_access_tags(xml)
    _ellipsoidal_lengths(graph)
    report = LoadReport(
        sources=(str(path),),
        road_ways=len(kept),
        dropped_ways=dict(dropped),
        dangling_refs=dangling,
        ways_cut=cut,
    )
    return graph, report


_ACCESS_WAY_TAGS: tuple[str, ...] = ("access", "foot", "motor_vehicle", "service")
"""Way tags kept on edges for the access rules of :mod:`geoplan.network.modes`."""
_ACCESS_NODE_TAGS: tuple[str, ...] = ("access", "barrier", "foot", "motor_vehicle")
"""Node tags kept on barrier nodes for the same rules."""


def _graph_from_xml_with_access_tags(xml: Path) -> nx.MultiDiGraph:
    """The osmnx graph of an OSM XML file, keeping the access tags and barrier nodes.

    Barrier nodes stay graph nodes, and ways with different access tags or road classes are
    never merged by simplification, so the access rules and the speed of each mode apply to the
    right stretch of road (a tertiary road running on as a track stays two edges: merged, the
    whole edge would take the slower class's speed, or a bus would drive the footpath part).
    """
    import osmnx as ox

    settings = ox.settings
    saved = (settings.useful_tags_way, settings.useful_tags_node)
    try:
        settings.useful_tags_way = sorted({*saved[0], *_ACCESS_WAY_TAGS})
        settings.useful_tags_node = sorted({*saved[1], *_ACCESS_NODE_TAGS})
        graph = ox.graph_from_xml(xml, retain_all=True, simplify=False)
    finally:
        settings.useful_tags_way, settings.useful_tags_node = saved
    return ox.simplify_graph(
        graph, node_attrs_include=["barrier"], edge_attrs_differ=[*_ACCESS_WAY_TAGS, "highway"]
    )


def _ellipsoidal_lengths(graph: nx.MultiDiGraph) -> None:
    """Set edge ``length`` (m) along the WGS-84 ellipsoid, in place, for a lon/lat graph.

    osmnx measures great circles on a sphere, up to 0.3 % short east-west at Xinjiang's latitudes;
    that would let road distances undercut straight lines measured in a projected CRS.
    """
    from pyproj import Geod

    lon1: list[float] = []
    lat1: list[float] = []
    lon2: list[float] = []
    lat2: list[float] = []
    starts: list[int] = []
    edges = list(graph.edges(keys=True, data=True))
    for u, v, _, data in edges:
        geom = data.get("geometry")
        if geom is not None:
            coords = [c[:2] for c in geom.coords]
        else:
            a, b = graph.nodes[u], graph.nodes[v]
            coords = [(a["x"], a["y"]), (b["x"], b["y"])]
        starts.append(len(lon1))
        for (x1, y1), (x2, y2) in itertools.pairwise(coords):
            lon1.append(x1)
            lat1.append(y1)
            lon2.append(x2)
            lat2.append(y2)
    if not edges:
        return
    _, _, seg = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    seg_arr = np.asarray(seg, dtype=float)
    bounds = np.r_[starts, len(seg_arr)]
    lengths = [float(seg_arr[bounds[i] : bounds[i + 1]].sum()) for i in range(len(edges))]
    for (_, _, _, data), length in zip(edges, lengths, strict=False):
        data["length"] = length


def graph_from_roads(
    roads: gpd.GeoDataFrame,
    *,
    road_class_column: str = "highway",
    oneway_column: str = "oneway",
    node_tolerance_m: float = 0.5,
    source: str = "road layer",
) -> nx.MultiDiGraph:
    """Build an osmnx-style graph from a layer of road lines with a road-class column.

    Line ends closer than ``node_tolerance_m`` (in the layer's units) become one node. Lines are
    two-way unless ``oneway_column`` is true. Edge ``length`` is the line length (metric CRS) or
    the great-circle length (geographic CRS).
    """
    if roads.crs is None:
        msg = f"{source}: the road layer has no CRS. Fix: save it with a CRS."
        raise CRSError(msg)
    if road_class_column not in roads.columns:
        msg = (
            f"{source}: column {road_class_column!r} (road class) is missing; columns are "
            f"{', '.join(map(str, roads.columns))}. Fix: pass road_class_column=<name>."
        )
        raise InputFileError(msg)
    lines = roads.explode(index_parts=False)
    lines = lines[lines.geometry.geom_type == "LineString"]
    geoms = list(lines.geometry)
    if not geoms:
        msg = f"{source}: the road layer holds no lines."
        raise NetworkError(msg)
    ends = np.array([c for g in geoms for c in (g.coords[0][:2], g.coords[-1][:2])], dtype=float)
    geographic = bool(roads.crs.is_geographic)
    tol = node_tolerance_m / 111_000.0 if geographic else node_tolerance_m
    labels = _cluster(ends, tol)
    graph = nx.MultiDiGraph(crs=roads.crs)
    centers = pd.DataFrame(ends).groupby(labels).mean().to_numpy()
    for i, (x, y) in enumerate(centers):
        graph.add_node(i, x=float(x), y=float(y))
    lengths = _lengths(geoms, geographic)
    classes = lines[road_class_column].astype(str).to_numpy()
    oneway = (
        lines[oneway_column].fillna(False).astype(str).str.lower().isin({"1", "true", "yes"})
        if oneway_column in lines.columns
        else pd.Series(False, index=lines.index)
    ).to_numpy()
    names = lines["name"].to_numpy() if "name" in lines.columns else [None] * len(geoms)
    osmids = lines["osmid"].to_numpy() if "osmid" in lines.columns else range(len(geoms))
    for i, geom in enumerate(geoms):
        u, v = int(labels[2 * i]), int(labels[2 * i + 1])
        attrs: dict[str, Any] = {
            "highway": classes[i],
            "length": float(lengths[i]),
            "geometry": geom,
            "osmid": osmids[i],
            "oneway": bool(oneway[i]),
        }
        name = names[i]
        if isinstance(name, str) and name:
            attrs["name"] = name
        graph.add_edge(u, v, reversed=False, **attrs)
        if not oneway[i]:
            graph.add_edge(v, u, reversed=True, **{**attrs, "geometry": geom.reverse()})
    return graph


def _cluster(points: np.ndarray, tol: float) -> np.ndarray:
    """Label points so that points within ``tol`` of each other (transitively) share a label."""
    tree = cKDTree(points)
    pairs = tree.query_pairs(tol, output_type="ndarray")
    n = len(points)
    adj = csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(adj, directed=False)
    return np.asarray(labels)


def _lengths(geoms: Sequence[BaseGeometry], geographic: bool) -> np.ndarray:
    if not geographic:
        return np.array([g.length for g in geoms], dtype=float)
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    return np.array([geod.geometry_length(g) for g in geoms], dtype=float)


def merge_local_roads(
    graph: nx.MultiDiGraph,
    local_roads: gpd.GeoDataFrame,
    *,
    road_class_column: str = "highway",
    join_tolerance_m: float = 50.0,
) -> tuple[nx.MultiDiGraph, int, int]:
    """Merge a local roads layer into a (projected) graph, joined where they meet.

    Each end of a local road within ``join_tolerance_m`` of the graph is joined: to the nearest
    node when one is that close, else by splitting the nearest edge there.

    Returns
    -------
    tuple
        The merged graph (a copy), the number of local edges added and of joins made.
    """
    crs = graph.graph.get("crs")
    if crs is None or not gpd.GeoSeries([], crs=crs).crs.is_projected:
        msg = "merge_local_roads: project the graph to a metric CRS first (to_crs=...)."
        raise CRSError(msg)
    local = local_roads.to_crs(crs) if local_roads.crs is not None else local_roads.set_crs(crs)
    lg = graph_from_roads(local, road_class_column=road_class_column, source="local roads")
    merged = graph.copy()
    offset = "local_"
    mapping = {n: f"{offset}{n}" for n in lg.nodes}
    lg = nx.relabel_nodes(lg, mapping)
    base_nodes = list(graph.nodes)
    xy = np.array([[graph.nodes[n]["x"], graph.nodes[n]["y"]] for n in base_nodes])
    tree = cKDTree(xy)
    edge_keys = [(u, v, k) for u, v, k in graph.edges(keys=True)]
    edge_geoms = [_edge_geometry(graph, u, v, k) for u, v, k in edge_keys]
    strtree = STRtree(edge_geoms)
    merged.add_nodes_from(lg.nodes(data=True))
    merged.add_edges_from(lg.edges(keys=True, data=True))
    joins = 0
    split_done: dict[tuple[Any, Any, Any], Any] = {}
    for node in list(lg.nodes):
        if lg.degree(node) > 2:  # a local junction, not a loose end
            continue
        x, y = lg.nodes[node]["x"], lg.nodes[node]["y"]
        dist, idx = tree.query([x, y])
        target: Any = None
        if dist <= join_tolerance_m:
            target = base_nodes[int(idx)]
        else:
            pt = Point(x, y)
            hit = strtree.query_nearest(pt, max_distance=join_tolerance_m)
            if len(hit):
                target = _split_edge(merged, edge_keys[int(hit[0])], pt, split_done)
        if target is None:
            continue
        tx, ty = merged.nodes[target]["x"], merged.nodes[target]["y"]
        gap = float(math.hypot(tx - x, ty - y))
        for a, b in ((node, target), (target, node)):
            merged.add_edge(
                a, b, highway="track", length=gap, oneway=False, osmid=-1, reversed=a == target
            )
        joins += 1
    return merged, lg.number_of_edges(), joins


def road_lines(graph: nx.MultiDiGraph) -> np.ndarray:
    """Every edge of ``graph`` as a line in the graph's CRS: its drawn geometry, else straight.

    Parameters
    ----------
    graph
        A road graph whose nodes have ``x`` and ``y``.

    Returns
    -------
    numpy.ndarray
        Shapely LineStrings, one per edge, in the order of ``graph.edges``.
    """
    import shapely

    nodes = graph.nodes
    position = {n: i for i, n in enumerate(nodes)}
    node_xy = np.array([(d["x"], d["y"]) for _, d in nodes(data=True)], dtype=float)
    edges = list(graph.edges(data="geometry"))
    if not edges:
        return np.empty(0, dtype=object)
    ends = np.array([(position[u], position[v]) for u, v, _ in edges], dtype=np.int64)
    lines = shapely.linestrings(node_xy[ends])  # straight edges; drawn ones replaced below
    drawn = [k for k, (_, _, geometry) in enumerate(edges) if geometry is not None]
    lines[drawn] = [edges[k][2] for k in drawn]
    return np.asarray(lines, dtype=object)


def _edge_geometry(graph: nx.MultiDiGraph, u: Any, v: Any, k: Any) -> LineString:
    geom = graph.edges[u, v, k].get("geometry")
    if geom is not None:
        return LineString(geom)
    a, b = graph.nodes[u], graph.nodes[v]
    return LineString([(a["x"], a["y"]), (b["x"], b["y"])])


def _split_edge(
    graph: nx.MultiDiGraph,
    key: tuple[Any, Any, Any],
    pt: Point,
    done: dict[tuple[Any, Any, Any], Any],
) -> Any:
    """Split edge ``key`` (and its reverse twin) at the point nearest ``pt``; return the node."""
    from shapely.ops import substring

    if key in done:
        return done[key]
    u, v, k = key
    if not graph.has_edge(u, v, k):
        return None
    data = dict(graph.edges[u, v, k])
    geom = _edge_geometry(graph, u, v, k)
    at = geom.project(pt)
    if at <= 0 or at >= geom.length:
        return u if at <= 0 else v
    mid = geom.interpolate(at)
    new = f"split_{u}_{v}_{k}"
    graph.add_node(new, x=mid.x, y=mid.y)
    share = at / geom.length
    twins = [(u, v, k, data, geom)]
    for kk, d in list(graph.get_edge_data(v, u, default={}).items()):
        if d.get("osmid") == data.get("osmid"):
            twins.append((v, u, kk, dict(d), _edge_geometry(graph, v, u, kk)))
            break
    for a, b, kk, d, g in twins:
        graph.remove_edge(a, b, kk)
        f = share if a == u else 1 - share
        first = substring(g, 0, f, normalized=True)
        second = substring(g, f, 1, normalized=True)
        graph.add_edge(a, new, **{**d, "geometry": first, "length": d["length"] * f})
        graph.add_edge(new, b, **{**d, "geometry": second, "length": d["length"] * (1 - f)})
    done[key] = new
    return new


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple | set):
        return list(value)
    return [value]
