"""Fulfilling a request: access, portability, rectification, erasure, restriction, objection, withdrawal.

Every kind works on the data map (``trustdesk.registry.datamap_ops``), never on a hand-written
list of tables. ``do_fulfil`` dispatches by kind; a request must be in progress (its identity
settled) to be fulfilled.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from trustdesk.lib import mail
from trustdesk.lib.datamap import history_base, model_map
from trustdesk.policy import wording
from trustdesk.policy.render import render_statement
from trustdesk.policy.schema import LegalBasis, Policy
from trustdesk.registry import datamap_ops
from trustdesk.registry.models import Disclosure, Organisation, Person, Role, Service, SourceKind
from trustdesk.registry.services import Actor, IntakeError, do_update
from trustdesk.rights import clock
from trustdesk.rights.models import (
    Download,
    ErasureLedgerEntry,
    Kind,
    Objection,
    Request,
    Restriction,
    Status,
)
from trustdesk.rights.processing import is_marketing
from trustdesk.rights.services import (
    RequestError,
    _mail_context,
    _token,
    authority_words,
    link,
    make_link,
    note_event,
    transition,
)


def _require_in_progress(request: Request) -> None:
    request.refresh_from_db()
    if request.status != Status.IN_PROGRESS:
        raise RequestError(
            f"request {request.reference} is {Status(request.status).label}: only a request in progress "
            "(its identity settled) can be fulfilled"
        )


@transaction.atomic
def do_fulfil(request: Request, *, actor: Actor, confirmed: bool = False) -> Request:
    """Carry out the request as its kind says; see each ``fulfil_*`` function."""
    _require_in_progress(request)
    handlers = {
        Kind.ACCESS: fulfil_access,
        Kind.PORTABILITY: fulfil_portability,
        Kind.RECTIFICATION: fulfil_rectification,
        Kind.ERASURE: fulfil_erasure,
        Kind.RESTRICTION: fulfil_restriction,
        Kind.OBJECTION: fulfil_objection,
        Kind.CONSENT_WITHDRAWAL: fulfil_consent_withdrawal,
    }
    handler = handlers[Kind(request.kind)]
    if request.kind == Kind.ERASURE:
        return fulfil_erasure(request, actor=actor, confirmed=confirmed)
    return handler(request, actor=actor)


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
        mail.send(
            message,
            to=address,
            lang=request.language,
            context=_mail_context(
                request, answer=answer, authority=authority_words(request.language), **(context or {})
            ),
            attachments=attachments,
        )
    return request


# --- downloads --------------------------------------------------------------------------------


def downloads_dir() -> Path:
    return Path(settings.DATA_DIR) / "downloads"


def _store(
    request: Request, fmt: str, name: str, content: bytes, *, use: clock.Terms | None = None
) -> tuple[Download, str]:
    """Write a file for the person; (the download, its secret link). Only the link's hash is kept.

    ``use``: the policy's terms when the caller has them already (they are read from the database)."""
    folder = downloads_dir() / request.reference
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    path.write_bytes(content)
    path.chmod(0o600)
    token, digest = _token()
    now = timezone.now()
    expiry = (use or clock.terms()).download_expiry
    expires = expiry.add_to(now)
    if not isinstance(expires, dt.datetime):  # adding to a datetime gives one
        raise TypeError("a download's expiry is a moment")
    download = Download.objects.create(
        request=request,
        format=fmt,
        path=str(path.relative_to(settings.DATA_DIR)),
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        token_sha256=digest,
        created_at=now,
        expires_at=expires,
    )
    # Written before the commit: should the transaction roll back, do_purge_downloads removes the stray file.
    return download, link(reverse("rights:download", args=[token]))


def delete_download_files(downloads: Any) -> int:
    """Delete the files of these downloads and mark them deleted; returns how many files went."""
    count = 0
    now = timezone.now()
    for download in downloads:
        path = Path(settings.DATA_DIR) / download.path
        if path.exists():
            path.unlink()
            count += 1
        if download.deleted_at is None:
            download.deleted_at = now
            download.save(update_fields=["deleted_at"])
    return count


