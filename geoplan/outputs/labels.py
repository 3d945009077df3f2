"""Labels and translations: every text a map, page, printed map or table shows, per language.

One module, so that maps, profiles, printing and tables say the same thing in the same words and
a new language is added in one place. Languages are ``en`` and ``zh``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from geoplan.errors import ArgumentError
from geoplan.plan.restoration import SCORECARD_HEADERS

__all__ = [
    "BAND_LABELS",
    "COLUMN_TEXT_ZH",
    "COMPARE_TEXT",
    "LANGUAGES",
    "MAP_LABELS",
    "PLAN_MAP_TEXT",
    "PRINT_TEXT",
    "PRIORITY_CLASS_ZH",
    "PROFILE_TEXT",
    "SCHOOL_PLAN_TEXT",
    "STANDARD_TEXT_ZH",
    "UNIT_ZH",
    "VALUE_LABELS",
    "band_label",
    "column_label",
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
        "search_villages_button": "Village",
        "search_schools_button": "School",
        "search_villages_tip": "Find a village by its name",
        "search_schools_tip": "Find a school by its name",
        "search_cancel": "Clear the search",
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
        "search_villages_button": "村",
        "search_schools_button": "学校",
        "search_villages_tip": "按村名查找村",
        "search_schools_tip": "按校名查找学校",
        "search_cancel": "清除查找",
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
        "minutes": "Day pupils' daily journey (minutes, one way)",
        "boarders": "boarders (weekly trip home, not coloured by journey)",
        "unserved": "unserved (beyond the day limit, no bed or no school reachable)",
        "status": "Pupils are",
        "status_names": {"day": "day pupils", "boards": "boarders", "unserved": "unserved"},
        "mode": "Travel mode",
        "day_journey": "Daily journey, one way (min)",
        "weekly_trip": "Boarders' weekly trip home, one way (min)",
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
        "changes": "Blocks that change school",
        "today": "School today",
        "planned": "School in the plan",
        "feeders": "Primary schools feeding each middle school",
        "min": "min",
        "ways": "How pupils get to school",
        "way": "Way",
        "way_names": {
            "walk": "walk",
            "bus": "school bus",
            "escorted": "escorted by a parent",
            "board": "board",
            "none": "no acceptable way",
        },
        "layer_band": {"g1_3": "Grades 1-3", "g4_6": "Grades 4-6", "g7_9": "Grades 7-9"},
        "layer_journey": "day journey (min, one way)",
        "layer_way": "way to school",
        "layer_way_lines": "lines to school",
        "journey_applies": "Journey, one way (min; boarders: weekly trip)",
        "seats_used": "Bus seats used",
        "beds_used": "Beds used",
        "no_day_pupils": "no day pupils",
        "adjacency_source": {"measured": "measured", "added": "added", "removed": "removed"},
    },
    "zh": {
        "journeys": "到最近学校的路程",
        "band": {"g1_3": "1-3年级", "g4_6": "4-6年级", "g7_9": "7-9年级"},
        "minutes": "走读生每日单程时间（分钟）",
        "boarders": "寄宿生（每周回家，不按路程着色）",
        "unserved": "未覆盖（超出走读时限且无床位，或无可达学校）",
        "status": "学生类别",
        "status_names": {"day": "走读生", "boards": "寄宿生", "unserved": "未覆盖"},
        "mode": "出行方式",
        "day_journey": "每日单程时间（分钟）",
        "weekly_trip": "寄宿生每周回家单程时间（分钟）",
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
        "changes": "改变学校的街区",
        "today": "现就读学校",
        "planned": "规划学校",
        "feeders": "各初中的对口小学",
        "min": "分钟",
        "ways": "学生上学方式",
        "way": "上学方式",
        "way_names": {
            "walk": "步行",
            "bus": "校车",
            "escorted": "家长接送",
            "board": "寄宿",
            "none": "无可行方式",
        },
        "layer_band": {"g1_3": "1-3年级", "g4_6": "4-6年级", "g7_9": "7-9年级"},
        "layer_journey": "走读单程时间（分钟）",
        "layer_way": "上学方式",
        "layer_way_lines": "到校连线",
        "journey_applies": "单程时间（分钟；寄宿生为每周回家）",
        "seats_used": "已用校车座位",
        "beds_used": "已用床位",
        "no_day_pupils": "无走读生",
        "adjacency_source": {"measured": "实测相邻", "added": "人工添加", "removed": "人工删除"},
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
        "journeys": "Day pupils' daily journey, grades 1-3 (minutes)",
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
        "journeys": "1-3年级走读生每日单程时间（分钟）",
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
        "seats_used": "Bus seats used (of seats)",
        "beds_used": "Beds used (of beds), ways",
        "teachers_needed": "Teachers needed",
        "villages": "Villages served",
        "day_pupils": "Day pupils",
        "band_boarders": "Boarders",
        "unserved": "Unserved (nearest school, no place)",
        "day_mean_journey": "Day pupils' mean daily journey, one way (min)",
        "day_longest_journey": "Day pupils' longest daily journey, one way (min)",
        "boarder_mean_weekly_trip": "Boarders' mean weekly trip home, one way (min)",
        "boarder_longest_weekly_trip": "Boarders' longest weekly trip home, one way (min)",
        "lacks": "What it lacks",
        "nothing": "Nothing against the planning rules.",
        "lacks_classes": "{n} more classes",
        "lacks_places": "{n} more places",
        "lacks_beds": "{n} more beds",
        "numbers": "Numbers",
        "journeys": "Day pupils' daily journeys and boarders' weekly trips (after the plan)",
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
        "seats_used": "已用校车座位（共有座位）",
        "beds_used": "已用床位（共有床位），上学方式",
        "teachers_needed": "需要教师",
        "villages": "服务村数",
        "day_pupils": "走读生",
        "band_boarders": "寄宿生",
        "unserved": "未覆盖（最近学校，无学位）",
        "day_mean_journey": "走读生平均每日单程（分钟）",
        "day_longest_journey": "走读生最长每日单程（分钟）",
        "boarder_mean_weekly_trip": "寄宿生平均每周回家单程（分钟）",
        "boarder_longest_weekly_trip": "寄宿生最长每周回家单程（分钟）",
        "lacks": "缺什么补什么",
        "nothing": "按规划标准无短缺。",
        "lacks_classes": "需增加{n}个班",
        "lacks_places": "需增加{n}个学位",
        "lacks_beds": "需增加{n}张床位",
        "numbers": "主要数据",
        "journeys": "走读生每日路程与寄宿生每周回家路程（规划后）",
        "school": "学校",
        "pdf": "PDF",
        "page": "网页",
        "year": "预测年份",
        "plan": "一校一案",
    },
}
"""Texts of the school profiles per language."""

PRIORITY_CLASS_ZH: Mapping[int, str] = {1: "安全", 2: "学位与床位", 3: "设备与其他用房"}
"""The needs' priority classes in Chinese (in English: ``geoplan.plan.needs.PRIORITY_CLASSES``)."""

