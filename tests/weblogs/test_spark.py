"""examples/spark/: Spark in local mode gives the hits ``services.search`` gives, on a store of a real ingest.

Skipped without pyspark or Java, except where TRUSTDESK_REQUIRE_SPARK is set (scripts/test sets
it on CI, after installing the spark extra): there the test fails instead.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.weblogs.conftest import NOW, vhost
from trustdesk.journal.models import JournalEntry
from trustdesk.weblogs.services import Hit, erase_ip, expire, search
from trustdesk.weblogs.store import Store, WeblogsError

#: The example reads the store's files, not the database; what Trustdesk does with the database here (the
#: ingest, the search, erasure and expiry) the other web-log tests run on both databases.
pytestmark = [pytest.mark.django_db, pytest.mark.database_agnostic]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "spark" / "weblogs_search.py"
REASON = "breach investigation case 12"
OFFICER = "PIA.officer@hostwerk.example"  # the privacy officer of tests/personas.py


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("weblogs_spark_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example() -> ModuleType:
    return _load_example()


@pytest.fixture(scope="module")
def spark(example: ModuleType) -> Iterator[Any]:
    """One Spark session in local mode for the module."""
    missing = []
    if importlib.util.find_spec("pyspark") is None:
        missing.append("pyspark (pip install -e '.[spark]')")
    if shutil.which("java") is None:
        missing.append("Java 17")
    if missing:
        if os.environ.get("TRUSTDESK_REQUIRE_SPARK"):
            pytest.fail(f"the Spark example needs {' and '.join(missing)} (TRUSTDESK_REQUIRE_SPARK is set)")
        pytest.skip(f"the Spark example needs {' and '.join(missing)}")
    logging.getLogger("py4j").setLevel(logging.WARNING)  # no chatter from its clean-up after the run
    session = example.session("local[2]", "trustdesk-weblogs-test")
    try:
        yield session
    finally:
        session.stop()


def _key(hit: Hit) -> tuple:
    return (
        hit.site,
        hit.at.replace(tzinfo=None),
        hit.method,
        hit.path,
        hit.protocol,
        hit.status,
        hit.bytes,
        hit.referrer,
        hit.user_agent,
    )


def _row_key(row: dict[str, Any]) -> tuple:
    return tuple(
        row[name]
        for name in ("site", "ts", "method", "path", "protocol", "status", "bytes", "referrer", "user_agent")
    )


def _same(example: ModuleType, spark: Any, actor: Any, **criteria: Any) -> list[tuple]:
    """The hits of Trustdesk's search and of the Spark example for the same criteria: equal, and returned."""
    expected = [_key(hit) for hit in search(actor=actor, reason=REASON, now=NOW, **criteria).hits]
    rows = example.search(spark, actor=actor, reason=REASON, now=NOW, **criteria)
    assert [_row_key(row) for row in rows] == expected, criteria
    return expected


def _lines() -> list[str]:
    return [
        # Around the cutoff of the retention window (P2Y before NOW: 2024-11-30 12:00:00 UTC).
        vhost(when="29/Nov/2024:10:00:00 +0000", path="/wp-login.php?old"),
        vhost(when="30/Nov/2024:12:00:00 +0000", path="/wp-login.php?exactly"),
        vhost(when="30/Nov/2024:12:00:01 +0000", path="/wp-login.php?inside"),
        vhost(ip="198.51.100.7", when="30/Nov/2024:12:30:00 +0000", path="/admin"),
        # The same address in several months (each month its own token), on two sites.
        vhost(when="15/Oct/2026:09:00:00 +0000", path="/october"),
        vhost("b.example", ip="::ffff:192.0.2.10", when="20/Nov/2026:09:00:00 +0000", path="/wp-admin/"),
        vhost("b.example", ip="198.51.100.7", when="20/Nov/2026:09:00:01 +0000", path="/wp-login.php"),
        vhost(ip="2001:db8::7", when="30/Nov/2026:11:59:59 +0000", path="/abc?x=1"),
        vhost(ip="2001:DB8::7", when="30/Nov/2026:11:00:00 +0000", path="/acc", status=404, size="-"),
        # After NOW: not yet in the window.
        vhost(when="30/Nov/2026:12:00:01 +0000", path="/future"),
    ]


