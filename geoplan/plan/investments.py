"""The county's investment schedule: every need scheduled into a year within that year's budget.

:func:`plan_investments` takes the needs of a plan (:attr:`geoplan.plan.needs.SchoolNeeds.items`,
one row per school and item) and a budget per year, and schedules each item into a year or
leaves it unfunded, by an exact MIP (HiGHS):

- no year spends more than its budget (with ``carry_over``, unspent money moves to later years);
- lexicographic by priority class: first the most ``pupils_helped`` × years in use over class-1
  items (an item funded in year ``y`` is in use from ``y`` to the last budget year), then, keeping
  that optimum, the same over class 2, then class 3;
- within a school, an item is funded no earlier than the items it depends on (equipment after the
  building it goes in) and an item may be split across years only where the standards file's
  ``items:`` allows (it is in use from the year its last part is paid).

Items already done (``done.csv``: item id, year done, actual cost) leave the schedule, and their
actual cost is deducted from that year's budget (:func:`read_done`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.errors import ArgumentError, InputFileError
from geoplan.models.solver import solve_milp
from geoplan.plan.standards import default_standards

__all__ = [
    "InvestmentPlan",
    "InvestmentSettings",
    "plan_investments",
    "read_done",
]

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InvestmentSettings:
    """A scenario's ``investment:`` section.

    Parameters
    ----------
    budget_by_year_yuan
        Money per year (yuan), e.g. ``{2025: 52_190_000, 2026: 26_050_000}``. Separate from
        restoration's ``budget_per_phase_yuan``.
    carry_over
        Unspent money of a year moves to the next.
    done
        A ``done.csv`` of items already done (item id, year done, actual cost), or ``None``.
    time_limit_s
        Time limit of each stage of the MIP.
    """

    budget_by_year_yuan: Mapping[int, float]
    carry_over: bool = False
    done: Path | None = None
    time_limit_s: float = 60.0


@dataclass(frozen=True)
class InvestmentPlan:
    """A schedule of needs within yearly budgets.

    Parameters
    ----------
    items
        Per item (index: item id): ``school``, ``item``, ``priority``, ``cost_yuan``,
        ``pupils_helped``, ``year`` (the year it comes into use; NaN: unfunded), ``years_in_use``,
        ``spend_<year>_yuan`` per budget year.
    years
        Per year: ``budget_yuan``, ``spent_yuan``, ``carried_in_yuan``, ``items``,
        ``pupils_helped`` (of the items coming into use that year).
    schools
        Per school: ``items``, ``funded``, ``cost_yuan``, ``funded_yuan``, ``first_year``,
        ``last_year``.
    objective
        Per priority class, the pupil-years reached.
    status
        Solver status of each stage (per class; ``0``: the last stage, items in use as early
        as the money allows).
    """

    items: pd.DataFrame
    years: pd.DataFrame
    schools: pd.DataFrame
    objective: dict[int, float]
    status: dict[int, str]


def _schedule(
    cost: np.ndarray,
    weight: np.ndarray,
    priority: np.ndarray,
    split: np.ndarray,
    before: list[tuple[int, int]],
    budget: np.ndarray,
    *,
    carry_over: bool,
    time_limit_s: float,
) -> tuple[np.ndarray, np.ndarray, dict[int, float], dict[int, str]]:
    """Completion z[i, t] (cumulative) and spend s[i, t] of every item in every year."""
    n, years = len(cost), len(budget)
    nz = n * years

    # columns: z (n x years, binary), then s (n x years, continuous, spend per year)
    def z(i: int, t: int) -> int:
        return i * years + t

    def s(i: int, t: int) -> int:
        return nz + i * years + t

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lower: list[float] = []
    upper: list[float] = []

    def row(entries: list[tuple[int, float]], lo: float, hi: float) -> None:
        r = len(lower)
        for c, v in entries:
            rows.append(r)
            cols.append(c)
            vals.append(v)
        lower.append(lo)
        upper.append(hi)

    for i in range(n):
        for t in range(1, years):  # once in use, in use after
            row([(z(i, t), 1.0), (z(i, t - 1), -1.0)], 0.0, math.inf)
        for t in range(years):
            if split[i]:  # paid so far covers the item once complete
                row([(s(i, u), 1.0) for u in range(t + 1)] + [(z(i, t), -cost[i])], 0.0, math.inf)
            else:  # paid whole in the year it comes into use
                entries = [(s(i, t), 1.0), (z(i, t), -cost[i])]
                if t:
                    entries.append((z(i, t - 1), cost[i]))
                row(entries, 0.0, 0.0)
        row([(s(i, t), 1.0) for t in range(years)], -math.inf, cost[i])
    for a, b in before:  # b no earlier than a
        for t in range(years):
            row([(z(b, t), 1.0), (z(a, t), -1.0)], -math.inf, 0.0)
    for t in range(years):
        span = range(t + 1) if carry_over else (t,)
        row(
            [(s(i, u), 1.0) for i in range(n) for u in span],
            -math.inf,
            float(sum(budget[u] for u in span)),
        )
    matrix = sp.csr_array((vals, (rows, cols)), shape=(len(lower), 2 * nz))
    lo_r, hi_r = np.array(lower), np.array(upper)
    integrality = np.r_[np.ones(nz), np.zeros(nz)]
    ub = np.r_[np.ones(nz), np.repeat(cost, years)]
    objective: dict[int, float] = {}
    status: dict[int, str] = {}
    x = np.zeros(2 * nz)
    # the classes in order; last, keeping every class's optimum, items in use as early as the
    # money allows (also items that help no pupil, e.g. offices, when money is left)
    stages = [int(p) for p in sorted(set(priority.tolist()))] + [0]
    for p in stages:
        c = np.zeros(2 * nz)
        for k in range(n) if p == 0 else np.flatnonzero(priority == p).tolist():
            c[[z(k, t) for t in range(years)]] = 1.0 if p == 0 else weight[k]
        solved = solve_milp(
            c, matrix, lo_r, hi_r, lb=0.0, ub=ub, integrality=integrality, sense="max",
            time_limit_s=time_limit_s, mip_rel_gap=0.0, mip_abs_gap=1e-6,
        )  # fmt: skip
        status[p] = solved.status
        if solved.x is None:
            break
        x = solved.x
        if p == 0:
            break
        objective[p] = float(c @ x)
        # keep this class's optimum while the next class is scheduled
        keep = sp.csr_array(c.reshape(1, -1))
        matrix = sp.vstack([matrix, keep]).tocsr()
        lo_r = np.r_[lo_r, objective[p] - 1e-6 * max(1.0, abs(objective[p]))]
        hi_r = np.r_[hi_r, math.inf]
    zz = np.round(x[:nz]).reshape(n, years)
    ss = x[nz:].reshape(n, years) * zz[:, -1:]  # unfinished items spend nothing
    return zz, ss, objective, status


def plan_investments(
    needs: pd.DataFrame,
    budget_by_year: Mapping[int, float],
    *,
    carry_over: bool = False,
    done: pd.DataFrame | None = None,
    rules: Mapping[str, Mapping[str, Any]] | None = None,
    time_limit_s: float = 60.0,
) -> InvestmentPlan:
    """Schedule every need into a year within that year's budget (exact, lexicographic MIP).

    Parameters
    ----------
    needs
        One row per school and item, indexed by item id, with ``school``, ``item``,
        ``priority``, ``cost_yuan`` and ``pupils_helped`` (e.g. ``SchoolNeeds.items``); rows
        with no cost are left out.
    budget_by_year
        Money per year, yuan, e.g. ``{2025: 52_190_000, 2026: 26_050_000}``.
    carry_over
        Unspent money of a year moves to the next.
    done
        Items already done (:func:`read_done`): removed from the schedule, their actual cost
        deducted from the budget of the year they were done.
    rules
        Per item kind, ``depends_on`` (kinds of the same school funded no later) and
        ``splittable`` (may be paid over several years); default: the shipped standards'
        ``items``.
    time_limit_s
        Time limit of each stage of the MIP.

    Returns
    -------
    InvestmentPlan
    """
    rules = default_standards().items if rules is None else rules
    if not budget_by_year:
        msg = "budget_by_year is empty. Fix: give the money of at least one year."
        raise ArgumentError(msg)
    years = sorted(int(y) for y in budget_by_year)
    budget = np.array([float(budget_by_year[y]) for y in years])
    done_ids: set[str] = set()
    if done is not None and len(done):
        unknown = sorted(set(done.index.astype(str)) - set(needs.index.astype(str)))
        if unknown:
            msg = f"done names unknown item id(s) {unknown[:5]}. Fix: use ids of school_needs.xlsx."
            raise ArgumentError(msg)
        for item_id, row in done.iterrows():
            year = int(row["year"])
            if year in years:
                budget[years.index(year)] -= float(row["actual_cost_yuan"])
            done_ids.add(str(item_id))
    budget = np.maximum(budget, 0.0)
    todo = needs[(needs["cost_yuan"] > 0) & ~needs.index.astype(str).isin(done_ids)]
    ids = [str(i) for i in todo.index]
    kinds = todo["item"].astype(str).to_numpy()
    schools = todo["school"].astype(str).to_numpy()
    position = {(schools[k], kinds[k]): k for k in range(len(ids))}
    done_kinds = {(str(needs.loc[i, "school"]), str(needs.loc[i, "item"])) for i in done_ids}
    before = []
    for k, kind in enumerate(kinds):
        for dep in rules.get(kind, {}).get("depends_on", ()):
            a = position.get((schools[k], str(dep)))
            if a is not None and (schools[k], str(dep)) not in done_kinds:
                before.append((a, k))
    split = np.array([bool(rules.get(k, {}).get("splittable", False)) for k in kinds])
    cost = todo["cost_yuan"].to_numpy(dtype="float64")
    helped = todo["pupils_helped"].to_numpy(dtype="float64")
    priority = todo["priority"].to_numpy(dtype="int64")
    if len(ids):
        zz, ss, objective, status = _schedule(
            cost, helped, priority, split, before, budget,
            carry_over=carry_over, time_limit_s=time_limit_s,
        )  # fmt: skip
    else:
        zz = np.zeros((0, len(years)))
        ss = zz.copy()
        objective, status = {}, {}
    in_use = zz.sum(axis=1)
    first = np.where(in_use > 0, len(years) - in_use, -1).astype(int)
    items = todo[["school", "item", "priority", "cost_yuan", "pupils_helped"]].copy()
    items["year"] = [years[f] if f >= 0 else np.nan for f in first]
    items["years_in_use"] = in_use.astype("int64")
    for t, y in enumerate(years):
        items[f"spend_{y}_yuan"] = np.round(ss[:, t], 2)
    spent = ss.sum(axis=0)
    carried = np.zeros(len(years))
    if carry_over:
        for t in range(1, len(years)):
            carried[t] = carried[t - 1] + budget[t - 1] - spent[t - 1]
    year_table = pd.DataFrame(
        {
            "budget_yuan": budget,
            "carried_in_yuan": np.round(carried, 2),
            "spent_yuan": np.round(spent, 2),
            "items": [int((first == t).sum()) for t in range(len(years))],
            "pupils_helped": [float(helped[first == t].sum()) for t in range(len(years))],
        },
        index=pd.Index(years, name="year"),
    )
    funded = items["year"].notna()
    school_table = (
        items.assign(funded=funded, funded_yuan=np.where(funded, items["cost_yuan"], 0.0))
        .groupby("school")
        .agg(
            items=("item", "size"),
            funded=("funded", "sum"),
            cost_yuan=("cost_yuan", "sum"),
            funded_yuan=("funded_yuan", "sum"),
            first_year=("year", "min"),
            last_year=("year", "max"),
        )
    )
    return InvestmentPlan(items, year_table, school_table, objective, status)


def read_done(path: str | Path) -> pd.DataFrame:
    """Read ``done.csv`` (columns ``item``, ``year``, ``actual_cost_yuan``), indexed by item id."""
    file = Path(path)
    try:
        table = pd.read_csv(file, dtype={"item": str}, encoding="utf-8-sig")
    except FileNotFoundError as err:
        msg = f"{file} does not exist. Fix: check the path of `investment.done`."
        raise InputFileError(msg) from err
    missing = [c for c in ("item", "year", "actual_cost_yuan") if c not in table.columns]
    if missing:
        msg = f"{file}: column(s) {missing} missing. Fix: give item, year, actual_cost_yuan."
        raise InputFileError(msg)
    return table.set_index("item")
