"""Asking for erasure, restriction, objection and portability; the list and the page of one's requests."""

from __future__ import annotations

import pytest

from tests.accounts.personas import Personas
from tests.portal.conftest import client_for
from trustdesk.registry.models import Organisation, Service
from trustdesk.registry.services import Actor, do_create, do_link_person
from trustdesk.rights.fulfil import do_fulfil
from trustdesk.rights.models import Objection, Request

pytestmark = pytest.mark.django_db

STAFF = Actor.operator("privacy-officer")


def test_it_records_an_erasure_for_staff_to_decide(portal: Personas) -> None:
    client = client_for(portal.olga)
    response = client.post("/portal/requests/new/erasure/", {"details": "I am leaving."})
    made = Request.objects.get(person=portal.olga.profile.person)
    assert response["Location"] == f"/portal/requests/{made.reference}/"
    assert (made.kind, made.status, made.details) == ("erasure", "in_progress", "I am leaving.")
    page = client.get(response["Location"]).content.decode()
    assert "Erasure of your data" in page and "in progress" in page
    assert "Answer due" in page and "on time" in page


def test_it_warns_when_erasure_ends_a_service_and_shows_the_wait_for_confirmation(portal: Personas) -> None:
    olga = portal.olga.profile.person
    private = do_create(Organisation, {"name": "Olga privé", "kind": Organisation.Kind.PRIVATE}, actor=STAFF)
    do_link_person(private, olga, "owner", actor=STAFF)
    do_create(
        Service,
        {"organisation": private, "kind": Service.Kind.WEB_HOSTING, "label": "olga.example"},
        actor=STAFF,
    )
    client = client_for(portal.olga)
    form = client.get("/portal/requests/new/erasure/").content.decode()
    assert "Erasure ends these services" in form
    client.post("/portal/requests/new/erasure/", {})
    made = Request.objects.get(person=olga)
    do_fulfil(made, actor=STAFF)  # staff decide: erasure would end the hosting, so the person must confirm
    made.refresh_from_db()
    assert made.status == "awaiting_confirmation"
    page = client.get(f"/portal/requests/{made.reference}/").content.decode()
    assert "waiting for your confirmation" in page
    assert "Erasure ends these services" in page and "Nothing is erased before you confirm" in page
    olga.refresh_from_db()
    assert olga.email == "olga@example.com"  # nothing erased


def test_it_upholds_an_objection_to_direct_marketing_at_once(portal: Personas) -> None:
    client = client_for(portal.olga)
    form = client.get("/portal/requests/new/objection/").content.decode()
    assert "All direct marketing" in form and "Newsletter" in form
    client.post("/portal/requests/new/objection/", {"purposes": ["direct_marketing"]})
    made = Request.objects.get(person=portal.olga.profile.person)
    assert (made.kind, made.status) == ("objection", "fulfilled")
    objection = Objection.objects.get(person=portal.olga.profile.person)
    assert (objection.purpose, objection.decision) == ("direct_marketing", "upheld")
    page = client.get(f"/portal/requests/{made.reference}/").content.decode()
    assert "Your objection was decided." in page


def test_it_refuses_an_objection_to_a_purpose_not_offered(portal: Personas) -> None:
    response = client_for(portal.olga).post("/portal/requests/new/objection/", {"purposes": ["invoicing"]})
    assert response.status_code == 400
    assert 'id="id_purposes_error"' in response.content.decode()
    assert not Request.objects.exists()


def test_it_needs_reasons_for_a_restriction(portal: Personas) -> None:
    client = client_for(portal.olga)
    response = client.post("/portal/requests/new/restriction/", {"details": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'aria-describedby="id_details_helptext id_details_error"' in page
    client.post("/portal/requests/new/restriction/", {"details": "My address is wrong; check it first."})
    made = Request.objects.get(person=portal.olga.profile.person)
    assert (made.kind, made.status) == ("restriction", "in_progress")


def test_it_prepares_portable_files_at_once(portal: Personas) -> None:
    client = client_for(portal.olga)
    client.post("/portal/requests/new/portability/", {"send_to": ""})
    made = Request.objects.get(person=portal.olga.profile.person)
    assert (made.kind, made.status) == ("portability", "fulfilled")
    page = client.get(f"/portal/requests/{made.reference}/").content.decode()
    assert "Data you provided (JSON)" in page and "Data you provided (CSV, zipped)" in page


def test_it_refuses_a_card_number_in_the_details(portal: Personas) -> None:
    response = client_for(portal.olga).post(
        "/portal/requests/new/erasure/", {"details": "card 4111 1111 1111 1111"}
    )
    assert response.status_code == 400
    assert not Request.objects.exists()


def test_it_knows_no_other_kind(portal: Personas) -> None:
    client = client_for(portal.olga)
    assert client.get("/portal/requests/new/access/").status_code == 404
    assert client.get("/portal/requests/new/anything/").status_code == 404


def test_it_lists_only_the_persons_own_requests_with_case_number_status_and_due_date(
    portal: Personas,
) -> None:
    client_for(portal.olga).post("/portal/requests/new/erasure/", {})
    made = Request.objects.get(person=portal.olga.profile.person)
    page = client_for(portal.olga).get("/portal/requests/").content.decode()
    assert made.reference in page and "Erasure of your data" in page and "in progress" in page
    assert "on time" in page
    assert made.reference not in client_for(portal.bert).get("/portal/requests/").content.decode()
    assert made.reference not in client_for(portal.otto).get("/portal/requests/").content.decode()
    assert client_for(portal.otto).get(f"/portal/requests/{made.reference}/").status_code == 404
    assert client_for(portal.sam).get(f"/portal/requests/{made.reference}/").status_code == 403


def test_it_shows_only_the_timeline_lines_meant_for_the_person(portal: Personas) -> None:
    from trustdesk.rights.services import note_event

    client_for(portal.olga).post("/portal/requests/new/erasure/", {})
    made = Request.objects.get(person=portal.olga.profile.person)
    note_event(made, "staff_note", actor=STAFF, note="internal: check the invoices first")
    page = client_for(portal.olga).get(f"/portal/requests/{made.reference}/").content.decode()
    assert "We received your request." in page
    assert "internal" not in page


def test_it_shows_the_answer_in_dutch(portal: Personas) -> None:
    client_for(portal.olga).post("/portal/requests/new/objection/", {"purposes": ["direct_marketing"]})
    made = Request.objects.get(person=portal.olga.profile.person)
    page = client_for(portal.olga).get(f"/portal/requests/{made.reference}/", HTTP_ACCEPT_LANGUAGE="nl")
    assert "Er is over uw bezwaar beslist." in page.content.decode()
