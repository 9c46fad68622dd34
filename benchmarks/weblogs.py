"""Benchmark of the web access log store: ingest, storage, searches; goaccess as the reference.

    .venv/bin/python benchmarks/weblogs.py --lines 5000000 --runs 3
    .venv/bin/python benchmarks/weblogs.py --lines 200000 --runs 2      # a quick check

Generates a combined log of ``--lines`` lines over 730 days (2024-12-01 to 2026-11-30 UTC) in a
scratch directory under /tmp: a few hundred thousand IPv4 and IPv6 addresses (a fifth IPv6, some
written IPv4-mapped) with a skewed popularity, thousands of paths (pages, assets, query strings,
probes), a few hundred user agents, referrers and statuses. Then, in the same run:

(a) ingest (parse, tokenise, write) through ``trustdesk.weblogs.ingest.ingest`` into a fresh store
    each run, in a child process so that its peak memory (max RSS) is measured; lines/s;
    reference: goaccess (Debian's package) producing its HTML report from the same file;
(b) storage: bytes of the store (hits and the month indexes) per line;
(c) searching one address over the 730 days (``search(ip=...)``, journal entry included), for a
    sample of addresses drawn as the traffic draws them;
(d) searching a path GLOB within one day.

Medians of ``--runs`` runs (searches: of every address or day sampled). Uses SQLite in the
scratch directory for the policy and the journal. Prints a table, writes JSON (default
benchmarks/results/weblogs-N.json) and removes the scratch directory unless ``--keep``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import random
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
START = dt.datetime(2024, 12, 1, 0, 0, 5, tzinfo=dt.UTC)
END = dt.datetime(2026, 11, 30, 23, 59, 55, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 12, 1, 0, 0, 0, tzinfo=dt.UTC)
SITE = "www.hostwerk-bench.example"
BATCH = 100_000

POLICY_WEBLOGS = """
web_logs:
  purpose: invoicing
  retention: P2Y
  fields: [domain, path, user_agent, ip_address, referrer, status, bytes]
  ip_storage: hmac
