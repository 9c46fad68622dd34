"""What every fulfilment shares: the request must be in progress, and closing it with an answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext

from trustdesk.registry.services import Actor
from trustdesk.rights.models import (
    Request,
    Status,
)
from trustdesk.rights.services import (
    RequestError,
    _mail_context,
    authority_words,
    notify,
    transition,
)


def _require_in_progress(request: Request) -> None:
    request.refresh_from_db()
    if request.status != Status.IN_PROGRESS:
        raise RequestError(
            gettext(
                "request %(reference)s is %(status)s: only a request in progress "
                "(its identity settled) can be fulfilled"
            )
            % {"reference": request.reference, "status": Status(request.status).label}
        )


def _close(
    request: Request,
    *,
    actor: Actor,
    answer: str,
    payload: Mapping[str, Any] | None = None,
    message: str = "rights/email/fulfilled",
    context: Mapping[str, Any] | None = None,
    to: str | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> Request:
    address = to or request.email
    request.answer = answer
    request.save(update_fields=["answer"])
    transition(request, Status.FULFILLED, actor=actor, payload=payload)
    if address:
        notify(
            request,
            message,
            to=address,
            context=_mail_context(
                request, answer=answer, authority=authority_words(request.language), **(context or {})
            ),
            attachments=attachments,
        )
    return request
