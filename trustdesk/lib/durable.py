"""Files that survive a crash or a power cut as they were meant: whole, or not there at all.

A rename or a new file is only durable once its directory has been written to disk, and a renamed
file's contents only once the file itself has been; without both, a crash can leave a name that
points to an empty or partly written file, or bring back a file that was removed. Keys, the web-log
store and anything else that must not be lost or come back use these helpers.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def sync(path: Path) -> None:
    """Write a file's or a directory's contents and metadata to disk (``fsync``)."""
    fd = os.open(path, os.O_RDONLY)  # a directory too, on POSIX systems
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_all(paths: Iterable[Path], threads: int = 1) -> None:
    """``sync`` each path; with ``threads`` > 1, that many at once (the disk works on them together)."""
    if threads <= 1:
        for path in paths:
            sync(path)
        return
    with ThreadPoolExecutor(threads, thread_name_prefix="fsync") as pool:
        for _ in pool.map(sync, paths):  # the first failure is raised here
            pass


def make_dirs(folder: Path, touched: set[Path], mode: int = 0o700) -> None:
    """``mkdir -p``; every directory whose entries change (the parent of each one made, and the folder
    itself, which is about to change) goes into ``touched``, to be synced once its changes are made."""
    missing: list[Path] = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True, mode=mode)
    touched.add(folder)
    touched.update(made.parent for made in missing)


def move_into(source: Path, destination: Path, touched: set[Path]) -> None:
    """Rename ``source`` over ``destination`` (replacing it whole); the contents of ``source`` must be
    synced already. The directories whose entries change at the destination go into ``touched``."""
    make_dirs(destination.parent, touched)
    source.replace(destination)


def create_exclusive(path: Path, data: bytes, mode: int = 0o600) -> bool:
    """Create ``path`` holding ``data`` unless it exists; True if this call created it.

    The data is written and synced under a temporary name, then linked to ``path`` (which fails if
    ``path`` exists), so that no reader ever sees the file empty or half written, and two processes
    creating the same file at once leave exactly one of the two versions."""
    folder = path.parent
    touched: set[Path] = set()
    make_dirs(folder, touched)
    temporary = folder / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
            created = True
        except FileExistsError:
            created = False
    finally:
        temporary.unlink(missing_ok=True)
    sync_all(touched)
    return created


def shred(path: Path, tombstone: Path | None = None, mode: int = 0o600) -> bool:
    """Leave ``tombstone`` (if given) durably, then overwrite ``path`` with zeros and remove it durably.

    True if there was a file to shred. The overwrite reaches the file's blocks as the file system
    keeps them; copies elsewhere (backups, a journaling file system's journal, an SSD's spare
    blocks) are beyond it, which is why keys live outside the store and its backups."""
    touched: set[Path] = set()
    if tombstone is not None:
        make_dirs(tombstone.parent, touched)
        tombstone.touch(mode=mode)
        sync_all(touched)
    if not path.exists():
        return False
    with path.open("r+b") as handle:
        handle.write(b"\0" * max(1, path.stat().st_size))
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()
    sync(path.parent)
    return True
