"""The ``geoplan`` command line: parses arguments and calls the library, nothing more.

Each sub-command has an ``_add_<name>`` function that registers its parser and a handler that
calls the library. Errors a planner can cause (:class:`GeoplanError`) print their message and exit
with status 1. Anything else is a bug in geoplan: it is printed as one line with a hint to report
it and exits with status 2 (``--debug`` shows the traceback). No traceback reaches a user.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from geoplan import __version__
from geoplan.data.messages import coded_error, coded_problem
from geoplan.errors import ArgumentError, GeoplanError, OutputFormatError

__all__ = [
    "COMMANDS",
    "Handler",
    "build_parser",
    "configure_logging",
    "main",
]

_logger = logging.getLogger("geoplan")

Handler = Callable[[argparse.Namespace], int]


def _output_folder(path: Path) -> Path:
    """``--out`` as given, refused before anything runs when it names an existing file."""
    if path.exists() and not path.is_dir():
        raise coded_error(OutputFormatError, "out_is_a_file", str(path), "", "", "--out", "")
    return path


_NUMBER_FLAGS: dict[str, tuple[str, str, int]] = {
    "cutoff_min": ("--cutoff-min", "minutes", 30),
    "tolerance_m": ("--tolerance-m", "metres", 1000),
    "workers": ("--workers", "whole", 4),
}
"""Number options by their ``dest``: the flag as typed, its unit (``whole``: a count of at least
1) and an example; :func:`_check_number_flags` refuses a value out of range by the flag."""


def _check_number_flags(args: argparse.Namespace) -> None:
    """Refuse, before anything runs, a number option that is not positive (or not a count >= 1).

    The library checks its own arguments by their field names (``cutoff_min``, ``workers=4``, with
    the same catalogue codes); the user typed the flag, so the command line checks its flags here,
    all in one table (:data:`_NUMBER_FLAGS`).
    """
    for dest, (flag, unit, example) in _NUMBER_FLAGS.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        if unit == "whole":
            if value < 1:
                raise coded_error(
                    ArgumentError, "flag_not_whole", "", "", "", "", "",
                    flag=flag, value=value, low=1, example=f"{flag} {example}",
                )  # fmt: skip
        elif not (math.isfinite(value) and value > 0):
            raise coded_error(
                ArgumentError, "flag_not_positive", "", "", "", "", "",
                flag=flag, value=f"{value:g}", unit=unit, example=example,
            )  # fmt: skip


def _add_out(p: argparse.ArgumentParser) -> None:
    """``--out``: the output folder (checked by :func:`_output_folder` before anything runs)."""
    p.add_argument(
        "--out", type=Path, default=Path("outputs"), help="output folder (default: outputs)"
    )


def _add_lang(p: argparse.ArgumentParser, help_text: str, *, default: str | None = "en") -> None:
    """``--lang``: one of the languages geoplan writes (``geoplan.outputs.labels.LANGUAGES``)."""
    from geoplan.outputs.labels import LANGUAGES

    p.add_argument("--lang", choices=LANGUAGES, default=default, help=help_text)


def _add_baseline(p: argparse.ArgumentParser) -> None:
    """``--baseline``: the scenario a comparison measures the changes against."""
    p.add_argument(
        "--baseline",
        metavar="NAME",
        help="scenario the changes are measured against (default: the status quo)",
    )


def _add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help="run the whole tool on the embedded (synthetic) demo county",
        description=(
            "Run geoplan on the embedded demo county, a synthetic county shaped like Hejing "
            "County, and write maps and tables to OUT/demo/. Needs no network."
        ),
    )
    _add_out(p)
    _add_lang(p, "label language")
    p.set_defaults(handler=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from geoplan.runs.demo import run_demo

    folder = run_demo(_output_folder(args.out), lang=args.lang)
    print(f"Demo written to {folder}")
    return 0


def _add_validate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "validate",
        help="check a planning-area folder and list every problem",
        description=(
            "Read a planning-area folder (or .gpkg) the way every command does, and print every "
            "problem as a table: file, layer, row, column, value, problem and fix; notes say how "
            "a file was read (title rows, totals, synonyms). Exits 0 when clean or with "
            "warnings only, 1 on errors. Writes nothing, except --write-columns."
        ),
    )
    p.add_argument("folder", type=Path, help="planning-area folder or GeoPackage")
    p.add_argument(
        "--strict", action="store_true", help="warnings fail too (exit 1); notes never do"
    )
    p.add_argument("--columns", type=Path, help="columns.yaml to use instead of the folder's")
    p.add_argument(
        "--write-columns",
        action="store_true",
        help="write FOLDER/columns.yaml: how each header was read, for you to check (never "
        "overwrites a file)",
    )
    p.add_argument(
        "--tolerance-m",
        type=float,
        default=1000.0,
        help="how far outside the townships a location may lie, metres (default 1000)",
    )
    _add_lang(p, "language of the problems and fixes")
    p.add_argument(
        "--report",
        type=Path,
        metavar="PROBLEMS.xlsx",
        help="also write the problems as a sheet (file, row, column, value, problem, fix; "
        "English and Chinese) to send back to the office that made the files",
    )
    p.set_defaults(handler=_run_validate)


def _run_validate(args: argparse.Namespace) -> int:
    from geoplan.data.readers import columns_yaml_text
    from geoplan.data.validation import format_problems, write_problem_report
    from geoplan.runs.checks import check_folder

    if args.report is not None and (args.report.suffix.lower() != ".xlsx" or args.report.is_dir()):
        raise coded_error(
            OutputFormatError, "report_not_xlsx", str(args.report), "", "", "--report", ""
        )
    checked = check_folder(args.folder, columns=args.columns, boundary_tolerance_m=args.tolerance_m)
    problems, info = checked.problems, checked.info
    print(format_problems(problems, lang=args.lang))
    if args.report is not None:
        print(f"Wrote {write_problem_report(problems, args.report)}")
    if args.write_columns:
        target = Path(info["folder"]) / "columns.yaml"
        if target.exists():
            print(f"Not written: {target} exists; move it away to write a new one.")
            return 1
        target.write_text(columns_yaml_text(info["columns"]), encoding="utf-8")
        print(f"Wrote {target}")
    failing = [
        p for p in problems if p.severity == "error" or (args.strict and p.severity == "warning")
    ]
    return 1 if failing else 0


def _add_template(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "template",
        help="write blank XLSX sheets for villages, schools and sites",
        description=(
            "Write villages.xlsx, schools.xlsx and sites.xlsx with one header row "
            "'中文 / english', dropdowns for kind, status and decision, and a notes sheet in "
            "English and Chinese, ready to fill in and check with 'geoplan validate'. Never "
            "overwrites files."
        ),
    )
    p.add_argument("folder", type=Path, help="folder to write the templates into")
    p.set_defaults(handler=_run_template)


def _run_template(args: argparse.Namespace) -> int:
    from geoplan.data.templates import write_templates

    for path in write_templates(args.folder):
        print(f"Wrote {path}")
    return 0


def _add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run",
        help="run one scenario file and write its maps, tables and GeoPackage",
        description=(
            "Read a scenario file (YAML), make its plan and write OUT/<name>/: maps, tables as "
            "CSV and XLSX, results.gpkg, metrics.json and manifest.json. The folder is replaced "
            "only when the run succeeds."
        ),
    )
    p.add_argument("scenario", type=Path, help="scenario file (.yaml)")
    _add_out(p)
    _add_lang(
        p,
        "language of the problems reported when the input is refused (the maps, the tables "
        "and the logged warnings are in the scenario's outputs.lang)",
    )
    p.set_defaults(handler=_run_run)


def _run_run(args: argparse.Namespace) -> int:
    from geoplan.runs.runner import run_scenario

    folder = run_scenario(args.scenario, out=_output_folder(args.out))
    print(f"Scenario written to {folder}")
    return 0


def _add_compare(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "compare",
        help="run several scenarios and compare them side by side",
        description=(
            "Run each scenario file (or read each earlier output folder) and write "
            "OUT/comparison.html and OUT/comparison.xlsx, one row per scenario with the best "
            "value of each indicator marked, and a before/after map of two scenarios."
        ),
    )
    p.add_argument("inputs", type=Path, nargs="+", help="scenario files or output folders")
    _add_out(p)
    p.add_argument("--pair", nargs=2, metavar=("A", "B"), help="scenarios of the before/after map")
    _add_lang(p, "language of the page, sheet and map")
    _add_baseline(p)
    p.set_defaults(handler=_run_compare)


def _run_compare(args: argparse.Namespace) -> int:
    from geoplan.runs.compare import compare

    result = compare(
        args.inputs,
        _output_folder(args.out),
        pair=tuple(args.pair) if args.pair else None,
        lang=args.lang,
        baseline=args.baseline,
    )
    print(f"Comparison written to {result.html} and {result.xlsx}")
    return 0


def _add_travel(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from geoplan.network.modes import MODES
    from geoplan.network.travel import POINT_LAYERS

    p = sub.add_parser(
        "travel",
        help="write road-network travel times between two layers",
        description=(
            "Read a planning-area folder and its road network, and write journey minutes and "
            "metres from every place of one layer to every place of another (blocks start at a "
            "point inside each block). Unreachable journeys are empty cells. Needs no network."
        ),
    )
    p.add_argument("folder", type=Path, help="planning-area folder or GeoPackage")
    p.add_argument("--mode", required=True, choices=sorted(MODES), help="travel mode")
    p.add_argument(
        "--from", dest="origins", default="villages", choices=POINT_LAYERS, help="origin layer"
    )
    p.add_argument(
        "--to", dest="destinations", default="schools", choices=POINT_LAYERS, help="destinations"
    )
    p.add_argument(
        "--out",
        type=Path,
        help="output .csv or .xlsx (default: outputs/travel_MODE_FROM_TO.csv)",
    )
    p.add_argument(
        "--wide",
        action="store_true",
        help="origins down, destinations across (XLSX: up to 16,000 columns, 1,000,000 cells)",
    )
    p.add_argument("--cutoff-min", type=float, help="leave journeys longer than this empty")
    p.add_argument(
        "--close",
        action="append",
        default=[],
        metavar="ROAD_NAME",
        help="close the road of this name (a winter pass); repeatable",
    )
    p.add_argument("--roads", type=Path, help="road file to use instead of the folder's own")
    p.set_defaults(handler=_run_travel)


def _run_travel(args: argparse.Namespace) -> int:
    from geoplan.data.readers import read_planning_area
    from geoplan.network.modes import Closure
    from geoplan.network.travel import area_matrix, write_matrix

    if args.out is not None and args.out.is_dir():
        raise coded_error(
            OutputFormatError, "out_is_a_folder", str(args.out), "", "", "--out", "",
            example=args.out / "journeys.csv",
        )  # fmt: skip
    area = read_planning_area(args.folder)
    closures = [Closure(label=name, names=(name,)) for name in args.close]
    matrix = area_matrix(
        area,
        mode=args.mode,
        origins=args.origins,
        destinations=args.destinations,
        cutoff_min=args.cutoff_min,
        closures=closures,
        roads=args.roads,
    )
    out = args.out or Path("outputs") / (
        f"travel_{args.mode}_{args.origins}_{args.destinations}.csv"
    )
    path = write_matrix(matrix, out, wide=args.wide)
    n_o, n_d = matrix.shape
    print(
        f"Wrote {path}: {n_o} {args.origins} x {n_d} {args.destinations} by {args.mode}, "
        f"{len(matrix.unreachable())} journeys unreachable."
    )
    return 0


def _add_batch(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "batch",
        help="run every scenario file of a folder in parallel and compare them",
        description=(
            "Run every scenario file directly in FOLDER (*.yaml, *.yml, *.toml; sub-folders such "
            "as base/ are not run) into OUT/<batch>/<scenario>/, then write "
            "OUT/<batch>/comparison.html, comparison.xlsx and batch_status.json. Local worker "
            "processes by default; a Dask cluster with --scheduler or --local-cluster. A failing "
            "scenario is reported and the others go on; exits 1 when any scenario failed."
        ),
    )
    p.add_argument("folder", type=Path, help="folder of scenario files")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    engine = p.add_mutually_exclusive_group()
    engine.add_argument(
        "--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://host:8786"
    )
    engine.add_argument(
        "--local-cluster", action="store_true", help="run on an embedded Dask LocalCluster"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="keep scenarios already finished from the same inputs; run only the rest",
    )
    _add_out(p)
    p.add_argument("--name", help="batch name (default: the folder's name)")
    _add_baseline(p)
    p.add_argument(
        "--best-by",
        metavar="INDICATOR",
        default="after_beyond_day_limit_g1_3",
        help="indicator choosing the best scenario for the before/after map (default: "
        "after_beyond_day_limit_g1_3)",
    )
    _add_lang(p, "comparison language (default: the baseline's)", default=None)
    p.set_defaults(handler=_run_batch)


def _run_batch(args: argparse.Namespace) -> int:
    from geoplan.runs.batch import run_batch

    result = run_batch(
        args.folder,
        out=_output_folder(args.out),
        workers=args.workers,
        scheduler=args.scheduler,
        local_cluster=args.local_cluster,
        resume=args.resume,
        name=args.name,
        baseline=args.baseline,
        best_by=args.best_by,
        lang=args.lang,
    )
    ok = int((result.status["status"] == "ok").sum())
    print(
        f"Batch {result.name}: {ok} of {len(result.status)} scenarios ok; comparison in "
        f"{result.comparison_html}, log in {result.status_file}"
    )
    for file in result.failed:
        print(f"  failed: {file}: {result.status.at[file, 'error']!s}", file=sys.stderr)
    return 1 if result.failed else 0


COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_demo,
    _add_validate,
    _add_template,
    _add_run,
    _add_compare,
    _add_travel,
    _add_batch,
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
    parser.add_argument("--version", action="version", version=f"geoplan {__version__}")
    _add_global_options(parser, default=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    for command in sub.choices.values():
        _add_global_options(command, default=argparse.SUPPRESS)
    return parser


_CHATTY = ("fontTools", "matplotlib", "PIL")
"""Libraries whose INFO and DEBUG lines say nothing a planner can use, even with ``-v``."""


def configure_logging(*, verbose: bool = False, quiet: bool = False) -> None:
    """Log geoplan's INFO lines and every library's warnings; ``verbose``: more of both.

    By default only geoplan speaks at INFO (what it read, wrote and decided); other libraries
    (pyogrio's "Created N records", osmnx, distributed) show warnings and errors only. With
    ``verbose`` geoplan logs DEBUG and the libraries INFO, except font and image libraries; with
    ``quiet`` geoplan too logs warnings and errors only. Python warnings of the libraries go to
    the log at DEBUG (:func:`_log_warning`), never to the screen with their source lines.
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.getLogger("geoplan").setLevel(level)
    for chatty in _CHATTY:
        logging.getLogger(chatty).setLevel(logging.WARNING)
    warnings.showwarning = _log_warning


def _log_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """A Python warning (GDAL's via pyogrio, pandas ...) logged at DEBUG, shown only with -v.

    What a planner must know is a problem or a log line of geoplan's own; a library's warning
    with its source line is for a bug report.
    """
    _logger.debug("%s: %s (%s:%d)", category.__name__, message, filename, lineno)


def _add_global_options(parser: argparse.ArgumentParser, *, default: object) -> None:
    """``-v``, ``-q`` and ``--debug``, accepted before or after the command.

    The sub-commands' copies default to ``SUPPRESS`` so that an option given before the command
    is not reset by the sub-command's parser.
    """
    group = parser.add_argument_group("output options (before or after the command)")
    group.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="log more detail"
    )
    group.add_argument(
        "-q", "--quiet", action="store_true", default=default, help="log warnings and errors only"
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="show the Python traceback of an unexpected error (for a bug report)",
    )


