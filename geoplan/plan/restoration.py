"""Teaching-point restoration: the site scorecard and the whole plan.

:func:`score_sites` scores every candidate site on its own; :func:`plan_restoration` runs the
whole analysis (scorecard, :mod:`geoplan.phasing`, optional :mod:`geoplan.closures`, indicators
before and after, unserved villages) into a :class:`RestorationPlan`. The inputs and what
*brought within the limit* means are described in :mod:`geoplan._coverage`. The phasing and
closure names are re-exported here (``geoplan.restoration.phase_sites`` keeps working).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.csv_tables import plain_numbers, write_csv
from geoplan.data.area import ID_INDEX
from geoplan.data.messages import coded_problem
from geoplan.errors import ArgumentError, Problem, ValidationError
from geoplan.models._coverage import YOUNG, _Cover, _enrolment, _prepare
from geoplan.models.phasing import Phasing, phase_sites
from geoplan.models.siting import SitingResult
from geoplan.plan.closures import Closures, plan_closures
from geoplan.plan.evaluate import (
    _choose_schools,
    _trips,
    assign_pupils,
    township_indicators,
    unserved_villages,
)
from geoplan.rules import PlanningRules
from geoplan.workbooks import Sheet, write_workbook

__all__ = [
    "SCORECARD_HEADERS",
    "SCORECARD_NOTES",
    "RestorationPlan",
    "destinations",
    "over_class_problems",
    "plan_restoration",
    "score_sites",
    "write_scorecard",
]

_logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# scorecard

SCORECARD_HEADERS: dict[str, tuple[str, str]] = {
    "name": ("Site", "教学点"),
    "township": ("Township", "乡镇"),
    "rank": ("Rank", "排名"),
    "young_brought_within": (
        "Grades 1-3 pupils brought within the day limit",
        "新进入限时的1-3年级学生",
    ),
    "could_stop_boarding": ("Pupils who could stop boarding", "可不再寄宿的学生"),
    "nearest_open_school": ("Nearest open school", "最近的开办学校"),
    "journey_today_min": (
        "Journey today to the nearest open grades 1-3 school, one way (min)",
        "现到最近开办1-3年级学校单程(分钟)",
    ),
    "weekly_trip_today_min": (
        "Boarders' weekly trip home today, one way (min)",
        "寄宿生现每周回家单程(分钟)",
    ),
    "site_journey_min": ("Journey to the site, one way (min)", "到本教学点单程(分钟)"),
    "pupil_minutes_saved_per_day": (
        "Day pupils' minutes saved per school day (both ways)",
        "走读生每天节省的往返分钟",
    ),
    "weekly_trip_minutes_saved_per_week": (
        "Boarders' weekly-trip minutes saved per week (both ways)",
        "寄宿生每周节省的往返回家分钟",
    ),
    "enrolment": ("Projected enrolment, first year", "预计在校生(首年)"),
    "enrolment_last_year": ("Projected enrolment, last year", "预计在校生(末年)"),
    "classes_needed": ("Classes needed (multi-grade)", "所需班数(复式)"),
    "fits_max_classes": ("Fits its most classes", "不超过最多班数"),
    "reaches_min_pupils": ("Reaches the minimum enrolment", "达到最少学生数"),
    "teachers_needed": ("Teachers needed", "所需教师"),
    "restore_cost_yuan": ("Restoration cost (yuan)", "恢复费用(元)"),
    "annual_cost_yuan": ("Yearly cost (yuan)", "年运行费用(元)"),
    "cost_per_pupil_served_yuan": (
        "Restoration cost per pupil brought within (yuan)",
        "每名受益学生恢复费用(元)",
    ),
    "decision": ("Decision", "决定"),
}
"""Readable headers (English, Chinese) of the scorecard columns, in export order: the site, what
its pupils face today, then what restoring it changes, then its size and costs."""

_NAME_HEADERS: dict[str, tuple[str, str]] = {
    "name_zh": ("Site, Chinese name", "中文名称"),
    "township_name": ("Township name", "乡镇名称"),
    "nearest_open_school_name": ("Nearest open school, name", "最近的开办学校名称"),
}
"""Headers of the names a workbook shows beside the ids (``shown`` of :func:`write_scorecard`)."""

SCORECARD_NOTES: dict[str, tuple[str, str]] = {
    "name": ("The former teaching point's name (sites layer).", "原教学点名称（sites图层）。"),
    "township": (
        "The township the site is in (sites layer township).",
        "本教学点所在的乡镇（sites图层township）。",
    ),
    "rank": (
        "1 is the best site to restore on its own. Sites whose decision is 'never' come last, "
        "then sites that would not reach their minimum enrolment; the others are ordered by "
        "most grades 1-3 pupils brought within the day limit, then most day pupils' minutes "
        "saved per school day, then lowest restoration cost.",
        "1表示单独恢复时最优先的教学点。决定为never（不恢复）的排在最后，其次是达不到最少学生数的；"
        "其余按新进入走读时限的1-3年级学生从多到少，再按走读生每天节省的往返分钟从多到少，"
        "再按恢复费用从低到高排序。",
    ),
    "young_brought_within": (
        "Number of grades 1-3 pupils (first plan year) who today have no open school teaching "
        "grades 1-3 within the day limit (a one-way journey of at most 30 minutes, unless the "
        "scenario sets another limit), and for whom this site would be within it. Today they "
        "board, or are unserved (no open school with boarding beds can be reached).",
        "首个规划年度的1-3年级学生中，现在走读时限（单程，默认30分钟，情景可另设）内没有开办的"
        "1-3年级学校、而到本教学点在时限内的学生人数。他们现在寄宿，或未覆盖（到不了任何有寄宿"
        "床位的开办学校）。",
    ),
    "could_stop_boarding": (
        "Of the grades 1-3 pupils brought within the day limit, the number who board today: "
        "beyond the day limit of every open school teaching grades 1-3, they live at the nearest "
        "one with boarding beds and go home once a week. With this site they could go to school "
        "daily. The others brought within are unserved today (no school with beds reachable).",
        "新进入走读时限的1-3年级学生中现在寄宿的人数：他们到所有开办的1-3年级学校都超出走读时限，"
        "住在最近的有寄宿床位的学校，每周回家一次。恢复本教学点后可每天走读。其余新进入时限的"
        "学生现在未覆盖（到不了有床位的学校）。",
    ),
    "nearest_open_school": (
        "The open school teaching grades 1-3 nearest to most of the pupils who would go to this "
        "site (those within the day limit of it and nearer to it than to every open school). "
        "Blank when no pupil would go to it.",
        "会改到本教学点的学生（到本教学点在走读时限内、且比到所有开办学校都近）中多数人最近的"
        "开办1-3年级学校。若无学生会改到本教学点则为空。",
    ),
    "journey_today_min": (
        "Today's one-way journey, in minutes, of the grades 1-3 pupils who would go to this site, "
        "from their village to the open school teaching grades 1-3 nearest to it, by the grades "
        "1-3 travel mode (walking at 3 km/h unless the scenario sets another mode; with ways:, "
        "the quickest day way); mean weighted by pupils, day pupils and boarders alike. Day "
        "pupils make it every school day. For pupils who board it is beyond the day limit (30 "
        "minutes one way unless the scenario sets another): the daily journey they would face, "
        "which is why they board; they make the weekly trip instead (next column). Pupils who "
        "can reach no open school are left out; blank when none is left.",
        "会改到本教学点的1-3年级学生现在从本村到离本村最近的开办1-3年级学校的单程时间（分钟），"
        "按1-3年级出行方式（默认步行3公里/小时，情景可另设；设ways:时为最快的走读方式），"
        "走读生和寄宿生一起按学生人数加权平均。走读生每个上学日走这段路；寄宿生的这段路超出"
        "走读时限（单程，默认30分钟，情景可另设），是他们若每天走读要走的路，也是他们寄宿的原因，"
        "他们实际每周回家一次（见下一列）。到不了任何开办学校的学生不计；都不计时为空。",
    ),
    "weekly_trip_today_min": (
        "Today's weekly trip home, one way, in minutes, of the pupils who could stop boarding: "
        "between their village and the school they board at (the nearest open school teaching "
        "grades 1-3 with boarding beds), by the boarders' trip mode (travel.boarders_trip_mode, "
        "the school bus unless the scenario sets another); mean weighted by pupils. Blank when "
        "none of them boards today or the trip mode reaches none of their schools.",
        "可不再寄宿的学生现在每周回家的单程时间（分钟）：本村与寄宿学校（最近的有寄宿床位的开办"
        "1-3年级学校）之间，按寄宿生回家方式（travel.boarders_trip_mode，默认校车，情景可另设），"
        "按学生人数加权平均。若其中无人现在寄宿，或回家方式到不了他们的学校，则为空。",
    ),
    "site_journey_min": (
        "One-way journey, in minutes, of the grades 1-3 pupils who would go to this site, from "
        "their village to the site, by the grades 1-3 travel mode; mean weighted by pupils. It "
        "is within the day limit: the daily journey they would make once it is restored. Blank "
        "when no pupil would go to it.",
        "会改到本教学点的1-3年级学生从本村到本教学点的单程时间（分钟），按1-3年级出行方式，"
        "按学生人数加权平均。在走读时限内：恢复后他们每天要走的路。若无学生会改到本教学点则为空。",
    ),
    "pupil_minutes_saved_per_day": (
        "Journey minutes saved each school day by the grades 1-3 day pupils who would go to "
        "this site instead of a farther school: minutes saved one way x 2 (to school and back) "
        "x pupils, added up (6 pupils each 5 minutes nearer: 60). A day pupil is one whose "
        "nearest open school is within the day limit today (30 minutes one way unless the "
        "scenario sets another). A boarder makes no daily journey, so saves nothing here: 0 "
        "when all the site's pupils board or are unserved today; the pupils it brings within "
        "the limit and their weekly trips are counted in their own columns.",
        "1-3年级走读生改到本教学点（比现在的学校近）后每个上学日少用的路程分钟之和："
        "单程节省分钟×2（往返）×学生人数（6名学生各近5分钟：60）。走读生指现在最近的开办学校"
        "在走读时限（单程，默认30分钟，情景可另设）内的学生；寄宿生不每天往返，此处不计："
        "本教学点的学生现在都寄宿或未覆盖时为0；新进入时限的学生及其每周回家路程另列。",
    ),
    "weekly_trip_minutes_saved_per_week": (
        "Weekly-trip minutes the pupils who could stop boarding would no longer travel each "
        "week: their weekly trip one way x 2 (home and back) x pupils, added up (10 pupils each "
        "90 minutes from school: 1,800). They would make the daily journey to the site instead "
        "(its own column). Pupils whose trip is unknown count nothing; blank when no trip is "
        "known (no boarder among them, or no trip mode given).",
        "可不再寄宿的学生每周不再需要的回家路程分钟之和：每周回家单程×2（回家和返校）×学生人数"
        "（10名学生各离学校90分钟：1,800）。他们改为每天走读到本教学点（另列）。回家时间不明的"
        "学生不计；都不明（其中无寄宿生，或未给回家方式）时为空。",
    ),
    "enrolment": (
        "Grades 1-3 pupils who would go to this site in the first plan year if it alone were "
        "restored: those within the day limit of it and nearer to it than to every open school "
        "(pupils brought within the limit, and day pupils for whom it is nearer).",
        "若只恢复本教学点，首个规划年度会到本教学点上学的1-3年级学生：到本教学点在走读时限内、"
        "且比到所有开办学校都近的学生（新进入时限的学生，以及离本教学点更近的走读生）。",
    ),
    "enrolment_last_year": (
        "The same, in the last year of the pupil projection.",
        "同上，学生预测的最后一年。",
    ),
    "classes_needed": (
        "Multi-grade classes the first-year enrolment needs: enrolment / the teaching-point "
        "class size (30 unless the scenario sets another), rounded up.",
        "首年在校生所需的复式班数：在校生÷教学点班额（默认30，情景可另设），向上取整。",
    ),
    "fits_max_classes": (
        "Whether those classes are at most the site's max_classes (sites layer; 4 when not given).",
        "所需班数是否不超过本教学点的max_classes（sites图层；未填为4）。",
    ),
    "reaches_min_pupils": (
        "Whether the first-year enrolment reaches the site's min_pupils (sites layer; 10 when "
        "not given). A site below it ranks after those that reach it and is restored only if "
        "its decision is 'must' or its phase is fixed.",
        "首年在校生是否达到本教学点的min_pupils（sites图层；未填为10）。未达到的排在达到的之后，"
        "只有决定为must或固定了期次时才恢复。",
    ),
    "teachers_needed": (
        "Teachers the first-year enrolment needs: one per class, and at least one per 15 "
        "pupils (unless the scenario sets another ratio).",
        "首年在校生所需教师：每班至少一名，且每15名学生至少一名（情景可另设）。",
    ),
    "restore_cost_yuan": (
        "Cost of restoring the site, once (sites layer restore_cost_yuan), yuan.",
        "恢复本教学点的一次性费用（sites图层restore_cost_yuan），元。",
    ),
    "annual_cost_yuan": (
        "Yearly running cost once restored (sites layer annual_cost_yuan; 0 when not given), yuan.",
        "恢复后每年的运行费用（sites图层annual_cost_yuan；未填为0），元。",
    ),
    "cost_per_pupil_served_yuan": (
        "Restoration cost / grades 1-3 pupils brought within the day limit, yuan. Blank when "
        "the site brings no pupil within.",
        "恢复费用÷新进入走读时限的1-3年级学生数，元。若无学生新进入时限则为空。",
    ),
    "decision": (
        "The site's decision in the sites layer: free (the plan chooses), must (restored), "
        "never (not restored).",
        "sites图层中本教学点的决定：free（由规划选择）、must（必须恢复）、never（不恢复）。",
    ),
}
"""Meaning (English, Chinese) of every scorecard column, for the workbook's ``columns`` sheet."""


