"""The lock: two runs never overlap; a holder that died or fell silent does not block the next run."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from trustdesk.retention.lock import Lock, LockHeld, held
from trustdesk.retention.models import JobLock

pytestmark = pytest.mark.django_db


def _held_by(pid: int, *, host: str | None = None, minutes_ago: int = 0) -> None:
    moment = timezone.now() - dt.timedelta(minutes=minutes_ago)
    JobLock.objects.update_or_create(
        name="retention",
        defaults={
            "holder": "another-run",
            "pid": pid,
            "host": host or socket.gethostname(),
            "acquired_at": moment,
            "heartbeat_at": moment,
        },
    )


def test_it_refuses_a_second_run_while_the_first_holds_the_lock(publish) -> None:
    publish()
    _held_by(os.getpid())  # a live process on this machine
    with pytest.raises(
        CommandError, match=r"another retention run holds the lock since .* \(process \d+ on "
    ) as caught:
        call_command("retention", "run")
    assert caught.value.returncode == 1
    assert JobLock.objects.get(name="retention").holder == "another-run"


def test_it_lets_one_of_two_holders_in() -> None:
    first = Lock("retention")
    first.acquire()
    with pytest.raises(LockHeld):
        Lock("retention").acquire()
    first.release()
    with held("retention") as second:
        assert JobLock.objects.get(name="retention").holder == second.token
    assert JobLock.objects.get(name="retention").holder == ""


def test_it_takes_over_the_lock_of_a_dead_process() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    _held_by(gone.pid)
    with held("retention") as lock:
        assert JobLock.objects.get(name="retention").pid == lock.pid == os.getpid()


def test_it_takes_over_a_lock_silent_for_too_long_elsewhere(settings) -> None:
    settings.RETENTION_LOCK_STALE_MINUTES = 30
    _held_by(1, host="other-machine", minutes_ago=29)
    with pytest.raises(LockHeld):
        Lock("retention").acquire()
    _held_by(1, host="other-machine", minutes_ago=31)
    lock = Lock("retention")
    lock.acquire()
    lock.beat()
    _held_by(1, host="other-machine")  # taken over while it ran: the run stops at its next batch
    with pytest.raises(LockHeld, match="taken over"):
        lock.beat()
