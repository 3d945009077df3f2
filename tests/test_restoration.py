"""Tests of restoration: scorecard by hand, phasing by brute force, closures right and wrong."""

from __future__ import annotations

import csv
import itertools

import numpy as np
import pandas as pd
import pytest

from geoplan.errors import InfeasibleError
from geoplan.models.phasing import phase_sites, pupil_years_served
from geoplan.plan.closures import plan_closures
from geoplan.plan.evaluate import assign_pupils
from geoplan.plan.restoration import (
    SCORECARD_HEADERS,
    SCORECARD_NOTES,
    over_class_problems,
    plan_restoration,
    score_sites,
    write_scorecard,
)
from geoplan.rules import PlanningRules

LIMIT = 30.0


def _random_case(seed: int, n_villages: int = 12, n_sites: int = 6, years: int = 3):
    rng = np.random.default_rng(seed)
    vids = [f"v{i}" for i in range(n_villages)]
    sids = [f"s{i}" for i in range(n_sites)]
    schools = pd.DataFrame(
        {"kind": ["central_primary"], "status": ["open"], "boarding_beds": [50]},
        index=pd.Index(["C"], name="id"),
    )
    sites = pd.DataFrame(
        {
            "name": sids,
            "township": "t1",
            "restore_cost_yuan": rng.integers(1, 5, n_sites) * 100_000.0,
            "min_pupils": rng.integers(0, 25, n_sites),
            "decision": "free",
        },
        index=pd.Index(sids, name="id"),
    )
    minutes = pd.DataFrame(
        rng.uniform(5, 70, (n_villages, n_sites + 1)), index=vids, columns=["C", *sids]
    )
    young = pd.DataFrame(
        rng.integers(0, 20, (n_villages, years)).astype(float), index=vids, columns=range(years)
    )
    return young, minutes, schools, sites


def _brute_value(ph, young, minutes) -> float:
    # Independent: a village counts in year j if some site of phase <= j+1 is within 30 min and
    # the open school C is not.
    m = minutes.loc[young.index]
    far = (m["C"] > LIMIT).to_numpy()
    p = young.to_numpy()
    total = 0.0
    for j in range(p.shape[1]):
        near = np.zeros(len(p), dtype=bool)
        for s, phase in ph.items():
            if 1 <= phase <= j + 1:
                near |= (m[s] <= LIMIT).to_numpy()
        total += float(p[near & far, j].sum())
    return total


def _brute_best(young, minutes, sites, caps=None, budgets=None, must=(), never=(), fixed=None):
    sids = list(sites.index)
    n_phases = len(caps if caps is not None else budgets)
    fixed = fixed or {}
    m = minutes.loc[young.index]
    # a free site may open in a year only if the pupils who would switch to it reach its minimum
    opens = {}
    for s in sids:
        switch = ((m[s] <= LIMIT) & (m[s] < m["C"])).to_numpy()
        opens[s] = [young.iloc[switch, t].sum() >= sites.loc[s, "min_pupils"] for t in range(3)]
    cost = sites["restore_cost_yuan"].to_dict()
    best = -1.0
    for choice in itertools.product(range(n_phases + 1), repeat=len(sids)):
        ph = dict(zip(sids, choice, strict=True))
        ok = all(
            not (s in never and p)
            and not (s in must and not p)
            and not (s in fixed and p != fixed[s])
            and (not p or s in must or s in fixed or opens[s][p - 1])
            for s, p in ph.items()
        )
        for t in range(1, n_phases + 1):
            chosen = [s for s, p in ph.items() if p == t]
            if caps is not None and len(chosen) > caps[t - 1]:
                ok = False
            if budgets is not None and sum(cost[s] for s in chosen) > budgets[t - 1]:
                ok = False
        if ok:
            best = max(best, _brute_value(ph, young, minutes))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_phasing_matches_brute_force_sites_per_phase(seed: int) -> None:
    young, minutes, schools, sites = _random_case(seed)
    best = _brute_best(young, minutes, sites, caps=[2, 1, 1])
    res = phase_sites(young, minutes, schools, sites, sites_per_phase=[2, 1, 1], method="mip")
    assert res.pupil_years == pytest.approx(best, abs=1e-6)
    assert _brute_value(res.phase.to_dict(), young, minutes) == pytest.approx(best)
    assert res.gap <= 1e-4
    greedy = phase_sites(young, minutes, schools, sites, sites_per_phase=[2, 1, 1], method="greedy")
    assert greedy.pupil_years <= best + 1e-6
    assert greedy.bound >= best - 1e-6


