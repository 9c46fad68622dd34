"""``trustdesk retention plan|run|requests|confirm``: retention clocks, sweeps and recipient erasure requests."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from trustdesk.registry.services import Actor
from trustdesk.retention.clocks import RetentionError
from trustdesk.retention.lock import LockHeld
from trustdesk.retention.models import RecipientErasureRequest

USAGE = 2


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--until takes a day as YYYY-MM-DD, not {text[:20]!r}", returncode=USAGE
        ) from None


def _counts_lines(counts: dict[str, dict[str, dict[str, int]]], indent: str = "  ") -> list[str]:
    lines = []
    for purpose, by_model in sorted(counts.items()):
        for model, outcomes in sorted(by_model.items()):
            done = ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items()))
            lines.append(f"{indent}{purpose:<24} {model:<32} {done}")
    return lines


def _reasons_lines(reasons: dict[str, dict[str, int]], indent: str = "  ") -> list[str]:
    return [
        f"{indent}{model:<32} {n:>7}  {reason}"
        for model, by_reason in sorted(reasons.items())
        for reason, n in sorted(by_reason.items())
    ]


def _at(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value is not None else None


def _request_row(request: RecipientErasureRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "reference": request.reference,
        "organisation": request.organisation_id,
        "recipient": request.recipient,
        "event": request.event,
        "event_on": request.event_on.isoformat(),
        "channel": request.channel,
        "status": request.status,
        "sent_at": _at(request.sent_at),
        "last_sent_at": _at(request.last_sent_at),
        "reminders": request.reminders,
        "attempts": request.attempts,
        "last_error": request.last_error,
        "confirmed_at": _at(request.confirmed_at),
    }


class Command(BaseCommand):
    help = "Retention: what is due (plan), doing it (run), and the deletion requests sent to recipients."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        plan = sub.add_parser(
            "plan", help="what would be deleted or pseudonymised now and on each coming day"
        )
        plan.add_argument(
            "--until", help="show what becomes due up to this day (YYYY-MM-DD; default: a year)"
        )
        plan.add_argument("--json", action="store_true")
        run = sub.add_parser("run", help="delete, pseudonymise or anonymise what is due, in batches")
        run.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")
        run.add_argument("--batch-size", type=int, default=500, help="records per transaction (default 500)")
        run.add_argument("--json", action="store_true")
        requests = sub.add_parser("requests", help="list the deletion requests sent to recipients")
        requests.add_argument("--open", action="store_true", help="only those not confirmed")
        requests.add_argument("--json", action="store_true")
        confirm = sub.add_parser("confirm", help="record that a recipient confirmed a deletion")
        confirm.add_argument("id", help="the request's id (RER-12 or 12)")
        confirm.add_argument("--note", default="", help="how it was confirmed (a message id)")
        confirm.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.command_line()
        try:
            getattr(self, f"_{options['action']}")(actor, options)
        except LockHeld as exc:
            raise CommandError(str(exc), returncode=1) from None
        except RetentionError as exc:
            raise CommandError(str(exc), returncode=USAGE) from None

    def _plan(self, actor: Actor, options: dict[str, Any]) -> None:
        from trustdesk.retention.sweep import make_plan

        until = _day(options["until"]) if options["until"] else None
        plan = make_plan(until=until).as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(plan, indent=2, sort_keys=True))
            return
        lines = [f"Due now ({plan['today']}):"]
        lines += _counts_lines(plan["now"]) or ["  nothing"]
        lines.append(f"Coming, up to {plan['until']}:")
        for day in plan["coming"]:
            lines.append(f" {day['on']}")
            lines += _counts_lines(day["counts"], "  ")
        if not plan["coming"]:
            lines.append("  nothing")
        lines.append("Never touched (no retention applies):")
        lines += _reasons_lines(plan["untouched"]) or ["  nothing"]
        lines.append("Waiting for their start event:")
        lines += _reasons_lines(plan["waiting"]) or ["  nothing"]
        self.stdout.write("\n".join(lines))

    def _run(self, actor: Actor, options: dict[str, Any]) -> None:
        from trustdesk.retention.jobs import run_retention

        if options["batch_size"] < 1:
            raise CommandError(
                f"--batch-size must be at least 1, not {options['batch_size']}", returncode=USAGE
            )
        report = run_retention(actor=actor, batch_size=options["batch_size"], dry_run=options["dry_run"])
        data = report.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2, sort_keys=True))
            return
        verb = "Would treat" if report.dry_run else "Treated"
        lines = [f"{verb} {report.total()} records ({report.people_erased} people erased whole):"]
        lines += _counts_lines(report.counts) or ["  nothing was due"]
        if not report.dry_run:
            lines.append(
                f"{report.batches} batches, {report.journal_payloads_erased} journal payloads erased; "
                f"run {report.run} is in the journal"
            )
            exits = report.exits
            lines.append(
                f"Recipient erasure requests: {exits.get('created', 0)} opened, {exits.get('sent', 0)} sent, "
                f"{exits.get('reminded', 0)} reminded, {exits.get('failed', 0)} failed"
            )
            if report.weblogs is not None:
                lines.append(f"Web access logs: {json.dumps(report.weblogs, sort_keys=True, default=str)}")
        if report.untouched:
            lines.append("Never touched (no retention applies):")
            lines += _reasons_lines(report.untouched)
        self.stdout.write("\n".join(lines))

    def _requests(self, actor: Actor, options: dict[str, Any]) -> None:
        from trustdesk.retention.models import ErasureStatus

        queryset = RecipientErasureRequest.objects.order_by("pk")
        if options["open"]:
            queryset = queryset.exclude(status=ErasureStatus.CONFIRMED)
        rows = [_request_row(r) for r in queryset]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No recipient erasure requests.")
        for row in rows:
            self.stdout.write(
                f"{row['reference']:<9} organisation {row['organisation']:<6} {row['recipient']:<24} "
                f"{row['status']:<9} sent {row['sent_at'] or '-'}  reminders {row['reminders']}"
                + (f"  ({row['last_error']})" if row["last_error"] else "")
            )

    def _confirm(self, actor: Actor, options: dict[str, Any]) -> None:
        from trustdesk.retention.exits import do_confirm_erasure_request

        text = options["id"].strip().upper().removeprefix("RER-")
        if not text.isdigit():
            raise CommandError(
                f"{options['id'][:20]!r} is not a request id such as RER-12 or 12", returncode=USAGE
            )
        request = do_confirm_erasure_request(int(text), actor=actor, note=options["note"])
        if options["json"]:
            self.stdout.write(json.dumps(_request_row(request), indent=2))
        else:
            self.stdout.write(f"{request.reference} confirmed.")
