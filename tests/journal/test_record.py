"""Appending to the journal: the chain, the payload digest, the references, the transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import itertools

import pytest
from django.db import transaction

from trustdesk.journal.chain import GENESIS, entry_hash, payload_digest
from trustdesk.journal.models import JournalEntry, JournalHead
from trustdesk.journal.queries import anchor, entries_about, last_entries
from trustdesk.journal.services import TransactionRequired, record
from trustdesk.journal.verify import verify


def test_it_appends_entries_with_consecutive_seq_numbers_and_links_them(five) -> None:
    assert [e.seq for e in five] == [1, 2, 3, 4, 5]
    assert five[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(five):
        assert after.prev_hash == before.hash
        assert after.at >= before.at
    stored = list(JournalEntry.objects.all())
    assert [e.hash for e in stored] == [e.hash for e in five]
    assert verify().ok


def test_it_hashes_the_core_it_stores(five) -> None:
    entry = JournalEntry.objects.get(seq=3)
    assert entry.hash == entry_hash(
        3,
        entry.at,
        entry.actor,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.payload_digest,
        entry.prev_hash,
    )
    assert entry.payload == {"email": "person3@example.com", "name": "Person 3"}
    assert entry.payload_salt is not None and len(entry.payload_salt) == 32
    assert entry.payload_digest == payload_digest(entry.payload_salt, entry.payload)


def test_it_keeps_personal_data_out_of_the_hashed_core(five) -> None:
    entry = JournalEntry.objects.get(seq=1)
    core = [entry.actor, entry.action, entry.object_type, entry.object_id, entry.payload_digest]
    assert not any("person1" in value or "Person" in value for value in core)


def test_it_salts_each_payload_so_equal_payloads_have_different_digests(db) -> None:
    with transaction.atomic():
        one = record("test.thing.done", actor="system", payload={"email": "a@example.com"})
        two = record("test.thing.done", actor="system", payload={"email": "a@example.com"})
    assert one.payload_salt != two.payload_salt
    assert one.payload_digest != two.payload_digest


def test_it_moves_the_head_and_gives_it_as_the_anchor(five) -> None:
    head = JournalHead.objects.get()
    assert (head.seq, head.hash) == (5, five[-1].hash)
    assert (anchor().seq, anchor().hash) == (5, five[-1].hash)
    assert str(anchor()) == f"5:{five[-1].hash}"


def test_it_gives_an_empty_journal_the_genesis_anchor(db) -> None:
    assert (anchor().seq, anchor().hash) == (0, GENESIS)
    result = verify()
    assert result.ok and result.checked == 0


def test_it_starts_again_when_the_head_row_was_flushed_with_the_entries(db) -> None:
    JournalHead.objects.all().delete()
    with transaction.atomic():
        entry = record("test.thing.done", actor="system")
    assert entry.seq == 1
    assert JournalHead.objects.get().seq == 1


def test_it_refuses_to_go_on_when_only_the_head_row_was_deleted(five) -> None:
    from tests.journal.conftest import sql
    from trustdesk.journal.models import JournalError

    sql("DELETE FROM {head}")
    with (
        pytest.raises(JournalError, match="head row is missing while the journal has entries"),
        transaction.atomic(),
    ):
        record("test.thing.done", actor="system")
    assert not JournalHead.objects.exists()  # nothing was made up: the head is restored from a backup
    assert JournalEntry.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_record_outside_a_transaction() -> None:
    with pytest.raises(TransactionRequired, match=r"inside transaction\.atomic\(\)"):
        record("registry.person.created", actor="system", object_type="registry.person", object_id="1")
    assert not JournalEntry.objects.exists()


def test_it_stores_nothing_when_the_transaction_rolls_back(db) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        record("test.thing.done", actor="system")
        raise RuntimeError("the change failed")
    assert not JournalEntry.objects.exists()
    with transaction.atomic():
        assert record("test.thing.done", actor="system").seq == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("action", "Person created", "dotted verb"),
        ("action", "created", "dotted verb"),
        ("actor", "Jan Jansen", "never a name"),
        ("actor", "user:jan@example.com", "never a name or an e-mail address"),
        ("object_id", "jan@example.com", "never a name or an e-mail address"),
        ("object_id", "Jan Jansen", "never a name"),
        ("object_type", "Person", "dotted name"),
    ],
)
def test_it_refuses_personal_data_in_the_hashed_core(db, field: str, value: str, message: str) -> None:
    core = {"actor": "user:42", "object_type": "registry.person", "object_id": "7"}
    action = value if field == "action" else "registry.person.created"
    if field != "action":
        core[field] = value
    with transaction.atomic(), pytest.raises(ValueError, match=message):
        record(action, actor=core["actor"], object_type=core["object_type"], object_id=core["object_id"])


def test_it_refuses_an_object_id_without_its_type(db) -> None:
    with transaction.atomic(), pytest.raises(ValueError, match="needs its object type"):
        record("test.thing.done", actor="system", object_id="7")


def test_it_refuses_floats_in_the_payload(db) -> None:
    with transaction.atomic(), pytest.raises(ValueError, match=r"payload\['amount'\] is a float"):
        record("test.thing.done", actor="system", payload={"amount": 12.5})


def test_it_stores_dates_and_decimals_as_text_and_the_digest_still_matches(db) -> None:
    with transaction.atomic():
        entry = record(
            "test.thing.done",
            actor="api-token:7",
            payload={"day": dt.date(2025, 3, 5), "amount": decimal.Decimal("12.50"), "name": "Zoë"},
        )
    stored = JournalEntry.objects.get(seq=entry.seq)
    assert stored.payload == {"day": "2025-03-05", "amount": "12.50", "name": "Zoë"}
    assert verify().ok


def test_it_records_entries_without_payload(db) -> None:
    with transaction.atomic():
        entry = record("policy.version.published", actor="operator:root", object_type="policy.version")
    assert (entry.payload, entry.payload_salt, entry.payload_digest) == (None, None, "")
    assert entry.payload_state == "none"
    assert verify().ok


def test_it_finds_entries_by_object_and_the_newest(five) -> None:
    assert [e.seq for e in entries_about("registry.person", "101")] == [1, 3, 5]
    assert [e.seq for e in last_entries(2)] == [4, 5]


def test_the_hash_recipe_is_the_one_the_documentation_gives() -> None:
    at = dt.datetime(2025, 3, 5, 14, 7, 9, 120000, tzinfo=dt.UTC)
    core = f'[1,"2025-03-05T14:07:09.120000Z","user:42","registry.person.created","registry.person","17","","{GENESIS}"]'
    assert entry_hash(1, at, "user:42", "registry.person.created", "registry.person", "17", "", GENESIS) == (
        hashlib.sha256(core.encode()).hexdigest()
    )
    brussels = dt.timezone(dt.timedelta(hours=1))
    assert (
        entry_hash(
            1,
            at.astimezone(brussels),
            "user:42",
            "registry.person.created",
            "registry.person",
            "17",
            "",
            GENESIS,
        )
        == hashlib.sha256(core.encode()).hexdigest()
    )
    salt = "00112233445566778899aabbccddeeff"
    payload = {"name": "Zoë", "email": "zoe@example.com", "n": 1}
    expected = hashlib.sha256(
        bytes.fromhex(salt) + '{"email":"zoe@example.com","n":1,"name":"Zoë"}'.encode()
    ).hexdigest()
    assert payload_digest(salt, payload) == expected
    # The worked example of docs/journal.md.
    assert entry_hash(1, at, "user:42", "registry.person.created", "registry.person", "17", "", GENESIS) == (
        "2966fbe7473c4cfa564dfc6f4b0c155674efebdacefa5fc2d50d7ebe191ae659"
    )
    assert expected == "c2257d921f19c2fb0d2ce055a9c2d0a886e6c6f6dbe581ba5f620ac6ab6fd54d"
