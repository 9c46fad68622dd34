"""Fulfilling a request: access, portability, rectification, erasure, restriction, objection, withdrawal.

Every kind works on the data map (``trustdesk.registry.datamap_ops``), never on a hand-written
list of tables. ``do_fulfil`` dispatches by kind; a request must be in progress (its identity
settled) to be fulfilled.
"""

from __future__ import annotations

from django.db import transaction

from trustdesk.registry.services import Actor
from trustdesk.rights.fulfil.access import (
    access_documents,
    fulfil_access,
    fulfil_portability,
    information,
    portable_data,
)
from trustdesk.rights.fulfil.changes import (
    do_announce_lift,
    do_decide_objection,
    do_lift_restriction,
    fulfil_consent_withdrawal,
    fulfil_objection,
    fulfil_rectification,
    fulfil_restriction,
    recipients_of,
)
from trustdesk.rights.fulfil.common import _require_in_progress
from trustdesk.rights.fulfil.downloads import (
    delete_download_files,
    do_download,
    do_download_for,
    do_open_download_as_staff,
    do_open_original,
    do_purge_downloads,
    download_by_link,
    downloads_dir,
)
from trustdesk.rights.fulfil.erasure import (
    do_confirm_erasure,
    do_reapply_erasures,
    fulfil_erasure,
    services_ending,
)
from trustdesk.rights.models import Kind, Request


@transaction.atomic
def do_fulfil(request: Request, *, actor: Actor, confirmed: bool = False) -> Request:
    """Carry out the request as its kind says; see each ``fulfil_*`` function."""
    _require_in_progress(request)
    handlers = {
        Kind.ACCESS: fulfil_access,
        Kind.PORTABILITY: fulfil_portability,
        Kind.RECTIFICATION: fulfil_rectification,
        Kind.RESTRICTION: fulfil_restriction,
        Kind.OBJECTION: fulfil_objection,
        Kind.CONSENT_WITHDRAWAL: fulfil_consent_withdrawal,
    }
    if request.kind == Kind.ERASURE:
        return fulfil_erasure(request, actor=actor, confirmed=confirmed)
    return handlers[Kind(request.kind)](request, actor=actor)


__all__ = [
    "access_documents",
    "delete_download_files",
    "do_announce_lift",
    "do_confirm_erasure",
    "do_decide_objection",
    "do_download",
    "do_download_for",
    "do_fulfil",
    "do_lift_restriction",
    "do_open_download_as_staff",
    "do_open_original",
    "do_purge_downloads",
    "do_reapply_erasures",
    "download_by_link",
    "downloads_dir",
    "fulfil_access",
    "fulfil_consent_withdrawal",
    "fulfil_erasure",
    "fulfil_objection",
    "fulfil_portability",
    "fulfil_rectification",
    "fulfil_restriction",
    "information",
    "portable_data",
    "recipients_of",
    "services_ending",
]