UNIT_ZH: Mapping[str, str] = {
    "m²": "m²",
    "m² heated": "m²（供暖）",
    "classrooms": "间",
    "beds": "张",
    "sets": "套",
    "computers": "台",
}
"""The units of the needs' items in Chinese, by their English name."""

STANDARD_TEXT_ZH: Mapping[str, Mapping[str, str]] = {
    "classrooms_per_class": {
        "unit": "间/班",
        "source": "定义：每个班有自己的普通教室；"
        "建标109-2008 农村普通中小学校建设标准 §7-§8 按班数确定学校规模",
    },
    "beds_per_boarder": {
        "unit": "张/寄宿生",
        "source": "定义：寄宿生在校住宿，一人一床（全面改薄底线要求）",
    },
    "media_sets_per_class": {"unit": "套/班", "source": "班班通的定义：每个班有一套教室多媒体设备"},
    "desk_sets_per_pupil": {"unit": "套/学生", "source": "定义：每名学生一套课桌椅"},
    "pupils_per_computer": {
        "unit": "学生/台计算机",
        "note": "未找到国家标准比例；各省常见目标为每8-12名学生一台计算机。",
    },
    "classroom_building_m2": {
        "unit": "每间新教室的建筑面积（平方米，含教室、走廊和楼梯分摊）",
        "note": "GB 50099-2011 规定普通教室每座使用面积约1.36（小学）和1.39（初中）平方米；"
        "走廊和楼梯分摊为估计值。",
    },
    "classroom_m2_per_seat": {
        "unit": "每座教室面积（平方米；每班座位数为班额上限）",
        "source": "GB 50099-2011 中小学校设计规范 §7.1.1，普通教室每座使用面积",
    },
    "dormitory_m2_per_bed": {
        "unit": "每床宿舍面积（平方米）",
        "note": "GB 50099-2011 §6.2.24 据信要求每床不少于3.00平方米；未与原文核对。",
    },
    "canteen_m2_per_pupil": {"unit": "每名学生食堂面积（平方米）"},
    "office_m2_per_teacher": {"unit": "每名所需教师办公面积（平方米）"},
    "playground_m2_per_pupil": {
        "unit": "每名学生运动场地面积（平方米，按学段和该学段班数）",
        "note": "小规模学校人均需要更多（最少要有跑道和球场）；数值为估计。",
    },
    "building_yuan_per_m2": {
        "unit": "新建或改建校舍每平方米造价（元）",
        "source": "伊宁县2014-2018年规划（本项目依据的材料）："
        "4.22亿元建14万平方米，约每平方米3000元",
        "note": "4.22亿元可能不只是校舍；请以本县招标价格替换。",
    },
    "boiler_yuan_per_m2": {"unit": "以锅炉房替代燃煤火炉，每平方米供暖面积费用（元）"},
    "bed_yuan": {"unit": "每套床具费用（元，含床、被褥、储物柜）"},
    "media_set_yuan": {"unit": "每套班班通设备费用（元）"},
    "computer_yuan": {"unit": "每台计算机费用（元）"},
    "desk_set_yuan": {"unit": "每套课桌椅费用（元）"},
    "playground_yuan_per_m2": {"unit": "每平方米运动场地费用（元）"},
    "rotation_share": {
        "unit": "每年可轮岗调出的在岗教师比例",
        "source": "和静县（本项目依据的材料）：每年至少10%的教师轮岗交流",
    },
    "rotation_max_min": {"unit": "轮岗两校之间最长车程（分钟）"},
}  # fmt: skip
"""Chinese unit, source and note of the shipped standards (``geoplan/data/standards.yaml``), by
key; a county's own standard (a scenario's or another file's) keeps the text it was given."""

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
        "year": "Year",
        "unfunded": "not funded",
        "investment": "Investment plan: the needs year by year",
        "budget": "Budget (yuan)",
        "carried": "Carried in (yuan)",
        "spent": "Spent (yuan)",
        "items": "Items coming into use",
        "million_yuan": "million yuan",
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
        "year": "年度",
        "unfunded": "未安排",
        "investment": "投资计划：逐年安排",
        "budget": "预算（元）",
        "carried": "结转（元）",
        "spent": "支出（元）",
        "items": "投入使用项目",
        "million_yuan": "百万元",
    },
}
"""Texts of the school plan pages (一校一案) per language."""

