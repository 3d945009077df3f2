"""One plan per school (一校一案): what each school lacks against the standards, costed.

For the plan's enrolment in its last projected year (after restoration, closures and districts,
:func:`final_enrolment`), :func:`school_needs` compares each open school's surveyed conditions (the
optional condition columns of the ``schools`` layer) with the standards
(:mod:`geoplan.plan.standards`) and lists, per school and item, what it has, what the standard
asks, the shortfall in units and yuan, a priority class and the pupils the item helps:

=====  ==================  ==========================================================
class  items               pupils helped
=====  ==================  ==========================================================
1      dangerous_buildings every pupil of the school (safety)
       stove_heating
2      classrooms          the pupils of the classes that lack a room (shortfall x
                           average class size)
       classroom_area      the pupils of the existing rooms, in proportion to the area
                           they lack
       beds                the boarders without a bed
       dormitory_area      the boarders with a bed, in proportion to the area lacking
3      media_sets          the pupils of the classes the sets equip
       computers           the pupils the computers serve (computers x pupils each)
       desk_sets           one pupil per desk set
       canteen_area        every pupil (a shared room)
       playground          every pupil
       office_area         none (it helps teachers)
=====  ==================  ==========================================================

A condition not surveyed (an empty cell) gives the item status ``not_surveyed`` and no cost;
classrooms not surveyed are taken as today's classes. Teachers needed follow the one planning
rule (:meth:`~geoplan.rules.PlanningRules.teachers_needed`) per level; :func:`teacher_rotation`
suggests moves from surplus to shortage schools within a travel time.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.data.area import ID_INDEX
from geoplan.models.solver import solve_milp
from geoplan.network import travel
from geoplan.plan.pipeline import PlanResult
from geoplan.plan.standards import Standards
from geoplan.rules import BANDS, BANDS_BY_KIND, LEVEL_BANDS, PlanningRules, classes_needed

__all__ = [
    "ITEMS",
    "ITEM_COLUMNS",
    "PRIORITY_CLASSES",
    "TEACHER_MODE",
    "Item",
    "SchoolNeeds",
    "final_enrolment",
    "school_needs",
    "teacher_rotation",
    "teacher_travel_minutes",
]

_logger = logging.getLogger(__name__)

PRIORITY_CLASSES: dict[int, str] = {
    1: "safety",
    2: "places and beds",
    3: "equipment and other rooms",
}
"""Priority classes of needs, most urgent first."""

TEACHER_MODE = "car"
"""Travel mode of the journeys between schools a teacher rotation is limited by."""


@dataclass(frozen=True)
class Item:
    """One kind of need.

    Parameters
    ----------
    key
        Item id (``classrooms``, ``beds`` ...).
    priority
        Priority class (see :data:`PRIORITY_CLASSES`).
    unit
        Unit of ``have``, ``standard`` and ``shortfall``.
    standards
        Standards the item uses (a placeholder among them marks the item).
    condition
        The ``schools`` column it compares with (``""``: none).
    en, zh
        Label in English and Chinese.
    """

    key: str
    priority: int
    unit: str
    standards: tuple[str, ...]
    condition: str
    en: str
    zh: str


ITEMS: dict[str, Item] = {
    i.key: i
    for i in (
        Item(
            "dangerous_buildings", 1, "m²", ("building_yuan_per_m2",), "dangerous_area_m2",
            "Rebuild dangerous buildings", "危房改造",
        ),
        Item(
            "stove_heating", 1, "m² heated", ("boiler_yuan_per_m2",), "heating",
            "Replace coal stoves by a boiler house", "火炉改锅炉取暖",
        ),
        Item(
            "classrooms", 2, "classrooms",
            ("classrooms_per_class", "classroom_building_m2", "building_yuan_per_m2"),
            "classrooms", "Build classrooms", "新建教室",
        ),
        Item(
            "classroom_area", 2, "m²", ("classroom_m2_per_seat", "building_yuan_per_m2"),
            "classroom_area_m2", "Enlarge classrooms", "教室面积不足",
        ),
        Item(
            "beds", 2, "beds",
            ("beds_per_boarder", "dormitory_m2_per_bed", "building_yuan_per_m2", "bed_yuan"),
            "boarding_beds", "Add boarding beds (with dormitory)", "新增床位（含宿舍）",
        ),
        Item(
            "dormitory_area", 2, "m²", ("dormitory_m2_per_bed", "building_yuan_per_m2"),
            "dormitory_area_m2", "Enlarge dormitories", "宿舍面积不足",
        ),
        Item(
            "media_sets", 3, "sets", ("media_sets_per_class", "media_set_yuan"), "media_sets",
            "Classroom media sets (班班通)", "班班通设备",
        ),
        Item(
            "computers", 3, "computers", ("pupils_per_computer", "computer_yuan"), "computers",
            "Computers for pupils", "学生计算机",
        ),
        Item(
            "desk_sets", 3, "sets", ("desk_sets_per_pupil", "desk_set_yuan"), "desk_sets",
            "Desk and chair sets", "课桌椅",
        ),
        Item(
            "canteen_area", 3, "m²", ("canteen_m2_per_pupil", "building_yuan_per_m2"),
            "canteen_area_m2", "Enlarge the canteen", "食堂面积不足",
        ),
        Item(
            "playground", 3, "m²", ("playground_m2_per_pupil", "playground_yuan_per_m2"),
            "playground_m2", "Enlarge the playground", "运动场地不足",
        ),
        Item(
            "office_area", 3, "m²", ("office_m2_per_teacher", "building_yuan_per_m2"),
            "office_area_m2", "Enlarge offices", "办公用房不足",
        ),
    )
}  # fmt: skip
"""Every item a school's needs list, in order."""

