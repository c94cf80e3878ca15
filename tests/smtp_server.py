"""A real SMTP server on 127.0.0.1 for the e-mail tests (aiosmtpd), recording what it received.

    with SmtpServer() as smtp:                  # a free port; smtp.port
        ... send ...
        smtp.messages[0]                        # email.message.EmailMessage, parsed
        smtp.reject("nobody@x.gov.vn")          # answer RCPT TO with 550 (a bounce)
"""

from __future__ import annotations

import socket
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


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
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.rejected: set[str] = set()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

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