"""

WORDS = [
    "hosting",
    "domain",
    "mail",
    "backup",
    "ssl",
    "dns",
    "vps",
    "cloud",
    "server",
    "price",
    "contact",
    "about",
    "blog",
    "news",
    "support",
    "login",
    "account",
    "invoice",
    "order",
    "cart",
    "product",
    "search",
    "help",
    "faq",
    "terms",
    "privacy",
    "status",
    "wordpress",
]
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{v}.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; SM-S91{v}B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0 Mobile Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html) v{v}",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) v{v}",
    "curl/8.{v}.0",
    "python-requests/2.{v}.0",
]


def _pools(rng: random.Random) -> dict[str, list[str]]:
    v4 = [
        f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        for _ in range(240_000)
    ]
    v6 = [
        f"2001:db8:{rng.randint(0, 0xFFFF):x}:{rng.randint(0, 0xFFFF):x}::{rng.randint(1, 0xFFFF):x}"
        for _ in range(60_000)
    ]
    addresses = v4 + v6
    rng.shuffle(addresses)
    # Some clients write IPv4 addresses as IPv4-mapped IPv6 (dual-stack listeners): same visitor.
    written = [f"::ffff:{a}" if "." in a and rng.random() < 0.05 else a for a in addresses]
    pages = [f"/{rng.choice(WORDS)}/{rng.choice(WORDS)}-{n}" for n in range(3000)]
    assets = [
        f"/static/{kind}/{secrets.token_hex(4)}.{kind}"
        for kind in ("js", "css", "png", "jpg", "woff2")
        for _ in range(300)
    ]
    probes = ["/wp-login.php", "/xmlrpc.php", "/.env", "/admin/", "/phpmyadmin/index.php", "/.git/config"]
    agents = [template.format(v=v) for template in BROWSERS for v in range(90, 130)]
    referrers = (
        ["-"] * 8
        + [f"https://{SITE}{p}" for p in pages[:400]]
        + [f"https://www.google.com/search?q={w}" for w in WORDS]
    )
    return {
        "addresses": written,
        "pages": pages,
        "assets": assets,
        "probes": probes,
        "agents": agents,
        "referrers": referrers,
    }


def generate(path: Path, lines: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    pools = _pools(rng)
    addresses, pages, assets = pools["addresses"], pools["pages"], pools["assets"]
    probes, agents, referrers = pools["probes"], pools["agents"], pools["referrers"]
    span = (END - START).total_seconds()
    step = span / lines
    statuses = [200] * 80 + [304] * 8 + [404] * 6 + [301] * 3 + [500, 403, 206]
    n_addr = len(addresses)
    with path.open("w", encoding="utf-8") as out:
        done = 0
        while done < lines:
            batch = min(BATCH, lines - done)
            rows = []
            for i in range(done, done + batch):
                moment = START + dt.timedelta(seconds=i * step)
                stamp = (moment + dt.timedelta(hours=1)).strftime("%d/%b/%Y:%H:%M:%S +0100")
                address = addresses[int(n_addr * rng.random() ** 3)]  # a few addresses make most traffic
                r = rng.random()
                if r < 0.55:
                    target = rng.choice(pages)
                elif r < 0.9:
                    target = rng.choice(assets)
                elif r < 0.97:
                    target = f"/search?q={rng.choice(WORDS)}+{rng.choice(WORDS)}&page={rng.randint(1, 9)}"
                else:
                    target = rng.choice(probes)
                method = "POST" if r > 0.985 else "GET"
                rows.append(
                    f'{address} - - [{stamp}] "{method} {target} HTTP/1.1" {rng.choice(statuses)} '
                    f'{rng.randint(200, 90_000)} "{rng.choice(referrers)}" "{agents[int(len(agents) * rng.random() ** 2)]}"\n'
                )
            out.writelines(rows)
            done += batch
    return pools


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def _child_ingest(log: str, conn: Any) -> None:
    from django.db import connections

    connections.close_all()
    from trustdesk.registry.services import Actor
    from trustdesk.weblogs.ingest import ingest

    result = ingest([log], actor=Actor.operator("bench"), site=SITE, fmt="combined", now=NOW)
    # Its own peak (RUSAGE_CHILDREN in the parent would be the largest child's, goaccess's too).
    conn.send((result.as_dict(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))
    conn.close()


def run_ingest(log: Path, store: Path) -> tuple[float, dict[str, Any], int]:
    """One ingest into an empty store in a child process: (seconds, summary, its max RSS in bytes)."""
    from django.conf import settings
    from django.db import connections

    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(Path(settings.WEBLOGS_KEY_DIR), ignore_errors=True)
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    started = time.perf_counter()
    process = ctx.Process(target=_child_ingest, args=(str(log), child))
    process.start()
    summary, rss = parent.recv()
    process.join()
    seconds = time.perf_counter() - started
    if process.exitcode != 0:
        raise RuntimeError(f"the ingest child exited with {process.exitcode}")
    return seconds, summary, rss


def run_goaccess(goaccess: str, log: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 (the installed goaccess, fixed arguments)
        [goaccess, str(log), "--log-format=COMBINED", "--no-global-config", "-o", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def store_bytes(store: Path) -> dict[str, int]:
    hits = sum(p.stat().st_size for p in store.glob("site=*/day=*/*.parquet"))
    index = sum(p.stat().st_size for p in (store / "_index").rglob("*.parquet"))
    files = len(list(store.glob("site=*/day=*/*.parquet")))
    return {"hits": hits, "index": index, "files": files}


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--searches", type=int, default=25, help="addresses and days sampled (default 25)")
    parser.add_argument("--seed", type=int, default=4321)
    parser.add_argument("--json", type=Path, help="where to write the results")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)
    if args.lines < 1000 or args.runs < 1:
        parser.error("--lines is at least 1000 and --runs at least 1")
    goaccess = shutil.which("goaccess")
    if goaccess is None:
        parser.error("goaccess is not installed: apt-get install -y goaccess")
    out = args.json or ROOT / "benchmarks" / "results" / f"weblogs-{args.lines}.json"
    work = Path(tempfile.mkdtemp(prefix="trustdesk-weblogs-bench-", dir="/tmp"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="trustdesk.settings",
        TRUSTDESK_DATA_DIR=str(work / "data"),
        TRUSTDESK_SECRET_KEY=secrets.token_urlsafe(64),
        TRUSTDESK_WEBLOGS_URL=str(work / "store"),
        TRUSTDESK_WEBLOGS_KEY_DIR=str(work / "keys"),
    )
    for name in ("DATABASE_URL", "TRUSTDESK_POLICY"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(ROOT))
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from tests.conftest import POLICY
        from trustdesk.policy.services import do_publish_policy
        from trustdesk.registry.services import Actor
        from trustdesk.weblogs.services import search

        call_command("migrate", interactive=False, verbosity=0)
        do_publish_policy(POLICY + POLICY_WEBLOGS, "bench.yaml", actor="bench")
        log = work / "access.log"
        print(f"weblogs benchmark: {args.lines:,} lines over 730 days, {args.runs} runs, scratch {work}")
        started = time.perf_counter()
        pools = generate(log, args.lines, args.seed)
        print(f"  generated {log.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - started:.0f} s")
        results: dict[str, Any] = {
            "benchmark": "weblogs",
            "command": " ".join(
                ["python", "benchmarks/weblogs.py", *(argv if argv is not None else sys.argv[1:])]
            ),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "lines": args.lines,
            "log_bytes": log.stat().st_size,
            "runs": args.runs,
            "load_average_at_start": os.getloadavg(),
            "goaccess": subprocess.run(  # noqa: S603
                [goaccess, "--version"], capture_output=True, text=True
            ).stdout.split("\n")[0],
        }
        import duckdb

        results["duckdb"] = duckdb.__version__

        ingest_s: list[float] = []
        goaccess_s: list[float] = []
        rss: list[int] = []
        summary: dict[str, Any] = {}
        store = work / "store"
        for run in range(args.runs):
            seconds, summary, peak = run_ingest(log, store)
            ingest_s.append(seconds)
            rss.append(peak)
            goaccess_s.append(run_goaccess(goaccess, log, work / "report.html"))
            print(f"  run {run + 1}: ingest {seconds:.1f} s, goaccess {goaccess_s[-1]:.1f} s")
        if summary["stored"] != args.lines:
            raise RuntimeError(f"stored {summary['stored']:,} of {args.lines:,} lines: {summary}")
        ingest_median = statistics.median(ingest_s)
        goaccess_median = statistics.median(goaccess_s)
        sizes = store_bytes(store)
        results["ingest"] = {
            "seconds": ingest_s,
            "median_seconds": round(ingest_median, 2),
            "lines_per_second": round(args.lines / ingest_median),
            "summary": summary,
            "peak_rss_bytes": max(rss),
        }
        results["goaccess"] = {
            "version": results["goaccess"],
            "seconds": goaccess_s,
            "median_seconds": round(goaccess_median, 2),
            "lines_per_second": round(args.lines / goaccess_median),
        }
        results["ingest_vs_goaccess"] = round(goaccess_median / ingest_median, 1)
        results["storage"] = {
            **sizes,
            "hits_bytes_per_line": round(sizes["hits"] / args.lines, 2),
            "bytes_per_line": round((sizes["hits"] + sizes["index"]) / args.lines, 2),
        }

        rng = random.Random(args.seed + 1)
        addresses = pools["addresses"]
        from trustdesk.accounts.models import Profile
        from trustdesk.accounts.services import do_create_account, user_ref

        # Only a privacy officer searches the logs: the searches run under such an account.
        user = do_create_account("officer@bench.example", role=Profile.Role.PRIVACY_OFFICER, actor="bench")
        officer = Actor(ref=user_ref(user), user=user)
        ip_times, ip_hits, ip_files = [], [], []
        for _ in range(args.searches):
            address = addresses[int(len(addresses) * rng.random() ** 3)]
            began = time.perf_counter()
            found = search(actor=officer, reason="benchmark", ip=address, now=NOW)
            ip_times.append(time.perf_counter() - began)
            ip_hits.append(len(found.hits))
            ip_files.append(found.files_opened)
        results["search_ip_730_days"] = {
            "median_ms": median_ms(ip_times),
            "max_ms": round(max(ip_times) * 1000, 2),
            "median_hits": statistics.median(ip_hits),
            "max_hits": max(ip_hits),
            "median_files_opened": statistics.median(ip_files),
        }
        path_times, path_hits = [], []
        for _ in range(args.searches):
            day = (START + dt.timedelta(days=rng.randrange(730))).date()
            first = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
            last = dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
            began = time.perf_counter()
            found = search(
                actor=officer, reason="benchmark", path="/wp-login.php*", start=first, end=last, now=NOW
            )
            path_times.append(time.perf_counter() - began)
            path_hits.append(len(found.hits))
        results["search_path_one_day"] = {
            "median_ms": median_ms(path_times),
            "max_ms": round(max(path_times) * 1000, 2),
            "median_hits": statistics.median(path_hits),
        }
        results["load_average_at_end"] = os.getloadavg()
        results["targets"] = {
            "ingest_at_least_800000_lines_per_second": results["ingest"]["lines_per_second"] >= 800_000,
            "ingest_at_least_10x_goaccess": results["ingest_vs_goaccess"] >= 10,
            "at_most_25_bytes_per_line": results["storage"]["bytes_per_line"] <= 25,
            "ip_search_under_200_ms": results["search_ip_730_days"]["median_ms"] < 200,
            "path_search_one_day_under_50_ms": results["search_path_one_day"]["median_ms"] < 50,
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
        print(
            json.dumps(
                {
                    k: results[k]
                    for k in (
                        "ingest",
                        "goaccess",
                        "ingest_vs_goaccess",
                        "storage",
                        "search_ip_730_days",
                        "search_path_one_day",
                        "targets",
                    )
                },
                indent=2,
                default=str,
            )
        )
        print(f"  results in {out}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