@pytest.mark.parametrize("seed", [4, 5])
def test_phasing_matches_brute_force_budget_and_decisions(seed: int) -> None:
    young, minutes, schools, sites = _random_case(seed)
    sites = sites.copy()
    sites["decision"] = ["must", "never", "free", "free", "free", "free"]
    sites["phase"] = [np.nan, np.nan, 3, np.nan, np.nan, np.nan]
    budgets = [500_000.0, 400_000.0, 600_000.0]
    best = _brute_best(
        young, minutes, sites, budgets=budgets, must={"s0"}, never={"s1"}, fixed={"s2": 3}
    )
    res = phase_sites(young, minutes, schools, sites, budget_per_phase=budgets, method="mip")
    assert res.pupil_years == pytest.approx(best, abs=1e-6)
    assert res.phase["s0"] >= 1
    assert res.phase["s1"] == 0
    assert res.phase["s2"] == 3
    for t, budget in enumerate(budgets, start=1):
        assert sites.loc[res.sites_in(t), "restore_cost_yuan"].sum() <= budget
    assert pupil_years_served(res.phase, young, minutes, schools, sites) == pytest.approx(best)


def test_phasing_infeasible_fixed_phase() -> None:
    young, minutes, schools, sites = _random_case(0)
    sites = sites.assign(phase=[1, 1, np.nan, np.nan, np.nan, np.nan])
    with pytest.raises(InfeasibleError, match="Phase 1"):
        phase_sites(young, minutes, schools, sites, sites_per_phase=[1, 1, 1])


@pytest.mark.parametrize("limit", ["sites", "budget"])
def test_too_many_must_sites_are_named_with_the_limit(limit: str) -> None:
    """The refusal lists every site that must be restored (id, name, Chinese name, fixed phase)
    and the phases' limit they exceed, so the planner knows which to drop."""
    from geoplan.data.messages import problem_text

    young, minutes, schools, sites = _random_case(3)
    sites = sites.assign(
        name=[f"Old school {i}" for i in range(6)],
        name_zh=[f"原{i}号教学点" for i in range(5)] + [None],
        decision=["must", "free", "must", "free", "free", "must"],
        phase=[np.nan, np.nan, 2, np.nan, np.nan, np.nan],
    )
    must = sites.index[sites["decision"] == "must"]
    if limit == "sites":
        kwargs: dict[str, list[float]] = {"sites_per_phase": [1, 1]}
    else:  # each phase can pay for any one site, not for all three together
        kwargs = {"budget_per_phase": [float(sites["restore_cost_yuan"].sum()) / 4] * 2}
    with pytest.raises(InfeasibleError) as caught:
        phase_sites(young, minutes, schools, sites, **kwargs)  # type: ignore[arg-type]
    (problem,) = caught.value.problems
    listed = "s0 Old school 0, s2 Old school 2 (phase 2), s5 Old school 5"
    listed_zh = "s0 原0号教学点, s2 原2号教学点(第 2 期), s5 Old school 5"
    zh_message, zh_fix = problem_text(problem, "zh")
    assert listed in problem.message and listed_zh in zh_message
    assert f"The sites that must be restored ({len(must)}: " in problem.message
    if limit == "sites":
        assert problem.code == "must_over_sites"
        assert problem.message.endswith("more than the 2 the phases allow (sites per phase: 1, 1).")
        assert "restoration.sites_per_phase" in problem.fix + zh_fix
    else:
        assert problem.code == "must_over_budget"
        cost = sites.loc[must, "restore_cost_yuan"].sum()
        budget = 2 * kwargs["budget_per_phase"][0]
        assert cost > budget  # the case is what it claims
        assert f"cost {cost:,.0f} yuan" in problem.message
        assert f"add up to {budget:,.0f} yuan" in problem.message
        assert "restoration.budget_per_phase_yuan" in problem.fix + zh_fix


