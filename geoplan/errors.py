"""The geoplan error tree.

Every error a planner can cause derives from :class:`GeoplanError`; the leaves also subclass the
matching builtin (``ValueError``, ``FileNotFoundError``) so generic handlers keep working.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ArgumentError",
    "ArgumentTypeError",
    "CRSError",
    "GeoplanError",
    "InfeasibleError",
    "InputFileError",
    "MapAssetError",
    "MissingDependencyError",
    "MissingInputError",
    "NetworkError",
    "OutputFormatError",
    "Problem",
    "ScenarioError",
    "UnknownIdError",
    "ValidationError",
]


class GeoplanError(Exception):
    """Base class of every error geoplan raises on purpose.

    ``problems`` holds the coded problems behind the error (file, row, column, value, fix, in
    the catalogue's languages: ``geoplan run --lang zh``); it is empty for an error raised with
    a plain message.
    """

    problems: list[Problem]

    def __init__(self, *args: object, problems: Iterable[Problem] = ()) -> None:
        super().__init__(*args)
        self.problems = list(problems)


@dataclass(frozen=True)
class Problem:
    """One problem found in the input, in a planner's terms.

    Parameters
    ----------
    file
        The file (or folder) the problem is in.
    layer
        The layer (``villages``, ``schools`` ...) or scenario section.
    row_id
        The id of the offending row, or ``""`` for a whole-file problem.
    column
        The column or field, or ``""``.
    value
        The offending value, as text.
    message
        What is wrong.
    fix
        What to do about it.
    severity
        ``"error"``, ``"warning"`` or ``"note"`` (how something was read, e.g. a title row
        skipped or a header read by its synonym; nothing to fix).
    code
        The problem's key in the catalogue of :mod:`geoplan.data.messages` (its text in English
        and Chinese), or ``""``.
    params
        The values the catalogue text names, as ``(name, text)`` pairs.
    """

    file: str
    layer: str
    row_id: str
    column: str
    value: str
    message: str
    fix: str
    severity: str = "error"
    code: str = ""
    params: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"[{self.severity}] {self.where()}: {self.message} Fix: {self.fix}"

    def where(self) -> str:
        """File, layer, row, column and value, as far as known (``villages.csv, row V019``)."""
        return ", ".join(
            part
            for part in (
                self.file,
                f"layer {self.layer}" if self.layer else "",
                _row_text(self.row_id),
                f"column {self.column}" if self.column else "",
                f"value {self.value!r}" if self.value != "" else "",
            )
            if part
        )


def _row_text(row_id: str) -> str:
    """``row V019``; a place in the file (``line 7``, ``feature 2``) as it is."""
    if not row_id:
        return ""
    if row_id.split(" ")[0] in ("line", "lines", "feature", "features", "sheet"):
        return row_id
    return f"row {row_id}"


class ValidationError(GeoplanError, ValueError):
    """Input data that breaks the data contract; holds every problem found."""

    def __init__(self, problems: list[Problem], area: str = "") -> None:
        errors = [p for p in problems if p.severity == "error"]
        where = f"planning area {area}" if area else "the input"
        lines = [f"{len(errors)} problem(s) in {where}:"] + [f"  - {p}" for p in errors]
        super().__init__("\n".join(lines), problems=problems)
        self.area = area  # the planning-area folder (or .gpkg) of the problems' files, or ""

    def __reduce__(self) -> tuple[type[ValidationError], tuple[list[Problem], str]]:
        # rebuilt from its problems and area (its arguments), so it crosses process boundaries
        return (type(self), (self.problems, self.area))


class InputFileError(GeoplanError, ValueError):
    """A file that cannot be read at all (missing, wrong format, undecodable)."""


class OutputFormatError(GeoplanError, ValueError):
    """An output that cannot be written in the format asked for (a suffix, a size Excel refuses)."""


class MissingInputError(GeoplanError, FileNotFoundError):
    """A file or folder named by the user does not exist."""


class CRSError(GeoplanError, ValueError):
    """A coordinate reference system that is missing, unknown or unsuitable."""


class NetworkError(GeoplanError, ValueError):
    """A road network that cannot be built or routed."""


class InfeasibleError(GeoplanError, ValueError):
    """A planning model with no feasible solution; the message says why in numbers."""


class ScenarioError(GeoplanError, ValueError):
    """A scenario file with a bad, unknown or missing field (``problems``: each one found)."""


class MapAssetError(GeoplanError, RuntimeError):
    """A map asset (script, stylesheet, font) that cannot be inlined for offline use."""


class MissingDependencyError(GeoplanError, ImportError):
    """An optional dependency needed for a feature is not installed."""


class ArgumentError(GeoplanError, ValueError):
    """An argument of a geoplan function out of range or inconsistent with the others."""


class ArgumentTypeError(GeoplanError, TypeError):
    """An argument of a geoplan function of a kind it cannot use."""


class UnknownIdError(GeoplanError, KeyError):
    """A name or id (layer, band, school, site) that is not among the known ones."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
