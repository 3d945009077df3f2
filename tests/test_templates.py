"""The Jinja2 templates of the pages: autoescaped, every one packaged, no hand-written escaping."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest
from conftest import HOSTILE_NAME

from geoplan.outputs._templates import render

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "geoplan" / "outputs" / "templates"


def test_values_are_escaped() -> None:
    page = render("index_head.html", text={"book": "Book"}, county=HOSTILE_NAME, mark="")
    assert HOSTILE_NAME not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    with pytest.raises(Exception, match="undefined"):  # a missing value is an error, not blank
        render("index_head.html", text={"book": "Book"}, mark="")


def test_every_template_used_exists_and_is_package_data() -> None:
    used = set()
    for path in (ROOT / "geoplan").rglob("*.py"):
        used |= set(re.findall(r'render\(\s*"([\w.]+\.html)"', path.read_text(encoding="utf-8")))
    assert {"comparison.html", "profile_head.html", "profile_body.html", "index_head.html",
            "index_body.html"} <= used  # fmt: skip
    found = {p.name for p in TEMPLATES.glob("*.html")}
    assert used <= found
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = data["tool"]["setuptools"]["package-data"]["geoplan"]
    for name in found:
        assert any(fnmatch.fnmatch(f"outputs/templates/{name}", g) for g in globs), name


def test_the_templated_pages_escape_nothing_by_hand() -> None:
    compare = (ROOT / "geoplan" / "runs" / "compare.py").read_text(encoding="utf-8")
    assert "escape(" not in compare
    profiles = (ROOT / "geoplan" / "outputs" / "profiles.py").read_text(encoding="utf-8")
    # what is left is handed to folium: its page title and the tooltips in its JavaScript
    for line in (ln for ln in profiles.splitlines() if "escape(" in ln):
        assert "root.title" in line or "tips" in line, line
