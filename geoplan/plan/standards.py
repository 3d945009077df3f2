"""Standards as data: what a school should have and what it costs, each value with its source.

The defaults ship as ``geoplan/data/standards.yaml``. Every value carries its unit, its source, a
confidence (``high``, ``medium``, ``low``) and whether it is a ``placeholder`` (no source found);
outputs that use a placeholder say so. A scenario overrides values with a ``standards:`` section
(:func:`checked_overrides` checks every field; :meth:`Standards.with_overrides` applies them).

A value is a number, a number per level (``teaching_point``, ``primary``, ``middle``), or per level
a number by school size (``{6: a, 12: b}``: ``a`` up to 6 classes, ``b`` up to 12 and beyond).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from geoplan.data.messages import coded_problem
from geoplan.errors import Problem, ScenarioError, UnknownIdError

__all__ = [
    "CONFIDENCES",
    "LEVELS",
    "STANDARD_KEYS",
    "Standard",
    "StandardValue",
    "Standards",
    "checked_overrides",
    "default_standards",
    "load_standards",
    "standards_table",
]

_logger = logging.getLogger(__name__)

LEVELS: tuple[str, ...] = ("teaching_point", "primary", "middle")
"""Levels a standard may differ by."""

CONFIDENCES: tuple[str, ...] = ("high", "medium", "low")

STANDARD_KEYS: tuple[str, ...] = (
    "classrooms_per_class",
    "beds_per_boarder",
    "media_sets_per_class",
    "desk_sets_per_pupil",
    "pupils_per_computer",
    "classroom_building_m2",
    "classroom_m2_per_seat",
    "dormitory_m2_per_bed",
    "canteen_m2_per_pupil",
    "office_m2_per_teacher",
    "playground_m2_per_pupil",
    "building_yuan_per_m2",
    "boiler_yuan_per_m2",
    "bed_yuan",
    "media_set_yuan",
    "computer_yuan",
    "desk_set_yuan",
    "playground_yuan_per_m2",
    "rotation_share",
    "rotation_max_min",
)
"""Every standard the needs of a school use (the keys of ``standards.yaml``)."""

_SHARES = frozenset({"rotation_share"})  # values in (0, 1]

StandardValue = float | Mapping[str, Any]
"""A standard's value: a number, a number per level, or per level a number by school size."""


@dataclass(frozen=True)
class Standard:
    """One standard value and where it comes from.

    Parameters
    ----------
    key
        Name of the standard (one of :data:`STANDARD_KEYS`).
    value
        A number, a number per level, or per level a number by school size (classes).
    unit
        What the number counts.
    source
        Where the value comes from (``""`` for a placeholder).
    confidence
        ``high``, ``medium`` or ``low``.
    placeholder
        True when no source was found: outputs using it mark it.
    note
        Anything a planner should know about the value.
    """

    key: str
    value: StandardValue
    unit: str
    source: str
    confidence: str
    placeholder: bool
    note: str = ""

    def at(self, level: str | None = None, classes: float | None = None) -> float:
        """The number for a school ``level`` of ``classes`` classes."""
        value: Any = self.value
        if isinstance(value, Mapping):
            if level not in value:
                msg = f"Standard {self.key!r} has no value for level {level!r}; give one per level."
                raise UnknownIdError(msg)
            value = value[level]
        if isinstance(value, Mapping):
            sizes = sorted((int(k), float(v)) for k, v in value.items())
            wanted = 0.0 if classes is None else float(classes)
            for size, number in sizes:
                if wanted <= size:
                    return number
            return sizes[-1][1]
        return float(value)


