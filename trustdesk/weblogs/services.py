"""Searching, erasing and expiring web access logs; every call is journaled.

Only a privacy officer searches the logs for an investigation (P4.5: breach investigations):
``search`` refuses any other actor, whether the search comes from the staff console's web log page
or from ``trustdesk weblogs search --officer EMAIL``. The hits of an address given with an access
request are looked up by ``hits_for_ip`` for the person or staff fulfilling that request (the
rights app decides who may). Every search is journaled: who searched, for what reason, with which
criteria and how many hits came back.

Every query keeps to the retention window to the second: a hit is returned only while its time is
later than now minus the policy's ``web_logs.retention``, whether or not ``expire`` has run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.db import transaction

from trustdesk.accounts.access import role_of
from trustdesk.accounts.models import Profile
from trustdesk.journal.services import record
from trustdesk.lib.pseudonyms import pseudonymise
from trustdesk.registry.services import Actor
from trustdesk.weblogs.addresses import Address, candidates, parse_address
from trustdesk.weblogs.keys import MONTH, WeblogKeyError
from trustdesk.weblogs.store import (
    HITS,
    Store,
    WeblogsError,
    Window,
    index_lookup,
    index_names,
    policy,
    read_hits,
    read_index,
    write_hits,
    write_index,
)

MAX_REASON = 2000
#: Files read at once by a search (small files: the time goes to opening them).
READ_THREADS = 4


@dataclass(frozen=True)
class Hit:
    site: str
    at: dt.datetime  # UTC
    method: str | None
    path: str | None
    protocol: str | None
    status: int | None
    bytes: int | None
    referrer: str | None
    user_agent: str | None
    #: The address (raw, decrypted AES-SIV, or the one searched for), the network (truncate),
    #: or ``hmac:<token>`` where it cannot be recovered; None where the policy keeps no address.
    ip: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "at": self.at.isoformat(),
            "method": self.method,
            "path": self.path,
            "protocol": self.protocol,
            "status": self.status,
            "bytes": self.bytes,
            "referrer": self.referrer,
            "user_agent": self.user_agent,
            "ip": self.ip,
        }


HIT_FIELDS = list(Hit.__dataclass_fields__)
#: What a spreadsheet would read as a formula at the start of a cell (paths and agents are the visitors' text).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_hits_csv(stream: Any, hits: Iterable[Hit], *, for_spreadsheets: bool = False) -> None:
    """The hits as CSV with a header row. ``for_spreadsheets`` quotes what a spreadsheet would run as a
    formula (a leading ``'``), since paths, referrers and user agents are whatever visitors sent."""
    writer = csv.writer(stream)
    writer.writerow(HIT_FIELDS)
    for hit in hits:
        row = hit.as_dict()
        cells = ["" if row[name] is None else str(row[name]) for name in HIT_FIELDS]
        if for_spreadsheets:
            cells = ["'" + cell if cell.startswith(_FORMULA_START) else cell for cell in cells]
        writer.writerow(cells)


@dataclass
class SearchResult:
    hits: list[Hit]
    files_opened: int
    journal_seq: int


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise WeblogsError("a search of the web logs needs a reason: say why (the case, the request)")
    if len(text) > MAX_REASON:
        raise WeblogsError(f"the reason is longer than {MAX_REASON} characters")
    return text


#: Why a search is made: an investigation (a privacy officer's search) or an access request.
INVESTIGATION = "investigation"
ACCESS_REQUEST = "access_request"


def check_investigator(actor: Actor) -> None:
    """Only an active account with the privacy officer's role searches the logs for an investigation."""
    if role_of(actor.user) != Profile.Role.PRIVACY_OFFICER:
        raise WeblogsError(
            "only a privacy officer may search the web logs: search from the staff console's web log "
            "page, or give the account of a privacy officer (trustdesk weblogs search --officer EMAIL)"
        )


def _address(text: str) -> Address:
    address = parse_address(text.strip())
    if address is None:
        raise WeblogsError("the address searched for is not an IPv4 or IPv6 address")
    return address


def _utc_naive(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise WeblogsError("a search bound needs a time zone (UTC is assumed only on the command line)")
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _months(first: dt.datetime, last: dt.datetime) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass(frozen=True)
class _Where:
    """An index row that matched: the month's id of a stored value, and the days a site saw it."""

    month: str
    site: str
    id: int
    days: int
    kind: str
    token: bytes

    def dates(self) -> list[dt.date]:
        year, number = int(self.month[:4]), int(self.month[5:7])
        return [dt.date(year, number, bit + 1) for bit in range(31) if self.days >> bit & 1]


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="weblogs-read")
    return _POOL


_POOL: ThreadPoolExecutor | None = None


def _month_of(file: str) -> str:
    """The month of an index file, from its folder (``.../_index/month=<YYYY-MM>/part-....parquet``)."""
    return file.rsplit("/", 2)[-2].removeprefix("month=")


def _token_locations(
    store: Store, address: Address, months: Iterable[str], *, networks: bool
) -> tuple[list[bytes], list[_Where]]:
    """The values the address is stored as, and the index rows (one row group a month) that hold them."""
    values: list[bytes] = []
    by_month: dict[str, list[tuple[str, bytes]]] = {}
    for month in months:
        month_values = candidates(address, month, store.keys, networks=networks)
        values.extend(value for _kind, value in month_values)
        by_month[month] = month_values
    # One listing of the index in object storage, one per month locally.
    lookups = [
        (month, file, by_month[month])
        for file in store.index_files(list(by_month))
        if (month := _month_of(file)) in by_month
    ]
    found: list[_Where] = []
    for month, table in zip(
        [month for month, _file, _values in lookups],
        _pool().map(lambda item: index_lookup(store.storage, item[1], item[2]), lookups),
        strict=True,
    ):
        for row in table.to_pylist():
            found.append(_Where(month, row["site"], row["id"], row["days"], row["ip_kind"], row["token"]))
    return values, found


_NOTHING = (
    "^[^\\x00-\\x{10FFFF}]$"  # no text: what DuckDB's GLOB matches with an unclosed [ or a final backslash
)


def _glob_regex(pattern: str) -> str:
    """A GLOB as DuckDB reads it (``*``, ``?``, ``[...]``, ``[!...]``, ``\\`` before a literal) as RE2."""
    out, i = ["^"], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "\\":
            if i + 1 == len(pattern):
                return _NOTHING
            i += 1
            out.append(re.escape(pattern[i]))
        elif char == "[":
            close = pattern.find("]", i + 1)
            if close < 0:
                return _NOTHING
            body = pattern[i + 1 : close]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            if not body:
                return _NOTHING
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = close
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out) + "$"


