"""Validation of planning-area layers against the contracts of :data:`geoplan.area.LAYERS`.

Every check appends a :class:`~geoplan._errors.Problem` naming the file, layer, row id, column,
value and fix; nothing raises here. :func:`geoplan.io.read_planning_area` adds the problems found
while reading (encodings, headers, coordinates) and raises one ``ValidationError`` for them all.
"""

from __future__ import annotations

import logging
import math
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.data.area import (
    CHOICE_ALIASES,
    GEOMETRY_TYPES,
    ID_INDEX,
    LAYERS,
    REQUIRED_LAYERS,
    Column,
)
from geoplan.data.crs import CHINA_BOUNDS
from geoplan.data.messages import coded_problem, id_examples, problem_text, row_text
from geoplan.data.township_names import TownshipNames
from geoplan.errors import OutputFormatError, Problem
from geoplan.rules import (
    BANDS,
    BANDS_BY_KIND,
    LEVEL_BANDS,
    SCHOOL_KINDS,
    bands_taught,
    grade_label,
)

__all__ = [
    "GEOMETRY_REPORTED",
    "REPORT_COLUMNS",
    "ROW_COLUMN",
    "SCHOOL_REFERENCES",
    "TOWNSHIP_REFERENCE",
    "CheckedLayers",
    "check_lonlat",
    "format_problems",
    "id_text",
    "problem_line",
    "validate_layers",
    "write_problem_report",
]

_logger = logging.getLogger(__name__)

ROW_COLUMN = "_row"
"""Raw-layer column holding where a row is in its file (``line 3``, ``feature 2``)."""

GEOMETRY_REPORTED = "_geometry_reported"
"""Raw-layer column: True where the reader already reported the row's coordinates."""

SCHOOL_REFERENCES: tuple[str, ...] = ("school_primary", "school_middle")
TOWNSHIP_REFERENCE = "township"


