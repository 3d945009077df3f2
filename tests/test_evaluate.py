"""Tests of shared indicators on hand-built villages × schools minute tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoplan.errors import ValidationError
from geoplan.plan.evaluate import assign_pupils, school_load, township_indicators, unserved_villages


def _case() -> tuple[pd.DataFrame, dict[str, pd.DataFrame], pd.DataFrame]:
    villages = pd.DataFrame(
        {
            "township": ["t1", "t1", "t2"],
            "pupils_g1_3": [20, 10, 5],
            "pupils_g4_6": [18, 9, 4],
            "pupils_g7_9": [15, 6, 3],
        },
        index=pd.Index(["v1", "v2", "v3"], name="id"),
    )
    schools = pd.DataFrame(
        {
            "kind": ["nine_year", "primary", "teaching_point"],
            "township": ["t1", "t2", "t2"],
            "boarding_beds": [100, 0, 0],
            "status": ["open", "open", "closed"],
        },
        index=pd.Index(["S", "P", "TP"], name="id"),
    )
    walk = pd.DataFrame(
        [[10.0, 80.0, 50.0], [40.0, 35.0, 20.0], [np.inf, 50.0, 5.0]],
        index=villages.index,
        columns=schools.index,
    )
    bus = pd.DataFrame(
        [[5.0, 30.0, 20.0], [20.0, 15.0, 10.0], [70.0, 20.0, 3.0]],
        index=villages.index,
        columns=schools.index,
    )
    return villages, {"g1_3": walk, "g4_6": walk, "g7_9": bus}, schools


def test_assignment_nearest_open_with_boarding_rule() -> None:
    villages, minutes, schools = _case()
    a = assign_pupils(villages, minutes, schools)
    # v1: S in 10 min for every band.
    assert a.loc[("v1", "g1_3"), "school"] == "S"
    assert a.loc[("v1", "g1_3"), "status"] == "day"
    # v2 g1_3: nearest open is P at 35 > 30 and P has no beds -> boards at the nearest school
    # with beds, S at 40.
    assert a.loc[("v2", "g1_3"), "school"] == "S"
    assert a.loc[("v2", "g1_3"), "status"] == "boards"
    assert a.loc[("v2", "g1_3"), "journey_min"] == 40
    # v2 g4_6: P at 35 <= 45 -> day.
    assert a.loc[("v2", "g4_6"), "status"] == "day"
    # v2 g7_9: only S teaches it (20 min) -> day; v3 g7_9: S at 70 > 60, S has beds -> boards.
    assert a.loc[("v3", "g7_9"), "status"] == "boards"
    assert a.loc[("v3", "g7_9"), "journey_min"] == 70
    # v3 g1_3: P at 50 -> unserved: no school with beds is reachable (the closed teaching point
    # does not count).
    assert a.loc[("v3", "g1_3"), "school"] == "P"
    assert a.loc[("v3", "g1_3"), "status"] == "unserved"
    restored = assign_pupils(villages, minutes, schools, open_ids=["S", "P", "TP"])
    assert restored.loc[("v3", "g1_3"), "school"] == "TP"
    assert restored.loc[("v3", "g1_3"), "status"] == "day"
    # A teaching point does not teach grades 4-6.
    assert restored.loc[("v3", "g4_6"), "school"] == "P"


def test_school_load_and_township_indicators_by_hand() -> None:
    villages, minutes, schools = _case()
    a = assign_pupils(villages, minutes, schools)
    load = school_load(a, schools)
    # S: g1_3 20 + 10 boarders from v2, g4_6 18, g7_9 15+6+3 = 24 (3 boarders) -> 1+1+1
    # classes; 72 pupils / 15 -> 5 teachers.
    assert load.loc["S", "enrolment_g1_3"] == 30
    assert load.loc["S", "enrolment_g7_9"] == 24
    assert load.loc["S", "boarders"] == 13
    assert load.loc["S", "classes_needed"] == 3
    assert load.loc["S", "teachers_needed"] == 5
    # P: g4_6 9 + 4 = 13 (g1_3 of v2, v3 unserved) -> 1 class, 1 teacher.
    assert load.loc["P", "teachers_needed"] == 1
    ind = township_indicators(a, schools, cost_by_township=pd.Series({"t2": 5.0}))
    assert ind.loc["t1", "pupils_g1_3"] == 30
    assert ind.loc["t1", "within_limit_g1_3"] == 20
    assert ind.loc["t1", "young_beyond_limit"] == 10
    assert ind.loc["t2", "young_beyond_limit"] == 5
    assert ind.loc["t2", "boarders"] == 3
    assert ind.loc["t1", "boarders"] == 10
    assert ind.loc["t1", "unserved"] == 0
    assert ind.loc["t1", "mean_journey_g1_3_min"] == pytest.approx((20 * 10 + 10 * 40) / 30)
    assert ind.loc["t1", "worst_journey_g7_9_min"] == 20
    assert ind.loc["t1", "teachers_needed"] == 5
    assert ind.loc["t2", "teachers_needed"] == 1
    assert ind.loc["t2", "cost_yuan"] == 5.0
    assert ind.loc["t1", "cost_yuan"] == 0.0


def test_unserved_list() -> None:
    villages, minutes, schools = _case()
    a = assign_pupils(villages, minutes, schools)
    todo = unserved_villages(a)
    # v3 g4_6: P at 50 min > 45 and P has no beds.
    assert list(todo.index) == [("v2", "g1_3"), ("v3", "g1_3"), ("v3", "g4_6")]
    assert list(todo["reason"]) == ["young_beyond_limit", "young_beyond_limit", "unserved"]
    assert list(todo["pupils"]) == [10, 5, 4]
    assert todo.loc[("v2", "g1_3"), "assigned_school"] == "S"  # boards there
    assert todo.loc[("v3", "g1_3"), "journey_min"] == 50


def test_unreachable_and_bad_input() -> None:
    villages, minutes, schools = _case()
    a = assign_pupils(villages, minutes, schools, open_ids=["S"])
    assert pd.isna(a.loc[("v3", "g1_3"), "school"])
    assert a.loc[("v3", "g1_3"), "status"] == "unserved"
    with pytest.raises(ValidationError):
        assign_pupils(villages, {"g1_3": minutes["g1_3"]}, schools)
