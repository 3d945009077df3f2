"""Modes of the same roads share their road searches, and nothing else is shared.

The school bus and the car have the same roads and speeds; the walking modes search one graph of
metres when minutes follow length. The memo (``geoplan.network._search_memo``) must give each
mode exactly the matrix it gets searching alone, checked against searching alone and against the
exact journeys on the unsimplified graph (``rural_roads.exact_matrix``), and must not hand a
search to a mode whose roads, joins or limit differ (a closure, other destinations).
"""

from __future__ import annotations

import numpy as np
import pytest
from rural_roads import exact_matrix, rural_network

from geoplan.network._search_memo import SEARCHES
from geoplan.network.modes import CAR, CHILD_WALK, PUPIL_WALK, SCHOOL_BUS, Closure
from geoplan.network.travel import travel_matrix

MODES = (CHILD_WALK, PUPIL_WALK, SCHOOL_BUS, CAR)


@pytest.fixture(scope="module")
def rural():
    return rural_network(3, n_villages=60, n_schools=6)


def _alone(g, villages, schools, mode, **kw):
    SEARCHES.clear()
    try:
        return travel_matrix(g, villages, schools, mode=mode, use_cache=False, **kw)
    finally:
        SEARCHES.clear()


def test_modes_in_a_row_get_what_each_gets_alone(rural) -> None:
    g, villages, schools = rural
    SEARCHES.clear()
    hits = SEARCHES.hits
    shared = {m.name: travel_matrix(g, villages, schools, mode=m, use_cache=False) for m in MODES}
    reused = SEARCHES.hits - hits
    assert reused >= 2  # the car took the school bus's searches (minutes and metres)
    for m in MODES:
        alone = _alone(g, villages, schools, m)
        np.testing.assert_array_equal(shared[m.name].minutes, alone.minutes)
        np.testing.assert_array_equal(shared[m.name].metres, alone.metres)
    exact = exact_matrix(g, CAR, villages, schools, weight="minutes")
    got = shared["car"].minutes.astype(float)
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(exact))
    ok = np.isfinite(exact)
    assert ok.mean() > 0.5
    assert np.allclose(got[ok], exact[ok], rtol=5e-3, atol=0.2)


def test_a_closure_or_other_destinations_search_afresh(rural) -> None:
    g, villages, schools = rural
    SEARCHES.clear()
    travel_matrix(g, villages, schools, mode=SCHOOL_BUS, use_cache=False)
    way = next(d["osmid"] for _, _, d in g.edges(data=True) if d.get("highway") != "track")
    hits = SEARCHES.hits
    shut = travel_matrix(
        g, villages, schools, mode=CAR, closures=[Closure("x", way_ids=(way,))], use_cache=False
    )
    fewer = travel_matrix(g, villages, schools.iloc[:4], mode=CAR, use_cache=False)
    assert SEARCHES.hits == hits
    for got, kw, dest in ((shut, {"closures": [Closure("x", way_ids=(way,))]}, schools),
                          (fewer, {}, schools.iloc[:4])):  # fmt: skip
        alone = _alone(g, villages, dest, CAR, **kw)
        np.testing.assert_array_equal(got.minutes, alone.minutes)
        np.testing.assert_array_equal(got.metres, alone.metres)
    SEARCHES.clear()


def test_kept_searches_are_read_only_and_few(rural) -> None:
    g, villages, schools = rural
    SEARCHES.clear()
    for m in MODES:
        travel_matrix(g, villages, schools, mode=m, use_cache=False)
    kept = list(SEARCHES._kept.values())
    assert 0 < len(kept) <= SEARCHES.keep
    assert not any(a.flags.writeable for a in kept)
    with pytest.raises(ValueError, match="read-only"):
        kept[0][0, 0] = 0.0
    SEARCHES.clear()
