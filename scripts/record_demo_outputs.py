"""Digests of the demo's tables and GeoPackage layers, to show a change left the results alone.

``python scripts/record_demo_outputs.py OUT/demo`` prints one SHA-256 per CSV table and per layer
of ``results.gpkg`` (the layer's rows as CSV, sorted by id, so file timestamps do not count);
``--write`` records them in ``tests/data/demo_outputs.json``, which ``tests/test_demo.py``
compares with a fresh demo run. Re-record only when a change means to alter the results, and say
so in the commit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
from pathlib import Path

import pandas as pd
import pyogrio

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "tests" / "data" / "demo_outputs.json"
TIMED = (
    "district_indicators.csv",
    "district_schools.csv",
    "district_stability.csv",
    "indicators.csv",
    "results.gpkg:county_town_blocks",
    "results.gpkg:school_districts_middle",
    "results.gpkg:school_districts_primary",
    "school_needs.csv",
)
"""Outputs left out: the districts are solved to a gap within a time limit, so on a busy machine
another plan within the gap may come back (and ``indicators.csv`` carries its figures, and
``school_needs.csv`` the district schools' enrolment)."""


def demo_output_digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every ``*.csv`` in ``folder`` and of every layer of its ``results.gpkg``."""
    out = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))}
    gpkg = folder / "results.gpkg"
    for layer, kind in pyogrio.list_layers(gpkg):
        if kind is None:  # QGIS's layer_styles table: styles, not results
            continue
        layer_frame = pyogrio.read_dataframe(gpkg, layer=str(layer))
        frame = pd.DataFrame(layer_frame.drop(columns="geometry"))
        frame["geometry"] = layer_frame.geometry.to_wkt(rounding_precision=3).to_numpy()
        frame = frame.sort_values(list(frame.columns[:1])).reset_index(drop=True)
        text = frame.to_csv(index=False, float_format="%.6g")
        out[f"results.gpkg:{layer}"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return {k: v for k, v in out.items() if k not in TIMED}


def main() -> None:
    """Print (or record) the digests of a demo output folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a demo output folder (OUT/demo)")
    parser.add_argument("--write", action="store_true", help=f"record in {RECORD}")
    args = parser.parse_args()
    digests = demo_output_digests(args.folder)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    record = {"recorded_at_commit": commit, "digests": digests}
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    if args.write:
        RECORD.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
