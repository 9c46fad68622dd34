"""Two workers counting one token's requests at once on PostgreSQL: exactly the limit gets through."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from tests.api.conftest import make_token
from trustdesk.accounts import throttle
from trustdesk.api.models import TokenWindow
from trustdesk.api.services import count_request


@pytest.mark.django_db(transaction=True)
def test_two_threads_counting_at_once_let_exactly_the_limit_through(settings) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks between connections are tested on PostgreSQL")
    settings.TRUSTDESK_THROTTLE = {**settings.TRUSTDESK_THROTTLE, "api": (50, 3600)}
    token = make_token("billing", "registry:read").token
    moment = timezone.now()
    accepted = [0, 0]
    refused = [0, 0]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def send(worker: int) -> None:
        try:
            start.wait()
            for _ in range(60):
                try:
                    count_request(token, now=moment)
                except throttle.Throttled:
                    refused[worker] += 1
                else:
                    accepted[worker] += 1
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(worker,)) for worker in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(accepted) == 50 and sum(refused) == 70
    assert list(TokenWindow.objects.values_list("requests", flat=True)) == [50]
