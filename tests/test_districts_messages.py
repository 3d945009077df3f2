"""District refusals and diagnoses come from the message catalogue, in English and Chinese.

Each refusal is provoked on a tiny hand-made town (the row town of test_districts: five 100 m
blocks, school A at the west end, school B, one class, next to it) and must carry its catalogue
code, name the ids a planner knows, and read in Chinese under ``lang: zh``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from test_districts import grid, islanded_town, row_town

from geoplan.data.messages import problem_text
from geoplan.errors import InfeasibleError, Problem
from geoplan.models._contiguity import rook_adjacency
from geoplan.models.districts import diagnose_capacity, plan_districts, solve_districts

_HAN = re.compile(r"[\u4e00-\u9fff]")


def _chinese(problem: Problem) -> tuple[str, str]:
    """The problem's Chinese text, checked to be Chinese (not English quoted)."""
    message, fix = problem_text(problem, "zh")
    assert problem.code, problem
    assert _HAN.search(message) and _HAN.search(fix), (message, fix)
    assert "英文原文" not in message, message
    return message, fix


def test_the_heuristic_finding_no_plan_in_time_is_coded_with_its_diagnosis() -> None:
    blocks, schools = row_town()
    # 270 places for 200 pupils, but B (45 places) must hold r1-r4 (160): the heuristic's best
    # plan stays over capacity.
    with pytest.raises(InfeasibleError) as info:
        plan_districts(blocks, schools, levels=("primary",), method="heuristic", time_limit_s=5)
    first, *diagnosis = info.value.problems
    assert first.code == "districts_no_plan_in_time"
    assert str(info.value).startswith("The primary heuristic search found no plan")
    assert first.column == "districts.extra_classes"  # the cause: 3 classes at B would fit
    assert _chinese(first)[0].startswith("小学学区的 heuristic 搜索在 5 秒内没有找到")
    assert [p.code for p in diagnosis] == ["districts_diag_contiguity", "districts_diag_least"]
    said = [_chinese(p)[0] for p in diagnosis]
    assert said[0].startswith("连片:连片学区至少需要增加 3 个班")
    assert said[1] == "最少增班数:3 个(已证明最少),可让所有学生进入连片学区:School B: 3。"


def test_the_diagnosis_reads_in_chinese_line_by_line() -> None:
    blocks, schools = row_town()
    diag = diagnose_capacity(blocks, schools, level="primary", time_limit_s=5)
    assert diag.text("en") == diag.message
    en, zh = diag.message.splitlines(), diag.text("zh").splitlines()
    assert len(en) == len(zh) == len(diag.problems) == 2
    assert en[0].startswith("Contiguity: contiguous districts need at least 3 extra classes")
    assert all(_HAN.search(line) for line in zh)
    assert "School B: 3" in zh[1]


def test_a_capacity_shortage_names_the_grades_in_chinese() -> None:
    blocks, schools = row_town(pupils=80.0)  # 400 pupils, 270 places
    diag = diagnose_capacity(blocks, schools, level="primary", time_limit_s=5)
    codes = [p.code for p in diag.problems]
    assert codes[:2] == ["districts_diag_capacity", "districts_diag_band"]
    zh = diag.text("zh").splitlines()
    assert zh[0].startswith("学位容量:小学学位缺 130 个(学生 400 人,学位 360 个)。")
    assert zh[1].strip().startswith("1-3 年级:学生 400 人,学位 270 个,缺 130 个。")


def test_an_override_against_a_schools_own_block_names_the_ids() -> None:
    blocks, schools = row_town()
    # r1 holds school B: its district must hold r1, so r1 cannot be fixed to A.
    with pytest.raises(InfeasibleError) as info:
        plan_districts(blocks, schools, levels=("primary",), overrides={"primary": {"r1": "sA"}})
    (problem,) = info.value.problems
    assert problem.code == "districts_fixed_home_conflict"
    assert (problem.row_id, problem.column, problem.value) == ("r1", "school_primary", "sA")
    assert problem.message == (
        "The district of school sB must hold its own block r1, but that block (or its "
        "community) is fixed to school sA."
    )
    assert "Diagnosis" not in str(info.value) and "Capacity" not in str(info.value)
    assert _chinese(problem)[0].startswith("学校 sB 的学区必须包含它所在的街区 r1")


