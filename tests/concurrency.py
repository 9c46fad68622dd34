"""Work started at the same moment in threads, each on its own database connection (PostgreSQL's row
locks between connections are what the concurrency tests hold)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections


def needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks between connections are tested on PostgreSQL")


def run_together(*work: Callable[[], None]) -> list[BaseException]:
    """Run each callable in a thread of its own, all released at once; close each thread's connections;
    return what any of them raised (for the test to assert there was nothing)."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(work))

    def run(one: Callable[[], None]) -> None:
        try:
            start.wait()
            one()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(one,)) for one in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
