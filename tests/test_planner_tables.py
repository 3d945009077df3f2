"""Tables as a planner reads them: names beside ids, pupils whole, codes in words, headers unique.

The plan tests write the tables of a plan of the tiny county (``tests/conftest.py``, built in
code) in English and Chinese and open every workbook as a planner would (openpyxl).
"""

from __future__ import annotations

import dataclasses
import decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geoplan.outputs.labels import VALUE_LABELS, column_label
from geoplan.outputs.planner_tables import (
    Names,
    count_text,
    round_half_up,
    whole_counts,
    with_names,
    worded,
)


def _half_up(value: float) -> float:
    """An independent oracle: decimal arithmetic on the value's shortest text."""
    exact = decimal.Decimal(repr(value))
    return float(exact.quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))


@pytest.mark.parametrize("value", [0.5, 1.5, 2.5, 502.4, 502.5, 1324.4, 811.2, 0.49, 7.0, 12.9])
def test_round_half_up_against_decimal(value: float) -> None:
    assert round_half_up(value) == _half_up(value)
    assert count_text(value) == f"{int(_half_up(value)):,}"


def test_round_half_up_keeps_missing_and_is_not_bankers_rounding() -> None:
    got = round_half_up(np.array([2.5, np.nan, 3.5]))
    assert got[0] == 3.0 and np.isnan(got[1]) and got[2] == 4.0
    assert round(2.5) == 2  # what Python's round (and a "%.0f") would show
    assert count_text(float("nan")) == ""


def test_whole_counts_rounds_pupils_not_minutes_and_keeps_the_input() -> None:
    table = pd.DataFrame(
        {
            "pupils": [1324.4, 502.5],
            "boarders": [811.2, 0.5],
            "day_journey_min": [12.34, 5.55],
            "shared_m": [227.31, 0.5],  # metres, not a count (its format is also #,##0)
            "cost_per_pupil_yuan": [10650.41, 2.5],
        },
        index=pd.Index(["S1", "S2"], name="id"),
    )
    shown = whole_counts(table)
    assert shown["pupils"].tolist() == [1324, 503] and shown["boarders"].tolist() == [811, 1]
    for column in ("day_journey_min", "shared_m", "cost_per_pupil_yuan"):
        assert shown[column].tolist() == table[column].tolist(), column
    assert table.loc["S1", "pupils"] == 1324.4  # the model's floats are kept


def test_whole_counts_of_an_indicator_table_goes_by_the_row() -> None:
    keys = pd.Index(["after_day_pupils_g1_3", "after_day_mean_journey_g1_3_min"])
    table = pd.DataFrame({"value": pd.Series([2004.5, 12.25], index=keys, dtype=object)})
    shown = whole_counts(table, row_formats=True)
    assert shown["value"].tolist() == [2005, 12.25]


def test_worded_translates_codes_of_columns_and_index_levels() -> None:
    table = pd.DataFrame(
        {"status": ["day", "boards"], "mode": ["child_walk", "school_bus"], "pupils": [3, 4]},
        index=pd.MultiIndex.from_tuples([("V1", "g1_3"), ("V1", "g7_9")], names=["id", "band"]),
    )
    for lang in ("en", "zh"):
        words = VALUE_LABELS[lang]
        shown = worded(table, lang)
        assert shown["status"].tolist() == [words["status"]["day"], words["status"]["boards"]]
        assert shown["mode"].tolist() == [words["mode"]["child_walk"], words["mode"]["school_bus"]]
        bands = list(shown.index.get_level_values("band"))
        assert bands == [words["band"]["g1_3"], words["band"]["g7_9"]]
        assert list(shown.index.get_level_values("id")) == ["V1", "V1"]  # ids stay ids
    zh = worded(table, "zh")
    assert zh["status"].tolist() == ["走读生", "寄宿生"] and zh.index[0][1] == "1-3年级"
    assert table["status"].tolist() == ["day", "boards"]  # codes kept in the input


