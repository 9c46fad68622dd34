"""Extension (Art. 12(3)) and refusal (Art. 12(4)-(5)): reasons required, the person told."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.personas import STAFF
from trustdesk.rights import services

pytestmark = pytest.mark.django_db


def test_it_extends_by_at_most_two_months_with_reasons_and_tells_the_person(
    travel, people, smtp, commit
) -> None:
    request = services.do_open_request("access", channel="email", actor=STAFF, email="anna@example.be")
    assert request.due_on == dt.date(2026, 2, 5)
    with pytest.raises(services.RequestError, match="needs its reasons"):
        services.do_extend(request, by="P2M", reason=" ", actor=STAFF)
    with pytest.raises(services.RequestError, match="longer than the P2M the policy allows"):
        services.do_extend(request, by="P3M", reason="many records", actor=STAFF)
    with commit():
        services.do_extend(
            request, by="P2M", reason="Your data is spread over 14 archived systems.", actor=STAFF
        )
    request.refresh_from_db()
    assert request.due_on == dt.date(2026, 4, 7)  # 5 April 2026 is Easter Sunday, 6 April Easter Monday
    assert request.events.filter(action="extended").exists()
    message = smtp.to("anna@example.be")[-1]
    text = smtp.text(message)
    assert "twee maanden" in text and "7 april 2026" in text and "14 archived systems" in text
    with pytest.raises(services.RequestError, match="was extended already"):
        services.do_extend(request, by="P1M", reason="more", actor=STAFF)


def test_it_refuses_an_extension_after_the_first_month(travel, people) -> None:
    request = services.do_open_request("access", channel="email", actor=STAFF, email="anna@example.be")
    travel.move_to(dt.datetime(2026, 2, 6, 9, tzinfo=dt.UTC))
    with pytest.raises(services.RequestError, match="within the first period, which ended on 2026-02-05"):
        services.do_extend(request, by="P1M", reason="late", actor=STAFF)


def test_it_refuses_with_reasons_and_tells_of_the_right_to_complain(people, smtp, commit) -> None:
    request = services.do_open_request(
        "access", channel="email", actor=STAFF, email="bob@jansen.example", language="en"
    )
    with pytest.raises(services.RequestError, match="needs its reasons"):
        services.do_refuse(request, ground="excessive", reasons="", actor=STAFF)
    with pytest.raises(services.RequestError, match="erasure only"):
        services.do_refuse(request, ground="not_justified", reasons="x", actor=STAFF)
    with commit():
        services.do_refuse(
            request,
            ground="manifestly_unfounded",
            reasons="You asked for data of another company.",
            actor=STAFF,
        )
    text = smtp.text(smtp.to("bob@jansen.example")[-1])
    assert "manifestly unfounded" in text
    assert "You asked for data of another company." in text
    # Belgium's authority, from the policy in effect (controller in BE, no authority given inline).
    assert "Gegevensbeschermingsautoriteit" in text or "Data Protection Authority" in text
    assert "Drukpersstraat 35" in text


def test_it_records_a_withdrawn_request(people) -> None:
    request = services.do_open_request("erasure", channel="phone", actor=STAFF, email="anna@example.be")
    services.do_withdraw_request(request, actor=STAFF, note="changed her mind on the phone")
    request.refresh_from_db()
    assert request.status == "withdrawn" and request.closed_at is not None
