"""One small interface over the HiGHS MIP solver (through ``highspy``) for every model.

Models build their constraint matrix as ``scipy.sparse`` and call :func:`solve_milp`; the result
always carries the objective, the proven bound and the relative gap, so a time-limited run says how
good it is. Heuristics report through the same :class:`SolveResult`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = [
    "STATUSES",
    "ArrayLike",
    "SolveResult",
    "relative_gap",
    "solve_milp",
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
        raise ValueError(msg)
    mat.sum_duplicates()
    mat.sort_indices()
    return mat


def _vector(v: ArrayLike, n: int, name: str) -> np.ndarray:
    arr = np.asarray(v, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        msg = f"`{name}` has shape {arr.shape}, expected ({n},)"
        raise ValueError(msg)
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
        raise ValueError(msg)

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
            raise ValueError(msg)
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
            raise ValueError(msg)
    h.passModel(lp)
    if start is not None and is_mip:
        x0 = np.asarray(start, dtype=np.float64).ravel()
        if x0.shape != (n,):
            msg = f"`start` has shape {x0.shape}, expected ({n},)"
            raise ValueError(msg)
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
    return _result(
        h, is_mip=is_mip, sense=sense, integral_objective=integral_objective, seconds=seconds
    )


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
