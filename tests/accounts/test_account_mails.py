"""allauth's e-mails in the product's words, in the person's language, over a real SMTP server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accounts.personas import PASSWORD, log_in
from tests.lib.test_logfilters import logged
from tests.smtp import refusing
from trustdesk.registry.services import Actor, do_update

pytestmark = pytest.mark.django_db

ALLAUTH_WORDS = ("Hello from", "Thank you for using", "example.com!", "Hallo van", "Bedankt voor het gebruik")


def _text(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def _html(message: Any) -> str:
    return str(message.get_body(preferencelist=("html",)).get_content())


def _speaks(person: Any, language: str) -> None:
    do_update(person, {"language": language}, actor=Actor.operator("test"))


def _product_words(message: Any, *, lang: str) -> str:
    text = _text(message)
    assert not any(words in text for words in ALLAUTH_WORDS), text
    assert ("Geachte heer, mevrouw," if lang == "nl" else "Dear Sir or Madam,") in text
    assert "Hostwerk Test BV" in text and "privacy@hostwerk.example" in text
    assert PASSWORD not in text and PASSWORD not in _html(message)
    assert f'<html lang="{lang}">' in _html(message)
    return text


@pytest.mark.parametrize(
    ("lang", "subject", "words"),
    [
        ("nl", "Kies een nieuw wachtwoord", "Een wachtwoord sturen we nooit per e-mail."),
        ("en", "Choose a new password", "We never send a password by e-mail."),
    ],
)
def test_it_sends_the_reset_link_in_the_persons_language(
    client, personas, mailbox, lang, subject, words
) -> None:
    _speaks(personas.olga.profile.person, lang)
    # The page is in the other language: the person's language on record wins.
    other = "en" if lang == "nl" else "nl"
    response = client.post(
        "/account/password/reset/", {"email": "olga@example.com"}, HTTP_ACCEPT_LANGUAGE=other
    )
    assert response.status_code == 302
    [message] = mailbox.wait_for(1)
    assert message["To"] == "olga@example.com"
    assert message["Subject"] == subject
    text = _product_words(message, lang=lang)
    assert words in text
    [link] = [u for u in mailbox.links(message) if "/password/reset/key/" in u]
    assert link in _html(message)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    form = client.get(path, follow=True)
    assert form.status_code == 200 and b'name="password1"' in form.content


def test_it_tells_an_unknown_address_in_the_pages_language_without_a_link(client, personas, mailbox) -> None:
    response = client.post(
        "/account/password/reset/", {"email": "nobody@example.com"}, HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert response.status_code == 302
    [message] = mailbox.wait_for(1)
    assert message["To"] == "nobody@example.com"
    assert message["Subject"] == "Uw vraag om een nieuw wachtwoord"
    text = _product_words(message, lang="nl")
    assert "Geen enkel account bij ons gebruikt dit adres" in text
    assert mailbox.links(message) == []
    assert "signup" not in text and "/account/" not in text


@pytest.mark.parametrize(
    ("lang", "subject"), [("nl", "Bevestig uw e-mailadres"), ("en", "Confirm your e-mail address")]
)
def test_it_asks_to_confirm_an_address_in_the_persons_language(
    client, personas, mailbox, lang, subject
) -> None:
    from allauth.account.models import EmailAddress

    from trustdesk.accounts.services import do_create_account
    from trustdesk.registry.models import Person

    address = f"vera.{lang}@example.com"  # allauth sends one confirmation per address in three minutes
    person = Person.objects.create(first_name="Vera", email=address, language=lang)
    do_create_account(address, role="customer", person=person, password=PASSWORD, actor="operator:test")
    assert log_in(client, address)["Location"] == "/account/confirm-email/"
    [message] = mailbox.wait_for(1)
    assert message["To"] == address
    assert message["Subject"] == subject
    _product_words(message, lang=lang)
    [link] = [u for u in mailbox.links(message) if "/confirm-email/" in u]
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert client.post(path).status_code == 302
    assert EmailAddress.objects.get(email=address).verified


def test_a_reset_link_the_smtp_server_refuses_gets_a_page_that_says_so_and_no_address_in_the_log(
    client, personas, refusing, logged
) -> None:
    response = client.post("/account/password/reset/", {"email": "olga@example.com"})
    assert response.status_code == 503
    page = response.content.decode()
    assert "<h1>The e-mail could not be sent</h1>" in page
    # A reset stores nothing: the page does not say that something was saved, and asks to try again.
    assert "nothing has been changed" in page and "has been saved" not in page
    text = logged.getvalue()
    assert "the e-mail account/email/password_reset_key could not be sent (SMTPRecipientsRefused 550)" in text
    assert "olga" not in text and "olga" not in response.content.decode()


FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.mark.parametrize(
    ("lang", "subject", "words"),
    [
        ("en", "A change to your account", "your password was changed."),
        ("nl", "Een wijziging in uw account", "is uw wachtwoord gewijzigd."),
    ],
)
def test_a_password_change_is_told_to_the_account_in_its_owners_language(
    personas, mailbox, lang, subject, words
) -> None:
    from django.test import Client

    _speaks(personas.olga.profile.person, lang)
    client = Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="192.0.2.44")
    log_in(client, "olga@example.com")
    changed = client.post(
        "/account/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "another long passphrase 7",
            "password2": "another long passphrase 7",
        },
    )
    assert changed.status_code == 302
    [message] = mailbox.wait_for(1)
    assert message["To"] == "olga@example.com" and message["Subject"] == subject
    text = _product_words(message, lang=lang)
    assert words in text, text
    assert "192.0.2.44" in text and "Firefox 128 on Windows 10/11" in text.replace(" op ", " on ")
    assert "another long passphrase" not in text


@pytest.mark.django_db(transaction=True)  # allauth sends this notice when the set-up commits, in the request
def test_two_factor_set_up_and_an_address_removed_are_told_too(client, personas, mailbox) -> None:
    from allauth.account.models import EmailAddress

    from tests.accounts.personas import fresh_totp_code

    log_in(client, "olga@example.com")
    client.post("/account/reauthenticate/", {"password": PASSWORD})
    secret = client.get("/account/2fa/totp/activate/").context["form"].secret
    client.post("/account/2fa/totp/activate/", {"code": fresh_totp_code(secret)})
    [set_up] = mailbox.wait_for(1)
    assert "two-factor authentication was set up for your account." in _product_words(set_up, lang="en")
    EmailAddress.objects.create(user=personas.olga, email="olga.old@example.com", verified=True)
    removed = client.post("/account/email/", {"action_remove": "", "email": "olga.old@example.com"})
    assert removed.status_code == 302
    notice = mailbox.wait_for(2)[1]
    assert "the e-mail address olga.old@example.com was removed from your account." in _product_words(
        notice, lang="en"
    )


def test_every_notice_allauth_can_send_is_in_the_products_words() -> None:
    """allauth's notices are its templates ``*_subject.txt`` under ``account/email`` and ``mfa/email``: each one
    Trustdesk can trigger is worded by it, so that a new one in an allauth update fails here rather than go out
    in allauth's words."""
    from pathlib import Path

    import allauth

    from trustdesk.accounts.adapter import OWN_MAILS

    off = {  # features that are off: sign-up, log-in and reset by code, security keys
        "account/email/account_already_exists",
        "account/email/login_code",
        "account/email/password_reset_code",
        "account/email/email_confirm",  # no flow of allauth's sends it
        "mfa/email/webauthn_added",
        "mfa/email/webauthn_removed",
    }
    templates = Path(allauth.__file__).parent / "templates"
    sendable = {
        f"{folder}/{path.name.removesuffix('_subject.txt')}"
        for folder in ("account/email", "mfa/email")
        for path in (templates / folder).glob("*_subject.txt")
    }
    assert sendable - off - set(OWN_MAILS) == set()


def test_a_notice_the_smtp_server_refuses_does_not_undo_or_hide_the_change(
    personas, refusing, logged
) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    log_in(client, "olga@example.com")
    new = "another long passphrase 8"
    changed = client.post(
        "/account/password/change/",
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
        follow=True,
    )
    assert changed.status_code == 200
    assert (
        "Done, but the e-mail that tells you of this change could not be sent yet: we try again over the next "
        "three days." in changed.content.decode()
    )
    assert get_user_model().objects.get(pk=personas.olga.pk).check_password(new)
    assert "the e-mail account/email/password_changed could not be sent (SMTPRecipientsRefused 550)" in (
        logged.getvalue()
    )


__all__ = ["logged", "refusing"]
