"""Where a township's name label goes on a web map: inside the township, clear of the markers.

A township's label used to sit at its polygon's centre, where the township school usually stands,
and covered its icon. The rule here, the only one every map that labels townships uses
(:func:`geoplan.outputs.maps.add_townships`), places each label at the pole of inaccessibility
(``shapely.ops.polylabel``) of the township minus the marker zones, measured in label units:

1. The map opens fitted to its bounds (Leaflet's ``fitBounds``: the largest whole zoom that
   shows them). :func:`fit_zoom` gives that zoom for the smallest window the map is placed for
   (:data:`LABEL_VIEWPORT_PX`, or the size a map asks for); in a larger window the map opens at
   the same or a closer zoom, where every marker covers fewer metres, so the labels stay clear.
2. In Web Mercator pixels at that zoom (the screen's own projection, so a box on the screen is a
   box here), a label of width ``w`` and height ``h`` centred at ``c`` meets a marker whose icon
   covers the box ``(left, top, right, bottom)`` around its point ``p`` exactly when ``c`` lies in
   that box widened by ``w / 2`` and ``h / 2``: the marker zone.
3. The label's centre goes to the point of the township outside every marker zone farthest from
   the zones and the township's edge, the distance measured with x in label widths and y in
   label heights, so that a long label is kept away from the sides it would cross.
4. Labels are placed smallest township first, and each label placed is a zone for the next.
   When no point of the township is clear (a town smaller than its label, covered by its
   schools' pins), the label goes beside it: to the clear point nearest the township's own pole
   at most a label's height outside it. When there is none either, the label is placed again one
   zoom closer, and the map shows it from that zoom on (hidden until then, rather than drawn over
   the schools or far from its township).
"""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.affinity import scale
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points, polylabel

from geoplan.errors import ArgumentError

__all__ = [
    "LABEL_CSS",
    "LABEL_VIEWPORT_PX",
    "SCHOOL_ICON_BOX_PX",
    "MarkerLayer",
    "circle_box_px",
    "fit_zoom",
    "label_points",
    "label_size_px",
    "metres_per_px",
]

_logger = logging.getLogger(__name__)

_EARTH_RADIUS_M = 6378137.0
_TILE_PX = 256
_MAX_ZOOM = 18

LABEL_VIEWPORT_PX: tuple[int, int] = (1000, 600)
"""Smallest map window (width, height in CSS pixels) full-page maps place their labels for."""

_FONT_PX = 14
_LINE_PX = 18
_PAD_X_PX = 4
_PAD_Y_PX = 2
_NARROW_EM = 0.64
"""Width of a Latin letter or digit in ems, bold: above Noto Sans CJK's and Arial's (about 0.6)."""
_WIDE_EM = 1.0
"""Width of a CJK character (East Asian width W or F) in ems."""
_ZOOMS_IN = 3
"""How many zooms closer than the opening one a label that has no room yet is tried at."""
_MARGIN_PX = 3.0
"""Air kept between a label's box and a marker's."""

LABEL_CSS = (
    ".leaflet-tooltip.geoplan-label{background:transparent;border:none;box-shadow:none;"
    f"padding:{_PAD_Y_PX}px {_PAD_X_PX}px;"
    f"font:600 {_FONT_PX}px/{_LINE_PX}px 'Noto Sans CJK SC','Noto Sans',Arial,sans-serif;"
    "color:#444;text-shadow:0 0 3px #fff}"
    ".leaflet-tooltip.geoplan-label:before{display:none}"
)
"""The label's style: its font and padding are those :func:`label_size_px` measures."""

SCHOOL_ICON_BOX_PX: tuple[float, float, float, float] = (-17.0, -42.0, 26.0, 4.0)
"""An awesome-markers pin and its shadow around the school's point (left, top, right, bottom;
screen pixels, y down): the 35 x 45 icon anchored at (17, 42), the 36 x 16 shadow at (10, 12)."""


def circle_box_px(radius_px: float, weight_px: float) -> tuple[float, float, float, float]:
    """The box a Leaflet circle marker of ``radius_px`` with a ``weight_px`` outline covers."""
    r = float(radius_px) + float(weight_px) / 2
    return (-r, -r, r, r)


@dataclass(frozen=True)
class MarkerLayer:
    """Point markers a label must not cover: their points (any CRS) and each icon's box.

    ``box_px`` is ``(left, top, right, bottom)`` around the point in screen pixels, y down (e.g.
    :data:`SCHOOL_ICON_BOX_PX`, :func:`circle_box_px`).
    """

    points: gpd.GeoDataFrame
    box_px: tuple[float, float, float, float]


def label_size_px(text: str) -> tuple[float, float]:
    """Width and height in CSS pixels of the box of a label showing ``text`` (:data:`LABEL_CSS`).

    An upper estimate: Latin letters at :data:`_NARROW_EM`, CJK characters at one em.
    """
    ems = sum(
        _WIDE_EM if unicodedata.east_asian_width(ch) in ("W", "F") else _NARROW_EM for ch in text
    )
    return (ems * _FONT_PX + 2 * _PAD_X_PX, float(_LINE_PX + 2 * _PAD_Y_PX))


