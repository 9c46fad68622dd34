"""PUT and GET /api/invoices/{external_ref}, with their lines."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import INVOICE, Api, Token, journal_since, last_seq
from trustdesk.lib.cards import CARD_MESSAGE
from trustdesk.registry.models import Invoice, InvoiceLine


@pytest.fixture
def invoice(api: Api, service: dict[str, Any]) -> dict[str, Any]:
    response = api.put("/invoices/INV-1", INVOICE)
    assert response.status_code == 201, response.content
    return response.json()


def test_it_creates_an_invoice_with_its_lines(api: Api, service: dict[str, Any], writer: Token) -> None:
    seq = last_seq()
    response = api.put("/invoices/INV-1", INVOICE)
    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["total"], body["organisation_ref"]) == ("2025-0001", "121.00", "ORG-1")
    assert body["lines"] == [
        {
            "description": "Web hosting, February",
            "quantity": "1.000",
            "unit_price": "100.0000",
            "service_ref": "SVC-1",
        }
    ]
    [entry] = journal_since(seq)
    assert (entry.action, entry.actor) == ("registry.invoice.created", f"api-token:{writer.token.pk}")


def test_it_is_idempotent(api: Api, invoice: dict[str, Any]) -> None:
    seq = last_seq()
    again = api.put("/invoices/INV-1", INVOICE)
    assert again.status_code == 200
    assert again.json() == invoice
    assert journal_since(seq) == []
    assert (Invoice.objects.count(), InvoiceLine.objects.count()) == (1, 1)


def test_it_updates_an_invoice(api: Api, invoice: dict[str, Any]) -> None:
    response = api.put("/invoices/INV-1", {"billing_address": "Dorpsstraat 2\n3511 AA Utrecht"})
    assert response.status_code == 200
    assert response.json()["billing_address"] == "Dorpsstraat 2\n3511 AA Utrecht"
    assert response.json()["lines"] == invoice["lines"]


def test_it_refuses_to_change_the_lines_of_an_issued_invoice(api: Api, invoice: dict[str, Any]) -> None:
    lines = [{**INVOICE["lines"][0], "unit_price": "90.00"}]
    response = api.put("/invoices/INV-1", {**INVOICE, "lines": lines})
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "lines": "the lines of an existing invoice cannot be changed; "
            "send the same lines or none, and issue a credit note as a new invoice"
        }
    }
    assert InvoiceLine.objects.get().unit_price == 100


def test_it_refuses_a_card_number_in_a_line(api: Api, service: dict[str, Any]) -> None:
    lines = [
        *INVOICE["lines"],
        {"description": "Paid by 4111-1111-1111-1111", "quantity": 1, "unit_price": 0},
    ]
    response = api.put("/invoices/INV-1", {**INVOICE, "lines": lines})
    assert response.status_code == 422
    assert response.json() == {"errors": {"lines.1.description": CARD_MESSAGE}}
    assert not Invoice.objects.exists()


def test_it_refuses_a_card_number_in_the_billing_address(api: Api, service: dict[str, Any]) -> None:
    response = api.put("/invoices/INV-1", {**INVOICE, "billing_address": "4111 1111 1111 1111"})
    assert response.status_code == 422
    assert response.json() == {"errors": {"billing_address": CARD_MESSAGE}}
    assert not Invoice.objects.exists()


def test_it_refuses_unknown_references(api: Api, service: dict[str, Any]) -> None:
    response = api.put("/invoices/INV-1", {**INVOICE, "organisation_ref": "ORG-404"})
    assert response.status_code == 422
    assert response.json() == {"errors": {"organisation_ref": "no organisation has this reference"}}
    lines = [{**INVOICE["lines"][0], "service_ref": "SVC-404"}]
    response = api.put("/invoices/INV-1", {**INVOICE, "lines": lines})
    assert response.json() == {"errors": {"lines.0.service_ref": "no service has this reference"}}
    assert not Invoice.objects.exists()


def test_it_refuses_a_number_another_invoice_has(api: Api, invoice: dict[str, Any]) -> None:
    response = api.put("/invoices/INV-2", INVOICE)
    assert response.status_code == 422
    assert response.json() == {"errors": {"number": "another invoice already has this number"}}


def test_it_requires_what_an_invoice_cannot_do_without(api: Api) -> None:
    response = api.put("/invoices/INV-1", {"currency": "usd"})
    assert response.status_code == 422
    required = "required to create a new invoice"
    fields = ["organisation_ref", "number", "issued_on", "fiscal_year_end", "total", "billing_name"]
    assert response.json() == {"errors": dict.fromkeys(fields, required)}


def test_it_refuses_bad_amounts_and_currencies(api: Api, service: dict[str, Any]) -> None:
    response = api.put("/invoices/INV-1", {**INVOICE, "total": "12.345", "currency": "euro"})
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "currency": "enter a three-letter currency code (ISO 4217), e.g. EUR",
            "total": "Decimal input should have no more than 2 decimal places",
        }
    }


def test_it_reads_an_invoice(api: Api, invoice: dict[str, Any]) -> None:
    response = api.get("/invoices/INV-1")
    assert response.status_code == 200
    assert response.json() == invoice


def test_it_answers_404_for_an_unknown_reference(api: Api) -> None:
    response = api.get("/invoices/NOPE")
    assert response.status_code == 404
    assert response.json() == {"errors": {"external_ref": "no invoice has this reference"}}


def test_its_messages_are_english_for_a_client_that_asks_for_dutch(api: Api) -> None:
    headers = {**(api.token.header if api.token else {}), "Accept-Language": "nl"}
    response = api.client.get("/api/invoices/NOPE", headers=headers)
    assert response.status_code == 404
    assert response.json() == {"errors": {"external_ref": "no invoice has this reference"}}
