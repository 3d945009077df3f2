"""Browser test harness: open a saved map in headless Chromium with the network refused.

Use :func:`check_map_in_browser` (or the ``browser_check`` fixture of ``conftest.py``) from any
test that writes an HTML page::

    report = check_map_in_browser(path, expected_counts={"Villages": 6})

It opens the file in Debian's ``/usr/bin/chromium`` through Playwright (no browser download),
aborts every request that is not ``file:``, ``data:`` or ``blob:`` and records it, then checks:
no console error, no page error, no request at all besides the page itself, the features per
layer-control overlay equal ``expected_counts``, a screenshot that is not blank, and every
tooltip and popup opened (``mouseover`` / ``click`` fired, then opened) with no dialog firing.

When Chromium or Playwright is missing the caller is skipped with the reason, unless the
environment sets ``GEOPLAN_REQUIRE_BROWSER=1``, when it fails instead.

The same holds for the other system tools some tests need (:data:`SYSTEM_NEEDS`): a test marked
``@pytest.mark.browser``, ``cjk_font`` or ``poppler`` is skipped, saying what is missing and how
to install it, before its fixtures run (``conftest.py``), or fails under
``GEOPLAN_REQUIRE_BROWSER=1`` (CI, which installs them all).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = (
    os.environ.get("GEOPLAN_CHROMIUM")
    or shutil.which("chromium")
    or shutil.which("chromium-browser")
)
"""Chromium: ``$GEOPLAN_CHROMIUM``, else ``chromium`` on ``PATH`` (Debian's package)."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_SCHEMES = ("file:", "data:", "blob:")
METRIC = re.compile(r"\d+ (km|m)")
"""A scale bar line in kilometres or metres (Leaflet writes ``"30 km"``, ``"500 m"``)."""


def browser_problem() -> str | None:
    """Why no browser test can run here, or ``None`` when one can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (python) is not installed: pip install playwright"
    if CHROMIUM is None or not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return "Chromium not found on PATH: apt-get install chromium (or set GEOPLAN_CHROMIUM)"
    return None


def cjk_font_problem() -> str | None:
    """Why no test of Chinese glyphs can run here (no CJK font known to fontconfig), or ``None``."""
    from geoplan.outputs.printing import find_cjk_font

    if find_cjk_font() is None:
        return (
            "no CJK font known to fontconfig (fc-list :lang=zh-cn): apt-get install fonts-noto-cjk"
        )
    return None


def poppler_problem() -> str | None:
    """Why no test reading PDF text can run here (no ``pdftotext``), or ``None``."""
    if shutil.which("pdftotext") is None:
        return "pdftotext not found on PATH: apt-get install poppler-utils"
    return None


SYSTEM_NEEDS: dict[str, Callable[[], str | None]] = {
    "browser": browser_problem,
    "cjk_font": cjk_font_problem,
    "poppler": poppler_problem,
}
"""Marker name -> what says why that system tool is missing (``None`` when present)."""


def require(need: str) -> None:
    """Skip the calling test when ``need`` (a key of :data:`SYSTEM_NEEDS`) is missing here.

    Fails instead when the environment sets ``GEOPLAN_REQUIRE_BROWSER=1``.
    """
    problem = SYSTEM_NEEDS[need]()
    if problem is None:
        return
    if os.environ.get("GEOPLAN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"GEOPLAN_REQUIRE_BROWSER=1 but {problem}")
    pytest.skip(problem)


def require_browser() -> None:
    """Skip the calling test when no browser is available (fail if GEOPLAN_REQUIRE_BROWSER=1)."""
    require("browser")


@dataclass
class BrowserReport:
    """What the browser saw on one page."""

    path: Path
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    other_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    maps: int = 0
    layer_counts: dict[str, int] = field(default_factory=dict)
    leaf_layers: int = 0
    tooltip_texts: list[str] = field(default_factory=list)
    popup_texts: list[str] = field(default_factory=list)
    page_text: str = ""
    title: str = ""
    screenshot: Path | None = None
    colours: int = 0
    dominant_share: float = 1.0

    def problems(self, expected_counts: dict[str, int] | None = None) -> list[str]:
        """Every failed check, in words (empty when the page is fine)."""
        out = []
        if self.console_errors:
            out.append(f"console errors: {self.console_errors[:5]}")
        if self.page_errors:
            out.append(f"page errors: {self.page_errors[:5]}")
        if self.blocked_requests:
            out.append(f"external requests attempted: {self.blocked_requests[:5]}")
        if self.other_requests:
            out.append(f"local requests besides the page: {self.other_requests[:5]}")
        if self.dialogs:
            out.append(f"dialogs fired: {self.dialogs[:5]}")
        if self.maps == 0:
            out.append("no Leaflet map found on window")
        if expected_counts is not None:
            for name, count in expected_counts.items():
                got = self.layer_counts.get(name)
                if got != count:
                    out.append(
                        f"layer {name!r}: {got} features in the browser, {count} expected "
                        f"(layers seen: {self.layer_counts})"
                    )
        if self.screenshot is not None and (self.colours < 2 or self.dominant_share > 0.99):
            out.append(
                f"blank screenshot {self.screenshot}: {self.colours} colours, dominant "
                f"{self.dominant_share:.1%}"
            )
        return out


_LEAFLET_PAGE_JS = r"""
  const maps = Object.keys(window).filter(k => {
    try { return window[k] instanceof L.Map; } catch (e) { return false; }
  }).map(k => window[k]);
  const controls = Object.keys(window).filter(k => {
    try { const v = window[k]; return k.endsWith('_layers') && v && v.overlays; }
    catch (e) { return false; }
  }).map(k => window[k]);
  const decode = s => { const d = document.createElement('div'); d.innerHTML = s;
                        return d.textContent; };
"""
"""The start of every page probe: the page's Leaflet maps and layer controls, and ``decode``
(HTML entities to text)."""


_INSPECT_JS = (
    r"""
([openAll, maxPerLayer]) => {
"""
    + _LEAFLET_PAGE_JS
    + r"""  const leaves = (layer, out) => {
    if (typeof layer.getLayers === 'function') {
      layer.getLayers().forEach(l => leaves(l, out));
    } else { out.push(layer); }
    return out;
  };
  const counts = {};
  const all = [];
  for (const c of controls) {
    for (const [name, layer] of Object.entries(c.overlays)) {
      const ls = leaves(layer, []);
      const key = decode(name);
      counts[key] = (counts[key] || 0) + ls.length;
      for (const m of maps) { if (!m.hasLayer(layer)) { try { m.addLayer(layer); } catch (e) {} } }
    }
  }
  const parent = new Map();
  for (const m of maps) {
    m.eachLayer(g => {
      if (typeof g.getLayers === 'function') g.getLayers().forEach(c => parent.set(c, g));
    });
    m.eachLayer(l => {
      if (typeof l.getLayers !== 'function' && !(l instanceof L.DivOverlay)) all.push(l);
    });
  }
  const owner = (l, getter) => {
    let cur = l;
    while (cur) {
      const x = cur[getter] && cur[getter]();
      if (x) return cur;
      cur = parent.get(cur);
    }
    return null;
  };
  const uniq = Array.from(new Set(all));
  const tips = [], pops = [];
  if (openAll) {
    const perOwner = new Map();
    for (const l of uniq) {
      const grp = parent.get(l) || l;
      const seen = perOwner.get(grp) || 0;
      if (maxPerLayer !== null && seen >= maxPerLayer) continue;
      perOwner.set(grp, seen + 1);
      const ll = (l.getLatLng && l.getLatLng()) || (l.getCenter && l.getCenter()) || null;
      try { l.fire('mouseover', {latlng: ll}, true); } catch (e) {}
      const to = owner(l, 'getTooltip');
      if (to) {
        if (to === l) { l.openTooltip(); } else { to.openTooltip(l, ll); }
        const t = to.getTooltip();
        const el = t.getElement();
        if (el) tips.push(el.innerText);
        if (!t.options.permanent) to.closeTooltip();
      }
      try { l.fire('mouseout', {latlng: ll}, true); } catch (e) {}
      try { l.fire('click', {latlng: ll}, true); } catch (e) {}
      const po = owner(l, 'getPopup');
      if (po) {
        po.getPopup().options.autoPan = false;
        if (po === l) { l.openPopup(); } else { po.openPopup(l, ll); }
        const el = po.getPopup().getElement();
        if (el) pops.push(el.innerText);
        po.closePopup();
      }
    }
  }
  return {maps: maps.length, counts: counts, leaves: uniq.length, tips: tips, pops: pops,
          text: document.body.innerText, title: document.title};
}
"""
)


def _measure(png: Path) -> tuple[int, float]:
    from PIL import Image

    with Image.open(png) as img:
        rgb = img.convert("RGB")
        total = rgb.width * rgb.height
        colours = rgb.getcolors(maxcolors=total) or []
    return len(colours), max(count for count, _ in colours) / total


def check_map_in_browser(
    path: str | os.PathLike[str],
    *,
    expected_counts: dict[str, int] | None = None,
    screenshot: str | os.PathLike[str] | None = None,
    open_popups: bool = True,
    max_per_layer: int | None = None,
    check: bool = True,
    timeout_ms: int = 15_000,
) -> BrowserReport:
    """Open ``path`` in headless Chromium with all network refused, and inspect it.

    Parameters
    ----------
    path
        The HTML file.
    expected_counts
        Features expected per layer-control overlay name (as displayed); ``None``: not checked.
    screenshot
        Where to write a PNG screenshot (default: next to the file, ``<stem>.png``); checked
        not to be blank.
    open_popups
        Fire ``mouseover``/``click`` on every leaf layer and open its tooltip and popup.
    max_per_layer
        Open at most this many features' tooltips and popups per layer (``None``: all; large
        maps take about 0.1 s per feature).
    check
        Fail the calling test (``pytest.fail``) listing every problem found.
    timeout_ms
        Page-load timeout.

    Returns
    -------
    BrowserReport
        What the browser saw.
    """
    require_browser()
    from playwright.sync_api import Route, sync_playwright

    page_path = Path(path).resolve()
    page_url = page_path.as_uri()
    shot = Path(screenshot) if screenshot is not None else page_path.with_suffix(".png")
    report = BrowserReport(path=page_path, screenshot=shot)

    def route(r: Route) -> None:
        url = r.request.url
        if url.startswith(LOCAL_SCHEMES):
            if url.startswith("file:") and url.split("#")[0] != page_url:
                report.other_requests.append(url)
            r.continue_()
        else:
            report.blocked_requests.append(url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1200, "height": 800}, service_workers="block"
            )
            page = context.new_page()
            page.route("**/*", route)

            def on_console(msg: Any) -> None:
                if msg.type == "error":
                    report.console_errors.append(msg.text)

            def on_dialog(dialog: Any) -> None:
                report.dialogs.append(f"{dialog.type}: {dialog.message}")
                dialog.dismiss()

            page.on("console", on_console)
            page.on("pageerror", lambda err: report.page_errors.append(str(err)))
            page.on("dialog", on_dialog)
            page.goto(page_url, wait_until="load", timeout=timeout_ms)
            page.wait_for_timeout(300)
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot))
            has_leaflet = page.evaluate("typeof L !== 'undefined' && !!L.Map")
            if has_leaflet:
                result = page.evaluate(_INSPECT_JS, [open_popups, max_per_layer])
                report.maps = int(result["maps"])
                report.layer_counts = {str(k): int(v) for k, v in result["counts"].items()}
                report.leaf_layers = int(result["leaves"])
                report.tooltip_texts = [str(t) for t in result["tips"]]
                report.popup_texts = [str(t) for t in result["pops"]]
                report.page_text = str(result["text"])
                report.title = str(result["title"])
            else:
                report.page_text = page.inner_text("body")
                report.title = page.title()
            page.wait_for_timeout(100)
            context.close()
        finally:
            browser.close()
    report.colours, report.dominant_share = _measure(shot)
    if check:
        problems = report.problems(expected_counts)
        if problems:
            pytest.fail(f"{page_path}:\n  - " + "\n  - ".join(problems))
    return report


@dataclass
class LabelCheck:
    """Township labels against markers on a page as it opens (:func:`label_marker_overlaps`)."""

    shown: int
    """Labels shown on screen."""
    hidden: int
    """Labels hidden until a closer zoom (they cover nothing)."""
    markers: int
    """Marker boxes on screen (a pin and its shadow count as two)."""
    overlaps: list[str]
    """One line per label box meeting a marker box."""


_BOXES_JS = (
    r"""