@transaction.atomic
def do_purge_downloads(*, actor: Actor, now: dt.datetime | None = None) -> int:
    """Delete every download past its expiry (and files no download knows of); journaled with the count."""
    from trustdesk.journal.services import record

    moment = now or timezone.now()
    expired = Download.objects.filter(deleted_at__isnull=True, expires_at__lte=moment)
    count = delete_download_files(expired.select_for_update())
    known = {str(Path(settings.DATA_DIR) / d.path) for d in Download.objects.filter(deleted_at__isnull=True)}
    strays = 0
    root = downloads_dir()
    if root.is_dir():
        for path in root.rglob("*"):
            if path.is_file() and str(path) not in known:
                path.unlink()
                strays += 1
    if count or strays:
        record("rights.downloads.purged", actor=actor.ref, payload={"expired": count, "strays": strays})
    return count + strays


@transaction.atomic
def do_download(token: str, *, actor: Actor) -> tuple[Download, bytes]:
    """The file behind a download link, journaled; LookupError when unknown, expired or deleted."""
    digest = hashlib.sha256(token.encode("ascii", "replace")).hexdigest()
    download = Download.objects.select_for_update().filter(token_sha256=digest).first()
    if download is None or download.deleted_at is not None:
        raise LookupError("this download does not exist, or has been deleted")
    if download.expires_at <= timezone.now():
        delete_download_files([download])
        raise LookupError("this download has expired and has been deleted")
    content = (Path(settings.DATA_DIR) / download.path).read_bytes()
    download.times_downloaded += 1
    download.save(update_fields=["times_downloaded"])
    note_event(
        download.request,
        "downloaded",
        actor=actor,
        payload={"download": download.pk, "format": download.format},
    )
    return download, content


# --- access -----------------------------------------------------------------------------------


def _field_label(model: type[Any] | None, name: str) -> str:
    if model is None:
        return name
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:
        return name.replace("_", " ")


def readable_records(collected: Mapping[str, Any], policy: Policy, lang: str) -> list[dict[str, Any]]:
    """The collected records as sections for the report: model, records, each field's label, category, value."""
    sections = []
    for model_label, rows in collected.get("records", {}).items():
        try:
            model = apps.get_model(model_label)
        except LookupError:
            model = None
        mapping = model_map(model) if model is not None else None
        personal = mapping.personal if mapping else {}
        records = []
        for row in rows:
            fields = row.get("fields") or {k: v for k, v in row.items() if k not in ("about",)}
            items = [
                {
                    "name": name,
                    "label": _field_label(model, name),
                    "value": value,
                    "category": wording.term_name(policy, "data_categories", personal[name].category, lang)
                    if name in personal
                    else "",
                }
                for name, value in fields.items()
                if value not in (None, "", [], {})
            ]
            records.append(
                {"pk": row.get("pk", row.get("seq")), "about": row.get("about", ""), "fields": items}
            )
        sections.append(
            {
                "label": model_label,
                "name": str(model._meta.verbose_name_plural) if model is not None else model_label,
                "records": records,
            }
        )
    return sections


def information(policy: Policy, lang: str) -> dict[str, Any]:
    """Art. 15(1)(a)-(h) and 15(2) from the policy, as data."""
    purposes = []
    for key, purpose in policy.purposes.items():
        retention = purpose.retention
        purposes.append(
            {
                "key": key,
                "name": purpose.name.get(lang),
                "legal_basis": [{"basis": b.value, "article": b.article} for b in purpose.legal_basis],
                "legitimate_interest": purpose.legitimate_interest.get(lang)
                if purpose.legitimate_interest
                else None,
                "data_categories": [
                    {"key": c, "name": wording.term_name(policy, "data_categories", c, lang)}
                    for c in purpose.data_categories
                ],
                "recipients": [
                    policy.recipients[r].display_name(lang)
                    for r in purpose.recipients
                    if r in policy.recipients
                ],
                "retention": None
                if retention is None
                else {
                    "period": retention.period.iso(),
                    "from": retention.from_.value,
                    "words": f"{retention.period.words(lang)} {wording.START_EVENTS[lang][retention.from_]}",
                    "action": retention.action.value,
                },
                "sources": [
                    {"kind": s.kind.value, "name": s.name.get(lang) if s.name else None}
                    for s in purpose.sources
                ],
                "profiling": None
                if purpose.profiling is None
                else {
                    "description": purpose.profiling.description.get(lang),
                    "automated_decision": purpose.profiling.automated_decision,
                },
            }
        )
    authority = policy.authority()
    return {
        "controller": {
            "name": policy.controller.legal_name,
            "address": policy.controller.address,
            "email": policy.controller.email,
            "dpo": policy.controller.dpo.email if policy.controller.dpo else None,
        },
        "purposes": purposes,
        "recipients": [
            {
                "key": key,
                "name": r.display_name(lang),
                "role": r.role.value,
                "country": r.country,
                "safeguard": r.transfer.safeguard.value if r.transfer else None,
            }
            for key, r in policy.recipients.items()
        ],
        "rights": ["rectification", "erasure", "restriction", "objection", "portability", "complaint"],
        "supervisory_authority": None
        if authority is None
        else {
            "name": authority.name.get(lang),
            "address": authority.address,
            "email": authority.email,
            "website": authority.website,
        },
        "automated_decisions": any(
            p.profiling is not None and p.profiling.automated_decision for p in policy.purposes.values()
        ),
    }


