"""Searching by address, path and site; the retention window to the second; erasing an address."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.weblogs.conftest import BOTH_STORES, NOW, vhost
from trustdesk.journal.models import JournalEntry
from trustdesk.weblogs.services import erase_ip, hits_for_ip, search
from trustdesk.weblogs.store import WeblogsError

pytestmark = pytest.mark.django_db

REASON = "breach investigation case 12"


def _month_of_lines(ip: str, month: int, days: range) -> list[str]:
    """One hit a day of the month (2026) from the address."""
    return [
        vhost(ip=ip, when=dt.datetime(2026, month, day, 8, tzinfo=dt.UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"))
        for day in days
    ]


def test_it_finds_an_address_in_any_of_its_written_forms(weblogs, ingest_lines, officer_actor):
    ingest_lines([vhost(ip="::ffff:192.0.2.10", path="/a"), vhost(ip="192.0.2.11", path="/b")])
    for form in ("192.0.2.10", "::ffff:192.0.2.10", "::FFFF:192.0.2.10"):
        result = search(actor=officer_actor, reason=REASON, ip=form, now=NOW)
        assert [(h.path, h.ip) for h in result.hits] == [("/a", "192.0.2.10")]


@BOTH_STORES
def test_it_opens_only_the_partitions_the_index_names(weblogs, store_at, ingest_lines, officer_actor):
    lines = _month_of_lines("198.51.100.1", 10, range(1, 32)) + _month_of_lines(
        "198.51.100.2", 11, range(1, 31)
    )
    lines += [vhost(ip="2001:db8::7", when="15/Oct/2026:09:00:00 +0000", path="/x")]
    lines += [vhost(ip="2001:db8::7", when="20/Nov/2026:09:00:00 +0000", path="/y")]
    ingest_lines(lines)
    result = search(actor=officer_actor, reason=REASON, ip="2001:DB8:0::7", now=NOW)
    assert [h.path for h in result.hits] == ["/x", "/y"]
    assert result.files_opened == 2  # of 61 partitions
    assert [h.ip for h in result.hits] == ["2001:db8::7", "2001:db8::7"]


@BOTH_STORES
def test_it_searches_by_path_glob_site_and_range(weblogs, store_at, ingest_lines, officer_actor):
    ingest_lines(
        [
            vhost("a.example", path="/wp-login.php", when="29/Nov/2026:10:00:00 +0000"),
            vhost("a.example", path="/wp-login.php?x=1", when="30/Nov/2026:10:00:00 +0000"),
            vhost("b.example", path="/wp-login.php", when="30/Nov/2026:11:00:00 +0000"),
            vhost("a.example", path="/index.html", when="30/Nov/2026:10:30:00 +0000"),
        ]
    )
    by_path = search(actor=officer_actor, reason=REASON, path="/wp-login.php*", now=NOW)
    assert [(h.site, h.path) for h in by_path.hits] == [
        ("a.example", "/wp-login.php"),
        ("a.example", "/wp-login.php?x=1"),
        ("b.example", "/wp-login.php"),
    ]
    one_day = search(
        actor=officer_actor,
        reason=REASON,
        path="/wp-login.php*",
        start=dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
        end=dt.datetime(2026, 11, 30, 10, 0, 0, tzinfo=dt.UTC),
        now=NOW,
    )
    assert [(h.site, h.path) for h in one_day.hits] == [
        ("a.example", "/wp-login.php?x=1")
    ]  # both bounds inclusive
    by_site = search(actor=officer_actor, reason=REASON, site="a.example", now=NOW)
    assert len(by_site.hits) == 3 and {h.site for h in by_site.hits} == {"a.example"}
    assert by_site.hits[0].ip.startswith("hmac:")  # an hmac token is never an address


def test_it_journals_every_search_with_who_and_why(weblogs, ingest_lines, officer_actor):
    ingest_lines([vhost()])
    result = search(actor=officer_actor, reason="  erasure request R-7 ", ip="192.0.2.10", now=NOW)
    entry = JournalEntry.objects.get(seq=result.journal_seq)
    assert (entry.action, entry.actor) == ("weblogs.searched", officer_actor.ref)
    assert entry.payload["reason"] == "erasure request R-7"
    assert entry.payload["hits"] == 1
    assert entry.payload["criteria"]["ip"].startswith("p")  # a keyed pseudonym, not the address
    assert "192.0.2.10" not in str(entry.payload) + entry.object_id + entry.object_type


def test_it_refuses_a_search_without_a_reason_or_criteria(weblogs, officer_actor):
    with pytest.raises(WeblogsError, match="needs a reason"):
        search(actor=officer_actor, reason=" ", site="a.example")
    with pytest.raises(WeblogsError, match="say what to search for"):
        search(actor=officer_actor, reason=REASON)
    with pytest.raises(WeblogsError, match="not an IPv4 or IPv6 address") as refused:
        search(actor=officer_actor, reason=REASON, ip="192.0.2.300")
    assert "192.0.2.300" not in str(refused.value)
    assert not JournalEntry.objects.filter(action="weblogs.searched").exists()


@BOTH_STORES
def test_it_recovers_addresses_stored_with_aes_siv(weblogs, store_at, ingest_lines, officer_actor):
    weblogs(ip_storage="aes_siv")
    ingest_lines([vhost(ip="2001:db8::5", path="/p"), vhost(ip="::ffff:203.0.113.9", path="/q")])
    result = search(actor=officer_actor, reason=REASON, site="shop.example.com", now=NOW)
    assert sorted(h.ip for h in result.hits) == ["2001:db8::5", "203.0.113.9"]


@BOTH_STORES
def test_it_keeps_to_the_retention_window_to_the_second(weblogs, store_at, ingest_lines, officer_actor):
    ingest_lines(
        [
            vhost(when="30/Nov/2024:11:59:59 +0000", path="/older"),
            vhost(when="30/Nov/2024:12:00:00 +0000", path="/exactly"),
            vhost(when="30/Nov/2024:12:00:01 +0000", path="/inside"),
            vhost(when="30/Nov/2024:13:00:01 +0100", path="/inside-too"),  # 12:00:01 UTC
        ],
        now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    found = search(actor=officer_actor, reason=REASON, site="shop.example.com", now=NOW)
    assert sorted(h.path for h in found.hits) == ["/inside", "/inside-too"]  # NOW is 2026-11-30 12:00:00
    later = search(actor=officer_actor, reason=REASON, ip="192.0.2.10", now=NOW + dt.timedelta(seconds=1))
    assert later.hits == []


def test_hits_for_ip_gives_only_that_address_even_under_truncate(weblogs, ingest_lines, officer_actor):
    weblogs(ip_storage="truncate")
    ingest_lines([vhost(ip="192.0.2.10", path="/mine"), vhost(ip="192.0.2.99", path="/neighbour")])
    assert hits_for_ip("192.0.2.10", actor=officer_actor, reason="access request R-1") == []
    investigation = search(actor=officer_actor, reason=REASON, ip="192.0.2.10", now=NOW)
    assert sorted(h.path for h in investigation.hits) == ["/mine", "/neighbour"]
    assert {h.ip for h in investigation.hits} == {"192.0.2.0/24"}


def test_hits_for_ip_returns_the_hits_of_an_access_request(weblogs, ingest_lines, officer_actor):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    when = (now - dt.timedelta(hours=1)).strftime("%d/%b/%Y:%H:%M:%S +0000")
    ingest_lines(
        [vhost(ip="192.0.2.10", when=when, path="/mine"), vhost(ip="192.0.2.99", when=when)], now=now
    )
    hits = hits_for_ip("::ffff:192.0.2.10", actor=officer_actor, reason="access request R-1")
    assert [(h.path, h.ip) for h in hits] == [("/mine", "192.0.2.10")]
    entry = JournalEntry.objects.filter(action="weblogs.searched").latest("seq")
    assert entry.payload["purpose"] == "access_request"


@BOTH_STORES
def test_it_erases_an_address_and_nothing_else(weblogs, store_at, ingest_lines, officer_actor):
    lines = [
        vhost(ip="192.0.2.10", path=f"/mine{i}", when=f"{i:02d}/Nov/2026:10:00:00 +0000") for i in (1, 2)
    ]
    lines += [vhost(ip="192.0.2.11", path="/other", when="01/Nov/2026:11:00:00 +0000")]
    lines += [vhost(ip="192.0.2.12", path="/elsewhere", when="03/Nov/2026:11:00:00 +0000")]
    lines += ["192.0.2.10 garbage that mentions the address"]
    ingest_lines(lines)
    before = store_at.rows()
    untouched = "site=shop.example.com/day=2026-11-03/*.parquet"
    untouched_files = store_at.glob(untouched)
    untouched_data = [store_at.fs.cat_file(store_at.path(f)) for f in untouched_files]

    result = erase_ip("::ffff:192.0.2.10", actor=officer_actor, reason="erasure request R-9")

    assert (result.hits, result.partitions, result.rejected_lines) == (2, 2, 1)
    after = store_at.rows()
    assert sorted(r["path"] for r in after) == ["/elsewhere", "/other"]
    assert [r for r in before if r["path"] in ("/other", "/elsewhere")] == after
    assert not store_at.exists("site=shop.example.com", "day=2026-11-02")  # nothing left in it
    assert store_at.names("site=shop.example.com") == ["day=2026-11-01", "day=2026-11-03"]
    # A partition without the address is not rewritten.
    assert store_at.glob(untouched) == untouched_files
    assert [store_at.fs.cat_file(store_at.path(f)) for f in untouched_files] == untouched_data
    assert search(actor=officer_actor, reason=REASON, ip="192.0.2.10", now=NOW).hits == []
    assert len(search(actor=officer_actor, reason=REASON, ip="192.0.2.11", now=NOW).hits) == 1
    [rejects_file] = store_at.glob("_rejects/*/*.csv")
    rejects = store_at.read_text(store_at.path(rejects_file))
    assert "192.0.2.10" not in rejects and "garbage" not in rejects
    entry = JournalEntry.objects.get(action="weblogs.ip_erased")
    assert entry.payload["hits"] == 2 and entry.payload["reason"] == "erasure request R-9"
    assert "192.0.2.10" not in str(entry.payload)


@pytest.mark.parametrize(
    "pattern",
    [
        "/wp-login.php*",
        "*.php",
        "/a?c",
        "/[ab]*",
        "/[!a]*",
        "*[*",
        "/x.y",
        "/(a|b)+",
        "*\\*",
        "a\\",
        "/[]",
        "/caf\u00e9*",
    ],
)
def test_the_path_glob_matches_as_duckdb_glob_does(pattern):
    import duckdb

    from trustdesk.weblogs.services import _glob_regex

    paths = ["/wp-login.php", "/wp-login.phpx", "/a.php", "/abc", "/axc", "/ac", "/b", "/c", "/x.y", "/xzy"]
    paths += ["/(a|b)+", "/aa", "a*", "/a\\*", "*[", "/caf\u00e9/menu", "[", "/[ab]"]
    con = duckdb.connect()
    expected = [p for p in paths if con.execute("SELECT ? GLOB ?", [p, pattern]).fetchone()[0]]
    regex = _glob_regex(pattern)
    got = [p for p in paths if con.execute("SELECT regexp_full_match(?, ?)", [p, regex]).fetchone()[0]]
    assert got == expected


def test_erasure_removes_the_address_from_the_month_index(
    weblogs, store_dirs, ingest_lines, operator_actor, officer_actor
):
    import pyarrow.parquet as pq

    ingest_lines([vhost(ip="192.0.2.10", path="/x"), vhost(ip="192.0.2.11", path="/y")])
    index_dir = store_dirs[0] / "_index" / "month=2026-11"
    [before] = index_dir.glob("*.parquet")
    assert pq.read_table(before).num_rows == 2
    erase_ip("192.0.2.10", actor=operator_actor, reason="erasure request R-3")
    [after] = index_dir.glob("*.parquet")
    assert pq.read_table(after).num_rows == 1
    assert [
        h.path for h in search(actor=officer_actor, reason=REASON, site="shop.example.com", now=NOW).hits
    ] == ["/y"]


def test_a_file_of_the_earlier_layout_is_named_not_misread(
    weblogs, store_dirs, ingest_lines, operator_actor, officer_actor
):
    import pyarrow as pa
    import pyarrow.parquet as pq

    ingest_lines([vhost()])
    [folder] = (store_dirs[0] / "site=shop.example.com").iterdir()
    old = folder / "part-old.parquet"
    pq.write_table(
        pa.table(
            {"ts": [dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC)], "ip": [b"x" * 16], "ip_kind": ["hmac"]}
        ),
        old,
    )
    with pytest.raises(
        WeblogsError, match=r"part-old\.parquet is a hits file of the earlier layout"
    ) as refused:
        search(actor=officer_actor, reason=REASON, site="shop.example.com", now=NOW)
    assert "convert the store with `trustdesk weblogs migrate`" in str(refused.value)
