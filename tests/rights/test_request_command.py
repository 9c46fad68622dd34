"""`trustdesk request ...`: the operators' and scripts' way to open and handle requests."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.smtp import refusing
from trustdesk.rights.models import Request

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("request", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return out.getvalue(), err.getvalue(), int(exc.code or 0)
    return out.getvalue(), err.getvalue(), 0


def test_it_opens_lists_handles_and_shows_a_request(people, tmp_path: Path, commit) -> None:
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 a scanned letter")
    with commit():
        out, err, status = _run(
            "new",
            "--type",
            "access",
            "--email",
            "anna@example.be",
            "--channel",
            "letter",
            "--original",
            str(letter),
            "--json",
        )
    assert status == 0, err
    opened = json.loads(out)
    assert opened["kind"] == "access" and opened["status"] == "received" and opened["person"] is not None
    request = Request.objects.get(reference=opened["reference"])
    assert request.original.read() == b"%PDF-1.4 a scanned letter"
    listed = json.loads(_run("list", "--json")[0])
    assert [r["reference"] for r in listed] == [opened["reference"]]
    assert (
        _run("verify", opened["reference"], "--method", "id_document", "--note", "identity card seen")[2] == 0
    )
    out, err, status = _run("extend", opened["reference"], "--by", "P1M", "--reason", "archived records")
    assert status == 0, err
    with commit():
        out, err, status = _run("fulfil", opened["reference"].lower(), "--json")
    assert status == 0, err
    assert json.loads(out)["status"] == "fulfilled"
    shown = json.loads(_run("show", opened["reference"], "--json")[0])
    assert [e["action"] for e in shown["timeline"]] == ["opened", "in_progress", "extended", "fulfilled"]
    assert {d["format"] for d in shown["downloads"]} == {"report_html", "data_json"}
    assert _run("list", "--json")[0].strip() == "[]"


def test_it_says_what_is_wrong_in_one_line_with_status_2(people) -> None:
    _, err, status = _run("show", "R-2026-NOPE00")
    assert (status, err.strip()) == (2, "trustdesk request: there is no request 'R-2026-NOPE00'")
    _, err, status = _run("new", "--type", "access", "--email", "nonsense")
    assert (status, err.strip()) == (2, "trustdesk request: email: this is not an e-mail address")
    _, err, status = _run("new", "--type", "access", "--person", "999")
    assert (status, err.strip()) == (2, "trustdesk request: there is no person 999")
    out, _, _ = _run("new", "--type", "access", "--email", "anna@example.be", "--json")
    reference = json.loads(out)["reference"]
    _, err, status = _run("fulfil", reference)
    assert status == 2 and "only a request in progress" in err
    _, err, status = _run("refuse", reference, "--ground", "not_justified", "--reasons", "x")
    assert (status, err.strip()) == (
        2,
        "trustdesk request: 'not_justified' is a ground for refusing an erasure only",
    )
    _, err, status = _run("new", "--type", "rectification", "--email", "a@example.org", "--change", "=x")
    assert status == 2 and "write FIELD=VALUE" in err


def test_it_refuses_without_a_policy(db) -> None:
    _, err, status = _run("new", "--type", "access", "--email", "anna@example.be")
    assert status == 2 and "no policy is in effect" in err


@pytest.mark.django_db(transaction=True)
def test_it_says_the_request_is_recorded_when_its_e_mail_cannot_be_sent(people, refusing) -> None:
    _, err, status = _run("new", "--type", "access", "--email", "anna@example.be", "--channel", "letter")
    assert status == 2
    assert err.strip().startswith("trustdesk request: done and recorded, but the e-mail rights/email/")
    assert err.strip().endswith(
        "could not be sent (SMTPRecipientsRefused 550); it is noted on the request: if it was a link, send it "
        "again with 'send-link'; otherwise tell the person another way and record how with 'mail-handled'"
    )
    assert "anna" not in err
    made = Request.objects.get()
    assert made.email == "anna@example.be" and made.reference in err and made.mail_failed_at is not None
    _, err, status = _run("mail-handled", made.reference, "--note", "Phoned her on the number on file.")
    assert status == 0, err
    made.refresh_from_db()
    assert made.mail_failed_at is None
    assert made.events.get(action="mail_handled").note == "Phoned her on the number on file."


__all__ = ["refusing"]
