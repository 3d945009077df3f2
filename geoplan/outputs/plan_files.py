"""The maps, pages and tables of one plan, written into a folder.

Shared by ``geoplan demo`` and scenario runs (:mod:`geoplan.runner`). Callers write into the
temporary folder of :func:`geoplan.atomic.atomic_output_dir`, so nothing half-written replaces an
earlier result.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import folium
import networkx as nx
import osmnx as ox
import pandas as pd
from folium import plugins
from tqdm.auto import tqdm

from geoplan.csv_tables import write_csv
from geoplan.data.area import localised_names
from geoplan.errors import ArgumentError
from geoplan.models.districts import DistrictPlan
from geoplan.outputs import maps, plan_maps, printing, profiles
from geoplan.outputs.labels import column_label
from geoplan.outputs.planner_tables import Names, whole_counts, with_names, worded
from geoplan.outputs.school_plans import (
    write_investment_plan,
    write_needs_workbook,
    write_school_plans,
)
from geoplan.plan.investments import plan_investments, read_done
from geoplan.plan.needs import school_needs, teacher_travel_minutes
from geoplan.plan.pipeline import PlanResult
from geoplan.plan.restoration import write_scorecard
from geoplan.plan.school_journeys import busiest_school, school_journey_lines
from geoplan.plan.siting_plan import siting_table
from geoplan.plan.summary import county_summary
from geoplan.workbooks import Sheet, write_workbook

__all__ = [
    "MapLike",
    "OutputOptions",
    "write_plan_files",
    "write_table",
]

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutputOptions:
    """Which outputs a run writes besides its tables.

    Parameters
    ----------
    maps
        Interactive HTML maps (overview, journeys, before/after, restoration, districts).
    profiles
        One school, one map, one book: a page per school and an index, and one plan page per
        school (一校一案).
    profile_pdfs
        A printable PDF per school profile (about 2 s each).
    print_maps
        Printable A4 maps (PDF and PNG).
    lang
        ``"en"`` or ``"zh"`` labels, legends and headers.
    """

    maps: bool = True
    profiles: bool = True
    profile_pdfs: bool = True
    print_maps: bool = True
    lang: str = "en"


def write_table(
    table: pd.DataFrame,
    path: Path,
    *,
    lang: str = "en",
    row_formats: bool = False,
    seasons: Collection[str] = (),
    names: Names | None = None,
    rows: str | None = None,
) -> list[Path]:
    """Write ``table`` as ``<path>.csv`` (for programs) and ``<path>.xlsx`` (for reading).

    Both show counts of pupils (and other counts) whole, rounded half up
    (:func:`~geoplan.outputs.planner_tables.whole_counts`), and with ``names`` the names beside
    the ids (:func:`~geoplan.outputs.planner_tables.with_names`; ``rows``: the layer the index
    holds ids of). The CSV keeps the column names and the codes (for programs) and every name
    (``name`` and ``name_zh``); it is written by :func:`geoplan.csv_tables.write_csv` (UTF-8
    with BOM, whole numbers as integers, other numbers rounded by their column's unit). The
    workbook keeps every digit of the other numbers and is formatted by
    :func:`geoplan.workbooks.write_workbook`, its headers in ``lang`` (:func:`column_label`,
    with the scenario's ``seasons`` for the columns they prefix), its coded values in words
    (:func:`~geoplan.outputs.planner_tables.worded`) and its names in ``lang``;
    ``row_formats``: a table of indicators, numbers formatted and rounded by their row's label.
    """
    csv, xlsx = path.with_suffix(".csv"), path.with_suffix(".xlsx")
    counts = whole_counts(table, row_formats=row_formats)
    csv_table = counts if names is None else with_names(counts, names, rows=rows)
    write_csv(csv_table, csv, row_units=row_formats)

    def header(name: str) -> str:
        return column_label(name, lang, seasons=seasons)

    if names is not None:
        counts = with_names(counts, names, lang=lang, rows=rows, both=lang != "zh")
    sheet = Sheet(worded(counts, lang), headers=header, row_formats=row_formats)
    write_workbook(xlsx, {path.stem[:31]: sheet})
    return [csv, xlsx]


MapLike = folium.Map | folium.Figure | plugins.DualMap


def _map(build: Callable[[], MapLike], path: Path) -> list[Path]:
    return [maps.save_offline(build(), path)]


def _busiest_school_journeys(
    result: PlanResult, graph: nx.MultiDiGraph, path: Path, *, lang: str
) -> list[Path]:
    """The journeys map of the school with the most grades 1-3 pupils; none when no school has any.

    A county town planned by its blocks alone, or villages all beyond reach, leave no village's
    pupils at a school: the run then writes every other file and logs why this map is missing.
    """
    try:
        school = busiest_school(result)
    except ArgumentError as err:
        _logger.info("school journeys map not written: %s", err)
        return []
    return _map(
        lambda: plan_maps.school_journeys_map(
            result, school_journey_lines(result, graph, school=school)[1], school=school, lang=lang
        ),
        path,
    )


def _district_checks(
    districts: DistrictPlan, folder: Path, *, lang: str, names: Names | None = None
) -> list[Path]:
    """The adjacency used, stability against today, joined islands, and the diagnosis.

    ``names`` (the plan's) gives the schools their Chinese names in a ``zh`` stability table.
    """
    written = []
    if districts.adjacency is not None:
        written += write_table(districts.adjacency, folder / "block_adjacency", lang=lang)
    if districts.stability is not None:
        stability = districts.stability
        if lang == "zh" and names is not None and {"school", "name"} <= set(stability.columns):
            shown = [names.shown("schools", str(s), lang) for s in stability["school"]]
            kept = stability["name"]
            stability = stability.assign(name=[a or b for a, b in zip(shown, kept, strict=True)])
        written += write_table(stability, folder / "district_stability", lang=lang)
    if districts.feeders is not None:
        written += write_table(districts.feeders, folder / "district_feeders", lang=lang)
    if districts.islands is not None and len(districts.islands):
        written += write_table(districts.islands, folder / "district_islands", lang=lang)
    if districts.diagnoses:
        diags = districts.diagnoses
        short = pd.concat([d.shortages for d in diags.values()])
        written += write_table(short, folder / "district_shortages", lang=lang)
        extra = pd.concat(
            [d.extra_classes.assign(level=level) for level, d in diags.items()]
        ).set_index("level", append=True)
        written += write_table(extra, folder / "district_extra_classes", lang=lang)
        text = "\n\n".join(
            f"{level}: {', '.join(d.causes)}\n{d.text(lang)}" for level, d in diags.items()
        )
        path = folder / "district_diagnosis.txt"
        path.write_text(text + "\n", encoding="utf-8")
        written.append(path)
    return written


def _ways_map(result: PlanResult, folder: Path, *, after: bool, lang: str) -> list[Path]:
    label = "after_plan" if after else "today"
    return _map(
        lambda: plan_maps.ways_map(result, after=after, lang=lang),
        folder / f"ways_{label}_map.html",
    )


def _ways_tables(result: PlanResult, folder: Path, *, lang: str) -> list[Path]:
    """How pupils get to school today and after the plan, seats and beds, the diagnosis."""
    assert result.ways_before is not None and result.ways_after is not None
    written: list[Path] = []
    for label, ways in (("today", result.ways_before), ("after_plan", result.ways_after)):
        rows = ways.assignment.drop(columns=["journey_min", "within_limit"])
        written += write_table(rows, folder / f"ways_villages_{label}", lang=lang)
        written += write_table(ways.schools, folder / f"ways_schools_{label}", lang=lang)
        written += write_table(ways.no_way, folder / f"ways_no_way_{label}", lang=lang)
        written += write_table(ways.additions, folder / f"ways_additions_{label}", lang=lang)
    text = "\n\n".join(
        f"{label}:\n" + "\n".join(f"- {line}" for line in ways.summary())
        for label, ways in (("Today", result.ways_before), ("After the plan", result.ways_after))
    )
    path = folder / "ways_diagnosis.txt"
    path.write_text(text + "\n", encoding="utf-8")
    return [*written, path]


def write_plan_files(
    result: PlanResult,
    folder: Path,
    *,
    graph: nx.MultiDiGraph,
    options: OutputOptions | None = None,
) -> list[Path]:
    """Write the maps, pages and tables of ``result`` into ``folder``; returns the files written.

    Parameters
    ----------
    result
        The plan.
    folder
        Where to write.
    graph
        The road graph of the plan (roads on the overview, journey lines along roads).
    options
        What to write; defaults to :class:`OutputOptions`.
    """
    opts = options or OutputOptions()
    lang = opts.lang
    seasons = [s.name for s in result.settings.seasons]
    names = Names.of(result.area)  # before the Chinese names replace the names
    if lang == "zh":  # Chinese names on maps and pages where the layers have them
        result = dataclasses.replace(
            result,
            area=result.area.localised(lang),
            schools=localised_names(result.schools, lang),
        )
    needs = school_needs(result, school_minutes=teacher_travel_minutes(result, graph))
    invest = result.settings.investment
    schedule = (
        plan_investments(
            needs.items,
            invest.budget_by_year_yuan,
            carry_over=invest.carry_over,
            done=read_done(invest.done) if invest.done is not None else None,
            rules=needs.standards.items,
            time_limit_s=invest.time_limit_s,
        )
        if invest is not None
        else None
    )
    years = (
        None if schedule is None else {str(k): float(v) for k, v in schedule.items["year"].items()}
    )
    tables: list[tuple[str, Callable[[], list[Path]]]] = [
        (
            "county summary",
            lambda: write_table(county_summary(result.area), folder / "county_summary", lang=lang),
        ),
        (
            "school needs",
            lambda: write_needs_workbook(needs, folder / "school_needs", lang=lang),
        ),
    ]
    if schedule is not None:
        tables.append(
            (
                "investment plan",
                lambda: write_investment_plan(
                    schedule, folder, lang=lang, synthetic=result.area.synthetic
                ),
            )
        )
    pages: list[tuple[str, Callable[[], list[Path]]]] = [
        (
            "overview map",
            lambda: _map(
                lambda: maps.overview_map(
                    result.area, lang=lang, roads=ox.graph_to_gdfs(graph, nodes=False)
                ),
                folder / "overview_map.html",
            ),
        ),
        (
            "journeys map",
            lambda: _map(
                lambda: plan_maps.journeys_map(result, lang=lang),
                folder / "journeys_today_map.html",
            ),
        ),
        (
            "before/after map",
            lambda: _map(
                lambda: plan_maps.before_after_map(result, lang=lang),
                folder / "before_after_map.html",
            ),
        ),
        (
            "school journeys map",
            lambda: _busiest_school_journeys(
                result, graph, folder / "school_journeys_map.html", lang=lang
            ),
        ),
    ]
    if result.restoration is not None:
        plan = result.restoration
        tables.append(
            (
                "restoration tables",
                lambda: [
                    *write_scorecard(
                        with_names(whole_counts(plan.scorecard), names, rows="sites"),
                        folder / "restoration_scorecard",
                        lang=lang,
                        headers={
                            str(c): column_label(str(c), lang, seasons=seasons)
                            for c in with_names(plan.scorecard, names, rows="sites")
                        },
                        shown=lambda table: worded(
                            with_names(table, names, lang=lang, rows="sites", both=lang != "zh"),
                            lang,
                        ),
                    ),
                    *write_table(
                        plan.phases, folder / "restoration_phases", lang=lang, names=names
                    ),
                    *write_table(
                        plan.unserved,
                        folder / "villages_beyond_day_limit_after_plan",
                        lang=lang,
                        names=names,
                        rows="villages",
                    ),
                    *write_table(
                        plan.townships,
                        folder / "townships_after_plan",
                        lang=lang,
                        names=names,
                        rows="townships",
                    ),
                ],
            )
        )
        if plan.siting is not None and result.settings.siting is not None:
            table = siting_table(plan.siting, result.settings.siting)
            tables.append(
                (
                    "siting result",
                    lambda: write_table(
                        table, folder / "siting_result", lang=lang, seasons=seasons
                    ),
                )
            )
        pages.append(
            (
                "restoration map",
                lambda: _map(
                    lambda: plan_maps.restoration_map(result, lang=lang),
                    folder / "restoration_map.html",
                ),
            )
        )
    if result.ways_after is not None and result.ways_before is not None:
        tables.append(("ways tables", lambda: _ways_tables(result, folder, lang=lang)))
        pages += [
            ("ways map (today)", lambda: _ways_map(result, folder, after=False, lang=lang)),
            ("ways map (after)", lambda: _ways_map(result, folder, after=True, lang=lang)),
        ]
    if result.districts is not None:
        districts = result.districts
        tables.append(
            (
                "district tables",
                lambda: [
                    *write_table(
                        districts.schools,
                        folder / "district_schools",
                        lang=lang,
                        names=names,
                        rows="schools",
                    ),
                    *write_table(districts.indicators, folder / "district_indicators", lang=lang),
                    *_district_checks(districts, folder, lang=lang, names=names),
                ],
            )
        )
        pages.append(
            (
                "districts map",
                lambda: _map(
                    lambda: plan_maps.districts_map(result, lang=lang),
                    folder / "districts_map.html",
                ),
            )
        )
    steps = list(tables)
    if opts.maps:
        steps += pages
    if opts.profiles:
        steps.append(
            (
                "school profiles",
                lambda: profiles.write_profiles(
                    result, folder / "profiles", lang=lang, pdf=opts.profile_pdfs, plan_links=True
                ),
            )
        )
        steps.append(
            (
                "school plans",
                lambda: write_school_plans(
                    result,
                    needs,
                    folder / "profiles",
                    lang=lang,
                    pdf=opts.profile_pdfs,
                    years=years,
                ),
            )
        )
    if opts.print_maps:
        steps.append(
            (
                "printable maps",
                lambda: printing.write_print_maps(result, folder / "print", lang=lang),
            )
        )
    written: list[Path] = []
    for label, step in tqdm(steps, desc="Writing outputs", unit="step", disable=None):
        _logger.debug("writing %s", label)
        written += step()
    return written
