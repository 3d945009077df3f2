"""The catalogue of input problems in English and Chinese, keyed by problem code.

Every check that finds a problem names it by a code (``duplicate_id``) and the values the text
needs (``first``, ``this``); :func:`coded_problem` makes the :class:`~geoplan.errors.Problem` with
the English text, and :func:`problem_text` gives its problem and fix in English or Chinese
(``geoplan validate --lang zh``). A test fails when a code lacks either language or the two
languages use different values.
"""

from __future__ import annotations

import string
from typing import Any

from geoplan.errors import ArgumentError, Problem

__all__ = [
    "IMPLIED_FIELDS",
    "LANGUAGES",
    "MESSAGES",
    "coded_problem",
    "message_fields",
    "problem_text",
]

LANGUAGES: tuple[str, ...] = ("en", "zh")
"""Languages of the catalogue."""

IMPLIED_FIELDS: tuple[str, ...] = ("field", "level_zh")
"""Values a translation may name that its English text does not: ``field`` (given to every
scenario problem: the dotted field) and ``level_zh`` (made from ``level``)."""

MESSAGES: dict[str, dict[str, tuple[str, str]]] = {
    "lonlat_swapped": {
        "en": (
            "Longitude and latitude look swapped (the point would lie in China the other way "
            "round).",
            "Swap the values of {lon!r} and {lat!r} (longitude is east, 73-135 in China; "
            "latitude is north, 18-54).",
        ),
        "zh": (
            "经度和纬度似乎填反了(对调后该点才在中国境内)。",
            "对调 {lon!r} 与 {lat!r} 两列的值(经度是东经,中国为 73-135;纬度是北纬,18-54)。",
        ),
    },
    "coordinate_out_of_range": {
        "en": (
            "Coordinate out of range (longitude must be -180..180, latitude -90..90).",
            "Enter decimal degrees (e.g. 86.5) or degrees-minutes-seconds (86°30′0″); projected "
            "x/y need `coordinates: EPSG:xxxx` in columns.yaml.",
        ),
        "zh": (
            "坐标超出范围(经度应在 -180..180,纬度应在 -90..90)。",
            "填写十进制度(如 86.5)或度分秒(86°30′0″);投影坐标 x/y 需在 columns.yaml 中写明 "
            "`coordinates: EPSG:xxxx`。",
        ),
    },
    "id_case_twin": {
        "en": (
            "Id {id!r} differs from {twin!r} (at {where}) only in upper/lower case; a scenario "
            "naming one would be ambiguous.",
            "Make the two ids differ by more than case (e.g. rename {id!r}), or merge the rows if "
            "they are one place.",
        ),
        "zh": (
            "编号 {id!r} 与 {twin!r}(位于 {where})仅大小写不同;方案中引用其中一个时无法区分。",
            "让两个编号不只是大小写不同(例如改名 {id!r});若是同一地点,请合并这两行。",
        ),
    },
    "missing_id": {
        "en": ("Missing id.", "Give every row a unique id (text such as V01)."),
        "zh": ("缺少编号。", "给每一行一个唯一的编号(如 V01)。"),
    },
    "duplicate_id": {
        "en": (
            "Duplicate id (also at {first}; this is {this}).",
            "Make every id in the layer unique.",
        ),
        "zh": ("编号重复({first} 也用了它;这里是 {this})。", "让本图层的每个编号都唯一。"),
    },
    "missing_value": {
        "en": ("Missing value in a required column.", "Fill in {column!r} ({description})."),
        "zh": ("必填列缺少数值。", "填写 {column!r}({description})。"),
    },
    "not_a_number": {
        "en": ("Not a number.", "Enter a number."),
        "zh": ("不是数字。", "填写一个数字。"),
    },
    "negative": {
        "en": ("Negative value{of_unit}.", "Enter zero or a positive number."),
        "zh": ("数值为负。", "填写 0 或正数。"),
    },
    "not_whole": {
        "en": (
            "Not a whole number of{unit}.",
            "Enter a whole number (counts cannot be fractional).",
        ),
        "zh": ("不是整数。", "填写整数(人数、班数等不能有小数)。"),
    },
    "not_positive": {
        "en": (
            "Must be positive (1 or more).",
            "Enter a positive number, or leave empty for the default.",
        ),
        "zh": ("必须为正数(1 或以上)。", "填写正数,或留空使用默认值。"),
    },
    "unknown_choice": {
        "en": ("Unknown {column}.", "Use one of: {choices}."),
        "zh": ("{column} 的取值无法识别。", "请使用以下之一:{choices}。"),
    },
    "missing_geometry": {
        "en": ("Missing geometry (or coordinates).", "Give the row a location."),
        "zh": ("缺少几何位置(或坐标)。", "为这一行填写位置。"),
    },
    "wrong_geometry": {
        "en": (
            "Wrong geometry type; the {layer} layer holds {allowed}.",
            "Save {layer} as {allowed_lower} features.",
        ),
        "zh": ("几何类型不对;{layer} 图层应为 {allowed}。", "将 {layer} 保存为 {allowed} 要素。"),
    },
    "invalid_polygon": {
        "en": (
            "Invalid polygon; repaired with make_valid.",
            "Check the repaired shape, or fix the polygon in a GIS.",
        ),
        "zh": (
            "多边形无效;已用 make_valid 自动修复。",
            "检查修复后的形状,或在 GIS 软件中修正该多边形。",
        ),
    },
    "empty_layer": {
        "en": ("The {layer} layer is empty.", "Add at least one row to {file}{or_delete}."),
        "zh": ("{layer} 图层没有数据。", "在 {file} 中至少填写一行{or_delete}。"),
    },
    "missing_column": {
        "en": (
            "Required column missing; headers seen: {seen}.",
            "Add a column {column!r} (or {zh!r}), or map your header onto it in columns.yaml.",
        ),
        "zh": (
            "缺少必填列;文件中的表头为:{seen}。",
            "添加一列 {zh!r}(或 {column!r}),或在 columns.yaml 中把你的表头对应到它。",
        ),
    },
    "kind_contradicts": {
        "en": (
            "kind {kind!r} teaches only grades {taught}, but {column} is {value}: one of the two "
            "is wrong (the plan goes by the kind).",
            "Correct kind (a school teaching grades {grades} is one of {fits}) or set {column} "
            "to 0.",
        ),
        "zh": (
            "学校类型 {kind!r} 只教 {taught} 年级,但 {column} 为 {value}:两者必有一个有误"
            "(规划按学校类型计算)。",
            "更正学校类型(教 {grades} 年级的学校类型为 {fits}之一),或把 {column} 改为 0。",
        ),
    },
    "no_classes": {
        "en": (
            "No classes for {pupils} enrolled pupils of grades {grades}.",
            "Enter the number of classes (1 or more) or set the enrolment to 0.",
        ),
        "zh": (
            "{grades} 年级有 {pupils} 名在校生,却没有班级。",
            "填写班级数(1 或以上),或把在校生数改为 0。",
        ),
    },
    "unknown_township": {
        "en": (
            "Unknown township.",
            "Use a township id ({ids}), name or name_zh from {file}.",
        ),
        "zh": ("乡镇无法识别。", "使用 {file} 中的乡镇编号({ids})、名称或中文名称。"),
    },
    "unknown_school": {
        "en": ("Unknown school.", "Use a school id from {file}."),
        "zh": ("学校无法识别。", "使用 {file} 中的学校编号。"),
    },
    "school_wrong_level": {
        "en": (
            "{column} names {school}, a {kind} school, which teaches no {level} grades (it "
            "teaches grades {taught}).",
            "Name a {level} school in {column} (a school whose kind teaches grades {grades}), or "
            "correct the kind of {school} in {file}.",
        ),
        "zh": (
            "{column} 填的是 {school},一所 {kind} 学校,不教{level_zh}年级(它教 {taught} 年级)。",
            "在 {column} 中填一所{level_zh}学校(其类型教 {grades} 年级),或在 {file} 中更正 "
            "{school} 的学校类型。",
        ),
    },
    "outside_boundary": {
        "en": (
            "The location lies {km} km outside the county boundary (union of townships; "
            "tolerance {tolerance_m} m).",
            "Check the coordinates (swapped? GCJ-02/BD-09 not declared?) or raise the boundary "
            "tolerance.",
        ),
        "zh": (
            "该位置在县界(各乡镇合并范围)之外 {km} 公里(容差 {tolerance_m} 米)。",
            "检查坐标(经纬度填反?GCJ-02/BD-09 未声明?),或放宽边界容差。",
        ),
    },
    "empty_file": {
        "en": (
            "{file} is empty (0 bytes).",
            "Save {file} again from the program it was made in (Excel, WPS, a GIS), or copy it "
            "again; a 0-byte file is a failed save or copy.",
        ),
        "zh": (
            "{file} 是空文件(0 字节)。",
            "用制作它的软件(Excel、WPS、GIS)重新保存 {file},或重新复制;"
            "0 字节的文件是保存或复制失败。",
        ),
    },
    "missing_layer": {
        "en": (
            "The {layer} layer is missing.",
            "Add {layer}.csv/.xlsx/.geojson/.shp, or a layer {layer!r} in the GeoPackage.",
        ),
        "zh": (
            "缺少 {layer} 图层。",
            "添加 {layer}.csv/.xlsx/.geojson/.shp,或在 GeoPackage 中添加图层 {layer!r}。",
        ),
    },
    "key_twice": {
        "en": (
            "{key!r} is written twice, at lines {first} and {line}; the later one would silently "
            "replace the earlier.",
            "Keep one {name!r} (move the fields of both into it).",
        ),
        "zh": (
            "{key!r} 写了两次(第 {first} 行和第 {line} 行);后一个会悄悄覆盖前一个。",
            "只保留一个 {name!r}(把两处的内容合并到一起)。",
        ),
    },
    "area_crs": {
        "en": (
            "{error}",
            "Correct `crs: {value}` in area.yaml (e.g. `crs: EPSG:4538`), or delete the line to "
            "use the UTM zone of the data.",
        ),
        "zh": (
            "area.yaml 中的坐标系 {value!r} 无法用于米制计算(未知或不是投影坐标系)。",
            "更正 area.yaml 中的 `crs:`(如 `crs: EPSG:4538`),或删除这一行以使用数据所在的 UTM 带。",
        ),
    },
    "undecodable_text": {
        "en": (
            "Undecodable text (neither {encodings}) at byte {offset}.",
            "Save the file as UTF-8 (Excel: 'CSV UTF-8') or GBK.",
        ),
        "zh": (
            "第 {offset} 字节处的文字无法解码(既不是 UTF-8 也不是 GB18030)。",
            "将文件另存为 UTF-8(Excel:“CSV UTF-8”)或 GBK 编码。",
        ),
    },
    "xy_without_crs": {
        "en": (
            "Missing CRS: the table has x/y columns but no coordinate system is declared.",
            "Add `coordinates: EPSG:xxxx` (e.g. EPSG:4538) to {file}, or use longitude/latitude "
            "columns.",
        ),
        "zh": (
            "缺少坐标系:表格有 x/y 列,但没有声明坐标系。",
            "在 {file} 中添加 `coordinates: EPSG:xxxx`(如 EPSG:4538),或改用经度/纬度列。",
        ),
    },
    "not_a_coordinate": {
        "en": (
            "Not a coordinate ({error}).",
            "Enter decimal degrees (86.5) or degrees-minutes-seconds (86°30′0″).",
        ),
        "zh": ("不是坐标。", "填写十进制度(86.5)或度分秒(86°30′0″)。"),
    },
    "missing_coordinate": {
        "en": ("Missing coordinate.", "Fill in the longitude and latitude of the point."),
        "zh": ("缺少坐标。", "填写该点的经度和纬度。"),
    },
    "missing_crs": {
        "en": (
            "Missing CRS: the file does not say which coordinate system it uses.",
            "Add the .prj file (shapefile), or declare it in columns.yaml, e.g. "
            "`coordinates: {{{layer}: cgcs2000}}`.",
        ),
        "zh": (
            "缺少坐标系:文件没有说明使用哪个坐标系。",
            "补上 .prj 文件(shapefile),或在 columns.yaml 中声明,例如 "
            "`coordinates: {{{layer}: cgcs2000}}`。",
        ),
    },
    "degrees_out_of_range": {
        "en": (
            "Unknown or wrong CRS: the file says degrees but the coordinates are out of range "
            "(projected metres?).",
            "Save the layer with its real CRS (.prj), or declare it in columns.yaml.",
        ),
        "zh": (
            "坐标系未知或有误:文件声明为经纬度,但坐标超出范围(可能是投影坐标,单位为米)。",
            "用真实的坐标系(.prj)保存该图层,或在 columns.yaml 中声明。",
        ),
    },
    "unknown_field": {
        "en": ("Unknown field.", "Remove it or use one of: {known}. Did you mean {close!r}?"),
        "zh": ("未知字段 {field}。", "删除它,或使用以下之一:{known}。是否想写 {close!r}?"),
    },
    "unknown_field_no_hint": {
        "en": ("Unknown field.", "Remove it or use one of: {known}."),
        "zh": ("未知字段 {field}。", "删除它,或使用以下之一:{known}。"),
    },
    "scenario_not_positive": {
        "en": ("Not a positive number.", "Write a number such as 30."),
        "zh": ("{field} 不是正数。", "填写一个数,如 30。"),
    },
    "scenario_not_number": {
        "en": ("Not a number.", "Write a number such as 30."),
        "zh": ("{field} 不是数字。", "填写一个数,如 30。"),
    },
    "scenario_not_whole": {
        "en": ("Not a whole number of at least {low}.", "Write a whole number such as {example}."),
        "zh": ("{field} 不是不小于 {low} 的整数。", "填写整数,如 {example}。"),
    },
    "scenario_not_bool": {
        "en": ("Not true or false.", "Write true or false."),
        "zh": ("{field} 应为 true 或 false。", "填写 true(是)或 false(否)。"),
    },
    "scenario_not_ids": {
        "en": ("Not a list of ids.", "Write a list such as [S01, S02]."),
        "zh": ("{field} 不是编号列表。", "写成列表,如 [S01, S02]。"),
    },
    "scenario_unknown_band": {
        "en": ("Unknown grade band.", "Use {bands}."),
        "zh": ("未知的年级段。", "使用 {bands}。"),
    },
    "scenario_path_missing": {
        "en": (
            "The file or folder does not exist.",
            "Check the name; relative paths are read from the folder of the scenario file that "
            "names them.",
        ),
        "zh": (
            "{field} 指向的文件或文件夹不存在。",
            "检查名称;相对路径从写它的方案文件所在的文件夹算起。",
        ),
    },
    "scenario_unknown_ids": {
        "en": (
            "Not ids of the {layer} layer.",
            "Use ids of the {layer} layer, such as {examples}.",
        ),
        "zh": ("{field} 中的编号不在 {layer} 图层中。", "使用 {layer} 图层的编号,如 {examples}。"),
    },
    "columns_unknown_section": {
        "en": ("Unknown section.", "Use one of: {sections}."),
        "zh": ("columns.yaml 中有未知的节。", "使用以下之一:{sections}。"),
    },
    "columns_not_contract": {
        "en": ("Not a column of the contract.", "Map onto one of: {known}."),
        "zh": ("不是数据规范中的列。", "对应到以下之一:{known}。"),
    },
    "unreadable_vector": {
        "en": (
            "Cannot read the file: {error}",
            "Check that the file is complete (a shapefile needs .shp, .shx, .dbf).",
        ),
        "zh": ("无法读取该文件。", "检查文件是否完整(shapefile 需要 .shp、.shx、.dbf 三个文件)。"),
    },
    "columns_header_absent": {
        "en": (
            "columns.yaml maps header {header!r}, which {file} does not have; headers seen: "
            "{seen}.",
            "Correct the header in columns.yaml or in the file.",
        ),
        "zh": (
            "columns.yaml 对应了表头 {header!r},但 {file} 中没有这个表头;文件中的表头为:{seen}。",
            "在 columns.yaml 或文件中更正该表头。",
        ),
    },
    "headers_ambiguous": {
        "en": (
            "Several headers map onto {column!r}.",
            "Keep one of them, or map them explicitly in columns.yaml.",
        ),
        "zh": ("有多个表头都对应到 {column!r}。", "只保留其中一个,或在 columns.yaml 中明确对应。"),
    },
}
"""Problem code -> language -> (problem, fix) templates (``str.format`` fields)."""

