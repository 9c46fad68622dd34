"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd), and what it received."""

from __future__ import annotations

import email
import email.policy
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]

    @staticmethod
    def text(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())


# The server's own chatter (every connection, at INFO) is not the tests' business.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(settings: Any, handler: Any) -> Controller:
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return controller


@pytest.fixture
def smtp(settings: Any) -> Iterator[Mailbox]:
    """Start an SMTP server and point Django's e-mail at it."""
    box = Mailbox()
    controller = _serve(settings, box)
    try:
        yield box
    finally:
        controller.stop()


class Refusing:
    """An SMTP server that refuses every recipient, quoting the address as real servers do."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


@dataclass
class RefusingFirst(Mailbox):
    """An SMTP server that refuses the first recipient it is given, as a server briefly out of order would,
    and takes every message after it."""

    refused: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if not self.refused:
            self.refused += 1
            return "451 4.3.0 Temporary failure, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing(settings: Any) -> Iterator[None]:
    """Start an SMTP server that refuses every recipient and point Django's e-mail at it."""
    controller = _serve(settings, Refusing())
    try:
        yield
    finally:
        controller.stop()


@pytest.fixture
def refusing_first(settings: Any) -> Iterator[RefusingFirst]:
    """Start an SMTP server that refuses the first recipient and takes the rest, and point Django's e-mail at
    it; what it took is in the mailbox."""
    box = RefusingFirst()
    controller = _serve(settings, box)
    try:
        yield box
    finally:
        controller.stop()
