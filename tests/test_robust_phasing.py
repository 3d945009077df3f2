"""Restoration phasing over seasons (worst, regret, expected) against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_restoration import LIMIT, _brute_value, _random_case

from geoplan.models.phasing import phase_sites


def _feasible(young, minutes, sites, caps):
    """Every phasing within the caps whose free sites reach their minimum (on ``minutes``)."""
    sids = list(sites.index)
    m = minutes.loc[young.index]
    opens = {}
    for s in sids:
        switch = ((m[s] <= LIMIT) & (m[s] < m["C"])).to_numpy()
        opens[s] = [young.iloc[switch, t].sum() >= sites.loc[s, "min_pupils"] for t in range(3)]
    for choice in itertools.product(range(len(caps) + 1), repeat=len(sids)):
        ph = dict(zip(sids, choice, strict=True))
        if any(p and not opens[s][p - 1] for s, p in ph.items()):
            continue
        if any(sum(1 for p in ph.values() if p == t) > caps[t - 1] for t in range(1, 4)):
            continue
        yield ph


@pytest.mark.parametrize("robust", ["worst", "regret", "expected"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_seasonal_phasing_matches_brute_force(robust: str, seed: int) -> None:
    young, summer, schools, sites = _random_case(seed, n_sites=5)
    rng = np.random.default_rng(100 + seed)
    winter = summer * rng.uniform(1.0, 1.8, summer.shape)  # slower walking
    winter.iloc[:, 1:] = winter.iloc[:, 1:].mask(rng.random((len(winter), 5)) < 0.3, np.inf)
    seasons = {"summer": summer, "winter": winter}
    months = {"summer": 6.0, "winter": 3.0}
    caps = [2, 1, 1]
    plans = list(_feasible(young, summer, sites, caps))
    vals = np.array([[_brute_value(ph, young, m) for m in seasons.values()] for ph in plans])
    share = np.array([6.0, 3.0]) / 9.0
    if robust == "worst":
        scores, best = vals.min(axis=1), vals.min(axis=1).max()
    elif robust == "expected":
        scores, best = vals @ share, (vals @ share).max()
    else:
        scores = (vals.max(axis=0) - vals).max(axis=1)
        best = scores.min()
    res = phase_sites(
        young, summer, schools, sites, sites_per_phase=caps, mip_rel_gap=0.0,
        season_minutes=seasons, robust=robust, months=months,
    )  # fmt: skip
    assert res.pupil_years == pytest.approx(best, abs=1e-6)
    got = {s: int(v) for s, v in res.phase.items()}
    k = next(i for i, ph in enumerate(plans) if ph == got)
    assert scores[k] == pytest.approx(best, abs=1e-6)
    assert list(res.season_pupil_years.values()) == pytest.approx(list(vals[k]))
    assert res.robust == robust and res.gap <= 1e-3  # the cost tie-breaker's slack
    if robust == "regret":
        assert list(res.season_optimum.values()) == pytest.approx(list(vals.max(axis=0)))
