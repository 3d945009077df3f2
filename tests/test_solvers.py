"""Tests of the HiGHS interface: known answers and brute force on small random models."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from geoplan.models.solver import MipBuilder, id_matrix, id_vector, relative_gap, solve_milp


def test_knapsack_matches_brute_force() -> None:
    rng = np.random.default_rng(7)
    for _ in range(5):
        value = rng.integers(1, 30, 8)
        weight = rng.integers(1, 20, 8)
        cap = int(weight.sum() // 2)
        best = max(
            int(value @ np.array(bits))
            for bits in itertools.product((0, 1), repeat=8)
            if weight @ np.array(bits) <= cap
        )
        res = solve_milp(
            value,
            sp.csr_array(weight[None, :]),
            [-np.inf],
            [cap],
            lb=0,
            ub=1,
            integrality=np.ones(8),
            sense="max",
            integral_objective=True,
        )
        assert res.status == "optimal"
        assert res.objective == pytest.approx(best)
        assert res.bound == pytest.approx(best)
        assert res.gap == 0.0
        assert res.x is not None and weight @ np.round(res.x) <= cap


def test_lp_known_answer() -> None:
    # max 3x + 2y, x + y <= 4, x + 3y <= 6, x <= 3: optimum x=3, y=1, value 11
    a = np.array([[1.0, 1.0], [1.0, 3.0]])
    res = solve_milp([3, 2], a, [-np.inf, -np.inf], [4, 6], lb=0, ub=[3, np.inf], sense="max")
    assert res.status == "optimal"
    assert res.objective == pytest.approx(11.0)
    assert res.x is not None and np.allclose(res.x, [3.0, 1.0])


def test_infeasible_reports_no_solution() -> None:
    res = solve_milp([1, 1], sp.csr_array([[1.0, 1.0]]), [3], [3], lb=0, ub=1, integrality=[1, 1])
    assert res.status == "infeasible"
    assert res.x is None and math.isnan(res.objective) and res.gap == math.inf


def test_warm_start_is_accepted_and_optimal() -> None:
    value = np.array([5.0, 4.0, 3.0])
    res = solve_milp(
        value,
        sp.csr_array([[2.0, 3.0, 1.0]]),
        [-np.inf],
        [5],
        lb=0,
        ub=1,
        integrality=[1, 1, 1],
        sense="max",
        start=[1, 0, 1],
    )
    assert res.objective == pytest.approx(9.0)


def test_relative_gap() -> None:
    assert relative_gap(100.0, 99.0) == pytest.approx(0.01)
    assert relative_gap(5.0, 5.0) == 0.0
    assert relative_gap(math.nan, 1.0) == math.inf


def test_bad_shapes_raise() -> None:
    with pytest.raises(ValueError, match="columns"):
        solve_milp([1, 2, 3], np.ones((1, 2)), [0], [1])


def test_options_objective_bound_prunes_and_bad_option_raises() -> None:
    # min x1 + 2 x2 with x1 + x2 >= 1 (binary): optimum 1; a cutoff below it leaves nothing.
    a = sp.csr_array([[1.0, 1.0]])
    res = solve_milp(
        [1, 2], a, [1], [np.inf], lb=0, ub=1, integrality=[1, 1], options={"objective_bound": 0.5}
    )
    assert res.x is None or res.objective > 0.5
    ok = solve_milp(
        [1, 2], a, [1], [np.inf], lb=0, ub=1, integrality=[1, 1], options={"objective_bound": 1.5}
    )
    assert ok.status == "optimal" and ok.objective == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no_such_option"):
        solve_milp([1, 2], a, [1], [np.inf], integrality=[1, 1], options={"no_such_option": 1})


def test_builder_blocks_match_brute_force_and_name_their_columns() -> None:
    # pick items (binary) and a continuous slack: max value - 0.5 * slack, weight <= cap + slack
    rng = np.random.default_rng(3)
    value, weight = rng.integers(1, 30, 7), rng.integers(1, 20, 7)
    cap = int(weight.sum() // 3)
    b = MipBuilder("max")
    items = b.add_vars("items", 7, cost=value)
    b.add_rows(np.zeros(7), items, weight, n_rows=1, upper=cap, name="weight")
    mip = b.build()
    assert mip.columns["items"] == slice(0, 7) and mip.rows["weight"] == slice(0, 1)
    best = max(
        int(value @ np.array(bits))
        for bits in itertools.product((0, 1), repeat=7)
        if weight @ np.array(bits) <= cap
    )
    res = mip.solve(integral_objective=True)
    assert res.status == "optimal" and res.objective == pytest.approx(best) and res.gap == 0.0
    # elastic: a slack column on the weight row, each unit over capacity costs 0.5
    elastic = mip.with_columns("over", sp.csc_array([[-1.0]]), cost=-0.5)
    best_el = max(
        float(value @ np.array(bits)) - 0.5 * max(0, int(weight @ np.array(bits)) - cap)
        for bits in itertools.product((0, 1), repeat=7)
    )
    res_el = elastic.solve()
    assert res_el.objective == pytest.approx(best_el)
    assert elastic.values(res_el.x, "over")[0] >= 0
    lp = mip.relaxed().solve()
    assert lp.objective >= best - 1e-9  # the LP bound
    with pytest.raises(ValueError, match="column numbers"):
        b.add_rows([0], [99], [1.0], n_rows=1)


def test_id_vector_aligns_by_id_and_names_strangers() -> None:
    ids = ["a", "b", "c"]
    got = id_vector(pd.Series([3.0, 1.0, 2.0], index=["c", "a", "b"]), ids, name="w", what="point")
    assert got is not None and list(got) == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match=r"(?s)no value for 1 point.*: c.*no point: x"):
        id_vector({"a": 1, "b": 2, "x": 3}, ids, name="w", what="point")
    table = id_matrix(pd.DataFrame([[1.0, np.nan]], index=["v1"], columns=["s1", "s2"]))
    assert table.row_ids == ["v1"] and table.col_ids == ["s1", "s2"]
    assert np.isinf(table.values[0, 1])  # nan read as unreachable
    assert list(table.frame().columns) == ["s1", "s2"]


def test_a_model_without_variables_is_solved_not_an_error() -> None:
    # HiGHS answers a model with no columns with an error; its one solution is the empty one.
    ok = solve_milp(np.zeros(0), sp.csr_array((2, 0)), [-np.inf, 0.0], [1.0, 2.0], offset=3.0)
    assert ok.status == "optimal" and ok.x is not None and ok.x.size == 0
    assert ok.objective == ok.bound == 3.0 and ok.gap == 0.0
    bad = solve_milp(np.zeros(0), sp.csr_array((1, 0)), [1.0], [2.0], integrality=np.zeros(0))
    assert bad.status == "infeasible" and bad.x is None
