"""How a planning-area folder's files are found and told apart: names in any case, two files for
one layer, files named by no layer, and files that are not what their names say.

Every folder is the good tiny county (``tests/data/good/tiny``) copied into ``tmp_path`` with one
change; the oracle of a successful reading is the same county read from the untouched folder.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import warnings
from pathlib import Path

import pandas as pd
import pytest

from geoplan.cli import configure_logging, main
from geoplan.data.messages import problem_text
from geoplan.data.readers import find_roads, read_planning_area, validate_folder
from geoplan.errors import Problem

GOOD = Path(__file__).parent / "data" / "good" / "tiny"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "county"
    shutil.copytree(GOOD, folder)
    return folder


def _coded(problems: list[Problem], code: str) -> list[Problem]:
    return [p for p in problems if p.code == code]


def _villages_table(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "villages.csv", dtype=str, encoding="utf-8")


# --------------------------------------------------------------------------- names in any case


def test_layer_and_road_files_are_matched_in_any_case(tmp_path: Path) -> None:
    expected = read_planning_area(GOOD)
    folder = _folder(tmp_path)
    (folder / "villages.csv").rename(folder / "Villages.CSV")
    (folder / "schools.xlsx").rename(folder / "SCHOOLS.XLSX")
    area = read_planning_area(folder)
    assert area.files["villages"] == "Villages.CSV"
    assert area.files["schools"] == "SCHOOLS.XLSX"
    pd.testing.assert_frame_equal(area.villages, expected.villages)
    pd.testing.assert_frame_equal(area.schools, expected.schools)
    (folder / "roads.osm").rename(folder / "Roads.OSM")
    found = find_roads(folder)
    assert found is not None and found.name == "Roads.OSM"
    (folder / "Roads.OSM").unlink()
    (folder / "Roads.OSM.PBF").write_bytes(b"")
    found = find_roads(folder)
    assert found is not None and found.name == "Roads.OSM.PBF"


# --------------------------------------------------------------------------- two files, one layer


@pytest.mark.parametrize(
    ("extra", "read", "other"),
    [
        ("villages.xlsx", "villages.csv", "villages.xlsx"),
        ("Villages.csv", "Villages.csv", "villages.csv"),  # names differing only in case
        ("villages.geojson", "villages.geojson", "villages.csv"),
    ],
)
def test_two_files_for_one_layer_are_an_error_naming_both(
    tmp_path: Path, extra: str, read: str, other: str
) -> None:
    folder = _folder(tmp_path)
    if extra.endswith(".xlsx"):
        _villages_table(folder).to_excel(folder / extra, index=False)
    elif extra.endswith(".geojson"):
        shutil.copy(folder / "townships.geojson", folder / extra)  # content does not matter
    else:
        shutil.copy(folder / "villages.csv", folder / extra)
    problems = _coded(validate_folder(folder), "layer_two_files")
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.severity == "error"
    assert (problem.file, problem.layer, problem.value) == (read, "villages", other)
    for text in (*problem_text(problem, "en"), *problem_text(problem, "zh")):
        assert read in text or other in text
    message, fix = problem_text(problem, "zh")
    assert read in message and other in message and other in fix


def test_a_kml_beside_a_table_is_one_layer_but_two_kml_files_are_two(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "villages.kml").write_text("<kml/>", encoding="utf-8")
    assert not _coded(validate_folder(folder), "layer_two_files")
    (folder / "villages.kmz").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    (problem,) = _coded(validate_folder(folder), "layer_two_files")
    assert (problem.file, problem.value) == ("villages.csv", "villages.kmz")


# --------------------------------------------------------------------------- missing layers


def test_a_missing_layer_lists_the_files_named_by_no_layer(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "villages.csv").rename(folder / "村级学生统计.csv")
    (folder / "说明.docx").write_bytes(b"PK")  # no layer can be a Word file: not listed
    (folder / "~$schools.xlsx").write_bytes(b"lock")  # an Excel lock file: not listed
    problems = validate_folder(folder)
    (problem,) = [p for p in problems if p.layer == "villages" and p.severity == "error"]
    assert problem.code == "missing_layer_unrecognised"
    for lang in ("en", "zh"):
        message, fix = problem_text(problem, lang)
        assert "村级学生统计.csv" in message and "说明.docx" not in message + fix
        assert "~$" not in message + fix
        assert "villages.csv" in fix  # the name to rename it to


@pytest.mark.parametrize("layer", ["townships", "villages"])
def test_a_missing_layer_names_the_kinds_of_file_it_can_come_in(tmp_path: Path, layer: str) -> None:
    folder = _folder(tmp_path)
    for path in folder.glob(f"{layer}.*"):
        path.unlink()
    (problem,) = [p for p in validate_folder(folder) if p.layer == layer]
    _, fix = problem_text(problem, "en")
    for kind in ("GeoPackage", "GeoJSON", "shapefile", ".kml", ".kmz"):
        assert kind in fix, fix
    tables = (".csv", ".xlsx")
    if layer == "townships":
        assert problem.code == "missing_polygon_layer"
        assert not any(t in fix for t in tables) and "table cannot hold polygons" in fix
    else:
        assert problem.code == "missing_layer"
        assert all(t in fix for t in tables) and "longitude and latitude" in fix
    _, fix_zh = problem_text(problem, "zh")
    assert "GeoPackage" in fix_zh and ".kmz" in fix_zh


def test_template_then_validate_asks_for_township_polygons_not_a_table(tmp_path: Path) -> None:
    assert main(["template", str(tmp_path)]) == 0
    (problem,) = [p for p in validate_folder(tmp_path) if p.layer == "townships"]
    assert problem.code == "missing_polygon_layer"
    assert "townships.csv" not in problem.fix and "townships.xlsx" not in problem.fix


# --------------------------------------------------------------------------- files not what named


def _only_villages_as(tmp_path: Path, name: str, data: bytes) -> tuple[Path, list[Problem]]:
    folder = _folder(tmp_path)
    (folder / "villages.csv").unlink()
    (folder / name).write_bytes(data)
    return folder, [p for p in validate_folder(folder) if p.layer == "villages"]


def test_a_web_page_saved_as_xls_is_named_so(tmp_path: Path) -> None:
    page = _villages_table(GOOD).to_html(index=False)
    _, problems = _only_villages_as(tmp_path, "villages.xls", f"<html><body>{page}".encode())
    (problem,) = problems
    assert (problem.code, problem.file) == ("workbook_is_web_page", "villages.xls")
    message, fix = problem_text(problem, "en")
    assert "web page" in message and "Save As" in fix and ".xlsx" in fix
    zh = "".join(problem_text(problem, "zh"))
    assert "网页" in zh and "Cfb" not in zh + message + fix and "OLE" not in zh + message


def test_a_csv_renamed_xlsx_is_named_a_text_file_and_the_fix_renames_it(tmp_path: Path) -> None:
    text = (GOOD / "villages.csv").read_bytes()
    folder, problems = _only_villages_as(tmp_path, "villages.xlsx", text)
    (problem,) = problems
    assert problem.code == "workbook_is_text"
    assert "EOCD" not in problem.message and "Zip" not in problem.message
    assert "villages.csv" in problem.fix and "villages.csv" in problem_text(problem, "zh")[1]
    (folder / "villages.xlsx").rename(folder / "villages.csv")  # the fix, followed
    assert not [p for p in validate_folder(folder) if p.severity == "error"]


def test_an_xlsx_workbook_named_xls_is_told_to_be_renamed(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    _villages_table(GOOD).to_excel(book, index=False)
    _, problems = _only_villages_as(tmp_path, "villages.xls", book.read_bytes())
    (problem,) = problems
    assert problem.code == "workbook_wrong_suffix"
    assert "villages.xlsx" in problem.fix and "villages.xlsx" in problem_text(problem, "zh")[1]


def test_a_damaged_workbook_says_so_without_the_library_s_words(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="geoplan")
    _, problems = _only_villages_as(tmp_path, "villages.xlsx", b"PK\x03\x04" + bytes(range(256)))
    (problem,) = problems
    assert problem.code == "workbook_unreadable"
    assert "damaged" in problem.message
    zh = "".join(problem_text(problem, "zh"))
    assert "损坏" in zh and "英文" not in zh and "Zip" not in zh + problem.message
    assert "calamine" in caplog.text  # the library's words stay in the log


# --------------------------------------------------------------------------- unreadable GeoPackage


def _bad_gpkg(path: Path) -> None:
    """An SQLite database that is no GeoPackage (GDAL warns "bad application_id")."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")


