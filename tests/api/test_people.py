"""PUT and GET /api/people/{external_ref}, with their roles."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from tests.api.conftest import ORGANISATION, PERSON, Api, Token, journal_since, last_seq
from trustdesk.lib.cards import CARD_MESSAGE
from trustdesk.registry.models import Person, Role

OWNER = {"organisation_ref": "ORG-1", "kind": "owner", "since": "2024-01-01", "until": None}


@pytest.fixture
def second_organisation(api: Api, organisation: dict[str, Any]) -> None:
    assert api.put("/organisations/ORG-2", {**ORGANISATION, "name": "Tweede BV"}).status_code == 201


def test_it_creates_a_person_with_their_roles(api: Api, organisation: dict[str, Any], writer: Token) -> None:
    seq = last_seq()
    response = api.put("/people/PER-1", {**PERSON, "roles": [OWNER]})
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in PERSON} == PERSON
    assert body["roles"] == [OWNER]
    actions = [(e.action, e.actor) for e in journal_since(seq)]
    actor = f"api-token:{writer.token.pk}"
    assert actions == [
        ("registry.person.created", actor),
        ("registry.role.created", actor),
        ("registry.role.updated", actor),
    ]


def test_it_updates_a_person(api: Api, organisation: dict[str, Any]) -> None:
    api.put("/people/PER-1", {**PERSON, "roles": [OWNER]})
    response = api.put("/people/PER-1", {"job_title": "Owner"})
    assert response.status_code == 200
    assert response.json()["job_title"] == "Owner"
    assert response.json()["roles"] == [OWNER]  # roles left out: unchanged


def test_it_is_idempotent(api: Api, organisation: dict[str, Any]) -> None:
    first = api.put("/people/PER-1", {**PERSON, "roles": [OWNER]}).json()
    seq = last_seq()
    again = api.put("/people/PER-1", {**PERSON, "roles": [OWNER]})
    assert again.status_code == 200
    assert again.json() == first
    assert journal_since(seq) == []
    assert (Person.objects.count(), Role.objects.count()) == (1, 1)


def test_it_adds_changes_and_ends_roles(api: Api, second_organisation: None) -> None:
    api.put("/people/PER-1", {**PERSON, "roles": [OWNER]})
    billing = {"organisation_ref": "ORG-2", "kind": "billing", "since": None, "until": None}
    response = api.put("/people/PER-1", {"roles": [billing]})
    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    assert response.json()["roles"] == [{**OWNER, "until": today}, billing]
    # Listed again: the role is open again.
    response = api.put("/people/PER-1", {"roles": [OWNER, billing]})
    assert response.json()["roles"] == [OWNER, billing]


def test_it_refuses_an_unknown_organisation_ref(api: Api, organisation: dict[str, Any]) -> None:
    roles = [OWNER, {"organisation_ref": "ORG-404", "kind": "billing"}]
    response = api.put("/people/PER-1", {**PERSON, "roles": roles})
    assert response.status_code == 422
    assert response.json() == {"errors": {"roles.1.organisation_ref": "no organisation has this reference"}}
    assert not Person.objects.exists()


def test_it_refuses_a_bad_email_address_without_repeating_it(api: Api) -> None:
    response = api.put("/people/PER-1", {**PERSON, "email": "anna@@klant"})
    assert response.status_code == 422
    assert response.json() == {"errors": {"email": "enter a valid e-mail address"}}
    assert b"anna@@klant" not in response.content


def test_it_refuses_a_card_number_in_the_notes(api: Api) -> None:
    response = api.put("/people/PER-1", {**PERSON, "notes": "card 5500-0000-0000-0004 exp 12/27"})
    assert response.status_code == 422
    assert response.json() == {"errors": {"notes": CARD_MESSAGE}}
    assert b"5500" not in response.content
    assert not Person.objects.exists()


def test_it_refuses_a_role_kind_it_does_not_know(api: Api, organisation: dict[str, Any]) -> None:
    response = api.put("/people/PER-1", {"roles": [{"organisation_ref": "ORG-1", "kind": "boss"}]})
    assert response.status_code == 422
    assert response.json() == {
        "errors": {"roles.0.kind": "Input should be 'owner', 'billing', 'technical' or 'user'"}
    }


def test_it_refuses_the_same_role_twice(api: Api, organisation: dict[str, Any]) -> None:
    response = api.put("/people/PER-1", {"roles": [OWNER, OWNER]})
    assert response.status_code == 422
    assert response.json() == {
        "errors": {"roles.1": "the same role in the same organisation is listed twice"}
    }


def test_it_applies_the_required_categories_of_a_purpose(api: Api, starter_policy: Any) -> None:
    response = api.put("/people/PER-1?purpose=customer_account", {"email": "anna@klant.example"})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert (
        errors["first_name"]
        == "purpose 'customer_account' requires user.name: provide first_name or last_name"
    )
    assert set(errors) == {"first_name", "street"}
    full = {**PERSON, "street": "Kerkstraat 1", "postal_code": "1011 AA", "city": "Amsterdam"}
    assert api.put("/people/PER-1?purpose=customer_account", full).status_code == 201


def test_it_refuses_a_purpose_the_policy_does_not_have(api: Api, starter_policy: Any) -> None:
    response = api.put("/people/PER-1?purpose=astrology", PERSON)
    assert response.status_code == 422
    assert response.json() == {"errors": {"purpose": "the policy in effect has no purpose 'astrology'"}}


@pytest.mark.parametrize(
    "sent", ["Anna <anna@klant.example>", "x" * 5000, "<script>alert(1)</script>", "Newsletter"]
)
def test_it_refuses_a_purpose_not_written_as_a_key_without_repeating_it(
    api: Api, starter_policy: Any, sent: str
) -> None:
    response = api.put(f"/people/PER-1?{urlencode({'purpose': sent})}", PERSON)
    assert response.status_code == 422
    reason = response.json()["errors"]["purpose"]
    assert reason.startswith("a purpose is named by its key in the policy")
    assert sent not in response.content.decode() and "anna" not in response.content.decode()
    assert not Person.objects.filter(external_ref="PER-1").exists()


def test_it_reads_a_person(api: Api, organisation: dict[str, Any]) -> None:
    created = api.put("/people/PER-1", {**PERSON, "roles": [OWNER]}).json()
    response = api.get("/people/PER-1")
    assert response.status_code == 200
    assert response.json() == created


def test_it_answers_404_for_an_unknown_reference(api: Api) -> None:
    response = api.get("/people/NOPE")
    assert response.status_code == 404
    assert response.json() == {"errors": {"external_ref": "no person has this reference"}}
