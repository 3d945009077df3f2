"""New teaching points chosen by a location model, as one phase of a plan.

A scenario's ``siting:`` section (:class:`SitingSettings`) runs one model of
:mod:`geoplan.models.siting` on the villages (demand: pupils of the band) and the candidate
``sites`` (columns), with today's open schools teaching the band as fixed sites: open, free, and
counted apart from ``p``. A site with ``decision: must`` (or a fixed ``phase``) must open, one with
``never`` may not. The chosen sites become open teaching points restored in phase 1 of a
:class:`~geoplan.plan.restoration.RestorationPlan`, so they are evaluated, mapped and written
like restored ones; the plan's ``siting`` holds the model's result (objective, bound, gap).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geoplan.errors import ArgumentError, InfeasibleError
from geoplan.models import siting
from geoplan.models.phasing import Phasing, pupil_years_served
from geoplan.models.solver import id_matrix, id_series
from geoplan.plan.restoration import RestorationPlan, _plan_effects, score_sites
from geoplan.rules import PlanningRules, bands_taught, teaches

__all__ = [
    "SITING_MODELS",
    "SitingInputs",
    "SitingSettings",
    "plan_siting",
    "run_siting_model",
    "siting_inputs",
    "siting_table",
]

_logger = logging.getLogger(__name__)

SITING_MODELS: tuple[str, ...] = ("p_median", "max_coverage", "set_cover", "budgeted_coverage")
"""Location models a scenario's ``siting: {model: ...}`` may name."""


@dataclass(frozen=True)
class SitingSettings:
    """Which location model chooses new teaching points, with its numbers.

    Parameters
    ----------
    model
        One of :data:`SITING_MODELS`.
    p
        New teaching points to open (``p_median``: exactly, ``max_coverage``: at most), besides
        today's open schools.
    limit_min
        Journey limit of the coverage models (minutes); default: the band's day limit.
    budget_yuan
        Restoration budget of ``budgeted_coverage`` (sites' ``restore_cost_yuan``).
    band
        Grade band whose pupils and journeys the model uses (teaching points teach ``g1_3``).
    time_limit_s
        Time limit of the exact solve.
    robust
        With seasons: ``"worst"``, ``"regret"`` or ``"expected"`` (see
        :data:`geoplan.models.siting.ROBUST`) over every season's journeys; ``None``: the
        scenario's journeys only (no season).
    """

    model: str
    p: int | None = None
    limit_min: float | None = None
    budget_yuan: float | None = None
    band: str = "g1_3"
    time_limit_s: float = 60.0
    robust: str | None = None

    def __post_init__(self) -> None:
        """Check the model and the numbers it needs."""
        if self.model not in SITING_MODELS:
            msg = f"siting model {self.model!r} is unknown; use one of {', '.join(SITING_MODELS)}"
            raise ArgumentError(msg)
        if self.model in ("p_median", "max_coverage") and (self.p is None or self.p < 1):
            msg = f"siting model {self.model} needs `p`, the new teaching points to open (>= 1)"
            raise ArgumentError(msg)
        if self.model == "budgeted_coverage" and (
            self.budget_yuan is None or not self.budget_yuan > 0
        ):
            msg = "siting model budgeted_coverage needs `budget_yuan`, a positive budget"
            raise ArgumentError(msg)
        if self.robust is not None and self.robust not in siting.ROBUST:
            msg = f"siting robust {self.robust!r} is unknown; use one of {', '.join(siting.ROBUST)}"
            raise ArgumentError(msg)
        if self.band not in bands_taught("teaching_point"):
            msg = (
                f"siting band {self.band!r}: teaching points teach "
                f"{', '.join(bands_taught('teaching_point'))} only; use that band"
            )
            raise ArgumentError(msg)


@dataclass(frozen=True)
class SitingInputs:
    """What a siting model is called with (see :func:`siting_inputs`)."""

    cost: pd.DataFrame
    weights: pd.Series
    fixed: list[str]
    must: list[str]
    never: list[str]
    left_out: list[str]


