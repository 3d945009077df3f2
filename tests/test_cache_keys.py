"""Cache keys follow the code that made the cache (issue 17's debt: hand-kept versions only).

A cached graph or travel matrix made by older code must not be served to newer code (issue 25
found boarders' trips of 287 instead of 342 minutes from a stale graph cache). The keys include
a digest of the source of the modules each cache depends on; these tests change a module's text
and a cache's code digest and watch the key change.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely import Point

from geoplan.network import modes, roads, terrain, travel
from geoplan.network.modes import MODES

HERE = Path(__file__).parent / "data" / "scenarios" / "tiny_county"


def test_the_code_digest_changes_with_the_source_and_only_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    source = tmp_path / "cache_keys_probe.py"
    source.write_text("def speed():\n    return 30\n", encoding="utf-8")
    roads._code_digest.cache_clear()
    first = roads._code_digest(("cache_keys_probe",))
    roads._code_digest.cache_clear()
    assert roads._code_digest(("cache_keys_probe",)) == first  # same text, same digest
    source.write_text("def speed():\n    return 40\n", encoding="utf-8")
    roads._code_digest.cache_clear()
    assert roads._code_digest(("cache_keys_probe",)) != first
    roads._code_digest.cache_clear()
    sys.modules.pop("cache_keys_probe", None)


def test_the_functions_each_cache_depends_on_live_in_its_listed_modules() -> None:
    graph_code = [roads.load_graph, roads._load_graph]
    matrix_code = [
        travel.travel_matrix,
        travel._search,
        modes.mode_network,
        modes.snap_points,
        modes.ModeNetwork,
        terrain.walking_minutes,
    ]
    for obj in graph_code:
        assert inspect.getmodule(obj).__name__ in roads.GRAPH_CODE, obj  # type: ignore[union-attr]
    for obj in matrix_code:
        assert inspect.getmodule(obj).__name__ in travel.MATRIX_CODE, obj  # type: ignore[union-attr]
    for name in (*roads.GRAPH_CODE, *travel.MATRIX_CODE):
        assert importlib.util.find_spec(name) is not None, name


def test_the_graph_key_changes_with_the_loader_code(monkeypatch: pytest.MonkeyPatch) -> None:
    def key() -> str:
        return roads._graph_cache_key(
            [HERE / "roads.graphml"],
            local_roads=None,
            road_class_column="highway",
            to_crs="EPSG:32645",
            join_tolerance_m=5.0,
        )

    today = key()
    assert key() == today
    monkeypatch.setattr(roads, "_code_digest", lambda modules: "edited loader")
    assert key() != today


def test_the_matrix_key_changes_with_the_search_code(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = roads.load_graph(HERE / "roads.graphml", use_cache=False)
    net = travel.network_for(graph, MODES["car"])
    x, y = (graph.nodes[next(iter(graph.nodes))][k] for k in ("x", "y"))
    points = gpd.GeoDataFrame(index=["A"], geometry=[Point(x, y)], crs=graph.graph["crs"])

    def key() -> str:
        return travel._cache_key(net, points, points, (), "60|2000")

    today = key()
    assert key() == today
    monkeypatch.setattr(roads, "_code_digest", lambda modules: "edited search")
    assert key() != today


LIBRARIES = ("osmnx", "networkx", "shapely", "pyproj", "numpy", "scipy")


def _cached_files(folder: Path) -> dict[str, int]:
    """How many graph, network and travel-matrix cache files ``folder`` holds."""
    return {kind: len(list(folder.glob(f"{kind}_*"))) for kind in ("graph", "network", "travel")}


def _run_through_the_caches(folder: Path) -> None:
    graph = roads.load_graph(HERE / "roads.graphml", to_crs="EPSG:32645", cache_dir=folder)
    x, y = (graph.nodes[next(iter(graph.nodes))][k] for k in ("x", "y"))
    points = gpd.GeoDataFrame(index=["A", "B"], geometry=[Point(x, y)] * 2, crs="EPSG:32645")
    travel.travel_matrix(graph, points, points, mode="car", cache_dir=folder, workers=1)


@pytest.mark.parametrize("library", [*LIBRARIES, "PROJ"])
def test_upgrading_a_library_invalidates_every_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, library: str
) -> None:
    """A graph, network or matrix cached under one library version is not served under another.

    The versions are reported by the installed distributions' metadata (and PROJ's by pyproj);
    those sources are changed here, never the caches, and each cache must be made anew.
    """
    import importlib.metadata

    import pyproj

    _run_through_the_caches(tmp_path)
    assert _cached_files(tmp_path) == {"graph": 1, "network": 1, "travel": 1}
    _run_through_the_caches(tmp_path)  # same versions: every cache is served, none added
    assert _cached_files(tmp_path) == {"graph": 1, "network": 1, "travel": 1}
    if library == "PROJ":
        monkeypatch.setattr(pyproj, "proj_version_str", pyproj.proj_version_str + ".1")
    else:
        real = importlib.metadata.version

        def upgraded(name: str) -> str:
            return real(name) + ".post1" if name == library else real(name)

        monkeypatch.setattr(importlib.metadata, "version", upgraded)
    _run_through_the_caches(tmp_path)
    assert _cached_files(tmp_path) == {"graph": 2, "network": 2, "travel": 2}
