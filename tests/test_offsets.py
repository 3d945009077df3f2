"""Undeclared GCJ-02 points: one warning per layer that lies nearer the roads once converted."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from conftest import TINY_CRS, build_tiny_graph

from geoplan.cli import main
from geoplan.data import datasets
from geoplan.data.crs import WGS84, wgs84_to_gcj02
from geoplan.data.messages import problem_text
from geoplan.data.readers import read_planning_area
from geoplan.network.offsets import MIN_POINTS, offset_problems
from geoplan.plan.pipeline import make_plan

_HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def grid() -> nx.MultiDiGraph:
    """The tiny county's road grid (EPSG:32645, roads every 2 km, near 85.8 E, 42.4 N)."""
    graph: nx.MultiDiGraph = build_tiny_graph()  # type: ignore[assignment]
    return graph


def _on_roads(graph: nx.MultiDiGraph, n: int = 30, seed: int = 7) -> gpd.GeoDataFrame:
    """``n`` villages on roads of ``graph`` (WGS-84 truth), at random places along its edges."""
    rng = np.random.default_rng(seed)
    edges = list(graph.edges)
    points = []
    for k in rng.choice(len(edges), n, replace=False):
        u, v, _ = edges[k]
        a, b = graph.nodes[u], graph.nodes[v]
        t = rng.uniform(0.1, 0.9)
        points.append(shapely.Point(a["x"] + t * (b["x"] - a["x"]), a["y"] + t * (b["y"] - a["y"])))
    ids = [f"V{i:02d}" for i in range(n)]
    return gpd.GeoDataFrame({"name": ids}, geometry=points, crs=TINY_CRS, index=ids)