def score_sites(
    young: pd.DataFrame | pd.Series,
    minutes: pd.DataFrame,
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    trip_minutes: pd.DataFrame | None = None,
    rules: PlanningRules | None = None,
) -> pd.DataFrame:
    """One row per candidate site, each restored on its own against today's open schools.

    Today's grades 1-3 pupils go as :func:`geoplan.plan.evaluate.assign_pupils` sends them: to
    the nearest open school teaching grades 1-3 when it is within the day limit (day pupils),
    else to the nearest such school with boarding beds (boarders), else nowhere (unserved).

    Parameters
    ----------
    young
        Grades 1-3 pupils per village: a Series (today) or villages × years (first column is the
        first plan year, used for every count except ``enrolment_last_year``).
    minutes
        One-way grades 1-3 minutes by their travel mode, villages × (schools and sites).
    schools
        The ``schools`` layer (``kind``, ``status``, ``boarding_beds``).
    sites
        The ``sites`` layer (``restore_cost_yuan``, ``min_pupils``, ``max_classes``,
        ``annual_cost_yuan``, ``decision``).
    trip_minutes
        One-way minutes by the boarders' trip mode, villages × schools: today's boarders' weekly
        trips. ``None``: the two weekly-trip columns are blank.
    rules
        Planning rules; defaults to :class:`PlanningRules`.

    Returns
    -------
    pandas.DataFrame
        Indexed by site id, columns :data:`SCORECARD_HEADERS` (meanings in
        :data:`SCORECARD_NOTES`). Journeys are pupil-weighted means over the pupils who would go
        to the site; pupil-minutes count both journeys of a day (day pupils only: a boarder
        makes no daily journey) or of a week (boarders' trips home and back); ``rank`` 1 is best
        (most pupils brought within the limit among sites reaching their minimum, then most
        daily minutes saved, then cheapest); ``never`` sites rank last.
    """
    rules = rules or PlanningRules()
    cov = _prepare(young, minutes, schools, sites, rules)
    p0 = cov.pupils[:, 0]
    enrol = _enrolment(cov)
    limit_min = rules.day_limit_min[YOUNG]
    boards, trip = _boarders_today(cov, trip_minutes, limit_min)
    out = pd.DataFrame(index=sites.index.copy())
    out["name"] = sites["name"] if "name" in sites.columns else sites.index.astype(str)
    out["township"] = sites["township"] if "township" in sites.columns else ""
    out["young_brought_within"] = cov.cover.T.astype("float64") @ p0
    stop = cov.cover & boards[:, None]  # boarders today the site brings within the limit
    out["could_stop_boarding"] = stop.T.astype("float64") @ p0
    out["nearest_open_school"] = pd.Series(_nearest_school(cov, p0), index=out.index, dtype=object)
    reach_today = cov.switch & np.isfinite(cov.base_min)[:, None]
    out["journey_today_min"] = _mean(cov.base_min[:, None], reach_today, p0)
    known_trip = stop & np.isfinite(trip)[:, None]
    out["weekly_trip_today_min"] = _mean(trip[:, None], known_trip, p0)
    out["site_journey_min"] = _mean(cov.site_min, cov.switch, p0)
    # Only day pupils save daily minutes: a pupil beyond the limit today boards (or is unserved)
    # and makes no daily journey; restoring brings them within (``young_brought_within``).
    day_today = np.isfinite(cov.base_min) & (cov.base_min <= limit_min)
    saved = np.where(
        cov.switch & day_today[:, None],
        np.where(np.isfinite(cov.base_min), cov.base_min, 0.0)[:, None]
        - np.where(np.isfinite(cov.site_min), cov.site_min, 0.0),
        0.0,
    )
    out["pupil_minutes_saved_per_day"] = 2.0 * (saved.T @ p0)
    weekly = 2.0 * (known_trip.T.astype("float64") @ (np.where(np.isfinite(trip), trip, 0.0) * p0))
    out["weekly_trip_minutes_saved_per_week"] = np.where(known_trip.any(axis=0), weekly, np.nan)
    out["enrolment"] = enrol[:, 0]
    out["enrolment_last_year"] = enrol[:, -1]
    limit = rules.teaching_point_class_size_limit
    classes = np.ceil(np.round(enrol[:, 0], 6) / limit).astype("int64")
    max_classes = rules.site_max_classes(sites).to_numpy()
    out["classes_needed"] = classes
    out["fits_max_classes"] = classes <= max_classes
    out["reaches_min_pupils"] = enrol[:, 0] >= cov.min_pupils
    out["teachers_needed"] = rules.teachers_needed(enrol[:, 0], classes)
    out["restore_cost_yuan"] = sites["restore_cost_yuan"].astype("float64")
    out["annual_cost_yuan"] = (
        sites["annual_cost_yuan"].fillna(0.0).astype("float64")
        if "annual_cost_yuan" in sites.columns
        else 0.0
    )
    within = out["young_brought_within"].to_numpy()
    out["cost_per_pupil_served_yuan"] = np.where(
        within > 0, out["restore_cost_yuan"].to_numpy() / np.where(within > 0, within, 1), np.inf
    )
    out["decision"] = sites["decision"] if "decision" in sites.columns else "free"
    order = out.assign(
        _never=(out["decision"] == "never"),
        _ok=~out["reaches_min_pupils"],
        _cost=out["restore_cost_yuan"],
    ).sort_values(
        ["_never", "_ok", "young_brought_within", "pupil_minutes_saved_per_day", "_cost"],
        ascending=[True, True, False, False, True],
        kind="stable",
    )
    out.loc[order.index, "rank"] = np.arange(1, len(out) + 1)
    out["rank"] = out["rank"].astype("int64")
    out.index.name = ID_INDEX
    return out[list(SCORECARD_HEADERS)]


