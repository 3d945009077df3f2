"""Tests of geoplan.plan.needs and geoplan.plan.standards: two schools' needs worked by hand,
the teacher rotation against brute force, standards checked, placeholders marked in every output."""

from __future__ import annotations

import dataclasses
import itertools
import math
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser import check_map_in_browser
from conftest import HOSTILE_NAME, build_tiny_area, build_tiny_graph
from shapely.geometry import Point

from geoplan.errors import ScenarioError
from geoplan.outputs import school_plans
from geoplan.plan.needs import ITEMS, SchoolNeeds, final_enrolment, school_needs, teacher_rotation
from geoplan.plan.pipeline import PlanResult, PlanSettings, make_plan
from geoplan.plan.standards import (
    STANDARD_KEYS,
    checked_overrides,
    default_standards,
    load_standards,
)
from geoplan.runs.scenario import load_scenario

NAN = math.nan

# S1 (central primary, limit 45) and S2 (nine-year, 45/45/50) of the tiny county, surveyed.
CONDITIONS = {
    "S1": {
        "enrolment_g1_3": 100,  # with 80 in grades 4-6: 3 + 2 = 5 classes, 180 pupils, 36 a class
        "classrooms": 3,
        "classroom_area_m2": 150.0,
        "dormitory_area_m2": 120.0,
        "canteen_area_m2": 100.0,
        "office_area_m2": 20.0,
        "dangerous_area_m2": 200.0,
        "heating": "stove",
        "media_sets": 1,
        "computers": 5,
        "desk_sets": 160,
        "playground_m2": 1000.0,
        "teachers_primary": 10,
        "teachers_middle": None,
    },
    "S2": {  # 90 + 80 + 120 pupils: 2 + 2 + 3 = 7 classes; most conditions not surveyed
        "classrooms": None,
        "classroom_area_m2": None,
        "dormitory_area_m2": 100.0,
        "canteen_area_m2": None,
        "office_area_m2": None,
        "dangerous_area_m2": 0.0,
        "heating": "boiler",
        "media_sets": 7,
        "computers": None,
        "desk_sets": 290,
        "playground_m2": None,
        "teachers_primary": 15,
        "teachers_middle": 6,
    },
}


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    """The tiny county with S1 and S2 surveyed; no projection (years=0), no restoration."""
    area = build_tiny_area()
    schools = area.schools.copy()
    for col in {c for values in CONDITIONS.values() for c in values}:
        if col not in schools.columns:
            schools[col] = pd.Series([None] * len(schools), index=schools.index, dtype=object)
    for sid, values in CONDITIONS.items():
        for col, value in values.items():
            schools.loc[sid, col] = value
    area = dataclasses.replace(area, schools=schools)
    return make_plan(
        area,
        graph=build_tiny_graph(),
        settings=PlanSettings(restore=False, years=0, cache_dir=tmp_path_factory.mktemp("c")),
    )


@pytest.fixture(scope="module")
def needs(plan: PlanResult) -> SchoolNeeds:
    minutes = pd.DataFrame(20.0, index=plan.schools.index, columns=plan.schools.index)
    return school_needs(plan, school_minutes=minutes)


def _item(needs: SchoolNeeds, sid: str, item: str) -> pd.Series:
    return needs.items.loc[f"{sid}:{item}"]


def test_boarders_of_the_tiny_county(plan: PlanResult) -> None:
    """The boarders the hand-worked beds use, read off the assignment row by row."""
    after = plan.after
    boards = after[after["status"] == "boards"]
    at = boards.groupby("school")["pupils"].sum()
    assert at["S1"] == 10 + 8 + 20 + 16 + 40  # V1 g1-3, g4-6; V2 g1-3, g4-6; V5 g4-6
    assert at["S2"] == 30 + 24 + 40 + 32 + 48  # V3, V4 g1-6; V6 g4-6


