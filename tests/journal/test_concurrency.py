"""Concurrent appenders on PostgreSQL: no repeated seq, no fork of the chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from trustdesk.journal.models import JournalEntry
from trustdesk.journal.services import record
from trustdesk.journal.verify import verify


@pytest.mark.django_db(transaction=True)
def test_it_serialises_two_threads_appending_200_entries_each() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks between connections are tested on PostgreSQL")
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def append(name: str) -> None:
        try:
            start.wait()
            for n in range(200):
                with transaction.atomic():
                    record(
                        "test.thing.done", actor=f"user:{name}", object_type="test.thing", object_id=str(n)
                    )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(name,)) for name in ("1", "2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert list(JournalEntry.objects.values_list("seq", flat=True)) == list(range(1, 401))
    assert JournalEntry.objects.filter(actor="user:1").count() == 200
    result = verify()
    assert result.ok, result.problem
    assert result.checked == 400
