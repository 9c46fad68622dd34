"""``trustdesk weblogs ingest|search|erase|expire|migrate``: the web access log store (docs/weblogs.md).

Exit status: 0 on success; 1 when ingest rejected lines (they are kept aside in the reject file);
2 when the request was refused as a whole (nothing was written).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from trustdesk.accounts.access import role_of
from trustdesk.accounts.models import Profile
from trustdesk.accounts.services import user_ref
from trustdesk.registry.services import Actor
from trustdesk.weblogs.formats import CHOICES
from trustdesk.weblogs.ingest import IngestRefused, IngestResult, ingest
from trustdesk.weblogs.migrate import migrate
from trustdesk.weblogs.services import SearchResult, erase_ip, expire, search, write_hits_csv
from trustdesk.weblogs.store import WeblogsError

PROGRESS_SECONDS = 0.5


def _officer(email: str) -> Actor:
    """The privacy officer whose account the search is made under (the journal names that account)."""
    user = get_user_model().objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None or role_of(user) != Profile.Role.PRIVACY_OFFICER:
        raise CommandError(
            "--officer: no active account with the privacy officer's role has this e-mail address "
            "(only a privacy officer may search the web logs)"
        )
    return Actor(ref=user_ref(user), user=user)


def _moment(text: str, *, end: bool) -> dt.datetime:
    """An ISO date or date-time; a date means its first (or, as an end, its last) moment; UTC if none given."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = dt.date.fromisoformat(value)
            moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
        else:
            moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"{text[:40]!r} is not an ISO date or date and time, such as 2026-11-30 or 2026-11-30T14:00:00Z"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


