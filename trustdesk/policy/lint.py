"""The policy check: GDPR Art. 13 and 14 completeness, and consistency.

Each rule has a stable code (``TD1xx``), a severity, the article it rests on, and
reports the place in the file. Rules are plain functions registered in RULES;
``docs/lint.md`` lists them. Titles and messages are translatable: a message is written in the
language active when :func:`lint` runs (English on the command line, the reader's on the console);
the keys and values of the file in it stay as the file writes them. A finding's article is cited as
the law is cited in that language (:func:`cite`): ``GDPR Art. 13(1)(c)``, ``AVG art. 13 lid 1 onder c``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache, reduce

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from trustdesk.lib.durations import Duration
from trustdesk.lib.languages import page_language
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
    title: str | Promise
    check: Check


RULES: list[Rule] = []


def rule(code: str, severity: Severity, article: str, title: str | Promise) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        if any(existing.code == code for existing in RULES):
            raise RuntimeError(f"lint rule {code} is registered twice")
        RULES.append(Rule(code, severity, article, title, check))
        return check

    return register


#: How each language names the laws the rules rest on, and cites an article of them.
_LAWS = {"nl": {"GDPR": "AVG", "ePrivacy": "e-Privacyrichtlijn"}}
_ARTICLE_WORD = {"nl": "art."}
#: A paragraph and a point of an article: ``13(1)(c)``, ``6(1)``.
_PARAGRAPH = re.compile(r"\b(\d+)\((\d+)\)(?:\(([a-z])\))?")


def _dutch_paragraphs(numbers: str) -> str:
    """``13(1)(c), 30`` as Dutch law cites it: ``13 lid 1 onder c, 30``."""
    return _PARAGRAPH.sub(lambda m: f"{m[1]} lid {m[2]}" + (f" onder {m[3]}" if m[3] else ""), numbers)


def cite(article: str) -> str:
    """The article of a rule (``GDPR Art. 13(1)(c), 30(1)(c)``, ``ePrivacy Art. 5(3); GDPR Art. 5(1)(c)``)
    as the active language cites law: unchanged in English; in Dutch ``AVG art. 13 lid 1 onder c, 30 lid
    1 onder c``. What is not an article of a law (``Acceptable use policy``) is translated."""
    lang = page_language()
    laws = _LAWS.get(lang)
    if laws is None:
        return article
    parts = []
    for part in article.split("; "):
        law, sep, numbers = part.partition(" Art. ")
        if sep and law in laws:
            parts.append(f"{laws[law]} {_ARTICLE_WORD[lang]} {_dutch_paragraphs(numbers)}")
        else:
            parts.append(_(part))
    return "; ".join(parts)


def lint(loaded: LoadedPolicy) -> list[Finding]:
    findings: list[Finding] = []
    for item in RULES:
        for path, message in item.check(loaded.policy):
            findings.append(
                Finding(
                    code=item.code,
                    severity=item.severity,
                    article=cite(item.article),
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


def _name(key: str) -> str:
    """A key of the file as messages quote it: long ones cut short, as :func:`describe` does."""
    return key if len(key) <= 40 else key[:37] + "..."


def _and(items: list[str]) -> str:
    """'a' and 'b' and 'c', in the active language."""
    return reduce(
        lambda first, second: _("%(first)s and %(second)s") % {"first": first, "second": second}, items
    )


#: the nouns of :func:`describe`, for a place in the file in the active language
_NOUNS = {
    "purposes": _lazy("purpose '%(name)s'"),
    "recipients": _lazy("recipient '%(name)s'"),
    "sanctions": _lazy("sanction '%(name)s'"),
    "categories": _lazy("abuse category '%(name)s'"),
}


def _where(path: PathT) -> str:
    """Where a text stands in the file: :func:`describe` in English; in another language its nouns are
    translated and the keys are written as the file writes them (``legal_basis``, not "legal basis")."""
    if page_language() == "en":
        return describe(path)
    words: list[str] = []
    index = 0
    while index < len(path):
        part = path[index]
        if part in _NOUNS and index + 1 < len(path):
            words.append(_NOUNS[str(part)] % {"name": _name(str(path[index + 1]))})
            index += 2
            continue
        if isinstance(part, int):
            before = words[-1] if words else _("item")
            words[-1:] = [f"{before} #{part + 1}"]
        else:
            words.append(_name(str(part)))
        index += 1
    if len(words) <= 1:
        return words[0] if words else _("the policy")
    return f"{', '.join(words[:-1])}: {words[-1]}"


# --- Art. 13(1): who, why, to whom, where ----------------------------------------------------


@rule(
    "TD101",
    Severity.WARNING,
    "GDPR Art. 13(1)(a)",
    _lazy("the controller gives no telephone number or website"),
)
def _controller_contact(policy: Policy) -> Iterator[tuple[PathT, str]]:
    controller = policy.controller
    if controller.phone is None and controller.website is None:
        yield (
            ("controller",),
            _(
                "the controller gives only an e-mail address; add a telephone number or a website so people "
                "have a second way to reach you"
            ),
        )


@rule("TD102", Severity.INFO, "GDPR Art. 13(1)(b), 37", _lazy("no data protection officer is named"))
def _dpo(policy: Policy) -> Iterator[tuple[PathT, str]]:
    if policy.controller.dpo is None:
        yield (
            ("controller",),
            _(
                "no data protection officer is named; that is fine when the law does not require one "
                "(Art. 37), but the statement then names the controller as the contact for privacy questions"
            ),
        )


@rule(
    "TD103",
    Severity.WARNING,
    "GDPR Art. 13(1)(a), 27",
    _lazy("a controller outside the EEA names no EU representative"),
)
def _representative(policy: Policy) -> Iterator[tuple[PathT, str]]:
    from trustdesk.policy.countries import EEA

    if policy.controller.country not in EEA and policy.controller.eu_representative is None:
        yield (
            ("controller",),
            _(
                "the controller is established outside the EEA (%(country)s) and names no "
                "representative in the EU; one is needed when you offer services to people in the EU (Art. 27)"
            )
            % {"country": policy.controller.country},
        )


@rule(
    "TD110", Severity.ERROR, "GDPR Art. 13(1)(d), 6(1)(f)", _lazy("legitimate interest without the interest")
)
def _legitimate_interest(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        if LegalBasis.LEGITIMATE_INTERESTS in purpose.legal_basis and purpose.legitimate_interest is None:
            yield (
                ("purposes", key, "legal_basis"),
                _(
                    "purpose '%(purpose)s': legal basis 'legitimate_interests' needs the interest pursued, under "
                    "legitimate_interest"
                )
                % {"purpose": _name(key)},
            )


@rule("TD111", Severity.WARNING, "GDPR Art. 6(1)", _lazy("a purpose rests on more than one legal basis"))
def _several_bases(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        bases = list(dict.fromkeys(purpose.legal_basis))  # the same basis written twice is still one
        if len(bases) > 1:
            names = _and([f"'{b.value}'" for b in bases])
            yield (
                ("purposes", key, "legal_basis"),
                (
                    _(
                        "purpose '%(purpose)s': rests on %(bases)s; a person must know which basis applies, "
                        "because their rights differ (withdrawal for consent, objection for legitimate interest): "
                        "split the purpose"
                    )
                    % {"purpose": _name(key), "bases": names}
                ),
            )


@rule("TD112", Severity.ERROR, "GDPR Art. 13(1)(e)", _lazy("a recipient is used but not defined"))
def _undefined_recipient(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        for index, recipient in enumerate(purpose.recipients):
            if recipient not in policy.recipients:
                yield (
                    ("purposes", key, "recipients", index),
                    _("purpose '%(purpose)s': recipient '%(recipient)s' is not defined under recipients")
                    % {"purpose": _name(key), "recipient": recipient},
                )


@rule(
    "TD113",
    Severity.ERROR,
    "GDPR Art. 13(1)(f), 44-49",
    _lazy("a transfer outside the EEA without a safeguard"),
)
def _transfer(policy: Policy) -> Iterator[tuple[PathT, str]]:
    home = policy.controller.country
    for key, recipient in policy.recipients.items():
        if not needs_transfer_safeguard(home, recipient.country):
            continue
        if recipient.transfer is None:
            # A UK controller (UK GDPR) transfers freely to the EEA and the EU's adequacy countries.
            area = _("the EEA") if home != "GB" else _("the UK, the EEA and the countries with adequacy")
            yield (
                ("recipients", key, "country"),
                (
                    _(
                        "recipient '%(recipient)s' is in %(country)s, outside %(area)s, and no safeguard is "
                        "given: add transfer.safeguard (adequacy, standard_contractual_clauses, "
                        "binding_corporate_rules or derogation)"
                    )
                    % {"recipient": key, "country": recipient.country, "area": area}
                ),
            )
        elif recipient.transfer.safeguard is Safeguard.ADEQUACY and recipient.country not in ADEQUACY:
            yield (
                ("recipients", key, "transfer", "safeguard"),
                (
                    _(
                        "recipient '%(recipient)s': there is no adequacy decision for %(country)s; use standard "
                        "contractual clauses, binding corporate rules or a derogation"
                    )
                    % {"recipient": key, "country": recipient.country}
                ),
            )


@rule("TD114", Severity.ERROR, "GDPR Art. 28(3)", _lazy("a processor without a processing agreement"))
def _processor_agreement(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, recipient in policy.recipients.items():
        processor = recipient.role in (RecipientRole.PROCESSOR, RecipientRole.SUB_PROCESSOR)
        if processor and recipient.agreement is None:
            message = (
                _(
                    "recipient '%(recipient)s' is a processor without a processing agreement: give "
                    "agreement.date and agreement.reference"
                )
                if recipient.role is RecipientRole.PROCESSOR
                else _(
                    "recipient '%(recipient)s' is a sub-processor without a processing agreement: give "
                    "agreement.date and agreement.reference"
                )
            )
            yield ("recipients", key, "role"), message % {"recipient": key}


@rule("TD115", Severity.INFO, "GDPR Art. 13(1)(e)", _lazy("a recipient is defined but no purpose uses it"))
def _unused_recipient(policy: Policy) -> Iterator[tuple[PathT, str]]:
    used = {r for purpose in policy.purposes.values() for r in purpose.recipients}
    for key in policy.recipients:
        if key not in used:
            yield (
                ("recipients", key),
                _("recipient '%(recipient)s' is defined but no purpose sends it data") % {"recipient": key},
            )


@rule("TD116", Severity.ERROR, "GDPR Art. 9, 10", _lazy("special-category data on an Art. 6 basis alone"))
def _special_categories(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        for index, category in enumerate(purpose.data_categories):
            if is_special_category(category):
                yield (
                    ("purposes", key, "data_categories", index),
                    _(
                        "purpose '%(purpose)s': '%(category)s' is special-category or criminal data (Art. 9, "
                        "10); this policy format cannot record the Art. 9(2) condition: do not process it, or "
                        "take legal advice"
                    )
                    % {"purpose": _name(key), "category": category},
                )


# --- Art. 13(2): how long, rights, consent, complaint, requirement, automated decisions --------


@rule("TD120", Severity.ERROR, "GDPR Art. 13(2)(a), 5(1)(e)", _lazy("a purpose without retention"))
def _retention(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        if purpose.retention is None:
            yield (
                ("purposes", key),
                _(
                    "purpose '%(purpose)s': no retention is set; give retention.period (for example P2Y), "
                    "retention.from (the event it runs from) and retention.action"
                )
                % {"purpose": _name(key)},
            )


@rule("TD121", Severity.ERROR, "GDPR Art. 13(2)(b), 12(2)", _lazy("no way to exercise rights is given"))
def _rights_contact(policy: Policy) -> Iterator[tuple[PathT, str]]:
    contact = policy.rights.contact
    if contact is None or (contact.email is None and contact.url is None and not contact.postal):
        yield (
            ("rights",),
            _(
                "the statement says nowhere how to exercise rights: give rights.contact (an e-mail address, "
                "a web address, or postal: true for the controller's address)"
            ),
        )


@rule("TD122", Severity.ERROR, "GDPR Art. 13(2)(c), 7(3)", _lazy("consent without withdrawal"))
def _withdrawal(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        withdrawal = purpose.consent.withdrawal if purpose.consent is not None else None
        if LegalBasis.CONSENT in purpose.legal_basis and withdrawal is None:
            yield (
                ("purposes", key, "legal_basis"),
                _(
                    "purpose '%(purpose)s': legal basis 'consent' needs consent.withdrawal: how a person "
                    "withdraws consent, as easily as they gave it"
                )
                % {"purpose": _name(key)},
            )


@rule("TD123", Severity.ERROR, "GDPR Art. 13(2)(d), 77", _lazy("no supervisory authority"))
def _authority(policy: Policy) -> Iterator[tuple[PathT, str]]:
    if policy.authority() is None:
        yield (
            ("controller", "country"),
            _(
                "there is no built-in supervisory authority for %(country)s: write it out under "
                "supervisory_authority (name, address, country)"
            )
            % {"country": policy.controller.country},
        )


@rule(
    "TD124", Severity.ERROR, "GDPR Art. 13(2)(e)", _lazy("the requirement to provide the data is not stated")
)
def _requirement(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        from_person = any(s.kind is SourceKind.DATA_SUBJECT for s in purpose.sources)
        if not from_person:
            continue
        if purpose.requirement is None:
            yield (
                ("purposes", key),
                _(
                    "purpose '%(purpose)s': say whether providing the data is statutory, contractual, "
                    "needed_for_contract or optional, under requirement"
                )
                % {"purpose": _name(key)},
            )
        elif purpose.requirement is not Requirement.OPTIONAL and purpose.consequence is None:
            message = {
                Requirement.STATUTORY: _(
                    "purpose '%(purpose)s': the data is statutory; say what happens when a person does not "
                    "provide it, under consequence"
                ),
                Requirement.CONTRACTUAL: _(
                    "purpose '%(purpose)s': the data is contractual; say what happens when a person does not "
                    "provide it, under consequence"
                ),
                Requirement.NEEDED_FOR_CONTRACT: _(
                    "purpose '%(purpose)s': the data is needed for contract; say what happens when a person "
                    "does not provide it, under consequence"
                ),
            }[purpose.requirement]
            yield ("purposes", key, "requirement"), message % {"purpose": _name(key)}


@rule("TD125", Severity.ERROR, "GDPR Art. 13(2)(f), 22", _lazy("profiling that is not declared"))
def _undeclared_profiling(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        if purpose.data_use in PROFILING_USES and purpose.profiling is None:
            yield (
                ("purposes", key, "data_use"),
                _(
                    "purpose '%(purpose)s': the data use '%(data_use)s' is profiling, but the purpose declares "
                    "none: describe it under profiling"
                )
                % {"purpose": _name(key), "data_use": purpose.data_use},
            )


@rule(
    "TD126",
    Severity.ERROR,
    "GDPR Art. 13(2)(f), 22",
    _lazy("an automated decision without its logic and significance"),
)
def _automated_decision(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        profiling = purpose.profiling
        if profiling is None or not profiling.automated_decision:
            continue
        if profiling.logic is None or profiling.significance is None:
            yield (
                ("purposes", key, "profiling"),
                _(
                    "purpose '%(purpose)s': an automated decision needs profiling.logic (the logic involved) "
                    "and profiling.significance (its consequences for the person)"
                )
                % {"purpose": _name(key)},
            )


@lru_cache(maxsize=64)
def _overrun(duration: Duration, months: int) -> tuple[dt.datetime, dt.datetime, dt.datetime] | None:
    """A moment of receipt for which ``duration`` ends later than ``months`` calendar months, or None.

    Months are calendar months (31 August + one month is 30 September), so P30D is not "one month":
    it is longer for a request received at the end of January. Two years hold every month length
    and 29 February. The answer depends on the two arguments alone, so it is kept: each check of a
    policy asked it again of the same durations, 731 days each time.
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
    from django.utils.dates import MONTHS

    text = f"{moment.day} {MONTHS[moment.month]}"
    return text if moment.time() == dt.time() else f"{text} {moment:%H:%M}"


