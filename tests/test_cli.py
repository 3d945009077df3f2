"""The command line as a user meets it: --version, global options anywhere, and no traceback.

Every command is driven with a broken input through the real ``geoplan`` entry point (a
subprocess, as a user runs it): each must exit 1 with one explained line on stderr, never a
Python traceback, and write nothing. An unexpected error (a bug) exits 2 with a hint to report
it; ``--debug`` shows its traceback.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

import geoplan
from geoplan import cli

DATA = Path(__file__).parent / "data"
TINY = DATA / "good" / "tiny"


def _geoplan(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "geoplan", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_version() -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0


def test_version_through_the_entry_point(tmp_path: Path) -> None:
    done = _geoplan("--version", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == f"geoplan {geoplan.__version__}"


@pytest.mark.parametrize(
    "argv",
    [
        ["-v", "validate", "x"],
        ["validate", "-v", "x"],
        ["validate", "x", "-v"],
        ["-q", "validate", "x"],
        ["validate", "x", "--quiet"],
    ],
)
def test_global_options_before_or_after_the_command(argv: list[str]) -> None:
    args = cli.build_parser().parse_args(argv)
    assert args.command == "validate"
    assert args.verbose == ("-v" in argv)
    assert args.quiet == ("-q" in argv or "--quiet" in argv)
    assert args.debug is False


def test_every_command_is_covered_below() -> None:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == {case[0] for case in BROKEN}


def _broken_scenario(tmp: Path) -> Path:
    path = tmp / "broken.yaml"
    path.write_text("name: broken\narea: no_such_folder\n", encoding="utf-8")
    return path


def _a_file(tmp: Path) -> Path:
    path = tmp / "a_file.txt"
    path.write_text("not a folder\n", encoding="utf-8")
    return path


BROKEN = [
    ("demo", lambda tmp: ["demo", "--out", str(_a_file(tmp))]),
    ("validate", lambda tmp: ["validate", str(tmp / "missing_folder")]),
    ("template", lambda tmp: ["template", str(_a_file(tmp))]),
    ("run", lambda tmp: ["run", str(_broken_scenario(tmp)), "--out", str(tmp / "out")]),
    ("compare", lambda tmp: ["compare", str(tmp / "missing.yaml"), "--out", str(tmp / "out")]),
    (
        "travel",
        lambda tmp: [
            "travel",
            str(TINY),
            "--mode",
            "child_walk",
            "--cutoff-min",
            "-5",
            "--out",
            str(tmp / "out" / "t.csv"),
        ],
    ),
    ("batch", lambda tmp: ["batch", str(tmp / "missing_folder"), "--out", str(tmp / "out")]),
]


@pytest.mark.parametrize(("command", "make_argv"), BROKEN, ids=[c for c, _ in BROKEN])
def test_broken_input_is_explained_without_a_traceback(
    command: str, make_argv: object, tmp_path: Path
) -> None:
    assert callable(make_argv)
    argv = make_argv(tmp_path)
    done = _geoplan(*argv, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.startswith(f"geoplan {command}: "), done.stderr
    assert not (tmp_path / "out").exists(), f"{command} wrote outputs on a failed run"


def test_unexpected_error_is_one_line_with_a_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def bug(args: argparse.Namespace) -> int:
        return int("not a number")

    monkeypatch.setattr(cli, "_run_template", bug)
    assert cli.main(["template", "x"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "unexpected error (ValueError" in err
    assert "report" in err and "--debug" in err
    with pytest.raises(ValueError, match="not a number"):
        cli.main(["template", "x", "--debug"])


def test_a_reader_closing_the_pipe_is_no_error(tmp_path: Path) -> None:
    """`geoplan validate FOLDER | head -1`: the reader goes away before geoplan writes; geoplan
    stops quietly (141, as a shell's pipe would), with no 'unexpected error' and no traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "geoplan", "validate", str(DATA / "bad" / "messy")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the folder is read and its problems printed
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=300) == 141, err
    assert "unexpected error" not in err and "Traceback" not in err and "Exception" not in err


@pytest.mark.slow
@pytest.mark.parametrize(("signal_name", "status"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_stopped_run_leaves_no_staging_folder(
    tmp_path: Path, signal_name: str, status: int
) -> None:
    """A run stopped while writing exits 128 + signal, leaves no staging folder, keeps the old."""
    import signal
    import time

    out = tmp_path / "out"
    earlier = out / "demo"
    earlier.mkdir(parents=True)
    (earlier / "metrics.json").write_text('{"earlier": true}\n', encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "geoplan", "demo", "--out", str(out)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not list(out.glob(".demo.tmp*")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the demo never started writing"
        time.sleep(0.05)
    proc.send_signal(getattr(signal, signal_name))
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == status, stderr
    assert sorted(p.name for p in out.iterdir()) == ["demo"]
    assert sorted(p.name for p in earlier.iterdir()) == ["metrics.json"]
    assert (earlier / "metrics.json").read_text(encoding="utf-8") == '{"earlier": true}\n'
    assert f"Stopped by {signal_name}; nothing was written to {out}" in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("argv", "flag", "fix"),
    [
        (["travel", str(TINY), "--mode", "car", "--cutoff-min", "-5"], "--cutoff-min", "30"),
        (["travel", str(TINY), "--mode", "car", "--cutoff-min", "nan"], "--cutoff-min", "30"),
        (["validate", str(TINY), "--tolerance-m", "-5"], "--tolerance-m", "1000"),
        (["batch", str(TINY), "--workers", "0"], "--workers", "4"),
    ],
)
def test_a_bad_number_flag_names_the_flag_and_the_fix(
    argv: list[str], flag: str, fix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A number option out of range is refused before anything runs, by the flag the user typed."""
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert f"{flag} takes a" in err and f"such as {flag} {fix}" in err, err
    assert "_" not in err.split(":", 1)[1].replace("--", ""), err  # no internal field name


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_refused_planning_area_is_named_with_its_files(
    tmp_path: Path, lang: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``geoplan run`` on a bad area names the planning-area folder beside the file and row."""
    import pickle

    from geoplan.data.readers import read_planning_area
    from geoplan.errors import ValidationError

    area = DATA / "bad" / "duplicate_id"
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"name: s\narea: {{folder: {area}}}\n", encoding="utf-8")
    assert cli.main(["run", str(scenario), "--out", str(tmp_path / "out"), "--lang", lang]) == 1
    err = capsys.readouterr().err
    assert f"`{area}/`" in err and "villages.csv" in err, err
    with pytest.raises(ValidationError) as refused:
        read_planning_area(area)
    assert str(pickle.loads(pickle.dumps(refused.value))) == str(refused.value)  # batch workers