def test_value_labels_say_every_code_in_both_languages() -> None:
    for column, words in VALUE_LABELS["en"].items():
        zh = VALUE_LABELS["zh"][column]
        assert set(words) <= set(zh), column
        assert all(v and v != k for k, v in zh.items()), column  # Chinese words, not codes


def test_with_names_puts_names_beside_ids(tiny_area: object) -> None:
    area = tiny_area
    names = Names.of(area)  # type: ignore[arg-type]
    village = str(area.villages.index[0])  # type: ignore[attr-defined]
    town = str(area.villages["township"].iloc[0])  # type: ignore[attr-defined]
    school = str(area.schools.index[0])  # type: ignore[attr-defined]
    site = [str(s) for s in area.sites.index[:2]]  # type: ignore[attr-defined]
    table = pd.DataFrame(
        {"township": [town], "school": [school], "site_ids": [", ".join(site)]},
        index=pd.MultiIndex.from_tuples([(village, "g1_3")], names=["id", "band"]),
    )
    shown = with_names(table, names, rows="villages")
    row = shown.iloc[0]
    assert row["name"] == area.villages.loc[village, "name"]  # type: ignore[attr-defined]
    assert row["township_name"] == area.townships.loc[town, "name"]  # type: ignore[attr-defined]
    assert row["school_name"] == area.schools.loc[school, "name"]  # type: ignore[attr-defined]
    site_names = [area.sites.loc[s, "name"] for s in site]  # type: ignore[attr-defined]
    assert row["site_names"] == ", ".join(site_names)
    cols = list(shown.columns)
    assert cols.index("township_name") == cols.index("township") + 1


def test_with_names_shows_name_zh_in_chinese(make_tiny_area: object) -> None:
    area = make_tiny_area()  # type: ignore[operator]
    villages = area.villages.copy()
    villages["name_zh"] = [f"村{k}" for k in range(len(villages))]
    villages.loc[villages.index[1], "name_zh"] = None  # falls back to name
    area = dataclasses.replace(area, villages=villages)
    names = Names.of(area)
    table = pd.DataFrame({"pupils": [1.0, 2.0]}, index=pd.Index(villages.index[:2], name="id"))
    zh = with_names(table, names, lang="zh", rows="villages", both=False)
    assert zh["name"].tolist() == ["村0", villages["name"].iloc[1]]
    assert "name_zh" not in zh.columns
    en = with_names(table, names, rows="villages")
    assert en["name"].tolist() == villages["name"].iloc[:2].tolist()
    assert en["name_zh"].tolist() == ["村0", ""]


