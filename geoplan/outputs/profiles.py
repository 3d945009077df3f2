"""One school, one map, one book (一校一图一本): a profile page and PDF per school.

:func:`school_profiles` computes, per open school of a plan, the numbers a profile shows:
enrolment today and projected per band, classes and capacity, oversized classes, boarders and
beds, teachers needed, journeys of the villages it serves, and what it lacks against the
planning rules (classes, places, beds: "supply what is missing", 缺什么补什么).
:func:`write_profiles` writes an offline HTML page (with a map of the school's catchment villages
or district) and a PDF per school, and an index page linking them all.

Projected enrolment of a band is the plan's final-year enrolment
(:func:`geoplan.plan.needs.final_enrolment`: district pupils plus served villages for district
schools; otherwise today's enrolment times the final-year pupils of the villages it serves after the
plan over today's pupils of the villages it serves today). Each profile links to
the school's plan page (一校一案, :mod:`geoplan.outputs.school_plans`) when those are written.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from geoplan.atomic import write_atomic
from geoplan.errors import ArgumentError
from geoplan.outputs import maps, plan_maps, printing
from geoplan.outputs._templates import render
from geoplan.outputs.label_placement import MarkerLayer, circle_box_px
from geoplan.outputs.labels import BAND_LABELS, MAP_LABELS, PLAN_MAP_TEXT, PROFILE_TEXT, texts
from geoplan.outputs.planner_tables import count_text
from geoplan.plan.evaluate import COUNT_FIGURES, band_figure, journey_figures, school_load
from geoplan.plan.needs import final_enrolment
from geoplan.plan.pipeline import PlanResult
from geoplan.rules import BANDS, bands_taught, classes_needed, oversized_classes

__all__ = [
    "band_table",
    "display_name",
    "file_stem",
    "index_page",
    "profile_map",
    "profile_page",
    "profile_pdf",
    "school_profiles",
    "summary_rows",
    "write_profiles",
]

_logger = logging.getLogger(__name__)


_PRUNED_FOR_PROFILES = frozenset(
    {"awesome_markers", "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css"}
)
_SAFE = re.compile(r"[^A-Za-z0-9_-]")


def display_name(row: pd.Series, lang: str) -> str:
    """The school's name in ``lang``: ``name_zh`` for Chinese when the layer has it."""
    if (
        lang == "zh"
        and "name_zh" in row.index
        and isinstance(row["name_zh"], str)
        and row["name_zh"]
    ):
        return row["name_zh"]
    return str(row["name"])


def file_stem(school_id: str) -> str:
    """A safe file name for a school id (letters, digits, ``-``, ``_``; else a hash suffix)."""
    stem = _SAFE.sub("_", str(school_id))[:40]
    if stem != str(school_id) or not stem:
        stem = f"{stem}_{hashlib.sha1(str(school_id).encode('utf-8')).hexdigest()[:8]}"
    return f"school_{stem}"


