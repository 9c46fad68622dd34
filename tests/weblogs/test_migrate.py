"""``migrate``: a store of the earlier layout (the token in every row) converted in place, safely re-run."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import time_machine
from django.core.management import call_command

from tests.weblogs.conftest import BOTH_STORES, NOW, StoreView, vhost
from trustdesk.journal.models import JournalEntry
from trustdesk.weblogs.addresses import pack
from trustdesk.weblogs.keys import KeyRing
from trustdesk.weblogs.migrate import migrate
from trustdesk.weblogs.services import erase_ip, expire, search
from trustdesk.weblogs.store import Store, WeblogsError

pytestmark = pytest.mark.django_db

REASON = "migration check"
#: (site, time in UTC, address, path, status, bytes); the retention is two years before NOW.
ROWS = [
    ("a.example", dt.datetime(2026, 10, 3, 8, 0, 0), "192.0.2.10", "/wp-login.php", 200, "512"),  # noqa: DTZ001
    ("a.example", dt.datetime(2026, 10, 3, 9, 0, 0), "2001:db8::7", "/index.html", 200, "-"),  # noqa: DTZ001
    ("b.example", dt.datetime(2026, 10, 3, 9, 30, 0), "192.0.2.10", "/shop", 404, "0"),  # noqa: DTZ001
    ("a.example", dt.datetime(2026, 10, 31, 23, 59, 59), "198.51.100.1", "/late", 200, "7"),  # noqa: DTZ001
    ("a.example", dt.datetime(2026, 11, 1, 0, 0, 0), "2001:db8::7", "/wp-admin/", 302, "1"),  # noqa: DTZ001
    ("b.example", dt.datetime(2026, 11, 20, 12, 0, 0), "192.0.2.10", "/wp-login.php?x=1", 200, "2"),  # noqa: DTZ001
    ("b.example", dt.datetime(2026, 11, 20, 12, 0, 5), "198.51.100.1", "/next", 200, "3"),  # noqa: DTZ001
    ("b.example", dt.datetime(2026, 11, 21, 7, 0, 0), "2001:db8::7", "/wp-login.php", 200, "4"),  # noqa: DTZ001
    ("b.example", dt.datetime(2024, 11, 30, 11, 0, 0), "192.0.2.10", "/expired-boundary", 200, "5"),  # noqa: DTZ001
    ("b.example", dt.datetime(2024, 11, 30, 13, 0, 0), "192.0.2.10", "/kept-boundary", 200, "6"),  # noqa: DTZ001
    ("a.example", dt.datetime(2024, 10, 15, 10, 0, 0), "2001:db8::7", "/expired-month", 200, "8"),  # noqa: DTZ001
]
ADDRESSES = ("192.0.2.10", "2001:db8::7", "198.51.100.1")
#: The hits of 2026-10-03 on a.example were ingested by two runs: two files in that day.
SECOND_FILE = {"/index.html"}

EARLIER_HITS = pa.schema(
    [
        ("ts", pa.timestamp("us")),
        ("method", pa.string()),
        ("path", pa.string()),
        ("protocol", pa.string()),
        ("status", pa.int16()),
        ("bytes", pa.int64()),
        ("referrer", pa.string()),
        ("user_agent", pa.string()),
        ("ip", pa.binary()),
        ("ip_kind", pa.string()),
    ]
)
EARLIER_INDEX = pa.schema([("token", pa.binary()), ("site", pa.string()), ("day", pa.date32())])
AGENT = "Mozilla/5.0 (X11; Linux x86_64)"


def _lines() -> list[str]:
    return [
        vhost(
            site,
            ip=ip,
            when=ts.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            path=path,
            status=status,
            size=size,
            referrer="-" if status == 404 else "https://example.org/",
            agent=AGENT,
        )
        for site, ts, ip, path, status, size in ROWS
    ]


def _token(keys: KeyRing, storage: str, month: str, ip: str) -> bytes:
    key = keys.get(month, create=True)
    packed = pack(ip)
    assert key is not None and packed is not None
    return key.hmac_token(packed) if storage == "hmac" else key.siv_token(packed)


def write_earlier_store(
    view: StoreView, key_dir: Path, storage: str, scratch: Path, *, without_index: tuple[str, ...] = ()
) -> None:
    """The store as the earlier layout wrote it: the token in each row, the index of token, site, day."""
    keys = KeyRing(key_dir)
    files: dict[tuple[str, str, bool], list[dict]] = {}
    index: dict[str, set[tuple[bytes, str, dt.date]]] = {}
    for site, ts, ip, path, status, size in ROWS:
        month = ts.strftime("%Y-%m")
        token = _token(keys, storage, month, ip)
        files.setdefault((site, ts.date().isoformat(), path in SECOND_FILE), []).append(
            {
                "ts": ts,
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "status": status,
                "bytes": None if size == "-" else int(size),
                "referrer": None if status == 404 else "https://example.org/",
                "user_agent": AGENT,
                "ip": token,
                "ip_kind": storage,
            }
        )
        index.setdefault(month, set()).add((token, site, ts.date()))
    scratch.mkdir(exist_ok=True)

    def put(table: pa.Table, *folders: str) -> None:
        local = scratch / f"part-{uuid.uuid4()}.parquet"
        pq.write_table(table, local, compression="zstd")
        target = view.path(*folders, local.name)
        if view.kind == "dir":
            view.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        view.fs.put_file(str(local), target)

    for (site, day, _second), rows in files.items():
        put(pa.Table.from_pylist(rows, EARLIER_HITS), f"site={site}", f"day={day}")
    for month, entries in index.items():
        if month in without_index:
            continue
        rows = [{"token": t, "site": s, "day": d} for t, s, d in sorted(entries)]
        put(pa.Table.from_pylist(rows, EARLIER_INDEX), "_index", f"month={month}")


def make_fresh(tmp_path: Path, ingest_lines) -> Store:
    """A store ingested from the same lines at NOW under the policy in effect, with the same month keys."""
    store = Store(root=tmp_path / "fresh")
    result = ingest_lines(_lines(), store=store)
    assert (result.stored, result.expired) == (len(ROWS) - 2, 2)
    return store


@pytest.fixture
def fresh(tmp_path: Path, ingest_lines) -> Store:
    return make_fresh(tmp_path, ingest_lines)


def _searches(officer, store: Store | None = None) -> list[list]:
    def hits(ip: str | None = None, path: str | None = None, site: str | None = None) -> list:
        return search(actor=officer, reason=REASON, now=NOW, store=store, ip=ip, path=path, site=site).hits

    found = [hits(ip=ip) for ip in ADDRESSES]
    found += [hits(path="/wp-*"), hits(path="*"), hits(site="a.example"), hits(site="b.example")]
    return found


def assert_same_as_fresh(fresh: Store, officer, *, whole: bool = True) -> None:
    expected = _searches(officer, fresh)
    if whole:  # before an erasure: every address and every hit in the window is found
        assert all(expected[:3]) and len(expected[4]) == len(ROWS) - 2
    assert _searches(officer) == expected


def assert_current_layout(
    view: StoreView, months: tuple[str, ...] = ("2024-11", "2026-10", "2026-11")
) -> None:
    hits = view.glob("site=*/day=*/*.parquet")
    assert hits and all(
        "ip_id" in pq.read_schema(view.fs.open(view.path(f))).names
        and "ip" not in pq.read_schema(view.fs.open(view.path(f))).names
        for f in hits
    )
    index = view.glob("_index/month=*/*.parquet")
    assert [f.split("/")[1] for f in index] == [f"month={month}" for month in months]
    assert all(
        pq.read_schema(view.fs.open(view.path(f))).names == ["token", "ip_kind", "id", "site", "days"]
        for f in index
    )
    assert not view.exists("_migrating")


def _journaled() -> list[dict]:
    return [e.payload or {} for e in JournalEntry.objects.filter(action="weblogs.migrated").order_by("seq")]


@BOTH_STORES
@pytest.mark.parametrize("storage", ["hmac", "aes_siv"])
def test_it_converts_a_store_of_the_earlier_layout_in_place(
    weblogs, store_at, tmp_path, ingest_lines, storage, officer_actor, operator_actor
):
    weblogs(ip_storage=storage)
    fresh = make_fresh(tmp_path, ingest_lines)
    write_earlier_store(store_at, store_at.keys, storage, tmp_path / "scratch")
    with pytest.raises(WeblogsError, match=r"earlier layout .*`trustdesk weblogs migrate`"):
        search(actor=officer_actor, reason=REASON, site="a.example", now=NOW)
    with pytest.raises(
        WeblogsError, match=r"month index of the earlier layout .*`trustdesk weblogs migrate`"
    ):
        search(actor=officer_actor, reason=REASON, ip="192.0.2.10", now=NOW)

    files = store_at.glob("**/*.parquet")
    planned = migrate(actor=operator_actor, now=NOW, dry_run=True)
    assert [(m.month, m.hits_files, m.index_files, m.rows, m.expired) for m in planned.months] == [
        ("2024-10", 1, 1, 1, 1),
        ("2024-11", 1, 1, 2, 1),
        ("2026-10", 4, 1, 4, 0),
        ("2026-11", 3, 1, 4, 0),
    ]
    assert store_at.glob("**/*.parquet") == files and not _journaled()

    result = migrate(actor=operator_actor, now=NOW)

    assert [(m.month, m.rows, m.migrated, m.expired, m.addresses) for m in result.months] == [
        ("2024-10", 1, 0, 1, 0),
        ("2024-11", 2, 1, 1, 1),
        ("2026-10", 4, 4, 0, 3),
        ("2026-11", 4, 4, 0, 3),
    ]
    assert_current_layout(store_at)
    assert not store_at.exists("site=a.example", "day=2024-10-15")  # nothing of it was kept
    assert_same_as_fresh(fresh, officer_actor)
    journaled = _journaled()
    assert [(p["month"], p["hits_files"], p["rows"], p["addresses"]) for p in journaled] == [
        ("2024-10", 1, 1, 0),
        ("2024-11", 1, 2, 1),
        ("2026-10", 4, 4, 3),
        ("2026-11", 3, 4, 3),
    ]
    text = json.dumps(journaled)
    assert not any(address in text for address in ADDRESSES) and "example" not in text
    assert migrate(actor=operator_actor, now=NOW).months == []  # nothing left to do

    # Erasure and expiry work on the migrated store as on the fresh one.
    erased = erase_ip("192.0.2.10", actor=operator_actor, reason="erasure request R-1")
    assert erased.hits == erase_ip("192.0.2.10", actor=operator_actor, reason="R-1", store=fresh).hits == 4
    assert_same_as_fresh(fresh, officer_actor, whole=False)
    later = NOW.replace(year=2028, month=10, day=20)
    assert (
        expire(later, actor=operator_actor).hits == expire(later, actor=operator_actor, store=fresh).hits > 0
    )
    kept = [h.path for h in search(actor=officer_actor, reason=REASON, path="*", now=later).hits]
    assert kept == [
        h.path for h in search(actor=officer_actor, reason=REASON, path="*", now=later, store=fresh).hits
    ]
    assert kept == ["/late", "/wp-admin/", "/next", "/wp-login.php"]


class Killed(BaseException):
    """What a kill looks like to the code under it: no handler runs, nothing is taken back."""


@BOTH_STORES
def test_it_finishes_a_month_whose_earlier_files_were_not_all_removed(
    weblogs, store_at, tmp_path, fresh, monkeypatch, officer_actor, operator_actor
):
    write_earlier_store(store_at, store_at.keys, "hmac", tmp_path / "scratch")
    storage_class = type(Store().storage)
    original = storage_class.remove
    calls = []

    def failing(self, path: str) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise WeblogsError("the store could not be written (simulated)")
        original(self, path)

    monkeypatch.setattr(storage_class, "remove", failing)
    with pytest.raises(WeblogsError, match="simulated"):
        migrate(actor=operator_actor, now=NOW)
    monkeypatch.setattr(storage_class, "remove", original)
    assert store_at.names("_migrating") == ["month=2024-10.json"]

    result = migrate(actor=operator_actor, now=NOW)

    assert [(m.month, m.resumed) for m in result.months] == [
        ("2024-10", "published"),
        ("2024-11", None),
        ("2026-10", None),
        ("2026-11", None),
    ]
    assert_current_layout(store_at)
    assert_same_as_fresh(fresh, officer_actor)
    assert [p["month"] for p in _journaled()] == ["2024-10", "2024-11", "2026-10", "2026-11"]  # each once


@BOTH_STORES
def test_it_takes_back_a_month_that_was_half_published(
    weblogs, store_at, tmp_path, fresh, monkeypatch, officer_actor, operator_actor
):
    write_earlier_store(store_at, store_at.keys, "hmac", tmp_path / "scratch")
    storage_class = type(Store().storage)
    original = storage_class.publish
    calls = []

    def killed(self, source: Path, folder: str, name: str | None = None) -> str:
        calls.append(folder)
        if "day=2026-10" in folder and sum("day=2026-10" in f for f in calls) == 2:
            raise Killed
        return original(self, source, folder, name)

    monkeypatch.setattr(storage_class, "publish", killed)
    with pytest.raises(Killed):
        migrate(actor=operator_actor, now=NOW)
    monkeypatch.setattr(storage_class, "publish", original)
    # October is half done: one of its new files is in the store beside the earlier ones.
    october = store_at.glob("site=*/day=2026-10-*/*.parquet")
    assert len(october) == 5
    assert [store_at.names("_migrating")] == [["month=2026-10.json"]]

    result = migrate(actor=operator_actor, now=NOW)

    assert [(m.month, m.resumed, m.migrated) for m in result.months] == [
        ("2026-10", "publishing", 4),
        ("2026-11", None, 4),
    ]
    assert len(store_at.glob("site=*/day=2026-10-*/*.parquet")) == 4  # never doubled
    assert_current_layout(store_at)
    assert_same_as_fresh(fresh, officer_actor)
    assert [p["month"] for p in _journaled()] == ["2024-10", "2024-11", "2026-10", "2026-11"]


_KILLER = """
import os, signal, sys, datetime as dt
import django
django.setup()
from trustdesk.registry.services import Actor
from trustdesk.weblogs import migrate
from trustdesk.weblogs.storage import LocalStorage
from trustdesk.weblogs.store import Store, Window

