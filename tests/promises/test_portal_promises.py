"""Promises kept by the customer portal: seeing one's data and correcting it there, withdrawing consent as easily
as giving it."""

from __future__ import annotations

import re

import pytest

from tests.accounts.personas import Personas
from tests.portal.conftest import CONSENT_TEXT, client_for, personas, portal
from trustdesk.consent.models import ConsentEvent
from trustdesk.consent.queries import has_consent
from trustdesk.portal.forms import editable_fields
from trustdesk.rights.models import Download, Request

pytestmark = pytest.mark.django_db


def _see_and_correct(user) -> None:
    """The signed-in person sees their data, downloads it, corrects a field; the old value is kept."""
    person = user.profile.person
    client = client_for(user)
    page = client.get("/portal/data/").content.decode()
    assert person.email in page and person.first_name in page
    client.post("/portal/data/download/")
    access = Request.objects.get(person=person, kind="access", status="fulfilled")
    report = access.downloads.get(format=Download.Format.REPORT_HTML)
    body = client.get(f"/portal/requests/{access.reference}/downloads/{report.pk}/").getvalue()
    assert person.email.encode() in body
    data = {name: str(getattr(person, name) or "") for name in editable_fields()}
    client.post("/portal/data/correct/", {**data, "last_name": "Corrected"})
    person.refresh_from_db()
    assert person.last_name == "Corrected"
    assert person.history.filter(last_name="Test").exists()  # the earlier value stays (P0.7)
    assert Request.objects.get(person=person, kind="rectification").status == "fulfilled"
    assert "Correction of your data" in client.get("/portal/requests/").content.decode()


@pytest.mark.promise("P0.6")
def test_it_lets_a_person_see_their_data_and_correct_it_in_the_portal(portal: Personas) -> None:
    _see_and_correct(portal.olga)
    # ... and never somebody else's.
    page = client_for(portal.bert).get("/portal/data/").content.decode()
    assert "olga@example.com" not in page


@pytest.mark.promise("P2.11")
def test_it_lets_users_see_their_own_data_and_report_inaccuracies_in_the_customer_area(
    portal: Personas,
) -> None:
    _see_and_correct(portal.otto)
    olga = client_for(portal.olga)
    otto_request = Request.objects.filter(person=portal.otto.profile.person).first()
    assert otto_request is not None
    assert olga.get(f"/portal/requests/{otto_request.reference}/").status_code == 404


@pytest.mark.promise("P3.4")
def test_it_withdraws_consent_as_easily_as_it_was_given(portal: Personas) -> None:
    person = portal.ursula.profile.person
    client = client_for(portal.ursula)
    page = client.get("/portal/consents/").content.decode()
    assert CONSENT_TEXT in page
    give = {"purpose": "newsletter", "action": "give"}
    withdraw = {"purpose": "newsletter", "action": "withdraw"}
    assert client.post("/portal/consents/", give).status_code == 302  # one click
    assert has_consent(person, "newsletter")
    page = client.get("/portal/consents/").content.decode()
    assert re.search(r'<button type="submit" name="action" value="withdraw"', page)
    assert client.post("/portal/consents/", withdraw).status_code == 302  # one click, the same form
    assert not has_consent(person, "newsletter")  # effective at once
    given, withdrawn = ConsentEvent.objects.filter(person=person).order_by("at", "pk")
    assert (given.kind, withdrawn.kind) == ("given", "withdrawn")
    assert (given.channel, given.method) == (withdrawn.channel, withdrawn.method) == ("portal", "portal")
    assert withdrawn.text == given.text == CONSENT_TEXT  # the withdrawal names what it withdraws


__all__ = ["personas", "portal"]


@pytest.mark.promise("P0.5")
def test_it_shows_the_person_what_was_passed_to_a_registry_and_made_public(
    personas: Personas, starter_policy, operator
) -> None:
    from tests.accounts.personas import give_totp
    from trustdesk.registry.models import Service
    from trustdesk.registry.services import do_create, do_record_disclosure

    bakkerij = personas.bakkerij
    domain = do_create(
        Service, {"organisation": bakkerij, "kind": "domain", "label": "bakkerij-jansen.nl"}, actor=operator
    )
    do_record_disclosure(
        bakkerij, "domain_registry", ["user.name", "user.contact.email"], actor=operator, service=domain
    )
    for user in (personas.olga, personas.bert, personas.otto):
        give_totp(user)
    page = client_for(personas.olga).get(f"/portal/organisations/{bakkerij.pk}/").content.decode()
    section = page[page.index('id="disclosures"') :]
    assert "SIDN (.nl) and the registries of the other extensions we sell" in section
    assert "bakkerij-jansen.nl" in section and "E-mail address" in section
    assert "yes: The registry may publish the holder&#x27;s details through WHOIS" in section
    dutch = client_for(personas.olga).get(f"/portal/organisations/{bakkerij.pk}/", HTTP_ACCEPT_LANGUAGE="nl")
    assert "Doorgegeven aan anderen" in dutch.content.decode()
    assert "ja: Het register kan de gegevens van de houder via WHOIS publiceren" in dutch.content.decode()
    # The billing contact does not see the services and what was passed on for them; others see nothing.
    assert (
        'id="disclosures"'
        not in client_for(personas.bert).get(f"/portal/organisations/{bakkerij.pk}/").content.decode()
    )
    assert client_for(personas.otto).get(f"/portal/organisations/{bakkerij.pk}/").status_code == 404
