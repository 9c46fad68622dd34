"""The store: Parquet files partitioned by site and day (UTC), and its month keys.

The store is a local directory or any fsspec URL (``s3://bucket/prefix``); ``storage.py`` lists,
reads, publishes and removes its files. Layout (Hive-style, so that DuckDB, Spark and pyarrow read
it as it is)::

    <root>/site=<domain>/day=<YYYY-MM-DD>/part-<uuid>.parquet   the hits (the address as ip_id)
    <root>/_index/month=<YYYY-MM>/part-<uuid>.parquet          the month's address dictionary
    <root>/_rejects/day=<YYYY-MM-DD>/<ingest id>.csv           lines that did not parse
    <root>/_migrating/month=<YYYY-MM>.json                     a month being converted by ``migrate.py``
    <root>/_staging/<id>/                                      work in progress of one writer (local)
    <root>/.lock                                               writers take it exclusively (local)
    <root>/_lock/writer.json                                   the writer lease (S3: writers of all machines)
    <root>/_uploads/<uuid>-<name>                              a file being uploaded (sftp, smb...: then renamed)

For an fsspec URL the staging directory and the lock are local instead, in
``TRUSTDESK_WEBLOGS_WORK_DIR/<digest of the URL>/``; in S3 writers take the lease too.

A hits file holds the columns of ``HITS`` sorted by time; ``ip_id`` is a small integer that the
month's index maps to the stored value of the address (``token``: the HMAC or AES-SIV token, the
network or the address, as ``ip_kind`` says) with a bitmap of the days of the month on which each
site saw it (bit 0 is the 1st). One index file per month, sorted by token in small row groups, so
that a look-up reads one row group per month and opens only the days the bitmap names. To read
the hits with their tokens elsewhere: join the hits to the index of the hit's month on ip_id.

The keys live in another local directory (``TRUSTDESK_WEBLOGS_KEY_DIR``), never inside the store.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from trustdesk.journal.services import record
from trustdesk.lib.durations import Duration
from trustdesk.policy.queries import version_in_effect
from trustdesk.policy.schema import WebLogs
from trustdesk.weblogs.keys import KeyRing
from trustdesk.weblogs.storage import Storage, WeblogsError, open_storage

if TYPE_CHECKING:
    from trustdesk.registry.services import Actor

__all__ = ["Store", "WeblogsError", "Window", "policy"]

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
#: zstd's level for the hits files: its default. With sorted dictionaries level 9 saves under a
#: tenth of a byte a line and costs twice the time (docs/benchmarks.md).
ZSTD_LEVEL = 3
#: How each column of a hits file is compressed: the method and the protocol (a few values,
#: run-length encoded) are as small without it, and a compressor costs its set-up in every file.
HITS_COMPRESSION = {
    "ts": "zstd",
    "method": "none",
    "path": "zstd",
    "protocol": "none",
    "status": "zstd",
    "bytes": "zstd",
    "referrer": "zstd",
    "user_agent": "zstd",
    "ip_id": "zstd",
}
#: Rows in a row group of an index file: a look-up of one token reads one such group.
INDEX_ROW_GROUP = 2048
#: The partition columns of a hits file, from its path (``site=<site>/day=<YYYY-MM-DD>``).
PARTITIONS = ("site", "day")
#: The month indexes: ``<INDEX_DIR>/month=<YYYY-MM>/`` files of the columns of ``INDEX``.
INDEX_DIR = "_index"
REJECTS_DIR = "_rejects"


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


class Store:
    """The store at ``TRUSTDESK_WEBLOGS_URL`` (or ``root``: a directory or an fsspec URL)."""

    def __init__(
        self,
        root: Path | str | None = None,
        key_dir: Path | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        url = str(root if root is not None else settings.WEBLOGS_URL)
        self.storage: Storage = open_storage(
            url,
            options=options if options is not None else dict(settings.WEBLOGS_OPTIONS),
            work_dir=Path(settings.WEBLOGS_WORK_DIR),
        )
        self.root = self.storage.root
        self.url = self.storage.url
        self.key_dir = (key_dir or Path(settings.WEBLOGS_KEY_DIR)).resolve()
        if self.storage.local:
            local_root = Path(self.root)
            if self.key_dir == local_root or self.key_dir.is_relative_to(local_root):
                raise ImproperlyConfigured(
                    f"TRUSTDESK_WEBLOGS_KEY_DIR={str(self.key_dir)!r} lies inside the web-log store "
                    f"{self.root!r}: keep the keys outside the store and its backups"
                )
            if local_root.exists() and not local_root.is_dir():
                raise ImproperlyConfigured(
                    f"TRUSTDESK_WEBLOGS_URL={self.root!r} exists but is not a directory"
                )
        if "'" in self.root:
            raise ImproperlyConfigured(
                f"TRUSTDESK_WEBLOGS_URL={self.url!r}: a quote in the path is not supported"
            )
        self.keys = KeyRing(self.key_dir)

    # --- locking and scratch space ------------------------------------------------------------

    @contextmanager
    def lock(
        self, *, shared: bool = False, wait: float | None = None, actor: Actor | None = None
    ) -> Iterator[None]:
        """Writers exclude each other and readers; readers share.

        ``wait``: the most seconds to wait for another writer (without it, as long as it takes on
        this machine). In S3 a writer also takes the store's writer lease, within the same ``wait``
        for a writer on another machine; a lease taken over from a writer that let it expire is
        journaled (``weblogs.lease_taken_over``) in the name of ``actor``.
        """
        with self.storage.lock(shared=shared, wait=wait):
            stale = self.storage.taken_over
            if stale is not None and not shared and actor is not None:
                with transaction.atomic():
                    record(
                        "weblogs.lease_taken_over",
                        actor=actor.ref,
                        object_type="weblogs.store",
                        payload={"store": self.url, "previous": stale.summary()},
                    )
            yield

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A local scratch directory (inside a local store: the same file system, so files move by rename)."""
        with self.storage.staging() as folder:
            yield folder

    def clear_stale_staging(self) -> None:
        """Remove what a writer that died left behind; call with the exclusive lock held."""
        self.storage.clear_stale_staging()

    # --- files --------------------------------------------------------------------------------

    def join(self, *parts: str) -> str:
        return self.storage.join(self.root, *parts)

    def files_in(self, folder: str, suffix: str = ".parquet") -> list[str]:
        return self.storage.files(folder, suffix)

    def read_bytes(self, path: str) -> bytes:
        return self.storage.read_bytes(path)

    def publish(self, source: Path, folder: str, name: str | None = None) -> str:
        """Move a finished local file into a folder of the store: readers see all of it or nothing."""
        return self.storage.publish(source, folder, name)

    def publish_all(self, files: list[tuple[Path, str, str | None]]) -> list[str]:
        """Publish (file, folder, name) in order, or on a failure nothing (WeblogsError)."""
        return self.storage.publish_all(files)

    def remove(self, path: str) -> None:
        self.storage.remove(path)

    def remove_tree(self, folder: str) -> None:
        self.storage.remove_tree(folder)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB cursor in UTC that reads this store's files (``for_duckdb`` names them)."""
        return self.storage.connect()

    def for_duckdb(self, paths: list[str]) -> list[str]:
        return self.storage.for_duckdb(paths)

    # --- the layout ---------------------------------------------------------------------------

    def partition_dir(self, site: str, day: dt.date) -> str:
        return self.join(f"site={site}", f"day={day.isoformat()}")

    def partitions(
        self, *, site: str | None = None, start: dt.date | None = None, end: dt.date | None = None
    ) -> list[tuple[str, dt.date, str]]:
        """(site, day, directory) of every partition, optionally of one site and a range of days."""
        found: list[tuple[str, dt.date, str]] = []
        storage = self.storage
        for site_name in storage.dirs(self.root):
            match = _SITE_DIR.fullmatch(site_name)
            if match is None or (site is not None and match.group(1) != site):
                continue
            site_dir = self.join(site_name)
            short = start is not None and end is not None and (end - start).days <= SHORT_RANGE_DAYS
            if storage.local and short and start is not None and end is not None:
                # Locally a look-up per day is cheaper than a listing; an object store lists at once.
                for offset in range((end - start).days + 1):
                    day = start + dt.timedelta(days=offset)
                    folder = storage.join(site_dir, f"day={day.isoformat()}")
                    if storage.is_dir(folder):
                        found.append((match.group(1), day, folder))
                continue
            for day_name in storage.dirs(site_dir):
                day_match = _DAY_DIR.fullmatch(day_name)
                if day_match is None:
                    continue
                day = dt.date.fromisoformat(day_match.group(1))
                if (start is None or day >= start) and (end is None or day <= end):
                    found.append((match.group(1), day, storage.join(site_dir, day_name)))
        return found

    def index_months(self) -> list[tuple[str, str]]:
        folder = self.join(INDEX_DIR)
        return [
            (m.group(1), self.storage.join(folder, name))
            for name in self.storage.dirs(folder)
            if (m := _MONTH_DIR.fullmatch(name))
        ]

    def index_dir(self, month: str) -> str:
        return self.join(INDEX_DIR, f"month={month}")

    def index_files(self, months: list[str]) -> list[str]:
        """The index files of some months: a listing per month locally, one listing in object storage."""
        if self.storage.local:
            return [file for month in months for file in self.files_in(self.index_dir(month))]
        wanted = {self.index_dir(month) for month in months}
        return [
            file
            for file in self.storage.find(self.join(INDEX_DIR), ".parquet")
            if file.rsplit("/", 1)[0] in wanted
        ]

    def reject_days(self) -> list[tuple[dt.date, str]]:
        folder = self.join(REJECTS_DIR)
        return [
            (dt.date.fromisoformat(m.group(1)), self.storage.join(folder, name))
            for name in self.storage.dirs(folder)
            if (m := _DAY_DIR.fullmatch(name))
        ]

    def reject_dir(self, day: dt.date) -> str:
        return self.join(REJECTS_DIR, f"day={day.isoformat()}")


