"""Readers: encodings, headers, DMS, offset coordinates, CRS choice, GeoPackage, atomic output."""

from __future__ import annotations

import logging
import math
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoplan.atomic import atomic_output_dir, atomic_path
from geoplan.data import crs as gcrs
from geoplan.data.area import LAYERS, contract_markdown
from geoplan.data.files import parse_angle
from geoplan.data.headers import synonyms_markdown
from geoplan.data.readers import read_planning_area, write_layers_gpkg

DATA = Path(__file__).parent / "data"
TINY = DATA / "good" / "tiny"
ROOT = Path(__file__).parent.parent


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    return folder


@pytest.mark.parametrize(
    ("text", "degrees"),
    [
        ("86.5", 86.5),
        (86.5, 86.5),
        ("86°23′45″", 86 + 23 / 60 + 45 / 3600),
        ("86°23'45\"", 86 + 23 / 60 + 45 / 3600),
        ("东经86°23′45″", 86 + 23 / 60 + 45 / 3600),
        ("北纬42.5", 42.5),
        ("86 23 45.5", 86 + 23 / 60 + 45.5 / 3600),
        ("86度30分", 86.5),
        ("42.5N", 42.5),
        ("西经70°30′", -70.5),
    ],
)
def test_parse_angle(text: object, degrees: float) -> None:
    assert parse_angle(text) == pytest.approx(degrees, abs=1e-12)


@pytest.mark.parametrize("text", ["86度xx", "86°75′", "abc", "1 2 3 4"])
def test_parse_angle_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_angle(text)
    assert math.isnan(parse_angle(""))


def test_tiny_reads_in_utm_with_string_ids_and_types() -> None:
    area = read_planning_area(TINY)
    assert area.crs.to_epsg() == 32645
    assert area.name == "tiny" and not area.synthetic and area.roads_path == TINY / "roads.osm"
    for name in LAYERS:
        layer = area.layer(name)
        assert layer.index.name == "id"
        assert all(isinstance(i, str) for i in layer.index)
        assert layer.crs == area.crs
    assert list(area.villages.index) == ["V1", "V2", "V3", "V4", "V5", "V6"]
    assert area.villages["pupils_g1_3"].dtype == np.int64
    assert area.villages.loc["V5", "township"] == "T2"  # written as the township name 西乡
    assert area.sites.loc["P1", "name"] == "旧白杨教学点"  # GBK CSV decoded
    assert area.sites["max_classes"].isna().all()  # empty: the planning rule (4) applies
    assert area.schools.loc["S1", "status"] == "open"
    # DMS 86°27′0″ 42°18′0″ lands where the decimal point would
    v2 = gpd.GeoSeries([area.villages.geometry["V2"]], crs=area.crs).to_crs(4326).iloc[0]
    assert (v2.x, v2.y) == pytest.approx((86.45, 42.30), abs=1e-9)


def test_user_crs_in_feet_is_replaced_by_metres(
    tiny: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="geoplan.data.readers"):
        area = read_planning_area(tiny, crs="EPSG:2277")  # Texas Central, US survey feet
    assert all(axis.unit_name == "metre" for axis in area.crs.axis_info)
    assert "not in metres" in caplog.text and "EPSG:2277" in caplog.text


def test_inputs_not_mutated_and_user_crs(tiny: Path) -> None:
    area = read_planning_area(tiny, crs="EPSG:4538", name="Tiny county")
    assert area.crs.to_epsg() == 4538 and area.name == "Tiny county"


