"""Printable maps (A4/A3 PDF and PNG, matplotlib) with title, legend, scale bar and north arrow.

Maps are drawn in the planning area's metric CRS, so the scale bar is exact along the map's
centre; each page carries the date, the data source and, for synthetic data, a red mark.
Chinese text needs a CJK font: :func:`find_cjk_font` asks fontconfig for one (not matplotlib's
font cache, which may predate the font), and :func:`font_context` logs once how to install one
when Chinese text is drawn without.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import shutil
import subprocess
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from geoplan.data.area import PlanningArea
from geoplan.errors import ArgumentError, MissingDependencyError
from geoplan.outputs import maps, plan_maps
from geoplan.outputs.labels import MAP_LABELS, PLAN_MAP_TEXT, PRINT_TEXT, texts
from geoplan.plan.pipeline import PlanResult
from geoplan.rules import SCHOOL_KINDS

__all__ = [
    "FOOTER_MM",
    "GAP_MM",
    "LEGEND_COLUMNS_BELOW",
    "MAP_KINDS",
    "MARGIN_MM",
    "PAPER_MM",
    "TITLE_MM",
    "CjkFont",
    "PageLayout",
    "add_north_arrow",
    "add_scale_bar",
    "draw_layers",
    "find_cjk_font",
    "font_context",
    "nice_scale_length",
    "page_layout",
    "pdf_document",
    "pdf_heading",
    "print_map",
    "write_print_maps",
]

_logger = logging.getLogger(__name__)

PAPER_MM: Mapping[str, tuple[float, float]] = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}
"""Landscape paper sizes (width, height) in millimetres."""

MAP_KINDS: tuple[str, ...] = ("overview", "journeys", "restoration", "districts")
"""Maps :func:`print_map` draws."""


_KIND_MARKERS: Mapping[str, str] = {
    "teaching_point": "^",
    "primary": "o",
    "central_primary": "s",
    "nine_year": "D",
    "middle": "p",
}
"""Matplotlib marker of each school kind (colours as on the web maps)."""


@dataclass(frozen=True)
class CjkFont:
    """A CJK font found on the system.

    Parameters
    ----------
    path
        Font file (``.ttc``, ``.otf`` or ``.ttf``).
    family
        Family name matplotlib knows it by.
    index
        Face index inside a ``.ttc`` collection (0 for single fonts).
    """

    path: Path
    family: str
    index: int


_CJK_PREFERENCES = ("Noto Sans CJK SC", "CJK SC", "CJK", "Hei", "WenQuanYi", "Song")
"""Family names tried in order (a part of the name, any case)."""

_INSTALL_HINT = (
    "Install one, e.g. 'apt-get install fonts-noto-cjk' (Debian/Ubuntu) or 'dnf install "
    "google-noto-sans-cjk-fonts' (Fedora); geoplan finds it through fontconfig (fc-list)."
)

_GLYPH_MISSING = re.compile(r"Glyph \d+ .*missing from font\(s\) (?P<fonts>.+?)\.?$", re.DOTALL)

_warned_fonts: set[str] = set()
"""Font lists already reported as missing Chinese glyphs (one warning each per process)."""


@dataclass(frozen=True)
class _Face:
    path: Path
    index: int
    family: str
    regular: bool


def _fontconfig_faces() -> list[_Face] | None:
    """Faces fontconfig knows for Simplified Chinese, or ``None`` without ``fc-list``."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        done = subprocess.run(
            [fc_list, "--format=%{file}\t%{index}\t%{family[0]}\t%{style[0]}\n", ":lang=zh-cn"],
            capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as err:
        _logger.debug("fc-list failed (%s); looking for CJK fonts through matplotlib", err)
        return None
    faces = []
    for line in done.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) != 4 or not parts[1].isdigit():
            continue
        style = parts[3].lower()
        regular = style in ("regular", "book", "normal", "medium", "")
        faces.append(_Face(Path(parts[0]), int(parts[1]), parts[2], regular))
    return faces


