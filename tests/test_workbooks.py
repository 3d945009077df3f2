"""XLSX workbooks: frozen header and id column, autofilter, fitted widths, numbers as numbers with
formats from the column names, Chinese headers for ``lang: zh``; every workbook of a demo run read
back with openpyxl."""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geoplan.errors import ArgumentError
from geoplan.outputs.labels import column_label
from geoplan.workbooks import (
    FORMATS,
    Dropdown,
    Sheet,
    number_format,
    text_width,
    write_workbook,
)

CJK = re.compile("[\u4e00-\u9fff]")
NUMBER_TEXT = re.compile(r"^-?\d+(\.\d+)?$")


def test_number_formats_follow_the_units_in_the_names() -> None:
    assert number_format("day_journey_g1_3_min", "float64") == "0.0"
    assert number_format("restore_cost_yuan", "float64") == "#,##0"
    assert number_format("shared_m", "float64") == "#,##0"
    assert number_format("pupils_g1_3", "float64") == "#,##0"  # projected pupils: shown whole
    assert number_format("boarders", "int64") == "#,##0"
    assert number_format("year", "int64") == "0"  # a year has no thousands separator
    assert number_format("share_nearest", "float64") == "0.00"
    assert number_format("fits_today", "bool") is None
    assert number_format("minutes", "float64") == "0.0"


def test_chinese_headers_are_composed_from_the_contract_and_the_words() -> None:
    assert column_label("day_journey_g1_3_min", "en") == "day_journey_g1_3_min"
    assert column_label("pupils_g1_3", "zh") == "1-3年级人数"  # the contract's 中文 name
    assert column_label("restore_cost_yuan", "zh") == "恢复费用（元）"
    assert column_label("after_day_mean_journey_g4_6_min", "zh") == (
        "规划后4-6年级走读生平均每日单程（分钟）"
    )
    assert column_label("oversized_before_g1_3", "zh") == "1-3年级大班额班数（现状）"
    assert column_label("spend_2026_yuan", "zh") == "2026年支出（元）"
    assert column_label("districts_middle_pupils_moved", "zh") == "县城初中学区调整学校的学生"
    assert column_label("no_such_column", "zh") == "no_such_column"


def test_a_sheet_written_by_hand_reads_back(tmp_path: Path) -> None:
    index = pd.MultiIndex.from_tuples([("007", "g1_3"), ("V2", "g4_6")], names=["id", "band"])
    table = pd.DataFrame(
        {
            "name": ["乌兰村", "A"],
            "pupils": np.array([12.4, 1300.0]),
            "day_journey_min": [math.inf, 21.25],
            "cost_yuan": [np.int64(1_250_000), None],
            "used": [True, False],
        },
        index=index,
    )
    marks = pd.DataFrame({"pupils": [False, True]}, index=index)
    path = write_workbook(
        tmp_path / "t.xlsx",
        {"t": Sheet(table, headers=lambda n: column_label(n, "zh"), marks=marks)},
    )
    ws = openpyxl.load_workbook(path)["t"]
    assert ws.freeze_panes == "C2"  # header row and both id columns
    assert ws.auto_filter.ref == "A1:G3"
    assert [c.value for c in ws[1]] == ["编号", "学段", "名称", "学生数", "走读生每日单程（分钟）",
                                        "费用（元）", "采用"]  # fmt: skip
    assert all(c.font.b for c in ws[1])
    assert ws["A2"].value == "007"  # ids stay text
    assert ws["D2"].value == 12.4 and ws["D2"].number_format == "#,##0"
    assert ws["E2"].value is None  # infinite: empty, never a string
    assert ws["E3"].value == 21.25 and ws["E3"].number_format == "0.0"
    assert ws["F2"].value == 1_250_000 and ws["F2"].number_format == "#,##0"
    assert ws["F3"].value is None
    assert ws["G2"].value is True
    assert ws["D3"].font.b and not ws["D2"].font.b  # the mark
    assert column_width(ws, 5) >= text_width("走读生每日单程（分钟）")
    again = write_workbook(tmp_path / "u.xlsx", {"t": Sheet(table, marks=marks,
                           headers=lambda n: column_label(n, "zh"))})  # fmt: skip
    assert again.read_bytes() == path.read_bytes()  # equal tables, equal bytes


