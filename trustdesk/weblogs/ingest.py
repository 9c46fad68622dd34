"""Ingesting access logs: parse with DuckDB, tokenise the addresses, write Parquet per site and day.

A run reads its sources a chunk at a time; every chunk is parsed by one DuckDB query (the line
split at its quotes and its pieces checked; the full pattern for lines with escapes) on a thread of
its own while the previous chunk is finished. The chunk's distinct (month, address) pairs are
tokenised under that month's key (a batch per month) and given the month's small id from the
month's dictionary, a table of the run's database (``_Run._tokenise``), joined back, and the
chunk's hits go to one staged file per site and day, sorted and written by a pool of threads
(``_Writer``; the last day of a chunk waits for the next). At the end each month's index is merged
with what the run added, and everything is published with a journal entry (by rename in a local
store, by one upload per file in object storage: ``storage.py``). A run either publishes
everything or nothing (a source refused as a whole stops it).

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
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db import transaction

from trustdesk.journal.services import record
from trustdesk.policy.schema import IpStorage, WebLogs
from trustdesk.registry.services import Actor
from trustdesk.weblogs.addresses import pack, stored_value
from trustdesk.weblogs.formats import FAST, FORMATS, REQUEST, STATUS_BYTES, TIME_FORMAT, detect
from trustdesk.weblogs.keys import KeyRing
from trustdesk.weblogs.reader import CHUNK_BYTES, Chunk, Source, SourceError, chunks
from trustdesk.weblogs.store import (
    EARLIER_INDEX,
    NO_SITE,
    Store,
    Window,
    columns_of,
    policy,
    sql_list,
    write_hits,
    write_index,
)

#: How many lines of a source ``auto`` looks at to recognise its format.
SAMPLE_LINES = 200
#: A site name: a host name as the web server logs it (lower case; digits for an address).
SITE = r"[a-z0-9_]([a-z0-9._-]{0,252})"
#: What DuckDB may hold in memory during an ingest (the final sort spills beyond it).
INGEST_MEMORY = "2GB"
#: Hits of one site and day held back before they are written as a file of their own.
FILE_ROWS = 1_000_000
#: Threads writing hits files (pyarrow compresses and writes without holding the interpreter).
WRITERS = 2
#: Files queued for the writers before the ingest waits for them (memory stays bounded).
WRITES_QUEUED = 64

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
        store.storage.register(self.con)  # the month indexes are read from the store
        self.parse_con = self.con.cursor()
        self.parse_con.execute("SET TimeZone = 'UTC'")
        self.prepared = 0
        self.parser = ThreadPoolExecutor(max_workers=1, thread_name_prefix="weblogs-parse")
        # Each month's address dictionary (token -> id, and whether this run gave the id) is a table
        # of the run's database, which spills to the staging beyond its memory limit.
        self.month_tables: dict[str, str] = {}
        self.next_ids: dict[str, int] = {}
        self.days_dir = folder / "days"
        self.days_dir.mkdir()
        self.writer = _Writer(store, folder / "hits")
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

    def prepare(self, fmt: str, chunk: Chunk) -> _Parsed:
        """Parse a chunk into a table of its own (on the run's second connection: while the previous
        chunk is tokenised and written, the next one is parsed)."""
        con = self.parse_con
        name = f"parsed_{self.prepared}"
        self.prepared += 1
        pattern, names = FORMATS[fmt]
        table = pa.table(
            {
                "n": pa.array(np.arange(chunk.first_line, chunk.first_line + len(chunk), dtype=np.int64)),
                "line": chunk.lines,
            }
        )
        con.register("chunk", table)
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
        con.execute(
            f"""
            CREATE OR REPLACE TABLE {name} AS
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
            SELECT * EXCLUDE (line), strftime(ts, '%Y-%m') AS month,
                regexp_extract(request, '{REQUEST}', ['method', 'target', 'protocol']) AS r,
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
        con.unregister("chunk")
        cutoff = self.window.cutoff
        counts = con.execute(
            "SELECT count(*) FILTER (WHERE blank), count(*) FILTER (WHERE problem IS NULL AND NOT blank "  # noqa: S608 (a table of this run)
            f"AND ts <= $cutoff) FROM {name}",
            {"cutoff": cutoff},
        ).fetchone() or (0, 0)
        blank, expired = int(counts[0]), int(counts[1])
        rejects = con.execute(
            f"SELECT n, problem FROM {name} WHERE problem IS NOT NULL ORDER BY n"  # noqa: S608 (a table of this run)
        ).fetchall()
        pairs = None
        if "ip_address" in self.fields:
            pairs = con.sql(
                f"SELECT month, ip_text FROM {name} WHERE problem IS NULL AND NOT blank AND ts > $cutoff "  # noqa: S608
                "GROUP BY ALL ORDER BY month",
                params={"cutoff": cutoff},
            ).to_arrow_table()
        return _Parsed(name, blank, expired, rejects, pairs)

    def finish(self, source: str, chunk: Chunk, parsed: _Parsed, result: IngestResult) -> None:
        """Tokenise, write and count a parsed chunk."""
        name = parsed.table
        cutoff = self.window.cutoff
        blank, expired, rejects = parsed.blank, parsed.expired, parsed.rejects
        pairs = parsed.pairs  # there are pairs when the policy keeps the address
        keep_ip = pairs is not None
        if pairs is not None:
            self._tokenise(pairs)
            bad_ip = self.con.execute(
                "SELECT p.n, 'the client address is not an IP address' "  # noqa: S608 (a table of this run)
                f"FROM {name} p "
                "JOIN tokens t ON t.month = p.month AND t.ip_text = p.ip_text "
                "WHERE p.problem IS NULL AND NOT p.blank AND p.ts > $cutoff AND t.ip_id IS NULL ORDER BY p.n",
                {"cutoff": cutoff},
            ).fetchall()
            rejects = sorted(rejects + bad_ip)
            join = "JOIN tokens t ON t.month = p.month AND t.ip_text = p.ip_text AND t.ip_id IS NOT NULL"
            ip_cols = "t.ip_id AS ip_id"
        else:
            join = ""
            ip_cols = "NULL::INTEGER AS ip_id"

        def kept(policy_field: str, name: str, expression: str, sql_type: str) -> str:
            return f"{expression} AS {name}" if policy_field in self.fields else f"NULL::{sql_type} AS {name}"

        hits = self.con.sql(
            f"""
            SELECT p.site, p.ts::DATE AS day, p.month AS month, p.ts,
                {kept("path", "method", "nullif(r.method, '')", "VARCHAR")},
                {kept("path", "path", "CASE WHEN r.target <> '' THEN r.target ELSE p.request END", "VARCHAR")},
                {kept("path", "protocol", "nullif(r.protocol, '')", "VARCHAR")},
                {kept("status", "status", "p.status::SMALLINT", "SMALLINT")},
                {kept("bytes", "bytes", "try_cast(nullif(p.bytes, '-') AS BIGINT)", "BIGINT")},
                {kept("referrer", "referrer", "nullif(p.referrer, '-')", "VARCHAR")},
                {kept("user_agent", "user_agent", "nullif(p.user_agent, '-')", "VARCHAR")},
                {ip_cols}
            FROM {name} p {join}
            WHERE p.problem IS NULL AND NOT p.blank AND p.ts > $cutoff
            ORDER BY p.site, day, p.ts
            """,  # noqa: S608 (columns and patterns of this module)
            params={"cutoff": cutoff},
        ).to_arrow_table()
        stored = hits.num_rows
        if keep_ip and stored:
            # Which days of its month each address was seen on, per site: the index's bitmaps.
            self.con.register("chunk_hits", hits)
            days = self.con.sql(
                "SELECT month, site, ip_id, bit_or((1 << (day(day) - 1))::INTEGER) AS days "
                "FROM chunk_hits GROUP BY ALL"
            ).to_arrow_table()
            self.con.unregister("chunk_hits")
            pq.write_table(days, self.days_dir / f"days-{self.chunk_count:06d}.parquet")
        self.chunk_count += 1
        self.writer.add(hits)
        # The table keeps no line (they are copied once, by the parse); a rejected one is read from the chunk.
        lines = chunk.lines
        self.reject_rows(
            source, [(int(n), str(reason), lines[int(n) - chunk.first_line].as_py()) for n, reason in rejects]
        )
        accounted = stored + len(rejects) + blank + expired
        if accounted != len(chunk):  # every line must be somewhere: never drop one silently
            raise AssertionError(
                f"{source}: lines {chunk.first_line:,}-{chunk.first_line + len(chunk) - 1:,}: "
                f"{len(chunk):,} lines read but {accounted:,} accounted for"
            )
        self.con.execute(f"DROP TABLE {name}")
        result.lines += len(chunk)
        result.stored += stored
        result.rejected += len(rejects)
        result.blank += blank
        result.expired += expired

    def _month_table(self, month: str) -> str:
        """The table of a month's address dictionary, first filled from the month's index."""
        table = self.month_tables.get(month)
        if table is None:
            table = f"month_ids_{len(self.month_tables)}"
            self.con.execute(f"CREATE TEMP TABLE {table} (token BLOB, id INTEGER, new BOOLEAN)")
            files = self.store.files_in(self.store.index_dir(month))
            for file in files:
                if "id" not in columns_of(self.store.storage, file):
                    raise IngestRefused(file + EARLIER_INDEX)
            if files:
                self.con.execute(
                    f"INSERT INTO {table} SELECT DISTINCT token, id, false FROM read_parquet($files)",  # noqa: S608 (a table of this run)
                    {"files": self.store.for_duckdb(files)},
                )
            row = self.con.execute(f"SELECT coalesce(max(id) + 1, 0) FROM {table}").fetchone()  # noqa: S608
            self.next_ids[month] = int(row[0]) if row else 0
            self.month_tables[month] = table
        return table

    def _tokenise(self, pairs: pa.Table) -> None:
        """The month's id of each of the chunk's distinct (month, address) pairs, as the table
        ``tokens``; a NULL id: not an IP address (or the month's key is destroyed)."""
        con = self.con
        months = sorted(str(month) for month in pc.unique(pairs["month"]).to_pylist())
        con.register("valued", self._values(pairs))
        try:
            selects = []
            params: dict[str, Any] = {}
            for number, month in enumerate(months):
                table = self._month_table(month)
                # An address seen for the first time in its month gets the month's next id (in token order).
                row = con.execute(
                    f"""
                    INSERT INTO {table}
                    SELECT token, $next + (row_number() OVER (ORDER BY token))::INTEGER - 1, true
                    FROM (SELECT DISTINCT token FROM valued WHERE month = $month AND token IS NOT NULL) v
                    WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.token = v.token)
                    """,  # noqa: S608 (a table of this run)
                    {"month": month, "next": self.next_ids[month]},
                ).fetchone()
                self.next_ids[month] += int(row[0]) if row else 0
                selects.append(
                    f"SELECT v.month, v.ip_text, t.id AS ip_id FROM valued v LEFT JOIN {table} t "  # noqa: S608
                    f"ON t.token = v.token WHERE v.month = $m{number}"
                )
                params[f"m{number}"] = month
            con.execute("CREATE OR REPLACE TEMP TABLE tokens AS " + " UNION ALL ".join(selects), params)
        finally:
            con.unregister("valued")

    def _values(self, pairs: pa.Table) -> pa.Table:
        """The pairs (sorted by month) with the value the store keeps of each address (``token``);
        NULL where the text is no IP address or the month's key is destroyed."""
        months: list[str] = pairs["month"].to_pylist()
        packed = [pack(text) for text in pairs["ip_text"].to_pylist()]
        values: list[bytes | None] = [None] * len(packed)
        start = 0
        while start < len(months):
            month = months[start]
            end = start
            while end < len(months) and months[end] == month:
                end += 1
            positions = [n for n in range(start, end) if packed[n] is not None]
            valid = [packed[n] for n in positions]
            tokens: list[bytes] | None
            if self.storage is IpStorage.HMAC or self.storage is IpStorage.AES_SIV:
                key = self.keys.get(month, create=True)
                if key is None:  # destroyed (the month is expired): no token
                    tokens = None
                elif self.storage is IpStorage.HMAC:
                    tokens = key.hmac_tokens(valid)  # type: ignore[arg-type]
                else:
                    tokens = [key.siv_token(value) for value in valid]  # type: ignore[arg-type]
            else:
                tokens = [stored_value(value, self.storage, None) for value in valid]  # type: ignore[arg-type]
            if tokens is not None:
                for n, token in zip(positions, tokens, strict=True):
                    values[n] = token
            start = end
        return pairs.append_column("token", pa.array(values, pa.binary()))

    def publish(self, result: IngestResult) -> tuple[list[tuple[Path, str, str | None]], list[str]]:
        """The staged files and the partition or index folder of the store each goes to (with no new
        name), and the files of the store they replace."""
        moves = self.writer.finish()
        replaced: list[str] = []
        for site, day in self.writer.partitions:
            result.sites.add(site)
            result.days.add(day)
        days_files = sorted(self.days_dir.glob("*.parquet"))
        if "ip_address" not in self.fields or not moves or not days_files:
            return moves, replaced
        months = sorted(
            {
                row[0]
                for row in self.con.execute(
                    "SELECT DISTINCT month FROM read_parquet($files)", {"files": [str(f) for f in days_files]}
                ).fetchall()
            }
        )
        index_dir = self.folder / "index"
        index_dir.mkdir()
        for month in months:
            old = self.store.files_in(self.store.index_dir(month))
            table = self.month_tables[month]
            parts = [
                f"SELECT token, $kind AS ip_kind, id, NULL::VARCHAR AS site, 0 AS days FROM {table} WHERE new"  # noqa: S608
            ]
            params: dict[str, Any] = {"kind": self.storage.value, "days": [str(f) for f in days_files]}
            if old:
                parts.append("SELECT token, ip_kind, id, site, days FROM read_parquet($old)")
                params["old"] = self.store.for_duckdb(old)
            rows = self.con.sql(
                f"""
                WITH entries AS ({" UNION ALL ".join(parts)}),
                names AS (SELECT DISTINCT token, ip_kind, id FROM entries),
                seen AS (
                    SELECT id, site, days FROM entries WHERE site IS NOT NULL
                    UNION ALL
                    SELECT ip_id, site, days FROM read_parquet($days) WHERE month = $month
                )
                SELECT n.token, n.ip_kind, n.id, s.site, bit_or(s.days) AS days
                FROM seen s JOIN names n USING (id) GROUP BY ALL
                """,  # noqa: S608 (fixed parts of this module)
                params={**params, "month": month},
            ).to_arrow_table()
            target = index_dir / f"part-{uuid.uuid4()}.parquet"
            write_index(rows, target)
            moves.append((target, self.store.index_dir(month), None))
            replaced.extend(old)
        return moves, replaced


