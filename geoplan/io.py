"""Reading planning-area folders, writing layers, and writing output folders atomically.

A planning-area folder holds one county: one GeoPackage with layers named ``townships``,
``villages``, ``schools``, ``sites``, ``blocks``, or files named by layer (``villages.csv``,
``schools.xlsx``, ``townships.shp`` ...), plus an optional ``columns.yaml`` mapping local headers
onto the contract and an optional ``area.yaml`` (``name``, ``synthetic``, ``crs``). Every problem
found is collected and raised once as a :class:`~geoplan._errors.ValidationError`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io as _stdio
import logging
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import yaml
from pyproj import CRS

from ._errors import CRSError, MissingInputError, Problem, ValidationError
from ._validate import GEOMETRY_REPORTED, ROW_COLUMN, check_lonlat, id_text, validate_layers
from .area import ID_HEADERS, ID_INDEX, LAYERS, REQUIRED_LAYERS, PlanningArea
from .crs import OFFSET_SYSTEMS, WGS84, choose_metric_crs, is_cgcs2000, parse_coordinate_system

logger = logging.getLogger(__name__)

VECTOR_SUFFIXES: tuple[str, ...] = (".gpkg", ".geojson", ".json", ".shp")
TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx")
ROAD_FILES: tuple[str, ...] = (
    "roads.osm",
    "roads.osm.bz2",
    "roads.osm.pbf",
    "roads.graphml",
    "roads.gpkg",
)
"""Road files looked for in a planning-area folder, in this order."""

COORDINATE_HEADERS: dict[str, tuple[str, ...]] = {
    "lon": ("lon", "lng", "long", "longitude", "经度", "东经"),
    "lat": ("lat", "latitude", "纬度", "北纬"),
    "x": ("x", "东坐标", "横坐标", "easting"),
    "y": ("y", "北坐标", "纵坐标", "northing"),
}
"""Headers read as coordinates without a ``columns.yaml`` (case-insensitive)."""

TEXT_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")
"""Encodings tried, in order, for CSV files and shapefile DBFs without a ``.cpg``."""


@dataclass
class _Source:
    layer: str
    path: Path
    gpkg_layer: str | None = None

    @property
    def label(self) -> str:
        if self.gpkg_layer is not None:
            return f"{self.path.name}:{self.gpkg_layer}"
        return self.path.name

    @property
    def is_table(self) -> bool:
        return self.gpkg_layer is None and self.path.suffix.lower() in TABLE_SUFFIXES


@dataclass
class _Settings:
    """What ``columns.yaml`` says: header mappings and coordinate systems per layer."""

    mapping: dict[str, dict[str, str]] = field(default_factory=dict)
    coordinates: dict[str, str] = field(default_factory=dict)
    default_coordinates: str | None = None
    file: str = "columns.yaml"

    def coordinates_for(self, layer: str) -> str | None:
        return self.coordinates.get(layer, self.default_coordinates)


# --------------------------------------------------------------------------- angles


_HEMISPHERES: tuple[tuple[str, int], ...] = (
    ("东经", 1),
    ("北纬", 1),
    ("西经", -1),
    ("南纬", -1),
    ("东", 1),
    ("北", 1),
    ("西", -1),
    ("南", -1),
    ("E", 1),
    ("N", 1),
    ("W", -1),
    ("S", -1),
)
_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_SEPARATORS = re.compile(r"[°º˚度′'’‘´分″\"”“秒:\s]+")


def parse_angle(value: Any) -> float:
    r"""Decimal degrees from a number or a degrees-minutes-seconds text.

    Accepts ``86.5``, ``"86°23′45″"``, ``"86°23'45\""``, ``"东经86°23′45″"``, ``"北纬42.5"``,
    ``"86 23 45.5"``, ``"86度23分45秒"``, ``"42.5N"``; ``nan`` for an empty value.

    Raises
    ------
    ValueError
        When the text is not an angle.
    """
    if value is None:
        return math.nan
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace("，", ",").replace("．", ".").replace("－", "-")
    if not text:
        return math.nan
    sign = 1
    for word, hemi in _HEMISPHERES:
        if text.upper().startswith(word):
            text, sign = text[len(word) :].strip(), hemi
            break
        if text.upper().endswith(word):
            text, sign = text[: -len(word)].strip(), hemi
            break
    if text.startswith("-"):
        sign, text = -sign, text[1:]
    elif text.startswith("+"):
        text = text[1:]
    parts = _NUMBER.findall(text)
    rest = _SEPARATORS.sub("", _NUMBER.sub("", text))
    if not parts or rest or len(parts) > 3:
        msg = f"not an angle: {value!r}"
        raise ValueError(msg)
    numbers = [float(p) for p in parts]
    if any(n >= 60 for n in numbers[1:]):
        msg = f"minutes and seconds must be below 60: {value!r}"
        raise ValueError(msg)
    degrees = numbers[0] + sum(n / 60**k for k, n in enumerate(numbers[1:], 1))
    return float(sign * degrees)


# --------------------------------------------------------------------------- settings


def _read_yaml(path: Path, problems: list[Problem], layer: str = "") -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        problems.append(
            Problem(
                path.name,
                layer,
                "",
                "",
                "",
                f"Cannot read the file: {err}",
                "Save it as UTF-8 YAML (see docs/data.md).",
            )
        )
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.append(
            Problem(
                path.name,
                layer,
                "",
                "",
                "",
                "Expected a mapping of keys to values.",
                "See docs/data.md for the layout.",
            )
        )
        return {}
    return data


def _read_settings(path: Path | None, problems: list[Problem]) -> _Settings:
    settings = _Settings()
    if path is None:
        return settings
    settings.file = path.name
    data = _read_yaml(path, problems)
    for key, value in data.items():
        if key == "coordinates":
            if isinstance(value, str):
                settings.default_coordinates = value
            elif isinstance(value, dict):
                settings.coordinates = {str(k): str(v) for k, v in value.items()}
            continue
        if key not in LAYERS:
            problems.append(
                Problem(
                    path.name,
                    str(key),
                    "",
                    "",
                    str(key),
                    "Unknown section.",
                    f"Use one of: {', '.join(LAYERS)}, coordinates.",
                )
            )
            continue
        if not isinstance(value, dict):
            problems.append(
                Problem(
                    path.name,
                    key,
                    "",
                    "",
                    str(value),
                    "A layer section must map local headers to contract columns.",
                    "Write lines such as `村名: name` under the layer.",
                )
            )
            continue
        known = {c.name for c in LAYERS[key]} | {ID_INDEX, *COORDINATE_HEADERS}
        mapping: dict[str, str] = {}
        for local, target in value.items():
            if str(target) not in known:
                problems.append(
                    Problem(
                        path.name,
                        key,
                        "",
                        str(local),
                        str(target),
                        "Not a column of the contract.",
                        f"Map onto one of: {', '.join(sorted(known))}.",
                    )
                )
                continue
            mapping[str(local).strip()] = str(target)
        settings.mapping[key] = mapping
    return settings


# --------------------------------------------------------------------------- finding files


def _find_sources(folder: Path, single_gpkg: Path | None) -> dict[str, _Source]:
    sources: dict[str, _Source] = {}
    if single_gpkg is None:
        for layer in LAYERS:
            for suffix in (*VECTOR_SUFFIXES, *TABLE_SUFFIXES):
                candidate = folder / f"{layer}{suffix}"
                if candidate.is_file():
                    sources[layer] = _Source(layer, candidate)
                    break
        gpkgs = [
            p
            for p in sorted(folder.glob("*.gpkg"))
            if p.stem not in LAYERS and p.name not in ROAD_FILES
        ]
    else:
        gpkgs = [single_gpkg]
    for gpkg in gpkgs:
        try:
            names = [str(row[0]) for row in pyogrio.list_layers(gpkg)]
        except Exception:
            logger.warning("Cannot list the layers of %s", gpkg)
            continue
        for layer in LAYERS:
            if layer in names and layer not in sources:
                sources[layer] = _Source(layer, gpkg, layer)
    return sources


def find_roads(folder: Path) -> Path | None:
    """The road file of a planning-area folder (see :data:`ROAD_FILES`), if any."""
    for name in ROAD_FILES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


# --------------------------------------------------------------------------- reading files


def _decode(data: bytes) -> tuple[str | None, int]:
    """Text of ``data`` in the first encoding that fits, and the failing byte offset if none."""
    offset = 0
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding), -1
        except UnicodeDecodeError as err:
            offset = max(offset, err.start)
    return None, offset


def _undecodable(source: _Source, data: bytes, offset: int) -> Problem:
    line = data[:offset].count(b"\n") + 1
    return Problem(
        source.label,
        source.layer,
        f"line {line}",
        "",
        data[offset : offset + 4].hex(" "),
        f"Undecodable text (neither {' nor '.join(TEXT_ENCODINGS)}) at byte {offset}.",
        "Save the file as UTF-8 (Excel: 'CSV UTF-8') or GBK.",
    )


def _read_csv(source: _Source, problems: list[Problem]) -> pd.DataFrame | None:
    data = source.path.read_bytes()
    text, offset = _decode(data)
    if text is None:
        problems.append(_undecodable(source, data, offset))
        return None
    frame = pd.read_csv(_stdio.StringIO(text), dtype=str, keep_default_na=False)
    if len(frame.columns) == 1 and ("\t" in text or ";" in text):
        sep = "\t" if "\t" in text else ";"
        frame = pd.read_csv(_stdio.StringIO(text), dtype=str, keep_default_na=False, sep=sep)
    frame[ROW_COLUMN] = [f"line {i + 2}" for i in range(len(frame))]
    return frame


def _read_xlsx(source: _Source, problems: list[Problem]) -> pd.DataFrame | None:
    try:
        frame = pd.read_excel(source.path, sheet_name=0, dtype=object, engine="openpyxl")
    except Exception as err:
        problems.append(
            Problem(
                source.label,
                source.layer,
                "",
                "",
                "",
                f"Cannot read the workbook: {err}",
                "Save it from Excel or WPS as .xlsx.",
            )
        )
        return None
    frame = frame.dropna(how="all")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame[ROW_COLUMN] = [f"Excel row {int(i) + 2}" for i in frame.index]
    return frame.reset_index(drop=True)


def _read_vector(source: _Source, problems: list[Problem]) -> gpd.GeoDataFrame | None:
    path = source.path
    kwargs: dict[str, Any] = {}
    if source.gpkg_layer is not None:
        kwargs["layer"] = source.gpkg_layer
    encodings: tuple[str | None, ...] = (None,)
    if path.suffix.lower() == ".shp" and not path.with_suffix(".cpg").exists():
        encodings = ("utf-8", "gb18030")
    last: Exception | None = None
    for encoding in encodings:
        try:
            gdf = pyogrio.read_dataframe(path, encoding=encoding, **kwargs)
        except UnicodeDecodeError as err:
            last = err
            continue
        except Exception as err:
            problems.append(
                Problem(
                    source.label,
                    source.layer,
                    "",
                    "",
                    "",
                    f"Cannot read the file: {err}",
                    "Check that the file is complete (a shapefile needs .shp, .shx, .dbf).",
                )
            )
            return None
        if not isinstance(gdf, gpd.GeoDataFrame):
            gdf = gpd.GeoDataFrame(gdf)
        gdf[ROW_COLUMN] = [f"feature {i + 1}" for i in range(len(gdf))]
        return gdf
    problems.append(
        Problem(
            source.label,
            source.layer,
            "",
            "",
            "",
            f"Undecodable text in the attribute table (neither UTF-8 nor GB18030): {last}",
            f"Add a {path.with_suffix('.cpg').name} file naming the encoding (e.g. GBK).",
        )
    )
    return None


# --------------------------------------------------------------------------- headers


def _norm(header: str) -> str:
    return str(header).strip().lower()


def _header_lookup(layer: str, *, shapefile: bool) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in LAYERS[layer]:
        lookup[_norm(column.name)] = column.name
        if shapefile:
            lookup.setdefault(_norm(column.name[:10]), column.name)
        if column.zh:
            lookup.setdefault(_norm(column.zh), column.name)
    for header in ID_HEADERS:
        lookup[_norm(header)] = ID_INDEX
    for target, headers in COORDINATE_HEADERS.items():
        for header in headers:
            lookup.setdefault(_norm(header), target)
    return lookup


def _rename(
    frame: pd.DataFrame, layer: str, settings: _Settings, source: _Source, problems: list[Problem]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename headers onto the contract (columns.yaml first, then built-in headers)."""
    explicit = settings.mapping.get(layer, {})
    lookup = _header_lookup(layer, shapefile=source.path.suffix.lower() == ".shp")
    headers = [str(c) for c in frame.columns if c not in (ROW_COLUMN, "geometry")]
    renames: dict[str, str] = {}
    for header in headers:
        stripped = header.strip()
        if stripped in explicit:
            renames[header] = explicit[stripped]
            continue
        candidates = [stripped, *[p.strip() for p in re.split(r"\s*/\s*", stripped)]]
        for candidate in candidates:
            target = lookup.get(_norm(candidate))
            if target is not None:
                renames[header] = target
                break
    for local in explicit:
        if local not in [h.strip() for h in headers]:
            problems.append(
                Problem(
                    settings.file,
                    layer,
                    "",
                    local,
                    local,
                    f"columns.yaml maps header {local!r}, which {source.label} does not have; "
                    f"headers seen: {', '.join(headers)}.",
                    "Correct the header in columns.yaml or in the file.",
                )
            )
    targets = list(renames.values())
    for target in set(targets):
        if targets.count(target) > 1:
            clash = [h for h, t in renames.items() if t == target]
            problems.append(
                Problem(
                    source.label,
                    layer,
                    "",
                    target,
                    ", ".join(clash),
                    f"Several headers map onto {target!r}.",
                    "Keep one of them, or map them explicitly in columns.yaml.",
                )
            )
            for h in clash[1:]:
                del renames[h]
    return frame.rename(columns=renames), renames


