"""Fixtures for the web-log store: a policy with web_logs, a store in tmp_path, log lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.conftest import POLICY

#: The moment the tests ingest, search and expire at, unless they say otherwise.
NOW = dt.datetime(2026, 11, 30, 12, 0, 0, tzinfo=dt.UTC)


def weblogs_policy(
    *,
    retention: str = "P2Y",
    ip_storage: str = "hmac",
    fields: str = "[domain, path, user_agent, ip_address, referrer, status, bytes]",
) -> str:
    reason = (
        "\n  raw_reason: {en: Investigations need the address, nl: Onderzoek heeft het adres nodig}"
        if ip_storage == "raw"
        else ""
    )
    return (
        POLICY
        + f"""web_logs:
  purpose: invoicing
  retention: {retention}
  fields: {fields}
  ip_storage: {ip_storage}{reason}
"""
    )


@pytest.fixture
def store_dirs(settings, tmp_path: Path) -> tuple[Path, Path]:
    root, keys = tmp_path / "weblogs", tmp_path / "weblog-keys"
    settings.WEBLOGS_URL = str(root)
    settings.WEBLOGS_KEY_DIR = keys
    return root, keys


@pytest.fixture
def weblogs(publish, store_dirs):
    """Publish a policy with web_logs and return a helper that publishes another one."""

    def _publish(**kwargs: str):
        return publish(weblogs_policy(**kwargs))

    _publish()
    return _publish


def combined(
    ip: str = "192.0.2.10",
    when: str = "30/Nov/2026:10:00:00 +0000",
    path: str = "/index.html",
    status: int = 200,
    size: str = "512",
    referrer: str = "https://example.org/",
    agent: str = "Mozilla/5.0 (X11; Linux x86_64)",
) -> str:
    return f'{ip} - - [{when}] "GET {path} HTTP/1.1" {status} {size} "{referrer}" "{agent}"'


def vhost(site: str = "shop.example.com:443", **kwargs) -> str:
    return f"{site} {combined(**kwargs)}"


@pytest.fixture
def operator_actor():
    from trustdesk.registry.services import Actor

    return Actor.operator("tester")


@pytest.fixture
def ingest_lines(tmp_path: Path, operator_actor):
    """Write lines to a log file and ingest it at NOW (or ``now``); returns the result."""
    from trustdesk.weblogs.ingest import ingest

    counter = iter(range(1_000_000))

    def _ingest(lines: list[str], *, name: str | None = None, now: dt.datetime = NOW, **kwargs):
        path = tmp_path / (name or f"access-{next(counter)}.log")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return ingest([str(path)], actor=operator_actor, now=now, **kwargs)

    return _ingest


def stored_rows(root: Path) -> list[dict]:
    """Every row of the store's hits, with site and day, oldest first; ``ip`` and ``ip_kind`` are the
    stored value of the address and its kind, which the month's index gives for the hit's ``ip_id``."""
    import duckdb

    files = sorted(root.glob("site=*/day=*/*.parquet"))
    if not files:
        return []
    index = sorted(root.glob("_index/month=*/*.parquet"))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    hive = "hive_partitioning = true, hive_types = {'site': VARCHAR, 'day': DATE}"
    names_sql = (
        "SELECT DISTINCT month, id, token, ip_kind FROM read_parquet($index, hive_partitioning = true)"
        if index
        else "SELECT NULL::VARCHAR AS month, NULL::INTEGER AS id, NULL::BLOB AS token, NULL::VARCHAR AS ip_kind"
    )
    cursor = con.execute(
        f"SELECT h.* EXCLUDE (ip_id), n.token AS ip, n.ip_kind FROM read_parquet($files, {hive}) h "  # noqa: S608
        f"LEFT JOIN ({names_sql}) n ON n.month = strftime(h.day, '%Y-%m') AND n.id = h.ip_id "
        "ORDER BY h.ts, h.path",
        {"files": [str(f) for f in files], **({"index": [str(f) for f in index]} if index else {})},
    )
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
