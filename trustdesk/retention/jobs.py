"""The periodic jobs: the retention run, recipient requests, expired downloads, unverified requests,
expired sessions, due removals of two-factor authentication, notices to send again.

``run_retention`` is what ``trustdesk retention run`` does: under the ``retention`` lock it opens
and sends the recipient erasure requests that are due (before the sweep, while the identifiers
still exist), runs the sweep in batches, then expires web access logs when that store is
installed. ``run_periodic`` is ``trustdesk run-periodic``: under the ``periodic`` lock, every job
whose interval has passed since it last finished; one job failing does not stop the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from trustdesk.registry.services import Actor
from trustdesk.retention.clocks import Context, RetentionError
from trustdesk.retention.lock import held
from trustdesk.retention.models import JobLock
from trustdesk.retention.sweep import RunReport, policy_in_effect
from trustdesk.retention.sweep import run as sweep


def expire_weblogs(actor: Actor) -> dict[str, Any] | None:
    """Expire web access logs past their retention; None where the policy keeps none."""
    if policy_in_effect().web_logs is None:
        return None  # the policy keeps no web access logs: nothing to expire
    from trustdesk.weblogs.services import expire

    return expire(actor=actor).as_dict()


def run_retention(*, actor: Actor, batch_size: int = 500, dry_run: bool = False) -> RunReport:
    from trustdesk.retention.exits import do_customer_exits

    if dry_run:
        return sweep(actor=actor, batch_size=batch_size, dry_run=True)
    with held("retention") as lock:
        policy = policy_in_effect()
        exits = do_customer_exits(actor=actor, context=Context(policy))
        lock.beat()
        report = sweep(actor=actor, batch_size=batch_size, beat=lock.beat)
        report.exits = exits.as_dict()
        report.weblogs = expire_weblogs(actor)
    return report


def _retention(actor: Actor) -> dict[str, Any]:
    return run_retention(actor=actor).as_dict()


def _recipient_requests(actor: Actor) -> dict[str, Any]:
    from trustdesk.retention.exits import do_customer_exits

    with held("retention"):
        return do_customer_exits(actor=actor).as_dict()


def _purge_downloads(actor: Actor) -> dict[str, Any]:
    from trustdesk.rights.fulfil import do_purge_downloads

    return {"deleted": do_purge_downloads(actor=actor)}


def _lapse_unverified(actor: Actor) -> dict[str, Any]:
    from trustdesk.rights.services import do_lapse_unverified

    return {"lapsed": do_lapse_unverified(actor=actor)}


def _clear_sessions(actor: Actor) -> dict[str, Any]:
    """Delete the sessions past their expiry, and the open-session rows (address, browser) of
    sessions that no longer exist: nothing of an ended session stays behind.

    A signed-in session that expired without another request (so without the log-off that
    ``SessionLimitMiddleware`` journals) is journaled here as the person's log-off at its time limit,
    so that their log-in history shows how every session ended."""
    from allauth.usersessions.models import UserSession
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session

    from trustdesk.accounts.middleware import SESSION_LIMIT_REASON
    from trustdesk.accounts.sessions import decoded
    from trustdesk.journal.services import record

    with transaction.atomic():
        expired = Session.objects.filter(expire_date__lt=timezone.now())
        logged_off = 0
        for session in expired.only("session_key", "session_data", "expire_date").iterator():
            user_id = decoded(session).get(SESSION_KEY)  # {} for data that does not open or verify
            if user_id is None:
                continue  # a visitor's session: nobody was signed in
            record(
                "accounts.logged_out",
                actor=actor.ref,
                object_type="auth.user",
                object_id=str(user_id),
                payload={
                    "reason": SESSION_LIMIT_REASON,
                    "ended_by": "expiry",
                    "expired_at": session.expire_date.isoformat(),
                },
            )
            logged_off += 1
        sessions, _ = expired.delete()
        rows, _ = UserSession.objects.exclude(session_key__in=Session.objects.values("session_key")).delete()
        if sessions or rows:
            record(
                "accounts.sessions_cleared",
                actor=actor.ref,
                object_type="accounts.session",
                object_id="expired",
                payload={"sessions": sessions, "signed_in": logged_off, "open_session_rows": rows},
            )
    return {"sessions": sessions, "signed_in": logged_off, "open_session_rows": rows}


def _two_factor_removals(actor: Actor) -> dict[str, Any]:
    from trustdesk.accounts.services import do_carry_out_due_removals

    return do_carry_out_due_removals(actor=actor.ref)


def _resend_notices(actor: Actor) -> dict[str, Any]:
    from trustdesk.accounts.notices import do_resend_due

    return do_resend_due()


def _database_statistics(actor: Actor) -> dict[str, Any]:
    """Refresh the statistics the database picks an index for each query by. SQLite keeps none until told
    (``ANALYZE``): without them it reads the dashboard's last 30 days of looks through the index on the
    journal's action, every look since the start, instead of the one on its time (benchmarks/looks.py).
    A full ``ANALYZE`` of the whole database takes about a tenth of a second for 300,000 journal entries.
    PostgreSQL's autovacuum keeps its own statistics: nothing to do there."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return {"analyzed": False}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"analyzed": True}


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    work: Callable[[Actor], dict[str, Any]]
    what: str


