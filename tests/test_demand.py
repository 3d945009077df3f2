"""Tests of pupil projections: cohort ageing worked by hand, growth, migration to town."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoplan.errors import ValidationError
from geoplan.plan.demand import PUPIL_COLUMNS, TownMigration, project_pupils, pupils_by_year


def _villages() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "township": ["t1", "town"],
            "pupils_g1_3": [30, 60],
            "pupils_g4_6": [15, 30],
            "pupils_g7_9": [9, 30],
        },
        index=pd.Index(["A", "T"], name="id"),
    )


def test_cohort_ageing_worked_by_hand() -> None:
    # Year 1: a third of each band moves up: g1_3 30 -> 20 + intake 12 = 32; g4_6 15 -> 10 + 10
    # = 20; g7_9 9 -> 6 + 5 = 11. Year 2: 64/3 + 12 = 100/3; 40/3 + 32/3 = 24; 22/3 + 20/3 = 14.
    proj = project_pupils(_villages(), years=[2014, 2015, 2016], intake={"A": 12})
    a = proj.loc["A"]
    assert list(a.index) == [2014, 2015, 2016]
    np.testing.assert_allclose(a.loc[2014].to_numpy(), [30, 15, 9])
    np.testing.assert_allclose(a.loc[2015].to_numpy(), [32, 20, 11])
    np.testing.assert_allclose(a.loc[2016].to_numpy(), [100 / 3, 24, 14])


def test_default_intake_keeps_grades_1_3_steady() -> None:
    proj = project_pupils(_villages(), years=5)
    np.testing.assert_allclose(proj.xs("A", level="id")["pupils_g1_3"].to_numpy(), 30.0)
    # g4_6 tends to g1_3: 15 -> 20 -> 23.33...
    np.testing.assert_allclose(proj.loc[("A", 2), "pupils_g4_6"], 15 * 4 / 9 + 10 * 2 / 3 + 10)


def test_growth_by_township_worked_by_hand() -> None:
    proj = project_pupils(_villages(), years=2, intake={"A": 12}, growth_by_township={"t1": 0.1})
    np.testing.assert_allclose(proj.loc[("A", 1)].to_numpy(), [35.2, 22.0, 12.1])
    np.testing.assert_allclose(proj.loc[("A", 2)].to_numpy(), [40.3333333, 29.04, 16.94])
    # The town does not grow.
    np.testing.assert_allclose(proj.loc[("T", 1)].to_numpy(), [60, 40, 30])


def test_migration_to_town_worked_by_hand_and_conserves_pupils() -> None:
    proj = project_pupils(_villages(), years=1, migration_to_town=TownMigration("town", 0.1))
    np.testing.assert_allclose(proj.loc[("A", 1)].to_numpy(), [27, 18, 9.9])
    np.testing.assert_allclose(proj.loc[("T", 1)].to_numpy(), [63, 42, 31.1])
    more = project_pupils(_villages(), years=6, migration_to_town=TownMigration("town", 0.05))
    plain = project_pupils(_villages(), years=6)
    totals = more.groupby(level="year").sum()
    np.testing.assert_allclose(totals.to_numpy(), plain.groupby(level="year").sum().to_numpy())


def test_inputs_not_mutated_and_wide_view() -> None:
    villages = _villages()
    before = villages.copy()
    proj = project_pupils(villages, years=3)
    pd.testing.assert_frame_equal(villages, before)
    wide = pupils_by_year(proj, "g7_9")
    assert list(wide.index) == ["A", "T"]
    assert list(wide.columns) == [0, 1, 2, 3]
    assert list(proj.columns) == list(PUPIL_COLUMNS)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"years": -1},
        {"years": [2016, 2015]},
        {"years": 2, "growth_by_township": {"t1": -1.5}},
        {"years": 2, "migration_to_town": TownMigration("nowhere", 0.1)},
        {"years": 2, "intake": {"Z": 3}},
    ],
)
def test_bad_inputs_raise_validation_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        project_pupils(_villages(), **kwargs)  # type: ignore[arg-type]
