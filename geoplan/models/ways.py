"""How pupils get to school: one lexicographic MIP choosing a school and a way per group.

A *group* is the pupils of one village and grade band. An *option* is one acceptable way for a
group to reach one school: on foot, by school bus, escorted by a parent (motorbike or car), or as
a boarder (:data:`WAYS`); which options are acceptable (a journey within the band's day limit,
boarding allowed for the band) is decided by the caller (:mod:`geoplan.plan.ways`), so the model
takes only arrays. :func:`solve_ways` assigns every group to one option or to none, within
each school's class places per band, bus seats and boarding beds, lexicographically:

1. the fewest pupils with no acceptable way (``no_way_pupils``);
2. then the fewest boarders (``boarders``);
3. then the least daily one-way pupil-minutes of day pupils (``day_pupil_min``);
4. then, only to break ties between equally good plans, the least weekly pupil-minutes of the
   boarders' trips home (``boarder_trip_min``), so a boarder is not sent to a far school for
   nothing.

Each level is one HiGHS solve on one :class:`~geoplan.models.solver.Mip`; the optimum of a level
is kept as a row while the next is solved. :func:`least_additions` finds the fewest bus seats,
beds and class places to add so that every group with an acceptable way is assigned (the
capacity diagnosis, as :func:`geoplan.models.districts.least_extra_classes` does for districts).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from geoplan.errors import ArgumentError
from geoplan.models.solver import ArrayLike, Mip, MipBuilder, SolveResult

__all__ = [
    "LEVELS",
    "WAYS",
    "Additions",
    "WaysSolution",
    "least_additions",
    "solve_ways",
]

_logger = logging.getLogger(__name__)

WAYS: tuple[str, ...] = ("walk", "bus", "escorted", "board")
"""The ways a pupil may get to school, in the order of their codes (``option_way``)."""

_BOARD = WAYS.index("board")
_BUS = WAYS.index("bus")

LEVELS: tuple[str, ...] = ("no_way_pupils", "boarders", "day_pupil_min", "boarder_trip_min")
"""The objectives of :func:`solve_ways`, in lexicographic order."""


@dataclass(frozen=True)
class WaysSolution:
    """The option chosen for every group, and how the lexicographic solve went.

    Parameters
    ----------
    choice
        Per group, the position of its chosen option, or ``-1`` (no acceptable way).
    objective
        Per level of :data:`LEVELS`, its value in the solution.
    status
        Per level, the HiGHS status (``optimal`` or ``time_limit``).
    gap
        Per level, the relative gap of its solve (0 when proven).
    places_used, seats_used, beds_used
        Pupils per school and band, bus pupils per school, boarders per school.
    seconds
        Wall time of all levels.
    """

    choice: np.ndarray
    objective: dict[str, float]
    status: dict[str, str]
    gap: dict[str, float]
    places_used: np.ndarray
    seats_used: np.ndarray
    beds_used: np.ndarray
    seconds: float

    @property
    def proven(self) -> bool:
        """Whether every level was solved to proven optimality."""
        return all(s == "optimal" for s in self.status.values())


@dataclass(frozen=True)
class Additions:
    """The fewest seats, beds and classes to add so that every group with a way is assigned.

    Parameters
    ----------
    seats, beds
        Bus seats and boarding beds to add per school (whole numbers).
    classes
        Classes to add per school and band (whole numbers).
    places
        The places those classes add, per school and band.
    total_units
        Seats + beds + class places added (what was minimised first).
    boarders
        Boarders of the plan that fits with the additions (minimised last).
    choice
        Per group, its option in that plan (``-1``: no way even with additions).
    no_way_pupils
        Pupils left without a way even with additions (minimised first): no acceptable option
        at all, or only options where no class of their band may be added.
    status, gap
        ``optimal`` when every level is proven, and the largest relative gap.
    seconds
        Wall time.
    """

    seats: np.ndarray
    beds: np.ndarray
    classes: np.ndarray
    places: np.ndarray
    total_units: float
    boarders: float
    choice: np.ndarray
    no_way_pupils: float
    status: str
    gap: float
    seconds: float = field(default=0.0)

    @property
    def proven_least(self) -> bool:
        """Whether the additions are proven least."""
        return self.status == "optimal"


@dataclass(frozen=True)
class _Inputs:
    pupils: np.ndarray
    band: np.ndarray
    og: np.ndarray
    os: np.ndarray
    ow: np.ndarray
    om: np.ndarray
    places: np.ndarray
    seats: np.ndarray
    beds: np.ndarray


def _inputs(
    pupils: ArrayLike,
    band: ArrayLike,
    option_group: ArrayLike,
    option_school: ArrayLike,
    option_way: ArrayLike,
    option_minutes: ArrayLike,
    places: ArrayLike,
    seats: ArrayLike,
    beds: ArrayLike,
) -> _Inputs:
    p = np.asarray(pupils, dtype="float64").ravel()
    b = np.asarray(band, dtype="int64").ravel()
    og = np.asarray(option_group, dtype="int64").ravel()
    os_ = np.asarray(option_school, dtype="int64").ravel()
    ow = np.asarray(option_way, dtype="int64").ravel()
    om = np.asarray(option_minutes, dtype="float64").ravel()
    pl = np.atleast_2d(np.asarray(places, dtype="float64"))
    se = np.asarray(seats, dtype="float64").ravel()
    be = np.asarray(beds, dtype="float64").ravel()
    n_s = pl.shape[0]
    problems = []
    if b.shape != p.shape:
        problems.append(f"`band` has {b.size} entries for {p.size} groups")
    if not (og.shape == os_.shape == ow.shape == om.shape):
        problems.append("the option arrays differ in length")
    if se.shape != (n_s,) or be.shape != (n_s,):
        problems.append(f"`seats` and `beds` need one value per school ({n_s})")
    if og.size and (og.min() < 0 or og.max() >= p.size):
        problems.append("`option_group` names a group that does not exist")
    if os_.size and (os_.min() < 0 or os_.max() >= n_s):
        problems.append("`option_school` names a school that does not exist")
    if ow.size and (ow.min() < 0 or ow.max() >= len(WAYS)):
        problems.append(f"`option_way` codes must lie in 0..{len(WAYS) - 1}")
    if b.size and (b.min() < 0 or b.max() >= pl.shape[1]):
        problems.append("`band` names a column `places` does not have")
    if np.any(p < 0) or np.any(~np.isfinite(p)):
        problems.append("`pupils` must be finite and not negative")
    if problems:
        msg = "solve_ways: " + "; ".join(problems) + "."
        raise ArgumentError(msg)
    return _Inputs(p, b, og, os_, ow, np.nan_to_num(om, nan=0.0, posinf=0.0), pl, se, be)


def _model(
    d: _Inputs, groups: np.ndarray, *, extra: bool, class_size: np.ndarray | None = None
) -> tuple[Mip, np.ndarray, np.ndarray]:
    """The rows shared by both models, over the options of ``groups`` (mask of groups).

    Returns the model, the option positions used and the group positions used (in column
    order). With ``extra``, seats, beds and classes may be added (columns ``seats``, ``beds``,
    ``classes``).
    """
    keep_opt = np.flatnonzero(groups[d.og])
    gpos = np.flatnonzero(groups)
    local = np.full(d.pupils.size, -1)
    local[gpos] = np.arange(gpos.size)
    n_o, n_g = keep_opt.size, gpos.size
    n_s, n_b = d.places.shape
    builder = MipBuilder("min")
    x = builder.add_vars("x", n_o)
    u = builder.add_vars("none", n_g)
    og = local[d.og[keep_opt]]
    p_opt = d.pupils[d.og[keep_opt]]
    builder.add_rows(
        np.r_[og, np.arange(n_g)],
        np.r_[x, u],
        1.0,
        n_rows=n_g,
        lower=1.0,
        upper=1.0,
        name="one_each",
    )
    s_opt = d.os[keep_opt]
    b_opt = d.band[d.og[keep_opt]]
    w_opt = d.ow[keep_opt]
    places = np.where(np.isfinite(d.places), d.places, math.inf)
    cap_rows = s_opt * n_b + b_opt
    if extra:
        assert class_size is not None
        seats_add = builder.add_vars("seats", n_s, ub=math.inf)
        beds_add = builder.add_vars("beds", n_s, ub=math.inf)
        addable = (class_size > 0).ravel()
        classes_add = builder.add_vars("classes", n_s * n_b, ub=np.where(addable, math.inf, 0.0))
        builder.add_rows(
            np.r_[cap_rows, np.arange(n_s * n_b)],
            np.r_[x, classes_add],
            np.r_[p_opt, -class_size.ravel()],
            n_rows=n_s * n_b,
            upper=places.ravel(),
            name="places",
        )
    else:
        builder.add_rows(cap_rows, x, p_opt, n_rows=n_s * n_b, upper=places.ravel(), name="places")
    for name, code, cap, add in (
        ("seats", _BUS, d.seats, "seats"),
        ("beds", _BOARD, d.beds, "beds"),
    ):
        sel = w_opt == code
        rows, cols, vals = s_opt[sel], x[sel], p_opt[sel]
        if extra:
            added = seats_add if add == "seats" else beds_add
            rows = np.r_[rows, np.arange(n_s)]
            cols = np.r_[cols, added]
            vals = np.r_[vals, -np.ones(n_s)]
        builder.add_rows(rows, cols, vals, n_rows=n_s, upper=cap, name=name)
    return builder.build(), keep_opt, gpos


def _level_costs(
    d: _Inputs, mip: Mip, keep_opt: np.ndarray, gpos: np.ndarray
) -> dict[str, np.ndarray]:
    """Objective vector of every level over the model's columns."""
    n = mip.n_cols
    x = mip.columns["x"]
    u = mip.columns["none"]
    p_opt = d.pupils[d.og[keep_opt]]
    board = d.ow[keep_opt] == _BOARD
    minutes = d.om[keep_opt]
    out = {name: np.zeros(n) for name in LEVELS}
    out["no_way_pupils"][u] = d.pupils[gpos]
    out["boarders"][x] = np.where(board, p_opt, 0.0)
    out["day_pupil_min"][x] = np.where(board, 0.0, p_opt * minutes)
    out["boarder_trip_min"][x] = np.where(board, p_opt * minutes, 0.0)
    return out


