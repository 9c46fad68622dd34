"""``trustdesk policy lint``: every rule fires on a small change of a clean policy, and only then."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from trustdesk.policy.datamap_check import CHECKS
from trustdesk.policy.lint import RULES, Finding, Severity, cite, has_errors, lint, rule
from trustdesk.policy.loader import LoadedPolicy, load_text

DOCS = Path(__file__).resolve().parents[2] / "docs" / "lint.md"

#: A complete policy that passes every rule: two languages, processors with agreements, a transfer
#: outside the EEA on standard contractual clauses, one to an adequacy country, a registry in the EEA,
#: consent with withdrawal, legitimate interests with the interest, a source that is not the person,
#: cookies, web logs, customer content and an acceptable use policy.
CLEAN = """\
format: 1
controller:
  legal_name: Hostwerk Test BV
  trade_name: Hostwerk
  company_number: BE 0123.456.789
  address: "Stationsstraat 1\\n9000 Gent"
  country: BE
  email: privacy@hostwerk.example
  phone: "+32 9 123 45 67"
  website: https://hostwerk.example
  dpo:
    name: Anna Peeters
    email: dpo@hostwerk.example
languages: [en, nl]
statement:
  title: {en: Privacy statement, nl: Privacyverklaring}
  introduction:
    en: This statement explains how Hostwerk handles personal data.
    nl: Deze verklaring legt uit hoe Hostwerk met persoonsgegevens omgaat.
  changes:
    en: We announce every change on this website before it takes effect.
    nl: Elke wijziging kondigen we vooraf aan op deze website.
taxonomy:
  data_categories:
    user.account.customer_number:
      parent: user.account
      name: {en: Customer number, nl: Klantnummer}
never_collected: [user.financial.credit_card]
purposes:
  hosting:
    name: {en: Hosting services, nl: Hostingdiensten}
    data_use: essential.service
    legal_basis: contract
    data_subjects: [customer]
    data_categories: [user.name, user.contact.email, user.account.customer_number]
    requirement: needed_for_contract
    consequence:
      en: Without these details we cannot provide the service.
      nl: Zonder deze gegevens kunnen we de dienst niet leveren.
    recipients: [mail_provider, backup_provider]
    retention: {period: P2Y, from: end_of_contract, action: delete}
  invoicing:
    name: {en: Invoicing, nl: Facturatie}
    data_use: essential.service.payment_processing
    legal_basis: legal_obligation
    data_subjects: [customer]
    data_categories: [user.name, user.contact.address, user.financial.bank_account]
    requirement: statutory
    consequence:
      en: Without these details we cannot invoice you.
      nl: Zonder deze gegevens kunnen we niet factureren.
    retention:
      period: P7Y
      from: end_of_fiscal_year_of_invoice
      action: delete
      legal_reason: {en: Belgian accounting law, nl: Belgisch boekhoudrecht}
  domains:
    name: {en: Domain registration, nl: Domeinregistratie}
    data_use: essential.service.operations
    legal_basis: contract
    data_subjects: [customer]
    data_categories: [user.name, user.contact.email, user.contact.address]
    requirement: contractual
    consequence:
      en: Without these details the registry does not register the domain name.
      nl: Zonder deze gegevens registreert het register de domeinnaam niet.
    recipients: [dns_registry]
    retention: {period: P1Y, from: end_of_service, action: delete}
  newsletter:
    name: {en: Newsletter, nl: Nieuwsbrief}
    data_use: marketing.communications.email
    legal_basis: consent
    consent:
      withdrawal:
        en: Use the unsubscribe link in every newsletter.
        nl: Gebruik de afmeldlink in elke nieuwsbrief.
    data_subjects: [customer, prospect]
    data_categories: [user.contact.email]
    requirement: optional
    recipients: [mailer_us]
    retention: {period: P1M, from: consent_withdrawal, action: delete}
  security:
    name: {en: Security of our services, nl: Beveiliging van onze diensten}
    data_use: essential.service.security
    legal_basis: legitimate_interests
    legitimate_interest:
      en: Keeping our servers and our customers' sites safe from attacks.
      nl: Onze servers en de sites van onze klanten beschermen tegen aanvallen.
    objection:
      en: Write to privacy@hostwerk.example; we stop unless our need to protect the network outweighs yours.
      nl: Schrijf naar privacy@hostwerk.example; we stoppen tenzij de bescherming van het netwerk zwaarder weegt.
    data_subjects: [visitor, customer]
    data_categories: [user.device.ip_address]
    requirement: needed_for_contract
    consequence:
      en: Without the address of your device we cannot send you the page.
      nl: Zonder het adres van uw apparaat kunnen we de pagina niet sturen.
    retention: {period: P14D, from: collection, action: delete}
  abuse:
    name: {en: Handling abuse reports, nl: Behandeling van misbruikmeldingen}
    data_use: essential.service.operations.support
    legal_basis: legitimate_interests
    legitimate_interest:
      en: Stopping abuse of our network.
      nl: Misbruik van ons netwerk stoppen.
    objection: {en: Write to abuse@hostwerk.example., nl: Schrijf naar abuse@hostwerk.example.}
    data_subjects: [customer]
    data_categories: [user.name, user.contact.email]
    sources:
      - kind: third_party
        name: {en: The person who reports the abuse, nl: De persoon die het misbruik meldt}
        data_categories: [user.contact.email]
    retention: {period: P1Y, from: case_closed, action: pseudonymise}
recipients:
  mail_provider:
    name: Mailhuis BV
    role: processor
    country: NL
    description: {en: Delivers our e-mail, nl: Bezorgt onze e-mail}
    agreement: {date: 2024-01-15, reference: DPA-2024-01}
  backup_provider:
    name: Alpenback AG
    role: sub_processor
    country: CH
    description: {en: Keeps our backups, nl: Bewaart onze back-ups}
    agreement: {date: 2024-02-01, reference: DPA-2024-02}
    transfer: {safeguard: adequacy}
  mailer_us:
    name: Newsletter Inc.
    role: processor
    country: US
    description: {en: Sends our newsletter, nl: Verstuurt onze nieuwsbrief}
    agreement: {date: 2024-03-01, reference: DPA-2024-03}
    transfer:
      safeguard: standard_contractual_clauses
      details: {en: The 2021 standard contractual clauses, nl: De standaardcontractbepalingen van 2021}
  dns_registry:
    name: DNS Belgium
    role: registry
    country: BE
    description: {en: Registers .be domain names, nl: Registreert .be-domeinnamen}
    public_disclosure: {en: The registry publishes the holder, nl: Het register publiceert de houder}
security:
  lockout: {attempts: 5, duration: PT30M}
  two_factor: {staff: required, customers: optional}
  measures:
    - {en: Encrypted connections, nl: Versleutelde verbindingen}
