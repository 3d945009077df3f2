"""Tests of geoplan.plan.investments: the MIP against brute force over every assignment, budgets,
priority and order within a school checked independently, done.csv re-plans, the outputs."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoplan.errors import ArgumentError, InputFileError, ScenarioError
from geoplan.outputs import school_plans
from geoplan.plan.investments import plan_investments, read_done
from geoplan.plan.standards import default_standards
from geoplan.runs.scenario import load_scenario

RULES = {
    "building": {"depends_on": (), "splittable": False},
    "kit": {"depends_on": ("building",), "splittable": False},
    "other": {"depends_on": (), "splittable": False},
}
YEARS = (2025, 2026, 2027)


def _items(rng: np.random.Generator, n: int) -> pd.DataFrame:
    kinds = ("building", "kit", "other")
    rows = [
        {
            "school": f"S{k % 3}",
            "item": kinds[(k // 3) % 3] if k < 6 else "other",
            "priority": int(rng.integers(1, 4)),
            "cost_yuan": float(rng.integers(1, 10)) * 100.0,
            "pupils_helped": int(rng.integers(1, 60)),
        }
        for k in range(n)
    ]
    return pd.DataFrame(rows, index=[f"i{k}" for k in range(n)])


def _brute(items: pd.DataFrame, budget: list[float], carry: bool) -> tuple[float, ...]:
    """The best (class 1, class 2, class 3) pupil-years over every year (or none) per item."""
    years, n = len(budget), len(items)
    cost = items["cost_yuan"].to_numpy()
    helped = items["pupils_helped"].to_numpy()
    prio = items["priority"].to_numpy()
    pos = {(s, k): i for i, (s, k) in enumerate(zip(items["school"], items["item"], strict=True))}
    deps = [
        (pos[(s, d)], i)
        for i, (s, k) in enumerate(zip(items["school"], items["item"], strict=True))
        for d in RULES[k]["depends_on"]
        if (s, d) in pos
    ]
    cap = np.cumsum(budget) if carry else np.array(budget)
    best: tuple[float, ...] = (-1.0,)
    for choice in itertools.product(range(years + 1), repeat=n):  # index years: unfunded
        t = np.array(choice)
        spend = np.bincount(t, weights=cost, minlength=years + 1)[:years]
        if np.any((np.cumsum(spend) if carry else spend) > cap + 1e-6):
            continue
        if any(t[b] < t[a] for a, b in deps):  # an item no earlier than what it depends on
            continue
        use = np.where(t < years, years - t, 0) * helped
        score = tuple(float(use[prio == p].sum()) for p in (1, 2, 3))
        best = max(best, score)
    return best


@pytest.mark.parametrize("carry", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_matches_brute_force(seed: int, carry: bool) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 8))
    years = int(rng.integers(2, 4))
    items = _items(rng, n)
    budget = [float(rng.integers(3, 12)) * 100.0 for _ in range(years)]
    plan = plan_investments(
        items, dict(zip(YEARS[:years], budget, strict=False)), carry_over=carry, rules=RULES
    )
    got = tuple(plan.objective.get(p, 0.0) for p in (1, 2, 3))
    assert got == pytest.approx(_brute(items, budget, carry))
    # independent checks of the schedule itself
    spend_cols = [f"spend_{y}_yuan" for y in YEARS[:years]]
    spend = plan.items[spend_cols].sum().to_numpy()
    if carry:
        assert np.all(np.cumsum(spend) <= np.cumsum(budget) + 1e-6)
    else:
        assert np.all(spend <= np.array(budget) + 1e-6)
    funded = plan.items["year"].notna()
    assert plan.items.loc[funded, spend_cols].sum(axis=1).to_numpy() == pytest.approx(
        plan.items.loc[funded, "cost_yuan"].to_numpy()
    )
    assert (plan.items.loc[~funded, spend_cols].to_numpy() == 0).all()
    for _, row in plan.items[plan.items["item"] == "kit"].iterrows():
        build = plan.items[
            (plan.items["school"] == row["school"]) & (plan.items["item"] == "building")
        ]
        if len(build) and pd.notna(row["year"]):
            assert pd.notna(build["year"].iloc[0]) and build["year"].iloc[0] <= row["year"]


def test_split_item_paid_over_two_years() -> None:
    items = pd.DataFrame(
        {"school": ["S"], "item": ["building"], "priority": [1], "cost_yuan": [150.0],
         "pupils_helped": [10]},
        index=["big"],
    )  # fmt: skip
    whole = plan_investments(items, {2025: 100.0, 2026: 100.0}, rules=RULES)
    assert whole.items["year"].isna().all()  # no year holds 150
    split = {"building": {"depends_on": (), "splittable": True}}
    plan = plan_investments(items, {2025: 100.0, 2026: 100.0}, rules=split)
    assert plan.items.loc["big", "year"] == 2026 and plan.objective[1] == 10.0
    assert plan.items.loc["big", ["spend_2025_yuan", "spend_2026_yuan"]].sum() == 150.0
    carried = plan_investments(items, {2025: 100.0, 2026: 100.0}, rules=RULES, carry_over=True)
    assert carried.items.loc["big", "year"] == 2026  # 100 carried + 100 pays it whole


def test_done_items_leave_and_their_cost_is_deducted(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    items = _items(rng, 6)
    budget = {2025: 900.0, 2026: 600.0}
    first = plan_investments(items, budget, rules=RULES)
    funded = first.items[first.items["year"] == 2025]
    done_id = str(funded.index[0])
    path = tmp_path / "done.csv"
    path.write_text(f"item,year,actual_cost_yuan\n{done_id},2025,500\n", encoding="utf-8")
    done = read_done(path)
    again = plan_investments(items, budget, rules=RULES, done=done)
    assert done_id not in again.items.index
    assert again.years.loc[2025, "budget_yuan"] == 400.0
    assert again.years.loc[2025, "spent_yuan"] <= 400.0 + 1e-6
    # the same as scheduling the rest with the reduced budget by hand
    rest = items.drop(index=done_id)
    by_hand = plan_investments(rest, {2025: 400.0, 2026: 600.0}, rules=RULES)
    assert again.objective == pytest.approx(by_hand.objective)
    assert plan_investments(items, budget, rules=RULES, done=done).items.equals(again.items)
    path.write_text("item,year,actual_cost_yuan\nnope,2025,5\n", encoding="utf-8")
    with pytest.raises(ArgumentError, match="nope"):
        plan_investments(items, budget, rules=RULES, done=read_done(path))
    path.write_text("item,year\nx,2025\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="actual_cost_yuan"):
        read_done(path)


def test_shipped_item_rules() -> None:
    items = default_standards().items
    assert items["media_sets"]["depends_on"] == ("classrooms",)
    assert items["classrooms"]["splittable"] and not items["computers"]["splittable"]


def test_scenario_investment_section(tmp_path: Path) -> None:
    demo = Path(__file__).parents[1] / "geoplan" / "data" / "demo"
    (tmp_path / "done.csv").write_text("item,year,actual_cost_yuan\n", encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(
        f"area: {{folder: {demo}}}\n"
        "investment: {budget_by_year_yuan: {2025: 52190000, 2026: 26050000}, carry_over: true,"
        " done: done.csv}\n",
        encoding="utf-8",
    )
    inv = load_scenario(path).settings.investment
    assert inv is not None and inv.budget_by_year_yuan == {2025: 52190000.0, 2026: 26050000.0}
    assert inv.carry_over and inv.done == tmp_path / "done.csv"
    path.write_text(
        f"area: {{folder: {demo}}}\ninvestment: {{budget_by_year_yuan: {{year1: -3}}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"investment\.budget_by_year_yuan\.year1"):
        load_scenario(path)


def test_budget_years_before_the_base_year_are_warned_about_not_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """investment.base_year is the planner's (no date is read): years before it warn, each at its
    own line, in English and Chinese; without it, any year goes unremarked."""
    import logging
    import re

    from geoplan.data.messages import problem_text

    demo = Path(__file__).parents[1] / "geoplan" / "data" / "demo"
    path = tmp_path / "s.yaml"
    path.write_text(
        f"area: {{folder: {demo}}}\n"
        "investment:\n"
        "  base_year: 2025\n"
        "  budget_by_year_yuan:\n"
        "    2023: 1000000\n"
        "    2024: 2000000\n"
        "    2025: 3000000\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="geoplan.runs.scenario"):
        scenario = load_scenario(path)
    inv = scenario.settings.investment
    assert inv is not None and sorted(inv.budget_by_year_yuan) == [2023, 2024, 2025]  # kept
    assert [(w.code, w.severity, w.column, w.row_id) for w in scenario.warnings] == [
        ("budget_year_before_base", "warning", "investment.budget_by_year_yuan.2023", "line 5"),
        ("budget_year_before_base", "warning", "investment.budget_by_year_yuan.2024", "line 6"),
    ]
    first = scenario.warnings[0]
    assert first.message.startswith("Budget year 2023 is before investment.base_year (2025)")
    assert "investment.done" in first.fix
    message, fix = problem_text(first, "zh")
    assert message.startswith("预算年份 2023 早于 investment.base_year(2025)")
    assert re.search(r"[\u4e00-\u9fff]", fix)
    assert sum("Budget year" in r.getMessage() for r in caplog.records) == 2
    # no base year: no check at all, whatever the years (runs never read today's date)
    path.write_text(
        f"area: {{folder: {demo}}}\ninvestment: {{budget_by_year_yuan: {{1990: 5}}}}\n",
        encoding="utf-8",
    )
    assert load_scenario(path).warnings == ()
    path.write_text(
        f"area: {{folder: {demo}}}\n"
        "investment: {base_year: next, budget_by_year_yuan: {2025: 5}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"investment\.base_year") as info:
        load_scenario(path)
    assert [p.code for p in info.value.problems] == ["not_a_year"]


def test_investment_outputs(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    plan = plan_investments(_items(rng, 6), {2025: 900.0, 2026: 600.0}, rules=RULES)
    written = school_plans.write_investment_plan(plan, tmp_path, lang="zh", synthetic=True)
    assert {p.name for p in written} == {"investment_plan.xlsx", "investment_plan.html"}
    book = pd.read_excel(tmp_path / "investment_plan.xlsx", sheet_name=None, engine="openpyxl")
    assert set(book) == {"years", "schools", "items"}
    spent = book["years"]["支出（元）"]  # lang zh: Chinese headers
    assert spent.sum() == pytest.approx(plan.years["spent_yuan"].sum())
    page = (tmp_path / "investment_plan.html").read_text(encoding="utf-8")
    assert "<svg" in page and "投资计划" in page and "<script" not in page
