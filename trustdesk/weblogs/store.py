"""The store: Parquet files in a directory, partitioned by site and day (UTC), and its month keys.

Layout (Hive-style, so that DuckDB, Spark and pyarrow read it as it is)::

    <root>/site=<domain>/day=<YYYY-MM-DD>/part-<uuid>.parquet   the hits (the address as ip_id)
    <root>/_index/month=<YYYY-MM>/part-<uuid>.parquet          the month's address dictionary
    <root>/_rejects/day=<YYYY-MM-DD>/<ingest id>.csv           lines that did not parse
    <root>/_staging/<id>/                                      work in progress of one writer
    <root>/.lock                                               writers take it exclusively

A hits file holds the columns of ``HITS`` sorted by time; ``ip_id`` is a small integer that the
month's index maps to the stored value of the address (``token``: the HMAC or AES-SIV token, the
network or the address, as ``ip_kind`` says) with a bitmap of the days of the month on which each
site saw it (bit 0 is the 1st). One index file per month, sorted by token in small row groups, so
that a look-up reads one row group per month and opens only the days the bitmap names. To read
the hits with their tokens elsewhere: join the hits to the index of the hit's month on ip_id.

The keys live in another directory (``TRUSTDESK_WEBLOGS_KEY_DIR``), never inside the store.
"""

from __future__ import annotations

import calendar
import datetime as dt
import fcntl
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from trustdesk.lib.durations import Duration
from trustdesk.policy.queries import version_in_effect
from trustdesk.policy.schema import WebLogs
from trustdesk.weblogs.keys import KeyRing

_SITE_DIR = re.compile(r"site=([a-z0-9._-]{1,253}|-)")
_DAY_DIR = re.compile(r"day=(\d{4}-\d{2}-\d{2})")
_MONTH_DIR = re.compile(r"month=(\d{4}-\d{2})")
#: A range of days this short is looked up day by day rather than by listing the site's days.
SHORT_RANGE_DAYS = 62
#: The site of the hits of a policy whose fields leave out the domain.
NO_SITE = "-"
#: The columns of a hits file; site and day are in its path.
HITS = pa.schema(
    [
        ("ts", pa.timestamp("ms")),  # the logs give seconds
        ("method", pa.string()),
        ("path", pa.string()),
        ("protocol", pa.string()),
        ("status", pa.int16()),
        ("bytes", pa.int64()),
        ("referrer", pa.string()),
        ("user_agent", pa.string()),
        ("ip_id", pa.int32()),
    ]
)
COLUMNS = tuple(HITS.names)
#: The month index: one row per address and site; ``id`` is what the hits of the month hold.
INDEX = pa.schema(
    [
        ("token", pa.binary()),
        ("ip_kind", pa.string()),
        ("id", pa.int32()),
        ("site", pa.string()),
        ("days", pa.int32()),
    ]
)
#: zstd's level for the store's files (its default is 3; 9 saves a tenth for little time).
ZSTD_LEVEL = 9
#: Rows in a row group of an index file: a look-up of one token reads one such group.
INDEX_ROW_GROUP = 2048


class WeblogsError(Exception):
    """The web-log store cannot do what was asked; the message says why and where."""


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no time zone: give an aware one")
    return moment.astimezone(dt.UTC)


def minus(duration: Duration, moment: dt.datetime) -> dt.datetime:
    """Calendar subtraction, the inverse of ``Duration.add_to`` (the day clamped to the month's end)."""
    total_months = moment.month - 1 - duration.months - 12 * duration.years
    year = moment.year + total_months // 12
    month = total_months % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    shifted = moment.replace(year=year, month=month, day=day)
    return shifted - dt.timedelta(
        weeks=duration.weeks,
        days=duration.days,
        hours=duration.hours,
        minutes=duration.minutes,
        seconds=duration.seconds,
    )


