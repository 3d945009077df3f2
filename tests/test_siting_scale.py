"""Tests of the large-scale p-median and capacitated machinery against brute force.

The ranked greedy and vertex substitution (issue 27) against naive re-implementations on small
random cases (``inf`` pairs, forced and barred sites, zero weights, ties).
"""

from __future__ import annotations

import numpy as np
import pytest

from geoplan.models import _heuristics as heur


def _case(seed: int) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(4, 40)), int(rng.integers(3, 20))
    p = int(rng.integers(1, m - 1))
    cost = rng.integers(0, 15, size=(n, m)).astype(float)  # many ties
    cost[rng.random((n, m)) < 0.1] = np.inf
    w = rng.integers(0, 5, size=n).astype(float)
    forced, allowed = np.zeros(m, dtype=bool), np.ones(m, dtype=bool)
    if seed % 2:
        forced[0] = True
        allowed[m - 1] = False
    return cost, w, p, forced, allowed


def _total(d: np.ndarray, w: np.ndarray, is_open: np.ndarray) -> float:
    return float(w @ d[:, is_open].min(axis=1))


@pytest.mark.parametrize("seed", range(25))
def test_ranked_greedy_adds_the_best_site_each_step(seed: int) -> None:
    cost, w, p, forced, allowed = _case(seed)
    d = heur.finite_cost(cost)
    got = heur.greedy_pmedian(cost, w, p, forced, allowed)
    assert got.sum() == p and got[forced].all() and not got[~allowed].any()
    # Naive greedy: try every site, keep the least total (ties to the lowest index).
    want = forced.copy()
    while want.sum() < p:
        best, best_j = np.inf, -1
        for j in np.flatnonzero(allowed & ~want):
            trial = want.copy()
            trial[j] = True
            cur = d[:, trial].min(axis=1) if want.any() else d[:, j]
            value = float(w @ cur)
            if value < best - 1e-9:
                best, best_j = value, int(j)
        want[best_j] = True
    assert _total(d, w, got) == pytest.approx(_total(d, w, want))


@pytest.mark.parametrize("seed", range(25))
def test_ranked_interchange_ends_at_a_swap_local_optimum(seed: int) -> None:
    cost, w, p, forced, allowed = _case(seed)
    d = heur.finite_cost(cost)
    rng = np.random.default_rng(seed)
    start = forced.copy()
    free = np.flatnonzero(allowed & ~forced)
    start[rng.choice(free, p - int(forced.sum()), replace=False)] = True
    ranked = heur.Ranked.of(cost)
    got = heur.interchange(cost, w, start, forced, allowed, ranked=ranked)
    assert got.sum() == p and got[forced].all() and not got[~allowed].any()
    value = _total(d, w, got)
    assert value <= _total(d, w, start) + 1e-9
    for out in np.flatnonzero(got & ~forced):
        for into in np.flatnonzero(allowed & ~got):
            trial = got.copy()
            trial[out], trial[into] = False, True
            assert _total(d, w, trial) >= value - 1e-9


