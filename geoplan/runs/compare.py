"""Side-by-side comparison of scenarios: ``comparison.html`` and ``comparison.xlsx``.

One row per scenario, the key indicators (:data:`INDICATORS`) side by side, the best value of each
column marked, links to each scenario's maps, and a before/after map of two of them.
"""

from __future__ import annotations

import html
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from geoplan.atomic import atomic_output_dir, write_atomic
from geoplan.errors import MissingInputError, ScenarioError
from geoplan.plan.pipeline import PlanResult
from geoplan.runs.runner import ScenarioRun, plan_scenario, write_run
from geoplan.workbooks import Sheet, write_workbook

__all__ = [
    "BEST_FILL",
    "INDICATORS",
    "Comparison",
    "Indicator",
    "best_values",
    "compare",
    "comparison_table",
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
    """

    table: pd.DataFrame
    best: pd.DataFrame
    html: Path
    xlsx: Path
    before_after_map: Path | None


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


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _maps_of(folder: Path, out: Path) -> list[tuple[str, str]]:
    return [
        (p.stem.replace("_", " "), Path(os.path.relpath(p, out)).as_posix())
        for p in sorted(folder.glob("*.html"))
    ]


def write_html(
    table: pd.DataFrame, best: pd.DataFrame, path: Path, *, map_file: Path | None = None
) -> Path:
    """Write the comparison as one self-contained HTML page (best values in bold green)."""
    out = path.parent
    head = "".join(f"<th>{html.escape(i.label)}</th>" for i in INDICATORS)
    rows = []
    for name, row in table.iterrows():
        marks = best.loc[str(name)]
        cells = "".join(
            f'<td class="{"best" if marks[i.key] else ""}">{_cell(row[i.key])}</td>'
            for i in INDICATORS
        )
        links = (
            " · ".join(
                f'<a href="{html.escape(href)}">{html.escape(label)}</a>'
                for label, href in _maps_of(Path(str(row["folder"])), out)
            )
            or "–"
        )
        rows.append(
            f"<tr><th>{html.escape(str(name))}</th><td>{html.escape(str(row['description']))}"
            f"</td>{cells}<td>{links}</td></tr>"
        )
    extra = (
        f'<p>Before/after map: <a href="{html.escape(map_file.name)}">{html.escape(map_file.name)}'
        "</a></p>"
        if map_file is not None
        else ""
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Scenario comparison</title>
<style>
body {{ font-family: "Noto Sans CJK SC", sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
th, td {{ border: 1px solid #bbb; padding: 0.3em 0.5em; text-align: right; }}
th:first-child, td:nth-child(2), td:last-child {{ text-align: left; }}
td.best {{ background: #{BEST_FILL}; font-weight: bold; }}
</style></head><body>
<h1>Scenario comparison</h1>
<p>One row per scenario, after the plan. The best value of each column is marked in bold on
green; teaching points restored and schools closed have no best value.</p>
<table><thead><tr><th>Scenario</th><th>Description</th>{head}<th>Maps</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
{extra}
</body></html>
"""
    write_atomic(path, page)
    return path


def write_xlsx(table: pd.DataFrame, best: pd.DataFrame, path: Path) -> Path:
    """Write the comparison to one sheet (best values bold on green) plus an indicator sheet."""
    keys = [i.key for i in INDICATORS]
    sheet = table[["description", *keys, "folder"]].copy()
    sheet.index = pd.Index([str(n) for n in sheet.index], name="scenario")
    sheet[keys] = sheet[keys].apply(pd.to_numeric, errors="coerce")
    headers = {
        "scenario": "Scenario",
        "description": "Description",
        "folder": "Folder",
        **{i.key: i.label for i in INDICATORS},
    }
    info = pd.DataFrame(
        {
            "Column": [i.label for i in INDICATORS],
            "metrics.json key": keys,
            "Best": [i.better or "" for i in INDICATORS],
        }
    )
    marks = best.copy()
    marks.index = sheet.index
    return write_workbook(
        path,
        {
            "comparison": Sheet(sheet, headers=headers, marks=marks),
            "indicators": Sheet(info, index=False),
        },
    )


def compare(
    inputs: Sequence[str | Path | ScenarioRun],
    out: str | Path = "outputs",
    *,
    pair: tuple[str, str] | None = None,
    lang: str = "en",
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
        Label language of the map.

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
    results = {r[0]: r[4] for r in runs if r[4] is not None}
    map_file = _before_after(results, target, pair=pair, lang=lang)
    html_path = write_html(table, best, target / "comparison.html", map_file=map_file)
    xlsx_path = write_xlsx(table, best, target / "comparison.xlsx")
    _logger.info("Compared %d scenarios into %s", len(table), target)
    return Comparison(
        table=table, best=best, html=html_path, xlsx=xlsx_path, before_after_map=map_file
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
