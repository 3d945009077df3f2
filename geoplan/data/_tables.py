"""Reading a table the way township offices send it: sheets, title rows, two-row headers, totals.

Plumbing of :mod:`geoplan.data.readers`. A table file (CSV or tab-separated text in UTF-8, GBK
or UTF-16; ``.xlsx`` or ``.xls`` through python-calamine) becomes a grid of cells per sheet; the
sheet whose headers fit the layer is chosen (or the one ``columns.yaml`` names); the header is the
first of the top :data:`HEADER_SEARCH_ROWS` rows with at least two known headers, read together
with the row below when its cells are merged across columns. After the headers are mapped onto
the contract, :func:`prepare_values` turns text numbers and units into numbers, splits one-cell
coordinates and skips total rows (their sums checked). Problems are appended to a list, not
raised.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geoplan.data._sniff import file_kind
from geoplan.data.area import LAYERS
from geoplan.data.files import (
    LONLAT,
    _decode,
    _known_header_count,
    _Settings,
    _Source,
    _undecodable,
    parse_number,
    split_lonlat,
)
from geoplan.data.headers import UNIT_FACTORS, header_unit
from geoplan.data.messages import coded_problem
from geoplan.data.templates import cell_letter
from geoplan.data.validation import ROW_COLUMN
from geoplan.errors import Problem

_logger = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 10
"""How many rows from the top are searched for the header row."""

TOTAL_WORDS: tuple[str, ...] = ("合计", "总计", "小计", "总数")
"""First text cells that mark a total row (spaces ignored)."""

_COORDINATE_TARGETS = ("lon", "lat", "x", "y", LONLAT)


@dataclass
class _Sheet:
    """One sheet (or a whole CSV) as a grid of cells, 0-based."""

    name: str
    rows: list[list[Any]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    excel: bool = False

    def row_label(self, r: int) -> str:
        return f"Excel row {r + 1}" if self.excel else f"line {r + 1}"


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def _text_grid(source: _Source, problems: list[Problem]) -> list[_Sheet] | None:
    data = source.path.read_bytes()
    text, offset = _decode(data)
    if text is None:
        problems.append(_undecodable(source, data, offset))
        return None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        problems.append(source.coded("read_utf16", severity="note"))
    head = "\n".join(text.splitlines()[:20])
    counts = {sep: head.count(sep) for sep in (",", "\t", ";")}
    sep = max(counts, key=lambda k: counts[k]) if any(counts.values()) else ","
    if source.path.suffix.lower() == ".txt" and counts["\t"]:
        sep = "\t"
    rows = [list(r) for r in csv.reader(io.StringIO(text), delimiter=sep)]
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    return [_Sheet(source.path.stem, rows)]


def _formula_cells(source: _Source, sheet: str) -> dict[tuple[int, int], str]:
    """Formula cells of an ``.xlsx`` sheet (calamine reads values only)."""
    import openpyxl

    found: dict[tuple[int, int], str] = {}
    try:
        book = openpyxl.load_workbook(source.path, read_only=True, data_only=False)
    except Exception:
        return found
    try:
        if sheet not in book.sheetnames:
            return found
        for r, row in enumerate(book[sheet].iter_rows()):
            for c, cell in enumerate(row):
                value = getattr(cell, "value", None)
                if isinstance(value, str) and value.startswith("="):
                    found[(r, c)] = value
    finally:
        book.close()
    return found


def _hidden_rows(source: _Source, sheet: str) -> list[int]:
    """Rows (0-based) hidden in an ``.xlsx`` sheet: hidden by hand or filtered out."""
    import zipfile
    from xml.etree.ElementTree import iterparse

    import openpyxl

    try:
        book = openpyxl.load_workbook(source.path, read_only=True)
        try:
            part = getattr(book[sheet], "_worksheet_path", None) if sheet in book else None
        finally:
            book.close()
        if part is None:
            return []
        hidden = []
        with zipfile.ZipFile(source.path) as archive, archive.open(part) as xml:
            for _, element in iterparse(xml):
                if element.tag.endswith("}row"):
                    if element.get("hidden") in ("1", "true") and element.get("r"):
                        hidden.append(int(element.get("r", "0")) - 1)
                    element.clear()
        return hidden
    except Exception:
        return []


def _excel_grid(source: _Source, problems: list[Problem]) -> list[_Sheet] | None:
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_path(str(source.path))
        sheets = []
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            rows = [list(r) for r in sheet.to_python(skip_empty_area=False)]
            merged = list(sheet.merged_cell_ranges or [])
            sheets.append(_Sheet(name, rows, merged, excel=True))
    except Exception as err:
        _logger.debug("%s: calamine cannot read it: %s", source.path, err)
        problems.append(_not_a_workbook(source))
        return None
    return sheets


def _not_a_workbook(source: _Source) -> Problem:
    """Why ``source`` is no workbook, from what its first bytes say it is, and what to do."""
    path = source.path
    kind = file_kind(path)
    stem = path.name[: -len(path.suffix)]
    if kind == "html":
        return source.coded("workbook_is_web_page", file=path.name)
    if kind == "text":
        return source.coded("workbook_is_text", file=path.name, renamed=f"{stem}.csv")
    real = {"xlsx": ".xlsx", "ole": ".xls"}.get(kind)
    if real is not None and path.suffix.lower() != real:
        return source.coded(
            "workbook_wrong_suffix", file=path.name, real=real, renamed=f"{stem}{real}"
        )
    return source.coded("workbook_unreadable", file=path.name)


def _rows_text(sheet: _Sheet, first: int, last: int) -> str:
    """``Excel rows 1-2`` or ``Excel row 1``."""
    return _span(sheet.row_label(first), sheet.row_label(last))


def _header_row(sheet: _Sheet, layer: str, settings: _Settings) -> tuple[int, int]:
    """(row, known headers in it): the first top row with two known headers, else (0, count)."""
    for r in range(min(HEADER_SEARCH_ROWS, len(sheet.rows))):
        count = _known_header_count(_merged_texts(sheet, r), layer, settings)
        if count >= 2:
            return r, count
    return 0, 0


def _merged_texts(sheet: _Sheet, r: int) -> list[Any]:
    return [_cell_text(v) for v in sheet.rows[r]]


def _cell_text(value: Any) -> str:
    if _empty(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_number(value: Any) -> bool:
    try:
        return not math.isnan(parse_number(value))
    except ValueError:
        return False


def _headers(sheet: _Sheet, h: int, layer: str, settings: _Settings) -> tuple[list[str], int]:
    """Header names of row ``h`` (with the row below when it is a second header row), data start.

    Row ``h + 1`` completes the header when cells of row ``h`` are merged (across columns, or down
    into it) and it holds text but no number: ``1-3年级`` over ``人数`` reads ``1-3年级人数``; a
    cell merged down (``编号`` over both rows) reads as itself. When the upper cell is only a group
    label (``学生人数`` over ``1-3年级人数``), so that "upper lower" is no known header of ``layer``
    but the lower cell alone is, the lower cell is the name.
    """
    row = sheet.rows[h]
    spans = [(c0, c1) for (r0, c0), (_, c1) in sheet.merged if r0 == h and c1 > c0]
    down = {c for (r0, c0), (r1, c1) in sheet.merged if r0 == h < r1 for c in range(c0, c1 + 1)}
    two_rows = (bool(spans) or bool(down)) and h + 1 < len(sheet.rows)
    if two_rows:
        below = sheet.rows[h + 1]
        two_rows = any(not _empty(v) for v in below) and not any(_is_number(v) for v in below)
    names = []
    for c in range(len(row)):
        span = next(((c0, c1) for c0, c1 in spans if c0 <= c <= c1), None)
        upper = _cell_text(row[span[0]] if span else row[c])
        lower = _cell_text(sheet.rows[h + 1][c]) if two_rows and c not in down else ""
        name = upper + lower if upper and lower else upper or lower
        if upper and lower and not _known_header_count([name], layer, settings):
            name = lower if _known_header_count([lower], layer, settings) else name
        names.append(name)
    return names, h + 2 if two_rows else h + 1


def _units_row(sheet: _Sheet, r: int) -> dict[int, str] | None:
    """Column -> unit of row ``r`` when every filled cell of it is a unit (``（人）``, ``万元``).

    Office sheets often put the units in a row of their own under the header; its units are
    read as the header's (``投资`` over ``（万元）`` reads ``投资(万元)``). ``None`` when the row
    is empty or any cell is something else.
    """
    if r >= len(sheet.rows):
        return None
    units: dict[int, str] = {}
    for c, value in enumerate(sheet.rows[r]):
        text = _cell_text(value)
        if not text:
            continue
        unit = unicodedata.normalize("NFKC", text).strip().strip("()").strip()
        if unit not in UNIT_FACTORS:
            return None
        units[c] = unit
    return units or None


def read_table(
    source: _Source, settings: _Settings, problems: list[Problem]
) -> tuple[pd.DataFrame, str | None] | None:
    """The data rows of a table file under their headers, and the sheet read (for workbooks).

    Returns ``None`` after reporting when the file cannot be read. The frame has the file's own
    headers, object values and :data:`ROW_COLUMN` (``Excel row 5``, ``line 5``); blank rows are
    dropped.
    """
    layer = source.layer
    excel = source.path.suffix.lower() in (".xlsx", ".xls")
    sheets = _excel_grid(source, problems) if excel else _text_grid(source, problems)
    if sheets is None:
        return None
    wanted = settings.sheets.get(layer)
    if wanted is not None:
        chosen = [s for s in sheets if s.name == wanted]
        if not chosen:
            problems.append(
                coded_problem(
                    "sheet_missing",
                    settings.file,
                    layer,
                    "",
                    "sheet",
                    wanted,
                    label=source.label,
                    wanted=wanted,
                    sheets=", ".join(s.name for s in sheets),
                )
            )
            return None
        sheet = chosen[0]
        h, _ = _header_row(sheet, layer, settings)
    else:
        scored = [(s, *_header_row(s, layer, settings)) for s in sheets]
        best = max(scored, key=lambda item: item[2])
        sheet, h = best[0], best[1]
        if len(sheets) > 1:
            others = ", ".join(s.name for s in sheets if s is not sheet)
            problems.append(
                source.coded(
                    "sheet_chosen",
                    "",
                    "",
                    sheet.name,
                    in_layer=layer,
                    severity="note",
                    sheet=sheet.name,
                    layer=layer,
                    others=others,
                )
            )
    if not sheet.rows:
        return pd.DataFrame({ROW_COLUMN: pd.Series(dtype=object)}), sheet.name if excel else None
    if h > 0:
        above = [t for r in range(h) for t in _merged_texts(sheet, r) if t]
        problems.append(
            source.coded(
                "title_rows_skipped",
                "",
                "",
                " | ".join(above)[:80],
                in_layer=layer,
                severity="note",
                rows=_rows_text(sheet, 0, h - 1),
                header=sheet.row_label(h),
            )
        )
    names, start = _headers(sheet, h, layer, settings)
    if start == h + 2:
        problems.append(
            source.coded(
                "two_row_header",
                in_layer=layer,
                severity="note",
                rows=_rows_text(sheet, h, h + 1),
                names=", ".join(n for n in names if n),
            )
        )
    units = _units_row(sheet, start)
    if units is not None:
        for c, unit in units.items():
            if c < len(names) and names[c] and not header_unit(names[c])[1]:
                names[c] = f"{names[c]}({unit})"
        problems.append(
            source.coded(
                "units_row_read",
                sheet.row_label(start),
                "",
                " | ".join(_cell_text(v) for v in sheet.rows[start] if not _empty(v))[:80],
                in_layer=layer,
                severity="note",
            )
        )
        start += 1
    hidden: set[int] = set()
    if source.path.suffix.lower() == ".xlsx":
        sheet.formulas = _formula_cells(source, sheet.name)
        hidden = set(_hidden_rows(source, sheet.name))
    filled = _fill_merged(sheet, start)
    columns: list[str] = []
    keep: list[int] = []
    for c, name in enumerate(names):
        has_data = any(not _empty(r[c]) for r in sheet.rows[start:] if c < len(r))
        if not name and not has_data:
            continue
        label = name or f"column {cell_letter(c)}"
        while label in columns:
            label += "'"
        columns.append(label)
        keep.append(c)
    records: list[list[Any]] = []
    labels: list[str] = []
    last = max([start - 1, len(sheet.rows) - 1, *(r for r, _ in sheet.formulas)])
    for r in range(start, last + 1):
        cells = sheet.rows[r] if r < len(sheet.rows) else []
        values = [cells[c] if c < len(cells) else None for c in keep]
        values = [None if _empty(v) else v for v in values]
        for (fr, fc), formula in sheet.formulas.items():
            if fr == r and fc in keep and values[keep.index(fc)] is None:
                problems.append(
                    source.coded(
                        "formula_no_value",
                        sheet.row_label(r),
                        columns[keep.index(fc)],
                        formula,
                        in_layer=layer,
                        cell=f"{cell_letter(fc)}{r + 1}",
                    )
                )
        if all(v is None for v in values):
            continue
        records.append(values)
        labels.append(sheet.row_label(r))
    frame = pd.DataFrame(records, columns=columns, dtype=object)
    frame[ROW_COLUMN] = labels
    read_hidden = [sheet.row_label(r) for r in sorted(hidden) if sheet.row_label(r) in labels]
    if read_hidden:
        problems.append(
            source.coded(
                "hidden_rows_read",
                read_hidden[0],
                "",
                "",
                in_layer=layer,
                severity="warning",
                count=len(read_hidden),
                rows=", ".join(read_hidden[:5]) + (" …" if len(read_hidden) > 5 else ""),
            )
        )
    for c, spans in filled.items():
        if c in keep:
            problems.append(
                source.coded(
                    "merged_cells_filled",
                    "",
                    columns[keep.index(c)],
                    "",
                    in_layer=layer,
                    severity="note",
                    rows=", ".join(_rows_text(sheet, r0, r1) for r0, r1 in spans[:3])
                    + (f" … ({len(spans)} in all)" if len(spans) > 3 else ""),
                )
            )
    return frame, sheet.name if excel else None


def _fill_merged(sheet: _Sheet, start: int) -> dict[int, list[tuple[int, int]]]:
    """Give every cell of a cell merged down over data rows the merged cell's value.

    Offices merge a township's cells down over its villages (``乡镇`` written once, blank below
    in the file); the value belongs to every row the merged cell covers. Returns column ->
    the (first, last) rows of its merged cells, for the note.
    """
    filled: dict[int, list[tuple[int, int]]] = {}
    for (r0, c0), (r1, c1) in sorted(sheet.merged):
        if r0 < start or r1 <= r0 or r0 >= len(sheet.rows):
            continue
        for c in range(c0, c1 + 1):
            value = sheet.rows[r0][c0] if c0 < len(sheet.rows[r0]) else None
            for r in range(r0, min(r1, len(sheet.rows) - 1) + 1):
                if c < len(sheet.rows[r]) and (r, c) != (r0, c0):
                    sheet.rows[r][c] = value
            filled.setdefault(c, []).append((r0, r1))
    return filled


# --------------------------------------------------------------------------- values


def _split_coordinates(
    frame: pd.DataFrame, source: _Source, problems: list[Problem]
) -> pd.DataFrame:
    lon = np.full(len(frame), np.nan)
    lat = np.full(len(frame), np.nan)
    for k, (value, row) in enumerate(zip(frame[LONLAT], frame[ROW_COLUMN], strict=True)):
        try:
            lon[k], lat[k] = split_lonlat(value)
        except ValueError as err:
            problems.append(
                source.coded("not_a_coordinate_pair", str(row), LONLAT, str(value), error=err)
            )
    out = frame.drop(columns=[LONLAT])
    out["lon"] = [None if math.isnan(v) else v for v in lon]
    out["lat"] = [None if math.isnan(v) else v for v in lat]
    return out


def _is_total(values: list[Any], words: tuple[str, ...]) -> tuple[str, str] | None:
    """(word, text) of the cell that makes a row a total row: ``合计``, ``阿拉沟乡小计``.

    Any text cell of the row may hold it (``阿拉沟乡 | 小计`` names the township first); a
    text ending in a word counts too (``全县合计``), one starting with it does not (``合计村``).
    """
    for value in values:
        if value is None or not isinstance(value, str):
            continue
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).rstrip(":")
        if not text:
            continue
        try:
            parse_number(text)
        except ValueError:
            word = next((w for w in words if text.endswith(w)), None)
            if word is not None:
                return word, text
    return None


def _span(first: str, last: str) -> str:
    """``Excel rows 4-23`` from two row labels."""
    if first == last:
        return first
    head, _, start = first.rpartition(" ")
    return f"{head}s {start}-{last.rpartition(' ')[2]}"


def _check_totals(
    frame: pd.DataFrame, source: _Source, numeric: list[str], problems: list[Problem]
) -> pd.DataFrame:
    coords = [c for c in ("lon", "lat", "x", "y") if c in frame]
    headers = [c for c in frame.columns if c != ROW_COLUMN]
    data_rows: list[int] = []
    since: dict[str, int] = {}
    drop: list[int] = []
    for k in range(len(frame)):
        row = frame.iloc[k]
        found = _is_total([row[c] for c in headers], TOTAL_WORDS)
        if found is None or any(not _empty(row[c]) for c in coords):
            data_rows.append(k)
            continue
        word, text = found
        drop.append(k)
        covered = [i for i in data_rows if i >= since.get(word, -1)]
        since[word] = k
        span = (
            _span(str(frame[ROW_COLUMN].iloc[covered[0]]), str(frame[ROW_COLUMN].iloc[covered[-1]]))
            if covered
            else ""
        )
        label = str(frame[ROW_COLUMN].iloc[k])
        differences, differences_zh = [], []
        for column in numeric:
            given = row[column]
            if not isinstance(given, float) or math.isnan(given):
                continue
            parts = [frame[column].iloc[i] for i in covered]
            total = math.fsum(v for v in parts if isinstance(v, float) and not math.isnan(v))
            if not math.isclose(total, given, rel_tol=1e-9, abs_tol=1e-6):
                differences.append(f"{column}: {text} {given:,.10g}, rows sum {total:,.10g}")
                differences_zh.append(f"{column}: {text} {given:,.10g},各行之和 {total:,.10g}")
        if differences:
            problems.append(
                source.coded(
                    "total_row_differs",
                    label,
                    "",
                    text,
                    severity="warning",
                    word=text,
                    span=span,
                    differences="; ".join(differences),
                    differences_zh=";".join(differences_zh),
                )
            )
        else:
            problems.append(
                source.coded(
                    "total_row_checked" if covered else "total_row_skipped",
                    label,
                    "",
                    text,
                    severity="note",
                    word=text,
                    span=span,
                )
            )
    return frame.drop(index=frame.index[drop]).reset_index(drop=True)


def prepare_values(
    frame: pd.DataFrame, source: _Source, renames: dict[str, str], problems: list[Problem]
) -> pd.DataFrame:
    """Numbers from text (units, full-width digits, separators), one-cell coordinates, totals.

    ``frame`` has contract names (after renaming); ``renames`` maps the file's headers onto them,
    for the units in headers (``投资(万元)``). Values that are not numbers are left as they are,
    for validation to report.
    """
    out = frame.copy()
    layer = source.layer
    if LONLAT in out:
        out = _split_coordinates(out, source, problems)
    local = {target: header for header, target in renames.items()}
    numeric = [c.name for c in LAYERS[layer] if c.dtype in ("int", "float") and c.name in out]
    for column in numeric:
        _, unit = header_unit(local.get(column, column))
        factor = UNIT_FACTORS.get(unit, 1.0)
        if factor != 1.0:
            problems.append(
                source.coded(
                    "header_unit",
                    "",
                    local[column],
                    unit,
                    in_layer=layer,
                    severity="note",
                    header=local[column],
                    unit=unit,
                    factor=f"{factor:,.0f}",
                )
            )
        values = []
        for value in out[column]:
            try:
                values.append(parse_number(value, factor=factor))
            except ValueError:
                values.append(value)
        out[column] = pd.Series(values, index=out.index, dtype=object)
    return _check_totals(out, source, numeric, problems)
