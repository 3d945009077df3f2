"""The problem catalogue: every code in English and Chinese, and the Chinese problem table."""

from __future__ import annotations

import ast
import importlib.util
import re
import shutil
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


_CODERS = {"coded_problem": 0, "coded": 0, "coded_error": 1}
"""Functions that take a catalogue code, and the position of the code among their arguments."""

# Modules that may still build a Problem by hand, each with why. Empty: every problem, the
# library's argument checks (siting, districts) included, comes from the catalogue; a module
# added here must say why. Files, scenarios and the command line (data/, runs/, network/,
# cli.py) are never here.
HAND_BUILT: dict[str, str] = {}


# Refusals a planner meets on the command line: every raise in them carries coded problems.
REFUSALS = {
    "cli.py": ("_output_folder", "_run_validate", "_run_travel"),
    "data/readers.py": ("_metric_crs", "read_layers"),
    "runs/scenario.py": ("load_scenario",),
    "runs/runner.py": ("prepare_area", "plan_scenario"),
    "runs/batch.py": ("scenario_files",),
    "network/modes.py": ("_check_closures", "_refuse_none_open"),
    "network/travel.py": ("check_roads_reach",),
    "network/roads.py": ("the_road_file",),
    "models/phasing.py": ("_check_forced", "_greedy"),
    "models/districts.py": ("_refuse_stranded", "_refuse_conflicts", "_level_adjacency"),
    "models/_district_model.py": ("_forced",),
    "models/_district_heuristic.py": ("_heuristic",),
    "models/_district_inputs.py": ("_separate_homes", "_check_block_rows", "_refuse_unprojected"),
}


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _literals(node: ast.expr) -> list[str] | None:
    """The codes an argument can be: a literal or `"a" if condition else "b"`; None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def _modules() -> dict[str, ast.Module]:
    return {
        path.relative_to(PACKAGE).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for path in PACKAGE.rglob("*.py")
    }


def test_every_code_used_in_the_package_is_in_the_catalogue() -> None:
    used: set[str] = set()
    dynamic: list[str] = []
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node) in _CODERS:
                at = _CODERS[_call_name(node)]
                if name == "data/messages.py" or len(node.args) <= at:
                    continue
                arg = node.args[at]
                if isinstance(arg, ast.Name) and arg.id == "code":
                    continue  # a wrapper passing its own `code` on; its callers are read
                codes = _literals(arg)
                if codes is None:
                    dynamic.append(f"{name}:{node.lineno}")
                else:
                    used |= set(codes)
    assert not dynamic, f"codes the test cannot read (write them as literals): {dynamic}"
    assert used <= set(MESSAGES), sorted(used - set(MESSAGES))
    assert set(MESSAGES) <= used, f"unused codes: {sorted(set(MESSAGES) - used)}"


def test_every_coded_call_gives_the_values_its_text_names() -> None:
    missing: list[str] = []
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _call_name(node) in _CODERS):
                continue
            at = _CODERS[_call_name(node)]
            if name == "data/messages.py" or len(node.args) <= at:
                continue
            codes = _literals(node.args[at]) or []
            given = {k.arg for k in node.keywords}
            if None in given:  # **params: not readable here
                continue
            given |= {"field"} if _call_name(node) == "coded" else set()  # the scenario's wrapper
            given |= {"level_zh"} if "level" in given else set()
            given |= {"unit_zh"} if "unit" in given else set()
            for code in codes:
                needed = {
                    f for lang in LANGUAGES for t in MESSAGES[code][lang] for f in message_fields(t)
                }
                if needed - given:
                    missing.append(f"{name}:{node.lineno} {code} lacks {sorted(needed - given)}")
    assert not missing, missing


def test_no_problem_is_written_outside_the_catalogue() -> None:
    by_hand: dict[str, list[int]] = {}
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node) == "Problem":
                by_hand.setdefault(name, []).append(node.lineno)
    by_hand.pop("data/messages.py", None)
    unexplained = {k: v for k, v in by_hand.items() if k not in HAND_BUILT}
    assert not unexplained, f"Problem(...) built by hand; give it a catalogue code: {unexplained}"
    assert not [k for k in HAND_BUILT if k.split("/")[0] in ("data", "runs", "network")]
    assert set(HAND_BUILT) <= set(by_hand), "a module left HAND_BUILT: remove it from the list"


def _coded_raise(node: ast.Raise) -> bool:
    exc = node.exc
    if exc is None or isinstance(exc, ast.Name):  # a bare re-raise, or a coded error built above
        return True
    if not isinstance(exc, ast.Call):
        return False
    if _call_name(exc) in ("coded_error", "ValidationError", "_unknown_ids", "_refusal"):
        return True
    return any(k.arg == "problems" for k in exc.keywords)


@pytest.mark.parametrize("module", sorted(REFUSALS))
def test_every_refusal_a_planner_meets_carries_coded_problems(module: str) -> None:
    tree = _modules()[module]
    functions = {
        n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    for name in REFUSALS[module]:
        raises = [n for n in ast.walk(functions[name]) if isinstance(n, ast.Raise)]
        assert raises, f"{module}:{name} raises nothing (list changed?)"
        plain = [n.lineno for n in raises if not _coded_raise(n)]
        assert not plain, f"{module}:{name} raises a plain message at lines {plain}"
    if module == "runs/runner.py":  # _unknown_ids and _refusal build the errors raised
        for builder in ("_unknown_ids", "_refusal"):
            (built,) = [n for n in ast.walk(functions[builder]) if isinstance(n, ast.Return)]
            assert isinstance(built.value, ast.Call)
            assert any(k.arg == "problems" for k in built.value.keywords)


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


def test_a_refusal_not_in_the_catalogue_still_reads_in_chinese_quoting_its_english() -> None:
    from geoplan.cli import _explained
    from geoplan.errors import NetworkError

    text = _explained(NetworkError("The road graph is empty."), "zh")
    assert "该问题尚无中文说明,英文原文:The road graph is empty." in text
    assert _explained(NetworkError("The road graph is empty."), "en") == "The road graph is empty."


def test_row_labels_read_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    """Excel rows and file lines are 'Excel 第 N 行' / '第 N 行' in Chinese, in texts and tables."""
    from geoplan.data.messages import coded_problem

    note = coded_problem(
        "title_rows_skipped", "villages.xlsx", "villages", "", "", "", severity="note",
        rows="Excel rows 1-2", header="Excel row 3",
    )  # fmt: skip
    message, _ = problem_text(note, "zh")
    assert message == "表头(Excel 第 3 行)上方的 Excel 第 1-2 行 已跳过(标题)。"
    assert problem_text(note, "en")[0].startswith("Excel rows 1-2 above the header (Excel row 3)")
    assert main(["validate", str(DATA / "bad" / "formula_without_value"), "--lang", "zh"]) == 1
    out = capsys.readouterr().out
    assert "Excel 第 3 行" in out and "Excel row" not in out, out


_CODE_LIKE = re.compile(r"--[\w-]+|(?<!\w)[\w-]*[_./\d][\w./-]*|\b[A-Z][A-Z\d-]+\b")
"""Flags, ids, file names, field paths and acronyms (--out, EPSG, UTF-8, V01, columns.yaml)."""

_NAMES_KEPT = {
    # programs and formats, written the same in Chinese
    "Excel", "WPS", "GIS", "QGIS", "GeoPackage", "GeoJSON", "shapefile", "Unicode", "geoplan",
    "OpenStreetMap",
    # values and names a planner types as they are (column, field, option and language names)
    "osmid", "true", "false", "null", "report", "join", "en", "zh", "primary", "middle", "must",
    "never", "months", "blocks", "sites", "phase", "decision", "feeders", "overrides",
    "standards", "xxxx", "Fix",
}  # fmt: skip


def _kept_words() -> set[str]:
    """Names a Chinese text may quote as they are: programs, layers, columns, fields, choices."""
    from geoplan.data.area import LAYERS
    from geoplan.runs.scenario import SCHEMA

    fields = {k for part in SCHEMA.values() if isinstance(part, dict) for k in part}
    columns = {c.name for cols in LAYERS.values() for c in cols}
    choices = {v for cols in LAYERS.values() for c in cols for v in c.choices}
    return _NAMES_KEPT | set(SCHEMA) | fields | columns | choices | set(LAYERS)


def _english_words(text: str, kept: set[str], *, shortest: int = 1) -> list[str]:
    """The English words of ``text`` outside quotes, backticks, ids, file names and ``kept``."""
    plain = text.replace("{{", "").replace("}}", "")
    bare = re.sub(r"\{[^{}]*\}|`[^`]*`|“[^”]*”|'[^']*'|\"[^\"]*\"", " ", plain)
    words = re.findall(r"[A-Za-z][A-Za-z-]*", _CODE_LIKE.sub(" ", bare))
    return [w for w in words if w not in kept and len(w) >= shortest]


def test_no_english_words_left_in_the_chinese_texts() -> None:
    """Every zh text is Chinese but for ids, file names, fields, code in backticks and names."""
    kept = _kept_words()
    left = {}
    for code, texts in MESSAGES.items():
        for text in texts["zh"]:
            if english := _english_words(text, kept):
                left[code] = english
    assert not left


@pytest.mark.parametrize(
    ("word", "value", "said"),
    [
        ("School", "School A (s0)", "School A (s0)"),  # the name starts with the word
        ("school", "'Hongqi school'", "'Hongqi school'"),  # ends with it (quoted)
        ("学校", "城关学校 (s1)", "城关学校 (s1)"),  # the Chinese name ends with it
        ("学校", "红旗小学", "红旗小学"),  # 小学 says it too
        ("学校", "School A (s0)", "School A (s0)"),  # either language's word
        ("Site", "Site 3 (P03)", "Site 3 (P03)"),
        ("Village", "Village 2", "Village 2"),
        ("School", "s0", "School s0"),  # an id: the word stays
        ("School", "Schoolhouse Lane", "School Schoolhouse Lane"),  # a longer word is not it
        ("学校", "s0", "学校 s0"),
    ],
)
def test_a_kind_word_is_not_written_before_a_name_that_says_it(
    word: str, value: str, said: str
) -> None:
    from geoplan.data.messages import with_kind

    assert with_kind(word, value) == said


def test_no_message_doubles_the_kind_word_before_a_name_in_either_language() -> None:
    """Every template writing a kind word before a value (``School {school}``, ``学校 {school}``)
    drops it for a name that says it, in both languages; an id keeps it."""
    from geoplan.data.messages import KIND_WORDS, coded_problem

    words = "|".join(w for kind in KIND_WORDS for w in kind)
    before = re.compile(rf"(?<![A-Za-z])({words}) ?\{{(\w+)[^{{}}]*\}}", re.IGNORECASE)
    checked = 0
    for code, texts in MESSAGES.items():
        fields = {f for lang in LANGUAGES for t in texts[lang] for f in message_fields(t)}
        templates = texts["en"] + texts["zh"]
        kinded = {m.group(2): m.group(1) for t in templates for m in before.finditer(t)}
        for field, word in kinded.items():
            params = dict.fromkeys(fields, "x") | {"level": "primary", "unit": "pupils"}
            kind = next(k for k in KIND_WORDS if word.lower() in k)
            for name in (f"{kind[0].title()} A (s0)", f"红旗{kind[1]}"):
                problem = coded_problem(code, "", "", "", "", "", **(params | {field: name}))
                for lang in LANGUAGES:
                    text = " ".join(problem_text(problem, lang))
                    for w in kind:
                        assert not re.search(rf"{w} ?'?{name}", text, re.IGNORECASE), (code, lang)
                checked += 1
            problem = coded_problem(code, "", "", "", "", "", **(params | {field: "s9"}))
            both = " ".join(problem_text(problem, "en") + problem_text(problem, "zh"))
            assert re.search(rf"{word} ?'?s9", both, re.IGNORECASE), code
    assert checked >= 10  # School {school}, 学校 {school}, Site {site}, 教学点 {site} ...


_ENGLISH_VALUES = {
    # values their callers write in English (a Chinese text must name their _zh twin instead)
    "description": "id of the township the point lies in",
    "differences": "pupils_g1_3: 合计 3,419, rows sum 3,409",
    "ids": "T00 (Bayan Yar Town), T01 (Tielek Gol Township)",
}


def _sample(field: str) -> str:
    """A value of ``field`` as a caller passes it: its Chinese twin Chinese, an id otherwise."""
    if field.endswith("_zh"):
        return "巴彦亚尔镇"
    return _ENGLISH_VALUES.get(field, f"X_{len(field)}")


def test_english_sample_values_are_found_by_the_check() -> None:
    """The check below can fail: each English sample value is flagged, an id is not."""
    kept = _kept_words()
    for field, value in _ENGLISH_VALUES.items():
        assert _english_words(f"填写 {value}。", kept, shortest=4), field
    assert not _english_words("填写 'township'(V001, T00, S01, columns.yaml, X_5)。", kept)


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_chinese_message_rendered_with_sample_values_reads_in_chinese(code: str) -> None:
    """Rendered with the values its callers give, a zh text has no English word of 4+ letters."""
    from geoplan.data.messages import _render

    fields = set().union(*(message_fields(t) for lang in LANGUAGES for t in MESSAGES[code][lang]))
    message, fix = _render(code, "zh", {f: _sample(f) for f in fields | set(IMPLIED_FIELDS)})
    kept = _kept_words()
    assert not _english_words(message + " " + fix, kept, shortest=4), (message, fix)


def test_missing_township_total_row_and_unknown_township_read_in_chinese(tmp_path: Path) -> None:
    """The three problems the audit found in English inside Chinese, from a real folder."""
    import geopandas as gpd

    folder = tmp_path / "county"
    shutil.copytree(DATA / "bad" / "unknown_township", folder)
    towns = gpd.read_file(folder / "townships.geojson")
    towns["name_zh"], towns["name"] = towns["name"], ["East Township", "West Township"]
    towns.to_file(folder / "townships.geojson", driver="GeoJSON")
    lines = (folder / "villages.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",T1,", ",,")  # V1: no township
    lines.append(",合计,,,,999,1,1")  # a total that does not add up
    (folder / "villages.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = {p.code: p for p in validate_folder(folder) if p.code}
    kept = _kept_words()
    (missing,) = [c for c in problems if c.startswith("missing_")]  # the township of V1
    (unknown,) = [c for c in problems if c.startswith("unknown_township")]  # V5's T9
    for code in (missing, "total_row_differs", unknown):
        english = " ".join((problems[code].message, problems[code].fix))
        chinese = " ".join(problem_text(problems[code], "zh"))
        assert _english_words(english, kept, shortest=4), code  # the English does say words
        assert not _english_words(chinese, kept, shortest=4), chinese
    assert "T1 (东乡)" in " ".join(problem_text(problems[unknown], "zh"))
    said = " ".join(problem_text(problems[missing], "zh"))
    assert "东乡" in said or "该点所在乡镇的编号" in said, said
