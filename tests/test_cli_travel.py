"""`geoplan travel` from the command line: the tiny county on a street grid, and the demo county."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from pyproj import Geod

import geoplan.network.travel as travel_module
from geoplan.cli import main
from geoplan.data.datasets import demo_county, demo_folder

TINY = Path(__file__).parent / "data" / "good" / "tiny"
# The tiny county's villages and schools stand on whole hundredths of a degree, so on this grid
# of streets every 0.01 degrees they sit on junctions and the shortest road is known exactly.
LON = np.round(np.arange(86.40, 86.6001, 0.01), 2)
LAT = np.round(np.arange(42.24, 42.3601, 0.01), 2)
VILLAGES = {  # from tests/data/good/tiny/villages.csv (degrees-minutes-seconds converted)
    "V1": (86.42, 42.27),
    "V2": (86.45, 42.30),
    "V3": (86.48, 42.33),
    "V4": (86.52, 42.26),
    "V5": (86.56, 42.29),
    "V6": (86.58, 42.34),
}
GEOD = Geod(ellps="WGS84")


def grid_osm() -> str:
    """OSM XML of residential streets along every row and column of the grid."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    node = {}
    for i, lat in enumerate(LAT):
        for j, lon in enumerate(LON):
            node[i, j] = 1 + i * 100 + j
            lines.append(f'<node id="{node[i, j]}" lat="{lat}" lon="{lon}"/>')
    way = 1
    for i in range(len(LAT)):
        refs = "".join(f'<nd ref="{node[i, j]}"/>' for j in range(len(LON)))
        lines.append(f'<way id="{way}">{refs}<tag k="highway" v="residential"/></way>')
        way += 1
    for j in range(len(LON)):
        refs = "".join(f'<nd ref="{node[i, j]}"/>' for i in range(len(LAT)))
        lines.append(f'<way id="{way}">{refs}<tag k="highway" v="residential"/></way>')
        way += 1
    lines.append("</osm>")
    return "\n".join(lines)


