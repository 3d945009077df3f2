"""Office tables: title rows, totals, text numbers, units, formulas, sheets, coordinates, KML."""

from __future__ import annotations

import json
import math
import shutil
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from geoplan.cli import main
from geoplan.data.files import parse_angle, parse_number, split_lonlat
from geoplan.data.headers import HEADER_SYNONYMS, normalise_header, suggest_headers
from geoplan.data.readers import read_layers, read_planning_area, validate_folder
from geoplan.errors import Problem

TINY = Path(__file__).parent / "data" / "good" / "tiny"
HEAD = ["编号", "名称", "乡镇", "经度", "纬度", "1-3年级人数", "4-6年级人数", "7-9年级人数"]
ROWS: list[list[Any]] = [
    ["V1", "红柳村", "T1", 86.42, 42.27, 12, 10, 9],
    ["V2", "沙枣村", "T1", 86.45, 42.30, 30, 25, 20],
    ["V3", "胡杨村", "T1", 86.48, 42.33, 8, 7, 6],
    ["V4", "白杨村", "T2", 86.52, 42.26, 15, 14, 11],
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "county"
    shutil.copytree(TINY, out)
    (out / "villages.csv").unlink()
    return out


def _xlsx(path: Path, *sheets: tuple[str, list[list[Any]]]) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)


def _loud(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems if p.severity != "note"]


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("value", "factor", "number"),
    [
        ("12", 1.0, 12.0),
        ("１２", 1.0, 12.0),
        (" 1,234 ", 1.0, 1234.0),
        ("１，２３４", 1.0, 1234.0),
        ("12人", 1.0, 12.0),
        ("133万", 1.0, 1_330_000.0),
        ("1.2万元", 1.0, 12_000.0),
        (34.8, 10_000.0, 348_000.0),  # Decimal: not 347999.99999999994
        ("34.8", 10_000.0, 348_000.0),
        ("12000元", 10_000.0, 12_000.0),  # the value's own unit wins over the header's
        (7, 1.0, 7.0),
    ],
)
def test_parse_number(value: object, factor: float, number: float) -> None:
    assert parse_number(value, factor=factor) == number


@pytest.mark.parametrize("value", ["abc", "12,5", "1,23", "nan", "inf", "12 kg", True])
def test_parse_number_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        parse_number(value)
    assert math.isnan(parse_number(""))


def test_dms_with_a_third_dot_is_an_error_not_a_decimal() -> None:
    with pytest.raises(ValueError, match="two dots"):
        parse_angle("86.07.13")
    assert parse_angle("８６．５") == 86.5


@pytest.mark.parametrize(
    ("cell", "lonlat"),
    [
        ("86.5,42.3", (86.5, 42.3)),
        ("42.3，86.5", (86.5, 42.3)),
        ("86.5 42.3", (86.5, 42.3)),
        ("北纬42°18′, 东经86°30′", (86.5, 42.3)),
    ],
)
def test_split_lonlat(cell: str, lonlat: tuple[float, float]) -> None:
    assert split_lonlat(cell) == pytest.approx(lonlat, abs=1e-12)


@pytest.mark.parametrize("cell", ["10,20", "86.5", "86.5,42.3,1"])
def test_split_lonlat_rejects(cell: str) -> None:
    with pytest.raises(ValueError):
        split_lonlat(cell)


# --------------------------------------------------------------------------- headers


def test_synonyms_are_normalised_and_unambiguous_per_layer() -> None:
    for layer, columns in HEADER_SYNONYMS.items():
        seen: dict[str, str] = {}
        for column, headers in columns.items():
            for header in headers:
                key = normalise_header(header)
                assert seen.setdefault(key, column) == column, (layer, header)
    assert normalise_header(" １～３年级 人数 ") == "1-3年级人数"
    assert suggest_headers("学校名", "schools")[0] == ("学校名称", "name")


# --------------------------------------------------------------------------- tables


