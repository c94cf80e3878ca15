"""One reader per file format, each turning a file into rows of text cells with their positions.

    table = read_table(data, "plan.xlsx", limits)     # data: the file's bytes
    for row in table.rows: row.number, row.cells, row.merged_above, row.merged_left

`number` is the row as the person who keeps the file counts it (a spreadsheet's row number, a CSV's
record, the running row of a .docx's tables); cells are text (numbers without ".0", dates dd/mm/yyyy,
NFC, trimmed). A merged cell's value is copied into every cell it covers, and `merged_above` /
`merged_left` say which cells are such copies, so the interpretation can tell a header spanning two
columns or a task continued over two rows from repeated text. Readers never interpret: that is
`intake.table`. Every reader honours `intake.limits.Limits` and raises `FileRefused` past one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from core.i18n import _
from intake.limits import FileRefused, Limits

__all__ = ["Row", "Table", "TABLE_SUFFIXES", "cell_text", "read_table"]

TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xls", ".docx")


@dataclass
class Row:
    number: int
    cells: list[str]
    merged_above: frozenset[int] = frozenset()  # columns whose text continues a merged cell from the row above
    merged_left: frozenset[int] = frozenset()  # columns whose text continues a merged cell from the left


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)
    encoding: str | None = None  # text files: the encoding detected (e.g. "utf-16", "cp1258")
    part: str | None = None  # the sheet (or "table 1") read


def cell_text(v: Any) -> str:
    """A cell as text: numbers without '.0', dates as dd/mm/yyyy, NFC, trimmed."""
    if v is None:
        return ""
    if isinstance(v, datetime):
        v = v.date()
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return unicodedata.normalize("NFC", str(v)).replace("\r\n", "\n").replace("\r", "\n").strip()


def check_cell(text: str, limits: Limits, row: int, column: int) -> str:
    if len(text) > limits.max_cell_chars:
        raise FileRefused(_("a cell holds more than {n} characters (IMPORT_MAX_CELL_CHARS)",
                            n=limits.max_cell_chars), row, column + 1)
    return text


def check_row_count(n: int, limits: Limits) -> None:
    if n > limits.max_rows:
        raise FileRefused(_("more than {n} rows (IMPORT_MAX_ROWS)", n=limits.max_rows), n)


def check_width(cells: list, limits: Limits, row: int) -> list:
    """Trailing empty cells dropped; a value past the column limit refuses the file."""
    end = len(cells)
    while end and (cells[end - 1] is None or cells[end - 1] == ""):
        end -= 1
    if end > limits.max_columns:
        raise FileRefused(_("a row has a value in column {col}, past {n} columns (IMPORT_MAX_COLUMNS)",
                            col=end, n=limits.max_columns), row, end)
    return list(cells[:end])


def read_bytes(path: Path, limits: Limits) -> bytes:
    """The file's bytes, refused before reading when larger than the limit."""
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise FileRefused(_("the file has {size} bytes, more than {n} (IMPORT_MAX_BYTES)",
                                size=size, n=limits.max_bytes))
        with path.open("rb") as fp:
            data = fp.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise FileRefused(_("cannot read the file: no such file")) from None
    except IsADirectoryError:
        raise FileRefused(_("cannot read the file: it is a folder")) from None
    except OSError as e:
        raise FileRefused(_("cannot read the file: {reason}", reason=e.strerror or e)) from None
    if len(data) > limits.max_bytes:
        raise FileRefused(_("the file has more than {n} bytes (IMPORT_MAX_BYTES)", n=limits.max_bytes))
    return data


def read_table(data: bytes, filename: str, limits: Limits | None = None) -> Table:
    """The rows of the table in `data`, read as its name's extension says."""
    limits = limits or Limits()
    if len(data) > limits.max_bytes:
        raise FileRefused(_("the file has {size} bytes, more than {n} (IMPORT_MAX_BYTES)",
                            size=len(data), n=limits.max_bytes))
    suffix = Path(filename).suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        from intake.readers.csv import read_csv

        return read_csv(data, limits)
    if suffix == ".xlsx":
        from intake.readers.xlsx import read_xlsx

        return read_xlsx(data, limits)
    if suffix == ".xls":
        from intake.readers.xls import read_xls

        return read_xls(data, limits)
    if suffix == ".docx":
        from intake.readers.docx import read_docx

        return read_docx(data, limits)
    raise FileRefused(_("unknown file type {suffix!r}: accepted {accepted}", suffix=suffix,
                        accepted=".yaml, .yml, .csv, .txt, .xlsx, .xls, .docx"))
