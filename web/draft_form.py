"""The directive draft as the console's review table shows and takes it back (pure: no I/O).

A kept draft (storage.drafts.DirectiveDraft) holds what `intake.directive.extract` read, as plain data; the
form has one row per task (`t3-lead`, …); the import renders the corrected draft as the YAML of
`intake.directive.draft_yaml` — the file `dondoc extract` writes — and each problem the import finds on a
line of that YAML is put back on its task's row.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date

from core.i18n import _, format_date
from intake.directive.extract import Draft, DraftTask

FIELDS = ("stt", "content", "lead", "coordinators", "deadline")
MAX_FIELD = 4000  # characters kept of one cell (a duty is a paragraph, not a book)


def header_of(draft: Draft) -> dict:
    return {"number": draft.number, "issued": draft.issued, "issuer": draft.issuer, "subject": draft.subject,
            "review": list(draft.review)}


def tasks_of(draft: Draft) -> list[dict]:
    out = []
    for t in draft.tasks:
        d = asdict(t)
        d["lines"] = list(t.lines)
        out.append(d)
    return out


def split_names(text: str) -> list[str]:
    """ "Sở Tài chính; Sở Y tế" or "Sở Tài chính, Sở Y tế" → the names (a semicolon wins: names may hold
    commas, "Sở Văn hóa, Thể thao và Du lịch")."""
    sep = ";" if ";" in text else ","
    return [n.strip() for n in text.split(sep) if n.strip()]


def _clean(value) -> str:
    return " ".join(str(value or "").split())[:MAX_FIELD]


def tasks_from_form(form, stored: list[dict]) -> list[dict]:
    """The stored tasks with the form's corrections; a row ticked "remove" is left out. Source lines and the
    extractor's notes stay with their row."""
    out = []
    for i, old in enumerate(stored):
        if form.get(f"t{i}-remove") == "on":
            continue
        t = dict(old)
        t["left_out"] = ""  # kept by the clerk: the form's "Leave out" box is the decision now
        for name in FIELDS:
            key = f"t{i}-{name}"
            if key in form:
                t[name] = (split_names(_clean(form[key])) if name == "coordinators" else _clean(form[key]))
        t["deadline"] = t.get("deadline") or None
        out.append(t)
    return out


def to_draft(header: dict, tasks: list[dict]) -> Draft:
    return Draft(number=header.get("number") or "", issued=header.get("issued"), issuer=header.get("issuer") or "",
                 subject=header.get("subject") or "", review=list(header.get("review") or []),
                 tasks=[DraftTask(stt=t.get("stt") or "", content=t.get("content") or "", lead=t.get("lead") or "",
                                  coordinators=list(t.get("coordinators") or []), report_to=t.get("report_to") or "",
                                  deadline=t.get("deadline") or None, lines=tuple(t.get("lines") or (0, 0)),
                                  product=t.get("product") or "",
                                  review=list(t.get("review") or [])) for t in tasks])


_TASK_START = re.compile(r"^  - ")


def task_of_line(yaml_text: str) -> list[int | None]:
    """For each line of the rendered draft (index = line number - 1): the task (0-based) it belongs to, None
    above the first task. A task starts at its "  - " line; the comments just above it are its own."""
    lines = yaml_text.splitlines()
    owner: list[int | None] = [None] * len(lines)
    n = -1
    for i, line in enumerate(lines):
        if _TASK_START.match(line):
            n += 1
        owner[i] = n if n >= 0 else None
    return owner


def place_problems(problems, yaml_text: str) -> tuple[dict[int, list[str]], list[str]]:
    """(task index → its problems, problems about the directive as a whole)."""
    owner = task_of_line(yaml_text)
    by_task: dict[int, list[str]] = {}
    general: list[str] = []
    for p in problems:
        k = owner[p.row - 1] if 0 < p.row <= len(owner) else None
        text = f"{p.column}: {p.message}" if p.column else p.message
        (by_task.setdefault(k, []) if k is not None else general).append(text)
    return by_task, general


def deadline_as_read(text: str | None, issued: date | None, today: date, calendar=None) -> tuple[str, bool]:
    """How the grammar reads a deadline as written: (words for the table, whether it reads at all)."""
    from core.deadline import DeadlineError, parse_deadline

    if not (text or "").strip():
        return _('no deadline: write one, or "continuous"'), False
    on = issued or today
    try:
        d = parse_deadline(text, on, calendar)
    except DeadlineError as e:
        return str(e), False
    if d.kind == "once":
        return _("due {date}", date=format_date(d.due)), True
    if d.kind == "continuous":
        return _("continuous (no date)"), True
    dues = ", ".join(format_date(x) for x in d.next_dues(on, 3))
    return _("recurring: {dates} …", dates=dues), True


def lead_suggestions(directory, lead: str, on: date | None = None) -> tuple[bool, list[str]]:
    """(whether the directory knows the lead, the names it suggests when it does not)."""
    from storage.agencies import UnknownAgency

    if not lead.strip():
        return False, []
    try:
        directory.match(lead, on)
        return True, []
    except UnknownAgency as e:
        return False, list(e.suggestions)
