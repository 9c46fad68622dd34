"""Erasure (Art. 17): every field by its action, legal holds kept and told, P4.6, the ledger, and completeness."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from tests.personas import STAFF
from trustdesk.journal.verify import verify
from trustdesk.registry.models import Interaction, Organisation, Person, Service, ServiceIdentifier
from trustdesk.registry.services import do_create, do_create_invoice, do_link_person, do_update
from trustdesk.rights import services
from trustdesk.rights.fulfil import do_fulfil, do_reapply_erasures
from trustdesk.rights.models import Download, ErasureLedgerEntry, Status

pytestmark = pytest.mark.django_db

M = "qzmark"  # a string found nowhere else


def _dump() -> str:
    """Every value of every table, as text: what a database dump would hold."""
    parts: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            parts.extend(f"{table}: {row!r}" for row in cursor.fetchall())
    return "\n".join(parts)


def _marked_person() -> Person:
    """A private customer with a marker in every personal field of every record about her."""
    person = do_create(
        Person,
        {
            "first_name": f"{M}first",
            "last_name": f"{M}last",
            "email": f"{M}@example.be",
            "phone": f"+32 {M} 1",
            "mobile": f"+32 {M} 2",
            "fax": f"+32 {M} 3",
            "street": f"{M} street 1",
            "postal_code": f"{M}pc",
            "city": f"{M}city",
            "country": "BE",
            "language": "en",
            "job_title": f"{M} job",
            "tags": f"{M}tag",
            "notes": f"{M} notes",
            "external_ref": f"{M}-ref",
        },
        actor=STAFF,
    )
    person = do_update(
        person, {"city": f"{M}oldcity-now-{M}newcity", "notes": f"{M} second notes"}, actor=STAFF
    )
    org = do_create(
        Organisation,
        {
            "kind": "private",
            "name": f"{M} household",
            "street": f"{M} org street",
            "postal_code": f"{M}opc",
            "city": f"{M}ocity",
            "email": f"{M}org@example.be",
            "phone": f"{M} ophone",
            "fax": f"{M} ofax",
            "website": f"https://{M}.example",
            "notes": f"{M} org notes",
            "vat_number": f"BE{M}",
            "company_number": f"{M}0001",
        },
        actor=STAFF,
    )
    do_link_person(org, person, "owner", actor=STAFF)
    service = do_create(
        Service,
        {
            "organisation": org,
            "kind": "web_hosting",
            "label": f"{M}site",
            "notes": f"{M} service notes",
            "ends_on": dt.date(2020, 1, 1),
        },
        actor=STAFF,
    )
    do_create(ServiceIdentifier, {"service": service, "kind": "domain", "value": f"{M}.example"}, actor=STAFF)
    do_create(
        Interaction,
        {
            "person": person,
            "direction": "in",
            "occurred_at": timezone.now(),
            "subject": f"{M} call",
            "summary": f"{M} summary",
        },
        actor=STAFF,
    )
    do_create_invoice(
        {
            "organisation": org,
            "number": "2026-0099",
            "issued_on": dt.date(2026, 2, 1),
            "fiscal_year_end": dt.date(2026, 12, 31),
            "total": Decimal("10.00"),
            "billing_name": f"{M} billing",
            "billing_address": f"{M} billing street",
        },
        [{"description": "Hosting", "quantity": Decimal("1"), "unit_price": Decimal("10")}],
        actor=STAFF,
    )
    from trustdesk.consent.services import do_give_consent

    do_give_consent(
        person,
        "newsletter",
        actor=STAFF,
        channel="website",
        method="form",
        text=f"{M} consent text",
        evidence=f"{M}-message-id",
        ip="192.0.2.77",
    )
    return person


def test_it_leaves_no_trace_but_the_fields_under_legal_hold(people, smtp, commit, data_dir: Path) -> None:
    anna = _marked_person()
    # Earlier requests of hers: their details, timeline notes, an attached letter and a download.
    earlier = services.do_open_request(
        "access", channel="email", actor=STAFF, person=anna, details=f"{M} asked once", language="en"
    )
    services.do_verify_identity(earlier, method="staff", actor=STAFF, note=f"{M} called back")
    with commit():
        do_fulfil(earlier, actor=STAFF)
    download_files = [data_dir / d.path for d in Download.objects.filter(request=earlier)]
    assert all(M in f.read_text() for f in download_files)
    with commit():
        request = services.do_open_request(
            "erasure", channel="email", actor=STAFF, person=anna, details=f"{M} please erase", language="en"
        )
        services.do_verify_identity(request, method="staff", actor=STAFF, note=f"{M} verified")
        do_fulfil(request, actor=STAFF)
    request.refresh_from_db()
    assert request.status == Status.FULFILLED
    left = sorted(set(re.findall(rf"[^'\"]*{M}[^'\"]*", _dump())))
    assert left == [f"{M} billing", f"{M} billing street"]  # the invoice, kept for the accounting period
    assert not any(f.exists() for f in download_files)
    assert verify().ok
    text = smtp.text(smtp.to(f"{M}@example.be")[-1])
    assert "billing_name of registry.invoice" in text and "until 31 December 2033" in text


def test_it_tells_the_person_first_when_erasure_ends_the_service(people, smtp, commit) -> None:
    with commit():
        request = services.do_open_request(
            "erasure", channel="email", actor=STAFF, person=people.anna, language="en"
        )
        services.do_verify_identity(request, method="staff", actor=STAFF)
        do_fulfil(request, actor=STAFF)
    request.refresh_from_db()
    assert request.status == Status.AWAITING_CONFIRMATION
    assert Person.objects.get(pk=people.anna.pk).first_name == "Anna"  # nothing erased yet
    text = smtp.text(smtp.to("anna@example.be")[-1])
    assert "erasing it ends web hosting" in text
    link = re.search(r"https://privacy\.hostwerk\.example(/privacy/request/confirm/\S+)", text)
    assert link
    from django.test import Client

    with commit():
        assert Client().post(link.group(1)).status_code == 200
    request.refresh_from_db()
    assert request.status == Status.FULFILLED
    service = Service.objects.get(pk=people.hosting.pk)
    assert service.ends_on == timezone.localdate()
    assert Organisation.objects.get(pk=people.private.pk).status == "ended"
    assert Person.objects.get(pk=people.anna.pk).first_name.startswith("p1:")


def test_it_keeps_pseudonyms_in_the_ledger_and_erases_again_after_a_restore(people, commit) -> None:
    bob = people.bob
    with commit():
        request = services.do_open_request("erasure", channel="email", actor=STAFF, person=bob, language="en")
        services.do_verify_identity(request, method="staff", actor=STAFF)
        do_fulfil(request, actor=STAFF)
    entry = ErasureLedgerEntry.objects.get()
    assert "bob@jansen.example" not in repr(entry.pseudonyms)
    assert set(entry.pseudonyms) == {"email"}
    # An older backup comes back: Bob as he was.
    restored = do_create(
        Person, {"first_name": "Bob", "last_name": "Jansen", "email": "BOB@jansen.example"}, actor=STAFF
    )
    stranger = do_create(Person, {"first_name": "Carla", "email": "carla@example.org"}, actor=STAFF)
    assert do_reapply_erasures(actor=STAFF) == [restored.pk]
    restored.refresh_from_db()
    stranger.refresh_from_db()
    assert restored.email.startswith("p1:") and stranger.email == "carla@example.org"


def test_it_erases_the_persons_account_and_what_it_recorded_so_that_it_no_longer_opens(
    people, smtp, commit
) -> None:
    """A customer's account is the person's data: its addresses, authenticator, sessions, failed log-ins
    and the journal's details of its log-ins (the address and browser they came from) go with the rest."""
    from django.test import Client

    from tests.accounts.personas import PASSWORD, give_totp, log_in
    from trustdesk.accounts.models import LoginLock
    from trustdesk.accounts.services import do_create_account

    anna = _marked_person()
    email = f"{M}@example.be"
    user = do_create_account(
        email, role="customer", person=anna, password=PASSWORD, verified=True, actor="test"
    )
    browser = Client(HTTP_USER_AGENT=f"Mozilla/5.0 {M}browser", REMOTE_ADDR="192.0.2.10")
    assert log_in(browser, email).status_code == 302  # a session, and the log-in journaled with its browser
    give_totp(user)
    log_in(Client(HTTP_USER_AGENT=f"{M}other"), email, "not the password")  # a failed log-in, counted
    assert LoginLock.objects.filter(user=user, failures=1).exists()
    assert M in _dump()

    with commit():
        request = services.do_open_request(
            "erasure", channel="email", actor=STAFF, person=anna, language="en"
        )
        services.do_verify_identity(request, method="staff", actor=STAFF)
        do_fulfil(request, actor=STAFF)
    request.refresh_from_db()
    assert request.status == Status.FULFILLED
    left = sorted(set(re.findall(rf"[^'\"]*{M}[^'\"]*", _dump())))
    assert left == [f"{M} billing", f"{M} billing street"]  # the invoice, kept for the accounting period
    assert verify().ok
    user.refresh_from_db()
    assert user.email.startswith("p1:") and user.username.startswith("p1:") and user.password == ""
    assert log_in(Client(), email).status_code == 200  # the form again: no account has this address
    assert browser.get("/account/").status_code == 302  # the open session ended with the password
