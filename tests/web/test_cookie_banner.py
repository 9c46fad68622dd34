"""The cookie banner and /cookies: listed by purpose, choices without JavaScript, stored with proof (P2.2)."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from tests.conftest import POLICY
from tests.web.cookie_policy import COOKIE_POLICY
from trustdesk.consent.cookie_services import CHOSEN, OBJECT_TYPE
from trustdesk.consent.models import ConsentImmutable, CookieChoice
from trustdesk.journal.models import JournalEntry

pytestmark = pytest.mark.django_db

BANNER = 'id="cookie-banner"'


def _choose(client: Client, choice: str, *purposes: str, next_url: str = "/privacy"):
    return client.post("/cookies", {"choice": choice, "purpose": list(purposes), "next": next_url})


def test_it_shows_the_banner_on_every_page_until_the_visitor_chooses(client: Client, publish) -> None:
    publish(COOKIE_POLICY)
    for url in (
        "/",
        "/privacy",
        "/privacy/versions",
        "/privacy/request",
        "/account/login/",
        "/acceptable-use",
    ):
        assert BANNER in client.get(url).content.decode(), url
    assert BANNER not in client.get("/cookies").content.decode()  # the settings page is the form itself
    _choose(client, "necessary")
    for url in ("/", "/privacy", "/account/login/"):
        assert BANNER not in client.get(url).content.decode(), url


def test_it_lists_the_cookies_by_purpose_with_their_expiry_in_each_language(client: Client, publish) -> None:
    publish(COOKIE_POLICY)
    page = html.unescape(client.get("/privacy?lang=en").content.decode())
    banner = page.split(BANNER)[1].split("</section>")[0]
    assert "<legend>Cookies by purpose</legend>" in banner
    necessary, statistics = banner.split("Visitor statistics")
    for name in ("sessionid", "csrftoken", "cookie_consent"):
        assert f"<code>{name}</code>" in necessary
    assert "Keeps you logged in. <small>(expires when you close your browser)</small>" in necessary
    assert "Remembers your cookie choice. <small>(expires after six months)</small>" in necessary
    assert "<code>td_stats</code>: Counts visits without telling who you are." in statistics
    assert "expires after 13 months" in statistics
    label = re.search(r'<label for="banner-purpose-visitor_statistics">.*?</label>', banner, re.S)
    assert label is not None and 'name="purpose" value="visitor_statistics"' in label.group(0)
    assert " checked" not in label.group(0)  # nothing is pre-ticked
    for button in ('value="all">Accept all', 'value="necessary">Only necessary', 'value="selected"'):
        assert button in banner
    dutch = html.unescape(client.get("/privacy?lang=nl").content.decode()).split(BANNER)[1]
    assert "Cookies op deze website" in dutch and "Bezoekersstatistieken" in dutch
    assert "Houdt u aangemeld. <small>(vervalt wanneer u uw browser sluit)</small>" in dutch
    assert "Alles accepteren" in dutch and "Alleen noodzakelijke" in dutch


def test_it_shows_no_banner_when_every_cookie_is_strictly_necessary(client: Client, publish) -> None:
    publish(POLICY)
    assert BANNER not in client.get("/").content.decode()
    page = client.get("/cookies").content.decode()
    assert "nothing to consent to" in page
    assert 'name="choice"' not in page


def test_it_records_the_choice_with_its_proof_and_journals_it(client: Client, publish) -> None:
    version = publish(COOKIE_POLICY)
    response = _choose(client, "all")
    assert response.status_code == 303 and response["Location"] == "/privacy"
    row = CookieChoice.objects.get()
    assert (
        row.choice == "all"
        and row.accepted == ["visitor_statistics"]
        and row.offered == ["visitor_statistics"]
    )
    assert row.policy_version == version and row.at is not None and row.lang == "en"
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", row.consent_id)
    cookie = response.cookies["cookie_consent"]
    assert cookie.value == row.consent_id
    assert cookie["max-age"] > 180 * 86400 and cookie["httponly"] and cookie["samesite"] == "Lax"
    entry = JournalEntry.objects.get(action=CHOSEN)
    assert (entry.actor, entry.object_type, entry.object_id) == ("visitor", OBJECT_TYPE, str(row.pk))
    assert entry.payload is not None
    assert entry.payload["consent_id"] == row.consent_id
    assert entry.payload["policy_version"] == version.number
    assert entry.payload["accepted"] == ["visitor_statistics"]
    with pytest.raises(ConsentImmutable):
        row.save()


def test_it_changes_and_withdraws_the_choice_as_easily_under_the_same_consent_id(
    client: Client, publish
) -> None:
    publish(COOKIE_POLICY)
    _choose(client, "selected", "visitor_statistics")
    settings_page = client.get("/cookies").content.decode()
    assert re.search(r'value="visitor_statistics"[^>]* checked', settings_page)
    client.cookies["td_stats"] = "42"  # the optional cookie, set while it was accepted
    response = _choose(client, "necessary", next_url="")
    assert response["Location"] == "/cookies?saved=1"
    assert response.cookies["td_stats"]["max-age"] == 0  # deleted from the browser at once
    rows = list(CookieChoice.objects.order_by("at", "id"))
    assert [(r.choice, r.accepted) for r in rows] == [("selected", ["visitor_statistics"]), ("necessary", [])]
    assert rows[0].consent_id == rows[1].consent_id
    page = client.get("/cookies?saved=1").content.decode()
    assert "Your choice is saved." in page
    assert "You accepted only the strictly necessary cookies." in page
    assert JournalEntry.objects.filter(action=CHOSEN).count() == 2


def test_it_ignores_purposes_the_policy_does_not_offer(client: Client, publish) -> None:
    publish(COOKIE_POLICY)
    _choose(client, "selected", "newsletter", "made_up")
    assert CookieChoice.objects.get().accepted == []


def test_it_refuses_a_post_without_a_choice_and_an_unsafe_next(client: Client, publish) -> None:
    publish(COOKIE_POLICY)
    response = client.post("/cookies", {"purpose": "visitor_statistics"})
    assert response.status_code == 400
    assert "Choose one of the buttons" in response.content.decode()
    assert not CookieChoice.objects.exists() and "cookie_consent" not in response.cookies
    response = _choose(client, "necessary", next_url="https://evil.example/")
    assert response["Location"] == "/cookies?saved=1"


def test_it_asks_again_when_a_new_policy_adds_a_purpose(client: Client, publish) -> None:
    publish(
        COOKIE_POLICY.replace(
            "  - name: td_stats",
            "  - name: td_other\n    purpose: newsletter\n    "
            "description: {en: Other., nl: Ander.}\n    expiry: P1M\n  - name: td_stats",
        )
    )
    publish(COOKIE_POLICY)
    _choose(client, "necessary")
    assert BANNER not in client.get("/").content.decode()
    publish(
        COOKIE_POLICY.replace(
            "  - name: td_stats",
            "  - name: td_news\n    purpose: newsletter\n    description: {en: Newsletter visits., nl: Bezoeken.}\n"
            "    expiry: P1M\n  - name: td_stats",
        )
    )
    assert BANNER in client.get("/").content.decode()


def test_it_sets_the_choice_cookie_with_the_tls_prefix_behind_tls(client: Client, publish, settings) -> None:
    publish(COOKIE_POLICY)
    settings.HTTPS = True
    response = client.post(
        "/cookies", {"choice": "necessary", "next": "/"}, secure=True, headers={"Host": "localhost"}
    )
    morsel = response.cookies["__Host-cookie_consent"]
    assert morsel["secure"] and morsel["path"] == "/" and not morsel["domain"]


def test_it_throttles_the_choice_per_client_address_and_records_nothing_over_the_limit(
    client: Client, publish, settings
) -> None:
    publish(COOKIE_POLICY)
    settings.TRUSTDESK_THROTTLE = {**settings.TRUSTDESK_THROTTLE, "cookie_choice": (2, 3600)}
    assert _choose(client, "all").status_code == 303
    assert _choose(client, "necessary").status_code == 303
    refused = _choose(client, "all")
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Too many attempts from your address. Try again after" in page and 'role="alert"' in page
    assert "cookie_consent" not in refused.cookies
    assert [row.choice for row in CookieChoice.objects.order_by("at", "id")] == ["all", "necessary"]
    assert JournalEntry.objects.filter(action=CHOSEN).count() == 2
    # Another address is counted on its own; the public request form keeps its own count.
    other = Client(REMOTE_ADDR="198.51.100.23")
    assert _choose(other, "necessary").status_code == 303
    assert client.get("/privacy/request").status_code == 200
    dutch = client.post("/cookies", {"choice": "all"}, HTTP_ACCEPT_LANGUAGE="nl")
    assert dutch.status_code == 429 and "Te veel pogingen" in dutch.content.decode()
