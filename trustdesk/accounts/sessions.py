"""Django's database session store, with the read that every request with a session cookie makes built
and compiled once (``trustdesk.lib.prepared``) instead of on every request.

Session data is sealed at rest (``sealing.py``, under a key of its own): Django signs its session data
but does not encrypt it, and allauth keeps a TOTP key being set up in the session, so a copy of the
database would otherwise hold it, with whatever else a session carries. Data written before sealing (signed
only) is still read; data that no key opens gives an empty session, as data that does not verify does in
Django. Read a stored row with :func:`decoded`, not ``Session.get_decoded``, which uses Django's own store
and so sees an empty session.

Everything else is Django's own: the ``django_session`` table, the encoding and signing of the data,
saving, creating keys, cycling them at log-in, deleting and ``clearsessions``. A session is read as
Django reads it: by its key, and only while its expiry date is in the future; an unknown, expired or
malformed key gives an empty session (and a new key when one is needed), as before.

A key is accepted only in the shape Django makes keys (:data:`KEY_CHARACTERS`, 8 to 40 characters, the
column's length): any other cookie value cannot name a stored session, so it is not looked up at all.
Django's own store sends it to the database, where PostgreSQL refuses a NUL character with an error
(a 500 answer to a forged cookie).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from django.utils import timezone

from trustdesk.accounts import sealing
from trustdesk.lib import prepared

#: The characters of the keys Django makes (``SessionBase._get_new_session_key``).
KEY_CHARACTERS = frozenset(VALID_KEY_CHARS)
#: The length of the key column.
KEY_LENGTH = Session._meta.get_field("session_key").max_length or 40


def _by_key(values: Sequence[Any]) -> QuerySet[Any]:
    return Session.objects.filter(session_key=values[0]).values_list("session_data", "expire_date")


class SessionStore(DatabaseSessionStore):
    """``SESSION_ENGINE = "trustdesk.accounts.sessions"``: the database store of Django, its data sealed."""

    def encode(self, session_dict: dict[str, Any]) -> str:
        return sealing.seal(super().encode(session_dict), use=sealing.SESSIONS)

    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        if sealing.is_sealed(session_data):
            text = sealing.opened(session_data, use=sealing.SESSIONS)
            if text is None:
                logging.getLogger("django.security.SuspiciousSession").warning(
                    "Session data cannot be opened with TRUSTDESK_SECRET_KEY or its fallbacks"
                )
                return {}
            session_data = text
        return super().decode(session_data)

    def _validate_session_key(self, session_key: str | None) -> bool:
        return (
            isinstance(session_key, str)
            and 8 <= len(session_key) <= KEY_LENGTH
            and KEY_CHARACTERS.issuperset(session_key)
        )

    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        if key is None:
            return None
        try:
            rows = prepared.values_of(Session, "accounts.session", _by_key, [key])
        except SuspiciousOperation as exc:  # as Django's store: logged, and the session is empty
            logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))
            rows = []
        # The expiry is compared here rather than in the query, so that the query has no value that
        # changes from one request to the next but the key; the comparison is the one Django makes.
        for data, expires in rows:
            if expires > timezone.now():
                return Session(session_key=key, session_data=data, expire_date=expires)
        self._session_key = None
        return None


def decoded(session: Session) -> dict[str, Any]:
    """The data of a stored session row ({} for data that does not open or verify)."""
    return SessionStore().decode(session.session_data)
