"""Search Trustdesk's web-log store with Apache Spark: the same retention window and the same hits.

When one machine is not enough, Spark (or another Parquet engine) reads the files Trustdesk
writes, as they are: Hive-style partitions ``site=<domain>/day=<YYYY-MM-DD>`` of Parquet files.
This script keeps Trustdesk's rules while it does:

- the retention window of the policy in effect, to the second: partitions whose day lies
  wholly before the window are never read (Spark prunes them by the ``day`` partition column),
  and the hits of the others are filtered on their time, as ``trustdesk weblogs search`` does;
- the hits hold the address as ``ip_id``, a small integer of its month; the month index
  (``_index/month=<YYYY-MM>/``) maps it to the stored value (``token``) and its kind, so the
  hits are joined to the index of their month on ``ip_id`` (and site);
- an address is searched by its token of each month, computed here in Python with Trustdesk's
  own key ring (``TRUSTDESK_WEBLOGS_KEY_DIR``) and functions; Spark compares bytes only (the
  index's tokens), so the keys never leave this process;
- a path is searched by the same GLOB pattern as ``--path``;
- only a privacy officer searches (``--officer EMAIL``, as ``trustdesk weblogs search``), and
  every search is journaled (``weblogs.searched``, engine ``spark``) like Trustdesk's own.

Run it where Trustdesk runs, with its environment (the database, the policy, the keys) and the
``spark`` extra (``pip install 'trustdesk[spark]'``, Java 17)::

    python examples/spark/weblogs_search.py --ip 192.0.2.10 --reason "case 12" --officer EMAIL
    python examples/spark/weblogs_search.py --path '/wp-login.php*' --site shop.example.com \\
        --reason "case 12" --officer EMAIL --master spark://spark-master:7077 --json

See docs/weblogs-spark.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import json
import logging
import os
import sys
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from trustdesk.weblogs.keys import KeyRing
    from trustdesk.weblogs.store import Store, Window


def session(master: str = "local[2]", app: str = "trustdesk-weblogs") -> SparkSession:
    """A Spark session that reads the store as Trustdesk does: UTC, partition values as text."""
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.sql.session.timeZone", "UTC")
        # "site=123" stays the text "123"; the day is compared as ISO text, which sorts as dates.
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
    )
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local mode stays on the loopback interface
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.driver.bindAddress", "127.0.0.1"
        )
    return builder.getOrCreate()


def spark_location(store: Store) -> str:
    """Where Spark reads the store: a file:// URI, or s3a:// (Hadoop's S3 connector) for s3://."""
    if store.storage.local:
        return Path(store.root).as_uri()
    protocol = store.url.split("://", 1)[0]
    if protocol in ("s3", "s3a"):
        return f"s3a://{store.root}"
    raise ValueError(f"{store.url}: give Spark's own URL of the store (--location)")


def glob_regex(pattern: str) -> str:
    """The Java regular expression of a GLOB pattern, anchored at both ends (as DuckDB's GLOB matches)."""
    if "\\" in pattern:
        raise ValueError("a path pattern with a backslash is not supported here")
    regex = fnmatch.translate(pattern)  # (?s:...)\Z: Java reads it too
    return "^" + regex.removesuffix(r"\Z") + r"\z"


def _months(first: dt.datetime, last: dt.datetime) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _ntz(moment: dt.datetime) -> Column:
    from pyspark.sql import functions as F

    return F.lit(moment.isoformat(sep=" ")).cast("timestamp_ntz")


@dataclass(frozen=True)
class Bounds:
    """What is searched: the window narrowed by an optional start and end (UTC, naive)."""

    lower: dt.datetime
    upper: dt.datetime
    inclusive_lower: bool

    @classmethod
    def of(cls, window: Window, start: dt.datetime | None, end: dt.datetime | None) -> Bounds:
        lower = max(window.cutoff, start) if start is not None else window.cutoff
        upper = min(window.now, end) if end is not None else window.now
        return cls(lower, upper, start is not None and start > window.cutoff)


