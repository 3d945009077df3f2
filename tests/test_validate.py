"""The bad-input corpus: every fault is found and named by file, row id and column."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from geoplan.data.readers import read_planning_area, validate_folder
from geoplan.data.validation import format_problems
from geoplan.errors import ValidationError

DATA = Path(__file__).parent / "data"
_spec = importlib.util.spec_from_file_location("make_bad_corpus", DATA / "make_bad_corpus.py")
assert _spec is not None and _spec.loader is not None
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)
EXPECTED = corpus.EXPECTED


def test_every_bad_folder_is_in_the_table() -> None:
    folders = {p.name for p in (DATA / "bad").iterdir() if p.is_dir()} - {"scenarios"}
    assert folders == set(EXPECTED)


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_fault_is_named(fault: str) -> None:
    code, expected = EXPECTED[fault]
    problems = validate_folder(DATA / "bad" / fault)
    named = {(p.file, p.row_id, p.column) for p in problems}
    for where in expected:
        assert where in named, f"{fault}: {where} not in {named}"
    errors = [p for p in problems if p.severity == "error"]
    assert bool(errors) == (code == 1)
    for p in problems:
        assert p.message and p.fix


@pytest.mark.parametrize("fault", sorted(f for f, (code, _) in EXPECTED.items() if code == 1))
def test_reader_raises_one_error_with_every_problem(fault: str) -> None:
    with pytest.raises(ValidationError) as info:
        read_planning_area(DATA / "bad" / fault)
    assert isinstance(info.value, ValueError)
    assert len(info.value.problems) >= len(EXPECTED[fault][1])


def test_messy_folder_gives_at_least_five_problems_in_one_error() -> None:
    with pytest.raises(ValidationError) as info:
        read_planning_area(DATA / "bad" / "messy")
    errors = [p for p in info.value.problems if p.severity == "error"]
    assert len(errors) >= 5
    assert len({p.file for p in errors}) >= 3
    assert "7 problem(s)" in str(info.value)


def test_invalid_polygon_is_repaired_with_a_warning() -> None:
    area = read_planning_area(DATA / "bad" / "invalid_polygon")
    assert all(area.townships.geometry.is_valid)
    assert [p.row_id for p in area.warnings] == ["T2"]


def test_boundary_tolerance_is_configurable() -> None:
    far = DATA / "bad" / "outside_boundary"
    assert validate_folder(far, boundary_tolerance_m=60_000.0) == []
    assert validate_folder(far, boundary_tolerance_m=float("inf")) == []


def test_format_problems_table() -> None:
    text = format_problems(validate_folder(DATA / "bad" / "messy"))
    assert "villages.csv" in text and "fix:" in text and "7 error(s), 0 warning(s)." in text
    assert format_problems([]) == "No problems found."


def test_a_point_far_outside_the_township_it_names_is_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "county"
    shutil.copytree(DATA / "good" / "tiny", folder)
    area = read_planning_area(folder)
    villages, townships = area.villages, area.townships
    # independent oracle: the township each village lies in, and the distance to every other one
    lies_in = {v: townships.geometry.distance(p).idxmin() for v, p in villages.geometry.items()}
    vid, other = next(
        (v, t)
        for v, p in villages.geometry.items()
        for t in townships.index
        if t != lies_in[v] and townships.geometry[t].distance(p) > 1000.0
    )
    far_m = float(townships.geometry[other].distance(villages.geometry[vid]))
    text = (folder / "villages.csv").read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(text) if line.split(",")[0] == vid)
    cells = text[row].split(",")
    cells[2] = str(other)
    text[row] = ",".join(cells)
    (folder / "villages.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    problems = validate_folder(folder)
    assert [(p.severity, p.row_id, p.column, p.value) for p in problems] == [
        ("warning", vid, "乡镇 (township)", other)  # the file's own header, then the contract's
    ]
    assert f"{far_m / 1000:.1f} km outside township {other}" in problems[0].message
    assert lies_in[vid] in problems[0].fix
    # a warning, so the folder still reads; a tolerance wider than the distance accepts it
    assert read_planning_area(folder).villages.loc[vid, "township"] == other
    assert validate_folder(folder, boundary_tolerance_m=far_m + 1.0) == []


def test_a_bad_whole_count_is_shown_as_written(tmp_path: Path) -> None:
    folder = tmp_path / "county"
    shutil.copytree(DATA / "good" / "tiny", folder)
    path = folder / "villages.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[5], cells[6] = "-3", "2.5"
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = validate_folder(folder)
    assert sorted((p.row_id, p.value) for p in problems) == [(cells[0], "-3"), (cells[0], "2.5")]
