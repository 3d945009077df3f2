"""Side-by-side comparison of scenarios: ``comparison.html`` and ``comparison.xlsx``.

One row per scenario, the key indicators (:data:`INDICATORS`) side by side, the best value of each
column marked, links to each scenario's maps, and a before/after map of two of them.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd

from geoplan.atomic import atomic_output_dir, write_atomic
from geoplan.errors import MissingInputError, ScenarioError
from geoplan.outputs._templates import render
from geoplan.outputs.labels import COMPARE_TEXT, column_label, texts
from geoplan.plan.pipeline import PlanResult
from geoplan.runs.runner import ScenarioRun, plan_scenario, write_run
from geoplan.workbooks import FORMATS, Sheet, number_format, write_workbook

__all__ = [
    "BEST_FILL",
    "INDICATORS",
    "KEY_INDICATORS",
    "STATUS_QUO_NAMES",
    "Comparison",
    "Indicator",
    "baseline_name",
    "best_scenario",
    "best_values",
    "compare",
    "comparison_table",
    "differences",
    "indicator_chart_svg",
    "indicator_label",
    "write_html",
    "write_xlsx",
]

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Indicator:
    """One column of the comparison.

    Parameters
    ----------
    key
        Key in ``metrics.json``.
    label
        Column header.
    better
        ``"max"`` or ``"min"``: which value is best; ``None``: no value is better.
    """

    key: str
    label: str
    better: str | None


_GRADES = {"g1_3": "Grades 1-3", "g4_6": "Grades 4-6", "g7_9": "Grades 7-9"}

INDICATORS: tuple[Indicator, ...] = (
    *(Indicator(f"after_day_pupils_{b}", f"{g} day pupils", "max") for b, g in _GRADES.items()),
    *(
        Indicator(
            f"after_day_mean_journey_{b}_min", f"{g} day pupils' mean daily journey (min)", "min"
        )
        for b, g in _GRADES.items()
    ),
    *(
        Indicator(
            f"after_day_longest_journey_{b}_min",
            f"{g} day pupils' longest daily journey (min)",
            "min",
        )
        for b, g in _GRADES.items()
    ),
    *(Indicator(f"after_boarders_{b}", f"{g} boarders", "min") for b, g in _GRADES.items()),
    *(
        Indicator(
            f"after_boarder_mean_weekly_trip_{b}_min",
            f"{g} boarders' mean weekly trip home (min)",
            "min",
        )
        for b, g in _GRADES.items()
    ),
    *(
        Indicator(
            f"after_boarder_longest_weekly_trip_{b}_min",
            f"{g} boarders' longest weekly trip home (min)",
            "min",
        )
        for b, g in _GRADES.items()
    ),
    Indicator("after_boarders", "Boarders, all grades", "min"),
    Indicator("after_beyond_day_limit_g1_3", "Grades 1-3 pupils beyond the day limit", "min"),
    Indicator("after_unserved", "Pupils unserved", "min"),
    Indicator("sites_restored", "Teaching points restored", None),
    Indicator("restoration_cost_yuan", "Restoration cost (yuan)", "min"),
    Indicator("schools_closed", "Schools closed or merged", None),
    Indicator("oversized_classes_after", "Oversized classes in the county town", "min"),
    Indicator("pupils_moved", "Pupils moved to another school", "min"),
)
"""The comparison's columns, in order, all after the plan (:func:`geoplan.runner.run_metrics`).

