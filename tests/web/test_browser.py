"""The public pages in a real browser: Playwright driving Debian's Chromium."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import POLICY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(os.environ.get("TRUSTDESK_SCREENSHOTS", "test-results/screenshots"))

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        if os.environ.get("TRUSTDESK_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required for the browser tests (TRUSTDESK_REQUIRE_BROWSER is set)")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the live server's database calls are synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_it_reads_the_statement_from_the_front_page_and_switches_language(live_server, page, publish) -> None:
    publish()
    page.goto(live_server.url + "/")
    page.locator("footer").get_by_role("link", name="Privacy statement").click()
    page.wait_for_url("**/privacy")
    assert "Hostwerk Test BV" in page.locator(".statement").inner_text()
    assert page.locator(".statement").get_attribute("lang") == "en"
    _shot(page, "privacy-en")
    page.get_by_role("link", name="Nederlands").click()
    page.wait_for_url("**/privacy?lang=nl")
    assert page.locator(".statement").get_attribute("lang") == "nl"
    assert "Nieuwsbrief" in page.locator(".statement").inner_text()
    _shot(page, "privacy-nl")


def test_it_compares_two_versions(live_server, page, publish) -> None:
    publish()
    publish(POLICY.replace("attempts: 5", "attempts: 3"))
    page.goto(live_server.url + "/privacy/versions")
    _shot(page, "versions")
    page.get_by_role("link", name="compared with 1").click()
    page.wait_for_url("**/privacy/versions/1/compare/2")
    row = page.get_by_role("row").filter(has_text="security, lockout: attempts")
    assert row.locator("td").nth(0).inner_text() == "changed"
    assert row.locator("td").nth(1).inner_text() == "5"
    assert row.locator("td").nth(2).inner_text() == "3"
    _shot(page, "compare")


def test_it_loads_no_script_and_every_stylesheet(live_server, page, publish) -> None:
    publish()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    page.goto(live_server.url + "/privacy")
    assert failed == []
    assert page.locator("script").count() == 0
    assert page.evaluate("document.styleSheets.length") == 2