def _matplotlib_faces() -> list[_Face]:
    """Faces of matplotlib's font list (systems without fontconfig); may be a stale cache."""
    faces = []
    for f in font_manager.fontManager.ttflist:
        index = getattr(f, "index", None)
        path = Path(f.fname)
        faces.append(
            _Face(
                path,
                int(index) if index is not None else _face_index(path, f.name),
                f.name,
                f.weight in (400, "normal", "regular"),
            )
        )
    return faces


def _register(face: _Face) -> str:
    """Make matplotlib know ``face`` (its cache may predate the font); returns its family."""
    known = {f.name for f in font_manager.fontManager.ttflist if Path(f.fname) == face.path}
    if face.family not in known:
        font_manager.fontManager.addfont(str(face.path))
        known = {f.name for f in font_manager.fontManager.ttflist if Path(f.fname) == face.path}
    if face.family in known or not known:
        return face.family
    return sorted(known)[0]  # an older matplotlib registers the first face of a collection only


@lru_cache(maxsize=1)
def find_cjk_font() -> CjkFont | None:
    """A Simplified-Chinese font installed on the system, or ``None``.

    Asks fontconfig (``fc-list :lang=zh-cn``), so a font installed after matplotlib built its
    font cache is found too, and an empty fontconfig means none; on systems without fontconfig
    it falls back to matplotlib's font list. Prefers Noto Sans CJK SC, then any "CJK SC", "CJK",
    "Hei", "WenQuanYi" or "Song" family, regular weight first. The font is registered with
    matplotlib. The answer is kept for the process (``find_cjk_font.cache_clear()`` asks again).
    Logs nothing: a warning comes only when Chinese text is drawn without a font
    (:func:`font_context`).
    """
    faces = _fontconfig_faces()
    if faces is None:
        faces = _matplotlib_faces()
    for wanted in _CJK_PREFERENCES:
        hits = [f for f in faces if wanted.lower() in f.family.lower()]
        if hits:
            best = sorted(
                hits, key=lambda f: (not f.regular, f.family != "Noto Sans CJK SC", str(f.path))
            )[0]
            family = _register(best)
            _logger.debug("CJK font: %s (%s, face %d)", family, best.path, best.index)
            return CjkFont(best.path, family, best.index)
    return None


def pdf_document(*, orientation: str, lang: str, what: str) -> tuple[Any, str]:
    """An empty A4 fpdf2 document for a page of text and tables, and the font family to write in.

    A system CJK font (:func:`find_cjk_font`) is embedded as family ``"cjk"`` when one is
    installed; otherwise English pages use the core ``"helvetica"`` (latin-1 only).

    Parameters
    ----------
    orientation
        ``"portrait"`` or ``"landscape"``.
    lang
        ``"en"`` or ``"zh"``.
    what
        What the document is, for the message (``"PDF profile"``).

    Raises
    ------
    MissingDependencyError
        For Chinese when no CJK font is installed (the message says how to install one).
    """
    from fpdf import FPDF

    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    font = find_cjk_font()
    if font is not None:
        pdf.add_font("cjk", fname=str(font.path), collection_font_number=font.index)
        return pdf, "cjk"
    if lang == "zh":
        msg = (
            f"No CJK font found for the Chinese {what}. Install one, e.g. "
            "'apt-get install fonts-noto-cjk', then retry."
        )
        raise MissingDependencyError(msg)
    return pdf, "helvetica"


def pdf_heading(
    pdf: Any, family: str, title: str, subtitle: str, *, title_size: float, synthetic: str | None
) -> None:
    """Write a document's heading: its title, a line under it, and the synthetic-data warning.

    Parameters
    ----------
    pdf, family
        The document and its font family (of :func:`pdf_document`).
    title, subtitle
        The title and the line under it, as they are to be printed.
    title_size
        Font size of the title, points.
    synthetic
        The warning that the data are synthetic, printed in red; ``None``: real data, no warning.
    """
    pdf.set_font(family, size=title_size)
    pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=10)
    pdf.multi_cell(0, 6, subtitle, new_x="LMARGIN", new_y="NEXT")
    if synthetic is not None:
        pdf.set_text_color(176, 0, 32)
        pdf.multi_cell(0, 6, synthetic, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)


