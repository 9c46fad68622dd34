"""Load benchmark of two web pages, served by gunicorn with two workers, next to a plain Django page.

    .venv/bin/python benchmarks/web.py                        # SQLite in a temporary data directory
    .venv/bin/python benchmarks/web.py --database-url postgresql://postgres@127.0.0.1:5432/web_bench

Builds a database (SQLite in a temporary data directory by default; with ``--database-url``, a
PostgreSQL database on 127.0.0.1 whose name contains "bench": it is dropped before and after the
run), migrates it, publishes ``examples/policies/dutch-hosting-nl.yaml``, fills the registry with
``trustdesk.registry.demo_data.fill`` (``--organisations``, default 1,000), opens the example
requests of ``trustdesk.rights.demo_data`` and ``--requests`` more (default 300), and creates two
accounts: a customer linked to a person with organisations, services and invoices, and a privacy
officer with an authenticator app.

It then starts gunicorn with ``--workers 2`` on a free port of 127.0.0.1, with the settings of
``benchmarks/web_settings.py`` (Trustdesk's, plus a URLconf that adds the plain reference page at
``/bench/plain/``), logs each user in once through the real log-in flow (the log-in form with its
CSRF token, then the two-factor step with a code computed from the secret) and keeps the session
cookies. The load comes from ``wrk`` in a separate process (one thread, ``--connections``
connections, ``--duration`` seconds), sending the session cookie:

- the customer portal's "my data" page, ``/portal/data/``, as the customer;
- the staff console's request queue, ``/console/requests/`` (its first page), as the privacy officer;
- the plain page (anonymous), the reference of the targets, measured in the same run;
- the same plain page behind the log-in (``/bench/plain-signed-in/`` as the customer), the floor of
  every signed-in page: what the middleware does for a signed-in request and nothing else, so that
  its ratio to the plain page is the most any signed-in page can reach;
- the account page ``/account/`` as the customer, a second reference measured in the same run: a
  light product page behind the same sign-in (session, user, role, the policy in effect), so that
  the ratio to it shows the pages' own cost apart from what every signed-in page pays.

Each of ``--runs`` runs (default 3) measures the five pages one after the other, in an order
that rotates from run to run, so that a change of load on the machine hits all five alike. It
counts every response that is not a 200 (a benchmark of error pages or redirects to the log-in
page is worthless) and reports the median requests per second and the median 99th-percentile
latency, the ratios to the plain page and to the signed-in reference, and whether the targets are met: at least half the plain
page's throughput and a p99 under 200 ms. Writes JSON (``--json``, default
benchmarks/results/web.json). Stops by itself after ``--timeout`` seconds (default 900), stops the
server and removes the data directory (and the PostgreSQL database).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import html
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import registry as registry_bench  # noqa: E402  (after the path is set)

POLICY = ROOT / "examples" / "policies" / "dutch-hosting-nl.yaml"
SETTINGS = "benchmarks.web_settings"
PLAIN = "/bench/plain/"
PLAIN_SIGNED_IN = "/bench/plain-signed-in/"
QUEUE = "/console/requests/"
MY_DATA = "/portal/data/"
SIGNED_IN = "/account/"
PASSWORD = "bench-web-" + secrets.token_urlsafe(16)
CUSTOMER_EMAIL = "bench-customer@example.com"
OFFICER_EMAIL = "bench-officer@hoster.example"
#: What each page must show for the benchmark to measure it: the my data page the person's name (see
#: ``main``), the queue its requests.
EXPECT_QUEUE = 'href="/console/requests/'
EXPECT_SIGNED_IN = CUSTOMER_EMAIL
EXPECT_PLAIN_SIGNED_IN = "Plain page, signed in"
#: The pages measured only as references: no target of their own.
REFERENCES = ("plain", "plain_signed_in", "signed_in")
MIN_RATIO = 0.5
MAX_P99_MS = 200.0
ACTOR = "operator:bench"

# wrk counts only 4xx and 5xx as errors; a redirect (to the log-in page) would pass. This script
# counts every status but 200 and prints the figures as one line of JSON.
WRK_SCRIPT = """
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  other = 0
  first = 0
end
function response(status, headers, body)
  if status ~= 200 then
    other = other + 1
    if first == 0 then first = status end
  end
