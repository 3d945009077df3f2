"""One plan per school (一校一案): a page and PDF per school, and ``school_needs.xlsx``.

The numbers come from :func:`geoplan.plan.needs.school_needs`. Every figure worked from a
standard without a found source (``placeholder`` in ``standards.yaml``) carries a ``†`` mark on
the pages and PDFs and ``placeholder = True`` in the workbook, with the standards named.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from geoplan.atomic import write_atomic
from geoplan.csv_tables import write_csv
from geoplan.outputs import maps, printing
from geoplan.outputs.labels import (
    MAP_LABELS,
    PRIORITY_CLASS_ZH,
    SCHOOL_PLAN_TEXT,
    STANDARD_TEXT_ZH,
    UNIT_ZH,
    column_label,
    texts,
)
from geoplan.outputs.planner_tables import count_text, whole_counts, worded
from geoplan.outputs.profiles import display_name, file_stem
from geoplan.plan.investments import InvestmentPlan
from geoplan.plan.needs import ITEMS, PRIORITY_CLASSES, SchoolNeeds
from geoplan.plan.pipeline import PlanResult
from geoplan.plan.standards import Standards, default_standards, standards_table
from geoplan.workbooks import Sheet, write_workbook

__all__ = [
    "PLACEHOLDER_MARK",
    "investment_chart_svg",
    "plan_page",
    "plan_pdf",
    "plan_stem",
    "write_investment_plan",
    "write_needs_workbook",
    "write_school_plans",
]

_logger = logging.getLogger(__name__)

PLACEHOLDER_MARK = "†"
"""Mark of a figure worked from a placeholder standard (no source found)."""


def plan_stem(school_id: str) -> str:
    """File stem of a school's plan page: its profile's stem with ``_plan``."""
    return f"{file_stem(school_id)}_plan"


def _num(value: Any, digits: int = 0) -> str:
    if value is None or pd.isna(value):
        return ""
    if digits == 0:  # pupils and yuan: whole, rounded half up
        return count_text(float(value))
    return f"{float(value):,.{digits}f}"


def _class_label(priority: int, lang: str) -> str:
    name = PRIORITY_CLASS_ZH[priority] if lang == "zh" else PRIORITY_CLASSES[priority]
    return f"{priority} {name}"


def _school_names(result: PlanResult, lang: str) -> dict[str, str]:
    return {str(s): display_name(row, lang) for s, row in result.schools.iterrows()}


def _tables(
    result: PlanResult,
    needs: SchoolNeeds,
    sid: str,
    lang: str,
    years: Mapping[str, float] | None = None,
) -> tuple[list[tuple[str, str]], list[str], list[list[str]], list[str], list[str]]:
    """Summary rows, item header and rows, the placeholder keys used, and rotation lines."""
    text = texts(SCHOOL_PLAN_TEXT, lang)
    school = needs.schools.loc[sid]
    items = needs.items[needs.items["school"] == sid]
    summary = [
        (text["pupils"], _num(school["pupils"])),
        (text["classes"], _num(school["classes_needed"])),
        (text["boarders"], _num(school["boarders"])),
    ]
    for p in PRIORITY_CLASSES:
        summary.append((f"{text['cost']}: {_class_label(p, lang)}", _num(school[f"cost_{p}_yuan"])))
    summary.append((f"{text['cost']}: {text['total']}", _num(school["cost_yuan"])))
    header = [
        text[k]
        for k in (
            "class", "item", "status", "have", "standard", "shortfall", "unit", "unit_cost",
            "cost_yuan", "helped",
        )
    ]  # fmt: skip
    if years is not None:
        header.append(text["year"])
    rows: list[list[str]] = []
    keys: list[str] = []
    for _, r in items.iterrows():
        item = ITEMS[str(r["item"])]
        mark = f" {PLACEHOLDER_MARK}" if r["placeholder"] else ""
        surveyed = r["status"] != "not_surveyed"
        if r["placeholder"]:
            keys += [k for k in str(r["placeholder_standards"]).split(", ") if k not in keys]
        rows.append(
            [
                _class_label(int(r["priority"]), lang),
                item.zh if lang == "zh" else item.en,
                text[str(r["status"])],
                _num(r["have"], 1).removesuffix(".0") if surveyed else "",
                _num(r["standard"], 1).removesuffix(".0") + (mark if surveyed else ""),
                _num(r["shortfall"], 1).removesuffix(".0") if surveyed else "",
                UNIT_ZH.get(str(r["unit"]), str(r["unit"])) if lang == "zh" else str(r["unit"]),
                _num(r["unit_cost_yuan"]) + mark,
                (_num(r["cost_yuan"]) + mark) if surveyed else "",
                _num(r["pupils_helped"]) if surveyed else "",
            ]
        )
        if years is not None:
            year = years.get(str(r.name), math.nan)
            rows[-1].append(
                str(int(year))
                if pd.notna(year)
                else (text["unfunded"] if r["cost_yuan"] > 0 else "")
            )
    return summary, header, rows, keys, _rotation_lines(result, needs, sid, lang)


def _rotation_lines(result: PlanResult, needs: SchoolNeeds, sid: str, lang: str) -> list[str]:
    rot = needs.rotation
    part = rot[(rot["from_school"] == sid) | (rot["to_school"] == sid)]
    names = _school_names(result, lang)
    text = texts(SCHOOL_PLAN_TEXT, lang)
    return [
        f"{names.get(str(r['from_school']), r['from_school'])} → "
        f"{names.get(str(r['to_school']), r['to_school'])}: {int(r['teachers'])} "
        f"({text[str(r['level'])]}, {float(r['minutes']):.0f} min)"
        for _, r in part.iterrows()
    ]


def _teacher_rows(needs: SchoolNeeds, sid: str, lang: str) -> tuple[list[str], list[list[str]]]:
    text = texts(SCHOOL_PLAN_TEXT, lang)
    part = needs.teachers[needs.teachers["school"] == sid]
    header = [text[k] for k in ("level", "needed", "in_post", "shortage", "surplus")]
    rows = [
        [
            text[str(r["level"])],
            _num(r["needed"]),
            _num(r["in_post"]) if pd.notna(r["in_post"]) else text["not_surveyed"],
            _num(r["shortage"]),
            _num(r["surplus"]),
        ]
        for _, r in part.iterrows()
    ]
    return header, rows


def _standard_rows(needs: SchoolNeeds, sid: str, lang: str) -> tuple[list[str], list[list[str]]]:
    text = texts(SCHOOL_PLAN_TEXT, lang)
    used = {
        k
        for item in needs.items.loc[needs.items["school"] == sid, "item"]
        for k in ITEMS[str(item)].standards
    }
    header = [text[k] for k in ("standard", "value", "unit", "source", "confidence")]
    rows = []
    for row in _standards_shown(needs.standards, lang):
        if row["standard"] not in used:
            continue
        mark = f" {PLACEHOLDER_MARK} {text['placeholder']}" if row["placeholder"] else ""
        rows.append(
            [
                str(row["standard"]) + mark,
                str(row["value"]).removesuffix(".0"),
                str(row["unit"]),
                str(row["source"]) or "—",
                str(row["confidence"]),
            ]
        )
    return header, rows


def _standards_shown(standards: Standards, lang: str) -> list[dict[str, Any]]:
    """:func:`standards_table` in ``lang``.

    In Chinese the unit, source and note of a shipped standard come from
    :data:`STANDARD_TEXT_ZH`; a county's own text stays as it was given.
    """
    rows = standards_table(standards)
    if lang != "zh":
        return rows
    shipped = {str(r["standard"]): r for r in standards_table(default_standards())}
    out = []
    for row in rows:
        key = str(row["standard"])
        zh = STANDARD_TEXT_ZH.get(key, {})
        row = dict(row)
        for part in ("unit", "source", "note"):
            if part in zh and row[part] == shipped.get(key, {}).get(part):
                row[part] = zh[part]
        out.append(row)
    return out


def _grid(header: Sequence[str], body: Sequence[Sequence[str]], *, text: Sequence[int] = ()) -> str:
    """An HTML table; columns ``text`` (indices) hold words and are aligned left."""

    def cell(tag: str, i: int, value: str) -> str:
        left = " class='geoplan-text'" if i in text else ""
        return f"<{tag}{left}>{maps.escape(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    rows = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(cells)) + "</tr>" for cells in body
    )
    return f"<table class='geoplan-grid'><tr>{head}</tr>{rows}</table>"


_CSS = (
    "<style>body{margin:0;font:14px 'Noto Sans CJK SC','Noto Sans',sans-serif;background:#fff}"
    ".geoplan-doc{padding:12px 24px;max-width:1100px}"
    ".geoplan-doc h1{font-size:22px;margin:6px 0}.geoplan-doc h2{font-size:17px;margin:14px 0 6px}"
    ".geoplan-grid{border-collapse:collapse;margin:4px 0}"
    ".geoplan-grid td,.geoplan-grid th{border:1px solid #bbb;padding:3px 8px;text-align:right}"
    ".geoplan-grid td:first-child,.geoplan-grid th:first-child{text-align:left}"
    ".geoplan-grid .geoplan-text{text-align:left}.geoplan-mark{color:#b00020}</style>"
)


def plan_page(
    result: PlanResult,
    needs: SchoolNeeds,
    sid: str,
    *,
    lang: str = "en",
    years: Mapping[str, float] | None = None,
) -> str:
    """One school's plan page (一校一案): an offline HTML page (no script, no map).

    With ``years`` (item id -> year funded, from an investment plan) the items show their year.
    """
    text = texts(SCHOOL_PLAN_TEXT, lang)
    labels = texts(MAP_LABELS, lang)
    name = display_name(result.schools.loc[sid], lang)
    stem = file_stem(sid)
    summary, header, rows, keys, rotation = _tables(result, needs, sid, lang, years)
    t_head, t_rows = _teacher_rows(needs, sid, lang)
    s_head, s_rows = _standard_rows(needs, sid, lang)
    mark = (
        f"<p class='geoplan-mark'>{maps.escape(labels['synthetic'])}</p>"
        if result.area.synthetic
        else ""
    )
    note = (
        "<p class='geoplan-mark'>"
        + maps.escape(text["placeholder_note"].format(mark=PLACEHOLDER_MARK, keys=", ".join(keys)))
        + "</p>"
        if keys
        else ""
    )
    rot = (
        "<ul>" + "".join(f"<li>{maps.escape(line)}</li>" for line in rotation) + "</ul>"
        if rotation
        else f"<p>{maps.escape(text['no_rotation'])}</p>"
    )
    lang_attr = "zh-CN" if lang == "zh" else "en"
    title = f"{text['title']}: {name}"
    return (
        f"<!DOCTYPE html><html lang='{lang_attr}'><head><meta charset='utf-8'>"
        f"<title>{maps.escape(title)}</title>{_CSS}</head><body><div class='geoplan-doc'>"
        f"<p><a href='index.html'>{maps.escape(text['index'])}</a> · "
        f"<a href='{stem}.html'>{maps.escape(text['profile'])}</a> · "
        f"<a href='{plan_stem(sid)}.pdf'>{maps.escape(text['pdf'])}</a></p>"
        f"<h1>{maps.escape(title)}</h1>{mark}"
        f"<h2>{maps.escape(text['final'].format(year=needs.year))}</h2>"
        + _grid(["", ""], summary)
        + f"<h2>{maps.escape(text['lacks'])}</h2>"
        + _grid(header, rows, text=(0, 1, 2, 6))
        + note
        + f"<h2>{maps.escape(text['teachers'])}</h2>"
        + _grid(t_head, t_rows)
        + f"<h2>{maps.escape(text['rotation'])}</h2>"
        + rot
        + f"<h2>{maps.escape(text['standards'])}</h2>"
        + _grid(s_head, s_rows, text=(0, 1, 2, 3, 4))
        + "</div></body></html>"
    )


def plan_pdf(
    result: PlanResult,
    needs: SchoolNeeds,
    sid: str,
    path: str | Path,
    *,
    lang: str = "en",
    years: Mapping[str, float] | None = None,
) -> Path:
    """One school's printable A4 plan (fpdf2, a system CJK font embedded for Chinese).

    Raises
    ------
    MissingDependencyError
        For Chinese when no CJK font is installed (the message says how to install one).
    """
    from fpdf.fonts import FontFace

    text = texts(SCHOOL_PLAN_TEXT, lang)
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    pdf, family = printing.pdf_document(orientation="landscape", lang=lang, what="PDF school plan")

    def clean(value: str) -> str:  # the core fonts know latin-1 only
        if family == "cjk":
            return value
        value = value.replace(PLACEHOLDER_MARK, "+").replace("→", "->").replace("²", "2")
        return value.encode("latin-1", "replace").decode("latin-1")

    pdf.add_page()
    name = display_name(result.schools.loc[sid], lang)
    summary, header, rows, keys, rotation = _tables(result, needs, sid, lang, years)
    synthetic = clean(texts(MAP_LABELS, lang)["synthetic"]) if result.area.synthetic else None
    printing.pdf_heading(
        pdf,
        family,
        clean(f"{text['title']}: {name}"),
        clean(result.area.name),
        title_size=17,
        synthetic=synthetic,
    )
    heading = FontFace(emphasis=None, fill_color=(230, 230, 230))

    def section(title: str) -> None:
        pdf.set_font(family, size=12)
        pdf.cell(0, 8, clean(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=8)

    def table(head: Sequence[str], body: Sequence[Sequence[str]]) -> None:
        with pdf.table(headings_style=heading, text_align="LEFT", align="LEFT") as t:
            t.row([clean(h) for h in head])
            for cells in body:
                t.row([clean(c) for c in cells])

    section(text["final"].format(year=needs.year))
    with pdf.table(col_widths=(90, 40), width=130, align="LEFT", first_row_as_headings=False) as t:
        for label, value in summary:
            t.row([clean(label), clean(value)])
    section(text["lacks"])
    table(header, rows)
    if keys:
        pdf.set_text_color(176, 0, 32)
        note = text["placeholder_note"].format(mark=PLACEHOLDER_MARK, keys=", ".join(keys))
        pdf.multi_cell(0, 5, clean(note), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    section(text["teachers"])
    table(*_teacher_rows(needs, sid, lang))
    section(text["rotation"])
    for line in rotation or [text["no_rotation"]]:
        pdf.multi_cell(0, 5, clean(f"- {line}"), new_x="LMARGIN", new_y="NEXT")
    section(text["standards"])
    table(*_standard_rows(needs, sid, lang))
    pdf.output(str(dest))
    return dest


def write_needs_workbook(needs: SchoolNeeds, path: str | Path, *, lang: str = "en") -> list[Path]:
    """Write ``school_needs.xlsx`` (and the items as ``school_needs.csv``).

    The CSV is written by :func:`geoplan.csv_tables.write_csv` (counts as whole numbers, square
    metres and other amounts to 2 places, yuan whole).

    Sheets: ``needs`` (one row per school and item), ``schools``, ``teachers``, ``rotation``,
    ``standards`` (every standard with its source, confidence and placeholder flag) and
    ``notes`` (what the placeholder flag means, the projection year).
    """
    dest = Path(path).with_suffix(".xlsx")
    csv = dest.with_suffix(".csv")
    dest.parent.mkdir(parents=True, exist_ok=True)
    items = _with_item_names(whole_counts(needs.items), lang)
    write_csv(items, csv)
    placeholders = ", ".join(s.key for s in needs.standards.values.values() if s.placeholder)
    notes = pd.DataFrame({"note": _needs_notes(needs, placeholders, lang)})
    headers = _headers(lang)
    write_workbook(
        dest,
        {
            "needs": Sheet(worded(items, lang), headers=headers),
            "schools": Sheet(worded(whole_counts(needs.schools), lang), headers=headers),
            "teachers": Sheet(worded(whole_counts(needs.teachers), lang), headers=headers),
            "rotation": Sheet(worded(needs.rotation, lang), index=False, headers=headers),
            "standards": Sheet(
                worded(pd.DataFrame(_standards_shown(needs.standards, lang)), lang),
                index=False,
                headers=headers,
            ),
            "notes": Sheet(notes, index=False, headers=headers),
        },
    )
    return [csv, dest]


def _with_item_names(items: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``items`` with ``item_name`` (the item in ``lang``) after its ``item`` code."""
    if "item" not in items.columns or "item_name" in items.columns:
        return items
    named = [
        str(i) if str(i) not in ITEMS else ITEMS[str(i)].zh if lang == "zh" else ITEMS[str(i)].en
        for i in items["item"]
    ]
    out = items.copy()
    out.insert(list(out.columns).index("item") + 1, "item_name", named)
    return out