@dataclass(frozen=True)
class Standards:
    """The standards a plan's needs use, keyed by name.

    Parameters
    ----------
    values
        One :class:`Standard` per key of :data:`STANDARD_KEYS`.
    file
        The YAML they were read from.
    items
        Per item of the needs: ``depends_on`` (items of the same school funded no later) and
        ``splittable`` (may be paid over several years), for the investment schedule.
    """

    values: Mapping[str, Standard]
    file: str = ""
    items: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Standard:
        """The standard called ``key``."""
        return self.values[key]

    def at(self, key: str, level: str | None = None, classes: float | None = None) -> float:
        """The number of standard ``key`` for a school ``level`` of ``classes`` classes."""
        return self.values[key].at(level, classes)

    def placeholder(self, *keys: str) -> bool:
        """Whether any of the standards ``keys`` is a placeholder."""
        return any(self.values[k].placeholder for k in keys)

    def with_overrides(self, overrides: Mapping[str, StandardValue], *, source: str) -> Standards:
        """These standards with ``overrides`` (checked values) set by ``source`` (a scenario)."""
        values = dict(self.values)
        for key, value in overrides.items():
            old = values[key]
            merged: StandardValue = value
            if isinstance(value, Mapping) and isinstance(old.value, Mapping):
                merged = {**old.value, **value}
            values[key] = replace(
                old,
                value=merged,
                source=f"set by {source}",
                confidence="high",
                placeholder=False,
                note=f"default was {old.value!r}",
            )
        return replace(self, values=values)


def _check_value(key: str, value: Any, where: str, problems: list[Problem], file: str) -> Any:
    """``value`` if it has a standard's shape (numbers > 0, per level, by size), else ``None``."""

    def coded(code: str, here: str, got: Any, **params: Any) -> None:
        problems.append(coded_problem(code, file, "standards", "", here, str(got)[:80], **params))

    def number(here: str, got: Any) -> float | None:
        ok = isinstance(got, int | float) and not isinstance(got, bool)
        if not ok or not math.isfinite(float(got)) or float(got) <= 0:
            coded("standard_not_positive", here, got)
            return None
        if key in _SHARES and float(got) > 1:
            coded("standard_share_over_one", here, got)
            return None
        return float(got)

    if not isinstance(value, Mapping):
        return number(where, value)
    out: dict[str, Any] = {}
    for level, inner in value.items():
        here = f"{where}.{level}"
        if level not in LEVELS:
            coded("standard_unknown_level", here, level, levels=", ".join(LEVELS))
            continue
        if isinstance(inner, Mapping):
            sizes: dict[int, float] = {}
            for size, number_ in inner.items():
                if not isinstance(size, int) or isinstance(size, bool) or size < 1:
                    coded("standard_size_not_whole", f"{here}.{size}", size)
                    continue
                got = number(f"{here}.{size}", number_)
                if got is not None:
                    sizes[size] = got
            out[str(level)] = sizes
        else:
            got = number(here, inner)
            if got is not None:
                out[str(level)] = got
    return out


def checked_overrides(
    section: Any, *, file: str = "", problems: list[Problem] | None = None
) -> dict[str, StandardValue]:
    """The checked values of a scenario's ``standards:`` section (problems collected).

    Parameters
    ----------
    section
        Mapping of standard name to its value (a number, per level, or by level and size).
    file
        The scenario file, for messages.
    problems
        Where to add problems; ``None``: raise :class:`~geoplan.errors.ScenarioError` on any.
    """
    found: list[Problem] = [] if problems is None else problems
    start = len(found)
    out: dict[str, StandardValue] = {}
    if not isinstance(section, Mapping):
        found.append(
            coded_problem(
                "standards_not_mapping", file, "standards", "", "standards", str(section)[:80]
            )
        )
    else:
        for key, value in section.items():
            where = f"standards.{key}"
            if key not in STANDARD_KEYS:
                found.append(
                    coded_problem(
                        "standard_unknown",
                        file,
                        "standards",
                        "",
                        where,
                        key,
                        known=", ".join(STANDARD_KEYS),
                    )
                )
                continue
            shape = default_standards()[str(key)].value
            if isinstance(shape, Mapping) != isinstance(value, Mapping):
                found.append(
                    coded_problem(
                        "standard_per_level"
                        if isinstance(shape, Mapping)
                        else "standard_one_number",
                        file,
                        "standards",
                        "",
                        where,
                        str(value)[:80],
                        default=repr(shape),
                    )
                )
                continue
            got = _check_value(str(key), value, where, found, file)
            if got is not None:
                out[str(key)] = got
    if problems is None and len(found) > start:
        lines = [f"{len(found)} problem(s) in standards:"] + [f"  - {p}" for p in found]
        raise ScenarioError("\n".join(lines), problems=found[start:])
    return out


