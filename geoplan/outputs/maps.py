"""Folium maps of a planning area that open offline and never run a script hidden in a name.

Small composable functions build a map layer by layer: :func:`new_map`, :func:`add_townships`,
:func:`add_villages`, :func:`add_schools`, :func:`add_sites`, :func:`add_roads`,
:func:`add_legend`, :func:`add_layer_control`; :func:`overview_map` composes them for a county and
:func:`save_offline` writes one self-contained HTML file (assets inlined by ``_offline``).

Every string that comes from a file goes through :func:`escape` before it reaches the page:
folium's tooltips, popups and layer names insert text into HTML (and JavaScript template
literals) unescaped. Values are escaped once, so the browser shows them as the literal text.
Layers are reprojected to EPSG:4326 for drawing only, simplified to display precision and rounded.
"""

from __future__ import annotations

import html
import logging
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium import plugins
from folium.template import Template
from folium.utilities import JsCode

from geoplan.atomic import write_atomic
from geoplan.data.area import PlanningArea
from geoplan.data.crs import wgs84_to_gcj02
from geoplan.errors import ArgumentError, ArgumentTypeError
from geoplan.outputs._offline import inline_assets
from geoplan.outputs.label_placement import (
    LABEL_CSS,
    LABEL_VIEWPORT_PX,
    SCHOOL_ICON_BOX_PX,
    MarkerLayer,
    circle_box_px,
    fit_zoom,
    label_points,
)
from geoplan.outputs.labels import MAP_LABELS, texts
from geoplan.rules import BANDS, SCHOOL_KINDS, grade_label

__all__ = [
    "BASEMAPS",
    "CATEGORY_COLORS",
    "COUNTY_FILL",
    "PAGE_COLOR",
    "ROAD_COLOR",
    "SCALE_BAR_CLEARANCE_PX",
    "SCHOOL_STYLE",
    "SITE_COLOR",
    "TOWNSHIP_LINE",
    "VILLAGE_COLOR",
    "WEB_CRS",
    "add_basemap",
    "add_layer_control",
    "add_legend",
    "add_roads",
    "add_school_legend",
    "add_schools",
    "add_sites",
    "add_tools",
    "add_townships",
    "add_villages",
    "bounds_of",
    "dual_map",
    "escape",
    "feature_layer",
    "frame_of",
    "html_table",
    "new_map",
    "overview_map",
    "render_offline",
    "save_offline",
    "school_color",
    "school_markers",
    "site_markers",
    "to_display",
]

_logger = logging.getLogger(__name__)

WEB_CRS = "EPSG:4326"
PAGE_COLOR = "#f3f1ec"
"""Neutral page colour shown where no layer is drawn (no tiles offline)."""
COUNTY_FILL = "#e6e2d3"


SCHOOL_STYLE: Mapping[str, tuple[str, str]] = {
    "teaching_point": ("orange", "book-open"),
    "primary": ("blue", "child"),
    "central_primary": ("darkblue", "school"),
    "nine_year": ("darkred", "building-columns"),
    "middle": ("darkgreen", "graduation-cap"),
}
"""Awesome-markers colour and Font Awesome 6 (solid) icon of each school kind."""

_SITE_RADIUS_PX = 6
_SITE_WEIGHT_PX = 3

_MARKER_HEX = {
    "orange": "#f69730",
    "blue": "#38aadd",
    "darkblue": "#0067a3",
    "darkred": "#a23336",
    "darkgreen": "#728224",
}


def school_color(kind: str) -> str:
    """The hex colour of a school kind's marker (:data:`SCHOOL_STYLE`); grey for others."""
    return _MARKER_HEX.get(SCHOOL_STYLE.get(kind, ("gray", ""))[0], "#575757")


VILLAGE_COLOR = "#2b6cb0"
SITE_COLOR = "#7b3294"
ROAD_COLOR = "#8c6d46"
SCALE_BAR_CLEARANCE_PX = 40
"""Height kept free above the bottom-left scale bar (one line, kilometres or metres)."""
TOWNSHIP_LINE = "#7a7a7a"
CATEGORY_COLORS: tuple[str, ...] = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#666666",
)


def _figure(m: folium.Map) -> folium.Figure:
    root = m.get_root()
    if not isinstance(root, folium.Figure):
        msg = "The map must belong to a folium Figure (create it with folium.Map)."
        raise ArgumentTypeError(msg)
    return root


