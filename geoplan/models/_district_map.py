"""The block map of a districting: metres, the adjacency used (with the planner's pairs), islands.

A town's block map comes from outside the project: it may be in US feet, its edges may not
coincide, its blocks may stand apart across streets, a river may cut it (no bridge: remove the
pair) or a footbridge may join two blocks the map keeps apart (add the pair). This module turns the
``blocks`` layer into the adjacency the model uses and a table of every pair (what was measured,
added or removed), and finds the **islands** of one level: pieces of the map that hold no school
of the level, which no contiguous district can reach. An island is reported by id and name with
what to do, or joined to the district of the school it reaches first by road.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from geoplan.data.messages import coded_problem
from geoplan.errors import Problem, ValidationError
from geoplan.models._contiguity import pairs_adjacency, shared_frontage
from geoplan.models._district_inputs import LEVEL_NAMES, _refuse_unprojected

ISLAND_MODES: tuple[str, ...] = ("report", "join")
"""What to do with a piece of the map that holds no school: refuse and name it, or join it."""


@dataclass(frozen=True)
class _BlockMap:
    blocks: Any  # the blocks layer in a CRS in metres
    schools: Any  # the schools layer in the same CRS
    adjacency: sp.csr_array  # measured, plus added, minus removed
    pairs: pd.DataFrame  # one row per pair: block_a, block_b, shared_m, gap_m, source, used
    warnings: tuple[Problem, ...]  # the layer reprojected to metres, pairs not neighbours


def _in_metres(crs: Any) -> bool:
    return all((a.unit_name or "").lower() in ("metre", "meter", "m") for a in crs.axis_info)


def _metric_layers(blocks: Any, schools: Any) -> tuple[Any, Any, list[Problem]]:
    """Blocks and schools in one projected CRS in metres (reprojected, with a note, if not)."""
    from geoplan.data.crs import choose_metric_crs

    notes: list[Problem] = []
    _refuse_unprojected(blocks)
    if not _in_metres(blocks.crs):
        unit = blocks.crs.axis_info[0].unit_name
        metric = choose_metric_crs(blocks)
        notes.append(
            coded_problem(
                "districts_blocks_reprojected", "", "blocks", "", "geometry", blocks.crs.name,
                severity="note", crs=blocks.crs.name, unit=unit, metric=metric.name,
                epsg=metric.to_epsg(),
            )
        )  # fmt: skip
        blocks = blocks.to_crs(metric)
    if schools.crs is not None and schools.crs != blocks.crs:
        schools = schools.to_crs(blocks.crs)
    return blocks, schools, notes


def _pair_positions(
    pairs: Sequence[Sequence[str]] | None, index: pd.Index, field: str
) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    pos = {str(b): i for i, b in enumerate(index)}
    a_list: list[int] = []
    b_list: list[int] = []
    problems: list[Problem] = []
    for pair in pairs or ():
        ids = [str(v) for v in pair]
        unknown = [v for v in ids if v not in pos]
        if len(ids) != 2 or unknown or ids[0] == ids[1]:
            at = ("scenario", "blocks", ",".join(ids), field, str(list(pair)))
            problems.append(
                coded_problem(
                    "district_pair_unknown" if unknown else "district_pair_bad",
                    *at,
                    unknown=unknown,
                    examples=list(index[:2]),
                )
            )
            continue
        a_list.append(pos[ids[0]])
        b_list.append(pos[ids[1]])
    return np.asarray(a_list, np.int64), np.asarray(b_list, np.int64), problems


def _block_map(
    blocks: Any,
    schools: Any,
    *,
    gap_tolerance_m: float,
    min_shared_m: float,
    add_pairs: Sequence[Sequence[str]] | None = None,
    remove_pairs: Sequence[Sequence[str]] | None = None,
) -> _BlockMap:
    """The blocks in metres, their adjacency with the planner's pairs, and the table of pairs."""
    blocks, schools, notes = _metric_layers(blocks, schools)
    n = len(blocks)
    table = shared_frontage(blocks, gap_tolerance_m=gap_tolerance_m, min_shared_m=min_shared_m)
    table = table[table["shared_m"] >= min_shared_m]
    add_a, add_b, problems = _pair_positions(add_pairs, blocks.index, "districts.add_pairs")
    rem_a, rem_b, more = _pair_positions(remove_pairs, blocks.index, "districts.remove_pairs")
    if problems or more:
        raise ValidationError(problems + more)
    key = table["a"].to_numpy() * n + table["b"].to_numpy()
    removed = set((np.minimum(rem_a, rem_b) * n + np.maximum(rem_a, rem_b)).tolist())
    added = np.minimum(add_a, add_b) * n + np.maximum(add_a, add_b)
    new = np.setdiff1d(added, key)
    rows = pd.DataFrame(
        {
            "a": np.concatenate([table["a"].to_numpy(), new // n]),
            "b": np.concatenate([table["b"].to_numpy(), new % n]),
            "shared_m": np.concatenate([table["shared_m"].to_numpy(), np.full(new.size, np.nan)]),
            "gap_m": np.concatenate([table["gap_m"].to_numpy(), np.full(new.size, np.nan)]),
            "source": pd.Series(["measured"] * len(table) + ["added"] * new.size, dtype=str),
        }
    )  # source stays text with no pair at all (a map whose blocks touch none)
    codes = rows["a"].to_numpy() * n + rows["b"].to_numpy()
    rows.loc[np.isin(codes, added) & (rows["source"] == "measured"), "source"] = "measured, added"
    rows["used"] = ~np.isin(codes, list(removed))
    rows.loc[~rows["used"], "source"] = rows.loc[~rows["used"], "source"] + ", removed"
    not_there = removed - set(codes.tolist())
    for code in sorted(not_there):
        a, b = str(blocks.index[code // n]), str(blocks.index[code % n])
        notes.append(
            coded_problem(
                "district_pair_not_neighbours", "scenario", "blocks", f"{a},{b}",
                "districts.remove_pairs", str([a, b]), severity="warning", a=a, b=b,
            )
        )  # fmt: skip
    used = rows[rows["used"]]
    adjacency = pairs_adjacency(used["a"].to_numpy(), used["b"].to_numpy(), n)
    ids = np.asarray(blocks.index, dtype=object)
    out = pd.DataFrame(
        {
            "block_a": ids[rows["a"].to_numpy(np.int64)],
            "block_b": ids[rows["b"].to_numpy(np.int64)],
            "shared_m": rows["shared_m"].to_numpy(float).round(2),
            "gap_m": rows["gap_m"].to_numpy(float).round(2),
            "source": rows["source"].to_numpy(object),
            "used": rows["used"].to_numpy(bool),
        }
    ).sort_values(["block_a", "block_b"], ignore_index=True)
    out.index = pd.Index(out["block_a"] + "|" + out["block_b"], name="pair")
    return _BlockMap(blocks, schools, adjacency, out, tuple(notes))


def _lone_blocks(
    blocks: Any, *, gap_tolerance_m: float, min_shared_m: float
) -> tuple[Any, np.ndarray, np.ndarray]:
    """The blocks that touch no other block under :func:`_block_map`'s rule, and how far apart.

    Returns the blocks in metres, the positions of those with no neighbour, and the distance
    in metres from each of them to its nearest other block (``nan`` when it is the only block).
    """
    none = blocks.iloc[:0][[blocks.geometry.name]]  # no schools: only the blocks' CRS matters
    block_map = _block_map(blocks, none, gap_tolerance_m=gap_tolerance_m, min_shared_m=min_shared_m)
    lone = np.flatnonzero(np.diff(block_map.adjacency.indptr) == 0)
    values = np.asarray(block_map.blocks.geometry.values, dtype=object)
    distance = np.full(lone.size, np.nan)
    if lone.size and len(values) > 1:
        import shapely

        tree = shapely.STRtree(values)
        # exclusive: a block is not its own nearest; ties keep the first match per block
        found, dist = tree.query_nearest(
            values[lone], exclusive=True, return_distance=True, all_matches=False
        )
        distance[found[0]] = dist
    return block_map.blocks, lone, distance


def _lone_block_problem(
    blocks: Any,
    lone: np.ndarray,
    distance: np.ndarray,
    *,
    file: str,
    gap_tolerance_m: float,
    min_shared_m: float,
) -> Problem:
    """The warning naming the blocks that touch no other block, each with its gap in metres."""
    names = _block_names(blocks, lone)
    shown = [
        f"{name}: {gap:.1f}" if np.isfinite(gap) else name
        for name, gap in zip(names[:20], distance[:20], strict=True)
    ]
    if len(names) > 20:
        shown.append(f"… (+{len(names) - 20})")
    return coded_problem(
        "blocks_touch_none", file, "blocks", "", "geometry", f"{len(lone)} / {len(blocks)}",
        severity="warning", count=len(lone), blocks=len(blocks), listing=", ".join(shown),
        gap_m=f"{gap_tolerance_m:g}", min_shared_m=f"{min_shared_m:g}",
    )  # fmt: skip


def _islands(adjacency: sp.csr_array, home: np.ndarray) -> list[np.ndarray]:
    """Pieces of the map (connected components) holding no school's own block."""
    count, labels = connected_components(adjacency, directed=False)
    with_school = set(labels[np.asarray(home, dtype=np.int64)].tolist())
    return [np.flatnonzero(labels == k) for k in range(count) if k not in with_school]


def _block_names(blocks: Any, members: np.ndarray) -> list[str]:
    ids = [str(i) for i in blocks.index[members]]
    if "name" not in blocks.columns:
        return ids
    names = blocks["name"].iloc[members].fillna("").astype(str).tolist()
    return [f"{i} ({n})" if n else i for i, n in zip(ids, names, strict=True)]


def _island_problem(blocks: Any, islands: list[np.ndarray], level: str) -> Problem:
    """The refusal of map pieces no school's district can reach, naming their blocks by id.

    The pieces are listed as ids (and names), a piece's blocks joined by commas, pieces by
    semicolons, so the list reads the same in every language.
    """
    pieces = []
    for piece in islands[:20]:
        names = _block_names(blocks, piece)
        pieces.append(", ".join(names[:8]) + (f" … (+{len(names) - 8})" if len(names) > 8 else ""))
    if len(islands) > 20:
        pieces.append(f"… (+{len(islands) - 20})")
    return coded_problem(
        "districts_islands", "", "districts", "", "districts.islands", "report",
        count=sum(len(p) for p in islands), pieces=len(islands), level=level,
        level_name=LEVEL_NAMES[level], listing="; ".join(pieces),
    )  # fmt: skip


def _join_islands(
    blocks: Any,
    adjacency: sp.csr_array,
    islands: list[np.ndarray],
    *,
    cost: np.ndarray,
    home: np.ndarray,
    schools: Any,
    level: str,
    cost_source: str,
) -> tuple[sp.csr_array, pd.DataFrame]:
    """Join each island to the district of the school it reaches first; the reasons per block."""
    a_list, b_list, rows = [], [], []
    how = "by road" if cost_source == "travel matrix" else "by straight line (no travel matrix)"
    names = schools["name"] if "name" in schools.columns else schools.index.to_series()
    for k, piece in enumerate(islands):
        sub = np.where(np.isfinite(cost[piece]), cost[piece], np.inf)
        if not np.isfinite(sub).any():
            continue  # reaches no school at all: the journey diagnosis names it
        flat = int(np.argmin(sub))
        i, j = piece[flat // sub.shape[1]], flat % sub.shape[1]
        a_list.append(int(i))
        b_list.append(int(home[j]))
        minutes = float(sub.min())
        reason = (
            f"island (touches no other {level} district): joined to the district of "
            f"{names.iloc[j]} ({schools.index[j]}), the school it reaches first {how}, "
            f"{minutes:.1f} min"
        )
        for blk in piece:
            rows.append(
                {
                    "id": str(blocks.index[blk]),
                    "level": level,
                    "piece": k + 1,
                    "blocks_in_piece": len(piece),
                    "joined_to": str(schools.index[j]),
                    "minutes": round(minutes, 2),
                    "reason": reason,
                }
            )
    n = adjacency.shape[0]
    extra = pairs_adjacency(np.asarray(a_list, np.int64), np.asarray(b_list, np.int64), n)
    joined = sp.csr_array((adjacency.astype(np.int8) + extra.astype(np.int8)) > 0)
    table = pd.DataFrame(
        rows, columns=["id", "level", "piece", "blocks_in_piece", "joined_to", "minutes", "reason"]
    )
    return joined, table
