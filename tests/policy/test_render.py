"""The privacy statement rendered from a policy, in English and Dutch, as HTML and Markdown."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest

from trustdesk.policy.loader import load_file, load_text
from trustdesk.policy.render import escape_markdown, render_document, render_statement
from trustdesk.policy.schema import Policy
from trustdesk.policy.wording import has_name, term_name, used_keys

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"

POLICY = """
format: 1
languages: [en, nl]
controller:
  legal_name: Voorbeeld Hosting BV
  trade_name: Voorbeeld
  company_number: BE 0123.456.789
  address: |
    Kerkstraat 12
    9000 Gent
  country: BE
  email: privacy@voorbeeld.be
  phone: +32 9 123 45 67
  website: https://www.voorbeeld.be
  dpo:
    name: An Peeters
    email: dpo@voorbeeld.be
statement:
  title: {en: Privacy statement, nl: Privacyverklaring}
  introduction:
    en: Voorbeeld hosts websites and mail for small businesses.
    nl: Voorbeeld host websites en e-mail voor kleine ondernemingen.
  changes:
    en: We announce changes by e-mail to our customers one month in advance.
    nl: Wijzigingen kondigen wij een maand vooraf per e-mail aan onze klanten aan.
taxonomy:
  data_subjects:
    contact_person:
      parent: customer
      name: {en: Contact person, nl: Contactpersoon}
purposes:
  invoicing:
    name: {en: Invoicing, nl: Facturatie}
    data_use: essential.service.payment_processing
    legal_basis: [contract, legal_obligation]
    data_subjects: [customer]
    data_categories: [user.name, user.contact.address, user.contact.email, user.financial.bank_account]
    required_categories: [user.name, user.contact.address]
    requirement: needed_for_contract
    consequence:
      en: We cannot deliver the service.
      nl: Wij kunnen de dienst niet leveren.
    recipients: [accountant, registry]
    retention:
      period: P7Y
      from: end_of_fiscal_year_of_invoice
      legal_reason:
        en: article III.86 of the Belgian Code of Economic Law
        nl: artikel III.86 van het Wetboek van economisch recht
  newsletter:
    name: {en: Newsletter, nl: Nieuwsbrief}
    data_use: marketing.communications.email
    legal_basis: consent
    consent:
      withdrawal:
        en: use the unsubscribe link at the bottom of every newsletter.
        nl: gebruik de afmeldlink onderaan elke nieuwsbrief.
    data_subjects: [customer, contact_person]
    data_categories: [user.contact.email, user.name.first]
    requirement: optional
    retention:
      period: P6M
      from: consent_withdrawal
      action: anonymise
  security:
    name: {en: Preventing abuse, nl: Misbruik voorkomen}
    data_use: essential.service.security
    legal_basis: legitimate_interests
    legitimate_interest:
      en: keeping our network and our customers safe from attacks.
      nl: ons netwerk en onze klanten beschermen tegen aanvallen.
    data_subjects: [visitor, customer]
    data_categories: [user.device.ip_address, user.contact.organization]
    sources:
      - kind: data_subject
      - kind: third_party
        name: {en: Spamhaus blocklists, nl: blokkeerlijsten van Spamhaus}
        data_categories: [user.device.ip_address]
    recipients: [mailer]
    retention:
      period: P2Y
      from: collection
recipients:
  accountant:
    name: Boekhouding Janssens
    role: processor
    country: BE
    description: {en: keeps our accounts, nl: voert onze boekhouding}
    agreement: {date: 2024-01-15, reference: DPA-7}
  registry:
    name: DNS Belgium
    role: registry
    country: BE
    description: {en: registers .be domain names, nl: registreert .be-domeinnamen}
    public_disclosure:
      en: the registrant's name appears in the public WHOIS of the .be registry.
      nl: de naam van de houder staat in de openbare WHOIS van het .be-register.
  mailer:
    name: Postmark Inc.
    role: processor
    country: US
    description: {en: sends our e-mail, nl: verstuurt onze e-mail}
    transfer:
      safeguard: standard_contractual_clauses
security:
  lockout: {attempts: 5, duration: PT15M}
  two_factor: {staff: required, customers: optional}
  measures:
    - {en: Encrypted connections (TLS) everywhere, nl: Overal versleutelde verbindingen (TLS)}
rights:
  contact: {email: rights@voorbeeld.be, postal: true}
  complaint_business_days: 30
  invite_contact_first: true
  identity: {id_document: check_and_discard}
cookies:
  - name: sessionid
    purpose: strictly_necessary
    description: {en: keeps you signed in, nl: houdt u ingelogd}
    expiry: session
  - name: lang
    purpose: strictly_necessary
    description: {en: remembers your language, nl: onthoudt uw taal}
    expiry: P1Y
web_logs:
  purpose: security
  retention: P2Y
  fields: [domain, path, user_agent, ip_address]
  ip_storage: hmac
customer_content:
  role: processor
  virus_scanning: true
  processor_agreement: on_request
"""

DATES = {"effective": dt.date(2026, 6, 5), "published": dt.date(2026, 6, 1)}


def policy(text: str = POLICY) -> Policy:
    return load_text(text, "test.yaml").policy


def text_of(markup: str) -> str:
    """The HTML's text, with tags dropped and whitespace collapsed, for sentence checks."""
    inline = re.sub(r"</?(?:a|time|strong|code)\b[^>]*>", "", markup)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], str]:
    loaded = policy()
    return {
        (lang, fmt): render_statement(loaded, lang, fmt, **DATES)
        for lang in ("en", "nl")
        for fmt in ("html", "md")
    }


def test_it_starts_the_html_with_an_article(rendered):
    for lang in ("en", "nl"):
        assert rendered[(lang, "html")].startswith("<article")
        assert "<html" not in rendered[(lang, "html")]
        assert "<style" not in rendered[(lang, "html")]
        assert "style=" not in rendered[(lang, "html")]


def test_it_names_the_controller_with_address(rendered):
    for lang in ("en", "nl"):
        text = text_of(rendered[(lang, "html")])
        assert "Voorbeeld Hosting BV" in text
        assert "Kerkstraat 12" in text
        assert "9000 Gent" in text
        assert "BE 0123.456.789" in text
        assert "privacy@voorbeeld.be" in text
        assert "dpo@voorbeeld.be" in text
    assert "Ondernemingsnummer: BE 0123.456.789" in text_of(rendered[("nl", "html")])
    assert "Belgium" in text_of(rendered[("en", "html")])
    assert "België" in text_of(rendered[("nl", "html")])


def test_it_gives_each_purpose_its_legal_basis_with_the_article(rendered):
    en = text_of(rendered[("en", "html")])
    nl = text_of(rendered[("nl", "html")])
    assert "Performance of a contract (Art. 6(1)(b) GDPR)" in en
    assert "Legal obligation (Art. 6(1)(c) GDPR)" in en
    assert "Consent (Art. 6(1)(a) GDPR)" in en
    assert "Legitimate interests (Art. 6(1)(f) GDPR)" in en
    assert "Uitvoering van een overeenkomst (art. 6, lid 1, onder b, AVG)" in nl
    assert "Toestemming (art. 6, lid 1, onder a, AVG)" in nl
    assert "Gerechtvaardigd belang (art. 6, lid 1, onder f, AVG)" in nl
    assert "Keeping our network and our customers safe from attacks." in en
    assert "Ons netwerk en onze klanten beschermen tegen aanvallen." in nl