def _explained(err: GeoplanError, lang: str) -> str:
    """The message of ``err``, or in ``zh`` its problems as a table."""
    if lang == "en":
        return str(err)
    from geoplan.data.validation import format_problems

    # a refusal not yet in the catalogue still reads as one problem, its English text quoted
    problems = err.problems or [coded_problem("untranslated", "", "", "", "", "", error=err)]
    errors = [p for p in problems if p.severity == "error"]
    area = getattr(err, "area", "")
    where = f"规划区 {area} " if area else "输入"
    head = f"{where}有 {len(errors)} 个问题:" if lang == "zh" else ""
    return f"{head}\n{format_problems(errors, lang=lang)}"


class _Stopped(KeyboardInterrupt):
    """Raised in the main thread by SIGTERM or SIGINT, so every ``finally`` and cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise _Stopped(signum)


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """While a command runs, SIGTERM and SIGINT raise :class:`_Stopped` (earlier handlers after).

    Only the main thread may set handlers; :func:`main` called from another thread keeps them.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    earlier = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in earlier.items():
            signal.signal(sig, handler)


def _out_of(args: argparse.Namespace) -> str:
    """Where the command writes, for the line saying nothing was written there."""
    out = getattr(args, "out", None)
    return str(out) if out is not None else "the output folder"


