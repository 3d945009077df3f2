"""Every map and page `geoplan demo` writes, in English and Chinese, opened in headless Chromium.

The demo county is copied with a hostile name (`<img src=x onerror=alert(1)>`) planted in every
text field of every layer (names, Chinese names, communities) and in the county's own name; every
page must show it as text, fire no dialog and request nothing from the network; on every map the
title, controls, legends and captions must not cover one another.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import networkx as nx
import pytest
from browser import (
    METRIC,
    check_map_in_browser,
    label_marker_overlaps,
    map_details,
    panel_overlaps,
)
from conftest import HOSTILE_NAME

from geoplan.data import datasets
from geoplan.data.area import PlanningArea
from geoplan.outputs import maps, plan_maps
from geoplan.outputs.labels import MAP_LABELS, PLAN_MAP_TEXT, texts
from geoplan.outputs.plan_files import OutputOptions, write_plan_files
from geoplan.plan.pipeline import PlanResult, load_network, make_plan

TEXT_COLUMNS = ("name", "name_zh", "community")


def hostile_demo() -> PlanningArea:
    area = datasets.demo_county()
    layers = {}
    for layer in ("townships", "villages", "schools", "sites", "blocks"):
        gdf = area.layer(layer).copy()
        for column in TEXT_COLUMNS:
            if column in gdf.columns:
                gdf.iloc[0, gdf.columns.get_loc(column)] = HOSTILE_NAME
        layers[layer] = gdf
    return dataclasses.replace(area, name=f"Demo {HOSTILE_NAME}", **layers)


@pytest.fixture(scope="module")
def hostile_result() -> tuple[PlanResult, nx.MultiDiGraph]:
    area = hostile_demo()
    graph = load_network(area)
    return make_plan(area, graph=graph), graph


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_demo_page_opens_offline_and_safely(
    hostile_result: tuple[PlanResult, nx.MultiDiGraph], tmp_path: Path, lang: str
) -> None:
    result, graph = hostile_result
    options = OutputOptions(profile_pdfs=False, print_maps=False, lang=lang)
    written = write_plan_files(result, tmp_path, graph=graph, options=options)
    pages = sorted(p for p in written if p.suffix == ".html")
    names = {p.name for p in pages}
    for expected in (
        "overview_map.html",
        "journeys_today_map.html",
        "restoration_map.html",
        "districts_map.html",
        "before_after_map.html",
        "school_journeys_map.html",
        "index.html",
    ):
        assert expected in names, f"{expected} not written"
    # the profile index and one profile page; every map
    profile_pages = [p for p in pages if p.parent.name == "profiles" and p.name != "index.html"]
    assert profile_pages
    checked = [p for p in pages if p.parent == tmp_path] + [
        tmp_path / "profiles" / "index.html",
        profile_pages[0],
    ]
    plan_page = tmp_path / "profiles" / "school_S01_plan.html"  # 一校一案: a page without a map
    assert HOSTILE_NAME not in plan_page.read_text(encoding="utf-8")
    report = check_map_in_browser(plan_page, check=False)
    assert [p for p in report.problems() if "no Leaflet map" not in p] == []
    assert HOSTILE_NAME in report.page_text
    for page in checked:
        text = page.read_text(encoding="utf-8")
        assert HOSTILE_NAME not in text, f"{page.name} holds the hostile markup unescaped"
        report = check_map_in_browser(page, max_per_layer=8)
        seen = [report.page_text, report.title, *report.tooltip_texts, *report.popup_texts]
        if page.name != profile_pages[0].name:
            assert any(HOSTILE_NAME in t for t in seen), f"{page.name}: hostile name not shown"
        if report.maps:
            # title, controls, legends and captions clear of each other on a laptop and on a
            # meeting room's 1024 x 768 projector
            for viewport in ((1366, 768), (1024, 768)):
                panels, meeting = panel_overlaps(page, viewport=viewport)
                assert panels >= 3, f"{page.name}: {panels} panels measured"
                assert meeting == [], f"{page.name} at {viewport}:\n" + "\n".join(meeting)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_before_after_halves_show_captions_and_labels_and_move_together(
    hostile_result: tuple[PlanResult, nx.MultiDiGraph], tmp_path: Path, lang: str
) -> None:
    """Both halves of the before/after map: their caption over their own half, township labels
    shown in each and covering no school pin or restored site, a metric scale bar and the search
    controls in each, and panning or zooming one half moves the other to the same view."""
    result, _ = hostile_result
    path = maps.save_offline(
        plan_maps.before_after_map(result, lang=lang), tmp_path / "before_after.html"
    )
    text = texts(PLAN_MAP_TEXT, lang)
    words = texts(MAP_LABELS, lang)
    townships = len(result.area.townships)
    for viewport in ((1200, 800), (1366, 768), (1024, 768)):
        seen = map_details(path, viewport=viewport)
        assert len(seen.halves) == 2
        left, right = (h["box"] for h in seen.halves)
        assert left[2] <= right[0] + 1  # side by side
        assert [c["text"] for c in seen.captions] == [text["before"], text["after"]]
        for caption, half in zip(seen.captions, seen.halves, strict=True):
            x0, _, x1, _ = half["box"]
            middle = (caption["box"][0] + caption["box"][2]) / 2
            assert x0 < middle < x1, (caption, half["box"])  # over its own half
        for half in seen.halves:
            assert half["labels"], f"no township label shown in {half['box']} at {viewport}"
            assert len(half["labels"]) <= townships
            if viewport != (1024, 768):  # see test_before_after_labels_inside_a_narrow_half
                assert half["clipped"] == [], (viewport, half)
        assert len(seen.scale_lines) == 2 and all(METRIC.fullmatch(s) for s in seen.scale_lines)
        assert len(seen.searches) == 4
        for search in seen.searches:  # two per half, inside their half
            inside = [h for h in seen.halves if h["box"][0] <= search["box"][0] < h["box"][2]]
            assert len(inside) == 1, search
        assert sum(s["box"][0] >= right[0] for s in seen.searches) == 2
        assert len(seen.synced) == 2
        for move in seen.synced:
            start, moved, other = move["start"], move["moved"], move["other"]
            assert (moved["lat"], moved["lng"], moved["zoom"]) != (
                start["lat"],
                start["lng"],
                start["zoom"],
            )
            assert other["zoom"] == moved["zoom"], move
            assert other["lat"] == pytest.approx(moved["lat"], abs=1e-6), move
            assert other["lng"] == pytest.approx(moved["lng"], abs=1e-6), move
        covered = label_marker_overlaps(
            path,
            [words["schools"], text["restoration"]],
            viewport=viewport,
            screenshot=tmp_path / f"before_after_{lang}_{viewport[0]}.png",
        )
        assert covered.shown + covered.hidden == 2 * townships
        restored = len(result.restoration.restored) if result.restoration is not None else 0
        open_schools = int((result.schools["status"] == "open").sum())
        assert covered.markers >= 2 * 2 * open_schools + restored  # pins, shadows, sites
        assert covered.overlaps == [], "\n".join(covered.overlaps)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="known: labels are placed for a 600 px half; on a 1024 px window (512 px halves) "
    "Bayan Gol Township's label crosses the right half's left edge",
)
def test_before_after_labels_inside_a_narrow_half(
    hostile_result: tuple[PlanResult, nx.MultiDiGraph], tmp_path: Path
) -> None:
    """On a meeting room's 1024 x 768 projector no township label crosses its half's edge."""
    result, _ = hostile_result
    path = maps.save_offline(plan_maps.before_after_map(result), tmp_path / "before_after.html")
    seen = map_details(path, viewport=(1024, 768))
    assert [h["clipped"] for h in seen.halves] == [[], []]
