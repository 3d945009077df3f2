"""A mode's routable network on disk, so a warm run skips converting a large road graph.

Converting a province graph (~900,000 edges) into a :class:`~geoplan.network.modes.ModeNetwork`
walks every edge in Python (10-15 s per mode); reading its arrays back from one ``.npz`` takes
about a second. Only graphs read by :func:`geoplan.network.roads.load_graph` are cached, keyed by
that load's key (the road files' bytes and options), so a cached network can only belong to the
same roads; the mode, closures, CRS, the code's digest and the libraries' versions complete the key
(:func:`network_cache_file`).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import CRS
from scipy.sparse import csr_matrix

from geoplan.atomic import atomic_path
from geoplan.errors import NetworkError
from geoplan.network.modes import Closure, ModeNetwork, RoadEdges, TravelMode
from geoplan.network.roads import _no_gc

_logger = logging.getLogger(__name__)

NETWORK_CACHE_VERSION = 2
"""Part of every network cache key (with the code digest and library versions the caller adds)."""

_ARRAYS = ("xy", "arc_edge", "main")
_EDGE_ARRAYS = ("start", "end", "length_m", "forward_min", "backward_min", "main")


def network_cache_file(
    folder: Path,
    *,
    source_key: str,
    stamp: str,
    crs_text: str,
    mode: TravelMode,
    closures: tuple[Closure, ...],
) -> Path:
    """The cache file of one mode's network of the graph loaded with ``source_key``.

    ``stamp`` is what made the network (:func:`geoplan.network.roads._cache_stamp`).
    """
    h = hashlib.sha256()
    h.update(f"{NETWORK_CACHE_VERSION}|{stamp}|{source_key}|{crs_text}|".encode())
    h.update(mode.fingerprint().encode())
    h.update(repr([c.fingerprint() for c in closures]).encode())
    return folder / f"network_{mode.name}_{h.hexdigest()[:32]}.npz"


_NONE, _INT, _FLOAT, _TEXT = 0, 1, 2, 3


def _ids_arrays(prefix: str, values: Any) -> dict[str, np.ndarray]:
    """Node or way ids as arrays that keep each id's type (7 stays 7, "local_7" stays text).

    A graph with local roads mixes OSM's integer ids with text ones; turning them all into text
    would make the cached network's ids differ from the graph's. An id of another type refuses
    the cache (a NetworkError, a ValueError the writer catches).
    """
    kinds = np.empty(len(values), dtype=np.int8)
    ints = np.zeros(len(values), dtype=np.int64)
    floats = np.zeros(len(values), dtype=float)
    texts = [""] * len(values)
    for k, v in enumerate(values):
        if v is None:
            kinds[k] = _NONE
        elif isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_):
            kinds[k], ints[k] = _INT, v
        elif isinstance(v, float | np.floating):
            kinds[k], floats[k] = _FLOAT, v
        elif isinstance(v, str):
            kinds[k], texts[k] = _TEXT, v
        else:
            msg = f"id {v!r} is neither a whole number nor text"
            raise NetworkError(msg)
    return {
        f"{prefix}_kind": kinds,
        f"{prefix}_int": ints,
        f"{prefix}_float": floats,
        f"{prefix}_text": np.array(texts, dtype=str),
    }


def _ids(prefix: str, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """The ids :func:`_ids_arrays` stored, as an object array of ints, floats, text and None."""
    kinds = arrays[f"{prefix}_kind"]
    out = np.empty(len(kinds), dtype=object)
    out[:] = None
    for kind, name in ((_INT, "int"), (_FLOAT, "float"), (_TEXT, "text")):
        rows = np.flatnonzero(kinds == kind)
        out[rows] = arrays[f"{prefix}_{name}"][rows].tolist()
    return out


def write_network_cache(path: Path, net: ModeNetwork) -> None:
    """Write ``net``'s arrays to ``path`` (atomically); a failure only warns."""
    try:
        with _no_gc():
            arrays = _arrays(net)
        with atomic_path(path) as tmp:
            np.savez(tmp, **arrays)
    except (OSError, ValueError, TypeError, OverflowError) as err:  # a full disk, an odd id
        _logger.warning("Cannot write the network cache %s (%s); continuing without.", path, err)


