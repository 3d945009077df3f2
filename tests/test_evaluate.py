"""Tests of shared indicators on hand-built villages × schools minute tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoplan.errors import ValidationError
from geoplan.plan.evaluate import (
    VILLAGE_COLUMNS,
    assign_pupils,
    journey_figures,
    school_load,
    township_indicators,
    unserved_villages,
    village_journeys,
    weighted_quantile,
)


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
    assert ind.loc["t1", "day_pupils_g1_3"] == 20
    assert ind.loc["t1", "young_beyond_limit"] == 10
    assert ind.loc["t2", "young_beyond_limit"] == 5
    assert ind.loc["t2", "boarders"] == 3
    assert ind.loc["t1", "boarders"] == 10
    assert ind.loc["t1", "unserved"] == 0
    # Day pupils only: the boarders of v2 (40 min on foot) are not in the daily journey.
    assert ind.loc["t1", "day_mean_journey_g1_3_min"] == 10
    assert ind.loc["t1", "day_longest_journey_g7_9_min"] == 20
    assert ind.loc["t1", "boarders_g1_3"] == 10 and ind.loc["t2", "unserved_g1_3"] == 5
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
    assert todo.loc[("v3", "g1_3"), "unserved_journey_min"] == 50
    assert pd.isna(todo.loc[("v2", "g1_3"), "unserved_journey_min"])  # a boarder: no walk shown


def test_unreachable_and_bad_input() -> None:
    villages, minutes, schools = _case()
    a = assign_pupils(villages, minutes, schools, open_ids=["S"])
    assert pd.isna(a.loc[("v3", "g1_3"), "school"])
    assert a.loc[("v3", "g1_3"), "status"] == "unserved"
    with pytest.raises(ValidationError):
        assign_pupils(villages, {"g1_3": minutes["g1_3"]}, schools)


def _with_trips() -> pd.DataFrame:
    """The case with modes named and the bus table as the boarders' weekly trip."""
    villages, minutes, schools = _case()
    modes = {"g1_3": "child_walk", "g4_6": "pupil_walk", "g7_9": "school_bus"}
    return assign_pupils(
        villages,
        minutes,
        schools,
        modes=modes,
        trip_minutes=minutes["g7_9"],
        trip_mode="school_bus",
    )


def test_day_pupils_and_boarders_apart_by_hand() -> None:
    a = _with_trips()
    # v2 g1_3 boards at S: 40 min on foot (the rule's input), weekly trip by bus 20 min.
    row = a.loc[("v2", "g1_3")]
    assert row["status"] == "boards" and row["mode"] == "school_bus"
    assert pd.isna(row["day_journey_min"]) and row["weekly_trip_min"] == 20
    # v1 g1_3 is a day pupil walking 10 min.
    row = a.loc[("v1", "g1_3")]
    assert row["mode"] == "child_walk" and row["day_journey_min"] == 10
    assert pd.isna(row["weekly_trip_min"])
    # v3 g1_3 unserved: neither journey.
    row = a.loc[("v3", "g1_3")]
    assert pd.isna(row["day_journey_min"]) and pd.isna(row["weekly_trip_min"])
    plan = journey_figures(a)
    # grades 1-3: 20 day pupils at 10 min; 10 boarders, weekly trip 20; 5 unserved.
    g13 = plan.loc["g1_3"]
    assert (g13["pupils"], g13["day_pupils"], g13["boarders"], g13["unserved"]) == (35, 20, 10, 5)
    assert g13["day_mean_journey_min"] == 10 and g13["day_longest_journey_min"] == 10
    assert g13["boarder_mean_weekly_trip_min"] == 20
    # grades 4-6: day v1 18 pupils at 10, v2 9 at 35; v3 (4) unserved.
    g46 = plan.loc["g4_6"]
    assert g46["day_mean_journey_min"] == pytest.approx((18 * 10 + 9 * 35) / 27)
    assert g46["day_median_journey_min"] == 10  # 18 of 27 pupils walk 10 min
    assert g46["day_p90_journey_min"] == 35 and g46["day_longest_journey_min"] == 35
    assert np.isnan(g46["boarder_mean_weekly_trip_min"]) and g46["unserved"] == 4
    # grades 7-9: v3's 3 pupils board at S, 70 min by bus.
    g79 = plan.loc["g7_9"]
    assert g79["boarders"] == 3 and g79["boarder_longest_weekly_trip_min"] == 70
    assert g79["day_longest_journey_min"] == 20
    by_school = journey_figures(a, by="school")
    assert by_school.loc[("S", "g1_3"), "boarders"] == 10
    assert by_school.loc[("P", "g1_3"), "unserved"] == 5
    rows = village_journeys(a)
    assert list(rows.columns) == list(VILLAGE_COLUMNS)
    assert "journey_min" not in rows.columns  # a boarder's walking time is never shown


def test_weighted_quantile_against_one_row_per_pupil() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(1, 8))
        values = rng.integers(0, 60, n).astype(float)
        weights = rng.integers(0, 6, n)
        pupils = np.repeat(values, weights)
        for q in (0.1, 0.5, 0.9, 1.0):
            got = weighted_quantile(values, weights.astype(float), q)
            if len(pupils) == 0:
                assert np.isnan(got)
            else:
                assert got == np.quantile(pupils, q, method="inverted_cdf")
