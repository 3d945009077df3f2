"""From the ``blocks`` and ``schools`` layers to the arrays of one level's districting.

Pupils per block and band (resident and migrant), the cost matrix (a ``TravelMatrix`` aligned by
its ids, or the straight-line fallback), classes and class-size limits per school and band, each
school's own block, planner overrides and today's assignment.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geoplan.data.messages import coded_error, coded_problem, with_kind
from geoplan.errors import ArgumentError, CRSError, InfeasibleError, Problem, ValidationError
from geoplan.models.solver import id_matrix
from geoplan.rules import teaches

logger = logging.getLogger(__name__)

LEVEL_NAMES: dict[str, str] = {"primary": "primary", "middle": "junior-middle"}
FALLBACK_KPH: dict[str, float] = {"primary": 3.0, "middle": 4.0}
"""Walking speeds of the straight-line fallback cost, km/h (youngest band of the level)."""
DETOUR_FACTOR = 1.3
"""Straight-line distance x this factor approximates the walked distance (fallback only)."""


def _teaches(schools: Any, level: str) -> np.ndarray:
    from geoplan.rules import LEVEL_BANDS

    return teaches(schools["kind"], LEVEL_BANDS[level])


def _num(frame: Any, col: str, default: float = 0.0) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), default, dtype=np.float64)

    values = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return np.asarray(values.fillna(default).to_numpy(), dtype=np.float64)


def _band_pupils(blocks: Any, band: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Total, resident and migrant pupils of one band per block."""
    res_col, mig_col, tot_col = (
        f"pupils_{band}_resident",
        f"pupils_{band}_migrant",
        f"pupils_{band}",
    )
    has_split = res_col in blocks.columns and mig_col in blocks.columns
    if tot_col in blocks.columns and blocks[tot_col].notna().any():
        total = _num(blocks, tot_col)
    elif has_split:
        total = _num(blocks, res_col) + _num(blocks, mig_col)
    else:
        total = np.zeros(len(blocks))
    migrant = _num(blocks, mig_col) if mig_col in blocks.columns else np.zeros(len(blocks))
    migrant = np.minimum(migrant, total)
    return total, total - migrant, migrant


