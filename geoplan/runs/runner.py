"""Running one scenario: read its data, make the plan, write ``outputs/<name>/`` atomically.

The folder holds the maps, the tables (CSV and XLSX), ``results.gpkg`` with every result layer
(:data:`RESULT_LAYERS`), ``metrics.json`` (the headline indicators) and ``manifest.json`` (input
hashes, package versions, seed, timings, solver gaps, the run's warnings). Timings are kept in
the manifest only, so two runs of the same scenario give identical tables, metrics and layers.
Everything is written to a temporary folder first; a failed run leaves an earlier result intact.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import platform
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from geoplan.atomic import atomic_output_dir
from geoplan.data.area import ID_INDEX, PlanningArea
from geoplan.data.messages import coded_problem
from geoplan.data.problem_log import log_language
from geoplan.data.readers import (
    file_sha256,
    read_planning_area,
    write_layers_gpkg,
)
from geoplan.errors import (
    GeoplanError,
    InfeasibleError,
    NetworkError,
    Problem,
    ScenarioError,
    ValidationError,
)
from geoplan.network import roads
from geoplan.network.modes import closure_problems
from geoplan.outputs.labels import column_label
from geoplan.outputs.layer_styles import write_layer_styles
from geoplan.outputs.plan_files import OutputOptions, write_plan_files, write_table
from geoplan.outputs.planner_tables import Names
from geoplan.plan.evaluate import village_journeys
from geoplan.plan.pipeline import PlanResult, load_network, make_plan
from geoplan.plan.ways import unknown_way_ids
from geoplan.rules import BANDS
from geoplan.runs.scenario import SCHEMA, Scenario, load_scenario

__all__ = [
    "PACKAGES",
    "RESULT_LAYERS",
    "ScenarioRun",
    "plan_scenario",
    "prepare_area",
    "result_layers",
    "run_metrics",
    "run_scenario",
    "run_warnings",
    "solver_report",
    "write_run",
]

_logger = logging.getLogger(__name__)

RESULT_LAYERS: dict[str, str] = {
    "villages_journeys_today": (
        "Villages today: per band the school, day pupils / boarders / unserved, the mode, the "
        "day pupils' daily journey and the boarders' weekly trip (one way, minutes)"
    ),
    "villages_journeys_after_plan": "The same after the plan (restorations and closures)",
    "ways_villages_today": (
        "With ways: villages today, per band the school, the way (walk, bus, escorted, board, "
        "none), the journey and, with no way, why"
    ),
    "ways_villages_after_plan": "With ways: the same after the plan",
    "schools_after_plan": "Schools with their status after the plan and pupils assigned per band",
    "sites_restoration": "Candidate sites with their scorecard and phase (0: not restored)",
    "townships_after_plan": "Townships with their indicators after the plan",
    "school_districts_primary": "County-town primary school districts (one polygon per school)",
    "school_districts_middle": "County-town junior middle school districts",
    "county_town_blocks": "County-town blocks with their district school per level",
    "block_adjacency": "Neighbouring county-town blocks, a line between their centres: the "
    "adjacency the districts used (measured, added or removed pairs)",
}
"""Layers of ``results.gpkg`` and what each holds (empty layers are left out)."""

PACKAGES: tuple[str, ...] = (
    "geoplan", "geopandas", "shapely", "pyproj", "pyogrio", "pandas", "numpy", "networkx",
    "osmnx", "scipy", "highspy", "folium", "openpyxl", "xlsxwriter", "pyyaml",
)  # fmt: skip
"""Packages whose versions the manifest records."""


@dataclasses.dataclass(frozen=True)
class ScenarioRun:
    """A scenario's plan with the inputs it was made from.

    Parameters
    ----------
    scenario
        The scenario.
    area
        The planning area as read (must and never sites applied).
    graph
        The road graph.
    result
        The plan.
    """

    scenario: Scenario
    area: PlanningArea
    graph: nx.MultiDiGraph
    result: PlanResult


def _unknown_ids(
    scenario: Scenario, field: str, ids: list[str], layer: str, examples: list[str]
) -> ScenarioError:
    file, line = scenario.origin(field)
    problem = coded_problem(
        "scenario_unknown_ids",
        file,
        field.split(".")[0],
        f"line {line}" if line else "",
        field,
        ", ".join(ids),
        field=field,
        layer=layer,
        examples=", ".join(examples),
    )
    return ScenarioError(
        f"Scenario {scenario.where(field)}, field {field}, value {ids!r}: {problem.message} "
        f"Fix: {problem.fix}",
        problems=[problem],
    )


def _in_scenario(
    err: GeoplanError,
    scenario: Scenario,
    field: str,
    value: str,
    layer_files: Mapping[str, str] | None = None,
) -> list[Problem]:
    """The problems of a refused plan, placed in the scenario file at ``field``.

    A problem that names its own file (the road file) keeps it; a problem of a data layer in
    ``layer_files`` (given when no scenario field is to blame: :attr:`PlanningArea.files`) is
    placed in that layer's file with its own column and value (the sites' ``phase`` column); an
    error without coded problems becomes one ``plan_refused`` problem quoting it.
    """
    file, line = scenario.origin(field)
    row = f"line {line}" if line else ""
    layer_files = layer_files or {}
    problems = err.problems or [
        coded_problem("plan_refused", "", "", "", "", "", error=str(err).rstrip("."))
    ]
    placed = []
    for p in problems:
        if p.file:
            placed.append(p)
        elif p.layer in layer_files:
            placed.append(dataclasses.replace(p, file=layer_files[p.layer]))
        else:
            column = f"{field}[].{p.column}" if p.column and field == "closures.roads" else field
            placed.append(
                dataclasses.replace(
                    p,
                    file=file,
                    layer=field.split(".")[0],
                    row_id=row,
                    column=column,
                    value=value or p.value,
                )
            )
    return placed


def _in_sections(problems: list[Problem], scenario: Scenario) -> list[Problem]:
    """Problems of a scenario section (``projection``, column ``years``) placed at its line."""
    out = []
    for p in problems:
        if p.file or p.layer not in SCHEMA:
            out.append(p)
            continue
        field = f"{p.layer}.{p.column}" if p.column else p.layer
        file, line = scenario.origin(field)
        out.append(
            dataclasses.replace(p, file=file, row_id=f"line {line}" if line else "", column=field)
        )
    return out


def prepare_area(scenario: Scenario) -> PlanningArea:
    """Read the scenario's planning area and apply its must and never sites.

    Raises
    ------
    ScenarioError
        When a must, never or closed school id, or an id of ``ways:``, is not in the area.
    """
    area, refused = _area_and_refusals(scenario)
    if refused:
        raise _refusal(refused)
    return area


def _area_and_refusals(scenario: Scenario) -> tuple[PlanningArea, list[ScenarioError]]:
    """The planning area (must and never sites applied) and the problems of every unknown id."""
    area = read_planning_area(
        scenario.area,
        columns=scenario.columns,
        crs=scenario.crs,
        boundary_tolerance_m=scenario.boundary_tolerance_m,
    )
    sites = area.sites.copy()
    refused: list[ScenarioError] = []  # every unknown id of every field, refused at once
    for field, ids, decision in (
        ("restoration.must", scenario.must_sites, "must"),
        ("restoration.never", scenario.never_sites, "never"),
    ):
        unknown = sorted(set(ids) - set(sites.index))
        if unknown:
            refused.append(_unknown_ids(scenario, field, unknown, "sites", list(sites.index[:3])))
        elif ids:
            sites.loc[list(ids), "decision"] = decision
    checks: list[tuple[str, Any, str, Any]] = [
        ("closures.schools", scenario.settings.closed_schools, "schools", area.schools)
    ]
    for field, given, layer, have in checks:
        unknown = sorted(set(map(str, given)) - set(have.index.astype(str)))
        if unknown:
            refused.append(_unknown_ids(scenario, field, unknown, layer, list(have.index[:3])))
    ways = scenario.settings.ways
    if ways is not None:
        for field, unknown, layer, examples in unknown_way_ids(
            ways, townships=area.townships.index, schools=area.schools.index
        ):
            refused.append(_unknown_ids(scenario, field, unknown, layer, examples))
    return dataclasses.replace(area, sites=sites), refused


def _refusal(refused: list[ScenarioError]) -> ScenarioError:
    """One :class:`ScenarioError` of every refusal of a scenario's fields found against its data."""
    msg = "\n".join(str(err) for err in refused)
    return ScenarioError(msg, problems=[p for err in refused for p in err.problems])


