"""Reading one planning-area file into a raw layer: encodings, headers, angles, coordinates.

Plumbing of :mod:`geoplan.io`: CSV (UTF-8 or GB18030), XLSX, GeoPackage, GeoJSON and Shapefile
(DBF encoding guessed without a ``.cpg``) readers; ``columns.yaml`` settings; mapping local headers
onto the layer contract; degrees-minutes-seconds angles (:func:`parse_angle`); points from
coordinate columns and the CRS checks of vector files. Every problem is appended to a list, never
raised.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import yaml
from pyproj import CRS

from geoplan.data._yaml import duplicate_problems, load_yaml
from geoplan.data.area import ID_INDEX, LAYERS
from geoplan.data.crs import OFFSET_SYSTEMS, WGS84, parse_coordinate_system
from geoplan.data.headers import (
    COORDINATE_CELL_HEADERS,
    UNIT_FACTORS,
    header_unit,
    known_headers,
    normalise_header,
    suggest_headers,
)
from geoplan.data.messages import coded_problem
from geoplan.data.validation import (
    GEOMETRY_REPORTED,
    ROW_COLUMN,
    _is_missing,
    check_lonlat,
    id_text,
)
from geoplan.errors import ArgumentError, CRSError, Problem

__all__ = [
    "COORDINATE_HEADERS",
    "LOCATION_SUFFIXES",
    "LONLAT",
    "TABLE_SUFFIXES",
    "TEXT_ENCODINGS",
    "VECTOR_SUFFIXES",
    "parse_angle",
    "parse_number",
    "split_lonlat",
]

VECTOR_SUFFIXES: tuple[str, ...] = (".gpkg", ".geojson", ".json", ".shp")
TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".txt", ".xlsx", ".xls")
LOCATION_SUFFIXES: tuple[str, ...] = (".kml", ".kmz")
"""Point files (Ovital 奥维, Tianditu, Google Earth) whose names join a table of the same layer."""

LONLAT = "lonlat"
"""Target of a one-cell coordinate column (``经纬度``: ``86.5,42.3``), split into lon and lat."""

COORDINATE_HEADERS: dict[str, tuple[str, ...]] = {
    "lon": ("lon", "lng", "long", "longitude", "经度", "东经"),
    "lat": ("lat", "latitude", "纬度", "北纬"),
    "x": ("x", "东坐标", "横坐标", "easting"),
    "y": ("y", "北坐标", "纵坐标", "northing"),
}
"""Headers read as coordinates without a ``columns.yaml`` (case-insensitive)."""

TEXT_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")
"""Encodings tried, in order, for CSV files and shapefile DBFs without a ``.cpg`` (a text file
starting with a UTF-16 byte-order mark, Excel's "Unicode text", is read as UTF-16)."""


@dataclass
class _Source:
    layer: str
    path: Path
    gpkg_layer: str | None = None
    locations: Path | None = None
    sheet: str | None = None

    @property
    def label(self) -> str:
        if self.gpkg_layer is not None:
            return f"{self.path.name}:{self.gpkg_layer}"
        return self.path.name

    @property
    def is_table(self) -> bool:
        return self.gpkg_layer is None and self.path.suffix.lower() in TABLE_SUFFIXES

    def coded(
        self,
        code: str,
        row_id: str = "",
        column: str = "",
        value: Any = "",
        /,
        *,
        in_layer: str | None = None,
        severity: str = "error",
        **params: Any,
    ) -> Problem:
        """A problem of this file: the catalogue's entry ``code``, in ``in_layer`` or the file's."""
        return coded_problem(
            code,
            self.label,
            self.layer if in_layer is None else in_layer,
            row_id,
            column,
            value,
            severity=severity,
            **params,
        )


@dataclass
class _Settings:
    """What ``columns.yaml`` says: header mappings and coordinate systems per layer."""

    mapping: dict[str, dict[str, str]] = field(default_factory=dict)
    sheets: dict[str, str] = field(default_factory=dict)
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
    ``"86 23 45.5"``, ``"86度23分45秒"``, ``"42.5N"``, full-width digits; ``nan`` for an empty
    value. ``"86.07.13"`` is refused: it could be 86°07′13″ or a typing slip.

    Raises
    ------
    ValueError
        When the text is not an angle.
    """
    if value is None:
        return math.nan
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().replace("−", "-")
    if not text:
        return math.nan
    if re.search(r"\d\.\d*\.\d", text):
        msg = (
            f"{value!r} has two dots, so degrees, minutes and seconds cannot be told apart; "
            "write 86°07′13″ or decimal degrees"
        )
        raise ArgumentError(msg)
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
        raise ArgumentError(msg)
    numbers = [float(p) for p in parts]
    if any(n >= 60 for n in numbers[1:]):
        msg = f"minutes and seconds must be below 60: {value!r}"
        raise ArgumentError(msg)
    degrees = numbers[0] + sum(n / 60**k for k, n in enumerate(numbers[1:], 1))
    return float(sign * degrees)


_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_UNITS_LONGEST_FIRST = sorted(UNIT_FACTORS, key=len, reverse=True)


def parse_number(value: Any, *, factor: float = 1.0) -> float:
    """A number from a cell: text numbers, full-width digits, thousands separators and units.

    ``"12"``, ``"１２"``, ``"1,234"``, ``"12人"``, ``"133万"`` (1,330,000), ``"1.2万元"`` (12,000);
    ``factor`` is the header's unit (10,000 for ``投资(万元)``) and applies unless the value names
    its own unit. ``nan`` for an empty value. Decimal arithmetic, so ``34.8`` x 10,000 is 348,000.

    Raises
    ------
    ValueError
        When the value is not a number.
    """
    if value is None:
        return math.nan
    if isinstance(value, bool):
        msg = f"not a number: {value!r}"
        raise ArgumentError(msg)
    if isinstance(value, (int, float, np.integer, np.floating)):
        if math.isnan(float(value)):
            return math.nan
        text = repr(float(value)) if isinstance(value, (float, np.floating)) else str(int(value))
    else:
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))
    if not text:
        return math.nan
    scale = Decimal(str(factor)) if factor != 1.0 else Decimal(1)
    for unit in _UNITS_LONGEST_FIRST:
        if text.endswith(unit) and len(text) > len(unit):
            text, scale = text[: -len(unit)], Decimal(int(UNIT_FACTORS[unit]))
            break
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if "e" in text.lower() and not isinstance(value, str):
        return float(value) * factor
    if not _PLAIN_NUMBER.fullmatch(text):
        msg = f"not a number: {value!r}"
        raise ArgumentError(msg)
    try:
        return float(Decimal(text) * scale)
    except InvalidOperation as err:  # pragma: no cover - the pattern above rules it out
        msg = f"not a number: {value!r}"
        raise ArgumentError(msg) from err


_LON_RANGE = (73.0, 135.0)
_LAT_RANGE = (18.0, 54.0)


def split_lonlat(value: Any) -> tuple[float, float]:
    """Longitude and latitude from one cell (``"86.5,42.3"``, ``"42.3，86.5"``, ``"86.5 42.3"``).

    The order is told apart by China's ranges: longitude 73-135, latitude 18-54. Each half may be
    decimal or degrees-minutes-seconds (:func:`parse_angle`). ``(nan, nan)`` for an empty cell.

    Raises
    ------
    ValueError
        When the cell does not hold two angles, one in each range.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan, math.nan
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return math.nan, math.nan
    parts = [p for p in re.split(r"\s*[,;/、]\s*", text) if p]
    if len(parts) != 2:
        parts = text.split()
    if len(parts) != 2:
        msg = f"{value!r} is not two numbers separated by a comma"
        raise ArgumentError(msg)
    a, b = (parse_angle(p) for p in parts)

    def inside(v: float, bounds: tuple[float, float]) -> bool:
        return bounds[0] <= v <= bounds[1]

    if inside(a, _LON_RANGE) and inside(b, _LAT_RANGE):
        return a, b
    if inside(b, _LON_RANGE) and inside(a, _LAT_RANGE):
        return b, a
    msg = (
        f"{value!r}: cannot tell longitude (73-135 in China) from latitude (18-54); "
        "neither order fits"
    )
    raise ArgumentError(msg)


# --------------------------------------------------------------------------- settings


def _read_yaml_lines(
    path: Path, problems: list[Problem], layer: str = ""
) -> tuple[dict[str, Any], dict[str, int]]:
    """The mapping of a YAML file and the line of each field; a key written twice is an error."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        read = load_yaml(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        mark = getattr(err, "problem_mark", None)
        problems.append(
            coded_problem(
                "settings_unreadable",
                path.name,
                layer,
                f"line {mark.line + 1}" if mark is not None else "",
                "",
                "",
                error=err,
            )
        )
        return {}, {}
    problems.extend(duplicate_problems(path.name, read.duplicates, layer))
    data = read.data
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        problems.append(coded_problem("settings_not_mapping", path.name, layer, "", "", ""))
        return {}, {}
    return data, read.lines


def _read_settings(path: Path | None, problems: list[Problem]) -> _Settings:
    settings = _Settings()
    if path is None:
        return settings
    settings.file = path.name
    data, lines = _read_yaml_lines(path, problems)

    def line(where: str) -> str:
        return f"line {lines[where]}" if where in lines else ""

    for key, value in data.items():
        if key == "coordinates":
            if isinstance(value, str):
                settings.default_coordinates = value
            elif isinstance(value, dict):
                settings.coordinates = {str(k): str(v) for k, v in value.items()}
            continue
        if key not in LAYERS:
            problems.append(
                coded_problem(
                    "columns_unknown_section",
                    path.name,
                    str(key),
                    line(str(key)),
                    "",
                    str(key),
                    sections=f"{', '.join(LAYERS)}, coordinates",
                )
            )
            continue
        if not isinstance(value, dict):
            problems.append(
                coded_problem(
                    "columns_section_not_mapping", path.name, key, line(key), "", str(value)
                )
            )
            continue
        known = {c.name for c in LAYERS[key]} | {ID_INDEX, LONLAT, *COORDINATE_HEADERS}
        mapping: dict[str, str] = {}
        for local, target in value.items():
            if str(local) == "sheet":
                settings.sheets[key] = str(target)
                continue
            if str(target) not in known:
                problems.append(
                    coded_problem(
                        "columns_not_contract",
                        path.name,
                        key,
                        line(f"{key}.{local}"),
                        str(local),
                        str(target),
                        known=", ".join(sorted(known)),
                    )
                )
                continue
            mapping[str(local).strip()] = str(target)
        settings.mapping[key] = mapping
    return settings


# --------------------------------------------------------------------------- reading files


def _decode(data: bytes) -> tuple[str | None, int]:
    """Text of ``data`` in the first encoding that fits, and the failing byte offset if none."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), -1
        except UnicodeDecodeError as err:
            return None, err.start
    offset = 0
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding), -1
        except UnicodeDecodeError as err:
            offset = max(offset, err.start)
    return None, offset


