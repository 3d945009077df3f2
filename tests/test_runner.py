"""Scenario runs on the tiny hand-worked county: numbers worked out by hand, determinism, atomicity.

The tiny county (``tests/data/scenarios/make_tiny.py``) is one straight road; offsets along it in
metres: S1 0, V1 600, V2 1800, P1 3000, V3 3300, V4 3900, S2 6000, V5 6500. Grades 1-3 walk at
3 km/h (50 m/min), grades 4-6 at 4 km/h (66.7 m/min), grades 7-9 ride the school bus at 30 km/h
(500 m/min) on the unclassified road. S1 is a nine-year school with beds; S2 a primary without.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import pytest

from geoplan.errors import InfeasibleError, MissingInputError, ScenarioError
from geoplan.runs.runner import RESULT_LAYERS, run_scenario

HERE = Path(__file__).parent / "data" / "scenarios"
POS = {"S1": 0, "V1": 600, "V2": 1800, "P1": 3000, "V3": 3300, "V4": 3900, "S2": 6000, "V5": 6500}
PUPILS = {  # g1_3, g4_6, g7_9
    "V1": (10, 8, 6), "V2": (20, 15, 12), "V3": (14, 10, 9), "V4": (12, 11, 7), "V5": (8, 6, 5),
}  # fmt: skip
M_PER_MIN = {"g1_3": 50.0, "g4_6": 4000.0 / 60.0, "g7_9": 500.0}
LIMIT = {"g1_3": 30.0, "g4_6": 45.0, "g7_9": 60.0}
TEACHES = {"g1_3": ["S1", "S2"], "g4_6": ["S1", "S2"], "g7_9": ["S1"]}
BEDS = {"S1": True, "S2": False, "P1": False}


def _journeys(restored: bool) -> dict[tuple[str, str], tuple[str, float]]:
    """School and minutes per village and band, by brute force over the offsets.

    The nearest school; when it is beyond the day limit, the nearest school with beds instead.
    """
    out = {}
    for v in PUPILS:
        for band in LIMIT:
            options = TEACHES[band] + (["P1"] if restored and band == "g1_3" else [])
            minutes = {s: abs(POS[s] - POS[v]) / M_PER_MIN[band] for s in options}
            best = min(options, key=minutes.__getitem__)
            with_beds = [s for s in options if BEDS[s]]
            if minutes[best] > LIMIT[band] and with_beds:  # beyond the limit: board where beds are
                best = min(with_beds, key=minutes.__getitem__)
            out[v, band] = (best, minutes[best])
    return out


def _percentile(rows: list[tuple[int, float]], q: float) -> float:
    """The journey at or below which ``q`` of the pupils are: one list entry per pupil."""
    pupils = sorted(m for p, m in rows for _ in range(p))
    return pupils[max(0, math.ceil(q * len(pupils) - 1e-9) - 1)]


def hand_metrics(restored: bool) -> dict[str, Any]:
    """The headline indicators after the plan, worked out from :func:`_journeys`.

    Day pupils' figures are over day pupils only; a boarder's weekly trip home is by school bus
    (500 m/min on the tiny county's road), never the walk.
    """
    j = _journeys(restored)
    out: dict[str, Any] = {}
    for k, band in enumerate(LIMIT):
        day = [(PUPILS[v][k], j[v, band][1]) for v in PUPILS if j[v, band][1] <= LIMIT[band]]
        far = [v for v in PUPILS if j[v, band][1] > LIMIT[band]]
        boarders = [v for v in far if BEDS[j[v, band][0]]]
        trips = [(PUPILS[v][k], abs(POS[j[v, band][0]] - POS[v]) / 500.0) for v in boarders]
        out[f"after_pupils_{band}"] = sum(PUPILS[v][k] for v in PUPILS)
        out[f"after_day_pupils_{band}"] = sum(p for p, _ in day)
        out[f"after_boarders_{band}"] = sum(p for p, _ in trips)
        out[f"after_unserved_{band}"] = sum(PUPILS[v][k] for v in far if v not in boarders)
        out[f"after_day_mean_journey_{band}_min"] = (
            round(sum(p * m for p, m in day) / sum(p for p, _ in day), 3) if day else None
        )
        out[f"after_day_median_journey_{band}_min"] = round(_percentile(day, 0.5), 3)
        out[f"after_day_p90_journey_{band}_min"] = round(_percentile(day, 0.9), 3)
        out[f"after_day_longest_journey_{band}_min"] = round(max(m for _, m in day), 3)
        out[f"after_boarder_mean_weekly_trip_{band}_min"] = (
            round(sum(p * t for p, t in trips) / sum(p for p, _ in trips), 3) if trips else None
        )
        out[f"after_boarder_longest_weekly_trip_{band}_min"] = (
            round(max(t for _, t in trips), 3) if trips else None
        )
    for kind in ("day_pupils", "boarders", "unserved"):
        out[f"after_{kind}"] = sum(out[f"after_{kind}_{b}"] for b in LIMIT)
    out["after_beyond_day_limit_g1_3"] = out["after_boarders_g1_3"] + out["after_unserved_g1_3"]
    out["sites_restored"] = 1 if restored else 0
    out["restoration_cost_yuan"] = 500000.0 if restored else 0.0
    today = _journeys(False)
    out["pupils_moved"] = sum(
        PUPILS[v][k] for k, band in enumerate(LIMIT) for v in PUPILS
        if today[v, band][0] != j[v, band][0]
    )  # fmt: skip
    out["schools_closed"] = 0
    out["oversized_classes_after"] = None
    return out


def test_hand_worked_numbers_are_what_the_story_says() -> None:
    """Guard the brute force itself against the story told in the README of the data."""
    before, after = hand_metrics(False), hand_metrics(True)
    # today: V2's young walk 36 min to S1 and board; V3 and V4 are 54 and 42 min from S2, which
    # has no beds, so they board at S1 (66 and 78 min). Restoring P1 brings V2, V3, V4 within
    # 24, 6, 18 minutes.
    assert before["after_day_pupils_g1_3"] == 10 + 8
    assert before["after_boarders"] == 20 + 14 + 12 and before["after_unserved"] == 0
    # The longest daily journey is V1's 12 min to S1; V4's 78 min walk to S1 is a boarder's and
    # appears only as a weekly bus trip: 3900 m / 500 m/min = 7.8 min.
    assert before["after_day_longest_journey_g1_3_min"] == 12.0
    assert before["after_boarder_longest_weekly_trip_g1_3_min"] == 7.8
    assert after["after_day_pupils_g1_3"] == 64 and after["after_beyond_day_limit_g1_3"] == 0
    assert after["after_day_mean_journey_g1_3_min"] == round((120 + 480 + 84 + 216 + 80) / 64, 3)
    assert after["pupils_moved"] == 20 + 14 + 12


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out1 = tmp_path_factory.mktemp("run1")
    out2 = tmp_path_factory.mktemp("run2")
    return {
        "restore": run_scenario(HERE / "tiny_restore.yaml", out=out1),
        "restore_again": run_scenario(HERE / "tiny_restore.yaml", out=out2),
        "status_quo": run_scenario(HERE / "tiny_status_quo.yaml", out=out1),
    }


@pytest.mark.parametrize(("key", "restored"), [("restore", True), ("status_quo", False)])
def test_metrics_json_matches_hand_worked(runs: dict[str, Path], key: str, restored: bool) -> None:
    metrics = json.loads((runs[key] / "metrics.json").read_text(encoding="utf-8"))
    for name, value in hand_metrics(restored).items():
        assert metrics[name] == value, name


def test_outputs_present(runs: dict[str, Path]) -> None:
    folder = runs["restore"]
    assert folder.name == "tiny_restore"
    for name in ("results.gpkg", "metrics.json", "manifest.json", "indicators.csv",
                 "villages_journeys_today.csv", "villages_journeys_after_plan.xlsx",
                 "restoration_scorecard.xlsx", "restoration_phases.csv"):  # fmt: skip
        assert (folder / name).is_file(), name
    listed = pyogrio.list_layers(folder / "results.gpkg")
    layers = [name for name, kind in listed if kind is not None]  # not QGIS's layer_styles
    assert set(layers) <= set(RESULT_LAYERS)
    assert {"villages_journeys_today", "villages_journeys_after_plan", "sites_restoration",
            "schools_after_plan", "townships_after_plan"} <= set(layers)  # fmt: skip
    after = pyogrio.read_dataframe(folder / "results.gpkg", layer="villages_journeys_after_plan")
    after = after.set_index("id")
    assert after.loc["V3", "school_g1_3"] == "P1"
    assert after.loc["V3", "day_journey_g1_3_min"] == pytest.approx(300 / 50)
    assert after.loc["V3", "status_g1_3"] == "day" and after.loc["V3", "mode_g1_3"] == "child_walk"
    today = pyogrio.read_dataframe(folder / "results.gpkg", layer="villages_journeys_today")
    today = today.set_index("id")  # V3's young board at S1: a weekly bus trip, no walk shown
    assert (
        today.loc["V3", "status_g1_3"] == "boards" and today.loc["V3", "mode_g1_3"] == "school_bus"
    )
    assert today.loc["V3", "weekly_trip_g1_3_min"] == pytest.approx(3300 / 500)
    assert pd.isna(today.loc["V3", "day_journey_g1_3_min"])
    sites = pyogrio.read_dataframe(folder / "results.gpkg", layer="sites_restoration")
    assert sites.set_index("id").loc["P1", "phase"] == 1
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 0 and manifest["packages"]["geopandas"]
    assert set(manifest["timings_s"]) >= {"network", "travel", "restoration", "writing"}
    assert manifest["solvers"]["restoration_phasing"]["status"]
    hashed = {Path(i["path"]).name for i in manifest["inputs"]}
    assert {"villages.csv", "schools.csv", "sites.csv", "roads.graphml"} <= hashed
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])


def test_two_runs_identical(runs: dict[str, Path]) -> None:
    a, b = runs["restore"], runs["restore_again"]
    tables = sorted(p.name for p in a.iterdir() if p.suffix in (".csv", ".xlsx", ".json"))
    assert tables == sorted(p.name for p in b.iterdir() if p.suffix in (".csv", ".xlsx", ".json"))
    for name in tables:
        if name == "manifest.json":
            continue  # timings differ; they live only here
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for layer, kind in pyogrio.list_layers(a / "results.gpkg"):
        if kind is None:  # QGIS's layer_styles table, tested in test_layer_styles.py
            continue
        left = pyogrio.read_dataframe(a / "results.gpkg", layer=layer)
        right = pyogrio.read_dataframe(b / "results.gpkg", layer=layer)
        pd.testing.assert_frame_equal(pd.DataFrame(left), pd.DataFrame(right))
        assert left.geometry.geom_equals_exact(right.geometry, tolerance=0).all()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("base: {base}\nrestoration: {{enabled: true, phases: 3}}\n", ScenarioError),  # unknown key
        ("base: {base}\nprojection: {{years: -1}}\n", ScenarioError),  # bad field
        ("base: {base}\narea: {{roads: missing_roads.graphml}}\n", ScenarioError),  # missing file
        ("base: {base}\nrestoration: {{must: [P9]}}\n", ScenarioError),  # id not in the data
    ],
)
def test_failures_leave_outputs_untouched(
    runs: dict[str, Path], tmp_path: Path, body: str, error: type[Exception]
) -> None:
    out = tmp_path / "outputs"
    shutil.copytree(runs["restore"], out / "tiny_restore")
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    scenario = tmp_path / "tiny_restore.yaml"
    scenario.write_text(body.format(base=HERE / "base" / "tiny.yaml"), encoding="utf-8")
    with pytest.raises(error):
        run_scenario(scenario, out=out)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in out.iterdir()) == ["tiny_restore"]


def test_every_field_refused_by_the_data_is_reported_at_once(tmp_path: Path) -> None:
    """An unknown must id and a road closure matching no road: both problems, each at its line,
    not only the first found (the graph is read to check the closure)."""
    from geoplan.data.messages import problem_text
    from geoplan.runs.runner import plan_scenario

    scenario = tmp_path / "two_errors.yaml"
    scenario.write_text(
        f"base: {HERE / 'base' / 'tiny.yaml'}\n"
        "restoration: {enabled: true, must: [P99]}\n"
        "closures:\n"
        "  roads: [{label: winter, names: [No Such Pass]}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        plan_scenario(scenario)
    ids, road = caught.value.problems
    assert (ids.code, ids.row_id, ids.column, ids.value) == (
        "scenario_unknown_ids",
        "line 2",
        "restoration.must",
        "P99",
    )
    assert road.code.startswith("closure_no_such_road")
    assert (road.file, road.row_id, road.column, road.value) == (
        str(scenario),
        "line 4",
        "closures.roads[].names",
        "No Such Pass",
    )
    assert "P99" in str(caught.value) and "No Such Pass" in str(caught.value)
    assert "No Such Pass" in problem_text(road, "zh")[0]


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError):
        run_scenario(tmp_path / "nope.yaml", out=tmp_path / "outputs")
    assert not (tmp_path / "outputs").exists()


def test_log_names_final_paths(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Files are written into a staging folder, but the log names where they end up."""
    scenario = tmp_path / "tiny_maps.yaml"
    scenario.write_text(
        f"base: {HERE / 'base' / 'tiny.yaml'}\noutputs: {{maps: true, print_maps: true}}\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.INFO, logger="geoplan"):
        folder = run_scenario(scenario, out=tmp_path / "outputs")
    texts = [r.getMessage() for r in caplog.records]
    assert not [t for t in texts if ".tmp-" in t]
    named = [t.rsplit(" to ", 1)[1].split(" (")[0] for t in texts if " written to " in t]
    assert any(n.endswith(".png") for n in named) and any(n.endswith(".html") for n in named)
    for name in named:
        assert Path(name).is_file(), name
        assert Path(name).is_relative_to(folder), name


def test_a_refusal_about_a_data_layer_is_placed_in_its_file(tmp_path: Path) -> None:
    """A site fixed to a phase over its budget: the sites file's phase column, not 'name'."""
    county = tmp_path / "tiny_county"
    shutil.copytree(HERE / "tiny_county", county)
    sites = county / "sites.csv"
    lines = sites.read_text(encoding="utf-8").splitlines()
    sites.write_text(f"{lines[0]},phase\n{lines[1]},1\n", encoding="utf-8")
    scenario = tmp_path / "tiny_budget.yaml"
    scenario.write_text(
        f"description: a phase budget below its fixed site's cost\narea:\n  folder: {county}\n"
        "projection: {years: 1}\n"
        "restoration: {sites_per_phase: null, budget_per_phase_yuan: [1000]}\n"
        "districts: {enabled: false}\noutputs: {maps: false}\n",
        encoding="utf-8",
    )
    with pytest.raises(InfeasibleError) as caught:
        run_scenario(scenario, out=tmp_path / "outputs")
    [problem] = caught.value.problems
    assert problem.code == "phase_fixed_over_budget"
    assert (problem.file, problem.layer, problem.column) == ("sites.csv", "sites", "phase")
    assert "1,000 yuan" in problem.message


def _town_by_the_tiny_county(tmp_path: Path, lang: str) -> Path:
    """The tiny county with three 200 m blocks in a row, 400 m west of S1, and its scenario.

    S1 stands on no block (400 m from B3): a warning per level; ``districts.remove_pairs`` names
    B1 and B3, which do not touch (B2 lies between): a warning. S2, 6 km east, is no town school.
    """
    import geopandas as gpd
    import shapely

    county = tmp_path / "tiny_county"
    shutil.copytree(HERE / "tiny_county", county)
    x0, y0 = 499_000.0, 4_700_000.0
    blocks = gpd.GeoDataFrame(
        {"id": ["B1", "B2", "B3"], "pupils_g1_3": 5, "pupils_g4_6": 5, "pupils_g7_9": 5},
        geometry=[
            shapely.box(x0 + 200 * k, y0 - 100, x0 + 200 * (k + 1), y0 + 100) for k in range(3)
        ],
        crs="EPSG:32645",
    )
    blocks.to_crs("EPSG:4326").to_file(county / "blocks.geojson", driver="GeoJSON")
    scenario = tmp_path / f"tiny_town_{lang}.yaml"
    scenario.write_text(
        f"base: {HERE / 'base' / 'tiny.yaml'}\narea: {{folder: {county}}}\n"
        "restoration: {enabled: false}\n"
        "districts: {enabled: true, remove_pairs: [[B1, B3]], time_limit_s: 5}\n"
        f"outputs: {{lang: {lang}, maps: false, profiles: false, print_maps: false}}\n",
        encoding="utf-8",
    )
    return scenario


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_districts_warnings_reach_the_manifest_and_the_log_in_the_runs_language(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, lang: str
) -> None:

    scenario = _town_by_the_tiny_county(tmp_path, lang)
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        folder = run_scenario(scenario, out=tmp_path / "outputs")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    found = {w["code"]: w for w in manifest["warnings"]}
    assert [w["code"] for w in manifest["warnings"]].count("districts_school_off_map") == 2
    off = found["districts_school_off_map"]
    assert (off["layer"], off["row_id"], off["column"], off["value"]) == (
        "schools", "S1", "geometry", "400 m",
    )  # fmt: skip
    pair = found["district_pair_not_neighbours"]
    assert (pair["row_id"], pair["column"]) == ("B1,B3", "districts.remove_pairs")
    assert pair["message"].startswith("Blocks B1 and B3 are not neighbours")  # English, coded
    assert off["file"] == "schools.csv"  # placed in the layer's file
    logged = [r.getMessage() for r in caplog.records if r.name == "geoplan.models.districts"]
    assert len(logged) == 3  # each logged once, where it was found
    if lang == "en":
        assert sorted(logged) == sorted(
            f"[warning] {w['file']}, layer {w['layer']}, row {w['row_id']}, column {w['column']}, "
            f"value {w['value']!r}: {w['message']} Fix: {w['fix']}"
            for w in manifest["warnings"]
            if w["code"] in found
        )
    else:  # the manifest stays English; the log of a run in Chinese is Chinese
        assert [line.startswith("[警告] ") for line in logged] == [True] * 3
        assert sum("并不相邻" in line for line in logged) == 1
        off_zh = [line for line in logged if "不在任何街区内" in line]
        assert len(off_zh) == 2 and "图层 schools,编号 S1,列 geometry,值 '400 m'" in off_zh[0]
        assert not [line for line in logged if "lies in no block" in line]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_geoplan_validate_reports_the_districts_input_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    """The school off the block map is in validate's report too, before any run, per level."""
    from geoplan.cli import main

    _town_by_the_tiny_county(tmp_path, lang)
    assert main(["validate", str(tmp_path / "tiny_county"), "--lang", lang]) == 0
    out = capsys.readouterr().out
    said = "lies in no block, 400 m" if lang == "en" else "不在任何街区内,距最近的街区(B3)400 米"
    assert out.count(said) == 2, out  # primary and middle: S1 is a nine-year school
    assert out.count("schools.csv") == 2 and "East Primary" not in out  # S2 is no town school
