"""The bad-input corpus: every fault is found and named by file, row id and column."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from shapely import affinity
from shapely.geometry import box

from geoplan.data.messages import problem_text
from geoplan.data.readers import read_planning_area, validate_folder
from geoplan.data.validation import format_problems
from geoplan.errors import ValidationError
from geoplan.runs.checks import check_folder

DATA = Path(__file__).parent / "data"
_spec = importlib.util.spec_from_file_location("make_bad_corpus", DATA / "make_bad_corpus.py")
assert _spec is not None and _spec.loader is not None
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)
EXPECTED = corpus.EXPECTED
FOLDER_FAULTS = {f: v for f, v in EXPECTED.items() if f not in corpus.ROAD_FAULTS}
"""Faults the reader finds; a road file is read by `geoplan validate` (as a run reads it)."""


def test_every_bad_folder_is_in_the_table() -> None:
    folders = {p.name for p in (DATA / "bad").iterdir() if p.is_dir()} - {"scenarios"}
    assert folders == set(EXPECTED)


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_fault_is_named(fault: str) -> None:
    """Every fault, the road files' too, found by the library's whole check (check_folder)."""
    code, expected = EXPECTED[fault]
    problems = check_folder(DATA / "bad" / fault).problems
    named = {(Path(p.file).name, p.row_id, p.column) for p in problems}  # a folder by its name
    for where in expected:
        assert where in named, f"{fault}: {where} not in {named}"
    errors = [p for p in problems if p.severity == "error"]
    assert bool(errors) == (code == 1)
    for p in problems:
        assert p.message and p.fix


@pytest.mark.parametrize("fault", ["no_roads", "roads_damaged", "duplicate_id", "messy"])
def test_the_whole_check_adds_to_the_reading(fault: str) -> None:
    """check_folder (what `geoplan validate` runs) holds every problem of the reading's
    validate_folder, and the road file's on top: the reading alone passes a folder whose roads
    a run refuses."""
    reading = validate_folder(DATA / "bad" / fault)
    whole = check_folder(DATA / "bad" / fault).problems
    assert whole[: len(reading)] == reading
    if fault in corpus.ROAD_FAULTS:
        assert not [p for p in reading if p.severity == "error"]
        assert [p for p in whole if p.severity == "error" and p.layer == "roads"]


@pytest.mark.parametrize("fault", sorted(f for f, (code, _) in FOLDER_FAULTS.items() if code == 1))
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


def _tiny_with_first_village(tmp_path: Path, **cells: str) -> tuple[Path, list[str]]:
    """The tiny folder with villages.csv's first row changed (cells by position: ``c2="T9"``).

    Returns the folder and the row's cells after the change.
    """
    folder = tmp_path / "county"
    shutil.copytree(DATA / "good" / "tiny", folder)
    path = folder / "villages.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    row = lines[1].split(",")
    for key, value in cells.items():
        row[int(key[1:])] = value
    lines[1] = ",".join(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder, row


def _township_holding(folder: Path, row: list[str]) -> tuple[str, str]:
    """The oracle: id and name of the township polygon holding the row's point."""
    towns = gpd.read_file(folder / "townships.geojson")
    point = gpd.points_from_xy([float(row[3])], [float(row[4])])[0]
    ((tid, name),) = towns.loc[towns.covers(point), ["id", "name"]].itertuples(index=False)
    return str(tid), str(name)


def test_a_bad_whole_count_is_shown_as_written(tmp_path: Path) -> None:
    folder, cells = _tiny_with_first_village(tmp_path, c5="-3", c6="2.5")
    problems = validate_folder(folder)
    assert sorted((p.row_id, p.value) for p in problems) == [(cells[0], "-3"), (cells[0], "2.5")]


def test_a_missing_township_is_reported_once_as_missing(tmp_path: Path) -> None:
    folder, cells = _tiny_with_first_village(tmp_path, c2="")  # the township cell left empty
    problems = validate_folder(folder)
    tid, name = _township_holding(folder, cells)
    assert [(p.row_id, p.column, p.message, p.fix) for p in problems] == [
        (
            cells[0],
            "乡镇 (township)",
            f"Missing township; the point lies in {tid} ({name}).",
            f"Fill in the township: {tid} if that is it (the id of the township the point "
            "lies in).",
        )
    ]
    message, fix = problem_text(problems[0], "zh")
    assert f"该点位于 {tid} ({name})" in message and tid in fix