# --------------------------------------------------------------------------- coordinates


def _points_from_table(
    frame: pd.DataFrame,
    source: _Source,
    coordinates: str | None,
    problems: list[Problem],
    settings_file: str,
) -> gpd.GeoDataFrame | None:
    """Points from longitude/latitude (or x/y) columns, in WGS-84 or the declared CRS."""
    try:
        crs, offset = parse_coordinate_system(coordinates or "wgs84")
    except CRSError as err:
        problems.append(
            Problem(
                settings_file,
                source.layer,
                "",
                "coordinates",
                str(coordinates),
                str(err),
                "Use wgs84, cgcs2000, gcj02, bd09 or EPSG:xxxx.",
            )
        )
        return None
    ids = frame[ID_INDEX] if ID_INDEX in frame else pd.Series([""] * len(frame))
    row_ids = [id_text(i) or str(r) for i, r in zip(ids, frame[ROW_COLUMN], strict=True)]
    projected = crs.is_projected
    if projected:
        xcol, ycol = ("x", "y") if "x" in frame else ("lon", "lat")
    else:
        xcol, ycol = ("lon", "lat") if "lon" in frame or "lat" in frame else ("x", "y")
    if not projected and (xcol, ycol) == ("x", "y") and "x" in frame and coordinates is None:
        problems.append(
            Problem(
                source.label,
                source.layer,
                "",
                "x/y",
                "",
                "Missing CRS: the table has x/y columns but no coordinate system is declared.",
                f"Add `coordinates: EPSG:xxxx` (e.g. EPSG:4538) to {settings_file}, or use "
                "longitude/latitude columns.",
            )
        )
        return None
    absent = [c for c in (xcol, ycol) if c not in frame]
    if absent:
        seen = ", ".join(str(c) for c in frame.columns if c != ROW_COLUMN)
        problems.append(
            Problem(
                source.label,
                source.layer,
                "",
                "/".join(absent),
                "",
                f"Required coordinate column missing; headers seen: {seen}.",
                "Add longitude/latitude columns (lon/lat or 经度/纬度), or map yours in "
                "columns.yaml.",
            )
        )
        return None
    xs = np.full(len(frame), np.nan)
    ys = np.full(len(frame), np.nan)
    reported = np.zeros(len(frame), dtype=bool)
    for k, (xv, yv) in enumerate(zip(frame[xcol], frame[ycol], strict=True)):
        for arr, col, value in ((xs, xcol, xv), (ys, ycol, yv)):
            try:
                arr[k] = float(str(value).strip() or "nan") if projected else parse_angle(value)
            except ValueError:
                reported[k] = True
                problems.append(
                    Problem(
                        source.label,
                        source.layer,
                        row_ids[k],
                        col,
                        str(value),
                        "Not a coordinate.",
                        "Enter decimal degrees (86.5) or degrees-minutes-seconds (86°30′0″).",
                    )
                )
        if not reported[k] and (math.isnan(xs[k]) or math.isnan(ys[k])):
            reported[k] = True
            problems.append(
                Problem(
                    source.label,
                    source.layer,
                    row_ids[k],
                    xcol if math.isnan(xs[k]) else ycol,
                    "",
                    "Missing coordinate.",
                    "Fill in the longitude and latitude of the point.",
                )
            )
    if not projected:
        ok, found = check_lonlat(
            pd.Series(xs),
            pd.Series(ys),
            file=source.label,
            layer=source.layer,
            row_ids=row_ids,
            lon_column=xcol,
            lat_column=ycol,
        )
        problems.extend(found)
        reported |= ~ok & ~np.isnan(xs) & ~np.isnan(ys)
        if offset is not None:
            xs, ys = OFFSET_SYSTEMS[offset](xs, ys)
    good = ~reported
    geoms = np.array([None] * len(frame), dtype=object)
    geoms[good] = shapely.points(xs[good], ys[good])
    table = frame.drop(columns=[c for c in (xcol, ycol, "lon", "lat", "x", "y") if c in frame])
    gdf = gpd.GeoDataFrame(table, geometry=list(geoms), crs=crs)
    gdf[GEOMETRY_REPORTED] = reported
    return gdf


