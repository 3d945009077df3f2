"""Scenario files: one YAML file names a whole what-if, loaded into the settings objects.

A scenario names the planning-area folder (and its column mapping and CRS), the travel mode and
day limit of each grade band, closed schools and roads, the plan horizon, the restoration plan
(sites per phase or budget, must and never sites), district options and outputs. A scenario may
extend another (``base: other.yaml``) and override a few fields; relative paths resolve against
the file that names them. Every problem is collected and raised once as a
:class:`~geoplan._errors.ScenarioError` naming the file, the field and the fix.

Fields (every one optional except ``area.folder`` somewhere in the ``base:`` chain)::

    name: winter_pass_closed          # default: the file name without .yaml
    description: The Aqik pass closed from November to March.
    base: base/demo_county.yaml       # a scenario this one extends
    seed: 0                           # recorded in the manifest
    area: {folder: ../demo, columns: null, crs: null, roads: null, boundary_tolerance_m: 1000}
    rules: {day_limit_min: {g1_3: 30}, class_size_limit: {g1_3: 45},
            teaching_point_class_size_limit: 30, teaching_point_max_classes: 4,
            teaching_point_min_pupils: 10, pupils_per_teacher: 15}
    travel: {modes: {g1_3: child_walk, g4_6: pupil_walk, g7_9: school_bus},
             boarders_trip_mode: school_bus}  # how boarders travel home once a week
    closures:
      schools: [S07]                  # schools treated as closed
      choose: false                   # also close or merge the emptiest schools
      roads: [{label: winter, names: [Aqik Winter Pass], way_ids: [], polygon: null}]
    projection: {years: 4}
    restoration: {enabled: true, sites_per_phase: [4, 4, 3, 3], budget_per_phase_yuan: null,
                  must: [P01], never: [P09], time_limit_s: 30,
                  robust: null}   # worst | regret | expected over the seasons (with seasons:)
    siting: {model: p_median, p: 6, limit_min: 30, budget_yuan: 3000000, band: g1_3,
             time_limit_s: 60}  # instead of restoration (exclusive): one location model
                                # (p_median | max_coverage | set_cover | budgeted_coverage)
                                # chooses new teaching points among the sites, as one phase;
                                # p counts new sites, today's open schools are fixed on top
    seasons:                          # seasons of the school year (optional): journeys and
      summer: {months: 5}             # indicators per season and for the year (months-weighted);
      winter: {months: 4,             # a season's closures are added to `closures.roads`, its
               closures: [{names: [Aqik Winter Pass]}],   # speed factor multiplies every
               speed_factor: {child_walk: 0.7}}           # speed of that mode; months <= 12
    # siting: {..., robust: worst}    # worst | regret | expected over the seasons
    districts: {enabled: true, use_planned_extension: true, extra_classes: {S01: {g1_3: 2}},
                time_limit_s: 30,
                max_pupils_moved: {primary: 300, middle: 150},  # or one number for both levels;
                max_journey_increase_min: 10,   # against today's school (blocks' school_primary
                stay_weight_min: 5,             # / school_middle); minutes a kept pupil is worth
                feeders: true}                  # each primary district inside one middle district
    outputs: {lang: en, maps: true}
    investment: {budget_by_year_yuan: {2025: 52190000, 2026: 26050000, 2027: 53950000},
                 carry_over: false, done: done.csv,   # the needs scheduled year by year
                 base_year: 2025}   # optional: the year the plan is made; a budget year
                                    # before it is warned about (default: none, no check)
    standards: {building_yuan_per_m2: 3200, pupils_per_computer: {primary: 12},
                playground_m2_per_pupil: {primary: {6: 12.0, 12: 9.0}}}
                                      # any value of geoplan/data/standards.yaml
    ways: {bus_walk_max_m: 2000, bus_wait_min: 10, bus_mode: school_bus,
           escorted_townships: [T03, T07], escorted_mode: riding,   # or car
           board_bands: [g4_6, g7_9], walk_modes: {g7_9: pupil_walk},
           bus_seats: {S04: 40},        # replaces the schools' bus_seats column (what-if)
           places: true, time_limit_s: 60}
                                      # how pupils get to school: walk, bus (schools'
                                      # bus_seats), escorted (villages' escorted), board
                                      # (boarding_beds), one MIP within seats, beds, places
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import math
import re
import tomllib
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from shapely import wkt
from shapely.errors import ShapelyError

from geoplan.data._yaml import duplicate_problems, line_of, load_yaml
from geoplan.data.files import parse_number
from geoplan.data.headers import UNIT_FACTORS
from geoplan.data.messages import coded_error, coded_problem
from geoplan.data.problem_log import log_language, log_problem
from geoplan.errors import MissingInputError, Problem, ScenarioError
from geoplan.models.siting import ROBUST
from geoplan.network.modes import MODES, Closure
from geoplan.plan.investments import InvestmentSettings
from geoplan.plan.pipeline import DEFAULT_BAND_MODES, PlanSettings
from geoplan.plan.seasons import MONTHS_PER_YEAR, Season
from geoplan.plan.siting_plan import SITING_MODELS, SitingSettings
from geoplan.plan.standards import STANDARD_KEYS, checked_overrides, default_standards
from geoplan.plan.ways import WaysSettings
from geoplan.rules import BANDS, PlanningRules, bands_taught

__all__ = [
    "PATH_FIELDS",
    "SCHEMA",
    "Scenario",
    "load_scenario",
]

_logger = logging.getLogger(__name__)

SCHEMA: dict[str, Any] = {
    "name": "str",
    "description": "str",
    "base": "path",
    "seed": "int",
    "area": {
        "folder": "path",
        "columns": "path",
        "crs": "str",
        "roads": "path",
        "boundary_tolerance_m": "number",
    },
    "rules": {
        "day_limit_min": "bands_number",
        "class_size_limit": "bands_int",
        "teaching_point_class_size_limit": "int",
        "teaching_point_max_classes": "int",
        "teaching_point_min_pupils": "int",
        "pupils_per_teacher": "number",
    },
    "travel": {"modes": "bands_mode", "boarders_trip_mode": "mode"},
    "closures": {"schools": "ids", "choose": "bool", "roads": "road_closures"},
    "projection": {"years": "int"},
    "restoration": {
        "enabled": "bool",
        "sites_per_phase": "ints",
        "budget_per_phase_yuan": "numbers",
        "must": "ids",
        "never": "ids",
        "time_limit_s": "number",
        "robust": "robust",
    },
    "siting": {
        "model": "siting_model",
        "p": "int",
        "limit_min": "number",
        "budget_yuan": "number",
        "band": "band",
        "time_limit_s": "number",
        "robust": "robust",
    },
    "seasons": "seasons",
    "districts": {
        "enabled": "bool",
        "use_planned_extension": "bool",
        "extra_classes": "extra_classes",
        "time_limit_s": "number",
        "gap_tolerance_m": "number",
        "min_shared_m": "number",
        "add_pairs": "block_pairs",
        "remove_pairs": "block_pairs",
        "islands": "island_mode",
        "max_pupils_moved": "level_number",
        "max_journey_increase_min": "level_number",
        "stay_weight_min": "level_number",
        "feeders": "bool",
    },
    "outputs": {"lang": "lang", "maps": "bool", "profiles": "bool", "print_maps": "bool"},
    "investment": {
        "budget_by_year_yuan": "budget_by_year",
        "base_year": "int",
        "carry_over": "bool",
        "done": "path",
        "time_limit_s": "number",
    },
    "standards": dict.fromkeys(STANDARD_KEYS, "standard"),
    "ways": {
        "enabled": "bool",
        "bus_walk_max_m": "number",
        "bus_wait_min": "number",
        "bus_mode": "mode",
        "escorted_townships": "ids",
        "escorted_mode": "mode",
        "board_bands": "bands",
        "walk_modes": "bands_mode",
        "bus_seats": "seats_by_school",
        "places": "bool",
        "time_limit_s": "number",
    },
}
"""Every field a scenario file may hold: sections map to their fields, leaves name a kind."""

PATH_FIELDS: tuple[tuple[str, ...], ...] = (
    ("area", "folder"),
    ("area", "columns"),
    ("area", "roads"),
    ("investment", "done"),
)
"""Fields holding paths, resolved against the file that names them."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Scenario:
    """A what-if, ready to run: where the data is and every setting of the plan.

    Parameters
    ----------
    name
        Name of the scenario and of its output folder.
    area
        Planning-area folder (or GeoPackage).
    settings
        The plan settings (rules, modes, closures, restoration, districts).
    description
        One line for the comparison table.
    columns
        A ``columns.yaml`` to use instead of the folder's own.
    crs
        Metric CRS to use instead of the folder's choice.
    roads
        Road network file to use instead of the folder's ``roads.*``.
    boundary_tolerance_m
        How far outside the townships a location may lie.
    must_sites, never_sites
        Site ids the plan must restore, or may not restore.
    seed
        Seed recorded in the manifest (the pipeline itself draws no random numbers).
    lang
        Label language of maps and tables (``en`` or ``zh``).
    maps
        Write the HTML maps.
    profiles
        Write one page (and a printable PDF) per school, with an index.
    print_maps
        Write printable A4 maps (PDF and PNG).
    files
        The scenario files read, this one first, then its bases.
    origins
        Where each field is written: dotted field (``restoration.must``) -> (file, line).
    warnings
        Problems of severity ``warning`` found while loading (logged, and recorded in the run's
        ``manifest.json``), e.g. a budget year before ``investment.base_year``.
    """

    name: str
    area: Path
    settings: PlanSettings = field(default_factory=PlanSettings)
    description: str = ""
    columns: Path | None = None
    crs: str | None = None
    roads: Path | None = None
    boundary_tolerance_m: float = 1000.0
    must_sites: tuple[str, ...] = ()
    never_sites: tuple[str, ...] = ()
    seed: int = 0
    lang: str = "en"
    maps: bool = True
    profiles: bool = True
    print_maps: bool = True
    files: tuple[Path, ...] = ()
    origins: Mapping[str, tuple[str, int]] = field(default_factory=dict, compare=False, repr=False)
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    def origin(self, field_name: str) -> tuple[str, int]:
        """The file and line (0: not known) where field ``field_name`` is written."""
        default = str(self.files[0]) if self.files else self.name
        return _field_origin(self.origins, field_name, default)

    def where(self, field_name: str) -> str:
        """Where field ``field_name`` is written, for a message: ``tiny.yaml line 12``."""
        file, line = self.origin(field_name)
        return f"{file} line {line}" if line else file


