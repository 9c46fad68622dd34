"""``trustdesk journal verify|show``: check and read the journal from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trustdesk.journal.chain import format_at, is_hash


def _anchor(value: str) -> tuple[int, str]:
    seq, _, hash_ = value.partition(":")
    if not seq.isdigit() or not is_hash(hash_.lower()):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not SEQ:HASH (a number, a colon and 64 hexadecimal digits), "
            "as `trustdesk journal show --anchor` prints it"
        )
    return int(seq), hash_.lower()


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number")
    return int(value)


class Command(BaseCommand):
    help = "Verify and show the journal, the hash-chained evidence of every change."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify_p = sub.add_parser("verify", help="check the chain; exit status 1 when it is broken")
        verify_p.add_argument("--json", action="store_true", help="print the result as JSON")
        verify_p.add_argument(
            "--anchor",
            type=_anchor,
            help="SEQ:HASH stored earlier: fail if that entry no longer has that hash",
        )
        verify_p.add_argument("--batch-size", type=_positive, default=10_000, help="entries read at a time")
        show_p = sub.add_parser("show", help="list the newest entries, without their payloads")
        show_p.add_argument("--last", type=_positive, default=20, help="how many entries (default 20)")
        show_p.add_argument("--json", action="store_true", help="print the entries as JSON")
        show_p.add_argument(
            "--anchor", action="store_true", help="print only the head as SEQ:HASH, to store elsewhere"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self._verify(options)
        else:
            self._show(options)

    def _verify(self, options: dict[str, Any]) -> None:
        from trustdesk.journal.verify import verify

        result = verify(batch_size=options["batch_size"], expect_anchor=options.get("anchor"))
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
        elif result.ok:
            self.stdout.write(str(result))
            self.stdout.write(f"anchor: {result.head_seq}:{result.head_hash}")
        else:
            self.stderr.write(str(result))
        if not result.ok:
            sys.exit(1)

    def _show(self, options: dict[str, Any]) -> None:
        from trustdesk.journal.queries import anchor, last_entries

        if options["anchor"]:
            head = anchor()
            if options["json"]:
                self.stdout.write(json.dumps({"seq": head.seq, "hash": head.hash}))
            else:
                self.stdout.write(str(head))
            return
        entries = last_entries(options["last"])
        if options["json"]:
            rows = [
                {
                    "seq": e.seq,
                    "at": format_at(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "object_type": e.object_type,
                    "object_id": e.object_id,
                    "payload": e.payload_state,
                    "payload_digest": e.payload_digest,
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
                for e in entries
            ]
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not entries:
            self.stdout.write("the journal is empty")
            return
        for e in entries:
            target = f"{e.object_type}:{e.object_id}" if e.object_id else e.object_type or "-"
            note = {"present": "payload", "erased": "payload erased", "none": ""}[e.payload_state]
            line = f"{e.seq:>8}  {format_at(e.at)}  {e.actor:<20} {e.action:<32} {target}"
            self.stdout.write(f"{line}  [{note}]" if note else line)
