"""The privacy officer's search of the web access logs in the console."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from tests.accounts.personas import Personas
from tests.weblogs.conftest import store_dirs, vhost, weblogs  # noqa: F401  (fixtures)
from trustdesk.journal.models import JournalEntry
from trustdesk.registry.services import Actor
from trustdesk.weblogs.ingest import ingest

pytestmark = pytest.mark.django_db

URL = "/console/weblogs/"
HOSTILE_AGENT = "=HYPERLINK(\\x22https://evil.example\\x22)"


@pytest.fixture
def logs(personas: Personas, weblogs, store_dirs, tmp_path):  # noqa: F811
    path = tmp_path / "access.log"
    lines = [
        vhost(ip="192.0.2.10", path="/wp-login.php", when="29/Nov/2026:10:00:00 +0000"),
        vhost(ip="192.0.2.10", path="/index.html", when="30/Nov/2026:10:00:00 +0000", agent=HOSTILE_AGENT),
        vhost(ip="2001:db8::7", path="/wp-login.php", when="30/Nov/2026:11:00:00 +0000"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingest([str(path)], actor=Actor.operator("ops"))
    return personas


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _search(client: Client, language: str = "en", **fields: str):
    data = {"ip": "", "path": "", "site": "", "start": "", "end": "", "reason": "breach B-7", **fields}
    return client.post(URL, data, HTTP_ACCEPT_LANGUAGE=language)


def test_the_officer_finds_an_address_and_the_search_is_journaled(logs: Personas) -> None:
    client = _client(logs.pia)
    page = client.get(URL).content.decode()
    assert '<form method="post"' in page  # criteria never travel in a URL
    response = _search(client, ip="::ffff:192.0.2.10")
    body = response.content.decode()
    assert response.status_code == 200
    assert "/wp-login.php" in body and "/index.html" in body and "2001:db8::7" not in body
    assert response["Cache-Control"].startswith("max-age=0")
    entry = JournalEntry.objects.filter(action="weblogs.searched").get()
    payload = entry.payload or {}
    assert entry.actor == f"user:{logs.pia.pk}" and payload["reason"] == "breach B-7"
    assert payload["hits"] == 2 and "192.0.2.10" not in str(payload)


def test_a_path_within_days_and_a_download_safe_for_spreadsheets(logs: Personas) -> None:
    client = _client(logs.pia)
    one_day = _search(client, path="/wp-login.php*", start="2026-11-30", end="2026-11-30").content.decode()
    assert "2026-11-30 11:00:00" in one_day and "2026-11-29" not in one_day
    assert "hmac:" in one_day  # under ip_storage: hmac an address found by path is not known
    download = _search(client, site="shop.example.com", format="csv")
    assert download["Content-Type"].startswith("text/csv") and "attachment" in download["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert len(rows) == 3
    assert {row["user_agent"] for row in rows} >= {"'" + HOSTILE_AGENT}  # not run as a formula
    assert JournalEntry.objects.filter(action="weblogs.searched").count() == 2


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({}, "Give an IP address, a path or a site to search for."),
        ({"ip": "192.0.2.300"}, "This is not an IPv4 or IPv6 address."),
        ({"ip": "192.0.2.10", "reason": " "}, "This field is required."),
        (
            {"site": "shop.example.com", "start": "2026-11-30", "end": "2026-11-01"},
            "The last day comes before",
        ),
    ],
)
def test_it_says_what_is_wrong_and_searches_nothing(logs: Personas, fields: dict, error: str) -> None:
    response = _search(_client(logs.pia), **fields)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not JournalEntry.objects.filter(action="weblogs.searched").exists()


def test_no_other_role_may_search(logs: Personas) -> None:
    for user in (logs.sam, logs.abe, logs.ada):
        assert _search(_client(user), ip="192.0.2.10").status_code == 403
    assert not JournalEntry.objects.filter(action="weblogs.searched").exists()
    menu = _client(logs.ada).get("/console/policy/").content.decode()
    assert URL not in menu
    assert URL in _client(logs.pia).get("/console/policy/").content.decode()


def test_it_says_so_when_the_policy_keeps_no_web_logs(personas: Personas, publish) -> None:
    page = _client(personas.pia).get(URL).content.decode()
    assert "keeps no web access logs" in page and "<form" not in page.split("<main", 1)[-1]


def test_it_speaks_dutch(logs: Personas) -> None:
    page = _search(_client(logs.pia), language="nl", ip="192.0.2.10").content.decode()
    assert "Zoeken in de webtoegangslogs" in page and "twee jaar" in page