def _weblog_hits(request: Request, actor: Actor) -> list[dict[str, Any]]:
    """Web server log lines of the IP addresses the person gave with the request, where a store exists."""
    addresses = [a for a in request.specifics.get("ip_addresses", []) if isinstance(a, str)]
    if not addresses:
        return []
    try:
        from trustdesk.weblogs import services as weblogs  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return []
    hits: list[dict[str, Any]] = []
    for address in addresses:
        hits.extend(weblogs.hits_for_ip(address, actor=actor, reason=f"access request {request.reference}"))
    return hits


def access_documents(
    request: Request, *, actor: Actor, use: clock.Terms | None = None
) -> tuple[dict[str, Any], str]:
    """(the JSON document, the HTML report) for an access request."""
    policy = (use or clock.terms()).policy
    lang = request.language
    collected = datamap_ops.collect(request.person) if request.person else {"records": {}}
    hits = _weblog_hits(request, actor)
    document = {
        "request": request.reference,
        "generated_at": timezone.now().isoformat(),
        "person": collected.get("person"),
        "organisations": collected.get("organisations", []),
        "records": collected.get("records", {}),
        "web_server_logs": hits,
        "information": information(policy, lang),
    }
    with translation.override(lang):
        html = _report(request, collected, hits, policy, lang)
    return document, html


def _report(
    request: Request, collected: Mapping[str, Any], hits: list[dict[str, Any]], policy: Policy, lang: str
) -> str:
    return render_to_string(
        f"rights/report.{lang}.html",
        {
            "request": request,
            "generated": timezone.localtime(),
            "sections": readable_records(collected, policy, lang),
            "hits": hits,
            "nothing": not collected.get("records") and not hits,
            "statement": render_statement(policy, lang, "html"),
            "controller": policy.controller,
        },
    )


def fulfil_access(request: Request, *, actor: Actor) -> Request:
    """Art. 15: everything the data map finds, and the information of Art. 15(1), as a report and as JSON."""
    use = clock.terms()  # once: each reading is a query
    document, html = access_documents(request, actor=actor, use=use)
    _, report_url = _store(request, Download.Format.REPORT_HTML, "report.html", html.encode("utf-8"), use=use)
    _, json_url = _store(
        request,
        Download.Format.DATA_JSON,
        "data.json",
        json.dumps(document, indent=2, ensure_ascii=False).encode(),
        use=use,
    )
    count = sum(len(rows) for rows in document["records"].values())
    answer = (
        "Your data and the information about its processing are ready to download."
        if count or document["web_server_logs"]
        else "We hold no personal data about you under the details you gave."
    )
    return _close(
        request,
        actor=actor,
        answer=answer,
        payload={"records": count},
        message="rights/email/access_ready",
        context={
            "report_url": report_url,
            "json_url": json_url,
            "expiry": use.download_expiry.words(request.language),
            "nothing": not count and not document["web_server_logs"],
        },
    )


# --- portability ------------------------------------------------------------------------------


