"""GCJ-02 / BD-09 conversions against independent implementations, and metric CRS choice."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS, Geod
from shapely.geometry import Point

from geoplan.data import crs as gcrs
from geoplan.errors import CRSError

coordtransform = pytest.importorskip("coordTransform.coordTransform")
eviltransform = pytest.importorskip("eviltransform")

GEOD = Geod(ellps="WGS84")

# A grid across China: 74E-134E, 19N-53N (includes Xinjiang, the coast and the north-east).
LONS, LATS = np.meshgrid(np.arange(74.0, 134.1, 3.7), np.arange(19.0, 53.1, 2.3))
LON = LONS.ravel()
LAT = LATS.ravel()


def _metres(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    _, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist)


def _china(lon: float, lat: float) -> bool:
    return not coordtransform.out_of_china(lon, lat)


FORWARD = [
    # ours, coordTransform name (lng, lat), eviltransform name (lat, lng)
    (gcrs.wgs84_to_gcj02, "wgs84_to_gcj02", "wgs2gcj"),
    (gcrs.wgs84_to_bd09, "wgs84_to_bd09", "wgs2bd"),
    (gcrs.gcj02_to_bd09, "gcj02_to_bd09", "gcj2bd"),
]


def _theirs(name_ct: str, name_evil: str, lon: np.ndarray, lat: np.ndarray):
    ct = np.array([getattr(coordtransform, name_ct)(a, b) for a, b in zip(lon, lat, strict=True)])
    ev = np.array([getattr(eviltransform, name_evil)(b, a) for a, b in zip(lon, lat, strict=True)])
    return (ct[:, 0], ct[:, 1]), (ev[:, 1], ev[:, 0])


def test_grid_is_mostly_in_china() -> None:
    assert sum(_china(a, b) for a, b in zip(LON, LAT, strict=True)) > 100


@pytest.mark.parametrize(("ours", "name_ct", "name_evil"), FORWARD)
def test_forward_agrees_with_independent_implementations(ours, name_ct, name_evil) -> None:
    lon, lat = ours(LON, LAT)
    (ct_lon, ct_lat), (ev_lon, ev_lat) = _theirs(name_ct, name_evil, LON, LAT)
    assert _metres(lon, lat, ct_lon, ct_lat).max() < 1.0
    assert _metres(lon, lat, ev_lon, ev_lat).max() < 1.0


@pytest.mark.parametrize(
    ("inverse", "name_ct", "name_evil"),
    [
        (gcrs.gcj02_to_wgs84, "wgs84_to_gcj02", "wgs2gcj"),
        (gcrs.bd09_to_wgs84, "wgs84_to_bd09", "wgs2bd"),
        (gcrs.bd09_to_gcj02, "gcj02_to_bd09", "gcj2bd"),
    ],
)
def test_inverse_is_undone_by_independent_forward(inverse, name_ct, name_evil) -> None:
    # The libraries' own inverses are one-step approximations (metres off); so check that their
    # forward transforms take our inverse back to the input.
    lon, lat = inverse(LON, LAT)
    (ct_lon, ct_lat), (ev_lon, ev_lat) = _theirs(name_ct, name_evil, lon, lat)
    assert _metres(LON, LAT, ct_lon, ct_lat).max() < 1.0
    assert _metres(LON, LAT, ev_lon, ev_lat).max() < 1.0


def test_gcj_inverse_agrees_with_eviltransform_exact() -> None:
    lon, lat = gcrs.gcj02_to_wgs84(LON, LAT)
    ev = np.array([eviltransform.gcj2wgs_exact(b, a) for a, b in zip(LON, LAT, strict=True)])
    assert _metres(lon, lat, ev[:, 1], ev[:, 0]).max() < 1.0


def test_offset_in_hejing_is_a_few_hundred_metres() -> None:
    lon, lat = gcrs.wgs84_to_gcj02(86.39, 42.32)
    east = float(_metres(86.39, 42.32, lon, 42.32))
    north = float(_metres(86.39, 42.32, 86.39, lat))
    assert 100 < east < 400 and 50 < north < 300


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [
        (gcrs.wgs84_to_gcj02, gcrs.gcj02_to_wgs84),
        (gcrs.wgs84_to_bd09, gcrs.bd09_to_wgs84),
        (gcrs.gcj02_to_bd09, gcrs.bd09_to_gcj02),
    ],
)
def test_round_trip_below_one_centimetre(forward, inverse) -> None:
    back_lon, back_lat = inverse(*forward(LON, LAT))
    assert _metres(LON, LAT, back_lon, back_lat).max() < 0.01
    again_lon, again_lat = forward(*inverse(LON, LAT))
    assert _metres(LON, LAT, again_lon, again_lat).max() < 0.01


def test_outside_china_unchanged_and_scalars_work() -> None:
    lon, lat = gcrs.wgs84_to_gcj02(2.35, 48.85)
    assert float(lon) == 2.35 and float(lat) == 48.85
    lon, lat = gcrs.gcj02_to_wgs84(86.5, 42.3)
    assert np.ndim(lon) == 0


def test_choose_metric_crs() -> None:
    pts = gpd.GeoDataFrame(geometry=[Point(86.4, 42.3), Point(86.6, 42.4)], crs=4326)
    assert gcrs.choose_metric_crs(pts).to_epsg() == 32645
    assert gcrs.choose_metric_crs(pts.set_crs(4490, allow_override=True)).to_epsg() == 4538
    # 3-degree zone of central meridian 87E is EPSG:4538 (4534 = 75E)
    assert "87" in CRS.from_epsg(4538).name
    assert gcrs.choose_metric_crs((86.4, 42.3, 86.6, 42.4), source_crs=4490).to_epsg() == 4538
    projected = pts.to_crs(4538)
    assert gcrs.choose_metric_crs(projected).to_epsg() == 4538
    southern = gpd.GeoDataFrame(geometry=[Point(-70, -33)], crs=4326)
    assert gcrs.choose_metric_crs(southern).to_epsg() == 32719
    with pytest.raises(CRSError):
        gcrs.choose_metric_crs(gpd.GeoDataFrame(geometry=[Point(86, 42)]))


def test_parse_coordinate_system() -> None:
    assert gcrs.parse_coordinate_system("GCJ-02") == (gcrs.WGS84, "gcj02")
    assert gcrs.parse_coordinate_system("cgcs2000")[0].to_epsg() == 4490
    assert gcrs.parse_coordinate_system("EPSG:4526")[0].to_epsg() == 4526
    with pytest.raises(CRSError, match="Unknown coordinate system"):
        gcrs.parse_coordinate_system("mars")


def test_to_wgs84_and_is_cgcs2000() -> None:
    pts = gpd.GeoDataFrame(geometry=[Point(500000, 4680000)], crs=4538)
    out = gcrs.to_wgs84(pts)
    assert out.crs.to_epsg() == 4326 and pts.crs.to_epsg() == 4538
    assert abs(out.geometry.x.iloc[0] - 87.0) < 1e-6
    assert gcrs.is_cgcs2000(CRS.from_epsg(4538)) and not gcrs.is_cgcs2000(CRS.from_epsg(32645))