rights:
  answer_within: P1M
  extension_max: P2M
  contact: {email: privacy@hostwerk.example}
  complaint_business_days: 10
cookies:
  - name: sessionid
    purpose: strictly_necessary
    description: {en: Keeps you signed in, nl: Houdt u aangemeld}
    expiry: session
  - name: newsletter_seen
    purpose: newsletter
    description: {en: Remembers that you saw the newsletter offer, nl: Onthoudt dat u het aanbod zag}
    expiry: P30D
web_logs:
  purpose: security
  retention: P14D
  fields: [domain, path, status, bytes, ip_address, user_agent]
  ip_storage: hmac
customer_content:
  role: processor
  processor_agreement: in_contract
breaches:
  notify_customers: true
  evidence_for_customers: true
acceptable_use:
  reporting: {email: abuse@hostwerk.example}
  sanctions:
    warning: {name: {en: A warning, nl: Een waarschuwing}}
    suspension: {name: {en: Suspension of the service, nl: Opschorting van de dienst}}
  categories:
    spam:
      name: {en: Spam, nl: Spam}
      description: {en: Sending unsolicited bulk e-mail, nl: Ongevraagde massamail versturen}
      sanctions: [warning, suspension]
    malware:
      name: {en: Malware, nl: Malware}
      description: {en: Hosting malicious software, nl: Kwaadaardige software hosten}
      immediate: [suspension]
"""

# The controller moved to the United Kingdom, with a representative in the EU (Art. 27).
IN_THE_UK = (
    ("  country: BE\n  email: privacy@hostwerk.example", "  country: GB\n  email: privacy@hostwerk.example"),
    (
        "  dpo:\n",
        "  eu_representative:\n    name: Hostwerk Europe BV\n    address: Kerkstraat 2, 9000 Gent\n"
        "    country: BE\n    email: eu@hostwerk.example\n  dpo:\n",
    ),
)
NEWSLETTER_CONSENT = """\
    consent:
      withdrawal:
        en: Use the unsubscribe link in every newsletter.
        nl: Gebruik de afmeldlink in elke nieuwsbrief.
"""
PROFILING = """\
    profiling:
      description: {en: We choose offers from your services, nl: We kiezen aanbiedingen uit uw diensten}
