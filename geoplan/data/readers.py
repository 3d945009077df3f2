"""Reading planning-area folders, writing layers, and writing output folders atomically.

A planning-area folder holds one county: one GeoPackage with layers named ``townships``,
``villages``, ``schools``, ``sites``, ``blocks``, or files named by layer (``villages.csv``,
``schools.xlsx``, ``sites.xls``, ``townships.shp`` ...; ``villages.kml`` next to a table gives its
locations), plus an optional ``columns.yaml`` mapping local headers
onto the contract and an optional ``area.yaml`` (``name``, ``synthetic``, ``crs``). Every problem
found is collected and raised once as a :class:`~geoplan._errors.ValidationError`. Reading one
file (encodings, headers, angles, coordinates) is done by :mod:`geoplan.data.files`, whose public
names (:func:`parse_angle` ...) are re-exported here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import yaml
from pyproj import CRS

from geoplan.atomic import atomic_path
from geoplan.data._kml import join_locations
from geoplan.data._tables import prepare_values, read_table
from geoplan.data.area import GEOMETRY_TYPES, ID_INDEX, LAYERS, REQUIRED_LAYERS, PlanningArea
from geoplan.data.crs import (
    WGS84,
    _in_metres,
    choose_metric_crs,
    is_cgcs2000,
    parse_coordinate_system,
)
from geoplan.data.files import (
    _OWN_HEADER_CODES,
    LOCATION_SUFFIXES,
    TABLE_SUFFIXES,
    VECTOR_SUFFIXES,
    _points_from_table,
    _read_settings,
    _read_vector,
    _read_yaml_lines,
    _rename,
    _Settings,
    _Source,
    _vector_crs,
)
from geoplan.data.messages import coded_error, coded_problem
from geoplan.data.problem_log import log_problem
from geoplan.data.validation import ROW_COLUMN, validate_layers
from geoplan.errors import (
    ArgumentError,
    CRSError,
    InputFileError,
    MissingInputError,
    Problem,
    ValidationError,
)

__all__ = [
    "ROAD_FILES",
    "columns_yaml_text",
    "file_sha256",
    "find_roads",
    "read_layers",
    "read_planning_area",
    "validate_folder",
    "write_layers_gpkg",
]

_logger = logging.getLogger(__name__)

ROAD_FILES: tuple[str, ...] = (
    "roads.osm",
    "roads.osm.bz2",
    "roads.osm.pbf",
    "roads.graphml",
    "roads.gpkg",
)
"""Road files looked for in a planning-area folder, in this order."""


# --------------------------------------------------------------------------- finding files


_SETTINGS_FILES: tuple[str, ...] = ("area.yaml", "columns.yaml")
_SIDECARS: tuple[str, ...] = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qmd")
"""Files a shapefile brings along, recognised with it."""


def _layer_suffix(path: Path, layer: str) -> str | None:
    """The suffix (lower case) of ``path`` when it is named by ``layer``: ``Villages.XLSX``."""
    name = path.name.lower()
    for suffix in (*VECTOR_SUFFIXES, *TABLE_SUFFIXES, *LOCATION_SUFFIXES, *_SIDECARS):
        if name == f"{layer}{suffix}":
            return suffix
    return None


def _is_road_file(path: Path) -> bool:
    return path.name.lower() in ROAD_FILES


@dataclasses.dataclass
class _Found:
    """The files of a folder: the source of each layer, what was refused, what is unknown."""

    sources: dict[str, _Source]
    problems: list[Problem]
    unrecognised: list[Path]


def _find_sources(folder: Path, single_gpkg: Path | None) -> _Found:
    """The file of each layer, matched by name in any case (``Villages.XLSX``).

    Two files for one layer (``villages.xlsx`` and ``villages.csv``; a ``villages.kml`` beside a
    ``villages.geojson``) are an error naming both and the one read. Files named by no layer,
    road file or setting are returned as ``unrecognised``, for the fix of a missing layer.
    """
    sources: dict[str, _Source] = {}
    problems: list[Problem] = []
    if single_gpkg is not None:
        _gpkg_layers(single_gpkg, sources, problems, required=True)
        return _Found(sources, problems, [])
    files = sorted(p for p in folder.iterdir() if p.is_file() and not _is_hidden(p))
    rank = {s: i for i, s in enumerate((*VECTOR_SUFFIXES, *TABLE_SUFFIXES))}
    known: set[Path] = set()
    for layer in LAYERS:
        named = {p: s for p in files if (s := _layer_suffix(p, layer)) is not None}
        known |= set(named)
        data = sorted((p for p, s in named.items() if s in rank), key=lambda p: rank[named[p]])
        locations = [p for p, s in named.items() if s in LOCATION_SUFFIXES]
        if data:
            table = named[data[0]] in TABLE_SUFFIXES
            joined = locations[0] if table and locations else None
            source = _Source(layer, data[0], locations=joined)
            others = data[1:] + (locations[1:] if table else locations)
        elif locations:
            source = _Source(layer, locations[0])
            others = locations[1:]
        else:
            continue
        sources[layer] = source
        if others:
            problems.append(_two_files(source, others))
    gpkgs = [
        p for p in files if p not in known and p.suffix.lower() == ".gpkg" and not _is_road_file(p)
    ]
    for gpkg in gpkgs:
        if _gpkg_layers(gpkg, sources, problems, required=False):
            known.add(gpkg)
    unrecognised = [
        p
        for p in files
        if p not in known and not _is_road_file(p) and p.name.lower() not in _SETTINGS_FILES
    ]
    return _Found(sources, problems, unrecognised)


def _is_hidden(path: Path) -> bool:
    """A hidden file or an Excel/WPS lock file (``~$villages.xlsx``)."""
    return path.name.startswith((".", "~$"))


def _two_files(source: _Source, others: list[Path]) -> Problem:
    first = others[0]
    return source.coded(
        "layer_two_files",
        "",
        "",
        ", ".join(p.name for p in others),
        layer=source.layer,
        read=source.path.name,
        others=", ".join(p.name for p in others),
        renamed=f"{first.name[: -len(first.suffix)]}_old{first.suffix}",
    )


def _gpkg_layers(
    gpkg: Path, sources: dict[str, _Source], problems: list[Problem], *, required: bool
) -> bool:
    """Add the layers of ``gpkg`` not found yet; whether it holds any layer of the contract.

    A GeoPackage that cannot be opened is reported (an error when it was given as the area, or
    when a required layer is found nowhere else; else a warning), GDAL's own warning logged.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            names = [str(row[0]) for row in pyogrio.list_layers(gpkg)]
        except Exception as err:
            names = None
            _logger.debug("Cannot list the layers of %s: %s", gpkg, err)
    for warning in caught:
        _logger.debug("%s: %s", gpkg.name, warning.message)
    if names is None:
        problems.append(
            coded_problem(
                "gpkg_unreadable",
                gpkg.name,
                "",
                "",
                "",
                "",
                severity="error" if required else "warning",
                file=gpkg.name,
            )
        )
        return False
    found = False
    for layer in LAYERS:
        if layer in names:
            found = True
            if layer not in sources:
                sources[layer] = _Source(layer, gpkg, layer)
    return found


