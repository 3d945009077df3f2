"""The catalogue of input problems in English and Chinese, keyed by problem code.

Every check that finds a problem names it by a code (``duplicate_id``) and the values the text
needs (``first``, ``this``); :func:`coded_problem` makes the :class:`~geoplan.errors.Problem` with
the English text, and :func:`problem_text` gives its problem and fix in English or Chinese
(``geoplan validate --lang zh``). A test fails when a code lacks either language or the two
languages use different values.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from geoplan.errors import ArgumentError, GeoplanError, Problem

__all__ = [
    "EXAMPLES_SHOWN",
    "IMPLIED_FIELDS",
    "KIND_WORDS",
    "LANGUAGES",
    "MESSAGES",
    "coded_error",
    "coded_problem",
    "id_examples",
    "message_fields",
    "problem_text",
    "row_text",
    "with_kind",
]

LANGUAGES: tuple[str, ...] = ("en", "zh")
"""Languages of the catalogue."""

IMPLIED_FIELDS: tuple[str, ...] = (
    "field",
    "level_zh",
    "unit_zh",
    "more_zh",
    "listed_zh",
    "ids_zh",
    "description_zh",
    "differences_zh",
    "close_zh",
    "inside_zh",
)
"""Values a translation may name that its English text does not: ``field`` (given to every
scenario problem: the dotted field), ``level_zh`` (made from ``level``), ``unit_zh`` (made
from ``unit``), ``more_zh`` and ``ids_zh`` (made with ``more`` and ``ids`` by
:func:`id_examples`, ``ids_zh`` naming each id by its Chinese name where it has one),
``listed_zh`` (given with ``listed``: the same rows by their Chinese names), and the Chinese of
a value its caller writes in English, ``description_zh`` (a column's meaning),
``differences_zh`` (a total row's differences), ``close_zh`` and ``inside_zh`` (townships by
their Chinese names)."""

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
    "lonlat_columns_swapped": {
        "en": (
            "Longitude and latitude look swapped on every one of the {count} rows (this is the "
            "first): the two columns are the other way round.",
            "Swap the headers of {lon!r} and {lat!r} (longitude is east, 73-135 in China; "
            "latitude is north, 18-54).",
        ),
        "zh": (
            "全部 {count} 行的经度和纬度似乎都填反了(这是第一行):两列的位置对调了。",
            "对调 {lon!r} 与 {lat!r} 两列的表头(经度是东经,中国为 73-135;纬度是北纬,18-54)。",
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
    "id_scientific": {
        "en": (
            "{count} id(s) are in Excel's scientific notation ({rows}): Excel showed long "
            "number codes as 6.52827E+11 and saved them so; their last digits are lost.",
            "In the workbook, format the id column as Text (Format Cells → Text) and type the "
            "codes again, or start each with an apostrophe ('652827100001); then save the CSV "
            "again, or send the .xlsx.",
        ),
        "zh": (
            "{count} 个编号是 Excel 的科学计数法({rows}):Excel 把长数字编号显示为 "
            "6.52827E+11 并照此保存,末几位数字已丢失。",
            "在工作簿中把编号列设为文本格式(设置单元格格式 → 文本)后重新输入编号,或在每个编号前"
            "加英文单引号('652827100001);然后重新另存为 CSV,或直接发送 .xlsx 文件。",
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
        "zh": ("必填列缺少数值。", "填写 {column!r}({description_zh})。"),
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
    "township_parts_joined": {
        "en": (
            "{count} features ({rows}) share this id and every attribute: read as the parts of "
            "one township (an exclave drawn apart).",
            "Nothing to do; if they are different townships, give each its own id.",
        ),
        "zh": (
            "{count} 个要素({rows})编号和全部属性都相同:按同一乡镇的几个部分读取(单独绘制的飞地)。",
            "无需处理;若它们是不同的乡镇,请给每个乡镇各自的编号。",
        ),
    },
    "closed_line_as_polygon": {
        "en": (
            "A closed line (a boundary drawn or walked as a track, as 2bulu and Ovital save "
            "them) is read as the polygon it encloses.",
            "Nothing to do; check the shape on the map.",
        ),
        "zh": (
            "闭合线(两步路、奥维等以轨迹形式保存的边界)已按其围成的多边形读取。",
            "无需处理;请在地图上核对形状。",
        ),
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
        "en": ("The {layer} layer is empty.", "Add at least one row to {file}."),
        "zh": ("{layer} 图层没有数据。", "在 {file} 中至少填写一行。"),
    },
    "empty_optional_layer": {
        "en": (
            "The {layer} layer is empty.",
            "Add at least one row to {file}, or delete the file.",
        ),
        "zh": ("{layer} 图层没有数据。", "在 {file} 中至少填写一行,或删除该文件。"),
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
            "Use a township id ({ids}{more}), name or name_zh from {file}.",
        ),
        "zh": ("乡镇无法识别。", "使用 {file} 中的乡镇编号({ids_zh}{more_zh})、名称或中文名称。"),
    },
    "township_elsewhere": {
        "en": (
            "The location lies {km} km outside township {township}, which its township column "
            "names; it lies in (or nearest to) {inside}.",
            "Check the township (write {inside}?) or the coordinates.",
        ),
        "zh": (
            "该位置在其乡镇一栏所填的乡镇 {township} 之外 {km} 公里,实际位于(或最靠近){inside}。",
            "核对乡镇(应为 {inside}?)或坐标。",
        ),
    },
    "township_overlap": {
        "en": (
            "Townships {other} and this one overlap by {ha} ha (about {width_m} m wide): a "
            "digitising sliver.",
            "Snap the shared boundary in GIS (QGIS: Topology Checker, or Snap geometries to "
            "layer). Villages keep the township their column names, so plans are unaffected; "
            "the maps draw the overlap.",
        ),
        "zh": (
            "本乡镇与乡镇 {other} 重叠 {ha} 公顷(约 {width_m} 米宽),是数字化误差造成的碎片。",
            "在 GIS 中对齐共用边界(QGIS:拓扑检查器,或“捕捉几何到图层”)。村庄仍按其乡镇一栏"
            "归属,规划不受影响;地图会画出重叠。",
        ),
    },
    "township_gap": {
        "en": (
            "A gap of {ha} ha (about {width_m} m wide) lies between this township and {others}, "
            "in no township, around lon/lat {lon}, {lat}: a digitising sliver.",
            "Snap the shared boundary in GIS (QGIS: Topology Checker, or Snap geometries to "
            "layer). A village in the gap is still read (it lies within the boundary "
            "tolerance) and keeps the township its column names.",
        ),
        "zh": (
            "本乡镇与 {others} 之间有 {ha} 公顷(约 {width_m} 米宽)不属于任何乡镇的缝隙,位于经纬度 "
            "{lon}, {lat} 附近,是数字化误差造成的碎片。",
            "在 GIS 中对齐共用边界(QGIS:拓扑检查器,或“捕捉几何到图层”)。缝隙中的村庄仍可读入"
            "(在边界容差内),并按其乡镇一栏归属。",
        ),
    },
    "unknown_township_close": {
        "en": (
            "Unknown township; the closest township names are {close}.",
            "Write the township's id ({choices}) or its name exactly as {file} has it.",
        ),
        "zh": (
            "乡镇无法识别;名称最接近的乡镇是 {close_zh}。",
            "填写乡镇编号({choices}),或与 {file} 中完全一致的名称。",
        ),
    },
    "unknown_township_inside": {
        "en": (
            "Unknown township; the point lies in {inside}.",
            "Write the township's id ({choices} if that is it), or a township id ({ids}{more}), "
            "name or name_zh from {file}.",
        ),
        "zh": (
            "乡镇无法识别;该点位于 {inside_zh}。",
            "填写乡镇编号(若是该乡镇则填 {choices}),或 {file} 中的乡镇编号({ids_zh}{more_zh})、"
            "名称或中文名称。",
        ),
    },
    "unknown_township_close_inside": {
        "en": (
            "Unknown township; the closest township names are {close}, and the point lies in "
            "{inside}.",
            "Write the township's id ({choices}) or its name exactly as {file} has it.",
        ),
        "zh": (
            "乡镇无法识别;名称最接近的乡镇是 {close_zh},该点位于 {inside_zh}。",
            "填写乡镇编号({choices}),或与 {file} 中完全一致的名称。",
        ),
    },
    "missing_township_inside": {
        "en": (
            "Missing township; the point lies in {inside}.",
            "Fill in the township: {inside_id} if that is it (the id of the township the point "
            "lies in).",
        ),
        "zh": (
            "缺少乡镇;该点位于 {inside_zh}。",
            "填写乡镇:若是该乡镇则填 {inside_id}(点所在乡镇的编号)。",
        ),
    },
    "township_names_read": {
        "en": (
            "Townships written without 乡/镇/Township are read as the one township of {file} "
            "of that name: {pairs}.",
            "Nothing to do if each is right; else write the township's id or its full name.",
        ),
        "zh": (
            "省略“乡”“镇”等的乡镇名称已按 {file} 中同名的唯一乡镇读取:{pairs}。",
            "若每一项都正确则无需处理;否则填写乡镇编号或完整名称。",
        ),
    },
    "township_leading_zeros": {
        "en": (
            "Township codes without their leading zeros are read as the codes of {file} "
            "({pairs}): Excel reads a typed 01 as the number 1.",
            "Nothing to do; to keep the zeros, format the column as Text in Excel.",
        ),
        "zh": (
            "缺少前导零的乡镇编号已按 {file} 中的编号读取({pairs}):"
            "Excel 会把输入的 01 当作数字 1。",
            "无需处理;如需保留前导零,请在 Excel 中把该列设为文本格式。",
        ),
    },
    "township_edge_noise": {
        "en": (
            "Along the boundary of this township and {others}: {overlaps} overlap(s) and "
            "{gaps} gap(s), each under {noise_m} m wide ({ha} ha in all, the widest about "
            "{width_m} m): the two boundaries were drawn apart, not from one shared line.",
            "Nothing to fix for the plan: villages keep the township their column names. To "
            "clean the map, snap the boundaries in GIS (QGIS: Snap geometries to layer, "
            "tolerance {noise_m} m).",
        ),
        "zh": (
            "本乡镇与 {others} 的边界上有 {overlaps} 处重叠、{gaps} 处缝隙,每处均不足 "
            "{noise_m} 米宽(共 {ha} 公顷,最宽约 {width_m} 米):两条边界是分别描绘的,而非同一条"
            "共用边界线。",
            "规划无需修改:村庄仍按其乡镇一栏归属。如需整理地图,请在 GIS 中对齐边界(QGIS:"
            "“捕捉几何到图层”,容差 {noise_m} 米)。",
        ),
    },
    "township_hole": {
        "en": (
            "A hole of {ha} ha (about {width_m} m wide) inside this township lies in no "
            "township, around lon/lat {lon}, {lat}.",
            "If it is land of no township (a farm, corps or town land), nothing to fix; if it "
            "is a digitising slip, remove the hole in GIS (QGIS: Delete holes).",
        ),
        "zh": (
            "本乡镇内部有一处 {ha} 公顷(约 {width_m} 米宽)不属于任何乡镇的空洞,位于经纬度 "
            "{lon}, {lat} 附近。",
            "若它确实不属于任何乡镇(农场、兵团或城镇用地)则无需修改;若是数字化失误,请在 GIS 中"
            "删除该空洞(QGIS:删除孔洞)。",
        ),
    },
    "township_enclave": {
        "en": (
            "An area of {ha} ha enclosed by this township and {others} lies in no township, "
            "around lon/lat {lon}, {lat} (an enclave: a farm, corps or town land?).",
            "Nothing to fix if it belongs to no township of the county; villages and schools in "
            "it farther than the boundary tolerance from every township are reported as outside "
            "the county boundary.",
        ),
        "zh": (
            "本乡镇与 {others} 包围的 {ha} 公顷区域不属于任何乡镇,位于经纬度 {lon}, {lat} 附近"
            "(飞地:农场、兵团或城镇用地?)。",
            "若它确实不属于本县任何乡镇则无需修改;其中距各乡镇超过边界容差的村庄和学校会被报告为"
            "在县界之外。",
        ),
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
            "Add a file named {layer} (any case): a table {layer}.xlsx, .xls, .csv or .txt with "
            "longitude and latitude columns (or beside {layer}.kml/.kmz holding the points), or "
            "points as GeoPackage, GeoJSON, shapefile, KML or KMZ ({layer}.gpkg, .geojson, .shp, "
            ".kml, .kmz); or a layer {layer!r} in a GeoPackage of the folder.",
        ),
        "zh": (
            "缺少 {layer} 图层。",
            "添加以 {layer} 命名的文件(大小写均可):含经度、纬度列的表格 {layer}.xlsx、.xls、.csv "
            "或 .txt(或表格旁放一个存有这些点的 {layer}.kml/.kmz),或 GeoPackage、GeoJSON、"
            "shapefile、KML、KMZ 格式的点({layer}.gpkg、.geojson、.shp、.kml、.kmz);"
            "或在文件夹中的 GeoPackage 里添加图层 {layer!r}。",
        ),
    },
    "missing_layer_unrecognised": {
        "en": (
            "The {layer} layer is missing; files whose names match no layer: {others}.",
            "If one of them holds the {layer} layer, rename it {example} (each layer's file is "
            "found by its name only: {layer} with a suffix of .xlsx, .xls, .csv, .txt, .gpkg, "
            ".geojson, .shp, .kml or .kmz). Else add such a file: a table with longitude and "
            "latitude columns, or points as GeoPackage, GeoJSON, shapefile, KML or KMZ.",
        ),
        "zh": (
            "缺少 {layer} 图层;文件夹中这些文件的名称不对应任何图层:{others}。",
            "若其中之一就是 {layer} 图层,请把它改名为 {example}(每个图层的文件只按名称查找:"
            "{layer} 加扩展名 .xlsx、.xls、.csv、.txt、.gpkg、.geojson、.shp、.kml 或 .kmz)。"
            "否则添加这样的文件:含经度、纬度列的表格,或 GeoPackage、GeoJSON、shapefile、KML、"
            "KMZ 格式的点。",
        ),
    },
    "missing_polygon_layer": {
        "en": (
            "The {layer} layer is missing.",
            "Add its polygons, from a GIS or Google Earth, as {layer}.gpkg (GeoPackage), "
            "{layer}.geojson (GeoJSON), {layer}.shp (shapefile, with its .shx and .dbf), "
            "{layer}.kml or {layer}.kmz; a table cannot hold polygons. Or add a layer {layer!r} "
            "to a GeoPackage of the folder.",
        ),
        "zh": (
            "缺少 {layer} 图层。",
            "从 GIS 或谷歌地球导出其多边形,保存为 {layer}.gpkg(GeoPackage)、{layer}.geojson"
            "(GeoJSON)、{layer}.shp(shapefile,连同 .shx 和 .dbf)、{layer}.kml 或 {layer}.kmz;"
            "表格无法存放多边形。或在文件夹中的 GeoPackage 里添加图层 {layer!r}。",
        ),
    },
    "missing_polygon_layer_unrecognised": {
        "en": (
            "The {layer} layer is missing; files whose names match no layer: {others}.",
            "If one of them holds the {layer} polygons, rename it {example} (each layer's file "
            "is found by its name only: {layer} with a suffix of .gpkg, .geojson, .shp, .kml or "
            ".kmz). Else add the polygons as GeoPackage, GeoJSON, shapefile, KML or KMZ; a "
            "table cannot hold polygons.",
        ),
        "zh": (
            "缺少 {layer} 图层;文件夹中这些文件的名称不对应任何图层:{others}。",
            "若其中之一存有 {layer} 多边形,请把它改名为 {example}(每个图层的文件只按名称查找:"
            "{layer} 加扩展名 .gpkg、.geojson、.shp、.kml 或 .kmz)。否则把多边形保存为 "
            "GeoPackage、GeoJSON、shapefile、KML 或 KMZ;表格无法存放多边形。",
        ),
    },
    "layer_two_files": {
        "en": (
            "Two files hold the {layer} layer: {read} and {others}; {read} was read, the other "
            "not, and the two may differ.",
            "Keep one file for {layer}: delete {others}, or move it out of the folder, or rename "
            "it (e.g. {renamed}), so a run cannot use another file than the one you checked.",
        ),
        "zh": (
            "有两个文件都是 {layer} 图层:{read} 和 {others};只读取了 {read},另一个未读取,"
            "而两者内容可能不同。",
            "{layer} 只保留一个文件:删除 {others},或将其移出文件夹,或改名(如 {renamed}),"
            "以免运行时用到的不是您核对过的那个文件。",
        ),
    },
    "gpkg_unreadable": {
        "en": (
            "Cannot open {file} as a GeoPackage: it is damaged, or not a GeoPackage; no layer "
            "was read from it.",
            "Open {file} in QGIS: if it opens, export its layers again as a GeoPackage; if not, "
            "ask the sender for it again. If it holds no layer of the plan, move it out of the "
            "folder.",
        ),
        "zh": (
            "无法以 GeoPackage 打开 {file}:文件已损坏,或并非 GeoPackage;未从中读取任何图层。",
            "用 QGIS 打开 {file}:若能打开,把其中的图层重新导出为 GeoPackage;若打不开,请发送方"
            "重新提供。若其中没有规划所需的图层,请将其移出文件夹。",
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
        "en": ("Not a positive number.", "Write a number such as {example}."),
        "zh": ("{field} 不是正数。", "填写一个数,如 {example}。"),
    },
    "scenario_not_money": {
        "en": (
            "Not an amount in yuan.",
            "Write a number of yuan such as {example}; 万, 万元 and 元 may follow it (50万).",
        ),
        "zh": ("{field} 不是金额(元)。", "填写金额(元),如 {example};可带万、万元或元(50万)。"),
    },
    "scenario_not_number": {
        "en": ("Not a number.", "Write a number such as {example}."),
        "zh": ("{field} 不是数字。", "填写一个数,如 {example}。"),
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
    "closure_no_such_road": {
        "en": (
            "closure {label!r}: no road is named {name!r} (closest road names: {close}).",
            "write the name exactly as the road file has it (closures.roads[].names), or use "
            "way_ids.",
        ),
        "zh": (
            "封闭 {label!r}:没有名为 {name!r} 的道路(最接近的道路名:{close})。",
            "按道路文件中的写法一字不差地填写道路名(closures.roads[].names),或改用 way_ids。",
        ),
    },
    "closure_no_such_road_none_close": {
        "en": (
            "closure {label!r}: no road is named {name!r} (the network has {count} road names, "
            "none close).",
            "write the name exactly as the road file has it (closures.roads[].names), or use "
            "way_ids.",
        ),
        "zh": (
            "封闭 {label!r}:没有名为 {name!r} 的道路(路网有 {count} 个道路名,没有相近的)。",
            "按道路文件中的写法一字不差地填写道路名(closures.roads[].names),或改用 way_ids。",
        ),
    },
    "closure_no_such_way": {
        "en": (
            "closure {label!r}: OSM way id(s) {missing} are not in the road network.",
            "check the ids (the edge attribute osmid), or close the road by name.",
        ),
        "zh": (
            "封闭 {label!r}:路网中没有 OSM 路段编号 {missing}。",
            "核对编号(路段属性 osmid),或按道路名封闭。",
        ),
    },
    "mode_no_open_road": {
        "en": (
            "Mode {mode}: no road in the graph is open to this mode. It uses {usable}; the "
            "graph's edges (each direction counted) are {has} ({by_access} closed to it by OSM "
            "access tags, {closed} by the scenario's closures).",
            "Give a road file holding the roads this mode uses (merge a local roads layer), or "
            "choose another travel mode for the band (travel.modes).",
        ),
        "zh": (
            "出行方式 {mode}:路网中没有这种方式可走的道路。它使用的道路等级为 {usable};路网的"
            "路段(每个方向各计一次)为 {has}(其中 {by_access} 条因 OSM 通行标签禁止通行,"
            "{closed} 条被方案的封路关闭)。",
            "提供包含这种方式所用道路的路网文件(合并本地道路图层),或为该年级段选择另一种出行"
            "方式(travel.modes)。",
        ),
    },
    "closure_polygon_outside": {
        "en": (
            "closure {label!r}: the polygon lies outside the road network (extent {extent}).",
            "give the polygon in the area's metric CRS.",
        ),
        "zh": (
            "封闭 {label!r}:多边形在路网范围之外(路网范围 {extent})。",
            "用规划区的米制坐标系填写多边形。",
        ),
    },
    "roads_miss_county": {
        "en": (
            "The road network misses the county: {far} of {villages} villages are farther than "
            "{max_access_m} m from every road (the nearest road is {median_km} km away for half of "
            "them). The road file ({source}) covers longitude {roads_lon}, latitude {roads_lat}; "
            "the county covers longitude {county_lon}, latitude {county_lat}.",
            "Give the road file of this county (roads.* in the folder, or area.roads in the "
            "scenario), or check the road file's CRS.",
        ),
        "zh": (
            "路网没有覆盖本县:{villages} 个村中有 {far} 个离所有道路都超过 {max_access_m} 米(其中一"
            "半离最近的道路 {median_km} 公里以上)。道路文件({source})的范围是经度 {roads_lon}、纬度"
            " {roads_lat};本县的范围是经度 {county_lon}、纬度 {county_lat}。",
            "使用本县的道路文件(文件夹中的 roads.*,或方案中的 area.roads),或检查道路文件的坐标系。",
        ),
    },
    "coordinates_look_gcj02": {
        "en": (
            "The {layer} look like GCJ-02 (Amap, Tencent) coordinates read as WGS-84: the median "
            "distance of their {points} points to the nearest road is {given_m} m as given but "
            "{converted_m} m after converting GCJ-02 to WGS-84. Undeclared, they join the wrong "
            "roads; geoplan does not convert them unasked.",
            "If {file} comes from Amap (高德) or Tencent maps, declare it in {columns}, the "
            "column mapping the folder is read with (`coordinates: {{{layer}: gcj02}}`), and "
            "geoplan converts it; if the points are GPS (WGS-84), declare "
            "`coordinates: {{{layer}: wgs84}}` there to say so.",
        ),
        "zh": (
            "{layer} 的坐标似乎是 GCJ-02(高德、腾讯)坐标,却被当作 WGS-84 读入:{points} 个点离最近"
            "道路的距离中位数按原坐标为 {given_m} 米,按 GCJ-02 转为 WGS-84 后为 {converted_m} 米。"
            "不声明坐标系,这些点会接到错误的道路上;geoplan 不会擅自转换。",
            "如果 {file} 来自高德或腾讯地图,在读取该文件夹所用的列对应文件 {columns} 中声明"
            "(`coordinates: {{{layer}: gcj02}}`),geoplan 会自动转换;如果这些点是 GPS"
            "(WGS-84)坐标,在该文件中声明 `coordinates: {{{layer}: wgs84}}` 加以说明。",
        ),
    },
    "coordinates_look_bd09": {
        "en": (
            "The {layer} look like BD-09 (Baidu) coordinates read as WGS-84: the median "
            "distance of their {points} points to the nearest road is {given_m} m as given but "
            "{converted_m} m after converting BD-09 to WGS-84. Undeclared, they join the wrong "
            "roads; geoplan does not convert them unasked.",
            "If {file} comes from Baidu maps (百度地图), declare it in {columns}, the column "
            "mapping the folder is read with (`coordinates: {{{layer}: bd09}}`), and geoplan "
            "converts it; if the points are GPS (WGS-84), declare "
            "`coordinates: {{{layer}: wgs84}}` there to say so.",
        ),
        "zh": (
            "{layer} 的坐标似乎是 BD-09(百度)坐标,却被当作 WGS-84 读入:{points} 个点离最近"
            "道路的距离中位数按原坐标为 {given_m} 米,按 BD-09 转为 WGS-84 后为 {converted_m} 米。"
            "不声明坐标系,这些点会接到错误的道路上;geoplan 不会擅自转换。",
            "如果 {file} 来自百度地图,在读取该文件夹所用的列对应文件 {columns} 中声明"
            "(`coordinates: {{{layer}: bd09}}`),geoplan 会自动转换;如果这些点是 GPS"
            "(WGS-84)坐标,在该文件中声明 `coordinates: {{{layer}: wgs84}}` 加以说明。",
        ),
    },
    "townships_look_gcj02": {
        "en": (
            "The townships look like GCJ-02 (Amap, Tencent) boundaries read as WGS-84: "
            "{outside} of the {points} villages, schools and sites lie outside the township "
            "their township column names as given, {converted} after converting the boundaries "
            "from GCJ-02 to WGS-84 (a shift of {shift_m} m). Undeclared, points near a boundary "
            "count in the wrong township; geoplan does not convert them unasked.",
            "If {file} was traced on an Amap (高德) or Tencent map, declare it in {columns}, the "
            "column mapping the folder is read with (`coordinates: {{townships: gcj02}}`), and "
            "geoplan converts it; if the boundaries are surveyed (CGCS2000, WGS-84), declare "
            "`coordinates: {{townships: wgs84}}` there to say so.",
        ),
        "zh": (
            "乡镇边界似乎是 GCJ-02(高德、腾讯)坐标,却被当作 WGS-84 读入:{points} 个村、学校和"
            "教学点中,按原边界有 {outside} 个落在其乡镇一栏所填的乡镇之外,边界按 GCJ-02 转为 "
            "WGS-84(平移 {shift_m} 米)后为 {converted} 个。不声明坐标系,边界附近的点会算进错误"
            "的乡镇;geoplan 不会擅自转换。",
            "如果 {file} 是在高德或腾讯地图上描绘的,在读取该文件夹所用的列对应文件 {columns} 中"
            "声明(`coordinates: {{townships: gcj02}}`),geoplan 会自动转换;如果边界是测绘成果"
            "(CGCS2000、WGS-84),在该文件中声明 `coordinates: {{townships: wgs84}}` 加以说明。",
        ),
    },
    "townships_look_bd09": {
        "en": (
            "The townships look like BD-09 (Baidu) boundaries read as WGS-84: {outside} of the "
            "{points} villages, schools and sites lie outside the township their township "
            "column names as given, {converted} after converting the boundaries from BD-09 to "
            "WGS-84 (a shift of {shift_m} m). Undeclared, points near a boundary count in the "
            "wrong township; geoplan does not convert them unasked.",
            "If {file} was traced on a Baidu map (百度地图), declare it in {columns}, the column "
            "mapping the folder is read with (`coordinates: {{townships: bd09}}`), and geoplan "
            "converts it; if the boundaries are surveyed (CGCS2000, WGS-84), declare "
            "`coordinates: {{townships: wgs84}}` there to say so.",
        ),
        "zh": (
            "乡镇边界似乎是 BD-09(百度)坐标,却被当作 WGS-84 读入:{points} 个村、学校和教学点"
            "中,按原边界有 {outside} 个落在其乡镇一栏所填的乡镇之外,边界按 BD-09 转为 WGS-84"
            "(平移 {shift_m} 米)后为 {converted} 个。不声明坐标系,边界附近的点会算进错误的乡镇;"
            "geoplan 不会擅自转换。",
            "如果 {file} 是在百度地图上描绘的,在读取该文件夹所用的列对应文件 {columns} 中声明"
            "(`coordinates: {{townships: bd09}}`),geoplan 会自动转换;如果边界是测绘成果"
            "(CGCS2000、WGS-84),在该文件中声明 `coordinates: {{townships: wgs84}}` 加以说明。",
        ),
    },
    "phase_fixed_over_sites": {
        "en": (
            "Phase {phase} has {fixed} sites fixed to it, but allows {sites} sites.",
            "Move some fixed phases (the sites' phase column) or allow more sites in that phase "
            "(restoration.sites_per_phase).",
        ),
        "zh": (
            "第 {phase} 期固定了 {fixed} 个教学点,但该期最多 {sites} 个。",
            "调整部分教学点的固定期次(sites 表的 phase 列),或放宽该期的个数限额"
            "(restoration.sites_per_phase)。",
        ),
    },
    "phase_fixed_over_budget": {
        "en": (
            "Phase {phase} has {fixed} sites fixed to it costing {cost} yuan, but its budget is "
            "{budget} yuan.",
            "Move some fixed phases (the sites' phase column) or raise that phase's budget "
            "(restoration.budget_per_phase_yuan).",
        ),
        "zh": (
            "第 {phase} 期固定了 {fixed} 个教学点,费用 {cost} 元,但该期预算只有 {budget} 元。",
            "调整部分教学点的固定期次(sites 表的 phase 列),或增加该期预算"
            "(restoration.budget_per_phase_yuan)。",
        ),
    },
    "must_over_sites": {
        "en": (
            "The sites that must be restored ({must}: {listed}) are more than the {sites} the "
            "phases allow (sites per phase: {per_phase}).",
            "Drop some of them from `must` (restoration.must, the sites' decision column) or "
            "allow more sites (restoration.sites_per_phase).",
        ),
        "zh": (
            "必须恢复 {must} 个教学点({listed_zh}),但各期合计只允许 {sites} 个(每期:{per_phase})。",
            "从必选中去掉其中一些(restoration.must 或 sites 表的 decision 列),或放宽每期个数"
            "(restoration.sites_per_phase)。",
        ),
    },
    "must_over_budget": {
        "en": (
            "The sites that must be restored ({must}: {listed}) cost {cost} yuan, but the "
            "phases' budgets add up to {budget} yuan (per phase: {per_phase_budget}).",
            "Drop some of them from `must` (restoration.must, the sites' decision column) or "
            "raise the budgets (restoration.budget_per_phase_yuan).",
        ),
        "zh": (
            "必须恢复 {must} 个教学点({listed_zh}),费用 {cost} 元,但各期预算合计只有 "
            "{budget} 元(每期:{per_phase_budget})。",
            "从必选中去掉其中一些(restoration.must 或 sites 表的 decision 列),或增加预算"
            "(restoration.budget_per_phase_yuan)。",
        ),
    },
    "must_fits_no_phase": {
        "en": (
            "Must site {site} fits in no phase (the sites or the budget per phase run out).",
            "Raise the sites or budget per phase (restoration.sites_per_phase, "
            "restoration.budget_per_phase_yuan), or drop {site} from the must list.",
        ),
        "zh": (
            "必选教学点 {site} 放不进任何一期(每期个数或预算不够)。",
            "放宽每期个数或预算(restoration.sites_per_phase、restoration.budget_per_phase_yuan),或"
            "把 {site} 移出必选列表。",
        ),
    },
    "plan_refused": {
        "en": (
            "The plan cannot be made: {error}.",
            "Change the scenario's settings named above (or the data they depend on).",
        ),
        "zh": ("无法制定规划(英文原因:{error})。", "修改上面所指的方案设置(或它所依赖的数据)。"),
    },
    "crs_unknown": {
        "en": ("Unknown CRS.", "Give an EPSG code such as EPSG:4538 or EPSG:32645."),
        "zh": ("坐标系无法识别。", "填写 EPSG 代码,如 EPSG:4538 或 EPSG:32645。"),
    },
    "crs_not_projected": {
        "en": (
            "The CRS is not projected; metric work needs metres.",
            "Give a projected CRS in metres (e.g. EPSG:4538).",
        ),
        "zh": (
            "该坐标系不是投影坐标系;米制计算需要以米为单位。",
            "填写以米为单位的投影坐标系(如 EPSG:4538)。",
        ),
    },
    "area_missing": {
        "en": (
            "The folder or file does not exist.",
            "Give a planning-area folder or a .gpkg file.",
        ),
        "zh": ("该文件夹或文件不存在。", "给出规划区文件夹或 .gpkg 文件。"),
    },
    "area_is_a_file": {
        "en": (
            "This is a file; give the planning-area folder that holds it.",
            "Run `geoplan validate {parent}`, or give a .gpkg holding every layer.",
        ),
        "zh": (
            "这是一个文件;请给出存放它的规划区文件夹。",
            "运行 `geoplan validate {parent}`,或给出包含全部图层的 .gpkg 文件。",
        ),
    },
    "columns_missing": {
        "en": ("The columns file does not exist.", "Check the name given with --columns."),
        "zh": ("表头对照文件不存在。", "检查 --columns 后给出的文件名。"),
    },
    "out_is_a_file": {
        "en": (
            "--out names a file.",
            "Give a folder to write the outputs into (a new or an existing folder).",
        ),
        "zh": ("--out 给出的是一个文件。", "给出一个用来存放结果的文件夹(新建或已有的均可)。"),
    },
    "out_is_a_folder": {
        "en": (
            "--out names a folder; the travel matrix is written to one file.",
            "Give a .csv or .xlsx file to write the matrix to (e.g. --out {example}).",
        ),
        "zh": (
            "--out 给出的是一个文件夹;出行矩阵写入一个文件。",
            "给出用来写入矩阵的 .csv 或 .xlsx 文件(如 --out {example})。",
        ),
    },
    "area_no_roads": {
        "en": (
            "Planning area {area!r} has no road network.",
            "Put one of {files} in its folder, or name a road file (--roads, or `area.roads` "
            "in the scenario).",
        ),
        "zh": (
            "规划区 {area!r} 没有路网。",
            "在其文件夹中放入 {files} 之一,或指定路网文件(--roads,或方案中的 `area.roads`)。",
        ),
    },
    "roads_unreadable": {
        "en": (
            "Cannot read the road file {file}: it is damaged or incomplete (a download cut "
            "short?), or not of the kind its name says.",
            "Replace {file} with a complete copy: download the county's OpenStreetMap extract "
            "again (.osm.pbf, e.g. from download.geofabrik.de), or export the roads from the GIS "
            "again as roads.gpkg.",
        ),
        "zh": (
            "无法读取路网文件 {file}:文件已损坏或不完整(下载中断?),或与其扩展名所示的格式不符。",
            "用完整的文件替换 {file}:重新下载本县的 OpenStreetMap 数据(.osm.pbf,如从 "
            "download.geofabrik.de),或从 GIS 重新把道路导出为 roads.gpkg。",
        ),
    },
    "roads_web_page": {
        "en": (
            "The road file {file} is a web page (HTML), not road data: the download saved a "
            "page instead of the file.",
            "Download the county's OpenStreetMap extract again (.osm.pbf, e.g. from "
            "download.geofabrik.de) and replace {file} with it.",
        ),
        "zh": (
            "路网文件 {file} 实为网页(HTML),并非道路数据:下载时保存的是网页而不是文件。",
            "重新下载本县的 OpenStreetMap 数据(.osm.pbf,如从 download.geofabrik.de),"
            "并用它替换 {file}。",
        ),
    },
    "roads_none": {
        "en": (
            "The road file {file} holds no roads (no way with a `highway` tag).",
            "Give an OpenStreetMap extract of the county with its roads, or a road layer "
            "(roads.gpkg) with a `highway` column.",
        ),
        "zh": (
            "路网文件 {file} 中没有道路(没有带 `highway` 标签的路段)。",
            "提供含本县道路的 OpenStreetMap 数据,或带 `highway` 列的道路图层(roads.gpkg)。",
        ),
    },
    "journeys_layer_empty": {
        "en": (
            "Layer {layer} is empty, so no journey starts or ends there.",
            "Add {layer} to the planning-area folder, or choose another layer (geoplan travel "
            "--from, --to).",
        ),
        "zh": (
            "图层 {layer} 为空,没有行程从这里出发或到达。",
            "在规划区文件夹中加入 {layer},或选择其他图层(geoplan travel --from、--to)。",
        ),
    },
    "batch_folder_missing": {
        "en": ("The batch folder does not exist or is not a folder.", "Check the path."),
        "zh": ("批量运行的文件夹不存在,或不是文件夹。", "检查路径。"),
    },
    "batch_no_scenarios": {
        "en": (
            "The batch folder holds no scenario file ({suffixes}).",
            "Put the scenario files directly in the folder (sub-folders such as base/ hold "
            "partial files and are not run).",
        ),
        "zh": (
            "批量运行的文件夹中没有方案文件({suffixes})。",
            "把方案文件直接放在该文件夹中(base/ 等子文件夹存放的是不完整的方案片段,不会运行)。",
        ),
    },
    "flag_not_positive": {
        "en": (
            "{flag} takes a positive number of {unit}, not {value}.",
            "Give a number such as {flag} {example}.",
        ),
        "zh": ("{flag} 应为正数({unit_zh}),不能是 {value}。", "填写一个数,如 {flag} {example}。"),
    },
    "flag_not_whole": {
        "en": (
            "{flag} takes a whole number of at least {low}, not {value}.",
            "Give a whole number such as {example}.",
        ),
        "zh": ("{flag} 应为不小于 {low} 的整数,不能是 {value}。", "填写整数,如 {example}。"),
    },
    "report_not_xlsx": {
        "en": (
            "--report must name an .xlsx file.",
            "Give a file name ending in .xlsx (e.g. problems.xlsx).",
        ),
        "zh": ("--report 应给出 .xlsx 文件。", "给出以 .xlsx 结尾的文件名(如 problems.xlsx)。"),
    },
    "scenario_missing": {
        "en": ("The scenario file does not exist.", "Check the path and the file name."),
        "zh": ("方案文件不存在。", "检查路径和文件名。"),
    },
    "scenario_not_path": {
        "en": ("Not a path.", "Write a path such as `../demo`."),
        "zh": ("{field} 不是路径。", "填写路径,如 `../demo`。"),
    },
    "scenario_folder_not_file": {
        "en": ("A folder, not a file.", "Name the file itself."),
        "zh": ("{field} 指向文件夹,而不是文件。", "写出文件本身的名称。"),
    },
    "closures_not_list": {
        "en": (
            "Not a list of road closures.",
            "Write e.g. `roads: [{{label: winter, names: [Aqik Winter Pass]}}]`.",
        ),
        "zh": (
            "{field} 不是道路封闭列表。",
            "写成如 `roads: [{{label: winter, names: [Aqik Winter Pass]}}]`。",
        ),
    },
    "extra_classes_not_mapping": {
        "en": ("Not extra classes per school.", "Write e.g. `{{S01: {{g1_3: 2}}}}`."),
        "zh": ("{field} 不是按学校填写的增加班数。", "写成如 `{{S01: {{g1_3: 2}}}}`。"),
    },
    "block_pairs_not_list": {
        "en": ("Not a list of block pairs.", "Write e.g. `[[B001, B002]]`."),
        "zh": ("{field} 不是街区对的列表。", "写成如 `[[B001, B002]]`。"),
    },
    "siting_and_restoration": {
        "en": (
            "`siting:` and `restoration:` are exclusive: a plan chooses its teaching points either "
            "by one location model or by phased restoration.",
            "Remove one of the two sections, or write `restoration: {{enabled: false}}` when a "
            "base scenario sets restoration.",
        ),
        "zh": (
            "`siting:` 与 `restoration:` 不能同时使用:规划要么用一个选址模型选择教学点,要么分期恢复"
            "。",
            "删除其中一节;若基础方案设置了 restoration,写 `restoration: {{enabled: false}}`。",
        ),
    },
    "siting_model_unknown": {
        "en": ("Unknown or missing siting model.", "Use {models}."),
        "zh": ("选址模型未知或未填写。", "使用 {models}。"),
    },
    "siting_needs_p": {
        "en": ("{model} needs `p`.", "Give the new teaching points to open, e.g. `p: 6`."),
        "zh": ("{model} 需要 `p`。", "填写要新开的教学点个数,如 `p: 6`。"),
    },
    "siting_needs_budget": {
        "en": ("budgeted_coverage needs a budget.", "Write e.g. `budget_yuan: 3000000`."),
        "zh": ("budgeted_coverage 需要预算。", "填写如 `budget_yuan: 3000000`。"),
    },
    "siting_band": {
        "en": ("New teaching points teach grades 1-3 only.", "Use {bands} (or leave it out)."),
        "zh": ("新教学点只教 1-3 年级。", "使用 {bands}(或不填)。"),
    },
    "robust_unknown": {
        "en": ("Unknown robust setting.", "Use {robust} (with `seasons:`), or leave it out."),
        "zh": ("稳健设置无法识别。", "使用 {robust}(需配合 `seasons:`),或不填。"),
    },
    "robust_needs_seasons": {
        "en": (
            "A robust plan needs seasons.",
            "Add `seasons: {{summer: {{months: 5}}, winter: {{months: 4, closures: [...]}}}}`.",
        ),
        "zh": (
            "稳健规划需要季节设置。",
            "添加 `seasons: {{summer: {{months: 5}}, winter: {{months: 4, closures: [...]}}}}`。",
        ),
    },
    "seasons_not_mapping": {
        "en": (
            "Not a mapping of seasons.",
            "Write e.g. `seasons: {{summer: {{months: 5}}, winter: {{months: 4}}}}`.",
        ),
        "zh": (
            "{field} 不是季节的映射。",
            "写成如 `seasons: {{summer: {{months: 5}}, winter: {{months: 4}}}}`。",
        ),
    },
    "season_not_mapping": {
        "en": (
            "A season must hold fields.",
            "Write e.g. `seasons: {{summer: {{months: 5}}, winter: {{months: 4}}}}`.",
        ),
        "zh": (
            "季节 {field} 应包含字段。",
            "写成如 `seasons: {{summer: {{months: 5}}, winter: {{months: 4}}}}`。",
        ),
    },
    "seasons_months_over": {
        "en": (
            "The seasons' school months add up to more than {months}.",
            "Shorten a season: months count school months of the year.",
        ),
        "zh": ("各季节的上学月数合计超过 {months}。", "缩短某个季节:months 指一年中上学的月数。"),
    },
    "name_not_folder": {
        "en": (
            "Not a usable folder name.",
            "Use letters, digits, '_', '-' and '.', e.g. `winter_pass_closed`.",
        ),
        "zh": (
            "{field} 不能用作文件夹名。",
            "只用字母、数字、'_'、'-' 和 '.',如 `winter_pass_closed`。",
        ),
    },
    "area_folder_missing": {
        "en": (
            "No planning-area folder given.",
            "Add `area: {{folder: path/to/county}}` here or in the base scenario.",
        ),
        "zh": (
            "没有给出规划区文件夹。",
            "在本文件或基础方案中添加 `area: {{folder: path/to/county}}`。",
        ),
    },
    "scenario_not_crs": {
        "en": ("Not a CRS.", "Write e.g. `EPSG:32645`."),
        "zh": ("{field} 不是坐标系。", "填写如 `EPSG:32645`。"),
    },
    "trip_mode_not_vehicle": {
        "en": (
            "Not a vehicle mode: boarders travel home once a week by vehicle, never on foot.",
            "Use one of: {vehicles}.",
        ),
        "zh": ("不是乘车方式:寄宿生每周乘车回家一次,不是步行。", "使用以下之一:{vehicles}。"),
    },
    "sites_and_budget_per_phase": {
        "en": (
            "Both sites per phase and a budget per phase are given.",
            "Keep one of `sites_per_phase` and `budget_per_phase_yuan`; write `null` for the other "
            "when a base scenario sets it.",
        ),
        "zh": (
            "同时给出了每期个数和每期预算。",
            "只保留 `sites_per_phase` 和 `budget_per_phase_yuan` 之一;若基础方案设置了另一个,把它写"
            "成 `null`。",
        ),
    },
    "budgets_not_list": {
        "en": (
            "Not a list of budgets.",
            "Write one budget per phase in yuan, e.g. [4000000, 4000000].",
        ),
        "zh": ("{field} 不是预算列表。", "每期填一个预算(元),如 [4000000, 4000000]。"),
    },
    "site_counts_not_list": {
        "en": (
            "Not a list of site counts.",
            "Write the most sites restored in each phase, e.g. [4, 4, 3, 3].",
        ),
        "zh": ("{field} 不是教学点个数列表。", "填写每期最多恢复的教学点个数,如 [4, 4, 3, 3]。"),
    },
    "must_and_never": {
        "en": ("Sites are both must and never.", "Keep each site in one of the two lists."),
        "zh": ("有教学点同时在必选(must)和不选(never)列表中。", "每个教学点只放在其中一个列表里。"),
    },
    "islands_unknown": {
        "en": (
            "Unknown way to treat blocks that touch no district.",
            "Use report (name them and stop) or join (join each to the district of the school it "
            "reaches first by road).",
        ),
        "zh": (
            "处理不与任何学区相邻的街区的方式无法识别。",
            "使用 report(列出它们并停止)或 join(并入沿道路最先到达的学校的学区)。",
        ),
    },
    "scenario_negative": {
        "en": ("Negative.", "Write 0 or more, e.g. 30."),
        "zh": ("{field} 为负数。", "填写 0 或以上,如 30。"),
    },
    "lang_unknown": {
        "en": ("Unknown language.", "Use en or zh."),
        "zh": ("语言无法识别。", "使用 en(英文)或 zh(中文)。"),
    },
    "choose_closures_needs_restoration": {
        "en": (
            "Choosing closures needs the restoration plan.",
            "Set `restoration: {{enabled: true}}` (e.g. with `sites_per_phase: [0]`).",
        ),
        "zh": (
            "选择撤并学校需要启用恢复规划。",
            "设置 `restoration: {{enabled: true}}`(例如配合 `sites_per_phase: [0]`)。",
        ),
    },
    "not_text": {
        "en": ("Not text.", "Write one line of text."),
        "zh": ("{field} 不是文字。", "写一行文字。"),
    },
    "not_per_band": {
        "en": ("Not a value per grade band.", "Write e.g. `{{g1_3: 30, g4_6: 45, g7_9: 60}}`."),
        "zh": ("{field} 不是按年级段填写的值。", "写成如 `{{g1_3: 30, g4_6: 45, g7_9: 60}}`。"),
    },
    "closure_not_mapping": {
        "en": (
            "A road closure must hold fields.",
            "Give `names`, `way_ids` or `polygon` (WKT in the area's CRS).",
        ),
        "zh": (
            "道路封闭应包含字段。",
            "填写 `names`、`way_ids` 或 `polygon`(规划区坐标系下的 WKT)。",
        ),
    },
    "way_ids_not_list": {
        "en": ("Not a list of OSM way ids.", "Write whole numbers, e.g. [123456]."),
        "zh": ("{field} 不是 OSM 路段编号列表。", "填写整数,如 [123456]。"),
    },
    "closure_closes_nothing": {
        "en": ("The closure closes nothing.", "Give `names`, `way_ids` or `polygon`."),
        "zh": ("该封闭没有封闭任何道路。", "填写 `names`、`way_ids` 或 `polygon`。"),
    },
    "speed_factor_not_mapping": {
        "en": (
            "Not a mapping of travel modes.",
            "Write e.g. `speed_factor: {{child_walk: 0.7, school_bus: 0.8}}`.",
        ),
        "zh": (
            "{field} 不是按交通方式填写的映射。",
            "写成如 `speed_factor: {{child_walk: 0.7, school_bus: 0.8}}`。",
        ),
    },
    "mode_unknown": {
        "en": ("Unknown travel mode.", "Use one of: {modes}."),
        "zh": ("交通方式无法识别。", "使用以下之一:{modes}。"),
    },
    "budget_by_year_not_mapping": {
        "en": ("Not a budget per year.", "Write e.g. `{{2025: 52190000, 2026: 26050000}}` (yuan)."),
        "zh": (
            "{field} 不是按年份填写的预算。",
            "写成如 `{{2025: 52190000, 2026: 26050000}}`(元)。",
        ),
    },
    "not_wkt_polygon": {
        "en": (
            "Not a WKT polygon.",
            "Write e.g. `POLYGON ((0 0, 1000 0, 1000 1000, 0 0))` in the area's CRS.",
        ),
        "zh": (
            "{field} 不是 WKT 多边形。",
            "用规划区的坐标系写成如 `POLYGON ((0 0, 1000 0, 1000 1000, 0 0))`。",
        ),
    },
    "not_a_year": {
        "en": ("Not a year.", "Write a year such as 2025."),
        "zh": ("{field} 中有一项不是年份。", "填写年份,如 2025。"),
    },
    "budget_year_before_base": {
        "en": (
            "Budget year {year} is before investment.base_year ({base_year}): the plan would "
            "schedule work into a year already past.",
            "Drop the year from investment.budget_by_year_yuan (list work already done in "
            "investment.done), or correct the year or investment.base_year.",
        ),
        "zh": (
            "预算年份 {year} 早于 investment.base_year({base_year}):规划会把项目安排到已经"
            "过去的年份。",
            "从 investment.budget_by_year_yuan 中删去该年份(已完成的项目记入 "
            "investment.done),或改正该年份或 investment.base_year。",
        ),
    },
    "negative_budget": {
        "en": ("A negative budget.", "Write 0 or more yuan."),
        "zh": ("预算为负数。", "填写 0 或以上(元)。"),
    },
    "section_not_mapping": {
        "en": (
            "A section must hold fields.",
            "Write its fields indented below `{key}:`, e.g. `{example}: ...`.",
        ),
        "zh": (
            "{field} 这一节应包含字段。",
            "把它的字段缩进写在 `{key}:` 下面,如 `{example}: ...`。",
        ),
    },
    "scenario_not_utf8": {
        "en": ("The file is not UTF-8 text.", "Save the scenario as UTF-8 (any text editor can)."),
        "zh": ("该文件不是 UTF-8 文本。", "把方案另存为 UTF-8 编码(任何文本编辑器都可以)。"),
    },
    "scenario_not_toml": {
        "en": (
            "Not valid TOML: {error}.",
            "Check quotes around text and `key = value` on each line.",
        ),
        "zh": (
            "不是有效的 TOML(英文原因:{error})。",
            "检查文字两边的引号,以及每行的 `key = value`。",
        ),
    },
    "scenario_not_yaml": {
        "en": (
            "Not valid YAML: {error}.",
            "Check indentation and the colon after each field name.",
        ),
        "zh": ("不是有效的 YAML(英文原因:{error})。", "检查缩进,以及每个字段名后面的冒号。"),
    },
    "scenario_not_mapping": {
        "en": (
            "A scenario must be a mapping of fields.",
            "Write one `field: value` per line, e.g. `name: status_quo`.",
        ),
        "zh": ("方案应由字段组成。", "每行写一个 `field: value`,如 `name: status_quo`。"),
    },
    "bases_loop": {
        "en": ("The bases form a loop: {chain}.", "Remove the `base:` line that points back."),
        "zh": ("基础方案形成了循环:{chain}。", "删除指回去的那一行 `base:`。"),
    },
    "base_missing": {
        "en": (
            "The scenario file {name} does not exist.",
            "Check the name; relative paths are read from the folder of the file that names them.",
        ),
        "zh": ("方案文件 {name} 不存在。", "检查名称;相对路径从写它的文件所在的文件夹算起。"),
    },
    "base_not_name": {
        "en": ("`base` must be a file name.", "Write e.g. `base: base/demo_county.yaml`."),
        "zh": ("`base` 应为文件名。", "写成如 `base: base/demo_county.yaml`。"),
    },
    "read_utf16": {
        "en": ('Read as UTF-16 text (Excel\'s "Unicode text").', "Nothing to do."),
        "zh": ("已按 UTF-16 文本读取(Excel 的“Unicode 文本”)。", "无需处理。"),
    },
    "title_rows_skipped": {
        "en": ("{rows} above the header ({header}) skipped (a title).", "Nothing to do."),
        "zh": ("表头({header})上方的 {rows} 已跳过(标题)。", "无需处理。"),
    },
    "kml_ids_from_names": {
        "en": (
            "The placemarks have no id; their names (<name>) are read as ids.",
            "Nothing to do; the villages' township column may name them by these names.",
        ),
        "zh": (
            "地标没有编号,按其名称(<name>)作为编号读取。",
            "无需处理;村的乡镇一栏可直接填这些名称。",
        ),
    },
    "units_row_read": {
        "en": (
            "Row of units under the header skipped; its units are read as the headers' "
            "(投资 over （万元） reads 投资(万元)).",
            "Nothing to do; check that the units fit.",
        ),
        "zh": (
            "表头下的单位行已跳过,其单位按表头单位读取(投资 下为（万元）即读作 投资(万元))。",
            "无需处理;请核对单位是否合适。",
        ),
    },
    "restored_over_classes": {
        "en": (
            "Site {site} ({name}), restored in phase {phase}: its {pupils} grades 1-3 pupils "
            "need {classes} classes of at most {limit}, more than the {most} it can run.",
            "Raise the site's max_classes in the sites layer if its building allows, or plan "
            "for the pupils beyond {seats} to stay at their school of today (or board).",
        ),
        "zh": (
            "教学点 {site}({name}),第 {phase} 期恢复:其 {pupils} 名1-3年级学生需要 {classes} "
            "个班(每班至多 {limit} 人),超过其最多可开的 {most} 个班。",
            "如校舍允许,调高 sites 表中该点的 max_classes(最大班数);否则应预计超出 {seats} "
            "人的学生仍在现在的学校就读(或寄宿)。",
        ),
    },
    "hidden_rows_read": {
        "en": (
            "{count} row(s) hidden in Excel ({rows}: hidden, or filtered out) are read like the "
            "others.",
            "Delete the rows that should not count; to check them, unhide every row (select "
            "all, then Format → Hide & Unhide → Unhide Rows) or clear the filter.",
        ),
        "zh": (
            "Excel 中隐藏的 {count} 行({rows}:被隐藏或被筛选掉)与其他行一样被读取。",
            "删除不应计入的行;如需核对,取消隐藏全部行(全选后:格式 → 隐藏和取消隐藏 → "
            "取消隐藏行)或清除筛选。",
        ),
    },
    "merged_cells_filled": {
        "en": (
            "Merged cells ({rows}) read as their value on every row they cover.",
            "Nothing to do; check that each merged cell covers only its own rows.",
        ),
        "zh": (
            "合并单元格({rows})的值已用于其覆盖的每一行。",
            "无需处理;请核对每个合并单元格只覆盖属于它的行。",
        ),
    },
    "two_row_header": {
        "en": (
            "Two-row header ({rows}) read as: {names}.",
            "Nothing to do; check that the names fit.",
        ),
        "zh": ("两行表头({rows})读作:{names}。", "无需处理;请核对这些名称是否合适。"),
    },
    "workbook_unreadable": {
        "en": (
            "Cannot read {file} as a workbook: it is damaged, password-protected, or not an "
            "Excel file.",
            "Open {file} in Excel or WPS: if it opens, remove any password and Save As Excel "
            "Workbook (.xlsx); if not, ask the sender for the file again.",
        ),
        "zh": (
            "无法把 {file} 作为工作簿读取:文件已损坏、设有密码,或并非 Excel 文件。",
            "用 Excel 或 WPS 打开 {file}:若能打开,取消密码后另存为 Excel 工作簿(.xlsx);"
            "若打不开,请发送方重新提供该文件。",
        ),
    },
    "workbook_is_web_page": {
        "en": (
            "{file} is a web page (HTML) with an Excel name, not a workbook; many systems "
            "export their tables so.",
            "Open {file} in Excel or WPS and Save As Excel Workbook (.xlsx), then put that file "
            "in the folder instead of {file}.",
        ),
        "zh": (
            "{file} 实为网页(HTML)文件,只是用了 Excel 的扩展名,并非工作簿;许多系统导出的表格"
            "就是这样。",
            "用 Excel 或 WPS 打开 {file},另存为 Excel 工作簿(.xlsx),并用它替换文件夹中的 {file}。",
        ),
    },
    "workbook_is_text": {
        "en": (
            "{file} is a text (CSV) file with an Excel name, not a workbook.",
            "Rename it {renamed} (a CSV is read as it is), or open it in Excel or WPS and Save "
            "As Excel Workbook (.xlsx).",
        ),
        "zh": (
            "{file} 实为文本(CSV)文件,只是用了 Excel 的扩展名,并非工作簿。",
            "把它改名为 {renamed}(CSV 可直接读取),或用 Excel 或 WPS 打开后另存为 Excel 工作簿"
            "(.xlsx)。",
        ),
    },
    "workbook_wrong_suffix": {
        "en": (
            "{file} is a {real} workbook under another suffix, so it is not read.",
            "Rename it {renamed}.",
        ),
        "zh": ("{file} 实为 {real} 工作簿,但扩展名不符,因此未能读取。", "把它改名为 {renamed}。"),
    },
    "sheet_missing": {
        "en": (
            "{label} has no sheet {wanted!r}; its sheets: {sheets}.",
            "Name one of its sheets under `sheet:` in columns.yaml.",
        ),
        "zh": (
            "{label} 中没有工作表 {wanted!r};它的工作表有:{sheets}。",
            "在 columns.yaml 的 `sheet:` 中填写其中一个工作表名。",
        ),
    },
    "sheet_chosen": {
        "en": (
            "The workbook has several sheets; read {sheet!r}, whose headers fit {layer} best "
            "(others: {others}).",
            "To read another, write `sheet: <name>` under `{layer}:` in columns.yaml.",
        ),
        "zh": (
            "工作簿有多个工作表;已读取表头最符合 {layer} 的 {sheet!r}(其他:{others})。",
            "要读取其他工作表,在 columns.yaml 的 `{layer}:` 下写 `sheet: <工作表名>`。",
        ),
    },
    "total_row_differs": {
        "en": (
            "The {word} row does not match the sum of {span}: {differences}.",
            "Check the rows above and the total; the rows are used, the total is not.",
        ),
        "zh": (
            "“{word}”行与 {span} 之和不符:{differences_zh}。",
            "核对上面各行和合计行;计算用各行,不用合计行。",
        ),
    },
    "total_row_checked": {
        "en": ("Total row ({word}) skipped; it matches the sum of {span}.", "Nothing to do."),
        "zh": ("合计行({word})已跳过;它与 {span} 之和相符。", "无需处理。"),
    },
    "total_row_skipped": {
        "en": ("Total row ({word}) skipped.", "Nothing to do."),
        "zh": ("合计行({word})已跳过。", "无需处理。"),
    },
    "header_unit": {
        "en": (
            "Header {header!r} gives its unit: values read as {unit} (x {factor}).",
            "Nothing to do.",
        ),
        "zh": ("表头 {header!r} 写明了单位:数值按 {unit} 读取(×{factor})。", "无需处理。"),
    },
    "formula_no_value": {
        "en": (
            "Formula cell {cell} has no saved value (the file was written by a program that does "
            "not compute formulas).",
            "Open the file in Excel or WPS and save it, so the values are stored, or type the "
            "values.",
        ),
        "zh": (
            "公式单元格 {cell} 没有保存的值(文件是由不计算公式的程序写出的)。",
            "用 Excel 或 WPS 打开并保存该文件,使数值保存下来,或直接填写数值。",
        ),
    },
    "not_a_coordinate_pair": {
        "en": (
            "Not a coordinate pair ({error}).",
            "Write longitude and latitude separated by a comma, e.g. 86.5,42.3.",
        ),
        "zh": ("不是经纬度坐标对。", "用逗号分隔经度和纬度,如 86.5,42.3。"),
    },
    "attributes_undecodable": {
        "en": (
            "Undecodable text in the attribute table (neither UTF-8 nor GB18030): {error}",
            "Add a {cpg} file naming the encoding (e.g. GBK).",
        ),
        "zh": (
            "属性表中的文字无法解码(既不是 UTF-8 也不是 GB18030)。",
            "添加一个 {cpg} 文件写明编码(如 GBK)。",
        ),
    },
    "settings_not_mapping": {
        "en": ("Expected a mapping of keys to values.", "See docs/data.md for the layout."),
        "zh": ("应为“键: 值”的映射。", "格式见 docs/data.md。"),
    },
    "columns_not_read": {
        "en": (
            "Columns not read (the {layer} layer has no column they fit): {headers}.",
            "Nothing to do if they are not needed; else map each in columns.yaml, under "
            "{layer}: a line 'header: contract column' (a Chinese name: '村名(中文): name_zh').",
        ),
        "zh": (
            "以下列未读取({layer} 图层没有对应的列):{headers}。",
            "如不需要则无需处理;否则在 columns.yaml 的 {layer} 下逐一对照,每行写"
            "“表头: 字段”(中文名称如“村名(中文): name_zh”)。",
        ),
    },
    "headers_by_synonym": {
        "en": (
            "Headers read by their known synonyms: {synonyms}.",
            "Nothing to do; `geoplan validate --write-columns` writes the mapping used.",
        ),
        "zh": (
            "以下表头按已知的同义词读取:{synonyms}。",
            "无需处理;`geoplan validate --write-columns` 会写出所用的对照。",
        ),
    },
    "missing_coordinate_columns": {
        "en": (
            "Required coordinate column missing; headers seen: {seen}.",
            "Add longitude/latitude columns (lon/lat or 经度/纬度, or one 经纬度 cell), or map "
            "yours in columns.yaml, or put the points in {layer}.kml.",
        ),
        "zh": (
            "缺少必需的坐标列;文件中的表头为:{seen}。",
            "添加经度、纬度两列(lon/lat 或 经度/纬度,或一个“经纬度”单元格),或在 columns.yaml 中对应"
            "你的表头,或把点放在 {layer}.kml 中。",
        ),
    },
    "settings_unreadable": {
        "en": ("Cannot read the file: {error}", "Save it as UTF-8 YAML (see docs/data.md)."),
        "zh": ("无法读取该文件(英文原因:{error})。", "另存为 UTF-8 编码的 YAML(见 docs/data.md)。"),
    },
    "columns_section_not_mapping": {
        "en": (
            "A layer section must map local headers to contract columns.",
            "Write lines such as `村名: name` under the layer.",
        ),
        "zh": ("图层一节应把本地表头对应到规范列。", "在该图层下写如 `村名: name` 的行。"),
    },
    "header_unused": {
        "en": (
            "Header {header!r} was not used; did you mean {known} → {target}?",
            "If so, add `{stripped}: {target}` under `{layer}:` in columns.yaml (or rename the "
            "header).",
        ),
        "zh": (
            "表头 {header!r} 没有用上;是否指 {known} → {target}?",
            "如果是,在 columns.yaml 的 `{layer}:` 下添加 `{stripped}: {target}`(或修改表头)。",
        ),
    },
    "coordinates_unknown": {
        "en": ("{error}", "Use wgs84, cgcs2000, gcj02, bd09 or EPSG:xxxx."),
        "zh": ("坐标系声明无法识别。", "使用 wgs84、cgcs2000、gcj02、bd09 或 EPSG:xxxx。"),
    },
    "header_also_fits": {
        "en": (
            "Header {other!r} also fits {target!r}, which is read from {first!r}; {other!r} is "
            "kept as an extra column ({kept!r} in the layer read).",
            "Map it in columns.yaml if {other!r} is the one meant.",
        ),
        "zh": (
            "表头 {other!r} 也符合 {target!r},但 {target!r} 已从 {first!r} 读取;{other!r} 作为附加"
            "列保留(读入的图层中为 {kept!r})。",
            "如果要用的是 {other!r},在 columns.yaml 中对应它。",
        ),
    },
    "layer_crs_unknown": {
        "en": ("Unknown CRS.", "Save the layer in a CRS with an EPSG code."),
        "zh": ("坐标系无法识别。", "用带 EPSG 代码的坐标系保存该图层。"),
    },
    "kml_joined": {
        "en": (
            "Locations of {placed} of {rows} rows taken from {label}, joined by name within each "
            "township.",
            "Nothing to do.",
        ),
        "zh": ("{rows} 行中有 {placed} 行的位置取自 {label},按名称在各乡镇内对应。", "无需处理。"),
    },
    "kml_not_points": {
        "en": (
            "{count} feature(s) are not points (lines or areas); ignored.",
            "Nothing to do, unless one of them is a location: mark it as a point.",
        ),
        "zh": ("{count} 个要素不是点(是线或面),已忽略。", "无需处理;若其中有位置点,请把它标成点。"),
    },
    "kml_no_point_in_township": {
        "en": (
            "No point in {label} has this name in township {township} (closest: {closest}).",
            "Make the names agree in {table} and {label}.",
        ),
        "zh": (
            "{label} 中乡镇 {township} 内没有这个名称的点(最接近的名称:{closest})。",
            "让 {table} 与 {label} 中的名称一致。",
        ),
    },
    "kml_no_names": {
        "en": (
            "No placemark of {label} has a name (<name>), so no row of {table} can be joined "
            "to one; the placemarks' fields are: {fields}.",
            "Give each placemark its name in <name> (the name box of the mapping program), the "
            "same as in {table}.",
        ),
        "zh": (
            "{label} 的地标都没有名称(<name>),{table} 的行无法按名称对应;地标的字段为:{fields}。",
            "在地图软件的名称栏为每个地标填写名称(<name>),与 {table} 中的一致。",
        ),
    },
    "kml_no_point": {
        "en": (
            "No point in {label} has this name (closest: {closest}).",
            "Make the names agree in {table} and {label}.",
        ),
        "zh": (
            "{label} 中没有这个名称的点(最接近的名称:{closest})。",
            "让 {table} 与 {label} 中的名称一致。",
        ),
    },
    "kml_point_without_row": {
        "en": (
            "The point has no row in {table} (closest: {closest}); ignored.",
            "Add a row for it to {table}, or delete the point.",
        ),
        "zh": (
            "该点在 {table} 中没有对应的行(最接近的名称:{closest}),已忽略。",
            "在 {table} 中为它添加一行,或删除该点。",
        ),
    },
    "kml_unreadable": {
        "en": (
            "Cannot read the file: {error}",
            "Export the points again from Ovital (奥维) or Tianditu as KML or KMZ.",
        ),
        "zh": ("无法读取该文件(英文原因:{error})。", "从奥维或天地图重新导出为 KML 或 KMZ。"),
    },
    "kml_point_taken": {
        "en": (
            "The point of this name in {label} is already the location of row {owner}.",
            "Give the two rows distinct names, or add the missing point.",
        ),
        "zh": (
            "{label} 中这个名称的点已是 {owner} 行的位置。",
            "给这两行不同的名称,或补上缺少的点。",
        ),
    },
    "kml_name_twice": {
        "en": (
            "{count} points in {label} have this name in township {township}.",
            "Give the points distinct names (or delete the duplicate).",
        ),
        "zh": (
            "{label} 中乡镇 {township} 内有 {count} 个点同名。",
            "给这些点不同的名称(或删除重复的点)。",
        ),
    },
    "table_for_polygons": {
        "en": (
            "The {layer} layer holds polygons, which a table cannot.",
            "Save {layer} as GeoJSON, shapefile or a GeoPackage layer.",
        ),
        "zh": (
            "{layer} 图层是多边形,表格无法存放。",
            "把 {layer} 保存为 GeoJSON、shapefile 或 GeoPackage 图层。",
        ),
    },
    "level_number_bad": {
        "en": (
            "Not a number of {unit} (0 or more).",
            "Write e.g. `{key}: {one}`, or one per level: `{key}: {per}`.",
        ),
        "zh": (
            "{field} 不是有效的{unit_zh}(0 或以上)。",
            "写成如 `{key}: {one}`,或按学段分别填写:`{key}: {per}`。",
        ),
    },
    "districts_stability_infeasible": {
        "en": (
            "No {level} districts fit the places and contiguity within {limits}; without these "
            "limits the best plan found moves {moved} pupils and raises no journey by more than "
            "{rise} min.",
            "Raise the limits (or add classes at today's schools).",
        ),
        "zh": (
            "在 {limits} 之内,没有满足学位和连片要求的{level_zh}学区方案;不设这些限制时,找到的"
            "最佳方案调动 {moved} 名学生,任何学生的单程时间增加不超过 {rise} 分钟。",
            "放宽这些限制(或在现有学校增加班级)。",
        ),
    },
    "districts_stability_needs_today": {
        "en": (
            "{fields} for the {level} level need today's school per block, but no block's "
            "`school_{level}` names an open school of the level ({schools}).",
            "Fill `school_{level}` in the blocks layer with today's school id, or drop the "
            "stability settings.",
        ),
        "zh": (
            "{level_zh}学段的 {fields} 需要每个街区现在的学校,但没有街区的 `school_{level}` 填了"
            "该学段开办中的学校({schools})。",
            "在 blocks 图层的 `school_{level}` 中填写街区现在的学校编号,或去掉这些稳定性设置。",
        ),
    },
    "siting_not_a_candidate": {
        "en": (
            "`{argument}` names site {site}, which is not a candidate.",
            "Use ids of the candidate sites (the columns of the cost matrix).",
        ),
        "zh": (
            "`{argument}` 中的 {site} 不是候选点。",
            "使用候选点的编号(成本矩阵的列)。",
        ),
    },
    "district_pair_bad": {
        "en": (
            "A pair must name two different blocks of the blocks layer.",
            "Use block ids such as {examples}.",
        ),
        "zh": ("每一对必须是街区图层中两个不同的街区。", "使用如 {examples} 的街区编号。"),
    },
    "district_pair_unknown": {
        "en": (
            "A pair must name two different blocks of the blocks layer; unknown: {unknown}.",
            "Use block ids such as {examples}.",
        ),
        "zh": (
            "每一对必须是街区图层中两个不同的街区;未知的编号:{unknown}。",
            "使用如 {examples} 的街区编号。",
        ),
    },
    "override_no_block": {
        "en": ("No block has this id.", "Use an id of the blocks layer."),
        "zh": ("没有街区使用这个编号。", "使用街区图层中的编号。"),
    },
    "override_school_not_teaching": {
        "en": (
            "No open school with this id teaches the {level} level.",
            "Name an open school teaching the level.",
        ),
        "zh": ("没有使用这个编号、开办{level_zh}学段的学校。", "填写一所开办该学段的学校。"),
    },
    "districts_no_contiguous_plan": {
        "en": (
            "No contiguous districting fits the capacity and limits.",
            "Add classes (districts.extra_classes), join blocks the map keeps apart "
            "(districts.add_pairs), relax the limits or raise districts.time_limit_s: the "
            "diagnosis names the cause.",
        ),
        "zh": (
            "没有满足学位容量和各项限制的连片学区方案。",
            "增加班级(districts.extra_classes)、连接地图上分开的街区(districts.add_pairs)、"
            "放宽限制或增大 districts.time_limit_s:诊断会指出原因。",
        ),
    },
    "districts_feeders_cause": {
        "en": (
            "No nested plan (every primary district inside one middle district) fits the places, "
            "contiguity and limits, though each level alone has a plan: the feeders are the cause.",
            "Write `feeders: false`, add classes where primary and middle districts cannot line "
            "up, or relax the limits.",
        ),
        "zh": (
            "没有满足学位、连片和各项限制的嵌套方案(每个小学学区完全位于一个初中学区内),而两个"
            "学段各自单独规划都有方案:原因在于对口(feeders)要求。",
            "写 `feeders: false`,在小学和初中学区对不齐的地方增加班级,或放宽限制。",
        ),
    },
    "districts_feeders_level_unfit": {
        "en": (
            "No nested plan fits: the {level} level alone has no plan within the places, "
            "contiguity and limits.",
            "Run without feeders first to see that level's diagnosis (extra classes per school).",
        ),
        "zh": (
            "没有嵌套方案:{level_zh}学段单独规划也没有满足学位、连片和限制的方案。",
            "先不设 feeders 运行一次,查看该学段的诊断(各校需增加的班级)。",
        ),
    },
    "districts_feeders_infeasible": {
        "en": (
            "Feeders: no plan puts every primary district inside one middle district within the "
            "places, contiguity and limits.",
            "See the cause below; or write `feeders: false`.",
        ),
        "zh": (
            "对口(feeders):没有方案能在学位、连片和各项限制内让每个小学学区完全位于一个初中学区内。",
            "见下面的原因;或写 `feeders: false`。",
        ),
    },
    "districts_feeders_not_found_in_time": {
        "en": (
            "Feeders: no plan was found in {seconds} s that puts every primary district inside "
            "one middle district within the places, contiguity and limits.",
            "Raise districts.time_limit_s, or see the cause below.",
        ),
        "zh": (
            "对口(feeders):在 {seconds} 秒内没有找到在学位、连片和各项限制内让每个小学学区完全"
            "位于一个初中学区内的方案。",
            "增大 districts.time_limit_s,或见下面的原因。",
        ),
    },
    "districts_school_off_map": {
        "en": (
            "School {school} lies in no block, {metres} m from the nearest one ({block}); its "
            "{level_name} district is anchored there.",
            "Check the school's coordinates, or add the blocks around it.",
        ),
        "zh": (
            "学校 {school} 不在任何街区内,距最近的街区({block}){metres} 米;它的{level_zh}学区"
            "以该街区为起点。",
            "核对该校的坐标,或补上它周围的街区。",
        ),
    },
    "districts_no_pupils": {
        "en": (
            "No block holds pupils of {level_name} (blocks columns {columns} are 0 or empty); "
            "the districts drawn follow the journeys alone.",
            "Fill in the blocks' pupils ({columns}).",
        ),
        "zh": (
            "没有街区有{level_zh}学生(街区的 {columns} 列为 0 或空);所划学区只按路程划定。",
            "填写街区的学生数({columns})。",
        ),
    },
    "districts_blocks_reprojected": {
        "en": (
            "The blocks layer is in {crs} ({unit}); it was reprojected to {metric} (EPSG:{epsg}, "
            "metres), so areas, the gap tolerance and the shared frontage are in metres.",
            "Nothing to do; give the blocks in a CRS in metres to skip this step.",
        ),
        "zh": (
            "街区图层的坐标系是 {crs}({unit});已转换到 {metric}(EPSG 编号 {epsg},米),面积、"
            "缝隙容差和共用边长都按米计算。",
            "无需处理;街区使用以米为单位的坐标系即可省去这一步。",
        ),
    },
    "district_pair_not_neighbours": {
        "en": (
            "Blocks {a} and {b} are not neighbours; districts.remove_pairs has nothing to remove.",
            "Delete the pair from districts.remove_pairs, or check its block ids.",
        ),
        "zh": (
            "街区 {a} 和 {b} 并不相邻;districts.remove_pairs 没有可去掉的相邻关系。",
            "从 districts.remove_pairs 中删除这一对,或核对其街区编号。",
        ),
    },
    "districts_no_plan_in_time": {
        "en": (
            "The {level_name} {method} search found no plan within capacity and contiguity in "
            "{seconds} s ({over} pupils over the class-size limit in its best plan).",
            "Raise districts.time_limit_s; if the diagnosis names missing places, add classes "
            "(districts.extra_classes).",
        ),
        "zh": (
            "{level_zh}学区的 {method} 搜索在 {seconds} 秒内没有找到满足学位容量和连片要求的方案"
            "(其最好的方案中有 {over} 名学生超出班额上限)。",
            "增大 districts.time_limit_s;若诊断指出学位不足,增加班级(districts.extra_classes)。",
        ),
    },
    "districts_no_assignment": {
        "en": (
            "The capacitated assignment has no solution: there are not enough places within reach.",
            "Add classes where the diagnosis names them (districts.extra_classes), or a school.",
        ),
        "zh": (
            "按学位容量分配无解:学生可达范围内的学位不够。",
            "按诊断所列增加班级(districts.extra_classes),或增设学校。",
        ),
    },
    "districts_fixed_unit_conflict": {
        "en": (
            "Block {block} is fixed to school {school}, but another block of its community is "
            "fixed to school {other}.",
            "Fix every block of a community to one school (`overrides`), or plan without keeping "
            "communities together.",
        ),
        "zh": (
            "街区 {block} 被指定给学校 {school},但同一社区的另一个街区被指定给学校 {other}。",
            "把同一社区的街区都指定给同一所学校(`overrides`),或不再要求社区整体划片。",
        ),
    },
    "districts_fixed_home_conflict": {
        "en": (
            "The district of school {school} must hold its own block {block}, but that block (or "
            "its community) is fixed to school {other}.",
            "Drop that entry of `overrides`, or plan without keeping communities together: a "
            "school's own block stays in its district.",
        ),
        "zh": (
            "学校 {school} 的学区必须包含它所在的街区 {block},但该街区(或其所在社区)被指定给了"
            "学校 {other}。",
            "去掉 `overrides` 中的这一项,或不再要求社区整体划片:学校所在街区总属于本校学区。",
        ),
    },
    "districts_unreachable_blocks": {
        "en": (
            "{count} block(s) (positions {positions}) can reach no school of this level within "
            "the journey limit.",
            "Raise `max_journey_min` or add a school.",
        ),
        "zh": (
            "{count} 个街区(位置 {positions})在行程限制内到不了本学段的任何学校。",
            "增大 `max_journey_min` 或增设学校。",
        ),
    },
    "districts_stranded_blocks": {
        "en": (
            "Contiguity: {count} block(s) (positions {positions}) touch no block of any school's "
            "district, so no contiguous plan exists.",
            "Add the pairs that join them to the adjacency, or use "
            "plan_districts(..., islands='join').",
        ),
        "zh": (
            "连片:{count} 个街区(位置 {positions})不与任何学校学区的街区相邻,因此不存在连片方案。",
            "在邻接关系中加入连接它们的街区对,或使用 plan_districts(..., islands='join')。",
        ),
    },
    "districts_islands": {
        "en": (
            "Contiguity: {count} block(s) in {pieces} piece(s) of the map touch no block of a "
            "{level_name} school's district, so no contiguous district can hold them: {listing}.",
            "If the map draws the blocks apart (digitising gaps, streets), raise "
            "districts.gap_tolerance_m (about 30 for street blocks); if a footbridge or a road "
            "joins them, add the pair to districts.add_pairs; or set districts.islands: join to "
            "join each piece to the district of the school it reaches first by road.",
        ),
        "zh": (
            "连片:地图上 {pieces} 片共 {count} 个街区不与任何{level_zh}学校学区的街区相邻,"
            "任何连片学区都无法包含它们:{listing}。",
            "若地图把街区画得分开(数字化缝隙、街道),增大 districts.gap_tolerance_m(街区约 30);"
            "若有人行桥或道路连接,把这对街区加入 districts.add_pairs;或设 districts.islands: "
            "join,把每片并入它经道路最先到达的学校的学区。",
        ),
    },
    "districts_no_school_for_level": {
        "en": ("No open school teaches the {level_name} level.", "Add one or drop the level."),
        "zh": ("没有开办{level_zh}学段的学校。", "增设一所,或不规划这一学段。"),
    },
    "districts_home_unreachable": {
        "en": (
            "School {school}: its own block {block} reaches it by no road in the {level_name} "
            "travel matrix (the school and the block join parts of the road network that do not "
            "connect), so no district of the school can hold its own block.",
            "Check the school's coordinates and the roads near it, or join those roads (local "
            "roads).",
        ),
        "zh": (
            "学校 {school}:它所在的街区 {block} 在{level_zh}出行矩阵中没有道路可到达该校"
            "(学校与街区接入的路网互不连通),因此该校学区无法包含它自己的街区。",
            "检查学校坐标及附近道路,或把这些道路连通(补充本地道路)。",
        ),
    },
    "districts_home_over_places": {
        "en": (
            "School {school}: its own block {block} already holds {pupils} grades {grades} "
            "pupils, more than the school's {places} places for them ({classes} classes of at "
            "most {limit}); a school's district always holds its own block, so no district of "
            "this school fits.",
            "Give the school at least {extra} more grades {grades} classes "
            "(districts.extra_classes), or split block {block} in the block map so that "
            "another school can take part of it.",
        ),
        "zh": (
            "学校 {school}:它所在的街区 {block} 已有 {grades} 年级学生 {pupils} 人,超过该校的 "
            "{places} 个学位({classes} 个班,每班至多 {limit} 人);学校所在街区总属于本校学区,"
            "因此该校的任何学区都容纳不下。",
            "为该校至少增加 {extra} 个 {grades} 年级班级(districts.extra_classes),或在街区图中把"
            "街区 {block} 分开,让另一所学校接收其中一部分。",
        ),
    },
    "blocks_crs_not_projected": {
        "en": (
            "The blocks layer is in {crs}, not a projected CRS; block adjacency and areas need "
            "one.",
            "Use the `PlanningArea`'s CRS (geoplan.data.read_planning_area projects every layer), "
            "or project the blocks (GeoDataFrame.to_crs).",
        ),
        "zh": (
            "街区图层的坐标系为 {crs},不是投影坐标系;街区邻接和面积需要投影坐标系。",
            "使用 `PlanningArea` 的坐标系(geoplan.data.read_planning_area 会投影所有图层),"
            "或对街区进行投影(GeoDataFrame.to_crs)。",
        ),
    },
    "block_no_polygon": {
        "en": (
            "Block {block} has no polygon, so no district can hold it.",
            "Draw the block's polygon in a GIS (or delete the row); "
            "geoplan.data.read_planning_area names such rows when it reads the layers.",
        ),
        "zh": (
            "街区 {block} 没有多边形,任何学区都无法包含它。",
            "在 GIS 中绘制该街区的多边形(或删除该行);用 geoplan.data.read_planning_area "
            "读取图层时会指出这样的行。",
        ),
    },
    "block_invalid_polygon": {
        "en": (
            "Block {block} has an invalid polygon ({reason}), which the district map cannot use.",
            "Read the layers with geoplan.data.read_planning_area (it repairs invalid polygons), "
            "or mend the polygon in a GIS.",
        ),
        "zh": (
            "街区 {block} 的多边形无效(原因:{reason}),学区地图无法使用。",
            "用 geoplan.data.read_planning_area 读取图层(它会修复无效多边形),或在 GIS 中修正该"
            "多边形。",
        ),
    },
    "block_negative_pupils": {
        "en": ("Block {block} has {pupils} pupils in {column}.", "Give 0 or more pupils."),
        "zh": ("街区 {block} 的 {column} 为 {pupils} 人。", "填写 0 或以上的人数。"),
    },
    "districts_shared_block": {
        "en": (
            "School {school} shares its block with another school of the same level and no "
            "neighbouring block is free to anchor its district.",
            "Split the block.",
        ),
        "zh": (
            "学校 {school} 与同学段的另一所学校位于同一街区,且没有空闲的相邻街区可作为其学区的"
            "起点。",
            "把这个街区分开。",
        ),
    },
    "blocks_touch_none": {
        "en": (
            "{count} of the {blocks} blocks touch no other block as the districts read the map "
            "(boundaries within districts.gap_tolerance_m = {gap_m} m of each other over at "
            "least districts.min_shared_m = {min_shared_m} m): {listing} (each with the metres "
            "to its nearest block). No district can reach such a block unless a school stands "
            "in it, so a run with districts stops there.",
            "If the map draws neighbouring blocks apart (digitising gaps, or street blocks drawn "
            "without their streets), raise districts.gap_tolerance_m in the scenario above the "
            "distances listed (about 30 for street blocks); otherwise mend the block map so "
            "that neighbouring blocks share their edges (a block listed at 0.0 meets its "
            "neighbours only at a corner or over less than {min_shared_m} m).",
        ),
        "zh": (
            "按学区模型的读图方式(边界相距不超过 districts.gap_tolerance_m = {gap_m} 米、"
            "相对边长至少 districts.min_shared_m = {min_shared_m} 米),{blocks} 个街区中有 "
            "{count} 个不与任何其他街区相邻:{listing}(各街区到最近街区的距离,米)。"
            "除非街区内有学校,任何学区都无法包含这样的街区,因此带学区的运行会在此停止。",
            "若地图把相邻街区画得分开(数字化缝隙,或不含街道的街区图),在方案中把 "
            "districts.gap_tolerance_m 增大到超过所列距离(街区约 30);否则修改街区图,"
            "使相邻街区共用边界(所列距离为 0.0 的街区只在角点相接,或相接边长不足 "
            "{min_shared_m} 米)。",
        ),
    },
    "districts_shared_block_alone": {
        "en": (
            "School {school} shares its block with another school of the same level, and that "
            "block touches no other block: {alone} of the map's {blocks} blocks touch none (the "
            "map draws them apart, as street blocks with the streets left out).",
            "Raise districts.gap_tolerance_m (about 30 for street blocks), or split the block.",
        ),
        "zh": (
            "学校 {school} 与同学段的另一所学校位于同一街区,而该街区不与任何街区相邻:地图上 "
            "{blocks} 个街区中有 {alone} 个不与任何街区相邻(地图把街区画得分开,"
            "如不含街道的街区图)。",
            "增大 districts.gap_tolerance_m(街区约 30),或把这个街区分开。",
        ),
    },
    "districts_extra_not_found_in_time": {
        "en": (
            "No plan with at most {most} extra classes per school and band was found within "
            "{seconds} s (limits: {limits}).",
            "Raise the time limit (districts.time_limit_s).",
        ),
        "zh": (
            "在 {seconds} 秒内没有找到每校每学段最多增加 {most} 个班的方案(限制:{limits})。",
            "增大时间限制(districts.time_limit_s)。",
        ),
    },
    "districts_extra_cannot_fit": {
        "en": (
            "Even {most} extra classes per school and band cannot fit the pupils (limits: "
            "{limits}).",
            "Add a school or relax the limits.",
        ),
        "zh": (
            "即使每校每学段增加 {most} 个班,也无法容纳所有学生(限制:{limits})。",
            "增设学校或放宽限制。",
        ),
    },
    "districts_diag_capacity": {
        "en": (
            "Capacity: {level_name} places short by {short} (pupils {pupils}, places {places}).",
            "Add classes (districts.extra_classes) or a school.",
        ),
        "zh": (
            "学位容量:{level_zh}学位缺 {short} 个(学生 {pupils} 人,学位 {places} 个)。",
            "增加班级(districts.extra_classes)或增设学校。",
        ),
    },
    "districts_diag_band": {
        "en": (
            "  grades {grades}: {pupils} pupils, {places} places, short by {short}.",
            "Add classes for these grades.",
        ),
        "zh": (
            "  {grades} 年级:学生 {pupils} 人,学位 {places} 个,缺 {short} 个。",
            "为这些年级增加班级。",
        ),
    },
    "districts_diag_journey_blocks": {
        "en": (
            "Journey limit: {count} block(s) reach no {level_name} school within {minutes} "
            "minutes: {blocks}.",
            "Raise the limit or add a school there.",
        ),
        "zh": (
            "行程限制:{count} 个街区在 {minutes} 分钟内到不了任何{level_zh}学校:{blocks}。",
            "放宽行程限制或在那里增设学校。",
        ),
    },
    "districts_diag_road_network": {
        "en": (
            "Road network: {count} block(s) reach no {level_name} school at all: {blocks}.",
            "Join them to the road network.",
        ),
        "zh": (
            "道路网络:{count} 个街区根本到不了任何{level_zh}学校:{blocks}。",
            "把它们接入道路网络。",
        ),
    },
    "districts_diag_journey_classes": {
        "en": (
            "Journey limit: within {minutes} minutes the pupils need at least {within} extra "
            "classes, without the limit {without}: the schools near the crowded blocks are full "
            "(schools involved: {schools}).",
            "Add classes at these schools or raise the journey limit.",
        ),
        "zh": (
            "行程限制:在 {minutes} 分钟内学生至少需要增加 {within} 个班,不设限制只需 {without} "
            "个:拥挤街区附近的学校已满(涉及学校:{schools})。",
            "在这些学校增加班级或放宽行程限制。",
        ),
    },
    "districts_diag_contiguity": {
        "en": (
            "Contiguity: contiguous districts need at least {within} extra classes, the places "
            "alone {alone}: some schools' districts cannot reach the pupils with room without "
            "cutting through another district (schools involved: {schools}).",
            "Add classes at these schools (districts.extra_classes) or join blocks the map keeps "
            "apart (districts.add_pairs).",
        ),
        "zh": (
            "连片:连片学区至少需要增加 {within} 个班,仅按学位只需 {alone} 个:有些学校的学区不穿过"
            "其他学区就到不了有空位的学生(涉及学校:{schools})。",
            "在这些学校增加班级(districts.extra_classes),或连接地图上分开的街区"
            "(districts.add_pairs)。",
        ),
    },
    "districts_diag_time_limit": {
        "en": (
            "A plan within today's {level_name} classes exists (the least-extra-classes model "
            "found one) but the district search did not reach it in time.",
            "Raise districts.time_limit_s.",
        ),
        "zh": (
            "按现有{level_zh}班级存在可行方案(最少增班模型找到了一个),但学区搜索没有及时找到。",
            "增大 districts.time_limit_s。",
        ),
    },
    "districts_diag_capacity_spread": {
        "en": (
            "Capacity: {level_name} places suffice in total ({places} for {pupils} pupils) but "
            "not at the schools the pupils can reach.",
            "Add classes where the least extra classes say (districts.extra_classes).",
        ),
        "zh": (
            "学位容量:{level_zh}学位总数够用({pupils} 名学生有 {places} 个学位),但学生能到达的"
            "学校不够。",
            "按最少增班数所列增加班级(districts.extra_classes)。",
        ),
    },
    "districts_diag_least": {
        "en": (
            "Least extra classes: {total} (proven least), which would fit every pupil in "
            "contiguous districts: {where}.",
            "Add these classes (districts.extra_classes).",
        ),
        "zh": (
            "最少增班数:{total} 个(已证明最少),可让所有学生进入连片学区:{where}。",
            "增加这些班级(districts.extra_classes)。",
        ),
    },
    "districts_diag_least_bound": {
        "en": (
            "Least extra classes: {total} (upper bound; at least {lower}, gap {gap}), which "
            "would fit every pupil in contiguous districts: {where}.",
            "Add these classes (districts.extra_classes), or raise districts.time_limit_s to "
            "prove fewer.",
        ),
        "zh": (
            "最少增班数:{total} 个(上界;至少 {lower} 个,差距 {gap}),可让所有学生进入连片学区:"
            "{where}。",
            "增加这些班级(districts.extra_classes),或增大 districts.time_limit_s 以证明能否更少。",
        ),
    },
    "level_unknown": {
        "en": ("Unknown school level.", "Use primary and/or middle, e.g. `{key}: {per}`."),
        "zh": ("学段无法识别。", "使用 primary(小学)和/或 middle(初中),如 `{key}: {per}`。"),
    },
    "way_mode_not_vehicle": {
        "en": ("Not a vehicle mode for this way.", "Use one of: {modes}."),
        "zh": ("{field} 不是这种上学方式可用的交通工具。", "使用以下之一:{modes}。"),
    },
    "board_bands_not_list": {
        "en": (
            "Not a list of grade bands.",
            "Write e.g. `[g4_6, g7_9]` (bands: {bands}; `[]`: nobody boards).",
        ),
        "zh": (
            "{field} 不是年级段列表。",
            "写成如 `[g4_6, g7_9]`(年级段:{bands};`[]` 表示无人寄宿)。",
        ),
    },
    "not_walking_mode": {
        "en": ("Not a walking mode.", "Use one of: {modes}."),
        "zh": ("{field} 不是步行方式。", "使用以下之一:{modes}。"),
    },
    "bus_seats_not_mapping": {
        "en": ("Not seats per school.", "Write e.g. `{{S04: 40, S11: 60}}` (school id: seats)."),
        "zh": (
            "{field} 不是按学校填写的座位数。",
            "写成如 `{{S04: 40, S11: 60}}`(学校编号: 座位数)。",
        ),
    },
    "phases_over_years": {
        "en": (
            "{phases} phases need at least {phases} projected years (this projection has {value}, "
            "the base year included).",
            "Raise projection.years, or plan fewer phases (restoration.sites_per_phase or "
            "budget_per_phase_yuan).",
        ),
        "zh": (
            "{phases} 期规划至少需要 {phases} 个预测年份(本次预测含基准年共 {value} 个)。",
            "增大 projection.years,或减少期数"
            "(restoration.sites_per_phase 或 budget_per_phase_yuan)。",
        ),
    },
    "phase_out_of_range": {
        "en": ("Phase outside 1-{phases}.", "Give a phase from 1 to {phases} or leave it empty."),
        "zh": ("期次不在 1-{phases} 之间。", "填写 1 到 {phases} 之间的期次,或留空。"),
    },
    "never_site_with_phase": {
        "en": ("A never site has a fixed phase.", "Clear the phase or change the decision."),
        "zh": ("不选(never)的教学点却固定了期次。", "清空期次,或修改 decision。"),
    },
    "untranslated": {
        "en": ("{error}", "Follow the fix the message gives."),
        "zh": ("该问题尚无中文说明,英文原文:{error}", "按英文原文中 “Fix:” 之后的说明修改。"),
    },
    "standard_not_positive": {
        "en": ("Not a positive number.", "Write a number such as 3000."),
        "zh": ("不是正数。", "填写一个数,如 3000。"),
    },
    "standard_share_over_one": {
        "en": ("A share must be at most 1.", "Write e.g. 0.1 for 10 %."),
        "zh": ("比例不能大于 1。", "写成如 0.1(表示 10%)。"),
    },
    "standard_unknown_level": {
        "en": ("Unknown level.", "Use {levels}."),
        "zh": ("学段无法识别。", "使用 {levels}。"),
    },
    "standard_size_not_whole": {
        "en": (
            "A school size must be a whole number of classes.",
            "Write e.g. `{{6: 12.0, 12: 9.0}}` (up to 6 classes, up to 12 and more).",
        ),
        "zh": (
            "学校规模应为班级数(整数)。",
            "写成如 `{{6: 12.0, 12: 9.0}}`(6 个班及以下、12 个班及以下,依此类推)。",
        ),
    },
    "standards_not_mapping": {
        "en": (
            "A section must hold fields.",
            "Write e.g. `standards: {{building_yuan_per_m2: 3200}}`.",
        ),
        "zh": (
            "standards 这一节应包含字段。",
            "写成如 `standards: {{building_yuan_per_m2: 3200}}`。",
        ),
    },
    "standard_unknown": {
        "en": ("Unknown standard.", "Use one of: {known}."),
        "zh": ("标准名称无法识别。", "使用以下之一:{known}。"),
    },
    "standard_per_level": {
        "en": ("Per level.", "Write it like the default: {default}."),
        "zh": ("该标准应按学段填写。", "照默认值的格式填写:{default}。"),
    },
    "standard_one_number": {
        "en": ("A single number.", "Write it like the default: {default}."),
        "zh": ("该标准应为一个数。", "照默认值的格式填写:{default}。"),
    },
    "standard_missing": {
        "en": ("Standard missing.", "Give `value`, `unit`, `source`, `confidence`."),
        "zh": ("缺少该标准。", "填写 `value`、`unit`、`source`、`confidence`。"),
    },
    "standard_unknown_confidence": {
        "en": ("Unknown confidence.", "Use {confidences}."),
        "zh": ("可信度无法识别。", "使用 {confidences}。"),
    },
    "standard_placeholder_not_bool": {
        "en": ("`placeholder` must be true or false.", "Write true or false."),
        "zh": ("`placeholder` 应为 true 或 false。", "填写 true(是)或 false(否)。"),
    },
    "standard_without_source": {
        "en": (
            "No source, but not marked a placeholder.",
            "Name the source, or write `placeholder: true`.",
        ),
        "zh": ("没有出处,却没有标为占位值。", "写明出处,或写 `placeholder: true`。"),
    },
    "standard_item_rule_bad": {
        "en": (
            "Not an item rule.",
            "Write e.g. `media_sets: {{depends_on: [classrooms], splittable: false}}`.",
        ),
        "zh": (
            "不是项目规则。",
            "写成如 `media_sets: {{depends_on: [classrooms], splittable: false}}`。",
        ),
    },
    "ids_not_in_matrix": {
        "en": ("{count} {what} id(s) not in the matrix: {shown}", "Rebuild the matrix with them."),
        "zh": ("矩阵中没有 {count} 个 {what} 编号:{shown}", "重新计算包含它们的矩阵。"),
    },
    "input_column_missing": {
        "en": ("Column missing.", "Add `{column}`."),
        "zh": ("缺少列。", "添加 `{column}` 列。"),
    },
    "minutes_band_missing": {
        "en": (
            "No minutes for this band.",
            "Give a villages × schools minutes table for every band.",
        ),
        "zh": ("缺少该年级段的用时表。", "为每个年级段给出村 × 学校的用时表。"),
    },
    "minutes_villages_missing": {
        "en": (
            "{count} village(s) missing from the minutes table.",
            "Build the travel matrix from the same villages layer.",
        ),
        "zh": ("用时表中缺少 {count} 个村。", "用同一个村图层计算出行矩阵。"),
    },
    "minutes_schools_missing": {
        "en": (
            "{count} school(s) missing from the minutes table.",
            "Build the travel matrix to every school and site.",
        ),
        "zh": ("用时表中缺少 {count} 所学校。", "计算到每所学校和每个点位的出行矩阵。"),
    },
    "site_id_of_a_school": {
        "en": ("A site has the id of a school.", "Give sites ids of their own."),
        "zh": ("有点位与学校同编号。", "给点位各自不同的编号。"),
    },
    "walk_sites_missing": {
        "en": (
            "{count} site(s) missing from the grades 1-3 minutes table.",
            "Build the walking matrix to every site.",
        ),
        "zh": ("1-3 年级用时表中缺少 {count} 个点位。", "计算到每个点位的步行矩阵。"),
    },
    "walk_villages_missing": {
        "en": (
            "{count} village(s) missing from the grades 1-3 minutes table.",
            "Build the walking matrix from every village.",
        ),
        "zh": ("1-3 年级用时表中缺少 {count} 个村。", "计算从每个村出发的步行矩阵。"),
    },
    "projection_years_negative": {
        "en": ("Negative horizon.", "Give 0 or more years."),
        "zh": ("预测年限为负数。", "填写 0 或以上的年数。"),
    },
    "year_labels_bad": {
        "en": (
            "Year labels must be distinct, increasing and not empty.",
            "Give e.g. [2015, 2016, 2017, 2018] (the first is today's counts).",
        ),
        "zh": (
            "年份标签应互不相同、递增且不为空。",
            "写成如 [2015, 2016, 2017, 2018](第一年为现状人数)。",
        ),
    },
    "pupils_not_a_count": {
        "en": ("Not a count.", "Give 0 or more pupils."),
        "zh": ("不是人数。", "填写 0 或以上的人数。"),
    },
    "intake_unknown_ids": {
        "en": ("Intake for unknown village ids.", "Use ids of the villages layer."),
        "zh": ("入学人数中有未知的村编号。", "使用村图层中的编号。"),
    },
    "intake_negative": {
        "en": ("Negative or missing intake.", "Give 0 or more pupils."),
        "zh": ("入学人数为负数或缺失。", "填写 0 或以上的人数。"),
    },
    "migration_rate_bad": {
        "en": (
            "Rate outside 0-1.",
            "Give the yearly share of rural pupils moving to town, e.g. 0.01.",
        ),
        "zh": ("比例不在 0-1 之间。", "填写每年迁入县城的农村学生比例,如 0.01。"),
    },
    "migration_town_empty": {
        "en": (
            "No village lies in the county-town township.",
            "Name the township id of the county town.",
        ),
        "zh": ("县城所在乡镇中没有村。", "填写县城所在乡镇的编号。"),
    },
    "growth_rate_bad": {
        "en": (
            "Bad growth rate for township {township!r}.",
            "Give a rate above -1 (e.g. 0.02 for 2 % a year).",
        ),
        "zh": ("乡镇 {township!r} 的增长率有误。", "填写大于 -1 的增长率(如 0.02 表示每年 2%)。"),
    },
}
"""Problem code -> language -> (problem, fix) templates (``str.format`` fields)."""

_LEVEL_ZH = {"primary": "小学", "middle": "初中"}
_UNIT_ZH = {"pupils": "人数", "minutes": "分钟数", "metres": "米数"}
_E = TypeVar("_E", bound=GeoplanError)

EXAMPLES_SHOWN: int = 8
"""How many known ids a message lists before it says how many there are in all."""


def id_examples(
    ids: Sequence[str],
    names: Mapping[str, Any] | None = None,
    *,
    limit: int = EXAMPLES_SHOWN,
    names_zh: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """The values ``ids``, ``ids_zh``, ``more`` and ``more_zh`` of a message listing known ids.

    ``ids`` lists the first ``limit`` ids, each as ``id (name)`` when ``names`` gives it a name
    other than the id itself; ``ids_zh`` the same with the Chinese name of ``names_zh`` where it
    gives one (else the name); when the list is cut, ``more`` is a space and ``… (N in all)``,
    and ``more_zh`` is ``…(共 N 个)``; else both are empty.

    Parameters
    ----------
    ids
        The known ids, in the order to list them.
    names
        Name by id (missing or empty names are left out).
    limit
        How many ids to list.
    names_zh
        Chinese name by id (``name_zh``), for ``ids_zh``.
    """

    def label(key: str, *tables: Mapping[str, Any] | None) -> str:
        for table in tables:
            name = (table or {}).get(key)
            text = "" if name is None or name != name else str(name).strip()  # NaN != NaN
            if text:
                return f"{key} ({text})" if text != key else str(key)
        return str(key)

    shown = list(ids[:limit])
    cut = len(ids) > limit
    return {
        "ids": ", ".join(label(k, names) for k in shown),
        "ids_zh": ", ".join(label(k, names_zh, names) for k in shown),
        "more": f" … ({len(ids)} in all)" if cut else "",
        "more_zh": f"…(共 {len(ids)} 个)" if cut else "",
    }


def message_fields(template: str) -> set[str]:
    """The names of the ``{fields}`` a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


_ROW_LABEL = re.compile(r"\b(Excel )?(?:rows?|lines?) (\d+(?:-\d+)?)\b")
"""A row label of a table or a line of a file (``Excel rows 1-2``, ``line 5``), as the readers
write them."""


def row_text(text: str, lang: str = "en") -> str:
    """``text`` with its row labels in ``lang``: ``Excel row 3`` -> ``Excel 第 3 行`` in ``zh``.

    ``line 5`` (of a CSV or a YAML file) becomes ``第 5 行``; other text is kept as it is.
    """
    if lang != "zh":
        return text
    return _ROW_LABEL.sub(lambda m: f"{m.group(1) or ''}第 {m.group(2)} 行", text)


KIND_WORDS: tuple[tuple[str, ...], ...] = (
    ("school", "学校", "小学", "中学"),
    ("site", "教学点"),
    ("village", "村"),
)
"""Words of one kind of place, in English and Chinese: a message writes the first two before a
name (``School {school}``, ``学校 {school}``) unless the name already says one of them."""

_KIND_OF = {word: kind for kind in KIND_WORDS for word in kind}
_PARENTHESIS = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")
_QUOTES = "'\"“”‘’"
_KIND_BEFORE_FIELD = re.compile(
    r"(?<![A-Za-z])(school|site|village|学校|教学点|村) ?(?=\{(\w+)[^{}]*\})", re.IGNORECASE
)


def _says_kind(kind: tuple[str, ...], value: str) -> bool:
    """Whether ``value`` starts or ends with a word of ``kind``.

    ``value`` is a name, maybe quoted, maybe followed by its ``(id)``: ``School A (s0)``,
    ``'Hongqi school'``, ``城关学校``.
    """
    text = value.strip().strip(_QUOTES).strip()
    name = _PARENTHESIS.sub("", text).strip(_QUOTES).strip()
    for word in kind:
        if word.isascii():
            edge = rf"^{word}\b|\b{word}$"
            if re.search(edge, text, re.IGNORECASE) or re.search(edge, name, re.IGNORECASE):
                return True
        elif text.startswith(word) or name.endswith(word):
            return True
    return False


def with_kind(word: str, value: Any) -> str:
    """``value`` after the kind ``word``, the word left out when ``value`` already says it.

    ``School s0``, but ``School A (s0)``, not ``School School A (s0)``; ``学校 s0``, but
    ``城关学校``.

    Parameters
    ----------
    word
        A word of :data:`KIND_WORDS`, as the text writes it (``School``, ``site``, ``学校``).
    value
        The name or id written after it.
    """
    text = str(value)
    kind = _KIND_OF.get(word.lower())
    if kind is not None and _says_kind(kind, text):
        return text
    return f"{word} {text}"


def _kinds_once(template: str, params: Mapping[str, str]) -> str:
    """``template`` without the kind words its values already say (``School {school}``)."""

    def keep(match: re.Match[str]) -> str:
        value = params.get(match.group(2))
        kind = _KIND_OF[match.group(1).lower()]
        return "" if value is not None and _says_kind(kind, value) else match.group(0)

    return _KIND_BEFORE_FIELD.sub(keep, template)


def _render(code: str, lang: str, params: dict[str, str]) -> tuple[str, str]:
    message, fix = MESSAGES[code][lang]
    params = {k: row_text(v, lang) for k, v in params.items()}
    return _kinds_once(message, params).format(**params), _kinds_once(fix, params).format(**params)


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
    if "unit" in texts:
        unit = texts["unit"].strip()
        texts.setdefault("unit_zh", _UNIT_ZH.get(unit, unit))
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


def coded_error(
    error: type[_E],
    code: str,
    file: str,
    layer: str,
    row_id: str,
    column: str,
    value: Any,
    /,
    **params: Any,
) -> _E:
    """An ``error`` (to raise) holding one coded problem; its message is the English text.

    ``geoplan run --lang zh`` prints the problem from the catalogue instead.
    """
    problem = coded_problem(code, file, layer, row_id, column, value, **params)
    where = problem.where()
    text = f"{problem.message} Fix: {problem.fix}"
    return error(f"{where}: {text}" if where else text, problems=[problem])
