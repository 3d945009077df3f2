"""How each village's pupils get to school: walk, bus, escorted by a parent, or board.

A scenario's ``ways:`` (:class:`WaysSettings`) gives each village and band four ways to a school,
each with its journey (``docs/indicators.md``, *Ways*):

- ``walk``: the band's walking mode, door to door;
- ``bus``: walk to the nearest point of a road the school bus uses (at most
  ``bus_walk_max_m``), wait ``bus_wait_min``, ride the ``school_bus`` to the school; the school's
  ``bus_seats`` (schools layer, default 0: no bus) limit the riders;
- ``escorted``: a parent's motorbike (``riding``) or car, allowed in ``escorted_townships`` or
  for villages whose ``escorted`` column says ``yes``; no capacity;
- ``board``: a bed at the school (``boarding_beds``), only for ``board_bands``.

A day way is *acceptable* when its one-way journey is within the band's day limit; boarding is
acceptable whatever the distance (the school must be reachable by the boarders' trip mode).
:func:`plan_ways` builds every acceptable option (:func:`way_options`) and lets one lexicographic
MIP (:func:`geoplan.models.ways.solve_ways`) assign every village and band a school and a way
within class places, seats and beds; :func:`geoplan.models.ways.least_additions` gives the
least seats, beds and classes that would give everyone with an acceptable way a place.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from geoplan.data.area import ID_INDEX
from geoplan.data.messages import coded_problem
from geoplan.errors import ArgumentError, ScenarioError
from geoplan.models.ways import WAYS, Additions, WaysSolution, least_additions, solve_ways
from geoplan.network import travel
from geoplan.network.modes import MODES, Closure
from geoplan.plan.evaluate import ASSIGNMENT_COLUMNS
from geoplan.plan.restoration import destinations
from geoplan.rules import BANDS, PlanningRules, bands_taught, grade_label, teaches

__all__ = [
    "OPTION_COLUMNS",
    "SCHOOL_WAY_COLUMNS",
    "WAY_CHOICES",
    "WayJourneys",
    "WaysPlan",
    "WaysSettings",
    "day_way_minutes",
    "plan_ways",
    "refuse_unknown_way_ids",
    "school_places",
    "unknown_way_ids",
    "way_journeys",
    "way_options",
]

_logger = logging.getLogger(__name__)

WAY_CHOICES: tuple[str, ...] = (*WAYS, "none")
"""What the ``way`` column of a ways assignment holds: a way, or ``none`` (no acceptable way)."""

OPTION_COLUMNS: tuple[str, ...] = ("school", "way", "journey_min", "acceptable")
"""Columns of :func:`way_options` (indexed by village id and band)."""

SCHOOL_WAY_COLUMNS: tuple[str, ...] = (
    *(f"places_{b}" for b in BANDS),
    *(f"pupils_{b}" for b in BANDS),
    "bus_seats",
    "seats_used",
    "boarding_beds",
    "beds_used",
    *(f"{w}_pupils" for w in WAYS),
)
"""Columns of :attr:`WaysPlan.schools`: places and pupils per band, seats, beds, pupils by way
(``walk_pupils``, ``bus_pupils``, ``escorted_pupils``, ``board_pupils``)."""


@dataclass(frozen=True)
class WaysSettings:
    """A scenario's ``ways:``: which ways pupils may take and their rules.

    Parameters
    ----------
    bus_walk_max_m
        Longest walk from the village to the nearest road the bus uses, metres.
    bus_wait_min
        Minutes waiting for the bus.
    bus_mode
        The bus's travel mode.
    escorted_townships
        Townships whose families may take pupils to school (besides villages with ``escorted``
        ``yes``).
    escorted_mode
        The parents' vehicle: ``riding`` (motorbike) or ``car``.
    board_bands
        Bands that may board (grades 1-3 stay near home, as State Council guidance says).
    walk_modes
        Walking mode per band; a band left out walks by its travel mode when that is a walking
        mode, else by ``pupil_walk``.
    bus_seats
        Bus seats per school id replacing the schools layer's ``bus_seats`` (a what-if: "a
        40-seat bus at S04").
    places
        Hold each school's class places per band (classes × class-size limit).
    time_limit_s
        Time limit of the ways MIP (all levels) and of the additions MIP, each.
    """

    bus_walk_max_m: float = 2000.0
    bus_wait_min: float = 10.0
    bus_mode: str = "school_bus"
    escorted_townships: tuple[str, ...] = ()
    escorted_mode: str = "riding"
    board_bands: tuple[str, ...] = ("g4_6", "g7_9")
    walk_modes: Mapping[str, str] = field(default_factory=dict)
    bus_seats: Mapping[str, int] = field(default_factory=dict)
    places: bool = True
    time_limit_s: float = 60.0

    def __post_init__(self) -> None:
        problems = []
        for name in (self.bus_mode, self.escorted_mode, *self.walk_modes.values()):
            if name not in MODES:
                problems.append(f"unknown travel mode {name!r} (modes: {', '.join(MODES)})")
        for band in (*self.board_bands, *self.walk_modes):
            if band not in BANDS:
                problems.append(f"unknown band {band!r} (bands: {', '.join(BANDS)})")
        if any(not (n >= 0) for n in self.bus_seats.values()):
            problems.append("bus_seats must not be negative")
        if not (self.bus_walk_max_m >= 0 and self.bus_wait_min >= 0 and self.time_limit_s > 0):
            problems.append("bus_walk_max_m, bus_wait_min and time_limit_s must not be negative")
        if problems:
            msg = "WaysSettings: " + "; ".join(problems) + "."
            raise ArgumentError(msg)

    def walk_mode(self, band: str, band_modes: Mapping[str, str]) -> str:
        """The walking mode of ``band``."""
        if band in self.walk_modes:
            return str(self.walk_modes[band])
        mode = band_modes.get(band, "pupil_walk")
        return mode if MODES[mode].access == "foot" and not MODES[mode].speeds_kph else "pupil_walk"


@dataclass(frozen=True)
class WayJourneys:
    """The journeys of every way, villages (rows) × schools and sites (columns), minutes.

    Parameters
    ----------
    walk
        Per band, door-to-door walking minutes by the band's walking mode.
    walk_kph
        Per band, the walking speed (for the walk to the bus road).
    bus_ride
        Minutes by bus from the village's stop (the nearest point of a bus road) to the school.
    bus_walk_m
        Per village, the walk to its stop, metres (where the bus goes from there: ``bus_ride``).
    escorted
        Minutes by the parents' vehicle.
    trips
        Minutes by the boarders' trip mode (their weekly trip home).
    """

    walk: dict[str, pd.DataFrame]
    walk_kph: dict[str, float]
    bus_ride: pd.DataFrame
    bus_walk_m: pd.Series
    escorted: pd.DataFrame
    trips: pd.DataFrame


def way_journeys(
    graph: nx.MultiDiGraph,
    villages: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    settings: WaysSettings,
    band_modes: Mapping[str, str],
    trip_mode: str,
    closures: tuple[Closure, ...] = (),
    cache_dir: Path | None = None,
    minutes: Mapping[str, pd.DataFrame] | None = None,
) -> WayJourneys:
    """Compute (or read from the cache) the travel matrices of every way.

    ``minutes`` (per band, by the band's travel mode) are reused where a way's mode is the band's.
    """
    bus = travel.travel_matrix(
        graph,
        villages,
        targets,
        mode=settings.bus_mode,
        closures=closures,
        cache_dir=cache_dir,
        origins_label="villages",
        destinations_label="schools",
    )
    frames: dict[str, pd.DataFrame] = {settings.bus_mode: bus.minutes_frame().astype("float64")}

    def by_mode(mode: str) -> pd.DataFrame:
        if mode in frames:
            return frames[mode]
        for band in BANDS:
            if minutes is not None and band in minutes and band_modes.get(band) == mode:
                frames[mode] = minutes[band]
                return frames[mode]
        frames[mode] = (
            travel.travel_matrix(
                graph,
                villages,
                targets,
                mode=mode,
                closures=closures,
                cache_dir=cache_dir,
                origins_label="villages",
                destinations_label="schools",
            )
            .minutes_frame()
            .astype("float64")
        )
        return frames[mode]

    walk = {b: by_mode(settings.walk_mode(b, band_modes)) for b in BANDS}
    speed = {b: MODES[settings.walk_mode(b, band_modes)].walk_kph for b in BANDS}
    access = bus.origin_access
    ride = frames[settings.bus_mode].sub(access["access_min"].astype("float64").to_numpy(), axis=0)
    walk_m = access["access_m"].astype("float64")  # the ride says where that road leads
    return WayJourneys(
        walk=walk,
        walk_kph=speed,
        bus_ride=ride,
        bus_walk_m=walk_m,
        escorted=by_mode(settings.escorted_mode),
        trips=by_mode(trip_mode),
    )


def school_places(
    schools: pd.DataFrame, sites: pd.DataFrame, *, rules: PlanningRules | None = None
) -> pd.DataFrame:
    """Class places per school and site (rows) and band (columns): classes × class-size limit.

    A school teaches its kind's bands with its ``classes_<band>`` (empty: 0); a site (a restored
    teaching point) runs ``max_classes`` (default: the rule's most classes) of grades 1-3.
    """
    rules = rules or PlanningRules()
    limits = rules.school_limits(schools) if len(schools) else np.zeros((0, len(BANDS)))
    out = pd.DataFrame(0.0, index=schools.index.astype(str), columns=list(BANDS))
    for i, kind in enumerate(schools["kind"].astype(str)):
        for band in bands_taught(kind):
            col = f"classes_{band}"
            raw = schools[col].iloc[i] if col in schools.columns else None
            classes = 0.0 if raw is None or pd.isna(raw) else float(raw)
            out.iloc[i, BANDS.index(band)] = classes * limits[i, BANDS.index(band)]
    site_rows = pd.DataFrame(0.0, index=sites.index.astype(str), columns=list(BANDS))
    if len(sites):
        most = rules.site_max_classes(sites).to_numpy(dtype="float64")
        site_rows["g1_3"] = most * rules.teaching_point_class_size_limit
    return pd.concat([out, site_rows]).astype("float64")


def unknown_way_ids(
    settings: WaysSettings, *, townships: pd.Index | None, schools: pd.Index
) -> list[tuple[str, list[str], str, list[str]]]:
    """The ids of ``ways:`` that are not in the area, field by field (the one check of them).

    ``townships=None`` leaves ``escorted_townships`` unchecked.

    Returns
    -------
    list of tuple
        Per field with unknown ids: the field (``ways.escorted_townships``, ``ways.bus_seats``),
        the unknown ids, the layer they should name and three of its ids as examples.
    """
    out = []
    for field_name, given, layer, have in (
        ("ways.escorted_townships", settings.escorted_townships, "townships", townships),
        ("ways.bus_seats", tuple(settings.bus_seats), "schools", schools),
    ):
        if have is None:
            continue
        ids = [str(i) for i in have]
        unknown = sorted({str(g) for g in given} - set(ids))
        if unknown:
            out.append((field_name, unknown, layer, ids[:3]))
    return out


def refuse_unknown_way_ids(
    settings: WaysSettings, *, townships: pd.Index | None, schools: pd.Index
) -> None:
    """Raise when ``ways:`` names townships or schools the area does not have.

    ``townships=None`` leaves ``escorted_townships`` unchecked.

    Raises
    ------
    ScenarioError
        With one coded problem per field (``scenario_unknown_ids``).
    """
    problems = [
        coded_problem(
            "scenario_unknown_ids",
            "",
            "ways",
            "",
            field_name,
            ", ".join(unknown),
            field=field_name,
            layer=layer,
            examples=", ".join(examples),
        )
        for field_name, unknown, layer, examples in unknown_way_ids(
            settings, townships=townships, schools=schools
        )
    ]
    if problems:
        msg = " ".join(f"{p.column} {p.value}: {p.message} Fix: {p.fix}" for p in problems)
        raise ScenarioError(msg, problems=problems)


def _dest_table(
    schools: pd.DataFrame, sites: pd.DataFrame, rules: PlanningRules, settings: WaysSettings
) -> pd.DataFrame:
    dest = destinations(schools, sites)
    seats = (
        pd.to_numeric(schools["bus_seats"], errors="coerce").fillna(0.0)
        if "bus_seats" in schools.columns
        else pd.Series(0.0, index=schools.index)
    )
    seats.index = seats.index.astype(str)
    refuse_unknown_way_ids(settings, townships=None, schools=seats.index)
    for sid, n in settings.bus_seats.items():
        seats[str(sid)] = float(n)
    dest["bus_seats"] = seats.reindex(dest.index).fillna(0.0).to_numpy(dtype="float64")
    dest["boarding_beds"] = pd.to_numeric(dest["boarding_beds"], errors="coerce").fillna(0.0)
    places = school_places(schools, sites, rules=rules).reindex(dest.index).fillna(0.0)
    for band in BANDS:
        dest[f"places_{band}"] = places[band].to_numpy()
    return dest


def _escorted(villages: pd.DataFrame, settings: WaysSettings) -> np.ndarray:
    town = (
        villages["township"].astype(str).isin(settings.escorted_townships).to_numpy()
        if "township" in villages.columns
        else np.zeros(len(villages), dtype=bool)
    )
    own = (
        villages["escorted"].astype(str).str.lower().isin(("yes", "true", "1")).to_numpy()
        if "escorted" in villages.columns
        else np.zeros(len(villages), dtype=bool)
    )
    out: np.ndarray = town | own
    return out


def day_way_minutes(
    villages: pd.DataFrame,
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    journeys: WayJourneys,
    *,
    settings: WaysSettings,
    rules: PlanningRules | None = None,
) -> dict[str, pd.DataFrame]:
    """Per band, each village's quickest day way to each school or site, capacity left aside.

    The least of: walking; the bus where the village's walk to the bus road is within
    ``bus_walk_max_m`` and the school has bus seats; escorted where the village may be. This is
    what restoration scoring, phasing and siting compare with the day limit under ``ways:``
    (a restored teaching point has no bus, so it is reached on foot or escorted).

    Returns
    -------
    dict of pandas.DataFrame
        Per band, villages (rows) × schools and sites (columns), minutes (``inf``: none).
    """
    rules = rules or PlanningRules()
    dest = _dest_table(schools, sites, rules, settings)
    ids = villages.index.astype(str)
    cols = dest.index
    escorted = _escorted(villages, settings)
    walk_m = journeys.bus_walk_m.reindex(ids).to_numpy(dtype="float64")
    walk_m = np.where(np.isfinite(walk_m), walk_m, np.inf)
    has_bus = dest["bus_seats"].to_numpy(dtype="float64") > 0
    ride = _frame(journeys.bus_ride, ids, cols)
    esc = np.where(escorted[:, None], _frame(journeys.escorted, ids, cols), np.inf)
    out = {}
    for band in BANDS:
        stop_min = walk_m / (journeys.walk_kph[band] * 1000.0 / 60.0)
        bus = ride + stop_min[:, None] + settings.bus_wait_min
        bus_ok = (walk_m <= settings.bus_walk_max_m)[:, None] & has_bus[None, :]
        best = np.minimum(_frame(journeys.walk[band], ids, cols), np.where(bus_ok, bus, np.inf))
        out[band] = pd.DataFrame(np.minimum(best, esc), index=ids, columns=cols)
    return out


def _row_min(minutes: np.ndarray) -> np.ndarray:
    """Mask of the quickest reachable column of each row (one per row; none if unreachable)."""
    out = np.zeros(minutes.shape, dtype=bool)
    if minutes.shape[1]:
        best = minutes.argmin(axis=1)
        rows = np.arange(len(minutes))
        out[rows, best] = np.isfinite(minutes[rows, best])
    return out


def _frame(table: pd.DataFrame, rows: pd.Index, cols: pd.Index) -> np.ndarray:
    values = table.reindex(index=rows, columns=cols).to_numpy(dtype="float64")
    return np.where(np.isfinite(values), values, np.inf)


def way_options(
    villages: pd.DataFrame,
    dest: pd.DataFrame,
    journeys: WayJourneys,
    *,
    open_ids: Collection[str],
    settings: WaysSettings,
    rules: PlanningRules | None = None,
) -> pd.DataFrame:
    """Every way of every village and band to every open school teaching the band.

    Parameters
    ----------
    villages
        Villages with ``township`` and optionally ``escorted``.
    dest
        Schools and sites indexed by id with ``kind``.
    journeys
        The journeys of every way (:func:`way_journeys`).
    open_ids
        The open schools and sites.
    settings, rules
        The ways and the planning rules (day limits).

    Returns
    -------
    pandas.DataFrame
        Indexed by (``id``, ``band``), columns :data:`OPTION_COLUMNS`: the school, the way, the
        journey (one way, daily; for ``board`` the weekly trip, ``inf`` when unreachable) and
        whether the way is acceptable (day ways: within the band's day limit; bus: also a walk
        to the road within ``bus_walk_max_m``; escorted: allowed for the village; board: allowed
        for the band and the school reachable). Kept are the acceptable options (boarding: at
        schools with ``boarding_beds``, and at the nearest school, where beds may be added) and,
        for the reasons, each village band's quickest option of every way; unreachable options
        are left out.
    """
    rules = rules or PlanningRules()
    ids = villages.index.astype(str)
    escorted = _escorted(villages, settings)
    walk_m = journeys.bus_walk_m.reindex(ids).to_numpy(dtype="float64")
    walk_m = np.where(np.isfinite(walk_m), walk_m, np.inf)
    is_open = dest.index.isin(list(open_ids))
    has_beds = (
        pd.to_numeric(dest["boarding_beds"], errors="coerce").fillna(0.0).to_numpy() > 0
        if "boarding_beds" in dest.columns
        else np.ones(len(dest), dtype=bool)
    )
    parts = []
    for band in BANDS:
        usable = is_open & teaches(dest["kind"].astype(str), band)
        cols = dest.index[usable]
        limit = rules.day_limit_min[band]
        walk = _frame(journeys.walk[band], ids, cols)
        stop_min = walk_m / (journeys.walk_kph[band] * 1000.0 / 60.0)
        bus = _frame(journeys.bus_ride, ids, cols) + stop_min[:, None] + settings.bus_wait_min
        esc = _frame(journeys.escorted, ids, cols)
        trip = _frame(journeys.trips, ids, cols)
        bus_ok = (walk_m <= settings.bus_walk_max_m)[:, None] & (bus <= limit)
        board_ok = np.full(trip.shape, band in settings.board_bands) & np.isfinite(trip)
        nearest = _row_min(trip)
        board_ok &= has_beds[usable][None, :] | nearest
        for way, minutes, ok in (
            ("walk", walk, walk <= limit),
            ("bus", bus, bus_ok),
            ("escorted", esc, escorted[:, None] & (esc <= limit)),
            ("board", trip, board_ok),
        ):
            keep = np.isfinite(minutes) & (ok | _row_min(minutes))
            r, c = np.nonzero(keep)
            parts.append(
                pd.DataFrame(
                    {
                        ID_INDEX: ids[r],
                        "band": band,
                        "school": np.asarray(cols, dtype=object)[c],
                        "way": way,
                        "journey_min": minutes[r, c],
                        "acceptable": ok[r, c],
                    }
                )
            )
    out = pd.concat(parts, ignore_index=True)
    return out.set_index([ID_INDEX, "band"]).sort_index(level=ID_INDEX, sort_remaining=False)


# The ways MIP's first two levels count pupils by way, already in the metrics as
# ``ways_none_pupils`` and ``ways_board_pupils``; one figure, one name.
_LEVELS_COUNTED_ABOVE = frozenset({"no_way_pupils", "boarders"})


@dataclass(frozen=True)
class WaysPlan:
    """Every village and band's school and way, the schools' seats and beds, and the additions.

    Parameters
    ----------
    assignment
        Indexed by (``id``, ``band``): :data:`geoplan.plan.evaluate.ASSIGNMENT_COLUMNS` (so every
        indicator of :mod:`geoplan.plan.evaluate` reads it: walk, bus and escorted pupils are day
        pupils, boarders board, pupils with no acceptable way are unserved), then ``way``
        (:data:`WAY_CHOICES`) and ``reason`` (why no way, else empty).
    schools
        Per school and site: :data:`SCHOOL_WAY_COLUMNS`.
    no_way
        The villages and bands with no way, and why (``reason``: ``no_acceptable_way`` or
        ``ways_full``; ``detail``: the planner's sentence).
    additions
        Per school with something to add: ``bus_seats``, ``beds``, ``classes_<band>`` and
        ``places_<band>`` to add, and ``text`` ("12 more bus seats at S04").
    options
        Every way considered (:func:`way_options`).
    solution
        The MIP's solution (levels, statuses, gaps).
    least
        The least-additions MIP's result (``None`` when nobody lacks a way).
    settings
        The ways it was made with.
    """

    assignment: pd.DataFrame
    schools: pd.DataFrame
    no_way: pd.DataFrame
    additions: pd.DataFrame
    options: pd.DataFrame
    solution: WaysSolution
    least: Additions | None
    settings: WaysSettings

    def summary(self) -> list[str]:
        """The additions as sentences ("12 more bus seats at S04"), or that none are needed."""
        if not len(self.no_way):
            return ["Every village and band has an acceptable way to a school."]
        lines = [str(t) for t in self.additions["text"]]
        stuck = self.no_way[self.no_way["reason"] == "no_acceptable_way"]
        if len(stuck):
            lines.append(
                f"{stuck['pupils'].sum():g} pupils in {len(stuck)} village bands have no "
                "acceptable way whatever seats, beds or classes are added (see no_way)."
            )
        return lines or ["No seats, beds or classes would help (see no_way)."]

    def metrics(self) -> dict[str, Any]:
        """Headline numbers: pupils by way, seats and beds used, the MIP's levels and gap."""
        flat = self.assignment.reset_index()
        out: dict[str, Any] = {}
        for way in WAY_CHOICES:
            out[f"ways_{way}_pupils"] = round(float(flat.loc[flat["way"] == way, "pupils"].sum()))
        out["ways_seats_used"] = round(float(self.schools["seats_used"].sum()))
        out["ways_beds_used"] = round(float(self.schools["beds_used"].sum()))
        for name, value in self.solution.objective.items():
            if name in _LEVELS_COUNTED_ABOVE:
                continue  # the same pupils as ways_none_pupils / ways_board_pupils
            out[f"ways_{name}"] = round(float(value), 3)
        out["ways_proven"] = bool(self.solution.proven)
        if self.least is not None:
            out["ways_add_bus_seats"] = round(float(self.least.seats.sum()))
            out["ways_add_beds"] = round(float(self.least.beds.sum()))
            out["ways_add_classes"] = round(float(self.least.classes.sum()))
        return out


def _reason(
    opts: pd.DataFrame, band: str, escorted: bool, walk_m: float, settings: WaysSettings,
    rules: PlanningRules, township: str,
) -> str:  # fmt: skip
    """Why a village band has no acceptable way, way by way."""
    limit = rules.day_limit_min[band]
    parts = []
    for way in WAYS:
        rows = opts[opts["way"] == way]
        best = rows.sort_values("journey_min").iloc[0] if len(rows) else None
        if way == "bus" and not walk_m <= settings.bus_walk_max_m:
            far = "no bus road reachable" if not math.isfinite(walk_m) else f"{walk_m:,.0f} m"
            parts.append(
                f"bus: the walk to the nearest bus road is {far} "
                f"(most {settings.bus_walk_max_m:,.0f} m)"
            )
        elif way == "escorted" and not escorted:
            parts.append(f"escorted: not allowed in township {township} nor for the village")
        elif way == "board" and band not in settings.board_bands:
            parts.append(f"board: grades {grade_label(band)} do not board (ways.board_bands)")
        elif best is None:
            parts.append(f"{way}: no open school teaching grades {grade_label(band)} reachable")
        elif way != "board":
            parts.append(
                f"{way}: {best['journey_min']:.0f} min to {best['school']} at best "
                f"(limit {limit:g})"
            )
    return "; ".join(parts)


def _full(opts: pd.DataFrame, table: pd.DataFrame, band: str) -> str:
    """The acceptable ways of a village band, and the room left on each (all too little)."""
    parts = []
    for _, row in opts.sort_values("journey_min").head(4).iterrows():
        sid, way = str(row["school"]), str(row["way"])
        t = table.loc[sid]
        room = [
            f"{t[f'places_{band}']:g} places of grades {grade_label(band)}, "
            f"{t[f'places_{band}'] - t[f'pupils_{band}']:g} free"
        ]
        if way == "bus":
            room.append(f"{t['bus_seats']:g} bus seats, {t['bus_seats'] - t['seats_used']:g} free")
        if way == "board":
            room.append(
                f"{t['boarding_beds']:g} beds, {t['boarding_beds'] - t['beds_used']:g} free"
            )
        parts.append(f"{way} to {sid} ({row['journey_min']:.0f} min): {'; '.join(room)}")
    return "every acceptable way is full: " + " | ".join(parts)


def plan_ways(
    villages: pd.DataFrame,
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    journeys: WayJourneys,
    *,
    open_ids: Collection[str] | None = None,
    settings: WaysSettings | None = None,
    rules: PlanningRules | None = None,
    band_modes: Mapping[str, str] | None = None,
    trip_mode: str = "school_bus",
) -> WaysPlan:
    """Assign every village and band a school and a way (one lexicographic MIP), within capacity.

    Parameters
    ----------
    villages
        Villages indexed by id with ``township``, ``pupils_<band>`` and optionally ``escorted``.
    schools, sites
        The schools layer (``kind``, ``status``, ``classes_<band>``, ``boarding_beds``,
        ``bus_seats``) and the restoration sites (teaching points when restored).
    journeys
        The journeys of every way (:func:`way_journeys`), to the schools and sites.
    open_ids
        Open schools and sites; default: the schools with ``status == "open"``.
    settings, rules
        The ways and the planning rules (day limits, class-size limits).
    band_modes
        Travel mode per band (names the walking mode in the ``mode`` column).
    trip_mode
        The boarders' weekly trip mode.

    Returns
    -------
    WaysPlan
    """
    settings = settings or WaysSettings()
    rules = rules or PlanningRules()
    band_modes = dict(band_modes or {})
    dest = _dest_table(schools, sites, rules, settings)
    if open_ids is None:
        open_ids = [str(s) for s in dest.index[dest["status"] == "open"]]
    open_set = {str(s) for s in open_ids}
    options = way_options(
        villages, dest, journeys, open_ids=open_set, settings=settings, rules=rules
    )
    ids = villages.index.astype(str)
    groups = pd.MultiIndex.from_product([ids, list(BANDS)], names=[ID_INDEX, "band"])
    pupils = np.array(
        [float(villages[f"pupils_{b}"].iloc[i]) for i in range(len(ids)) for b in BANDS]
    )
    band_pos = np.tile(np.arange(len(BANDS)), len(ids))
    good = options[options["acceptable"]]
    gpos = groups.get_indexer(good.index)
    spos = dest.index.get_indexer(pd.Index(good["school"].astype(str)))
    wpos = good["way"].map({w: k for k, w in enumerate(WAYS)}).to_numpy(dtype="int64")
    minutes = np.where(np.isfinite(good["journey_min"]), good["journey_min"], 0.0)
    places = (
        dest[[f"places_{b}" for b in BANDS]].to_numpy(dtype="float64")
        if settings.places
        else np.full((len(dest), len(BANDS)), np.inf)
    )
    seats = dest["bus_seats"].to_numpy(dtype="float64")
    beds = dest["boarding_beds"].to_numpy(dtype="float64")
    args = (pupils, band_pos, gpos, spos, wpos, minutes, places, seats, beds)
    solution = solve_ways(*args, time_limit_s=settings.time_limit_s)
    choice = solution.choice
    chosen = np.flatnonzero(choice >= 0)
    school = np.full(len(groups), None, dtype=object)
    way = np.full(len(groups), "none", dtype=object)
    journey = np.full(len(groups), np.nan)
    school[chosen] = good["school"].to_numpy(dtype=object)[choice[chosen]]
    way[chosen] = good["way"].to_numpy(dtype=object)[choice[chosen]]
    journey[chosen] = good["journey_min"].to_numpy(dtype="float64")[choice[chosen]]
    walk_modes = {b: settings.walk_mode(b, band_modes) for b in BANDS}
    band_of = np.tile(np.array(BANDS, dtype=object), len(ids))
    mode = np.array(
        [
            {
                "walk": walk_modes[b],
                "bus": settings.bus_mode,
                "escorted": settings.escorted_mode,
                "board": trip_mode,
            }.get(w)
            for w, b in zip(way, band_of, strict=True)
        ],
        dtype=object,
    )
    day = np.isin(way, ("walk", "bus", "escorted"))
    board = way == "board"
    township = (
        np.repeat(villages["township"].astype(str).to_numpy(), len(BANDS))
        if "township" in villages.columns
        else np.full(len(groups), "", dtype=object)
    )
    # journey_min of a group with no way: its best walk (the rule's input, as assign_pupils)
    walks = options[options["way"] == "walk"]
    best_walk = walks.groupby(level=[ID_INDEX, "band"])["journey_min"].min().reindex(groups)
    esc_ok = np.repeat(_escorted(villages, settings), len(BANDS))
    walk_m = np.repeat(journeys.bus_walk_m.reindex(ids).to_numpy(dtype="float64"), len(BANDS))
    reason = np.full(len(groups), "", dtype=object)
    detail = np.full(len(groups), "", dtype=object)
    has_good = np.zeros(len(groups), dtype=bool)
    has_good[gpos] = True
    table = _school_table(dest, way, school, pupils, solution)
    by_group = options.groupby(level=[ID_INDEX, "band"])
    id_list = [str(i) for i in ids]
    for g in (int(k) for k in np.flatnonzero(way == "none")):
        key = (id_list[g // len(BANDS)], BANDS[g % len(BANDS)])
        opts = by_group.get_group(key) if key in by_group.groups else options.iloc[:0]
        if has_good[g]:
            reason[g] = "ways_full"
            detail[g] = _full(opts[opts["acceptable"]], table, key[1])
        else:
            reason[g] = "no_acceptable_way"
            detail[g] = _reason(
                opts, key[1], bool(esc_ok[g]), float(walk_m[g]), settings, rules, township[g]
            )
    assignment = pd.DataFrame(
        {
            "township": township,
            "pupils": pupils,
            "school": school,
            "mode": mode,
            "journey_min": np.where(day, journey, best_walk.to_numpy(dtype="float64")),
            "within_limit": day,
            "status": np.where(day, "day", np.where(board, "boards", "unserved")),
            "day_journey_min": np.where(day, journey, np.nan),
            "weekly_trip_min": np.where(board & np.isfinite(journey), journey, np.nan),
            "way": way,
            "reason": detail,
        },
        index=groups,
    )
    assert list(assignment.columns[: len(ASSIGNMENT_COLUMNS)]) == list(ASSIGNMENT_COLUMNS)
    no_way = assignment.loc[way == "none", ["township", "pupils"]].assign(
        reason=reason[way == "none"], detail=detail[way == "none"]
    )
    no_way = no_way[no_way["pupils"] > 0].sort_values("pupils", ascending=False)
    least = None
    additions = pd.DataFrame(
        columns=[
            "bus_seats",
            "beds",
            *(f"classes_{b}" for b in BANDS),
            *(f"places_{b}" for b in BANDS),
            "text",
        ]
    )
    if len(no_way):
        size = np.array(
            [
                [
                    rules.limit_for(str(kind), b) if b in bands_taught(str(kind)) else 0
                    for b in BANDS
                ]
                for kind in dest["kind"].astype(str)
            ],
            dtype="float64",
        )
        least = least_additions(*args, class_size=size, time_limit_s=settings.time_limit_s)
        additions = _additions_table(dest, least)
    return WaysPlan(
        assignment=assignment,
        schools=table,
        no_way=no_way,
        additions=additions,
        options=options,
        solution=solution,
        least=least,
        settings=settings,
    )


def _school_table(
    dest: pd.DataFrame,
    way: np.ndarray,
    school: np.ndarray,
    pupils: np.ndarray,
    solution: WaysSolution,
) -> pd.DataFrame:
    out = pd.DataFrame(index=dest.index)
    for b in BANDS:
        out[f"places_{b}"] = dest[f"places_{b}"]
    for k, b in enumerate(BANDS):
        out[f"pupils_{b}"] = solution.places_used[:, k]
    out["bus_seats"] = dest["bus_seats"]
    out["seats_used"] = solution.seats_used
    out["boarding_beds"] = dest["boarding_beds"]
    out["beds_used"] = solution.beds_used
    flat = pd.DataFrame({"school": school, "way": way, "pupils": pupils})
    flat = flat[flat["way"] != "none"]
    by_way = flat.groupby(["school", "way"])["pupils"].sum().unstack().fillna(0.0)
    for name in WAYS:
        out[f"{name}_pupils"] = (
            by_way[name].reindex(out.index, fill_value=0.0) if name in by_way.columns else 0.0
        )
    return out[list(SCHOOL_WAY_COLUMNS)].astype("float64")


def _additions_table(dest: pd.DataFrame, least: Additions) -> pd.DataFrame:
    rows = []
    for s, sid in enumerate(dest.index.astype(str)):
        seats, beds = float(least.seats[s]), float(least.beds[s])
        classes = least.classes[s]
        if not (seats or beds or classes.any()):
            continue
        words = []
        if seats:
            words.append(f"{seats:g} more bus seats at {sid}")
        if beds:
            words.append(f"{beds:g} more beds at {sid}")
        for k, b in enumerate(BANDS):
            if classes[k]:
                words.append(
                    f"{classes[k]:g} more class{'es' if classes[k] > 1 else ''} of grades "
                    f"{grade_label(b)} at {sid} ({least.places[s, k]:g} places)"
                )
        row: dict[str, Any] = {ID_INDEX: sid, "bus_seats": seats, "beds": beds}
        for k, b in enumerate(BANDS):
            row[f"classes_{b}"] = float(classes[k])
        for k, b in enumerate(BANDS):
            row[f"places_{b}"] = float(least.places[s, k])
        row["text"] = ", ".join(words)
        rows.append(row)
    if not rows:
        return pd.DataFrame(
            columns=[
                "bus_seats",
                "beds",
                *(f"classes_{b}" for b in BANDS),
                *(f"places_{b}" for b in BANDS),
                "text",
            ]
        )
    return pd.DataFrame(rows).set_index(ID_INDEX)
