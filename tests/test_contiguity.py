"""Tests of geoplan.models._contiguity: adjacency on real maps (digitising gaps, streets, corners,
multi-part blocks), checked against hand-worked cases, a loop implementation and the clean map."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from geoplan.models._contiguity import (
    dissolved_pieces,
    pairs_adjacency,
    rook_adjacency,
    shared_frontage,
)

CRS = "EPSG:32645"
ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "make_rough_towns", ROOT / "scripts" / "make_rough_towns.py"
)
assert _spec is not None and _spec.loader is not None
rough = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rough)


def series(polys):
    return gpd.GeoSeries(polys, crs=CRS)


def pairs(adj):
    rows, cols = adj.nonzero()
    return {(int(a), int(b)) for a, b in zip(rows, cols, strict=True) if a < b}


def exact_pairs(geoms, min_shared_m=10.0):
    """Pairs whose boundaries coincide over ``min_shared_m`` (pairwise loop, exact geometry)."""
    out = set()
    for a, b in itertools.combinations(range(len(geoms)), 2):
        if geoms[a].distance(geoms[b]) > 0:
            continue
        if geoms[a].boundary.intersection(geoms[b].boundary).length >= min_shared_m:
            out.add((a, b))
    return out


def test_hand_worked_edges_corners_and_slivers():
    polys = [
        shapely.box(0, 0, 100, 100),
        shapely.box(100, 0, 200, 100),  # shares 100 m with 0
        shapely.box(200, 100, 300, 200),  # touches 1 only at a corner
        shapely.box(100, -100, 112, 0),  # shares 12 m with 1, a corner with 0
        shapely.box(-100, 96, 0, 200),  # shares 4 m with 0: below the 10 m frontage
    ]
    adj = rook_adjacency(series(polys))
    assert pairs(adj) == {(0, 1), (1, 3)}
    assert (adj.toarray() == adj.toarray().T).all()
    table = shared_frontage(series(polys)).set_index(["a", "b"])
    assert table.loc[(0, 1), "shared_m"] == pytest.approx(100.0)
    assert table.loc[(1, 3), "shared_m"] == pytest.approx(12.0)


def test_corner_touches_never_count_even_with_a_street_tolerance():
    grid = [
        shapely.box(x * 100, y * 100, (x + 1) * 100, (y + 1) * 100)
        for y in range(3)
        for x in range(3)
    ]
    clean = exact_pairs(grid)
    assert len(clean) == 12
    for gap in (0.0, 2.0):
        assert pairs(rook_adjacency(series(grid), gap_tolerance_m=gap)) == clean
    streets = [g.buffer(-10, join_style="mitre") for g in grid]  # 20 m streets, 28 m diagonals
    assert pairs(rook_adjacency(series(streets), gap_tolerance_m=30)) == clean
    # Two blocks meeting only at a corner, alone: still no neighbours.
    lone = series([shapely.box(0, 0, 100, 100), shapely.box(100, 100, 200, 200)])
    assert pairs(rook_adjacency(lone)) == set()
    lone_streets = series([shapely.box(0, 0, 90, 90), shapely.box(110, 110, 200, 200)])
    assert pairs(rook_adjacency(lone_streets, gap_tolerance_m=30)) == set()


def test_street_width_against_the_tolerance():
    def two(gap):
        return series([shapely.box(0, 0, 100, 100), shapely.box(100 + gap, 0, 200 + gap, 100)])

    assert pairs(rook_adjacency(two(20.0))) == set()  # a street: not touching by default
    assert pairs(rook_adjacency(two(20.0), gap_tolerance_m=30)) == {(0, 1)}
    assert pairs(rook_adjacency(two(60.0), gap_tolerance_m=30)) == set()  # 60 m apart
    assert pairs(rook_adjacency(two(1.5))) == {(0, 1)}  # a digitising gap
    front = shared_frontage(two(20.0), gap_tolerance_m=30)
    # Facing 100 m of street, plus what lies within the tolerance round the corners.
    assert 100.0 <= front["shared_m"].iloc[0] <= 100.0 + 2 * np.sqrt(30**2 - 20**2) + 5


def test_multi_part_block_is_one_unit():
    left, right = shapely.box(0, 0, 100, 100), shapely.box(300, 0, 400, 100)
    two_parts = shapely.MultiPolygon(
        [shapely.box(100, 0, 200, 100), shapely.box(200.5, 0, 300, 100)]
    )
    adj = rook_adjacency(series([left, two_parts, right]))
    assert pairs(adj) == {(0, 1), (1, 2)}


def test_clean_voronoi_matches_the_loop_implementation():
    rng = np.random.default_rng(3)
    box = shapely.box(0, 0, 1000, 1000)
    cells = shapely.voronoi_polygons(
        shapely.multipoints(rng.uniform(0, 1000, (60, 2))), extend_to=box
    )
    geoms = [shapely.intersection(c, box) for c in cells.geoms]
    for min_shared in (1.0, 10.0, 40.0):
        got = pairs(rook_adjacency(series(geoms), min_shared_m=min_shared))
        assert got == exact_pairs(geoms, min_shared)


def test_pairs_adjacency_is_symmetric_boolean():
    adj = pairs_adjacency(np.array([0, 1, 1]), np.array([1, 0, 2]), 4)
    assert pairs(adj) == {(0, 1), (1, 2)}
    assert adj.dtype == bool and (adj.toarray() == adj.toarray().T).all()


@pytest.fixture(scope="module")
def demo_blocks():
    from geoplan.data.datasets import demo_county

    return demo_county().blocks


def test_demo_town_perturbed_edges_give_the_clean_adjacency(demo_blocks):
    clean = rook_adjacency(demo_blocks)
    assert pairs(clean) == exact_pairs(list(demo_blocks.geometry))
    rough_town = rough.perturbed_blocks(demo_blocks)
    geoms = list(rough_town.geometry)
    assert rough_town.is_valid.all()
    # The edges now cross: no boundary coincides any more, and every pair of neighbours overlaps.
    assert exact_pairs(geoms, 1.0) == set()
    assert all(geoms[a].intersection(geoms[b]).area > 0 for a, b in pairs(clean))
    shift = [demo_blocks.geometry.iloc[i].hausdorff_distance(geoms[i]) for i in range(len(geoms))]
    assert max(shift) <= 0.5 + 1e-9
    assert pairs(rook_adjacency(rough_town)) == pairs(clean)


def test_demo_street_blocks_give_the_clean_adjacency(demo_blocks):
    streets = rough.street_blocks(demo_blocks)
    gaps = shared_frontage(streets, gap_tolerance_m=30)
    assert gaps["gap_m"].min() == pytest.approx(20.0, abs=1e-6)
    assert pairs(rook_adjacency(streets)) == set()  # exact-edge rules find no neighbour
    assert pairs(rook_adjacency(streets, gap_tolerance_m=30)) == pairs(rook_adjacency(demo_blocks))


def test_dissolved_pieces_counts_necks_on_clean_maps():
    a, b = shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)
    c = shapely.box(20, 10, 30, 20)
    assert dissolved_pieces(series([a, b])) == 1
    assert dissolved_pieces(series([b, c])) == 2
    assert dissolved_pieces(series([])) == 0
    assert nx.number_connected_components(nx.Graph([(0, 1)])) == 1
