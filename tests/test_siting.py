"""Tests of the siting models: published optima, and brute force over every subset of sites."""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from geoplan.data.messages import problem_text
from geoplan.errors import InfeasibleError, ValidationError
from geoplan.models import siting

DATA = Path(__file__).parent / "data" / "orlib"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from _instances import read_osman_christofides, read_pmed  # noqa: E402


# ------------------------------------------------------------------ published optima
def test_pmed_reader_matches_networkx_distances() -> None:
    inst = read_pmed(DATA / "pmed1.txt")
    lines = (DATA / "pmed1.txt").read_text().split("\n")[1:]
    g = nx.Graph()
    for line in lines:  # later lines overwrite earlier ones: the last cost wins
        if line.strip():
            i, j, k = (int(t) for t in line.split())
            g.add_edge(i - 1, j - 1, weight=k)
    ref = dict(nx.all_pairs_dijkstra_path_length(g))
    for i in (0, 17, 99):
        for j in (3, 50, 98):
            assert inst.cost[i, j] == ref[i][j]


@pytest.mark.parametrize(("name", "optimum"), [("pmed1", 5819), ("pmed2", 4093)])
def test_exact_pmedian_hits_published_optimum(name: str, optimum: float) -> None:
    inst = read_pmed(DATA / f"{name}.txt")
    res = siting.p_median(inst.cost, p=inst.p)
    assert res.objective == optimum
    assert res.status == "optimal" and res.gap == 0.0
    assert res.sites["open"].sum() == inst.p


def test_capacitated_exact_hits_published_optimum() -> None:
    inst = read_osman_christofides(DATA / "pmedcap1_01.txt")
    assert inst.capacity is not None
    res = siting.p_median(
        inst.cost,
        p=inst.p,
        weights=inst.weights,
        capacity=inst.capacity,
        objective_weights=np.ones(len(inst.weights)),
    )
    assert res.objective == 713 and res.status == "optimal"
    assert (res.sites["assigned_pupils"] <= 120).all()


def test_heuristic_within_two_percent_with_valid_bound() -> None:
    inst = read_pmed(DATA / "pmed2.txt")
    res = siting.p_median(inst.cost, p=inst.p, method="heuristic")
    assert res.objective <= 4093 * 1.02
    assert res.bound <= 4093 + 1e-9


# ------------------------------------------------------------------ brute force
def _instance(seed: int, n: int = 6, m: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 10, (n, 2))
    sites = rng.uniform(0, 10, (m, 2))
    cost = np.round(np.sqrt(((pts[:, None] - sites[None]) ** 2).sum(axis=2)), 1)
    return cost, rng.integers(1, 10, n).astype(float)


def _best_assignment(cost, w, subset, *, limit, cap, low, fixed, cover_all, rows):
    """Best assignment of points to the open ``subset`` by enumeration.

    Returns (covered pupils, total cost) of the best plan for coverage (max cover, then least cost)
    or for p-median (every point assigned, least cost); ``None`` if none is feasible.
    """
    n = cost.shape[0]
    options = []
    for i in range(n):
        opts = [j for j in subset if cost[i, j] <= limit]
        if not (cover_all and i in rows):
            opts = [*opts, -1]
        options.append(opts)
    best = None
    for combo in itertools.product(*options):
        load = dict.fromkeys(subset, 0.0)
        for i, j in enumerate(combo):
            if j >= 0:
                load[j] += w[i]
        if cap is not None and any(load[j] > cap[j] + 1e-9 for j in subset):
            continue
        if low is not None and any(load[j] < low[j] - 1e-9 for j in subset if j not in fixed):
            continue
        covered = sum(w[i] for i, j in enumerate(combo) if j >= 0)
        total = sum(w[i] * cost[i, j] for i, j in enumerate(combo) if j >= 0)
        key = (-covered, total)
        if best is None or key < best:
            best = key
    return None if best is None else (-best[0], best[1])


def _subsets(m, sizes, fixed, must, never):
    for k in sizes:
        for s in itertools.combinations(range(m), k):
            if set(fixed) | set(must) <= set(s) and not set(s) & set(never):
                yield s


