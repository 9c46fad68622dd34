"""Two-factor secrets sealed at rest: a TOTP key and the seed of recovery codes are stored encrypted.

allauth stores them as given to its adapter's ``encrypt`` (``MFAAdapter`` in ``adapter.py``): a copy of the
database alone (a dump, a backup) would otherwise hold every account's second factor. A sealed value is
``sealed1:`` and a Fernet token (AES-128-CBC with HMAC-SHA-256) under a key derived with HKDF-SHA-256 from
Django's ``SECRET_KEY``, which lives in the environment or a file, never in the database. The keys of
``SECRET_KEY_FALLBACKS`` still open what they sealed, so that the secret key can be changed: run
``trustdesk twofactor reseal`` afterwards, then drop the old key. A value stored before sealing (no
prefix) is read as it is, and the migration ``accounts.0004_seal_two_factor_secrets`` seals those.

The session store (``sessions.py``) seals session data the same way, under a key of its own (another HKDF
``info``): while a TOTP key is being set up, allauth keeps it in the session, and Django's session data is
signed, not encrypted.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any, TypeGuard

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "sealed1:"
#: What a key is derived for (HKDF's ``info``): a key never opens what was sealed for another use.
TWO_FACTOR = b"trustdesk two-factor secrets"
SESSIONS = b"trustdesk session data"

#: The fields of an authenticator's ``data`` that hold a secret, by allauth's type: a text, or a list of texts.
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "totp": ("secret",),
    "recovery_codes": ("seed", "migrated_codes"),
}


class SealError(Exception):
    """A sealed secret cannot be opened with the secret key or its fallbacks. The message never holds it."""


@lru_cache(maxsize=8)
def _sealer(keys: tuple[str, ...], info: bytes) -> MultiFernet:
    derived = []
    for key in keys:
        material = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
            key.encode("utf-8")
        )
        derived.append(Fernet(base64.urlsafe_b64encode(material)))
    return MultiFernet(derived)


def _current(info: bytes) -> MultiFernet:
    return _sealer((settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS), info)


def is_sealed(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.startswith(PREFIX)


def seal(text: str, *, use: bytes = TWO_FACTOR) -> str:
    """The text sealed under the current secret key, for one use (:data:`TWO_FACTOR`, :data:`SESSIONS`)."""
    return PREFIX + _current(use).encrypt(text.encode("utf-8")).decode("ascii")


def opened(value: str, *, use: bytes) -> str | None:
    """The text of a value sealed for ``use``; ``None`` when neither the secret key nor a fallback opens
    it (or it was sealed for another use)."""
    try:
        return _current(use).decrypt(value[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        return None


def unseal(value: str) -> str:
    """The text of a sealed two-factor secret; a value stored before sealing as it is."""
    if not is_sealed(value):
        return value
    text = opened(value, use=TWO_FACTOR)
    if text is None:
        raise SealError(
            "a two-factor secret in the database cannot be opened with TRUSTDESK_SECRET_KEY or the keys of "
            "TRUSTDESK_SECRET_KEY_FALLBACKS_FILE: was the secret key changed without keeping the old one as a "
            "fallback? The account's owner can remove and set up two-factor authentication again."
        )
    return text


def _resealed(value: Any) -> Any:
    if isinstance(value, str):
        return seal(unseal(value))
    if isinstance(value, list):
        return [_resealed(item) for item in value]
    return value


def reseal_data(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """An authenticator's data with each of its secrets sealed under the current key (a secret stored before
    sealing, or sealed under a fallback key, included)."""
    fields = SECRET_FIELDS.get(kind, ())
    return {name: _resealed(value) if name in fields else value for name, value in data.items()}


def reseal_all() -> int:
    """Seal every authenticator's secrets under the current secret key; returns how many were written."""
    from allauth.mfa.models import Authenticator
    from django.db import transaction

    written = 0
    with transaction.atomic():
        for authenticator in Authenticator.objects.select_for_update().order_by("pk"):
            data = reseal_data(authenticator.type, authenticator.data or {})
            if data != authenticator.data:
                authenticator.data = data
                authenticator.save(update_fields=["data"])
                written += 1
    return written