def _face_index(path: Path, family: str) -> int:
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

    collection = TTCollection(str(path), lazy=True)
    try:
        for i, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1) == family:
                return i
    finally:
        collection.close()
    return 0


def _report_missing_glyphs(caught: list[warnings.WarningMessage]) -> None:
    """Log one warning per font list that lacked Chinese glyphs; re-issue every other warning."""
    for w in caught:
        found = _GLYPH_MISSING.search(str(w.message))
        if found is None:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
            continue
        fonts = found.group("fonts")
        if fonts in _warned_fonts:
            continue
        _warned_fonts.add(fonts)
        _logger.warning(
            "Chinese text was drawn with no CJK font (%s lacks the glyphs): it shows as empty "
            "boxes. %s",
            fonts,
            _INSTALL_HINT,
        )


@contextmanager
def font_context(lang: str) -> Iterator[None]:
    """Matplotlib settings (within the block only) that render ``lang``'s text.

    Chinese text (any language: names in the data may be Chinese) uses the CJK font of
    :func:`find_cjk_font`. Where none is installed, matplotlib's "Glyph ... missing" warnings
    raised in the block become one logged warning per process, saying how to install one.
    """
    families = ["DejaVu Sans"]
    font = find_cjk_font()
    if font is not None:
        families = [font.family, "DejaVu Sans"] if lang == "zh" else ["DejaVu Sans", font.family]
    with (
        mpl.rc_context(
            {"font.family": "sans-serif", "font.sans-serif": families, "axes.unicode_minus": False}
        ),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        try:
            yield
        finally:
            _report_missing_glyphs(caught)


def nice_scale_length(width_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k metres) of about a fifth of ``width_m``."""
    if width_m <= 0:
        msg = f"The map width must be positive, got {width_m} m."
        raise ArgumentError(msg)
    target = width_m / 5.0
    power = 10.0 ** math.floor(math.log10(target))
    return max((s * power for s in (1.0, 2.0, 5.0) if s * power <= target), default=power)


def add_scale_bar(ax: Any, *, lang: str = "en") -> float:
    """Draw a scale bar in the lower left of ``ax`` (data in metres); returns its length (m)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_scale_length(x1 - x0)
    text = texts(PRINT_TEXT, lang)
    bx, by, h = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0), 0.008 * (y1 - y0)
    for i in range(2):
        ax.add_patch(
            Rectangle(
                (bx + i * length / 2, by),
                length / 2,
                h,
                facecolor="black" if i == 0 else "white",
                edgecolor="black",
                linewidth=0.8,
                zorder=10,
            )
        )
    label = f"{length / 1000:g} {text['km']}" if length >= 1000 else f"{length:g} {text['m']}"
    ax.text(bx, by + 2 * h, "0", ha="center", va="bottom", fontsize=7, zorder=10)
    ax.text(bx + length, by + 2 * h, label, ha="center", va="bottom", fontsize=7, zorder=10)
    return length


def add_north_arrow(ax: Any, *, lang: str = "en") -> None:
    """Draw a north arrow in the upper right of ``ax`` (grid north of the metric CRS)."""
    ax.annotate(
        texts(PRINT_TEXT, lang)["north"],
        xy=(0.95, 0.95),
        xytext=(0.95, 0.85),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=11,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 4, "headwidth": 11, "headlength": 10},
        zorder=10,
    )


def _pupil_sizes(villages: pd.DataFrame) -> np.ndarray:
    cols = [c for c in ("pupils_g1_3", "pupils_g4_6", "pupils_g7_9") if c in villages.columns]
    total = villages[cols].fillna(0).sum(axis=1).to_numpy(dtype="float64")
    top = max(float(total.max()) if len(total) else 1.0, 1.0)
    sizes: np.ndarray = 8.0 + 140.0 * total / top
    return sizes