ITEM_COLUMNS: tuple[str, ...] = (
    "school",
    "name",
    "item",
    "priority",
    "status",
    "unit",
    "have",
    "standard",
    "shortfall",
    "unit_cost_yuan",
    "cost_yuan",
    "pupils_helped",
    "placeholder",
    "placeholder_standards",
)
"""Columns of :attr:`SchoolNeeds.items` (index: ``<school id>:<item>``)."""


@dataclass(frozen=True)
class SchoolNeeds:
    """What every open school lacks, costed, and its teachers.

    Parameters
    ----------
    items
        One row per school and item (index ``<school>:<item>``), columns :data:`ITEM_COLUMNS`:
        ``status`` ``short`` / ``meets`` / ``not_surveyed``; ``cost_yuan`` = ``shortfall`` ×
        ``unit_cost_yuan``; ``placeholder`` when a standard it uses has no source.
    schools
        Per school: ``name``, ``kind``, ``township``, final-year ``pupils``, ``classes_needed``,
        ``boarders``, ``cost_<class>_yuan`` per priority class, ``cost_yuan``, ``pupils_helped``
        (largest over items), ``not_surveyed`` (conditions left empty), ``placeholder``.
    teachers
        Per school and level (index ``<school>:<level>``): ``school``, ``level``, ``needed``,
        ``in_post`` (NaN: not surveyed), ``shortage``, ``surplus``.
    rotation
        Suggested moves for one year: ``from_school``, ``to_school``, ``level``, ``teachers``,
        ``minutes`` (by :data:`TEACHER_MODE`).
    standards
        The standards used.
    year
        The projection year the needs are for.
    """

    items: pd.DataFrame
    schools: pd.DataFrame
    teachers: pd.DataFrame
    rotation: pd.DataFrame
    standards: Standards
    year: int


