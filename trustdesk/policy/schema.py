"""The policy file's schema: pydantic models, strict about unknown keys.

Structure and types are checked here; cross-references (taxonomy keys, which
are load errors) are checked by :mod:`trustdesk.policy.loader`, and GDPR
completeness and consistency (findings with rule codes) by
:mod:`trustdesk.policy.lint`. Every mapping key a privacy officer writes is a
field here; none is ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from trustdesk.lib.durations import Duration, DurationError
from trustdesk.policy.countries import ISO_COUNTRIES

#: Languages the statement can be written in; each has its own hand-written templates.
STATEMENT_LANGUAGES = ("en", "nl")
FORMAT_VERSION = 1

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_key(value: str) -> bool:
    """Whether the text is written as the policy's keys are (``newsletter``, ``domain_registry``)."""
    return _KEY.match(value) is not None


def _key(value: str) -> str:
    if not is_key(value):
        raise ValueError(
            f"{value[:40]!r} is not a valid key: use lower-case letters, digits and underscores, "
            "starting with a letter (for example 'newsletter' or 'domain_registry')"
        )
    return value


def _country(value: str) -> str:
    if value not in ISO_COUNTRIES:
        raise ValueError(
            f"{value[:20]!r} is not an ISO 3166 country code: use two capital letters, such as BE, NL or GB"
        )
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value[:60]!r} is not an e-mail address")
    return value


