"""Vendor, refresh or check the map assets geoplan ships (geoplan/outputs/assets/).

Each asset is one file per CDN address a folium page loads (scripts, stylesheets, and the fonts
and images those stylesheets refer to), listed in ``manifest.json`` with its SHA-256, project
and licence; ``LICENSES.md`` is written from the same table. ``tests/test_map_assets.py``
renders every kind of map and names any address not vendored (or vendored and unused).

After a folium upgrade (the usual way; needs the network)::

    python -m pytest tests/test_map_assets.py          # names new and unused addresses
    python scripts/vendor_map_assets.py --add URL ...  # fetch new ones (and their fonts)
    python scripts/vendor_map_assets.py --remove URL   # drop unused ones
    python scripts/vendor_map_assets.py --refresh      # re-fetch every listed file

``--source folium-offline`` takes the content from an installed ``folium-offline`` package
instead of the CDN (offline; its stylesheets already hold their fonts as ``data:`` URIs).
``--check`` only verifies the checksums.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "geoplan" / "outputs" / "assets"
MANIFEST = ASSETS / "manifest.json"
LICENSES = ASSETS / "LICENSES.md"

# (part of the URL, project, licence, copyright) - the first match names an asset's origin
PROJECTS: list[tuple[str, str, str, str]] = [
    (
        "/leaflet@",
        "Leaflet",
        "BSD-2-Clause",
        "(c) 2010-2022 Vladimir Agafonkin, (c) 2010-2011 CloudMade",
    ),
    ("jquery", "jQuery", "MIT", "(c) OpenJS Foundation and other contributors"),
    ("bootstrap@5", "Bootstrap 5", "MIT", "(c) 2011-2022 The Bootstrap Authors"),
    (
        "bootstrap/3",
        "Bootstrap 3 Glyphicons",
        "MIT",
        "(c) 2013 Twitter, Inc.; Glyphicons Halflings by Jan Kovarik, free for Bootstrap",
    ),
    (
        "fontawesome-free",
        "Font Awesome Free",
        "CC-BY-4.0 (icons), OFL-1.1 (fonts), MIT (code)",
        "(c) 2022 Fonticons, Inc.",
    ),
    ("awesome-markers", "Leaflet.awesome-markers", "MIT", "(c) 2012-2013 Lennard Voogdt"),
    ("folium/templates", "folium", "MIT", "(c) 2013- folium developers"),
    (
        "Leaflet.Sync",
        "Leaflet.Sync 0.2.4",
        "BSD-3-Clause",
        "(c) Bjorn Sandvik, Jan Pieter Waagmeester",
    ),
    ("leaflet.fullscreen", "leaflet.fullscreen", "MIT", "(c) Bruno B."),
    ("leaflet-measure", "leaflet-measure", "MIT", "(c) Brandon Copeland"),
    ("leaflet-search", "leaflet-search", "MIT", "(c) 2018 Stefano Cudini"),
]

_CSS_URL = re.compile(r"url\(\s*[\"']?(?P<ref>[^\"')]+)[\"']?\s*\)")


def origin(url: str) -> tuple[str, str, str]:
    for part, project, licence, copyright_ in PROJECTS:
        if part in url:
            return project, licence, copyright_
    sys.exit(f"{url}: unknown project; add it to PROJECTS in {Path(__file__).name}")


def file_for(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def from_cdn(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        data: bytes = response.read()
    return data


def from_folium_offline(url: str) -> bytes:
    from offlinefolium.elements import _res  # the package's table of embedded resources

    if url not in _res:
        sys.exit(f"{url}: not in the installed folium-offline package")
    content = _res[url]
    return content.encode("utf-8") if isinstance(content, str) else bytes(content)


def _references(url: str, css: str) -> list[str]:
    """Absolute addresses a stylesheet refers to (not ``data:``, not dropped on purpose)."""
    sys.path.insert(0, str(ROOT))
    from geoplan.outputs._offline import DROPPED_ASSETS

    out = []
    for match in _CSS_URL.finditer(css):
        ref = match.group("ref").strip()
        if ref.startswith(("data:", "#", "%23")):
            continue
        absolute = urljoin(url, ref).split("?", 1)[0].split("#", 1)[0]
        if absolute not in DROPPED_ASSETS and absolute not in out:
            out.append(absolute)
    return out


def load() -> dict[str, dict[str, str]]:
    if not MANIFEST.exists():
        return {}
    return {a["url"]: a for a in json.loads(MANIFEST.read_text(encoding="utf-8"))["assets"]}


def save(assets: dict[str, dict[str, str]]) -> None:
    import folium

    ordered = [assets[u] for u in sorted(assets)]
    data = {"folium": folium.__version__, "assets": ordered}
    MANIFEST.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    rows = {}
    for a in ordered:
        rows.setdefault(a["project"], (a["licence"], origin(a["url"])[2], []))[2].append(a["url"])
    lines = [
        "# Licences of the vendored map assets",
        "",
        "geoplan inlines these files into every map so that maps open offline. Each is the file",
        "published at the address below (the stylesheets taken from folium-offline already hold",
        "their fonts and images as `data:` URIs); `manifest.json` lists each file's SHA-256.",
        "Written by `scripts/vendor_map_assets.py`.",
        "",
        "| project | licence | copyright | files (CDN address) |",
        "| --- | --- | --- | --- |",
    ]
    for project, (licence, copyright_, urls) in sorted(rows.items()):
        lines.append(f"| {project} | {licence} | {copyright_} | {'<br>'.join(urls)} |")
    LICENSES.write_text("\n".join(lines) + "\n", encoding="utf-8")


def vendor(url: str, fetch: Callable[[str], bytes], assets: dict[str, dict[str, str]]) -> None:
    data = fetch(url)
    path = ASSETS / file_for(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    project, licence, _ = origin(url)
    assets[url] = {
        "url": url,
        "file": file_for(url),
        "sha256": hashlib.sha256(data).hexdigest(),
        "project": project,
        "licence": licence,
    }
    print(f"vendored {url} ({len(data):,} bytes)")
    if url.endswith(".css"):
        for ref in _references(url, data.decode("utf-8")):
            if ref not in assets:
                vendor(ref, fetch, assets)


def check(assets: dict[str, dict[str, str]]) -> int:
    bad = [
        a["url"]
        for a in assets.values()
        if hashlib.sha256((ASSETS / a["file"]).read_bytes()).hexdigest() != a["sha256"]
    ]
    for url in bad:
        print(f"checksum differs: {url}", file=sys.stderr)
    print(f"{len(assets) - len(bad)} of {len(assets)} files match their SHA-256")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--add", nargs="+", default=[], metavar="URL")
    parser.add_argument("--remove", nargs="+", default=[], metavar="URL")
    parser.add_argument("--refresh", action="store_true", help="re-fetch every listed file")
    parser.add_argument("--check", action="store_true", help="only verify the checksums")
    parser.add_argument("--source", choices=["cdn", "folium-offline"], default="cdn")
    args = parser.parse_args()
    assets = load()
    if args.check:
        return check(assets)
    fetch = from_cdn if args.source == "cdn" else from_folium_offline
    for url in args.remove:
        entry = assets.pop(url)
        (ASSETS / entry["file"]).unlink(missing_ok=True)
        print(f"removed {url}")
    for url in [*(list(assets) if args.refresh else []), *args.add]:
        vendor(url, fetch, assets)
    save(assets)
    return check(assets)


if __name__ == "__main__":
    sys.exit(main())
