"""Identity (P3.11): proportionate checks, the clock standing still while it is awaited, no document kept."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.personas import STAFF
from trustdesk.rights import services
from trustdesk.rights.models import Pause, Request, Status

pytestmark = pytest.mark.django_db


def test_it_stops_the_clock_while_identity_is_awaited(travel, people) -> None:
    travel.move_to(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC))
    request = services.do_open_request("access", channel="email", actor=STAFF, email="anna@example.be")
    assert request.due_on == dt.date(2026, 7, 1)
    travel.move_to(dt.datetime(2026, 6, 10, 9, tzinfo=dt.UTC))
    services.do_ask_identity(request, actor=STAFF)
    travel.move_to(dt.datetime(2026, 6, 15, 9, tzinfo=dt.UTC))
    request.refresh_from_db()
    services.do_verify_identity(request, method="id_document", actor=STAFF, note="passport seen, not copied")
    request.refresh_from_db()
    # Five days paused (10 to 15 June): 1 July + 5 = 6 July, a Monday.
    assert request.due_on == dt.date(2026, 7, 6)
    assert request.status == Status.IN_PROGRESS
    assert request.identity_method == "id_document"
    pause = Pause.objects.get(request=request)
    assert (pause.started_on, pause.ended_on) == (dt.date(2026, 6, 10), dt.date(2026, 6, 15))


def test_it_never_stores_an_identity_document(people) -> None:
    field_names = {f.name for f in Request._meta.get_fields()}
    assert not {"document", "id_document", "passport", "scan"} & field_names
    request = services.do_open_request("access", channel="letter", actor=STAFF, email="anna@example.be")
    services.do_verify_identity(request, method="id_document", actor=STAFF, note="identity card checked")
    request.refresh_from_db()
    assert request.identity_note == "identity card checked"
    assert not request.original


def test_it_refuses_an_unknown_method_and_a_second_verification(people) -> None:
    request = services.do_open_request("access", channel="letter", actor=STAFF, email="anna@example.be")
    with pytest.raises(services.RequestError, match="is not a way of verifying identity"):
        services.do_verify_identity(request, method="gut_feeling", actor=STAFF)
    services.do_verify_identity(request, method="staff", actor=STAFF)
    with pytest.raises(services.IllegalMove, match="identity is already settled"):
        services.do_verify_identity(request, method="staff", actor=STAFF)


def test_it_lapses_requests_whose_identity_never_came(travel, people) -> None:
    request = services.do_open_request("erasure", channel="email", actor=STAFF, email="anna@example.be")
    services.do_ask_identity(request, actor=STAFF)
    travel.move_to(dt.datetime(2026, 1, 20, 9, tzinfo=dt.UTC))
    assert services.do_lapse_unverified(actor=STAFF) == 0
    travel.move_to(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC))
    assert services.do_lapse_unverified(actor=STAFF) == 1
    request.refresh_from_db()
    assert request.status == Status.LAPSED


def test_it_verifies_as_the_policy_says(publish, people) -> None:
    from tests.conftest import POLICY as STRICT  # id_document: never, signed_in: two_factor (the defaults)

    publish(STRICT)
    request = services.do_open_request("access", channel="letter", actor=STAFF, email="anna@example.be")
    with pytest.raises(
        services.RequestError, match=r"asks for no identity document \(rights.identity.id_document"
    ):
        services.do_verify_identity(request, method="id_document", actor=STAFF)
    with pytest.raises(services.RequestError, match="a session alone is not enough"):
        services.do_verify_identity(request, method="session", actor=STAFF)
    services.do_verify_identity(request, method="two_factor", actor=STAFF)
