"""CSV tables that open well in Excel and WPS: the one place a table becomes a CSV file.

Every CSV a planner opens is written by :func:`write_csv`, so a number reads the same in every
table: UTF-8 with a byte-order mark (Chinese Excel then reads the Chinese names and headers, not
mojibake), whole numbers written as integers (``12``, not ``12.0`` or ``12.00``; counts come out
of the models as floats: sums, NaN for none), other numbers rounded by the unit their column's
name ends in (:func:`unit_precision`) and written with their places (``12.50``), missing values
as empty cells. The file is written atomically.

The precision is one rule, :func:`unit_precision`, read from a column's name (or, in a table of
indicators, from each row's name):

- a measured quantity (``..._min`` minutes, ``..._m`` metres, ``..._km``, ``..._m2``, seconds,
  pupils per class, square metres of a standard): :data:`MEASURED_DECIMALS` places, 2: a
  hundredth of a minute (under a second), a centimetre, 10 m; the places of the travel matrices;
- money (``..._yuan``): whole yuan (:data:`YUAN_DECIMALS`);
- a share between 0 and 1 (a name with the word ``share``, ``utilisation`` or ``fraction``):
  :data:`FRACTION_DECIMALS` places, 4 (a percentage to 2 places, ``0.7519`` = 75.19 %);
- a solver's relative gap (``gap``, ``..._gap``): :data:`GAP_SIGNIFICANT` significant digits
  (``0.00163``), so a gap read next to its objective and bound (minutes: 2 places) is
  recomputed to its shown digits.

The plan's workbooks hold the same numbers unrounded (their number formats only show fewer;
a travel matrix's workbook is rounded as its CSV) and the GeoPackage every digit: the CSV is the
table a county office files and a program reads.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.atomic import atomic_path
from geoplan.errors import ArgumentError

__all__ = [
    "CSV_ENCODING",
    "FRACTION_DECIMALS",
    "GAP_SIGNIFICANT",
    "MEASURED_DECIMALS",
    "YUAN_DECIMALS",
    "Precision",
    "plain_numbers",
    "unit_precision",
    "write_csv",
]

_logger = logging.getLogger(__name__)

CSV_ENCODING = "utf-8-sig"
"""UTF-8 with a byte-order mark: the encoding Excel and WPS recognise on opening a CSV."""

MEASURED_DECIMALS = 2
"""Places of a measured quantity in a CSV: minutes, metres, kilometres, seconds, averages."""
YUAN_DECIMALS = 0
"""Places of money (``..._yuan``) in a CSV: whole yuan."""
FRACTION_DECIMALS = 4
"""Places of a share between 0 and 1 in a CSV: a percentage to 2 places."""
GAP_SIGNIFICANT = 4
"""Significant digits of a solver's relative gap in a CSV (``0.00163``, ``0.0003005``)."""

_EXACT_INT = 2**53
"""The largest whole number a double holds exactly: larger values stay as they are."""
_FRACTION_WORDS = frozenset({"share", "utilisation", "fraction"})


@dataclass(frozen=True)
class Precision:
    """The digits a CSV cell keeps of a number that is not whole.

    Parameters
    ----------
    digits
        Places after the point (``"%.{digits}f"``, correctly rounded from the stored double), or
        significant digits with ``significant``.
    significant
        Count ``digits`` from the first non-zero digit, written without an exponent and without
        trailing zeros (``0.00163``): for a number whose size is not known, a solver's gap.
    """

    digits: int
    significant: bool = False

    def text(self, value: float) -> str:
        """``value`` (finite or not) as the CSV cell shows it."""
        if self.significant and math.isfinite(value):
            return np.format_float_positional(
                value, precision=self.digits, unique=False, fractional=False, trim="-"
            )
        return f"{value:.{self.digits}f}"


def unit_precision(name: object) -> Precision:
    """The precision of the numbers of a column (or indicator) from its name's unit.

    Parameters
    ----------
    name
        A column name such as ``day_journey_min``, ``cost_yuan``, ``share_kept`` or ``gap``.

    Returns
    -------
    Precision
        Whole yuan for ``..._yuan``; :data:`GAP_SIGNIFICANT` significant digits for ``gap`` and
        ``..._gap``; :data:`FRACTION_DECIMALS` places for a name with the word ``share``,
        ``utilisation`` or ``fraction``; :data:`MEASURED_DECIMALS` places for any other (minutes,
        metres, kilometres, seconds, pupils per class). Counts are whole and written whole
        whatever their precision.
    """
    text = str(name).lower()
    if text == "yuan" or text.endswith("_yuan"):
        return Precision(YUAN_DECIMALS)
    if text == "gap" or text.endswith("_gap"):
        return Precision(GAP_SIGNIFICANT, significant=True)
    if _FRACTION_WORDS & set(re.split(r"[^a-z0-9]+", text)):
        return Precision(FRACTION_DECIMALS)
    return Precision(MEASURED_DECIMALS)


