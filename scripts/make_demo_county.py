"""Generate the synthetic demo county shipped with geoplan (seeded, reproducible).

The county is shaped like Hejing County (和静县, Bayingolin, Xinjiang) and sits in its real place,
but every name, village, school, road and number is made up. Run from the repository root::

    python scripts/make_demo_county.py            # default seed 2014
    python scripts/make_demo_county.py --seed 7   # another county of the same shape

It writes

* ``geoplan/data/demo/``: ``demo_county.gpkg`` (layers townships villages schools sites blocks,
  EPSG:4326), ``roads.osm.bz2`` (OSM XML), ``area.yaml`` and a ``README.md``;
* ``data/demo/``: the planner-facing copies (``villages.csv``, ``schools.xlsx``, ``sites.csv``,
  ``blocks.geojson``, ``townships.geojson``, ``roads.osm.bz2``, ``area.yaml``);
* ``data/boundaries/``: ``townships.geojson`` and ``county.geojson``.

All geometry is built in UTM zone 45N (metres) and stored in WGS-84 lon/lat.
"""

from __future__ import annotations

import argparse
import bz2
import itertools
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml
from pyproj import Transformer
from shapely.geometry import MultiPoint, Point, Polygon

METRIC = "EPSG:32645"  # UTM 45N: central meridian 87 E
WGS84 = "EPSG:4326"
ROOT = Path(__file__).resolve().parents[1]
PKG_DIR = ROOT / "geoplan" / "data" / "demo"
DATA_DIR = ROOT / "data" / "demo"
BOUNDARY_DIR = ROOT / "data" / "boundaries"

AREA_NAME = "Demo county (synthetic)"
TARGET_AREA_KM2 = 35_000.0
RURAL_PUPILS = 9_700
TOWN_PUPILS = 8_000
OVERSIZED_TOTAL = 58
OVERSIZED_SCHOOLS = 7
BAND_SHARE = np.array([0.36, 0.33, 0.31])
BANDS = ("g1_3", "g4_6", "g7_9")
LIMIT = {"g1_3": 45, "g4_6": 45, "g7_9": 50}
# straight-line day-journey proxy: speed (km/h), limit (min), detour factor
SPEED_KPH = {"g1_3": 3.0, "g4_6": 4.0, "g7_9": 30.0}
DAY_LIMIT_MIN = {"g1_3": 30.0, "g4_6": 45.0, "g7_9": 60.0}
DETOUR = 1.3
PASS_DETOUR = 1.3  # a pass road runs at most this times the straight line between its junctions
FOOTPATH_M = 1_000.0  # a far village's footpath ends on a track at most this far away (straight)

TO_METRIC = Transformer.from_crs(WGS84, METRIC, always_xy=True)
TO_WGS84 = Transformer.from_crs(METRIC, WGS84, always_xy=True)

# Rough outline of Hejing County (lon, lat), clockwise from the west tip; noise is added later.
OUTLINE_LONLAT = [
    (82.95, 42.95),
    (83.30, 43.22),
    (83.90, 43.33),
    (84.50, 43.42),
    (85.20, 43.52),
    (85.80, 43.44),
    (86.30, 43.38),
    (86.70, 43.18),
    (86.98, 42.95),
    (86.90, 42.70),
    (86.62, 42.50),
    (86.50, 42.27),
    (86.30, 42.22),
    (86.10, 42.36),
    (85.70, 42.52),
    (85.20, 42.55),
    (84.70, 42.45),
    (84.20, 42.36),
    (83.70, 42.42),
    (83.30, 42.56),
    (83.02, 42.72),
]
TOWN_LONLAT = (86.39, 42.32)
# Pastoral township seats (lon, lat); the first is the valley township next to the town.
SEATS_LONLAT = [
    (86.15, 42.48),
    (86.05, 42.86),
    (86.62, 42.78),
    (86.62, 43.12),
    (85.62, 43.12),
    (85.30, 42.76),
    (84.60, 43.00),
    (84.05, 42.72),
    (83.55, 43.02),
    (84.95, 43.28),
]
SEATS_WITHOUT_SCHOOL = (7, 9)  # merged away in the 47 -> 15 consolidation

ADJ = [
    ("Ulaan", "乌兰"),
    ("Tsagaan", "查干"),
    ("Khar", "哈尔"),
    ("Shar", "夏尔"),
    ("Kok", "阔克"),
    ("Kara", "喀拉"),
    ("Ak", "阿克"),
    ("Sary", "萨热"),
    ("Altan", "阿拉坦"),
    ("Mungun", "孟根"),
    ("Bayan", "巴彦"),
    ("Ondor", "温都尔"),
    ("Zuun", "准"),
    ("Baruun", "巴润"),
    ("Dund", "敦德"),
    ("Khongor", "洪格尔"),
    ("Jargal", "扎尔格勒"),
    ("Terek", "铁列克"),
    ("Yeshil", "叶西勒"),
]
NOUN = [
    ("Nuur", "淖尔"),
    ("Bulag", "布拉格"),
    ("Gol", "郭勒"),
    ("Tal", "塔拉"),
    ("Us", "乌苏"),
    ("Bulak", "布拉克"),
    ("Tash", "塔什"),
    ("Su", "苏"),
    ("Tolgoi", "陶勒盖"),
    ("Uzen", "乌增"),
    ("Sai", "赛"),
    ("Kuduk", "库都克"),
    ("Agash", "阿尕什"),
    ("Yar", "亚尔"),
    ("Bel", "别勒"),
    ("Sogot", "索果特"),
    ("Khujir", "呼吉尔"),
    ("Del", "德勒"),
    ("Oi", "敖伊"),
    ("Modon", "莫敦"),
    ("Tokay", "托开"),
]
STREETS = [
    ("Renmin", "人民"),
    ("Jiefang", "解放"),
    ("Xinhua", "新华"),
    ("Tianshan", "天山"),
    ("Wenhua", "文化"),
    ("Heping", "和平"),
    ("Youyi", "友谊"),
    ("Jianshe", "建设"),
    ("Guangming", "光明"),
    ("Chaoyang", "朝阳"),
    ("Yingbin", "迎宾"),
    ("Huancheng", "环城"),
    ("Xingfu", "幸福"),
    ("Tuanjie", "团结"),
    ("Changqing", "长青"),
    ("Minzhu", "民主"),
    ("Dongfeng", "东风"),
    ("Xiyu", "西域"),
    ("Jinqiao", "金桥"),
    ("Lyuzhou", "绿洲"),
    ("Shengli", "胜利"),
    ("Qingnian", "青年"),
]
ORDINAL_ZH = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]


