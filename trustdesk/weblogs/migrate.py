"""Converting a store of the earlier layout (the stored address in every row) to the current one, in place.

In the earlier layout a hits file holds ``ip`` (the token, network or address) and ``ip_kind`` in
every row, and a month's index holds ``token, site, day``. ``migrate`` rewrites the store month by
month under the writer lock: it reads the month's earlier hits files one at a time, gives each
distinct (ip_kind, ip) of the month an id (in token order, after the ids the month's current index
already gave), writes one new hits file for each earlier one and the month's new index in the
staging directory, publishes them, and then removes the month's earlier files. A file's layout is
told by its columns (``ip_id`` in a hits file, ``id`` in an index file).

Each month goes through a marker, ``<store>/_migrating/month=<YYYY-MM>.json``, that names (relative
to the store) the files the month's run publishes, the earlier files they replace and the current
index files merged into the new one; it holds no token and no address. The marker is written
before anything is published (``publishing``), rewritten once everything is (``published``), and
removed after the earlier files are gone and the month is journaled. A run that finds a marker
finishes the work of the run that was killed: ``publishing`` means that some of the new files may
be in the store but not all, so those are removed and the month is converted again from its
earlier files, which are all still there; ``published`` means that only the removal (and the
journal entry) was left. So a month is never doubled and never lost, whenever a run stops.

Hits past the retention window are not migrated (as ``expire`` would remove them); the keys of
expired months are left to ``expire``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db import transaction

from trustdesk.journal.models import JournalEntry
from trustdesk.journal.services import record
from trustdesk.registry.services import Actor
from trustdesk.weblogs.store import (
    INDEX,
    Store,
    WeblogsError,
    Window,
    columns_of,
    policy,
    read_index,
    write_hits,
    write_index,
)

#: Where the marker of a month being migrated lives (``_``: other engines skip it).
MARKER_DIR = "_migrating"
#: The columns an earlier hits file is read with (site and day are in its path).
EARLIER_HITS = [
    "ts",
    "method",
    "path",
    "protocol",
    "status",
    "bytes",
    "referrer",
    "user_agent",
    "ip",
    "ip_kind",
]
JOURNAL_ACTION = "weblogs.migrated"
#: The counts of a month that its marker keeps and its journal entry holds.
COUNTS = ("hits_files", "index_files", "rows", "expired", "migrated", "addresses", "files_written")


@dataclass
class MonthMigration:
    """What was done (or, on a dry run, would be done) to one month."""

    month: str
    hits_files: int = 0  # earlier hits files
    index_files: int = 0  # earlier index files
    rows: int = 0  # rows of the earlier hits files
    expired: int = 0  # of them past the retention window: not migrated
    migrated: int = 0  # rows written in the current layout
    addresses: int = 0  # distinct stored values given an id
    files_written: int = 0
    resumed: str | None = None  # the marker's state a killed run left: "publishing" or "published"

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "hits_files": self.hits_files,
            "index_files": self.index_files,
            "rows": self.rows,
            "expired": self.expired,
            "migrated": self.migrated,
            "addresses": self.addresses,
            "files_written": self.files_written,
            "resumed": self.resumed,
        }


@dataclass
class MigrationResult:
    cutoff: dt.datetime
    dry_run: bool
    months: list[MonthMigration] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.replace(tzinfo=dt.UTC).isoformat(),
            "dry_run": self.dry_run,
            "months": [month.as_dict() for month in self.months],
            "nothing_to_migrate": not self.months,
        }


@dataclass
class _Files:
    """The files of one month, by layout."""

    earlier_hits: list[tuple[str, dt.date, str]] = field(default_factory=list)  # (site, day, file)
    earlier_index: list[str] = field(default_factory=list)
    current_index: list[str] = field(default_factory=list)


def _month_of(day: dt.date) -> str:
    return day.strftime("%Y-%m")


def _relative(store: Store, path: str) -> str:
    prefix = store.root.rstrip("/") + "/"
    if not path.startswith(prefix):
        raise WeblogsError(f"{store.url}: a file outside the store was listed")
    return path[len(prefix) :]


def _marker_name(month: str) -> str:
    return f"month={month}.json"


def _read_marker(store: Store, month: str) -> dict[str, Any] | None:
    folder = store.join(MARKER_DIR)
    name = _marker_name(month)
    if store.join(MARKER_DIR, name) not in store.files_in(folder, ".json"):
        return None
    data: dict[str, Any] = json.loads(store.read_bytes(store.join(MARKER_DIR, name)).decode("utf-8"))
    return data


def _write_marker(store: Store, staging: Path, month: str, marker: dict[str, Any]) -> None:
    temporary = staging / f"marker-{uuid.uuid4().hex}.json"
    temporary.write_text(json.dumps(marker), encoding="utf-8")
    store.publish(temporary, store.join(MARKER_DIR), _marker_name(month))  # replaces it whole


def _remove_quietly(store: Store, relative: str) -> None:
    with suppress(FileNotFoundError):  # removed by the run that was killed
        store.remove(store.join(relative))


def _marker_months(store: Store) -> set[str]:
    names = [file.rsplit("/", 1)[-1] for file in store.files_in(store.join(MARKER_DIR), ".json")]
    return {name[len("month=") : -len(".json")] for name in names if name.startswith("month=")}


def _scan(store: Store, month: str, partitions: list[tuple[str, dt.date, str]]) -> _Files:
    files = _Files()
    for site, day, folder in partitions:
        for file in store.files_in(folder):
            if "ip_id" not in columns_of(store.storage, file):  # a current file is left as it is
                files.earlier_hits.append((site, day, file))
    for file in store.files_in(store.index_dir(month)):
        if "id" in columns_of(store.storage, file):
            files.current_index.append(file)
        else:
            files.earlier_index.append(file)
    return files


def _open(store: Store, file: str, columns: list[str]) -> pa.Table:
    handle = pq.ParquetFile(store.storage.open_input(file))
    try:
        missing = [name for name in columns if name not in handle.schema_arrow.names]
        if missing:
            raise WeblogsError(f"{file} is a hits file of neither layout (no column {missing[0]})")
        return handle.read(columns=columns, use_threads=False)
    finally:
        handle.close(force=True)


def _kept(table: pa.Table, window: Window) -> pa.Array:
    ts = table["ts"].cast(pa.timestamp("us"))
    return pc.fill_null(pc.greater(ts, pa.scalar(window.cutoff, pa.timestamp("us"))), False)


def _keys(table: pa.Table) -> pa.ChunkedArray:
    """One binary key per row: the kind, a zero byte, the stored value (null where there is none)."""
    return pc.binary_join_element_wise(
        table["ip_kind"].cast(pa.binary()), table["ip"].cast(pa.binary()), b"\0"
    )


def _fold(sightings: list[pa.Table]) -> pa.Table:
    """One row per value and site with the union of its days (each row of a day holds one bit)."""
    return (
        pa.concat_tables(sightings)
        .group_by(["token", "ip_kind", "site", "days"])
        .aggregate([])  # a site and day ingested twice gives its bit once
        .group_by(["token", "ip_kind", "site"])
        .aggregate([("days", "sum")])  # distinct bits: their sum is their union
        .rename_columns({"days_sum": "days"})
        .select(["token", "ip_kind", "site", "days"])
        .cast(INDEX.remove(2))
    )


def _merged(current: pa.Table, migrated: pa.Table) -> pa.Table:
    """The month's current index and the migrated rows as one: a value and site both hold get the
    union of their days."""
    groups = (
        pa.concat_tables([current, migrated])
        .group_by(["token", "ip_kind", "id", "site"])
        .aggregate([("days", "list")])
    )
    unions = [
        int(np.bitwise_or.reduce(np.asarray(days, dtype=np.int32)))
        for days in groups["days_list"].to_pylist()
    ]
    return groups.drop_columns(["days_list"]).append_column("days", pa.array(unions, pa.int32()))


def _convert(
    store: Store, month: str, files: _Files, window: Window, staging: Path, done: MonthMigration
) -> tuple[list[tuple[Path, str, str | None]], list[str]]:
    """Write the month's new hits files and index in staging: (file, folder, name) to publish, and the
    relative paths they will have in the store."""
    # The ids the month's current index already gave (an ingest after the layout changed).
    existing = [read_index(store.storage, file) for file in files.current_index]
    known = pa.concat_tables(existing) if existing else INDEX.empty_table()
    known_keys = pc.binary_join_element_wise(known["ip_kind"].cast(pa.binary()), known["token"], b"\0")
    next_id = int(pc.max(known["id"]).as_py()) + 1 if known.num_rows else 0

    # The first pass: the month's distinct stored values, and the days each site saw them. The files
    # come site by site; a site's sightings are folded into one row per value when the next begins.
    folded: list[pa.Table] = []
    pending: list[pa.Table] = []
    previous: str | None = None
    for site, day, file in files.earlier_hits:
        if site != previous and pending:
            folded.append(_fold(pending))
            pending = []
        previous = site
        table = _open(store, file, ["ts", "ip", "ip_kind"])
        table = table.filter(_kept(table, window))
        table = table.filter(pc.is_valid(table["ip"]))
        if not table.num_rows:
            continue
        unique = table.select(["ip", "ip_kind"]).group_by(["ip", "ip_kind"]).aggregate([])
        count = unique.num_rows
        pending.append(
            pa.table(
                {
                    "token": unique["ip"].cast(pa.binary()),
                    "ip_kind": unique["ip_kind"].cast(pa.string()),
                    "site": pa.array([site] * count, pa.string()),
                    "days": pa.array([1 << (day.day - 1)] * count, pa.int32()),
                }
            )
        )
    if pending:
        folded.append(_fold(pending))
    sightings = pa.concat_tables(folded) if folded else INDEX.remove(2).empty_table()
    values = sightings.select(["token", "ip_kind"]).group_by(["token", "ip_kind"]).aggregate([])
    value_keys = pc.binary_join_element_wise(values["ip_kind"].cast(pa.binary()), values["token"], b"\0")
    new = values.filter(pc.invert(pc.is_in(value_keys, known_keys)))
    new = new.sort_by([("token", "ascending"), ("ip_kind", "ascending")])  # ids in token order
    new_ids = pa.array(np.arange(next_id, next_id + new.num_rows, dtype=np.int32))
    names = (
        pa.table(
            {
                "key": pa.concat_arrays(
                    [
                        known_keys.combine_chunks() if known.num_rows else pa.array([], pa.binary()),
                        pc.binary_join_element_wise(new["ip_kind"].cast(pa.binary()), new["token"], b"\0")
                        .combine_chunks()
                        .cast(pa.binary()),
                    ]
                ),
                "id": pa.concat_arrays([known["id"].combine_chunks().cast(pa.int32()), new_ids]),
            }
        )
        .group_by(["key"])
        .aggregate([("id", "min")])
    )  # a value the current index holds for several sites
    lookup_keys, lookup_ids = names["key"], names["id_min"]
    done.addresses = values.num_rows

    moves: list[tuple[Path, str, str | None]] = []
    relative: list[str] = []
    # The second pass: every earlier hits file again, now with the month's ids, one at a time.
    for site, day, file in files.earlier_hits:
        table = _open(store, file, EARLIER_HITS)
        done.rows += table.num_rows
        table = table.filter(_kept(table, window))
        if not table.num_rows:
            continue
        positions = pc.index_in(_keys(table), value_set=lookup_keys)
        ids = pc.take(lookup_ids, positions)
        hits = table.drop_columns(["ip", "ip_kind"]).append_column("ip_id", ids.cast(pa.int32()))
        hits = hits.set_column(0, "ts", pc.cast(hits["ts"], pa.timestamp("ms"), safe=False))
        name = f"part-{uuid.uuid4()}.parquet"
        target = staging / name
        done.migrated += write_hits(hits.sort_by("ts"), target)
        folder = store.partition_dir(site, day)
        moves.append((target, folder, name))
        relative.append(_relative(store, store.storage.join(folder, name)))
    done.expired = done.rows - done.migrated

    if sightings.num_rows or files.current_index:
        joined = sightings.append_column(
            "id",
            pc.take(
                lookup_ids,
                pc.index_in(
                    pc.binary_join_element_wise(
                        sightings["ip_kind"].cast(pa.binary()), sightings["token"], b"\0"
                    ),
                    value_set=lookup_keys,
                ),
            ).cast(pa.int32()),
        )
        index = joined.select(INDEX.names).cast(INDEX)
        if files.current_index:
            index = _merged(known.select(INDEX.names).cast(INDEX), index)
        if index.num_rows:
            name = f"part-{uuid.uuid4()}.parquet"
            target = staging / name
            write_index(index, target)
            moves.append((target, store.index_dir(month), name))  # the index last: it names the days
            relative.append(_relative(store, store.storage.join(store.index_dir(month), name)))
    done.files_written = len(moves)
    return moves, relative


def _journal(month: str, marker: dict[str, Any], actor: Actor) -> None:
    """One entry per month migrated, with its counts; a run that finishes another's does not repeat it."""
    run = marker["run"]
    with transaction.atomic():
        if not JournalEntry.objects.filter(action=JOURNAL_ACTION, object_id=run).exists():
            record(
                JOURNAL_ACTION,
                actor=actor.ref,
                object_type="weblogs.store",
                object_id=run,
                payload={"month": month, **marker["counts"]},
            )


