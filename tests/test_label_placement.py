"""Tests of geoplan.outputs.label_placement: labels inside their township, clear of markers."""

from __future__ import annotations

import geopandas as gpd
import shapely
from shapely.geometry import Point, box

from geoplan.outputs.label_placement import (
    SCHOOL_ICON_BOX_PX,
    MarkerLayer,
    label_points,
    label_size_px,
    metres_per_px,
)

CRS = "EPSG:32645"  # UTM 45N, metres (Xinjiang)


def test_label_inside_township_and_clear_of_its_central_school() -> None:
    town = gpd.GeoDataFrame(
        {"name": ["Alpha Township"]},
        geometry=[box(400_000, 4_800_000, 420_000, 4_820_000)],
        crs=CRS,
    )
    school = gpd.GeoDataFrame(geometry=[Point(410_000, 4_810_000)], crs=CRS)
    zoom = 10
    placed = label_points(
        town, ["Alpha Township"], [MarkerLayer(school, SCHOOL_ICON_BOX_PX)], zoom=zoom
    )
    at = placed.to_crs(CRS).geometry.iloc[0]
    assert town.geometry.iloc[0].contains(at)
    assert placed["min_zoom"].isna().all()  # shown as the map opens
    # at least half the label's height plus the pin's depth below / its top above, in metres
    m_px = metres_per_px(zoom, float(placed.geometry.iloc[0].y))
    _w, h = label_size_px("Alpha Township")
    clearance_m = (h / 2 + 4) * m_px
    assert at.distance(school.geometry.iloc[0]) >= clearance_m
    # the label's box (screen pixels around the point) meets neither the pin nor its shadow
    dx, dy = (at.x - 410_000) / m_px, -(at.y - 4_810_000) / m_px
    w, h = label_size_px("Alpha Township")
    label = box(dx - w / 2, dy - h / 2, dx + w / 2, dy + h / 2)
    assert not label.intersects(box(*SCHOOL_ICON_BOX_PX))


def test_without_centre_the_label_would_cover_the_school() -> None:
    """The case above is a real one: the township's own centre is under the pin."""
    poly = box(400_000, 4_800_000, 420_000, 4_820_000)
    assert shapely.centroid(poly).distance(Point(410_000, 4_810_000)) == 0


def test_no_room_inside_label_goes_just_beside() -> None:
    """A township far smaller than its label, its school inside: the label goes just beside it."""
    town = gpd.GeoDataFrame(geometry=[box(400_000, 4_800_000, 401_000, 4_801_000)], crs=CRS)
    school = gpd.GeoDataFrame(geometry=[Point(400_500, 4_800_500)], crs=CRS)
    zoom = 9
    placed = label_points(
        town, ["Bayan Yar Town"], [MarkerLayer(school, SCHOOL_ICON_BOX_PX)], zoom=zoom
    )
    at = placed.to_crs(CRS).geometry.iloc[0]
    m_px = metres_per_px(zoom, float(placed.geometry.iloc[0].y))
    w, h = label_size_px("Bayan Yar Town")
    assert placed["min_zoom"].isna().all()
    assert town.geometry.iloc[0].distance(at) <= (h + 1) * m_px  # at most a label's height out
    dx, dy = (at.x - 400_500) / m_px, -(at.y - 4_800_500) / m_px
    assert not box(dx - w / 2, dy - h / 2, dx + w / 2, dy + h / 2).intersects(
        box(*SCHOOL_ICON_BOX_PX)
    )
