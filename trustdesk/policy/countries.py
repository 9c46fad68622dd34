"""Country facts the policy check needs: the EEA, adequacy decisions, built-in authorities."""

from __future__ import annotations

#: EU member states plus Iceland, Liechtenstein and Norway (ISO 3166-1 alpha-2).
EEA = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO".split()
)

#: Countries with a European Commission adequacy decision (GDPR Art. 45). For the United
#: States the decision (EU-US Data Privacy Framework) covers certified organisations only,
#: and for Canada commercial organisations only.
ADEQUACY = frozenset("AD AR CA FO GG IL IM JP JE NZ KR CH GB UY US".split())

#: Every ISO 3166-1 alpha-2 code, so that a typo in a country is an error, not a new country.
ISO_COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG
    EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR
    HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR
    LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG
    NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE
    SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA
    UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW""".split()
)

COUNTRY_NAMES = {
    "en": {
        "BE": "Belgium", "NL": "the Netherlands", "GB": "the United Kingdom", "DE": "Germany",
        "FR": "France", "LU": "Luxembourg", "IE": "Ireland", "US": "the United States",
        "CH": "Switzerland", "CA": "Canada", "IN": "India", "JP": "Japan", "SE": "Sweden",
        "FI": "Finland", "DK": "Denmark", "ES": "Spain", "IT": "Italy", "AT": "Austria", "PL": "Poland",
        "NO": "Norway", "AU": "Australia", "PH": "the Philippines", "SG": "Singapore", "IL": "Israel",
    },
    "nl": {
        "BE": "België", "NL": "Nederland", "GB": "het Verenigd Koninkrijk", "DE": "Duitsland",
        "FR": "Frankrijk", "LU": "Luxemburg", "IE": "Ierland", "US": "de Verenigde Staten",
        "CH": "Zwitserland", "CA": "Canada", "IN": "India", "JP": "Japan", "SE": "Zweden",
        "FI": "Finland", "DK": "Denemarken", "ES": "Spanje", "IT": "Italië", "AT": "Oostenrijk", "PL": "Polen",
        "NO": "Noorwegen", "AU": "Australië", "PH": "de Filipijnen", "SG": "Singapore", "IL": "Israël",
    },
}


def country_name(code: str, lang: str) -> str:
    return COUNTRY_NAMES.get(lang, {}).get(code, code)


def needs_transfer_safeguard(controller_country: str, recipient_country: str) -> bool:
    """Whether sending data from the controller's country to the recipient's is a restricted transfer."""
    if recipient_country == controller_country:
        return False
    if controller_country == "GB":
        # UK GDPR: the EEA and the EU's adequacy countries are covered by UK adequacy regulations.
        return recipient_country not in EEA and recipient_country not in ADEQUACY
    return recipient_country not in EEA
