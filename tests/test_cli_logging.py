"""The command line's log: geoplan's own INFO lines, other libraries' only with -v."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TINY = Path(__file__).parent / "data" / "scenarios" / "tiny_status_quo.yaml"


def _run(tmp_path: Path, *flags: str) -> str:
    env = {**os.environ, "GEOPLAN_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "geoplan", *flags, "run", str(TINY), "--out", str(tmp_path)],
        capture_output=True, text=True, env=env, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stderr


@pytest.mark.slow
def test_third_party_info_is_off_by_default_and_on_with_verbose(tmp_path: Path) -> None:
    quiet = _run(tmp_path / "quiet")
    assert "INFO geoplan.runs.runner" in quiet
    others = [line for line in quiet.splitlines() if " geoplan" not in line.split(":")[0]]
    assert not [line for line in others if line.startswith(("INFO", "DEBUG"))], quiet
    assert "pyogrio" not in quiet  # "Created N records" once per layer written
    verbose = _run(tmp_path / "verbose", "-v")
    assert "DEBUG geoplan" in verbose and "INFO pyogrio" in verbose
    assert "DEBUG matplotlib" not in verbose and "DEBUG fontTools" not in verbose