@dataclass(frozen=True)
class _Read:
    file: str
    site: str
    day: dt.date
    ip_id: int | None = None
    shown: str | None = None  # what the hits of this file show as the address (an address search)


def _read(
    store: Store, task: _Read, lower: dt.datetime, upper: dt.datetime, inclusive: bool, path: str | None
) -> pa.Table:
    """The hits of one file that match (a file is one day's: reading it whole is the cheapest)."""
    table = read_hits(store.storage, task.file)
    ts = table["ts"].cast(pa.timestamp("us"))
    lower_bound = pa.scalar(lower, pa.timestamp("us"))
    mask = pc.and_(
        pc.greater_equal(ts, lower_bound) if inclusive else pc.greater(ts, lower_bound),
        pc.less_equal(ts, pa.scalar(upper, pa.timestamp("us"))),
    )
    if task.ip_id is not None:
        mask = pc.and_(mask, pc.equal(table["ip_id"], pa.scalar(task.ip_id, pa.int32())))
    if path is not None:
        paths = table["path"].cast(pa.string())
        mask = pc.and_(mask, pc.match_substring_regex(paths, _glob_regex(path)))
    table = table.filter(pc.fill_null(mask, False))
    count = table.num_rows
    return (
        table.cast(HITS)
        .append_column("site", pa.array([task.site] * count, pa.string()))
        .append_column("month", pa.array([task.day.strftime("%Y-%m")] * count, pa.string()))
        .append_column("shown", pa.array([task.shown] * count, pa.string()))
    )


def _names(store: Store, wanted: dict[str, set[int]]) -> dict[tuple[str, int], tuple[str, bytes]]:
    """(month, id) -> (ip_kind, stored value), from the month indexes."""
    names: dict[tuple[str, int], tuple[str, bytes]] = {}
    if not wanted:
        return names
    for file in store.index_files(sorted(wanted)):
        month = _month_of(file)
        ids = wanted.get(month)
        if ids:
            for row in index_names(store.storage, file, sorted(ids)).to_pylist():
                names[(month, row["id"])] = (row["ip_kind"], row["token"])
    return names


def _display(store: Store, month: str, kind: str | None, value: bytes | None) -> str | None:
    if value is None or kind is None:
        return None
    if kind in ("raw", "truncate"):
        return value.decode("ascii", "replace")
    if kind == "aes_siv":
        key = store.keys.get(month)
        if key is not None:
            try:
                return key.decrypt(value)
            except WeblogKeyError:
                pass
    return f"{kind}:{value.hex()}"