def _duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if not isinstance(value, str):
        raise ValueError("a duration is written as ISO-8601 text, for example P2Y or PT30M")
    try:
        return Duration.parse(value)
    except DurationError as exc:
        raise ValueError(str(exc)) from None


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Key = Annotated[str, AfterValidator(_key)]
Country = Annotated[str, AfterValidator(_country)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)]
DurationField = Annotated[
    Duration,
    BeforeValidator(_duration),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$",
            "description": "An ISO-8601 duration: P7Y, P6M, P30D, PT30M",
        }
    ),
]
TaxonomyKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=120)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class LocalText(RootModel[dict[str, Text]]):
    """A text per language: ``{en: "...", nl: "..."}``."""

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _mapping(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError("needs a text per language, for example {en: ..., nl: ...}")
        if isinstance(value, dict):
            for lang in value:
                if not isinstance(lang, str) or not re.match(r"^[a-z]{2}$", lang):
                    raise ValueError(f"{str(lang)[:20]!r} is not a two-letter language code such as en or nl")
        return value

    def get(self, lang: str) -> str:
        return self.root.get(lang) or next(iter(self.root.values()), "")

    def languages(self) -> set[str]:
        return set(self.root)


class LegalBasis(StrEnum):
    """GDPR Art. 6(1) a-f."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"

    @property
    def letter(self) -> str:
        return "abcdef"[list(LegalBasis).index(self)]

    @property
    def article(self) -> str:
        return f"Art. 6(1)({self.letter})"


class StartEvent(StrEnum):
    """The event from which a retention period runs."""

    COLLECTION = "collection"
    LAST_ACTIVITY = "last_activity"
    END_OF_CONTRACT = "end_of_contract"
    END_OF_SERVICE = "end_of_service"
    END_OF_FISCAL_YEAR = "end_of_fiscal_year_of_invoice"
    CERTIFICATE_EXPIRY = "certificate_expiry"
    CONSENT_WITHDRAWAL = "consent_withdrawal"
    CASE_CLOSED = "case_closed"


class RetentionAction(StrEnum):
    DELETE = "delete"
    ANONYMISE = "anonymise"
    PSEUDONYMISE = "pseudonymise"


class Requirement(StrEnum):
    """GDPR Art. 13(2)(e): why the person provides the data."""

    STATUTORY = "statutory"
    CONTRACTUAL = "contractual"
    NEEDED_FOR_CONTRACT = "needed_for_contract"
    OPTIONAL = "optional"


class SourceKind(StrEnum):
    DATA_SUBJECT = "data_subject"
    ORGANISATION = "organisation"
    THIRD_PARTY = "third_party"
    PUBLIC = "public"
    #: Recorded about the person while they use the services (logs): nothing they "provide".
    OBSERVED = "observed"


Channel = Literal["website", "portal", "email", "phone", "fax", "letter", "in_person", "api", "import"]


class RecipientRole(StrEnum):
    PROCESSOR = "processor"
    SUB_PROCESSOR = "sub_processor"
    CONTROLLER = "controller"
    JOINT_CONTROLLER = "joint_controller"
    REGISTRY = "registry"
    PUBLIC_AUTHORITY = "public_authority"


class Safeguard(StrEnum):
    """GDPR Chapter V: the ground of a transfer outside the EEA."""

    ADEQUACY = "adequacy"
    STANDARD_CONTRACTUAL_CLAUSES = "standard_contractual_clauses"
    BINDING_CORPORATE_RULES = "binding_corporate_rules"
    DEROGATION = "derogation"


class IpStorage(StrEnum):
    HMAC = "hmac"
    AES_SIV = "aes_siv"
    TRUNCATE = "truncate"
    RAW = "raw"


# --- the controller ---------------------------------------------------------------------------


class Dpo(Strict):
    name: ShortText | None = None
    email: Email
    phone: ShortText | None = None


class Representative(Strict):
    name: ShortText
    address: Text
    country: Country
    email: Email


class Controller(Strict):
    legal_name: ShortText
    trade_name: ShortText | None = None
    company_number: ShortText | None = None
    address: Text
    country: Country
    email: Email
    phone: ShortText | None = None
    website: ShortText | None = None
    dpo: Dpo | None = None
    eu_representative: Representative | None = None


class Authority(Strict):
    name: LocalText
    address: Text
    country: Country
    email: Email | None = None
    phone: ShortText | None = None
    website: ShortText | None = None


# --- the statement ----------------------------------------------------------------------------


class Statement(Strict):
    title: LocalText | None = None
    introduction: LocalText | None = None
    scope: LocalText | None = None
    #: How changes are announced (P3.14); the date of each version is added by publication.
    changes: LocalText | None = None


# --- taxonomy ---------------------------------------------------------------------------------


class CustomKey(Strict):
    #: The fideslang (or own) key this one refines; data subjects are flat and need none.
    parent: TaxonomyKey | None = None
    name: LocalText
    description: LocalText | None = None


class CustomTaxonomy(Strict):
    data_categories: dict[TaxonomyKey, CustomKey] = Field(default_factory=dict)
    data_uses: dict[TaxonomyKey, CustomKey] = Field(default_factory=dict)
    data_subjects: dict[Key, CustomKey] = Field(default_factory=dict)


# --- purposes ---------------------------------------------------------------------------------


class Retention(Strict):
    period: DurationField
    from_: StartEvent = Field(alias="from")
    action: RetentionAction = RetentionAction.DELETE
    #: The law that sets the period, where one does (accounting, tax).
    legal_reason: LocalText | None = None


class Source(Strict):
    kind: SourceKind
    name: LocalText | None = None
    #: For data not obtained from the person (Art. 14(1)(d)): which categories come from here.
    data_categories: list[TaxonomyKey] = Field(default_factory=list)
    #: Through which channels the data arrives (P0.1: website, e-mail, phone, fax).
    channels: list[Channel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _named(self) -> Source:
        if self.kind in (SourceKind.THIRD_PARTY, SourceKind.PUBLIC) and self.name is None:
            raise ValueError(f"a source of kind '{self.kind.value}' needs a name (Art. 14(2)(f))")
        return self


class Consent(Strict):
    #: How the person withdraws consent (Art. 7(3), 13(2)(c)): at least as easy as giving it.
    withdrawal: LocalText | None = None
    #: The text the person agrees to, shown where consent is asked.
    text: LocalText | None = None


class Profiling(Strict):
    description: LocalText
    #: A decision based solely on automated processing with legal or similarly significant effect (Art. 22).
    automated_decision: bool = False
    logic: LocalText | None = None
    significance: LocalText | None = None


def _format_number(value: Any) -> Any:
    if isinstance(value, bool):  # YAML's true is not the number 1
        raise ValueError(
            f"format is {str(value).lower()}; this version of Trustdesk reads format {FORMAT_VERSION}"
        )
    return value


def _unique_languages(value: list[str]) -> list[str]:
    twice = sorted({lang for lang in value if value.count(lang) > 1})
    if twice:
        raise ValueError(f"{', '.join(repr(lang) for lang in twice)} is listed twice")
    return value


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


#: The data subjects (fideslang) that are the provider's own staff.
STAFF_SUBJECTS = frozenset({"employee"})


class Purpose(Strict):
    name: LocalText
    description: LocalText | None = None
    data_use: TaxonomyKey
    legal_basis: Annotated[
        list[LegalBasis],
        BeforeValidator(_one_or_many),
        Field(min_length=1, max_length=6),
        WithJsonSchema(
            {
                "anyOf": [
                    {"enum": [b.value for b in LegalBasis]},
                    {"type": "array", "items": {"enum": [b.value for b in LegalBasis]}, "minItems": 1},
                ],
                "description": "GDPR Art. 6(1) a-f: one basis, or a list",
            }
        ),
    ]
    legitimate_interest: LocalText | None = None
    consent: Consent | None = None
    data_subjects: Annotated[list[Key], Field(min_length=1)]
    data_categories: Annotated[list[TaxonomyKey], Field(min_length=1)]
    #: The categories a person must provide for this purpose; intake refuses a record without them (P2.3).
    required_categories: list[TaxonomyKey] = Field(default_factory=list)
    requirement: Requirement | None = None
    consequence: LocalText | None = None
    sources: list[Source] = Field(default_factory=lambda: [Source(kind=SourceKind.DATA_SUBJECT)])
    recipients: list[Key] = Field(default_factory=list)
    retention: Retention | None = None
    profiling: Profiling | None = None
    #: How a person objects (Art. 21), for purposes on legitimate interest or public task.
    objection: LocalText | None = None
    #: 'anonymous' when the purpose produces only anonymous results, such as statistics (P0.4).
    output: Literal["personal", "anonymous"] = "personal"

    @property
    def staff_only(self) -> bool:
        """Whether the purpose is about the provider's own staff alone (every data subject is one of
        :data:`STAFF_SUBJECTS`). It concerns no person of the registry: a staff account belongs to no
        registry person (``accounts.Profile``), so a customer's data is never held for it."""
        return all(subject in STAFF_SUBJECTS for subject in self.data_subjects)