@rule("TD127", Severity.ERROR, "GDPR Art. 12(3)", _lazy("the answer deadline is longer than the GDPR allows"))
def _deadline(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for name, months, limit in (
        ("answer_within", 1, _lazy("requests must be answered within one month (Art. 12(3))")),
        ("extension_max", 2, _lazy("an extension is at most two further months (Art. 12(3))")),
    ):
        duration: Duration = getattr(policy.rights, name)
        overrun = _overrun(duration, months)
        if overrun is not None:
            received, end, latest = overrun
            yield (
                ("rights", name),
                _(
                    "%(limit)s; %(duration)s is longer: counted from %(received)s, it ends on %(end)s "
                    "instead of %(latest)s"
                )
                % {
                    "limit": limit,
                    "duration": duration,
                    "received": _day(received),
                    "end": _day(end),
                    "latest": _day(latest),
                },
            )


@rule("TD128", Severity.WARNING, "GDPR Art. 21(2), 21(4)", _lazy("direct marketing without a way to object"))
def _direct_marketing(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        marketing = purpose.data_use.startswith("marketing")
        if marketing and LegalBasis.LEGITIMATE_INTERESTS in purpose.legal_basis and purpose.objection is None:
            yield (
                ("purposes", key, "data_use"),
                _(
                    "purpose '%(purpose)s': direct marketing on legitimate interest must offer an easy "
                    "objection in every message; describe it under objection"
                )
                % {"purpose": _name(key)},
            )


@rule(
    "TD129",
    Severity.INFO,
    "GDPR Art. 21(1), 13(2)(b)",
    _lazy("a purpose on legitimate interest says not how to object"),
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
                _(
                    "purpose '%(purpose)s': a person may object to this purpose; the statement gives the "
                    "general way to exercise rights, and objection can say how to object to this purpose in "
                    "particular"
                )
                % {"purpose": _name(key)},
            )


# --- Art. 14: data not obtained from the person ---------------------------------------------


@rule("TD130", Severity.ERROR, "GDPR Art. 14(1)(d)", _lazy("data from another source without its categories"))
def _source_categories(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        for index, source in enumerate(purpose.sources):
            if source.kind in (SourceKind.THIRD_PARTY, SourceKind.PUBLIC) and not source.data_categories:
                yield (
                    ("purposes", key, "sources", index),
                    _(
                        "purpose '%(purpose)s': source #%(number)s is not the person; list which data "
                        "categories come from it, under data_categories"
                    )
                    % {"purpose": _name(key), "number": index + 1},
                )


@rule(
    "TD131",
    Severity.WARNING,
    "GDPR Art. 13(2)(e)",
    _lazy("a requirement on data the person does not provide"),
)
def _observed_requirement(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for key, purpose in policy.purposes.items():
        if not purpose.sources or any(s.kind is not SourceKind.OBSERVED for s in purpose.sources):
            continue
        fields = [f for f in ("requirement", "consequence", "required_categories") if getattr(purpose, f)]
        if fields:
            yield (
                ("purposes", key, fields[0]),
                ngettext(
                    "purpose '%(purpose)s': all its data is recorded while the person uses the services "
                    "(observed), so nobody provides it; %(fields)s do not apply and the statement leaves them out",
                    "purpose '%(purpose)s': all its data is recorded while the person uses the services "
                    "(observed), so nobody provides it; %(fields)s do not apply and the statement leaves them out",
                    len(fields),
                )
                % {"purpose": _name(key), "fields": _and(fields)},
            )


# --- consistency ------------------------------------------------------------------------------


@rule("TD140", Severity.WARNING, "GDPR Art. 5(1)(c), 30", _lazy("a declared category no purpose uses"))
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
                _("the data category '%(category)s' is declared but no purpose uses it") % {"category": key},
            )


@rule(
    "TD141",
    Severity.ERROR,
    "GDPR Art. 5(1)(c)",
    _lazy("a purpose collects a category the policy says is never collected"),
)
def _never_collected(policy: Policy) -> Iterator[tuple[PathT, str]]:
    never = set(policy.never_collected)
    for key, purpose in policy.purposes.items():
        for index, category in enumerate(purpose.data_categories):
            if category in never or any(category.startswith(n + ".") for n in never):
                yield (
                    ("purposes", key, "data_categories", index),
                    _(
                        "purpose '%(purpose)s': collects '%(category)s', which never_collected promises is "
                        "never collected"
                    )
                    % {"purpose": _name(key), "category": category},
                )


@rule(
    "TD142",
    Severity.ERROR,
    "GDPR Art. 12(1)",
    _lazy("a text is missing in a language the statement is published in"),
)
def _languages(policy: Policy) -> Iterator[tuple[PathT, str]]:
    wanted = set(policy.languages)
    for path, text in _texts(policy, ()):
        missing = sorted(wanted - text.languages())
        if missing:
            yield (
                path,
                ngettext(
                    "%(where)s has no text in %(languages)s, which the statement is published in",
                    "%(where)s has no text in %(languages)s, which the statement is published in",
                    len(missing),
                )
                % {"where": _where(path), "languages": ", ".join(missing)},
            )


@rule(
    "TD143",
    Severity.ERROR,
    "ePrivacy Art. 5(3); GDPR Art. 13(1)(c)",
    _lazy("a cookie refers to an unknown purpose"),
)
def _cookie_purpose(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for index, cookie in enumerate(policy.cookies):
        if cookie.purpose != "strictly_necessary" and cookie.purpose not in policy.purposes:
            yield (
                ("cookies", index, "purpose"),
                _("cookie '%(cookie)s': purpose '%(purpose)s' is not defined")
                % {"cookie": cookie.name, "purpose": cookie.purpose},
            )


@rule(
    "TD144", Severity.WARNING, "ePrivacy Art. 5(3); GDPR Art. 5(1)(c)", _lazy("a cookie holds personal data")
)
def _cookie_personal(policy: Policy) -> Iterator[tuple[PathT, str]]:
    for index, cookie in enumerate(policy.cookies):
        if cookie.personal_data:
            yield (
                ("cookies", index, "personal_data"),
                _(
                    "cookie '%(cookie)s' holds personal data; keep identifiers on the server and only a "
                    "random reference in the cookie"
                )
                % {"cookie": cookie.name},
            )


@rule(
    "TD150", Severity.ERROR, "GDPR Art. 5(1)(c), 25", _lazy("raw IP addresses kept without a stated reason")
)
def _raw_ip(policy: Policy) -> Iterator[tuple[PathT, str]]:
    logs = policy.web_logs
    if logs is not None and logs.ip_storage == "raw" and logs.raw_reason is None:
        yield (
            ("web_logs", "ip_storage"),
            _(
                "web logs keep visitors' IP addresses as they are, without a reason: choose hmac, aes_siv or "
                "truncate, or state why under raw_reason"
            ),
        )


@rule("TD151", Severity.WARNING, "GDPR Art. 25, 32(1)(a)", _lazy("raw IP addresses kept"))
def _raw_ip_reasoned(policy: Policy) -> Iterator[tuple[PathT, str]]:
    logs = policy.web_logs
    if logs is not None and logs.ip_storage == "raw" and logs.raw_reason is not None:
        yield (
            ("web_logs", "ip_storage"),
            _(
                "web logs keep visitors' IP addresses as they are; a keyed pseudonym (hmac, or aes_siv where "
                "investigators must recover addresses) serves the same investigations with less risk"
            ),
        )


@rule("TD152", Severity.ERROR, "GDPR Art. 5(1)(b)", _lazy("web logs refer to an unknown purpose"))
def _web_logs_purpose(policy: Policy) -> Iterator[tuple[PathT, str]]:
    logs = policy.web_logs
    if logs is not None and logs.purpose not in policy.purposes:
        yield (
            ("web_logs", "purpose"),
            _("web logs: purpose '%(purpose)s' is not defined") % {"purpose": logs.purpose},
        )


@rule(
    "TD155", Severity.WARNING, "GDPR Art. 33(2)", _lazy("breach duties towards customers that cannot apply")
)
def _customer_breach_duties(policy: Policy) -> Iterator[tuple[PathT, str]]:
    content = policy.customer_content
    breaches = policy.breaches
    if breaches.notify_customers and (content is None or content.role == "controller"):
        yield (
            ("breaches", "notify_customers"),
            _(
                "notify_customers promises to tell customers of breaches of the data they store with you, but "
                "customer_content does not say you hold such data for them (role processor or neither)"
            ),
        )
    if breaches.evidence_for_customers and not breaches.notify_customers:
        yield (
            ("breaches", "evidence_for_customers"),
            _(
                "evidence_for_customers needs notify_customers: customers hear of the breach before they get "
                "its evidence"
            ),
        )


@rule("TD160", Severity.WARNING, "GDPR Art. 32(1)", _lazy("two-factor authentication is optional for staff"))
def _staff_two_factor(policy: Policy) -> Iterator[tuple[PathT, str]]:
    if policy.security.two_factor.staff != "required":
        yield (
            ("security", "two_factor", "staff"),
            _("staff can sign in without a second factor; staff see every customer's data, so require it"),
        )


@rule("TD161", Severity.WARNING, "GDPR Art. 30(1)(g), 32(1)", _lazy("no security measures are described"))
def _measures(policy: Policy) -> Iterator[tuple[PathT, str]]:
    if not policy.security.measures:
        yield ("security",), _("no security measures are described; list them under security.measures")


@rule(
    "TD153",
    Severity.ERROR,
    "GDPR Art. 33(2)",
    _lazy("a processor that does not tell its customers of a breach"),
)
def _processor_breach(policy: Policy) -> Iterator[tuple[PathT, str]]:
    content = policy.customer_content
    if content is not None and content.role == "processor" and not policy.breaches.notify_customers:
        yield (
            ("customer_content", "role"),
            _(
                "as a processor of your customers' data you must tell them of a breach without undue delay: "
                "set breaches.notify_customers: true"
            ),
        )


@rule(
    "TD154",
    Severity.ERROR,
    "GDPR Art. 33(1)",
    _lazy("breaches are not reported to the supervisory authority"),
)
def _authority_breach(policy: Policy) -> Iterator[tuple[PathT, str]]:
    if not policy.breaches.notify_authority:
        yield (
            ("breaches", "notify_authority"),
            _(
                "a controller must report a personal data breach to the supervisory authority within 72 hours, "
                "unless it is unlikely to result in a risk: set notify_authority: true"
            ),
        )


@rule("TD162", Severity.WARNING, "GDPR Art. 17, 5(1)(e)", _lazy("backups are kept without a stated period"))
def _backup_retention(policy: Policy) -> Iterator[tuple[PathT, str]]:
    backups = policy.security.backups
    if backups is not None and backups.retention is None:
        yield (
            ("security", "backups"),
            _(
                "backups keep deleted data until they are themselves deleted; say how long under "
                "backups.retention, so that erasure has a known end"
            ),
        )


@rule(
    "TD170", Severity.ERROR, "Acceptable use policy", _lazy("an abuse category refers to an unknown sanction")
)
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
                        _(
                            "abuse category '%(category)s': sanction '%(sanction)s' is not defined under "
                            "acceptable_use.sanctions"
                        )
                        % {"category": key, "sanction": sanction},
                    )


@rule("TD171", Severity.WARNING, "Acceptable use policy", _lazy("an abuse category leads to no sanction"))
def _no_sanction(policy: Policy) -> Iterator[tuple[PathT, str]]:
    aup = policy.acceptable_use
    if aup is None:
        return
    for key, category in aup.categories.items():
        if not category.sanctions and not category.immediate:
            yield (
                ("acceptable_use", "categories", key),
                _("abuse category '%(category)s' leads to no sanction") % {"category": key},
            )


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
