"""Two workers counting one token's requests at once on PostgreSQL: exactly the limit gets through."""

from __future__ import annotations

from functools import partial

import pytest
from django.utils import timezone

from tests.api.conftest import make_token
from tests.concurrency import needs_postgresql, run_together
from trustdesk.accounts import throttle
from trustdesk.api.models import TokenWindow
from trustdesk.api.services import count_request


@pytest.mark.django_db(transaction=True)
def test_two_threads_counting_at_once_let_exactly_the_limit_through(settings) -> None:
    needs_postgresql()
    settings.TRUSTDESK_THROTTLE = {**settings.TRUSTDESK_THROTTLE, "api": (50, 3600)}
    token = make_token("billing", "registry:read").token
    moment = timezone.now()
    accepted = [0, 0]
    refused = [0, 0]

    def send(worker: int) -> None:
        for _ in range(60):
            try:
                count_request(token, now=moment)
            except throttle.Throttled:
                refused[worker] += 1
            else:
                accepted[worker] += 1

    errors = run_together(partial(send, 0), partial(send, 1))
    assert errors == []
    assert sum(accepted) == 50 and sum(refused) == 70
    assert list(TokenWindow.objects.values_list("requests", flat=True)) == [50]