def _query(
    store: Store,
    window: Window,
    *,
    address: Address | None,
    networks: bool,
    path: str | None,
    site: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    limit: int | None,
) -> tuple[list[Hit], int]:
    lower = max(window.cutoff, start) if start is not None else window.cutoff
    upper = min(window.now, end) if end is not None else window.now
    if upper < lower:
        return [], 0
    tasks: list[_Read] = []
    if address is not None:
        _values, found = _token_locations(store, address, _months(lower, upper), networks=networks)
        for where in sorted(found, key=lambda w: (w.month, w.site)):
            if site is not None and where.site != site:
                continue
            # The address itself where the value is its own; its network where only that was kept.
            label = where.token.decode("ascii", "replace") if where.kind == "truncate" else address.compressed
            for day in where.dates():
                if lower.date() <= day <= upper.date():
                    folder = store.partition_dir(where.site, day)
                    tasks.extend(_Read(f, where.site, day, where.id, label) for f in store.files_in(folder))
    else:
        for s, d, folder in store.partitions(site=site, start=lower.date(), end=upper.date()):
            tasks.extend(_Read(f, s, d) for f in store.files_in(folder))
    if not tasks:
        return [], 0
    # An explicit start is inclusive; the window's cutoff is not.
    inclusive = start is not None and start > window.cutoff
    tables = list(_pool().map(lambda task: _read(store, task, lower, upper, inclusive, path), tasks))
    table = pa.concat_tables(tables).sort_by([("ts", "ascending"), ("site", "ascending")])
    if limit is not None:
        table = table.slice(0, max(int(limit), 0))
    rows = table.to_pylist()
    names: dict[tuple[str, int], tuple[str, bytes]] = {}
    if address is None:
        wanted: dict[str, set[int]] = {}
        for row in rows:
            if row["ip_id"] is not None:
                wanted.setdefault(row["month"], set()).add(row["ip_id"])
        names = _names(store, wanted)
    hits = []
    for row in rows:
        shown: str | None = None
        if row["shown"] is not None:
            shown = row["shown"]
        elif row["ip_id"] is not None:
            kind, value = names.get((row["month"], row["ip_id"]), (None, None))
            shown = _display(store, row["month"], kind, value)
        hits.append(
            Hit(
                site=row["site"],
                at=row["ts"].replace(tzinfo=dt.UTC),
                method=row["method"],
                path=row["path"],
                protocol=row["protocol"],
                status=row["status"],
                bytes=row["bytes"],
                referrer=row["referrer"],
                user_agent=row["user_agent"],
                ip=shown,
            )
        )
    return hits, len(tasks)


def search(
    *,
    actor: Actor,
    reason: str,
    ip: str | None = None,
    path: str | None = None,
    site: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int | None = None,
    now: dt.datetime | None = None,
    store: Store | None = None,
    purpose: str = INVESTIGATION,
    networks: bool = True,
) -> SearchResult:
    """The hits in the window that match every criterion given (an address, a path GLOB, a site).

    ``start`` and ``end`` (aware datetimes) narrow the window, both inclusive. Under
    ``ip_storage: truncate`` an address matches its whole network unless ``networks`` is False.
    The search is journaled with the actor, the reason and the criteria (the address as a keyed
    pseudonym), in the same transaction as it is answered.
    """
    if purpose == INVESTIGATION:
        check_investigator(actor)
    elif purpose != ACCESS_REQUEST:
        raise ValueError(f"unknown purpose {purpose!r} of a web log search")
    text = _reason(reason)
    if ip is None and path is None and site is None:
        raise WeblogsError("say what to search for: an address, a path or a site")
    address = _address(ip) if ip is not None else None
    section = policy()
    store = store or Store()
    window = Window.at(section.retention, now)
    with store.lock(shared=True):
        hits, files = _query(
            store,
            window,
            address=address,
            networks=networks,
            path=path,
            site=site.strip().lower() if site else None,
            start=_utc_naive(start),
            end=_utc_naive(end),
            limit=limit,
        )
    criteria = journal_criteria(
        ip=address.compressed if address is not None else None, path=path, site=site, start=start, end=end
    )
    with transaction.atomic():
        entry = record(
            "weblogs.searched",
            actor=actor.ref,
            object_type="weblogs.store",
            payload={
                "purpose": purpose,
                "reason": text,
                "criteria": criteria,
                "hits": len(hits),
                "files": files,
                "window_from": window.cutoff.replace(tzinfo=dt.UTC).isoformat(),
            },
        )
    return SearchResult(hits, files, entry.seq)


