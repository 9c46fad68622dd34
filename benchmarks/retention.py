"""Benchmark of the retention run: records treated per second, against Django deleting the same records.

    .venv/bin/python benchmarks/retention.py                     # 400 contacts, 25 interactions each, 5 runs
    .venv/bin/python benchmarks/retention.py --contacts 100 --runs 3   # a quick check

Builds one embedded SQLite database in a temporary data directory with ``tests/retention/seed.py`` (the
data of the kill test: the test policy with its support purpose, a company whose invoice keeps its
contacts for the books, each contact's old interactions, due for deletion one by one, and prospects gone
quiet, erased whole), then, for each run, copies it twice and measures in a new process:

- **the run**: ``trustdesk.retention.sweep.run`` with ``--batch-size`` (default 500, the command's),
  everything it does included: the plan, the people erased whole, the records deleted with their history
  copies, the journal's payloads about them erased, a journal entry per batch;
- **the reference**, on the second copy: Django deleting the same interactions and their history copies
  with two ``QuerySet.delete()`` calls in one transaction. Django still sends its signals for each row
  (and django-simple-history adds its copy of each deletion), so this is the least the ORM does to
  delete these rows; it plans nothing, erases no journal payload and erases no person.

Prints the median time of each over the runs, the records per second, and their ratio; writes JSON
(``--json``, default benchmarks/results/retention.json). Stops by itself after ``--timeout`` seconds
(default 1800) and removes its directory.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUSTDESK_", "DATABASE_URL"))}
    env.update(
        TRUSTDESK_DATA_DIR=str(data),
        TRUSTDESK_SECRET_KEY=env.get("BENCH_SECRET_KEY", ""),
        DJANGO_SETTINGS_MODULE="trustdesk.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


def _python(data: Path, *args: str, timeout: float) -> str:
    try:
        done = subprocess.run(  # noqa: S603  (this Python, our own command line)
            [sys.executable, *args],
            cwd=ROOT,
            env=_env(data),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SystemExit(f"stopped: {' '.join(args[:3])} ran out of time (--timeout)") from None
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def measure(what: str, batch_size: int) -> dict[str, Any]:
    """In a new process on its own copy: time the run or the reference; the records it treated."""
    import django

    django.setup()
    from django.db import transaction

    from trustdesk.registry.models import Interaction
    from trustdesk.registry.services import Actor
    from trustdesk.retention import sweep

    due = list(Interaction.objects.values_list("pk", flat=True))
    if what == "run":
        started = time.perf_counter()
        report = sweep.run(actor=Actor.operator("benchmark"), batch_size=batch_size)
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "records": report.total(), "people_erased": report.people_erased}
    history = Interaction.history.model
    started = time.perf_counter()
    with transaction.atomic():
        Interaction.objects.filter(pk__in=due).delete()
        history.objects.filter(id__in=due).delete()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "records": len(due)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=400, help="contacts of the company (default 400)")
    parser.add_argument("--interactions", type=int, default=25, help="old interactions each (default 25)")
    parser.add_argument("--prospects", type=int, default=40, help="prospects erased whole (default 40)")
    parser.add_argument("--runs", type=int, default=5, help="runs, each on fresh copies (default 5)")
    parser.add_argument("--batch-size", type=int, default=500, help="the run's batch size (default 500)")
    parser.add_argument("--timeout", type=int, default=1800, help="stop after this many seconds")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "retention.json")
    parser.add_argument("--measure", choices=("run", "reference"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.batch_size)))
        return

    deadline = time.monotonic() + args.timeout

    def left() -> float:
        """The seconds left before ``--timeout``; past it, the benchmark stops."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SystemExit(f"stopped after {args.timeout} s (--timeout)")
        return remaining

    os.environ["BENCH_SECRET_KEY"] = secrets.token_urlsafe(48)
    scratch = Path(tempfile.mkdtemp(prefix="retention-bench-"))
    try:
        seeded = scratch / "seeded"
        _python(seeded, "-m", "trustdesk.cli", "migrate", "-v", "0", timeout=left())
        _python(
            seeded,
            "-m",
            "tests.retention.seed",
            str(args.contacts),
            str(args.interactions),
            str(args.prospects),
            timeout=left(),
        )
        runs: list[dict[str, Any]] = []
        for n in range(args.runs):
            figures: dict[str, Any] = {}
            # The order alternates, so that neither always comes first after the copy.
            for what in ("run", "reference") if n % 2 == 0 else ("reference", "run"):
                copy = scratch / f"{what}-{n}"
                shutil.copytree(seeded, copy)
                out = _python(
                    copy,
                    str(Path(__file__).resolve()),
                    "--measure",
                    what,
                    "--batch-size",
                    str(args.batch_size),
                    timeout=left(),
                )
                figures[what] = json.loads(out.strip().splitlines()[-1])
                shutil.rmtree(copy)
            runs.append(figures)
            print(
                f"run {n + 1}: the run {figures['run']['seconds']:.2f} s for {figures['run']['records']} records,"
                f" the reference {figures['reference']['seconds']:.2f} s for"
                f" {figures['reference']['records']} interactions",
                flush=True,
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    run_s = statistics.median(r["run"]["seconds"] for r in runs)
    ref_s = statistics.median(r["reference"]["seconds"] for r in runs)
    records = runs[0]["run"]["records"]
    interactions = runs[0]["reference"]["records"]
    result = {
        "contacts": args.contacts,
        "interactions_each": args.interactions,
        "prospects": args.prospects,
        "batch_size": args.batch_size,
        "records": records,
        "people_erased": runs[0]["run"]["people_erased"],
        "run_seconds_median": round(run_s, 3),
        "run_records_per_second": round(records / run_s, 1),
        "reference_seconds_median": round(ref_s, 3),
        "reference_rows_per_second": round(interactions / ref_s, 1),
        "run_to_reference": round((records / run_s) / (interactions / ref_s), 3),
        "runs": runs,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        f"\nthe run: median {run_s:.2f} s, {records / run_s:,.0f} records/s"
        f" ({result['people_erased']} people erased whole)\n"
        f"the reference (QuerySet.delete of the interactions and their copies): median {ref_s:.2f} s,"
        f" {interactions / ref_s:,.0f} rows/s\n"
        f"ratio: {result['run_to_reference']}\nJSON: {args.json}"
    )


if __name__ == "__main__":
    main()