def test_dropdowns_cover_the_rows_and_the_blank_rows_below(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {"name": ["A", "B"], "kind": ["primary", "初中"], "cost_yuan": [1.0, 2.0]},
        index=pd.Index(["S1", "S2"], name="id"),
    )
    kinds = Dropdown(("primary", "middle", "初中"), error_title="类型 / kind", error="choose")
    sheet = Sheet(table, headers={"kind": "类型 / kind"}, dropdowns={"kind": kinds}, blank_rows=3)
    ws = openpyxl.load_workbook(write_workbook(tmp_path / "f.xlsx", {"f": sheet}))["f"]
    (rule,) = ws.data_validations.dataValidation
    assert str(rule.sqref) == "C2:C6"  # id, name, kind: two rows of the table and three blank
    assert rule.type == "list" and rule.formula1 == '"primary,middle,初中"'
    assert rule.allow_blank and rule.showErrorMessage
    assert (rule.errorTitle, rule.error) == ("类型 / kind", "choose")
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref == "A1:D3"  # as without dropdowns
    plain = openpyxl.load_workbook(write_workbook(tmp_path / "p.xlsx", {"p": Sheet(table)}))["p"]
    assert not plain.data_validations.dataValidation
    with pytest.raises(ArgumentError, match=r"'grade'.*not a column"):
        write_workbook(tmp_path / "g.xlsx", {"g": Sheet(table, dropdowns={"grade": kinds})})
    too_long = Dropdown(tuple(f"value_{k:03d}" for k in range(40)))
    with pytest.raises(ArgumentError, match=r"'kind' cannot be written.*255"):
        write_workbook(tmp_path / "l.xlsx", {"l": Sheet(table, dropdowns={"kind": too_long})})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.xlsx", "p.xlsx"]  # nothing half-made


def column_width(ws: Any, column: int) -> float:
    """Width of a column as Excel reads it: from the ``<col min max>`` range that covers it."""
    for dim in ws.column_dimensions.values():
        if dim.min <= column <= dim.max:
            return float(dim.width)
    return 8.43  # Excel's default


def check_workbook(path: Path, *, lang: str) -> list[str]:
    """Every problem of one workbook a run wrote, in words (empty when it is fine)."""
    problems = []
    book = openpyxl.load_workbook(path)
    for ws in book.worksheets:
        where = f"{path.name}[{ws.title}]"
        header = [c.value for c in ws[1]]
        if not ws.freeze_panes or not re.fullmatch(r"[A-Z]+2", ws.freeze_panes):
            problems.append(f"{where}: header not frozen ({ws.freeze_panes})")
        elif ws.max_column > 1 and ws.freeze_panes == "A2":
            problems.append(f"{where}: id column not frozen")
        if ws.auto_filter.ref != ws.dimensions:
            problems.append(f"{where}: autofilter {ws.auto_filter.ref} not over {ws.dimensions}")
        if not all(c.font.b for c in ws[1]):
            problems.append(f"{where}: header not bold")
        twice = sorted({str(h) for h in header if header.count(h) > 1})
        if twice:
            problems.append(f"{where}: headers written twice: {twice}")
        if lang == "zh":
            english = [h for h in header if not CJK.search(str(h))]
            if english:
                problems.append(f"{where}: headers not in Chinese: {english}")
        for c, head in enumerate(header, start=1):
            width = column_width(ws, c)
            if width < min(text_width(head), 50):
                problems.append(f"{where}: column {head!r} {width} narrower than its header")
            for row in ws.iter_rows(min_row=2, min_col=c, max_col=c):
                cell = row[0]
                value = cell.value
                if isinstance(value, str) and NUMBER_TEXT.match(value) and c > 2:
                    problems.append(f"{where}: {cell.coordinate} {value!r} is a number as text")
                    break
                if isinstance(value, int | float) and not isinstance(value, bool):
                    if cell.number_format == "General":
                        problems.append(f"{where}: {cell.coordinate} {head!r} has no format")
                        break
                    unit = {"（分钟）": FORMATS["minutes"], "（元）": FORMATS["yuan"]}
                    for text, fmt in unit.items():
                        if str(head).endswith(text) and cell.number_format != fmt:
                            problems.append(f"{where}: {head!r} {cell.number_format}, not {fmt}")
                    if str(head).endswith("_min") and cell.number_format != FORMATS["minutes"]:
                        problems.append(f"{where}: {head!r} {cell.number_format}")
                    if str(head).endswith("_yuan") and cell.number_format != FORMATS["yuan"]:
                        problems.append(f"{where}: {head!r} {cell.number_format}")
    return problems


