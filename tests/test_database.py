"""The tests run on the database DATABASE_URL names: SQLite by default, PostgreSQL on CI."""

from __future__ import annotations

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_it_runs_on_the_database_that_database_url_names() -> None:
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected
