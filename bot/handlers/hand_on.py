"""🧑‍💼 Giao việc under a task card in the lead agency's chat (issue 24): pressed, the card's buttons become the
agency's active people and departments; one picked, the internal deadline (the agency's, by default — or typed
with /giao KEY #12 dd/mm/yyyy); picked, the task is handed on exactly as /giao does (bot.person_messages.hand_on).

Every press asks the rule of who hands work on (core/authority.py, through storage.delegation.refusal) — the
lead agency's focal point or leader — and a refusal is an alert only the presser sees, with the reason. Zalo's
bot platform has no inline buttons: there /giao is the way (docs/people.md)."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot import buttons as btn
from bot.handlers import flows
from bot.handlers.common import ChatScope, Deps, edit, send
from bot.texts import shorten, t
from core.i18n import _, format_date
from storage.tables import Task

MAX_PEOPLE, MAX_DEPARTMENTS = 10, 6  # a card's keyboard stays readable on a phone; /giao names anyone else


async def on_hand_button(update: Update, context: ContextTypes.DEFAULT_TYPE, session, d: Deps, scope: ChatScope,
                         task: Task, payload: btn.Payload, message: Message | None) -> None:
    from bot.person_messages import delegation_refusal_text, hand_on
    from storage import delegation

    query = update.callback_query
    lang, secret, key = scope.lang, d.settings.secret_for_callbacks(), payload.occurrence_key
    if not scope.can_see(task):
        await query.answer(t(lang, "cb_invalid"), show_alert=True)
        return
    why = delegation.refusal(task, task.lead_agency, scope.acting_roles)
    if why is not None:
        text = delegation_refusal_text(delegation.DelegationError(why, why), lang)
        await query.answer(shorten(text, 200), show_alert=True)
        return
    if payload.sequence != task.sequence:
        if message is not None:
            await edit(message, None, flows.reminder_keyboard(session, d, task, key, lang, scope))
        await query.answer(shorten(t(lang, "cb_stale"), 200), show_alert=True)
        return

    if payload.action == btn.HAND:
        targets = _targets(session, task.lead_agency)
        if not targets:
            await query.answer(shorten(_("{agency} has no people or departments yet: `dondoc people add` or the "
                                         "console's People page adds them.", lang=lang,
                                         agency=scope.name(task.lead_agency)), 200), show_alert=True)
            return
        if message is not None:
            await edit(message, None, btn.hand_target_buttons(task, key, lang, secret, targets))
        await query.answer(shorten(_("Hand {key} to whom?", lang=lang, key=task.key), 200))
        return

    try:
        kind, ident, due = btn.read_target(payload.arg)
    except btn.InvalidPayload:
        await query.answer(t(lang, "cb_invalid"), show_alert=True)
        return
    target = _target(session, task, kind, ident)
    if target is None:  # deactivated or removed since the buttons were made
        await query.answer(t(lang, "cb_invalid"), show_alert=True)
        return

    if payload.action == btn.HAND_TO:
        agency_due = _agency_due(session, task, key)
        dues = [agency_due] if agency_due is not None and agency_due >= d.today() else []
        who = target.person.name if target.person else target.department.name
        ref = f"#{target.person.id}" if target.person else target.department.name
        if message is not None:
            await edit(message, None, btn.hand_due_buttons(task, key, lang, secret, payload.arg, dues))
        hint = _("{key} to {who}: the internal deadline? The button gives the agency's ({date}); another date: "
                 "/giao {key} {ref} dd/mm/yyyy", lang=lang, key=task.key, who=who, ref=ref,
                 date=format_date(agency_due) if agency_due else "—")
        await query.answer()
        await send(context.bot, scope.chat_id, hint)
        return

    text, ok = hand_on(session, d, scope, task, target, due)
    if not ok:
        session.rollback()
        await query.answer(shorten(text, 200), show_alert=True)
        return
    session.commit()
    if message is not None:
        await edit(message, f"{(message.text or '').rstrip()}\n\n{text}",
                   flows.reminder_keyboard(session, d, task, key, lang, scope))
    await query.answer(shorten(text, 200))


def _targets(session, agency: str) -> list[tuple[str, str]]:
    """(button arg, label): the agency's active people (name — position), then its departments."""
    from storage.people import departments, people

    out = [(btn.target_ref("p", p.id), p.name + (f" — {p.position}" if p.position else ""))
           for p in people(session, agency)[:MAX_PEOPLE]]
    out += [(btn.target_ref("d", dep.id), "🏢 " + dep.name) for dep in departments(session, agency)[:MAX_DEPARTMENTS]]
    return out


def _target(session, task: Task, kind: str, ident: int):
    """The lead agency's active person or department a button names, else None."""
    from storage.delegation import Target
    from storage.people import Department, Person

    if kind == "p":
        p = session.get(Person, ident)
        return Target(p.agency, person=p) if p is not None and p.active and p.agency == task.lead_agency else None
    dep = session.get(Department, ident)
    ok = dep is not None and dep.removed_at is None and dep.agency == task.lead_agency
    return Target(dep.agency, department=dep) if ok else None


def _agency_due(session, task: Task, key: str):
    """The agency's deadline in force for the card's occurrence (None: continuous)."""
    from sqlmodel import select

    from storage.actions import deadline_in_force
    from storage.tables import Occurrence

    if key in ("", "continuous"):
        return None
    row = session.exec(select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.key == key)).first()
    return deadline_in_force(task, row, key)