Day pupils' daily journeys and boarders' weekly trips home are separate columns; every key is
defined in ``docs/indicators.md``."""

BEST_FILL = "C6EFCE"

KEY_INDICATORS: tuple[str, ...] = (
    "after_beyond_day_limit_g1_3",
    "after_day_mean_journey_g1_3_min",
    "after_boarders",
    "after_unserved",
    "restoration_cost_yuan",
    "oversized_classes_after",
)
"""The indicators charted at the top of ``comparison.html`` (keys of :data:`INDICATORS`)."""

STATUS_QUO_NAMES: tuple[str, ...] = ("status_quo", "statusquo", "baseline", "现状")
"""Words of a scenario name that make it the default baseline (:func:`baseline_name`)."""


@dataclass(frozen=True)
class Comparison:
    """A comparison as data, with the files written.

    Parameters
    ----------
    table
        Indexed by scenario name: ``description``, ``folder`` and one column per indicator key.
    best
        Same shape as the indicator columns: True where the value is the best of its column.
    html
        ``comparison.html``.
    xlsx
        ``comparison.xlsx``.
    before_after_map
        The before/after map of two scenarios, or ``None``.
    baseline
        The scenario the changes are measured against.
    """

    table: pd.DataFrame
    best: pd.DataFrame
    html: Path
    xlsx: Path
    before_after_map: Path | None
    baseline: str = ""


def comparison_table(rows: Sequence[tuple[str, str, Path, dict[str, Any]]]) -> pd.DataFrame:
    """One row per scenario from ``(name, description, folder, metrics)``."""
    names = [r[0] for r in rows]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        msg = (
            f"Scenario name(s) {twice} appear more than once; their outputs would overwrite each "
            "other. Fix: give each scenario its own `name:`."
        )
        raise ScenarioError(msg)
    data = {
        name: {
            "description": desc,
            "folder": str(folder),
            **{ind.key: metrics.get(ind.key) for ind in INDICATORS},
        }
        for name, desc, folder, metrics in rows
    }
    table = pd.DataFrame.from_dict(data, orient="index")
    table.index.name = "scenario"
    return table


def best_values(table: pd.DataFrame) -> pd.DataFrame:
    """True where a value is the best of its column (ties all marked; empty cells never)."""
    out = pd.DataFrame(False, index=table.index, columns=[i.key for i in INDICATORS])
    for ind in INDICATORS:
        values = pd.to_numeric(table[ind.key], errors="coerce")
        if ind.better is None or values.notna().sum() < 2:
            continue
        best = values.max() if ind.better == "max" else values.min()
        out[ind.key] = (values == best).fillna(False)
    return out


def _read_folder(folder: Path) -> tuple[str, str, dict[str, Any]]:
    metrics_file = folder / "metrics.json"
    if not metrics_file.is_file():
        msg = (
            f"{folder} holds no metrics.json. Fix: give a scenario file or the output folder "
            "of a scenario run (geoplan run)."
        )
        raise MissingInputError(msg)
    metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
    manifest_file = folder / "manifest.json"
    manifest = (
        json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.is_file() else {}
    )
    return str(manifest.get("scenario", folder.name)), str(manifest.get("description", "")), metrics


def _run(
    source: str | Path | ScenarioRun, out: Path
) -> tuple[str, str, Path, dict[str, Any], PlanResult | None]:
    from geoplan.runs.runner import run_metrics

    if isinstance(source, ScenarioRun):
        run = source
    else:
        path = Path(source)
        if path.is_dir():
            name, desc, metrics = _read_folder(path)
            return name, desc, path, metrics, None
        run = plan_scenario(path)
    folder = out / run.scenario.name
    with atomic_output_dir(folder) as tmp:
        write_run(run, tmp)
    return (
        run.scenario.name,
        run.scenario.description,
        folder,
        run_metrics(run.result),
        run.result,
    )


def indicator_label(indicator: Indicator, lang: str = "en") -> str:
    """The column header of an indicator in ``lang`` (Chinese from its metric key)."""
    return indicator.label if lang == "en" else column_label(indicator.key, lang)


def baseline_name(table: pd.DataFrame, baseline: str | None = None) -> str:
    """The scenario the others are measured against.

    ``baseline`` when given; else the first scenario named like the status quo
    (:data:`STATUS_QUO_NAMES`, e.g. ``status_quo``, ``tiny_status_quo``, ``现状``); else the first.

    Raises
    ------
    ScenarioError
        When ``baseline`` names no scenario of the table.
    """
    names = [str(n) for n in table.index]
    if baseline is not None:
        if baseline not in names:
            msg = (
                f"--baseline {baseline!r} is not one of the scenarios compared "
                f"({', '.join(names)}). Fix: give the `name:` of one of them."
            )
            raise ScenarioError(msg)
        return baseline
    for name in names:
        plain = name.lower().replace("-", "_").replace(" ", "_")
        if any(word in plain for word in STATUS_QUO_NAMES):
            return name
    return names[0]


def differences(table: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Each scenario's indicators minus the baseline's (empty where either is empty)."""
    keys = [i.key for i in INDICATORS]
    values = table[keys].apply(pd.to_numeric, errors="coerce").astype("float64")
    out: pd.DataFrame = values - values.loc[baseline]
    out.index = pd.Index([str(n) for n in out.index], name="scenario")
    return out


