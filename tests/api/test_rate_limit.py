"""Each API token may send so many requests in a minute of the clock (TRUSTDESK_THROTTLE_API); the next is
refused with 429 and not counted."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone

from tests.api.conftest import ORGANISATION, Api, Token, make_token
from trustdesk.accounts.models import ThrottleHit
from trustdesk.api.models import TokenWindow
from trustdesk.registry.models import Organisation


@pytest.fixture
def three_a_minute(settings) -> None:
    settings.TRUSTDESK_THROTTLE = {**settings.TRUSTDESK_THROTTLE, "api": (3, 60)}


def _minute_start() -> dt.datetime:
    """Five seconds into the current minute of the clock: what follows within 55 seconds is the same window."""
    return timezone.now().replace(second=5, microsecond=0)


def test_it_refuses_the_request_over_the_limit_and_says_when_to_send_again(
    api: Api, three_a_minute: None
) -> None:
    with time_machine.travel(_minute_start(), tick=False):
        for _ in range(3):
            assert api.get("/organisations/ORG-1").status_code == 404
        response = api.put("/organisations/ORG-1", ORGANISATION)
    assert response.status_code == 429
    assert response["Retry-After"] == "55"  # the rest of the minute
    assert response.json() == {
        "errors": {
            "authorization": "this token has sent the 3 requests it may send in a window of 60 seconds; "
            "send again in 55 seconds"
        }
    }
    assert not Organisation.objects.exists(), "a refused request changes nothing"


def test_it_counts_each_token_apart(api: Api, reader: Token, three_a_minute: None) -> None:
    with time_machine.travel(_minute_start(), tick=False):
        for _ in range(3):
            api.get("/organisations/ORG-1")
        assert api.get("/organisations/ORG-1").status_code == 429
        assert api.as_(reader).get("/organisations/ORG-1").status_code == 404


def test_it_accepts_requests_again_in_the_next_minute_and_forgets_the_last(
    api: Api, writer: Token, three_a_minute: None
) -> None:
    start = _minute_start()
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            api.get("/organisations/ORG-1")
        assert api.get("/organisations/ORG-1").status_code == 429
    with time_machine.travel(start + dt.timedelta(seconds=55), tick=False):
        assert api.put("/organisations/ORG-1", ORGANISATION).status_code == 201
    # One count per token and minute: the earlier minute's is gone.
    assert list(TokenWindow.objects.values_list("token_id", "starts_at", "requests")) == [
        (writer.token.pk, start.replace(second=0) + dt.timedelta(minutes=1), 1)
    ]


def test_it_does_not_count_the_refused_request(api: Api, three_a_minute: None) -> None:
    start = _minute_start()
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            api.get("/organisations/ORG-1")
    # A client that keeps sending while refused is let in as soon as the next minute begins.
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        for _ in range(5):
            assert api.get("/organisations/ORG-1").status_code == 429
    assert TokenWindow.objects.get().requests == 3
    with time_machine.travel(start + dt.timedelta(seconds=55), tick=False):
        assert api.get("/organisations/ORG-1").status_code == 404


def test_it_counts_requests_by_the_token_and_not_an_unknown_token(client, writer: Token) -> None:
    client.get("/api/organisations/ORG-1", HTTP_AUTHORIZATION="Bearer " + "x" * 43)
    assert not TokenWindow.objects.exists()
    start = _minute_start()
    with time_machine.travel(start, tick=False):
        for _ in range(2):
            client.get("/api/organisations/ORG-1", HTTP_AUTHORIZATION=f"Bearer {writer.plaintext}")
    [window] = TokenWindow.objects.all()
    assert (window.token_id, window.starts_at, window.requests) == (
        writer.token.pk,
        start.replace(second=0),
        2,
    )
    assert not ThrottleHit.objects.exists(), "no address of the caller is counted"


def test_it_limits_the_requests_api_too(client, db, three_a_minute: None) -> None:
    token = make_token("client area", "requests:read", "requests:write")
    headers = token.header
    body = json.dumps({"kind": "access", "email": "anna@example.be"})
    with time_machine.travel(_minute_start(), tick=False):
        for _ in range(3):
            assert client.get("/api/requests/R-2026-AAAAAA", headers=headers).status_code == 404
        response = client.post("/api/requests", body, content_type="application/json", headers=headers)
    assert response.status_code == 429
    assert "Retry-After" in response


def test_a_limit_of_0_counts_nothing(api: Api, settings) -> None:
    """TRUSTDESK_THROTTLE_API=0: the proxy in front limits instead, and no request writes a count."""
    settings.TRUSTDESK_THROTTLE = {**settings.TRUSTDESK_THROTTLE, "api": (0, 60)}
    for _ in range(5):
        assert api.get("/organisations/ORG-1").status_code == 404
    assert not TokenWindow.objects.exists()


def test_the_deployment_check_refuses_an_sqlite_too_old_to_count(
    monkeypatch: pytest.MonkeyPatch, settings
) -> None:
    import sqlite3

    from django.db import connection

    from trustdesk.api.checks import check_database_counts_api_requests

    if connection.vendor != "sqlite":
        pytest.skip("a check of the embedded database")
    assert check_database_counts_api_requests() == []
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")
    [error] = check_database_counts_api_requests()
    assert error.id == "trustdesk.E003" and "SQLite 3.34.1 cannot count" in error.msg
    settings.TRUSTDESK_THROTTLE = {**settings.TRUSTDESK_THROTTLE, "api": (0, 60)}
    assert check_database_counts_api_requests() == []  # nothing counted, nothing needed
