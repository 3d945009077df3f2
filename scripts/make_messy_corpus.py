"""Write the messy-but-valid corpus: the demo county's tables as township offices send them.

Every case is a planning-area folder holding a copy of the clean demo GeoPackage plus one or two
files of one layer written the way office spreadsheets are (files named by layer win over the
GeoPackage's layers). Each folder must validate with notes only and read back to exactly the clean
demo's layers; ``tests/test_messy_corpus.py`` runs this script into a temporary folder and checks
that. Seeded, so the same seed writes the same files.

Cases (folder: what is messy):

- ``title_rows_xlsx``: villages.xlsx with a merged title row and a "填报单位" row above the header,
  synonym headers (村庄名称, 所在乡镇, 1-3年级学生数), townships by Chinese name, text numbers,
  full-width digits, ``人`` units, a blank row and a 合计 row.
- ``two_row_header_xlsx``: schools.xlsx whose header is two rows (``1-3年级`` merged over
  ``班数``/``在校生``/``规划增班``), one ``经纬度`` cell in either order, kinds in Chinese,
  ``年运行费用(万元)``, and a 合计 row.
- ``two_sheets_xlsx``: sites.xlsx with a notes sheet before the data sheet, DMS coordinates,
  ``131万`` and ``34.8万元`` as text.
- ``sheet_named_xlsx``: villages.xlsx with last year's and this year's sheets; columns.yaml names
  the sheet (``villages: {sheet: 2024年秋季}``).
- ``gbk_csv``: villages.csv in GBK with a title line, a 小计 row after each township and a 合计 row
  with a thousands separator.
- ``utf16_txt``: schools.txt, Excel's "Unicode text" (UTF-16 with BOM, tab-separated).
- ``xls``: villages.xls written with xlwt: merged title, header, numbers and text numbers, 合计.
- ``kml_xlsx``: villages.kml (a folder per township, points named in Chinese) with villages.xlsx
  (the pupils, no coordinates); sites.kmz (no folders) with sites.xlsx.

Usage: ``python scripts/make_messy_corpus.py OUT [--seed N]``.
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import xlwt

from geoplan.data.area import SCHOOL_CONDITIONS
from geoplan.data.datasets import DEMO_GPKG, demo_folder

SEED = 2016
CASES: tuple[str, ...] = (
    "title_rows_xlsx",
    "two_row_header_xlsx",
    "two_sheets_xlsx",
    "sheet_named_xlsx",
    "gbk_csv",
    "utf16_txt",
    "xls",
    "kml_xlsx",
)
"""The folders written, one per case."""

KIND_ZH = {
    "teaching_point": "教学点",
    "primary": "完小",
    "central_primary": "中心校",
    "nine_year": "九年一贯制学校",
    "middle": "初中",
}
STATUS_ZH = {"open": "开办", "closed": "撤并"}
DECISION_ZH = {"free": "自由", "must": "必须", "never": "不恢复"}
BANDS = ("g1_3", "g4_6", "g7_9")
BAND_ZH = {"g1_3": "1-3年级", "g4_6": "4-6年级", "g7_9": "7-9年级"}
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _layer(name: str) -> pd.DataFrame:
    gdf = pyogrio.read_dataframe(demo_folder() / DEMO_GPKG, layer=name)
    frame = pd.DataFrame(gdf.drop(columns="geometry"))
    if (gdf.geom_type == "Point").all():
        frame["lon"] = gdf.geometry.x
        frame["lat"] = gdf.geometry.y
    return frame.reset_index(drop=True)


def _township_zh() -> dict[str, str]:
    tws = _layer("townships")
    return dict(zip(tws["id"], tws["name_zh"], strict=True))


def _count(value: Any, rng: np.random.Generator) -> Any:
    """A whole count as an office file holds it: number, text, full-width or with 人."""
    if pd.isna(value):
        return None
    n = int(value)
    pick = rng.integers(4)
    if pick == 0:
        return n
    if pick == 1:
        return str(n)
    if pick == 2:
        return str(n).translate(FULL_WIDTH)
    return f"{n}人"


def _new_case(out: Path, name: str) -> Path:
    folder = out / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copy(demo_folder() / DEMO_GPKG, folder / DEMO_GPKG)
    return folder


def _sum_row(frame: pd.DataFrame, columns: list[str]) -> dict[str, Any]:
    return {c: int(pd.to_numeric(frame[c]).sum()) for c in columns}


# --------------------------------------------------------------------------- villages


_PUPILS = [f"pupils_{b}" for b in BANDS]
_SPLIT = [f"pupils_{b}_{p}" for b in BANDS for p in ("resident", "migrant")]


def _village_rows(rng: np.random.Generator) -> tuple[list[str], list[list[Any]], list[str]]:
    """Header and rows of villages with synonym headers; also the numeric columns' headers."""
    villages = _layer("villages")
    zh = _township_zh()
    header = ["序号", "编号", "村庄名称", "中文名称", "所在乡镇", "经度", "纬度"]
    header += [f"{BAND_ZH[b]}学生数" for b in BANDS]
    header += [f"{BAND_ZH[b]}{part}人数" for b in BANDS for part in ("常住", "流动")]
    rows = []
    for k, v in villages.iterrows():
        row: list[Any] = [k + 1, v["id"], v["name"], v["name_zh"], zh[v["township"]]]
        row += [repr(float(v["lon"])), float(v["lat"])]
        row += [_count(v[c], rng) for c in (*_PUPILS, *_SPLIT)]
        rows.append(row)
    return header, rows, [*_PUPILS, *_SPLIT]


