"""Indicators a county office would accept: day pupils' daily journeys and boarders' weekly trips.

Every metrics key is defined in ``docs/indicators.md``. On the demo county (tables and GeoPackage
written, maps and pages off), every figure of ``metrics.json`` is worked out again by brute force
from the travel matrices (one list entry per pupil), and two villages are followed by hand into
the XLSX and the GeoPackage: V002, whose pupils all walk or ride to S12 daily, and V017, whose
pupils all board at S11 (a 15-hour walk for grades 1-3) and go home weekly by school bus.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import pytest

from geoplan.atomic import atomic_output_dir
from geoplan.network import travel
from geoplan.outputs.labels import VALUE_LABELS
from geoplan.outputs.profiles import school_profiles
from geoplan.plan.pipeline import PlanResult, destination_points
from geoplan.rules import BANDS, BANDS_BY_KIND
from geoplan.runs.demo import demo_scenario
from geoplan.runs.runner import ScenarioRun, plan_scenario, run_metrics, write_run

DOC = Path(__file__).resolve().parents[1] / "docs" / "indicators.md"
PLACEHOLDERS = {"state": ("before", "after"), "band": BANDS, "level": ("primary", "middle")}
DAY_VILLAGE, BOARDER_VILLAGE = "V002", "V017"


def documented_keys() -> set[str]:
    """Every key in the first column of the tables of docs/indicators.md, placeholders expanded."""
    keys: set[str] = set()
    for line in DOC.read_text(encoding="utf-8").splitlines():
        found = re.match(r"^\| `([^`]+)` \|", line)
        if not found:
            continue
        names = [found.group(1)]
        for field, values in PLACEHOLDERS.items():
            mark = "{" + field + "}"
            names = (
                [n.replace(mark, v) for n in names for v in values] if mark in names[0] else names
            )
        keys.update(names)
    return keys


def undefined_keys(metrics: dict[str, Any]) -> list[str]:
    """Keys of ``metrics`` docs/indicators.md does not define (season prefixes as it says)."""
    keys = documented_keys()
    seasons = [p.split(" (")[0] for p in str(metrics.get("seasons") or "").split(", ") if p]
    prefixes = [f"{name}_" for name in (*seasons, "year")] if seasons else []
    out = []
    for key in metrics:
        bare = next((key[len(p) :] for p in prefixes if key.startswith(p)), key)
        if key not in keys and bare not in keys:
            out.append(key)
    return sorted(out)


def test_every_metrics_key_is_defined(hostile_plan: PlanResult) -> None:
    """A key metrics.json writes without a definition in docs/indicators.md fails here."""
    missing = undefined_keys(run_metrics(hostile_plan))
    assert not missing, f"define these in docs/indicators.md: {missing}"
    assert undefined_keys({"after_day_pupils_g1_3": 1, "after_walk_g1_3_min": 2}) == [
        "after_walk_g1_3_min"
    ]


def test_documented_keys_parse() -> None:
    keys = documented_keys()
    assert "after_day_mean_journey_g1_3_min" in keys
    assert "before_boarder_mean_weekly_trip_g4_6_min" in keys
    assert "districts_middle_solver_gap" in keys
    assert not any("{" in k for k in keys)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScenarioRun, Path]:
    scenario = dataclasses.replace(demo_scenario(), maps=False, profiles=False, print_maps=False)
    run = plan_scenario(scenario)
    folder = tmp_path_factory.mktemp("indicators") / "demo"
    with atomic_output_dir(folder) as tmp:
        write_run(run, tmp)
    return run, folder


def _percentile(journeys: list[float], q: float) -> float:
    """The journey at or below which ``q`` of the pupils are (one entry per pupil)."""
    ordered = sorted(journeys)
    return ordered[max(0, math.ceil(q * len(ordered) - 1e-9) - 1)]


def _by_hand(run: ScenarioRun) -> dict[tuple[str, str, str], tuple[str, str, float]]:
    """Per (state, village, band): school, kind and the journey that applies, from the matrices.

    The nearest open school teaching the band; beyond the day limit the nearest with beds, whose
    weekly trip is the school-bus minutes; with no bed anywhere, unserved.
    """
    result = run.result
    area = result.area
    dest = destination_points(result.schools, area.sites)
    settings = result.settings
    matrices = {
        mode: travel.travel_matrix(run.graph, area.villages, dest, mode=mode).minutes_frame()
        for mode in {*settings.band_modes.values(), settings.boarders_trip_mode}
    }
    bus = matrices[settings.boarders_trip_mode]
    restored = [] if result.restoration is None else list(result.restoration.restored.index)
    beds = dest["boarding_beds"].fillna(0)
    out: dict[tuple[str, str, str], tuple[str, str, float]] = {}
    for state in ("before", "after"):
        open_ids = [s for s in dest.index if dest.loc[s, "status"] == "open"]
        if state == "after":
            open_ids += [str(s) for s in restored]
        for band in BANDS:
            limit = settings.rules.day_limit_min[band]
            table = matrices[settings.band_modes[band]]
            teach = [
                s
                for s in dest.index
                if s in open_ids and band in BANDS_BY_KIND[dest.loc[s, "kind"]]
            ]
            for vid in area.villages.index:
                minutes = {s: float(table.loc[vid, s]) for s in teach}
                reach = {s: m for s, m in minutes.items() if np.isfinite(m)}
                near = min(reach, key=reach.__getitem__) if reach else None
                if near is not None and reach[near] <= limit:
                    out[state, vid, band] = (near, "day", reach[near])
                    continue
                with_beds = {s: m for s, m in reach.items() if beds[s] > 0}
                if with_beds:
                    school = min(with_beds, key=with_beds.__getitem__)
                    out[state, vid, band] = (school, "boards", float(bus.loc[vid, school]))
                else:
                    out[state, vid, band] = (str(near), "unserved", math.nan)
    return out


def _hand_metrics(run: ScenarioRun) -> dict[str, Any]:
    journeys = _by_hand(run)
    villages = run.result.area.villages
    out: dict[str, Any] = {}
    for state in ("before", "after"):
        for band in BANDS:
            day: list[float] = []
            trips: list[float] = []
            counts = {"day": 0, "boards": 0, "unserved": 0}
            for vid in villages.index:
                pupils = int(villages.loc[vid, f"pupils_{band}"])
                _, kind, minutes = journeys[state, vid, band]
                counts[kind] += pupils
                if kind == "day":
                    day += [minutes] * pupils
                elif kind == "boards":
                    trips += [minutes] * pupils
            out[f"{state}_day_pupils_{band}"] = counts["day"]
            out[f"{state}_boarders_{band}"] = counts["boards"]
            out[f"{state}_unserved_{band}"] = counts["unserved"]
            out[f"{state}_day_mean_journey_{band}_min"] = sum(day) / len(day)
            out[f"{state}_day_median_journey_{band}_min"] = _percentile(day, 0.5)
            out[f"{state}_day_p90_journey_{band}_min"] = _percentile(day, 0.9)
            out[f"{state}_day_longest_journey_{band}_min"] = max(day)
            out[f"{state}_boarder_mean_weekly_trip_{band}_min"] = sum(trips) / len(trips)
            out[f"{state}_boarder_longest_weekly_trip_{band}_min"] = max(trips)
    return out


@pytest.mark.slow
def test_demo_metrics_by_brute_force(demo: tuple[ScenarioRun, Path]) -> None:
    run, folder = demo
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    missing = undefined_keys(metrics)
    assert not missing, f"define these in docs/indicators.md: {missing}"
    for key, value in _hand_metrics(run).items():
        assert metrics[key] == pytest.approx(value, abs=1e-3), key


def _word(column: str, code: str) -> str:
    """How the English workbooks show ``code`` of ``column`` (VALUE_LABELS; a code without a
    word as it is)."""
    return VALUE_LABELS["en"].get(column, {}).get(code, code)


@pytest.mark.slow
def test_two_demo_villages_by_hand(demo: tuple[ScenarioRun, Path]) -> None:
    """V002: day pupils of every band at S12; V017: boarders of every band at S11."""
    run, folder = demo
    hand = _by_hand(run)
    modes = {**run.result.settings.band_modes}
    xlsx = pd.read_excel(
        folder / "villages_journeys_after_plan.xlsx", index_col=[0, 1], engine="openpyxl"
    )
    gpkg = pyogrio.read_dataframe(folder / "results.gpkg", layer="villages_journeys_after_plan")
    gpkg = gpkg.set_index("id")
    for vid, kind in ((DAY_VILLAGE, "day"), (BOARDER_VILLAGE, "boards")):
        for band in BANDS:
            school, got_kind, minutes = hand["after", vid, band]
            assert got_kind == kind, (vid, band)
            mode = modes[band] if kind == "day" else run.result.settings.boarders_trip_mode
            row = xlsx.loc[(vid, _word("band", band))]  # the workbook shows codes as words
            got = (row["school"], row["status"], row["mode"])
            assert got == (school, _word("status", kind), _word("mode", mode))
            layer = gpkg.loc[vid]
            assert (layer[f"school_{band}"], layer[f"status_{band}"]) == (school, kind)
            assert layer[f"mode_{band}"] == mode
            if kind == "day":  # the daily journey; no weekly trip
                assert row["day_journey_min"] == pytest.approx(minutes, abs=1e-3)
                assert layer[f"day_journey_{band}_min"] == pytest.approx(minutes, abs=1e-3)
                assert pd.isna(row["weekly_trip_min"])
                assert pd.isna(layer[f"weekly_trip_{band}_min"])
            else:  # the weekly bus trip; never the walk
                assert row["weekly_trip_min"] == pytest.approx(minutes, abs=1e-3)
                assert layer[f"weekly_trip_{band}_min"] == pytest.approx(minutes, abs=1e-3)
                assert pd.isna(row["day_journey_min"])
                assert pd.isna(layer[f"day_journey_{band}_min"])
    # In metrics.json they sit on the right side: V002's daily journeys within the day figures,
    # V011's trips within the boarders' figures.
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    for band in BANDS:
        assert (
            hand["after", DAY_VILLAGE, band][2] <= metrics[f"after_day_longest_journey_{band}_min"]
        )
        assert (
            hand["after", BOARDER_VILLAGE, band][2]
            <= metrics[f"after_boarder_longest_weekly_trip_{band}_min"] + 1e-3
        )


@pytest.mark.slow
def test_no_daily_figure_above_the_longest_day_journey(demo: tuple[ScenarioRun, Path]) -> None:
    """Done when: no daily-journey figure of the demo exceeds the longest day pupil's journey."""
    run, folder = demo
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    longest = max(
        metrics[f"{s}_day_longest_journey_{b}_min"] for s in ("before", "after") for b in BANDS
    )
    assert longest <= max(run.result.settings.rules.day_limit_min.values())
    daily: dict[str, float] = {
        f"metrics.json {k}": v for k, v in metrics.items() if "day_" in k and "journey" in k
    }
    towns = pd.read_csv(folder / "townships_after_plan.csv", index_col=0, encoding="utf-8-sig")
    for col in towns.columns:
        if col.startswith("day_") and "journey" in col:
            daily[f"townships {col}"] = float(towns[col].max())
    for name in ("villages_journeys_today", "villages_journeys_after_plan"):
        table = pd.read_csv(folder / f"{name}.csv", encoding="utf-8-sig")
        daily[name] = float(table["day_journey_min"].max())
    profiles = school_profiles(run.result)
    for col in profiles.columns:
        if col.startswith("day_") and "journey" in col:
            daily[f"profiles {col}"] = float(profiles[col].max())
    too_long = {k: v for k, v in daily.items() if v is not None and v > longest + 0.05}
    assert not too_long
    # Boarders' weekly trips are reported beside them, for every band with boarders.
    for band in BANDS:
        if metrics[f"after_boarders_{band}"]:
            assert metrics[f"after_boarder_mean_weekly_trip_{band}_min"] is not None