# (item, status, have, standard, shortfall, cost_yuan, pupils_helped), worked by hand from the
# default standards: building 3000 yuan/m², boiler 120/m², 90 m² per new primary classroom,
# 1.36 m² per primary seat, 3 m² and 800 yuan per bed, 15,000 per media set, 10 pupils and 4,500
# yuan per computer, 450 per desk set, 0.8 m² of canteen per primary pupil, 12 m² of playground
# per pupil in a primary of up to 6 classes at 200 yuan/m², 5 m² of office per teacher.
S1_BY_HAND = [
    ("dangerous_buildings", "short", 200, 0, 200, 200 * 3000, 180),
    ("stove_heating", "short", 0, 390, 390, 390 * 120, 180),  # 150 + 120 + 100 + 20 m² heated
    ("classrooms", "short", 3, 5, 2, 2 * 90 * 3000, 72),  # 2 classes of 36 lack a room
    # 5 classes x 45 seats x 1.36 m² = 306 m²; 3 of 5 rooms exist: 183.6 m² of 150
    ("classroom_area", "short", 150, 183.6, 33.6, 33.6 * 3000, 20),  # 180 x 3/5 x 33.6/183.6
    ("beds", "short", 50, 94, 44, 44 * (3 * 3000 + 800), 44),
    ("dormitory_area", "short", 120, 150, 30, 30 * 3000, 10),  # 50 boarders in beds x 30/150
    ("media_sets", "short", 1, 5, 4, 4 * 15000, 144),  # 4 classes of 36
    ("computers", "short", 5, 18, 13, 13 * 4500, 130),  # 13 x 180/18
    ("desk_sets", "short", 160, 180, 20, 20 * 450, 20),
    ("canteen_area", "short", 100, 144, 44, 44 * 3000, 180),
    ("playground", "short", 1000, 2160, 1160, 1160 * 200, 180),
    ("office_area", "short", 20, 60, 40, 40 * 3000, 0),  # 12 teachers needed x 5 m²
]
S2_BY_HAND = [
    ("dangerous_buildings", "meets", 0, 0, 0, 0, 0),
    ("stove_heating", "meets", 100, 100, 0, 0, 0),  # a boiler heats the 100 m² surveyed
    ("classrooms", "meets", 9, 7, 0, 0, 0),  # not surveyed: today's 9 classes have rooms
    ("classroom_area", "not_surveyed", NAN, None, 0, 0, 0),
    ("beds", "short", 50, 174, 124, 124 * 9800, 124),
    ("dormitory_area", "short", 100, 150, 50, 50 * 3000, 17),  # 50 in beds x 50/150 = 16.7
    ("media_sets", "meets", 7, 7, 0, 0, 0),
    ("computers", "not_surveyed", NAN, None, 0, 0, 0),
    ("desk_sets", "meets", 290, 290, 0, 0, 0),
    ("canteen_area", "not_surveyed", NAN, None, 0, 0, 0),
    ("playground", "not_surveyed", NAN, None, 0, 0, 0),
    ("office_area", "not_surveyed", NAN, None, 0, 0, 0),
]


@pytest.mark.parametrize(("sid", "rows"), [("S1", S1_BY_HAND), ("S2", S2_BY_HAND)])
def test_two_schools_by_hand(needs: SchoolNeeds, sid: str, rows: list[tuple]) -> None:
    assert [r[0] for r in rows] == list(ITEMS)
    for item, status, have, standard, shortfall, cost, helped in rows:
        got = _item(needs, sid, item)
        assert got["status"] == status, item
        assert got["priority"] == ITEMS[item].priority
        if isinstance(have, float) and math.isnan(have):
            assert math.isnan(got["have"]), item
        else:
            assert got["have"] == pytest.approx(have), item
        if standard is not None:
            assert got["standard"] == pytest.approx(standard), item
        assert got["shortfall"] == pytest.approx(shortfall), item
        assert got["cost_yuan"] == pytest.approx(cost), item
        assert got["pupils_helped"] == helped, item