class Command(BaseCommand):
    help = (
        "Ingest, search, erase and expire web access logs (Apache and nginx); migrate a store of the "
        "earlier layout. See docs/weblogs.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="ingest|search|erase|expire|migrate"
        )

        ingest_p = actions.add_parser("ingest", help="read access logs into the store")
        ingest_p.add_argument(
            "files", nargs="+", metavar="FILE", help="log files, plain or gzip; - for standard input"
        )
        ingest_p.add_argument(
            "--site", metavar="DOMAIN", help="the site the lines are of (needed unless vhost_combined)"
        )
        ingest_p.add_argument(
            "--format", dest="fmt", choices=CHOICES, default="auto", help="the log format (default auto)"
        )
        ingest_p.add_argument("--json", action="store_true", help="print the summary as JSON")

        search_p = actions.add_parser("search", help="search the hits in the retention window (journaled)")
        search_p.add_argument("--ip", metavar="ADDRESS", help="an IPv4 or IPv6 address")
        search_p.add_argument("--path", metavar="GLOB", help="a path pattern such as '/wp-login.php*'")
        search_p.add_argument("--site", metavar="DOMAIN", help="one site")
        search_p.add_argument(
            "--from", dest="start", metavar="ISO", help="from this date or moment (UTC unless given)"
        )
        search_p.add_argument("--to", dest="end", metavar="ISO", help="up to this date (inclusive) or moment")
        search_p.add_argument(
            "--officer",
            required=True,
            metavar="EMAIL",
            help="the e-mail address of the privacy officer's account searching (journaled)",
        )
        search_p.add_argument("--reason", required=True, help="why: the case or request (journaled)")
        search_p.add_argument("--limit", type=int, help="at most this many hits")
        output = search_p.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true", help="print the hits as JSON")
        output.add_argument("--csv", action="store_true", help="print the hits as CSV")

        erase_p = actions.add_parser("erase", help="remove every hit of an address (journaled)")
        erase_p.add_argument("--ip", metavar="ADDRESS", required=True, help="an IPv4 or IPv6 address")
        erase_p.add_argument("--reason", required=True, help="why: the erasure request (journaled)")
        erase_p.add_argument("--json", action="store_true", help="print the counts as JSON")

        expire_p = actions.add_parser(
            "expire", help="remove what is past the retention window; destroy month keys"
        )
        expire_p.add_argument("--dry-run", action="store_true", help="say what would go, remove nothing")
        expire_p.add_argument("--json", action="store_true", help="print the summary as JSON")

        migrate_p = actions.add_parser(
            "migrate", help="convert a store of the earlier layout (the token in each row) in place"
        )
        migrate_p.add_argument(
            "--dry-run", action="store_true", help="say what would be done, change nothing"
        )
        migrate_p.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "ingest":
                self._ingest(options)
            elif action == "search":
                self._search(options)
            elif action == "erase":
                result = erase_ip(options["ip"], actor=Actor.command_line(), reason=options["reason"])
                if options["json"]:
                    self.stdout.write(json.dumps(result.as_dict(), indent=2))
                else:
                    self.stdout.write(
                        f"erased {result.hits:,} hits in {result.partitions:,} partitions and "
                        f"{result.rejected_lines:,} rejected lines"
                    )
            elif action == "migrate":
                self._migrate(options)
            else:
                self._expire(options)
        except (IngestRefused, WeblogsError) as exc:
            if options.get("json"):
                self.stdout.write(json.dumps({"refused": str(exc)}, indent=2))
            else:
                self.stderr.write(f"weblogs {action}: refused, nothing written: {exc}")
            sys.exit(2)

    # --- ingest -------------------------------------------------------------------------------

    def _ingest(self, options: dict[str, Any]) -> None:
        show = not options["json"] and self.stderr.isatty()
        self._last = 0.0
        result = ingest(
            options["files"],
            actor=Actor.command_line(),
            site=options["site"],
            fmt=options["fmt"],
            progress=self._progress if show else None,
        )
        if show:
            self.stderr.write("")
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
        else:
            self._summary(result)
        if result.rejected:
            sys.exit(1)

    def _progress(self, done: int, total: int | None, lines: int) -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_SECONDS:
            return
        self._last = now
        if total:
            share = min(done / total, 1.0)
            bar = "#" * int(share * 30)
            text = f"[{bar:<30}] {share:4.0%}  {_mb(done)} of {_mb(total)}, {lines:,} lines"
        else:
            text = f"{lines:,} lines"
        self.stderr.write("\r" + text, ending="")
        self.stderr.flush()

    def _summary(self, result: IngestResult) -> None:
        rate = result.lines / result.seconds if result.seconds else 0.0
        self.stdout.write(
            f"{result.lines:,} lines read: {result.stored:,} stored, {result.rejected:,} rejected, "
            f"{result.blank:,} blank, {result.expired:,} already past the retention window "
            f"({result.seconds:.1f} s, {rate:,.0f} lines/s)"
        )
        if result.days:
            self.stdout.write(
                f"{len(result.sites):,} sites ({', '.join(sorted(result.sites)[:5])}"
                f"{', ...' if len(result.sites) > 5 else ''}), {len(result.days):,} days "
                f"({min(result.days)} to {max(result.days)})"
            )
        for source, fmt in result.formats.items():
            self.stdout.write(f"{source}: {fmt}")
        if result.rejects_file is not None:
            self.stdout.write(f"rejected lines, with their line numbers and reasons: {result.rejects_file}")

    # --- search -------------------------------------------------------------------------------

    def _search(self, options: dict[str, Any]) -> None:
        result: SearchResult = search(
            actor=_officer(options["officer"]),
            reason=options["reason"],
            ip=options["ip"],
            path=options["path"],
            site=options["site"],
            start=_moment(options["start"], end=False) if options["start"] else None,
            end=_moment(options["end"], end=True) if options["end"] else None,
            limit=options["limit"],
        )
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "hits": [hit.as_dict() for hit in result.hits],
                        "count": len(result.hits),
                        "files": result.files_opened,
                        "journal_seq": result.journal_seq,
                    },
                    indent=2,
                )
            )
        elif options["csv"]:
            write_hits_csv(self.stdout, result.hits)
        else:
            for hit in result.hits:
                self.stdout.write(
                    f"{hit.at:%Y-%m-%d %H:%M:%S} {hit.site} {hit.ip or '-'} {hit.method or '-'} "
                    f"{hit.path or '-'} {hit.status if hit.status is not None else '-'}"
                )
            self.stderr.write(
                f"{len(result.hits):,} hits from {result.files_opened:,} files; journal entry {result.journal_seq}"
            )

    # --- expire -------------------------------------------------------------------------------

    def _expire(self, options: dict[str, Any]) -> None:
        result = expire(actor=Actor.command_line(), dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
            return
        verb = "would remove" if result.dry_run else "removed"
        first_last = f" ({result.days[0]} to {result.days[-1]})" if result.days else ""
        self.stdout.write(
            f"retention {result.retention}: hits at or before {result.cutoff:%Y-%m-%d %H:%M:%S} UTC have expired"
        )
        self.stdout.write(
            f"{verb} {result.partitions:,} partitions ({result.hits:,} hits) of {len(result.days):,} days"
            f"{first_last}, {result.boundary_hits:,} hits from {result.boundary_partitions:,} partitions "
            f"of the boundary day, {len(result.reject_days):,} days of rejected lines"
        )
        destroyed = ", ".join(result.keys_destroyed) or "none"
        self.stdout.write(f"{'would destroy' if result.dry_run else 'destroyed'} month keys: {destroyed}")

    # --- migrate ------------------------------------------------------------------------------

    def _migrate(self, options: dict[str, Any]) -> None:
        result = migrate(actor=Actor.command_line(), dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
            return
        if not result.months:
            self.stdout.write("nothing to migrate: every file of the store is in the current layout")
            return
        dry = result.dry_run
        for month in result.months:
            resumed = f" (finishing a run that stopped while {month.resumed})" if month.resumed else ""
            if dry:
                self.stdout.write(
                    f"{month.month}: would migrate {month.hits_files:,} hits files ({month.rows:,} rows, "
                    f"{month.expired:,} of them past the retention window) and {month.index_files:,} index "
                    f"files{resumed}"
                )
            else:
                self.stdout.write(
                    f"{month.month}: migrated {month.hits_files:,} hits files and {month.index_files:,} index "
                    f"files: {month.migrated:,} of {month.rows:,} rows ({month.expired:,} past the retention "
                    f"window, not kept), {month.addresses:,} addresses, {month.files_written:,} files "
                    f"written{resumed}"
                )
        self.stdout.write(
            f"{'would migrate' if dry else 'migrated'} {len(result.months):,} months; "
            f"hits at or before {result.cutoff:%Y-%m-%d %H:%M:%S} UTC are past the retention window"
        )
