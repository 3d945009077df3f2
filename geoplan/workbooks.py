"""XLSX workbooks that open well in Excel and WPS: the one place a table becomes a sheet.

Every sheet gets a bold header row and its id column(s) frozen, an autofilter over the table,
column widths fitted to the text (a Chinese character counts twice), numbers stored as numbers
with a format chosen from the column's name (:func:`number_format`: minutes one decimal, yuan and
metres with thousands separators, pupils and other counts whole) and headers translated by the
caller (Chinese for ``lang: zh``). The file is written atomically with fixed timestamps, so equal
tables give equal bytes.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoplan.atomic import atomic_path

__all__ = [
    "COUNT_WORDS",
    "FORMATS",
    "Sheet",
    "deterministic_xlsx",
    "number_format",
    "text_width",
    "write_workbook",
]

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
        "count", "n", "beyond",
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
_FIXED_TIME = "2000-01-01T00:00:00Z"
_BEST_FILL = "C6EFCE"
_HEADER_FILL = "DDEBF7"
_MAX_WIDTH = 60
_WIDTH_ROWS = 2000


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
    words = set(re.split(r"[^a-z0-9]+", name))
    if words & COUNT_WORDS or name.startswith("n_") or "in_post" in name:
        return FORMATS["count"]
    if dtype is not None and pd.api.types.is_integer_dtype(dtype):
        return FORMATS["whole"]
    return FORMATS["decimal"]


def text_width(value: Any) -> int:
    """Width of a value in Excel's character units (wide East Asian characters count two)."""
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


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
    """

    table: pd.DataFrame
    index: bool = True
    headers: Callable[[str], str] | Mapping[str, str] | None = None
    formats: Mapping[str, str] | None = None
    marks: pd.DataFrame | None = None
    row_formats: bool = False


def _header(sheet: Sheet, name: Any) -> str:
    text = "" if name is None else str(name)
    if sheet.headers is None:
        return text
    if callable(sheet.headers):
        return sheet.headers(text)
    return sheet.headers.get(text, text)


def _cell(value: Any) -> Any:
    """A value Excel stores as it is: numbers as numbers, empty for missing or infinite."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if not math.isfinite(value) else value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, str | Path):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    return str(value)


def _write_sheet(book: Any, title: str, sheet: Sheet) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(title=title[:31])
    table = sheet.table
    if sheet.index:
        levels = list(table.index.names)
        index_frame = table.index.to_frame(index=False)
        index_frame.columns = [f"level_{i}" if n is None else str(n) for i, n in enumerate(levels)]
        if len(levels) == 1 and levels[0] is None:
            index_frame.columns = ["id"]
        keys = list(index_frame.columns)
        values = [index_frame[c] for c in keys] + [table.iloc[:, j] for j in range(table.shape[1])]
        names = keys + [str(c) for c in table.columns]
        n_keys = len(keys)
    else:
        values = [table.iloc[:, j] for j in range(table.shape[1])]
        names = [str(c) for c in table.columns]
        n_keys = 1 if table.shape[1] > 1 else 0
    ws.append([_header(sheet, n) for n in names])
    overrides = dict(sheet.formats or {})
    formats: list[str | None] = []
    for pos, (name, series) in enumerate(zip(names, values, strict=True)):
        if sheet.index and pos < n_keys:
            formats.append(None if series.dtype == object else FORMATS["whole"])
            continue
        fmt = overrides.get(name, overrides.get("*"))
        formats.append(fmt if fmt is not None else number_format(name, series.dtype))
    columns = [[_cell(v) for v in series.tolist()] for series in values]
    for row in zip(*columns, strict=True) if columns else ():
        ws.append(list(row))
    bold = Font(bold=True)
    head_fill = PatternFill("solid", start_color=_HEADER_FILL, end_color=_HEADER_FILL)
    for cell in ws[1]:
        cell.font = bold
        cell.fill = head_fill
        cell.alignment = Alignment(wrap_text=False, vertical="top")
    n_rows = len(table)
    by_row = [number_format(str(key)) for key in table.index] if sheet.row_formats else None
    for c, fmt in enumerate(formats, start=1):
        key_column = sheet.index and c <= n_keys
        if fmt is None and (by_row is None or key_column):
            continue
        for r in range(2, n_rows + 2):
            cell = ws.cell(row=r, column=c)
            if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                use = by_row[r - 2] if by_row is not None and not key_column else fmt
                if use is not None:
                    cell.number_format = use
    if sheet.marks is not None:
        fill = PatternFill("solid", start_color=_BEST_FILL, end_color=_BEST_FILL)
        offset = n_keys if sheet.index else 0
        col_of = {str(c): j for j, c in enumerate(table.columns, start=offset + 1)}
        for r, key in enumerate(table.index, start=2):
            if key not in sheet.marks.index:
                continue
            for col, marked in sheet.marks.loc[key].items():
                if bool(marked) and str(col) in col_of:
                    cell = ws.cell(row=r, column=col_of[str(col)])
                    cell.font = bold
                    cell.fill = fill
    for c, column in enumerate(columns, start=1):
        head = text_width(ws.cell(row=1, column=c).value)
        body = max((text_width(v) for v in column[:_WIDTH_ROWS]), default=0)
        if formats[c - 1] in (FORMATS["count"], FORMATS["yuan"]):
            body = int(body * 1.3) + 1  # the thousands separators
        ws.column_dimensions[get_column_letter(c)].width = min(max(head, body, 4) + 2, _MAX_WIDTH)
    ws.freeze_panes = ws.cell(row=2, column=n_keys + 1).coordinate
    if names:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(names))}{n_rows + 1}"


def write_workbook(path: str | Path, sheets: Mapping[str, pd.DataFrame | Sheet]) -> Path:
    """Write ``sheets`` (title -> table or :class:`Sheet`) as one XLSX file at ``path``.

    Every sheet: bold header row and the id column(s) frozen, autofilter, fitted widths, numbers
    as numbers formatted by :func:`number_format`. Written atomically, with fixed timestamps.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    from openpyxl import Workbook

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    default = book.active
    assert default is not None
    book.remove(default)
    for title, sheet in sheets.items():
        _write_sheet(book, title, sheet if isinstance(sheet, Sheet) else Sheet(sheet))
    with atomic_path(target) as tmp:
        book.save(tmp)
        deterministic_xlsx(tmp)
    return target


def deterministic_xlsx(path: Path) -> None:
    """Rewrite an XLSX with fixed timestamps, so equal tables give equal bytes."""
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info)) for info in src.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            if name == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    rf"\g<1>{_FIXED_TIME}\g<3>",
                    text,
                )
                data = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    path.write_bytes(buffer.getvalue())
