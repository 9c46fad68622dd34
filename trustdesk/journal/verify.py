"""Checking the journal: the chain, the head, the payload digests and an optional anchor."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.db import connections, router

from trustdesk.journal.chain import GENESIS, entry_hash, format_at, payload_digest
from trustdesk.journal.models import HEAD_ID, JournalEntry, JournalHead
from trustdesk.journal.services import ERASED

#: How far from its place verify looks for the seq an entry was recorded under (reordering).
REORDER_WINDOW = 1000


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken: int | None = None
    problem: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        if self.ok:
            return f"journal intact: {self.checked} entries verified"
        return f"journal broken: {self.problem}"


class _Broken(Exception):
    def __init__(self, seq: int, problem: str):
        super().__init__(problem)
        self.seq = seq
        self.problem = problem


_FIELDS = (
    "seq",
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "payload",
    "payload_salt",
    "payload_digest",
    "prev_hash",
    "hash",
)


def verify(*, batch_size: int = 10_000, expect_anchor: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the whole chain in seq order and report the first broken entry.

    Memory stays bounded: entries are streamed in batches of ``batch_size``; only the seq numbers
    of erased payloads are held. ``expect_anchor`` is a (seq, hash) pair stored outside Trustdesk
    earlier (``anchor()``); the check fails when that entry no longer has that hash.
    """
    head = JournalHead.objects.filter(pk=HEAD_ID).values_list("seq", "hash").first()
    head_seq, head_hash = head if head is not None else (0, GENESIS)
    checked = 0
    try:
        explained = _erased_seqs()
        last, last_hash = 0, GENESIS
        last_at: str | None = None
        for row in _rows(batch_size):
            checked += 1
            last_hash = _check(row, last, last_hash, last_at, explained)
            last, last_at = row[0], row[1]
            if head is not None and last == head_seq and last_hash != head_hash:
                raise _Broken(
                    last,
                    f"the chain was rewritten up to entry {last}: its hash is not the one the head records",
                )
            if expect_anchor is not None and last == expect_anchor[0] and last_hash != expect_anchor[1]:
                raise _Broken(
                    last,
                    f"entry {last} does not match the anchor: the chain was rewritten at or before entry {last}",
                )
        _check_end(head is not None, head_seq, last)
        if expect_anchor is not None and expect_anchor[0] > last:
            raise _Broken(
                last + 1,
                f"entry {expect_anchor[0]} of the anchor is missing: the journal ends at {last}",
            )
    except _Broken as broken:
        return VerifyResult(False, checked, broken.seq, broken.problem, head_seq, head_hash)
    return VerifyResult(True, checked, None, None, head_seq, head_hash)


def _rows(batch_size: int) -> Iterator[tuple[Any, ...]]:
    """The entries in seq order as tuples of ``_FIELDS``, with ``at`` and ``payload`` as text.

    Read with a raw cursor (server-side on PostgreSQL, which also writes the times), a batch at a
    time, so that memory stays bounded and no model instances are made. ``at`` is
    ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC with a four-digit year, which sorts like the time; the
    payload is its JSON text, or None.
    """
    connection = connections[router.db_for_read(JournalEntry)]
    quote = connection.ops.quote_name
    column_of = {field.name: str(field.column) for field in JournalEntry._meta.concrete_fields}
    columns = [quote(column_of[name]) for name in _FIELDS]
    postgres = connection.vendor == "postgresql"
    if postgres:
        columns[1] = f"to_char({columns[1]} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        columns[6] = f"{columns[6]}::text"
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(JournalEntry._meta.db_table)} "  # noqa: S608  (names from the model)
        f"ORDER BY {columns[0]}"
    )
    server_side = postgres and not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    with connection.chunked_cursor() if server_side else connection.cursor() as cursor:
        cursor.execute(sql)
        while batch := cursor.fetchmany(batch_size):
            if postgres:
                yield from batch
                continue
            for row in batch:
                at, payload = _sortable(row[1]), row[6]
                if payload is not None and not isinstance(payload, str):
                    payload = json.dumps(payload)
                yield (row[0], at, *row[2:6], payload, *row[7:])


def _sortable(value: Any) -> str:
    """A time as another database returns it (text or a datetime), written like PostgreSQL's above."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return str(value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")) + "Z"


def _recipe_at(sortable: str) -> str:
    """The recipe's text of a time (``format_at``), from the sortable text; they differ before year 1000."""
    if sortable[0] != "0":
        return sortable
    return format_at(dt.datetime.strptime(sortable, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC))