def _apply_offset(gdf: gpd.GeoDataFrame, offset: str) -> gpd.GeoDataFrame:
    wgs = gdf.to_crs(WGS84)
    convert = OFFSET_SYSTEMS[offset]

    def _xy(coords: np.ndarray) -> np.ndarray:
        lon, lat = convert(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    wgs = wgs.set_geometry(shapely.transform(wgs.geometry.to_numpy(), _xy))
    return wgs


def _vector_crs(
    gdf: gpd.GeoDataFrame,
    source: _Source,
    coordinates: str | None,
    problems: list[Problem],
    settings_file: str,
) -> gpd.GeoDataFrame | None:
    offset = None
    declared: CRS | None = None
    if coordinates is not None:
        try:
            declared, offset = parse_coordinate_system(coordinates)
        except CRSError as err:
            problems.append(
                Problem(
                    settings_file,
                    source.layer,
                    "",
                    "coordinates",
                    coordinates,
                    str(err),
                    "Use wgs84, cgcs2000, gcj02, bd09 or EPSG:xxxx.",
                )
            )
            return None
    if gdf.crs is None:
        if declared is None:
            problems.append(
                Problem(
                    source.label,
                    source.layer,
                    "",
                    "",
                    "",
                    "Missing CRS: the file does not say which coordinate system it uses.",
                    "Add the .prj file (shapefile), or declare it in columns.yaml, e.g. "
                    f"`coordinates: {{{source.layer}: cgcs2000}}`.",
                )
            )
            return None
        gdf = gdf.set_crs(declared)
    else:
        try:
            CRS.from_user_input(gdf.crs)
        except Exception:
            problems.append(
                Problem(
                    source.label,
                    source.layer,
                    "",
                    "",
                    str(gdf.crs),
                    "Unknown CRS.",
                    "Save the layer in a CRS with an EPSG code.",
                )
            )
            return None
        if gdf.crs.is_geographic and not gdf.empty:
            west, south, east, north = gdf.total_bounds
            if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
                problems.append(
                    Problem(
                        source.label,
                        source.layer,
                        "",
                        "",
                        f"bounds {west:.0f}, {south:.0f}, {east:.0f}, {north:.0f}",
                        "Unknown or wrong CRS: the file says degrees but the coordinates are "
                        "out of range (projected metres?).",
                        "Save the layer with its real CRS (.prj), or declare it in columns.yaml.",
                    )
                )
                return None
    if offset is not None:
        gdf = _apply_offset(gdf, offset)
    gdf = gdf.copy()
    gdf[GEOMETRY_REPORTED] = False
    return gdf


# --------------------------------------------------------------------------- the reader


def _with_local_names(
    problem: Problem, files: Mapping[str, str], local_names: Mapping[str, dict[str, str]]
) -> Problem:
    """Name columns as the planner's file does: ``经度 (lon)``."""
    if not problem.column or files.get(problem.layer) != problem.file:
        return problem
    local = {target: header for header, target in local_names.get(problem.layer, {}).items()}
    parts = [
        f"{local[part]} ({part})" if part in local and local[part] != part else part
        for part in problem.column.split("/")
    ]
    return dataclasses.replace(problem, column="/".join(parts))


def _choose_crs(layers: Mapping[str, gpd.GeoDataFrame]) -> CRS:
    cgcs = any(
        gdf.crs is not None and is_cgcs2000(CRS.from_user_input(gdf.crs)) for gdf in layers.values()
    )
    bounds = []
    for gdf in layers.values():
        valid = gdf[gdf.geometry.notna()]
        if len(valid):
            bounds.append(valid.to_crs(WGS84).total_bounds)
    if not bounds:
        msg = "No layer has a usable geometry, so no metric CRS can be chosen."
        raise CRSError(msg)
    b = np.array(bounds)
    box = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
    return choose_metric_crs(tuple(float(v) for v in box), source_crs=4490 if cgcs else 4326)


def _metric_crs(user: Any) -> CRS:
    try:
        crs = CRS.from_user_input(user)
    except Exception as err:
        msg = f"Unknown CRS {user!r}; give an EPSG code such as EPSG:4538 or EPSG:32645."
        raise CRSError(msg) from err
    if not crs.is_projected:
        msg = f"CRS {user!r} is not projected; metric work needs metres (e.g. EPSG:4538)."
        raise CRSError(msg)
    return crs


def _empty_layer(layer: str, crs: CRS) -> gpd.GeoDataFrame:
    columns = [c.name for c in LAYERS[layer]]
    gdf = gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in columns}, geometry=[], crs=crs)
    gdf.index = pd.Index([], dtype=object, name=ID_INDEX)
    return gdf


