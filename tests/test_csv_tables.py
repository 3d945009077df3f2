"""Tests of geoplan.csv_tables: the one rule every CSV a planner opens is written by."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoplan.csv_tables import (
    CSV_ENCODING,
    FRACTION_DECIMALS,
    GAP_SIGNIFICANT,
    MEASURED_DECIMALS,
    YUAN_DECIMALS,
    Precision,
    plain_numbers,
    unit_precision,
    write_csv,
)
from geoplan.errors import ArgumentError


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pupils": [12.0, np.nan, 3.0],  # counts summed as floats, one missing
            "time_min": [12.3456, 30.0, 11.999],  # minutes: one whole, one that rounds to whole
            "share": [0.125, 0.5, np.inf],  # no whole value at all
            "name": ["巴音布鲁克", "Khar Uzen", "c"],
            "classes": [1, 2, 3],
            "open": [True, False, True],
        },
        index=pd.Index(["V01", "V02", "V03"], name="id"),
    )


def _cells(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding=CSV_ENCODING, newline="") as f:
        rows = list(csv.reader(f))
    return {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}


def test_counts_are_whole_and_fractions_keep_the_tables_places(tmp_path: Path) -> None:
    path = write_csv(_table(), tmp_path / "t.csv", decimals=2)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese
    cells = _cells(path)
    assert cells["V01"] == {
        "id": "V01", "pupils": "12", "time_min": "12.35", "share": "0.12",
        "name": "巴音布鲁克", "classes": "1", "open": "True",
    }  # fmt: skip
    assert cells["V02"]["pupils"] == "" and cells["V02"]["time_min"] == "30"
    assert cells["V02"]["share"] == "0.50"  # a fraction keeps its places, as "%.2f" wrote it
    assert cells["V03"]["time_min"] == "12"  # 11.999 to 2 places is 12.00: written whole
    assert cells["V03"]["share"] == "inf"


def test_each_column_rounded_by_its_unit(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "day_journey_min": [26.380773544311523, 30.0, np.nan],
            "shared_m": [227.3149, 0.004, 12.5],  # "shared" is not the word "share"
            "cost_yuan": [104769.23, 2190000.0, 0.5],  # whole yuan: 0.5 rounds to even, 0
            "share_kept": [0.7519440124416796, 1.0, 0.00004],
            "utilisation_primary": [0.9800766283524904, 0.25, 0.0],
            "gap": [0.0016298205440958215, 0.00030051274950289845, 0.0],
            "gap_m": [1.23456, 0.0, 2.0],  # metres, not a solver's gap
            "avg_class_size_g1_3": [43.357142857142854, 44.8, 41.75],
        },
        index=pd.Index(["a", "b", "c"], name="id"),
    )
    cells = _cells(write_csv(table, tmp_path / "t.csv"))
    assert cells["a"] == {
        "id": "a", "day_journey_min": "26.38", "shared_m": "227.31", "cost_yuan": "104769",
        "share_kept": "0.7519", "utilisation_primary": "0.9801", "gap": "0.00163",
        "gap_m": "1.23", "avg_class_size_g1_3": "43.36",
    }  # fmt: skip
    assert cells["b"] == {
        "id": "b", "day_journey_min": "30", "shared_m": "0", "cost_yuan": "2190000",
        "share_kept": "1", "utilisation_primary": "0.2500", "gap": "0.0003005", "gap_m": "0",
        "avg_class_size_g1_3": "44.80",
    }  # fmt: skip
    assert cells["c"]["day_journey_min"] == "" and cells["c"]["cost_yuan"] == "0"
    assert cells["c"]["share_kept"] == "0" and cells["c"]["shared_m"] == "12.50"


@pytest.mark.parametrize(
    ("name", "digits", "significant"),
    [
        ("weekly_trip_min", MEASURED_DECIMALS, False),
        ("distance_km", MEASURED_DECIMALS, False),
        ("seconds", MEASURED_DECIMALS, False),
        ("restoration_cost_yuan", YUAN_DECIMALS, False),
        ("Yuan", YUAN_DECIMALS, False),
        ("districts_primary_share_kept", FRACTION_DECIMALS, False),
        ("rotation_share", FRACTION_DECIMALS, False),
        ("districts_middle_solver_gap", GAP_SIGNIFICANT, True),
        ("gap_tolerance_m", MEASURED_DECIMALS, False),
        ("shared_m", MEASURED_DECIMALS, False),
    ],
)
def test_unit_precision(name: str, digits: int, significant: bool) -> None:
    assert unit_precision(name) == Precision(digits, significant=significant)


def test_a_gap_keeps_its_significant_digits_and_is_recomputed_from_its_bounds() -> None:
    objective, bound = 84367.74897909164, 84230.2446885464
    gap = (objective - bound) / objective
    exact = {"objective_pupil_min": objective, "bound_pupil_min": bound, "gap": gap}
    shown = {k: float(unit_precision(k).text(v)) for k, v in exact.items()}
    again = (shown["objective_pupil_min"] - shown["bound_pupil_min"]) / shown["objective_pupil_min"]
    assert abs(shown["gap"] - gap) <= 0.5e-5 and abs(again - gap) / gap < 1e-3
    assert Precision(4, significant=True).text(1e-9) == "0.000000001"  # no exponent
    assert Precision(4, significant=True).text(math.inf) == "inf"


def test_a_table_of_indicators_rounds_each_row_by_its_name(tmp_path: Path) -> None:
    values = {
        "after_day_mean_journey_g1_3_min": 16.14412,
        "districts_middle_share_kept": 0.7889584964761159,
        "districts_middle_solver_gap": 0.00030051274950289845,
        "districts_middle_pupils_moved": 539.0,  # a count summed as a float
        "restoration_cost_yuan": 17950000.0,
        "sites_restored": 14,
        "contiguous": True,
        "method": "exact",
        "missing": math.nan,
    }
    table = pd.DataFrame({"value": pd.Series(values, dtype=object)})
    table.index.name = "indicator"
    path = write_csv(table, tmp_path / "indicators.csv", row_units=True)
    assert {k: v["value"] for k, v in _cells(path).items()} == {
        "after_day_mean_journey_g1_3_min": "16.14",
        "districts_middle_share_kept": "0.7890",
        "districts_middle_solver_gap": "0.0003005",
        "districts_middle_pupils_moved": "539",
        "restoration_cost_yuan": "17950000",
        "sites_restored": "14",
        "contiguous": "True",
        "method": "exact",
        "missing": "",
    }


def test_values_read_back_as_written_and_the_input_is_left_alone(tmp_path: Path) -> None:
    table = _table()
    before = table.copy()
    write_csv(table, tmp_path / "t.csv", decimals=2)
    pd.testing.assert_frame_equal(table, before)
    back = pd.read_csv(tmp_path / "t.csv", encoding=CSV_ENCODING, index_col=0)
    assert str(back["pupils"].dtype) == "float64"  # the missing count: pandas reads NaN
    expected = table.drop(columns="name").assign(share=table["share"].round(2))
    pd.testing.assert_frame_equal(
        back.drop(columns="name"), expected, check_dtype=False, atol=0.005, rtol=0
    )


def test_index_left_out_and_decimals_zero(tmp_path: Path) -> None:
    path = write_csv(_table(), tmp_path / "sub" / "t.csv", decimals=0, index=False)
    lines = path.read_text(encoding=CSV_ENCODING).splitlines()
    assert lines[0] == "pupils,time_min,share,name,classes,open"
    assert lines[1] == "12,12,0,巴音布鲁克,1,True"


def test_plain_numbers_types() -> None:
    shown = plain_numbers(_table(), decimals=2)
    assert str(shown["pupils"].dtype) == "Int64"
    assert shown["time_min"].tolist() == ["12.35", 30, 12]
    assert shown["classes"].dtype == np.int64


@pytest.mark.parametrize("decimals", [-1, 1.5, True])
def test_decimals_must_be_places(decimals: object) -> None:
    with pytest.raises(ArgumentError, match="`decimals` must be a whole number of places"):
        plain_numbers(_table(), decimals=decimals)  # type: ignore[arg-type]
