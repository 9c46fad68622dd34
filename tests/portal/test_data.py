"""My data: grouped by the policy's purposes, the signed-in customer's own data only."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.personas import Personas
from tests.personas import invoice_0042, october_traffic
from tests.portal.conftest import client_for
from trustdesk.registry.models import Service, ServiceIdentifier
from trustdesk.registry.services import Actor, do_create, do_create_invoice, do_update

STAFF = Actor.operator("test")

pytestmark = pytest.mark.django_db


def _invoice(portal: Personas) -> None:
    invoice_0042(
        portal.bakkerij,
        "Bakkerij Jansen, t.a.v. de boekhouding",
        billing_address="Veldstraat 1, 9000 Gent",
        actor=STAFF,
    )


def _groups(page: str) -> list[str]:
    import re

    return re.findall(r'<h2 id="purpose-\d+">([^<]+)</h2>', page)


def test_it_shows_the_owner_her_data_by_purpose_with_basis_recipients_and_retention(portal: Personas) -> None:
    page = client_for(portal.olga).get("/portal/data/").content.decode()
    assert _groups(page) == ["Invoicing", "Newsletter", "Other data we hold"]
    invoicing = page.split('id="purpose-1"')[1].split('id="purpose-2"')[0]
    assert "Legal obligation" in invoicing
    assert "seven years after the end of the fiscal year of the invoice" in invoicing
    assert "olga@example.com" in invoicing and "Olga" in invoicing
    assert "info@bakkerij.example" in invoicing  # her organisation's address
    newsletter = page.split('id="purpose-2"')[1].split('id="purpose-3"')[0]
    assert "Consent" in newsletter and "one month after you withdraw your consent" in newsletter
    assert "olga@example.com" in newsletter and ">Olga<" not in newsletter  # the newsletter uses no names


def test_it_follows_the_policy_in_effect(portal: Personas, publish) -> None:
    from tests.portal.conftest import PORTAL_POLICY

    publish(
        PORTAL_POLICY.replace(
            "name: {en: Newsletter, nl: Nieuwsbrief}", "name: {en: News by e-mail, nl: Nieuws}"
        )
    )
    page = client_for(portal.olga).get("/portal/data/").content.decode()
    assert "News by e-mail" in _groups(page)


def test_it_never_shows_a_colleague_or_another_organisation(portal: Personas) -> None:
    bert = client_for(portal.bert).get("/portal/data/").content.decode()
    assert "bert@example.com" in bert and "olga@example.com" not in bert
    otto = client_for(portal.otto).get("/portal/data/").content.decode()
    assert "otto@example.com" in otto
    assert "olga@example.com" not in otto and "Bakkerij Jansen BV" not in otto


def test_it_speaks_dutch(portal: Personas) -> None:
    page = client_for(portal.olga).get("/portal/data/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Mijn gegevens" in page and "Facturatie" in _groups(page)


def test_it_tells_apart_two_fields_of_one_category(portal: Personas) -> None:
    do_update(portal.bakkerij, {"vat_number": "NL001234567B01", "company_number": "12345678"}, actor=STAFF)
    page = client_for(portal.olga).get("/portal/data/").content.decode()
    assert "Unique identifier (VAT number)</td><td>NL001234567B01" in page.replace("\n", "").replace("  ", "")
    dutch = client_for(portal.olga).get("/portal/data/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Unieke identificatiecode (ondernemingsnummer)" in dutch and "12345678" in dutch


def test_it_is_for_customers_only(portal: Personas) -> None:
    for path in ("/portal/data/", "/portal/data/correct/", "/portal/requests/", "/portal/consents/"):
        assert client_for(None).get(path)["Location"].startswith("/account/login/?next=")
        for staff in portal.staff().values():
            assert client_for(staff).get(path).status_code == 403, path


def test_it_shows_records_of_the_organisation_as_the_persons_role_there_allows(portal: Personas) -> None:
    _invoice(portal)
    for user, sees in (
        (portal.olga, True),
        (portal.bert, True),
        (portal.tess, False),
        (portal.ursula, False),
    ):
        page = client_for(user).get("/portal/data/").content.decode()
        assert ("t.a.v. de boekhouding" in page) is sees, user.email
        assert "info@bakkerij.example" in page  # every role sees the organisation's details


def test_it_reads_the_same_number_of_queries_however_many_records_there_are(portal: Personas) -> None:
    client = client_for(portal.olga)
    client.get("/portal/data/")  # the session's first request writes its activity once

    def queries_for_page() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/portal/data/")
        assert response.status_code == 200
        return len(queries.captured_queries), response.content.decode()

    few, _ = queries_for_page()
    organisation = portal.bakkerij
    for n in range(12):
        service = do_create(
            Service, {"organisation": organisation, "kind": "web_hosting", "label": f"site-{n}"}, actor=STAFF
        )
        do_create(
            ServiceIdentifier,
            {"service": service, "kind": "domain", "value": f"site-{n}.example"},
            actor=STAFF,
        )
        do_create_invoice(
            {
                "organisation": organisation,
                "number": f"2026-{n:04d}",
                "issued_on": dt.date(2026, 2, 1),
                "fiscal_year_end": dt.date(2026, 12, 31),
                "total": Decimal("121.00"),
                "billing_name": f"Bakkerij Jansen {n}",
                "billing_address": "Kerkstraat 1, 9000 Gent",
            },
            [{"description": "Hosting", "quantity": Decimal("1"), "unit_price": Decimal("100")}],
            actor=STAFF,
        )
        do_update(portal.olga.profile.person, {"city": f"Gent {n}"}, actor=STAFF)  # history copies: not read
    many, page = queries_for_page()
    assert "site-11.example" in page and "Bakkerij Jansen 11" in page and "Gent 11" in page
    assert many == few


def test_each_row_names_its_record_and_a_quantity_reads_as_a_number_of_the_page_language(
    portal: Personas,
) -> None:
    """A usage figure says what it measures and over which period, an invoice's name which invoice; 17.500
    is written 17.5 (17,5 in Dutch, where 17.500 would read as seventeen thousand five hundred)."""
    service = do_create(
        Service,
        {"organisation": portal.bakkerij, "kind": "web_hosting", "label": "bakkerij.example"},
        actor=STAFF,
    )
    october_traffic(service, "17.500", actor=STAFF)
    _invoice(portal)

    def rows(lang: str) -> str:
        page = client_for(portal.olga).get("/portal/data/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        return page.replace("\n", "")

    english = rows("en")
    assert "<td>Usage of traffic (GB), 1 October 2026 to 31 October 2026</td>" in english
    assert "<td>17.5</td>" in english and "17.500" not in english
    assert "<td>Invoice 2026-0042 of 1 February 2026</td>" in english
    assert "<td>Service: web hosting</td>" in english
    dutch = rows("nl")
    assert "<td>Verbruik van dataverkeer (GB), 1 oktober 2026 tot en met 31 oktober 2026</td>" in dutch
    assert "<td>17,5</td>" in dutch and "17.500" not in dutch
    assert "<td>Factuur 2026-0042 van 1 februari 2026</td>" in dutch


def _summaries(page: str) -> dict[str, tuple[bool, str]]:
    """Per purpose heading: whether its values are shown open, and the summary they are folded under."""
    import re

    found = {}
    for section in page.split('<section class="purpose"')[1:]:
        heading = re.search(r'<h2 id="purpose-\d+">([^<]+)</h2>', section)
        details = re.search(r'<details class="purpose-values"( open)?>\s*<summary>([^<]+)</summary>', section)
        assert heading and details, section[:200]
        found[heading.group(1)] = (bool(details.group(1)), details.group(2))
    return found


def test_it_folds_a_long_list_of_values_under_its_count_and_lists_the_purposes_first(
    portal: Personas,
) -> None:
    """A purpose's terms are always shown; its values are folded when there are more than ``FOLD_ABOVE``,
    so a customer with years of invoices and usage sees every purpose before scrolling through any list."""
    from trustdesk.portal.queries import FOLD_ABOVE

    client = client_for(portal.olga)
    short = _summaries(client.get("/portal/data/").content.decode())
    assert all(opened for opened, _ in short.values())  # a few values stay open
    service = do_create(
        Service,
        {"organisation": portal.bakkerij, "kind": "web_hosting", "label": "bakkerij.example"},
        actor=STAFF,
    )
    for n in range(FOLD_ABOVE + 1):
        do_create(
            ServiceIdentifier, {"service": service, "kind": "domain", "value": f"s{n}.example"}, actor=STAFF
        )
    page = client.get("/portal/data/").content.decode()
    long = _summaries(page)
    opened, summary = long["Other data we hold"]  # where no purpose names a domain name
    assert (
        opened is False
        and summary.startswith("The ")
        and summary.endswith(" values we hold without a purpose named")  # not "for this purpose": it has none
    )
    count = int(summary.split()[1])
    assert count > FOLD_ABOVE
    folded = page.split('id="purpose-3"')[1]
    assert "No purpose of our privacy statement names these data" in folded.split("<details")[0]
    assert "s10.example" in folded.split("<details")[1]  # folded, not left out
    assert long["Invoicing"] == short["Invoicing"] and long["Invoicing"][0] is True
    contents = page.split('<nav class="on-this-page"')[1].split("</nav>")[0]
    assert '<a href="#purpose-1">Invoicing</a> <small>(7 values)</small>' in contents
    assert f'<a href="#purpose-3">Other data we hold</a> <small>({count} values)</small>' in contents
    dutch = _summaries(client.get("/portal/data/", HTTP_ACCEPT_LANGUAGE="nl").content.decode())
    assert dutch["Andere gegevens die we bewaren"] == (
        False,
        f"De {count} gegevens die we bewaren zonder genoemd doel",
    )
    assert dutch["Facturatie"] == (True, "De 7 gegevens die we hiervoor bewaren")


def _section(page: str, heading: str) -> str:
    """The part of the page under one purpose's heading."""
    for section in page.split('<section class="purpose"')[1:]:
        if f">{heading}</h2>" in section:
            return section
    raise AssertionError(f"no purpose {heading!r} on the page")