def siting_inputs(
    villages: pd.DataFrame,
    minutes: Mapping[str, pd.DataFrame],
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    band: str = "g1_3",
) -> SitingInputs:
    """The cost matrix, weights and site decisions a scenario's siting model is called with.

    Parameters
    ----------
    villages, minutes, schools, sites
        As for :func:`geoplan.plan.restoration.plan_restoration`.
    band
        The grade band.

    Returns
    -------
    SitingInputs
        ``cost``: minutes, villages that reach a school or site × (open schools teaching the band,
        then the sites); ``weights``: their pupils of the band by village id; ``fixed``: the open
        schools; ``must`` / ``never``: sites by ``decision`` (a fixed ``phase`` counts as must);
        ``left_out``: villages that reach none (they stay unserved).
    """
    is_open = (
        (schools["status"] == "open").to_numpy()
        if "status" in schools.columns
        else np.ones(len(schools), dtype=bool)
    )
    fixed = [str(s) for s in schools.index[is_open & teaches(schools["kind"], band)]]
    site_ids = [str(s) for s in sites.index]
    table = id_matrix(
        minutes[band], row_ids=list(villages.index), col_ids=[*fixed, *site_ids]
    ).frame()
    reach = np.isfinite(table.to_numpy()).any(axis=1)
    left_out = [str(v) for v in table.index[~reach]]
    decision = (
        sites["decision"].fillna("free").astype(str)
        if "decision" in sites.columns
        else pd.Series("free", index=sites.index)
    )
    phase = sites["phase"] if "phase" in sites.columns else pd.Series(np.nan, index=sites.index)
    must = [str(s) for s in sites.index[(decision == "must") | phase.notna()]]
    never = [str(s) for s in sites.index[decision == "never"]]
    weights = villages[f"pupils_{band}"].fillna(0.0).astype("float64")
    weights.index = weights.index.astype(str)
    return SitingInputs(
        cost=table[reach],
        weights=weights[table.index[reach]],
        fixed=fixed,
        must=must,
        never=never,
        left_out=left_out,
    )


def run_siting_model(
    inputs: SitingInputs,
    settings: SitingSettings,
    sites: pd.DataFrame,
    *,
    rules: PlanningRules,
    season_cost: Mapping[str, pd.DataFrame] | None = None,
    months: Mapping[str, float] | None = None,
) -> siting.SitingResult:
    """Call the model of ``settings`` on ``inputs`` (``p`` counts new sites; fixed come on top).

    With ``season_cost`` (one matrix per season, the rows and columns of ``inputs.cost``) the
    model is the robust one of ``settings.robust`` over the seasons, ``months`` their weights.
    """
    limit = rules.day_limit_min[settings.band] if settings.limit_min is None else settings.limit_min
    cost: Any = inputs.cost if season_cost is None else dict(season_cost)
    w, t = inputs.weights, settings.time_limit_s
    fixed, must, never = inputs.fixed, inputs.must, inputs.never
    rob: dict[str, Any] = {}
    if season_cost is not None:
        rob = {"robust": settings.robust or "worst", "months": months}
    if settings.model == "p_median":
        assert settings.p is not None
        return siting.p_median(
            cost, p=len(fixed) + settings.p, weights=w, fixed=fixed, must=must, never=never,
            time_limit_s=t, **rob,
        )  # fmt: skip
    if settings.model == "max_coverage":
        assert settings.p is not None
        return siting.max_coverage(
            cost, limit=limit, p=len(fixed) + settings.p, weights=w, fixed=fixed, must=must,
            never=never, time_limit_s=t, **rob,
        )  # fmt: skip
    if settings.model == "set_cover":
        return siting.set_cover(
            cost, limit=limit, weights=w, fixed=fixed, must=must, never=never, time_limit_s=t,
            **rob,
        )  # fmt: skip
    assert settings.budget_yuan is not None
    site_cost = pd.Series(0.0, index=inputs.cost.columns)
    site_cost[[str(s) for s in sites.index]] = sites["restore_cost_yuan"].astype("float64").values
    return siting.budgeted_coverage(
        cost, limit=limit, site_cost=site_cost, budget=settings.budget_yuan, weights=w,
        fixed=fixed, must=must, never=never, time_limit_s=t, **rob,
    )  # fmt: skip


def siting_table(result: siting.SitingResult, settings: SitingSettings) -> pd.DataFrame:
    """One row: the model, its numbers, objective, bound, gap, status and the sites it opened."""
    new = [s for s in result.open_ids if not bool(result.sites.at[s, "fixed"])]
    row = {
        "model": result.model,
        "p": settings.p,
        "limit_min": settings.limit_min,
        "budget_yuan": settings.budget_yuan,
        "band": settings.band,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "status": result.status,
        "method": result.method,
        "seconds": round(result.seconds, 3),
        "sites_opened": ", ".join(new),
        "n_sites_opened": len(new),
    }
    if result.seasons is not None:
        row["robust"] = result.robust
        for season, value in result.seasons["value"].items():
            row[f"{season}_value"] = float(value)
    return pd.DataFrame([row], index=pd.Index(["siting"], name="run"))


