"""Ingesting access logs: parse with DuckDB, tokenise the addresses, write Parquet per site and day.

A run reads its sources a chunk at a time; every chunk is parsed by one DuckDB query (a regular
expression over a one-column table), its distinct addresses are tokenised once per month in Python
under that month's key, joined back, and the chunk is written to a scratch file. At the end the
scratch files are sorted into the partitions and the token index, and published by rename with a
journal entry. A run either publishes everything or nothing (a source refused as a whole stops it).

Every line is accounted for: stored, rejected (kept aside in a CSV file with its line number and
the reason), blank, or already past the retention window when it arrived (not stored).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from django.db import transaction

from trustdesk.journal.services import record
from trustdesk.policy.schema import IpStorage, WebLogs
from trustdesk.registry.services import Actor
from trustdesk.weblogs.addresses import pack, stored_value
from trustdesk.weblogs.formats import FAST, FORMATS, REQUEST, STATUS_BYTES, TIME_FORMAT, detect
from trustdesk.weblogs.keys import KeyRing
from trustdesk.weblogs.reader import CHUNK_BYTES, Chunk, Source, SourceError, chunks
from trustdesk.weblogs.store import INDEX_DIR, NO_SITE, Store, Window, policy, sql_list

#: How many lines of a source ``auto`` looks at to recognise its format.
SAMPLE_LINES = 200
#: A site name: a host name as the web server logs it (lower case; digits for an address).
SITE = r"[a-z0-9_]([a-z0-9._-]{0,252})"
#: What DuckDB may hold in memory during an ingest (the final sort spills beyond it).
INGEST_MEMORY = "2GB"
#: Tokens remembered between chunks before the cache starts again (memory stays bounded).
TOKEN_CACHE = 2_000_000

Progress = Callable[[int, int | None, int], None]


class IngestRefused(Exception):
    """A source cannot be ingested at all; nothing of the run was stored. The message says why."""


@dataclass
class IngestResult:
    ingest_id: str
    sources: list[str]
    formats: dict[str, str] = field(default_factory=dict)
    lines: int = 0
    stored: int = 0
    rejected: int = 0
    blank: int = 0
    expired: int = 0
    sites: set[str] = field(default_factory=set)
    days: set[dt.date] = field(default_factory=set)
    rejects_file: str | None = None  # where the store holds them (a path or a key)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ingest_id": self.ingest_id,
            "sources": self.sources,
            "formats": self.formats,
            "lines": self.lines,
            "stored": self.stored,
            "rejected": self.rejected,
            "blank": self.blank,
            "expired_on_arrival": self.expired,
            "sites": sorted(self.sites),
            "days": len(self.days),
            "first_day": min(self.days).isoformat() if self.days else None,
            "last_day": max(self.days).isoformat() if self.days else None,
            "rejects_file": self.rejects_file,
            "seconds": round(self.seconds, 3),
        }


def _clean_site(site: str) -> str:
    name = site.strip().lower().rstrip(".")
    name = re.sub(r":\d+$", "", name)
    if not re.fullmatch(SITE, name):
        raise IngestRefused(f"--site {site[:80]!r} is not a domain name")
    return name


class _Run:
    def __init__(
        self, store: Store, section: WebLogs, window: Window, folder: Path, site: str | None
    ) -> None:
        self.store = store
        self.section = section
        self.window = window
        self.folder = folder
        self.site = site
        self.fields = set(section.fields)
        self.storage = IpStorage(section.ip_storage)
        self.keys: KeyRing = store.keys
        # A database of its own: the settings below (where to spill, how many files) are the
        # database's, not the cursor's, and the spill directory goes with the run's staging.
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(f"SET memory_limit = '{INGEST_MEMORY}'")  # beyond it DuckDB spills to the staging
        self.con.execute("SET temp_directory = " + sql_list([folder / "tmp"])[1:-1])
        self.con.execute("SET preserve_insertion_order = false")
        self.tokens: dict[tuple[str, str], bytes | None] = {}
        self.chunk_dir = folder / "chunks"
        self.chunk_dir.mkdir()
        self.chunk_count = 0
        self.rejects_path = folder / "rejects.csv"
        self._rejects_handle: Any = None
        self._rejects: Any = None

    def reject_rows(self, source: str, rows: list[tuple[int, str, str]]) -> None:
        if not rows:
            return
        if self._rejects is None:
            self._rejects_handle = self.rejects_path.open("w", encoding="utf-8", newline="")
            self._rejects = csv.writer(self._rejects_handle)
            self._rejects.writerow(["source", "line", "reason", "text"])
        for number, reason, text in rows:
            self._rejects.writerow([source, number, reason, text.rstrip("\r\n")])

    def close_rejects(self) -> bool:
        if self._rejects_handle is not None:
            self._rejects_handle.close()
            return True
        return False

    def _site_expr(self, names: list[str]) -> str:
        if "domain" not in self.fields:
            return f"'{NO_SITE}'"
        if self.site is not None:
            return f"'{self.site}'"
        if "vhost" not in names:
            raise IngestRefused("a format without the virtual host needs --site")
        return r"rtrim(regexp_replace(lower(vhost), ':[0-9]+$', ''), '.')"

    def chunk(self, source: str, fmt: str, chunk: Chunk, result: IngestResult) -> None:
        pattern, names = FORMATS[fmt]
        table = pa.table(
            {
                "n": pa.array(np.arange(chunk.first_line, chunk.first_line + len(chunk), dtype=np.int64)),
                "line": chunk.lines,
            }
        )
        self.con.register("chunk", table)
        head, head_names, _pieces, combined = FAST[fmt]
        slow_vhost = "g.vhost" if "vhost" in names else "NULL"
        fast_vhost = "h.vhost" if "vhost" in head_names else "NULL"
        if combined:
            # ... "request" status bytes "referrer" "agent"[ anything]: pieces 2 to 6, then the tail.
            fast_ok = (
                "len(parts) >= 7 AND sb.status <> '' AND sb.sep = ' ' AND parts[5] = ' ' "
                "AND ((len(parts) = 7 AND parts[7] IN ('', E'\\n', E'\\r\\n')) OR starts_with(parts[7], ' '))"
            )
            fast_tail = "parts[4] AS referrer, parts[6] AS user_agent"
            slow_tail = "g.referrer AS referrer, g.user_agent AS user_agent"
        else:
            fast_ok = "len(parts) = 3 AND sb.status <> '' AND sb.sep = ''"
            fast_tail = "NULL::VARCHAR AS referrer, NULL::VARCHAR AS user_agent"
            slow_tail = fast_tail
        self.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE parsed AS
            WITH b AS (SELECT n, line, contains(line, '\\') AS escaped FROM chunk),
            fast AS (
                SELECT n, line, parts,
                       regexp_extract(parts[1], $head, $head_names) AS h,
                       regexp_extract(coalesce(parts[3], ''), $status_bytes, ['status', 'bytes', 'sep']) AS sb
                FROM (SELECT n, line, string_split(line, '"') AS parts FROM b WHERE NOT escaped)
            ),
            slow AS (
                SELECT n, line, regexp_extract(line, $pattern, $names) AS g FROM b WHERE escaped
            ),
            m AS (
                SELECT n, line, h.ts <> '' AND {fast_ok} AS matched, h.ip AS ip_text, {fast_vhost} AS vhost,
                       h.ts AS ts_text, parts[2] AS request, sb.status AS status, sb.bytes AS bytes, {fast_tail}
                FROM fast
                UNION ALL
                SELECT n, line, g.ts <> '' AS matched, g.ip, {slow_vhost}, g.ts, g.request, g.status, g.bytes,
                       {slow_tail}
                FROM slow
            ),
            p AS (
                SELECT n, line, matched, NOT matched AND regexp_full_match(line, '[\\r\\n\\t ]*') AS blank,
                       ip_text, {self._site_expr(names)} AS site,
                       try_strptime(ts_text, '{TIME_FORMAT}')::TIMESTAMP AS ts,
                       request, status, bytes, referrer, user_agent
                FROM m
            )
            SELECT *, strftime(ts, '%Y-%m') AS month,
                CASE
                    WHEN blank THEN NULL
                    WHEN NOT matched THEN 'not a line in the {fmt} format'
                    WHEN ts IS NULL THEN 'the time is not a valid date and time'
                    WHEN NOT regexp_full_match(site, '{SITE}|-') THEN 'the virtual host is not a domain name'
                END AS problem
            FROM p
            """,  # noqa: S608 (patterns and names of this module; the site is checked against SITE)
            {
                "pattern": pattern,
                "names": names,
                "head": head,
                "head_names": head_names,
                "status_bytes": STATUS_BYTES,
            },
        )
        self.con.unregister("chunk")
        cutoff = self.window.cutoff
        counts = self.con.execute(
            "SELECT count(*) FILTER (WHERE blank), count(*) FILTER (WHERE problem IS NULL AND NOT blank "
            "AND ts <= $cutoff) FROM parsed",
            {"cutoff": cutoff},
        ).fetchone() or (0, 0)
        blank, expired = int(counts[0]), int(counts[1])
        rejects = self.con.execute(
            "SELECT n, problem, line FROM parsed WHERE problem IS NOT NULL ORDER BY n"
        ).fetchall()

        keep_ip = "ip_address" in self.fields
        if keep_ip:
            self._tokenise()
            bad_ip = self.con.execute(
                "SELECT p.n, 'the client address is not an IP address', p.line FROM parsed p "
                "JOIN tokens t ON t.month = p.month AND t.ip_text = p.ip_text "
                "WHERE p.problem IS NULL AND NOT p.blank AND p.ts > $cutoff AND t.ip IS NULL ORDER BY p.n",
                {"cutoff": cutoff},
            ).fetchall()
            rejects = sorted(rejects + bad_ip)
            join = "JOIN tokens t ON t.month = p.month AND t.ip_text = p.ip_text AND t.ip IS NOT NULL"
            ip_cols = f"t.ip AS ip, '{self.storage.value}' AS ip_kind"
        else:
            join = ""
            ip_cols = "NULL::BLOB AS ip, NULL::VARCHAR AS ip_kind"

        def kept(policy_field: str, name: str, expression: str, sql_type: str) -> str:
            return f"{expression} AS {name}" if policy_field in self.fields else f"NULL::{sql_type} AS {name}"

        request = f"regexp_extract(request, '{REQUEST}', ['method', 'target', 'protocol'])"
        target = self.chunk_dir / f"chunk-{self.chunk_count:06d}.parquet"
        self.chunk_count += 1
        written = self.con.execute(
            f"""
            COPY (
                SELECT p.site, p.ts::DATE AS day, p.month AS month, p.ts,
                    {kept("path", "method", "nullif(r.method, '')", "VARCHAR")},
                    {kept("path", "path", "CASE WHEN r.target <> '' THEN r.target ELSE p.request END", "VARCHAR")},
                    {kept("path", "protocol", "nullif(r.protocol, '')", "VARCHAR")},
                    {kept("status", "status", "p.status::SMALLINT", "SMALLINT")},
                    {kept("bytes", "bytes", "try_cast(nullif(p.bytes, '-') AS BIGINT)", "BIGINT")},
                    {kept("referrer", "referrer", "nullif(p.referrer, '-')", "VARCHAR")},
                    {kept("user_agent", "user_agent", "nullif(p.user_agent, '-')", "VARCHAR")},
                    {ip_cols}
                FROM (SELECT *, {request} AS r FROM parsed) p {join}
                WHERE p.problem IS NULL AND NOT p.blank AND p.ts > $cutoff
            ) TO {sql_list([target])[1:-1]} (FORMAT parquet, COMPRESSION zstd)
            """,  # noqa: S608 (columns and patterns of this module; a file of the store, quoted)
            {"cutoff": cutoff},
        ).fetchone()
        stored = int(written[0]) if written else 0
        self.reject_rows(source, [(int(n), str(reason), str(text)) for n, reason, text in rejects])
        accounted = stored + len(rejects) + blank + expired
        if accounted != len(chunk):  # every line must be somewhere: never drop one silently
            raise AssertionError(
                f"{source}: lines {chunk.first_line:,}-{chunk.first_line + len(chunk) - 1:,}: "
                f"{len(chunk):,} lines read but {accounted:,} accounted for"
            )
        result.lines += len(chunk)
        result.stored += stored
        result.rejected += len(rejects)
        result.blank += blank
        result.expired += expired

    def _tokenise(self) -> None:
        """Tokens for the chunk's distinct (month, address) pairs, each computed once per run."""
        pairs = self.con.sql(
            "SELECT DISTINCT month, ip_text FROM parsed WHERE problem IS NULL AND NOT blank AND ts > $cutoff",
            params={"cutoff": self.window.cutoff},
        ).to_arrow_table()
        months: list[str] = pairs.column("month").to_pylist()
        texts: list[str] = pairs.column("ip_text").to_pylist()
        if len(self.tokens) > TOKEN_CACHE:
            self.tokens.clear()
        cache = self.tokens
        storage = self.storage
        needs_key = storage in (IpStorage.HMAC, IpStorage.AES_SIV)
        values: list[bytes | None] = []
        append = values.append
        for month, text in zip(months, texts, strict=True):
            token = cache.get((month, text), b"")
            if token == b"":
                packed = pack(text)
                if packed is None:
                    token = None
                elif not needs_key:
                    token = stored_value(packed, storage, None)
                else:
                    key = self.keys.get(month, create=True)
                    # Without a key (the month's was destroyed: the month is expired) there is no token.
                    token = None if key is None else stored_value(packed, storage, key)
                cache[(month, text)] = token
            append(token)
        tokens = pa.table(
            {
                "month": pa.array(months, pa.string()),
                "ip_text": pa.array(texts, pa.string()),
                "ip": pa.array(values, pa.binary()),
            }
        )
        self.con.register("tokens_arrow", tokens)
        self.con.execute("CREATE OR REPLACE TEMP TABLE tokens AS SELECT * FROM tokens_arrow")
        self.con.unregister("tokens_arrow")

    def publish(self, result: IngestResult) -> list[tuple[Path, str, str | None]]:
        """Sort the scratch files into partitions and the index; return (file, folder of the store, None)."""
        moves: list[tuple[Path, str, str | None]] = []
        if result.stored == 0:
            return moves
        chunk_glob = {"files": str(self.chunk_dir / "*.parquet")}
        hits = self.folder / "hits"
        self.con.execute("SET partitioned_write_max_open_files = 4096")
        self.con.execute(
            f"""
            COPY (SELECT * EXCLUDE (month) FROM read_parquet($files) ORDER BY site, day, ts)
            TO {sql_list([hits])[1:-1]} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (site, day),
                         FILENAME_PATTERN 'part-{{uuid}}')
            """,  # noqa: S608 (a directory of the store, quoted)
            chunk_glob,
        )
        for site, day in self.con.execute(
            "SELECT DISTINCT site, day FROM read_parquet($files)", chunk_glob
        ).fetchall():
            result.sites.add(str(site))
            result.days.add(day)
        for file in sorted(hits.glob("site=*/day=*/*.parquet")):
            moves.append((file, self.store.join(file.parent.parent.name, file.parent.name), None))
        if "ip_address" in self.fields:
            index = self.folder / "index"
            self.con.execute(
                f"""
                COPY (SELECT DISTINCT month, ip AS token, site, day FROM read_parquet($files)
                      WHERE ip IS NOT NULL ORDER BY month, token)
                TO {sql_list([index])[1:-1]} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (month),
                              FILENAME_PATTERN 'part-{{uuid}}')
                """,  # noqa: S608 (a directory of the store, quoted)
                chunk_glob,
            )
            for file in sorted(index.glob("month=*/*.parquet")):
                moves.append((file, self.store.join(INDEX_DIR, file.parent.name), None))
        return moves


