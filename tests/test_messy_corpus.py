"""The messy-but-valid corpus: every office-style file reads back to the clean demo's layers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from geoplan.data.area import LAYERS
from geoplan.data.datasets import demo_folder
from geoplan.data.readers import read_layers, read_planning_area

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "make_messy_corpus", ROOT / "scripts" / "make_messy_corpus.py"
)
assert _spec is not None and _spec.loader is not None
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folders: dict[str, Path] = corpus.make_corpus(tmp_path_factory.mktemp("messy"))
    return folders


@pytest.fixture(scope="module")
def clean() -> dict[str, pd.DataFrame]:
    area = read_planning_area(demo_folder())
    return {name: area.layer(name) for name in LAYERS}


def test_every_case_is_written(folders: dict[str, Path]) -> None:
    assert set(folders) == set(corpus.CASES)
    for folder in folders.values():
        own = [p for p in folder.iterdir() if p.suffix != ".gpkg" and p.name != "columns.yaml"]
        assert own, folder


@pytest.mark.parametrize("case", corpus.CASES)
def test_case_validates_with_notes_only_and_equals_the_demo(
    case: str, folders: dict[str, Path], clean: dict[str, pd.DataFrame]
) -> None:
    folder = folders[case]
    _, problems, _ = read_layers(folder)
    loud = [str(p) for p in problems if p.severity != "note"]
    assert not loud, "\n".join(loud)
    assert any(p.severity == "note" for p in problems)
    area = read_planning_area(folder)
    assert area.warnings == ()
    for name in LAYERS:
        got, want = area.layer(name).sort_index(), clean[name].sort_index()
        assert list(got.index) == list(want.index), name
        columns = [c.name for c in LAYERS[name]]
        pd.testing.assert_frame_equal(
            pd.DataFrame(got[columns]), pd.DataFrame(want[columns]), check_exact=True
        )
        assert got.geometry.geom_equals_exact(want.geometry, tolerance=1e-3).all(), name
