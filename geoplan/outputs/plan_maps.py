"""Maps of plan results: journeys by band, restoration phases, school districts, before/after.

Built on the map core of :mod:`geoplan.maps` (offline, escaped); never solves anything except
the drawn journey lines of one school (:func:`school_journeys_map`). Every map takes
``basemap`` / ``tianditu_key`` for a tiled background on request (default: offline).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.errors import ArgumentError
from geoplan.models.districts import DistrictPlan
from geoplan.outputs import maps
from geoplan.outputs.label_placement import MarkerLayer
from geoplan.outputs.labels import MAP_LABELS, PLAN_MAP_TEXT, texts
from geoplan.outputs.planner_tables import count_text, whole_count
from geoplan.plan.pipeline import PlanResult, destination_points
from geoplan.rules import BANDS

__all__ = [
    "BOARDER_COLOR",
    "JOURNEY_BINS_MIN",
    "JOURNEY_COLORS",
    "NOT_RESTORED_COLOR",
    "PHASE_COLORS",
    "UNREACHABLE_COLOR",
    "UNSERVED_COLOR",
    "WAY_COLORS",
    "before_after_map",
    "district_palette",
    "districts_map",
    "journey_colors",
    "journey_legend",
    "journeys_map",
    "phase_colors",
    "restoration_map",
    "school_journeys_map",
    "village_colors",
    "village_popup_rows",
    "way_colors",
    "ways_map",
]

JOURNEY_BINS_MIN: tuple[float, ...] = (15.0, 30.0, 45.0, 60.0, 120.0)
"""Upper edges (minutes) of the journey colour classes; beyond the last is the worst class."""

JOURNEY_COLORS: tuple[str, ...] = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027", "#7f0000")
UNREACHABLE_COLOR = "#6b6b6b"
BOARDER_COLOR = "#7b3294"
"""Villages whose pupils of the band board (their journey is a weekly trip, not coloured)."""
UNSERVED_COLOR = "#111111"
"""Villages whose pupils of the band are unserved (beyond the day limit with no bed, or none
reachable)."""
PHASE_COLORS: tuple[str, ...] = ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef", "#deebf7")
NOT_RESTORED_COLOR = "#bdbdbd"
WAY_COLORS: Mapping[str, str] = {
    "walk": "#1a9850",
    "bus": "#2166ac",
    "escorted": "#f1a340",
    "board": BOARDER_COLOR,
    "none": UNSERVED_COLOR,
}
"""Colour of each way on the ways map (``none``: no acceptable way)."""


def journey_colors(minutes: pd.Series) -> pd.Series:
    """A CSS colour per value of ``minutes`` by :data:`JOURNEY_BINS_MIN`; grey if unreachable."""
    values = minutes.astype("float64").to_numpy()
    classes = np.searchsorted(np.asarray(JOURNEY_BINS_MIN), values, side="left")
    colors = np.asarray(JOURNEY_COLORS, dtype=object)[np.minimum(classes, len(JOURNEY_COLORS) - 1)]
    colors[~np.isfinite(values)] = UNREACHABLE_COLOR
    return pd.Series(colors, index=minutes.index, dtype=object)


def district_palette(schools: Iterable[str]) -> dict[str, str]:
    """A colour per district school (sorted ids through :data:`maps.CATEGORY_COLORS`)."""
    colors = maps.CATEGORY_COLORS
    return {s: colors[k % len(colors)] for k, s in enumerate(sorted({str(x) for x in schools}))}


def journey_legend(lang: str = "en", *, villages: bool = True) -> list[tuple[str, str]]:
    """Legend items of :func:`village_colors` (or, ``villages=False``, of :func:`journey_colors`).

    Journey classes are day pupils' daily one-way journeys; boarders and unserved villages have
    their own colours.
    """
    text = texts(PLAN_MAP_TEXT, lang)
    edges = (0.0, *JOURNEY_BINS_MIN)
    items = [
        (color, f"{edges[i]:.0f}-{edges[i + 1]:.0f}") for i, color in enumerate(JOURNEY_COLORS[:-1])
    ]
    items.append((JOURNEY_COLORS[-1], f"> {JOURNEY_BINS_MIN[-1]:.0f}"))
    if villages:
        items.append((BOARDER_COLOR, str(text["boarders"])))
        items.append((UNSERVED_COLOR, str(text["unserved"])))
    else:
        items.append((UNREACHABLE_COLOR, str(text["unreachable"])))
    return items


def village_colors(assignment: pd.DataFrame, band: str) -> pd.Series:
    """A CSS colour per village for one band: day pupils by their daily journey.

    Boarders and unserved villages have their own colours (:data:`BOARDER_COLOR`,
    :data:`UNSERVED_COLOR`).
    """
    rows = assignment.xs(band, level="band")
    colors = journey_colors(rows["day_journey_min"].astype("float64").fillna(math.inf))
    colors[rows["status"] == "boards"] = BOARDER_COLOR
    colors[rows["status"] == "unserved"] = UNSERVED_COLOR
    return colors


def village_popup_rows(
    assignment: pd.DataFrame,
    band: str,
    schools: pd.DataFrame,
    *,
    lang: str = "en",
    suffix: str = "",
) -> dict[str, pd.Series]:
    """Popup rows of one band per village: school, kind of pupil, mode and the journey that applies.

    A day pupil's row shows the daily journey, a boarder's the weekly trip home; neither shows
    the other, and an unserved village shows no journey.
    """
    text = texts(PLAN_MAP_TEXT, lang)
    rows = assignment.xs(band, level="band")
    names = schools["name"] if "name" in schools.columns else pd.Series(dtype=object)
    school = rows["school"].map(lambda s: None if s is None or pd.isna(s) else names.get(s, s))
    status_names: dict[str, str] = text["status_names"]
    tail = f" ({suffix})" if suffix else ""
    band_name = text["band"][band]
    return {
        f"{band_name}: {text['school']}{tail}": school,
        f"{band_name}: {text['status']}{tail}": rows["status"].map(status_names),
        f"{band_name}: {text['mode']}{tail}": rows["mode"],
        f"{band_name}: {text['day_journey']}{tail}": rows["day_journey_min"].round(1),
        f"{band_name}: {text['weekly_trip']}{tail}": rows["weekly_trip_min"].round(1),
    }


def _base(
    result: PlanResult,
    title: str,
    lang: str,
    basemap: str | None,
    tianditu_key: str | None,
    avoid: Sequence[MarkerLayer],
) -> folium.Map:
    """The map every plan map draws on: county, townships labelled clear of ``avoid``."""
    area = result.area
    county = area.townships[["geometry"]].dissolve() if len(area.townships) else None
    m = maps.new_map(
        maps.bounds_of(area.townships, area.villages),
        title=f"{area.name}: {title}",
        synthetic=area.synthetic,
        lang=lang,
        background=county,
        basemap=basemap,
        tianditu_key=tianditu_key,
    )
    maps.add_townships(m, area.townships, lang=lang, avoid=avoid)
    return m


def _layer_name(
    text: Mapping[str, Any], what: str, *, band: str | None = None, when: str | None = None
) -> str:
    """A name in the layer control, short and in the map's language.

    The band, what the layer shows and the state (on maps of a state), joined by `` · ``:
    "Grades 1-3 · day journey (min, one way) · today".
    """
    parts = [str(text["layer_band"][band])] if band is not None else []
    parts.append(what)
    if when is not None:
        parts.append(str(when))
    return " · ".join(parts)


def _open_schools(result: PlanResult) -> gpd.GeoDataFrame:
    schools: gpd.GeoDataFrame = result.schools[result.schools["status"] == "open"]
    return schools


def journeys_map(
    result: PlanResult,
    *,
    bands: Sequence[str] = BANDS,
    after: bool = False,
    lang: str = "en",
    basemap: str | None = None,
    tianditu_key: str | None = None,
) -> folium.Map:
    """Villages coloured by their day pupils' daily journey, one layer per band.

    Villages whose pupils board, or are unserved, have their own colours (the legend says which);
    popups give each band's school, kind of pupil, mode and the journey that applies.
    """
    text = texts(PLAN_MAP_TEXT, lang)
    state = text["after"] if after else text["before"]
    m = _base(
        result,
        f"{text['journeys']} ({state})",
        lang,
        basemap,
        tianditu_key,
        [maps.school_markers(_open_schools(result))],
    )
    assignment = result.after if after else result.before
    first: folium.GeoJson | None = None
    for i, band in enumerate(bands):
        layer = maps.add_villages(
            m,
            result.area.villages,
            color_by=village_colors(assignment, band),
            lang=lang,
            name=_layer_name(text, text["layer_journey"], band=band, when=state),
            extra_rows=village_popup_rows(assignment, band, result.schools, lang=lang),
        )
        if layer is not None and i > 0:
            layer.show = False
        first = first or layer
    schools = maps.add_schools(m, _open_schools(result), lang=lang)
    maps.add_tools(m, lang=lang, villages=first, schools=schools)
    maps.add_legend(m, journey_legend(lang), str(text["minutes"]))
    maps.add_school_legend(m, _open_schools(result), lang=lang)
    maps.add_layer_control(m)
    return m


def phase_colors(phase: pd.Series) -> pd.Series:
    """A CSS colour per site: by restoration phase (1 darkest), grey when not restored."""
    out = [
        PHASE_COLORS[min(int(p) - 1, len(PHASE_COLORS) - 1)] if p > 0 else NOT_RESTORED_COLOR
        for p in phase.fillna(0)
    ]
    return pd.Series(out, index=phase.index, dtype=object)


def restoration_map(
    result: PlanResult,
    *,
    lang: str = "en",
    basemap: str | None = None,
    tianditu_key: str | None = None,
) -> folium.Map:
    """Sites coloured by restoration phase; villages by grades 1-3 journey today and after."""
    text = texts(PLAN_MAP_TEXT, lang)
    m = _base(
        result,
        str(text["restoration"]),
        lang,
        basemap,
        tianditu_key,
        [maps.school_markers(_open_schools(result)), maps.site_markers(result.area.sites)],
    )
    searched: folium.GeoJson | None = None
    for label, assignment, show in (
        (text["before"], result.before, False),
        (text["after"], result.after, True),
    ):
        layer = maps.add_villages(
            m,
            result.area.villages,
            color_by=village_colors(assignment, "g1_3"),
            lang=lang,
            name=_layer_name(text, text["layer_journey"], band="g1_3", when=label),
            extra_rows=village_popup_rows(
                assignment, "g1_3", result.schools, lang=lang, suffix=str(label)
            ),
        )
        if layer is not None:
            layer.show = show
            searched = layer if show else searched
    phase = pd.Series(0, index=result.area.sites.index, dtype="int64")
    if result.restoration is not None:
        phase = result.restoration.phasing.phase.reindex(phase.index).fillna(0).astype("int64")
    sites = result.area.sites.assign(phase=phase)
    maps.add_sites(m, sites, color_by=phase_colors(phase), lang=lang)
    schools = maps.add_schools(m, _open_schools(result), lang=lang)
    maps.add_tools(m, lang=lang, villages=searched, schools=schools)
    phases = sorted(int(p) for p in set(phase) if p > 0)
    maps.add_legend(
        m,
        [(phase_colors(pd.Series([p])).iloc[0], f"{text['phase']} {p}") for p in phases]
        + [(NOT_RESTORED_COLOR, str(text["not_restored"]))],
        str(text["restoration"]),
        position="bottomright",
    )
    maps.add_school_legend(m, _open_schools(result), lang=lang)
    maps.add_legend(m, journey_legend(lang), str(text["minutes"]))
    maps.add_layer_control(m)
    return m


def districts_map(
    result: PlanResult,
    *,
    lang: str = "en",
    basemap: str | None = None,
    tianditu_key: str | None = None,
) -> folium.Map:
    """School districts per level in distinct colours, with the town's schools.

    With feeders, a layer more: the primary districts in the colours of the middle schools they
    feed.
    """
    if result.districts is None:
        msg = "This plan has no districts (no blocks layer, or districts were switched off)."
        raise ArgumentError(msg)
    text = texts(PLAN_MAP_TEXT, lang)
    level_names: dict[str, str] = text["level"]
    area = result.area
    districts = result.districts.districts
    m = maps.new_map(
        maps.bounds_of(area.blocks),
        title=f"{area.name}: {text['districts']}",
        synthetic=area.synthetic,
        lang=lang,
        background=area.blocks[["geometry"]].dissolve(),
        basemap=basemap,
        tianditu_key=tianditu_key,
    )
    schools = result.schools.loc[result.schools.index.isin(districts["school"])]
    gcj02 = maps.frame_of(m) == "gcj02"
    for i, (level, group) in enumerate(districts.groupby("level", sort=False)):
        palette = district_palette(group["school"])
        shown = maps.to_display(group, tolerance_m=5.0, gcj02=gcj02)
        names = schools["name"].reindex(shown["school"]).fillna(shown["school"]).to_numpy()
        level_name = level_names.get(str(level), str(level))
        tips = [
            f"{maps.escape(n)} ({count_text(p)})"
            for n, p in zip(names, shown["pupils"], strict=True)
        ]
        popups = [
            maps.html_table(
                [(text["school"], n), (text["level_pupils"], whole_count(p))],
                title=f"{text['districts']}: {level_name}",
            )
            for n, p in zip(names, shown["pupils"], strict=True)
        ]
        styles = [
            {"fillColor": palette[s], "color": "#333333", "weight": 1, "fillOpacity": 0.55}
            for s in shown["school"]
        ]
        layer = maps.feature_layer(
            shown.drop(columns=[c for c in ("name",) if c in shown.columns]),
            name=f"{text['districts']}: {level_name}",
            tips=tips,
            popups=popups,
            styles=styles,
            show=i == 0,
        )
        layer.add_to(m)
    _add_feeders(m, result.districts, result.schools, text=text, gcj02=gcj02)
    _add_changes(m, result.districts, result.schools, text=text, gcj02=gcj02)
    _add_joined_islands(m, result.districts, text=text, gcj02=gcj02)
    school_layer = maps.add_schools(m, schools, lang=lang)
    maps.add_tools(m, lang=lang, schools=school_layer)
    maps.add_school_legend(m, schools, lang=lang)
    maps.add_layer_control(m)
    return m


def _add_feeders(
    m: folium.Map,
    plan: DistrictPlan,
    schools: gpd.GeoDataFrame,
    *,
    text: Mapping[str, Any],
    gcj02: bool,
) -> None:
    """With feeders: each primary district in the colour of the middle school it feeds.

    That is the middle district's colour on the middle layer, so each middle district shows the
    primary districts that make it up.
    """
    feeders = plan.feeders
    districts = plan.districts
    if feeders is None or not len(feeders):
        return
    primary = districts[districts["level"] == "primary"]
    palette = district_palette(districts.loc[districts["level"] == "middle", "school"])
    if not len(primary) or not palette:
        return
    level_names: dict[str, str] = text["level"]
    names = schools["name"] if "name" in schools.columns else schools.index.to_series()
    shown = maps.to_display(primary[["school", "pupils", "geometry"]], tolerance_m=5.0, gcj02=gcj02)
    fed = feeders["feeds"].reindex(shown["school"].astype(str)).astype(str).to_numpy()
    named = names.set_axis(names.index.astype(str)).dropna().astype(str).to_dict()
    own = [named.get(str(s), str(s)) for s in shown["school"]]
    feeds = [named.get(f, f) for f in fed]
    title = str(text["feeders"])
    layer = maps.feature_layer(
        shown[["geometry"]],
        name=title,
        tips=[maps.escape(f"{a} -> {b}") for a, b in zip(own, feeds, strict=True)],
        popups=[
            maps.html_table(
                [
                    (level_names.get("primary", "primary"), a),
                    (level_names.get("middle", "middle"), b),
                    (text["level_pupils"], whole_count(p)),
                ],
                title=title,
            )
            for a, b, p in zip(own, feeds, shown["pupils"], strict=True)
        ],
        styles=[
            {
                "fillColor": palette.get(f, "#999999"),
                "color": "#333333",
                "weight": 1,
                "fillOpacity": 0.55,
            }
            for f in fed
        ],
        show=False,
    )
    layer.add_to(m)


def _add_changes(
    m: folium.Map,
    plan: DistrictPlan,
    schools: gpd.GeoDataFrame,
    *,
    text: Mapping[str, Any],
    gcj02: bool,
) -> None:
    """Per level, the blocks whose school in the plan differs from today's (dark overlay)."""
    level_names: dict[str, str] = text["level"]
    names = schools["name"] if "name" in schools.columns else schools.index.to_series()
    for level in ("primary", "middle"):
        col = f"moved_{level}"
        if col not in plan.blocks.columns or not plan.blocks[col].any():
            continue
        moved = plan.blocks.loc[
            plan.blocks[col].astype(bool), ["geometry", f"school_{level}_today", f"school_{level}"]
        ]
        shown = maps.to_display(moved, tolerance_m=5.0, gcj02=gcj02)
        today = names.reindex(shown[f"school_{level}_today"]).fillna("").to_numpy()
        after = names.reindex(shown[f"school_{level}"]).fillna("").to_numpy()
        title = f"{text['changes']}: {level_names.get(level, level)}"
        layer = maps.feature_layer(
            shown[["geometry"]],
            name=title,
            tips=[
                maps.escape(f"{i}: {a} -> {b}")
                for i, a, b in zip(shown.index, today, after, strict=True)
            ],
            popups=[
                maps.html_table([(text["today"], a), (text["planned"], b)], title=f"{title}: {i}")
                for i, a, b in zip(shown.index, today, after, strict=True)
            ],
            styles=[{"fillColor": "#000000", "color": "#000000", "weight": 2, "fillOpacity": 0.25}]
            * len(shown),
            show=False,
        )
        layer.add_to(m)


