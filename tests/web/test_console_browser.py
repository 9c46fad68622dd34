"""The staff console in a real browser (Chromium): staff extend and fulfil a request; a visitor's erasure
request confirmed by a link that arrives over SMTP, then fulfilled by staff. A screenshot of each page."""

from __future__ import annotations

import re

import pytest

from tests.accounts.personas import PASSWORD, Personas, fresh_totp_code, personas
from tests.personas import POLICY, STAFF
from tests.smtp import Mailbox
from tests.web.test_browser import _shot, browser, page
from trustdesk.registry.models import Person, Service, ServiceIdentifier
from trustdesk.registry.services import do_create
from trustdesk.rights import services
from trustdesk.rights.models import Request, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch_csp(page) -> list[str]:
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    return blocked


def _log_in_staff(page, base: str, personas: Personas, name: str) -> None:
    page.goto(base + "/account/login/")
    page.get_by_label("E-mail address").fill(f"{name}@hoster.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/2fa/authenticate/")
    page.get_by_label("Code").fill(fresh_totp_code(personas.totp[name]))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/")


@pytest.fixture
def desk(personas: Personas, publish, data_dir, live_server, settings):
    publish(POLICY)  # identity documents are checked, never kept
    settings.SITE_URL = live_server.url
    return personas


def _someone_asked_to_remove_olgas_two_factor(desk: Personas) -> None:
    import datetime as dt

    from django.utils import timezone

    from tests.accounts.personas import give_totp
    from trustdesk.accounts.models import TwoFactorRemoval

    give_totp(desk.olga)  # a removal is only ever asked of an account that has it
    now = timezone.now()
    TwoFactorRemoval.objects.create(
        user=desk.olga,
        asked_by=f"user:{desk.sam.pk}",
        reason="Called from an unknown number; knew her address",
        created_at=now,
        due_at=now + dt.timedelta(hours=24),
    )