def escape(value: object) -> str:
    """Text made safe for HTML, attribute values and JavaScript template literals.

    Parameters
    ----------
    value
        Any value; ``None`` and NaN become ``""``.

    Returns
    -------
    str
        ``html.escape`` of the text, with the backtick, ``$`` and backslash also replaced by
        character references (folium puts tooltip text inside JavaScript template literals).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    text = html.escape(str(value), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def _format(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        if math.isnan(float(value)):
            return ""
        if float(value).is_integer():
            return f"{int(value):,}"
        return f"{float(value):,.1f}"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return escape(value)


def html_table(rows: Sequence[tuple[str, object]], *, title: object = None) -> str:
    """A small HTML table of label/value rows, every text escaped.

    Parameters
    ----------
    rows
        ``(label, value)`` pairs; numbers are formatted, text is escaped.
    title
        Optional caption (escaped).

    Returns
    -------
    str
        HTML.
    """
    head = f"<b>{escape(title)}</b>" if title is not None else ""
    body = "".join(
        f"<tr><th style='text-align:left;padding-right:6px'>{escape(label)}</th>"
        f"<td>{_format(value)}</td></tr>"
        for label, value in rows
    )
    return f"{head}<table>{body}</table>"


def to_display(
    gdf: gpd.GeoDataFrame,
    *,
    tolerance_m: float = 20.0,
    decimals: int = 6,
    gcj02: bool = False,
) -> gpd.GeoDataFrame:
    """A copy of ``gdf`` in EPSG:4326, simplified to display precision and rounded.

    Parameters
    ----------
    gdf
        A layer in any CRS (a projected one is simplified in metres before reprojection).
    tolerance_m
        Simplification tolerance in metres for lines and polygons (0: none).
    decimals
        Decimal places kept in longitude and latitude.
    gcj02
        Shift the coordinates to GCJ-02, to line up with Amap/Gaode tiles.

    Returns
    -------
    geopandas.GeoDataFrame
        The drawn copy; the input is not changed.
    """
    out = gdf.copy()
    if out.crs is None:
        msg = "The layer has no CRS; set one (e.g. gdf.set_crs(...)) before drawing it."
        raise ArgumentError(msg)
    geoms = out.geometry
    not_points = ~geoms.geom_type.isin(["Point", "MultiPoint"])
    if tolerance_m > 0 and bool(not_points.any()) and out.crs.is_projected:
        geoms = geoms.where(~not_points, geoms.simplify(tolerance_m, preserve_topology=True))
        out = out.set_geometry(geoms)
    out = out.to_crs(WEB_CRS)
    values = out.geometry.values
    if gcj02:
        values = shapely.transform(values, _gcj02_xy)
    rounded = shapely.set_precision(values, 10.0**-decimals)
    return out.set_geometry(gpd.GeoSeries(rounded, index=out.index, crs=WEB_CRS))


def _gcj02_xy(xy: np.ndarray) -> np.ndarray:
    lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def _feature_collection(
    gdf: gpd.GeoDataFrame, properties: Mapping[str, Sequence[Any]]
) -> dict[str, Any]:
    features = []
    for i, (fid, geom) in enumerate(zip(gdf.index, gdf.geometry, strict=True)):
        if geom is None or geom.is_empty:
            continue
        features.append(
            {
                "type": "Feature",
                "id": str(fid),
                "geometry": shapely.geometry.mapping(geom),
                "properties": {key: values[i] for key, values in properties.items()},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def feature_layer(
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    tips: Sequence[str],
    popups: Sequence[str],
    styles: Sequence[Mapping[str, Any]],
    marker: folium.Marker | folium.CircleMarker | None = None,
    show: bool = True,
    permanent_tips: bool = False,
    tip_at: Sequence[tuple[float, float] | None] | None = None,
    tip_from: Sequence[int | None] | None = None,
) -> folium.GeoJson:
    """A GeoJSON layer whose tooltips and popups are given, already escaped, per feature.

    Parameters
    ----------
    gdf
        The drawn copy (:func:`to_display`); a ``name`` column becomes searchable.
    name
        Layer name (escaped here).
    tips, popups
        Escaped HTML per feature (:func:`escape`, :func:`html_table`).
    styles
        Leaflet path (or awesome-marker) options per feature.
    marker
        How points are drawn (default: Leaflet's marker).
    show
        Whether the layer is on when the map opens.
    permanent_tips
        Show tooltips as permanent labels.
    tip_at
        Where each feature's permanent label is centred, ``(lat, lon)`` in the drawn frame
        (``None``: Leaflet's default, the polygon's centre).
    tip_from
        The zoom from which each feature's permanent label is shown (``None``: always).

    Returns
    -------
    folium.GeoJson
        The layer (not yet added to a map).
    """
    style_list = [dict(s) for s in styles]
    props: dict[str, Sequence[Any]] = {
        "tip": list(tips),
        "popup": list(popups),
        "style_index": list(range(len(gdf))),
    }
    if "name" in gdf.columns:
        props["name"] = [escape(n) for n in gdf["name"]]
    if tip_at is not None:
        props["tip_at"] = [None if at is None else [at[0], at[1]] for at in tip_at]
    if tip_from is not None:
        props["tip_from"] = list(tip_from)
    data = _feature_collection(gdf, props)
    tip_options = (
        "{permanent: true, direction: 'center', className: 'geoplan-label'}"
        if permanent_tips
        else "{sticky: true}"
    )
    # Texts are escaped in Python (escape/html_table); Leaflet sets them as innerHTML once.
    bind = JsCode(
        "function(feature, layer) {"
        f" layer.bindTooltip(feature.properties.tip, {tip_options});"
        # a permanent label opens at the polygon's centre when the layer is added; move it
        " var at = feature.properties.tip_at;"
        " if (at) { layer.on('add', function () { layer.openTooltip(L.latLng(at[0], at[1])); }); }"
        # a label with no room as the map opens is shown from the zoom it has room at
        " var from = feature.properties.tip_from;"
        " if (from !== null && from !== undefined) {"
        "  var fit = function () { var t = layer.getTooltip(), el = t && t.getElement();"
        "   if (el && layer._map) {"
        "    el.style.visibility = layer._map.getZoom() >= from ? '' : 'hidden'; } };"
        "  layer.on('add', function () { fit(); layer._map.on('zoomend', fit); });"
        "  layer.on('remove', function () { if (layer._map) layer._map.off('zoomend', fit); });"
        " }"
        " layer.bindPopup(feature.properties.popup, {maxWidth: 320}); }"
    )
    return folium.GeoJson(
        data,
        name=escape(name),
        show=show,
        marker=marker,
        style_function=lambda f: style_list[int(f["properties"]["style_index"])],
        on_each_feature=bind,
    )


BASEMAPS: Mapping[str, Mapping[str, str]] = {
    "osm": {
        "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attr": "&copy; OpenStreetMap contributors",
        "subdomains": "abc",
        "frame": "wgs84",
    },
    "amap": {
        "url": (
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
            "&x={x}&y={y}&z={z}"
        ),
        "attr": "&copy; 高德地图 AutoNavi (GCJ-02)",
        "subdomains": "1234",
        "frame": "gcj02",
    },
    "tianditu": {
        "url": (
            "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
        ),
        "attr": "&copy; 天地图 Tianditu",
        "subdomains": "01234567",
        "frame": "wgs84",
    },
}
"""Tiled basemaps drawn on request (they need the network); ``frame`` is the overlays' frame."""

_TIANDITU_KEY = re.compile(r"[A-Za-z0-9]{8,64}")
_FRAME_KEY = "geoplan_frame"
_FIT_KEY = "geoplan_fit"
"""The bounds a map opens fitted to and the window size its labels are placed for."""
_PRUNED_ASSETS = frozenset({"jquery", "bootstrap", "bootstrap_css", "glyphicons_css"})
"""folium defaults geoplan's maps never use (Bootstrap, its glyph font, jQuery): not inlined."""


def frame_of(m: folium.Map) -> str:
    """Coordinate frame the overlays of ``m`` are drawn in: ``"wgs84"`` or ``"gcj02"``."""
    frame: str = vars(m).get(_FRAME_KEY, "wgs84")
    return frame


def _prune_defaults(m: folium.Map) -> None:
    m.default_js = [item for item in m.default_js if item[0] not in _PRUNED_ASSETS]
    m.default_css = [item for item in m.default_css if item[0] not in _PRUNED_ASSETS]


def add_basemap(m: folium.Map, basemap: str, *, tianditu_key: str | None = None) -> None:
    """Add a tiled basemap to ``m`` and set the frame its overlays are drawn in.

    Parameters
    ----------
    m
        A map with no overlay yet (overlays added later follow the basemap's frame).
    basemap
        ``"osm"`` (OpenStreetMap), ``"amap"`` (Amap/Gaode; overlays shifted to GCJ-02) or
        ``"tianditu"`` (needs ``tianditu_key``).
    tianditu_key
        The user's Tianditu browser key (letters and digits).

    Raises
    ------
    ValueError
        For an unknown basemap, or a missing or malformed Tianditu key.
    """
    if basemap not in BASEMAPS:
        msg = f"Unknown basemap {basemap!r}; use one of {', '.join(BASEMAPS)} (or none, offline)."
        raise ArgumentError(msg)
    spec = BASEMAPS[basemap]
    urls = [spec["url"]]
    if basemap == "tianditu":
        if tianditu_key is None or not _TIANDITU_KEY.fullmatch(tianditu_key):
            msg = (
                "The Tianditu basemap needs your Tianditu key (letters and digits, from "
                "console.tianditu.gov.cn); pass tianditu_key=..."
            )
            raise ArgumentError(msg)
        urls = [
            spec["url"].replace("{layer}", layer).replace("{key}", tianditu_key)
            for layer in ("vec", "cva")
        ]
    for i, url in enumerate(urls):
        folium.TileLayer(
            tiles=url,
            attr=spec["attr"],
            name=basemap if i == 0 else f"{basemap} labels",
            subdomains=spec["subdomains"],
            max_zoom=18,
            control=False,
        ).add_to(m)
    vars(m)[_FRAME_KEY] = spec["frame"]


_CLEAR_TITLE_JS = """<script>
(function () {
  // Map corners and side captions kept clear of the title (and corners of the captions),
  // whatever the window's width and the title's length: measured once the page is laid out.
  function clear() {
    var title = document.querySelector('.geoplan-title');
    var below = title ? title.getBoundingClientRect().bottom : 0;
    document.querySelectorAll('.geoplan-side').forEach(function (s) {
      s.style.top = (below + 6) + 'px';
    });
    var above = [].slice.call(document.querySelectorAll('.geoplan-title, .geoplan-side'));
    document.querySelectorAll('.leaflet-top').forEach(function (corner) {
      corner.style.top = '';
      var r = corner.getBoundingClientRect(), low = r.top;
      if (!r.width) return;
      above.forEach(function (a) {
        var b = a.getBoundingClientRect();
        if (b.left < r.right && r.left < b.right) low = Math.max(low, b.bottom);
      });
      if (low > r.top) {
        corner.style.top = (low - corner.parentElement.getBoundingClientRect().top) + 'px';
      }
    });
  }
  // legends of one corner stacked away from the edge, in the order they were added
  function stack() {
    var next = {};
    document.querySelectorAll('.geoplan-legend[data-stack]').forEach(function (box) {
      var corner = box.getAttribute('data-stack'), side = corner.split('-')[0];
      if (next[corner] === undefined) next[corner] = parseFloat(box.style[side]) || 0;
      box.style[side] = next[corner] + 'px';
      next[corner] += box.getBoundingClientRect().height + 8;
    });
  }
  function place() { stack(); clear(); }
  window.addEventListener('load', place);
  window.addEventListener('resize', place);
  if (document.fonts) document.fonts.ready.then(place);
})();
</script>"""
"""A page script: the top map corners moved below the title where they would meet it, and the
legends of one corner stacked."""


def _page_style(root: folium.Figure, *, title: str, synthetic: bool, lang: str) -> None:
    labels = texts(MAP_LABELS, lang)
    root.title = escape(title) if title else ""
    root.header.add_child(
        folium.Element(
            "<style>"
            f".leaflet-container{{background:{PAGE_COLOR};}}"
            ".geoplan-title{position:fixed;top:10px;left:50%;transform:translateX(-50%);"
            "width:max-content;max-width:calc(100vw - 140px);"
            "z-index:1000;background:rgba(255,255,255,.9);padding:4px 12px;border-radius:4px;"
            "font:600 16px 'Noto Sans CJK SC','Noto Sans',sans-serif;text-align:center;"
            "box-shadow:0 1px 4px rgba(0,0,0,.3);pointer-events:none}"
            ".geoplan-synthetic{display:block;font-weight:400;font-size:12px;color:#b00020}"
            ".geoplan-legend{position:fixed;z-index:1000;background:rgba(255,255,255,.92);"
            "padding:6px 10px;border-radius:4px;font:12px 'Noto Sans CJK SC',sans-serif;"
            "box-shadow:0 1px 4px rgba(0,0,0,.3)}"
            ".geoplan-legend i{display:inline-block;width:12px;height:12px;margin-right:6px;"
            "border-radius:50%;vertical-align:middle}"
            f"{LABEL_CSS}"
            ".geoplan-side{position:absolute;top:48px;z-index:1000;background:rgba(255,255,255,.9);"
            "transform:translateX(-50%);"
            "padding:2px 8px;border-radius:4px;font:600 13px 'Noto Sans CJK SC',sans-serif}"
            ".leaflet-control-layers-expanded{max-width:min(360px,40vw)}"
            ".leaflet-control-search.geoplan-search .search-button{width:auto;min-width:30px;"
            "box-sizing:border-box;padding:0 8px 0 28px;color:#333;"
            "text-decoration:none;white-space:nowrap;"
            "font:600 12px/30px 'Noto Sans CJK SC','Noto Sans',sans-serif}"
            ".leaflet-control-search.geoplan-search .search-cancel{position:relative;right:auto;"
            "float:left;margin:6px 0 6px -24px}"
            "</style>"
        ),
        name="geoplan_style",
    )
    if title or synthetic:
        mark = f"<span class='geoplan-synthetic'>{escape(labels['synthetic'])}</span>"
        root.html.add_child(
            folium.Element(
                f"<div class='geoplan-title'>{escape(title)}{mark if synthetic else ''}</div>"
            ),
            name="geoplan_title",
        )
    root.html.add_child(folium.Element(_CLEAR_TITLE_JS), name="geoplan_clear_title")


def _add_background(m: folium.Map, background: gpd.GeoDataFrame | None) -> None:
    if background is None or not len(background):
        return
    shape = to_display(background, tolerance_m=50.0, gcj02=frame_of(m) == "gcj02")
    folium.GeoJson(
        _feature_collection(shape, {}),
        name="background",
        control=False,
        interactive=False,
        style_function=lambda _f: {
            "color": "#b9b3a0",
            "weight": 1,
            "fillColor": COUNTY_FILL,
            "fillOpacity": 0.35 if vars(m).get(_FRAME_KEY) else 1.0,
        },
    ).add_to(m)


def new_map(
    bounds: Sequence[float],
    *,
    tiles: str | None = None,
    title: str = "",
    synthetic: bool = False,
    lang: str = "en",
    background: gpd.GeoDataFrame | None = None,
    basemap: str | None = None,
    tianditu_key: str | None = None,
    width: str = "100%",
    height: str = "100%",
) -> folium.Map:
    """An empty map fitted to ``bounds``, with scale bar, title and offline background.

    Parameters
    ----------
    bounds
        ``(minx, miny, maxx, maxy)`` in longitude/latitude (EPSG:4326).
    tiles
        A folium tile name or URL template; ``None`` (the default) draws no tiles, for offline use.
    title
        Title shown on the map and as the page title (escaped).
    synthetic
        Mark the map as showing synthetic data.
    lang
        ``"en"`` or ``"zh"``.
    background
        Polygons (any CRS) drawn as a light, non-interactive fill under every layer, e.g. the
        county outline; the page itself gets a neutral colour.
    basemap
        ``None`` (offline, the default), or a tiled basemap of :data:`BASEMAPS` (needs the
        network; ``"amap"`` shifts every overlay to GCJ-02).
    tianditu_key
        The user's key, for ``basemap="tianditu"``.
    width, height
        CSS size of the map.

    Returns
    -------
    folium.Map
        The map (``prefer_canvas`` on, for many points).
    """
    texts(MAP_LABELS, lang)
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=8,
        tiles=tiles,
        prefer_canvas=True,
        width=width,
        height=height,
    )
    _prune_defaults(m)
    _add_scale(m)
    if basemap is not None:
        add_basemap(m, basemap, tianditu_key=tianditu_key)
    size = (_css_px(width, LABEL_VIEWPORT_PX[0]), _css_px(height, LABEL_VIEWPORT_PX[1]))
    _fit(m, (minx, miny, maxx, maxy), size)
    _page_style(_figure(m), title=title, synthetic=synthetic, lang=lang)
    _add_background(m, background)
    return m


