"""``geoplan demo``: the embedded demo county end to end, written to ``OUT/demo/``.

Every file goes to a temporary folder first and moves into place only when the run is complete,
so a failed run leaves an earlier result intact.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import osmnx as ox
import pandas as pd
from tqdm.auto import tqdm

from . import datasets, maps, plan_maps
from .io import atomic_output_dir
from .plan import PlanResult, load_network, make_plan
from .restoration import write_scorecard
from .summary import county_summary

logger = logging.getLogger(__name__)


def write_table(table: pd.DataFrame, path: Path) -> list[Path]:
    """Write ``table`` as ``<path>.csv`` (UTF-8 with BOM, opens in Chinese Excel) and ``.xlsx``."""
    csv, xlsx = path.with_suffix(".csv"), path.with_suffix(".xlsx")
    table.to_csv(csv, encoding="utf-8-sig")
    table.to_excel(xlsx, sheet_name=path.stem[:31])
    return [csv, xlsx]


def write_demo_files(
    result: PlanResult, roads: gpd.GeoDataFrame, folder: Path, *, lang: str
) -> list[Path]:
    """Write the maps and tables of a demo plan into ``folder``; returns the files written."""
    written: list[Path] = []
    steps: list[tuple[str, Callable[[], list[Path]]]] = [
        (
            "overview map",
            lambda: [
                maps.save_offline(
                    maps.overview_map(result.area, lang=lang, roads=roads),
                    folder / "overview_map.html",
                )
            ],
        ),
        (
            "county summary",
            lambda: write_table(county_summary(result.area), folder / "county_summary"),
        ),
        (
            "journeys map",
            lambda: [
                maps.save_offline(
                    plan_maps.journeys_map(result, lang=lang), folder / "journeys_today_map.html"
                )
            ],
        ),
    ]
    if result.restoration is not None:
        plan = result.restoration
        steps += [
            (
                "restoration tables",
                lambda: [
                    *write_scorecard(plan.scorecard, folder / "restoration_scorecard", lang=lang),
                    *write_table(plan.phases, folder / "restoration_phases"),
                    *write_table(plan.unserved, folder / "villages_unserved_after_plan"),
                    *write_table(plan.townships, folder / "townships_after_plan"),
                ],
            ),
            (
                "restoration map",
                lambda: [
                    maps.save_offline(
                        plan_maps.restoration_map(result, lang=lang),
                        folder / "restoration_map.html",
                    )
                ],
            ),
        ]
    if result.districts is not None:
        districts = result.districts
        steps += [
            (
                "district tables",
                lambda: [
                    *write_table(districts.schools, folder / "district_schools"),
                    *write_table(districts.indicators, folder / "district_indicators"),
                ],
            ),
            (
                "districts map",
                lambda: [
                    maps.save_offline(
                        plan_maps.districts_map(result, lang=lang), folder / "districts_map.html"
                    )
                ],
            ),
        ]
    for label, step in tqdm(steps, desc="Writing demo outputs", unit="step"):
        logger.debug("writing %s", label)
        written += step()
    return written


def run_demo(out: str | Path = "outputs", *, lang: str = "en") -> Path:
    """Run geoplan on the demo county and write its maps and tables to ``out/demo``.

    Parameters
    ----------
    out
        Output folder; the demo goes to its ``demo`` sub-folder.
    lang
        ``"en"`` or ``"zh"`` labels.

    Returns
    -------
    pathlib.Path
        The demo folder.
    """
    final = Path(out) / "demo"
    area = datasets.demo_county()
    logger.info("Loading the demo road network (%s)", area.roads_path)
    graph = load_network(area)
    result = make_plan(area, graph=graph)
    roads = ox.graph_to_gdfs(graph, nodes=False)
    with atomic_output_dir(final) as folder:
        written = write_demo_files(result, roads, folder, lang=lang)
    logger.info("Wrote %d files to %s", len(written), final)
    return final
