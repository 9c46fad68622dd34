"""Promise P2.2: cookies have an expiry date and hold no personally identifiable information.

Kept by the policy's declaration of every cookie, the cookie banner (only strictly necessary cookies
until the visitor chooses; the choice recorded with proof and journaled) and the middleware that
drops any optional cookie whose purpose the visitor has not accepted.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from tests.web.cookie_audit import problems
from tests.web.cookie_policy import COOKIE_POLICY
from trustdesk.consent.middleware import CookieConsentMiddleware
from trustdesk.consent.models import CookieChoice
from trustdesk.journal.models import JournalEntry

pytestmark = pytest.mark.django_db


def _sets_statistics_cookie(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("a page of the provider's that counts visits")
    response.set_cookie("td_stats", "abcdefghijklmnopqrstuvwx", max_age=3600, httponly=True, samesite="Lax")
    return response


def _through_middleware(consent_id: str | None) -> HttpResponse:
    request = RequestFactory().get("/")
    if consent_id is not None:
        request.COOKIES["cookie_consent"] = consent_id
    middleware: Callable[[HttpRequest], HttpResponse] = CookieConsentMiddleware(_sets_statistics_cookie)  # type: ignore[assignment]
    return middleware(request)


@pytest.mark.promise("P2.2")
def test_it_gives_every_cookie_an_expiry_without_personal_data_and_sets_optional_ones_only_after_consent(
    client: Client, publish
) -> None:
    version = publish(COOKIE_POLICY)
    policy = version.loaded.policy

    # Before any choice: the banner asks, and only strictly necessary cookies are set.
    page = client.get("/privacy", REMOTE_ADDR="192.0.2.7")
    assert 'id="cookie-banner"' in page.content.decode()
    assert set(page.cookies) == {"csrftoken"}
    for name, morsel in page.cookies.items():
        assert problems(morsel, policy, where=name, personal=["192.0.2.7"]) == []
    assert "td_stats" not in _through_middleware(None).cookies  # whoever tries to set it

    # Accepting all: recorded with the time, the version, the choices and a random id; journaled.
    answer = client.post("/cookies", {"choice": "all", "next": "/privacy"}, REMOTE_ADDR="192.0.2.7")
    morsel = answer.cookies["cookie_consent"]
    assert problems(morsel, policy, where="choice", personal=["192.0.2.7"]) == []
    choice = CookieChoice.objects.get(consent_id=morsel.value)
    assert (choice.policy_version, choice.accepted) == (version, ["visitor_statistics"])
    assert "192.0.2.7" not in str([getattr(choice, f.attname) for f in CookieChoice._meta.concrete_fields])
    entry = JournalEntry.objects.get(action="consent.cookies_chosen")
    assert (
        entry.payload is not None
        and entry.payload["consent_id"] == morsel.value
        and "192.0.2.7" not in str(entry.payload)
    )
    assert "td_stats" in _through_middleware(morsel.value).cookies

    # Withdrawing is the same form from the footer's "Cookie settings"; the optional cookie stops at once.
    assert 'href="/cookies"' in client.get("/").content.decode().split("<footer")[1]
    client.post("/cookies", {"choice": "necessary", "next": "/"})
    assert "td_stats" not in _through_middleware(morsel.value).cookies
    assert [c.choice for c in CookieChoice.objects.filter(consent_id=morsel.value)] == ["all", "necessary"]