def test_overrides_splitting_a_community_name_the_ids() -> None:
    blocks, schools = row_town()
    blocks = blocks.assign(community=["c0", "c1", "c2", "c3", "c3"])
    with pytest.raises(InfeasibleError) as info:
        plan_districts(
            blocks,
            schools,
            levels=("primary",),
            keep_communities=True,
            overrides={"primary": {"r3": "sA", "r4": "sB"}},
        )
    (problem,) = info.value.problems
    assert problem.code == "districts_fixed_unit_conflict"
    assert problem.row_id == "r4" and problem.value == "sB"
    assert problem.message == (
        "Block r4 is fixed to school sB, but another block of its community is fixed to school sA."
    )
    _chinese(problem)


def test_the_core_names_fixed_conflicts_by_position() -> None:
    adj = rook_adjacency(grid(3, 1))
    with pytest.raises(InfeasibleError) as info:
        solve_districts(
            np.ones((3, 1)), np.ones((3, 2)), np.full((2, 1), 10.0), adj, [0, 2], fixed=[1, -1, -1]
        )
    (problem,) = info.value.problems
    assert problem.code == "districts_fixed_home_conflict"
    assert problem.message.startswith("The district of school 0 must hold its own block 0")
    _chinese(problem)


def test_stranded_blocks_are_coded() -> None:
    adj = rook_adjacency(grid(3, 1)).tolil()
    adj[1, 2] = adj[2, 1] = False  # block 2 cut off, no school on it
    with pytest.raises(InfeasibleError) as info:
        solve_districts(np.ones((3, 1)), np.ones((3, 1)), np.full((1, 1), 10.0), adj.tocsr(), [0])
    (problem,) = info.value.problems
    assert problem.code == "districts_stranded_blocks"
    assert _chinese(problem)[0].startswith("连片:1 个街区(位置 [2])")


def test_blocks_beyond_the_journey_limit_are_coded() -> None:
    cost = np.array([[1.0], [5.0], [50.0]])
    adj = rook_adjacency(grid(3, 1))
    with pytest.raises(InfeasibleError) as info:
        solve_districts(np.ones((3, 1)), cost, np.full((1, 1), 10.0), adj, [0], max_journey_min=10)
    (problem,) = info.value.problems
    assert problem.code == "districts_unreachable_blocks"
    _chinese(problem)


def test_an_island_is_coded_at_the_islands_field_and_reads_in_chinese() -> None:
    blocks, schools = islanded_town()
    with pytest.raises(InfeasibleError) as info:
        plan_districts(blocks, schools, levels=("primary",), time_limit_s=5)
    (problem,) = info.value.problems
    assert problem.code == "districts_islands"
    assert problem.column == "districts.islands"
    message, fix = _chinese(problem)
    assert "b119 (Block 119)" in message and "districts.add_pairs" in fix


def test_a_run_in_chinese_prints_the_district_refusal_in_chinese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from geoplan.cli import _explained

    blocks, schools = islanded_town()
    with pytest.raises(InfeasibleError) as info:
        plan_districts(blocks, schools, levels=("primary",), time_limit_s=5)
    text = _explained(info.value, "zh")
    assert "连片:地图上 1 片共 1 个街区" in text and "英文原文" not in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_diagnosis_file_of_a_run_is_in_its_language(tmp_path: Path, lang: str) -> None:
    from geoplan.outputs.plan_files import _district_checks

    blocks, schools = row_town()
    plan = plan_districts(
        blocks, schools, levels=("primary",), allow_over_capacity=True, time_limit_s=5
    )
    written = _district_checks(plan, tmp_path, lang=lang)
    text = (tmp_path / "district_diagnosis.txt").read_text(encoding="utf-8")
    assert tmp_path / "district_diagnosis.txt" in written
    assert text.splitlines()[0] == "primary: contiguity"
    body = text.splitlines()[1:3]
    if lang == "zh":
        assert body[0].startswith("连片:连片学区至少需要增加 3 个班") and "School B" in body[0]
        assert body[1].startswith("最少增班数:3 个(已证明最少)")
        assert "。 " not in text  # no space between Chinese sentences
    else:
        assert body == plan.diagnoses["primary"].message.splitlines()


