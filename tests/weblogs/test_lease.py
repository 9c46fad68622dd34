"""The writer lease of a store in S3: writers on two machines (two work directories) exclude each other.

Every test runs against moto's S3 server through s3fs; a "machine" is a Store with its own local
work directory (its own local lock), so only the lease in the bucket stands between them.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.weblogs.conftest import s3_filesystem, vhost
from trustdesk.journal.models import JournalEntry
from trustdesk.weblogs import storage as storage_module
from trustdesk.weblogs.storage import LEASE_PATH, FsspecStorage, LeaseState, StoreBusy
from trustdesk.weblogs.store import Store, WeblogsError

pytestmark = pytest.mark.django_db


@pytest.fixture
def bucket_url(store_dirs, settings, s3_env: dict[str, Any], s3_bucket: str) -> str:
    settings.WEBLOGS_URL = f"s3://{s3_bucket}/weblogs"
    settings.WEBLOGS_OPTIONS = s3_env
    return f"{s3_bucket}/weblogs"


@pytest.fixture
def machine(settings, tmp_path: Path, bucket_url: str):
    """A Store as another machine would open it: its own work directory, short waits."""

    def _machine(name: str, *, seconds: float = 30.0, margin: float = 1.0) -> Store:
        """``margin`` 0 lets a lease of 0 s count as expired at once (the server's times are in
        whole seconds: a live lease needs the margin of 1 s)."""
        settings.WEBLOGS_WORK_DIR = tmp_path / f"work-{name}"
        store = Store()
        backend = storage_of(store)
        backend.lease_seconds, backend.lease_poll, backend.lease_margin = seconds, 0.05, margin
        return store

    return _machine


def storage_of(store: Store) -> FsspecStorage:
    assert isinstance(store.storage, FsspecStorage)
    return store.storage


def lease_object(s3_env: dict[str, Any], bucket_url: str) -> dict[str, Any] | None:
    fs = s3_filesystem(s3_env)
    try:
        return json.loads(fs.cat_file(f"{bucket_url}/{LEASE_PATH}"))
    except FileNotFoundError:
        return None


def write_lease(s3_env: dict[str, Any], bucket_url: str, **fields: Any) -> None:
    """Another writer's lease, written as it would write it."""
    holder = {
        "owner": "0" * 32,
        "host": "writer-b.example",
        "pid": 4242,
        "acquired_at": "2026-11-30T11:00:00Z",
        "renewed_at": "2026-11-30T11:00:00Z",
        "expires_at": "2026-11-30T11:10:00Z",
        "seconds": 600,
        **fields,
    }
    s3_filesystem(s3_env).pipe_file(f"{bucket_url}/{LEASE_PATH}", json.dumps(holder).encode())


def test_a_writer_on_another_machine_waits_for_the_lease_then_takes_it(machine, s3_env, bucket_url):
    first, second = machine("a"), machine("b")
    assert storage_of(first).work_dir != storage_of(second).work_dir  # no local lock in common
    taken = threading.Event()

    def other_writer() -> None:
        with second.lock(wait=10):
            taken.set()

    with first.lock():
        held = lease_object(s3_env, bucket_url)
        assert held is not None
        assert set(held) == {"owner", "host", "pid", "acquired_at", "renewed_at", "expires_at", "seconds"}
        assert (held["host"], held["pid"]) == (socket.gethostname(), os.getpid())
        thread = threading.Thread(target=other_writer)
        thread.start()
        time.sleep(0.5)
        assert not taken.is_set()  # waiting while the first writer holds it
    thread.join(timeout=10)
    assert taken.is_set()
    assert lease_object(s3_env, bucket_url) is None  # both released it