# ---------------------------------------------------------------------------------------------
# closures


def test_a_fixed_site_over_a_budget_only_phase_names_the_budget_not_inf_sites() -> None:
    """A phase limited by budget alone allows any number of sites: the refusal names the budget
    (in English and Chinese), never 'allows inf sites'."""
    from geoplan.data.messages import problem_text

    young, minutes, schools, sites = _random_case(0)
    sites = sites.assign(phase=[1, np.nan, np.nan, np.nan, np.nan, np.nan])
    with pytest.raises(InfeasibleError) as caught:
        phase_sites(young, minutes, schools, sites, budget_per_phase=[1000.0, 1000.0])
    problem = caught.value.problems[0]
    cost = f"{sites['restore_cost_yuan'].iloc[0]:,.0f}"
    assert problem.message == (
        f"Phase 1 has 1 sites fixed to it costing {cost} yuan, but its budget is 1,000 yuan."
    )
    assert "restoration.budget_per_phase_yuan" in problem.fix
    zh_message, zh_fix = problem_text(problem, "zh")
    assert zh_message == f"第 1 期固定了 1 个教学点,费用 {cost} 元,但该期预算只有 1,000 元。"
    assert "restoration.budget_per_phase_yuan" in zh_fix
    assert "inf" not in str(caught.value) + zh_message


def _closure_case(
    *,
    far: bool = False,
    full: bool = False,
    cost_a: float = 500_000.0,
    b_kind: str = "nine_year",
    enrolled_a: int = 0,
):
    villages = pd.DataFrame(
        {
            "township": "t1",
            "pupils_g1_3": [10, 40],
            "pupils_g4_6": [10, 40],
            "pupils_g7_9": [10, 40],
        },
        index=pd.Index(["v1", "v2"], name="id"),
    )
    schools = pd.DataFrame(
        {
            "kind": ["nine_year", b_kind, "middle"],
            "township": ["t1", "t1", "t2"],
            "status": "open",
            "boarding_beds": [0, 0, 0],
            "annual_cost_yuan": [cost_a, 800_000.0, 900_000.0],
            "classes_g1_3": [1, 1 if full else 2, 0],
            "classes_g4_6": [1, 2, 0],
            "classes_g7_9": [1, 2 if b_kind == "nine_year" else 0, 4],
            "enrolment_g1_3": [enrolled_a, 0, 0],
        },
        index=pd.Index(["A", "B", "M"], name="id"),
    )
    a_to_b = 40.0 if far else 20.0
    table = pd.DataFrame(
        [[5.0, 5.0 + a_to_b - 5.0, 55.0], [50.0, 5.0, 55.0]],
        index=villages.index,
        columns=schools.index,
    )
    return villages, {"g1_3": table, "g4_6": table, "g7_9": table}, schools


