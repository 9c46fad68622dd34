"""Access (Art. 15) and portability (Art. 20): what the data map finds, as reports and exports."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.template.loader import render_to_string
from django.utils import timezone, translation

from trustdesk.lib.datamap import history_base, model_map
from trustdesk.policy import wording
from trustdesk.policy.render import render_statement
from trustdesk.policy.schema import LegalBasis, Policy
from trustdesk.registry import datamap_ops
from trustdesk.registry.models import Person, SourceKind
from trustdesk.registry.services import Actor
from trustdesk.rights import clock
from trustdesk.rights.fulfil.common import _close
from trustdesk.rights.fulfil.downloads import _store
from trustdesk.rights.fulfil.readable import readable_hits, readable_records
from trustdesk.rights.models import (
    Download,
    Request,
)
from trustdesk.rights.services import (
    _mail_context,
    note_event,
    notify,
)


def information(policy: Policy, lang: str) -> dict[str, Any]:
    """Art. 15(1)(a)-(h) and 15(2) from the policy, as data."""
    purposes = []
    for key, purpose in policy.registry_purposes().items():
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


def _weblog_hits(request: Request, actor: Actor, policy: Policy) -> list[dict[str, Any]]:
    """Web server log lines of the IP addresses the person gave with the request (Art. 15 includes them)."""
    addresses = ip_addresses(request)
    if not addresses or policy.web_logs is None:
        return []
    from trustdesk.weblogs import services as weblogs

    hits: list[dict[str, Any]] = []
    for address in addresses:
        found = weblogs.hits_for_ip(address, actor=actor, reason=f"access request {request.reference}")
        hits.extend(hit.as_dict() for hit in found)
    return hits


def ip_addresses(request: Request) -> list[str]:
    """The IP addresses the person gave with the request, for their web server log lines."""
    return [a for a in request.specifics.get("ip_addresses", []) if isinstance(a, str)]


def access_documents(
    request: Request, *, actor: Actor, use: clock.Terms | None = None
) -> tuple[dict[str, Any], str]:
    """(the JSON document, the HTML report) for an access request."""
    chosen = use or clock.terms()
    policy = chosen.policy
    lang = request.language
    collected = datamap_ops.collect(request.person) if request.person else {"records": {}}
    hits = _weblog_hits(request, actor, policy)
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
        html = _report(request, collected, hits, policy, lang, statement_html(chosen, lang))
    return document, html


#: The statement rendered per published version and language: the same for every report.
_STATEMENTS: dict[tuple[str, str], str] = {}


def statement_html(terms: clock.Terms, lang: str) -> str:
    key = (terms.version_sha256, lang)
    if key not in _STATEMENTS:
        if len(_STATEMENTS) > 32:
            _STATEMENTS.clear()
        _STATEMENTS[key] = render_statement(terms.policy, lang, "html")
    return _STATEMENTS[key]


def _report(
    request: Request,
    collected: Mapping[str, Any],
    hits: list[dict[str, Any]],
    policy: Policy,
    lang: str,
    statement: str,
) -> str:
    hit_columns, hit_rows = readable_hits(hits, lang)
    return render_to_string(
        f"rights/report.{lang}.html",
        {
            "request": request,
            "generated": timezone.localtime(),
            "sections": readable_records(collected, policy, lang),
            "hits": hits,
            "hit_columns": hit_columns,
            "hit_rows": hit_rows,
            "nothing": not collected.get("records") and not hits,
            "statement": statement,
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


def portable_data(person: Person, policy: Policy) -> dict[str, list[dict[str, Any]]]:
    """Art. 20: the personal fields the person provided, of categories processed on consent or contract."""
    bases = {LegalBasis.CONSENT, LegalBasis.CONTRACT}
    categories = [
        c
        for p in policy.registry_purposes().values()
        if bases & set(p.legal_basis)
        for c in p.data_categories
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
            if not field.secret
            and any(
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
        notify(
            request,
            "rights/email/portability_transfer",
            to=send_to,
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