def school_profiles(result: PlanResult) -> pd.DataFrame:
    """The numbers of every open school's profile, after the plan.

    Parameters
    ----------
    result
        A plan.

    Returns
    -------
    pandas.DataFrame
        Indexed by school id: ``name``, ``kind``, ``township``; per band it teaches
        ``enrolment_<band>``, ``projected_<band>``, ``classes_<band>``, ``capacity_<band>``,
        ``oversized_<band>``, ``severe_<band>``, ``classes_short_<band>``, ``places_short_<band>``,
        ``villages_<band>``, ``day_pupils_<band>``, ``boarders_<band>``, ``unserved_<band>``
        (pupils whose nearest school it is, beyond the day limit with no bed),
        ``day_mean_journey_<band>_min`` and ``day_longest_journey_<band>_min`` (day pupils' daily
        one-way journeys), ``boarder_mean_weekly_trip_<band>_min`` and
        ``boarder_longest_weekly_trip_<band>_min`` (boarders' weekly one-way trips home) (NaN for
        bands it does not teach); ``boarders``, ``boarding_beds``, ``beds_short``,
        ``teachers_needed``; with ``ways:`` also ``bus_seats``, ``seats_used`` and ``beds_used``
        (:attr:`geoplan.plan.ways.WaysPlan.schools` after the plan).
    """
    rules = result.settings.rules
    schools = result.schools[result.schools["status"] == "open"]
    after = result.after
    load = school_load(after, schools, rules=rules)
    final = final_enrolment(result)
    figures = journey_figures(after, by="school")
    township_names = result.area.townships["name"]
    rows: list[dict[str, Any]] = []
    for sid, school in schools.iterrows():
        kind = str(school["kind"])
        township = school.get("township")
        row: dict[str, Any] = {
            "id": str(sid),
            "name": school["name"],
            "kind": kind,
            "township": township_names.get(township, township),
        }
        total_needed = 0
        projected_total = 0.0
        for band in BANDS:
            served = after.xs(band, level="band")
            served = served[(served["school"] == sid) & (served["status"] != "unserved")]
            taught = band in bands_taught(kind)
            if not taught:
                continue
            enrol = float(school.get(f"enrolment_{band}", 0) or 0)
            projected = float(final.loc[sid, f"pupils_{band}"])
            classes = int(school.get(f"classes_{band}", 0) or 0)
            limit = (
                int(school["class_size_limit"])
                if pd.notna(school.get("class_size_limit", np.nan))
                else rules.limit_for(kind, band)
            )
            over, severe = oversized_classes(round(enrol), classes)
            needed = classes_needed(max(enrol, projected), limit)
            total_needed += needed
            projected_total += projected
            row |= {
                f"enrolment_{band}": enrol,
                f"projected_{band}": round(projected, 1),
                f"classes_{band}": classes,
                f"capacity_{band}": classes * limit,
                f"oversized_{band}": over,
                f"severe_{band}": severe,
                f"classes_short_{band}": max(0, needed - classes),
                f"places_short_{band}": max(
                    0, math.ceil(round(max(enrol, projected), 6)) - classes * limit
                ),
                f"villages_{band}": len(served),
            }
            has = (str(sid), band) in figures.index
            for name in ("day_pupils", "boarders", "unserved", *_SCHOOL_JOURNEYS):
                if has:
                    value = float(figures[name].loc[(str(sid), band)])
                else:
                    value = 0.0 if name in COUNT_FIGURES else math.nan
                row[band_figure(name, band)] = round(value, 1) if name.endswith("_min") else value
        boarders = float(load.loc[sid, "boarders"])
        beds = float(school.get("boarding_beds", 0) or 0)
        row["boarders"] = boarders
        row["boarding_beds"] = beds
        row["beds_short"] = max(0, math.ceil(round(boarders - beds, 6)))
        row["teachers_needed"] = int(rules.teachers_needed(projected_total, total_needed))
        if result.ways_after is not None and str(sid) in result.ways_after.schools.index:
            used = result.ways_after.schools.loc[[str(sid)]]
            for col in ("bus_seats", "seats_used", "beds_used"):
                row[col] = float(used[col].to_numpy(dtype="float64")[0])
        rows.append(row)
    return pd.DataFrame(rows).set_index("id")


def _lacks(row: pd.Series, lang: str) -> list[str]:
    text = texts(PROFILE_TEXT, lang)
    classes = int(
        sum(
            row.get(f"classes_short_{b}", 0) or 0
            for b in BANDS
            if pd.notna(row.get(f"classes_short_{b}", np.nan))
        )
    )
    places = int(
        sum(
            row.get(f"places_short_{b}", 0) or 0
            for b in BANDS
            if pd.notna(row.get(f"places_short_{b}", np.nan))
        )
    )
    out = []
    if classes:
        out.append(text["lacks_classes"].format(n=classes))
    if places:
        out.append(text["lacks_places"].format(n=places))
    if row["beds_short"]:
        out.append(text["lacks_beds"].format(n=int(row["beds_short"])))
    return out or [text["nothing"]]


