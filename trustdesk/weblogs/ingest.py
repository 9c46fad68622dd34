"""Ingesting access logs: parse in C, give addresses their month ids, write Parquet per site and day.

A run reads its sources a chunk at a time. A thread of its own reads each chunk (whole lines, no
copy) and parses it with the compiled parser (``fastlog.py``, ``_fastlog.c``, which releases the
interpreter lock), while the previous chunk is finished: its addresses are given their id in their
month (``fastlog.Addresses``: each (month, site, address) of the run once, its token computed once
under the month's key, HMAC in C), and its hits go to one staged file per site and day, written by
a pool of threads (``_Writer``; the last day of a chunk waits for the next). At the end each
month's index is merged with what the run added, and everything is published with a journal entry
(by rename in a local store, by one upload per file in object storage: ``storage.py``). A run
either publishes everything or nothing (a source refused as a whole stops it).

Every line is accounted for: stored, rejected (kept aside in a CSV file with its line number and
the reason), blank, or already past the retention window when it arrived (not stored).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from django.db import transaction

from trustdesk.journal.services import record
from trustdesk.lib import durable
from trustdesk.policy.schema import IpStorage, WebLogs
from trustdesk.registry.services import Actor
from trustdesk.weblogs import fastlog
from trustdesk.weblogs.addresses import pack, stored_value
from trustdesk.weblogs.fastlog import Kind, Parsed
from trustdesk.weblogs.formats import FORMATS, detect
from trustdesk.weblogs.keys import KeyRing
from trustdesk.weblogs.reader import (
    CHUNK_BYTES,
    MAX_LINE_BYTES,
    Buffers,
    Chunk,
    Source,
    SourceError,
    as_text,
    chunks,
    long_line_kept,
)
from trustdesk.weblogs.store import (
    COLUMNS,
    EARLIER_INDEX,
    NO_SITE,
    Store,
    Window,
    columns_of,
    policy,
    read_index,
    sql_list,
    write_hits,
    write_index,
)

#: How many lines of a source ``auto`` looks at to recognise its format.
SAMPLE_LINES = 200
#: A site name: a host name as the web server logs it (lower case; digits for an address).
SITE = r"[a-z0-9_]([a-z0-9._-]{0,252})"
#: What DuckDB may hold in memory while it merges the month indexes (it spills beyond it).
INGEST_MEMORY = "2GB"
#: Hits of one site and day held back before they are written as a file of their own.
FILE_ROWS = 1_000_000
#: Threads writing hits files (pyarrow compresses and writes without holding the interpreter).
WRITERS = 2
#: Files queued for the writers before the ingest waits for them (memory stays bounded).
WRITES_QUEUED = 64

Progress = Callable[[int, int | None, int], None]

#: Why a line of each rejected kind was not stored.
REASONS = {
    Kind.TIME: "the time is not a valid date and time",
    Kind.SITE: "the virtual host is not a domain name",
}
BAD_ADDRESS = "the client address is not an IP address"


def _reason(kind: int, fmt: str, max_line: int) -> str:
    if kind == Kind.LONG:
        return _too_long(max_line)
    return REASONS.get(Kind(kind), f"not a line in the {fmt} format")


def _too_long(max_line: int) -> str:
    return (
        f"the line is longer than {max_line:,} bytes (the first {long_line_kept(max_line):,} are kept here)"
    )


def _kept(parsed: Parsed, line: int, start: int, end: int, max_line: int) -> int:
    """Where the rejects' copy of a line ends: the line, or the start of an over-long one."""
    return min(end, start + long_line_kept(max_line)) if parsed.kinds[line] == Kind.LONG else end


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
        self,
        store: Store,
        section: WebLogs,
        window: Window,
        folder: Path,
        site: str | None,
        max_line: int = MAX_LINE_BYTES,
    ) -> None:
        self.store = store
        self.section = section
        self.window = window
        self.cutoff = int(window.cutoff.replace(tzinfo=dt.UTC).timestamp())  # hits at or before it expired
        self.folder = folder
        self.site = site
        self.max_line = max_line
        self.fields = set(section.fields)
        self.keep_ip = "ip_address" in self.fields
        self.storage = IpStorage(section.ip_storage)
        self.keys: KeyRing = store.keys
        self.reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="weblogs-parse")
        self.addresses = fastlog.Addresses()
        self.months: set[int] = set()  # yyyymm of the months whose index is loaded
        self.site_codes: dict[str, int] = {}  # the run's code of each site
        self.site_names: list[str] = []
        self.writer = _Writer(store, folder / "hits")
        self.indexes: dict[int, _Staged] = {}  # month (yyyymm) -> its new index, being written
        self.index_db: duckdb.DuckDBPyConnection | None = None  # merges with earlier month indexes
        self.rejects_path = folder / "rejects.csv"
        self._rejects_handle: Any = None
        self._rejects: Any = None

    def parser(self, fmt: str) -> fastlog.Parser:
        if "domain" not in self.fields:
            site: str | None = NO_SITE
        elif self.site is not None:
            site = self.site
        elif fmt == "vhost_combined":
            site = None  # each line's virtual host
        else:
            raise IngestRefused("a format without the virtual host needs --site")
        return fastlog.Parser(fastlog.FORMAT_CODES[fmt], site, fastlog.keep_bits(self.fields))

    def parse(self, parser: fastlog.Parser, chunk: Chunk) -> Parsed:
        """Parse a chunk (on the reading thread); bytes that are not UTF-8 are escaped first."""
        lines = 0 if chunk.long_line is not None else chunk.lines  # an over-long line has no block
        parsed = fastlog.parse(parser, chunk.block, self.cutoff, self.max_line, lines)
        if parsed is None:
            chunk.block = as_text(bytes(chunk.block))
            parsed = fastlog.parse(parser, chunk.block, self.cutoff, self.max_line, lines)
            if parsed is None:  # escaped, it is UTF-8
                raise AssertionError("an escaped block is not UTF-8")
        return parsed

    def reject_rows(self, source: str, rows: list[tuple[int, str, str]]) -> None:
        if not rows:
            return
        if self._rejects is None:
            self._rejects_handle = self.rejects_path.open("w", encoding="utf-8", newline="")
            self._rejects = csv.writer(self._rejects_handle)
            self._rejects.writerow(["source", "line", "reason", "text"])
        for number, reason, text in sorted(rows):
            self._rejects.writerow([source, number, reason, text.rstrip("\r\n")])

    def close_rejects(self) -> bool:
        if self._rejects_handle is not None:
            self._rejects_handle.close()
            return True
        return False

    def _sites(self, names: list[str], codes: np.ndarray) -> np.ndarray:
        """The parser's site codes as the run's (the run may read several sources)."""
        for name in names:
            if name not in self.site_codes:
                self.site_codes[name] = len(self.site_names)
                self.site_names.append(name)
        table = np.array([self.site_codes[name] for name in names], dtype=np.int32)
        if len(table) and np.array_equal(table, np.arange(len(table), dtype=np.int32)):
            return codes
        return table[codes]

    def finish(self, source: str, fmt: str, chunk: Chunk, parsed: Parsed, result: IngestResult) -> None:
        """Give the chunk's addresses their ids, hand its hits to the writers, count its lines."""
        counts = parsed.counts()
        blank, expired = int(counts[Kind.BLANK]), int(counts[Kind.EXPIRED])
        first = chunk.first_line
        rejects = [
            (
                first + line,
                _reason(parsed.kinds[line], fmt, self.max_line),
                chunk.text(start, _kept(parsed, line, start, end, self.max_line)),
            )
            for line, start, end in parsed.rejects.tolist()
        ]
        lines = parsed.lines
        if chunk.long_line is not None:
            head, _length = chunk.long_line
            lines = 1
            rejects.append((first, _too_long(self.max_line), as_text(head).decode("utf-8", "replace")))
        sites = self._sites(parsed.sites, parsed.site)
        keep = None
        ids = None
        if self.keep_ip and parsed.rows:
            ids, bad = self._ids(chunk, parsed, sites)
            if len(bad):
                numbers = parsed.line[bad].tolist()
                rejects.extend(
                    (first + number, BAD_ADDRESS, text)
                    for number, text in zip(numbers, self._lines(chunk, numbers), strict=True)
                )
                keep = np.ones(parsed.rows, dtype=bool)
                keep[bad] = False
        stored = self._hand_over(parsed, sites, ids, keep)
        if parsed.rows:
            self.stage_indexes(before=int(parsed.month.min()))  # the months the log has left
        self.reject_rows(source, rejects)
        accounted = stored + len(rejects) + blank + expired
        if accounted != lines:  # every line must be somewhere: never drop one silently
            raise AssertionError(
                f"{source}: lines {first:,}-{first + lines - 1:,}: {lines:,} lines read but {accounted:,} accounted for"
            )
        result.lines += lines
        result.stored += stored
        result.rejected += len(rejects)
        result.blank += blank
        result.expired += expired

    @staticmethod
    def _lines(chunk: Chunk, numbers: list[int]) -> list[str]:
        """The text of some lines of a chunk (by their number in it, from 0): for the rare rejects
        found after parsing, the chunk's line ends are looked up again."""
        ends = np.flatnonzero(np.frombuffer(chunk.block, dtype=np.uint8) == 10) + 1
        starts = np.concatenate(([0], ends))
        ends = np.append(ends, len(chunk.block))
        return [chunk.text(int(starts[n]), int(ends[n])) for n in numbers]

    def _ids(self, chunk: Chunk, parsed: Parsed, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The month id of each row's address, and the rows whose text is no address (or whose
        month's key is destroyed)."""
        family, ip = parsed.family, parsed.ip
        if len(parsed.fallback):  # forms inet_pton does not read (brackets, a zone): Python's reading
            family, ip = family.copy(), ip.copy()
            for row, start, end in parsed.fallback.tolist():
                packed = pack(chunk.text(start, end))
                if packed is not None:  # otherwise the row has no slot, so no id: rejected
                    ip[row, : len(packed)] = np.frombuffer(packed, dtype=np.uint8)
                    family[row] = 4 if len(packed) == 4 else 6
        months = parsed.month
        low, high = int(months.min()), int(months.max())
        for month in [low] if low == high else np.unique(months).tolist():
            if month not in self.months:
                self._load_month(int(month))
        slots, first_new = self.addresses.intern(months, sites, family, ip, parsed.mday)
        self._tokenise(first_new)
        ids = np.frombuffer(self.addresses.ids(slots), dtype=np.int32)
        return ids, np.flatnonzero(ids < 0)

    def _load_month(self, month: int) -> None:
        """The ids a month's index already gives, so that they stay the same."""
        name = f"{month // 100:04d}-{month % 100:02d}"
        files = self.store.files_in(self.store.index_dir(name))
        for file in files:
            if "id" not in columns_of(self.store.storage, file):
                raise IngestRefused(file + EARLIER_INDEX)
        if files:
            index = pa.concat_tables(
                [read_index(self.store.storage, file, ["token", "id"]) for file in files]
            )
            tokens = index["token"].combine_chunks().cast(pa.large_binary())
            _validity, offsets, data = tokens.buffers()
            start = tokens.offset
            self.addresses.load(
                month,
                data if data is not None else b"",
                np.frombuffer(offsets, dtype=np.int64)[start : start + len(tokens) + 1].tobytes(),
                index["id"].to_numpy().astype(np.int32).tobytes(),
            )
        self.months.add(month)

    def _tokenise(self, first: int) -> None:
        """Tokens, then ids, for the addresses the run sees for the first time (from slot ``first``)."""
        months_raw, families_raw, ips_raw = self.addresses.pending(first)
        if not months_raw:
            return
        months = np.frombuffer(months_raw, dtype=np.int32)
        keyed = self.storage in (IpStorage.HMAC, IpStorage.AES_SIV)
        keys = {}
        if keyed:
            for month in np.unique(months).tolist():
                keys[month] = self.keys.get(f"{month // 100:04d}-{month % 100:02d}", create=True)
        if self.storage is IpStorage.HMAC:
            tokens, has = self.addresses.hmac(
                first, {month: None if key is None else key.hmac_key for month, key in keys.items()}
            )
            given = np.frombuffer(has, dtype=np.uint8) == 1
            if not given.all():  # a destroyed month's key: those addresses get no token
                tokens = np.frombuffer(tokens, dtype=np.uint8).reshape(-1, 16)[given].tobytes()
            self.addresses.resolve(first, tokens, np.where(given, 16, -1).astype(np.int32).tobytes(), False)
            return
        families = np.frombuffer(families_raw, dtype=np.uint8)
        ips = np.frombuffer(ips_raw, dtype=np.uint8).reshape(-1, 16)
        values: list[bytes] = []
        sizes = np.empty(len(months), dtype=np.int32)
        for n, (month, family) in enumerate(zip(months.tolist(), families.tolist(), strict=True)):
            packed = ips[n, : 4 if family == 4 else 16].tobytes()
            key = keys.get(month)
            if keyed and key is None:  # destroyed (the month is expired): no token
                sizes[n] = -1
                continue
            value = stored_value(packed, self.storage, key)
            values.append(value)
            sizes[n] = len(value)
        # Truncated to a network, different addresses may have one stored value: one id for it.
        self.addresses.resolve(first, b"".join(values), sizes.tobytes(), self.storage is IpStorage.TRUNCATE)

    def _hand_over(
        self, parsed: Parsed, sites: np.ndarray, ids: np.ndarray | None, keep: np.ndarray | None
    ) -> int:
        """The chunk's hits, in site, day and time order, to the writers; the number stored."""
        rows = parsed.rows
        if not rows:
            return 0
        fields = self.fields
        columns: dict[str, Any] = {
            "ts": pa.array(parsed.ts * 1000, pa.timestamp("ms")),
            **{
                name: parsed.strings[name]
                for name in ("method", "path", "protocol", "referrer", "user_agent")
            },
            "status": pa.array(parsed.status) if "status" in fields else pa.nulls(rows, pa.int16()),
            "bytes": pa.array(parsed.size, mask=parsed.size < 0)
            if "bytes" in fields
            else pa.nulls(rows, pa.int64()),
            "ip_id": pa.array(ids) if ids is not None else pa.nulls(rows, pa.int32()),
        }
        table = pa.table({name: columns[name] for name in COLUMNS})
        ts, day = parsed.ts, parsed.day
        if keep is not None:
            table, sites, ts, day = table.filter(pa.array(keep)), sites[keep], ts[keep], day[keep]
        if not table.num_rows:
            return 0
        order = _order(sites, ts)
        if order is not None:
            table, sites, day = table.take(pa.array(order)), sites[order], day[order]
        self.writer.add(table, sites, day, self.site_names)
        return table.num_rows

    def stage_indexes(self, before: int | None = None) -> None:
        """Start writing the index of each month before ``before`` (yyyymm; all without it) that
        has none staged yet, on the writers' threads. Logs come in time order, so a month the
        ingest has moved past is usually done; one that changes after all is written again."""
        if not self.keep_ip:
            return
        for month, changes in self.addresses.months().items():
            if (before is not None and month >= before) or month in self.indexes:
                continue
            name = f"{month // 100:04d}-{month % 100:02d}"
            old = self.store.files_in(self.store.index_dir(name))
            if old and self.index_db is None:  # a merge with the month's index as it is
                self.index_db = duckdb.connect(":memory:")
                self.index_db.execute(f"SET memory_limit = '{INGEST_MEMORY}'")  # beyond it DuckDB spills
                self.index_db.execute("SET temp_directory = " + sql_list([self.folder / "tmp"])[1:-1])
                self.store.storage.register(self.index_db)  # it reads the indexes from the store
            seen, added = self._month(month)  # read here: Addresses is the main thread's only
            if not seen.num_rows:
                continue
            target = self.folder / "index" / f"part-{uuid.uuid4()}.parquet"
            job = self.writer.pool.submit(self._write_index, target, added, seen, old)
            self.indexes[month] = _Staged(changes, target, self.store.index_dir(name), old, job)

    def _write_index(self, target: Path, added: pa.Table, seen: pa.Table, old: list[str]) -> None:
        if old:
            if self.index_db is None:
                raise AssertionError("the index database is opened before a merge is staged")
            rows = _merge_index(self.index_db.cursor(), self.store, added, seen, old)
        else:  # every id of the month is new: the i-th name added has id i
            rows = _fresh_index(added, seen)
        target.parent.mkdir(exist_ok=True)
        write_index(rows, target)
        if self.writer.sync:
            durable.sync(target)

    def _month(self, month: int) -> tuple[pa.Table, pa.Table]:
        """What the run saw in a month (site, id, days) and the names it added (token, ip_kind, id)."""
        _months, sites, ids, days = (
            np.frombuffer(part, dtype=np.int32) for part in self.addresses.seen(month)
        )
        seen = pa.table(
            {
                "site": pa.DictionaryArray.from_arrays(
                    pa.array(sites), pa.array(self.site_names, pa.string())
                ),
                "id": pa.array(ids),
                "days": pa.array(days),
            }
        )
        _added_months, added_raw, tokens, offsets = self.addresses.added(month)
        count = len(added_raw) // 4
        added = pa.table(
            {
                "token": pa.Array.from_buffers(
                    pa.large_binary(), count, [None, pa.py_buffer(offsets), pa.py_buffer(tokens)]
                ),
                "ip_kind": pa.DictionaryArray.from_arrays(
                    pa.array(np.zeros(count, dtype=np.int32)), pa.array([self.storage.value])
                ),
                "id": pa.array(np.frombuffer(added_raw, dtype=np.int32)),
            }
        )
        return seen, added

    def publish(self, result: IngestResult) -> tuple[list[tuple[Path, str, str | None]], list[str]]:
        """The staged files and the partition or index folder of the store each goes to (with no new
        name), and the files of the store they replace."""
        changes = self.addresses.months() if self.keep_ip else {}
        for month, staged in list(self.indexes.items()):
            if changes.get(month) != staged.changes:  # the month changed after all: again
                staged.job.result()
                staged.target.unlink(missing_ok=True)
                del self.indexes[month]
        self.stage_indexes()
        moves = self.writer.finish()
        replaced: list[str] = []
        for site, day in self.writer.partitions:
            result.sites.add(site)
            result.days.add(day)
        for month in sorted(self.indexes):
            staged = self.indexes[month]
            staged.job.result()
            if moves:
                moves.append((staged.target, staged.folder, None))
                replaced.extend(staged.old)
        return moves, replaced

    def close(self) -> None:
        """Stop the threads (after a failure: what they were writing is dropped with the staging)."""
        self.reader.shutdown(wait=True)
        self.writer.close()
        if self.index_db is not None:
            self.index_db.close()


@dataclass
class _Staged:
    """A month's index being written before the end of the run."""

    changes: int  # Addresses.months() when it was started
    target: Path
    folder: str
    old: list[str]  # the files of the store it replaces
    job: Future[None]


def _fresh_index(names: pa.Table, seen: pa.Table) -> pa.Table:
    """A month's index when it had none: each seen (site, id) with the id's name."""
    if not np.array_equal(names["id"].to_numpy(), np.arange(names.num_rows, dtype=np.int32)):
        raise AssertionError("a new month's ids are not 0, 1, 2...")  # Addresses gives them so
    seen = _one_row_per_site_and_id(seen)
    ids = pa.array(seen["id"].to_numpy())
    return pa.table(
        {
            "token": names["token"].take(ids),
            "ip_kind": names["ip_kind"].take(ids),
            "id": seen["id"],
            "site": seen["site"],
            "days": seen["days"],
        }
    )


def _one_row_per_site_and_id(seen: pa.Table) -> pa.Table:
    """Where addresses share their id (truncated to one network), their days in one row."""
    site = seen["site"].combine_chunks()
    key = site.indices.to_numpy().astype(np.int64) << 32 | seen["id"].to_numpy().astype(np.int64)
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    if not np.any(ordered[1:] == ordered[:-1]):
        return seen
    starts = np.concatenate(([0], np.flatnonzero(ordered[1:] != ordered[:-1]) + 1))
    days = np.bitwise_or.reduceat(seen["days"].to_numpy()[order], starts)
    first = order[starts]
    return pa.table(
        {"site": site.take(pa.array(first)), "id": seen["id"].take(pa.array(first)), "days": pa.array(days)}
    )


def _order(sites: np.ndarray, ts: np.ndarray) -> np.ndarray | None:
    """The order of a chunk's rows by site, then time (so by day), or None when they are in it."""
    if len(ts) < 2:
        return None
    if sites[0] == sites[-1] and not np.any(sites != sites[0]):
        if not np.any(ts[1:] < ts[:-1]):
            return None
        return np.argsort(ts, kind="stable")
    key = sites.astype(np.int64) << 40 | (ts - ts.min())
    if not np.any(key[1:] < key[:-1]):
        return None
    return np.argsort(key, kind="stable")


def _merge_index(
    con: duckdb.DuckDBPyConnection, store: Store, added: pa.Table, seen: pa.Table, old: list[str]
) -> pa.Table:
    """A month's index: its earlier rows with the ids, sites and days this run added."""
    con.register("added", added)
    con.register("seen_now", seen)
    try:
        parts = ["SELECT token, ip_kind, id, NULL::VARCHAR AS site, 0 AS days FROM added"]
        params: dict[str, Any] = {}
        if old:
            parts.append("SELECT token, ip_kind, id, site, days FROM read_parquet($old)")
            params["old"] = store.for_duckdb(old)
        return con.sql(
            f"""
            WITH entries AS ({" UNION ALL ".join(parts)}),
            names AS (SELECT DISTINCT token, ip_kind, id FROM entries),
            seen AS (
                SELECT id, site, days FROM entries WHERE site IS NOT NULL
                UNION ALL
                SELECT id, site, days FROM seen_now
            )
            SELECT n.token, n.ip_kind, n.id, s.site, bit_or(s.days) AS days
            FROM seen s JOIN names n USING (id) GROUP BY ALL
            """,  # noqa: S608 (fixed parts of this module)
            params=params,
        ).to_arrow_table()
    finally:
        con.unregister("added")
        con.unregister("seen_now")


class _Writer:
    """Hits into one staged file per site and day; a day still going on waits for the next chunk."""

    def __init__(self, store: Store, folder: Path) -> None:
        self.store = store
        self.folder = folder
        self.pending: dict[tuple[str, int], list[pa.Table]] = {}
        self.moves: list[tuple[Path, str, str | None]] = []
        self.partitions: set[tuple[str, dt.date]] = set()
        self.folder.mkdir()
        self.pool = ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="weblogs-write")
        self.writes: list[Future[int]] = []
        #: In a directory store, each file goes to disk as soon as it is written, while the run goes
        #: on, instead of all together when they are published (LocalStorage.publish_all).
        self.sync = store.storage.local

    def add(self, hits: pa.Table, sites: np.ndarray, days: np.ndarray, names: list[str]) -> None:
        """Hits in site, day and time order, with the site code and the day (since 1970) of each."""
        if hits.num_rows == 0:
            return
        starts = np.flatnonzero((np.diff(days) != 0) | (np.diff(sites) != 0)) + 1
        starts = np.concatenate(([0], starts))
        ends = np.append(starts[1:], len(days))
        last_day = int(days.max())
        for first, stop in zip(starts.tolist(), ends.tolist(), strict=True):
            key = (names[int(sites[first])], int(days[first]))
            self.pending.setdefault(key, []).append(hits.slice(first, stop - first))
        for key in list(self.pending):
            rows = sum(part.num_rows for part in self.pending[key])
            if key[1] < last_day or rows >= FILE_ROWS:
                self._write(key)

    def _write(self, key: tuple[str, int]) -> None:
        parts = self.pending.pop(key)
        site, number = key
        day = dt.date(1970, 1, 1) + dt.timedelta(days=number)
        target = self.folder / f"part-{uuid.uuid4()}.parquet"  # one folder: no directory a file
        self.writes.append(self.pool.submit(_sort_and_write, parts, target, self.sync))
        self.moves.append((target, self.store.partition_dir(site, day), None))
        self.partitions.add((site, day))
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