def test_a_point_in_no_township_missing_its_township_is_told_to_fill_it_in(
    tmp_path: Path,
) -> None:
    folder, _ = _tiny_with_first_village(tmp_path, c2="", c3="87.9", c4="43.9")  # far outside
    missing = [p for p in validate_folder(folder) if p.column == "乡镇 (township)"]
    assert [p.code for p in missing] == ["missing_value"]


@pytest.mark.parametrize(
    ("written", "code", "read_as"),
    [
        ("东", "", "T1"),  # 乡 left out: read, with a note naming the mapping
        ("东 乡", "", "T1"),  # spaced out
        ("东相", "unknown_township_close_inside", None),  # a typo: suggested, not read
        ("Z9", "unknown_township_inside", None),  # nothing alike: the polygon it lies in
    ],
)
def test_an_unknown_township_is_suggested_by_name_and_by_where_the_point_lies(
    tmp_path: Path, written: str, code: str, read_as: str | None
) -> None:
    folder, cells = _tiny_with_first_village(tmp_path, c2=written)  # it was T1 (东乡)
    inside, _ = _township_holding(folder, cells)
    problems = validate_folder(folder)
    if read_as is not None:
        assert [p for p in problems if p.severity == "error"] == []
        (note,) = [p for p in problems if p.code == "township_names_read"]
        assert f"{written} → {read_as} (东乡)" in note.message and note.file == "villages.csv"
        assert f"{written} → {read_as} (东乡)" in problem_text(note, "zh")[0]
        assert read_planning_area(folder).villages.loc[cells[0], "township"] == read_as
        return
    (problem,) = [p for p in problems if p.severity == "error"]
    assert (problem.code, problem.row_id, problem.value) == (code, cells[0], written)
    assert f"the point lies in {inside} (" in problem.message
    assert inside in problem.fix
    if code == "unknown_township_close_inside":
        assert "the closest township names are T1 (东乡)" in problem.message
    message, _ = problem_text(problem, "zh")
    assert f"该点位于 {inside} (" in message


def _townships_with(folder: Path, t2_ring: list[tuple[float, float]], hole=None) -> None:
    """Rewrite the tiny folder's township T2 (86.5-86.6 E, 42.25-42.35 N) with a new outline."""
    import geopandas as gpd
    from shapely import Polygon

    path = folder / "townships.geojson"
    towns = gpd.read_file(path)
    towns.loc[towns["id"] == "T2", "geometry"] = Polygon(t2_ring, [hole] if hole else None)
    towns.to_file(path, driver="GeoJSON")


def _edges(problems) -> list[tuple[str, str, str]]:
    return [
        (p.code, p.severity, p.row_id)
        for p in problems
        if p.code in ("township_overlap", "township_gap", "township_enclave", "township_hole")
    ]


