"""Bearer-token authentication with scopes, a limit of requests per token, and the 1 MB limit on bodies."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from trustdesk.api.models import ApiToken
from trustdesk.api.services import authenticate, count_request

#: Request bodies above this size are refused with 413 before they are read.
MAX_BODY_BYTES = 1024 * 1024


class MissingScope(Exception):
    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__(scope)


class BodyTooLarge(Exception):
    pass


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: 401 for a missing, unknown or revoked token, 429 for a token over its
    limit of requests a minute (``TRUSTDESK_THROTTLE_API``), 403 without the scope."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def __call__(self, request: HttpRequest) -> ApiToken | None:
        if _declared_length(request) > MAX_BODY_BYTES:
            raise BodyTooLarge
        result: ApiToken | None = super().__call__(request)
        return result

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = authenticate(token)
        if found is None:
            return None
        count_request(found)  # Throttled: 429, see trustdesk.api.api
        if not found.has_scope(self.scope):
            raise MissingScope(self.scope)
        return found
