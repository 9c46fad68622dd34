"""``trustdesk run-periodic``: every due job once, under a lock, with a summary; web logs when installed."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from trustdesk.cli import main
from trustdesk.registry.services import Actor
from trustdesk.retention.jobs import expire_weblogs, run_periodic
from trustdesk.retention.models import JobLock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("data_dir")]


def test_it_runs_every_job_that_is_due_and_skips_those_that_ran(publish) -> None:
    publish()
    out = StringIO()
    call_command("run_periodic", "--json", stdout=out)
    first = json.loads(out.getvalue())
    assert set(first["ran"]) == {
        "recipient_requests",
        "retention",
        "purge_downloads",
        "lapse_unverified",
        "clear_sessions",
        "two_factor_removals",
        "resend_notices",
        "database_statistics",
    }
    assert first["ran"]["purge_downloads"] == {"deleted": 0}
    assert first["ran"]["two_factor_removals"] == {
        "removed": 0,
        "nothing_to_remove": 0,
        "notices_not_sent": 0,
    }
    assert first["ran"]["retention"]["records"] == 0 and first["failed"] == {}
    out = StringIO()
    call_command("run_periodic", "--json", stdout=out)
    second = json.loads(out.getvalue())
    # The notices to send again are looked at on every run (each is due at its own minute), the rest waits.
    assert second["ran"] == {"resend_notices": {"sent": 0, "kept": 0, "given_up": 0}}
    assert set(second["skipped"]) == set(first["ran"]) - {"resend_notices"}
    forced = run_periodic(actor=Actor.system(), force=True, only=["purge_downloads"])
    assert list(forced.ran) == ["purge_downloads"]
    assert JobLock.objects.get(name="periodic").holder == ""


def test_it_reports_a_failing_job_and_runs_the_others(db) -> None:
    out, err = StringIO(), StringIO()
    with pytest.raises(
        CommandError, match=r"2 periodic job\(s\) failed: recipient_requests, retention"
    ) as caught:
        call_command("run_periodic", stdout=out, stderr=err)  # no policy: retention cannot run
    assert caught.value.returncode == 1
    assert "FAILED  retention" in err.getvalue() and "no policy is in effect" in err.getvalue()
    assert "ran     purge_downloads" in out.getvalue()


def test_it_refuses_an_unknown_job(db) -> None:
    with pytest.raises(CommandError, match="no periodic job is called nightly"):
        call_command("run_periodic", "--only", "nightly")


def test_it_answers_to_its_dashed_name(db, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["run-periodic", "--help"])
    assert "recipient_requests" in capsys.readouterr().out


def test_it_expires_web_logs_only_where_the_policy_keeps_them(publish, settings, tmp_path) -> None:
    import datetime as dt

    from django.utils import timezone

    from tests.weblogs.conftest import combined, weblogs_policy
    from trustdesk.weblogs.ingest import ingest

    publish()  # the test policy keeps no web access logs
    assert expire_weblogs(Actor.system()) is None
    settings.WEBLOGS_URL = str(tmp_path / "weblogs")
    settings.WEBLOGS_KEY_DIR = tmp_path / "weblog-keys"
    publish(weblogs_policy(retention="P1M"))
    old = timezone.now() - dt.timedelta(days=70)
    log = tmp_path / "access.log"
    log.write_text(combined(when=old.strftime("%d/%b/%Y:%H:%M:%S +0000")) + "\n", encoding="utf-8")
    ingest([str(log)], actor=Actor.system(), site="shop.example", now=old + dt.timedelta(days=1))
    result = expire_weblogs(Actor.system())
    assert result is not None and result["partitions"] == 1 and result["hits"] == 1
    assert not list((tmp_path / "weblogs").glob("site=*/day=*/*.parquet"))


def test_it_ships_deployment_examples_that_run_the_command_with_documented_variables() -> None:
    from pathlib import Path

    deploy = Path(__file__).resolve().parents[2] / "examples" / "deploy"
    readme = (deploy.parents[1] / "README.md").read_text(encoding="utf-8")
    service = (deploy / "trustdesk-periodic.service").read_text(encoding="utf-8")
    timer = (deploy / "trustdesk-periodic.timer").read_text(encoding="utf-8")
    crontab = (deploy / "trustdesk.crontab").read_text(encoding="utf-8")
    assert "ExecStart=/opt/trustdesk/.venv/bin/trustdesk run-periodic\n" in service
    assert "EnvironmentFile=/etc/trustdesk/trustdesk.env" in service and "OnCalendar=hourly" in timer
    [line] = [
        row for row in crontab.splitlines() if row and not row.startswith("#") and "=" not in row.split()[0]
    ]
    assert line.split()[:5] == ["17", "*", "*", "*", "*"] and line.split()[6] == "run-periodic"
    for example in ("trustdesk.env", "trustdesk.crontab"):
        for row in (deploy / example).read_text(encoding="utf-8").splitlines():
            name = row.split("=", 1)[0]
            if row and not row.startswith("#") and name.isupper() and name != "SHELL":
                assert f"| `{name}` |" in readme, f"{example}: {name} is not a variable README.md describes"


def test_it_deletes_expired_sessions_and_what_allauth_kept_of_them(db) -> None:
    import datetime as dt

    from allauth.usersessions.models import UserSession
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session
    from django.test import Client
    from django.utils import timezone

    from trustdesk.accounts.sessions import SessionStore  # sealed, as the site writes them
    from trustdesk.journal.models import JournalEntry

    user = get_user_model().objects.create_user("s@example.com", "s@example.com", "x" * 20)
    keys = []
    for expires in (timezone.now() - dt.timedelta(minutes=1), timezone.now() + dt.timedelta(hours=1)):
        store = SessionStore()
        store["_auth_user_id"] = str(user.pk)  # signed in
        store.create()
        Session.objects.filter(session_key=store.session_key).update(expire_date=expires)
        UserSession.objects.create(
            user=user, session_key=store.session_key, ip="192.0.2.7", user_agent="Browser/1.0"
        )
        keys.append(store.session_key)
    visitor = SessionStore()  # a visitor's expired session (nobody signed in)
    visitor["marker"] = 1
    visitor.create()
    Session.objects.filter(session_key=visitor.session_key).update(
        expire_date=timezone.now() - dt.timedelta(days=1)
    )
    result = run_periodic(actor=Actor.system(), force=True, only=["clear_sessions"])
    assert result.ran["clear_sessions"] == {"sessions": 2, "signed_in": 1, "open_session_rows": 1}
    assert list(Session.objects.values_list("session_key", flat=True)) == [keys[1]]
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [keys[1]]
    entry = JournalEntry.objects.get(action="accounts.sessions_cleared")
    assert entry.payload == {"sessions": 2, "signed_in": 1, "open_session_rows": 1}
    # The signed-in session that expired unseen is the user's log-off at the session's time limit.
    [logged_off] = JournalEntry.objects.filter(action="accounts.logged_out")
    assert (logged_off.object_type, logged_off.object_id) == ("auth.user", str(user.pk))
    payload = logged_off.payload or {}
    assert payload["reason"] == "session_limit" and payload["ended_by"] == "expiry"
    assert "192.0.2" not in json.dumps(payload)
    client = Client()
    client.force_login(user)
    history = client.get("/account/history/").content.decode()
    assert "Logged off: the session reached its time limit" in history
    again = run_periodic(actor=Actor.system(), force=True, only=["clear_sessions"])
    assert again.ran["clear_sessions"] == {"sessions": 0, "signed_in": 0, "open_session_rows": 0}
    assert JournalEntry.objects.filter(action="accounts.sessions_cleared").count() == 1
    assert JournalEntry.objects.filter(action="accounts.logged_out").count() == 1


def test_it_gives_sqlite_the_statistics_that_pick_the_journals_index_on_time(db) -> None:
    """Without statistics SQLite reads the last 30 days of looks through the index on the journal's action
    (every look ever); with them, through the one on its time. PostgreSQL keeps its own: nothing is done."""
    from django.db import connection

    from trustdesk.registry.models import Person
    from trustdesk.registry.services import do_create, do_note_view

    person = do_create(Person, {"first_name": "Anna"}, actor=Actor.operator("test"))
    do_note_view(person, actor=Actor(ref="user:1"), role="support")
    report = run_periodic(actor=Actor.system(), force=True, only=["database_statistics"])
    assert report.ran == {"database_statistics": {"analyzed": connection.vendor == "sqlite"}}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'journal_journalentry'")
            indexes = {row[0] for row in cursor.fetchall()}
        assert "journal_at_idx" in indexes
