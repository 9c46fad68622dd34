"""Promises kept by accounts: who sees the customer area, instructions for content, brute-force
protection with event logging and encrypted connections, lock-out, two-step log-in and user rights."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.accounts.personas import Personas, fresh_totp_code, log_in, personas
from tests.conftest import POLICY
from trustdesk.accounts.models import ContentAccess, LoginLock
from trustdesk.journal.models import JournalEntry
from trustdesk.journal.verify import verify

pytestmark = pytest.mark.django_db


@pytest.mark.promise("P0.9")
def test_it_shows_the_customer_area_only_to_the_customer_and_staff_and_ends_sessions(
    personas: Personas,
) -> None:
    page = f"/portal/organisations/{personas.bakkerij.pk}/"
    olga, otto, visitor, admin = Client(), Client(), Client(), Client()
    log_in(olga, "olga@example.com")
    log_in(otto, "otto@example.com")
    admin.force_login(personas.ada)
    shown = olga.get(page)
    assert shown.status_code == 200 and "Bakkerij Jansen BV" in shown.content.decode()
    assert "tess@example.com" in shown.content.decode()  # her contacts' details, as the owner
    assert otto.get(page).status_code == 404  # another customer: as if it did not exist
    assert visitor.get(page)["Location"].startswith("/account/login/")
    staff_view = admin.get(f"/admin/registry/organisation/{personas.bakkerij.pk}/change/")
    assert staff_view.status_code == 200 and "Bakkerij Jansen BV" in staff_view.content.decode()
    # Logging off ends the session; logging off everywhere ends the others too.
    phone = Client()
    log_in(phone, "olga@example.com")
    olga.post("/account/logout/")
    assert olga.get(page)["Location"].startswith("/account/login/")
    assert phone.get(page).status_code == 200
    log_in(olga, "olga@example.com")
    olga.post("/account/log-off-everywhere/")
    assert phone.get(page)["Location"].startswith("/account/login/")
    assert olga.get(page)["Location"].startswith("/account/login/")


@pytest.mark.promise("P0.10")
def test_it_ties_every_look_at_customer_content_to_the_customers_instruction(personas: Personas) -> None:
    from trustdesk.accounts.services import (
        NoValidInstruction,
        do_record_content_access,
        do_record_instruction,
    )

    with pytest.raises(NoValidInstruction):
        do_record_content_access(None, actor=personas.sam, what="the web root of bakkerij.example")
    now = timezone.now()
    instruction = do_record_instruction(
        organisation=personas.bakkerij,
        given_by=personas.tess.profile.person,  # the technical contact asked, by e-mail
        scope="Find why the contact form of bakkerij.example sends no mail",
        valid_from=now - dt.timedelta(minutes=5),
        valid_until=now + dt.timedelta(hours=2),
        channel="email",
        recorded_by=personas.sam,
    )
    access = do_record_content_access(instruction, actor=personas.sam, what="contact.php and the mail log")
    entry = JournalEntry.objects.get(seq=access.journal_seq)
    assert (entry.action, entry.object_id, entry.actor) == (
        "accounts.content_accessed",
        str(instruction.pk),
        f"user:{personas.sam.pk}",
    )
    type(instruction).objects.filter(pk=instruction.pk).update(valid_until=now - dt.timedelta(seconds=1))
    with pytest.raises(NoValidInstruction, match="not valid now"):
        do_record_content_access(instruction, actor=personas.sam, what="one more look")
    assert ContentAccess.objects.count() == 1
    assert verify().ok


@pytest.mark.promise("P2.13")
def test_it_detects_brute_force_logs_the_events_and_keeps_connections_encrypted(
    personas: Personas, settings
) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    settings.TRUSTDESK_THROTTLE = {**settings.TRUSTDESK_THROTTLE, "login": (8, 900)}
    # Guessing one account's password: blocked after the policy's attempts.
    for _ in range(5):
        log_in(attacker, "olga@example.com", "guess")
    assert LoginLock.objects.get(user=personas.olga).locked_until is not None
    # Guessing across accounts from one address: throttled.
    for name in ("bert", "tess", "ursula"):
        log_in(attacker, f"{name}@example.com", "guess")
    assert (
        "Too many attempts from your address."
        in log_in(attacker, "otto@example.com", "guess").content.decode()
    )
    # Every attempt is in the journal, with pseudonyms and ids, never the address or the guess.
    failed = JournalEntry.objects.filter(action="accounts.login_failed")
    assert failed.count() == 9
    assert JournalEntry.objects.filter(action="accounts.locked").count() == 1
    for entry in failed:
        core = f"{entry.actor} {entry.object_type} {entry.object_id} {entry.payload}"
        assert "203.0.113.66" not in core and "@" not in core and "guess" not in core
    # Behind TLS: plain HTTP is redirected, HSTS is sent, the cookies are Secure and HttpOnly.
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    plain = Client().get("/account/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    secure = Client()
    answer = secure.get("/account/login/", secure=True)
    assert answer["Strict-Transport-Security"].startswith("max-age=31536000")
    signed_in = secure.post("/account/login/", {"login": "bert@example.com", "password": "x"}, secure=True)
    assert signed_in.cookies["csrftoken"]["secure"]


@pytest.mark.promise("P3.15")
def test_it_blocks_after_the_policys_attempts_offers_two_step_log_in_and_applies_user_rights(
    personas: Personas, publish
) -> None:
    publish(POLICY.replace("attempts: 5, duration: PT30M", "attempts: 3, duration: PT1H"))
    client = Client()
    for _ in range(2):
        log_in(client, "bert@example.com", "wrong")
    assert not JournalEntry.objects.filter(action="accounts.locked").exists()
    assert "blocked after 3 failed log-ins" in log_in(client, "bert@example.com", "wrong").content.decode()
    lock = LoginLock.objects.get(user=personas.bert)
    assert lock.locked_until is not None and lock.locked_at is not None
    assert lock.locked_until - lock.locked_at == dt.timedelta(hours=1)
    # Two-step authentication is available to customers: once set up, log-in asks for the code.
    from tests.accounts.personas import give_totp

    secret = give_totp(personas.tess)
    tess = Client()
    assert log_in(tess, "tess@example.com")["Location"] == "/account/2fa/authenticate/"
    assert (
        tess.post("/account/2fa/authenticate/", {"code": fresh_totp_code(secret)})["Location"] == "/account/"
    )
    # User rights: the registry role decides what a colleague sees, the staff role what staff may do.
    bert = Client()
    bert.force_login(personas.bert)
    billing_view = bert.get(f"/portal/organisations/{personas.bakkerij.pk}/").content.decode()
    assert "Invoices</h2>" in billing_view and "Contacts</h2>" not in billing_view
    abe = Client()
    abe.force_login(personas.abe)
    assert abe.get("/console/instructions/").status_code == 403
    pia = Client()
    pia.force_login(personas.pia)
    assert pia.get("/console/instructions/").status_code == 200


__all__ = ["personas"]