def _undecodable(source: _Source, data: bytes, offset: int) -> Problem:
    line = data[:offset].count(b"\n") + 1
    return source.coded(
        "undecodable_text",
        f"line {line}",
        "",
        data[offset : offset + 4].hex(" "),
        encodings=" nor ".join(TEXT_ENCODINGS),
        offset=offset,
    )


def _kml_folders(path: Path) -> list[tuple[str, gpd.GeoDataFrame]]:
    """Every folder of a KML/KMZ file with its placemarks, in the file's order.

    GDAL reads each ``<Folder>`` as a layer of its own and, without a layer named, only the
    first; Google Earth and 2bulu nest the placemarks in folders (county, then area), so the
    first is often empty. ``<ExtendedData>`` fields keep their Chinese names (GDAL's LIBKML
    driver would launder ``乡镇代码`` into ``____________``).
    """
    option = "LIBKML_LAUNDER_FIELD_NAMES"
    before = pyogrio.get_gdal_config_option(option)
    pyogrio.set_gdal_config_options({option: "NO"})
    try:
        return [
            (name, pyogrio.read_dataframe(path, layer=name))
            for name in (str(row[0]) for row in pyogrio.list_layers(path))
        ]
    finally:
        pyogrio.set_gdal_config_options({option: before})


def _read_kml(path: Path) -> gpd.GeoDataFrame:
    """The placemarks of every folder of a KML/KMZ file as one layer."""
    parts = [gdf for _, gdf in _kml_folders(path)]
    filled = [gdf for gdf in parts if len(gdf)] or parts[:1]
    if not filled:
        return gpd.GeoDataFrame(geometry=[], crs=WGS84)
    return gpd.GeoDataFrame(pd.concat(filled, ignore_index=True), crs=filled[0].crs or WGS84)


