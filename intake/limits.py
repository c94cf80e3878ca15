"""Bounds on what a registry file may make dondoc read (hardening: a hostile file is refused, in bounded
memory and seconds, with one line saying why). The values are settings (IMPORT_MAX_*, docs/registry.md)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FileRefused", "Limits"]


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 20_000
    max_columns: int = 200
    max_cell_chars: int = 32_767
    max_uncompressed_bytes: int = 100 * 1024 * 1024
    max_tasks: int = 50_000  # tasks a file may expand to: rows × the members of the groups they name

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        return cls(max_bytes=settings.import_max_bytes, max_rows=settings.import_max_rows,
                   max_columns=settings.import_max_columns, max_cell_chars=settings.import_max_cell_chars,
                   max_uncompressed_bytes=settings.import_max_uncompressed_bytes,
                   max_tasks=settings.import_max_tasks)


class FileRefused(ValueError):
    """The file is refused as a whole (too big, a zip bomb, not the format its name says …).

    `message` is already translated; `row`/`column` point at where it was noticed (0 when the whole file)."""

    def __init__(self, message: str, row: int = 0, column: str | int = 0):
        self.message = message
        self.row = row
        self.column = column
        super().__init__(message)
