"""One school's journeys: the busiest school of a plan and the road lines of its pupils' journeys.

Computed here so that maps only draw (maps never solve).
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pandas as pd

from geoplan.errors import ArgumentError
from geoplan.network import travel
from geoplan.plan.pipeline import PlanResult

__all__ = ["busiest_school", "school_journey_lines"]


def busiest_school(result: PlanResult, *, band: str = "g1_3", after: bool = True) -> str:
    """Id of the open school with the most pupils of ``band`` assigned (e.g. to draw journeys)."""
    assignment = (result.after if after else result.before).xs(band, level="band")
    served = assignment[assignment["status"] != "unserved"]
    pupils = served.groupby("school")["pupils"].sum()
    pupils = pupils[pupils.index.isin(result.schools.index)]
    if pupils.empty:
        msg = f"No school has pupils of band {band} assigned in this plan."
        raise ArgumentError(msg)
    return str(pupils.idxmax())


def school_journey_lines(
    result: PlanResult,
    graph: nx.MultiDiGraph,
    *,
    school: str | None = None,
    band: str = "g1_3",
    after: bool = True,
) -> tuple[str, gpd.GeoDataFrame]:
    """The daily road journeys of one school's day-pupil villages, for drawing.

    Boarders' villages get no line: a boarder does not walk to school each day.

    Parameters
    ----------
    result
        The plan.
    graph
        The road graph the plan was made on.
    school
        School id (default: :func:`busiest_school`).
    band
        Grade band (its travel mode and assignment).
    after
        Journeys after the plan (default) or today.

    Returns
    -------
    tuple of str and geopandas.GeoDataFrame
        The school id and one line per village (:func:`geoplan.travel.journey_lines`).
    """
    school = busiest_school(result, band=band, after=after) if school is None else str(school)
    if school not in result.schools.index:
        msg = f"Unknown school id {school!r}; use an id of the schools layer."
        raise ArgumentError(msg)
    assignment = (result.after if after else result.before).xs(band, level="band")
    mine = assignment[(assignment["school"] == school) & (assignment["status"] == "day")]
    villages = result.area.villages.loc[result.area.villages.index.isin(mine.index)]
    if not len(villages):
        return school, gpd.GeoDataFrame(geometry=[], crs=result.area.crs)
    matrix = travel.travel_matrix(
        graph,
        villages,
        result.schools.loc[[school]],
        mode=result.settings.band_modes[band],
        closures=result.settings.closures,
        cache_dir=result.settings.cache_dir,
        origins_label="villages",
        destinations_label="schools",
    )
    return school, travel.journey_lines(graph, matrix, pd.Series(school, index=villages.index))