CASES = [
    # seed, fixed, must, never, capacity, min_enrolment
    (1, [], [], [], None, None),
    (2, [0], [], [3], None, None),
    (3, [], [2], [1], None, None),
    (4, [], [], [], 18.0, None),
    (5, [1], [], [], 20.0, None),
    (6, [], [], [], None, 8.0),
    (7, [0], [4], [2], 25.0, 6.0),
]


def _ids(idx):
    return [f"site{j}" for j in idx]


@pytest.mark.parametrize(("seed", "fixed", "must", "never", "cap", "low"), CASES)
def test_pmedian_brute_force(seed, fixed, must, never, cap, low) -> None:
    cost, w = _instance(seed)
    n, m = cost.shape
    p = 3
    caps = None if cap is None else np.full(m, cap)
    lows = None if low is None else np.full(m, low)
    best = math.inf
    for s in _subsets(m, [p], fixed, must, never):
        r = _best_assignment(
            cost,
            w,
            s,
            limit=math.inf,
            cap=caps,
            low=lows,
            fixed=fixed,
            cover_all=True,
            rows=set(range(n)),
        )
        if r is not None:
            best = min(best, r[1])
    kwargs = dict(
        p=p,
        weights=w,
        fixed=_ids(fixed),
        must=_ids(must),
        never=_ids(never),
        capacity=caps,
        min_enrolment=lows,
    )
    if not math.isfinite(best):
        with pytest.raises(InfeasibleError):
            siting.p_median(cost, **kwargs)
        return
    res = siting.p_median(cost, **kwargs)
    assert res.objective == pytest.approx(best)
    assert res.status == "optimal"
    opened = set(res.open_ids)
    assert set(_ids(fixed + must)) <= opened and not opened & set(_ids(never))
    assert res.assignment["site"].isin(res.open_ids).all()
    if cap is None and low is None:
        choice = siting._SiteChoice(
            weights=w, fixed=_ids(fixed), must=_ids(must), never=_ids(never)
        )
        prob = siting._prepare(cost, choice)
        radius, _ = siting._radius_milp(prob, p, None, 30.0)
        assert radius.objective == pytest.approx(best)


@pytest.mark.parametrize(("seed", "fixed", "must", "never", "cap", "low"), CASES)
def test_max_coverage_brute_force(seed, fixed, must, never, cap, low) -> None:
    cost, w = _instance(seed)
    _n, m = cost.shape
    p, limit = 2 + len(fixed), 4.0
    caps = None if cap is None else np.full(m, cap)
    lows = None if low is None else np.full(m, low)
    best = -1.0
    for s in _subsets(m, range(1, p + 1), fixed, must, never):
        r = _best_assignment(
            cost, w, s, limit=limit, cap=caps, low=lows, fixed=fixed, cover_all=False, rows=set()
        )
        if r is not None:
            best = max(best, r[0])
    kwargs = dict(
        limit=limit,
        p=p,
        weights=w,
        fixed=_ids(fixed),
        must=_ids(must),
        never=_ids(never),
        capacity=caps,
        min_enrolment=lows,
    )
    if best < 0:
        with pytest.raises(InfeasibleError):
            siting.max_coverage(cost, **kwargs)
        return
    res = siting.max_coverage(cost, **kwargs)
    assert res.objective == pytest.approx(best)
    assert res.sites["open"].sum() <= p
    covered = res.assignment["covered"]
    assert res.assignment.loc[covered, "pupils"].sum() == pytest.approx(best)


@pytest.mark.parametrize(("seed", "fixed", "must", "never", "cap", "low"), CASES)
def test_budgeted_coverage_brute_force(seed, fixed, must, never, cap, low) -> None:
    cost, w = _instance(seed)
    _n, m = cost.shape
    limit = 4.5
    site_cost = np.array([3.0, 5.0, 2.0, 4.0, 6.0])
    budget = 9.0
    caps = None if cap is None else np.full(m, cap)
    lows = None if low is None else np.full(m, low)
    best = -1.0
    for s in _subsets(m, range(1, m + 1), fixed, must, never):
        if sum(site_cost[j] for j in s if j not in fixed) > budget:
            continue
        r = _best_assignment(
            cost, w, s, limit=limit, cap=caps, low=lows, fixed=fixed, cover_all=False, rows=set()
        )
        if r is not None:
            best = max(best, r[0])
    kwargs = dict(
        limit=limit,
        site_cost=site_cost,
        budget=budget,
        weights=w,
        fixed=_ids(fixed),
        must=_ids(must),
        never=_ids(never),
        capacity=caps,
        min_enrolment=lows,
    )
    if best < 0:
        with pytest.raises(InfeasibleError):
            siting.budgeted_coverage(cost, **kwargs)
        return
    res = siting.budgeted_coverage(cost, **kwargs)
    assert res.objective == pytest.approx(best)
    spent = site_cost[res.sites["open"].to_numpy() & ~res.sites["fixed"].to_numpy()].sum()
    assert spent <= budget


