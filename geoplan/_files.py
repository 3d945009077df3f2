"""Temporary files and folders that end up as outputs, with the permissions the umask asks for.

:func:`tempfile.mkstemp` makes files ``0600`` and :func:`tempfile.mkdtemp` folders ``0700``
whatever the umask: right for secrets, wrong for a map or a run folder moved into place, which
colleagues on a shared server must be able to open. Every file or folder geoplan writes through a
temporary name is made here, and gets the mode a plain ``open()`` or ``mkdir()`` would give it
(``0666`` or ``0777`` less the process's umask).
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

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


def make_temp_file(folder: Path, *, prefix: str, suffix: str = "") -> tuple[int, Path]:
    """:func:`tempfile.mkstemp` in ``folder``, the file's mode set by the umask.

    Returns
    -------
    tuple of int and Path
        The open descriptor (the caller closes it) and the file's path.
    """
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    os.fchmod(fd, file_mode())
    return fd, Path(name)


def make_temp_folder(folder: Path, *, prefix: str) -> Path:
    """:func:`tempfile.mkdtemp` in ``folder``, the new folder's mode set by the umask."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=folder))
    path.chmod(folder_mode())
    return path


def write_atomic(path: str | os.PathLike[str], content: str | bytes) -> Path:
    """Write ``content`` (text as UTF-8) to ``path`` through a temporary file and ``os.replace``.

    Parameters
    ----------
    path
        Destination file; its folder is created if needed.
    content
        Text (written as UTF-8, one LF per line end) or bytes.

    Returns
    -------
    Path
        The destination, its mode set by the umask.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = make_temp_file(dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        if isinstance(content, bytes):
            with os.fdopen(fd, "wb") as fb:
                fb.write(content)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(content)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest
