"""CSV tables that open well in Excel and WPS: the one place a table becomes a CSV file.

Every CSV a planner opens is written by :func:`write_csv`, so a count reads the same in every
table: UTF-8 with a byte-order mark (Chinese Excel then reads the Chinese names and headers, not
mojibake), whole numbers written as integers (``12``, not ``12.0`` or ``12.00``; counts come out
of the models as floats: sums, NaN for none), other numbers rounded to the table's ``decimals``
and written as short as they read (``12.5``, not ``12.50``; Excel shows them so too), missing
values as empty cells. The file is written atomically.

The precision is the table's own: each writer passes ``decimals`` (the restoration scorecard and
travel matrices 2, the plan tables of :func:`geoplan.outputs.plan_files.write_table` and the
school needs every digit, ``None``), so this module holds the rule and the tables their places.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.atomic import atomic_path
from geoplan.errors import ArgumentError

__all__ = ["CSV_ENCODING", "plain_numbers", "write_csv"]

_logger = logging.getLogger(__name__)

CSV_ENCODING = "utf-8-sig"
"""UTF-8 with a byte-order mark: the encoding Excel and WPS recognise on opening a CSV."""

_EXACT_INT = 2**53
"""The largest whole number a double holds exactly: larger values stay as they are."""


def plain_numbers(table: pd.DataFrame, *, decimals: int | None = None) -> pd.DataFrame:
    """``table`` with the numbers of its float columns as :func:`write_csv` writes them.

    Parameters
    ----------
    table
        Any table; it is not changed.
    decimals
        Decimal places of a number that is not whole, written as ``"%.{decimals}f"`` writes it
        (``12.50``; correctly rounded from the stored double, as Python's ``format`` rounds);
        ``None`` keeps every digit (the shortest text that reads back the same number).

    Returns
    -------
    pandas.DataFrame
        A copy. A float column whose values are all whole once written (or missing) becomes
        ``Int64``, missing values staying missing; a column mixing whole numbers and fractions
        (an indicator table's values, minutes of which some are whole) holds the whole ones as
        integers and the others as floats (``decimals=None``) or their text; other columns and
        the index are untouched.
    """
    if decimals is not None and (
        isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0
    ):
        msg = f"`decimals` must be a whole number of places, 0 or more, or None; got {decimals!r}"
        raise ArgumentError(msg)
    out = table.copy()
    for i, dtype in enumerate(out.dtypes):
        if pd.api.types.is_float_dtype(dtype):
            out.isetitem(i, _plain_column(out.iloc[:, i], decimals).array)
    return out


def _plain_column(values: pd.Series, decimals: int | None) -> pd.Series:
    """One float column as :func:`plain_numbers` shows it."""
    array = values.to_numpy(dtype=float, na_value=np.nan)
    present = ~np.isnan(array)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(array) & (np.abs(array) < _EXACT_INT)
    if decimals is None:
        text = None
        whole &= array == np.round(array)
    else:
        text = [f"{v:.{decimals}f}" for v in array.tolist()]
        zeros = "." + "0" * decimals if decimals else ""
        whole &= np.fromiter((s.endswith(zeros) for s in text), dtype=bool, count=len(text))
    if present.any() and whole[present].all():
        return pd.Series(np.round(array), index=values.index, name=values.name).astype("Int64")
    if text is None and not whole.any():
        return values
    cells = array.astype(object) if text is None else np.array(text, dtype=object)
    cells[whole] = [int(v) for v in np.round(array[whole]).tolist()]
    cells[~present] = np.nan
    return pd.Series(cells, index=values.index, name=values.name, dtype=object)


def write_csv(
    table: pd.DataFrame, path: str | Path, *, decimals: int | None = None, index: bool = True
) -> Path:
    """Write ``table`` as a CSV a planner opens in Excel: the one rule of every geoplan CSV.

    Parameters
    ----------
    table
        The table; it is not changed. Infinite values are written as ``inf``: callers that mean
        "no journey" replace them with NaN first (an empty cell).
    path
        The ``.csv`` file; its folder is created.
    decimals
        Decimal places of the numbers that are not whole (see :func:`plain_numbers`); the
        table's own precision, ``None`` (every digit) by default.
    index
        Write the index (the ids) as the first column.

    Returns
    -------
    pathlib.Path
        The file written, in UTF-8 with a byte-order mark (:data:`CSV_ENCODING`).
    """
    dest = Path(path)
    shown = plain_numbers(table, decimals=decimals)
    with atomic_path(dest) as tmp:
        shown.to_csv(tmp, index=index, encoding=CSV_ENCODING)
    _logger.debug("Wrote %s (%d rows).", dest, len(table))
    return dest