def find_roads(folder: Path) -> Path | None:
    """The road file of a planning-area folder (see :data:`ROAD_FILES`), if any.

    Names are matched in any case (``Roads.OSM.PBF``); the first of :data:`ROAD_FILES` found wins.
    """
    files = {p.name.lower(): p for p in sorted(folder.iterdir()) if p.is_file()}
    for name in ROAD_FILES:
        if name in files:
            return files[name]
    return None


# --------------------------------------------------------------------------- the reader


def _with_local_names(
    problem: Problem, files: Mapping[str, str], local_names: Mapping[str, dict[str, str]]
) -> Problem:
    """Name columns as the planner's file does: ``经度 (lon)``.

    A problem about one of the file's own headers (:data:`_OWN_HEADER_CODES`: an extra column
    spelt ``name`` beside ``村名: name``) keeps that header as it is.
    """
    if not problem.column or files.get(problem.layer) != problem.file:
        return problem
    if problem.code in _OWN_HEADER_CODES:
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


def _metric_crs(user: Any) -> CRS | None:
    """The user's CRS; ``None`` (the data chooses) when it is projected in feet or another unit."""
    try:
        crs = CRS.from_user_input(user)
    except Exception as err:
        raise coded_error(CRSError, "crs_unknown", "", "area", "", "crs", user) from err
    if not crs.is_projected:
        raise coded_error(CRSError, "crs_not_projected", "", "area", "", "crs", user)
    if not _in_metres(crs):
        unit = crs.axis_info[0].unit_name if crs.axis_info else "unknown units"
        _logger.warning(
            "The area's CRS %s (%s) is not in metres; the layers are reprojected to the metric "
            "CRS chosen from the data (UTM or CGCS2000 Gauss-Kruger) instead, so areas and "
            "distances are in metres.",
            user,
            unit,
        )
        return None
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
        ``folder``, ``crs``, ``roads_path``, the ``area.yaml`` settings, ``columns``: the
        ``columns.yaml`` content that reads the folder as it was read (see
        :func:`columns_yaml_text`), ``files``: the file of each layer, ``coordinates``: the
        coordinate system ``columns.yaml`` declares for each layer that has one, and
        ``columns_file``: the path of the column mapping read (``columns`` when given, else the
        folder's ``columns.yaml``, whether or not it exists), where a declaration goes.

    Raises
    ------
    MissingInputError
        When ``path`` does not exist.
    CRSError
        When ``crs`` is not a projected CRS.
    """
    root = Path(path)
    if not root.exists():
        raise coded_error(MissingInputError, "area_missing", str(root), "", "", "", "")
    if root.is_file() and root.suffix.lower() != ".gpkg":
        raise coded_error(
            InputFileError, "area_is_a_file", str(root), "", "", "", "", parent=root.parent
        )
    single = root if root.is_file() else None
    folder = root.parent if single is not None else root
    problems: list[Problem] = []
    area_settings, area_lines = (
        _read_yaml_lines(folder / "area.yaml", problems)
        if (folder / "area.yaml").is_file()
        else ({}, {})
    )
    columns_path = Path(columns) if columns is not None else folder / "columns.yaml"
    if columns is not None and not columns_path.is_file():
        raise coded_error(MissingInputError, "columns_missing", str(columns_path), "", "", "", "")
    settings = _read_settings(columns_path if columns_path.is_file() else None, problems)
    metric = _metric_crs(crs) if crs is not None else None
    if metric is None and area_settings.get("crs") is not None:
        try:
            metric = _metric_crs(area_settings["crs"])
        except CRSError as err:
            problems.append(
                coded_problem(
                    "area_crs",
                    "area.yaml",
                    "",
                    f"line {area_lines['crs']}" if "crs" in area_lines else "",
                    "crs",
                    area_settings["crs"],
                    error=err,
                    value=area_settings["crs"],
                )
            )

    found = _find_sources(folder, single)
    sources = found.sources
    missing = [layer for layer in REQUIRED_LAYERS if layer not in sources]
    problems.extend(
        dataclasses.replace(p, severity="error") if p.code == "gpkg_unreadable" and missing else p
        for p in found.problems
    )  # an unreadable GeoPackage may hold a missing layer
    problems.extend(
        _missing_layer(layer, str(folder.name or folder), found.unrecognised) for layer in missing
    )
    raw: dict[str, gpd.GeoDataFrame] = {}
    headers: dict[str, list[str]] = {}
    files: dict[str, str] = {}
    local_names: dict[str, dict[str, str]] = {}
    used: dict[str, dict[str, str]] = {}
    for layer in [name for name in LAYERS if name in sources]:  # townships first, for KML
        source = sources[layer]
        files[layer] = source.label
        if _zero_bytes(source, problems):
            continue
        coords = settings.coordinates_for(layer)
        if source.is_table:
            read_frame = read_table(source, settings, problems)
            if read_frame is None:
                continue
            frame, sheet = read_frame
            headers[layer] = [str(c) for c in frame.columns if c != ROW_COLUMN]
            frame, renames = _rename(frame, layer, settings, source, problems)
            local_names[layer] = renames
            used[layer] = {"sheet": sheet} if sheet is not None else {}
            used[layer].update({h: t for h, t in renames.items() if h != t})
            if layer in ("townships", "blocks"):
                problems.append(source.coded("table_for_polygons", in_layer=layer, layer=layer))
                continue
            frame = prepare_values(frame, source, renames, problems)
            if len(frame) == 0:
                gdf = gpd.GeoDataFrame(frame, geometry=[], crs=WGS84)
            elif source.locations is not None and not {"lon", "lat", "x", "y"} & set(frame):
                made = _located(frame, source, settings, raw.get("townships"), problems)
                if made is None:
                    continue
                gdf = made
            else:
                made = _points_from_table(frame, source, coords, problems, settings.file)
                if made is None:
                    continue
                gdf = made
        else:
            read = _read_vector(source, problems, settings)
            if read is None:
                continue
            headers[layer] = [str(c) for c in read.columns if c not in (ROW_COLUMN, "geometry")]
            read, renames = _rename(read, layer, settings, source, problems)
            local_names[layer] = renames
            used[layer] = {h: t for h, t in renames.items() if h != t}
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
        "columns": _columns_used(used, settings),
        "files": files,
        "coordinates": {
            layer: declared
            for layer in files
            if (declared := settings.coordinates_for(layer)) is not None
        },
        "columns_file": columns_path,
    }
    return checked_layers.layers, problems, info


def _missing_layer(layer: str, folder: str, unrecognised: list[Path]) -> Problem:
    """The missing ``layer``; the fix names the files of the folder that could hold it."""
    polygons = "Point" not in GEOMETRY_TYPES[layer]
    fitting = VECTOR_SUFFIXES + LOCATION_SUFFIXES + (() if polygons else TABLE_SUFFIXES)
    others = [p for p in unrecognised if p.suffix.lower() in fitting]
    listed = (
        {
            "others": ", ".join(p.name for p in others),
            "example": f"{layer}{others[0].suffix.lower()}",
        }
        if others
        else {}
    )
    return coded_problem(
        ("missing_polygon_layer_unrecognised" if others else "missing_polygon_layer")
        if polygons
        else ("missing_layer_unrecognised" if others else "missing_layer"),
        folder,
        layer,
        "",
        "",
        "",
        layer=layer,
        **listed,
    )


def _zero_bytes(source: _Source, problems: list[Problem]) -> bool:
    """Report a file of 0 bytes (a failed save or copy) instead of reading it."""
    empty = [p for p in (source.path, source.locations) if p is not None and p.stat().st_size == 0]
    for path in empty:
        problems.append(
            coded_problem("empty_file", path.name, source.layer, "", "", "", file=path.name)
        )
    return bool(empty)


def _located(
    frame: pd.DataFrame,
    source: _Source,
    settings: _Settings,
    townships: gpd.GeoDataFrame | None,
    problems: list[Problem],
) -> gpd.GeoDataFrame | None:
    """A table without coordinates placed by the KML/KMZ points of its layer."""
    offset = None
    declared = settings.coordinates_for(source.layer)
    if declared is not None:
        try:
            _, offset = parse_coordinate_system(declared)
        except CRSError as err:
            problems.append(
                coded_problem(
                    "coordinates_unknown",
                    settings.file,
                    source.layer,
                    "",
                    "coordinates",
                    declared,
                    error=err,
                )
            )
            return None
    return join_locations(frame, source, townships, offset, problems)


def _columns_used(used: Mapping[str, Mapping[str, str]], settings: _Settings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for layer, mapping in used.items():
        if mapping:
            out[layer] = dict(mapping)
    if settings.default_coordinates is not None:
        out["coordinates"] = settings.default_coordinates
    elif settings.coordinates:
        out["coordinates"] = dict(settings.coordinates)
    return out


def columns_yaml_text(columns: Mapping[str, Any]) -> str:
    """``columns.yaml`` text from the ``columns`` of :func:`read_layers`' info, for the planner."""
    head = (
        "# columns.yaml written by `geoplan validate --write-columns`: how each header was read.\n"
        "# Check every line; correct a wrong one (local header: contract column) and keep the "
        "file\n# in the folder, so the next reading uses exactly these mappings.\n"
    )
    body = yaml.safe_dump(dict(columns), allow_unicode=True, sort_keys=False)
    return head + (body if columns else "")


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
        shown = Path(path)
        raise ValidationError(problems, area=f"`{shown}/`" if shown.is_dir() else f"`{shown}`")
    metric: CRS = info["crs"]
    area = info["area"]
    folder: Path = info["folder"]
    for layer in LAYERS:
        if layer not in layers:
            layers[layer] = _empty_layer(layer, metric)
    warnings = tuple(p for p in problems if p.severity == "warning")
    for problem in (*warnings, *(p for p in problems if p.severity == "note")):
        log_problem(_logger, problem)
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
        files=dict(info["files"]),
        coordinates=dict(info["coordinates"]),
        columns_file=info["columns_file"],
    )


def validate_folder(
    path: str | os.PathLike[str],
    *,
    columns: str | os.PathLike[str] | None = None,
    boundary_tolerance_m: float = 1000.0,
) -> list[Problem]:
    """The problems (errors, warnings, notes) of reading a planning-area folder; writes nothing.

    The checks of files, headers, values, ids and boundaries. ``geoplan validate`` also checks
    the roads, coordinates against the roads and the blocks' adjacency:
    :func:`geoplan.runs.checks.check_folder` runs them all.
    """
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
    with atomic_path(target) as tmp:
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
            raise ArgumentError(msg)
    return target


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (read in 1 MiB chunks), as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
