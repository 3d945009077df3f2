"""Maps of plan results: journeys by band, restoration phases, school districts.

Built on the map core of :mod:`geoplan.maps` (offline, escaped); never solves anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from . import maps
from .plan import PlanResult
from .rules import BANDS

JOURNEY_BINS_MIN: tuple[float, ...] = (15.0, 30.0, 45.0, 60.0, 120.0)
"""Upper edges (minutes) of the journey colour classes; beyond the last is the worst class."""

JOURNEY_COLORS: tuple[str, ...] = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027", "#7f0000")
UNREACHABLE_COLOR = "#6b6b6b"
PHASE_COLORS: tuple[str, ...] = ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef", "#deebf7")
NOT_RESTORED_COLOR = "#bdbdbd"

_TEXT: dict[str, dict[str, Any]] = {
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
    },
}


def _text(lang: str) -> dict[str, Any]:
    return _TEXT["zh" if lang == "zh" else "en"]


def journey_colors(minutes: pd.Series) -> pd.Series:
    """A CSS colour per value of ``minutes`` by :data:`JOURNEY_BINS_MIN`; grey if unreachable."""
    values = minutes.astype("float64").to_numpy()
    classes = np.searchsorted(np.asarray(JOURNEY_BINS_MIN), values, side="left")
    colors = np.asarray(JOURNEY_COLORS, dtype=object)[np.minimum(classes, len(JOURNEY_COLORS) - 1)]
    colors[~np.isfinite(values)] = UNREACHABLE_COLOR
    return pd.Series(colors, index=minutes.index, dtype=object)


def journey_legend(lang: str = "en") -> list[tuple[str, str]]:
    """Legend items of :func:`journey_colors`."""
    edges = (0.0, *JOURNEY_BINS_MIN)
    items = [
        (color, f"{edges[i]:.0f}-{edges[i + 1]:.0f}") for i, color in enumerate(JOURNEY_COLORS[:-1])
    ]
    items.append((JOURNEY_COLORS[-1], f"> {JOURNEY_BINS_MIN[-1]:.0f}"))
    items.append((UNREACHABLE_COLOR, str(_text(lang)["unreachable"])))
    return items


def _journeys(assignment: pd.DataFrame, band: str) -> pd.Series:
    rows = assignment.xs(band, level="band")
    return rows["journey_min"].astype("float64").fillna(math.inf)


def _base(result: PlanResult, title: str, lang: str) -> folium.Map:
    area = result.area
    county = area.townships[["geometry"]].dissolve() if len(area.townships) else None
    m = maps.new_map(
        maps.bounds_of(area.townships, area.villages),
        title=f"{area.name}: {title}",
        synthetic=area.synthetic,
        lang=lang,
        background=county,
    )
    maps.add_townships(m, area.townships, lang=lang)
    return m


def journeys_map(
    result: PlanResult, *, bands: Sequence[str] = BANDS, after: bool = False, lang: str = "en"
) -> folium.Map:
    """Villages coloured by journey minutes to their assigned school, one layer per band."""
    text = _text(lang)
    band_names: dict[str, str] = text["band"]
    state = text["after"] if after else text["before"]
    m = _base(result, f"{text['journeys']} ({state})", lang)
    assignment = result.after if after else result.before
    for i, band in enumerate(bands):
        minutes = _journeys(assignment, band)
        layer = maps.add_villages(
            m,
            result.area.villages,
            color_by=journey_colors(minutes),
            lang=lang,
            name=f"{band_names[band]}: {text['minutes']}",
            extra_rows={f"{band_names[band]}: {text['journey_min']}": minutes.round(1)},
        )
        if layer is not None and i > 0:
            layer.show = False
    maps.add_schools(m, result.schools[result.schools["status"] == "open"], lang=lang)
    maps.add_legend(m, journey_legend(lang), str(text["minutes"]))
    maps.add_layer_control(m)
    return m


def phase_colors(phase: pd.Series) -> pd.Series:
    """A CSS colour per site: by restoration phase (1 darkest), grey when not restored."""
    out = [
        PHASE_COLORS[min(int(p) - 1, len(PHASE_COLORS) - 1)] if p > 0 else NOT_RESTORED_COLOR
        for p in phase.fillna(0)
    ]
    return pd.Series(out, index=phase.index, dtype=object)


def restoration_map(result: PlanResult, *, lang: str = "en") -> folium.Map:
    """Sites coloured by restoration phase; villages by grades 1-3 journey today and after."""
    text = _text(lang)
    band_names: dict[str, str] = text["band"]
    m = _base(result, str(text["restoration"]), lang)
    for label, assignment, show in (
        (text["before"], result.before, False),
        (text["after"], result.after, True),
    ):
        minutes = _journeys(assignment, "g1_3")
        layer = maps.add_villages(
            m,
            result.area.villages,
            color_by=journey_colors(minutes),
            lang=lang,
            name=f"{band_names['g1_3']}: {text['minutes']} ({label})",
            extra_rows={f"{text['journey_min']} ({label})": minutes.round(1)},
        )
        if layer is not None:
            layer.show = show
    phase = pd.Series(0, index=result.area.sites.index, dtype="int64")
    if result.restoration is not None:
        phase = result.restoration.phasing.phase.reindex(phase.index).fillna(0).astype("int64")
    sites = result.area.sites.assign(phase=phase)
    maps.add_sites(m, sites, color_by=phase_colors(phase), lang=lang)
    maps.add_schools(m, result.schools[result.schools["status"] == "open"], lang=lang)
    phases = sorted(int(p) for p in set(phase) if p > 0)
    maps.add_legend(
        m,
        [(phase_colors(pd.Series([p])).iloc[0], f"{text['phase']} {p}") for p in phases]
        + [(NOT_RESTORED_COLOR, str(text["not_restored"]))],
        str(text["restoration"]),
        position="bottomright",
    )
    maps.add_legend(m, journey_legend(lang), str(text["minutes"]))
    maps.add_layer_control(m)
    return m


def districts_map(result: PlanResult, *, lang: str = "en") -> folium.Map:
    """School districts per level in distinct colours, with the town's schools."""
    if result.districts is None:
        msg = "This plan has no districts (no blocks layer, or districts were switched off)."
        raise ValueError(msg)
    text = _text(lang)
    level_names: dict[str, str] = text["level"]
    area = result.area
    districts = result.districts.districts
    m = maps.new_map(
        maps.bounds_of(area.blocks),
        title=f"{area.name}: {text['districts']}",
        synthetic=area.synthetic,
        lang=lang,
        background=area.blocks[["geometry"]].dissolve(),
    )
    schools = result.schools.loc[result.schools.index.isin(districts["school"])]
    for i, (level, group) in enumerate(districts.groupby("level", sort=False)):
        colors = maps.CATEGORY_COLORS
        palette = {s: colors[k % len(colors)] for k, s in enumerate(sorted(group["school"]))}
        shown = group.to_crs(maps.WEB_CRS)
        names = schools["name"].reindex(shown["school"]).fillna(shown["school"]).to_numpy()
        features = gpd.GeoDataFrame(
            {
                "school": [maps.escape(n) for n in names],
                "pupils": shown["pupils"].astype("int64").to_numpy(),
                "color": [palette[s] for s in shown["school"]],
            },
            geometry=shown.geometry.simplify(0.00005).to_numpy(),
            crs=maps.WEB_CRS,
        )
        layer = folium.GeoJson(
            features.to_json(),
            name=f"{text['districts']}: {level_names.get(str(level), str(level))}",
            style_function=lambda f: {
                "fillColor": f["properties"]["color"],
                "color": "#333333",
                "weight": 1,
                "fillOpacity": 0.55,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["school", "pupils"], aliases=[str(text["school"]), str(text["pupils"])]
            ),
            show=i == 0,
        )
        layer.add_to(m)
    maps.add_schools(m, schools, lang=lang)
    maps.add_layer_control(m)
    return m
