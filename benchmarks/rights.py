"""Benchmark of data-subject requests on the registry benchmark's data: access and erasure for one person.

    .venv/bin/python benchmarks/rights.py --organisations 100000 --runs 20
    .venv/bin/python benchmarks/rights.py --organisations 1000 --runs 20      # a quick check

Builds the registry of ``benchmarks/registry.py`` (the same functions: N organisations with
about 13 related rows each, their history copies and their journal) in the database named in
DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/rights_bench; the name must contain
"bench" and must not be ``trustdesk_bench``, the registry benchmark's; the host must be
127.0.0.1, because the database is dropped first and at the end). It publishes the example
policy ``examples/policies/dutch-hosting-nl.yaml``, points DATA_DIR at a temporary directory
(the downloads are written there) and sends e-mail to Django's locmem backend, so that what is
measured is Trustdesk's work, not an SMTP server.

Each run takes a different random private customer, the only person of their private
organisation (so that erasure also reaches the organisation's records and ends its services;
the P4.6 confirmation is given with ``confirmed=True``), and measures, each in one transaction
that commits (the e-mails go when it commits, as in production):

(a) access: ``do_open_request("access")`` + ``do_verify_identity`` + ``do_fulfil`` (the HTML
    report and the JSON file written to files); references in the same run: reading the person
    by primary key, and ``datamap_ops.collect`` of the same person just before;
(b) erasure: the same for an erasure of another person (``do_fulfil(..., confirmed=True)``:
    the ledger entry, ``datamap_ops.erase``, the services ended); reference: ``collect`` of that
    person just before.

Reports the median and the 95th percentile over ``--runs`` runs, the median of each step (open,
verify, fulfil, commit), and, from a few more runs outside the timed ones, the number of
queries with the time spent in them and a profile of where the time goes. Prints a table and
writes JSON (``--json``, default benchmarks/results/rights-N.json). Stops by itself after
``--timeout`` seconds (default 3600) and drops the database unless ``--keep``; ``--reuse``
measures again on a database kept earlier, without building it.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import registry as registry_bench  # noqa: E402  (after the path is set)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/rights_bench"
POLICY = ROOT / "examples" / "policies" / "dutch-hosting-nl.yaml"
TARGETS_MS = {"access": 200, "erasure": 500}
STEPS = ("open", "verify", "fulfil", "commit")


# --- figures ---------------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    """The 95th percentile (linear between the closest ranks; the value itself for one run)."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def summary(seconds: list[float]) -> dict[str, Any]:
    return {
        "median_ms": statistics.median(seconds) * 1000,
        "p95_ms": p95(seconds) * 1000,
        "min_ms": min(seconds) * 1000,
        "max_ms": max(seconds) * 1000,
        "runs_ms": [s * 1000 for s in seconds],
    }


# --- the people ------------------------------------------------------------------------------------


def private_customers() -> list[int]:
    """Ids of the people who are the only person of a private organisation, and in no request yet."""
    from django.db.models import Count

    from trustdesk.registry.models import Organisation, Role
    from trustdesk.rights.models import Request

    sole = (
        Organisation.objects.filter(kind=Organisation.Kind.PRIVATE)
        .annotate(people=Count("roles__person", distinct=True))
        .filter(people=1)
        .values("pk")
    )
    taken = set(Request.objects.exclude(person=None).values_list("person_id", flat=True))
    ids = set(Role.objects.filter(organisation__in=sole).values_list("person_id", flat=True))
    return sorted(ids - taken)


# --- one request -----------------------------------------------------------------------------------

STAFF_REF = "bench"


def fulfil_one(kind: str, person: Any) -> tuple[float, dict[str, float], Any]:
    """Open, verify and fulfil one request about ``person`` in one committed transaction.

    Returns (seconds in all, seconds per step, the request)."""
    from django.db import transaction

    from trustdesk.registry.services import Actor
    from trustdesk.rights import services
    from trustdesk.rights.fulfil import do_fulfil

    actor = Actor.operator(STAFF_REF)
    marks = [time.perf_counter()]
    with transaction.atomic():
        request = services.do_open_request(kind, channel="email", actor=actor, person=person)
        marks.append(time.perf_counter())
        services.do_verify_identity(request, method="staff", actor=actor)
        marks.append(time.perf_counter())
        if kind == "erasure":
            do_fulfil(request, actor=actor, confirmed=True)
        else:
            do_fulfil(request, actor=actor)
        marks.append(time.perf_counter())
    marks.append(time.perf_counter())  # the commit, and the e-mails it sends
    steps = {name: marks[n + 1] - marks[n] for n, name in enumerate(STEPS)}
    return marks[-1] - marks[0], steps, request