COMPARE_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "Scenario comparison",
        "charts": "Key indicators after the plan",
        "charts_note": (
            "One bar per scenario; beside each value its change against the baseline, {baseline}. "
            "Green: better than the baseline, red: worse, grey: the baseline."
        ),
        "table": "All indicators",
        "table_note": (
            "One row per scenario, after the plan. The best value of each column is marked in "
            "bold on green; teaching points restored and schools closed have no best value."
        ),
        "changes": "Change against the baseline, {baseline}",
        "scenario": "Scenario",
        "description": "Description",
        "maps": "Maps",
        "before_after": "Before/after map",
        "baseline": "baseline",
        "best": "best by {indicator}",
        "no_value": "no value",
    },
    "zh": {
        "title": "方案比较",
        "charts": "规划后的主要指标",
        "charts_note": (
            "每个方案一条；数值旁为相对基准方案（{baseline}）的变化。"
            "绿色：优于基准，红色：劣于基准，灰色：基准方案。"
        ),
        "table": "全部指标",
        "table_note": (
            "每行一个方案（规划后）。各列最优值以绿底粗体标出；恢复教学点数和撤并学校数不设最优。"
        ),
        "changes": "相对基准方案（{baseline}）的变化",
        "scenario": "方案",
        "description": "说明",
        "maps": "地图",
        "before_after": "规划前后对比图",
        "baseline": "基准",
        "best": "按{indicator}最优",
        "no_value": "无数据",
    },
}
"""Texts of the comparison page and workbook per language."""

