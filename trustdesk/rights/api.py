"""Data-subject requests through the API: a billing system's client area opens them on a person's behalf.

The caller says how it knows the person (signed in, with two-factor or not); without that, the
person confirms by a link sent to the address on record, as with the public form.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from trustdesk.api.auth import TokenAuth
from trustdesk.api.models import ApiToken, Scope
from trustdesk.api.schemas import ErrorOut, Text
from trustdesk.registry.models import Person
from trustdesk.registry.services import Actor, IntakeError
from trustdesk.rights import services
from trustdesk.rights.clock import NoPolicy, terms
from trustdesk.rights.models import Channel, IdentityMethod, Kind, Request
from trustdesk.rights.queries import is_reference

router = Router(tags=["requests"])

READ = TokenAuth(Scope.REQUESTS_READ)
WRITE = TokenAuth(Scope.REQUESTS_WRITE)
_ERRORS: dict[int, Any] = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
    503: ErrorOut,
}


class RequestIn(Schema):
    kind: Literal[tuple(Kind.values)]  # type: ignore[valid-type]
    person_ref: Text | None = Field(None, max_length=100, description="The person's external_ref, when known")
    email: Text | None = Field(
        None, max_length=254, description="Where the answer goes (the person's by default)"
    )
    details: Text = Field("", max_length=5000)
    language: Literal["en", "nl"] | None = None
    identity: Literal["session", "two_factor"] | None = Field(
        None, description="How the caller knows the person; omit it and the person confirms by e-mail"
    )
    changes: dict[Text, Text] | None = Field(None, description="rectification: field -> right value")
    purposes: list[Text] | None = Field(None, description="objection or consent withdrawal: purpose keys")
    ip_addresses: list[Text] | None = Field(None, description="access or erasure of web server log lines")
    send_to: Text | None = Field(None, max_length=254, description="portability: the other party's address")


class RequestOut(Schema):
    reference: str
    kind: str
    status: str
    received_on: dt.date
    due_on: dt.date
    closed: bool


def _out(request: Request) -> RequestOut:
    return RequestOut(
        reference=request.reference,
        kind=request.kind,
        status=request.status,
        received_on=request.received_on,
        due_on=request.due_on,
        closed=not request.is_open,
    )


def _refused(errors: dict[str, str], status: int = 422) -> Exception:
    from trustdesk.api.views import Refused

    return Refused(errors, status)


@router.post(
    "", auth=WRITE, response={201: RequestOut, **_ERRORS}, summary="Open a request on a person's behalf"
)
def open_request(request: HttpRequest, body: RequestIn) -> Status:
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    actor = Actor(ref=f"api-token:{token.pk}")
    person = None
    if body.person_ref:
        person = Person.objects.filter(external_ref=body.person_ref).first()
        if person is None:
            raise _refused({"person_ref": "no person has this reference"}, 404)
    specifics: dict[str, Any] = {}
    if body.changes:
        specifics["changes"] = body.changes
    if body.purposes:
        specifics["purposes"] = body.purposes
    if body.ip_addresses:
        try:
            specifics["ip_addresses"] = services.canonical_addresses(body.ip_addresses)
        except services.BadAddress:
            raise _refused({"ip_addresses": "one of the values is not an IP address"}) from None
    if body.send_to:
        specifics["send_to"] = body.send_to
    try:
        with transaction.atomic():
            made = services.do_open_request(
                body.kind,
                channel=Channel.API,
                actor=actor,
                email=body.email or "",
                person=person,
                details=body.details,
                specifics=specifics,
                language=body.language,
            )
            required = terms().policy.rights.identity.signed_in
            enough = body.identity == "two_factor" or (body.identity == "session" and required == "session")
            if enough and person is not None:
                method = (
                    IdentityMethod.TWO_FACTOR if body.identity == "two_factor" else IdentityMethod.SESSION
                )
                services.do_verify_identity(
                    made, method=method, actor=actor, note="attested by the API caller"
                )
            else:  # nobody known, or less than the policy asks: the person confirms by e-mail
                services.do_ask_identity(made, actor=actor)
    except NoPolicy as exc:
        raise _refused({"request": str(exc)}, 503) from None
    except IntakeError as exc:
        raise _refused({k: "; ".join(v) for k, v in exc.message_dict.items()}) from None
    made.refresh_from_db()
    return Status(201, _out(made))


@router.get("/{reference}", auth=READ, response={200: RequestOut, **_ERRORS}, summary="A request's state")
def get_request(request: HttpRequest, reference: str) -> RequestOut:
    found = Request.objects.filter(reference=reference.upper()).first() if is_reference(reference) else None
    if found is None:
        raise _refused({"reference": "no request has this reference"}, 404)
    return _out(found)