def test_an_unreadable_extra_geopackage_is_a_warning_and_gdal_stays_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _folder(tmp_path)
    _bad_gpkg(folder / "extra.gpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning escaping the reader fails the test
        problems = validate_folder(folder)
    (problem,) = _coded(problems, "gpkg_unreadable")
    assert (problem.file, problem.severity) == ("extra.gpkg", "warning")
    main(["validate", str(folder)])
    out = capsys.readouterr()
    assert "extra.gpkg" in out.out and "RuntimeWarning" not in out.out + out.err


def test_an_unreadable_geopackage_is_an_error_when_a_needed_layer_is_missing(
    tmp_path: Path,
) -> None:
    folder = _folder(tmp_path)
    (folder / "villages.csv").unlink()
    _bad_gpkg(folder / "村庄.gpkg")
    (problem,) = _coded(validate_folder(folder), "gpkg_unreadable")
    assert problem.severity == "error"
    (given,) = _coded(validate_folder(folder / "村庄.gpkg"), "gpkg_unreadable")
    assert given.severity == "error"


def test_library_warnings_go_to_the_log_not_the_screen(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # pytest's settings turn warnings into errors
        configure_logging(verbose=True)
        caplog.set_level(logging.DEBUG, logger="geoplan")
        warnings.warn_explicit("GPKG: bad application_id", RuntimeWarning, "core.py", 169)
    assert "RuntimeWarning" not in capsys.readouterr().err
    assert "bad application_id" in caplog.text


# --------------------------------------------------------------------------- the road file


def _validate(folder: Path, capsys: pytest.CaptureFixture[str], lang: str = "en") -> str:
    assert main(["validate", str(folder), "--lang", lang]) == 1
    return capsys.readouterr().out


def _run_refusal(folder: Path) -> Problem:
    """The problem ``geoplan run`` refuses the folder with when it reads the roads."""
    from geoplan.errors import GeoplanError
    from geoplan.plan.pipeline import load_network

    area = read_planning_area(folder)
    with pytest.raises(GeoplanError) as refused:
        load_network(area)
    (problem,) = refused.value.problems
    return problem


@pytest.mark.parametrize(
    ("road_file", "data", "code"),
    [
        (None, b"", "area_no_roads"),
        ("roads.osm.bz2", b"BZh91AY&SY garbage", "roads_unreadable"),
        ("roads.osm.pbf", b"<!DOCTYPE html><html><body>404</body></html>", "roads_web_page"),
        ("roads.osm", b'<?xml version="1.0"?><osm version="0.6"><node id="1" lat="42.3" '
         b'lon="86.5"/></osm>', "roads_none"),
    ],
)  # fmt: skip
def test_validate_refuses_the_road_file_a_run_refuses_by_the_same_rule(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    road_file: str | None,
    data: bytes,
    code: str,
) -> None:
    folder = _folder(tmp_path)
    (folder / "roads.osm").unlink()
    if road_file is not None:
        (folder / road_file).write_bytes(data)
    refusal = _run_refusal(folder)
    assert refusal.code == code
    out = _validate(folder, capsys)
    assert refusal.message in out and refusal.fix in out
    assert "No problems found" not in out
    if road_file is not None:
        assert road_file in refusal.message and road_file in refusal.fix + refusal.message
        assert "bzip2" not in out and "Fix: give OSM" not in out  # the library's words: log only
    message, _ = problem_text(refusal, "zh")
    assert message in _validate(folder, capsys, "zh")
    assert "没有路网" in message if road_file is None else "路网文件" in message
