"""Benchmark of the REST API's count of requests per token: what it adds to a read.

    .venv/bin/python benchmarks/api.py                 # 5 runs of 500 reads each way, SQLite
    .venv/bin/python benchmarks/api.py --runs 3 --requests 200
    .venv/bin/python benchmarks/api.py --database-url postgresql://postgres@127.0.0.1:5432/api_bench

Builds an SQLite database in a temporary data directory (with ``--database-url``, a PostgreSQL
database on 127.0.0.1 whose name contains "bench": it is dropped before and after the run), migrates
it, creates a token with
``registry:read`` and one organisation, then reads that organisation (``GET
/api/organisations/{ref}``) ``--requests`` times through Django's test client (in this process: the
application's own cost, without a web server), each run twice, in an order that alternates from run to
run:

- with the count (``TRUSTDESK_THROTTLE_API`` at a limit no run reaches, so every read is counted and
  none refused): one upsert of the token's row for the minute per request;
- without it (``TRUSTDESK_THROTTLE_API=0``): the reference, measured in the same run.

Reports the median milliseconds per read of each, the difference and the ratio, and writes JSON
(``--json``, default benchmarks/results/api.json, or api-postgresql.json on PostgreSQL). Stops by
itself after ``--timeout`` seconds (default 600) and removes the data directory (and the database).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import registry as registry_bench  # noqa: E402  (after the path is set)

#: A limit no run reaches: every read is counted, none is refused.
UNREACHED = 10**9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--timeout", type=int, default=600)
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database on 127.0.0.1 whose name contains 'bench' (created and dropped); "
        "default: SQLite in a temporary data directory",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.runs < 1 or args.requests < 1:
        parser.error("--runs and --requests must be at least 1")
    url = name = maintenance = None
    if args.database_url:
        url, name, maintenance = registry_bench.database_url(args.database_url)
    results = ROOT / "benchmarks" / "results"
    output = args.json or results / ("api-postgresql.json" if url else "api.json")

    registry_bench.stop_after(args.timeout)
    workdir = Path(tempfile.mkdtemp(prefix="trustdesk-api-bench-"))
    try:
        if maintenance and name:
            registry_bench.fresh_database(maintenance, name)
        result = run(workdir, args.runs, args.requests, url)
    finally:
        if maintenance and name:
            registry_bench.drop_database(maintenance, name)
        shutil.rmtree(workdir, ignore_errors=True)
    print_table(result)
    registry_bench.write_result(result, output)
    return 0


def run(workdir: Path, runs: int, requests: int, url: str | None) -> dict[str, Any]:
    registry_bench.in_process_settings(workdir, url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from trustdesk.api.models import TokenWindow
    from trustdesk.api.services import do_create_token
    from trustdesk.registry.models import Organisation
    from trustdesk.registry.services import Actor, do_create

    call_command("migrate", verbosity=0)
    actor = Actor.operator("benchmark")
    _, token = do_create_token("benchmark", ["registry:read"], actor=actor)
    do_create(Organisation, {"name": "Bakkerij Jansen BV", "external_ref": "C1042"}, actor=actor)
    client = Client(SERVER_NAME="127.0.0.1")
    headers = {"Authorization": f"Bearer {token}"}

    def reads(limit: int) -> float:
        throttles = {**settings.TRUSTDESK_THROTTLE, "api": (limit, 60)}
        with override_settings(TRUSTDESK_THROTTLE=throttles):
            start = time.perf_counter()
            for _ in range(requests):
                response = client.get("/api/organisations/C1042", headers=headers)
                if response.status_code != 200:
                    raise SystemExit(f"a read answered {response.status_code}: {response.content[:200]!r}")
            return (time.perf_counter() - start) / requests * 1000

    reads(0)  # warm up: imports, the schema, the connection
    counted: list[float] = []
    uncounted: list[float] = []
    for number in range(runs):
        order = [(UNREACHED, counted), (0, uncounted)]
        for limit, into in order if number % 2 == 0 else reversed(order):
            into.append(reads(limit))
    with_count, without = statistics.median(counted), statistics.median(uncounted)
    return {
        "benchmark": "api",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "system": platform.platform(),
        },
        "database": connection.vendor,
        "runs": runs,
        "requests_per_run": requests,
        "ms_per_read_counted": [round(x, 3) for x in counted],
        "ms_per_read_uncounted": [round(x, 3) for x in uncounted],
        "median_ms_counted": round(with_count, 3),
        "median_ms_uncounted": round(without, 3),
        "added_ms": round(with_count - without, 3),
        "ratio": round(with_count / without, 2),
        "count_rows_left": TokenWindow.objects.count(),  # one per token and minute
    }


def print_table(r: dict[str, Any]) -> None:
    print(f"API read, {r['runs']} runs of {r['requests_per_run']} reads, {r['database']}, medians:")
    print(f"  counted per token   {r['median_ms_counted']:8.3f} ms per read")
    print(f"  not counted (ref.)  {r['median_ms_uncounted']:8.3f} ms per read")
    print(f"  the count adds      {r['added_ms']:8.3f} ms ({r['ratio']:.2f} times the reference)")


if __name__ == "__main__":
    raise SystemExit(main())
