"""Seasons: scenario fields, per-season travel matrices, indicators per season and the year."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
from shapely import Point

from geoplan.errors import ArgumentError, ScenarioError
from geoplan.network.modes import CHILD_WALK, SCHOOL_BUS, Closure
from geoplan.plan.seasons import Season, check_seasons, season_metrics, season_minutes, season_mode
from geoplan.runs.scenario import load_scenario

CRS = "EPSG:32645"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOPLAN_CACHE_DIR", str(tmp_path / "cache"))


def _line() -> nx.MultiDiGraph:
    """A-B-C on flat ground, 1 km each, road 2 (B-C) named 'pass'."""
    g = nx.MultiDiGraph(crs=CRS)
    for n, x in (("A", 0.0), ("B", 1000.0), ("C", 2000.0), ("D", 1000.0)):
        g.add_node(n, x=x, y=0.0 if n != "D" else 1000.0)
    roads = [("A", "B", 1000.0, "road 1"), ("B", "C", 1000.0, "pass"),
             ("A", "D", 1414.0, "road 3"), ("D", "C", 1414.0, "road 4")]  # fmt: skip
    for wid, (u, v, length, name) in enumerate(roads, start=1):
        for a, b in ((u, v), (v, u)):
            g.add_edge(a, b, length=length, highway="residential", oneway=False, osmid=wid,
                       name=name)  # fmt: skip
    return g


def _points(coords: dict[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=[Point(*c) for c in coords.values()],
        index=pd.Index(list(coords), name="id"),
        crs=CRS,
    )


def test_season_mode_scales_every_speed() -> None:
    winter = Season("winter", 5, speed_factor={"school_bus": 0.5})
    bus = season_mode("school_bus", winter)
    assert bus.walk_kph == SCHOOL_BUS.walk_kph * 0.5
    assert bus.speeds_kph["trunk"] == SCHOOL_BUS.speeds_kph["trunk"] * 0.5
    assert season_mode("child_walk", winter) is CHILD_WALK
    assert bus.fingerprint() != SCHOOL_BUS.fingerprint()  # cached apart


def test_season_matrices_add_closures_and_slow_walking(tmp_path: Path) -> None:
    g = _line()
    villages, schools = _points({"vA": (0.0, 0.0)}), _points({"sC": (2000.0, 0.0)})
    seasons = (
        Season("summer", 5),
        Season("winter", 4, closures=(Closure("snow", names=("pass",)),),
               speed_factor={"child_walk": 0.5}),
    )  # fmt: skip
    modes = {"g1_3": "child_walk", "g4_6": "pupil_walk", "g7_9": "pupil_walk"}
    got = season_minutes(g, villages, schools, band_modes=modes, closures=(), seasons=seasons,
                         cache_dir=tmp_path)  # fmt: skip
    # summer: 2 km at 3 km/h = 40 min; winter: round by D (2828 m) at 1.5 km/h
    assert got["summer"]["g1_3"].iloc[0, 0] == pytest.approx(40.0)
    assert got["winter"]["g1_3"].iloc[0, 0] == pytest.approx(2828 / 1500 * 60)
    # pupils walk at 4 km/h, no factor in winter, only the detour
    assert got["winter"]["g4_6"].iloc[0, 0] == pytest.approx(2828 / 4000 * 60)
    # a closure of the scenario holds in every season
    both = season_minutes(g, villages, schools, band_modes=modes,
                          closures=(Closure("bridge", names=("road 3",)),), seasons=seasons,
                          cache_dir=tmp_path)  # fmt: skip
    assert both["summer"]["g1_3"].iloc[0, 0] == pytest.approx(40.0)
    winter = both["winter"]["g1_3"].iloc[0, 0]
    assert winter != pytest.approx(got["winter"]["g1_3"].iloc[0, 0])  # the detour is shut too


def test_year_values_are_months_weighted_and_longest_is_per_season() -> None:
    seasons = (Season("summer", 6), Season("winter", 3))
    per = {
        "summer": {"after_day_pupils_g1_3": 90, "after_day_longest_journey_g1_3_min": 20.0},
        "winter": {"after_day_pupils_g1_3": 60, "after_day_longest_journey_g1_3_min": 50.0},
    }
    out = season_metrics(seasons, per.__getitem__)
    assert out["summer_after_day_pupils_g1_3"] == 90
    assert out["winter_after_day_longest_journey_g1_3_min"] == 50.0
    assert out["year_after_day_pupils_g1_3"] == pytest.approx((6 * 90 + 3 * 60) / 9)
    assert "year_after_day_longest_journey_g1_3_min" not in out


def test_check_seasons_names_the_problem() -> None:
    with pytest.raises(ArgumentError, match="add up to 13"):
        check_seasons((Season("a", 7), Season("b", 6)))
    with pytest.raises(ArgumentError, match="unknown mode"):
        check_seasons((Season("a", 7, speed_factor={"sled": 0.5}),))
    with pytest.raises(ArgumentError, match="repeat"):
        check_seasons((Season("a", 2), Season("a", 3)))


def _scenario(tmp_path: Path, text: str) -> Path:
    demo = Path(__file__).resolve().parents[1] / "geoplan" / "data" / "demo"
    path = tmp_path / "s.yaml"
    path.write_text(f"area: {{folder: {demo}}}\n" + text, encoding="utf-8")
    return path


def test_scenario_seasons_are_read_and_checked(tmp_path: Path) -> None:
    path = _scenario(
        tmp_path,
        "closures: {roads: [{names: [Old Bridge]}]}\n"
        "seasons:\n  summer: {months: 5}\n"
        "  winter: {months: 5, closures: [{names: [Aqik Winter Pass]}],\n"
        "           speed_factor: {child_walk: 0.7}}\n",
    )
    got = load_scenario(path).settings
    assert [s.name for s in got.seasons] == ["summer", "winter"]
    assert got.seasons[1].closures[0].names == ("Aqik Winter Pass",)
    assert got.seasons[1].speed_factor == {"child_walk": 0.7}
    assert got.closures[0].names == ("Old Bridge",)  # the scenario's own, for every season
    assert load_scenario(_scenario(tmp_path, "")).settings.seasons == ()
    bad = _scenario(
        tmp_path,
        "seasons:\n  summer: {months: 8, colour: red}\n"
        "  winter: {months: 5, speed_factor: {sled: 0.5, child_walk: -1}}\n"
        "siting: {model: p_median, p: 2, robust: best}\nrestoration: {enabled: false}\n",
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(bad)
    text = str(err.value)
    wheres = (
        "seasons.summer.colour",
        "seasons.winter.speed_factor.sled",
        "seasons.winter.speed_factor.child_walk",
        "more than 12",
        "siting.robust",
    )
    for where in wheres:
        assert where in text
    no_seasons = _scenario(
        tmp_path, "siting: {model: p_median, p: 2, robust: worst}\nrestoration: {enabled: false}\n"
    )
    with pytest.raises(ScenarioError, match="needs seasons"):
        load_scenario(no_seasons)


@pytest.mark.slow
def test_demo_robust_plan_holds_in_winter() -> None:
    """The demo's summer plan and robust plan, judged in each season by the evaluation."""
    from test_indicators import undefined_keys

    from geoplan.data.datasets import demo_scenarios
    from geoplan.runs.runner import plan_scenario

    runs = {
        name: plan_scenario(demo_scenarios() / f"{name}.yaml").result
        for name in ("seasons_cover_6", "seasons_cover_6_robust")
    }
    summer, robust = runs["seasons_cover_6"], runs["seasons_cover_6_robust"]
    key = "after_day_pupils_g1_3"
    for plan in runs.values():
        m = plan.metrics
        assert set(plan.season_minutes) == {"summer", "winter"}
        assert m[f"year_{key}"] == pytest.approx(
            (5 * m[f"summer_{key}"] + 5 * m[f"winter_{key}"]) / 10
        )
        assert "year_after_day_longest_journey_g1_3_min" not in m
        assert not undefined_keys(m)  # every season key defined in docs/indicators.md
        assert m[f"summer_{key}"] == m[key]  # summer is the scenario without a season's changes
    worst = {
        n: min(p.metrics[f"summer_{key}"], p.metrics[f"winter_{key}"]) for n, p in runs.items()
    }
    assert worst["seasons_cover_6_robust"] >= worst["seasons_cover_6"]
    assert robust.metrics[f"winter_{key}"] > summer.metrics[f"winter_{key}"]
    assert summer.metrics[f"summer_{key}"] >= robust.metrics[f"summer_{key}"]
    # the model's own count of each season equals the evaluation's (two independent paths)
    assert robust.restoration is not None and robust.restoration.siting is not None
    seasons = robust.restoration.siting.seasons
    assert seasons is not None
    for name in ("summer", "winter"):
        assert seasons.loc[name, "value"] == robust.metrics[f"{name}_{key}"]


