"""``geoplan demo``: the embedded demo county end to end, written to ``OUT/demo/``.

The demo is a scenario like any other (:mod:`geoplan.scenario`): the demo county with the planning
defaults (14 teaching points in 4 phases, county-town districts with the planned extension). The
run writes to a temporary folder first and moves it into place only when complete, so a failed run
leaves an earlier result intact.
"""

from __future__ import annotations

from pathlib import Path

from geoplan.data import datasets
from geoplan.plan.investments import InvestmentSettings
from geoplan.plan.pipeline import PlanSettings
from geoplan.runs.runner import run_scenario
from geoplan.runs.scenario import Scenario

DEMO_INVESTMENT = InvestmentSettings(
    budget_by_year_yuan={2025: 52_190_000, 2026: 26_050_000, 2027: 53_950_000}
)
"""The demo's money for the needs of its schools: Cele County's of 2014-2016, in 2025-2027."""

__all__ = [
    "DEMO_INVESTMENT",
    "demo_scenario",
    "run_demo",
]


def demo_scenario(*, lang: str = "en") -> Scenario:
    """The scenario ``geoplan demo`` runs: the demo county with the planning defaults."""
    return Scenario(
        name="demo",
        area=datasets.demo_folder(),
        description="The embedded (synthetic) demo county with the planning defaults.",
        lang=lang,
        settings=PlanSettings(investment=DEMO_INVESTMENT),
    )


def run_demo(out: str | Path = "outputs", *, lang: str = "en") -> Path:
    """Run the demo scenario into ``out/demo``.

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
    return run_scenario(demo_scenario(lang=lang), out=out)
