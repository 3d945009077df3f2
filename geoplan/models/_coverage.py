"""Shared preparation of the restoration cores: who a candidate site would serve.

The cores take plain tables: grades 1-3 pupils per village and year (villages × years, from
:func:`geoplan.demand.pupils_by_year`), one-way walking minutes from villages to schools and sites
(villages × destinations), the ``schools`` and ``sites`` layers. A village is *brought within the
limit* by a site when the site is within the grades 1-3 day limit and no open school is. A site
*reaches its minimum* in a year when the pupils who would switch to it on their own (within the
limit and nearer than every open school) number at least ``min_pupils``. Used by
:mod:`geoplan.restoration` (scorecard, whole plan) and :mod:`geoplan.phasing`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoplan.data.messages import coded_problem
from geoplan.errors import Problem, ValidationError
from geoplan.models._heuristics import nearest_open
from geoplan.models._location import within
from geoplan.models.solver import id_matrix
from geoplan.rules import PlanningRules, teaches

YOUNG = "g1_3"


@dataclass(frozen=True)
class _Cover:
    site_ids: list[str]
    village_ids: list[str]
    pupils: np.ndarray  # villages × years
    base_min: np.ndarray  # villages: nearest open grades 1-3 school (inf: none)
    base_school: np.ndarray  # villages: its id (None: none)
    open_ids: list[str]  # the open schools teaching grades 1-3
    open_min: np.ndarray  # villages × open_ids (inf: unreachable)
    open_beds: np.ndarray  # open_ids: boarding beds
    site_min: np.ndarray  # villages × sites
    cover: np.ndarray  # villages × sites: brought within the limit
    switch: np.ndarray  # villages × sites: would switch to the site
    min_pupils: np.ndarray  # sites


def _frame_years(young: pd.DataFrame | pd.Series) -> pd.DataFrame:
    if isinstance(young, pd.Series):
        return young.to_frame(name=0)
    return young


def _prepare(
    young: pd.DataFrame | pd.Series,
    minutes: pd.DataFrame,
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    rules: PlanningRules,
) -> _Cover:
    young = _frame_years(young)
    problems: list[Problem] = []
    no_sites = sites.index.difference(minutes.columns)
    if len(no_sites):
        problems.append(
            coded_problem(
                "walk_sites_missing",
                "",
                "travel",
                str(no_sites[0]),
                "g1_3",
                "",
                count=len(no_sites),
            )
        )
    no_villages = young.index.difference(minutes.index)
    if len(no_villages):
        problems.append(
            coded_problem(
                "walk_villages_missing",
                "",
                "travel",
                str(no_villages[0]),
                "g1_3",
                "",
                count=len(no_villages),
            )
        )
    for col in ("restore_cost_yuan",):
        if col not in sites.columns:
            problems.append(
                coded_problem("input_column_missing", "", "sites", "", col, "", column=col)
            )
    if problems:
        raise ValidationError(problems)
    is_open = (
        (schools["status"] == "open").to_numpy()
        if "status" in schools.columns
        else np.ones(len(schools), dtype=bool)
    )
    taught = teaches(schools["kind"], YOUNG)
    open_ids = schools.index[is_open & taught]
    beds = (
        schools["boarding_beds"].fillna(0).to_numpy(dtype="float64")[is_open & taught]
        if "boarding_beds" in schools.columns
        else np.zeros(len(open_ids))
    )
    # The location engine's blocks: minutes as id tables, nearest open school, reach within.
    base = id_matrix(minutes.reindex(index=young.index, columns=open_ids)).values
    if base.shape[1]:
        arg, base_min = nearest_open(base, np.ones(base.shape[1], dtype=bool))
        base_school = np.asarray(open_ids, dtype=object)[arg]
        base_school[~np.isfinite(base_min)] = None
    else:
        base_min = np.full(len(young), np.inf)
        base_school = np.full(len(young), None, dtype=object)
    limit = rules.day_limit_min[YOUNG]
    site_min = id_matrix(minutes.reindex(index=young.index, columns=sites.index)).values
    base_within = within(base_min[:, None], limit)[:, 0]
    site_within = within(site_min, limit)
    cover = site_within & ~base_within[:, None]  # brought within the limit
    switch = site_within & (site_min < base_min[:, None])  # nearer than every open school
    mins = (
        sites["min_pupils"].to_numpy(dtype="float64")
        if "min_pupils" in sites.columns
        else np.full(len(sites), np.nan)
    )
    mins = np.where(np.isfinite(mins), mins, rules.teaching_point_min_pupils)
    pupils = young.fillna(0.0).to_numpy(dtype="float64")
    return _Cover(
        site_ids=[str(s) for s in sites.index],
        village_ids=[str(v) for v in young.index],
        pupils=pupils,
        base_min=base_min,
        base_school=base_school,
        open_ids=[str(s) for s in open_ids],
        open_min=np.where(np.isfinite(base), base, np.inf),
        open_beds=beds,
        site_min=site_min,
        cover=cover,
        switch=switch,
        min_pupils=mins,
    )


def _enrolment(cov: _Cover) -> np.ndarray:
    """Standalone enrolment per site and year (sites × years)."""
    out: np.ndarray = cov.switch.T.astype("float64") @ cov.pupils
    return out
