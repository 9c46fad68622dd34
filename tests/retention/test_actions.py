"""What a treatment does to a record under each action of the policy: delete, pseudonymise, anonymise."""

from __future__ import annotations

import datetime as dt

import pytest

from trustdesk.lib.pseudonyms import current_key, is_pseudonym, pseudonymise
from trustdesk.policy.schema import RetentionAction
from trustdesk.registry.models import Interaction, Person
from trustdesk.registry.services import Actor, do_create
from trustdesk.retention.sweep import ANONYMISED, DELETED, PSEUDONYMISED, changes_for, outcome

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("data_dir")]

STAFF = Actor.operator("tester")


@pytest.fixture
def anna() -> Person:
    return do_create(
        Person,
        {"first_name": "Anna", "email": "anna@example.be", "phone": "+32 470 12 34 56", "notes": "VIP"},
        actor=STAFF,
    )


def test_it_follows_the_data_map_when_the_policy_deletes(anna: Person) -> None:
    key = current_key()
    delete, changes = changes_for(anna, Person.data_map, RetentionAction.DELETE, key)
    assert not delete  # no field of a person deletes the row: identifiers become pseudonyms
    assert changes["email"] == pseudonymise("anna@example.be", kind="email", key=key)
    assert is_pseudonym(changes["first_name"]) and changes["phone"] == "" and changes["notes"] == ""
    assert outcome(delete, changes) == PSEUDONYMISED


def test_it_replaces_every_text_when_the_policy_pseudonymises(anna: Person) -> None:
    delete, changes = changes_for(anna, Person.data_map, RetentionAction.PSEUDONYMISE, current_key())
    assert not delete
    assert all(is_pseudonym(changes[name]) for name in ("first_name", "email", "phone", "notes"))


def test_it_empties_every_value_when_the_policy_anonymises(anna: Person) -> None:
    Person.objects.filter(pk=anna.pk).update(last_name=pseudonymise("Peeters", kind="text"))
    anna.refresh_from_db()
    delete, changes = changes_for(anna, Person.data_map, RetentionAction.ANONYMISE, current_key())
    assert not delete
    assert {changes[name] for name in ("first_name", "last_name", "email", "phone", "notes")} == {""}
    assert outcome(delete, changes) == ANONYMISED


def test_it_deletes_a_row_only_when_the_policy_deletes(anna: Person) -> None:
    call = do_create(
        Interaction,
        {
            "person": anna,
            "direction": "in",
            "occurred_at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            "summary": "x",
        },
        actor=STAFF,
    )
    key = current_key()
    assert outcome(*changes_for(call, Interaction.data_map, RetentionAction.DELETE, key)) == DELETED
    kept, changes = changes_for(call, Interaction.data_map, RetentionAction.ANONYMISE, key)
    assert not kept and changes == {"summary": ""}
    Interaction.objects.filter(pk=call.pk).update(summary="")
    call.refresh_from_db()
    assert (
        outcome(*changes_for(call, Interaction.data_map, RetentionAction.ANONYMISE, key)) is None
    )  # nothing left


@pytest.mark.parametrize("action", list(RetentionAction))
def test_a_session_goes_whole_under_every_action_since_it_cannot_be_without_its_address(action) -> None:
    """allauth keeps a session's IP address in a column that cannot be empty: anonymising or pseudonymising
    the row would have to keep the address, so the row is deleted, as its map asks."""
    from allauth.usersessions.models import UserSession
    from django.contrib.auth import get_user_model

    from trustdesk.lib.datamap import model_map

    user = get_user_model().objects.create(username="anna@example.be", email="anna@example.be")
    session = UserSession(user=user, ip="192.0.2.10", session_key="k" * 32, user_agent="Firefox")
    mapping = model_map(UserSession)
    assert mapping is not None
    delete, _ = changes_for(session, mapping, action, current_key())
    assert delete