def _read_vector(
    source: _Source, problems: list[Problem], settings: _Settings
) -> gpd.GeoDataFrame | None:
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
            if path.suffix.lower() in LOCATION_SUFFIXES:
                gdf = _read_kml(path)
            else:
                gdf = pyogrio.read_dataframe(path, encoding=encoding, **kwargs)
        except UnicodeDecodeError as err:
            last = err
            continue
        except Exception as err:
            problems.append(source.coded("unreadable_vector", error=err))
            return None
        if not isinstance(gdf, gpd.GeoDataFrame):
            gdf = gpd.GeoDataFrame(gdf)
        gdf[ROW_COLUMN] = [f"feature {i + 1}" for i in range(len(gdf))]
        if path.suffix.lower() in LOCATION_SUFFIXES:
            gdf = _kml_ids_from_names(gdf, source, problems, settings)
        return gdf
    problems.append(
        source.coded("attributes_undecodable", error=last, cpg=path.with_suffix(".cpg").name)
    )
    return None


def _kml_ids_from_names(
    gdf: gpd.GeoDataFrame, source: _Source, problems: list[Problem], settings: _Settings
) -> gpd.GeoDataFrame:
    """A KML layer whose placemarks have only their ``<name>`` gets the names as ids (a note).

    Google Earth, Ovital 奥维 and 91 卫图 write no placemark id, so GDAL's ``id`` field is empty
    throughout; every feature would be refused as "Missing id". When another field is read as
    the id (``乡镇代码: id`` in columns.yaml, or a known header such as ``编号``), that field
    gives the ids: the empty ``id`` field is dropped, and no name is read as an id.
    """
    if "id" in gdf and not gdf["id"].map(_is_missing).all():
        return gdf
    explicit = settings.mapping.get(source.layer, {})
    lookup = _header_lookup(source.layer, shapefile=False)
    fields = [str(c) for c in gdf.columns if c not in (ID_INDEX, ROW_COLUMN, "geometry")]
    if any((_header_reading(f, explicit, lookup) or (0, ""))[1] == ID_INDEX for f in fields):
        return gdf.drop(columns=ID_INDEX) if ID_INDEX in gdf else gdf
    if "Name" not in gdf:
        return gdf
    out = gdf.copy()
    out["id"] = out["Name"]
    problems.append(source.coded("kml_ids_from_names", severity="note"))
    return out


