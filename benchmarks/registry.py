"""Benchmark of the registry on PostgreSQL: collecting one person's data, importing, verifying the journal.

    .venv/bin/python benchmarks/registry.py --organisations 100000 --runs 5
    .venv/bin/python benchmarks/registry.py --organisations 1000 --runs 5      # a quick check

Creates the database named in DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/trustdesk_bench; the name must contain "bench" and the
host must be 127.0.0.1, because the database is dropped first and at the end), migrates it, and
builds a registry of N organisations with about 12 related rows each (people, roles, services,
identifiers, invoices and their lines, interactions, disclosures), each record with its history
copy and its journal entry. The build uses bulk inserts; the journal is written as the same
hash chain ``trustdesk.journal.services.record`` writes (``trustdesk.journal.chain``), with
payloads where the services write them, through COPY (faster still than ``record_many``).

Then it measures, each a median of ``--runs`` runs, next to a reference measured in the same run:

(a) collecting one person's data (``trustdesk.registry.datamap_ops.collect``) for a sample of
    people; reference: reading the same person by primary key;
(b) importing ``--import-rows`` organisations through ``trustdesk import organisations FILE.csv``
    when ``trustdesk.registry.imports`` exists, else through ``do_upsert`` in batches of 1,000
    (one transaction each); reference: a bare ``bulk_create`` of the same rows;
(c) verifying the whole journal (``trustdesk.journal.verify.verify``); reference: hashing as
    many SHA-256 digests of entry-sized messages in Python.

Prints a table and writes JSON (``--json``, default benchmarks/results/registry-N.json). Stops by
itself after ``--timeout`` seconds (default 3600) and drops the database unless ``--keep``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import importlib.util
import io
import json
import os
import platform
import random
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/trustdesk_bench"
#: Organisations built per chunk: bounded memory whatever the size.
CHUNK = 5000

FIRST = [
    "Anna",
    "Bram",
    "Chris",
    "Daan",
    "Eva",
    "Fleur",
    "Gijs",
    "Hanna",
    "Ilse",
    "Jan",
    "Kees",
    "Lotte",
    "Maarten",
    "Noor",
    "Olivia",
    "Pieter",
    "Roos",
    "Sem",
    "Tess",
    "Wout",
]
LAST = [
    "de Vries",
    "Jansen",
    "Peeters",
    "Smith",
    "Bakker",
    "Maes",
    "Janssens",
    "Visser",
    "Jones",
    "Mulder",
    "de Boer",
    "Taylor",
    "Claes",
    "Smit",
    "Brown",
]
CITIES = {
    "NL": ("Utrecht", "Amsterdam", "Zwolle"),
    "BE": ("Gent", "Antwerpen", "Leuven"),
    "GB": ("Leeds", "Bristol", "York"),
}
TLD = {"NL": "nl", "BE": "be", "GB": "co.uk"}


# --- set-up ----------------------------------------------------------------------------------------


def database_url(url: str) -> tuple[str, str, str]:
    """(url, name, maintenance url) after checking the host and the name: this database is dropped."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        sys.exit(f"DATABASE_URL {url!r}: the benchmark runs on PostgreSQL (postgresql://...)")
    if parts.hostname != "127.0.0.1":
        sys.exit(f"DATABASE_URL {url!r}: the benchmark only uses a server on 127.0.0.1")
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"DATABASE_URL {url!r}: the database is dropped, so its name must contain 'bench'")
    return url, name, urlunsplit(parts._replace(path="/postgres"))


