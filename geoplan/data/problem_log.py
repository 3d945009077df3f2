"""Logging the problems a run finds, in the run's language.

A warning found while reading or planning is kept on its result (``Scenario.warnings``,
``PlanningArea.warnings``, ``PlanResult.warnings``, the manifest) and logged once, where it is
found, by :func:`log_problem`: a warning at WARNING, a note at INFO. The line is in the language
:func:`log_language` set (English by default): :func:`geoplan.runs.runner.plan_scenario` sets the
scenario's ``outputs.lang``, so a run in Chinese logs its warnings in Chinese, from the catalogue
of :mod:`geoplan.data.messages` (a problem without a code keeps its English text).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar

from geoplan.data.messages import LANGUAGES
from geoplan.data.validation import problem_line
from geoplan.errors import ArgumentError, Problem

__all__ = ["log_language", "log_problem"]

_LANG: ContextVar[str] = ContextVar("geoplan_log_language", default="en")


@contextlib.contextmanager
def log_language(lang: str) -> Iterator[None]:
    """Within the block, :func:`log_problem` writes in ``lang`` (``en`` or ``zh``).

    Raises
    ------
    ArgumentError
        When ``lang`` is not one of :data:`~geoplan.data.messages.LANGUAGES`.
    """
    if lang not in LANGUAGES:
        msg = f"Unknown language {lang!r}; use one of {', '.join(LANGUAGES)}."
        raise ArgumentError(msg)
    token = _LANG.set(lang)
    try:
        yield
    finally:
        _LANG.reset(token)


def log_problem(logger: logging.Logger, problem: Problem) -> None:
    """Log ``problem`` on ``logger`` in the language of :func:`log_language`.

    A note at INFO (how something was read; nothing to fix), anything else at WARNING.
    """
    level = logging.INFO if problem.severity == "note" else logging.WARNING
    logger.log(level, "%s", problem_line(problem, _LANG.get()))
