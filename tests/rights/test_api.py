"""Requests through the API: scopes, identity attested by the caller or confirmed by e-mail, errors without values."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.personas import STAFF
from tests.smtp import RefusingFirst, refusing, refusing_first
from trustdesk.api.services import do_create_token
from trustdesk.registry.services import do_update
from trustdesk.rights.models import Request, Status

pytestmark = pytest.mark.django_db


def _client(*scopes: str):
    _, plaintext = do_create_token("client area", list(scopes), actor=STAFF)
    client = Client()

    def post(body):
        return client.post(
            "/api/requests",
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {plaintext}"},
        )

    def get(reference):
        return client.get(f"/api/requests/{reference}", headers={"Authorization": f"Bearer {plaintext}"})

    return post, get


def test_it_opens_a_request_for_a_signed_in_person_and_reports_its_state(people) -> None:
    do_update(people.anna, {"external_ref": "C1042"}, actor=STAFF)
    post, get = _client("requests:write", "requests:read")
    response = post({"kind": "access", "person_ref": "C1042", "identity": "two_factor"})
    assert response.status_code == 201, response.content
    body = response.json()
    request = Request.objects.get(reference=body["reference"])
    assert (request.channel, request.status, request.identity_method) == (
        "api",
        Status.IN_PROGRESS,
        "two_factor",
    )
    assert request.events.values_list("actor", flat=True)[0].startswith("api-token:")
    assert get(body["reference"]).json()["status"] == "in_progress"


def test_it_asks_for_confirmation_when_the_caller_does_not_vouch(people) -> None:
    post, _ = _client("requests:write")
    response = post({"kind": "erasure", "email": "anna@example.be"})
    assert response.status_code == 201
    assert Request.objects.get().status == Status.AWAITING_IDENTITY


def test_it_needs_the_scopes_and_names_bad_fields_without_their_values(people) -> None:
    post, get = _client("registry:read")
    assert post({"kind": "access", "email": "anna@example.be"}).status_code == 403
    post, get = _client("requests:write")
    assert get("R-2026-AAAAAA").status_code == 403
    response = post({"kind": "forget", "email": "anna@example.be"})
    assert response.status_code == 422 and "kind" in response.json()["errors"]
    response = post({"kind": "access", "person_ref": "nobody-secret"})
    assert response.status_code == 404 and "nobody-secret" not in response.content.decode()
    response = post(
        {"kind": "access", "email": "anna@example.be", "ip_addresses": ["10.0.0.1", "secret-value"]}
    )
    assert response.status_code == 422 and "secret-value" not in response.content.decode()
    assert Request.objects.count() == 0


def test_it_asks_for_confirmation_when_a_session_is_less_than_the_policy_asks(people) -> None:
    do_update(people.anna, {"external_ref": "C1042"}, actor=STAFF)
    post, _ = _client("requests:write")
    assert post({"kind": "access", "person_ref": "C1042", "identity": "session"}).status_code == 201
    assert Request.objects.get().status == Status.AWAITING_IDENTITY  # the policy asks for two-factor


@pytest.mark.django_db(transaction=True)
def test_it_says_the_request_is_stored_when_its_e_mail_cannot_be_sent(people, refusing) -> None:
    post, _ = _client("requests:write")
    response = post({"kind": "erasure", "email": "anna@example.be"})
    assert response.status_code == 503
    made = Request.objects.get()
    assert response.json() == {
        "errors": {
            "request": "the change is stored, but its e-mail could not be sent; the failure is logged and "
            "noted on the request. Do not send it again: staff see the request in their queue"
        },
        "references": [made.reference],
    }
    assert made.status == Status.AWAITING_IDENTITY and made.mail_failed_at is not None
    # Both e-mails were tried: the acknowledgement and the link; each failure is on the timeline.
    assert list(made.events.filter(action="mail_not_sent").values_list("note", flat=True)) == [
        "rights/email/acknowledged: SMTPRecipientsRefused 550",
        "rights/email/confirm_identity: SMTPRecipientsRefused 550",
    ]
    assert "anna" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_e_mail_that_fails_does_not_keep_the_next_from_being_sent(
    people, refusing_first: RefusingFirst
) -> None:
    post, _ = _client("requests:write")
    response = post({"kind": "erasure", "email": "anna@example.be"})
    assert response.status_code == 503
    made = Request.objects.get()
    assert response.json()["references"] == [made.reference]
    # The acknowledgement was refused; the link to confirm identity, sent after it, arrived.
    (arrived,) = refusing_first.to("anna@example.be")
    assert "/privacy/request/confirm/" in refusing_first.text(arrived)
    assert list(made.events.filter(action="mail_not_sent").values_list("note", flat=True)) == [
        "rights/email/acknowledged: SMTPRecipientsRefused 451"
    ]


__all__ = ["refusing", "refusing_first"]