def _load_graph(scen: Scenario, area: PlanningArea) -> nx.MultiDiGraph:
    clock = time.perf_counter()
    if scen.roads is not None:
        graph = roads.load_graph(scen.roads, to_crs=area.crs)
    else:
        graph = load_network(area)
    _logger.info("Road network read in %.1f s", time.perf_counter() - clock)
    return graph


def plan_scenario(scenario: Scenario | str | Path) -> ScenarioRun:
    """Read a scenario's data and make its plan (writes nothing but the graph and matrix caches).

    Parameters
    ----------
    scenario
        A :class:`Scenario` or the path of a scenario file.

    Returns
    -------
    ScenarioRun
        The scenario, area, graph and plan.

    Notes
    -----
    The warnings found reading the scenario, its data and making its plan are logged in the
    scenario's ``outputs.lang`` (:func:`geoplan.data.problem_log.log_language`), the language of
    its tables; ``geoplan run --lang`` sets the language of a refusal only, which may come before
    the scenario is read. ``manifest.json`` keeps them in English with their codes.
    """
    scen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    with log_language(scen.lang):  # the run's warnings are logged in its outputs.lang
        area, refused = _area_and_refusals(scen)
        if not refused:
            graph = _load_graph(scen, area)
        else:  # every field checked against the data is reported at once: road closures too
            field = "closures.roads"
            try:
                found = closure_problems(_load_graph(scen, area), scen.settings.closures)
            except GeoplanError as err:  # the roads themselves refused: said with the ids
                found, field = list(err.problems), "area"
            if found:
                texts = "\n  - ".join(f"{p.message} Fix: {p.fix}" for p in found)
                placed = _in_scenario(NetworkError(texts, problems=found), scen, field, "")
                msg = f"Scenario {scen.where(field)}:\n  - {texts}"
                refused.append(ScenarioError(msg, problems=placed))
            raise _refusal(refused)
        try:
            result = make_plan(area, graph=graph, settings=scen.settings)
        except ValidationError as err:  # a plan setting the scenario checks could not see alone
            raise ValidationError(_in_sections(err.problems, scen)) from err
        except InfeasibleError as err:
            must = f" (restoration.must: {', '.join(scen.must_sites)})" if scen.must_sites else ""
            field = "restoration.must" if scen.must_sites else "name"
            value = ", ".join(scen.must_sites)
            own = [p.column for p in err.problems if p.column.startswith("districts.")]
            if own:  # a district refusal names its own field (districts.feeders, ...)
                field, must, value = own[0], "", ""
            blamed = bool(own or scen.must_sites)  # else the data layers are to blame
            msg = f"Scenario {scen.where(field)}{must}: {err}"
            layer_files = None if blamed else area.files
            raise InfeasibleError(
                msg, problems=_in_scenario(err, scen, field, value, layer_files)
            ) from err
        except NetworkError as err:
            field = "closures.roads" if scen.settings.closures else "area"
            msg = f"Scenario {scen.where(field)}: {err}"
            raise NetworkError(msg, problems=_in_scenario(err, scen, field, "")) from err
        return ScenarioRun(scenario=scen, area=area, graph=graph, result=result)


