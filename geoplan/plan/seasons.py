"""Seasons of the school year: each with its months, its closed roads and its slower roads.

A scenario's ``seasons:`` section (``{summer: {months: 5}, winter: {months: 5, closures: [...],
speed_factor: {child_walk: 0.7}}}``) becomes a tuple of :class:`Season`. A season's closures are
added to the scenario's; its speed factor multiplies every speed of that travel mode (roads,
access legs, and the flat speed of the slope-aware walking times), so travel matrices are
computed, and cached, per season (:func:`season_minutes`). ``months`` (school months, at most 12
in all) is the only weighting: the year's value of a count or a mean is the months-weighted mean
of the seasons' (:func:`season_metrics`); a longest journey is reported per season only, since a
weighted longest means nothing.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd

from geoplan.errors import ArgumentError
from geoplan.network import travel
from geoplan.network.modes import MODES, Closure, TravelMode
from geoplan.rules import BANDS

__all__ = [
    "MONTHS_PER_YEAR",
    "Season",
    "check_seasons",
    "season_metrics",
    "season_minutes",
    "season_mode",
]

_logger = logging.getLogger(__name__)

MONTHS_PER_YEAR = 12
"""The seasons' school months add up to at most this."""


@dataclass(frozen=True)
class Season:
    """One season of the school year.

    Parameters
    ----------
    name
        Name of the season (``summer``, ``winter``), used as a prefix of its metrics.
    months
        School months of the season (the weight of its values in the year's).
    closures
        Roads out of use in this season, on top of the scenario's closures.
    speed_factor
        Per travel mode name, a factor multiplying every speed of that mode (0.7: 30 % slower).
    """

    name: str
    months: float
    closures: tuple[Closure, ...] = ()
    speed_factor: Mapping[str, float] = field(default_factory=dict)


def check_seasons(seasons: tuple[Season, ...]) -> None:
    """Raise :class:`~geoplan.errors.ArgumentError` naming what is wrong with ``seasons``."""
    names = [s.name for s in seasons]
    if len(set(names)) != len(names):
        msg = f"season names repeat: {names}; name each season once"
        raise ArgumentError(msg)
    for s in seasons:
        if not (math.isfinite(s.months) and s.months > 0):
            msg = f"season {s.name!r}: months {s.months} must be a positive number"
            raise ArgumentError(msg)
        for mode, factor in s.speed_factor.items():
            if mode not in MODES:
                msg = f"season {s.name!r}: speed_factor names unknown mode {mode!r}"
                raise ArgumentError(msg)
            if not (math.isfinite(factor) and factor > 0):
                msg = f"season {s.name!r}: speed_factor of {mode} must be positive, not {factor}"
                raise ArgumentError(msg)
    total = sum(s.months for s in seasons)
    if total > MONTHS_PER_YEAR + 1e-9:
        msg = f"the seasons' months add up to {total:g} > {MONTHS_PER_YEAR}; shorten a season"
        raise ArgumentError(msg)


def season_mode(mode: str | TravelMode, season: Season) -> TravelMode:
    """The travel mode of ``season``: every speed times the season's factor for that mode."""
    base = MODES[mode] if isinstance(mode, str) else mode
    factor = float(season.speed_factor.get(base.name, 1.0))
    if factor == 1.0:
        return base
    return replace(
        base,
        speeds_kph={k: v * factor for k, v in base.speeds_kph.items()},
        walk_kph=base.walk_kph * factor,
        default_kph=None if base.default_kph is None else base.default_kph * factor,
    )


def season_minutes(
    graph: nx.MultiDiGraph,
    origins: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    band_modes: Mapping[str, str],
    closures: tuple[Closure, ...],
    seasons: tuple[Season, ...],
    cache_dir: Path | None = None,
) -> dict[str, dict[str, pd.DataFrame]]:
    """Minutes per season and band (villages × schools and sites), one matrix per season and mode.

    Each season's matrices are computed with the scenario's ``closures`` plus the season's, and
    with the season's speed factors, and cached on disk like every travel matrix.
    """
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for season in seasons:
        by_mode: dict[str, pd.DataFrame] = {}
        bands: dict[str, pd.DataFrame] = {}
        for band in BANDS:
            name = band_modes[band]
            if name not in by_mode:
                matrix = travel.travel_matrix(
                    graph,
                    origins,
                    targets,
                    mode=season_mode(name, season),
                    closures=(*closures, *season.closures),
                    cache_dir=cache_dir,
                )
                by_mode[name] = matrix.minutes_frame().astype("float64")
            bands[band] = by_mode[name]
        out[season.name] = bands
        _logger.info("season %s: travel matrices for %d mode(s)", season.name, len(by_mode))
    return out


_NOT_WEIGHTED = ("_median_", "_p90_", "_longest_")
"""Figures a months-weighted mean would misstate: medians, 90th percentiles, longest journeys."""


def season_metrics(
    seasons: tuple[Season, ...],
    metrics_of: Callable[[str], Mapping[str, Any]],
) -> dict[str, Any]:
    """Every indicator per season (``<season>_<key>``) and for the year (``year_<key>``).

    Parameters
    ----------
    seasons
        The seasons.
    metrics_of
        The indicators of one season, by its name (counts and means; ``*_longest_*``,
        ``*_median_*`` and ``*_p90_*`` keys are not means).

    Returns
    -------
    dict
        ``<season>_<key>`` for every key; ``year_<key>`` the months-weighted mean of the seasons'
        values for every count and mean (left out for longest journeys, medians and 90th
        percentiles, and when a season has no value).
    """
    out: dict[str, Any] = {}
    per: dict[str, Mapping[str, Any]] = {s.name: metrics_of(s.name) for s in seasons}
    months = {s.name: s.months for s in seasons}
    total = sum(months.values())
    keys = list(next(iter(per.values()))) if per else []
    for name, values in per.items():
        for key in keys:
            out[f"{name}_{key}"] = values.get(key)
    for key in keys:
        if any(tag in key for tag in _NOT_WEIGHTED):
            continue
        vals = [per[s][key] for s in per]
        if any(v is None or isinstance(v, bool) or not isinstance(v, int | float) for v in vals):
            continue
        out[f"year_{key}"] = round(sum(months[s] * float(per[s][key]) for s in per) / total, 3)
    out["seasons"] = ", ".join(f"{s.name} ({s.months:g} months)" for s in seasons)
    return out
