"""Text cells of the spreadsheets dondoc writes, safe from formula injection (pure: works on any cell object
with openpyxl's attributes, imports nothing).

A cell stored as text (`data_type = "s"`) is not a formula when the file opens, but Excel and LibreOffice
re-read a cell the user edits (F2, Enter): "=HYPERLINK(…)" typed into a task's content then becomes a live
formula. Excel's own answer is the quote prefix (the leading ' the user does not see): with it the cell stays
text after editing too. Every text cell that a spreadsheet would read as a formula gets it.
"""

from __future__ import annotations

# What Excel and LibreOffice take as the start of a formula (OWASP "CSV injection"), tab and CR included.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def set_text(cell, value: str | None) -> None:
    """`value` as text in `cell`, quote-prefixed when a spreadsheet would read it as a formula."""
    text = value if value is not None else ""
    cell.value = text
    cell.data_type = "s"
    if looks_like_formula(text):
        cell.quotePrefix = True
