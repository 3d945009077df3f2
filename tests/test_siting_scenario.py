"""`siting:` in scenarios: each location model on the demo county, checked against the model
called directly on the same matrix, and the result written like a restoration plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoplan.data.datasets import demo_folder, demo_scenarios
from geoplan.errors import ScenarioError
from geoplan.models import siting
from geoplan.rules import BANDS_BY_KIND
from geoplan.runs.runner import plan_scenario, run_scenario
from geoplan.runs.scenario import load_scenario

CASES = {
    "p_median": "{model: p_median, p: 6}",
    "max_coverage": "{model: max_coverage, p: 4, limit_min: 30}",
    "set_cover": "{model: set_cover, limit_min: 30}",
    "budgeted_coverage": "{model: budgeted_coverage, budget_yuan: 3000000, limit_min: 30}",
}


def _scenario(tmp_path: Path, name: str, siting_yaml: str, *, outputs: str = "") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\narea: {{folder: {demo_folder()}}}\ndistricts: {{enabled: false}}\n"
        f"siting: {siting_yaml}\n{outputs}",
        encoding="utf-8",
    )
    return path


def _direct(run: object, model: str, settings: object) -> siting.SitingResult:
    """The same model called by hand on the plan's own grades 1-3 minutes."""
    area, result = run.area, run.result  # type: ignore[attr-defined]
    schools = result.schools
    fixed = [
        str(s)
        for s, kind, status in zip(schools.index, schools["kind"], schools["status"], strict=True)
        if status == "open" and "g1_3" in BANDS_BY_KIND[str(kind)]
    ]
    sites = area.sites
    table = result.minutes["g1_3"].loc[area.villages.index, [*fixed, *sites.index]]
    table = table[np.isfinite(table.to_numpy()).any(axis=1)]
    weights = area.villages["pupils_g1_3"].astype(float)  # all villages: aligned by id
    weights = weights[table.index]
    decision = sites["decision"].fillna("free")
    must = [str(s) for s in sites.index[(decision == "must") | sites["phase"].notna()]]
    never = [str(s) for s in sites.index[decision == "never"]]
    kw = {"weights": weights, "fixed": fixed, "must": must, "never": never}
    p = len(fixed) + (settings.p or 0)  # type: ignore[attr-defined]
    if model == "p_median":
        return siting.p_median(table, p=p, **kw)
    if model == "max_coverage":
        return siting.max_coverage(table, limit=30, p=p, **kw)
    if model == "set_cover":
        return siting.set_cover(table, limit=30, **kw)
    cost = pd.Series(0.0, index=table.columns)
    cost[sites.index] = sites["restore_cost_yuan"].to_numpy(dtype=float)
    return siting.budgeted_coverage(table, limit=30, site_cost=cost, budget=3e6, **kw)


@pytest.mark.slow
@pytest.mark.parametrize("model", list(CASES))
def test_each_siting_model_runs_from_a_scenario(tmp_path: Path, model: str) -> None:
    run = plan_scenario(_scenario(tmp_path, f"siting_{model}", CASES[model]))
    settings = run.scenario.settings
    assert settings.siting is not None and settings.siting.model == model
    assert settings.restore is False
    plan = run.result.restoration
    assert plan is not None and plan.siting is not None
    direct = _direct(run, model, settings.siting)
    assert plan.siting.status == direct.status == "optimal"
    assert plan.siting.gap == direct.gap == 0.0
    assert plan.siting.objective == pytest.approx(direct.objective)
    fixed = set(direct.sites.index[direct.sites["fixed"]])
    new = set(plan.siting.open_ids) - fixed
    # the same sites where the optimum is unique; at least the same value where it ties
    if new != set(direct.open_ids) - fixed:
        assert plan.siting.objective == pytest.approx(direct.objective)
    # chosen sites are restored in phase 1 and teach their pupils like restored ones
    assert set(plan.restored.index) == new
    assert (plan.restored["phase"] == 1).all()
    assert set(plan.phasing.sites_in(1)) == new
    after = plan.after.xs("g1_3", level="band")
    assert set(after.loc[after["status"] != "unserved", "school"]) & new
    if model in ("max_coverage", "budgeted_coverage", "set_cover"):
        # independent count: pupils within 30 minutes of an open school or chosen site
        minutes = run.result.minutes["g1_3"].loc[direct.assignment.index]
        near = (minutes[sorted(fixed | new)] <= 30).any(axis=1)
        pupils = direct.assignment["pupils"]
        if model == "set_cover":
            may_open = direct.sites.index[direct.sites["decision"] != "never"]
            coverable = (minutes[list(may_open)] <= 30).any(axis=1)
            assert bool((near | ~coverable | (pupils == 0)).all())
            assert plan.siting.objective == len(new)
        else:
            assert plan.siting.objective == pytest.approx(float(pupils[near].sum()))
    if model == "budgeted_coverage":
        assert run.area.sites.loc[sorted(new), "restore_cost_yuan"].sum() <= 3e6
    if model == "max_coverage":
        assert len(new) <= 4


