"""Planning-rule arithmetic: class sizes and oversized classes, worked by hand."""

from __future__ import annotations

import pytest

from geoplan.rules import (
    BANDS_BY_KIND,
    SCHOOL_KINDS,
    PlanningRules,
    class_sizes,
    classes_needed,
    oversized_classes,
)


def test_pupils_spread_evenly_over_classes() -> None:
    assert class_sizes(113, 2) == [57, 56]
    assert class_sizes(90, 2) == [45, 45]
    assert class_sizes(0, 3) == [0, 0, 0]
    assert sum(class_sizes(1001, 17)) == 1001


@pytest.mark.parametrize(
    ("pupils", "classes", "expected"),
    [
        (110, 2, (0, 0)),  # 55 + 55: at the limit, not oversized
        (112, 2, (2, 0)),  # 56 + 56: both oversized
        (111, 2, (1, 0)),  # 56 + 55
        (132, 2, (2, 2)),  # 66 + 66: severely oversized too
        (131, 2, (2, 1)),  # 66 + 65
        (0, 0, (0, 0)),
    ],
)
def test_oversized_classes(pupils: int, classes: int, expected: tuple[int, int]) -> None:
    assert oversized_classes(pupils, classes) == expected


def test_classes_needed() -> None:
    assert classes_needed(0, 45) == 0
    assert classes_needed(45, 45) == 1
    assert classes_needed(46, 45) == 2


def test_class_size_limit_by_kind() -> None:
    rules = PlanningRules()
    assert rules.limit_for("primary", "g1_3") == 45
    assert rules.limit_for("nine_year", "g7_9") == 50
    assert rules.limit_for("teaching_point", "g1_3") == 30
    assert set(BANDS_BY_KIND) == set(SCHOOL_KINDS)


def test_teachers_needed_one_per_class_and_by_ratio() -> None:
    rules = PlanningRules()  # 15 pupils per teacher
    # 62 pupils in 3 classes: ratio wins (5); 20 pupils in 4 classes: classes win (4); 0 -> 0.
    assert rules.teachers_needed([62, 20, 0], [3, 4, 0]).tolist() == [5, 4, 0]
    assert rules.teachers_needed(45, 1) == 3


def test_school_limits_own_value_else_rule_by_kind() -> None:
    import pandas as pd

    schools = pd.DataFrame(
        {"kind": ["nine_year", "teaching_point", "middle"], "class_size_limit": [40, None, None]}
    )
    limits = PlanningRules().school_limits(schools)
    assert limits.tolist() == [[40, 40, 40], [30, 30, 30], [45, 45, 50]]
    no_column = PlanningRules().school_limits(schools.drop(columns="class_size_limit"))
    assert no_column[0].tolist() == [45, 45, 50]