_LEVEL_ZH = {"primary": "小学", "middle": "初中"}


def message_fields(template: str) -> set[str]:
    """The names of the ``{fields}`` a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _render(code: str, lang: str, params: dict[str, str]) -> tuple[str, str]:
    message, fix = MESSAGES[code][lang]
    return message.format(**params), fix.format(**params)


def coded_problem(
    code: str,
    file: str,
    layer: str,
    row_id: str,
    column: str,
    value: Any,
    /,
    *,
    severity: str = "error",
    **params: Any,
) -> Problem:
    """A :class:`Problem` whose text comes from the catalogue entry ``code``.

    Raises
    ------
    ArgumentError
        When ``code`` is not in :data:`MESSAGES`.
    """
    if code not in MESSAGES:
        msg = f"Unknown problem code {code!r}; add it to geoplan.data.messages.MESSAGES."
        raise ArgumentError(msg)
    texts = {k: str(v) for k, v in params.items()}
    if "level" in texts:
        texts.setdefault("level_zh", _LEVEL_ZH.get(texts["level"], texts["level"]))
    message, fix = _render(code, "en", texts)
    return Problem(
        file,
        layer,
        row_id,
        column,
        "" if value is None else str(value),
        message,
        fix,
        severity,
        code=code,
        params=tuple(sorted(texts.items())),
    )


def problem_text(problem: Problem, lang: str = "en") -> tuple[str, str]:
    """The problem and fix of ``problem`` in ``lang`` (``en`` or ``zh``).

    A problem without a catalogue code keeps its English text in every language.

    Raises
    ------
    ArgumentError
        When ``lang`` is not one of :data:`LANGUAGES`.
    """
    if lang not in LANGUAGES:
        msg = f"Unknown language {lang!r}; use one of {', '.join(LANGUAGES)}."
        raise ArgumentError(msg)
    if lang == "en" or problem.code not in MESSAGES:
        return problem.message, problem.fix
    return _render(problem.code, lang, dict(problem.params))