def load_standards(path: str | Path | None = None) -> Standards:
    """Read a standards file (default: the shipped ``geoplan/data/standards.yaml``).

    Raises
    ------
    ScenarioError
        When a value is missing, misshapen, or claims a source it lacks (every problem listed).
    """
    if path is None:
        text = resources.files("geoplan.data").joinpath("standards.yaml").read_text("utf-8")
        file = "geoplan/data/standards.yaml"
    else:
        file = str(path)
        text = Path(path).read_text(encoding="utf-8")
    raw = yaml.safe_load(text) or {}
    problems: list[Problem] = []
    values: dict[str, Standard] = {}

    def coded(code: str, key: str, got: Any, **params: Any) -> None:
        problems.append(coded_problem(code, file, "standards", "", key, str(got)[:80], **params))

    for key in STANDARD_KEYS:
        entry = raw.get(key)
        if not isinstance(entry, Mapping) or "value" not in entry:
            coded("standard_missing", key, entry)
            continue
        value = _check_value(key, entry["value"], f"{key}.value", problems, file)
        confidence = entry.get("confidence")
        if confidence not in CONFIDENCES:
            coded(
                "standard_unknown_confidence", key, confidence, confidences=", ".join(CONFIDENCES)
            )
        source = str(entry.get("source") or "")
        placeholder = entry.get("placeholder")
        if not isinstance(placeholder, bool):
            coded("standard_placeholder_not_bool", key, placeholder)
        elif not placeholder and not source.strip():
            coded("standard_without_source", key, source)
        if value is None:
            continue
        values[key] = Standard(
            key=key,
            value=value,
            unit=str(entry.get("unit", "")),
            source=source,
            confidence=str(confidence),
            placeholder=bool(placeholder),
            note=str(entry.get("note", "") or ""),
        )
    items: dict[str, dict[str, Any]] = {}
    for item, rule in (raw.get("items") or {}).items():
        deps = rule.get("depends_on", []) if isinstance(rule, Mapping) else None
        split = rule.get("splittable", False) if isinstance(rule, Mapping) else None
        if not isinstance(deps, list) or not isinstance(split, bool):
            coded("standard_item_rule_bad", f"items.{item}", rule)
            continue
        items[str(item)] = {"depends_on": tuple(str(d) for d in deps), "splittable": split}
    for key in raw:
        if key == "items":
            continue
        if key not in STANDARD_KEYS:
            coded("standard_unknown", str(key), key, known=", ".join(STANDARD_KEYS))
    if problems:
        lines = [f"{len(problems)} problem(s) in standards file {file}:"]
        lines += [f"  - {p}" for p in problems]
        raise ScenarioError("\n".join(lines), problems=problems)
    return Standards(values=values, file=file, items=items)


@lru_cache(maxsize=1)
def default_standards() -> Standards:
    """The shipped standards (read once)."""
    return load_standards()


def standards_table(standards: Standards) -> list[dict[str, Any]]:
    """One row per standard: key, value, unit, source, confidence, placeholder, note."""
    return [
        {
            "standard": s.key,
            "value": s.value
            if not isinstance(s.value, Mapping)
            else yaml.safe_dump(
                _plain(s.value), default_flow_style=True, allow_unicode=True
            ).strip(),
            "unit": s.unit,
            "source": s.source,
            "confidence": s.confidence,
            "placeholder": s.placeholder,
            "note": s.note,
        }
        for s in standards.values.values()
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value
