"""Gives and withdrawals arriving at once on PostgreSQL: one event per change, never two in a row alike."""

from __future__ import annotations

from functools import partial
from itertools import pairwise

import pytest

from tests.concurrency import needs_postgresql, run_together
from tests.consent.conftest import NEWSLETTER, SUPPORT
from trustdesk.consent.models import ConsentEvent
from trustdesk.consent.services import do_give_consent, do_withdraw_consent
from trustdesk.journal.verify import verify


@pytest.mark.django_db(transaction=True)
def test_it_records_each_change_once_when_gives_and_withdrawals_race(policy, anna) -> None:
    needs_postgresql()

    def run(service) -> None:
        for _ in range(15):
            service(anna, NEWSLETTER, actor=SUPPORT, channel="portal", method="portal")

    errors = run_together(*(partial(run, s) for s in (do_give_consent, do_give_consent, do_withdraw_consent)))
    assert errors == []
    kinds = list(ConsentEvent.objects.filter(person=anna).order_by("at", "id").values_list("kind", flat=True))
    assert kinds and kinds[0] == "given"
    assert all(a != b for a, b in pairwise(kinds)), kinds
    result = verify()
    assert result.ok, result.problem
