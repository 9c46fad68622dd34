"""``trustdesk datamap [--json]``: every personal field the software stores, with its category and erasure."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trustdesk.lib.datamap import personal_fields


def rows() -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "model": entry.model,
                "field": entry.field,
                "category": entry.category,
                "erasure": entry.erasure.value,
                "hold": entry.hold,
                "secret": entry.secret,
            }
            for entry in personal_fields()
        ),
        key=lambda row: (row["model"], row["field"]),
    )


class Command(BaseCommand):
    help = (
        "Print the data map: model, field, data category and erasure action of every personal field, and "
        "whether it is a secret that the person is told is held but never shown."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print a JSON list of objects")

    def handle(self, *args: Any, **options: Any) -> None:
        table = rows()
        if options["json"]:
            self.stdout.write(json.dumps(table, indent=2))
            return
        headers = {"model": "MODEL", "field": "FIELD", "category": "CATEGORY", "erasure": "ERASURE"}
        widths = {key: max([len(title), *(len(row[key]) for row in table)]) for key, title in headers.items()}
        self.stdout.write("  ".join(title.ljust(widths[key]) for key, title in headers.items()).rstrip())
        for row in table:
            erasure = row["erasure"] + (f" ({row['hold']})" if row["hold"] else "")
            erasure += " [secret: held, never shown]" if row["secret"] else ""
            cells = [row["model"], row["field"], row["category"], erasure]
            self.stdout.write(
                "  ".join(c.ljust(widths[k]) for c, k in zip(cells, headers, strict=True)).rstrip()
            )
        # A field that keeps copies (the journal's payload) has a row per copied category.
        fields = len({(row["model"], row["field"]) for row in table})
        models = len({row["model"] for row in table})
        self.stdout.write(f"{fields} personal fields in {models} models")
