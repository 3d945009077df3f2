"""`geoplan validate` and `geoplan template` from the command line."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from geoplan.cli import main
from geoplan.data.messages import problem_text, row_text

DATA = Path(__file__).parent / "data"
_spec = importlib.util.spec_from_file_location("make_bad_corpus", DATA / "make_bad_corpus.py")
assert _spec is not None and _spec.loader is not None
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)


def test_good_folder_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(DATA / "good" / "tiny")]) == 0
    assert "No problems found." in capsys.readouterr().out


@pytest.mark.parametrize("fault", sorted(corpus.EXPECTED))
def test_exit_code_and_names(fault: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, expected = corpus.EXPECTED[fault]
    assert main(["validate", str(DATA / "bad" / fault)]) == code
    out = capsys.readouterr().out
    for file, row, column in expected:
        lines = [line for line in out.splitlines() if file in line and row in line]
        assert any(column in line for line in lines), f"{fault}: {file} {row} {column}\n{out}"


@pytest.mark.parametrize("fault", sorted(corpus.EXPECTED))
def test_exit_code_and_names_in_chinese(
    fault: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / fault
    shutil.copytree(DATA / "bad" / fault, folder)
    before = sorted(p.name for p in folder.rglob("*"))
    code, expected = corpus.EXPECTED[fault]
    assert main(["validate", str(folder), "--lang", "zh"]) == code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = out.splitlines()
    for file, row_en, column in expected:
        row = row_text(row_en, "zh")  # 'line 7' reads '第 7 行', 'Excel row 3' 'Excel 第 3 行'
        at = [i for i, line in enumerate(lines) if file in line and row in line and column in line]
        assert at, f"{fault}: {file} {row} {column}\n{out}"
        problem, fix = lines[at[0] + 1], lines[at[0] + 2]
        assert problem.strip().startswith("问题:") and fix.strip().startswith("改正:"), out
        assert all(re.search(r"[\u4e00-\u9fff]", t.strip()[3:]) for t in (problem, fix)), out
    assert sorted(p.name for p in folder.rglob("*")) == before, f"{fault}: a file was written"


def test_strict_fails_on_warnings() -> None:
    folder = str(DATA / "bad" / "invalid_polygon")
    assert main(["validate", folder]) == 0
    assert main(["validate", "--strict", folder]) == 1


def test_validate_writes_nothing(tmp_path: Path) -> None:
    copy = tmp_path / "messy"
    shutil.copytree(DATA / "bad" / "messy", copy)
    before = sorted(p.name for p in copy.rglob("*"))
    assert main(["validate", str(copy)]) == 1
    assert sorted(p.name for p in copy.rglob("*")) == before


def test_missing_folder_exits_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nowhere")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_a_file_given_for_the_folder_says_to_give_the_folder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    file = DATA / "good" / "tiny" / "villages.csv"
    assert main(["validate", str(file)]) == 1
    err = capsys.readouterr().err
    assert "is a file; give the planning-area folder" in err and str(file.parent) in err


def test_an_empty_file_is_named_with_its_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(DATA / "bad" / "empty_file")]) == 1
    assert "villages.csv is empty (0 bytes)." in capsys.readouterr().out


def test_travel_out_naming_a_folder_is_refused_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["travel", str(tmp_path / "nowhere"), "--mode", "car", "--out", str(tmp_path)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "--out names a folder; the travel matrix is written to one file." in err
    assert f"Fix: Give a .csv or .xlsx file to write the matrix to (e.g. --out {tmp_path}" in err
    from geoplan.cli import _run_travel, build_parser
    from geoplan.errors import OutputFormatError

    with pytest.raises(OutputFormatError) as refused:
        _run_travel(build_parser().parse_args(argv))
    (problem,) = refused.value.problems  # in the catalogue: in Chinese too
    assert problem_text(problem, "zh")[0] == "--out 给出的是一个文件夹;出行矩阵写入一个文件。"


def _fill(path: Path, rows: list[dict[str, object]]) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    heads = [c.value for c in sheet[1]]
    for row in rows:
        sheet.append([row.get(str(h).split(" / ")[-1]) for h in heads])
    book.save(path)


def test_template_filled_in_validates_clean(tmp_path: Path) -> None:
    folder = tmp_path / "county"
    assert main(["template", str(folder)]) == 0
    assert main(["template", str(folder)]) == 1  # never overwrites
    shutil.copy(DATA / "good" / "tiny" / "townships.geojson", folder)
    shutil.copy(DATA / "good" / "tiny" / "roads.osm", folder)  # a run needs roads
    _fill(
        folder / "villages.xlsx",
        [
            {
                "id": "V1",
                "name": "红柳村",
                "township": "T1",
                "lon": 86.42,
                "lat": 42.27,
                "pupils_g1_3": 12,
                "pupils_g4_6": 10,
                "pupils_g7_9": 9,
            },
            {
                "id": 2,
                "name": "白杨村",
                "township": "西乡",
                "lon": "86°31′12″",
                "lat": "北纬42°15′36″",
                "pupils_g1_3": 15,
                "pupils_g4_6": 14,
                "pupils_g7_9": 11,
            },
        ],
    )
    _fill(
        folder / "schools.xlsx",
        [
            {
                "id": "S1",
                "name": "东乡中心校",
                "kind": "中心校",
                "lon": 86.45,
                "lat": 42.30,
                "classes_g1_3": 3,
                "classes_g4_6": 3,
                "enrolment_g1_3": 50,
                "enrolment_g4_6": 45,
            }
        ],
    )
    _fill(
        folder / "sites.xlsx",
        [
            {
                "id": "P1",
                "name": "旧教学点",
                "township": "T2",
                "lon": 86.53,
                "lat": 42.27,
                "restore_cost_yuan": 800000,
            }
        ],
    )
    assert main(["validate", str(folder)]) == 0
    from geoplan.data.readers import read_planning_area

    area = read_planning_area(folder)
    assert list(area.villages.index) == ["V1", "2"]
    assert area.villages.loc["2", "township"] == "T2"
    assert area.schools.loc["S1", "kind"] == "central_primary"
    assert area.sites.loc["P1", "decision"] == "free"


def test_template_dropdowns_and_bilingual_notes(tmp_path: Path) -> None:
    import re

    from geoplan.data.area import LAYERS
    from geoplan.data.templates import TEMPLATE_ROWS

    assert main(["template", str(tmp_path)]) == 0
    named = {"schools": {"kind", "status"}, "sites": {"decision"}, "villages": set()}
    for layer, must in named.items():
        choices = {c.name for c in LAYERS[layer] if c.dtype == "choice"}
        assert must <= choices
        book = openpyxl.load_workbook(tmp_path / f"{layer}.xlsx")
        sheet = book.worksheets[0]
        heads = [str(c.value).split(" / ")[-1] for c in sheet[1]]
        rules = {}
        for rule in sheet.data_validations.dataValidation:
            (cells,) = str(rule.sqref).split()
            letter = re.match(r"[A-Z]+", cells)
            assert letter is not None
            column = heads[openpyxl.utils.column_index_from_string(letter.group()) - 1]
            rules[column] = rule
            assert cells.endswith(f"{TEMPLATE_ROWS + 1}") and rule.type == "list"
        assert set(rules) == choices
        for name in choices:
            column = next(c for c in LAYERS[layer] if c.name == name)
            offered = rules[name].formula1.strip('"').split(",")
            assert set(column.choices) <= set(offered)
            assert any(re.search(r"[\u4e00-\u9fff]", v) for v in offered)
        notes = book["说明 notes"]
        rows = list(notes.iter_rows(values_only=True))
        assert rows[0][4:] == ("description", "说明")
        for row in rows[1:]:
            assert re.search(r"[\u4e00-\u9fff]", str(row[5])), row
            assert row[4] and re.search(r"[a-z]", str(row[4])), row
        assert len(rows) - 1 == 3 + len(LAYERS[layer])


def test_template_dropdowns_cover_each_choice_column_over_the_blank_rows(tmp_path: Path) -> None:
    from geoplan.data.area import CHOICE_ALIASES, LAYERS
    from geoplan.data.templates import TEMPLATE_ROWS

    assert main(["template", str(tmp_path)]) == 0
    for layer in ("villages", "schools", "sites"):
        sheet = openpyxl.load_workbook(tmp_path / f"{layer}.xlsx").worksheets[0]
        assert sheet.title == layer and sheet.max_row == 1  # the header row only
        assert all(c.font.b for c in sheet[1])
        assert sheet.freeze_panes == "B2"  # workbooks' rule: the header row and the id column
        heads = [str(c.value) for c in sheet[1]]
        assert heads[0] == "编号 / id" and heads[2:4] == ["经度 / lon", "纬度 / lat"]
        rules = {str(rule.sqref): rule for rule in sheet.data_validations.dataValidation}
        choices = [c for c in LAYERS[layer] if c.dtype == "choice"]
        assert len(rules) == len(choices)
        for column in choices:
            title = f"{column.zh} / {column.name}"
            letter = openpyxl.utils.get_column_letter(heads.index(title) + 1)
            rule = rules[f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"]
            assert rule.type == "list" and rule.allow_blank and rule.showErrorMessage
            assert rule.formula1.startswith('"') and rule.formula1.endswith('"')
            offered = rule.formula1[1:-1].split(",")
            english, chinese = offered[: len(column.choices)], offered[len(column.choices) :]
            assert english == list(column.choices)  # the contract values first, in order
            aliases = CHOICE_ALIASES[column.name]
            assert sorted(aliases[text] for text in chinese) == sorted(column.choices)
            assert all(re.search(r"[\u4e00-\u9fff]", text) for text in chinese)
            assert rule.errorTitle == title
            assert rule.error == f"请从下拉列表中选择 / choose one of: {','.join(offered)}"


def test_validate_warns_about_blocks_that_touch_no_other_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The tiny county's two blocks share an edge; drawn 24 m apart (as street blocks without
    their streets) they touch none under the districts' rule, and validate names both, how far
    apart they stand and districts.gap_tolerance_m, in English and Chinese."""
    import geopandas as gpd

    folder = tmp_path / "county"
    shutil.copytree(DATA / "good" / "tiny", folder)
    assert main(["validate", str(folder), "--strict"]) == 0  # sharing their edge: no warning
    capsys.readouterr()
    path = folder / "blocks.geojson"
    blocks = gpd.read_file(path).to_crs(32645)
    apart = blocks.set_geometry(blocks.geometry.buffer(-12, join_style="mitre"))
    apart.to_crs(4326).to_file(path, driver="GeoJSON")
    assert main(["validate", str(folder)]) == 0  # a warning: a run without districts goes on
    out = capsys.readouterr().out
    assert "2 of the 2 blocks touch no other block" in out
    assert re.search(r"B1 \(一街区\): 2[34]\.\d, B2 \(二街区\): 2[34]\.\d", out)
    assert "raise districts.gap_tolerance_m in the scenario above the distances listed" in out
    assert "mend the block map" in out
    assert main(["validate", str(folder), "--strict"]) == 1
    capsys.readouterr()
    assert main(["validate", str(folder), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "2 个街区中有 2 个不与任何其他街区相邻" in out and "修改街区图" in out