@pytest.mark.slow
def test_every_workbook_of_a_chinese_demo_run(tmp_path: Path) -> None:
    from geoplan.runs.demo import demo_scenario
    from geoplan.runs.runner import run_scenario

    scenario = dataclasses.replace(
        demo_scenario(lang="zh"), maps=False, profiles=False, print_maps=False
    )
    folder = run_scenario(scenario, out=tmp_path)
    books = sorted(folder.rglob("*.xlsx"))
    assert {p.name for p in books} >= {
        "county_summary.xlsx", "indicators.xlsx", "restoration_scorecard.xlsx",
        "school_needs.xlsx", "investment_plan.xlsx", "villages_journeys_today.xlsx",
        "townships_after_plan.xlsx", "district_schools.xlsx",
    }  # fmt: skip
    problems = [p for book in books for p in check_workbook(book, lang="zh")]
    assert problems == []
    journeys = openpyxl.load_workbook(folder / "villages_journeys_today.xlsx").active
    assert journeys is not None
    assert journeys.freeze_panes == "C2"  # village id and band
    assert [c.value for c in journeys[1]][:5] == ["编号", "学段", "名称", "乡镇", "乡镇名称"]
    # every layer of the demo's results.gpkg has a parsable default style, legend in Chinese
    from test_layer_styles import _rules, _styles

    _, styles, fields, layers = _styles(folder / "results.gpkg")
    assert set(styles) == layers and len(layers) >= 8
    for name, (_, _, qml, default) in styles.items():
        assert default == 1
        for label, expression, _ in _rules(qml):
            by_school = name.startswith("school_districts") or name == "county_town_blocks"
            assert by_school or CJK.search(label), (name, label)  # school names as they are
            for column in re.findall(r'"((?:[^"]|"")+)"', expression or ""):
                assert column in fields[name], (name, column)


def _read_both(path: Path, title: str) -> tuple[list[tuple[Any, ...]], list[list[Any]]]:
    """The sheet's rows as openpyxl and python-calamine read them."""
    from python_calamine import CalamineWorkbook

    book = openpyxl.load_workbook(path)
    rows = [tuple(c.value for c in row) for row in book[title].iter_rows()]
    calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(title).to_python()
    return rows, calamine


def test_text_that_looks_like_a_formula_or_a_link_stays_text(tmp_path: Path) -> None:
    texts = ["=SUM(A1:A9)", "+86 991", "-3 km", "@home", "https://example.org/a", "www.x.cn"]
    table = pd.DataFrame({"note": texts}, index=pd.Index([f"V{i}" for i in range(6)], name="id"))
    path = write_workbook(tmp_path / "t.xlsx", {"t": table})
    rows, calamine = _read_both(path, "t")
    assert [r[1] for r in rows[1:]] == texts
    assert [r[1] for r in calamine[1:]] == texts
    book = openpyxl.load_workbook(path)
    assert all(c.data_type == "s" for c in book["t"]["B"][1:])
    assert all(c.hyperlink is None for c in book["t"]["B"])


def test_missing_and_infinite_values_are_empty_cells(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "time_min": [1.5, np.nan, np.inf],
            "mixed": pd.Series([None, pd.NA, float("nan")], dtype=object),
            "pupils": pd.array([3, pd.NA, 5], dtype="Int64"),
            "share": pd.array([0.5, pd.NA, 0.25], dtype="Float64"),
            "fits": pd.array([True, pd.NA, False], dtype="boolean"),
            "whole": pd.array([1, 2, 3], dtype="Int64"),
        },
        index=pd.Index(["a", "b", "c"], name="id"),
    )
    path = write_workbook(tmp_path / "m.xlsx", {"m": table})
    rows, calamine = _read_both(path, "m")
    assert rows[1:] == [
        ("a", 1.5, None, 3, 0.5, True, 1),
        ("b", None, None, None, None, None, 2),
        ("c", None, None, 5, 0.25, False, 3),
    ]
    assert [r[1:] for r in calamine[1:]] == [
        [1.5, "", 3.0, 0.5, True, 1.0],
        ["", "", "", "", "", 2.0],
        ["", "", 5.0, 0.25, False, 3.0],
    ]


def test_times_with_a_zone_are_written_in_local_time(tmp_path: Path) -> None:
    when = pd.Timestamp("2026-09-01 08:30", tz="Asia/Urumqi")
    table = pd.DataFrame(
        {"opened": [when, pd.NaT], "plain": [pd.Timestamp("2026-09-01 08:30"), pd.NaT]},
        index=pd.Index(["a", "b"], name="id"),
    )
    path = write_workbook(tmp_path / "d.xlsx", {"d": table})
    rows, _ = _read_both(path, "d")
    assert rows[1][1:] == (when.tz_localize(None).to_pydatetime(),) * 2
    assert rows[2][1:] == (None, None)


