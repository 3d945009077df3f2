"""The packaging files agree with each other and with the code's imports; extras say their name."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from geoplan._extras import EXTRAS
from geoplan.data.datasets import demo_scenarios
from geoplan.errors import MissingDependencyError

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

# conda-forge names that differ from PyPI names
CONDA_TO_PYPI = {"pyosmium": "osmium"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _requirements(extra: str | None) -> list[str]:
    """Requirements of the base install (``None``) or of an extra, self-references expanded."""
    own = PROJECT["dependencies"] if extra is None else PROJECT["optional-dependencies"][extra]
    out: list[str] = []
    for req in own:
        if _name(req) == "geoplan":
            inner = re.search(r"\[(.*)\]", req)
            assert inner is not None, req
            for sub in inner.group(1).split(","):
                out += _requirements(sub.strip())
        else:
            out.append(req)
    return out


def _run_and_test_names() -> set[str]:
    return {_name(r) for r in _requirements(None) + _requirements("test")}


def test_environment_yml_lists_the_pyproject_packages() -> None:
    wanted = _run_and_test_names()

    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed: set[str] = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            listed |= {_name(d) for d in dep["pip"] if not d.startswith("-e")}
        else:
            listed.add(CONDA_TO_PYPI.get(_name(dep), _name(dep)))
    listed -= {"python", "pip"}
    assert listed == wanted, (
        f"only in environment.yml: {sorted(listed - wanted)}; "
        f"only in pyproject.toml: {sorted(wanted - listed)}"
    )


def test_constraints_pin_every_dependency() -> None:
    pins = {
        _name(line)
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    needed = _run_and_test_names() | {_name(r) for r in _requirements("bench")}
    assert needed <= pins, f"not pinned in constraints.txt: {sorted(needed - pins)}"


def _imported_top_modules(folder: Path) -> dict[str, str]:
    """Third-party top-level modules imported anywhere under ``folder`` (a file that imports it)."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names = [str(node.args[0].value)]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("geoplan", "__future__"):
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_import_is_declared_and_every_declaration_imported() -> None:
    """geoplan imports exactly what pyproject declares (base install plus extras)."""
    dists = importlib.metadata.packages_distributions()
    imported = _imported_top_modules(ROOT / "geoplan")
    for modules in EXTRAS.values():  # imported by name through geoplan._extras
        imported.update({m: "geoplan/_extras.py" for m in modules})
    as_dists = {module: {_name(d) for d in dists.get(module, [module])} for module in imported}
    declared = {_name(r) for r in _requirements(None)}
    for extra in EXTRAS:
        declared |= {_name(r) for r in _requirements(extra)}
    undeclared = {m: imported[m] for m, ds in as_dists.items() if not ds & declared}
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"
    used = set().union(*as_dists.values())
    assert declared <= used, f"declared but never imported: {sorted(declared - used)}"


def test_extras_in_pyproject_match_the_code() -> None:
    for extra, modules in EXTRAS.items():
        assert {_name(r) for r in _requirements(extra)} == set(modules), extra
    assert {"terrain", "dask"} <= {
        sub.strip()
        for req in PROJECT["optional-dependencies"]["test"]
        if _name(req) == "geoplan"
        for sub in re.search(r"\[(.*)\]", req).group(1).split(",")  # type: ignore[union-attr]
    }, "the test extra must pull in every extra so CI runs their tests"


def test_license_file_and_project_urls() -> None:
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert PROJECT["license"] == "MIT" and "LICENSE" in PROJECT["license-files"]
    assert PROJECT["urls"]


def test_a_missing_terrain_extra_names_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import networkx as nx

    from geoplan.network.terrain import add_node_elevations

    monkeypatch.setitem(sys.modules, "rasterio", None)  # as if not installed
    with pytest.raises(MissingDependencyError, match=r"pip install 'geoplan\[terrain\]'"):
        add_node_elevations(nx.MultiDiGraph(crs="EPSG:32645"), tmp_path / "dem.tif")


def test_a_missing_dask_extra_names_it_before_writing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from geoplan.runs.batch import run_batch

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'geoplan\[dask\]'"):
        run_batch(demo_scenarios(), out=tmp_path / "out", local_cluster=True)
    assert not (tmp_path / "out").exists()