@pytest.mark.parametrize(("seed", "fixed", "must", "never", "cap", "low"), CASES)
def test_set_cover_brute_force(seed, fixed, must, never, cap, low) -> None:
    cost, w = _instance(seed)
    n, m = cost.shape
    limit = 5.0
    caps = None if cap is None else np.full(m, cap)
    lows = None if low is None else np.full(m, low)
    allowed = [j for j in range(m) if j not in never]
    rows = {i for i in range(n) if any(cost[i, j] <= limit for j in allowed)}
    best = math.inf
    for s in _subsets(m, range(1, m + 1), fixed, must, never):
        r = _best_assignment(
            cost, w, s, limit=limit, cap=caps, low=lows, fixed=fixed, cover_all=True, rows=rows
        )
        if r is not None:
            best = min(best, len(set(s) - set(fixed)))
    kwargs = dict(
        limit=limit,
        weights=w,
        fixed=_ids(fixed),
        must=_ids(must),
        never=_ids(never),
        capacity=caps,
        min_enrolment=lows,
    )
    if not math.isfinite(best):
        with pytest.raises(InfeasibleError):
            siting.set_cover(cost, **kwargs)
        return
    res = siting.set_cover(cost, **kwargs)
    assert res.objective == pytest.approx(best)
    assert res.assignment["covered"].to_numpy()[sorted(rows)].all()


# ------------------------------------------------------------------ infeasibility in numbers
def test_pmedian_with_no_plan_reaching_every_point_is_infeasible() -> None:
    # Each site reaches one point only: no single site serves both (was "optimal", 5.0).
    cost = np.array([[1.0, np.inf], [np.inf, 1.0]])
    with pytest.raises(InfeasibleError):
        siting.p_median(cost, p=1)


@pytest.mark.parametrize("weights", [[1.0, 0.0], [0.01, 100.0]])
def test_pmedian_serves_light_and_zero_pupil_points_too(weights: list[float]) -> None:
    # Only site2 reaches both points. Unreachable pairs priced at a finite penalty made site0
    # (nan, for the zero-pupil point) or site1 (inf) look best and "optimal".
    cost = np.array([[1.0, np.inf, 30.0], [np.inf, 1.0, 20.0]])
    res = siting.p_median(cost, p=1, weights=weights)
    best = float(np.dot(weights, cost[:, 2]))
    assert res.open_ids == ["site2"] and res.status == "optimal"
    assert res.objective == pytest.approx(best) and res.bound <= best + 1e-9
    assert res.assignment["site"].tolist() == ["site2", "site2"]


@pytest.mark.parametrize("model", ["max_coverage", "budgeted_coverage", "heuristic"])
def test_coverage_with_nothing_worth_opening_opens_nothing(model: str) -> None:
    # No site within the limit (or within the budget): the plan opens nothing (was a crash).
    cost = np.array([[12.957]])
    if model == "budgeted_coverage":
        res = siting.budgeted_coverage(cost, limit=15.0, site_cost=[1.0], budget=0.5)
    else:
        method = "heuristic" if model == "heuristic" else "exact"
        res = siting.max_coverage(cost, limit=5.0, p=1, method=method)
    assert res.objective == 0.0 and res.open_ids == []
    assert res.assignment["site"].tolist() == [""] and not res.assignment["covered"].any()
    if model != "heuristic":
        assert res.status == "optimal" and res.bound == 0.0


def test_must_sites_beyond_p_are_reported() -> None:
    cost, _w = _instance(1)
    with pytest.raises(InfeasibleError, match=r"sites 3 > p = 2"):
        siting.p_median(cost, p=2, must=_ids([0, 1, 2]))


def test_capacity_below_demand_is_reported() -> None:
    cost = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(InfeasibleError, match=r"capacity of the best 2 sites 4,200 < demand 5,100"):
        siting.p_median(cost, p=2, weights=[2600, 2500], capacity=[2100, 2100])