def _finish(store: Store, month: str, marker: dict[str, Any], actor: Actor) -> None:
    """Remove what the month's published files replace, journal the month (once), remove the marker."""
    folders: set[str] = set()
    for path in marker["earlier"] + marker["replaced"]:
        _remove_quietly(store, path)
        folders.add(path.rsplit("/", 1)[0])
    for folder in sorted(folders):  # a day whose hits had all expired, an index of nothing
        if not store.files_in(store.join(folder)):
            store.remove_tree(store.join(folder))
    _journal(month, marker, actor)
    _remove_quietly(store, f"{MARKER_DIR}/{_marker_name(month)}")


def migrate(
    *, actor: Actor, now: dt.datetime | None = None, dry_run: bool = False, store: Store | None = None
) -> MigrationResult:
    """Convert every month of the store still in the earlier layout; journal each month converted.

    Hits past the policy's retention window at ``now`` are not migrated.
    """
    section = policy()
    return migrate_store(store or Store(), Window.at(section.retention, now), actor=actor, dry_run=dry_run)


def migrate_store(store: Store, window: Window, *, actor: Actor, dry_run: bool = False) -> MigrationResult:
    """``migrate`` with the retention window given: under the writer lock, month by month."""
    result = MigrationResult(cutoff=window.cutoff, dry_run=dry_run)
    with store.lock(actor=actor):
        if not dry_run:
            store.clear_stale_staging()
        by_month: dict[str, list[tuple[str, dt.date, str]]] = {}
        for site, day, folder in store.partitions():
            by_month.setdefault(_month_of(day), []).append((site, day, folder))
        months = set(by_month) | {month for month, _folder in store.index_months()} | _marker_months(store)
        for month in sorted(months):
            done = _migrate_month(store, month, by_month.get(month, []), window, actor, dry_run)
            if done is not None:
                result.months.append(done)
        if not dry_run and not store.files_in(store.join(MARKER_DIR), ".json"):
            store.remove_tree(store.join(MARKER_DIR))
    return result