def _add_joined_islands(
    m: folium.Map, plan: DistrictPlan, *, text: Mapping[str, Any], gcj02: bool
) -> None:
    """Blocks that touch no district, outlined, with why and where they were joined."""
    islands = plan.islands
    if islands is None or not len(islands):
        return
    reasons = islands.groupby(level=0)["reason"].agg(lambda r: "; ".join(map(str, r)))
    joined = plan.blocks.loc[plan.blocks.index.isin(reasons.index), ["geometry"]]
    shown = maps.to_display(joined, tolerance_m=5.0, gcj02=gcj02)
    why = [str(reasons[i]) for i in shown.index]
    layer = maps.feature_layer(
        shown,
        name=text["islands"],
        tips=[maps.escape(f"{i}: {w}") for i, w in zip(shown.index, why, strict=True)],
        popups=[
            maps.html_table([(str(i), w)], title=text["islands"])
            for i, w in zip(shown.index, why, strict=True)
        ],
        styles=[{"fillColor": "#ffffff", "color": "#d62728", "weight": 3, "fillOpacity": 0.2}]
        * len(shown),
    )
    layer.add_to(m)


def school_journeys_map(
    result: PlanResult,
    lines: gpd.GeoDataFrame,
    *,
    school: str,
    band: str = "g1_3",
    after: bool = True,
    lang: str = "en",
    basemap: str | None = None,
    tianditu_key: str | None = None,
) -> folium.Map:
    """The daily journeys of one school's day pupils along the roads; its boarders' villages too.

    Parameters
    ----------
    result
        The plan.
    lines
        The journey lines of the school's villages
        (:func:`geoplan.plan.school_journey_lines`).
    school
        School id.
    band
        Grade band whose journeys are drawn (its assignment).
    after
        Journeys after the plan (default) or today.
    lang, basemap, tianditu_key
        As for :func:`journeys_map`.

    Returns
    -------
    folium.Map
        Journey lines coloured by minutes, the villages, and the school.
    """
    text = texts(PLAN_MAP_TEXT, lang)
    band_names: dict[str, str] = text["band"]
    if school not in result.schools.index:
        msg = f"Unknown school id {school!r}; use an id of the schools layer."
        raise ArgumentError(msg)
    name = result.schools.loc[school, "name"]
    assignment = (result.after if after else result.before).xs(band, level="band")
    mine = assignment[(assignment["school"] == school) & (assignment["status"] != "unserved")]
    villages = result.area.villages.loc[result.area.villages.index.isin(mine.index)]
    m = _base(
        result,
        f"{text['lines']} {name} ({band_names[band]})",
        lang,
        basemap,
        tianditu_key,
        [maps.school_markers(result.schools.loc[[school]])],
    )
    if len(villages) and len(lines):
        shown = maps.to_display(lines, tolerance_m=10.0, gcj02=maps.frame_of(m) == "gcj02")
        vnames = result.area.villages["name"].reindex(shown.index)
        colors = journey_colors(shown["time_min"])
        tips = [
            f"{maps.escape(v)}: {t:.0f} {text['min']}"
            for v, t in zip(vnames, shown["time_min"], strict=True)
        ]
        popups = [
            maps.html_table(
                [
                    (text["school"], name),
                    (text["day_journey"], round(float(t), 1)),
                    (text["distance_km"], round(float(d) / 1000.0, 1)),
                ],
                title=v,
            )
            for v, t, d in zip(vnames, shown["time_min"], shown["distance_m"], strict=True)
        ]
        styles = [{"color": c, "weight": 4, "opacity": 0.9} for c in colors]
        maps.feature_layer(
            shown,
            name=f"{text['lines']} {name}",
            tips=tips,
            popups=popups,
            styles=styles,
        ).add_to(m)
    assigned = result.after if after else result.before
    vlayer = maps.add_villages(
        m,
        villages,
        color_by=village_colors(assigned, band),
        lang=lang,
        extra_rows=village_popup_rows(assigned, band, result.schools, lang=lang),
    )
    slayer = maps.add_schools(m, result.schools.loc[[school]], lang=lang)
    maps.add_tools(m, lang=lang, villages=vlayer, schools=slayer)
    maps.add_legend(m, journey_legend(lang), str(text["minutes"]))
    maps.add_school_legend(m, result.schools.loc[[school]], lang=lang)
    maps.add_layer_control(m)
    return m


