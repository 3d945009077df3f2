"""Terrain: node elevations from a DEM and slope-aware walking times (Tobler's hiking function).

Tobler's function gives a walking speed of ``6 exp(-3.5 |s + 0.05|)`` km/h on a slope ``s``
(rise over run): fastest slightly downhill, slower uphill than downhill. geoplan scales it so that
the speed on flat ground equals the travel mode's walking speed.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np

from geoplan._extras import import_extra
from geoplan.errors import CRSError, InputFileError, MissingInputError

__all__ = [
    "TOBLER_DECAY",
    "TOBLER_FLAT_OFFSET",
    "add_node_elevations",
    "tobler_factor",
    "walking_minutes",
]

TOBLER_FLAT_OFFSET = 0.05
TOBLER_DECAY = 3.5


def tobler_factor(slope: np.ndarray | float) -> np.ndarray:
    """Walking speed on ``slope`` (rise/run, signed) relative to the speed on flat ground."""
    s = np.asarray(slope, dtype=float)
    return np.exp(-TOBLER_DECAY * (np.abs(s + TOBLER_FLAT_OFFSET) - TOBLER_FLAT_OFFSET))


def walking_minutes(
    length_m: np.ndarray, rise_m: np.ndarray, *, flat_kph: np.ndarray | float
) -> np.ndarray:
    """Minutes to walk edges of ``length_m`` climbing ``rise_m`` (negative: descending).

    Parameters
    ----------
    length_m
        Edge lengths along the ground, metres.
    rise_m
        Elevation gain from the start to the end of each edge, metres.
    flat_kph
        Walking speed on flat ground, km/h.
    """
    length = np.asarray(length_m, dtype=float)
    rise = np.asarray(rise_m, dtype=float)
    slope = np.divide(rise, length, out=np.zeros_like(length), where=length > 0)
    speed_m_per_min = np.asarray(flat_kph, dtype=float) * 1000.0 / 60.0 * tobler_factor(slope)
    minutes: np.ndarray = length / speed_m_per_min
    return minutes


def add_node_elevations(graph: nx.MultiDiGraph, dem_path: str | Path) -> nx.MultiDiGraph:
    """A copy of ``graph`` with node ``elevation`` (m) read from a DEM GeoTIFF.

    The DEM must be in the graph's CRS (reproject it with ``gdalwarp`` or rasterio first).
    """
    import osmnx as ox
    from pyproj import CRS

    rasterio = import_extra(
        "rasterio", extra="terrain", feature="Reading a DEM (slope-aware walking)"
    )
    path = Path(dem_path)
    if not path.exists():
        msg = f"{path}: DEM file not found. Fix: check the path."
        raise MissingInputError(msg)
    try:
        with rasterio.open(path) as src:
            dem_crs = src.crs
    except rasterio.errors.RasterioIOError as err:
        msg = f"{path}: cannot read the DEM ({err}). Fix: give a GeoTIFF."
        raise InputFileError(msg) from err
    graph_crs = graph.graph.get("crs")
    if dem_crs is None or graph_crs is None or CRS.from_user_input(dem_crs) != CRS(graph_crs):
        msg = (
            f"{path}: the DEM CRS ({dem_crs}) differs from the road graph CRS ({graph_crs}). "
            "Fix: reproject the DEM to the graph CRS."
        )
        raise CRSError(msg)
    out = graph.copy()
    out = ox.elevation.add_node_elevations_raster(out, path, cpus=1)
    return out
