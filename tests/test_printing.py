"""Tests of geoplan.outputs.printing: scale bars by hand, paper sizes, Chinese text."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from matplotlib import font_manager
from PIL import Image

from geoplan.outputs import printing
from geoplan.plan.pipeline import PlanResult


@pytest.mark.parametrize(
    ("width_m", "length_m"),
    [
        (100_000.0, 20_000.0),
        (50_000.0, 10_000.0),
        (260_000.0, 50_000.0),
        (7_000.0, 1_000.0),
        (1_000.0, 200.0),
    ],
)
def test_nice_scale_length(width_m: float, length_m: float) -> None:
    assert printing.nice_scale_length(width_m) == length_m


@pytest.mark.parametrize(("paper", "dpi"), [("A4", 50), ("A3", 40)])
def test_png_has_the_paper_size(
    hostile_plan: PlanResult, tmp_path: Path, paper: str, dpi: int
) -> None:
    path = printing.print_map(
        hostile_plan, tmp_path / "m.png", kind="restoration", paper=paper, dpi=dpi
    )
    long_mm, short_mm = printing.PAPER_MM[paper]
    with Image.open(path) as img:
        width_mm, height_mm = (long_mm, short_mm) if img.width > img.height else (short_mm, long_mm)
        assert abs(img.width - width_mm / 25.4 * dpi) <= 1
        assert abs(img.height - height_mm / 25.4 * dpi) <= 1
        assert len(img.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 10


def test_write_print_maps_pdf_and_png(hostile_plan: PlanResult, tmp_path: Path) -> None:
    written = printing.write_print_maps(hostile_plan, tmp_path, lang="zh")
    names = sorted(p.name for p in written)
    assert names == sorted(
        f"print_{k}_A4.{s}" for k in ("overview", "journeys", "restoration") for s in ("pdf", "png")
    )
    assert all(p.read_bytes()[:4] in (b"%PDF", b"\x89PNG") for p in written)


@pytest.mark.cjk_font
def test_cjk_font_found_here() -> None:
    font = printing.find_cjk_font()
    assert font is not None and font.path.exists() and "CJK" in font.family
    # matplotlib draws with it whatever its font cache held before
    assert font.family in {f.name for f in font_manager.fontManager.ttflist}


@pytest.mark.cjk_font
def test_chinese_map_uses_the_cjk_font_and_warns_nothing(
    hostile_plan: PlanResult, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="geoplan.outputs.printing"):
        printing.print_map(hostile_plan, tmp_path / "m.png", kind="overview", lang="zh", dpi=30)
    assert "no CJK font" not in caplog.text


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig's fc-list is not installed")
def test_without_a_cjk_font_chinese_maps_warn_once_and_english_never(
    no_cjk_font: None, hostile_plan: PlanResult, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert printing.find_cjk_font() is None
    with caplog.at_level(logging.WARNING, logger="geoplan.outputs.printing"):
        printing.write_print_maps(hostile_plan, tmp_path / "en", lang="en")
        assert "no CJK font" not in caplog.text  # no Chinese text drawn
        written = printing.write_print_maps(hostile_plan, tmp_path / "zh", lang="zh")
    assert len(written) == 6  # drawn all the same, Chinese glyphs as boxes
    assert caplog.text.count("no CJK font") == 1, caplog.text
    assert "apt-get install fonts-noto-cjk" in caplog.text


def test_bad_requests_are_refused(hostile_plan: PlanResult, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="paper"):
        printing.print_map(hostile_plan, tmp_path / "m.pdf", paper="Letter")
    with pytest.raises(ValueError, match=r"\.pdf or \.png"):
        printing.print_map(hostile_plan, tmp_path / "m.svg")
    with pytest.raises(ValueError, match="no districts"):
        printing.print_map(hostile_plan, tmp_path / "m.pdf", kind="districts")


@pytest.mark.parametrize(
    ("width", "height", "landscape", "below"),
    [(1.0, 2.0, False, False), (2.0, 1.0, True, True), (3.0, 1.0, True, True),
     (1.0, 3.0, False, False), (1.0, 1.0, True, False)],
)  # fmt: skip
def test_page_layout_fits_the_shape_and_fills_the_page(
    width: float, height: float, landscape: bool, below: bool
) -> None:
    legend_mm, below_mm = 55.0, (200.0, 18.0)
    layout = printing.page_layout(width, height, legend_mm=legend_mm, legend_below_mm=below_mm)
    assert (layout.landscape, layout.legend_below) == (landscape, below)
    left, bottom, w, h = layout.frame
    pw, ph = layout.width_mm, layout.height_mm
    assert w * pw / (h * ph) == pytest.approx(width / height)  # the frame has the county's shape
    # by hand: the frame fills the space left by the margins and the legend in one direction
    avail_w = pw - 2 * printing.MARGIN_MM - (0 if below else printing.GAP_MM + legend_mm)
    avail_h = (
        ph
        - printing.TITLE_MM
        - printing.FOOTER_MM
        - (printing.GAP_MM + below_mm[1] if below else 0)
    )
    assert max(w * pw / avail_w, h * ph / avail_h) == pytest.approx(1.0)
    assert left * pw >= printing.MARGIN_MM - 1e-9
    if below:
        assert layout.legend[1] * ph <= bottom * ph - printing.GAP_MM + 1e-9
    else:
        assert layout.legend[0] * pw == pytest.approx((left + w) * pw + printing.GAP_MM)
        assert layout.legend[0] * pw + legend_mm <= pw - printing.MARGIN_MM + 1e-9
    # worked by hand on A4 (avail. = page - margins - legend): e.g. 2:1 landscape beside the
    # legend 222 x 111 mm, below it 281 x 140.5 mm; portrait below 194 x 97 mm: below wins;
    # a 200 mm wide legend is not set below on a portrait page (194 mm between the margins)


def test_a_tall_county_prints_portrait(hostile_plan: PlanResult, tmp_path: Path) -> None:
    import dataclasses

    from shapely.affinity import scale

    area = hostile_plan.area
    tall = dataclasses.replace(
        area,
        townships=area.townships.set_geometry(
            area.townships.geometry.map(lambda g: scale(g, 1.0, 4.0, origin=(0, 0)))
        ),
    )
    path = printing.print_map(tall, tmp_path / "tall.png", dpi=30)
    with Image.open(path) as img:
        assert img.height > img.width
