"""What a calendar's components say (feeds.ics writes them): the summary and the description of a task or
one of its periods, in the calendar's language. Pure.

The description states the deadline as written and in force, who leads and coordinates, what happened (done
on time or late, awaiting confirmation, progress, an extension asked for) — never "due soon" or "overdue",
which would go stale in a saved file (the client sees the date). Texts many tasks share (agency names, a
directive, a deadline as written) are looked up once, not recomputed 100,000 times.
"""

from __future__ import annotations

import functools
import unicodedata
from datetime import date

from core.i18n import _
from core.status import Status, compute_status, status_label

from feeds.ics_model import OccurrenceEntry, TaskEntry, _Options

SUMMARY_MAX = 120  # characters of task content in a SUMMARY; the description has it all


@functools.lru_cache(maxsize=8)
def _t(lang: str) -> dict[str, str]:
    """The calendar's words in `lang`, looked up once (a feed writes them 100,000 times)."""
    return {
        "due": _("[Due]", lang=lang), "coord": _("[Coordinating]", lang=lang), "task": _("Task", lang=lang),
        "directive": _("Directive", lang=lang), "on": _("of", lang=lang), "lead": _("Lead agency", lang=lang),
        "coordinators": _("Coordinating agencies", lang=lang), "report_to": _("Report to", lang=lang),
        "written": _("Deadline as written", lang=lang), "deadline": _("Deadline", lang=lang),
        "extended": _("Extended; original deadline", lang=lang), "effective": _("Effective deadline", lang=lang),
        "day_off_is": _("is a day off", lang=lang),
        "shift_note": _("A deadline on a day off ends at the end of the next working day (Civil Code 2015, "
                        "Art. 148).", lang=lang),
        "first": _("First period", lang=lang), "recurring_note": _("Each period has its own status.", lang=lang),
        "until": _("Last period", lang=lang),
        "status": _("Status", lang=lang), "completed_on": _("completed on", lang=lang),
        "progress": _("Progress", lang=lang), "pending_ext": _("Extension requested to", lang=lang),
        "key": _("Task key", lang=lang), "alarm": _("Deadline reminder", lang=lang),
        "continuous": _("Continuous (no deadline)", lang=lang), "lang": lang,
    }


def _nfc(s: str | None) -> str:
    return unicodedata.normalize("NFC", s or "").strip()


@functools.lru_cache(maxsize=8192)
def _nfc_name(s: str | None) -> str:
    """_nfc for the short texts many tasks share (agency names, directives): looked up, not recomputed."""
    return _nfc(s)


def _fmt(d: date | None) -> str:
    return "—" if d is None else f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def _short(s: str, limit: int = SUMMARY_MAX, *, clean: bool = True) -> str:
    if clean:
        s = " ".join(s.split())
    if len(s) <= limit:
        return s
    cut = s[:limit].rsplit(" ", 1)[0] if " " in s[:limit] else s[:limit]
    return cut.rstrip(" ,;:.-–—") + "…"


def _summary(task: TaskEntry, o: OccurrenceEntry | None, t: dict) -> str:
    tag = t["coord"] if task.role == "coordinator" else t["due"]
    done = "✅ " if o is not None and o.state == "done" else ""
    return f"{done}{tag} {_short_content(task.content)} — {_nfc_name(task.lead_name)}"


@functools.lru_cache(maxsize=4096)
def _short_content(content: str) -> str:
    return _short(_nfc(content))


def _status_line(o: OccurrenceEntry, lang: str, due_soon_days: int) -> str | None:
    """The status when it does not depend on the day the calendar is read: done (on time or late), awaiting
    confirmation, no deadline. Open ones have none — "due soon" and "overdue" would go stale in a saved file."""
    if o.state == "open" and o.effective is not None:
        return None  # most of a feed: no need to ask
    day = o.completed_on or o.effective or date.min
    st = compute_status(effective_due=o.effective, today=day, state=o.state, completed_on=o.completed_on,
                        due_soon_days=due_soon_days)
    if st not in (Status.DONE_ON_TIME, Status.DONE_LATE, Status.PENDING_CONFIRMATION, Status.NO_DEADLINE):
        return None
    return status_label(st, lang)


def _description(task: TaskEntry, o: OccurrenceEntry | None, opt: _Options, t: dict) -> str:
    """The description: what, who, the deadline as written and in force, what happened, last progress.

    `o` None → the master of a recurring task (no single status)."""
    lines = [f"{t['task']}: {_nfc(task.content)}"]
    if task.directive_number:
        lines.append(_directive_line(task.directive_number, task.directive_issued, task.directive_subject, t["lang"]))
    lines.append(_who_lines(t["lang"], task.lead_name, task.coordinator_names, task.coordinators_note))
    if task.report_to:
        lines.append(f"{t['report_to']}: {_nfc(task.report_to)}")
    lines.append(_written_line(t["lang"], task.deadline_text))
    if o is None:  # recurring master
        lines.append(f"{t['first']}: {_fmt(task.start)}")
        if task.until:
            lines.append(f"{t['until']}: {_fmt(task.until)}")
        if task.shift_rule:
            lines.append(t["shift_note"])
        lines.append(t["recurring_note"])
    elif task.kind == "continuous":
        lines.append(f"{t['deadline']}: {t['continuous']}")
    else:
        lines.append(f"{t['deadline']}: {_fmt(o.in_force)}")
        if o.in_force != o.due:
            lines.append(f"{t['extended']}: {_fmt(o.due)}")
        if o.effective != o.in_force:
            why = f" ({_fmt(o.in_force)} {t['day_off_is']}{': ' + o.day_off if o.day_off else ''})"
            lines.append(f"{t['effective']}: {_fmt(o.effective)}{why}")
    if o is not None:
        st = _status_line(o, opt.lang, opt.due_soon_days)
        if st is not None:
            if o.state == "done" and o.completed_on:
                st += f" ({t['completed_on']} {_fmt(o.completed_on)})"
            lines.append(f"{t['status']}: {st}")
        if o.pending_extension is not None and o.state != "done":
            lines.append(f"{t['pending_ext']}: {_fmt(o.pending_extension)}")
        if o.progress is not None:
            p = o.progress
            bits = [f"{p.percent}%" if p.percent is not None else "", _nfc(p.note)]
            text = " — ".join(b for b in bits if b)
            lines.append(f"{t['progress']}: {text} ({_nfc(p.actor)}, {_fmt(p.at.date())})")
    lines.append(f"{t['key']}: {task.key}")
    return "\n".join(lines)


@functools.lru_cache(maxsize=1024)
def _who_lines(lang: str, lead_name: str, coordinator_names: tuple[str, ...], note: str | None) -> str:
    """The lead agency and coordinating agencies lines (a province has a few hundred combinations)."""
    t = _t(lang)
    out = f"{t['lead']}: {_nfc_name(lead_name)}"
    coord = [_nfc_name(c) for c in coordinator_names if _nfc_name(c)]
    if note and _nfc(note) not in coord:
        coord.append(_nfc(note))
    if coord:
        out += f"\n{t['coordinators']}: {', '.join(coord)}"
    return out


@functools.lru_cache(maxsize=4096)
def _written_line(lang: str, deadline_text: str) -> str:
    return f"{_t(lang)['written']}: {_nfc(deadline_text)}"


@functools.lru_cache(maxsize=256)
def _directive_line(number: str, issued: date | None, subject: str | None, lang: str) -> str:
    t = _t(lang)
    d = _nfc(number)
    if issued:
        d += f" {t['on']} {_fmt(issued)}"
    if subject:
        d += f" — {_nfc(subject)}"
    return f"{t['directive']}: {d}"