def plan_siting(
    villages: pd.DataFrame,
    minutes: Mapping[str, pd.DataFrame],
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    settings: SitingSettings,
    rules: PlanningRules | None = None,
    season_minutes: Mapping[str, Mapping[str, pd.DataFrame]] | None = None,
    months: Mapping[str, float] | None = None,
    modes: Mapping[str, str] | None = None,
    trip_minutes: pd.DataFrame | None = None,
    trip_mode: str | None = None,
) -> RestorationPlan:
    """Choose new teaching points with a location model and evaluate them as one phase.

    Parameters
    ----------
    villages, minutes, schools, sites
        As for :func:`geoplan.plan.restoration.plan_restoration` (``minutes`` per band, villages ×
        schools and sites).
    settings
        The model and its numbers.
    rules
        Planning rules; defaults to :class:`PlanningRules`.
    season_minutes, months
        With ``settings.robust``: minutes per season and band, and each season's school months;
        the model is then robust over the seasons (a village reaching a school or site in some
        season is demand in every season).
    modes, trip_minutes, trip_mode
        Band modes and the boarders' weekly trips, as for
        :func:`geoplan.plan.evaluate.assign_pupils`.

    Returns
    -------
    RestorationPlan
        The chosen sites restored in phase 1, indicators before and after, the scorecard (every
        site on its own), and ``siting``: the model's result.
    """
    t0 = time.perf_counter()
    rules = rules or PlanningRules()
    inputs = siting_inputs(villages, minutes, schools, sites, band=settings.band)
    season_cost: dict[str, pd.DataFrame] | None = None
    if settings.robust is not None and season_minutes:
        cols = list(inputs.cost.columns)
        full = {
            s: id_matrix(m[settings.band], row_ids=list(villages.index), col_ids=cols).frame()
            for s, m in season_minutes.items()
        }
        reach = np.zeros(len(villages), dtype=bool)
        for table in full.values():
            reach |= np.isfinite(table.to_numpy()).any(axis=1)
        season_cost = {s: table[reach] for s, table in full.items()}
        rows = list(next(iter(season_cost.values())).index)
        weights = villages[f"pupils_{settings.band}"].fillna(0.0).astype("float64")
        weights.index = weights.index.astype(str)
        inputs = SitingInputs(
            cost=next(iter(season_cost.values())),
            weights=weights[rows],
            fixed=inputs.fixed,
            must=inputs.must,
            never=inputs.never,
            left_out=[str(v) for v in villages.index[~reach]],
        )
    elif settings.robust is not None:
        msg = f"siting robust={settings.robust!r} needs seasons (a scenario's `seasons:`)"
        raise ArgumentError(msg)
    if inputs.left_out:
        _logger.info(
            "siting: %d village(s) reach no school or site and stay unserved: %s",
            len(inputs.left_out),
            ", ".join(inputs.left_out[:10]),
        )
    if not len(inputs.cost):
        msg = "no village reaches a school or a site; the siting model has no demand"
        raise InfeasibleError(msg)
    result = run_siting_model(
        inputs, settings, sites, rules=rules, season_cost=season_cost, months=months
    )
    chosen = set(result.open_ids) - set(inputs.fixed)
    phase = id_series(
        [1 if str(s) in chosen else 0 for s in sites.index], sites.index, name="phase"
    )
    young = villages["pupils_g1_3"].astype("float64").to_frame(name=1)
    served = pupil_years_served(phase, young, minutes["g1_3"], schools, sites, rules=rules)
    phasing = Phasing(
        phase=phase.astype("int64"),
        pupil_years=served,
        bound=math.nan,
        gap=math.inf,
        status=result.status,
        method="siting",
        seconds=time.perf_counter() - t0,
    )
    _logger.info(
        "siting %s: %d new teaching points, objective %.6g, gap %.2g (%s)",
        settings.model,
        len(chosen),
        result.objective,
        result.gap,
        result.status,
    )
    scorecard = score_sites(
        young, minutes["g1_3"], schools, sites, trip_minutes=trip_minutes, rules=rules
    )
    return _plan_effects(
        villages,
        minutes,
        schools,
        sites,
        scorecard,
        phasing,
        None,
        1,
        rules=rules,
        siting=result,
        modes=modes,
        trip_minutes=trip_minutes,
        trip_mode=trip_mode,
    )