def ingest(
    sources: list[str],
    *,
    actor: Actor,
    site: str | None = None,
    fmt: str = "auto",
    now: dt.datetime | None = None,
    progress: Progress | None = None,
    store: Store | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> IngestResult:
    """Read access logs into the store under the policy in effect; journal what was stored."""
    if fmt != "auto" and fmt not in FORMATS:
        raise IngestRefused(f"unknown format {fmt!r}: use auto, {', '.join(FORMATS)}")
    if not sources:
        raise IngestRefused("no file to ingest: name files, or - for standard input")
    if sources.count("-") > 1:
        raise IngestRefused("standard input (-) can be read only once")
    section = policy()
    store = store or Store()
    window = Window.at(section.retention, now)
    clean_site = _clean_site(site) if site is not None else None
    started = time.monotonic()
    result = IngestResult(ingest_id=uuid.uuid4().hex[:16], sources=list(sources))
    with store.lock():
        store.clear_stale_staging()
        with store.staging() as folder:
            run = _Run(store, section, window, folder, clean_site)
            for name in sources:
                _ingest_source(run, Source(name), fmt, result, progress, chunk_bytes)
            has_rejects = run.close_rejects()
            moves = run.publish(result)
            with transaction.atomic():
                if has_rejects:
                    rejects_dir = store.reject_dir(window.now.date())
                    rejects_name = f"{window.now:%Y%m%dT%H%M%S}-{result.ingest_id}.csv"
                    moves.append((run.rejects_path, rejects_dir, rejects_name))
                    result.rejects_file = store.storage.join(rejects_dir, rejects_name)
                record(
                    "weblogs.ingested",
                    actor=actor.ref,
                    object_type="weblogs.ingest",
                    object_id=result.ingest_id,
                    payload={
                        "sources": len(sources),
                        "formats": sorted(set(result.formats.values())),
                        "lines": result.lines,
                        "stored": result.stored,
                        "rejected": result.rejected,
                        "blank": result.blank,
                        "expired_on_arrival": result.expired,
                        "sites": len(result.sites),
                        "days": len(result.days),
                        "ip_storage": section.ip_storage,
                        "fields": sorted(section.fields),
                    },
                )
                store.publish_all(moves)  # all or nothing: a failure removes what was published
    result.seconds = time.monotonic() - started
    return result


def _ingest_source(
    run: _Run, source: Source, fmt: str, result: IngestResult, progress: Progress | None, chunk_bytes: int
) -> None:
    try:
        stream = source.open()
    except SourceError as exc:
        raise IngestRefused(str(exc)) from None
    try:
        chosen = None if fmt == "auto" else fmt

        def tick() -> None:
            if progress is not None:
                progress(source.position(), source.size, result.lines)

        try:
            for chunk in chunks(stream, size=chunk_bytes, read_hook=tick):
                if chosen is None:
                    sample = [line for line in chunk.lines.slice(0, SAMPLE_LINES).to_pylist() if line.strip()]
                    chosen = detect(sample)
                    if chosen is None:
                        raise IngestRefused(
                            f"{source.label}: lines {chunk.first_line:,} to "
                            f"{chunk.first_line + min(len(chunk), SAMPLE_LINES) - 1:,} are in none of the "
                            f"formats {', '.join(FORMATS)}: give --format"
                        )
                if chosen != "vhost_combined" and run.site is None and "domain" in run.fields:
                    raise IngestRefused(
                        f"{source.label} is in the {chosen} format, which names no site: give --site DOMAIN"
                    )
                result.formats[source.label] = chosen
                run.chunk(source.label, chosen, chunk, result)
        except SourceError as exc:
            raise IngestRefused(f"{source.label}: {exc}") from None
        except duckdb.IOException as exc:
            # DuckDB's message may quote a value of the log: name only the kind of failure.
            raise IngestRefused(
                f"{source.label}: the store could not be written (DuckDB {type(exc).__name__})"
            ) from None
        if chosen is not None:
            result.formats[source.label] = chosen
    finally:
        source.close()
