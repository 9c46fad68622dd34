"""The cookie banner and the acceptable use policy in a real browser: Playwright driving Debian's Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import POLICY
from tests.web.cookie_policy import COOKIE_POLICY
from tests.web.test_acceptable_use_page import AUP_POLICY
from tests.web.test_browser import _shot, browser, page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: The cookie policy with the acceptable use policy of seed 001.
BOTH = COOKIE_POLICY + AUP_POLICY[len(POLICY) :]


def _cookie_names(page) -> set[str]:
    return {cookie["name"] for cookie in page.context.cookies()}


def test_it_asks_sets_only_necessary_cookies_and_lets_the_choice_change(live_server, page, publish) -> None:
    publish(COOKIE_POLICY)
    page.goto(live_server.url + "/privacy")
    banner = page.get_by_role("region", name="Cookies on this website")
    assert banner.is_visible()
    assert banner.get_by_role("group", name="Cookies by purpose").is_visible()
    assert "td_stats" in banner.inner_text() and "expires after 13 months" in banner.inner_text()
    _shot(page, "cookie-banner")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "cookie-banner-narrow")
    page.set_viewport_size({"width": 1280, "height": 720})

    # The keyboard reaches the banner's buttons before the rest of the page, and presses "only necessary".
    for _ in range(3):  # the purpose's checkbox, "Accept all", "Only necessary"
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Only necessary"
    with page.expect_navigation():  # the form posts and comes back to the same address
        page.keyboard.press("Enter")
    assert page.get_by_role("region", name="Cookies on this website").count() == 0
    assert _cookie_names(page) <= {"csrftoken", "cookie_consent", "sessionid"}
    assert "td_stats" not in _cookie_names(page)

    # Changed from the footer link: the purpose ticked and saved.
    page.locator("footer").get_by_role("link", name="Cookie settings").click()
    page.wait_for_url("**/cookies")
    assert "You accepted only the strictly necessary cookies." in page.locator("main").inner_text()
    page.get_by_label("Visitor statistics").check()
    page.get_by_role("button", name="Save my choices").click()
    page.wait_for_url("**/cookies?saved=1")
    assert page.get_by_role("status").filter(has_text="Your choice is saved.").is_visible()
    assert page.get_by_label("Visitor statistics").is_checked()
    _shot(page, "cookie-settings")


def test_it_shows_the_acceptable_use_policy_in_both_languages(live_server, page, publish) -> None:
    publish(BOTH)
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Only necessary").click()
    page.locator("footer").get_by_role("link", name="Acceptable use policy").click()
    page.wait_for_url("**/acceptable-use")
    assert page.get_by_role("heading", name="IRC without written consent").is_visible()
    assert page.get_by_role("heading", name="Reporting abuse").is_visible()
    _shot(page, "acceptable-use-en")
    page.get_by_role("link", name="Nederlands").click()
    page.wait_for_url("**/acceptable-use?lang=nl")
    assert page.get_by_role("heading", name="Misbruik melden").is_visible()
    _shot(page, "acceptable-use-nl")


__all__ = ["browser", "page"]