BAND_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {"g1_3": "grades 1-3", "g4_6": "grades 4-6", "g7_9": "grades 7-9"},
    "zh": {"g1_3": "1-3年级", "g4_6": "4-6年级", "g7_9": "7-9年级"},
}
"""Grade bands as a planner names them, per language."""


_SCHOOL_KINDS = ("teaching_point", "primary", "central_primary", "nine_year", "middle")


def _value_labels(lang: str, own: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """The words of coded values in ``lang``: those other tables say, then ``own``'s."""
    plan, school = PLAN_MAP_TEXT[lang], SCHOOL_PLAN_TEXT[lang]
    shared: dict[str, dict[str, str]] = {
        "band": dict(BAND_LABELS[lang]),
        "status": {
            **plan["status_names"],
            **{k: school[k] for k in ("short", "meets", "not_surveyed")},
        },
        "kind": {k: MAP_LABELS[lang][k] for k in _SCHOOL_KINDS},
        "level": dict(plan["level"]),
        "way": dict(plan["way_names"]),
        "source": dict(plan["adjacency_source"]),
    }
    for column, words in own.items():
        shared[column] = {**shared.get(column, {}), **words}
    return shared


VALUE_LABELS: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "en": _value_labels(
        "en",
        {
            "status": {"open": "open", "closed": "closed"},
            "mode": {
                "child_walk": "child walk (3 km/h)", "pupil_walk": "pupil walk (4 km/h)",
                "school_bus": "school bus", "riding": "riding (motorbike or horse)", "car": "car",
            },
            "reason": {
                "young_beyond_limit": "grades 1-3 beyond the day limit",
                "unserved": "unserved (no bed or no school reachable)",
            },
            "decision": {"free": "free (the model decides)", "must": "must be restored",
                         "never": "never restored"},
            "confidence": {"high": "high", "medium": "medium", "low": "low"},
        },
    ),
    "zh": _value_labels(
        "zh",
        {
            "status": {"open": "开办", "closed": "已撤并", "optimal": "最优", "feasible": "可行",
                       "time_limit": "达到时限"},
            "mode": {
                "child_walk": "儿童步行（3公里/小时）", "pupil_walk": "学生步行（4公里/小时）",
                "school_bus": "校车", "riding": "骑行（摩托车或马）", "car": "汽车",
            },
            "reason": {
                "young_beyond_limit": "1-3年级超出走读时限",
                "unserved": "未覆盖（无床位或无可达学校）",
            },
            "decision": {"free": "由模型决定", "must": "必须恢复", "never": "不恢复"},
            "confidence": {"high": "高", "medium": "中", "low": "低"},
            "unit": {**UNIT_ZH, "classrooms per class": "间/班", "beds per boarder": "张/寄宿生"},
            "method": {"exact": "精确求解", "heuristic": "启发式"},
            "cost_source": {"travel matrix": "路网出行时间"},
        },
    ),
}  # fmt: skip
"""Words for the coded values of table columns, per language and column name (``status``:
``boards`` -> ``boarders`` / ``寄宿生``): the one table every workbook a planner reads shows
its codes by (:func:`geoplan.outputs.planner_tables.worded`). A code it lacks stays a code."""


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