def check(kind: str, request: Any, person_pk: int) -> dict[str, Any]:
    """What the request left behind, checked outside the timing; raises when it did not do its work."""
    from django.conf import settings
    from django.core import mail

    from trustdesk.rights.models import ErasureLedgerEntry, Status

    request.refresh_from_db()
    if request.status != Status.FULFILLED:
        raise RuntimeError(f"{kind} request {request.reference} ended {request.status}, not fulfilled")
    messages = len(getattr(mail, "outbox", []))
    if hasattr(mail, "outbox"):
        mail.outbox.clear()
    facts: dict[str, Any] = {"messages": messages}
    if kind == "access":
        files = {d.format: Path(settings.DATA_DIR) / d.path for d in request.downloads.all()}
        if len(files) != 2 or not all(f.is_file() for f in files.values()):
            raise RuntimeError(f"access request {request.reference} did not write its two files")
        facts["bytes"] = {fmt: f.stat().st_size for fmt, f in files.items()}
        data = json.loads(next(f for fmt, f in files.items() if f.suffix == ".json").read_text())
        facts["records"] = sum(len(rows) for rows in data["records"].values())
    else:
        entry = ErasureLedgerEntry.objects.filter(request_reference=request.reference).first()
        if entry is None or entry.person_id_at_erasure != person_pk:
            raise RuntimeError(f"erasure request {request.reference} wrote no ledger entry")
        event = request.events.filter(action="fulfilled").first()
        journal_payload: dict[str, Any] = {}
        if event is not None and event.journal_seq:
            from trustdesk.journal.models import JournalEntry

            journal_payload = JournalEntry.objects.get(seq=event.journal_seq).payload or {}
        counts = journal_payload.get("counts", {})
        facts["changed"] = sum(
            n
            for per in counts.values()
            for what, n in per.items()
            if what in ("deleted", "cleared", "pseudonymised")
        )
        facts["held"] = journal_payload.get("held", 0)
        facts["services_ended"] = journal_payload.get("services_ended", 0)
    return facts


def warm_up(pool: list[int]) -> None:
    """An access and an erasure in each language the people speak, untimed: the first use of a
    template (the report, the statement, the e-mails), the policy, the data map and the key costs more."""
    from trustdesk.registry.models import Person

    speaks = dict(Person.objects.filter(pk__in=pool).values_list("pk", "language"))
    for language in sorted(set(speaks.values())):
        for kind in ("access", "erasure"):
            pk = next(pk for pk in reversed(pool) if speaks[pk] == language)
            pool.remove(pk)
            _, _, request = fulfil_one(kind, Person.objects.get(pk=pk))
            check(kind, request, pk)


# --- the measurements ------------------------------------------------------------------------------


def measure(runs: int, pool: list[int]) -> dict[str, Any]:
    from trustdesk.registry import datamap_ops
    from trustdesk.registry.models import Person

    timed = registry_bench.timed
    data: dict[str, dict[str, list[Any]]] = {
        kind: {"total": [], "collect": [], "get": [], "facts": [], **{s: [] for s in STEPS}}
        for kind in ("access", "erasure")
    }
    for run in range(runs):
        line = []
        for kind in ("access", "erasure"):
            pk = pool.pop()
            get_s, person = timed(partial(Person.objects.get, pk=pk))
            collect_s, _ = timed(partial(datamap_ops.collect, person))
            took, steps, request = fulfil_one(kind, person)
            bucket = data[kind]
            bucket["total"].append(took)
            bucket["collect"].append(collect_s)
            bucket["get"].append(get_s)
            for name, seconds in steps.items():
                bucket[name].append(seconds)
            bucket["facts"].append(check(kind, request, pk))
            line.append(f"{kind} {took * 1000:.0f} ms (collect {collect_s * 1000:.0f} ms)")
        print(f"    run {run + 1}: " + ", ".join(line), flush=True)
    out: dict[str, Any] = {}
    for kind, bucket in data.items():
        total = summary(bucket["total"])
        collect = statistics.median(bucket["collect"])
        get = statistics.median(bucket["get"])
        facts = bucket["facts"]
        out[kind] = {
            **total,
            "steps_median_ms": {s: statistics.median(bucket[s]) * 1000 for s in STEPS},
            "reference_collect_median_ms": collect * 1000,
            "reference_collect_p95_ms": p95(bucket["collect"]) * 1000,
            "reference_get_median_ms": get * 1000,
            "ratio_to_collect": statistics.median(bucket["total"]) / collect,
            "ratio_to_get": statistics.median(bucket["total"]) / get,
            "target": f"under {TARGETS_MS[kind]} ms",
            "met_median": total["median_ms"] < TARGETS_MS[kind],
            "met_p95": total["p95_ms"] < TARGETS_MS[kind],
            "messages_per_request": statistics.median(f["messages"] for f in facts),
        }
        if kind == "access":
            out[kind]["records_per_person_median"] = statistics.median(f["records"] for f in facts)
            out[kind]["report_bytes_median"] = statistics.median(f["bytes"]["report_html"] for f in facts)
            out[kind]["json_bytes_median"] = statistics.median(f["bytes"]["data_json"] for f in facts)
        else:
            out[kind]["values_changed_median"] = statistics.median(f["changed"] for f in facts)
            out[kind]["values_held_median"] = statistics.median(f["held"] for f in facts)
            out[kind]["services_ended_median"] = statistics.median(f["services_ended"] for f in facts)
    return out