def read_layers(
    path: str | os.PathLike[str],
    *,
    columns: str | os.PathLike[str] | None = None,
    crs: Any = None,
    boundary_tolerance_m: float = 1000.0,
) -> tuple[dict[str, gpd.GeoDataFrame], list[Problem], dict[str, Any]]:
    """Read and check every layer of a planning-area folder without raising on bad data.

    Returns
    -------
    layers
        Typed layers in one metric CRS (those without errors).
    problems
        Every problem found (errors and warnings).
    info
        ``folder``, ``crs``, ``roads_path`` and the ``area.yaml`` settings.

    Raises
    ------
    MissingInputError
        When ``path`` does not exist.
    CRSError
        When ``crs`` is not a projected CRS.
    """
    root = Path(path)
    if not root.exists():
        msg = f"{root} does not exist; give a planning-area folder or a .gpkg file."
        raise MissingInputError(msg)
    single = root if root.is_file() else None
    folder = root.parent if single is not None else root
    problems: list[Problem] = []
    area_settings = (
        _read_yaml(folder / "area.yaml", problems) if (folder / "area.yaml").is_file() else {}
    )
    columns_path = Path(columns) if columns is not None else folder / "columns.yaml"
    if columns is not None and not columns_path.is_file():
        msg = f"The columns file {columns_path} does not exist."
        raise MissingInputError(msg)
    settings = _read_settings(columns_path if columns_path.is_file() else None, problems)
    user_crs = crs if crs is not None else area_settings.get("crs")
    metric = _metric_crs(user_crs) if user_crs is not None else None

    sources = _find_sources(folder, single)
    for layer in REQUIRED_LAYERS:
        if layer not in sources:
            problems.append(
                Problem(
                    str(folder.name or folder),
                    layer,
                    "",
                    "",
                    "",
                    f"The {layer} layer is missing.",
                    f"Add {layer}.csv/.xlsx/.geojson/.shp, or a layer {layer!r} in the GeoPackage.",
                )
            )
    raw: dict[str, gpd.GeoDataFrame] = {}
    headers: dict[str, list[str]] = {}
    files: dict[str, str] = {}
    local_names: dict[str, dict[str, str]] = {}
    for layer, source in sources.items():
        files[layer] = source.label
        coords = settings.coordinates_for(layer)
        if source.is_table:
            reader = _read_csv if source.path.suffix.lower() == ".csv" else _read_xlsx
            frame = reader(source, problems)
            if frame is None:
                continue
            headers[layer] = [str(c) for c in frame.columns if c != ROW_COLUMN]
            frame, renames = _rename(frame, layer, settings, source, problems)
            local_names[layer] = renames
            if layer in ("townships", "blocks"):
                problems.append(
                    Problem(
                        source.label,
                        layer,
                        "",
                        "",
                        "",
                        f"The {layer} layer holds polygons, which a table cannot.",
                        f"Save {layer} as GeoJSON, shapefile or a GeoPackage layer.",
                    )
                )
                continue
            if len(frame) == 0:
                gdf = gpd.GeoDataFrame(frame, geometry=[], crs=WGS84)
            else:
                made = _points_from_table(frame, source, coords, problems, settings.file)
                if made is None:
                    continue
                gdf = made
        else:
            read = _read_vector(source, problems)
            if read is None:
                continue
            headers[layer] = [str(c) for c in read.columns if c not in (ROW_COLUMN, "geometry")]
            read, renames = _rename(read, layer, settings, source, problems)
            local_names[layer] = renames
            checked = _vector_crs(read, source, coords, problems, settings.file)
            if checked is None:
                continue
            gdf = checked
        raw[layer] = gdf
    if metric is None:
        try:
            metric = _choose_crs(raw)
        except CRSError:
            metric = None
    if metric is not None:
        raw = {k: v.to_crs(metric) for k, v in raw.items()}
    checked_layers = validate_layers(
        raw, files=files, headers=headers, tolerance_m=boundary_tolerance_m
    )
    problems.extend(checked_layers.problems)
    problems = [_with_local_names(p, files, local_names) for p in problems]
    info = {
        "folder": folder,
        "crs": metric,
        "roads_path": find_roads(folder),
        "area": area_settings,
    }
    return checked_layers.layers, problems, info