def write_hits(table: pa.Table, target: Path) -> int:
    """Write hits (sorted by time) as one Parquet file; returns the rows written.

    Strings dictionary-encoded with the file's dictionary sorted (similar paths side by side
    compress better), the times delta-encoded, the numbers split by byte, zstd: a line costs about
    12 bytes. A string column may come dictionary-encoded already, with its dictionary sorted (the
    ingest's): the file then keeps the values it uses, without encoding the column again.
    """
    columns = [
        _file_dictionary(table[name])
        if name in DICTIONARY_COLUMNS
        else table[name].cast(HITS.field(name).type)
        for name in COLUMNS
    ]
    pq.write_table(
        pa.table(columns, names=list(COLUMNS)),
        target,
        compression=HITS_COMPRESSION,
        compression_level={name: ZSTD_LEVEL for name, codec in HITS_COMPRESSION.items() if codec == "zstd"},
        use_dictionary=["method", "path", "protocol", "status", "referrer", "user_agent"],
        column_encoding={
            "ts": "DELTA_BINARY_PACKED",
            "bytes": "BYTE_STREAM_SPLIT",
            "ip_id": "BYTE_STREAM_SPLIT",
        },
        write_statistics=["ts", "ip_id"],
        store_schema=False,  # read back as HITS says, not as the dictionaries they were written from
    )
    return table.num_rows