def test_title_rows_totals_text_numbers_and_a_village_called_heji(folder: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][5] = "１２人"
    rows[1][6] = "25"
    rows.append(["V5", "合计村", "T2", 86.55, 42.28, 1, 1, 1])  # a village, not a total
    _xlsx(
        folder / "villages.xlsx",
        (
            "村",
            [
                ["和静县各村义务教育阶段学生统计表（2024年秋季）"],
                [],
                HEAD,
                *rows[:2],
                [],
                *rows[2:],
                [None, "小 计", None, None, None, 66, 57, 47],
            ],
        ),
    )
    layers, problems, _ = read_layers(folder)
    assert _loud(problems) == []
    notes = [p.message for p in problems if p.severity == "note"]
    assert any("Excel rows 1-2 above the header (Excel row 3)" in n for n in notes)
    assert any(
        "Total row (小计) skipped; it matches the sum of Excel rows 4-9." in n for n in notes
    )
    villages = layers["villages"]
    assert list(villages.index) == ["V1", "V2", "V3", "V4", "V5"]
    assert villages.loc["V1", "pupils_g1_3"] == 12 and villages.loc["V5", "name"] == "合计村"


def test_a_total_that_does_not_add_up_is_a_warning_naming_both_sums(folder: Path) -> None:
    _xlsx(folder / "villages.xlsx", ("村", [HEAD, *ROWS, [None, "合计", None, None, None, 70]]))
    problems = validate_folder(folder)
    (warning,) = [p for p in problems if p.severity == "warning"]
    assert warning.row_id == "Excel row 6" and warning.value == "合计"
    assert "pupils_g1_3: 合计 70, rows sum 65" in warning.message
    assert not [p for p in problems if p.severity == "error"]


