"""Worker processes: one thread each for BLAS, OpenMP and the travel search.

Shared by the stages that start worker processes (the travel search's processes,
:mod:`geoplan.network.travel`, and the batches, :mod:`geoplan.runs.batch`), so neither imports
the other's stage.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["THREAD_ENV", "one_thread", "pin_threads"]

THREAD_ENV: dict[str, str] = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "GEOPLAN_WORKERS": "1",
}
"""Environment that pins solver and BLAS threads, and travel searches, to one per worker."""


class _NotATerminal:
    """A stream that says it is no terminal, so workers draw no progress bars of their own."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def pin_threads() -> None:
    """Pin BLAS and OpenMP pools of this process to one thread (a worker's initializer).

    Also hides the terminal from the worker's own progress bars (one bar per batch).
    """
    os.environ.update(THREAD_ENV)
    if not isinstance(sys.stderr, _NotATerminal):
        sys.stderr = _NotATerminal(sys.stderr)
    limits = _threadpool_limits()
    if limits is not None:
        limits(limits=1)


@contextmanager
def one_thread() -> Iterator[None]:
    """Hold the BLAS and OpenMP pools already loaded to one thread inside the block."""
    limits = _threadpool_limits()
    if limits is None:  # pragma: no cover - threadpoolctl comes with the scientific stack
        yield
        return
    with limits(limits=1):
        yield


def _threadpool_limits() -> Any:
    """``threadpoolctl.threadpool_limits``, or ``None`` when threadpoolctl is not installed."""
    try:
        return importlib.import_module("threadpoolctl").threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with the scientific stack
        return None
