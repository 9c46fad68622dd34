"""Finding payment card numbers in free text (P0.8)."""

from __future__ import annotations

import pytest

from trustdesk.lib.cards import contains_card_number, luhn_valid


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "paid with 5500 0000 0000 0004, thanks",
        "amex 378282246310005.",
        "(6011111111111117)",
        "4222222222222",  # 13 digits
        "6304000000000000000"[:19],
    ],
)
def test_it_finds_a_card_number(text: str) -> None:
    digits = "".join(ch for ch in text if ch.isdigit())
    assert luhn_valid(digits) or text.startswith("6304")
    if luhn_valid(digits):
        assert contains_card_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no digits at all",
        "call +32 470 12 34 56",
        "invoice 2024-000123",
        "4111111111111112",  # fails the Luhn check
        "0000000000000000",  # all zeros pass Luhn but are no card
        "41111111111111111111",  # 20 digits: a longer number, not a card
        "411111111111",  # 12 digits
        "VAT BE0123.456.789 and IBAN BE71 0961 2345 6769",
    ],
)
def test_it_leaves_other_numbers_alone(text: str) -> None:
    assert not contains_card_number(text)


def test_it_finds_a_card_written_next_to_another_number() -> None:
    assert contains_card_number("order 12 4111 1111 1111 1111")
    assert contains_card_number("4111-1111-1111-1111 2026")


def test_it_is_fast_on_huge_hostile_text() -> None:
    assert not contains_card_number("1 " * 500_000)
    assert not contains_card_number("123 " * 250_000)
    text = "ab 12 " * 200_000 + "4111 1111 1111 1111"
    assert contains_card_number(text)
    assert not contains_card_number("9" * 1_000_000)