def draw_layers(
    ax: Any,
    area: PlanningArea,
    *,
    villages: gpd.GeoDataFrame | None = None,
    village_colors: pd.Series | None = None,
    schools: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    site_colors: pd.Series | None = None,
    polygons: gpd.GeoDataFrame | None = None,
    polygon_colors: Sequence[str] | None = None,
    lang: str = "en",
    township_labels: bool = True,
) -> list[Any]:
    """Draw townships, polygons, villages, sites and schools on ``ax`` in the area's CRS.

    Returns
    -------
    list
        Legend handles of what was drawn.
    """
    labels = texts(MAP_LABELS, lang)
    crs = area.crs
    handles: list[Any] = []
    townships = area.townships.to_crs(crs)
    townships.plot(ax=ax, facecolor=maps.COUNTY_FILL, edgecolor=maps.TOWNSHIP_LINE, linewidth=0.8)
    if township_labels:
        for name, point in zip(townships["name"], townships.representative_point(), strict=True):
            ax.text(
                point.x,
                point.y,
                str(name),
                ha="center",
                va="center",
                fontsize=7,
                color="#555555",
                zorder=3,
            )
    if polygons is not None and len(polygons):
        polygons.to_crs(crs).plot(
            ax=ax,
            color=list(polygon_colors or ["#9ecae1"]),
            edgecolor="#333333",
            linewidth=0.5,
            alpha=0.6,
            zorder=2,
        )
    if villages is not None and len(villages):
        vill = villages.to_crs(crs)
        colors = (
            village_colors.reindex(vill.index).fillna(maps.VILLAGE_COLOR).tolist()
            if village_colors is not None
            else maps.VILLAGE_COLOR
        )
        ax.scatter(
            vill.geometry.x,
            vill.geometry.y,
            s=_pupil_sizes(vill),
            c=colors,
            edgecolors="white",
            linewidths=0.5,
            zorder=4,
        )
        handles.append(
            Line2D(
                [], [], marker="o", linestyle="", color=maps.VILLAGE_COLOR, label=labels["villages"]
            )
        )
    if sites is not None and len(sites):
        st = sites.to_crs(crs)
        colors = (
            site_colors.reindex(st.index).fillna(maps.SITE_COLOR).tolist()
            if site_colors is not None
            else maps.SITE_COLOR
        )
        ax.scatter(
            st.geometry.x,
            st.geometry.y,
            s=40,
            facecolors="white",
            edgecolors=colors,
            linewidths=2,
            marker="s",
            zorder=5,
        )
    if schools is not None and len(schools):
        sch = schools.to_crs(crs)
        for kind in SCHOOL_KINDS:
            part = sch[sch["kind"] == kind]
            if not len(part):
                continue
            color = maps.school_color(kind)
            ax.scatter(
                part.geometry.x,
                part.geometry.y,
                s=60,
                c=color,
                marker=_KIND_MARKERS[kind],
                edgecolors="black",
                linewidths=0.6,
                zorder=6,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker=_KIND_MARKERS[kind],
                    linestyle="",
                    color=color,
                    markeredgecolor="black",
                    label=labels[kind],
                )
            )
    ax.set_aspect("equal")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticks([])
    ax.set_yticks([])
    return handles


def _page(
    fig: Figure, ax: Any, *, title: str, area: PlanningArea, lang: str, source: str | None
) -> None:
    text = texts(PRINT_TEXT, lang)
    labels = texts(MAP_LABELS, lang)
    fig.suptitle(title, fontsize=15, fontweight="bold")
    footer = (
        f"{text['date']}: {dt.date.today().isoformat()}    "
        f"{text['source']}: {source or area.name}    {text['made_with']}"
    )
    fig.text(0.02, 0.015, footer, fontsize=7, color="#333333")
    if area.synthetic:
        fig.text(
            0.98,
            0.015,
            labels["synthetic"],
            fontsize=9,
            color="#b00020",
            ha="right",
            fontweight="bold",
        )
    add_scale_bar(ax, lang=lang)
    add_north_arrow(ax, lang=lang)


