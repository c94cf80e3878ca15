"""XLSX and DOCX are zip archives: refuse a zip bomb by the sizes its directory declares, before reading.

Python's zipfile never unpacks more than an entry's declared size, so the declared total bounds what any
reader (openpyxl, python-docx) can be made to unpack."""

from __future__ import annotations

import io
import zipfile

from core.i18n import _
from intake.limits import FileRefused, Limits

MAX_ENTRIES = 10_000


def checked_zip(data: bytes, limits: Limits, what: str) -> zipfile.ZipFile:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileRefused(_("not a {what} file (it is not a zip archive); save it again from the office suite",
                            what=what)) from None
    infos = z.infolist()
    if len(infos) > MAX_ENTRIES:
        raise FileRefused(_("the archive has {n} parts, more than {max}", n=len(infos), max=MAX_ENTRIES))
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_bytes:
        raise FileRefused(_("the archive unpacks to {size} bytes, more than {n} (IMPORT_MAX_UNCOMPRESSED_BYTES)",
                            size=total, n=limits.max_uncompressed_bytes))
    return z
