"""The words of the privacy statement that the templates share: phrase tables per language.

Each table maps a schema value (a legal basis, a start event, a recipient role, a
taxonomy key) to the words a careful writer would use in English and in Dutch.
The sentences around them live in the templates under
``templates/policy/statement/``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from trustdesk.policy.schema import (
    IpStorage,
    LegalBasis,
    Policy,
    RecipientRole,
    Requirement,
    RetentionAction,
    Safeguard,
    SourceKind,
    StartEvent,
)
from trustdesk.policy.taxonomy import fideslang_terms

LANGUAGES = ("en", "nl")

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
}


def format_date(date: dt.date, lang: str) -> str:
    """'7 June 2018' / '7 juni 2018'."""
    return f"{date.day} {MONTHS[lang][date.month - 1]} {date.year}"


def join_words(items: list[str], lang: str) -> str:
    """'a, b and c' / 'a, b en c'."""
    items = [item for item in items if item]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    conjunction = " and " if lang == "en" else " en "
    return ", ".join(items[:-1]) + conjunction + items[-1]


def law_name(policy: Policy, lang: str) -> str:
    """The GDPR as the statement cites it: 'GDPR', 'UK GDPR' or 'AVG'."""
    if policy.controller.country == "GB":
        return "UK GDPR"
    return "GDPR" if lang == "en" else "AVG"


# --- legal bases (Art. 6(1)) ------------------------------------------------------------------

LEGAL_BASES: dict[str, dict[LegalBasis, str]] = {
    "en": {
        LegalBasis.CONSENT: "Consent",
        LegalBasis.CONTRACT: "Performance of a contract",
        LegalBasis.LEGAL_OBLIGATION: "Legal obligation",
        LegalBasis.VITAL_INTERESTS: "Vital interests",
        LegalBasis.PUBLIC_TASK: "Task in the public interest",
        LegalBasis.LEGITIMATE_INTERESTS: "Legitimate interests",
    },
    "nl": {
        LegalBasis.CONSENT: "Toestemming",
        LegalBasis.CONTRACT: "Uitvoering van een overeenkomst",
        LegalBasis.LEGAL_OBLIGATION: "Wettelijke verplichting",
        LegalBasis.VITAL_INTERESTS: "Vitale belangen",
        LegalBasis.PUBLIC_TASK: "Taak van algemeen belang",
        LegalBasis.LEGITIMATE_INTERESTS: "Gerechtvaardigd belang",
    },
}

#: What each basis means, for the explanation under the purposes table.
LEGAL_BASIS_EXPLANATIONS: dict[str, dict[LegalBasis, str]] = {
    "en": {
        LegalBasis.CONSENT: "you have given your consent for this purpose",
        LegalBasis.CONTRACT: "the processing is necessary to perform a contract with you, "
        "or to take steps at your request before entering into one",
        LegalBasis.LEGAL_OBLIGATION: "the processing is necessary to comply with a legal obligation",
        LegalBasis.VITAL_INTERESTS: "the processing is necessary to protect someone's life or health",
        LegalBasis.PUBLIC_TASK: "the processing is necessary for a task carried out in the public interest",
        LegalBasis.LEGITIMATE_INTERESTS: "the processing is necessary for a legitimate interest of ours "
        "or of a third party, and your interests do not outweigh it",
    },
    "nl": {
        LegalBasis.CONSENT: "u hebt voor dit doel uw toestemming gegeven",
        LegalBasis.CONTRACT: "de verwerking is nodig om een overeenkomst met u uit te voeren, "
        "of om op uw verzoek maatregelen te nemen voordat u die overeenkomst sluit",
        LegalBasis.LEGAL_OBLIGATION: "de verwerking is nodig om te voldoen aan een wettelijke verplichting",
        LegalBasis.VITAL_INTERESTS: "de verwerking is nodig om iemands leven of gezondheid te beschermen",
        LegalBasis.PUBLIC_TASK: "de verwerking is nodig voor een taak van algemeen belang",
        LegalBasis.LEGITIMATE_INTERESTS: "de verwerking is nodig voor een gerechtvaardigd belang van ons "
        "of van een derde, en uw belangen wegen niet zwaarder",
    },
}


def basis_article(basis: LegalBasis, policy: Policy, lang: str) -> str:
    """'Art. 6(1)(a) GDPR' / 'art. 6 lid 1 onder a AVG'."""
    law = law_name(policy, lang)
    if lang == "nl":
        return f"art. 6 lid 1 onder {basis.letter} {law}"
    return f"{basis.article} {law}"


# --- retention --------------------------------------------------------------------------------

#: The event a retention period runs from, as it follows 'seven years after ...'.
START_EVENTS: dict[str, dict[StartEvent, str]] = {
    "en": {
        StartEvent.COLLECTION: "after collection",
        StartEvent.LAST_ACTIVITY: "after your last activity",
        StartEvent.END_OF_CONTRACT: "after the end of the contract",
        StartEvent.END_OF_SERVICE: "after the end of the service",
        StartEvent.END_OF_FISCAL_YEAR: "after the end of the fiscal year of the invoice",
        StartEvent.CERTIFICATE_EXPIRY: "after the certificate expires",
        StartEvent.CONSENT_WITHDRAWAL: "after you withdraw your consent",
        StartEvent.CASE_CLOSED: "after the case is closed",
    },
    "nl": {
        StartEvent.COLLECTION: "na het verzamelen",
        StartEvent.LAST_ACTIVITY: "na uw laatste activiteit",
        StartEvent.END_OF_CONTRACT: "na het einde van de overeenkomst",
        StartEvent.END_OF_SERVICE: "na het einde van de dienst",
        StartEvent.END_OF_FISCAL_YEAR: "na het einde van het boekjaar van de factuur",
        StartEvent.CERTIFICATE_EXPIRY: "na het verlopen van het certificaat",
        StartEvent.CONSENT_WITHDRAWAL: "nadat u uw toestemming hebt ingetrokken",
        StartEvent.CASE_CLOSED: "na het afsluiten van het dossier",
    },
}

#: What happens at the end of the period, as a sentence.
RETENTION_ACTIONS: dict[str, dict[RetentionAction, str]] = {
    "en": {
        RetentionAction.DELETE: "Then we delete it.",
        RetentionAction.ANONYMISE: "Then we anonymise it: what remains can no longer be linked to you.",
        RetentionAction.PSEUDONYMISE: "Then we pseudonymise it: we replace what identifies you by a keyed "
        "pseudonym, so that it can no longer be linked to you without a separately kept key.",
    },
    "nl": {
        RetentionAction.DELETE: "Daarna verwijderen wij ze.",
        RetentionAction.ANONYMISE: "Daarna anonimiseren wij ze: wat overblijft, is niet meer aan u "
        "te koppelen.",
        RetentionAction.PSEUDONYMISE: "Daarna pseudonimiseren wij ze: wat u identificeert, vervangen wij "
        "door een pseudoniem met een sleutel, zodat de gegevens zonder die apart bewaarde sleutel niet meer "
        "aan u te koppelen zijn.",
    },
}

#: The action in a few words, for a table cell.
RETENTION_ACTIONS_SHORT: dict[str, dict[RetentionAction, str]] = {
    "en": {
        RetentionAction.DELETE: "then deleted",
        RetentionAction.ANONYMISE: "then anonymised",
        RetentionAction.PSEUDONYMISE: "then pseudonymised",
    },
    "nl": {
        RetentionAction.DELETE: "daarna verwijderd",
        RetentionAction.ANONYMISE: "daarna geanonimiseerd",
        RetentionAction.PSEUDONYMISE: "daarna gepseudonimiseerd",
    },
}

# --- Art. 13(2)(e): why the person provides the data -----------------------------------------

REQUIREMENTS: dict[str, dict[Requirement, str]] = {
    "en": {
        Requirement.STATUTORY: "The law requires you to provide this data.",
        Requirement.CONTRACTUAL: "Providing this data is a requirement of our contract with you.",
        Requirement.NEEDED_FOR_CONTRACT: "You need to provide this data to enter into a contract with us.",
        Requirement.OPTIONAL: "Providing this data is optional.",
    },
    "nl": {
        Requirement.STATUTORY: "De wet verplicht u deze gegevens te verstrekken.",
        Requirement.CONTRACTUAL: "Het verstrekken van deze gegevens is een verplichting uit onze "
        "overeenkomst met u.",
        Requirement.NEEDED_FOR_CONTRACT: "U moet deze gegevens verstrekken om een overeenkomst met ons te "
        "sluiten.",
        Requirement.OPTIONAL: "Het verstrekken van deze gegevens is niet verplicht.",
    },
}

# --- sources (Art. 14) ------------------------------------------------------------------------

SOURCE_KINDS: dict[str, dict[SourceKind, str]] = {
    "en": {
        SourceKind.DATA_SUBJECT: "you",
        SourceKind.ORGANISATION: "your organisation",
        SourceKind.THIRD_PARTY: "a third party",
        SourceKind.PUBLIC: "a publicly accessible source",
        SourceKind.OBSERVED: "our records of how you use our services",
    },
    "nl": {
        SourceKind.DATA_SUBJECT: "uzelf",
        SourceKind.ORGANISATION: "uw organisatie",
        SourceKind.THIRD_PARTY: "een derde",
        SourceKind.PUBLIC: "een openbare bron",
        SourceKind.OBSERVED: "onze registratie van uw gebruik van onze diensten",
    },
}

#: The channels through which data reaches us (P0.1), in the order a statement lists them, each as a
#: preposition and what follows it: consecutive channels with the same preposition share it
#: ('through our website, by e-mail, phone or fax').
CHANNELS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "website": ("through", "our website"),
        "portal": ("through", "our customer portal"),
        "api": ("through", "our programming interface (API)"),
        "import": ("through", "a file import"),
        "email": ("by", "e-mail"),
        "phone": ("by", "phone"),
        "fax": ("by", "fax"),
        "letter": ("by", "post"),
        "in_person": ("", "in person"),
    },
    "nl": {
        "website": ("via", "onze website"),
        "portal": ("via", "ons klantenportaal"),
        "api": ("via", "onze programmeerinterface (API)"),
        "import": ("via", "een bestandsimport"),
        "email": ("per", "e-mail"),
        "phone": ("per", "telefoon"),
        "fax": ("per", "fax"),
        "letter": ("per", "post"),
        "in_person": ("", "persoonlijk"),
    },
}


def join_channels(channels: Collection[str], lang: str) -> str:
    """'through our website, by e-mail, phone or fax' / 'via onze website, per e-mail, telefoon of fax'."""
    table = CHANNELS[lang]
    items: list[str] = []
    previous = None
    for channel in [c for c in table if c in channels]:
        preposition, words = table[channel]
        if preposition and preposition != previous:
            items.append(f"{preposition} {words}")
        else:
            items.append(words)
        previous = preposition
    if len(items) < 2:
        return "".join(items)
    conjunction = " or " if lang == "en" else " of "
    return ", ".join(items[:-1]) + conjunction + items[-1]


# --- recipients and transfers -----------------------------------------------------------------

RECIPIENT_ROLES: dict[str, dict[RecipientRole, str]] = {
    "en": {
        RecipientRole.PROCESSOR: "processor (acts on our instructions)",
        RecipientRole.SUB_PROCESSOR: "sub-processor (acts on our instructions)",
        RecipientRole.CONTROLLER: "independent controller",
        RecipientRole.JOINT_CONTROLLER: "joint controller with us",
        RecipientRole.REGISTRY: "domain name registry",
        RecipientRole.PUBLIC_AUTHORITY: "public authority",
    },
    "nl": {
        RecipientRole.PROCESSOR: "verwerker (handelt in onze opdracht)",
        RecipientRole.SUB_PROCESSOR: "subverwerker (handelt in onze opdracht)",
        RecipientRole.CONTROLLER: "zelfstandige verwerkingsverantwoordelijke",
        RecipientRole.JOINT_CONTROLLER: "gezamenlijke verwerkingsverantwoordelijke met ons",
        RecipientRole.REGISTRY: "domeinnaamregister",
        RecipientRole.PUBLIC_AUTHORITY: "overheidsinstantie",
    },
}

#: The event on which we ask a recipient to delete the data (P4.2), as it opens the sentence
#: '..., we ask <recipient> to delete your data'.
ERASURE_EVENTS: dict[str, dict[StartEvent, str]] = {
    "en": {
        StartEvent.COLLECTION: "as soon as your data has served its purpose",
        StartEvent.LAST_ACTIVITY: "when you no longer use our services",
        StartEvent.END_OF_CONTRACT: "when your contract with us ends",
        StartEvent.END_OF_SERVICE: "when your service ends",
        StartEvent.END_OF_FISCAL_YEAR: "when the fiscal year of the invoice has ended",
        StartEvent.CERTIFICATE_EXPIRY: "when your certificate expires without being renewed",
        StartEvent.CONSENT_WITHDRAWAL: "when you withdraw your consent",
        StartEvent.CASE_CLOSED: "when the case is closed",
    },
    "nl": {
        StartEvent.COLLECTION: "zodra uw gegevens hun doel hebben gediend",
        StartEvent.LAST_ACTIVITY: "wanneer u onze diensten niet meer gebruikt",
        StartEvent.END_OF_CONTRACT: "wanneer uw overeenkomst met ons eindigt",
        StartEvent.END_OF_SERVICE: "wanneer uw dienst eindigt",
        StartEvent.END_OF_FISCAL_YEAR: "wanneer het boekjaar van de factuur is afgelopen",
        StartEvent.CERTIFICATE_EXPIRY: "wanneer uw certificaat verloopt zonder dat het wordt verlengd",
        StartEvent.CONSENT_WITHDRAWAL: "wanneer u uw toestemming intrekt",
        StartEvent.CASE_CLOSED: "wanneer het dossier is afgesloten",
    },
}

SAFEGUARDS: dict[str, dict[Safeguard, str]] = {
    "en": {
        Safeguard.ADEQUACY: "an adequacy decision (Art. 45 {law})",
        Safeguard.STANDARD_CONTRACTUAL_CLAUSES: "standard data protection clauses (Art. 46(2)(c) {law})",
        Safeguard.BINDING_CORPORATE_RULES: "binding corporate rules (Art. 47 {law})",
        Safeguard.DEROGATION: "a derogation for a specific situation (Art. 49 {law})",
    },
    "nl": {
        Safeguard.ADEQUACY: "een adequaatheidsbesluit (art. 45 {law})",
        Safeguard.STANDARD_CONTRACTUAL_CLAUSES: "modelcontractbepalingen (art. 46 lid 2 onder c {law})",
        Safeguard.BINDING_CORPORATE_RULES: "bindende bedrijfsvoorschriften (art. 47 {law})",
        Safeguard.DEROGATION: "een afwijking voor een specifieke situatie (art. 49 {law})",
    },
}

# --- security ---------------------------------------------------------------------------------

#: How often backups are made, as it stands before 'backups' ('daily backups' / 'dagelijks').
BACKUP_FREQUENCIES: dict[str, dict[str, str]] = {
    "en": {"hourly": "hourly", "daily": "daily", "weekly": "weekly"},
    "nl": {"hourly": "elk uur", "daily": "dagelijks", "weekly": "wekelijks"},
}

_NUMBER_WORDS = {
    "en": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"],
    "nl": ["nul", "één", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien"],
}


def number_words(value: int, lang: str) -> str:
    """A small count in words ('three' / 'drie'), a larger one in digits."""
    words = _NUMBER_WORDS[lang]
    return words[value] if 0 <= value < len(words) else str(value)


# --- web logs ---------------------------------------------------------------------------------

LOG_FIELDS: dict[str, dict[str, str]] = {
    "en": {
        "domain": "the domain name",
        "path": "the page or file requested",
        "user_agent": "the browser identification",
        "ip_address": "the visitor's IP address",
        "referrer": "the referring page",
        "status": "the result of the request",
        "bytes": "the amount of data sent",
    },
    "nl": {
        "domain": "de domeinnaam",
        "path": "de opgevraagde pagina of het opgevraagde bestand",
        "user_agent": "de browseridentificatie",
        "ip_address": "het IP-adres van de bezoeker",
        "referrer": "de verwijzende pagina",
        "status": "het resultaat van het verzoek",
        "bytes": "de hoeveelheid verzonden gegevens",
    },
}

IP_STORAGE: dict[str, dict[IpStorage, str]] = {
    "en": {
        IpStorage.HMAC: "We do not store IP addresses as they are, but as a keyed pseudonym (a keyed hash). "
        "Without the key, which we keep separately and can destroy, the address cannot be recovered from it.",
        IpStorage.AES_SIV: "We do not store IP addresses as they are, but encrypted with a key that we keep "
        "separately. Only with that key can the address be recovered.",
        IpStorage.TRUNCATE: "We shorten IP addresses before we store them (the last part is removed), so "
        "that they no longer point to a single connection.",
        IpStorage.RAW: "We store IP addresses as they are.",
    },
    "nl": {
        IpStorage.HMAC: "Wij bewaren IP-adressen niet zoals ze zijn, maar als pseudoniem met een sleutel "
        "(een hash met sleutel). Zonder die sleutel, die wij apart bewaren en kunnen vernietigen, is het "
        "adres er niet uit af te leiden.",
        IpStorage.AES_SIV: "Wij bewaren IP-adressen niet zoals ze zijn, maar versleuteld met een sleutel die "
        "wij apart bewaren. Alleen met die sleutel is het adres te herstellen.",
        IpStorage.TRUNCATE: "Wij korten IP-adressen in voordat wij ze bewaren (het laatste deel wordt "
        "weggelaten), zodat ze niet meer naar één enkele verbinding wijzen.",
        IpStorage.RAW: "Wij bewaren IP-adressen zoals ze zijn.",
    },
}

# --- the taxonomy -----------------------------------------------------------------------------

#: Data categories. English names replace fideslang's where fideslang's read badly in a statement.
DATA_CATEGORIES: dict[str, dict[str, str]] = {
    "en": {
        "system": "System data",
        "system.authentication": "Authentication data of our systems",
        "system.operations": "Operational data of our systems",
        "user": "Personal data",
        "user.account": "Account details",
        "user.account.settings": "Account settings",
        "user.account.username": "User name",
        "user.authorization": "Log-in credentials and permissions",
        "user.authorization.credentials": "Log-in credentials",
        "user.authorization.password": "Password",
        "user.authorization.biometric": "Biometric credentials",
        "user.behavior": "Observed behaviour",
        "user.behavior.browsing_history": "Browsing history",
        "user.behavior.media_consumption": "Media consumption",
        "user.behavior.purchase_history": "Purchase history",
        "user.behavior.search_history": "Search history",
        "user.contact": "Contact details",
        "user.contact.address": "Postal address",
        "user.contact.address.city": "City",
        "user.contact.address.country": "Country",
        "user.contact.address.postal_code": "Postal code",
        "user.contact.address.state": "State or province",
        "user.contact.address.street": "Street and number",
        "user.contact.email": "E-mail address",
        "user.contact.phone_number": "Telephone number",
        "user.contact.fax_number": "Fax number",
        "user.contact.url": "Website address",
        "user.contact.organization": "Organisation",
        "user.content": "Content you provide",
        "user.content.private": "Private content",
        "user.content.public": "Public content",
        "user.content.self_image": "Photo of yourself",
        "user.demographic.language": "Language",
        "user.demographic.date_of_birth": "Date of birth",
        "user.device": "Device data",
        "user.device.cookie": "Cookies",
        "user.device.cookie_id": "Cookie identifier",
        "user.device.device_id": "Device identifier",
        "user.device.ip_address": "IP address",
        "user.financial": "Financial data",
        "user.financial.bank_account": "Bank account number",
        "user.financial.credit_card": "Payment card number",
        "user.payment": "Payment data",
        "user.name": "Name",
        "user.name.first": "First name",
        "user.name.last": "Last name",
        "user.unique_id": "Unique identifier",
        "user.unique_id.pseudonymous": "Pseudonymous identifier",
        "user.workplace": "Workplace",
        "user.job_title": "Job title",
        "user.privacy_preferences": "Privacy preferences",
        "user.government_id": "Government identification",
        "user.location.imprecise": "Approximate location",
        "user.telemetry": "Usage measurements",
    },
    "nl": {
        "system": "Systeemgegevens",
        "system.authentication": "Authenticatiegegevens van onze systemen",
        "system.operations": "Operationele gegevens van onze systemen",
        "user": "Persoonsgegevens",
        "user.account": "Accountgegevens",
        "user.account.settings": "Accountinstellingen",
        "user.account.username": "Gebruikersnaam",
        "user.authorization": "Inloggegevens en rechten",
        "user.authorization.credentials": "Inloggegevens",
        "user.authorization.password": "Wachtwoord",
        "user.authorization.biometric": "Biometrische inloggegevens",
        "user.behavior": "Waargenomen gedrag",
        "user.behavior.browsing_history": "Surfgedrag",
        "user.behavior.media_consumption": "Mediagebruik",
        "user.behavior.purchase_history": "Aankoopgeschiedenis",
        "user.behavior.search_history": "Zoekgeschiedenis",
        "user.contact": "Contactgegevens",
        "user.contact.address": "Postadres",
        "user.contact.address.city": "Woonplaats",
        "user.contact.address.country": "Land",
        "user.contact.address.postal_code": "Postcode",
        "user.contact.address.state": "Provincie of deelstaat",
        "user.contact.address.street": "Straat en huisnummer",
        "user.contact.email": "E-mailadres",
        "user.contact.phone_number": "Telefoonnummer",
        "user.contact.fax_number": "Faxnummer",
        "user.contact.url": "Websiteadres",
        "user.contact.organization": "Organisatie",
        "user.content": "Inhoud die u aanlevert",
        "user.content.private": "Niet-openbare inhoud",
        "user.content.public": "Openbare inhoud",
        "user.content.self_image": "Foto van uzelf",
        "user.demographic": "Demografische gegevens",
        "user.demographic.language": "Taal",
        "user.demographic.date_of_birth": "Geboortedatum",
        "user.demographic.age_range": "Leeftijdscategorie",
        "user.demographic.gender": "Geslacht",
        "user.demographic.profile": "Profielgegevens",
        "user.device": "Apparaatgegevens",
        "user.device.cookie": "Cookies",
        "user.device.cookie_id": "Cookie-ID",
        "user.device.device_id": "Apparaat-ID",
        "user.device.ip_address": "IP-adres",
        "user.financial": "Financiële gegevens",
        "user.financial.bank_account": "Bankrekeningnummer",
        "user.financial.credit_card": "Betaalkaartnummer",
        "user.payment": "Betaalgegevens",
        "user.name": "Naam",
        "user.name.first": "Voornaam",
        "user.name.last": "Achternaam",
        "user.unique_id": "Unieke identificatiecode",
        "user.unique_id.pseudonymous": "Pseudonieme identificatiecode",
        "user.workplace": "Werkplek",
        "user.job_title": "Functie",
        "user.privacy_preferences": "Privacyvoorkeuren",
        "user.government_id": "Identiteitsbewijs",
        "user.government_id.national_identification_number": "Rijksregisternummer of BSN",
        "user.government_id.passport_number": "Paspoortnummer",
        "user.government_id.drivers_license_number": "Rijbewijsnummer",
        "user.location": "Locatiegegevens",
        "user.location.imprecise": "Globale locatie",
        "user.location.precise": "Precieze locatie",
        "user.telemetry": "Gebruiksmetingen",
        "user.social": "Sociale-mediagegevens",
        "user.childrens": "Gegevens van kinderen",
        "user.sensor": "Sensorgegevens",
        "user.user_sensor": "Sensorgegevens",
        "user.biometric": "Biometrische gegevens",
        "user.health_and_medical": "Gezondheidsgegevens",
        "user.criminal_history": "Strafrechtelijke gegevens",
    },
}

DATA_USES: dict[str, dict[str, str]] = {
    "en": {
        "essential.service": "Providing the service",
        "essential.service.authentication": "Logging in",
        "essential.service.security": "Security",
        "essential.service.payment_processing": "Payment processing",
        "essential.service.operations.support": "Customer support",
        "essential.legal_obligation": "Legal obligations",
        "essential.fraud_detection": "Fraud detection",
        "marketing.communications.email": "Marketing by e-mail",
    },
    "nl": {
        "analytics": "Analyse",
        "analytics.reporting": "Rapportage",
        "analytics.reporting.system": "Analyse van systeemactiviteit",
        "analytics.reporting.system.performance": "Analyse van systeemprestaties",
        "analytics.reporting.content_performance": "Analyse van het gebruik van inhoud",
        "analytics.reporting.campaign_insights": "Analyse van campagnes",
        "analytics.reporting.ad_performance": "Analyse van advertenties",
        "collect": "Verzamelen",
        "employment": "Personeelszaken",
        "employment.recruitment": "Werving en selectie",
        "essential": "Noodzakelijk",
        "essential.fraud_detection": "Fraudedetectie",
        "essential.legal_obligation": "Wettelijke verplichtingen",
        "essential.service": "Het leveren van de dienst",
        "essential.service.authentication": "Inloggen",
        "essential.service.notifications": "Servicemeldingen",
        "essential.service.notifications.email": "Servicemeldingen per e-mail",
        "essential.service.notifications.sms": "Servicemeldingen per sms",
        "essential.service.operations": "Beheer van de dienst",
        "essential.service.operations.support": "Klantenondersteuning",
        "essential.service.operations.improve": "Verbetering van de ondersteuning",
        "essential.service.payment_processing": "Betalingsverwerking",
        "essential.service.security": "Beveiliging",
        "essential.service.upgrades": "Upgrades van de dienst",
        "finance": "Financiële administratie",
        "functional": "Functioneel",
        "functional.service": "Dienstverlening",
        "functional.service.improve": "Verbetering van de dienst",
        "functional.storage": "Lokale opslag",
        "functional.storage.privacy_preferences": "Lokale opslag van privacyvoorkeuren",
        "marketing": "Marketing",
        "marketing.advertising": "Reclame en promotie",
        "marketing.advertising.first_party": "Eigen reclame",
        "marketing.advertising.first_party.contextual": "Eigen contextuele reclame",
        "marketing.advertising.first_party.targeted": "Eigen gepersonaliseerde reclame",
        "marketing.advertising.third_party": "Reclame van derden",
        "marketing.advertising.third_party.targeted": "Gerichte reclame van derden",
        "marketing.advertising.profiling": "Profilering voor reclame",
        "marketing.communications": "Marketingcommunicatie",
        "marketing.communications.email": "Marketing per e-mail",
        "marketing.communications.sms": "Marketing per sms",
        "operations": "Bedrijfsvoering",
        "personalize": "Personalisatie",
        "personalize.content": "Personalisatie van inhoud",
        "personalize.profiling": "Profilering voor personalisatie",
        "personalize.system": "Personalisatie van het systeem",
        "sales": "Verkoop",
        "third_party_sharing": "Delen met derden",
        "third_party_sharing.legal_obligation": "Delen op grond van een wettelijke verplichting",
    },
}

DATA_SUBJECTS: dict[str, dict[str, str]] = {
    "en": {
        "anonymous_user": "Anonymous user",
        "citizen_voter": "Citizen or voter",
        "commuter": "Commuter",
        "consultant": "Consultant",
        "customer": "Customer",
        "employee": "Employee",
        "job_applicant": "Job applicant",
        "next_of_kin": "Next of kin",
        "passenger": "Passenger",
        "patient": "Patient",
        "prospect": "Prospective customer",
        "shareholder": "Shareholder",
        "supplier_vendor": "Supplier",
        "trainee": "Trainee",
        "visitor": "Visitor",
    },
    "nl": {
        "anonymous_user": "Anonieme gebruiker",
        "citizen_voter": "Burger of kiezer",
        "commuter": "Pendelaar",
        "consultant": "Consultant",
        "customer": "Klant",
        "employee": "Werknemer",
        "job_applicant": "Sollicitant",
        "next_of_kin": "Naaste familielid",
        "passenger": "Passagier",
        "patient": "Patiënt",
        "prospect": "Potentiële klant",
        "shareholder": "Aandeelhouder",
        "supplier_vendor": "Leverancier",
        "trainee": "Stagiair",
        "visitor": "Bezoeker",
    },
}

TAXONOMY_TABLES: dict[str, dict[str, dict[str, str]]] = {
    "data_categories": DATA_CATEGORIES,
    "data_uses": DATA_USES,
    "data_subjects": DATA_SUBJECTS,
}


def term_name(policy: Policy, kind: str, key: str, lang: str) -> str:
    """The name of a taxonomy key in a language: the policy's own, then ours, then fideslang's (English)."""
    custom = getattr(policy.taxonomy, kind).get(key)
    if custom is not None:
        return custom.name.get(lang)
    table = TAXONOMY_TABLES[kind]
    if key in table.get(lang, {}):
        return table[lang][key]
    if key in table["en"]:
        return table["en"][key]
    term = fideslang_terms(kind).get(key)
    return term.name if term is not None else key


def has_name(policy: Policy, kind: str, key: str, lang: str) -> bool:
    """Whether a key has a name written in this language (not a fall-back to English)."""
    custom = getattr(policy.taxonomy, kind).get(key)
    if custom is not None:
        return lang in custom.name.languages()
    return key in TAXONOMY_TABLES[kind].get(lang, {}) or lang == "en"


def term_description(policy: Policy, kind: str, key: str, lang: str) -> str:
    """A description of the policy's own keys; fideslang's are not written for a privacy statement."""
    custom = getattr(policy.taxonomy, kind).get(key)
    if custom is not None and custom.description is not None:
        return custom.description.get(lang)
    return ""


def used_keys(policy: Policy) -> dict[str, set[str]]:
    """Every taxonomy key the policy's statement names, per kind."""
    keys: dict[str, set[str]] = {kind: set() for kind in TAXONOMY_TABLES}
    for purpose in policy.purposes.values():
        keys["data_uses"].add(purpose.data_use)
        keys["data_subjects"].update(purpose.data_subjects)
        keys["data_categories"].update(purpose.data_categories)
        keys["data_categories"].update(purpose.required_categories)
        for source in purpose.sources:
            keys["data_categories"].update(source.data_categories)
    keys["data_categories"].update(policy.never_collected)
    return keys
