"""The problem catalogue: every code in English and Chinese, and the Chinese problem table."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import openpyxl
import pytest

import geoplan
from geoplan.cli import main
from geoplan.data.messages import (
    IMPLIED_FIELDS,
    LANGUAGES,
    MESSAGES,
    message_fields,
    problem_text,
)
from geoplan.data.readers import validate_folder
from geoplan.data.validation import REPORT_COLUMNS

DATA = Path(__file__).parent / "data"
PACKAGE = Path(geoplan.__file__).parent
_spec = importlib.util.spec_from_file_location("make_bad_corpus", DATA / "make_bad_corpus.py")
assert _spec is not None and _spec.loader is not None
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)
_HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_code_has_every_language_with_the_same_values(code: str) -> None:
    assert set(MESSAGES[code]) == set(LANGUAGES), f"{code} lacks a language"
    en = [message_fields(t) for t in MESSAGES[code]["en"]]
    for lang in LANGUAGES:
        problem, fix = MESSAGES[code][lang]
        assert problem.strip() and fix.strip(), f"{code}/{lang} is empty"
        assert message_fields(problem) | message_fields(fix) <= en[0] | en[1] | set(IMPLIED_FIELDS)
    zh = "".join(MESSAGES[code]["zh"])
    assert _HAN.search(zh), f"{code}: the zh text is not Chinese"


def test_every_code_used_in_the_package_is_in_the_catalogue() -> None:
    used: set[str] = set()
    # the code is the first argument: a literal, or `"a" if condition else "b"`
    pattern = re.compile(
        r"(?:coded_problem|\.coded)\(\s*\"([a-z_0-9]+)\"(?:\s+if\s+\w+\s+else\s+\"([a-z_0-9]+)\")?"
    )
    for path in PACKAGE.rglob("*.py"):
        for codes in pattern.findall(path.read_text(encoding="utf-8")):
            used |= {c for c in codes if c}
    assert used, "no coded problems found"
    assert used <= set(MESSAGES), sorted(used - set(MESSAGES))
    assert set(MESSAGES) <= used, f"unused codes: {sorted(set(MESSAGES) - used)}"


@pytest.mark.parametrize("fault", sorted(corpus.EXPECTED))
def test_every_problem_of_the_corpus_reads_in_chinese(fault: str) -> None:
    problems = validate_folder(DATA / "bad" / fault)
    for p in problems:
        message, fix = problem_text(p, "zh")
        if p.code:
            assert _HAN.search(message) and _HAN.search(fix), p
        else:
            assert (message, fix) == (p.message, p.fix)
    expected = corpus.EXPECTED[fault][1]
    named = [p for p in problems if (p.file, p.row_id, p.column) in set(expected)]
    assert all(p.code for p in named), [p for p in named if not p.code]


def test_validate_lang_zh_and_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "problems.xlsx"
    folder = DATA / "bad" / "messy"
    assert main(["validate", str(folder), "--lang", "zh", "--report", str(report)]) == 1
    out = capsys.readouterr().out
    assert "问题:编号重复" in out and "7 个错误,0 个警告。" in out
    sheet = openpyxl.load_workbook(report).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == REPORT_COLUMNS
    problems = validate_folder(folder)
    assert len(rows) - 1 == len(problems)
    by_where = {(r[1], r[2], r[3]): r for r in rows[1:]}
    v1 = by_where[("villages.csv", "V1", "编号 (id)")]
    assert v1[5].startswith("Duplicate id") and v1[7].startswith("编号重复")


def test_report_must_be_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(DATA / "good" / "tiny")
    assert main(["validate", folder, "--report", str(tmp_path / "p.csv")]) == 1
    assert "ending in .xlsx" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()


def test_run_lang_zh_prints_scenario_problems_in_chinese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = corpus.SCENARIOS_DIR / "section_twice.yaml"
    assert main(["run", str(scenario), "--lang", "zh", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "'restoration' 写了两次(第 2 行和第 6 行)" in err
    assert not (tmp_path / "out").exists()


def test_scenario_problems_read_in_chinese(tmp_path: Path) -> None:
    from geoplan.errors import ScenarioError
    from geoplan.runs.scenario import load_scenario

    path = tmp_path / "bad.yaml"
    path.write_text(
        f"base: {DATA / 'scenarios' / 'base' / 'tiny.yaml'}\n"
        "projection: {years: 0}\nrestoraton: {}\noutputs: {maps: maybe}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    problems = err.value.problems
    assert {p.column for p in problems} == {"projection.years", "restoraton", "outputs.maps"}
    for p in problems:
        message, fix = problem_text(p, "zh")
        assert _HAN.search(message) and _HAN.search(fix), p
