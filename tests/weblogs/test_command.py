"""``trustdesk weblogs ingest|search|erase|expire`` from the command line (migrate: test_migrate.py)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.weblogs.conftest import BOTH_STORES, vhost
from trustdesk.journal.models import JournalEntry

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("weblogs", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return out.getvalue(), err.getvalue(), code


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "access.log"
    path.write_text(vhost() + "\n" + vhost(ip="2001:db8::1", path="/wp-login.php") + "\n", encoding="utf-8")
    return path


def test_it_ingests_and_prints_a_summary(weblogs, store_dirs, log_file):
    out, _err, code = _run("ingest", str(log_file))
    assert code == 0
    assert "2 lines read: 2 stored, 0 rejected, 0 blank, 0 already past the retention window" in out
    assert "1 sites (shop.example.com), 1 days (2026-11-30 to 2026-11-30)" in out


def test_it_exits_1_when_lines_were_rejected_and_names_the_reject_file(weblogs, store_dirs, tmp_path):
    path = tmp_path / "access.log"
    path.write_text(vhost() + "\nbroken\n", encoding="utf-8")
    out, _err, code = _run("ingest", str(path), "--json")
    assert code == 1
    summary = json.loads(out)
    assert (summary["lines"], summary["stored"], summary["rejected"]) == (2, 1, 1)
    assert summary["rejects_file"].endswith(".csv")


def test_it_exits_2_when_a_file_is_refused(weblogs, store_dirs, tmp_path):
    _out, err, code = _run("ingest", str(tmp_path / "missing.log"))
    assert code == 2
    assert "missing.log: cannot be read (No such file or directory)" in err


OFFICER = ("--officer", "PIA.officer@hostwerk.example")


@BOTH_STORES
def test_it_searches_as_text_json_and_csv(weblogs, store_at, log_file, officer_actor):
    _run("ingest", str(log_file))
    out, err, code = _run("search", "--ip", "2001:DB8::1", "--reason", "case 3", *OFFICER)
    assert code == 0
    assert "2001:db8::1 GET /wp-login.php 200" in out
    assert "1 hits from 1 files" in err
    out, _err, _code = _run(
        "search",
        "--path",
        "/wp-*",
        "--from",
        "2026-11-30",
        "--to",
        "2026-11-30",
        "--reason",
        "case 3",
        "--json",
        *OFFICER,
    )
    assert [h["path"] for h in json.loads(out)["hits"]] == ["/wp-login.php"]
    out, _err, _code = _run("search", "--site", "shop.example.com", "--reason", "case 3", "--csv", *OFFICER)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 2 and rows[0]["site"] == "shop.example.com"
    searched = JournalEntry.objects.filter(action="weblogs.searched")
    assert searched.count() == 3 and {entry.actor for entry in searched} == {officer_actor.ref}


def test_it_searches_only_under_a_privacy_officers_account(weblogs, store_dirs, log_file, officer_actor):
    from trustdesk.accounts.models import Profile
    from trustdesk.accounts.services import do_create_account

    _run("ingest", str(log_file))
    do_create_account("abe@hostwerk.example", role=Profile.Role.ABUSE_DESK, verified=True, actor="test")
    for officer in ("abe@hostwerk.example", "nobody@hostwerk.example"):
        with pytest.raises(
            CommandError, match="no active account with the privacy officer's role"
        ) as refused:
            call_command(
                "weblogs", "search", "--site", "shop.example.com", "--reason", "r", "--officer", officer
            )
        assert officer not in str(refused.value)
    officer_actor.user.is_active = False
    officer_actor.user.save()
    with pytest.raises(CommandError, match="privacy officer"):
        call_command("weblogs", "search", "--site", "shop.example.com", "--reason", "r", *OFFICER)
    with pytest.raises(CommandError, match="--officer"):
        call_command("weblogs", "search", "--site", "shop.example.com", "--reason", "r")
    assert not JournalEntry.objects.filter(action="weblogs.searched").exists()


def test_it_refuses_a_search_without_a_reason(weblogs, store_dirs):
    with pytest.raises(Exception, match="--reason"):
        call_command("weblogs", "search", "--ip", "192.0.2.1")


@BOTH_STORES
def test_it_erases_and_expires(weblogs, store_at, log_file):
    _run("ingest", str(log_file))
    out, _err, code = _run("erase", "--ip", "192.0.2.10", "--reason", "request E-1", "--json")
    assert code == 0 and json.loads(out)["hits"] == 1
    out, _err, code = _run("expire", "--dry-run")
    assert code == 0
    assert "would remove 0 partitions" in out
    out, _err, code = _run("expire", "--json")
    assert json.loads(out)["dry_run"] is False
    assert [r["path"] for r in store_at.rows()] == ["/wp-login.php"]
