"""Built-in supervisory authorities (GDPR Art. 51), chosen by country code in the policy."""

from __future__ import annotations

BUILTIN_AUTHORITIES: dict[str, dict[str, object]] = {
    "BE": {
        "name": {
            "en": "Data Protection Authority (Gegevensbeschermingsautoriteit / Autorité de protection des données)",
            "nl": "Gegevensbeschermingsautoriteit (GBA)",
        },
        "address": "Drukpersstraat 35\n1000 Brussel",
        "country": "BE",
        "email": "contact@apd-gba.be",
        "phone": "+32 2 274 48 00",
        "website": "https://www.gegevensbeschermingsautoriteit.be",
    },
    "NL": {
        "name": {
            "en": "Dutch Data Protection Authority (Autoriteit Persoonsgegevens)",
            "nl": "Autoriteit Persoonsgegevens",
        },
        "address": "Postbus 93374\n2509 AJ Den Haag",
        "country": "NL",
        "phone": "+31 88 1805 250",
        "website": "https://autoriteitpersoonsgegevens.nl",
    },
    "GB": {
        "name": {
            "en": "Information Commissioner's Office (ICO)",
            "nl": "Information Commissioner's Office (ICO)",
        },
        "address": "Wycliffe House, Water Lane\nWilmslow, Cheshire SK9 5AF",
        "country": "GB",
        "phone": "+44 303 123 1113",
        "website": "https://ico.org.uk",
    },
}
