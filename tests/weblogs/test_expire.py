"""Expiry: whole partitions dropped, the boundary day rewritten, month keys destroyed, journaled."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from tests.weblogs.conftest import BOTH_STORES, stored_rows, vhost
from trustdesk.journal.models import JournalEntry
from trustdesk.weblogs.addresses import candidates, parse_address
from trustdesk.weblogs.keys import KeyRing
from trustdesk.weblogs.services import expire, search
from trustdesk.weblogs.store import Store

pytestmark = pytest.mark.django_db

INGESTED = dt.datetime(2025, 1, 15, tzinfo=dt.UTC)
#: Two years after 2024-11-30 12:00:00 UTC.
EXPIRY = dt.datetime(2026, 11, 30, 12, 0, 0, tzinfo=dt.UTC)


def _lines() -> list[str]:
    return [
        vhost(when="31/Oct/2024:23:59:59 +0000", path="/october"),
        vhost(when="29/Nov/2024:10:00:00 +0000", path="/29th"),
        vhost(when="30/Nov/2024:12:00:00 +0000", path="/boundary-expired"),
        vhost(when="30/Nov/2024:12:00:01 +0000", path="/boundary-kept"),
        vhost(when="01/Dec/2024:00:00:00 +0000", path="/december"),
        "not a log line",
    ]


@BOTH_STORES
def test_it_drops_whole_partitions_and_rewrites_the_boundary_day(
    weblogs, store_at, ingest_lines, operator_actor
):
    ingest_lines(_lines(), now=INGESTED)
    site = "site=shop.example.com"
    assert len(store_at.names(site)) == 4
    assert store_at.names("_index") == ["month=2024-10", "month=2024-11", "month=2024-12"]

    result = expire(EXPIRY, actor=operator_actor)

    assert result.cutoff == dt.datetime(2024, 11, 30, 12, 0, 0)  # noqa: DTZ001
    assert (result.partitions, result.hits, result.days) == (2, 2, ["2024-10-31", "2024-11-29"])
    assert (result.boundary_partitions, result.boundary_hits) == (1, 1)
    assert store_at.names(site) == ["day=2024-11-30", "day=2024-12-01"]
    assert [r["path"] for r in store_at.rows()] == ["/boundary-kept", "/december"]
    assert len(store_at.glob(f"{site}/day=2024-11-30/*.parquet")) == 1  # rewritten as one file
    assert result.keys_destroyed == ["weblog-2024-10"]
    assert result.index_months == ["2024-10"]
    assert store_at.names("_index") == ["month=2024-11", "month=2024-12"]
    assert sorted(p.name for p in store_at.keys.glob("*.key")) == ["weblog-2024-11.key", "weblog-2024-12.key"]
    assert result.reject_days == []  # the rejected line arrived on 2025-01-15: kept until two years after

    entry = JournalEntry.objects.get(action="weblogs.expired")
    assert entry.payload["hits"] == 2 and entry.payload["keys_destroyed"] == ["weblog-2024-10"]
    assert entry.payload["days"] == ["2024-10-31", "2024-11-29"]
    assert "192.0.2" not in str(entry.payload)

    again = expire(EXPIRY, actor=operator_actor)  # idempotent
    assert (again.partitions, again.boundary_hits, again.keys_destroyed) == (0, 0, [])


@BOTH_STORES
def test_it_changes_nothing_on_a_dry_run(weblogs, store_at, ingest_lines, operator_actor):
    ingest_lines(_lines(), now=INGESTED)
    before, files = store_at.rows(), store_at.glob("**/*.parquet")
    result = expire(EXPIRY, actor=operator_actor, dry_run=True)
    assert (result.partitions, result.boundary_hits, result.keys_destroyed) == (2, 1, ["weblog-2024-10"])
    assert store_at.rows() == before and store_at.glob("**/*.parquet") == files
    assert (store_at.keys / "weblog-2024-10.key").exists()
    assert not JournalEntry.objects.filter(action="weblogs.expired").exists()


@pytest.mark.parametrize("storage", ["hmac", "aes_siv"])
def test_it_destroys_month_keys_so_that_a_backup_reveals_nothing(
    weblogs, store_dirs, ingest_lines, operator_actor, tmp_path, storage, officer_actor
):
    weblogs(ip_storage=storage)
    ingest_lines([vhost(when="15/Oct/2024:10:00:00 +0000", path="/old")], now=INGESTED)
    root, key_dir = store_dirs
    backup = tmp_path / "backup"
    shutil.copytree(root, backup)  # a backup of the store, taken before expiry
    [row] = stored_rows(backup)
    token = row["ip"]
    ring = KeyRing(key_dir)
    key = ring.get("2024-10")
    assert key is not None
    address = parse_address("192.0.2.10")
    assert address is not None
    if storage == "aes_siv":
        assert key.decrypt(token) == "192.0.2.10"
    else:
        assert token in [value for _kind, value in candidates(address, "2024-10", ring, networks=False)]

    expire(EXPIRY, actor=operator_actor)

    assert not (key_dir / "weblog-2024-10.key").exists()
    assert (key_dir / "weblog-2024-10.destroyed").exists()
    fresh = KeyRing(key_dir)
    assert fresh.get("2024-10", create=True) is None  # never made again
    # With the key gone the backup's token can be neither decrypted nor matched to an address.
    assert token not in [value for _kind, value in candidates(address, "2024-10", fresh, networks=True)]
    assert b"192.0.2" not in token
    assert stored_rows(root) == []
    # Even a store restored from the backup answers no search for the address.
    restored = Store(root=backup, key_dir=key_dir)
    assert (
        search(actor=officer_actor, reason="restore test", ip="192.0.2.10", store=restored, now=INGESTED).hits
        == []
    )


def test_it_refuses_lines_of_a_month_whose_key_was_destroyed(
    weblogs, store_dirs, ingest_lines, operator_actor
):
    ingest_lines([vhost(when="15/Oct/2024:10:00:00 +0000")], now=INGESTED)
    expire(EXPIRY, actor=operator_actor)
    late = ingest_lines([vhost(when="15/Oct/2024:10:00:00 +0000")], now=INGESTED)  # a backdated clock
    assert (late.stored, late.rejected) == (0, 1)
    assert not (store_dirs[1] / "weblog-2024-10.key").exists()


@BOTH_STORES
def test_it_removes_rejected_lines_two_years_after_they_arrived(
    weblogs, store_at, ingest_lines, operator_actor
):
    ingest_lines([vhost(), "junk"], now=INGESTED)
    assert expire(EXPIRY, actor=operator_actor).reject_days == []
    assert store_at.names("_rejects") == ["day=2025-01-15"]
    result = expire(dt.datetime(2027, 1, 16, tzinfo=dt.UTC), actor=operator_actor)
    assert result.reject_days == ["2025-01-15"]
    assert store_at.names("_rejects") == []
