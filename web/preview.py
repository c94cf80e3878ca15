"""What will be sent in the coming days, as `dondoc preview` computes it, each message composed by the
dispatcher's `Composer`. Nothing is sent.

With `jobs.preview.plan_preview` (the one planning path `dondoc preview` and `dondoc run` share) installed,
the steps are its; otherwise they are today's `dondoc preview` steps: the planner's `timeline` over every
task and linked chat, with stand-ins for the chats not linked yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, select


@dataclass
class Message:
    when: datetime
    chat: str
    who: str
    step: str
    task_key: str
    text: str


def _steps(session: Session, settings, calendar, now: datetime, first: date, last: date, agency: str | None):
    """(planned steps, bindings with stand-ins) of the window."""
    try:
        from jobs.preview import plan_preview
    except ImportError:  # pragma: no cover - before the shared planning path is merged
        return _timeline_steps(session, settings, calendar, first, last, agency)
    plan = plan_preview(session, settings, calendar, now, first, last, agency)
    return plan.steps, plan.bindings


def _timeline_steps(session: Session, settings, calendar, first: date, last: date, agency: str | None):
    from core.deadline import DeadlineError
    from jobs.planner import GLOBAL_ROLES, Bindings, Policy, Recipient, TaskSnapshot, timeline
    from storage.tables import ChatBinding, Directive, Occurrence, Task

    tz = settings.timezone
    policy = Policy.from_settings(settings)
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    tasks = session.exec(select(Task).where(Task.removed_at.is_(None)).order_by(Task.position, Task.id)).all()
    if agency:
        tasks = [t for t in tasks if t.lead_agency == agency or agency in (t.coordinators or [])]
    occs: dict[int, list] = {}
    for o in session.exec(select(Occurrence)).all():
        occs.setdefault(o.task_id, []).append(o)
    issued = {d.id: d.issued for d in session.exec(select(Directive)).all()}
    snaps = []
    for t in tasks:
        try:
            snaps.append(TaskSnapshot.from_rows(t, occs.get(t.id, ()), issued=issued.get(t.directive_id)))
        except DeadlineError:
            continue
    real = [Recipient.from_row(b) for b in session.exec(
        select(ChatBinding).where(ChatBinding.active == True)).all()]  # noqa: E712
    have = {(r.agency, r.role) for r in real}
    have_roles = {r.role for r in real}
    wanted = set()
    for t in snaps:
        wanted |= {(t.lead, "focal"), (t.lead, "manager")} | {(a, "focal") for a in t.coordinators}
    standins = [Recipient("unlinked", f"{a}:{role}", a, role) for a, role in sorted(wanted) if (a, role) not in have]
    standins += [Recipient("unlinked", f"*:{role}", "*", role) for role in GLOBAL_ROLES if role not in have_roles]
    bindings = Bindings(real + standins)
    steps = timeline(snaps, bindings, policy, calendar, start, end)
    if agency:
        own = {r.chat for r in bindings.all if r.agency == agency}
        steps = [x for x in steps if x.task_key or x.chat in own]
    return steps, bindings


def preview(session: Session, settings, calendar, first: date, last: date, agency: str | None = None,
            lang: str = "vi", now: datetime | None = None) -> list[Message]:
    from bot.i18n import role_label
    from core.i18n import _
    from bot.compose import Composer

    tz = settings.timezone
    now = now or datetime.combine(first, datetime.min.time(), tzinfo=tz)
    composer = Composer(settings, calendar, cache=True)
    steps, bindings = _steps(session, settings, calendar, now, first, last, agency)
    by_chat: dict[str, list] = {}
    for r in bindings.all:
        by_chat.setdefault(r.chat, []).append(r)
    out = []
    for x in steps:
        rs = by_chat.get(x.chat, [])
        if x.chat.startswith("unlinked:"):
            r = rs[0]
            name = _("every agency") if r.agency == "*" else composer.agency_name(session, r.agency)
            who = _("(no chat linked)") + f" {name} · {role_label(r.role, lang)}"
            binding = None
        else:
            who = f"{x.chat} ({composer.describe_chat(session, x.chat, bindings=rs)})"
            binding = rs[0] if rs else None
        try:
            text = composer.compose(session, x, x.due_at, binding).text
        except Exception as e:  # noqa: BLE001 - a preview shows what it can
            text = f"({e})"
        if not text:
            continue  # nothing to report: not sent
        out.append(Message(x.due_at.astimezone(tz), x.chat, who, x.step, x.task_key or x.occurrence, text))
    return out
