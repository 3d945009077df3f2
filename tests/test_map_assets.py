"""The map assets geoplan vendors cover every page it draws, exactly, and match their checksums.

Every kind of map (overview, every plan map in both languages, a school's profile map, the
profile index) is rendered and inlined with a resolver that records each address the page and
its stylesheets ask for: each must be a vendored file (or dropped on purpose, with a reason), and
every vendored file must be asked for by some map. After a folium upgrade this test names the new
addresses and the command that vendors them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import folium
import pytest
from conftest import build_tiny_area
from test_plan_maps import KINDS, build

from geoplan.errors import MapAssetError
from geoplan.outputs import _offline, maps, profiles
from geoplan.plan.pipeline import PlanResult

ROOT = Path(__file__).resolve().parents[1]


def _every_page(result: PlanResult) -> dict[str, str]:
    """The rendered (not yet inlined) HTML of every kind of map geoplan draws."""
    pages: dict[str, object] = {}
    for lang in ("en", "zh"):
        pages[f"overview_{lang}"] = maps.overview_map(build_tiny_area(), lang=lang)
        for kind in KINDS:
            pages[f"{kind}_{lang}"] = build(kind, result, lang)
        pages[f"profile_{lang}"] = profiles.profile_map(result, "S1", lang=lang)
    out = {}
    for name, m in pages.items():
        root = m.get_root() if isinstance(m, folium.Map) else m._parent  # DualMap: its Figure
        out[name] = root.render()
    return out


def _asked_for(result: PlanResult) -> dict[str, set[str]]:
    """Every asset address each page asks for (scripts, stylesheets and what they refer to)."""
    asked: dict[str, set[str]] = {}
    for name, html in _every_page(result).items():
        seen: set[str] = set()

        def record(url: str, seen: set[str] = seen) -> bytes | str | None:
            seen.add(url.split("?", 1)[0].split("#", 1)[0])
            return _offline.package_resolver(url)

        try:
            _offline.inline_assets(html, resolver=record)
        except MapAssetError as err:
            pytest.fail(
                f"{name}: {err}\nVendor it: python scripts/vendor_map_assets.py --add <url>"
            )
        asked[name] = seen
    return asked


def test_every_asset_url_of_every_map_is_vendored_and_every_vendored_file_used(
    hostile_plan: PlanResult,
) -> None:
    asked = _asked_for(hostile_plan)
    vendored = set(_offline.vendored_assets())
    used = set().union(*asked.values())
    missing = sorted(used - vendored - set(_offline.DROPPED_ASSETS))
    assert not missing, f"not vendored: {missing}; run scripts/vendor_map_assets.py --add URL"
    unused = sorted(vendored - used)
    assert not unused, f"vendored but no map uses: {unused}; scripts/vendor_map_assets.py --remove"
    assert any("leaflet" in u and u.endswith(".js") for u in asked["overview_en"])
    assert len(asked["before_after_en"]) > len(asked["journeys_en"])  # Leaflet.Sync


def test_vendored_files_match_their_checksums_and_licences_are_listed() -> None:
    manifest = json.loads(_offline.MANIFEST.read_text(encoding="utf-8"))
    licences = (_offline.ASSETS_DIR / "LICENSES.md").read_text(encoding="utf-8")
    files = {p for p in _offline.ASSETS_DIR.rglob("*") if p.is_file()}
    listed = set()
    for asset in manifest["assets"]:
        path = _offline.ASSETS_DIR / asset["file"]
        listed.add(path)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == asset["sha256"], path
        assert asset["project"] in licences and asset["licence"] in licences, asset["url"]
    extra = files - listed - {_offline.MANIFEST, _offline.ASSETS_DIR / "LICENSES.md"}
    assert not extra, f"files under assets/ no manifest entry lists: {sorted(extra)}"
    assert manifest["folium"] == folium.__version__, (
        "folium was upgraded: check the maps' assets with scripts/vendor_map_assets.py"
    )


def test_a_changed_asset_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = next(iter(_offline.vendored_assets()))
    asset = _offline.vendored_assets()[url]
    copy = tmp_path / "assets"
    (copy / asset.file).parent.mkdir(parents=True)
    (copy / asset.file).write_bytes((_offline.ASSETS_DIR / asset.file).read_bytes() + b" ")
    monkeypatch.setattr(_offline, "ASSETS_DIR", copy)
    _offline._asset_content.cache_clear()
    try:
        with pytest.raises(MapAssetError, match="SHA-256"):
            _offline.package_resolver(url)
    finally:
        _offline._asset_content.cache_clear()


def test_geoplan_no_longer_needs_folium_offline() -> None:
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "geoplan").rglob("*.py"))
    assert "offlinefolium" not in sources