def test_closing_a_small_costly_school_is_right() -> None:
    villages, minutes, schools = _closure_case()
    res = plan_closures(villages, minutes, schools)
    # A closes: 30 pupils x 15 more minutes x 190 yuan = 85,500 < 500,000 saved a year. B cannot
    # close (v2 would walk 50 min to A) and t1 keeps a junior-middle school.
    assert list(res.closed.index) == ["A"]
    assert res.closed.loc["A", "merged_into"] == "B"
    assert res.closed.loc["A", "pupils_affected"] == 30
    assert res.closed.loc["A", "added_pupil_minutes"] == pytest.approx(30 * 15)
    assert res.objective == pytest.approx(500_000 - 190 * 30 * 15)
    assert res.new_boarders == 0
    assert set(res.moves["school_after"]) == {"B"}
    assert (res.moves["journey_after_min"] == 20).all()


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"far": True}, "grades 1-3 would walk 40 min > 30 to B"),
        ({"full": True}, "B has 45 places for grades 1-3 and 40 pupils already"),
        ({"cost_a": 50_000.0}, "saving 50,000 < 85,500 of added journeys"),
        ({"b_kind": "primary"}, "A is the only junior-middle school of t1; M is 55 min away"),
        ({"enrolled_a": 300}, "A teaches 300 pupils from outside the villages layer"),
    ],
)
def test_closing_is_not_right(kwargs: dict[str, object], why: str) -> None:
    villages, minutes, schools = _closure_case(**kwargs)  # type: ignore[arg-type]
    res = plan_closures(villages, minutes, schools)
    assert "A" not in res.closed.index, why
    assert res.moves.empty or "A" not in set(res.moves["school_before"])


# ---------------------------------------------------------------------------------------------
# scorecard and whole plan


def _plan_case():
    villages = pd.DataFrame(
        {
            "township": ["t1", "t1", "t2", "t2"],
            "pupils_g1_3": [12, 6, 20, 3],
            "pupils_g4_6": [10, 5, 15, 3],
            "pupils_g7_9": [8, 4, 12, 2],
        },
        index=pd.Index(["v1", "v2", "v3", "v4"], name="id"),
    )
    schools = pd.DataFrame(
        {"kind": ["nine_year"], "township": ["t1"], "status": ["open"], "boarding_beds": [200]},
        index=pd.Index(["C"], name="id"),
    )
    sites = pd.DataFrame(
        {
            "name": ["Site 1", "Site 2"],
            "township": ["t1", "t2"],
            "restore_cost_yuan": [300_000.0, 600_000.0],
            "min_pupils": [10, 10],
            "max_classes": [4, 4],
            "annual_cost_yuan": [50_000.0, 60_000.0],
            "decision": "free",
        },
        index=pd.Index(["s1", "s2"], name="id"),
    )
    # v1 is 50 min from C and 10 from s1; v2 20 from C and 15 from s1; v3, v4 far from C and
    # 25 and 28 min from s2.
    walk = pd.DataFrame(
        [[50.0, 10.0, 60.0], [20.0, 15.0, 60.0], [90.0, 70.0, 25.0], [95.0, 70.0, 28.0]],
        index=villages.index,
        columns=["C", "s1", "s2"],
    )
    bus = walk[["C"]] / 3
    return villages, {"g1_3": walk, "g4_6": walk[["C"]], "g7_9": bus}, schools, sites


def test_scorecard_by_hand(tmp_path) -> None:
    villages, minutes, schools, sites = _plan_case()
    card = score_sites(villages["pupils_g1_3"], minutes["g1_3"], schools, sites)
    # s1: brings v1 (12) within the limit; v1 and v2 switch (18 pupils); v1 boards at C today.
    assert card.loc["s1", "young_brought_within"] == 12
    assert card.loc["s1", "enrolment"] == 18
    # Only v2's 6 day pupils save daily minutes (5 each way); v1's 12 board at C today and walk
    # nothing daily: they count as brought within and as could stop boarding.
    assert card.loc["s1", "pupil_minutes_saved_per_day"] == 2 * (6 * 5)
    assert card.loc["s1", "could_stop_boarding"] == 12
    assert card.loc["s1", "classes_needed"] == 1
    assert card.loc["s1", "teachers_needed"] == 2
    assert card.loc["s1", "cost_per_pupil_served_yuan"] == pytest.approx(25_000)
    assert card.loc["s1", "nearest_open_school"] == "C"
    # journeys of the 18 who would go to s1: today (12 x 50 + 6 x 20) / 18 = 40, the boarders'
    # included; to s1 (12 x 10 + 6 x 15) / 18 = 11.67. No trip mode given: weekly trips blank.
    assert card.loc["s1", "journey_today_min"] == pytest.approx(40.0)
    assert card.loc["s1", "site_journey_min"] == pytest.approx(210 / 18)
    assert np.isnan(card.loc["s1", "weekly_trip_today_min"])
    assert np.isnan(card.loc["s1", "weekly_trip_minutes_saved_per_week"])
    # s2: 23 pupils brought within, ranks first.
    assert card.loc["s2", "young_brought_within"] == 23
    assert card.loc["s2", "rank"] == 1
    assert card.loc["s1", "rank"] == 2
    csv_path, xlsx_path = write_scorecard(card, tmp_path / "scorecard")
    back = pd.read_csv(csv_path, encoding="utf-8-sig", index_col=0)
    assert "Grades 1-3 pupils brought within the day limit" in back.columns
    assert pd.read_excel(xlsx_path, index_col=0, engine="calamine").shape == card.shape