def journal_criteria(
    *,
    ip: str | None,
    path: str | None,
    site: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> dict[str, Any]:
    """A search's criteria as its journal entry keeps them: the address (its canonical text) only as
    a keyed pseudonym, the rest as given."""
    criteria: dict[str, Any] = {}
    if ip is not None:
        criteria["ip"] = pseudonymise(ip, kind="ip")
    if path is not None:
        criteria["path"] = path
    if site is not None:
        criteria["site"] = site
    if start is not None:
        criteria["from"] = start.isoformat()
    if end is not None:
        criteria["to"] = end.isoformat()
    return criteria


def hits_for_ip(
    address: str,
    *,
    actor: Actor,
    reason: str,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> list[Hit]:
    """The hits of one address, for an access request that gives it (never its network's other hits)."""
    return search(
        actor=actor, reason=reason, ip=address, start=start, end=end, purpose=ACCESS_REQUEST, networks=False
    ).hits


# --- erasure ----------------------------------------------------------------------------------


@dataclass
class EraseResult:
    hits: int = 0
    partitions: int = 0
    months: list[str] = field(default_factory=list)
    rejected_lines: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "hits": self.hits,
            "partitions": self.partitions,
            "months": self.months,
            "rejected_lines": self.rejected_lines,
        }


def _rewrite(
    store: Store, folder: str, staging: Path, keep: Callable[[pa.Table], pa.Array]
) -> tuple[int, int]:
    """Rewrite the hits files of a folder as one file of the rows ``keep`` says to keep.

    Returns (rows before, rows after). The new file is moved in before the old ones are removed;
    a folder left with no rows is removed.
    """
    files = store.files_in(folder)
    if not files:
        return 0, 0
    table = pa.concat_tables([read_hits(store.storage, file).cast(HITS) for file in files])
    before = table.num_rows
    kept = table.filter(keep(table))
    after = kept.num_rows
    if after == before:
        return before, after
    if after:
        target = staging / f"part-{uuid.uuid4()}.parquet"
        write_hits(kept.sort_by("ts"), target)
        store.publish(target, folder)
    for file in files:
        store.remove(file)
    if not after:
        store.remove_tree(folder)
    return before, after


def _erase_from_rejects(store: Store, address: Address, staging: Path) -> int:
    """Remove the rejected lines that hold the address in any of its written forms."""
    forms = {address.compressed, address.exploded}
    if address.version == 4:
        forms |= {f"::ffff:{address}", f"::FFFF:{address}"}
    else:
        forms |= {address.compressed.upper(), address.exploded.upper()}
    removed = 0
    for _day, folder in store.reject_days():
        for file in store.files_in(folder, ".csv"):
            kept_rows: list[list[str]] = []
            dropped = 0
            text_of_file = store.read_bytes(file).decode("utf-8")
            for row in csv.reader(io.StringIO(text_of_file, newline="")):
                text = row[3] if len(row) > 3 else ""
                if any(form in text for form in forms):
                    dropped += 1
                else:
                    kept_rows.append(row)
            if dropped:
                name = file.rsplit("/", 1)[-1]
                temporary = staging / f"rejects-{name}"
                with temporary.open("w", encoding="utf-8", newline="") as out:
                    csv.writer(out).writerows(kept_rows)
                store.publish(temporary, folder, name)  # replaces the file whole
                removed += dropped
    return removed


def erase_ip(
    address: str, *, actor: Actor, reason: str, store: Store | None = None, wait: float | None = None
) -> EraseResult:
    """Remove every hit of an address (under truncate: of its network) by rewriting the files that hold it.

    The month indexes tell which partitions to rewrite; the index and the rejected lines are cleaned
    too. Journaled with the counts and the address as a keyed pseudonym. ``wait``: the most seconds
    to wait for another writer of the store (an ingest, expiry), then a refusal (WeblogsError).
    """
    text = _reason(reason)
    parsed = _address(address)
    store = store or Store()
    result = EraseResult()
    with store.lock(actor=actor, wait=wait), store.staging() as staging:
        months = [month for month, _folder in store.index_months()]
        values, found = _token_locations(store, parsed, months, networks=True)
        ids: dict[tuple[str, dt.date], set[int]] = {}
        for where in found:
            for day in where.dates():
                ids.setdefault((where.site, day), set()).add(where.id)
        for (site, day), numbers in sorted(ids.items()):
            gone = pa.array(sorted(numbers), pa.int32())

            def others(table: pa.Table, gone: pa.Array = gone) -> pa.Array:
                return pc.invert(pc.fill_null(pc.is_in(table["ip_id"], gone), False))

            before, after = _rewrite(store, store.partition_dir(site, day), staging, others)
            if before != after:
                result.hits += before - after
                result.partitions += 1
        values_array = pa.array(values, pa.binary())
        for month in sorted({where.month for where in found}):
            old = store.files_in(store.index_dir(month))
            table = pa.concat_tables([read_index(store.storage, file) for file in old])
            kept = table.filter(pc.invert(pc.is_in(table["token"], values_array)))
            target = staging / f"part-{uuid.uuid4()}.parquet"
            write_index(kept, target)
            store.publish(target, store.index_dir(month))
            for file in old:
                store.remove(file)
            result.months.append(month)
        result.rejected_lines = _erase_from_rejects(store, parsed, staging)
        with transaction.atomic():
            record(
                "weblogs.ip_erased",
                actor=actor.ref,
                object_type="weblogs.store",
                payload={
                    "reason": text,
                    "ip": pseudonymise(parsed.compressed, kind="ip"),
                    **result.as_dict(),
                },
            )
    return result


# --- expiry -----------------------------------------------------------------------------------


@dataclass
class ExpiryResult:
    cutoff: dt.datetime
    retention: str
    dry_run: bool
    partitions: int = 0
    hits: int = 0
    days: list[str] = field(default_factory=list)
    boundary_partitions: int = 0
    boundary_hits: int = 0
    keys_destroyed: list[str] = field(default_factory=list)
    index_months: list[str] = field(default_factory=list)
    reject_days: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.replace(tzinfo=dt.UTC).isoformat(),
            "retention": self.retention,
            "dry_run": self.dry_run,
            "partitions": self.partitions,
            "hits": self.hits,
            "days": self.days,
            "boundary_partitions": self.boundary_partitions,
            "boundary_hits": self.boundary_hits,
            "keys_destroyed": self.keys_destroyed,
            "index_months": self.index_months,
            "reject_days": self.reject_days,
        }


