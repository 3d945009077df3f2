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


COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_demo,
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