def test_scorecard_csv_writes_counts_and_yuan_whole_and_minutes_to_two_decimals(tmp_path) -> None:
    """Pupils read '12' in the scorecard CSV as in every other table, not '12.00'; yuan are whole
    and minutes have 2 places, as in every other table, though its headers name no unit suffix."""
    villages, minutes, schools, sites = _plan_case()
    walk = minutes["g1_3"].copy()
    walk.loc["v2", "C"] = 20 + 1 / 3  # v2's journey today: a fractional minute
    card = score_sites(villages["pupils_g1_3"], walk, schools, sites)
    csv_path, _xlsx = write_scorecard(card, tmp_path / "scorecard")
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    cells = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    heading = {k: v[0] for k, v in SCORECARD_HEADERS.items()}
    s1, s2 = cells["s1"], cells["s2"]
    assert s1[heading["young_brought_within"]] == "12"
    assert s1[heading["enrolment"]] == "18"
    assert s1[heading["restore_cost_yuan"]] == "300000"
    assert s1[heading["cost_per_pupil_served_yuan"]] == "25000"
    assert s2[heading["cost_per_pupil_served_yuan"]] == "26087"  # 600,000 / 23 = 26,086.96
    assert s1[heading["journey_today_min"]] == "40.11"  # (12 x 50 + 6 x 20 1/3) / 18
    assert s1[heading["pupil_minutes_saved_per_day"]] == "64"  # 2 x 6 x (20 1/3 - 15)
    assert s2[heading["journey_today_min"]] == "90.65"  # (20 x 90 + 3 x 95) / 23: boarders'
    assert s2[heading["pupil_minutes_saved_per_day"]] == "0"  # all of s2's pupils board
    assert s2[heading["weekly_trip_today_min"]] == ""  # no trip mode given


