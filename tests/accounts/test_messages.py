"""allauth's messages on the next page, in Trustdesk's words and the page's language."""

from __future__ import annotations

from pathlib import Path

import allauth
import pytest
from django.contrib import messages
from django.test import Client, RequestFactory

from tests.accounts.personas import PASSWORD, log_in
from tests.lib.test_logfilters import logged
from trustdesk.accounts.adapter import (
    ERRORS,
    ERRORS_OFF,
    MESSAGES,
    MESSAGES_OFF,
    MFA_ERRORS,
    AccountAdapter,
    MFAAdapter,
)

pytestmark = pytest.mark.django_db

__all__ = ["logged"]


def _shown(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_every_message_allauth_can_show_is_worded_or_off() -> None:
    """An allauth update that adds a message fails here, so it is never shown in allauth's words."""
    root = Path(allauth.__file__).parent / "templates"
    found = {
        str(path.relative_to(root))
        for path in root.glob("*/messages/*.txt")
        if not path.parts[-3].startswith("social")  # social accounts are not installed
    }
    assert len(found) > 15
    assert sorted(found - set(MESSAGES) - MESSAGES_OFF) == []
    assert sorted((set(MESSAGES) | MESSAGES_OFF) - found) == []  # none left of a template allauth dropped


def test_every_form_error_allauth_can_give_is_worded_or_off() -> None:
    """An allauth update that adds an error fails here, so it is never shown in allauth's words."""
    from allauth.account.adapter import DefaultAccountAdapter
    from allauth.mfa.adapter import DefaultMFAAdapter

    assert sorted(set(DefaultAccountAdapter.error_messages) - set(ERRORS) - ERRORS_OFF) == []
    assert sorted((set(ERRORS) | ERRORS_OFF) - set(DefaultAccountAdapter.error_messages)) == []
    assert sorted(set(DefaultMFAAdapter.error_messages) ^ set(MFA_ERRORS)) == []
    for adapter, words in ((AccountAdapter, ERRORS), (MFAAdapter, MFA_ERRORS)):
        assert all(adapter.error_messages[code] is text for code, text in words.items())
        assert not any("email" in str(text) or "Please" in str(text) for text in words.values())


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "The e-mail address or the password is not right."),
        ("nl", "Het e-mailadres of het wachtwoord klopt niet."),
    ],
)
def test_a_wrong_log_in_is_said_in_the_products_words(personas, lang, words) -> None:
    client = Client(headers={"accept-language": lang})
    for address in ("olga@example.com", "nobody@example.com"):  # the same, with an account or without
        page = client.post("/account/login/", {"login": address, "password": "not it"}).content.decode()
        assert page.count(words) == 1 and "specified are not correct" not in page


def test_a_max_count_of_addresses_is_said_with_its_figure() -> None:
    adapter = AccountAdapter()
    assert adapter.validation_error("max_email_addresses", 3).messages == [
        "Your account cannot have more than 3 e-mail addresses."
    ]


def test_logging_in_and_off_say_so_in_the_words_of_every_page(personas) -> None:
    client = Client()
    landing = client.post(
        "/account/login/", {"login": personas.olga.email, "password": PASSWORD}, follow=True
    )
    assert _shown(landing) == ["You are logged in as olga@example.com."]
    assert "Successfully signed in" not in landing.content.decode()
    off = client.post("/account/logout/", follow=True)
    assert _shown(off) == ["You are logged off."]


def test_the_messages_are_in_the_pages_language(personas) -> None:
    client = Client(headers={"accept-language": "nl"})
    landing = client.post(
        "/account/login/", {"login": personas.olga.email, "password": PASSWORD}, follow=True
    )
    assert _shown(landing) == ["U bent aangemeld als olga@example.com."]


def test_a_changed_password_is_said_in_the_products_words(personas) -> None:
    client = Client()
    log_in(client, personas.olga.email)
    client.post("/account/reauthenticate/", {"password": PASSWORD})
    changed = client.post(
        "/account/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "another long passphrase 42",
            "password2": "another long passphrase 42",
        },
        follow=True,
    )
    assert "Your password is changed." in _shown(changed)


def test_a_message_without_words_is_logged_and_not_shown(logged) -> None:
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get("/account/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    adapter = AccountAdapter(request)
    adapter.add_message(
        request, messages.INFO, "account/messages/new_in_a_later_allauth.txt", {"email": "x@y.z"}
    )
    adapter.add_message(request, messages.INFO, "mfa/messages/webauthn_added.txt")  # off: silently left out
    assert list(messages.get_messages(request)) == []
    assert logged.getvalue().count("has no words of Trustdesk's") == 1
    assert "x@y.z" not in logged.getvalue()
    adapter.add_message(request, messages.ERROR, message="Too many attempts.")  # allauth's own text: as given
    assert [str(m) for m in messages.get_messages(request)] == ["Too many attempts."]
