"""Checks every Set-Cookie against the policy in effect (P2.2): declared, an expiry as declared, flags, no personal data."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from http.cookies import Morsel
from typing import Any

from trustdesk.consent.cookies import STRICTLY_NECESSARY, declared, seconds
from trustdesk.policy.schema import Policy

#: A cookie value Trustdesk may send: an opaque token, nothing a reader could make sense of.
OPAQUE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def readable(value: str) -> bool:
    """Whether a value, or any part of it, is text, as such or base64-encoded (a signed message, JSON)."""
    for candidate in {value, *re.split(r"[:.]", value)}:
        if len(candidate) < 4:
            continue
        decoded: list[str] = [candidate] if not OPAQUE.fullmatch(candidate) else []
        try:
            raw = base64.urlsafe_b64decode(candidate + "=" * (-len(candidate) % 4))
            decoded.append(raw.decode("utf-8"))
        except (binascii.Error, ValueError):
            pass
        for text in decoded:
            printable = sum(ch.isprintable() for ch in text)
            if len(text) >= 4 and printable / len(text) > 0.9:
                return True
    return False


def problems(morsel: Morsel[Any], policy: Policy, *, where: str, personal: Iterable[str] = ()) -> list[str]:
    """What is wrong with one cookie a response sets; empty when nothing is."""
    name, value = morsel.key, morsel.value
    found: list[str] = []
    if morsel["max-age"] == 0 or (morsel["expires"] and "1970" in str(morsel["expires"])):
        return found  # a deletion
    cookie = declared(policy, name)
    if cookie is None:
        return [f"{where}: cookie {name!r} is not declared in the policy"]
    if morsel["max-age"] == "" and not morsel["expires"]:
        if cookie.expiry != "session" or cookie.purpose != STRICTLY_NECESSARY:
            found.append(f"{where}: {name!r} is a session cookie but not declared a strictly necessary one")
    elif isinstance(cookie.expiry, str):
        found.append(f"{where}: {name!r} is declared to end with the session but has an expiry")
    elif morsel["max-age"] != "" and abs(int(morsel["max-age"]) - seconds(cookie.expiry)) > 60:
        found.append(
            f"{where}: {name!r} lasts {morsel['max-age']} seconds, the policy says {cookie.expiry.iso()}"
        )
    if not morsel["httponly"]:
        found.append(f"{where}: {name!r} is not HttpOnly (no script of Trustdesk reads a cookie)")
    if str(morsel["samesite"]).lower() not in ("lax", "strict"):
        found.append(f"{where}: {name!r} has SameSite={morsel['samesite']!r}")
    if cookie.personal_data:
        found.append(f"{where}: {name!r} is declared to hold personal data")
    if not OPAQUE.fullmatch(value) or readable(value):
        found.append(f"{where}: {name!r} holds something readable, not an opaque token")
    lowered = value.lower()
    for item in personal:
        if item and item.lower() in lowered:
            found.append(f"{where}: {name!r} holds personal data")
    if "@" in value or re.search(r"\d{1,3}(\.\d{1,3}){3}", value):
        found.append(f"{where}: {name!r} holds an e-mail or IP address")
    return found