def test_the_shortage_and_extra_class_tables_have_chinese_headers(tmp_path: Path) -> None:
    """District_shortages' ``short`` and district_extra_classes' ``extra_classes_<band>`` read in
    Chinese with ``lang: zh``, as every other header does."""
    import openpyxl

    from geoplan.outputs.plan_files import _district_checks

    blocks, schools = row_town()
    plan = plan_districts(
        blocks, schools, levels=("primary",), allow_over_capacity=True, time_limit_s=5
    )
    _district_checks(plan, tmp_path, lang="zh")
    headers = {}
    for name in ("district_shortages", "district_extra_classes"):
        sheet = openpyxl.load_workbook(tmp_path / f"{name}.xlsx").active
        headers[name] = [c.value for c in sheet[1]]
    assert headers["district_shortages"] == ["编号", "学生数", "学位数", "缺少学位数"]
    assert "1-3年级增加班数" in headers["district_extra_classes"]
    assert not [h for row in headers.values() for h in row if str(h).isascii()]


def test_two_schools_in_a_block_that_touches_nothing_point_to_the_gap_tolerance() -> None:
    """Street blocks drawn apart (20 m streets) and two schools in one block: the fix names
    districts.gap_tolerance_m, the cause (no block touches another), and reads in Chinese."""
    blocks, schools = row_town(pupils=10.0)
    streets = blocks.set_geometry(blocks.geometry.buffer(-10, join_style="mitre"))
    schools = schools.set_geometry(shapely.points([(40, 50), (60, 50)]), crs=schools.crs)
    with pytest.raises(InfeasibleError) as info:
        plan_districts(streets, schools, levels=("primary",), method="exact", time_limit_s=5)
    [problem] = info.value.problems
    assert problem.code == "districts_shared_block_alone"
    assert "5 of the map's 5 blocks touch none" in problem.message
    assert "districts.gap_tolerance_m" in problem.fix
    message, fix = _chinese(problem)
    assert "5 个街区中有 5 个" in message and "districts.gap_tolerance_m" in fix
    # the same schools on the map with its streets closed up: B anchors on a free neighbour
    plan = plan_districts(
        streets, schools, levels=("primary",), method="exact", time_limit_s=5, gap_tolerance_m=30
    )
    assert set(plan.blocks["school_primary"]) == {"sA", "sB"}


def test_lone_blocks_are_named_with_their_gap_by_the_districts_own_rule() -> None:
    """A row block moved 5 m off its row and one meeting the row at a corner touch none; the
    warning lists each with the metres to its nearest block, and the rule's tolerances decide."""
    from geoplan.models.districts import lone_block_problems

    blocks, _ = row_town()
    assert lone_block_problems(blocks) == []
    geoms = list(blocks.geometry)
    geoms[4] = shapely.affinity.translate(geoms[4], xoff=5.0)  # r4: 5 m east of r3
    geoms[0] = shapely.affinity.translate(geoms[0], yoff=100.0)  # r0: meets r1 at a corner
    moved = blocks.set_geometry(geoms, crs=blocks.crs)
    [problem] = lone_block_problems(moved, file="blocks.gpkg")
    assert (problem.code, problem.severity, problem.file) == (
        "blocks_touch_none",
        "warning",
        "blocks.gpkg",
    )
    assert problem.message.startswith("2 of the 5 blocks touch no other block")
    assert "r0 (Row 0): 0.0, r4 (Row 4): 5.0" in problem.message
    assert "districts.gap_tolerance_m = 2 m" in problem.message
    assert "raise districts.gap_tolerance_m in the scenario" in problem.fix
    message, fix = _chinese(problem)
    assert "5 个街区中有 2 个" in message and "r4 (Row 4): 5.0" in message
    assert "districts.gap_tolerance_m" in fix and "修改街区图" in fix
    # the rule is the districts': a tolerance of 6 m joins r4, the corner stays a corner
    [wider] = lone_block_problems(moved, gap_tolerance_m=6.0)
    assert wider.message.startswith("1 of the 5 blocks") and "r0 (Row 0): 0.0" in wider.message