COLUMN_TEXT_ZH: Mapping[str, str] = {
    # ids, places and plain words
    "id": "编号", "name": "名称", "township": "乡镇", "village": "村", "school": "学校",
    "kind": "类型", "status": "状态", "level": "学段", "band": "学段", "mode": "出行方式",
    "phase": "期次", "year": "年度", "unit": "单位", "value": "数值",
    "item_name": "项目名称", "indicator_name": "指标名称", "township_name": "乡镇名称",
    "school_name": "学校名称", "assigned_school_name": "分配学校名称",
    "nearest_open_school_name": "最近的开办学校名称", "from_school_name": "派出学校名称",
    "to_school_name": "接收学校名称", "site_ids": "恢复的教学点（编号）",
    "site_names": "恢复的教学点（名称）", "closure_names": "撤并学校（名称）",
    "source": "来源", "note": "说明", "reason": "原因", "method": "方法", "indicator": "指标",
    "confidence": "可信度", "priority": "优先级", "item": "项目", "items": "项目数",
    "decision": "决定", "rank": "排名", "seconds": "用时（秒）", "scenario": "情景",
    "description": "说明", "folder": "文件夹",
    # pupils and places
    "pupils": "学生数", "day_pupils": "走读生", "boarders": "寄宿生", "unserved": "未覆盖学生",
    "enrolment": "在校生", "classes": "班数", "places": "学位数", "villages": "村数",
    "blocks": "街区数", "sites": "原校址数", "open_schools": "开办学校数",
    "boarding_beds": "宿舍床位", "oversized_classes": "大班额班数", "oversized": "大班额班数",
    "severely_oversized": "超大班额班数", "classes_needed": "所需班数",
    "avg_class_size": "平均班额", "utilisation_primary": "小学学位使用率",
    "utilisation_middle": "初中学位使用率", "young_beyond_limit": "超出走读时限的1-3年级学生",
    "beyond_day_limit": "超出走读时限的学生",
    "pupils_moved": "调整学校的学生", "pupils_moved_villages": "调整学校的村学生",
    "pupils_helped": "受益学生", "over_capacity_pupils": "超出学位的学生",
    "short": "缺少学位数", "extra_classes": "增加班数",
    "short_pupils": "缺学位的学生", "pupils_kept": "留在原校的学生", "share_kept": "留校比例",
    "pupils_today": "现状学生数", "pupils_moved_out": "调出学生", "pupils_moved_in": "调入学生",
    "pupils_new": "新增学生", "pupils_after": "规划后学生数",
    "worst_journey_increase": "单程最大增加", "max_pupils_moved": "最多调整学生数",
    "max_journey_increase": "单程最大增加上限", "stay_weight": "留校权重",
    # journeys
    "day_journey": "走读生每日单程", "weekly_trip": "寄宿生每周回家单程",
    "day_mean_journey": "走读生平均每日单程", "day_median_journey": "走读生每日单程中位数",
    "day_p90_journey": "走读生每日单程90%分位", "day_longest_journey": "走读生最长每日单程",
    "boarder_mean_weekly_trip": "寄宿生平均每周回家单程",
    "boarder_longest_weekly_trip": "寄宿生最长每周回家单程",
    "mean_journey": "平均单程", "worst_journey": "最长单程", "limit": "走读时限",
    "unserved_journey": "到分配学校单程", "assigned_school": "分配学校", "minutes": "车程（分钟）",
    # districts
    "pair": "相邻对", "block_a": "街区A", "block_b": "街区B", "shared_m": "共用边长（米）",
    "gap_m": "间隙（米）", "used": "采用", "share_nearest": "就近入学比例",
    "contiguous": "学区连片", "objective_pupil_min": "目标值（人·分钟）",
    "bound_pupil_min": "下界（人·分钟）", "lp_bound_pupil_min": "线性松弛下界（人·分钟）",
    "gap": "最优性间隙", "solver_gap": "最优性间隙", "cost_source": "路程来源",
    "fits_today": "现有学位足够", "extra_classes_needed": "需增加班数",
    "extra_classes_proven_least": "增班数已证最少", "community": "社区",
    # costs, needs and investments
    "cost": "费用", "restore_cost": "恢复费用", "annual_cost": "年运行费用",
    "restoration_cost": "恢复费用", "unit_cost": "单价", "budget": "预算", "carried_in": "结转",
    "spent": "支出", "spend": "支出", "funded": "已安排项目数", "funded_yuan": "已安排费用（元）",
    "first_year": "首年", "last_year": "末年", "years_in_use": "使用年数", "have": "现有",
    "standard": "标准", "shortfall": "缺口", "placeholder": "暂定标准",
    "placeholder_standards": "所用暂定标准", "not_surveyed": "未调查项目",
    "cost_1_yuan": "一类项目费用（元）", "cost_2_yuan": "二类项目费用（元）",
    "cost_3_yuan": "三类项目费用（元）", "closures": "撤并学校（编号）", "n_sites": "恢复点数",
    "sites_restored": "恢复教学点数", "schools_closed": "撤并学校数", "seasons": "季节",
    # teachers
    "teachers": "教师人数", "teachers_needed": "需要教师", "teachers_in_post": "在岗教师",
    "teachers_short": "缺编教师", "teachers_surplus": "超编教师", "rotation_in": "轮岗调入",
    "rotation_out": "轮岗调出", "needed": "需要", "in_post": "在岗", "shortage": "缺编",
    "surplus": "超编", "from_school": "派出学校", "to_school": "接收学校",
    # ways
    "way": "上学方式", "bus_seats": "校车座位", "seats_used": "已用座位", "beds_used": "已用床位",
    "detail": "详情", "ways_walk_pupils": "步行学生", "ways_bus_pupils": "乘校车学生",
    "ways_escorted_pupils": "家长接送学生", "ways_board_pupils": "寄宿学生",
    "ways_none_pupils": "无可行方式的学生",
    "ways_seats_used": "已用校车座位", "ways_beds_used": "已用床位",
    "ways_day": "走读生单程合计",
    "ways_boarder_trip": "寄宿生回家单程合计", "ways_proven": "已证最优",
    "ways_add_bus_seats": "需增校车座位", "ways_add_beds": "需增床位",
    "ways_add_classes": "需增班数", "walk_pupils": "步行学生",
    "bus_pupils": "乘校车学生", "escorted_pupils": "家长接送学生", "board_pupils": "寄宿学生",
    "none": "无可行方式的学生",
    # seasons, and the scorecard's own headers (said once, in SCORECARD_HEADERS)
    "phasing_pupil_years": "分期受益学生·年",
    **{key: SCORECARD_HEADERS[key][1]
       for key in ("young_brought_within", "pupil_minutes_saved_per_day")},
}  # fmt: skip
"""Chinese headers of table columns and metric keys, by their name without band, state or unit."""