@pytest.mark.parametrize(
    ("lang", "which", "saved_header"),
    [
        ("en", 0, "Day pupils' minutes saved per school day (both ways)"),
        ("zh", 1, "走读生每天节省的往返分钟"),
    ],
)
def test_scorecard_workbook_explains_its_columns(
    tmp_path, lang: str, which: int, saved_header: str
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    villages, minutes, schools, sites = _plan_case()
    card = score_sites(villages["pupils_g1_3"], minutes["g1_3"], schools, sites)
    _, xlsx_path = write_scorecard(card, tmp_path / f"scorecard_{lang}", lang=lang)
    book = openpyxl.load_workbook(xlsx_path, read_only=True)
    assert book.sheetnames == ["scorecard", "columns"]
    data_headers = [c.value for c in next(book["scorecard"].iter_rows(max_row=1))]
    rows = [tuple(c.value for c in row) for row in book["columns"].iter_rows()]
    assert rows[0] == (("Column", "Meaning") if lang == "en" else ("列", "含义"))
    meaning = dict(rows[1:])
    assert len(meaning) == len(rows) - 1 == len(SCORECARD_NOTES) == len(SCORECARD_HEADERS)
    assert list(card.columns) == list(SCORECARD_HEADERS)
    for column in card.columns:  # every column of the data sheet has its note
        header = SCORECARD_HEADERS[column][which]
        assert header in data_headers  # the note names the header the data sheet shows
        assert meaning[header] == SCORECARD_NOTES[column][which]
        assert len(str(meaning[header]).strip()) > 10
    assert SCORECARD_HEADERS["pupil_minutes_saved_per_day"][which] == saved_header
    book.close()


def _boarding_case():
    """:func:`_plan_case` with a primary school D without beds and two more villages of t2.

    v5 (9 pupils) is 40 min from D and 60 from C: beyond the limit of both, it boards at C, the
    nearest school with beds, although D is nearer. v6 (4 pupils) cannot walk to C and is 45 min
    from D: unserved. Both are within 30 min of s2 (20 and 29 min). The boarders' trip mode
    (bus) takes a third of the walk, except v5 -> C 20 min and v6 -> D 15 min.
    """
    villages, minutes, schools, sites = _plan_case()
    more = pd.DataFrame(
        {
            "township": ["t2", "t2"],
            "pupils_g1_3": [9, 4],
            "pupils_g4_6": [0, 0],
            "pupils_g7_9": [0, 0],
        },
        index=pd.Index(["v5", "v6"], name="id"),
    )
    villages = pd.concat([villages, more])
    schools = pd.concat(
        [
            schools,
            pd.DataFrame(
                {"kind": ["primary"], "township": ["t2"], "status": ["open"], "boarding_beds": [0]},
                index=pd.Index(["D"], name="id"),
            ),
        ]
    )
    walk = pd.concat(
        [
            minutes["g1_3"],
            pd.DataFrame(
                [[60.0, 80.0, 20.0], [np.nan, np.nan, 29.0]],
                index=more.index,
                columns=["C", "s1", "s2"],
            ),
        ]
    )
    walk["D"] = [100.0, 100.0, 100.0, 100.0, 40.0, 45.0]
    bus = walk[["C", "D"]] / 3
    bus.loc["v5", "C"] = 20.0
    bus.loc["v6", "D"] = 15.0
    minutes = {"g1_3": walk, "g4_6": walk[["C", "D"]], "g7_9": bus}
    return villages, minutes, schools, sites, bus


def test_scorecard_by_hand_with_boarding_and_unserved_villages() -> None:
    """Today's journey, the weekly trip, the journey to the site and the trips saved, by hand,
    and who boards today as :func:`assign_pupils` says (an independent path to the same rule)."""
    villages, minutes, schools, sites, bus = _boarding_case()
    card = score_sites(villages["pupils_g1_3"], minutes["g1_3"], schools, sites, trip_minutes=bus)
    s2 = card.loc["s2"]
    # v3 (20), v4 (3), v5 (9), v6 (4) go to s2; none is within 30 min of an open school today.
    assert s2["young_brought_within"] == 36
    assert s2["enrolment"] == 36
    # v3, v4 board at C; v5 boards at C too (D, nearer, has no beds); v6 is unserved.
    assert s2["could_stop_boarding"] == 20 + 3 + 9
    # the nearest open school: C for 23 pupils (v3, v4), D for 13 (v5, v6)
    assert s2["nearest_open_school"] == "C"
    # journey today to the nearest open school by the grades 1-3 walk, all four villages:
    assert s2["journey_today_min"] == pytest.approx((20 * 90 + 3 * 95 + 9 * 40 + 4 * 45) / 36)
    assert s2["site_journey_min"] == pytest.approx((20 * 25 + 3 * 28 + 9 * 20 + 4 * 29) / 36)
    # weekly trips of the 32 boarders to C by bus: v3 30, v4 95 / 3, v5 20 (v6 makes none)
    trips = 20 * 30 + 3 * 95 / 3 + 9 * 20
    assert s2["weekly_trip_today_min"] == pytest.approx(trips / 32)
    assert s2["weekly_trip_minutes_saved_per_week"] == pytest.approx(2 * trips)
    assert s2["pupil_minutes_saved_per_day"] == 0  # no day pupil among them
    s1 = card.loc["s1"]
    assert s1["could_stop_boarding"] == 12  # v1 boards at C, 50 / 3 min by bus
    assert s1["weekly_trip_today_min"] == pytest.approx(50 / 3)
    assert s1["weekly_trip_minutes_saved_per_week"] == pytest.approx(2 * 12 * 50 / 3)
    assert s1["pupil_minutes_saved_per_day"] == 2 * 6 * 5  # v2's day pupils, 5 min nearer

    # the oracle: today's assignment, for the pupils each site brings within the limit
    today = assign_pupils(villages, minutes, schools, trip_minutes=bus).xs("g1_3", level="band")
    walk = minutes["g1_3"]
    for sid in ("s1", "s2"):
        near = (walk[sid] <= 30) & ~(walk[["C", "D"]] <= 30).any(axis=1)
        rows = today[near.reindex(today.index).to_numpy()]
        board = rows[rows["status"] == "boards"]
        assert card.loc[sid, "young_brought_within"] == rows["pupils"].sum()
        assert card.loc[sid, "could_stop_boarding"] == board["pupils"].sum()
        assert card.loc[sid, "weekly_trip_minutes_saved_per_week"] == pytest.approx(
            2 * (board["pupils"] * board["weekly_trip_min"]).sum()
        )


def test_plan_restoration_end_to_end() -> None:
    villages, minutes, schools, sites = _plan_case()
    plan = plan_restoration(villages, minutes, schools, sites, sites_per_phase=[1, 1])
    # s2 first (23 pupils x 2 years), then s1 (12 x 1): 58 pupil-years.
    assert plan.phasing.pupil_years == pytest.approx(58)
    assert list(plan.restored.index) == ["s2", "s1"]
    assert plan.phases.loc[1, "young_brought_within"] == 23
    assert plan.phases.loc[2, "young_brought_within"] == 12
    assert plan.townships_before.loc["t2", "young_beyond_limit"] == 23
    assert plan.townships.loc["t2", "young_beyond_limit"] == 0
    assert plan.townships.loc["t2", "cost_yuan"] == 600_000
    assert plan.after.loc[("v1", "g1_3"), "school"] == "s1"
    assert plan.restored.loc["s1", "enrolment"] == 18
    # Grades 4-6 of v1, v3, v4 still walk beyond 45 min to C, where they board.
    assert plan.unserved.empty
    assert plan.townships.loc["t2", "boarders"] == 18


def test_a_restored_site_needing_more_classes_than_it_runs_is_warned() -> None:
    """s2 takes v3 and v4 (23 grades 1-3 pupils); with one class of at most 20 they need two."""
    villages, minutes, schools, sites = _plan_case()
    sites = sites.assign(max_classes=[4, 1])
    rules = PlanningRules(teaching_point_class_size_limit=20)
    plan = plan_restoration(villages, minutes, schools, sites, sites_per_phase=[1, 1], rules=rules)
    # by hand: s2 serves v3 (20) and v4 (3), s1 serves v1 (12) and v2 (6)
    assert plan.restored.loc["s2", "enrolment"] == 23
    assert plan.restored.loc["s2", "classes_needed"] == 2
    assert plan.restored.loc["s2", "max_classes"] == 1
    assert plan.restored.loc["s1", "classes_needed"] == 1
    got = over_class_problems(plan.restored, 20, file="sites.csv")
    assert [(p.file, p.layer, p.row_id, p.column, p.value) for p in got] == [
        ("sites.csv", "sites", "s2", "max_classes", "1")
    ]
    assert "23 grades 1-3 pupils need 2 classes of at most 20, more than the 1" in got[0].message
    assert "beyond 20" in got[0].fix
    assert got[0].severity == "warning"
    # with room for them, no warning
    roomy = plan_restoration(villages, minutes, schools, sites.assign(max_classes=[4, 2]),
                             sites_per_phase=[1, 1], rules=rules)  # fmt: skip
    assert over_class_problems(roomy.restored, 20) == []
