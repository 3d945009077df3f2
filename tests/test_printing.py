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
    width_mm, height_mm = printing.PAPER_MM[paper]
    with Image.open(path) as img:
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
