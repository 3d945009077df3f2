"""Write tests/data/good/tiny/ (a tiny fictional county) and one bad folder per fault.

Run from the repository root: ``python tests/data/make_bad_corpus.py``. The output is
committed; this script documents how it was made. ``EXPECTED`` (imported by the tests) lists,
for each bad folder, the exit code of ``geoplan validate`` and the (file, row id, column) every
expected problem must name.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import Polygon, box

HERE = Path(__file__).resolve().parent
GOOD = HERE / "good" / "tiny"
BAD = HERE / "bad"

# (file, row id, column) each expected problem names; "" = whole file / no column.
EXPECTED: dict[str, tuple[int, list[tuple[str, str, str]]]] = {
    "missing_crs": (1, [("townships.shp", "", "")]),
    "unknown_crs": (1, [("townships.geojson", "", "")]),
    "missing_layer": (1, [("missing_layer", "", "")]),
    "no_roads": (1, [("no_roads", "", "")]),
    "roads_damaged": (1, [("roads.osm.bz2", "", "")]),
    "swapped_lonlat": (1, [("villages.csv", "V2", "经度 (lon)/纬度 (lat)")]),
    "lonlat_out_of_range": (1, [("villages.csv", "V3", "经度 (lon)")]),
    "bad_coordinate": (1, [("villages.csv", "V2", "经度 (lon)")]),
    "xy_without_crs": (1, [("villages.csv", "", "x/y")]),
    "outside_boundary": (1, [("villages.csv", "V4", "geometry")]),
    "duplicate_id": (1, [("villages.csv", "V1", "编号 (id)")]),
    "missing_id": (1, [("villages.csv", "line 7", "编号 (id)")]),
    "negative_pupils": (1, [("villages.csv", "V2", "1-3年级人数 (pupils_g1_3)")]),
    "fractional_pupils": (1, [("villages.csv", "V3", "4-6年级人数 (pupils_g4_6)")]),
    "missing_pupils": (1, [("villages.csv", "V1", "7-9年级人数 (pupils_g7_9)")]),
    "unknown_township": (1, [("villages.csv", "V5", "乡镇 (township)")]),
    "missing_column": (1, [("villages.csv", "", "pupils_g1_3")]),
    "empty_layer": (1, [("villages.csv", "", "")]),
    "empty_file": (1, [("villages.csv", "", "")]),
    "undecodable_text": (1, [("villages.csv", "line 4", "")]),
    "invalid_polygon": (0, [("townships.geojson", "T2", "geometry")]),
    "unknown_kind": (1, [("schools.xlsx", "S2", "kind")]),
    "negative_classes": (1, [("schools.xlsx", "S1", "classes_g1_3")]),
    "zero_class_size_limit": (1, [("schools.xlsx", "S3", "class_size_limit")]),
    "unknown_decision": (1, [("sites.csv", "P1", "decision")]),
    "unknown_school": (1, [("blocks.geojson", "B2", "school_primary")]),
    "ids_differ_in_case": (1, [("villages.csv", "v1", "编号 (id)")]),
    "kind_contradicts_classes": (0, [("schools.xlsx", "S2", "kind/classes_g4_6")]),
    "school_of_wrong_level": (1, [("blocks.geojson", "B2", "school_primary")]),
    "sheet_missing": (1, [("columns.yaml", "", "sheet")]),
    "columns_section_not_mapping": (1, [("columns.yaml", "line 1", "")]),
    "polygons_in_a_table": (1, [("townships.csv", "", "")]),
    "formula_without_value": (1, [("schools.xlsx", "Excel row 3", "classes_g1_3")]),
    "kml_name_unmatched": (
        1,
        [("villages.csv", "V3", "名称 (name)"), ("villages.kml", "point 3", "name")],
    ),
    "coordinate_pair_bad": (1, [("villages.csv", "line 3", "经纬度 (lonlat)")]),
    "ids_in_scientific_notation": (1, [("villages.csv", "line 2", "编号 (id)")]),
    "messy": (
        1,
        [
            ("villages.csv", "V2", "经度 (lon)/纬度 (lat)"),
            ("villages.csv", "V3", "1-3年级人数 (pupils_g1_3)"),
            ("villages.csv", "V1", "编号 (id)"),
            ("villages.csv", "V4", "乡镇 (township)"),
            ("schools.xlsx", "S2", "kind"),
            ("sites.csv", "P1", "decision"),
            ("blocks.geojson", "B2", "school_primary"),
        ],
    ),
}

ROAD_FAULTS: tuple[str, ...] = ("no_roads", "roads_damaged")
"""Faults of the road file: refused by `geoplan validate`, which reads it as a run does
(`geoplan.network.roads.road_file_problems`), not by the reader of the layers."""

SCENARIOS_DIR = BAD / "scenarios"
TINY_COUNTY = HERE / "scenarios" / "tiny_county"
_BASE = "base: ../../scenarios/base/tiny.yaml\n"

# One scenario per fault, run with `geoplan run FILE --out OUT`: its text, the exit code, and
# words stderr must hold (the file, the line of the field as counted in the text, the field).
SCENARIOS: dict[str, tuple[str, int, list[str]]] = {
    "section_twice": (
        _BASE + "restoration:\n  enabled: true\n  must: [P1]\nprojection: {years: 1}\n"
        "restoration:\n  enabled: false\n",
        1,
        ["section_twice.yaml", "line 6", "'restoration' is written twice, at lines 2 and 6"],
    ),
    "key_twice_in_a_closure": (
        _BASE + "closures:\n  roads:\n  - label: winter\n    names: [Tiny Pass]\n"
        "    names: [Valley Road]\n",
        1,
        ["key_twice_in_a_closure.yaml", "'closures.roads[0].names'", "at lines 5 and 6"],
    ),
    "closure_matches_no_road": (
        _BASE + "closures:\n  roads:\n  - label: winter\n    names: [Tiny Pas]\n",
        1,
        ["closure_matches_no_road.yaml line 3", "no road is named 'Tiny Pas'", "'Tiny Pass'"],
    ),
    "unknown_must_site": (
        _BASE + "restoration:\n  enabled: true\n  must: [P9]\n",
        1,
        ["unknown_must_site.yaml line 4", "restoration.must", "P9", "P1"],
    ),
    "unknown_closed_school": (
        _BASE + "closures:\n  schools: [S1, S9]\n",
        1,
        ["unknown_closed_school.yaml line 3", "closures.schools", "S9"],
    ),
    "must_site_fits_no_phase": (
        _BASE + "restoration:\n  enabled: true\n  sites_per_phase: [0]\n  must: [P1]\n",
        1,
        ["must_site_fits_no_phase.yaml line 5", "restoration.must: P1"],
    ),
    "roads_of_another_county": (
        _BASE + "area:\n  roads: far_roads.graphml\n",
        1,
        ["far_roads.graphml", "misses the county", "5 of 5 villages", "longitude"],
    ),
    "years_not_positive": (
        _BASE + "projection:\n  years: 0\n",
        1,
        ["years_not_positive.yaml", "line 3", "projection.years"],
    ),
    "misspelt_section": (
        _BASE + "restoraton:\n  enabled: true\n",
        1,
        ["misspelt_section.yaml", "line 2", "restoraton", "Did you mean 'restoration'?"],
    ),
    "closure_way_not_in_network": (
        _BASE + "closures:\n  roads:\n  - label: flood\n    way_ids: [999999]\n",
        1,
        ["closure_way_not_in_network.yaml line 3", "way id(s) [999999]"],
    ),
    "closure_closes_nothing": (
        _BASE + "closures:\n  roads:\n  - label: winter\n",
        1,
        ["closure_closes_nothing.yaml", "line 4", "closures.roads[0]", "closes nothing"],
    ),
    "sites_and_budget_per_phase": (
        _BASE + "restoration:\n  enabled: true\n  budget_per_phase_yuan: [900000]\n",
        1,
        ["sites_and_budget_per_phase.yaml", "restoration.budget_per_phase_yuan", "Both sites"],
    ),
    "must_site_over_budget": (
        _BASE + "restoration:\n  enabled: true\n  sites_per_phase: null\n"
        "  budget_per_phase_yuan: [300000, 300000]\n  must: [P1]\n",
        1,
        ["must_site_over_budget.yaml line 6", "Must site P1 fits in no phase"],
    ),
    "siting_without_p": (
        _BASE + "restoration:\n  enabled: false\nsiting:\n  model: p_median\n",
        1,
        ["siting_without_p.yaml", "line 4", "siting.p", "p_median needs `p`"],
    ),
    "unknown_travel_mode": (
        _BASE + "travel:\n  modes: {g1_3: camel}\n",
        1,
        ["unknown_travel_mode.yaml", "line 3", "travel.modes.g1_3", "Unknown travel mode"],
    ),
    "base_missing": (
        "base: no_such_base.yaml\n",
        1,
        ["base_missing.yaml", "column base", "no_such_base.yaml", "does not exist"],
    ),
    "not_yaml": (
        _BASE + "projection:\n  years: [1\n",
        1,
        ["not_yaml.yaml", "Not valid YAML"],
    ),
    "more_phases_than_years": (
        _BASE + "restoration:\n  enabled: true\n  sites_per_phase: [1, 1, 1]\n",
        1,
        ["base/tiny.yaml", "line 6", "projection.years", "3 phases need at least 3 projected"],
    ),
    "standard_not_positive": (
        _BASE + "standards:\n  classrooms_per_class: -1\n",
        1,
        [
            "standard_not_positive.yaml",
            "line 3",
            "standards.classrooms_per_class",
            "Not a positive",
        ],
    ),
}
# The same runs with `--lang zh`: words stderr must hold (file, line, field, the Chinese text).
SCENARIOS_ZH: dict[str, list[str]] = {
    "section_twice": ["section_twice.yaml", "第 6 行", "写了两次(第 2 行和第 6 行)"],
    "key_twice_in_a_closure": ["key_twice_in_a_closure.yaml", "第 6 行", "写了两次"],
    "closure_matches_no_road": [
        "closure_matches_no_road.yaml",
        "第 3 行",
        "closures.roads[].names",
        "没有名为 'Tiny Pas' 的道路(最接近的道路名:'Tiny Pass')",
    ],
    "unknown_must_site": ["unknown_must_site.yaml", "第 4 行", "restoration.must", "P9", "不在"],
    "unknown_closed_school": ["unknown_closed_school.yaml", "第 3 行", "S9", "不在 schools 图层"],
    "must_site_fits_no_phase": [
        "must_site_fits_no_phase.yaml",
        "第 5 行",
        "restoration.must",
        "必须恢复 1 个教学点",
    ],
    "roads_of_another_county": ["far_roads.graphml", "路网没有覆盖本县", "经度"],
    "years_not_positive": ["years_not_positive.yaml", "第 3 行", "projection.years", "整数"],
    "misspelt_section": ["misspelt_section.yaml", "第 2 行", "restoraton", "未知字段"],
    "closure_way_not_in_network": [
        "closure_way_not_in_network.yaml",
        "第 3 行",
        "closures.roads[].way_ids",
        "路网中没有 OSM 路段编号 [999999]",
    ],
    "closure_closes_nothing": ["closure_closes_nothing.yaml", "第 4 行", "没有封闭任何道路"],
    "sites_and_budget_per_phase": [
        "sites_and_budget_per_phase.yaml",
        "restoration.budget_per_phase_yuan",
        "同时给出了每期个数和每期预算",
    ],
    "must_site_over_budget": [
        "must_site_over_budget.yaml",
        "第 6 行",
        "必选教学点 P1 放不进任何一期",
    ],
    "siting_without_p": ["siting_without_p.yaml", "第 4 行", "siting.p", "p_median 需要 `p`"],
    "unknown_travel_mode": ["unknown_travel_mode.yaml", "第 3 行", "交通方式无法识别"],
    "base_missing": ["base_missing.yaml", "方案文件 no_such_base.yaml 不存在"],
    "not_yaml": ["not_yaml.yaml", "不是有效的 YAML"],
    "standard_not_positive": [
        "standard_not_positive.yaml",
        "第 3 行",
        "standards.classrooms_per_class",
        "不是正数",
    ],
    "more_phases_than_years": [
        "tiny.yaml",
        "第 6 行",
        "projection.years",
        "3 期规划至少需要 3 个预测年份",
    ],
}
FAR_M = 600_000.0
"""How far east the roads of ``far_roads.graphml`` are moved: another county's roads."""


