"""The privacy statement (GDPR Art. 13 and 14) rendered from a policy, in HTML or Markdown.

The texts are Django templates, one per language and format, under
``templates/policy/statement/``; :func:`statement_context` gives them the
policy's facts already in words (see :mod:`trustdesk.policy.wording`), so that
the templates hold sentences and no logic beyond choosing between them.
HTML is autoescaped by the template engine; for Markdown every value from the
policy is escaped here, before it reaches the template.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, Literal

from django.template.loader import render_to_string

from trustdesk.policy import wording as w
from trustdesk.policy.countries import ADEQUACY, EEA, country_name
from trustdesk.policy.schema import (
    LegalBasis,
    LocalText,
    Policy,
    RecipientRole,
    Requirement,
    Safeguard,
    SourceKind,
)

Format = Literal["html", "md"]
FORMATS: tuple[Format, ...] = ("html", "md")

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def escape_markdown(text: str) -> str:
    """Escape what Markdown would read as markup, so that a value shows as the text it is."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def soft_lower(text: str) -> str:
    """'E-mail address' -> 'e-mail address', but 'IP address' stays: for a name inside a sentence."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class _Words:
    """Turns policy values into display text for one language and format."""

    def __init__(self, policy: Policy, lang: str, fmt: Format):
        self.policy = policy
        self.lang = lang
        self.fmt = fmt

    def esc(self, text: str | None) -> str:
        if not text:
            return ""
        if self.fmt == "md":
            return escape_markdown(" ".join(text.split()))
        return text

    def paragraphs(self, text: str | None) -> list[str]:
        """A text the privacy officer wrote, split into paragraphs at blank lines."""
        if not text:
            return []
        return [self.esc(part) for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]

    def local(self, text: LocalText | None) -> str:
        return self.esc(text.get(self.lang)) if text is not None else ""

    def sentence(self, text: LocalText | None) -> str:
        """A text that the statement shows as a sentence or after a colon: ends with a full stop."""
        value = self.local(text)
        return value + "." if value and value[-1] not in ".!?…" else value

    def url(self, text: str | None) -> str:
        """An address for a link; a website written without a scheme is an https address."""
        if not text:
            return ""
        return text if re.match(r"^[a-z][a-z0-9+.-]*:", text, re.IGNORECASE) else f"https://{text}"

    def term(self, kind: str, key: str) -> str:
        return self.esc(w.term_name(self.policy, kind, key, self.lang))

    def terms(self, kind: str, keys: list[str], *, lower: bool = False) -> list[str]:
        seen: list[str] = []
        for key in keys:
            name = self.term(kind, key)
            if lower:
                name = soft_lower(name)
            if name not in seen:
                seen.append(name)
        return seen

    def join(self, items: list[str]) -> str:
        return w.join_words(items, self.lang)

    def join_names(self, items: list[str]) -> str:
        """Purpose names, which may hold 'and' themselves, separated by semicolons."""
        return "; ".join(item for item in items if item)

    def country(self, code: str) -> str:
        return self.esc(country_name(code, self.lang))

    def address(self, text: str) -> list[str]:
        return [self.esc(line) for line in _lines(text)]


def _text(value: LocalText | None, lang: str) -> str | None:
    return value.get(lang) if value is not None else None


def _date(value: dt.date | None, lang: str) -> str:
    return w.format_date(value, lang) if value is not None else ""


_DESCRIBING = re.compile(r"^(?:our|the|a|an|onze|ons|de|het|een)\s", re.IGNORECASE)


def _name_in_sentence(name: str | LocalText, lang: str) -> str:
    """A recipient's name inside a sentence: one opening with an article ('our', 'the', 'de') describes the
    recipient by its kind and reads in lower case; any other name may be a proper name and stays as it is."""
    text = name.get(lang) if isinstance(name, LocalText) else name
    return soft_lower(text) if _DESCRIBING.match(text) else text


def _backups(policy: Policy, lang: str) -> dict[str, Any] | None:
    """How backups are made and kept (P2.14); what the policy leaves unset is left out."""
    backups = policy.security.backups
    if backups is None:
        return None
    return {
        "frequency": w.BACKUP_FREQUENCIES[lang][backups.frequency],
        "encrypted": backups.encrypted,
        "locations": w.number_words(backups.locations, lang) if backups.locations > 1 else "",
        "retention": backups.retention.words(lang) if backups.retention is not None else "",
    }


def _breaches(policy: Policy, lang: str, authority: dict[str, Any] | None) -> dict[str, Any]:
    """Who is told of a personal data breach (Art. 33, 34; P3.9, P4.5)."""
    breaches = policy.breaches
    content = policy.customer_content
    # Customers are told of a breach touching the data they store with us wherever that data is
    # theirs to answer for: when we are their processor, and when we are neither controller nor processor.
    customers = breaches.notify_customers and content is not None and content.role != "controller"
    name = authority["name"] if authority is not None else ""
    if name and not re.match(r"^(the|de|het) ", name, re.IGNORECASE):
        name = {"en": "the ", "nl": "de "}[lang] + name
    return {
        "notify_authority": breaches.notify_authority,
        "authority": name,
        "notify_people": breaches.notify_people,
        "notify_customers": customers,
        "evidence_for_customers": customers and breaches.evidence_for_customers,
    }


def statement_context(
    policy: Policy,
    lang: str,
    fmt: Format,
    *,
    effective: dt.date | None = None,
    published: dt.date | None = None,
) -> dict[str, Any]:
    """Everything the statement templates show, in words of ``lang``, escaped for ``fmt`` where needed."""
    if lang not in w.LANGUAGES:
        raise ValueError(f"the statement is written in {', '.join(w.LANGUAGES)}, not {lang!r}")
    if fmt not in FORMATS:
        raise ValueError(f"the statement is rendered as html or md, not {fmt!r}")
    words = _Words(policy, lang, fmt)
    law = w.law_name(policy, lang)
    controller = policy.controller
    statement = policy.statement

    # --- purposes ---------------------------------------------------------------------------
    purposes: list[dict[str, Any]] = []
    retention_rows: list[dict[str, Any]] = []
    consent_purposes: list[dict[str, Any]] = []
    interest_purposes: list[str] = []
    profiling: list[dict[str, Any]] = []
    for key, purpose in policy.purposes.items():
        name = words.local(purpose.name)
        bases = [
            {
                "key": basis.value,
                "name": w.LEGAL_BASES[lang][basis],
                "article": w.basis_article(basis, policy, lang),
                "explanation": w.LEGAL_BASIS_EXPLANATIONS[lang][basis],
            }
            for basis in purpose.legal_basis
        ]
        retention: dict[str, Any] | None = None
        if purpose.retention is not None:
            period = purpose.retention.period.words(lang)
            start = w.START_EVENTS[lang][purpose.retention.from_]
            retention = {
                "period": f"{period} {start}",
                "action": w.RETENTION_ACTIONS[lang][purpose.retention.action],
                "action_short": w.RETENTION_ACTIONS_SHORT[lang][purpose.retention.action],
                "legal_reason": words.sentence(purpose.retention.legal_reason),
            }
            retention_rows.append({"purpose": name, **retention})
        consent = LegalBasis.CONSENT in purpose.legal_basis
        withdrawal = ""
        if consent and purpose.consent is not None:
            withdrawal = words.sentence(purpose.consent.withdrawal)
        if consent:
            consent_purposes.append({"name": name, "withdrawal": withdrawal})
        if {LegalBasis.LEGITIMATE_INTERESTS, LegalBasis.PUBLIC_TASK} & set(purpose.legal_basis):
            interest_purposes.append(name)
        sources = [
            {
                "kind": source.kind.value,
                "kind_name": w.SOURCE_KINDS[lang][source.kind],
                "name": words.local(source.name),
                "categories": words.terms("data_categories", source.data_categories, lower=True),
                "channels": w.join_channels(source.channels, lang),
            }
            for source in purpose.sources
        ]
        kinds = {source.kind for source in purpose.sources}
        # Data recorded while the person uses the services is nothing they provide (Art. 13(2)(e)).
        observed_only = kinds == {SourceKind.OBSERVED}
        observed_categories = {
            category
            for source in purpose.sources
            if source.kind == SourceKind.OBSERVED
            for category in source.data_categories
        }
        provided_categories = [c for c in purpose.data_categories if c not in observed_categories]
        purpose_recipients = [
            words.esc(policy.recipients[rkey].display_name(lang))
            for rkey in purpose.recipients
            if rkey in policy.recipients
        ]
        required = (
            [] if observed_only else words.terms("data_categories", purpose.required_categories, lower=True)
        )
        entry: dict[str, Any] = {
            "key": key,
            "name": name,
            "description": words.paragraphs(_text(purpose.description, lang)),
            "bases": bases,
            "legitimate_interest": words.sentence(purpose.legitimate_interest)
            if LegalBasis.LEGITIMATE_INTERESTS in purpose.legal_basis
            else "",
            "consent": consent,
            "withdrawal": withdrawal,
            "subjects": words.join(words.terms("data_subjects", purpose.data_subjects, lower=True)),
            "categories": words.terms("data_categories", purpose.data_categories),
            "categories_text": words.join(
                words.terms("data_categories", purpose.data_categories, lower=True)
            ),
            "required": words.join(required),
            "some_optional": bool(required) and len(required) < len(provided_categories),
            "requirement": w.REQUIREMENTS[lang][purpose.requirement]
            if purpose.requirement and not observed_only
            else "",
            "required_for_contract": purpose.requirement
            in (Requirement.CONTRACTUAL, Requirement.NEEDED_FOR_CONTRACT, Requirement.STATUTORY)
            and not observed_only,
            "consequence": "" if observed_only else words.sentence(purpose.consequence),
            "observed_only": observed_only,
            "partly_observed": SourceKind.OBSERVED in kinds and not observed_only,
            "sources": sources,
            "only_from_subject": kinds <= {SourceKind.DATA_SUBJECT},
            "show_sources": not kinds <= {SourceKind.DATA_SUBJECT} or any(s["channels"] for s in sources),
            "objection": words.sentence(purpose.objection),
            "marketing": purpose.data_use.startswith("marketing"),
            "anonymous_output": purpose.output == "anonymous",
            "recipients": words.join(purpose_recipients),
            "retention": retention,
            "profiling": None,
        }
        if purpose.profiling is not None:
            entry["profiling"] = {
                "purpose": name,
                "description": words.sentence(purpose.profiling.description),
                "automated_decision": purpose.profiling.automated_decision,
                "logic": words.sentence(purpose.profiling.logic),
                "significance": words.sentence(purpose.profiling.significance),
            }
            profiling.append(entry["profiling"])
        purposes.append(entry)

    # --- categories of data -----------------------------------------------------------------
    by_category: dict[str, list[str]] = {}
    descriptions: dict[str, str] = {}
    for entry, purpose in zip(purposes, policy.purposes.values(), strict=True):
        for category in purpose.data_categories:
            cname = words.term("data_categories", category)
            by_category.setdefault(cname, [])
            if entry["name"] not in by_category[cname]:
                by_category[cname].append(entry["name"])
            descriptions.setdefault(
                cname, words.esc(w.term_description(policy, "data_categories", category, lang))
            )
    categories = [
        {"name": cname, "description": descriptions.get(cname, ""), "purposes": words.join_names(names)}
        for cname, names in by_category.items()
    ]

    # --- sources other than the person (Art. 14) ------------------------------------------------
    other_sources: dict[tuple[str, str], dict[str, Any]] = {}
    subject_channels: list[str] = []
    observed: dict[str, list[str]] = {"categories": [], "purposes": []}
    for entry, purpose in zip(purposes, policy.purposes.values(), strict=True):
        for source in purpose.sources:
            if source.kind == SourceKind.DATA_SUBJECT:
                subject_channels += [c for c in source.channels if c not in subject_channels]
                continue
            if source.kind == SourceKind.OBSERVED:
                # Recorded while the person uses the services: obtained from them, not from elsewhere.
                for cname in words.terms("data_categories", source.data_categories, lower=True):
                    if cname not in observed["categories"]:
                        observed["categories"].append(cname)
                if entry["name"] not in observed["purposes"]:
                    observed["purposes"].append(entry["name"])
                continue
            sname = words.local(source.name)
            item = other_sources.setdefault(
                (source.kind.value, sname),
                {
                    "kind": source.kind.value,
                    "kind_name": w.SOURCE_KINDS[lang][source.kind],
                    "name": sname,
                    "categories": [],
                    "channels": [],
                    "purposes": [],
                },
            )
            item["channels"] += [c for c in source.channels if c not in item["channels"]]
            for cname in words.terms("data_categories", source.data_categories, lower=True):
                if cname not in item["categories"]:
                    item["categories"].append(cname)
            if entry["name"] not in item["purposes"]:
                item["purposes"].append(entry["name"])
    sources = [
        {
            **item,
            "categories": words.join(item["categories"]),
            "channels": w.join_channels(item["channels"], lang),
            "purposes": words.join_names(item["purposes"]),
        }
        for item in other_sources.values()
    ]
    observed_ctx = (
        {"categories": words.join(observed["categories"]), "purposes": words.join_names(observed["purposes"])}
        if observed["purposes"]
        else None
    )

    # --- recipients and transfers ---------------------------------------------------------------
    recipients: list[dict[str, Any]] = []
    transfers: list[dict[str, Any]] = []
    for rkey, recipient in policy.recipients.items():
        for_purposes = [
            entry["name"]
            for entry, purpose in zip(purposes, policy.purposes.values(), strict=True)
            if rkey in purpose.recipients
        ]
        item = {
            "key": rkey,
            "name": words.esc(recipient.display_name(lang)),
            "name_in_sentence": words.esc(_name_in_sentence(recipient.name, lang)),
            "role": w.RECIPIENT_ROLES[lang][recipient.role],
            "country": words.country(recipient.country),
            "description": words.local(recipient.description),
            "purposes": words.join_names(for_purposes),
            "public_disclosure": words.sentence(recipient.public_disclosure),
            "processor_agreement": recipient.agreement is not None
            and recipient.role in (RecipientRole.PROCESSOR, RecipientRole.SUB_PROCESSOR),
            "erasure_when": w.ERASURE_EVENTS[lang][recipient.erasure_request]
            if recipient.erasure_request is not None
            else "",
        }
        recipients.append(item)
        outside = recipient.country != "GB" if controller.country == "GB" else recipient.country not in EEA
        if recipient.transfer is not None or outside:
            safeguard = recipient.transfer.safeguard if recipient.transfer is not None else None
            if safeguard is None and recipient.country in ADEQUACY and recipient.country != "US":
                safeguard = Safeguard.ADEQUACY
            transfers.append(
                {
                    "name": item["name"],
                    "country": item["country"],
                    "safeguard": w.SAFEGUARDS[lang][safeguard].format(law=law) if safeguard else "",
                    "scc": safeguard == Safeguard.STANDARD_CONTRACTUAL_CLAUSES,
                    "details": words.sentence(recipient.transfer.details) if recipient.transfer else "",
                }
            )
    public_disclosures = [r for r in recipients if r["public_disclosure"]]
    erasure_requests = [r for r in recipients if r["erasure_when"]]

    # --- rights -----------------------------------------------------------------------------
    rights = policy.rights
    contact = rights.contact
    rights_email = words.esc(contact.email if contact and contact.email else controller.email)
    any_contract = any(LegalBasis.CONTRACT in p.legal_basis for p in policy.purposes.values())
    rights_ctx = {
        "email": rights_email,
        "url": words.esc(contact.url) if contact and contact.url else "",
        "postal": bool(contact and contact.postal),
        "answer_within": rights.answer_within.words(lang),
        "extension_max": rights.extension_max.words(lang),
        "signed_in": rights.identity.signed_in,
        "id_document": rights.identity.id_document,
        "download_expiry": rights.download_expiry.words(lang),
        "complaint_business_days": rights.complaint_business_days,
        "invite_contact_first": rights.invite_contact_first,
        "erasure_ends_service": any_contract,
    }

    authority = policy.authority()
    authority_ctx: dict[str, Any] | None = None
    if authority is not None:
        authority_ctx = {
            "name": words.local(authority.name),
            "address": words.address(authority.address),
            "country": words.country(authority.country),
            "email": words.esc(authority.email),
            "phone": words.esc(authority.phone),
            "website": words.esc(authority.website),
            "website_url": words.url(authority.website),
        }

    # --- security ---------------------------------------------------------------------------
    security = policy.security
    security_ctx = {
        "measures": [words.local(measure) for measure in security.measures],
        "lockout_attempts": security.lockout.attempts,
        "lockout_duration": security.lockout.duration.words(lang),
        "two_factor_customers": security.two_factor.customers,
        "two_factor_staff": security.two_factor.staff,
        "backups": _backups(policy, lang),
    }

    # --- cookies and web logs ---------------------------------------------------------------
    purpose_names = {entry["key"]: entry["name"] for entry in purposes}
    cookies = [
        {
            "name": words.esc(cookie.name),
            "description": words.local(cookie.description),
            "purpose": purpose_names.get(cookie.purpose, ""),
            "strictly_necessary": cookie.purpose == "strictly_necessary",
            "session": cookie.expiry == "session",
            "expiry": cookie.expiry.words(lang) if not isinstance(cookie.expiry, str) else "",
            "personal_data": cookie.personal_data,
        }
        for cookie in policy.cookies
    ]
    web_logs: dict[str, Any] | None = None
    if policy.web_logs is not None:
        logs = policy.web_logs
        web_logs = {
            "purpose": purpose_names.get(logs.purpose, words.esc(logs.purpose)),
            "retention": logs.retention.words(lang),
            "fields": words.join([w.LOG_FIELDS[lang][field] for field in logs.fields]),
            "has_ip": "ip_address" in logs.fields,
            "ip_storage": w.IP_STORAGE[lang][logs.ip_storage],
            "raw_reason": words.sentence(logs.raw_reason) if logs.ip_storage == "raw" else "",
        }

    content = policy.customer_content
    content_ctx = (
        {
            "role": content.role,
            "inspection": content.inspection,
            "virus_scanning": content.virus_scanning,
            "processor_agreement": content.processor_agreement,
        }
        if content is not None
        else None
    )

    breaches = _breaches(policy, lang, authority_ctx)
    support = policy.support
    support_ctx = (
        {
            "notice": words.paragraphs(_text(support.notice, lang)),
            "flag_personal_data": support.flag_personal_data,
        }
        if support is not None and (support.notice is not None or support.flag_personal_data)
        else None
    )

    # --- the controller ---------------------------------------------------------------------
    company_label = {
        "en": "Company number",
        "nl": {"NL": "KvK-nummer", "BE": "Ondernemingsnummer"}.get(controller.country, "Ondernemingsnummer"),
    }[lang]
    if controller.company_number and controller.company_number.lower().startswith(
        company_label.split("-")[0].split(" ")[0].lower()
    ):
        company_label = ""  # the number names its register itself ('KvK 87654321')
    controller_ctx = {
        "legal_name": words.esc(controller.legal_name),
        "trade_name": words.esc(controller.trade_name),
        "name": words.esc(controller.trade_name or controller.legal_name),
        "address": words.address(controller.address),
        "country": words.country(controller.country),
        "company_number": words.esc(controller.company_number),
        "company_label": company_label,
        "email": words.esc(controller.email),
        "phone": words.esc(controller.phone),
        "website": words.esc(controller.website),
        "website_url": words.url(controller.website),
    }
    dpo = controller.dpo
    dpo_ctx = (
        {"name": words.esc(dpo.name), "email": words.esc(dpo.email), "phone": words.esc(dpo.phone)}
        if dpo is not None
        else None
    )
    rep = controller.eu_representative
    rep_ctx = (
        {
            "name": words.esc(rep.name),
            "address": words.address(rep.address),
            "country": words.country(rep.country),
            "email": words.esc(rep.email),
        }
        if rep is not None
        else None
    )

    return {
        "lang": lang,
        "fmt": fmt,
        "law": law,
        "uk": controller.country == "GB",
        "title": words.local(statement.title) or {"en": "Privacy statement", "nl": "Privacyverklaring"}[lang],
        "introduction": words.paragraphs(_text(statement.introduction, lang)),
        "scope": words.paragraphs(_text(statement.scope, lang)),
        "changes": words.paragraphs(_text(statement.changes, lang)),
        "controller": controller_ctx,
        "dpo": dpo_ctx,
        "representative": rep_ctx,
        "purposes": purposes,
        "any_legitimate_interest": any(e["legitimate_interest"] for e in purposes),
        "any_legal_obligation": any(
            LegalBasis.LEGAL_OBLIGATION in p.legal_basis for p in policy.purposes.values()
        ),
        "any_requirement": any(
            e["requirement"] or e["consequence"] or e["required"] or e["observed_only"] for e in purposes
        ),
        "categories": categories,
        "any_category_description": any(c["description"] for c in categories),
        "never_collected": words.join(words.terms("data_categories", policy.never_collected, lower=True)),
        "sources": sources,
        "all_from_subject": not sources,
        "subject_channels": w.join_channels(subject_channels, lang),
        "observed": observed_ctx,
        "from_organisation": any(
            s.kind == SourceKind.ORGANISATION for p in policy.purposes.values() for s in p.sources
        ),
        "recipients": recipients,
        "public_disclosures": public_disclosures,
        "erasure_requests": erasure_requests,
        "transfers": transfers,
        "retention": retention_rows,
        "without_retention": words.join_names([e["name"] for e in purposes if e["retention"] is None]),
        "consent_purposes": consent_purposes,
        "consent_purpose_names": words.join_names([p["name"] for p in consent_purposes]),
        "interest_purposes": words.join_names(interest_purposes),
        "profiling": profiling,
        "automated_decisions": [p for p in profiling if p["automated_decision"]],
        "rights": rights_ctx,
        "authority": authority_ctx,
        "security": security_ctx,
        "cookies": cookies,
        "web_logs": web_logs,
        "content": content_ctx,
        "breaches": breaches,
        "support": support_ctx,
        "effective": _date(effective, lang),
        "effective_iso": effective.isoformat() if effective else "",
        "published": _date(published, lang),
        "published_iso": published.isoformat() if published else "",
    }


_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+\n")
_TRAILING = re.compile(r"[ \t]+\n")


def _tidy(text: str) -> str:
    text = _TRAILING.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip() + "\n"


def _tidy_html(text: str) -> str:
    text = _TRAILING.sub("\n", text)
    return re.sub(r"\n\s*\n+", "\n", text).strip() + "\n"


def render_statement(
    policy: Policy,
    lang: str,
    fmt: Format,
    *,
    effective: dt.date | None = None,
    published: dt.date | None = None,
) -> str:
    """The statement's body: an ``<article>`` fragment for HTML, the whole text for Markdown."""
    context = statement_context(policy, lang, fmt, effective=effective, published=published)
    text = render_to_string(f"policy/statement/{lang}.{fmt}", context)
    tidy: Callable[[str], str] = _tidy_html if fmt == "html" else _tidy
    return tidy(text)


def render_document(
    policy: Policy,
    lang: str,
    fmt: Format = "html",
    *,
    effective: dt.date | None = None,
    published: dt.date | None = None,
) -> str:
    """A complete standalone HTML5 document holding the statement; for Markdown the statement itself."""
    body = render_statement(policy, lang, fmt, effective=effective, published=published)
    if fmt == "md":
        return body
    context = statement_context(policy, lang, fmt, effective=effective, published=published)
    return _tidy_html(render_to_string("policy/statement/document.html", {**context, "body": body}))


__all__ = ["escape_markdown", "render_document", "render_statement", "statement_context"]