@pytest.mark.parametrize(
    ("system", "forward"), [("gcj02", gcrs.wgs84_to_gcj02), ("bd09", gcrs.wgs84_to_bd09)]
)
def test_offset_coordinates_declared_are_converted(
    tiny: Path, system: str, forward: Callable[..., tuple[np.ndarray, np.ndarray]]
) -> None:
    villages = pd.read_csv(tiny / "villages.csv", dtype=str)
    lon = villages["经度"].map(parse_angle).to_numpy()
    lat = villages["纬度"].map(parse_angle).to_numpy()
    glon, glat = forward(lon, lat)
    villages["经度"], villages["纬度"] = glon, glat
    villages = villages.rename(columns={"1-3年级人数": "一至三年级"})
    villages.to_csv(tiny / "villages.csv", index=False, encoding="gb18030")
    (tiny / "columns.yaml").write_text(
        f"villages:\n  一至三年级: pupils_g1_3\ncoordinates:\n  villages: {system}\n",
        encoding="utf-8",
    )
    area = read_planning_area(tiny)
    back = area.villages.to_crs(4326)
    assert np.allclose(back.geometry.x, lon, atol=1e-8)
    assert np.allclose(back.geometry.y, lat, atol=1e-8)
    assert area.villages["pupils_g1_3"].tolist()[0] == 12


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_township_boundaries_declared_offset_are_converted(tiny: Path, system: str) -> None:
    """Boundaries traced on an Amap or Baidu map: the declaration converts every vertex."""
    truth = gpd.read_file(tiny / "townships.geojson")
    forward = {"gcj02": gcrs.wgs84_to_gcj02, "bd09": gcrs.wgs84_to_bd09}[system]
    traced = truth.set_geometry(
        shapely.transform(truth.geometry.to_numpy(), lambda xy: np.column_stack(forward(*xy.T)))
    )
    traced.to_file(tiny / "townships.geojson", driver="GeoJSON")
    (tiny / "columns.yaml").write_text(
        f"villages:\n  1-3年级人数: pupils_g1_3\ncoordinates:\n  townships: {system}\n",
        encoding="utf-8",
    )
    area = read_planning_area(tiny)
    expected = truth.set_index(area.townships.index).to_crs(area.crs)
    assert float(area.townships.geometry.hausdorff_distance(expected.geometry).max()) < 0.01
    offset = traced.set_index(area.townships.index).to_crs(area.crs)
    assert float(offset.hausdorff_distance(expected.geometry).max()) > 100


def test_gbk_shapefile_without_cpg_and_cgcs2000_gives_gauss_kruger(tiny: Path) -> None:
    tws = gpd.read_file(tiny / "townships.geojson").to_crs(4490)
    (tiny / "townships.geojson").unlink()
    tws.to_file(tiny / "townships.shp", encoding="gbk")
    (tiny / "townships.cpg").unlink(missing_ok=True)
    (tiny / "area.yaml").write_text("name: 小县\nsynthetic: true\n", encoding="utf-8")
    (tiny / "roads.osm").write_text("<osm/>", encoding="utf-8")
    area = read_planning_area(tiny)
    assert area.townships["name"].tolist() == ["东乡", "西乡"]
    assert area.crs.to_epsg() == 4538  # CGCS2000 3-degree Gauss-Kruger CM 87E
    assert area.name == "小县" and area.synthetic
    assert area.roads_path == tiny / "roads.osm"


def test_write_gpkg_round_trip(tmp_path: Path) -> None:
    area = read_planning_area(TINY)
    gpkg = write_layers_gpkg(area, tmp_path / "county.gpkg")
    again = read_planning_area(gpkg)
    for name in ("townships", "villages", "schools", "sites", "blocks"):
        a, b = area.layer(name), again.layer(name)
        assert list(a.index) == list(b.index)
        assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-6).all()
    pd.testing.assert_series_equal(area.villages["pupils_g7_9"], again.villages["pupils_g7_9"])