def test_ranked_two_nearest_matches_a_sort() -> None:
    rng = np.random.default_rng(3)
    cost = rng.random((30, 12))
    is_open = np.zeros(12, dtype=bool)
    is_open[[1, 4, 9]] = True
    a1, d1, _r1, a2, d2, _r2 = heur.Ranked.of(cost).two_nearest(is_open)
    cols = np.flatnonzero(is_open)
    order = np.argsort(cost[:, cols], axis=1)
    assert (a1 == cols[order[:, 0]]).all() and (a2 == cols[order[:, 1]]).all()
    assert np.allclose(d1, np.sort(cost[:, cols], axis=1)[:, 0])
    assert np.allclose(d2, np.sort(cost[:, cols], axis=1)[:, 1])


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("deflect", [0.0, 1.5])
def test_ranked_lagrangian_bound_stays_below_the_brute_force_optimum(
    seed: int, deflect: float
) -> None:
    import itertools

    cost, w, p, forced, allowed = _case(100 + seed)
    cost = np.where(np.isfinite(cost), cost, 99.0)  # every point reachable
    d = cost.copy()
    m = cost.shape[1]
    values = [
        _total(d, w, np.isin(np.arange(m), s))
        for s in itertools.combinations(range(m), p)
        if allowed[list(s)].all() and set(np.flatnonzero(forced)) <= set(s)
    ]
    best = min(values)
    # The ranking of the full matrix serves a matrix with some pairs cut (inf): the bound of
    # the cut problem may only rise, never above that problem's own optimum.
    cut = cost.copy()
    cut[np.random.default_rng(seed).random(cost.shape) < 0.2] = np.inf
    cut[np.arange(cut.shape[0]), np.argmin(cost, axis=1)] = cost.min(axis=1)
    fd = heur.finite_cost(cut)
    cut_values = [
        _total(fd, w, np.isin(np.arange(m), s))
        for s in itertools.combinations(range(m), p)
        if allowed[list(s)].all() and set(np.flatnonzero(forced)) <= set(s)
    ]
    ranked = heur.Ranked.of(cost)
    for c, opt in ((cost, best), (cut, min(cut_values))):
        lag = heur.lagrangian_bound(
            c, w, p, forced, allowed, upper=opt + 1.0, ranked=ranked, deflect=deflect
        )
        assert lag.bound <= opt + 1e-6
        assert all(s.sum() == p for s in lag.candidates)


@pytest.mark.parametrize("seed", range(10))
def test_reduced_coverage_models_keep_the_brute_force_optimum(seed: int) -> None:
    import itertools

    from geoplan.models import siting

    rng = np.random.default_rng(300 + seed)
    n, m = 14, 8
    cost = rng.integers(0, 6, size=(n, m)).astype(float)  # coarse: equal and nested cover sets
    w = rng.integers(0, 4, size=n).astype(float)
    limit = 2.0
    covers = cost <= limit
    fixed = ["site0"] if seed % 2 else []
    never = ["site7"] if seed % 3 == 0 else []
    allowed = [j for j in range(m) if f"site{j}" not in never]
    opened = [int(s[4:]) for s in fixed]
    coverable = covers[:, allowed].any(axis=1) & (w > 0)
    fewest = min(
        len(s) - len(opened)
        for r in range(m + 1)
        for s in itertools.combinations(allowed, r)
        if set(opened) <= set(s) and (covers[:, list(s)].any(axis=1) >= coverable).all()
    )
    res = siting.set_cover(cost, limit=limit, weights=w, fixed=fixed, never=never)
    assert res.status == "optimal" and res.objective == fewest
    assert (res.assignment["covered"].to_numpy() >= coverable).all()
    for p in (2, 3):
        most = max(
            float(w[covers[:, list(s)].any(axis=1)].sum())
            for s in itertools.combinations(allowed, p)
            if set(opened) <= set(s)
        )
        res = siting.max_coverage(cost, limit=limit, p=p, weights=w, fixed=fixed, never=never)
        assert res.status == "optimal" and res.objective == most


