"""A real SMTP server on 127.0.0.1 for the e-mail tests (aiosmtpd), recording what it received.

    with SmtpServer() as smtp:                  # a free port; smtp.port
        ... send ...
        smtp.messages[0]                        # email.message.EmailMessage, parsed
        smtp.reject("nobody@x.gov.vn")          # answer RCPT TO with 550 (a bounce)

    # STARTTLS required before anything else, and a login (over TLS only), with the certificate `cert`
    # (e.g. trustme's: `ca.issue_cert("127.0.0.1").configure_cert(ctx)`):
    SmtpServer(tls=ctx, require_starttls=True, users={"dondoc": "password"})
    SmtpServer(implicit_tls=ctx, users={...})  # TLS from the first byte (SMTPS, port 465's way)
"""

from __future__ import annotations

import socket
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, server: "SmtpServer"):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.server.rejected:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        # session.ssl is set by STARTTLS only; the transport knows about implicit TLS as well
        self.server.encrypted.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None, *, tls=None, require_starttls: bool = False, implicit_tls=None,
                 users: dict[str, str] | None = None):
        self.port = port or free_port()
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.rejected: set[str] = set()
        self.encrypted: list[bool] = []  # per message received: did it come over TLS?
        self.users = users
        self.logins: list[tuple[str, bool]] = []  # (user, accepted), in order
        kwargs: dict = {}
        if tls is not None:
            kwargs.update(tls_context=tls, require_starttls=require_starttls)
        if implicit_tls is not None:
            kwargs["ssl_context"] = implicit_tls
        if users is not None:
            # aiosmtpd refuses AUTH before TLS by default (auth_require_tls); with implicit TLS the whole
            # session is encrypted, which aiosmtpd cannot see, so it is allowed there.
            kwargs.update(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=implicit_tls is None)
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = auth_data.login.decode(), auth_data.password.decode()
        ok = self.users is not None and self.users.get(user) == password
        self.logins.append((user, ok))
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 235 / 535 itself

    def start(self) -> "SmtpServer":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> "SmtpServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def reject(self, address: str) -> None:
        self.rejected.add(address.lower())

    @property
    def messages(self):
        return [message_from_bytes(content, policy=policy.default) for _, _, content in self.envelopes]

    def to(self, address: str):
        return [message_from_bytes(c, policy=policy.default) for _, rcpt, c in self.envelopes
                if address.lower() in (r.lower() for r in rcpt)]

    def wait_for(self, n: int, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.envelopes) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(self.envelopes) >= n
