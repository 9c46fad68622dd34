"""Password reset by a single-use link sent over SMTP; a reset lifts a lock-out."""

from __future__ import annotations

import pytest

from tests.accounts.personas import PASSWORD, log_in
from trustdesk.accounts.models import LoginLock
from trustdesk.journal.models import JournalEntry

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 2026"


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _reset_link(client, mailbox, email: str, count: int = 1) -> str:
    response = client.post("/account/password/reset/", {"email": email})
    assert response.status_code == 302
    message = mailbox.wait_for(count)[count - 1]
    assert message["To"] == email
    [link] = [u for u in mailbox.links(message) if "/password/reset/key/" in u]
    return _path(link)


def test_it_sends_a_single_use_link_and_never_a_password(client, personas, mailbox) -> None:
    link = _reset_link(client, mailbox, "olga@example.com")
    body = mailbox.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert PASSWORD not in body and "password:" not in body.lower()
    form = client.get(link, follow=True)
    assert form.status_code == 200
    form_path = form.redirect_chain[-1][0] if form.redirect_chain else link
    done = client.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert log_in(client, "olga@example.com", NEW_PASSWORD).status_code == 302
    client.logout()
    # The link worked once: used again it is refused.
    again = client.get(link, follow=True)
    assert "this one was used already, or it is too old" in again.content.decode()


def test_it_lifts_a_lock_out_when_the_password_is_reset(client, personas, mailbox) -> None:
    for _ in range(5):
        log_in(client, "tess@example.com", "wrong")
    assert LoginLock.objects.get(user=personas.tess).locked_until is not None
    link = _reset_link(client, mailbox, "tess@example.com")
    form_path = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert LoginLock.objects.get(user=personas.tess).locked_until is None
    unlocked = JournalEntry.objects.get(action="accounts.unlocked")
    assert unlocked.object_id == str(personas.tess.pk) and unlocked.payload == {"reason": "password_reset"}
    assert log_in(client, "tess@example.com", NEW_PASSWORD).status_code == 302


def test_it_sends_nothing_for_an_unknown_address_and_says_the_same(client, personas, mailbox) -> None:
    known = client.post("/account/password/reset/", {"email": "olga@example.com"})
    unknown = client.post("/account/password/reset/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    mailbox.wait_for(2)  # allauth tells an unknown address that it has no account, without a link
    assert [m["To"] for m in mailbox.messages] == ["olga@example.com", "nobody@example.com"]
    assert mailbox.links(mailbox.messages[1]) == [] or all(
        "/password/reset/key/" not in u for u in mailbox.links(mailbox.messages[1])
    )


def test_it_throttles_reset_requests_for_one_address(client, personas, mailbox, settings) -> None:
    settings.TRUSTDESK_THROTTLE = {**settings.TRUSTDESK_THROTTLE, "password_reset": (2, 3600)}
    for _ in range(2):
        assert client.post("/account/password/reset/", {"email": "bert@example.com"}).status_code == 302
    third = client.post("/account/password/reset/", {"email": "bert@example.com"})
    assert third.status_code == 200
    assert "Too many attempts from your address." in third.content.decode()
    assert len(mailbox.wait_for(2)) == 2