def test_it_writes_retention_in_words(rendered):
    en = text_of(rendered[("en", "html")])
    nl = text_of(rendered[("nl", "html")])
    assert "seven years after the end of the fiscal year of the invoice" in en
    assert "zeven jaar na het einde van het boekjaar van de factuur" in nl
    assert "Article III.86 of the Belgian Code of Economic Law" in en
    assert "Artikel III.86 van het Wetboek van economisch recht" in nl
    assert "six months after you withdraw your consent" in en
    assert "zes maanden nadat u uw toestemming hebt ingetrokken" in nl
    assert "Then we anonymise it" in en
    assert "Daarna anonimiseren wij ze" in nl


def test_it_names_recipients_with_country_and_transfer_safeguard(rendered):
    en = text_of(rendered[("en", "html")])
    nl = text_of(rendered[("nl", "html")])
    for text in (en, nl):
        assert "Boekhouding Janssens" in text
        assert "DNS Belgium" in text
        assert "Postmark Inc." in text
    assert "the United States" in en
    assert "de Verenigde Staten" in nl
    assert "standard data protection clauses (Art. 46(2)(c) GDPR)" in en
    assert "modelcontractbepalingen (art. 46, lid 2, onder c, AVG)" in nl
    assert "public WHOIS of the .be registry" in en
    assert "openbare WHOIS van het .be-register" in nl


def test_it_names_third_party_sources(rendered):
    assert "Spamhaus blocklists: IP address" in text_of(rendered[("en", "html")])
    assert "blokkeerlijsten van Spamhaus: IP-adres" in text_of(rendered[("nl", "html")])


def test_it_gives_the_authority_and_invites_contact_first(rendered):
    en = text_of(rendered[("en", "html")])
    nl = text_of(rendered[("nl", "html")])
    for text in (en, nl):
        assert "Drukpersstraat 35" in text
        assert "1000 Brussel" in text
        assert "contact@apd-gba.be" in text
    assert "Gegevensbeschermingsautoriteit (GBA)" in nl
    assert "please contact us first" in en
    assert "neem dan eerst contact met ons op" in nl
    assert "within 30 business days" in en
    assert "binnen 30 werkdagen" in nl


def test_it_explains_how_to_withdraw_consent(rendered):
    en = text_of(rendered[("en", "html")])
    nl = text_of(rendered[("nl", "html")])
    assert "You can withdraw your consent at any time, as easily as you gave it. Use the unsubscribe" in en
    assert "U kunt uw toestemming altijd intrekken, even gemakkelijk als u ze gaf. Gebruik de afmeld" in nl


def test_it_says_there_is_no_automated_decision_making(rendered):
    assert "We do not use automated decision-making or profiling." in text_of(rendered[("en", "html")])
    assert "Wij maken geen gebruik van geautomatiseerde besluitvorming of profilering." in text_of(
        rendered[("nl", "html")]
    )


def test_it_lists_every_right(rendered):
    en = text_of(rendered[("en", "html")])
    nl = text_of(rendered[("nl", "html")])
    for word in (
        "Access",
        "Rectification",
        "Erasure",
        "Restriction",
        "Objection",
        "Data portability",
        "Withdrawing consent",
        "Automated decisions",
        "direct marketing",
    ):
        assert word in en
    for word in (
        "Inzage",
        "Rectificatie",
        "Wissing",
        "Beperking",
        "Bezwaar",
        "Overdraagbaarheid",
        "Intrekken van toestemming",
        "Geautomatiseerde besluiten",
        "direct marketing",
    ):
        assert word in nl
    assert "within one month" in en
    assert "binnen één maand" in nl
    assert "available for seven days" in en
    assert "zeven dagen" in nl
    assert "we check it and do not keep a copy" in en


def test_it_covers_security_cookies_logs_and_customer_content(rendered):
    en = text_of(rendered[("en", "html")])
    nl = text_of(rendered[("nl", "html")])
    assert "After 5 incorrect log-in attempts, we block the account for 15 minutes." in en
    assert "Na 5 mislukte inlogpogingen blokkeren wij het account gedurende 15 minuten." in nl
    assert "sessionid" in en
    assert "after one year" in en
    assert "na één jaar" in nl
    assert "keep them for two years" in en
    assert "keyed pseudonym" in en
    assert "we are your processor" in en
    assert "verwerkersovereenkomst" in nl