(markerLayers) => {
"""
    + _LEAFLET_PAGE_JS
    + r"""  const rect = e => { const b = e.getBoundingClientRect();
                      return [b.left, b.top, b.right, b.bottom]; };
  const shown = e => { const b = e.getBoundingClientRect();
                       return b.width > 0 && b.height > 0 && b.right > 0 && b.bottom > 0
                              && b.left < innerWidth && b.top < innerHeight; };
  const all = [...document.querySelectorAll('.leaflet-tooltip.geoplan-label')];
  const hidden = all.filter(e => getComputedStyle(e).visibility === 'hidden').length;
  const labels = all.filter(e => shown(e) && getComputedStyle(e).visibility !== 'hidden')
    .map(e => ({text: e.innerText, box: rect(e)}));
  const leaves = (layer, out) => {
    if (typeof layer.getLayers === 'function') layer.getLayers().forEach(l => leaves(l, out));
    else out.push(layer);
    return out;
  };
  const markers = [];
  for (const c of controls) {
    for (const [name, layer] of Object.entries(c.overlays)) {
      const key = decode(name);
      if (!markerLayers.some(n => key.startsWith(n))) continue;
      for (const m of maps) {
        if (!m.hasLayer(layer)) continue;
        const origin = m.getContainer().getBoundingClientRect();
        for (const l of leaves(layer, [])) {
          if (l._icon) {  // a DOM marker: its icon and shadow
            for (const e of [l._icon, l._shadow]) {
              if (e && shown(e)) markers.push({layer: key, box: rect(e)});
            }
          } else if (l instanceof L.CircleMarker) {  // drawn on the canvas
            const p = m.latLngToContainerPoint(l.getLatLng());
            const r = l.getRadius() + (l.options.stroke ? l.options.weight / 2 : 0);
            markers.push({layer: key, box: [origin.left + p.x - r, origin.top + p.y - r,
                                            origin.left + p.x + r, origin.top + p.y + r]});
          }
        }
      }
    }
  }
  return {labels: labels, hidden: hidden, markers: markers};
}
"""
)


def label_marker_overlaps(
    path: str | os.PathLike[str],
    marker_layers: list[str],
    *,
    viewport: tuple[int, int] = (1200, 800),
    screenshot: str | os.PathLike[str] | None = None,
) -> LabelCheck:
    """Township labels whose box meets a marker's, on a page as it opens (network refused).

    Parameters
    ----------
    path
        The HTML file.
    marker_layers
        Layer-control overlay names (as displayed; a name matches every overlay it begins)
        whose markers no label may cover: awesome-marker icons and their shadows are measured
        from the DOM (``getBoundingClientRect``), canvas circle markers from Leaflet.
    viewport
        Window size in CSS pixels.
    screenshot
        Where to write a PNG of the page as measured (``None``: none).

    Returns
    -------
    LabelCheck
        What was measured.
    """
    seen = _probe_offline(path, _BOXES_JS, marker_layers, viewport, screenshot)

    overlaps = [
        f"label {lab['text']!r} {[round(v) for v in lab['box']]} covers a marker of "
        f"{mark['layer']!r} {[round(v) for v in mark['box']]}"
        for lab in seen["labels"]
        for mark in seen["markers"]
        if _meet(lab["box"], mark["box"])
    ]
    return LabelCheck(len(seen["labels"]), int(seen["hidden"]), len(seen["markers"]), overlaps)


def _probe_offline(
    path: str | os.PathLike[str],
    probe_js: str,
    arg: Any,
    viewport: tuple[int, int],
    screenshot: str | os.PathLike[str] | None,
) -> Any:
    """Open ``path`` with the network refused and evaluate ``probe_js(arg)`` as the page opens."""
    require_browser()
    from playwright.sync_api import Route, sync_playwright

    page_url = Path(path).resolve().as_uri()

    def route(r: Route) -> None:
        if r.request.url.startswith(LOCAL_SCHEMES):
            r.continue_()
        else:
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(
                viewport={"width": viewport[0], "height": viewport[1]}, service_workers="block"
            )
            page.route("**/*", route)
            page.goto(page_url, wait_until="load")
            page.wait_for_timeout(300)
            if screenshot is not None:
                page.screenshot(path=str(screenshot))
            return page.evaluate(probe_js, arg)
        finally:
            browser.close()


def _meet(a: list[float], b: list[float]) -> bool:
    """Whether two ``[left, top, right, bottom]`` boxes share an area (touching is not meeting)."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


