"""A task's history as a clerk reads it (nhật ký nhiệm vụ): every action in words, with who, when and from where.

The audit log (storage.audit) keeps each change as a code and its details; this module says them in the reader's
language — "Sở Nội vụ trả lại báo cáo hoàn thành: thiếu số liệu quý III" rather than `task.completion_rejected`.
Agencies are named, dates are dd/mm/yyyy, people by the name they acted under. An action this module does not
know yet (a newer area's) is still listed, by its code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Mapping

from sqlmodel import Session, select

from core.i18n import N_, _, format_date
from storage.agency_table import agency_names
from storage.tables import AuditEntry, Task

__all__ = ["HistoryLine", "describe", "source_label", "task_history"]

_SOURCES = {
    "cli": N_("command line"), "telegram": N_("Telegram"), "zalo": N_("Zalo"), "email": N_("e-mail"),
    "console": N_("web console"), "web": N_("web console"), "scheduler": N_("the service"),
    "import": N_("registry import"), "migration": N_("database upgrade"), "api": N_("API"),
}


def source_label(source: str | None, lang: str | None = None) -> str:
    """Where an action came from, in words."""
    msg = _SOURCES.get(source or "")
    return _(msg, lang) if msg else (source or "—")


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    actor: str
    source: str  # the code (cli, telegram …)
    action: str  # the code (task.done …)
    text: str  # in words
    occurrence: str | None = None

    def as_dict(self, tz, lang: str | None = None) -> dict:
        return {"at": self.at.astimezone(tz).isoformat(), "actor": self.actor, "source": self.source,
                "from": source_label(self.source, lang), "action": self.action, "text": self.text,
                "period": self.occurrence}


def _d(v: Any) -> str:
    if isinstance(v, str):
        try:
            return format_date(date.fromisoformat(v[:10]))
        except ValueError:
            return v
    return format_date(v) if isinstance(v, date) else "—"


def _period(occ: str | None, lang: str | None) -> str:
    if not occ or occ in ("once", "continuous"):
        return ""
    return " " + _("(period due {date})", lang, date=_d(occ))


_FIELDS = {"content": N_("Content"), "lead_agency": N_("Lead agency"), "coordinators": N_("Coordinating agencies"),
           "coordinators_note": N_("Coordinating agencies"), "deadline_text": N_("Deadline"),
           "section": N_("Section"), "product": N_("Product"), "report_to": N_("Report to"),
           "assignee_text": N_("Assigned to"), "directive_id": N_("Directive")}
# Copies of another field for queries: a change shows once, in the field a person wrote.
_HIDDEN = {"deadline", "deadline_kind", "due"}


def _value(field: str, v: Any, name: Callable[[str], str]) -> str:
    if v is None or v == [] or v == "":
        return "—"
    if field in ("lead_agency", "report_to"):
        return name(v)
    if field == "coordinators":
        return ", ".join(name(c) for c in v)
    return str(v)


def describe(action: str, detail: Mapping[str, Any], names: Mapping[str, str], lang: str | None = None) -> str:
    """One audit entry about a task, in words."""
    def name(code: Any) -> str:
        return names.get(code, code) if isinstance(code, str) else "—"

    d = detail
    occ = _period(d.get("occurrence"), lang)
    note = d.get("note") or ""
    with_note = (lambda t: t + (": " + note if note else ""))
    texts: dict[str, Callable[[], str]] = {
        "task.created": lambda: _("Task added from the registry; lead: {lead}; deadline: {deadline}", lang,
                                  lead=name(d.get("lead")), deadline=d.get("deadline") or "—"),
        "task.changed": lambda: _("Registry changed: {changes}", lang, changes="; ".join(
            f"{_(_FIELDS.get(f, f), lang)}: {_value(f, v[0], name)} → {_value(f, v[1], name)}"
            for f, v in (d.get("changes") or {}).items() if f not in _HIDDEN) or "—"),
        "task.restored": lambda: _("Back in the registry", lang),
        "task.removed": lambda: _("Removed from the registry", lang),
        "task.progress": lambda: with_note(_("Progress reported{period}: {percent}", lang, period=occ,
                                             percent=f"{d['percent']}%" if d.get("percent") is not None else "—")),
        "task.done": lambda: with_note(_("Reported done{period} on {date}", lang, period=occ,
                                         date=_d(d.get("completed_on")))),
        "task.done_claimed": lambda: with_note(_("Reported done{period} on {date}, awaiting confirmation", lang,
                                                 period=occ, date=_d(d.get("completed_on")))),
        "task.completion_confirmed": lambda: with_note(_("Completion confirmed{period}", lang, period=occ)),
        "task.completion_rejected": lambda: with_note(_("Completion returned{period}", lang, period=occ)),
        "task.returned": lambda: _("Completion returned{period}: {reason}", lang, period=occ,
                                   reason=d.get("reason") or "—"),
        "task.evidence": lambda: _("Evidence{period}: {what}", lang, period=occ, what=_evidence(d, lang)),
        "task.acknowledged": lambda: _("Acknowledged{period}", lang, period=occ),
        "extension.requested": lambda: _("More time asked{period}: from {previous} to {date} — {reason}", lang,
                                         period=occ, previous=_d(d.get("previous_due")),
                                         date=_d(d.get("requested_due")), reason=d.get("reason") or "—"),
        "extension.approved": lambda: with_note(_("Extension approved{period}: now due {date}", lang, period=occ,
                                                  date=_d(d.get("requested_due")))),
        "extension.rejected": lambda: with_note(_("Extension refused{period}", lang, period=occ)),
        "task.handed_over": lambda: _("Handed over from {old} to {new} from {date}: {reason}", lang,
                                      old=name(d.get("from")), new=name(d.get("to")), date=_d(d.get("since")),
                                      reason=_ceased(d, name, lang)),
        "task.reassigned": lambda: _("Reassigned from {old} to {new} from {date}: {reason}", lang,
                                     old=name(d.get("from")), new=name(d.get("to")), date=_d(d.get("since")),
                                     reason=d.get("reason") or "—"),
        "task.lead_corrected": lambda: _("Lead corrected from {old} to {new}: {reason}", lang,
                                         old=name(d.get("from")), new=name(d.get("to")),
                                         reason=d.get("reason") or "—"),
    }
    make = texts.get(action)
    return make() if make else _("{action} (recorded)", lang, action=action)


def _evidence(d: Mapping[str, Any], lang: str | None) -> str:
    """ "Văn bản 123/BC-SNV (16/12/2013); tệp: bc.pdf" """
    parts = []
    if d.get("document"):
        doc = _("Document {number}", lang, number=d["document"])
        if d.get("document_date"):
            doc += f" ({_d(d['document_date'])})"
        parts.append(doc)
    if d.get("files"):
        parts.append(_("files: {names}", lang, names=", ".join(d["files"])))
    return "; ".join(parts) or "—"


def _ceased(d: Mapping[str, Any], name, lang) -> str:
    """The scheduler's reason "X ceased to exist on 2025-02-28", said in words."""
    reason = d.get("reason") or ""
    if " ceased to exist on " in reason:
        code, _sep, when = reason.partition(" ceased to exist on ")
        return _("{agency} ceased to exist on {date}", lang, agency=name(code), date=_d(when))
    return reason or "—"