def test_school_totals_by_hand(needs: SchoolNeeds) -> None:
    s1 = needs.schools.loc["S1"]
    assert s1["pupils"] == 180 and s1["classes_needed"] == 5 and s1["boarders"] == 94
    assert s1["cost_1_yuan"] == pytest.approx(600_000 + 46_800)
    assert s1["cost_2_yuan"] == pytest.approx(540_000 + 100_800 + 431_200 + 90_000)
    assert s1["cost_3_yuan"] == pytest.approx(60_000 + 58_500 + 9_000 + 132_000 + 232_000 + 120_000)
    assert s1["cost_yuan"] == pytest.approx(s1[["cost_1_yuan", "cost_2_yuan", "cost_3_yuan"]].sum())
    s2 = needs.schools.loc["S2"]
    assert s2["cost_yuan"] == pytest.approx(124 * 9800 + 150_000)
    assert set(s2["not_surveyed"].split(", ")) == {
        "classroom_area_m2", "computers", "canteen_area_m2", "playground_m2", "office_area_m2"
    }  # fmt: skip
    assert needs.schools.loc["S4", "not_surveyed"].count(",") == len(ITEMS) - 3  # all but 3


def test_teachers_and_rotation_by_hand(needs: SchoolNeeds) -> None:
    t = needs.teachers
    # S1: teachers_needed(180 pupils, 5 classes) = max(5, 180 / 15) = 12; 10 in post
    assert t.loc["S1:primary", ["needed", "in_post", "shortage", "surplus"]].tolist() == [
        12,
        10,
        2,
        0,
    ]
    # S2 primary: max(4, ceil(170 / 15)) = 12, 15 in post; middle: max(3, 120 / 15) = 8, 6 in post
    assert t.loc["S2:primary", ["needed", "shortage", "surplus"]].tolist() == [12, 0, 3]
    assert t.loc["S2:middle", ["needed", "shortage", "surplus"]].tolist() == [8, 2, 0]
    assert math.isnan(t.loc["S3:teaching_point", "in_post"])  # not surveyed: no rotation
    # S2 may send floor(10 % x 15) = 1 of its 3 spare primary teachers to S1 (20 minutes)
    rot = needs.rotation
    assert rot[["from_school", "to_school", "level", "teachers"]].values.tolist() == [
        ["S2", "S1", "primary", 1]
    ]


def _brute_force(send: dict, take: dict, minutes: pd.DataFrame, limit: float) -> tuple:
    pairs = [(a, b) for a in send for b in take if a != b and minutes.loc[a, b] <= limit]
    best = (0, 0.0)
    for counts in itertools.product(*[range(min(send[a], take[b]) + 1) for a, b in pairs]):
        out = {a: 0 for a in send}
        into = {b: 0 for b in take}
        for (a, b), x in zip(pairs, counts, strict=True):
            out[a] += x
            into[b] += x
        if any(out[a] > send[a] for a in send) or any(into[b] > take[b] for b in take):
            continue
        moved = sum(counts)
        mins = sum(x * minutes.loc[a, b] for (a, b), x in zip(pairs, counts, strict=True))
        if moved > best[0] or (moved == best[0] and mins < best[1]):
            best = (moved, mins)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_rotation_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ids = [f"S{i}" for i in range(5)]
    in_post = rng.integers(5, 40, 5)
    needed = in_post + rng.integers(-6, 7, 5)
    teachers = pd.DataFrame(
        {
            "school": ids,
            "level": "primary",
            "needed": needed,
            "in_post": in_post.astype(float),
            "shortage": np.maximum(0, needed - in_post),
            "surplus": np.maximum(0, in_post - needed),
        },
        index=[f"{s}:primary" for s in ids],
    )
    minutes = pd.DataFrame(rng.uniform(5, 120, (5, 5)), index=ids, columns=ids)
    got = teacher_rotation(teachers, minutes, share=0.1, max_minutes=80.0)
    send = {
        s: min(int(sp), math.floor(0.1 * ip))
        for s, sp, ip in zip(ids, teachers["surplus"], in_post, strict=True)
        if min(int(sp), math.floor(0.1 * ip)) > 0
    }
    take = {s: int(n) for s, n in zip(ids, teachers["shortage"], strict=True) if n > 0}
    moved, mins = _brute_force(send, take, minutes, 80.0)
    assert int(got["teachers"].sum()) == moved
    exact = sum(
        x * minutes.loc[a, b] for a, b, x in got[["from_school", "to_school", "teachers"]].values
    )
    assert exact == pytest.approx(mins)
    for sid in ids:  # independent checks of the caps
        out = got.loc[got["from_school"] == sid, "teachers"].sum()
        assert out <= send.get(sid, 0)
        assert got.loc[got["to_school"] == sid, "teachers"].sum() <= take.get(sid, 0)
    assert (got["minutes"] <= 80.0).all()


