"""YAML files read with every key checked: a key written twice is a problem, not an override.

PyYAML's ``safe_load`` keeps the last of two equal keys silently, so a scenario with two
``restoration:`` sections loses the first one (and its ``must: [P09]``). :func:`load_yaml` reads
with :class:`UniqueKeyLoader`, which records each mapping key written twice (both lines), and
returns the line of every field (``restoration.must``, ``closures.roads[0].names``) so that a
problem can name the line of the file it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from geoplan.data.messages import coded_problem
from geoplan.errors import Problem

__all__: list[str] = []


@dataclass(frozen=True)
class Duplicate:
    """A mapping key written twice: its dotted path and the two lines (1-based)."""

    path: str
    first_line: int
    line: int


@dataclass(frozen=True)
class YamlText:
    """The data of a YAML text, the line of each field and the keys written twice."""

    data: Any
    lines: dict[str, int] = field(default_factory=dict)
    duplicates: tuple[Duplicate, ...] = ()


class UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that records every mapping key written twice, at any depth."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.lines: dict[str, int] = {}
        self.duplicates: list[Duplicate] = []

    def walk(self, node: Node, path: str) -> None:
        """Record the line of each field under ``node`` and each key written twice."""
        if isinstance(node, MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                where = f"{path}.{key}" if path else key
                line = key_node.start_mark.line + 1
                if key in seen:
                    self.duplicates.append(Duplicate(where, seen[key], line))
                else:
                    seen[key] = line
                    self.lines[where] = line
                self.walk(value_node, where)
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                where = f"{path}[{i}]"
                self.lines.setdefault(where, item.start_mark.line + 1)
                self.walk(item, where)


def load_yaml(text: str) -> YamlText:
    """The data of ``text`` (safe YAML), the line of each field and every key written twice.

    Raises
    ------
    yaml.YAMLError
        When the text is not YAML.
    """
    loader = UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlText(None)
        loader.walk(node, "")
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    return YamlText(data, dict(loader.lines), tuple(loader.duplicates))


def line_of(lines: dict[str, int], where: str) -> int | None:
    """The line of field ``where`` or of the nearest enclosing field written in the file."""
    path = where
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


def duplicate_problems(
    file: str, duplicates: tuple[Duplicate, ...], layer: str = ""
) -> list[Problem]:
    """One error per key written twice, naming both lines."""
    return [
        coded_problem(
            "key_twice",
            file,
            layer or d.path.split(".")[0].split("[")[0],
            f"line {d.line}",
            d.path,
            d.path,
            key=d.path,
            first=d.first_line,
            line=d.line,
            name=d.path.rsplit(".", 1)[-1],
        )
        for d in duplicates
    ]