class _MetricScale(MacroElement):
    """Leaflet's scale bar in kilometres and metres only: a county office works in km."""

    _template = Template(
        """{% macro script(this, kwargs) %}
L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
{% endmacro %}"""
    )


def _add_scale(m: folium.Map) -> None:
    """The map's one scale bar, bottom left, metric only (:class:`_MetricScale`)."""
    _MetricScale().add_to(m)  # type: ignore[no-untyped-call]


def _css_px(size: str, default: float) -> float:
    """A CSS size in pixels (``"420px"``); ``default`` for a relative one (``"100%"``)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*px\s*", size)
    return float(match.group(1)) if match else float(default)


def _fit(
    m: folium.Map, bounds: tuple[float, float, float, float], size_px: tuple[float, float]
) -> None:
    vars(m)[_FIT_KEY] = (bounds, size_px)
    minx, miny, maxx, maxy = bounds
    if frame_of(m) == "gcj02":
        lons, lats = wgs84_to_gcj02(np.array([minx, maxx]), np.array([miny, maxy]))
        minx, maxx = float(lons[0]), float(lons[1])
        miny, maxy = float(lats[0]), float(lats[1])
    m.fit_bounds([[miny, minx], [maxy, maxx]])


def dual_map(
    bounds: Sequence[float],
    *,
    title: str = "",
    sides: tuple[str, str] = ("", ""),
    synthetic: bool = False,
    lang: str = "en",
    background: gpd.GeoDataFrame | None = None,
    basemap: str | None = None,
    tianditu_key: str | None = None,
) -> plugins.DualMap:
    """Two synchronised maps side by side (folium ``DualMap``), e.g. before and after.

    Draw on ``.m1`` (left) and ``.m2`` (right) with the ``add_*`` functions; give every layer a
    name of its own per side. Parameters are those of :func:`new_map`; ``sides`` are the two
    captions (escaped).

    Returns
    -------
    folium.plugins.DualMap
        The pair; save it with :func:`save_offline`.
    """
    texts(MAP_LABELS, lang)
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    dual = plugins.DualMap(  # type: ignore[no-untyped-call]
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=8,
        tiles=None,
        prefer_canvas=True,
    )
    root = dual.get_root()
    if not isinstance(root, folium.Figure):  # pragma: no cover - DualMap makes its Figure
        msg = "DualMap did not create its figure."
        raise ArgumentTypeError(msg)
    _page_style(root, title=title, synthetic=synthetic, lang=lang)
    for side, (m, caption) in enumerate(zip((dual.m1, dual.m2), sides, strict=True)):
        _prune_defaults(m)
        _add_scale(m)
        if basemap is not None:
            add_basemap(m, basemap, tianditu_key=tianditu_key)
        # each side is half the window
        _fit(m, (minx, miny, maxx, maxy), (LABEL_VIEWPORT_PX[0] / 2, LABEL_VIEWPORT_PX[1]))
        _add_background(m, background)
        if caption:
            where = "left:25%" if side == 0 else "left:75%"
            root.html.add_child(
                folium.Element(f"<div class='geoplan-side' style='{where}'>{escape(caption)}</div>")
            )
    return dual


def add_tools(
    m: folium.Map,
    *,
    lang: str = "en",
    villages: folium.GeoJson | None = None,
    schools: folium.GeoJson | None = None,
) -> None:
    """Full-screen button, distance and area measuring, and search by village or school name.

    Parameters
    ----------
    m
        The map.
    lang
        Label language.
    villages, schools
        Layers (of :func:`add_villages`, :func:`add_schools`) searched by name; ``None``: no
        search box for that layer.
    """
    labels = texts(MAP_LABELS, lang)
    plugins.Fullscreen(  # type: ignore[no-untyped-call]
        position="topleft",
        title=labels["fullscreen"],
        title_cancel=labels["exit_fullscreen"],
    ).add_to(m)
    plugins.MeasureControl(  # type: ignore[no-untyped-call]
        position="topleft",
        primary_length_unit="kilometers",
        secondary_length_unit="meters",
        primary_area_unit="hectares",
        secondary_area_unit="sqmeters",
    ).add_to(m)
    for layer, what in ((villages, "villages"), (schools, "schools")):
        if layer is None:
            continue
        plugins.Search(  # type: ignore[no-untyped-call]
            layer=layer,
            search_label="name",
            placeholder=labels[f"search_{what}"],
            collapsed=True,
            position="topleft",
        ).add_to(m)
        _SearchTexts(
            f"{layer.get_name()}searchControl",
            label=labels[f"search_{what}_button"],
            tip=labels[f"search_{what}_tip"],
            cancel=labels["search_cancel"],
            not_found=labels["not_found"],
        ).add_to(m)


class _SearchTexts(MacroElement):
    """A search control's words in the map's language.

    A visible label on its button (the village and the school search look alike otherwise), the
    button's tooltip, the cancel button's tooltip and the words shown when no name matches.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