_SCHOOL_JOURNEYS = (
    "day_mean_journey_min",
    "day_longest_journey_min",
    "boarder_mean_weekly_trip_min",
    "boarder_longest_weekly_trip_min",
)

_BAND_ROWS = (
    ("enrolment", "enrolment_{b}"),
    ("projected", "projected_{b}"),
    ("classes", "classes_{b}"),
    ("capacity", "capacity_{b}"),
    ("oversized", "oversized_{b}"),
    ("severe", "severe_{b}"),
    ("classes_short", "classes_short_{b}"),
    ("places_short", "places_short_{b}"),
    ("villages", "villages_{b}"),
    ("day_pupils", "day_pupils_{b}"),
    ("band_boarders", "boarders_{b}"),
    ("unserved", "unserved_{b}"),
    ("day_mean_journey", "day_mean_journey_{b}_min"),
    ("day_longest_journey", "day_longest_journey_{b}_min"),
    ("boarder_mean_weekly_trip", "boarder_mean_weekly_trip_{b}_min"),
    ("boarder_longest_weekly_trip", "boarder_longest_weekly_trip_{b}_min"),
)


def band_table(row: pd.Series, lang: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows (formatted text, not escaped) of a profile's per-band table."""
    text = texts(PROFILE_TEXT, lang)
    bands = [b for b in BANDS if pd.notna(row.get(f"enrolment_{b}", np.nan))]
    header = [text["band"], *[texts(BAND_LABELS, lang)[b] for b in bands]]
    body = []
    for key, pattern in _BAND_ROWS:
        cells = [text[key]]
        for b in bands:
            value = row.get(pattern.format(b=b), np.nan)
            if pd.isna(value):
                cells.append("")
            elif pattern.endswith("_min"):
                cells.append(f"{float(value):,.1f}".removesuffix(".0"))
            else:  # pupils, classes, places: whole
                cells.append(count_text(float(value)))
        body.append(cells)
    return header, body


def summary_rows(row: pd.Series, lang: str) -> list[tuple[str, str]]:
    """Label/value rows (text, not escaped) of a profile's school-wide numbers."""
    text = texts(PROFILE_TEXT, lang)
    labels = texts(MAP_LABELS, lang)
    return [
        (text["kind"], labels.get(str(row["kind"]), str(row["kind"]))),
        (text["township"], "" if pd.isna(row["township"]) else str(row["township"])),
        (text["boarders"], count_text(row["boarders"])),
        (text["beds"], count_text(row["boarding_beds"])),
        (text["beds_short"], count_text(row["beds_short"])),
        *(
            [
                (
                    text["seats_used"],
                    f"{count_text(row['seats_used'])} ({count_text(row['bus_seats'])})",
                ),
                (
                    text["beds_used"],
                    f"{count_text(row['beds_used'])} ({count_text(row['boarding_beds'])})",
                ),
            ]
            if "seats_used" in row.index and pd.notna(row["seats_used"])
            else []
        ),
        (text["teachers_needed"], count_text(row["teachers_needed"])),
    ]


def _text(value: object) -> str:
    """A value as page text: empty for missing values (the templates escape it)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


_PAGE_CSS = (
    "<style>body{margin:0;font:14px 'Noto Sans CJK SC','Noto Sans',sans-serif;background:#fff}"
    ".geoplan-doc{padding:12px 24px;max-width:1000px}"
    ".geoplan-doc h1{font-size:22px;margin:6px 0}.geoplan-doc h2{font-size:17px;margin:14px 0 6px}"
    ".geoplan-grid{border-collapse:collapse;margin:4px 0}"
    ".geoplan-grid td,.geoplan-grid th{border:1px solid #bbb;padding:3px 8px;text-align:right}"
    ".geoplan-grid td:first-child,.geoplan-grid th:first-child{text-align:left}"
    ".geoplan-mark{color:#b00020}.folium-map{position:relative!important}</style>"
)


def _light_map(m: folium.Map) -> None:
    m.default_js = [i for i in m.default_js if i[0] not in _PRUNED_FOR_PROFILES]
    m.default_css = [i for i in m.default_css if i[0] not in _PRUNED_FOR_PROFILES]


_SCHOOL_RADIUS_PX = 9
_SCHOOL_WEIGHT_PX = 2


def _school_markers(schools: gpd.GeoDataFrame) -> MarkerLayer:
    """The circles :func:`_school_layer` draws, as markers a township label must not cover."""
    return MarkerLayer(schools, circle_box_px(_SCHOOL_RADIUS_PX, _SCHOOL_WEIGHT_PX))


def _school_layer(m: folium.Map, schools: gpd.GeoDataFrame, lang: str, name: str) -> None:
    """Schools as big outlined circles (no icon font: keeps profile pages small)."""
    labels = texts(MAP_LABELS, lang)
    shown = maps.to_display(schools)
    tips = [maps.escape(n) for n in shown["name"]]
    popups = [
        maps.html_table([(labels["kind"], labels.get(str(k), str(k)))], title=n)
        for n, k in zip(shown["name"], shown["kind"], strict=True)
    ]
    styles = [
        {
            "radius": _SCHOOL_RADIUS_PX,
            "color": "#000000",
            "weight": _SCHOOL_WEIGHT_PX,
            "fill": True,
            "fillColor": maps._MARKER_HEX[maps.SCHOOL_STYLE.get(str(k), ("darkred", ""))[0]],
            "fillOpacity": 1.0,
        }
        for k in shown["kind"]
    ]
    maps.feature_layer(
        shown,
        name=name,
        tips=tips,
        popups=popups,
        styles=styles,
        marker=folium.CircleMarker(location=None, radius=_SCHOOL_RADIUS_PX),
    ).add_to(m)


def _catchment(result: PlanResult, sid: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
    after = result.after
    served = after[(after["school"] == sid) & (after["status"] != "unserved")]
    ids = sorted(set(served.index.get_level_values(0)))
    villages = result.area.villages.loc[result.area.villages.index.isin(ids)]
    district = None
    if result.districts is not None:
        d = result.districts.districts
        if (d["school"] == sid).any():
            district = d[d["school"] == sid]
    return villages, district


def profile_map(result: PlanResult, sid: str, *, lang: str = "en") -> folium.Map:
    """A small offline map of one school, its catchment villages (journey colours) or district."""
    text = texts(PROFILE_TEXT, lang)
    school = result.schools.loc[[sid]]
    villages, district = _catchment(result, sid)
    layers = [school, villages] + ([district] if district is not None else [])
    minx, miny, maxx, maxy = maps.bounds_of(*[x for x in layers if len(x)])
    pad = max(maxx - minx, maxy - miny, 0.02) * 0.15
    m = maps.new_map(
        (minx - pad, miny - pad, maxx + pad, maxy + pad), lang=lang, width="100%", height="420px"
    )
    _light_map(m)
    maps.add_townships(m, result.area.townships, lang=lang, avoid=[_school_markers(school)])
    if district is not None:
        shown = maps.to_display(district)
        maps.feature_layer(
            shown,
            name=texts(PLAN_MAP_TEXT, lang)["districts"],
            tips=[maps.escape(count_text(p)) for p in shown["pupils"]],
            popups=[maps.html_table([(text["villages"], "")], title=s) for s in shown["school"]],
            styles=[{"fillColor": "#6baed6", "color": "#08519c", "weight": 2, "fillOpacity": 0.4}]
            * len(shown),
        ).add_to(m)
    if len(villages):
        first_band = bands_taught(str(school["kind"].iloc[0]))[0]
        maps.add_villages(
            m,
            villages,
            color_by=plan_maps.village_colors(result.after, first_band),
            lang=lang,
            extra_rows=plan_maps.village_popup_rows(
                result.after, first_band, result.schools, lang=lang
            ),
        )
    _school_layer(m, school, lang, text["school"])
    maps.add_layer_control(m)
    return m


def profile_page(
    result: PlanResult, sid: str, row: pd.Series, *, lang: str = "en", plan_link: bool = False
) -> str:
    """One school's offline HTML page: title, map, numbers, journeys, what it lacks.

    With ``plan_link`` the page links to the school's plan page (``<stem>_plan.html``).
    """
    text = texts(PROFILE_TEXT, lang)
    name = display_name(result.schools.loc[sid], lang)
    m = profile_map(result, sid, lang=lang)
    root = maps._figure(m)
    root.title = maps.escape(f"{text['profile']}: {name}")
    header, body = band_table(row, lang)
    stem = file_stem(sid)
    synthetic = texts(MAP_LABELS, lang)["synthetic"] if result.area.synthetic else ""
    root.header.add_child(folium.Element(_PAGE_CSS), name="geoplan_profile_css")
    head = render(
        "profile_head.html", text=text, stem=stem, plan_link=plan_link, name=name, mark=synthetic
    )
    root.html.add_child(folium.Element(head), name="geoplan_profile_head", index=0)
    page = render(
        "profile_body.html",
        text=text,
        numbers=summary_rows(row, lang),
        header=header,
        body=body,
        lacks=_lacks(row, lang),
    )
    root.html.add_child(folium.Element(page), name="geoplan_profile_body")
    return maps.render_offline(m)


def index_page(result: PlanResult, table: pd.DataFrame, *, lang: str = "en") -> str:
    """The index page: a map of every profiled school and a table linking each profile."""
    text = texts(PROFILE_TEXT, lang)
    area = result.area
    schools = result.schools.loc[table.index]
    m = maps.new_map(maps.bounds_of(area.townships, schools), lang=lang, height="480px")
    _light_map(m)
    maps.add_townships(m, area.townships, lang=lang, avoid=[_school_markers(schools)])
    _school_layer(m, schools, lang, text["school"])
    maps.add_layer_control(m)
    root = maps._figure(m)
    root.title = maps.escape(f"{area.name}: {text['book']}")
    labels = texts(MAP_LABELS, lang)
    rows = [
        {
            "stem": file_stem(str(sid)),
            "name": display_name(result.schools.loc[sid], lang),
            "kind": _text(labels.get(str(row["kind"]), row["kind"])),
            "township": _text(row["township"]),
            "lacks": "; ".join(_lacks(row, lang)),
        }
        for sid, row in table.iterrows()
    ]
    mark = labels["synthetic"] if area.synthetic else ""
    root.header.add_child(folium.Element(_PAGE_CSS), name="geoplan_profile_css")
    head = render("index_head.html", text=text, county=area.name, mark=mark)
    root.html.add_child(folium.Element(head), name="geoplan_index_head", index=0)
    header = [text[k] for k in ("school", "kind", "township", "lacks", "pdf")]
    page = render("index_body.html", text=text, header=header, rows=rows)
    root.html.add_child(folium.Element(page), name="geoplan_index_body")
    return maps.render_offline(m)


def _map_png(result: PlanResult, sid: str, path: Path, lang: str) -> Path:
    school = result.schools.loc[[sid]]
    villages, district = _catchment(result, sid)
    with printing.font_context(lang):
        fig = Figure(figsize=(6.5, 4.0))
        ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
        printing.draw_layers(
            ax,
            result.area,
            villages=villages,
            schools=school,
            polygons=district,
            lang=lang,
            township_labels=False,
        )
        parts = [x for x in (school, villages, district) if x is not None and len(x)]
        x0, y0, x1, y1 = pd.concat([p.to_crs(result.area.crs).geometry for p in parts]).total_bounds
        pad = max(x1 - x0, y1 - y0, 2000.0) * 0.15
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
        printing.add_scale_bar(ax, lang=lang)
        printing.add_north_arrow(ax, lang=lang)
        fig.savefig(path, dpi=130)
    return path


def profile_pdf(
    result: PlanResult, sid: str, row: pd.Series, path: str | Path, *, lang: str = "en"
) -> Path:
    """One school's printable A4 profile (fpdf2, a system CJK font embedded for Chinese).

    Raises
    ------
    MissingDependencyError
        For Chinese when no CJK font is installed (the message says how to install one).
    """
    from fpdf.fonts import FontFace

    text = texts(PROFILE_TEXT, lang)
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    pdf, family = printing.pdf_document(orientation="portrait", lang=lang, what="PDF profile")
    pdf.add_page()
    synthetic = texts(MAP_LABELS, lang)["synthetic"] if result.area.synthetic else None
    printing.pdf_heading(
        pdf,
        family,
        display_name(result.schools.loc[sid], lang),
        f"{text['profile']} · {result.area.name}",
        title_size=18,
        synthetic=synthetic,
    )
    png = dest.with_suffix(".map.png")
    try:
        _map_png(result, sid, png, lang)
        pdf.image(str(png), w=180)
    finally:
        png.unlink(missing_ok=True)
    heading = FontFace(emphasis=None, fill_color=(230, 230, 230))
    pdf.set_font(family, size=13)
    pdf.cell(0, 9, text["numbers"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=9)
    with pdf.table(col_widths=(60, 40), width=100, align="LEFT", first_row_as_headings=False) as t:
        for label, value in summary_rows(row, lang):
            t.row([label, value])
    pdf.set_font(family, size=13)
    pdf.cell(0, 9, text["journeys"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=9)
    header, body = band_table(row, lang)
    with pdf.table(headings_style=heading, text_align="RIGHT", align="LEFT") as t:
        t.row(header)
        for cells in body:
            t.row(cells)
    pdf.set_font(family, size=13)
    pdf.cell(0, 9, text["lacks"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=10)
    for item in _lacks(row, lang):
        pdf.multi_cell(
            0, 6, f"• {item}" if family == "cjk" else f"- {item}", new_x="LMARGIN", new_y="NEXT"
        )
    pdf.output(str(dest))
    return dest


def write_profiles(
    result: PlanResult,
    folder: str | Path,
    *,
    lang: str = "en",
    pdf: bool = True,
    schools: Sequence[str] | None = None,
    plan_links: bool = False,
) -> list[Path]:
    """Write the profiles of a plan: ``index.html`` and per school ``.html`` (and ``.pdf``).

    Parameters
    ----------
    result
        The plan.
    folder
        Output folder (created if needed), e.g. ``outputs/demo/profiles``.
    lang
        ``"en"`` or ``"zh"``.
    pdf
        Also write a PDF per school (about 2 s each). Chinese PDFs need a CJK font: where none
        is installed they are left out, with one warning saying how to install one.
    schools
        Ids of the schools to profile (default: every open school).
    plan_links
        Link each profile to its school plan page (written by
        :func:`geoplan.outputs.school_plans.write_school_plans`).

    Returns
    -------
    list of Path
        The index page first, then every page and PDF.
    """
    out = Path(folder)
    if pdf and lang == "zh" and printing.find_cjk_font() is None:
        _logger.warning(
            "Chinese PDF profiles left out: no CJK font is installed (the HTML pages are "
            "written). Install one, e.g. 'apt-get install fonts-noto-cjk', and run again."
        )
        pdf = False
    table = school_profiles(result)
    if schools is not None:
        unknown = sorted(set(map(str, schools)) - set(table.index))
        if unknown:
            msg = f"No open school with id(s) {unknown}; use ids of open schools."
            raise ArgumentError(msg)
        table = table.loc[[str(s) for s in schools]]
    written = [write_atomic(out / "index.html", index_page(result, table, lang=lang))]
    for sid, row in tqdm(
        table.iterrows(), total=len(table), desc="School profiles", unit="school", disable=None
    ):
        stem = file_stem(str(sid))
        written.append(
            write_atomic(
                out / f"{stem}.html",
                profile_page(result, str(sid), row, lang=lang, plan_link=plan_links),
            )
        )
        if pdf:
            written.append(profile_pdf(result, str(sid), row, out / f"{stem}.pdf", lang=lang))
    _logger.info("wrote %d profile files to %s", len(written), out)
    return written
