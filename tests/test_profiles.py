"""Tests of geoplan.outputs.profiles: numbers worked by hand, pages offline and escaped,
Chinese PDF."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from browser import check_map_in_browser
from conftest import HOSTILE_NAME, build_tiny_area, build_tiny_graph

from geoplan.outputs import profiles
from geoplan.plan.pipeline import PlanResult, PlanSettings, make_plan

CHINESE_NAME = "阿拉沟乡中心小学"


def test_numbers_by_hand(hostile_plan: PlanResult) -> None:
    table = profiles.school_profiles(hostile_plan)
    s1 = table.loc["S1"]  # central primary: 3 + 3 classes, 90 and 80 pupils, limit 45
    assert s1["capacity_g1_3"] == 135 and s1["capacity_g4_6"] == 135
    assert s1["oversized_g1_3"] == 0 and s1["classes_short_g1_3"] == 0
    assert "enrolment_g7_9" not in s1 or s1.isna()["enrolment_g7_9"]
    tp = table.loc["S3"]  # teaching point: 3 classes of at most 30, 90 pupils
    assert tp["capacity_g1_3"] == 90


def test_oversized_and_lacks_by_hand(tmp_path: Path) -> None:
    area = build_tiny_area()
    schools = area.schools.copy()
    schools.loc["S1", "enrolment_g1_3"] = 170  # 3 classes: 57, 57, 56 -> 3 oversized
    schools.loc["S1", "boarding_beds"] = 0
    area = dataclasses.replace(area, schools=schools)
    result = make_plan(
        area, graph=build_tiny_graph(), settings=PlanSettings(restore=False, cache_dir=tmp_path)
    )
    row = profiles.school_profiles(result).loc["S1"]
    assert (row["oversized_g1_3"], row["severe_g1_3"]) == (3, 0)
    projected = row["projected_g1_3"]
    assert row["classes_short_g1_3"] == max(0, -(-max(170, projected) // 45) - 3)
    assert row["places_short_g1_3"] >= 170 - 135
    assert row["beds_short"] == row["boarders"]  # no beds at all
    lacks = " ".join(profiles._lacks(row, "en"))
    assert "more classes" in lacks and "more places" in lacks


def test_file_stem_is_safe() -> None:
    assert profiles.file_stem("S01") == "school_S01"
    for bad in ("../etc/passwd", "a b", HOSTILE_NAME, "学校"):
        stem = profiles.file_stem(bad)
        assert "/" not in stem and "<" not in stem and " " not in stem
    assert profiles.file_stem("a/b") != profiles.file_stem("a_b")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_index_and_profile_pages_offline_and_escaped(
    hostile_plan: PlanResult, tmp_path: Path, lang: str
) -> None:
    written = profiles.write_profiles(
        hostile_plan, tmp_path, lang=lang, pdf=False, schools=["S1", "S2"]
    )
    assert written[0].name == "index.html"
    assert len(written) == 3
    for path in written[:2]:  # the index and the hostile-named school's page
        assert HOSTILE_NAME not in path.read_text(encoding="utf-8")
        report = check_map_in_browser(path, max_per_layer=2)
        assert HOSTILE_NAME in report.page_text
        assert any(HOSTILE_NAME in t for t in report.tooltip_texts)
        if lang == "zh":
            assert "模拟数据" in report.page_text
    index = written[0].read_text(encoding="utf-8")
    assert 'href="school_S1.html"' in index and 'href="school_S1.pdf"' in index


@pytest.mark.cjk_font
@pytest.mark.poppler
def test_chinese_pdf_profile_has_extractable_chinese(tmp_path: Path) -> None:
    area = build_tiny_area(school_name=CHINESE_NAME)
    result = make_plan(
        area, graph=build_tiny_graph(), settings=PlanSettings(restore=False, cache_dir=tmp_path)
    )
    row = profiles.school_profiles(result).loc["S1"]
    pdf = profiles.profile_pdf(result, "S1", row, tmp_path / "s1.pdf", lang="zh")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert CHINESE_NAME in text
    assert "缺什么补什么" in text and "模拟数据" in text


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig's fc-list is not installed")
def test_chinese_pdfs_are_left_out_with_one_warning_without_a_cjk_font(
    no_cjk_font: None, hostile_plan: PlanResult, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="geoplan.outputs.profiles"):
        written = profiles.write_profiles(hostile_plan, tmp_path, lang="zh", schools=["S1", "S2"])
    assert [p.suffix for p in written] == [".html"] * 3
    assert caplog.text.count("no CJK font") == 1 and "fonts-noto-cjk" in caplog.text
