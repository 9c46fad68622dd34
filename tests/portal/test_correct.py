"""Correct my data: a rectification request with the signed-in identity, fulfilled at once, history kept."""

from __future__ import annotations

import pytest

from tests.accounts.personas import Personas
from tests.portal.conftest import SESSION_POLICY, client_for
from trustdesk.registry.models import Person
from trustdesk.rights.models import Request

pytestmark = pytest.mark.django_db

CARD = "4111 1111 1111 1111"


def _form(person: Person, **changes: str) -> dict[str, str]:
    from trustdesk.portal.forms import editable_fields

    data = {name: str(getattr(person, name) or "") for name in editable_fields()}
    data.update(changes)
    return data


def test_it_corrects_at_once_and_keeps_the_earlier_value(portal: Personas) -> None:
    person = portal.olga.profile.person
    versions = person.history.count()
    response = client_for(portal.olga).post(
        "/portal/data/correct/", _form(person, city="Brugge", last_name="Jansen")
    )
    made = Request.objects.get(person=person, kind="rectification")
    assert response["Location"] == f"/portal/requests/{made.reference}/"
    assert (made.status, made.channel, made.identity_method) == ("fulfilled", "portal", "two_factor")
    assert made.specifics == {"changes": {"city": "Brugge", "last_name": "Jansen"}}
    person.refresh_from_db()
    assert (person.city, person.last_name) == ("Brugge", "Jansen")
    assert person.history.count() == versions + 1
    assert person.history.order_by("history_date")[versions - 1].last_name == "Test"  # the earlier value kept
    page = client_for(portal.olga).get("/portal/requests/").content.decode()
    assert made.reference in page and "Correction of your data" in page


def test_it_refuses_a_card_number_with_the_error_tied_to_the_field(portal: Personas) -> None:
    person = portal.olga.profile.person
    response = client_for(portal.olga).post("/portal/data/correct/", _form(person, job_title=f"baker {CARD}"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_job_title_error"' in page and 'aria-describedby="id_job_title_error"' in page
    assert "card" in page.lower() and CARD not in page.split("<input")[0]
    assert not Request.objects.filter(person=person).exists()
    person.refresh_from_db()
    assert person.job_title == ""


def test_it_validates_the_fields(portal: Personas) -> None:
    person = portal.olga.profile.person
    client = client_for(portal.olga)
    response = client.post("/portal/data/correct/", _form(person, email="not an address", country="Belgium"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_email_error"' in page and 'id="id_country_error"' in page
    assert client.post("/portal/data/correct/", _form(person)).status_code == 400  # nothing changed
    assert not Request.objects.filter(person=person).exists()


def test_it_asks_for_two_factor_where_the_policy_does(portal: Personas) -> None:
    person = portal.bert.profile.person  # Bert has no authenticator app
    client = client_for(portal.bert)
    assert "Set up two-factor authentication" in client.get("/portal/data/correct/").content.decode()
    response = client.post("/portal/data/correct/", _form(person, city="Brugge"))
    assert response.status_code == 403
    assert not Request.objects.filter(person=person).exists()
    person.refresh_from_db()
    assert person.city == ""


def test_it_takes_a_session_where_the_policy_allows(portal: Personas, publish) -> None:
    publish(SESSION_POLICY)
    person = portal.bert.profile.person
    client_for(portal.bert).post("/portal/data/correct/", _form(person, city="Brugge"))
    made = Request.objects.get(person=person)
    assert (made.status, made.identity_method) == ("fulfilled", "session")


def test_it_corrects_only_the_signed_in_person(portal: Personas) -> None:
    olga = portal.olga.profile.person
    client_for(portal.bert).post("/portal/data/correct/", {**_form(olga, city="Brugge"), "person": olga.pk})
    olga.refresh_from_db()
    assert olga.city == "" and not Request.objects.filter(person=olga).exists()