def test_townships_overlapping_or_leaving_a_sliver_are_warned(tmp_path: Path) -> None:
    folder = tmp_path / "county"
    shutil.copytree(DATA / "good" / "tiny", folder)
    assert _edges(validate_folder(folder)) == []  # the tiny county's townships share an edge
    # T2's west edge 0.0003 degrees (about 25 m at 42.3 N) inside T1: an overlap
    west = 86.4997
    _townships_with(folder, [(west, 42.25), (86.6, 42.25), (86.6, 42.35), (west, 42.35)])
    problems = validate_folder(folder)
    assert _edges(problems) == [("township_overlap", "warning", "T1")]
    got = next(p for p in problems if p.code == "township_overlap")
    # oracle: 0.0003 degrees of longitude x 0.1 degrees of latitude on the ellipsoid
    from pyproj import Geod

    area_m2, _ = Geod(ellps="WGS84").polygon_area_perimeter(
        [west, 86.5, 86.5, west], [42.25, 42.25, 42.35, 42.35]
    )
    ha = float(got.message.split(" by ")[1].split(" ha")[0])
    assert ha == pytest.approx(abs(area_m2) / 10_000, rel=0.01)
    assert "T2" in got.message and "about 25 m wide" in got.message
    # a notch of T2's west edge 0.0003 degrees east, 42.28-42.32 N: a gap between T1 and T2
    _townships_with(folder, [
        (86.5, 42.25), (86.6, 42.25), (86.6, 42.35), (86.5, 42.35),
        (86.5, 42.32), (86.5003, 42.32), (86.5003, 42.28), (86.5, 42.28),
    ])  # fmt: skip
    problems = validate_folder(folder)
    assert _edges(problems) == [("township_gap", "warning", "T1")]
    gap = next(p for p in problems if p.code == "township_gap")
    assert "T2" in gap.message and "about 25 m wide" in gap.message
    lon, lat = (float(x) for x in gap.value.split(","))
    assert 86.5 < lon < 86.5003 and 42.28 < lat < 42.32
    # a 3 km hole inside T2 (land of no township): an enclave, noted, not a warning
    hole = [(86.53, 42.28), (86.57, 42.28), (86.57, 42.31), (86.53, 42.31)]
    _townships_with(folder, [(86.5, 42.25), (86.6, 42.25), (86.6, 42.35), (86.5, 42.35)], hole)
    problems = validate_folder(folder)
    assert _edges(problems) == [("township_hole", "note", "T2")]
    hole_note = next(p for p in problems if p.code == "township_hole")
    assert "inside this township" in hole_note.message and " and -" not in hole_note.message


def test_an_empty_layer_says_how_to_mend_it_in_each_language(tmp_path: Path) -> None:
    """A required layer must get rows; an optional one may get rows or go, said in en and zh."""
    import re

    folder = tmp_path / "county"
    shutil.copytree(DATA / "good" / "tiny", folder)
    for name in ("villages.csv", "sites.csv"):
        path = folder / name
        header = path.read_bytes().splitlines()[0]
        path.write_bytes(header + b"\n")  # the header row only
    problems = {p.layer: p for p in validate_folder(folder) if p.code.startswith("empty_")}
    villages, sites = problems["villages"], problems["sites"]
    assert (villages.code, villages.severity) == ("empty_layer", "error")
    assert (sites.code, sites.severity) == ("empty_optional_layer", "warning")
    assert "delete" not in villages.fix and "delete the file" in sites.fix
    zh_villages, zh_sites = problem_text(villages, "zh")[1], problem_text(sites, "zh")[1]
    assert "删除" not in zh_villages and "删除该文件" in zh_sites
    for fix in (zh_villages, zh_sites):  # no English left but the file's name
        assert not re.findall(
            r"[A-Za-z]{2,}", fix.replace(villages.file, "").replace(sites.file, "")
        )


def test_a_gap_around_an_island_township_is_a_sliver_not_an_enclave(tmp_path: Path) -> None:
    """A township digitised 0.0003 degrees short all round inside another: the ring is the gap.

    The union's hole holds the island township; the gap is the ring around it, not the hole.
    """
    import geopandas as gpd
    from pyproj import Geod
    from shapely import Polygon

    folder = tmp_path / "county"
    shutil.copytree(DATA / "good" / "tiny", folder)
    hole = [(86.53, 42.28), (86.57, 42.28), (86.57, 42.31), (86.53, 42.31)]
    _townships_with(folder, [(86.5, 42.25), (86.6, 42.25), (86.6, 42.35), (86.5, 42.35)], hole)
    d = 0.0003  # about 25 m of longitude and 33 m of latitude at 42.3 N
    island = [(86.53 + d, 42.28 + d), (86.57 - d, 42.28 + d), (86.57 - d, 42.31 - d),
              (86.53 + d, 42.31 - d)]  # fmt: skip
    path = folder / "townships.geojson"
    towns = gpd.read_file(path)
    t3 = towns.iloc[[0]].copy()
    t3["id"], t3["name"], t3["geometry"] = "T3", "岛乡", [Polygon(island)]
    gpd.pd.concat([towns, t3]).to_file(path, driver="GeoJSON")
    problems = validate_folder(folder)
    assert _edges(problems) == [("township_gap", "warning", "T2")]
    gap = next(p for p in problems if p.code == "township_gap")
    assert "T3" in gap.message
    geod = Geod(ellps="WGS84")
    ring = abs(geod.geometry_area_perimeter(Polygon(hole))[0])
    ring -= abs(geod.geometry_area_perimeter(Polygon(island))[0])
    ha = float(gap.message.split("gap of ")[1].split(" ha")[0])
    assert ha == pytest.approx(ring / 10_000, rel=0.02)
    width = float(gap.message.split("about ")[1].split(" m wide")[0])
    assert 20 <= width <= 40
    lon, lat = (float(x) for x in gap.value.split(","))
    assert not Polygon(island).contains(gpd.points_from_xy([lon], [lat])[0])
    assert Polygon(hole).contains(gpd.points_from_xy([lon], [lat])[0])


