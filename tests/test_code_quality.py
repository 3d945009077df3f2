"""ruff and mypy (strict) run as part of the test suite, so CI enforces them; and the stages import
only the stages before them (docs/architecture.md)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    found = str(exe) if exe.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; install the test extra: pip install -e '.[test]'")
    return found


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [_tool("ruff"), "check", "geoplan", "tests", "benchmarks", "scripts"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    """The code reads as ``ruff format`` writes it (an unformatted change fails here)."""
    result = subprocess.run(
        [_tool("ruff"), "format", "--check", "geoplan", "tests", "benchmarks", "scripts"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = subprocess.run(
        [_tool("mypy"), "geoplan"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_blanket_type_ignores() -> None:
    offenders = [
        f"{path}:{n}"
        for path in (ROOT / "geoplan").rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "type: ignore" in line and "type: ignore[" not in line
    ]
    assert not offenders, f"blanket '# type: ignore' (name the error code): {offenders}"


STAGES = ("data", "network", "models", "plan", "outputs", "runs", "cli")
"""The stages of docs/architecture.md, in the order the data flows."""


def _geoplan_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every ``geoplan.*`` import in ``source``, function-level ones too,
    and of every ``"geoplan.*"`` string (modules imported by name, forkserver preloads)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith("geoplan.")
            and " " not in node.value
        ):
            found.append((node.lineno, node.value))
    return [(n, m) for n, m in found if m.split(".")[0] == "geoplan"]


def stage_violations(path: Path, source: str) -> list[str]:
    """Imports in ``path`` (a module of stage ``STAGES[i]``) of a later stage."""
    rel = path.relative_to(ROOT / "geoplan").with_suffix("").parts
    if rel[0] not in STAGES:
        return []  # the shared modules at the top import no stage (checked below)
    own = STAGES.index(rel[0])
    out = []
    for line, module in _geoplan_imports(source):
        parts = module.split(".")
        if len(parts) > 1 and parts[1] in STAGES and STAGES.index(parts[1]) > own:
            out.append(f"{'/'.join(rel)}.py:{line} imports {module}")
    return out


def test_each_stage_imports_only_the_stages_before_it() -> None:
    bad = [
        v
        for path in sorted((ROOT / "geoplan").rglob("*.py"))
        if "assets" not in path.parts
        for v in stage_violations(path, path.read_text(encoding="utf-8"))
    ]
    assert bad == [], "a stage imports a later stage (move the shared code up):\n" + "\n".join(bad)
    # the check sees a function-level import and a module named in a string
    late = "def f():\n    from geoplan.runs.batch import pin_threads\n"
    assert stage_violations(ROOT / "geoplan/network/travel.py", late) == [
        "network/travel.py:2 imports geoplan.runs.batch"
    ]
    preload = 'PRELOAD = ["geoplan.outputs.maps"]\n'
    assert stage_violations(ROOT / "geoplan/plan/x.py", preload) == [
        "plan/x.py:1 imports geoplan.outputs.maps"
    ]


def test_shared_modules_import_no_stage() -> None:
    shared = [
        p for p in (ROOT / "geoplan").glob("*.py") if p.stem not in ("__init__", "__main__", "cli")
    ]
    bad = [
        f"{p.name}:{line} imports {module}"
        for p in shared
        for line, module in _geoplan_imports(p.read_text(encoding="utf-8"))
        if len(module.split(".")) > 1 and module.split(".")[1] in STAGES
    ]
    assert bad == [], "a shared top-level module imports a stage:\n" + "\n".join(bad)