def make_scenarios() -> None:
    if SCENARIOS_DIR.exists():
        shutil.rmtree(SCENARIOS_DIR)
    SCENARIOS_DIR.mkdir(parents=True)
    for name, (text, _, _) in SCENARIOS.items():
        (SCENARIOS_DIR / f"{name}.yaml").write_text(text, encoding="utf-8")
    graphml = (TINY_COUNTY / "roads.graphml").read_text(encoding="utf-8")
    key = re.search(r'<key id="(d\d+)" for="node" attr.name="x"', graphml)
    assert key is not None
    far = re.sub(
        rf'(<data key="{key.group(1)}">)([0-9.]+)(</data>)',
        lambda m: f"{m.group(1)}{float(m.group(2)) + FAR_M}{m.group(3)}",
        graphml,
    )
    (SCENARIOS_DIR / "far_roads.graphml").write_text(far, encoding="utf-8")


VILLAGE_HEADERS = [
    "编号",
    "名称",
    "乡镇",
    "经度",
    "纬度",
    "1-3年级人数",
    "4-6年级人数",
    "7-9年级人数",
]


def _townships() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["T1", "T2"], "name": ["东乡", "西乡"]},
        geometry=[box(86.40, 42.25, 86.50, 42.35), box(86.50, 42.25, 86.60, 42.35)],
        crs="EPSG:4326",
    )


