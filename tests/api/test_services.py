"""PUT and GET /api/services/{external_ref}, with their identifiers."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import SERVICE, Api, Token, journal_since, last_seq
from trustdesk.lib.cards import CARD_MESSAGE
from trustdesk.registry.models import Service, ServiceIdentifier


def _identifiers(body: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(i["kind"], i["value"], i["assigned_until"]) for i in body["identifiers"]]


def test_it_creates_a_service_with_its_identifiers(
    api: Api, organisation: dict[str, Any], writer: Token
) -> None:
    seq = last_seq()
    response = api.put("/services/SVC-1", SERVICE)
    assert response.status_code == 201
    body = response.json()
    assert (body["organisation_ref"], body["kind"], body["label"]) == (
        "ORG-1",
        "web_hosting",
        "klant.example hosting",
    )
    assert _identifiers(body) == [("domain", "klant.example", None), ("ip_network", "192.0.2.0/28", None)]
    assert body["identifiers"][0]["assigned_from"] == "2024-01-01T00:00:00Z"
    actions = [(e.action, e.actor) for e in journal_since(seq)]
    actor = f"api-token:{writer.token.pk}"
    assert actions == [
        ("registry.service.created", actor),
        ("registry.serviceidentifier.created", actor),
        ("registry.serviceidentifier.created", actor),
    ]


def test_it_is_idempotent(api: Api, service: dict[str, Any]) -> None:
    seq = last_seq()
    again = api.put("/services/SVC-1", SERVICE)
    assert again.status_code == 200
    assert again.json() == service
    assert journal_since(seq) == []
    assert (Service.objects.count(), ServiceIdentifier.objects.count()) == (1, 2)


def test_it_updates_and_ends_identifiers(api: Api, service: dict[str, Any]) -> None:
    identifiers = [
        {"kind": "domain", "value": "KLANT.example.", "assigned_from": "2024-01-01T00:00:00Z"},
        {"kind": "ip_address", "value": "2001:db8::0:1", "assigned_from": "2025-01-01T00:00:00Z"},
    ]
    response = api.put("/services/SVC-1", {"identifiers": identifiers, "label": "moved"})
    assert response.status_code == 200
    body = response.json()
    assert body["label"] == "moved"
    found = _identifiers(body)
    assert found[0] == ("domain", "klant.example", None)
    assert found[1] == ("ip_address", "2001:db8::1", None)
    # The network is no longer listed: its assignment ended, and is kept for the abuse desk.
    assert found[2][:2] == ("ip_network", "192.0.2.0/28")
    assert found[2][2] is not None


def test_it_refuses_an_unknown_organisation_ref(api: Api, organisation: dict[str, Any]) -> None:
    response = api.put("/services/SVC-1", {**SERVICE, "organisation_ref": "ORG-404"})
    assert response.status_code == 422
    assert response.json() == {"errors": {"organisation_ref": "no organisation has this reference"}}
    assert not Service.objects.exists()


def test_it_requires_an_organisation_and_a_kind_to_create(api: Api) -> None:
    response = api.put("/services/SVC-1", {"label": "x"})
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "organisation_ref": "required to create a new service",
            "kind": "required to create a new service",
        }
    }


def test_it_refuses_bad_identifiers(api: Api, organisation: dict[str, Any]) -> None:
    identifiers = [
        {"kind": "domain", "value": "not a domain"},
        {"kind": "ip_address", "value": "192.0.2.300"},
        {"kind": "ip_network", "value": "192.0.2.1/24"},
        {"kind": "domain", "value": "ok.example"},
        {"kind": "domain", "value": "OK.example"},
    ]
    response = api.put("/services/SVC-1", {**SERVICE, "identifiers": identifiers})
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "identifiers.0.value": "not a valid domain name",
            "identifiers.1.value": "not a valid IPv4 or IPv6 address",
            "identifiers.2.value": "not a valid IP network in CIDR notation (e.g. 192.0.2.0/24), host bits clear",
            "identifiers.4": "the same identifier is listed twice",
        }
    }
    assert b"192.0.2.300" not in response.content
    assert not Service.objects.exists()


def test_it_refuses_a_card_number_in_the_notes(api: Api, service: dict[str, Any]) -> None:
    response = api.put("/services/SVC-1", {"notes": "paid with 4111111111111111"})
    assert response.status_code == 422
    assert response.json() == {"errors": {"notes": CARD_MESSAGE}}


def test_it_reads_a_service(api: Api, service: dict[str, Any]) -> None:
    response = api.get("/services/SVC-1")
    assert response.status_code == 200
    assert response.json() == service


def test_it_answers_404_for_an_unknown_reference(api: Api) -> None:
    response = api.get("/services/NOPE")
    assert response.status_code == 404
    assert response.json() == {"errors": {"external_ref": "no service has this reference"}}
