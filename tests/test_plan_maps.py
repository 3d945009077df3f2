"""Tests of geoplan.outputs.plan_maps: every plan map offline, in both languages, with
hostile names."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from browser import check_map_in_browser
from conftest import HOSTILE_NAME, build_tiny_graph
from shapely.geometry import box

from geoplan.models.districts import DistrictPlan
from geoplan.outputs import maps, plan_maps
from geoplan.plan.pipeline import PlanResult, PlanSettings, make_plan
from geoplan.plan.school_journeys import busiest_school, school_journey_lines
from geoplan.rules import PlanningRules

ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def with_districts(result: PlanResult) -> PlanResult:
    """The plan with hand-made blocks and two district polygons (one per level)."""
    area = result.area
    x0, y0 = 400_000.0, 4_700_000.0
    blocks = gpd.GeoDataFrame(
        {"name": ["B1", "B2"]},
        geometry=[
            box(x0 + 9000, y0 + 9000, x0 + 10000, y0 + 10000),
            box(x0 + 10000, y0 + 9000, x0 + 11000, y0 + 10000),
        ],
        crs=area.crs,
        index=pd.Index(["B1", "B2"], name="id"),
    )
    districts = gpd.GeoDataFrame(
        {"level": ["primary", "middle"], "school": ["S1", "S2"], "pupils": [120, 80]},
        geometry=[blocks.geometry.iloc[0], blocks.union_all()],
        crs=area.crs,
        index=pd.Index(["primary:S1", "middle:S2"], name="id"),
    )
    plan = DistrictPlan(
        blocks=blocks,
        schools=pd.DataFrame(),
        districts=districts,
        indicators=pd.DataFrame(),
        solutions={},
        cost_source={},
        islands=pd.DataFrame(
            {
                "level": ["primary"],
                "joined_to": ["S1"],
                "reason": [f"island: joined to the district of {HOSTILE_NAME}, reached first"],
            },
            index=pd.Index(["B2"], name="id"),
        ),
    )
    return dataclasses.replace(
        result, area=dataclasses.replace(area, blocks=blocks), districts=plan
    )


def build(kind: str, result: PlanResult, lang: str):
    if kind == "journeys":
        return plan_maps.journeys_map(result, lang=lang)
    if kind == "restoration":
        return plan_maps.restoration_map(result, lang=lang)
    if kind == "school_journeys":
        _, lines = school_journey_lines(result, build_tiny_graph(), school="S1")
        return plan_maps.school_journeys_map(result, lines, school="S1", lang=lang)
    if kind == "before_after":
        return plan_maps.before_after_map(result, lang=lang)
    return plan_maps.districts_map(with_districts(result), lang=lang)


KINDS = ["journeys", "restoration", "school_journeys", "before_after", "districts"]


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("kind", KINDS)
def test_plan_map_offline_and_escaped(
    hostile_plan: PlanResult, tmp_path: Path, kind: str, lang: str
) -> None:
    path = maps.save_offline(build(kind, hostile_plan, lang), tmp_path / f"{kind}.html")
    page = path.read_text(encoding="utf-8")
    assert HOSTILE_NAME not in page
    report = check_map_in_browser(path, max_per_layer=2)  # no dialog, error or request
    assert report.title.startswith(HOSTILE_NAME)
    shown = report.tooltip_texts + report.popup_texts
    assert any(HOSTILE_NAME in t for t in shown), shown
    assert not any("&lt;" in t or "&amp;" in t for t in shown)
    if lang == "zh":
        assert "模拟数据" in report.page_text
    if kind == "before_after":
        assert report.maps == 2


def test_districts_map_shows_joined_islands_with_their_reason(hostile_plan: PlanResult) -> None:
    page = plan_maps.districts_map(with_districts(hostile_plan), lang="en").get_root().render()
    assert "Island blocks joined to a district (why)" in page
    # The tooltip, escaped, inside the layer's GeoJSON (where & is written \u0026).
    tip = "B2: island: joined to the district of " + ESCAPED.replace("&", "\\u0026")
    assert tip in page
    assert HOSTILE_NAME not in page


def with_feeders(result: PlanResult) -> PlanResult:
    """The plan with two primary districts (S1 in B1, S2 in B2) both inside the junior middle
    district of S4 (B1 and B2), as a feeder plan says: S1 and S2 feed S4."""
    planned = with_districts(result)
    assert planned.districts is not None
    blocks = planned.districts.blocks
    districts = gpd.GeoDataFrame(
        {
            "level": ["primary", "primary", "middle"],
            "school": ["S1", "S2", "S4"],
            "pupils": [120, 90, 80],
        },
        geometry=[blocks.geometry.iloc[0], blocks.geometry.iloc[1], blocks.union_all()],
        crs=blocks.crs,
        index=pd.Index(["primary:S1", "primary:S2", "middle:S4"], name="id"),
    )
    feeders = pd.DataFrame(
        {"feeds": ["S4", "S4"], "nine_year": [False, False]},
        index=pd.Index(["S1", "S2"], name="id"),
    )
    plan = dataclasses.replace(planned.districts, districts=districts, feeders=feeders)
    return dataclasses.replace(planned, districts=plan)


def test_districts_map_shows_the_feeders(hostile_plan: PlanResult) -> None:
    """A layer of the primary districts, each in its middle school's colour, naming both."""
    import folium

    title = "Primary schools feeding each middle school"

    def layers(m: folium.Map) -> dict[str, folium.GeoJson]:
        return {c.layer_name: c for c in m._children.values() if isinstance(c, folium.GeoJson)}

    assert title not in layers(plan_maps.districts_map(with_districts(hostile_plan)))
    drawn = layers(plan_maps.districts_map(with_feeders(hostile_plan), lang="en"))
    feeders = drawn[title]
    assert not feeders.show  # off when the map opens, like the other extra layers
    features = feeders.data["features"]
    middle = plan_maps.district_palette(["S4"])["S4"]
    assert [feeders.style_function(f)["fillColor"] for f in features] == [middle, middle]
    names = hostile_plan.schools["name"]
    assert [f["properties"]["tip"] for f in features] == [
        maps.escape(f"{names['S1']} -> {names['S4']}"),
        maps.escape(f"{names['S2']} -> {names['S4']}"),
    ]
    # on the primary layer the same districts have colours of their own
    primary = drawn["School districts: primary"]
    own = [primary.style_function(f)["fillColor"] for f in primary.data["features"]]
    assert own == list(plan_maps.district_palette(["S1", "S2"]).values()) and own[1] != middle


