"""Erasing payloads: the personal details go, the chain still verifies, the erasure is recorded."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.journal.conftest import sql
from trustdesk.journal.models import JournalEntry, JournalError
from trustdesk.journal.services import ERASED, TransactionRequired, erase_payloads, record
from trustdesk.journal.verify import verify


def _all_stored_text() -> str:
    return repr(sql("SELECT * FROM {table}"))


def test_it_erases_payloads_and_the_chain_still_verifies(five) -> None:
    digests = dict(JournalEntry.objects.values_list("seq", "payload_digest"))
    with transaction.atomic():
        erased = erase_payloads(JournalEntry.objects.filter(object_id="101"), actor="user:7")
    assert erased == [1, 3, 5]
    for entry in JournalEntry.objects.filter(seq__in=[1, 3, 5]):
        assert (entry.payload, entry.payload_salt) == (None, None)
        assert entry.payload_digest == digests[entry.seq]
        assert entry.payload_state == "erased"
    assert JournalEntry.objects.get(seq=2).payload == {"email": "person2@example.com", "name": "Person 2"}
    stored = _all_stored_text()
    for n in (1, 3, 5):
        assert f"person{n}@example.com" not in stored
        assert f"Person {n}" not in stored
    assert "person2@example.com" in stored
    result = verify()
    assert result.ok, result.problem
    assert result.checked == 6


def test_it_records_the_erasure_with_seq_numbers_only(five) -> None:
    with transaction.atomic():
        erase_payloads([JournalEntry.objects.get(seq=2), JournalEntry.objects.get(seq=4)], actor="user:7")
    entry = JournalEntry.objects.get(seq=6)
    assert (entry.action, entry.actor, entry.object_type) == (ERASED, "user:7", "journal.entry")
    assert entry.payload == {"seqs": [2, 4]}


def test_it_skips_entries_without_payload_and_records_nothing_when_nothing_is_erased(five) -> None:
    with transaction.atomic():
        assert erase_payloads(JournalEntry.objects.filter(seq=1), actor="system") == [1]
        assert erase_payloads(JournalEntry.objects.filter(seq=1), actor="system") == []
        assert erase_payloads(JournalEntry.objects.none(), actor="system") == []
    assert JournalEntry.objects.count() == 6
    assert verify().ok


def test_it_keeps_the_payload_of_an_erasure_entry(five) -> None:
    with transaction.atomic():
        erase_payloads(JournalEntry.objects.filter(seq=1), actor="system")
    with transaction.atomic(), pytest.raises(JournalError, match="entry 6 records an erasure"):
        erase_payloads(JournalEntry.objects.all(), actor="system")
    assert JournalEntry.objects.get(seq=2).payload is not None


def test_it_erases_in_batches_of_a_thousand(db) -> None:
    with transaction.atomic():
        for n in range(1, 1203):
            record(
                "test.thing.done",
                actor="system",
                object_type="test.thing",
                object_id=str(n),
                payload={"n": n},
            )
        erased = erase_payloads(JournalEntry.objects.all(), actor="system")
    assert len(erased) == 1202
    batches = JournalEntry.objects.filter(action=ERASED).order_by("seq")
    assert [len((e.payload or {})["seqs"]) for e in batches] == [1000, 202]
    assert verify().ok


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_erase_outside_a_transaction() -> None:
    with pytest.raises(TransactionRequired):
        erase_payloads(JournalEntry.objects.all(), actor="system")
