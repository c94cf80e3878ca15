"""CSV and Excel's "Unicode Text" (.txt, tab-separated) files, with their encoding detected.

UTF-8 (with or without BOM) and UTF-16 with its BOM are recognised by their bytes; anything else is
handed to charset-normalizer, limited to the two single-byte code pages Vietnamese offices' old Excel
writes (Windows-1258, Windows-1252) so that a guess never lands on an exotic one. The encoding found is
reported back (`Table.encoding`)."""

from __future__ import annotations

import codecs
import csv
import io
import re

from core.i18n import _
from intake.limits import FileRefused, Limits
from intake.readers import Row, Table, cell_text, check_cell, check_row_count, check_width
from storage.registry import uninert

_FALLBACKS = ["cp1258", "cp1252"]


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name) of a text file; FileRefused when no encoding reads it."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return _strict(data, "utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise FileRefused(_("not a text file (it holds NUL bytes); save it as \"CSV UTF-8\""))
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=_FALLBACKS).best()
    if best is None:
        raise FileRefused(_("cannot tell the text's encoding (tried UTF-8, UTF-16, Windows-1258, Windows-1252); "
                            "save it as \"CSV UTF-8\""))
    return str(best), best.encoding


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise FileRefused(_("not valid {encoding} text at byte {pos}", encoding=encoding.upper(), pos=e.start)) \
            from None


def read_csv(data: bytes, limits: Limits) -> Table:
    text, encoding = decode(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", first)
    delimiter = max(("\t", ";", ","), key=lambda d: (unquoted.count(d), d == ","))
    old = csv.field_size_limit()
    csv.field_size_limit(limits.max_cell_chars + 1)
    rows: list[Row] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for n, rec in enumerate(reader, start=1):
            check_row_count(n, limits)
            cells = check_width(rec, limits, n)
            rows.append(Row(n, [check_cell(uninert(cell_text(x)), limits, n, i) for i, x in enumerate(cells)]))
    except csv.Error as e:
        line = getattr(reader, "line_num", 0)
        if "field larger than field limit" in str(e):
            raise FileRefused(_("a cell holds more than {n} characters (IMPORT_MAX_CELL_CHARS)",
                                n=limits.max_cell_chars), line) from None
        raise FileRefused(_("not a readable CSV file: {reason}", reason=str(e)), line) from None
    finally:
        csv.field_size_limit(old)
    return Table(rows, encoding=encoding)
