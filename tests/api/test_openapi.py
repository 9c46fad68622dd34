"""The OpenAPI schema and its documentation page."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_it_serves_the_openapi_schema_with_every_path(client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Trustdesk API"
    paths = schema["paths"]
    for name in ("organisations", "people", "services", "invoices"):
        operations = paths[f"/api/{name}/{{external_ref}}"]
        assert set(operations) == {"get", "put"}
        assert {"200", "401", "403", "404", "429"} <= set(operations["get"]["responses"])
        assert {"200", "201", "401", "403", "422", "429"} <= set(operations["put"]["responses"])
        assert operations["put"]["security"] == [{"TokenAuth": []}]
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    for component in (
        "OrganisationIn",
        "PersonOut",
        "RoleIn",
        "ServiceIn",
        "IdentifierOut",
        "InvoiceIn",
        "LineOut",
    ):
        assert component in schema["components"]["schemas"]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_its_references_resolve_and_its_schemas_are_json_schema(client) -> None:
    import jsonschema

    schema = client.get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    refs = set(_refs(schema))
    assert refs, "the operations refer to their schemas"
    for ref in refs:
        assert ref.startswith("#/components/schemas/")
        assert ref.removeprefix("#/components/schemas/") in components
    for component in components.values():
        jsonschema.Draft202012Validator.check_schema(component)


def test_it_serves_the_documentation_page(client) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"/api/openapi.json" in response.content


def test_the_schema_is_built_once_per_process_and_is_the_same_as_a_fresh_one(client) -> None:
    from ninja.openapi.schema import get_schema

    from trustdesk.api.api import api

    first = client.get("/api/openapi.json").json()
    assert api.get_openapi_schema(path_prefix="/api/") is api.get_openapi_schema(path_prefix="/api/")
    assert client.get("/api/openapi.json").json() == first
    fresh = json.loads(json.dumps(get_schema(api=api, path_prefix="/api/"), default=str))
    assert first == fresh