def admin(maintenance_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(statement.encode())


def set_up_environment(url: str, workdir: Path) -> None:
    """The settings the benchmark runs with: its database, a fresh data directory, no policy file."""
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="trustdesk.settings",
        TRUSTDESK_DATA_DIR=str(workdir / "data"),
        TRUSTDESK_SECRET_KEY=secrets.token_urlsafe(64),
    )
    os.environ.pop("TRUSTDESK_POLICY", None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def in_process_settings(workdir: Path, url: str | None = None) -> None:
    """The settings of a benchmark that runs the application in its own process: a fresh data directory,
    SQLite there unless ``url`` names a database, no policy file, HTTPS or debug from the caller's shell."""
    for variable in ("DATABASE_URL", "TRUSTDESK_POLICY", "TRUSTDESK_HTTPS", "TRUSTDESK_DEBUG"):
        os.environ.pop(variable, None)
    os.environ.update(
        TRUSTDESK_DATA_DIR=str(workdir / "data"),
        TRUSTDESK_SECRET_KEY=secrets.token_urlsafe(64),
        TRUSTDESK_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="trustdesk.settings",
    )
    if url:
        os.environ["DATABASE_URL"] = url


def stop_after(seconds: int) -> None:
    """End the benchmark with a clear line once ``seconds`` have passed (``--timeout``): it stops by itself."""

    def expire(signum: int, frame: Any) -> None:
        raise SystemExit(f"stopped after {seconds} seconds (--timeout)")

    signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)


