"""Robust (seasonal) location models against brute force over every subset of sites.

The oracle below is written from the definitions (issue 23), not from the models' code: every
subset of sites is scored in every season, and the seasons combine as worst case, largest regret
against each season's own optimum (itself found by brute force), or the months-weighted mean.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from geoplan.errors import ArgumentError
from geoplan.models import siting

ROBUST = ("worst", "regret", "expected")


def _instance(
    seed: int, n_seasons: int
) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, float]]:
    """Random villages x sites; later seasons are slower, cut some pairs and one village off."""
    rng = np.random.default_rng(seed)
    n, m = 7, 6
    xy_d, xy_s = rng.uniform(0, 10, (n, 2)), rng.uniform(0, 10, (m, 2))
    base = np.round(np.linalg.norm(xy_d[:, None] - xy_s[None], axis=2) * 3)
    costs = {"summer": base}
    names = ["winter", "spring"][: n_seasons - 1]
    for k, name in enumerate(names):
        c = np.round(base * rng.uniform(1.0, 2.5, base.shape))
        c[rng.random(base.shape) < 0.25] = np.inf  # closed passes
        if k == 0:
            c[int(rng.integers(n))] = np.inf  # a village no site reaches this season
        costs[name] = c
    weights = rng.integers(1, 20, n).astype(float)
    months = {"summer": 5.0, "winter": 4.0, "spring": 1.0}
    return costs, weights, {s: months[s] for s in costs}


def _subsets(m: int, fixed: set[int], never: set[int]) -> list[tuple[int, ...]]:
    out = []
    for r in range(m + 1):
        for sub in itertools.combinations(range(m), r):
            s = set(sub)
            if fixed <= s and not (s & never):
                out.append(sub)
    return out


def _pm_total(c: np.ndarray, w: np.ndarray, sub: tuple[int, ...]) -> float:
    finite = c[np.isfinite(c)]
    u = 2 * finite.max()
    d = np.where(np.isfinite(c), c, u)
    return float(sum(w[i] * min(d[i, j] for j in sub) for i in range(c.shape[0])))


def _covered(c: np.ndarray, w: np.ndarray, sub: tuple[int, ...], limit: float) -> float:
    return float(sum(w[i] for i in range(c.shape[0]) if any(c[i, j] <= limit for j in sub)))


def _combine(
    values: dict[tuple[int, ...], np.ndarray], robust: str, share: np.ndarray, minimise: bool
) -> tuple[float, dict[tuple[int, ...], float]]:
    """Robust score of every subset and the best score (in the model's own sense)."""
    arr = np.array(list(values.values()))
    if robust == "worst":
        score = arr.max(axis=1) if minimise else arr.min(axis=1)
    elif robust == "expected":
        score = arr @ share
    else:
        opt = arr.min(axis=0) if minimise else arr.max(axis=0)
        score = (arr - opt).max(axis=1) if minimise else (opt - arr).max(axis=1)
    scores = dict(zip(values, score.tolist(), strict=True))
    best = min(scores.values()) if minimise or robust == "regret" else max(scores.values())
    return float(best), scores


CASES = [(seed, n_s) for seed in range(4) for n_s in (2, 3)]


@pytest.mark.parametrize("robust", ROBUST)
@pytest.mark.parametrize(("seed", "n_seasons"), CASES)
def test_robust_pmedian_matches_brute_force(robust: str, seed: int, n_seasons: int) -> None:
    costs, w, months = _instance(seed, n_seasons)
    share = np.array(list(months.values())) / sum(months.values())
    p, fixed = 2, {0} if seed % 2 else set()
    subs = [s for s in _subsets(6, fixed, {5}) if len(s) == p]
    # the brute force p-median keeps every season's optimum over the same feasible subsets
    vals = {s: np.array([_pm_total(c, w, s) for c in costs.values()]) for s in subs}
    best, scores = _combine(vals, robust, share, minimise=True)
    kw = {"fixed": [f"site{j}" for j in fixed], "never": ["site5"]}
    res = siting.p_median(costs, p=p, weights=w, robust=robust, months=months, **kw)
    chosen = tuple(int(s[4:]) for s in res.open_ids)
    assert res.status == "optimal" and res.gap == 0
    assert res.objective == pytest.approx(best, rel=1e-9, abs=1e-9)
    assert scores[chosen] == pytest.approx(best, rel=1e-9, abs=1e-9)
    assert res.seasons is not None
    assert list(res.seasons["value"]) == pytest.approx(list(vals[chosen]))
    if robust == "regret":
        own = np.array(list(vals.values())).min(axis=0)
        assert list(res.seasons["optimum"]) == pytest.approx(list(own))
        assert res.seasons["optimum_proven"].all()
    heur = siting.p_median(
        costs, p=p, weights=w, robust=robust, months=months, method="heuristic", **kw
    )
    h_chosen = tuple(int(s[4:]) for s in heur.open_ids)
    assert h_chosen in scores and len(h_chosen) == p
    assert heur.objective == pytest.approx(scores[h_chosen])
    assert heur.objective >= best - 1e-9
    if math.isfinite(heur.bound):
        assert heur.bound <= best + 1e-6


def _coverage_subsets(model: str, site_cost: np.ndarray, fixed: set[int]) -> list[tuple[int, ...]]:
    subs = _subsets(6, fixed, {5})
    if model == "max_coverage":
        return [s for s in subs if len(s) <= 2]
    return [s for s in subs if sum(site_cost[j] for j in s if j not in fixed) <= 7]


@pytest.mark.parametrize("model", ["max_coverage", "budgeted_coverage"])
@pytest.mark.parametrize("robust", ROBUST)
@pytest.mark.parametrize(("seed", "n_seasons"), CASES)
def test_robust_coverage_matches_brute_force(
    model: str, robust: str, seed: int, n_seasons: int
) -> None:
    costs, w, months = _instance(seed, n_seasons)
    share = np.array(list(months.values())) / sum(months.values())
    limit = 12.0
    site_cost = np.array([3.0, 4.0, 2.0, 5.0, 3.0, 1.0])
    fixed = {1} if seed % 2 else set()
    subs = _coverage_subsets(model, site_cost, fixed)
    vals = {s: np.array([_covered(c, w, s, limit) for c in costs.values()]) for s in subs}
    best, scores = _combine(vals, robust, share, minimise=False)
    kw = {
        "fixed": [f"site{j}" for j in fixed],
        "never": ["site5"],
        "weights": w,
        "robust": robust,
        "months": months,
        "limit": limit,
    }
    for method in ("exact", "heuristic"):
        if model == "max_coverage":
            res = siting.max_coverage(costs, p=2, method=method, **kw)
        else:
            res = siting.budgeted_coverage(
                costs, site_cost=site_cost, budget=7.0, method=method, **kw
            )
        chosen = tuple(sorted(int(s[4:]) for s in res.open_ids))
        assert chosen in scores
        assert res.seasons is not None
        assert list(res.seasons["value"]) == pytest.approx(list(vals[chosen]))
        if robust == "regret":
            # against each season's own optimum, or its (upper) bound where not proven
            own = np.array(list(vals.values())).max(axis=0)
            ref = res.seasons["optimum"].to_numpy()
            proven = res.seasons["optimum_proven"].to_numpy()
            assert ref[proven] == pytest.approx(own[proven])
            assert (ref >= own - 1e-9).all()
            assert res.objective == pytest.approx(float((ref - vals[chosen]).max()))
        else:
            assert res.objective == pytest.approx(scores[chosen])
        if method == "exact":
            assert res.status == "optimal" and res.gap == 0
            assert res.objective == pytest.approx(best)
        elif robust == "regret":
            assert res.objective >= best - 1e-9
            assert res.bound <= best + 1e-9
        else:
            assert res.objective <= best + 1e-9
            assert res.bound >= best - 1e-9


@pytest.mark.parametrize("robust", ROBUST)
@pytest.mark.parametrize(("seed", "n_seasons"), CASES)
def test_robust_set_cover_matches_brute_force(robust: str, seed: int, n_seasons: int) -> None:
    costs, w, months = _instance(seed, n_seasons)
    limit = 12.0
    site_cost = np.array([3.0, 4.0, 2.0, 5.0, 3.0, 1.0])
    # villages some site that may open reaches within the limit, per season
    need = [[i for i in range(7) if (c[i, :5] <= limit).any()] for c in costs.values()]
    ok = [
        s
        for s in _subsets(6, set(), {5})
        if all(
            any(c[i, j] <= limit for j in s)
            for c, rows in zip(costs.values(), need, strict=True)
            for i in rows
        )
    ]
    best = min(sum(site_cost[j] for j in s) for s in ok)
    for method in ("exact", "heuristic"):
        res = siting.set_cover(
            costs,
            limit=limit,
            weights=w,
            site_cost=site_cost,
            never=["site5"],
            robust=robust,
            months=months,
            method=method,
        )
        chosen = tuple(sorted(int(s[4:]) for s in res.open_ids))
        assert chosen in ok
        assert res.objective == pytest.approx(sum(site_cost[j] for j in chosen))
        if method == "exact":
            assert res.objective == pytest.approx(best) and res.status == "optimal"
        assert res.seasons is not None
        covered = [_covered(c, w, chosen, limit) for c in costs.values()]
        assert list(res.seasons["value"]) == pytest.approx(covered)
        assert list(res.seasons["value"]) == pytest.approx(list(res.seasons["coverable_pupils"]))


def test_summer_optimum_is_poor_in_winter_and_the_robust_plan_is_not() -> None:
    """Two valleys: the summer-best site sits beyond a pass that winter closes."""
    summer = np.array([[5.0, 20.0], [5.0, 20.0], [6.0, 20.0]])
    winter = np.array([[np.inf, 25.0], [np.inf, 25.0], [np.inf, 26.0]])
    costs = {"summer": summer, "winter": winter}
    plain = siting.p_median(summer, p=1)
    assert plain.open_ids == ["site0"]
    robust = siting.p_median(costs, p=1, robust="worst")
    assert robust.open_ids == ["site1"]
    assert robust.seasons is not None
    assert robust.seasons.loc["winter", "unreachable_pupils"] == 0
    # the summer plan, judged in winter: every pupil cut off, each at twice 26 minutes
    summer_plan = siting.p_median(costs, p=1, robust="worst", never=["site1"])
    assert summer_plan.seasons is not None
    assert summer_plan.seasons.loc["winter", "value"] == 3 * 52
    assert summer_plan.seasons.loc["winter", "unreachable_pupils"] == 3
    assert robust.objective == 76 < summer_plan.objective
    cover = siting.max_coverage(costs, limit=30, p=1, robust="worst")
    assert cover.open_ids == ["site1"] and cover.objective == 3


def test_unreachable_min_and_argument_errors() -> None:
    costs = {"a": np.array([[1.0, np.inf]]), "b": np.array([[np.inf, 2.0]])}
    res = siting.p_median(costs, p=1, robust="worst", unreachable_min=100.0)
    assert res.objective == 100.0  # either site leaves the village cut off in one season
    both = siting.p_median(costs, p=2, robust="worst", unreachable_min=100.0)
    assert both.objective == 2.0
    assert res.seasons is not None
    assert list(res.seasons["unreachable_min"]) == [100.0, 100.0]
    with pytest.raises(ArgumentError, match="robust"):
        siting.p_median(costs["a"], p=1, robust="worst")
    with pytest.raises(ArgumentError, match="one of"):
        siting.p_median(costs, p=1, robust="best")
    with pytest.raises(ArgumentError, match="months"):
        siting.p_median(costs, p=1, months={"a": 5})
    with pytest.raises(ArgumentError, match="capacity"):
        siting.p_median(costs, p=1, capacity=[5, 5])
    with pytest.raises(ArgumentError, match="same ids"):
        siting.p_median({"a": np.ones((2, 2)), "b": np.ones((3, 2))}, p=1)