# --------------------------------------------------------------------------- indicators


def run_metrics(result: PlanResult) -> dict[str, Any]:
    """The plan's metrics plus the comparison's own: pupils moved, oversized classes.

    ``pupils_moved_villages`` counts village pupils whose assigned school changes between today and
    after the plan; ``pupils_moved`` adds the county-town pupils the districts move.
    ``oversized_classes_after`` is the county town's oversized classes after districting (``None``
    without districts).
    """
    out = dict(result.metrics)
    before, after = result.before, result.after.reindex(result.before.index)
    changed = before["school"].fillna("").astype(str) != after["school"].fillna("").astype(str)
    moved = int(before.loc[changed, "pupils"].sum())
    out["pupils_moved_villages"] = moved
    town = [v for k, v in out.items() if k.startswith("districts_") and k.endswith("_pupils_moved")]
    out["pupils_moved"] = int(moved + sum(v for v in town if v is not None))
    out["oversized_classes_after"] = out.get("districts_oversized_after")
    return {k: out[k] for k in sorted(out)}


# --------------------------------------------------------------------------- layers


def _wide(assignment: pd.DataFrame, villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per village; per band its school, kind of pupil, mode and journey (minutes)."""
    out = villages[["name", "township", "geometry"]].copy()
    rows_all = village_journeys(assignment)
    for band in BANDS:
        rows = rows_all.xs(band, level="band").reindex(out.index)
        out[f"pupils_{band}"] = rows["pupils"].to_numpy(dtype="float64")
        out[f"school_{band}"] = rows["school"].to_numpy(dtype=object)
        out[f"status_{band}"] = rows["status"].to_numpy(dtype=object)
        out[f"mode_{band}"] = rows["mode"].to_numpy(dtype=object)
        out[f"day_journey_{band}_min"] = rows["day_journey_min"].to_numpy(dtype="float64").round(3)
        out[f"weekly_trip_{band}_min"] = rows["weekly_trip_min"].to_numpy(dtype="float64").round(3)
    return out.set_geometry("geometry")


def _ways_wide(assignment: pd.DataFrame, villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """:func:`_wide` of a ways assignment, with per band the way taken and why none."""
    out = _wide(assignment, villages)
    for band in BANDS:
        rows = assignment.xs(band, level="band").reindex(out.index)
        out[f"way_{band}"] = rows["way"].to_numpy(dtype=object)
        out[f"reason_{band}"] = rows["reason"].to_numpy(dtype=object)
    return out


def result_layers(result: PlanResult) -> dict[str, gpd.GeoDataFrame]:
    """Every result layer of a plan by its :data:`RESULT_LAYERS` name, in the area's CRS."""
    area = result.area
    layers: dict[str, gpd.GeoDataFrame] = {
        "villages_journeys_today": _wide(result.before, area.villages),
        "villages_journeys_after_plan": _wide(result.after, area.villages),
    }
    for label, ways in (("today", result.ways_before), ("after_plan", result.ways_after)):
        if ways is not None:
            layers[f"ways_villages_{label}"] = _ways_wide(ways.assignment, area.villages)
    schools = result.schools.copy()
    schools["closed_by_plan"] = (schools["status"] == "closed") & (
        area.schools["status"].reindex(schools.index) == "open"
    )
    served = result.after[result.after["status"] != "unserved"].reset_index()
    for band in BANDS:
        got = served[served["band"] == band].groupby("school")["pupils"].sum()
        schools[f"assigned_after_{band}"] = got.reindex(schools.index, fill_value=0.0).to_numpy()
    layers["schools_after_plan"] = schools
    if len(area.sites):
        sites = area.sites.copy()
        plan = result.restoration
        phase = pd.Series(0, index=sites.index, dtype="int64")
        if plan is not None:
            phase = plan.phasing.phase.reindex(sites.index).fillna(0).astype("int64")
            card = plan.scorecard.drop(columns=[c for c in plan.scorecard if c in sites])
            sites = sites.join(card)
        sites["phase"] = phase
        layers["sites_restoration"] = sites
    if result.restoration is not None:
        towns = area.townships[["name", "geometry"]].join(result.restoration.townships)
        layers["townships_after_plan"] = towns
    if result.districts is not None:
        districts = result.districts.districts
        for level in ("primary", "middle"):
            part = districts[districts["level"] == level]
            if len(part):
                layers[f"school_districts_{level}"] = gpd.GeoDataFrame(part, crs=area.crs)
        layers["county_town_blocks"] = gpd.GeoDataFrame(result.districts.blocks, crs=area.crs)
        pairs = result.districts.adjacency
        if pairs is not None and len(pairs):
            centre = result.districts.blocks.geometry.representative_point()
            lines = shapely.linestrings(
                np.stack(
                    [
                        shapely.get_coordinates(centre.loc[pairs["block_a"]].values),
                        shapely.get_coordinates(centre.loc[pairs["block_b"]].values),
                    ],
                    axis=1,
                )
            )
            layers["block_adjacency"] = gpd.GeoDataFrame(
                pairs.reset_index(drop=True), geometry=lines, crs=result.districts.blocks.crs
            )
    return {name: _plain(gdf) for name, gdf in layers.items()}


def _plain(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy whose columns GeoPackage stores as they are (text, numbers, booleans)."""
    out = gdf.copy()
    out.index = pd.Index(out.index.astype(str), name=ID_INDEX)
    for col in out.columns:
        if col == out.geometry.name:
            continue
        series = out[col]
        if isinstance(series.dtype, pd.CategoricalDtype) or series.dtype == object:
            out[col] = series.map(
                lambda v: (
                    None
                    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                    else str(v)
                )
            )
        elif str(series.dtype) in ("Int64", "Float64", "boolean"):
            out[col] = series.astype("float64")
    return out


# --------------------------------------------------------------------------- writing


def _input_files(scenario: Scenario, area: PlanningArea) -> list[Path]:
    files: list[Path] = []
    root = scenario.area
    if root.is_dir():
        files += sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    elif root.is_file():
        files.append(root)
    for extra in (scenario.columns, scenario.roads, area.roads_path):
        if extra is not None and Path(extra).is_file() and Path(extra) not in files:
            files.append(Path(extra))
    return files


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return getattr(value, "wkt", str(value))


def solver_report(result: PlanResult) -> dict[str, Any]:
    """Status, method, bound and gap of every solve of a plan."""
    out: dict[str, Any] = {}
    plan = result.restoration
    if plan is not None:
        ph = plan.phasing
        out["restoration_phasing"] = {
            "method": ph.method, "status": ph.status, "pupil_years": ph.pupil_years,
            "bound": ph.bound, "gap": ph.gap, "seconds": ph.seconds,
        }  # fmt: skip
        if plan.siting is not None:
            sit = plan.siting
            out["siting"] = {
                "model": sit.model, "method": sit.method, "status": sit.status,
                "objective": sit.objective, "bound": sit.bound, "gap": sit.gap,
                "seconds": sit.seconds,
            }  # fmt: skip
        if plan.closures is not None:
            out["closures"] = {
                "status": plan.closures.status,
                "objective_yuan": plan.closures.objective,
            }
    if result.districts is not None:
        ind = result.districts.indicators
        keys = ("method", "status", "objective_pupil_min", "bound_pupil_min", "gap", "seconds",
                "joint_objective_pupil_min", "joint_bound_pupil_min", "joint_gap")  # fmt: skip
        for level in ind.index:
            out[f"districts_{level}"] = {
                key: ind.loc[level, key] for key in keys if key in ind.columns
            }
        for level, diag in result.districts.diagnoses.items():
            if diag.least is not None:
                least = diag.least
                out[f"districts_{level}_extra_classes"] = {
                    "causes": list(diag.causes), "total": least.total,
                    "lower_bound": least.lower_bound, "proven_least": least.proven_least,
                    "gap": least.gap, "status": least.status, "seconds": least.seconds,
                }  # fmt: skip
    return _jsonable(out)  # type: ignore[no-any-return]


def run_warnings(run: ScenarioRun) -> list[dict[str, str]]:
    """Every warning of a run as ``manifest.json`` records them: scenario, reading, then plan.

    Each is a mapping of ``code``, ``file``, ``layer``, ``row_id``, ``column``, ``value``,
    ``message`` and ``fix`` (English; ``code`` finds the Chinese text in
    :mod:`geoplan.data.messages`). The scenario's are its file's (a budget year before
    ``investment.base_year``), the reading's the planning area's (repaired polygons and the
    like), the plan's those :func:`~geoplan.plan.pipeline.make_plan` found (undeclared GCJ-02
    point layers).
    """
    problems = [*run.scenario.warnings, *run.area.warnings, *run.result.warnings]
    keys = ("code", "file", "layer", "row_id", "column", "value", "message", "fix")
    return [{key: str(getattr(p, key)) for key in keys} for p in problems]


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def write_run(run: ScenarioRun, folder: Path) -> list[Path]:
    """Write every output of a scenario run into ``folder``; returns the files written.

    Writes maps (unless the scenario turns them off) and tables through
    :func:`geoplan.plan_outputs.write_plan_files`, the journey tables, ``results.gpkg``,
    ``metrics.json`` and ``manifest.json``.
    """
    scen, result = run.scenario, run.result
    clock = time.perf_counter()
    options = OutputOptions(
        maps=scen.maps,
        profiles=scen.profiles,
        profile_pdfs=scen.profiles,
        print_maps=scen.print_maps,
        lang=scen.lang,
    )
    written = write_plan_files(result, folder, graph=run.graph, options=options)
    lang = scen.lang
    names = Names.of(result.area)
    for rows, stem in ((result.before, "today"), (result.after, "after_plan")):
        written += write_table(
            village_journeys(rows),
            folder / f"villages_journeys_{stem}",
            lang=lang,
            names=names,
            rows="villages",
        )
    metrics = run_metrics(result)
    indicators = pd.DataFrame({"value": pd.Series(metrics, dtype=object)})
    indicators.index.name = "indicator"
    if lang != "en":
        seasons = [s.name for s in result.settings.seasons]
        labels = [column_label(str(k), lang, seasons=seasons) for k in indicators.index]
        indicators.insert(0, "indicator_name", labels)
    written += write_table(indicators, folder / "indicators", lang=lang, row_formats=True)
    layers = result_layers(result)
    gpkg = write_layers_gpkg(layers, folder / "results.gpkg")
    written.append(write_layer_styles(gpkg, layers, lang=lang))
    metrics_path = folder / "metrics.json"
    metrics_path.write_text(
        json.dumps(_jsonable(metrics), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    written.append(metrics_path)
    seconds = {k: round(v, 3) for k, v in result.seconds.items()}
    seconds["writing"] = round(time.perf_counter() - clock, 3)
    manifest = {
        "scenario": scen.name,
        "description": scen.description,
        "scenario_files": [{"path": str(p), "sha256": file_sha256(p)} for p in scen.files],
        "inputs": [
            {"path": str(p), "bytes": p.stat().st_size, "sha256": file_sha256(p)}
            for p in _input_files(scen, run.area)
        ],
        "settings": _jsonable(scen.settings),
        "seed": scen.seed,
        "packages": _versions(),
        "python": platform.python_version(),
        "timings_s": seconds,
        "solvers": solver_report(result),
        "warnings": run_warnings(run),
        "layers": {name: RESULT_LAYERS[name] for name in layers},
        "outputs": sorted(p.name for p in written),
    }
    manifest_path = folder / "manifest.json"
    manifest_path.write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    written.append(manifest_path)
    return written


def run_scenario(path_or_scenario: str | Path | Scenario, *, out: str | Path = "outputs") -> Path:
    """Run one scenario and write its results to ``out/<name>/``.

    Parameters
    ----------
    path_or_scenario
        A scenario file or a :class:`~geoplan.scenario.Scenario`.
    out
        Output folder; the scenario goes to its ``<name>`` sub-folder, which is replaced only
        when the whole run succeeds.

    Returns
    -------
    pathlib.Path
        The scenario's output folder.

    Raises
    ------
    ScenarioError, MissingInputError, ValidationError
        Before anything is written, when the scenario or its data are wrong.
    """
    run = plan_scenario(path_or_scenario)
    final = Path(out) / run.scenario.name
    with atomic_output_dir(final) as folder:
        written = write_run(run, folder)
    _logger.info("Scenario %s: wrote %d files to %s", run.scenario.name, len(written), final)
    return final
