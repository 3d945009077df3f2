"""XLSX workbooks that open well in Excel and WPS: the one place a table becomes a sheet.

Every sheet gets a bold header row and its id column(s) frozen, an autofilter over the table,
column widths fitted to the text (a Chinese character counts twice), numbers stored as numbers
with a format chosen from the column's name (:func:`number_format`: minutes one decimal, yuan and
metres with thousands separators, pupils and other counts whole) and headers translated by the
caller (Chinese for ``lang: zh``). A form to fill in (:class:`Dropdown`) gets drop-down lists on
its choice columns over its rows and the blank rows below. The file is written atomically with
fixed timestamps, so equal tables give equal bytes.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoplan.atomic import atomic_path
from geoplan.errors import ArgumentError

__all__ = [
    "COUNT_WORDS",
    "FORMATS",
    "Dropdown",
    "Sheet",
    "is_count",
    "number_format",
    "text_width",
    "write_workbook",
]

_logger = logging.getLogger(__name__)

FORMATS: dict[str, str] = {
    "count": "#,##0",
    "minutes": "0.0",
    "yuan": "#,##0",
    "metres": "#,##0",
    "kilometres": "0.0",
    "whole": "0",
    "decimal": "0.00",
}
"""Excel number formats by kind of value."""

COUNT_WORDS: frozenset[str] = frozenset(
    {
        "pupils", "boarders", "unserved", "enrolment", "classes", "beds", "places", "villages",
        "blocks", "sites", "schools", "items", "teachers", "oversized", "moved", "within",
        "helped", "needed", "shortage", "surplus", "short", "funded", "closures", "in_post",
        "count", "n", "beyond", "boarding",
    }
)  # fmt: skip
"""Words of a column name that make it a count (shown whole, with thousands separators)."""

_UNIT_FORMATS: tuple[tuple[str, str], ...] = (
    ("_yuan", "yuan"),
    ("_min", "minutes"),
    ("_km", "kilometres"),
    ("_m2", "metres"),
    ("_m", "metres"),
)
_FIXED_DATETIME = datetime(2000, 1, 1)
_BEST_FILL = "C6EFCE"
_HEADER_FILL = "DDEBF7"
_MAX_WIDTH = 60
_WIDTH_ROWS = 2000
_MAX_TEXT = 32_767
"""The most characters an Excel cell holds."""
_EXACT_INT = 2**53
"""The largest whole number a double (Excel's only number) holds exactly."""


def number_format(column: str, dtype: Any = None) -> str | None:
    """The Excel number format of a column, from the unit in its name, else its words or dtype.

    ``..._yuan`` and ``..._m`` get thousands separators, ``..._min`` one decimal, a name with a
    count word (:data:`COUNT_WORDS`: pupils, boarders, classes, ...) whole numbers with thousands
    separators, other whole-number columns ``0`` and other decimals two places. ``None`` for text
    and booleans.
    """
    name = str(column).lower()
    if dtype is not None and pd.api.types.is_bool_dtype(dtype):
        return None
    for suffix, kind in _UNIT_FORMATS:
        if name.endswith(suffix):
            return FORMATS[kind]
    if name == "minutes" or name.endswith("_minutes"):
        return FORMATS["minutes"]
    if is_count(name):
        return FORMATS["count"]
    if dtype is not None and pd.api.types.is_integer_dtype(dtype):
        return FORMATS["whole"]
    return FORMATS["decimal"]


def is_count(column: str) -> bool:
    """Whether a column holds a count (pupils, boarders, classes ...: :data:`COUNT_WORDS`).

    A name ending in a unit (``_yuan``, ``_min``, ``_km``, ``_m2``, ``_m``, ``minutes``) is a
    quantity of that unit, not a count.
    """
    name = str(column).lower()
    if any(name.endswith(suffix) for suffix, _ in _UNIT_FORMATS):
        return False
    if name == "minutes" or name.endswith("_minutes"):
        return False
    words = set(re.split(r"[^a-z0-9]+", name))
    return bool(words & COUNT_WORDS) or name.startswith("n_") or "in_post" in name


def text_width(value: Any) -> int:
    """Width of a value in Excel's character units (wide East Asian characters count two)."""
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


@dataclass(frozen=True)
class Dropdown:
    """A drop-down list on one column: only these values may be typed (or left blank).

    Parameters
    ----------
    values
        The allowed values, in the order offered. Excel limits the list to 255 characters
        joined with commas.
    error_title
        Title of the message shown when other text is typed (at most 32 characters).
    error
        The message itself, e.g. the values to choose from.
    """

    values: tuple[str, ...]
    error_title: str = ""
    error: str = ""


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook.

    Parameters
    ----------
    table
        The table; its index (one or more levels) is written as the first column(s) unless
        ``index`` is false.
    index
        Write the index.
    headers
        Header text of a column (or index level) name, e.g. its Chinese name; ``None``: the name.
    formats
        Number format per column name, overriding :func:`number_format`; key ``"*"`` applies to
        every value column (e.g. a travel matrix whose columns are ids).
    marks
        True where a cell is marked (bold on green), same index and columns as ``table`` or a
        subset of its columns.
    row_formats
        Format each number by its row's label instead of its column (a table of indicators,
        one per row, e.g. ``restoration_cost_yuan``).
    dropdowns
        A :class:`Dropdown` per column name (as in ``table``, before ``headers``), over the
        table's rows and the ``blank_rows`` below them.
    blank_rows
        Rows below the table a form leaves to fill in, which the dropdowns also cover.
    """

    table: pd.DataFrame
    index: bool = True
    headers: Callable[[str], str] | Mapping[str, str] | None = None
    formats: Mapping[str, str] | None = None
    marks: pd.DataFrame | None = None
    row_formats: bool = False
    dropdowns: Mapping[str, Dropdown] | None = None
    blank_rows: int = 0


def _header(sheet: Sheet, name: Any) -> str:
    text = "" if name is None else str(name)
    if sheet.headers is None:
        return text
    if callable(sheet.headers):
        return sheet.headers(text)
    return sheet.headers.get(text, text)


def _cell(value: Any) -> Any:
    """A value Excel stores as it is: numbers as numbers, empty for missing or infinite.

    A numpy time (``np.datetime64``, ``np.timedelta64``) held in an object column becomes the
    pandas value a time column of the same table holds (its ``.item()`` would be whole
    nanoseconds), so it is written the same way: a date cell, or text for a duration.
    """
    if isinstance(value, np.datetime64 | np.timedelta64):
        value = pd.Timestamp(value) if isinstance(value, np.datetime64) else pd.Timedelta(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):  # Excel keeps 15-16 digits: a longer whole number as text
        return value if -_EXACT_INT <= value <= _EXACT_INT else str(value)
    if isinstance(value, float):
        return None if not math.isfinite(value) else value
    if isinstance(value, datetime):  # Excel has no time zones: the local (wall-clock) time
        stamp = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
        return stamp.replace(tzinfo=None)
    if isinstance(value, str | Path):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    return str(value)


class _Formats:
    """XlsxWriter cell formats of one workbook, made once per (number format, marked)."""

    def __init__(self, book: Any) -> None:
        self._book = book
        self._made: dict[tuple[str | None, bool], Any] = {}
        self.header = book.add_format(
            {"bold": True, "bg_color": f"#{_HEADER_FILL}", "valign": "top", "pattern": 1}
        )
        self.date = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})

    def get(self, num_format: str | None, marked: bool) -> Any:
        key = (num_format, marked)
        if key not in self._made:
            spec: dict[str, Any] = {}
            if num_format is not None:
                spec["num_format"] = num_format
            if marked:
                spec.update({"bold": True, "bg_color": f"#{_BEST_FILL}", "pattern": 1})
            self._made[key] = self._book.add_format(spec) if spec else None
        return self._made[key]


def _columns(sheet: Sheet) -> tuple[list[str], list[pd.Series], int]:
    """Names and values of the written columns (index levels first) and the count of id columns."""
    table = sheet.table
    if sheet.index:
        levels = list(table.index.names)
        index_frame = table.index.to_frame(index=False)
        index_frame.columns = [f"level_{i}" if n is None else str(n) for i, n in enumerate(levels)]
        if len(levels) == 1 and levels[0] is None:
            index_frame.columns = ["id"]
        keys = list(index_frame.columns)
        values = [index_frame[c] for c in keys] + [table.iloc[:, j] for j in range(table.shape[1])]
        return keys + [str(c) for c in table.columns], values, len(keys)
    values = [table.iloc[:, j] for j in range(table.shape[1])]
    return [str(c) for c in table.columns], values, 1 if table.shape[1] > 1 else 0


def _mark_grid(sheet: Sheet, n_keys: int, n_columns: int) -> np.ndarray | None:
    """True per (row, written column) where ``sheet.marks`` marks the cell."""
    if sheet.marks is None:
        return None
    table = sheet.table
    grid = np.zeros((len(table), n_columns), dtype=bool)
    offset = n_keys if sheet.index else 0
    col_of = {str(c): j for j, c in enumerate(table.columns, start=offset)}
    marks = sheet.marks[[c for c in sheet.marks.columns if str(c) in col_of]]
    if not sheet.marks.index.is_unique:
        marks = marks[~marks.index.duplicated(keep="first")]
    rows = marks.reindex(table.index).fillna(False).astype(bool).to_numpy()
    for k, col in enumerate(marks.columns):
        grid[:, col_of[str(col)]] = rows[:, k]
    return grid


def _write_column(
    ws: Any,
    c: int,
    series: pd.Series,
    column_format: str | None,
    row_formats: list[str | None] | None,
    marks: np.ndarray | None,
    formats: _Formats,
) -> list[Any]:
    """Write one column below the header; returns its first values as shown (for the width).

    A column of plain numbers (the bulk of a large table) is written straight from its array;
    any other goes cell by cell through :func:`_cell`.
    """
    array = series.to_numpy()
    exact = array.dtype.kind not in "iu" or not np.any((array > _EXACT_INT) | (array < -_EXACT_INT))
    if array.dtype.kind in "iuf" and row_formats is None and exact:
        finite = np.isfinite(array) if array.dtype.kind == "f" else np.ones(len(array), bool)
        numbers = array.tolist()
        plain, marked = formats.get(column_format, False), formats.get(column_format, True)
        for r in np.flatnonzero(finite).tolist():
            fmt = marked if marks is not None and marks[r] else plain
            ws.write_number(r + 1, c, numbers[r], fmt)
        return [v for v, ok in zip(numbers[:_WIDTH_ROWS], finite, strict=False) if ok]
    cells = [_cell(v) for v in series.tolist()]
    for r, value in enumerate(cells):
        if value is None:
            continue
        mark = bool(marks[r]) if marks is not None else False
        if isinstance(value, bool):
            ws.write_boolean(r + 1, c, value, formats.get(None, mark))
        elif isinstance(value, int | float):
            fmt = row_formats[r] if row_formats is not None else column_format
            ws.write_number(r + 1, c, value, formats.get(fmt, mark))
        elif isinstance(value, datetime):
            ws.write_datetime(r + 1, c, value, formats.date)
        else:
            if len(value) > _MAX_TEXT:
                _logger.warning(
                    "Column %s, row %d: %d characters cut to Excel's %d (ending in …).",
                    series.name, r + 1, len(value), _MAX_TEXT,
                )  # fmt: skip
                value = value[: _MAX_TEXT - 1] + "…"
            ws.write_string(r + 1, c, value, formats.get(None, mark))
    return cells[:_WIDTH_ROWS]


def _sheet_title(title: str, taken: set[str]) -> str:
    """``title`` as Excel allows it, unlike the titles ``taken`` (lower case, as Excel compares).

    Each of the characters Excel forbids becomes ``_``, an apostrophe at either end goes, the
    title is cut to 31 characters, and a repeat gets ``~2``, ``~3`` ...
    """
    name = re.sub(r"[\[\]:*?/\\]", "_", title).strip("'")[:31] or "Sheet"
    base, k = name, 1
    while name.lower() in taken:
        k += 1
        suffix = f"~{k}"
        name = base[: 31 - len(suffix)] + suffix
    taken.add(name.lower())
    if name != title:
        _logger.info("Sheet %r is titled %r (Excel's rules for sheet names).", title, name)
    return name


def _write_sheet(book: Any, formats: _Formats, title: str, sheet: Sheet, taken: set[str]) -> None:
    ws = book.add_worksheet(_sheet_title(title, taken))
    table = sheet.table
    names, values, n_keys = _columns(sheet)
    headers = [_header(sheet, n) for n in names]
    for c, text in enumerate(headers):
        ws.write_string(0, c, text, formats.header)
    overrides = dict(sheet.formats or {})
    column_formats: list[str | None] = []
    for pos, (name, series) in enumerate(zip(names, values, strict=True)):
        if sheet.index and pos < n_keys:
            column_formats.append(None if series.dtype == object else FORMATS["whole"])
            continue
        fmt = overrides.get(name, overrides.get("*"))
        column_formats.append(fmt if fmt is not None else number_format(name, series.dtype))
    by_row = [number_format(str(key)) for key in table.index] if sheet.row_formats else None
    marks = _mark_grid(sheet, n_keys, len(names))
    widths = [text_width(text) for text in headers]
    for c, series in enumerate(values):
        key_column = sheet.index and c < n_keys
        row_fmts = by_row if by_row is not None and not key_column else None
        column_marks = marks[:, c] if marks is not None else None
        shown = _write_column(ws, c, series, column_formats[c], row_fmts, column_marks, formats)
        body = max((text_width(v) for v in shown), default=0)
        if column_formats[c] in (FORMATS["count"], FORMATS["yuan"]):
            body = int(body * 1.3) + 1  # the thousands separators
        widths[c] = min(max(widths[c], body, 4) + 2, _MAX_WIDTH)
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    ws.freeze_panes(1, n_keys)
    if names:
        ws.autofilter(0, 0, len(table), len(names) - 1)
    _add_dropdowns(ws, title, sheet, names)


def _add_dropdowns(ws: Any, title: str, sheet: Sheet, names: list[str]) -> None:
    """The drop-down lists of ``sheet.dropdowns``, each over its column below the header."""
    last_row = len(sheet.table) + sheet.blank_rows
    for name, dropdown in (sheet.dropdowns or {}).items():
        if name not in names:
            msg = f"Sheet {title!r}: dropdown on {name!r}, which is not a column ({names})."
            raise ArgumentError(msg)
        if last_row < 1:
            continue
        c = names.index(name)
        rule: dict[str, Any] = {
            "validate": "list",
            "source": list(dropdown.values),
            "ignore_blank": True,
            "show_error": True,
        }
        if dropdown.error_title:
            rule["error_title"] = dropdown.error_title
        if dropdown.error:
            rule["error_message"] = dropdown.error
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            refused = ws.data_validation(1, c, last_row, c, rule) != 0
        if refused:
            why = "; ".join(str(w.message) for w in caught) or "refused by XlsxWriter"
            msg = f"Sheet {title!r}: the dropdown on {name!r} cannot be written: {why}."
            raise ArgumentError(msg)


def write_workbook(path: str | Path, sheets: Mapping[str, pd.DataFrame | Sheet]) -> Path:
    """Write ``sheets`` (title -> table or :class:`Sheet`) as one XLSX file at ``path``.

    Every sheet: bold header row and the id column(s) frozen, autofilter, fitted widths, numbers
    as numbers formatted by :func:`number_format`. Written by XlsxWriter (a large table in
    seconds), atomically, with fixed timestamps.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import xlsxwriter

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False})
        book.set_properties({"created": _FIXED_DATETIME})
        formats = _Formats(book)
        taken: set[str] = set()
        for title, sheet in sheets.items():
            table = sheet if isinstance(sheet, Sheet) else Sheet(sheet)
            _write_sheet(book, formats, title, table, taken)
        book.close()  # deterministic: fixed zip times (XlsxWriter's own) and document dates
    return target
