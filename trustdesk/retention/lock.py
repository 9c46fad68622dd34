"""A lock for periodic jobs: one row per job, claimed with a conditional update (SQLite and PostgreSQL).

The row is claimed in its own short transaction, so that the job can commit its batches one by one
while it holds the lock. A holder refreshes ``heartbeat_at`` after every batch. A lock is free when
it has no holder, when its holder's process is gone (same host), or when the holder gave no sign of
life for ``settings.RETENTION_LOCK_STALE_MINUTES``: a job killed mid-way never blocks the next one
for longer than that, and on the same machine not at all.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from trustdesk.retention.models import JobLock


class LockHeld(Exception):
    """Another run holds the lock; the message says since when, which process and where."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def _stale_before() -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=settings.RETENTION_LOCK_STALE_MINUTES)


class Lock:
    def __init__(self, name: str) -> None:
        self.name = name
        self.token = secrets.token_hex(16)
        self.host = socket.gethostname()[:255]
        self.pid = os.getpid()

    def acquire(self) -> None:
        now = timezone.now()
        with transaction.atomic():
            try:
                with transaction.atomic():
                    JobLock.objects.get_or_create(name=self.name)
            except IntegrityError:
                pass  # created by a run starting at the same moment
            current = JobLock.objects.get(name=self.name)
            free = Q(holder="") | Q(heartbeat_at__lt=_stale_before())
            if current.holder and current.host == self.host and current.pid and not _alive(current.pid):
                # The holder died on this machine (killed, crashed): its lock is free at once.
                free |= Q(holder=current.holder)
            claimed = (
                JobLock.objects.filter(free, name=self.name)
                .filter(holder=current.holder)  # nobody claimed it since we read it
                .update(holder=self.token, pid=self.pid, host=self.host, acquired_at=now, heartbeat_at=now)
            )
        if claimed != 1:
            raise LockHeld(
                f"another {self.name} run holds the lock since {_when(current.acquired_at)} "
                f"(process {current.pid} on {current.host}); it is free once that run ends, or "
                f"{settings.RETENTION_LOCK_STALE_MINUTES} minutes after its last sign of life"
            )

    def beat(self) -> None:
        """A sign of life; raises LockHeld when the lock was taken over (this run was thought dead)."""
        with transaction.atomic():
            kept = JobLock.objects.filter(name=self.name, holder=self.token).update(
                heartbeat_at=timezone.now()
            )
        if kept != 1:
            raise LockHeld(f"the {self.name} lock was taken over by another run; this run stops")

    def release(self) -> None:
        with transaction.atomic():
            JobLock.objects.filter(name=self.name, holder=self.token).update(
                holder="", pid=None, host="", heartbeat_at=None
            )


def _when(moment: dt.datetime | None) -> str:
    return (
        timezone.localtime(moment).isoformat(timespec="seconds") if moment is not None else "an unknown time"
    )


@contextmanager
def held(name: str) -> Iterator[Lock]:
    """``with held("retention") as lock: ...``: the lock for the block, released after it."""
    lock = Lock(name)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()