def before_after_map(
    result_a: PlanResult,
    result_b: PlanResult | None = None,
    *,
    band: str = "g1_3",
    lang: str = "en",
    basemap: str | None = None,
    tianditu_key: str | None = None,
) -> folium.plugins.DualMap:
    """Two synchronised maps: today and after plan A, or after plan A and after plan B.

    Parameters
    ----------
    result_a
        A plan.
    result_b
        A second plan of the same area, or ``None`` to compare ``result_a`` with today.
    band
        Grade band whose journeys colour the villages.
    lang, basemap, tianditu_key
        As for :func:`journeys_map`.

    Returns
    -------
    folium.plugins.DualMap
        Save it with :func:`geoplan.maps.save_offline`.
    """
    text = texts(PLAN_MAP_TEXT, lang)
    band_names: dict[str, str] = text["band"]
    if result_b is None:
        sides = [
            (str(text["before"]), result_a, result_a.before, False),
            (str(text["after"]), result_a, result_a.after, True),
        ]
    else:
        sides = [
            (str(text["plan_a"]), result_a, result_a.after, True),
            (str(text["plan_b"]), result_b, result_b.after, True),
        ]
    area = result_a.area
    county = area.townships[["geometry"]].dissolve() if len(area.townships) else None
    dual = maps.dual_map(
        maps.bounds_of(area.townships, area.villages),
        title=f"{area.name}: {text['compare']} ({band_names[band]})",
        sides=(sides[0][0], sides[1][0]),
        synthetic=area.synthetic,
        lang=lang,
        background=county,
        basemap=basemap,
        tianditu_key=tianditu_key,
    )
    for m, (label, result, assignment, restored) in zip((dual.m1, dual.m2), sides, strict=True):
        sites: gpd.GeoDataFrame | None = None
        if restored and result.restoration is not None and len(result.restoration.restored):
            ids = [str(i) for i in result.restoration.restored.index]
            phase = result.restoration.restored["phase"].astype("int64")
            sites = area.sites.loc[ids].assign(phase=phase.reindex(ids).to_numpy())
        avoid = [maps.school_markers(_open_schools(result))]
        if sites is not None:
            avoid.append(maps.site_markers(sites))
        maps.add_townships(
            m,
            area.townships,
            lang=lang,
            name=_layer_name(text, texts(MAP_LABELS, lang)["townships"], when=label),
            avoid=avoid,
        )
        vlayer = maps.add_villages(
            m,
            area.villages,
            color_by=village_colors(assignment, band),
            lang=lang,
            name=_layer_name(text, text["layer_journey"], band=band, when=label),
            extra_rows=village_popup_rows(
                assignment, band, result.schools, lang=lang, suffix=str(label)
            ),
        )
        if sites is not None:
            maps.add_sites(
                m,
                sites,
                color_by=phase_colors(sites["phase"]),
                lang=lang,
                name=_layer_name(text, text["restoration"], when=label),
            )
        slayer = maps.add_schools(
            m,
            _open_schools(result),
            lang=lang,
            name=_layer_name(text, texts(MAP_LABELS, lang)["schools"], when=label),
        )
        maps.add_tools(m, lang=lang, villages=vlayer, schools=slayer)
        maps.add_layer_control(m)
    maps.add_legend(dual.m1, journey_legend(lang), str(text["minutes"]))
    drawn = pd.concat([_open_schools(result) for _, result, _, _ in sides])
    maps.add_school_legend(dual.m2, drawn, lang=lang)
    return dual


