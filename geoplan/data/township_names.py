"""Township references as offices write them: ids, names, names without ``乡``/``镇``/``Township``.

A villages, schools or sites table names its township by id (``T03``), by name (``Sary Oi
Township``, ``萨热敖伊乡``) or by the name without its suffix (``萨热敖伊``, ``Sary Oi``).
:class:`TownshipNames` reads the id of each and, for a value it cannot read, suggests the
townships whose names are close and the township polygon the point lies in. Names are compared
after :func:`fold_township_name` (full-width to half-width, case, spaces, the suffix).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Any

import geopandas as gpd
import pandas as pd

__all__ = ["TOWNSHIP_SUFFIXES", "TownshipNames", "fold_township_name"]

TOWNSHIP_SUFFIXES: tuple[str, ...] = (
    "街道办事处",
    "街道",
    "乡",
    "镇",
    "subdistrict",
    "township",
    "town",
)
"""Endings a township's name is written with or without (``萨热敖伊乡`` = ``萨热敖伊``)."""

_SUFFIXES_LONGEST_FIRST = sorted(TOWNSHIP_SUFFIXES, key=len, reverse=True)


def fold_township_name(name: Any) -> str:
    """A township name as compared: NFKC, lower case, no spaces, no :data:`TOWNSHIP_SUFFIXES`.

    Examples
    --------
    >>> fold_township_name(" 萨热敖伊乡 "), fold_township_name("Sary Oi Township")
    ('萨热敖伊', 'saryoi')
    """
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name)).lower())
    for suffix in _SUFFIXES_LONGEST_FIRST:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def _text(value: Any) -> str:
    return "" if value is None or bool(pd.isna(value)) else str(value).strip()


class TownshipNames:
    """The townships of a layer by id, name and folded name, and where each lies.

    Parameters
    ----------
    townships
        The townships layer, indexed by id, with ``name`` and optionally ``name_zh`` and a
        polygon geometry (in the CRS of the points asked about).
    """

    def __init__(self, townships: gpd.GeoDataFrame) -> None:
        self.townships = townships
        self.ids = set(map(str, townships.index))
        self.exact: dict[str, str] = {}
        self.folded: dict[str, set[str]] = {}
        for column in ("name", "name_zh"):
            if column not in townships.columns:
                continue
            for tid, name in zip(townships.index, townships[column], strict=True):
                text = _text(name)
                if text:
                    self.exact.setdefault(text, str(tid))
                    self.folded.setdefault(fold_township_name(text), set()).add(str(tid))

    def label(self, tid: str, lang: str = "en") -> str:
        """``T03 (Sary Oi Township, 萨热敖伊乡)``: the id with its names.

        ``lang="zh"``: the id with its Chinese name (``T03 (萨热敖伊乡)``), else its name.
        """
        row = self.townships.loc[tid]
        names = [_text(row.get(c)) for c in ("name", "name_zh") if c in self.townships.columns]
        names = [n for n in dict.fromkeys(names) if n and n != tid]
        if lang == "zh" and names:
            zh = _text(row.get("name_zh")) if "name_zh" in self.townships.columns else ""
            names = [zh if zh and zh != tid else names[0]]
        return f"{tid} ({', '.join(names)})" if names else tid

    def read(self, value: Any) -> tuple[str | None, bool]:
        """The township id ``value`` names, and whether it was read by its folded name.

        An id, then a name or Chinese name as written (spaces around it ignored), then the one
        township whose folded name is the value's (``萨热敖伊`` for ``萨热敖伊乡``). ``None`` when
        none, or when the folded name is two townships' (``巴音乡`` and ``巴音镇``).
        """
        text = str(value).strip()
        if str(value) in self.ids:
            return str(value), False
        if text in self.exact:
            return self.exact[text], False
        folded = self.folded.get(fold_township_name(text), set())
        if len(folded) == 1:
            return next(iter(folded)), True
        return None, False

    def close(self, value: Any, *, n: int = 3) -> list[str]:
        """Ids of up to ``n`` townships whose folded names are the closest to ``value``'s."""
        folded = fold_township_name(value)
        exact = sorted(self.folded.get(folded, set()))  # two townships of one folded name
        near = difflib.get_close_matches(folded, list(self.folded), n, 0.6)
        out = [*exact, *(t for name in near for t in sorted(self.folded[name]))]
        return list(dict.fromkeys(out))[:n]

    def containing(self, point: Any) -> str | None:
        """Id of the township polygon ``point`` lies in (``None``: none, or no location)."""
        if point is None or point.is_empty or "geometry" not in self.townships:
            return None
        inside = self.townships.index[self.townships.geometry.covers(point).to_numpy()]
        return str(inside[0]) if len(inside) else None