(function (c) {
  c.options.textErr = {{ this.not_found|tojavascript }};
  c._button.textContent = {{ this.label|tojavascript }};
  c._button.title = {{ this.tip|tojavascript }};
  c._cancel.title = {{ this.cancel|tojavascript }};
  L.DomUtil.addClass(c._container, 'geoplan-search');
})({{ this.control }});
{% endmacro %}"""
    )

    def __init__(self, control: str, *, label: str, tip: str, cancel: str, not_found: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.control = control
        self.label = label
        self.tip = tip
        self.cancel = cancel
        self.not_found = not_found


def bounds_of(*layers: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Longitude/latitude bounds ``(minx, miny, maxx, maxy)`` of the non-empty layers."""
    boxes = [layer.to_crs(WEB_CRS).total_bounds for layer in layers if len(layer)]
    if not boxes:
        msg = "Nothing to draw: every layer given is empty."
        raise ArgumentError(msg)
    arr = np.array(boxes)
    return (
        float(arr[:, 0].min()),
        float(arr[:, 1].min()),
        float(arr[:, 2].max()),
        float(arr[:, 3].max()),
    )


def add_townships(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    *,
    lang: str = "en",
    name: str | None = None,
    avoid: Sequence[MarkerLayer] = (),
) -> folium.GeoJson | None:
    """Township boundaries, with their names as labels and a popup.

    Each label is centred inside its township, clear of the markers in ``avoid`` at the zoom the
    map opens at (:func:`geoplan.outputs.label_placement.label_points`).

    Parameters
    ----------
    m
        The map (made by :func:`new_map` or :func:`dual_map`).
    gdf
        Townships (polygons, ``name`` column).
    lang
        Label language.
    name
        Layer name (default: the translated "Townships").
    avoid
        The point markers this map draws (:func:`school_markers`, :func:`site_markers`).

    Returns
    -------
    folium.GeoJson | None
        The layer added, or ``None`` when ``gdf`` is empty.
    """
    if not len(gdf):
        return None
    labels = texts(MAP_LABELS, lang)
    gcj02 = frame_of(m) == "gcj02"
    shown = to_display(gdf, gcj02=gcj02)
    names = [escape(n) for n in shown["name"]]
    popups = [html_table([(labels["name"], n)], title=labels["township"]) for n in shown["name"]]
    style = {"color": TOWNSHIP_LINE, "weight": 1.5, "fillColor": "#ffffff", "fillOpacity": 0.15}
    fit = vars(m).get(_FIT_KEY)
    bounds, size = fit if fit is not None else (bounds_of(gdf), LABEL_VIEWPORT_PX)
    placed = label_points(gdf, [str(n) for n in gdf["name"]], avoid, zoom=fit_zoom(bounds, size))
    at = to_display(placed, gcj02=gcj02)
    layer = feature_layer(
        shown,
        name=name or labels["townships"],
        tips=names,
        popups=popups,
        styles=[style] * len(shown),
        permanent_tips=True,
        tip_at=[None if p is None or p.is_empty else (p.y, p.x) for p in at.geometry],
        tip_from=[None if pd.isna(z) else int(z) for z in at["min_zoom"]],
    )
    layer.add_to(m)
    return layer