def way_colors(assignment: pd.DataFrame, band: str) -> pd.Series:
    """A CSS colour per village for one band by its way (:data:`WAY_COLORS`)."""
    rows = assignment.xs(band, level="band")
    return rows["way"].map(WAY_COLORS).fillna(UNSERVED_COLOR).astype(object)


def ways_map(
    result: PlanResult,
    *,
    bands: Sequence[str] = BANDS,
    after: bool = True,
    lang: str = "en",
    basemap: str | None = None,
    tianditu_key: str | None = None,
) -> folium.Map:
    """Villages coloured by how their pupils get to school, with a line to their school.

    One layer of villages and one of lines per band (the first shown); popups give the school,
    the way and its journey (a boarder's weekly trip). Needs a plan made with ``ways:``.
    """
    ways = result.ways_after if after else result.ways_before
    if ways is None:
        msg = (
            "ways_map needs a plan made with `ways:` (PlanSettings.ways). Fix: add a ways section."
        )
        raise ArgumentError(msg)
    text = texts(PLAN_MAP_TEXT, lang)
    band_names: dict[str, str] = text["band"]
    way_names: dict[str, str] = text["way_names"]
    state = text["after"] if after else text["before"]
    m = _base(
        result,
        f"{text['ways']} ({state})",
        lang,
        basemap,
        tianditu_key,
        [maps.school_markers(_open_schools(result))],
    )
    assignment = ways.assignment
    villages = result.area.villages
    dest = destination_points(result.schools, result.area.sites)
    named = pd.concat([result.schools["name"], result.area.sites["name"]])
    school_names = named.set_axis(named.index.astype(str))
    first: folium.GeoJson | None = None
    for i, band in enumerate(bands):
        rows = assignment.xs(band, level="band").reindex(villages.index)
        placed = rows[rows["school"].notna() & (rows["pupils"] > 0)]
        if len(placed):
            start = villages.geometry.loc[placed.index].to_numpy()
            end = dest.geometry.loc[placed["school"].astype(str)].to_numpy()
            lines = gpd.GeoDataFrame(
                {"way": placed["way"].to_numpy()},
                geometry=shapely.linestrings(
                    [[(a.x, a.y), (b.x, b.y)] for a, b in zip(start, end, strict=True)]
                ),
                crs=villages.crs,
                index=placed.index,
            )
            shown = maps.to_display(lines, gcj02=maps.frame_of(m) == "gcj02")
            names = villages["name"].reindex(shown.index)
            tips = [
                f"{maps.escape(v)}: {maps.escape(way_names[str(w)])}"
                for v, w in zip(names, shown["way"], strict=True)
            ]
            maps.feature_layer(
                shown,
                name=_layer_name(text, text["layer_way_lines"], band=band),
                tips=tips,
                popups=tips,
                styles=[
                    {"color": WAY_COLORS[str(w)], "weight": 2, "opacity": 0.7} for w in shown["way"]
                ],
                show=i == 0,
            ).add_to(m)
        extra = {
            f"{band_names[band]}: {text['school']}": rows["school"].map(
                lambda s: None if s is None or pd.isna(s) else school_names.get(s, s)
            ),
            f"{band_names[band]}: {text['way']}": rows["way"].map(way_names),
            f"{band_names[band]}: {text['journey_applies']}": rows["day_journey_min"]
            .fillna(rows["weekly_trip_min"])
            .round(1),
        }
        vlayer = maps.add_villages(
            m,
            villages,
            color_by=way_colors(assignment, band),
            lang=lang,
            name=_layer_name(text, text["layer_way"], band=band),
            extra_rows=extra,
        )
        if vlayer is not None and i > 0:
            vlayer.show = False
        first = first or vlayer
    schools = maps.add_schools(m, _open_schools(result), lang=lang)
    maps.add_tools(m, lang=lang, villages=first, schools=schools)
    maps.add_legend(m, [(WAY_COLORS[w], str(way_names[w])) for w in WAY_COLORS], str(text["way"]))
    maps.add_school_legend(m, _open_schools(result), lang=lang)
    maps.add_layer_control(m)
    return m
