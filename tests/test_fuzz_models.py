"""Seeded fuzz of the models the first fuzz (``test_siting.py``) left out, and its finds.

Areas: the heuristic paths and ``fill_fixed`` of the siting models, the robust (seasonal)
models, phasing, districts on small block maps, and dense against sparse ``TravelMatrix``
input. Oracles are independent of the library: brute force over every plan (or every phasing,
every assignment of blocks) of tiny cases, written here from the models' definitions; and the
dense matrix of the same data for the sparse form. Checked each time: the plan is feasible, the
reported value is its own value, a bound is on the right side of the brute-force optimum,
"optimal" only at that optimum, and the inputs are left as they were.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoplan.errors import InfeasibleError
from geoplan.models.districts import solve_districts
from geoplan.models.phasing import phase_sites


# ------------------------------------------------------------------ regressions (fuzz finds)
def test_phasing_with_no_site_to_restore_restores_none() -> None:
    # Found by the fuzz: with no site allowed to open (`never`, or none reaching its minimum
    # enrolment) and no village a site would bring within the limit, the MIP has no columns;
    # HiGHS answers an empty model with an error, and phase_sites raised "the phasing model has
    # no solution" although restoring nothing is a plan (0 pupil-years, proven).
    young = pd.DataFrame({0: [8.0], 1: [3.0]}, index=["v0"])
    minutes = pd.DataFrame({"c0": [20.0], "t0": [10.0]}, index=["v0"])
    schools = pd.DataFrame({"kind": ["primary"], "status": ["open"]}, index=["c0"])
    sites = pd.DataFrame(
        {"restore_cost_yuan": [1.0], "min_pupils": [1], "decision": ["never"]}, index=["t0"]
    )
    for method in ("mip", "greedy"):
        res = phase_sites(young, minutes, schools, sites, sites_per_phase=[1, 1], method=method)
        assert res.phase.to_dict() == {"t0": 0}
        assert res.pupil_years == 0.0 and res.bound == 0.0


def test_phasing_places_must_sites_where_first_fit_does_not() -> None:
    # Found by the fuzz: must sites t0 (cost 1) and t1 (cost 3), one site and budget 4 in phase
    # 1, budget 2 in phase 2. The greedy placed each must site in its first phase with room (t0
    # in phase 1, then none left for t1) and raised "must site fits in no phase", with the MIP
    # too (the greedy is its start); t1 in phase 1 and t0 in phase 2 fit.
    young = pd.DataFrame({0: [5.0], 1: [5.0]}, index=["v0"])
    minutes = pd.DataFrame({"c0": [40.0], "t0": [10.0], "t1": [20.0]}, index=["v0"])
    schools = pd.DataFrame({"kind": ["primary"], "status": ["open"]}, index=["c0"])
    sites = pd.DataFrame(
        {"restore_cost_yuan": [1.0, 3.0], "decision": ["must", "must"]}, index=["t0", "t1"]
    )
    for method in ("mip", "greedy"):
        res = phase_sites(
            young, minutes, schools, sites, sites_per_phase=[1, 2], budget_per_phase=[4, 2],
            method=method,
        )  # fmt: skip
        assert res.phase.to_dict() == {"t0": 2, "t1": 1}
        assert res.pupil_years == 10.0


@pytest.mark.parametrize("far", [9.0, np.inf])
def test_districts_keep_the_journey_limits_of_a_community_with_a_schools_block(far) -> None:
    # Found by the district fuzz: blocks 1 and 2 are one community and block 2 holds school 1,
    # so the community goes to school 1; block 1 is 9 minutes from it (over the 7-minute limit)
    # or cannot reach it at all. The forcing to the school's own district let the pair in
    # anyway: a plan over the limit, or an unreachable journey counted as 0 minutes.
    demand = np.array([[1.0], [2.0], [1.0]])
    cost = np.array([[0.0, 5.0], [1.0, far], [5.0, 0.0]])
    adjacency = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=bool)
    limit = 7.0 if np.isfinite(far) else None
    for method in ("exact", "heuristic"):
        with pytest.raises(InfeasibleError):
            solve_districts(
                demand, cost, np.full((2, 1), 10.0), adjacency, [0, 2], groups=[None, "G", "G"],
                max_journey_min=limit, method=method,
            )  # fmt: skip