def _needs_notes(needs: SchoolNeeds, placeholders: str, lang: str) -> list[str]:
    """The ``notes`` sheet of ``school_needs.xlsx`` in ``lang``."""
    if lang == "zh":
        return [
            f"需求按预测末年（第{needs.year}年）、规划后计算。",
            f"暂定标准为 TRUE：该行所用标准未找到出处（{placeholders}）；请以本县数值替换。",
            "受益学生：一类项目为全校学生；二类项目为缺学位、在大班额中或缺床位的学生；"
            "三类项目为所配备班级的学生。",
            f"标准文件：{needs.standards.file}。",
        ]
    return [
        f"Needs for the last projected year, {needs.year}, after the plan.",
        "placeholder = True: the row uses a standard without a found source "
        f"({placeholders}); replace it with the county's own figure.",
        "pupils_helped: class 1 every pupil; class 2 pupils without a place, in "
        "oversized classes or without a bed; class 3 the pupils of the classes it equips.",
        f"Standards file: {needs.standards.file}.",
    ]


def _headers(lang: str) -> Callable[[str], str]:
    """Workbook headers in ``lang`` (:func:`geoplan.outputs.labels.column_label`)."""
    return lambda name: column_label(name, lang)


def write_school_plans(
    result: PlanResult,
    needs: SchoolNeeds,
    folder: str | Path,
    *,
    lang: str = "en",
    pdf: bool = True,
    years: Mapping[str, float] | None = None,
) -> list[Path]:
    """Write one plan page (and PDF) per school into ``folder`` (beside the profiles).

    ``years``: item id -> year funded (an investment plan's), shown beside each item.
    """
    out = Path(folder)
    written: list[Path] = []
    for sid in tqdm(needs.schools.index, desc="School plans", unit="school", disable=None):
        stem = plan_stem(str(sid))
        written.append(
            write_atomic(
                out / f"{stem}.html", plan_page(result, needs, str(sid), lang=lang, years=years)
            )
        )
        if pdf:
            written.append(
                plan_pdf(result, needs, str(sid), out / f"{stem}.pdf", lang=lang, years=years)
            )
    _logger.info("wrote %d school plan files to %s", len(written), out)
    return written