def _file_dictionary(column: pa.ChunkedArray) -> pa.DictionaryArray:
    """A string column as one file stores it: dictionary-encoded, its dictionary sorted and holding
    only the values the file uses."""
    if pa.types.is_dictionary(column.type) and column.num_chunks == 1:
        array = column.chunk(0)
        values = array.dictionary
        if len(values) < 2 or pc.all(pc.less(values[:-1], values[1:])).as_py():
            indices = pc.fill_null(array.indices, -1).to_numpy(zero_copy_only=False)
            used = np.zeros(len(values) + 1, dtype=bool)
            used[indices] = True  # a row without a value marks the extra last place
            used = used[:-1]
            position = np.append(np.cumsum(used, dtype=np.int32) - 1, np.int32(-1))
            indices = position[indices]
            return pa.DictionaryArray.from_arrays(
                pa.array(indices, mask=indices < 0), values.take(pa.array(np.flatnonzero(used)))
            )
    return _sorted_dictionary(column.cast(pa.string()))


def _sorted_dictionary(column: pa.ChunkedArray) -> pa.DictionaryArray:
    """A string column dictionary-encoded, its dictionary in sorted order."""
    encoded = pc.dictionary_encode(column.combine_chunks())
    values = encoded.dictionary
    if len(values) < 2:
        return encoded
    order = pc.sort_indices(values).to_numpy()
    position = np.empty(len(order), dtype=np.int32)
    position[order] = np.arange(len(order), dtype=np.int32)
    return pa.DictionaryArray.from_arrays(pc.take(pa.array(position), encoded.indices), values.take(order))


#: The string columns of a hits file, read as dictionaries (as they are stored: no decoding).
DICTIONARY_COLUMNS = ["method", "path", "protocol", "referrer", "user_agent"]