# a strip 0.0005 degrees (about 41 m) wide, 42.30-42.35 N, along T1 and T2's shared edge at
# 86.5 E, open to the county's north edge: cut from T2 (between two townships, a gap) or from
# inside T2 at 86.55 E (a bay of one township's coast, no gap); both narrower than the sliver
# width, so both are filled by the closing of the townships' union
_STRIP = 0.0005


def test_a_gap_open_to_the_county_edge_is_a_sliver(tmp_path: Path) -> None:
    from pyproj import Geod
    from shapely import Polygon

    folder = tmp_path / "county"
    shutil.copytree(DATA / "good" / "tiny", folder)
    east = 86.5 + _STRIP
    _townships_with(folder, [
        (86.5, 42.25), (86.6, 42.25), (86.6, 42.35), (east, 42.35), (east, 42.30), (86.5, 42.30),
    ])  # fmt: skip
    problems = validate_folder(folder)
    assert _edges(problems) == [("township_gap", "warning", "T1")]
    gap = next(p for p in problems if p.code == "township_gap")
    assert "and T2, in no township" in gap.message  # the two townships, no third
    geod = Geod(ellps="WGS84")
    strip = Polygon([(86.5, 42.30), (east, 42.30), (east, 42.35), (86.5, 42.35)])
    ha = float(gap.message.split("gap of ")[1].split(" ha")[0])
    assert ha == pytest.approx(abs(geod.geometry_area_perimeter(strip)[0]) / 10_000, rel=0.02)
    _, _, across = geod.inv(86.5, 42.325, east, 42.325)  # about 41 m
    width = float(gap.message.split("about ")[1].split(" m wide")[0])
    assert width == pytest.approx(across, abs=2)
    lon, lat = (float(x) for x in gap.value.split(","))
    assert strip.contains(gpd.points_from_xy([lon], [lat])[0])
    zh = problem_text(gap, "zh")[0]
    assert "T2" in zh and f"{width:.0f} 米宽" in zh


def _write_townships(folder: Path, geoms: dict[str, Any]) -> None:
    """Rewrite the tiny folder's townships as ``geoms`` (id: polygon, longitude/latitude)."""
    path = folder / "townships.geojson"
    towns = gpd.read_file(path).iloc[[0] * len(geoms)].reset_index(drop=True)
    towns["id"], towns["name"], towns["geometry"] = list(geoms), list(geoms), list(geoms.values())
    towns.to_file(path, driver="GeoJSON")