def _boarders_today(
    cov: _Cover, trip_minutes: pd.DataFrame | None, limit_min: float
) -> tuple[np.ndarray, np.ndarray]:
    """Which villages' grades 1-3 pupils board today, and their weekly trip (``nan``: none).

    The rule of :func:`geoplan.plan.evaluate.assign_pupils`: beyond the day limit of every open
    school, a pupil boards at the nearest one with beds.
    """
    n = len(cov.village_ids)
    if not cov.open_ids:
        return np.zeros(n, dtype=bool), np.full(n, np.nan)
    pick, journey = _choose_schools(cov.open_min, cov.open_beds > 0, limit_min)
    boards = np.isfinite(journey) & (journey > limit_min) & (cov.open_beds[pick] > 0)
    school = np.asarray(
        np.where(boards, np.asarray(cov.open_ids, dtype=object)[pick], None), dtype=object
    )
    trips = _trips(trip_minutes, pd.Index(cov.village_ids), school)
    return boards, np.where(boards, trips, np.nan)


def _mean(values: np.ndarray, mask: np.ndarray, pupils: np.ndarray) -> np.ndarray:
    """Per site (column of ``mask``), the pupil-weighted mean of ``values`` over its villages.

    ``values`` is villages × sites or villages × 1; ``nan`` for a site with no village in
    ``mask``. A village of no pupils counts as a trace, so that a site of such villages only
    still has its journey.
    """
    weights = np.where(mask, pupils[:, None] + 1e-9, 0.0)
    total = weights.sum(axis=0)
    filled = np.where(mask, np.broadcast_to(values, mask.shape), 0.0)
    sums = (weights * filled).sum(axis=0)
    return np.where(total > 0, sums / np.where(total > 0, total, 1.0), np.nan)


