"""The portal's personas: Bakkerij Jansen BV's contacts (tests/accounts/personas.py), a policy whose
newsletter asks consent with a text, and a data directory for the downloads.

Olga (owner) and Otto (the outsider) have an authenticator app, so their portal requests count as signed in
with two-factor authentication, as the test policy's ``rights.identity.signed_in`` asks; Bert, Tess and
Ursula have none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.accounts.personas import Personas, give_totp, personas
from tests.conftest import POLICY

CONSENT_TEXT = "Yes, send me the Hostwerk newsletter about new services."
CONSENT_TEXT_NL = "Ja, stuur mij de nieuwsbrief van Hostwerk over nieuwe diensten."

#: The test policy, with the newsletter's consent text in both languages.
PORTAL_POLICY = POLICY.replace(
    "    consent:\n      withdrawal:\n",
    f"    consent:\n      text:\n        en: {CONSENT_TEXT}\n        nl: {CONSENT_TEXT_NL}\n      withdrawal:\n",
)
assert PORTAL_POLICY != POLICY

#: The same, where a signed-in session is enough to make a request.
SESSION_POLICY = PORTAL_POLICY.replace(
    "rights:\n  contact: {email: privacy@hostwerk.example}\n",
    "rights:\n  contact: {email: privacy@hostwerk.example}\n  identity: {signed_in: session}\n",
)
assert SESSION_POLICY != PORTAL_POLICY


@pytest.fixture
def portal(personas: Personas, publish: Any, data_dir: Path) -> Personas:
    publish(PORTAL_POLICY)
    for name in ("olga", "otto"):
        personas.totp[name] = give_totp(getattr(personas, name))
    return personas


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


__all__ = ["personas", "portal"]
