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
from browser import check_map_in_browser, panel_overlaps
from conftest import HOSTILE_NAME

from geoplan.data import datasets
from geoplan.data.area import PlanningArea
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
