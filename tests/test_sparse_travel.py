"""Sparse travel matrices (under a cut-off) and the multi-process search (issue 27).

Oracle: the dense matrix of the same inputs. Each check computes both forms (or one and two
processes) and compares every value, so it is independent of what either form holds; the
models, evaluation and writers are run on both forms of one matrix and their results compared.
Graph: a seeded rural network of ``tests/rural_roads.py`` (a cut-off road, one-way and private
roads, villages off-road), with one village and one school at the same junction (a 0-minute
journey, which the sparse form must keep as a stored 0, not drop as absent).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from rural_roads import CRS, rural_network
from shapely import Point

from geoplan.errors import ArgumentError
from geoplan.models.districts import solve_districts
from geoplan.models.phasing import phase_sites
from geoplan.models.siting import max_coverage, p_median, set_cover
from geoplan.network.modes import CAR, PUPIL_WALK
from geoplan.network.travel import (
    TravelMatrix,
    memory_budget_mb,
    network_for,
    search_workers,
    travel_matrix,
    write_matrix,
)
from geoplan.plan.evaluate import assign_pupils


@pytest.fixture(scope="module", autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory):
    """Keep the caches of this module in a temporary folder."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GEOPLAN_CACHE_DIR", str(tmp_path_factory.mktemp("geoplan-cache")))
        yield


@pytest.fixture(scope="module")
def county():
    graph, villages, schools = rural_network(5, n_villages=160, n_schools=90)
    hub = max(graph.nodes, key=graph.degree)  # a junction of the main network
    at_hub = [Point(graph.nodes[hub]["x"], graph.nodes[hub]["y"])]
    villages = pd.concat(
        [villages, gpd.GeoDataFrame(geometry=at_hub, index=pd.Index(["v_hub"]), crs=CRS)]
    )
    schools = pd.concat(
        [schools, gpd.GeoDataFrame(geometry=at_hub, index=pd.Index(["s_hub"]), crs=CRS)]
    )
    villages.index.name = schools.index.name = "id"
    rng = np.random.default_rng(27)
    villages["pupils_g1_3"] = rng.integers(0, 40, len(villages))
    villages["pupils_g4_6"] = rng.integers(0, 40, len(villages))
    villages["pupils_g7_9"] = rng.integers(0, 30, len(villages))
    return graph, villages, schools


def both(county, mode, cutoff, **kw) -> tuple[TravelMatrix, TravelMatrix]:
    graph, villages, schools = county
    args = {"mode": mode, "cutoff_min": cutoff, "use_cache": False, "workers": 1, **kw}
    dense = travel_matrix(graph, villages, schools, storage="dense", **args)
    sparse = travel_matrix(graph, villages, schools, storage="sparse", **args)
    return dense, sparse


def same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a, b)  # inf == inf; any 0 vs inf difference fails


@pytest.mark.parametrize(("mode", "cutoff"), [(PUPIL_WALK, 45.0), (CAR, 20.0), (PUPIL_WALK, None)])
def test_sparse_holds_the_dense_values_and_only_the_reachable_pairs(county, mode, cutoff) -> None:
    dense, sparse = both(county, mode, cutoff)
    assert not dense.is_sparse and sparse.is_sparse
    same(dense.minutes, sparse.minutes_array())
    same(dense.metres, sparse.metres_array())
    finite = np.isfinite(dense.minutes)
    assert 0 < finite.sum() < finite.size  # some pairs cut off or unreachable
    assert sparse.minutes.nnz == sparse.metres.nnz == int(finite.sum()) == sparse.pairs
    assert np.isfinite(sparse.minutes.data).all()
    # the village at the school's junction keeps its 0-minute journey as a stored value
    i, j = list(dense.origin_ids).index("v_hub"), list(dense.destination_ids).index("s_hub")
    assert dense.minutes[i, j] == 0.0
    row = sparse.minutes.getrow(i)
    assert j in set(row.indices.tolist()) and row.data[list(row.indices).index(j)] == 0.0
    # conversions both ways give the same arrays
    same(dense.to_sparse().minutes.toarray(), sparse.minutes.toarray())
    same(sparse.to_dense().minutes, dense.minutes)
    pd.testing.assert_frame_equal(dense.minutes_frame(), sparse.minutes_frame())
    pd.testing.assert_frame_equal(dense.to_long(), sparse.to_long())
    pd.testing.assert_frame_equal(dense.nearest(3), sparse.nearest(3))
    pd.testing.assert_frame_equal(dense.unreachable(), sparse.unreachable())


