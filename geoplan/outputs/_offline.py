"""Make a rendered folium page a single self-contained HTML file.

Every external ``<script src>``, ``<link rel="stylesheet" href>`` and CSS ``url()`` is replaced by
content geoplan ships: ``geoplan/outputs/assets/`` holds the exact scripts, stylesheets and fonts
of Leaflet, jQuery, Bootstrap, Font Awesome and the folium plugins its maps use, one file per CDN
address, each listed in ``manifest.json`` with its SHA-256 (checked before use), project and
licence (``LICENSES.md``); ``scripts/vendor_map_assets.py`` refreshes them after a folium upgrade.
Images and fonts referenced from a stylesheet become ``data:`` URIs. A few sub-resources that
geoplan's maps never show are dropped on purpose (:data:`DROPPED_ASSETS`, each with its reason).
Any other address raises :class:`~geoplan.errors.MapAssetError`, naming it and the fix.

Tile layers (``L.tileLayer("https://...")``) are not assets: a map drawn on a tiled basemap needs
the network by the user's choice, and its URL template is left alone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import mimetypes
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

from geoplan.errors import MapAssetError

logger = logging.getLogger(__name__)

Resolver = Callable[[str], "bytes | str | None"]
"""Returns the content of an absolute asset URL, or ``None`` when it cannot."""

_FA_FONTS = "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/webfonts/"

DROPPED_ASSETS: Mapping[str, str] = {
    _FA_FONTS + "fa-brands-400.woff2": (
        "Font Awesome brand icons; geoplan draws solid icons only (the solid font is inlined)"
    ),
    _FA_FONTS + "fa-brands-400.ttf": ("Font Awesome brand icons; geoplan draws solid icons only"),
    _FA_FONTS + "fa-regular-400.woff2": (
        "Font Awesome regular (outline) icons; geoplan draws solid icons only"
    ),
    _FA_FONTS + "fa-regular-400.ttf": (
        "Font Awesome regular (outline) icons; geoplan draws solid icons only"
    ),
    _FA_FONTS + "fa-solid-900.ttf": (
        "TrueType fallback of the solid font, whose woff2 form is inlined"
    ),
    _FA_FONTS + "fa-v4compatibility.woff2": (
        "Font Awesome 4 compatibility glyphs; geoplan uses Font Awesome 6 names"
    ),
    _FA_FONTS + "fa-v4compatibility.ttf": (
        "Font Awesome 4 compatibility glyphs; geoplan uses Font Awesome 6 names"
    ),
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/fonts/glyphicons-halflings-regular.eot": (
        "Internet Explorer font format; the woff and ttf forms are inlined"
    ),
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/fonts/glyphicons-halflings-regular.svg": (
        "SVG font format no current browser reads; the woff and ttf forms are inlined"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/images/loader.gif": (
        "spinner of remote (online) searches; local searches never show it"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/images/toggle.svg": (
        "minimap toggle button; a minimap needs tiles, which offline maps do not have"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/images/toggle.png": (
        "minimap toggle button; a minimap needs tiles, which offline maps do not have"
    ),
}
"""Sub-resources removed on purpose instead of inlined, with the reason."""

DROPPED_FONT_FAMILIES: Mapping[str, str] = {
    "Font Awesome 5 Free": "Font Awesome 5 alias of the solid font; geoplan uses Font Awesome 6",
    "Font Awesome 5 Brands": "Font Awesome 5 brand icons; geoplan draws solid icons only",
    "FontAwesome": "Font Awesome 4 alias of the solid font; geoplan uses Font Awesome 6 names",
}
"""``@font-face`` families removed from stylesheets (each a second copy of an inlined font)."""

_FONT_FAMILY = re.compile(r"font-family\s*:\s*[\"']?(?P<family>[^;\"'}]+)", re.IGNORECASE)

_TRANSPARENT_PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)

_SCRIPT_SRC = re.compile(
    r"<script\b([^>]*?)\bsrc\s*=\s*(?P<q>[\"']?)(?P<url>[^\"'\s>]+)(?P=q)([^>]*)>\s*</script\s*>",
    re.IGNORECASE,
)
_LINK_HREF = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_HREF = re.compile(r"\bhref\s*=\s*(?P<q>[\"']?)(?P<url>[^\"'\s>]+)(?P=q)", re.IGNORECASE)
_STYLE_BLOCK = re.compile(r"(<style\b[^>]*>)(.*?)(</style\s*>)", re.IGNORECASE | re.DOTALL)
_CSS_URL = re.compile(
    r"url\(\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^)\"'\s]*))\s*\)"
    r"(?P<fmt>\s*format\([^)]*\))?",
    re.IGNORECASE,
)
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}", re.IGNORECASE)
_IMPORT = re.compile(r"@import\b", re.IGNORECASE)
_FETCHING_TAG = re.compile(
    r"<(?P<tag>img|iframe|source|video|audio|embed|object|input|script|link)\b[^>]*?"
    r"\b(?:src|href|data|poster)\s*=\s*[\"']?(?P<url>(?:https?:)?//[^\"'\s>]+)",
    re.IGNORECASE,
)
_LEAFLET_ICON = re.compile(
    r"\.leaflet-default-icon-path\s*\{[^}]*?url\(\s*[\"']?(data:[^\"')]+)", re.IGNORECASE
)


ASSETS_DIR = Path(__file__).with_name("assets")
"""Folder of the vendored map assets: one file per CDN address, listed in ``manifest.json``."""

MANIFEST = ASSETS_DIR / "manifest.json"
"""``{"folium": version, "assets": [{"url", "file", "sha256", "project", "licence"}, ...]}``."""

_TEXT_SUFFIXES = (".js", ".css")


@dataclass(frozen=True)
class VendoredAsset:
    """One vendored file: the CDN address folium's pages load it from, and its checksum.

    Parameters
    ----------
    url
        The address in the rendered page (``https://cdn.jsdelivr.net/npm/leaflet@1.9.3/...``).
    file
        Path inside :data:`ASSETS_DIR`.
    sha256
        Hex SHA-256 of the file's bytes; checked before the file is used.
    project, licence
        Who made it and under which licence (listed in ``assets/LICENSES.md``).
    """

    url: str
    file: str
    sha256: str
    project: str
    licence: str


@lru_cache(maxsize=1)
def vendored_assets() -> Mapping[str, VendoredAsset]:
    """Every vendored asset by its URL (read from :data:`MANIFEST`)."""
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return {a["url"]: VendoredAsset(**a) for a in data["assets"]}


@cache
def _asset_content(url: str) -> bytes | str:
    asset = vendored_assets()[url]
    path = ASSETS_DIR / asset.file
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != asset.sha256:
        msg = (
            f"The vendored map asset {path} (for {url}) has SHA-256 {digest}, not the "
            f"{asset.sha256} its manifest records: the file was changed or damaged. Fix: reinstall "
            "geoplan, or refresh the assets with scripts/vendor_map_assets.py."
        )
        raise MapAssetError(msg)
    return raw.decode("utf-8") if path.suffix in _TEXT_SUFFIXES else raw


def package_resolver(url: str) -> bytes | str | None:
    """Content of ``url`` from the map assets vendored in geoplan, or ``None``.

    Parameters
    ----------
    url
        An absolute ``http(s)`` URL (a CDN address of a script, stylesheet, font or image).

    Returns
    -------
    bytes | str | None
        The content (text for scripts and stylesheets), or ``None`` when geoplan does not
        ship it.

    Raises
    ------
    MapAssetError
        When a vendored file does not match its SHA-256.
    """
    assets = vendored_assets()
    if url.startswith("//"):
        url = "https:" + url
    for candidate in (url, url.replace("http://", "https://", 1)):
        if candidate in assets:
            return _asset_content(candidate)
    return None


def _fix_hint(url: str) -> str:
    return (
        f"Fix: do not use the folium element or plugin that loads {url}, or vendor it "
        f"(python scripts/vendor_map_assets.py --add {url}), or list it in "
        "geoplan.outputs._offline.DROPPED_ASSETS with a reason if maps never need it."
    )


def _to_data_uri(url: str, content: bytes | str) -> str:
    mime = mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream"
    if urlsplit(url).path.endswith(".woff2"):
        mime = "font/woff2"
    elif urlsplit(url).path.endswith(".woff"):
        mime = "font/woff"
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def _strip_query(url: str) -> str:
    url = urldefrag(url)[0]
    return url.split("?", 1)[0]


def inline_css(css: str, *, base_url: str, resolver: Resolver = package_resolver) -> str:
    """Replace every ``url()`` of a stylesheet by a ``data:`` URI.

    Parameters
    ----------
    css
        The stylesheet text.
    base_url
        Address the stylesheet came from, to resolve relative references (``""`` for a
        stylesheet written in the page itself).
    resolver
        Gives the content of an absolute URL.

    Returns
    -------
    str
        The stylesheet with no external reference left.

    Raises
    ------
    MapAssetError
        For a reference geoplan does not vendor and :data:`DROPPED_ASSETS` does not list.
    """
    if _IMPORT.search(css):
        msg = f"The stylesheet from {base_url or 'the page'} uses @import, which cannot be inlined."
        raise MapAssetError(msg + " " + _fix_hint(base_url or "@import"))

    def replace(match: re.Match[str], *, in_font_face: bool) -> str:
        ref = match.group("dq") if match.group("dq") is not None else match.group("sq")
        if ref is None:
            ref = match.group("bare") or ""
        fmt = match.group("fmt") or ""
        if ref.startswith(("data:", "#", "%23")) or ref == "":
            return match.group(0)
        absolute = urljoin(base_url, ref) if base_url else ref
        if not absolute.startswith(("http://", "https://", "//")):
            msg = (
                f"The stylesheet from {base_url or 'the page'} refers to {ref!r}, which is not a "
                "web address and cannot be inlined."
            )
            raise MapAssetError(msg + " " + _fix_hint(ref))
        content = resolver(absolute)
        if content is None:
            content = resolver(_strip_query(absolute))
        if content is not None:
            return f'url("{_to_data_uri(_strip_query(absolute), content)}"){fmt}'
        key = _strip_query(absolute)
        if key in DROPPED_ASSETS:
            logger.debug("dropped %s: %s", key, DROPPED_ASSETS[key])
            return "" if in_font_face else "none"
        msg = (
            f"Cannot inline {absolute} (referenced as {ref!r} by the stylesheet from "
            f"{base_url or 'the page'}): geoplan does not vendor it."
        )
        raise MapAssetError(msg + " " + _fix_hint(absolute))

    def font_face(match: re.Match[str]) -> str:
        family = _FONT_FAMILY.search(match.group(0))
        if family is not None and family.group("family").strip() in DROPPED_FONT_FAMILIES:
            return ""
        block = _CSS_URL.sub(lambda m: replace(m, in_font_face=True), match.group(0))
        # tidy the source lists after dropped entries
        block = re.sub(r",(\s*,)+", ",", block)
        block = re.sub(r"(src\s*:)\s*,", r"\1", block)
        block = re.sub(r",\s*(?=[;}])", "", block)
        block = re.sub(r"src\s*:\s*(;|(?=\}))", "", block)
        if "url(" not in block:
            return ""
        return block

    css = _FONT_FACE.sub(font_face, css)
    return _CSS_URL.sub(lambda m: replace(m, in_font_face=False), css)


def _icon_fix_script(leaflet_css: str) -> str:
    """Script making Leaflet's default marker use the inlined image, not a guessed file path."""
    found = _LEAFLET_ICON.search(leaflet_css)
    if found is None:
        return ""
    icon = found.group(1)
    return (
        "<script>L.Icon.Default.imagePath='';L.Icon.Default.mergeOptions("
        f'{{iconUrl:"{icon}",iconRetinaUrl:"{icon}",shadowUrl:"{_TRANSPARENT_PNG}"}});</script>'
    )


def inline_assets(html: str, *, resolver: Resolver = package_resolver) -> str:
    """Inline every external script, stylesheet, font and image of an HTML page.

    Parameters
    ----------
    html
        A rendered page (``folium.Map.get_root().render()``).
    resolver
        Gives the content of an absolute URL (default: the assets geoplan vendors).

    Returns
    -------
    str
        The page with no external asset reference left.

    Raises
    ------
    MapAssetError
        Naming the first address geoplan does not vendor, and the fix.
    """
    leaflet_css_seen: list[str] = []

    def script(match: re.Match[str]) -> str:
        url = match.group("url")
        content = resolver(url)
        if content is None:
            msg = f"Cannot inline the script {url}: geoplan does not vendor it."
            raise MapAssetError(msg + " " + _fix_hint(url))
        text = content.decode("utf-8") if isinstance(content, bytes) else content
        text = re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)
        return f"<script>{text}</script>"

    def link(match: re.Match[str]) -> str:
        tag = match.group(0)
        href = _HREF.search(tag)
        if href is None:
            return tag
        url = href.group("url")
        if not url.startswith(("http://", "https://", "//")):
            return tag
        rel = re.search(r"\brel\s*=\s*[\"']?([^\"'\s>]+)", tag, re.IGNORECASE)
        if rel is None or rel.group(1).lower() != "stylesheet":
            msg = f"Cannot inline the <link> to {url}: only stylesheets can be inlined."
            raise MapAssetError(msg + " " + _fix_hint(url))
        content = resolver(url)
        if content is None:
            msg = f"Cannot inline the stylesheet {url}: geoplan does not vendor it."
            raise MapAssetError(msg + " " + _fix_hint(url))
        text = content.decode("utf-8") if isinstance(content, bytes) else content
        if "leaflet-default-icon-path" in text:
            leaflet_css_seen.append(text)
        css = inline_css(
            text, base_url=url if not url.startswith("//") else "https:" + url, resolver=resolver
        )
        return f"<style>{css}</style>"

    def style(match: re.Match[str]) -> str:
        if "leaflet-default-icon-path" in match.group(2):
            leaflet_css_seen.append(match.group(2))
        return (
            match.group(1)
            + inline_css(match.group(2), base_url="", resolver=resolver)
            + (match.group(3))
        )

    # Stylesheets written in the page (and any already inlined), then linked ones and scripts.
    html = _STYLE_BLOCK.sub(style, html)
    html = _LINK_HREF.sub(link, html)
    html = _SCRIPT_SRC.sub(script, html)

    left = _FETCHING_TAG.search(html)
    if left is not None:
        url = left.group("url")
        msg = f"The page still loads {url} through a <{left.group('tag')}> element."
        raise MapAssetError(msg + " " + _fix_hint(url))

    if leaflet_css_seen:
        fix = _icon_fix_script(leaflet_css_seen[0])
        head_end = html.lower().find("</head>")
        if fix and head_end >= 0:
            html = html[:head_end] + fix + html[head_end:]
    return html