def _mercator_xy(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = np.clip(lat, -85.05112878, 85.05112878)
    x = _EARTH_RADIUS_M * np.radians(lon)
    y = _EARTH_RADIUS_M * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))
    return x, y


def _resolution(zoom: int) -> float:
    """Web Mercator units per screen pixel at ``zoom``."""
    return 2 * math.pi * _EARTH_RADIUS_M / (_TILE_PX * 2.0**zoom)


def fit_zoom(bounds: Sequence[float], size_px: Sequence[float]) -> int:
    """The zoom Leaflet's ``fitBounds`` opens a map of ``size_px`` at to show ``bounds``.

    Parameters
    ----------
    bounds
        ``(minx, miny, maxx, maxy)`` in longitude/latitude.
    size_px
        The map's width and height in CSS pixels.

    Returns
    -------
    int
        The largest whole zoom (0 to 18) at which the bounds fit (Leaflet rounds to 0.01, then
        floors, with ``zoomSnap`` 1 and no padding).
    """
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    x, y = _mercator_xy(np.array([minx, maxx]), np.array([miny, maxy]))
    span_px0 = (abs(x[1] - x[0]) / _resolution(0), abs(y[1] - y[0]) / _resolution(0))
    scales = [s / d for s, d in zip(size_px, span_px0, strict=True) if d > 0]
    if not scales:
        return _MAX_ZOOM
    zoom = math.floor(round(math.log2(min(scales)), 2))
    return int(min(max(zoom, 0), _MAX_ZOOM))


def metres_per_px(zoom: int, lat: float) -> float:
    """Ground metres one screen pixel covers at ``zoom`` and latitude ``lat`` (Web Mercator)."""
    return _resolution(zoom) * math.cos(math.radians(lat))


def _screen(geom: BaseGeometry, res: float) -> BaseGeometry:
    """Lon/lat -> screen pixels at resolution ``res`` (Web Mercator, y down)."""

    def xy(coords: np.ndarray) -> np.ndarray:
        x, y = _mercator_xy(coords[:, 0], coords[:, 1])
        return np.column_stack([x / res, -y / res])

    return shapely.transform(geom, xy)


def _lonlat(x_px: float, y_px: float, res: float) -> tuple[float, float]:
    x, y = x_px * res, -y_px * res
    lon = math.degrees(x / _EARTH_RADIUS_M)
    lat = math.degrees(2 * math.atan(math.exp(y / _EARTH_RADIUS_M)) - math.pi / 2)
    return lon, lat


def _pole(region: BaseGeometry, w: float, h: float) -> tuple[shapely.Point, float]:
    """Pole of inaccessibility of ``region`` with x in label widths, y in heights; its distance."""
    scaled = scale(region, 1 / w, 1 / h, origin=(0, 0))
    parts = [p for p in getattr(scaled, "geoms", [scaled]) if p.geom_type == "Polygon"]
    best: tuple[shapely.Point, float] | None = None
    for part in parts:
        if part.is_empty or part.area <= 0:
            continue
        pole = polylabel(part, tolerance=0.01)
        dist = float(part.exterior.distance(pole))
        for ring in part.interiors:
            dist = min(dist, float(ring.distance(pole)))
        if best is None or dist > best[1]:
            best = (pole, dist)
    if best is None:
        msg = "No polygon area to place a label in."
        raise ArgumentError(msg)
    return shapely.Point(best[0].x * w, best[0].y * h), best[1]


def _clear_pole(
    poly: BaseGeometry, blocked: BaseGeometry | None, w: float, h: float
) -> shapely.Point | None:
    """The pole of the part of ``poly`` outside ``blocked``; ``None`` when no part is."""
    free = poly if blocked is None else poly.difference(blocked)
    if free.is_empty or free.area <= 0:
        return None
    return _pole(free, w, h)[0]


def _beside(
    poly: BaseGeometry, blocked: BaseGeometry | None, w: float, h: float
) -> shapely.Point | None:
    """The clear point nearest the township's pole, at most a label's height outside it."""
    pole, _dist = _pole(poly, w, h)
    for reach in (h / 2, h):
        around = poly.buffer(reach)
        if blocked is not None:
            around = around.difference(blocked)
        if not around.is_empty and around.area > 0:
            return shapely.Point(nearest_points(around, pole)[0])
    return None


def _zones(
    boxes: np.ndarray, w: float, h: float, near: tuple[float, float, float, float]
) -> BaseGeometry | None:
    """Union of the zones a ``w`` x ``h`` label's centre must avoid, of the boxes ``near``."""
    if not len(boxes):
        return None
    grown = boxes + np.array(
        [-w / 2 - _MARGIN_PX, -h / 2 - _MARGIN_PX, w / 2 + _MARGIN_PX, h / 2 + _MARGIN_PX]
    )
    x0, y0, x1, y1 = near
    keep = (grown[:, 0] < x1) & (grown[:, 2] > x0) & (grown[:, 1] < y1) & (grown[:, 3] > y0)
    if not keep.any():
        return None
    return shapely.union_all(shapely.box(*grown[keep].T))


