"""County summary tables: pupils, schools, capacity and oversized classes per township."""

from __future__ import annotations

import pandas as pd

from geoplan.data.area import PlanningArea
from geoplan.rules import BANDS, PlanningRules, oversized_classes, teaches

__all__ = [
    "county_summary",
    "school_capacity",
    "school_oversized",
]


def school_capacity(
    schools: pd.DataFrame, *, rules: PlanningRules | None = None, planned: bool = False
) -> pd.DataFrame:
    """Places per band of each school: classes × class-size limit.

    Parameters
    ----------
    schools
        A ``schools`` layer (contract columns).
    rules
        Planning rules (class-size limits by kind); defaults to :class:`PlanningRules`.
    planned
        Count the classes of planned extensions (``planned_classes_*``) too.

    Returns
    -------
    pandas.DataFrame
        ``places_g1_3``, ``places_g4_6``, ``places_g7_9`` indexed like ``schools``; zero for bands a
        school does not teach.
    """
    rules = rules or PlanningRules()
    out = pd.DataFrame(index=schools.index)
    limits = rules.school_limits(schools)
    for b, band in enumerate(BANDS):
        classes = schools[f"classes_{band}"].astype("int64")
        if planned:
            classes = classes + schools[f"planned_classes_{band}"].astype("int64")
        taught = teaches(schools["kind"], band)
        places = (classes * pd.Series(limits[:, b], index=schools.index)).round()
        out[f"places_{band}"] = places.where(pd.Series(taught, index=schools.index), 0)
    return out.astype("int64")


def school_oversized(schools: pd.DataFrame) -> pd.DataFrame:
    """Oversized (56+) and severely oversized (66+) classes per school today.

    Enrolment of each band is spread as evenly as possible over that band's classes.
    """
    rows = []
    for school_id, row in schools.iterrows():
        big = huge = 0
        for band in BANDS:
            b, h = oversized_classes(int(row[f"enrolment_{band}"]), int(row[f"classes_{band}"]))
            big += b
            huge += h
        rows.append((school_id, big, huge))
    return pd.DataFrame(
        rows, columns=["id", "oversized_classes", "severely_oversized_classes"]
    ).set_index("id")


def county_summary(area: PlanningArea, *, rules: PlanningRules | None = None) -> pd.DataFrame:
    """One row per township (and a county total): pupils, schools, places and oversized classes.

    Pupils count villages and, for the township holding them, residential blocks (blocks are
    assigned to the township whose polygon contains their centroid).
    """
    rules = rules or PlanningRules()
    townships = area.townships
    villages = area.villages
    schools = area.open_schools
    table = pd.DataFrame(index=townships.index)
    table["township"] = townships["name"]
    table["villages"] = villages.groupby("township").size().reindex(table.index, fill_value=0)
    pupils = villages.groupby("township")[[f"pupils_{b}" for b in BANDS]].sum()
    if len(area.blocks):
        centroids = area.blocks.geometry.representative_point()
        inside = townships.sindex.query(centroids, predicate="within")
        block_town = pd.Series(townships.index[inside[1]], index=area.blocks.index[inside[0]])
        block_pupils = (
            area.blocks[[f"pupils_{b}" for b in BANDS]]
            .loc[block_town.index]
            .groupby(block_town.values)
            .sum()
        )
        pupils = pupils.add(block_pupils, fill_value=0)
        table["blocks"] = block_town.value_counts().reindex(table.index, fill_value=0)
    else:
        table["blocks"] = 0
    for band in BANDS:
        col = f"pupils_{band}"
        table[col] = pupils[col].reindex(table.index, fill_value=0) if col in pupils else 0
    school_town = schools["township"].fillna("")
    if school_town.eq("").any():
        at = townships.sindex.query(schools.geometry, predicate="within")
        located = pd.Series(townships.index[at[1]], index=schools.index[at[0]])
        school_town = school_town.where(school_town != "", located.reindex(schools.index))
    table["open_schools"] = school_town.value_counts().reindex(table.index, fill_value=0)
    places = school_capacity(schools, rules=rules).groupby(school_town.values).sum()
    for band in BANDS:
        table[f"places_{band}"] = places[f"places_{band}"].reindex(table.index, fill_value=0)
    over = school_oversized(schools).groupby(school_town.values).sum()
    table["oversized_classes"] = over["oversized_classes"].reindex(table.index, fill_value=0)
    table["boarding_beds"] = (
        schools["boarding_beds"]
        .groupby(school_town.values)
        .sum()
        .reindex(table.index, fill_value=0)
    )
    table["sites"] = (
        area.sites.groupby("township").size().reindex(table.index, fill_value=0)
        if len(area.sites)
        else 0
    )
    numeric = table.columns.drop("township")
    table[numeric] = table[numeric].astype("int64")
    total = table[numeric].sum().to_frame().T
    total.insert(0, "township", "County total")
    total.index = pd.Index(["total"], name=table.index.name)
    return pd.concat([table, total])
