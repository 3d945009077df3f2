"""`TravelMatrix`: journey metres and minutes from every origin to every destination, per mode.

:func:`travel_matrix` turns the road graph into sparse arrays for one mode (see
:func:`geoplan.network.modes.mode_network`), joins origins and destinations to the nearest point
of the nearest road the mode may use (:func:`geoplan.network.modes.snap_points`), and runs
``scipy.sparse.csgraph.dijkstra`` from the unique joined points of the smaller side, each a
virtual node part-way along its edge with arcs to both ends carrying the partial length and time
(on the reversed graph when that side is the destinations, so one-way streets stay right); two
points on one edge also reach each other along it. A journey is access leg + road + access leg.
``minutes`` is the fastest journey; ``metres`` the shortest road distance (for modes whose time
follows length, the same route, found by one search). Computation is float64; storage float32.
Results are cached on disk, keyed by a hash of every input.

Storage: dense arrays (``inf`` = unreachable), or under a cut-off sparse CSR matrices holding only
the pairs within it (an absent pair is unreachable, never 0; a 0-minute journey is a stored 0),
chosen automatically when the dense form would exceed :func:`memory_budget_mb` (``storage=``).
The cache always holds the sparse form. The search runs its sources in chunks, spread over
worker processes (``workers=``, default :func:`search_workers`) that read the graph's CSR arrays
from memory-mapped files; each source's distances do not depend on the split, so the results are
the same as in one process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix, issparse
from scipy.sparse.csgraph import dijkstra
from shapely import LineString
from tqdm.auto import tqdm

from geoplan.atomic import atomic_path
from geoplan.csv_tables import MEASURED_DECIMALS, write_csv
from geoplan.data.messages import coded_error
from geoplan.errors import (
    ArgumentError,
    CRSError,
    MissingInputError,
    NetworkError,
    OutputFormatError,
)
from geoplan.network._network_cache import (
    network_cache_file,
    read_network_cache,
    write_network_cache,
)
from geoplan.network._search_memo import SEARCHES, search_key
from geoplan.network.modes import (
    MODES,
    Closure,
    ModeNetwork,
    Snapping,
    TravelMode,
    mode_network,
    snap_points,
)
from geoplan.network.roads import (
    _cache_stamp,
    default_cache_dir,
    graph_size,
    load_graph,
    loaded_key,
    road_lines,
    the_road_file,
)
from geoplan.workbooks import Sheet, number_format, write_workbook
from geoplan.workers import pin_threads

if TYPE_CHECKING:
    from geoplan.data.area import PlanningArea

_logger = logging.getLogger(__name__)

__all__ = [
    "CACHE_VERSION",
    "EXCEL_MAX_CELLS",
    "EXCEL_MAX_COLUMNS",
    "EXCEL_MAX_ROWS",
    "MATRIX_CODE",
    "MATRIX_DECIMALS",
    "MEMORY_ENV",
    "POINT_LAYERS",
    "SOURCE_CHUNK",
    "STORAGES",
    "WORKERS_ENV",
    "TravelMatrix",
    "area_matrix",
    "area_points",
    "check_roads_reach",
    "journey_lines",
    "memory_budget_mb",
    "network_for",
    "search_workers",
    "travel_matrix",
    "write_matrix",
]

CACHE_VERSION = "5"
"""Part of every matrix cache key, with the digest of the source of :data:`MATRIX_CODE` and the
libraries' versions (:func:`~geoplan.network.roads._cache_stamp`): a change to that code or an
upgrade of numpy, scipy, shapely or pyproj invalidates cached matrices by itself; bump this only
for a change outside both that alters the matrices."""
MATRIX_CODE: tuple[str, ...] = (
    "geoplan.network.roads",
    "geoplan.network.modes",
    "geoplan.network.terrain",
    "geoplan.network.travel",
    "geoplan.network._network_cache",
)
"""The modules whose source a cached travel matrix depends on."""
EXCEL_MAX_COLUMNS = 16_000
"""Most destinations written across one wide XLSX sheet (Excel's limit is 16,384)."""
EXCEL_MAX_CELLS = 1_000_000
"""Most origin x destination cells written to one wide XLSX sheet (Excel slows past this)."""
EXCEL_MAX_ROWS = 1_048_575
"""Most data rows of one XLSX sheet (Excel's limit, less the header)."""
MATRIX_DECIMALS = MEASURED_DECIMALS
"""Decimal places of the metres and minutes :func:`write_matrix` writes (CSV and XLSX alike):
those of every measured quantity in a CSV (:data:`geoplan.csv_tables.MEASURED_DECIMALS`)."""
SOURCE_CHUNK = 64
"""Sources searched per ``dijkstra`` call (bounds memory to ``64 x nodes`` float64)."""
MEMORY_ENV = "GEOPLAN_MEMORY_MB"
"""Environment variable: megabytes a dense travel matrix may take before a cut-off one is sparse."""
WORKERS_ENV = "GEOPLAN_WORKERS"
"""Environment variable: processes a search may use (the batch sets 1 in its workers)."""
STORAGES: tuple[str, ...] = ("auto", "dense", "sparse")
"""Storage forms of a travel matrix (``storage=`` of :func:`travel_matrix`)."""
_PARALLEL_MIN_WORK = 25_000_000
"""Sources x nodes below which the default (``workers=None``) searches in this process."""


def memory_budget_mb() -> float:
    """Megabytes a dense travel matrix may take: ``$GEOPLAN_MEMORY_MB``, else a quarter of RAM.

    Raises
    ------
    ArgumentError
        When ``GEOPLAN_MEMORY_MB`` is set but not a positive number.
    """
    text = os.environ.get(MEMORY_ENV, "").strip()
    if text:
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not value > 0:
            msg = (
                f"{MEMORY_ENV}={text!r} is not a positive number of megabytes. Fix: set it to "
                f"e.g. 4000, or unset it (default: a quarter of the memory)."
            )
            raise ArgumentError(msg)
        return value
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not on Linux
        total = 8 * 2**30
    return float(total) / 4 / 2**20


def search_workers(workers: int | None = None) -> int:
    """Processes a search uses: ``workers``, else ``$GEOPLAN_WORKERS``, else the cores available.

    The cores available are those this process may run on (``os.sched_getaffinity``), not all the
    machine's.

    Raises
    ------
    ArgumentError
        When ``workers`` (or ``GEOPLAN_WORKERS``) is not a whole number of at least 1.
    """
    if workers is None:
        text = os.environ.get(WORKERS_ENV, "").strip()
        if not text:
            try:
                return max(1, len(os.sched_getaffinity(0)))
            except AttributeError:  # pragma: no cover - not on Linux
                return max(1, os.cpu_count() or 1)
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            msg = f"{WORKERS_ENV}={text!r} is not a whole number of processes (1 or more)."
            raise ArgumentError(msg)
        return value
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        msg = f"workers must be a whole number of processes (1 or more), not {workers!r}."
        raise ArgumentError(msg)
    return int(workers)


def _dense(values: np.ndarray | csr_matrix, shape: tuple[int, int]) -> np.ndarray:
    """A dense float32 array of ``values`` (absent pairs of a sparse matrix: ``inf``)."""
    if not isinstance(values, csr_matrix):
        return np.asarray(values)
    out = np.full(shape, np.inf, dtype=np.float32)
    rows = np.repeat(np.arange(shape[0]), np.diff(values.indptr))
    out[rows, values.indices] = values.data
    return out


def _csr_pair(
    rows: np.ndarray,
    cols: np.ndarray,
    minutes: np.ndarray,
    metres: np.ndarray,
    shape: tuple[int, int],
) -> tuple[csr_matrix, csr_matrix]:
    """Minutes and metres CSR matrices with one pattern (pairs given in any order; zeros kept)."""
    order = np.lexsort((cols, rows))
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    idx_type = np.int32 if max(shape) < 2**31 and len(rows) < 2**31 else np.int64
    indices = np.asarray(cols[order], dtype=idx_type)
    indptr = indptr.astype(idx_type)
    pair = tuple(
        csr_matrix((np.asarray(v[order], dtype=np.float32), indices, indptr), shape=shape)
        for v in (minutes, metres)
    )
    return pair[0], pair[1]


def _to_sparse(minutes: np.ndarray, metres: np.ndarray) -> tuple[csr_matrix, csr_matrix]:
    """The finite minutes of a dense pair (and the metres of those pairs) as CSR matrices."""
    rows, cols = np.nonzero(np.isfinite(minutes))
    return _csr_pair(rows, cols, minutes[rows, cols], metres[rows, cols], minutes.shape)


@dataclass(frozen=True)
class TravelMatrix:
    """Journeys from every origin to every destination for one travel mode.

    Parameters
    ----------
    origin_ids, destination_ids
        Ids of the rows and columns.
    metres
        Shortest journey distance, metres (float32, ``inf`` when unreachable): a dense array, or
        a CSR matrix holding the pairs ``minutes`` holds (see :attr:`is_sparse`).
    minutes
        Fastest journey time, minutes (float32, ``inf`` when unreachable or over the cut-off): a
        dense array, or a CSR matrix of the reachable pairs only (an absent pair is
        unreachable, never 0). Read both forms alike with :meth:`minutes_array`.
    mode
        Name of the travel mode.
    origins_label, destinations_label
        Names of the layers (``villages``, ``schools`` ...).
    origin_access, destination_access
        The snapping tables (see :class:`geoplan.network.Snapping`).
    cutoff_min
        Journeys longer than this are ``inf``; ``None``: no cut-off.
    travel_mode
        The full travel mode.
    closures
        Closures applied.
    crs
        CRS of the points (and of journey lines).
    """

    origin_ids: pd.Index
    destination_ids: pd.Index
    metres: np.ndarray | csr_matrix
    minutes: np.ndarray | csr_matrix
    mode: str
    origins_label: str
    destinations_label: str
    origin_access: pd.DataFrame
    destination_access: pd.DataFrame
    cutoff_min: float | None
    travel_mode: TravelMode
    closures: tuple[Closure, ...] = ()
    crs: Any = None

    def __post_init__(self) -> None:
        if issparse(self.minutes) != issparse(self.metres):
            msg = "minutes and metres must both be dense arrays or both sparse matrices."
            raise ArgumentError(msg)
        for name in ("minutes", "metres"):
            value = getattr(self, name)
            if issparse(value) and not isinstance(value, csr_matrix):
                object.__setattr__(self, name, csr_matrix(value))
        for name in ("minutes", "metres"):
            if tuple(getattr(self, name).shape) != self.shape:
                msg = f"{name} has shape {getattr(self, name).shape}, the ids {self.shape}."
                raise ArgumentError(msg)

    @property
    def shape(self) -> tuple[int, int]:
        """Number of origins and destinations."""
        return (len(self.origin_ids), len(self.destination_ids))

    @property
    def is_sparse(self) -> bool:
        """True when the journeys are CSR matrices of the reachable pairs only."""
        return bool(issparse(self.minutes))

    @property
    def pairs(self) -> int:
        """Number of reachable pairs."""
        if isinstance(self.minutes, csr_matrix):
            return int(self.minutes.nnz)
        return int(np.count_nonzero(np.isfinite(self.minutes)))

    def minutes_array(self) -> np.ndarray:
        """Minutes as a dense float32 array (``inf``: unreachable), whichever the storage."""
        return _dense(self.minutes, self.shape)

    def metres_array(self) -> np.ndarray:
        """Metres as a dense float32 array (``inf``: unreachable), whichever the storage."""
        return _dense(self.metres, self.shape)

    def to_dense(self) -> TravelMatrix:
        """The same matrix stored as dense arrays (itself when already dense)."""
        if not self.is_sparse:
            return self
        return dataclasses.replace(self, minutes=self.minutes_array(), metres=self.metres_array())

    def to_sparse(self) -> TravelMatrix:
        """The same matrix stored as CSR matrices of its reachable pairs (itself when sparse)."""
        if self.is_sparse:
            return self
        minutes, metres = _to_sparse(np.asarray(self.minutes), np.asarray(self.metres))
        return dataclasses.replace(self, minutes=minutes, metres=metres)

    def minutes_frame(self) -> pd.DataFrame:
        """Minutes as a DataFrame: origins down, destinations across."""
        return pd.DataFrame(
            self.minutes_array(), index=self.origin_ids, columns=self.destination_ids
        )

    def metres_frame(self) -> pd.DataFrame:
        """Metres as a DataFrame: origins down, destinations across."""
        return pd.DataFrame(
            self.metres_array(), index=self.origin_ids, columns=self.destination_ids
        )

    def to_long(self) -> pd.DataFrame:
        """One row per origin-destination pair: ids, ``distance_m``, ``time_min``, ``reachable``."""
        n_o, n_d = self.shape
        frame = pd.DataFrame(
            {
                "origin_id": np.repeat(self.origin_ids.to_numpy(), n_d),
                "destination_id": np.tile(self.destination_ids.to_numpy(), n_o),
                "distance_m": self.metres_array().ravel().astype(float),
                "time_min": self.minutes_array().ravel().astype(float),
            }
        )
        frame["reachable"] = np.isfinite(frame["time_min"])
        frame.insert(0, "mode", self.mode)
        return frame

    def nearest(self, k: int = 1) -> pd.DataFrame:
        """The ``k`` quickest destinations of each origin (unreachable ones left out).

        Returns a DataFrame with ``origin_id``, ``rank`` (1 = quickest), ``destination_id``,
        ``time_min`` and ``distance_m``.
        """
        n_o, n_d = self.shape
        k = max(0, min(int(k), n_d))
        if k == 0 or n_o == 0:
            return pd.DataFrame(
                columns=["origin_id", "rank", "destination_id", "time_min", "distance_m"]
            )
        minutes, metres = self.minutes_array(), self.metres_array()
        order = np.argsort(minutes, axis=1, kind="stable")[:, :k]
        rows = np.repeat(np.arange(n_o), k)
        cols = order.ravel()
        frame = pd.DataFrame(
            {
                "origin_id": self.origin_ids.to_numpy()[rows],
                "rank": np.tile(np.arange(1, k + 1), n_o),
                "destination_id": self.destination_ids.to_numpy()[cols],
                "time_min": minutes[rows, cols].astype(float),
                "distance_m": metres[rows, cols].astype(float),
            }
        )
        kept: pd.DataFrame = frame[np.isfinite(frame["time_min"])].reset_index(drop=True)
        return kept

    def unreachable(self) -> pd.DataFrame:
        """Pairs with no journey (cut off, closed, over the cut-off): origin and destination ids."""
        rows, cols = np.nonzero(~np.isfinite(self.minutes_array()))
        return pd.DataFrame(
            {
                "origin_id": self.origin_ids.to_numpy()[rows],
                "destination_id": self.destination_ids.to_numpy()[cols],
            }
        )


def write_matrix(matrix: TravelMatrix, path: str | Path, *, wide: bool = False) -> Path:
    """Write a travel matrix to CSV or XLSX (by the suffix of ``path``).

    Parameters
    ----------
    matrix
        The travel matrix.
    path
        ``.csv`` or ``.xlsx`` file; its folder is created. Unreachable journeys are empty cells.
    wide
        ``False`` (default): long format, one row per pair (:meth:`TravelMatrix.to_long`).
        ``True``: origins down, destinations across; CSV holds ``time_min``, XLSX two sheets,
        ``time_min`` and ``distance_m``. Wide XLSX is limited to 16,000 destinations and
        1,000,000 cells, sizes Excel handles comfortably.

    Returns
    -------
    pathlib.Path
        The file written. A CSV is written by :func:`geoplan.csv_tables.write_csv`: UTF-8 with a
        byte-order mark, so Excel reads Chinese ids; whole metres and minutes as integers, the
        others to :data:`MATRIX_DECIMALS` places.

    Raises
    ------
    OutputFormatError
        For another suffix, or a table too big for Excel (the message gives the size and the
        fix: long format, CSV, or a cut-off).
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        msg = f"{out}: write the travel matrix to a .csv or .xlsx file, not {suffix or 'none'}."
        raise OutputFormatError(msg)
    n_o, n_d = matrix.shape
    if suffix == ".xlsx" and wide and (n_d > EXCEL_MAX_COLUMNS or n_o * n_d > EXCEL_MAX_CELLS):
        msg = (
            f"{out}: a wide table of {n_o:,} {matrix.origins_label} x {n_d:,} "
            f"{matrix.destinations_label} ({n_o * n_d:,} cells) is too big for Excel (at most "
            f"{EXCEL_MAX_COLUMNS:,} columns and {EXCEL_MAX_CELLS:,} cells). Fix: write the long "
            "format (drop --wide), write CSV, or choose fewer places."
        )
        raise OutputFormatError(msg)
    if suffix == ".xlsx" and not wide and n_o * n_d > EXCEL_MAX_ROWS:
        msg = (
            f"{out}: {n_o * n_d:,} origin-destination rows are more than an Excel sheet holds "
            f"({EXCEL_MAX_ROWS:,}). Fix: write CSV, or choose fewer places."
        )
        raise OutputFormatError(msg)
    if wide:
        frames = {
            "time_min": matrix.minutes_frame(),
            "distance_m": matrix.metres_frame(),
        }
        frames = {
            k: f.astype(float)
            .replace([np.inf, -np.inf], np.nan)
            .rename_axis(index=f"{matrix.origins_label}_id")
            for k, f in frames.items()
        }
        if suffix == ".csv":
            write_csv(frames["time_min"], out, decimals=MATRIX_DECIMALS)
        else:
            write_workbook(
                out,
                {
                    sheet: Sheet(
                        frame.round(MATRIX_DECIMALS), formats={"*": number_format(sheet) or ""}
                    )
                    for sheet, frame in frames.items()
                },
            )
    else:
        long = matrix.to_long()
        long[["distance_m", "time_min"]] = long[["distance_m", "time_min"]].replace(
            [np.inf, -np.inf], np.nan
        )
        if matrix.origins_label != matrix.destinations_label:
            long = long.rename(
                columns={
                    "origin_id": f"{matrix.origins_label}_id",
                    "destination_id": f"{matrix.destinations_label}_id",
                }
            )
        if suffix == ".csv":
            write_csv(long, out, decimals=MATRIX_DECIMALS, index=False)
        else:
            write_workbook(out, {"travel": Sheet(long.round(MATRIX_DECIMALS), index=False)})
    _logger.info("Travel matrix %s written to %s.", matrix.mode, out)
    return out


POINT_LAYERS: tuple[str, ...] = ("villages", "schools", "sites", "blocks")
"""Planning-area layers a journey can start or end at (blocks at a representative point)."""


def area_points(area: PlanningArea, layer: str) -> gpd.GeoDataFrame:
    """The places of one planning-area layer as points (blocks: a point inside each block).

    Raises
    ------
    MissingInputError
        When the layer is empty.
    """
    if layer not in POINT_LAYERS:
        msg = f"Journeys start or end at {', '.join(POINT_LAYERS)}, not {layer!r}."
        raise ArgumentError(msg)
    gdf = area.layer(layer)
    if gdf.empty:
        source = "" if area.source is None else str(area.source)
        raise coded_error(
            MissingInputError, "journeys_layer_empty", source, layer, "", "", "", layer=layer
        )
    if layer == "blocks":
        return gpd.GeoDataFrame(
            gdf.drop(columns="geometry"),
            geometry=gdf.geometry.representative_point(),
            crs=gdf.crs,
        )
    return gdf


def _roads_path(area: PlanningArea) -> Path:
    """The road file of ``area``; refused (``area_no_roads``, en + zh) when it has none."""
    source = "" if area.source is None else str(area.source)
    return the_road_file(area.roads_path, area=area.name, source=source)


def area_matrix(
    area: PlanningArea,
    *,
    mode: TravelMode | str,
    origins: str = "villages",
    destinations: str = "schools",
    cutoff_min: float | None = None,
    closures: Iterable[Closure] = (),
    roads: str | Path | None = None,
    cache_dir: str | Path | None = None,
) -> TravelMatrix:
    """The travel matrix between two layers of a planning area, on its road network.

    Parameters
    ----------
    area
        The planning area (``geoplan.io.read_planning_area``).
    mode
        Travel mode or preset name.
    origins, destinations
        Layer names from :data:`POINT_LAYERS`.
    cutoff_min, closures, cache_dir
        As for :func:`travel_matrix`.
    roads
        Road file to use instead of the area's own (``area.roads_path``).
    """
    path = Path(roads) if roads is not None else _roads_path(area)
    graph = load_graph(path, to_crs=area.crs, cache_dir=cache_dir)
    check_roads_reach(graph, area.villages, county=area.townships)
    return travel_matrix(
        graph,
        area_points(area, origins),
        area_points(area, destinations),
        mode=mode,
        cutoff_min=cutoff_min,
        closures=closures,
        cache_dir=cache_dir,
        origins_label=origins,
        destinations_label=destinations,
    )


def _extent_text(bounds: np.ndarray | tuple[float, ...], crs: Any) -> tuple[str, str]:
    """Bounds in ``crs`` as WGS-84 longitude and latitude ranges (``86.40-86.60``)."""
    from pyproj import Transformer

    west, south, east, north = (float(v) for v in bounds)
    to_wgs = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    xs, ys = to_wgs.transform([west, east, west, east], [south, south, north, north])
    return f"{min(xs):.2f}-{max(xs):.2f}", f"{min(ys):.2f}-{max(ys):.2f}"


def check_roads_reach(
    graph: nx.MultiDiGraph,
    villages: gpd.GeoDataFrame,
    *,
    county: gpd.GeoDataFrame | None = None,
    max_access_m: float = 2000.0,
) -> None:
    """Refuse a road network that misses the county: most villages far from every road.

    A road file of another county (or in the wrong CRS) still routes, through long straight
    access legs, to journeys of thousands of minutes; this stops it first.

    Parameters
    ----------
    graph
        The road graph (any CRS with a ``crs`` attribute).
    villages
        Village points in a metric CRS.
    county
        The townships, for the county's extent in the message (default: the villages').
    max_access_m
        How far from every road a village may lie before it counts as missed.

    Raises
    ------
    NetworkError
        When more than half of the villages are farther than ``max_access_m`` from every road of
        the graph; the message gives the road file's extent and the county's.
    """
    import shapely

    from geoplan.network.roads import load_report

    points = villages[villages.geometry.notna() & ~villages.geometry.is_empty]
    if len(points) == 0 or graph.number_of_nodes() == 0:
        return
    graph = _graph_in(graph, points.crs)
    nodes = graph.nodes
    node_xy = np.array([(d["x"], d["y"]) for _, d in nodes(data=True)], dtype=float)
    pts = np.asarray(points.geometry.to_numpy(), dtype=object)
    # a node is on a road, so the nearest node bounds the distance to the nearest road above
    _, near_node = shapely.STRtree(shapely.points(node_xy)).query_nearest(
        pts, return_distance=True, all_matches=False
    )
    if np.count_nonzero(near_node > max_access_m) * 2 <= len(pts):
        return
    lines = road_lines(graph)
    if len(lines):
        _, near = shapely.STRtree(lines).query_nearest(pts, return_distance=True, all_matches=False)
    else:
        near = near_node
    far = int(np.count_nonzero(near > max_access_m))
    if far * 2 <= len(pts):
        return
    report = load_report(graph)
    source = ", ".join(report.sources) if report is not None and report.sources else ""
    area = county if county is not None and len(county) else points
    roads_lon, roads_lat = _extent_text(
        node_xy.min(axis=0).tolist() + node_xy.max(axis=0).tolist(), points.crs
    )
    county_lon, county_lat = _extent_text(area.total_bounds, area.crs)
    raise coded_error(
        NetworkError,
        "roads_miss_county",
        source,
        "roads",
        "",
        "",
        f"{far} of {len(pts)}",
        far=far,
        villages=len(pts),
        max_access_m=f"{max_access_m:.0f}",
        median_km=f"{np.median(near) / 1000:.1f}",
        source=source or "the road file",
        roads_lon=roads_lon,
        roads_lat=roads_lat,
        county_lon=county_lon,
        county_lat=county_lat,
    )


def _check_points(points: gpd.GeoDataFrame, label: str) -> None:
    if points.crs is None:
        msg = f"Layer {label} has no CRS. Fix: set its CRS (area layers are in a metric CRS)."
        raise CRSError(msg)
    if not points.crs.is_projected:
        msg = (
            f"Layer {label} is in {points.crs.name}, not a metric CRS; journey lengths need one. "
            "Fix: project it (geoplan.crs chooses one)."
        )
        raise CRSError(msg)


def _graph_in(graph: nx.MultiDiGraph, crs: Any) -> nx.MultiDiGraph:
    from pyproj import CRS

    gcrs = graph.graph.get("crs")
    if gcrs is None:
        msg = (
            "The road graph has no 'crs' attribute. Fix: build it with geoplan.network.load_graph."
        )
        raise CRSError(msg)
    if CRS.from_user_input(gcrs) == CRS.from_user_input(crs):
        return graph
    import osmnx as ox

    _logger.info("Projecting the road graph from %s to %s.", gcrs, crs)
    return ox.project_graph(graph, to_crs=crs)


_NETWORKS: weakref.WeakKeyDictionary[nx.MultiDiGraph, dict[tuple[str, ...], Any]] = (
    weakref.WeakKeyDictionary()
)
"""Per graph object: its projections and mode networks, so repeated calls convert once."""


def _memo(graph: nx.MultiDiGraph) -> dict[tuple[str, ...], Any]:
    memo = _NETWORKS.get(graph)
    # a graph edited in place (nodes or node pairs linked/unlinked) starts afresh
    size = tuple(str(v) for v in graph_size(graph))
    if memo is None or memo.get(("size",)) != size:
        memo = {("size",): size}
        _NETWORKS[graph] = memo
    return memo


def network_for(
    graph: nx.MultiDiGraph,
    mode: TravelMode | str,
    *,
    closures: Iterable[Closure] = (),
    crs: Any = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
) -> ModeNetwork:
    """The :class:`ModeNetwork` of ``graph`` for ``mode``, built once per process.

    The graph is projected to ``crs`` first when given and different. Results are remembered
    per graph object, mode and closures (and forgotten with the graph, or when its count of
    nodes or of linked node pairs changes); changing edge attributes or parallel edges in place
    is not noticed, so pass a fresh graph after editing one. A graph returned by
    :func:`~geoplan.network.roads.load_graph` also has its networks kept in the disk cache
    (``cache_dir``, default :func:`~geoplan.network.roads.default_cache_dir`; ``use_cache``
    false: neither read nor written), keyed by the road files, mode, closures and code, so a
    later run on the same roads skips the conversion.
    """
    travel_mode = _resolve_mode(mode)
    closures = tuple(closures)
    memo = _memo(graph)
    key = (
        "net",
        "" if crs is None else str(crs),
        travel_mode.fingerprint(),
        repr([c.fingerprint() for c in closures]),
    )
    net = memo.get(key)
    if net is None:
        from pyproj import CRS

        source = loaded_key(graph) if use_cache else None
        cache_file = None
        if source is not None:
            folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
            cache_file = network_cache_file(
                folder,
                source_key=source,
                stamp=_cache_stamp(MATRIX_CODE),
                crs_text="" if crs is None else CRS.from_user_input(crs).to_wkt(),
                mode=travel_mode,
                closures=closures,
            )
            net = read_network_cache(cache_file, travel_mode, closures)
        if net is None:
            projected = _projected(graph, crs, memo) if crs is not None else graph
            net = mode_network(projected, travel_mode, closures=closures)
            if cache_file is not None:
                write_network_cache(cache_file, net)
        memo[key] = net
    assert isinstance(net, ModeNetwork)
    return net


def _projected(
    graph: nx.MultiDiGraph, crs: Any, memo: dict[tuple[str, ...], Any]
) -> nx.MultiDiGraph:
    key = ("graph", str(crs))
    if key in memo:
        cached: nx.MultiDiGraph = memo[key]
        return cached
    projected = _graph_in(graph, crs)
    if projected is not graph:  # never hold the graph itself: it would outlive its weak key
        memo[key] = projected
    return projected


def _resolve_mode(mode: TravelMode | str) -> TravelMode:
    if isinstance(mode, TravelMode):
        return mode
    if mode not in MODES:
        msg = f"Unknown travel mode {mode!r}; modes are {', '.join(MODES)}."
        raise NetworkError(msg)
    return MODES[mode]


def _cache_key(
    net: ModeNetwork,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    closures: tuple[Closure, ...],
    extra: str,
) -> str:
    h = hashlib.sha256()
    h.update(f"{CACHE_VERSION}|{_cache_stamp(MATRIX_CODE)}|".encode())
    h.update(net.digest.encode())
    for pts in (origins, destinations):
        h.update("\x1f".join(map(str, pts.index)).encode())
        h.update(np.ascontiguousarray(pts.geometry.x.to_numpy(dtype=float)).tobytes())
        h.update(np.ascontiguousarray(pts.geometry.y.to_numpy(dtype=float)).tobytes())
        h.update(str(pts.crs).encode())
    h.update(net.mode.fingerprint().encode())
    h.update(repr([c.fingerprint() for c in closures]).encode())
    h.update(extra.encode())
    return h.hexdigest()[:32]


def _search(
    graph: csr_matrix,
    sources: np.ndarray,
    targets: np.ndarray,
    *,
    limit: float,
    desc: str,
    workers: int | None = 1,
) -> np.ndarray:
    """Float64 shortest distances ``len(sources) x len(targets)``."""
    out = np.empty((len(sources), len(targets)), dtype=float)
    for start, dist in _search_chunks(
        graph, sources, targets, limit=limit, desc=desc, workers=workers
    ):
        out[start : start + len(dist)] = dist
    return out


def _search_chunks(
    graph: csr_matrix,
    sources: np.ndarray,
    targets: np.ndarray,
    *,
    limit: float,
    desc: str,
    workers: int | None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Shortest distances chunk by chunk of sources, in order: ``(first source, chunk x targets)``.

    ``workers`` > 1 spreads the chunks over that many processes, which read the graph from
    memory-mapped files; ``None``: the cores available (:func:`search_workers`) for a
    search large enough to pay for starting them, else this process.
    """
    starts = list(range(0, len(sources), SOURCE_CHUNK))
    n_proc = search_workers(workers)
    if workers is None and len(sources) * graph.shape[0] < _PARALLEL_MIN_WORK:
        n_proc = 1
    n_proc = min(n_proc, len(starts))
    bar = tqdm(total=len(starts), desc=desc, disable=True if len(starts) < 4 else None, leave=False)
    try:
        if n_proc <= 1:
            for start in starts:
                block = sources[start : start + SOURCE_CHUNK]
                yield start, dijkstra(graph, directed=True, indices=block, limit=limit)[:, targets]
                bar.update()
            return
        import multiprocessing

        _logger.debug("Searching %d sources in %d processes.", len(sources), n_proc)
        with tempfile.TemporaryDirectory(prefix="geoplan-search-") as folder:
            arrays = {
                "data": graph.data,
                "indices": graph.indices,
                "indptr": graph.indptr,
                "targets": targets,
            }
            for name, array in arrays.items():
                np.save(Path(folder) / f"{name}.npy", np.ascontiguousarray(array))
            context = _worker_context(multiprocessing)
            chunks = [sources[start : start + SOURCE_CHUNK] for start in starts]
            with context.Pool(
                n_proc,
                initializer=_search_worker_init,
                initargs=(folder, tuple(graph.shape), float(limit)),
            ) as pool:
                for start, dist in zip(starts, pool.imap(_search_worker, chunks), strict=True):
                    yield start, dist
                    bar.update()
    finally:
        bar.close()


