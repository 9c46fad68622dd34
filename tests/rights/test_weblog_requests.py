"""Requests that give IP addresses: access includes their web server log lines, erasure removes them."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone, translation

from tests.personas import STAFF, fetch_download
from tests.weblogs.conftest import combined, weblogs_policy
from trustdesk.rights import services
from trustdesk.rights.fulfil import do_fulfil
from trustdesk.weblogs.ingest import ingest
from trustdesk.weblogs.services import search

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def logs(settings, tmp_path: Path, publish, people) -> Path:
    settings.WEBLOGS_URL = str(tmp_path / "weblogs")
    settings.WEBLOGS_KEY_DIR = tmp_path / "weblog-keys"
    publish(weblogs_policy())
    when = (timezone.now() - dt.timedelta(days=1)).strftime("%d/%b/%Y:%H:%M:%S +0000")
    log = tmp_path / "access.log"
    log.write_text(
        "\n".join(
            [
                combined(ip="192.0.2.10", when=when, path="/anna/blog", agent=FIREFOX),
                combined(ip="192.0.2.10", when=when, path="/anna/about"),
                combined(ip="198.51.100.7", when=when, path="/someone/else"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    ingest([str(log)], actor=STAFF, site="anna-blog.example")
    return log


def _verified(kind: str, person, commit, address: str = "::ffff:192.0.2.10"):
    """A request that gives an IP address, with the person's identity checked by staff."""
    with commit():
        request = services.do_open_request(
            kind,
            channel="email",
            actor=STAFF,
            person=person,
            language="en",
            specifics={"ip_addresses": [address]},
        )
        services.do_verify_identity(request, method="staff", actor=STAFF)
    return request


def _fulfil(kind: str, person, commit):
    request = _verified(kind, person, commit)
    with commit():
        do_fulfil(request, actor=STAFF, confirmed=True)
    request.refresh_from_db()
    return request


def test_it_includes_the_log_lines_of_the_addresses_given(logs, people, smtp, commit) -> None:
    _fulfil("access", people.anna, commit)
    links = re.findall(
        r"https://privacy\.hostwerk\.example(/privacy/download/\S+)",
        smtp.text(smtp.to("anna@example.be")[-1]),
    )
    data = json.loads(fetch_download(Client(), links[1]).getvalue())
    assert sorted(hit["path"] for hit in data["web_server_logs"]) == ["/anna/about", "/anna/blog"]
    report = fetch_download(Client(), links[0]).getvalue().decode()
    assert "/anna/blog" in report and "/someone/else" not in report
    # The lines are a table with named columns, each moment in the site's time zone, as the pages show it.
    from django.utils import formats, translation

    from trustdesk.rights.fulfil.readable import HIT_COLUMNS

    lang = re.search(r'<html lang="(\w+)">', report).group(1)  # type: ignore[union-attr]
    header = "".join(f'<th scope="col">{name}</th>' for name in HIT_COLUMNS[lang].values())
    assert header in report
    stored = dt.datetime.fromisoformat(data["web_server_logs"][0]["at"])
    with translation.override(lang):
        local = formats.date_format(timezone.localtime(stored), "j F Y, H:i")
    assert f"<td>{local}</td>" in report and "<td>None</td>" not in report
    # The browser by its name, as the account pages give it; the data file keeps the header as logged.
    assert "<td>Firefox 128 on Windows 10/11</td>" in report and FIREFOX not in report
    assert FIREFOX in {hit["user_agent"] for hit in data["web_server_logs"]}


def test_it_erases_the_log_lines_of_the_addresses_given(logs, people, commit, officer_actor) -> None:
    request = _fulfil("erasure", people.anna, commit)
    assert request.status == "fulfilled"
    assert request.events.get(action="fulfilled").journal_seq
    remaining = search(actor=officer_actor, reason="check", site="anna-blog.example").hits
    assert [hit.path for hit in remaining] == ["/someone/else"]


def test_an_erasure_waits_a_while_for_a_busy_store_then_stays_open(
    logs, people, commit, officer_actor, settings, monkeypatch
) -> None:
    from trustdesk.rights.fulfil import erasure
    from trustdesk.rights.models import Status

    monkeypatch.setattr(erasure, "WEBLOGS_WAIT_SECONDS", 0.5)
    request = _verified("erasure", people.anna, commit, "192.0.2.10")
    # Another writer (an ingest of a large file, say) holds the store's lock.
    busy = (Path(settings.WEBLOGS_URL) / ".lock").open("a")
    fcntl.flock(busy, fcntl.LOCK_EX)
    try:
        with pytest.raises(services.RequestError) as refused:
            do_fulfil(request, actor=STAFF, confirmed=True)
        with translation.override("nl"), pytest.raises(services.RequestError) as in_dutch:
            do_fulfil(request, actor=STAFF, confirmed=True)
    finally:
        fcntl.flock(busy, fcntl.LOCK_UN)
        busy.close()
    message = str(refused.value)
    assert message == (
        "the web server logs could not be erased now, so the request is not fulfilled yet: another task "
        "on this server (an ingest or expiry of the logs) kept the log store busy for 0.5 seconds; try "
        "again in a few minutes"
    )
    assert str(in_dutch.value).startswith("de logbestanden van de webserver konden nu niet worden gewist")
    assert "0.5 seconden bezet" in str(in_dutch.value)
    assert "another" not in str(in_dutch.value)
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS  # nothing of the erasure took effect
    people.anna.refresh_from_db()
    assert people.anna.email == "anna@example.be"
    hits = search(actor=officer_actor, reason="check", ip="192.0.2.10").hits
    assert len(hits) == 2
    # Once the store is free, the same request is fulfilled.
    with commit():
        do_fulfil(request, actor=STAFF, confirmed=True)
    request.refresh_from_db()
    assert request.status == Status.FULFILLED
    assert search(actor=officer_actor, reason="check", ip="192.0.2.10").hits == []
