"""System check for the API: the database can count requests per token (one upsert with RETURNING)."""

from __future__ import annotations

import sqlite3
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.db import connection

#: The first SQLite that has both ON CONFLICT ... DO UPDATE and RETURNING.
SQLITE_FOR_THE_COUNT = (3, 35, 0)


@register("trustdesk")
def check_database_counts_api_requests(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    limit = settings.TRUSTDESK_THROTTLE["api"][0]
    if limit == 0 or connection.vendor != "sqlite" or sqlite3.sqlite_version_info >= SQLITE_FOR_THE_COUNT:
        return []
    need = ".".join(map(str, SQLITE_FOR_THE_COUNT))
    return [
        Error(
            f"SQLite {sqlite3.sqlite_version} cannot count the API's requests per token (it needs {need} or "
            "later): every API request would fail",
            hint="use a Python built with a newer SQLite, PostgreSQL (DATABASE_URL), or turn the count off "
            "with TRUSTDESK_THROTTLE_API=0 if the proxy in front limits the API",
            id="trustdesk.E003",
        )
    ]