def write_result(result: dict[str, Any], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written to {output}")


def fresh_database(maintenance_url: str, name: str) -> None:
    """Drop the benchmark's database if it is there and create it empty."""
    admin(maintenance_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(maintenance_url, f'CREATE DATABASE "{name}"')


def drop_database(maintenance_url: str, name: str) -> None:
    """Close Django's connections (when it is set up) and drop the benchmark's database."""
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: S110  (django may not be set up yet)
        pass
    admin(maintenance_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine() -> dict[str, Any]:
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


@contextmanager
def step(title: str) -> Iterator[None]:
    print(f"  {title} ...", end="", flush=True)
    start = time.perf_counter()
    yield
    print(f" {time.perf_counter() - start:.1f} s", flush=True)


# --- the build -------------------------------------------------------------------------------------


class Journal:
    """Appends entries with the recipe of ``services.record``, written with COPY in batches."""

    FIELDS = (
        "seq",
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "payload",
        "payload_salt",
        "payload_digest",
        "prev_hash",
        "hash",
    )

    def __init__(self) -> None:
        from trustdesk.journal.chain import GENESIS

        self.seq = 0
        self.hash = GENESIS
        self.at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
        self.rows: list[tuple[Any, ...]] = []
        self.rng = random.Random(7)

    def add(self, objects: list[Any], payload: Callable[[Any], dict[str, Any]] | None = None) -> None:
        from trustdesk.journal.chain import canonical_json, entry_hash, payload_digest

        if not objects:
            return
        meta = objects[0]._meta
        label = f"{meta.app_label}.{meta.model_name}"
        for obj in objects:
            self.seq += 1
            self.at += dt.timedelta(milliseconds=self.rng.randint(1, 500))
            data = payload(obj) if payload else None
            salt = secrets.token_hex(16) if data is not None else None
            digest = payload_digest(salt, data) if salt is not None and data is not None else ""
            action, object_id, prev = f"{label}.created", str(obj.pk), self.hash
            self.hash = entry_hash(
                self.seq, self.at, "operator:bench", action, label, object_id, digest, prev
            )
            self.rows.append(
                (
                    self.seq,
                    self.at,
                    "operator:bench",
                    action,
                    label,
                    object_id,
                    canonical_json(data).decode() if data is not None else None,
                    salt,
                    digest,
                    prev,
                    self.hash,
                )
            )
        if len(self.rows) >= 50_000:
            self.flush()

    def flush(self) -> None:
        from django.db import connection

        if not self.rows:
            return
        with connection.cursor() as cursor:
            columns = ", ".join(self.FIELDS)
            with cursor.copy(f"COPY journal_journalentry ({columns}) FROM STDIN") as copy:
                for row in self.rows:
                    copy.write_row(row)
        self.rows = []

    def close(self) -> None:
        from trustdesk.journal.models import HEAD_ID, JournalHead

        self.flush()
        JournalHead.objects.update_or_create(
            pk=HEAD_ID, defaults={"seq": self.seq, "hash": self.hash, "at": self.at}
        )


def changed(fields: tuple[str, ...]) -> Callable[[Any], dict[str, Any]]:
    """The payload ``do_create`` writes: the personal fields that were set."""

    def payload(obj: Any) -> dict[str, Any]:
        values = {name: getattr(obj, name) for name in fields}
        return {"changed": {name: [None, value] for name, value in values.items() if value not in (None, "")}}

    return payload


def build(organisations: int, seed: int) -> dict[str, int]:
    """Bulk-insert the registry, its history copies and its journal; returns the row counts."""
    from django.db import transaction
    from simple_history.utils import bulk_create_with_history

    from trustdesk.registry.models import (
        Disclosure,
        Interaction,
        Invoice,
        InvoiceLine,
        Organisation,
        Person,
        Role,
        Service,
        ServiceIdentifier,
    )

    rng = random.Random(seed)
    journal = Journal()
    today = dt.date(2025, 6, 30)
    invoice_no = 0

    def insert(
        model: Any, objects: list[Any], payload: Callable[[Any], dict[str, Any]] | None = None
    ) -> list[Any]:
        if hasattr(model, "history"):
            made = bulk_create_with_history(objects, model, batch_size=2000, default_change_reason="created")
        else:
            made = model.objects.bulk_create(objects, batch_size=2000)
        journal.add(made, payload)
        return made

    for start in range(0, organisations, CHUNK):
        with transaction.atomic():
            size = min(CHUNK, organisations - start)
            orgs = []
            for i in range(start, start + size):
                country = rng.choice(("NL", "NL", "BE", "GB"))
                company = rng.random() < 0.65
                first, last = rng.choice(FIRST), rng.choice(LAST)
                name = f"{last} Hosting Klant {i}" if company else f"{first} {last}"
                orgs.append(
                    Organisation(
                        external_ref=f"C{i}",
                        kind="company" if company else "private",
                        name=name,
                        street=f"Dorpsstraat {i % 300 + 1}",
                        postal_code=f"{1000 + i % 8999}",
                        city=rng.choice(CITIES[country]),
                        country=country,
                        email=f"info{i}@example.{TLD[country]}",
                        phone=f"+31 30 {i % 10_000_000:07d}",
                        source_kind="organisation",
                        channel="website",
                    )
                )
            orgs = insert(
                Organisation, orgs, changed(("name", "street", "postal_code", "city", "email", "phone"))
            )
            people, owners = [], []
            for org in orgs:
                for n in range(rng.choice((1, 2))):
                    first, last = rng.choice(FIRST), rng.choice(LAST)
                    people.append(
                        Person(
                            external_ref=f"P{org.pk}-{n}",
                            first_name=first,
                            last_name=last,
                            email=f"{first.lower()}.{org.pk}.{n}@example.com",
                            phone=f"+31 6 {rng.randint(10_000_000, 99_999_999)}",
                            city=org.city,
                            country=org.country,
                            language="en" if org.country == "GB" else "nl",
                            channel="portal",
                        )
                    )
                    owners.append((org, n))
            people = insert(Person, people, changed(("first_name", "last_name", "email", "phone", "city")))
            roles = []
            for person, (org, n) in zip(people, owners, strict=True):
                roles.append(Role(organisation=org, person=person, kind="owner" if n == 0 else "billing"))
                roles.append(Role(organisation=org, person=person, kind="billing" if n == 0 else "technical"))
            insert(Role, roles)
            services = []
            for org in orgs:
                begun = today - dt.timedelta(days=rng.randint(30, 2000))
                domain = f"klant{org.pk}.{TLD[org.country]}"
                services.append(
                    Service(organisation=org, kind="domain", label=domain, starts_on=begun, channel="portal")
                )
                services.append(
                    Service(
                        organisation=org,
                        kind="web_hosting",
                        label=f"Webhosting ({domain})",
                        starts_on=begun,
                        channel="portal",
                    )
                )
            services = insert(Service, services, changed(("label",)))
            identifiers, disclosures = [], []
            for svc in services:
                at = dt.datetime.combine(svc.starts_on or today, dt.time(12), dt.UTC)  # every one has a start
                if svc.kind == "domain":
                    identifiers.append(
                        ServiceIdentifier(
                            service=svc,
                            kind="domain",
                            value=svc.label,
                            assigned_from=at,
                            source_kind="observed",
                        )
                    )
                    disclosures.append(
                        Disclosure(
                            service=svc,
                            organisation_id=svc.organisation_id,
                            recipient="domain_registry",
                            disclosed_at=at,
                            categories=["user.name", "user.contact.address", "user.contact.email"],
                            public=True,
                            source_kind="organisation",
                        )
                    )
                else:
                    address = f"10.{svc.pk >> 16 & 255}.{svc.pk >> 8 & 255}.{svc.pk & 255}"
                    identifiers.append(
                        ServiceIdentifier(
                            service=svc,
                            kind="ip_address",
                            value=address,
                            assigned_from=at,
                            source_kind="observed",
                        )
                    )
            insert(ServiceIdentifier, identifiers, changed(("value",)))
            insert(Disclosure, disclosures)
            invoices, interactions = [], []
            for org in orgs:
                invoice_no += 1
                invoices.append(
                    Invoice(
                        organisation=org,
                        number=f"B{invoice_no:08d}",
                        issued_on=dt.date(2025, 4, 1),
                        fiscal_year_end=dt.date(2025, 12, 31),
                        total=Decimal("44.85"),
                        billing_name=org.name,
                        billing_address=f"{org.street}\n{org.postal_code} {org.city}",
                        source_kind="organisation",
                    )
                )
                if rng.random() < 0.5:
                    interactions.append(
                        Interaction(
                            organisation=org,
                            direction="in",
                            occurred_at=dt.datetime(2025, 3, 3, 10, tzinfo=dt.UTC),
                            subject="Vraag over factuur",
                            summary="Uitgelegd dat het extra dataverkeer betreft.",
                            channel=rng.choice(("phone", "email", "letter")),
                        )
                    )
            invoices = insert(Invoice, invoices, changed(("billing_name", "billing_address")))
            lines = []
            for invoice, svc_pair in zip(
                invoices, zip(services[::2], services[1::2], strict=True), strict=True
            ):
                lines.append(
                    InvoiceLine(
                        invoice=invoice,
                        service=svc_pair[0],
                        description="Domeinnaam: een jaar",
                        quantity=1,
                        unit_price=Decimal("15.00"),
                    )
                )
                lines.append(
                    InvoiceLine(
                        invoice=invoice,
                        service=svc_pair[1],
                        description="Webhosting: drie maanden",
                        quantity=3,
                        unit_price=Decimal("9.95"),
                    )
                )
            InvoiceLine.objects.bulk_create(lines, batch_size=2000)  # covered by their invoice's entry
            insert(Interaction, interactions, changed(("subject", "summary")))
            journal.flush()
        done = start + size
        if done % 50_000 == 0 or done == organisations:
            print(f"    {done:,} organisations", flush=True)
    with transaction.atomic():
        journal.close()
    return row_counts()


def migrate_and_build(organisations: int, seed: int) -> tuple[float, dict[str, int], int]:
    """Migrate the empty database, build the registry and analyse it; (build seconds, row counts, related rows).

    Django must be set up on the benchmark's database (``set_up_environment``, ``fresh_database``).
    """
    from django.core.management import call_command
    from django.db import connection

    with step("migrating"):
        call_command("migrate", interactive=False, verbosity=0)
    print("  building")
    build_s, counts = timed(lambda: build(organisations, seed))
    with step("VACUUM ANALYZE"), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    related = sum(
        v for k, v in counts.items() if k not in ("organisation", "journalentry", "history copies (estimate)")
    )
    print(
        f"  built in {build_s:.0f} s: {counts['organisation']:,} organisations, {related:,} related rows, "
        f"{counts['journalentry']:,} journal entries, {counts['history copies (estimate)']:,} history copies"
    )
    return build_s, counts, related


def row_counts() -> dict[str, int]:
    from django.db import connection

    tables = [
        "registry_organisation",
        "registry_person",
        "registry_role",
        "registry_service",
        "registry_serviceidentifier",
        "registry_invoice",
        "registry_invoiceline",
        "registry_interaction",
        "registry_disclosure",
        "journal_journalentry",
    ]
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608  (fixed names)
            counts[table.split("_", 1)[1]] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT coalesce(sum(n_live_tup), 0) FROM pg_stat_user_tables WHERE relname LIKE 'registry_historical%%'"
        )
        counts["history copies (estimate)"] = int(cursor.fetchone()[0])
    return counts


# --- the measurements ------------------------------------------------------------------------------


def measure_collect(runs: int, per_run: int, seed: int) -> dict[str, Any]:
    from trustdesk.registry.models import Person

    if importlib.util.find_spec("trustdesk.registry.datamap_ops") is None:
        return {"measurable": False, "reason": "trustdesk.registry.datamap_ops does not exist yet"}
    from trustdesk.registry import datamap_ops

    collect = getattr(datamap_ops, "collect", None)
    if collect is None:
        return {"measurable": False, "reason": "trustdesk.registry.datamap_ops has no collect() yet"}
    rng = random.Random(seed)
    pks = list(Person.objects.values_list("pk", flat=True))
    collect(Person.objects.get(pk=pks[0]))  # warm the caches of the data map
    run_medians, run_refs, worst, records = [], [], 0.0, []
    for _ in range(runs):
        times, refs = [], []
        for pk in rng.sample(pks, min(per_run, len(pks))):
            ref_s, person = timed(partial(Person.objects.get, pk=pk))
            took, found = timed(partial(collect, person))
            times.append(took)
            refs.append(ref_s)
            records.append(sum(len(rows) for rows in found.get("records", {}).values()))
        run_medians.append(statistics.median(times))
        run_refs.append(statistics.median(refs))
        worst = max(worst, max(times))
    median, ref = statistics.median(run_medians), statistics.median(run_refs)
    return {
        "measurable": True,
        "people_per_run": per_run,
        "median_ms": median * 1000,
        "runs_ms": [t * 1000 for t in run_medians],
        "slowest_ms": worst * 1000,
        "records_per_person_median": statistics.median(records),
        "reference": "Person.objects.get(pk=...) of the same people",
        "reference_ms": ref * 1000,
        "ratio": median / ref,
        "target": "under 50 ms",
        "met": median * 1000 < 50,
    }


def import_rows(prefix: str, count: int) -> list[dict[str, str]]:
    return [
        {
            "external_ref": f"{prefix}-{i}",
            "kind": "company",
            "name": f"Importklant {prefix} {i} B.V.",
            "street": f"Havenweg {i % 500 + 1}",
            "postal_code": f"{1000 + i % 8999} AB",
            "city": "Rotterdam",
            "country": "NL",
            "email": f"administratie{i}@{prefix}.example.nl",
            "phone": f"+31 10 {i:07d}",
        }
        for i in range(count)
    ]


def import_through_command(rows: list[dict[str, str]], workdir: Path) -> None:
    from django.core.management import call_command

    path = workdir / "organisations.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    call_command("import", "organisations", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def import_through_upsert(rows: list[dict[str, str]]) -> None:
    from django.db import transaction

    from trustdesk.registry.models import Organisation
    from trustdesk.registry.services import Actor, do_upsert

    actor = Actor.operator("bench")
    for start in range(0, len(rows), 1000):
        with transaction.atomic():
            for row in rows[start : start + 1000]:
                data = {k: v for k, v in row.items() if k != "external_ref"}
                do_upsert(Organisation, row["external_ref"], data | {"channel": "import"}, actor=actor)


def measure_import(runs: int, count: int, workdir: Path) -> dict[str, Any]:
    from trustdesk.registry.models import Organisation

    has_imports = importlib.util.find_spec("trustdesk.registry.imports") is not None
    path = "trustdesk import organisations FILE.csv" if has_imports else "do_upsert in batches of 1,000"
    rates, refs, notes = [], [], []
    for run in range(runs):
        rows = import_rows(f"imp{run}", count)
        took: float | None = None
        if has_imports:
            try:
                took, _ = timed(partial(import_through_command, rows, workdir))
            except Exception as exc:  # the path is being written; report it and fall back
                notes.append(f"run {run + 1}: the import command failed ({type(exc).__name__}: {exc})")
            imported = Organisation.objects.filter(external_ref__startswith=f"imp{run}-").count()
            if took is not None and imported != count:
                notes.append(f"run {run + 1}: the import command created {imported} of {count} rows")
                took = None
            if took is None:
                has_imports, path = (
                    False,
                    "do_upsert in batches of 1,000 (the import command did not import the file)",
                )
        if took is None:
            took, _ = timed(partial(import_through_upsert, rows))
        rates.append(count / took)
        bare = [
            Organisation(**(row | {"external_ref": f"bulk-{row['external_ref']}"}))
            for row in import_rows(f"ref{run}", count)
        ]
        ref_s, _ = timed(partial(Organisation.objects.bulk_create, bare, batch_size=1000))
        refs.append(count / ref_s)
        print(f"    run {run + 1}: {rates[-1]:,.0f} rows/s (bulk_create {refs[-1]:,.0f} rows/s)", flush=True)
    median, ref = statistics.median(rates), statistics.median(refs)
    return {
        "measurable": True,
        "path": path,
        "rows_per_run": count,
        "median_rows_per_s": median,
        "runs_rows_per_s": rates,
        "reference": "Organisation.objects.bulk_create of the same rows (batches of 1,000)",
        "reference_rows_per_s": ref,
        "ratio": median / ref,
        "target": "over 5,000 rows/s",
        "met": median > 5000,
        "notes": notes,
    }


def measure_verify(runs: int) -> dict[str, Any]:
    from trustdesk.journal.models import JournalEntry
    from trustdesk.journal.verify import verify

    entries = JournalEntry.objects.count()
    message = (
        b'[1234567,"2025-03-05T14:07:09.120000Z","operator:bench","registry.person.created",'
        + (b"x" * 120)
        + b"]"
    )
    rates, refs, ok = [], [], True
    for _ in range(runs):
        took, result = timed(verify)
        ok = ok and result.ok and result.checked == entries
        rates.append(entries / took)

        def hash_all() -> None:
            for n in range(entries):
                hashlib.sha256(message + n.to_bytes(8)).hexdigest()

        ref_s, _ = timed(hash_all)
        refs.append(entries / ref_s)
        print(f"    run: {rates[-1]:,.0f} entries/s (sha256 {refs[-1]:,.0f}/s)", flush=True)
    median, ref = statistics.median(rates), statistics.median(refs)
    return {
        "measurable": True,
        "entries": entries,
        "intact": ok,
        "median_entries_per_s": median,
        "runs_entries_per_s": rates,
        "reference": "hashlib.sha256(...).hexdigest() of as many entry-sized messages",
        "reference_per_s": ref,
        "ratio": median / ref,
        "target": "over 100,000 entries/s",
        "met": ok and median > 100_000,
    }


# --- the command -----------------------------------------------------------------------------------


class Deadline(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organisations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--import-rows", type=int, help="rows per import run (default: organisations, at most 100,000)"
    )
    parser.add_argument(
        "--people-per-run", type=int, default=20, help="people collected per run (default 20)"
    )
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument(
        "--timeout", type=int, default=3600, help="stop after this many seconds (default 3600)"
    )
    parser.add_argument("--json", type=Path, help="where to write the results")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    if args.organisations < 1 or args.runs < 1:
        parser.error("--organisations and --runs are at least 1")
    url, name, maintenance = database_url(os.environ.get("DATABASE_URL", DEFAULT_URL))
    import_count = args.import_rows or min(args.organisations, 100_000)
    out = args.json or ROOT / "benchmarks" / "results" / f"registry-{args.organisations}.json"

    def expire(signum: int, frame: Any) -> None:
        raise Deadline(f"stopped after {args.timeout} s (--timeout)")

    signal.signal(signal.SIGALRM, expire)
    signal.alarm(args.timeout)
    workdir = Path(tempfile.mkdtemp(prefix="trustdesk-bench-"))
    set_up_environment(url, workdir)
    fresh_database(maintenance, name)
    started = time.perf_counter()
    try:
        import django

        django.setup()
        from django.db import connection

        print(f"registry benchmark: {args.organisations:,} organisations, {args.runs} runs, database {name}")
        build_s, counts, related = migrate_and_build(args.organisations, args.seed)
        results: dict[str, Any] = {
            "benchmark": "registry",
            "command": " ".join(
                ["python", "benchmarks/registry.py", *(argv if argv is not None else sys.argv[1:])]
            ),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "postgresql": connection.cursor().connection.info.server_version,
            "organisations": args.organisations,
            "runs": args.runs,
            "build_seconds": build_s,
            "rows": counts,
            "related_rows": related,
        }

        def save() -> None:  # after each measure, so that a stopped run keeps what it measured
            results["total_seconds"] = time.perf_counter() - started
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")

        print("  (a) collecting one person's data")
        results["collect"] = measure_collect(args.runs, args.people_per_run, args.seed)
        save()
        print("  (c) verifying the journal")
        results["verify"] = measure_verify(args.runs)
        save()
        print(f"  (b) importing {import_count:,} rows per run")
        results["import"] = measure_import(args.runs, import_count, workdir)
        save()
        print_table(results)
        print(f"\nresults: {out}")
        return 0
    except Deadline as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)
        if not args.keep:
            drop_database(maintenance, name)


def print_table(r: dict[str, Any]) -> None:
    def yes(met: bool) -> str:
        return "met" if met else "NOT met"

    rows = [("measure", "median", "reference (same run)", "ratio", "target", "")]
    c = r["collect"]
    if c["measurable"]:
        rows.append(
            (
                "(a) collect one person's data",
                f"{c['median_ms']:.1f} ms",
                f"{c['reference_ms']:.2f} ms get by pk",
                f"{c['ratio']:.0f}x",
                c["target"],
                yes(c["met"]),
            )
        )
    else:
        rows.append(("(a) collect one person's data", "not measurable", c["reason"], "", "under 50 ms", ""))
    i = r["import"]
    rows.append(
        (
            f"(b) import ({i['path'].split(' (')[0]})",
            f"{i['median_rows_per_s']:,.0f} rows/s",
            f"{i['reference_rows_per_s']:,.0f} rows/s bulk_create",
            f"{i['ratio']:.3f}",
            i["target"],
            yes(i["met"]),
        )
    )
    v = r["verify"]
    rows.append(
        (
            "(c) verify the journal",
            f"{v['median_entries_per_s']:,.0f} entries/s",
            f"{v['reference_per_s']:,.0f} sha256/s",
            f"{v['ratio']:.3f}",
            v["target"],
            yes(v["met"]),
        )
    )
    widths = [max(len(row[n]) for row in rows) for n in range(6)]
    print()
    for row in rows:
        print("  ".join(cell.ljust(widths[n]) for n, cell in enumerate(row)).rstrip())


if __name__ == "__main__":
    sys.exit(main())
