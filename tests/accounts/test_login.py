"""Log-in by e-mail address, failed attempts, and the lock-out the policy sets (P3.15)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.accounts.personas import PASSWORD, log_in
from tests.conftest import POLICY
from trustdesk.accounts.models import LoginLock
from trustdesk.journal.models import JournalEntry
from trustdesk.journal.verify import verify

pytestmark = pytest.mark.django_db


def _journal(action: str) -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(action=action).order_by("seq"))


def test_it_logs_a_customer_in_by_e_mail_address(client, personas) -> None:
    response = log_in(client, "olga@example.com")
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert client.get("/account/").status_code == 200
    entry = _journal("accounts.logged_in")[-1]
    assert (entry.actor, entry.object_type, entry.object_id) == (
        f"user:{personas.olga.pk}",
        "auth.user",
        str(personas.olga.pk),
    )


def test_it_hashes_passwords_with_argon2(personas) -> None:
    personas.olga.refresh_from_db()
    assert personas.olga.password.startswith("argon2$argon2id$")


def test_the_product_hashes_with_argon2id_at_djangos_cost_and_reads_the_tests_hashes(settings) -> None:
    """The tests hash at argon2's lowest cost (tests/hashers.py); the product's settings do not."""
    from django.contrib.auth.hashers import check_password, make_password

    from trustdesk import settings as product

    quick = make_password("a long passphrase")
    assert quick.startswith("argon2$argon2id$v=19$m=8,t=1,p=1$")
    settings.PASSWORD_HASHERS = product.PASSWORD_HASHERS
    encoded = make_password("a long passphrase")
    assert encoded.startswith("argon2$argon2id$v=19$m=102400,t=2,p=8$")
    assert check_password("a long passphrase", encoded)
    assert not check_password("another passphrase", encoded)
    assert check_password("a long passphrase", quick)


def test_it_journals_a_failed_log_in_without_the_address_or_the_password(client, personas) -> None:
    response = log_in(client, "olga@example.com", "not her password")
    assert response.status_code == 200
    assert "The e-mail address or the password is not right." in response.content.decode()
    [entry] = _journal("accounts.login_failed")
    assert entry.object_type == "auth.user" and entry.object_id == str(personas.olga.pk)
    assert entry.actor.startswith("visitor:p1:")
    assert entry.payload == {"reason": "wrong_password", "failures": 1}
    core = f"{entry.actor} {entry.object_type} {entry.object_id} {entry.payload}"
    assert "olga" not in core and "not her password" not in core and "127.0.0.1" not in core


def test_it_blocks_the_account_after_the_policys_attempts_and_says_until_when(client, personas) -> None:
    for _ in range(4):
        assert "or the password is not right" in log_in(client, "olga@example.com", "wrong").content.decode()
    assert _journal("accounts.locked") == []
    fifth = log_in(client, "olga@example.com", "wrong").content.decode()
    assert "This account is blocked after 5 failed log-ins" in fifth
    assert "Forgot your password?" in fifth
    [locked] = _journal("accounts.locked")
    lock = LoginLock.objects.get(user=personas.olga)
    assert lock.locked_until is not None and lock.locked_at is not None
    assert abs(lock.locked_until - (lock.locked_at + dt.timedelta(minutes=30))) < dt.timedelta(seconds=1)
    assert locked.payload is not None
    assert locked.payload["policy_attempts"] == 5 and locked.payload["policy_duration"] == "PT30M"
    # The right password does not get in while the block lasts, and that attempt is journaled too.
    blocked = log_in(client, "olga@example.com")
    assert blocked.status_code == 200
    assert "This account is blocked" in blocked.content.decode()
    assert _journal("accounts.login_failed")[-1].payload == {"reason": "blocked", "failures": 5}
    assert verify().ok


def test_it_takes_the_number_of_attempts_from_the_policy_in_effect(client, personas, publish) -> None:
    publish(POLICY.replace("attempts: 5, duration: PT30M", "attempts: 2, duration: PT2H"))
    log_in(client, "bert@example.com", "wrong")
    second = log_in(client, "bert@example.com", "wrong").content.decode()
    assert "blocked after 2 failed log-ins" in second
    lock = LoginLock.objects.get(user=personas.bert)
    assert lock.locked_until is not None and lock.locked_at is not None
    assert lock.locked_until - lock.locked_at == dt.timedelta(hours=2)


def test_it_lets_the_person_in_again_when_the_block_has_run_out(client, personas) -> None:
    for _ in range(5):
        log_in(client, "tess@example.com", "wrong")
    LoginLock.objects.filter(user=personas.tess).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert log_in(client, "tess@example.com").status_code == 302
    [unlocked] = _journal("accounts.unlocked")
    assert unlocked.object_id == str(personas.tess.pk) and unlocked.payload == {"reason": "expired"}
    assert LoginLock.objects.get(user=personas.tess).failures == 0


def test_it_counts_only_consecutive_failures(client, personas) -> None:
    for _ in range(4):
        log_in(client, "ursula@example.com", "wrong")
    assert log_in(client, "ursula@example.com").status_code == 302
    client.logout()
    for _ in range(4):
        log_in(client, "ursula@example.com", "wrong")
    assert _journal("accounts.locked") == []


def test_it_answers_an_unknown_address_as_it_answers_an_account(client, personas) -> None:
    for _ in range(5):
        page = log_in(client, "nobody@example.com", "wrong").content.decode()
    assert "This account is blocked after 5 failed log-ins" in page
    [locked] = _journal("accounts.locked")
    assert locked.object_type == "accounts.address"
    assert locked.object_id.startswith("p1:") and "nobody" not in locked.object_id


def test_it_refuses_log_in_until_a_policy_is_published(client, db) -> None:
    from tests.accounts.personas import make_personas

    make_personas()
    page = log_in(client, "olga@example.com").content.decode()
    assert "Log-in is closed until the provider has published its privacy policy." in page


def test_it_requires_a_verified_address(client, personas, mailbox) -> None:
    from trustdesk.accounts.services import do_create_account
    from trustdesk.registry.models import Person

    person = Person.objects.create(first_name="Vera", email="vera@example.com")
    do_create_account(
        "vera@example.com", role="customer", person=person, password=PASSWORD, actor="operator:test"
    )
    response = log_in(client, "vera@example.com")
    assert response.status_code == 302 and response["Location"] == "/account/confirm-email/"
    [message] = mailbox.wait_for(1)
    assert message["To"] == "vera@example.com"
    [link] = [u for u in mailbox.links(message) if "/confirm-email/" in u]
    path = link.split("://", 1)[1].split("/", 1)[1]
    confirm = client.get("/" + path)
    assert confirm.status_code == 200
    assert client.post("/" + path).status_code == 302
    from allauth.account.models import EmailAddress

    assert EmailAddress.objects.get(email="vera@example.com").verified
    assert log_in(client, "vera@example.com")["Location"] == "/account/"