def investment_chart_svg(plan: InvestmentPlan, *, lang: str = "en") -> str:
    """An inline SVG chart: spending (bars, million yuan) and pupils helped (line) by year."""
    from matplotlib.figure import Figure

    text = texts(SCHOOL_PLAN_TEXT, lang)
    years = [str(y) for y in plan.years.index]
    with printing.font_context(lang):
        fig = Figure(figsize=(7.0, 3.4))
        ax = fig.add_axes((0.1, 0.15, 0.78, 0.72))
        ax.bar(years, plan.years["budget_yuan"] / 1e6, color="#dddddd", label=text["budget"])
        ax.bar(years, plan.years["spent_yuan"] / 1e6, width=0.5, color="#3182bd",
               label=text["spent"])  # fmt: skip
        ax.set_ylabel(text["million_yuan"])
        right = ax.twinx()
        right.plot(years, plan.years["pupils_helped"], color="#e6550d", marker="o",
                   label=text["helped"])  # fmt: skip
        right.set_ylabel(text["helped"])
        right.set_ylim(bottom=0)
        handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
        ax.legend(handles=handles, loc="upper left", fontsize=8)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def write_investment_plan(
    plan: InvestmentPlan, folder: str | Path, *, lang: str = "en", synthetic: bool = False
) -> list[Path]:
    """Write ``investment_plan.xlsx`` and ``investment_plan.html``.

    The workbook has sheets ``years``, ``schools`` and ``items``; the page the chart of spending
    and pupils helped by year, and the table per year.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    xlsx = out / "investment_plan.xlsx"
    headers = _headers(lang)
    write_workbook(
        xlsx,
        {
            "years": Sheet(whole_counts(plan.years), headers=headers),
            "schools": Sheet(whole_counts(plan.schools), headers=headers),
            "items": Sheet(
                worded(_with_item_names(whole_counts(plan.items), lang), lang), headers=headers
            ),
        },
    )
    text = texts(SCHOOL_PLAN_TEXT, lang)
    labels = texts(MAP_LABELS, lang)
    mark = f"<p class='geoplan-mark'>{maps.escape(labels['synthetic'])}</p>" if synthetic else ""
    body = [
        [
            str(y),
            _num(r["budget_yuan"]),
            _num(r["carried_in_yuan"]),
            _num(r["spent_yuan"]),
            _num(r["items"]),
            _num(r["pupils_helped"]),
        ]
        for y, r in plan.years.iterrows()
    ]
    head = [text[k] for k in ("year", "budget", "carried", "spent", "items", "helped")]
    lang_attr = "zh-CN" if lang == "zh" else "en"
    page = (
        f"<!DOCTYPE html><html lang='{lang_attr}'><head><meta charset='utf-8'>"
        f"<title>{maps.escape(text['investment'])}</title>{_CSS}</head><body>"
        f"<div class='geoplan-doc'><h1>{maps.escape(text['investment'])}</h1>{mark}"
        + investment_chart_svg(plan, lang=lang)
        + _grid(head, body)
        + "</div></body></html>"
    )
    html = write_atomic(out / "investment_plan.html", page)
    return [xlsx, html]