MARGIN_MM = 8.0
"""Page margin left and right of the map and its legend."""
TITLE_MM = 16.0
"""Band at the top of the page kept for the title."""
FOOTER_MM = 9.0
"""Band at the bottom kept for the date, source and synthetic-data lines."""
GAP_MM = 4.0
"""Space between the map frame and its legend."""


LEGEND_COLUMNS_BELOW = 3
"""Columns of a legend set below the map (a wide county), instead of one column beside it."""


@dataclass(frozen=True)
class PageLayout:
    """Where a printed map goes on its page.

    Parameters
    ----------
    width_mm, height_mm
        The page as printed (landscape: wider than high).
    frame
        The map frame (left, bottom, width, height) in fractions of the page; its shape is the
        map extent's, as large as the page allows beside (or below) the legend.
    legend
        Left and top of the legend, in fractions of the page.
    legend_below
        The legend is below the frame in :data:`LEGEND_COLUMNS_BELOW` columns (else beside it,
        in one column).
    """

    width_mm: float
    height_mm: float
    frame: tuple[float, float, float, float]
    legend: tuple[float, float]
    legend_below: bool = False

    @property
    def landscape(self) -> bool:
        """Whether the page is wider than high."""
        return self.width_mm > self.height_mm


def page_layout(
    extent_width: float,
    extent_height: float,
    *,
    paper: str = "A4",
    legend_mm: float = 60.0,
    legend_below_mm: tuple[float, float] | None = None,
) -> PageLayout:
    """The orientation and map frame that draw an extent largest, with its legend.

    The frame has the extent's shape (``extent_width`` : ``extent_height``, any unit). Of
    landscape and portrait, with the legend beside the frame (``legend_mm`` wide) or, when
    ``legend_below_mm`` (width, height) is given, below it, the layout giving the largest frame
    wins; frame and legend are centred between the margins, so the page is filled in its tight
    direction.
    """
    long_mm, short_mm = PAPER_MM[paper]
    best: tuple[float, PageLayout] | None = None
    options = [(False, legend_mm, 0.0)]
    if legend_below_mm is not None:
        options.append((True, legend_below_mm[0], legend_below_mm[1]))
    for page_w, page_h in ((long_mm, short_mm), (short_mm, long_mm)):
        for below, leg_w, leg_h in options:
            avail_w = page_w - 2 * MARGIN_MM - (0.0 if below else GAP_MM + leg_w)
            avail_h = page_h - TITLE_MM - FOOTER_MM - (GAP_MM + leg_h if below else 0.0)
            if avail_w <= 0 or avail_h <= 0 or (below and leg_w > page_w - 2 * MARGIN_MM):
                continue
            scale = min(avail_w / extent_width, avail_h / extent_height)
            frame_w, frame_h = extent_width * scale, extent_height * scale
            if below:
                left = (page_w - frame_w) / 2
                bottom = FOOTER_MM + GAP_MM + leg_h + (avail_h - frame_h) / 2
                legend = (left / page_w, (bottom - GAP_MM) / page_h)
            else:
                left = (page_w - (frame_w + GAP_MM + leg_w)) / 2
                bottom = FOOTER_MM + (avail_h - frame_h) / 2
                legend = ((left + frame_w + GAP_MM) / page_w, (bottom + frame_h) / page_h)
            layout = PageLayout(
                width_mm=page_w,
                height_mm=page_h,
                frame=(left / page_w, bottom / page_h, frame_w / page_w, frame_h / page_h),
                legend=legend,
                legend_below=below,
            )
            if best is None or frame_w * frame_h > best[0] * (1 + 1e-9):
                best = (frame_w * frame_h, layout)
    if best is None:
        msg = f"The legend does not fit on {paper} paper; use A3."
        raise ArgumentError(msg)
    return best[1]


def _extent(area: PlanningArea, kind: str) -> tuple[float, float, float, float]:
    """The printed extent: the county (the county town's blocks for districts), padded."""
    layer = area.blocks if kind == "districts" and len(area.blocks) else area.townships
    x0, y0, x1, y1 = layer.to_crs(area.crs).total_bounds
    pad = 0.04 * max(x1 - x0, y1 - y0)
    return x0 - pad, y0 - pad, x1 + pad, y1 + pad


