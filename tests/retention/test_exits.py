"""Customer exit: recipients asked to delete the data by e-mail (real SMTP) and webhook (real HTTP), reminded, confirmed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from trustdesk.journal.models import JournalEntry
from trustdesk.registry.services import Actor, do_create, do_record_disclosure, do_update
from trustdesk.retention.exits import do_confirm_erasure_request, do_customer_exits
from trustdesk.retention.models import ErasureStatus, RecipientErasureRequest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("data_dir")]

STAFF = Actor.operator("tester")


def test_it_asks_each_recipient_through_its_channel_once(customer_exit, smtp, webhook) -> None:
    report = do_customer_exits(actor=STAFF)
    assert report.as_dict() == {"created": 2, "sent": 2, "reminded": 0, "failed": 0}
    by_recipient = {r.recipient: r for r in RecipientErasureRequest.objects.all()}
    mailed, posted = by_recipient["domain_suppliers"], by_recipient["certificate_authority"]
    assert (mailed.channel, mailed.status, posted.channel, posted.status) == (
        "email",
        "sent",
        "webhook",
        "sent",
    )
    assert mailed.event == "end_of_service" and posted.event == "certificate_expiry"

    [message] = smtp.to("privacy@registrar.example")
    assert message["Subject"] == f"verzoek tot verwijdering van gegevens van onze klant ({mailed.reference})"
    text = smtp.text(message)
    assert "bakkerij-jansen.nl" in text and "C1042" in text and mailed.reference in text

    [body] = webhook.bodies
    assert body["reference"] == posted.reference and body["kind"] == "erasure_request"
    assert body["domains"] == ["bakkerij-jansen.nl"] and body["customer_reference"] == "C1042"
    assert webhook.headers[0]["Content-Type"] == "application/json"

    again = do_customer_exits(actor=STAFF)
    assert again.as_dict() == {"created": 0, "sent": 0, "reminded": 0, "failed": 0}
    assert len(smtp.messages) == 1 and len(webhook.bodies) == 1
    actions = set(
        JournalEntry.objects.filter(object_type="retention.recipienterasurerequest").values_list(
            "action", flat=True
        )
    )
    assert actions == {"retention.erasure_request.opened", "retention.erasure_request.sent"}


def test_it_reminds_until_confirmed(customer_exit, smtp, webhook, settings) -> None:
    settings.RETENTION_ERASURE_REMINDER_DAYS = 14
    do_customer_exits(actor=STAFF)
    later = timezone.now() + dt.timedelta(days=13)
    with time_machine.travel(later, tick=False):
        assert do_customer_exits(actor=STAFF).reminded == 0
    with time_machine.travel(later + dt.timedelta(days=2), tick=False):
        assert do_customer_exits(actor=STAFF).reminded == 2
    mailed = RecipientErasureRequest.objects.get(recipient="domain_suppliers")
    assert (mailed.status, mailed.reminders) == (ErasureStatus.REMINDED, 1)
    assert smtp.messages[-1]["Subject"].startswith("Herinnering 1:")
    assert webhook.bodies[-1]["kind"] == "reminder" and webhook.bodies[-1]["reminder"] == 1

    out = StringIO()
    call_command("retention", "confirm", mailed.reference, "--note", "ticket 77", stdout=out)
    assert out.getvalue().strip() == f"{mailed.reference} confirmed."
    mailed.refresh_from_db()
    assert mailed.status == ErasureStatus.CONFIRMED and mailed.confirmed_at is not None
    assert mailed.identifiers == {}  # nothing kept once the recipient confirmed
    assert JournalEntry.objects.filter(
        action="retention.erasure_request.confirmed", object_id=str(mailed.pk)
    ).exists()
    with time_machine.travel(later + dt.timedelta(days=40), tick=False):
        assert do_customer_exits(actor=STAFF).reminded == 1  # only the one not confirmed
    with pytest.raises(CommandError, match=f"{mailed.reference} was confirmed already"):
        call_command("retention", "confirm", str(mailed.pk))
    with pytest.raises(CommandError, match="there is no recipient erasure request 999"):
        call_command("retention", "confirm", "999")
    with pytest.raises(CommandError, match="is not a request id"):
        call_command("retention", "confirm", "abc")
    out = StringIO()
    call_command("retention", "requests", "--open", "--json", stdout=out)
    assert [row["recipient"] for row in json.loads(out.getvalue())] == ["certificate_authority"]


def test_it_marks_a_failed_delivery_and_sends_it_on_the_next_run(
    customer_exit, smtp, webhook, settings
) -> None:
    webhook.status = 500
    settings.RETENTION_WEBHOOK_SECRET = "s3cret"
    report = do_customer_exits(actor=STAFF)
    assert (report.sent, report.failed) == (1, 1)
    posted = RecipientErasureRequest.objects.get(recipient="certificate_authority")
    assert (posted.status, posted.last_error, posted.attempts) == (
        "failed",
        "the webhook answered HTTP 500",
        1,
    )
    webhook.status = 204
    assert do_customer_exits(actor=STAFF).sent == 1
    posted.refresh_from_db()
    assert (posted.status, posted.last_error, posted.attempts) == ("sent", "", 2)
    raw = json.dumps(webhook.bodies[-1], sort_keys=True).encode()
    expected = hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
    assert webhook.headers[-1]["X-Trustdesk-Signature"] == f"sha256={expected}"


def test_it_never_drops_a_request_to_a_recipient_without_a_channel(customer_exit, smtp, settings) -> None:
    settings.RETENTION_ERASURE_CHANNELS = {}
    report = do_customer_exits(actor=STAFF)
    assert (report.created, report.failed) == (2, 2)
    failed = RecipientErasureRequest.objects.get(recipient="domain_suppliers")
    assert failed.status == "failed"
    assert "no channel is configured for recipient 'domain_suppliers'" in failed.last_error
    assert "TRUSTDESK_ERASURE_CHANNELS" in failed.last_error
    do_confirm_erasure_request(failed.pk, actor=STAFF, note="confirmed by phone")  # staff may still confirm


def test_it_waits_while_a_domain_runs_or_a_certificate_was_renewed(customer_exit, smtp, webhook) -> None:
    from trustdesk.registry.models import Service, ServiceIdentifier

    today = timezone.localdate()
    org = customer_exit.org
    running = do_create(Service, {"organisation": org, "kind": "domain"}, actor=STAFF)
    do_record_disclosure(org, "domain_suppliers", ["user.name"], actor=STAFF, service=running)
    renewal = do_create(
        Service,
        {
            "organisation": org,
            "kind": "ssl_certificate",
            "certificate_expires_on": today + dt.timedelta(days=300),
        },
        actor=STAFF,
    )
    do_create(
        ServiceIdentifier, {"service": renewal, "kind": "domain", "value": "bakkerij-jansen.nl"}, actor=STAFF
    )
    assert do_customer_exits(actor=STAFF).created == 0
    do_update(running, {"ends_on": today + dt.timedelta(days=1)}, actor=STAFF)
    assert do_customer_exits(actor=STAFF).created == 0
    do_update(running, {"ends_on": today}, actor=STAFF)  # its last day: the customer takes no more domains
    assert do_customer_exits(actor=STAFF).created == 1
    assert RecipientErasureRequest.objects.get().event_on == today


def test_it_shows_requests_to_staff_read_only(customer_exit, smtp, webhook, admin_user, admin_client) -> None:
    from tests.accounts.personas import give_totp

    give_totp(admin_user)  # the policy requires two-factor authentication for staff
    do_customer_exits(actor=STAFF)
    request = RecipientErasureRequest.objects.first()
    assert request is not None
    page = admin_client.get("/admin/retention/recipienterasurerequest/")
    assert page.status_code == 200 and b"certificate_authority" in page.content
    assert admin_client.get("/admin/retention/recipienterasurerequest/add/").status_code == 403
    detail = admin_client.get(f"/admin/retention/recipienterasurerequest/{request.pk}/change/")
    assert detail.status_code == 200 and b'name="status"' not in detail.content
