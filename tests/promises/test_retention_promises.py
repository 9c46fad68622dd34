"""Promises kept by retention: legal periods and no longer than necessary, per purpose, keyed hashes, customer exit."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from tests.retention.conftest import EXAMPLES, RETENTION_POLICY, at
from trustdesk.journal.verify import verify
from trustdesk.lib.pseudonyms import canonical, current_key
from trustdesk.registry.models import Interaction, Invoice, Organisation, Person, Service, ServiceIdentifier
from trustdesk.registry.services import (
    Actor,
    do_create,
    do_create_invoice,
    do_link_person,
    do_record_disclosure,
)
from trustdesk.retention.models import ErasureStatus, RecipientErasureRequest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("data_dir")]

STAFF = Actor.operator("tester")
D = dt.date


def _run(*args: str) -> dict:
    out = StringIO()
    call_command("retention", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def _former_customer() -> tuple[Person, Organisation]:
    """A private customer who left in January 2025: an invoice of fiscal year 2024, a call in January 2025."""
    with time_machine.travel(at(D(2024, 1, 2)), tick=False):
        anna = do_create(
            Person, {"first_name": "Anna", "last_name": "Peeters", "email": "anna@example.be"}, actor=STAFF
        )
        home = do_create(Organisation, {"kind": "private", "name": "Anna Peeters"}, actor=STAFF)
        do_link_person(home, anna, "owner", actor=STAFF)
        do_create_invoice(
            {
                "organisation": home,
                "number": "2024-7",
                "issued_on": D(2024, 3, 1),
                "fiscal_year_end": D(2024, 12, 31),
                "total": Decimal("121.00"),
                "billing_name": "Anna Peeters",
                "billing_address": "Kerkstraat 1, 9000 Gent",
            },
            [],
            actor=STAFF,
        )
    with time_machine.travel(at(D(2025, 1, 15)), tick=False):
        do_create(
            Interaction,
            {"person": anna, "direction": "in", "occurred_at": at(D(2025, 1, 15)), "summary": "Anna cancels"},
            actor=STAFF,
        )
    return anna, home


@pytest.mark.promise("P2.9")
def test_it_keeps_data_for_the_accounting_period_and_otherwise_no_longer_than_necessary(publish) -> None:
    with time_machine.travel(at(D(2024, 1, 1)), tick=False):
        publish(RETENTION_POLICY)
    anna, _ = _former_customer()
    with time_machine.travel(at(D(2025, 6, 1)), tick=False):
        done = _run("run")
    assert done["counts"]["support"]["registry.interaction"] == {"deleted": 1}  # no longer necessary
    assert not Interaction.objects.exists()
    invoice = Invoice.objects.get()
    assert (invoice.billing_name, invoice.billing_address) == ("Anna Peeters", "Kerkstraat 1, 9000 Gent")
    assert Person.objects.get(pk=anna.pk).email == "anna@example.be"  # held with the books
    with time_machine.travel(at(D(2031, 12, 31)), tick=False):
        assert _run("run")["records"] == 0  # the last day of the seven years: still kept
    with time_machine.travel(at(D(2032, 1, 1)), tick=False):
        done = _run("run")
    assert done["people_erased"] == 1
    invoice.refresh_from_db()
    assert (invoice.billing_name, invoice.billing_address) == ("", "")
    assert invoice.total == Decimal("121.00") and invoice.number == "2024-7"  # the figures stay
    assert Person.objects.get(pk=anna.pk).email.startswith(current_key().id + ":")
    assert verify().ok


@pytest.mark.promise("P3.8")
def test_it_sets_retention_per_purpose_and_respects_the_legal_period(publish) -> None:
    with time_machine.travel(at(D(2024, 1, 1)), tick=False):
        publish(RETENTION_POLICY)
    _former_customer()
    with time_machine.travel(at(D(2025, 6, 1)), tick=False):
        plan = _run("plan", "--until", "2033-01-01")
    assert plan["now"] == {"support": {"registry.interaction": {"deleted": 1}}}
    coming = {day["on"]: day["counts"] for day in plan["coming"]}
    # The accounting period wins over support's three months for every record the books keep.
    assert set(coming) == {"2032-01-01"}
    assert coming["2032-01-01"]["invoicing"]["registry.invoice"] == {"anonymised": 1}
    assert coming["2032-01-01"]["invoicing"]["registry.person"] == {"pseudonymised": 1}


@pytest.mark.promise("P2.10")
def test_it_discards_data_at_the_end_of_retention_by_a_keyed_hash_or_removes_it(publish) -> None:
    with time_machine.travel(at(D(2025, 1, 1)), tick=False):
        publish(RETENTION_POLICY)
        bert = do_create(Person, {"first_name": "Bert", "email": "Bert@Example.be"}, actor=STAFF)
        do_create(
            Interaction,
            {"person": bert, "direction": "in", "occurred_at": at(D(2025, 1, 1)), "summary": "Bert asks"},
            actor=STAFF,
        )
    with time_machine.travel(at(D(2025, 6, 1)), tick=False):
        _run("run")
    bert.refresh_from_db()
    key = current_key()
    digest = hmac.new(key.secret, b"email\0" + canonical("Bert@Example.be", "email").encode(), hashlib.sha256)
    assert bert.email == f"{key.id}:{base64.b32encode(digest.digest()).decode().rstrip('=').lower()}"
    assert bert.first_name.startswith(f"{key.id}:") and "Bert" not in bert.first_name
    assert not Interaction.objects.exists()  # removed entirely
    copies = Person.history.model.objects.filter(id=bert.pk)
    assert copies.exists() and not copies.filter(email="Bert@Example.be").exists()


def _dutch_customer(publish, settings, ssl_categories: str = "") -> Organisation:
    text = (EXAMPLES / "dutch-hosting-nl.yaml").read_text(encoding="utf-8")
    if ssl_categories:
        marker = "  ssl_certificates:"
        head, tail = text.split(marker, 1)
        tail = tail.replace(
            "    data_categories:  # not stated in the seed: which personal data besides the address\n",
            "    data_categories:  # not stated in the seed: which personal data besides the address\n"
            f"      - {ssl_categories}\n",
            1,
        )
        text = head + marker + tail
        assert f"      - {ssl_categories}\n" in text
    publish(text)
    return do_create(
        Organisation, {"kind": "company", "name": "Bakkerij Jansen BV", "external_ref": "C1042"}, actor=STAFF
    )


def _lapsed_certificate(org: Organisation, domain: str, label: str = "") -> tuple[Service, ServiceIdentifier]:
    """An OV certificate for the domain that expired 45 days ago without renewal, disclosed to the
    certificate authority."""
    expired = timezone.localdate() - dt.timedelta(days=45)
    certificate = do_create(
        Service,
        {
            "organisation": org,
            "kind": "ssl_certificate",
            "label": label,
            "certificate_type": "ov",
            "certificate_expires_on": expired,
            "ends_on": expired,
        },
        actor=STAFF,
    )
    identifier = do_create(
        ServiceIdentifier, {"service": certificate, "kind": "domain", "value": domain}, actor=STAFF
    )
    do_record_disclosure(
        org, "certificate_authority", ["user.contact.address"], actor=STAFF, service=certificate
    )
    return certificate, identifier


@pytest.mark.promise("P4.3")
def test_a_lapsed_certificates_identifiers_go_while_the_customer_keeps_other_services(
    publish, settings, webhook
) -> None:
    org = _dutch_customer(publish, settings)  # the shipped policy as it is
    settings.RETENTION_ERASURE_CHANNELS = {"certificate_authority": webhook.url}
    hosting = do_create(Service, {"organisation": org, "kind": "web_hosting"}, actor=STAFF)  # runs on
    site = do_create(
        ServiceIdentifier, {"service": hosting, "kind": "domain", "value": "bakkerij-jansen.nl"}, actor=STAFF
    )
    _certificate, identifier = _lapsed_certificate(org, "shop.bakkerij-jansen.nl")
    done = _run("run")
    assert done["customer_exit"]["sent"] == 1
    [body] = webhook.bodies  # the request names the certificate's domain before it goes
    assert body["event"] == "certificate_expiry" and body["domains"] == ["shop.bakkerij-jansen.nl"]
    identifier.refresh_from_db()
    site.refresh_from_db()
    assert identifier.value.startswith(current_key().id + ":")  # 30 days after the certificate ended
    assert site.value == "bakkerij-jansen.nl"  # the hosting still runs
    assert Organisation.objects.get(pk=org.pk).name == "Bakkerij Jansen BV"


@pytest.mark.promise("P4.2")
def test_it_has_the_suppliers_delete_the_data_when_the_last_domain_ends_and_tracks_it(
    publish, settings, smtp
) -> None:
    org = _dutch_customer(publish, settings)
    settings.RETENTION_ERASURE_CHANNELS = {"domain_suppliers": "mailto:abuse-privacy@sidn.example"}
    today = timezone.localdate()
    first = do_create(
        Service,
        {"organisation": org, "kind": "domain", "ends_on": today - dt.timedelta(days=90)},
        actor=STAFF,
    )
    last = do_create(Service, {"organisation": org, "kind": "domain"}, actor=STAFF)
    for service, name in ((first, "jansen.nl"), (last, "bakkerij-jansen.nl")):
        do_create(ServiceIdentifier, {"service": service, "kind": "domain", "value": name}, actor=STAFF)
        do_record_disclosure(
            org, "domain_suppliers", ["user.name", "user.contact.address"], actor=STAFF, service=service
        )
    assert _run("run")["customer_exit"]["created"] == 0  # one domain still runs
    Service.objects.filter(pk=last.pk).update(ends_on=today - dt.timedelta(days=1))
    assert _run("run")["customer_exit"] == {"created": 1, "sent": 1, "reminded": 0, "failed": 0}
    [message] = smtp.to("abuse-privacy@sidn.example")
    request = RecipientErasureRequest.objects.get()
    assert request.reference in message["Subject"]
    assert "Domeinnamen: bakkerij-jansen.nl, jansen.nl" in smtp.text(message)
    with time_machine.travel(
        timezone.now() + dt.timedelta(days=settings.RETENTION_ERASURE_REMINDER_DAYS, hours=1)
    ):
        assert _run("run")["customer_exit"]["reminded"] == 1
    assert len(smtp.to("abuse-privacy@sidn.example")) == 2
    out = StringIO()
    call_command("retention", "requests", "--open", stdout=out)
    assert request.reference in out.getvalue() and "reminded" in out.getvalue()
    call_command("retention", "confirm", request.reference, "--note", "SIDN ticket 4411", stdout=StringIO())
    request.refresh_from_db()
    assert request.status == ErasureStatus.CONFIRMED and request.reminders == 1
    with time_machine.travel(timezone.now() + dt.timedelta(days=60)):
        assert _run("run")["customer_exit"]["reminded"] == 0  # confirmed: tracked to the end
    assert verify().ok


@pytest.mark.promise("P4.3")
def test_it_deletes_the_data_and_the_certificate_after_expiry_without_renewal(
    publish, settings, webhook
) -> None:
    org = _dutch_customer(publish, settings, ssl_categories="user.unique_id")
    settings.RETENTION_ERASURE_CHANNELS = {"certificate_authority": webhook.url}
    certificate, identifier = _lapsed_certificate(org, "bakkerij-jansen.nl", label="OV bakkerij-jansen.nl")
    done = _run("run")
    assert done["customer_exit"]["sent"] == 1
    [body] = webhook.bodies
    assert body["event"] == "certificate_expiry" and body["domains"] == ["bakkerij-jansen.nl"]
    certificate.refresh_from_db()
    identifier.refresh_from_db()
    assert certificate.label == ""  # the certificate's data at the provider is gone too
    assert identifier.value.startswith(current_key().id + ":")
    assert done["counts"]["ssl_certificates"]["registry.service"]
    organisation = Organisation.objects.get(pk=org.pk)
    assert organisation.name.startswith(current_key().id + ":")
