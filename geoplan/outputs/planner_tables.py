"""Tables as a planner reads them: names beside the ids, pupils whole, codes in words.

The models keep their ids, codes and fractional pupils (a projection gives 502.4 pupils); the
files a planner opens show them so that they read at once:

- :func:`with_names` puts the name of each village, township, school or site beside its id
  (in CSV and workbook alike: ``name`` and ``name_zh`` of the village, ``township_name``,
  ``school_name``), the Chinese name (``name_zh``, else ``name``) in a Chinese workbook;
- :func:`whole_counts` rounds every count of pupils, boarders, places ... half up to a whole
  number (:func:`round_half_up`), in CSV and workbook alike: a planner counts children;
- :func:`worded` turns the coded values of a workbook (``g1_3``, ``boards``, ``child_walk``)
  into the words of :data:`geoplan.outputs.labels.VALUE_LABELS`. CSV files and the GeoPackage
  keep the codes: they are the machine-readable contract (``docs/indicators.md``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geoplan.data.area import PlanningArea
from geoplan.outputs.labels import VALUE_LABELS, texts
from geoplan.workbooks import is_count

__all__ = [
    "Names",
    "count_text",
    "round_half_up",
    "whole_count",
    "whole_counts",
    "with_names",
    "worded",
]

_ID_COLUMNS: Mapping[str, tuple[str, str]] = {
    # column of ids -> (layer whose names it takes, column of the names beside it)
    "township": ("townships", "township_name"),
    "school": ("schools", "school_name"),
    "assigned_school": ("schools", "assigned_school_name"),
    "nearest_open_school": ("schools", "nearest_open_school_name"),
    "from_school": ("schools", "from_school_name"),
    "to_school": ("schools", "to_school_name"),
    "site_ids": ("sites", "site_names"),
    "closures": ("schools", "closure_names"),
}
"""Id columns :func:`with_names` names, and the name column it adds right after each."""


def round_half_up(values: float | np.ndarray | pd.Series) -> np.ndarray:
    """``values`` rounded half up to whole numbers (2.5 -> 3, not Python's 2); NaN stays NaN.

    The small tolerance keeps a sum of floats that should be ``x.5`` (``2.4999999999``) from
    rounding down.
    """
    array = np.asarray(values, dtype="float64")
    return np.floor(array + 0.5 + 1e-9)


def whole_count(value: float) -> int | None:
    """One count as a planner sees it: :func:`round_half_up`; ``None`` for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(round_half_up(float(value)))


def count_text(value: float) -> str:
    """A count as page text: whole, rounded half up, with thousands separators (``1,324``).

    ``""`` for a missing value.
    """
    whole = whole_count(value)
    return "" if whole is None else f"{whole:,}"


def whole_counts(table: pd.DataFrame, *, row_formats: bool = False) -> pd.DataFrame:
    """``table`` with its counts rounded half up to whole numbers (a copy; the input is kept).

    A count is a float column whose name :func:`geoplan.workbooks.is_count` calls one (pupils,
    boarders, classes, places, beds ...; not ``shared_m`` or ``cost_yuan``); with
    ``row_formats`` (a table of indicators, one per row) a number in a row whose label names a
    count.
    """
    out = table.copy()
    for i, (name, dtype) in enumerate(zip(out.columns, out.dtypes, strict=True)):
        if pd.api.types.is_float_dtype(dtype) and is_count(name):
            out.isetitem(i, round_half_up(out.iloc[:, i]))
    if row_formats:
        rows = [k for k, key in enumerate(out.index) if is_count(key)]
        for i, dtype in enumerate(out.dtypes):
            if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
                continue
            column = out.iloc[:, i].astype(object)
            for k in rows:
                value = column.iloc[k]
                if isinstance(value, float | np.floating) and not isinstance(value, bool):
                    column.iloc[k] = whole_count(float(value))
            out.isetitem(i, column.to_numpy())
    return out


def worded(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``table`` with the coded values of its columns and index levels in words of ``lang``.

    The words come from :data:`~geoplan.outputs.labels.VALUE_LABELS` by column name; a code it
    lacks (and every other column) stays as it is. Returns a copy.
    """
    words = texts(VALUE_LABELS, lang)
    out = table.copy()
    for i, name in enumerate(out.columns):
        if str(name) in words and not pd.api.types.is_numeric_dtype(out.dtypes.iloc[i]):
            out.isetitem(i, _words(out.iloc[:, i], words[str(name)]).to_numpy())
    names = list(out.index.names)
    if any(str(n) in words for n in names):
        levels = out.index.to_frame(index=False)
        for n in names:
            if str(n) in words:
                levels[n] = _words(levels[n], words[str(n)]).to_numpy()
        out.index = (
            pd.MultiIndex.from_frame(levels)
            if len(names) > 1
            else pd.Index(levels.iloc[:, 0], name=names[0])
        )
    return out


def _words(values: pd.Series, words: Mapping[str, str]) -> pd.Series:
    return values.map(lambda v: words.get(str(v), v) if isinstance(v, str) else v).astype(object)


@dataclass(frozen=True)
class Names:
    """Names by id of each layer (``name``, and ``name_zh`` where the layer has one).

    Build it with :meth:`of` from the planning area *before* its names are localised.
    """

    name: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    name_zh: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, area: PlanningArea) -> Names:
        """The names of ``area``'s townships, villages, schools and sites.

        Restored sites are schools after the plan, so the schools' names include the sites'.
        """
        name: dict[str, dict[str, str]] = {}
        name_zh: dict[str, dict[str, str]] = {}
        for layer in ("townships", "villages", "schools", "sites"):
            gdf = area.layer(layer)
            name[layer] = _texts(gdf, "name")
            name_zh[layer] = _texts(gdf, "name_zh")
        name["schools"] = {**name["sites"], **name["schools"]}
        name_zh["schools"] = {**name_zh["sites"], **name_zh["schools"]}
        return cls(name, name_zh)

    def shown(self, layer: str, key: str, lang: str) -> str:
        """The name of ``key`` in ``layer`` as ``lang`` shows it (Chinese: ``name_zh`` first)."""
        key = str(key)
        if lang == "zh" and self.name_zh.get(layer, {}).get(key):
            return self.name_zh[layer][key]
        return self.name.get(layer, {}).get(key, "")


def _texts(gdf: pd.DataFrame | None, column: str) -> dict[str, str]:
    if gdf is None or column not in gdf.columns:
        return {}
    values = gdf[column]
    has = values.notna() & (values.astype(str).str.strip() != "")
    return {str(k): str(v) for k, v in values[has].items()}


def _names_of(values: pd.Series, names: Names, layer: str, lang: str) -> list[str]:
    out = []
    for value in values.tolist():
        if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
            out.append("")
            continue
        keys = [k.strip() for k in str(value).split(",")]  # a list of ids, or one
        out.append(", ".join(names.shown(layer, k, lang) or k for k in keys))
    return out


def with_names(
    table: pd.DataFrame,
    names: Names,
    *,
    lang: str = "en",
    rows: str | None = None,
    both: bool = True,
) -> pd.DataFrame:
    """``table`` with names beside its ids (a copy).

    Parameters
    ----------
    table
        A table whose columns may hold ids of townships, schools or sites (``township``,
        ``school``, ``assigned_school``, ``site_ids`` ...): each gets ``<column>_name`` (for
        ``site_ids``: ``site_names``) right after it; one it has already is named again in
        ``lang``.
    names
        The names (:meth:`Names.of`).
    lang
        ``"zh"`` shows ``name_zh`` where a row has one (else ``name``).
    rows
        The layer the index (level ``id``) holds ids of, e.g. ``"villages"``: its ``name`` comes
        first, and with ``both`` its ``name_zh`` beside it when the layer has Chinese names.
        A table with a ``name`` column already has it replaced by the name in ``lang``.
    both
        Besides the name in ``lang``, keep the other (``name_zh``) in a column of its own (the
        CSV, which keeps every name); a Chinese workbook shows one name column.
    """
    out = table.copy()
    if rows is not None:
        ids = out.index.get_level_values("id") if "id" in (out.index.names or []) else out.index
        shown = [names.shown(rows, str(k), lang) for k in ids]
        if "name" in out.columns:
            out["name"] = [s or old for s, old in zip(shown, out["name"], strict=True)]
        else:
            out.insert(0, "name", shown)
        if both and names.name_zh.get(rows) and "name_zh" not in out.columns:
            zh = names.name_zh[rows]
            out.insert(1, "name_zh", [zh.get(str(k), "") for k in ids])
    for column, (layer, target) in _ID_COLUMNS.items():
        if column not in out.columns:
            continue
        shown_names = _names_of(out[column], names, layer, lang)
        if target in out.columns:  # named before (in another language): named again
            out[target] = shown_names
        else:
            out.insert(list(out.columns).index(column) + 1, target, shown_names)
    return out
