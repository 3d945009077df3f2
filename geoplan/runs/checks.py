"""Every check of a planning-area folder that ``geoplan validate`` runs, as one library call.

:func:`check_folder` reads the folder's layers (:func:`geoplan.data.readers.read_layers`: files,
headers, values, ids, boundaries) and adds the checks of the later stages that need the roads
or the districts' rules: the road file as a run reads it
(:func:`geoplan.network.roads.road_file_problems`), undeclared GCJ-02 / BD-09 coordinates
against the roads (:func:`geoplan.network.offsets.folder_offset_problems`) and blocks that touch
no other block (:func:`geoplan.models.districts.lone_block_problems`), and a school off the block
map or a level whose blocks hold no pupils
(:func:`geoplan.models.districts.district_input_problems`). Nothing is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from geoplan.data.readers import read_layers
from geoplan.errors import Problem
from geoplan.models.districts import district_input_problems, lone_block_problems
from geoplan.network.offsets import folder_offset_problems
from geoplan.network.roads import road_file_problems

__all__ = ["FolderCheck", "check_folder"]


@dataclass(frozen=True)
class FolderCheck:
    """What :func:`check_folder` found.

    Parameters
    ----------
    problems
        Every error, warning and note, the reading's first.
    layers
        The layers read, by name (those that could be read).
    info
        The reading's details (:func:`~geoplan.data.readers.read_layers`: ``folder``, ``files``,
        ``columns``, ``roads_path``, ``crs``, ...).
    """

    problems: list[Problem]
    layers: dict[str, gpd.GeoDataFrame]
    info: dict[str, Any]


def check_folder(
    path: str | os.PathLike[str],
    *,
    columns: str | os.PathLike[str] | None = None,
    boundary_tolerance_m: float = 1000.0,
) -> FolderCheck:
    """Check a planning-area folder as ``geoplan validate`` does; writes nothing.

    Parameters
    ----------
    path
        The folder (or its GeoPackage).
    columns
        A column mapping to read it with instead of the folder's ``columns.yaml``.
    boundary_tolerance_m
        How far outside its township a point may lie before it is an error.

    Returns
    -------
    FolderCheck
        The problems, the layers and the reading's details.
    """
    layers, problems, info = read_layers(
        path, columns=columns, boundary_tolerance_m=boundary_tolerance_m
    )
    folder = Path(info["folder"])
    road_problems = road_file_problems(
        info["roads_path"],
        area=str(info["area"].get("name") or folder.resolve().name),
        source=str(folder),
        crs=info["crs"],
    )  # what `geoplan run` refuses, by the same rule
    problems = [*problems, *(road_problems or folder_offset_problems(layers, info))]
    if "blocks" in layers:
        problems += lone_block_problems(
            layers["blocks"], file=info["files"].get("blocks", "blocks")
        )
    if "blocks" in layers and "schools" in layers:
        problems += district_input_problems(
            layers["blocks"], layers["schools"], files=info["files"]
        )
    return FolderCheck(problems=problems, layers=dict(layers), info=dict(info))