def test_siting_and_restoration_are_exclusive(tmp_path: Path) -> None:
    base = (demo_scenarios() / "base" / "demo_county.yaml").resolve()
    path = tmp_path / "both.yaml"
    path.write_text(f"base: {base}\nsiting: {{model: p_median, p: 6}}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"(?s)siting.*restoration"):
        load_scenario(path)
    ok = tmp_path / "ok.yaml"
    ok.write_text(
        f"base: {base}\nrestoration: {{enabled: false}}\nsiting: {{model: p_median, p: 6}}\n",
        encoding="utf-8",
    )
    scen = load_scenario(ok)
    assert scen.settings.siting is not None and not scen.settings.restore


@pytest.mark.parametrize(
    ("yaml_text", "field"),
    [
        ("{model: p_centre, p: 3}", "siting.model"),
        ("{model: p_median}", "siting.p"),
        ("{model: budgeted_coverage}", "siting.budget_yuan"),
        ("{model: set_cover, band: g4_6}", "siting.band"),
        ("{model: p_median, p: 0}", "siting.p"),
    ],
)
def test_bad_siting_fields_are_named(tmp_path: Path, yaml_text: str, field: str) -> None:
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        load_scenario(_scenario(tmp_path, "bad", yaml_text))


@pytest.mark.slow
def test_siting_result_is_written(tmp_path: Path) -> None:
    path = _scenario(
        tmp_path,
        "siting_written",
        CASES["p_median"],
        outputs="outputs: {maps: false, profiles: false, print_maps: false}\n",
    )
    folder = run_scenario(path, out=tmp_path / "out")
    table = pd.read_excel(folder / "siting_result.xlsx", index_col=0, engine="calamine")
    row = table.iloc[0]
    assert row["model"] == "p_median" and row["status"] == "optimal" and row["gap"] == 0
    assert row["objective"] == pytest.approx(row["bound"])
    assert row["n_sites_opened"] == 6
    phases = pd.read_csv(folder / "restoration_phases.csv", index_col=0)
    assert sorted(phases.loc[1, "site_ids"].split(", ")) == sorted(row["sites_opened"].split(", "))
    assert (folder / "restoration_scorecard.xlsx").exists()


def test_travel_matrix_frame_and_array_give_one_answer(tiny_area, tiny_graph, tmp_path) -> None:
    from geoplan.network.travel import travel_matrix

    dest = pd.concat([tiny_area.schools[["geometry"]], tiny_area.sites[["geometry"]]])
    tm = travel_matrix(tiny_graph, tiny_area.villages, dest, mode="pupil_walk", cache_dir=tmp_path)
    weights = tiny_area.villages["pupils_g1_3"].astype(float)
    by_tm = siting.p_median(tm, p=2, weights=weights)
    frame = siting.cost_from_layers(tm, tiny_area.villages, dest)
    by_frame = siting.p_median(frame, p=2, weights=weights)
    by_array = siting.p_median(
        frame.to_numpy(),
        p=2,
        weights=weights.to_numpy(),
        demand_ids=frame.index,
        site_ids=frame.columns,
    )
    assert list(by_tm.sites.index) == [str(s) for s in dest.index]
    assert list(by_tm.assignment.index) == [str(v) for v in tiny_area.villages.index]
    for res in (by_frame, by_array):
        assert res.objective == pytest.approx(by_tm.objective)
        assert res.open_ids == by_tm.open_ids
    # a TravelMatrix with ids given selects them: one site left out
    some = [str(s) for s in dest.index[1:]]
    assert list(siting.p_median(tm, p=2, weights=weights, site_ids=some).sites.index) == some
