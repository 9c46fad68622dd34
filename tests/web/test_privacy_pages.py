"""The public pages: /privacy, /privacy/versions, a version, and what changed (P0.12, P3.14)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import POLICY

pytestmark = pytest.mark.django_db

CHANGED = POLICY.replace("attempts: 5", "attempts: 3").replace(
    "  newsletter:",
    "  support:\n"
    "    name: {en: Support, nl: Ondersteuning}\n"
    "    data_use: essential.service.operations.support\n"
    "    legal_basis: contract\n"
    "    data_subjects: [customer]\n"
    "    data_categories: [user.contact.email]\n"
    "    requirement: contractual\n"
    "    consequence: {en: We cannot answer you., nl: We kunnen u niet antwoorden.}\n"
    "    retention: {period: P2Y, from: case_closed, action: delete}\n"
    "  newsletter:",
)


def test_it_says_when_no_statement_is_published(client: Client) -> None:
    response = client.get("/privacy")
    assert response.status_code == 503
    assert "No privacy statement is in effect yet" in response.content.decode()


def test_it_shows_the_statement_in_effect_in_english(client: Client, publish) -> None:
    publish()
    response = client.get("/privacy")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Hostwerk Test BV" in html
    assert "Stationsstraat 1" in html
    assert '<div class="statement" lang="en">' in html
    assert 'href="?lang=nl"' in html


def test_it_shows_the_statement_in_the_visitors_language(client: Client, publish) -> None:
    publish()
    html = client.get("/privacy", HTTP_ACCEPT_LANGUAGE="nl-BE,nl;q=0.9").content.decode()
    assert '<div class="statement" lang="nl">' in html
    assert "Nieuwsbrief" in html


def test_it_switches_language_with_the_switch(client: Client, publish) -> None:
    publish()
    html = client.get("/privacy?lang=nl").content.decode()
    assert '<div class="statement" lang="nl">' in html
    html = client.get("/privacy?lang=xx").content.decode()
    assert '<div class="statement" lang="en">' in html


def test_it_lists_every_version_with_its_dates(client: Client, publish) -> None:
    publish()
    later = timezone.localdate() + dt.timedelta(days=14)
    publish(CHANGED, effective=later)
    html = client.get("/privacy/versions").content.decode()
    assert 'href="/privacy/versions/1"' in html
    assert 'href="/privacy/versions/2"' in html
    assert "in effect" in html
    assert "upcoming" in html
    assert 'href="/privacy/versions/1/compare/2"' in html


def test_it_announces_an_upcoming_version_on_the_statement(client: Client, publish) -> None:
    publish()
    publish(CHANGED, effective=timezone.localdate() + dt.timedelta(days=14))
    html = client.get("/privacy").content.decode()
    assert "A new version (2) takes effect on" in html


def test_it_shows_an_older_version_as_not_in_effect(client: Client, publish) -> None:
    publish()
    publish(CHANGED)
    html = client.get("/privacy/versions/1").content.decode()
    assert "This is version 1" in html
    assert "it is not the statement in effect" in html
    assert client.get("/privacy/versions/9").status_code == 404


def test_it_shows_what_changed_between_two_versions(client: Client, publish) -> None:
    publish()
    publish(CHANGED)
    html = client.get("/privacy/versions/1/compare/2").content.decode()
    assert "purpose &#x27;support&#x27;" in html
    assert "added" in html
    assert "security, lockout: attempts" in html
    assert '<pre class="change-value">5</pre>' in html
    assert '<pre class="change-value">3</pre>' in html
    assert client.get("/privacy/versions/1/compare/1").status_code == 404


def test_it_links_the_statement_from_the_footer_of_every_page(client: Client, publish) -> None:
    publish()
    publish(CHANGED)
    for url in ["/", "/privacy", "/privacy/versions", "/privacy/versions/1", "/privacy/versions/1/compare/2"]:
        html = client.get(url).content.decode()
        footer = html[html.index("<footer") :]
        assert 'href="/privacy"' in footer, url
        assert 'href="/privacy/versions"' in footer, url


def test_it_answers_only_safe_methods(client: Client, publish) -> None:
    publish()
    assert client.post("/privacy").status_code == 405
    assert client.head("/privacy").status_code == 200
