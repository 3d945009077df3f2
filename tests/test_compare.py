"""Scenario comparisons: the hand-worked numbers in the XLSX read back, best values marked."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from test_runner import hand_metrics

from geoplan.cli import main
from geoplan.errors import MissingInputError, ScenarioError
from geoplan.runs.compare import (
    INDICATORS,
    KEY_INDICATORS,
    Comparison,
    baseline_name,
    best_scenario,
    best_values,
    compare,
    comparison_table,
    differences,
    write_html,
    write_xlsx,
)

HERE = Path(__file__).parent / "data" / "scenarios"
NAMES = ("tiny_status_quo", "tiny_restore")


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Comparison:
    out = tmp_path_factory.mktemp("compare")
    return compare([HERE / f"{n}.yaml" for n in NAMES], out)


def _sheet(path: Path) -> dict[str, dict[str, object]]:
    wb = openpyxl.load_workbook(path)
    ws = wb["comparison"]
    rows = list(ws.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return {str(r[0]): dict(zip(header, r, strict=True)) for r in rows[1:]}


def test_xlsx_holds_the_hand_worked_numbers(comparison: Comparison) -> None:
    sheet = _sheet(comparison.xlsx)
    assert list(sheet) == list(NAMES)
    for name, restored in zip(NAMES, (False, True), strict=True):
        expected = hand_metrics(restored)
        for ind in INDICATORS:
            assert sheet[name][ind.label] == expected[ind.key], (name, ind.key)


def test_best_values_marked(comparison: Comparison) -> None:
    wb = openpyxl.load_workbook(comparison.xlsx)
    ws = wb["comparison"]
    col = {str(c.value): c.column for c in ws[1]}

    def bold(row: int, key: str) -> bool:
        label = next(i.label for i in INDICATORS if i.key == key)
        return bool(ws.cell(row=row, column=col[label]).font.b)

    # row 2: status quo, row 3: restore one teaching point
    assert bold(3, "after_day_pupils_g1_3") and not bold(2, "after_day_pupils_g1_3")
    assert bold(3, "after_boarders_g1_3") and not bold(2, "after_boarders_g1_3")  # 0 < 46
    assert bold(2, "restoration_cost_yuan") and not bold(3, "restoration_cost_yuan")
    assert bold(2, "pupils_moved") and not bold(3, "pupils_moved")
    assert bold(2, "after_day_pupils_g4_6") and bold(3, "after_day_pupils_g4_6")  # a tie
    assert not bold(2, "sites_restored") and not bold(3, "sites_restored")  # no best
    assert not bold(2, "oversized_classes_after")  # empty cells are never best
    html = comparison.html.read_text(encoding="utf-8")
    assert html.count('class="best"') == int(comparison.best.to_numpy().sum())
    for name in NAMES:
        assert f"<th>{name}</th>" in html


def test_before_after_map_and_folders(comparison: Comparison, tmp_path: Path) -> None:
    assert comparison.before_after_map is not None
    assert comparison.before_after_map.is_file()
    out = comparison.html.parent
    assert comparison.before_after_map.name in comparison.html.read_text(encoding="utf-8")
    # reading the earlier output folders gives the same table, without rerunning
    again = compare([out / n for n in NAMES], tmp_path)
    cols = [i.key for i in INDICATORS]
    assert again.table[cols].equals(comparison.table[cols])
    assert again.before_after_map is None


def test_best_values_by_hand() -> None:
    rows = [
        ("a", "", Path("a"), {"after_unserved": 5, "after_day_pupils_g1_3": 10}),
        ("b", "", Path("b"), {"after_unserved": 3, "after_day_pupils_g1_3": 10}),
        ("c", "", Path("c"), {"after_unserved": None, "after_day_pupils_g1_3": 7}),
    ]
    best = best_values(comparison_table(rows))
    assert best["after_unserved"].tolist() == [False, True, False]
    assert best["after_day_pupils_g1_3"].tolist() == [True, True, False]
    with pytest.raises(ScenarioError, match="more than once"):
        comparison_table([rows[0], rows[0]])


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError, match=r"metrics\.json"):
        compare([tmp_path], tmp_path / "out")
    with pytest.raises(ScenarioError, match="Nothing to compare"):
        compare([], tmp_path / "out")


def test_cli_run_and_compare(
    comparison: Comparison, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = comparison.html.parent
    assert main(["compare", str(out / NAMES[0]), str(out / NAMES[1]), "--out",
                 str(tmp_path)]) == 0  # fmt: skip
    assert (tmp_path / "comparison.xlsx").is_file()
    bad = tmp_path / "bad.yaml"
    bad.write_text("area: {folder: nowhere}\n", encoding="utf-8")
    assert main(["run", str(bad), "--out", str(tmp_path / "runs")]) == 1
    assert "area.folder" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_page_opens_with_charts_then_the_table(comparison: Comparison) -> None:
    page = comparison.html.read_text(encoding="utf-8")
    assert comparison.baseline == "tiny_status_quo"  # the status quo by its name
    assert page.count("<svg") == len(KEY_INDICATORS)
    assert page.index("<svg") < page.index('<table id="indicators"') < page.index('id="changes"')
    assert "http://" not in page.split("<svg", 1)[0] and "<script" not in page  # offline


def test_differences_against_the_baseline_by_hand(comparison: Comparison) -> None:
    before, after = hand_metrics(False), hand_metrics(True)
    ws = openpyxl.load_workbook(comparison.xlsx)["differences"]
    rows = list(ws.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    got = {str(r[0]): dict(zip(header, r, strict=True)) for r in rows[1:]}
    for ind in INDICATORS:
        if before[ind.key] is None or after[ind.key] is None:
            assert got["tiny_restore"][ind.label] is None, ind.key
            continue
        assert got["tiny_status_quo"][ind.label] == 0, ind.key
        assert got["tiny_restore"][ind.label] == pytest.approx(after[ind.key] - before[ind.key])
    # the restoration brings the 46 young boarders within the day limit: -46 in the page
    diffs = differences(comparison.table, "tiny_status_quo")
    assert diffs.at["tiny_restore", "after_beyond_day_limit_g1_3"] == -46
    assert "-46" in comparison.html.read_text(encoding="utf-8")


def test_a_named_baseline(comparison: Comparison) -> None:
    assert baseline_name(comparison.table, "tiny_restore") == "tiny_restore"
    diffs = differences(comparison.table, "tiny_restore")
    assert diffs.at["tiny_status_quo", "after_beyond_day_limit_g1_3"] == 46
    with pytest.raises(ScenarioError, match="--baseline 'nope'"):
        baseline_name(comparison.table, "nope")
    assert best_scenario(comparison.table, "after_beyond_day_limit_g1_3") == "tiny_restore"
    with pytest.raises(ScenarioError, match="has no best value"):
        best_scenario(comparison.table, "sites_restored")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_hostile_names_show_as_text_in_chromium(
    comparison: Comparison, tmp_path: Path, lang: str
) -> None:
    from browser import check_map_in_browser
    from conftest import HOSTILE_NAME

    table = comparison.table.rename(index={"tiny_restore": HOSTILE_NAME})
    table["description"] = HOSTILE_NAME
    best = comparison.best.rename(index={"tiny_restore": HOSTILE_NAME})
    page = write_html(table, best, tmp_path / "comparison.html", lang=lang)
    text = page.read_text(encoding="utf-8")
    assert HOSTILE_NAME not in text
    report = check_map_in_browser(page, check=False)
    assert [p for p in report.problems() if "no Leaflet map" not in p] == []
    assert report.page_text.count(HOSTILE_NAME) >= 3  # a row of each table and the description
    assert ("方案比较" in report.page_text) == (lang == "zh")
    path = write_xlsx(table, best, tmp_path / "comparison.xlsx", lang=lang)
    ws = openpyxl.load_workbook(path)["comparison"]
    assert ws["A3"].value == HOSTILE_NAME and ws.freeze_panes == "B2"
    assert (ws["A1"].value == "方案") == (lang == "zh")
