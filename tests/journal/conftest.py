"""Journal fixtures: a short journal, and SQL that goes behind the ORM's back."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from trustdesk.journal.chain import entry_hash
from trustdesk.journal.models import JournalEntry
from trustdesk.journal.services import record

TABLE = "journal_journalentry"
HEAD = "journal_journalhead"


def sql(query: str, params: list[Any] | tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run SQL directly, as an attacker with database access would.

    ``{table}`` and ``{head}`` name the journal's tables; ``{json}`` is the placeholder for a
    JSON value on this database.
    """
    json = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        cursor.execute(query.format(table=TABLE, head=HEAD, json=json), params)
        return cursor.fetchall() if cursor.description else []


def rehash(seq: int, prev_hash: str) -> str:
    """Recompute one entry's hash from its stored core with a given previous hash; store both."""
    row = JournalEntry.objects.filter(seq=seq).values_list(
        "at", "actor", "action", "object_type", "object_id", "payload_digest"
    )[0]
    new = entry_hash(seq, *row, prev_hash)
    sql("UPDATE {table} SET prev_hash = %s, hash = %s WHERE seq = %s", [prev_hash, new, seq])
    return new


@pytest.fixture
def five(db) -> list[JournalEntry]:
    """Five entries about two people, each with a personal payload."""
    with transaction.atomic():
        return [
            record(
                "registry.person.created" if n < 3 else "registry.person.updated",
                actor="user:42" if n % 2 else "system",
                object_type="registry.person",
                object_id=str(100 + n % 2),
                payload={"email": f"person{n}@example.com", "name": f"Person {n}"},
            )
            for n in range(1, 6)
        ]