@pytest.mark.browser
def test_feeders_layer_in_the_browser(hostile_plan: PlanResult, tmp_path: Path) -> None:
    title = "Primary schools feeding each middle school"
    m = plan_maps.districts_map(with_feeders(hostile_plan), lang="en")
    path = maps.save_offline(m, tmp_path / "districts.html")
    report = check_map_in_browser(path, max_per_layer=2)  # no dialog, error or request
    assert report.layer_counts[title] == 2
    names = hostile_plan.schools["name"]
    assert f"{HOSTILE_NAME} -> {names['S4']}" in report.tooltip_texts
    assert f"Beta Nine-year School -> {names['S4']}" in report.tooltip_texts


def test_journey_colours_by_bins() -> None:
    minutes = pd.Series([0.0, 15.0, 15.1, 30.0, 59.0, 121.0, np.inf, np.nan])
    colours = plan_maps.journey_colors(minutes).tolist()
    c = plan_maps.JOURNEY_COLORS
    assert colours == [
        c[0],
        c[0],
        c[1],
        c[1],
        c[3],
        c[5],
        plan_maps.UNREACHABLE_COLOR,
        plan_maps.UNREACHABLE_COLOR,
    ]


def test_school_journey_lines_match_the_plan(hostile_plan: PlanResult, tmp_path: Path) -> None:
    """Drawn lines end at the school and their minutes equal the plan's matrix."""
    graph = build_tiny_graph()
    _, lines = school_journey_lines(hostile_plan, graph, school="S2", band="g7_9")
    m = plan_maps.school_journeys_map(hostile_plan, lines, school="S2", band="g7_9")
    page = maps.render_offline(m)
    after = hostile_plan.after.xs("g7_9", level="band")
    mine = after[(after["school"] == "S2") & (after["status"] == "day")]
    assert len(mine) and set(lines.index) == set(mine.index)  # a line per day-pupil village
    for vid in mine.index:
        minutes = hostile_plan.minutes["g7_9"].loc[vid, "S2"]
        assert f": {minutes:.0f} min" in page
    # Boarders get no daily line: grades 1-3 of the tiny county all board at S1.
    _, none = school_journey_lines(hostile_plan, graph, school="S1")
    assert not len(none)


