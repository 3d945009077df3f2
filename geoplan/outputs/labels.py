"""Labels and translations: every text a map, page, printed map or table shows, per language.

One module, so that maps, profiles, printing and tables say the same thing in the same words and
a new language is added in one place. Languages are ``en`` and ``zh``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from geoplan.errors import ArgumentError

__all__ = [
    "BAND_LABELS",
    "LANGUAGES",
    "MAP_LABELS",
    "PLAN_MAP_TEXT",
    "PRINT_TEXT",
    "PROFILE_TEXT",
    "SCHOOL_PLAN_TEXT",
    "band_label",
    "texts",
]

LANGUAGES: tuple[str, ...] = ("en", "zh")
"""Languages every text is given in."""

_T = TypeVar("_T")

MAP_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "townships": "Townships",
        "villages": "Villages (sized by pupils)",
        "schools": "Schools",
        "sites": "Former school sites (restoration candidates)",
        "roads": "Roads",
        "overview": "Overview",
        "synthetic": "Synthetic data: fictional county, not a real place",
        "name": "Name",
        "township": "Township",
        "pupils_g1_3": "Pupils, grades 1-3",
        "pupils_g4_6": "Pupils, grades 4-6",
        "pupils_g7_9": "Pupils, grades 7-9",
        "pupils": "Pupils",
        "kind": "Kind",
        "enrolment": "Enrolment",
        "classes": "Classes",
        "boarding_beds": "Boarding beds",
        "status": "Status",
        "restore_cost_yuan": "Restoration cost (yuan)",
        "decision": "Decision",
        "phase": "Phase",
        "highway": "Road class",
        "teaching_point": "Teaching point",
        "primary": "Primary school",
        "central_primary": "Township central primary",
        "nine_year": "Nine-year school",
        "middle": "Junior middle school",
        "legend_schools": "Schools by kind",
        "legend_other": "Other layers",
        "search_villages": "Find a village",
        "search_schools": "Find a school",
        "fullscreen": "Full screen",
        "exit_fullscreen": "Leave full screen",
        "not_found": "Not found",
    },
    "zh": {
        "townships": "乡镇",
        "villages": "村（按学生数大小）",
        "schools": "学校",
        "sites": "原校址（拟恢复教学点）",
        "roads": "道路",
        "overview": "概览",
        "synthetic": "模拟数据：虚构的县，并非真实地点",
        "name": "名称",
        "township": "乡镇",
        "pupils_g1_3": "1-3年级学生",
        "pupils_g4_6": "4-6年级学生",
        "pupils_g7_9": "7-9年级学生",
        "pupils": "学生数",
        "kind": "类型",
        "enrolment": "在校生",
        "classes": "班数",
        "boarding_beds": "宿舍床位",
        "status": "状态",
        "restore_cost_yuan": "恢复费用（元）",
        "decision": "决定",
        "phase": "期次",
        "highway": "道路等级",
        "teaching_point": "教学点",
        "primary": "小学",
        "central_primary": "乡镇中心小学",
        "nine_year": "九年一贯制学校",
        "middle": "初级中学",
        "legend_schools": "学校类型",
        "legend_other": "其他图层",
        "search_villages": "查找村",
        "search_schools": "查找学校",
        "fullscreen": "全屏",
        "exit_fullscreen": "退出全屏",
        "not_found": "未找到",
    },
}
"""Map labels per language (``en``, ``zh``)."""

PLAN_MAP_TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "journeys": "Journey to the nearest school",
        "band": {"g1_3": "grades 1-3", "g4_6": "grades 4-6", "g7_9": "grades 7-9"},
        "minutes": "Journey (minutes)",
        "unreachable": "no school reachable",
        "restoration": "Teaching-point restoration",
        "phase": "Phase",
        "not_restored": "not restored",
        "before": "today",
        "after": "after the plan",
        "districts": "School districts",
        "level": {"primary": "primary", "middle": "junior middle"},
        "journey_min": "Journey, minutes",
        "school": "School",
        "pupils": "Pupils",
        "lines": "Journeys to",
        "distance_km": "Distance (km)",
        "village": "Village",
        "compare": "Journey comparison",
        "plan_a": "plan A",
        "plan_b": "plan B",
        "level_pupils": "Pupils of the level",
        "islands": "Island blocks joined to a district (why)",
        "min": "min",
    },
    "zh": {
        "journeys": "到最近学校的路程",
        "band": {"g1_3": "1-3年级", "g4_6": "4-6年级", "g7_9": "7-9年级"},
        "minutes": "单程时间（分钟）",
        "unreachable": "无可达学校",
        "restoration": "教学点恢复",
        "phase": "期次",
        "not_restored": "不恢复",
        "before": "现状",
        "after": "规划后",
        "districts": "学区划分",
        "level": {"primary": "小学", "middle": "初中"},
        "journey_min": "单程时间（分钟）",
        "school": "学校",
        "pupils": "学生数",
        "lines": "上学路线：",
        "distance_km": "距离（公里）",
        "village": "村",
        "compare": "路程对比",
        "plan_a": "方案A",
        "plan_b": "方案B",
        "level_pupils": "该学段学生数",
        "islands": "并入学区的孤立街区（原因）",
        "min": "分钟",
    },
}
"""Texts of the plan maps per language."""

PRINT_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "date": "Date",
        "source": "Data",
        "made_with": "made with geoplan",
        "north": "N",
        "villages": "Villages (size: pupils)",
        "restored": "Restored teaching point, phase",
        "not_restored": "Site not restored",
        "km": "km",
        "m": "m",
        "journeys": "Journey, grades 1-3 (minutes)",
    },
    "zh": {
        "date": "日期",
        "source": "数据",
        "made_with": "geoplan 制图",
        "north": "北",
        "villages": "村（大小：学生数）",
        "restored": "恢复教学点，期次",
        "not_restored": "不恢复的原校址",
        "km": "公里",
        "m": "米",
        "journeys": "1-3年级单程时间（分钟）",
    },
}
"""Texts of the printable maps per language."""

PROFILE_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "book": "School profiles",
        "profile": "School profile",
        "index": "All schools",
        "kind": "Kind",
        "township": "Township",
        "band": "Band",
        "enrolment": "Enrolment today",
        "projected": "Projected enrolment",
        "classes": "Classes",
        "capacity": "Places",
        "oversized": "Oversized classes (56+)",
        "severe": "Severely oversized (66+)",
        "classes_short": "Classes lacking",
        "places_short": "Places lacking",
        "boarders": "Boarders",
        "beds": "Beds",
        "beds_short": "Beds lacking",
        "teachers_needed": "Teachers needed",
        "villages": "Villages served",
        "mean_journey": "Mean journey (min)",
        "worst_journey": "Longest journey (min)",
        "lacks": "What it lacks",
        "nothing": "Nothing against the planning rules.",
        "lacks_classes": "{n} more classes",
        "lacks_places": "{n} more places",
        "lacks_beds": "{n} more beds",
        "numbers": "Numbers",
        "journeys": "Journeys of the pupils it serves (after the plan)",
        "school": "School",
        "pdf": "PDF",
        "page": "Page",
        "year": "projection year",
        "plan": "School plan (一校一案)",
    },
    "zh": {
        "book": "一校一图一本",
        "profile": "学校档案",
        "index": "全部学校",
        "kind": "类型",
        "township": "乡镇",
        "band": "学段",
        "enrolment": "现有在校生",
        "projected": "预计在校生",
        "classes": "班数",
        "capacity": "学位数",
        "oversized": "大班额（56人及以上）",
        "severe": "超大班额（66人及以上）",
        "classes_short": "缺班数",
        "places_short": "缺学位",
        "boarders": "寄宿生",
        "beds": "床位",
        "beds_short": "缺床位",
        "teachers_needed": "需要教师",
        "villages": "服务村数",
        "mean_journey": "平均单程（分钟）",
        "worst_journey": "最长单程（分钟）",
        "lacks": "缺什么补什么",
        "nothing": "按规划标准无短缺。",
        "lacks_classes": "需增加{n}个班",
        "lacks_places": "需增加{n}个学位",
        "lacks_beds": "需增加{n}张床位",
        "numbers": "主要数据",
        "journeys": "服务学生的上学路程（规划后）",
        "school": "学校",
        "pdf": "PDF",
        "page": "网页",
        "year": "预测年份",
        "plan": "一校一案",
    },
}
"""Texts of the school profiles per language."""

SCHOOL_PLAN_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "School plan",
        "profile": "School profile",
        "index": "All schools",
        "pdf": "PDF",
        "final": "The school in plan year {year} (the last projected year, after the plan)",
        "pupils": "Pupils",
        "classes": "Classes needed",
        "boarders": "Boarders",
        "cost": "Cost of what it lacks (yuan)",
        "lacks": "What it lacks (缺什么补什么)",
        "class": "Priority",
        "item": "Item",
        "status": "Status",
        "have": "Has",
        "standard": "Standard",
        "shortfall": "Lacks",
        "unit": "Unit",
        "unit_cost": "Unit cost (yuan)",
        "cost_yuan": "Cost (yuan)",
        "helped": "Pupils helped",
        "short": "lacks",
        "meets": "meets the standard",
        "not_surveyed": "not surveyed",
        "total": "Total",
        "teachers": "Teachers",
        "level": "Level",
        "needed": "Needed",
        "in_post": "In post",
        "shortage": "Shortage",
        "surplus": "Surplus",
        "rotation": "Suggested rotation for one year (teachers per pair of schools)",
        "from": "From",
        "to": "To",
        "moved": "Teachers",
        "minutes": "Minutes by car",
        "no_rotation": "No move suggested for this school.",
        "standards": "Standards used",
        "value": "Value",
        "source": "Source",
        "confidence": "Confidence",
        "placeholder_note": (
            "{mark} worked from a placeholder standard (no source found): {keys}. Replace it "
            "with the county's own figure (a scenario's standards: section)."
        ),
        "placeholder": "placeholder",
        "teaching_point": "teaching point",
        "primary": "primary",
        "middle": "middle",
    },
    "zh": {
        "title": "一校一案",
        "profile": "学校档案",
        "index": "全部学校",
        "pdf": "PDF",
        "final": "规划第{year}年（预测末年，规划后）",
        "pupils": "学生数",
        "classes": "所需班数",
        "boarders": "寄宿生",
        "cost": "所缺项目费用（元）",
        "lacks": "缺什么补什么",
        "class": "优先级",
        "item": "项目",
        "status": "状态",
        "have": "现有",
        "standard": "标准",
        "shortfall": "缺口",
        "unit": "单位",
        "unit_cost": "单价（元）",
        "cost_yuan": "费用（元）",
        "helped": "受益学生",
        "short": "不足",
        "meets": "达标",
        "not_surveyed": "未调查",
        "total": "合计",
        "teachers": "教师",
        "level": "学段",
        "needed": "需要",
        "in_post": "在岗",
        "shortage": "缺编",
        "surplus": "超编",
        "rotation": "建议一年轮岗交流（按学校对计人数）",
        "from": "派出学校",
        "to": "接收学校",
        "moved": "人数",
        "minutes": "车程（分钟）",
        "no_rotation": "本校无建议交流。",
        "standards": "所用标准",
        "value": "数值",
        "source": "来源",
        "confidence": "可信度",
        "placeholder_note": (
            "{mark} 采用暂定标准（未找到出处）：{keys}。"
            "请以本县数值替换（情景文件 standards: 一节）。"
        ),
        "placeholder": "暂定值",
        "teaching_point": "教学点",
        "primary": "小学",
        "middle": "初中",
    },
}
"""Texts of the school plan pages (一校一案) per language."""

BAND_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {"g1_3": "grades 1-3", "g4_6": "grades 4-6", "g7_9": "grades 7-9"},
    "zh": {"g1_3": "1-3年级", "g4_6": "4-6年级", "g7_9": "7-9年级"},
}
"""Grade bands as a planner names them, per language."""


def texts(table: Mapping[str, _T], lang: str) -> _T:
    """The texts of ``table`` (e.g. :data:`MAP_LABELS`) in language ``lang``.

    Raises
    ------
    geoplan.errors.ArgumentError
        When ``lang`` is not one of :data:`LANGUAGES`.
    """
    if lang not in LANGUAGES or lang not in table:
        msg = f"Unknown language {lang!r}; use one of {', '.join(LANGUAGES)}."
        raise ArgumentError(msg)
    return table[lang]


def band_label(band: str, lang: str = "en") -> str:
    """A grade band as a planner names it: ``g1_3`` -> ``grades 1-3`` (``1-3年级`` in ``zh``)."""
    return texts(BAND_LABELS, lang)[band]