def test_it_has_staff_extend_and_fulfil_a_request(live_server, page, desk: Personas) -> None:
    olga = desk.olga.profile.person
    hosting = do_create(
        Service,
        {"organisation": desk.bakkerij, "kind": "web_hosting", "label": "bakkerij-site"},
        actor=STAFF,
    )
    do_create(
        ServiceIdentifier, {"service": hosting, "kind": "domain", "value": "bakkerij.example"}, actor=STAFF
    )
    made = services.do_open_request(
        "access", channel="letter", actor=STAFF, person=olga, details="All my data."
    )
    _someone_asked_to_remove_olgas_two_factor(desk)
    blocked = _watch_csp(page)
    base = live_server.url
    _log_in_staff(page, base, desk, "pia")
    page.goto(base + "/console/")
    assert page.get_by_role("img", name="Requests received per week, by kind").count() == 1
    to_watch = page.get_by_role("region", name="Accounts to look at")
    assert "Removals of two-factor authentication waiting" in to_watch.inner_text()
    _shot(page, "console-dashboard")
    page.get_by_role("navigation", name="Staff console").get_by_role("link", name="Requests").click()
    page.wait_for_url("**/console/requests/")
    _shot(page, "console-queue")
    # The case number and the dates stay on one line each, even where the window is narrow (the table then
    # scrolls sideways in its box): "R-2026-" above "2EYH7Z" reads as two things.
    page.set_viewport_size({"width": 700, "height": 720})
    row = page.locator("table.queue tbody tr").first
    for cell in (1, 5, 6):
        lines = row.locator(f"td:nth-child({cell})").evaluate(
            "td => { const range = document.createRange(); const text = td.querySelector('a') || td;"
            " range.selectNodeContents(text.firstChild); return range.getClientRects().length; }"
        )
        assert lines == 1, (cell, lines)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_role("link", name=made.reference).click()
    page.wait_for_url(f"**/console/requests/{made.reference}/")
    _shot(page, "console-request")
    action = page.locator("#action-verify")
    action.get_by_label("identity document checked by staff (not kept)").check()
    action.get_by_label("What was checked").fill("the photo of an identity card matched")
    action.get_by_role("button", name="Record the identity check").click()
    page.wait_for_url(f"**/console/requests/{made.reference}/")
    assert "Identity is recorded" in page.locator(".messages").inner_text()
    extend = page.locator("#action-extend")
    extend.get_by_label("Extend by").select_option("P1M")
    extend.get_by_label("Reasons").fill("The archive is being restored.")
    extend.get_by_role("button", name="Extend").click()
    page.wait_for_url(f"**/console/requests/{made.reference}/")
    assert "The deadline is extended" in page.locator(".messages").inner_text()
    assert "extended by P1M" in page.locator("main").inner_text()
    page.locator("#action-fulfil").get_by_role("button", name="Fulfil the request").click()
    page.wait_for_url(f"**/console/requests/{made.reference}/")
    assert "The request is fulfilled" in page.locator(".messages").inner_text()
    assert page.get_by_role("link", name="readable report (HTML)").count() == 1
    _shot(page, "console-request-fulfilled")
    made.refresh_from_db()
    assert made.status == Status.FULFILLED and made.extended_by == "P1M"
    page.get_by_role("navigation", name="Staff console").get_by_role("link", name="Search").click()
    page.get_by_label("Name, e-mail address, domain name or IP address").fill("bakkerij.example")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").last.click()
    assert page.url == base + "/console/search/"  # a POST: the query is in no URL
    assert (
        page.get_by_label("Name, e-mail address, domain name or IP address").input_value()
        == "bakkerij.example"
    )
    _shot(page, "console-search")
    page.get_by_role("link", name="Bakkerij Jansen BV").click()
    page.wait_for_url(f"**/console/organisations/{desk.bakkerij.pk}/")
    _shot(page, "console-organisation")
    page.get_by_role("link", name="Olga Test").click()
    page.wait_for_url(f"**/console/people/{olga.pk}/")
    assert "olga@example.com" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Withdraw the removal").is_visible()
    _shot(page, "console-person")
    page.get_by_role("button", name="Enter a request about this person").click()
    page.wait_for_url(f"**/console/requests/new/?person={olga.pk}")
    _shot(page, "console-entry")
    page.get_by_role("link", name="Choose somebody else").click()
    page.wait_for_url("**/console/requests/new/")
    page.get_by_label("Find the person by name or e-mail address").fill("olga@example")
    with page.expect_navigation():
        page.get_by_role("button", name="Find").click()
    assert page.url == base + "/console/requests/new/"  # a POST: the name is in no URL
    assert page.get_by_label("Find the person by name or e-mail address").input_value() == "olga@example"
    page.get_by_role("link", name="Olga Test").click()
    page.wait_for_url(f"**/console/requests/new/?person={olga.pk}")
    page.get_by_label("Kind").select_option("access")
    page.get_by_label("Received by").select_option("phone")
    page.get_by_role("button", name="Record the request").click()
    page.wait_for_url(re.compile(r".*/console/requests/[^/]+/$"))
    assert "is recorded" in page.locator(".messages").inner_text()
    assert "olga" not in page.url.lower()
    assert Request.objects.filter(person=olga, channel="phone").count() == 1
    page.goto(base + "/console/policy/")
    assert "The data map" in page.locator("main").inner_text()
    _shot(page, "console-policy")
    # The privacy officer's own looks on this tour: the dashboard counts them, her name leads to them.
    page.goto(base + "/console/")
    looks = page.get_by_role("region", name="Looks at records by staff, last 30 days")
    looks.get_by_role("link", name=desk.pia.email).click()
    page.wait_for_url(f"**/console/staff/{desk.pia.pk}/looks/")
    listed = page.locator("main table tbody").inner_text()
    assert f"Person {olga.pk}" in listed and "Olga" not in listed
    assert f"Organisation {desk.bakkerij.pk}" in listed and "saw it in a list" in listed
    _shot(page, "console-staff-looks")
    page.get_by_role("link", name=f"Person {olga.pk}").first.click()
    page.wait_for_url(f"**/console/people/{olga.pk}/")
    assert blocked == []