# ---- standards --------------------------------------------------------------------------------


def test_shipped_standards_name_their_sources() -> None:
    std = default_standards()
    assert set(std.values) == set(STANDARD_KEYS)
    for s in std.values.values():
        assert s.confidence in ("high", "medium", "low")
        assert s.placeholder or s.source.strip(), s.key
    assert std["building_yuan_per_m2"].source and not std["building_yuan_per_m2"].placeholder
    assert std["media_set_yuan"].placeholder
    assert std.at("playground_m2_per_pupil", "primary", 5) == 12.0
    assert std.at("playground_m2_per_pupil", "primary", 13) == 8.0
    assert std.at("playground_m2_per_pupil", "primary", 40) == 7.0


def test_a_value_without_source_must_be_a_placeholder(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "geoplan" / "data" / "standards.yaml").read_text("utf-8")
    bad = text.replace("  placeholder: true\n", "  placeholder: false\n", 1)
    path = tmp_path / "standards.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ScenarioError, match="not marked a placeholder"):
        load_standards(path)


def test_overrides_are_checked() -> None:
    problems: list = []
    got = checked_overrides(
        {
            "building_yuan_per_m2": -5,
            "rotation_share": 1.5,
            "pupils_per_computer": 12,
            "canteen_m2_per_pupil": {"high_school": 1.0},
            "playground_m2_per_pupil": {"primary": {"six": 3.0}},
            "nonsense": 1,
            "bed_yuan": 900,
        },
        file="s.yaml",
        problems=problems,
    )
    fields = sorted(p.column for p in problems)
    assert fields == [
        "standards.building_yuan_per_m2",
        "standards.canteen_m2_per_pupil.high_school",
        "standards.nonsense",
        "standards.playground_m2_per_pupil.primary.six",
        "standards.pupils_per_computer",
        "standards.rotation_share",
    ]
    assert got["bed_yuan"] == 900.0
    with pytest.raises(ScenarioError):
        checked_overrides({"bed_yuan": "cheap"})