# --- recipients -------------------------------------------------------------------------------


class Agreement(Strict):
    date: dt.date
    reference: ShortText


class Transfer(Strict):
    safeguard: Safeguard
    details: LocalText | None = None


class Recipient(Strict):
    #: One name, or a name per language for a recipient described by its kind.
    name: ShortText | LocalText
    role: RecipientRole
    country: Country
    description: LocalText
    agreement: Agreement | None = None
    transfer: Transfer | None = None
    #: Where the recipient makes the data public (a domain registry's WHOIS, P0.5).
    public_disclosure: LocalText | None = None
    #: The event on which the provider asks the recipient to delete the data, and follows up
    #: until it confirms (P4.2: no more domains, the registrar deletes the registrant's data).
    erasure_request: StartEvent | None = None

    def display_name(self, lang: str) -> str:
        return self.name if isinstance(self.name, str) else self.name.get(lang)


# --- security, rights, cookies, logs, customer content -----------------------------------------


class Lockout(Strict):
    attempts: Annotated[int, Field(strict=True, ge=1, le=100)]
    duration: DurationField


class TwoFactor(Strict):
    staff: Literal["required", "optional"]
    customers: Literal["required", "optional", "unavailable"]


class Backups(Strict):
    frequency: Literal["hourly", "daily", "weekly"]
    encrypted: bool
    #: At how many separate places copies are kept (P2.14: several remote locations).
    locations: Annotated[int, Field(strict=True, ge=1, le=100)] = 1
    #: How long a backup is kept: deleted data is gone from every copy after this period.
    retention: DurationField | None = None


