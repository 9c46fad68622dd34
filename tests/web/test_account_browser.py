"""Log-in, two-factor, lock-out and recovery, and log off everywhere in a real browser (Chromium)."""

from __future__ import annotations

import pytest

from tests.accounts.personas import PASSWORD, Personas, fresh_totp_code, mailbox, personas
from tests.web.test_browser import _shot, browser, page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a new passphrase for the browser 7"


def _watch_csp(page) -> list[str]:
    """Collects the browser's reports of anything the Content-Security-Policy blocked."""
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    return blocked


def _log_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base + "/account/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_it_logs_staff_in_with_a_code_from_their_authenticator_app(
    live_server, page, personas: Personas
) -> None:
    blocked = _watch_csp(page)
    page.goto(live_server.url + "/account/login/")
    _shot(page, "login")
    _log_in(page, live_server.url, "sam@hoster.example")
    page.wait_for_url("**/account/2fa/authenticate/")
    _shot(page, "two-factor-authenticate")
    page.get_by_label("Code").fill(fresh_totp_code(personas.totp["sam"]))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/")
    assert "sam@hoster.example" in page.locator("main").inner_text()
    assert "support" in page.locator("main").inner_text()
    _shot(page, "account")
    page.get_by_role("link", name="Log-in history").click()
    page.wait_for_url("**/account/history/")
    assert "Logged in" in page.locator("table").inner_text()
    _shot(page, "login-history")
    assert blocked == []


def test_a_customer_keeps_two_factor_that_someone_asked_our_staff_to_remove(
    live_server, page, personas: Personas
) -> None:
    """Someone who claimed to be Olga asked support to remove her two-factor authentication: at her next
    log-in she is warned and keeps it with one button, with the keyboard."""
    from tests.accounts.personas import give_totp
    from trustdesk.accounts.models import TwoFactorRemoval
    from trustdesk.accounts.services import do_ask_two_factor_removal

    secret = give_totp(personas.olga)
    do_ask_two_factor_removal(
        personas.olga, actor=f"user:{personas.sam.pk}", reason="Caller knew her address"
    )
    blocked = _watch_csp(page)
    _log_in(page, live_server.url, "olga@example.com")
    page.wait_for_url("**/account/2fa/authenticate/")
    page.get_by_label("Code").fill(fresh_totp_code(secret))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/")
    assert (
        "Our staff were asked to remove your two-factor authentication"
        in page.get_by_role("status").first.inner_text()
    )
    warning = page.get_by_role("region", name="Your two-factor authentication is about to be removed")
    assert "someone else may be trying to get into your account" in warning.inner_text()
    _shot(page, "account-two-factor-removal")
    keep = warning.get_by_role("button", name="Keep two-factor authentication")
    keep.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Two-factor authentication stays on your account." in page.locator("main").inner_text()
    assert (
        page.get_by_role("region", name="Your two-factor authentication is about to be removed").count() == 0
    )
    assert TwoFactorRemoval.objects.get(user=personas.olga).outcome == "kept"
    assert blocked == []


def test_it_has_staff_set_up_two_factor_before_anything_else(live_server, page, personas: Personas) -> None:
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=personas.pia).delete()
    blocked = _watch_csp(page)
    _log_in(page, live_server.url, "pia@hoster.example")
    page.wait_for_url("**/account/reauthenticate/**")  # sent to the set-up, which asks for the password again
    assert "Set up two-factor authentication" in page.locator("main").inner_text()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/account/2fa/totp/activate/")
    _shot(page, "two-factor-setup")
    assert page.get_by_alt_text("QR code of your key for the authenticator app").is_visible()
    secret = page.locator("#authenticator-key").inner_text()
    page.get_by_label("Code from the app").fill(fresh_totp_code(secret))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    page.wait_for_url("**/account/2fa/recovery-codes/")
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) == 10 and all(code.isdigit() and len(code) == 8 for code in codes)
    assert "10 of your 10 recovery codes are unused." in page.locator("main").inner_text()
    _shot(page, "recovery-codes")
    page.goto(live_server.url + "/account/2fa/")
    main = page.locator("main").inner_text()
    assert "On: logging in asks for a code from your authenticator app." in main
    assert page.get_by_role("button", name="Make new codes").is_visible()
    _shot(page, "two-factor")
    page.goto(live_server.url + "/console/instructions/")
    assert page.locator("h1").inner_text() == "Content-access instructions"
    assert blocked == []