def _lexicographic(
    mip: Mip,
    costs: dict[str, np.ndarray],
    levels: tuple[str, ...],
    *,
    time_limit_s: float,
    start: np.ndarray | None,
) -> tuple[np.ndarray, dict[str, float], dict[str, str], dict[str, float]]:
    """Solve ``levels`` one after the other, each optimum kept as a row for the next."""
    objective: dict[str, float] = {}
    status: dict[str, str] = {}
    gap: dict[str, float] = {}
    x = start
    t_end = time.perf_counter() + time_limit_s
    model = mip
    for k, name in enumerate(levels):
        c = costs[name]
        left = max(t_end - time.perf_counter(), 1.0) / (len(levels) - k)
        result: SolveResult = replace(model, c=c).solve(
            time_limit_s=left, start=x, mip_abs_gap=1e-6 if name.endswith("_min") else 0.999
        )
        if not result.has_solution or result.x is None:
            msg = f"the ways model found no solution at level {name} ({result.status})"
            raise ArgumentError(msg)
        x = np.round(result.x, 6)
        value = float(c @ x)
        objective[name] = value
        status[name] = result.status
        gap[name] = 0.0 if result.status == "optimal" else float(result.gap)
        if k + 1 < len(levels):
            keep = sp.csc_array(c.reshape(1, -1))
            slack = 1e-6 * max(1.0, abs(value)) + 1e-7
            model = replace(
                model,
                a=sp.vstack([model.a, keep], format="csc"),
                row_lower=np.r_[model.row_lower, -math.inf],
                row_upper=np.r_[model.row_upper, value + slack],
            )
    assert x is not None
    return x, objective, status, gap