def school_markers(gdf: gpd.GeoDataFrame) -> MarkerLayer:
    """The schools :func:`add_schools` draws, as markers a township label must not cover."""
    return MarkerLayer(gdf, SCHOOL_ICON_BOX_PX)


def site_markers(gdf: gpd.GeoDataFrame) -> MarkerLayer:
    """The sites :func:`add_sites` draws, as markers a township label must not cover."""
    return MarkerLayer(gdf, circle_box_px(_SITE_RADIUS_PX, _SITE_WEIGHT_PX))


def _pupils(gdf: gpd.GeoDataFrame) -> pd.Series:
    cols = [f"pupils_{b}" for b in BANDS if f"pupils_{b}" in gdf.columns]
    total: pd.Series = gdf[cols].fillna(0).sum(axis=1).astype(float)
    return total


def _category_colors(values: pd.Series) -> pd.Series:
    cats = sorted({str(v) for v in values if pd.notna(v)})
    palette = {c: CATEGORY_COLORS[i % len(CATEGORY_COLORS)] for i, c in enumerate(cats)}
    return values.map(lambda v: palette.get(str(v), "#999999") if pd.notna(v) else "#999999")


def _colors(gdf: gpd.GeoDataFrame, color_by: str | pd.Series | None, default: str) -> list[str]:
    if color_by is None:
        return [default] * len(gdf)
    if isinstance(color_by, str):
        return [str(c) for c in _category_colors(gdf[color_by])]
    colors = color_by.reindex(gdf.index)
    return [str(c) if pd.notna(c) else default for c in colors]


