"""Shared pytest fixtures."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geoplan.data.area import PlanningArea

TINY_CRS = "EPSG:32645"
"""UTM zone 45N: the metric CRS of the tiny test county (near Hejing, about 86 E 42.5 N)."""

_X0, _Y0 = 400_000.0, 4_700_000.0


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (with the reason) a test marked browser, cjk_font or poppler where that is missing.

    Runs before the test's fixtures, so a skipped test costs nothing; under
    ``GEOPLAN_REQUIRE_BROWSER=1`` (CI) it fails instead.
    """
    from browser import SYSTEM_NEEDS, require

    for need in SYSTEM_NEEDS:
        if item.get_closest_marker(need) is not None:
            require(need)


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Give the test session its own graph and travel-matrix cache (cold at the start)."""
    if "GEOPLAN_CACHE_DIR" not in os.environ:
        os.environ["GEOPLAN_CACHE_DIR"] = str(tmp_path_factory.mktemp("geoplan_cache"))


def _frame(rows: list[dict[str, object]], ids: list[str]) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=TINY_CRS)
    gdf.index = pd.Index(ids, name="id")
    return gdf


def build_tiny_area(
    *,
    township_name: str = "Alpha township",
    village_name: str = "Upper Meadow",
    school_name: str = "Alpha Central Primary",
    site_name: str = "Old Pass School",
    synthetic: bool = True,
) -> PlanningArea:
    """A tiny county: 3 townships, 6 villages, 4 schools (3 kinds), 2 sites, in EPSG:32645.

    The first township, village, school and site take the given names, so tests can plant
    hostile text in each layer.
    """
    size = 20_000.0
    townships = _frame(
        [
            {"name": township_name, "geometry": box(_X0, _Y0, _X0 + size, _Y0 + size)},
            {"name": "Beta township", "geometry": box(_X0 + size, _Y0, _X0 + 2 * size, _Y0 + size)},
            {
                "name": "Gamma township",
                "geometry": box(_X0, _Y0 + size, _X0 + 2 * size, _Y0 + 2 * size),
            },
        ],
        ["T1", "T2", "T3"],
    )
    vill_xy = [(3, 4), (12, 15), (25, 5), (33, 17), (8, 30), (30, 35)]
    vill_tw = ["T1", "T1", "T2", "T2", "T3", "T3"]
    villages = _frame(
        [
            {
                "name": village_name if i == 0 else f"Village {i + 1}",
                "township": tw,
                "pupils_g1_3": 10 * (i + 1),
                "pupils_g4_6": 8 * (i + 1),
                "pupils_g7_9": 5 * (i + 1),
                "geometry": Point(_X0 + x * 1000, _Y0 + y * 1000),
            }
            for i, ((x, y), tw) in enumerate(zip(vill_xy, vill_tw, strict=True))
        ],
        [f"V{i + 1}" for i in range(6)],
    )
    school_rows = [
        (school_name, "central_primary", "T1", (10, 10)),
        ("Beta Nine-year School", "nine_year", "T2", (30, 10)),
        ("Gamma Teaching Point", "teaching_point", "T3", (10, 32)),
        ("Gamma Middle School", "middle", "T3", (28, 30)),
    ]
    schools = _frame(
        [
            {
                "name": name,
                "kind": kind,
                "township": tw,
                "classes_g1_3": 3,
                "classes_g4_6": 3 if kind != "teaching_point" else 0,
                "classes_g7_9": 3 if kind in ("nine_year", "middle") else 0,
                "enrolment_g1_3": 90,
                "enrolment_g4_6": 80 if kind != "teaching_point" else 0,
                "enrolment_g7_9": 120 if kind in ("nine_year", "middle") else 0,
                "boarding_beds": 50,
                "status": "open",
                "geometry": Point(_X0 + x * 1000, _Y0 + y * 1000),
            }
            for name, kind, tw, (x, y) in school_rows
        ],
        ["S1", "S2", "S3", "S4"],
    )
    sites = _frame(
        [
            {
                "name": site_name,
                "township": "T1",
                "restore_cost_yuan": 1_200_000.0,
                "decision": "free",
                "phase": None,
                "geometry": Point(_X0 + 2000, _Y0 + 2000),
            },
            {
                "name": "Old Valley School",
                "township": "T2",
                "restore_cost_yuan": 900_000.0,
                "decision": "must",
                "phase": 1,
                "geometry": Point(_X0 + 36000, _Y0 + 3000),
            },
        ],
        ["P1", "P2"],
    )
    blocks = gpd.GeoDataFrame({"name": []}, geometry=gpd.GeoSeries([], crs=TINY_CRS))
    blocks.index = pd.Index([], dtype=str, name="id")
    return PlanningArea(
        name="Tiny County",
        townships=townships,
        villages=villages,
        schools=schools,
        sites=sites,
        blocks=blocks,
        crs=TINY_CRS,
        synthetic=synthetic,
    )


@pytest.fixture
def tiny_area() -> PlanningArea:
    """A tiny synthetic county in EPSG:32645 (see :func:`build_tiny_area`)."""
    return build_tiny_area()


@pytest.fixture
def make_tiny_area() -> Callable[..., PlanningArea]:
    """Factory of tiny areas with chosen names (see :func:`build_tiny_area`)."""
    return build_tiny_area


def build_tiny_graph() -> object:
    """A road grid over the tiny county (EPSG:32645): nodes every 2 km, two-way roads.

    Rows alternate ``secondary`` and ``track`` so walking and bus modes both find their way.
    """
    import networkx as nx

    g = nx.MultiDiGraph(crs=TINY_CRS)
    step, n = 2000.0, 21
    for i in range(n):
        for j in range(n):
            g.add_node(i * n + j, x=_X0 + i * step, y=_Y0 + j * step)
    wid = 0
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di >= n or j + dj >= n:
                    continue
                wid += 1
                u, v = i * n + j, (i + di) * n + (j + dj)
                attrs = {
                    "length": step,
                    "highway": "secondary" if j % 2 == 0 else "track",
                    "oneway": False,
                    "osmid": wid,
                    "name": f"road {wid}",
                }
                g.add_edge(u, v, **attrs)
                g.add_edge(v, u, **attrs)
    return g


@pytest.fixture(scope="module")
def tiny_graph() -> object:
    """Road grid of the tiny county (see :func:`build_tiny_graph`)."""
    return build_tiny_graph()


HOSTILE_NAME = "<img src=x onerror=alert(1)>"
"""A name that runs a script if a page inserts it as markup."""


@pytest.fixture(scope="module")
def hostile_plan(tmp_path_factory: pytest.TempPathFactory) -> object:
    """A plan of the tiny county whose first township, village, school and site (and the county
    itself) are named :data:`HOSTILE_NAME`; restores one site per phase over two phases."""
    import dataclasses

    from geoplan.plan.pipeline import PlanSettings, make_plan

    area = build_tiny_area(
        township_name=HOSTILE_NAME,
        village_name=HOSTILE_NAME,
        school_name=HOSTILE_NAME,
        site_name=HOSTILE_NAME,
    )
    area = dataclasses.replace(area, name=HOSTILE_NAME)
    settings = PlanSettings(
        sites_per_phase=(1, 1), years=2, cache_dir=tmp_path_factory.mktemp("cache")
    )
    return make_plan(area, graph=build_tiny_graph(), settings=settings)


@pytest.fixture
def no_cjk_font(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fontconfig with no font folder at all, as on a bare machine."""
    conf = tmp_path / "empty-fonts.conf"
    conf.write_text("<?xml version='1.0'?>\n<fontconfig></fontconfig>\n", encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    from geoplan.outputs import printing

    monkeypatch.setattr(printing, "_warned_fonts", set())
    printing.find_cjk_font.cache_clear()
    try:
        yield
    finally:
        printing.find_cjk_font.cache_clear()
