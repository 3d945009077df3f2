"""Tests of geoplan.outputs._offline: every asset inlined, unknown assets refused loudly."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import folium
import pytest
from folium import plugins

from geoplan.atomic import write_atomic
from geoplan.errors import MapAssetError
from geoplan.outputs._offline import inline_assets, inline_css
from geoplan.outputs.maps import new_map

# An http(s) address in a place a browser fetches from: src=, href= or CSS url(.
FETCHED_URL = re.compile(r"(?:\bsrc\s*=|\bhref\s*=|url\()\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE)
# Leaflet's attribution prefix is a link, not a fetch.
ATTRIBUTION = '<a href="https://leafletjs.com"'


def fetched_urls(page: str) -> list[str]:
    """Contexts of every external address a browser would fetch, attribution links excepted."""
    found = []
    for match in FETCHED_URL.finditer(page):
        context = page[max(0, match.start() - 5) : match.end() + 40]
        if ATTRIBUTION in page[match.start() - 3 : match.end() + 30]:
            continue
        found.append(context)
    return found


def plugin_map() -> folium.Map:
    """A geoplan map (its pruned folium defaults) with the plugins geoplan's maps use."""
    m = new_map((86.3, 42.2, 86.6, 42.5))
    plugins.Fullscreen().add_to(m)
    plugins.MeasureControl().add_to(m)
    fg = folium.FeatureGroup(name="points").add_to(m)
    folium.Marker([42.3, 86.4], icon=folium.Icon(icon="school", prefix="fa")).add_to(fg)
    folium.Marker([42.4, 86.5]).add_to(fg)
    plugins.Search(layer=fg, search_label="name").add_to(m)
    folium.LayerControl().add_to(m)
    return m


def test_raw_folium_page_has_external_assets() -> None:
    """Guard: the check below is meaningful only if folium itself links to CDNs."""
    page = plugin_map().get_root().render()
    assert len(fetched_urls(page)) > 5


def test_inlined_page_has_no_external_reference() -> None:
    page = inline_assets(plugin_map().get_root().render())
    assert fetched_urls(page) == []
    assert "<script src" not in page.lower()
    assert 'rel="stylesheet"' not in page.lower()
    # the leaflet and font awesome code really is there
    assert "L.Map" in page or "leaflet" in page.lower()
    assert "Font Awesome 6 Free" in page
    assert "data:font/woff2;base64," in page


def test_unknown_script_raises_naming_url() -> None:
    m = new_map((86.3, 42.2, 86.6, 42.5))
    url = "https://cdn.example.org/unknown-plugin.js"
    m.get_root().header.add_child(folium.JavascriptLink(url), name="unknown")
    with pytest.raises(MapAssetError, match=re.escape(url)) as err:
        inline_assets(m.get_root().render())
    assert "Fix:" in str(err.value)


def test_unknown_stylesheet_raises() -> None:
    m = new_map((86.3, 42.2, 86.6, 42.5))
    url = "https://cdn.example.org/unknown.css"
    m.get_root().header.add_child(folium.CssLink(url), name="unknown_css")
    with pytest.raises(MapAssetError, match=re.escape(url)):
        inline_assets(m.get_root().render())


def test_unknown_image_and_css_url_raise() -> None:
    with pytest.raises(MapAssetError, match=re.escape("cdn.example.org/pic.png")):
        inline_assets('<html><body><img src="https://cdn.example.org/pic.png"></body></html>')
    with pytest.raises(MapAssetError, match=re.escape("icons/a.png")):
        inline_css(".x{background:url(icons/a.png)}", base_url="https://cdn.example.org/lib/x.css")


def test_css_url_resolved_relative_to_stylesheet() -> None:
    seen = []

    def resolver(url: str) -> bytes | None:
        seen.append(url)
        return b"\x89PNG fake" if url == "https://cdn.example.org/lib/img/a.png" else None

    css = inline_css(
        ".x{background:url('../img/a.png') no-repeat}",
        base_url="https://cdn.example.org/lib/css/x.css",
        resolver=resolver,
    )
    assert seen == ["https://cdn.example.org/lib/img/a.png"]
    data = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", css)
    assert data is not None
    assert base64.b64decode(data.group(1)) == b"\x89PNG fake"
    assert "no-repeat" in css


def test_font_face_without_any_source_is_dropped() -> None:
    css = (
        "@font-face{font-family:'X';src:url(../webfonts/fa-brands-400.woff2) format('woff2'),"
        "url(../webfonts/fa-brands-400.ttf) format('truetype')}.keep{color:red}"
    )
    out = inline_css(
        css,
        base_url="https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css",
        resolver=lambda _url: None,
    )
    assert "@font-face" not in out
    assert ".keep{color:red}" in out


def test_data_and_fragment_urls_left_alone() -> None:
    css = ".a{background:url(data:image/png;base64,AAAA)}.b{behavior:url(#default#VML)}"
    assert inline_css(css, base_url="https://x.org/a.css", resolver=lambda _u: None) == css


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    dest = tmp_path / "sub" / "map.html"
    write_atomic(dest, "one")
    write_atomic(dest, "二")
    assert dest.read_text(encoding="utf-8") == "二"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["map.html"]
