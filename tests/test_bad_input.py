"""Bad input refused clearly: keys written twice, lines named, files named (issue 17).

Each case is a small file written here or kept in ``tests/data/bad/``; the oracle is the text of
the file itself (which line holds what), never geoplan's own output.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from geoplan.data.readers import validate_folder
from geoplan.errors import ScenarioError
from geoplan.runs.scenario import load_scenario

DATA = Path(__file__).parent / "data"
HERE = DATA / "scenarios"
TINY = DATA / "good" / "tiny"


def _line(text: str, start: str, nth: int = 1) -> int:
    """1-based number of the ``nth`` line of ``text`` starting with ``start``."""
    found = [i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start)]
    return found[nth - 1]


def test_a_scenario_section_written_twice_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    text = (
        f"base: {HERE / 'base' / 'tiny.yaml'}\n"
        "restoration:\n"
        "  must: [P09]\n"
        "projection: {years: 2}\n"
        "restoration:\n"
        "  enabled: true\n"
    )
    path = tmp_path / "twice.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    first, second = _line(text, "restoration:"), _line(text, "restoration:", 2)
    message = str(err.value)
    assert f"written twice, at lines {first} and {second}" in message
    assert str(path) in message and f"line {second}" in message


def test_a_key_written_twice_deep_inside_a_scenario_is_found(tmp_path: Path) -> None:
    text = (
        f"base: {HERE / 'base' / 'tiny.yaml'}\n"
        "closures:\n"
        "  roads:\n"
        "  - label: winter\n"
        "    names: [Aqik Pass]\n"
        "    names: [Other Pass]\n"
    )
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    first, second = _line(text, "    names:"), _line(text, "    names:", 2)
    assert f"'closures.roads[0].names' is written twice, at lines {first} and {second}" in str(
        err.value
    )


def test_a_bad_scenario_field_names_its_file_and_line_also_in_a_base(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base_text = f"area:\n  folder: {HERE / 'tiny_county'}\nprojection:\n  years: -3\n"
    base.write_text(base_text, encoding="utf-8")
    child = tmp_path / "child.yaml"
    child_text = "base: base.yaml\ndescription: x\noutputs:\n  lang: fr\n"
    child.write_text(child_text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(child)
    lines = str(err.value).splitlines()
    years = next(line for line in lines if "projection.years" in line)
    assert f"{base}, layer projection, line {_line(base_text, '  years:')}," in years
    lang = next(line for line in lines if "outputs.lang" in line)
    assert f"{child}, layer outputs, line {_line(child_text, '  lang:')}," in lang


def test_scenario_where_names_file_and_line() -> None:
    scen = load_scenario(HERE / "tiny_restore.yaml")
    text = (HERE / "base" / "tiny.yaml").read_text(encoding="utf-8")
    assert scen.where("projection.years") == (
        f"{(HERE / 'base' / 'tiny.yaml').resolve()} line {_line(text, '  years:')}"
    )


@pytest.mark.parametrize("name", ["columns.yaml", "area.yaml"])
def test_a_key_written_twice_in_the_folder_settings_is_an_error(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "county"
    shutil.copytree(TINY, folder)
    if name == "columns.yaml":
        text = (
            "villages:\n  村名: name\nschools:\n  sheet: Sheet1\nvillages:\n  人口: pupils_g1_3\n"
        )
    else:
        text = "name: 东乡\nsynthetic: false\nname: 西乡\n"
    (folder / name).write_text(text, encoding="utf-8")
    problems = [p for p in validate_folder(folder) if p.severity == "error"]
    key = "villages" if name == "columns.yaml" else "name"
    first, second = _line(text, f"{key}:"), _line(text, f"{key}:", 2)
    twice = [p for p in problems if "written twice" in p.message]
    assert len(twice) == 1
    assert twice[0].file == name and twice[0].row_id == f"line {second}"
    assert f"at lines {first} and {second}" in twice[0].message


def test_a_bad_crs_in_area_yaml_names_area_yaml_and_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "county"
    shutil.copytree(TINY, folder)
    (folder / "area.yaml").write_text("name: 东乡\ncrs: EPSG:4326\n", encoding="utf-8")
    problems = validate_folder(folder)
    crs = [p for p in problems if p.column == "crs"]
    assert [(p.file, p.row_id, p.value, p.severity) for p in crs] == [
        ("area.yaml", "line 2", "EPSG:4326", "error")
    ]
    assert "area.yaml" in crs[0].fix