_ZH_UNITS: tuple[tuple[str, str], ...] = (
    ("_pupil_min", "（人·分钟）"),
    ("_min", "（分钟）"),
    ("_yuan", "（元）"),
    ("_m2", "（平方米）"),
    ("_km", "（公里）"),
    ("_kph", "（公里/小时）"),
    ("_m", "（米）"),
)
_ZH_STATES = {"before": "现状", "after": "规划后", "year": "全年"}
_ZH_SEASONS = {"summer": "夏季", "winter": "冬季", "spring": "春季", "autumn": "秋季"}
_ZH_LEVELS = {"primary": "小学", "middle": "初中"}
_ZH_PARTS = {"resident": "常住", "migrant": "流动"}


@functools.cache
def _contract_zh() -> dict[str, str]:
    from geoplan.data.area import LAYERS

    return {col.name: col.zh for cols in LAYERS.values() for col in cols if col.zh}


def column_label(name: str, lang: str = "en", *, seasons: Collection[str] = ()) -> str:
    """The header of a table column or metric key in ``lang``.

    English keeps the name itself (``day_journey_g1_3_min``), so tables read back by name; Chinese
    composes the contract's ``中文`` name or :data:`COLUMN_TEXT_ZH` with the state (现状, 规划后),
    the grade band, the district level, the year and the unit:
    ``after_day_mean_journey_g1_3_min`` -> ``规划后1-3年级走读生平均每日单程（分钟）``. A name
    with no Chinese word stays as it is.

    ``seasons``: the scenario's season names; a key they prefix (``winter_after_day_pupils_g1_3``,
    and ``year_...``, the months-weighted year) reads as the season's word (夏季, 冬季, 春季, 秋季;
    another season by its own name) or 全年 before the key's own header.
    """
    texts(BAND_LABELS, lang)
    if lang != "zh":
        return name
    plain = _column_zh(name)
    if plain != name:
        return plain
    for season in ("year", *seasons):
        rest = name[len(season) + 1 :]
        if name.startswith(f"{season}_") and rest and _column_zh(rest) != rest:
            word = _ZH_STATES["year"] if season == "year" else _ZH_SEASONS.get(season, season)
            return f"{word}{_column_zh(rest)}"
    return name


