"""Appending a batch of entries: the same chain as one entry at a time, the head moved once."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction
from django.utils import timezone

from tests.concurrency import needs_postgresql, run_together
from trustdesk.journal.bulk import insert_new
from trustdesk.journal.chain import GENESIS, entry_hash, payload_digest
from trustdesk.journal.models import JournalEntry, JournalHead, JournalImmutableError
from trustdesk.journal.services import EntrySpec, TransactionRequired, record, record_many
from trustdesk.journal.verify import verify

from .conftest import sql


def _specs(count: int, start: int = 0) -> list[EntrySpec]:
    return [
        EntrySpec(
            "registry.person.created",
            object_type="registry.person",
            object_id=str(start + n),
            payload={"changed": {"email": [None, f"p{start + n}@example.com"]}} if n % 3 else None,
        )
        for n in range(count)
    ]


def test_it_chains_a_batch_like_single_entries(db) -> None:
    with transaction.atomic():
        made = record_many(_specs(5), actor="operator:root")
    assert [e.seq for e in made] == [1, 2, 3, 4, 5]
    assert made[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(made):
        assert after.prev_hash == before.hash
    stored = list(JournalEntry.objects.all())
    assert [e.hash for e in stored] == [e.hash for e in made]
    for entry in stored:
        assert entry.hash == entry_hash(
            entry.seq,
            entry.at,
            entry.actor,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.payload_digest,
            entry.prev_hash,
        )
        if entry.payload is None:
            assert entry.payload_digest == "" and entry.payload_salt is None
        else:
            assert entry.payload_salt is not None
            assert entry.payload_digest == payload_digest(entry.payload_salt, entry.payload)
    head = JournalHead.objects.get()
    assert (head.seq, head.hash, head.at) == (5, made[-1].hash, made[-1].at)
    result = verify()
    assert result.ok and result.checked == 5


def test_it_interleaves_with_record_and_the_chain_stays_intact(db) -> None:
    with transaction.atomic():
        record("test.thing.done", actor="system", payload={"n": 1})
        record_many(_specs(3), actor="user:1")
        record("test.thing.done", actor="system")
    with transaction.atomic():
        record_many(_specs(4, start=10), actor="user:2")
    with transaction.atomic():
        record("test.thing.done", actor="system", payload={"n": 2})
        record_many([], actor="user:3")
        record_many(_specs(1, start=20), actor="user:3")
    seqs = list(JournalEntry.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, 12))
    entries = list(JournalEntry.objects.all())
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
        assert after.at >= before.at
    head = JournalHead.objects.get()
    assert (head.seq, head.hash) == (11, entries[-1].hash)
    result = verify()
    assert result.ok, result.problem
    assert result.checked == 11


def test_a_tampered_batch_entry_is_found(db) -> None:
    with transaction.atomic():
        record_many(_specs(6), actor="user:1")
    sql("UPDATE {table} SET object_id = %s WHERE seq = 4", ["999"])
    result = verify()
    assert not result.ok
    assert result.first_broken == 4
    assert result.problem == "entry 4 was edited: its hash does not match its content"


def test_it_checks_every_entry_before_writing_any(db) -> None:
    specs = [*_specs(2), EntrySpec("not a verb"), *_specs(2, start=5)]
    with transaction.atomic(), pytest.raises(ValueError, match="not a dotted verb"):
        record_many(specs, actor="user:1")
    with transaction.atomic(), pytest.raises(ValueError, match="not a reference"):
        record_many([EntrySpec("test.thing.done", "test.thing", "a@b")], actor="user:1")
    with transaction.atomic(), pytest.raises(ValueError, match="is a float"):
        record_many([*_specs(1), EntrySpec("test.thing.done", payload={"x": 1.5})], actor="user:1")
    assert not JournalEntry.objects.exists()
    assert JournalHead.objects.filter(seq__gt=0).count() == 0


@pytest.mark.django_db(transaction=True)
def test_it_needs_a_transaction() -> None:
    with pytest.raises(TransactionRequired, match=r"inside transaction\.atomic"):
        record_many(_specs(2), actor="user:1")
    assert not JournalEntry.objects.exists()


def test_a_rolled_back_batch_leaves_the_head_where_it_was(db) -> None:
    with transaction.atomic():
        first = record("test.thing.done", actor="system")
    with pytest.raises(RuntimeError), transaction.atomic():
        record_many(_specs(3), actor="user:1")
        raise RuntimeError("the change failed")
    head = JournalHead.objects.get()
    assert (head.seq, head.hash) == (1, first.hash)
    with transaction.atomic():
        made = record_many(_specs(2), actor="user:1")
    assert [e.seq for e in made] == [2, 3] and made[0].prev_hash == first.hash
    assert verify().ok


def test_the_bulk_path_takes_only_entries_chained_by_record_many(db) -> None:
    stray = JournalEntry(seq=1, at=timezone.now(), actor="system", action="test.thing.done")
    with transaction.atomic(), pytest.raises(JournalImmutableError, match="appended with"):
        JournalEntry.objects.all()._append_chained([stray])
    with transaction.atomic(), pytest.raises(JournalImmutableError, match="appended with"):
        insert_new(JournalEntry, [stray])
    assert not JournalEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_batches_and_single_entries_from_two_threads_do_not_fork_the_chain() -> None:
    needs_postgresql()

    def batches() -> None:
        for n in range(20):
            with transaction.atomic():
                record_many(_specs(10, start=n * 10), actor="user:1")

    def singles() -> None:
        for n in range(100):
            with transaction.atomic():
                record("test.thing.done", actor="user:2", object_type="test.thing", object_id=str(n))

    errors = run_together(batches, singles)
    assert errors == []
    assert list(JournalEntry.objects.values_list("seq", flat=True)) == list(range(1, 301))
    head = JournalHead.objects.get()
    assert head.seq == 300
    assert head.hash == JournalEntry.objects.get(seq=300).hash
    result = verify()
    assert result.ok, result.problem
    assert result.checked == 300