@dataclass
class _Collector:
    """Problems of one layer, with the file name filled in."""

    file: str
    layer: str
    problems: list[Problem] = field(default_factory=list)

    def coded(
        self,
        code: str,
        row_id: str,
        column: str,
        value: Any,
        /,
        *,
        severity: str = "error",
        **params: Any,
    ) -> None:
        """A problem whose text is the catalogue's entry ``code`` (English and Chinese)."""
        text = "" if _is_missing(value) else str(value)
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))  # "-3" as the file has it, not the parsed "-3.0"
        self.problems.append(
            coded_problem(
                code, self.file, self.layer, row_id, column, text, severity=severity, **params
            )
        )


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def id_text(value: Any) -> str:
    """An id as text: ``1.0`` becomes ``"1"``, missing becomes ``""``.

    Full-width letters and digits, typed with a Chinese input method (``Ｔ０１``), become
    their ASCII forms (``T01``), so an id matches however it was typed; a whole number written
    as a float (``"652827101.0"``, a code column saved from a float column) loses its ``.0``,
    as the float itself does.
    """
    if _is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (np.floating,)) and float(value).is_integer():
        return str(int(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    whole = _WHOLE_AS_FLOAT.fullmatch(text)
    return whole.group(1) if whole else text


_WHOLE_AS_FLOAT = re.compile(r"(\d+)\.0+")


_SWAPPED_COLUMNS_MIN = 3
"""From this many rows, all swapped, the columns are reported swapped once, not each row."""


def check_lonlat(
    lon: pd.Series,
    lat: pd.Series,
    *,
    file: str,
    layer: str,
    row_ids: Sequence[str],
    lon_column: str,
    lat_column: str,
) -> tuple[np.ndarray, list[Problem]]:
    """Flag longitudes/latitudes that are out of range or swapped.

    Returns
    -------
    ok
        Boolean mask of rows whose coordinates are usable.
    problems
        One problem per bad row.
    """
    col = _Collector(file, layer)
    west, south, east, north = CHINA_BOUNDS
    ok = np.ones(len(lon), dtype=bool)
    for i, (x, y) in enumerate(zip(lon.to_numpy(float), lat.to_numpy(float), strict=True)):
        if math.isnan(x) or math.isnan(y):
            continue
        in_range = -180.0 <= x <= 180.0 and -90.0 <= y <= 90.0
        in_china = west <= x <= east and south <= y <= north
        swapped = west <= y <= east and south <= x <= north
        if in_china:
            continue
        ok[i] = False
        if swapped:
            col.coded(
                "lonlat_swapped",
                row_ids[i],
                f"{lon_column}/{lat_column}",
                f"{x}, {y}",
                lon=lon_column,
                lat=lat_column,
            )
        elif not in_range:
            bad = lon_column if not -180.0 <= x <= 180.0 else lat_column
            col.coded("coordinate_out_of_range", row_ids[i], bad, x if bad == lon_column else y)
        else:
            ok[i] = True  # valid degrees outside China: the boundary check will judge it
    given = int((lon.notna() & lat.notna()).sum())
    swapped_rows = [p for p in col.problems if p.code == "lonlat_swapped"]
    if len(swapped_rows) >= _SWAPPED_COLUMNS_MIN and len(swapped_rows) == given:
        first = swapped_rows[0]
        col.problems = [
            coded_problem(
                "lonlat_columns_swapped",
                file,
                layer,
                first.row_id,
                first.column,
                first.value,
                count=given,
                lon=lon_column,
                lat=lat_column,
            )
        ]
    return ok, col.problems


def _parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers of ``values`` (NaN where missing or not a number) and a not-a-number mask."""
    missing = values.map(_is_missing)
    text = values.map(lambda v: v.strip() if isinstance(v, str) else v)
    numbers = pd.to_numeric(text.where(~missing, np.nan), errors="coerce")
    not_number = numbers.isna() & ~missing
    return numbers.astype(float), not_number


def _choice_value(value: Any, column: Column) -> str:
    text = str(value).strip()
    aliases = CHOICE_ALIASES.get(column.name, {})
    if text in aliases:
        return aliases[text]
    return text.lower().replace(" ", "_").replace("-", "_")


@dataclass(frozen=True)
class CheckedLayers:
    """Typed layers (index ``id``) and every problem found."""

    layers: dict[str, gpd.GeoDataFrame]
    problems: list[Problem]


def _row_ids(gdf: gpd.GeoDataFrame) -> list[str]:
    """Row id to report: the id when present, else where the row is in its file."""
    ids = gdf[ID_INDEX].map(id_text) if ID_INDEX in gdf else pd.Series([""] * len(gdf))
    rows = gdf[ROW_COLUMN] if ROW_COLUMN in gdf else pd.Series([""] * len(gdf))
    return [i if i else str(r) for i, r in zip(ids, rows, strict=True)]


_SCIENTIFIC = re.compile(r"[1-9](?:\.\d+)?E\+\d{2}", re.IGNORECASE)
"""A number as Excel shows a long code in a General cell (``6.52827E+11``), digits lost."""


def _check_ids(gdf: gpd.GeoDataFrame, col: _Collector) -> pd.Series:
    rows = list(gdf[ROW_COLUMN]) if ROW_COLUMN in gdf else [""] * len(gdf)
    ids: pd.Series = gdf[ID_INDEX].map(id_text)
    scientific = [bool(_SCIENTIFIC.fullmatch(value)) for value in ids]
    if any(scientific):
        where = [str(r) for r, s in zip(rows, scientific, strict=True) if s]
        col.coded(
            "id_scientific",
            where[0],
            ID_INDEX,
            ids[scientific].iloc[0],
            count=len(where),
            rows=", ".join(where[:3]) + (" …" if len(where) > 3 else ""),
        )
    seen: dict[str, str] = {}
    folded: dict[str, tuple[str, str]] = {}
    for row, value, lost in zip(rows, ids, scientific, strict=True):
        if lost:
            continue  # reported above: its twins are the lost digits, not duplicates
        twin = folded.get(value.casefold())
        if value and value not in seen and twin is not None:
            col.coded("id_case_twin", value, ID_INDEX, value, id=value, twin=twin[0], where=twin[1])
        if value:
            folded.setdefault(value.casefold(), (value, str(row)))
        if not value:
            col.coded("missing_id", str(row), ID_INDEX, "")
        elif value in seen:
            col.coded("duplicate_id", value, ID_INDEX, value, first=seen[value], this=row)
        else:
            seen[value] = str(row)
    return ids


def _check_column(
    gdf: gpd.GeoDataFrame, column: Column, row_ids: list[str], col: _Collector
) -> pd.Series:
    """Typed values of ``column`` (defaults filled), reporting bad ones."""
    n = len(gdf)
    if column.name not in gdf:
        return pd.Series([column.default] * n, index=gdf.index, dtype=object)
    raw = gdf[column.name]
    missing = raw.map(_is_missing)
    if column.required:
        for i in np.flatnonzero(missing.to_numpy()):
            col.coded(
                "missing_value",
                row_ids[i],
                column.name,
                "",
                column=column.name,
                description=column.description.lower(),
                description_zh=column.description_zh or column.zh or column.name,
            )
    if column.dtype in ("int", "float"):
        numbers, not_number = _parse_numbers(raw)
        for i in np.flatnonzero(not_number.to_numpy()):
            col.coded("not_a_number", row_ids[i], column.name, raw.iloc[i])
        unit = f" {column.unit}" if column.unit else ""
        for i in np.flatnonzero((numbers < 0).to_numpy()):
            col.coded(
                "negative",
                row_ids[i],
                column.name,
                raw.iloc[i],
                of_unit=f" of {column.unit}" if unit else "",
            )
        if column.dtype == "int":
            frac = numbers.notna() & (numbers != np.floor(numbers))
            for i in np.flatnonzero(frac.to_numpy()):
                col.coded("not_whole", row_ids[i], column.name, raw.iloc[i], unit=unit or " units")
        if column.name in ("class_size_limit", "phase"):
            for i in np.flatnonzero((numbers == 0).to_numpy()):
                col.coded("not_positive", row_ids[i], column.name, raw.iloc[i])
        if column.default is not None:
            numbers = numbers.where(~missing, float(column.default))
        return numbers
    if column.dtype == "choice":
        values: pd.Series = raw.map(lambda v: None if _is_missing(v) else _choice_value(v, column))
        for pos, value in enumerate(values):
            if not _is_missing(value) and value not in column.choices:
                col.coded(
                    "unknown_choice",
                    row_ids[pos],
                    column.name,
                    raw.iloc[pos],
                    column=column.name,
                    choices=", ".join(column.choices),
                )
        if column.default is not None:
            values = values.where(values.notna(), column.default)
        return values
    texts: pd.Series = raw.map(lambda v: None if _is_missing(v) else id_text(v))
    if column.default is not None:
        texts = texts.where(texts.notna(), column.default)
    return texts


def _closed_lines(geom: Any) -> bool:
    """Whether ``geom`` is a line or lines each ending where it starts (a drawn boundary)."""
    if geom.geom_type not in ("LineString", "MultiLineString"):
        return False
    parts = shapely.get_parts(geom)
    return all(len(shapely.get_coordinates(g)) >= 4 and g.is_closed for g in parts)


def _check_geometry(gdf: gpd.GeoDataFrame, layer: str, row_ids: list[str], col: _Collector) -> Any:
    geoms = gdf.geometry.copy()
    reported = (
        gdf[GEOMETRY_REPORTED].to_numpy(bool)
        if GEOMETRY_REPORTED in gdf
        else np.zeros(len(gdf), bool)
    )
    allowed = GEOMETRY_TYPES[layer]
    for i, geom in enumerate(geoms):
        if reported[i]:
            continue
        if geom is None or geom.is_empty:
            col.coded("missing_geometry", row_ids[i], "geometry", "")
            continue
        if "Polygon" in allowed and _closed_lines(geom):
            geom = shapely.polygons([shapely.get_coordinates(g) for g in shapely.get_parts(geom)])
            geoms.iloc[i] = geom[0] if len(geom) == 1 else shapely.MultiPolygon(list(geom))
            col.coded("closed_line_as_polygon", row_ids[i], "geometry", "", severity="note")
            geom = geoms.iloc[i]
        if geom.geom_type not in allowed:
            col.coded(
                "wrong_geometry",
                row_ids[i],
                "geometry",
                geom.geom_type,
                layer=layer,
                allowed=" or ".join(allowed),
                allowed_lower=" or ".join(allowed).lower(),
            )
            continue
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            fixed = shapely.make_valid(geom)
            if fixed.geom_type == "GeometryCollection":
                fixed = shapely.union_all(
                    [g for g in fixed.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
                )
            geoms.iloc[i] = fixed
            col.coded("invalid_polygon", row_ids[i], "geometry", reason, severity="warning")
    return geoms


def _check_layer(
    layer: str, gdf: gpd.GeoDataFrame, file: str, headers: Sequence[str]
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    col = _Collector(file, layer)
    if len(gdf) == 0:
        required = layer in REQUIRED_LAYERS
        col.coded(
            "empty_layer" if required else "empty_optional_layer",
            "",
            "",
            "",
            severity="error" if required else "warning",
            layer=layer,
            file=file,
        )
        return None, col.problems
    seen = ", ".join(str(h) for h in headers)
    absent = [c.name for c in LAYERS[layer] if c.required and c.name not in gdf]
    if ID_INDEX not in gdf:
        absent.insert(0, ID_INDEX)
    for name in absent:
        zh = next((c.zh for c in LAYERS[layer] if c.name == name), "编号")
        col.coded("missing_column", "", name, "", seen=seen, column=name, zh=zh)
    if absent:
        return None, col.problems
    if layer == "townships":
        gdf = _join_parts(gdf, col)
    row_ids = _row_ids(gdf)
    ids = _check_ids(gdf, col)
    data: dict[str, Any] = {}
    for column in LAYERS[layer]:
        data[column.name] = _check_column(gdf, column, row_ids, col).to_numpy()
    if layer == "schools":
        _check_classes(gdf, data, row_ids, col)
    geoms = _check_geometry(gdf, layer, row_ids, col)
    extra = [
        c
        for c in gdf.columns
        if c not in data
        and c not in (ID_INDEX, ROW_COLUMN, GEOMETRY_REPORTED, "geometry")
        and not str(c).startswith("_")
    ]
    for name in extra:
        data[name] = gdf[name].to_numpy()
    data[ROW_COLUMN] = row_ids
    out = gpd.GeoDataFrame(
        data, geometry=geoms.to_numpy(), crs=gdf.crs, index=pd.Index(ids.to_numpy(), name=ID_INDEX)
    )
    return out, col.problems


def _join_parts(gdf: gpd.GeoDataFrame, col: _Collector) -> gpd.GeoDataFrame:
    """Features of one township (the same id and the same attributes) joined into one.

    A GIS layer often holds a township's exclave as a feature of its own, its attributes
    copied; the parts are one township. Features of one id whose attributes differ stay apart,
    for the duplicate-id check.
    """
    ids = gdf[ID_INDEX].map(id_text)
    shared = ids[ids.ne("") & ids.duplicated(keep=False)]
    if shared.empty:
        return gdf
    rows = list(gdf[ROW_COLUMN]) if ROW_COLUMN in gdf else [""] * len(gdf)
    compared = [
        c
        for c in gdf.columns
        if c not in (ROW_COLUMN, GEOMETRY_REPORTED, gdf.geometry.name)
        and not str(c).startswith("_")
    ]
    drop: list[int] = []
    geoms = gdf.geometry.copy()
    for value in dict.fromkeys(shared):
        where = [k for k, i in enumerate(ids) if i == value]
        texts = {
            tuple("" if _is_missing(v) else str(v) for v in gdf.iloc[k][compared]) for k in where
        }
        parts = [geoms.iloc[k] for k in where]
        if len(texts) > 1 or any(g is None or g.is_empty for g in parts):
            continue
        geoms.iloc[where[0]] = shapely.union_all(parts)
        drop += where[1:]
        col.coded(
            "township_parts_joined",
            value,
            "geometry",
            "",
            severity="note",
            count=len(where),
            rows=", ".join(str(rows[k]) for k in where),
        )
    out = gdf.set_geometry(geoms)
    return out.drop(index=out.index[drop])


def _check_classes(
    gdf: gpd.GeoDataFrame, data: dict[str, Any], row_ids: list[str], col: _Collector
) -> None:
    """A school that enrols pupils in a band needs classes for it, and a kind that teaches it."""
    for pos, kind in enumerate(data["kind"]):
        if kind not in BANDS_BY_KIND:
            continue  # an unknown kind is reported by the column check
        taught = bands_taught(kind)
        for band in BANDS:
            if band in taught:
                continue
            for what in ("classes", "enrolment"):
                value = pd.to_numeric(pd.Series([data[f"{what}_{band}"][pos]]), errors="coerce")[0]
                if value > 0:
                    fits = [k for k in SCHOOL_KINDS if band in bands_taught(k)]
                    col.coded(
                        "kind_contradicts",
                        row_ids[pos],
                        f"kind/{what}_{band}",
                        f"{kind}, {int(value)}",
                        severity="warning",
                        kind=kind,
                        taught=", ".join(grade_label(b) for b in taught),
                        column=f"{what}_{band}",
                        value=int(value),
                        grades=grade_label(band),
                        fits=", ".join(fits),
                    )
                    break
    for band in ("g1_3", "g4_6", "g7_9"):
        classes = pd.Series(data[f"classes_{band}"], dtype=float)
        enrolled = pd.Series(data[f"enrolment_{band}"], dtype=float)
        bad = (classes == 0) & (enrolled > 0)
        for i in np.flatnonzero(bad.to_numpy()):
            col.coded(
                "no_classes",
                row_ids[i],
                f"classes_{band}",
                "0",
                severity="warning",
                pupils=int(enrolled.iloc[i]),
                grades=grade_label(band),
            )


def _finish_types(gdf: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    out = gdf.copy()
    for column in LAYERS[layer]:
        values = out[column.name]
        if column.dtype == "int":
            numbers = pd.to_numeric(values, errors="coerce")
            if numbers.isna().any():
                out[column.name] = numbers.round().astype("Int64")
            else:
                out[column.name] = numbers.round().astype("int64")
        elif column.dtype == "float":
            out[column.name] = pd.to_numeric(values, errors="coerce").astype("float64")
        else:
            out[column.name] = values.astype(object).where(values.notna(), None)
    return out.drop(columns=[ROW_COLUMN])


def _zero_padded(ids: set[str]) -> dict[str, str]:
    """``"1"`` -> ``"01"`` for township ids of digits with leading zeros, where unambiguous.

    Excel reads a typed ``01`` as the number 1; a code without its leading zeros names the one
    township whose code it is, unless another code reads the same without zeros.
    """
    stripped: dict[str, list[str]] = {}
    for tid in ids:
        if tid.isdigit() and tid.startswith("0"):
            stripped.setdefault(tid.lstrip("0") or "0", []).append(tid)
    return {
        short: codes[0] for short, codes in stripped.items() if len(codes) == 1 and short not in ids
    }


def _read_township_references(
    townships: gpd.GeoDataFrame,
    layers: dict[str, gpd.GeoDataFrame],
    files: dict[str, str],
    problems: list[Problem],
) -> None:
    """Township references of villages, schools and sites read as ids (``layers`` updated).

    An id, a name or Chinese name as written, the name without its suffix (``萨热敖伊`` for
    ``萨热敖伊乡``: noted with each mapping), or an id without its leading zeros (noted). An
    unknown one is reported with the townships of close names and the township the point lies
    in; a missing one's ``missing_value`` names the township the point lies in.
    """
    names = TownshipNames(townships)
    township_file = files.get("townships", "the townships layer")
    labels = townships["name"].to_dict() if "name" in townships.columns else None
    labels_zh = townships["name_zh"].to_dict() if "name_zh" in townships.columns else None
    examples = id_examples(sorted(names.ids), labels, names_zh=labels_zh)
    zeros = _zero_padded(names.ids)
    for layer in ("villages", "schools", "sites"):
        gdf = layers.get(layer)
        if gdf is None or TOWNSHIP_REFERENCE not in gdf:
            continue
        col = _Collector(files.get(layer, layer), layer)
        refs = gdf[TOWNSHIP_REFERENCE].copy()
        padded: dict[str, str] = {}
        by_name: dict[str, str] = {}
        row_ids = _row_ids(gdf)
        for i, (rid, ref, point) in enumerate(zip(gdf.index, refs, gdf.geometry, strict=True)):
            if _is_missing(ref):
                inside = names.containing(point)
                if inside is not None:
                    _name_missing_township(problems, layer, row_ids[i], names, inside)
                continue
            if ref in names.ids:
                continue
            tid, folded = names.read(ref)
            if tid is not None:
                refs.iloc[i] = tid
                if folded:  # a name as written (documented) is read silently; a guess is noted
                    by_name[str(ref).strip()] = names.label(tid)
                continue
            if str(ref) in zeros:
                refs.iloc[i] = padded[str(ref)] = zeros[str(ref)]
                continue
            close = names.close(ref)
            inside = names.containing(point)
            choices = list(dict.fromkeys([*close, *([inside] if inside else [])]))
            col.coded(
                ("unknown_township_close_inside" if inside else "unknown_township_close")
                if close
                else ("unknown_township_inside" if inside else "unknown_township"),
                rid,
                TOWNSHIP_REFERENCE,
                ref,
                file=township_file,
                close=", ".join(names.label(t) for t in close),
                close_zh=", ".join(names.label(t, "zh") for t in close),
                inside=names.label(inside) if inside else "",
                inside_zh=names.label(inside, "zh") if inside else "",
                choices=" / ".join(choices),
                **examples,
            )
        for unpadded, read in ((False, by_name), (True, padded)):  # one note each, every mapping
            if read:
                col.coded(
                    "township_leading_zeros" if unpadded else "township_names_read",
                    "",
                    TOWNSHIP_REFERENCE,
                    "",
                    severity="note",
                    pairs=", ".join(f"{a} → {b}" for a, b in sorted(read.items())),
                    file=township_file,
                )
        gdf = gdf.copy()
        gdf[TOWNSHIP_REFERENCE] = refs
        layers[layer] = gdf
        problems.extend(col.problems)


def _name_missing_township(
    problems: list[Problem], layer: str, row_id: str, names: TownshipNames, inside: str
) -> None:
    """The ``missing_value`` of a row's township, told the township its point lies in."""
    for k, p in enumerate(problems):
        if (p.code, p.layer, p.row_id, p.column) == (
            "missing_value",
            layer,
            row_id,
            TOWNSHIP_REFERENCE,
        ):
            problems[k] = coded_problem(
                "missing_township_inside",
                p.file,
                layer,
                row_id,
                TOWNSHIP_REFERENCE,
                "",
                inside=names.label(inside),
                inside_zh=names.label(inside, "zh"),
                inside_id=inside,
            )


def _check_references(
    checked: dict[str, gpd.GeoDataFrame], files: dict[str, str], problems: list[Problem]
) -> dict[str, gpd.GeoDataFrame]:
    out = dict(checked)
    townships = checked.get("townships")
    if townships is not None:
        _read_township_references(townships, out, files, problems)
    schools = checked.get("schools")
    if schools is None:
        return out  # no schools to refer to: reported as a missing or broken layer
    school_ids = set(schools.index)
    kind_of: dict[str, Any] = {}
    for sid, kind in zip(schools.index, schools["kind"], strict=True):
        kind_of.setdefault(sid, kind)
    for layer in ("blocks", "schools"):
        gdf = out.get(layer)
        if gdf is None:
            continue
        col = _Collector(files.get(layer, layer), layer)
        for name in SCHOOL_REFERENCES:
            if name not in gdf:
                continue
            level = "primary" if name == "school_primary" else "middle"
            for rid, ref in zip(gdf.index, gdf[name], strict=True):
                if ref is not None and ref not in school_ids:
                    col.coded(
                        "unknown_school",
                        rid,
                        name,
                        ref,
                        file=files.get("schools", "the schools layer"),
                    )
                elif ref is not None and not _teaches_level(kind_of[ref], level):
                    kind = kind_of[ref]
                    col.coded(
                        "school_wrong_level",
                        rid,
                        name,
                        ref,
                        column=name,
                        school=ref,
                        kind=kind,
                        level=level,
                        taught=", ".join(grade_label(b) for b in bands_taught(kind)),
                        grades=", ".join(grade_label(b) for b in LEVEL_BANDS[level]),
                        file=files.get("schools", "the schools layer"),
                    )
        problems.extend(col.problems)
    return out


def _teaches_level(kind: Any, level: str) -> bool:
    """Whether a school of ``kind`` teaches any band of ``level``; unknown kinds pass."""
    if kind not in BANDS_BY_KIND:
        return True  # an unknown kind is reported by the column check
    return bool(set(bands_taught(str(kind))) & set(LEVEL_BANDS[level]))


def _check_boundary(
    checked: dict[str, gpd.GeoDataFrame],
    files: dict[str, str],
    tolerance_m: float,
    problems: list[Problem],
) -> None:
    townships = checked.get("townships")
    if townships is None or not math.isfinite(tolerance_m):
        return
    if len(townships) == 0 or not townships.geom_type.isin(GEOMETRY_TYPES["townships"]).all():
        return  # a township that is no polygon is reported already; the county's edge is unknown
    boundary = shapely.union_all(townships.geometry.to_numpy())
    _check_township_edges(townships, boundary, files.get("townships", "townships"), problems)
    for layer in ("villages", "schools", "sites", "blocks"):
        gdf = checked.get(layer)
        if gdf is None or len(gdf) == 0:
            continue
        col = _Collector(files.get(layer, layer), layer)
        geoms = gdf.geometry
        if layer == "blocks":
            geoms = geoms.representative_point()
        dist = geoms.distance(boundary)
        for rid, d in zip(gdf.index, dist, strict=True):
            if d > tolerance_m:
                col.coded(
                    "outside_boundary",
                    rid,
                    "geometry",
                    f"{d:.0f} m outside",
                    km=f"{d / 1000:.1f}",
                    tolerance_m=f"{tolerance_m:.0f}",
                )
        if layer != "blocks":
            _check_townships_named(gdf, townships, dist <= tolerance_m, tolerance_m, col)
        problems.extend(col.problems)


_SLIVER_M2 = 1000.0
"""Smallest overlap or enclosed gap between townships reported (0.1 ha): smaller ones are the
rounding of shared vertices."""

_GAP_WIDTH_M = 200.0
"""An enclosed gap up to this mean width is a digitising sliver (a warning); a wider one is an
area in no township (an enclave, such as a farm or corps land), noted."""


_NOISE_WIDTH_M = 10.0
"""An overlap or gap between two townships up to this mean width is the noise of two boundaries
drawn apart (each township digitised on its own, 1-5 m off the other at 1:10,000): one note per
pair of townships sums them, instead of a warning for every sliver along their boundary."""

_TOUCH_M = 1.0
"""Townships this close to a gap (metres) border it."""

_INLET_BORDERED = 0.9
"""Share of an inlet's outline that runs along townships (the rest is its mouth on the outside)
for it to be a gap: a strip between two townships is bordered all but its mouth (about 1), the
filling of a right-angled bend of the county's edge only 0.56 (two sides of the closing radius
and a quarter circle), a V-shaped notch of the edge wider than 13 degrees less than 0.9."""

_INLET_SIDES = 0.25
"""Share of an inlet's outline along townships other than the one it borders most: a gap lies
between townships (about half each), a bay of one township's coast has none."""


def _mean_width_m(area: float, perimeter: float) -> float:
    """Mean width of a thin strip: its area over half its perimeter."""
    return 2.0 * area / perimeter if perimeter > 0 else 0.0


def _check_township_edges(
    townships: gpd.GeoDataFrame, boundary: Any, file: str, problems: list[Problem]
) -> None:
    """Warn of townships that overlap, and of gaps they enclose, from 0.1 ha up.

    Gaps are the holes of the townships' union less the townships inside them (a gap around a
    township leaves it an island in a hole) and the inlets of the union's outline between two
    townships, narrower than the sliver width (a gap open to the county's edge: :func:`_inlets`).
    Each is reported once, on the first township touching it, naming the others and a spot
    inside it (longitude, latitude). Overlaps and gaps between townships no wider than
    ``_NOISE_WIDTH_M`` (boundaries drawn apart) are one note per pair of townships
    (``township_edge_noise``) instead.
    """
    col = _Collector(file, "townships")
    ids = [str(i) for i in townships.index]
    geoms = townships.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    noise: dict[tuple[str, ...], list[tuple[str, float, float]]] = {}  # (kind, area, width)
    left, right = tree.query(geoms, predicate="intersects")
    for a, b in zip(left[left < right], right[left < right], strict=True):
        # only the polygonal parts: a shared edge (a line) is no overlap and no width
        part = shapely.union_all(
            [g for g in shapely.get_parts(shapely.intersection(geoms[a], geoms[b]))
             if isinstance(g, shapely.Polygon | shapely.MultiPolygon)]
        )  # fmt: skip
        area = float(shapely.area(part))
        width = _mean_width_m(area, float(shapely.length(part)))
        if area < _SLIVER_M2:
            continue
        if width <= _NOISE_WIDTH_M:
            noise.setdefault((ids[a], ids[b]), []).append(("overlap", area, width))
            continue
        col.coded(
            "township_overlap",
            ids[a],
            "geometry",
            f"overlaps {ids[b]}",
            severity="warning",
            other=ids[b],
            ha=f"{area / 10_000:.1f}",
            width_m=f"{width:.0f}",
        )
    holes = [  # a ring less the townships inside it: a gap around an island township
        shapely.Polygon(ring).difference(boundary)
        for poly in shapely.get_parts(boundary)
        if isinstance(poly, shapely.Polygon)
        for ring in poly.interiors
    ]
    holes = [h for h in holes if h.area >= _SLIVER_M2]
    gaps = [
        (hole, sorted((ids[k] for k in tree.query(hole, predicate="dwithin", distance=_TOUCH_M)),
                      key=ids.index) or ids[:1])
        for hole in holes
    ] + _inlets(geoms, ids, boundary)  # fmt: skip
    spots = gpd.GeoSeries([g.representative_point() for g, _ in gaps], crs=townships.crs)
    lonlat = spots.to_crs("EPSG:4326") if gaps else spots
    for (gap, near), spot in zip(gaps, lonlat, strict=True):
        width = _mean_width_m(gap.area, gap.length)
        if len(near) > 1 and width <= _NOISE_WIDTH_M:
            noise.setdefault(tuple(near), []).append(("gap", gap.area, width))
            continue
        thin = width <= _GAP_WIDTH_M
        col.coded(
            "township_hole" if len(near) == 1 else "township_gap" if thin else "township_enclave",
            near[0],
            "geometry",
            f"{spot.x:.5f}, {spot.y:.5f}",
            severity="warning" if thin else "note",
            others=", ".join(near[1:]) or "-",
            ha=f"{gap.area / 10_000:.1f}",
            width_m=f"{width:.0f}",
            lon=f"{spot.x:.5f}",
            lat=f"{spot.y:.5f}",
        )
    for pair, slivers in sorted(noise.items(), key=lambda kv: [ids.index(i) for i in kv[0]]):
        col.coded(
            "township_edge_noise",
            pair[0],
            "geometry",
            f"along {', '.join(pair[1:])}",
            severity="note",
            others=", ".join(pair[1:]),
            overlaps=str(sum(kind == "overlap" for kind, _, _ in slivers)),
            gaps=str(sum(kind == "gap" for kind, _, _ in slivers)),
            noise_m=f"{_NOISE_WIDTH_M:.0f}",
            ha=f"{sum(area for _, area, _ in slivers) / 10_000:.1f}",
            width_m=f"{max(width for _, _, width in slivers):.0f}",
        )
    problems.extend(col.problems)


def _inlets(geoms: np.ndarray, ids: list[str], boundary: Any) -> list[tuple[Any, list[str]]]:
    """Gaps between townships open to the county's edge, from 0.1 ha up, with their townships.

    The union of townships closed by half the sliver width (grown, then shrunk, by
    ``_GAP_WIDTH_M / 2``) fills every inlet of its outline narrower than ``_GAP_WIDTH_M``; less
    the union (holes filled: those are the enclosed gaps), what is left are the inlets. An
    inlet is a gap when its outline runs along townships for most of its length (the rest is
    its mouth: :data:`_INLET_BORDERED`) and along two townships or more (:data:`_INLET_SIDES`),
    so a bay of one township's coast, or the filling of a bend of the county's edge, is none.
    The townships named border it for more than twice its width (more than its end, which is
    about as long as it is wide, or a corner).
    """
    radius = _GAP_WIDTH_M / 2.0
    filled = shapely.union_all(
        [shapely.Polygon(p.exterior) for p in shapely.get_parts(boundary)
         if isinstance(p, shapely.Polygon)]
    )  # fmt: skip
    closed = shapely.buffer(shapely.buffer(boundary, radius), -radius)
    tree = shapely.STRtree(geoms)
    edge = shapely.boundary(boundary)
    found = []
    for inlet in shapely.get_parts(shapely.difference(closed, filled)):
        if inlet.area < _SLIVER_M2:
            continue
        near = tree.query(inlet, predicate="dwithin", distance=_TOUCH_M)
        if len(near) < 2:
            continue  # a bay of one township's coast (most of them)
        length = float(inlet.length)
        rim = shapely.buffer(inlet.boundary, _TOUCH_M)
        box = rim.bounds
        along = {
            ids[k]: float(
                shapely.intersection(shapely.clip_by_rect(geoms[k].boundary, *box), rim).length
            )
            for k in near
        }
        bordered = float(shapely.intersection(shapely.clip_by_rect(edge, *box), rim).length)
        others = sum(along.values()) - max(along.values())
        if bordered < _INLET_BORDERED * length or others < _INLET_SIDES * length:
            continue
        width = _mean_width_m(float(inlet.area), length)
        named = sorted((i for i, a in along.items() if a > 2.0 * width), key=ids.index)
        if len(named) >= 2:
            found.append((inlet, named))
    return found


def _check_townships_named(
    gdf: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame,
    near_county: pd.Series,
    tolerance_m: float,
    col: _Collector,
) -> None:
    """Warn where a point lies farther than ``tolerance_m`` outside the township it names.

    Only points within the county (``near_county``) are judged; the others are reported as
    outside the boundary.
    """
    if TOWNSHIP_REFERENCE not in gdf or not townships.index.is_unique:
        return  # duplicate township ids are reported by the id check
    for rid, ref, point, near in zip(
        gdf.index, gdf[TOWNSHIP_REFERENCE], gdf.geometry, near_county, strict=True
    ):
        if not near or ref not in townships.index or point is None or point.is_empty:
            continue  # an unknown township or a missing location is reported elsewhere
        d = float(point.distance(townships.geometry[ref]))
        if d <= tolerance_m:
            continue
        col.coded(
            "township_elsewhere",
            rid,
            TOWNSHIP_REFERENCE,
            ref,
            severity="warning",
            km=f"{d / 1000:.1f}",
            township=ref,
            inside=townships.geometry.distance(point).idxmin(),
        )


def validate_layers(
    raw_layers: dict[str, gpd.GeoDataFrame],
    *,
    files: dict[str, str],
    headers: Mapping[str, Sequence[str]] | None = None,
    tolerance_m: float = 1000.0,
) -> CheckedLayers:
    """Check raw layers against the contracts; return typed layers and every problem.

    Parameters
    ----------
    raw_layers
        Layers by name, already in one metric CRS, columns renamed onto the contract, an ``id``
        column (raw values) and optionally :data:`ROW_COLUMN` and :data:`GEOMETRY_REPORTED`.
    files
        File each layer was read from, for the messages.
    headers
        Headers as found in each file, listed when a required column is missing.
    tolerance_m
        How far outside the union of townships a location may lie (``inf``: no check).

    Returns
    -------
    CheckedLayers
        Layers indexed by string id, contract columns typed and defaults filled (only layers
        that could be checked), and the problems (errors and warnings).
    """
    problems: list[Problem] = []
    checked: dict[str, gpd.GeoDataFrame] = {}
    for layer, gdf in raw_layers.items():
        file = files.get(layer, layer)
        heads = list((headers or {}).get(layer, [c for c in gdf.columns if c != "geometry"]))
        out, found = _check_layer(layer, gdf, file, heads)
        problems.extend(found)
        if out is not None:
            checked[layer] = out
    checked = _check_references(checked, files, problems)
    _check_boundary(checked, files, tolerance_m, problems)
    typed = {}
    for layer, gdf in checked.items():
        if all(p.layer != layer or p.severity != "error" for p in problems):
            typed[layer] = _finish_types(gdf, layer)
    return CheckedLayers(typed, problems)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _short(text: str, limit: int = 28) -> str:
    return text if _width(text) <= limit else text[: limit - 1] + "…"


def _tail(text: str, limit: int = 40) -> str:
    """A long path shortened from the left, so that the file name stays."""
    return text if _width(text) <= limit else "…" + text[-(limit - 1) :]


_TABLE_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "head": "#|severity|file|layer|row|column|value",
        "problem": "problem: ",
        "fix": "fix:     ",
        "none": "No problems found.",
        "total": "{errors} error(s), {warnings} warning(s){notes}.",
        "notes": ", {notes} note(s)",
        "error": "error",
        "warning": "warning",
        "note": "note",
    },
    "zh": {
        "head": "#|级别|文件|图层|行|列|值",
        "problem": "问题:",
        "fix": "改正:",
        "none": "未发现问题。",
        "total": "{errors} 个错误,{warnings} 个警告{notes}。",
        "notes": ",{notes} 条说明",
        "error": "错误",
        "warning": "警告",
        "note": "说明",
        "id": "编号",
        "layer": "图层",
        "column": "列",
        "value": "值",
    },
}


