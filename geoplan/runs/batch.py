"""Batches: run every scenario file of a folder, in parallel, resumably, and compare them.

:func:`run_batch` runs each scenario file directly in a folder (``*.yaml``, ``*.yml``,
``*.toml``; sub-folders such as ``base/`` are skipped) into ``out/<batch>/<scenario>/``, then
writes ``comparison.html`` and ``comparison.xlsx`` for the whole batch and ``batch_status.json``
(per scenario: ok or failed, the error, seconds, output folder, attempts, warnings).

Engines: local processes by default (:class:`concurrent.futures.ProcessPoolExecutor`, ``spawn``
context), a Dask scheduler (``scheduler="tcp://host:8786"``) or an embedded
:class:`distributed.LocalCluster`. Every task pins the BLAS/OpenMP pools to one thread.

Shared work: scenarios with the same travel inputs (area, roads, modes, closures) share their
travel matrices through the disk cache of :mod:`geoplan.travel`; one scenario of each such group
runs first, so the matrix is computed once and read by the rest.

Failures: a failing scenario is recorded and the others go on. A worker that dies takes its
in-flight scenarios with it; they are run again (``max_attempts``) and reported if they keep
killing workers. ``resume=True`` skips every scenario whose output folder is complete and whose
``manifest.json`` input hashes match the files as they are now, leaving those folders untouched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from geoplan._extras import import_extra
from geoplan.atomic import write_atomic
from geoplan.data.messages import coded_error
from geoplan.data.readers import file_sha256
from geoplan.errors import GeoplanError, MissingInputError, ScenarioError
from geoplan.workers import THREAD_ENV, one_thread, pin_threads

if TYPE_CHECKING:
    import pandas as pd

    from geoplan.runs.scenario import Scenario

__all__ = [
    "SCENARIO_SUFFIXES",
    "STATUS_FILE",
    "BatchResult",
    "is_finished",
    "run_batch",
    "run_task",
    "scenario_files",
]

_logger = logging.getLogger(__name__)

SCENARIO_SUFFIXES: tuple[str, ...] = (".yaml", ".yml", ".toml")
"""Suffixes of the scenario files a batch runs."""

STATUS_FILE = "batch_status.json"
"""Name of the batch log, in ``out/<batch>/``."""

_WARNINGS_KEPT = 5


@dataclasses.dataclass(frozen=True)
class BatchResult:
    """The outcome of a batch.

    Parameters
    ----------
    name
        Batch name (the scenario folder's name unless given).
    folder
        ``out/<name>/``: one sub-folder per scenario, the comparison and the status file.
    status
        One row per scenario file (index ``id``: the file name): ``scenario``, ``status``
        (``ok``, ``failed``), ``reused`` (finished by an earlier run), ``error``, ``seconds``,
        ``output``, ``attempts``, ``warnings``.
    comparison_html, comparison_xlsx
        The comparison of the batch (failed scenarios appear as rows without indicators).
    status_file
        ``batch_status.json``.
    before_after_map
        The before/after map of the baseline and the best scenario, or ``None``.
    """

    name: str
    folder: Path
    status: pd.DataFrame
    comparison_html: Path
    comparison_xlsx: Path
    status_file: Path
    before_after_map: Path | None = None

    @property
    def failed(self) -> list[str]:
        """File names of the scenarios that failed."""
        return [str(i) for i in self.status.index[self.status["status"] != "ok"]]


# --------------------------------------------------------------------------- files and hashes


def scenario_files(folder: str | Path) -> list[Path]:
    """The scenario files directly in ``folder`` (sorted; sub-folders are not searched).

    Raises
    ------
    MissingInputError
        When ``folder`` is not a folder or holds no scenario file.
    """
    root = Path(folder)
    if not root.is_dir():
        raise coded_error(MissingInputError, "batch_folder_missing", str(root), "", "", "", "")
    files = sorted(
        p for p in root.iterdir()
        if p.is_file() and p.suffix.lower() in SCENARIO_SUFFIXES and not p.name.startswith(".")
    )  # fmt: skip
    if not files:
        raise coded_error(
            MissingInputError, "batch_no_scenarios", str(root), "", "", "", "",
            suffixes=", ".join(SCENARIO_SUFFIXES),
        )  # fmt: skip
    return files


class _Hasher:
    """SHA-256 of files, remembered by path, size and modification time."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int, int], str] = {}

    def __call__(self, path: Path) -> str | None:
        try:
            st = path.stat()
        except OSError:
            return None
        key = (str(path), st.st_size, st.st_mtime_ns)
        if key not in self._seen:
            self._seen[key] = file_sha256(path)
        return self._seen[key]


def is_finished(
    scenario: Scenario, folder: str | Path, *, hasher: Callable[[Path], str | None] | None = None
) -> bool:
    """Whether ``folder`` holds a complete run of ``scenario`` made from today's inputs.

    Complete: ``manifest.json`` and ``metrics.json`` are there, with every output the manifest
    lists; the manifest names this scenario and the same scenario files, and the SHA-256 of every
    scenario and input file it records matches the file as it is now.
    """
    hash_of = hasher or _Hasher()
    root = Path(folder)
    try:
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict) or manifest.get("scenario") != scenario.name:
        return False
    if not (root / "metrics.json").is_file():
        return False
    present = {p.name for p in root.rglob("*") if p.is_file()}  # outputs are listed by name
    if not set(map(str, manifest.get("outputs", []))) <= present:
        return False
    recorded = manifest.get("scenario_files", [])
    if sorted(str(e.get("path")) for e in recorded) != sorted(str(p) for p in scenario.files):
        return False
    for entry in [*recorded, *manifest.get("inputs", [])]:
        if hash_of(Path(str(entry.get("path")))) != entry.get("sha256"):
            return False
    return True


