"""Requests as cases: opening, the one transition function, the timeline and the journal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.personas import STAFF
from trustdesk.journal.models import JournalEntry
from trustdesk.journal.verify import verify
from trustdesk.registry.services import IntakeError
from trustdesk.rights import services
from trustdesk.rights.models import Event, Request, Status

pytestmark = pytest.mark.django_db


def _at(day: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(day + "T10:00"))


def test_it_gives_a_readable_unique_case_number(people) -> None:
    refs = {
        services.do_open_request("access", channel="email", actor=STAFF, email="x@example.org").reference
        for _ in range(20)
    }
    assert len(refs) == 20
    for ref in refs:
        assert ref.startswith(f"R-{timezone.localdate().year}-") and len(ref) == 13
        assert not set(ref[7:]) & set("01ILO")


def test_it_sets_the_due_date_one_month_from_receipt_on_a_working_day(travel, people) -> None:
    # 5 March 2026 + one month = 5 April, Easter Sunday; Easter Monday is a Belgian holiday: 7 April.
    request = services.do_open_request(
        "access", channel="letter", actor=STAFF, email="anna@example.be", received_at=_at("2026-03-05")
    )
    assert request.received_on == dt.date(2026, 3, 5)
    assert request.due_on == dt.date(2026, 4, 7)
    request = services.do_open_request(
        "access", channel="letter", actor=STAFF, email="anna@example.be", received_at=_at("2026-08-31")
    )
    assert request.due_on == dt.date(2026, 9, 30)


def test_it_refuses_an_unknown_kind_channel_or_address_naming_the_field(people) -> None:
    with pytest.raises(IntakeError) as caught:
        services.do_open_request("forget_me", channel="email", actor=STAFF, email="a@example.org")
    assert "kind" in caught.value.message_dict
    with pytest.raises(IntakeError) as caught:
        services.do_open_request("access", channel="pigeon", actor=STAFF, email="a@example.org")
    assert "channel" in caught.value.message_dict
    with pytest.raises(IntakeError) as caught:
        services.do_open_request("access", channel="email", actor=STAFF, email="not an address")
    assert caught.value.message_dict == {"email": ["this is not an e-mail address"]}
    assert Request.objects.count() == 0


def test_it_refuses_a_card_number_in_the_details(people) -> None:
    with pytest.raises(IntakeError) as caught:
        services.do_open_request(
            "access",
            channel="email",
            actor=STAFF,
            email="a@example.org",
            details="my card 4111 1111 1111 1111",
        )
    assert "4111" not in str(caught.value.message_dict)
    assert Request.objects.count() == 0


def test_it_matches_the_one_person_on_record_and_nobody_when_ambiguous(people) -> None:
    assert (
        services.do_open_request("access", channel="email", actor=STAFF, email="ANNA@example.be").person
        == people.anna
    )
    assert (
        services.do_open_request("access", channel="email", actor=STAFF, email="nobody@example.org").person
        is None
    )
    people.bob.email = "anna@example.be"
    people.bob.save()
    assert (
        services.do_open_request("access", channel="email", actor=STAFF, email="anna@example.be").person
        is None
    )


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], Status.FULFILLED),
        ([Status.AWAITING_IDENTITY], Status.AWAITING_CONFIRMATION),
        ([Status.IN_PROGRESS, Status.FULFILLED], Status.IN_PROGRESS),
        ([Status.REFUSED], Status.IN_PROGRESS),
        ([Status.WITHDRAWN], Status.RECEIVED),
        ([Status.IN_PROGRESS], "finished"),
    ],
)
def test_it_refuses_illegal_moves(people, path, illegal) -> None:
    request = services.do_open_request("access", channel="email", actor=STAFF, email="anna@example.be")
    for status in path:
        services.transition(request, status, actor=STAFF)
    before = (Event.objects.count(), JournalEntry.objects.count())
    with pytest.raises(services.IllegalMove):
        services.transition(request, illegal, actor=STAFF)
    request.refresh_from_db()
    assert request.status == (path[-1] if path else Status.RECEIVED)
    assert (Event.objects.count(), JournalEntry.objects.count()) == before


def test_it_puts_every_transition_on_the_timeline_and_in_the_journal(people) -> None:
    request = services.do_open_request("access", channel="email", actor=STAFF, email="anna@example.be")
    services.do_ask_identity(request, actor=STAFF)
    services.do_verify_identity(request, method="staff", actor=STAFF, note="called back")
    services.do_refuse(
        request, ground="excessive", reasons="the fourth identical request this month", actor=STAFF
    )
    events = list(request.events.order_by("at", "id"))
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("opened", "", "received"),
        ("awaiting_identity", "received", "awaiting_identity"),
        ("in_progress", "awaiting_identity", "in_progress"),
        ("refused", "in_progress", "refused"),
    ]
    entries = JournalEntry.objects.filter(object_type="rights.request", object_id=str(request.pk)).order_by(
        "seq"
    )
    assert [e.action for e in entries] == [f"rights.request.{e.action}" for e in events]
    assert [e.seq for e in entries] == [e.journal_seq for e in events]
    for entry in entries:  # the core names the request by its id, never the person
        assert "anna" not in f"{entry.actor}{entry.action}{entry.object_type}{entry.object_id}".lower()
    assert verify().ok
    request.refresh_from_db()
    assert request.closed_at is not None and not request.is_open
