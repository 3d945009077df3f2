"""`PlanningArea`: the validated layers of one county, and the contracts they follow.

The contracts in :data:`LAYERS` are the single source for validation (``_validate.py``), blank
templates (``templates.write_templates``) and the column tables of ``docs/data.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd

from geoplan.errors import UnknownIdError
from geoplan.rules import BANDS, SCHOOL_KINDS, grade_label

__all__ = [
    "CHOICE_ALIASES",
    "GEOMETRY_TYPES",
    "HEATING_KINDS",
    "ID_HEADERS",
    "ID_INDEX",
    "LAYERS",
    "NAME",
    "NAME_ZH",
    "REQUIRED_LAYERS",
    "SCHOOL_CONDITIONS",
    "TOWNSHIP",
    "Column",
    "PlanningArea",
    "contract_markdown",
    "localised_names",
]

ID_INDEX = "id"
"""Name of the index of every layer (string ids)."""


@dataclass(frozen=True)
class Column:
    """One column of a layer contract.

    Parameters
    ----------
    name
        Column name in the contract.
    dtype
        ``"str"``, ``"int"`` (a non-negative whole count), ``"float"`` (non-negative) or
        ``"choice"``.
    required
        Whether the column must be present.
    default
        Value used when an optional column is absent (``None``: left empty).
    unit
        Unit of the value, or ``""``.
    description
        What the column holds, in a planner's words.
    choices
        Allowed values for ``"choice"`` columns.
    zh
        Chinese header used in templates and Chinese tables.
    description_zh
        What the column holds, in Chinese (the Chinese fix of a missing required value says
        it); ``""``: the Chinese header says it.
    """

    name: str
    dtype: str
    required: bool
    default: Any
    unit: str
    description: str
    choices: tuple[str, ...] = ()
    zh: str = ""
    description_zh: str = ""


def _band_columns(
    prefix: str, zh_prefix: str, *, required: bool, what: str, what_zh: str
) -> list[Column]:
    zh_bands = {"g1_3": "1-3年级", "g4_6": "4-6年级", "g7_9": "7-9年级"}
    return [
        Column(
            f"{prefix}_{band}",
            "int",
            required,
            0,
            "pupils" if prefix != "classes" else "classes",
            f"{what}, grades {grade_label(band)}",
            zh=f"{zh_bands[band]}{zh_prefix}",
            description_zh=f"{what_zh},{zh_bands[band]}",
        )
        for band in BANDS
    ]


def _split_columns() -> list[Column]:
    zh_bands = {"g1_3": "1-3年级", "g4_6": "4-6年级", "g7_9": "7-9年级"}
    cols = []
    for band in BANDS:
        for part, zh in (("resident", "常住"), ("migrant", "流动")):
            cols.append(
                Column(
                    f"pupils_{band}_{part}",
                    "int",
                    False,
                    None,
                    "pupils",
                    f"{part.capitalize()} pupils, grades {grade_label(band)}",
                    zh=f"{zh_bands[band]}{zh}人数",
                )
            )
    return cols


NAME = Column(
    "name",
    "str",
    True,
    None,
    "",
    "Name shown on maps and tables",
    zh="名称",
    description_zh="地图和表格上显示的名称",
)
NAME_ZH = Column(
    "name_zh",
    "str",
    False,
    None,
    "",
    "Chinese name, shown on Chinese maps and pages",
    zh="中文名称",
)
TOWNSHIP = Column(
    "township",
    "str",
    True,
    None,
    "",
    "Id of the township the point lies in",
    zh="乡镇",
    description_zh="该点所在乡镇的编号",
)

HEATING_KINDS: tuple[str, ...] = ("stove", "boiler", "district")
"""How a school is heated: coal stoves in the rooms, its own boiler house, a district network."""


def _condition(name: str, dtype: str, unit: str, description: str, zh: str) -> Column:
    return Column(name, dtype, False, None, unit, description, zh=zh)


SCHOOL_CONDITIONS: tuple[Column, ...] = (
    _condition("classrooms", "int", "rooms", "Ordinary classrooms (survey)", "普通教室数"),
    _condition("classroom_area_m2", "float", "m²", "Floor area of classrooms", "教室面积"),
    _condition(
        "dormitory_area_m2", "float", "m²", "Floor area of pupils' dormitories", "学生宿舍面积"
    ),
    _condition("canteen_area_m2", "float", "m²", "Floor area of the canteen", "食堂面积"),
    _condition("office_area_m2", "float", "m²", "Floor area of offices", "办公用房面积"),
    _condition(
        "dangerous_area_m2",
        "float",
        "m²",
        "Floor area of dangerous buildings (危房) still in use",
        "危房面积",
    ),
    Column(
        "heating",
        "choice",
        False,
        None,
        "",
        "How the school is heated: coal stoves, its own boiler house, or a district network",
        HEATING_KINDS,
        zh="取暖方式",
    ),
    _condition("media_sets", "int", "sets", "Classroom media sets (班班通)", "班班通套数"),
    _condition("computers", "int", "computers", "Computers for pupils", "学生计算机台数"),
    _condition("desk_sets", "int", "sets", "Pupils' desk and chair sets", "课桌椅套数"),
    _condition("playground_m2", "float", "m²", "Playground and sports ground", "运动场地面积"),
    _condition("teachers_primary", "int", "teachers", "Primary teachers in post", "小学教师数"),
    _condition(
        "teachers_middle", "int", "teachers", "Junior middle teachers in post", "初中教师数"
    ),
)
"""Optional school-condition columns (a survey of what each school has); empty: not surveyed."""

LAYERS: dict[str, list[Column]] = {
    "townships": [NAME, NAME_ZH],
    "villages": [
        NAME,
        NAME_ZH,
        TOWNSHIP,
        *_band_columns(
            "pupils",
            "人数",
            required=True,
            what="Pupils living in the village",
            what_zh="住在本村的学生数",
        ),
        *_split_columns(),
        Column(
            "escorted",
            "choice",
            False,
            "no",
            "",
            "yes: a parent may take the village's pupils to school by motorbike or car "
            "(the `escorted` way of a scenario's `ways:`; also allowed per township there)",
            ("yes", "no"),
            zh="家长接送",
        ),
    ],
    "schools": [
        NAME,
        NAME_ZH,
        Column(
            "kind",
            "choice",
            True,
            None,
            "",
            "Kind of school; decides the grade bands it teaches",
            SCHOOL_KINDS,
            zh="类型",
            description_zh="学校类型,决定所教的年级",
        ),
        Column("township", "str", False, None, "", "Id of the township it lies in", zh="乡镇"),
        *_band_columns(
            "classes", "班数", required=False, what="Classes run today", what_zh="现有班数"
        ),
        *_band_columns(
            "enrolment",
            "在校生",
            required=False,
            what="Pupils enrolled today",
            what_zh="现有在校生数",
        ),
        *[
            Column(
                f"planned_classes_{band}",
                "int",
                False,
                0,
                "classes",
                f"Classes a planned extension adds, grades {grade_label(band)}",
                zh=f"{zh}规划增班",
            )
            for band, zh in zip(BANDS, ("1-3年级", "4-6年级", "7-9年级"), strict=True)
        ],
        Column(
            "class_size_limit",
            "int",
            False,
            None,
            "pupils",
            "Class-size limit for every band; empty: the planning-rule default by kind",
            zh="班额上限",
        ),
        Column("boarding_beds", "int", False, 0, "beds", "Boarding beds", zh="宿舍床位"),
        Column(
            "bus_seats",
            "int",
            False,
            0,
            "seats",
            "School-bus seats for pupils riding to this school each day; 0: no bus "
            "(the `bus` way of a scenario's `ways:`)",
            zh="校车座位",
        ),
        Column(
            "status", "choice", False, "open", "", "open or closed", ("open", "closed"), zh="状态"
        ),
        Column(
            "annual_cost_yuan", "float", False, None, "yuan", "Yearly running cost", zh="年运行费用"
        ),
        *SCHOOL_CONDITIONS,
    ],
    "sites": [
        NAME,
        NAME_ZH,
        TOWNSHIP,
        Column(
            "restore_cost_yuan",
            "float",
            True,
            None,
            "yuan",
            "One-off cost of restoring the teaching point",
            zh="恢复费用",
            description_zh="恢复该教学点的一次性费用",
        ),
        Column(
            "min_pupils",
            "int",
            False,
            None,
            "pupils",
            "Fewest grades 1-3 pupils it is opened for; empty: the planning-rule default (10)",
            zh="最少学生数",
        ),
        Column(
            "max_classes",
            "int",
            False,
            None,
            "classes",
            "Most classes it can run; empty: the planning-rule default (4)",
            zh="最多班数",
        ),
        Column(
            "annual_cost_yuan", "float", False, 0.0, "yuan", "Yearly running cost", zh="年运行费用"
        ),
        Column(
            "decision",
            "choice",
            False,
            "free",
            "",
            "free: the model decides; must: always restore; never: do not restore",
            ("free", "must", "never"),
            zh="决定",
        ),
        Column("phase", "int", False, None, "", "Fixed restoration phase (1 = first)", zh="期次"),
    ],
    "blocks": [
        Column("name", "str", False, None, "", "Name of the residential block", zh="名称"),
        *_band_columns(
            "pupils",
            "人数",
            required=False,
            what="Pupils (resident + migrant)",
            what_zh="学生数(常住 + 流动)",
        ),
        *_split_columns(),
        Column(
            "school_primary", "str", False, None, "", "Today's primary school (id)", zh="现小学"
        ),
        Column("school_middle", "str", False, None, "", "Today's middle school (id)", zh="现初中"),
        Column(
            "community",
            "str",
            False,
            None,
            "",
            "Community (社区) the block belongs to, for keeping communities whole",
            zh="社区",
        ),
    ],
}
"""Columns of each layer (besides the ``id`` index and the geometry)."""

GEOMETRY_TYPES: dict[str, tuple[str, ...]] = {
    "townships": ("Polygon", "MultiPolygon"),
    "villages": ("Point",),
    "schools": ("Point",),
    "sites": ("Point",),
    "blocks": ("Polygon", "MultiPolygon"),
}
ID_HEADERS: tuple[str, ...] = ("id", "编号")
"""Headers read as the ``id`` column without a ``columns.yaml`` (case-insensitive)."""

CHOICE_ALIASES: dict[str, dict[str, str]] = {
    "kind": {
        "教学点": "teaching_point",
        "完小": "primary",
        "完全小学": "primary",
        "小学": "primary",
        "中心校": "central_primary",
        "中心小学": "central_primary",
        "九年一贯制": "nine_year",
        "九年一贯制学校": "nine_year",
        "初中": "middle",
        "中学": "middle",
        "初级中学": "middle",
    },
    "heating": {
        "火炉": "stove",
        "炉子": "stove",
        "土暖气": "stove",
        "锅炉": "boiler",
        "锅炉房": "boiler",
        "集中供暖": "district",
        "集中供热": "district",
        "市政供暖": "district",
    },
    "escorted": {
        "是": "yes",
        "否": "no",
        "True": "yes",
        "False": "no",
        "true": "yes",
        "false": "no",
        "1": "yes",
        "0": "no",
        "1.0": "yes",
        "0.0": "no",
    },
    "status": {
        "开办": "open",
        "在办": "open",
        "撤并": "closed",
        "停办": "closed",
        "关闭": "closed",
    },
    "decision": {
        "自由": "free",
        "必须": "must",
        "必建": "must",
        "不建": "never",
        "不恢复": "never",
    },
}
"""Chinese spellings accepted for ``choice`` columns, mapped onto the contract values."""

REQUIRED_LAYERS: tuple[str, ...] = ("townships", "villages", "schools")


@dataclass(frozen=True)
class PlanningArea:
    """The validated layers of one county in one metric CRS.

    Every layer is a GeoDataFrame indexed by string ids (index name ``id``) holding the columns of
    :data:`LAYERS`, defaults filled in. Optional layers are empty GeoDataFrames when absent.

    Parameters
    ----------
    name
        Name of the county (shown on maps and reports).
    townships, villages, schools, sites, blocks
        The layers.
    crs
        The metric CRS every layer is in.
    source
        Folder the area was read from, if any.
    roads_path
        Road network file found in the folder, if any.
    synthetic
        True for generated data (the demo county); maps and reports say so.
    warnings
        Problems of severity ``warning`` found while reading (repaired polygons and the like).
    files
        The file (or ``file.gpkg:layer``) each layer was read from, by layer name.
    coordinates
        The coordinate system ``columns.yaml`` declares (``coordinates:``), by layer name; a
        layer not listed was read as its file says (WGS-84 for longitude/latitude columns).
    columns_file
        The column mapping the area was read with, where a ``coordinates:`` declaration goes:
        the one given (a scenario's ``area.columns``, ``geoplan validate --columns``), else the
        folder's ``columns.yaml`` (whether or not it exists); ``None`` when not read from files.
    """

    name: str
    townships: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    schools: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    blocks: gpd.GeoDataFrame
    crs: Any
    source: Path | None = None
    roads_path: Path | None = None
    synthetic: bool = False
    warnings: tuple[Any, ...] = field(default=())
    files: Mapping[str, str] = field(default_factory=dict)
    coordinates: Mapping[str, str] = field(default_factory=dict)
    columns_file: Path | None = None

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """The layer called ``name``."""
        if name not in LAYERS:
            msg = f"Unknown layer {name!r}; layers are {', '.join(LAYERS)}."
            raise UnknownIdError(msg)
        layer: gpd.GeoDataFrame = getattr(self, name)
        return layer

    def localised(self, lang: str) -> PlanningArea:
        """A copy whose layers carry their names in ``lang`` (see :func:`localised_names`)."""
        if lang != "zh":
            return self
        return replace(
            self, **{layer: localised_names(self.layer(layer), lang) for layer in LAYERS}
        )

    @property
    def open_schools(self) -> gpd.GeoDataFrame:
        """Schools whose ``status`` is ``open``."""
        return self.schools[self.schools["status"] == "open"]


def _default_text(col: Column) -> str:
    if col.default is None:
        return "empty"
    if col.default == "":
        return '""'
    return str(col.default)


def contract_markdown() -> str:
    """Markdown tables of every layer contract (the column tables of ``docs/data.md``)."""
    type_text = {
        "str": "text",
        "int": "whole number ≥ 0",
        "float": "number ≥ 0",
        "choice": "one of",
    }
    parts: list[str] = []
    for layer, columns in LAYERS.items():
        need = "required" if layer in REQUIRED_LAYERS else "optional"
        geom = " or ".join(GEOMETRY_TYPES[layer])
        parts.append(f"### `{layer}` ({need} layer; geometry: {geom})\n")
        parts.append("| column | 中文 | type | unit | required | default | description |")
        parts.append("|---|---|---|---|---|---|---|")
        parts.append(
            f"| `{ID_INDEX}` | 编号 | text | | yes | | Unique id of the row (kept as text) |"
        )
        for col in columns:
            kind = type_text[col.dtype]
            if col.choices:
                kind += " " + ", ".join(f"`{c}`" for c in col.choices)
            parts.append(
                f"| `{col.name}` | {col.zh} | {kind} | {col.unit} | "
                f"{'yes' if col.required else 'no'} | "
                f"{'—' if col.required else _default_text(col)} | {col.description} |"
            )
        parts.append("")
    return "\n".join(parts)


def localised_names(layer: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """``layer`` with ``name`` in ``lang``: for Chinese, ``name_zh`` wherever a row has one.

    Returns the layer itself when nothing changes, else a copy (the input is never modified).
    """
    if lang != "zh" or "name_zh" not in layer.columns or "name" not in layer.columns:
        return layer
    zh = layer["name_zh"]
    has = zh.notna() & (zh.astype(str).str.strip() != "")
    if not has.any():
        return layer
    out = layer.copy()
    out["name"] = out["name"].astype(object)
    out.loc[has, "name"] = zh[has].astype(str)
    return out