def test_formula_without_a_saved_value_names_its_cell(folder: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[2][6] = "=F3+F4"  # openpyxl stores the formula but no computed value
    _xlsx(folder / "villages.xlsx", ("村", [HEAD, *rows]))
    errors = [p for p in validate_folder(folder) if p.severity == "error"]
    formula = [p for p in errors if "Formula cell G4" in p.message]
    assert formula and formula[0].row_id == "Excel row 4" and formula[0].value == "=F3+F4"


def test_dms_with_three_dots_is_reported_on_its_row(folder: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][3] = "86.07.13"
    _xlsx(folder / "villages.xlsx", ("村", [HEAD, *rows]))
    (error,) = [p for p in validate_folder(folder) if p.severity == "error"]
    assert (error.row_id, error.value) == ("V2", "86.07.13") and "two dots" in error.message


def test_every_missing_column_is_listed_at_once_with_suggestions(folder: Path) -> None:
    _xlsx(
        folder / "villages.xlsx",
        ("村", [["编号", "村落名字", "所在乡镇", "1-3年级学生数"], ["V1", "红柳村", "T1", 3]]),
    )
    problems = validate_folder(folder)
    missing = {p.column for p in problems if p.severity == "error"}
    assert {"lon/lat", "name", "pupils_g4_6", "pupils_g7_9"} <= missing
    assert any(
        p.severity == "note" and p.column == "村落名字" and "did you mean" in p.message
        for p in problems
    )


def test_close_headers_are_suggested_never_used(folder: Path) -> None:
    (folder / "schools.xlsx").unlink()
    _xlsx(
        folder / "schools.xlsx",
        (
            "校",
            [
                ["学校编号", "学校名", "学校类型", "经度", "纬度"],
                ["S1", "东乡中心校", "中心校", 86.45, 42.30],
            ],
        ),
    )
    problems = validate_folder(folder)
    assert any(p.column == "name" and p.severity == "error" for p in problems)
    (note,) = [p for p in problems if p.column == "学校名"]
    assert "did you mean 学校名称 → name?" in note.message and "学校名: name" in note.fix


def test_township_by_name_zh_and_utf16_text(folder: Path) -> None:
    townships = json.loads((folder / "townships.geojson").read_text(encoding="utf-8"))
    for feature, english in zip(townships["features"], ("East", "West"), strict=True):
        props = feature["properties"]
        props["name"], props["name_zh"] = english, props["name"]
    (folder / "townships.geojson").write_text(json.dumps(townships), encoding="utf-8")
    lines = ["\t".join(HEAD)]
    for row in ROWS:
        row = list(row)
        row[2] = {"T1": "东乡", "T2": "West"}[row[2]]
        lines.append("\t".join(str(v) for v in row))
    (folder / "villages.csv").write_bytes("\r\n".join(lines).encode("utf-16"))
    area = read_planning_area(folder)
    assert area.villages["township"].tolist() == ["T1", "T1", "T1", "T2"]


def test_sheet_is_chosen_by_headers_or_named(folder: Path) -> None:
    stale = [HEAD, ["V9", "旧村", "T1", 86.42, 42.27, 1, 1, 1]]
    _xlsx(folder / "villages.xlsx", ("说明", [["填表说明"]]), ("村级学生", [HEAD, *ROWS]))
    assert list(read_planning_area(folder).villages.index) == ["V1", "V2", "V3", "V4"]
    _xlsx(folder / "villages.xlsx", ("2023", [HEAD, *ROWS]), ("2024", stale))
    (folder / "columns.yaml").write_text("villages:\n  sheet: '2024'\n", encoding="utf-8")
    assert list(read_planning_area(folder).villages.index) == ["V9"]
    (folder / "columns.yaml").write_text("villages:\n  sheet: 2025\n", encoding="utf-8")
    (error,) = [p for p in validate_folder(folder) if p.severity == "error"]
    assert error.file == "columns.yaml" and "2023, 2024" in error.message


def test_one_cell_coordinates_in_either_order(folder: Path) -> None:
    rows = [
        [*r[:3], f"{r[3]},{r[4]}" if k % 2 else f"{r[4]}，{r[3]}", *r[5:]]
        for k, r in enumerate(ROWS)
    ]
    _xlsx(folder / "villages.xlsx", ("村", [[*HEAD[:3], "经纬度", *HEAD[5:]], *rows]))
    villages = read_planning_area(folder).villages.to_crs(4326)
    assert villages.geometry.x.tolist() == pytest.approx([r[3] for r in ROWS])
    assert villages.geometry.y.tolist() == pytest.approx([r[4] for r in ROWS])


# --------------------------------------------------------------------------- KML


def _kml(points: list[tuple[str, float, float]]) -> str:
    marks = "".join(
        f"<Placemark><name>{n}</name><Point><coordinates>{x},{y},0</coordinates></Point>"
        "</Placemark>"
        for n, x, y in points
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document>{marks}</Document></kml>"
    )


def test_kml_points_join_the_table_by_name(folder: Path) -> None:
    points = [(str(r[1]), float(r[3]), float(r[4])) for r in ROWS]
    with zipfile.ZipFile(folder / "villages.kmz", "w") as kmz:
        kmz.writestr("doc.kml", _kml(points))
    _xlsx(folder / "villages.xlsx", ("村", [HEAD[:3] + HEAD[5:], *[r[:3] + r[5:] for r in ROWS]]))
    villages = read_planning_area(folder).villages.to_crs(4326)
    assert villages.geometry.x.tolist() == pytest.approx([r[3] for r in ROWS])


def test_unmatched_kml_names_are_listed_with_the_closest(folder: Path) -> None:
    points = [(str(r[1]), float(r[3]), float(r[4])) for r in ROWS]
    points[0] = ("红柳树村", points[0][1], points[0][2])
    points.append(("新村", 86.41, 42.26))
    (folder / "villages.kml").write_text(_kml(points), encoding="utf-8")
    _xlsx(folder / "villages.xlsx", ("村", [HEAD[:3] + HEAD[5:], *[r[:3] + r[5:] for r in ROWS]]))
    problems = validate_folder(folder)
    (error,) = [p for p in problems if p.severity == "error"]
    assert error.row_id == "V1" and "closest: 红柳树村" in error.message
    ignored = {p.value for p in problems if p.severity == "warning"}
    assert ignored == {"红柳树村", "新村"}


# --------------------------------------------------------------------------- CLI


def test_write_columns_writes_the_mapping_used_and_never_overwrites(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = ["村编号", "村名", "所在乡镇", "经度", "纬度", "1-3年级", "4-6年级学生数", "7-9年级人数"]
    _xlsx(folder / "villages.xlsx", ("村", [["标题"], head, *ROWS]))
    assert main(["validate", "--strict", str(folder), "--write-columns"]) == 0
    written = yaml.safe_load((folder / "columns.yaml").read_text(encoding="utf-8"))
    assert written["villages"]["村名"] == "name" and written["villages"]["sheet"] == "村"
    assert written["villages"]["1-3年级"] == "pupils_g1_3"
    assert "note(s)" in capsys.readouterr().out
    assert validate_folder(folder) == validate_folder(folder)  # the written file reads back
    assert _loud(validate_folder(folder)) == []
    assert main(["validate", str(folder), "--write-columns"]) == 1
    assert "exists" in capsys.readouterr().out


@pytest.mark.parametrize(
    "zh_header", ["村名(中文)", "村名（中文）", "中文名", "名称(中文)", "中文村名"]
)
def test_a_chinese_name_column_is_read_and_every_column_left_out_is_noted(
    folder: Path, zh_header: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """村名(中文) is the villages' name_zh (on Chinese maps); 备注 and 联系人, which no column
    fits, are listed in one note naming the file, and --write-columns keeps the Chinese name."""
    from geoplan.data.messages import problem_text

    head = [
        "村编号",
        "村名",
        zh_header,
        "所在乡镇",
        "经度",
        "纬度",
        "1-3年级",
        "4-6年级",
        "7-9年级",
    ]
    head += ["备注", "联系人"]
    rows = [[*r[:2], f"{r[1]}(中)", *r[2:], "", "张三"] for r in ROWS]
    _xlsx(folder / "villages.xlsx", ("村", [head, *rows]))
    villages = read_planning_area(folder).villages
    assert list(villages["name_zh"]) == [r[2] for r in rows]
    problems = validate_folder(folder)
    (note,) = [p for p in problems if p.code == "columns_not_read" and p.layer == "villages"]
    assert note.file == "villages.xlsx" and note.severity == "note"
    assert note.value == "备注, 联系人" and "备注, 联系人" in note.message
    assert "columns.yaml" in note.fix and "name_zh" in note.fix
    message, fix = problem_text(note, "zh")
    assert "备注, 联系人" in message and "columns.yaml" in fix
    assert main(["validate", str(folder), "--write-columns"]) == 0
    written = yaml.safe_load((folder / "columns.yaml").read_text(encoding="utf-8"))
    assert written["villages"][zh_header] == "name_zh"
    capsys.readouterr()


def test_a_misspelt_placemark_is_suggested_first_with_the_chinese_name_compared(
    folder: Path,
) -> None:
    """Schools named in English and Chinese; the KML has Chinese names, one misspelt (弟四 for
    第四). The row's suggestion is the placemark left without a row, though the matched 第一 and
    第二 are as alike, and the value shown is the Chinese name compared, not the English one."""
    zh = ["东乡第一小学", "东乡第二小学", "东乡第四小学", "西乡第一小学"]
    en = ["East No. 1 Primary School", "East No. 2 Primary School", "East No. 4 Primary School",
          "West No. 1 Primary School"]  # fmt: skip
    kml = [n.replace("第四", "弟四") for n in zh]
    points = [(n, float(r[3]), float(r[4])) for n, r in zip(kml, ROWS, strict=True)]
    (folder / "villages.kml").write_text(_kml(points), encoding="utf-8")
    head = ["编号", "名称", "中文名称", "乡镇", *HEAD[5:]]
    rows = [[r[0], e, z, r[2], *r[5:]] for r, e, z in zip(ROWS, en, zh, strict=True)]
    _xlsx(folder / "villages.xlsx", ("村", [head, *rows]))
    problems = validate_folder(folder)
    (error,) = [p for p in problems if p.severity == "error"]
    assert (error.row_id, error.value) == ("V3", "东乡第四小学")
    assert "name_zh" in error.column
    assert "closest: 东乡弟四小学," in error.message
    (warning,) = [p for p in problems if p.severity == "warning"]
    assert warning.value == "东乡弟四小学" and "closest: 东乡第四小学," in warning.message


def _merged_book(path: Path, rows: list[list[Any]], merges: list[str]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    book.save(path)


def test_two_row_header_reads_upper_and_lower(folder: Path) -> None:
    upper = ["编号", "名称", "乡镇", "经度", "纬度", "1-3年级", "4-6年级", "7-9年级"]
    lower = [None, None, None, None, None, "人数", "人数", "人数"]
    merges = [f"{c}1:{c}2" for c in "ABCDE"]
    _merged_book(folder / "villages.xlsx", [upper, lower, *ROWS], merges)
    layers, problems, _ = read_layers(folder)
    assert _loud(problems) == []
    assert layers["villages"]["pupils_g4_6"].tolist() == [r[6] for r in ROWS]
    # a group label merged across three columns over known headers ("学生" over "1-3年级"):
    # "学生1-3年级" is no known header, so each column is read by its lower cell alone
    upper = [*HEAD[:5], "学生", None, None, "学生"]
    lower = [None] * 5 + ["1-3年级", "4-6年级", "7-9年级", "备注"]
    rows = [[*r, "远"] for r in ROWS]
    _merged_book(folder / "villages.xlsx", [upper, lower, *rows], ["F1:H1"])
    layers, problems, _ = read_layers(folder)
    assert _loud(problems) == []
    for band, column in (("g1_3", 5), ("g4_6", 6), ("g7_9", 7)):
        assert layers["villages"][f"pupils_{band}"].tolist() == [r[column] for r in ROWS]
    # a pair neither of whose readings is known keeps "upper lower", as an extra column
    assert layers["villages"]["学生备注"].tolist() == ["远"] * len(ROWS)


def test_a_merged_header_cell_over_data_is_not_a_second_header_row(folder: Path) -> None:
    head = [*HEAD, "备注", None]
    rows = [[*r, "远", "山区"] for r in ROWS]
    _merged_book(folder / "villages.xlsx", [head, *rows], ["I1:J1"])
    layers, problems, _ = read_layers(folder)
    assert _loud(problems) == []
    assert list(layers["villages"].index) == ["V1", "V2", "V3", "V4"]


def test_two_rows_never_share_one_kml_point(folder: Path) -> None:
    points = [(str(r[1]), float(r[3]), float(r[4])) for r in ROWS]
    (folder / "villages.kml").write_text(_kml(points[1:]), encoding="utf-8")
    rows = [r[:3] + r[5:] for r in ROWS]
    rows[0][1] = rows[1][1]  # V1 written with V2's name
    _xlsx(folder / "villages.xlsx", ("村", [HEAD[:3] + HEAD[5:], *rows]))
    (error,) = [p for p in validate_folder(folder) if p.severity == "error"]
    assert error.row_id == "V2" and "already the location of row V1" in error.message


def test_a_row_of_units_under_the_header_is_skipped_and_its_units_read(folder: Path) -> None:
    # an office villages sheet with its units in a row of their own, (not merged) under the header
    units = [None] * 5 + ["（人）", "人", "(人)"]
    _xlsx(folder / "villages.xlsx", ("村", [HEAD, units, *ROWS]))
    layers, problems, _ = read_layers(folder)
    assert _loud(problems) == []
    assert layers["villages"]["pupils_g1_3"].tolist() == [r[5] for r in ROWS]
    (note,) = [p for p in problems if p.code == "units_row_read"]
    assert note.row_id == "Excel row 2" and note.severity == "note"
    # 投资 over （万元）: the unit row's 万元 multiplies the column like a header 投资(万元)
    sites = (folder / "sites.csv").read_text(encoding="gb18030").splitlines()
    head = sites[0].replace("restore_cost_yuan", "投资")
    rows = [line.replace("800000", "80").replace("650000", "65") for line in sites[1:]]
    unit_row = ",".join("（万元）" if h == "投资" else "" for h in head.split(","))
    (folder / "sites.csv").write_text("\n".join([head, unit_row, *rows]) + "\n", encoding="gb18030")
    layers, problems, _ = read_layers(folder)
    assert _loud(problems) == []
    assert layers["sites"]["restore_cost_yuan"].tolist()[:2] == [800_000.0, 650_000.0]


def test_a_township_merged_down_over_its_villages_is_read_on_every_row(folder: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][2] = rows[2][2] = None  # T1 written once, merged over Excel rows 2-4
    _xlsx(folder / "villages.xlsx", ("村", [HEAD, *rows]))
    book = openpyxl.load_workbook(folder / "villages.xlsx")
    book["村"].merge_cells("C2:C4")
    book.save(folder / "villages.xlsx")
    layers, problems, _ = read_layers(folder)
    assert _loud(problems) == []
    assert list(layers["villages"]["township"]) == ["T1", "T1", "T1", "T2"]
    (note,) = [p for p in problems if p.code == "merged_cells_filled"]
    assert note.column == "乡镇" and "Excel rows 2-4" in note.message


def test_subtotals_named_after_their_township_are_total_rows(folder: Path) -> None:
    """``东乡 | 小计`` (the township first) and ``全县合计`` are totals; 合计村 is a village."""
    rows = [list(r) for r in ROWS]
    rows.append(["V5", "合计村", "T2", 86.55, 42.28, 1, 1, 1])
    grid = [
        HEAD,
        *rows[:3],
        ["东乡", None, "小计", None, None, 50, 42, 35],
        *rows[3:],
        [None, "西乡小计：", None, None, None, 16, 15, 12],
        [None, "全县合计", None, None, None, 66, 57, 47],
    ]
    _xlsx(folder / "villages.xlsx", ("村", grid))
    layers, problems, _ = read_layers(folder)
    assert _loud(problems) == []
    assert list(layers["villages"].index) == ["V1", "V2", "V3", "V4", "V5"]
    checked = [p.message for p in problems if p.code == "total_row_checked"]
    assert checked == [
        "Total row (小计) skipped; it matches the sum of Excel rows 2-4.",
        "Total row (西乡小计) skipped; it matches the sum of Excel rows 6-7.",
        "Total row (全县合计) skipped; it matches the sum of Excel rows 2-7.",
    ]


def test_rows_hidden_in_excel_are_read_with_a_warning_naming_them(folder: Path) -> None:
    _xlsx(folder / "villages.xlsx", ("村", [HEAD, *ROWS]))
    book = openpyxl.load_workbook(folder / "villages.xlsx")
    book["村"].row_dimensions[3].hidden = True  # V2, hidden rather than deleted
    book.save(folder / "villages.xlsx")
    layers, problems, _ = read_layers(folder)
    (warning,) = [p for p in problems if p.severity != "note"]
    assert (warning.code, warning.row_id, warning.severity) == (
        "hidden_rows_read",
        "Excel row 3",
        "warning",
    )
    assert "1 row(s) hidden in Excel (Excel row 3" in warning.message
    assert list(layers["villages"].index) == ["V1", "V2", "V3", "V4"]
