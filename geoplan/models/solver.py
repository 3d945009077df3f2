"""The solver layer every model shares: one MIP container, one builder, one gap, one id table.

- :class:`MipBuilder` collects named blocks of variables and of rows (``scipy.sparse`` triplets or
  matrices) into one :class:`Mip`, which :meth:`Mip.solve` hands to HiGHS (through ``highspy``,
  :func:`solve_milp`). Location models, phasing, closures and districts all build this way.
- :func:`relative_gap` is the one gap formula; every :class:`SolveResult` (exact or heuristic)
  carries the objective, the proven bound and that gap, so a time-limited run says how good it is.
- :class:`IdMatrix` / :func:`id_matrix` / :func:`id_vector` / :func:`id_series` turn id-indexed
  tables (a ``TravelMatrix``, a DataFrame, an array with ids, a Series) into arrays and back, with
  errors that name the ids.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from geoplan.data.area import ID_INDEX
from geoplan.data.messages import coded_problem
from geoplan.errors import ArgumentError, ValidationError

__all__ = [
    "STATUSES",
    "ArrayLike",
    "IdMatrix",
    "Mip",
    "MipBuilder",
    "SolveResult",
    "id_matrix",
    "id_series",
    "id_vector",
    "relative_gap",
    "solve_milp",
    "time_left",
]

_logger = logging.getLogger(__name__)

STATUSES: tuple[str, ...] = ("optimal", "time_limit", "infeasible", "unbounded", "error")
"""Statuses a :class:`SolveResult` may carry."""

ArrayLike = npt.ArrayLike


@dataclass(frozen=True)
class SolveResult:
    """Outcome of one solve, exact or heuristic.

    Parameters
    ----------
    status
        ``"optimal"``, ``"time_limit"`` (a solution may exist, not proven optimal),
        ``"infeasible"``, ``"unbounded"`` or ``"error"``.
    x
        Variable values, or ``None`` when no solution was found.
    objective
        Objective value of ``x`` (``nan`` when none).
    bound
        Proven dual bound (a lower bound when minimising, an upper bound when maximising; ``nan``
        when unknown).
    gap
        Relative gap ``|objective - bound| / max(|objective|, 1e-9)``; ``0`` when optimal,
        ``inf`` when unknown.
    seconds
        Wall time of the solve.
    solver
        ``"highs"`` or the heuristic's name.
    """

    status: str
    x: np.ndarray | None
    objective: float
    bound: float
    gap: float
    seconds: float
    solver: str

    @property
    def has_solution(self) -> bool:
        """Whether ``x`` holds a (feasible) solution."""
        return self.x is not None


def time_left(t0: float, time_limit_s: float) -> float:
    """Seconds left of a time limit counted from ``t0`` (``time.perf_counter``), at least one.

    A solve started this late still gets a second to report what it has (HiGHS needs one).
    """
    return max(1.0, time_limit_s - (time.perf_counter() - t0))


def relative_gap(objective: float, bound: float) -> float:
    """Relative gap between a solution value and a proven bound (``inf`` if either is unknown)."""
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / max(abs(objective), 1e-9)


def _as_csc(matrix: sp.spmatrix | sp.sparray | np.ndarray, n_cols: int) -> sp.csc_array:
    mat = sp.csc_array(matrix, dtype=np.float64)
    if mat.shape[1] != n_cols:
        msg = f"constraint matrix has {mat.shape[1]} columns but c has {n_cols} entries"
        raise ArgumentError(msg)
    mat.sum_duplicates()
    mat.sort_indices()
    return mat


def _vector(v: ArrayLike, n: int, name: str) -> np.ndarray:
    arr = np.asarray(v, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        msg = f"`{name}` has shape {arr.shape}, expected ({n},)"
        raise ArgumentError(msg)
    return np.clip(arr, -highspy.kHighsInf, highspy.kHighsInf)


def solve_milp(
    c: ArrayLike,
    A: sp.spmatrix | sp.sparray | np.ndarray,  # noqa: N803 (the usual name)
    row_lower: ArrayLike,
    row_upper: ArrayLike,
    *,
    lb: ArrayLike = 0.0,
    ub: ArrayLike = math.inf,
    integrality: ArrayLike | None = None,
    sense: str = "min",
    offset: float = 0.0,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 0.0,
    mip_abs_gap: float = 0.999,
    start: ArrayLike | None = None,
    threads: int | None = None,
    integral_objective: bool = False,
    options: Mapping[str, bool | int | float | str] | None = None,
    log: bool = False,
) -> SolveResult:
    """Solve ``min/max c @ x + offset`` s.t. ``row_lower <= A @ x <= row_upper``, ``lb <= x <= ub``.

    Parameters
    ----------
    c
        Objective coefficients, one per variable.
    A
        Constraint matrix (``scipy.sparse`` preferred; dense is accepted for small models).
    row_lower, row_upper
        Row bounds (``-inf`` / ``inf`` for one-sided rows).
    lb, ub
        Variable bounds (scalars broadcast).
    integrality
        Per variable ``1`` for integer, ``0`` for continuous; ``None``: all continuous (an LP).
    sense
        ``"min"`` or ``"max"``.
    offset
        Constant added to the objective.
    time_limit_s
        Wall-time limit in seconds.
    mip_rel_gap, mip_abs_gap
        HiGHS stops when the relative or absolute gap falls below these. The default absolute gap
        below 1 proves optimality on integer-valued objectives.
    start
        A feasible (or partial, ``nan`` = unknown) solution passed to HiGHS as a warm start.
    threads
        Threads for HiGHS (``None``: its default).
    integral_objective
        Every feasible objective value is a whole number (integer costs on integer variables):
        the bound is rounded, so a proof within ``mip_abs_gap < 1`` reports a gap of 0.
    options
        Further HiGHS options by name (e.g. ``{"objective_bound": 100.0}`` to prune every node
        whose bound exceeds a known solution's value, ``{"mip_heuristic_effort": 0.0}``).
    log
        Let HiGHS print its log.

    Returns
    -------
    SolveResult
        Status, values, objective, bound, gap, seconds.
    """
    t0 = time.perf_counter()
    cost = np.asarray(c, dtype=np.float64).ravel()
    n = cost.size
    mat = _as_csc(A, n)
    m = mat.shape[0]
    if sense not in ("min", "max"):
        msg = f"`sense` must be 'min' or 'max', got {sense!r}"
        raise ArgumentError(msg)
    if n == 0:
        # HiGHS answers a model without variables with an error ("model empty"); its one
        # solution is the empty one, feasible when every row's bounds hold an activity of 0.
        ok = bool(
            np.all(_vector(row_lower, m, "row_lower") <= 0.0)
            and np.all(_vector(row_upper, m, "row_upper") >= 0.0)
        )
        empty_value = float(offset) if ok else math.nan
        return SolveResult(
            "optimal" if ok else "infeasible",
            np.zeros(0) if ok else None,
            empty_value,
            empty_value,
            0.0 if ok else math.inf,
            time.perf_counter() - t0,
            "highs",
        )

    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = m
    lp.col_cost_ = cost
    lp.col_lower_ = _vector(lb, n, "lb")
    lp.col_upper_ = _vector(ub, n, "ub")
    lp.row_lower_ = _vector(row_lower, m, "row_lower")
    lp.row_upper_ = _vector(row_upper, m, "row_upper")
    lp.offset_ = float(offset)
    lp.sense_ = highspy.ObjSense.kMaximize if sense == "max" else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = m
    lp.a_matrix_.start_ = mat.indptr.astype(np.int32)
    lp.a_matrix_.index_ = mat.indices.astype(np.int32)
    lp.a_matrix_.value_ = mat.data
    is_mip = integrality is not None and bool(np.any(np.asarray(integrality)))
    if is_mip:
        integ = np.asarray(integrality).ravel()
        if integ.shape != (n,):
            msg = f"`integrality` has shape {integ.shape}, expected ({n},)"
            raise ArgumentError(msg)
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if v else highspy.HighsVarType.kContinuous for v in integ
        ]

    # The low-level class avoids the banner the Python wrapper prints on construction.
    h = highspy._core._Highs()
    h.setOptionValue("output_flag", bool(log))
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("mip_abs_gap", float(mip_abs_gap))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    for name, value in (options or {}).items():
        if h.setOptionValue(name, value) == highspy.HighsStatus.kError:
            msg = f"HiGHS rejected option {name!r} = {value!r}"
            raise ArgumentError(msg)
    h.passModel(lp)
    if start is not None and is_mip:
        x0 = np.asarray(start, dtype=np.float64).ravel()
        if x0.shape != (n,):
            msg = f"`start` has shape {x0.shape}, expected ({n},)"
            raise ArgumentError(msg)
        known = np.flatnonzero(~np.isnan(x0))
        if known.size == n:
            sol = highspy.HighsSolution()
            sol.col_value = x0
            sol.value_valid = True
            h.setSolution(sol)
        elif known.size:
            h.setSolution(int(known.size), known.astype(np.int32), x0[known])
    h.run()
    seconds = time.perf_counter() - t0
    res = _result(
        h, is_mip=is_mip, sense=sense, integral_objective=integral_objective, seconds=seconds
    )
    if start is not None and is_mip and res.x is not None and not _consistent(res, cost, mat, lp):
        # HiGHS (1.x) can return the start with another solution's objective and status
        # "optimal" (a 4 x 5 set cover: the start, cost 4.15, reported optimal at 2.63; the
        # optimum is 3.14). Such an answer is discarded and the model solved without the start.
        _logger.info("HiGHS answer inconsistent with its start; solving again without it")
        return solve_milp(
            cost,
            mat,
            lp.row_lower_,
            lp.row_upper_,
            lb=lp.col_lower_,
            ub=lp.col_upper_,
            integrality=integrality,
            sense=sense,
            offset=offset,
            time_limit_s=time_left(t0, time_limit_s),
            mip_rel_gap=mip_rel_gap,
            mip_abs_gap=mip_abs_gap,
            threads=threads,
            integral_objective=integral_objective,
            options=options,
            log=log,
        )
    return res


def _consistent(res: SolveResult, cost: np.ndarray, mat: sp.csc_matrix, lp: Any) -> bool:
    """Whether ``res.x`` is feasible and worth ``res.objective`` (within 1e-6)."""
    assert res.x is not None
    x = res.x
    scale = 1e-6 * max(1.0, abs(res.objective))
    act = mat @ x
    rows_ok = bool(
        np.all(act >= np.asarray(lp.row_lower_) - 1e-6)
        and np.all(act <= np.asarray(lp.row_upper_) + 1e-6)
    )
    value = float(cost @ x) + float(lp.offset_)
    return rows_ok and abs(value - res.objective) <= scale


def _result(
    h: highspy._core._Highs,
    *,
    is_mip: bool,
    sense: str,
    integral_objective: bool,
    seconds: float,
) -> SolveResult:
    ms = h.getModelStatus()
    info = h.getInfo()
    codes = highspy.HighsModelStatus
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_x else None
    objective = float(info.objective_function_value) if has_x else math.nan
    if ms == codes.kOptimal:
        status = "optimal"
    elif ms in (codes.kInfeasible,):
        status = "infeasible"
    elif ms in (codes.kUnbounded, codes.kUnboundedOrInfeasible):
        status = "unbounded"
    elif ms in (codes.kTimeLimit, codes.kIterationLimit, codes.kSolutionLimit, codes.kInterrupt):
        status = "time_limit"
    else:
        status = "error"
    if is_mip:
        bound = float(info.mip_dual_bound)
        if not math.isfinite(bound) or abs(bound) >= highspy.kHighsInf:
            bound = math.nan
    else:
        bound = objective if status == "optimal" else math.nan
    if status in ("infeasible", "unbounded", "error"):
        bound = math.nan
    if integral_objective and math.isfinite(bound):
        # Every solution value is a whole number, so the bound rounds towards the objective.
        bound = float(math.floor(bound + 1e-6) if sense == "max" else math.ceil(bound - 1e-6))
    gap = relative_gap(objective, bound)
    _logger.debug("highs: %s obj=%s bound=%s in %.2fs", status, objective, bound, seconds)
    return SolveResult(status, x, objective, bound, gap, seconds, "highs")


# --------------------------------------------------------------------------------------------
# One MIP container and its builder
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mip:
    """A mixed-integer (or linear) program ready for HiGHS, with named blocks of columns and rows.

    ``min/max c @ x + offset`` s.t. ``row_lower <= a @ x <= row_upper``, ``lb <= x <= ub``;
    ``integrality`` is 1 for integer columns. Build one with :class:`MipBuilder`.

    Parameters
    ----------
    c, a, row_lower, row_upper, lb, ub, integrality, sense, offset
        The program.
    columns, rows
        Name of each block of columns / rows and its slice.
    """

    c: np.ndarray
    a: sp.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integrality: np.ndarray
    sense: str = "min"
    offset: float = 0.0
    columns: Mapping[str, slice] = field(default_factory=dict)
    rows: Mapping[str, slice] = field(default_factory=dict)

    @property
    def n_cols(self) -> int:
        """Number of variables."""
        return int(self.c.size)

    @property
    def n_rows(self) -> int:
        """Number of constraint rows."""
        return int(self.a.shape[0])

    def values(self, x: np.ndarray, name: str) -> np.ndarray:
        """The part of a solution ``x`` that belongs to the column block ``name``."""
        out: np.ndarray = np.asarray(x)[self.columns[name]]
        return out

    def start(self, **blocks: ArrayLike) -> np.ndarray:
        """A warm start: the given column blocks filled in, every other value unknown (``nan``)."""
        x = np.full(self.n_cols, np.nan)
        for name, values in blocks.items():
            x[self.columns[name]] = np.asarray(values, dtype=np.float64)
        return x

    def with_columns(
        self,
        name: str,
        a_cols: sp.spmatrix | sp.sparray | np.ndarray,
        *,
        cost: ArrayLike = 0.0,
        lb: ArrayLike = 0.0,
        ub: ArrayLike = math.inf,
        integer: bool = False,
    ) -> Mip:
        """The program with a block of columns added to its rows (e.g. slack making rows elastic).

        Parameters
        ----------
        name
            Name of the new column block.
        a_cols
            Its coefficients, ``n_rows`` × new columns.
        cost, lb, ub, integer
            Objective coefficients, bounds and integrality of the new columns.
        """
        block = sp.csc_array(a_cols, dtype=np.float64)
        if block.shape[0] != self.n_rows:
            msg = f"`a_cols` has {block.shape[0]} rows but the program has {self.n_rows}"
            raise ArgumentError(msg)
        k = int(block.shape[1])
        start = self.n_cols
        return replace(
            self,
            c=np.concatenate([self.c, _vector(cost, k, "cost")]),
            a=sp.hstack([self.a, block], format="csc"),
            lb=np.concatenate([self.lb, _vector(lb, k, "lb")]),
            ub=np.concatenate([self.ub, _vector(ub, k, "ub")]),
            integrality=np.concatenate([self.integrality, np.full(k, int(integer))]),
            columns={**self.columns, name: slice(start, start + k)},
        )

    def relaxed(self) -> Mip:
        """The linear relaxation (every column continuous)."""
        return replace(self, integrality=np.zeros(self.n_cols, dtype=np.int64))

    def solve(
        self,
        *,
        time_limit_s: float = 60.0,
        mip_rel_gap: float = 0.0,
        mip_abs_gap: float = 0.999,
        start: ArrayLike | None = None,
        integral_objective: bool = False,
        options: Mapping[str, bool | int | float | str] | None = None,
        threads: int | None = None,
        log: bool = False,
    ) -> SolveResult:
        """Solve with HiGHS (:func:`solve_milp`; the same options)."""
        is_mip = bool(np.any(self.integrality))
        return solve_milp(
            self.c,
            self.a,
            self.row_lower,
            self.row_upper,
            lb=self.lb,
            ub=self.ub,
            integrality=self.integrality if is_mip else None,
            sense=self.sense,
            offset=self.offset,
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
            mip_abs_gap=mip_abs_gap,
            start=start,
            threads=threads,
            integral_objective=integral_objective,
            options=options,
            log=log,
        )


class MipBuilder:
    """Collects blocks of variables and rows into one :class:`Mip`.

    Variables come first (:meth:`add_vars` returns their column numbers); rows are added as
    triplets with row numbers local to the block (:meth:`add_rows`) or as a sparse matrix over the
    columns so far (:meth:`add_matrix`). Models that share sites between several cost matrices (a
    robust model over seasons, say) add one set of site columns and pass it to every block.

    Parameters
    ----------
    sense
        ``"min"`` or ``"max"``.
    """

    def __init__(self, sense: str = "min") -> None:
        if sense not in ("min", "max"):
            msg = f"`sense` must be 'min' or 'max', got {sense!r}"
            raise ArgumentError(msg)
        self.sense = sense
        self.offset = 0.0
        self._n_cols = 0
        self._n_rows = 0
        self._cost: list[np.ndarray] = []
        self._lb: list[np.ndarray] = []
        self._ub: list[np.ndarray] = []
        self._int: list[np.ndarray] = []
        self._r: list[np.ndarray] = []
        self._c: list[np.ndarray] = []
        self._v: list[np.ndarray] = []
        self._lo: list[np.ndarray] = []
        self._hi: list[np.ndarray] = []
        self._columns: dict[str, slice] = {}
        self._rows: dict[str, slice] = {}

    @property
    def n_cols(self) -> int:
        """Columns added so far."""
        return self._n_cols

    @property
    def n_rows(self) -> int:
        """Rows added so far."""
        return self._n_rows

    def add_vars(
        self,
        name: str,
        n: int,
        *,
        cost: ArrayLike = 0.0,
        lb: ArrayLike = 0.0,
        ub: ArrayLike = 1.0,
        integer: bool = True,
    ) -> np.ndarray:
        """Add ``n`` variables named ``name``; returns their column numbers.

        Parameters
        ----------
        name
            Block name (unique).
        n
            How many.
        cost, lb, ub
            Objective coefficients and bounds (scalars broadcast).
        integer
            Integer (default: binary with the default bounds) or continuous.
        """
        if name in self._columns:
            msg = f"a column block named {name!r} exists already"
            raise ArgumentError(msg)
        cols = np.arange(self._n_cols, self._n_cols + n, dtype=np.int64)
        self._cost.append(_vector(cost, n, "cost"))
        self._lb.append(_vector(lb, n, "lb"))
        self._ub.append(_vector(ub, n, "ub"))
        self._int.append(np.full(n, int(integer), dtype=np.int64))
        self._columns[name] = slice(self._n_cols, self._n_cols + n)
        self._n_cols += n
        return cols

    def add_rows(
        self,
        rows: ArrayLike,
        cols: ArrayLike,
        vals: ArrayLike,
        *,
        n_rows: int,
        lower: ArrayLike = -math.inf,
        upper: ArrayLike = math.inf,
        name: str | None = None,
    ) -> np.ndarray:
        """Add ``n_rows`` rows from triplets (row numbers ``0 .. n_rows-1`` within the block).

        Returns the global row numbers. Duplicate (row, column) entries are summed.
        """
        r = np.asarray(rows, dtype=np.int64).ravel()
        c = np.asarray(cols, dtype=np.int64).ravel()
        v = np.broadcast_to(np.asarray(vals, dtype=np.float64), r.shape).ravel()
        if r.shape != c.shape:
            msg = f"{r.size} row numbers for {c.size} column numbers"
            raise ArgumentError(msg)
        if r.size and (r.min() < 0 or r.max() >= n_rows):
            msg = f"row numbers must lie in 0..{n_rows - 1}"
            raise ArgumentError(msg)
        if c.size and (c.min() < 0 or c.max() >= self._n_cols):
            msg = f"column numbers must lie in 0..{self._n_cols - 1} (add the variables first)"
            raise ArgumentError(msg)
        self._r.append(r + self._n_rows)
        self._c.append(c)
        self._v.append(v)
        self._lo.append(_vector(lower, n_rows, "lower"))
        self._hi.append(_vector(upper, n_rows, "upper"))
        out = np.arange(self._n_rows, self._n_rows + n_rows, dtype=np.int64)
        if name is not None:
            if name in self._rows:
                msg = f"a row block named {name!r} exists already"
                raise ArgumentError(msg)
            self._rows[name] = slice(self._n_rows, self._n_rows + n_rows)
        self._n_rows += n_rows
        return out

    def add_matrix(
        self,
        matrix: sp.spmatrix | sp.sparray | np.ndarray,
        *,
        lower: ArrayLike = -math.inf,
        upper: ArrayLike = math.inf,
        name: str | None = None,
    ) -> np.ndarray:
        """Add the rows of a matrix over the first ``matrix.shape[1]`` columns."""
        coo = sp.coo_array(matrix, dtype=np.float64)
        return self.add_rows(
            coo.row,
            coo.col,
            coo.data,
            n_rows=int(coo.shape[0]),
            lower=lower,
            upper=upper,
            name=name,
        )

    def add_cost(self, cols: ArrayLike, values: ArrayLike) -> None:
        """Add ``values`` to the objective coefficients of ``cols``."""
        c = np.asarray(cols, dtype=np.int64).ravel()
        whole = np.concatenate(self._cost) if self._cost else np.zeros(0)
        np.add.at(whole, c, np.broadcast_to(np.asarray(values, dtype=np.float64), c.shape))
        self._cost = [whole]

    def build(self) -> Mip:
        """The :class:`Mip` of everything added."""
        n, m = self._n_cols, self._n_rows

        def cat(parts: list[np.ndarray], dtype: Any = np.float64) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        a = sp.csc_array(
            (cat(self._v), (cat(self._r, np.int64), cat(self._c, np.int64))), shape=(m, n)
        )
        return Mip(
            c=cat(self._cost),
            a=a,
            row_lower=cat(self._lo),
            row_upper=cat(self._hi),
            lb=cat(self._lb),
            ub=cat(self._ub),
            integrality=cat(self._int, np.int64),
            sense=self.sense,
            offset=float(self.offset),
            columns=dict(self._columns),
            rows=dict(self._rows),
        )


# --------------------------------------------------------------------------------------------
# Id-indexed tables to arrays and back
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdMatrix:
    """A matrix with string ids on its rows and columns (demand points × sites, say).

    Parameters
    ----------
    values
        ``float64``, rows × columns; ``inf`` where unreachable.
    row_ids, col_ids
        The ids, as strings.
    """

    values: np.ndarray
    row_ids: list[str]
    col_ids: list[str]

    @property
    def shape(self) -> tuple[int, int]:
        """Rows, columns."""
        return int(self.values.shape[0]), int(self.values.shape[1])

    def frame(self) -> pd.DataFrame:
        """The matrix as a DataFrame indexed by the row ids, columns the column ids."""
        return pd.DataFrame(
            self.values,
            index=pd.Index(self.row_ids, name=ID_INDEX),
            columns=pd.Index(self.col_ids),
        )

    def take(
        self, rows: Iterable[Any] | None = None, cols: Iterable[Any] | None = None
    ) -> IdMatrix:
        """The rows and columns with the given ids, in that order (an error names missing ids)."""
        r_ids = self.row_ids if rows is None else [str(r) for r in rows]
        c_ids = self.col_ids if cols is None else [str(c) for c in cols]
        r = _positions(r_ids, self.row_ids, "row")
        c = _positions(c_ids, self.col_ids, "column")
        return IdMatrix(self.values[np.ix_(r, c)], r_ids, c_ids)


def _positions(wanted: list[str], have: list[str], what: str) -> np.ndarray:
    pos = {k: i for i, k in enumerate(have)}
    missing = [k for k in wanted if k not in pos]
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise ValidationError(
            [
                coded_problem(
                    "ids_not_in_matrix",
                    "",
                    "",
                    missing[0],
                    "id",
                    missing[0],
                    count=len(missing),
                    what=what,
                    shown=shown,
                )
            ]
        )
    return np.array([pos[k] for k in wanted], dtype=np.int64)


def _given_ids(values: Any, n: int, what: str) -> list[str] | None:
    if values is None:
        return None
    ids = [str(v) for v in values]
    if len(ids) != n:
        msg = f"{len(ids)} {what} ids given for {n} {what} rows/columns of the matrix"
        raise ArgumentError(msg)
    if len(set(ids)) != n:
        dup = sorted({k for k in ids if ids.count(k) > 1})[:10]
        msg = f"{what} ids must be unique; repeated: {', '.join(dup)}"
        raise ArgumentError(msg)
    return ids


def id_matrix(
    data: Any,
    *,
    row_ids: Any = None,
    col_ids: Any = None,
    rows: str = "demand",
    cols: str = "site",
) -> IdMatrix:
    """Turn a ``TravelMatrix``, a DataFrame or an array (with ids) into an :class:`IdMatrix`.

    Parameters
    ----------
    data
        A ``TravelMatrix``, dense or sparse (its minutes, ``origin_ids``, ``destination_ids``), an
        :class:`IdMatrix`, a DataFrame (its index and columns are the ids) or a 2-D array.
    row_ids, col_ids
        Ids of the rows and columns. For an array, default ``demand0, demand1, ...`` and
        ``site0, ...``; for a labelled table, ids given here select and order its rows / columns.
    rows, cols
        What rows and columns are, for ids and messages (``"demand"``, ``"site"``).

    Returns
    -------
    IdMatrix
        ``float64`` values (``nan`` read as ``inf``: unreachable) with string ids.
    """
    if isinstance(data, IdMatrix):
        table = data
    elif isinstance(data, pd.DataFrame):
        table = IdMatrix(
            data.to_numpy(dtype=np.float64),
            [str(k) for k in data.index],
            [str(k) for k in data.columns],
        )
    elif not isinstance(data, np.ndarray) and hasattr(data, "minutes"):
        dense = getattr(data, "minutes_array", None)  # a TravelMatrix: the same, dense or sparse
        table = IdMatrix(
            np.asarray(dense() if callable(dense) else data.minutes, dtype=np.float64),
            [str(k) for k in data.origin_ids],
            [str(k) for k in data.destination_ids],
        )
    else:
        values = np.asarray(data, dtype=np.float64)
        if values.ndim != 2:
            msg = f"the {rows} x {cols} matrix must be 2-D; got shape {values.shape}"
            raise ArgumentError(msg)
        n, m = values.shape
        r_ids = _given_ids(row_ids, n, rows) or [f"{rows}{k}" for k in range(n)]
        c_ids = _given_ids(col_ids, m, cols) or [f"{cols}{k}" for k in range(m)]
        table = IdMatrix(values, r_ids, c_ids)
        row_ids = col_ids = None
    if row_ids is not None or col_ids is not None:
        table = table.take(
            None if row_ids is None else list(row_ids), None if col_ids is None else list(col_ids)
        )
    for what, ids in ((rows, table.row_ids), (cols, table.col_ids)):
        if len(set(ids)) != len(ids):
            dup = sorted({k for k in ids if ids.count(k) > 1})[:10]
            msg = f"{what} ids must be unique; repeated: {', '.join(dup)}"
            raise ArgumentError(msg)
    values = np.where(np.isnan(table.values), np.inf, table.values)
    return IdMatrix(values, table.row_ids, table.col_ids)


def id_vector(
    values: Any,
    ids: list[str],
    *,
    name: str,
    what: str,
    default: float | None = None,
) -> np.ndarray | None:
    """One number per id: a Series or mapping is aligned by id, anything else taken in order.

    Parameters
    ----------
    values
        A Series or mapping keyed by id, a scalar, an array of ``len(ids)`` numbers, or ``None``.
    ids
        The ids the numbers belong to (the rows or columns of the matrix).
    name
        Argument name, for messages (``"weights"``).
    what
        What the ids are, for messages (``"demand point"``).
    default
        Value for every id when ``values`` is ``None`` (``None``: return ``None``).

    Returns
    -------
    numpy.ndarray or None
        ``float64``, one per id.

    Raises
    ------
    ValueError
        A Series or mapping with ids other than ``ids`` (the error names both kinds), or an array
        of the wrong length.
    """
    if values is None:
        return None if default is None else np.full(len(ids), float(default))
    if isinstance(values, pd.Series | Mapping):
        series = pd.Series(values, dtype="float64")
        keys = [str(k) for k in series.index]
        series.index = pd.Index(keys)
        missing = [k for k in ids if k not in series.index]
        extra = sorted(set(keys) - set(ids))
        if missing or extra:
            parts = []
            if missing:
                parts.append(
                    f"no value for {len(missing)} {what}(s): {', '.join(missing[:10])}"
                    + (" ..." if len(missing) > 10 else "")
                )
            if extra:
                parts.append(
                    f"{len(extra)} id(s) that are no {what}: {', '.join(extra[:10])}"
                    + (" ..." if len(extra) > 10 else "")
                )
            msg = (
                f"`{name}` is indexed by other ids than the {what}s: {'; '.join(parts)}. "
                f"Index it by the {what} ids (e.g. {', '.join(ids[:3])}) or pass a plain array."
            )
            raise ArgumentError(msg)
        if series.index.has_duplicates:
            msg = f"`{name}` repeats ids: {', '.join(series.index[series.index.duplicated()][:10])}"
            raise ArgumentError(msg)
        arr = series.reindex(ids).to_numpy(dtype=np.float64)
    else:
        arr = np.asarray(values, dtype=np.float64)
        if arr.ndim == 0:
            arr = np.full(len(ids), float(arr))
        arr = arr.ravel() if arr.ndim == 1 else arr
        if arr.shape != (len(ids),):
            msg = f"`{name}` must hold one number per {what} ({len(ids)}); got shape {arr.shape}"
            raise ArgumentError(msg)
    return arr


def id_series(values: ArrayLike, ids: Iterable[Any], *, name: str | None = None) -> pd.Series:
    """Numbers back onto their ids: a Series indexed by ``id``."""
    return pd.Series(
        np.asarray(values), index=pd.Index([str(k) for k in ids], name=ID_INDEX), name=name
    )
