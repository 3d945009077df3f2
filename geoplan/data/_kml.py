"""Locations from KML/KMZ points (Ovital 奥维, Tianditu, Google Earth) joined to a table by name.

Plumbing of :mod:`geoplan.data.readers`. ``villages.kml`` gives the points and their names,
``villages.xlsx`` the pupils. A point's township is its KML folder when the folder names a township
(id, ``name`` or ``name_zh``), else the township polygon it lies in. A table row takes the point of
the same township whose name equals its ``name`` or ``name_zh`` (spaces and full-width forms
ignored). Unmatched names on either side are reported with the closest names of the other side.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.data.area import ID_INDEX
from geoplan.data.crs import OFFSET_SYSTEMS, WGS84
from geoplan.data.files import _kml_folders, _Source
from geoplan.data.messages import coded_problem
from geoplan.data.validation import GEOMETRY_REPORTED, ROW_COLUMN, id_text
from geoplan.errors import Problem


def _key(name: Any) -> str:
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name))).lower()


def township_names(townships: gpd.GeoDataFrame | None) -> dict[str, str]:
    """Township id, ``name`` or ``name_zh`` (as :func:`_key`) -> township id."""
    out: dict[str, str] = {}
    if townships is None or ID_INDEX not in townships:
        return out
    for column in (ID_INDEX, "name", "name_zh"):
        if column not in townships:
            continue
        for tid, value in zip(townships[ID_INDEX], townships[column], strict=True):
            if _key(value):
                out.setdefault(_key(value), id_text(tid))
    return out


def _read_points(source: _Source, problems: list[Problem]) -> gpd.GeoDataFrame | None:
    path = source.locations
    assert path is not None
    label = path.name
    try:
        parts = [gdf.assign(_folder=name) for name, gdf in _kml_folders(path)]
    except Exception as err:
        problems.append(coded_problem("kml_unreadable", label, source.layer, "", "", "", error=err))
        return None
    if not parts:
        return gpd.GeoDataFrame({"Name": [], "_folder": []}, geometry=[], crs=WGS84)
    points = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs or WGS84)
    points = points.set_geometry(shapely.force_2d(points.geometry.to_numpy()))
    is_point = points.geometry.geom_type == "Point"
    if (~is_point).any():
        problems.append(
            coded_problem(
                "kml_not_points",
                label,
                source.layer,
                "",
                "",
                ", ".join(str(n) for n in points.loc[~is_point, "Name"].head(5)),
                severity="warning",
                count=int((~is_point).sum()),
            )
        )
    points = points[is_point].reset_index(drop=True)
    if "Name" not in points:
        points["Name"] = None
    return points.to_crs(WGS84)


_FIELD = re.compile(r"<(?:Simple)?(?:Data|Field)\s+name=[\"']([^\"']+)[\"']")
"""An ExtendedData field of a placemark (``<Data name=...>``, ``<SimpleData name=...>``)."""


def _kml_fields(path: Path) -> list[str]:
    """The ExtendedData field names of a KML/KMZ file as written (GDAL drops Chinese ones)."""
    try:
        if path.suffix.lower() == ".kmz":
            with zipfile.ZipFile(path) as kmz:
                inner = [n for n in kmz.namelist() if n.lower().endswith(".kml")]
                text = kmz.read(inner[0]).decode("utf-8", "replace") if inner else ""
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
    except (OSError, zipfile.BadZipFile):
        return []
    return list(dict.fromkeys(_FIELD.findall(text)))


def _closest(name: str, options: list[str], *, first: Sequence[str] = ()) -> str:
    """Up to three names like ``name``: those of ``first`` (left unmatched), then ``options``."""
    ranked = [*_similar(name, first), *_similar(name, options)]
    close = list(dict.fromkeys(ranked))[:3]
    return ", ".join(close) if close else "—"


def _similar(name: str, options: Sequence[str]) -> list[str]:
    """``options`` at least 0.3 alike to ``name`` (after :func:`_key`), the most alike first."""
    key = _key(name)
    scored = [(difflib.SequenceMatcher(None, key, _key(o)).ratio(), o) for o in options]
    return [o for r, o in sorted(scored, key=lambda ro: -ro[0]) if r >= 0.3]


def _compared(row: pd.Series, names_col: list[str], options: list[str]) -> tuple[str, str]:
    """The name column of ``row`` most like one of ``options``, and its value (as compared)."""
    best = ("", "", -1.0)
    for column in names_col:
        value = str(row[column]) if _key(row[column]) else ""
        if not value:
            continue
        ratio = max(
            (difflib.SequenceMatcher(None, _key(value), _key(o)).ratio() for o in options),
            default=0.0,
        )
        if ratio > best[2]:
            best = (column, value, ratio)
    return best[0] or "name", best[1]


def join_locations(
    frame: pd.DataFrame,
    source: _Source,
    townships: gpd.GeoDataFrame | None,
    offset: str | None,
    problems: list[Problem],
) -> gpd.GeoDataFrame | None:
    """``frame`` (a table without coordinates) with the points of ``source.locations``.

    Parameters
    ----------
    frame
        The table, headers mapped onto the contract (``name``, ``name_zh``, ``township``).
    source
        The table's source; ``source.locations`` is the KML/KMZ file.
    townships
        The raw townships layer (``id`` column), for folders and containment; may be None.
    offset
        ``gcj02`` or ``bd09`` when ``columns.yaml`` declares the points so; else None (WGS-84).
    problems
        Appended to.
    """
    assert source.locations is not None
    points = _read_points(source, problems)
    if points is None:
        return None
    label = source.locations.name
    if offset is not None:
        lon, lat = OFFSET_SYSTEMS[offset](
            points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
        )
        points = points.set_geometry(shapely.points(lon, lat), crs=WGS84)
    by_name = township_names(townships)
    point_township: list[str | None] = [by_name.get(_key(f)) for f in points["_folder"]]
    if townships is not None and len(townships) and any(t is None for t in point_township):
        polygons = townships.to_crs(WGS84)
        hits = gpd.sjoin(points[["geometry"]], polygons[[ID_INDEX, "geometry"]], predicate="within")
        inside = {int(i): id_text(t) for i, t in zip(hits.index, hits[ID_INDEX], strict=True)}
        point_township = [
            t if t is not None else inside.get(i) for i, t in enumerate(point_township)
        ]
    index: dict[tuple[str | None, str], list[int]] = {}
    for i, (name, tw) in enumerate(zip(points["Name"], point_township, strict=True)):
        index.setdefault((tw, _key(name)), []).append(i)
        if tw is not None:
            index.setdefault((None, _key(name)), []).append(i)
    owner: dict[int, str] = {}
    geoms: list[Any] = [None] * len(frame)
    reported = np.zeros(len(frame), dtype=bool)
    names_col = [c for c in ("name", "name_zh") if c in frame]
    ids = frame[ID_INDEX].map(id_text) if ID_INDEX in frame else frame[ROW_COLUMN]
    all_names = [str(n) for n in points["Name"] if _key(n)]
    if len(points) and not all_names:  # one error naming what the placemarks do have
        problems.append(
            coded_problem(
                "kml_no_names", label, source.layer, "", "name", "",
                label=label, table=source.label,
                fields=", ".join(_kml_fields(source.locations)) or "—",
            )
        )  # fmt: skip
        gdf = gpd.GeoDataFrame(frame.copy(), geometry=[None] * len(frame), crs=WGS84)
        gdf[GEOMETRY_REPORTED] = True
        return gdf
    unmatched: list[tuple[int, int, str, str | None]] = []  # (problem at, row, id, township)
    for k in range(len(frame)):
        row = frame.iloc[k]
        tw = by_name.get(_key(row["township"])) if "township" in frame else None
        found: list[int] = []
        for column in names_col:
            name = _key(row[column])
            if not name:
                continue
            found = index.get((tw, name), []) if tw is not None else []
            if not found:
                unplaced = [i for i in index.get((None, name), []) if point_township[i] is None]
                found = unplaced or (index.get((None, name), []) if tw is None else [])
            if found:
                break
        rid = ids.iloc[k] or str(row[ROW_COLUMN])
        shown = " / ".join(str(row[c]) for c in names_col if _key(row[c]))
        if len(found) == 1 and found[0] not in owner:
            geoms[k] = points.geometry.iloc[found[0]]
            owner[found[0]] = rid
            continue
        reported[k] = True
        if len(found) == 1:
            problems.append(
                source.coded(
                    "kml_point_taken", rid, "name", shown, label=label, owner=owner[found[0]]
                )
            )
            continue
        if found:
            problems.append(
                coded_problem(
                    "kml_name_twice",
                    label,
                    source.layer,
                    rid,
                    "name",
                    shown,
                    count=len(found),
                    label=label,
                    township=tw,
                )
            )
            continue
        unmatched.append((len(problems), k, rid, tw))
    # a row named by no point is told the points left without a row first (a typo on one side
    # leaves one of each), once every point's row is known
    for at, k, rid, tw in reversed(unmatched):
        pool = [i for i, t in enumerate(point_township) if (t == tw or tw is None)]
        pool = [i for i in pool if _key(points["Name"].iloc[i])] or list(range(len(points)))
        free = [str(points["Name"].iloc[i]) for i in pool if i not in owner]
        taken = [str(points["Name"].iloc[i]) for i in pool if i in owner]
        column, value = _compared(frame.iloc[k], names_col, free or taken)
        problems.insert(
            at,
            source.coded(
                "kml_no_point_in_township" if tw is not None else "kml_no_point",
                rid,
                column,
                value,
                label=label,
                township=tw,
                table=source.label,
                closest=_closest(value, taken, first=free),
            ),
        )
    unmatched_rows = [str(frame.iloc[k][c]) for _, k, _, _ in unmatched for c in names_col]
    table_names = [str(v) for c in names_col for v in frame[c] if _key(v)]
    for i in range(len(points)):
        if i in owner:
            continue
        name = str(points["Name"].iloc[i])
        problems.append(
            coded_problem(
                "kml_point_without_row",
                label,
                source.layer,
                f"point {i + 1}",
                "name",
                name,
                severity="warning",
                table=source.label,
                closest=_closest(name, table_names, first=[n for n in unmatched_rows if _key(n)]),
            )
        )
    placed = int((~reported).sum())
    problems.append(
        source.coded(
            "kml_joined",
            "",
            "",
            label,
            severity="note",
            placed=placed,
            rows=len(frame),
            label=label,
        )
    )
    gdf = gpd.GeoDataFrame(frame.copy(), geometry=geoms, crs=WGS84)
    gdf[GEOMETRY_REPORTED] = reported
    return gdf
