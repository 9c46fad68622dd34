"""Killed mid-way and run again, the retention run ends where an uninterrupted run ends."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

#: Trustdesk runs in subprocesses on its embedded SQLite database, whatever DATABASE_URL says.
pytestmark = pytest.mark.embedded

ROOT = Path(__file__).resolve().parents[2]

#: What the two end states are compared on: every personal value, by row.
QUERIES = {
    "people": "SELECT id, first_name, last_name, email, phone FROM registry_person ORDER BY id",
    "interactions": "SELECT id, person_id, subject, summary FROM registry_interaction ORDER BY id",
    "person copies": "SELECT id, first_name, email FROM registry_historicalperson ORDER BY history_id",
    "interaction copies": "SELECT id, summary FROM registry_historicalinteraction ORDER BY history_id",
    "invoices": "SELECT id, billing_name FROM registry_invoice ORDER BY id",
}


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUSTDESK_", "DATABASE_URL"))}
    env.update(
        TRUSTDESK_DATA_DIR=str(data),
        TRUSTDESK_SECRET_KEY="k" * 60,
        DJANGO_SETTINGS_MODULE="trustdesk.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


def _trustdesk(data: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trustdesk.cli", *args],
        cwd=ROOT,
        env=_env(data),
        capture_output=True,
        text=True,
        timeout=600,
        check=check,
    )


def _query(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db, timeout=30) as connection:
        return connection.execute(sql).fetchall()


def _state(data: Path) -> dict[str, list[tuple[object, ...]]]:
    db = data / "trustdesk.sqlite3"
    return {name: _query(db, sql) for name, sql in QUERIES.items()}


def _batches(db: Path) -> int:
    try:
        rows = _query(db, "SELECT count(*) FROM journal_journalentry WHERE action = 'retention.batch.done'")
    except sqlite3.OperationalError:  # busy: the run is writing
        return 0
    count = rows[0][0]
    return count if isinstance(count, int) else 0


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("seeded")
    _trustdesk(data, "migrate", "-v", "0")
    subprocess.run(
        [sys.executable, "-m", "tests.retention.seed", "100", "25", "40"],
        cwd=ROOT,
        env=_env(data),
        check=True,
        timeout=600,
    )
    return data


def test_it_ends_a_killed_and_repeated_run_where_an_uninterrupted_run_ends(
    seeded: Path, tmp_path: Path
) -> None:
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    shutil.copytree(seeded, whole)
    shutil.copytree(seeded, killed)
    before = _state(whole)
    assert len(before["interactions"]) == 100 * 25 + 40 * 2

    _trustdesk(whole, "retention", "run", "--batch-size", "25")
    expected = _state(whole)
    assert expected["interactions"] == []  # every interaction was due
    assert expected != before

    process = subprocess.Popen(
        [sys.executable, "-m", "trustdesk.cli", "retention", "run", "--batch-size", "25"],
        cwd=ROOT,
        env=_env(killed),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = killed / "trustdesk.sqlite3"
    deadline = time.monotonic() + 300
    while _batches(db) < 8 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL
    halfway = _state(killed)
    assert halfway["interactions"], "the run ended before it could be killed"
    assert halfway != expected

    rerun = _trustdesk(killed, "retention", "run", "--batch-size", "25")  # the dead run's lock is taken over
    assert "Treated" in rerun.stdout
    assert _state(killed) == expected
    verified = _trustdesk(killed, "journal", "verify", check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    again = _trustdesk(killed, "retention", "run", "--json")
    assert '"records": 0' in again.stdout
