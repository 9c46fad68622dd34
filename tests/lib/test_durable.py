"""Durable files: whole or absent after a crash, one winner when two processes create the same file."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from trustdesk.lib import durable
from trustdesk.weblogs.storage import LocalStorage


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Every fsync made, in order, as (inode, is a directory); the real fsync still runs."""
    made: list[tuple[int, bool]] = []
    real = os.fsync

    def recording(fd: int) -> None:
        info = os.fstat(fd)
        made.append((info.st_ino, stat.S_ISDIR(info.st_mode)))
        real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    return made


def test_create_exclusive_writes_once_and_leaves_no_temporary_file(tmp_path: Path, fsyncs):
    path = tmp_path / "keys" / "a.key"
    assert durable.create_exclusive(path, b"first") is True
    assert durable.create_exclusive(path, b"second") is False
    assert path.read_bytes() == b"first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.key"]
    synced_dirs = {inode for inode, is_dir in fsyncs if is_dir}
    assert path.parent.stat().st_ino in synced_dirs  # the new name is on disk
    assert tmp_path.stat().st_ino in synced_dirs  # and so is the new directory "keys"


def _create_and_read(path: str, data: bytes, queue: multiprocessing.Queue) -> None:
    created = durable.create_exclusive(Path(path), data)
    queue.put((created, Path(path).read_bytes()))


def test_processes_creating_one_file_at_once_all_read_the_one_whole_version(tmp_path: Path):
    context = multiprocessing.get_context("fork")
    for attempt in range(5):
        path = tmp_path / f"race-{attempt}.key"
        queue: multiprocessing.Queue = context.Queue()
        workers = [
            context.Process(target=_create_and_read, args=(str(path), bytes([n]) * 4096, queue))
            for n in range(6)
        ]
        for worker in workers:
            worker.start()
        results = [queue.get(timeout=30) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        assert sum(created for created, _ in results) == 1
        assert {data for _, data in results} == {path.read_bytes()}
        assert len(path.read_bytes()) == 4096
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_shred_leaves_the_tombstone_then_zeroes_and_removes_the_file(tmp_path: Path, fsyncs):
    path = tmp_path / "b.key"
    path.write_bytes(b"secret" * 10)
    inode = path.stat().st_ino
    assert durable.shred(path, tombstone=tmp_path / "b.destroyed") is True
    assert not path.exists() and (tmp_path / "b.destroyed").exists()
    assert fsyncs[0] == (tmp_path.stat().st_ino, True)  # the tombstone first
    assert (inode, False) in fsyncs  # the zeros reached the disk before the unlink
    assert fsyncs[-1] == (tmp_path.stat().st_ino, True)  # and the removal after it
    assert durable.shred(path) is False


def test_a_local_store_syncs_each_file_before_its_rename_and_the_directories_after(tmp_path: Path, fsyncs):
    storage = LocalStorage(tmp_path / "store")
    staging = tmp_path / "store" / "_staging" / "run"
    staging.mkdir(parents=True)
    old = tmp_path / "store" / "hits" / "site=a"
    old.mkdir(parents=True)
    (old / "day.parquet").write_bytes(b"old")
    sources = []
    for n in range(3):
        source = staging / f"f{n}.parquet"
        source.write_bytes(b"new %d" % n)
        sources.append(source)
    files = [
        (sources[0], old, "day.parquet"),  # replaces a file
        (sources[1], tmp_path / "store" / "hits" / "site=b" / "day=1", None),  # in two new directories
        (sources[2], tmp_path / "store" / "index", None),
    ]
    inodes = [source.stat().st_ino for source in sources]
    done = storage.publish_all([(source, str(folder), name) for source, folder, name in files])
    assert (old / "day.parquet").read_bytes() == b"new 0"
    assert len(done) == 3 and all(Path(path).exists() for path in done)
    for inode, (_, target, _) in zip(inodes, files, strict=True):
        synced = fsyncs.index((inode, False))
        assert synced < fsyncs.index((target.stat().st_ino, True)), target  # contents first, then the name
    synced_files = [n for n, (inode, is_dir) in enumerate(fsyncs) if not is_dir and inode in inodes]
    assert len(synced_files) == 3
    assert max(synced_files) < min(n for n, (_, is_dir) in enumerate(fsyncs) if is_dir)  # all files first
    dirs = [inode for inode, is_dir in fsyncs if is_dir]
    assert len(dirs) == len(set(dirs))  # each directory once
    for folder in ("hits/site=a", "hits", "hits/site=b", "hits/site=b/day=1", "index", ""):
        assert (tmp_path / "store" / folder).stat().st_ino in dirs, folder

    fsyncs.clear()
    source = staging / "one.parquet"
    source.write_bytes(b"one")
    inode = source.stat().st_ino
    storage.publish(source, str(tmp_path / "store" / "hits" / "site=c"))
    site_c, hits = (
        (tmp_path / "store" / "hits" / "site=c").stat().st_ino,
        (tmp_path / "store" / "hits").stat().st_ino,
    )
    assert fsyncs[0] == (inode, False) and set(fsyncs[1:]) == {(site_c, True), (hits, True)}

    fsyncs.clear()
    storage.remove(done[2])
    assert fsyncs == [((tmp_path / "store" / "index").stat().st_ino, True)]