def test_a_writer_that_waited_long_enough_names_the_holder(machine, s3_env, bucket_url, caplog):
    first, second = machine("a"), machine("b")
    with first.lock():
        held = lease_object(s3_env, bucket_url)
        assert held is not None
        holds = "another writer holds the store's writer lease"
        with pytest.raises(WeblogsError, match=holds) as refused, second.lock(wait=0.3):
            pytest.fail("two writers held the lease")
    message = str(refused.value)
    assert f"s3://{bucket_url}" in message
    assert f"host {socket.gethostname()}, process {os.getpid()}" in message
    assert f"since {held['acquired_at']}" in message and "until " in message
    assert held["owner"] not in message
    for secret in ("trustdesk-test", "trustdesk-test-secret"):
        assert secret not in message and secret not in caplog.text
    # What a page words its own message from: who holds the store, and how long this writer waited.
    busy = refused.value
    assert isinstance(busy, StoreBusy) and busy.waited == 0.3
    assert busy.holder is not None and busy.holder.startswith(f"host {socket.gethostname()}, process")


def test_a_stale_lease_is_taken_over_and_journaled(
    machine, s3_env, bucket_url, weblogs, ingest_lines, caplog, operator_actor
):
    write_lease(s3_env, bucket_url, seconds=0)  # its holder died and let it expire
    with (
        caplog.at_level(logging.INFO, logger="trustdesk.weblogs.storage"),
        machine("a", margin=0).lock(actor=operator_actor),
    ):
        held = lease_object(s3_env, bucket_url)
        assert held is not None and held["owner"] != "0" * 32 and held["pid"] == os.getpid()
    assert "writer lease taken over from a writer that let it expire (host writer-b.example" in caplog.text
    [entry] = JournalEntry.objects.filter(action="weblogs.lease_taken_over")
    assert entry.actor == operator_actor.ref
    assert entry.payload == {
        "store": f"s3://{bucket_url}",
        "previous": {
            "host": "writer-b.example",
            "pid": "4242",
            "acquired_at": "2026-11-30T11:00:00Z",
            "expires_at": "2026-11-30T11:10:00Z",
        },
    }
    assert lease_object(s3_env, bucket_url) is None


def test_a_valid_lease_of_another_writer_is_not_taken_over(machine, s3_env, bucket_url):
    write_lease(s3_env, bucket_url)  # renewed a moment ago, for 600 s
    with (
        pytest.raises(
            WeblogsError, match=r"host writer-b\.example, process 4242, since 2026-11-30T11:00:00Z"
        ),
        machine("a").lock(wait=0.2),
    ):
        pytest.fail("a valid lease was taken")
    held = lease_object(s3_env, bucket_url)
    assert held is not None and held["owner"] == "0" * 32


def test_of_two_writers_racing_for_a_stale_lease_one_wins(machine, s3_env, bucket_url):
    write_lease(s3_env, bucket_url, seconds=0)
    first = storage_of(machine("a", margin=0)).writer_lease()
    second = storage_of(machine("b", margin=0)).writer_lease()
    seen_first, seen_second = first.read(), second.read()
    assert seen_first is not None and seen_first.expired
    assert seen_second == seen_first  # both saw the same stale object
    assert first.take_over(seen_first)
    assert not second.take_over(seen_second)  # the ETag it saw is gone
    held = lease_object(s3_env, bucket_url)
    assert held is not None and held["owner"] == first.owner
    first.ensure()
    first.release()
    assert lease_object(s3_env, bucket_url) is None


def test_the_heartbeat_keeps_a_short_lease_for_a_long_writer(machine, s3_env, bucket_url, tmp_path):
    # A lease of 3 s (renewed every second: a renewal may take up to 2 s on a loaded machine).
    first, second = machine("a", seconds=3), machine("b")
    started = time.monotonic()
    with first.lock():
        # more than twice the lease's duration
        with pytest.raises(WeblogsError, match="another writer holds"), second.lock(wait=6.5):
            pytest.fail("the lease was taken while its holder renewed it")
        assert time.monotonic() - started > 6.5
        source = tmp_path / "part-1.parquet"
        source.write_bytes(b"PAR1 whole file")
        [published] = first.publish_all([(source, first.join("site=a.example", "day=2026-11-30"), None)])
    assert first.read_bytes(published) == b"PAR1 whole file"
    assert lease_object(s3_env, bucket_url) is None


