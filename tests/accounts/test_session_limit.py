"""A signed-in session lasts at most SESSION_COOKIE_AGE (eight hours) from its log-in, whatever its activity."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client

from tests.accounts.personas import log_in
from tests.api.conftest import make_token
from trustdesk.accounts.middleware import SESSION_BEGAN
from trustdesk.journal.models import JournalEntry

pytestmark = pytest.mark.django_db

#: A moment after the personas and the policy were made (a log-in before them would not work).
SIGNED_IN = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
LIMIT = dt.timedelta(hours=8)
SECOND = dt.timedelta(seconds=1)


def _logged_out(personas) -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(action="accounts.logged_out", object_id=str(personas.olga.pk)))


def test_the_limit_is_eight_hours(settings) -> None:
    assert LIMIT.total_seconds() == settings.SESSION_COOKIE_AGE


def test_it_keeps_a_session_just_under_the_limit_and_ends_it_just_over(personas) -> None:
    browser = Client()
    with time_machine.travel(SIGNED_IN, tick=False):
        assert log_in(browser, "olga@example.com").status_code == 302
        assert browser.session[SESSION_BEGAN] == SIGNED_IN.timestamp()
    with time_machine.travel(SIGNED_IN + LIMIT - SECOND, tick=False):
        assert browser.get("/portal/").status_code == 200
    assert _logged_out(personas) == []
    with time_machine.travel(SIGNED_IN + LIMIT + SECOND, tick=False):
        ended = browser.get("/portal/")
        assert ended.status_code == 302
        assert ended["Location"] == "/account/login/?next=/portal/"
        page = browser.get(ended["Location"]).content.decode()
        assert "You were logged off: a session lasts at most 8 hours. Log in again." in page
        assert browser.get("/portal/").status_code == 302  # logged off, not only turned away once
    [entry] = _logged_out(personas)
    assert entry.actor == "system" and (entry.payload or {})["reason"] == "session_limit"
    history_client = Client()
    with time_machine.travel(SIGNED_IN + LIMIT + 2 * SECOND, tick=False):
        log_in(history_client, "olga@example.com")
        history = history_client.get("/account/history/").content.decode()
    assert "Logged off: the session reached its time limit" in history


def test_activity_and_changes_to_the_session_do_not_extend_it(personas) -> None:
    browser = Client()
    with time_machine.travel(SIGNED_IN, tick=False):
        log_in(browser, "olga@example.com")
    for hour in range(1, 8):
        with time_machine.travel(SIGNED_IN + dt.timedelta(hours=hour), tick=False):
            assert browser.get("/portal/").status_code == 200
            session = browser.session
            session["touched"] = hour  # any change (a message, a form's state) moves Django's expiry
            session.save()
    [stored] = Session.objects.all()
    assert stored.expire_date > SIGNED_IN + LIMIT + dt.timedelta(hours=6)
    with time_machine.travel(SIGNED_IN + LIMIT, tick=False):
        assert browser.get("/portal/").status_code == 302
    assert not Session.objects.filter(pk=stored.pk).exists()
    assert len(_logged_out(personas)) == 1


def test_a_post_past_the_limit_does_nothing_and_goes_to_the_log_in_page(personas) -> None:
    browser = Client()
    with time_machine.travel(SIGNED_IN, tick=False):
        log_in(browser, "olga@example.com")
    with time_machine.travel(SIGNED_IN + dt.timedelta(hours=1), tick=False):
        browser.get("/account/")  # shows the log-in's message: the session changes
    with time_machine.travel(SIGNED_IN + LIMIT + SECOND, tick=False):
        answer = browser.post("/account/log-off-everywhere/")
    assert answer.status_code == 302 and answer["Location"] == "/account/login/"
    assert not JournalEntry.objects.filter(action="accounts.sessions_ended").exists()


def test_a_session_unchanged_since_its_log_in_expires_at_the_limit_on_its_own(personas) -> None:
    browser = Client()
    with time_machine.travel(SIGNED_IN, tick=False):
        log_in(browser, "olga@example.com")
    with time_machine.travel(SIGNED_IN + LIMIT + SECOND, tick=False):
        # Django's own expiry (the last change, the log-in, plus eight hours) comes first: no session.
        assert browser.get("/portal/")["Location"] == "/account/login/?next=/portal/"


def test_a_session_that_does_not_say_when_it_began_is_ended(personas) -> None:
    browser = Client()
    log_in(browser, "olga@example.com")
    session = browser.session
    del session[SESSION_BEGAN]  # signed in before the limit was recorded
    session.save()
    assert browser.get("/portal/").status_code == 302
    assert browser.get("/portal/").status_code == 302


def test_it_counts_a_staff_members_session_from_their_log_in_too(personas) -> None:
    staff = Client()
    with time_machine.travel(SIGNED_IN, tick=False):
        staff.force_login(personas.pia)
    with time_machine.travel(SIGNED_IN + LIMIT - SECOND, tick=False):
        assert staff.get("/console/").status_code == 200
        session = staff.session
        session["touched"] = True
        session.save()
    with time_machine.travel(SIGNED_IN + LIMIT + SECOND, tick=False):
        assert staff.get("/console/")["Location"] == "/account/login/?next=/console/"
    assert (JournalEntry.objects.get(action="accounts.logged_out").payload or {})["reason"] == "session_limit"


def test_a_new_log_in_starts_a_new_session_with_its_own_limit(personas) -> None:
    browser = Client()
    with time_machine.travel(SIGNED_IN, tick=False):
        log_in(browser, "olga@example.com")
    later = SIGNED_IN + LIMIT + SECOND
    with time_machine.travel(later, tick=False):
        browser.get("/portal/")
        log_in(browser, "olga@example.com")
    with time_machine.travel(later + LIMIT - SECOND, tick=False):
        assert browser.get("/portal/").status_code == 200


def test_the_apis_bearer_tokens_are_not_concerned(personas) -> None:
    token = make_token("billing", "registry:read")
    headers = {"Authorization": f"Bearer {token.plaintext}"}
    alone = Client()
    browser = Client()
    with time_machine.travel(SIGNED_IN, tick=False):
        log_in(browser, "olga@example.com")
    with time_machine.travel(SIGNED_IN + LIMIT * 3, tick=False):
        # Authenticated by the token: the organisation is not found (401 without it).
        assert alone.get("/api/organisations/ORG-9", headers=headers).status_code == 404
        assert alone.get("/api/organisations/ORG-9").status_code == 401
        # A session cookie sent along does not turn the API's answer into a redirect.
        assert browser.get("/api/organisations/ORG-9", headers=headers).status_code == 404
        assert browser.get("/portal/").status_code == 302


def test_the_open_sessions_page_ends_and_leaves_out_sessions_past_the_limit(personas) -> None:
    laptop, phone = Client(), Client()
    with time_machine.travel(SIGNED_IN, tick=False):
        log_in(laptop, "olga@example.com")
        log_in(phone, "olga@example.com")
    with time_machine.travel(SIGNED_IN + dt.timedelta(hours=7), tick=False):
        assert phone.get("/account/").status_code == 200  # shows the log-in's message: the session changes
        assert laptop.get("/account/sessions/").content.decode().count('class="session"') == 2
    with time_machine.travel(SIGNED_IN + LIMIT + SECOND, tick=False):
        log_in(laptop, "olga@example.com")  # a new session; the phone's is past the limit, unused
        page = laptop.get("/account/sessions/")
        assert page.status_code == 200 and page.content.decode().count('class="session"') == 1
        laptops, phones = _logged_out(personas)  # the laptop's old one at the new log-in, the phone's here
        assert laptops.actor == phones.actor == "system"
        laptop_payload = laptops.payload or {}
        assert laptop_payload["reason"] == "session_limit" and "ip" in laptop_payload
        assert phones.payload == {"reason": "session_limit"}  # not its request: no address
        assert phone.get("/portal/")["Location"] == "/account/login/?next=/portal/"
    assert len(_logged_out(personas)) == 2


def test_a_log_in_sent_with_a_session_past_the_limit_logs_in(personas) -> None:
    browser = Client()
    with time_machine.travel(SIGNED_IN, tick=False):
        log_in(browser, "olga@example.com")
    with time_machine.travel(SIGNED_IN + dt.timedelta(hours=1), tick=False):
        browser.get("/account/")  # shows the log-in's message: the session changes
    with time_machine.travel(SIGNED_IN + LIMIT + SECOND, tick=False):
        form = browser.get("/account/login/")
        assert form.status_code == 200
        assert "You were logged off: a session lasts at most 8 hours." in form.content.decode()
        assert log_in(browser, "olga@example.com").status_code == 302
        assert browser.get("/portal/").status_code == 200
    assert len(_logged_out(personas)) == 1
