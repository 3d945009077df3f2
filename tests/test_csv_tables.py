"""Tests of geoplan.csv_tables: the one rule every CSV a planner opens is written by."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoplan.csv_tables import CSV_ENCODING, plain_numbers, write_csv
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


def test_every_digit_without_decimals(tmp_path: Path) -> None:
    cells = _cells(write_csv(_table(), tmp_path / "t.csv"))
    assert [cells[i]["time_min"] for i in ("V01", "V02", "V03")] == ["12.3456", "30", "11.999"]
    assert [cells[i]["pupils"] for i in ("V01", "V02", "V03")] == ["12", "", "3"]
    assert cells["V02"]["share"] == "0.5"


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
