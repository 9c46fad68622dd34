"""The request queue: open requests by due date, overdue first, with their urgency; filters; who sees it."""

from __future__ import annotations

import pytest

from tests.console.conftest import Desk
from tests.personas import STAFF
from trustdesk.rights import services

pytestmark = pytest.mark.django_db


def test_it_lists_open_requests_overdue_first_with_their_urgency(desk: Desk) -> None:
    fresh = desk.open("access", days_ago=0)
    overdue = desk.open("erasure", days_ago=45)
    soon = desk.open("portability", days_ago=27)
    closed = desk.open("access", days_ago=50)
    services.do_withdraw_request(closed, actor=STAFF)
    response = desk.client("pia").get("/console/requests/")
    assert response.status_code == 200
    html = response.content.decode()
    positions = [html.index(r.reference) for r in (overdue, soon, fresh)]
    assert positions == sorted(positions)
    assert closed.reference not in html
    rows = {row["request"].reference: row for row in response.context["rows"]}
    assert str(rows[overdue.reference]["urgency"].label) == "overdue"
    assert rows[overdue.reference]["urgency"].css == "tone tone-red"
    assert rows[fresh.reference]["urgency"].css == "tone tone-green"
    assert '<span class="tone tone-red">overdue</span>' in html
    assert "erasure (Art. 17)" in html


def test_it_filters_by_kind_and_status_and_shows_closed_ones_when_asked(desk: Desk) -> None:
    access = desk.open("access")
    erasure = desk.open("erasure")
    closed = desk.open("access")
    services.do_withdraw_request(closed, actor=STAFF)
    client = desk.client("sam")
    listed = [r["request"] for r in client.get("/console/requests/?kind=erasure").context["rows"]]
    assert listed == [erasure]
    listed = [r["request"] for r in client.get("/console/requests/?status=withdrawn").context["rows"]]
    assert listed == [closed]
    listed = [r["request"] for r in client.get("/console/requests/?kind=access&closed=on").context["rows"]]
    assert listed == [access, closed]
    bad = client.get("/console/requests/?kind=astrology")
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.content.decode()


@pytest.mark.parametrize(
    ("who", "expected"), [("sam", 200), ("pia", 200), ("ada", 200), ("abe", 403), (None, 302)]
)
def test_it_shows_the_queue_to_request_staff_only(desk: Desk, who, expected) -> None:
    assert desk.client(who).get("/console/requests/").status_code == expected


def test_it_refuses_customers(desk: Desk) -> None:
    client = desk.client(None)
    client.force_login(desk.staff.olga)
    assert client.get("/console/requests/").status_code == 403


def test_it_speaks_dutch(desk: Desk) -> None:
    desk.open("erasure", days_ago=45)
    html = desk.client("pia").get("/console/requests/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Wachtrij van verzoeken" in html
    assert '<span class="tone tone-red">te laat</span>' in html and "wissing (art. 17)" in html
