"""Blank XLSX templates for the point layers (villages, schools, sites).

Each workbook has one data sheet whose single header row reads ``中文 / english`` (for example
``1-3年级人数 / pupils_g1_3``); the reader understands either half. A second sheet, ``说明 notes``,
lists every column with its unit, default, whether it is required and the allowed values.
"""

from __future__ import annotations

import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from geoplan.data.area import LAYERS, Column
from geoplan.errors import InputFileError

__all__ = [
    "TEMPLATE_LAYERS",
    "cell_letter",
    "header",
    "write_templates",
]

TEMPLATE_LAYERS: tuple[str, ...] = ("villages", "schools", "sites")
"""Layers a template is written for (polygon layers come from a GIS, not a spreadsheet)."""

_ID = ("编号", "id", "Unique id of the row (text, e.g. V01)")
_LON = ("经度", "lon", "Longitude, decimal degrees (86.5) or DMS (86°30′0″); WGS-84 unless set")
_LAT = ("纬度", "lat", "Latitude, decimal degrees (42.3) or DMS (42°18′0″)")


def header(zh: str, name: str) -> str:
    """The template header of a column: ``中文 / english``."""
    return f"{zh} / {name}" if zh else name


def _note(column: Column) -> list[str]:
    allowed = ", ".join(column.choices)
    return [
        header(column.zh, column.name),
        "yes" if column.required else "no",
        column.unit,
        "" if column.default is None or column.required else str(column.default),
        column.description + (f" ({allowed})" if allowed else ""),
    ]


def write_templates(folder: str | os.PathLike[str]) -> list[Path]:
    """Write ``villages.xlsx``, ``schools.xlsx`` and ``sites.xlsx`` with headers only.

    Existing files are not overwritten.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    InputFileError
        When a template would overwrite a file.
    """
    out = Path(folder)
    if out.exists() and not out.is_dir():
        msg = f"{out} is a file; give a folder to write the templates into."
        raise InputFileError(msg)
    out.mkdir(parents=True, exist_ok=True)
    targets = [out / f"{layer}.xlsx" for layer in TEMPLATE_LAYERS]
    for target in targets:
        if target.exists():
            msg = f"{target} exists; templates never overwrite data. Choose an empty folder."
            raise InputFileError(msg)
    for layer, target in zip(TEMPLATE_LAYERS, targets, strict=True):
        book = Workbook()
        sheet = book.active
        sheet.title = layer
        columns = LAYERS[layer]
        heads = [header(*_ID[:2]), header(columns[0].zh, columns[0].name), header(*_LON[:2])]
        heads.append(header(*_LAT[:2]))
        heads += [header(c.zh, c.name) for c in columns[1:]]
        sheet.append(heads)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for k, text in enumerate(heads):
            sheet.column_dimensions[cell_letter(k)].width = max(12, len(text) + 4)
        notes = book.create_sheet("说明 notes")
        notes.append(
            ["column 列", "required 必填", "unit 单位", "default 默认", "description 说明"]
        )
        notes.append([header(*_ID[:2]), "yes", "", "", _ID[2]])
        notes.append([header(*_LON[:2]), "yes", "degrees", "", _LON[2]])
        notes.append([header(*_LAT[:2]), "yes", "degrees", "", _LAT[2]])
        for column in columns:
            notes.append(_note(column))
        book.save(target)
    return targets


def cell_letter(index: int) -> str:
    """Spreadsheet column letter of the 0-based column ``index`` (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