def _villages_totals(numeric: list[str]) -> list[int]:
    villages = _layer("villages")
    return [int(villages[c].sum()) for c in numeric]


def _title_rows_xlsx(out: Path, rng: np.random.Generator) -> None:
    folder = _new_case(out, "title_rows_xlsx")
    header, rows, numeric = _village_rows(rng)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "村级学生"
    sheet.append(["和静县各村义务教育阶段学生统计表（2024年秋季）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(["填报单位：县教育局", None, None, None, None, "填报日期：2024年9月"])
    sheet.append(header)
    for k, row in enumerate(rows):
        sheet.append(row)
        if k == len(rows) // 2:
            sheet.append([None] * len(header))  # a blank row in the middle
    sheet.append([None, None, "合 计", None, None, None, None, *_villages_totals(numeric)])
    book.save(folder / "villages.xlsx")


def _sheet_named_xlsx(out: Path, rng: np.random.Generator) -> None:
    folder = _new_case(out, "sheet_named_xlsx")
    header, rows, _ = _village_rows(rng)
    book = openpyxl.Workbook()
    old = book.active
    assert old is not None
    old.title = "2023年秋季"
    old.append(header)
    for row in rows[:10]:
        old.append([*row[:7], *([0] * (len(header) - 7))])  # last year's, not to be read
    new = book.create_sheet("2024年秋季")
    new.append(header)
    for row in rows:
        new.append(row)
    book.save(folder / "villages.xlsx")
    (folder / "columns.yaml").write_text("villages:\n  sheet: 2024年秋季\n", encoding="utf-8")


def _gbk_csv(out: Path, rng: np.random.Generator) -> None:
    folder = _new_case(out, "gbk_csv")
    header, rows, numeric = _village_rows(rng)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["阿拉沟乡等各村学生数统计表", *[""] * (len(header) - 1)])
    writer.writerow(header)
    villages = _layer("villages")
    order = villages.sort_values(["township", "id"]).index
    current = None
    group: list[int] = []

    def subtotal() -> None:
        sums = [int(villages.loc[group, c].sum()) for c in numeric]
        writer.writerow(["", "", "小计", "", "", "", "", *sums])

    for k in order:
        if current is not None and villages.loc[k, "township"] != current:
            subtotal()
            group = []
        current = villages.loc[k, "township"]
        group.append(int(k))
        writer.writerow(rows[int(k)])
    subtotal()
    totals = [f"{t:,}" for t in _villages_totals(numeric)]  # 1,234: a thousands separator
    writer.writerow(["", "", "合计", "", "", "", "", *totals])
    (folder / "villages.csv").write_bytes(buffer.getvalue().encode("gbk"))


def _xls(out: Path, rng: np.random.Generator) -> None:
    folder = _new_case(out, "xls")
    header, rows, numeric = _village_rows(rng)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("村级学生")
    sheet.write_merge(0, 0, 0, len(header) - 1, "和静县各村学生统计表")
    for c, text in enumerate(header):
        sheet.write(1, c, text)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    last = len(rows) + 2
    sheet.write(last, 2, "合计")
    for c, total in enumerate(_villages_totals(numeric), start=7):
        sheet.write(last, c, total)
    book.save(str(folder / "villages.xls"))


# --------------------------------------------------------------------------- schools


def _money_wan(yuan: Any) -> Any:
    if pd.isna(yuan):
        return None
    return float(f"{float(yuan) / 10_000:.6g}")


def _survey_value(value: Any) -> Any:
    """A school-survey cell as an office writes it: empty when not surveyed."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _two_row_header_xlsx(out: Path, rng: np.random.Generator) -> None:
    folder = _new_case(out, "two_row_header_xlsx")
    schools = _layer("schools")
    zh = _township_zh()
    top = ["学校编号", "学校名称", "中文名称", "学校类型", "所在乡镇", "经纬度"]
    after = ["宿舍床位", "状态", "年运行费用(万元)", *(c.zh for c in SCHOOL_CONDITIONS)]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    width = len(top) + 9 + len(after)
    sheet.append(["2024年各校基本情况表"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    upper: list[Any] = list(top)
    lower: list[Any] = [None] * len(top)
    for b in BANDS:
        upper += [BAND_ZH[b], None, None]
        lower += ["班数", "在校生", "规划增班"]
    upper += after
    lower += [None] * len(after)
    sheet.append(upper)
    sheet.append(lower)
    for c in range(1, width + 1):
        if upper[c - 1] is not None and lower[c - 1] is None:
            sheet.merge_cells(start_row=2, start_column=c, end_row=3, end_column=c)
    for k in range(len(BANDS)):
        first = len(top) + 1 + 3 * k
        sheet.merge_cells(start_row=2, start_column=first, end_row=2, end_column=first + 2)
    counted = [f"{part}_{b}" for b in BANDS for part in ("classes", "enrolment", "planned_classes")]
    for _, s in schools.iterrows():
        lon, lat = repr(float(s["lon"])), repr(float(s["lat"]))
        cell = f"{lon},{lat}" if rng.integers(2) else f"{lat}，{lon}"
        row: list[Any] = [s["id"], s["name"], s["name_zh"], KIND_ZH[s["kind"]]]
        row += [zh[s["township"]] if pd.notna(s["township"]) else None, cell]
        row += [_count(s[c], rng) for c in counted]
        row += [_count(s["boarding_beds"], rng), STATUS_ZH[s["status"]]]
        row.append(_money_wan(s["annual_cost_yuan"]))
        row += [_survey_value(s[c.name]) for c in SCHOOL_CONDITIONS]
        sheet.append(row)
    totals = [int(schools[c].sum()) for c in counted]
    money = _money_wan(schools["annual_cost_yuan"].sum())
    beds = int(schools["boarding_beds"].sum())
    sheet.append(["合计", None, None, None, None, None, *totals, beds, None, money])
    book.save(folder / "schools.xlsx")


def _utf16_txt(out: Path, rng: np.random.Generator) -> None:
    folder = _new_case(out, "utf16_txt")
    schools = _layer("schools")
    header = ["编号", "名称", "中文名称", "类型", "乡镇", "经度", "纬度"]
    counted = [f"{part}_{b}" for b in BANDS for part in ("classes", "enrolment", "planned_classes")]
    words = {"classes": "班数", "enrolment": "在校生", "planned_classes": "规划增班"}
    header += [f"{BAND_ZH[c[-4:]]}{words[c[:-5]]}" for c in counted]
    header += ["宿舍床位", "状态", "年运行费用（元）", *(c.zh for c in SCHOOL_CONDITIONS)]
    lines = ["\t".join(header)]
    for _, s in schools.iterrows():
        row = [s["id"], s["name"], s["name_zh"], KIND_ZH[s["kind"]], s["township"] or ""]
        row += [repr(float(s["lon"])), repr(float(s["lat"]))]
        row += [str(_count(s[c], rng)) for c in counted]
        cost = "" if pd.isna(s["annual_cost_yuan"]) else f"{float(s['annual_cost_yuan']):,.0f}"
        row += [str(int(s["boarding_beds"])), STATUS_ZH[s["status"]], cost]
        row += [
            "" if (v := _survey_value(s[c.name])) is None else str(v) for c in SCHOOL_CONDITIONS
        ]
        lines.append("\t".join(str(v) for v in row))
    (folder / "schools.txt").write_bytes("\r\n".join(lines).encode("utf-16"))


# --------------------------------------------------------------------------- sites


def _dms(value: float, positive: str) -> str:
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    seconds = (minutes_full - minutes) * 60
    return f"{positive}{degrees}°{minutes:02d}′{seconds:09.6f}″"


def _site_rows(rng: np.random.Generator, *, coordinates: bool) -> tuple[list[str], list[list[Any]]]:
    sites = _layer("sites")
    header = ["教学点编号", "教学点名称", "中文名称", "乡镇"]
    if coordinates:
        header += ["经度", "纬度"]
    header += ["恢复投资", "最少学生数", "最多班数", "年运行费用", "决定", "期次", "closed_year"]
    rows = []
    for _, s in sites.iterrows():
        row: list[Any] = [s["id"], s["name"], s["name_zh"], s["township"]]
        if coordinates:
            row += [_dms(float(s["lon"]), "东经"), _dms(float(s["lat"]), "北纬")]
        row += [f"{_money_wan(s['restore_cost_yuan']):g}万", _count(s["min_pupils"], rng)]
        row += [_count(s["max_classes"], rng), f"{_money_wan(s['annual_cost_yuan']):g}万元"]
        row += [DECISION_ZH[s["decision"]], None if pd.isna(s["phase"]) else int(s["phase"])]
        row += [int(s["closed_year"])]
        rows.append(row)
    return header, rows


def _two_sheets_xlsx(out: Path, rng: np.random.Generator) -> None:
    folder = _new_case(out, "two_sheets_xlsx")
    header, rows = _site_rows(rng, coordinates=True)
    book = openpyxl.Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "填表说明"
    notes.append(["说明：本表由各乡镇填报，经纬度请用奥维地图读取。"])
    notes.append(["投资单位：万元"])
    data = book.create_sheet("教学点")
    data.append(header)
    for row in rows:
        data.append(row)
    book.save(folder / "sites.xlsx")


# --------------------------------------------------------------------------- KML


def _kml(placemarks: dict[str, list[tuple[str, float, float]]]) -> str:
    """KML text: one folder per key ("" for none) of (name, lon, lat) points."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>']
    parts.append('<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>points</name>')
    for folder, points in placemarks.items():
        if folder:
            parts.append(f"<Folder><name>{escape(folder)}</name>")
        for name, lon, lat in points:
            parts.append(
                f"<Placemark><name>{escape(name)}</name><Point>"
                f"<coordinates>{lon!r},{lat!r},0</coordinates></Point></Placemark>"
            )
        if folder:
            parts.append("</Folder>")
    parts.append("</Document></kml>")
    return "\n".join(parts)


def _kml_xlsx(out: Path, rng: np.random.Generator) -> None:
    folder = _new_case(out, "kml_xlsx")
    villages = _layer("villages")
    zh = _township_zh()
    by_township: dict[str, list[tuple[str, float, float]]] = {}
    for _, v in villages.sample(frac=1.0, random_state=int(rng.integers(1 << 30))).iterrows():
        point = (str(v["name_zh"]), float(v["lon"]), float(v["lat"]))
        by_township.setdefault(zh[v["township"]], []).append(point)
    (folder / "villages.kml").write_text(_kml(by_township), encoding="utf-8")
    header, rows, numeric = _village_rows(rng)
    keep = [k for k, h in enumerate(header) if h not in ("经度", "纬度")]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["各村学生数（位置见 villages.kml）"])
    sheet.append([header[k] for k in keep])
    for row in rows:
        sheet.append([row[k] for k in keep])
    sheet.append([None, None, "合计", None, None, *_villages_totals(numeric)])
    book.save(folder / "villages.xlsx")
    sites = _layer("sites")
    points = [(str(s["name"]), float(s["lon"]), float(s["lat"])) for _, s in sites.iterrows()]
    with zipfile.ZipFile(folder / "sites.kmz", "w", zipfile.ZIP_DEFLATED) as kmz:
        kmz.writestr("doc.kml", _kml({"": points}))
    header, rows = _site_rows(rng, coordinates=False)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(folder / "sites.xlsx")


WRITERS: dict[str, Callable[[Path, np.random.Generator], None]] = {
    "title_rows_xlsx": _title_rows_xlsx,
    "two_row_header_xlsx": _two_row_header_xlsx,
    "two_sheets_xlsx": _two_sheets_xlsx,
    "sheet_named_xlsx": _sheet_named_xlsx,
    "gbk_csv": _gbk_csv,
    "utf16_txt": _utf16_txt,
    "xls": _xls,
    "kml_xlsx": _kml_xlsx,
}


def make_corpus(out: Path, *, seed: int = SEED) -> dict[str, Path]:
    """Write every case folder under ``out``; return case name -> folder."""
    out.mkdir(parents=True, exist_ok=True)
    folders = {}
    for k, name in enumerate(CASES):
        WRITERS[name](out, np.random.default_rng([seed, k]))
        folders[name] = out / name
    return folders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the case folders into")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    for name, folder in make_corpus(args.out, seed=args.seed).items():
        print(f"{name}: {folder}")


if __name__ == "__main__":
    main()