def test_it_shows_the_account_its_log_ins_and_sessions_by_purpose_and_never_a_secret(
    portal: Personas, publish
) -> None:
    """A customer's account is their data too: the starter policy's purpose for securing log-ins holds what
    the lock-out keeps (when logging in last failed), not what they do with their services (usage is for
    invoicing); a purpose for the provider's staff alone holds nothing of theirs; a password hash, a TOTP
    key and a session key are said to be held, never shown."""
    from tests.conftest import EXAMPLES
    from trustdesk.accounts import lockout

    publish((EXAMPLES / "starter.yaml").read_text(encoding="utf-8"))
    service = do_create(
        Service,
        {"organisation": portal.bakkerij, "kind": "web_hosting", "label": "bakkerij.example"},
        actor=STAFF,
    )
    october_traffic(service, "17.500", actor=STAFF)
    lockout.record_failure(portal.olga.email, actor="test")
    client = client_for(portal.olga)

    page = client.get("/portal/data/").content.decode().replace("\n", "")
    securing = _section(page, "Securing log-ins")
    assert "Log-in credentials and permissions (when logging in last failed)" in securing
    assert "Usage of traffic" not in securing
    assert "Usage of traffic" in _section(page, "Invoicing and bookkeeping")
    account = _section(page, "Your customer account and our services")
    assert "<td>Your account</td><td>User name</td><td>olga@example.com</td>" in account
    assert "<td>Password</td><td>held, not shown: it lets one log in to your account</td>" in account
    # Where each value comes from, though an account has no source field: given by her, or recorded.
    assert "<td>olga@example.com</td><td>from you</td>" in account
    failed = (
        r"\(when logging in last failed\)</td><td>[^<]+</td><td>recorded while you used our services</td>"
    )
    assert re.search(failed, securing)
    # The lock's key is a keyed pseudonym of her address: shown as the code it is, and said to be one.
    assert "(the e-mail address it counts for, as a code: the address itself is not kept here)" in page
    assert "Our staff&#x27;s accounts" not in page  # its data subjects are employees alone
    olga = portal.olga
    olga.refresh_from_db()
    secrets = [olga.password, portal.totp["olga"], client.session.session_key]
    assert all(secret and secret not in page for secret in secrets)
    dutch = client.get("/portal/data/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Inloggegevens en rechten (wanneer het inloggen het laatst mislukte)" in dutch
    assert "bewaard, niet getoond: hiermee kan men op uw account inloggen" in dutch