def _fill_empty(d: _Inputs, choice: np.ndarray, empty: np.ndarray) -> None:
    """Groups without pupils take their best option (any way before none, day before board)."""
    for g in np.flatnonzero(empty):
        opts = np.flatnonzero(d.og == g)
        if not opts.size:
            continue
        key = np.lexsort((d.om[opts], d.ow[opts] == _BOARD))
        choice[g] = opts[key[0]]


def _used(d: _Inputs, choice: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_s, n_b = d.places.shape
    places = np.zeros((n_s, n_b))
    seats = np.zeros(n_s)
    beds = np.zeros(n_s)
    for g in np.flatnonzero(choice >= 0):
        k = choice[g]
        s, w, p = d.os[k], d.ow[k], d.pupils[g]
        places[s, d.band[g]] += p
        if w == _BUS:
            seats[s] += p
        elif w == _BOARD:
            beds[s] += p
    return places, seats, beds


def _start(d: _Inputs, mip: Mip, keep_opt: np.ndarray, gpos: np.ndarray) -> np.ndarray:
    """A feasible start: every group with no way."""
    x = np.zeros(mip.n_cols)
    x[mip.columns["none"]] = 1.0
    return x


def _choice(
    d: _Inputs, mip: Mip, x: np.ndarray, keep_opt: np.ndarray, gpos: np.ndarray
) -> np.ndarray:
    choice = np.full(d.pupils.size, -1, dtype=np.int64)
    chosen = keep_opt[mip.values(x, "x") > 0.5]
    choice[d.og[chosen]] = chosen
    return choice


def solve_ways(
    pupils: ArrayLike,
    band: ArrayLike,
    option_group: ArrayLike,
    option_school: ArrayLike,
    option_way: ArrayLike,
    option_minutes: ArrayLike,
    places: ArrayLike,
    seats: ArrayLike,
    beds: ArrayLike,
    *,
    time_limit_s: float = 60.0,
) -> WaysSolution:
    """Assign every group to one acceptable option or to none, lexicographically (:data:`LEVELS`).

    Parameters
    ----------
    pupils
        Pupils of each group (a village's pupils of one band).
    band
        Band column (of ``places``) of each group.
    option_group, option_school, option_way, option_minutes
        One entry per acceptable option: its group, school (row of ``places``), way (code in
        :data:`WAYS`) and minutes (the daily one-way journey of a day way, the weekly trip of
        ``board``; ``nan`` counts 0).
    places
        Class places per school and band (``inf``: no limit).
    seats, beds
        Bus seats and boarding beds per school.
    time_limit_s
        Wall-time limit of all levels together.

    Returns
    -------
    WaysSolution
    """
    t0 = time.perf_counter()
    d = _inputs(
        pupils, band, option_group, option_school, option_way, option_minutes, places, seats, beds
    )
    choice = np.full(d.pupils.size, -1, dtype=np.int64)
    objective = dict.fromkeys(LEVELS, 0.0)
    status = dict.fromkeys(LEVELS, "optimal")
    gap = dict.fromkeys(LEVELS, 0.0)
    live = d.pupils > 0
    if live.any():
        mip, keep_opt, gpos = _model(d, live, extra=False)
        costs = _level_costs(d, mip, keep_opt, gpos)
        x, objective, status, gap = _lexicographic(
            mip, costs, LEVELS, time_limit_s=time_limit_s, start=_start(d, mip, keep_opt, gpos)
        )
        choice = _choice(d, mip, x, keep_opt, gpos)
    _fill_empty(d, choice, ~live)
    places_used, seats_used, beds_used = _used(d, choice)
    seconds = time.perf_counter() - t0
    _logger.info(
        "Ways: %g pupils with no acceptable way, %g boarders, %.0f day pupil-minutes (%s), %.1fs.",
        objective["no_way_pupils"],
        objective["boarders"],
        objective["day_pupil_min"],
        ", ".join(sorted(set(status.values()))),
        seconds,
    )
    return WaysSolution(choice, objective, status, gap, places_used, seats_used, beds_used, seconds)


def _whole(values: np.ndarray) -> np.ndarray:
    """Whole numbers of a MIP's integer columns, never ``-0`` (it reads "-0" in tables)."""
    out: np.ndarray = np.maximum(np.round(values), 0.0) + 0.0
    return out


def least_additions(
    pupils: ArrayLike,
    band: ArrayLike,
    option_group: ArrayLike,
    option_school: ArrayLike,
    option_way: ArrayLike,
    option_minutes: ArrayLike,
    places: ArrayLike,
    seats: ArrayLike,
    beds: ArrayLike,
    *,
    class_size: ArrayLike,
    time_limit_s: float = 60.0,
) -> Additions:
    """The fewest seats, beds and class places that give every group with an option a way.

    Lexicographically: first the fewest pupils left without a way when any seats, beds and
    classes may be added (groups with no acceptable option at all cannot be helped by capacity);
    then the fewest units added in all (one bus seat, one bed and one class place each count
    one; classes come whole, ``class_size`` places each); then the fewest boarders.

    Parameters
    ----------
    pupils, band, option_group, option_school, option_way, option_minutes, places, seats, beds
        As for :func:`solve_ways`.
    class_size
        Places one added class gives, per school and band (0: no class of that band may be
        added there).
    time_limit_s
        Wall-time limit.

    Returns
    -------
    Additions
    """
    t0 = time.perf_counter()
    d = _inputs(
        pupils, band, option_group, option_school, option_way, option_minutes, places, seats, beds
    )
    n_s, n_b = d.places.shape
    size = np.broadcast_to(np.asarray(class_size, dtype="float64"), (n_s, n_b)).copy()
    has_option = np.zeros(d.pupils.size, dtype=bool)
    has_option[d.og] = True
    live = (d.pupils > 0) & has_option
    zeros = np.zeros(n_s)
    if not live.any():
        return Additions(
            zeros, zeros.copy(), np.zeros((n_s, n_b)), np.zeros((n_s, n_b)), 0.0, 0.0,
            np.full(d.pupils.size, -1), float(d.pupils.sum()), "optimal", 0.0,
            time.perf_counter() - t0,
        )  # fmt: skip
    mip, keep_opt, gpos = _model(d, live, extra=True, class_size=size)
    base = _level_costs(d, mip, keep_opt, gpos)
    units = np.zeros(mip.n_cols)
    units[mip.columns["seats"]] = 1.0
    units[mip.columns["beds"]] = 1.0
    units[mip.columns["classes"]] = size.ravel()
    costs = {"no_way_pupils": base["no_way_pupils"], "units": units, "boarders": base["boarders"]}
    x, objective, status, gap = _lexicographic(
        mip,
        costs,
        ("no_way_pupils", "units", "boarders"),
        time_limit_s=time_limit_s,
        start=_start(d, mip, keep_opt, gpos),
    )
    classes = _whole(mip.values(x, "classes")).reshape(n_s, n_b)
    return Additions(
        seats=_whole(mip.values(x, "seats")),
        beds=_whole(mip.values(x, "beds")),
        classes=classes,
        places=classes * size,
        total_units=objective["units"],
        boarders=objective["boarders"],
        choice=_choice(d, mip, x, keep_opt, gpos),
        no_way_pupils=objective["no_way_pupils"] + float(d.pupils[~has_option].sum()),
        status="optimal" if all(v == "optimal" for v in status.values()) else "time_limit",
        gap=max(gap.values()),
        seconds=time.perf_counter() - t0,
    )