class Security(Strict):
    lockout: Lockout
    two_factor: TwoFactor
    measures: list[LocalText] = Field(default_factory=list)
    backups: Backups | None = None


class Breaches(Strict):
    """What happens after a personal data breach (Art. 33, 34; P3.9, P4.5)."""

    #: The supervisory authority is told within 72 hours unless the breach is unlikely to be a risk.
    notify_authority: bool = True
    #: People are told where the law requires it (high risk, Art. 34), or always.
    notify_people: Literal["where_required", "always"] = "where_required"
    #: Customers are told of a breach in the provider's systems that touches their data (Art. 33(2)).
    notify_customers: bool = False
    #: Customers get the evidence they need to report their own breach (P4.5).
    evidence_for_customers: bool = False


class Support(Strict):
    """Support chat and tickets (P2.8)."""

    #: Personal data typed into a ticket or chat is flagged before it is stored.
    flag_personal_data: bool = False
    notice: LocalText | None = None


class Identity(Strict):
    #: A request from the customer portal: a signed-in session, or a session with two-factor.
    signed_in: Literal["session", "two_factor"] = "two_factor"
    #: A public request: confirmed by a link sent to an address already on record.
    public: Literal["email_link"] = "email_link"
    #: An identity document, where one is asked for, is checked and never stored.
    id_document: Literal["never", "check_and_discard"] = "never"


class RightsContact(Strict):
    email: Email | None = None
    url: ShortText | None = None
    postal: bool = False


class Rights(Strict):
    answer_within: DurationField = Field(default_factory=lambda: Duration(months=1))
    extension_max: DurationField = Field(default_factory=lambda: Duration(months=2))
    contact: RightsContact | None = None
    identity: Identity = Field(default_factory=Identity)
    #: Complaints and disputes are resolved within this many business days (P2.12).
    complaint_business_days: Annotated[int, Field(strict=True, ge=1, le=365)] | None = None
    #: The person is invited to contact the provider before complaining to the authority (P4.7).
    invite_contact_first: bool = False
    #: How long a download prepared for an access or portability request stays available.
    download_expiry: DurationField = Field(default_factory=lambda: Duration(days=7))


class Cookie(Strict):
    name: ShortText
    purpose: Key | Literal["strictly_necessary"]
    description: LocalText
    #: An ISO-8601 duration, or 'session' for a cookie that ends with the browser session.
    expiry: DurationField | Literal["session"]
    personal_data: bool = False


class WebLogs(Strict):
    purpose: Key
    retention: DurationField
    fields: list[Literal["domain", "path", "user_agent", "ip_address", "referrer", "status", "bytes"]]
    ip_storage: IpStorage
    #: Why addresses are kept as they are, where ip_storage is 'raw'.
    raw_reason: LocalText | None = None


class CustomerContent(Strict):
    #: The provider's role for data customers store in their own services (P2.15).
    role: Literal["processor", "controller", "neither"]
    #: Content is looked at only on the customer's recorded instruction, or also to contain a breach.
    inspection: Literal["on_instruction", "on_instruction_or_breach"] = "on_instruction"
    virus_scanning: bool = False
    processor_agreement: Literal["on_request", "in_contract", "not_offered"] = "not_offered"


# --- acceptable use ---------------------------------------------------------------------------


class Sanction(Strict):
    name: LocalText


class AbuseCategory(Strict):
    name: LocalText
    description: LocalText
    #: What the customer is liable for (P1.5: costs of a blacklisting of the provider's addresses).
    liability: LocalText | None = None
    sanctions: list[Key] = Field(default_factory=list)
    #: Sanctions applied at once, before assessment (illegal software: suspend and notify, P1.4).
    immediate: list[Key] = Field(default_factory=list)
    #: Allowed with the provider's prior written consent, recorded per customer (P1.7).
    allowed_with_written_consent: bool = False
    #: What the customer is offered before a sanction (P1.6).
    remedies: list[LocalText] = Field(default_factory=list)


