"""Benchmark of the web-log store on a directory and in an S3 bucket: the same work, both places.

    .venv/bin/python benchmarks/weblogs_s3.py --lines 200000 --searches 10

Generates the log of ``benchmarks/weblogs.py`` (``--lines`` lines over 730 days), then for each
store (a directory; a bucket of moto's S3 server on 127.0.0.1 through s3fs) times: the ingest,
searching one address over the 730 days, searching a path GLOB within one day, and an expiry
dry run. Medians of ``--searches`` searches. The bucket is served on loopback by moto in this
process, so its figures count the requests' number and Trustdesk's work, not a network's
latency: a real S3 service adds its round trips to every request. Uses SQLite in a scratch
directory; writes JSON (default benchmarks/results/weblogs-s3-N.json).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.weblogs import NOW, POLICY_WEBLOGS, START, generate, machine  # noqa: E402


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def measure(
    store_url: str, log: Path, pools: dict[str, Any], searches: int, seed: int, officer: Any
) -> dict[str, Any]:
    """The figures of one store; ``officer`` is a privacy officer's actor (only one searches the logs)."""
    from django.conf import settings

    from trustdesk.registry.services import Actor
    from trustdesk.weblogs.ingest import ingest
    from trustdesk.weblogs.services import expire, search

    settings.WEBLOGS_URL = store_url
    operator = Actor.operator("bench")
    began = time.perf_counter()
    result = ingest([str(log)], actor=operator, site="shop.example.com", fmt="combined", now=NOW)
    ingest_s = time.perf_counter() - began
    rng = random.Random(seed)
    addresses = pools["addresses"]
    ip_times, ip_hits, ip_files = [], [], []
    for _ in range(searches):
        address = addresses[int(len(addresses) * rng.random() ** 3)]
        began = time.perf_counter()
        found = search(actor=officer, reason="benchmark", ip=address, now=NOW)
        ip_times.append(time.perf_counter() - began)
        ip_hits.append(len(found.hits))
        ip_files.append(found.files_opened)
    path_times = []
    for _ in range(searches):
        day = (START + dt.timedelta(days=rng.randrange(730))).date()
        first = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
        last = dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
        began = time.perf_counter()
        search(actor=officer, reason="benchmark", path="/wp-login.php*", start=first, end=last, now=NOW)
        path_times.append(time.perf_counter() - began)
    began = time.perf_counter()
    dry = expire(NOW + dt.timedelta(days=30), actor=operator, dry_run=True)
    expire_s = time.perf_counter() - began
    return {
        "url": store_url.split("://", 1)[0] + "://" if "://" in store_url else "directory",
        "ingest_seconds": round(ingest_s, 2),
        "ingest_lines_per_second": round(result.lines / ingest_s),
        "search_ip_730_days_median_ms": median_ms(ip_times),
        "search_ip_730_days_max_ms": round(max(ip_times) * 1000, 1),
        "search_ip_median_files_opened": statistics.median(ip_files),
        "search_ip_median_hits": statistics.median(ip_hits),
        "search_path_one_day_median_ms": median_ms(path_times),
        "expire_dry_run_seconds": round(expire_s, 2),
        "expire_dry_run_partitions": dry.partitions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--searches", type=int, default=10)
    parser.add_argument("--seed", type=int, default=4321)
    parser.add_argument("--json", type=Path, help="where to write the results")
    args = parser.parse_args(argv)
    out = args.json or ROOT / "benchmarks" / "results" / f"weblogs-s3-{args.lines}.json"
    work = Path(tempfile.mkdtemp(prefix="trustdesk-weblogs-s3-bench-", dir="/tmp"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="trustdesk.settings",
        TRUSTDESK_DATA_DIR=str(work / "data"),
        TRUSTDESK_SECRET_KEY=secrets.token_urlsafe(64),
        TRUSTDESK_WEBLOGS_KEY_DIR=str(work / "keys"),
        AWS_ACCESS_KEY_ID="bench",  # moto accepts any pair; a random one is no secret to keep
        AWS_SECRET_ACCESS_KEY=secrets.token_urlsafe(16),
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    for name in ("DATABASE_URL", "TRUSTDESK_POLICY", "TRUSTDESK_WEBLOGS_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        import django
        import s3fs

        host, port = server.get_host_and_port()
        options = {"endpoint_url": f"http://{host}:{port}"}
        s3fs.S3FileSystem(skip_instance_cache=True, **options).mkdir("weblogs-bench")
        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from tests.conftest import POLICY
        from trustdesk.accounts.models import Profile
        from trustdesk.accounts.services import do_create_account, user_ref
        from trustdesk.policy.services import do_publish_policy
        from trustdesk.registry.services import Actor

        settings.WEBLOGS_OPTIONS = options
        call_command("migrate", interactive=False, verbosity=0)
        do_publish_policy(POLICY + POLICY_WEBLOGS, "bench.yaml", actor="bench")
        # Only a privacy officer searches the logs: the searches run under such an account.
        user = do_create_account("officer@bench.example", role=Profile.Role.PRIVACY_OFFICER, actor="bench")
        officer = Actor(ref=user_ref(user), user=user)
        log = work / "access.log"
        pools = generate(log, args.lines, args.seed)
        print(f"weblogs on a directory and in S3 (moto on loopback): {args.lines:,} lines, scratch {work}")
        results: dict[str, Any] = {
            "benchmark": "weblogs-s3",
            "command": " ".join(
                ["python", "benchmarks/weblogs_s3.py", *(argv if argv is not None else sys.argv[1:])]
            ),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "lines": args.lines,
            "searches": args.searches,
        }
        for name, url in (("directory", str(work / "store")), ("s3", "s3://weblogs-bench/store")):
            results[name] = measure(url, log, pools, args.searches, args.seed + 1, officer)
            print(f"  {name}: {json.dumps(results[name])}")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"  written {out}")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