# --------------------------------------------------------------------------- headers


def _header_lookup(layer: str, *, shapefile: bool) -> dict[str, list[tuple[int, str]]]:
    """Normalised header -> [(strength, target)]: contract, Chinese, synonyms, coordinates."""
    lookup = known_headers(layer)
    if shapefile:
        for column in LAYERS[layer]:
            lookup.setdefault(normalise_header(column.name[:10]), [(0, column.name)])
    for target, headers in COORDINATE_HEADERS.items():
        for header in headers:
            lookup.setdefault(normalise_header(header), [(1, target)])
    for header in COORDINATE_CELL_HEADERS:
        lookup.setdefault(normalise_header(header), [(1, LONLAT)])
    return lookup


def _candidates(header: str) -> list[str]:
    """The spellings of a header tried in turn: whole, without its unit, each half of ``a / b``."""
    stripped = header.strip()
    base, _ = header_unit(stripped)
    out = [stripped, base]
    for part in re.split(r"\s*/\s*", stripped):
        out += [part.strip(), header_unit(part.strip())[0]]
    return list(dict.fromkeys(p for p in out if p))


def _match_header(header: str, lookup: dict[str, list[tuple[int, str]]]) -> tuple[int, str] | None:
    """(strength, target) of the best unambiguous reading of ``header``."""
    for candidate in _candidates(header):
        entries = lookup.get(normalise_header(candidate))
        if not entries:
            continue
        best = min(strength for strength, _ in entries)
        targets = {t for strength, t in entries if strength == best}
        if len(targets) == 1:
            return best, targets.pop()
    return None


_OWN_HEADER_CODES: frozenset[str] = frozenset({"header_also_fits", "header_unused"})
"""Problems whose column is a header of the file that no contract column was read from (an
extra column, a header not used): named as the file writes it, never as ``村名 (name)``."""


def _header_reading(
    header: str, explicit: dict[str, str], lookup: dict[str, list[tuple[int, str]]]
) -> tuple[int, str] | None:
    """(strength, target) ``header`` is read as; ``None`` when it is no known header.

    Its ``columns.yaml`` mapping (strength -1), else its best unambiguous known reading.
    """
    stripped = header.strip()
    if stripped in explicit:
        return -1, explicit[stripped]
    return _match_header(header, lookup)


