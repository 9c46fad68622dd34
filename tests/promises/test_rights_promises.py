"""Promises kept by data-subject requests: seeing, correcting, erasing, restricting, objecting, taking data along."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

import pytest
from django.test import Client

from tests.personas import STAFF, fetch_download
from trustdesk.lib.pseudonyms import canonical, current_key
from trustdesk.registry.models import Person, Service
from trustdesk.registry.services import do_update
from trustdesk.rights import services
from trustdesk.rights.fulfil import do_fulfil
from trustdesk.rights.models import Objection, Request, Status
from trustdesk.rights.processing import may_process

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("data_dir")]

LINK = r"https://privacy\.hostwerk\.example(/privacy/(?:request/confirm|download)/\S+)"


def _links(smtp, address: str) -> list[str]:
    return re.findall(LINK, smtp.text(smtp.to(address)[-1]))


def _public(client: Client, smtp, commit, kind: str, email: str, **fields: str) -> Request:
    with commit():
        assert client.post("/privacy/request", {"kind": kind, "email": email, **fields}).status_code == 200
    with commit():
        assert client.post(_links(smtp, email)[0]).status_code == 200
    return Request.objects.order_by("-pk").first()  # type: ignore[return-value]


@pytest.mark.promise("P0.6")
def test_it_lets_a_person_see_their_data_and_ask_for_a_correction_at_any_time(people, smtp, commit) -> None:
    client = Client()
    request = _public(client, smtp, commit, "access", "anna@example.be")
    assert request.status == Status.IN_PROGRESS
    with commit():
        do_fulfil(request, actor=STAFF)
    report = fetch_download(client, _links(smtp, "anna@example.be")[0]).getvalue().decode()
    assert "Peeters" in report and "anna@example.be" in report
    correction = _public(
        client, smtp, commit, "rectification", "anna@example.be", details="My name is Peeters-Claes"
    )
    correction.specifics = {"changes": {"last_name": "Peeters-Claes"}}
    correction.save()
    with commit():
        do_fulfil(correction, actor=STAFF)
    assert Person.objects.get(pk=people.anna.pk).last_name == "Peeters-Claes"


@pytest.mark.promise("P2.10")
def test_it_replaces_identifiers_by_a_keyed_one_way_hash_or_removes_them(people, commit) -> None:
    with commit():
        request = services.do_open_request(
            "erasure", channel="email", actor=STAFF, person=people.bob, language="en"
        )
        services.do_verify_identity(request, method="staff", actor=STAFF)
        do_fulfil(request, actor=STAFF)
    bob = Person.objects.get(pk=people.bob.pk)
    key = current_key()
    expected = hmac.new(
        key.secret, b"email\0" + canonical("bob@jansen.example", "email").encode(), hashlib.sha256
    )
    # An HMAC-SHA-256 under the provider's own key, never an unkeyed (reversible) hash.
    assert bob.email == f"{key.id}:{base64.b32encode(expected.digest()).decode().rstrip('=').lower()}"
    assert hashlib.sha256(b"bob@jansen.example").hexdigest() not in bob.email
    assert bob.phone == "" and bob.notes == ""  # removed entirely where no link needs to survive


@pytest.mark.promise("P2.11")
def test_it_lets_users_of_the_customer_area_see_their_data_and_report_inaccuracies(
    people, smtp, commit
) -> None:
    # The provider's customer area opens the requests through the API on the signed-in user's behalf.
    from trustdesk.api.services import do_create_token

    do_update(people.anna, {"external_ref": "C1042"}, actor=STAFF)
    _, token = do_create_token("client area", ["requests:write"], actor=STAFF)
    headers = {"Authorization": f"Bearer {token}"}
    client = Client()
    for body in (
        {"kind": "access", "person_ref": "C1042", "identity": "two_factor", "language": "en"},
        {
            "kind": "rectification",
            "person_ref": "C1042",
            "identity": "two_factor",
            "changes": {"phone": "+32 9 000"},
        },
    ):
        response = client.post(
            "/api/requests", json.dumps(body), content_type="application/json", headers=headers
        )
        assert response.status_code == 201
    access, rectification = Request.objects.order_by("pk")
    with commit():
        do_fulfil(access, actor=STAFF)
        do_fulfil(rectification, actor=STAFF)
    assert Person.objects.get(pk=people.anna.pk).phone == "+32 9 000"
    assert access.downloads.count() == 2


@pytest.mark.promise("P3.10")
def test_it_handles_every_right_of_the_statement(people, smtp, commit) -> None:
    def fulfilled(kind: str, **extra):
        with commit():
            request = services.do_open_request(
                kind, channel="email", actor=STAFF, person=people.bob, language="en", **extra
            )
            services.do_verify_identity(request, method="staff", actor=STAFF)
            do_fulfil(request, actor=STAFF)
        request.refresh_from_db()
        return request

    assert fulfilled("access").downloads.count() == 2  # access and a copy
    assert (
        fulfilled("rectification", specifics={"changes": {"job_title": "baker"}}).status == Status.FULFILLED
    )
    assert fulfilled("portability").downloads.count() == 2  # to the person
    fulfilled("portability", specifics={"send_to": "new@provider.example"})  # or straight to another party
    assert smtp.to("new@provider.example")
    fulfilled("objection")  # direct marketing
    assert not may_process(people.bob, "newsletter")
    fulfilled("restriction")
    assert not may_process(people.bob, "invoicing")
    # The controller may decide an erasure is not justified, with reasons the person is told.
    request = services.do_open_request(
        "erasure", channel="email", actor=STAFF, person=people.bob, language="en"
    )
    services.do_verify_identity(request, method="staff", actor=STAFF)
    with commit():
        services.do_refuse(
            request, ground="not_justified", reasons="The invoices must be kept seven years.", actor=STAFF
        )
    assert "The invoices must be kept seven years." in smtp.text(smtp.to("bob@jansen.example")[-1])
    assert fulfilled("erasure").status == Status.FULFILLED


@pytest.mark.promise("P3.11")
def test_it_verifies_identity_before_fulfilling_and_keeps_no_document(people) -> None:
    request = services.do_open_request("access", channel="letter", actor=STAFF, email="anna@example.be")
    with pytest.raises(services.RequestError, match="only a request in progress"):
        do_fulfil(request, actor=STAFF)
    services.do_verify_identity(request, method="id_document", actor=STAFF, note="identity card checked")
    request.refresh_from_db()
    assert request.identity_method == "id_document" and request.identity_verified_at is not None
    assert not any(
        f.get_internal_type() in ("FileField", "ImageField") and "ident" in f.name
        for f in Request._meta.concrete_fields
    )  # nowhere to keep a document
    do_fulfil(request, actor=STAFF)


@pytest.mark.promise("P4.6")
def test_it_tells_the_person_that_erasure_ends_the_service_before_confirming(people, smtp, commit) -> None:
    with commit():
        request = services.do_open_request(
            "erasure", channel="email", actor=STAFF, person=people.anna, language="en"
        )
        services.do_verify_identity(request, method="staff", actor=STAFF)
        do_fulfil(request, actor=STAFF)
    assert Request.objects.get(pk=request.pk).status == Status.AWAITING_CONFIRMATION
    assert "erasing it ends web hosting" in smtp.text(smtp.to("anna@example.be")[-1])
    assert Service.objects.get(pk=people.hosting.pk).ends_on is None
    with commit():
        Client().post(_links(smtp, "anna@example.be")[0])
    assert Service.objects.get(pk=people.hosting.pk).ends_on is not None
    assert Request.objects.get(pk=request.pk).status == Status.FULFILLED


@pytest.mark.promise("P2.6")
def test_it_lets_a_person_object_to_marketing_profiles(people, commit) -> None:
    with commit():
        request = services.do_open_request(
            "objection",
            channel="email",
            actor=STAFF,
            person=people.anna,
            specifics={"purposes": ["newsletter"]},
        )
        services.do_verify_identity(request, method="staff", actor=STAFF)
        do_fulfil(request, actor=STAFF)
    assert Objection.objects.get(person=people.anna, purpose="newsletter").decision == "upheld"
    assert not may_process(people.anna, "newsletter")