"""


def edit(*pairs: tuple[str, str], text: str = CLEAN) -> str:
    """The text with each ``old`` replaced by ``new``; each ``old`` must occur exactly once."""
    for old, new in pairs:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def line_of(text: str, needle: str, after: str = "") -> int:
    """The line on which ``needle`` first occurs, searching from ``after``."""
    start = text.index(after) if after else 0
    return text.count("\n", 0, text.index(needle, start)) + 1


def load(text: str, name: str = "policy.yaml") -> LoadedPolicy:
    return load_text(text, name)


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


RULE = {r.code: r for r in RULES}


# --- the clean policy -------------------------------------------------------------------------


def test_it_finds_nothing_in_the_clean_policy():
    assert lint(load(CLEAN)) == []


def test_it_uses_a_clean_policy_that_has_every_part():
    policy = load(CLEAN).policy
    assert policy.languages == ["en", "nl"]
    assert policy.recipients["mail_provider"].agreement is not None
    assert policy.recipients["mailer_us"].country == "US"
    assert policy.recipients["mailer_us"].transfer is not None
    assert [str(b) for b in policy.purposes["newsletter"].legal_basis] == ["consent"]
    assert policy.purposes["newsletter"].consent is not None
    assert policy.purposes["security"].legitimate_interest is not None
    assert policy.web_logs is not None and policy.web_logs.purpose == "security"
    assert policy.cookies and policy.acceptable_use is not None and policy.customer_content is not None


@pytest.mark.parametrize("code", [r.code for r in RULES])
def test_it_does_not_fire_on_the_clean_policy(code):
    assert list(RULE[code].check(load(CLEAN).policy)) == []


# --- every rule fires on a small change ---------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    code: str
    severity: Severity
    edits: tuple[tuple[str, str], ...]
    message: str
    at: str  # the finding points at the line where this text stands...
    after: str = ""  # ...searching from here
    also: frozenset[str] = frozenset()  # other codes the change rightly brings

    def text(self) -> str:
        return edit(*self.edits)


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

CASES = [
    Case(
        "no-phone-or-website",
        "TD101",
        W,
        (('  phone: "+32 9 123 45 67"\n', ""), ("  website: https://hostwerk.example\n", "")),
        "the controller gives only an e-mail address; add a telephone number or a website so people have a "
        "second way to reach you",
        "controller:",
    ),
    Case(
        "no-dpo",
        "TD102",
        INFO,
        (("  dpo:\n    name: Anna Peeters\n    email: dpo@hostwerk.example\n", ""),),
        "no data protection officer is named; that is fine when the law does not require one (Art. 37), but "
        "the "
        "statement then names the controller as the contact for privacy questions",
        "controller:",
    ),
    Case(
        "outside-the-eea-without-representative",
        "TD103",
        W,
        (IN_THE_UK[0],),
        "the controller is established outside the EEA (GB) and names no representative in the EU; one is "
        "needed "
        "when you offer services to people in the EU (Art. 27)",
        "controller:",
    ),
    Case(
        "legitimate-interest-without-interest",
        "TD110",
        E,
        (
            (
                "    legitimate_interest:\n      en: Keeping our servers and our customers' sites safe from "
                "attacks.\n"
                "      nl: Onze servers en de sites van onze klanten beschermen tegen aanvallen.\n",
                "",
            ),
        ),
        "purpose 'security': legal basis 'legitimate_interests' needs the interest pursued, under "
        "legitimate_interest",
        "legal_basis:",
        after="  security:",
    ),
    Case(
        "two-legal-bases",
        "TD111",
        W,
        (
            (
                "    legal_basis: contract\n    data_subjects: [customer]\n    data_categories: [user.name, "
                "user.contact.email, user.account",
                "    legal_basis: [contract, legal_obligation]\n    data_subjects: [customer]\n"
                "    data_categories: [user.name, user.contact.email, user.account",
            ),
        ),
        "purpose 'hosting': rests on 'contract' and 'legal_obligation'; a person must know which basis "
        "applies, "
        "because their rights differ (withdrawal for consent, objection for legitimate interest): split the "
        "purpose",
        "legal_basis:",
        after="  hosting:",
    ),
    Case(
        "undefined-recipient",
        "TD112",
        E,
        (("[mail_provider, backup_provider]", "[mail_provider, backup_provider, cdn]"),),
        "purpose 'hosting': recipient 'cdn' is not defined under recipients",
        "recipients: [mail_provider, backup_provider, cdn]",
    ),
    Case(
        "transfer-without-safeguard",
        "TD113",
        E,
        (
            (
                "    transfer:\n      safeguard: standard_contractual_clauses\n      details: {en: The 2021 "
                "standard "
                "contractual clauses, nl: De standaardcontractbepalingen van 2021}\n",
                "",
            ),
        ),
        "recipient 'mailer_us' is in US, outside the EEA, and no safeguard is given: add transfer.safeguard "
        "(adequacy, standard_contractual_clauses, binding_corporate_rules or derogation)",
        "country: US",
    ),
    Case(
        "adequacy-where-there-is-none",
        "TD113",
        E,
        (("    country: CH\n", "    country: IN\n"),),
        "recipient 'backup_provider': there is no adequacy decision for IN; use standard contractual "
        "clauses, "
        "binding corporate rules or a derogation",
        "transfer: {safeguard: adequacy}",
    ),
    Case(
        "uk-controller-transfer-without-safeguard",
        "TD113",
        E,
        (
            *IN_THE_UK,
            ("    country: CH\n    description", "    country: IN\n    description"),
            ("    transfer: {safeguard: adequacy}\n", ""),
        ),
        "recipient 'backup_provider' is in IN, outside the UK, the EEA and the countries with adequacy, and "
        "no "
        "safeguard is given: add transfer.safeguard (adequacy, standard_contractual_clauses, "
        "binding_corporate_rules or derogation)",
        "country: IN",
    ),
    Case(
        "processor-without-agreement",
        "TD114",
        E,
        (("    agreement: {date: 2024-01-15, reference: DPA-2024-01}\n", ""),),
        "recipient 'mail_provider' is a processor without a processing agreement: give agreement.date and "
        "agreement.reference",
        "role: processor",
        after="  mail_provider:",
    ),
    Case(
        "sub-processor-without-agreement",
        "TD114",
        E,
        (("    agreement: {date: 2024-02-01, reference: DPA-2024-02}\n", ""),),
        "recipient 'backup_provider' is a sub-processor without a processing agreement: give agreement.date "
        "and "
        "agreement.reference",
        "role: sub_processor",
    ),
    Case(
        "unused-recipient",
        "TD115",
        INFO,
        (("    recipients: [dns_registry]\n", ""),),
        "recipient 'dns_registry' is defined but no purpose sends it data",
        "  dns_registry:",
    ),
    Case(
        "special-category",
        "TD116",
        E,
        (
            (
                "user.contact.email, user.account.customer_number]",
                "user.contact.email, user.account.customer_number, user.health_and_medical]",
            ),
        ),
        "purpose 'hosting': 'user.health_and_medical' is special-category or criminal data (Art. 9, 10); "
        "this "
        "policy format cannot record the Art. 9(2) condition: do not process it, or take legal advice",
        "data_categories:",
        after="  hosting:",
    ),
    Case(
        "no-retention",
        "TD120",
        E,
        (("    retention: {period: P2Y, from: end_of_contract, action: delete}\n", ""),),
        "purpose 'hosting': no retention is set; give retention.period (for example P2Y), retention.from "
        "(the "
        "event it runs from) and retention.action",
        "  hosting:",
    ),
    Case(
        "no-rights-contact",
        "TD121",
        E,
        (("  contact: {email: privacy@hostwerk.example}\n", ""),),
        "the statement says nowhere how to exercise rights: give rights.contact (an e-mail address, a web "
        "address, or postal: true for the controller's address)",
        "rights:",
    ),
    Case(
        "empty-rights-contact",
        "TD121",
        E,
        (("  contact: {email: privacy@hostwerk.example}\n", "  contact: {postal: false}\n"),),
        "the statement says nowhere how to exercise rights: give rights.contact (an e-mail address, a web "
        "address, or postal: true for the controller's address)",
        "rights:",
    ),
    Case(
        "consent-without-withdrawal",
        "TD122",
        E,
        ((NEWSLETTER_CONSENT, ""),),
        "purpose 'newsletter': legal basis 'consent' needs consent.withdrawal: how a person withdraws "
        "consent, "
        "as easily as they gave it",
        "legal_basis: consent",
    ),
    Case(
        "consent-text-without-withdrawal",
        "TD122",
        E,
        (
            (
                NEWSLETTER_CONSENT,
                "    consent:\n      text: {en: Send me the newsletter, nl: Stuur mij de nieuwsbrief}\n",
            ),
        ),
        "purpose 'newsletter': legal basis 'consent' needs consent.withdrawal: how a person withdraws "
        "consent, "
        "as easily as they gave it",
        "legal_basis: consent",
    ),
    Case(
        "no-authority",
        "TD123",
        E,
        (
            (
                "  country: BE\n  email: privacy@hostwerk.example",
                "  country: LU\n  email: privacy@hostwerk.example",
            ),
        ),
        "there is no built-in supervisory authority for LU: write it out under supervisory_authority (name, "
        "address, country)",
        "country: LU",
    ),
    Case(
        "no-requirement",
        "TD124",
        E,
        (
            (
                "    requirement: needed_for_contract\n    consequence:\n      en: Without these details we "
                "cannot provide",
                "    consequence:\n      en: Without these details we cannot provide",
            ),
        ),
        "purpose 'hosting': say whether providing the data is statutory, contractual, needed_for_contract or "
        "optional, under requirement",
        "  hosting:",
    ),
    Case(
        "requirement-without-consequence",
        "TD124",
        E,
        (
            (
                "    consequence:\n      en: Without these details we cannot invoice you.\n"
                "      nl: Zonder deze gegevens kunnen we niet factureren.\n",
                "",
            ),
        ),
        "purpose 'invoicing': the data is statutory; say what happens when a person does not provide it, "
        "under "
        "consequence",
        "requirement: statutory",
    ),
    Case(
        "undeclared-profiling",
        "TD125",
        E,
        (("data_use: marketing.communications.email", "data_use: marketing.advertising.profiling"),),
        "purpose 'newsletter': the data use 'marketing.advertising.profiling' is profiling, but the purpose "
        "declares none: describe it under profiling",
        "data_use: marketing.advertising.profiling",
    ),
    Case(
        "automated-decision-without-logic",
        "TD126",
        E,
        ((NEWSLETTER_CONSENT, NEWSLETTER_CONSENT + PROFILING + "      automated_decision: true\n"),),
        "purpose 'newsletter': an automated decision needs profiling.logic (the logic involved) and "
        "profiling.significance (its consequences for the person)",
        "profiling:",
    ),
    Case(
        "thirty-days-is-not-a-month",
        "TD127",
        E,
        (("  answer_within: P1M\n", "  answer_within: P30D\n"),),
        "requests must be answered within one month (Art. 12(3)); P30D is longer: counted from 30 January, "
        "it "
        "ends on 1 March instead of 28 February",
        "answer_within:",
    ),
    Case(
        "two-months",
        "TD127",
        E,
        (("  answer_within: P1M\n", "  answer_within: P2M\n"),),
        "requests must be answered within one month (Art. 12(3)); P2M is longer: counted from 1 January, it "
        "ends on 1 March instead of 1 February",
        "answer_within:",
    ),
    Case(
        "one-month-and-an-hour",
        "TD127",
        E,
        (("  answer_within: P1M\n", "  answer_within: P1MT1H\n"),),
        "requests must be answered within one month (Art. 12(3)); P1MT1H is longer: counted from 1 January, "
        "it "
        "ends on 1 February 01:00 instead of 1 February",
        "answer_within:",
    ),
    Case(
        "long-extension",
        "TD127",
        E,
        (("  extension_max: P2M\n", "  extension_max: P3M\n"),),
        "an extension is at most two further months (Art. 12(3)); P3M is longer: counted from 1 January, it "
        "ends on 1 April instead of 1 March",
        "extension_max:",
    ),
    Case(
        "marketing-on-legitimate-interest-without-objection",
        "TD128",
        W,
        (
            (
                "    legal_basis: consent\n" + NEWSLETTER_CONSENT,
                "    legal_basis: legitimate_interests\n    legitimate_interest: {en: Telling customers "
                "about our "
                "services, nl: Klanten over onze diensten informeren}\n",
            ),
        ),
        "purpose 'newsletter': direct marketing on legitimate interest must offer an easy objection in every "
        "message; describe it under objection",
        "data_use: marketing.communications.email",
    ),
    Case(
        "source-without-categories",
        "TD130",
        E,
        (("        data_categories: [user.contact.email]\n", ""),),
        "purpose 'abuse': source #1 is not the person; list which data categories come from it, under "
        "data_categories",
        "- kind: third_party",
    ),
    Case(
        "unused-category",
        "TD140",
        W,
        (
            (
                "never_collected:",
                "    user.account.plan:\n      parent: user.account\n"
                "      name: {en: Hosting plan, nl: Hostingpakket}\nnever_collected:",
            ),
        ),
        "the data category 'user.account.plan' is declared but no purpose uses it",
        "user.account.plan:",
    ),
    Case(
        "never-collected-but-collected",
        "TD141",
        E,
        (
            (
                "user.contact.address, user.financial.bank_account]",
                "user.contact.address, user.financial.bank_account, user.financial.credit_card]",
            ),
        ),
        "purpose 'invoicing': collects 'user.financial.credit_card', which never_collected promises is never "
        "collected",
        "data_categories:",
        after="  invoicing:",
    ),
    Case(
        "never-collected-parent",
        "TD141",
        E,
        (("never_collected: [user.financial.credit_card]", "never_collected: [user.financial]"),),
        "purpose 'invoicing': collects 'user.financial.bank_account', which never_collected promises is "
        "never "
        "collected",
        "data_categories:",
        after="  invoicing:",
    ),
    Case(
        "missing-translation",
        "TD142",
        E,
        (("        nl: Gebruik de afmeldlink in elke nieuwsbrief.\n", ""),),
        "purpose 'newsletter', consent: withdrawal has no text in nl, which the statement is published in",
        "withdrawal:",
    ),
    Case(
        "cookie-for-unknown-purpose",
        "TD143",
        E,
        (("    purpose: newsletter\n", "    purpose: analytics\n"),),
        "cookie 'newsletter_seen': purpose 'analytics' is not defined",
        "purpose: analytics",
    ),
    Case(
        "cookie-with-personal-data",
        "TD144",
        W,
        (("    expiry: session\n", "    expiry: session\n    personal_data: true\n"),),
        "cookie 'sessionid' holds personal data; keep identifiers on the server and only a random reference "
        "in "
        "the cookie",
        "personal_data: true",
    ),
    Case(
        "raw-addresses-without-reason",
        "TD150",
        E,
        (("  ip_storage: hmac\n", "  ip_storage: raw\n"),),
        "web logs keep visitors' IP addresses as they are, without a reason: choose hmac, aes_siv or "
        "truncate, "
        "or state why under raw_reason",
        "ip_storage: raw",
    ),
    Case(
        "raw-addresses-with-reason",
        "TD151",
        W,
        (
            (
                "  ip_storage: hmac\n",
                "  ip_storage: raw\n  raw_reason: {en: Required by the police, nl: Vereist door "
                "de politie}\n",
            ),
        ),
        "web logs keep visitors' IP addresses as they are; a keyed pseudonym (hmac, or aes_siv where "
        "investigators must recover addresses) serves the same investigations with less risk",
        "ip_storage: raw",
    ),
    Case(
        "web-logs-for-unknown-purpose",
        "TD152",
        E,
        (("  purpose: security\n", "  purpose: monitoring\n"),),
        "web logs: purpose 'monitoring' is not defined",
        "purpose: monitoring",
    ),
    Case(
        "staff-two-factor-optional",
        "TD160",
        W,
        (("{staff: required, customers: optional}", "{staff: optional, customers: optional}"),),
        "staff can sign in without a second factor; staff see every customer's data, so require it",
        "two_factor:",
    ),
    Case(
        "no-measures",
        "TD161",
        W,
        (("  measures:\n    - {en: Encrypted connections, nl: Versleutelde verbindingen}\n", ""),),
        "no security measures are described; list them under security.measures",
        "security:",
        after="\nsecurity:",
    ),
    Case(
        "legitimate-interest-without-objection",
        "TD129",
        INFO,
        (
            (
                "    objection: {en: Write to abuse@hostwerk.example., nl: Schrijf naar abuse@hostwerk.example.}\n",
                "",
            ),
        ),
        "purpose 'abuse': a person may object to this purpose; the statement gives the general way to exercise "
        "rights, and objection can say how to object to this purpose in particular",
        "legal_basis: legitimate_interests",
        after="  abuse:",
    ),
    Case(
        "processor-without-customer-breach-notice",
        "TD153",
        E,
        (("breaches:\n  notify_customers: true\n  evidence_for_customers: true\n", ""),),
        "as a processor of your customers' data you must tell them of a breach without undue delay: set "
        "breaches.notify_customers: true",
        "role: processor",
        after="customer_content:",
    ),
    Case(
        "breaches-not-reported-to-the-authority",
        "TD154",
        E,
        (("  notify_customers: true\n", "  notify_customers: true\n  notify_authority: false\n"),),
        "a controller must report a personal data breach to the supervisory authority within 72 hours, unless "
        "it is unlikely to result in a risk: set notify_authority: true",
        "notify_authority: false",
    ),
    Case(
        "backups-without-retention",
        "TD162",
        W,
        (
            (
                "  measures:\n",
                "  backups: {frequency: daily, encrypted: true, locations: 2}\n  measures:\n",
            ),
        ),
        "backups keep deleted data until they are themselves deleted; say how long under backups.retention, so "
        "that erasure has a known end",
        "backups:",
    ),
    Case(
        "requirement-on-observed-data",
        "TD131",
        W,
        (
            (
                "    data_categories: [user.device.ip_address]\n",
                "    data_categories: [user.device.ip_address]\n    sources: [{kind: observed}]\n",
            ),
        ),
        "purpose 'security': all its data is recorded while the person uses the services (observed), so nobody "
        "provides it; requirement and consequence do not apply and the statement leaves them out",
        "requirement: needed_for_contract",
        after="  security:",
    ),
    Case(
        "customer-breach-notice-without-customer-content",
        "TD155",
        W,
        (("  role: processor\n  processor_agreement: in_contract\n", "  role: controller\n"),),
        "notify_customers promises to tell customers of breaches of the data they store with you, but "
        "customer_content does not say you hold such data for them (role processor or neither)",
        "notify_customers: true",
    ),
    Case(
        "unknown-sanction",
        "TD170",
        E,
        (("sanctions: [warning, suspension]", "sanctions: [warning, termination]"),),
        "abuse category 'spam': sanction 'termination' is not defined under acceptable_use.sanctions",
        "sanctions: [warning, termination]",
    ),
    Case(
        "unknown-immediate-sanction",
        "TD170",
        E,
        (("immediate: [suspension]", "immediate: [suspend]"),),
        "abuse category 'malware': sanction 'suspend' is not defined under acceptable_use.sanctions",
        "immediate: [suspend]",
    ),
    Case(
        "no-sanction",
        "TD171",
        W,
        (("      immediate: [suspension]\n", ""),),
        "abuse category 'malware' leads to no sanction",
        "  malware:",
    ),
]


def test_it_has_a_case_for_every_rule():
    assert {case.code for case in CASES} == set(RULE)


def test_it_has_unique_case_names():
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.code}-{c.id}" for c in CASES])
def test_it_fires(case: Case):
    text = case.text()
    findings = lint(load(text))
    fired = [f for f in findings if f.code == case.code]
    assert len(fired) == 1, findings
    finding = fired[0]
    assert finding.severity is case.severity
    assert finding.severity is RULE[case.code].severity
    assert finding.article == RULE[case.code].article
    assert finding.message == case.message
    assert finding.file == "policy.yaml"
    assert finding.line == line_of(text, case.at, case.after)
    assert {f.code for f in findings} - {case.code} == case.also


# --- near misses: close to a rule, but right --------------------------------------------------


@dataclass(frozen=True)
class NearMiss:
    id: str
    code: str
    edits: tuple[tuple[str, str], ...]
    also: frozenset[str] = frozenset()  # codes the change rightly brings, other than ``code``


NEAR_MISSES = [
    NearMiss(
        "backups with a retention",
        "TD162",
        (
            (
                "  measures:\n",
                "  backups: {frequency: daily, encrypted: true, locations: 2, retention: P30D}\n  measures:\n",
            ),
        ),
    ),
    NearMiss(
        "a controller of customer content need not notify customers",
        "TD153",
        (
            ("  role: processor\n  processor_agreement: in_contract\n", "  role: controller\n"),
            ("breaches:\n  notify_customers: true\n  evidence_for_customers: true\n", ""),
        ),
    ),
    NearMiss("a phone number is enough", "TD101", (("  website: https://hostwerk.example\n", ""),)),
    NearMiss("a website is enough", "TD101", (('  phone: "+32 9 123 45 67"\n', ""),)),
    NearMiss("a DPO named by an e-mail address only", "TD102", (("    name: Anna Peeters\n", ""),)),
    NearMiss("a UK controller with a representative in the EU", "TD103", IN_THE_UK),
    NearMiss(
        "one legal basis written as a list",
        "TD111",
        (
            (
                "    legal_basis: contract\n    data_subjects: [customer]\n"
                "    data_categories: [user.name, user.contact.email, "
                "user.account",
                "    legal_basis: [contract]\n    data_subjects: "
                "[customer]\n    data_categories: [user.name, "
                "user.contact.email, user.account",
            ),
        ),
    ),
    NearMiss(
        "the same basis written twice",
        "TD111",
        (
            (
                "    legal_basis: contract\n    data_subjects: [customer]\n"
                "    data_categories: [user.name, user.contact.email, "
                "user.account",
                "    legal_basis: [contract, contract]\n    data_subjects: "
                "[customer]\n    data_categories: [user.name, "
                "user.contact.email, user.account",
            ),
        ),
    ),
    NearMiss(
        "a recipient in the EEA needs no safeguard", "TD113", (("    country: NL\n", "    country: DE\n"),)
    ),
    NearMiss("an adequacy country needs no clauses", "TD113", (("    country: CH\n", "    country: JP\n"),)),
    NearMiss("the UK has an adequacy decision", "TD113", (("    country: CH\n", "    country: GB\n"),)),
    NearMiss(
        "a transfer on binding corporate rules",
        "TD113",
        (
            ("    country: CH\n", "    country: IN\n"),
            ("transfer: {safeguard: adequacy}", "transfer: {safeguard: binding_corporate_rules}"),
        ),
    ),
    NearMiss(
        "a transfer on a derogation",
        "TD113",
        (
            ("    country: CH\n", "    country: IN\n"),
            ("transfer: {safeguard: adequacy}", "transfer: {safeguard: derogation}"),
        ),
    ),
    NearMiss("a UK controller sending to the EEA", "TD113", IN_THE_UK),
    NearMiss(
        "a UK controller sending to an EU adequacy country",
        "TD113",
        (
            *IN_THE_UK,
            ("    transfer: {safeguard: adequacy}\n", ""),
        ),
    ),
    NearMiss(
        "a recipient in the controller's own country outside the EEA",
        "TD113",
        (
            *IN_THE_UK,
            ("    country: US\n", "    country: GB\n"),
            (
                "    transfer:\n      safeguard: standard_contractual_clauses\n      details: {en: The 2021 "
                "standard "
                "contractual clauses, nl: De standaardcontractbepalingen van 2021}\n",
                "",
            ),
        ),
    ),
    NearMiss(
        "a registry is no processor", "TD114", (("    role: registry\n", "    role: public_authority\n"),)
    ),
    NearMiss(
        "an independent controller needs no processing agreement",
        "TD114",
        (
            ("    role: processor\n    country: NL\n", "    role: controller\n    country: NL\n"),
            ("    agreement: {date: 2024-01-15, reference: DPA-2024-01}\n", ""),
        ),
    ),
    NearMiss(
        "a demographic category that is not special",
        "TD116",
        (
            (
                "user.contact.email, user.account.customer_number]",
                "user.contact.email, user.account.customer_number, user.demographic.language]",
            ),
        ),
    ),
    NearMiss(
        "rights by post",
        "TD121",
        (("  contact: {email: privacy@hostwerk.example}\n", "  contact: {postal: true}\n"),),
    ),
    NearMiss(
        "rights through a web page",
        "TD121",
        (
            (
                "  contact: {email: privacy@hostwerk.example}\n",
                "  contact: {url: https://hostwerk.example/privacy}\n",
            ),
        ),
    ),
    NearMiss(
        "an authority written out",
        "TD123",
        (
            (
                "  country: BE\n  email: privacy@hostwerk.example",
                "  country: LU\n  email: privacy@hostwerk.example",
            ),
            (
                "languages: [en, nl]\n",
                "supervisory_authority:\n  name: {en: National Commission for Data Protection, "
                "nl: Nationale Commissie voor gegevensbescherming}\n  address: 15 Boulevard du Jazz, "
                "Belvaux\n"
                "  country: LU\nlanguages: [en, nl]\n",
            ),
        ),
    ),
    NearMiss(
        "an authority chosen by country",
        "TD123",
        (
            (
                "  country: BE\n  email: privacy@hostwerk.example",
                "  country: LU\n  email: privacy@hostwerk.example",
            ),
            ("languages: [en, nl]\n", "supervisory_authority: BE\nlanguages: [en, nl]\n"),
        ),
    ),
    NearMiss(
        "optional data needs no consequence",
        "TD124",
        (
            (
                "    requirement: statutory\n    consequence:\n      en: Without these details we cannot "
                "invoice you.\n"
                "      nl: Zonder deze gegevens kunnen we niet factureren.\n",
                "    requirement: optional\n",
            ),
        ),
    ),
    NearMiss(
        "data from someone else needs no requirement",
        "TD124",
        (("    sources:\n      - kind: third_party", "    sources:\n      - kind: public"),),
    ),
    NearMiss(
        "declared profiling",
        "TD125",
        (
            ("data_use: marketing.communications.email", "data_use: marketing.advertising.profiling"),
            (NEWSLETTER_CONSENT, NEWSLETTER_CONSENT + PROFILING),
        ),
    ),
    NearMiss(
        "profiling without an automated decision",
        "TD126",
        ((NEWSLETTER_CONSENT, NEWSLETTER_CONSENT + PROFILING + "      automated_decision: false\n"),),
    ),
    NearMiss(
        "an automated decision with its logic and significance",
        "TD126",
        (
            (
                NEWSLETTER_CONSENT,
                NEWSLETTER_CONSENT + PROFILING + "      automated_decision: true\n"
                "      logic: {en: More services mean better offers, nl: Meer diensten betekent betere "
                "aanbiedingen}\n"
                "      significance: {en: You see other offers, nl: U ziet andere aanbiedingen}\n",
            ),
        ),
    ),
    NearMiss(
        "four weeks are within a month", "TD127", (("  answer_within: P1M\n", "  answer_within: P4W\n"),)
    ),
    NearMiss("28 days are within a month", "TD127", (("  answer_within: P1M\n", "  answer_within: P28D\n"),)),
    NearMiss(
        "eight weeks are within two months", "TD127", (("  extension_max: P2M\n", "  extension_max: P8W\n"),)
    ),
    NearMiss(
        "marketing on legitimate interest with an objection",
        "TD128",
        (
            (
                "    legal_basis: consent\n" + NEWSLETTER_CONSENT,
                "    legal_basis: legitimate_interests\n    legitimate_interest: {en: Telling customers "
                "about our "
                "services, nl: Klanten over onze diensten informeren}\n"
                "    objection: {en: Use the unsubscribe link., nl: Gebruik de afmeldlink.}\n",
            ),
        ),
    ),
    NearMiss(
        "a declared category used through its sub-category",
        "TD140",
        (
            (
                "taxonomy:\n  data_categories:\n",
                "taxonomy:\n  data_categories:\n    user.account.billing:\n"
                "      parent: user.account\n      name: {en: Billing details, nl: Factuurgegevens}\n",
            ),
            (
                "    user.account.customer_number:\n      parent: user.account\n",
                "    user.account.customer_number:\n      parent: user.account.billing\n",
            ),
        ),
    ),
    NearMiss(
        "a category declared to promise it is never collected",
        "TD140",
        (
            (
                "never_collected: [user.financial.credit_card]",
                "    user.financial.card_verification:\n"
                "      parent: user.financial\n      name: {en: Card verification code, nl: "
                "Kaartverificatiecode}\n"
                "never_collected: [user.financial.credit_card, user.financial.card_verification]",
            ),
        ),
    ),
    NearMiss(
        "a sibling of a category never collected",
        "TD141",
        (("never_collected: [user.financial.credit_card]", "never_collected: [user.device.cookie_id]"),),
    ),
    NearMiss("a statement in English only", "TD142", (("languages: [en, nl]", "languages: [en]"),)),
    NearMiss(
        "a truncated address is no raw address",
        "TD150",
        (("  ip_storage: hmac\n", "  ip_storage: truncate\n"),),
    ),
    NearMiss(
        "raw addresses with a reason",
        "TD150",
        (
            (
                "  ip_storage: hmac\n",
                "  ip_storage: raw\n  raw_reason: {en: Required by the police, nl: Vereist door "
                "de politie}\n",
            ),
        ),
        also=frozenset({"TD151"}),
    ),
    NearMiss(
        "a legitimate interest written as a list, with the interest",
        "TD110",
        (
            (
                "    legal_basis: legitimate_interests\n    legitimate_interest:\n      en: Keeping",
                "    legal_basis: [legitimate_interests]\n    legitimate_interest:\n      en: Keeping",
            ),
        ),
    ),
    NearMiss(
        "a recipient used by two purposes",
        "TD115",
        (("    recipients: [mailer_us]\n", "    recipients: [mailer_us, mail_provider]\n"),),
    ),
    NearMiss(
        "consent with a text and a withdrawal",
        "TD122",
        (
            (
                NEWSLETTER_CONSENT,
                NEWSLETTER_CONSENT + "      text: {en: Send me the newsletter, nl: Stuur mij de "
                "nieuwsbrief}\n",
            ),
        ),
    ),
    NearMiss(
        "a public source with its categories",
        "TD130",
        (("    sources:\n      - kind: third_party", "    sources:\n      - kind: public"),),
    ),
    NearMiss(
        "a cookie that holds no personal data",
        "TD144",
        (("    expiry: session\n", "    expiry: session\n    personal_data: false\n"),),
    ),
    NearMiss(
        "no web logs at all",
        "TD150",
        (
            (
                "web_logs:\n  purpose: security\n  retention: P14D\n  fields: [domain, path, status, bytes, "
                "ip_address, "
                "user_agent]\n  ip_storage: hmac\n",
                "",
            ),
        ),
    ),
    NearMiss(
        "web logs for another defined purpose", "TD152", (("  purpose: security\n", "  purpose: abuse\n"),)
    ),
    NearMiss(
        "customers without two-factor",
        "TD160",
        (("{staff: required, customers: optional}", "{staff: required, customers: unavailable}"),),
    ),
    NearMiss(
        "an abuse category with immediate sanctions only",
        "TD171",
        (("sanctions: [warning, suspension]", "immediate: [warning, suspension]"),),
    ),
]


def test_it_has_near_misses_for_most_rules():
    assert len({near.code for near in NEAR_MISSES}) >= 25


@pytest.mark.parametrize("near", NEAR_MISSES, ids=[f"{n.code}-{n.id}" for n in NEAR_MISSES])
def test_it_does_not_fire_on_a_near_miss(near: NearMiss):
    findings = lint(load(edit(*near.edits)))
    assert near.code not in codes(findings)
    assert set(codes(findings)) == near.also, findings


# --- the registry of rules and its documentation -----------------------------------------------


def test_it_has_unique_codes():
    all_codes = [r.code for r in RULES]
    assert len(all_codes) == len(set(all_codes))
    assert all(re.fullmatch(r"TD1\d\d", code) for code in all_codes)


def test_it_refuses_a_code_registered_twice():
    before = list(RULES)
    with pytest.raises(RuntimeError, match="TD101"):
        rule("TD101", Severity.INFO, "GDPR Art. 5", "again")(lambda policy: iter(()))
    assert before == RULES


def test_it_gives_every_rule_a_title_and_an_article():
    for item in RULES:
        assert item.title and item.article
        assert isinstance(item.severity, Severity)


def _documented_rows() -> dict[str, list[str]]:
    """The rows of the rule table in docs/lint.md: code -> the cells."""
    rows: dict[str, list[str]] = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and re.fullmatch(r"TD\d{3}", cells[0]):
            rows[cells[0]] = cells
    return rows


def test_it_documents_every_rule():
    rows = _documented_rows()
    assert set(rows) == set(RULE) | {"TD001"}
    for code, item in RULE.items():
        assert rows[code][1] == item.severity.value, code
        assert rows[code][2] == item.article, code


def test_it_explains_every_rule_in_its_own_section():
    text = DOCS.read_text(encoding="utf-8")
    headings = re.findall(r"^### (TD\d{3})\b", text, flags=re.MULTILINE)
    assert sorted(headings) == sorted(RULE)
    assert headings == sorted(headings)


# --- findings ----------------------------------------------------------------------------------


def test_it_sorts_errors_first_then_by_line():
    text = edit(
        ("  dpo:\n    name: Anna Peeters\n    email: dpo@hostwerk.example\n", ""),  # info, line 3
        ("  measures:\n    - {en: Encrypted connections, nl: Versleutelde verbindingen}\n", ""),  # warning
        ("  ip_storage: hmac\n", "  ip_storage: raw\n"),  # error, near the end
        ("    retention: {period: P2Y, from: end_of_contract, action: delete}\n", ""),  # error, earlier
    )
    findings = lint(load(text))
    assert codes(findings) == ["TD120", "TD150", "TD161", "TD102"]
    assert has_errors(findings)
    assert not has_errors([f for f in findings if f.severity is not Severity.ERROR])


def test_it_reports_a_finding_as_text_and_as_a_dict():
    text = edit(("    retention: {period: P2Y, from: end_of_contract, action: delete}\n", ""))
    [finding] = lint(load(text, "site/policy.yaml"))
    line = line_of(text, "  hosting:")
    assert str(finding) == (
        f"site/policy.yaml:{line}: error TD120 [GDPR Art. 13(2)(a), 5(1)(e)] {finding.message}"
    )
    assert finding.as_dict() == {
        "code": "TD120",
        "severity": "error",
        "article": "GDPR Art. 13(2)(a), 5(1)(e)",
        "message": finding.message,
        "file": "site/policy.yaml",
        "line": line,
        "key": "purposes.hosting",
    }


def test_it_reports_every_place_a_rule_applies():
    text = edit(
        ("    retention: {period: P2Y, from: end_of_contract, action: delete}\n", ""),
        ("    retention: {period: P1Y, from: end_of_service, action: delete}\n", ""),
    )
    fired = [f for f in lint(load(text)) if f.code == "TD120"]
    assert [f.key for f in fired] == ["purposes.hosting", "purposes.domains"]


# --- the command -------------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("policy", "lint", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_it_says_no_findings_for_a_clean_file(tmp_path):
    path = write(tmp_path, CLEAN)
    out, err = io.StringIO(), io.StringIO()
    call_command("policy", "lint", path, stdout=out, stderr=err)
    assert out.getvalue().strip() == f"{path}: no findings"
    assert err.getvalue() == ""


def test_it_exits_1_on_errors(tmp_path):
    text = edit(("    retention: {period: P2Y, from: end_of_contract, action: delete}\n", ""))
    path = write(tmp_path, text)
    with pytest.raises(SystemExit) as exc:
        call_command("policy", "lint", path, stdout=io.StringIO(), stderr=io.StringIO())
    assert exc.value.code == 1
    status, out, _ = run(path)
    assert status == 1
    lines = out.strip().splitlines()
    assert lines[0].startswith(
        f"{path}:{line_of(text, '  hosting:')}: error TD120 [GDPR Art. 13(2)(a), 5(1)(e)]"
    )
    assert lines[-1] == f"{path}: 1 error, 0 warnings, 0 infos"


def test_it_exits_normally_on_warnings_and_infos(tmp_path):
    path = write(
        tmp_path,
        edit(
            ('  phone: "+32 9 123 45 67"\n', ""),
            ("  website: https://hostwerk.example\n", ""),
            ("  dpo:\n    name: Anna Peeters\n    email: dpo@hostwerk.example\n", ""),
        ),
    )
    status, out, _ = run(path)
    assert status == 0
    assert "warning TD101" in out and "info TD102" in out
    assert out.strip().splitlines()[-1] == f"{path}: 0 errors, 1 warning, 1 info"


def test_it_prints_json(tmp_path):
    text = edit(
        ("    retention: {period: P2Y, from: end_of_contract, action: delete}\n", ""),
        ("{staff: required, customers: optional}", "{staff: optional, customers: optional}"),
    )
    path = write(tmp_path, text)
    status, out, _ = run(path, "--json")
    assert status == 1
    findings = json.loads(out)
    assert [f["code"] for f in findings] == ["TD120", "TD160"]
    assert findings[0] == {
        "code": "TD120",
        "severity": "error",
        "article": "GDPR Art. 13(2)(a), 5(1)(e)",
        "message": "purpose 'hosting': no retention is set; give retention.period (for example P2Y), "
        "retention.from (the event it runs from) and retention.action",
        "file": path,
        "line": line_of(text, "  hosting:"),
        "key": "purposes.hosting",
    }
    assert findings[1]["severity"] == "warning"
    assert findings[1]["key"] == "security.two_factor.staff"


def test_it_prints_an_empty_json_list_for_a_clean_file(tmp_path):
    status, out, _ = run(write(tmp_path, CLEAN), "--json")
    assert status == 0
    assert json.loads(out) == []


def test_it_reports_a_file_that_does_not_match_the_schema(tmp_path):
    text = edit(("    legal_basis: legal_obligation\n", "    legal_basis: tradition\n"))
    path = write(tmp_path, text)
    status, out, err = run(path)
    assert status == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert lines
    assert all(line.startswith("error TD001 ") for line in lines)
    assert f"{path}:{line_of(text, 'legal_basis: tradition')}: purposes.invoicing.legal_basis" in err


def test_it_reports_a_file_that_is_not_yaml(tmp_path):
    text = CLEAN.replace("languages: [en, nl]\n", "languages: [en, nl\n")
    path = write(tmp_path, text)
    status, out, err = run(path)
    assert status == 1
    assert out == ""
    assert err.startswith(f"error TD001 {path}:{line_of(text, 'languages:')}: ")
    assert len(err.strip().splitlines()) == 1


def test_it_reports_a_missing_file(tmp_path):
    path = str(tmp_path / "nowhere.yaml")
    status, _, err = run(path)
    assert status == 1
    assert err.startswith(f"error TD001 {path}: ")
    assert "no such file" in err


def test_it_reports_load_errors_as_json(tmp_path):
    text = edit(("    legal_basis: legal_obligation\n", "    legal_basis: tradition\n"))
    path = write(tmp_path, text)
    status, out, _ = run(path, "--json")
    assert status == 1
    problems = json.loads(out)
    assert problems
    assert {p["code"] for p in problems} == {"TD001"}
    assert {p["severity"] for p in problems} == {"error"}
    assert set(problems[0]) == {"code", "severity", "article", "message", "file", "line", "key"}
    assert problems[0]["file"] == path
    assert problems[0]["line"] == line_of(text, "legal_basis: tradition")
    assert problems[0]["key"] == "purposes.invoicing.legal_basis"


# --- the findings in the reader's language ----------------------------------------------------


def test_it_writes_its_findings_in_the_active_language():
    text = edit(
        ("    retention: {period: P2Y, from: end_of_contract, action: delete}\n", ""),
        ("name: {en: Hosting services, nl: Hostingdiensten}", "name: {en: Hosting services}"),
    )
    with translation.override("nl"):
        dutch = {f.code: f for f in lint(load(text))}
    with translation.override("en"):
        english = {f.code: f for f in lint(load(text))}
    assert sorted(dutch) == sorted(english) == ["TD120", "TD142"]
    assert dutch["TD120"].message == (
        "doel 'hosting': er is geen bewaartermijn ingesteld; vermeld retention.period (bijvoorbeeld P2Y), "
        "retention.from (de gebeurtenis waarop de termijn ingaat) en retention.action"
    )
    assert english["TD120"].message == (
        "purpose 'hosting': no retention is set; give retention.period (for example P2Y), "
        "retention.from (the event it runs from) and retention.action"
    )
    # the place of the text: its nouns in Dutch, its keys as the file writes them
    assert dutch["TD142"].message == (
        "doel 'hosting': name heeft geen tekst in de taal nl, waarin de verklaring wordt gepubliceerd"
    )
    assert (
        english["TD142"].message
        == "purpose 'hosting': name has no text in nl, which the statement is published in"
    )
    # the article as Dutch law is cited
    assert english["TD120"].article == "GDPR Art. 13(2)(a), 5(1)(e)"
    assert dutch["TD120"].article == "AVG art. 13 lid 2 onder a, 5 lid 1 onder e"
    assert (english["TD142"].article, dutch["TD142"].article) == ("GDPR Art. 12(1)", "AVG art. 12 lid 1")
    for code, finding in dutch.items():  # only the message and the article's citation change
        assert (finding.severity, finding.path, finding.line) == (
            english[code].severity,
            english[code].path,
            english[code].line,
        )


@pytest.mark.parametrize(
    ("article", "dutch"),
    [
        ("GDPR Art. 13(1)(c)", "AVG art. 13 lid 1 onder c"),
        ("GDPR Art. 6(1)", "AVG art. 6 lid 1"),
        ("GDPR Art. 13(1)(f), 44-49", "AVG art. 13 lid 1 onder f, 44-49"),
        ("GDPR Art. 21(2), 21(4)", "AVG art. 21 lid 2, 21 lid 4"),
        ("GDPR Art. 9, 10", "AVG art. 9, 10"),
        ("GDPR Art. 17, 5(1)(e)", "AVG art. 17, 5 lid 1 onder e"),
        (
            "ePrivacy Art. 5(3); GDPR Art. 13(1)(c)",
            "e-Privacyrichtlijn art. 5 lid 3; AVG art. 13 lid 1 onder c",
        ),
        ("Acceptable use policy", "Beleid voor aanvaardbaar gebruik"),
    ],
)
def test_it_cites_each_article_as_the_reader_s_language_cites_law(article: str, dutch: str) -> None:
    with translation.override("nl"):
        assert cite(article) == dutch
    with translation.override("en"):
        assert cite(article) == article


def test_it_cites_every_rule_s_article_in_dutch_without_the_english_form() -> None:
    articles = {item.article for item in RULES} | {check.article for check in CHECKS}
    with translation.override("nl"):
        cited = {cite(article) for article in articles}
    assert not [c for c in cited if "GDPR" in c or "Art." in c or re.search(r"\d\(", c)]


def test_it_joins_several_bases_in_the_active_language():
    text = edit(
        (
            "    data_use: essential.service\n    legal_basis: contract\n",
            "    data_use: essential.service\n    legal_basis: [contract, legal_obligation]\n",
        )
    )
    with translation.override("nl"):
        (finding,) = [f for f in lint(load(text)) if f.code == "TD111"]
    assert finding.message.startswith("doel 'hosting': berust op 'contract' en 'legal_obligation'; ")


def test_it_prints_english_on_the_command_line_whatever_the_default_language(tmp_path, settings):
    settings.LANGUAGE_CODE = "nl"
    text = edit(("    retention: {period: P2Y, from: end_of_contract, action: delete}\n", ""))
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("policy", "lint", write(tmp_path, text), stdout=out, stderr=io.StringIO())
    assert "purpose 'hosting': no retention is set; give retention.period" in out.getvalue()
    assert "[GDPR Art. 13(2)(a), 5(1)(e)]" in out.getvalue()
    assert "bewaartermijn" not in out.getvalue() and "AVG" not in out.getvalue()