def _arrays(net: ModeNetwork) -> dict[str, Any]:
    edges = net.edges
    ways, names = edges.labels(range(len(edges)))
    geometry = edges.geometry
    kind, coords, offsets = shapely.to_ragged_array(geometry)
    arrays: dict[str, Any] = {
        **_ids_arrays("node_ids", net.node_ids),
        **_ids_arrays("way_ids", ways),
        "metres_indptr": net.metres.indptr,
        "metres_indices": net.metres.indices,
        "metres_data": net.metres.data,
        "minutes_indptr": net.minutes.indptr,
        "minutes_indices": net.minutes.indices,
        "minutes_data": net.minutes.data,
        "geometry_kind": np.array(int(kind)),
        "geometry_has_z": shapely.has_z(geometry),
        "geometry_coords": coords,
        "highway": edges.highway.astype(str),
        "names": np.array(["" if n is None else n for n in names], dtype=str),
        "has_name": np.array([n is not None for n in names], dtype=bool),
        "flags": np.array(
            [net.time_follows_length, net.closed_edges, net.closed_by_access, net.barriers],
            dtype=np.int64,
        ),
        "crs": np.array("" if net.crs is None else CRS.from_user_input(net.crs).to_wkt()),
        "shape": np.array(net.metres.shape, dtype=np.int64),
    }
    for k, part in enumerate(offsets):
        arrays[f"geometry_offsets_{k}"] = part
    for name in _ARRAYS:
        arrays[name] = getattr(net, name)
    for name in _EDGE_ARRAYS:
        arrays[f"edge_{name}"] = getattr(edges, name)
    return arrays


def read_network_cache(
    path: Path, mode: TravelMode, closures: tuple[Closure, ...]
) -> ModeNetwork | None:
    """The network :func:`write_network_cache` wrote at ``path``; None when absent or unreadable."""
    if not path.is_file():
        return None
    try:
        with _no_gc():
            net = _network(path, mode, closures)
    except Exception as err:  # a truncated or foreign file: convert again
        _logger.warning("Network cache %s unreadable (%s); converting the graph.", path, err)
        return None
    _logger.info("Network for %s read from cache %s.", mode.name, path)
    return net


def _network(path: Path, mode: TravelMode, closures: tuple[Closure, ...]) -> ModeNetwork:
    with np.load(path, allow_pickle=False) as f:
        a = {name: f[name] for name in f.files}
    shape = tuple(int(v) for v in a["shape"])
    metres = csr_matrix((a["metres_data"], a["metres_indices"], a["metres_indptr"]), shape=shape)
    minutes = csr_matrix(
        (a["minutes_data"], a["minutes_indices"], a["minutes_indptr"]), shape=shape
    )
    offsets = tuple(a[f"geometry_offsets_{k}"] for k in range(_count_offsets(a)))
    geometry = shapely.from_ragged_array(
        shapely.GeometryType(int(a["geometry_kind"])), a["geometry_coords"], offsets
    )
    flat = ~a["geometry_has_z"]  # 2-D lines beside 3-D ones came back with NaN heights
    if flat.any() and shapely.has_z(geometry).any():
        geometry[flat] = shapely.force_2d(geometry[flat])
    names = np.where(a["has_name"], a["names"].astype(object), None)
    ways = _ids("way_ids", a)
    data = np.empty(len(geometry), dtype=object)
    data[:] = [{"osmid": w, "name": n} for w, n in zip(ways, names, strict=True)]
    edges = RoadEdges(
        geometry=np.asarray(geometry, dtype=object),
        highway=a["highway"].astype(object),
        data=data,
        **{name: a[f"edge_{name}"] for name in _EDGE_ARRAYS},
    )
    follows, closed, by_access, barriers = (int(v) for v in a["flags"])
    crs = CRS.from_wkt(str(a["crs"])) if str(a["crs"]) else None
    return ModeNetwork(
        mode=mode,
        node_ids=_ids("node_ids", a),
        metres=metres,
        minutes=minutes,
        time_follows_length=bool(follows),
        closed_edges=closed,
        crs=crs,
        edges=edges,
        closed_by_access=by_access,
        barriers=barriers,
        closures=closures,
        **{name: a[name] for name in _ARRAYS},
    )


def _count_offsets(arrays: dict[str, np.ndarray]) -> int:
    k = 0
    while f"geometry_offsets_{k}" in arrays:
        k += 1
    return k