#: In the order they run. Intervals are a little under the nominal period, so that an hourly timer
#: starting a few seconds early still runs a daily job once a day.
JOBS = (
    Job(
        "recipient_requests",
        dt.timedelta(minutes=55),
        _recipient_requests,
        "send and remind recipient erasure requests",
    ),
    Job("retention", dt.timedelta(hours=23), _retention, "the retention run"),
    Job("purge_downloads", dt.timedelta(minutes=55), _purge_downloads, "delete expired downloads"),
    Job("lapse_unverified", dt.timedelta(hours=23), _lapse_unverified, "close requests never verified"),
    Job("clear_sessions", dt.timedelta(minutes=55), _clear_sessions, "delete expired sessions"),
    Job(
        "two_factor_removals",
        dt.timedelta(minutes=55),
        _two_factor_removals,
        "remove two-factor authentication whose removal is due",
    ),
    # At every run: a kept notice is due 15 minutes after it failed, and the query is one index lookup.
    Job("resend_notices", dt.timedelta(0), _resend_notices, "send again the notices to account owners kept"),
    Job(
        "database_statistics",
        dt.timedelta(hours=23),
        _database_statistics,
        "refresh the statistics SQLite picks its indexes by",
    ),
)


@dataclass
class PeriodicReport:
    ran: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"ran": self.ran, "skipped": self.skipped, "failed": self.failed}


def _finished(name: str) -> dt.datetime | None:
    row = JobLock.objects.filter(name=f"job:{name}").first()
    return row.finished_at if row is not None else None


def _mark_finished(name: str, when: dt.datetime) -> None:
    with transaction.atomic():
        JobLock.objects.update_or_create(name=f"job:{name}", defaults={"finished_at": when})


def run_periodic(*, actor: Actor, force: bool = False, only: list[str] | None = None) -> PeriodicReport:
    """Run every job that is due (all with ``force``), under the ``periodic`` lock."""
    known = {job.name for job in JOBS}
    unknown = sorted(set(only or []) - known)
    if unknown:
        raise RetentionError(
            f"no periodic job is called {', '.join(unknown)}: the jobs are {', '.join(sorted(known))}"
        )
    report = PeriodicReport()
    with held("periodic") as lock:
        for job in JOBS:
            if only and job.name not in only:
                continue
            started = timezone.now()
            last = _finished(job.name)
            if not force and last is not None and started - last < job.every:
                report.skipped[job.name] = (
                    f"last finished {timezone.localtime(last).isoformat(timespec='seconds')}"
                )
                continue
            try:
                report.ran[job.name] = job.work(actor)
            except Exception as exc:
                # Named, never its data: exception texts of this project hold no personal data.
                report.failed[job.name] = f"{type(exc).__name__}: {exc}"[:500]
                continue
            _mark_finished(job.name, started)
            lock.beat()
    return report