def problem_line(problem: Problem, lang: str = "en") -> str:
    """``problem`` on one line in ``lang``: severity, where, what is wrong and the fix.

    In English it is ``str(problem)`` (``[warning] layer schools, row s3, column geometry, value
    '2382 m': ... Fix: ...``); in Chinese the same parts with the catalogue's text
    (``[警告] 图层 schools,编号 s3,列 geometry,值 '2382 m':... 改正:...``).

    Raises
    ------
    ArgumentError
        When ``lang`` is not one of :data:`~geoplan.data.messages.LANGUAGES`.
    """
    message, fix = problem_text(problem, lang)
    if lang == "en":
        return str(problem)
    words = _TABLE_WORDS[lang]
    row = problem.row_id
    if row and row_text(row, lang) == row and row.split(" ")[0] not in ("feature", "sheet"):
        row = f"{words['id']} {row}"  # an id, not a place in the file (第 7 行)
    where = ",".join(
        part
        for part in (
            problem.file,
            f"{words['layer']} {problem.layer}" if problem.layer else "",
            row_text(row, lang),
            f"{words['column']} {problem.column}" if problem.column else "",
            f"{words['value']} {problem.value!r}" if problem.value != "" else "",
        )
        if part
    )
    severity = words.get(problem.severity, problem.severity)
    return f"[{severity}] {where}{':' if where else ''}{message} {words['fix']}{fix}"


