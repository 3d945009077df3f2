"""County summary and school capacity, against numbers worked by hand from tests/data/good/tiny."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geoplan.data.area import PlanningArea
from geoplan.data.readers import read_planning_area
from geoplan.outputs.plan_files import write_table
from geoplan.plan.summary import county_summary, school_capacity, school_oversized

TINY = Path(__file__).parent / "data" / "good" / "tiny"


@pytest.fixture(scope="module")
def tiny() -> PlanningArea:
    return read_planning_area(TINY)


def test_school_capacity_is_classes_times_the_limit_by_kind(tiny: PlanningArea) -> None:
    places = school_capacity(tiny.schools)
    # S1 central primary: 3 + 3 classes of 45; S2 teaching point: 2 classes of 30 (grades 1-3 only);
    # S3 middle: 3 classes with its own limit of 50.
    assert places.loc["S1"].tolist() == [135, 135, 0]
    assert places.loc["S2"].tolist() == [60, 0, 0]
    assert places.loc["S3"].tolist() == [0, 0, 150]


def test_planned_classes_count_only_when_asked(tiny: PlanningArea) -> None:
    schools = tiny.schools.copy()
    schools.loc["S1", "planned_classes_g1_3"] = 2
    assert school_capacity(schools).loc["S1", "places_g1_3"] == 135
    assert school_capacity(schools, planned=True).loc["S1", "places_g1_3"] == 225
    assert tiny.schools.loc["S1", "planned_classes_g1_3"] == 0  # input not mutated


def test_oversized_classes_per_school(tiny: PlanningArea) -> None:
    schools = tiny.schools.copy()
    schools.loc["S1", "enrolment_g1_3"] = 170  # 57 + 57 + 56 in 3 classes: all oversized
    schools.loc["S3", "enrolment_g7_9"] = 200  # 67 + 67 + 66: oversized and severely
    over = school_oversized(schools)
    assert over.loc["S1"].tolist() == [3, 0]
    assert over.loc["S2"].tolist() == [0, 0]
    assert over.loc["S3"].tolist() == [3, 3]


def test_county_summary_adds_up(tiny: PlanningArea) -> None:
    summary = county_summary(tiny)
    villages = pd.read_csv(TINY / "villages.csv")
    assert summary.loc["total", "villages"] == len(villages)
    blocks = tiny.blocks
    for band, column in (("g1_3", "1-3年级人数"), ("g4_6", "4-6年级人数"), ("g7_9", "7-9年级人数")):
        expected = int(villages[column].sum()) + int(blocks[f"pupils_{band}"].sum())
        assert summary.loc["total", f"pupils_{band}"] == expected
    assert summary.loc["total", "open_schools"] == 3
    assert summary.loc["total", "places_g1_3"] == 135 + 60
    assert summary.loc["total", "sites"] == 2
    assert summary.loc["T2", "sites"] == 2
    assert summary.loc["total", "township"] == "County total"


def test_the_summary_csv_writes_counts_as_whole_numbers(tiny: PlanningArea, tmp_path: Path) -> None:
    """Counts summed as floats read '195' in the CSV as in the workbook, not '195.0'."""
    summary = county_summary(tiny).astype({"places_g1_3": float})
    summary.loc["T1", "sites"] = float("nan")
    summary["share"] = [0.5] + [2.0] * (len(summary) - 1)
    write_table(summary, tmp_path / "county_summary")
    text = (tmp_path / "county_summary.csv").read_text(encoding="utf-8-sig")
    header, *rows = [line.split(",") for line in text.splitlines()]
    total = dict(zip(header, next(r for r in rows if r[0] == "total"), strict=True))
    assert total["places_g1_3"] == "195" and total["share"] == "2"
    t1 = dict(zip(header, next(r for r in rows if r[0] == "T1"), strict=True))
    assert t1["sites"] == "" and t1["share"] == "0.5000"  # a share: 4 places
    back = pd.read_csv(tmp_path / "county_summary.csv", encoding="utf-8-sig", index_col=0)
    assert back.loc["total", "places_g1_3"] == 195
