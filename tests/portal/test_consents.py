"""Consents: each consent purpose of the policy, given or withdrawn in one click by the same form (P3.4)."""

from __future__ import annotations

import re

import pytest

from tests.accounts.personas import Personas
from tests.portal.conftest import CONSENT_TEXT, CONSENT_TEXT_NL, client_for
from trustdesk.consent.models import ConsentEvent
from trustdesk.consent.queries import has_consent

pytestmark = pytest.mark.django_db


def _forms(page: str) -> list[str]:
    """The consent forms of the page, without their CSRF tokens (which change)."""
    found = re.findall(r"<form method=\"post\" action=\"/portal/consents/\">.*?</form>", page, re.S)
    return [re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", form) for form in found]


def test_it_gives_and_withdraws_with_the_same_form_in_one_post_each(portal: Personas) -> None:
    person = portal.olga.profile.person
    client = client_for(portal.olga)
    page = client.get("/portal/consents/").content.decode()
    assert CONSENT_TEXT in page and "not given" in page
    [give] = _forms(page)
    response = client.post("/portal/consents/", {"purpose": "newsletter", "action": "give"})
    assert response["Location"] == "/portal/consents/#consent-newsletter"
    assert has_consent(person, "newsletter")
    event = ConsentEvent.objects.get(person=person)
    assert (event.text, event.channel, event.method, event.recorded_by) == (
        CONSENT_TEXT,
        "portal",
        "portal",
        f"user:{portal.olga.pk}",
    )
    assert event.ip_pseudonym  # the address only as a keyed pseudonym
    page = client.get("/portal/consents/").content.decode()
    [withdraw] = _forms(page)
    # The same form: only the button's action differs.
    assert give.replace('value="give"', "").split("<button")[0] == withdraw.split("<button")[0]
    assert 'name="action" value="withdraw"' in withdraw
    client.post("/portal/consents/", {"purpose": "newsletter", "action": "withdraw"})
    assert not has_consent(person, "newsletter")
    page = client.get("/portal/consents/").content.decode()
    history = page.split("<summary>History</summary>")[1].split("</details>")[0]
    assert history.count("<li>") == 2 and "given" in history and "withdrawn" in history


def test_it_records_the_text_shown_in_the_persons_language(portal: Personas) -> None:
    client = client_for(portal.olga)
    assert CONSENT_TEXT_NL in client.get("/portal/consents/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    client.post("/portal/consents/", {"purpose": "newsletter", "action": "give"}, HTTP_ACCEPT_LANGUAGE="nl")
    event = ConsentEvent.objects.get(person=portal.olga.profile.person)
    assert (event.text, event.lang) == (CONSENT_TEXT_NL, "nl")


def test_it_refuses_a_purpose_that_takes_no_consent(portal: Personas) -> None:
    client = client_for(portal.olga)
    for data in ({"purpose": "invoicing", "action": "give"}, {"purpose": "newsletter", "action": "sell"}):
        response = client.post("/portal/consents/", data)
        assert response.status_code == 400
        assert "This consent cannot be changed here." in response.content.decode()
    assert not ConsentEvent.objects.exists()


def test_it_keeps_each_persons_consents_apart(portal: Personas) -> None:
    client_for(portal.olga).post("/portal/consents/", {"purpose": "newsletter", "action": "give"})
    assert not has_consent(portal.bert.profile.person, "newsletter")
    page = client_for(portal.bert).get("/portal/consents/").content.decode()
    assert "not given" in page and "History" not in page
    for staff in portal.staff().values():
        assert (
            client_for(staff)
            .post("/portal/consents/", {"purpose": "newsletter", "action": "give"})
            .status_code
            == 403
        )
    assert (
        client_for(None).post("/portal/consents/", {"purpose": "newsletter", "action": "give"}).status_code
        == 302
    )
    assert ConsentEvent.objects.count() == 1
