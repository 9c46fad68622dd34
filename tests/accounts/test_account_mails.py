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


__all__ = ["logged", "refusing"]
