"""Sessions: log off, and log off everywhere (P0.9); cookies and headers."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.usersessions.models import UserSession
from allauth.usersessions.signals import session_client_changed
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.accounts.personas import log_in
from trustdesk.accounts.middleware import ACTIVITY_INTERVAL
from trustdesk.journal.models import JournalEntry

pytestmark = pytest.mark.django_db


def test_it_logs_off(client, personas) -> None:
    log_in(client, "olga@example.com")
    assert client.get("/account/logout/").status_code == 200  # asks to confirm
    assert client.post("/account/logout/").status_code == 302
    assert client.get("/portal/").status_code == 302
    assert JournalEntry.objects.filter(action="accounts.logged_out", object_id=str(personas.olga.pk)).exists()


def test_it_lists_open_sessions_and_logs_off_everywhere(personas) -> None:
    laptop, phone, colleague = Client(), Client(), Client()
    log_in(
        laptop,
        "olga@example.com",
    )
    log_in(phone, "olga@example.com")
    log_in(colleague, "bert@example.com")
    page = laptop.get("/account/sessions/").content.decode()
    assert page.count('class="session"') == 2
    assert laptop.post("/account/log-off-everywhere/")["Location"] == "/account/login/"
    assert laptop.get("/portal/").status_code == 302
    assert phone.get("/portal/").status_code == 302
    assert colleague.get("/portal/").status_code == 200  # another user's session stays
    assert Session.objects.count() >= 1
    entry = JournalEntry.objects.get(action="accounts.sessions_ended")
    assert entry.object_id == str(personas.olga.pk) and entry.payload == {"sessions": 2}


def test_log_off_everywhere_ends_a_session_it_has_no_record_of(personas) -> None:
    """A session from before session tracking (no allauth row) is found by the user id its sealed data
    carries."""
    laptop, phone = Client(), Client()
    log_in(laptop, "olga@example.com")
    log_in(phone, "olga@example.com")
    UserSession.objects.filter(session_key=phone.session.session_key).delete()
    assert laptop.post("/account/log-off-everywhere/").status_code == 302
    assert phone.get("/portal/").status_code == 302
    entry = JournalEntry.objects.get(action="accounts.sessions_ended")
    assert entry.payload == {"sessions": 2}


FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.4 Mobile/15E148 Safari/604.1"
)


def test_it_names_each_sessions_browser_as_a_person_knows_it(personas) -> None:
    laptop, phone = Client(HTTP_USER_AGENT=FIREFOX_ON_WINDOWS), Client(HTTP_USER_AGENT=SAFARI_ON_IPHONE)
    log_in(laptop, "olga@example.com")
    log_in(phone, "olga@example.com")
    page = laptop.get("/account/sessions/").content.decode()
    assert ">Firefox 128 on Windows 10/11 <mark>this browser</mark></td>" in page
    assert ">Mobile Safari 17 on iOS 17</td>" in page
    assert f'title="{FIREFOX_ON_WINDOWS}"' in page  # the header as sent, for who wants it
    dutch = laptop.get("/account/sessions/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Firefox 128 op Windows 10/11" in dutch
    history = phone.get("/account/history/").content.decode()
    assert history.count("<td>Mobile Safari 17 on iOS 17</td>") == 1
    assert history.count("<td>Firefox 128 on Windows 10/11</td>") == 1


def test_it_refuses_to_log_off_everywhere_by_a_get(client, personas) -> None:
    log_in(client, "olga@example.com")
    assert client.get("/account/log-off-everywhere/").status_code == 405


def test_it_needs_the_csrf_token_to_log_off_everywhere(personas) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas.olga)
    assert strict.post("/account/log-off-everywhere/").status_code == 403


def test_it_shows_the_log_in_history_from_the_journal(client, personas) -> None:
    log_in(client, "olga@example.com", "wrong")
    log_in(client, "olga@example.com")
    page = client.get("/account/history/").content.decode()
    assert "Failed log-in" in page and "Logged in" in page
    assert "bert" not in page


def test_it_sets_http_only_cookies_and_a_strict_content_security_policy(client, personas) -> None:
    response = log_in(client, "olga@example.com")
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    page = client.get("/account/")
    policy = page["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def _seen(personas) -> list[tuple[str, str, dt.datetime]]:
    return list(
        UserSession.objects.filter(user=personas.olga).values_list("ip", "user_agent", "last_seen_at")
    )


def test_it_writes_a_sessions_activity_every_few_minutes_not_on_every_request(personas) -> None:
    browser = Client(HTTP_USER_AGENT="Firefox", REMOTE_ADDR="203.0.113.5")
    log_in(browser, "olga@example.com")
    browser.get("/portal/")
    [(ip, agent, first)] = _seen(personas)
    assert (ip, agent) == ("203.0.113.5", "Firefox")
    with CaptureQueriesContext(connection) as queries:
        assert browser.get("/portal/").status_code == 200
    writes = [
        q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")
    ]
    assert writes == []
    assert _seen(personas) == [(ip, agent, first)]
    # Once the last write is older than the interval, the next request writes it again.
    UserSession.objects.filter(user=personas.olga).update(last_seen_at=first - ACTIVITY_INTERVAL)
    browser.get("/portal/")
    [(_, _, later)] = _seen(personas)
    assert later > first


def test_it_writes_at_once_when_the_sessions_address_or_browser_changes(personas) -> None:
    changed: list[tuple[str, str]] = []

    def record(sender, request, from_session, to_session, **kwargs) -> None:
        changed.append((from_session.ip, to_session.ip))

    session_client_changed.connect(record)
    try:
        browser = Client(HTTP_USER_AGENT="Firefox", REMOTE_ADDR="203.0.113.5")
        log_in(browser, "olga@example.com")
        browser.get("/portal/")
        browser.get("/portal/", REMOTE_ADDR="198.51.100.9")
        assert [row[:2] for row in _seen(personas)] == [("198.51.100.9", "Firefox")]
        browser.get("/portal/", REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT="Chromium")
        assert [row[:2] for row in _seen(personas)] == [("198.51.100.9", "Chromium")]
    finally:
        session_client_changed.disconnect(record)
    assert changed == [("203.0.113.5", "198.51.100.9"), ("198.51.100.9", "198.51.100.9")]
