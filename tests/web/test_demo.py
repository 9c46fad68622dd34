"""`trustdesk demo`: data directory, database, example policy, and the address to open."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

#: Trustdesk runs in subprocesses on its embedded SQLite database, whatever DATABASE_URL says.
pytestmark = pytest.mark.embedded

ROOT = Path(__file__).resolve().parents[2]


def test_it_prepares_the_demo_and_prints_the_address(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUSTDESK_", "DATABASE_URL"))}
    env["TRUSTDESK_DATA_DIR"] = str(tmp_path / "data")
    run = [sys.executable, "-m", "trustdesk.cli", "demo", "--no-serve", "--port", "8123"]
    first = subprocess.run(
        run, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False
    )
    assert first.returncode == 0, first.stderr
    assert "published version 1" in first.stdout
    assert "registry: filled with 200 organisations" in first.stdout
    assert "requests: 6 example data-subject requests" in first.stdout
    assert "Trustdesk is ready at http://127.0.0.1:8123/" in first.stdout
    assert (tmp_path / "data" / "trustdesk.sqlite3").is_file()
    assert (tmp_path / "data" / "static" / "web" / "trustdesk.css").is_file()
    # Run again: nothing is lost, and the unchanged policy makes no new version.
    again = subprocess.run(
        run, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False
    )
    assert again.returncode == 0, again.stderr
    assert "unchanged: the policy is the same as version 1" in again.stdout
    # The same staff log-in both times, its password kept privately in the data directory.
    login = tmp_path / "data" / "demo-login"
    assert (login.stat().st_mode & 0o777) == 0o600
    password = login.read_text(encoding="utf-8").strip()
    for email in ("support@demo.example", "privacy@demo.example", "abuse@demo.example", "admin@demo.example"):
        line = f"log in as {email} / {password}"
        assert line in first.stdout
        assert line in again.stdout
    customer = [line for line in first.stdout.splitlines() if line.strip().startswith("customer:")]
    assert len(customer) == 1 and customer[0].endswith(f" / {password}")
    assert customer[0] in again.stdout  # the same customer both times
    assert "registry: already holds 200 organisations; nothing added" in again.stdout
    assert "example data-subject requests" not in again.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "trustdesk.cli", "request", "list"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert "(overdue)" in listed.stdout.splitlines()[0]


def test_it_names_a_missing_policy_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUSTDESK_", "DATABASE_URL"))}
    env["TRUSTDESK_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "trustdesk.cli",
            "demo",
            "--no-serve",
            "--policy",
            str(tmp_path / "none.yaml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1
    assert "none.yaml: no such file" in result.stderr