def metric(lonlat: tuple[float, float]) -> np.ndarray:
    x, y = TO_METRIC.transform(*lonlat)
    return np.array([x, y])


class Names:
    """Unique fictional place names (English, Chinese) drawn from syllable tables."""

    def __init__(self, rng: np.random.Generator) -> None:
        combos = list(itertools.product(range(len(ADJ)), range(len(NOUN))))
        order = rng.permutation(len(combos))
        self._combos = [combos[i] for i in order]
        self._next = 0

    def take(self) -> tuple[str, str]:
        a, n = self._combos[self._next]
        self._next += 1
        return f"{ADJ[a][0]} {NOUN[n][0]}", f"{ADJ[a][1]}{NOUN[n][1]}"


# --------------------------------------------------------------------------------------------
# geometry helpers


def wiggle(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, *, amp: float, step: float):
    """A winding line from a to b: midpoint displacement down to ``step`` metres."""
    pts = [np.asarray(a, float), np.asarray(b, float)]
    while True:
        seg = max(np.hypot(*(q - p)) for p, q in itertools.pairwise(pts))
        if seg <= step:
            return np.array(pts)
        out = [pts[0]]
        for p, q in itertools.pairwise(pts):
            d = q - p
            length = float(np.hypot(*d))
            if length > step:
                normal = np.array([-d[1], d[0]]) / length
                out.append((p + q) / 2 + normal * rng.normal(0.0, amp * length))
            out.append(q)
        pts = out


def noisy_ring(vertices: np.ndarray, rng: np.random.Generator, *, amp: float, step: float):
    """A closed ring through ``vertices`` with fractal noise on each edge."""
    ring = []
    closed = np.vstack([vertices, vertices[:1]])
    for p, q in itertools.pairwise(closed):
        ring.extend(wiggle(p, q, rng, amp=amp, step=step)[:-1])
    return Polygon(ring).buffer(0)


def largest(geom):
    if geom.geom_type == "MultiPolygon":
        return max(geom.geoms, key=lambda g: g.area)
    return geom


# --------------------------------------------------------------------------------------------
# the road network as OSM nodes and ways


@dataclass
class Net:
    xy: list[np.ndarray] = field(default_factory=list)
    node_tags: dict[int, dict[str, str]] = field(default_factory=dict)
    ways: list[tuple[list[int], dict[str, str]]] = field(default_factory=list)

    def node(self, p: np.ndarray) -> int:
        self.xy.append(np.asarray(p, float))
        return len(self.xy)  # OSM ids start at 1

    def at(self, nid: int) -> np.ndarray:
        return self.xy[nid - 1]

    def road(self, start: int, end, rng, *, tags, amp=0.12, step=250.0) -> list[int]:
        """A way from node ``start`` to node id or point ``end``; returns its node ids."""
        a = self.at(start)
        b = self.at(end) if isinstance(end, int) else np.asarray(end, float)
        pts = wiggle(a, b, rng, amp=amp, step=step)
        ids = [start] + [self.node(p) for p in pts[1:-1]]
        ids.append(end if isinstance(end, int) else self.node(pts[-1]))
        self.ways.append((ids, dict(tags)))
        return ids

    def nearest(self, p: np.ndarray, candidates: list[int]) -> int:
        arr = np.array([self.at(i) for i in candidates])
        return candidates[int(np.argmin(np.hypot(*(arr - p).T)))]


def straighten(net: Net, way_ids: list[int], *, max_ratio: float) -> None:
    """Pull the ways ``way_ids`` of ``net`` towards straight lines between their junctions, so
    that each stretch between two junctions is at most ``max_ratio`` times its straight line.

    The passes are drawn with a large winding (amp 0.22) that compounds over the halvings: the
    Sary Dawan pass ran 270 km for 97 km straight, and valley tracks branching off it made
    12-hour bus trips. Junctions (nodes other ways use) stay where they are, so nothing else
    of the county moves; no random numbers are drawn.
    """
    used: dict[int, int] = {}
    for ids, _ in net.ways:
        for n in set(ids):
            used[n] = used.get(n, 0) + 1
    for w in way_ids:
        ids = net.ways[w][0]
        stops = [k for k, n in enumerate(ids) if used[n] > 1 or k in (0, len(ids) - 1)]
        for k0, k1 in itertools.pairwise(stops):
            part = ids[k0 : k1 + 1]
            xy = np.array([net.at(n) for n in part])
            a, chord = xy[0], xy[-1] - xy[0]
            span = float(np.hypot(*chord))
            if len(part) < 3 or span == 0.0:
                continue
            t = np.clip((xy - a) @ chord / span**2, 0.0, 1.0)
            base = a + t[:, None] * chord
            dev = xy - base

            def length(f: float, base=base, dev=dev) -> float:
                return float(np.hypot(*np.diff(base + f * dev, axis=0).T).sum())

            if length(1.0) <= max_ratio * span:
                continue
            lo, hi = 0.0, 1.0
            for _ in range(40):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if length(mid) <= max_ratio * span else (lo, mid)
            for n, p in zip(part[1:-1], (base + lo * dev)[1:-1], strict=True):
                net.xy[n - 1] = p


def track_to_footpath(net: Net, ids: list[int], village: dict) -> None:
    """Split a far village's spur (the last way of ``net``): a track the school bus may take up
    to within ``FOOTPATH_M`` of the village, a footpath for the last stretch.

    The bus mode may use tracks but not paths (geoplan's access rules); a village more than
    2 km from a bus road makes every run warn of a long access leg, as it should in a real
    county: this keeps every demo village within reach of a bus road.
    """
    end = next(
        k for k, n in enumerate(ids) if np.hypot(*(net.at(n) - net.at(ids[-1]))) <= FOOTPATH_M
    )
    path_tags = net.ways[-1][1]
    track_tags = {
        "highway": "track",
        "name": f"{village['name']} Track",
        "name:zh": village["name_zh"] + "牧道",
        "tracktype": "grade4",
        "surface": "unpaved",
    }
    if end == 0:
        return  # the village's hub is near enough already
    net.ways[-1] = (ids[: end + 1], track_tags)
    net.ways.append((ids[end:], path_tags))