def _worker_context(multiprocessing: Any) -> Any:
    """The start method of search workers: ``forkserver`` where the platform has it, else spawn.

    The fork server is a clean process that imported this module once and then forks each
    worker quickly and safely.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__, "geoplan.workers"])
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - not on Linux


_WORKER: dict[str, Any] = {}
"""A search worker's graph and targets (set by :func:`_search_worker_init`)."""


def _search_worker_init(folder: str, shape: tuple[int, int], limit: float) -> None:
    """Pin the worker's threads and map the graph and targets from ``folder``."""
    pin_threads()
    arrays = {
        name: np.load(Path(folder) / f"{name}.npy", mmap_mode="r")
        for name in ("data", "indices", "indptr", "targets")
    }
    _WORKER["graph"] = csr_matrix(
        (arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape, copy=False
    )
    _WORKER["targets"] = np.array(arrays["targets"])
    _WORKER["limit"] = limit


def _search_worker(block: np.ndarray) -> np.ndarray:
    """Distances from one chunk of sources to the targets (in a worker process)."""
    dist = dijkstra(_WORKER["graph"], directed=True, indices=block, limit=_WORKER["limit"])
    out: np.ndarray = dist[:, _WORKER["targets"]]
    return out


@dataclass(frozen=True)
class _Joins:
    """Where the on-network points of one layer join their roads, and the partial costs.

    ``rows``: positions of those points in the layer; per unique joined point (same edge and
    fraction): ``inverse`` maps rows to it; ``edge``, ``fraction``, the edge's ``start`` and
    ``end`` nodes, and the costs (in one weight) from the point to each end (``out_start``,
    ``out_end``) and from each end to the point (``in_start``, ``in_end``); ``inf`` where the
    mode may not go that way along the edge.
    """

    rows: np.ndarray
    inverse: np.ndarray
    edge: np.ndarray
    fraction: np.ndarray
    start: np.ndarray
    end: np.ndarray
    out_start: np.ndarray
    out_end: np.ndarray
    in_start: np.ndarray
    in_end: np.ndarray


def _part(share: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """``share * cost``, with a zero share costing nothing even against a one-way street."""
    with np.errstate(invalid="ignore"):
        out: np.ndarray = np.where(share > 0, share * cost, 0.0)
    return out


def _joins(net: ModeNetwork, table: pd.DataFrame, weight: str) -> _Joins:
    edge_all = table["edge"].to_numpy(dtype=np.int64)
    rows = np.flatnonzero(edge_all >= 0)
    keys = np.column_stack(
        [edge_all[rows].astype(float), table["fraction"].to_numpy(dtype=float)[rows]]
    )
    if len(rows):
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    else:
        uniq, inverse = np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    edge = uniq[:, 0].astype(np.int64)
    frac = uniq[:, 1]
    fwd, bwd = net.edges.costs(weight)
    fwd, bwd = fwd[edge], bwd[edge]
    return _Joins(
        rows=rows,
        inverse=np.asarray(inverse).ravel(),
        edge=edge,
        fraction=frac,
        start=net.edges.start[edge],
        end=net.edges.end[edge],
        out_start=_part(frac, bwd),
        out_end=_part(1.0 - frac, fwd),
        in_start=_part(frac, fwd),
        in_end=_part(1.0 - frac, bwd),
    )


def _augment(
    csr: csr_matrix, to_a: np.ndarray, to_b: np.ndarray, cost_a: np.ndarray, cost_b: np.ndarray
) -> csr_matrix:
    """``csr`` with one new node per row of ``to_a``: arcs out of it to ``to_a`` and ``to_b``.

    The new nodes have no arcs in, so no search passes through them: each is a search source
    standing for a point part-way along its road.
    """
    n = csr.shape[0]
    k = len(to_a)
    loop = to_a == to_b
    w = np.stack(
        [np.where(loop, np.minimum(cost_a, cost_b), cost_a), np.where(loop, np.inf, cost_b)], 1
    )
    cols = np.stack([to_a, to_b], 1)
    keep = np.isfinite(w)
    indptr = np.concatenate([csr.indptr, csr.indptr[-1] + np.cumsum(keep.sum(axis=1))])
    indices = np.concatenate([csr.indices, cols[keep]])
    data = np.concatenate([csr.data, w[keep]])
    return csr_matrix((data, indices, indptr), shape=(n + k, n + k))


def _along_edge(jo: _Joins, jd: _Joins, net: ModeNetwork, weight: str) -> tuple[np.ndarray, ...]:
    """Pairs of unique joined points on the same edge and their cost along it (no detour)."""
    o = pd.DataFrame({"edge": jo.edge, "i": np.arange(len(jo.edge))})
    d = pd.DataFrame({"edge": jd.edge, "j": np.arange(len(jd.edge))})
    pairs = o.merge(d, on="edge")
    i = pairs["i"].to_numpy(dtype=np.int64)
    j = pairs["j"].to_numpy(dtype=np.int64)
    fwd, bwd = net.edges.costs(weight)
    e = jo.edge[i]
    fo, fd = jo.fraction[i], jd.fraction[j]
    cost = np.where(fd >= fo, _part(fd - fo, fwd[e]), _part(fo - fd, bwd[e]))
    return i, j, cost


def _network_distances(
    net: ModeNetwork,
    snap_o: pd.DataFrame,
    snap_d: pd.DataFrame,
    *,
    weight: str,
    limit: float,
    workers: int | None = 1,
) -> np.ndarray:
    """Road distances (``weight``: metres or minutes) between joined points, origins x destinations.

    Dense float64 and read-only, ``inf`` for pairs on parts of the network that do not connect
    or beyond ``limit``; see
    :func:`_network_blocks`. A search this process made a moment ago on the same arcs, joins
    and limit (another mode of the same roads and speeds) is not repeated
    (:mod:`geoplan.network._search_memo`).
    """
    key = search_key(net, snap_o, snap_d, weight, limit)
    kept = SEARCHES.get(key)
    if kept is not None:
        _logger.info("%s %s: the same search as a moment ago, reused", net.mode.name, weight)
        return kept
    result = np.full((len(snap_o), len(snap_d)), np.inf)
    for rows, cols, values in _network_blocks(
        net, snap_o, snap_d, weight=weight, limit=limit, workers=workers
    ):
        result[np.ix_(rows, cols)] = values
    return SEARCHES.put(key, result, memory_budget_mb())


def _network_pairs(
    net: ModeNetwork,
    snap_o: pd.DataFrame,
    snap_d: pd.DataFrame,
    *,
    weight: str,
    limit: float,
    workers: int | None = 1,
    only: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The finite road distances of :func:`_network_distances` as (rows, columns, values).

    ``only``: sorted keys ``row * columns + column`` of the pairs wanted (the others are
    dropped block by block, so they never pile up).
    """
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    n_cols = len(snap_d)
    for rows, cols, values in _network_blocks(
        net, snap_o, snap_d, weight=weight, limit=limit, workers=workers
    ):
        r, c = np.nonzero(np.isfinite(values))
        if only is not None:
            key = rows[r].astype(np.int64) * n_cols + cols[c]
            pos = np.minimum(np.searchsorted(only, key), max(len(only) - 1, 0))
            hit = only[pos] == key if len(only) else np.zeros(len(key), dtype=bool)
            r, c = r[hit], c[hit]
        parts.append((rows[r], cols[c], values[r, c]))
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    return (
        np.concatenate([q[0] for q in parts]).astype(np.int64),
        np.concatenate([q[1] for q in parts]).astype(np.int64),
        np.concatenate([q[2] for q in parts]),
    )


def _network_blocks(
    net: ModeNetwork,
    snap_o: pd.DataFrame,
    snap_d: pd.DataFrame,
    *,
    weight: str,
    limit: float,
    workers: int | None,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Road distances block by block: ``(origin rows, destination columns, float64 values)``.

    Each point joins its road part-way along an edge (``snap_o``/``snap_d``: snapping tables).
    The search starts from the unique joined points of the smaller side, each a virtual node
    with arcs to both ends of its edge carrying the partial costs (on the reversed graph when
    searching from destinations, so one-way streets stay right); the other side's points are
    reached through either end of their edge the same way; two points on one edge also reach
    each other along it. One block per chunk of search sources (its rows or columns are the
    points joined there).
    """
    csr: csr_matrix = getattr(net, weight)
    rev: csr_matrix = getattr(net, f"{weight}_reversed")
    jo, jd = _joins(net, snap_o, weight), _joins(net, snap_d, weight)
    k_o, k_d = len(jo.edge), len(jd.edge)
    if k_o == 0 or k_d == 0:
        return
    n = csr.shape[0]
    desc = f"{net.mode.name} {weight}"
    from_d = k_d <= k_o
    if from_d:  # search from the destinations, backwards; the origins are the other side
        graph = _augment(rev, jd.start, jd.end, jd.in_start, jd.in_end)
        src, other = jd, jo
        first, second = jo.out_start, jo.out_end
    else:
        graph = _augment(csr, jo.start, jo.end, jo.out_start, jo.out_end)
        src, other = jo, jd
        first, second = jd.in_start, jd.in_end
    k_src, k_other = len(src.edge), len(other.edge)
    targets, t_inv = np.unique(np.concatenate([other.start, other.end]), return_inverse=True)
    t_inv = np.asarray(t_inv).ravel()
    i, j, along = _along_edge(jo, jd, net, weight)
    along = np.where(along <= limit, along, np.inf)
    src_al, other_al = (j, i) if from_d else (i, j)
    order = np.argsort(src.inverse, kind="stable")  # the layer's points by their joined point
    bounds = np.searchsorted(src.inverse[order], np.arange(k_src + 1))
    for start, dist in _search_chunks(
        graph, n + np.arange(k_src), targets, limit=limit, desc=desc, workers=workers
    ):
        stop = start + len(dist)
        if from_d:
            block = np.minimum(
                first[None, :] + dist[:, t_inv[:k_other]],
                second[None, :] + dist[:, t_inv[k_other:]],
            )
        else:
            block = np.minimum(
                dist[:, t_inv[:k_other]] + first[None, :],
                dist[:, t_inv[k_other:]] + second[None, :],
            )
        sel = (src_al >= start) & (src_al < stop)
        a, b = src_al[sel] - start, other_al[sel]
        block[a, b] = np.minimum(block[a, b], along[sel])
        members = order[bounds[start] : bounds[stop]]
        values = block[np.ix_(src.inverse[members] - start, other.inverse)]
        if from_d:
            yield other.rows, src.rows[members], values.T
        else:
            yield src.rows[members], other.rows, values


def travel_matrix(
    graph: nx.MultiDiGraph | ModeNetwork,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    mode: TravelMode | str,
    cutoff_min: float | None = None,
    closures: Iterable[Closure] = (),
    max_access_m: float = 2000.0,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    origins_label: str = "origins",
    destinations_label: str = "destinations",
    storage: str = "auto",
    workers: int | None = None,
) -> TravelMatrix:
    """Journey metres and minutes from every origin to every destination by ``mode``.

    Parameters
    ----------
    graph
        Road graph (osmnx ``MultiDiGraph``), projected to the points' CRS when it differs; its
        conversion per mode and closures is remembered in-process (see :func:`network_for`).
        Or a prebuilt :class:`~geoplan.network.ModeNetwork` in the points' CRS (its mode and
        closures must equal ``mode`` and ``closures``).
    origins, destinations
        Point layers in one metric CRS, indexed by id.
    mode
        A :class:`TravelMode` or the name of a preset (``child_walk``, ``car`` ...).
    cutoff_min
        Journeys longer than this many minutes are left ``inf`` (faster searches).
    closures
        Roads out of use.
    max_access_m
        Points farther than this from the nearest road their mode may use are warned about
        and listed (the network misses roads); a point whose nearest road is cut off from the
        main network, itself farther than this, joins that road and reaches only the places on
        its part of the network.
    cache_dir
        Cache folder; default :func:`geoplan.network.roads.default_cache_dir`.
    use_cache
        Read and write the disk cache.
    origins_label, destinations_label
        Layer names for tables and messages.
    storage
        ``"dense"``: arrays of every pair; ``"sparse"``: CSR matrices of the reachable pairs
        (those within ``cutoff_min``); ``"auto"`` (default): sparse when there is a cut-off and
        the dense form (8 bytes a pair) would exceed :func:`memory_budget_mb`. Both forms hold
        the same values.
    workers
        Processes the search uses (1: this process only); default :func:`search_workers` for
        searches large enough to pay for starting them. The results do not depend on it.

    Returns
    -------
    TravelMatrix
        Rows in the order of ``origins``, columns in the order of ``destinations``.
    """
    if storage not in STORAGES:
        msg = f"storage must be one of {', '.join(STORAGES)}, not {storage!r}."
        raise ArgumentError(msg)
    search_workers(workers)  # check it before the work
    travel_mode = _resolve_mode(mode)
    closures = tuple(closures)
    _check_points(origins, origins_label)
    _check_points(destinations, destinations_label)
    if origins.crs != destinations.crs:
        msg = (
            f"Layers {origins_label} ({origins.crs.name}) and {destinations_label} "
            f"({destinations.crs.name}) are in different CRSs. Fix: project both to one."
        )
        raise CRSError(msg)
    if cutoff_min is not None and not cutoff_min > 0:
        msg = f"cutoff_min must be a positive number of minutes, not {cutoff_min!r}."
        raise ArgumentError(msg)
    if isinstance(graph, ModeNetwork):
        net = graph
        _check_network(net, travel_mode, closures, origins.crs)
    else:
        net = network_for(
            graph,
            travel_mode,
            closures=closures,
            crs=origins.crs,
            cache_dir=cache_dir,
            use_cache=use_cache,
        )
    snap_o = snap_points(net, origins, max_access_m=max_access_m, layer=origins_label)
    snap_d = snap_points(net, destinations, max_access_m=max_access_m, layer=destinations_label)
    key = _cache_key(net, origins, destinations, closures, f"{cutoff_min}|{max_access_m}")
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache_file = folder / f"travel_{travel_mode.name}_{key}.npz"
    shape = (len(origins), len(destinations))
    sparse = storage == "sparse" or (
        storage == "auto"
        and cutoff_min is not None
        and shape[0] * shape[1] * 8 > memory_budget_mb() * 2**20
    )
    if sparse and storage == "auto":
        _logger.info(
            "Travel matrix %s: %d x %d pairs stored sparse (the dense form would take %.0f MB, "
            "over the %.0f MB budget of %s).",
            travel_mode.name,
            *shape,
            shape[0] * shape[1] * 8 / 2**20,
            memory_budget_mb(),
            MEMORY_ENV,
        )
    metres: np.ndarray | csr_matrix | None = None
    minutes: np.ndarray | csr_matrix | None = None
    if use_cache and cache_file.exists():
        cached = _read_cache(cache_file, shape)
        if cached is not None:
            minutes, metres = cached
            _logger.info("Travel matrix %s read from cache %s.", travel_mode.name, cache_file)
            if not sparse:
                minutes, metres = _dense(minutes, shape), _dense(metres, shape)
    if metres is None or minutes is None:
        metres, minutes = _compute(
            net, snap_o, snap_d, cutoff_min=cutoff_min, sparse=sparse, workers=workers
        )
        if use_cache:
            if sparse:
                _write_cache(cache_file, minutes=minutes, metres=metres)
            else:
                _write_cache(cache_file, *_to_sparse(np.asarray(minutes), np.asarray(metres)))
    return TravelMatrix(
        origin_ids=pd.Index(origins.index.astype(str), name="id"),
        destination_ids=pd.Index(destinations.index.astype(str), name="id"),
        metres=metres,
        minutes=minutes,
        mode=travel_mode.name,
        origins_label=origins_label,
        destinations_label=destinations_label,
        origin_access=snap_o.table,
        destination_access=snap_d.table,
        cutoff_min=cutoff_min,
        travel_mode=travel_mode,
        closures=closures,
        crs=origins.crs,
    )


def _check_network(
    net: ModeNetwork, mode: TravelMode, closures: tuple[Closure, ...], crs: Any
) -> None:
    from pyproj import CRS

    if net.mode.fingerprint() != mode.fingerprint():
        msg = (
            f"The prebuilt network is for mode {net.mode.name!r}, not {mode.name!r}. "
            "Fix: build it with network_for(graph, mode, closures=...)."
        )
        raise NetworkError(msg)
    if [c.fingerprint() for c in net.closures] != [c.fingerprint() for c in closures]:
        msg = (
            "The prebuilt network was built with other closures than those given. "
            "Fix: pass the same closures, or build it with network_for(graph, mode, closures=...)."
        )
        raise NetworkError(msg)
    if net.crs is None or CRS.from_user_input(net.crs) != CRS.from_user_input(crs):
        msg = (
            f"The prebuilt network is in {net.crs}, the points in {crs}. "
            "Fix: build it with network_for(graph, mode, crs=<the points' CRS>)."
        )
        raise CRSError(msg)


def _write_cache(path: Path, minutes: csr_matrix, metres: csr_matrix) -> None:
    """Store the sparse form: the reachable pairs' CSR arrays (one pattern for both)."""
    try:
        with atomic_path(path) as tmp:
            np.savez(
                tmp,
                shape=np.asarray(minutes.shape, dtype=np.int64),
                indptr=minutes.indptr,
                indices=minutes.indices,
                minutes=minutes.data,
                metres=metres.data,
            )
    except OSError as err:
        _logger.warning("Cannot write the travel cache %s (%s); continuing without.", path, err)


def _read_cache(path: Path, shape: tuple[int, int]) -> tuple[csr_matrix, csr_matrix] | None:
    """The cached (minutes, metres) CSR matrices, or ``None`` when the file is unreadable."""
    pair: tuple[csr_matrix, ...] = ()
    try:
        with np.load(path, allow_pickle=False) as data:
            if tuple(int(v) for v in data["shape"]) == shape:
                indptr, indices = data["indptr"], data["indices"]
                pair = tuple(
                    csr_matrix((data[name], indices, indptr), shape=shape)
                    for name in ("minutes", "metres")
                )
    except (OSError, KeyError, ValueError):
        pair = ()
    if len(pair) != 2:
        _logger.warning("Cache file %s unreadable; recomputing.", path)
        return None
    return pair[0], pair[1]


def _compute(
    net: ModeNetwork,
    snap_o: Snapping,
    snap_d: Snapping,
    *,
    cutoff_min: float | None,
    sparse: bool = False,
    workers: int | None = 1,
) -> tuple[np.ndarray | csr_matrix, np.ndarray | csr_matrix]:
    """Float64 journeys (access + road + access), returned as float32 (metres, minutes).

    ``sparse``: CSR matrices of the pairs within the cut-off (built block by block, never as a
    dense array), with the same values as the dense form.
    """
    o_tab, d_tab = snap_o.table, snap_d.table
    mode = net.mode
    speed_m_min = 0.0  # > 0: minutes are metres over one speed, one search serves both
    if net.time_follows_length and net.metres.nnz:
        speed_m_min = float(net.metres.data.sum() / net.minutes.data.sum())
        limit = m_limit = np.inf if cutoff_min is None else cutoff_min * speed_m_min
    else:
        limit = np.inf if cutoff_min is None else cutoff_min
        if cutoff_min is None:
            m_limit = np.inf
        else:  # the shortest route is never longer than the fastest one within the cut-off
            speeds = net.metres.data / np.maximum(net.minutes.data, 1e-300)
            m_limit = cutoff_min * float(speeds.max()) if len(speeds) else np.inf
    size = len(o_tab) * len(d_tab)
    if sparse:
        metres_s, minutes_s = _compute_pairs(
            net,
            o_tab,
            d_tab,
            cutoff_min=cutoff_min,
            speed_m_min=speed_m_min,
            limit=limit,
            m_limit=m_limit,
            workers=workers,
        )
        _log_unreachable(mode.name, size - int(minutes_s.nnz), size, cutoff_min)
        return metres_s, minutes_s
    if speed_m_min > 0:
        road_m = _network_distances(
            net, o_tab, d_tab, weight="metres", limit=limit, workers=workers
        )
        road_min = road_m / speed_m_min
    else:
        road_min = _network_distances(
            net, o_tab, d_tab, weight="minutes", limit=limit, workers=workers
        )
        road_m = _network_distances(
            net, o_tab, d_tab, weight="metres", limit=m_limit, workers=workers
        )
    acc_o, acc_d = o_tab, d_tab
    metres = acc_o["access_m"].to_numpy()[:, None] + road_m + acc_d["access_m"].to_numpy()[None, :]
    minutes = (
        acc_o["access_min"].to_numpy()[:, None] + road_min + acc_d["access_min"].to_numpy()[None, :]
    )
    if cutoff_min is not None:
        over = minutes > cutoff_min
        minutes[over] = np.inf
        metres[over] = np.inf
    _log_unreachable(mode.name, int((~np.isfinite(minutes)).sum()), size, cutoff_min)
    return metres.astype(np.float32), minutes.astype(np.float32)


def _compute_pairs(
    net: ModeNetwork,
    o_tab: pd.DataFrame,
    d_tab: pd.DataFrame,
    *,
    cutoff_min: float | None,
    speed_m_min: float,
    limit: float,
    m_limit: float,
    workers: int | None,
) -> tuple[csr_matrix, csr_matrix]:
    """The sparse form of :func:`_compute`: the same sums, for the reachable pairs only."""
    acc_o_m, acc_d_m = o_tab["access_m"].to_numpy(), d_tab["access_m"].to_numpy()
    acc_o_min, acc_d_min = o_tab["access_min"].to_numpy(), d_tab["access_min"].to_numpy()
    shape = (len(o_tab), len(d_tab))
    if speed_m_min > 0:
        r, c, road_m = _network_pairs(
            net, o_tab, d_tab, weight="metres", limit=limit, workers=workers
        )
        minutes = acc_o_min[r] + road_m / speed_m_min + acc_d_min[c]
        metres = acc_o_m[r] + road_m + acc_d_m[c]
    else:
        r, c, road_min = _network_pairs(
            net, o_tab, d_tab, weight="minutes", limit=limit, workers=workers
        )
        minutes = acc_o_min[r] + road_min + acc_d_min[c]
        keep = np.isfinite(minutes) if cutoff_min is None else minutes <= cutoff_min
        r, c, minutes = r[keep], c[keep], minutes[keep]
        rm, cm, road_m_all = _network_pairs(
            net,
            o_tab,
            d_tab,
            weight="metres",
            limit=m_limit,
            workers=workers,
            only=np.sort(r * shape[1] + c),
        )
        key_m = rm * shape[1] + cm
        order = np.argsort(key_m, kind="stable")
        key_m = key_m[order]
        key = r * shape[1] + c
        pos = np.minimum(np.searchsorted(key_m, key), max(len(key_m) - 1, 0))
        found = (key_m[pos] == key) if len(key_m) else np.zeros(len(key), dtype=bool)
        road_m = np.where(found, road_m_all[order][pos] if len(key_m) else np.inf, np.inf)
        metres = acc_o_m[r] + road_m + acc_d_m[c]
    keep = np.isfinite(minutes) if cutoff_min is None else minutes <= cutoff_min
    minutes_s, metres_s = _csr_pair(r[keep], c[keep], minutes[keep], metres[keep], shape)
    return metres_s, minutes_s


def _log_unreachable(mode: str, n_unreach: int, size: int, cutoff_min: float | None) -> None:
    if n_unreach:
        _logger.info(
            "Mode %s: %d of %d journeys unreachable%s.",
            mode,
            n_unreach,
            size,
            "" if cutoff_min is None else f" or over {cutoff_min:g} min",
        )


def journey_lines(
    graph: nx.MultiDiGraph,
    matrix: TravelMatrix,
    assignment: pd.Series,
) -> gpd.GeoDataFrame:
    """Lines of the fastest journeys of chosen origin -> destination pairs, for drawing.

    Parameters
    ----------
    graph
        The road graph the matrix was computed on.
    matrix
        The travel matrix.
    assignment
        Destination id per origin id (index: origin ids). Missing or unreachable pairs are left
        out.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by origin id: ``destination_id``, ``time_min``, ``distance_m``, and the line
        (access leg, roads, access leg) in the matrix's CRS.
    """
    net = network_for(graph, matrix.travel_mode, closures=matrix.closures, crs=matrix.crs)
    if matrix.crs is not None:
        graph = _projected(graph, matrix.crs, _memo(graph))
    edges = list(graph.edges(keys=True))
    o_pos = {str(i): k for k, i in enumerate(matrix.origin_ids)}
    d_pos = {str(i): k for k, i in enumerate(matrix.destination_ids)}
    minutes, metres = matrix.minutes_array(), matrix.metres_array()
    pairs = [
        (str(o), str(d))
        for o, d in assignment.dropna().items()
        if str(o) in o_pos
        and str(d) in d_pos
        and np.isfinite(minutes[o_pos[str(o)], d_pos[str(d)]])
    ]
    rows: list[dict[str, Any]] = []
    jo = _joins(net, matrix.origin_access, "minutes")
    jd = _joins(net, matrix.destination_access, "minutes")
    o_join = np.full(len(o_pos), -1, dtype=np.int64)
    o_join[jo.rows] = jo.inverse
    d_join = np.full(len(d_pos), -1, dtype=np.int64)
    d_join[jd.rows] = jd.inverse
    n = net.minutes.shape[0]
    graph_rev = _augment(net.minutes_reversed, jd.start, jd.end, jd.in_start, jd.in_end)
    along_i, along_j, along = _along_edge(jo, jd, net, "minutes")
    direct = dict(zip(zip(along_i.tolist(), along_j.tolist(), strict=True), along, strict=True))
    geometry = net.edges.geometry
    for dest in sorted({d for _, d in pairs}):
        jd_k = int(d_join[d_pos[dest]])
        source = n + jd_k
        dist, pred = dijkstra(graph_rev, directed=True, indices=source, return_predecessors=True)
        d_geom = geometry[jd.edge[jd_k]]
        for o, d in pairs:
            if d != dest:
                continue
            jo_k = int(o_join[o_pos[o]])
            acc_o = matrix.origin_access.iloc[o_pos[o]]
            acc_d = matrix.destination_access.iloc[d_pos[d]]
            coords: list[tuple[float, float]] = [
                (float(acc_o["x"]), float(acc_o["y"])),
                (float(acc_o["road_x"]), float(acc_o["road_y"])),
            ]
            f_o, f_d = float(jo.fraction[jo_k]), float(jd.fraction[jd_k])
            via_start = jo.out_start[jo_k] + dist[jo.start[jo_k]]
            via_end = jo.out_end[jo_k] + dist[jo.end[jo_k]]
            if direct.get((jo_k, jd_k), np.inf) <= min(via_start, via_end):
                coords.extend(_piece(d_geom, f_o, f_d))
            else:
                node = int(jo.start[jo_k] if via_start <= via_end else jo.end[jo_k])
                coords.extend(
                    _piece(geometry[jo.edge[jo_k]], f_o, 0.0 if node == jo.start[jo_k] else 1.0)
                )
                while True:
                    nxt = int(pred[node])
                    if nxt < 0 or nxt >= n:
                        break
                    coords.extend(_arc_coords(graph, net, edges, node, nxt))
                    node = nxt
                at_start = node == jd.start[jd_k] and (
                    node != jd.end[jd_k] or jd.in_start[jd_k] <= jd.in_end[jd_k]
                )
                coords.extend(_piece(d_geom, 0.0 if at_start else 1.0, f_d))
            coords.append((float(acc_d["road_x"]), float(acc_d["road_y"])))
            coords.append((float(acc_d["x"]), float(acc_d["y"])))
            i, j = o_pos[o], d_pos[d]
            rows.append(
                {
                    "id": o,
                    "destination_id": d,
                    "time_min": float(minutes[i, j]),
                    "distance_m": float(metres[i, j]),
                    "geometry": LineString(coords),
                }
            )
    frame = pd.DataFrame(
        rows, columns=["id", "destination_id", "time_min", "distance_m", "geometry"]
    )
    return gpd.GeoDataFrame(frame.set_index("id"), geometry="geometry", crs=net.crs)


def _piece(line: LineString, f_from: float, f_to: float) -> list[tuple[float, float]]:
    """Coordinates of ``line`` from fraction ``f_from`` to ``f_to`` (reversed when backwards)."""
    from shapely.ops import substring

    if f_from == f_to:
        return []
    part = substring(line, f_from, f_to, normalized=True)
    return [(float(c[0]), float(c[1])) for c in part.coords]


def _arc_coords(
    graph: nx.MultiDiGraph,
    net: ModeNetwork,
    edges: list[tuple[Any, Any, Any]],
    a: int,
    b: int,
) -> list[tuple[float, float]]:
    """Coordinates of the fastest edge from node position ``a`` to ``b`` (without ``a``)."""
    lo, hi = net.minutes.indptr[a], net.minutes.indptr[a + 1]
    hit = np.flatnonzero(net.minutes.indices[lo:hi] == b)
    if len(hit):
        u, v, k = edges[int(net.arc_edge[lo + int(hit[0])])]
        geom = graph.edges[u, v, k].get("geometry")
        if geom is not None:
            pts = [tuple(c[:2]) for c in geom.coords]
            if u != net.node_ids[a]:
                pts = pts[::-1]  # the arc runs against the edge (walking a one-way street back)
            return [(float(x), float(y)) for x, y in pts[1:]]
    return [(float(net.xy[b][0]), float(net.xy[b][1]))]