def add_villages(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    *,
    color_by: str | pd.Series | None = None,
    lang: str = "en",
    name: str | None = None,
    extra_rows: Mapping[str, pd.Series] | None = None,
) -> folium.GeoJson | None:
    """Villages as circles sized by pupils (area proportional to the count).

    Parameters
    ----------
    m
        The map.
    gdf
        Villages (points with ``name``, ``township`` and ``pupils_<band>`` columns).
    color_by
        ``None`` (one colour), a column name (one colour per category), or a Series of CSS
        colours indexed by village id (e.g. journey minutes mapped to a colour scale).
    lang
        Label language.
    name
        Layer name (default: the translated "Villages").
    extra_rows
        More popup rows: label -> Series indexed by village id (e.g. journey minutes).

    Returns
    -------
    folium.GeoJson | None
        The layer added, or ``None`` when ``gdf`` is empty.
    """
    if not len(gdf):
        return None
    labels = texts(MAP_LABELS, lang)
    shown = to_display(gdf, gcj02=frame_of(m) == "gcj02")
    pupils = _pupils(shown)
    top = max(float(pupils.max()), 1.0)
    colors = _colors(gdf, color_by, VILLAGE_COLOR)
    styles = [
        {
            "radius": round(3.0 + 12.0 * math.sqrt(max(p, 0.0) / top), 1),
            "color": "#ffffff",
            "weight": 1,
            "fill": True,
            "fillColor": c,
            "fillOpacity": 0.85,
        }
        for p, c in zip(pupils, colors, strict=True)
    ]
    tips, popups = [], []
    for vid, row in shown.iterrows():
        total = float(pupils.loc[vid])
        tips.append(f"{escape(row['name'])} ({_format(total)})")
        rows: list[tuple[str, object]] = [(labels["township"], row.get("township"))]
        rows += [(labels[f"pupils_{b}"], row.get(f"pupils_{b}")) for b in BANDS]
        for label, series in (extra_rows or {}).items():
            rows.append((label, series.get(vid)))
        popups.append(html_table(rows, title=row["name"]))
    layer = feature_layer(
        shown,
        name=name or labels["villages"],
        tips=tips,
        popups=popups,
        styles=styles,
        marker=folium.CircleMarker(location=None, radius=5),
    )
    layer.add_to(m)
    return layer