def plain_numbers(
    table: pd.DataFrame, *, decimals: int | None = None, row_units: bool = False
) -> pd.DataFrame:
    """``table`` with its numbers as :func:`write_csv` writes them.

    Parameters
    ----------
    table
        Any table; it is not changed.
    decimals
        Places of every number that is not whole (``"%.{decimals}f"``), for a table whose
        column names carry no unit (a travel matrix, its columns the destinations); ``None``:
        each column's own, :func:`unit_precision` of its name.
    row_units
        A table of indicators, one per row: the numbers of a row (in any column, also one of
        mixed values) take the precision of the row's index label
        (``restoration_cost_yuan``, ``districts_primary_share_kept``).

    Returns
    -------
    pandas.DataFrame
        A copy. A float column whose values are all whole once written (or missing) becomes
        ``Int64``, missing values staying missing; a column mixing whole numbers and fractions
        (minutes of which some are whole) holds the whole ones as integers and the others as
        their text; with ``row_units``, every float of a column is so written; other columns and
        the index are untouched.
    """
    if decimals is not None and (
        isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0
    ):
        msg = f"`decimals` must be a whole number of places, 0 or more, or None; got {decimals!r}"
        raise ArgumentError(msg)

    def precision(name: object) -> Precision:
        return unit_precision(name) if decimals is None else Precision(decimals)

    out = table.copy()
    rows = [precision(label) for label in out.index] if row_units else []
    for i, (name, dtype) in enumerate(zip(out.columns, out.dtypes, strict=True)):
        if row_units:
            out.isetitem(i, _plain_cells(out.iloc[:, i], rows).array)
        elif pd.api.types.is_float_dtype(dtype):
            out.isetitem(i, _plain_column(out.iloc[:, i], precision(name)).array)
    return out


def _plain_column(values: pd.Series, precision: Precision) -> pd.Series:
    """One float column as :func:`plain_numbers` shows it."""
    array = values.to_numpy(dtype=float, na_value=np.nan)
    present = ~np.isnan(array)
    text = [precision.text(v) for v in array.tolist()]
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(array) & (np.abs(array) < _EXACT_INT)
    whole &= np.fromiter((_is_whole(s) for s in text), dtype=bool, count=len(text))
    if present.any() and whole[present].all():
        return pd.Series(np.round(array), index=values.index, name=values.name).astype("Int64")
    cells = np.array(text, dtype=object)
    cells[whole] = [int(v) for v in np.round(array[whole]).tolist()]
    cells[~present] = np.nan
    return pd.Series(cells, index=values.index, name=values.name, dtype=object)


def _plain_cells(values: pd.Series, precisions: list[Precision]) -> pd.Series:
    """One column of a table of indicators: each float by its own row's precision."""
    cells = values.to_numpy(dtype=object, na_value=np.nan).copy()
    for i, (value, precision) in enumerate(zip(cells.tolist(), precisions, strict=True)):
        if isinstance(value, float) and not math.isnan(value):
            text = precision.text(value)
            whole = abs(value) < _EXACT_INT and _is_whole(text)
            cells[i] = round(value) if whole else text
    return pd.Series(cells, index=values.index, name=values.name, dtype=object)


def _is_whole(text: str) -> bool:
    """Whether a number written as ``text`` reads as a whole number (``12.00``, ``-0``)."""
    return float(text).is_integer()


def write_csv(
    table: pd.DataFrame,
    path: str | Path,
    *,
    decimals: int | None = None,
    index: bool = True,
    row_units: bool = False,
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
        Places of every number that is not whole, for a table whose column names carry no unit;
        ``None`` (default): by each column's unit (:func:`unit_precision`, see
        :func:`plain_numbers`).
    index
        Write the index (the ids) as the first column.
    row_units
        A table of indicators: each row's numbers by its index label's unit.

    Returns
    -------
    pathlib.Path
        The file written, in UTF-8 with a byte-order mark (:data:`CSV_ENCODING`).
    """
    dest = Path(path)
    shown = plain_numbers(table, decimals=decimals, row_units=row_units)
    with atomic_path(dest) as tmp:
        shown.to_csv(tmp, index=index, encoding=CSV_ENCODING)
    _logger.debug("Wrote %s (%d rows).", dest, len(table))
    return dest
