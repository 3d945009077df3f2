"""Every file and folder a run writes gets the mode the umask asks for (not mkstemp's 0600).

Colleagues on a shared server open each other's maps: under umask 022 a run's files must be
group- and world-readable (0644) and its folders listable (0755); under umask 077 private.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from geoplan.atomic import atomic_path, current_umask, file_mode, folder_mode, write_atomic
from geoplan.runs.batch import run_batch

TINY = Path(__file__).parent / "data" / "scenarios"


@pytest.fixture(params=[0o022, 0o077], ids=["umask022", "umask077"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    out = {}
    for path in [root, *root.rglob("*")]:
        out[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return out


def test_the_umask_is_read_without_changing_it(umask: int) -> None:
    assert current_umask() == umask
    assert os.umask(umask) == umask  # still what the fixture set
    assert file_mode() == 0o666 & ~umask and folder_mode() == 0o777 & ~umask


def test_temporary_files_follow_the_umask(umask: int, tmp_path: Path) -> None:
    with atomic_path(tmp_path / "table.xlsx") as tmp:
        tmp.write_bytes(b"x")
        assert stat.S_IMODE(tmp.stat().st_mode) == 0o666 & ~umask
    dest = write_atomic(tmp_path / "page.html", "<p>ok</p>")
    assert stat.S_IMODE(dest.stat().st_mode) == 0o666 & ~umask


@pytest.mark.slow
def test_a_batch_run_writes_files_and_folders_by_the_umask(umask: int, tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "with_maps.yaml").write_text(
        f"base: {TINY / 'tiny_restore.yaml'}\n"
        "description: The tiny county with its maps and school pages.\n"
        "outputs: {maps: true}\n",
        encoding="utf-8",
    )
    (folder / "status_quo.yaml").write_text(
        f"base: {TINY / 'tiny_status_quo.yaml'}\n", encoding="utf-8"
    )
    out = tmp_path / "outputs"
    result = run_batch(folder, out=out, workers=1, progress=False)
    assert (result.status["status"] == "ok").all(), result.status
    modes = _modes(out)
    assert any(name.endswith(".html") for name in modes)  # maps were written
    assert any(name.endswith(".gpkg") for name in modes)
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != ((0o777 if (out / name).is_dir() else 0o666) & ~umask)
    }
    assert not wrong, f"under umask {umask:03o}: {wrong}"