def _travel_key(scenario: Scenario) -> str:
    """Scenarios with equal keys need the same travel matrices (network, modes, closures)."""
    s = scenario.settings
    parts = [
        str(scenario.area), str(scenario.columns), str(scenario.crs), str(scenario.roads),
        repr(scenario.boundary_tolerance_m), repr(sorted(s.band_modes.items())),
        repr([c.fingerprint() for c in s.closures]),
    ]  # fmt: skip
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


# --------------------------------------------------------------------------- the task


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_task(file: str, out: str, cache_dir: str | None = None) -> dict[str, Any]:
    """Run one scenario file into ``out`` in a worker; never raises for a failing scenario.

    Parameters
    ----------
    file
        The scenario file.
    out
        The batch folder; the scenario goes to its ``<name>`` sub-folder.
    cache_dir
        Travel cache folder (``GEOPLAN_CACHE_DIR``) to use in this worker.

    Returns
    -------
    dict
        ``status`` (``ok`` or ``failed``), ``error``, ``seconds``, ``output``, ``warnings``,
        ``pid``.
    """
    pin_threads()
    if cache_dir is not None:
        from geoplan.network.roads import CACHE_ENV

        os.environ[CACHE_ENV] = cache_dir
    from geoplan.runs.runner import run_scenario  # imported before the clock starts

    collect = _Collect()
    package = logging.getLogger("geoplan")
    package.addHandler(collect)
    clock = time.perf_counter()
    record: dict[str, Any] = {"status": "ok", "error": "", "output": None, "pid": os.getpid()}
    try:
        with one_thread():
            record["output"] = str(run_scenario(file, out=out))
    except Exception as err:  # a failing scenario must not stop the batch
        record["status"] = "failed"
        record["error"] = f"{type(err).__name__}: {err}"
        if not isinstance(err, GeoplanError):
            _logger.error("Scenario %s failed:\n%s", file, traceback.format_exc())
    finally:
        package.removeHandler(collect)
    record["seconds"] = round(time.perf_counter() - clock, 3)
    record["warnings"] = collect.messages[:_WARNINGS_KEPT] + (
        [f"... and {len(collect.messages) - _WARNINGS_KEPT} more"]
        if len(collect.messages) > _WARNINGS_KEPT
        else []
    )
    return record


# --------------------------------------------------------------------------- engines


@dataclasses.dataclass
class _Job:
    file: Path
    name: str
    group: str
    first: bool
    attempts: int = 0


def _ordered(jobs: Sequence[_Job]) -> Iterator[list[_Job]]:
    """Waves: the first scenario of each travel group, then the rest."""
    firsts = [j for j in jobs if j.first]
    rest = [j for j in jobs if not j.first]
    if firsts:
        yield firsts
    if rest:
        yield rest


