"""The ORM refuses to change or delete journal entries, one at a time or in bulk."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from trustdesk.journal.models import JournalEntry, JournalImmutableError


def test_it_refuses_to_save_a_changed_entry(five) -> None:
    entry = JournalEntry.objects.get(seq=2)
    entry.action = "registry.person.deleted"
    with pytest.raises(JournalImmutableError, match="journal entry 2 cannot be changed"):
        entry.save()
    with pytest.raises(JournalImmutableError, match="journal entry 2 cannot be changed"):
        entry.save(update_fields=["payload"])
    assert JournalEntry.objects.get(seq=2).action == "registry.person.created"


def test_it_refuses_to_delete_an_entry(five) -> None:
    with pytest.raises(JournalImmutableError, match="journal entry 2 cannot be deleted"):
        JournalEntry.objects.get(seq=2).delete()
    assert JournalEntry.objects.count() == 5


def test_it_refuses_queryset_updates_and_deletes(five) -> None:
    with pytest.raises(JournalImmutableError, match="cannot be updated"):
        JournalEntry.objects.filter(seq=3).update(action="registry.person.deleted")
    with pytest.raises(JournalImmutableError, match="cannot be updated"):
        JournalEntry.objects.update(payload=None)
    with pytest.raises(JournalImmutableError, match="cannot be deleted"):
        JournalEntry.objects.filter(seq__gte=4).delete()
    with pytest.raises(JournalImmutableError, match="cannot be deleted"):
        JournalEntry.objects.all().delete()
    entries = list(JournalEntry.objects.all())
    for entry in entries:
        entry.action = "registry.person.deleted"
    with transaction.atomic(), pytest.raises(JournalImmutableError, match="cannot be updated"):
        JournalEntry.objects.bulk_update(entries, ["action"])
    assert JournalEntry.objects.filter(action="registry.person.deleted").count() == 0
    assert JournalEntry.objects.count() == 5


def test_it_refuses_entries_written_past_record(db) -> None:
    fields = {"seq": 1, "at": timezone.now(), "actor": "system", "action": "test.thing.done"}
    with transaction.atomic(), pytest.raises(JournalImmutableError, match="appended with"):
        JournalEntry.objects.create(prev_hash="0" * 64, hash="1" * 64, **fields)
    with transaction.atomic(), pytest.raises(JournalImmutableError, match="appended one at a time"):
        JournalEntry.objects.bulk_create([JournalEntry(prev_hash="0" * 64, hash="1" * 64, **fields)])
    assert not JournalEntry.objects.exists()
