"""The draft `dondoc extract` makes: a directive's header fields and its tasks, each with the source lines it
came from and what a person must check (`review`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class DraftTask:
    stt: str
    content: str
    lead: str = ""
    coordinators: list[str] = field(default_factory=list)
    report_to: str = ""
    deadline: str | None = None
    product: str = ""  # sản phẩm: what the duty yields, as written ("Sản phẩm: …" line, the appendix's column)
    lines: tuple[int, int] = (0, 0)  # first and last source line
    review: list[str] = field(default_factory=list)
    # Why the task is not for this directory (intake.directive.directory): set, it is left out of the import.
    left_out: str = ""


@dataclass
class Unread:
    """A numbered item the extractor could not turn into a task (no one named to do it): listed, never dropped
    silently."""

    stt: str
    line: int
    text: str


@dataclass
class Draft:
    number: str = ""
    kind: str = ""  # loại văn bản: "Chỉ thị", "Công điện", "Kế hoạch", "Thông báo", "Công văn" …
    issued: date | None = None
    issuer: str = ""
    subject: str = ""
    tasks: list[DraftTask] = field(default_factory=list)
    review: list[str] = field(default_factory=list)  # about the directive itself
    unread: list[Unread] = field(default_factory=list)