def _villages() -> pd.DataFrame:
    rows = [
        ("V1", "红柳村", "T1", "86.42", "42.27", "12", "10", "9"),
        ("V2", "沙枣村", "T1", "86°27′0″", "42°18′0″", "30", "25", "20"),
        ("V3", "胡杨村", "T1", "东经86.48", "北纬42.33", "8", "7", "6"),
        ("V4", "白杨村", "T2", "86.52", "42.26", "15", "14", "11"),
        ("V5", "榆树村", "西乡", "86 33 36", "42 17 24", "40", "38", "30"),
        ("V6", "松树村", "T2", "86.58", "42.34", "5", "4", "3"),
    ]
    return pd.DataFrame(rows, columns=VILLAGE_HEADERS)


def _schools() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["S1", "S2", "S3"],
            "name": ["东乡中心校", "西乡教学点", "东乡初中"],
            "kind": ["central_primary", "teaching_point", "middle"],
            "township": ["T1", "T2", "T1"],
            "lon": [86.45, 86.55, 86.46],
            "lat": [42.30, 42.30, 42.31],
            "classes_g1_3": [3, 2, 0],
            "classes_g4_6": [3, 0, 0],
            "classes_g7_9": [0, 0, 3],
            "enrolment_g1_3": [50, 20, 0],
            "enrolment_g4_6": [45, 0, 0],
            "enrolment_g7_9": [0, 0, 60],
            "class_size_limit": [None, None, 50],
            "boarding_beds": [40, 0, 100],
        }
    )