# --------------------------------------------------------------------------------------------
# the workbooks of a plan


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tables of a tiny plan (two phases of restoration) in English and Chinese."""
    from conftest import build_tiny_area, build_tiny_graph

    from geoplan.outputs.plan_files import OutputOptions, write_plan_files
    from geoplan.plan.pipeline import PlanSettings, make_plan

    area = build_tiny_area()
    villages = area.villages.copy()
    villages["name_zh"] = [f"村{k}" for k in range(len(villages))]
    schools = area.schools.copy()
    schools["name_zh"] = [f"学校{k}" for k in range(len(schools))]
    area = dataclasses.replace(area, villages=villages, schools=schools)
    graph = build_tiny_graph()
    settings = PlanSettings(sites_per_phase=(1, 1), years=2, cache_dir=tmp_path_factory.mktemp("c"))
    result = make_plan(area, graph=graph, settings=settings)
    out = {}
    for lang in ("en", "zh"):
        folder = tmp_path_factory.mktemp(lang)
        options = OutputOptions(maps=False, profiles=False, print_maps=False, lang=lang)
        write_plan_files(result, folder, graph=graph, options=options)  # type: ignore[arg-type]
        out[lang] = folder
    return out


def _twice(folder: Path) -> list[str]:
    """The headers written twice in a sheet, of every workbook in ``folder``."""
    from test_workbooks import check_workbook

    books = sorted(folder.rglob("*.xlsx"))
    assert len(books) > 5
    return [p for book in books for p in check_workbook(book, lang="en") if "twice" in p]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_workbook_header_is_unique_in_its_sheet(written: dict[str, Path], lang: str) -> None:
    assert (written[lang] / "school_needs.xlsx").exists()
    assert _twice(written[lang]) == []


def test_the_duplicate_check_finds_a_duplicate(tmp_path: Path) -> None:
    from geoplan.workbooks import Sheet, write_workbook

    table = pd.DataFrame({"label": ["a"], "name": ["b"], "x": [1]})
    for _ in range(6):
        write_workbook(
            tmp_path / f"t{_}.xlsx",
            {"t": Sheet(table, index=False, headers={"label": "名称", "name": "名称"})},
        )
    assert _twice(tmp_path)[0] == "t0.xlsx[t]: headers written twice: ['名称']"


def test_chinese_workbooks_show_words_names_and_chinese_notes(written: dict[str, Path]) -> None:
    zh, en = written["zh"], written["en"]
    unserved = pd.read_excel(zh / "villages_beyond_day_limit_after_plan.xlsx", engine="openpyxl")
    phases = pd.read_excel(zh / "restoration_phases.xlsx", engine="openpyxl")
    assert column_label("site_names", "zh") in phases.columns
    assert column_label("site_ids", "zh") in phases.columns
    assert column_label("sites", "zh") != column_label("site_ids", "zh")
    codes = {c for words in VALUE_LABELS["zh"].values() for c in words}
    for table in (unserved, phases):
        for column in table.columns:
            cells = {str(v) for v in table[column].dropna()}
            assert not cells & (codes - {"unserved"}), (column, cells & codes)
    if len(unserved):
        assert set(unserved[column_label("name", "zh")]) <= {f"村{k}" for k in range(99)}
    needs = pd.read_excel(zh / "school_needs.xlsx", sheet_name=None, engine="openpyxl")
    notes = " ".join(needs["notes"].iloc[:, 0].astype(str))
    assert "需求" in notes and "Needs for" not in notes
    assert "short" not in set(needs["needs"][column_label("status", "zh")])
    standards = needs["standards"]
    unit = standards[column_label("unit", "zh")].astype(str)
    assert not unit.str.contains("per ").any(), unit.tolist()
    csv = pd.read_csv(en / "villages_beyond_day_limit_after_plan.csv", encoding="utf-8-sig")
    assert {"name", "name_zh", "township_name", "assigned_school_name"} <= set(csv.columns)
    if len(csv):
        assert set(csv["reason"]) <= {"young_beyond_limit", "unserved"}  # codes kept in CSV


def test_the_scorecard_shows_counts_whole_and_names_in_chinese(written: dict[str, Path]) -> None:
    from geoplan.workbooks import FORMATS

    book = openpyxl.load_workbook(written["en"] / "restoration_scorecard.xlsx")
    sheet = book["scorecard"]
    header = [c.value for c in sheet[1]]
    column = header.index("Pupils who could stop boarding") + 1
    assert sheet.cell(row=2, column=column).number_format == FORMATS["count"]
    zh = pd.read_excel(written["zh"] / "restoration_scorecard.xlsx", engine="openpyxl")
    decisions = set(zh["决定"])
    assert decisions <= set(VALUE_LABELS["zh"]["decision"].values()), decisions


def test_a_profile_shows_projected_pupils_whole_and_minutes_to_a_tenth() -> None:
    from geoplan.outputs.labels import PROFILE_TEXT
    from geoplan.outputs.profiles import band_table

    row = pd.Series(
        {
            "enrolment_g1_3": 500.0,
            "projected_g1_3": 502.4,
            "boarders_g1_3": 80.5,
            "day_mean_journey_g1_3_min": 12.34,
        }
    )
    for lang in ("en", "zh"):
        _, body = band_table(row, lang)
        cells = {r[0]: r[1] for r in body}
        text = PROFILE_TEXT[lang]
        assert cells[text["projected"]] == "502"  # was 502.4
        assert cells[text["band_boarders"]] == "81"  # half up, where round() gives 80
        assert cells[text["day_mean_journey"]] == "12.3"