_string = json.encoder.encode_basestring


def _core_hash(seq: int, when: str, core: tuple[str, ...]) -> str:
    """``entry_hash``, with the canonical JSON of the core written out (the same text, faster)."""
    text = f"[{int(seq)},{_string(when)},{','.join(map(_string, core))}]"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check(row: tuple[Any, ...], last: int, last_hash: str, last_at: str | None, explained: set[int]) -> str:
    seq, at, actor, action, object_type, object_id, payload, salt, digest, prev_hash, hash_ = row
    expected = last + 1
    if seq > expected:
        gap = f"the journal starts at {seq}" if expected == 1 else f"the chain jumps from {last} to {seq}"
        if seq == expected + 1:
            raise _Broken(expected, f"entry {expected} is missing: {gap}")
        raise _Broken(expected, f"entries {expected} to {seq - 1} are missing: {gap}")
    if seq < expected:
        raise _Broken(seq, f"entry {seq} was inserted: the journal starts at 1")
    when = at if at[0] != "0" else _recipe_at(at)
    core = (actor, action, object_type, object_id, digest, prev_hash)
    if _core_hash(seq, when, core) != hash_:
        original = _recorded_as(seq, when, core, hash_)
        if original is not None:
            raise _Broken(seq, f"entry {seq} was reordered: it holds what was recorded as entry {original}")
        raise _Broken(seq, f"entry {seq} was edited: its hash does not match its content")
    if prev_hash != last_hash:
        before = f"the hash of entry {last}" if last else "the start of the chain (64 zeros)"
        raise _Broken(seq, f"entry {seq} was inserted or reordered: its previous hash is not {before}")
    if last_at is not None and at < last_at:
        raise _Broken(seq, f"entry {seq} was reordered: it is dated before entry {last}")
    if payload is not None:
        try:
            data = json.loads(payload)
        except ValueError:  # not JSON at all (a database that stores JSON as text)
            raise _Broken(seq, f"entry {seq}: its payload does not match its digest") from None
        if data is not None:
            if not digest or salt is None or not _digest_matches(salt, data, digest):
                raise _Broken(seq, f"entry {seq}: its payload does not match its digest")
            return str(hash_)
    if digest and seq not in explained:
        raise _Broken(seq, f"entry {seq}: its payload was removed without an erasure entry")
    return str(hash_)


def _recorded_as(seq: int, when: str, core: tuple[str, ...], hash_: str) -> int | None:
    """The seq this content was hashed under, when it sits nearby: the mark of a reordering."""
    for other in range(max(1, seq - REORDER_WINDOW), seq + REORDER_WINDOW + 1):
        if other != seq and entry_hash(other, when, *core) == hash_:
            return other
    return None


def _digest_matches(salt: str, payload: Any, digest: str) -> bool:
    try:
        return payload_digest(salt, payload) == digest
    except ValueError:  # a salt that is not hex
        return False


def _erased_seqs() -> set[int]:
    """The seq numbers whose payloads the journal itself records as erased."""
    seqs: set[int] = set()
    listed = JournalEntry.objects.filter(action=ERASED, payload__isnull=False).values_list(
        "payload", flat=True
    )
    for payload in listed.iterator(chunk_size=100):
        if isinstance(payload, dict) and isinstance(payload.get("seqs"), list):
            seqs.update(s for s in payload["seqs"] if isinstance(s, int))
    return seqs


def _check_end(has_head: bool, head_seq: int, last: int) -> None:
    if not has_head:
        if last:
            raise _Broken(1, f"the journal's head row is missing: the journal ends at {last}")
        return
    if head_seq > last:
        missing = head_seq - last
        what = "entry was" if missing == 1 else f"{missing} entries were"
        raise _Broken(
            last + 1, f"the last {what} deleted: the head says {head_seq}, the journal ends at {last}"
        )
    if head_seq < last:
        # Entries appended while verify walked the chain move the head too; read it again.
        now = JournalHead.objects.filter(pk=HEAD_ID).values_list("seq", flat=True).first() or 0
        if now < last:
            raise _Broken(
                now + 1,
                f"entry {now + 1} was inserted after the last entry: the head says {now}, the journal ends at {last}",
            )
