"""Writing files and folders atomically: a failed write never leaves a half-written output.

Every writer in geoplan goes through these three helpers: the content is written next to its
destination under a temporary name and moved into place with ``os.replace`` only when complete.
Files and folders get the permissions the user's umask gives (as a plain ``open`` or ``mkdir``
would; :func:`tempfile.mkstemp`'s ``0600`` and :func:`tempfile.mkdtemp`'s ``0700`` are right for
secrets, wrong for a map or a run folder), so colleagues on a shared server can open a run's
outputs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "atomic_output_dir",
    "atomic_path",
    "current_umask",
    "file_mode",
    "folder_mode",
    "write_atomic",
]

_UMASK_LOCK = threading.Lock()


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
    error the temporary folder is removed and the old folder stays intact.
    """
    target = Path(final)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_name(target, "tmp")
    tmp.mkdir()
    tmp.chmod(folder_mode())
    try:
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