def read_planning_area(
    path: str | os.PathLike[str],
    *,
    columns: str | os.PathLike[str] | None = None,
    crs: Any = None,
    boundary_tolerance_m: float = 1000.0,
    name: str | None = None,
) -> PlanningArea:
    """Read, check and project a planning-area folder (or a single ``.gpkg``).

    Parameters
    ----------
    path
        The folder, or a GeoPackage holding the layers.
    columns
        A ``columns.yaml`` to use instead of the folder's own.
    crs
        Metric CRS to use; default: ``crs`` of ``area.yaml``, else the UTM zone of the data
        (CGCS2000 3-degree Gauss-Kruger zone for CGCS2000 data).
    boundary_tolerance_m
        How far outside the union of townships a location may lie; ``inf`` turns the check off.
    name
        County name; default: ``name`` of ``area.yaml``, else the folder name.

    Returns
    -------
    PlanningArea
        The layers indexed by string id, in one metric CRS, defaults filled in.

    Raises
    ------
    ValidationError
        Holding every problem, when any is an error.
    MissingInputError
        When ``path`` does not exist.
    """
    layers, problems, info = read_layers(
        path, columns=columns, crs=crs, boundary_tolerance_m=boundary_tolerance_m
    )
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems)
    metric: CRS = info["crs"]
    area = info["area"]
    folder: Path = info["folder"]
    for layer in LAYERS:
        if layer not in layers:
            layers[layer] = _empty_layer(layer, metric)
    warnings = tuple(p for p in problems if p.severity != "error")
    for problem in warnings:
        logger.warning("%s", problem)
    return PlanningArea(
        name=name or str(area.get("name") or folder.resolve().name),
        townships=layers["townships"],
        villages=layers["villages"],
        schools=layers["schools"],
        sites=layers["sites"],
        blocks=layers["blocks"],
        crs=metric,
        source=folder,
        roads_path=info["roads_path"],
        synthetic=bool(area.get("synthetic", False)),
        warnings=warnings,
    )