def test_a_bay_of_one_townships_coast_is_no_gap(tmp_path: Path) -> None:
    """Inlets the closing fills that are no gap: bordered by one township, or mostly open."""
    folder = tmp_path / "county"
    shutil.copytree(DATA / "good" / "tiny", folder)
    t1, t2 = box(86.4, 42.25, 86.5, 42.35), box(86.5, 42.25, 86.6, 42.35)
    bay = box(86.55, 42.30, 86.55 + _STRIP, 42.35)  # the strip's size, inside T2
    _write_townships(folder, {"T1": t1, "T2": t2.difference(bay)})
    assert _edges(validate_folder(folder)) == []
    # a township of 333 m of coast at the bay's mouth (T3): the bay is still T2's, not a gap
    t3 = box(86.55 + _STRIP, 42.347, 86.56, 42.35)
    _write_townships(folder, {"T1": t1, "T2": t2.difference(bay).difference(t3), "T3": t3})
    assert _edges(validate_folder(folder)) == []
    # a right-angled bend of the county edge where T1 and T2 meet: the closing fills about
    # 0.2 ha there, open along a quarter circle (its mouth): no gap
    _write_townships(folder, {"T1": t1, "T2": box(86.5, 42.25, 86.6, 42.30)})
    assert _edges(validate_folder(folder)) == []
    # control: the bay where T2's edge with T3 meets the county edge, T3 cut back by the bay:
    # a gap between T2 and T3, told from the bay only by who borders it
    corner = box(86.55, 42.30, 86.6, 42.35)
    _write_townships(folder, {"T1": t1, "T2": t2.difference(corner), "T3": corner.difference(bay)})
    assert _edges(validate_folder(folder)) == [("township_gap", "warning", "T2")]


def _jittered(geom: Any, shift: dict[tuple[float, float], Any], rng: Any) -> Any:
    """``geom`` with a vertex every 200 m, each moved 1-5 m (the same vertex the same way)."""
    import numpy as np
    import shapely

    def ring(coords: Any) -> Any:
        out = []
        for x, y in np.asarray(coords)[:-1]:
            key = (round(x, 2), round(y, 2))
            if key not in shift:
                angle, d = rng.uniform(0, 2 * np.pi), rng.uniform(1, 5)
                shift[key] = (d * np.cos(angle), d * np.sin(angle))
            out.append((x + shift[key][0], y + shift[key][1]))
        return [*out, out[0]]

    geom = shapely.segmentize(geom, 200.0)
    return shapely.Polygon(ring(geom.exterior.coords), [ring(r.coords) for r in geom.interiors])


REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not (REPO / "data" / "demo").is_dir(), reason="no source checkout")
def test_digitising_noise_on_the_demo_townships_is_no_gap(tmp_path: Path) -> None:
    """The demo's townships with every vertex moved 1-5 m: no gap, until a real one is cut.

    Shared edges stay shared (digitised once, as topology-aware GIS does); the county's edge
    and the ends of shared edges at it get 1-5 m wiggles every 200 m, which the closing fills.
    """
    import numpy as np

    folder = tmp_path / "demo"
    shutil.copytree(REPO / "data" / "demo", folder)
    assert _edges(validate_folder(folder)) == []  # the demo: no warning
    path = folder / "townships.geojson"
    towns = gpd.read_file(path)
    metric = towns.to_crs(32645)  # UTM 45 N
    shift: dict[tuple[float, float], Any] = {}
    rng = np.random.default_rng(2014)
    noisy = metric.assign(geometry=[_jittered(g, shift, rng) for g in metric.geometry])
    noisy.to_crs(4326).to_file(path, driver="GeoJSON")
    assert _edges(validate_folder(folder)) == []
    # control: T03 cut back 40 m from T04 (the audit's strip, open to the county's edge)
    t03, t04 = (noisy.index[noisy["id"] == t][0] for t in ("T03", "T04"))
    cut = noisy.geometry[t03].difference(noisy.geometry[t04].buffer(40.0))
    noisy.loc[t03, "geometry"] = cut
    noisy.to_crs(4326).to_file(path, driver="GeoJSON")
    problems = validate_folder(folder)
    assert _edges(problems) == [("township_gap", "warning", "T03")]
    gap = next(p for p in problems if p.code == "township_gap")
    assert "between this township and T04, in no township" in gap.message
    assert 35 <= float(gap.message.split("about ")[1].split(" m wide")[0]) <= 45


