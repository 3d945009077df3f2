"""QGIS styles inside ``results.gpkg``: a ``layer_styles`` table, one default style per layer.

QGIS reads the table (its own schema) when a layer of the GeoPackage is opened, so the layers
open classified as on the HTML maps: villages by the day pupils' daily journey of grades 1-3 (the
same classes and colours as :func:`geoplan.outputs.plan_maps.journey_legend`, boarders and
unserved villages apart), villages of the ways layers by the way grades 1-3 take (the ways map's
colours), sites by restoration phase, schools by kind, districts and blocks by
school, townships by the mean daily journey of grades 1-3. The legend labels are in the run's
language. Styles are QML (QGIS's own XML); the SLD column is left empty.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import pandas as pd

from geoplan.outputs import maps, plan_maps
from geoplan.outputs.labels import MAP_LABELS, PLAN_MAP_TEXT, band_label, texts
from geoplan.rules import SCHOOL_KINDS

__all__ = [
    "LAYER_STYLES_SQL",
    "StyleClass",
    "layer_classes",
    "layer_style_qml",
    "write_layer_styles",
]

LAYER_STYLES_SQL = """CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  f_table_catalog TEXT(256),
  f_table_schema TEXT(256),
  f_table_name TEXT(256),
  f_geometry_column TEXT(256),
  styleName TEXT(30),
  styleQML TEXT,
  styleSLD TEXT,
  useAsDefault BOOLEAN,
  description TEXT,
  owner TEXT(30),
  ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""
"""The ``layer_styles`` table as QGIS creates it in a GeoPackage."""

_FIXED_TIME = "2000-01-01T00:00:00Z"
_OUTLINE = "35,35,35,255"
_QML_HEAD = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"


@dataclass(frozen=True)
class StyleClass:
    """One class of a layer's style: features matching ``expression`` drawn in ``color``.

    Parameters
    ----------
    label
        Legend text, in the run's language.
    color
        CSS hex colour (``#rrggbb``).
    expression
        QGIS filter expression over the layer's columns; ``None`` for the rule of the features
        no other class takes (``ELSE``).
    columns
        The columns ``expression`` reads.
    """

    label: str
    color: str
    expression: str | None
    columns: tuple[str, ...] = ()