@dataclass(frozen=True)
class Window:
    """The hits still kept at ``now``: those whose time is later than ``cutoff`` (UTC, naive)."""

    now: dt.datetime
    cutoff: dt.datetime

    @classmethod
    def at(cls, retention: Duration, now: dt.datetime | None = None) -> Window:
        moment = _utc(now or dt.datetime.now(dt.UTC))
        return cls(moment.replace(tzinfo=None), minus(retention, moment).replace(tzinfo=None))

    def day_expired(self, day: dt.date) -> bool:
        """Every moment of the day is at or before the cutoff."""
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time()) <= self.cutoff + dt.timedelta(
            microseconds=1
        )

    def month_expired(self, month: str) -> bool:
        year, number = int(month[:4]), int(month[5:7])
        following = dt.datetime(year + number // 12, number % 12 + 1, 1)  # noqa: DTZ001 (UTC, naive)
        return following <= self.cutoff + dt.timedelta(microseconds=1)


def policy() -> WebLogs:
    """The ``web_logs`` section of the policy in effect, or an error that says what is missing."""
    version = version_in_effect()
    if version is None:
        raise WeblogsError("no policy is in effect: publish one with a web_logs section first")
    section = version.loaded.policy.web_logs
    if section is None:
        raise WeblogsError(
            f"the policy in effect (version {version.number}) has no web_logs section: "
            "web access logs are neither kept nor searched without one"
        )
    return section


def _root_from_settings() -> Path:
    url = str(settings.WEBLOGS_URL)
    if url.startswith("file://"):
        url = url[len("file://") :]
    elif "://" in url:
        raise ImproperlyConfigured(
            f"TRUSTDESK_WEBLOGS_URL={url!r}: only a local directory or a file:// URL is supported"
        )
    return Path(url).expanduser().resolve()


class Store:
    def __init__(self, root: Path | None = None, key_dir: Path | None = None) -> None:
        self.root = root or _root_from_settings()
        self.key_dir = (key_dir or Path(settings.WEBLOGS_KEY_DIR)).resolve()
        if self.key_dir == self.root or self.key_dir.is_relative_to(self.root):
            raise ImproperlyConfigured(
                f"TRUSTDESK_WEBLOGS_KEY_DIR={str(self.key_dir)!r} lies inside the web-log store "
                f"{str(self.root)!r}: keep the keys outside the store and its backups"
            )
        if "'" in str(self.root):
            raise ImproperlyConfigured(
                f"TRUSTDESK_WEBLOGS_URL={str(self.root)!r}: a quote in the path is not supported"
            )
        if self.root.exists() and not self.root.is_dir():
            raise ImproperlyConfigured(
                f"TRUSTDESK_WEBLOGS_URL={str(self.root)!r} exists but is not a directory"
            )
        self.keys = KeyRing(self.key_dir)

    # --- locking and scratch space ------------------------------------------------------------

    @contextmanager
    def lock(self, *, shared: bool = False) -> Iterator[None]:
        """Writers exclude each other and readers; readers share."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        with (self.root / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A scratch directory inside the store (same file system, so files move by rename)."""
        folder = self.root / "_staging" / uuid.uuid4().hex
        folder.mkdir(parents=True, mode=0o700)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def clear_stale_staging(self) -> None:
        """Remove what a writer that died left behind; call with the exclusive lock held."""
        shutil.rmtree(self.root / "_staging", ignore_errors=True)

    # --- the layout ---------------------------------------------------------------------------

    def partition_dir(self, site: str, day: dt.date) -> Path:
        return self.root / f"site={site}" / f"day={day.isoformat()}"

    def partitions(
        self, *, site: str | None = None, start: dt.date | None = None, end: dt.date | None = None
    ) -> list[tuple[str, dt.date, Path]]:
        """(site, day, directory) of every partition, optionally of one site and a range of days."""
        found: list[tuple[str, dt.date, Path]] = []
        if not self.root.is_dir():
            return found
        for site_dir in sorted(self.root.iterdir()):
            match = _SITE_DIR.fullmatch(site_dir.name)
            if match is None or not site_dir.is_dir() or (site is not None and match.group(1) != site):
                continue
            if start is not None and end is not None and (end - start).days <= SHORT_RANGE_DAYS:
                for offset in range((end - start).days + 1):
                    day = start + dt.timedelta(days=offset)
                    folder = site_dir / f"day={day.isoformat()}"
                    if folder.is_dir():
                        found.append((match.group(1), day, folder))
                continue
            for day_dir in sorted(site_dir.iterdir()):
                day_match = _DAY_DIR.fullmatch(day_dir.name)
                if day_match is None or not day_dir.is_dir():
                    continue
                day = dt.date.fromisoformat(day_match.group(1))
                if (start is None or day >= start) and (end is None or day <= end):
                    found.append((match.group(1), day, day_dir))
        return found

    @staticmethod
    def files_in(folder: Path) -> list[Path]:
        return sorted(folder.glob("*.parquet"))

    def index_months(self) -> list[tuple[str, Path]]:
        folder = self.root / "_index"
        if not folder.is_dir():
            return []
        return [
            (m.group(1), entry)
            for entry in sorted(folder.iterdir())
            if (m := _MONTH_DIR.fullmatch(entry.name)) and entry.is_dir()
        ]

    def index_dir(self, month: str) -> Path:
        return self.root / "_index" / f"month={month}"

    def reject_days(self) -> list[tuple[dt.date, Path]]:
        folder = self.root / "_rejects"
        if not folder.is_dir():
            return []
        return [
            (dt.date.fromisoformat(m.group(1)), entry)
            for entry in sorted(folder.iterdir())
            if (m := _DAY_DIR.fullmatch(entry.name)) and entry.is_dir()
        ]

    def reject_dir(self, day: dt.date) -> Path:
        return self.root / "_rejects" / f"day={day.isoformat()}"


_BASE: duckdb.DuckDBPyConnection | None = None


def connect() -> duckdb.DuckDBPyConnection:
    """A cursor on an in-memory DuckDB database in UTC; it holds no log rows beyond its queries.

    The database is opened once per process; each caller gets its own cursor (its own connection
    to it), so that threads do not share one.
    """
    global _BASE
    if _BASE is None:
        _BASE = duckdb.connect(":memory:")
        _BASE.execute("SET TimeZone = 'UTC'")
    cursor = _BASE.cursor()
    cursor.execute("SET TimeZone = 'UTC'")
    return cursor


def write_hits(table: pa.Table, target: Path) -> int:
    """Write hits (sorted by time) as one Parquet file; returns the rows written.

    Strings dictionary-encoded, the times delta-encoded, the numbers split by byte, zstd at a
    higher level than its default (the files are small): a line costs about 13 bytes.
    """
    table = table.select(list(COLUMNS)).cast(HITS)
    pq.write_table(
        table,
        target,
        compression="zstd",
        compression_level=ZSTD_LEVEL,
        use_dictionary=["method", "path", "protocol", "status", "referrer", "user_agent"],
        column_encoding={
            "ts": "DELTA_BINARY_PACKED",
            "bytes": "BYTE_STREAM_SPLIT",
            "ip_id": "BYTE_STREAM_SPLIT",
        },
        write_statistics=["ts", "ip_id"],
    )
    return table.num_rows


#: The string columns of a hits file, read as dictionaries (as they are stored: no decoding).
DICTIONARY_COLUMNS = ["method", "path", "protocol", "referrer", "user_agent"]


def open_hits(target: Path) -> pq.ParquetFile:
    """A hits file to read from, column by column (one thread: a search reads many files at once)."""
    return pq.ParquetFile(target, read_dictionary=DICTIONARY_COLUMNS)


def read_hits(target: Path, columns: list[str] | None = None) -> pa.Table:
    """The hits of a file, strings as dictionaries."""
    try:
        handle: pq.ParquetFile | None = open_hits(target)
    except KeyError:  # a string column of a hits file is missing
        handle = None
    if handle is None or "ip_id" not in handle.schema_arrow.names:
        raise WeblogsError(
            f"{target} is a hits file of the earlier layout (the token in each row, no ip_id): "
            "ingest its logs again into a new store"
        )
    return handle.read(columns=columns, use_threads=False)


def write_index(table: pa.Table, target: Path) -> int:
    """Write a month's index sorted by token, in small row groups with their token ranges.

    The file's metadata names the kinds of value it holds (``ip_kinds``), so that a look-up
    computes and seeks only those.
    """
    table = table.select(INDEX.names).cast(INDEX).sort_by([("token", "ascending"), ("site", "ascending")])
    kinds = ",".join(sorted(str(kind) for kind in pc.unique(table["ip_kind"]).to_pylist()))
    pq.write_table(
        table.replace_schema_metadata({b"ip_kinds": kinds.encode("ascii")}),
        target,
        compression="zstd",
        row_group_size=INDEX_ROW_GROUP,
        use_dictionary=["ip_kind", "site"],
        column_encoding={"id": "BYTE_STREAM_SPLIT", "days": "BYTE_STREAM_SPLIT"},
        write_statistics=["token"],
    )
    return table.num_rows


def read_index(target: Path, columns: list[str] | None = None) -> pa.Table:
    return pq.ParquetFile(target).read(columns=columns, use_threads=False)


def index_names(target: Path, ids: list[int]) -> pa.Table:
    """The rows of an index file with one of the ids: the id column first, then the token and the
    kind of only the row groups that hold them."""
    handle = pq.ParquetFile(target)
    found = pc.indices_nonzero(
        pc.is_in(handle.read(columns=["id"], use_threads=False)["id"], pa.array(ids, pa.int32()))
    )
    positions = found.to_numpy()
    if not len(positions):
        return INDEX.empty_table()
    meta = handle.metadata
    starts = np.cumsum([0] + [meta.row_group(g).num_rows for g in range(meta.num_row_groups)])
    groups = sorted({int(g) for g in np.searchsorted(starts, positions, side="right") - 1})
    table = handle.read_row_groups(groups, columns=["token", "ip_kind", "id"], use_threads=False)
    return table.filter(pc.is_in(table["id"], pa.array(ids, pa.int32())))


def index_lookup(target: Path, values: list[tuple[str, bytes]]) -> pa.Table:
    """The rows of an index file that hold one of the (ip_kind, value) pairs: only the row groups
    whose token range may hold them are read."""
    handle = pq.ParquetFile(target)
    meta = handle.metadata
    kinds = (meta.metadata or {}).get(b"ip_kinds")
    if kinds is not None:
        held = set(kinds.decode("ascii").split(","))
        values = [(kind, value) for kind, value in values if kind in held]
    tokens = [value for _kind, value in values]
    position = meta.schema.names.index("token")
    groups = []
    for group in range(meta.num_row_groups):
        stats = meta.row_group(group).column(position).statistics
        if stats is None or not stats.has_min_max or any(stats.min <= v <= stats.max for v in tokens):
            groups.append(group)
    if not groups:
        return INDEX.empty_table()
    table = handle.read_row_groups(groups, use_threads=False)
    return table.filter(pc.is_in(table["token"], pa.array(tokens, pa.binary())))


def sql_list(paths: list[Path]) -> str:
    """A DuckDB list literal of file names (quotes doubled)."""
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def publish_file(source: Path, folder: Path) -> Path:
    """Move a finished file into a partition directory (a rename: readers see all or nothing)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / source.name
    source.replace(target)
    return target
