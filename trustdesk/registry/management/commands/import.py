"""``trustdesk import organisations|people|services|invoices FILE``: upsert a billing system's export.

Exit status: 0 when every row was imported (or was unchanged), 1 when any row was rejected,
2 when the file was refused as a whole (nothing written). See ``docs/import.md``.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trustdesk.registry.imports import SPECS, Options, Result, run_import
from trustdesk.registry.imports_read import FileRefused
from trustdesk.registry.models import Channel, SourceKind
from trustdesk.registry.services import Actor

#: How many rejects the human-readable output lists; --rejects FILE and --json give them all.
SHOWN_REJECTS = 50
PROGRESS_EVERY = 10_000


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ValueError(value)
    return int(value)


class Command(BaseCommand):
    help = (
        "Import organisations, people, services or invoices from a CSV or JSON file: upsert by "
        "external_ref, reject bad rows with their row number, field and reason. See docs/import.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(SPECS), help="what the file holds")
        parser.add_argument("file", type=Path, help="a .csv or .json file")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument(
            "--purpose",
            help="a purpose of the policy in effect: refuse rows that lack a category it requires",
        )
        parser.add_argument(
            "--source-kind",
            choices=SourceKind.values,
            default=SourceKind.DATA_SUBJECT,
            help="where the data came from, for rows without a source_kind column (default data_subject)",
        )
        parser.add_argument(
            "--source-name",
            default="",
            help="the named third party or public register, for rows without source_name",
        )
        parser.add_argument(
            "--channel",
            choices=Channel.values,
            default=Channel.IMPORT,
            help="through which channel, for rows without a channel column (default import)",
        )
        parser.add_argument("--encoding", help="the file's encoding when it is not UTF-8, such as cp1252")
        parser.add_argument(
            "--rejects", type=Path, metavar="FILE", help="write the rejected rows to FILE as CSV"
        )
        parser.add_argument("--json", action="store_true", help="print the summary and rejects as JSON")
        parser.add_argument(
            "--batch-size", type=_positive, default=500, help="rows per transaction (default 500)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_json = options["json"]
        show_progress = not as_json and self.stderr.isatty()
        settings = Options(
            actor=Actor.command_line(),
            dry_run=options["dry_run"],
            purpose=options["purpose"],
            source_kind=options["source_kind"],
            source_name=options["source_name"],
            channel=options["channel"],
            encoding=options["encoding"],
            batch_size=options["batch_size"],
            progress=self._progress if show_progress else None,
        )
        self._next_progress = PROGRESS_EVERY
        try:
            result = run_import(options["kind"], options["file"], settings)
        except FileRefused as exc:
            if as_json:
                self.stdout.write(json.dumps({"file": str(options["file"]), "refused": str(exc)}, indent=2))
            else:
                self.stderr.write(f"{options['file']}: refused, nothing imported: {exc}")
            sys.exit(2)
        if options["rejects"]:
            self._write_rejects(options["rejects"], result)
        if as_json:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
        else:
            self._report(result, options["rejects"])
        if not result.ok:
            sys.exit(1)

    def _progress(self, done: int, total: int) -> None:
        if done >= self._next_progress or done == total:
            share = f" ({done * 100 // total}%)" if total else ""
            self.stderr.write(f"{done:,} of {total:,} rows{share}")
            while self._next_progress <= done:
                self._next_progress += PROGRESS_EVERY

    def _write_rejects(self, path: Path, result: Result) -> None:
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([result.label, "field", "reason"])
            for reject in result.rejects:
                writer.writerow([reject.row, reject.field, reject.reason])

    def _report(self, result: Result, rejects_file: Path | None) -> None:
        for reject in result.rejects[:SHOWN_REJECTS]:
            where = f"{result.label} {reject.row}" + (f", {reject.field}" if reject.field else "")
            self.stderr.write(f"{where}: {reject.reason}")
        hidden = len(result.rejects) - SHOWN_REJECTS
        if hidden > 0:
            more = f"see {rejects_file}" if rejects_file else "write them all with --rejects FILE"
            self.stderr.write(f"... and {hidden:,} more problems: {more}")
        rate = result.rows / result.seconds if result.seconds else 0.0
        self.stdout.write(
            f"{result.kind} from {result.file}: {result.created:,} created, {result.updated:,} updated, "
            f"{result.unchanged:,} unchanged, {result.rejected:,} rejected "
            f"({result.rows:,} rows in {result.seconds:.1f} s, {rate:,.0f} rows/s)"
        )
        if result.dry_run:
            self.stdout.write("dry run: nothing was written")