def _quiet_stdout() -> None:
    """Point standard output at the null device, so Python's flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor (a test's stream): nothing to flush
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``geoplan`` command line; returns the exit status.

    0: done; 1: a problem with the input or the options, explained; 2: an unexpected error (a bug
    in geoplan), explained in one line; 143: stopped by SIGTERM; 130: stopped by SIGINT (Ctrl-C);
    141: its output's reader closed the pipe (``| head``), said nowhere.
    A stopped command removes its staging folder: earlier outputs stay as they were.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(verbose=args.verbose, quiet=args.quiet)
    handler: Handler = args.handler
    try:
        _check_number_flags(args)
        with _stopped_by_signals():
            status = handler(args)
        sys.stdout.flush()  # a closed pipe is met here, not in Python's flush at exit
        return status
    except GeoplanError as err:
        print(
            f"geoplan {args.command}: {_explained(err, getattr(args, 'lang', None) or 'en')}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt as err:
        signum = err.signum if isinstance(err, _Stopped) else signal.SIGINT
        print(
            f"geoplan {args.command}: Stopped by {signal.Signals(signum).name}; nothing was "
            f"written to {_out_of(args)} (earlier outputs there are unchanged).",
            file=sys.stderr,
        )
        return 128 + signum
    except BrokenPipeError:  # the reader went away (`geoplan validate ... | head`): no error
        _quiet_stdout()
        return 128 + signal.SIGPIPE
    except Exception as err:
        if args.debug:
            raise
        print(
            f"geoplan {args.command}: unexpected error ({type(err).__name__}: {err}). This is a "
            "bug in geoplan, not in your data: please report it with the command you ran, and "
            "rerun with --debug to see the details.",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
