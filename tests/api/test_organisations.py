"""PUT and GET /api/organisations/{external_ref}."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import ORGANISATION, Api, Token, journal_since, last_seq
from trustdesk.lib.cards import CARD_MESSAGE
from trustdesk.registry.models import Organisation

CARD = "4111 1111 1111 1111"


def test_it_creates_an_organisation(api: Api, writer: Token) -> None:
    seq = last_seq()
    response = api.put("/organisations/ORG-1", ORGANISATION)
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ORGANISATION} == ORGANISATION
    assert body["external_ref"] == "ORG-1"
    assert body["channel"] == "api"
    assert body["status"] == "active"
    organisation = Organisation.objects.get(external_ref="ORG-1")
    assert organisation.name == "Hostwerk Klant BV"
    [entry] = journal_since(seq)
    assert (entry.action, entry.actor, entry.object_type, entry.object_id) == (
        "registry.organisation.created",
        f"api-token:{writer.token.pk}",
        "registry.organisation",
        str(organisation.pk),
    )


def test_it_updates_an_organisation_with_the_fields_sent(
    api: Api, organisation: dict[str, Any], writer: Token
) -> None:
    seq = last_seq()
    response = api.put("/organisations/ORG-1", {"city": "Utrecht", "postal_code": "3511 AA"})
    assert response.status_code == 200
    body = response.json()
    assert (body["city"], body["postal_code"], body["name"]) == ("Utrecht", "3511 AA", "Hostwerk Klant BV")
    [entry] = journal_since(seq)
    assert (entry.action, entry.actor) == ("registry.organisation.updated", f"api-token:{writer.token.pk}")
    organisation_ = Organisation.objects.get(external_ref="ORG-1")
    assert organisation_.history.count() == 2  # the old address stays in the history copy


def test_it_is_idempotent(api: Api, organisation: dict[str, Any]) -> None:
    seq = last_seq()
    again = api.put("/organisations/ORG-1", ORGANISATION)
    assert again.status_code == 200
    assert again.json() == organisation
    assert journal_since(seq) == []
    assert Organisation.objects.count() == 1


def test_it_reads_an_organisation(api: Api, organisation: dict[str, Any]) -> None:
    response = api.get("/organisations/ORG-1")
    assert response.status_code == 200
    assert response.json() == organisation


def test_it_answers_404_for_an_unknown_reference(api: Api) -> None:
    response = api.get("/organisations/NOPE")
    assert response.status_code == 404
    assert response.json() == {"errors": {"external_ref": "no organisation has this reference"}}


def test_it_refuses_a_bad_email_address_without_repeating_it(api: Api) -> None:
    response = api.put("/organisations/ORG-1", {**ORGANISATION, "email": "anna.at.example"})
    assert response.status_code == 422
    assert response.json() == {"errors": {"email": "enter a valid e-mail address"}}
    assert b"anna.at.example" not in response.content
    assert not Organisation.objects.exists()


def test_it_refuses_a_card_number_in_the_notes(api: Api, organisation: dict[str, Any]) -> None:
    seq = last_seq()
    response = api.put("/organisations/ORG-1", {"notes": f"Pays with card {CARD}"})
    assert response.status_code == 422
    assert response.json() == {"errors": {"notes": CARD_MESSAGE}}
    assert CARD.encode() not in response.content
    assert Organisation.objects.get().notes == "Pays by direct debit."
    assert journal_since(seq) == []


def test_it_refuses_a_card_number_in_a_new_organisation(api: Api) -> None:
    response = api.put("/organisations/ORG-1", {**ORGANISATION, "notes": CARD.replace(" ", "-")})
    assert response.status_code == 422
    assert response.json() == {"errors": {"notes": CARD_MESSAGE}}
    assert not Organisation.objects.exists()


def test_it_requires_a_name_to_create(api: Api) -> None:
    response = api.put("/organisations/ORG-1", {"city": "Gent"})
    assert response.status_code == 422
    assert response.json() == {"errors": {"name": "required to create a new organisation"}}


def test_it_refuses_to_empty_a_required_field(api: Api, organisation: dict[str, Any]) -> None:
    response = api.put("/organisations/ORG-1", {"name": None})
    assert response.status_code == 422
    assert response.json() == {"errors": {"name": "may not be empty"}}


def test_null_empties_an_optional_field(api: Api, organisation: dict[str, Any]) -> None:
    response = api.put("/organisations/ORG-1", {"phone": None})
    assert response.status_code == 200
    assert response.json()["phone"] == ""


def test_it_names_every_bad_field(api: Api) -> None:
    response = api.put(
        "/organisations/ORG-1",
        {"name": "X", "kind": "charity", "country": "Holland", "website": "klant", "ended_on": "soon"},
    )
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "kind": "Input should be 'company' or 'private'",
            "country": "String should have at most 2 characters",
            "website": "enter a valid URL, starting with http:// or https://",
            "ended_on": "Input should be a valid date or datetime, input is too short",
        }
    }


def test_it_refuses_an_unknown_country_code(api: Api) -> None:
    response = api.put("/organisations/ORG-1", {"name": "X", "country": "XX"})
    assert response.json() == {
        "errors": {"country": "enter a two-letter country code (ISO 3166-1 alpha-2), e.g. NL"}
    }


def test_it_refuses_an_unknown_field(api: Api) -> None:
    response = api.put("/organisations/ORG-1", {**ORGANISATION, "emial": "info@klant.example"})
    assert response.status_code == 422
    assert response.json() == {"errors": {"emial": "Extra inputs are not permitted"}}


def test_it_refuses_a_body_that_is_not_json(api: Api) -> None:
    response = api.put("/organisations/ORG-1", "{not json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"body": "Cannot parse request body"}}


def test_it_asks_the_source_of_third_party_data(api: Api) -> None:
    response = api.put("/organisations/ORG-1", {**ORGANISATION, "source_kind": "public"})
    assert response.status_code == 422
    assert response.json() == {
        "errors": {"source_name": "name the third party or register the data came from"}
    }
    response = api.put(
        "/organisations/ORG-1",
        {**ORGANISATION, "source_kind": "public", "source_name": "KvK handelsregister"},
    )
    assert response.status_code == 201
    assert (response.json()["source_kind"], response.json()["source_name"]) == (
        "public",
        "KvK handelsregister",
    )


def test_it_refuses_a_reference_longer_than_100_characters(api: Api) -> None:
    response = api.put("/organisations/" + "R" * 101, ORGANISATION)
    assert response.status_code == 422
    assert response.json() == {"errors": {"external_ref": "String should have at most 100 characters"}}


def test_it_answers_409_when_another_request_created_the_same_record(api: Api, monkeypatch) -> None:
    from django.db import IntegrityError

    from trustdesk.api import views

    def racing(*args: Any, **kwargs: Any) -> Any:
        raise IntegrityError("UNIQUE constraint failed: registry_organisation.external_ref")

    monkeypatch.setattr(views, "do_upsert", racing)
    response = api.put("/organisations/ORG-1", ORGANISATION)
    assert response.status_code == 409
    assert response.json() == {
        "errors": {"request": "another request changed the same record at the same time; send it again"}
    }
