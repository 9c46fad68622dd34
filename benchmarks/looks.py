"""Benchmark of the privacy officer's view of looks over a journal that has grown for two years.

    .venv/bin/python benchmarks/looks.py                       # 300,000 entries, 5 runs, SQLite
    .venv/bin/python benchmarks/looks.py --entries 1000000 --runs 3

Builds an SQLite database in a temporary data directory, migrates it, and fills the journal with
``--entries`` entries spread evenly over the last two years, two in three of them looks at records
(``viewed`` and ``listed`` of the registry's records, by twelve members of staff), the others changes
and log-ins. The rows are written straight into the table for speed: their hashes do not chain, which
these reads do not check. Then it times, ``--runs`` times each (medians), what the privacy officer's
pages read: the dashboard's looks by staff over the last 30 days (``looks_by_staff``) and the first page
of one member's looks with its count (``staff_looks``), in three states of the same database:

- ``without_index``: the journal without its index on time (``journal_at_idx`` dropped): the reference,
  as before ``journal/0004_index_at``;
- ``index_no_statistics``: with the index, before SQLite has statistics (a new database, or one the
  periodic job has not analysed yet): SQLite still picks the index on the action;
- ``index_and_statistics``: with the index after ``ANALYZE``, which the periodic job
  ``database_statistics`` runs once a day.

Reports the median milliseconds of each and its ratio to the reference, and writes JSON (``--json``,
default benchmarks/results/looks.json). Stops by itself after ``--timeout`` seconds (default 600) and
removes the data directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import registry as registry_bench  # noqa: E402  (after the path is set)

#: How far back the journal reaches.
SPAN = dt.timedelta(days=730)
#: Members of staff looking.
STAFF = 12


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=int, default=600)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.entries < 1000 or args.runs < 1:
        parser.error("--entries must be at least 1000 and --runs at least 1")
    output = args.json or ROOT / "benchmarks" / "results" / "looks.json"

    registry_bench.stop_after(args.timeout)
    workdir = Path(tempfile.mkdtemp(prefix="trustdesk-looks-bench-"))
    try:
        result = run(workdir, args.entries, args.runs, args.seed)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_table(result)
    registry_bench.write_result(result, output)
    return 0


def run(workdir: Path, entries: int, runs: int, seed: int) -> dict[str, Any]:
    registry_bench.in_process_settings(workdir)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from trustdesk.console.views.looks import LOOKS_PAGE_SIZE, _looks, looks_by_staff
    from trustdesk.journal.models import JournalEntry
    from trustdesk.registry.services import look_actions

    call_command("migrate", verbosity=0)
    now = timezone.now()
    fill(connection, JournalEntry._meta.db_table, entries, now, sorted(look_actions()), seed)

    def pages() -> None:
        looks_by_staff(now)
        member = _looks(now).filter(actor="user:3").order_by("-seq")
        list(member[:LOOKS_PAGE_SIZE])
        member.count()

    table = JournalEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX journal_at_idx")
        without_index = timed(pages, runs)
        cursor.execute(f"CREATE INDEX journal_at_idx ON {connection.ops.quote_name(table)} (at)")
        no_statistics = timed(pages, runs)
        start = time.perf_counter()
        cursor.execute("ANALYZE")
        analyze_ms = (time.perf_counter() - start) * 1000
        with_statistics = timed(pages, runs)
    reference = statistics.median(without_index)
    states = {
        "without_index": without_index,
        "index_no_statistics": no_statistics,
        "index_and_statistics": with_statistics,
    }
    return {
        "benchmark": "looks",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "system": platform.platform(),
        },
        "database": connection.vendor,
        "entries": entries,
        "looks_in_window": _looks(now).count(),
        "runs": runs,
        "ms": {name: [round(x, 2) for x in values] for name, values in states.items()},
        "median_ms": {name: round(statistics.median(values), 2) for name, values in states.items()},
        "ratio_to_without_index": {
            name: round(statistics.median(values) / reference, 3) for name, values in states.items()
        },
        "analyze_ms": round(analyze_ms, 1),
    }


def fill(connection: Any, table: str, entries: int, now: dt.datetime, looks: list[str], seed: int) -> None:
    """``entries`` journal rows evenly over ``SPAN`` up to ``now``: two in three looks at records."""
    rng = random.Random(seed)
    registry_looks = [action for action in looks if action.startswith("registry.")]
    other = ["registry.person.updated", "accounts.logged_in", "rights.request.created"]
    start = now - SPAN
    step = SPAN / entries
    columns = "seq, at, actor, action, object_type, object_id, payload_digest, prev_hash, hash"
    sql = (
        f"INSERT INTO {connection.ops.quote_name(table)} ({columns}) "  # noqa: S608  (names from the model)
        "VALUES (%s, %s, %s, %s, %s, %s, '', %s, %s)"
    )
    batch: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for number in range(1, entries + 1):
            action = rng.choice(registry_looks) if number % 3 else rng.choice(other)
            batch.append(
                (
                    number,
                    connection.ops.adapt_datetimefield_value(start + step * number),  # as the ORM stores it
                    f"user:{rng.randint(1, STAFF)}",
                    action,
                    action.rpartition(".")[0],
                    str(rng.randint(1, 50_000)),
                    "0" * 64,
                    "0" * 64,
                )
            )
            if len(batch) == 10_000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)


def timed(func: Callable[[], None], runs: int) -> list[float]:
    func()  # warm up: the statements prepared, the pages in the cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return times


def print_table(r: dict[str, Any]) -> None:
    print(
        f"Looks by staff (dashboard) and one member's first page, {r['entries']:,} journal entries over two "
        f"years ({r['looks_in_window']:,} looks in the last 30 days), {r['database']}, medians of {r['runs']}:"
    )
    for name, ms in r["median_ms"].items():
        print(f"  {name:22} {ms:9.1f} ms  ({r['ratio_to_without_index'][name]:.3f} of without_index)")
    print(f"  ANALYZE took {r['analyze_ms']:.0f} ms")


if __name__ == "__main__":
    raise SystemExit(main())
