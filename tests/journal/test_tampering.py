"""Tampering with the journal directly in the database, each way; verify names the exact entry."""

from __future__ import annotations

import json

from django.db import transaction

from tests.journal.conftest import rehash, sql
from trustdesk.journal.chain import entry_hash
from trustdesk.journal.models import JournalEntry
from trustdesk.journal.queries import anchor
from trustdesk.journal.services import erase_payloads
from trustdesk.journal.verify import verify


def _broken(seq: int, problem: str, **kwargs) -> None:
    result = verify(**kwargs)
    assert (result.ok, result.first_broken, result.problem) == (False, seq, problem)


def test_it_finds_an_edited_action(five) -> None:
    sql("UPDATE {table} SET action = %s WHERE seq = %s", ["registry.person.deleted", 3])
    _broken(3, "entry 3 was edited: its hash does not match its content")
    assert verify().checked == 3


def test_it_finds_an_edited_actor_time_or_object(five) -> None:
    sql("UPDATE {table} SET object_id = %s WHERE seq = %s", ["999", 4])
    _broken(4, "entry 4 was edited: its hash does not match its content")


def test_it_finds_an_edited_payload(five) -> None:
    forged = json.dumps({"email": "someone-else@example.com", "name": "Person 3"})
    sql("UPDATE {table} SET payload = {json} WHERE seq = %s", [forged, 3])
    _broken(3, "entry 3: its payload does not match its digest")


def test_it_finds_a_payload_removed_without_an_erasure_entry(five) -> None:
    sql("UPDATE {table} SET payload = NULL, payload_salt = NULL WHERE seq = %s", [2])
    _broken(2, "entry 2: its payload was removed without an erasure entry")


def test_it_finds_a_payload_added_to_an_entry_that_had_none(five) -> None:
    with transaction.atomic():
        from trustdesk.journal.services import record

        record("test.thing.done", actor="system")
    sql("UPDATE {table} SET payload = {json} WHERE seq = %s", ['{"x": "y"}', 6])
    _broken(6, "entry 6: its payload does not match its digest")


def test_it_finds_a_deleted_middle_entry(five) -> None:
    sql("DELETE FROM {table} WHERE seq = %s", [3])
    _broken(3, "entry 3 is missing: the chain jumps from 2 to 4")


def test_it_finds_several_deleted_entries_and_a_deleted_first_entry(five) -> None:
    sql("DELETE FROM {table} WHERE seq IN (2, 3)")
    _broken(2, "entries 2 to 3 are missing: the chain jumps from 1 to 4")
    sql("DELETE FROM {table} WHERE seq = 1")
    _broken(1, "entries 1 to 3 are missing: the journal starts at 4")


def test_it_finds_deleted_last_entries_through_the_head(five) -> None:
    sql("DELETE FROM {table} WHERE seq >= %s", [4])
    _broken(4, "the last 2 entries were deleted: the head says 5, the journal ends at 3")
    sql("DELETE FROM {table} WHERE seq >= %s", [3])
    _broken(3, "the last 3 entries were deleted: the head says 5, the journal ends at 2")


def test_it_finds_a_deleted_head(five) -> None:
    sql("DELETE FROM {head}")
    _broken(1, "the journal's head row is missing: the journal ends at 5")


def test_it_finds_two_entries_whose_seq_numbers_were_swapped(five) -> None:
    sql("UPDATE {table} SET seq = 999 WHERE seq = 2")
    sql("UPDATE {table} SET seq = 2 WHERE seq = 3")
    sql("UPDATE {table} SET seq = 3 WHERE seq = 999")
    _broken(2, "entry 2 was reordered: it holds what was recorded as entry 3")


def test_it_finds_a_forged_entry_with_a_recomputed_hash_but_a_wrong_previous_hash(five) -> None:
    last = JournalEntry.objects.get(seq=5)
    prev_hash = "ab" * 32
    forged = entry_hash(
        6, last.at, "system", "registry.person.deleted", "registry.person", "101", "", prev_hash
    )
    sql(
        "INSERT INTO {table} (seq, at, actor, action, object_type, object_id, payload_digest, prev_hash, hash)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [6, last.at, "system", "registry.person.deleted", "registry.person", "101", "", prev_hash, forged],
    )
    _broken(6, "entry 6 was inserted or reordered: its previous hash is not the hash of entry 5")


