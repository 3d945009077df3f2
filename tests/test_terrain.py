"""Tests of geoplan.network.terrain: Tobler's hiking function and DEM elevations on the graph."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from shapely import Point

from geoplan.errors import CRSError
from geoplan.network.modes import CHILD_WALK
from geoplan.network.terrain import add_node_elevations, tobler_factor, walking_minutes
from geoplan.network.travel import travel_matrix

CRS = "EPSG:32645"


def test_tobler_known_values() -> None:
    # Tobler: 6 exp(-3.5 |s + 0.05|) km/h; 5.04 km/h on the flat; 6 km/h at 5 % downhill
    assert tobler_factor(0.0) == pytest.approx(1.0)
    assert 5.04 * tobler_factor(-0.05) == pytest.approx(6.0, rel=1e-3)
    assert 5.04 * tobler_factor(0.1) == pytest.approx(6 * np.exp(-3.5 * 0.15), rel=1e-3)
    assert tobler_factor(0.1) < tobler_factor(-0.1)  # uphill slower than downhill
    # 1 km on the flat at 3 km/h = 20 min
    assert walking_minutes(np.array([1000.0]), np.array([0.0]), flat_kph=3.0)[0] == pytest.approx(
        20.0
    )


def write_dem(path: Path) -> None:
    """A 2 km x 1 km slope rising 100 m per km eastwards (10 %), 10 m cells."""
    width, height = 200, 100
    x = np.arange(width) * 10.0 + 5.0
    elev = np.tile(x * 0.1, (height, 1)).astype("float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs=CRS,
        transform=Affine(10.0, 0.0, 0.0, 0.0, -10.0, 1000.0),
    ) as dst:
        dst.write(elev, 1)


def slope_graph() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(crs=CRS)
    g.add_node(1, x=105.0, y=505.0)
    g.add_node(2, x=1105.0, y=505.0)
    for u, v in ((1, 2), (2, 1)):
        g.add_edge(u, v, length=1000.0, highway="path", osmid=1)
    return g


def test_uphill_walk_is_slower_than_downhill(tmp_path: Path) -> None:
    dem = tmp_path / "dem.tif"
    write_dem(dem)
    g = add_node_elevations(slope_graph(), dem)
    assert g.nodes[1]["elevation"] == pytest.approx(10.5)
    assert g.nodes[2]["elevation"] == pytest.approx(110.5)
    low = gpd.GeoDataFrame(geometry=[Point(105, 505)], index=pd.Index(["low"], name="id"), crs=CRS)
    high = gpd.GeoDataFrame(
        geometry=[Point(1105, 505)], index=pd.Index(["high"], name="id"), crs=CRS
    )
    up = travel_matrix(g, low, high, mode=CHILD_WALK, cache_dir=tmp_path)
    down = travel_matrix(g, high, low, mode=CHILD_WALK, cache_dir=tmp_path)
    assert up.minutes[0, 0] == pytest.approx(20.0 / np.exp(-3.5 * 0.1), rel=1e-5)
    assert down.minutes[0, 0] == pytest.approx(20.0 / np.exp(-3.5 * 0.0), rel=1e-5)
    assert up.minutes[0, 0] > down.minutes[0, 0]
    assert up.metres[0, 0] == pytest.approx(1000.0) == down.metres[0, 0]
    flat = travel_matrix(slope_graph(), low, high, mode=CHILD_WALK, cache_dir=tmp_path)
    assert flat.minutes[0, 0] == pytest.approx(20.0)


def test_dem_in_another_crs_is_refused(tmp_path: Path) -> None:
    dem = tmp_path / "dem.tif"
    write_dem(dem)
    g = slope_graph()
    g.graph["crs"] = "EPSG:32644"
    with pytest.raises(CRSError, match="reproject"):
        add_node_elevations(g, dem)