def format_problems(problems: Iterable[Problem], *, lang: str = "en") -> str:
    """Problems as a readable text table: one row per problem, then what is wrong and the fix.

    ``lang="zh"`` gives the headings, problems and fixes in Chinese (the catalogue of
    :mod:`geoplan.data.messages`).
    """
    words = _TABLE_WORDS["zh" if lang == "zh" else "en"]
    items = list(problems)
    if not items:
        return words["none"]
    head = tuple(words["head"].split("|"))
    rows = [
        (
            str(n),
            words.get(p.severity, p.severity),
            _tail(p.file, 40),
            p.layer,
            _short(row_text(p.row_id, lang)),
            _short(p.column, 40),
            _short(p.value),
        )
        for n, p in enumerate(items, 1)
    ]
    widths = [max(_width(r[k]) for r in [head, *rows]) for k in range(len(head))]
    lines = ["  ".join(_pad(h, w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    indent = " " * (widths[0] + 2)
    for row, p in zip(rows, items, strict=True):
        message, fix = problem_text(p, lang)
        lines.append("  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip())
        lines.append(f"{indent}{words['problem']}{message}")
        lines.append(f"{indent}{words['fix']}{fix}")
    errors = sum(p.severity == "error" for p in items)
    notes = sum(p.severity == "note" for p in items)
    lines.append("")
    tail = words["notes"].format(notes=notes) if notes else ""
    lines.append(
        words["total"].format(errors=errors, warnings=len(items) - errors - notes, notes=tail)
    )
    return "\n".join(lines)


REPORT_COLUMNS: tuple[str, ...] = (
    "severity / 级别",
    "file / 文件",
    "row / 行",
    "column / 列",
    "value / 值",
    "problem",
    "fix",
    "问题",
    "改正",
)
"""Columns of the sheet :func:`write_problem_report` writes."""


def write_problem_report(problems: Iterable[Problem], path: str | os.PathLike[str]) -> Path:
    """Write the problems as an XLSX sheet to send back to the office that made the files.

    One row per problem: severity, file, row, column, value, then the problem and fix in English
    and in Chinese. Written next to ``path`` and moved into place.

    Raises
    ------
    OutputFormatError
        When ``path`` does not end in ``.xlsx`` or names a folder.
    """
    from geoplan.workbooks import Sheet, write_workbook

    target = Path(path)
    if target.suffix.lower() != ".xlsx" or target.is_dir():
        msg = f"--report {target}: give a file name ending in .xlsx (e.g. problems.xlsx)."
        raise OutputFormatError(msg)
    words = _TABLE_WORDS["zh"]
    rows = []
    for p in problems:
        en, zh = problem_text(p, "en"), problem_text(p, "zh")
        severity = f"{p.severity} / {words.get(p.severity, p.severity)}"
        rows.append((severity, p.file, p.row_id, p.column, p.value, *en, *zh))
    frame = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_workbook(target, {"problems 问题": Sheet(frame, index=False)})