def test_unknown_township_lists_names_and_says_how_many_in_all(tmp_path: Path) -> None:
    """Cut at 8 ids, the fix says how many townships there are; each id shows its name."""
    folder = tmp_path / "unknown_township"
    shutil.copytree(DATA / "bad" / "unknown_township", folder)
    path = folder / "townships.geojson"
    towns = gpd.read_file(path)
    east = towns.iloc[[0] * 10].copy()  # ten more townships, in a row east of the county
    east["id"] = [f"T{k}" for k in range(10, 20)]
    east["name"] = [f"乡{k}" for k in range(10, 20)]
    east["geometry"] = [
        affinity.translate(g, xoff=0.3 + 0.1 * k) for k, g in enumerate(east.geometry)
    ]
    gpd.pd.concat([towns, east]).to_file(path, driver="GeoJSON")
    (problem,) = [p for p in validate_folder(folder) if p.code.startswith("unknown_township")]
    shown = "T1 (东乡), " + ", ".join(f"T{k} (乡{k})" for k in range(10, 17))
    assert f"({shown} … (12 in all))" in problem.fix
    assert f"({shown}…(共 12 个))" in problem_text(problem, "zh")[1]
    short = validate_folder(DATA / "bad" / "unknown_township")
    (few,) = [p for p in short if p.code.startswith("unknown_township")]
    assert "(T1 (东乡), T2 (西乡))" in few.fix and "in all" not in few.fix
    assert "共" not in problem_text(few, "zh")[1]


def _township_lines_kml(folder: Path, *, close: bool) -> None:
    """The tiny county's townships as 2bulu/Ovital tracks: one LineString per boundary."""
    towns = gpd.read_file(folder / "townships.geojson")
    marks = []
    for tid, name, shape in zip(towns["id"], towns["name"], towns.geometry, strict=True):
        coords = list(shape.exterior.coords)
        if not close and tid == "T2":
            coords = coords[:-1]  # a walked track that stops short of its start
        line = " ".join(f"{x},{y},0" for x, y in coords)
        marks.append(
            f'<Placemark id="{tid}"><name>{name}</name><LineString>'
            f"<coordinates>{line}</coordinates></LineString></Placemark>"
        )
    (folder / "townships.geojson").unlink()
    (folder / "townships.kml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document><Folder><name>轨迹</name>{''.join(marks)}</Folder></Document></kml>",
        encoding="utf-8",
    )


def test_township_boundaries_saved_as_closed_tracks_are_read_as_polygons(tmp_path: Path) -> None:
    folder = tmp_path / "county"
    shutil.copytree(DATA / "good" / "tiny", folder)
    want = gpd.read_file(folder / "townships.geojson").set_index("id").to_crs(3857)
    _township_lines_kml(folder, close=True)
    problems = validate_folder(folder)
    assert [p for p in problems if p.severity != "note"] == []
    notes = [p.row_id for p in problems if p.code == "closed_line_as_polygon"]
    assert notes == ["T1", "T2"]
    got = read_planning_area(folder).townships.to_crs(3857)
    for tid in ("T1", "T2"):
        assert got.geometry[tid].symmetric_difference(want.geometry[tid]).area < 1.0


def test_a_township_that_is_an_open_line_is_one_error_without_a_cascade(tmp_path: Path) -> None:
    """Without T2's polygon the county's edge is unknown: no village is called outside it."""
    folder = tmp_path / "county"
    shutil.copytree(DATA / "good" / "tiny", folder)
    _township_lines_kml(folder, close=False)
    errors = [p for p in validate_folder(folder) if p.severity == "error"]
    assert [(p.code, p.row_id, p.value) for p in errors] == [("wrong_geometry", "T2", "LineString")]


def test_ids_excel_saved_in_scientific_notation_are_one_error_not_duplicates() -> None:
    problems = validate_folder(DATA / "bad" / "ids_in_scientific_notation")
    errors = [p for p in problems if p.severity == "error"]
    assert [(p.code, p.row_id, p.value) for p in errors] == [
        ("id_scientific", "line 2", "6.52827E+11")
    ]
    assert "6 id(s)" in errors[0].message and "Text" in errors[0].fix


