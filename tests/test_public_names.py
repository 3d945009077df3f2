"""One public address per name: every public module declares ``__all__`` and lists each name once.

A public name is one listed in an ``__all__``. The walk below fails on a public module without a
non-empty ``__all__``, a public-looking name (no leading ``_``, defined in the module) left out of
it, a listed name the module lacks, and an object listed by two leaf modules. Packages'
``__init__`` may re-export names of their own leaves.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import inspect
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "make_api_docs", ROOT / "scripts" / "make_api_docs.py"
)
assert _spec is not None and _spec.loader is not None
make_api_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_api_docs)

SCALARS = (int, float, str, bool, bytes, type(None))


def _leaf_modules() -> list[ModuleType]:
    out = []
    for name in make_api_docs.public_modules():
        module = importlib.import_module(name)
        if Path(module.__file__ or "").name != "__init__.py":
            out.append(module)
    return out


def _defined_names(module: ModuleType) -> set[str]:
    tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_")}


def test_every_public_module_lists_its_public_names() -> None:
    problems = []
    for module in _leaf_modules():
        exported = getattr(module, "__all__", None)
        if not exported:
            problems.append(f"{module.__name__}: no non-empty __all__")
            continue
        if len(set(exported)) != len(exported):
            problems.append(f"{module.__name__}: __all__ lists a name twice")
        for name in sorted(_defined_names(module) - set(exported)):
            problems.append(f"{module.__name__}.{name}: public-looking but not in __all__")
        for name in exported:
            if not hasattr(module, name):
                problems.append(f"{module.__name__}: __all__ names {name!r}, which it lacks")
    assert not problems, "\n".join(problems)


def test_no_object_has_two_leaf_addresses() -> None:
    seen: dict[int, str] = {}
    problems = []
    for module in _leaf_modules():
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if isinstance(obj, SCALARS):
                continue  # equal small values may be the same object by interning
            where = f"{module.__name__}.{name}"
            if id(obj) in seen:
                problems.append(f"{where} is {seen[id(obj)]}")
            seen.setdefault(id(obj), where)
    assert not problems, "\n".join(problems)


def test_listed_objects_are_defined_where_listed() -> None:
    """A listed function or class is defined in the module that lists it (no re-export shims)."""
    problems = []
    for module in _leaf_modules():
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if (
                inspect.isfunction(obj) or inspect.isclass(obj)
            ) and obj.__module__ != module.__name__:
                problems.append(f"{module.__name__}.{name} is defined in {obj.__module__}")
    assert not problems, "\n".join(problems)


def test_package_reexports_come_from_their_own_leaves() -> None:
    problems = []
    for name in make_api_docs.public_modules():
        package = importlib.import_module(name)
        if Path(package.__file__ or "").name != "__init__.py":
            continue
        for item in getattr(package, "__all__", []):
            obj = getattr(package, item)
            home = getattr(obj, "__module__", "")
            if not home.startswith("geoplan"):
                problems.append(f"{name}.{item} comes from outside geoplan ({home})")
    assert not problems, "\n".join(problems)


def test_api_doc_is_current() -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert text == make_api_docs.api_markdown(), "run: python scripts/make_api_docs.py"


BUILTIN_EXCEPTIONS = {
    name
    for name, obj in vars(builtins).items()
    if isinstance(obj, type) and issubclass(obj, BaseException)
}


def test_every_raise_uses_the_error_tree() -> None:
    """No ``raise ValueError(...)`` in the package: errors come from :mod:`geoplan.errors`."""
    problems = []
    for path in sorted((ROOT / "geoplan").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else ""
                if name in BUILTIN_EXCEPTIONS:
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno} raises {name}")
    assert not problems, "\n".join(problems)