def test_a_pair_to_remove_that_is_no_pair_is_a_coded_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """r0 and r2 of the row town do not touch (r1 lies between): nothing to remove, said so."""
    blocks, schools = row_town(pupils=10.0)
    with caplog.at_level("WARNING", logger="geoplan.models.districts"):
        plan = plan_districts(
            blocks, schools, levels=("primary",), remove_pairs=[("r0", "r2")], time_limit_s=5
        )
    [warning] = plan.warnings
    assert (warning.code, warning.severity) == ("district_pair_not_neighbours", "warning")
    assert (warning.layer, warning.row_id, warning.column) == (
        "blocks",
        "r0,r2",
        "districts.remove_pairs",
    )
    assert warning.message == (
        "Blocks r0 and r2 are not neighbours; districts.remove_pairs has nothing to remove."
    )
    assert (
        _chinese(warning)[0]
        == "街区 r0 和 r2 并不相邻;districts.remove_pairs 没有可去掉的相邻关系。"
    )
    assert plan.adjacency["used"].all() and len(plan.adjacency) == 4  # the map as measured
    assert caplog.text.count("are not neighbours") == 1


def test_a_level_answered_with_extra_classes_keeps_its_diagnosis_as_warnings() -> None:
    """With allow_over_capacity the row town's plan is an answer; why it had none and the least
    extra classes are warnings of the plan, at the field to change, in both languages."""
    blocks, schools = row_town()
    plan = plan_districts(
        blocks, schools, levels=("primary",), method="exact", allow_over_capacity=True,
        time_limit_s=5,
    )  # fmt: skip
    codes = [p.code for p in plan.warnings]
    assert codes == [
        "districts_no_contiguous_plan",
        "districts_diag_contiguity",
        "districts_diag_least",
    ]
    assert {p.severity for p in plan.warnings} == {"warning"}
    assert {p.column for p in plan.warnings} == {"districts.extra_classes"}
    assert plan.warnings[1:] == tuple(
        replace(p, severity="warning", column="districts.extra_classes")
        for p in plan.diagnoses["primary"].problems
    )
    assert _chinese(plan.warnings[2])[0].startswith("最少增班数:3 个(已证明最少)")


def _nine_year_and_middle_town() -> tuple[Any, Any]:
    """Three 100 m blocks in a row, 40 pupils of grades 1-3 and 40 of 7-9 in each.

    Nine-year school N on r0 (places for one block of primary pupils, two of middle), primary
    school P on r1 (two blocks) and middle school M on r2 (one block). Alone, primary is
    N {r0}, P {r1, r2} and middle N {r0, r1}, M {r2}; nested, P's district {r1, r2} would lie
    in one middle district: no such plan exists.
    """
    blocks, _ = row_town()
    blocks = blocks.iloc[:3].copy()
    blocks["pupils_g7_9"] = 40.0
    schools = gpd.GeoDataFrame(
        {
            "name": ["School N", "School P", "School M"],
            "kind": ["nine_year", "primary", "middle"],
            "status": "open",
            "classes_g1_3": [1, 2, 0],
            "classes_g4_6": [1, 1, 0],
            "classes_g7_9": [2, 0, 1],
        },
        index=pd.Index(["sN", "sP", "sM"], name="id"),
        geometry=shapely.points([(50, 50), (150, 50), (250, 50)]),
        crs=blocks.crs,
    )
    return blocks, schools


def test_no_nested_plan_is_refused_wholly_from_the_catalogue() -> None:
    blocks, schools = _nine_year_and_middle_town()
    for level in ("primary", "middle"):  # each level alone has a plan
        plan_districts(blocks, schools, levels=(level,), method="exact", time_limit_s=5)
    with pytest.raises(InfeasibleError) as info:
        plan_districts(blocks, schools, feeders=True, method="exact", time_limit_s=5)
    lead, cause = info.value.problems
    assert (lead.code, cause.code) == ("districts_feeders_infeasible", "districts_feeders_cause")
    assert {(p.column, p.value) for p in (lead, cause)} == {("districts.feeders", "true")}
    assert str(info.value) == "\n".join(f"{p.message} Fix: {p.fix}" for p in (lead, cause))
    assert _chinese(lead)[0].startswith("对口(feeders):没有方案能在学位、连片和各项限制内")
    assert _chinese(cause)[0].startswith("没有满足学位、连片和各项限制的嵌套方案")