def test_staff_with_two_factor_change_their_e_mail_address_after_saying_who_they_are(
    live_server, page, personas: Personas, mailbox
) -> None:
    """Sam (support, two-factor authentication required) adds a new address: asked for his password first,
    he is brought back to the change, which is then made; he confirms the address from its e-mail and makes
    it the main one, without being asked again within five minutes."""
    _log_in(page, live_server.url, "sam@hoster.example")
    page.wait_for_url("**/account/2fa/authenticate/")
    page.get_by_label("Code").fill(fresh_totp_code(personas.totp["sam"]))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/")
    page.goto(live_server.url + "/account/email/")
    page.get_by_label("E-mail address").fill("sam.new@hoster.example")
    page.get_by_role("button", name="Add the address").click()
    page.wait_for_url("**/account/reauthenticate/?next=%2Faccount%2Femail%2F")
    _shot(page, "reauthenticate")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/account/email/")
    main = page.locator("main").inner_text()
    assert "We sent a link to sam.new@hoster.example" in main
    assert "sam.new@hoster.example (not confirmed)" in main and "two-factor" not in main
    _shot(page, "email-addresses")
    [message] = mailbox.wait_for(1)
    [link] = [u for u in mailbox.links(message) if "/confirm-email/" in u]
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    page.goto(live_server.url + "/account/email/")
    page.get_by_label("sam.new@hoster.example").check()
    page.get_by_role("button", name="Make it the main address").click()
    page.wait_for_url("**/account/email/")
    assert "Your account now uses this e-mail address." in page.locator("main").inner_text()
    personas.sam.refresh_from_db()
    assert personas.sam.email == "sam.new@hoster.example"


def test_it_blocks_after_the_policys_attempts_and_a_reset_link_gets_the_person_back_in(
    live_server, page, personas: Personas, mailbox
) -> None:
    for _ in range(5):
        _log_in(page, live_server.url, "olga@example.com", "not the password")
    error = page.get_by_role("alert").first.inner_text()
    assert "This account is blocked after 5 failed log-ins" in error
    _shot(page, "locked-out")
    # The right password is refused while the block lasts.
    _log_in(page, live_server.url, "olga@example.com")
    assert "This account is blocked" in page.get_by_role("alert").first.inner_text()
    page.get_by_role("link", name="Forgot your password?").last.click()
    page.wait_for_url("**/account/password/reset/")
    page.get_by_label("E-mail address").fill("olga@example.com")
    _shot(page, "password-reset")
    page.get_by_role("button", name="Send me the link").click()
    page.wait_for_url("**/account/password/reset/done/")
    [message] = mailbox.wait_for(1)
    [link] = [u for u in mailbox.links(message) if "/password/reset/key/" in u]
    page.goto(link)
    page.locator("input[name=password1]").fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    _shot(page, "password-reset-new")
    page.get_by_role("button", name="Save the new password").click()
    page.wait_for_url("**/account/password/reset/key/done/")
    _log_in(page, live_server.url, "olga@example.com", NEW_PASSWORD)
    page.wait_for_url("**/account/")
    page.get_by_role("link", name="Your organisations").click()
    assert "Bakkerij Jansen BV" in page.locator("main").inner_text()
    _shot(page, "portal")


def test_it_logs_off_everywhere(live_server, browser, personas: Personas) -> None:
    laptop = browser.new_context(locale="en-GB")
    phone = browser.new_context(locale="en-GB")
    try:
        first, second = laptop.new_page(), phone.new_page()
        _log_in(first, live_server.url, "bert@example.com")
        first.wait_for_url("**/account/")
        _log_in(second, live_server.url, "bert@example.com")
        second.wait_for_url("**/account/")
        first.goto(live_server.url + "/account/sessions/")
        assert first.locator("tr.session").count() == 2
        _shot(first, "sessions")
        first.get_by_role("button", name="Log off everywhere").last.click()
        first.wait_for_url("**/account/login/")
        assert "You are logged off on every device." in first.locator("main").inner_text()
        second.goto(live_server.url + "/portal/")
        second.wait_for_url("**/account/login/?next=/portal/")
    finally:
        laptop.close()
        phone.close()


@pytest.mark.parametrize(
    "path", ["/", "/privacy", "/privacy/versions", "/account/login/", "/account/password/reset/", "/api/docs"]
)
def test_it_breaks_no_page_with_the_content_security_policy(live_server, page, publish, path) -> None:
    publish()
    blocked = _watch_csp(page)
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    assert blocked == []
    if path == "/api/docs":
        assert page.locator("#swagger-ui .information-container").count() == 1  # the UI drew itself


__all__ = ["browser", "mailbox", "page", "personas"]