def _as_gcj02(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The points as Amap would give them: the WGS-84 -> GCJ-02 forward transform applied."""
    lonlat = shapely.get_coordinates(gdf.to_crs(WGS84).geometry.to_numpy())
    lon, lat = wgs84_to_gcj02(lonlat[:, 0], lonlat[:, 1])
    shifted = gpd.GeoSeries(shapely.points(lon, lat), crs=WGS84, index=gdf.index).to_crs(gdf.crs)
    return gdf.set_geometry(shifted)


def _road_distance_m(graph: nx.MultiDiGraph, gdf: gpd.GeoDataFrame) -> np.ndarray:
    from geoplan.network.roads import road_lines

    _, dist = shapely.STRtree(road_lines(graph)).query_nearest(
        gdf.geometry.to_numpy(), return_distance=True, all_matches=False
    )
    return np.asarray(dist)


def test_villages_shifted_to_gcj02_are_warned_about_with_both_medians(
    grid: nx.MultiDiGraph,
) -> None:
    villages = _on_roads(grid)
    shifted = _as_gcj02(villages)
    given = float(np.median(_road_distance_m(grid, shifted)))
    assert given > 100  # the shift moves the villages off their roads
    (problem,) = offset_problems(grid, {"villages": shifted}, files={"villages": "villages.csv"})
    assert problem.severity == "warning"
    assert problem.code == "coordinates_look_gcj02"
    assert (problem.file, problem.layer, problem.column) == (
        "villages.csv",
        "villages",
        "coordinates",
    )
    params = dict(problem.params)
    assert params["given_m"] == f"{given:.0f}"
    assert float(params["converted_m"]) < 1  # the conversion puts them back on the roads
    assert params["points"] == "30"
    assert f"{given:.0f} m as given but {params['converted_m']} m after" in problem.message
    assert "`coordinates: {villages: gcj02}`" in problem.fix
    assert "villages.csv" in problem.fix
    message, fix = problem_text(problem, "zh")
    assert f"按原坐标为 {given:.0f} 米" in message and _HAN.search(fix)
    assert "`coordinates: {villages: gcj02}`" in fix and "columns.yaml" in fix


def test_the_fix_names_the_column_mapping_the_layers_were_read_with(
    grid: nx.MultiDiGraph,
) -> None:
    shifted = _as_gcj02(_on_roads(grid))
    mapping = Path("shared") / "hejing_columns.yaml"  # a scenario's area.columns, say
    (problem,) = offset_problems(grid, {"villages": shifted}, columns_file=mapping)
    assert f"declare it in {mapping}, the column mapping" in problem.fix
    assert "columns.yaml (" not in problem.fix
    _, fix = problem_text(problem, "zh")
    assert f"列对应文件 {mapping} 中声明" in fix


def test_points_on_their_roads_are_not_warned_about(grid: nx.MultiDiGraph) -> None:
    villages = _on_roads(grid)
    assert offset_problems(grid, {"villages": villages, "schools": villages}) == []


def test_layers_declared_in_columns_yaml_are_not_tested(grid: nx.MultiDiGraph) -> None:
    shifted = _as_gcj02(_on_roads(grid))
    layers = {"villages": shifted, "schools": shifted}
    assert [p.layer for p in offset_problems(grid, layers)] == ["villages", "schools"]
    declared = {"villages": "gcj02", "schools": "wgs84"}
    assert offset_problems(grid, layers, declared=declared) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_points_jittered_300_m_at_random_are_not_taken_for_gcj02(
    grid: nx.MultiDiGraph, seed: int
) -> None:
    villages = _on_roads(grid, seed=seed)
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi, len(villages))
    jittered = villages.set_geometry(
        shapely.points(
            villages.geometry.x + 300 * np.cos(angle), villages.geometry.y + 300 * np.sin(angle)
        )
    )
    assert np.median(_road_distance_m(grid, jittered)) > 100  # off the roads, as the GCJ-02 ones
    assert offset_problems(grid, {"villages": jittered}) == []


def test_small_layers_and_points_outside_china_are_not_tested(grid: nx.MultiDiGraph) -> None:
    shifted = _as_gcj02(_on_roads(grid))
    assert offset_problems(grid, {"villages": shifted.iloc[: MIN_POINTS - 1]}) == []
    assert len(offset_problems(grid, {"villages": shifted.iloc[:MIN_POINTS]})) == 1
    # the same grid and points moved to Kazakhstan, where GCJ-02 does not apply
    west = nx.relabel_nodes(grid, lambda n: n, copy=True)
    for _, data in west.nodes(data=True):
        data["x"] -= 1_200_000.0
    moved = shifted.set_geometry(shifted.geometry.translate(-1_200_000.0, 0))
    assert moved.to_crs(WGS84).geometry.x.max() < 72
    assert offset_problems(west, {"villages": moved}) == []


@pytest.fixture(scope="module")
def gcj_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo county whose villages were exported from Amap: shifted to GCJ-02, undeclared."""
    folder = tmp_path_factory.mktemp("gcj") / "county"
    shutil.copytree(datasets.demo_folder(), folder)
    gpkg = folder / "demo_county.gpkg"
    villages = gpd.read_file(gpkg, layer="villages")
    _as_gcj02(villages).to_file(gpkg, layer="villages", driver="GPKG")
    return folder


def test_validate_warns_about_undeclared_gcj02_villages_and_a_declaration_ends_it(
    gcj_demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(gcj_demo)]) == 0  # a warning: the run goes on
    out = capsys.readouterr().out
    assert "demo_county.gpkg:villages" in out
    assert re.search(r"is \d{3} m as given but 0 m after converting GCJ-02 to WGS-84", out)
    assert "`coordinates: {villages: gcj02}`" in out
    assert main(["validate", str(gcj_demo), "--strict"]) == 1
    capsys.readouterr()
    assert main(["validate", str(gcj_demo), "--lang", "zh"]) == 0
    assert re.search(
        r"按原坐标为 \d{3} 米,按 GCJ-02 转为 WGS-84 后为 0 米", capsys.readouterr().out
    )
    columns = gcj_demo.parent / "columns.yaml"
    columns.write_text("coordinates: {villages: gcj02}\n", encoding="utf-8")
    assert main(["validate", str(gcj_demo), "--columns", str(columns), "--strict"]) == 0
    assert "GCJ-02" not in capsys.readouterr().out