def _sites() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["P1", "P2"],
            "name": ["旧白杨教学点", "旧松树教学点"],
            "township": ["T2", "T2"],
            "lon": ["86.53", "86.57"],
            "lat": ["42.27", "42.33"],
            "restore_cost_yuan": ["800000", "650000"],
            "decision": ["free", "must"],
        }
    )


def _blocks() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["B1", "B2"],
            "name": ["一街区", "二街区"],
            "pupils_g1_3": [30, 25],
            "pupils_g4_6": [28, 20],
            "pupils_g7_9": [20, 18],
            "school_primary": ["S1", "S1"],
            "school_middle": ["S3", "S3"],
        },
        # B2 reaches north around S3 (86.46, 42.31): every school of the town lies in a block
        geometry=[box(86.450, 42.300, 86.455, 42.305), box(86.455, 42.300, 86.461, 42.311)],
        crs="EPSG:4326",
    )


def _write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> None:
    path.write_text(gdf.to_json(ensure_ascii=False, indent=1), encoding="utf-8")


def _roads_osm() -> str:
    """OSM XML of a road grid over the county: secondary roads every 0.02° east and north."""
    lons = [round(86.40 + 0.02 * i, 2) for i in range(11)]
    lats = [round(42.25 + 0.02 * j, 2) for j in range(6)]
    node = {(i, j): 1 + i + 11 * j for i in range(11) for j in range(6)}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    for (i, j), nid in sorted(node.items(), key=lambda kv: kv[1]):
        lines.append(f'<node id="{nid}" version="1" lat="{lats[j]}" lon="{lons[i]}"/>')
    ways = [[node[i, j] for i in range(11)] for j in range(6)]
    ways += [[node[i, j] for j in range(6)] for i in range(11)]
    for w, refs in enumerate(ways, start=1):
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        lines.append(f'<way id="{w}" version="1">{nds}<tag k="highway" v="secondary"/></way>')
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def _write_all(
    folder: Path,
    *,
    townships: gpd.GeoDataFrame,
    villages: pd.DataFrame,
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    blocks: gpd.GeoDataFrame,
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _write_geojson(townships, folder / "townships.geojson")
    villages.to_csv(folder / "villages.csv", index=False, encoding="utf-8")
    schools.to_excel(folder / "schools.xlsx", index=False)
    # Sites as GBK, the way Excel on a Chinese Windows saves CSV.
    sites.to_csv(folder / "sites.csv", index=False, encoding="gbk")
    _write_geojson(blocks, folder / "blocks.geojson")
    (folder / "roads.osm").write_text(_roads_osm(), encoding="utf-8")


def _base() -> dict[str, object]:
    return {
        "townships": _townships(),
        "villages": _villages(),
        "schools": _schools(),
        "sites": _sites(),
        "blocks": _blocks(),
    }


def _bowtie_t2() -> Polygon:
    # A square with a small self-crossing loop at its south-west corner.
    ring = [
        (86.50, 42.25),
        (86.60, 42.25),
        (86.60, 42.35),
        (86.50, 42.35),
        (86.50, 42.26),
        (86.51, 42.24),
        (86.51, 42.26),
        (86.50, 42.25),
    ]
    poly = Polygon(ring)
    assert not poly.is_valid
    assert shapely.make_valid(poly).area > 0.9 * box(86.5, 42.25, 86.6, 42.35).area
    return poly


def make_bad(name: str) -> None:
    data = _base()
    folder = BAD / name
    if folder.exists():
        shutil.rmtree(folder)
    vil: pd.DataFrame = data["villages"]  # type: ignore[assignment]
    sch: pd.DataFrame = data["schools"]  # type: ignore[assignment]
    sit: pd.DataFrame = data["sites"]  # type: ignore[assignment]
    blk: gpd.GeoDataFrame = data["blocks"]  # type: ignore[assignment]
    tws: gpd.GeoDataFrame = data["townships"]  # type: ignore[assignment]
    raw_villages: bytes | None = None
    if name == "swapped_lonlat":
        vil.loc[1, ["经度", "纬度"]] = ["42.30", "86.45"]
    elif name == "lonlat_out_of_range":
        vil.loc[2, "经度"] = "286.48"
    elif name == "bad_coordinate":
        vil.loc[1, "经度"] = "86度xx分"
    elif name == "xy_without_crs":
        vil = vil.rename(columns={"经度": "x", "纬度": "y"})
    elif name == "outside_boundary":
        vil.loc[3, ["经度", "纬度"]] = ["87.20", "42.26"]
    elif name == "duplicate_id":
        vil.loc[4, "编号"] = "V1"
    elif name == "missing_id":
        vil.loc[5, "编号"] = ""
    elif name == "negative_pupils":
        vil.loc[1, "1-3年级人数"] = "-4"
    elif name == "fractional_pupils":
        vil.loc[2, "4-6年级人数"] = "12.5"
    elif name == "missing_pupils":
        vil.loc[0, "7-9年级人数"] = ""
    elif name == "unknown_township":
        vil.loc[4, "乡镇"] = "T9"
    elif name == "missing_column":
        vil = vil.drop(columns=["1-3年级人数"])
    elif name == "empty_layer":
        vil = vil.iloc[0:0]
    elif name == "undecodable_text":
        text = vil.to_csv(index=False).encode("utf-8")
        lines = text.split(b"\n")
        lines[3] = lines[3].replace("胡杨村".encode(), b"\xff\xfe\x80")
        raw_villages = b"\n".join(lines)
    elif name == "invalid_polygon":
        tws = tws.copy()
        tws.loc[1, "geometry"] = _bowtie_t2()
    elif name == "unknown_kind":
        sch.loc[1, "kind"] = "university"
    elif name == "negative_classes":
        sch.loc[0, "classes_g1_3"] = -2
    elif name == "zero_class_size_limit":
        sch.loc[2, "class_size_limit"] = 0
    elif name == "unknown_decision":
        sit.loc[0, "decision"] = "maybe"
    elif name == "unknown_school":
        blk.loc[1, "school_primary"] = "S9"
    elif name == "ids_differ_in_case":
        vil.loc[4, "编号"] = "v1"
    elif name == "kind_contradicts_classes":
        sch.loc[1, ["classes_g4_6", "enrolment_g4_6"]] = [2, 30]
    elif name == "school_of_wrong_level":
        blk.loc[1, "school_primary"] = "S3"
    elif name == "ids_in_scientific_notation":
        # 12-digit village codes saved from a General cell of Excel: 6.52827E+11, digits lost
        vil["编号"] = "6.52827E+11"
    elif name == "messy":
        vil.loc[1, ["经度", "纬度"]] = ["42.30", "86.45"]
        vil.loc[2, "1-3年级人数"] = "-1"
        vil.loc[4, "编号"] = "V1"
        vil.loc[3, "乡镇"] = "T7"
        sch.loc[1, "kind"] = "university"
        sit.loc[0, "decision"] = "maybe"
        blk.loc[1, "school_primary"] = "S9"
    _write_all(folder, townships=tws, villages=vil, schools=sch, sites=sit, blocks=blk)
    if raw_villages is not None:
        (folder / "villages.csv").write_bytes(raw_villages)
    if name == "empty_file":
        (folder / "villages.csv").write_bytes(b"")  # a failed save or copy
    if name == "missing_crs":
        (folder / "townships.geojson").unlink()
        tws.to_file(folder / "townships.shp", encoding="utf-8")
        (folder / "townships.prj").unlink()
    elif name == "unknown_crs":
        # Gauss-Kruger metres saved as GeoJSON without saying so (GeoJSON means degrees).
        metres = json.loads(tws.to_crs("EPSG:4538").to_json(ensure_ascii=False))
        metres.pop("crs", None)
        (folder / "townships.geojson").write_text(json.dumps(metres, ensure_ascii=False))
    elif name == "missing_layer":
        (folder / "schools.xlsx").unlink()
    elif name == "no_roads":
        (folder / "roads.osm").unlink()
    elif name == "roads_damaged":
        (folder / "roads.osm").unlink()
        (folder / "roads.osm.bz2").write_bytes(b"BZh91AY&SY cut short")  # a broken download
    elif name == "sheet_missing":
        (folder / "columns.yaml").write_text("schools:\n  sheet: 学校表\n", encoding="utf-8")
    elif name == "columns_section_not_mapping":
        (folder / "columns.yaml").write_text("villages: 村名\n", encoding="utf-8")
    elif name == "polygons_in_a_table":
        (folder / "townships.geojson").unlink()
        tws.drop(columns="geometry").to_csv(folder / "townships.csv", index=False)
    elif name == "formula_without_value":
        import openpyxl

        book = openpyxl.load_workbook(folder / "schools.xlsx")
        sheet = book.active
        column = [c.value for c in sheet[1]].index("classes_g1_3") + 1
        sheet.cell(row=3, column=column, value="=1+1")  # openpyxl stores no computed value
        book.save(folder / "schools.xlsx")
    elif name == "kml_name_unmatched":
        places = [(86.42, 42.27), (86.45, 42.30), (86.48, 42.33), (86.52, 42.26)]
        places += [(86.56, 42.29), (86.58, 42.34)]
        names = list(vil["名称"])
        names[2] = "胡杨树村"  # the KML spells V3's name differently
        marks = "".join(
            f"<Placemark><name>{n}</name><Point><coordinates>{x},{y},0</coordinates></Point>"
            "</Placemark>"
            for n, (x, y) in zip(names, places, strict=True)
        )
        (folder / "villages.kml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
            f"<Document>{marks}</Document></kml>",
            encoding="utf-8",
        )
        vil.drop(columns=["经度", "纬度"]).to_csv(folder / "villages.csv", index=False)
    elif name == "coordinate_pair_bad":
        pairs = ["86.42,42.27", "86.45;北纬", "86.48,42.33", "86.52,42.26", "86.56,42.29"]
        one = vil.drop(columns=["经度", "纬度"]).assign(经纬度=[*pairs, "86.58,42.34"])
        one.to_csv(folder / "villages.csv", index=False)


def main() -> None:
    if GOOD.exists():
        shutil.rmtree(GOOD)
    _write_all(GOOD, **_base())  # type: ignore[arg-type]
    for name in EXPECTED:
        make_bad(name)
    make_scenarios()


if __name__ == "__main__":
    main()
