"""Inbound e-mail: a reply to a reminder e-mail, with the report attached, reports the task done (issue 22).

The province's mail relay forwards the replies to dondoc's mailbox to this SMTP receiver (EMAIL_INBOUND_BIND,
started by `dondoc run`). A reminder e-mail's Subject ends with a signed reference to the task, the period and the
address it was sent to (bot.email.reply_reference); a reply is taken only when

- its From is an address confirmed for dondoc (an active e-mail binding, or a person's confirmed address),
- its Subject still carries a reference whose signature is valid for that very address,
- that chat may report the task done (core/authority.py, through the same `ChatScope` as Telegram and Zalo),
- it has at least one attachment, and every attachment is of an accepted type and size (EVIDENCE_TYPES,
  EVIDENCE_MAX_MB).

Then the period is reported done (bot.handlers.flows.do_done, as the chat's /done: the reply's first line is read
like the words after /done — report number, its date, the day done) with every attachment as its evidence, and
the sender gets a confirmation. Otherwise nothing is recorded and the sender gets a mail saying why, in their
language — except a stranger (an address dondoc never confirmed): that mail is dropped without an answer, since
its From may be forged (an answer would go to an innocent address) and an answer would tell a stranger the address
reaches dondoc. Automatic mail (Auto-Submitted, an out-of-office reply) is dropped too: it reports nothing and
answering it could loop.

A picture embedded in the body (a signature's logo: inline, with a Content-ID) is not an attachment. A message
larger than EVIDENCE_MAX_MB × 5 is refused by the SMTP server itself (552), before it is read.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr

from sqlmodel import Session, select

from bot.email import find_reference, reference_is_valid, valid_address
from bot.handlers import flows
from bot.handlers.common import ChatScope, Deps, active_bindings, agency_names, resolve_lang
from bot.notices import tell
from core.i18n import _, use_language
from storage.actions import Actor
from storage.completion import Attachment
from storage.evidence import EvidenceError, EvidenceStore
from storage.tables import Task

log = logging.getLogger(__name__)

PLATFORM = "email"
MESSAGE_SIZE_FACTOR = 5  # a reply may carry several files of EVIDENCE_MAX_MB, base64 adds a third


# -- reading a message (pure) --------------------------------------------------------------------------------

@dataclass
class InboundMail:
    sender: str | None  # the From address, lower case; None when there is none we can read
    sender_name: str
    subject: str
    first_line: str  # the reply's own first line (not the quoted reminder)
    files: list[Attachment] = field(default_factory=list)
    automatic: bool = False  # Auto-Submitted other than "no": an out-of-office reply, a bounce


_ATTRIBUTION = re.compile(r":\s*$")  # "On … wrote:", "Vào … đã viết:" before a quote


def read_mail(raw: bytes) -> InboundMail:
    msg = message_from_bytes(raw, policy=policy.default)
    name, address = parseaddr(str(msg.get("From", "")))
    subject = str(msg.get("Subject", ""))
    auto = str(msg.get("Auto-Submitted", "no")).strip().lower()
    files = [Attachment(part.get_filename() or "tep-dinh-kem", part.get_payload(decode=True) or b"")
             for part in msg.iter_attachments() if not _embedded(part)]
    return InboundMail(valid_address(address), name.strip(), subject, first_line(_body_text(msg)), files,
                       automatic=auto not in ("", "no"))


def _embedded(part) -> bool:
    """A picture the HTML shows in place (a logo in the signature), not a file the person attached."""
    return part.get("Content-ID") is not None and part.get_content_disposition() != "attachment"


def _body_text(msg: EmailMessage) -> str:
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    text = body.get_content()
    if body.get_content_subtype() == "html":
        text = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", text)
        text = re.sub(r"<[^>]+>", "", text)
    return text


def first_line(text: str) -> str:
    """The first line the person wrote: above the quoted reminder (lines "> …" and the line introducing them)
    and the signature ("-- ")."""
    own: list[str] = []
    for line in text.splitlines():
        if line.startswith(">") or line.rstrip() == "--":
            break
        own.append(line.strip())
    while own and not own[-1]:
        own.pop()
    if own and _ATTRIBUTION.search(own[-1]):
        own.pop()  # "On Mon, … dondoc wrote:" — the client's words, not the person's
    return next((line for line in own if line), "")


# -- deciding what a reply does --------------------------------------------------------------------------------

@dataclass
class Answer:
    to: str
    text: str
    notify: list = field(default_factory=list)  # (chat, text, buttons) after the commit, as flows.Outcome's


class EvidenceByMail:
    """Turns one received message into at most one completion and the answer to send (none for strangers)."""

    def __init__(self, deps: Deps):
        self.d = deps

    def receive(self, raw: bytes) -> Answer | None:
        mail = read_mail(raw)
        if mail.sender is None or mail.automatic:
            log.info("inbound mail dropped: %s", "automatic" if mail.automatic else "no readable From")
            return None
        with Session(self.d.engine) as session:
            scope = self._scope(session, mail)
            if not scope.linked:
                log.info("inbound mail from %s dropped: not an address confirmed for dondoc", mail.sender)
                return None
            lang = scope.lang
            ref = find_reference(mail.subject)
            if ref is None or not reference_is_valid(self.d.settings, *ref, mail.sender):
                log.info("inbound mail from %s refused: %s", mail.sender, "no reference" if ref is None else
                         "the reference is not valid for this address")
                return Answer(mail.sender, _("dondoc could not tell which reminder your e-mail answers, so nothing "
                                             "was recorded. Reply to the reminder e-mail itself, from the address "
                                             "it was sent to, keeping its subject as it is.", lang=lang))
            key, occurrence, _sig = ref
            task = session.exec(select(Task).where(Task.key == key)).first()
            if task is None or task.removed_at is not None or not scope.can_see(task):
                return Answer(mail.sender, _("Task {key} is no longer in dondoc's list; nothing was recorded.",
                                             lang=lang, key=key))
            if (why := scope.refusal_to_act(task)) is not None:
                return Answer(mail.sender, why + "\n" + _("Nothing was recorded.", lang=lang))
            problem = self._check_files(mail, lang)
            if problem is not None:
                return Answer(mail.sender, problem + "\n" + _(
                    "Nothing was recorded: task {key} is not reported done. Reply again with the report attached "
                    "(accepted: {types}; at most {mb} MB each).", lang=lang, key=task.key,
                    types=", ".join(self.d.settings.evidence_types), mb=self.d.settings.evidence_max_mb))
            with use_language(lang):
                outcome = flows.do_done(session, self.d, scope, task, occurrence, mail.first_line or None,
                                        files=mail.files)
            if outcome.ok:
                session.commit()
                return Answer(mail.sender, outcome.text, outcome.notify)
            session.rollback()
            text = outcome.text
            if not text.endswith(_("Nothing was recorded.", lang=lang)):
                text += "\n" + _("Nothing was recorded.", lang=lang)
            return Answer(mail.sender, text)

    def _scope(self, session: Session, mail: InboundMail) -> ChatScope:
        """The sender as a chat: its confirmed bindings (a binding is active only once confirmed) and the tasks
        handed to the person whose confirmed address it is."""
        from storage.delegation import tasks_of_person
        from storage.people import Person

        bindings = active_bindings(session, mail.sender, PLATFORM)
        lang = resolve_lang(bindings, None, self.d.settings)
        person_tasks = tasks_of_person(session, PLATFORM, mail.sender)
        if not bindings and person_tasks:
            person = session.exec(select(Person).where(Person.email == mail.sender)).first()
            lang = (person.language if person is not None and person.language else None) or lang
        scope = ChatScope(chat_id=mail.sender, chat_type="private", title=None, bindings=bindings, user=None,
                          is_admin=False, lang=lang, actor=Actor(mail.sender_name or mail.sender, mail.sender, PLATFORM),
                          platform=PLATFORM, deps=self.d)
        scope.names = agency_names(session, {b.agency for b in bindings})
        scope.person_tasks = person_tasks
        return scope

    def _check_files(self, mail: InboundMail, lang: str) -> str | None:
        if not mail.files:
            return _("Your reply has no file attached: the report is the evidence of the completion.", lang=lang)
        store = EvidenceStore.from_settings(self.d.settings)
        problems = []
        for f in mail.files:
            try:
                with use_language(lang):
                    store.check(f.filename, len(f.data))
            except EvidenceError as e:
                problems.append(str(e))
        return "\n".join(problems) or None


# -- the SMTP server -----------------------------------------------------------------------------------------

class _Handler:
    """aiosmtpd's handler: every message is read once it is whole; the answer is sent before the 250, so a
    relay that sees 250 knows the reply was dealt with."""

    def __init__(self, receiver: "EmailReceiver"):
        self.receiver = receiver

    async def handle_DATA(self, server, session, envelope):
        try:
            answer = await asyncio.to_thread(self.receiver.evidence.receive, envelope.original_content or
                                             envelope.content)
        except Exception:  # noqa: BLE001 - the database is away: the relay keeps the message and tries again
            log.exception("inbound mail from %s could not be handled", envelope.mail_from)
            return "451 4.3.0 Temporary failure, please try again later"
        if answer is not None:
            await self.receiver.answer(answer)
        return "250 OK"


class EmailReceiver:
    """The SMTP server on EMAIL_INBOUND_BIND, in the running event loop; `channels` send the answers (the e-mail
    channel) and the notices after a completion (the oversight body's chats)."""

    def __init__(self, deps: Deps, channels: dict):
        self.deps = deps
        self.channels = channels
        self.evidence = EvidenceByMail(deps)
        self.server: asyncio.AbstractServer | None = None

    @property
    def data_size_limit(self) -> int:
        return int(self.deps.settings.evidence_max_mb) * MESSAGE_SIZE_FACTOR * 1024 * 1024

    async def start(self) -> None:
        from aiosmtpd.smtp import SMTP

        host, _sep, port = self.deps.settings.email_inbound_bind.rpartition(":")
        handler = _Handler(self)
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: SMTP(handler, data_size_limit=self.data_size_limit, hostname="dondoc", ident="dondoc",
                         enable_SMTPUTF8=True, decode_data=False),
            host=host.strip("[]"), port=int(port))
        log.info("receiving e-mail on %s", self.deps.settings.email_inbound_bind)

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1] if self.server and self.server.sockets else 0

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    async def answer(self, answer: Answer) -> None:
        email = self.channels.get(PLATFORM)
        if email is None:
            log.warning("no e-mail channel to answer %s: %s", answer.to, answer.text)
        else:
            try:
                await email.send(answer.to, answer.text, key=f"inbound|{answer.to}|{answer.text}")
            except Exception:  # noqa: BLE001 - what was recorded stays recorded; the answer is best effort
                log.exception("could not answer %s by e-mail", answer.to)
        for target, text, rows in answer.notify:
            await tell(self.channels, target, text, rows, after="an e-mail completion")