@contextmanager
def _parquet(storage: Storage, target: str, **options: Any) -> Iterator[pq.ParquetFile]:
    """A Parquet file of the store opened through its storage (ranged reads in object storage)."""
    handle = pq.ParquetFile(storage.open_input(target), **options)
    try:
        yield handle
    finally:
        handle.close(force=True)


#: What a file of the earlier layout is refused with (after its name).
EARLIER_HITS = (
    " is a hits file of the earlier layout (the token in each row, no ip_id): convert the store with "
    "`trustdesk weblogs migrate`"
)
EARLIER_INDEX = (
    " is a month index of the earlier layout (token, site, day; no id): convert the store with "
    "`trustdesk weblogs migrate`"
)


def columns_of(storage: Storage, target: str) -> list[str]:
    """The columns of a Parquet file of the store, from its footer (how a file's layout is told)."""
    with _parquet(storage, target) as handle:
        return list(handle.schema_arrow.names)


def read_hits(storage: Storage, target: str, columns: list[str] | None = None) -> pa.Table:
    """The hits of a file, strings as dictionaries (one thread: a search reads many files at once)."""
    try:
        with _parquet(storage, target, read_dictionary=DICTIONARY_COLUMNS) as handle:
            if "ip_id" not in handle.schema_arrow.names:
                raise WeblogsError(target + EARLIER_HITS)
            return handle.read(columns=columns, use_threads=False)
    except KeyError:  # a string column of a hits file is missing
        raise WeblogsError(target + EARLIER_HITS) from None


def _current_index(handle: pq.ParquetFile, target: str) -> None:
    if "id" not in handle.schema_arrow.names:
        raise WeblogsError(target + EARLIER_INDEX)


def write_index(table: pa.Table, target: Path) -> int:
    """Write a month's index sorted by token, in small row groups with their token ranges.

    The file's metadata names the kinds of value it holds (``ip_kinds``), so that a look-up
    computes and seeks only those.
    """
    table = table.select(INDEX.names).cast(INDEX)
    order = _index_order(table)
    table = table.take(pa.array(order)) if order is not None else table.sort_by(INDEX_ORDER)
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


#: The order of an index file's rows.
INDEX_ORDER = [("token", "ascending"), ("site", "ascending")]


def _index_order(table: pa.Table) -> np.ndarray | None:
    """``INDEX_ORDER`` computed with numpy when every token has 16 bytes (HMAC): their first 8 bytes
    decide unless two rows share them (one address on several sites), then all 16 and the site.
    None: sort with ``INDEX_ORDER``."""
    tokens = table["token"].combine_chunks()
    rows = len(tokens)
    if rows < 2 or tokens.null_count or pc.max(pc.binary_length(tokens)).as_py() != 16:
        return None
    if pc.min(pc.binary_length(tokens)).as_py() != 16:
        return None
    offsets = np.frombuffer(tokens.buffers()[1], dtype=np.int32)
    start = int(offsets[tokens.offset])
    words = np.frombuffer(tokens.buffers()[2], dtype=">u8", count=2 * rows, offset=start).reshape(rows, 2)
    high = words[:, 0].astype(np.uint64)
    order = np.argsort(high, kind="stable")
    ordered = high[order]
    if not np.any(ordered[1:] == ordered[:-1]):
        return order
    sites = pc.dictionary_encode(table["site"].combine_chunks())
    site_rank = np.empty(len(sites.dictionary) + 1, dtype=np.int64)
    site_rank[pc.sort_indices(sites.dictionary).to_numpy()] = np.arange(len(sites.dictionary))
    site_rank[-1] = -1  # no site sorts first, as a null does not: such rows do not occur
    codes = pc.fill_null(sites.indices, -1).to_numpy(zero_copy_only=False)
    return np.lexsort((site_rank[codes], words[:, 1].astype(np.uint64), high))


def read_index(storage: Storage, target: str, columns: list[str] | None = None) -> pa.Table:
    with _parquet(storage, target) as handle:
        _current_index(handle, target)
        return handle.read(columns=columns, use_threads=False)


def index_names(storage: Storage, target: str, ids: list[int]) -> pa.Table:
    """The rows of an index file with one of the ids: the id column first, then the token and the
    kind of only the row groups that hold them."""
    with _parquet(storage, target) as handle:
        _current_index(handle, target)
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


def index_lookup(storage: Storage, target: str, values: list[tuple[str, bytes]]) -> pa.Table:
    """The rows of an index file that hold one of the (ip_kind, value) pairs: only the row groups
    whose token range may hold them are read."""
    with _parquet(storage, target) as handle:
        _current_index(handle, target)
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
