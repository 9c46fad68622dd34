"""Writing the journal: appending entries and erasing their payloads.

Every state change of Trustdesk calls ``record`` inside its own transaction, so that the change
and its evidence are committed together or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from trustdesk.journal.chain import GENESIS, entry_hash, format_at, payload_digest
from trustdesk.journal.models import HEAD_ID, JournalEntry, JournalError, JournalHead

#: The action of the entries that record an erasure of payloads.
ERASED = "journal.payload.erased"
#: How many seq numbers one erasure entry lists.
ERASE_BATCH = 1000

_ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
_ACTOR = re.compile(r"[a-z][a-z0-9_-]*(:[!#-?A-[\]-~]+)?")  # printable ASCII without space " @ \
_REFERENCE = re.compile(r"[!#-?A-[\]-~]*")


class TransactionRequired(JournalError):
    """``record`` was called outside a transaction."""


@dataclass(frozen=True)
class EntrySpec:
    """One entry for ``record_many``: the arguments ``record`` takes besides the actor."""

    action: str
    object_type: str = ""
    object_id: str = ""
    payload: dict[str, Any] | None = None


def record(
    action: str,
    *,
    actor: str,
    object_type: str = "",
    object_id: str = "",
    payload: dict[str, Any] | None = None,
) -> JournalEntry:
    """Append the next entry to the journal and return it.

    ``actor``, ``object_type`` and ``object_id`` are references (``user:42``, ``registry.person``,
    ``1234``), never names or e-mail addresses: they are hashed into the chain and can never be
    erased. Personal details go in ``payload``, which ``erase_payloads`` can clear.

    Must run inside ``transaction.atomic()``: the entry is part of the change it records. Concurrent
    appenders wait for each other on the journal's head row, so seq numbers never repeat or skip.
    """
    _require_transaction(f"journal entry {action!r}")
    _check_core(action, actor, object_type, object_id)
    data = _normalise(payload)
    head = _lock_head()
    at = _next_at(head)
    entry = _chained(head.seq + 1, at, format_at(at), actor, action, object_type, object_id, data, head.hash)
    entry._recording = True
    entry.save(force_insert=True)
    entry._recording = False
    _move_head(head, entry.seq, entry.hash, at)
    return entry


def record_many(entries: Sequence[EntrySpec], *, actor: str) -> list[JournalEntry]:
    """Append several entries by one actor, in order, and return them.

    The same chain as that many calls of ``record``: each entry checked the same way (all of them
    before anything is written), the head locked once, the hashes chained with the same recipe,
    the entries inserted together and the head moved once. The entries share one time. Must run
    inside ``transaction.atomic()``, in the transaction of the changes they record.
    """
    _require_transaction(f"{len(entries)} journal entries")
    if not entries:
        return []
    checked: list[tuple[EntrySpec, dict[str, Any] | None]] = []
    for spec in entries:
        _check_core(spec.action, actor, spec.object_type, spec.object_id)
        checked.append((spec, _normalise(spec.payload)))
    head = _lock_head()
    at = _next_at(head)
    when = format_at(at)
    seq, prev = head.seq, head.hash
    made: list[JournalEntry] = []
    for spec, data in checked:
        seq += 1
        entry = _chained(seq, at, when, actor, spec.action, spec.object_type, spec.object_id, data, prev)
        entry._recording = True
        made.append(entry)
        prev = entry.hash
    JournalEntry.objects.all()._append_chained(made)
    for entry in made:
        entry._recording = False
    _move_head(head, seq, prev, at)
    return made


def _require_transaction(what: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise TransactionRequired(
            f"{what} must be recorded inside transaction.atomic(), "
            "in the same transaction as the change it records"
        )


def _next_at(head: JournalHead) -> dt.datetime:
    now = timezone.now()
    return max(now, head.at) if head.at is not None else now  # times never go back along the chain


def _chained(
    seq: int,
    at: dt.datetime,
    when: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    data: dict[str, Any] | None,
    prev_hash: str,
) -> JournalEntry:
    salt = secrets.token_hex(16) if data is not None else None
    digest = payload_digest(salt, data) if salt is not None else ""
    return JournalEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        payload=data,
        payload_salt=salt,
        payload_digest=digest,
        prev_hash=prev_hash,
        hash=entry_hash(seq, when, actor, action, object_type, object_id, digest, prev_hash),
    )


def _move_head(head: JournalHead, seq: int, hash_: str, at: dt.datetime) -> None:
    moved = JournalHead.objects.filter(pk=HEAD_ID, seq=head.seq).update(seq=seq, hash=hash_, at=at)
    if moved != 1:
        raise JournalError("the journal head moved while these entries were appended; nothing was recorded")


def erase_payloads(
    entries_or_queryset: Iterable[JournalEntry] | QuerySet[JournalEntry], *, actor: str
) -> list[int]:
    """Clear the payloads (and their salts) of these entries; return the seq numbers erased.

    The digests stay, so the chain still verifies; the salt goes, so nobody can confirm a guess
    of the erased details against the digest. Each batch of up to 1,000 erased entries is itself
    recorded as a ``journal.payload.erased`` entry whose payload lists only their seq numbers.
    Entries without a payload are skipped. Must run inside ``transaction.atomic()``.
    """
    if not transaction.get_connection().in_atomic_block:
        raise TransactionRequired("payloads must be erased inside transaction.atomic()")
    erased: list[int] = []
    for chunk in _chunks(_seqs(entries_or_queryset), ERASE_BATCH):
        rows = JournalEntry.objects.filter(seq__in=chunk, payload__isnull=False).values_list("seq", "action")
        found = sorted(rows)
        if not found:
            continue
        for seq, action in found:
            if action == ERASED:
                raise JournalError(
                    f"entry {seq} records an erasure and holds no personal data; its payload stays"
                )
        seqs = [seq for seq, _ in found]
        record(ERASED, actor=actor, object_type="journal.entry", payload={"seqs": seqs})
        JournalEntry.objects.filter(seq__in=seqs)._erase_payloads()
        erased.extend(seqs)
    return erased


def _seqs(entries: Iterable[JournalEntry] | QuerySet[JournalEntry]) -> Iterator[int]:
    if isinstance(entries, QuerySet):
        yield from entries.order_by("seq").values_list("seq", flat=True)
    else:
        for entry in entries:
            yield entry.seq


def _chunks(values: Iterator[int], size: int) -> Iterator[list[int]]:
    while chunk := list(islice(values, size)):
        yield chunk


def _lock_head() -> JournalHead:
    head = JournalHead.objects.select_for_update().filter(pk=HEAD_ID).first()
    if head is not None:
        return head
    # The data migration creates the head; a database flushed by hand (or by a test) has none.
    # Another appender may be creating it right now: create it or wait for theirs, lock it, and only
    # then judge. (Checking the entries first would race: they may commit between the two reads.)
    JournalHead.objects.get_or_create(pk=HEAD_ID, defaults={"seq": 0, "hash": GENESIS})
    head = JournalHead.objects.select_for_update().get(pk=HEAD_ID)
    if head.seq == 0 and JournalEntry.objects.exists():
        raise JournalError(
            "the journal's head row is missing while the journal has entries; "
            "run `trustdesk journal verify` and restore the head from a backup"
        )
    return head


def _check_core(action: str, actor: str, object_type: str, object_id: str) -> None:
    if not _ACTION.fullmatch(action) or len(action) > 100:
        raise ValueError(f"journal action {action!r} is not a dotted verb like 'registry.person.created'")
    if not _ACTOR.fullmatch(actor) or len(actor) > 100:
        raise ValueError(
            f"journal actor {actor!r} is not a reference like 'user:42', 'operator:root' or 'system' "
            "(printable ASCII, no spaces, no @: never a name or an e-mail address)"
        )
    if object_type and (not _ACTION.fullmatch(object_type) or len(object_type) > 100):
        raise ValueError(f"journal object type {object_type!r} is not a dotted name like 'registry.person'")
    if not _REFERENCE.fullmatch(object_id) or len(object_id) > 200:
        raise ValueError(
            f"journal object id {object_id!r} is not a reference (printable ASCII, no spaces, no @, "
            "at most 200 characters): never a name or an e-mail address"
        )
    if object_id and not object_type:
        raise ValueError("a journal object id needs its object type")


def _normalise(payload: dict[str, Any] | None) -> dict[str, Any] | None:
    """The payload as the database will give it back: plain JSON, no floats.

    Dates, times, decimals and UUIDs become strings (Django's JSON encoder). Floats are refused:
    their text differs between databases and languages, which would break the digest.
    """
    if payload is None:
        return None
    if not isinstance(payload, dict):
        raise TypeError(f"a journal payload is a dict or None, not {type(payload).__name__}")
    text = json.dumps(payload, cls=DjangoJSONEncoder)
    try:
        data: dict[str, Any] = _NO_FLOATS.decode(text)
    except _FloatFound:
        _refuse_floats(json.loads(text), "payload")  # names where the float is
        raise ValueError("journal payload holds a float; pass it as a string or a Decimal") from None
    return data


class _FloatFound(Exception):
    pass


def _float_found(text: str) -> Any:
    raise _FloatFound(text)


#: Decodes JSON and stops at the first float (or NaN, Infinity), which ``_refuse_floats`` then names.
_NO_FLOATS = json.JSONDecoder(parse_float=_float_found, parse_constant=_float_found)


def _refuse_floats(value: Any, where: str) -> None:
    if isinstance(value, float):
        raise ValueError(f"journal {where} is a float ({value!r}); pass it as a string or a Decimal")
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_floats(item, f"{where}[{key!r}]")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_floats(item, f"{where}[{index}]")