def grid_metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Shortest street distance on the grid, worked independently of geoplan.

    East-west along the parallel of the northern point (parallels shorten northwards; going
    further north costs more than it saves), north-south along any meridian.
    """
    (lon1, lat1), (lon2, lat2) = a, b
    north = max(lat1, lat2)
    steps = np.round(np.arange(min(lon1, lon2), max(lon1, lon2) + 1e-9, 0.01), 2)
    ew = sum(GEOD.inv(x1, north, x2, north)[2] for x1, x2 in itertools.pairwise(steps))
    lats = np.round(np.arange(min(lat1, lat2), max(lat1, lat2) + 1e-9, 0.01), 2)
    ns = sum(GEOD.inv(lon1, y1, lon1, y2)[2] for y1, y2 in itertools.pairwise(lats))
    return float(ew + ns)


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOPLAN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "travel-cache"))


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    (folder / "roads.osm").write_text(grid_osm(), encoding="utf-8")
    return folder


def schools_lonlat(folder: Path) -> dict[str, tuple[float, float]]:
    from geoplan.data.readers import read_planning_area

    schools = read_planning_area(folder).schools.to_crs(4326)
    return {
        str(i): (round(float(p.x), 2), round(float(p.y), 2))
        for i, p in zip(schools.index, schools.geometry, strict=True)
    }


def test_long_csv_matches_the_grid_by_hand(tiny: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "walk.csv"
    code = main(["travel", str(tiny), "--mode", "pupil_walk", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert "6 villages x 3 schools by pupil_walk" in capsys.readouterr().out
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"villages_id": str, "schools_id": str})
    assert list(table.columns) == [
        "mode", "villages_id", "schools_id", "distance_m", "time_min", "reachable",
    ]  # fmt: skip
    schools = schools_lonlat(tiny)
    assert len(table) == len(VILLAGES) * len(schools)
    for row in table.itertuples():
        want = grid_metres(VILLAGES[row.villages_id], schools[row.schools_id])
        assert row.distance_m == pytest.approx(want, abs=0.02)  # written to 2 decimals
        assert row.time_min == pytest.approx(want / (4000 / 60), abs=0.02)  # 4 km/h
        assert row.reachable


def test_wide_xlsx_has_minutes_and_metres_sheets(tiny: Path, tmp_path: Path) -> None:
    long_out, wide_out = tmp_path / "long.csv", tmp_path / "wide.xlsx"
    assert main(["travel", str(tiny), "--mode", "car", "--out", str(long_out)]) == 0
    assert main(["travel", str(tiny), "--mode", "car", "--out", str(wide_out), "--wide"]) == 0
    book = openpyxl.load_workbook(wide_out, read_only=True)
    assert book.sheetnames == ["time_min", "distance_m"]
    wide = pd.read_excel(wide_out, sheet_name="time_min", index_col=0, engine="calamine")
    wide.index = wide.index.astype(str)
    long = pd.read_csv(long_out, encoding="utf-8-sig", dtype={"villages_id": str})
    assert wide.shape == (6, 3)
    for row in long.itertuples():
        assert wide.loc[row.villages_id, str(row.schools_id)] == pytest.approx(
            row.time_min, abs=0.011
        )


def test_blocks_to_schools_with_a_cutoff_leave_long_journeys_empty(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["travel", str(tiny), "--mode", "pupil_walk", "--from", "villages", "--to", "schools"]
    assert main([*args, "--cutoff-min", "60"]) == 0
    out = tmp_path / "outputs" / "travel_pupil_walk_villages_schools.csv"  # the default
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table["time_min"].max() <= 60
    assert table["time_min"].isna().any() and table["time_min"].notna().any()
    assert (table["reachable"] == table["time_min"].notna()).all()
    blocks_out = tmp_path / "blocks.csv"
    assert main(["travel", str(tiny), "--mode", "car", "--from", "blocks", "--to", "schools",
                 "--out", str(blocks_out)]) == 0  # fmt: skip
    blocks = pd.read_csv(blocks_out, encoding="utf-8-sig")
    assert sorted(set(blocks["blocks_id"])) == ["B1", "B2"]
    assert len(blocks) == 2 * 3 and blocks["reachable"].all()


def test_wide_xlsx_too_big_for_excel_is_refused_clearly(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(travel_module, "EXCEL_MAX_CELLS", 10)  # 6 x 3 = 18 cells is "too big"
    out = tmp_path / "wide.xlsx"
    assert main(["travel", str(tiny), "--mode", "car", "--out", str(out), "--wide"]) == 1
    err = capsys.readouterr().err
    assert "too big for Excel" in err and "18 cells" in err and "drop --wide" in err
    assert not out.exists()
    assert main(["travel", str(tiny), "--mode", "car", "--out", str(out)]) == 0  # long is fine


def test_folder_without_roads_and_bad_suffix_are_clear_errors(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "t"
    shutil.copytree(TINY, folder)
    (folder / "roads.osm").unlink()
    assert main(["travel", str(folder), "--mode", "car", "--out", str(tmp_path / "x.csv")]) == 1
    assert "no road network" in capsys.readouterr().err
    (folder / "roads.osm").write_text(grid_osm(), encoding="utf-8")
    assert main(["travel", str(folder), "--mode", "car", "--out", str(tmp_path / "x.txt")]) == 1
    assert ".csv or .xlsx" in capsys.readouterr().err


def test_demo_folder_sites_to_schools_with_the_winter_pass_closed(tmp_path: Path) -> None:
    area = demo_county()
    base = ["travel", str(demo_folder()), "--mode", "car", "--from", "sites", "--to", "schools"]
    open_out, shut_out = tmp_path / "open.csv", tmp_path / "shut.csv"
    assert main([*base, "--out", str(open_out)]) == 0
    assert main([*base, "--out", str(shut_out), "--close", "Aqik Winter Pass"]) == 0
    open_ = pd.read_csv(open_out, encoding="utf-8-sig", dtype=str).set_index(
        ["sites_id", "schools_id"]
    )
    shut = pd.read_csv(shut_out, encoding="utf-8-sig", dtype=str).set_index(
        ["sites_id", "schools_id"]
    )
    assert len(open_) == len(area.sites) * len(area.schools)
    assert set(open_.index.get_level_values(0)) == set(area.sites.index)
    before = open_["time_min"].astype(float).fillna(np.inf)
    after = shut["time_min"].astype(float).reindex(before.index).fillna(np.inf)
    assert (after >= before - 0.011).all()  # 2-decimal rounding
    assert (after > before + 0.011).any()
