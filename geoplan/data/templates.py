"""Blank XLSX templates for the point layers (villages, schools, sites).

Each workbook has one data sheet whose single header row reads ``中文 / english`` (for example
``1-3年级人数 / pupils_g1_3``); the reader understands either half. Columns with a fixed set of
values (``kind``, ``status``, ``decision``) get a dropdown of the contract values and their Chinese
spellings, and refuse anything else as it is typed. A second sheet, ``说明 notes``, lists every
column with its unit, default, whether it is required and what it means, in English and Chinese.
Both sheets are written by :func:`geoplan.workbooks.write_workbook` (bold frozen header row and id
column, fitted widths, atomic write).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from geoplan.data.area import CHOICE_ALIASES, LAYERS, Column
from geoplan.errors import InputFileError
from geoplan.rules import grade_label
from geoplan.workbooks import Dropdown, Sheet, write_workbook

__all__ = [
    "TEMPLATE_LAYERS",
    "TEMPLATE_ROWS",
    "cell_letter",
    "choice_list",
    "header",
    "note_zh",
    "write_templates",
]

TEMPLATE_LAYERS: tuple[str, ...] = ("villages", "schools", "sites")
"""Layers a template is written for (polygon layers come from a GIS, not a spreadsheet)."""

TEMPLATE_ROWS = 2000
"""Rows (below the header) the dropdowns of a template cover."""

_ID = ("编号", "id", "Unique id of the row (text, e.g. V01)", "每行唯一的编号(文字,如 V01)")
_LON = (
    "经度",
    "lon",
    "Longitude, decimal degrees (86.5) or DMS (86°30′0″); WGS-84 unless set",
    "经度,十进制度(86.5)或度分秒(86°30′0″);未另行声明时为 WGS-84",
)
_LAT = (
    "纬度",
    "lat",
    "Latitude, decimal degrees (42.3) or DMS (42°18′0″)",
    "纬度,十进制度(42.3)或度分秒(42°18′0″)",
)

_ZH_NOTES: dict[str, str] = {
    "name": "地图和表格中显示的名称",
    "name_zh": "中文名称,用于中文地图和页面",
    "township": "所在乡镇的编号(或名称)",
    "pupils": "居住在本村的 {grades} 年级学生数",
    "resident": "{grades} 年级常住学生数",
    "migrant": "{grades} 年级流动学生数",
    "kind": "学校类型,决定所教年级:教学点 1-3 年级;完小、中心校 1-6;九年一贯制 1-9;初中 7-9",
    "classes": "目前 {grades} 年级的班数",
    "enrolment": "目前 {grades} 年级的在校生数",
    "planned_classes": "规划扩建新增的 {grades} 年级班数",
    "class_size_limit": "各年级班额上限;留空则按学校类型取规划默认值",
    "boarding_beds": "宿舍床位数",
    "bus_seats": "每天乘校车到本校的学生座位数;0 表示没有校车",
    "escorted": "yes 家长可骑摩托或开车接送本村学生;no 不能",
    "status": "open 开办,或 closed 撤并",
    "annual_cost_yuan": "每年运行费用",
    "restore_cost_yuan": "恢复该教学点的一次性费用",
    "min_pupils": "开办所需最少的 1-3 年级学生数;留空默认 10",
    "max_classes": "最多可开的班数;留空默认 4",
    "decision": "free 自由(由模型决定);must 必须恢复;never 不恢复",
    "phase": "固定的恢复期次(1 = 第一期)",
}


def note_zh(column: Column) -> str:
    """The Chinese description of a column for the notes sheet."""
    name = column.name
    if name in _ZH_NOTES:
        return _ZH_NOTES[name]
    band = name[-4:] if name[-4:] in ("g1_3", "g4_6", "g7_9") else ""
    for suffix in ("resident", "migrant"):
        if name.endswith(f"_{suffix}"):
            return _ZH_NOTES[suffix].format(grades=grade_label(name.split("_", 1)[1][:4]))
    stem = name[: -len(band) - 1] if band else name
    if band and stem in _ZH_NOTES:
        return _ZH_NOTES[stem].format(grades=grade_label(band))
    return column.zh


def choice_list(column: Column) -> list[str]:
    """The values of a template's dropdown: the contract values, then one Chinese spelling each."""
    chinese: dict[str, str] = {}
    for text, value in CHOICE_ALIASES.get(column.name, {}).items():
        chinese.setdefault(value, text)
    return [*column.choices, *(chinese[v] for v in column.choices if v in chinese)]


def header(zh: str, name: str) -> str:
    """The template header of a column: ``中文 / english``."""
    return f"{zh} / {name}" if zh else name


def _note(column: Column) -> list[str]:
    allowed = ", ".join(column.choices)
    return [
        header(column.zh, column.name),
        "yes 是" if column.required else "no 否",
        column.unit,
        "" if column.default is None or column.required else str(column.default),
        column.description + (f" ({allowed})" if allowed else ""),
        note_zh(column) + (f"(下拉选择:{'、'.join(choice_list(column))})" if allowed else ""),
    ]


def _dropdown(column: Column) -> Dropdown:
    values = choice_list(column)
    return Dropdown(
        values=tuple(values),
        error_title=f"{column.zh} / {column.name}",
        error=f"请从下拉列表中选择 / choose one of: {','.join(values)}",
    )


def _form(layer: str) -> Sheet:
    """The data sheet of a layer's template: the header row, dropdowns over ``TEMPLATE_ROWS``."""
    columns = LAYERS[layer]
    names = [_ID[1], columns[0].name, _LON[1], _LAT[1], *(c.name for c in columns[1:])]
    headers = {fixed[1]: header(*fixed[:2]) for fixed in (_ID, _LON, _LAT)}
    headers.update({c.name: header(c.zh, c.name) for c in columns})
    return Sheet(
        pd.DataFrame(columns=names),
        index=False,
        headers=headers,
        dropdowns={c.name: _dropdown(c) for c in columns if c.dtype == "choice"},
        blank_rows=TEMPLATE_ROWS,
    )


def _notes(layer: str) -> Sheet:
    """The ``说明 notes`` sheet: one row per column of the data sheet."""
    rows = [
        [header(*_ID[:2]), "yes 是", "", "", _ID[2], _ID[3]],
        [header(*_LON[:2]), "yes 是", "degrees", "", _LON[2], _LON[3]],
        [header(*_LAT[:2]), "yes 是", "degrees", "", _LAT[2], _LAT[3]],
        *(_note(column) for column in LAYERS[layer]),
    ]
    heads = ["column 列", "required 必填", "unit 单位", "default 默认", "description", "说明"]
    cells = [[text or None for text in row] for row in rows]  # nothing written in an empty cell
    return Sheet(pd.DataFrame(cells, columns=heads), index=False)


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
        write_workbook(target, {layer: _form(layer), "说明 notes": _notes(layer)})
    return targets


def cell_letter(index: int) -> str:
    """Spreadsheet column letter of the 0-based column ``index`` (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