def portable_data(person: Person, policy: Policy) -> dict[str, list[dict[str, Any]]]:
    """Art. 20: the personal fields the person provided, of categories processed on consent or contract."""
    bases = {LegalBasis.CONSENT, LegalBasis.CONTRACT}
    categories = [
        c for p in policy.purposes.values() if bases & set(p.legal_basis) for c in p.data_categories
    ]
    collected = datamap_ops.collect(person)
    out: dict[str, list[dict[str, Any]]] = {}
    for model_label, rows in collected["records"].items():
        try:
            model = apps.get_model(model_label)
        except LookupError:
            continue
        if history_base(model) is not None or model_label == "journal.journalentry":
            continue  # copies and evidence are not data the person provided
        mapping = model_map(model)
        if mapping is None:
            continue
        chosen = [
            name
            for name, field in mapping.personal.items()
            if any(
                datamap_ops.covers(c, field.category) or datamap_ops.covers(field.category, c)
                for c in categories
            )
        ]
        for row in rows:
            fields = row["fields"]
            if fields.get("source_kind", SourceKind.DATA_SUBJECT) not in (
                SourceKind.DATA_SUBJECT,
                SourceKind.ORGANISATION,
            ):
                continue
            values = {name: fields[name] for name in chosen if fields.get(name) not in (None, "")}
            if values:
                out.setdefault(model_label, []).append({"id": row["pk"], **values})
    return out


def portable_csv(data: Mapping[str, list[dict[str, Any]]]) -> bytes:
    """One CSV file per kind of record, zipped."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for model_label, rows in data.items():
            columns = sorted({key for row in rows for key in row}, key=lambda k: (k != "id", k))
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in columns})
            archive.writestr(f"{model_label.replace('.', '-')}.csv", text.getvalue())
    return buffer.getvalue()


def fulfil_portability(request: Request, *, actor: Actor) -> Request:
    """Art. 20: JSON and CSV of the data provided, to download, or sent to another party on instruction."""
    policy = clock.terms().policy
    data = portable_data(request.person, policy) if request.person else {}
    as_json = json.dumps({"request": request.reference, "data": data}, indent=2, ensure_ascii=False).encode()
    as_csv = portable_csv(data)
    send_to = str(request.specifics.get("send_to") or "").strip()
    if send_to:
        _close(
            request,
            actor=actor,
            answer="Your data was sent to the party you named.",
            payload={"sent_to_other_party": True},
        )
        mail.send(
            "rights/email/portability_transfer",
            to=send_to,
            lang=request.language,
            context=_mail_context(request),
            attachments=[
                ("data.json", as_json, "application/json"),
                ("data-csv.zip", as_csv, "application/zip"),
            ],
        )
        note_event(request, "sent_to_other_party", actor=actor, payload={"to": send_to})
        return request
    _, json_url = _store(request, Download.Format.PORTABLE_JSON, "portable.json", as_json)
    _, csv_url = _store(request, Download.Format.PORTABLE_CSV, "portable-csv.zip", as_csv)
    return _close(
        request,
        actor=actor,
        answer="The data you provided is ready to download as JSON and as CSV.",
        message="rights/email/portability_ready",
        context={
            "json_url": json_url,
            "csv_url": csv_url,
            "expiry": clock.terms().download_expiry.words(request.language),
        },
    )


# --- rectification ----------------------------------------------------------------------------


def recipients_of(person: Person, fields: list[str], policy: Policy, lang: str) -> list[str]:
    """Art. 19: who received these fields: the policy's recipients of purposes using their categories, and
    every recipient a disclosure about the person's organisations was recorded to."""
    mapping = model_map(Person)
    categories = [mapping.personal[f].category for f in fields if mapping and f in mapping.personal]
    keys: set[str] = set()
    for purpose in policy.purposes.values():
        if any(
            datamap_ops.covers(c, cat) or datamap_ops.covers(cat, c)
            for c in purpose.data_categories
            for cat in categories
        ):
            keys.update(purpose.recipients)
    organisations = Role.objects.filter(person=person).values_list("organisation_id", flat=True)
    keys.update(
        Disclosure.objects.filter(organisation_id__in=list(organisations)).values_list("recipient", flat=True)
    )
    return sorted(policy.recipients[k].display_name(lang) if k in policy.recipients else k for k in keys)


def fulfil_rectification(request: Request, *, actor: Actor) -> Request:
    """Art. 16: the changes asked for, through the registry's services (old values kept, P0.7); Art. 19 recipients listed."""
    if request.person is None:
        raise RequestError(f"request {request.reference} is about nobody on record: choose the person first")
    changes = request.specifics.get("changes")
    if not isinstance(changes, dict) or not changes:
        raise RequestError(f"request {request.reference} names no changes: record them as specifics.changes")
    mapping = model_map(Person)
    allowed = set(mapping.personal) if mapping else set()
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise RequestError(f"these are not personal fields of a person: {', '.join(unknown)}")
    try:
        do_update(
            request.person,
            {k: str(v) for k, v in changes.items()},
            actor=actor,
            reason=f"rectified: request {request.reference}",
        )
    except IntakeError as exc:
        raise RequestError(
            "the changes were refused: "
            + "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.message_dict.items())
        ) from None
    policy = clock.terms().policy
    told = recipients_of(request.person, list(changes), policy, request.language)
    note_event(request, "recipients_to_notify", actor=actor, payload={"recipients": told})
    return _close(
        request,
        actor=actor,
        answer="Your data was corrected.",
        payload={"fields": sorted(changes)},
        message="rights/email/rectified",
        context={"fields": sorted(changes), "recipients": told},
    )