def _sort_and_write(parts: list[pa.Table], target: Path, sync: bool) -> int:
    """One file of a site and day, by time: a day from one chunk is in order already (the chunk's
    hits are sorted by site and time); a day across chunks is sorted here."""
    table = parts[0] if len(parts) == 1 else pa.concat_tables(parts).sort_by("ts")
    written = write_hits(table, target)
    if sync:
        durable.sync(target)
    return written


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
    max_line: int = MAX_LINE_BYTES,
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
            run = _Run(store, section, window, folder, clean_site, max_line)
            try:
                for name in sources:
                    _ingest_source(run, Source(name), fmt, result, progress, chunk_bytes)
                has_rejects = run.close_rejects()
                moves, replaced = run.publish(result)
            finally:
                run.close()
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
    running: Future[tuple[Chunk, Parsed] | None] | None = None
    try:

        def tick() -> None:
            if progress is not None:
                progress(source.position(), source.size, result.lines)

        buffers = Buffers(chunk_bytes)
        reading = chunks(stream, size=chunk_bytes, max_line=run.max_line, read_hook=tick, buffers=buffers)
        try:
            held = _head(reading)
            chosen = fmt if fmt != "auto" else _detect(source, held)
            if chosen is None:
                return  # an empty source
            if chosen != "vhost_combined" and run.site is None and "domain" in run.fields:
                raise IngestRefused(
                    f"{source.label} is in the {chosen} format, which names no site: give --site DOMAIN"
                )
            result.formats[source.label] = chosen
            parser = run.parser(chosen)
            queue = iter(held)

            def read_and_parse(chunk: Chunk | None) -> tuple[Chunk, Parsed] | None:
                """On the reading thread: the next chunk (read here once the held ones are done), parsed."""
                chunk = chunk or next(reading, None)
                return None if chunk is None else (chunk, run.parse(parser, chunk))

            running = run.reader.submit(read_and_parse, next(queue, None))
            while (item := running.result()) is not None:
                running = run.reader.submit(read_and_parse, next(queue, None))
                run.finish(source.label, chosen, item[0], item[1], result)
                buffers.give(item[0])  # finish keeps nothing of the block: the next reads reuse it
            running = None
        except SourceError as exc:
            raise IngestRefused(f"{source.label}: {exc}") from None
    finally:
        if running is not None:
            running.cancel()
            wait([running])
        source.close()


def _head(reading: Iterator[Chunk]) -> list[Chunk]:
    """The source's first chunks, up to the first that holds lines of a normal length."""
    held: list[Chunk] = []
    for chunk in reading:
        held.append(chunk)
        if chunk.long_line is None:
            break
    return held


def _detect(source: Source, held: list[Chunk]) -> str | None:
    """The format of a source from its first lines (None when it has none); refused when in none."""
    chunk = next((c for c in held if c.long_line is None), None)
    if chunk is None:
        if held:
            raise IngestRefused(
                f"{source.label}: no line of a normal length to recognise its format by: give --format"
            )
        return None
    sample = [line for line in chunk.head(SAMPLE_LINES) if line.strip()]
    chosen = detect(sample)
    if chosen is None:
        raise IngestRefused(
            f"{source.label}: lines {chunk.first_line:,} to "
            f"{chunk.first_line + min(len(chunk), SAMPLE_LINES) - 1:,} are in none of the "
            f"formats {', '.join(FORMATS)}: give --format"
        )
    return chosen
