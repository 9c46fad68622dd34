"""The session store and the profile read of every signed-in request: compiled once, answering as
Django's own code does."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.accounts.personas import PASSWORD, fresh_totp_code, log_in
from trustdesk.accounts import access
from trustdesk.accounts.access import user_has_two_factor
from trustdesk.accounts.models import Profile
from trustdesk.accounts.sealing import is_sealed
from trustdesk.accounts.sessions import SessionStore
from trustdesk.lib import prepared

pytestmark = pytest.mark.django_db

#: Session keys a cookie can carry: Django's own shape and what a hostile client may send instead.
HOSTILE_KEYS = [
    "k" * 8,
    "a%_\\'\";--b",
    "x" * 4096,
    "séance-ü-\u00e9-\U0001f600",
    "  spaced key  ",
    "UPPERlower",
]


def _saved(data: dict[str, object], *, expired: bool = False) -> str:
    store = SessionStore()
    store.update(data)
    store.save()
    assert store.session_key is not None
    if expired:
        Session.objects.filter(session_key=store.session_key).update(
            expire_date=timezone.now() - dt.timedelta(seconds=1)
        )
    return store.session_key


class DjangoLookup(DjangoSessionStore):
    """Django's own store, reading and writing the data as ours does (sealed): what differs is the
    lookup."""

    def encode(self, session_dict: dict[str, object]) -> str:
        return SessionStore().encode(session_dict)

    def decode(self, session_data: bytes | str) -> dict[str, object]:
        return SessionStore().decode(session_data)


def _both(
    key: str | None,
) -> tuple[tuple[dict[str, object], str | None], tuple[dict[str, object], str | None]]:
    ours, django = SessionStore(key), DjangoLookup(key)
    return (dict(ours.items()), ours.session_key), (dict(django.items()), django.session_key)


def test_it_is_the_session_engine() -> None:
    assert settings.SESSION_ENGINE == "trustdesk.accounts.sessions"


def test_it_reads_a_live_session_as_djangos_store_does() -> None:
    key = _saved({"colour": "blue", "n": 3})
    ours, django = _both(key)
    assert ours == django == ({"colour": "blue", "n": 3}, key)


def test_it_gives_an_empty_session_for_an_expired_one_as_djangos_store_does() -> None:
    key = _saved({"colour": "blue"}, expired=True)
    ours, django = _both(key)
    assert ours == django == ({}, None)


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_it_gives_an_empty_session_for_an_unknown_or_hostile_key(key: str) -> None:
    _saved({"someone": "else"})
    ours, django = _both(key)
    assert ours == django == ({}, None)


@pytest.mark.parametrize("key", ["abcdefgh\x00ij", "\x00" * 32, "a" * 41, "ABCDEFGHIJKL", "abc/def/ghi"])
def test_it_does_not_look_up_a_key_that_django_never_makes(key: str) -> None:
    """Django's store sends these to the database (PostgreSQL answers a NUL with an error); this one
    answers an empty session without a query."""
    with CaptureQueriesContext(connection) as queries:
        store = SessionStore(key)
        assert dict(store.items()) == {} and store.session_key is None
    assert queries.captured_queries == []


def test_a_forged_cookie_gets_the_page_for_a_visitor(personas) -> None:
    browser = Client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = "abcdefgh\x00ij"
    assert browser.get("/account/").status_code == 302
    assert browser.get("/privacy").status_code == 200


def test_it_gives_an_empty_session_for_tampered_data() -> None:
    key = _saved({"colour": "blue"})
    Session.objects.filter(session_key=key).update(session_data="not-signed:" + "A" * 40)
    ours, django = _both(key)
    assert ours[0] == django[0] == {}


def test_it_reads_each_session_with_the_same_compiled_query() -> None:
    first, second = _saved({"n": 1}), _saved({"n": 2})
    with CaptureQueriesContext(connection) as queries:
        assert SessionStore(first)["n"] == 1
        assert SessionStore(second)["n"] == 2
    [one, two] = [q["sql"] for q in queries.captured_queries]
    assert one.replace(first, "?") == two.replace(second, "?")
    kept = prepared._compiled[connections["default"]]
    assert any(slot == ("accounts.session", (str,)) and compiled for slot, compiled in kept.items())


def test_a_signed_in_session_ends_when_it_expires_on_the_server(personas) -> None:
    browser = Client()
    log_in(browser, "olga@example.com")
    assert browser.get("/account/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = browser.get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")


def test_it_reads_a_users_profile_once_and_as_the_orm_does(personas) -> None:
    for user in (personas.olga, personas.pia):
        fresh = get_user_model().objects.get(pk=user.pk)
        with CaptureQueriesContext(connection) as queries:
            profile = access._profile(fresh)
            assert access.role_of(fresh) == profile.role  # type: ignore[union-attr]
            assert fresh.profile is profile
        assert len(queries.captured_queries) == 1
        expected = Profile.objects.get(user=user)
        assert profile is not None
        assert (profile.pk, profile.role, profile.person_id, profile.created_at) == (
            expected.pk,
            expected.role,
            expected.person_id,
            expected.created_at,
        )
        assert profile.user is fresh
        assert not profile._state.adding and profile._state.db == "default"
    kept = prepared._compiled[connections["default"]]
    assert any(slot == ("accounts.profile", (int,)) and compiled for slot, compiled in kept.items())


def test_a_user_without_a_profile_has_none_and_it_is_read_once(personas) -> None:
    bare = get_user_model().objects.create_user("bare", "bare@example.com", "x" * 16)
    with CaptureQueriesContext(connection) as queries:
        assert access.role_of(bare) is None
        assert access.person_for_user(bare) is None
        with pytest.raises(Profile.DoesNotExist):
            bare.profile  # noqa: B018  (the attribute raises)
    assert len(queries.captured_queries) == 1


def test_an_inactive_user_has_no_profile_to_act_with(personas) -> None:
    personas.olga.is_active = False
    assert access.role_of(personas.olga) is None


def _raw(key: str) -> str:
    return Session.objects.get(session_key=key).session_data


def test_it_seals_session_data_so_that_the_database_alone_does_not_read_it() -> None:
    key = _saved({"colour": "blue", "n": 3})
    stored = _raw(key)
    assert is_sealed(stored)
    assert dict(DjangoSessionStore(key).items()) == {}  # signed data would open with Django's own store
    assert dict(SessionStore(key).items()) == {"colour": "blue", "n": 3}


def test_a_two_factor_key_being_set_up_is_not_readable_in_the_session_table(client, personas) -> None:
    log_in(client, "olga@example.com")
    client.post("/account/reauthenticate/", {"password": PASSWORD})
    secret = client.get("/account/2fa/totp/activate/").context["form"].secret
    key = client.session.session_key
    assert client.session["mfa.totp.secret"] == secret  # allauth keeps it in the session
    signed_only = DjangoSessionStore().decode(Session.objects.get(session_key=key).session_data)
    assert signed_only == {}
    everything = json.dumps(list(Session.objects.values("session_data")))
    assert secret not in everything
    activated = client.post("/account/2fa/totp/activate/", {"code": fresh_totp_code(secret)})
    assert activated.status_code == 302 and user_has_two_factor(personas.olga)


def test_it_still_reads_a_session_written_before_sealing() -> None:
    legacy = DjangoSessionStore()
    legacy.update({"colour": "blue"})
    legacy.save()
    assert legacy.session_key is not None and not is_sealed(_raw(legacy.session_key))
    assert dict(SessionStore(legacy.session_key).items()) == {"colour": "blue"}


def test_a_session_sealed_under_the_old_key_opens_while_it_is_a_fallback(settings, caplog) -> None:
    old, new = "an-old-secret-key-" + "o" * 50, "a-new-secret-key-" + "n" * 50
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = old, []
    key = _saved({"colour": "blue"})
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = new, [old]
    assert dict(SessionStore(key).items()) == {"colour": "blue"}
    settings.SECRET_KEY_FALLBACKS = []
    with caplog.at_level(logging.WARNING, logger="django.security.SuspiciousSession"):
        assert dict(SessionStore(key).items()) == {}  # as data that does not verify: an empty session
    assert "cannot be opened with TRUSTDESK_SECRET_KEY" in caplog.text and "blue" not in caplog.text


def test_a_two_factor_key_does_not_open_session_data_nor_the_other_way_round() -> None:
    from trustdesk.accounts.sealing import SESSIONS, TWO_FACTOR, opened, seal

    assert opened(seal("text", use=SESSIONS), use=TWO_FACTOR) is None
    assert opened(seal("text", use=TWO_FACTOR), use=SESSIONS) is None
    assert dict(SessionStore().decode(seal('{"colour": "blue"}', use=TWO_FACTOR)).items()) == {}


@pytest.mark.parametrize(
    "data",
    ["sealed1:", "sealed1:" + "A" * 40, "sealed1:\x7f\xff", "sealed1:" + "gAAAAA" * 50_000, "sealed1:é"],
)
def test_broken_sealed_data_gives_an_empty_session(data: str) -> None:
    key = _saved({"colour": "blue"})
    Session.objects.filter(session_key=key).update(session_data=data)
    assert dict(SessionStore(key).items()) == {}
