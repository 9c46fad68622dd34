"""The account pages: Dutch and English, labelled fields, errors tied to their fields, no inline code."""

from __future__ import annotations

import re

import pytest

from tests.accounts.personas import log_in

pytestmark = pytest.mark.django_db

PAGES = (
    "/account/",
    "/account/history/",
    "/account/sessions/",
    "/account/2fa/",
    "/account/password/change/",
    "/account/email/",
    "/portal/",
)


def test_it_speaks_dutch(client, personas) -> None:
    page = client.get("/account/login/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Meld u aan met het e-mailadres van uw account." in page
    for _ in range(4):
        log_in(client, "olga@example.com", "fout")
    blocked = client.post(
        "/account/login/", {"login": "olga@example.com", "password": "fout"}, HTTP_ACCEPT_LANGUAGE="nl"
    ).content.decode()
    assert "Dit account is geblokkeerd na 5 mislukte aanmeldingen." in blocked


def test_it_labels_every_field_and_ties_errors_to_them(client, personas) -> None:
    page = client.post("/account/password/reset/", {"email": "not an address"}).content.decode()
    inputs = re.findall(r'<input[^>]*type="(?:email|password|text)"[^>]*>', page)
    assert inputs
    for tag in inputs:
        field_id = re.search(r'\sid="([^"]+)"', tag).group(1)  # type: ignore[union-attr]
        assert f'<label for="{field_id}"' in page, field_id
    assert 'aria-invalid="true"' in page
    described = re.search(r'aria-describedby="([^"]+)"', page)
    assert described is not None
    assert all(f'id="{ref}"' in page for ref in described.group(1).split())


def test_it_renders_every_account_page_without_inline_script_or_style(client, personas) -> None:
    log_in(client, "olga@example.com")
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html), path
        assert "<style" not in html and " style=" not in html, path
        assert 'href="/privacy"' in html, path  # the statement is reachable from every page


@pytest.mark.parametrize(
    ("language", "written"),
    [("en", r"\d{1,2} [A-Z][a-z]+ 20\d\d, \d\d:\d\d"), ("nl", r"\d{1,2} [a-z]+ 20\d\d \d\d:\d\d")],
)
def test_it_writes_dates_day_first_on_a_24_hour_clock(client, personas, language: str, written: str) -> None:
    log_in(client, "olga@example.com")
    page = client.get("/account/sessions/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    cells = re.findall(r"<td>([^<]*\d{4}[^<]*)</td>", page)
    assert cells, "the sessions page shows when each session started"
    assert all(re.fullmatch(written, cell) for cell in cells), cells
    assert "a.m." not in page and "p.m." not in page


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/account/email/", ["<h1>E-mail addresses</h1>", "Make it the main address", "(main address)"]),
        (
            "/account/password/change/",
            ["<h1>Change your password</h1>", "Current password", "New password again"],
        ),
        ("/account/logout/", ["<h1>Log off</h1>", "Your sessions on other devices stay open"]),
        ("/account/reauthenticate/", ["<h1>Confirm that it is you</h1>"]),
    ],
)
def test_allauths_account_pages_speak_the_products_words(personas, path: str, words: list[str]) -> None:
    """allauth's pages in the words of every other page: no "Sign Out", "Email Addresses" or "Make Primary"."""
    from django.test import Client

    from tests.accounts.personas import log_in

    client = Client()
    log_in(client, personas.olga.email)
    page = client.get(path).content.decode()
    for said in words:
        assert said in page, said
    for allauths in ("Sign Out", "Email Addresses", "Make Primary", "Change Password", "Confirm Access"):
        assert allauths not in page, allauths
    dutch = client.get(path, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert '<html lang="nl"' in dutch and "Sign Out" not in dutch


def test_the_password_reset_pages_speak_the_products_words(client, personas) -> None:
    page = client.get("/account/password/reset/").content.decode()
    assert "<h1>Forgot your password?</h1>" in page and "Send me the link" in page
    assert 'href="mailto:privacy@hostwerk.example"' in page  # where to turn without the address
    done = client.post(
        "/account/password/reset/", {"email": personas.olga.email}, follow=True
    ).content.decode()
    assert "<h1>Check your e-mail</h1>" in done and "Password Reset" not in done


def test_confirming_it_is_you_with_a_code_of_the_app(client, personas) -> None:
    from tests.accounts.personas import fresh_totp_code

    log_in(client, "sam@hoster.example")
    client.post("/account/2fa/authenticate/", {"code": fresh_totp_code(personas.totp["sam"])})
    page = client.get("/account/2fa/reauthenticate/").content.decode()
    assert "<h1>Confirm that it is you</h1>" in page and 'name="code"' in page
    assert 'action="/account/2fa/reauthenticate/"' in page
    # The other way, in the product's words, both ways round.
    assert 'href="/account/reauthenticate/" role="button" class="secondary">With your password</a>' in page
    by_password = client.get("/account/reauthenticate/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert ">Met een code van uw authenticator-app</a>" in by_password
    [password] = re.findall(r'<input[^>]*name="password"[^>]*>', by_password)
    assert "placeholder" not in password  # the label says it; the box stays empty
    assert "Use your" not in page + by_password and "Gebruik uw" not in by_password
    wrong = client.post("/account/2fa/reauthenticate/", {"code": "000000"}).content.decode()
    assert 'aria-invalid="true"' in wrong and 'id="id_code_error"' in wrong  # the error tied to its field
