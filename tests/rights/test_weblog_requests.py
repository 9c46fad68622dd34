"""Requests that give IP addresses: access includes their web server log lines, erasure removes them."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from tests.personas import STAFF
from tests.weblogs.conftest import combined, weblogs_policy
from trustdesk.rights import services
from trustdesk.rights.fulfil import do_fulfil
from trustdesk.weblogs.ingest import ingest
from trustdesk.weblogs.services import search

pytestmark = pytest.mark.django_db


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
                combined(ip="192.0.2.10", when=when, path="/anna/blog"),
                combined(ip="192.0.2.10", when=when, path="/anna/about"),
                combined(ip="198.51.100.7", when=when, path="/someone/else"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    ingest([str(log)], actor=STAFF, site="anna-blog.example")
    return log


def _fulfil(kind: str, person, commit):
    with commit():
        request = services.do_open_request(
            kind,
            channel="email",
            actor=STAFF,
            person=person,
            language="en",
            specifics={"ip_addresses": ["::ffff:192.0.2.10"]},
        )
        services.do_verify_identity(request, method="staff", actor=STAFF)
        do_fulfil(request, actor=STAFF, confirmed=True)
    request.refresh_from_db()
    return request


def test_it_includes_the_log_lines_of_the_addresses_given(logs, people, smtp, commit) -> None:
    _fulfil("access", people.anna, commit)
    links = re.findall(
        r"https://privacy\.hostwerk\.example(/privacy/download/\S+)",
        smtp.text(smtp.to("anna@example.be")[-1]),
    )
    data = json.loads(Client().get(links[1]).getvalue())
    assert sorted(hit["path"] for hit in data["web_server_logs"]) == ["/anna/about", "/anna/blog"]
    report = Client().get(links[0]).getvalue().decode()
    assert "/anna/blog" in report and "/someone/else" not in report


def test_it_erases_the_log_lines_of_the_addresses_given(logs, people, commit, officer_actor) -> None:
    request = _fulfil("erasure", people.anna, commit)
    assert request.status == "fulfilled"
    assert request.events.get(action="fulfilled").journal_seq
    remaining = search(actor=officer_actor, reason="check", site="anna-blog.example").hits
    assert [hit.path for hit in remaining] == ["/someone/else"]
