"""Gives and withdrawals arriving at once on PostgreSQL: one event per change, never two in a row alike."""

from __future__ import annotations

import threading
from itertools import pairwise

import pytest
from django.db import connection, connections

from tests.consent.conftest import NEWSLETTER, SUPPORT
from trustdesk.consent.models import ConsentEvent
from trustdesk.consent.services import do_give_consent, do_withdraw_consent
from trustdesk.journal.verify import verify


@pytest.mark.django_db(transaction=True)
def test_it_records_each_change_once_when_gives_and_withdrawals_race(policy, anna) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks between connections are tested on PostgreSQL")
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def run(service) -> None:
        try:
            start.wait()
            for _ in range(15):
                service(anna, NEWSLETTER, actor=SUPPORT, channel="portal", method="portal")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(service,))
        for service in (do_give_consent, do_give_consent, do_withdraw_consent)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    kinds = list(ConsentEvent.objects.filter(person=anna).order_by("at", "id").values_list("kind", flat=True))
    assert kinds and kinds[0] == "given"
    assert all(a != b for a, b in pairwise(kinds)), kinds
    result = verify()
    assert result.ok, result.problem
