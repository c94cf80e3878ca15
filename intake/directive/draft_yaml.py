"""A `Draft` as the YAML `dondoc import` reads (docs/registry.md), with the review notes as comments.

Pure: text out. Every value is written as a JSON string (a valid YAML scalar), so no wording of a directive
can change the file's structure. What the extractor did not find stays empty (`lead: ""`, `deadline: null`)
so that `dondoc import` names the very line to fix.
"""

from __future__ import annotations

import json
import re

from core.i18n import _
from intake.directive.extract import Draft
from intake.directive.text import fold


# Characters YAML does not allow in a file, escaped as \uXXXX inside the (JSON) double-quoted scalar.
_NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _q(value) -> str:
    if value in (None, ""):
        return "null"
    return _NOT_YAML.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(s)).strip("-")


def render(draft: Draft, *, source: str = "", agencies: str | None = None) -> str:
    out = ["# " + line for line in _(
        "Draft registry drafted by `dondoc extract` from {source}.\n"
        "Read every task against the directive before `dondoc import`: the extractor copies, it never guesses,\n"
        "and REVIEW marks what it could not find or was unsure of. Line numbers are those of the text it read.",
        source=source or "-").splitlines()]
    about = _("directive")
    for note in draft.review:
        out.append(f"# REVIEW ({about}): {' '.join(note.split())}")
    for u in draft.unread:  # nothing disappears silently: the items no task was made of, with their line
        out.append("# REVIEW (" + _("line {first}", first=u.line) + "): "
                   + _("item {stt} was not turned into a task: {text}", stt=u.stt, text=" ".join(u.text.split())))
    if agencies:
        out.append(f"agencies: {_q(agencies)}")
    out += ["directive:", f"  number: {_q(draft.number)}"]
    if draft.issued:
        out.append(f"  issued: {draft.issued.isoformat()}")
    out += [f"  issuer: {_q(draft.issuer)}", f"  subject: {_q(draft.subject)}", "tasks:"]
    # `dondoc import` keys a task by directive number + STT ("1.d" and "1.đ" fold alike, and item 9 may hold
    # two duties): a task whose key is taken gets one of its own.
    used: set[str] = set()
    kept = [t for t in draft.tasks if not t.left_out]
    for t in draft.tasks:
        first, last = t.lines
        out.append("  # " + (_("lines {first}-{last}", first=first, last=last) if last != first
                             else _("line {first}", first=first)))
        for note in t.review:
            out.append(f"  # REVIEW: {' '.join(note.split())}")
        if t.left_out:  # written as a comment: `dondoc import` reads the draft without it, the clerk still sees it
            out.append("  # " + _("(to import it, name its lead and remove the “# ” in front of its lines)"))
            out += [f"  # {line}" for line in _task_lines(t, None)]
            continue
        base = f"{_slug(draft.number) or 'draft'}-{_slug(t.stt)}"
        key = None
        if base in used:
            n = 2
            while f"{base}-{n}" in used:
                n += 1
            key = base = f"{base}-{n}"  # the task carries a key of its own
        used.add(base)
        out += [f"  {line}" for line in _task_lines(t, key)]
    if not kept:
        out.append("  []  # REVIEW: " + (_("no task found in the directive") if not draft.tasks
                                         else _("every task is left out (see above)")))
    return "\n".join(out) + "\n"


def _task_lines(t, key: str | None) -> list[str]:
    """One task's YAML lines, indented under `tasks:` by the caller ("- " on the first)."""
    lines = [f"- key: {_q(key)}"] if key else []
    lines.append(f"{'  ' if lines else '- '}stt: {_q(t.stt)}")
    lines.append(f"  content: {_q(t.content)}")
    lines.append(f"  lead: {_q(t.lead) if t.lead else chr(34) * 2}")
    if t.coordinators:
        lines.append(f"  coordinators: [{', '.join(_q(c) for c in t.coordinators)}]")
    if t.report_to:
        lines.append(f"  report_to: {_q(t.report_to)}")
    lines.append(f"  deadline: {_q(t.deadline)}")
    if getattr(t, "product", ""):
        lines.append(f"  product: {_q(t.product)}")
    return lines