def test_it_dates_the_version_in_each_language(rendered):
    assert "This statement applies from 5 June 2026; last modified 1 June 2026." in text_of(
        rendered[("en", "html")]
    )
    assert "Deze verklaring geldt vanaf 5 juni 2026; laatst gewijzigd op 1 juni 2026." in text_of(
        rendered[("nl", "html")]
    )
    assert "We announce changes by e-mail" in rendered[("en", "html")]


def test_it_writes_markdown(rendered):
    en = rendered[("en", "md")]
    nl = rendered[("nl", "md")]
    assert en.startswith("# Privacy statement\n")
    assert nl.startswith("# Privacyverklaring\n")
    assert "<" not in en.replace("\\<", "")
    assert "| Invoicing |" in en or "| [Invoicing]" in en
    assert "seven years after the end of the fiscal year of the invoice" in en
    assert "zeven jaar na het einde van het boekjaar van de factuur" in nl
    assert "\n\n\n" not in en
    assert "We do not use automated decision-making or profiling." in en


def test_it_escapes_the_controllers_name_in_html_and_markdown():
    hostile = POLICY.replace(
        "legal_name: Voorbeeld Hosting BV", 'legal_name: "<script>alert(1)</script> *BV*"'
    )
    loaded = policy(hostile)
    for lang in ("en", "nl"):
        out = render_statement(loaded, lang, "html")
        assert "<script>" not in out
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
        md = render_statement(loaded, lang, "md")
        assert "\\<script\\>alert(1)\\</script\\> \\*BV\\*" in md
    assert escape_markdown("a_b [c](d) | e") == "a\\_b \\[c\\](d) \\| e"


def test_it_renders_a_complete_document():
    loaded = policy()
    for lang in ("en", "nl"):
        document = render_document(loaded, lang, **DATES)
        assert document.startswith("<!DOCTYPE html>")
        assert f'<html lang="{lang}">' in document
        assert '<meta charset="utf-8">' in document
        assert "<title>" in document
        assert "<article" in document
        assert document.rstrip().endswith("</html>")
        assert "<style" not in document and "style=" not in document and "<script" not in document
    assert render_document(loaded, "en", "md") == render_statement(loaded, "en", "md")


def test_it_falls_back_to_english_names_for_unknown_dutch_terms():
    loaded = policy()
    assert term_name(loaded, "data_categories", "user.contact.email", "nl") == "E-mailadres"
    assert term_name(loaded, "data_subjects", "contact_person", "nl") == "Contactpersoon"
    assert term_name(loaded, "data_categories", "user.biometric.retinal", "nl") == "Retina Scan"


def test_it_refuses_an_unknown_language():
    with pytest.raises(ValueError):
        render_statement(policy(), "fr", "html")


def test_it_has_a_dutch_name_for_every_key_the_example_policies_use():
    missing: list[str] = []
    for path in sorted(EXAMPLES.glob("*.yaml")) + sorted(EXAMPLES.glob("*.yml")):
        loaded = load_file(path).policy
        for kind, keys in used_keys(loaded).items():
            missing += [
                f"{path.name}: {kind} {key}" for key in sorted(keys) if not has_name(loaded, kind, key, "nl")
            ]
    assert not missing, "keys without a Dutch name:\n" + "\n".join(missing)


def test_it_renders_every_example_policy_in_both_languages():
    for path in sorted(EXAMPLES.glob("*.yaml")) + sorted(EXAMPLES.glob("*.yml")):
        loaded = load_file(path).policy
        for lang in ("en", "nl"):
            for fmt in ("html", "md"):
                assert render_statement(loaded, lang, fmt, **DATES).strip()
