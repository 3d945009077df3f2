"""Headers a planner's table may use for each contract column, and how they are recognised.

Office spreadsheets name columns in many ways (``学校名称``, ``校名``, ``村名``, ``行政村``,
``所在乡镇``, ``宿舍床位`` ...). :data:`HEADER_SYNONYMS` lists, per layer and contract column, the
headers read without a ``columns.yaml``; the contract name and its Chinese header (:data:`LAYERS`)
always work too. Headers are compared after :func:`normalise_header` (full-width to half-width,
case, spaces, brackets and dashes). A header merely close to a known one is never used: it is
suggested (:func:`suggest_headers`). The table in ``docs/data.md`` is :func:`synonyms_markdown`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from geoplan.data.area import ID_HEADERS, ID_INDEX, LAYERS
from geoplan.rules import BANDS

__all__ = [
    "COORDINATE_CELL_HEADERS",
    "HEADER_SYNONYMS",
    "UNIT_FACTORS",
    "header_unit",
    "known_headers",
    "normalise_header",
    "suggest_headers",
    "synonyms_markdown",
]

_BAND_ZH = {"g1_3": ("1-3", "一至三"), "g4_6": ("4-6", "四至六"), "g7_9": ("7-9", "七至九")}


def _bands(column: str, words: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for band in BANDS:
        digits, zh = _BAND_ZH[band]
        names = [f"{form}年级{word}" for form in (digits, zh) for word in words]
        out[f"{column}_{band}"] = tuple(dict.fromkeys(names))
    return out


_TOWNSHIP = ("所在乡镇", "乡镇名称", "所属乡镇", "乡(镇)", "乡镇(场)", "乡", "镇", "township_id")


def _chinese_names(*names: str) -> tuple[str, ...]:
    """Headers of a Chinese-name column: ``村名(中文)``, ``中文村名``, ``村名中文``, ``中文名``."""
    forms = [form for n in ("名称", *names) for form in (f"{n}(中文)", f"中文{n}")]
    forms += [f"{n}中文" for n in names]
    return tuple(dict.fromkeys([*forms, "中文名", "中文名称", "汉文名称", "汉语名称", "name_cn"]))


HEADER_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "townships": {
        ID_INDEX: ("乡镇编号", "乡镇代码", "township_id"),
        "name": ("乡镇名称", "乡镇", "乡(镇)", "township"),
        "name_zh": _chinese_names("乡镇名称", "乡镇"),
    },
    "villages": {
        ID_INDEX: ("村编号", "村代码", "行政区划代码", "village_id"),
        "name": ("村名", "村名称", "村庄名称", "行政村", "村庄", "村(社区)", "village"),
        "name_zh": _chinese_names("村名", "村名称", "村庄名称", "行政村"),
        "township": _TOWNSHIP,
        **_bands("pupils", ("", "人数", "学生数", "学生人数")),
        "escorted": ("是否接送", "接送"),
    },
    "schools": {
        ID_INDEX: ("学校编号", "学校代码", "学校标识码", "school_id"),
        "name": ("学校名称", "校名", "学校", "school"),
        "name_zh": _chinese_names("学校名称", "校名"),
        "kind": ("学校类型", "学校类别", "办学类型", "类别", "type"),
        "township": _TOWNSHIP,
        **_bands("classes", ("班级数", "班")),
        **_bands("enrolment", ("在校生数", "在校学生", "在校学生数")),
        "class_size_limit": ("班额", "核定班额", "最大班额"),
        "boarding_beds": ("床位数", "宿舍床位数", "寄宿床位", "床位", "beds"),
        "bus_seats": ("校车座位数", "校车座位", "seats"),
        "status": ("办学状态", "状态"),
        "annual_cost_yuan": ("年运行经费", "运行经费", "年运行费"),
    },
    "sites": {
        ID_INDEX: ("教学点编号", "site_id"),
        "name": ("教学点名称", "原教学点名称", "教学点", "site"),
        "name_zh": _chinese_names("教学点名称", "原教学点名称"),
        "township": _TOWNSHIP,
        "restore_cost_yuan": ("恢复投资", "投资", "投资额", "总投资", "建设投资", "恢复经费"),
        "min_pupils": ("最低学生数",),
        "max_classes": ("最大班数",),
        "annual_cost_yuan": ("年运行经费", "运行经费", "年运行费"),
        "decision": ("是否恢复",),
        "phase": ("批次", "分期", "期别"),
    },
    "blocks": {
        "name": ("小区名称", "片区名称", "小区"),
        "school_primary": ("对口小学",),
        "school_middle": ("对口初中",),
        "community": ("所属社区", "社区名称"),
    },
}
"""Extra headers per layer and contract column, read without ``columns.yaml``."""

COORDINATE_CELL_HEADERS: tuple[str, ...] = (
    "经纬度",
    "坐标",
    "位置",
    "经纬度坐标",
    "地理坐标",
    "coordinates",
    "lonlat",
    "location",
)
"""Headers of one cell holding longitude and latitude together (``86.5,42.3``)."""

UNIT_FACTORS: dict[str, float] = {
    "万元": 10_000.0,
    "万": 10_000.0,
    "亿元": 100_000_000.0,
    "元": 1.0,
    "人": 1.0,
    "名": 1.0,
    "个": 1.0,
    "班": 1.0,
    "张": 1.0,
    "床": 1.0,
    "间": 1.0,
}
"""Units read in a value (``12人``, ``1.2万元``) or a header (``投资(万元)``), and their factors."""

_DASHES = re.compile(r"[～~—–－‐_]")
_UNIT_IN_HEADER = re.compile(r"^(?P<base>.*?)\s*[(（](?P<unit>[^()（）]+)[)）]\s*$")


def normalise_header(header: object) -> str:
    """A header as compared: NFKC (full-width to half-width), lower case, no spaces, ``-`` dashes.

    Examples
    --------
    >>> normalise_header(" １～３年级 人数 ")
    '1-3年级人数'
    """
    text = unicodedata.normalize("NFKC", str(header)).strip().lower()
    text = re.sub(r"\s+", "", text)
    return _DASHES.sub("-", text)


def header_unit(header: object) -> tuple[str, str]:
    """A header split into its base and the unit in trailing brackets (``投资(万元)``).

    Only units of :data:`UNIT_FACTORS` are split off; ``("乡(镇)", "")`` stays whole.
    """
    text = unicodedata.normalize("NFKC", str(header)).strip()
    match = _UNIT_IN_HEADER.match(text)
    if match and match.group("unit").strip() in UNIT_FACTORS and match.group("base"):
        return match.group("base").strip(), match.group("unit").strip()
    return text, ""


def known_headers(layer: str) -> dict[str, list[tuple[int, str]]]:
    """Normalised header -> [(strength, contract column)] of ``layer``.

    Strength 0 is the contract name, 1 its Chinese header (or ``编号``/``id``), 2 a synonym.
    """
    table: dict[str, list[tuple[int, str]]] = {}

    def add(header: str, strength: int, target: str) -> None:
        entries = table.setdefault(normalise_header(header), [])
        if all(t != target for _, t in entries):
            entries.append((strength, target))

    for column in LAYERS[layer]:
        add(column.name, 0, column.name)
        if column.zh:
            add(column.zh, 1, column.name)
    for header in ID_HEADERS:
        add(header, 1 if header != ID_INDEX else 0, ID_INDEX)
    for target, headers in HEADER_SYNONYMS.get(layer, {}).items():
        for header in headers:
            add(header, 2, target)
    return table


def suggest_headers(header: str, layer: str, *, cutoff: float = 0.6) -> list[tuple[str, str]]:
    """Known headers close to ``header`` (never used by themselves), as (known header, column).

    Returns at most three, closest first.
    """
    spellings: dict[str, str] = {}
    for column in LAYERS[layer]:
        spellings.setdefault(normalise_header(column.name), column.name)
        if column.zh:
            spellings.setdefault(normalise_header(column.zh), column.name)
    for target, headers in HEADER_SYNONYMS.get(layer, {}).items():
        for known in headers:
            spellings.setdefault(normalise_header(known), target)
    close = difflib.get_close_matches(normalise_header(header), list(spellings), 3, cutoff)
    return [(known, spellings[known]) for known in close]


def synonyms_markdown() -> str:
    """Markdown table of :data:`HEADER_SYNONYMS` (the synonym table of ``docs/data.md``)."""
    lines = ["| layer | column | also read as |", "|---|---|---|"]
    for layer, columns in HEADER_SYNONYMS.items():
        for column, headers in columns.items():
            shown = ", ".join(f"`{h}`" for h in headers)
            lines.append(f"| {layer} | `{column}` | {shown} |")
    cells = ", ".join(f"`{h}`" for h in COORDINATE_CELL_HEADERS)
    lines.append(f"| every table | one-cell coordinates | {cells} |")
    return "\n".join(lines) + "\n"