_PANELS_JS = r"""
() => {
  const shown = e => { const b = e.getBoundingClientRect(); const s = getComputedStyle(e);
                       return b.width > 0 && b.height > 0 && s.visibility !== 'hidden'
                              && s.display !== 'none'; };
  const name = e => (e.className.baseVal ?? e.className).split(' ')
    .filter(c => c.startsWith('leaflet-control-') || c.startsWith('geoplan-'))[0]
    || e.className;
  const sel = '.leaflet-control, .geoplan-title, .geoplan-legend, .geoplan-side';
  return [...document.querySelectorAll(sel)].filter(shown).map(e => {
    const b = e.getBoundingClientRect();
    return {name: name(e), text: e.innerText.slice(0, 40).replace(/\s+/g, ' '),
            box: [b.left, b.top, b.right, b.bottom]};
  });
}
"""


def panel_overlaps(
    path: str | os.PathLike[str],
    *,
    viewport: tuple[int, int] = (1200, 800),
    screenshot: str | os.PathLike[str] | None = None,
) -> tuple[int, list[str]]:
    """Map panels that cover each other on a page as it opens (network refused).

    Panels: every shown Leaflet control (zoom, full screen, measure, search, layers, scale,
    attribution), the title, the legends and the side captions of a dual map, each measured by
    ``getBoundingClientRect``; boxes that only touch do not count.

    Parameters
    ----------
    path
        The HTML file.
    viewport
        Window size in CSS pixels.
    screenshot
        Where to write a PNG of the page as measured (``None``: none).

    Returns
    -------
    tuple of int and list of str
        The panels measured, and one line per pair of panels whose boxes meet.
    """
    panels = _probe_offline(path, _PANELS_JS, None, viewport, screenshot)
    lines = [
        f"{a['name']} {a['text']!r} {[round(v) for v in a['box']]} meets "
        f"{b['name']} {b['text']!r} {[round(v) for v in b['box']]}"
        for i, a in enumerate(panels)
        for b in panels[i + 1 :]
        if _meet(a["box"], b["box"])
    ]
    return len(panels), lines