def final_enrolment(result: PlanResult) -> pd.DataFrame:
    """Pupils per open school and band in the plan's last projected year; boarders too.

    A district school's pupils of a districted band are the district plan's pupils plus the
    final-year pupils of the villages it serves after the plan. Any other school's enrolment
    follows its villages: today's enrolment times the final-year pupils of the villages it serves
    after the plan over today's pupils of the villages it serves today, so pupils who move to a
    restored teaching point leave it, pupils of a closed school arrive, and growth counts. A
    school serving no village today keeps today's enrolment plus the final-year pupils of any
    village it gains. Boarders are the final-year pupils of the villages boarding there.

    Returns
    -------
    pandas.DataFrame
        Indexed by open school id: ``pupils_<band>`` (NaN for bands it does not teach) and
        ``boarders``.
    """
    schools = result.schools[result.schools["status"] == "open"]
    after = result.after
    years = result.projection.index.get_level_values("year")
    last = result.projection.xs(int(years.max()), level="year")
    first = result.projection.xs(int(years.min()), level="year")
    district = result.districts.schools if result.districts is not None else None
    out = pd.DataFrame(index=schools.index.copy())
    for band in BANDS:
        rows = after.xs(band, level="band")
        served = rows[rows["status"] != "unserved"]
        now = result.before.xs(band, level="band")
        served_now = now[now["status"] != "unserved"]
        col = f"pupils_{band}"
        values = []
        for sid, school in schools.iterrows():
            if band not in BANDS_BY_KIND.get(str(school["kind"]), ()):
                values.append(math.nan)
                continue
            ids = served.index[served["school"] == sid]
            later = float(last.loc[ids, col].sum())
            in_district = (
                district is not None
                and sid in district.index
                and col in district.columns
                and pd.notna(district.loc[sid, col])
            )
            if in_district:
                assert district is not None
                values.append(float(district.loc[sid, col]) + later)
                continue
            enrol = float(school.get(f"enrolment_{band}", 0) or 0)
            today = float(first.loc[served_now.index[served_now["school"] == sid], col].sum())
            values.append(enrol * later / today if today > 0 else enrol + later)
        out[col] = values
    boards = after[after["status"] == "boards"].reset_index()
    pupils = [
        float(last.loc[v, f"pupils_{b}"])
        for v, b in zip(boards[ID_INDEX], boards["band"], strict=True)
    ]
    boarders = pd.Series(pupils, index=boards["school"].to_numpy(), dtype="float64")
    out["boarders"] = boarders.groupby(level=0).sum().reindex(out.index, fill_value=0.0)
    return out


def _level(kind: str, band: str) -> str:
    if kind == "teaching_point":
        return "teaching_point"
    return "middle" if band in LEVEL_BANDS["middle"] else "primary"


def _number(value: Any) -> float | None:
    """``value`` as a float, or ``None`` when it is empty (not surveyed)."""
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _known(value: Any) -> bool:
    return (
        value is not None
        and value is not pd.NA
        and not (isinstance(value, float) and math.isnan(value))
    )


class _School:
    """The final-year numbers of one school the items are worked from."""

    def __init__(
        self, school: pd.Series, pupils: pd.Series, boarders: float, rules: PlanningRules
    ) -> None:
        self.kind = str(school["kind"])
        bands = [b for b in BANDS_BY_KIND[self.kind] if pd.notna(pupils.get(f"pupils_{b}"))]
        own = _number(school.get("class_size_limit"))
        self.pupils_by_band = {b: float(pupils[f"pupils_{b}"]) for b in bands}
        self.total = float(sum(self.pupils_by_band.values()))
        self.limit = {
            b: int(own) if own is not None else rules.limit_for(self.kind, b) for b in bands
        }
        if self.kind == "teaching_point":  # multi-grade classes: every pupil counts together
            lim = self.limit[bands[0]] if bands else rules.teaching_point_class_size_limit
            self.classes_by_level = {"teaching_point": classes_needed(round(self.total, 6), lim)}
            self.pupils_by_level = {"teaching_point": self.total}
            self.seats_by_level = {"teaching_point": self.classes_by_level["teaching_point"] * lim}
        else:
            self.classes_by_level, self.pupils_by_level, self.seats_by_level = {}, {}, {}
            for b in bands:
                lvl = _level(self.kind, b)
                n = classes_needed(round(self.pupils_by_band[b], 6), self.limit[b])
                self.classes_by_level[lvl] = self.classes_by_level.get(lvl, 0) + n
                self.pupils_by_level[lvl] = (
                    self.pupils_by_level.get(lvl, 0.0) + (self.pupils_by_band[b])
                )
                self.seats_by_level[lvl] = self.seats_by_level.get(lvl, 0) + n * self.limit[b]
        self.classes = int(sum(self.classes_by_level.values()))
        self.boarders = float(boarders)
        self.teachers_by_level = {
            lvl: int(rules.teachers_needed(self.pupils_by_level[lvl], n))
            for lvl, n in self.classes_by_level.items()
        }
        self.teachers = int(sum(self.teachers_by_level.values()))

    @property
    def class_size(self) -> float:
        """Average pupils per needed class."""
        return self.total / self.classes if self.classes else 0.0


