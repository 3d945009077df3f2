"""What a file really is, told from its first bytes: a workbook, a web page, a text file ...

Plumbing of :mod:`geoplan.data`: when a file cannot be read as its name says, the readers name
what it is instead (a web page saved as ``.xls``, a CSV renamed ``.xlsx``), so the fix can say
what to do with it, rather than passing on the reading library's own words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

FileKind = Literal["xlsx", "ole", "zip", "html", "text", "sqlite", "empty", "other"]
"""``xlsx``: an Office Open XML workbook (a ZIP holding ``xl/``); ``ole``: an OLE2 compound
file (Excel 97-2003 ``.xls``, old Word ...); ``zip``: another ZIP archive (``.docx``, a
compressed folder); ``html``: a web page or XML (Excel 2003 XML sheets too); ``text``: plain text
(a CSV); ``sqlite``: an SQLite database (a GeoPackage is one); ``empty``: 0 bytes."""

SNIFF_BYTES = 4096
"""How many bytes from the start are read to tell a file's kind."""

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_SQLITE = b"SQLite format 3\x00"
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def file_kind(path: Path) -> FileKind:
    """The kind of ``path`` from its first :data:`SNIFF_BYTES` bytes (``other`` if unreadable)."""
    try:
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return "other"
    if not head:
        return "empty"
    if head.startswith(_OLE):
        return "ole"
    if head.startswith(_ZIP):
        return "xlsx" if _is_workbook_zip(path) else "zip"
    if head.startswith(_SQLITE):
        return "sqlite"
    text = _as_text(head)
    if text is None:
        return "other"
    start = text.lstrip().lower()
    if start.startswith(("<!doctype", "<html", "<?xml", "<table", "<head", "<meta", "<body")):
        return "html"
    return "text"


def _is_workbook_zip(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.startswith("xl/") for name in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def _as_text(head: bytes) -> str | None:
    """``head`` decoded as text (UTF-8, UTF-16 with a byte-order mark, GB18030), else ``None``."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    body = head.removeprefix(_BOMS[0])
    if b"\x00" in body:
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError as err:
            if err.start >= len(body) - 4:  # a character cut at the end of the sniffed bytes
                return body[: err.start].decode(encoding)
    return None