def test_unknown_site_id_is_a_validation_error() -> None:
    cost, _ = _instance(1)
    with pytest.raises(ValueError, match="site9"):
        siting.p_median(cost, p=2, fixed=["site9"])


def test_inputs_not_mutated_and_tables_aligned() -> None:
    cost, w = _instance(3)
    before = cost.copy()
    res = siting.p_median(cost, p=2, weights=w, demand_ids=list("abcdef"))
    assert np.array_equal(cost, before)
    assert list(res.assignment.index) == list("abcdef")
    assert res.assignment.index.name == "id" and res.sites.index.name == "id"


# ------------------------------------------------------------------ inputs for newcomers
MODELS = {
    "p_median": lambda cost, **kw: siting.p_median(cost, p=2, **kw),
    "max_coverage": lambda cost, **kw: siting.max_coverage(cost, limit=4.0, p=2, **kw),
    "set_cover": lambda cost, **kw: siting.set_cover(cost, limit=6.0, **kw),
    "budgeted_coverage": lambda cost, **kw: siting.budgeted_coverage(
        cost, limit=4.0, site_cost=[3, 1, 2, 2, 1], budget=3.0, **kw
    ),
}


@pytest.mark.parametrize("model", list(MODELS))
def test_dataframe_and_id_aligned_weights_match_the_array(model: str) -> None:
    cost, w = _instance(11)
    demand, sites = list("abcdef"), ["s1", "s2", "s3", "s4", "s5"]
    ref = MODELS[model](cost, weights=w, demand_ids=demand, site_ids=sites)
    frame = pd.DataFrame(cost, index=demand, columns=sites)
    shuffled = pd.Series(w, index=demand).iloc[::-1]  # aligned by id, not by position
    got = MODELS[model](frame, weights=shuffled)
    assert list(got.assignment.index) == demand and list(got.sites.index) == sites
    assert got.objective == pytest.approx(ref.objective)
    assert got.open_ids == ref.open_ids
    # a DataFrame's own ids are kept, and given ids select and order its rows
    sub = MODELS[model](frame, weights=shuffled, demand_ids=demand[::-1])
    assert list(sub.assignment.index) == demand[::-1]
    assert sub.objective == pytest.approx(ref.objective)


def test_weights_with_other_ids_are_an_error_naming_them() -> None:
    cost, w = _instance(11)
    frame = pd.DataFrame(cost, index=list("abcdef"), columns=[f"s{j}" for j in range(5)])
    with pytest.raises(ValueError, match=r"(?s)no value for 6 demand point.*a, b, c.*0, 1, 2"):
        siting.p_median(frame, p=2, weights=pd.Series(w))  # a 0-5 index
    with pytest.raises(ValueError, match="s9"):
        siting.p_median(frame, p=2, capacity=pd.Series(50.0, index=["s0", "s9"]))


def test_fill_fixed_fills_the_fixed_sites_to_capacity_brute_force() -> None:
    cost, w = _instance(12)
    n, m = cost.shape
    cap = np.array([14.0, 40.0, 40.0, 40.0, 40.0])
    p = 3
    best = math.inf
    for rest in itertools.combinations(range(1, m), p - 1):
        subset = (0, *rest)
        for combo in itertools.product(subset, repeat=n):
            load = np.bincount(combo, weights=w, minlength=m)
            if (
                np.any(load[list(subset)] > cap[list(subset)] + 1e-9)
                or abs(load[0] - cap[0]) > 1e-9
            ):
                continue
            best = min(best, float(sum(w[i] * cost[i, j] for i, j in enumerate(combo))))
    assert math.isfinite(best)
    res = siting.p_median(cost, p=p, weights=w, capacity=cap, fixed=["site0"], fill_fixed=True)
    assert res.objective == pytest.approx(best)
    assert res.sites.at["site0", "assigned_pupils"] == pytest.approx(cap[0])
    free = siting.p_median(cost, p=p, weights=w, capacity=cap, fixed=["site0"])
    assert free.objective <= best + 1e-9
    with pytest.raises(ValueError, match="capacity"):
        siting.p_median(cost, p=p, weights=w, fixed=["site0"], fill_fixed=True)


# ------------------------------------------------------------------ Lagrangian fixing
@pytest.mark.parametrize("seed", range(6))
def test_lagrangian_bound_and_fixing_keep_the_optimum(seed: int) -> None:
    from geoplan.models import _heuristics as heur

    rng = np.random.default_rng(100 + seed)
    n, p = 9, 3
    xy = rng.integers(0, 20, size=(n, 2))
    cost = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2).astype(float)
    w = rng.integers(1, 5, size=n).astype(float)
    values = {
        s: float(w @ cost[:, list(s)].min(axis=1)) for s in itertools.combinations(range(n), p)
    }
    best_set = min(values, key=lambda s: values[s])
    best = values[best_set]
    forced, allowed = np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
    worst = max(values.values())
    lag = heur.lagrangian_bound(cost, w, p, forced, allowed, upper=worst + 1.0)
    assert lag.bound <= best + 1e-6
    # Every plan of value <= cutoff must survive the fixing, with its nearest-site pairs.
    cutoff = best + 0.5
    closed, opened, pair_ok = heur.lagrangian_fixing(cost, w, p, forced, allowed, lag.lam, cutoff)
    for s, v in values.items():
        if v <= cutoff:
            inside = np.zeros(n, dtype=bool)
            inside[list(s)] = True
            assert not (closed & inside).any() and not (opened & ~inside).any()
            sub = cost[:, list(s)]
            nearest = sub == sub.min(axis=1, keepdims=True)
            assert (nearest & pair_ok[:, list(s)]).any(axis=1).all()


def _tree_case(
    seed: int, n: int = 10
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]:
    """Euclidean costs on random points; with some seeds a forced site and a closed one."""
    rng = np.random.default_rng(200 + seed)
    p = 3 + seed % 2
    xy = rng.normal(size=(n, 2))
    cost = np.round(np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)) * 100)
    w = rng.integers(1, 6, size=n).astype(float)
    forced = np.zeros(n, dtype=bool)
    allowed = np.ones(n, dtype=bool)
    if seed % 3 == 0:
        forced[0] = True
        allowed[5] = False
    return cost, w, p, forced, allowed


def _plan_values(
    cost: np.ndarray, w: np.ndarray, p: int, forced: np.ndarray, allowed: np.ndarray
) -> dict[tuple[int, ...], float]:
    """Every plan's value, by brute force."""
    return {
        s: float(w @ cost[:, list(s)].min(axis=1))
        for s in itertools.combinations(range(cost.shape[1]), p)
        if set(np.flatnonzero(forced)) <= set(s) and allowed[list(s)].all()
    }


@pytest.mark.parametrize("seed", range(8))
def test_lagrangian_tree_proves_the_brute_force_optimum(seed: int) -> None:
    from geoplan.models._lagrangian_tree import lagrangian_tree

    cost, w, p, forced, allowed = _tree_case(seed)
    values = _plan_values(cost, w, p, forced, allowed)
    best = min(values.values())
    worst_set = max(values, key=lambda s: values[s])
    start = np.zeros(cost.shape[1], dtype=bool)
    start[list(worst_set)] = True
    out = lagrangian_tree(
        cost,
        w,
        p,
        forced,
        allowed,
        np.zeros(cost.shape[0]),
        best=start,
        cutoff_of=lambda v: v - 1.0 + 1e-6,
        time_limit_s=20.0,
    )
    assert out.finished and out.value == best and out.bound == best
    assert out.best.sum() == p and out.best[forced].all() and not out.best[~allowed].any()


@pytest.mark.parametrize("seed", range(6))
def test_lagrangian_tree_stopped_early_gives_a_true_bound(seed: int) -> None:
    """Stopped by its time limit in a round (or after a proven one), the bound stays valid."""
    from geoplan.models._lagrangian_tree import lagrangian_tree

    cost, w, p, forced, allowed = _tree_case(seed, n=12)
    values = _plan_values(cost, w, p, forced, allowed)
    best = min(values.values())
    start = np.zeros(cost.shape[1], dtype=bool)
    start[list(max(values, key=lambda s: values[s]))] = True
    for limit in (0.0, 0.002, 0.01):
        out = lagrangian_tree(
            cost,
            w,
            p,
            forced,
            allowed,
            np.zeros(cost.shape[0]),
            best=start,
            cutoff_of=lambda v: v - 1.0 + 1e-6,
            lower=0.0,
            time_limit_s=limit,
        )
        assert out.bound <= best + 1e-9 <= out.value + 1e-9
        assert out.value == values[tuple(np.flatnonzero(out.best))]