# --- erasure ----------------------------------------------------------------------------------


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
        url = make_link(request, "confirm_erasure")
        transition(
            request, Status.AWAITING_CONFIRMATION, actor=actor, payload={"services_ending": len(ending)}
        )
        mail.send(
            "rights/email/confirm_erasure",
            to=request.email,
            lang=request.language,
            context=_mail_context(request, services=[s.get_kind_display() for s in ending], url=url),
        )
        return request
    return _erase(request, actor=actor, ending=ending)


@transaction.atomic
def do_confirm_erasure(request: Request, *, actor: Actor) -> Request:
    """The person confirmed that erasure may end the service."""
    request.refresh_from_db()
    if request.status != Status.AWAITING_CONFIRMATION:
        raise RequestError(f"request {request.reference} is not waiting for a confirmation")
    transition(
        request, Status.IN_PROGRESS, actor=actor, note="the person confirmed that erasure ends the service"
    )
    return fulfil_erasure(request, actor=actor, confirmed=True)


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
        raise RequestError(f"request {request.reference} is about nobody on record")
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
    held = [h.as_dict() for h in report.held]
    request.refresh_from_db()
    answer = "Your personal data was erased."
    if held:
        answer += " Some data is kept because the law requires it; the message lists it and until when."
    return _close(
        request,
        actor=actor,
        answer=answer,
        payload={"counts": report.counts, "held": len(held), "files": files, "services_ended": len(ending)},
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


# --- restriction and objection ----------------------------------------------------------------


def fulfil_restriction(request: Request, *, actor: Actor) -> Request:
    """Art. 18: from now on every purpose but storage refuses the person's data (``may_process``)."""
    if request.person is None:
        raise RequestError(f"request {request.reference} is about nobody on record: choose the person first")
    Restriction.objects.create(
        person=request.person, request=request, since=timezone.now(), reason=request.details
    )
    return _close(request, actor=actor, answer="The processing of your data is restricted: we only store it.")


@transaction.atomic
def do_announce_lift(restriction: Restriction, *, actor: Actor, reason: str) -> Restriction:
    """Art. 18(3): tell the person before the restriction is lifted."""
    if restriction.lifted_at is not None:
        raise RequestError("this restriction was lifted already")
    restriction.lift_notice_at = timezone.now()
    restriction.save(update_fields=["lift_notice_at"])
    person = restriction.person
    if restriction.request is not None:
        note_event(restriction.request, "restriction_lift_announced", actor=actor, note=reason)
    if person.email:
        mail.send(
            "rights/email/restriction_lifting",
            to=person.email,
            lang=(restriction.request.language if restriction.request else "en"),
            context={
                "reason": reason,
                "request": restriction.request,
                **(_mail_context(restriction.request) if restriction.request else {}),
            },
        )
    return restriction


@transaction.atomic
def do_lift_restriction(restriction: Restriction, *, actor: Actor) -> Restriction:
    """Lift a restriction, only after the person was told (``do_announce_lift``)."""
    if restriction.lift_notice_at is None:
        raise RequestError("tell the person first (Art. 18(3)): announce the lifting, then lift it")
    restriction.lifted_at = timezone.now()
    restriction.lifted_by = actor.ref
    restriction.save(update_fields=["lifted_at", "lifted_by"])
    from trustdesk.journal.services import record

    record(
        "rights.restriction.lifted",
        actor=actor.ref,
        object_type="rights.restriction",
        object_id=str(restriction.pk),
    )
    return restriction


def fulfil_objection(request: Request, *, actor: Actor) -> Request:
    """Art. 21: to direct marketing, upheld at once and absolutely; to a purpose on legitimate interest or
    public task, recorded for a staff decision (``do_decide_objection``); to other bases, not applicable."""
    if request.person is None:
        raise RequestError(f"request {request.reference} is about nobody on record: choose the person first")
    policy = clock.terms().policy
    purposes = [str(p) for p in request.specifics.get("purposes", [])] or [Objection.DIRECT_MARKETING]
    unknown = [p for p in purposes if p != Objection.DIRECT_MARKETING and p not in policy.purposes]
    if unknown:
        raise RequestError(f"the policy in effect has no purpose {', '.join(repr(p) for p in unknown)}")
    pending = 0
    outcome: list[dict[str, str]] = []
    for key in purposes:
        existing = Objection.objects.filter(person=request.person, purpose=key).first()
        if existing is not None and existing.decision == Objection.Decision.UPHELD:
            outcome.append({"purpose": key, "decision": "upheld"})
            continue
        declared = policy.purposes.get(key)
        objection = existing or Objection(person=request.person, request=request, purpose=key)
        if key == Objection.DIRECT_MARKETING or (declared is not None and is_marketing(declared)):
            objection.decision = Objection.Decision.UPHELD
            objection.reasons = "direct marketing stops at once (Art. 21(3))"
            objection.decided_at = timezone.now()
            objection.decided_by = actor.ref
        elif declared is not None and {LegalBasis.LEGITIMATE_INTERESTS, LegalBasis.PUBLIC_TASK} & set(
            declared.legal_basis
        ):
            objection.decision = Objection.Decision.PENDING
            pending += 1
        else:
            objection.decision = Objection.Decision.REJECTED
            objection.reasons = (
                "this purpose does not rest on legitimate interest or a public task (Art. 21(1))"
            )
            objection.decided_at = timezone.now()
            objection.decided_by = actor.ref
        objection.request = request
        objection.save()
        outcome.append({"purpose": key, "decision": objection.decision})
    if pending:
        note_event(request, "objection_recorded", actor=actor, payload={"outcome": outcome})
        return request
    return _close_objection(request, actor=actor)


def _close_objection(request: Request, *, actor: Actor) -> Request:
    objections = list(Objection.objects.filter(request=request).order_by("pk"))
    return _close(
        request,
        actor=actor,
        answer="Your objection was decided.",
        payload={"outcome": [{"purpose": o.purpose, "decision": o.decision} for o in objections]},
        message="rights/email/objection_decided",
        context={"objections": objections},
    )


@transaction.atomic
def do_decide_objection(objection: Objection, *, upheld: bool, reasons: str, actor: Actor) -> Objection:
    """A staff decision on an objection to processing on legitimate interest, with reasons (Art. 21(1))."""
    reasons = (reasons or "").strip()
    if not reasons:
        raise RequestError("a decision on an objection needs its reasons")
    if objection.decision != Objection.Decision.PENDING:
        raise RequestError("this objection was decided already")
    objection.decision = Objection.Decision.UPHELD if upheld else Objection.Decision.REJECTED
    objection.reasons = reasons
    objection.decided_at = timezone.now()
    objection.decided_by = actor.ref
    objection.save()
    request = objection.request
    if request is not None:
        note_event(
            request,
            "objection_decided",
            actor=actor,
            note=reasons,
            payload={"purpose": objection.purpose, "decision": objection.decision},
        )
        if not Objection.objects.filter(request=request, decision=Objection.Decision.PENDING).exists():
            request.refresh_from_db()
            if request.status == Status.IN_PROGRESS:
                _close_objection(request, actor=actor)
    return objection


# --- consent withdrawal -----------------------------------------------------------------------


def fulfil_consent_withdrawal(request: Request, *, actor: Actor) -> Request:
    """Art. 7(3): withdraw the consents named (all the person gave when none is named)."""
    if request.person is None:
        raise RequestError(f"request {request.reference} is about nobody on record: choose the person first")
    from trustdesk.consent.queries import current_consents
    from trustdesk.consent.services import do_withdraw_consent

    given = [key for key, state in current_consents(request.person).items() if state.given]
    named = [str(p) for p in request.specifics.get("purposes", [])] or given
    withdrawn = []
    for key in named:
        if key in given:
            do_withdraw_consent(
                request.person,
                key,
                actor=actor,
                channel="email",
                method="request",
                evidence=request.reference,
            )
            withdrawn.append(key)
    return _close(
        request,
        actor=actor,
        answer="Your consent was withdrawn."
        if withdrawn
        else "You had not given consent for what you named.",
        payload={"withdrawn": withdrawn},
    )