def write_osm(net: Net, path: Path) -> None:
    lon, lat = TO_WGS84.transform(*np.array(net.xy).T)
    lines = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<osm version="0.6" generator="geoplan scripts/make_demo_county.py (synthetic data)">',
    ]
    used = {i for ids, _ in net.ways for i in ids}
    for i, (x, y) in enumerate(zip(lon, lat, strict=True), start=1):
        if i not in used:
            continue  # grid corners outside the town
        tags = net.node_tags.get(i)
        head = f'<node id="{i}" version="1" lat="{y:.6f}" lon="{x:.6f}"'
        if tags:
            lines.append(head + ">")
            lines += [f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
            lines.append("</node>")
        else:
            lines.append(head + "/>")
    for wid, (ids, tags) in enumerate(net.ways, start=1):
        lines.append(f'<way id="{wid}" version="1">')
        lines += [f'<nd ref="{i}"/>' for i in ids]
        lines += [f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>\n")
    path.write_bytes(bz2.compress("\n".join(lines).encode("utf-8"), 9))


# --------------------------------------------------------------------------------------------
# county, town, townships


def make_outline(rng, town_xy):
    verts = np.array([metric(v) for v in OUTLINE_LONLAT])
    poly = noisy_ring(verts, rng, amp=0.10, step=1500.0)
    poly = largest(poly)
    scale = math.sqrt(TARGET_AREA_KM2 * 1e6 / poly.area)
    poly = shapely.affinity.scale(poly, scale, scale, origin=Point(town_xy))
    return poly.simplify(150.0)


def make_town_grid(rng, centre):
    """Jittered, rotated street grid: intersections (ny+1, nx+1, 2) and kept cells."""
    nx_, ny_ = 20, 15
    dx, dy, angle = 235.0, 215.0, math.radians(14.0)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    nodes = np.zeros((ny_ + 1, nx_ + 1, 2))
    for j in range(ny_ + 1):
        for i in range(nx_ + 1):
            local = np.array([(i - nx_ / 2) * dx, (j - ny_ / 2) * dy]) + rng.normal(0, 22, 2)
            nodes[j, i] = centre + rot @ local
    keep = np.zeros((ny_, nx_), bool)
    for j in range(ny_):
        for i in range(nx_):
            u, v = (i + 0.5 - nx_ / 2) / (nx_ / 2), (j + 0.5 - ny_ / 2) / (ny_ / 2)
            r = (
                math.hypot(u, v * 1.05)
                + 0.12 * math.sin(3 * math.atan2(v, u))
                + rng.normal(0, 0.05)
            )
            keep[j, i] = r < 1.08
    return nodes, keep


def make_townships(rng, outline, town_poly, seats):
    pastoral = outline.difference(town_poly)
    cells = shapely.voronoi_polygons(MultiPoint(seats), extend_to=outline.envelope.buffer(5e4))
    polys = []
    for seat in seats:
        cell = next(c for c in cells.geoms if c.contains(Point(seat)))
        polys.append(cell.intersection(pastoral))
    # give stray parts of a multipart township to the neighbour sharing most border
    for _ in range(3):
        for k, poly in enumerate(polys):
            if poly.geom_type != "MultiPolygon":
                continue
            parts = sorted(poly.geoms, key=lambda g: g.area, reverse=True)
            polys[k] = parts[0]
            for part in parts[1:]:
                shared = [
                    (part.buffer(1.0).intersection(o.boundary).length, m)
                    for m, o in enumerate(polys)
                    if m != k
                ]
                best = max(shared)[1]
                polys[best] = polys[best].union(part).buffer(0.01).buffer(-0.01)
    return [largest(p) for p in polys]


# --------------------------------------------------------------------------------------------
# school classes: exactly 58 oversized classes in 7 town schools


def oversized(pupils: int, classes: int) -> int:
    if classes <= 0 or pupils <= 0:
        return 0
    base, extra = divmod(pupils, classes)
    if base >= 56:
        return classes
    return extra if base == 55 else 0


def choose_oversized_classes(rng, enrol: dict[str, dict[str, int]], bands_of, over_ids):
    """Classes per band so that the ``over_ids`` schools run exactly 58 oversized classes."""
    per_school = []
    for sid in over_ids:
        options = []
        for band in bands_of[sid]:
            p = enrol[sid][band]
            opts = sorted({c for c in range(max(1, math.ceil(p / 75)), math.ceil(p / 45) + 1)})
            options.append([(band, c, oversized(p, c)) for c in opts])
        combos = [
            (sum(o for _, _, o in combo), {b: c for b, c, _ in combo})
            for combo in itertools.product(*options)
        ]
        combos = [c for c in combos if c[0] >= 1]
        per_school.append([combos[i] for i in rng.permutation(len(combos))])
    reach: dict[int, list[dict[str, int]]] = {0: []}
    for combos in per_school:
        nxt: dict[int, list[dict[str, int]]] = {}
        for total, chosen in reach.items():
            for o, classes in combos:
                if total + o <= OVERSIZED_TOTAL and total + o not in nxt:
                    nxt[total + o] = [*chosen, classes]
        reach = nxt
    if OVERSIZED_TOTAL not in reach:
        raise RuntimeError("no class split gives exactly 58 oversized classes; change the seed")
    return dict(zip(over_ids, reach[OVERSIZED_TOTAL], strict=True))


# --------------------------------------------------------------------------------------------


def add_facilities(schools: gpd.GeoDataFrame, town_ids: list[str], seed: int) -> gpd.GeoDataFrame:
    """Synthetic survey of every open school's conditions (floor areas, heating, equipment,
    teachers), drawn from its own random stream so the other layers stay as they were."""
    rng = np.random.default_rng([seed, 25])
    out = schools.copy()
    cols = {
        "classrooms": "Int64", "classroom_area_m2": "float64", "dormitory_area_m2": "float64",
        "canteen_area_m2": "float64", "office_area_m2": "float64", "dangerous_area_m2": "float64",
        "heating": "object", "media_sets": "Int64", "computers": "Int64", "desk_sets": "Int64",
        "playground_m2": "float64", "teachers_primary": "Int64", "teachers_middle": "Int64",
    }  # fmt: skip
    for col, dtype in cols.items():
        out[col] = pd.Series([None] * len(out), index=out.index, dtype=dtype)
    for sid, row in schools.iterrows():
        if row["status"] != "open":
            continue  # closed schools were not surveyed
        town = sid in town_ids
        classes = {b: int(row[f"classes_{b}"]) for b in BANDS}
        pupils = {b: int(row[f"enrolment_{b}"]) for b in BANDS}
        n_classes, n_pupils = sum(classes.values()), sum(pupils.values())
        rooms = n_classes + int(rng.choice([-2, -1, 0, 0, 1])) if not town else n_classes
        rooms = max(rooms, 1)
        beds = int(row["boarding_beds"])
        out.loc[sid, "classrooms"] = rooms
        out.loc[sid, "classroom_area_m2"] = round(rooms * rng.uniform(50.0, 66.0), -1)
        out.loc[sid, "dormitory_area_m2"] = round(beds * rng.uniform(2.2, 3.4), -1)
        out.loc[sid, "canteen_area_m2"] = round(n_pupils * rng.uniform(0.5, 1.0), -1)
        dangerous = rng.random() < (0.2 if town else 0.45)
        out.loc[sid, "dangerous_area_m2"] = round(rng.uniform(200, 1500), -1) if dangerous else 0.0
        out.loc[sid, "heating"] = (
            ("district" if rng.random() < 0.8 else "boiler")
            if town
            else ("stove" if rng.random() < 0.4 else "boiler")
        )
        out.loc[sid, "media_sets"] = round(rooms * rng.uniform(0.4, 1.0))
        out.loc[sid, "computers"] = round(n_pupils / rng.uniform(8.0, 25.0))
        out.loc[sid, "desk_sets"] = round(n_pupils * rng.uniform(0.85, 1.05))
        out.loc[sid, "playground_m2"] = round(n_pupils * rng.uniform(4.0, 14.0), -1)
        teachers = {}
        for level, bands in (("primary", BANDS[:2]), ("middle", BANDS[2:])):
            c = sum(classes[b] for b in bands)
            p = sum(pupils[b] for b in bands)
            need = max(c, math.ceil(p / 15)) if p else 0
            teachers[level] = round(need * rng.uniform(0.8, 1.25)) if p else 0
        out.loc[sid, "teachers_primary"] = teachers["primary"]
        out.loc[sid, "teachers_middle"] = teachers["middle"]
        out.loc[sid, "office_area_m2"] = round(sum(teachers.values()) * rng.uniform(3.0, 6.0), -1)
    return out


def generate(seed: int) -> dict[str, gpd.GeoDataFrame | Net | Polygon]:
    rng = np.random.default_rng(seed)
    names = Names(rng)
    town_xy = metric(TOWN_LONLAT)
    outline = make_outline(rng, town_xy)

    # ---- county town: street grid, blocks, township polygon
    grid, keep = make_town_grid(rng, town_xy)
    ny_, nx_ = keep.shape
    cells = {}
    for j in range(ny_):
        for i in range(nx_):
            if keep[j, i]:
                cells[(j, i)] = Polygon(
                    [grid[j, i], grid[j, i + 1], grid[j + 1, i + 1], grid[j + 1, i]]
                )
    merged_edges = set()  # interior streets removed by merging two cells
    groups = {k: [k] for k in cells}
    for _ in range(28):
        j, i = list(cells)[rng.integers(len(cells))]
        nb = (j, i + 1) if rng.random() < 0.5 else (j + 1, i)
        if nb in groups and len(groups.get((j, i), [])) == 1 and len(groups[nb]) == 1:
            groups[(j, i)] = [(j, i), nb]
            del groups[nb]
            if nb == (j, i + 1):
                merged_edges.add(("v", j, i + 1))
            else:
                merged_edges.add(("h", j + 1, i))
    town_cells = shapely.union_all(list(cells.values()))
    town_poly = noisy_ring(
        np.array(town_cells.convex_hull.buffer(1800.0).exterior.coords[:-1])[::6],
        rng,
        amp=0.08,
        step=300.0,
    ).intersection(outline)
    town_poly = largest(town_poly)
    assert town_poly.contains(town_cells), "the town grid must lie inside the county"

    # ---- townships
    seats = [metric(s) + rng.normal(0, 3000, 2) for s in SEATS_LONLAT]
    seats = [
        s if outline.contains(Point(s)) else metric(SEATS_LONLAT[k]) for k, s in enumerate(seats)
    ]
    town_names = [names.take() for _ in range(len(seats) + 1)]
    tw_polys = make_townships(rng, outline, town_poly, seats)
    township_rows = [
        {
            "id": "T00",
            "name": f"{town_names[0][0]} Town",
            "name_zh": f"{town_names[0][1]}镇",
            "kind": "county_town",
            "geometry": town_poly,
        }
    ]
    for k, poly in enumerate(tw_polys, start=1):
        township_rows.append(
            {
                "id": f"T{k:02d}",
                "name": f"{town_names[k][0]} Township",
                "name_zh": f"{town_names[k][1]}乡",
                "kind": "township",
                "geometry": poly,
            }
        )
    townships = gpd.GeoDataFrame(township_rows, crs=METRIC).set_index("id")
    town_name, town_zh = town_names[0]

    # ---- road network
    net = Net()
    gid = {}
    for j in range(ny_ + 1):
        for i in range(nx_ + 1):
            gid[(j, i)] = net.node(grid[j, i])

    def edge_used(kind, j, i):
        if (kind, j, i) in merged_edges:
            return False
        if kind == "h":  # street between cells (j-1, i) and (j, i)
            return (j - 1, i) in cells or (j, i) in cells
        return (j, i - 1) in cells or (j, i) in cells  # "v": between (j, i-1) and (j, i)

    avenue_rows, avenue_cols = {ny_ // 2}, {nx_ // 2}
    for j in range(ny_ + 1):  # east-west roads
        runs, run = [], []
        for i in range(nx_):
            if edge_used("h", j, i):
                run = run or [gid[(j, i)]]
                run.append(gid[(j, i + 1)])
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        en, zh = STREETS[j % len(STREETS)]
        for r in runs:
            hw = "secondary" if j in avenue_rows else "residential"
            net.ways.append((r, {"highway": hw, "name": f"{en} Road", "name:zh": f"{zh}路"}))
    for i in range(nx_ + 1):  # north-south streets
        runs, run = [], []
        for j in range(ny_):
            if edge_used("v", j, i):
                run = run or [gid[(j, i)]]
                run.append(gid[(j + 1, i)])
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        en, zh = STREETS[(i + 7) % len(STREETS)]
        for r in runs:
            hw = "secondary" if i in avenue_cols else "residential"
            net.ways.append((r, {"highway": hw, "name": f"{en} Street", "name:zh": f"{zh}街"}))
    town_nodes = [
        gid[k]
        for k in gid
        if any((j, i) in cells for j in (k[0] - 1, k[0]) for i in (k[1] - 1, k[1]))
    ]
    seat_nodes = [net.node(s) for s in seats]
    tw_name = {f"T{k:02d}": townships.loc[f"T{k:02d}", "name"] for k in range(len(seats) + 1)}
    tw_zh = {f"T{k:02d}": townships.loc[f"T{k:02d}", "name_zh"] for k in range(len(seats) + 1)}

    def seat(k):
        return seat_nodes[k]

    town_exit = net.nearest(seats[0], town_nodes)
    trunk1 = {
        "highway": "trunk",
        "ref": "X101",
        "name": "Tengri Valley Highway",
        "name:zh": "腾格里河谷公路",
    }
    trunk2 = {
        "highway": "trunk",
        "ref": "X102",
        "name": "North Mountain Highway",
        "name:zh": "北山公路",
    }
    net.road(town_exit, seat(0), rng, tags=trunk1, amp=0.08, step=260.0)
    skeleton = [
        (0, 5, trunk1, 0.10),
        (5, 6, trunk1, 0.10),
        (6, 8, trunk1, 0.10),
        (0, 1, trunk2, 0.14),
        (1, 4, trunk2, 0.14),
    ]
    for a, b, tags, amp in skeleton:
        net.road(seat(a), seat(b), rng, tags=tags, amp=amp, step=260.0)
    for a, b in [(6, 7), (1, 2), (2, 3), (4, 9)]:
        name = f"{names.take()[0]} Road"
        net.road(
            seat(a),
            seat(b),
            rng,
            amp=0.14,
            step=260.0,
            tags={
                "highway": "secondary",
                "name": name,
                "name:zh": tw_zh[f"T{a + 1:02d}"][:-1] + "—" + tw_zh[f"T{b + 1:02d}"][:-1] + "公路",
            },
        )
    passes = [
        (9, 6, "Aqik Winter Pass", "阿其克冬季达坂", "tertiary", 3420, True),
        (5, 7, "Sary Dawan Pass", "萨热达坂", "unclassified", 3180, False),
        (3, 4, "Kok Dawan Pass", "阔克达坂", "unclassified", 3050, False),
    ]
    pass_ways: list[int] = []
    for a, b, en, zh, hw, ele, winter in passes:
        mid = (seats[a] + seats[b]) / 2 + rng.normal(0, 4000, 2)
        top = net.node(mid)
        net.node_tags[top] = {"mountain_pass": "yes", "name": en, "name:zh": zh, "ele": str(ele)}
        tags = {"highway": hw, "name": en, "name:zh": zh}
        if winter:
            tags |= {
                "seasonal": "winter",
                "access:conditional": "no @ (Nov 01-Apr 30)",
                "note": "closed by snow in winter (synthetic)",
            }
        net.road(seat(a), top, rng, tags=tags, amp=0.22, step=200.0)
        net.road(top, seat(b), rng, tags=tags, amp=0.22, step=200.0)
        pass_ways += [len(net.ways) - 2, len(net.ways) - 1]
    main_nodes = [n for ids, _ in net.ways for n in ids if n not in set(town_nodes)]
    main_nodes = sorted(set(main_nodes))

    # ---- villages: seat villages, clusters up side valleys, a few along the main roads
    pastoral = townships[townships["kind"] == "township"]

    def township_at(p):
        hit = pastoral.index[pastoral.contains(Point(p))]
        return hit[0] if len(hit) else None

    villages = []

    def add_village(p, tw, *, weight, cluster):
        en, zh = names.take()
        vid = f"V{len(villages) + 1:03d}"
        villages.append(
            {
                "id": vid,
                "name": f"{en} Village",
                "name_zh": f"{zh}村",
                "township": tw,
                "xy": np.asarray(p),
                "weight": weight,
                "cluster": cluster,
            }
        )
        return vid

    for k, s in enumerate(seats):
        tw = f"T{k + 1:02d}"
        for _ in range(int(rng.integers(1, 3))):
            for _try in range(50):
                p = s + rng.normal(0, 500, 2)
                if township_at(p) == tw:
                    break
            nid = net.road(seat(k), p, rng, amp=0.1, step=300.0, tags={"highway": "unclassified"})[
                -1
            ]
            add_village(net.at(nid), tw, weight=rng.uniform(1.2, 2.2), cluster="")
            net.ways[-1][1]["name"] = villages[-1]["name"] + " Lane"
            net.ways[-1][1]["name:zh"] = villages[-1]["name_zh"] + "便道"

    clusters = []
    per_township = [4, 4, 4, 4, 4, 4, 4, 4, 4, 4]
    for k, n_cl in enumerate(per_township):
        tw = f"T{k + 1:02d}"
        poly = townships.loc[tw, "geometry"]
        cand = [n for n in main_nodes if poly.contains(Point(net.at(n)))]
        made = 0
        for _try in range(400):
            if made >= n_cl:
                break
            start = cand[int(rng.integers(len(cand)))]
            ang = rng.uniform(0, 2 * math.pi)
            dist = rng.uniform(8_000, 32_000)
            centre = net.at(start) + dist * np.array([math.cos(ang), math.sin(ang)])
            if not poly.buffer(-1500).contains(Point(centre)):
                continue
            if any(np.hypot(*(centre - c["xy"])) < 9_000 for c in clusters):
                continue
            if np.hypot(*(centre - seats[k])) < 8_000:
                continue
            cname_en, cname_zh = names.take()
            hw = "unclassified" if dist < 14_000 else "track"
            tags = {
                "highway": hw,
                "name": f"{cname_en} Valley Road" if hw != "track" else f"{cname_en} Track",
                "name:zh": f"{cname_zh}沟道路",
            }
            if hw == "track":
                tags |= {"tracktype": "grade3", "surface": "unpaved"}
            ids = net.road(start, centre, rng, tags=tags, amp=0.16, step=250.0)
            cid = f"C{len(clusters) + 1:02d}"
            clusters.append(
                {
                    "id": cid,
                    "xy": net.at(ids[-1]),
                    "node": ids[-1],
                    "township": tw,
                    "name": cname_en,
                    "name_zh": cname_zh,
                    "road": ids,
                }
            )
            made += 1
            for _v in range(int(rng.integers(2, 4))):
                for _t in range(50):
                    far = rng.random() < 0.15
                    r = rng.uniform(2_500, 4_500) if far else rng.uniform(250, 1_600)
                    a2 = rng.uniform(0, 2 * math.pi)
                    p = net.at(ids[-1]) + r * np.array([math.cos(a2), math.sin(a2)])
                    if township_at(p) == tw:
                        break
                hub = net.nearest(p, ids[len(ids) // 2 :])
                hw2 = "path" if far else ("track" if rng.random() < 0.5 else "unclassified")
                add_village(p, tw, weight=rng.lognormal(0, 0.35), cluster=cid)
                spur = {
                    "highway": hw2,
                    "name": f"{villages[-1]['name']} " + ("Path" if hw2 == "path" else "Lane"),
                    "name:zh": villages[-1]["name_zh"] + ("小路" if hw2 == "path" else "便道"),
                }
                if hw2 == "path":
                    spur |= {"foot": "yes", "horse": "yes"}
                ids_v = net.road(hub, p, rng, tags=spur, amp=0.15, step=200.0)
                villages[-1]["xy"] = net.at(ids_v[-1])
                if hw2 == "path":
                    track_to_footpath(net, ids_v, villages[-1])
    # a few villages strung along the main roads
    for _ in range(6):
        for _t in range(100):
            n = main_nodes[int(rng.integers(len(main_nodes)))]
            p = net.at(n) + rng.normal(0, 300, 2)
            tw = township_at(p)
            if tw and min(np.hypot(*(p - s)) for s in seats) > 5_000:
                break
        add_village(p, tw, weight=rng.lognormal(0, 0.3), cluster="")
        vid_node = net.road(n, p, rng, tags={"highway": "unclassified"}, amp=0.1, step=300.0)[-1]
        net.ways[-1][1]["name"] = villages[-1]["name"] + " Lane"
        net.ways[-1][1]["name:zh"] = villages[-1]["name_zh"] + "便道"
        villages[-1]["xy"] = net.at(vid_node)

    vdf = pd.DataFrame(villages)
    # the township a village lies in is decided by its point, not by how it was placed
    vdf["township"] = [township_at(p) for p in vdf["xy"]]
    if vdf["township"].isna().any():
        raise RuntimeError("a village fell outside the pastoral townships; change the seed")
    weights = vdf["weight"].to_numpy()
    totals = rng.multinomial(RURAL_PUPILS, weights / weights.sum())
    band_counts = np.array([rng.multinomial(t, rng.dirichlet(BAND_SHARE * 80)) for t in totals])
    vill = gpd.GeoDataFrame(
        vdf[["id", "name", "name_zh", "township", "cluster"]],
        geometry=[Point(p) for p in vdf["xy"]],
        crs=METRIC,
    ).set_index("id")
    for b, band in enumerate(BANDS):
        vill[f"pupils_{band}"] = band_counts[:, b]
        migrant = rng.binomial(band_counts[:, b], rng.uniform(0.0, 0.06, len(vill)))
        vill[f"pupils_{band}_resident"] = band_counts[:, b] - migrant
        vill[f"pupils_{band}_migrant"] = migrant

    # ---- town blocks and town schools
    block_rows = []
    comm_names = STREETS[-8:]
    for g, members in groups.items():
        geom = shapely.union_all([cells[m] for m in members])
        geom = largest(geom.buffer(0))
        j, i = g
        cj, ci = j * 2 // ny_, i * 4 // nx_
        comm = comm_names[cj * 4 + ci]
        block_rows.append(
            {
                "cell": g,
                "community": f"{comm[0]} Community",
                "community_zh": f"{comm[1]}社区",
                "geometry": geom,
            }
        )
    blocks = gpd.GeoDataFrame(block_rows, crs=METRIC)
    blocks = blocks.sort_values("cell").reset_index(drop=True)
    blocks["id"] = [f"B{k + 1:03d}" for k in range(len(blocks))]
    blocks["name"] = [f"{c.split()[0]} Block {k + 1}" for k, c in enumerate(blocks["community"])]
    blocks = blocks.set_index("id")
    cent = np.array([[p.x, p.y] for p in blocks.geometry.representative_point()])
    dist_centre = np.hypot(*(cent - town_xy).T)
    w = (
        blocks.geometry.area.to_numpy()
        * np.exp(-dist_centre / 2_500.0)
        * rng.lognormal(0, 0.4, len(blocks))
    )
    b_tot = rng.multinomial(TOWN_PUPILS, w / w.sum())
    east = (cent[:, 0] - town_xy[0]) / 2_500.0
    migrant_share = np.clip(0.30 + 0.12 * east + rng.normal(0, 0.05, len(blocks)), 0.08, 0.6)
    b_bands = np.array([rng.multinomial(t, rng.dirichlet(BAND_SHARE * 120)) for t in b_tot])
    for b, band in enumerate(BANDS):
        mig = rng.binomial(b_bands[:, b], migrant_share)
        blocks[f"pupils_{band}"] = b_bands[:, b]
        blocks[f"pupils_{band}_resident"] = b_bands[:, b] - mig
        blocks[f"pupils_{band}_migrant"] = mig

    # town schools at spread-out blocks (farthest-point sampling from the centre)
    order = [int(np.argmin(dist_centre))]
    while len(order) < 10:
        d = np.min([np.hypot(*(cent - cent[o]).T) for o in order], axis=0)
        d[dist_centre > 2_300] = 0
        order.append(int(np.argmax(d * rng.uniform(0.8, 1.0, len(d)))))
    town_kinds = [
        "primary",
        "primary",
        "middle",
        "nine_year",
        "primary",
        "primary",
        "middle",
        "nine_year",
        "primary",
        "nine_year",
    ]
    school_rows = []
    count = {"primary": 0, "middle": 0, "nine_year": 0}
    for k, (bi, kind) in enumerate(zip(order, town_kinds, strict=True)):
        count[kind] += 1
        n = count[kind]
        if kind == "primary":
            en, zh = f"{town_name} Primary School No. {n}", f"{town_zh}镇第{ORDINAL_ZH[n - 1]}小学"
        elif kind == "middle":
            en, zh = f"{town_name} Middle School No. {n}", f"{town_zh}镇第{ORDINAL_ZH[n - 1]}中学"
        else:
            en = f"{town_name} Nine-year School No. {n}"
            zh = f"{town_zh}镇第{ORDINAL_ZH[n - 1]}九年一贯制学校"
        school_rows.append(
            {
                "id": f"S{k + 1:02d}",
                "name": en,
                "name_zh": zh,
                "kind": kind,
                "township": "T00",
                "xy": cent[bi],
                "status": "open",
            }
        )
    boarding_town = "S10"  # the nine-year boarding school built since 2013
    school_rows[9]["name"] = f"{town_name} Nine-year Boarding School"
    school_rows[9]["name_zh"] = f"{town_zh}镇九年一贯制寄宿学校"
    # township schools at the seats that kept one
    k_s = 10
    for k in range(len(seats)):
        tw = f"T{k + 1:02d}"
        base_en, base_zh = tw_name[tw].replace(" Township", ""), tw_zh[tw][:-1]
        closed = k in SEATS_WITHOUT_SCHOOL
        kind = "nine_year" if k in (0, 1, 4, 5, 6) else "central_primary"
        k_s += 1
        en = f"{base_en} {'Nine-year School' if kind == 'nine_year' else 'Central Primary School'}"
        zh = f"{base_zh}乡{'九年一贯制学校' if kind == 'nine_year' else '中心小学'}"
        school_rows.append(
            {
                "id": f"S{k_s:02d}" if not closed else "",
                "name": en,
                "name_zh": zh,
                "kind": kind,
                "township": tw,
                "xy": seats[k] + rng.normal(0, 150, 2),
                "status": "closed" if closed else "open",
            }
        )
    open_rows = [r for r in school_rows if r["status"] == "open"]
    closed_rows = [r for r in school_rows if r["status"] == "closed"]
    for n, r in enumerate(open_rows, start=1):
        r["id"] = f"S{n:02d}"
    for n, r in enumerate(closed_rows, start=len(open_rows) + 1):
        r["id"] = f"S{n:02d}"
    schools = pd.DataFrame(open_rows + closed_rows).set_index("id")
    bands_of = {
        sid: {
            "primary": BANDS[:2],
            "central_primary": BANDS[:2],
            "middle": BANDS[2:],
            "nine_year": BANDS,
        }[kind]
        for sid, kind in schools["kind"].items()
    }
    xy = {sid: np.asarray(p) for sid, p in schools["xy"].items()}
    is_open = schools["status"] == "open"
    town_ids = [s for s in schools.index if schools.loc[s, "township"] == "T00"]

    # status quo district of each block: nearest-ish school teaching the level
    def nearest_ish(p, candidates):
        d = np.array([np.hypot(*(p - xy[c])) for c in candidates])
        first, second = np.argsort(d)[:2]
        return candidates[first if rng.random() < 0.85 else second]

    prim = [s for s in town_ids if "g1_3" in bands_of[s]]
    mid = [s for s in town_ids if "g7_9" in bands_of[s]]
    blocks["school_primary"] = [nearest_ish(p, prim) for p in cent]
    blocks["school_middle"] = [nearest_ish(p, mid) for p in cent]

    enrol = {s: dict.fromkeys(BANDS, 0) for s in schools.index}
    for _b_id, row in blocks.iterrows():
        for band in BANDS:
            s = row["school_primary"] if band != "g7_9" else row["school_middle"]
            enrol[s][band] += int(row[f"pupils_{band}"])
    # rural pupils: nearest open township school teaching the band (or the town boarding school)
    rural_targets = [s for s in schools.index if is_open[s] and s not in town_ids]
    rural_targets.append(boarding_town)
    far = dict.fromkeys(schools.index, 0)
    vxy = np.array([[p.x, p.y] for p in vill.geometry])
    vill_school = {}
    for band in BANDS:
        cands = [s for s in rural_targets if band in bands_of[s]]
        d = np.array([np.hypot(*(vxy - xy[s]).T) for s in cands])
        best = np.argmin(d, axis=0)
        minutes = d[best, np.arange(len(vxy))] * DETOUR / 1000 / SPEED_KPH[band] * 60
        for v, (vid, s_idx) in enumerate(zip(vill.index, best, strict=True)):
            s = cands[s_idx]
            pupils = int(vill.loc[vid, f"pupils_{band}"])
            enrol[s][band] += pupils
            if minutes[v] > DAY_LIMIT_MIN[band]:
                far[s] += pupils
            vill_school[(vid, band)] = s

    # classes: exactly 58 oversized classes in 7 town schools; the rest within limits
    over_ids = [s for s in town_ids if s not in ("S05", "S09", boarding_town)]
    over_classes = choose_oversized_classes(rng, enrol, bands_of, over_ids)
    classes = {s: dict.fromkeys(BANDS, 0) for s in schools.index}
    for s in schools.index:
        if not is_open[s]:
            continue
        for band in bands_of[s]:
            p = enrol[s][band]
            if s in over_classes:
                classes[s][band] = over_classes[s][band]
            elif s in town_ids:
                classes[s][band] = math.ceil(p / 52) if p else 0
            else:
                classes[s][band] = math.ceil(p / LIMIT[band]) + int(rng.integers(0, 2)) if p else 0
    planned = {s: dict.fromkeys(BANDS, 0) for s in schools.index}
    extend = {
        "g1_3": ["S05", boarding_town],
        "g4_6": ["S05", boarding_town],
        "g7_9": [boarding_town, mid[0]],
    }
    for band in BANDS:
        pupils = sum(enrol[s][band] for s in town_ids)
        have = sum(classes[s][band] for s in town_ids)
        assert have * LIMIT[band] < pupils, f"the town must be short of places in {band}"
        # every crowded town school is extended to hold today's pupils of each band ...
        for s in town_ids:
            if band in bands_of[s]:
                fit = math.ceil(enrol[s][band] / LIMIT[band])
                planned[s][band] = max(0, fit - classes[s][band])
        have += sum(planned[s][band] for s in town_ids)
        # ... and the new boarding school and one more take the town to 7 % spare places
        need = max(0, math.ceil(1.07 * pupils / LIMIT[band]) - have)
        a, b = extend[band]
        planned[a][band] += need - need // 2
        planned[b][band] += need // 2
    for s in schools.index:
        for band in BANDS:
            schools.loc[s, f"classes_{band}"] = classes[s][band]
            schools.loc[s, f"enrolment_{band}"] = enrol[s][band] if is_open[s] else 0
            schools.loc[s, f"planned_classes_{band}"] = planned[s][band]
        beds = math.ceil(far[s] * rng.uniform(1.0, 1.1) / 50) * 50 if far[s] else 0
        if s == boarding_town:
            beds = max(beds, 600)  # also boards pupils from townships beyond the rule's reach
        schools.loc[s, "boarding_beds"] = beds if is_open[s] else 0
        pupils_s = sum(enrol[s].values())
        schools.loc[s, "annual_cost_yuan"] = (
            round(600_000 + 5_200 * pupils_s + 2_000 * beds, -3) if is_open[s] else 0.0
        )
    int_cols = [c for c in schools.columns if c.startswith(("classes_", "enrolment_", "planned_"))]
    schools[[*int_cols, "boarding_beds"]] = schools[[*int_cols, "boarding_beds"]].astype("int64")
    schools = gpd.GeoDataFrame(
        schools.drop(columns="xy"), geometry=[Point(p) for p in schools["xy"]], crs=METRIC
    )

    # ---- former school sites near clusters of far-away villages (and the two merged seats)
    g13_far = []
    for c in clusters:
        members = vill[vill["cluster"] == c["id"]]
        g13_far.append(int(members["pupils_g1_3"].sum()))
    rank = np.argsort(g13_far)[::-1]
    site_rows = []
    for r_idx in rank[:32]:
        c = clusters[r_idx]
        members = vill[vill["cluster"] == c["id"]]
        heavy = members.sort_values("pupils_g1_3").index[-1]
        anchor = np.array([members.loc[heavy].geometry.x, members.loc[heavy].geometry.y])
        p = (anchor + c["xy"]) / 2 + rng.normal(0, 150, 2)
        site_rows.append(
            {
                "name": f"Former {c['name']} Teaching Point",
                "name_zh": f"原{c['name_zh']}教学点",
                "township": c["township"],
                "xy": p,
                "pupils": int(members[[f"pupils_{b}" for b in BANDS]].sum().sum()),
            }
        )
    for k in SEATS_WITHOUT_SCHOOL:
        tw = f"T{k + 1:02d}"
        site_rows.append(
            {
                "name": f"Former {tw_name[tw].replace(' Township', '')} Central School",
                "name_zh": f"原{tw_zh[tw][:-1]}乡中心学校",
                "township": tw,
                "xy": seats[k] + rng.normal(0, 200, 2),
                "pupils": 400,
            }
        )
    sites = pd.DataFrame(site_rows)
    sites["id"] = [f"P{k + 1:02d}" for k in range(len(sites))]
    sites = sites.set_index("id")
    sites["restore_cost_yuan"] = np.round(
        np.clip(0.8e6 + 2_500 * sites["pupils"] + rng.normal(0, 2.5e5, len(sites)), 0.8e6, 3.0e6),
        -4,
    )
    sites["annual_cost_yuan"] = np.round(rng.uniform(1.2e5, 3.5e5, len(sites)), -3)
    sites["min_pupils"] = rng.choice([8, 10, 10, 10, 12], len(sites)).astype("int64")
    sites["max_classes"] = rng.choice([2, 3, 4, 4, 4], len(sites)).astype("int64")
    sites["decision"] = "free"
    sites["closed_year"] = 2009
    decided = rng.permutation(len(sites))
    sites.iloc[decided[:2], sites.columns.get_loc("decision")] = "must"
    sites.iloc[decided[2:4], sites.columns.get_loc("decision")] = "never"
    sites["phase"] = pd.array([pd.NA] * len(sites), dtype="Int64")
    sites.iloc[decided[0], sites.columns.get_loc("phase")] = 1
    sites = gpd.GeoDataFrame(
        sites.drop(columns=["xy", "pupils"]), geometry=[Point(p) for p in sites["xy"]], crs=METRIC
    )

    schools = add_facilities(schools, town_ids, seed)
    straighten(net, pass_ways, max_ratio=PASS_DETOUR)

    county = gpd.GeoDataFrame(
        {"id": ["county"], "name": [AREA_NAME], "name_zh": ["示例县（虚构）"]},
        geometry=[shapely.union_all(list(townships.geometry))],
        crs=METRIC,
    ).set_index("id")
    vill = vill.drop(columns="cluster")
    blocks = blocks.drop(columns=["cell", "community_zh"])
    return {
        "townships": townships,
        "villages": vill,
        "schools": schools,
        "sites": sites,
        "blocks": blocks,
        "county": county,
        "net": net,
    }


# --------------------------------------------------------------------------------------------
# writing


def lonlat(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf.to_crs(WGS84)
    out.geometry = shapely.set_precision(out.geometry.values, 1e-6)
    return out


def points_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    g = gdf.to_crs(WGS84)
    table = pd.DataFrame(g.drop(columns="geometry"))
    table.insert(0, "lon", g.geometry.x.round(6))
    table.insert(1, "lat", g.geometry.y.round(6))
    return table.reset_index()


README_PKG = """\
# Demo county (synthetic)

Generated by `scripts/make_demo_county.py` (seeded) in the geoplan repository; every name,
village, school, road and number here is made up. The county has the shape, size and place of
Hejing County (和静县), Xinjiang, and the headline numbers of its 2014-2018 school report. See
`data/README.md` in the repository for what the files hold. Licence: the same as geoplan (MIT).
"""


def write(layers, *, seed: int) -> None:
    PKG_DIR.mkdir(parents=True, exist_ok=True)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    BOUNDARY_DIR.mkdir(parents=True, exist_ok=True)
    gpkg = PKG_DIR / "demo_county.gpkg"
    gpkg.unlink(missing_ok=True)
    for name in ("townships", "villages", "schools", "sites", "blocks"):
        lonlat(layers[name]).reset_index().to_file(
            gpkg, layer=name, driver="GPKG", engine="pyogrio", SPATIAL_INDEX="NO"
        )
    write_osm(layers["net"], PKG_DIR / "roads.osm.bz2")
    area = {
        "name": AREA_NAME,
        "synthetic": True,
        "description": f"Synthetic county shaped like Hejing County; seed {seed}.",
    }
    (PKG_DIR / "area.yaml").write_text(yaml.safe_dump(area, allow_unicode=True, sort_keys=False))
    (PKG_DIR / "README.md").write_text(README_PKG)

    points_table(layers["villages"]).to_csv(DATA_DIR / "villages.csv", index=False)
    points_table(layers["sites"]).to_csv(DATA_DIR / "sites.csv", index=False)
    points_table(layers["schools"]).to_excel(DATA_DIR / "schools.xlsx", index=False)
    for name, folder in (
        ("blocks", DATA_DIR),
        ("townships", DATA_DIR),
        ("townships", BOUNDARY_DIR),
        ("county", BOUNDARY_DIR),
    ):
        path = folder / f"{name}.geojson"
        path.unlink(missing_ok=True)
        lonlat(layers[name]).reset_index().to_file(
            path, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=6
        )
    shutil.copyfile(PKG_DIR / "roads.osm.bz2", DATA_DIR / "roads.osm.bz2")
    shutil.copyfile(PKG_DIR / "area.yaml", DATA_DIR / "area.yaml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2014)
    args = parser.parse_args()
    layers = generate(args.seed)
    write(layers, seed=args.seed)
    net = layers["net"]
    print(f"nodes {len(net.xy)}, ways {len(net.ways)}")
    for name in ("townships", "villages", "schools", "sites", "blocks"):
        print(name, len(layers[name]))


if __name__ == "__main__":
    main()