def test_it_confirms_a_public_erasure_request_by_e_mail_and_staff_fulfil_it(
    live_server, browser, desk: Personas, smtp: Mailbox
) -> None:
    base = live_server.url
    person = do_create(
        Person, {"first_name": "Vera", "last_name": "Visser", "email": "vera@example.nl"}, actor=STAFF
    )
    visitor = browser.new_context(locale="en-GB")
    staff = browser.new_context(locale="en-GB")
    try:
        public = visitor.new_page()
        public.goto(base + "/privacy/request")
        public.get_by_label("Erase my data (erasure)").check()
        public.get_by_label("Your e-mail address").fill("vera@example.nl")
        public.get_by_role("button", name="Send the request").click()
        public.wait_for_load_state()
        made = Request.objects.get()
        assert made.person == person and made.status == Status.AWAITING_IDENTITY
        assert made.reference in public.locator("main").inner_text()
        messages = smtp.to("vera@example.nl")
        assert len(messages) == 1
        link = re.search(r"https?://\S+/privacy/request/confirm/\S+", smtp.text(messages[0]))
        assert link is not None and link.group(0).startswith(base)
        public.goto(link.group(0))
        made.refresh_from_db()
        assert made.status == Status.AWAITING_IDENTITY  # opening the link confirms nothing
        public.get_by_role("button", name="Confirm").click()
        public.wait_for_load_state()
        made.refresh_from_db()
        assert made.status == Status.IN_PROGRESS and made.identity_method == "email_link"
        console = staff.new_page()
        _log_in_staff(console, base, desk, "ada")
        console.goto(base + f"/console/requests/{made.reference}/")
        assert "confirmed by a link sent to the address on record" in console.locator("main").inner_text()
        console.locator("#action-fulfil").get_by_role("button", name="Fulfil the request").click()
        console.wait_for_url(f"**/console/requests/{made.reference}/")
        assert "The request is fulfilled" in console.locator(".messages").inner_text()
        _shot(console, "console-erasure-fulfilled")
        made.refresh_from_db()
        person.refresh_from_db()
        assert made.status == Status.FULFILLED
        assert person.email != "vera@example.nl" and person.first_name != "Vera"
        assert len(smtp.to("vera@example.nl")) == 2  # the confirmation link, then the answer
    finally:
        visitor.close()
        staff.close()


def test_the_administrator_sees_an_account_read_only_in_the_admin(live_server, page, desk: Personas) -> None:
    """The Django admin shows an account, its second factor and its journal of looks, with no way to change it
    and none of its secrets: no password (nor its hash), no Save or Delete, no app secret."""
    from tests.accounts.personas import give_totp
    from trustdesk.journal.models import JournalEntry

    give_totp(desk.olga)
    base = live_server.url
    blocked = _watch_csp(page)
    _log_in_staff(page, base, desk, "ada")
    page.goto(base + f"/admin/auth/user/{desk.olga.pk}/change/")
    main = page.locator("#content").inner_text()
    assert "olga@example.com" in main and "Important dates" in main
    assert page.locator("input[name=_save], input[name=_continue], a.deletelink").count() == 0
    assert "argon2" not in page.content() and "password" not in main.lower()
    _shot(page, "admin-account-read-only")
    page.goto(base + "/admin/mfa/authenticator/")
    page.get_by_role("link", name=re.compile("olga", re.I)).first.click()
    page.wait_for_load_state()
    assert page.locator("input[name=_save]").count() == 0 and desk.totp["ada"] not in page.content()
    viewed = JournalEntry.objects.filter(actor=f"user:{desk.ada.pk}", action__endswith=".viewed")
    assert {"auth.user", "mfa.authenticator"} <= set(viewed.values_list("object_type", flat=True))
    assert blocked == []


__all__ = ["browser", "page", "personas"]
