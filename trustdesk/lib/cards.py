"""Payment card numbers: found in free text so that they are refused, never stored (P0.8)."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

# Digits in groups separated by single spaces or dashes ("4111 1111 1111 1111", "12 4111-1111-...").
_RUN = re.compile(r"\d+(?:[ -]\d+)*")


_DOUBLED = str.maketrans("0123456789", "0246813579")  # each digit doubled, its digits summed


def luhn_valid(digits: str) -> bool:
    odd = digits[-1::-2]
    even = digits[-2::-2].translate(_DOUBLED)
    return (sum(map(int, odd)) + sum(map(int, even))) % 10 == 0


def contains_card_number(text: str) -> bool:
    """Whether the text holds a Luhn-valid run of 13 to 19 digits (with or without spaces or dashes).

    Card numbers are written unbroken or in groups of three to six digits ("4111 1111 1111 1111",
    "3782 822463 10005"); every span of such whole groups is checked, so a number written next to a
    card ("order 12 4111 ...") does not hide it. Shorter groups never start or join a span, which
    also keeps the work linear in the length of the text, however hostile.
    """
    if not text or sum(ch.isdigit() for ch in text) < 13:
        return False
    for match in _RUN.finditer(text):
        groups = re.split(r"[ -]", match.group())
        for start, first in enumerate(groups):
            if len(first) < 3:
                continue
            digits = ""
            for group in groups[start : start + 7]:  # at most six groups of three or more fit in 19 digits
                if len(group) < 3:
                    break
                digits += group
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and luhn_valid(digits) and _plausible(digits):
                    return True
    return False


def _plausible(digits: str) -> bool:
    # All-zero runs pass Luhn but are no card.
    return digits.strip("0") != ""


#: Shown on forms in the reader's language (a lazy text: ``str()`` it where a plain string is needed).
CARD_MESSAGE = _(
    "contains what looks like a payment card number; card numbers are never stored here. "
    "Remove it (payments go through the payment provider)"
)