def add_schools(
    m: folium.Map, gdf: gpd.GeoDataFrame, *, lang: str = "en", name: str | None = None
) -> folium.GeoJson | None:
    """Schools as icons, one colour and icon per kind (:data:`SCHOOL_STYLE`).

    Parameters
    ----------
    m
        The map.
    gdf
        Schools (points with ``name`` and ``kind``; enrolment and classes columns if present).
    lang
        Label language.
    name
        Layer name (default: the translated "Schools").

    Returns
    -------
    folium.GeoJson | None
        The layer added, or ``None`` when ``gdf`` is empty.
    """
    if not len(gdf):
        return None
    labels = texts(MAP_LABELS, lang)
    shown = to_display(gdf, gcj02=frame_of(m) == "gcj02")
    styles, tips, popups = [], [], []
    for _sid, row in shown.iterrows():
        kind = str(row.get("kind"))
        color, icon = SCHOOL_STYLE.get(kind, ("gray", "question"))
        styles.append({"markerColor": color, "icon": icon, "prefix": "fa", "iconColor": "white"})
        kind_label = labels.get(kind, kind)
        tips.append(f"{escape(row['name'])} ({escape(kind_label)})")
        rows: list[tuple[str, object]] = [(labels["kind"], kind_label)]
        for band in BANDS:
            if f"enrolment_{band}" in row.index and pd.notna(row[f"enrolment_{band}"]):
                rows.append(
                    (
                        f"{labels['enrolment']} {grade_label(band)}",
                        row[f"enrolment_{band}"],
                    )
                )
            if f"classes_{band}" in row.index and pd.notna(row[f"classes_{band}"]):
                rows.append((f"{labels['classes']} {grade_label(band)}", row[f"classes_{band}"]))
        if "boarding_beds" in row.index:
            rows.append((labels["boarding_beds"], row["boarding_beds"]))
        if "status" in row.index:
            rows.append((labels["status"], row["status"]))
        popups.append(html_table(rows, title=row["name"]))
    layer = feature_layer(
        shown,
        name=name or labels["schools"],
        tips=tips,
        popups=popups,
        styles=styles,
        marker=folium.Marker(location=None, icon=folium.Icon(prefix="fa")),
    )
    layer.add_to(m)
    return layer


def add_sites(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    *,
    color_by: str | pd.Series | None = None,
    lang: str = "en",
    name: str | None = None,
) -> folium.GeoJson | None:
    """Former school sites (restoration candidates) as outlined squares-ish circles.

    Parameters
    ----------
    m
        The map.
    gdf
        Sites (points with ``name``, ``restore_cost_yuan``, ``decision``, ``phase``).
    color_by
        As for :func:`add_villages` (e.g. a Series of colours by restoration phase).
    lang
        Label language.
    name
        Layer name (default: the translated "Former school sites").

    Returns
    -------
    folium.GeoJson | None
        The layer added, or ``None`` when ``gdf`` is empty.
    """
    if not len(gdf):
        return None
    labels = texts(MAP_LABELS, lang)
    shown = to_display(gdf, gcj02=frame_of(m) == "gcj02")
    colors = _colors(gdf, color_by, SITE_COLOR)
    styles = [
        {
            "radius": _SITE_RADIUS_PX,
            "color": c,
            "weight": _SITE_WEIGHT_PX,
            "fill": True,
            "fillColor": "#ffffff",
            "fillOpacity": 1.0,
        }
        for c in colors
    ]
    tips, popups = [], []
    for _sid, row in shown.iterrows():
        tips.append(escape(row["name"]))
        rows: list[tuple[str, object]] = [
            (labels[col], row[col])
            for col in ("township", "restore_cost_yuan", "decision", "phase")
            if col in row.index
        ]
        popups.append(html_table(rows, title=row["name"]))
    layer = feature_layer(
        shown,
        name=name or labels["sites"],
        tips=tips,
        popups=popups,
        styles=styles,
        marker=folium.CircleMarker(location=None, radius=_SITE_RADIUS_PX),
    )
    layer.add_to(m)
    return layer


_ROAD_WEIGHT = {"trunk": 4.0, "primary": 3.5, "secondary": 3.0, "tertiary": 2.5}


def add_roads(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    *,
    lang: str = "en",
    name: str | None = None,
    show: bool = True,
) -> folium.GeoJson | None:
    """Road lines (e.g. the edges of ``osmnx.graph_to_gdfs``), weighted by ``highway`` class.

    Parameters
    ----------
    m
        The map.
    gdf
        Lines; ``name`` and ``highway`` columns are used when present (lists are joined).
    lang
        Label language.
    name
        Layer name (default: the translated "Roads").
    show
        Whether the layer is on when the map opens.

    Returns
    -------
    folium.GeoJson | None
        The layer added, or ``None`` when ``gdf`` is empty.
    """
    if not len(gdf):
        return None
    labels = texts(MAP_LABELS, lang)
    # a directed graph holds each two-way road twice: draw it once
    key = pd.Series(shapely.to_wkb(shapely.normalize(np.asarray(gdf.geometry.values))))
    lines = gdf[~key.duplicated().to_numpy()].reset_index(drop=True)
    lines.index = pd.Index([str(i) for i in range(len(lines))], name="id")
    shown = to_display(lines, tolerance_m=25.0, gcj02=frame_of(m) == "gcj02")
    names = shown["name"] if "name" in shown.columns else pd.Series("", index=shown.index)
    kinds = shown["highway"] if "highway" in shown.columns else pd.Series("", index=shown.index)
    tips, popups, styles = [], [], []
    for road, kind in zip(names, kinds, strict=True):
        kind_text = escape(kind)
        first_kind = kind[0] if isinstance(kind, list) and kind else kind
        tips.append(escape(road) or kind_text)
        popups.append(html_table([(labels["name"], road), (labels["highway"], kind)]))
        styles.append(
            {"color": ROAD_COLOR, "weight": _ROAD_WEIGHT.get(str(first_kind), 1.5), "opacity": 0.8}
        )
    layer = feature_layer(
        shown, name=name or labels["roads"], tips=tips, popups=popups, styles=styles, show=show
    )
    layer.add_to(m)
    return layer


