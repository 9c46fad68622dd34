"""Erasure (Art. 17): per the data map, legal holds kept and told, P4.6 confirmation, the erasure ledger."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from trustdesk.registry import datamap_ops
from trustdesk.registry.models import Organisation, Person, Role, Service
from trustdesk.registry.services import Actor, do_update
from trustdesk.rights import clock
from trustdesk.rights.fulfil.common import _close
from trustdesk.rights.fulfil.downloads import delete_download_files
from trustdesk.rights.models import (
    Download,
    ErasureLedgerEntry,
    Request,
    Status,
)
from trustdesk.rights.services import (
    RequestError,
    _mail_context,
    make_link,
    notify,
    transition,
)


def services_ending(person: Person) -> list[Service]:
    """P4.6: the running services erasure ends: those of private organisations whose only person this is."""
    today = timezone.localdate()
    ending: list[Service] = []
    for org in Organisation.objects.filter(roles__person=person, kind=Organisation.Kind.PRIVATE).distinct():
        if Role.objects.filter(organisation=org).exclude(person=person).exists():
            continue
        ending.extend(org.services.exclude(ends_on__lt=today).order_by("pk"))
    return ending


def fulfil_erasure(request: Request, *, actor: Actor, confirmed: bool = False) -> Request:
    """Art. 17, in two steps when a running contract needs the data (P4.6): first the person is told that
    erasure ends the service and asked to confirm; then everything is erased per the data map."""
    if request.person is None:
        return _close(
            request, actor=actor, answer="We hold no personal data about you under the details you gave."
        )
    ending = services_ending(request.person)
    if ending and not confirmed:
        transition(
            request, Status.AWAITING_CONFIRMATION, actor=actor, payload={"services_ending": len(ending)}
        )
        ask_to_confirm_erasure(request, ending)
        return request
    return _erase(request, actor=actor, ending=ending)


def ask_to_confirm_erasure(request: Request, ending: list[Service] | None = None) -> None:
    """Send the person a link to confirm an erasure that ends the services ``ending`` (by default, those
    it would end today)."""
    if ending is None:
        ending = services_ending(request.person) if request.person else []
    url = make_link(request, "confirm_erasure")
    notify(
        request,
        "rights/email/confirm_erasure",
        to=request.email,
        context=_mail_context(request, services=[s.get_kind_display() for s in ending], url=url),
    )


@transaction.atomic
def do_confirm_erasure(request: Request, *, actor: Actor) -> Request:
    """The person confirmed that erasure may end the service."""
    request.refresh_from_db()
    if request.status != Status.AWAITING_CONFIRMATION:
        raise RequestError(
            gettext("request %(reference)s is not waiting for a confirmation")
            % {"reference": request.reference}
        )
    transition(
        request, Status.IN_PROGRESS, actor=actor, note="the person confirmed that erasure ends the service"
    )
    return fulfil_erasure(request, actor=actor, confirmed=True)


#: How long an erasure (a web request, usually) waits for another writer of the web-log store, such
#: as an ingest of a large file, before it gives up and the request stays open.
WEBLOGS_WAIT_SECONDS = 20.0
_NOT_ERASED = gettext_lazy(
    "the web server logs could not be erased now, so the request is not fulfilled yet: %(problem)s"
)


def _erase_weblogs(request: Request, *, actor: Actor) -> int:
    """Remove the web server log lines of the IP addresses the person gave; returns how many went."""
    from trustdesk.rights.fulfil.access import ip_addresses

    addresses = ip_addresses(request)
    if not addresses or clock.terms().policy.web_logs is None:
        return 0
    from trustdesk.weblogs import services as weblogs
    from trustdesk.weblogs.storage import StoreBusy, WeblogsError

    reason = f"erasure request {request.reference}"
    # On failure the transaction around the erasure is undone: the request stays open, to be
    # fulfilled again.
    try:
        return sum(
            weblogs.erase_ip(address, actor=actor, reason=reason, wait=WEBLOGS_WAIT_SECONDS).hits
            for address in addresses
        )
    except StoreBusy as exc:
        if exc.holder is None:
            problem = gettext(
                "another task on this server (an ingest or expiry of the logs) kept the log store busy "
                "for %(seconds)s seconds; try again in a few minutes"
            ) % {"seconds": f"{exc.waited:g}"}
        else:
            problem = gettext(
                "another server (%(holder)s) kept the log store busy for %(seconds)s seconds; try again "
                "in a few minutes"
            ) % {"seconds": f"{exc.waited:g}", "holder": exc.holder}
        raise RequestError(_NOT_ERASED % {"problem": problem}) from None
    except WeblogsError as exc:
        raise RequestError(_NOT_ERASED % {"problem": exc}) from None


def ledger_pseudonyms(person: Person) -> tuple[str, dict[str, str]]:
    from trustdesk.lib.pseudonyms import current_key, is_pseudonym, pseudonymise

    key = current_key()
    values = {
        "email": (person.email, "email"),
        "external_ref": (person.external_ref or "", "text"),
        "phone": (person.phone, "text"),
        "mobile": (person.mobile, "text"),
    }
    return key.id, {
        name: pseudonymise(value, kind=kind, key=key)
        for name, (value, kind) in values.items()
        if value and not is_pseudonym(value)
    }


def _erase(request: Request, *, actor: Actor, ending: list[Service]) -> Request:
    person = request.person
    if person is None:
        raise RequestError(
            gettext("request %(reference)s is about nobody on record") % {"reference": request.reference}
        )
    address = request.email
    today = timezone.localdate()
    for service in ending:
        do_update(service, {"ends_on": today}, actor=actor, reason=f"erasure: request {request.reference}")
    for org in {s.organisation for s in ending}:
        do_update(
            org,
            {"status": Organisation.Status.ENDED, "ended_on": today},
            actor=actor,
            reason=f"erasure: request {request.reference}",
        )
    # Files prepared for earlier requests go first: they hold the data too.
    files = delete_download_files(Download.objects.filter(request__person=person, deleted_at__isnull=True))
    for earlier in Request.objects.filter(person=person).exclude(original=""):
        earlier.original.delete(save=False)
    key_id, pseudonyms = ledger_pseudonyms(person)
    ErasureLedgerEntry.objects.create(
        request_reference=request.reference,
        erased_at=timezone.now(),
        key_id=key_id,
        pseudonyms=pseudonyms,
        person_id_at_erasure=person.pk,
    )
    report = datamap_ops.erase(person, actor=actor)
    log_lines = _erase_weblogs(request, actor=actor)
    held = [h.as_dict() for h in report.held]
    request.refresh_from_db()
    answer = "Your personal data was erased."
    if held:
        answer += " Some data is kept because the law requires it; the message lists it and until when."
    return _close(
        request,
        actor=actor,
        answer=answer,
        payload={
            "counts": report.counts,
            "held": len(held),
            "files": files,
            "services_ended": len(ending),
            "web_log_lines": log_lines,
        },
        message="rights/email/erased",
        context={"held": report.held, "services_ended": [s.get_kind_display() for s in ending]},
        to=address,
    )


@transaction.atomic
def do_reapply_erasures(*, actor: Actor) -> list[int]:
    """After an older backup is restored: erase again every person whose identifiers match the ledger."""
    from trustdesk.lib.pseudonyms import PseudonymKeyError, is_pseudonym, key_by_id, key_ids, pseudonymise

    erased: list[int] = []
    entries = list(ErasureLedgerEntry.objects.order_by("pk"))
    live = set(key_ids())
    for entry in entries:
        if entry.key_id not in live:
            continue
        try:
            key = key_by_id(entry.key_id)
        except PseudonymKeyError:
            continue
        wanted = {v for v in entry.pseudonyms.values()}
        for person in Person.objects.all().only("pk", "email", "external_ref", "phone", "mobile").iterator():
            mine = {
                pseudonymise(value, kind=kind, key=key)
                for value, kind in (
                    (person.email, "email"),
                    (person.external_ref or "", "text"),
                    (person.phone, "text"),
                    (person.mobile, "text"),
                )
                if value and not is_pseudonym(value)
            }
            if mine & wanted and person.pk not in erased:
                datamap_ops.erase(person, actor=actor)
                erased.append(person.pk)
        entry.reapplied_at = timezone.now()
        entry.save(update_fields=["reapplied_at"])
    return erased
