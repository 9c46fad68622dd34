"""Ingesting access logs: formats, gzip, standard input, hostile lines, rejects, fields, keys."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import stat
import sys

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.weblogs.conftest import BOTH_STORES, NOW, combined, stored_rows, vhost
from trustdesk.journal.models import JournalEntry
from trustdesk.weblogs.ingest import IngestRefused, ingest
from trustdesk.weblogs.keys import KeyRing
from trustdesk.weblogs.store import Store

pytestmark = pytest.mark.django_db


def _rejects(result, view=None) -> list[list[str]]:
    if view is not None:
        return list(csv.reader(io.StringIO(view.read_text(result.rejects_file), newline="")))[1:]
    with open(result.rejects_file, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))[1:]


def test_it_reads_the_combined_format(weblogs, store_dirs, ingest_lines):
    result = ingest_lines([combined(path="/a?b=1", status=404, size="-")], site="Shop.Example.COM")
    assert (result.lines, result.stored, result.rejected) == (1, 1, 0)
    assert result.formats == {next(iter(result.formats)): "combined"}
    [row] = stored_rows(store_dirs[0])
    assert row["site"] == "shop.example.com"
    assert row["day"] == dt.date(2026, 11, 30)
    assert row["ts"] == dt.datetime(2026, 11, 30, 10, 0, 0)  # noqa: DTZ001 (stored as UTC)
    assert (row["method"], row["path"], row["protocol"]) == ("GET", "/a?b=1", "HTTP/1.1")
    assert (row["status"], row["bytes"]) == (404, None)
    assert row["referrer"] == "https://example.org/"
    assert row["user_agent"] == "Mozilla/5.0 (X11; Linux x86_64)"
    assert row["ip_kind"] == "hmac" and len(row["ip"]) == 16


def test_it_reads_the_common_format_and_converts_the_time_to_utc(weblogs, store_dirs, ingest_lines):
    line = '192.0.2.7 - alice [30/Nov/2026:23:30:00 -0200] "POST /login HTTP/2.0" 302 0'
    result = ingest_lines([line], site="example.com")
    assert result.formats[next(iter(result.formats))] == "common"
    [row] = stored_rows(store_dirs[0])
    assert row["ts"] == dt.datetime(2026, 12, 1, 1, 30)  # noqa: DTZ001
    assert row["day"] == dt.date(2026, 12, 1)  # the UTC day decides the partition
    assert row["referrer"] is None and row["user_agent"] is None
    assert "alice" not in repr(row)  # the authenticated user is never kept


@BOTH_STORES
def test_it_reads_vhost_combined_with_the_site_of_each_line(weblogs, store_at, ingest_lines):
    result = ingest_lines([vhost("a.example:80"), vhost("B.example:443"), vhost("b.example")])
    assert result.sites == {"a.example", "b.example"}
    assert [n for n in store_at.names() if n.startswith("site=")] == ["site=a.example", "site=b.example"]
    assert len(store_at.rows()) == 3


def test_it_refuses_a_log_that_names_no_site(weblogs, store_dirs, ingest_lines):
    with pytest.raises(IngestRefused, match=r"access-0\.log is in the combined format, which names no site"):
        ingest_lines([combined()])
    assert not list(store_dirs[0].glob("site=*"))


@BOTH_STORES
def test_it_refuses_a_file_in_no_known_format_and_writes_nothing(weblogs, store_at, ingest_lines, tmp_path):
    good = tmp_path / "good.log"
    good.write_text(vhost() + "\n", encoding="utf-8")
    bad = tmp_path / "bad.log"
    bad.write_text("this is not a log\n" * 3, encoding="utf-8")
    from trustdesk.registry.services import Actor

    with pytest.raises(IngestRefused, match=r"bad\.log: lines 1 to 3 are in none of the formats"):
        ingest([str(good), str(bad)], actor=Actor.operator("t"), now=NOW)
    assert store_at.rows() == []
    assert store_at.glob("**/*.parquet") == []
    assert not JournalEntry.objects.filter(action="weblogs.ingested").exists()


def test_it_reads_gzip(weblogs, store_dirs, tmp_path, operator_actor):
    path = tmp_path / "access.log.1.gz"
    path.write_bytes(gzip.compress(("\n".join([vhost(), vhost(path="/b")]) + "\n").encode()))
    result = ingest([str(path)], actor=operator_actor, now=NOW)
    assert (result.lines, result.stored) == (2, 2)


def test_it_reads_standard_input_plain_and_gzip(weblogs, store_dirs, monkeypatch, operator_actor):
    for data in (vhost().encode() + b"\n", gzip.compress(vhost(path="/z").encode() + b"\n")):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))
        result = ingest(["-"], actor=operator_actor, now=NOW)
        assert (result.lines, result.stored) == (1, 1)
        assert result.formats == {"standard input": "vhost_combined"}
    assert sorted(r["path"] for r in stored_rows(store_dirs[0])) == ["/index.html", "/z"]


@BOTH_STORES
def test_it_keeps_rejected_lines_aside_with_their_numbers(weblogs, store_at, ingest_lines):
    lines = [
        vhost(),  # 1
        "garbage that is no log line",  # 2
        vhost()[:60],  # 3: truncated
        "",  # 4: blank
        vhost(when="31/Nov/2026:10:00:00 +0000"),  # 5: no such day
        vhost(ip="host.example.net"),  # 6: a name, not an address
        vhost("bad_host!:80"),  # 7
        vhost(path="/ok"),  # 8
    ]
    result = ingest_lines(lines)
    assert (result.lines, result.stored, result.rejected, result.blank, result.expired) == (8, 2, 5, 1, 0)
    assert result.rejects_file is not None and result.rejects_file.startswith(store_at.path("_rejects", ""))
    assert store_at.glob("_rejects/*/*.csv") == [result.rejects_file[len(store_at.root) + 1 :]]
    rejects = _rejects(result, store_at)
    assert [(int(r[1]), r[2]) for r in rejects] == [
        (2, "not a line in the vhost_combined format"),
        (3, "not a line in the vhost_combined format"),
        (5, "the time is not a valid date and time"),
        (6, "the client address is not an IP address"),
        (7, "the virtual host is not a domain name"),
    ]
    assert rejects[0][3] == "garbage that is no log line"


def test_it_numbers_lines_across_chunks(weblogs, store_dirs, ingest_lines):
    lines = [vhost(path=f"/p{i}") for i in range(200)]
    lines[150] = "broken"
    lines[7] = "broken too"
    result = ingest_lines(lines, chunk_bytes=1000)  # many chunks, lines cut at every chunk border
    assert (result.lines, result.stored, result.rejected) == (200, 198, 2)
    assert [int(r[1]) for r in _rejects(result)] == [8, 151]
    assert {r["path"] for r in stored_rows(store_dirs[0])} == {f"/p{i}" for i in range(200)} - {
        "/p7",
        "/p150",
    }


def test_it_survives_hostile_lines(weblogs, store_dirs, tmp_path, operator_actor):
    long_path = "/" + "a" * 1_000_000
    lines = [
        vhost(path=r"/q?x=\"quoted\"&y=[1]"),
        vhost(agent=r"Evil \"agent\" [brackets] \\ backslash"),
        vhost(path="/%00%ff<script>"),
        vhost(path=long_path),
        vhost(ip="2001:DB8:0:0:0:0:0:1"),
        vhost(ip="::ffff:192.0.2.10"),
        vhost(referrer="-", agent="-", path="/no-referrer"),
    ]
    raw = ("\n".join(lines) + "\n").encode()
    raw += vhost(path="/caf\u00e9").encode("latin-1") + b"\r\n"  # not UTF-8, and a CRLF ending
    raw += b"\xff\xfe\x00 binary junk\n"
    raw += vhost(path="/last-line-without-newline").encode()
    path = tmp_path / "hostile.log"
    path.write_bytes(raw)
    result = ingest([str(path)], actor=operator_actor, now=NOW)
    assert (result.lines, result.stored, result.rejected) == (10, 9, 1)
    stored = stored_rows(store_dirs[0])
    rows = {r["path"]: r for r in stored}  # several lines have the path "/": any one of them
    assert r"/q?x=\"quoted\"&y=[1]" in rows
    assert any(r["user_agent"] == r"Evil \"agent\" [brackets] \\ backslash" for r in stored)
    assert long_path in rows
    assert "/caf\\xe9" in rows  # the byte that is not UTF-8 kept as an escape, as nginx writes it
    assert "/last-line-without-newline" in rows
    assert rows["/no-referrer"]["referrer"] is None and rows["/no-referrer"]["user_agent"] is None
    [reject] = _rejects(result)
    assert reject[1] == "9"


@pytest.mark.parametrize("chunk_bytes", [300, 1 << 20])  # the line across reads, or within one
def test_it_rejects_a_line_longer_than_the_limit_and_keeps_its_start(
    weblogs, store_dirs, tmp_path, operator_actor, chunk_bytes
):
    long_line = vhost(path="/" + "x" * 5000)
    path = tmp_path / "long.log"
    path.write_text(
        "\n".join([vhost(path="/before"), long_line, vhost(path="/after")]) + "\n", encoding="utf-8"
    )
    result = ingest([str(path)], actor=operator_actor, now=NOW, chunk_bytes=chunk_bytes, max_line=1000)
    assert (result.lines, result.stored, result.rejected) == (3, 2, 1)
    [reject] = _rejects(result)
    assert reject[1:3] == ["2", "the line is longer than 1,000 bytes (the first 1,000 are kept here)"]
    assert reject[3] == long_line[:1000]
    assert sorted(r["path"] for r in stored_rows(store_dirs[0])) == ["/after", "/before"]


def test_a_line_without_end_is_never_held_whole(weblogs, store_dirs, tmp_path, operator_actor):
    from trustdesk.weblogs import reader

    path = tmp_path / "endless.log"
    with path.open("wb") as handle:
        handle.write((vhost(path="/first") + "\n").encode())
        for _ in range(64):  # 4 MiB without a newline, read 64 KiB at a time
            handle.write(b"y" * 65536)
    seen = []
    for chunk in reader.chunks(path.open("rb"), size=65536, max_line=1 << 20):
        seen.append((len(chunk.block), chunk.long_line[1] if chunk.long_line else None))
    assert seen == [(len(vhost(path="/first")) + 1, None), (0, 4 * 1024 * 1024)]
    result = ingest([str(path)], actor=operator_actor, now=NOW, chunk_bytes=65536, max_line=1 << 20)
    assert (result.lines, result.stored, result.rejected) == (2, 1, 1)
    [reject] = _rejects(result)
    assert reject[3] == "y" * 65536  # its first 64 KiB
    assert reject[2] == "the line is longer than 1,048,576 bytes (the first 65,536 are kept here)"


def test_it_gives_one_token_to_every_form_of_an_address(weblogs, store_dirs, ingest_lines):
    ingest_lines(
        [
            vhost(ip="192.0.2.10", path="/1"),
            vhost(ip="::ffff:192.0.2.10", path="/2"),
            vhost(ip="2001:DB8::1", path="/3"),
            vhost(ip="2001:db8:0:0:0:0:0:1", path="/4"),
        ]
    )
    tokens = {r["path"]: r["ip"] for r in stored_rows(store_dirs[0])}
    assert tokens["/1"] == tokens["/2"]
    assert tokens["/3"] == tokens["/4"]
    assert tokens["/1"] != tokens["/3"]
    assert b"192.0.2.10" not in b"".join(tokens.values())


def test_the_tokens_computed_in_sql_are_the_keyed_hash_of_the_packed_address(
    weblogs, store_dirs, ingest_lines
):
    from trustdesk.weblogs.addresses import pack

    addresses = [
        "0.0.0.0",  # noqa: S104 (an address in a log line)
        "9.10.99.100",
        "199.200.249.250",
        "255.255.255.255",
        "192.0.2.010",  # a leading zero: no dotted quad for inet_pton, nor for ipaddress
        "::ffff:198.51.100.7",
        "2001:DB8::A",
        "::1",
        "1.2.3",
    ]
    lines = [vhost(ip=address, path=f"/{n}") for n, address in enumerate(addresses)]
    result = ingest_lines(lines)
    assert (result.stored, result.rejected) == (7, 2)  # the leading zero and the three parts
    key = KeyRing(store_dirs[1]).get("2026-11")
    assert key is not None
    tokens = {r["path"]: r["ip"] for r in stored_rows(store_dirs[0])}
    for n, address in enumerate(addresses):
        packed = pack(address)
        if packed is None:
            assert f"/{n}" not in tokens
        else:
            assert tokens[f"/{n}"] == key.hmac_token(packed), address


def test_it_uses_one_key_per_month(weblogs, store_dirs, ingest_lines):
    ingest_lines([vhost(when="31/Oct/2026:23:59:59 +0000", path="/oct"), vhost(path="/nov")])
    tokens = {r["path"]: r["ip"] for r in stored_rows(store_dirs[0])}
    assert tokens["/oct"] != tokens["/nov"]  # the same address, unlinkable across months
    keys = sorted(store_dirs[1].iterdir())
    assert [k.name for k in keys] == ["weblog-2026-10.key", "weblog-2026-11.key"]
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert not key.is_relative_to(store_dirs[0])


def test_it_refuses_a_key_directory_inside_the_store(weblogs, settings, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    settings.WEBLOGS_KEY_DIR = tmp_path / "weblogs" / "keys"
    with pytest.raises(ImproperlyConfigured, match="lies inside the web-log store"):
        Store()


def test_it_keeps_only_the_fields_the_policy_lists(weblogs, store_dirs, ingest_lines):
    weblogs(fields="[domain, path, status]")
    ingest_lines([vhost()])
    [row] = stored_rows(store_dirs[0])
    assert row["path"] == "/index.html" and row["status"] == 200
    assert row["referrer"] is None and row["user_agent"] is None and row["bytes"] is None
    assert row["ip"] is None and row["ip_kind"] is None
    assert not store_dirs[1].exists()  # no address, so no key is ever made
    assert not (store_dirs[0] / "_index").exists()


def test_it_keeps_no_site_when_the_policy_leaves_out_the_domain(weblogs, store_dirs, ingest_lines):
    weblogs(fields="[path, ip_address]")
    ingest_lines([combined()])  # no site needed
    assert [p.name for p in store_dirs[0].glob("site=*")] == ["site=-"]


@pytest.mark.parametrize(
    ("storage", "v4", "v6"),
    [("truncate", b"192.0.2.0/24", b"2001:db8:abcd::/48"), ("raw", b"192.0.2.10", b"2001:db8:abcd:12::1")],
)
def test_it_truncates_or_keeps_addresses_as_the_policy_chooses(
    weblogs, store_dirs, ingest_lines, storage, v4, v6
):
    weblogs(ip_storage=storage)
    ingest_lines([vhost(ip="::ffff:192.0.2.10", path="/4"), vhost(ip="2001:DB8:ABCD:12::1", path="/6")])
    rows = {r["path"]: r for r in stored_rows(store_dirs[0])}
    assert (rows["/4"]["ip"], rows["/6"]["ip"]) == (v4, v6)
    assert rows["/4"]["ip_kind"] == storage
    assert not store_dirs[1].exists()


def test_it_encrypts_addresses_with_aes_siv_so_that_the_key_recovers_them(weblogs, store_dirs, ingest_lines):
    weblogs(ip_storage="aes_siv")
    ingest_lines([vhost(ip="::ffff:192.0.2.10", path="/a"), vhost(ip="192.0.2.10", path="/b")])
    rows = stored_rows(store_dirs[0])
    assert rows[0]["ip"] == rows[1]["ip"]  # deterministic
    assert KeyRing(store_dirs[1]).get("2026-11").decrypt(rows[0]["ip"]) == "192.0.2.10"


def test_it_does_not_store_lines_already_past_the_window(weblogs, store_dirs, ingest_lines):
    result = ingest_lines(
        [
            vhost(when="30/Nov/2024:12:00:00 +0000", path="/exactly-two-years"),
            vhost(when="30/Nov/2024:12:00:01 +0000", path="/one-second-less"),
        ]
    )
    assert (result.stored, result.expired) == (1, 1)
    assert [r["path"] for r in stored_rows(store_dirs[0])] == ["/one-second-less"]
    assert not (store_dirs[1] / "weblog-2024-10.key").exists()


def test_it_journals_the_ingest_without_addresses(weblogs, store_dirs, ingest_lines):
    result = ingest_lines([vhost(), "junk"])
    entry = JournalEntry.objects.get(action="weblogs.ingested")
    assert entry.actor == "operator:tester"
    assert entry.object_id == result.ingest_id
    assert entry.payload["lines"] == 2 and entry.payload["stored"] == 1 and entry.payload["rejected"] == 1
    assert "192.0.2" not in str(entry.payload) + entry.object_id


@BOTH_STORES
def test_it_adds_files_when_the_same_day_is_ingested_again(weblogs, store_at, ingest_lines):
    ingest_lines([vhost(path="/1")])
    ingest_lines([vhost(path="/2")])
    assert len(store_at.glob("site=shop.example.com/day=2026-11-30/*.parquet")) == 2
    assert len(store_at.glob("_index/month=2026-11/*.parquet")) == 1  # the month's index merged, not added
    assert [r["path"] for r in store_at.rows()] == ["/1", "/2"]
    assert store_at.names("_staging") == []
    assert store_at.glob("**/*.csv") == []


def test_it_refuses_without_a_web_logs_section(publish, store_dirs, ingest_lines):
    publish()
    with pytest.raises(Exception, match="has no web_logs section"):
        ingest_lines([vhost()])


def test_it_accepts_fields_after_the_user_agent_and_crlf_endings(
    weblogs, store_dirs, tmp_path, operator_actor
):
    path = tmp_path / "nginx.log"
    extra = combined(path="/xff") + ' "203.0.113.50, 198.51.100.2"'
    common = '192.0.2.1 - - [30/Nov/2026:10:00:00 +0000] "GET /common HTTP/1.0" 200 10'
    path.write_bytes((extra + "\r\n" + combined(path="/crlf") + "\r\n").encode())
    result = ingest([str(path)], actor=operator_actor, site="a.example", now=NOW)
    assert (result.stored, result.rejected) == (2, 0)
    rows = {r["path"]: r for r in stored_rows(store_dirs[0])}
    assert (
        rows["/xff"]["user_agent"] == "Mozilla/5.0 (X11; Linux x86_64)"
    )  # the forwarded addresses are not kept
    assert rows["/crlf"]["user_agent"] == "Mozilla/5.0 (X11; Linux x86_64)"
    other = tmp_path / "common.log"
    other.write_bytes((common + "\r\n" + combined(path="/not-common") + "\n").encode())
    result = ingest([str(other)], actor=operator_actor, site="a.example", fmt="common", now=NOW)
    assert (result.stored, result.rejected) == (1, 1)
    assert [r[2] for r in _rejects(result)] == ["not a line in the common format"]
    assert "203.0.113.50" not in repr(stored_rows(store_dirs[0]))


def test_it_writes_one_file_per_day_across_chunks(weblogs, store_dirs, ingest_lines):
    # Chunks of about 300 bytes: every day's lines are spread over several chunks.
    lines = [
        vhost(path=f"/{day}-{n}", when=f"{day:02d}/Nov/2026:{n:02d}:00:00 +0000", ip=f"192.0.2.{n}")
        for day in (1, 2, 3)
        for n in range(10)
    ]
    result = ingest_lines(lines, chunk_bytes=300)
    assert (result.lines, result.stored) == (30, 30)
    site = store_dirs[0] / "site=shop.example.com"
    assert {p.name: len(list(p.glob("*.parquet"))) for p in site.iterdir()} == {
        "day=2026-11-01": 1,
        "day=2026-11-02": 1,
        "day=2026-11-03": 1,
    }
    rows = stored_rows(store_dirs[0])
    assert [r["path"] for r in rows] == [f"/{day}-{n}" for day in (1, 2, 3) for n in range(10)]
    assert len({r["ip"] for r in rows}) == 10  # one token per address, whichever chunk saw it


def test_it_keeps_one_index_file_a_month_with_stable_ids(weblogs, store_dirs, ingest_lines):
    import pyarrow.parquet as pq

    ingest_lines([vhost(ip="192.0.2.1", path="/a", when="01/Nov/2026:10:00:00 +0000")])
    ingest_lines(
        [
            vhost(ip="192.0.2.1", path="/b", when="03/Nov/2026:10:00:00 +0000"),
            vhost(ip="::ffff:192.0.2.1", path="/c", when="03/Nov/2026:11:00:00 +0000"),
            vhost(ip="192.0.2.2", path="/d", when="03/Nov/2026:12:00:00 +0000"),
        ]
    )
    [index] = (store_dirs[0] / "_index" / "month=2026-11").glob("*.parquet")
    rows = sorted(pq.read_table(index).to_pylist(), key=lambda r: r["id"])
    assert [(r["id"], r["site"], r["days"], r["ip_kind"]) for r in rows] == [
        (0, "shop.example.com", 0b101, "hmac"),  # seen on the 1st and the 3rd
        (1, "shop.example.com", 0b100, "hmac"),
    ]
    hits = {r["path"]: r for r in stored_rows(store_dirs[0])}
    assert hits["/a"]["ip"] == hits["/b"]["ip"] == hits["/c"]["ip"] == rows[0]["token"]
    assert hits["/d"]["ip"] == rows[1]["token"]
    assert (
        "ip" not in pq.read_schema(next((store_dirs[0] / "site=shop.example.com").rglob("*.parquet"))).names
    )


def test_a_month_keeps_its_ids_when_it_comes_back_chunks_later(weblogs, store_dirs, ingest_lines):
    import pyarrow.parquet as pq

    months = ["Jun", "Jul", "Aug", "Sep", "Oct", "Nov"]
    lines = [vhost(ip="192.0.2.1", path=f"/{m}", when=f"02/{m}/2026:10:00:00 +0000") for m in months]
    lines += [vhost(ip="::ffff:192.0.2.1", path="/late", when="20/Jun/2026:10:00:00 +0000")]  # out of order
    result = ingest_lines(lines, chunk_bytes=150)  # about a line a chunk
    assert result.stored == 7
    [index] = (store_dirs[0] / "_index" / "month=2026-06").glob("*.parquet")
    [row] = pq.read_table(index).to_pylist()
    assert (row["id"], row["days"]) == (0, 1 << 1 | 1 << 19)
    june = [r for r in stored_rows(store_dirs[0]) if r["day"].month == 6]
    assert [r["path"] for r in june] == ["/Jun", "/late"] and june[0]["ip"] == june[1]["ip"] == row["token"]


@hypothesis_settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(
        st.one_of(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), st.just(b"x" * 300)),
        max_size=30,
    ),
    ending=st.booleans(),
    size=st.integers(16, 128),
)
def test_reused_read_buffers_give_the_same_chunks(lines, ending, size):
    """Chunks read into reused buffers (each given back once read, as the ingest does) are those of
    fresh buffers: carried line starts, over-long lines and the last line without an end included."""
    from trustdesk.weblogs import reader

    data = b"\n".join(lines) + (b"\n" if ending and lines else b"")

    def read(buffers: reader.Buffers | None) -> list[tuple[int, bytes, int, tuple[bytes, int] | None]]:
        seen = []
        for chunk in reader.chunks(io.BytesIO(data), size=size, max_line=100, buffers=buffers):
            seen.append((chunk.first_line, bytes(chunk.block), chunk.lines, chunk.long_line))
            if buffers is not None:
                buffers.give(chunk)
                assert chunk.block == b"" and chunk.buffer is None
        return seen

    buffers = reader.Buffers(size, spare=64)
    assert read(buffers) == read(None)
    assert len(buffers._free) <= 2  # the same one or two buffers, again and again