def test_villages_coloured_by_day_journey_boarders_and_unserved_apart(
    hostile_plan: PlanResult, tmp_path: Path
) -> None:
    """Day villages by their daily journey; boarders and unserved in their own colours."""
    rules = PlanningRules(day_limit_min={"g1_3": 30.0, "g4_6": 45.0, "g7_9": 40.0})
    settings = PlanSettings(rules=rules, sites_per_phase=(1,), years=1, cache_dir=tmp_path)
    plan = make_plan(hostile_plan.area, graph=build_tiny_graph(), settings=settings)
    after = plan.after
    colours = plan_maps.village_colors(after, "g7_9")
    rows = after.xs("g7_9", level="band")
    assert set(rows["status"]) >= {"day", "boards"}  # the tiny county has both
    for vid, row in rows.iterrows():
        if row["status"] == "day":
            expected = plan_maps.journey_colors(pd.Series([row["journey_min"]])).iloc[0]
        elif row["status"] == "boards":
            expected = plan_maps.BOARDER_COLOR
        else:
            expected = plan_maps.UNSERVED_COLOR
        assert colours[vid] == expected, vid
    legend = dict(plan_maps.journey_legend("en"))
    assert plan_maps.BOARDER_COLOR in legend and plan_maps.UNSERVED_COLOR in legend
    assert "boarders" in legend[plan_maps.BOARDER_COLOR]
    page = maps.render_offline(plan_maps.journeys_map(plan))
    assert maps.escape(legend[plan_maps.BOARDER_COLOR]) in page
    popup = plan_maps.village_popup_rows(after, "g7_9", plan.schools)
    boarder = rows.index[rows["status"] == "boards"][0]
    shown = {label: series.get(boarder) for label, series in popup.items()}
    assert shown["grades 7-9: Pupils are"] == "boarders"
    assert shown["grades 7-9: Travel mode"] == "school_bus"
    trip = shown["grades 7-9: Boarders' weekly trip home, one way (min)"]
    assert trip == round(rows.loc[boarder, "weekly_trip_min"], 1)
    assert pd.isna(shown["grades 7-9: Daily journey, one way (min)"])
    g13 = plan_maps.village_popup_rows(after, "g1_3", plan.schools)
    walks = after.xs("g1_3", level="band")["journey_min"]  # every one a boarder's walk
    assert not any(g13[k].isin(walks.round(1)).any() for k in g13 if "min" in k)


def test_busiest_school_by_brute_force(hostile_plan: PlanResult) -> None:
    after = hostile_plan.after.xs("g1_3", level="band")
    totals: dict[str, float] = {}
    for _, row in after.iterrows():
        if row["status"] != "unserved" and row["school"] in hostile_plan.schools.index:
            totals[row["school"]] = totals.get(row["school"], 0.0) + row["pupils"]
    assert busiest_school(hostile_plan) == max(totals, key=totals.__getitem__)


def _first_point(page: str) -> tuple[float, float]:
    found = re.search(r'"coordinates": \[([0-9.]+), ([0-9.]+)\]', page)
    assert found is not None
    return float(found.group(1)), float(found.group(2))


def test_amap_basemap_shifts_overlays_to_gcj02(hostile_plan: PlanResult) -> None:
    eviltransform = pytest.importorskip("eviltransform")
    plain = maps.render_offline(plan_maps.journeys_map(hostile_plan))
    amap = maps.render_offline(plan_maps.journeys_map(hostile_plan, basemap="amap"))
    lon, lat = _first_point(plain)
    glon, glat = _first_point(amap)
    ref_lat, ref_lon = eviltransform.wgs2gcj(lat, lon)  # independent implementation
    assert abs(glon - ref_lon) < 2e-6 and abs(glat - ref_lat) < 2e-6
    assert abs(glon - lon) > 1e-3  # really shifted (hundreds of metres)
    assert "autonavi.com" in amap and "autonavi.com" not in plain


def test_tile_urls_only_on_request(hostile_plan: PlanResult) -> None:
    plain = maps.render_offline(plan_maps.restoration_map(hostile_plan))
    osm = maps.render_offline(plan_maps.restoration_map(hostile_plan, basemap="osm"))
    assert "tile.openstreetmap.org" in osm and "tile.openstreetmap.org" not in plain
    tdt = maps.render_offline(
        plan_maps.restoration_map(hostile_plan, basemap="tianditu", tianditu_key="abc123def456")
    )
    assert "tk=abc123def456" in tdt and "LAYER=cva" in tdt
    with pytest.raises(ValueError, match="Tianditu key"):
        plan_maps.restoration_map(hostile_plan, basemap="tianditu", tianditu_key="x'};alert(1)//")
    with pytest.raises(ValueError, match="Unknown basemap"):
        plan_maps.restoration_map(hostile_plan, basemap="google")


def test_maps_do_not_mutate_the_plan(hostile_plan: PlanResult) -> None:
    villages = hostile_plan.area.villages.copy()
    after = hostile_plan.after.copy()
    plan_maps.before_after_map(hostile_plan, hostile_plan, lang="zh")
    pd.testing.assert_frame_equal(hostile_plan.area.villages, villages)
    pd.testing.assert_frame_equal(hostile_plan.after, after)