def hits(
    spark: SparkSession,
    location: str,
    window: Window,
    keys: KeyRing,
    *,
    ip: str | None = None,
    path: str | None = None,
    site: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    indexed: bool = True,
) -> DataFrame:
    """The hits in the retention window that match every criterion, oldest first (a DataFrame).

    Each hit comes with the stored value of its address (``ip``: the token, the network or the
    address) and its kind (``ip_kind``), from the month index; ``indexed`` is False for a store
    without one (a policy that keeps no address).
    """
    from pyspark.sql import functions as F

    from trustdesk.weblogs.addresses import candidates, parse_address
    from trustdesk.weblogs.store import COLUMNS, INDEX_DIR, PARTITIONS

    bounds = Bounds.of(window, start, end)
    site_column, day_column = PARTITIONS
    columns = [name for name in COLUMNS if name != "ip_id"]
    # Partition discovery skips _index, _rejects and _staging (names that begin with _ or .).
    frame = spark.read.parquet(location)
    if indexed:
        # One row per stored value and site of a month: (month, site, id) names one value.
        index = spark.read.parquet(location.rstrip("/") + "/" + INDEX_DIR).select(
            F.col("month").alias("ix_month"),
            F.col("site").alias("ix_site"),
            F.col("id").alias("ix_id"),
            F.col("token").alias("ip"),
            F.col("ip_kind"),
        )
    else:
        index = None

    def with_address(hits: DataFrame, *, only: DataFrame | None = None) -> DataFrame:
        """The hits joined to their month's index on ip_id: all of them, or (``only``) those in it."""
        if index is None and only is None:
            return hits.withColumn("ip", F.lit(None).cast("binary")).withColumn(
                "ip_kind", F.lit(None).cast("string")
            )
        names = only if only is not None else index
        if names is None:  # not reached: the case without an index returned above
            raise ValueError("the store has no month index")
        joined = hits.join(
            names,
            (F.date_format(F.col(day_column), "yyyy-MM") == F.col("ix_month"))
            & (F.col(site_column) == F.col("ix_site"))
            & (F.col("ip_id") == F.col("ix_id")),
            "inner" if only is not None else "left",
        )
        return joined.drop("ix_month", "ix_site", "ix_id")

    if bounds.upper < bounds.lower:
        return with_address(frame.limit(0)).select(site_column, *columns, "ip", "ip_kind")
    # 1. Partitions of days wholly outside the window are pruned: Spark does not read them.
    frame = frame.where(
        (F.col(day_column) >= bounds.lower.date().isoformat())
        & (F.col(day_column) <= bounds.upper.date().isoformat())
    )
    # 2. The rest is filtered to the second: later than the cutoff, not later than now.
    after = F.col("ts") >= _ntz(bounds.lower) if bounds.inclusive_lower else F.col("ts") > _ntz(bounds.lower)
    frame = frame.where(after & (F.col("ts") <= _ntz(bounds.upper)))
    if path is not None:
        frame = frame.where(F.col("path").rlike(glob_regex(path)))
    if site is not None:
        frame = frame.where(F.col(site_column) == site.strip().lower())
    if ip is not None:
        address = parse_address(ip.strip())
        if address is None:
            raise ValueError("the address searched for is not an IPv4 or IPv6 address")
        if index is None:
            return with_address(frame.limit(0)).select(site_column, *columns, "ip", "ip_kind")
        # 3. The index rows of the address's values of each month; the hits with their ids.
        per_month: list[Column] = []
        for month in _months(bounds.lower, bounds.upper):
            values = sorted(
                {value.hex().upper() for _kind, value in candidates(address, month, keys, networks=True)}
            )
            per_month.append((F.col("ix_month") == month) & F.hex("ip").isin(values))
        frame = with_address(frame, only=index.where(reduce(lambda a, b: a | b, per_month)))
    else:
        frame = with_address(frame)
    return frame.select(site_column, *columns, "ip", "ip_kind").orderBy("ts", site_column)


