"""The ``geoplan`` command line: parses arguments and calls the library, nothing more.

Each sub-command has an ``_add_<name>`` function that registers its parser and a handler that
calls the library. Errors a planner can cause (:class:`GeoplanError`) print their message and exit
with status 1; nothing else is caught.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ._errors import GeoplanError

logger = logging.getLogger("geoplan")

Handler = Callable[[argparse.Namespace], int]


def _add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help="run the whole tool on the embedded (synthetic) demo county",
        description=(
            "Run geoplan on the embedded demo county, a synthetic county shaped like Hejing "
            "County, and write maps and tables to OUT/demo/. Needs no network."
        ),
    )
    p.add_argument(
        "--out", type=Path, default=Path("outputs"), help="output folder (default: outputs)"
    )
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="label language")
    p.set_defaults(handler=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    folder = run_demo(args.out, lang=args.lang)
    print(f"Demo written to {folder}")
    return 0


def _add_validate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "validate",
        help="check a planning-area folder and list every problem",
        description=(
            "Read a planning-area folder (or .gpkg) the way every command does, and print every "
            "problem as a table: file, layer, row, column, value, problem and fix. Exits 0 when "
            "clean or with warnings only, 1 on errors. Writes nothing."
        ),
    )
    p.add_argument("folder", type=Path, help="planning-area folder or GeoPackage")
    p.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    p.add_argument("--columns", type=Path, help="columns.yaml to use instead of the folder's")
    p.add_argument(
        "--tolerance-m",
        type=float,
        default=1000.0,
        help="how far outside the townships a location may lie, metres (default 1000)",
    )
    p.set_defaults(handler=_run_validate)


def _run_validate(args: argparse.Namespace) -> int:
    from ._validate import format_problems
    from .io import validate_folder

    problems = validate_folder(
        args.folder, columns=args.columns, boundary_tolerance_m=args.tolerance_m
    )
    print(format_problems(problems))
    failing = [p for p in problems if args.strict or p.severity == "error"]
    return 1 if failing else 0


def _add_template(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "template",
        help="write blank XLSX sheets for villages, schools and sites",
        description=(
            "Write villages.xlsx, schools.xlsx and sites.xlsx with one header row "
            "'中文 / english' and a notes sheet, ready to fill in and check with "
            "'geoplan validate'. Never overwrites files."
        ),
    )
    p.add_argument("folder", type=Path, help="folder to write the templates into")
    p.set_defaults(handler=_run_template)


def _run_template(args: argparse.Namespace) -> int:
    from .templates import write_templates

    for path in write_templates(args.folder):
        print(f"Wrote {path}")
    return 0


COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_demo,
    _add_validate,
    _add_template,
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog="geoplan",
        description=(
            "geoplan turns township boundaries, villages with pupil counts, schools and road "
            "networks into road-network travel times, chooses teaching points to restore and "
            "school districts to draw, and writes maps and tables for planners."
        ),
        epilog="Run 'geoplan COMMAND --help' for the options of one command.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``geoplan`` command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    handler: Handler = args.handler
    try:
        return handler(args)
    except GeoplanError as err:
        print(f"geoplan {args.command}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