_TABLE = re.compile(r'(?:FROM|INTO|UPDATE|JOIN)\s+"([a-z0-9_]+)"', re.IGNORECASE)


class QueryLog:
    """An ``execute_wrapper`` counting the queries and timing each (Django's own log keeps milliseconds only)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.by_statement: Counter[str] = Counter()
        self.by_table: Counter[str] = Counter()
        self.table_seconds: defaultdict[str, float] = defaultdict(float)

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - start
            match = _TABLE.search(sql)
            table = match.group(1) if match else "(none)"
            self.count += 1
            self.seconds += took
            self.by_statement[sql.split(None, 1)[0].upper()] += 1
            self.by_table[table] += 1
            self.table_seconds[table] += took


def count_queries(kind: str, pool: list[int]) -> dict[str, Any]:
    """The queries one more request runs (outside the timed runs): how many, their time, by statement and table."""
    from django.db import connection

    from trustdesk.registry.models import Person

    pk = pool.pop()
    person = Person.objects.get(pk=pk)
    log = QueryLog()
    with connection.execute_wrapper(log):
        took, _, request = fulfil_one(kind, person)
    check(kind, request, pk)
    return {
        "queries": log.count,
        "sql_ms": log.seconds * 1000,
        "total_ms": took * 1000,
        "by_statement": dict(log.by_statement.most_common()),
        "by_table": {
            table: {"queries": n, "ms": log.table_seconds[table] * 1000}
            for table, n in log.by_table.most_common(15)
        },
    }


def profile(kind: str, pool: list[int], runs: int) -> list[dict[str, Any]]:
    """cProfile over ``runs`` more requests: the functions of Trustdesk and Django with the most cumulative time."""
    from trustdesk.registry.models import Person

    profiler = cProfile.Profile()
    for _ in range(runs):
        pk = pool.pop()
        person = Person.objects.get(pk=pk)
        profiler.enable()
        _, _, request = fulfil_one(kind, person)
        profiler.disable()
        check(kind, request, pk)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (filename, line, function), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "/trustdesk/" not in filename and "psycopg" not in filename and "django/template" not in filename:
            continue
        where = filename.split("/site-packages/")[-1].split(str(ROOT) + "/")[-1]
        rows.append(
            {
                "function": f"{where}:{line}({function})",
                "calls_per_request": calls / runs,
                "cumulative_ms_per_request": cumtime * 1000 / runs,
                "own_ms_per_request": tottime * 1000 / runs,
            }
        )
    rows.sort(key=lambda r: -r["cumulative_ms_per_request"])
    return rows[:30]


# --- the command -----------------------------------------------------------------------------------


def check_url(url: str) -> tuple[str, str, str]:
    url, name, maintenance = registry_bench.database_url(url)
    if name == "trustdesk_bench":
        sys.exit("DATABASE_URL names trustdesk_bench, the registry benchmark's database: choose another name")
    return url, name, maintenance


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organisations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each kind (default 20)")
    parser.add_argument(
        "--profile-runs",
        type=int,
        default=3,
        help="more runs of each kind under cProfile (default 3; 0: none)",
    )
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument(
        "--timeout", type=int, default=3600, help="stop after this many seconds (default 3600)"
    )
    parser.add_argument("--json", type=Path, help="where to write the results")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure on the database a --keep run left, without building it"
    )
    args = parser.parse_args(argv)
    if args.organisations < 1 or args.runs < 1 or args.profile_runs < 0:
        parser.error("--organisations and --runs are at least 1, --profile-runs at least 0")
    url, name, maintenance = check_url(os.environ.get("DATABASE_URL", DEFAULT_URL))
    out = args.json or ROOT / "benchmarks" / "results" / f"rights-{args.organisations}.json"

    def expire(signum: int, frame: Any) -> None:
        raise registry_bench.Deadline(f"stopped after {args.timeout} s (--timeout)")

    signal.signal(signal.SIGALRM, expire)
    signal.alarm(args.timeout)
    workdir = Path(tempfile.mkdtemp(prefix="trustdesk-rights-bench-"))
    registry_bench.set_up_environment(url, workdir)
    if not args.reuse:
        registry_bench.fresh_database(maintenance, name)
    started = time.perf_counter()
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        if not Path(settings.DATA_DIR).resolve().is_relative_to(workdir.resolve()):
            raise RuntimeError(f"DATA_DIR is {settings.DATA_DIR}, not under {workdir}")
        print(
            f"data-subject requests benchmark: {args.organisations:,} organisations, {args.runs} runs, "
            f"database {name}"
        )
        results: dict[str, Any] = {
            "benchmark": "rights",
            "command": " ".join(
                ["python", "benchmarks/rights.py", *(argv if argv is not None else sys.argv[1:])]
            ),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": registry_bench.machine(),
            "load_average_before": os.getloadavg(),
            "postgresql": connection.cursor().connection.info.server_version,
            "organisations": args.organisations,
            "runs": args.runs,
        }

        def save() -> None:  # after each measure, so that a stopped run keeps what it measured
            results["total_seconds"] = time.perf_counter() - started
            results["load_average_after"] = os.getloadavg()
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")

        if args.reuse:
            from trustdesk.registry.models import Organisation

            found = Organisation.objects.filter(external_ref__startswith="C").count()
            if found != args.organisations:
                raise RuntimeError(
                    f"--reuse: {name} holds {found:,} organisations, not {args.organisations:,}"
                )
            results["rows"] = registry_bench.row_counts()
            results["reused"] = True
        else:
            build_s, counts, related = registry_bench.migrate_and_build(args.organisations, args.seed)
            results.update(build_seconds=build_s, rows=counts, related_rows=related)
        results["policy"] = publish_policy()
        pool = private_customers()
        needed = 2 * (args.runs + 1 + args.profile_runs) + 6
        if len(pool) < needed:
            raise RuntimeError(f"{len(pool)} private customers, {needed} needed")
        random.Random(args.seed).shuffle(pool)
        results["private_customers"] = len(pool)
        print(f"  {len(pool):,} private customers to choose from; warming up")
        warm_up(pool)
        print(f"  (a) access and (b) erasure, {args.runs} runs each")
        results.update(measure(args.runs, pool))
        save()
        print("  counting queries")
        results["queries"] = {kind: count_queries(kind, pool) for kind in ("access", "erasure")}
        save()
        if args.profile_runs:
            print(f"  profiling, {args.profile_runs} runs each")
            results["profile"] = {
                kind: profile(kind, pool, args.profile_runs) for kind in ("access", "erasure")
            }
            save()
        print_table(results)
        print(f"\nresults: {out}")
        return 0
    except registry_bench.Deadline as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)
        if not args.keep:
            registry_bench.drop_database(maintenance, name)
        shutil.rmtree(workdir, ignore_errors=True)


def publish_policy() -> dict[str, Any]:
    from trustdesk.policy.services import do_publish_policy

    result = do_publish_policy(POLICY.read_text(encoding="utf-8"), POLICY.name, actor="operator:bench")
    return {
        "file": str(POLICY.relative_to(ROOT)),
        "version": result.version.number,
        "created": result.created,
    }


def print_table(r: dict[str, Any]) -> None:
    def yes(met: bool) -> str:
        return "met" if met else "NOT met"

    rows = [("measure", "median", "p95", "collect (same run)", "get by pk", "ratio", "target", "")]
    for kind, title in (("access", "(a) access request"), ("erasure", "(b) erasure request")):
        m = r[kind]
        rows.append(
            (
                title,
                f"{m['median_ms']:.0f} ms",
                f"{m['p95_ms']:.0f} ms",
                f"{m['reference_collect_median_ms']:.1f} ms",
                f"{m['reference_get_median_ms']:.2f} ms",
                f"{m['ratio_to_collect']:.1f}x collect",
                m["target"],
                f"median {yes(m['met_median'])}, p95 {yes(m['met_p95'])}",
            )
        )
    widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]))]
    print()
    for row in rows:
        print("  ".join(cell.ljust(widths[n]) for n, cell in enumerate(row)).rstrip())
    for kind in ("access", "erasure"):
        steps = ", ".join(f"{s} {v:.0f} ms" for s, v in r[kind]["steps_median_ms"].items())
        print(f"\n  {kind} steps (medians): {steps}")
        q = r.get("queries", {}).get(kind)
        if q:
            print(f"  {kind}: {q['queries']} queries, {q['sql_ms']:.0f} ms in SQL of {q['total_ms']:.0f} ms")


if __name__ == "__main__":
    sys.exit(main())
