"""The NinjaAPI: OpenAPI at /api/openapi.json and /api/docs, and every error as ``{"errors": {...}}``."""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema

from trustdesk.accounts import throttle
from trustdesk.api.auth import BodyTooLarge, MissingScope
from trustdesk.api.views import Refused, router
from trustdesk.lib.mail import MailNotSent
from trustdesk.rights.api import router as requests_router

DESCRIPTION = """\
Billing and provisioning systems keep Trustdesk's registry in sync through this API:
organisations, people with their roles, services with their identifiers, and invoices
with their lines, each addressed by the billing system's own reference (`external_ref`).

Every request carries `Authorization: Bearer <token>`; staff create tokens with
`trustdesk apitoken create`. A token has scopes: `registry:read` for GET,
`registry:write` for PUT; `requests:write` and `requests:read` to open data-subject
requests on a person's behalf and follow them. A token may send a number of requests a minute (1,200 unless the
provider set another); the next answers 429 with `Retry-After`. Every change is recorded in the journal, made by
`api-token:<id>`. Errors are `{"errors": {"<field>": "<reason>"}}`.
"""


class TrustdeskAPI(NinjaAPI):
    """A NinjaAPI that builds its OpenAPI schema once per process and path prefix.

    The schema follows only from the code (routers, operations, schemas), so it cannot change while the process
    runs; building it takes some 40 ms, which every fetch of /api/openapi.json and /api/docs would pay again.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._schemas: dict[str, OpenAPISchema] = {}

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        if path_prefix not in self._schemas:
            self._schemas[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix)
        return self._schemas[path_prefix]


api = TrustdeskAPI(
    title="Trustdesk API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/", router)
api.add_router("/requests", requests_router)


def _errors(request: HttpRequest, errors: dict[str, str], status: int) -> HttpResponse:
    return api.create_response(request, {"errors": errors}, status=status)


def _field(loc: Any) -> str:
    """'email', 'roles.0.organisation_ref' from pydantic's location, without 'body' and the parameter name."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path"):
        parts = parts[2:] if parts[0] == "body" else parts[1:]
    return ".".join(parts) or "body"


def _reason(message: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


@api.exception_handler(NinjaValidationError)
def on_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    # Only the location and pydantic's message: never the input, which may be personal data.
    errors: dict[str, str] = {}
    for error in exc.errors:
        field = _field(error.get("loc", ()))
        reason = _reason(str(error.get("msg", "invalid")))
        errors[field] = f"{errors[field]}; {reason}" if field in errors else reason
    return _errors(request, errors, 422)


@api.exception_handler(DjangoValidationError)
def on_refused_by_model(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = {
            ("organisation_ref" if name == "organisation" else name): "; ".join(messages)
            for name, messages in exc.message_dict.items()
        }
    else:
        errors = {"body": "; ".join(exc.messages)}
    return _errors(request, errors, 422)


@api.exception_handler(Refused)
def on_refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    return _errors(request, exc.errors, exc.status)


@api.exception_handler(MissingScope)
def on_missing_scope(request: HttpRequest, exc: MissingScope) -> HttpResponse:
    return _errors(request, {"authorization": f"this token does not have the scope {exc.scope}"}, 403)


@api.exception_handler(BodyTooLarge)
def on_body_too_large(request: HttpRequest, exc: BodyTooLarge) -> HttpResponse:
    return _errors(request, {"body": "the request body is larger than 1 MB"}, 413)


@api.exception_handler(throttle.Throttled)
def on_throttled(request: HttpRequest, exc: throttle.Throttled) -> HttpResponse:
    limit, window = throttle.rate(exc.scope)
    wait = max(1, math.ceil((exc.retry_after - timezone.now()).total_seconds()))
    response = _errors(
        request,
        {
            "authorization": f"this token has sent the {limit} requests it may send in a window of "
            f"{int(window.total_seconds())} seconds; send again in {wait} seconds"
        },
        429,
    )
    response["Retry-After"] = str(wait)
    return response


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _errors(
        request,
        {
            "authorization": "send a valid token as 'Authorization: Bearer <token>'; this one is missing, "
            "unknown or revoked"
        },
        401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="trustdesk"'
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _errors(request, {"body" if exc.status_code == 400 else "request": exc.message}, exc.status_code)


@api.exception_handler(IntegrityError)
def on_conflict(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # Two requests created the same reference (or invoice number) at the same moment.
    return _errors(
        request, {"request": "another request changed the same record at the same time; send it again"}, 409
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _errors(request, {"request": "not found"}, 404)


@api.exception_handler(MailNotSent)
def mail_not_sent(request: HttpRequest, exc: MailNotSent) -> HttpResponse:
    """503: the change is stored (e-mail goes when it commits), only the message to the person is missing.
    Also the answer of ``trustdesk.web.middleware.MailNotSentMiddleware`` to an API request."""
    body: dict[str, Any] = {
        "errors": {
            "request": "the change is stored, but its e-mail could not be sent; the failure is logged and "
            "noted on the request. Do not send it again: staff see the request in their queue"
        }
    }
    if exc.references:
        body["references"] = list(exc.references)
    return api.create_response(request, body, status=503)