def search(
    spark: SparkSession,
    *,
    actor: Any,
    reason: str,
    ip: str | None = None,
    path: str | None = None,
    site: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    now: dt.datetime | None = None,
    store: Store | None = None,
    location: str | None = None,
) -> list[dict[str, Any]]:
    """Like ``trustdesk.weblogs.services.search``, with Spark: the hits as dictionaries, journaled.

    The actor must be a privacy officer's account, as for Trustdesk's own search.
    """
    from django.db import transaction

    from trustdesk.journal.services import record
    from trustdesk.weblogs.addresses import parse_address
    from trustdesk.weblogs.services import INVESTIGATION, check_investigator, journal_criteria
    from trustdesk.weblogs.store import Store, Window, policy

    check_investigator(actor)
    text = (reason or "").strip()
    if not text:
        raise ValueError("a search of the web logs needs a reason: say why (the case, the request)")
    if ip is None and path is None and site is None:
        raise ValueError("say what to search for: an address, a path or a site")
    store = store or Store()
    window = Window.at(policy().retention, now)

    def utc(moment: dt.datetime | None) -> dt.datetime | None:
        return None if moment is None else moment.astimezone(dt.UTC).replace(tzinfo=None)

    if not store.partitions():
        frame = None  # an empty store: Spark finds no files to take a schema from
    else:
        frame = hits(
            spark,
            location or spark_location(store),
            window,
            store.keys,
            ip=ip,
            path=path,
            site=site,
            start=utc(start),
            end=utc(end),
            indexed=bool(store.index_months()),
        )
    rows = [row.asDict() for row in frame.collect()] if frame is not None else []
    address = parse_address(ip.strip()) if ip is not None else None
    criteria = journal_criteria(
        ip=address.compressed if address is not None else ip, path=path, site=site, start=start, end=end
    )
    with transaction.atomic():
        record(
            "weblogs.searched",
            actor=actor.ref,
            object_type="weblogs.store",
            payload={
                "purpose": INVESTIGATION,
                "engine": "spark",
                "reason": text,
                "criteria": criteria,
                "hits": len(rows),
                "window_from": window.cutoff.replace(tzinfo=dt.UTC).isoformat(),
            },
        )
    return rows


def shown_ip(row: dict[str, Any]) -> str | None:
    """The stored address as text: the address or network as kept, else ``<kind>:<token in hex>``."""
    value, kind = row.get("ip"), row.get("ip_kind")
    if value is None:
        return None
    if kind in ("raw", "truncate"):
        return bytes(value).decode("ascii", "replace")
    return f"{kind}:{bytes(value).hex()}"


def _moment(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--ip", metavar="ADDRESS")
    parser.add_argument("--path", metavar="GLOB")
    parser.add_argument("--site", metavar="DOMAIN")
    parser.add_argument("--from", dest="start", metavar="ISO", help="from this moment (UTC unless given)")
    parser.add_argument("--to", dest="end", metavar="ISO", help="up to this moment (inclusive)")
    parser.add_argument("--reason", required=True, help="why: the case or request (journaled)")
    parser.add_argument(
        "--officer", required=True, metavar="EMAIL", help="the privacy officer's account searching"
    )
    parser.add_argument("--master", default="local[2]", help="Spark's master (default local[2])")
    parser.add_argument(
        "--location", help="Spark's URL of the store, if not derived from TRUSTDESK_WEBLOGS_URL"
    )
    parser.add_argument("--json", action="store_true", help="print the hits as JSON")
    options = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustdesk.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from trustdesk.accounts.services import user_ref
    from trustdesk.registry.services import Actor
    from trustdesk.weblogs.services import check_investigator
    from trustdesk.weblogs.store import WeblogsError

    user = get_user_model().objects.filter(email__iexact=options.officer.strip(), is_active=True).first()
    officer = Actor(ref=user_ref(user), user=user) if user is not None else Actor.operator("spark")
    try:
        check_investigator(officer)
    except WeblogsError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("py4j").setLevel(logging.WARNING)
    spark = session(options.master)
    try:
        rows = search(
            spark,
            actor=officer,
            reason=options.reason,
            ip=options.ip,
            path=options.path,
            site=options.site,
            start=_moment(options.start),
            end=_moment(options.end),
            location=options.location,
        )
    finally:
        spark.stop()
    if options.json:
        shown = [{**row, "ts": row["ts"].isoformat(), "ip": shown_ip(row)} for row in rows]
        print(json.dumps(shown, indent=2))
    else:
        for row in rows:
            status = row["status"] if row["status"] is not None else "-"
            print(
                f"{row['ts']:%Y-%m-%d %H:%M:%S} {row['site']} {shown_ip(row) or '-'} {row['method'] or '-'} "
                f"{row['path'] or '-'} {status}"
            )
        print(f"{len(rows):,} hits", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