def test_lagrangian_tree_with_pairs_cut_keeps_every_better_plan() -> None:
    """Pairs no better plan uses are ``inf`` (after a fixing): the optimum is still found."""
    from geoplan.models import _heuristics as heur
    from geoplan.models._lagrangian_tree import lagrangian_tree

    cost, w, p, forced, allowed = _tree_case(1, n=12)
    values = _plan_values(cost, w, p, forced, allowed)
    best = min(values.values())
    start_set = sorted(values, key=lambda s: values[s])[len(values) // 3]
    start = np.zeros(cost.shape[1], dtype=bool)
    start[list(start_set)] = True
    lag = heur.lagrangian_bound(cost, w, p, forced, allowed, upper=values[start_set])
    cutoff = values[start_set] - 0.5
    closed, opened, pair_ok = heur.lagrangian_fixing(cost, w, p, forced, allowed, lag.lam, cutoff)
    out = lagrangian_tree(
        np.where(pair_ok, cost, np.inf),
        w,
        p,
        forced | opened,
        allowed & ~closed,
        lag.lam,
        best=start,
        cutoff_of=lambda v: v - 1.0 + 1e-6,
        lower=lag.bound,
        true_cost=cost,
        time_limit_s=20.0,
    )
    assert out.finished and out.value == best


def test_a_site_that_is_not_a_candidate_is_refused_in_english_and_chinese() -> None:
    cost = pd.DataFrame([[1.0, 2.0], [2.0, 1.0]], index=["v1", "v2"], columns=["a", "b"])
    with pytest.raises(ValidationError) as err:
        siting.p_median(cost, p=1, never=["b", "yy", "zz"])
    yy, zz = err.value.problems
    assert (zz.layer, zz.row_id, zz.column, zz.value) == ("sites", "zz", "never", "zz")
    assert yy.message == "`never` names site yy, which is not a candidate."
    assert yy.fix == "Use ids of the candidate sites (the columns of the cost matrix)."
    assert problem_text(zz, "zh") == (
        "`never` 中的 zz 不是候选点。",
        "使用候选点的编号(成本矩阵的列)。",
    )


def test_budgeted_coverage_with_fractional_pupils_is_proven_to_the_last_pupil() -> None:
    # Found by the fuzz: HiGHS stopped within its default absolute gap of 0.999 pupils and the
    # plan covering 22.647 was "optimal"; the plan below covers 23.118 within the budget.
    rows = [
        "00000000011000001", "10110000000000000", "00000000000000010", "00000000100001000",
        "00000100000010000", "00000001010000000", "00000000010001000", "00000000101000000",
        "00000010000101000", "10000001000000100", "11010000100000001", "00000001100000000",
        "01000010000010001", "00010000000000000", "00001000000000000", "00100000001001000",
        "00001000001000100", "00000000000100010", "10010001000010000", "00101000000000010",
        "00000000000010000", "00100001100001000", "00001100100100000", "00000000010000000",
    ]  # fmt: skip
    w = np.array([
        1.048, 1.332, 1.721, 0.683, 1.047, 1.387, 1.0, 0.055, 0.854, 1.681, 1.212, 1.259,
        1.777, 0.055, 1.438, 0.685, 1.632, 1.488, 1.43, 0.664, 0.656, 1.424, 1.59, 0.535,
    ])  # fmt: skip
    site_cost = np.array([1, 4, 2, 1, 1, 4, 5, 2, 2, 3, 3, 1, 4, 4, 1, 1, 4], dtype=float)
    covers = np.array([[c == "1" for c in row] for row in rows])
    plan = [0, 2, 4, 8, 9, 11, 15]
    assert site_cost[plan].sum() <= 11.0
    better = float(w[covers[:, plan].any(axis=1)].sum())
    res = siting.budgeted_coverage(
        np.where(covers, 1.0, 5.0), limit=1.0, site_cost=site_cost, budget=11.0, weights=w
    )
    assert res.bound >= better - 1e-9
    assert res.status != "optimal" or res.objective >= better - 1e-9


def test_set_cover_of_fractional_site_costs_started_from_a_cover_is_the_cheapest() -> None:
    # Found by the fuzz (a 41 x 12 set cover was "optimal" at 15.33, the optimum 14.32): HiGHS,
    # started from the cover {0, 2, 4} (cost 4.15), returned that start as "optimal" at 2.63;
    # the cheapest cover is {1, 4} at 3.14.
    import scipy.sparse as sp

    from geoplan.models.solver import solve_milp

    covers = np.array([[0, 0, 1, 0, 1], [0, 1, 0, 0, 1], [1, 0, 0, 1, 1], [1, 1, 0, 0, 0]], bool)
    site_cost = np.array([1.68, 1.62, 0.95, 1.43, 1.52])
    best = min(
        float(site_cost[list(s)].sum())
        for k in range(1, 6)
        for s in itertools.combinations(range(5), k)
        if covers[:, list(s)].any(axis=1).all()
    )
    res = solve_milp(
        site_cost,
        sp.csr_array(covers.astype(float)),
        np.ones(4),
        np.full(4, np.inf),
        ub=1.0,
        integrality=np.ones(5),
        start=np.array([1.0, 0.0, 1.0, 0.0, 1.0]),
        mip_abs_gap=1e-6,
    )
    assert res.x is not None
    opened = res.x > 0.5
    assert covers[:, opened].any(axis=1).all()
    assert res.objective == pytest.approx(float(site_cost[opened].sum()))
    assert res.objective == pytest.approx(best) and res.bound <= best + 1e-9


# ------------------------------------------------------------------ seeded fuzz against brute force
def _fuzz_case(rng: np.random.Generator, capacitated: bool) -> dict:
    """A small random case: ties, unreachable pairs, zero and fractional pupils, decisions."""
    n, m = int(rng.integers(1, 7)), int(rng.integers(1, 6))
    cost = rng.integers(0, 4 if rng.random() < 0.5 else 10, (n, m)).astype(float)
    if rng.random() < 0.3:
        cost = cost + np.round(rng.random((n, m)), 2)
    if rng.random() < 0.4:
        cost[rng.random((n, m)) < 0.3] = np.inf
    w = rng.integers(0, 6, n).astype(float)
    if rng.random() < 0.3:
        w = np.round(rng.random(n) * 5, 2)
    decision = rng.choice(["free"] * 6 + ["fixed", "must", "never"], m)
    if (decision == "never").all():
        decision[0] = "free"
    cap = low = None
    if capacitated:
        cap = rng.integers(0, int(w.sum()) + 2, m).astype(float)
        if rng.random() < 0.3:
            low = rng.integers(0, 4, m).astype(float)
    return {"cost": cost, "w": w, "decision": decision, "cap": cap, "low": low}


def _fuzz_assignments(case, subset, limit, required):
    """(covered pupils, pupil cost) of every feasible assignment of the points to ``subset``."""
    cost, w, cap, low = case["cost"], case["w"], case["cap"], case["low"]
    n = cost.shape[0]
    fixed = case["decision"] == "fixed"
    options = []
    for i in range(n):
        opts = [j for j in subset if cost[i, j] <= limit]
        options.append(opts if i in required else [*opts, -1])
    for combo in itertools.product(*options):
        load = dict.fromkeys(subset, 0.0)
        for i, j in enumerate(combo):
            if j >= 0:
                load[j] += w[i]
        if cap is not None and any(load[j] > cap[j] + 1e-9 for j in subset):
            continue
        if low is not None and any(load[j] < low[j] - 1e-9 for j in subset if not fixed[j]):
            continue
        yield (
            sum(w[i] for i, j in enumerate(combo) if j >= 0),
            sum(w[i] * cost[i, j] for i, j in enumerate(combo) if j >= 0),
        )


@pytest.mark.parametrize("model", ["p_median", "max_coverage", "budgeted_coverage", "set_cover"])
def test_seeded_fuzz_against_brute_force(model: str) -> None:
    """60 random cases per model: plan feasible, objective its own value, bound on the right side
    of the brute-force optimum, and "optimal" only at that optimum (also on tiny time limits)."""
    rng = np.random.default_rng(len(model) * 1009)
    checked = 0
    for _case in range(60):
        case = _fuzz_case(rng, capacitated=rng.random() < 0.3)
        cost, w, decision, cap = case["cost"], case["w"], case["decision"], case["cap"]
        n, m = cost.shape
        ids = _ids(range(m))
        fixed, never = decision == "fixed", decision == "never"
        forced = fixed | (decision == "must")
        finite = cost[np.isfinite(cost)]
        limit = float(rng.choice(finite)) if finite.size else 1.0
        kwargs = dict(
            weights=w,
            fixed=_ids(np.flatnonzero(fixed)),
            must=_ids(np.flatnonzero(decision == "must")),
            never=_ids(np.flatnonzero(never)),
            capacity=cap,
            min_enrolment=case["low"],
            time_limit_s=0.05 if rng.random() < 0.2 else 30.0,
        )
        p = int(rng.integers(1, int((~never).sum()) + 1))  # p > sites that may open: refused
        site_cost = rng.integers(1, 4, m).astype(float)
        budget = float(rng.integers(0, int(site_cost.sum()) + 1))
        sizes = [p] if model == "p_median" else range(p + 1) if model == "max_coverage" else None
        best = math.inf if model in ("p_median", "set_cover") else -math.inf
        coverable = {i for i in range(n) if w[i] > 0 and (cost[i, ~never] <= limit).any()}
        forced_ids, never_ids = np.flatnonzero(forced), np.flatnonzero(never)
        for s in _subsets(m, sizes or range(m + 1), [], forced_ids, never_ids):
            paid = float(site_cost[[j for j in s if not fixed[j]]].sum())
            if model == "p_median":
                top = float(finite.max()) if finite.size else 0.0
                values = [t for _c, t in _fuzz_assignments(case, s, top, set(range(n)))]
                best = min([best, *values])
            elif model == "set_cover":
                if any(True for _ in _fuzz_assignments(case, s, limit, coverable)):
                    best = min(best, float(len(s) - fixed[list(s)].sum()))
            elif model == "max_coverage" or paid <= budget + 1e-9:
                best = max([best, *(c for c, _t in _fuzz_assignments(case, s, limit, set()))])
        try:
            if model == "p_median":
                res = siting.p_median(cost, p=p, **kwargs)
            elif model == "max_coverage":
                res = siting.max_coverage(cost, limit=limit, p=p, **kwargs)
            elif model == "budgeted_coverage":
                res = siting.budgeted_coverage(
                    cost, limit=limit, site_cost=site_cost, budget=budget, **kwargs
                )
            else:
                res = siting.set_cover(cost, limit=limit, **kwargs)
        except InfeasibleError:
            assert not math.isfinite(best) or kwargs["time_limit_s"] < 1, (model, case)
            continue
        assert math.isfinite(best), (model, case)
        checked += 1
        is_open = res.sites["open"].to_numpy()
        site = res.assignment["site"].map({s: j for j, s in enumerate(ids)}).fillna(-1)
        site = site.to_numpy(dtype=int)
        assert (is_open >= forced).all() and not (is_open & never).any()
        assert all(is_open[j] for j in site if j >= 0)
        served = site >= 0
        if model != "p_median":
            served = res.assignment["covered"].to_numpy()
            assert (cost[served, site[served]] <= limit).all()
        load = np.bincount(site[served], weights=w[served], minlength=m)
        if cap is not None:
            assert (load <= cap + 1e-9).all()
        if case["low"] is not None:
            assert (load[is_open & ~fixed] >= case["low"][is_open & ~fixed] - 1e-9).all()
        if model == "p_median":
            assert is_open.sum() == p and served.all()
            value = float(w @ cost[np.arange(n), site])
        elif model == "set_cover":
            assert served[sorted(coverable)].all()
            value = float((is_open & ~fixed).sum())
        else:
            value = float(w[served].sum())
            assert is_open.sum() <= p or model == "budgeted_coverage"
            assert model != "budgeted_coverage" or site_cost[is_open & ~fixed].sum() <= budget
        tol = 1e-6 * max(1.0, abs(best))
        assert res.objective == pytest.approx(value, rel=1e-6, abs=1e-9), (model, case)
        minimise = model in ("p_median", "set_cover")
        sign = 1.0 if minimise else -1.0
        assert sign * res.objective >= sign * best - tol, (model, case)
        assert sign * res.bound <= sign * best + tol, (model, case)
        if res.status == "optimal":
            assert res.objective == pytest.approx(best, rel=1e-6, abs=1e-9), (model, case)
    assert checked >= 30