def _column_zh(name: str) -> str:
    """The Chinese header of ``name`` (see :func:`column_label`), or ``name`` when it has none."""
    if name in COLUMN_TEXT_ZH:
        return COLUMN_TEXT_ZH[name]
    rest, unit = name, ""
    for suffix, zh in _ZH_UNITS:
        if rest.endswith(suffix) and rest[: -len(suffix)]:
            rest, unit = rest[: -len(suffix)], zh
            break
    contract = _contract_zh()
    if name in contract:  # the contract's names carry no unit
        return contract[name] + unit
    direct = {**contract, **COLUMN_TEXT_ZH}
    prefix = ""
    head = rest.split("_", 1)
    if len(head) == 2 and head[0] in _ZH_STATES:
        prefix, rest = _ZH_STATES[head[0]], head[1]
    if rest.startswith("districts_"):
        rest = rest[len("districts_") :]
        level = rest.split("_", 1)
        if level[0] in _ZH_LEVELS and len(level) == 2:
            prefix += f"县城{_ZH_LEVELS[level[0]]}学区"
            rest = level[1]
        else:
            prefix += "县城"
    band = re.search(r"(?:^|_)(g\d_\d)(?=_|$)", rest)
    band_text = ""
    if band and band.group(1) in BAND_LABELS["zh"]:
        band_text = BAND_LABELS["zh"][band.group(1)]
        rest = (rest[: band.start()] + rest[band.end() :]).strip("_")
    year = re.search(r"(?:^|_)(\d{4})(?=_|$)", rest)
    year_text = ""
    if year:
        year_text = f"{year.group(1)}年"
        rest = (rest[: year.start()] + rest[year.end() :]).strip("_")
    words = rest.split("_")
    after = ""
    if words and words[-1] in _ZH_STATES and len(words) > 1:
        after = f"（{_ZH_STATES[words[-1]]}）"
        words = words[:-1]
    part = ""
    if words and words[-1] in _ZH_PARTS and len(words) > 1:
        part = _ZH_PARTS[words[-1]]
        words = words[:-1]
    base = "_".join(words)
    if base not in direct:
        return name
    return f"{prefix}{year_text}{band_text}{part}{direct[base]}{after}{unit}"
