"""Every e-mail of a request has a name staff read when it could not be sent."""

from __future__ import annotations

from pathlib import Path

from trustdesk.console import labels

EMAILS = Path(__file__).resolve().parents[2] / "trustdesk" / "rights" / "templates" / "rights" / "email"


def test_every_e_mail_of_a_request_is_named_for_staff() -> None:
    templates = {f"rights/email/{path.name.split('.')[0]}" for path in EMAILS.glob("*.txt")}
    assert templates, EMAILS
    assert templates == set(labels.MAIL)
    assert labels.mail_label("rights/email/acknowledged") == "the acknowledgement"
    assert labels.mail_label("some/other") == "some/other"
