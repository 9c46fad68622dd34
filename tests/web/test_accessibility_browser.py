"""The main pages checked by axe-core in a real browser (Chromium), in English and in Dutch.

The public pages as a visitor sees them (the cookie banner open, a form with its errors, a failed log-in),
a customer's account and portal, and a privacy officer's console. Every rule of WCAG 2.0 and 2.1 at levels
A and AA that axe-core has is applied, whatever its impact; a page that breaks one fails the test with the
page, the rule and the selectors of the elements that break it. axe-core comes with the package
axe-playwright-python and runs inside the page: nothing is fetched from the network.

English is read on a desktop screen, Dutch (the longer words) on the narrowest screen WCAG 1.4.10 asks a
page to fit, 320 CSS pixels wide; there nothing may be wider than the window but a data table, which
1.4.10 lets scroll sideways, and only in its own scroll box: the page itself never scrolls sideways. axe-core
does not check that; the test does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail

from tests.accounts.personas import Personas, personas
from tests.conftest import POLICY
from tests.personas import STAFF
from tests.web.cookie_policy import COOKIE_POLICY
from tests.web.test_acceptable_use_page import AUP_POLICY
from tests.web.test_account_browser import _log_in
from tests.web.test_authorisation_matrix import _request_with_a_file
from tests.web.test_browser import browser
from tests.web.test_console_browser import _log_in_staff
from tests.weblogs.conftest import store_dirs, vhost, weblogs_policy
from trustdesk.rights import services
from trustdesk.rights.models import Request
from trustdesk.weblogs.ingest import ingest

#: The markup of a page does not depend on the database it reads, and the other tests open every page on
#: both databases: the PostgreSQL pass leaves the sweep out.
pytestmark = [pytest.mark.browser, pytest.mark.database_agnostic, pytest.mark.django_db(transaction=True)]

#: The browser window of each language.
WINDOWS: dict[str, dict[str, Any]] = {
    "en": {"locale": "en-GB", "viewport": {"width": 1280, "height": 800}},
    "nl": {"locale": "nl-NL", "viewport": {"width": 320, "height": 640}},
}

#: A second version of the test policy, with all that shows on a page of its own or on every page:
#: cookies on consent (the banner), an acceptable use policy, web access logs.
SWEEP_POLICY = COOKIE_POLICY + AUP_POLICY[len(POLICY) :] + weblogs_policy()[len(POLICY) :]

#: The levels the product promises: WCAG 2.0 and 2.1, A and AA.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations", "incomplete"],  # every element of these two, one of the others
}

#: Rules whose "needs review" is a fault here. axe-core leaves an aria-describedby or aria-labelledby that
#: names no element on the page for review, since a script might add the element later; these pages run
#: no script, so the reference never resolves (an error message not tied to its field, for one).
DEFINITE_ON_STATIC_PAGES = {"aria-valid-attr-value"}

#: The outermost elements that reach beyond the right edge of the window, but for those in a data table's
#: own scroll box (.table-scroll; the box itself must fit), each as a path of selectors from the nearest element with an id (or the body).
BEYOND_THE_WINDOW = """() => {
  const boxed = e => e.parentElement !== null && e.parentElement.closest(".table-scroll") !== null;
  const beyond = e => !boxed(e) && e.getBoundingClientRect().right > window.innerWidth + 1;
  const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + [...e.classList].map(c => "." + c).join("");
  const path = e => {
    const names = [];
    for (; e !== document.body; e = e.parentElement) { names.unshift(name(e)); if (e.id) break; }
    return names.join(" > ");
  };
  return [...document.body.querySelectorAll("*")].filter(e => beyond(e) && !beyond(e.parentElement)).map(path);
}"""

AXE = Axe()


@dataclass
class Desk:
    personas: Personas
    answered: Request  # Olga's access request, fulfilled, with a report to download
    open: Request  # Olga's erasure request, waiting for staff, its acknowledgement not sent
    download_link: str  # the path of the first file's link in the e-mail that answered it


@pytest.fixture
def desk(personas: Personas, publish, data_dir, store_dirs, live_server, settings, tmp_path) -> Desk:
    publish(SWEEP_POLICY)
    settings.SITE_URL = live_server.url
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    log = tmp_path / "access.log"
    log.write_text(vhost(when=yesterday.strftime("%d/%b/%Y:%H:%M:%S +0000")) + "\n", encoding="utf-8")
    ingest([str(log)], actor=STAFF)
    mail.outbox.clear()
    answered, _download = _request_with_a_file(personas)
    links = [
        found.group(1)
        for message in mail.outbox
        for found in re.finditer(r"https?://[^/\s]+(/privacy/download/\S+)", str(message.body))
    ]
    assert links, "the answer's e-mail has download links"
    waiting = services.do_open_request(
        "erasure", channel="letter", actor=STAFF, person=personas.olga.profile.person, details="All of it."
    )
    # Its acknowledgement was not sent: the queue marks it and its page lists it (docs/requests.md).
    services.note_mail_not_sent(waiting.pk, "rights/email/acknowledged", "SMTPRecipientsRefused 550")
    return Desk(personas, answered, waiting, links[0])


class Sweep:
    """What axe-core (and the width of the window) finds wrong on the pages one browser tab shows."""

    def __init__(self, page: Any, base: str, language: str) -> None:
        self.page, self.base, self.language = page, base, language
        self.found: list[str] = []

    def visit(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        self.check(path)

    def submit(self, name: str, button: str = "main form button[type=submit]") -> None:
        with self.page.expect_navigation():
            self.page.locator(button).first.click()
        self.check(name)

    def check(self, name: str) -> None:
        assert self.page.locator("html").get_attribute("lang") == self.language, name
        # What a closed <details> holds is checked too (the dashboard's tables, a consent's history).
        self.page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        results = AXE.run(self.page, options=AXE_OPTIONS).response
        faults = results["violations"] + [
            rule for rule in results["incomplete"] if rule["id"] in DEFINITE_ON_STATIC_PAGES
        ]
        for rule in faults:
            targets = ", ".join(" >> ".join(map(str, node["target"])) for node in rule["nodes"])
            self.found.append(
                f"[{self.language}] {name}: {rule['id']} ({rule['impact']}) {rule['help']}: {targets}"
            )
        beyond = self.page.evaluate(BEYOND_THE_WINDOW)
        if beyond:
            width = self.page.viewport_size["width"]
            self.found.append(
                f"[{self.language}] {name}: wider than a window of {width} px: {', '.join(beyond)}"
            )


def _report(sweeps: list[Sweep]) -> str:
    found = [line for sweep in sweeps for line in sweep.found]
    return f"{len(found)} accessibility faults:\n" + "\n".join(found)


@pytest.mark.parametrize("language", list(WINDOWS))
def test_the_public_pages_break_no_rule(live_server, browser, desk: Desk, language: str) -> None:
    context = browser.new_context(**WINDOWS[language])
    try:
        sweep = Sweep(context.new_page(), live_server.url, language)
        for path in (
            "/",  # the cookie banner stays open on every page: no choice is made
            "/privacy",
            "/privacy/versions",
            "/privacy/versions/1",
            "/privacy/versions/1/compare/2",
            "/acceptable-use",
            "/cookies",
            "/privacy/request",
        ):
            sweep.visit(path)
        sweep.submit("/privacy/request with errors")
        sweep.visit(desk.download_link)
        sweep.visit("/account/login/")
        sweep.page.locator("input[name=login]").fill("otto@example.com")
        sweep.page.locator("input[name=password]").fill("not the password")
        sweep.submit("/account/login/ with a wrong password")
        sweep.visit("/account/password/reset/")
        assert not sweep.found, _report([sweep])
    finally:
        context.close()


@contextmanager
def _signed_in(browser, log_in: Callable[[Any], None]) -> Iterator[dict[str, Any]]:
    """A tab in each language's window, signed in once: the Dutch one has the English one's cookies."""
    contexts = [browser.new_context(**WINDOWS["en"])]
    try:
        english = contexts[0].new_page()
        log_in(english)
        contexts.append(browser.new_context(**WINDOWS["nl"], storage_state=contexts[0].storage_state()))
        yield {"en": english, "nl": contexts[1].new_page()}
    finally:
        for context in contexts:
            context.close()


def _account_in_every_state(desk: Desk) -> None:
    """Olga's account with a removal of two-factor authentication waiting and notices kept and given up, so
    that the pages show every part they can."""
    import datetime as dt

    from django.utils import timezone

    from trustdesk.accounts.models import TwoFactorRemoval, UnsentNotice

    now = timezone.now()
    olga = desk.personas.olga
    TwoFactorRemoval.objects.create(
        user=olga,
        asked_by=f"user:{desk.personas.sam.pk}",
        reason="Caller knew her address",
        created_at=now,
        due_at=now + dt.timedelta(hours=24),
    )
    for given_up in (None, now):
        UnsentNotice.objects.create(
            user=olga,
            template="account/email/password_changed",
            created_at=now,
            last_failure="SMTPRecipientsRefused 550",
            next_attempt_at=None if given_up else now + dt.timedelta(minutes=15),
            given_up_at=given_up,
        )


def test_a_customers_account_and_portal_break_no_rule(live_server, browser, desk: Desk) -> None:
    _account_in_every_state(desk)

    def log_in(page) -> None:
        _log_in(page, live_server.url, "olga@example.com")
        page.wait_for_url("**/account/")

    sweeps = []
    with _signed_in(browser, log_in) as tabs:
        for language, page in tabs.items():
            sweep = Sweep(page, live_server.url, language)
            for path in (
                "/account/",
                "/account/sessions/",
                "/account/history/",
                "/account/2fa/",
                "/portal/",
                f"/portal/organisations/{desk.personas.bakkerij.pk}/",
                "/portal/data/",
                "/portal/data/correct/",
                "/portal/requests/",
                "/portal/requests/new/erasure/",
                f"/portal/requests/{desk.answered.reference}/",
                f"/portal/requests/{desk.open.reference}/",
                "/portal/consents/",
            ):
                sweep.visit(path)
            sweeps.append(sweep)
    assert not any(sweep.found for sweep in sweeps), _report(sweeps)


def test_the_console_breaks_no_rule(live_server, browser, desk: Desk) -> None:
    _account_in_every_state(desk)
    sweeps = []
    with _signed_in(browser, lambda page: _log_in_staff(page, live_server.url, desk.personas, "pia")) as tabs:
        for language, page in tabs.items():
            sweep = Sweep(page, live_server.url, language)
            for path in (
                "/console/",
                "/console/requests/",
                "/console/requests/?unsent=on",
                f"/console/requests/{desk.open.reference}/",
                f"/console/requests/{desk.answered.reference}/",
                "/console/requests/new/",
                f"/console/people/{desk.personas.olga.profile.person.pk}/",
                f"/console/organisations/{desk.personas.bakkerij.pk}/",
                "/console/policy/",
                "/console/instructions/",
                "/console/search/",
            ):
                sweep.visit(path)
            page.locator("input[name=q]").fill("olga")
            sweep.submit("/console/search/ with a result", "main form[role=search] button[type=submit]")
            sweep.visit("/console/weblogs/")
            page.locator("input[name=site]").fill("shop.example.com")
            page.locator("textarea[name=reason]").fill("breach B-7")
            sweep.submit("/console/weblogs/ with a hit", "main form button[value=page]")
            sweep.visit("/account/2fa/")
            sweeps.append(sweep)
    assert not any(sweep.found for sweep in sweeps), _report(sweeps)


__all__ = ["browser", "personas", "store_dirs"]