def test_writers_write_the_same_files(county, tmp_path: Path) -> None:
    dense, sparse = both(county, PUPIL_WALK, 45.0)
    for name, wide in (("long.csv", False), ("wide.csv", True), ("wide.xlsx", True)):
        a = write_matrix(dense, tmp_path / "dense" / name, wide=wide)
        b = write_matrix(sparse, tmp_path / "sparse" / name, wide=wide)
        if name.endswith(".csv"):
            assert a.read_bytes() == b.read_bytes()
        else:
            for sheet in ("time_min", "distance_m"):
                pd.testing.assert_frame_equal(
                    pd.read_excel(a, sheet_name=sheet, engine="openpyxl"),
                    pd.read_excel(b, sheet_name=sheet, engine="openpyxl"),
                )


def test_storage_auto_follows_the_memory_budget(county, monkeypatch) -> None:
    graph, villages, schools = county
    args = {"mode": PUPIL_WALK, "use_cache": False, "workers": 1}
    monkeypatch.delenv("GEOPLAN_MEMORY_MB", raising=False)
    assert memory_budget_mb() > 100  # a quarter of this machine's memory
    assert not travel_matrix(graph, villages, schools, cutoff_min=45.0, **args).is_sparse
    monkeypatch.setenv("GEOPLAN_MEMORY_MB", "0.01")  # 10 kB: the dense form is over it
    assert travel_matrix(graph, villages, schools, cutoff_min=45.0, **args).is_sparse
    assert not travel_matrix(graph, villages, schools, **args).is_sparse  # no cut-off: dense
    assert not travel_matrix(
        graph, villages, schools, cutoff_min=45.0, storage="dense", **args
    ).is_sparse
    monkeypatch.setenv("GEOPLAN_MEMORY_MB", "lots")
    with pytest.raises(ArgumentError, match="GEOPLAN_MEMORY_MB"):
        memory_budget_mb()
    with pytest.raises(ArgumentError, match="storage"):
        travel_matrix(graph, villages, schools, storage="packed", **args)


def test_cache_holds_the_sparse_form_and_serves_both(county, tmp_path: Path) -> None:
    graph, villages, schools = county
    args = {"mode": PUPIL_WALK, "cutoff_min": 45.0, "cache_dir": tmp_path, "workers": 1}
    dense = travel_matrix(graph, villages, schools, storage="dense", **args)
    (cache_file,) = tmp_path.glob("travel_*.npz")
    with np.load(cache_file) as data:
        assert {"indptr", "indices", "minutes", "metres", "shape"} <= set(data.files)
        assert len(data["minutes"]) == int(np.isfinite(dense.minutes).sum())
    again = travel_matrix(graph, villages, schools, storage="sparse", **args)
    assert again.is_sparse and len(list(tmp_path.glob("travel_*.npz"))) == 1
    same(again.minutes_array(), dense.minutes)
    same(again.metres_array(), dense.metres)
    same(travel_matrix(graph, villages, schools, storage="dense", **args).minutes, dense.minutes)


def test_models_give_identical_results_on_both_forms(county) -> None:
    _, villages, _ = county
    dense, sparse = both(county, PUPIL_WALK, 60.0)
    # the p-median needs every demand point to reach a site: those off the network are left out
    on = list(dense.origin_ids[np.isfinite(dense.minutes).any(axis=1)])
    w = villages["pupils_g1_3"].loc[on]
    kw = {"weights": w, "demand_ids": on, "time_limit_s": 30}
    full = both(county, PUPIL_WALK, None)  # the p-median wants every point to reach p sites
    runs = {
        "p_median exact": (full, lambda m: p_median(m, p=8, **kw)),
        "p_median heuristic": (full, lambda m: p_median(m, p=8, method="heuristic", **kw)),
        "max_coverage": ((dense, sparse), lambda m: max_coverage(m, limit=30.0, p=6, **kw)),
        "set_cover": ((dense, sparse), lambda m: set_cover(m, limit=45.0, **kw)),
    }
    for name, (pair, run) in runs.items():
        a, b = run(pair[0]), run(pair[1])
        assert a.status == b.status, name
        assert a.objective == b.objective and a.bound == b.bound, name
        pd.testing.assert_frame_equal(a.sites, b.sites, obj=name)
        pd.testing.assert_frame_equal(a.assignment, b.assignment, obj=name)