def _legend_label(i: int, label: str, lang: str) -> str:
    """A journey-class label with its unit (minutes); boarders and unserved as they are."""
    if i < len(plan_maps.JOURNEY_COLORS):
        return f"{label} {texts(PLAN_MAP_TEXT, lang)['min']}"
    return label


def _layers_for(
    result: PlanResult | PlanningArea, kind: str, lang: str, band: str
) -> tuple[str, dict[str, Any], list[Any]]:
    labels = texts(MAP_LABELS, lang)
    ptext = texts(PLAN_MAP_TEXT, lang)
    area = result if isinstance(result, PlanningArea) else result.area
    extra: list[Any] = []
    if kind == "overview" or isinstance(result, PlanningArea):
        schools = area.schools if isinstance(result, PlanningArea) else result.schools
        layers = {
            "villages": area.villages,
            "schools": schools[schools["status"] == "open"],
            "sites": area.sites,
        }
        extra.append(Patch(facecolor="white", edgecolor=maps.SITE_COLOR, label=labels["sites"]))
        return f"{area.name}: {labels['overview']}", layers, extra
    open_schools = result.schools[result.schools["status"] == "open"]
    if kind == "journeys":
        layers = {
            "villages": area.villages,
            "village_colors": plan_maps.village_colors(result.after, band),
            "schools": open_schools,
        }
        extra += [
            Patch(color=c, label=_legend_label(i, lab, lang))
            for i, (c, lab) in enumerate(plan_maps.journey_legend(lang))
        ]
        title = f"{area.name}: {ptext['journeys']} ({ptext['band'][band]}, {ptext['after']})"
        return title, layers, extra
    if kind == "restoration":
        phase = pd.Series(0, index=area.sites.index, dtype="int64")
        if result.restoration is not None:
            phase = result.restoration.phasing.phase.reindex(phase.index).fillna(0).astype("int64")
        layers = {
            "villages": area.villages,
            "village_colors": plan_maps.village_colors(result.after, "g1_3"),
            "schools": open_schools,
            "sites": area.sites,
            "site_colors": plan_maps.phase_colors(phase),
        }
        for p in sorted(int(x) for x in set(phase) if x > 0):
            extra.append(
                Patch(
                    facecolor="white",
                    edgecolor=plan_maps.phase_colors(pd.Series([p])).iloc[0],
                    linewidth=2,
                    label=f"{ptext['phase']} {p}",
                )
            )
        extra.append(
            Patch(
                facecolor="white",
                edgecolor=plan_maps.NOT_RESTORED_COLOR,
                label=str(ptext["not_restored"]),
            )
        )
        extra += [
            Patch(color=c, label=_legend_label(i, lab, lang))
            for i, (c, lab) in enumerate(plan_maps.journey_legend(lang))
        ]
        return f"{area.name}: {ptext['restoration']}", layers, extra
    if kind == "districts":
        if result.districts is None:
            msg = "This plan has no districts (no blocks layer, or districts were switched off)."
            raise ArgumentError(msg)
        d = result.districts.districts
        d = d[d["level"] == d["level"].iloc[0]]
        palette = {
            s: maps.CATEGORY_COLORS[k % len(maps.CATEGORY_COLORS)]
            for k, s in enumerate(sorted(d["school"]))
        }
        layers = {
            "polygons": d,
            "polygon_colors": [palette[s] for s in d["school"]],
            "schools": open_schools.loc[open_schools.index.isin(d["school"])],
        }
        return f"{area.name}: {ptext['districts']}", layers, extra
    msg = f"Unknown map kind {kind!r}; use one of {', '.join(MAP_KINDS)}."
    raise ArgumentError(msg)