# --------------------------------------------------------------------------- reading


def _read_raw(path: Path, problems: list[Problem]) -> tuple[dict[str, Any] | None, dict[str, int]]:
    """The fields of one scenario file and the line of each (YAML only)."""
    lines: dict[str, int] = {}
    data = _read_fields(path, problems, lines)
    return data, lines


def _read_fields(
    path: Path, problems: list[Problem], lines: dict[str, int]
) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        problems.append(coded_problem("scenario_not_utf8", str(path), "", "", "", ""))
        return None
    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            problems.append(
                coded_problem("scenario_not_toml", str(path), "", "", "", "", error=err)
            )
            return None
        return data
    try:
        read = load_yaml(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problems.append(
            coded_problem(
                "scenario_not_yaml",
                str(path),
                "",
                f"line {mark.line + 1}" if mark is not None else "",
                "",
                "",
                error=_yaml_error(err),
            )
        )
        return None
    problems.extend(duplicate_problems(str(path), read.duplicates))
    lines.update(read.lines)
    data = read.data
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.append(
            coded_problem("scenario_not_mapping", str(path), "", "", "", type(data).__name__)
        )
        return None
    return data


def _yaml_error(err: yaml.YAMLError) -> str:
    """What YAML says is wrong, without its copy of the text (``expected ',' or ']'``)."""
    problem = getattr(err, "problem", None)
    if not problem:
        return " ".join(str(err).split())
    context = getattr(err, "context", None)
    return f"{context}: {problem}" if context else str(problem)


def _resolve_paths(data: dict[str, Any], folder: Path) -> None:
    """Make the path fields of one file absolute, against that file's folder (in place)."""
    for section, key in PATH_FIELDS:
        part = data.get(section)
        if isinstance(part, dict) and isinstance(part.get(key), str | Path):
            part[key] = str((folder / str(part[key])).resolve())


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """``child`` over ``base``: sections merge field by field, other values replace."""
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key in SCHEMA:
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


_Origins = dict[str, tuple[str, int]]
"""Dotted field path (``restoration.must``) -> (scenario file, line) where it is written."""


def _load_chain(
    path: Path, problems: list[Problem], seen: tuple[Path, ...], origins: _Origins
) -> tuple[dict[str, Any], list[Path]]:
    """The merged fields of ``path`` and its bases, and the files read.

    ``origins`` is filled with the file and line of every field, a file's own over its bases'.
    """
    if path in seen:
        chain = " -> ".join(p.name for p in (*seen, path))
        problems.append(
            coded_problem("bases_loop", str(seen[-1]), "", "", "base", path, chain=chain)
        )
        return {}, []
    if not path.is_file():
        problems.append(
            coded_problem(
                "base_missing",
                str(seen[-1]) if seen else str(path),
                "",
                "",
                "base" if seen else "",
                path,
                name=path.name,
            )
        )
        return {}, []
    data, lines = _read_raw(path, problems)
    if data is None:
        return {}, [path]
    own = {where: (str(path), line) for where, line in lines.items()}
    _Checker(str(path), problems, own).unknown(data, SCHEMA, "")
    _resolve_paths(data, path.parent)
    files = [path]
    base = data.get("base")
    merged: dict[str, Any] = {}
    if base is not None:
        if not isinstance(base, str):
            problems.append(coded_problem("base_not_name", str(path), "", "", "base", base))
        else:
            merged, base_files = _load_chain(
                (path.parent / base).resolve(), problems, (*seen, path), origins
            )
            files += base_files
            merged.pop("name", None)  # a scenario's name is its own
    origins.update(own)
    return _merge(merged, {k: v for k, v in data.items() if k != "base"}), files


# --------------------------------------------------------------------------- checking


class _Checker:
    """Checks field values against :data:`SCHEMA`, collecting problems."""

    def __init__(self, file: str, problems: list[Problem], origins: _Origins | None = None) -> None:
        self.file = file
        self.problems = problems
        self.origins = origins or {}

    def coded(
        self, code: str, where: str, value: Any, *, severity: str = "error", **params: Any
    ) -> None:
        """A problem whose text is the catalogue's entry ``code`` (English and Chinese)."""
        section = where.split(".")[0] if "." in where else ""
        file, line = _field_origin(self.origins, where, self.file)
        row = f"line {line}" if line else ""
        problem = coded_problem(
            code, file, section, row, where, _text(value), severity=severity, field=where, **params
        )
        self.problems.append(problem)

    def placed(self, problem: Problem) -> Problem:
        """``problem`` (its column a dotted field) at the file and line where the field is."""
        file, line = _field_origin(self.origins, problem.column, self.file)
        return dataclasses.replace(problem, file=file, row_id=f"line {line}" if line else "")

    def unknown(self, data: Mapping[str, Any], schema: Mapping[str, Any], prefix: str) -> None:
        for key in data:
            where = f"{prefix}{key}"
            if key not in schema:
                # the closest spelling first (bus_wait -> bus_wait_min, not bus_walk_max_m)
                close = difflib.get_close_matches(str(key), list(schema), 1, 0.6) or [
                    k for k in schema if k.startswith(str(key)[:3])
                ]
                self.coded(
                    "unknown_field" if close else "unknown_field_no_hint",
                    where,
                    key,
                    known=", ".join(schema),
                    close=close[0] if close else "",
                )
            elif isinstance(schema[key], dict):
                if not isinstance(data[key], dict):
                    self.coded(
                        "section_not_mapping",
                        where,
                        data[key],
                        key=key,
                        example=next(iter(schema[key])),
                    )
                else:
                    self.unknown(data[key], schema[key], f"{where}.")

    def number(self, where: str, value: Any, *, positive: bool = True) -> float | None:
        """A number; an amount in yuan (a ``_yuan`` field) read as table cells are (``50万``)."""
        if _is_money(where):
            got = _money_amount(value)
            if got is None:
                self.coded("scenario_not_money", where, value, example=_example_number(where))
                return None
        elif isinstance(value, int | float) and not isinstance(value, bool):
            got = float(value)
        else:
            got = math.nan
        if not math.isfinite(got) or (positive and got <= 0):
            self.coded(
                "scenario_not_positive" if positive else "scenario_not_number",
                where,
                value,
                example=_example_number(where),
            )
            return None
        return got

    def integer(self, where: str, value: Any, *, low: int = 1) -> int | None:
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            self.coded("scenario_not_whole", where, value, low=low, example=max(low, 4))
            return None
        return int(value)

    def boolean(self, where: str, value: Any) -> bool | None:
        if not isinstance(value, bool):
            self.coded("scenario_not_bool", where, value)
            return None
        return value

    def ids(self, where: str, value: Any) -> tuple[str, ...] | None:
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            self.coded("scenario_not_ids", where, value)
            return None
        return tuple(str(v) for v in value)

    def bands(
        self, where: str, value: Any, each: Callable[[str, Any], Any]
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.coded("not_per_band", where, value)
            return None
        out: dict[str, Any] = {}
        for band, item in value.items():
            if band not in BANDS:
                self.coded("scenario_unknown_band", f"{where}.{band}", band, bands=", ".join(BANDS))
                continue
            checked = each(f"{where}.{band}", item)
            if checked is not None:
                out[str(band)] = checked
        return out


def _field_origin(origins: Mapping[str, tuple[str, int]], where: str, file: str) -> tuple[str, int]:
    """The scenario file and line of field ``where`` (or of its nearest enclosing field).

    ``(file, 0)`` when no line is known (a TOML file, a field left out).
    """
    lines = {path: line for path, (_, line) in origins.items()}
    line = line_of(lines, where)
    if line is None:
        return file, 0
    path = where
    while path not in origins:
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut]
    return origins[path][0], line


def _text(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _path(check: _Checker, where: str, value: Any, *, folder_ok: bool) -> Path | None:
    if not isinstance(value, str):
        check.coded("scenario_not_path", where, value)
        return None
    path = Path(value)
    if not path.exists():
        check.coded("scenario_path_missing", where, value)
        return None
    if not folder_ok and path.is_dir():
        check.coded("scenario_folder_not_file", where, value)
        return None
    return path


def _road_closures(check: _Checker, where: str, value: Any) -> tuple[Closure, ...] | None:
    if not isinstance(value, list):
        check.coded("closures_not_list", where, value)
        return None
    out: list[Closure] = []
    keys = ("label", "names", "way_ids", "polygon")
    for i, item in enumerate(value):
        here = f"{where}[{i}]"
        if not isinstance(item, dict):
            check.coded("closure_not_mapping", here, item)
            continue
        for key in item:
            if key not in keys:
                check.coded("unknown_field_no_hint", f"{here}.{key}", key, known=", ".join(keys))
        names = check.ids(f"{here}.names", item.get("names", []))
        way_ids: tuple[int, ...] | None = ()
        raw_ids = item.get("way_ids", [])
        if not isinstance(raw_ids, list) or not all(
            isinstance(w, int) and not isinstance(w, bool) for w in raw_ids
        ):
            check.coded("way_ids_not_list", f"{here}.way_ids", raw_ids)
            way_ids = None
        else:
            way_ids = tuple(int(w) for w in raw_ids)
        polygon = None
        if item.get("polygon") is not None:
            try:
                polygon = wkt.loads(str(item["polygon"]))
            except (ShapelyError, ValueError):
                check.coded("not_wkt_polygon", f"{here}.polygon", item["polygon"])
        if names is not None and way_ids is not None and not (names or way_ids or polygon):
            check.coded("closure_closes_nothing", here, item)
            continue
        label = str(item.get("label") or ", ".join(names or ()) or f"closure {i + 1}")
        out.append(Closure(label=label, way_ids=way_ids or (), names=names or (), polygon=polygon))
    return tuple(out)


def _extra_classes(check: _Checker, where: str, value: Any) -> dict[str, dict[str, int]] | None:
    if not isinstance(value, dict):
        check.coded("extra_classes_not_mapping", where, value)
        return None
    out: dict[str, dict[str, int]] = {}
    for school, per_band in value.items():
        got = check.bands(f"{where}.{school}", per_band, lambda w, v: check.integer(w, v, low=0))
        if got is not None:
            out[str(school)] = got
    return out


_LEVELS = ("primary", "middle")
_LEVEL_EXAMPLES = {
    "max_pupils_moved": ("pupils", "300", "{primary: 300, middle: 150}"),
    "max_journey_increase_min": ("minutes", "10", "{primary: 10, middle: 15}"),
    "stay_weight_min": ("minutes", "5", "{primary: 5, middle: 5}"),
}


def _level_number(check: _Checker, key: str, value: Any) -> float | dict[str, float] | None:
    """A ``districts:`` stability field: one number (0 or more) or one per school level."""
    if value is None:
        return None
    where = f"districts.{key}"
    unit, one, per = _LEVEL_EXAMPLES[key]

    def each(at: str, item: Any) -> float | None:
        ok = isinstance(item, int | float) and not isinstance(item, bool)
        if not ok or not math.isfinite(float(item)) or float(item) < 0:
            check.coded("level_number_bad", at, item, unit=unit, key=key, one=one, per=per)
            return None
        return float(item)

    if isinstance(value, dict):
        out: dict[str, float] = {}
        for level, item in value.items():
            if level not in _LEVELS:
                check.coded("level_unknown", f"{where}.{level}", level, key=key, per=per)
                continue
            got = each(f"{where}.{level}", item)
            if got is not None:
                out[str(level)] = got
        return out
    return each(where, value)


def _block_pairs(check: _Checker, where: str, value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    ok = isinstance(value, list) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(v, str | int) for v in p)
        for p in value
    )
    if not ok:
        check.coded("block_pairs_not_list", where, value)
        return ()
    return tuple((str(a), str(b)) for a, b in value)


def _siting(check: _Checker, data: Mapping[str, Any]) -> SitingSettings | None:
    """The ``siting:`` section, checked; exclusive with an enabled ``restoration:``."""
    part = data.get("siting")
    if not isinstance(part, dict):
        return None
    restoration = data.get("restoration")
    if isinstance(restoration, dict) and restoration.get("enabled", True) is not False:
        check.coded("siting_and_restoration", "siting", part.get("model", ""))
    model = part.get("model")
    if model not in SITING_MODELS:
        check.coded("siting_model_unknown", "siting.model", model, models=", ".join(SITING_MODELS))
        return None
    p = check.integer("siting.p", part["p"]) if part.get("p") is not None else None
    if model in ("p_median", "max_coverage") and part.get("p") is None:
        check.coded("siting_needs_p", "siting.p", "", model=model)
    limit = (
        check.number("siting.limit_min", part["limit_min"])
        if part.get("limit_min") is not None
        else None
    )
    budget = (
        check.number("siting.budget_yuan", part["budget_yuan"])
        if part.get("budget_yuan") is not None
        else None
    )
    if model == "budgeted_coverage" and part.get("budget_yuan") is None:
        check.coded("siting_needs_budget", "siting.budget_yuan", "")
    band = part.get("band", "g1_3")
    if band not in bands_taught("teaching_point"):
        check.coded(
            "siting_band", "siting.band", band, bands=", ".join(bands_taught("teaching_point"))
        )
        return None
    limit_s = part.get("time_limit_s")
    robust = part.get("robust")
    if robust is not None and robust not in ROBUST:
        check.coded("robust_unknown", "siting.robust", robust, robust=", ".join(ROBUST))
        robust = None
    elif robust is not None and not isinstance(data.get("seasons"), dict):
        check.coded("robust_needs_seasons", "siting.robust", robust)
        robust = None
    try:
        return SitingSettings(
            model=str(model),
            p=p,
            limit_min=limit,
            budget_yuan=budget,
            band=str(band),
            time_limit_s=60.0
            if limit_s is None
            else (check.number("siting.time_limit_s", limit_s) or 60.0),
            robust=None if robust is None else str(robust),
        )
    except ValueError:
        return None  # the problem is reported above


def _ways(check: _Checker, data: Mapping[str, Any]) -> WaysSettings | None:
    """The ``ways:`` section, checked (``None`` when absent or ``enabled: false``)."""
    part = data.get("ways")
    if not isinstance(part, dict):
        return None
    enabled = part.get("enabled", True)
    if check.boolean("ways.enabled", enabled) is not True:
        return None
    kw: dict[str, Any] = {}
    for key in ("bus_walk_max_m", "bus_wait_min"):
        if part.get(key) is not None:
            got = check.number(f"ways.{key}", part[key], positive=False)
            if got is not None and got < 0:
                check.coded("scenario_negative", f"ways.{key}", part[key])
            elif got is not None:
                kw[key] = got
    if part.get("time_limit_s") is not None:
        limit = check.number("ways.time_limit_s", part["time_limit_s"])
        if limit is not None:
            kw["time_limit_s"] = limit
    vehicles = {"bus_mode": ("school_bus", "car"), "escorted_mode": ("riding", "car")}
    for key, allowed in vehicles.items():
        value = part.get(key)
        if value is None:
            continue
        if value not in allowed:
            check.coded("way_mode_not_vehicle", f"ways.{key}", value, modes=", ".join(allowed))
        else:
            kw[key] = str(value)
    towns = part.get("escorted_townships")
    if towns is not None:
        got_towns = check.ids("ways.escorted_townships", towns)
        if got_towns is not None:
            kw["escorted_townships"] = got_towns
    bands = part.get("board_bands")
    if bands is not None:
        if not isinstance(bands, list) or any(b not in BANDS for b in bands):
            check.coded("board_bands_not_list", "ways.board_bands", bands, bands=", ".join(BANDS))
        else:
            if "g1_3" in bands:
                _logger.warning(
                    "%s: ways.board_bands lets grades 1-3 board; State Council guidance keeps "
                    "them near home.",
                    check.file,
                )
            kw["board_bands"] = tuple(str(b) for b in bands)
    walking = [n for n, m in MODES.items() if m.access == "foot" and not m.speeds_kph]

    def walk_mode(where: str, value: Any) -> str | None:
        if value not in walking:
            check.coded("not_walking_mode", where, value, modes=", ".join(walking))
            return None
        return str(value)

    if part.get("walk_modes") is not None:
        got_walk = check.bands("ways.walk_modes", part["walk_modes"], walk_mode)
        if got_walk is not None:
            kw["walk_modes"] = got_walk
    seats = part.get("bus_seats")
    if seats is not None:
        if not isinstance(seats, dict):
            check.coded("bus_seats_not_mapping", "ways.bus_seats", seats)
        else:
            got_seats = {}
            for sid, n in seats.items():
                whole = check.integer(f"ways.bus_seats.{sid}", n, low=0)
                if whole is not None:
                    got_seats[str(sid)] = whole
            kw["bus_seats"] = got_seats
    if part.get("places") is not None:
        places = check.boolean("ways.places", part["places"])
        if places is not None:
            kw["places"] = places
    try:
        return WaysSettings(**kw)
    except ValueError:
        return None  # the problem is reported above


def _seasons(check: _Checker, value: Any) -> tuple[Season, ...]:
    """The ``seasons:`` section: name -> {months, closures, speed_factor}, checked."""
    if value is None:
        return ()
    if not isinstance(value, dict) or not value:
        check.coded("seasons_not_mapping", "seasons", value)
        return ()
    out: list[Season] = []
    for name, part in value.items():
        here = f"seasons.{name}"
        if not isinstance(part, dict):
            check.coded("season_not_mapping", here, part)
            continue
        for key in part:
            if key not in ("months", "closures", "speed_factor"):
                check.coded(
                    "unknown_field_no_hint",
                    f"{here}.{key}",
                    key,
                    known="months, closures, speed_factor",
                )
        months = check.number(f"{here}.months", part.get("months"))
        closures = _road_closures(check, f"{here}.closures", part.get("closures") or [])
        factors: dict[str, float] = {}
        raw = part.get("speed_factor") or {}
        if not isinstance(raw, dict):
            check.coded("speed_factor_not_mapping", f"{here}.speed_factor", raw)
            raw = {}
        for mode, factor in raw.items():
            if mode not in MODES:
                check.coded(
                    "mode_unknown", f"{here}.speed_factor.{mode}", mode, modes=", ".join(MODES)
                )
                continue
            got = check.number(f"{here}.speed_factor.{mode}", factor)
            if got is not None:
                factors[str(mode)] = got
        if months is not None:
            out.append(Season(str(name), months, closures or (), factors))
    total = sum(s.months for s in out)
    if total > MONTHS_PER_YEAR + 1e-9:
        check.coded("seasons_months_over", "seasons", f"{total:g} months", months=MONTHS_PER_YEAR)
    return tuple(out)


def _restoration_robust(check: _Checker, data: Mapping[str, Any]) -> str | None:
    """``restoration.robust``: worst, regret or expected over the seasons (needs `seasons:`)."""
    robust = _get(data, "restoration", "robust")
    if robust is None:
        return None
    if robust not in ROBUST:
        check.coded("robust_unknown", "restoration.robust", robust, robust=", ".join(ROBUST))
        return None
    if not isinstance(data.get("seasons"), dict):
        check.coded("robust_needs_seasons", "restoration.robust", robust)
        return None
    return str(robust)


_MONEY_UNITS = tuple(u for u in UNIT_FACTORS if u.endswith("元") or u == "万")
"""Units a scenario's amount of money may name (``50万``, ``50万元``, ``500000元``)."""


def _is_money(where: str) -> bool:
    """Whether field ``where`` is an amount in yuan (it, or its mapping, ends in ``_yuan``)."""
    return any(part.split("[")[0].endswith("_yuan") for part in where.split("."))


def _money_amount(value: Any) -> float | None:
    """``value`` in yuan by :func:`~geoplan.data.files.parse_number` (the tables' one rule).

    ``None`` when it is not a number, is empty, or names a unit other than yuan (``50人``).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
        unit = next((u for u in _UNITS_LONGEST_FIRST if text.endswith(u) and text != u), "")
        if unit and unit not in _MONEY_UNITS:
            return None
    try:
        amount = parse_number(value)
    except ValueError:
        return None
    return None if math.isnan(amount) else amount


_UNITS_LONGEST_FIRST = sorted(UNIT_FACTORS, key=len, reverse=True)


def _example_number(where: str) -> str:
    """A number to suggest for field ``where``, by its unit: yuan, metres, else minutes."""
    field_name = where.split(".")[-1].split("[")[0]
    if _is_money(where):
        return "500000 (50万元)"
    if field_name.endswith("_m"):
        return "1000"
    return "30"


def _get(data: Mapping[str, Any], section: str, key: str) -> Any:
    part = data.get(section)
    return part.get(key) if isinstance(part, dict) else None


def _is_year(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1900 < value < 2200


def _past_budget_years(check: _Checker, base_year: Any, by_year: Mapping[int, float]) -> None:
    """Warn about each budget year before ``investment.base_year`` (none given: no check).

    The base year is the planner's, never today's date, so a scenario runs the same in any year.
    """
    if base_year is None:
        return
    if not _is_year(base_year):
        check.coded("not_a_year", "investment.base_year", base_year)
        return
    for year in sorted(y for y in by_year if y < base_year):
        check.coded(
            "budget_year_before_base",
            f"investment.budget_by_year_yuan.{year}",
            year,
            severity="warning",
            year=year,
            base_year=base_year,
        )


def _build(data: dict[str, Any], path: Path, files: list[Path], check: _Checker) -> Scenario:
    """The :class:`Scenario` of merged, unknown-key-checked fields (problems collected)."""
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not _NAME.match(name):
        check.coded("name_not_folder", "name", name)
        name = path.stem
    folder_raw = _get(data, "area", "folder")
    area: Path | None = None
    if folder_raw is None:
        check.coded("area_folder_missing", "area.folder", "")
    else:
        area = _path(check, "area.folder", folder_raw, folder_ok=True)
    columns = _get(data, "area", "columns")
    roads = _get(data, "area", "roads")
    crs = _get(data, "area", "crs")
    if crs is not None and not isinstance(crs, str | int):
        check.coded("scenario_not_crs", "area.crs", crs)
    tol = _get(data, "area", "boundary_tolerance_m")

    rules_kw: dict[str, Any] = {}
    rules = data.get("rules") or {}
    if isinstance(rules, dict):
        defaults = PlanningRules()
        if "day_limit_min" in rules:
            got = check.bands("rules.day_limit_min", rules["day_limit_min"], check.number)
            if got is not None:
                rules_kw["day_limit_min"] = {**defaults.day_limit_min, **got}
        if "class_size_limit" in rules:
            got = check.bands("rules.class_size_limit", rules["class_size_limit"], check.integer)
            if got is not None:
                rules_kw["class_size_limit"] = {**defaults.class_size_limit, **got}
        for key in (
            "teaching_point_class_size_limit",
            "teaching_point_max_classes",
            "teaching_point_min_pupils",
        ):
            if key in rules:
                rules_kw[key] = check.integer(f"rules.{key}", rules[key])
        if "pupils_per_teacher" in rules:
            rules_kw["pupils_per_teacher"] = check.number(
                "rules.pupils_per_teacher", rules["pupils_per_teacher"]
            )

    def mode(where: str, value: Any) -> str | None:
        if value not in MODES:
            check.coded("mode_unknown", where, value, modes=", ".join(MODES))
            return None
        return str(value)

    band_modes = dict(DEFAULT_BAND_MODES)
    modes = _get(data, "travel", "modes")
    if modes is not None:
        band_modes.update(check.bands("travel.modes", modes, mode) or {})

    trip_mode = PlanSettings().boarders_trip_mode
    got_trip = _get(data, "travel", "boarders_trip_mode")
    vehicles = [name for name, preset in MODES.items() if preset.speeds_kph]
    if got_trip is not None and got_trip not in vehicles:
        check.coded(
            "trip_mode_not_vehicle",
            "travel.boarders_trip_mode",
            got_trip,
            vehicles=", ".join(vehicles),
        )
    elif got_trip is not None:
        trip_mode = str(got_trip)

    closed_schools = check.ids("closures.schools", _get(data, "closures", "schools") or [])
    choose = _get(data, "closures", "choose")
    road_closures = _road_closures(check, "closures.roads", _get(data, "closures", "roads") or [])
    years = _get(data, "projection", "years")

    restore = _get(data, "restoration", "enabled")
    per_phase = _get(data, "restoration", "sites_per_phase")
    budget = _get(data, "restoration", "budget_per_phase_yuan")
    sites_per_phase: tuple[int, ...] | None = PlanSettings().sites_per_phase
    budget_per_phase: tuple[float, ...] | None = None
    if per_phase is not None and budget is not None:
        check.coded("sites_and_budget_per_phase", "restoration.budget_per_phase_yuan", budget)
    if budget is not None:
        sites_per_phase = None
        if not isinstance(budget, list) or not budget:
            check.coded("budgets_not_list", "restoration.budget_per_phase_yuan", budget)
        else:
            vals = [
                check.number(f"restoration.budget_per_phase_yuan[{i}]", b)
                for i, b in enumerate(budget)
            ]
            budget_per_phase = tuple(v for v in vals if v is not None)
    elif per_phase is not None:
        if not isinstance(per_phase, list) or not per_phase:
            check.coded("site_counts_not_list", "restoration.sites_per_phase", per_phase)
        else:
            ints = [
                check.integer(f"restoration.sites_per_phase[{i}]", n, low=0)
                for i, n in enumerate(per_phase)
            ]
            sites_per_phase = tuple(n for n in ints if n is not None)
    must = check.ids("restoration.must", _get(data, "restoration", "must") or [])
    never = check.ids("restoration.never", _get(data, "restoration", "never") or [])
    both = sorted(set(must or ()) & set(never or ()))
    if both:
        check.coded("must_and_never", "restoration.never", both)

    siting = _siting(check, data)

    extra = _get(data, "districts", "extra_classes")
    extra_classes = _extra_classes(check, "districts.extra_classes", extra) if extra else None
    islands = _get(data, "districts", "islands")
    if islands is not None and islands not in ("report", "join"):
        check.coded("islands_unknown", "districts.islands", islands)
    gap_m = _get(data, "districts", "gap_tolerance_m")
    gap_ok = gap_m is None or check.number("districts.gap_tolerance_m", gap_m, positive=False)
    if gap_m is not None and gap_ok is not None and float(gap_m) < 0:
        check.coded("scenario_negative", "districts.gap_tolerance_m", gap_m)
    lang = _get(data, "outputs", "lang")
    if lang is not None and lang not in ("en", "zh"):
        check.coded("lang_unknown", "outputs.lang", lang)
    seed = data.get("seed", 0)

    def flag(where: str, value: Any, default: bool) -> bool:
        if value is None:
            return default
        got = check.boolean(where, value)
        return default if got is None else got

    def num(where: str, value: Any, default: float) -> float:
        if value is None:
            return default
        got = check.number(where, value)
        return default if got is None else got

    standards = default_standards()
    raw_standards = data.get("standards")
    if isinstance(raw_standards, dict) and raw_standards:
        known = {k: v for k, v in raw_standards.items() if k in STANDARD_KEYS}
        start = len(check.problems)
        overrides = checked_overrides(known, file=check.file, problems=check.problems)
        check.problems[start:] = [check.placed(p) for p in check.problems[start:]]
        standards = standards.with_overrides(overrides, source=f"scenario {name}")

    investment = None
    raw_investment = data.get("investment")
    if isinstance(raw_investment, dict) and raw_investment:
        budgets = raw_investment.get("budget_by_year_yuan")
        by_year: dict[int, float] = {}
        if not isinstance(budgets, dict) or not budgets:
            check.coded("budget_by_year_not_mapping", "investment.budget_by_year_yuan", budgets)
        else:
            for year, money in budgets.items():
                where = f"investment.budget_by_year_yuan.{year}"
                if not _is_year(year):
                    check.coded("not_a_year", where, year)
                    continue
                money_yuan = check.number(where, money, positive=False)
                if money_yuan is not None and money_yuan < 0:
                    check.coded("negative_budget", where, money)
                elif money_yuan is not None:
                    by_year[year] = money_yuan
        _past_budget_years(check, raw_investment.get("base_year"), by_year)
        done_raw = raw_investment.get("done")
        done = _path(check, "investment.done", done_raw, folder_ok=False) if done_raw else None
        carry = raw_investment.get("carry_over")
        investment = InvestmentSettings(
            budget_by_year_yuan=by_year,
            carry_over=bool(check.boolean("investment.carry_over", carry)) if carry else False,
            done=done,
            time_limit_s=(
                check.number("investment.time_limit_s", raw_investment["time_limit_s"]) or 60.0
                if "time_limit_s" in raw_investment
                else 60.0
            ),
        )

    settings = PlanSettings(
        investment=investment,
        standards=standards,
        rules=PlanningRules(**{k: v for k, v in rules_kw.items() if v is not None}),
        band_modes=band_modes,
        boarders_trip_mode=trip_mode,
        closures=road_closures or (),
        closed_schools=closed_schools or (),
        years=(check.integer("projection.years", years) or 4) if years is not None else 4,
        sites_per_phase=sites_per_phase,
        budget_per_phase_yuan=budget_per_phase,
        restore=flag("restoration.enabled", restore, siting is None),
        siting=siting,
        choose_closures=flag("closures.choose", choose, False),
        districts=flag("districts.enabled", _get(data, "districts", "enabled"), True),
        district_extra_classes=extra_classes,
        use_planned_extension=flag(
            "districts.use_planned_extension",
            _get(data, "districts", "use_planned_extension"),
            True,
        ),
        district_time_limit_s=num(
            "districts.time_limit_s", _get(data, "districts", "time_limit_s"), 30.0
        ),
        district_gap_tolerance_m=float(gap_m) if gap_m is not None and gap_ok is not None else 2.0,
        district_min_shared_m=num(
            "districts.min_shared_m", _get(data, "districts", "min_shared_m"), 10.0
        ),
        district_add_pairs=_block_pairs(
            check, "districts.add_pairs", _get(data, "districts", "add_pairs")
        ),
        district_remove_pairs=_block_pairs(
            check, "districts.remove_pairs", _get(data, "districts", "remove_pairs")
        ),
        district_islands=str(islands) if islands in ("report", "join") else "report",
        district_max_pupils_moved=_level_number(
            check, "max_pupils_moved", _get(data, "districts", "max_pupils_moved")
        ),
        district_max_journey_increase_min=_level_number(
            check, "max_journey_increase_min", _get(data, "districts", "max_journey_increase_min")
        ),
        district_stay_weight_min=_level_number(
            check, "stay_weight_min", _get(data, "districts", "stay_weight_min")
        ),
        district_feeders=flag("districts.feeders", _get(data, "districts", "feeders"), False),
        phasing_time_limit_s=num(
            "restoration.time_limit_s", _get(data, "restoration", "time_limit_s"), 30.0
        ),
        seasons=_seasons(check, data.get("seasons")),
        restoration_robust=_restoration_robust(check, data),
        ways=_ways(check, data),
    )
    if settings.choose_closures and not settings.restore:
        check.coded("choose_closures_needs_restoration", "closures.choose", True)
    description = data.get("description", "")
    if not isinstance(description, str):
        check.coded("not_text", "description", description)
        description = ""
    return Scenario(
        name=name,
        area=area or Path(),
        settings=settings,
        description=description,
        columns=_path(check, "area.columns", columns, folder_ok=False) if columns else None,
        crs=str(crs) if crs is not None else None,
        roads=_path(check, "area.roads", roads, folder_ok=False) if roads else None,
        boundary_tolerance_m=num("area.boundary_tolerance_m", tol, 1000.0),
        must_sites=must or (),
        never_sites=never or (),
        seed=check.integer("seed", seed, low=0) or 0,
        lang=str(lang) if lang in ("en", "zh") else "en",
        maps=flag("outputs.maps", _get(data, "outputs", "maps"), True),
        profiles=flag("outputs.profiles", _get(data, "outputs", "profiles"), True),
        print_maps=flag("outputs.print_maps", _get(data, "outputs", "print_maps"), True),
        files=tuple(files),
    )


_UNREAD_CODES = frozenset(
    {
        "scenario_not_utf8",
        "scenario_not_toml",
        "scenario_not_yaml",
        "scenario_not_mapping",
        "base_missing",
        "bases_loop",
    }
)
"""Problems after which a file of the chain is unread, so its fields are not checked as missing."""


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file (and its bases) into a :class:`Scenario`.

    Parameters
    ----------
    path
        The ``.yaml`` file.

    Returns
    -------
    Scenario
        Paths absolute, settings checked.

    Raises
    ------
    MissingInputError
        When ``path`` does not exist.
    ScenarioError
        Listing every problem of the file and its bases (field, value and fix).
    """
    file = Path(path).resolve()
    if not file.is_file():
        raise coded_error(MissingInputError, "scenario_missing", str(path), "", "", "", "")
    problems: list[Problem] = []
    origins: _Origins = {}
    data, files = _load_chain(file, problems, (), origins)
    unread = any(p.code in _UNREAD_CODES for p in problems)
    scenario = None
    if not unread:  # with a file of the chain unread, its fields would be reported missing
        check = _Checker(str(file), problems, origins)
        scenario = dataclasses.replace(_build(data, file, files, check), origins=origins)
    errors = [p for p in problems if p.severity == "error"]
    if errors or scenario is None:
        lines = [f"{len(errors)} problem(s) in scenario {path}:"]
        lines += [f"  - {p}" for p in errors]
        raise ScenarioError("\n".join(lines), problems=errors)
    warnings = tuple(p for p in problems if p.severity == "warning")
    with log_language(scenario.lang):  # the log of a run is in its outputs.lang
        for problem in warnings:
            log_problem(_logger, problem)
    scenario = dataclasses.replace(scenario, warnings=warnings)
    _logger.debug("scenario %s loaded from %s", scenario.name, [str(f) for f in files])
    return scenario