def _round_up(x: float) -> int:
    return math.ceil(round(x, 6))


def _items_of(sid: str, school: pd.Series, s: _School, std: Standards) -> list[dict[str, Any]]:
    """Every item of one school (shortfall, cost, pupils helped)."""
    rows: list[dict[str, Any]] = []
    pupils_all = round(s.total)
    building = std.at("building_yuan_per_m2")

    def add(
        key: str, have: float | None, standard: float, shortfall: float, unit_cost: float,
        helped: float,
    ) -> None:  # fmt: skip
        item = ITEMS[key]
        surveyed = have is not None
        short = max(0.0, shortfall) if surveyed else 0.0
        rows.append(
            {
                "school": sid,
                "item": key,
                "priority": item.priority,
                "status": "not_surveyed" if not surveyed else ("short" if short > 0 else "meets"),
                "unit": item.unit,
                "have": math.nan if have is None else float(have),
                "standard": float(standard),
                "shortfall": float(short),
                "unit_cost_yuan": float(unit_cost),
                "cost_yuan": float(round(short * unit_cost, 2)),
                "pupils_helped": round(helped) if surveyed and short > 0 else 0,
                "placeholder": std.placeholder(*item.standards),
                "placeholder_standards": ", ".join(k for k in item.standards if std[k].placeholder),
            }
        )

    def cond(column: str) -> float | None:
        return _number(school.get(column))

    # 1 safety
    danger = cond("dangerous_area_m2")
    add("dangerous_buildings", danger, 0.0, danger or 0.0, building, pupils_all)
    heating = school.get("heating")
    floor = sum(
        cond(c) or 0.0
        for c in ("classroom_area_m2", "dormitory_area_m2", "canteen_area_m2", "office_area_m2")
    )
    stove = heating == "stove"
    add(
        "stove_heating",
        (0.0 if stove else floor) if _known(heating) else None,
        floor,
        floor if stove else 0.0,
        std.at("boiler_yuan_per_m2"),
        pupils_all,
    )
    # 2 places and beds
    rooms_have = cond("classrooms")
    if rooms_have is None:  # not surveyed: the classes run today have their rooms
        rooms_have = float(sum(float(school.get(f"classes_{b}", 0) or 0) for b in BANDS))
    rooms_needed = _round_up(s.classes * std.at("classrooms_per_class"))
    room_short = max(0.0, rooms_needed - rooms_have)
    levels = list(s.classes_by_level)
    room_m2 = (
        float(np.mean([std.at("classroom_building_m2", lvl) for lvl in levels])) if levels else 0.0
    )
    add(
        "classrooms", rooms_have, rooms_needed, room_short, room_m2 * building,
        min(pupils_all, room_short * s.class_size),
    )  # fmt: skip
    seat_area = sum(s.seats_by_level[lvl] * std.at("classroom_m2_per_seat", lvl) for lvl in levels)
    in_rooms = min(1.0, rooms_have / rooms_needed) if rooms_needed else 0.0
    area_std = seat_area * in_rooms
    area_have = cond("classroom_area_m2")
    area_short = max(0.0, area_std - (area_have or 0.0))
    add(
        "classroom_area", area_have, area_std, area_short, building,
        s.total * in_rooms * area_short / area_std if area_std else 0.0,
    )  # fmt: skip
    beds = float(school.get("boarding_beds", 0) or 0)
    beds_needed = _round_up(s.boarders * std.at("beds_per_boarder"))
    bed_short = max(0.0, beds_needed - beds)
    per_bed = std.at("dormitory_m2_per_bed")
    add(
        "beds", beds, beds_needed, bed_short, per_bed * building + std.at("bed_yuan"),
        min(s.boarders, bed_short / std.at("beds_per_boarder")),
    )  # fmt: skip
    used_beds = min(beds, float(beds_needed))
    dorm_std = used_beds * per_bed
    dorm_have = cond("dormitory_area_m2")
    dorm_short = max(0.0, dorm_std - (dorm_have or 0.0))
    boarders_in_beds = min(s.boarders, used_beds / std.at("beds_per_boarder"))
    add(
        "dormitory_area", dorm_have, dorm_std, dorm_short, building,
        boarders_in_beds * dorm_short / dorm_std if dorm_std else 0.0,
    )  # fmt: skip
    # 3 equipment and other rooms
    media_needed = _round_up(s.classes * std.at("media_sets_per_class"))
    media_have = cond("media_sets")
    media_short = max(0.0, media_needed - (media_have or 0.0))
    add(
        "media_sets", media_have, media_needed, media_short, std.at("media_set_yuan"),
        min(pupils_all, media_short / std.at("media_sets_per_class") * s.class_size),
    )  # fmt: skip
    comp_needed = sum(
        _round_up(s.pupils_by_level[lvl] / std.at("pupils_per_computer", lvl)) for lvl in levels
    )
    comp_have = cond("computers")
    comp_short = max(0.0, comp_needed - (comp_have or 0.0))
    add(
        "computers", comp_have, comp_needed, comp_short, std.at("computer_yuan"),
        min(pupils_all, comp_short * s.total / comp_needed) if comp_needed else 0.0,
    )  # fmt: skip
    desk_needed = _round_up(s.total * std.at("desk_sets_per_pupil"))
    desk_have = cond("desk_sets")
    desk_short = max(0.0, desk_needed - (desk_have or 0.0))
    add(
        "desk_sets", desk_have, desk_needed, desk_short, std.at("desk_set_yuan"),
        min(pupils_all, desk_short / std.at("desk_sets_per_pupil")),
    )  # fmt: skip
    canteen_std = sum(
        s.pupils_by_level[lvl] * std.at("canteen_m2_per_pupil", lvl) for lvl in levels
    )
    canteen_have = cond("canteen_area_m2")
    add(
        "canteen_area", canteen_have, canteen_std,
        canteen_std - (canteen_have or 0.0), building, pupils_all,
    )  # fmt: skip
    play_std = sum(
        s.pupils_by_level[lvl] * std.at("playground_m2_per_pupil", lvl, s.classes_by_level[lvl])
        for lvl in levels
    )
    play_have = cond("playground_m2")
    add(
        "playground", play_have, play_std, play_std - (play_have or 0.0),
        std.at("playground_yuan_per_m2"), pupils_all,
    )  # fmt: skip
    office_std = s.teachers * std.at("office_m2_per_teacher")
    office_have = cond("office_area_m2")
    add("office_area", office_have, office_std, office_std - (office_have or 0.0), building, 0)
    return rows


