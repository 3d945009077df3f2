"""Batches: Dask on 127.0.0.1, killed workers, a killed driver and --resume, broken scenarios.

The batches run the tiny hand-worked scenarios of ``tests/data/scenarios`` (copied into a temp
folder, with variants), so each scenario takes about a second once a worker has imported geoplan.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import psutil
import pytest

from geoplan import cli
from geoplan.data.messages import problem_text
from geoplan.errors import MissingInputError, ScenarioError
from geoplan.network.modes import MODES
from geoplan.runs.batch import _HTTP_ADDRESS, BatchResult, is_finished, run_batch, scenario_files
from geoplan.runs.scenario import load_scenario

DATA = Path(__file__).parent / "data" / "scenarios"

pytestmark = pytest.mark.slow


def make_folder(root: Path, extra: dict[str, str] | None = None) -> Path:
    """The tiny scenarios in ``root/batch`` (county and base one level down), plus ``extra``."""
    folder = root / "batch"
    folder.mkdir(parents=True)
    shutil.copytree(DATA / "tiny_county", folder / "tiny_county")
    shutil.copytree(DATA / "base", folder / "base")
    base = folder / "base" / "tiny.yaml"  # tables only: no profiles or print maps, for speed
    text = base.read_text(encoding="utf-8").replace(
        "  maps: false\n", "  maps: false\n  profiles: false\n  print_maps: false\n"
    )
    assert "print_maps" in text
    base.write_text(text, encoding="utf-8")
    for name in ("tiny_status_quo.yaml", "tiny_restore.yaml"):
        shutil.copy(DATA / name, folder / name)
    for name, text in (extra or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("GEOPLAN_CACHE_DIR", str(folder))
    return folder


def tree_state(folder: Path) -> dict[str, tuple[str, int]]:
    """SHA-256 and modification time of every file below ``folder``."""
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def xlsx_rows(path: Path) -> dict[str, dict[str, Any]]:
    ws = openpyxl.load_workbook(path)["comparison"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    return {str(r[0]): dict(zip(header, r, strict=True)) for r in rows[1:]}


def check_ok(result: BatchResult, names: set[str]) -> None:
    """Every scenario ok, its folder complete, and the comparison holding its metrics."""
    assert not result.failed, result.status[["status", "error"]]
    assert set(result.status["scenario"]) == names
    rows = xlsx_rows(result.comparison_xlsx)
    assert set(rows) == names
    for name in names:
        metrics = json.loads((result.folder / name / "metrics.json").read_text(encoding="utf-8"))
        assert rows[name]["Teaching points restored"] == metrics["sites_restored"]
        assert rows[name]["Pupils unserved"] == metrics["after_unserved"]
    status = json.loads(result.status_file.read_text(encoding="utf-8"))
    assert {s["scenario"]: s["status"] for s in status["scenarios"]} == dict.fromkeys(names, "ok")


def test_scenario_files_only_directly_in_the_folder(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, {"notes.txt": "not a scenario", "c.yml": "", "d.toml": ""})
    got = [p.name for p in scenario_files(folder)]
    assert got == ["c.yml", "d.toml", "tiny_restore.yaml", "tiny_status_quo.yaml"]
    with pytest.raises(MissingInputError, match="is not a folder") as err:
        scenario_files(folder / "tiny_restore.yaml")
    assert [p.code for p in err.value.problems] == ["batch_folder_missing"]
    assert err.value.problems[0].file == str(folder / "tiny_restore.yaml")
    (folder / "empty").mkdir()
    with pytest.raises(MissingInputError, match="holds no scenario file") as err:
        scenario_files(folder / "empty")
    (problem,) = err.value.problems
    assert problem_text(problem, "zh")[0].startswith("批量运行的文件夹中没有方案文件(.yaml")


def _loopback_problem() -> str | None:
    """Why TCP on 127.0.0.1 cannot be used here, or ``None`` when it can."""
    try:
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            with socket.create_connection(server.getsockname(), timeout=2):
                pass
    except OSError as err:
        return (
            f"TCP on 127.0.0.1 is unavailable ({err}); in a fresh network namespace bring the "
            "loopback up first: unshare -n sh -c 'ip link set lo up && python -m pytest'"
        )
    return None


@pytest.fixture
def dask_port_lock() -> Iterator[None]:
    """One Dask cluster at a time across parallel test workers.

    Each cluster serves HTTP on a free loopback port (``_HTTP_ADDRESS``), so two never collide;
    the lock keeps two 2-worker clusters from sharing the two cores at once.
    """
    with (Path(tempfile.gettempdir()) / "geoplan-dask-tests.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


needs_loopback = pytest.mark.skipif(
    _loopback_problem() is not None, reason=str(_loopback_problem())
)


@needs_loopback
def test_dask_scheduler_on_127_0_0_1_with_a_killed_worker(
    tmp_path: Path, cache: Path, dask_port_lock: None
) -> None:
    from distributed import Client, LocalCluster

    folder = make_folder(tmp_path)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=_HTTP_ADDRESS,
            host="127.0.0.1",
        ) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        # kill the worker running the first scenario while it runs
        outcome: dict[str, BatchResult] = {}
        thread = threading.Thread(
            target=lambda: outcome.setdefault(
                "r", run_batch(folder, out=tmp_path / "out", scheduler=address, progress=False)
            )
        )
        thread.start()
        deadline = time.monotonic() + 60
        victim = None
        while victim is None and time.monotonic() < deadline:
            busy = [w for w, tasks in client.processing().items() if tasks]
            if busy:
                victim = client.run(os.getpid, workers=busy[:1])[busy[0]]
            time.sleep(0.05)
        assert victim is not None, "no scenario ever ran"
        os.kill(victim, signal.SIGKILL)
        thread.join(timeout=120)
        assert not thread.is_alive()
    result = outcome["r"]
    assert len(result.status) == 2
    for _, row in result.status.iterrows():  # the batch completes, or reports the scenario
        assert row["status"] == "ok" or "worker" in row["error"].lower()
    assert result.comparison_xlsx.is_file()
    assert (result.status["status"] == "ok").sum() >= 1


@needs_loopback
def test_embedded_local_cluster(tmp_path: Path, cache: Path, dask_port_lock: None) -> None:
    folder = make_folder(tmp_path)
    result = run_batch(folder, out=tmp_path / "out", workers=2, local_cluster=True,
                       progress=False)  # fmt: skip
    check_ok(result, {"tiny_status_quo", "tiny_restore"})
    assert list(result.status["attempts"]) == [1, 1]
    # one travel matrix per mode, written once (atomic rename, no temporary files left); car:
    # the teacher rotation's school-to-school journeys (issue 25)
    names = [p.name for p in cache.glob("travel_*")]
    modes = sorted(m for name in names for m in MODES if name.startswith(f"travel_{m}_"))
    assert len(modes) == len(names), names
    assert modes == ["car", "child_walk", "pupil_walk", "school_bus"]
    assert not list(cache.glob("*.tmp*"))


def test_process_worker_killed_mid_task_is_rerun(tmp_path: Path, cache: Path) -> None:
    folder = make_folder(tmp_path)
    me = psutil.Process()
    outcome: dict[str, BatchResult] = {}
    thread = threading.Thread(
        target=lambda: outcome.setdefault(
            "r", run_batch(folder, out=tmp_path / "out", workers=2, progress=False)
        )
    )
    thread.start()
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        lines = {p: " ".join(p.cmdline()) for p in me.children()}
        workers = [p for p, ln in lines.items() if "spawn_main" in ln and "resource_" not in ln]
        if workers:
            time.sleep(1.0)  # the worker is importing geoplan for its first scenario
            victim = workers[0]
        else:
            time.sleep(0.05)
    assert victim is not None
    victim.kill()
    thread.join(timeout=120)
    assert not thread.is_alive()
    result = outcome["r"]
    check_ok(result, {"tiny_status_quo", "tiny_restore"})
    assert result.status["attempts"].max() == 2  # the killed worker's scenario ran again


def test_driver_killed_then_resume(tmp_path: Path, cache: Path) -> None:
    folder = make_folder(tmp_path, {
        "tiny_limit_20.yaml": "base: base/tiny.yaml\nrules: {day_limit_min: {g1_3: 20}}\n",
        "tiny_limit_40.yaml": "base: base/tiny.yaml\nrules: {day_limit_min: {g1_3: 40}}\n",
    })  # fmt: skip
    out = tmp_path / "out"
    batch = out / "batch"
    names = {"tiny_limit_20", "tiny_limit_40", "tiny_restore", "tiny_status_quo"}
    cmd = [sys.executable, "-m", "geoplan.cli", "batch", str(folder), "--workers", "1",
           "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while not list(batch.glob("*/manifest.json")) and time.monotonic() < deadline:
            assert proc.poll() is None, "the batch ended before it could be killed"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its worker process
        proc.wait()
    finished = {p.parent.name for p in batch.glob("*/manifest.json")}
    assert 1 <= len(finished) < len(names), finished
    before = {name: tree_state(batch / name) for name in finished}

    result = run_batch(folder, out=out, workers=1, resume=True, progress=False)
    check_ok(result, names)
    assert {name: tree_state(batch / name) for name in finished} == before
    reused = set(result.status.loc[result.status["reused"], "scenario"])
    assert reused == finished
    assert not list(batch.glob(".*.tmp-*"))  # the interrupted scenario's temporary folder

    # a finished scenario whose file changes is no longer finished
    name = sorted(finished)[0]
    file = folder / f"{name}.yaml"
    assert is_finished(load_scenario(file), batch / name)
    file.write_text(file.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
    assert not is_finished(load_scenario(file), batch / name)


def test_broken_scenarios_are_reported_and_the_others_finish(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_folder(tmp_path, {
        "bad_site.yaml": "base: base/tiny.yaml\nrestoration: {must: [NOPE]}\n",
        "bad_key.yaml": "base: base/tiny.yaml\nrestorashun: {enabled: true}\n",
    })  # fmt: skip
    out = tmp_path / "out"
    code = cli.main(["batch", str(folder), "--workers", "2", "--out", str(out)])
    assert code == 1
    err = capsys.readouterr().err
    assert "bad_site.yaml" in err and "bad_key.yaml" in err
    status = json.loads((out / "batch" / "batch_status.json").read_text(encoding="utf-8"))
    by_id = {s["id"]: s for s in status["scenarios"]}
    assert by_id["bad_site.yaml"]["status"] == "failed"
    assert "restoration.must" in by_id["bad_site.yaml"]["error"]
    assert "NOPE" in by_id["bad_site.yaml"]["error"]
    assert by_id["bad_key.yaml"]["status"] == "failed"
    assert "restorashun" in by_id["bad_key.yaml"]["error"]
    for good in ("tiny_status_quo.yaml", "tiny_restore.yaml"):
        assert by_id[good]["status"] == "ok"
        assert (Path(by_id[good]["output"]) / "manifest.json").is_file()
    assert not (out / "batch" / "bad_site").exists()
    rows = xlsx_rows(out / "batch" / "comparison.xlsx")
    failed = {k: v for k, v in rows.items() if str(v["Description"]).startswith("FAILED")}
    assert set(failed) == {"bad_site (bad_site.yaml)", "bad_key (bad_key.yaml)"}
    assert all(v["Pupils unserved"] is None for v in failed.values())
    assert rows["tiny_restore"]["Teaching points restored"] == 1
    html = (out / "batch" / "comparison.html").read_text(encoding="utf-8")
    assert "FAILED: ScenarioError" in html
    # the before/after map: the status quo (the baseline) and the best by young pupils beyond
    # the day limit (the restoration brings them within it)
    dual = out / "batch" / "before_after_tiny_status_quo__tiny_restore.html"
    assert dual.is_file() and dual.name in html
    assert html.count("<svg") == 6


@pytest.mark.browser
def test_batch_before_after_map_opens_offline(tmp_path: Path, cache: Path) -> None:
    from browser import check_map_in_browser

    folder = make_folder(tmp_path)
    result = run_batch(folder, out=tmp_path / "out", progress=False, baseline="tiny_restore",
                       best_by="after_unserved", lang="zh")  # fmt: skip
    assert result.before_after_map is not None
    assert result.before_after_map.name == "before_after_tiny_restore__tiny_status_quo.html"
    check_map_in_browser(result.before_after_map, max_per_layer=3)
    report = check_map_in_browser(result.comparison_html, check=False)
    assert [p for p in report.problems() if "no Leaflet map" not in p] == []
    assert "方案比较" in report.page_text and "tiny_restore" in report.page_text


def test_cli_batch_then_resume_leaves_finished_outputs(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from geoplan import cli

    folder = make_folder(tmp_path)
    out = tmp_path / "out"
    args = ["batch", str(folder), "--workers", "1", "--out", str(out)]
    assert cli.main(args) == 0
    assert "2 of 2 scenarios ok" in capsys.readouterr().out
    batch_folder = out / "batch"
    finished = {k: v for k, v in tree_state(batch_folder).items() if k.startswith("tiny_")}
    assert any(k.endswith("metrics.json") for k in finished)
    assert cli.main([*args, "--resume"]) == 0
    after = {k: v for k, v in tree_state(batch_folder).items() if k.startswith("tiny_")}
    assert after == finished  # same bytes, same modification times
    assert (batch_folder / "comparison.xlsx").is_file()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_bad_workers_from_python_names_the_parameter(tmp_path: Path, lang: str) -> None:
    """A notebook user calls run_batch(workers=0): the error names workers=, not the CLI flag."""
    with pytest.raises(ScenarioError) as info:
        run_batch(tmp_path, out=tmp_path / "out", workers=0)
    (problem,) = info.value.problems
    message, fix = problem_text(problem, lang)
    assert "--workers" not in str(info.value) + message + fix
    assert "workers=4" in fix and "0" in message