def print_map(
    result: PlanResult | PlanningArea,
    path: str | Path,
    *,
    kind: str = "overview",
    band: str = "g1_3",
    lang: str = "en",
    paper: str = "A4",
    source: str | None = None,
    dpi: int = 150,
) -> Path:
    """Draw a printable map and save it as PDF or PNG (by the suffix of ``path``).

    Parameters
    ----------
    result
        A plan (any kind of map) or a planning area (overview only).
    path
        Destination ``.pdf`` or ``.png``.
    kind
        One of :data:`MAP_KINDS`.
    band
        Grade band of a journeys map.
    lang
        ``"en"`` or ``"zh"``.
    paper
        ``"A4"`` or ``"A3"``, landscape or portrait, whichever draws the map larger
        (:func:`page_layout`).
    source
        Data source line (default: the area's name).
    dpi
        Resolution of a PNG.

    Returns
    -------
    Path
        The file written.
    """
    if paper not in PAPER_MM:
        msg = f"Unknown paper {paper!r}; use one of {', '.join(PAPER_MM)}."
        raise ArgumentError(msg)
    dest = Path(path)
    if dest.suffix.lower() not in (".pdf", ".png"):
        msg = f"Cannot print to {dest.name}: use a .pdf or .png file name."
        raise ArgumentError(msg)
    area = result if isinstance(result, PlanningArea) else result.area
    width_mm, height_mm = PAPER_MM[paper]
    x0, y0, x1, y1 = _extent(area, kind)
    with font_context(lang):
        title, layers, extra = _layers_for(result, kind, lang, band)
        fig = Figure(figsize=(width_mm / 25.4, height_mm / 25.4))
        ax = fig.add_axes((0.02, 0.05, 0.74, 0.87))
        handles = draw_layers(ax, area, lang=lang, **layers)
        FigureCanvasAgg(fig)  # a canvas that measures text
        mm = 25.4 / fig.dpi

        def legend(ncols: int) -> Any:
            return fig.legend(
                handles=handles + extra, loc="upper left", fontsize=8, frameon=False,
                borderaxespad=0.0, borderpad=0.0, ncols=ncols,
            )  # fmt: skip

        sizes = {}
        for ncols in (1, LEGEND_COLUMNS_BELOW):
            trial = legend(ncols)
            box = trial.get_window_extent()
            sizes[ncols] = (box.width * mm + 1.0, box.height * mm + 1.0)
            trial.remove()
        layout = page_layout(
            x1 - x0,
            y1 - y0,
            paper=paper,
            legend_mm=sizes[1][0],
            legend_below_mm=sizes[LEGEND_COLUMNS_BELOW],
        )
        final = legend(LEGEND_COLUMNS_BELOW if layout.legend_below else 1)
        fig.set_size_inches(layout.width_mm / 25.4, layout.height_mm / 25.4)
        ax.set_position(layout.frame)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal", adjustable="datalim")
        final.set_bbox_to_anchor(layout.legend, transform=fig.transFigure)
        _page(fig, ax, title=title, area=area, lang=lang, source=source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(dest, dpi=dpi)
    _logger.info("printable map written to %s", dest)
    return dest


def write_print_maps(
    result: PlanResult, folder: str | Path, *, lang: str = "en", paper: str = "A4"
) -> list[Path]:
    """Every printable map of a plan as PDF and PNG in ``folder``; returns the files written.

    Parameters
    ----------
    result
        The plan.
    folder
        Output folder (created if needed).
    lang
        ``"en"`` or ``"zh"``.
    paper
        ``"A4"`` or ``"A3"``.

    Returns
    -------
    list of Path
        ``print_<kind>_<paper>.pdf`` and ``.png`` per map the plan has.
    """
    out = Path(folder)
    written: list[Path] = []
    for kind in MAP_KINDS:
        if kind == "restoration" and result.restoration is None:
            continue
        if kind == "districts" and result.districts is None:
            continue
        for suffix in ("pdf", "png"):
            written.append(
                print_map(
                    result,
                    out / f"print_{kind}_{paper}.{suffix}",
                    kind=kind,
                    lang=lang,
                    paper=paper,
                )
            )
    return written