def _nearest_school(cov: _Cover, p0: np.ndarray) -> list[object]:
    """Per site, the nearest open grades 1-3 school of most of the pupils who would go to it."""
    names: list[object] = []
    for j in range(len(cov.site_ids)):
        mask = cov.switch[:, j] & (cov.base_school != None)  # noqa: E711 (object array)
        if not mask.any():
            names.append(None)
            continue
        weights = pd.Series(p0[mask] + 1e-9, index=cov.base_school[mask])
        names.append(str(weights.groupby(level=0).sum().idxmax()))
    return names


def write_scorecard(
    scorecard: pd.DataFrame,
    path: str | Path,
    *,
    lang: str = "en",
    headers: Mapping[str, str] | None = None,
    shown: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> list[Path]:
    """Write a scorecard as CSV and XLSX with readable headers, the XLSX with its column notes.

    The CSV is written by :func:`geoplan.csv_tables.write_csv`: counts as whole numbers, other
    numbers rounded by the unit of their column (:func:`geoplan.csv_tables.unit_precision` of
    the column's name before it is given its header: yuan whole, minutes to 2 places), no
    journey (an infinite minute) as an empty cell.

    The XLSX holds two sheets: ``scorecard`` (the table) and ``columns``, one row per column of
    :data:`SCORECARD_NOTES` in the table: its header and what it means, in ``lang``.

    Parameters
    ----------
    scorecard
        Result of :func:`score_sites`.
    path
        Output path without or with a suffix; ``<stem>.csv`` and ``<stem>.xlsx`` are written.
    lang
        ``"en"`` or ``"zh"`` headers.
    headers
        With ``lang="zh"``: headers of the columns :data:`SCORECARD_HEADERS` does not name (e.g. a
        season's, ``winter_young_brought_within``); a column named in neither keeps its name.
    shown
        The table as the workbook shows it, from the scorecard (names in ``lang``, codes in
        words: :mod:`geoplan.outputs.planner_tables`); ``None``: as it is.

    Returns
    -------
    list of Path
        The CSV and XLSX files written.
    """
    if lang not in ("en", "zh"):
        msg = f"`lang` must be 'en' or 'zh', got {lang!r}"
        raise ArgumentError(msg)
    stem = Path(path).with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    which = 0 if lang == "en" else 1
    named = {k: v[which] for k, v in SCORECARD_HEADERS.items()}
    if lang != "en":
        named = {**{k: v for k, v in (headers or {}).items() if k not in named}, **named}
    table = plain_numbers(scorecard.replace([np.inf, -np.inf], np.nan))  # units from the names
    table.index = table.index.astype(str)
    table.index.name = "Id" if lang == "en" else "编号"
    beside = {k: v[which] for k, v in _NAME_HEADERS.items() if k not in named}
    table = table.rename(columns={**beside, **named})
    csv_path = stem.with_suffix(".csv")
    xlsx_path = stem.with_suffix(".xlsx")
    write_csv(table, csv_path)  # its numbers are already text or Int64: none rounded again
    readable = scorecard.copy() if shown is None else shown(scorecard)
    readable.index = pd.Index(readable.index.astype(str), name="id")
    sheet = Sheet(readable, headers={"id": str(table.index.name), **beside, **named})
    notes = pd.DataFrame(
        [(named[c], SCORECARD_NOTES[c][which]) for c in SCORECARD_NOTES if c in scorecard],
        columns=["Column", "Meaning"] if lang == "en" else ["列", "含义"],
    )
    write_workbook(xlsx_path, {"scorecard": sheet, "columns": Sheet(notes, index=False)})
    return [csv_path, xlsx_path]


# --------------------------------------------------------------------------------------------
# whole plan


@dataclass(frozen=True)
class RestorationPlan:
    """A restoration plan and its effects, as data.

    Parameters
    ----------
    scorecard
        One row per candidate site (:func:`score_sites`).
    phasing
        The phase of every site, pupil-years, bound and gap (:func:`phase_sites`).
    phases
        Indexed by phase (1 = first): ``site_ids`` and ``closures`` (comma-separated ids),
        ``n_sites``, ``restore_cost_yuan``, ``young_brought_within`` (today's pupils newly within
        the limit in that phase).
    restored
        Indexed by restored site id: ``phase``, ``name``, ``township``, ``restore_cost_yuan``,
        ``enrolment`` (pupils assigned to it after the plan), ``classes_needed`` (multi-grade
        classes of at most the teaching-point class size) and ``max_classes`` (of the site, else
        the rule's; :func:`over_class_problems` warns of sites needing more).
    closures
        Schools closed or merged, or ``None`` when closures were not asked for.
    before, after
        Per village and band the assigned school, journey and status, today and after the plan
        (:func:`geoplan.evaluate.assign_pupils`; today's pupils both times).
    townships_before, townships
        Indicators per township today and after the plan (cost: restoration cost of the plan).
    unserved
        Villages and bands beyond the day limit after the plan that no accepted arrangement
        serves: grades 1-3 beyond the limit (boarding or unserved) and unserved pupils of any
        band, with pupils, status, journey and school (:func:`geoplan.plan.evaluate.
        unserved_villages`; written as ``villages_beyond_day_limit_after_plan``).
    siting
        When the sites were chosen by a location model in one phase (a scenario's ``siting:``,
        :func:`geoplan.plan.siting_plan.plan_siting`): its result; ``None`` for a phased plan.
    """

    scorecard: pd.DataFrame
    phasing: Phasing
    phases: pd.DataFrame
    restored: pd.DataFrame
    closures: Closures | None
    before: pd.DataFrame
    after: pd.DataFrame
    townships_before: pd.DataFrame
    townships: pd.DataFrame
    unserved: pd.DataFrame
    siting: SitingResult | None = None


def destinations(schools: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Schools and candidate sites in one table (sites as closed teaching points).

    Parameters
    ----------
    schools, sites
        The layers.

    Returns
    -------
    pandas.DataFrame
        Indexed by id: ``kind``, ``township``, ``status``, ``boarding_beds``, ``annual_cost_yuan``.
    """
    cols = ["kind", "township", "status", "boarding_beds", "annual_cost_yuan"]
    left = pd.DataFrame(index=schools.index.astype(str))
    for col, default in zip(cols, (None, None, "open", 0, np.nan), strict=True):
        left[col] = schools[col].to_numpy() if col in schools.columns else default
    right = pd.DataFrame(index=sites.index.astype(str))
    right["kind"] = "teaching_point"
    right["township"] = sites["township"].to_numpy() if "township" in sites.columns else None
    right["status"] = "closed"
    right["boarding_beds"] = 0
    right["annual_cost_yuan"] = (
        sites["annual_cost_yuan"].to_numpy() if "annual_cost_yuan" in sites.columns else np.nan
    )
    clash = left.index.intersection(right.index)
    if len(clash):
        raise ValidationError(
            [coded_problem("site_id_of_a_school", "", "sites", str(clash[0]), "id", clash[0])]
        )
    out = pd.concat([left, right])
    out.index.name = ID_INDEX
    return out


def over_class_problems(restored: pd.DataFrame, limit: int, *, file: str = "") -> list[Problem]:
    """One warning per restored site whose pupils need more classes than it can run.

    Parameters
    ----------
    restored
        :attr:`RestorationPlan.restored` (``classes_needed``, ``max_classes``).
    limit
        Pupils per teaching-point class.
    file
        The sites layer's file, named in the warnings.
    """
    over = restored[restored["classes_needed"] > restored["max_classes"]]
    return [
        coded_problem(
            "restored_over_classes",
            file,
            "sites",
            str(sid),
            "max_classes",
            int(row["max_classes"]),
            severity="warning",
            site=sid,
            name=row["name"],
            phase=int(row["phase"]),
            pupils=f"{row['enrolment']:g}",
            classes=int(row["classes_needed"]),
            limit=limit,
            most=int(row["max_classes"]),
            seats=int(row["max_classes"]) * limit,
        )
        for sid, row in over.iterrows()
    ]


def plan_restoration(
    villages: pd.DataFrame,
    minutes: Mapping[str, pd.DataFrame],
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    projection: pd.DataFrame | None = None,
    sites_per_phase: Sequence[int] | None = None,
    budget_per_phase: Sequence[float] | None = None,
    closures: bool = False,
    method: str = "auto",
    time_limit_s: float = 30.0,
    rules: PlanningRules | None = None,
    season_minutes: Mapping[str, Mapping[str, pd.DataFrame]] | None = None,
    robust: str | None = None,
    months: Mapping[str, float] | None = None,
    modes: Mapping[str, str] | None = None,
    trip_minutes: pd.DataFrame | None = None,
    trip_mode: str | None = None,
) -> RestorationPlan:
    """The whole restoration analysis: scorecard, phasing, closures, indicators, unserved list.

    Parameters
    ----------
    villages
        The ``villages`` layer (``township`` and pupils per band today).
    minutes
        Per band one-way minutes, villages × destinations; grades 1-3 must include the sites.
    schools, sites
        The layers.
    projection
        Result of :func:`geoplan.demand.project_pupils`, whose years after the first are the plan
        years (phase ``t`` in year ``t``); default: today's pupils held steady.
    sites_per_phase, budget_per_phase
        Limits per phase (see :func:`phase_sites`).
    closures
        Also choose schools to close or merge (:func:`plan_closures`, defaults), done in phase 1.
    method, time_limit_s
        Phasing method and time limit.
    rules
        Planning rules; defaults to :class:`PlanningRules`.
    season_minutes, robust, months
        With ``robust`` (``"worst"``, ``"regret"``, ``"expected"``): the phasing holds over the
        seasons' minutes per band (see :func:`phase_sites`); its ``season_pupil_years`` give each
        season's value.
    modes, trip_minutes, trip_mode
        Band modes and the boarders' weekly trips, as for
        :func:`geoplan.plan.evaluate.assign_pupils`.

    Returns
    -------
    RestorationPlan
        Everything a planner reads, as data.
    """
    rules = rules or PlanningRules()
    limits = sites_per_phase if sites_per_phase is not None else budget_per_phase
    n_phases = len(limits) if limits is not None else 0
    if projection is not None:
        from geoplan.plan.demand import pupils_by_year

        wide = pupils_by_year(projection, YOUNG)
        young = wide.iloc[:, 1:] if wide.shape[1] > n_phases else wide
    else:
        today = villages["pupils_g1_3"].astype("float64")
        young = pd.DataFrame({t: today for t in range(1, max(n_phases, 1) + 1)})
    young = young.reindex(villages.index).fillna(0.0)
    scorecard = score_sites(
        young, minutes[YOUNG], schools, sites, trip_minutes=trip_minutes, rules=rules
    )
    phasing = phase_sites(
        young,
        minutes[YOUNG],
        schools,
        sites,
        sites_per_phase=sites_per_phase,
        budget_per_phase=budget_per_phase,
        method=method,
        time_limit_s=time_limit_s,
        rules=rules,
        season_minutes=(
            {s: m[YOUNG] for s, m in season_minutes.items()}
            if robust is not None and season_minutes
            else None
        ),
        robust=robust,
        months=months,
    )
    closed: Closures | None = None
    if closures:
        closed = plan_closures(villages, minutes, schools, time_limit_s=time_limit_s, rules=rules)
    return _plan_effects(
        villages,
        minutes,
        schools,
        sites,
        scorecard,
        phasing,
        closed,
        n_phases,
        rules=rules,
        modes=modes,
        trip_minutes=trip_minutes,
        trip_mode=trip_mode,
    )


def _plan_effects(
    villages: pd.DataFrame,
    minutes: Mapping[str, pd.DataFrame],
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    scorecard: pd.DataFrame,
    phasing: Phasing,
    closed: Closures | None,
    n_phases: int,
    *,
    rules: PlanningRules,
    siting: SitingResult | None = None,
    modes: Mapping[str, str] | None = None,
    trip_minutes: pd.DataFrame | None = None,
    trip_mode: str | None = None,
) -> RestorationPlan:
    """Everything a plan changes once its sites (and closures) are chosen, as a plan."""
    closed_ids = [] if closed is None else [str(s) for s in closed.closed.index]
    dest = destinations(schools, sites)
    before = assign_pupils(
        villages,
        minutes,
        dest,
        rules=rules,
        modes=modes,
        trip_minutes=trip_minutes,
        trip_mode=trip_mode,
    )
    restored_ids = [str(s) for s in phasing.phase.index[phasing.phase > 0]]
    open_now = [str(s) for s in dest.index[dest["status"] == "open"] if s not in closed_ids]
    after = assign_pupils(
        villages,
        minutes,
        dest,
        open_ids=open_now + restored_ids,
        rules=rules,
        modes=modes,
        trip_minutes=trip_minutes,
        trip_mode=trip_mode,
    )
    cost_site = sites["restore_cost_yuan"].astype("float64")
    cost_site.index = cost_site.index.astype(str)
    town_site = (
        sites["township"].astype(str)
        if "township" in sites.columns
        else pd.Series("", index=sites.index)
    )
    town_site.index = town_site.index.astype(str)
    cost_by_town = cost_site[restored_ids].groupby(town_site[restored_ids]).sum()
    townships_before = township_indicators(before, dest, rules=rules)
    townships = township_indicators(after, dest, cost_by_township=cost_by_town, rules=rules)
    # per phase: today's pupils newly within the limit
    cov = _prepare(villages["pupils_g1_3"].astype("float64"), minutes[YOUNG], schools, sites, rules)
    ph = phasing.phase.reindex(cov.site_ids).to_numpy()
    rows = []
    served = np.zeros(len(cov.village_ids), dtype=bool)
    for t in range(1, n_phases + 1):
        now = cov.cover[:, (ph >= 1) & (ph <= t)].any(axis=1)
        ids_t = phasing.sites_in(t)
        rows.append(
            {
                "phase": t,
                "site_ids": ", ".join(ids_t),
                "closures": ", ".join(closed_ids) if t == 1 else "",
                "n_sites": len(ids_t),
                "restore_cost_yuan": float(cost_site[ids_t].sum()),
                "young_brought_within": float(cov.pupils[now & ~served, 0].sum()),
            }
        )
        served = np.asarray(now, dtype=bool)
    phases = pd.DataFrame(rows).set_index("phase")
    enrol = after[after["status"] != "unserved"].groupby("school")["pupils"].sum()
    restored = pd.DataFrame(index=pd.Index(restored_ids, name=ID_INDEX))
    restored["phase"] = phasing.phase[restored_ids].to_numpy()
    restored["name"] = (
        sites["name"].set_axis(sites.index.astype(str))[restored_ids].to_numpy()
        if "name" in sites.columns
        else restored_ids
    )
    restored["township"] = town_site[restored_ids].to_numpy()
    restored["restore_cost_yuan"] = cost_site[restored_ids].to_numpy()
    restored["enrolment"] = enrol.reindex(restored_ids, fill_value=0.0).to_numpy()
    limit = rules.teaching_point_class_size_limit
    restored["classes_needed"] = np.ceil(np.round(restored["enrolment"], 6) / limit).astype("int64")
    most = rules.site_max_classes(sites)
    restored["max_classes"] = most.set_axis(most.index.astype(str))[restored_ids].to_numpy()
    restored = restored.sort_values(["phase", ID_INDEX])
    return RestorationPlan(
        scorecard=scorecard,
        phasing=phasing,
        phases=phases,
        restored=restored,
        closures=closed,
        before=before,
        after=after,
        townships_before=townships_before,
        townships=townships,
        unserved=unserved_villages(after, rules=rules),
        siting=siting,
    )