def add_legend(
    m: folium.Map,
    items: Sequence[tuple[str, str]],
    title: str,
    *,
    position: str = "bottomleft",
    offset_px: int = 30,
) -> None:
    """A fixed legend box of coloured dots and labels (every text escaped).

    Parameters
    ----------
    m
        The map.
    items
        ``(css_colour, label)`` pairs.
    title
        Legend title.
    position
        ``"bottomleft"``, ``"bottomright"``, ``"topleft"`` or ``"topright"``.
    offset_px
        Distance from the map's edge of the first legend in its corner; the page stacks the
        next ones in the same corner beyond it (:data:`_CLEAR_TITLE_JS`).
    """
    vertical, horizontal = ("bottom", "left")
    if position.startswith("top"):
        vertical = "top"
    if position.endswith("right"):
        horizontal = "right"
    if (vertical, horizontal) == ("bottom", "left"):
        offset_px = max(offset_px, SCALE_BAR_CLEARANCE_PX)  # keep clear of the scale bar
    body = "".join(
        f'<div><i style="background:{escape(color)}"></i>{escape(label)}</div>'
        for color, label in items
    )
    box = (
        f"<div class='geoplan-legend' data-stack='{vertical}-{horizontal}' "
        f"style='{vertical}:{int(offset_px)}px;{horizontal}:10px'>"
        f"<b>{escape(title)}</b>{body}</div>"
    )
    _figure(m).html.add_child(folium.Element(box))


def add_school_legend(
    m: folium.Map,
    schools: gpd.GeoDataFrame,
    *,
    lang: str = "en",
    position: str = "bottomright",
) -> None:
    """The legend of the school kinds on the map, in the colours of their pins.

    Parameters
    ----------
    m
        The map.
    schools
        The schools drawn (a ``kind`` column); kinds not among them are left out.
    lang
        Label language.
    position
        The legend's corner (see :func:`add_legend`).
    """
    labels = texts(MAP_LABELS, lang)
    present = set(schools["kind"].astype(str))
    kinds = [k for k in SCHOOL_KINDS if k in present]
    if kinds:
        items = [(school_color(k), labels[k]) for k in kinds]
        add_legend(m, items, labels["legend_schools"], position=position)


def add_layer_control(m: folium.Map) -> folium.LayerControl:
    """The layer switcher (expanded), added last so it lists every layer."""
    control = folium.LayerControl(collapsed=False)
    control.add_to(m)
    return control


def overview_map(
    area: PlanningArea,
    *,
    lang: str = "en",
    roads: gpd.GeoDataFrame | None = None,
    basemap: str | None = None,
    tianditu_key: str | None = None,
) -> folium.Map:
    """The overview map of a county: townships, villages, schools, sites and roads.

    Parameters
    ----------
    area
        The planning area.
    lang
        ``"en"`` (default) or ``"zh"`` labels.
    roads
        Optional road lines (e.g. ``osmnx.graph_to_gdfs(G, nodes=False)``).
    basemap, tianditu_key
        A tiled basemap on request (:func:`new_map`); default offline.

    Returns
    -------
    folium.Map
        The map, ready for :func:`save_offline`.
    """
    labels = texts(MAP_LABELS, lang)
    layers = [area.townships, area.villages, area.schools, area.sites]
    bounds = bounds_of(*[layer for layer in layers if len(layer)])
    county = area.townships[["geometry"]].dissolve() if len(area.townships) else None
    m = new_map(
        bounds,
        title=f"{area.name}: {labels['overview']}",
        synthetic=area.synthetic,
        lang=lang,
        background=county,
        basemap=basemap,
        tianditu_key=tianditu_key,
    )
    add_townships(
        m,
        area.townships,
        lang=lang,
        avoid=[school_markers(area.schools), site_markers(area.sites)],
    )
    if roads is not None:
        add_roads(m, roads, lang=lang, show=False)
    villages = add_villages(m, area.villages, lang=lang)
    add_sites(m, area.sites, lang=lang)
    schools = add_schools(m, area.schools, lang=lang)
    add_tools(m, lang=lang, villages=villages, schools=schools)
    add_school_legend(m, area.schools, lang=lang, position="bottomleft")
    add_legend(
        m,
        [(VILLAGE_COLOR, labels["villages"]), (SITE_COLOR, labels["sites"])],
        labels["legend_other"],
        position="bottomright",
        offset_px=30,
    )
    add_layer_control(m)
    return m


def render_offline(m: folium.Map | folium.Figure | plugins.DualMap) -> str:
    """The page of ``m`` as one self-contained HTML string (assets inlined)."""
    if isinstance(m, folium.Figure):
        root = m
    elif isinstance(m, plugins.DualMap):
        dual_root = m.get_root()
        if not isinstance(dual_root, folium.Figure):  # pragma: no cover
            msg = "DualMap did not create its figure."
            raise ArgumentTypeError(msg)
        root = dual_root
    else:
        root = _figure(m)
    return inline_assets(root.render())


def save_offline(m: folium.Map | folium.Figure | plugins.DualMap, path: str | Path) -> Path:
    """Save ``m`` as ONE self-contained HTML file that opens with no network.

    Parameters
    ----------
    m
        A folium map (or its figure).
    path
        Destination ``.html`` file; written atomically (temporary file, then ``os.replace``).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    MapAssetError
        For an asset URL no installed package covers.
    """
    page = render_offline(m)
    dest = write_atomic(path, page)
    _logger.info("map written to %s (%.1f MB)", dest, dest.stat().st_size / 1e6)
    return dest