# ------------------------------------------------------------ maximal coverage: search, proof
def _cover_case(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Villages in one or two far-apart clusters (two cover components), sites among them."""
    rng = np.random.default_rng(700 + seed)
    n, m = int(rng.integers(10, 40)), int(rng.integers(5, 11))
    pts = rng.uniform(0, 10, (n, 2))
    sites = rng.uniform(0, 10, (m, 2))
    if seed % 2:  # a second cluster far away: no site covers villages of both
        pts[: n // 2] += 100.0
        sites[: m // 2] += 100.0
    cost = np.round(np.sqrt(((pts[:, None] - sites[None]) ** 2).sum(axis=2)), 1)
    w = rng.integers(0, 30, size=n).astype(float)
    forced, allowed = np.zeros(m, dtype=bool), np.ones(m, dtype=bool)
    if seed % 3 == 1:
        forced[0] = True
    if seed % 4 == 2:
        allowed[m - 1] = False
    p = int(rng.integers(1 + int(forced.sum()), m - 1))
    return cost <= 3.5, w, forced, allowed, p


def _plans(m: int, most: int, forced: np.ndarray, allowed: np.ndarray):
    import itertools

    for r in range(most + 1):
        for s in itertools.combinations(np.flatnonzero(allowed), r):
            plan = np.zeros(m, dtype=bool)
            plan[list(s)] = True
            if (plan >= forced).all():
                yield plan


@pytest.mark.parametrize("seed", range(12))
def test_cover_swap_search_ends_where_no_add_or_swap_gains(seed: int) -> None:
    import scipy.sparse as sp

    from geoplan.models import _max_cover as mc

    covers, w, forced, allowed, p = _cover_case(seed)
    m = covers.shape[1]
    site_cost = np.ones(m) if seed % 2 else np.random.default_rng(seed).integers(1, 4, m) * 1.0
    budget = np.inf if seed % 2 else 4.0
    start = forced.copy()
    grouped = sp.csr_array(covers)
    found = mc.swap_search(
        grouped, w, start, forced, allowed, site_cost=site_cost, budget=budget, max_open=p
    )

    def value(plan: np.ndarray) -> float:
        return float(w[covers[:, plan].any(axis=1)].sum())

    assert (found >= forced).all() and not (found & ~allowed).any() and found.sum() <= p
    assert site_cost[found].sum() <= budget + 1e-9
    assert mc.covered_weight(grouped, w, found) == value(found)
    for k in np.flatnonzero(allowed & ~found):  # no add that fits gains
        plan = found.copy()
        plan[k] = True
        if plan.sum() <= p and site_cost[plan].sum() <= budget + 1e-9:
            assert value(plan) <= value(found)
        for j in np.flatnonzero(found & ~forced):  # no swap that fits gains
            plan = found.copy()
            plan[j], plan[k] = False, True
            if site_cost[plan].sum() <= budget + 1e-9:
                assert value(plan) <= value(found)


@pytest.mark.parametrize("seed", range(12))
def test_cover_lagrangian_bound_and_fixing_keep_every_plan_at_the_cutoff(seed: int) -> None:
    import scipy.sparse as sp

    from geoplan.models import _max_cover as mc

    covers, w, forced, allowed, p = _cover_case(seed)
    m = covers.shape[1]
    # Forced sites' villages are out of the model, as reduce_cover leaves them.
    live = ~covers[:, forced].any(axis=1)
    sub = covers[live] & (allowed & ~forced)[None, :]
    ws = w[live]
    free = allowed & ~forced
    k = p - int(forced.sum())
    values = {
        tuple(plan): float(ws[sub[:, plan].any(axis=1)].sum())
        for plan in _plans(m, k, np.zeros(m, dtype=bool), free)
    }
    best = max(values.values())
    grouped = sp.csr_array(sub)
    lag = mc.lagrangian_bound(grouped, ws, k, free, target=best + 1.0)
    assert lag.bound >= best - 1e-6
    assert lag.plan.sum() == min(k, free.sum()) and not (lag.plan & ~free).any()
    rng = np.random.default_rng(seed)
    for lam in (lag.lam, rng.uniform(0, 1, ws.size) * ws, np.zeros(ws.size), ws):
        bound = mc._dual(sp.csr_array(grouped.T), ws, lam, np.flatnonzero(free), k)[0]
        assert bound >= best - 1e-6
        for cutoff in (best, best - 5.0, best - 20.0):
            closed, opened = mc.lagrangian_fixing(grouped, ws, k, free, lam, cutoff)
            assert not (closed & opened).any() and not ((closed | opened) & ~free).any()
            for plan, v in values.items():
                if v >= cutoff:
                    plan_open = np.asarray(plan)
                    assert not (plan_open & closed).any() and (plan_open >= opened).all()


@pytest.mark.parametrize("seed", range(16))
def test_max_coverage_with_search_and_fixing_matches_brute_force(seed: int) -> None:
    from geoplan.models import siting

    covers, w, forced, allowed, p = _cover_case(seed)
    m = covers.shape[1]
    must = np.zeros(m, dtype=bool)
    if seed % 5 == 3:
        must[1] = True
    cost = np.where(covers, 1.0, 9.0)
    ids = [f"site{j}" for j in range(m)]
    most = max(
        float(w[covers[:, plan].any(axis=1)].sum()) for plan in _plans(m, p, forced | must, allowed)
    )
    res = siting.max_coverage(
        cost,
        limit=1.0,
        p=p,
        weights=w,
        fixed=[ids[j] for j in np.flatnonzero(forced)],
        must=[ids[j] for j in np.flatnonzero(must)],
        never=[ids[j] for j in np.flatnonzero(~allowed)],
    )
    assert res.status == "optimal" and res.objective == most and res.bound == most
    opened = res.sites["open"].to_numpy()
    assert opened.sum() <= p and (opened >= forced | must).all() and not (opened & ~allowed).any()
    assert float(w[covers[:, opened].any(axis=1)].sum()) == most


@pytest.mark.parametrize("seed", range(12))
def test_cover_search_keeps_a_cover_and_never_grows(seed: int) -> None:
    import scipy.sparse as sp

    from geoplan.models import _location as loc
    from geoplan.models import _max_cover as mc

    covers, _w, forced, allowed, _p = _cover_case(seed)
    m = covers.shape[1]
    groups, _gw, dominated, _base = loc.reduce_cover(
        covers, np.ones(covers.shape[0]), forced, allowed, np.ones(m), drop_supersets=True
    )
    free = allowed & ~dominated & ~forced
    start = free.copy()  # every free site: a cover of the groups
    fewest = min(
        int(plan.sum())
        for plan in _plans(m, m, np.zeros(m, dtype=bool), free)
        if groups[:, plan].any(axis=1).all()
    )
    found = mc.cover_search(sp.csr_array(groups), start, free, lower=fewest, steps=2000)
    assert groups[:, found].any(axis=1).all()
    assert not (found & ~free).any() and fewest <= found.sum() <= start.sum()


@pytest.mark.parametrize("seed", range(16))
def test_set_cover_with_search_matches_brute_force(seed: int) -> None:
    from geoplan.models import siting

    covers, w, forced, allowed, _p = _cover_case(seed)
    m = covers.shape[1]
    must = np.zeros(m, dtype=bool)
    if seed % 5 == 3:
        must[1] = True
    ids = [f"site{j}" for j in range(m)]
    need = covers[:, allowed].any(axis=1) & (w > 0)
    fewest = min(
        int((plan & ~forced).sum())
        for plan in _plans(m, m, forced | must, allowed)
        if (covers[:, plan].any(axis=1) >= need).all()
    )
    res = siting.set_cover(
        np.where(covers, 1.0, 9.0),
        limit=1.0,
        weights=w,
        fixed=[ids[j] for j in np.flatnonzero(forced)],
        must=[ids[j] for j in np.flatnonzero(must)],
        never=[ids[j] for j in np.flatnonzero(~allowed)],
    )
    assert res.status == "optimal" and res.objective == fewest and res.bound == fewest
    opened = res.sites["open"].to_numpy()
    assert (opened >= forced | must).all() and not (opened & ~allowed).any()
    assert (covers[:, opened].any(axis=1) >= need).all()


@pytest.mark.parametrize("seed", range(8))
def test_cover_components_split_groups_and_sites_with_no_cover_across(seed: int) -> None:
    from geoplan.models import _max_cover as mc

    covers, _w, _forced, allowed, _p = _cover_case(seed)
    covers = covers[covers[:, allowed].any(axis=1)]
    parts = mc.components(covers, allowed)
    rows = np.concatenate([r for r, _s in parts])
    sites = np.concatenate([s for _r, s in parts])
    assert sorted(rows) == list(range(covers.shape[0]))  # every row in exactly one part
    assert len(set(sites)) == sites.size and allowed[sites].all()
    for r, s in parts:
        others = np.setdiff1d(np.flatnonzero(allowed), s)
        assert not covers[np.ix_(r, others)].any()  # no cover leaves the part
        # within a part, every site covers a row of it, and the part is connected
        assert covers[np.ix_(r, s)].any(axis=0).all()
        reach, frontier = {int(r[0])}, [int(r[0])]
        while frontier:
            i = frontier.pop()
            for j in s[covers[i, s]]:
                for k in r[covers[r, j]]:
                    if int(k) not in reach:
                        reach.add(int(k))
                        frontier.append(int(k))
        assert reach == {int(i) for i in r}
    if seed % 2:  # the two far-apart clusters never share a part
        assert len(parts) >= 2


@pytest.mark.parametrize("seed", range(40))
def test_cover_tree_proves_the_brute_force_optimum_from_an_empty_plan(seed: int) -> None:
    import scipy.sparse as sp

    from geoplan.models._cover_tree import cover_tree

    rng = np.random.default_rng(900 + seed)
    n, m = int(rng.integers(5, 60)), int(rng.integers(3, 13))
    covers = rng.random((n, m)) < rng.uniform(0.05, 0.5)
    whole = seed % 3 != 0
    w = rng.integers(0, 30, n).astype(float) if whole else rng.uniform(0, 5, n)
    allowed = rng.random(m) < 0.85
    covers &= allowed[None, :]
    k = int(rng.integers(1, m))
    most = max(
        float(w[covers[:, plan].any(axis=1)].sum())
        for plan in _plans(m, k, np.zeros(m, dtype=bool), allowed)
    )

    def cutoff(v: float) -> float:
        return v + 1.0 if whole else v + 1e-9 * max(1.0, v)

    groups = sp.csr_array(covers)
    out = cover_tree(groups, w, k, allowed, 0.5 * w, best=np.zeros(m, dtype=bool), cutoff_of=cutoff)
    assert out.finished and out.value == pytest.approx(most) and out.bound == pytest.approx(most)
    assert out.best.sum() <= k and not (out.best & ~allowed).any()
    assert float(w[covers[:, out.best].any(axis=1)].sum()) == pytest.approx(most)
    # Stopped early, the bound still holds every plan.
    stopped = cover_tree(
        groups, w, k, allowed, w.copy(), best=np.zeros(m, dtype=bool), cutoff_of=cutoff,
        time_limit_s=1e-4,
    )  # fmt: skip
    assert stopped.bound >= most - 1e-6 and stopped.value <= most + 1e-6


@pytest.mark.parametrize("seed", range(30))
def test_cover_tree_with_a_swap_polish_proves_the_brute_force_optimum(seed: int) -> None:
    import scipy.sparse as sp

    from geoplan.models import _max_cover as mc
    from geoplan.models._cover_tree import cover_tree

    rng = np.random.default_rng(1900 + seed)
    n, m = int(rng.integers(5, 60)), int(rng.integers(3, 13))
    covers = rng.random((n, m)) < rng.uniform(0.05, 0.5)
    w = rng.integers(0, 30, n).astype(float)
    allowed = rng.random(m) < 0.85
    covers &= allowed[None, :]
    k = int(rng.integers(1, m))
    most = max(
        float(w[covers[:, plan].any(axis=1)].sum())
        for plan in _plans(m, k, np.zeros(m, dtype=bool), allowed)
    )
    groups = sp.csr_array(covers)
    seen: list[np.ndarray] = []

    def polish(plan: np.ndarray) -> np.ndarray:
        seen.append(plan.copy())
        if seed % 5 == 0:  # a search answering a plan of too many / barred sites is ignored
            return np.ones(m, dtype=bool)
        return mc.swap_search(
            groups, w, plan, np.zeros(m, dtype=bool), allowed,
            site_cost=np.ones(m), budget=np.inf, max_open=k,
        )  # fmt: skip

    out = cover_tree(
        groups, w, k, allowed, 0.5 * w, best=np.zeros(m, dtype=bool),
        cutoff_of=lambda v: v + 1.0, polish=polish,
    )  # fmt: skip
    assert out.finished and out.value == pytest.approx(most) and out.bound == pytest.approx(most)
    assert out.best.sum() <= k and not (out.best & ~allowed).any()
    assert float(w[covers[:, out.best].any(axis=1)].sum()) == pytest.approx(most)
    if out.nodes:  # the first node's plan was handed to the search, each distinct plan once
        assert seen and len({p.tobytes() for p in seen}) == len(seen)


def test_cover_tree_keeps_the_plan_its_polish_finds() -> None:
    """Twin sites, each covering every row (k = 1): the tree keeps the twin its search answers."""
    import scipy.sparse as sp

    from geoplan.models._cover_tree import cover_tree

    rng = np.random.default_rng(5)
    m = 6
    covers = rng.random((30, m)) < 0.3
    covers[:, :2] = True
    groups, w = sp.csr_array(covers), rng.integers(1, 9, 30).astype(float)
    allowed = np.ones(m, dtype=bool)

    def tree(polish: object) -> np.ndarray:
        out = cover_tree(
            groups, w, 1, allowed, 0.5 * w, best=np.zeros(m, dtype=bool),
            cutoff_of=lambda v: v + 1.0, polish=polish,  # type: ignore[arg-type]
        )  # fmt: skip
        assert out.finished and out.value == float(w.sum())
        return out.best

    own = tree(None)
    assert own.sum() == 1 and own[:2].any()
    twin = np.zeros(m, dtype=bool)
    twin[1 - int(np.flatnonzero(own)[0])] = True
    assert (tree(lambda plan: twin.copy()) == twin).all()


def test_cover_tree_gives_its_polish_a_share_of_the_time() -> None:
    """A slow search (20 ms a call) takes at most ~its share of a stopped tree's time, and the
    tree still proves a bound that holds every plan."""
    import time

    import scipy.sparse as sp

    from geoplan.models import _cover_tree as ct

    rng = np.random.default_rng(44)
    n, m, k = 300, 40, 6
    covers = rng.random((n, m)) < 0.08
    w = rng.integers(1, 30, n).astype(float)
    groups, allowed = sp.csr_array(covers), np.ones(m, dtype=bool)
    spent: list[float] = []

    def polish(plan: np.ndarray) -> np.ndarray:
        t = time.perf_counter()
        time.sleep(0.02)
        spent.append(time.perf_counter() - t)
        return plan

    t0 = time.perf_counter()
    out = ct.cover_tree(
        groups, w, k, allowed, 0.5 * w, best=np.zeros(m, dtype=bool),
        cutoff_of=lambda v: v + 1.0, time_limit_s=1.0, polish=polish,
    )  # fmt: skip
    took = time.perf_counter() - t0
    assert spent and out.nodes > len(spent)
    assert sum(spent) <= ct._POLISH_SHARE * took + max(spent) + 0.01
    # The bound holds: the greedy-plus-swap plan covers no more than it.
    from geoplan.models import _max_cover as mc

    plan = mc.swap_search(
        groups, w, np.zeros(m, dtype=bool), np.zeros(m, dtype=bool), allowed,
        site_cost=np.ones(m), budget=np.inf, max_open=k,
    )  # fmt: skip
    assert float(w[covers[:, plan].any(axis=1)].sum()) <= out.bound + 1e-6
