"""The request queue: open requests by due date, overdue first, with their urgency; filters; who sees it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.console.conftest import Desk
from tests.personas import STAFF
from trustdesk.console.views import requests as request_views
from trustdesk.rights import services
from trustdesk.rights.queries import QueueCounts

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
    rows = {row["reference"]: row for row in response.context["rows"]}
    assert str(rows[overdue.reference]["urgency"].label) == "overdue"
    assert rows[overdue.reference]["urgency"].css == "tone tone-red"
    assert rows[fresh.reference]["urgency"].css == "tone tone-green"
    assert '<span class="tone tone-red">overdue</span>' in html
    assert "erasure (Art. 17)" in html
    for reference, row in rows.items():
        url = reverse("console:request", args=[reference])
        assert row["url"] == url and f'<a href="{url}">{reference}</a>' in html


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


def _references(response) -> list[str]:
    return [row["reference"] for row in response.context["rows"]]


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(request_views, "QUEUE_PAGE_SIZE", 3)
    return 3


def test_it_pages_the_queue_overdue_first_then_by_deadline(desk: Desk, small_pages: int) -> None:
    made = [desk.open("access", days_ago=days) for days in (0, 45, 10, 60, 27, 33, 5)]
    closed = desk.open("erasure", days_ago=70)
    services.do_withdraw_request(closed, actor=STAFF)
    expected = [r.reference for r in sorted(made, key=lambda r: (r.due_on, r.received_at, r.pk))]
    client = desk.client("pia")
    pages = [client.get("/console/requests/", {"page": n}) for n in (1, 2, 3)]
    assert [p.status_code for p in pages] == [200, 200, 200]
    assert [_references(p) for p in pages] == [expected[0:3], expected[3:6], expected[6:7]]
    first = pages[0].content.decode()
    assert "1 to 3 of 7 requests" in first and "Page 1 of 3" in first
    assert '<nav class="pagination" aria-label="Pages of the queue">' in first
    assert '<a href="?page=2" rel="next">Next page</a>' in first
    assert 'rel="prev"' not in first
    last = pages[2].content.decode()
    assert '<a href="?page=2" rel="prev">Previous page</a>' in last and 'rel="next"' not in last
    assert '<span aria-current="page">Page 3 of 3</span>' in last
    # A page past the end shows the last one; a page that is no number the first.
    assert _references(client.get("/console/requests/", {"page": 99})) == expected[6:7]
    assert _references(client.get("/console/requests/", {"page": "x"})) == expected[0:3]


def test_it_counts_every_open_and_overdue_request_at_the_top_whatever_the_filters(
    desk: Desk, small_pages: int
) -> None:
    for days in (0, 10, 40, 45, 50):  # the last three are past their month
        desk.open("access", days_ago=days)
    desk.open("erasure", days_ago=60)
    closed = desk.open("erasure", days_ago=70)
    services.do_withdraw_request(closed, actor=STAFF)
    client = desk.client("sam")
    queries: list[dict[str, str | int]] = [{}, {"kind": "erasure"}, {"page": 2}]
    for query in queries:
        response = client.get("/console/requests/", query)
        assert response.context["counts"] == QueueCounts(open=6, overdue=4, unsent=0)
        assert "6 open requests, 4 overdue." in response.content.decode()
    html = client.get("/console/requests/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "6 openstaande verzoeken, 4 te laat." in html
    assert "1 tot 3 van 6 verzoeken" in html and "Pagina 1 van 2" in html
    assert "Volgende pagina" in html and 'aria-label="Pagina\'s van de wachtrij"' in html


def test_it_keeps_the_filters_in_the_page_links(desk: Desk, small_pages: int) -> None:
    erasures = [desk.open("erasure", days_ago=days) for days in (1, 2, 3, 4)]
    desk.open("access", days_ago=5)
    closed = desk.open("erasure", days_ago=50)
    services.do_withdraw_request(closed, actor=STAFF)
    client = desk.client("pia")
    first = client.get("/console/requests/", {"kind": "erasure", "closed": "on"})
    assert '<a href="?kind=erasure&amp;closed=on&amp;page=2" rel="next">' in first.content.decode()
    second = client.get("/console/requests/", {"kind": "erasure", "closed": "on", "page": "2"})
    expected = [r.reference for r in sorted(erasures, key=lambda r: (r.due_on, r.received_at, r.pk))]
    assert _references(first) + _references(second) == [*expected, closed.reference]
    assert "selected>erasure (Art. 17)" in second.content.decode()  # the filter stays chosen


def test_it_runs_the_same_queries_for_a_full_page_as_for_a_few_requests(desk: Desk) -> None:
    client = desk.client("pia")
    client.get("/console/requests/")  # the session's first request writes its activity once

    def queries_for_queue() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/console/requests/")
        assert response.status_code == 200
        return len(queries.captured_queries)

    desk.open("access")
    few = queries_for_queue()
    for days in range(request_views.QUEUE_PAGE_SIZE + 5):
        desk.open("erasure", days_ago=days % 40)
    many = queries_for_queue()
    assert len(client.get("/console/requests/").context["rows"]) == request_views.QUEUE_PAGE_SIZE
    assert many == few
    # The session, the user, its session row, profile, policy and authenticator; the counts (which give
    # the unfiltered queue's number of requests), the count of requests with an e-mail not sent, and the page.
    assert many <= 9
