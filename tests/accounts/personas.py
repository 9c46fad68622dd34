"""Named personas for the account tests, a real SMTP server, and TOTP codes computed here.

Bakkerij Jansen BV has four contacts with accounts: Olga the owner, Bert for billing, Tess the
technical contact and Ursula a user; Otto is the owner of another organisation (the outsider). Staff:
Sam (support), Pia (privacy officer), Abe (abuse desk) and Ada (administrator), each with an
authenticator app, since the test policy requires two-factor authentication for staff.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

PASSWORD = "correct horse battery staple 42"
ACTOR = "operator:test"


def totp_code(secret: str, at: float | None = None, *, step: int = 30, digits: int = 6) -> str:
    """RFC 6238: the code an authenticator app shows for this base32 secret."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def fresh_totp_code(secret: str) -> str:
    """A code that stays valid a few seconds more (waits for the next period near its end)."""
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.2)
    return totp_code(secret)


def give_totp(user: Any) -> str:
    """Set up an authenticator app for the user; returns its secret."""
    from allauth.mfa.totp.internal.auth import TOTP

    secret = base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")
    TOTP.activate(user, secret)
    return secret


@dataclass
class Personas:
    bakkerij: Any
    other: Any
    olga: Any  # owner of Bakkerij
    bert: Any  # billing contact
    tess: Any  # technical contact
    ursula: Any  # user
    otto: Any  # owner of the other organisation: the outsider
    sam: Any  # support
    pia: Any  # privacy officer
    abe: Any  # abuse desk
    ada: Any  # administrator
    totp: dict[str, str] = field(default_factory=dict)

    def customers(self) -> dict[str, Any]:
        return {"olga": self.olga, "bert": self.bert, "tess": self.tess, "ursula": self.ursula}

    def staff(self) -> dict[str, Any]:
        return {"sam": self.sam, "pia": self.pia, "abe": self.abe, "ada": self.ada}


def password_hash() -> str:
    """PASSWORD hashed once per set of hashers in effect (argon2, or MD5 where a test makes checks cheap):
    every persona has it, without hashing it for each. A hash made under other hashers would not verify."""
    from django.conf import settings

    return _hashed_with(tuple(settings.PASSWORD_HASHERS))


@functools.cache
def _hashed_with(hashers: tuple[str, ...]) -> str:
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


def _with_password(user: Any) -> Any:
    user.password = password_hash()
    user.save(update_fields=["password"])
    return user


def make_personas() -> Personas:
    from trustdesk.accounts.services import do_create_account
    from trustdesk.registry.models import Organisation, Person
    from trustdesk.registry.services import Actor, do_create, do_link_person

    operator = Actor.operator("test")
    bakkerij = do_create(
        Organisation,
        {"name": "Bakkerij Jansen BV", "email": "info@bakkerij.example", "city": "Gent", "country": "BE"},
        actor=operator,
    )
    other = do_create(Organisation, {"name": "Garage Otten", "email": "info@otten.example"}, actor=operator)
    users: dict[str, Any] = {}
    for name, org, kind in (
        ("olga", bakkerij, "owner"),
        ("bert", bakkerij, "billing"),
        ("tess", bakkerij, "technical"),
        ("ursula", bakkerij, "user"),
        ("otto", other, "owner"),
    ):
        person = do_create(
            Person,
            {"first_name": name.title(), "last_name": "Test", "email": f"{name}@example.com"},
            actor=operator,
        )
        do_link_person(org, person, kind, actor=operator)
        users[name] = _with_password(
            do_create_account(
                f"{name}@example.com", role="customer", person=person, verified=True, actor=ACTOR
            )
        )
    totp: dict[str, str] = {}
    for name, role in (
        ("sam", "support"),
        ("pia", "privacy_officer"),
        ("abe", "abuse_desk"),
        ("ada", "administrator"),
    ):
        users[name] = _with_password(
            do_create_account(f"{name}@hoster.example", role=role, verified=True, actor=ACTOR)
        )
        totp[name] = give_totp(users[name])
    return Personas(bakkerij=bakkerij, other=other, totp=totp, **users)


@pytest.fixture
def personas(publish) -> Personas:
    publish()
    return make_personas()


@dataclass
class Mailbox:
    """Messages an SMTP server on 127.0.0.1 received, parsed."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int = 1, timeout: float = 15) -> list[EmailMessage]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
        assert len(self.messages) >= count, f"{len(self.messages)} messages arrived, {count} expected"
        return self.messages

    def links(self, message: EmailMessage) -> list[str]:
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        return re.findall(r"https?://\S+", body.get_content())


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.box.arrived:
            self.box.messages.append(message)
            self.box.arrived.notify_all()
        return "250 OK"


@pytest.fixture
def mailbox(settings) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1; Django sends to it through its SMTP backend."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # a free port; aiosmtpd needs the number before it listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox("127.0.0.1", port)
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = box.host
    settings.EMAIL_PORT = box.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield box
    finally:
        controller.stop()


def log_in(client: Any, email: str, password: str = PASSWORD) -> Any:
    return client.post("/account/login/", {"login": email, "password": password})
