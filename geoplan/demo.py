"""``geoplan demo`` and the map and table writer every scenario run shares.

:func:`run_demo` runs the bundled demo scenario (the embedded demo county) into ``OUT/demo/``.

Every file goes to a temporary folder first and moves into place only when the run is complete,
so a failed run leaves an earlier result intact.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
from tqdm.auto import tqdm

from . import datasets, maps, plan_maps
from .plan import PlanResult
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
    result: PlanResult,
    roads: gpd.GeoDataFrame,
    folder: Path,
    *,
    lang: str,
    with_maps: bool = True,
) -> list[Path]:
    """Write the maps and tables of a plan into ``folder``; returns the files written.

    Parameters
    ----------
    result
        The plan.
    roads
        Road edges drawn on the overview map.
    folder
        Where to write (usually the temporary folder of :func:`geoplan.io.atomic_output_dir`).
    lang
        ``"en"`` or ``"zh"`` labels.
    with_maps
        Also write the HTML maps (tables only when false).
    """
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
    if not with_maps:
        steps = [(label, step) for label, step in steps if not label.endswith("map")]
    for label, step in tqdm(steps, desc="Writing outputs", unit="step", disable=None):
        logger.debug("writing %s", label)
        written += step()
    return written


def run_demo(out: str | Path = "outputs", *, lang: str = "en") -> Path:
    """Run the bundled demo scenario (the demo county, default settings) into ``out/demo``.

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
    from .runner import run_scenario
    from .scenario import Scenario

    scenario = Scenario(
        name="demo",
        area=datasets.demo_folder(),
        description="The embedded demo county with the planning defaults.",
        lang=lang,
    )
    return run_scenario(scenario, out=out)