def test_a_writer_whose_lease_was_taken_publishes_nothing(machine, s3_env, bucket_url, tmp_path, caplog):
    store = machine("a", seconds=0.9)  # renewed every 0.3 s
    folder = store.join("site=a.example", "day=2026-11-30")
    files = []
    for number in (1, 2):
        files.append(tmp_path / f"part-{number}.parquet")
        files[-1].write_bytes(b"PAR1 whole file")
    with store.lock():
        write_lease(s3_env, bucket_url)  # another writer holds it now
        time.sleep(0.7)  # a renewal comes and is refused
        assert "the writer lease was lost: another writer holds it now" in caplog.text
        with pytest.raises(WeblogsError, match="lost the store's writer lease") as refused:
            store.publish_all([(file, folder, None) for file in files])
        assert "nothing of this run was published" in str(refused.value)
        with pytest.raises(WeblogsError, match="lost the store's writer lease"):
            store.remove_tree(folder)
    assert store.files_in(folder) == [] and all(file.exists() for file in files)
    held = lease_object(s3_env, bucket_url)
    assert held is not None and held["host"] == "writer-b.example"  # not released: it is not ours


def test_an_ingest_that_loses_its_lease_stores_nothing(
    weblogs, bucket_url, s3_env, ingest_lines, monkeypatch, caplog
):
    monkeypatch.setattr(storage_module, "LEASE_SECONDS", 0.9)

    def steal(*_args: Any) -> None:
        if lease_object(s3_env, bucket_url) is not None and "stolen" not in steal.__dict__:
            steal.__dict__["stolen"] = True
            write_lease(s3_env, bucket_url)
            time.sleep(0.7)  # a renewal comes and is refused

    with pytest.raises(WeblogsError, match="lost the store's writer lease"):
        ingest_lines([vhost(), vhost(ip="192.0.2.11")], progress=steal)
    assert steal.__dict__.get("stolen")
    fs = s3_filesystem(s3_env)
    assert [key for key in fs.find(bucket_url) if not key.endswith(LEASE_PATH)] == []
    assert not JournalEntry.objects.filter(action="weblogs.ingested").exists()


def test_a_writer_that_could_not_renew_in_time_counts_its_lease_as_lost(machine, s3_env, bucket_url):
    # Long enough that a slow first request to the server does not use it up (good for 4 s after its
    # PUT was sent), short enough to wait out.
    lease = storage_of(machine("a", seconds=6)).writer_lease()
    lease.acquire(wait=0)
    lease.ensure()
    lease._stop.set()  # no renewal comes (as when the object store cannot be reached)
    time.sleep(4.2)  # more than two thirds of the lease
    with pytest.raises(WeblogsError, match="lost the store's writer lease"):
        lease.ensure()
    lease.release()  # still its own object: removed
    assert lease_object(s3_env, bucket_url) is None


def test_release_removes_only_its_own_lease(machine, s3_env, bucket_url):
    store = machine("a")
    with store.lock():
        assert lease_object(s3_env, bucket_url) is not None
    assert lease_object(s3_env, bucket_url) is None

    with store.lock():
        write_lease(s3_env, bucket_url, host="writer-c.example")  # taken by another writer meanwhile
    held = lease_object(s3_env, bucket_url)
    assert held is not None and held["host"] == "writer-c.example"


def test_readers_take_no_lease(machine, s3_env, bucket_url):
    first, second = machine("a"), machine("b")
    with first.lock(), second.lock(shared=True):  # a search on another machine is not held up
        pass
    with first.lock(shared=True):
        assert lease_object(s3_env, bucket_url) is None


def test_a_file_system_without_conditional_writes_keeps_the_local_lock_and_says_so(
    store_dirs, settings, caplog
):
    import uuid

    settings.WEBLOGS_URL = f"memory:///trustdesk-lease-{uuid.uuid4().hex[:8]}/weblogs"
    store = Store()
    assert not storage_of(store).leases
    with caplog.at_level(logging.WARNING, logger="trustdesk.weblogs.storage"), store.lock():
        pass
    assert "no conditional writes: the writer lock is on this machine only" in caplog.text


def test_the_lease_state_names_the_holder_without_its_owner_id():
    state = LeaseState(
        '"etag"',
        {"owner": "f" * 32, "host": "web-1\n", "pid": 7, "acquired_at": "a", "expires_at": "b"},
        False,
    )
    assert state.describe() == "host web-1?, process 7, since a, until b"
    assert "f" * 32 not in str(state.summary())
