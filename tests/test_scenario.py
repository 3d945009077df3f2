"""Scenario files: inheritance, paths, every problem named with its field and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from geoplan.data.datasets import demo_folder, demo_scenarios
from geoplan.data.messages import problem_text
from geoplan.errors import MissingInputError, ScenarioError
from geoplan.network.modes import Closure
from geoplan.runs.scenario import load_scenario

HERE = Path(__file__).parent / "data" / "scenarios"
REPO = Path(__file__).parent.parent


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_base_inheritance_and_paths() -> None:
    scen = load_scenario(HERE / "tiny_restore.yaml")
    assert scen.name == "tiny_restore"  # its own file name, never the base's
    assert scen.description == "Restore one teaching point in one phase."
    # area.folder was written in base/tiny.yaml as ../tiny_county: resolved against base/
    assert scen.area == (HERE / "tiny_county").resolve()
    assert scen.settings.years == 1
    assert scen.settings.sites_per_phase == (1,)
    assert scen.settings.restore is True
    assert scen.settings.districts is False
    assert scen.maps is False
    assert [p.name for p in scen.files] == ["tiny_restore.yaml", "tiny.yaml"]
    quo = load_scenario(HERE / "tiny_status_quo.yaml")
    assert quo.settings.restore is False


def test_fields_reach_the_settings(tmp_path: Path) -> None:
    county = (HERE / "tiny_county").resolve()
    path = _write(
        tmp_path,
        "full.yaml",
        f"""
name: everything
seed: 7
area: {{folder: {county}, crs: "EPSG:32645"}}
rules: {{day_limit_min: {{g1_3: 45}}, teaching_point_max_classes: 3}}
travel: {{modes: {{g7_9: car}}, boarders_trip_mode: riding}}
closures:
  schools: [S2]
  roads: [{{names: [Tiny Pass], way_ids: [106]}}]
restoration: {{budget_per_phase_yuan: [600000, 400000], must: [P1]}}
districts:
  extra_classes: {{S1: {{g1_3: 2}}}}
  gap_tolerance_m: 30
  min_shared_m: 12
  add_pairs: [[B1, B2]]
  remove_pairs: [[B3, B4], [B5, B6]]
  islands: join
  max_pupils_moved: {{primary: 300, middle: 150}}
  max_journey_increase_min: 10
  stay_weight_min: 5
  feeders: true
