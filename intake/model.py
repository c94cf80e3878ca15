"""What reading a registry produces before any agency or deadline is interpreted: rows of fields with
where each came from, the directives the file describes, and the problems list (`FILE:ROW:COLUMN: message`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

__all__ = ["COLUMNS", "Collector", "DirectiveMeta", "Parsed", "Problem", "RegistryErrors", "RowFields"]

from storage.registry import COLUMNS  # the headers export writes


@dataclass(frozen=True)
class Problem:
    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.message}"


class RegistryErrors(ValueError):
    """Everything wrong with a registry file; nothing was imported. `problems` in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Collector:
    """The problems list: errors (the file is refused) and warnings (imported, but worth a look)."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.warning_problems: list[Problem] = []

    @property
    def warnings(self) -> list[str]:
        return [str(p) for p in self.warning_problems]

    def error(self, row: int, column: str | int, message: str) -> None:
        self.problems.append(Problem(self.file, row, str(column), message))

    def warn(self, row: int, column: str | int, message: str) -> None:
        self.warning_problems.append(Problem(self.file, row, str(column), message))


@dataclass
class RowFields:
    """One task row: its fields as text, and where each came from (for messages)."""

    row: int  # spreadsheet row, or YAML line of the task
    values: dict[str, Any]
    columns: dict[str, str]  # field → column label for messages (header as written, or YAML key)
    rows: dict[str, int] = field(default_factory=dict)  # field → row/line for messages
    document: str | None = None  # directive number (from a Văn bản cell or the YAML directive)

    def where(self, fld: str) -> tuple[int, str]:
        return self.rows.get(fld, self.row), self.columns.get(fld, COLUMNS.get(fld, fld))


@dataclass
class DirectiveMeta:
    number: str
    issued: date | None = None
    issuer: str | None = None
    subject: str | None = None
    until: date | None = None  # the plan's end (YAML `until:` or "giai đoạn 2011–2015" in the subject)
    row: int = 1
    column: str = "issued"  # where to point when its issue date is missing


@dataclass
class Parsed:
    rows: list[RowFields] = field(default_factory=list)
    directives: dict[str, DirectiveMeta] = field(default_factory=dict)
    agencies_file: Path | None = None
    agencies_row: int = 0
    has_key_column: bool = True
    has_issued_column: bool = False
    encoding: str | None = None
    existing_directives: dict = field(default_factory=dict)  # number → Directive already in the database
