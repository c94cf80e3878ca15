"""What a clerk writes after /done in a chat, read for the record (pure): the report document's number and date and
the day the work was done, if the text gives them — "xong ngày 15/12/2013, báo cáo số 123/BC-SNV ngày 16/12/2013".

The whole text stays the completion's note, as written; what is found here is added to the completion, never
guessed: a number needs letters after its slash (123/BC-SNV, not 15/12), a date is dd/mm/yyyy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

__all__ = ["CompletionWords", "read_completion"]

_DATE = r"(\d{1,2})/(\d{1,2})/(\d{4})"
# số/ký hiệu: digits, a slash, then an uppercase symbol with dashes (123/BC-SNV, 45/KH-UBND, 7/QĐ-UBND)
_NUMBER = re.compile(r"(?<![\w/])(\d{1,6}/[A-ZĐ][A-ZĐ0-9]*(?:[-–][A-ZĐ0-9]+)*)(?![\w/])")
_DOC_DATE = re.compile(r"\s*,?\s*(?:ngày|ngay|dated|of)\s+" + _DATE, re.IGNORECASE)
_DONE_ON = re.compile(r"(?:xong|hoàn thành|hoan thanh|done|completed|finished)\s*(?:vào\s+|vao\s+)?(?:ngày|ngay|on)?\s*"
                      + _DATE, re.IGNORECASE)


@dataclass(frozen=True)
class CompletionWords:
    on: date | None = None
    document: str | None = None
    document_date: date | None = None


def _date(m: re.Match, first: int = 1) -> date | None:
    try:
        return date(int(m.group(first + 2)), int(m.group(first + 1)), int(m.group(first)))
    except ValueError:
        return None


def read_completion(text: str | None) -> CompletionWords:
    if not text:
        return CompletionWords()
    document = document_date = None
    if (m := _NUMBER.search(text)) is not None:
        document = m.group(1)
        if (dm := _DOC_DATE.match(text, m.end())) is not None:
            document_date = _date(dm)
    on = None
    if (om := _DONE_ON.search(text)) is not None:
        on = _date(om)
    return CompletionWords(on, document, document_date)
