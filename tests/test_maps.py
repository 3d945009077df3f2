"""Tests of geoplan.outputs.maps: escaping, display copies, the overview map offline in a
browser."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from browser import METRIC, check_map_in_browser, label_marker_overlaps, map_details
from shapely.geometry import LineString

from geoplan.data.area import PlanningArea
from geoplan.outputs.labels import MAP_LABELS as LABELS
from geoplan.outputs.maps import (
    escape,
    html_table,
    new_map,
    overview_map,
    save_offline,
    to_display,
)

HOSTILE = "<img src=x onerror=alert(1)>"
QUOTES = "Quote \" and ' and </script><script>alert(2)</script> `${alert(3)}` \\u0041"


def expected_counts(area: PlanningArea, lang: str = "en", roads: int = 0) -> dict[str, int]:
    """Features per layer as the input GeoDataFrames say (not as the map says)."""
    labels = LABELS[lang]
    counts = {
        labels["townships"]: len(area.townships),
        labels["villages"]: len(area.villages),
        labels["schools"]: len(area.schools),
        labels["sites"]: len(area.sites),
    }
    if roads:
        counts[labels["roads"]] = roads
    return counts


# ---------------------------------------------------------------- escaping


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("Alagou", "Alagou"),
        ("阿拉沟乡", "阿拉沟乡"),
        (HOSTILE, "&lt;img src=x onerror=alert(1)&gt;"),
        ("a\"b'c", "a&quot;b&#x27;c"),
        ("`${x}`\\", "&#96;&#36;{x}&#96;&#92;"),
        ("a & b", "a &amp; b"),
        (None, ""),
        (float("nan"), ""),
        (12, "12"),
    ],
)
def test_escape_known_answers(raw: object, escaped: str) -> None:
    assert escape(raw) == escaped


def test_escape_round_trips_through_html_parser() -> None:
    for text in (HOSTILE, QUOTES, "普通 name"):
        assert html.unescape(escape(text)) == text


def test_html_table_escapes_labels_values_and_title() -> None:
    table = html_table([(HOSTILE, HOSTILE), ("n", 1234)], title=HOSTILE)
    assert "<img" not in table
    assert table.count("&lt;img") == 3
    assert "1,234" in table


# ---------------------------------------------------------------- display copies


def test_to_display_reprojects_rounds_and_does_not_mutate(tiny_area: PlanningArea) -> None:
    villages = tiny_area.villages
    before = villages.copy()
    shown = to_display(villages, decimals=6)
    pd.testing.assert_frame_equal(villages, before)
    assert shown.crs.to_epsg() == 4326
    assert list(shown.index) == list(villages.index)
    # independent check: pyproj through geopandas, then rounding
    ref = villages.to_crs(4326)
    for a, b in zip(shown.geometry, ref.geometry, strict=True):
        assert abs(a.x - b.x) <= 1e-6 and abs(a.y - b.y) <= 1e-6
        assert round(a.x, 6) == a.x and round(a.y, 6) == a.y


def test_to_display_simplifies_polygons(tiny_area: PlanningArea) -> None:
    wiggly = tiny_area.townships.copy()
    wiggly["geometry"] = wiggly.geometry.segmentize(100.0)  # many collinear vertices
    many = sum(len(g.exterior.coords) for g in wiggly.geometry)
    few = sum(len(g.exterior.coords) for g in to_display(wiggly, tolerance_m=20).geometry)
    assert many > 100 and few <= 5 * len(wiggly)


def test_to_display_needs_crs(tiny_area: PlanningArea) -> None:
    with pytest.raises(ValueError, match="no CRS"):
        to_display(tiny_area.villages.set_crs(None, allow_override=True))


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="fr"):
        new_map((86.0, 42.0, 87.0, 43.0), lang="fr")


# ---------------------------------------------------------------- the saved page


def hostile_area(make: Callable[..., PlanningArea], name: str) -> PlanningArea:
    area = make(township_name=name, village_name=name, school_name=name, site_name=name)
    return dataclasses.replace(area, name=name)


def test_saved_page_never_holds_hostile_markup(
    make_tiny_area: Callable[..., PlanningArea], tmp_path: Path
) -> None:
    area = hostile_area(make_tiny_area, HOSTILE)
    page = save_offline(overview_map(area), tmp_path / "map.html").read_text(encoding="utf-8")
    assert HOSTILE not in page
    assert "onerror=alert(1)>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_overview_does_not_mutate_area(tiny_area: PlanningArea) -> None:
    before = {name: tiny_area.layer(name).copy() for name in ("townships", "villages", "schools")}
    overview_map(tiny_area)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(tiny_area.layer(name), frame)


def test_synthetic_mark_only_when_synthetic(
    make_tiny_area: Callable[..., PlanningArea], tmp_path: Path
) -> None:
    mark = LABELS["en"]["synthetic"]
    real = save_offline(overview_map(make_tiny_area(synthetic=False)), tmp_path / "r.html")
    fake = save_offline(overview_map(make_tiny_area(synthetic=True)), tmp_path / "s.html")
    assert mark not in real.read_text(encoding="utf-8")
    assert mark in fake.read_text(encoding="utf-8")


def test_tiny_map_is_small(tiny_area: PlanningArea, tmp_path: Path) -> None:
    path = save_offline(overview_map(tiny_area), tmp_path / "map.html")
    assert path.stat().st_size < 2_000_000


# ---------------------------------------------------------------- in the browser


def tiny_roads(area: PlanningArea) -> gpd.GeoDataFrame:
    x0, y0, x1, y1 = area.townships.total_bounds
    lines = [
        LineString([(x0 + 1000, y0 + 1000), (x1 - 1000, y1 - 1000)]),
        LineString([(x0 + 1000, y1 - 1000), (x1 - 1000, y0 + 1000)]),
        LineString([(x0 + 500, (y0 + y1) / 2), (x1 - 500, (y0 + y1) / 2)]),
    ]
    return gpd.GeoDataFrame(
        {
            "name": ["Valley road", HOSTILE, ["Pass road", "Old pass"]],
            "highway": ["secondary", "track", ["tertiary", "unclassified"]],
        },
        geometry=lines,
        crs=area.crs,
    )


@pytest.mark.browser
def test_overview_in_browser_en(tiny_area: PlanningArea, tmp_path: Path) -> None:
    roads = tiny_roads(tiny_area)
    path = save_offline(overview_map(tiny_area, roads=roads), tmp_path / "overview.html")
    report = check_map_in_browser(
        path, expected_counts=expected_counts(tiny_area, roads=len(roads))
    )
    assert report.title == "Tiny County: Overview"
    assert LABELS["en"]["synthetic"] in report.page_text
    assert "Schools by kind" in report.page_text
    # every village, school, site, road and township offers a tooltip and a popup
    n = sum(expected_counts(tiny_area, roads=len(roads)).values())
    assert len(report.tooltip_texts) == n
    assert len(report.popup_texts) == n
    assert any("Alpha Central Primary" in t for t in report.tooltip_texts)


@pytest.mark.browser
def test_overview_in_browser_zh(tiny_area: PlanningArea, tmp_path: Path) -> None:
    path = save_offline(overview_map(tiny_area, lang="zh"), tmp_path / "overview_zh.html")
    report = check_map_in_browser(path, expected_counts=expected_counts(tiny_area, "zh"))
    assert "模拟数据" in report.page_text
    assert "学校类型" in report.page_text
    assert any("乡镇中心小学" in t for t in report.tooltip_texts)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_scale_bar_metric_only(tiny_area: PlanningArea, tmp_path: Path, lang: str) -> None:
    """One scale bar, in km or m: a county office measures in kilometres, never in miles."""
    path = save_offline(overview_map(tiny_area, lang=lang), tmp_path / "overview.html")
    lines = map_details(path).scale_lines
    assert len(lines) == 1, lines
    assert all(METRIC.fullmatch(line) for line in lines), lines


def _in_language(text: str, lang: str) -> bool:
    """Whether ``text`` is written in ``lang``: Chinese characters for zh, none for en."""
    return bool(re.search(r"[\u4e00-\u9fff]", text)) == (lang == "zh")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_search_buttons_say_what_they_find(
    tiny_area: PlanningArea, tmp_path: Path, lang: str
) -> None:
    """The village and the school search each show a label of their own on the button, a tooltip
    and a placeholder, and say a name was not found, all in the map's language."""
    path = save_offline(overview_map(tiny_area, lang=lang), tmp_path / "overview.html")
    searches = map_details(path).searches
    assert len(searches) == 2, searches
    labels = [s["label"].strip() for s in searches]
    assert all(labels) and len(set(labels)) == 2, labels  # visible, and not alike
    for search in searches:
        for key in ("label", "title", "placeholder", "cancel", "not_found"):
            assert search[key].strip() and _in_language(search[key], lang), (key, search)
        assert search["label"].strip().lower() in search["title"].lower(), search  # says more
    box_a, box_b = (s["box"] for s in searches)
    assert box_a[2] - box_a[0] > 30  # wider than the bare magnifier icon: the label shows
    assert box_a[3] <= box_b[1] or box_b[3] <= box_a[1]  # one below the other


