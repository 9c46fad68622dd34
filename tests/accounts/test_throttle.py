"""Per-address throttling (P2.13): counted under a keyed pseudonym, never the address."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import RequestFactory
from django.utils import timezone

from tests.accounts.personas import log_in
from trustdesk.accounts import throttle
from trustdesk.accounts.models import ThrottleHit

pytestmark = pytest.mark.django_db


def test_it_refuses_the_request_over_the_limit_and_says_when_to_retry(db) -> None:
    for _ in range(3):
        throttle.hit("public_form", "198.51.100.7", limit=3, window=dt.timedelta(minutes=10))
    with pytest.raises(throttle.Throttled) as refused:
        throttle.hit("public_form", "198.51.100.7", limit=3, window=dt.timedelta(minutes=10))
    wait = refused.value.retry_after - timezone.now()
    assert dt.timedelta(minutes=9) < wait <= dt.timedelta(minutes=10)
    assert "Too many attempts from your address." in refused.value.message()
    # Another address is counted on its own.
    throttle.hit("public_form", "198.51.100.8", limit=3, window=dt.timedelta(minutes=10))


def test_it_stores_a_keyed_pseudonym_and_never_the_address(db) -> None:
    throttle.hit("public_form", "198.51.100.7")
    throttle.hit("password_reset", "Someone@Example.com", kind="email")
    keys = list(ThrottleHit.objects.values_list("key", flat=True))
    assert all(k.startswith("p1:") for k in keys)
    assert not any("198.51" in k or "example" in k.lower() for k in keys)
    assert throttle.key_for("someone@example.com", "email") in keys  # one address, one pseudonym


def test_it_lets_the_address_in_again_when_the_window_has_moved_on(db) -> None:
    for _ in range(2):
        throttle.hit("public_form", "203.0.113.5", limit=2, window=dt.timedelta(minutes=1))
    ThrottleHit.objects.update(at=timezone.now() - dt.timedelta(minutes=2))
    throttle.hit("public_form", "203.0.113.5", limit=2, window=dt.timedelta(minutes=1))
    # Accepted: the two old counts lie outside the window (they go once the scope's hour has passed).
    assert ThrottleHit.objects.filter(at__gte=timezone.now() - dt.timedelta(minutes=1)).count() == 1


def test_it_keeps_no_count_longer_than_its_window_needs(db) -> None:
    throttle.hit("public_form", "192.0.2.20")  # an address that never comes back
    ThrottleHit.objects.update(at=timezone.now() - dt.timedelta(hours=2))  # the scope's window is an hour
    throttle.hit("public_form", "192.0.2.21")
    assert list(ThrottleHit.objects.values_list("key", flat=True)) == [throttle.key_for("192.0.2.21", "ip")]


def test_it_throttles_log_in_per_client_address(client, personas, settings) -> None:
    settings.TRUSTDESK_THROTTLE = {**settings.TRUSTDESK_THROTTLE, "login": (3, 900)}
    for name in ("olga", "bert", "tess"):
        log_in(client, f"{name}@example.com", "wrong")
    page = log_in(client, "ursula@example.com").content.decode()
    assert "Too many attempts from your address." in page


def test_it_reads_the_client_address_behind_the_proxy(settings) -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.9"
    )
    settings.BEHIND_PROXY = False
    assert throttle.client_address(request) == "10.0.0.1"
    settings.BEHIND_PROXY = True
    assert throttle.client_address(request) == "198.51.100.9"


def test_it_names_an_unknown_scope(db) -> None:
    with pytest.raises(ValueError, match="no throttle scope 'nonsense'"):
        throttle.hit("nonsense", "192.0.2.1")