def test_a_township_saved_as_two_features_of_one_id_is_read_as_one(tmp_path: Path) -> None:
    """An exclave as a feature of its own, attributes copied: one township; a clash stays."""
    folder = tmp_path / "county"
    shutil.copytree(DATA / "good" / "tiny", folder)
    path = folder / "townships.geojson"
    towns = gpd.read_file(path)
    whole = towns.geometry[1]
    west, east = (
        whole.intersection(box(86.5, 42.25, 86.55, 42.35)),
        whole.difference(box(86.5, 42.25, 86.55, 42.35)),
    )
    split = gpd.GeoDataFrame(
        pd.concat([towns, towns.iloc[[1]]], ignore_index=True), crs=towns.crs
    ).set_geometry([towns.geometry[0], west, east], crs=towns.crs)
    split.to_file(path, driver="GeoJSON")
    problems = validate_folder(folder)
    assert [p for p in problems if p.severity != "note"] == []
    (note,) = [p for p in problems if p.code == "township_parts_joined"]
    assert note.row_id == "T2" and "feature 2, feature 3" in note.message
    got = read_planning_area(folder).townships
    assert list(got.index) == ["T1", "T2"]
    assert got.geometry["T2"].area == pytest.approx(
        gpd.GeoSeries([whole], crs=towns.crs).to_crs(got.crs).area[0], rel=1e-6
    )
    split.loc[2, "name"] = "北乡"  # another township given T2's id by mistake
    split.to_file(path, driver="GeoJSON")
    errors = [p for p in validate_folder(folder) if p.severity == "error"]
    assert [(p.code, p.row_id) for p in errors] == [("duplicate_id", "T2")]


def test_ids_typed_in_full_width_match_their_ascii_forms(tmp_path: Path) -> None:
    """``Ｔ１`` (a Chinese input method's full-width mode) is township T1; ``Ｖ６`` is V6."""
    folder = tmp_path / "county"
    shutil.copytree(DATA / "good" / "tiny", folder)
    path = folder / "villages.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace("V1,红柳村,T1,", "V1,红柳村,Ｔ１,").replace("V6,", "Ｖ６,")
    path.write_text(text, encoding="utf-8")
    assert [p for p in validate_folder(folder) if p.severity == "error"] == []
    villages = read_planning_area(folder).villages
    assert villages.loc["V1", "township"] == "T1" and "V6" in villages.index