ReportDetail = Literal["domain", "email", "website", "ip_address", "description", "evidence"]
_REPORT_DETAILS: tuple[ReportDetail, ...] = ("domain", "email", "website", "ip_address", "description")


class AbuseReporting(Strict):
    email: Email
    form: bool = True
    #: What a report should hold (P1.2).
    details: list[ReportDetail] = Field(default_factory=lambda: list(_REPORT_DETAILS))


class AcceptableUse(Strict):
    #: The aim of the policy and whom it binds (customers, their staff and agents, their users).
    introduction: LocalText | None = None
    reporting: AbuseReporting
    sanctions: dict[Key, Sanction]
    categories: dict[Key, AbuseCategory]


# --- the whole policy -------------------------------------------------------------------------


class Policy(Strict):
    format: Annotated[Literal[1], BeforeValidator(_format_number)] = Field(
        description="The version of the policy file format."
    )
    controller: Controller
    supervisory_authority: Country | Authority | None = None
    languages: Annotated[list[Literal["en", "nl"]], Field(min_length=1), AfterValidator(_unique_languages)]
    statement: Statement = Field(default_factory=Statement)
    taxonomy: CustomTaxonomy = Field(default_factory=CustomTaxonomy)
    #: Categories the provider promises never to collect (card numbers: P0.8).
    never_collected: list[TaxonomyKey] = Field(default_factory=list)
    purposes: Annotated[dict[Key, Purpose], Field(min_length=1)]
    recipients: dict[Key, Recipient] = Field(default_factory=dict)
    security: Security
    rights: Rights = Field(default_factory=Rights)
    cookies: list[Cookie] = Field(default_factory=list)
    web_logs: WebLogs | None = None
    customer_content: CustomerContent | None = None
    breaches: Breaches = Field(default_factory=Breaches)
    support: Support | None = None
    acceptable_use: AcceptableUse | None = None

    def not_passed_to(self, recipient: str, categories: list[str]) -> list[str]:
        """The categories no purpose naming the recipient covers: what it may not be given (P0.5, P2.7)."""
        from trustdesk.lib.datamap import covers

        allowed = [
            category
            for purpose in self.purposes.values()
            if recipient in purpose.recipients
            for category in (*purpose.data_categories, *purpose.required_categories)
        ]
        return sorted({c for c in categories if not any(covers(broad, c) for broad in allowed)})

    def registry_purposes(self) -> dict[str, Purpose]:
        """The purposes that can concern a person of the registry: all but those for staff alone
        (:attr:`Purpose.staff_only`)."""
        return {key: purpose for key, purpose in self.purposes.items() if not purpose.staff_only}

    def legal_hold(self, event: str) -> tuple[str, Purpose] | None:
        """The purpose on legal_obligation whose retention runs from ``event``: it keeps held values.

        With several, the longest period wins: a value is kept as long as any legal obligation needs it.
        """
        candidates = [
            (key, purpose)
            for key, purpose in self.purposes.items()
            if LegalBasis.LEGAL_OBLIGATION in purpose.legal_basis
            and purpose.retention is not None
            and purpose.retention.from_.value == event
        ]
        if not candidates:
            return None
        return max(
            candidates,
            key=lambda item: item[1].retention.period.upper_bound() if item[1].retention else dt.timedelta(),
        )

    def authority(self) -> Authority | None:
        from trustdesk.policy.authorities import BUILTIN_AUTHORITIES

        chosen = self.supervisory_authority
        if isinstance(chosen, Authority):
            return chosen
        code = chosen or self.controller.country
        builtin = BUILTIN_AUTHORITIES.get(code)
        return Authority.model_validate(builtin) if builtin is not None else None


def json_schema() -> dict[str, Any]:
    """The policy file's JSON Schema, for editors that check YAML as it is typed."""
    schema = Policy.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Trustdesk policy file"
    return schema
