"""``trustdesk run-periodic``: every periodic job that is due, under one lock, with a summary."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trustdesk.registry.services import Actor
from trustdesk.retention.clocks import RetentionError
from trustdesk.retention.jobs import JOBS, run_periodic
from trustdesk.retention.lock import LockHeld


class Command(BaseCommand):
    help = "Run every periodic job that is due: " + "; ".join(f"{j.name} ({j.what})" for j in JOBS) + "."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="run every job, due or not")
        parser.add_argument("--only", action="append", default=[], metavar="JOB", help="run only this job")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = run_periodic(actor=Actor.system(), force=options["force"], only=options["only"])
        except LockHeld as exc:
            raise CommandError(str(exc), returncode=1) from None
        except RetentionError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, sort_keys=True, default=str))
        else:
            for name, result in report.ran.items():
                self.stdout.write(
                    f"ran     {name:<20} {json.dumps(result, sort_keys=True, default=str)[:300]}"
                )
            for name, why in report.skipped.items():
                self.stdout.write(f"not due {name:<20} {why}")
            for name, why in report.failed.items():
                self.stderr.write(f"FAILED  {name:<20} {why}")
        if report.failed:
            raise CommandError(
                f"{len(report.failed)} periodic job(s) failed: {', '.join(report.failed)}", returncode=1
            )
