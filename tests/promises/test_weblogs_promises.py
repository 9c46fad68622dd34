"""Promises about web access logs: kept two years then destroyed (P4.4), visitors' addresses
collected (P2.1), use of the services logged (P0.3)."""

from __future__ import annotations

import datetime as dt

import pytest

from trustdesk.journal.models import JournalEntry
from trustdesk.registry.services import Actor
from trustdesk.weblogs.ingest import ingest
from trustdesk.weblogs.services import expire, hits_for_ip, search
from trustdesk.weblogs.store import WeblogsError

pytestmark = pytest.mark.django_db

DUTCH_TWO_YEARS = """\
web_logs:
  purpose: invoicing
  retention: P2Y
  fields: [domain, path, user_agent, ip_address]
  ip_storage: aes_siv
"""


@pytest.fixture
def weblog_store(publish, policy_text, settings, tmp_path):
    settings.WEBLOGS_URL = str(tmp_path / "weblogs")
    settings.WEBLOGS_KEY_DIR = tmp_path / "weblog-keys"
    publish(policy_text + DUTCH_TWO_YEARS)
    return tmp_path


def _line(site: str, ip: str, when: dt.datetime, path: str) -> str:
    stamp = when.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return (
        f'{site}:443 {ip} - - [{stamp}] "GET {path} HTTP/1.1" 200 100 "https://ref.example/" "Firefox/130.0"'
    )


@pytest.mark.promise("P4.4")
def test_it_keeps_web_hosting_traffic_two_years_then_destroys_it(weblog_store, officer_actor):
    officer = officer_actor
    visit = dt.datetime(2025, 3, 10, 9, 30, 0, tzinfo=dt.UTC)
    log = weblog_store / "access.log"
    log.write_text(_line("shop.example", "203.0.113.5", visit, "/checkout") + "\n", encoding="utf-8")
    ingest([str(log)], actor=officer, now=visit + dt.timedelta(hours=1))

    # Domain, path, browser and the visitor's address per page view, there for a breach investigation.
    during = visit + dt.timedelta(days=700)
    [hit] = search(actor=officer, reason="breach B-1", ip="203.0.113.5", now=during).hits
    with pytest.raises(WeblogsError, match="only a privacy officer may search"):
        search(actor=Actor.operator("root"), reason="curious", ip="203.0.113.5", now=during)
    assert (hit.site, hit.path, hit.user_agent, hit.ip) == (
        "shop.example",
        "/checkout",
        "Firefox/130.0",
        "203.0.113.5",
    )
    assert hit.referrer is None  # not among the policy's fields: never kept

    # Two years on, to the second, the hit is gone from every search even before expiry runs ...
    two_years = dt.datetime(2027, 3, 10, 9, 30, 0, tzinfo=dt.UTC)
    assert search(
        actor=officer, reason="breach B-1", site="shop.example", now=two_years - dt.timedelta(seconds=1)
    ).hits
    assert search(actor=officer, reason="breach B-1", site="shop.example", now=two_years).hits == []

    # ... and the automatic expiry destroys the files and the month's key.
    result = expire(dt.datetime(2027, 4, 1, tzinfo=dt.UTC), actor=Actor.system())
    assert result.hits == 1 and result.keys_destroyed == ["weblog-2025-03"]
    assert not list((weblog_store / "weblogs").glob("site=*/day=*/*.parquet"))
    assert not (weblog_store / "weblog-keys" / "weblog-2025-03.key").exists()
    assert JournalEntry.objects.filter(action="weblogs.expired", actor="system").exists()


@pytest.mark.promise("P2.1")
def test_it_collects_visitors_ip_addresses(weblog_store):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    log = weblog_store / "access.log"
    log.write_text(
        _line("blog.example", "::ffff:198.51.100.23", now - dt.timedelta(minutes=5), "/post/1")
        + "\n"
        + _line("blog.example", "2001:db8::23", now - dt.timedelta(minutes=4), "/post/2")
        + "\n",
        encoding="utf-8",
    )
    result = ingest([str(log)], actor=Actor.operator("ops"), now=now)
    assert result.stored == 2
    # The address is collected (recoverable under aes_siv), and an access request that gives it finds it.
    hits = hits_for_ip("198.51.100.23", actor=Actor.operator("privacy-officer"), reason="access request A-4")
    assert [(h.path, h.ip) for h in hits] == [("/post/1", "198.51.100.23")]
    raw = b"".join(p.read_bytes() for p in (weblog_store / "weblogs").rglob("*.parquet"))
    assert b"198.51.100.23" not in raw and b"2001:db8::23" not in raw  # stored only as tokens


@pytest.mark.promise("P0.3")
def test_it_logs_use_of_the_services_to_detect_abuse(weblog_store, officer_actor):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    lines = [
        _line("shop.example", "192.0.2.66", now - dt.timedelta(seconds=s), "/wp-login.php")
        for s in range(1, 21)
    ]
    lines.append(_line("shop.example", "192.0.2.7", now - dt.timedelta(seconds=30), "/"))
    log = weblog_store / "access.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingest([str(log)], actor=Actor.operator("ops"), now=now)
    entry = JournalEntry.objects.get(action="weblogs.ingested")
    assert entry.payload["stored"] == 21  # the use was logged, and the logging itself is evidence

    # For an abuse report, the privacy officer finds the brute-force attempts by path, and who made
    # them, with a journaled reason.
    found = search(actor=officer_actor, reason="abuse report X-2: brute force", path="/wp-login.php", now=now)
    assert len(found.hits) == 20 and {h.ip for h in found.hits} == {"192.0.2.66"}
    searched = JournalEntry.objects.get(seq=found.journal_seq)
    assert searched.payload["reason"] == "abuse report X-2: brute force"
