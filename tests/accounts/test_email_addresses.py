"""Changing the e-mail addresses of an account: who it is is asked first, two-factor authentication does not
stand in the way, and an address not yet confirmed receives no link for a new password."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from tests.accounts.personas import PASSWORD, fresh_totp_code, give_totp, log_in

pytestmark = pytest.mark.django_db

REAUTHENTICATE = "/account/reauthenticate/"


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def _addresses(user: Any) -> list[tuple[str, bool, bool]]:
    return sorted(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary"))


def _logged_in_with_two_factor(personas: Any, name: str) -> Client:
    user = getattr(personas, name)
    secret = personas.totp.get(name) or give_totp(user)
    client = Client()
    assert log_in(client, user.email)["Location"] == "/account/2fa/authenticate/"
    assert client.post("/account/2fa/authenticate/", {"code": fresh_totp_code(secret)}).status_code == 302
    return client


@pytest.mark.parametrize("name", ["olga", "sam"])  # a customer who chose it, staff who must have it
def test_an_account_with_two_factor_authentication_adds_an_address_after_saying_who_it_is(
    personas, mailbox, name: str
) -> None:
    user = getattr(personas, name)
    client = _logged_in_with_two_factor(personas, name)
    new = f"{name}.new@example.com"

    asked = client.post("/account/email/", {"action_add": "", "email": new})
    assert asked.status_code == 302 and asked["Location"].startswith(REAUTHENTICATE)
    assert new not in [row[0] for row in _addresses(user)]  # nothing yet
    form = client.get(asked["Location"]).content.decode()
    assert '<input type="hidden" name="next" value="/account/email/">' in form  # back to the change after
    back = {"next": "/account/email/"}
    wrong = client.post(REAUTHENTICATE, {"password": "not the password", **back})
    assert wrong.status_code == 200 and new not in [row[0] for row in _addresses(user)]
    done = client.post(REAUTHENTICATE, {"password": PASSWORD, **back})
    assert done.status_code == 302 and done["Location"] == "/account/email/"
    assert (new, False, False) in _addresses(user)
    page = client.get("/account/email/").content.decode()
    assert "two-factor" not in page.split("<main", 1)[1].lower()  # no refusal left on the page
    [confirmation] = mailbox.wait_for(1)
    assert confirmation["To"] == new and confirmation["Subject"] == "Confirm your e-mail address"

    # Within five minutes a second change asks nothing again.
    again = client.post("/account/email/", {"action_add": "", "email": f"{name}.other@example.com"})
    assert again.status_code == 302 and again["Location"] == "/account/email/"


def test_removing_or_choosing_the_main_address_asks_who_it_is_first(personas) -> None:
    olga = personas.olga
    EmailAddress.objects.create(user=olga, email="olga.work@example.com", verified=True)
    client = Client()
    log_in(client, olga.email)
    for action in ("action_primary", "action_remove"):
        asked = client.post("/account/email/", {action: "", "email": "olga.work@example.com"})
        assert asked.status_code == 302 and asked["Location"].startswith(REAUTHENTICATE), action
    assert ("olga.work@example.com", True, False) in _addresses(olga)
    done = client.post(REAUTHENTICATE, {"password": PASSWORD, "next": "/account/email/"})
    assert done.status_code == 302  # the change asked last is carried out then: the removal
    assert _addresses(olga) == [("olga@example.com", True, True)]


def test_an_address_not_yet_confirmed_gets_no_link_for_a_new_password(client, personas, mailbox) -> None:
    """Whoever finds a session left open must not add their own address and take the account from there:
    until the address is confirmed, a reset asked with it gets the message any unknown address gets."""
    olga = personas.olga
    EmailAddress.objects.create(user=olga, email="mallory@example.com", verified=False)
    answer = client.post("/account/password/reset/", {"email": "mallory@example.com"})
    known = client.post("/account/password/reset/", {"email": "olga@example.com"})
    assert answer.status_code == known.status_code == 302
    assert answer["Location"] == known["Location"]  # the page tells nothing either way
    unknown, link = mailbox.wait_for(2)
    assert unknown["To"] == "mallory@example.com" and "/password/reset/key/" not in unknown.as_string()
    text = unknown.get_body(("plain",)).get_content()
    assert "No account with us uses this address" in text
    assert "confirm it first with the link we sent you then" in text
    assert link["To"] == "olga@example.com"
    assert [u for u in mailbox.links(link) if "/password/reset/key/" in u]

    # Once confirmed, the address is the account's like any other.
    EmailAddress.objects.filter(email="mallory@example.com").update(verified=True)
    client.post("/account/password/reset/", {"email": "mallory@example.com"})
    third = mailbox.wait_for(3)[2]
    assert third["To"] == "mallory@example.com"
    assert [u for u in mailbox.links(third) if "/password/reset/key/" in u]


def test_an_account_made_without_a_password_sets_one_from_its_address_not_yet_confirmed(
    client, mailbox
) -> None:
    from trustdesk.accounts.services import do_create_account
    from trustdesk.registry.models import Person

    person = Person.objects.create(first_name="Vera", email="vera@example.com")
    vera = do_create_account("vera@example.com", role="customer", person=person, actor="operator:test")
    assert _addresses(vera) == [("vera@example.com", False, True)]
    client.post("/account/password/reset/", {"email": "vera@example.com"})
    [message] = mailbox.wait_for(1)
    [link] = [u for u in mailbox.links(message) if "/password/reset/key/" in u]
    form = client.get(_path(link), follow=True)
    assert form.status_code == 200 and "password1" in form.content.decode()


@pytest.mark.parametrize(
    ("stored", "verified", "primary", "asked", "expected"),
    [
        ("olga@example.com", False, True, "OLGA@example.com", True),  # the main one, as typed in any case
        ("olga.old@example.com", True, False, "olga.old@example.com", True),  # confirmed, not the main one
        ("olga.new@example.com", False, False, "olga.new@example.com", False),  # neither
        (None, False, False, "olga@example.com", True),  # no address row: the user's own field
        (None, False, False, "someone@example.com", False),
    ],
)
def test_who_may_receive_a_reset_link(personas, stored, verified, primary, asked, expected) -> None:
    from trustdesk.accounts.forms import may_receive_reset_link

    olga = personas.olga
    EmailAddress.objects.filter(user=olga).delete()
    if stored is not None:
        EmailAddress.objects.create(user=olga, email=stored, primary=primary, verified=verified)
    assert may_receive_reset_link(olga, asked) is expected
