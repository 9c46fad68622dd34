"""Creating records in bulk: what do_create writes for each, or nothing at all."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from trustdesk.journal.models import JournalEntry, JournalHead
from trustdesk.journal.verify import verify
from trustdesk.registry.models import Organisation, Person
from trustdesk.registry.services import BatchRefused, IntakeError, do_bulk_create, do_create

pytestmark = pytest.mark.django_db

PEOPLE = [
    {
        "first_name": "Anna",
        "last_name": "Peeters",
        "email": "anna@example.be",
        "city": "Gent",
        "country": "BE",
    },
    {
        "first_name": "Bram",
        "last_name": "Jansen",
        "email": "bram@example.nl",
        "city": "Utrecht",
        "country": "NL",
    },
    {"first_name": "Chris", "last_name": "Smith", "street": "High St 1", "country": "GB"},
]


def _journal(person_id: int) -> tuple[str, str, str, str, Any]:
    entry = JournalEntry.objects.get(object_type="registry.person", object_id=str(person_id))
    return entry.action, entry.actor, entry.object_type, entry.object_id, entry.payload


def test_it_writes_rows_history_and_journal_as_do_create_does(operator) -> None:
    made = do_bulk_create(Person, PEOPLE, actor=operator)
    assert [p.email for p in made] == ["anna@example.be", "bram@example.nl", ""]
    assert all(p.pk is not None for p in made)
    assert Person.objects.count() == 3
    for person in made:
        copies = list(
            person.history.values_list("history_type", "history_change_reason", "history_actor", "email")
        )
        assert copies == [("+", "created", operator.ref, person.email)]
    single = do_create(Person, PEOPLE[0], actor=operator)
    bulk_entry, single_entry = _journal(made[0].pk), _journal(single.pk)
    assert (
        bulk_entry[:3]
        == single_entry[:3]
        == ("registry.person.created", "operator:tester", "registry.person")
    )
    assert bulk_entry[4] == single_entry[4]
    assert bulk_entry[4] is not None and bulk_entry[4]["changed"]["email"] == [None, "anna@example.be"]
    assert [e.object_id for e in JournalEntry.objects.order_by("seq")] == [
        *(str(p.pk) for p in made),
        str(single.pk),
    ]
    assert JournalHead.objects.get().seq == 4
    result = verify()
    assert result.ok and result.checked == 4


def test_it_refuses_the_whole_batch_naming_the_row(operator) -> None:
    rows = [PEOPLE[0], {**PEOPLE[1], "notes": "card 4111 1111 1111 1111"}, PEOPLE[2]]
    with pytest.raises(BatchRefused) as refused:
        do_bulk_create(Person, rows, actor=operator)
    assert refused.value.index == 1
    assert list(refused.value.message_dict) == ["notes"]
    assert "4111" not in str(refused.value)
    assert isinstance(refused.value, IntakeError)
    assert Person.objects.count() == 0
    assert Person.history.count() == 0
    assert JournalEntry.objects.count() == 0


def test_it_refuses_a_missing_provenance_name(operator) -> None:
    rows = [{"name": "Brouwerij BV"}, {"name": "Bakkerij BV", "source_kind": "third_party"}]
    with pytest.raises(BatchRefused) as refused:
        do_bulk_create(Organisation, rows, actor=operator)
    assert refused.value.index == 1
    assert refused.value.message_dict == {
        "source_name": ["name the third party or register the data came from"]
    }
    assert Organisation.objects.count() == 0


def test_it_checks_the_purpose_of_every_row(operator, starter_policy) -> None:
    rows = [PEOPLE[0], {"first_name": "Dirk", "email": "dirk@example.be"}]
    with pytest.raises(BatchRefused) as refused:
        do_bulk_create(Person, rows, actor=operator, purpose="customer_account")
    assert refused.value.index == 1
    assert list(refused.value.message_dict) == ["street"]
    assert Person.objects.count() == 0
    made = do_bulk_create(Person, PEOPLE[:2], actor=operator, purpose="customer_account")
    assert len(made) == 2


def test_a_rolled_back_batch_leaves_nothing(operator) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        do_bulk_create(Person, PEOPLE, actor=operator)
        raise RuntimeError("the caller failed")
    assert Person.objects.count() == 0
    assert JournalEntry.objects.count() == 0
    assert do_bulk_create(Person, [], actor=operator) == []
    assert verify().ok


def test_it_stores_the_same_values_as_do_create(operator) -> None:
    """Whatever the insert path (COPY on PostgreSQL), the row and its copy hold what do_create stores."""
    from trustdesk.registry.models import Service

    organisation = do_create(Organisation, {"name": "Brouwerij BV"}, actor=operator)
    service = {
        "organisation": organisation,
        "kind": "domain",
        "label": "brouwerij.example",
        "starts_on": dt.date(2024, 1, 31),
        "notes": "Zoë's domein",
    }
    one = do_create(Service, {**service, "external_ref": "S-1"}, actor=operator)
    (two,) = do_bulk_create(Service, [{**service, "external_ref": "S-2"}], actor=operator)
    skip = {"id", "external_ref", "created_at", "updated_at", "history_id", "history_date"}

    def stored(queryset: Any) -> dict[str, Any]:
        return {k: v for k, v in queryset.values()[0].items() if k not in skip}

    assert stored(Service.objects.filter(pk=two.pk)) == stored(Service.objects.filter(pk=one.pk))
    assert stored(Service.history.filter(id=two.pk)) == stored(Service.history.filter(id=one.pk))
    created = Service.objects.filter(pk__in=[one.pk, two.pk]).values_list("created_at", flat=True)
    assert all(value is not None for value in created)
