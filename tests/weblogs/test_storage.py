"""The store at an fsspec URL: clear refusals, the local lock per URL, fresh listings, whole publication."""

from __future__ import annotations

import fcntl
import importlib.util
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from tests.weblogs.conftest import NOW, s3_filesystem, vhost
from trustdesk.weblogs.services import search
from trustdesk.weblogs.store import Store, WeblogsError

pytestmark = pytest.mark.django_db

REASON = "case 1"


def test_it_names_the_package_a_protocol_needs(store_dirs, settings):
    if importlib.util.find_spec("gcsfs") is not None:
        pytest.skip("gcsfs is installed here: gs:// would not be refused")
    settings.WEBLOGS_URL = "gs://logs-bucket/weblogs"
    with pytest.raises(
        ImproperlyConfigured, match=r"'gs://logs-bucket/weblogs': the package for gs:// is not installed"
    ):
        Store()


def test_it_refuses_an_unknown_protocol_without_repeating_credentials(store_dirs, settings):
    settings.WEBLOGS_URL = "nosuch://operator:hunter2@files.example/weblogs?token=t0ps3cret"
    with pytest.raises(ImproperlyConfigured, match="the protocol 'nosuch' is not known to fsspec") as refused:
        Store()
    assert "nosuch://files.example/weblogs" in str(refused.value)
    assert "hunter2" not in str(refused.value) and "t0ps3cret" not in str(refused.value)


def test_it_refuses_a_bucket_that_does_not_exist(
    weblogs, store_dirs, settings, s3_env, ingest_lines, officer_actor
):
    settings.WEBLOGS_URL = "s3://no-such-weblogs-bucket/weblogs"
    settings.WEBLOGS_OPTIONS = s3_env
    with pytest.raises(WeblogsError, match=r"the bucket 'no-such-weblogs-bucket' does not exist"):
        ingest_lines([vhost()])
    assert not s3_filesystem(s3_env).exists("no-such-weblogs-bucket")  # never made by the store

    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "weblogs",
            "search",
            "--site",
            "a.example",
            "--reason",
            REASON,
            "--officer",
            officer_actor.user.email,
            stderr=err,
        )
    assert exit_.value.code == 2
    assert (
        "s3://no-such-weblogs-bucket/weblogs: the bucket 'no-such-weblogs-bucket' does not exist"
        in err.getvalue()
    )


def test_it_says_when_credentials_are_missing_and_prints_none(
    weblogs, store_dirs, settings, s3_env, s3_bucket, monkeypatch, tmp_path, ingest_lines
):
    settings.WEBLOGS_URL = f"s3://{s3_bucket}/weblogs"
    settings.WEBLOGS_OPTIONS = s3_env
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    with pytest.raises(WeblogsError, match="no credentials for the object store") as refused:
        ingest_lines([vhost()])
    assert f"s3://{s3_bucket}/weblogs" in str(refused.value)

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-print-this-secret")
    settings.WEBLOGS_URL = "s3://no-such-weblogs-bucket/weblogs"
    with pytest.raises(WeblogsError) as refused:
        ingest_lines([vhost()])
    assert "do-not-print-this-secret" not in str(refused.value) and "AKIDEXAMPLE" not in str(refused.value)


def test_it_keeps_the_lock_and_the_keys_on_this_machine(
    weblogs, store_dirs, settings, s3_env, s3_bucket, tmp_path, ingest_lines
):
    settings.WEBLOGS_URL = f"s3://{s3_bucket}/weblogs"
    settings.WEBLOGS_OPTIONS = s3_env
    ingest_lines([vhost()])
    fs = s3_filesystem(s3_env)
    objects = fs.find(s3_bucket)
    assert objects and all("/site=" in key or "/_index/" in key for key in objects)
    assert not any(key.endswith((".key", ".lock")) for key in objects)  # keys and lock are local
    assert [p.name for p in store_dirs[1].glob("*.key")] == ["weblog-2026-11.key"]

    store, other = Store(), Store(root=f"s3://{s3_bucket}/other")
    lock_file = store.storage.work_dir / ".lock"
    assert lock_file.is_relative_to(tmp_path / "weblogs-work")
    assert other.storage.work_dir != store.storage.work_dir  # one lock per URL
    with store.lock(), lock_file.open("a") as handle:
        with pytest.raises(BlockingIOError):  # a second writer of the same URL waits
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with Store(root=f"s3://{s3_bucket}/other").lock():
            pass  # another URL is not held up
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
        fcntl.flock(handle, fcntl.LOCK_UN)


def test_it_lists_anew_what_another_writer_published(
    weblogs, store_dirs, settings, s3_env, s3_bucket, ingest_lines, officer_actor
):
    settings.WEBLOGS_URL = f"s3://{s3_bucket}/weblogs"
    settings.WEBLOGS_OPTIONS = s3_env
    reader = Store()
    ingest_lines([vhost(path="/first")])
    assert [
        h.path
        for h in search(
            actor=officer_actor, reason=REASON, site="shop.example.com", now=NOW, store=reader
        ).hits
    ] == ["/first"]
    ingest_lines([vhost(path="/second", when="29/Nov/2026:10:00:00 +0000")])  # by another Store instance
    hits = search(actor=officer_actor, reason=REASON, site="shop.example.com", now=NOW, store=reader).hits
    assert [h.path for h in hits] == ["/second", "/first"]