def _union(*zones: BaseGeometry | None) -> BaseGeometry | None:
    both = shapely.union_all([z for z in zones if z is not None])
    return None if both.is_empty else both


def label_points(
    townships: gpd.GeoDataFrame,
    texts: Sequence[str],
    markers: Sequence[MarkerLayer],
    *,
    zoom: int,
) -> gpd.GeoDataFrame:
    """Where each township's label is centred, and from which zoom it is shown.

    Labels are placed smallest township first, each clear of every marker and of the labels
    placed before it. A label with no clear point inside its township, or at most a label's
    height beside it, at ``zoom`` is tried again one zoom closer (up to :data:`_ZOOMS_IN`), and
    is shown only from the first zoom it is clear at; at the closest zoom tried it goes where it
    covers no marker (labels aside), else to its township's pole. A label clear at a zoom stays
    clear closer in: every marker and label then covers fewer metres around its own point.

    Parameters
    ----------
    townships
        Township polygons (any CRS).
    texts
        The label shown for each township, in row order (its length sizes the label).
    markers
        The point markers drawn on the same map, with their icon boxes.
    zoom
        The zoom the map opens at (:func:`fit_zoom`).

    Returns
    -------
    geopandas.GeoDataFrame
        On the townships' index, in EPSG:4326: the label's centre (``geometry``) and
        ``min_zoom``, the zoom it is shown from (``<NA>``: shown as the map opens); the inputs
        are unchanged.
    """
    if len(texts) != len(townships):
        msg = f"{len(texts)} label texts given for {len(townships)} townships; give one per row."
        raise ArgumentError(msg)
    shapes = townships.geometry.to_crs("EPSG:4326")
    anchors = [np.empty((0, 6))]
    for layer in markers:
        if not len(layer.points):
            continue
        pts = layer.points.geometry.to_crs("EPSG:4326")
        pts = pts[~(pts.is_empty | pts.isna())]
        x, y = _mercator_xy(pts.x.to_numpy(), pts.y.to_numpy())
        box = np.broadcast_to(np.array(layer.box_px, dtype=float), (len(x), 4))
        anchors.append(np.column_stack([x, -y, box]))  # y down, as on the screen
    marks = np.vstack(anchors)
    mercator = [None if g is None or g.is_empty else _screen(g, 1.0) for g in shapes]
    sizes = [label_size_px(str(t)) for t in texts]
    # the smallest townships first: they have the least room
    order = sorted(
        ((i, g) for i, g in enumerate(mercator) if g is not None), key=lambda ig: ig[1].area
    )
    fixed: dict[int, tuple[float, float, int]] = {}  # row -> Mercator x, -y of centre; zoom
    last = min(zoom + _ZOOMS_IN, _MAX_ZOOM)
    for z in range(zoom, last + 1):
        res = _resolution(z)
        marker_boxes = marks[:, :2] / res
        marker_boxes = np.column_stack([marker_boxes + marks[:, 2:4], marker_boxes + marks[:, 4:]])
        for i, shape in order:
            if i in fixed:
                continue
            poly = scale(shape, 1 / res, 1 / res, origin=(0, 0))
            w, h = sizes[i]
            x0, y0, x1, y1 = poly.bounds
            near = (x0 - 2 * w, y0 - 2 * h, x1 + 2 * w, y1 + 2 * h)
            placed = np.array(
                [
                    [
                        fx / res - sizes[j][0] / 2,
                        fy / res - sizes[j][1] / 2,
                        fx / res + sizes[j][0] / 2,
                        fy / res + sizes[j][1] / 2,
                    ]
                    for j, (fx, fy, _z) in fixed.items()
                ]
            ).reshape(-1, 4)
            marker_zone = _zones(marker_boxes, w, h, near)
            both = _union(marker_zone, _zones(placed, w, h, near))
            centre = _clear_pole(poly, both, w, h) or _beside(poly, both, w, h)
            if centre is None and z == last:
                centre = _clear_pole(poly, marker_zone, w, h) or _beside(poly, marker_zone, w, h)
                if centre is None:
                    _logger.debug(
                        "township %s: its %.0f x %.0f px label covers a marker at every zoom "
                        "from %d to %d; it goes to the township's centre",
                        townships.index[i],
                        w,
                        h,
                        zoom,
                        last,
                    )
                    centre = _pole(poly, w, h)[0]
            if centre is not None:
                fixed[i] = (centre.x * res, centre.y * res, z)
    points: list[shapely.Point | None] = [None] * len(mercator)
    min_zoom: list[int | None] = [None] * len(mercator)
    for i, (fx, fy, z) in fixed.items():
        points[i] = shapely.Point(*_lonlat(fx, fy, 1.0))
        min_zoom[i] = None if z == zoom else z
    return gpd.GeoDataFrame(
        {"min_zoom": pd.array(min_zoom, dtype="Int64")},
        geometry=gpd.GeoSeries(points, index=townships.index, crs="EPSG:4326"),
        index=townships.index,
    )