end
function done(summary, latency, requests)
  local bad, status = 0, 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("other")
    if status == 0 then status = t:get("first") end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "non_200": %d, "first_non_200": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, bad, status,
    e.connect, e.read, e.write, e.timeout))
end
"""


class Deadline(Exception):
    pass


# --- the data --------------------------------------------------------------------------------------


def totp_code(secret: str) -> str:
    """RFC 6238: the code an authenticator app shows now for this base32 secret (waits near a period's end)."""
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.2)
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time() // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**6).zfill(6)


def build(organisations: int, requests: int, seed: int) -> dict[str, Any]:
    """Migrate, publish the policy, fill the registry and the requests, make the two accounts."""
    import random

    from allauth.mfa.totp.internal.auth import TOTP
    from django.core.management import call_command
    from django.db.models import Count, Q
    from django.utils import timezone

    from trustdesk.accounts.services import do_create_account
    from trustdesk.lib import mail
    from trustdesk.policy.services import do_publish_policy
    from trustdesk.registry import demo_data
    from trustdesk.registry.models import Person
    from trustdesk.registry.services import Actor
    from trustdesk.rights import services
    from trustdesk.rights.demo_data import fill_requests
    from trustdesk.rights.models import Request

    facts: dict[str, Any] = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    facts["migrate_seconds"] = time.perf_counter() - started
    result = do_publish_policy(POLICY.read_text(encoding="utf-8"), POLICY.name, actor=ACTOR)
    facts["policy"] = {"file": str(POLICY.relative_to(ROOT)), "version": result.version.number}
    actor = Actor.operator("bench")
    started = time.perf_counter()
    summary = demo_data.fill(organisations, seed=seed, actor=actor)
    facts["fill_seconds"] = time.perf_counter() - started
    facts["registry"] = summary.counts
    started = time.perf_counter()
    made = fill_requests(actor=actor)
    rng = random.Random(seed)
    people = list(Person.objects.exclude(email="").order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    kinds = ("access", "erasure", "objection", "portability", "restriction")
    with mail.unsent():
        for n in range(requests):
            kind = kinds[n % len(kinds)]
            request = services.do_open_request(
                kind,
                channel="email",
                actor=actor,
                person=Person.objects.get(pk=rng.choice(people)),
                received_at=now - dt.timedelta(days=rng.randint(0, 45), minutes=n),
                acknowledge=False,
            )
            if n % 3 == 0:
                services.do_verify_identity(request, method="staff", actor=actor)
            made += 1
    facts["requests_seconds"] = time.perf_counter() - started
    facts["requests"] = Request.objects.count()
    # The customer: a person with the most roles (organisations, their services and invoices).
    today = timezone.localdate()
    current = Q(roles__since__isnull=True) | Q(roles__since__lte=today)
    current &= Q(roles__until__isnull=True) | Q(roles__until__gte=today)
    person = (
        Person.objects.exclude(email="")
        .annotate(n=Count("roles", filter=current))
        .order_by("-n", "pk")
        .first()
    )
    if person is None:
        raise RuntimeError("the registry has no person with an e-mail address")
    do_create_account(
        CUSTOMER_EMAIL, role="customer", person=person, password=PASSWORD, verified=True, actor=ACTOR
    )
    officer = do_create_account(
        OFFICER_EMAIL, role="privacy_officer", password=PASSWORD, verified=True, actor=ACTOR
    )
    secret = base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")
    TOTP.activate(officer, secret)
    facts["customer_current_roles"] = person.n
    facts["customer_last_name"] = person.last_name
    facts["officer_totp_secret"] = secret
    return facts


# --- the server and the log-in ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--timeout",
        "60",
        "trustdesk.wsgi:application",
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603  (our own command line)
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start-up:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{PLAIN}", timeout=5) as page:
                if page.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _csrf_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not match:
        raise RuntimeError("no CSRF token in the form")
    return html.unescape(match.group(1))


def log_in(
    base: str, email: str, totp_secret: str | None, check_path: str, expect: str
) -> tuple[str, dict[str, Any]]:
    """Log in through the site's own pages; returns the Cookie header of the session and what happened."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    steps: list[str] = []

    def get(path: str) -> tuple[str, str]:
        with opener.open(base + path, timeout=30) as page:
            return page.geturl(), page.read().decode()

    def post(url: str, fields: dict[str, str]) -> tuple[str, str]:
        data = urllib.parse.urlencode(fields).encode()
        with opener.open(
            urllib.request.Request(url, data=data, headers={"Referer": url}),  # noqa: S310  (http://127.0.0.1)
            timeout=30,
        ) as page:
            return page.geturl(), page.read().decode()

    url, page = get("/account/login/")
    url, page = post(url, {"login": email, "password": PASSWORD, "csrfmiddlewaretoken": _csrf_token(page)})
    steps.append(f"log-in form -> {urllib.parse.urlsplit(url).path}")
    if "/2fa/authenticate/" in url:
        if totp_secret is None:
            raise RuntimeError(f"{email}: the site asks for a two-factor code and there is no authenticator")
        url, page = post(url, {"code": totp_code(totp_secret), "csrfmiddlewaretoken": _csrf_token(page)})
        steps.append(f"two-factor code -> {urllib.parse.urlsplit(url).path}")
    elif totp_secret is not None:
        raise RuntimeError(f"{email}: the site did not ask for the two-factor code")
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise RuntimeError(f"{email}: no session cookie after the log-in ({steps})")
    header = f"sessionid={cookies['sessionid']}"
    if "csrftoken" in cookies:
        header += f"; csrftoken={cookies['csrftoken']}"
    return header, {"steps": steps, "check": check_page(base, header, check_path, expect)}


def check_page(base: str, header: str, check_path: str, expect: str) -> str:
    """The page must answer 200 to the session cookie alone, without a redirect, and show ``expect``."""
    plain = urllib.request.build_opener(_NoRedirect)
    with plain.open(
        urllib.request.Request(base + check_path, headers={"Cookie": header}),  # noqa: S310  (http://127.0.0.1)
        timeout=30,
    ) as page:
        if page.status != 200:
            raise RuntimeError(f"{check_path} answered {page.status}")
        body = page.read().decode()
    if expect not in body:
        raise RuntimeError(f"{check_path} does not show {expect!r}: not the page to measure")
    return f"{check_path} 200, {len(body.encode()):,} bytes, {body.count(expect)} times {expect!r}"


# --- the load --------------------------------------------------------------------------------------


WRK = shutil.which("wrk") or "/usr/bin/wrk"


def wrk_version() -> str:
    done = subprocess.run([WRK, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    return (done.stdout + done.stderr).strip().splitlines()[0]


def wrk(url: str, cookie: str | None, duration: int, connections: int, script: Path) -> dict[str, Any]:
    command = [WRK, "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    command += ["-s", str(script)]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(url)
    done = subprocess.run(  # noqa: S603  (our own command line)
        command, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    raw = json.loads(line[4:])
    seconds = raw["duration_us"] / 1e6
    return {
        "rps": raw["requests"] / seconds,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "requests": raw["requests"],
        "bytes_per_response": raw["bytes"] / raw["requests"] if raw["requests"] else 0,
        "non_200": raw["non_200"],
        "first_non_200_status": raw["first_non_200"] or None,
        "socket_errors": raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"],
    }


def measure(
    base: str,
    pages: dict[str, tuple[str, str | None]],
    runs: int,
    duration: int,
    connections: int,
    script: Path,
) -> dict[str, Any]:
    names = list(pages)
    per_run: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for name in names:  # warm-up, untimed: the workers' first requests, the templates, the connections
        path, cookie = pages[name]
        wrk(base + path, cookie, 2, connections, script)
    for run in range(runs):
        order = names[run % len(names) :] + names[: run % len(names)]
        line = []
        for name in order:
            path, cookie = pages[name]
            figures = wrk(base + path, cookie, duration, connections, script)
            per_run[name].append(figures)
            line.append(f"{name} {figures['rps']:.0f} rps p99 {figures['p99_ms']:.0f} ms")
        print(f"    run {run + 1}: " + ", ".join(line), flush=True)
    plain = per_run["plain"]
    signed_in = per_run.get("signed_in")
    out: dict[str, Any] = {}
    for name in names:
        rows = per_run[name]
        rps = statistics.median(r["rps"] for r in rows)
        entry: dict[str, Any] = {
            "path": pages[name][0],
            "median_rps": rps,
            "median_p99_ms": statistics.median(r["p99_ms"] for r in rows),
            "median_p50_ms": statistics.median(r["p50_ms"] for r in rows),
            "requests": sum(r["requests"] for r in rows),
            "non_200": sum(r["non_200"] for r in rows),
            "socket_errors": sum(r["socket_errors"] for r in rows),
            "bytes_per_response": statistics.median(r["bytes_per_response"] for r in rows),
            "runs": rows,
        }
        if name not in REFERENCES and signed_in is not None:
            entry["ratio_to_signed_in"] = rps / statistics.median(s["rps"] for s in signed_in)
            entry["ratio_to_signed_in_per_run"] = [
                r["rps"] / s["rps"] for r, s in zip(rows, signed_in, strict=True)
            ]
        if name in ("signed_in", "plain_signed_in"):
            entry["ratio_to_plain"] = rps / statistics.median(p["rps"] for p in plain)
            entry["ratio_to_plain_per_run"] = [r["rps"] / p["rps"] for r, p in zip(rows, plain, strict=True)]
        elif name != "plain":
            ratios = [r["rps"] / p["rps"] for r, p in zip(rows, plain, strict=True)]
            entry["ratio_to_plain"] = rps / statistics.median(p["rps"] for p in plain)
            entry["ratio_to_plain_per_run"] = ratios
            entry["met_throughput"] = entry["ratio_to_plain"] >= MIN_RATIO
            entry["met_p99"] = entry["median_p99_ms"] < MAX_P99_MS
            entry["met"] = entry["met_throughput"] and entry["met_p99"] and entry["non_200"] == 0
        out[name] = entry
    return out


# --- the command -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database on 127.0.0.1 whose name contains 'bench' (created and dropped); "
        "default: SQLite in a temporary data directory",
    )
    parser.add_argument("--organisations", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=300, help="requests opened besides the examples")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page and run")
    parser.add_argument("--connections", type=int, default=4, help="wrk's open connections (default 4)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--timeout", type=int, default=900, help="stop after this many seconds (default 900)")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "web.json")
    args = parser.parse_args(argv)
    if min(args.organisations, args.runs, args.duration, args.connections) < 1 or args.requests < 0:
        parser.error("--organisations, --runs, --duration and --connections are at least 1")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    maintenance = name = None
    if args.database_url:
        url, name, maintenance = registry_bench.database_url(args.database_url)

    def expire(signum: int, frame: Any) -> None:
        raise Deadline(f"stopped after {args.timeout} s (--timeout)")

    signal.signal(signal.SIGALRM, expire)
    signal.alarm(args.timeout)
    workdir = Path(tempfile.mkdtemp(prefix="trustdesk-web-bench-"))
    env = {
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "TRUSTDESK_DATA_DIR": str(workdir / "data"),
        "TRUSTDESK_SECRET_KEY": secrets.token_urlsafe(64),
        "TRUSTDESK_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    for variable in ("DATABASE_URL", "TRUSTDESK_POLICY", "TRUSTDESK_HTTPS", "TRUSTDESK_DEBUG"):
        os.environ.pop(variable, None)
    if args.database_url:
        env["DATABASE_URL"] = url
    os.environ.update(env)
    server: subprocess.Popen[bytes] | None = None
    started = time.perf_counter()
    try:
        if maintenance and name:
            registry_bench.fresh_database(maintenance, name)
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection, connections

        if not Path(settings.DATA_DIR).resolve().is_relative_to(workdir.resolve()):
            raise RuntimeError(f"DATA_DIR is {settings.DATA_DIR}, not under {workdir}")
        if connection.vendor == "postgresql":
            engine = f"postgresql {connection.cursor().connection.info.server_version} ({name})"
        else:
            engine = f"sqlite {sqlite3.sqlite_version} (in the temporary data directory)"
        print(f"web pages benchmark: {args.organisations:,} organisations, {engine}; building")
        results: dict[str, Any] = {
            "benchmark": "web",
            "command": " ".join(
                ["python", "benchmarks/web.py", *(argv if argv is not None else sys.argv[1:])]
            ),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": registry_bench.machine(),
            "database": engine,
            "server": "gunicorn --workers 2 (sync), "
            + subprocess.run(
                [sys.executable, "-m", "gunicorn", "--version"], capture_output=True, text=True, check=False
            ).stdout.strip(),
            "load": f"wrk -t1 -c{args.connections} -d{args.duration}s, {args.runs} runs",
            "load_generator": wrk_version(),
            "organisations": args.organisations,
            "load_average_before": os.getloadavg(),
        }
        facts = build(args.organisations, args.requests, args.seed)
        secret = facts.pop("officer_totp_secret")
        results["build"] = facts
        results["my_data_page"] = f"{MY_DATA} (the customer portal's my data page)"
        connections.close_all()
        print(
            f"  built in {time.perf_counter() - started:.0f} s; {facts['requests']} requests; starting gunicorn"
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(port, os.environ.copy(), workdir / "gunicorn.log")
        expect = html.escape(facts["customer_last_name"])
        customer, customer_login = log_in(base, CUSTOMER_EMAIL, None, MY_DATA, expect)
        signed_in_check = check_page(base, customer, SIGNED_IN, EXPECT_SIGNED_IN)
        floor_check = check_page(base, customer, PLAIN_SIGNED_IN, EXPECT_PLAIN_SIGNED_IN)
        officer, officer_login = log_in(base, OFFICER_EMAIL, secret, QUEUE, EXPECT_QUEUE)
        results["log_in"] = {"customer": customer_login, "privacy_officer": officer_login}
        results["signed_in_reference"] = signed_in_check
        results["signed_in_floor"] = floor_check
        print(f"  logged in: customer {customer_login['check']}; officer {officer_login['check']}")
        print(f"  signed-in references: {signed_in_check}; {floor_check}")
        script = workdir / "count.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        pages: dict[str, tuple[str, str | None]] = {
            "plain": (PLAIN, None),
            "plain_signed_in": (PLAIN_SIGNED_IN, customer),
            "signed_in": (SIGNED_IN, customer),
            "my_data": (MY_DATA, customer),
            "queue": (QUEUE, officer),
        }
        print(f"  {args.runs} runs of {args.duration} s per page, {args.connections} connections")
        results["pages"] = measure(base, pages, args.runs, args.duration, args.connections, script)
        results["load_average_after"] = os.getloadavg()
        results["total_seconds"] = time.perf_counter() - started
        results["targets"] = {
            "throughput": f"at least {MIN_RATIO} of the plain page",
            "p99": f"under {MAX_P99_MS:.0f} ms",
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
        print_table(results)
        print(f"\nresults: {args.json}")
        bad = sum(p["non_200"] + p["socket_errors"] for p in results["pages"].values())
        return 1 if bad else 0
    except Deadline as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)
        if server is not None:
            stop_server(server)
        if maintenance and name:
            registry_bench.drop_database(maintenance, name)
        shutil.rmtree(workdir, ignore_errors=True)


def print_table(r: dict[str, Any]) -> None:
    def yes(met: bool) -> str:
        return "yes" if met else "NO"

    plain = r["pages"]["plain"]
    rows = [("page", "median rps", "median p99", "plain rps", "ratio", "to signed-in", "non-200", "met?")]
    for name, page in r["pages"].items():
        if name in REFERENCES:
            rows.append(
                (
                    page["path"],
                    f"{page['median_rps']:.0f}",
                    f"{page['median_p99_ms']:.0f} ms",
                    "" if name == "plain" else f"{plain['median_rps']:.0f}",
                    "(reference)" if name == "plain" else f"{page['ratio_to_plain']:.2f} (reference)",
                    "",
                    str(page["non_200"]),
                    "",
                )
            )
            continue
        rows.append(
            (
                page["path"],
                f"{page['median_rps']:.0f}",
                f"{page['median_p99_ms']:.0f} ms",
                f"{plain['median_rps']:.0f}",
                f"{page['ratio_to_plain']:.2f}",
                f"{page['ratio_to_signed_in']:.2f}" if "ratio_to_signed_in" in page else "",
                str(page["non_200"]),
                f"throughput {yes(page['met_throughput'])}, p99 {yes(page['met_p99'])}",
            )
        )
    widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]))]
    print()
    for row in rows:
        print("  ".join(cell.ljust(widths[n]) for n, cell in enumerate(row)).rstrip())
    print(f"\n  my data page: {r['my_data_page']}")


if __name__ == "__main__":
    sys.exit(main())