def test_phasing_evaluation_and_districts_on_both_forms(county) -> None:
    _, villages, schools = county
    dense, sparse = both(county, PUPIL_WALK, 60.0)
    ids = list(schools.index)
    table = pd.DataFrame(
        {"kind": "central_primary", "status": "open", "boarding_beds": 50},
        index=pd.Index(ids[:5], name="id"),
    )
    sites = pd.DataFrame(
        {
            "name": ids[5:25],
            "restore_cost_yuan": 100_000.0,
            "min_pupils": 5,
            "decision": "free",
        },
        index=pd.Index(ids[5:25], name="id"),
    )
    young = pd.DataFrame(
        {t: villages["pupils_g1_3"].astype(float) for t in range(3)}, index=villages.index
    )
    phased = [
        phase_sites(young, m.minutes_frame(), table, sites, sites_per_phase=[2, 2, 1])
        for m in (dense, sparse)
    ]
    pd.testing.assert_series_equal(phased[0].phase, phased[1].phase)
    assert phased[0].pupil_years == phased[1].pupil_years and phased[0].pupil_years > 0
    everything = pd.concat([table, sites.assign(kind="teaching_point", status="closed")])
    got = [
        assign_pupils(villages, {"g1_3": m, "g4_6": m, "g7_9": m}, everything, trip_minutes=m)
        for m in (dense, sparse)
    ]
    pd.testing.assert_frame_equal(got[0], got[1])
    # districts: the array core takes a TravelMatrix directly (rows and columns in order)
    reach = np.isfinite(dense.minutes)
    cols = np.sort(np.argsort(-reach.sum(axis=0), kind="stable")[:4])
    rows = np.flatnonzero(reach[:, cols].any(axis=1))[:40]
    small = TravelMatrix(
        origin_ids=dense.origin_ids[rows],
        destination_ids=dense.destination_ids[cols],
        metres=dense.metres[np.ix_(rows, cols)],
        minutes=dense.minutes[np.ix_(rows, cols)],
        mode=dense.mode,
        origins_label="blocks",
        destinations_label="schools",
        origin_access=dense.origin_access.iloc[rows],
        destination_access=dense.destination_access.iloc[cols],
        cutoff_min=dense.cutoff_min,
        travel_mode=dense.travel_mode,
    )
    assert len(rows) >= 8
    demand = np.full((len(rows), 1), 10.0)
    capacity = np.full((len(cols), 1), 10.0 * len(rows))
    adjacency = np.ones((len(rows), len(rows)), dtype=bool)
    home = np.argmin(small.minutes, axis=0)
    assert np.isfinite(small.minutes[home, np.arange(4)]).all()
    sol = [
        solve_districts(demand, m, capacity, adjacency, home, method="heuristic")
        for m in (small, small.to_sparse())
    ]
    assert np.array_equal(sol[0].assignment, sol[1].assignment)
    assert sol[0].objective == sol[1].objective


def test_two_processes_give_the_same_matrix_as_one(county, monkeypatch) -> None:
    graph, villages, schools = county
    net = network_for(graph, CAR, crs=villages.crs)
    args = {"mode": CAR, "use_cache": False}
    one = travel_matrix(net, villages, schools, workers=1, **args)
    two = travel_matrix(net, villages, schools, workers=2, **args)
    same(one.minutes, two.minutes)
    same(one.metres, two.metres)
    cut = [
        travel_matrix(net, villages, schools, cutoff_min=25.0, storage="sparse", workers=k, **args)
        for k in (1, 2)
    ]
    same(cut[0].minutes_array(), cut[1].minutes_array())
    same(cut[0].metres_array(), cut[1].metres_array())
    monkeypatch.setenv("GEOPLAN_WORKERS", "3")
    assert search_workers() == 3 and search_workers(2) == 2
    monkeypatch.delenv("GEOPLAN_WORKERS")
    assert search_workers() >= 1
    for bad in (0, 1.5, True):
        with pytest.raises(ArgumentError, match="workers"):
            travel_matrix(net, villages, schools, workers=bad, **args)  # type: ignore[arg-type]