def validate_folder(
    path: str | os.PathLike[str],
    *,
    columns: str | os.PathLike[str] | None = None,
    boundary_tolerance_m: float = 1000.0,
) -> list[Problem]:
    """Every problem (errors and warnings) of a planning-area folder; writes nothing."""
    _, problems, _ = read_layers(path, columns=columns, boundary_tolerance_m=boundary_tolerance_m)
    return problems


# --------------------------------------------------------------------------- writing


def write_layers_gpkg(
    area_or_layers: PlanningArea | Mapping[str, gpd.GeoDataFrame], path: str | os.PathLike[str]
) -> Path:
    """Write layers to one GeoPackage (one layer each, the index as an ``id`` column).

    Empty layers are skipped. The file is written next to ``path`` and moved into place, so a
    failed write leaves the old file intact.

    Returns
    -------
    Path
        The GeoPackage written.
    """
    if isinstance(area_or_layers, PlanningArea):
        layers = {name: area_or_layers.layer(name) for name in LAYERS}
    else:
        layers = dict(area_or_layers)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(suffix=".gpkg", prefix=f".{target.stem}-", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        for name, gdf in layers.items():
            if len(gdf) == 0:
                continue
            out = gdf.copy()
            out.index = out.index.astype(str)
            out = (
                out.reset_index(names=ID_INDEX)
                if out.index.name != ID_INDEX
                else (out.reset_index())
            )
            for col in out.columns:
                if str(out[col].dtype) == "Int64":
                    out[col] = out[col].astype("float64")
            pyogrio.write_dataframe(out, tmp, layer=name, driver="GPKG")
        if not tmp.exists():
            msg = "No non-empty layer to write."
            raise ValueError(msg)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


@contextlib.contextmanager
def atomic_output_dir(final: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder next to ``final``; move it into place when the block succeeds.

    The old ``final`` folder, if any, is replaced only after the block ends without error; on
    error the temporary folder is removed and the old folder stays intact.
    """
    target = Path(final)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old: Path | None = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        old.rmdir()
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