def _run_processes(
    jobs: Sequence[_Job],
    done: Callable[[_Job, dict[str, Any]], None],
    *,
    workers: int,
    out: Path,
    cache_dir: str | None,
    max_attempts: int,
) -> None:
    """Local worker processes; a pool broken by a dying worker is replaced.

    One pool serves every wave (workers import geoplan once); it is replaced only when a worker
    dies.
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    pool: ProcessPoolExecutor | None = None
    try:
        for wave in _ordered(jobs):
            queue = list(wave)
            running: dict[Future[dict[str, Any]], _Job] = {}
            while queue or running:
                if pool is None:
                    pool = ProcessPoolExecutor(
                        max_workers=workers, mp_context=context, initializer=pin_threads
                    )
                # At most one job per worker in flight, so a broken pool names its suspects.
                while queue and len(running) < workers:
                    job = queue.pop(0)
                    job.attempts += 1
                    running[pool.submit(run_task, str(job.file), str(out), cache_dir)] = job
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                broken = False
                for future in finished:
                    job = running.pop(future)
                    try:
                        done(job, future.result())
                    except BrokenProcessPool:
                        broken = True
                        running[future] = job
                if not broken:
                    continue
                suspects = list(running.values())
                running.clear()
                pool.shutdown(wait=True, cancel_futures=True)
                pool = None
                _logger.warning(
                    "A worker process died while running %s; starting new workers.",
                    ", ".join(j.file.name for j in suspects),
                )
                for job in suspects:
                    if job.attempts >= max_attempts:
                        done(job, _killed(job))
                    else:
                        queue.insert(0, job)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _killed(job: _Job) -> dict[str, Any]:
    return {
        "status": "failed",
        "error": (
            f"WorkerDied: the worker process died {job.attempts} time(s) while running this "
            "scenario (out of memory or killed). Fix: run it alone with `geoplan run` to see "
            "why, or give the workers more memory."
        ),
        "seconds": None,
        "output": None,
        "warnings": [],
    }


# Where an embedded scheduler serves HTTP: without an address distributed binds port 8787 on
# every interface, collides with any other cluster on the machine and leaks a socket; a free
# port on the loopback never collides and is not reachable from the network.
_HTTP_ADDRESS = "127.0.0.1:0"


def _dask_modules() -> tuple[ModuleType, ModuleType]:
    """``dask`` and ``distributed``, or an error naming the ``dask`` extra."""
    feature = "Running a batch on Dask (--local-cluster, --scheduler)"
    return (
        import_extra("dask", extra="dask", feature=feature),
        import_extra("distributed", extra="dask", feature=feature),
    )


def _run_dask(
    jobs: Sequence[_Job],
    done: Callable[[_Job, dict[str, Any]], None],
    *,
    workers: int,
    out: Path,
    cache_dir: str | None,
    scheduler: str | None,
    max_attempts: int,
) -> None:
    """A Dask scheduler at ``scheduler``, or an embedded LocalCluster of ``workers`` processes."""
    dask, distributed = _dask_modules()
    Client, LocalCluster, as_completed = (  # noqa: N806
        distributed.Client,
        distributed.LocalCluster,
        distributed.as_completed,
    )

    cluster = None
    with dask.config.set({"distributed.scheduler.allowed-failures": max_attempts - 1}):
        if scheduler is None:
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=_HTTP_ADDRESS, host="127.0.0.1", env=dict(THREAD_ENV),
            )  # fmt: skip
        client = Client(cluster if cluster is not None else scheduler)
    try:
        for wave in _ordered(jobs):
            futures: dict[str, _Job] = {}
            submitted = []
            for job in wave:
                job.attempts = 1
                future = client.submit(
                    run_task, str(job.file), str(out), cache_dir,
                    key=f"geoplan-batch-{job.name}-{os.urandom(4).hex()}", pure=False,
                )  # fmt: skip
                futures[str(future.key)] = job
                submitted.append(future)
            for future in as_completed(submitted):
                job = futures[str(future.key)]
                try:
                    record = future.result()
                except Exception as err:  # KilledWorker and the like
                    job.attempts = max_attempts
                    record = _killed(job)
                    record["error"] += f" ({type(err).__name__}: {err})"
                done(job, record)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --------------------------------------------------------------------------- the batch


def _write_json(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _clear_leftovers(folder: Path) -> None:
    """Remove the temporary folders a killed run left behind (``.<name>.tmp-*``)."""
    for path in folder.glob(".*.tmp-*"):
        if path.is_dir():
            _logger.info("Removing %s, left by an interrupted run.", path)
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _progress(total: int, initial: int, *, show: bool) -> Iterator[Any]:
    from tqdm.auto import tqdm

    bar = tqdm(
        total=total,
        initial=initial,
        desc="Scenarios",
        unit="scenario",
        disable=None if show else True,
    )
    try:
        yield bar
    finally:
        bar.close()


def run_batch(
    folder: str | Path,
    *,
    out: str | Path = "outputs",
    workers: int = 1,
    scheduler: str | None = None,
    local_cluster: bool = False,
    resume: bool = False,
    name: str | None = None,
    max_attempts: int = 2,
    progress: bool = True,
    baseline: str | None = None,
    best_by: str = "after_beyond_day_limit_g1_3",
    lang: str | None = None,
) -> BatchResult:
    """Run every scenario file of ``folder`` and compare them in ``out/<name>/``.

    Parameters
    ----------
    folder
        Folder whose scenario files (directly in it) make the batch.
    out
        Output folder; the batch goes to ``out/<name>/``, each scenario to a sub-folder.
    workers
        Worker processes (local processes or LocalCluster workers).
    scheduler
        Address of a Dask scheduler (``tcp://host:8786``); its workers must see ``out`` (and the
        scenario and data files) at the same paths.
    local_cluster
        Run on an embedded :class:`distributed.LocalCluster` instead of local processes.
    resume
        Keep, untouched, every scenario whose output folder is complete with matching input
        hashes (see :func:`is_finished`); run only the rest.
    name
        Batch name; default: the folder's name.
    max_attempts
        Runs of a scenario whose worker died before it is reported as failed.
    progress
        Show a progress bar.
    baseline
        Scenario name the comparison measures changes against; default: the status quo
        (:func:`geoplan.runs.compare.baseline_name`).
    best_by
        Indicator key (:data:`geoplan.runs.compare.INDICATORS`) choosing the best scenario, whose
        plan the before/after map sets beside the baseline's.
    lang
        Language of the comparison page, workbook and map; default: the baseline scenario's.

    Returns
    -------
    BatchResult
        Status per scenario and the files written.

    Raises
    ------
    MissingInputError
        When the folder does not exist or holds no scenario file.
    ScenarioError
        When the options contradict each other.
    """
    from geoplan.runs.scenario import load_scenario

    if workers < 1:  # named as a Python caller writes it; the CLI refuses --workers itself
        raise coded_error(
            ScenarioError, "flag_not_whole", "", "", "", "", "",
            flag="workers", value=workers, low=1, example="workers=4",
        )  # fmt: skip
    if scheduler is not None and local_cluster:
        msg = "Give either a Dask scheduler address or local_cluster, not both."
        raise ScenarioError(msg)
    if max_attempts < 1:
        msg = f"max_attempts must be at least 1, not {max_attempts}."
        raise ScenarioError(msg)
    if scheduler is not None or local_cluster:
        _dask_modules()  # before anything is written: a missing extra is said at once
    files = [f.resolve() for f in scenario_files(folder)]
    batch_name = name or Path(folder).resolve().name
    target = Path(out).resolve() / batch_name
    target.mkdir(parents=True, exist_ok=True)
    _clear_leftovers(target)
    from geoplan.network.roads import CACHE_ENV

    cache_dir = os.environ.get(CACHE_ENV)
    engine = "dask" if scheduler else "local_cluster" if local_cluster else "processes"
    started = time.time()

    records: dict[str, dict[str, Any]] = {}
    jobs: list[_Job] = []
    owners: dict[str, str] = {}
    groups: set[str] = set()
    hasher = _Hasher()
    previous = _previous_status(target / STATUS_FILE)
    for file in files:
        base = {"file": str(file), "scenario": file.stem, "reused": False, "attempts": 0,
                "error": "", "seconds": None, "output": None, "warnings": []}  # fmt: skip
        try:
            scen = load_scenario(file)
        except GeoplanError as err:
            error = f"{type(err).__name__}: {err}"
            records[file.name] = {**base, "status": "failed", "error": error}
            continue
        base["scenario"] = scen.name
        if scen.name in owners:
            records[file.name] = {
                **base, "status": "failed",
                "error": f"ScenarioError: the name {scen.name!r} is already used by "
                         f"{owners[scen.name]}; both would write {target / scen.name}. "
                         "Fix: give each scenario its own `name:`.",
            }  # fmt: skip
            continue
        owners[scen.name] = file.name
        output = target / scen.name
        if resume and is_finished(scen, output, hasher=hasher):
            old = previous.get(file.name, {})
            records[file.name] = {**base, "status": "ok", "reused": True,
                                  "seconds": old.get("seconds"), "output": str(output),
                                  "attempts": old.get("attempts", 0)}  # fmt: skip
            continue
        group = _travel_key(scen)
        jobs.append(_Job(file=file, name=scen.name, group=group, first=group not in groups))
        groups.add(group)
        records[file.name] = {**base, "status": "pending"}

    status_path = target / STATUS_FILE

    def save() -> None:
        _write_json(status_path, {
            "batch": batch_name, "folder": str(Path(folder).resolve()), "engine": engine,
            "workers": workers, "scheduler": scheduler, "resume": resume,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "scenarios": [{"id": k, **v} for k, v in records.items()],
        })  # fmt: skip

    save()
    _logger.info(
        "Batch %s: %d scenario file(s), %d to run, %d kept from an earlier run, %d travel "
        "group(s), on %s.", batch_name, len(files), len(jobs),
        sum(r["reused"] for r in records.values()), len(groups), engine,
    )  # fmt: skip
    with _progress(len(files), len(files) - len(jobs), show=progress) as bar:

        def done(job: _Job, record: dict[str, Any]) -> None:
            record.pop("pid", None)
            records[job.file.name].update(record, attempts=job.attempts)
            if record["status"] != "ok":
                _logger.warning("Scenario %s failed: %s", job.file.name, record["error"])
            save()
            bar.update(1)

        if jobs and engine == "processes":
            _run_processes(jobs, done, workers=workers, out=target, cache_dir=cache_dir,
                           max_attempts=max_attempts)  # fmt: skip
        elif jobs:
            _run_dask(jobs, done, workers=workers, out=target, cache_dir=cache_dir,
                      scheduler=scheduler, max_attempts=max_attempts)  # fmt: skip
    html, xlsx, dual = _write_comparison(
        records, target, baseline=baseline, best_by=best_by, lang=lang
    )
    save()
    return BatchResult(
        name=batch_name, folder=target, status=_status_frame(records),
        comparison_html=html, comparison_xlsx=xlsx, status_file=status_path,
        before_after_map=dual,
    )  # fmt: skip


def _previous_status(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(r["id"]): r for r in data.get("scenarios", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _status_frame(records: dict[str, dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    table = pd.DataFrame.from_dict(records, orient="index")
    table.index = pd.Index([str(i) for i in table.index], name="id")
    return table[["scenario", "status", "reused", "error", "seconds", "output", "attempts",
                  "warnings", "file"]]  # fmt: skip


def _write_comparison(
    records: dict[str, dict[str, Any]],
    target: Path,
    *,
    baseline: str | None,
    best_by: str,
    lang: str | None,
) -> tuple[Path, Path, Path | None]:
    """The batch's comparison and the before/after map of the baseline and the best scenario.

    Finished scenarios come from their metrics, failed ones as bare rows; the best scenario is
    the best by ``best_by``.
    """
    from geoplan.outputs.labels import COMPARE_TEXT, texts
    from geoplan.runs.compare import (
        INDICATORS,
        baseline_name,
        best_scenario,
        best_values,
        comparison_table,
        indicator_label,
        write_html,
        write_xlsx,
    )
    from geoplan.runs.scenario import load_scenario

    rows: list[tuple[str, str, Path, dict[str, Any]]] = []
    files: dict[str, Path] = {}
    for file_name, rec in records.items():
        if rec["status"] == "ok":
            folder = Path(rec["output"])
            metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            rows.append((rec["scenario"], str(manifest.get("description", "")), folder, metrics))
            files[rec["scenario"]] = Path(rec["file"])
        else:
            error = str(rec["error"]).splitlines()[0] if rec["error"] else "not run"
            rows.append((f"{rec['scenario']} ({file_name})", f"FAILED: {error}",
                         Path(rec["file"]), {}))  # fmt: skip
    table = comparison_table(rows)
    best = best_values(table)
    base = baseline_name(table, baseline)
    if lang is None:
        lang = load_scenario(files[base]).lang if base in files else "en"
    winner = best_scenario(table.loc[list(files)], best_by, exclude=[base]) if files else None
    dual: Path | None = None
    note = ""
    if base in files and winner is not None:
        dual = _before_after_map(files[base], files[winner], target, lang=lang)
        ind = next(i for i in INDICATORS if i.key == best_by)
        note = f"{base} / {winner}, " + texts(COMPARE_TEXT, lang)["best"].format(
            indicator=indicator_label(ind, lang)
        )
    html = write_html(table, best, target / "comparison.html", baseline=base, lang=lang,
                      map_file=dual, map_note=note)  # fmt: skip
    xlsx = write_xlsx(table, best, target / "comparison.xlsx", baseline=base, lang=lang)
    return html, xlsx, dual


def _before_after_map(before: Path, after: Path, target: Path, *, lang: str) -> Path:
    """The before/after map of two scenario files' plans (planned again, from the caches)."""
    from geoplan.outputs import maps, plan_maps
    from geoplan.runs.runner import plan_scenario

    a, b = plan_scenario(before), plan_scenario(after)
    path = target / f"before_after_{a.scenario.name}__{b.scenario.name}.html"
    maps.save_offline(plan_maps.before_after_map(a.result, b.result, lang=lang), path)
    return path