def test_a_plan_with_no_village_pupil_at_a_school_writes_no_school_journeys_map(
    hostile_plan: PlanResult, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A county town planned by its blocks alone (every village unserved) still writes its maps:
    only the school journeys map is left out, and the log says why."""
    from geoplan.outputs.plan_files import OutputOptions, write_plan_files

    result = dataclasses.replace(
        hostile_plan,
        before=hostile_plan.before.assign(status="unserved"),
        restoration=None,  # the plan's assignment is then today's
    )
    options = OutputOptions(profiles=False, profile_pdfs=False, print_maps=False)
    with caplog.at_level("INFO", logger="geoplan.outputs.plan_files"):
        written = write_plan_files(result, tmp_path, graph=build_tiny_graph(), options=options)
    names = {p.name for p in written}
    assert "school_journeys_map.html" not in names
    assert {"overview_map.html", "journeys_today_map.html", "before_after_map.html"} <= names
    assert "school journeys map not written: No school has pupils of band g1_3" in caplog.text


@pytest.mark.parametrize("kind", KINDS)
def test_every_plan_map_names_its_school_kinds(hostile_plan: PlanResult, kind: str) -> None:
    """Each plan map's legend lists the kinds of the schools it draws, in their pins' colours."""
    page = maps.render_offline(build(kind, hostile_plan, "en"))
    legends = re.findall(
        r"<div class='geoplan-legend'[^>]*><b>Schools by kind</b>(.*?)</div></div>", page
    )
    assert len(legends) == 1, f"{kind}: {len(legends)} school legends"
    drawn = hostile_plan.schools
    if kind == "school_journeys":
        drawn = drawn.loc[["S1"]]
    if kind == "districts":  # the schools that have a district
        drawn = drawn[drawn.index.isin(with_districts(hostile_plan).districts.districts["school"])]
    kinds = sorted(set(drawn["kind"].astype(str)))
    labels = maps.texts(maps.MAP_LABELS, "en")
    for k in kinds:
        assert f'<i style="background:{maps.school_color(k)}"></i>{labels[k]}' in legends[0], k
    assert legends[0].count("<i ") == len(kinds)


def overlay_names(m: object) -> list[list[str]]:
    """The names in the layer control, per map (two for a dual map), in drawing order."""
    sides = [m.m1, m.m2] if hasattr(m, "m1") else [m]
    return [
        [
            c.layer_name
            for c in side._children.values()
            if getattr(c, "control", False) and getattr(c, "layer_name", None)
        ]
        for side in sides
    ]


JOURNEY_LAYER = {"en": "day journey (min, one way)", "zh": "走读单程时间（分钟）"}
"""What a journey layer shows: day pupils' one-way daily journey, in minutes."""
GRADES = {"en": "Grades 1-3", "zh": "1-3年级"}
STATES = {
    "en": ("today", "after the plan", "plan A", "plan B"),
    "zh": ("现状", "规划后", "方案A", "方案B"),
}
WORDS = {
    "en": ("Townships", "Schools", "Teaching-point restoration"),
    "zh": ("乡镇", "学校", "教学点恢复"),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_layer_names_are_short_and_say_band_content_and_state(
    hostile_plan: PlanResult, lang: str
) -> None:
    """Layer-control names: band · what (unit, one way) · state, short, in the map's language."""
    today, after, plan_a, plan_b = STATES[lang]
    towns, schools, restored = WORDS[lang]

    def journey(state: str) -> str:
        return f"{GRADES[lang]} · {JOURNEY_LAYER[lang]} · {state}"

    def names(m: object) -> list[list[str]]:
        return [[html.unescape(n) for n in side] for side in overlay_names(m)]

    assert names(plan_maps.before_after_map(hostile_plan, lang=lang)) == [
        [f"{towns} · {today}", journey(today), f"{schools} · {today}"],
        [f"{towns} · {after}", journey(after), f"{restored} · {after}", f"{schools} · {after}"],
    ]
    two = names(plan_maps.before_after_map(hostile_plan, hostile_plan, lang=lang))
    assert [side[1] for side in two] == [journey(plan_a), journey(plan_b)]
    (restoration,) = names(plan_maps.restoration_map(hostile_plan, lang=lang))
    assert restoration[1:3] == [journey(today), journey(after)]
    for after_plan, state in ((False, today), (True, after)):
        (layers,) = names(plan_maps.journeys_map(hostile_plan, after=after_plan, lang=lang))
        bands = [n for n in layers if JOURNEY_LAYER[lang] in n]
        assert [n.split(" · ")[0] for n in bands] == [
            GRADES[lang].replace("1-3", b) for b in ("1-3", "4-6", "7-9")
        ]
        assert all(n.endswith(f" · {state}") for n in bands), bands
    every = [n for side in two for n in side] + restoration + layers
    assert max(len(n) for n in every) <= 60, every  # two lines of the layer control at most