@dataclass
class MapDetails:
    """The small parts of a page's maps, as it opens (:func:`map_details`)."""

    scale_lines: list[str]
    """The text of every scale bar line (``"30 km"``), all maps."""
    searches: list[dict[str, Any]]
    """Per search control: its button's visible ``label`` and ``title``, the input's
    ``placeholder``, the cancel button's ``cancel`` title, the words shown for a name that
    matches nothing (``not_found``) and the button's ``box``."""
    captions: list[dict[str, Any]]
    """Per side caption of a dual map: its ``text`` and ``box``."""
    halves: list[dict[str, Any]]
    """Per map: its container's ``box``, the township ``labels`` shown in it and those
    ``clipped`` by its edge."""
    synced: list[dict[str, Any]]
    """Per map panned and zoomed in turn (dual maps only): its centre and zoom at the ``start``
    and once ``moved``, and the ``other`` map's then."""


_DETAILS_JS = (
    r"""
async () => {
"""
    + _LEAFLET_PAGE_JS
    + r"""  const rect = e => { const b = e.getBoundingClientRect();
                      return [b.left, b.top, b.right, b.bottom]; };
  const visible = e => { const b = e.getBoundingClientRect(); const s = getComputedStyle(e);
                         return b.width > 0 && b.height > 0 && s.visibility !== 'hidden'
                                && s.display !== 'none'; };
  const frame = () => new Promise(r => setTimeout(r, 50));
  const scales = [...document.querySelectorAll('.leaflet-control-scale-line')]
    .filter(visible).map(e => e.innerText);
  const searches = [];
  for (const k of Object.keys(window).filter(k => k.endsWith('searchControl'))) {
    const c = window[k];
    const one = {label: c._button.innerText, title: c._button.title,
                 placeholder: c._input.placeholder, cancel: c._cancel.title,
                 box: rect(c._button)};
    c.expand();
    c._input.value = 'no such name 0x2f1c';  // matches nothing
    c._handleSubmit();
    one.not_found = c._alert.innerText;
    c.hideAlert(); c.collapse();
    searches.push(one);
  }
  const captions = [...document.querySelectorAll('.geoplan-side')].filter(visible)
    .map(e => ({text: e.innerText, box: rect(e)}));
  const halves = maps.map(m => {
    const box = rect(m.getContainer());
    const shown = [...m.getContainer().querySelectorAll('.leaflet-tooltip.geoplan-label')]
      .filter(visible);
    const out = e => { const b = rect(e);
                       return b[0] < box[0] || b[1] < box[1] || b[2] > box[2] || b[3] > box[3]; };
    return {box: box, labels: shown.map(e => e.innerText),
            clipped: shown.filter(out).map(e => e.innerText)};
  });
  const synced = [];
  if (maps.length === 2) {
    const at = m => ({lat: m.getCenter().lat, lng: m.getCenter().lng, zoom: m.getZoom()});
    for (const [i, j] of [[0, 1], [1, 0]]) {
      const start = at(maps[i]);
      maps[i].panBy([90 * (i + 1), 60], {animate: false});
      await frame();
      maps[i].setZoom(maps[i].getZoom() + 1, {animate: false});
      await frame();
      synced.push({start: start, moved: at(maps[i]), other: at(maps[j])});
    }
  }
  return {scale_lines: scales, searches: searches, captions: captions, halves: halves,
          synced: synced};
}
"""
)


def map_details(
    path: str | os.PathLike[str],
    *,
    viewport: tuple[int, int] = (1200, 800),
    screenshot: str | os.PathLike[str] | None = None,
) -> MapDetails:
    """Scale bars, search controls, side captions, labels per map and, for a dual map, whether
    moving one map moves the other, on a page as it opens (network refused).

    Parameters
    ----------
    path
        The HTML file.
    viewport
        Window size in CSS pixels.
    screenshot
        Where to write a PNG of the page as it opened (``None``: none).

    Returns
    -------
    MapDetails
        What was measured (searched, panned and zoomed after the screenshot).
    """
    seen = _probe_offline(path, _DETAILS_JS, None, viewport, screenshot)
    return MapDetails(**seen)
