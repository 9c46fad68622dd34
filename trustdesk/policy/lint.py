"""The policy check: GDPR Art. 13 and 14 completeness, and consistency.

Each rule has a stable code (``TD1xx``), a severity, the article it rests on, and
reports the place in the file. Rules are plain functions registered in RULES;
``docs/lint.md`` lists them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from trustdesk.lib.durations import Duration
from trustdesk.policy.countries import ADEQUACY, needs_transfer_safeguard
from trustdesk.policy.loader import LoadedPolicy, PathT, describe, dotted
from trustdesk.policy.schema import (
    LegalBasis,
    LocalText,
    Policy,
    RecipientRole,
    Requirement,
    Safeguard,
    SourceKind,
)
from trustdesk.policy.taxonomy import PROFILING_USES, is_special_category


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    article: str
    message: str
    path: PathT
    file: str
    line: int | None

    @property
    def key(self) -> str:
        return dotted(self.path)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "article": self.article,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "key": self.key,
        }

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity.value} {self.code} [{self.article}] {self.message}"


Check = Callable[[Policy], Iterator[tuple[PathT, str]]]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    article: str
    title: str
    check: Check


RULES: list[Rule] = []


def rule(code: str, severity: Severity, article: str, title: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        if any(existing.code == code for existing in RULES):
            raise RuntimeError(f"lint rule {code} is registered twice")
        RULES.append(Rule(code, severity, article, title, check))
        return check

    return register


def lint(loaded: LoadedPolicy) -> list[Finding]:
    findings: list[Finding] = []
    for item in RULES:
        for path, message in item.check(loaded.policy):
            findings.append(
                Finding(
                    code=item.code,
                    severity=item.severity,
                    article=item.article,
                    message=message,
                    path=path,
                    file=loaded.source.name,
                    line=loaded.source.line_of(path),
                )
            )
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    findings.sort(key=lambda f: (order[f.severity], f.line or 0, f.code))
    return findings


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def _purpose(key: str) -> str:
    return describe(("purposes", key))


# --- Art. 13(1): who, why, to whom, where ----------------------------------------------------


@rule("TD101", Severity.WARNING, "GDPR Art. 13(1)(a)", "the controller gives no telephone number or website")
def _controller_contact(policy: Policy) -> Iterator[tuple[PathT, str]]:
    controller = policy.controller
    if controller.phone is None and controller.website is None:
        yield (
            ("controller",),
            (
                "the controller gives only an e-mail address; add a telephone number or a website so people "
                "have a second way to reach you"
            ),
        )


@rule("TD102", Severity.INFO, "GDPR Art. 13(1)(b), 37", "no data protection officer is named")
def _dpo(policy: Policy) -> Iterator[tuple[PathT, str]]:
    if policy.controller.dpo is None:
        yield (
            ("controller",),
            (
                "no data protection officer is named; that is fine when the law does not require one "
                "(Art. 37), but the statement then names the controller as the contact for privacy questions"
            ),
        )


@rule(
    "TD103",
    Severity.WARNING,
    "GDPR Art. 13(1)(a), 27",
    "a controller outside the EEA names no EU representative",
)
def _representative(policy: Policy) -> Iterator[tuple[PathT, str]]:
    from trustdesk.policy.countries import EEA

    if policy.controller.country not in EEA and policy.controller.eu_representative is None:
        yield (
            ("controller",),
            (
                f"the controller is established outside the EEA ({policy.controller.country}) and names no "
                "representative in the EU; one is needed when you offer services to people in the EU (Art. 27)"
            ),
        )


@rule("TD110", Severity.ERROR, "GDPR Art. 13(1)(d), 6(1)(f)", "legitimate interest without the interest")
def _legitimate_interest(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        if LegalBasis.LEGITIMATE_INTERESTS in purpose.legal_basis and purpose.legitimate_interest is None:
            yield (
                ("purposes", key, "legal_basis"),
                (
                    f"{_purpose(key)}: legal basis 'legitimate_interests' needs the interest pursued, under "
                    "legitimate_interest"
                ),
            )


@rule("TD111", Severity.WARNING, "GDPR Art. 6(1)", "a purpose rests on more than one legal basis")
def _several_bases(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        bases = list(dict.fromkeys(purpose.legal_basis))  # the same basis written twice is still one
        if len(bases) > 1:
            names = " and ".join(f"'{b.value}'" for b in bases)
            yield (
                ("purposes", key, "legal_basis"),
                (
                    f"{_purpose(key)}: rests on {names}; a person must know which basis applies, because their "
                    "rights differ (withdrawal for consent, objection for legitimate interest): split the purpose"
                ),
            )


@rule("TD112", Severity.ERROR, "GDPR Art. 13(1)(e)", "a recipient is used but not defined")
def _undefined_recipient(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        for index, recipient in enumerate(purpose.recipients):
            if recipient not in policy.recipients:
                yield (
                    ("purposes", key, "recipients", index),
                    (f"{_purpose(key)}: recipient '{recipient}' is not defined under recipients"),
                )


@rule("TD113", Severity.ERROR, "GDPR Art. 13(1)(f), 44-49", "a transfer outside the EEA without a safeguard")
def _transfer(policy: Policy) -> Iterator[tuple[PathT, str]]:
    home = policy.controller.country
    for key, recipient in policy.recipients.items():
        if not needs_transfer_safeguard(home, recipient.country):
            continue
        if recipient.transfer is None:
            # A UK controller (UK GDPR) transfers freely to the EEA and the EU's adequacy countries.
            area = "the EEA" if home != "GB" else "the UK, the EEA and the countries with adequacy"
            yield (
                ("recipients", key, "country"),
                (
                    f"recipient '{key}' is in {recipient.country}, outside {area}, and no safeguard is given: "
                    "add transfer.safeguard (adequacy, standard_contractual_clauses, binding_corporate_rules "
                    "or derogation)"
                ),
            )
        elif recipient.transfer.safeguard is Safeguard.ADEQUACY and recipient.country not in ADEQUACY:
            yield (
                ("recipients", key, "transfer", "safeguard"),
                (
                    f"recipient '{key}': there is no adequacy decision for {recipient.country}; use standard "
                    "contractual clauses, binding corporate rules or a derogation"
                ),
            )


@rule("TD114", Severity.ERROR, "GDPR Art. 28(3)", "a processor without a processing agreement")
def _processor_agreement(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, recipient in policy.recipients.items():
        processor = recipient.role in (RecipientRole.PROCESSOR, RecipientRole.SUB_PROCESSOR)
        if processor and recipient.agreement is None:
            yield (
                ("recipients", key, "role"),
                (
                    f"recipient '{key}' is a {recipient.role.value.replace('_', '-')} without a processing "
                    "agreement: give agreement.date and agreement.reference"
                ),
            )


@rule("TD115", Severity.INFO, "GDPR Art. 13(1)(e)", "a recipient is defined but no purpose uses it")
def _unused_recipient(policy: Policy) -> Iterator[tuple[PathT, str]]:
    used = {r for purpose in policy.purposes.values() for r in purpose.recipients}
    for key in policy.recipients:
        if key not in used:
            yield ("recipients", key), f"recipient '{key}' is defined but no purpose sends it data"


@rule("TD116", Severity.ERROR, "GDPR Art. 9, 10", "special-category data on an Art. 6 basis alone")
def _special_categories(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        for index, category in enumerate(purpose.data_categories):
            if is_special_category(category):
                yield (
                    ("purposes", key, "data_categories", index),
                    (
                        f"{_purpose(key)}: '{category}' is special-category or criminal data (Art. 9, 10); "
                        "this policy format cannot record the Art. 9(2) condition: do not process it, or take "
                        "legal advice"
                    ),
                )


# --- Art. 13(2): how long, rights, consent, complaint, requirement, automated decisions --------


@rule("TD120", Severity.ERROR, "GDPR Art. 13(2)(a), 5(1)(e)", "a purpose without retention")
def _retention(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        if purpose.retention is None:
            yield (
                ("purposes", key),
                (
                    f"{_purpose(key)}: no retention is set; give retention.period (for example P2Y), "
                    "retention.from (the event it runs from) and retention.action"
                ),
            )


@rule("TD121", Severity.ERROR, "GDPR Art. 13(2)(b), 12(2)", "no way to exercise rights is given")
def _rights_contact(policy: Policy) -> Iterator[tuple[PathT, str]]:
    contact = policy.rights.contact
    if contact is None or (contact.email is None and contact.url is None and not contact.postal):
        yield (
            ("rights",),
            (
                "the statement says nowhere how to exercise rights: give rights.contact (an e-mail address, "
                "a web address, or postal: true for the controller's address)"
            ),
        )


@rule("TD122", Severity.ERROR, "GDPR Art. 13(2)(c), 7(3)", "consent without withdrawal")
def _withdrawal(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        withdrawal = purpose.consent.withdrawal if purpose.consent is not None else None
        if LegalBasis.CONSENT in purpose.legal_basis and withdrawal is None:
            yield (
                ("purposes", key, "legal_basis"),
                (
                    f"{_purpose(key)}: legal basis 'consent' needs consent.withdrawal: how a person withdraws "
                    "consent, as easily as they gave it"
                ),
            )


@rule("TD123", Severity.ERROR, "GDPR Art. 13(2)(d), 77", "no supervisory authority")
def _authority(policy: Policy) -> Iterator[tuple[PathT, str]]:
    if policy.authority() is None:
        yield (
            ("controller", "country"),
            (
                f"there is no built-in supervisory authority for {policy.controller.country}: write it out under "
                "supervisory_authority (name, address, country)"
            ),
        )


@rule("TD124", Severity.ERROR, "GDPR Art. 13(2)(e)", "the requirement to provide the data is not stated")
def _requirement(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        from_person = any(s.kind is SourceKind.DATA_SUBJECT for s in purpose.sources)
        if not from_person:
            continue
        if purpose.requirement is None:
            yield (
                ("purposes", key),
                (
                    f"{_purpose(key)}: say whether providing the data is statutory, contractual, "
                    "needed_for_contract or optional, under requirement"
                ),
            )
        elif purpose.requirement is not Requirement.OPTIONAL and purpose.consequence is None:
            yield (
                ("purposes", key, "requirement"),
                (
                    f"{_purpose(key)}: the data is {purpose.requirement.value.replace('_', ' ')}; say what "
                    "happens when a person does not provide it, under consequence"
                ),
            )


@rule("TD125", Severity.ERROR, "GDPR Art. 13(2)(f), 22", "profiling that is not declared")
def _undeclared_profiling(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        if purpose.data_use in PROFILING_USES and purpose.profiling is None:
            yield (
                ("purposes", key, "data_use"),
                (
                    f"{_purpose(key)}: the data use '{purpose.data_use}' is profiling, but the purpose declares "
                    "none: describe it under profiling"
                ),
            )


@rule(
    "TD126",
    Severity.ERROR,
    "GDPR Art. 13(2)(f), 22",
    "an automated decision without its logic and significance",
)
def _automated_decision(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        profiling = purpose.profiling
        if profiling is None or not profiling.automated_decision:
            continue
        if profiling.logic is None or profiling.significance is None:
            yield (
                ("purposes", key, "profiling"),
                (
                    f"{_purpose(key)}: an automated decision needs profiling.logic (the logic involved) and "
                    "profiling.significance (its consequences for the person)"
                ),
            )


def _overrun(duration: Duration, months: int) -> tuple[dt.datetime, dt.datetime, dt.datetime] | None:
    """A moment of receipt for which ``duration`` ends later than ``months`` calendar months, or None.

    Months are calendar months (31 August + one month is 30 September), so P30D is not "one month":
    it is longer for a request received at the end of January. Two years hold every month length
    and 29 February.
    """
    limit = Duration(months=months)
    start = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    for day in range(731):
        received = start + dt.timedelta(days=day)
        end, latest = duration.add_to(received), limit.add_to(received)
        if isinstance(end, dt.datetime) and isinstance(latest, dt.datetime) and end > latest:
            return received, end, latest
    return None


def _day(moment: dt.datetime) -> str:
    from trustdesk.policy.wording import MONTHS

    text = f"{moment.day} {MONTHS['en'][moment.month - 1]}"
    return text if moment.time() == dt.time() else f"{text} {moment:%H:%M}"


@rule("TD127", Severity.ERROR, "GDPR Art. 12(3)", "the answer deadline is longer than the GDPR allows")
def _deadline(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for name, months, limit in (
        ("answer_within", 1, "requests must be answered within one month (Art. 12(3))"),
        ("extension_max", 2, "an extension is at most two further months (Art. 12(3))"),
    ):
        duration: Duration = getattr(policy.rights, name)
        overrun = _overrun(duration, months)
        if overrun is not None:
            received, end, latest = overrun
            yield (
                ("rights", name),
                (
                    f"{limit}; {duration} is longer: counted from {_day(received)}, it ends on {_day(end)} "
                    f"instead of {_day(latest)}"
                ),
            )


@rule("TD128", Severity.WARNING, "GDPR Art. 21(2), 21(4)", "direct marketing without a way to object")
def _direct_marketing(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        marketing = purpose.data_use.startswith("marketing")
        if marketing and LegalBasis.LEGITIMATE_INTERESTS in purpose.legal_basis and purpose.objection is None:
            yield (
                ("purposes", key, "data_use"),
                (
                    f"{_purpose(key)}: direct marketing on legitimate interest must offer an easy objection in "
                    "every message; describe it under objection"
                ),
            )


@rule(
    "TD129",
    Severity.INFO,
    "GDPR Art. 21(1), 13(2)(b)",
    "a purpose on legitimate interest says not how to object",
)
def _objection(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        if purpose.data_use.startswith("marketing") or purpose.objection is not None:
            continue
        if (
            LegalBasis.LEGITIMATE_INTERESTS in purpose.legal_basis
            or LegalBasis.PUBLIC_TASK in purpose.legal_basis
        ):
            yield (
                ("purposes", key, "legal_basis"),
                (
                    f"{_purpose(key)}: a person may object to this purpose; the statement gives the general way "
                    "to exercise rights, and objection can say how to object to this purpose in particular"
                ),
            )


# --- Art. 14: data not obtained from the person ---------------------------------------------


@rule("TD130", Severity.ERROR, "GDPR Art. 14(1)(d)", "data from another source without its categories")
def _source_categories(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        for index, source in enumerate(purpose.sources):
            if source.kind in (SourceKind.THIRD_PARTY, SourceKind.PUBLIC) and not source.data_categories:
                yield (
                    ("purposes", key, "sources", index),
                    (
                        f"{_purpose(key)}: source #{index + 1} is not the person; list which data categories "
                        "come from it, under data_categories"
                    ),
                )


@rule("TD131", Severity.WARNING, "GDPR Art. 13(2)(e)", "a requirement on data the person does not provide")
def _observed_requirement(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        if not purpose.sources or any(s.kind is not SourceKind.OBSERVED for s in purpose.sources):
            continue
        fields = [f for f in ("requirement", "consequence", "required_categories") if getattr(purpose, f)]
        if fields:
            yield (
                ("purposes", key, fields[0]),
                (
                    f"{_purpose(key)}: all its data is recorded while the person uses the services (observed), "
                    f"so nobody provides it; {' and '.join(fields)} do not apply and the statement leaves them out"
                ),
            )


# --- consistency ------------------------------------------------------------------------------


@rule("TD140", Severity.WARNING, "GDPR Art. 5(1)(c), 30", "a declared category no purpose uses")
def _unused_category(policy: Policy) -> Iterator[tuple[PathT, str]]:
    # A category counts as used when a purpose collects it or a category below it, or when
    # never_collected names it: declaring a category only to promise never to collect it is fine.
    declared = policy.taxonomy.data_categories
    used = {c for purpose in policy.purposes.values() for c in purpose.data_categories}
    used |= set(policy.never_collected)
    pending = list(used)
    while pending:
        entry = declared.get(pending.pop())
        if entry is not None and entry.parent is not None and entry.parent not in used:
            used.add(entry.parent)
            pending.append(entry.parent)
    for key in declared:
        if key not in used and not any(c.startswith(key + ".") for c in used):
            yield (
                ("taxonomy", "data_categories", key),
                (f"the data category '{key}' is declared but no purpose uses it"),
            )


@rule(
    "TD141",
    Severity.ERROR,
    "GDPR Art. 5(1)(c)",
    "a purpose collects a category the policy says is never collected",
)
def _never_collected(policy: Policy) -> Iterator[tuple[PathT, str]]:
    never = set(policy.never_collected)
    for key, purpose in policy.purposes.items():
        for index, category in enumerate(purpose.data_categories):
            if category in never or any(category.startswith(n + ".") for n in never):
                yield (
                    ("purposes", key, "data_categories", index),
                    (
                        f"{_purpose(key)}: collects '{category}', which never_collected promises is never "
                        "collected"
                    ),
                )


@rule(
    "TD142",
    Severity.ERROR,
    "GDPR Art. 12(1)",
    "a text is missing in a language the statement is published in",
)
def _languages(policy: Policy) -> Iterator[tuple[PathT, str]]:
    wanted = set(policy.languages)
    for path, text in _texts(policy, ()):
        missing = sorted(wanted - text.languages())
        if missing:
            yield (
                path,
                (
                    f"{describe(path)} has no text in {', '.join(missing)}, which the statement is published in"
                ),
            )


@rule(
    "TD143", Severity.ERROR, "ePrivacy Art. 5(3); GDPR Art. 13(1)(c)", "a cookie refers to an unknown purpose"
)
def _cookie_purpose(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for index, cookie in enumerate(policy.cookies):
        if cookie.purpose != "strictly_necessary" and cookie.purpose not in policy.purposes:
            yield (
                ("cookies", index, "purpose"),
                (f"cookie '{cookie.name}': purpose '{cookie.purpose}' is not defined"),
            )


@rule("TD144", Severity.WARNING, "ePrivacy Art. 5(3); GDPR Art. 5(1)(c)", "a cookie holds personal data")
def _cookie_personal(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for index, cookie in enumerate(policy.cookies):
        if cookie.personal_data:
            yield (
                ("cookies", index, "personal_data"),
                (
                    f"cookie '{cookie.name}' holds personal data; keep identifiers on the server and only a "
                    "random "
                    "reference in the cookie"
                ),
            )


@rule("TD150", Severity.ERROR, "GDPR Art. 5(1)(c), 25", "raw IP addresses kept without a stated reason")
def _raw_ip(policy: Policy) -> Iterator[tuple[PathT, str]]:
    logs = policy.web_logs
    if logs is not None and logs.ip_storage == "raw" and logs.raw_reason is None:
        yield (
            ("web_logs", "ip_storage"),
            (
                "web logs keep visitors' IP addresses as they are, without a reason: choose hmac, aes_siv or "
                "truncate, or state why under raw_reason"
            ),
        )


@rule("TD151", Severity.WARNING, "GDPR Art. 25, 32(1)(a)", "raw IP addresses kept")
def _raw_ip_reasoned(policy: Policy) -> Iterator[tuple[PathT, str]]:
    logs = policy.web_logs
    if logs is not None and logs.ip_storage == "raw" and logs.raw_reason is not None:
        yield (
            ("web_logs", "ip_storage"),
            (
                "web logs keep visitors' IP addresses as they are; a keyed pseudonym (hmac, or aes_siv where "
                "investigators must recover addresses) serves the same investigations with less risk"
            ),
        )


@rule("TD152", Severity.ERROR, "GDPR Art. 5(1)(b)", "web logs refer to an unknown purpose")
def _web_logs_purpose(policy: Policy) -> Iterator[tuple[PathT, str]]:
    logs = policy.web_logs
    if logs is not None and logs.purpose not in policy.purposes:
        yield ("web_logs", "purpose"), f"web logs: purpose '{logs.purpose}' is not defined"


@rule("TD155", Severity.WARNING, "GDPR Art. 33(2)", "breach duties towards customers that cannot apply")
def _customer_breach_duties(policy: Policy) -> Iterator[tuple[PathT, str]]:
    content = policy.customer_content
    breaches = policy.breaches
    if breaches.notify_customers and (content is None or content.role == "controller"):
        yield (
            ("breaches", "notify_customers"),
            (
                "notify_customers promises to tell customers of breaches of the data they store with you, but "
                "customer_content does not say you hold such data for them (role processor or neither)"
            ),
        )
    if breaches.evidence_for_customers and not breaches.notify_customers:
        yield (
            ("breaches", "evidence_for_customers"),
            "evidence_for_customers needs notify_customers: customers hear of the breach before they get its evidence",
        )


@rule("TD160", Severity.WARNING, "GDPR Art. 32(1)", "two-factor authentication is optional for staff")
def _staff_two_factor(policy: Policy) -> Iterator[tuple[PathT, str]]:
    if policy.security.two_factor.staff != "required":
        yield (
            ("security", "two_factor", "staff"),
            ("staff can sign in without a second factor; staff see every customer's data, so require it"),
        )


@rule("TD161", Severity.WARNING, "GDPR Art. 30(1)(g), 32(1)", "no security measures are described")
def _measures(policy: Policy) -> Iterator[tuple[PathT, str]]:
    if not policy.security.measures:
        yield ("security",), "no security measures are described; list them under security.measures"


@rule("TD153", Severity.ERROR, "GDPR Art. 33(2)", "a processor that does not tell its customers of a breach")
def _processor_breach(policy: Policy) -> Iterator[tuple[PathT, str]]:
    content = policy.customer_content
    if content is not None and content.role == "processor" and not policy.breaches.notify_customers:
        yield (
            ("customer_content", "role"),
            (
                "as a processor of your customers' data you must tell them of a breach without undue delay: "
                "set breaches.notify_customers: true"
            ),
        )


@rule("TD154", Severity.ERROR, "GDPR Art. 33(1)", "breaches are not reported to the supervisory authority")
def _authority_breach(policy: Policy) -> Iterator[tuple[PathT, str]]:
    if not policy.breaches.notify_authority:
        yield (
            ("breaches", "notify_authority"),
            (
                "a controller must report a personal data breach to the supervisory authority within 72 hours, "
                "unless it is unlikely to result in a risk: set notify_authority: true"
            ),
        )


@rule("TD162", Severity.WARNING, "GDPR Art. 17, 5(1)(e)", "backups are kept without a stated period")
def _backup_retention(policy: Policy) -> Iterator[tuple[PathT, str]]:
    backups = policy.security.backups
    if backups is not None and backups.retention is None:
        yield (
            ("security", "backups"),
            (
                "backups keep deleted data until they are themselves deleted; say how long under "
                "backups.retention, so that erasure has a known end"
            ),
        )


@rule("TD170", Severity.ERROR, "Acceptable use policy", "an abuse category refers to an unknown sanction")
def _sanctions(policy: Policy) -> Iterator[tuple[PathT, str]]:
    aup = policy.acceptable_use
    if aup is None:
        return
    for key, category in aup.categories.items():
        for field in ("sanctions", "immediate"):
            for index, sanction in enumerate(getattr(category, field)):
                if sanction not in aup.sanctions:
                    yield (
                        ("acceptable_use", "categories", key, field, index),
                        (
                            f"abuse category '{key}': sanction '{sanction}' is not defined under "
                            "acceptable_use.sanctions"
                        ),
                    )


@rule("TD171", Severity.WARNING, "Acceptable use policy", "an abuse category leads to no sanction")
def _no_sanction(policy: Policy) -> Iterator[tuple[PathT, str]]:
    aup = policy.acceptable_use
    if aup is None:
        return
    for key, category in aup.categories.items():
        if not category.sanctions and not category.immediate:
            yield ("acceptable_use", "categories", key), f"abuse category '{key}' leads to no sanction"


def _texts(value: object, path: PathT) -> Iterator[tuple[PathT, LocalText]]:
    """Every per-language text in the policy, with its place."""
    from pydantic import BaseModel

    if isinstance(value, LocalText):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            field = getattr(value, name)
            yield from _texts(field, (*path, "from" if name == "from_" else name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _texts(item, (*path, index))