@dataclass
class _Parsed:
    table: str
    blank: int
    expired: int
    rejects: list[Any]
    pairs: pa.Table | None


class _Writer:
    """Hits into one staged file per site and day; a day still going on waits for the next chunk."""

    def __init__(self, store: Store, folder: Path) -> None:
        self.store = store
        self.folder = folder
        self.pending: dict[tuple[str, dt.date], list[pa.Table]] = {}
        self.moves: list[tuple[Path, str, str | None]] = []
        self.partitions: set[tuple[str, dt.date]] = set()
        self.pool = ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="weblogs-write")
        self.writes: list[Future[int]] = []

    def add(self, hits: pa.Table) -> None:
        if hits.num_rows == 0:
            return
        sites = pc.dictionary_encode(hits["site"]).combine_chunks()
        days = hits["day"].combine_chunks().cast(pa.int32()).to_numpy()
        keys = sites.indices.to_numpy().astype(np.int64) * 1_000_000 + days
        starts = np.concatenate(([0], np.flatnonzero(np.diff(keys)) + 1))
        ends = np.append(starts[1:], len(keys))
        names = sites.dictionary.to_pylist()
        codes = sites.indices.to_numpy()
        last_day = int(days.max())
        for first, stop in zip(starts.tolist(), ends.tolist(), strict=True):
            key = (str(names[codes[first]]), dt.date(1970, 1, 1) + dt.timedelta(days=int(days[first])))
            self.pending.setdefault(key, []).append(hits.slice(first, stop - first))
        for key in list(self.pending):
            rows = sum(part.num_rows for part in self.pending[key])
            if (key[1] - dt.date(1970, 1, 1)).days < last_day or rows >= FILE_ROWS:
                self._write(key)

    def _write(self, key: tuple[str, dt.date]) -> None:
        parts = self.pending.pop(key)
        site, day = key
        folder = self.folder / f"site={site}" / f"day={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"part-{uuid.uuid4()}.parquet"
        self.writes.append(self.pool.submit(_sort_and_write, parts, target))
        self.moves.append((target, self.store.partition_dir(site, day), None))
        self.partitions.add(key)
        if len(self.writes) > WRITES_QUEUED:
            self._wait(len(self.writes) - WRITES_QUEUED // 2)

    def _wait(self, count: int | None = None) -> None:
        """Wait for the oldest writes (all of them without ``count``); a failed write stops the run."""
        done, self.writes = self.writes[:count], self.writes[len(self.writes) if count is None else count :]
        for write in done:
            write.result()

    def finish(self) -> list[tuple[Path, str, str | None]]:
        for key in list(self.pending):
            self._write(key)
        self._wait()
        return self.moves

    def close(self) -> None:
        """Stop the writers (after a failure: the files they were writing are dropped with the staging)."""
        for write in self.writes:
            write.cancel()
        self.pool.shutdown(wait=True)


def _sort_and_write(parts: list[pa.Table], target: Path) -> int:
    """One file of a site and day, by time: a day from one chunk is in order already (the chunk's
    hits are sorted by site, day and time); a day across chunks is sorted here."""
    table = parts[0] if len(parts) == 1 else pa.concat_tables(parts).sort_by("ts")
    return write_hits(table, target)


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
    with store.lock(actor=actor):
        store.clear_stale_staging()
        with store.staging() as folder:
            run = _Run(store, section, window, folder, clean_site)
            try:
                for name in sources:
                    _ingest_source(run, Source(name), fmt, result, progress, chunk_bytes)
                has_rejects = run.close_rejects()
                moves, replaced = run.publish(result)
            finally:
                run.parser.shutdown(wait=True)
                run.writer.close()
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
                for file in replaced:  # the month indexes that the new ones merge
                    store.remove(file)
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

        pending: tuple[Chunk, Future[_Parsed]] | None = None
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
                parsing = run.parser.submit(run.prepare, chosen, chunk)
                if pending is not None:
                    run.finish(source.label, pending[0], pending[1].result(), result)
                pending = (chunk, parsing)
            if pending is not None:
                run.finish(source.label, pending[0], pending[1].result(), result)
                pending = None
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
        if pending is not None:
            pending[1].cancel()
            wait([pending[1]])
        source.close()
