"""E-mail: the channel that sends outbox messages over SMTP, and the double opt-in of an address.

Each message is multipart plain text + HTML with the same content, From/Reply-To from settings, a
Message-ID derived from the outbox key (a resend of the same row carries the same id, so a mail client or
a person can tell it is the same message), `List-Unsubscribe` (RFC 2369, one-click per RFC 8058) pointing
at the stop page, and for a message about a task an .ics of that task.

An address is bound by an administrator (`dondoc link AGENCY someone@x.gov.vn --platform email --role
manager`) inactive, "awaiting confirmation"; the confirmation mail carries a signed link to a page on
FEED_BASE_URL whose button (a POST) activates the binding — a mail scanner that prefetches the link
confirms nothing. A 5xx answer for the recipient (a bounce) is `ChatGone`: the dispatcher disables the
binding and tells the oversight chat, as it does for Telegram's 403.

With EMAIL_INBOUND_BIND set, a message about a period of a task carries a signed reference in its Subject,
"[dondoc KEY PERIOD SIGNATURE]": the signature (HMAC with the callback secret) covers the task, the period and the
address the mail was sent to, so a reply to it can report that period done from that address only
(bot.email_inbound).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import logging
import re
import ssl
import time
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

from jobs.ports import ATTACH, Channel, ChatGone, PermanentDeliveryError, TransientDeliveryError
from core.i18n import _

log = logging.getLogger(__name__)

PLATFORM = "email"
AWAITING = "awaiting confirmation"
CONFIRM_DAYS = 7


# -- signed links (no table: the binding row is the state) ---------------------------------------------------

def _secret(settings) -> bytes:
    return hashlib.sha256(b"dondoc-email:" + settings.secret_for_callbacks()).digest()


def make_token(settings, purpose: str, binding_id: int, *, now: float | None = None, days: int = CONFIRM_DAYS) -> str:
    expires = int((now if now is not None else time.time()) + days * 86400)
    body = f"{purpose}.{binding_id}.{expires}"
    sig = hmac.new(_secret(settings), body.encode(), hashlib.sha256).digest()[:16]
    return body + "." + base64.urlsafe_b64encode(sig).decode().rstrip("=")


def read_token(settings, token: str, purpose: str, *, now: float | None = None) -> int | None:
    """The binding id of a valid, unexpired token for `purpose`; None otherwise (forged, garbled, old)."""
    if not (token or "").isascii():  # a garbled link ("²".isdigit() is true, int("²") fails)
        return None
    parts = (token or "").split(".")
    if len(parts) != 4 or parts[0] != purpose or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    body = ".".join(parts[:3])
    sig = base64.urlsafe_b64encode(hmac.new(_secret(settings), body.encode(), hashlib.sha256).digest()[:16]).decode()
    # Bytes, not str: compare_digest raises TypeError on a non-ASCII str (a garbled link must be "not valid").
    if not hmac.compare_digest(sig.rstrip("=").encode(), parts[3].encode("utf-8", "replace")):
        return None
    if int(parts[2]) < (now if now is not None else time.time()):
        return None
    return int(parts[1])


# -- the reference a reply carries back (bot.email_inbound reads it) -------------------------------------------

REFERENCE = re.compile(r"\[dondoc\s+(\S+)\s+(\S+)\s+([A-Za-z0-9_-]{22})\]")


def _reply_signature(settings, task_key: str, occurrence: str, address: str) -> str:
    body = f"reply.{task_key}.{occurrence}.{address.strip().lower()}"
    sig = hmac.new(_secret(settings), body.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(sig).decode().rstrip("=")


def reply_reference(settings, task_key: str, occurrence: str, address: str) -> str:
    """What the Subject of a mail about `task_key`'s period `occurrence` sent to `address` ends with. No expiry:
    a late reply still reports the period it answers."""
    return f"[dondoc {task_key} {occurrence} {_reply_signature(settings, task_key, occurrence, address)}]"


def find_reference(subject: str) -> tuple[str, str, str] | None:
    """(task key, period, signature) of the reference in a Subject ("Re: …" and a client's folding allowed)."""
    m = REFERENCE.search(" ".join((subject or "").split()))
    return (m.group(1), m.group(2), m.group(3)) if m else None


def reference_is_valid(settings, task_key: str, occurrence: str, signature: str, address: str) -> bool:
    """True only for a reference dondoc made for a mail to `address`: a forged one, or ours from another address,
    is not."""
    if not (task_key + occurrence + signature).isascii():
        return False
    expected = _reply_signature(settings, task_key, occurrence, address)
    return hmac.compare_digest(expected.encode(), signature.encode())


def confirm_url(settings, binding_id: int, now: float | None = None) -> str:
    return f"{settings.feed_base_url}/email/confirm?t={make_token(settings, 'confirm', binding_id, now=now)}"


def stop_url(settings, binding_id: int) -> str:
    # Valid for ten years: an unsubscribe link in an old mail must still work.
    return f"{settings.feed_base_url}/email/stop?t={make_token(settings, 'stop', binding_id, days=3650)}"


def valid_address(text: str) -> str | None:
    name, addr = parseaddr(text or "")
    addr = addr.strip()
    if not addr or addr.count("@") != 1 or " " in addr or len(addr) > 64:
        return None
    local, domain = addr.split("@")
    if not local or "." not in domain or domain.startswith(".") or domain.endswith("."):
        return None
    return addr.lower()


# -- messages ------------------------------------------------------------------------------------------------

def message_id(key: str, settings) -> str:
    domain = parseaddr(settings.mail_from or "")[1].rpartition("@")[2] or "dondoc.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def build_message(settings, to: str, text: str, *, key: str, unsubscribe: str | None = None,
                  attachment: bytes | None = None, attachment_name: str = "task.ics", lang: str | None = None,
                  reference: str | None = None) -> EmailMessage:
    """The e-mail for one outbox row: subject = the message's first line (then `reference`, which a reply
    carries back: the text then says how to report the task done by replying)."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "dondoc")
    subject = first if len(first) <= 120 else first[:119].rstrip() + "…"
    if reference:
        subject += " " + reference
        text += "\n\n" + _("To report it done, reply to this e-mail with the report attached (keep the subject as it "
                            "is). The first line of your reply may give the report's number and date, e.g. "
                            "\"report 123/BC-SNV dated 16/12/2025\".", lang=lang)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.mail_from
    msg["To"] = to
    if settings.mail_reply_to:
        msg["Reply-To"] = settings.mail_reply_to
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(key, settings)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies back to us
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    footer = _("You receive this because an administrator of dondoc linked this address to an agency. "
               "To stop: {url}", lang=lang, url=unsubscribe) if unsubscribe else ""
    plain = text + ("\n\n-- \n" + footer if footer else "")
    msg.set_content(plain)
    body = "<br>\n".join(html.escape(line) for line in text.splitlines())
    foot = (f'<p style="color:#666;font-size:small">{html.escape(footer).replace(html.escape(unsubscribe), _link(unsubscribe))}</p>'
            if footer else "")
    msg.add_alternative(f'<!doctype html><html><body style="font-family:sans-serif">'
                        f"<p>{body}</p>{foot}</body></html>", subtype="html")
    if attachment is not None:
        # text/calendar in UTF-8 (a str part: the content manager picks a safe transfer encoding)
        msg.add_attachment(attachment.decode("utf-8"), subtype="calendar", filename=attachment_name)
    return msg


def _certificate_error(e: BaseException | None) -> ssl.SSLCertVerificationError | None:
    """The failed certificate check behind `e` (aiosmtplib wraps it in its own errors), if that is what it is."""
    for _depth in range(5):
        if e is None or isinstance(e, ssl.SSLCertVerificationError):
            return e
        e = e.__cause__ or e.__context__
    return None


def _link(url: str) -> str:
    return f'<a href="{html.escape(url)}">{html.escape(url)}</a>'


class EmailChannel(Channel):
    """Sends over SMTP with aiosmtplib; one connection per message (a few hundred mails a day at most)."""

    platform = PLATFORM
    accepts_meta = True  # the dispatcher passes the outbox key, task and binding
    pictures = ATTACH  # the quarterly summary's chart travels in the same e-mail

    def __init__(self, settings, *, engine=None, clock=None):
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self._context: ssl.SSLContext | None = None

    async def send(self, chat_id: str, text: str, buttons=None, **meta) -> str:
        import aiosmtplib

        to = valid_address(chat_id)
        if to is None:
            raise PermanentDeliveryError(f"not an e-mail address: {chat_id!r}")
        key = meta.get("key") or f"{chat_id}|{hashlib.sha256(text.encode()).hexdigest()}"
        binding_id = meta.get("binding_id")
        attachment = None
        if meta.get("task_key") and self.engine is not None:
            attachment = self._task_calendar(meta["task_key"])
        reference = None
        if self.settings.email_inbound_bind and meta.get("task_key") and meta.get("occurrence"):
            reference = reply_reference(self.settings, meta["task_key"], meta["occurrence"], to)
        msg = build_message(self.settings, to, text, key=key, lang=meta.get("lang"), attachment=attachment,
                            unsubscribe=stop_url(self.settings, binding_id) if binding_id else None,
                            attachment_name=f"{meta.get('task_key', 'task')}.ics", reference=reference)
        if meta.get("chart"):
            msg.add_attachment(meta["chart"], maintype="image", subtype="png", filename="chart.png")
        s = self.settings
        try:
            await aiosmtplib.send(msg, hostname=s.smtp_host, port=s.smtp_port, username=s.smtp_user,
                                  password=s.smtp_password, use_tls=s.smtp_security == "tls",
                                  start_tls=True if s.smtp_security == "starttls" else False,
                                  tls_context=self._tls_context(), timeout=30)
        except aiosmtplib.SMTPRecipientsRefused as e:
            codes = [r.code for r in e.recipients] if e.recipients else [550]
            if any(500 <= c < 600 for c in codes):  # the address does not exist or refuses us: a bounce
                raise ChatGone(f"bounced: {e}") from e
            raise TransientDeliveryError(str(e)) from e
        except aiosmtplib.SMTPRecipientRefused as e:
            if 500 <= e.code < 600:
                raise ChatGone(f"bounced {e.code}: {e.message}") from e
            raise TransientDeliveryError(f"{e.code}: {e.message}") from e
        except aiosmtplib.SMTPDataError as e:
            if 500 <= e.code < 600:  # the server refuses this message's content for good
                raise PermanentDeliveryError(f"{e.code}: {e.message}") from e
            raise TransientDeliveryError(f"{e.code}: {e.message}") from e
        except aiosmtplib.SMTPResponseException as e:
            # Sender refused, authentication failed, 4xx: our configuration or a busy server — retried
            # with backoff and logged, never blamed on the recipient.
            raise TransientDeliveryError(f"{e.code}: {e.message}") from e
        except (aiosmtplib.SMTPException, OSError) as e:  # server down, timeout, TLS trouble
            refused = _certificate_error(e)
            if refused is not None:
                # Our configuration, not the recipient's fault: said plainly, retried like any transport error.
                reason = refused.verify_message or str(refused)
                log.error("SMTP %s:%s: the server's TLS certificate is not trusted (%s); nothing was sent. Give the "
                          "authority that signed it in SMTP_CA_FILE, or fix the server's certificate.",
                          s.smtp_host, s.smtp_port, reason)
                raise TransientDeliveryError(f"untrusted certificate: {reason}") from e
            raise TransientDeliveryError(f"{type(e).__name__}: {e}") from e
        return msg["Message-ID"]

    def _tls_context(self) -> ssl.SSLContext | None:
        """Certificates checked (host name too) against SMTP_CA_FILE, else the system's authorities."""
        if self.settings.smtp_security == "none":
            return None
        if self._context is None:
            ca = self.settings.smtp_ca_file
            self._context = ssl.create_default_context(cafile=str(ca) if ca else None)
        return self._context

    def _task_calendar(self, task_key: str) -> bytes | None:
        """The task as an .ics file (its lead agency's calendar reduced to this task)."""
        try:
            from sqlmodel import Session, select

            from feeds.service import calendar_for_task
            from storage.tables import Task

            with Session(self.engine) as session:
                task = session.exec(select(Task).where(Task.key == task_key)).first()
                if task is None:
                    return None
                return calendar_for_task(session, task, self.settings, self.clock.now())
        except Exception:  # noqa: BLE001 - a missing attachment must not lose the message
            log.exception("could not attach the calendar of %s", task_key)
            return None