def test_it_publishes_all_files_or_none(store_dirs, settings, s3_env, s3_bucket, tmp_path):
    settings.WEBLOGS_URL = f"s3://{s3_bucket}/weblogs"
    settings.WEBLOGS_OPTIONS = s3_env
    store = Store()
    first = tmp_path / "part-1.parquet"
    first.write_bytes(b"PAR1 whole file")
    folder = store.join("site=a.example", "day=2026-11-30")
    with pytest.raises(WeblogsError, match="nothing of this run was published"):
        store.publish_all([(first, folder, None), (tmp_path / "vanished.parquet", folder, None)])
    assert store.files_in(folder) == []
    assert s3_filesystem(s3_env).find(s3_bucket) == []

    again = tmp_path / "part-2.parquet"
    again.write_bytes(b"PAR1 whole file")
    [published] = store.publish_all([(again, folder, None)])
    assert store.files_in(folder) == [published] and not again.exists()
    assert store.read_bytes(published) == b"PAR1 whole file"


def test_it_works_on_a_file_system_of_paths_too(weblogs, store_dirs, settings, ingest_lines, officer_actor):
    """fsspec's in-memory file system: directories instead of buckets, made as needed."""
    import uuid

    import fsspec

    from trustdesk.weblogs.services import erase_ip, expire

    root = f"/trustdesk-test-{uuid.uuid4().hex[:8]}/weblogs"
    settings.WEBLOGS_URL = f"memory://{root}"
    ingest_lines([vhost(path="/a"), vhost(ip="192.0.2.11", path="/b"), "junk"])
    memory = fsspec.filesystem("memory")
    assert len(memory.glob(f"{root}/site=shop.example.com/day=2026-11-30/*.parquet")) == 1
    assert len(memory.glob(f"{root}/_rejects/*/*.csv")) == 1
    found = search(actor=officer_actor, reason=REASON, ip="192.0.2.10", now=NOW)
    assert [(h.path, h.ip) for h in found.hits] == [("/a", "192.0.2.10")]
    assert erase_ip("192.0.2.10", actor=officer_actor, reason="erasure request R-1").hits == 1
    assert [
        h.path for h in search(actor=officer_actor, reason=REASON, site="shop.example.com", now=NOW).hits
    ] == ["/b"]
    later = expire(NOW.replace(year=2029), actor=officer_actor)
    assert (later.partitions, later.index_months) == (1, ["2026-11"])
    assert memory.glob(f"{root}/**/*.parquet") == []
    memory.rm(root.rsplit("/", 1)[0], recursive=True)


def test_a_writer_with_a_limited_wait_gives_up_on_a_busy_local_store(store_dirs):
    import time

    root, _keys = store_dirs
    store = Store()
    with store.lock():  # the store's directory and lock file exist
        pass
    busy = (root / ".lock").open("a")
    fcntl.flock(busy, fcntl.LOCK_EX)  # another process writing (its own open file)
    try:
        started = time.monotonic()
        with pytest.raises(WeblogsError) as refused, store.lock(wait=0.4):
            raise AssertionError("the lock was taken while another writer held it")
        assert time.monotonic() - started >= 0.4  # it waited before it gave up
        assert "another process on this machine is writing the store" in str(refused.value)
        assert "waited 0.4 s" in str(refused.value)
    finally:
        fcntl.flock(busy, fcntl.LOCK_UN)
        busy.close()
    with store.lock(wait=0.4):  # free again: taken at once
        pass


def test_on_a_file_system_a_file_is_uploaded_aside_then_renamed_into_place(
    weblogs, store_dirs, settings, ingest_lines, monkeypatch
):
    import uuid

    import fsspec
    from fsspec.implementations.memory import MemoryFileSystem

    from trustdesk.weblogs.storage import UPLOADS_DIR

    root = f"/trustdesk-test-{uuid.uuid4().hex[:8]}/weblogs"
    settings.WEBLOGS_URL = f"memory://{root}"
    memory = fsspec.filesystem("memory")
    moves: list[tuple[str, str]] = []
    real_mv = MemoryFileSystem.mv

    def mv(self: MemoryFileSystem, path1: str, path2: str, **kwargs: object) -> None:  # recorded, then done
        moves.append((path1, path2))
        real_mv(self, path1, path2, **kwargs)

    monkeypatch.setattr(MemoryFileSystem, "mv", mv)
    # A file left by a writer that died in the middle of an upload.
    memory.pipe_file(f"{root}/{UPLOADS_DIR}/0123-part-stale.parquet", b"half a file")
    ingest_lines([vhost(path="/a")])
    assert moves, "nothing was renamed into place"
    for source, target in moves:
        assert f"/{UPLOADS_DIR}/" in source and f"/{UPLOADS_DIR}/" not in target
    assert memory.glob(f"{root}/{UPLOADS_DIR}/*") == []  # the stale upload went, and nothing is left
    assert len(memory.glob(f"{root}/site=shop.example.com/day=2026-11-30/*.parquet")) == 1
    memory.rm(root.rsplit("/", 1)[0], recursive=True)