def teacher_travel_minutes(
    result: PlanResult, graph: nx.MultiDiGraph, *, mode: str = TEACHER_MODE
) -> pd.DataFrame:
    """Minutes between every two open schools of a plan by ``mode`` (cached on disk)."""
    schools = result.schools[result.schools["status"] == "open"]
    points = gpd.GeoDataFrame(schools[["name"]], geometry=schools.geometry, crs=schools.crs)
    matrix = travel.travel_matrix(
        graph,
        points,
        points,
        mode=mode,
        closures=result.settings.closures,
        cache_dir=result.settings.cache_dir,
        origins_label="schools",
        destinations_label="schools",
    )
    return matrix.minutes_frame().astype("float64")


def teacher_rotation(
    teachers: pd.DataFrame,
    minutes: pd.DataFrame | None,
    *,
    share: float,
    max_minutes: float,
) -> pd.DataFrame:
    """One year's suggested moves of teachers from surplus to shortage schools.

    Per level, a school sends at most its surplus and at most ``floor(share × in post)``
    teachers; a school receives at most its shortage; a move joins two schools at most
    ``max_minutes`` apart. The moves maximise the teachers moved, then minimise their minutes
    (a transportation problem, solved exactly with HiGHS).

    Parameters
    ----------
    teachers
        :attr:`SchoolNeeds.teachers`.
    minutes
        One-way minutes between schools (rows from, columns to); ``None``: no rotation.
    share
        Most share of a school's teachers in post that leave it in a year.
    max_minutes
        Longest journey between two schools of a move.

    Returns
    -------
    pandas.DataFrame
        ``from_school``, ``to_school``, ``level``, ``teachers``, ``minutes``.
    """
    cols = ["from_school", "to_school", "level", "teachers", "minutes"]
    rows: list[dict[str, Any]] = []
    if minutes is None or teachers.empty:
        return pd.DataFrame(rows, columns=cols)
    for level, part in teachers.groupby("level", sort=False):
        known = part[part["in_post"].notna()]
        send = {
            str(r["school"]): min(int(r["surplus"]), math.floor(share * float(r["in_post"]) + 1e-9))
            for _, r in known.iterrows()
        }
        send = {k: v for k, v in send.items() if v > 0}
        take = {str(r["school"]): int(r["shortage"]) for _, r in known.iterrows()}
        take = {k: v for k, v in take.items() if v > 0}
        table = minutes.reindex(index=list(send), columns=list(take)).to_numpy(dtype="float64")
        pairs = [
            (a, b, float(table[i, j]))
            for i, a in enumerate(send)
            for j, b in enumerate(take)
            if a != b and np.isfinite(table[i, j]) and table[i, j] <= max_minutes
        ]
        if not pairs:
            continue
        senders, takers = list(send), list(take)
        n = len(pairs)
        a_rows, a_cols = [], []
        for j, (a, b, _) in enumerate(pairs):
            a_rows += [senders.index(a), len(senders) + takers.index(b)]
            a_cols += [j, j]
        matrix = sp.csr_array(
            (np.ones(len(a_rows)), (a_rows, a_cols)), shape=(len(senders) + len(takers), n)
        )
        upper = np.array([send[a] for a in senders] + [take[b] for b in takers], dtype=float)
        worst = max(m for _, _, m in pairs) + 1.0
        # every teacher moved outweighs every minute saved: lexicographic in one objective
        cost = np.array([-(worst * n + 1.0) + m for _, _, m in pairs])
        solved = solve_milp(
            cost, matrix, np.zeros(len(upper)), upper, integrality=np.ones(n), time_limit_s=30.0
        )
        if solved.x is None:
            _logger.warning("teacher rotation for %s: no solution (%s)", level, solved.status)
            continue
        for (a, b, m), x in zip(pairs, np.round(solved.x).astype(int), strict=True):
            if x > 0:
                rows.append(
                    {"from_school": a, "to_school": b, "level": level, "teachers": int(x),
                     "minutes": round(m, 1)}
                )  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def school_needs(
    result: PlanResult,
    *,
    standards: Standards | None = None,
    school_minutes: pd.DataFrame | None = None,
) -> SchoolNeeds:
    """What every open school of a plan lacks in its last projected year, costed.

    Parameters
    ----------
    result
        The plan (its ``settings.rules`` give class sizes and teacher ratios).
    standards
        Default: the plan's ``settings.standards``.
    school_minutes
        Minutes between schools (:func:`teacher_travel_minutes`); ``None``: no rotation list.

    Returns
    -------
    SchoolNeeds
        Items per school and item, per-school totals, teachers and the rotation.
    """
    std = standards or result.settings.standards
    rules = result.settings.rules
    schools = result.schools[result.schools["status"] == "open"]
    final = final_enrolment(result)
    year = int(result.projection.index.get_level_values("year").max())
    township_names = result.area.townships["name"]
    item_rows: list[dict[str, Any]] = []
    school_rows: list[dict[str, Any]] = []
    teacher_rows: list[dict[str, Any]] = []
    for sid, school in schools.iterrows():
        s = _School(school, final.loc[sid], float(final.loc[sid, "boarders"]), rules)
        rows = _items_of(str(sid), school, s, std)
        for row in rows:
            row["name"] = school["name"]
        item_rows += rows
        by_class = {
            p: sum(r["cost_yuan"] for r in rows if r["priority"] == p) for p in PRIORITY_CLASSES
        }
        township = school.get("township")
        school_rows.append(
            {
                "id": str(sid),
                "name": school["name"],
                "kind": s.kind,
                "township": township_names.get(township, township),
                "pupils": round(s.total, 1),
                "classes_needed": s.classes,
                "boarders": round(s.boarders, 1),
                **{f"cost_{p}_yuan": round(c, 2) for p, c in by_class.items()},
                "cost_yuan": round(sum(by_class.values()), 2),
                "not_surveyed": ", ".join(
                    ITEMS[r["item"]].condition for r in rows if r["status"] == "not_surveyed"
                ),
                "placeholder": any(r["placeholder"] and r["status"] == "short" for r in rows),
            }
        )
        for lvl, needed in s.teachers_by_level.items():
            column = "teachers_middle" if lvl == "middle" else "teachers_primary"
            in_post = school.get(column)
            known = _known(in_post)
            teacher_rows.append(
                {
                    "id": f"{sid}:{lvl}",
                    "school": str(sid),
                    "level": lvl,
                    "needed": needed,
                    "in_post": float(in_post) if known else math.nan,
                    "shortage": max(0, needed - int(in_post)) if known else 0,
                    "surplus": max(0, int(in_post) - needed) if known else 0,
                }
            )
    items = pd.DataFrame(item_rows, columns=list(ITEM_COLUMNS))
    items.index = pd.Index(
        [f"{s}:{i}" for s, i in zip(items["school"], items["item"], strict=True)]
    )
    items.index.name = ID_INDEX
    teachers = pd.DataFrame(
        teacher_rows, columns=["id", "school", "level", "needed", "in_post", "shortage", "surplus"]
    ).set_index("id")
    rotation = teacher_rotation(
        teachers,
        school_minutes,
        share=std.at("rotation_share"),
        max_minutes=std.at("rotation_max_min"),
    )
    table = pd.DataFrame(school_rows).set_index("id") if school_rows else pd.DataFrame()
    if len(table):
        helped = items.groupby("school")["pupils_helped"].max()
        table.insert(len(table.columns) - 2, "pupils_helped", helped.reindex(table.index))
        need_sum = teachers.groupby("school")["needed"].sum()
        in_post = teachers.groupby("school")["in_post"].sum(min_count=1)
        table["teachers_needed"] = need_sum.reindex(table.index).fillna(0).astype("int64")
        table["teachers_in_post"] = in_post.reindex(table.index)
        table["teachers_short"] = teachers.groupby("school")["shortage"].sum().reindex(table.index)
        table["teachers_surplus"] = teachers.groupby("school")["surplus"].sum().reindex(table.index)
        for col, by in (("rotation_in", "to_school"), ("rotation_out", "from_school")):
            moved = rotation.groupby(by)["teachers"].sum()
            table[col] = moved.reindex(table.index, fill_value=0).astype("int64")
    _logger.info(
        "needs of %d schools: %.0f yuan, %d items short",
        len(table),
        float(items["cost_yuan"].sum()) if len(items) else 0.0,
        int((items["status"] == "short").sum()) if len(items) else 0,
    )
    return SchoolNeeds(
        items=items, schools=table, teachers=teachers, rotation=rotation, standards=std, year=year
    )
