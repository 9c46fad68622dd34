"""``trustdesk consent give|withdraw|show``: recording and reading consent, with exit status 2 on bad input."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from tests.consent.conftest import NEWSLETTER
from trustdesk.consent.models import ConsentEvent
from trustdesk.consent.queries import has_consent
from trustdesk.journal.models import JournalEntry

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("consent", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def run_exit(capsys, monkeypatch):
    """Run as the `trustdesk` command does; returns the exit status and what went to stderr."""
    from django.core.management import base

    from trustdesk.cli import main

    # The command line closes the database connections when it ends; the test's transaction needs its own.
    monkeypatch.setattr(base.connections, "close_all", lambda: None)

    def _run_exit(*args: str) -> tuple[int, str]:
        with pytest.raises(SystemExit) as caught:
            main(["consent", *args])
        return int(caught.value.code or 0), capsys.readouterr().err

    return _run_exit


def test_it_gives_and_withdraws_consent(policy, anna):
    text = _run(
        "give",
        "--person",
        str(anna.pk),
        "--purpose",
        NEWSLETTER,
        "--channel",
        "letter",
        "--method",
        "letter",
        "--evidence",
        "scan-17",
    )
    assert text.strip() == f"Person {anna.pk}: consent to 'newsletter' given."
    assert has_consent(anna, NEWSLETTER)
    event = ConsentEvent.objects.get()
    assert event.recorded_by.startswith("operator:")
    assert (event.channel, event.method, event.evidence) == ("letter", "letter", "scan-17")
    text = _run(
        "withdraw",
        "--person",
        str(anna.pk),
        "--purpose",
        NEWSLETTER,
        "--channel",
        "email",
        "--method",
        "email",
    )
    assert "withdrawn" in text
    assert not has_consent(anna, NEWSLETTER)
    assert JournalEntry.objects.filter(action="consent.withdrawn").count() == 1


def test_it_says_when_nothing_changed(policy, anna):
    args = ("--person", str(anna.pk), "--purpose", NEWSLETTER, "--channel", "email", "--method", "email")
    assert "never given: nothing recorded" in _run("withdraw", *args)
    _run("give", *args)
    assert "already given" in _run("give", *args)
    assert ConsentEvent.objects.count() == 1


def test_it_prints_json_for_scripts(policy, anna):
    args = ("--person", str(anna.pk), "--purpose", NEWSLETTER, "--channel", "portal", "--method", "portal")
    given = json.loads(_run("give", *args, "--lang", "en", "--json"))
    assert given["person"] == anna.pk
    assert given["state"] == "given"
    assert given["changed"] is True
    assert given["event"]["lang"] == "en"
    assert given["event"]["policy_version"] == policy.number
    again = json.loads(_run("give", *args, "--lang", "en", "--json"))
    assert again["changed"] is False
    assert again["event"]["id"] == given["event"]["id"]
    shown = json.loads(_run("show", "--person", str(anna.pk), "--json", "--history"))
    assert shown["consents"][NEWSLETTER]["state"] == "given"
    assert shown["consents"][NEWSLETTER]["event"] == given["event"]["id"]
    assert [e["kind"] for e in shown["history"]] == ["given"]


def test_it_shows_where_each_consent_stands(policy, anna):
    assert _run("show", "--person", str(anna.pk)).strip() == "newsletter: never given"
    _run(
        "give",
        "--person",
        str(anna.pk),
        "--purpose",
        NEWSLETTER,
        "--channel",
        "email",
        "--method",
        "email",
        "--text",
        "Yes please.",
    )
    text = _run("show", "--person", str(anna.pk), "--purpose", NEWSLETTER, "--history")
    assert text.startswith("newsletter: given since ")
    assert "via email/email" in text


def test_it_exits_2_for_an_unknown_person(policy, run_exit):
    status, err = run_exit("show", "--person", "4242")
    assert status == 2
    assert "no person has id 4242" in err
    status, err = run_exit(
        "give", "--person", "anna", "--purpose", NEWSLETTER, "--channel", "email", "--method", "email"
    )
    assert status == 2
    assert "--person takes a person's id (a number), not 'anna'" in err


def test_it_exits_2_for_an_unknown_purpose(policy, anna, run_exit):
    args = ("--person", str(anna.pk), "--channel", "email", "--method", "email")
    status, err = run_exit("give", *args, "--purpose", "newsletters")
    assert status == 2
    assert "has no purpose 'newsletters'" in err
    status, err = run_exit("withdraw", *args, "--purpose", "invoicing")
    assert status == 2
    assert "purpose 'invoicing' rests on legal_obligation, not on consent" in err
    status, err = run_exit("show", "--person", str(anna.pk), "--purpose", "invoicing")
    assert status == 2
    assert "purpose 'invoicing' is not on consent" in err
    assert not ConsentEvent.objects.exists()


def test_it_exits_2_for_a_missing_or_unknown_channel(policy, anna, run_exit):
    status, err = run_exit("give", "--person", str(anna.pk), "--purpose", NEWSLETTER, "--method", "email")
    assert status == 2
    assert "--channel" in err
    status, err = run_exit(
        "give",
        "--person",
        str(anna.pk),
        "--purpose",
        NEWSLETTER,
        "--channel",
        "pigeon",
        "--method",
        "email",
    )
    assert status == 2
    assert "invalid choice: 'pigeon'" in err
