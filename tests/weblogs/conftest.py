"""Fixtures for the web-log store: a policy with web_logs, a store in tmp_path or in a bucket, log lines.

A test that takes ``store_at`` runs on a directory, and, marked with ``BOTH_STORES``, on an S3
bucket too: moto's S3 server on loopback (one per test session) through s3fs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    settings.WEBLOGS_WORK_DIR = tmp_path / "weblogs-work"
    return root, keys


#: Run a test that takes ``store_at`` on a directory and on an S3 bucket. The bucket's runs differ from the
#: directory's in the store, not in the database: the PostgreSQL pass leaves them out (database_agnostic).
BOTH_STORES = pytest.mark.parametrize(
    "store_kind", ["dir", pytest.param("s3", marks=pytest.mark.database_agnostic)]
)


@pytest.fixture
def store_kind() -> str:
    return "dir"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 API on 127.0.0.1 and a free port, for the whole test session."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_env(monkeypatch, s3_endpoint: str) -> dict[str, Any]:
    """Credentials for moto, no look-up of instance metadata; the options that reach the server."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "trustdesk-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "trustdesk-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    return {"endpoint_url": s3_endpoint}


def s3_filesystem(options: dict[str, Any]) -> Any:
    import s3fs

    return s3fs.S3FileSystem(skip_instance_cache=True, **options)


@pytest.fixture
def s3_bucket(s3_env: dict[str, Any]) -> str:
    """A new, empty bucket."""
    name = f"weblogs-{uuid.uuid4().hex[:12]}"
    s3_filesystem(s3_env).mkdir(name)
    return name


class StoreView:
    """The store's files as a test sees them, through fsspec, on a directory or in a bucket."""

    def __init__(self, fs: Any, root: str, keys: Path, kind: str) -> None:
        self.fs, self.root, self.keys, self.kind = fs, root.rstrip("/"), keys, kind

    def path(self, *parts: str) -> str:
        return "/".join((self.root, *parts))

    def glob(self, pattern: str) -> list[str]:
        """The files matching a pattern under the root, as paths relative to it."""
        self.fs.invalidate_cache()
        return sorted(p[len(self.root) + 1 :] for p in self.fs.glob(self.path(pattern)))

    def names(self, *parts: str) -> list[str]:
        self.fs.invalidate_cache()
        try:
            return sorted(
                p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(self.path(*parts), detail=False)
            )
        except FileNotFoundError:
            return []

    def exists(self, *parts: str) -> bool:
        self.fs.invalidate_cache()
        return bool(self.fs.exists(self.path(*parts)))

    def read_text(self, path: str) -> str:
        return bytes(self.fs.cat_file(path)).decode("utf-8")

    def rows(self) -> list[dict]:
        if self.kind == "dir":
            return stored_rows(Path(self.root))
        files = [self.fs.unstrip_protocol(self.path(p)) for p in self.glob("site=*/day=*/*.parquet")]
        index = [self.fs.unstrip_protocol(self.path(p)) for p in self.glob("_index/month=*/*.parquet")]
        return _rows(files, index, self.fs)


@pytest.fixture
def store_at(store_kind: str, store_dirs, settings, request) -> StoreView:
    """The store of the test, on a directory or (store_kind "s3") under a prefix of a new bucket."""
    root, keys = store_dirs
    if store_kind == "dir":
        import fsspec

        return StoreView(fsspec.filesystem("file"), str(root.resolve()), keys, "dir")
    options = request.getfixturevalue("s3_env")
    bucket = request.getfixturevalue("s3_bucket")
    settings.WEBLOGS_URL = f"s3://{bucket}/weblogs"
    settings.WEBLOGS_OPTIONS = options
    return StoreView(s3_filesystem(options), f"{bucket}/weblogs", keys, "s3")


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
    return _rows(
        [str(f) for f in sorted(root.glob("site=*/day=*/*.parquet"))],
        [str(f) for f in sorted(root.glob("_index/month=*/*.parquet"))],
    )


def _rows(files: list[str], index: list[str], fs: Any = None) -> list[dict]:
    import duckdb

    if not files:
        return []
    con = duckdb.connect()
    if fs is not None:
        con.register_filesystem(fs)
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
        {"files": files, **({"index": index} if index else {})},
    )
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