def test_atomic_output_dir(tmp_path: Path) -> None:
    final = tmp_path / "out"
    with atomic_output_dir(final) as tmp:
        (tmp / "a.txt").write_text("one")
        assert not final.exists()
    assert (final / "a.txt").read_text() == "one"
    with pytest.raises(RuntimeError), atomic_output_dir(final) as tmp:
        (tmp / "a.txt").write_text("two")
        raise RuntimeError
    assert (final / "a.txt").read_text() == "one"
    with atomic_output_dir(final) as tmp:
        (tmp / "b.txt").write_text("three")
    assert sorted(p.name for p in final.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_atomic_output_dir_logs_final_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A file written in the staging folder is logged by its path in the final folder."""
    monkeypatch.chdir(tmp_path)
    log = logging.getLogger("geoplan.test_atomic")
    with caplog.at_level(logging.INFO, logger="geoplan"):
        with atomic_output_dir("outputs/demo") as tmp:
            with atomic_path(tmp / "print" / "a.png") as part:
                part.write_bytes(b"png")
                log.info("writing %s", part)
            log.info("written to %s", tmp / "print" / "a.png")
            log.info("absolute %s", (tmp / "b.txt").resolve())
        log.info("after: %s", tmp)  # the block is over: nothing rewritten
    texts = [r.getMessage() for r in caplog.records]
    assert texts[:3] == [
        f"writing {Path('outputs/demo/print/a.png')}",
        f"written to {Path('outputs/demo/print/a.png')}",
        f"absolute {tmp_path.resolve() / 'outputs' / 'demo' / 'b.txt'}",
    ]
    assert ".tmp-" in texts[3]
    assert (tmp_path / "outputs" / "demo" / "print" / "a.png").is_file()


def test_atomic_path_gives_each_thread_its_own_temporary_file(tmp_path: Path) -> None:
    """Two threads writing one file at once each write a whole file of their own, then swap it in.

    Both temporary files exist at the same moment (the barrier); the destination ends up as
    exactly one writer's text, with no temporary file left.
    """
    dest = tmp_path / "journeys.csv"
    texts = {"a": "a,1\n" * 50_000, "b": "b,2\n" * 50_000}
    seen: list[Path] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def write(name: str) -> None:
        try:
            with atomic_path(dest) as tmp:
                seen.append(tmp)
                start.wait()
                tmp.write_text(texts[name], encoding="utf-8")
        except BaseException as err:  # handed to the test thread
            errors.append(err)

    threads = [threading.Thread(target=write, args=(name,)) for name in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(set(seen)) == 2, seen
    assert all(p.suffix == ".csv" and p.parent == tmp_path for p in seen)
    assert dest.read_text(encoding="utf-8") in texts.values()
    assert [p.name for p in tmp_path.iterdir()] == ["journeys.csv"]


def test_docs_data_md_holds_the_contract_tables() -> None:
    text = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    assert contract_markdown() in text
    assert synonyms_markdown() in text


def _townships_as_kml(tiny: Path, code_field: str = "") -> gpd.GeoDataFrame:
    """The tiny folder's townships as a KML of polygons, each with its <name> and no placemark
    id (Google Earth / 91 卫图), the id in ExtendedData ``code_field`` when given; the
    townships as they were."""
    towns = gpd.read_file(tiny / "townships.geojson")
    marks = "".join(
        f"<Placemark><name>{name}</name>"
        + (
            f'<ExtendedData><Data name="{code_field}"><value>{tid}</value></Data></ExtendedData>'
            if code_field
            else ""
        )
        + "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
        + " ".join(f"{x},{y},0" for x, y in shape.exterior.coords)
        + "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        for tid, name, shape in zip(towns["id"], towns["name"], towns.geometry, strict=True)
    )
    (tiny / "townships.geojson").unlink()
    (tiny / "townships.kml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document><Folder><name>乡镇界</name>{marks}</Folder></Document></kml>",
        encoding="utf-8",
    )
    return towns


@pytest.mark.parametrize(
    ("code_field", "columns"),
    [("乡镇代码", "townships:\n  乡镇代码: id\n"), ("编号", "")],  # mapped; a known id header
)
def test_township_kml_with_an_id_field_reads_it_and_says_no_names_were_read_as_ids(
    tiny: Path, code_field: str, columns: str
) -> None:
    from geoplan.data.readers import read_layers

    towns = _townships_as_kml(tiny, code_field)
    if columns:
        (tiny / "columns.yaml").write_text(columns, encoding="utf-8")
    layers, problems, _ = read_layers(tiny)
    codes = [p.code for p in problems]
    assert "kml_ids_from_names" not in codes, problems  # the names were not read as ids
    assert "header_also_fits" not in codes, problems  # GDAL's empty id field is no extra column
    assert [p for p in problems if p.severity == "error"] == []
    got = layers["townships"]
    assert sorted(got.index) == sorted(towns["id"])
    assert dict(zip(got.index, got["name"], strict=True)) == dict(
        zip(towns["id"], towns["name"], strict=True)
    )
    assert "id'" not in got.columns


def test_township_kml_with_names_only_reads_the_names_as_ids(tiny: Path) -> None:
    # Google Earth / 91 卫图 polygons: a <name> per placemark, no id
    import openpyxl

    from geoplan.data.readers import read_layers

    towns = _townships_as_kml(tiny)
    _, problems, _ = read_layers(tiny)
    assert "kml_ids_from_names" in [p.code for p in problems]
    name_of = dict(zip(towns["id"], towns["name"], strict=True))
    for table in ("villages.csv", "sites.csv"):
        path = tiny / table
        raw = path.read_bytes()
        encoding = "utf-8" if table == "villages.csv" else "gb18030"
        text = raw.decode(encoding)
        for tid, name in name_of.items():
            text = text.replace(f",{tid},", f",{name},")
        path.write_bytes(text.encode(encoding))
    book = openpyxl.load_workbook(tiny / "schools.xlsx")
    sheet = book.active
    assert sheet is not None
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value in name_of:
                cell.value = name_of[cell.value]
    book.save(tiny / "schools.xlsx")
    area = read_planning_area(tiny)
    assert sorted(area.townships.index) == sorted(towns["name"])
    assert set(area.villages["township"]) == set(towns["name"])


def test_kml_without_names_lists_the_fields_it_has(tmp_path: Path) -> None:
    """Placemarks with no <name>: one error naming the KML's ExtendedData fields (Chinese too)."""
    import re
    import shutil

    from geoplan.data.readers import validate_folder

    folder = tmp_path / "area"
    shutil.copytree(Path(__file__).parent / "data" / "bad" / "kml_name_unmatched", folder)
    kml = folder / "villages.kml"
    kml.write_text(
        re.sub(
            r"<name>([^<]*)</name>",
            r'<ExtendedData><Data name="村名"><value>\1</value></Data></ExtendedData>',
            kml.read_text(encoding="utf-8"),
        ),
        encoding="utf-8",
    )
    problems = [p for p in validate_folder(folder) if p.file in ("villages.csv", "villages.kml")]
    errors = [p for p in problems if p.severity == "error"]
    assert [p.code for p in errors] == ["kml_no_names"], errors
    assert "村名" in errors[0].message and "<name>" in errors[0].fix


def test_a_header_mapped_onto_a_column_the_file_also_has_keeps_both(tiny: Path) -> None:
    """``名称: name`` in columns.yaml beside a ``name`` column: 名称 read, ``name`` kept apart."""
    villages = pd.read_csv(tiny / "villages.csv", dtype=str)
    villages["name"] = [f"Village {k}" for k in range(len(villages))]
    villages.to_csv(tiny / "villages.csv", index=False)
    (tiny / "columns.yaml").write_text("villages:\n  名称: name\n", encoding="utf-8")
    area = read_planning_area(tiny)
    assert list(area.villages["name"]) == list(villages["名称"])
    assert list(area.villages["name'"]) == list(villages["name"])
    # the note names the extra column by the file's own header ('name', which the planner finds
    # in villages.csv), not as the mapped column '名称 (name)', and says what the layer calls it
    from geoplan.data.messages import problem_text
    from geoplan.data.readers import read_layers

    _, problems, _ = read_layers(tiny)
    (note,) = [p for p in problems if p.code == "header_also_fits"]
    assert (note.file, note.column, note.value) == ("villages.csv", "name", "name")
    assert note.message.endswith("'name' is kept as an extra column (\"name'\" in the layer read).")
    assert problem_text(note, "zh")[0].endswith("""作为附加列保留(读入的图层中为 "name'")。""")


def test_township_kml_in_nested_folders_with_chinese_extended_data(tiny: Path) -> None:
    """Google Earth: county folder > one folder per area > placemarks; codes in ExtendedData."""
    towns = gpd.read_file(tiny / "townships.geojson")
    folders = []
    for tid, name, shape in zip(towns["id"], towns["name"], towns.geometry, strict=True):
        ring = " ".join(f"{x},{y},0" for x, y in shape.exterior.coords)
        folders.append(
            f"<Folder><name>{name}片区</name><Placemark><name>{name}</name><ExtendedData>"
            f'<Data name="乡镇代码"><value>{tid}</value></Data></ExtendedData><Polygon>'
            f"<outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates></LinearRing>"
            "</outerBoundaryIs></Polygon></Placemark></Folder>"
        )
    (tiny / "townships.geojson").unlink()
    (tiny / "townships.kml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document><Folder><name>和静县</name>{''.join(folders)}</Folder></Document></kml>",
        encoding="utf-8",
    )
    (tiny / "columns.yaml").write_text("townships:\n  乡镇代码: id\n", encoding="utf-8")
    area = read_planning_area(tiny)
    assert sorted(area.townships.index) == sorted(towns["id"])
    assert sorted(area.townships["name"]) == sorted(towns["name"])