def test_numpy_times_in_an_object_column_are_dates_like_a_time_column(tmp_path: Path) -> None:
    """An ``np.datetime64`` held in an object column is a date cell, not its nanoseconds."""
    when = datetime(2026, 9, 1, 8, 30, 15)
    ns, s = np.datetime64("2026-09-01T08:30:15", "ns"), np.datetime64("2026-09-01T08:30:15", "s")
    table = pd.DataFrame(
        {
            "surveyed": np.array([ns, np.datetime64("NaT"), "text"], dtype=object),
            "counted": np.array([s, None, 3], dtype=object),
            "column": pd.to_datetime([when, None, when]),
        },
        index=pd.Index(["a", "b", "c"], name="id"),
    )
    assert type(table["surveyed"].iloc[0]) is np.datetime64  # the case: numpy's, not pandas'
    path = write_workbook(tmp_path / "t.xlsx", {"t": table})
    book = openpyxl.load_workbook(path)
    cells = {c.column_letter: c for c in book["t"][2]}
    assert [cells[k].value for k in "BCD"] == [when] * 3
    assert [cells[k].is_date for k in "BCD"] == [True] * 3
    assert [cells[k].number_format for k in "BC"] == [cells["D"].number_format] * 2
    rows, _ = _read_both(path, "t")
    assert rows[2][1:] == (None, None, None)
    assert rows[3][1:] == ("text", 3, when)


def test_numpy_durations_in_an_object_column_read_like_a_duration_column(tmp_path: Path) -> None:
    waits = pd.to_timedelta(["5min", None])
    table = pd.DataFrame(
        {"held": np.array([np.timedelta64(5, "m"), "late"], dtype=object), "column": waits},
        index=pd.Index(["a", "b"], name="id"),
    )
    assert type(table["held"].iloc[0]) is np.timedelta64
    rows, _ = _read_both(write_workbook(tmp_path / "w.xlsx", {"w": table}), "w")
    assert rows[1][1:] == (str(waits[0]),) * 2
    assert rows[2][1:] == ("late", None)


def test_whole_numbers_beyond_double_precision_stay_exact(tmp_path: Path) -> None:
    big = 2**53 + 1
    table = pd.DataFrame(
        {"code": np.array([big, 7], dtype=np.int64), "other": np.array([big, 7], dtype=object)},
        index=pd.Index(["a", "b"], name="id"),
    )
    path = write_workbook(tmp_path / "big.xlsx", {"big": table})
    rows, _ = _read_both(path, "big")
    assert [str(v) for v in rows[1][1:]] == [str(big)] * 2
    assert rows[2][1:] == (7, 7)


def test_text_longer_than_a_cell_holds_is_cut_with_a_mark(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    long = "村" * 40_000
    table = pd.DataFrame({"villages": [long, "short"]}, index=pd.Index(["a", "b"], name="id"))
    with caplog.at_level(logging.WARNING, logger="geoplan.workbooks"):
        path = write_workbook(tmp_path / "long.xlsx", {"long": table})
    assert "Column villages, row 1: 40000 characters cut" in caplog.text
    rows, calamine = _read_both(path, "long")
    cell = rows[1][1]
    assert len(cell) <= 32_767 and cell.endswith("…") and cell.startswith("村" * 100)
    assert calamine[1][1] == cell
    assert rows[2][1] == "short"


def test_sheet_titles_excel_refuses_are_made_valid_and_distinct(tmp_path: Path) -> None:
    table = pd.DataFrame({"x": [1]}, index=pd.Index(["a"], name="id"))
    titles = ["a/b [1]: *?\\", "x" * 40, "x" * 31 + "y", "'quoted'", ""]
    path = write_workbook(tmp_path / "titles.xlsx", dict.fromkeys(titles, table))
    names = openpyxl.load_workbook(path).sheetnames
    assert len(names) == len(titles) == len(set(names))
    assert all(0 < len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    assert names[:4] == ["a_b _1__ ___", "x" * 31, "x" * 29 + "~2", "quoted"]


def test_duplicate_and_non_text_column_names_and_multiindex(tmp_path: Path) -> None:
    index = pd.MultiIndex.from_tuples([("T1", "V1"), ("T1", "V2")], names=["town", "id"])
    table = pd.DataFrame([[1, 2, "p"], [3, 4, "q"]], index=index, columns=[2026, 2026, "n"])
    path = write_workbook(tmp_path / "dup.xlsx", {"dup": table})
    rows, _ = _read_both(path, "dup")
    assert rows == [
        ("town", "id", "2026", "2026", "n"),
        ("T1", "V1", 1, 2, "p"),
        ("T1", "V2", 3, 4, "q"),
    ]