def _capacity(
    schools: Any, bands: Sequence[str], rules: Any, *, use_planned: bool, extra: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Classes (today, after) and class-size limit per school and band."""
    from geoplan.rules import BANDS

    m, k = len(schools), len(bands)
    today = np.zeros((m, k))
    after = np.zeros((m, k))
    limit = np.zeros((m, k))
    limits = rules.school_limits(schools)
    if isinstance(extra, Mapping):  # a scenario's {school id: {band: classes}}
        extra = pd.DataFrame(
            {
                f"extra_classes_{band}": {str(s): float(v.get(band, 0)) for s, v in extra.items()}
                for band in BANDS
            }
        )
    for b, band in enumerate(bands):
        taught = teaches(schools["kind"], band)
        today[:, b] = np.where(taught, _num(schools, f"classes_{band}"), 0.0)
        after[:, b] = today[:, b]
        if use_planned:
            after[:, b] += np.where(taught, _num(schools, f"planned_classes_{band}"), 0.0)
        if extra is not None and f"extra_classes_{band}" in extra.columns:
            add = extra[f"extra_classes_{band}"].reindex(schools.index).fillna(0).to_numpy()
            after[:, b] += np.where(taught, add.astype(float), 0.0)
        limit[:, b] = limits[:, BANDS.index(band)]
    return today, after, limit


HOME_WARN_M = 100.0
"""A school this far (metres) from every block is warned about (``districts_school_off_map``):
its district is anchored on the nearest block, which for a school across the street is right,
but this far off the map its coordinates are likely wrong, or it stands outside the town its
district covers."""


def _homes(blocks: Any, schools: Any, level: str) -> tuple[np.ndarray, list[Problem]]:
    """Block position holding each school point (the nearest block if it lies in none).

    Returns the positions and a ``districts_school_off_map`` warning per school more than
    :data:`HOME_WARN_M` from every block.
    """
    tree = shapely.STRtree(np.asarray(blocks.geometry.values))
    pts = np.asarray(schools.geometry.values)
    home = np.full(len(schools), -1, dtype=np.int64)
    s_idx, b_idx = tree.query(pts, predicate="intersects")
    home[s_idx[::-1]] = b_idx[::-1]  # first hit wins
    missing = np.flatnonzero(home < 0)
    warnings: list[Problem] = []
    if missing.size:
        (m_idx, near), far = tree.query_nearest(
            pts[missing], return_distance=True, all_matches=False
        )
        home[missing[m_idx]] = near
        names = schools["name"] if "name" in schools.columns else None
        for j, b, d in zip(missing[m_idx], near, far, strict=True):
            if d > HOME_WARN_M:
                sid = str(schools.index[j])
                name = "" if names is None or pd.isna(names.iloc[j]) else str(names.iloc[j])
                warnings.append(
                    coded_problem(
                        "districts_school_off_map", "", "schools", sid, "geometry", f"{d:.0f} m",
                        severity="warning", school=f"{name} ({sid})" if name else sid,
                        metres=f"{d:.0f}", block=str(blocks.index[b]), level=level,
                        level_name=LEVEL_NAMES[level],
                    )
                )  # fmt: skip
    return home, warnings


def _no_pupils(level: str) -> Problem:
    """The warning of a level whose blocks hold no pupils (``districts_no_pupils``)."""
    from geoplan.rules import LEVEL_BANDS

    columns = ", ".join(f"pupils_{band}" for band in LEVEL_BANDS[level])
    return coded_problem(
        "districts_no_pupils", "", "blocks", "", columns, "0", severity="warning",
        level=level, level_name=LEVEL_NAMES[level], columns=columns,
    )  # fmt: skip


def _input_warnings(blocks: Any, schools: Any, level: str) -> list[Problem]:
    """What a level's inputs warn about, from the layers alone: no pupils, schools off the map."""
    from geoplan.rules import LEVEL_BANDS

    sub = schools[_teaches(schools, level)]
    pupils = sum(_band_pupils(blocks, band)[0].sum() for band in LEVEL_BANDS[level])
    found = [] if pupils > 0 else [_no_pupils(level)]
    return found + (_homes(blocks, sub, level)[1] if len(sub) and len(blocks) else [])


def _separate_homes(home: np.ndarray, adjacency: sp.csr_array, names: Sequence[str]) -> np.ndarray:
    """Give schools that share a block each their own: the later takes a free neighbour."""
    out = home.copy()
    taken: set[int] = set()
    for j, h in enumerate(home):
        if int(h) not in taken:
            taken.add(int(h))
            continue
        free = [int(v) for v in adjacency.indices[adjacency.indptr[h] : adjacency.indptr[h + 1]]]
        free = [v for v in free if v not in taken]
        if not free:
            degree = np.diff(adjacency.indptr)
            if degree[h] == 0:  # the block touches nothing: the map draws its blocks apart
                problem = coded_problem("districts_shared_block_alone", "", "schools", "", "", "",
                                        school=repr(names[j]), alone=int((degree == 0).sum()),
                                        blocks=len(degree))  # fmt: skip
            else:
                problem = coded_problem("districts_shared_block", "", "schools", "", "", "",
                                        school=repr(names[j]))  # fmt: skip
            raise InfeasibleError(f"{problem.message} {problem.fix}", problems=[problem])
        out[j] = free[0]
        taken.add(free[0])
        logger.info(
            "%s shares a block; its district is anchored on a neighbour",
            with_kind("school", names[j]),
        )
    return out


def _cost_for(
    level: str,
    travel: Any,
    blocks: Any,
    schools: Any,
    *,
    detour_factor: float,
) -> tuple[np.ndarray, str]:
    mat = travel.get(level) if isinstance(travel, Mapping) else travel
    if mat is None:
        a = np.asarray(shapely.point_on_surface(np.asarray(blocks.geometry.values)))
        b = np.asarray(schools.geometry.values)
        ax, ay = shapely.get_x(a), shapely.get_y(a)
        bx, by = shapely.get_x(b), shapely.get_y(b)
        metres = np.hypot(ax[:, None] - bx[None, :], ay[:, None] - by[None, :]) * detour_factor
        logger.warning(
            "districts (%s): no travel matrix; using straight line x %.2f at %.1f km/h",
            level,
            detour_factor,
            FALLBACK_KPH[level],
        )
        return metres / (FALLBACK_KPH[level] * 1000.0 / 60.0), "straight line x detour (fallback)"
    # A TravelMatrix or a DataFrame is taken by id (blocks x schools); a bare array in order.
    labelled = isinstance(mat, pd.DataFrame) or hasattr(mat, "origin_ids")
    table = id_matrix(mat, rows="block", cols="school")
    if labelled:
        try:
            table = table.take(list(blocks.index), list(schools.index))
        except ValidationError as err:
            msg = (
                f"The {level} travel matrix lacks blocks or schools ({err.problems[0].message}); "
                "compute it from the blocks to the schools."
            )
            raise ArgumentError(msg) from err
    elif table.shape != (len(blocks), len(schools)):
        msg = f"The {level} cost matrix has shape {table.shape}; expected (blocks, schools)."
        raise ArgumentError(msg)
    minutes = table.values
    return minutes, "travel matrix"


@dataclass(frozen=True)
class _LevelInput:
    level: str
    bands: tuple[str, ...]
    schools: Any  # the schools teaching the level
    demand: np.ndarray
    resident: np.ndarray
    migrant: np.ndarray
    cost: np.ndarray
    cost_source: str
    classes_today: np.ndarray
    classes_after: np.ndarray
    limit: np.ndarray
    home: np.ndarray
    fixed: np.ndarray
    status_quo: np.ndarray
    warnings: tuple[Problem, ...] = ()  # found reading the level: coded, en + zh


def _level_inputs(
    blocks: Any,
    schools: Any,
    adjacency: sp.csr_array,
    *,
    level: str,
    travel: Any,
    rules: Any,
    overrides: Mapping[str, Mapping[str, str]] | None,
    use_planned: bool,
    extra_classes: Any,
    detour_factor: float,
) -> _LevelInput:
    from geoplan.rules import LEVEL_BANDS

    bands = LEVEL_BANDS[level]
    sub = schools[_teaches(schools, level)]
    if len(sub) == 0:
        raise coded_error(
            InfeasibleError, "districts_no_school_for_level", "", "schools", "", "kind", "",
            level=level, level_name=LEVEL_NAMES[level],
        )  # fmt: skip
    parts = [_band_pupils(blocks, band) for band in bands]
    demand = np.column_stack([p[0] for p in parts])
    resident = np.column_stack([p[1] for p in parts])
    migrant = np.column_stack([p[2] for p in parts])
    all_cost, source = _cost_for(level, travel, blocks, schools, detour_factor=detour_factor)
    cost = all_cost[:, _teaches(schools, level)]
    today, after, limit = _capacity(sub, bands, rules, use_planned=use_planned, extra=extra_classes)
    names = [str(n) for n in sub.get("name", pd.Series(sub.index, index=sub.index))]
    home = _separate_homes(_homes(blocks, sub, level)[0], adjacency, names)
    unreached = np.flatnonzero(~np.isfinite(cost[home, np.arange(len(sub))]))
    if unreached.size:
        lost = [
            coded_problem(
                "districts_home_unreachable",
                "",
                "schools",
                str(sub.index[j]),
                "",
                "",
                school=f"{names[j]} ({sub.index[j]})",
                block=str(blocks.index[home[j]]),
                level=level,
                level_name=LEVEL_NAMES[level],
            )
            for j in unreached
        ]
        raise InfeasibleError("\n".join(f"{q.message} Fix: {q.fix}" for q in lost), problems=lost)
    pos = {sid: j for j, sid in enumerate(sub.index)}
    fixed = np.full(len(blocks), -1, dtype=np.int64)
    problems: list[Problem] = []
    block_pos = {bid: i for i, bid in enumerate(blocks.index)}
    for bid, sid in ((overrides or {}).get(level, {}) or {}).items():
        at = ("overrides", "blocks", str(bid), f"school_{level}", str(sid))
        if bid not in block_pos:
            problems.append(coded_problem("override_no_block", *at))
        elif sid not in pos:
            problems.append(coded_problem("override_school_not_teaching", *at, level=level))
        else:
            fixed[block_pos[bid]] = pos[sid]
    if problems:
        raise ValidationError(problems)
    col = f"school_{level}"
    if col in blocks.columns:
        status_quo = np.array(
            [pos.get(str(s), -1) if isinstance(s, str) else -1 for s in blocks[col]], np.int64
        )
    else:
        status_quo = np.full(len(blocks), -1, dtype=np.int64)
    return _LevelInput(
        level,
        bands,
        sub,
        demand,
        resident,
        migrant,
        cost,
        source,
        today,
        after,
        limit,
        home,
        fixed,
        status_quo,
        tuple(_input_warnings(blocks, schools, level)),
    )


def _check_block_rows(blocks: Any) -> None:
    """Refuse blocks no districting can use: no polygon, an invalid one, negative pupils.

    ``geoplan.data.read_planning_area`` repairs invalid polygons and refuses the rest; a blocks
    layer handed to the models directly gets one coded problem per such row here (its id, the
    column and value, en + zh) instead of a GEOS traceback.
    """
    bad: list[Problem] = []
    geoms = np.asarray(blocks.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    bad += [
        coded_problem("block_no_polygon", "", "blocks", str(i), "geometry", "", block=i)
        for i in blocks.index[missing]
    ]
    invalid = ~missing & ~shapely.is_valid(geoms)
    bad += [
        coded_problem(
            "block_invalid_polygon",
            "",
            "blocks",
            str(i),
            "geometry",
            "",
            block=i,
            reason=shapely.is_valid_reason(g),
        )
        for i, g in zip(blocks.index[invalid], geoms[invalid], strict=True)
    ]
    for col in (c for c in blocks.columns if str(c).startswith("pupils_")):
        values = pd.to_numeric(blocks[col], errors="coerce")
        bad += [
            coded_problem(
                "block_negative_pupils",
                "",
                "blocks",
                str(i),
                str(col),
                f"{v:g}",
                block=i,
                column=col,
                pupils=f"{v:g}",
            )
            for i, v in values[values < 0].items()
        ]
    if bad:
        msg = f"The blocks layer has {len(bad)} row(s) no districting can use:\n  - " + (
            "\n  - ".join(f"{p.message} Fix: {p.fix}" for p in bad[:10])
            + (f"\n  - … (+{len(bad) - 10})" if len(bad) > 10 else "")
        )
        raise ArgumentError(msg, problems=bad)


def _refuse_unprojected(blocks: Any) -> None:
    """Refuse a blocks layer with no CRS or a geographic one (``blocks_crs_not_projected``)."""
    if blocks.crs is None or not blocks.crs.is_projected:
        crs = "no CRS" if blocks.crs is None else blocks.crs.name
        raise coded_error(CRSError, "blocks_crs_not_projected", "", "blocks", "", "", "", crs=crs)


def _checked_blocks(blocks: Any, schools: Any) -> tuple[Any, Any]:
    _refuse_unprojected(blocks)
    if schools.crs is not None and schools.crs != blocks.crs:
        schools = schools.to_crs(blocks.crs)
    if "status" in schools.columns:
        schools = schools[schools["status"].fillna("open") == "open"]
    return blocks, schools
