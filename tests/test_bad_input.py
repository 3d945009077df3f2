"""Bad input refused clearly: keys written twice, lines named, files named (issue 17).

Each case is a small file written here or kept in ``tests/data/bad/``; the oracle is the text of
the file itself (which line holds what), never geoplan's own output.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pytest
from shapely import LineString, Point

from geoplan.cli import main
from geoplan.data.readers import validate_folder
from geoplan.errors import NetworkError, ScenarioError
from geoplan.network.modes import MODES, Closure, mode_network
from geoplan.network.travel import check_roads_reach
from geoplan.runs.scenario import load_scenario

DATA = Path(__file__).parent / "data"
HERE = DATA / "scenarios"
TINY = DATA / "good" / "tiny"
_spec = importlib.util.spec_from_file_location("make_bad_corpus", DATA / "make_bad_corpus.py")
assert _spec is not None and _spec.loader is not None
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)
_HAN = re.compile(r"[\u4e00-\u9fff]")


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


def test_every_bad_scenario_is_in_the_table() -> None:
    files = {p.stem for p in corpus.SCENARIOS_DIR.glob("*.yaml")}
    assert files == set(corpus.SCENARIOS)


def test_every_bad_scenario_is_checked_in_chinese_too() -> None:
    assert set(corpus.SCENARIOS_ZH) == set(corpus.SCENARIOS)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("fault", sorted(corpus.SCENARIOS))
def test_bad_scenario_is_refused_naming_file_line_and_field(
    fault: str, lang: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, code, words = corpus.SCENARIOS[fault]
    out = tmp_path / "out"
    scenario = str(corpus.SCENARIOS_DIR / f"{fault}.yaml")
    assert main(["-q", "run", scenario, "--lang", lang, "--out", str(out)]) == code
    err = capsys.readouterr().err
    assert err.startswith("geoplan run: ") and "Traceback" not in err
    if lang == "zh":
        words = corpus.SCENARIOS_ZH[fault]
        assert err.startswith("geoplan run: 输入有") and "问题:" in err and "改正:" in err
        for line in err.splitlines():
            if line.strip().startswith(("问题:", "改正:")):
                assert _HAN.search(line.strip()[3:]), f"{fault}: not Chinese: {line}"
    for word in words:
        assert word in err, f"{fault}: {word!r} not in\n{err}"
    assert not out.exists(), f"{fault}: outputs written on a refused run"


# Refusals of the command line itself: arguments, in both languages (the words each must hold).
CLI_FAULTS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "file_for_folder": (
        ["validate", "{tiny}/villages.csv"],
        ["villages.csv", "is a file; give the planning-area folder", "geoplan validate {tiny}"],
        ["villages.csv", "这是一个文件", "geoplan validate {tiny}"],
    ),
    "missing_folder": (
        ["validate", "{tmp}/no_such_county"],
        ["no_such_county", "does not exist"],
        ["no_such_county", "不存在"],
    ),
    "out_is_a_file": (
        ["run", "{tiny_scenario}", "--out", "{tmp}/a_file.txt"],
        ["a_file.txt", "--out names a file", "Give a folder"],
        ["a_file.txt", "--out 给出的是一个文件"],
    ),
    "report_not_xlsx": (
        ["validate", "{tiny}", "--report", "{tmp}/p.csv"],
        ["p.csv", "ending in .xlsx"],
        ["p.csv", "以 .xlsx 结尾"],
    ),
    "scenario_missing": (
        ["run", "{tmp}/no_such.yaml", "--out", "{tmp}/out"],
        ["no_such.yaml", "does not exist"],
        ["no_such.yaml", "方案文件不存在"],
    ),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("fault", sorted(CLI_FAULTS))
def test_command_line_refusals_name_the_file_in_both_languages(
    fault: str, lang: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a_file.txt").write_text("x", encoding="utf-8")
    places = {
        "tiny": str(TINY),
        "tmp": str(tmp_path),
        "tiny_scenario": str(HERE / "tiny_restore.yaml"),
    }
    argv, en, zh = CLI_FAULTS[fault]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["-q", *(a.format(**places) for a in argv), "--lang", lang]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for word in en if lang == "en" else zh:
        assert word.format(**places) in err, f"{fault}/{lang}: {word!r} not in\n{err}"
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "something was written"


def _line_graph(names: list[str]) -> nx.MultiDiGraph:
    """Roads along y = 0, 1 km each, named ``names`` (EPSG:32645)."""
    g = nx.MultiDiGraph(crs="EPSG:32645")
    for i in range(len(names) + 1):
        g.add_node(i, x=500_000.0 + 1000.0 * i, y=4_700_000.0)
    for i, name in enumerate(names):
        for u, v in ((i, i + 1), (i + 1, i)):
            g.add_edge(u, v, length=1000.0, highway="residential", osmid=100 + i, name=name)
    return g


def test_a_closure_naming_no_road_lists_the_closest_names() -> None:
    g = _line_graph(["Aqik Winter Pass", "Valley Road", "Hejing Road"])
    with pytest.raises(NetworkError) as err:
        mode_network(g, MODES["car"], closures=[Closure("winter", names=("Aqik Winter Pas",))])
    assert "no road is named 'Aqik Winter Pas'" in str(err.value)
    assert "'Aqik Winter Pass'" in str(err.value)
    with pytest.raises(NetworkError, match=r"way id\(s\) \[7\]"):
        mode_network(g, MODES["car"], closures=[Closure("x", way_ids=(7,))])
    net = mode_network(g, MODES["car"], closures=[Closure("winter", names=("Aqik Winter Pass",))])
    assert net.closed_edges == 2  # both directions of the named road


@pytest.mark.parametrize(("far", "refused"), [(2, False), (3, True)])
def test_roads_missing_the_county_are_refused_when_most_villages_are_far(
    far: int, refused: bool
) -> None:
    g = _line_graph(["A", "B"])  # x 500,000-502,000 along y 4,700,000
    near = [Point(500_500.0 + 300 * i, 4_700_100.0) for i in range(5 - far)]
    away = [Point(501_000.0, 4_700_000.0 + 2_500.0 + 100 * i) for i in range(far)]
    villages = gpd.GeoDataFrame(geometry=near + away, crs="EPSG:32645")
    if refused:
        with pytest.raises(NetworkError, match="3 of 5 villages are farther than 2000 m"):
            check_roads_reach(g, villages, max_access_m=2000.0)
    else:
        check_roads_reach(g, villages, max_access_m=2000.0)


@pytest.mark.parametrize("drawn", [True, False])
def test_villages_far_from_every_junction_count_by_their_distance_to_the_road(
    drawn: bool,
) -> None:
    # two 20 km roads: a straight one along y = 0 and a curved one whose drawn line bows
    # 3 km north of its chord (y = 10 km); every village is > 2 km from every junction
    g = nx.MultiDiGraph(crs="EPSG:32645")
    x0, y0 = 500_000.0, 4_700_000.0
    for n, (x, y) in enumerate([(0, 0), (20_000, 0), (0, 10_000), (20_000, 10_000)]):
        g.add_node(n, x=x0 + x, y=y0 + y)
    bow = LineString([(x0, y0 + 10_000), (x0 + 10_000, y0 + 13_000), (x0 + 20_000, y0 + 10_000)])
    g.add_edge(0, 1, length=20_000.0, highway="track")
    g.add_edge(2, 3, length=21_000.0, highway="track", **({"geometry": bow} if drawn else {}))
    on_straight = [Point(x0 + 8_000 + 2_000 * i, y0 + 200) for i in range(2)]
    on_bow = [Point(x0 + 9_000 + 1_000 * i, y0 + 12_800) for i in range(3)]
    villages = gpd.GeoDataFrame(geometry=on_straight + on_bow, crs="EPSG:32645")
    if drawn:  # the bow's villages are on its drawn line
        check_roads_reach(g, villages, max_access_m=2000.0)
    else:  # without the drawing the road runs 2.8 km south of them
        with pytest.raises(NetworkError, match="3 of 5 villages are farther than 2000 m"):
            check_roads_reach(g, villages, max_access_m=2000.0)


def test_refusals_keep_their_problems_across_processes() -> None:
    import pickle

    from geoplan.data.messages import coded_error, coded_problem
    from geoplan.errors import ValidationError

    problem = coded_problem("missing_id", "villages.csv", "villages", "line 7", "id", "")
    for err in (
        ValidationError([problem]),
        coded_error(NetworkError, "missing_id", "villages.csv", "villages", "line 7", "id", ""),
    ):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and str(back) == str(err)
        assert back.problems == [problem]
