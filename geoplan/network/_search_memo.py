"""The last few road searches of this process, kept by what determines their result.

Modes often search the same weighted graph from the same joined points: the school bus and the
car share their roads and speeds, and the walking modes search one graph of metres whenever
minutes follow length. A search's result depends only on the arcs of its weight, the joined
edges' costs, where the points join their roads and the search limit, so a digest of those
names it whatever the mode is called; the same digest a second time returns the kept result
instead of searching again. Results are read-only arrays; only a few are kept (the newest), each
no larger than a share of the memory budget.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from geoplan.network.modes import ModeNetwork

_KEEP = 2
"""Searches kept: enough for two modes searched one after the other to share theirs."""

_SHARE_OF_BUDGET = 1 / 16
"""Largest kept result, as a share of the dense-matrix memory budget (a notebook keeps the
memo for its whole life: at most 1/8 of the budget stays held)."""


def search_key(
    net: ModeNetwork, snap_o: pd.DataFrame, snap_d: pd.DataFrame, weight: str, limit: float
) -> str:
    """Digest of everything a road search's result depends on.

    The arcs of ``weight`` (``net.metres`` or ``net.minutes``), every road edge's ends and
    costs that way, the edge and fraction where each origin and destination joins its road,
    and ``limit``.
    """
    h = hashlib.blake2b(digest_size=20)
    csr = getattr(net, weight)
    fwd, bwd = net.edges.costs(weight)
    parts: list[np.ndarray] = [
        np.asarray(csr.shape, dtype=np.int64),
        csr.indptr,
        csr.indices,
        csr.data,
        net.edges.start,
        net.edges.end,
        fwd,
        bwd,
    ]
    for table in (snap_o, snap_d):
        parts.append(np.asarray([len(table)], dtype=np.int64))
        parts.append(table["edge"].to_numpy(dtype=np.int64))
        parts.append(table["fraction"].to_numpy(dtype=np.float64))
    parts.append(np.asarray([limit], dtype=np.float64))
    for part in parts:
        a = np.ascontiguousarray(part)
        h.update(str(a.dtype).encode())
        h.update(np.asarray(a.shape, dtype=np.int64).tobytes())
        h.update(a.tobytes())
    return h.hexdigest()


class SearchMemo:
    """The newest ``keep`` search results of this process, by :func:`search_key`."""

    def __init__(self, keep: int = _KEEP) -> None:
        self.keep = keep
        self.hits = 0
        self._kept: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        """The kept result of ``key`` (read-only), or ``None``."""
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
                self.hits += 1
            return found

    def put(self, key: str, result: np.ndarray, budget_mb: float) -> np.ndarray:
        """Keep ``result`` (made read-only) if it fits its share of ``budget_mb``; return it."""
        result.setflags(write=False)
        if result.nbytes <= _SHARE_OF_BUDGET * budget_mb * 2**20:
            with self._lock:
                self._kept[key] = result
                self._kept.move_to_end(key)
                while len(self._kept) > self.keep:
                    self._kept.popitem(last=False)
        return result

    def clear(self) -> None:
        """Forget every kept result."""
        with self._lock:
            self._kept.clear()


SEARCHES = SearchMemo()
"""This process's memo of road searches (:func:`geoplan.network.travel._network_distances`)."""
