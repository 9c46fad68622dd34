"""API fixtures: tokens with each scope, a revoked one, and a client that sends them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from trustdesk.api.models import ApiToken
from trustdesk.api.services import do_create_token, do_revoke_token
from trustdesk.journal.models import JournalEntry
from trustdesk.registry.services import Actor

STAFF = Actor.operator("staff")


@dataclass
class Token:
    token: ApiToken
    plaintext: str

    @property
    def header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.plaintext}"}


class Api:
    """Sends JSON to /api/ with a token (or none)."""

    def __init__(self, client: Client, token: Token | None) -> None:
        self.client = client
        self.token = token

    def _headers(self) -> dict[str, str]:
        return self.token.header if self.token else {}

    def get(self, path: str) -> Any:
        return self.client.get(f"/api{path}", headers=self._headers())

    def put(self, path: str, body: Any) -> Any:
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.put(f"/api{path}", data, content_type="application/json", headers=self._headers())

    def as_(self, token: Token | None) -> Api:
        return Api(self.client, token)


def make_token(name: str, *scopes: str) -> Token:
    return Token(*do_create_token(name, list(scopes), actor=STAFF))


@pytest.fixture
def writer(db) -> Token:
    return make_token("billing", "registry:read", "registry:write")


@pytest.fixture
def reader(db) -> Token:
    return make_token("reporting", "registry:read")


@pytest.fixture
def write_only(db) -> Token:
    return make_token("push only", "registry:write")


@pytest.fixture
def revoked(db) -> Token:
    made = make_token("old billing", "registry:read", "registry:write")
    do_revoke_token(made.token, actor=STAFF)
    return made


@pytest.fixture
def api(client: Client, writer: Token) -> Api:
    return Api(client, writer)


def journal_since(seq: int) -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(seq__gt=seq).order_by("seq"))


def last_seq() -> int:
    entry = JournalEntry.objects.order_by("-seq").first()
    return entry.seq if entry else 0


ORGANISATION: dict[str, Any] = {
    "kind": "company",
    "name": "Hostwerk Klant BV",
    "company_number": "12345678",
    "vat_number": "NL123456789B01",
    "street": "Kerkstraat 1",
    "postal_code": "1011 AA",
    "city": "Amsterdam",
    "country": "NL",
    "email": "info@klant.example",
    "phone": "+31 20 123 4567",
    "website": "https://klant.example",
    "notes": "Pays by direct debit.",
}

PERSON: dict[str, Any] = {
    "first_name": "Anna",
    "last_name": "de Vries",
    "email": "anna@klant.example",
    "phone": "+31 20 765 4321",
    "country": "NL",
    "language": "nl",
    "job_title": "Director",
}

SERVICE: dict[str, Any] = {
    "organisation_ref": "ORG-1",
    "kind": "web_hosting",
    "label": "klant.example hosting",
    "starts_on": "2024-01-01",
    "identifiers": [
        {"kind": "domain", "value": "klant.example", "assigned_from": "2024-01-01T00:00:00Z"},
        {"kind": "ip_network", "value": "192.0.2.0/28", "assigned_from": "2024-01-01T00:00:00Z"},
    ],
}

INVOICE: dict[str, Any] = {
    "organisation_ref": "ORG-1",
    "number": "2025-0001",
    "issued_on": "2025-02-01",
    "fiscal_year_end": "2025-12-31",
    "currency": "EUR",
    "total": "121.00",
    "billing_name": "Hostwerk Klant BV",
    "billing_address": "Kerkstraat 1\n1011 AA Amsterdam",
    "lines": [
        {
            "description": "Web hosting, February",
            "quantity": "1",
            "unit_price": "100.00",
            "service_ref": "SVC-1",
        },
    ],
}


@pytest.fixture
def organisation(api: Api) -> dict[str, Any]:
    response = api.put("/organisations/ORG-1", ORGANISATION)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def service(api: Api, organisation: dict[str, Any]) -> dict[str, Any]:
    response = api.put("/services/SVC-1", SERVICE)
    assert response.status_code == 201, response.content
    return response.json()