@pytest.mark.browser
@pytest.mark.parametrize("name", [HOSTILE, QUOTES], ids=["img-onerror", "quotes-script"])
def test_hostile_names_show_as_text(
    make_tiny_area: Callable[..., PlanningArea], tmp_path: Path, name: str
) -> None:
    area = hostile_area(make_tiny_area, name)
    roads = tiny_roads(area)
    path = save_offline(overview_map(area, roads=roads), tmp_path / "hostile.html")
    report = check_map_in_browser(
        path, expected_counts=expected_counts(area, roads=len(roads))
    )  # fails on any dialog, console error or request
    assert report.dialogs == []
    assert report.title.startswith(name)
    assert name in report.page_text  # map title
    # township label, village, school and site tooltips, each shows the literal name
    assert sum(name in t for t in report.tooltip_texts) >= 4
    assert sum(name in t for t in report.popup_texts) >= 4
    assert not any("&lt;" in t or "&amp;" in t for t in report.tooltip_texts + report.popup_texts)


@pytest.mark.browser
def test_harness_catches_dialog_and_network(tmp_path: Path) -> None:
    """The harness itself: an unsafe page must be reported, not passed."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<html><body><img src=x onerror=alert(1)>"
        "<script src='https://cdn.example.org/x.js'></script></body></html>",
        encoding="utf-8",
    )
    report = check_map_in_browser(page, check=False)
    problems = " ".join(report.problems())
    assert report.dialogs
    assert any("cdn.example.org" in u for u in report.blocked_requests)
    assert "dialogs fired" in problems and "external requests" in problems
    assert "no Leaflet map" in problems


@pytest.mark.browser
@pytest.mark.slow
def test_demo_overview_in_browser(tmp_path: Path) -> None:
    """The demo county's overview map (with a hostile village name) opens offline and safely."""
    datasets = pytest.importorskip("geoplan.data.datasets")
    area = datasets.demo_county()
    villages = area.villages.copy()
    villages.iloc[0, villages.columns.get_loc("name")] = HOSTILE
    area = dataclasses.replace(area, villages=villages)
    path = save_offline(overview_map(area), tmp_path / "demo_overview.html")
    assert path.stat().st_size < 3_000_000
    report = check_map_in_browser(path, expected_counts=expected_counts(area), max_per_layer=40)
    assert any(HOSTILE in t for t in report.tooltip_texts)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_demo_overview_labels_cover_no_marker(tmp_path: Path, lang: str) -> None:
    """No township label's box meets a school icon's or a site circle's as the map opens.

    Boxes measured in headless Chromium at 1200 x 800: labels (``getBoundingClientRect`` of
    each ``.geoplan-label``), school pins and their shadows (of each icon element) and site
    circles (from Leaflet: they are drawn on the canvas).
    """
    datasets = pytest.importorskip("geoplan.data.datasets")
    area = datasets.demo_county()
    path = save_offline(overview_map(area, lang=lang), tmp_path / f"overview_{lang}.html")
    seen = label_marker_overlaps(
        path,
        [LABELS[lang]["schools"], LABELS[lang]["sites"]],
        screenshot=tmp_path / f"overview_{lang}.png",
    )
    assert seen.shown + seen.hidden == len(area.townships)
    # Ondor Tash's label has no clear room at the opening zoom: it shows one zoom closer
    assert seen.shown >= len(area.townships) - 1
    assert seen.markers >= 2 * len(area.schools) + len(area.sites)  # each pin, its shadow, site
    assert seen.overlaps == [], "\n".join(seen.overlaps)