def best_scenario(table: pd.DataFrame, key: str, *, exclude: Sequence[str] = ()) -> str | None:
    """The scenario with the best value of indicator ``key`` (first of ties; ``None``: no value).

    Raises
    ------
    ScenarioError
        When ``key`` is not an indicator with a best value.
    """
    ind = next((i for i in INDICATORS if i.key == key), None)
    if ind is None or ind.better is None:
        keys = ", ".join(i.key for i in INDICATORS if i.better is not None)
        msg = f"best-by indicator {key!r} has no best value. Fix: use one of {keys}."
        raise ScenarioError(msg)
    values = pd.to_numeric(table[key], errors="coerce").drop(list(exclude), errors="ignore")
    values = values.dropna()
    if values.empty:
        return None
    return str(values.idxmax() if ind.better == "max" else values.idxmin())


def _shown(key: str, value: Any, *, signed: bool = False) -> str:
    """A figure as the page shows it, in the format its workbook column has."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    fmt = number_format(key)
    sign = "+" if signed else ""
    if fmt == FORMATS["minutes"]:
        return f"{value:{sign},.1f}"
    if fmt in (FORMATS["count"], FORMATS["yuan"], FORMATS["metres"]):
        return f"{value:{sign},.0f}"
    return f"{value:{sign}g}"


_CHART_COLORS = {"baseline": "#9e9e9e", "better": "#1a9850", "worse": "#d73027", "same": "#4575b4"}


def indicator_chart_svg(table: pd.DataFrame, key: str, *, baseline: str, lang: str = "en") -> str:
    """An inline SVG bar chart of one indicator per scenario, each labelled with its change."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import StrMethodFormatter

    from geoplan.outputs import printing

    ind = next(i for i in INDICATORS if i.key == key)
    text = texts(COMPARE_TEXT, lang)
    names = [str(n) for n in table.index]
    values = pd.to_numeric(table[key], errors="coerce").astype("float64").to_numpy()
    base = values[names.index(baseline)]
    colours, notes = [], []
    for name, value in zip(names, values, strict=True):
        change = value - base
        if name == baseline:
            colours.append(_CHART_COLORS["baseline"])
            notes.append(f"{_shown(key, value)} ({text['baseline']})")
            continue
        if not math.isfinite(value):
            colours.append(_CHART_COLORS["same"])
            notes.append(str(text["no_value"]))
            continue
        better = math.isfinite(change) and change != 0 and ind.better is not None
        good = better and ((change > 0) == (ind.better == "max"))
        colours.append(
            _CHART_COLORS["same"] if not better else _CHART_COLORS["better" if good else "worse"]
        )
        notes.append(
            f"{_shown(key, value)} ({_shown(key, change, signed=True)})"
            if math.isfinite(change)
            else _shown(key, value)
        )
    with printing.font_context(lang), mpl.rc_context({"svg.hashsalt": f"geoplan-{key}"}):
        fig = Figure(figsize=(4.6, 0.9 + 0.32 * len(names)))
        ax = fig.add_axes((0.3, 0.1 + 0.3 / len(names), 0.62, 0.88 - 0.55 / len(names)))
        pos = list(range(len(names)))[::-1]
        ax.barh(pos, np.nan_to_num(values, nan=0.0), color=colours, height=0.6)
        ax.set_yticks(pos, [n if len(n) <= 24 else n[:23] + "…" for n in names])
        for label in ax.get_yticklabels():
            label.set_parse_math(False)
        ax.set_title(indicator_label(ind, lang), fontsize=9, loc="left", wrap=True)
        top = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
        ax.set_xlim(0, (top or 1.0) * 1.6)  # room for the value and its change
        if number_format(key) != FORMATS["minutes"]:
            ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        for y, note, value in zip(pos, notes, np.nan_to_num(values, nan=0.0), strict=True):
            ax.annotate(
                note, (value, y), xytext=(3, 0), textcoords="offset points", va="center",
                fontsize=7, annotation_clip=False,
            ).set_parse_math(False)  # fmt: skip
        ax.tick_params(labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def _maps_of(folder: Path, out: Path) -> list[tuple[str, str]]:
    return [
        (p.stem.replace("_", " "), Path(os.path.relpath(p, out)).as_posix())
        for p in sorted(folder.glob("*.html"))
    ]


def write_html(
    table: pd.DataFrame,
    best: pd.DataFrame,
    path: Path,
    *,
    map_file: Path | None = None,
    baseline: str | None = None,
    lang: str = "en",
    map_note: str = "",
) -> Path:
    """Write the comparison as one self-contained HTML page.

    Charts of :data:`KEY_INDICATORS` first (each scenario's change against ``baseline``, see
    :func:`baseline_name`), then the table of every indicator (best values bold on green), the
    changes against the baseline, and links to each scenario's maps and to ``map_file``.
    """
    out = path.parent
    text = texts(COMPARE_TEXT, lang)
    base = baseline_name(table, baseline)
    diffs = differences(table, base)
    rows = []
    for name, row in table.iterrows():
        marks = best.loc[str(name)]
        rows.append(
            {
                "name": str(name),
                "description": str(row["description"]),
                "cells": [
                    (_shown(i.key, _number(row[i.key])), bool(marks[i.key])) for i in INDICATORS
                ],
                "changes": [
                    _shown(i.key, diffs.at[str(name), i.key], signed=True) for i in INDICATORS
                ],
                "maps": _maps_of(Path(str(row["folder"])), out),
            }
        )
    page = render(
        "comparison.html",
        lang="zh-CN" if lang == "zh" else "en",
        text=text,
        baseline=base,
        charts=[
            indicator_chart_svg(table, key, baseline=base, lang=lang) for key in KEY_INDICATORS
        ],
        headers=[indicator_label(i, lang) for i in INDICATORS],
        rows=rows,
        map_file=None if map_file is None else Path(os.path.relpath(map_file, out)).as_posix(),
        map_note=map_note,
        best_fill=BEST_FILL,
    )
    write_atomic(path, page)
    return path


def _number(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def write_xlsx(
    table: pd.DataFrame,
    best: pd.DataFrame,
    path: Path,
    *,
    baseline: str | None = None,
    lang: str = "en",
) -> Path:
    """Write the comparison, the changes against the baseline and the indicator keys.

    One sheet each; the best values of the comparison bold on green.
    """
    text = texts(COMPARE_TEXT, lang)
    base = baseline_name(table, baseline)
    keys = [i.key for i in INDICATORS]
    sheet = table[["description", *keys, "folder"]].copy()
    sheet.index = pd.Index([str(n) for n in sheet.index], name="scenario")
    sheet[keys] = sheet[keys].apply(pd.to_numeric, errors="coerce")
    headers = {
        "scenario": text["scenario"],
        "description": text["description"],
        "folder": column_label("folder", lang) if lang != "en" else "Folder",
        **{i.key: indicator_label(i, lang) for i in INDICATORS},
    }
    info = pd.DataFrame(
        {
            "Column": [indicator_label(i, lang) for i in INDICATORS],
            "metrics.json key": keys,
            "Best": [i.better or "" for i in INDICATORS],
        }
    )
    marks = best.copy()
    marks.index = sheet.index
    changes = differences(table, base)
    return write_workbook(
        path,
        {
            "comparison": Sheet(sheet, headers=headers, marks=marks),
            "differences": Sheet(changes, headers=headers),
            "indicators": Sheet(info, index=False),
        },
    )


def compare(
    inputs: Sequence[str | Path | ScenarioRun],
    out: str | Path = "outputs",
    *,
    pair: tuple[str, str] | None = None,
    lang: str = "en",
    baseline: str | None = None,
) -> Comparison:
    """Run or read several scenarios and write ``comparison.html`` and ``.xlsx`` into ``out``.

    Parameters
    ----------
    inputs
        Scenario files (run, each into ``out/<name>/``), output folders of earlier runs (read
        from their ``metrics.json``), or :class:`~geoplan.runner.ScenarioRun` objects.
    out
        Output folder.
    pair
        Names of the two scenarios the before/after map shows; default: the first two that were
        run here. A single run gives its today-versus-after map.
    lang
        Language of the page, the workbook's headers and the map.
    baseline
        Name of the scenario the changes are measured against; default: the status quo
        (:func:`baseline_name`).

    Returns
    -------
    Comparison
        The table, the best-value marks and the files written.
    """
    if not inputs:
        msg = "Nothing to compare. Fix: give at least one scenario file or output folder."
        raise ScenarioError(msg)
    missing = [str(s) for s in inputs if not isinstance(s, ScenarioRun) and not Path(s).exists()]
    if missing:
        msg = (
            f"{', '.join(missing)} not found. Fix: give scenario files (.yaml) or output folders "
            "of earlier runs that exist."
        )
        raise MissingInputError(msg)
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    runs = [_run(source, target) for source in inputs]
    table = comparison_table([r[:4] for r in runs])
    best = best_values(table)
    base = baseline_name(table, baseline)
    results = {r[0]: r[4] for r in runs if r[4] is not None}
    map_file = _before_after(results, target, pair=pair, lang=lang)
    html_path = write_html(
        table, best, target / "comparison.html", map_file=map_file, baseline=base, lang=lang
    )
    xlsx_path = write_xlsx(table, best, target / "comparison.xlsx", baseline=base, lang=lang)
    _logger.info("Compared %d scenarios into %s", len(table), target)
    return Comparison(
        table=table,
        best=best,
        html=html_path,
        xlsx=xlsx_path,
        before_after_map=map_file,
        baseline=base,
    )


def _before_after(
    results: dict[str, PlanResult], out: Path, *, pair: tuple[str, str] | None, lang: str
) -> Path | None:
    from geoplan.outputs import maps, plan_maps

    if pair is not None:
        missing = [n for n in pair if n not in results]
        if missing:
            msg = (
                f"pair names {missing}, which were not run in this comparison. Fix: name two of "
                f"{sorted(results)} (scenario files, not output folders)."
            )
            raise ScenarioError(msg)
        names = list(pair)
    else:
        names = list(results)[:2]
    if not names:
        return None
    a = results[names[0]]
    b = results[names[1]] if len(names) > 1 else None
    path = out / (
        f"before_after_{names[0]}__{names[1]}.html"
        if b is not None
        else f"before_after_{names[0]}.html"
    )
    dual = plan_maps.before_after_map(a, b, lang=lang)
    maps.save_offline(dual, path)
    return path