def task_history(session: Session, task: Task, *, lang: str | None = None, limit: int = 500) -> list[HistoryLine]:
    """The task's actions, oldest first."""
    rows = session.exec(select(AuditEntry).where(AuditEntry.entity_key == task.key,
                                                 AuditEntry.entity.in_(("task", "extension")))
                        .order_by(AuditEntry.at, AuditEntry.id).limit(limit)).all()
    names = agency_names(session)
    return [HistoryLine(a.at, a.actor, a.source, a.action, describe(a.action, a.detail or {}, names, lang),
                        (a.detail or {}).get("occurrence")) for a in rows]


# -- an import's changes, in the file's own words ---------------------------------------------------------------

def change_words(changes: Mapping[str, list], names: Mapping[str, str],
                 directives: Mapping[int, str] | None = None) -> dict[str, list[str]]:
    """One task's changes from an import (field → [old, new]) as the file says them: the file's column names,
    agency names, dd/mm/yyyy — one line per real change (copies kept for queries, such as the parsed deadline,
    are not changes of their own)."""
    from storage.registry import COLUMNS

    directives = directives or {}

    def agency(code: Any) -> str:
        return names.get(code, code) if isinstance(code, str) else "—"

    def text(v: Any) -> str:
        if v is None or v == "" or v == []:
            return "—"
        if isinstance(v, date):
            return format_date(v)
        return str(v)

    out: dict[str, list[str]] = {}
    c = dict(changes)
    if "lead_agency" in c or "assignee_text" in c:
        lead = c.get("lead_agency")
        written = c.get("assignee_text")
        before = (written[0] if written and written[0] else agency(lead[0] if lead else None)) if (lead or written) else "—"
        after = (written[1] if written and written[1] else agency(lead[1] if lead else None)) if (lead or written) else "—"
        if lead is None:  # only the words changed, the agency did not
            before, after = text(written[0]), text(written[1])
        if before != after:
            out[COLUMNS["lead"]] = [before, after]
    if "coordinators" in c or "coordinators_note" in c:
        def coord(i: int) -> str:
            codes = (c["coordinators"][i] if "coordinators" in c else None) or []
            note = c["coordinators_note"][i] if "coordinators_note" in c else None
            return "; ".join([agency(x) for x in codes] + ([note] if note else [])) or "—"
        out[COLUMNS["coordinators"]] = [coord(0), coord(1)]
    for f, col in (("content", "content"), ("deadline_text", "deadline"), ("section", "section"),
                   ("product", "product")):
        if f in c:
            out[COLUMNS[col]] = [text(c[f][0]), text(c[f][1])]
    if "report_to" in c:
        out[COLUMNS["report_to"]] = [agency(c["report_to"][0]) if c["report_to"][0] else "—",
                                     agency(c["report_to"][1]) if c["report_to"][1] else "—"]
    if "directive_id" in c:
        out[COLUMNS["document"]] = [directives.get(c["directive_id"][0], "—"), directives.get(c["directive_id"][1], "—")]
    return out