def test_scenario_restoration_robust_needs_seasons(tmp_path: Path) -> None:
    seasons = "seasons:\n  summer: {months: 5}\n  winter: {months: 5}\n"
    got = load_scenario(_scenario(tmp_path, seasons + "restoration: {robust: regret}\n"))
    assert got.settings.restoration_robust == "regret"
    with pytest.raises(ScenarioError, match="needs seasons"):
        load_scenario(_scenario(tmp_path, "restoration: {robust: worst}\n"))
    with pytest.raises(ScenarioError, match=r"restoration\.robust"):
        load_scenario(_scenario(tmp_path, seasons + "restoration: {robust: safest}\n"))


def test_season_columns_have_chinese_headers(tmp_path: Path) -> None:
    from geoplan.outputs.labels import column_label
    from geoplan.plan.restoration import write_scorecard

    seasons = ("summer", "winter", "雨季")
    key = "after_day_pupils_g1_3"
    assert column_label(key, "zh") == "规划后1-3年级走读生"
    for name, word in (("summer", "夏季"), ("winter", "冬季"), ("year", "全年"), ("雨季", "雨季")):
        assert column_label(f"{name}_{key}", "zh", seasons=seasons) == f"{word}规划后1-3年级走读生"
        assert column_label(f"{name}_{key}", "en", seasons=seasons) == f"{name}_{key}"
    assert column_label("winter_value", "zh", seasons=seasons) == "冬季数值"  # the siting table
    assert column_label("autumn_value", "zh", seasons=seasons) == "autumn_value"  # not a season
    # the scorecard of a plan with seasons: <season>_young_brought_within and _pupil_minutes...
    card = pd.DataFrame(
        {"young_brought_within": [3.0], "winter_young_brought_within": [1.0], "other": [0.0]},
        index=pd.Index(["s1"], name="id"),
    )
    headers = {str(c): column_label(str(c), "zh", seasons=seasons) for c in card}
    csv, _xlsx = write_scorecard(card, tmp_path / "card", lang="zh", headers=headers)
    back = pd.read_csv(csv, encoding="utf-8-sig", index_col=0)
    assert list(back.columns) == ["新进入限时的1-3年级学生", "冬季新进入限时的1-3年级学生", "other"]
    csv, _xlsx = write_scorecard(card, tmp_path / "card_en", headers=headers)
    back = pd.read_csv(csv, encoding="utf-8-sig", index_col=0)
    assert list(back.columns)[1:] == ["winter_young_brought_within", "other"]  # English unchanged
