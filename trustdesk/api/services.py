"""Creating, revoking and checking API tokens; creation and revocation are journaled."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from trustdesk.accounts import throttle
from trustdesk.api.models import ApiToken, Scope, TokenWindow
from trustdesk.journal.services import record
from trustdesk.registry.services import Actor

ALPHABET = string.ascii_letters + string.digits
#: 43 characters of 62 letters and digits: 256 bits, as much as a 32-byte secret.
TOKEN_LENGTH = 43
PREFIX_LENGTH = 8
#: How often ``last_used_at`` is written for a token in steady use.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
_DUMMY_HASH = "0" * 64
_TOKEN_CHARACTERS = frozenset(ALPHABET)


class TokenError(ValueError):
    """A token cannot be created or revoked as asked."""


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def _new_plaintext() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(TOKEN_LENGTH))


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    known = set(Scope.values)
    chosen = list(dict.fromkeys(scopes))
    unknown = [s for s in chosen if s not in known]
    if unknown:
        raise TokenError(f"unknown scope {', '.join(unknown)}; the scopes are {', '.join(Scope.values)}")
    if not chosen:
        raise TokenError(f"name at least one scope: {', '.join(Scope.values)}")
    return chosen


def do_create_token(name: str, scopes: Iterable[str], *, actor: Actor) -> tuple[ApiToken, str]:
    """Create a token; returns it with its plaintext, which is shown once and never stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenError("a token needs a name of 1 to 100 characters")
    chosen = _clean_scopes(scopes)
    for _attempt in range(5):
        plaintext = _new_plaintext()
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    name=name,
                    prefix=plaintext[:PREFIX_LENGTH],
                    token_hash=hash_token(plaintext),
                    scopes=chosen,
                    created_by=actor.user,
                )
                record(
                    "api.token.created",
                    actor=actor.ref,
                    object_type="api.apitoken",
                    object_id=str(token.pk),
                    payload={"name": name, "scopes": chosen},
                )
            return token, plaintext
        except IntegrityError:
            continue  # two tokens share a prefix (one chance in 10^14): draw again
    raise TokenError("could not draw a token with an unused prefix")  # pragma: no cover


@transaction.atomic
def do_revoke_token(token: ApiToken, *, actor: Actor) -> ApiToken:
    """Revoke a token for good; revoking it again changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record("api.token.revoked", actor=actor.ref, object_type="api.apitoken", object_id=str(token.pk))
    return token


def authenticate(plaintext: str) -> ApiToken | None:
    """The active token with this plaintext, or None. The digests are compared in constant time.

    A text not of the shape of a token (its length, letters and digits) is no token and is not looked up:
    PostgreSQL refuses a NUL character in a query with an error, a 500 answer to a forged header."""
    if len(plaintext) != TOKEN_LENGTH or not _TOKEN_CHARACTERS.issuperset(plaintext):
        return None
    token = ApiToken.objects.filter(prefix=plaintext[:PREFIX_LENGTH]).first()
    expected = token.token_hash if token is not None else _DUMMY_HASH
    matches = hmac.compare_digest(expected, hash_token(plaintext))
    if token is None or not matches or token.revoked_at is not None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def count_request(token: ApiToken, *, now: dt.datetime | None = None) -> None:
    """Count one request of the token in the current window of the API's limit (``TRUSTDESK_THROTTLE_API``
    requests in a window of ``window`` seconds, whole minutes of the clock by default) and raise
    :class:`~trustdesk.accounts.throttle.Throttled` for one over the limit, which is not counted.

    One statement per request: an upsert that adds one unless the limit is reached (PostgreSQL and SQLite
    3.35 or later). The window's first request clears the token's earlier windows. A limit of 0 counts
    nothing (the proxy in front limits instead)."""
    limit, window = throttle.rate("api")
    if limit == 0:
        return
    seconds = max(1, int(window.total_seconds()))
    moment = int((now or timezone.now()).timestamp())
    start = dt.datetime.fromtimestamp(moment - moment % seconds, tz=dt.UTC)
    table = connection.ops.quote_name(TokenWindow._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (token_id, starts_at, requests) VALUES (%s, %s, 1) "  # noqa: S608 (names only)
            f"ON CONFLICT (token_id, starts_at) DO UPDATE SET requests = {table}.requests + 1 "
            f"WHERE {table}.requests < %s RETURNING requests",
            [token.pk, connection.ops.adapt_datetimefield_value(start), limit],
        )
        row = cursor.fetchone()
    if row is None:
        raise throttle.Throttled("api", start + dt.timedelta(seconds=seconds))
    if row[0] == 1:
        TokenWindow.objects.filter(token=token, starts_at__lt=start).delete()