def test_validate_with_columns_given_names_that_file_in_the_fix(
    gcj_demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = tmp_path / "shared" / "county_columns.yaml"
    mapping.parent.mkdir()
    mapping.write_text("coordinates: {schools: wgs84}\n", encoding="utf-8")
    assert main(["validate", str(gcj_demo), "--columns", str(mapping)]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the table wraps long lines
    assert f"declare it in {mapping}, the column mapping the folder is read with" in out
    assert str(gcj_demo / "columns.yaml") not in out


def test_validate_names_baidu_villages_bd09_and_a_bd09_declaration_ends_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """BD-09 is GCJ-02 plus a further shift: named as BD-09, with its own fix, and read."""
    from rural_roads import as_offset

    folder = tmp_path / "county"
    shutil.copytree(datasets.demo_folder(), folder)
    gpkg = folder / "demo_county.gpkg"
    truth = gpd.read_file(gpkg, layer="villages")
    as_offset(truth, "bd09").to_file(gpkg, layer="villages", driver="GPKG")
    assert main(["validate", str(folder)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert re.search(r"is \d{3,4} m as given but 0 m after converting BD-09 to WGS-84", out)
    assert "`coordinates: {villages: bd09}`" in out and "GCJ-02" not in out
    columns = tmp_path / "columns.yaml"
    columns.write_text("coordinates: {villages: bd09}\n", encoding="utf-8")
    assert main(["validate", str(folder), "--columns", str(columns), "--strict"]) == 0
    assert "BD-09" not in capsys.readouterr().out
    area = read_planning_area(folder, columns=columns)
    back = area.villages.geometry
    assert float(back.distance(truth.to_crs(area.crs).set_index(back.index).geometry).max()) < 0.01


def test_a_plan_tests_the_townships_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import geoplan.plan.pipeline as pipeline

    seen: dict[str, gpd.GeoDataFrame] = {}

    def record(
        graph: object, layers: dict[str, gpd.GeoDataFrame], **kwargs: object
    ) -> list[object]:
        seen.update(layers)
        raise _StopError

    monkeypatch.setattr(pipeline, "offset_problems", record)
    area = read_planning_area(datasets.demo_folder())
    with pytest.raises(_StopError):
        make_plan(area)
    assert set(seen) == {"villages", "schools", "sites", "townships"}
    assert seen["townships"] is area.townships


def test_the_unshifted_demo_is_not_warned_about(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(datasets.demo_folder()), "--strict"]) == 0
    assert "GCJ-02" not in capsys.readouterr().out


class _StopError(Exception):
    """Raised in place of the planning that follows the network step."""


def test_a_plan_logs_the_warning_and_keeps_the_points_as_given(
    gcj_demo: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import geoplan.plan.pipeline as pipeline

    area = read_planning_area(gcj_demo)
    assert area.files["villages"] == "demo_county.gpkg:villages"
    assert area.coordinates == {}
    before = area.villages.geometry.copy()

    def stop(*args: object, **kwargs: object) -> None:
        raise _StopError

    monkeypatch.setattr(pipeline, "plan_schools", stop)  # the step after the network's
    with (
        caplog.at_level(logging.WARNING, logger="geoplan.plan.pipeline"),
        pytest.raises(_StopError),
    ):
        make_plan(area)
    warned = [r.getMessage() for r in caplog.records if "GCJ-02" in r.getMessage()]
    assert len(warned) == 1 and "demo_county.gpkg:villages" in warned[0]
    assert f"declare it in {gcj_demo / 'columns.yaml'}, the column mapping" in warned[0]
    assert area.villages.geometry.equals(before)


def test_a_plan_with_the_scenarios_columns_names_them_in_the_fix(
    gcj_demo: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A scenario's ``area.columns`` (read as ``columns=``) is where the declaration goes."""
    import geoplan.plan.pipeline as pipeline
    from geoplan.runs.runner import prepare_area
    from geoplan.runs.scenario import load_scenario

    mapping = tmp_path / "county_columns.yaml"
    mapping.write_text("coordinates: {schools: wgs84}\n", encoding="utf-8")
    scenario = tmp_path / "amap.yaml"
    scenario.write_text(
        f"area: {{folder: {gcj_demo}, columns: county_columns.yaml}}\n", encoding="utf-8"
    )
    area = prepare_area(load_scenario(scenario))
    assert area.columns_file == mapping

    def stop(*args: object, **kwargs: object) -> None:
        raise _StopError

    monkeypatch.setattr(pipeline, "plan_schools", stop)
    with (
        caplog.at_level(logging.WARNING, logger="geoplan.plan.pipeline"),
        pytest.raises(_StopError),
    ):
        make_plan(area)
    (warned,) = [r.getMessage() for r in caplog.records if "GCJ-02" in r.getMessage()]
    assert f"declare it in {mapping}, the column mapping" in warned


def test_a_run_records_the_warning_in_its_manifest(gcj_demo: Path, tmp_path: Path) -> None:
    """The warning is not only logged: manifest.json's ``warnings`` holds it, coded."""
    import json

    from geoplan.runs.runner import run_scenario

    scenario = tmp_path / "amap.yaml"
    scenario.write_text(
        f"area: {{folder: {gcj_demo}}}\nrestoration: {{enabled: false}}\n"
        "districts: {enabled: false}\noutputs: {maps: false, profiles: false, print_maps: false}\n",
        encoding="utf-8",
    )
    folder = run_scenario(scenario, out=tmp_path / "out")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    (warning,) = [w for w in manifest["warnings"] if w["code"] == "coordinates_look_gcj02"]
    assert (warning["file"], warning["layer"], warning["column"]) == (
        "demo_county.gpkg:villages",
        "villages",
        "coordinates",
    )
    assert re.fullmatch(r"\d{3} m -> 0 m", warning["value"])
    assert "`coordinates: {villages: gcj02}`" in warning["fix"]
    assert "after converting GCJ-02 to WGS-84" in warning["message"]


def test_run_warnings_lists_the_scenarios_the_readings_then_the_plans() -> None:
    from types import SimpleNamespace

    from geoplan.data.messages import coded_problem
    from geoplan.runs.runner import run_warnings

    read = coded_problem("blocks_touch_none", "blocks.geojson", "blocks", "", "geometry", "1 / 2",
                         severity="warning", count=1, blocks=2, listing="B2: 24.0", gap_m=2,
                         min_shared_m=10)  # fmt: skip
    planned = coded_problem("coordinates_look_gcj02", "villages.csv", "villages", "",
                            "coordinates", "240 m -> 0 m", severity="warning", layer="villages",
                            points=30, given_m=240, converted_m=0, file="villages.csv",
                            columns="columns.yaml")  # fmt: skip
    loaded = coded_problem("budget_year_before_base", "s.yaml", "investment", "line 5",
                           "investment.budget_by_year_yuan.2023", 2023, severity="warning",
                           year=2023, base_year=2025)  # fmt: skip
    run = SimpleNamespace(
        scenario=SimpleNamespace(warnings=(loaded,)),
        area=SimpleNamespace(warnings=(read,)),
        result=SimpleNamespace(warnings=(planned,)),
    )
    listed = run_warnings(run)  # type: ignore[arg-type]
    assert [w["code"] for w in listed] == [
        "budget_year_before_base",
        "blocks_touch_none",
        "coordinates_look_gcj02",
    ]
    assert listed[0]["row_id"] == "line 5" and listed[0]["value"] == "2023"
    assert listed[1]["file"] == "blocks.geojson" and listed[2]["value"] == "240 m -> 0 m"