def test_it_finds_a_well_forged_entry_appended_behind_the_head(five) -> None:
    last = JournalEntry.objects.get(seq=5)
    forged = entry_hash(
        6, last.at, "system", "registry.person.deleted", "registry.person", "101", "", last.hash
    )
    sql(
        "INSERT INTO {table} (seq, at, actor, action, object_type, object_id, payload_digest, prev_hash, hash)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [6, last.at, "system", "registry.person.deleted", "registry.person", "101", "", last.hash, forged],
    )
    _broken(6, "entry 6 was inserted after the last entry: the head says 5, the journal ends at 6")


def test_it_finds_an_entry_rehashed_in_place_when_the_head_was_left_alone(five) -> None:
    sql("UPDATE {table} SET action = %s WHERE seq = %s", ["registry.person.deleted", 5])
    rehash(5, JournalEntry.objects.get(seq=4).hash)
    _broken(5, "the chain was rewritten up to entry 5: its hash is not the one the head records")


def test_it_finds_a_rewritten_chain_only_against_an_external_anchor(five) -> None:
    """The attacker edits entry 3 and recomputes every later hash and the head.

    The chain is then consistent again: nothing inside the database can tell the rewritten
    journal from the real one, since everything the check reads was rewritten. Only a copy of an
    earlier head kept outside the attacker's reach (an anchor: `trustdesk journal show --anchor`,
    stored by the operator elsewhere) shows it: the entry at the anchor's seq no longer has the
    anchor's hash.
    """
    at_four = (4, JournalEntry.objects.get(seq=4).hash)
    at_end = anchor()
    sql("UPDATE {table} SET action = %s WHERE seq = %s", ["registry.person.deleted", 3])
    prev = JournalEntry.objects.get(seq=2).hash
    for seq in (3, 4, 5):
        prev = rehash(seq, prev)
    sql("UPDATE {head} SET hash = %s", [prev])

    assert verify().ok
    _broken(
        5,
        "entry 5 does not match the anchor: the chain was rewritten at or before entry 5",
        expect_anchor=(at_end.seq, at_end.hash),
    )
    _broken(
        4,
        "entry 4 does not match the anchor: the chain was rewritten at or before entry 4",
        expect_anchor=at_four,
    )
    assert verify(expect_anchor=(2, JournalEntry.objects.get(seq=2).hash)).ok


def test_it_finds_an_anchored_entry_that_no_longer_exists(five) -> None:
    at_end = anchor()
    sql("DELETE FROM {table} WHERE seq = 5")
    sql("UPDATE {head} SET seq = 4, hash = %s", [JournalEntry.objects.get(seq=4).hash])
    assert verify().ok
    _broken(5, "entry 5 of the anchor is missing: the journal ends at 4", expect_anchor=(5, at_end.hash))


def test_it_finds_an_entry_dated_before_its_predecessor(five) -> None:
    earlier = JournalEntry.objects.get(seq=1).at.replace(year=2000)
    sql("UPDATE {table} SET at = %s WHERE seq = 4", [earlier])
    prev = JournalEntry.objects.get(seq=3).hash
    for seq in (4, 5):
        prev = rehash(seq, prev)
    sql("UPDATE {head} SET hash = %s", [prev])
    _broken(4, "entry 4 was reordered: it is dated before entry 3")


def test_it_finds_a_forged_erasure_list(five) -> None:
    with transaction.atomic():
        erase_payloads(JournalEntry.objects.filter(seq=2), actor="system")
    assert verify().ok
    # The attacker removes entry 3's payload and adds it to the erasure entry's list.
    sql("UPDATE {table} SET payload = NULL, payload_salt = NULL WHERE seq = %s", [3])
    sql("UPDATE {table} SET payload = {json} WHERE seq = %s", ['{"seqs": [2, 3]}', 6])
    _broken(6, "entry 6: its payload does not match its digest")


def test_it_reads_the_chain_in_small_batches(five) -> None:
    assert verify(batch_size=2).ok
    sql("UPDATE {table} SET actor = %s WHERE seq = %s", ["user:43", 5])
    _broken(5, "entry 5 was edited: its hash does not match its content", batch_size=2)