def test_scenario_standards_section(tmp_path: Path) -> None:
    demo = Path(__file__).parents[1] / "geoplan" / "data" / "demo"
    path = tmp_path / "s.yaml"
    path.write_text(
        f"area: {{folder: {demo}}}\n"
        "standards: {media_set_yuan: 12000, pupils_per_computer: {primary: 12}}\n",
        encoding="utf-8",
    )
    std = load_scenario(path).settings.standards
    assert std.at("media_set_yuan") == 12000 and not std["media_set_yuan"].placeholder
    assert "scenario s" in std["media_set_yuan"].source
    assert std.at("pupils_per_computer", "primary") == 12
    assert std.at("pupils_per_computer", "middle") == 8  # the default stays
    path.write_text(
        f"area: {{folder: {demo}}}\nstandards: {{media_set_yuan: 0, bed_price: 3}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert "standards.media_set_yuan" in str(err.value) and "standards.bed_price" in str(err.value)


# ---- placeholders marked in every output ------------------------------------------------------


def _placeholder_items(needs: SchoolNeeds) -> pd.DataFrame:
    return needs.items[needs.items["placeholder"]]


def test_items_flag_exactly_the_placeholder_standards(needs: SchoolNeeds) -> None:
    std = needs.standards
    for _, row in needs.items.iterrows():
        keys = [k for k in ITEMS[row["item"]].standards if std[k].placeholder]
        assert row["placeholder"] == bool(keys)
        assert row["placeholder_standards"] == ", ".join(keys)
    assert needs.schools.loc["S1", "placeholder"]


def test_workbook_marks_placeholders(needs: SchoolNeeds, tmp_path: Path) -> None:
    written = school_plans.write_needs_workbook(needs, tmp_path / "school_needs")
    assert {p.name for p in written} == {"school_needs.xlsx", "school_needs.csv"}
    book = pd.read_excel(tmp_path / "school_needs.xlsx", sheet_name=None, engine="openpyxl")
    assert set(book) == {"needs", "schools", "teachers", "rotation", "standards", "notes"}
    sheet = book["needs"].set_index("id")
    assert len(sheet) == len(needs.schools) * len(ITEMS)  # one row per school and item
    flagged = sheet[sheet["placeholder"]]
    assert set(flagged.index) == set(_placeholder_items(needs).index)
    assert (flagged["placeholder_standards"].str.len() > 0).all()
    standards = book["standards"].set_index("standard")
    assert standards.loc["media_set_yuan", "placeholder"]
    assert not standards.loc["building_yuan_per_m2", "placeholder"]
    assert "placeholder" in " ".join(book["notes"]["note"])
    csv = pd.read_csv(tmp_path / "school_needs.csv", encoding="utf-8-sig", index_col=0)
    assert csv["placeholder"].sum() == len(flagged)


def test_needs_csv_writes_whole_numbers_plain_and_fractions_to_their_places(
    needs: SchoolNeeds, tmp_path: Path
) -> None:
    """The items CSV writes 23 classrooms as '23' (not '23.0'), 1407.6000000000001 m² as
    '1407.60' and yuan whole."""
    school_plans.write_needs_workbook(needs, tmp_path / "school_needs")
    text = pd.read_csv(
        tmp_path / "school_needs.csv", encoding="utf-8-sig", index_col=0, dtype=str,
        keep_default_na=False,
    )  # fmt: skip
    items = needs.items
    floats = [c for c in items.columns if pd.api.types.is_float_dtype(items[c])]
    assert {"have", "standard", "shortfall", "cost_yuan"} <= set(floats)
    seen_whole = seen_fraction = 0
    for column in floats:
        for sid, value in items[column].items():
            cell = text.loc[sid, column]
            if math.isnan(value):
                assert cell == "", (sid, column)
            elif value == round(value):
                assert cell == str(int(value)), (sid, column, cell)
                seen_whole += 1
            else:
                shown = f"{value:.{0 if column.endswith('_yuan') else 2}f}"
                if float(shown).is_integer():
                    shown = str(int(float(shown)))
                assert cell == shown, (sid, column, cell)
                seen_fraction += 1
    assert seen_whole > 0 and seen_fraction > 0


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_plan_page_marks_placeholders(plan: PlanResult, needs: SchoolNeeds, lang: str) -> None:
    page = school_plans.plan_page(plan, needs, "S1", lang=lang)
    mark = school_plans.PLACEHOLDER_MARK
    assert "school_S1.html" in page and "school_S1_plan.pdf" in page
    label = ITEMS["media_sets"].zh if lang == "zh" else ITEMS["media_sets"].en
    row = page[page.index(label) : page.index("</tr>", page.index(label))]
    assert mark in row  # media sets cost a placeholder price
    row = page[page.index(ITEMS["dangerous_buildings"].zh if lang == "zh" else "Rebuild") :]
    row = row[: row.index("</tr>")]
    assert mark not in row  # building cost has a source
    assert "media_set_yuan" in page and "building_yuan_per_m2" in page
    assert ("暂定" if lang == "zh" else "placeholder standard") in page


def test_no_mark_when_every_placeholder_is_replaced(plan: PlanResult) -> None:
    std = default_standards()
    replaced = std.with_overrides(
        {k: s.value for k, s in std.values.items() if s.placeholder}, source="test"
    )
    got = school_needs(plan, standards=replaced)
    assert not got.items["placeholder"].any()
    page = school_plans.plan_page(plan, got, "S1", lang="en")
    assert school_plans.PLACEHOLDER_MARK not in page


@pytest.mark.cjk_font
@pytest.mark.poppler
def test_plan_pdf_marks_placeholders(plan: PlanResult, needs: SchoolNeeds, tmp_path: Path) -> None:
    path = school_plans.plan_pdf(plan, needs, "S1", tmp_path / "s1.pdf", lang="en")
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "placeholder standard" in text and "media_set_yuan" in text
    assert "dangerous" in text and school_plans.PLACEHOLDER_MARK in text


def test_plan_page_escapes_names(plan: PlanResult, needs: SchoolNeeds) -> None:
    schools = plan.schools.copy()
    schools.loc["S1", "name"] = HOSTILE_NAME
    hostile = dataclasses.replace(plan, schools=schools)
    page = school_plans.plan_page(hostile, needs, "S1", lang="en")
    assert HOSTILE_NAME not in page
    assert "&lt;img" in page


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_plan_page_in_the_browser(
    plan: PlanResult, needs: SchoolNeeds, tmp_path: Path, lang: str
) -> None:
    schools = plan.schools.copy()
    schools.loc["S1", "name"] = HOSTILE_NAME
    hostile = dataclasses.replace(plan, schools=schools)
    page = tmp_path / "plan.html"
    page.write_text(school_plans.plan_page(hostile, needs, "S1", lang=lang), encoding="utf-8")
    report = check_map_in_browser(page, check=False)
    assert [p for p in report.problems() if "no Leaflet map" not in p] == []  # a page, no map
    assert HOSTILE_NAME in report.page_text
    assert school_plans.PLACEHOLDER_MARK in report.page_text


def test_plan_page_shows_each_items_year(plan: PlanResult, needs: SchoolNeeds) -> None:
    years = {"S1:classrooms": 2026.0, "S1:beds": float("nan")}
    page = school_plans.plan_page(plan, needs, "S1", lang="en", years=years)
    row = page[page.index("Build classrooms") :]
    assert "2026" in row[: row.index("</tr>")]
    row = page[page.index("Add boarding beds") :]
    assert "not funded" in row[: row.index("</tr>")]


def test_final_enrolment_follows_the_pupils_who_move() -> None:
    """Pupils are kept: each school's final-year pupils are those of the villages it serves
    after the plan, when today's enrolment is exactly its villages' pupils (years=0).

    A restored site takes a village's young pupils from a school; summed over the open schools
    and the restored sites, the pupils are the villages' served pupils, none counted twice (a
    school that lost villages kept its whole enrolment before)."""
    base = build_tiny_area()
    spot = Point(base.villages.geometry["V1"].x + 1000, base.villages.geometry["V1"].y)  # a node
    villages = base.villages.copy()
    villages.loc["V1", "geometry"] = spot
    sites = base.sites.copy()
    sites.loc["P1", "geometry"] = spot  # P1 in V1: its young pupils walk there
    area = dataclasses.replace(base, villages=villages, sites=sites)
    graph = build_tiny_graph()
    settings = PlanSettings(years=0, sites_per_phase=(2,))
    today = make_plan(area, graph=graph, settings=dataclasses.replace(settings, restore=False))
    schools = area.schools.copy()
    before = today.before[today.before["status"] != "unserved"]
    for band in ("g1_3", "g4_6", "g7_9"):
        rows = before.xs(band, level="band")
        pupils = area.villages.loc[rows.index, f"pupils_{band}"].groupby(rows["school"]).sum()
        schools[f"enrolment_{band}"] = pupils.reindex(schools.index, fill_value=0).astype(int)
    plan = make_plan(dataclasses.replace(area, schools=schools), graph=graph, settings=settings)
    assert plan.restoration is not None and len(plan.restoration.restored) > 0
    final = final_enrolment(plan)
    after = plan.after[plan.after["status"] != "unserved"]
    moved = 0.0
    for band in ("g1_3", "g4_6", "g7_9"):
        rows = after.xs(band, level="band")
        served = area.villages.loc[rows.index, f"pupils_{band}"].groupby(rows["school"]).sum()
        at_schools = served.reindex(final.index, fill_value=0)
        got = final[f"pupils_{band}"].fillna(0)
        assert got.to_numpy() == pytest.approx(at_schools.to_numpy()), band
        assert got.sum() + served.drop(final.index, errors="ignore").sum() == served.sum()
        moved += float(served.drop(final.index, errors="ignore").sum())
    assert moved > 0  # some pupils did move to a restored site
