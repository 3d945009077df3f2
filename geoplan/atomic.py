"""Writing files and folders atomically: a failed write never leaves a half-written output.

Every writer in geoplan goes through these three helpers: the content is written next to its
destination under a temporary name and moved into place with ``os.replace`` only when complete.
Files and folders get the permissions the user's umask gives (as a plain ``open`` or ``mkdir``
would; :func:`tempfile.mkstemp`'s ``0600`` and :func:`tempfile.mkdtemp`'s ``0700`` are right for
secrets, wrong for a map or a run folder), so colleagues on a shared server can open a run's
outputs.

While a temporary file or folder is being written, log records name it by its final path (see
:func:`shown_as`): a planner reading the log looks for the file where it will stay, not where it
was staged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "atomic_output_dir",
    "atomic_path",
    "current_umask",
    "file_mode",
    "folder_mode",
    "shown_as",
    "write_atomic",
]

_UMASK_LOCK = threading.Lock()
_SHOWN_LOCK = threading.Lock()
_SHOWN: dict[object, tuple[tuple[str, str], ...]] = {}  # per open shown_as block: (staging, final)
_PLAIN_FACTORY: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
"""The record factory :func:`_final_record` wraps (replaced by the one in place when wrapping)."""


def _final_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """A log record whose message names every staging path by its final path."""
    record = _PLAIN_FACTORY(*args, **kwargs)
    if not _SHOWN:  # no block open: the common case, without taking the lock
        return record
    with _SHOWN_LOCK:
        pairs = [pair for block in _SHOWN.values() for pair in block]
    if not pairs:
        return record
    try:
        text = record.getMessage()
    except Exception:  # a malformed call: leave it for the handler to report as usual
        return record
    shown = text
    for staging, final in sorted(pairs, key=lambda pair: -len(pair[0])):  # innermost first
        shown = shown.replace(staging, final)
    if shown != text:
        record.msg, record.args = shown, None
    return record


@contextlib.contextmanager
def shown_as(staging: str | os.PathLike[str], final: str | os.PathLike[str]) -> Iterator[None]:
    """Within the block, log records name ``staging`` (and paths inside it) as ``final``.

    Every logger of the process is covered (the log record factory is wrapped, once), so the
    writers log the path they write to and the log still reads the path the file ends up at.
    Both the path as given and its absolute form are replaced.

    Parameters
    ----------
    staging
        The temporary file or folder being written.
    final
        Where it is moved when complete.
    """
    global _PLAIN_FACTORY
    key = object()
    staged, dest = Path(staging), Path(final)
    pairs = {(str(staged), str(dest)), (str(staged.absolute()), str(dest.absolute()))}
    with _SHOWN_LOCK:
        factory = logging.getLogRecordFactory()
        if factory is not _final_record:
            _PLAIN_FACTORY = factory
            logging.setLogRecordFactory(_final_record)
        _SHOWN[key] = tuple(pairs)
    try:
        yield
    finally:
        with _SHOWN_LOCK:
            del _SHOWN[key]


def current_umask() -> int:
    """The process's umask, read without changing it for other threads where the OS allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def file_mode() -> int:
    """Mode of a new regular file under the current umask (``0o644`` under ``022``)."""
    return 0o666 & ~current_umask()


def folder_mode() -> int:
    """Mode of a new folder under the current umask (``0o755`` under ``022``)."""
    return 0o777 & ~current_umask()


def _temporary_name(dest: Path, kind: str, suffix: str = "") -> Path:
    """A hidden name next to ``dest`` that no other writer uses, ending in ``suffix``.

    It holds the process id, the thread id and 12 random hex digits, so two processes or two
    threads writing the same destination at once never share a temporary file (each then
    moves a complete file into place; the last one wins). ``suffix`` keeps the destination's
    ending for writers that choose the format by it (``np.savez``, Excel writers).
    """
    unique = f"{os.getpid()}-{threading.get_ident()}-{uuid.uuid4().hex[:12]}"
    return dest.with_name(f".{dest.name}.{kind}-{unique}{suffix}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path`` to write to; move it into place on success.

    The temporary file is not created: the writer creates it (so it gets the umask's
    permissions). Its name is unique to this process, thread and call and ends with ``path``'s
    suffix. On error it is removed and an existing ``path`` stays as it was.

    Parameters
    ----------
    path
        Destination file; its folder is created if needed.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_name(dest, "tmp", dest.suffix)
    try:
        with shown_as(tmp, dest):
            yield tmp
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8 with Unix line ends, or bytes) to ``path`` atomically.

    Returns
    -------
    Path
        The destination.
    """
    dest = Path(path)
    with atomic_path(dest) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            with tmp.open("w", encoding="utf-8", newline="\n") as fh:
                fh.write(data)
    return dest


@contextlib.contextmanager
def atomic_output_dir(final: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder next to ``final``; move it into place when the block succeeds.

    The old ``final`` folder, if any, is replaced only after the block ends without error; on
    error the temporary folder is removed and the old folder stays intact. Log records of the
    block name the files in it by their paths in ``final`` (:func:`shown_as`).
    """
    target = Path(final)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_name(target, "tmp")
    tmp.mkdir()
    tmp.chmod(folder_mode())
    try:
        with shown_as(tmp, target):
            yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old: Path | None = None
    if target.exists():
        old = _temporary_name(target, "old")
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