outputs: {{lang: zh}}
""",
    )
    scen = load_scenario(path)
    s = scen.settings
    assert scen.name == "everything" and scen.seed == 7 and scen.lang == "zh"
    assert s.rules.day_limit_min == {"g1_3": 45.0, "g4_6": 45.0, "g7_9": 60.0}
    assert s.rules.teaching_point_max_classes == 3
    assert s.band_modes["g7_9"] == "car" and s.band_modes["g1_3"] == "child_walk"
    assert s.boarders_trip_mode == "riding"
    assert load_scenario(HERE / "tiny_restore.yaml").settings.boarders_trip_mode == "school_bus"
    assert s.closed_schools == ("S2",)
    assert s.closures == (Closure(label="Tiny Pass", way_ids=(106,), names=("Tiny Pass",)),)
    assert s.sites_per_phase is None
    assert s.budget_per_phase_yuan == (600000.0, 400000.0)
    assert scen.must_sites == ("P1",)
    assert s.district_extra_classes == {"S1": {"g1_3": 2}}
    assert s.district_gap_tolerance_m == 30.0 and s.district_min_shared_m == 12.0
    assert s.district_add_pairs == (("B1", "B2"),)
    assert s.district_remove_pairs == (("B3", "B4"), ("B5", "B6"))
    assert s.district_islands == "join"
    assert s.district_max_pupils_moved == {"primary": 300.0, "middle": 150.0}
    assert s.district_max_journey_increase_min == 10.0 and s.district_stay_weight_min == 5.0
    assert s.district_feeders is True


def test_unknown_keys_are_errors_naming_field_and_fix(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "typo.yaml",
        f"base: {HERE / 'base' / 'tiny.yaml'}\nrestoraton: {{enabled: true}}\n"
        "districts: {enable: true}\n",
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert "2 problem(s)" in text  # every problem collected, raised once
    assert "column restoraton" in text and "Unknown field" in text and "restoration" in text
    assert "column districts.enable" in text and "Did you mean 'enabled'" in text
    assert "typo.yaml" in text


def test_an_unknown_field_is_offered_its_closest_spelling(tmp_path: Path) -> None:
    # bus_walk_max_m shares the first letters; bus_wait_min is the spelling meant
    path = _write(
        tmp_path, "ways_typo.yaml", f"base: {HERE / 'base' / 'tiny.yaml'}\nways: {{bus_wait: 5}}\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert "column ways.bus_wait" in str(err.value)
    assert "Did you mean 'bus_wait_min'" in str(err.value)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ("restoration: {sites_per_phase: [two]}", "restoration.sites_per_phase[0]", "whole number"),
        ("rules: {day_limit_min: {g1_3: -5}}", "rules.day_limit_min.g1_3", "positive number"),
        ("rules: {day_limit_min: {g10_12: 5}}", "rules.day_limit_min.g10_12", "grade band"),
        ("travel: {modes: {g1_3: flying}}", "travel.modes.g1_3", "child_walk"),
        ("travel: {boarders_trip_mode: child_walk}", "travel.boarders_trip_mode", "school_bus"),
        ("travel: {boarders_trip_mode: flying}", "travel.boarders_trip_mode", "never on foot"),
        ("districts: {enabled: maybe}", "districts.enabled", "true or false"),
        ("districts: {islands: drop}", "districts.islands", "report"),
        ("districts: {add_pairs: [B1, B2]}", "districts.add_pairs", "block pairs"),
        ("districts: {gap_tolerance_m: -3}", "districts.gap_tolerance_m", "0 or more"),
        ("districts: {max_pupils_moved: -1}", "districts.max_pupils_moved", "0 or more"),
        ("districts: {max_pupils_moved: {high: 5}}", "districts.max_pupils_moved.high", "level"),
        (
            "districts: {max_journey_increase_min: {primary: ten}}",
            "districts.max_journey_increase_min.primary",
            "number of minutes",
        ),
        ("districts: {stay_weight_min: true}", "districts.stay_weight_min", "stay_weight_min: 5"),
        ("closures: {roads: [{label: x}]}", "closures.roads[0]", "closes nothing"),
        ("restoration: {must: [P1], never: [P1]}", "restoration.never", "both must and never"),
        ("name: 'a b/c'", "name", "folder name"),
        (
            "restoration: {sites_per_phase: [1], budget_per_phase_yuan: [5]}",
            "restoration.budget_per_phase_yuan",
            "Keep one",
        ),
    ],
)
def test_bad_field_values(tmp_path: Path, body: str, field: str, words: str) -> None:
    path = _write(tmp_path, "bad.yaml", f"base: {HERE / 'base' / 'tiny.yaml'}\n{body}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert f"column {field}," in str(err.value)
    assert words in str(err.value)
    assert "Fix:" in str(err.value)


@pytest.mark.parametrize(
    ("key", "unit_zh"),
    [("max_pupils_moved", "人数"), ("max_journey_increase_min", "分钟数")],
)
def test_a_bad_stability_number_names_its_unit_in_chinese_too(
    tmp_path: Path, key: str, unit_zh: str
) -> None:
    path = _write(
        tmp_path, "bad.yaml", f"base: {HERE / 'base' / 'tiny.yaml'}\ndistricts: {{{key}: -1}}\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    (problem,) = err.value.problems
    unit = "pupils" if unit_zh == "人数" else "minutes"
    assert f"Not a number of {unit}" in problem.message
    message, _fix = problem_text(problem, "zh")
    assert message == f"districts.{key} 不是有效的{unit_zh}(0 或以上)。"


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError, match="does not exist"):
        load_scenario(tmp_path / "nowhere.yaml")
    path = _write(tmp_path, "lost.yaml", "area: {folder: no_such_county}\n")
    with pytest.raises(ScenarioError, match=r"column area\.folder.*does not exist"):
        load_scenario(path)
    path = _write(tmp_path, "orphan.yaml", "base: missing_base.yaml\n")
    with pytest.raises(ScenarioError, match=r"column base.*does not exist"):
        load_scenario(path)
    path = _write(tmp_path, "empty.yaml", "")
    with pytest.raises(ScenarioError, match="No planning-area folder"):
        load_scenario(path)


def test_base_loop_and_bad_yaml(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "base: b.yaml\n")
    _write(tmp_path, "b.yaml", "base: a.yaml\n")
    with pytest.raises(ScenarioError, match="loop"):
        load_scenario(tmp_path / "a.yaml")
    path = _write(tmp_path, "broken.yaml", "area: [unclosed\n")
    with pytest.raises(ScenarioError, match="Not valid YAML"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "base: base.yaml\nrestoration:\n  sites_per_phase: [4, 4\n  must: [P01]\n",
            "scenario_not_yaml",
        ),
        ("- base: base.yaml\n", "scenario_not_mapping"),
    ],
)
def test_an_unreadable_file_is_the_only_problem_not_its_missing_fields(
    tmp_path: Path, text: str, code: str
) -> None:
    (tmp_path / "county").mkdir()
    _write(tmp_path, "base.yaml", "area: {folder: county}\n")
    # the base names the area, so "no planning-area folder" would be wrong: only the file's fault
    path = _write(tmp_path, "broken.yaml", text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert [p.code for p in err.value.problems] == [code]
    # the same field missing from a readable chain is still reported
    _write(tmp_path, "base.yaml", "description: no area here\n")
    fine = _write(tmp_path, "fine.yaml", "base: base.yaml\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(fine)
    assert [p.code for p in err.value.problems] == ["area_folder_missing"]


def test_example_scenarios_load() -> None:
    files = sorted(demo_scenarios().glob("*.yaml"))
    names = {load_scenario(f).name: load_scenario(f) for f in files}
    assert {
        "status_quo", "restore_14_in_4_phases", "limit_30_min", "limit_45_min",
        "winter_pass_closed", "close_emptiest_schools", "town_districts_planned_extension",
    } <= set(names)  # fmt: skip
    assert names["restore_14_in_4_phases"].settings.sites_per_phase == (4, 4, 3, 3)
    assert sum(names["restore_14_in_4_phases"].settings.sites_per_phase or ()) == 14
    assert names["winter_pass_closed"].settings.closures[0].names == ("Aqik Winter Pass",)
    assert names["limit_30_min"].settings.rules.day_limit_min["g4_6"] == 30.0
    assert names["limit_45_min"].settings.rules.day_limit_min["g1_3"] == 45.0
    assert names["close_emptiest_schools"].settings.choose_closures is True
    town = names["town_districts_planned_extension"].settings
    assert town.districts and town.use_planned_extension and not town.restore
    assert names["status_quo"].settings.restore is False
    for scen in names.values():
        assert scen.area == demo_folder().resolve()


def test_toml_scenario_equals_yaml(tmp_path: Path) -> None:
    base = (HERE / "base" / "tiny.yaml").resolve()
    toml = _write(
        tmp_path,
        "tiny_restore_toml.toml",
        f'base = "{base.as_posix()}"\n'
        'description = "Restore one teaching point in one phase."\n'
        "[restoration]\nenabled = true\n",
    )
    from_toml = load_scenario(toml)
    from_yaml = load_scenario(HERE / "tiny_restore.yaml")
    assert from_toml.settings == from_yaml.settings
    assert from_toml.area == from_yaml.area
    bad = _write(tmp_path, "bad.toml", "name = \n")
    with pytest.raises(ScenarioError, match="Not valid TOML"):
        load_scenario(bad)


@pytest.mark.parametrize(
    ("text", "example"),
    [
        ("restoration: {budget_per_phase_yuan: [-4000000, 4000000]}\n", "500000 (50万元)"),
        ("rules: {day_limit_min: {g1_3: thirty}}\n", "30"),
    ],
)
def test_a_bad_number_is_fixed_with_an_example_in_its_unit(
    tmp_path: Path, text: str, example: str
) -> None:
    (tmp_path / "county").mkdir()
    path = _write(tmp_path, "bad.yaml", "area: {folder: county}\n" + text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    (problem,) = err.value.problems
    assert problem.code == "scenario_not_positive"
    assert problem.fix == f"Write a number such as {example}."
    assert problem_text(problem, "zh")[1] == f"填写一个数,如 {example}。"


@pytest.mark.parametrize(
    ("written", "yuan"),
    [
        ("50万", 500_000.0),
        ("1.2万元", 12_000.0),
        ("1,200,000", 1_200_000.0),
        ("１２万", 120_000.0),
        ("300000元", 300_000.0),
        (700000, 700_000.0),
    ],
)
def test_money_fields_read_as_table_cells_are(tmp_path: Path, written: object, yuan: float) -> None:
    """A budget written as an office writes it (50万) is read by the tables' one number rule."""
    from geoplan.data.files import parse_number

    (tmp_path / "county").mkdir()
    value = f'"{written}"' if isinstance(written, str) else str(written)
    area = "area: {folder: county}\n"
    phases = _write(
        tmp_path,
        "phases.yaml",
        area + f"restoration: {{budget_per_phase_yuan: [{value}, 400000]}}\n",
    )
    assert load_scenario(phases).settings.budget_per_phase_yuan == (yuan, 400_000.0)
    assert yuan == parse_number(written)  # the tables' reading of the same text
    path = _write(
        tmp_path,
        "money.yaml",
        area + f"siting: {{model: budgeted_coverage, p: 2, budget_yuan: {value}}}\n"
        f"investment: {{budget_by_year_yuan: {{2025: {value}}}}}\n",
    )
    scen = load_scenario(path)
    assert scen.settings.siting is not None and scen.settings.siting.budget_yuan == yuan
    assert scen.settings.investment is not None
    assert scen.settings.investment.budget_by_year_yuan == {2025: yuan}


@pytest.mark.parametrize("written", ["五十万", "50人", "about 50万", "万"])
def test_an_unreadable_amount_of_money_says_how_to_write_one(tmp_path: Path, written: str) -> None:
    (tmp_path / "county").mkdir()
    path = _write(
        tmp_path,
        "bad.yaml",
        f'area: {{folder: county}}\nrestoration: {{budget_per_phase_yuan: ["{written}"]}}\n',
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    (problem,) = err.value.problems
    assert problem.code == "scenario_not_money"
    assert problem.value == written and problem.row_id == "line 2"
    assert problem.column == "restoration.budget_per_phase_yuan[0]"
    assert "500000 (50万元)" in problem.fix and "positive" not in problem.message
    message, fix = problem_text(problem, "zh")
    assert "不是金额" in message and "500000 (50万元)" in fix