def _row_count(store: Store, files: list[str]) -> int:
    if not files:
        return 0
    row = (
        store.connect()
        .execute(
            "SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata($files)",
            {"files": store.for_duckdb(files)},
        )
        .fetchone()
    )
    return int(row[0]) if row else 0


def expire(
    now: dt.datetime | None = None, *, actor: Actor, dry_run: bool = False, store: Store | None = None
) -> ExpiryResult:
    """Remove what the retention window no longer covers, and destroy the keys of expired months.

    Partitions whose whole day is at or before the cutoff are removed as directories; the partition
    of the cutoff's day is rewritten without its expired hits; the key, the index and the rejected
    lines of every month or day wholly past go too. Journaled with counts, days and key ids.
    """
    section = policy()
    store = store or Store()
    window = Window.at(section.retention, now)
    result = ExpiryResult(cutoff=window.cutoff, retention=section.retention.iso(), dry_run=dry_run)
    with store.lock(actor=actor), store.staging() as staging:
        days: set[str] = set()
        for _site, day, folder in store.partitions(end=window.cutoff.date()):
            files = store.files_in(folder)
            if window.day_expired(day):
                result.partitions += 1
                result.hits += _row_count(store, files)
                days.add(day.isoformat())
                if not dry_run:
                    store.remove_tree(folder)
            elif files:
                expired_row = (
                    store.connect()
                    .execute(
                        "SELECT count(*) FROM read_parquet($files, hive_partitioning = false) "
                        "WHERE ts <= $cutoff",
                        {"cutoff": window.cutoff, "files": store.for_duckdb(files)},
                    )
                    .fetchone()
                )
                expired = int(expired_row[0]) if expired_row else 0
                if expired:
                    result.boundary_partitions += 1
                    result.boundary_hits += expired
                    if not dry_run:
                        cutoff = pa.scalar(window.cutoff, pa.timestamp("us"))

                        def later(table: pa.Table, cutoff: pa.Scalar = cutoff) -> pa.Array:
                            return pc.greater(table["ts"].cast(pa.timestamp("us")), cutoff)

                        _rewrite(store, folder, staging, later)
        result.days = sorted(days)
        for month, folder in store.index_months():
            if window.month_expired(month):
                result.index_months.append(month)
                if not dry_run:
                    store.remove_tree(folder)
        for month in store.keys.months():
            if MONTH.fullmatch(month) and window.month_expired(month):
                result.keys_destroyed.append(f"weblog-{month}")
                if not dry_run:
                    store.keys.destroy(month)
        for day, folder in store.reject_days():
            if window.day_expired(day):
                result.reject_days.append(day.isoformat())
                if not dry_run:
                    store.remove_tree(folder)
        if not dry_run:
            with transaction.atomic():
                record(
                    "weblogs.expired", actor=actor.ref, object_type="weblogs.store", payload=result.as_dict()
                )
    return result