def _field(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _journey_classes(column: str, *, lang: str, status: str | None) -> list[StyleClass]:
    """Classes of :func:`plan_maps.journey_legend` as expressions on ``column`` (minutes)."""
    text = texts(PLAN_MAP_TEXT, lang)
    legend = plan_maps.journey_legend(lang, villages=status is not None)
    bins = plan_maps.JOURNEY_BINS_MIN
    out: list[StyleClass] = []
    cols: tuple[str, ...] = (column,) if status is None else (status, column)
    if status is not None:
        apart = ((plan_maps.BOARDER_COLOR, "boards"), (plan_maps.UNSERVED_COLOR, "unserved"))
        for color, key in apart:
            label = next(lab for c, lab in legend if c == color)
            out.append(StyleClass(label, color, f"{_field(status)} = {_literal(key)}", (status,)))
    f = _field(column)
    for i, color in enumerate(plan_maps.JOURNEY_COLORS):
        lower = bins[i - 1] if i > 0 else None
        upper = bins[i] if i < len(bins) else None
        parts = [f"{f} IS NOT NULL"]
        if lower is not None:
            parts.append(f"{f} > {lower!r}")
        if upper is not None:
            parts.append(f"{f} <= {upper!r}")
        label = legend[i][1]
        out.append(StyleClass(f"{label} {text['min']}", color, " AND ".join(parts), cols))
    if status is not None:
        out.append(StyleClass(str(text["unreachable"]), plan_maps.UNREACHABLE_COLOR, None, cols))
    else:
        out.append(StyleClass(str(text["no_day_pupils"]), plan_maps.UNREACHABLE_COLOR, None, cols))
    return out


def _category(column: str, value: object, label: str, color: str) -> StyleClass:
    return StyleClass(label, color, f"{_field(column)} = {_literal(value)}", (column,))


def _school_names(layers: Mapping[str, gpd.GeoDataFrame], lang: str) -> dict[str, str]:
    schools = layers.get("schools_after_plan")
    if schools is None or "name" not in schools.columns:
        return {}
    names = schools["name"].astype(str)
    if lang == "zh" and "name_zh" in schools.columns:
        zh = schools["name_zh"]
        names = names.where(zh.isna() | (zh.astype(str).str.strip() == ""), zh.astype(str))
    return {str(k): str(v) for k, v in names.items()}


def layer_classes(
    name: str, layer: gpd.GeoDataFrame, *, lang: str, layers: Mapping[str, gpd.GeoDataFrame]
) -> list[StyleClass]:
    """The classes of one result layer's style (empty: one plain symbol).

    ``layers`` are all the run's layers (names of schools for district legends).
    """
    text = texts(PLAN_MAP_TEXT, lang)
    labels = texts(MAP_LABELS, lang)
    cols = set(layer.columns)
    if name.startswith("villages_journeys") and {"status_g1_3", "day_journey_g1_3_min"} <= cols:
        classes = _journey_classes("day_journey_g1_3_min", lang=lang, status="status_g1_3")
        band = band_label("g1_3", lang)
        return [StyleClass(f"{band}: {c.label}", c.color, c.expression, c.columns) for c in classes]
    if name.startswith("ways_villages") and "way_g1_3" in cols:
        band = band_label("g1_3", lang)
        way_names = text["way_names"]
        return [
            _category("way_g1_3", w, f"{band}: {way_names[w]}", color)
            for w, color in plan_maps.WAY_COLORS.items()
        ]
    if name == "townships_after_plan" and "day_mean_journey_g1_3_min" in cols:
        return _journey_classes("day_mean_journey_g1_3_min", lang=lang, status=None)
    if name == "sites_restoration" and "phase" in cols:
        phases = sorted(int(p) for p in pd.unique(layer["phase"].fillna(0)) if p > 0)
        colours = plan_maps.phase_colors(pd.Series([*phases, 0], dtype="float64"))
        out = [
            _category("phase", p, f"{text['phase']} {p}", str(colours.iloc[i]))
            for i, p in enumerate(phases)
        ]
        out.append(_category("phase", 0, str(text["not_restored"]), plan_maps.NOT_RESTORED_COLOR))
        return out
    if name == "schools_after_plan" and "kind" in cols:
        kinds = [k for k in SCHOOL_KINDS if k in set(layer["kind"].astype(str))]
        return [_category("kind", k, labels[k], maps.school_color(k)) for k in kinds]
    names = _school_names(layers, lang)
    if name.startswith("school_districts_") and "school" in cols:
        palette = plan_maps.district_palette(layer["school"].astype(str))
        return [_category("school", s, names.get(s, s), c) for s, c in palette.items()]
    if name == "county_town_blocks" and "school_primary" in cols:
        palette = plan_maps.district_palette(layer["school_primary"].dropna().astype(str))
        return [_category("school_primary", s, names.get(s, s), c) for s, c in palette.items()]
    if name == "block_adjacency" and "source" in cols:
        values = sorted(set(layer["source"].dropna().astype(str)))
        words = text["adjacency_source"]
        category_colors = maps.CATEGORY_COLORS
        return [
            _category(
                "source",
                v,
                ", ".join(words.get(w.strip(), w.strip()) for w in v.split(",")),
                category_colors[i % len(category_colors)],
            )
            for i, v in enumerate(values)
        ]
    return []


def _rgba(color: str, alpha: int = 255) -> str:
    value = color.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{alpha}"


def _symbol(kind: str, index: int, color: str) -> str:
    if kind == "marker":
        layer_class = "SimpleMarker"
        options = {
            "color": _rgba(color),
            "name": "circle",
            "size": "2.6",
            "size_unit": "MM",
            "outline_color": _OUTLINE,
            "outline_width": "0.2",
        }
    elif kind == "line":
        layer_class = "SimpleLine"
        options = {"line_color": _rgba(color), "line_width": "0.6", "line_width_unit": "MM"}
    else:
        layer_class = "SimpleFill"
        options = {
            "color": _rgba(color, 160),
            "style": "solid",
            "outline_color": _OUTLINE,
            "outline_width": "0.26",
        }
    opts = "".join(
        f'<Option type="QString" name="{k}" value={quoteattr(v)}/>' for k, v in options.items()
    )
    return (
        f'<symbol type="{kind}" name="{index}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="{layer_class}" enabled="1" locked="0" pass="0">'
        f'<Option type="Map">{opts}</Option></layer></symbol>'
    )


def _symbol_kind(geometry_types: Sequence[str]) -> str:
    text = " ".join(geometry_types).lower()
    if "point" in text:
        return "marker"
    if "line" in text:
        return "line"
    return "fill"


def layer_style_qml(classes: Sequence[StyleClass], *, symbol: str, default_color: str) -> str:
    """A QML document: a rule-based renderer of ``classes`` (one plain symbol when empty).

    ``symbol`` is ``"marker"``, ``"line"`` or ``"fill"``.
    """
    if not classes:
        body = (
            '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" '
            f'forceraster="0"><symbols>{_symbol(symbol, 0, default_color)}</symbols>'
            "</renderer-v2>"
        )
    else:
        rules = []
        for i, c in enumerate(classes):
            where = "" if c.expression is None else f" filter={quoteattr(c.expression)}"
            other = ' filter="ELSE"' if c.expression is None else ""
            rules.append(
                f'<rule key="{{class-{i}}}" symbol="{i}" label={quoteattr(c.label)}{where}{other}/>'
            )
        symbols = "".join(_symbol(symbol, i, c.color) for i, c in enumerate(classes))
        body = (
            '<renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" '
            f'forceraster="0"><rules key="{{root}}">{"".join(rules)}</rules>'
            f"<symbols>{symbols}</symbols></renderer-v2>"
        )
    return (
        f'{_QML_HEAD}<qgis version="3.28.0" styleCategories="Symbology">{body}'
        "<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode>"
        "<layerOpacity>1</layerOpacity></qgis>\n"
    )


def write_layer_styles(
    gpkg: str | Path, layers: Mapping[str, gpd.GeoDataFrame], *, lang: str = "en"
) -> Path:
    """Add (or replace) the default style of every layer of ``gpkg`` in its ``layer_styles``.

    Parameters
    ----------
    gpkg
        A GeoPackage written by :func:`geoplan.data.readers.write_layers_gpkg`.
    layers
        The layers written into it, by layer name (their columns choose the classes).
    lang
        Language of the legend labels.

    Returns
    -------
    pathlib.Path
        ``gpkg``.
    """
    path = Path(gpkg)
    with contextlib.closing(sqlite3.connect(path)) as con, con:
        geometry = {
            str(t): (str(c), str(g))
            for t, c, g in con.execute(
                "SELECT table_name, column_name, geometry_type_name FROM gpkg_geometry_columns"
            )
        }
        con.execute(LAYER_STYLES_SQL)
        for name, layer in layers.items():
            if name not in geometry:
                continue  # empty layers are not written
            column, geom_type = geometry[name]
            classes = layer_classes(name, layer, lang=lang, layers=layers)
            qml = layer_style_qml(
                classes, symbol=_symbol_kind([geom_type]), default_color=maps.VILLAGE_COLOR
            )
            con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (name,))
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'geoplan', '', ?)",
                (name, column, name, qml, f"geoplan default style ({lang})", _FIXED_TIME),
            )
    return path