def test_it_gives_the_hits_of_trustdesk_search(
    weblogs, store_dirs, ingest_lines, officer_actor, example, spark
):
    ingest_lines(_lines(), now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    ingest_lines(_lines()[4:], now=NOW + dt.timedelta(seconds=5))  # two files in some partitions

    by_address = _same(example, spark, officer_actor, ip="192.0.2.10")
    assert [hit[3] for hit in by_address] == [
        "/wp-login.php?inside",
        "/october",
        "/october",
        "/wp-admin/",
        "/wp-admin/",
    ]  # never the hit at the cutoff's very second, nor one after now
    assert len(_same(example, spark, officer_actor, ip="2001:db8:0::7")) == 4
    assert len(_same(example, spark, officer_actor, ip="198.51.100.7", site="b.example")) == 2
    assert len(_same(example, spark, officer_actor, path="/wp-login.php*")) == 3
    assert len(_same(example, spark, officer_actor, path="/a[bc]?*")) == 4
    window = _same(
        example,
        spark,
        officer_actor,
        site="b.example",
        start=dt.datetime(2026, 11, 20, 9, 0, 1, tzinfo=dt.UTC),
        end=dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
    )
    assert [hit[3] for hit in window] == ["/wp-login.php", "/wp-login.php"]  # the start is inclusive

    entry = JournalEntry.objects.filter(action="weblogs.searched").latest("seq")
    assert entry.payload["engine"] == "spark" and entry.payload["reason"] == REASON
    assert entry.payload["hits"] == 2 and entry.actor == officer_actor.ref


def test_it_lets_only_a_privacy_officer_search(
    weblogs, store_dirs, ingest_lines, operator_actor, example, spark
):
    ingest_lines([vhost()])
    with pytest.raises(WeblogsError, match="only a privacy officer may search"):
        example.search(spark, actor=operator_actor, reason=REASON, ip="192.0.2.10", now=NOW)
    assert (
        example.main(["--ip", "192.0.2.10", "--reason", REASON, "--officer", "nobody@hostwerk.example"]) == 2
    )
    assert not JournalEntry.objects.filter(action="weblogs.searched").exists()


def test_it_prunes_the_partitions_past_the_window(weblogs, store_dirs, ingest_lines, example, spark):
    from trustdesk.weblogs.store import Window, policy

    ingest_lines(_lines(), now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    store = Store()
    frame = example.hits(
        spark, example.spark_location(store), Window.at(policy().retention, NOW), store.keys, path="/*"
    )
    plan = frame._jdf.queryExecution().executedPlan().toString()
    assert (
        "PartitionFilters: [" in plan and "day#" in plan.split("PartitionFilters: [", 1)[1].split("]", 1)[0]
    )
    assert [row["path"] for row in frame.collect()][:2] == ["/wp-login.php?inside", "/admin"]


def test_it_follows_erasure_and_expiry(weblogs, store_dirs, ingest_lines, officer_actor, example, spark):
    weblogs(ip_storage="aes_siv")
    ingest_lines(_lines(), now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    erase_ip("192.0.2.10", actor=officer_actor, reason="erasure request R-9")
    assert _same(example, spark, officer_actor, ip="192.0.2.10") == []
    expire(NOW, actor=officer_actor)
    assert [hit[3] for hit in _same(example, spark, officer_actor, path="/*")] == [
        "/admin",
        "/wp-login.php",
        "/acc",
        "/abc?x=1",
    ]  # the address erased, the days past the window removed


def test_its_command_prints_the_hits_as_json(
    weblogs, store_dirs, ingest_lines, example, spark, capsys, officer_actor
):
    """Last in the module: the command stops the Spark session when it is done."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    when = (now - dt.timedelta(hours=1)).strftime("%d/%b/%Y:%H:%M:%S +0000")
    ingest_lines([vhost(when=when, path="/mine"), vhost(ip="192.0.2.99", when=when, path="/other")], now=now)
    assert (
        example.main(["--ip", "::ffff:192.0.2.10", "--reason", REASON, "--officer", OFFICER, "--json"]) == 0
    )
    [hit] = json.loads(capsys.readouterr().out)
    assert (hit["site"], hit["path"], hit["ip_kind"]) == ("shop.example.com", "/mine", "hmac")
    assert hit["ip"].startswith("hmac:") and "192.0.2.10" not in hit["ip"]
    assert dt.datetime.fromisoformat(hit["ts"]) == (now - dt.timedelta(hours=1)).replace(tzinfo=None)
    assert JournalEntry.objects.filter(action="weblogs.searched", actor=officer_actor.ref).count() == 1
