"""Pupil projections: cohort ageing by grade band, township growth and migration to the county town.

Each band spans three grades. Every year a third of grades 1-3 move up to grades 4-6, a third of
grades 4-6 move up to grades 7-9 and a third of grades 7-9 leave compulsory school; a new intake
joins grades 1-3. Counts are kept as fractions (expected pupils); round only for display.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoplan.data.area import ID_INDEX
from geoplan.data.messages import coded_problem
from geoplan.errors import Problem, UnknownIdError, ValidationError
from geoplan.rules import BANDS

__all__ = [
    "PUPIL_COLUMNS",
    "TownMigration",
    "project_pupils",
    "pupils_by_year",
]

_logger = logging.getLogger(__name__)

PUPIL_COLUMNS: tuple[str, ...] = tuple(f"pupils_{band}" for band in BANDS)
"""Band columns of a projection (and of the ``villages`` layer)."""


@dataclass(frozen=True)
class TownMigration:
    """Families moving from rural villages into the county town.

    Parameters
    ----------
    township
        Id of the county-town township; its villages (communities) receive the pupils.
    rate_per_year
        Share of each other village's pupils (every band) that moves to the town each year.
    """

    township: str
    rate_per_year: float


def _year_labels(years: int | Sequence[int]) -> list[int]:
    if isinstance(years, (int, np.integer)):
        if years < 0:
            raise ValidationError(
                [
                    coded_problem(
                        "projection_years_negative",
                        "project_pupils",
                        "villages",
                        "",
                        "years",
                        years,
                    )
                ]
            )
        return list(range(int(years) + 1))
    labels = [int(y) for y in years]
    if not labels or len(set(labels)) != len(labels) or labels != sorted(labels):
        raise ValidationError(
            [coded_problem("year_labels_bad", "project_pupils", "villages", "", "years", labels)]
        )
    return labels


def project_pupils(
    villages: pd.DataFrame,
    *,
    years: int | Sequence[int],
    intake: pd.Series | Mapping[str, float] | None = None,
    growth_by_township: Mapping[str, float] | None = None,
    migration_to_town: TownMigration | None = None,
) -> pd.DataFrame:
    """Project pupils per village and band, year by year.

    Each year, in this order: cohorts age (a third of each band moves up or leaves) and the intake
    joins grades 1-3; every band of a village in a township with growth rate ``r`` is multiplied
    by ``1 + r`` (the intake grows with it); then ``migration_to_town`` moves its share of each
    rural village's pupils into the town's villages, in proportion to their pupils of the band
    (evenly when the town has none).

    Parameters
    ----------
    villages
        Villages indexed by id, with ``township`` and ``pupils_g1_3``, ``pupils_g4_6``,
        ``pupils_g7_9`` (today's counts).
    years
        Either the number of years to project (labels ``0`` = today, ``1``, ...), or the year
        labels, the first being today, e.g. ``[2014, 2015, 2016, 2017, 2018]``.
    intake
        Pupils entering grade 1 each year, per village id (missing villages: the default).
        Default: a third of today's grades 1-3, which keeps grades 1-3 steady.
    growth_by_township
        Yearly growth rate per township id (``0.02`` = 2 % a year); others do not grow.
    migration_to_town
        Yearly migration of rural pupils into the county town.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``id``, ``year``) with ``pupils_g1_3``, ``pupils_g4_6``, ``pupils_g7_9``
        (floats); ids in the order of ``villages``, years increasing.
    """
    labels = _year_labels(years)
    problems: list[Problem] = []
    for name in ("township", *PUPIL_COLUMNS):
        if name not in villages.columns:
            problems.append(
                coded_problem(
                    "input_column_missing", "project_pupils", "villages", "", name, "", column=name
                )
            )
    if problems:
        raise ValidationError(problems)
    counts = villages[list(PUPIL_COLUMNS)].astype("float64")
    for vid, row in counts.iterrows():
        for col, value in row.items():
            if not np.isfinite(value) or value < 0:
                problems.append(
                    coded_problem(
                        "pupils_not_a_count",
                        "project_pupils",
                        "villages",
                        str(vid),
                        str(col),
                        value,
                    )
                )
    growth = dict(growth_by_township or {})
    for town, town_rate in growth.items():
        if not np.isfinite(town_rate) or town_rate <= -1:
            problems.append(
                coded_problem(
                    "growth_rate_bad",
                    "project_pupils",
                    "villages",
                    "",
                    "growth_by_township",
                    town_rate,
                    township=town,
                )
            )
    if migration_to_town is not None and not 0 <= migration_to_town.rate_per_year <= 1:
        problems.append(
            coded_problem(
                "migration_rate_bad",
                "project_pupils",
                "villages",
                "",
                "migration_to_town",
                migration_to_town.rate_per_year,
            )
        )
    ids = [str(i) for i in villages.index]
    base_intake: np.ndarray = counts["pupils_g1_3"].to_numpy(dtype="float64") / 3.0
    if intake is not None:
        given = pd.Series(intake, dtype="float64")
        given.index = given.index.astype(str)
        unknown = sorted(set(given.index) - set(ids))
        if unknown:
            problems.append(
                coded_problem(
                    "intake_unknown_ids",
                    "project_pupils",
                    "villages",
                    "",
                    "intake",
                    ", ".join(unknown[:5]),
                )
            )
        if (given < 0).any() or not np.isfinite(given.to_numpy()).all():
            problems.append(
                coded_problem("intake_negative", "project_pupils", "villages", "", "intake", "")
            )
        base_intake = np.where(
            pd.Index(ids).isin(given.index),
            given.reindex(ids).to_numpy(),
            base_intake,
        )
    if problems:
        raise ValidationError(problems)

    township = villages["township"].astype(str).to_numpy()
    rate = np.array([growth.get(t, 0.0) for t in township], dtype="float64")
    in_town = (
        township == migration_to_town.township
        if migration_to_town is not None
        else np.zeros(len(ids), dtype=bool)
    )
    if migration_to_town is not None and not in_town.any():
        raise ValidationError(
            [
                coded_problem(
                    "migration_town_empty",
                    "project_pupils",
                    "villages",
                    "",
                    "migration_to_town",
                    migration_to_town.township,
                )
            ]
        )

    state = counts.to_numpy().copy()  # villages × bands
    frames = [state.copy()]
    for step in range(1, len(labels)):
        moved = state / 3.0
        aged = state - moved
        aged[:, 1:] += moved[:, :-1]
        aged[:, 0] += base_intake * (1.0 + rate) ** (step - 1)
        state = aged * (1.0 + rate)[:, None]
        if migration_to_town is not None:
            leaving = np.where(in_town[:, None], 0.0, state * migration_to_town.rate_per_year)
            state = state - leaving
            arriving = leaving.sum(axis=0)
            town_now = np.where(in_town[:, None], state, 0.0)
            totals = town_now.sum(axis=0)
            n_town = int(in_town.sum())
            share = np.where(
                totals > 0,
                town_now / np.where(totals > 0, totals, 1.0),
                np.where(in_town[:, None], 1.0 / n_town, 0.0),
            )
            state = state + share * arriving
        frames.append(state.copy())
    data = np.concatenate(frames, axis=0)
    index = pd.MultiIndex.from_product([labels, ids], names=["year", ID_INDEX])
    out = pd.DataFrame(data, index=index, columns=list(PUPIL_COLUMNS))
    out = out.swaplevel().sort_index(level=ID_INDEX, sort_remaining=False)
    out = out.reindex(pd.MultiIndex.from_product([ids, labels], names=[ID_INDEX, "year"]))
    _logger.debug("projected %d villages over %d years", len(ids), len(labels))
    return out


def pupils_by_year(projection: pd.DataFrame, band: str) -> pd.DataFrame:
    """One band of a projection as a wide table: villages (rows) × years (columns).

    Parameters
    ----------
    projection
        The result of :func:`project_pupils`.
    band
        ``"g1_3"``, ``"g4_6"`` or ``"g7_9"``.

    Returns
    -------
    pandas.DataFrame
        Pupils of ``band``, indexed by village id, one column per year.
    """
    if band not in BANDS:
        msg = f"Unknown band {band!r}; bands are {', '.join(BANDS)}."
        raise UnknownIdError(msg)
    wide = projection[f"pupils_{band}"].unstack("year")
    wide.index.name = ID_INDEX
    return wide.reindex(projection.index.get_level_values(ID_INDEX).unique())
