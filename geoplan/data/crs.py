"""Coordinate systems: the metric CRS of a county, and the GCJ-02 / BD-09 offset systems.

GCJ-02 (Amap, Tencent) and BD-09 (Baidu) are obfuscated versions of WGS-84 that Chinese web maps
and phone apps use. The forward transforms are the published formulas; the inverses are solved
by fixed-point iteration until the round trip is below a micro-degree fraction (well under 1 cm).
Every conversion takes and returns longitude, latitude in decimal degrees and is vectorised over
numpy arrays (scalars work too).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
from pyproj import CRS

from geoplan.errors import CRSError

__all__ = [
    "CGCS2000",
    "CHINA_BOUNDS",
    "COORDINATE_SYSTEMS",
    "OFFSET_SYSTEMS",
    "WGS84",
    "FloatArray",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "choose_metric_crs",
    "gauss_kruger_3deg",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_gcj_area",
    "is_cgcs2000",
    "parse_coordinate_system",
    "to_wgs84",
    "utm",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

FloatArray = npt.NDArray[np.float64]
_ArrayLike = Any
"""Anything ``numpy.asarray`` turns into floats: a scalar, a list, an array, a Series."""

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formulas.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0

# Mainland bounding box inside which GCJ-02 applies (outside it GCJ-02 equals WGS-84).
CHINA_BOUNDS: tuple[float, float, float, float] = (72.004, 0.8293, 137.8347, 55.8271)
"""(west, south, east, north) of the box in which the GCJ-02 offset applies, degrees."""

_TOLERANCE_DEG = 1e-11
_MAX_ITER = 30

CGCS2000 = CRS.from_epsg(4490)
WGS84 = CRS.from_epsg(4326)


def in_gcj_area(lon: _ArrayLike, lat: _ArrayLike) -> npt.NDArray[np.bool_]:
    """Whether each WGS-84 ``lon``, ``lat`` lies in :data:`CHINA_BOUNDS`, where GCJ-02 applies."""
    x, y = _as_arrays(lon, lat)
    west, south, east, north = CHINA_BOUNDS
    inside: npt.NDArray[np.bool_] = (x >= west) & (x <= east) & (y >= south) & (y <= north)
    return inside


def _offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS-84 ``lon``, ``lat``."""
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    t_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    )
    t_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (t_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * pi)
    dlon = (t_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * pi)
    inside = in_gcj_area(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _as_arrays(lon: _ArrayLike, lat: _ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    return np.broadcast_arrays(lon_a, lat_a)  # type: ignore[return-value]


def _invert(
    forward: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    lon: FloatArray,
    lat: FloatArray,
    start: tuple[FloatArray, FloatArray],
) -> tuple[FloatArray, FloatArray]:
    """Solve ``forward(x) = (lon, lat)`` by fixed-point iteration from ``start``."""
    x_lon, x_lat = start
    for _ in range(_MAX_ITER):
        f_lon, f_lat = forward(x_lon, x_lat)
        d_lon = f_lon - lon
        d_lat = f_lat - lat
        x_lon = x_lon - d_lon
        x_lat = x_lat - d_lat
        if np.all(np.abs(np.nan_to_num(d_lon)) < _TOLERANCE_DEG) and np.all(
            np.abs(np.nan_to_num(d_lat)) < _TOLERANCE_DEG
        ):
            break
    return x_lon, x_lat


def wgs84_to_gcj02(lon: _ArrayLike, lat: _ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS-84 to GCJ-02 (Amap, Tencent); points outside China are returned unchanged."""
    lon_a, lat_a = _as_arrays(lon, lat)
    d_lon, d_lat = _offset(lon_a, lat_a)
    return lon_a + d_lon, lat_a + d_lat


def gcj02_to_wgs84(lon: _ArrayLike, lat: _ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 to WGS-84, the exact inverse of :func:`wgs84_to_gcj02` (solved by iteration)."""
    lon_a, lat_a = _as_arrays(lon, lat)
    return _invert(wgs84_to_gcj02, lon_a, lat_a, (lon_a, lat_a))


def gcj02_to_bd09(lon: _ArrayLike, lat: _ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 to BD-09 (Baidu)."""
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: _ArrayLike, lat: _ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 to GCJ-02, the exact inverse of :func:`gcj02_to_bd09` (solved by iteration)."""
    lon_a, lat_a = _as_arrays(lon, lat)
    x = lon_a - 0.0065
    y = lat_a - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    start = (z * np.cos(theta), z * np.sin(theta))
    return _invert(gcj02_to_bd09, lon_a, lat_a, start)


def wgs84_to_bd09(lon: _ArrayLike, lat: _ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS-84 to BD-09 (Baidu)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: _ArrayLike, lat: _ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 to WGS-84, the exact inverse of :func:`wgs84_to_bd09`."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


OFFSET_SYSTEMS: dict[str, Callable[[_ArrayLike, _ArrayLike], tuple[FloatArray, FloatArray]]] = {
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
"""Offset coordinate systems by name, with their conversion to WGS-84."""

COORDINATE_SYSTEMS: dict[str, CRS | None] = {
    "wgs84": WGS84,
    "cgcs2000": CGCS2000,
    "gcj02": None,
    "bd09": None,
}
"""Names ``columns.yaml`` may give under ``coordinates`` (also any ``EPSG:xxxx``)."""


def parse_coordinate_system(text: str) -> tuple[CRS, str | None]:
    """The CRS and offset system (``"gcj02"``, ``"bd09"`` or None) a name stands for.

    Parameters
    ----------
    text
        ``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09`` or anything pyproj understands
        (``EPSG:4526``).

    Raises
    ------
    CRSError
        When pyproj does not know the name.
    """
    key = text.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
    if key in OFFSET_SYSTEMS:
        return WGS84, key
    known = COORDINATE_SYSTEMS.get(key)
    if known is not None:
        return known, None
    try:
        return CRS.from_user_input(text.strip()), None
    except Exception as err:  # pyproj raises its own CRSError subclasses
        msg = (
            f"Unknown coordinate system {text!r}. Use wgs84, cgcs2000, gcj02, bd09 or an EPSG "
            "code such as EPSG:4526."
        )
        raise CRSError(msg) from err


def is_cgcs2000(crs: CRS) -> bool:
    """Whether ``crs`` is CGCS2000 or a projection on the CGCS2000 datum."""
    geodetic = crs.geodetic_crs
    if geodetic is None:
        return False
    name = (geodetic.datum.name if geodetic.datum is not None else "") or ""
    return "2000" in name and "China" in name


def gauss_kruger_3deg(lon: float) -> CRS:
    """CGCS2000 3-degree Gauss-Kruger CRS (central meridian 75E-135E) for longitude ``lon``."""
    cm = round(lon / 3.0) * 3
    cm = min(max(cm, 75), 135)
    return CRS.from_epsg(4534 + (cm - 75) // 3)


def utm(lon: float, lat: float) -> CRS:
    """WGS-84 UTM CRS of the zone holding ``lon``, ``lat``."""
    zone = math.floor((lon + 180.0) / 6.0) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def choose_metric_crs(
    gdf_or_bounds: gpd.GeoDataFrame | gpd.GeoSeries | tuple[float, ...], *, source_crs: Any = None
) -> CRS:
    """The metric CRS for data at ``gdf_or_bounds``.

    A projected ``source_crs`` in metres is kept. Otherwise the centre of the data picks the
    CGCS2000 3-degree Gauss-Kruger zone for CGCS2000 data and the UTM zone for anything else.

    Parameters
    ----------
    gdf_or_bounds
        The data, or its bounds ``(west, south, east, north)`` in ``source_crs``.
    source_crs
        CRS of the data; defaults to the GeoDataFrame's own CRS.

    Raises
    ------
    CRSError
        When the CRS is missing.
    """
    if isinstance(gdf_or_bounds, gpd.GeoDataFrame | gpd.GeoSeries):
        crs_in = source_crs if source_crs is not None else gdf_or_bounds.crs
        bounds = tuple(float(v) for v in gdf_or_bounds.total_bounds)
    else:
        crs_in = source_crs
        bounds = tuple(float(v) for v in gdf_or_bounds)
    if crs_in is None:
        msg = "The data has no CRS, so no metric CRS can be chosen. Give `source_crs`."
        raise CRSError(msg)
    crs = CRS.from_user_input(crs_in)
    if crs.is_projected and _in_metres(crs):
        return crs
    west, south, east, north = bounds
    if not all(math.isfinite(v) for v in bounds):
        msg = "The data is empty, so no metric CRS can be chosen from it."
        raise CRSError(msg)
    if crs.is_projected:
        lon, lat = _centre_lonlat(crs, bounds)
    else:
        lon, lat = (west + east) / 2.0, (south + north) / 2.0
    if is_cgcs2000(crs):
        return gauss_kruger_3deg(lon)
    return utm(lon, lat)


def _in_metres(crs: CRS) -> bool:
    return all((axis.unit_name or "").lower() in ("metre", "meter", "m") for axis in crs.axis_info)


def _centre_lonlat(crs: CRS, bounds: tuple[float, ...]) -> tuple[float, float]:
    from pyproj import Transformer

    west, south, east, north = bounds
    tr = Transformer.from_crs(crs, WGS84, always_xy=True)
    lon, lat = tr.transform((west + east) / 2.0, (south + north) / 2.0)
    return float(lon), float(lat)


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``gdf`` in EPSG:4326 (for web maps only).

    Raises
    ------
    CRSError
        When ``gdf`` has no CRS.
    """
    if gdf.crs is None:
        msg = "The layer has no CRS; set one before converting it to WGS-84."
        raise CRSError(msg)
    out: gpd.GeoDataFrame = gdf.to_crs(WGS84)
    return out