def _known_header_count(cells: list[Any], layer: str, settings: _Settings) -> int:
    """How many ``cells`` are headers of ``layer`` (contract, synonym or ``columns.yaml``)."""
    lookup = _header_lookup(layer, shapefile=False)
    explicit = {normalise_header(h) for h in settings.mapping.get(layer, {})}
    count = 0
    for cell in cells:
        if not isinstance(cell, str) or not cell.strip():
            continue
        if normalise_header(cell) in explicit or _match_header(cell, lookup) is not None:
            count += 1
    return count


def _unnamed(header: str) -> bool:
    """Whether ``header`` is a reader's name for a column without a header (``Unnamed: 3``)."""
    return re.fullmatch(r"Unnamed: \d+(_level_\d+)?", header) is not None


def _rename(
    frame: pd.DataFrame, layer: str, settings: _Settings, source: _Source, problems: list[Problem]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename headers onto the contract (columns.yaml first, then built-in headers, synonyms).

    When several headers fit one column the strongest reading wins (``columns.yaml``, then the
    contract name, its Chinese header, a synonym); headers only close to a known one are suggested
    in a note, never used.
    """
    explicit = settings.mapping.get(layer, {})
    lookup = _header_lookup(layer, shapefile=source.path.suffix.lower() == ".shp")
    headers = [str(c) for c in frame.columns if c not in (ROW_COLUMN, "geometry")]
    readings: dict[str, tuple[int, str]] = {}
    for header in headers:
        found = _header_reading(header, explicit, lookup)
        if found is not None:
            readings[header] = found
    for local in explicit:
        if local not in [h.strip() for h in headers]:
            problems.append(
                coded_problem(
                    "columns_header_absent",
                    settings.file,
                    layer,
                    "",
                    local,
                    local,
                    header=local,
                    file=source.label,
                    seen=", ".join(headers),
                )
            )
    renames: dict[str, str] = {}
    kept: list[tuple[str, str, str]] = []  # (header, the target it also fits, the one read)
    for target in dict.fromkeys(t for _, t in readings.values()):
        fits = [(s, h) for h, (s, t) in readings.items() if t == target]
        best = min(s for s, _ in fits)
        strongest = [h for s, h in fits if s == best]
        if len(strongest) > 1:
            problems.append(
                source.coded(
                    "headers_ambiguous",
                    "",
                    target,
                    ", ".join(h for _, h in fits),
                    in_layer=layer,
                    column=target,
                )
            )
        renames[strongest[0]] = target
        for _, other in fits:
            if other not in strongest:
                kept.append((other, target, strongest[0]))
    used = set(renames.values())
    for header in headers:
        if header in renames or header in readings:
            continue
        close = [(k, t) for k, t in suggest_headers(header, layer) if t not in used]
        if close:
            known, target = close[0]
            problems.append(
                source.coded(
                    "header_unused",
                    "",
                    header,
                    header,
                    in_layer=layer,
                    severity="note",
                    header=header,
                    known=known,
                    target=target,
                    stripped=header.strip(),
                    layer=layer,
                )
            )
    taken = set(headers) | set(renames.values())
    extras: dict[str, str] = {}
    for other, target, first in kept:
        if other in renames.values():
            # an extra column spelt as the target (``name`` beside ``村名: name``) keeps its
            # values under another name, so the layer never holds two columns of one name
            extra = other
            while extra in taken:
                extra += "'"
            taken.add(extra)
            extras[other] = extra
        # the column is the file's own header (never relabelled as the contract column it
        # also fits: see _OWN_HEADER_CODES), and the message says what the layer calls it
        problems.append(
            source.coded(
                "header_also_fits",
                "",
                other,
                other,
                in_layer=layer,
                severity="note",
                other=other,
                target=target,
                first=first,
                kept=extras.get(other, other),
            )
        )
    synonyms = [f"{h} → {t}" for h, t in renames.items() if readings[h][0] == 2]
    if synonyms:
        problems.append(
            source.coded(
                "headers_by_synonym", in_layer=layer, severity="note", synonyms=", ".join(synonyms)
            )
        )
    unread = [h for h in headers if h not in readings and h.strip() and not _unnamed(h)]
    if unread:  # every column the layer leaves out, so none is lost unseen
        problems.append(
            source.coded(
                "columns_not_read",
                "",
                "",
                ", ".join(unread),
                in_layer=layer,
                severity="note",
                headers=", ".join(unread),
                layer=layer,
                file=source.label,
            )
        )
    return frame.rename(columns={**renames, **extras}), renames


# --------------------------------------------------------------------------- coordinates


def _coordinate_system(
    text: str, source: _Source, problems: list[Problem], settings_file: str
) -> tuple[CRS, str | None] | None:
    """The CRS and offset system ``text`` declares, or None after reporting it unknown."""
    try:
        return parse_coordinate_system(text)
    except CRSError as err:
        problems.append(
            coded_problem(
                "coordinates_unknown",
                settings_file,
                source.layer,
                "",
                "coordinates",
                text,
                error=err,
            )
        )
        return None


def _points_from_table(
    frame: pd.DataFrame,
    source: _Source,
    coordinates: str | None,
    problems: list[Problem],
    settings_file: str,
) -> gpd.GeoDataFrame | None:
    """Points from longitude/latitude (or x/y) columns, in WGS-84 or the declared CRS."""
    parsed = _coordinate_system(coordinates or "wgs84", source, problems, settings_file)
    if parsed is None:
        return None
    crs, offset = parsed
    ids = frame[ID_INDEX] if ID_INDEX in frame else pd.Series([""] * len(frame))
    row_ids = [id_text(i) or str(r) for i, r in zip(ids, frame[ROW_COLUMN], strict=True)]
    projected = crs.is_projected
    if projected:
        xcol, ycol = ("x", "y") if "x" in frame else ("lon", "lat")
    else:
        xcol, ycol = (
            ("x", "y") if ("x" in frame or "y" in frame) and "lon" not in frame else ("lon", "lat")
        )
    if not projected and (xcol, ycol) == ("x", "y") and "x" in frame and coordinates is None:
        problems.append(source.coded("xy_without_crs", "", "x/y", file=settings_file))
        return None
    absent = [c for c in (xcol, ycol) if c not in frame]
    if absent:
        seen = ", ".join(str(c) for c in frame.columns if c != ROW_COLUMN)
        problems.append(
            source.coded(
                "missing_coordinate_columns", "", "/".join(absent), seen=seen, layer=source.layer
            )
        )
        gdf = gpd.GeoDataFrame(frame, geometry=[None] * len(frame), crs=crs)
        gdf[GEOMETRY_REPORTED] = True
        return gdf  # the other columns are still checked, so every missing column is listed
    xs = np.full(len(frame), np.nan)
    ys = np.full(len(frame), np.nan)
    reported = np.zeros(len(frame), dtype=bool)
    for k, (xv, yv) in enumerate(zip(frame[xcol], frame[ycol], strict=True)):
        for arr, col, value in ((xs, xcol, xv), (ys, ycol, yv)):
            try:
                arr[k] = float(str(value).strip() or "nan") if projected else parse_angle(value)
            except ValueError as err:
                reported[k] = True
                problems.append(
                    source.coded("not_a_coordinate", row_ids[k], col, str(value), error=err)
                )
        if not reported[k] and (math.isnan(xs[k]) or math.isnan(ys[k])):
            reported[k] = True
            problems.append(
                source.coded("missing_coordinate", row_ids[k], xcol if math.isnan(xs[k]) else ycol)
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
        parsed = _coordinate_system(coordinates, source, problems, settings_file)
        if parsed is None:
            return None
        declared, offset = parsed
    if gdf.crs is None:
        if declared is None:
            problems.append(source.coded("missing_crs", layer=source.layer))
            return None
        gdf = gdf.set_crs(declared)
    else:
        try:
            CRS.from_user_input(gdf.crs)
        except Exception:
            problems.append(source.coded("layer_crs_unknown", "", "", str(gdf.crs)))
            return None
        if gdf.crs.is_geographic and not gdf.empty:
            west, south, east, north = gdf.total_bounds
            if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
                problems.append(
                    source.coded(
                        "degrees_out_of_range",
                        "",
                        "",
                        f"bounds {west:.0f}, {south:.0f}, {east:.0f}, {north:.0f}",
                    )
                )
                return None
    if offset is not None:
        gdf = _apply_offset(gdf, offset)
    gdf = gdf.copy()
    gdf[GEOMETRY_REPORTED] = False
    return gdf