def _migrate_month(
    store: Store,
    month: str,
    partitions: list[tuple[str, dt.date, str]],
    window: Window,
    actor: Actor,
    dry_run: bool,
) -> MonthMigration | None:
    done = MonthMigration(month)
    marker = _read_marker(store, month)
    if marker is not None:
        done.resumed = str(marker["state"])
        counts = marker["counts"]
        if marker["state"] == "published":
            for name in COUNTS:
                setattr(done, name, int(counts[name]))
            if not dry_run:
                _finish(store, month, marker, actor)
            return done
        if not dry_run:
            # A run was killed while publishing: take back what it may have published, then start over.
            for path in marker["new"]:
                _remove_quietly(store, path)
            _remove_quietly(store, f"{MARKER_DIR}/{_marker_name(month)}")
    files = _scan(store, month, partitions)
    if not files.earlier_hits and not files.earlier_index:
        return done if marker is not None else None
    done.hits_files, done.index_files = len(files.earlier_hits), len(files.earlier_index)
    if dry_run:
        for _site, _day, file in files.earlier_hits:
            times = _open(store, file, ["ts"])
            done.rows += times.num_rows
            done.expired += times.num_rows - int(pc.sum(_kept(times, window)).as_py() or 0)
        return done
    with store.staging() as staging:
        moves, published = _convert(store, month, files, window, staging, done)
        marker = {
            "run": uuid.uuid4().hex[:16],
            "state": "publishing",
            "new": published,
            "earlier": [_relative(store, file) for _s, _d, file in files.earlier_hits]
            + [_relative(store, file) for file in files.earlier_index],
            "replaced": [_relative(store, file) for file in files.current_index],
            "counts": {name: getattr(done, name) for name in COUNTS},
        }
        _write_marker(store, staging, month, marker)
        store.publish_all(moves)  # a failure takes back what it published and refuses
        marker["state"] = "published"
        _write_marker(store, staging, month, marker)
    _finish(store, month, marker, actor)
    return done