operation, after = sys.argv[1], int(sys.argv[2])
original = getattr(LocalStorage, operation)
calls = []

def kill(self, *args, **kwargs):
    calls.append(args)
    if len(calls) == after:
        os.kill(os.getpid(), signal.SIGKILL)
    return original(self, *args, **kwargs)

setattr(LocalStorage, operation, kill)
migrate._journal = lambda *args: None  # this process has no database: the months it finishes go unjournaled
window = Window(now=dt.datetime(2026, 11, 30, 12), cutoff=dt.datetime(2024, 11, 30, 12))
migrate.migrate_store(Store(), window, actor=Actor.operator("killed"))
"""


@pytest.mark.parametrize(("operation", "after"), [("publish", 5), ("publish", 9), ("remove", 4)])
def test_it_recovers_from_a_real_kill(
    weblogs, store_at, tmp_path, fresh, settings, officer_actor, operator_actor, operation, after
):
    write_earlier_store(store_at, store_at.keys, "hmac", tmp_path / "scratch")
    env = {
        **os.environ,
        "TRUSTDESK_DATA_DIR": str(tmp_path / "killed-data"),
        "TRUSTDESK_WEBLOGS_URL": str(settings.WEBLOGS_URL),
        "TRUSTDESK_WEBLOGS_KEY_DIR": str(settings.WEBLOGS_KEY_DIR),
        "TRUSTDESK_WEBLOGS_WORK_DIR": str(settings.WEBLOGS_WORK_DIR),
        "DJANGO_SETTINGS_MODULE": "trustdesk.settings",
    }
    run = subprocess.run(
        [sys.executable, "-c", _KILLER, operation, str(after)], env=env, capture_output=True, timeout=120
    )
    assert run.returncode == -9, run.stderr.decode()[-2000:]
    assert store_at.names("_migrating")  # it stopped in the middle of a month

    migrate(actor=operator_actor, now=NOW)

    assert_current_layout(store_at)
    assert_same_as_fresh(fresh, officer_actor)
    months = [p["month"] for p in _journaled()]
    assert len(months) == len(set(months)) and "2026-11" in months  # the months this run did, each once


def test_the_command_says_when_there_is_nothing_to_migrate(weblogs, store_dirs, ingest_lines):
    ingest_lines([vhost()])
    out = io.StringIO()
    call_command("weblogs", "migrate", stdout=out)
    assert "nothing to migrate" in out.getvalue()
    call_command("weblogs", "migrate", "--json", stdout=(out := io.StringIO()))
    assert json.loads(out.getvalue())["nothing_to_migrate"] is True


@pytest.fixture
def clock_a_day_after_now():
    """The command reads the real clock: the test runs a day after NOW (the policy is published then
    too), so that the retention window (from 2024-12-01) and the months inside it are the same
    whatever day it runs."""
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=True):
        yield


def test_the_command_migrates_and_reports_a_dry_run(clock_a_day_after_now, weblogs, store_at, tmp_path):
    write_earlier_store(store_at, store_at.keys, "hmac", tmp_path / "scratch")
    out = io.StringIO()
    call_command("weblogs", "migrate", "--dry-run", stdout=out)
    assert (
        "2026-10: would migrate 4 hits files (4 rows, 0 of them past the retention window) and 1 index files"
        in out.getvalue()
    )
    assert not _journaled()
    call_command("weblogs", "migrate", "--json", stdout=(out := io.StringIO()))
    summary = json.loads(out.getvalue())
    assert [m["month"] for m in summary["months"]] == ["2024-10", "2024-11", "2026-10", "2026-11"]
    assert summary["months"][2]["migrated"] == 4
    assert "192.0.2" not in out.getvalue()
    assert_current_layout(store_at, ("2026-10", "2026-11"))  # 2024-11 is past the window too


@BOTH_STORES
def test_it_leaves_current_files_as_they_are_and_ingest_goes_on_after_it(
    weblogs, store_at, tmp_path, ingest_lines, officer_actor, operator_actor
):
    write_earlier_store(store_at, store_at.keys, "hmac", tmp_path / "scratch")
    september = vhost("a.example", ip="192.0.2.10", when="15/Sep/2026:10:00:00 +0000", path="/september")
    ingest_lines([september])  # a month the earlier layout never held
    current = store_at.glob("*/day=2026-09-15/*.parquet") + store_at.glob("_index/month=2026-09/*.parquet")
    data = [store_at.fs.cat_file(store_at.path(f)) for f in current]

    assert [m.month for m in migrate(actor=operator_actor, now=NOW).months] == [
        "2024-10",
        "2024-11",
        "2026-10",
        "2026-11",
    ]

    assert [store_at.fs.cat_file(store_at.path(f)) for f in current] == data  # not rewritten
    ingest_lines([vhost("a.example", when="29/Nov/2026:10:00:00 +0000", path="/after")])
    found = search(actor=officer_actor, reason=REASON, ip="192.0.2.10", now=NOW).hits
    assert [h.path for h in found] == [
        "/kept-boundary",
        "/september",
        "/wp-login.php",
        "/shop",
        "/wp-login.php?x=1",
        "/after",
    ]


def test_an_ingest_into_a_month_of_the_earlier_layout_is_refused_and_stores_nothing(
    weblogs, store_at, tmp_path, ingest_lines
):
    from trustdesk.weblogs.ingest import IngestRefused

    write_earlier_store(store_at, store_at.keys, "hmac", tmp_path / "scratch")
    before = sorted(store_at.glob("**/*.parquet"))
    line = vhost("a.example", ip="192.0.2.10", when="20/Nov/2026:10:00:00 +0000", path="/refused")
    with pytest.raises(IngestRefused, match=r"month=2026-11/.*month index of the earlier layout .*migrate`"):
        ingest_lines([line])
    assert sorted(store_at.glob("**/*.parquet")) == before


def test_it_merges_the_index_a_month_already_has_in_the_current_layout(
    weblogs, store_at, tmp_path, ingest_lines, officer_actor, operator_actor
):
    """A month whose earlier hits have no index (lost, or never made) took an ingest after the change."""
    extra = vhost("b.example", ip="2001:db8::7", when="20/Nov/2026:13:00:00 +0000", path="/current")
    fresh = make_fresh(tmp_path, ingest_lines)
    ingest_lines([extra], store=fresh)
    write_earlier_store(store_at, store_at.keys, "hmac", tmp_path / "scratch", without_index=("2026-11",))
    ingest_lines([extra])
    [current] = store_at.glob("_index/month=2026-11/*.parquet")
    assert pq.read_table(store_at.fs.open(store_at.path(current)))["id"].to_pylist() == [0]

    november = migrate(actor=operator_actor, now=NOW).months[-1]

    assert (november.month, november.index_files, november.addresses) == ("2026-11", 0, 3)
    [index] = store_at.glob("_index/month=2026-11/*.parquet")
    table = pq.read_table(store_at.fs.open(store_at.path(index)))
    # The ingest's id kept (the address is in two sites of the month), the new ones after it.
    assert sorted(table["id"].to_pylist()) == [0, 0, 1, 2]
    expected = _searches(officer_actor, fresh)
    assert _searches(officer_actor) == expected and len(expected[4]) == len(ROWS) - 1
