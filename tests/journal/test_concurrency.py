"""Concurrent appenders on PostgreSQL: no repeated seq, no fork of the chain."""

from __future__ import annotations

from functools import partial

import pytest
from django.db import transaction

from tests.concurrency import needs_postgresql, run_together
from trustdesk.journal.models import JournalEntry
from trustdesk.journal.services import record
from trustdesk.journal.verify import verify


@pytest.mark.django_db(transaction=True)
def test_it_serialises_two_threads_appending_200_entries_each() -> None:
    needs_postgresql()

    def append(name: str) -> None:
        for n in range(200):
            with transaction.atomic():
                record("test.thing.done", actor=f"user:{name}", object_type="test.thing", object_id=str(n))

    errors = run_together(partial(append, "1"), partial(append, "2"))
    assert errors == []
    assert list(JournalEntry.objects.values_list("seq", flat=True)) == list(range(1, 401))
    assert JournalEntry.objects.filter(actor="user:1").count() == 200
    result = verify()
    assert result.ok, result.problem
    assert result.checked == 400