def test_longitude_and_latitude_columns_swapped_on_every_row_are_one_error(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "county"
    shutil.copytree(DATA / "good" / "tiny", folder)
    path = folder / "villages.csv"
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("\n", 1)
    path.write_text(head.replace("经度,纬度", "纬度,经度") + "\n" + rest, encoding="utf-8")
    errors = [p for p in validate_folder(folder) if p.severity == "error"]
    assert [(p.code, p.row_id, p.column) for p in errors] == [
        ("lonlat_columns_swapped", "V1", "经度 (lon)/纬度 (lat)")
    ]
    assert "every one of the 6 rows" in errors[0].message


def _tiny_with_township_codes(
    tmp_path: Path, ids: list[object], written: dict[str, tuple[str, str]]
) -> Path:
    """The tiny county with townships T1/T2 renamed ``ids``; each table writes them as given."""
    folder = tmp_path / "county"
    shutil.copytree(DATA / "good" / "tiny", folder)
    path = folder / "townships.geojson"
    towns = gpd.read_file(path)
    towns["id"] = ids
    towns.to_file(path, driver="GeoJSON")
    for table, encoding in (("villages.csv", "utf-8"), ("sites.csv", "gbk")):
        one, two = written[table]
        text = (folder / table).read_text(encoding=encoding)
        text = text.replace(",T1,", f",{one},").replace(",T2,", f",{two},")
        (folder / table).write_text(text, encoding=encoding)
    book = openpyxl.load_workbook(folder / "schools.xlsx")
    sheet = book.active
    assert sheet is not None
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value in ("T1", "T2"):
                cell.value = written["schools.xlsx"][int(cell.value[1]) - 1]
    book.save(folder / "schools.xlsx")
    return folder


def test_township_codes_written_as_floats_match_the_codes(tmp_path: Path) -> None:
    """``652827101.0`` (a code column saved from a float column) is township 652827101."""
    folder = _tiny_with_township_codes(
        tmp_path,
        [652827101, 652827102],
        dict.fromkeys(
            ("villages.csv", "sites.csv", "schools.xlsx"), ("652827101.0", "652827102.0")
        ),
    )
    assert [p for p in validate_folder(folder) if p.severity == "error"] == []
    area = read_planning_area(folder)
    assert set(area.villages["township"]) == {"652827101", "652827102"}


def test_township_codes_that_lost_their_leading_zeros_name_their_township(tmp_path: Path) -> None:
    """Townships 01 and 02; villages.csv says 1 and 2 (Excel read the typed 01 as a number)."""
    folder = _tiny_with_township_codes(
        tmp_path,
        ["01", "02"],
        {"villages.csv": ("1", "2"), "sites.csv": ("01", "02"), "schools.xlsx": ("01", "02")},
    )
    problems = validate_folder(folder)
    assert [p for p in problems if p.severity == "error"] == []
    (note,) = [p for p in problems if p.code == "township_leading_zeros"]
    assert note.file == "villages.csv" and "1 → 01, 2 → 02" in note.message
    villages = read_planning_area(folder).villages
    assert villages.loc["V1", "township"] == "01" and villages.loc["V4", "township"] == "02"


@pytest.mark.skipif(not (REPO / "data" / "demo").is_dir(), reason="no source checkout")
def test_boundaries_drawn_apart_are_one_note_per_pair_of_townships(tmp_path: Path) -> None:
    """Each demo township digitised on its own (its vertices moved 1-5 m, independently of its
    neighbours'): the slivers along each shared boundary are one note per pair of townships,
    not a warning each; a real 25 m overlap drawn on top is still a warning."""
    import numpy as np
    import shapely

    folder = tmp_path / "demo"
    shutil.copytree(REPO / "data" / "demo", folder)
    path = folder / "townships.geojson"
    towns = gpd.read_file(path)
    metric = towns.to_crs(32645)
    rng = np.random.default_rng(27)
    noisy = metric.assign(geometry=[_jittered(g, {}, rng) for g in metric.geometry])
    noisy.to_crs(4326).to_file(path, driver="GeoJSON")
    problems = validate_folder(folder)
    assert _edges(problems) == []  # no sliver warned about one by one
    notes = [p for p in problems if p.code == "township_edge_noise"]
    # oracle: the townships of each note meet one another (as drawn before the noise; three
    # at a corner where three boundaries meet); most pairs sharing a boundary have a note
    geoms = dict(zip(metric["id"], metric.geometry, strict=True))
    groups = [(p.row_id, *p.value.removeprefix("along ").split(", ")) for p in notes]
    assert groups and all(geoms[a].distance(geoms[b]) < 1 for g in groups for a in g for b in g)
    ids = list(geoms)
    sharing = {
        (a, b)
        for i, a in enumerate(ids)
        for b in ids[i + 1 :]
        if shapely.length(shapely.intersection(geoms[a].boundary, geoms[b].boundary)) > 1000
    }
    noted = {(g[0], b) for g in groups for b in g[1:]}
    assert len(noted & sharing) >= len(sharing) // 2
    assert all(p.severity == "note" for p in notes)
    for p in notes:
        widest = float(p.message.split("the widest about ")[1].split(" m")[0])
        assert widest <= 10
    zh = problem_text(notes[0], "zh")
    assert "分别描绘" in zh[0] and "10 米" in zh[1]
    # control: T03 pushed 25 m into T04 along their boundary: a warning again
    t03, t04 = (noisy.index[noisy["id"] == t][0] for t in ("T03", "T04"))
    grown = noisy.geometry[t03].union(
        noisy.geometry[t04].intersection(noisy.geometry[t03].buffer(25))
    )
    noisy.loc[t03, "geometry"] = grown
    noisy.to_crs(4326).to_file(path, driver="GeoJSON")
    assert ("township_overlap", "warning", "T03") in _edges(validate_folder(folder))
