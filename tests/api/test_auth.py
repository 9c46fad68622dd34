"""Every endpoint with a valid token, a token without the scope, a revoked token, an unknown one and none."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import INVOICE, ORGANISATION, PERSON, SERVICE, Api, Token
from trustdesk.api.models import ApiToken

ENDPOINTS: list[tuple[str, dict[str, Any]]] = [
    ("/organisations/ORG-1", ORGANISATION),
    ("/people/PER-1", {**PERSON, "roles": [{"organisation_ref": "ORG-1", "kind": "owner"}]}),
    ("/services/SVC-1", SERVICE),
    ("/invoices/INV-1", INVOICE),
]
PATHS = [path for path, _ in ENDPOINTS]


@pytest.fixture
def registry(api: Api) -> None:
    for path, body in ENDPOINTS:
        assert api.put(path, body).status_code == 201


def _unauthorised(response: Any) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="trustdesk"'
    assert response.json() == {
        "errors": {
            "authorization": "send a valid token as 'Authorization: Bearer <token>'; "
            "this one is missing, unknown or revoked"
        }
    }


@pytest.mark.parametrize("path", PATHS)
def test_it_reads_with_a_read_token(api: Api, registry: None, reader: Token, path: str) -> None:
    response = api.as_(reader).get(path)
    assert response.status_code == 200
    assert response.json()["external_ref"] == path.rsplit("/", 1)[1]


@pytest.mark.parametrize(("path", "body"), ENDPOINTS)
def test_it_writes_with_a_write_token(api: Api, registry: None, path: str, body: dict[str, Any]) -> None:
    assert api.put(path, body).status_code == 200


@pytest.mark.parametrize(("path", "body"), ENDPOINTS)
def test_it_refuses_a_write_without_the_write_scope(
    api: Api, registry: None, reader: Token, path: str, body: dict[str, Any]
) -> None:
    response = api.as_(reader).put(path, body)
    assert response.status_code == 403
    assert response.json() == {
        "errors": {"authorization": "this token does not have the scope registry:write"}
    }


@pytest.mark.parametrize("path", PATHS)
def test_it_refuses_a_read_without_the_read_scope(
    api: Api, registry: None, write_only: Token, path: str
) -> None:
    response = api.as_(write_only).get(path)
    assert response.status_code == 403
    assert response.json() == {
        "errors": {"authorization": "this token does not have the scope registry:read"}
    }


@pytest.mark.parametrize(("path", "body"), ENDPOINTS)
def test_it_refuses_a_revoked_token(
    api: Api, registry: None, revoked: Token, path: str, body: dict[str, Any]
) -> None:
    _unauthorised(api.as_(revoked).get(path))
    _unauthorised(api.as_(revoked).put(path, body))


@pytest.mark.parametrize(("path", "body"), ENDPOINTS)
def test_it_refuses_a_request_without_a_token(
    api: Api, registry: None, path: str, body: dict[str, Any]
) -> None:
    _unauthorised(api.as_(None).get(path))
    _unauthorised(api.as_(None).put(path, body))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer " + "x" * 43,  # right length, unknown
        "Bearer nottoken",
        "Bearer ",
        "Token {token}",
        "Basic {token}",
        "Bearer {token}x",
        "Bearer {short}",
    ],
)
def test_it_refuses_an_unknown_or_malformed_token(client, writer: Token, header: str) -> None:
    value = header.format(token=writer.plaintext, short=writer.plaintext[:-1])
    _unauthorised(client.get("/api/organisations/ORG-1", HTTP_AUTHORIZATION=value))


def test_it_refuses_a_token_whose_secret_differs_after_the_prefix(client, writer: Token) -> None:
    last = writer.plaintext[-1]
    forged = writer.plaintext[:-1] + ("a" if last != "a" else "b")
    _unauthorised(client.get("/api/organisations/ORG-1", HTTP_AUTHORIZATION=f"Bearer {forged}"))


def test_it_records_when_a_token_was_last_used(api: Api, registry: None, reader: Token) -> None:
    assert ApiToken.objects.get(pk=reader.token.pk).last_used_at is None
    api.as_(reader).get("/organisations/ORG-1")
    assert ApiToken.objects.get(pk=reader.token.pk).last_used_at is not None


def test_it_refuses_a_body_larger_than_1_mb(api: Api, registry: None) -> None:
    body = {**ORGANISATION, "notes": "x" * (1024 * 1024)}
    response = api.put("/organisations/ORG-1", body)
    assert response.status_code == 413
    assert response.json() == {"errors": {"body": "the request body is larger than 1 MB"}}


def test_it_accepts_a_body_just_under_1_mb(api: Api, registry: None) -> None:
    body = {**ORGANISATION, "notes": ""}
    padding = 1024 * 1024 - len(json.dumps(body).encode()) - 1
    body["notes"] = "x" * padding
    response = api.put("/organisations/ORG-1", body)
    assert response.status_code == 200, response.content
