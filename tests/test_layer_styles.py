"""QGIS styles in ``results.gpkg``: the ``layer_styles`` table read back with sqlite3, each layer's
default style parsed as XML, its classes on real columns, with the HTML maps' colours, class
breaks and legend words in the run's language."""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from geoplan.outputs import plan_maps
from geoplan.outputs.labels import PLAN_MAP_TEXT, band_label
from geoplan.outputs.layer_styles import write_layer_styles
from geoplan.plan.pipeline import PlanResult
from geoplan.runs.runner import result_layers

QGIS_COLUMNS = [
    "id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
    "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time",
]  # fmt: skip


def _hex(rgba: str) -> str:
    r, g, b = (int(x) for x in rgba.split(",")[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _styles(gpkg: Path) -> tuple[list[str], dict[str, tuple], dict[str, list[str]], set[str]]:
    with sqlite3.connect(gpkg) as con:
        columns = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
        rows = con.execute(
            "SELECT f_table_name, f_geometry_column, styleQML, useAsDefault FROM layer_styles"
        ).fetchall()
        layers = {str(r[0]) for r in con.execute("SELECT table_name FROM gpkg_geometry_columns")}
        fields = {t: [r[1] for r in con.execute(f'PRAGMA table_info("{t}")')] for t in layers}
    return columns, {str(r[0]): r for r in rows}, fields, layers


def _rules(qml: str) -> list[tuple[str, str | None, str]]:
    root = ET.fromstring(qml.split("\n", 1)[1])  # the DOCTYPE line, then the document
    renderer = root.find("renderer-v2")
    assert renderer is not None
    keys = ("color", "line_color")
    colours = {
        s.get("name"): _hex(
            next(str(o.get("value")) for o in s.iter("Option") if o.get("name") in keys)
        )
        for s in renderer.iter("symbol")
    }
    return [
        (str(r.get("label")), r.get("filter"), colours[r.get("symbol")])
        for r in renderer.iter("rule")
    ]


@pytest.fixture(scope="module")
def written(hostile_plan: PlanResult, tmp_path_factory: pytest.TempPathFactory) -> dict:
    from geoplan.data.readers import write_layers_gpkg

    out = {}
    layers = result_layers(hostile_plan)
    for lang in ("en", "zh"):
        gpkg = write_layers_gpkg(layers, tmp_path_factory.mktemp(lang) / "results.gpkg")
        out[lang] = (write_layer_styles(gpkg, layers, lang=lang), layers)
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_layer_has_a_parsable_default_style_on_its_own_columns(
    written: dict, lang: str
) -> None:
    gpkg, _ = written[lang]
    columns, styles, fields, names = _styles(gpkg)
    assert columns == QGIS_COLUMNS
    assert set(styles) == names and len(names) >= 5
    for name, (_, geom_col, qml, default) in styles.items():
        assert default == 1
        assert geom_col in fields[name]
        rules = _rules(qml)
        for label, expression, _ in rules:
            for column in re.findall(r'"((?:[^"]|"")+)"', expression or ""):
                assert column in fields[name], (name, column)
            assert label
    text = PLAN_MAP_TEXT[lang]
    villages = _rules(styles["villages_journeys_after_plan"][2])
    legend = plan_maps.journey_legend(lang)
    assert [c for _, _, c in villages][:8] == [
        plan_maps.BOARDER_COLOR, plan_maps.UNSERVED_COLOR, *plan_maps.JOURNEY_COLORS,
    ]  # fmt: skip
    for (label, expression, _), (_, words) in zip(villages[2:8], legend[:6], strict=True):
        assert label.startswith(band_label("g1_3", lang)) and words in label
        assert "day_journey_g1_3_min" in str(expression)
    assert villages[-1][1] == "ELSE"
    assert text["boarders"] in villages[0][0] and text["unserved"] in villages[1][0]
    # the class breaks of the HTML maps
    bounds = [float(x) for _, e, _ in villages[2:8] for x in re.findall(r"<= ([\d.]+)", e or "")]
    assert tuple(bounds) == plan_maps.JOURNEY_BINS_MIN
    sites = _rules(styles["sites_restoration"][2])
    restored = [r for r in sites if r[1] != '"phase" = 0']
    assert [c for *_, c in restored] == [plan_maps.PHASE_COLORS[i] for i in range(len(restored))]
    assert all(label == f"{text['phase']} {i + 1}" for i, (label, *_) in enumerate(restored))
    assert (text["not_restored"], '"phase" = 0', plan_maps.NOT_RESTORED_COLOR) in sites
    if lang == "zh":
        assert all(re.search("[\u4e00-\u9fff]", label) for label, *_ in villages + sites)


def test_a_style_matches_the_map_colour_of_each_village(
    written: dict, hostile_plan: PlanResult
) -> None:
    """Evaluate each rule on the layer's rows by hand: the first matching rule's colour is the
    colour the HTML map gives the village (plan_maps.village_colors)."""
    import math

    gpkg, layers = written["en"]
    _, styles, _, _ = _styles(gpkg)
    rules = _rules(styles["villages_journeys_after_plan"][2])
    layer = layers["villages_journeys_after_plan"]

    def matches(expression: str, row: Any) -> bool:
        status = row.status_g1_3
        minutes = row.day_journey_g1_3_min
        if expression == "ELSE":
            return True
        m = re.fullmatch(r"\"status_g1_3\" = '(\w+)'", expression)
        if m:
            return bool(status == m.group(1))
        if minutes is None or math.isnan(minutes):
            return False
        low = re.search(r"> ([\d.]+)", expression)
        high = re.search(r"<= ([\d.]+)", expression)
        return (low is None or minutes > float(low.group(1))) and (
            high is None or minutes <= float(high.group(1))
        )

    plan_colour = {}
    for row in layer.itertuples():
        plan_colour[row.Index] = next(c for _, e, c in rules if matches(str(e), row))
    on_map = plan_maps.village_colors(hostile_plan.after, "g1_3")
    assert plan_colour == {str(k): v for k, v in on_map.items()}
