"""The portal in a real browser (Playwright driving Debian's Chromium): downloading one's data, withdrawing and
giving a consent in one click; a screenshot of every portal page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.accounts.personas import Personas, fresh_totp_code
from tests.portal.conftest import CONSENT_TEXT
from tests.web.test_account_browser import _log_in, _watch_csp
from tests.web.test_browser import _shot, browser, page
from trustdesk.consent.queries import has_consent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in_with_code(page, base: str, email: str, secret: str) -> None:
    _log_in(page, base, email)
    page.wait_for_url("**/account/2fa/authenticate/")
    page.get_by_label("Code").fill(fresh_totp_code(secret))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/")


def test_it_downloads_the_customers_data(live_server, page, portal: Personas, tmp_path: Path) -> None:
    blocked = _watch_csp(page)
    _log_in_with_code(page, live_server.url, "olga@example.com", portal.totp["olga"])
    page.get_by_role("link", name="Your organisations").click()
    page.wait_for_url("**/portal/")
    _shot(page, "portal-organisations")
    page.get_by_role("link", name="Bakkerij Jansen BV").click()
    _shot(page, "portal-organisation")
    page.get_by_role("navigation", name="Customer portal").get_by_role(
        "link", name="My data", exact=True
    ).click()
    page.wait_for_url("**/portal/data/")
    assert page.get_by_role("heading", name="Invoicing").count() == 1
    _shot(page, "portal-data")
    page.get_by_role("navigation", name="On this page").get_by_role("link", name="Invoicing").click()
    page.wait_for_url("**/portal/data/#purpose-1")
    values = page.locator("#purpose-1 ~ details")
    address = values.get_by_role("cell", name="olga@example.com").first  # hers, her account's and its address
    assert address.is_visible()  # a short list is open
    values.locator("summary").press("Enter")  # folded and opened again from the keyboard
    assert address.is_hidden()
    values.locator("summary").press("Enter")
    assert address.is_visible()
    page.get_by_role("button", name="Download my data").click()
    page.wait_for_url("**/portal/requests/R-*/")
    assert "Your data is ready to download." in page.get_by_role("status").inner_text()
    _shot(page, "portal-request")
    with page.expect_download() as arrived:
        page.get_by_role("link", name="Readable report (HTML)").click()
    download = arrived.value
    assert download.suggested_filename.endswith("-report.html")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    report = saved.read_text(encoding="utf-8")
    assert report.lstrip().lower().startswith("<!doctype html")
    assert "olga@example.com" in report and "Bakkerij Jansen BV" in report
    page.get_by_role("navigation", name="Customer portal").get_by_role(
        "link", name="My requests", exact=True
    ).click()
    page.wait_for_url("**/portal/requests/")
    assert "Access to your data" in page.locator("table").inner_text()
    _shot(page, "portal-requests")
    page.get_by_role("link", name="Ask us to erase your data").click()
    _shot(page, "portal-ask-erasure")
    page.get_by_role("navigation", name="Customer portal").get_by_role("link", name="Correct my data").click()
    page.get_by_label("City").fill("Brugge")
    _shot(page, "portal-correct")
    page.get_by_role("button", name="Correct my data").click()
    page.wait_for_url("**/portal/requests/R-*/")
    assert "Your data was corrected." in page.get_by_role("status").inner_text()
    assert blocked == []


def test_it_withdraws_a_consent_in_one_click_and_gives_it_again(live_server, page, portal: Personas) -> None:
    from trustdesk.accounts.services import user_ref
    from trustdesk.consent.services import do_give_consent
    from trustdesk.registry.services import Actor

    person = portal.ursula.profile.person
    do_give_consent(
        person, "newsletter", actor=Actor(ref=user_ref(portal.ursula)), channel="portal", method="portal"
    )
    blocked = _watch_csp(page)
    _log_in(page, live_server.url, "ursula@example.com")
    page.wait_for_url("**/account/")
    page.goto(live_server.url + "/portal/consents/")
    assert CONSENT_TEXT in page.locator("main").inner_text()
    page.get_by_role("button", name="Withdraw my consent: Newsletter").click()
    page.wait_for_url("**/portal/consents/#consent-newsletter")
    assert "Your consent is withdrawn." in page.get_by_role("status").inner_text()
    assert not has_consent(person, "newsletter")
    page.get_by_role("button", name="Give my consent: Newsletter").click()
    page.wait_for_url("**/portal/consents/#consent-newsletter")
    assert "Your consent is recorded." in page.get_by_role("status").inner_text()
    assert has_consent(person, "newsletter")
    page.get_by_text("History", exact=True).click()
    _shot(page, "portal-consents")
    assert blocked == []


__all__ = ["browser", "page"]
