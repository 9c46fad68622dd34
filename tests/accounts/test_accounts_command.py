"""``trustdesk accounts``: accounts made, given another role, deactivated and reactivated from the command line,
each journaled with the operator as actor; a refused change changes nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from tests.accounts.personas import Personas, log_in
from trustdesk.accounts.models import Profile
from trustdesk.journal.models import JournalEntry

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a passphrase of her own 2026"


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("accounts", *args, stdout=out)
    return out.getvalue()


def _refused(*args: str) -> str:
    """The command's refusal; nothing stored was changed by it."""
    users = list(get_user_model().objects.order_by("pk").values())
    profiles = list(Profile.objects.order_by("pk").values())
    entries = JournalEntry.objects.count()
    with pytest.raises(CommandError) as refused:
        _run(*args)
    assert list(get_user_model().objects.order_by("pk").values()) == users
    assert list(Profile.objects.order_by("pk").values()) == profiles
    assert JournalEntry.objects.count() == entries
    return str(refused.value)


def test_it_creates_an_account_whose_owner_sets_a_password_by_the_reset_link(
    client: Client, personas: Personas, mailbox
) -> None:
    """A new member of staff: the account, its unconfirmed address and its role, journaled with the operator as
    actor; no password is set or sent: its owner chooses one with the reset link, then logs in."""
    said = _run("create", "  Nina@Provider.example ", "--role", "support")
    user = get_user_model().objects.get(email="nina@provider.example")
    assert f"created account {user.pk} (support)" in said and "/account/password/reset/" in said
    assert not user.has_usable_password() and not user.is_staff
    assert Profile.objects.get(user=user).role == "support"
    created = JournalEntry.objects.get(action="accounts.created", object_id=str(user.pk))
    assert created.actor.startswith("operator:")
    assert created.payload == {"role": "support", "person": None, "verified": False}
    assert "nina" not in created.actor + created.object_id  # the address is in no part of the entry's core

    client.post("/account/password/reset/", {"email": "nina@provider.example"})
    (message,) = mailbox.wait_for(1)
    (link,) = [u for u in mailbox.links(message) if "/password/reset/key/" in u]
    form = client.get("/" + link.split("://", 1)[1].split("/", 1)[1], follow=True)
    client.post(form.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert log_in(Client(), "nina@provider.example", NEW_PASSWORD).status_code == 302


def test_it_ties_a_customers_account_to_a_registry_person_and_refuses_what_it_cannot_make(
    personas: Personas,
) -> None:
    from trustdesk.registry.models import Person
    from trustdesk.registry.services import Actor, do_create

    piet = do_create(
        Person, {"first_name": "Piet", "email": "piet@bakkerij.example"}, actor=Actor.operator("t")
    )
    _run("create", "piet@bakkerij.example", "--role", "customer", "--person", str(piet.pk), "--verified")
    assert Profile.objects.get(person=piet).user.email == "piet@bakkerij.example"

    assert "belongs to a registry person" in _refused("create", "x@example.com", "--role", "customer")
    assert "no registry person has the number 99999999999999999999" in _refused(
        "create", "x@example.com", "--role", "customer", "--person", "99999999999999999999"
    )
    assert "already has an account" in _refused(
        "create", "y@example.com", "--role", "customer", "--person", str(piet.pk)
    )
    assert "unknown role 'root'" in _refused("create", "x@example.com", "--role", "root")
    assert "control character" in _refused("create", "x\x00@example.com", "--role", "support")
    assert "email: Enter a valid email address." in _refused("create", "not-an-address", "--role", "support")
    too_long = _refused("create", "a" * 300 + "@example.com", "--role", "support")
    assert "at most 254 characters" in too_long and "a" * 20 not in too_long
    assert "control character" in _refused("deactivate", "olga\x00@example.com", "--reason", "x")
    assert "already uses this e-mail address" in _refused("create", "OLGA@example.com", "--role", "support")
    assert "belongs to no registry person" in _refused(
        "create", "x@example.com", "--role", "support", "--person", str(piet.pk)
    )


def test_it_gives_a_member_of_staff_another_role_and_keeps_one_administrator(personas: Personas) -> None:
    said = _run("set-role", "pia@hoster.example", "administrator")
    pia = get_user_model().objects.get(pk=personas.pia.pk)
    assert said.startswith(f"account {pia.pk}: role administrator (was privacy_officer)")
    assert pia.is_staff and pia.is_superuser and Profile.objects.get(user=pia).role == "administrator"
    changed = JournalEntry.objects.get(action="accounts.role_changed")
    assert changed.payload == {"role": "administrator", "was": "privacy_officer"}

    _run("set-role", "pia@hoster.example", "support")
    pia.refresh_from_db()
    assert not pia.is_staff and not pia.is_superuser

    assert "already has the role 'support'" in _refused("set-role", "pia@hoster.example", "support")
    assert "stays a customer's" in _refused("set-role", "olga@example.com", "support")
    assert "unknown staff role 'customer'" in _refused("set-role", "pia@hoster.example", "customer")
    assert "no account uses this e-mail address" in _refused("set-role", "nobody@example.com", "support")
    assert "no e-mail address given" in _refused("set-role", "  ", "support")
    last = _refused("set-role", "ada@hoster.example", "support")
    assert "last active administrator" in last
    assert "last active administrator" in _refused("deactivate", "ada@hoster.example", "--reason", "left")


def test_a_deactivated_account_is_logged_off_and_cannot_log_in_until_reactivated(personas: Personas) -> None:
    """Someone who left: their open session ends at once, a log-in with the right password is refused with a
    page that says the account is closed and that their rights stay, and nothing of their data is deleted."""
    olga = Client()
    olga.force_login(personas.olga)
    assert olga.get("/portal/").status_code == 200
    said = _run("deactivate", "olga@example.com", "--reason", "no longer works at the bakery")
    assert "deactivated; 1 sessions ended" in said
    assert olga.get("/portal/").status_code == 302  # logged off

    visitor = Client()
    assert log_in(visitor, "olga@example.com")["Location"] == "/account/inactive/"
    refused = JournalEntry.objects.filter(action="accounts.login_failed").latest("seq")
    assert refused.payload == {"reason": "inactive", "failures": 0}  # told, not counted towards a block
    page = visitor.get("/account/inactive/").content.decode()
    assert "This account is closed" in page and "your rights to see, correct or erase your data stay" in page
    assert "/privacy/request" in page
    entry = JournalEntry.objects.get(action="accounts.deactivated")
    assert entry.payload == {"reason": "no longer works at the bakery"} and entry.object_id == str(
        personas.olga.pk
    )
    assert Profile.objects.get(user=personas.olga).person is not None  # nothing deleted

    assert "The account is closed already." in _refused("deactivate", "olga@example.com", "--reason", "again")
    assert "say why" in _refused("reactivate", "olga@example.com", "--reason", "  ")
    assert "reactivated" in _run("reactivate", "olga@example.com", "--reason", "back at the bakery")
    assert log_in(Client(), "olga@example.com")["Location"] != "/account/inactive/"
    assert "The account can log in already." in _refused(
        "reactivate", "olga@example.com", "--reason", "again"
    )


def test_it_lists_every_account_with_its_role_state_and_second_factor(personas: Personas) -> None:
    _run("deactivate", "bert@example.com", "--reason", "left")
    rows = {row["email"]: row for row in map(json.loads, _run("list", "--json").splitlines())}
    assert rows["ada@hoster.example"]["role"] == "administrator" and rows["ada@hoster.example"]["two_factor"]
    assert rows["bert@example.com"]["active"] is False and rows["olga@example.com"]["active"] is True
    text = _run("list")
    assert "bert@example.com\tcustomer\tdeactivated" in text and "olga@example.com\tcustomer\tactive" in text


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_access_report_and_the_log_in_history_tell_the_changes_in_words(
    personas: Personas, lang: str
) -> None:
    from django.utils import translation

    from trustdesk.accounts.words import event_name

    with translation.override(lang):
        said = {
            event_name(a) for a in ("accounts.deactivated", "accounts.reactivated", "accounts.role_changed")
        }
    expected = {
        "en": {"Account deactivated: it can no longer log in", "Account reactivated", "Role changed"},
        "nl": {"Account gedeactiveerd: aanmelden kan niet meer", "Account weer geactiveerd", "Rol gewijzigd"},
    }
    assert said == expected[lang]
