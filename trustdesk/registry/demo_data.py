"""A realistic registry for the demo: customers, contacts, services, invoices and interactions.

``fill()`` creates organisations in the Netherlands, Belgium and the United Kingdom (Faker's
``nl_NL``, ``nl_BE`` and ``en_GB``), companies and private customers, with one to four people
each in their roles, domain names, web hosting with its IP addresses and networks, VPSs,
mailboxes and SSL certificates, two years of quarterly invoices with their lines and usage
records, interactions by phone, e-mail and letter, and the disclosures of domain registrations
(and OV/EV certificate requests) to the recipients the policy in effect names.

Every record goes through the registry's service functions, so each is journaled and has its
history copy. Everything happens in one transaction. The same seed and the same day give the
same registry. A registry that already has organisations is left alone.

IP addresses come from the ranges reserved for documentation (RFC 5737 and RFC 3849), so the
demo never names an address somebody really uses.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker

from trustdesk.journal.models import JournalEntry
from trustdesk.registry.models import (
    Channel,
    Disclosure,
    Interaction,
    Invoice,
    InvoiceLine,
    Organisation,
    Person,
    Role,
    Service,
    ServiceIdentifier,
    SourceKind,
    UsageRecord,
)
from trustdesk.registry.services import (
    Actor,
    do_create,
    do_create_invoice,
    do_link_person,
    do_record_disclosure,
)

#: What ``fill`` counts, in the order it reports them.
COUNTED: tuple[tuple[str, type[models.Model]], ...] = (
    ("organisations", Organisation),
    ("people", Person),
    ("roles", Role),
    ("services", Service),
    ("service identifiers", ServiceIdentifier),
    ("invoices", Invoice),
    ("invoice lines", InvoiceLine),
    ("usage records", UsageRecord),
    ("interactions", Interaction),
    ("disclosures", Disclosure),
    ("journal entries", JournalEntry),
)

LOCALES = ("nl_NL", "nl_BE", "en_GB")
COUNTRY = {"nl_NL": "NL", "nl_BE": "BE", "en_GB": "GB"}
LANGUAGE = {"nl_NL": "nl", "nl_BE": "nl", "en_GB": "en"}
#: How often each locale is drawn: a Dutch provider with Belgian and British customers.
LOCALE_WEIGHTS = (55, 25, 20)
#: Each country's own extension first, drawn most often.
TLDS = {"NL": ("nl", "com", "eu"), "BE": ("be", "com", "nl"), "GB": ("co.uk", "com", "uk")}
REGISTER = {"NL": "KVK Handelsregister", "BE": "Kruispuntbank van Ondernemingen", "GB": "Companies House"}
#: Words of company names that stay out of their domain names.
LEGAL_WORDS = {
    "bv",
    "nv",
    "vof",
    "vzw",
    "cv",
    "inc",
    "ltd",
    "llc",
    "plc",
    "and",
    "en",
    "sons",
    "zonen",
    "group",
}
DOMAIN_WORDS = {
    "nl": ("webwinkel", "shop", "online", "advies", "bouw", "design", "zorg", "studio", "reizen"),
    "en": ("shop", "online", "consulting", "design", "studio", "digital", "store", "travel"),
}
LEGAL_FORMS = {"NL": ("B.V.", "V.O.F.", ""), "BE": ("BV", "NV", "VZW"), "GB": ("Ltd", "LLP", "")}

#: Documentation ranges: TEST-NET-1, -2 and -3 for IPv4, 2001:db8::/32 for IPv6.
IPV4_POOL = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
IPV6_PREFIX = ipaddress.IPv6Network("2001:db8::/32")

#: Monthly prices (EUR) of the plans, and yearly prices of domains and certificates.
HOSTING_PLANS = (
    ("Basic", Decimal("4.95"), 10),
    ("Plus", Decimal("9.95"), 50),
    ("Pro", Decimal("19.95"), 200),
)
VPS_PLANS = (("VPS S", Decimal("14.95")), ("VPS M", Decimal("29.95")), ("VPS L", Decimal("59.95")))
DOMAIN_PRICE = {
    "nl": Decimal("7.50"),
    "be": Decimal("8.95"),
    "co.uk": Decimal("8.50"),
    "uk": Decimal("8.50"),
    "com": Decimal("12.95"),
    "eu": Decimal("9.95"),
}
CERT_PRICE = {"dv": Decimal("15.00"), "ov": Decimal("89.00"), "ev": Decimal("199.00")}
MAILBOX_PRICE = Decimal("2.50")
TRAFFIC_PRICE = Decimal("0.05")  # per GB above the plan's included traffic

#: Interaction texts by language, one a line: direction | channels | subject | summary.
_TOPICS = {
    "nl": """
in | phone email | Vraag over factuur | Klant vraagt waarom de factuur hoger is dan vorig kwartaal; uitgelegd dat het extra dataverkeer betreft.
in | phone email | Verhuizing van domeinnaam | Klant wil de domeinnaam naar ons verhuizen; verhuiscode aangevraagd en verhuizing gestart.
in | phone | Storing e-mail | Klant ontvangt geen e-mail meer; de mailbox bleek vol en is opgeschoond.
in | email | Upgrade webhostingpakket | Klant wil meer opslagruimte; het pakket is per direct verhoogd.
out | email | SSL-certificaat verloopt binnenkort | Klant herinnerd aan het verlopen van het certificaat over dertig dagen.
in | email letter | Wijziging contactgegevens | Nieuw factuuradres doorgegeven en in de administratie verwerkt.
out | letter | Herinnering openstaande factuur | Schriftelijke herinnering gestuurd voor een openstaande factuur.
in | letter | Opzegging dienst | Klant zegt de dienst schriftelijk op per het einde van de contractperiode.
in | phone | Website traag | Klant meldt een trage website; een plug-in veroorzaakte de belasting, advies gegeven.
""",
    "en": """
in | phone email | Question about an invoice | Customer asked why the invoice is higher than last quarter; explained the extra traffic.
in | phone email | Domain transfer | Customer wants to transfer the domain to us; transfer code requested and transfer started.
in | phone | E-mail not arriving | Customer no longer receives e-mail; the mailbox was full and has been cleaned up.
in | email | Hosting plan upgrade | Customer needs more storage; the plan was upgraded straight away.
out | email | SSL certificate expiring soon | Reminded the customer that the certificate expires in thirty days.
in | email letter | Change of contact details | New billing address received and recorded.
out | letter | Reminder of an unpaid invoice | Sent a written reminder about an unpaid invoice.
in | letter | Cancellation of a service | Customer cancels the service in writing at the end of the contract term.
in | phone | Slow website | Customer reports a slow website; a plug-in caused the load, advice given.
""",
}
TOPICS: dict[str, list[tuple[str, list[str], str, str]]] = {
    language: [
        (direction, channels.split(), subject, summary)
        for direction, channels, subject, summary in (
            [part.strip() for part in line.split("|")] for line in text.strip().splitlines()
        )
    ]
    for language, text in _TOPICS.items()
}


@dataclass
class FillSummary:
    """What ``fill`` did: whether it created anything, and how many records of each kind."""

    created: bool
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        if not self.created:
            head = (
                f"registry: already holds {self.counts.get('organisations', 0)} organisations; nothing added"
            )
        else:
            head = f"registry: filled with {self.counts.get('organisations', 0)} organisations"
        width = max(len(label) for label, _ in COUNTED)
        rows = [f"  {label + ':':<{width + 1}} {self.counts.get(label, 0):>7}" for label, _ in COUNTED]
        return [head, *rows, *(f"  {note}" for note in self.notes)]


def counts() -> dict[str, int]:
    return {label: model._default_manager.count() for label, model in COUNTED}


def fill(
    organisations: int = 200, *, seed: int = 1234, actor: Actor, today: dt.date | None = None
) -> FillSummary:
    """Fill an empty registry with ``organisations`` customers and everything that belongs to them.

    Deterministic for a seed and a day (``today``, by default the current one). When the
    registry already has organisations nothing is added, and the summary says so.
    """
    if organisations < 0:
        raise ValueError("the number of organisations cannot be negative")
    with transaction.atomic():
        if Organisation.objects.exists():
            return FillSummary(created=False, counts=counts())
        before = counts()
        builder = _Builder(seed=seed, actor=actor, today=today or timezone.localdate())
        for index in range(organisations):
            builder.organisation(index)
        after = counts()
    return FillSummary(
        created=True,
        counts={label: after[label] - before[label] for label in after},
        notes=builder.notes,
    )


def _recipients() -> tuple[str | None, list[str], str | None, list[str], list[str]]:
    """The policy's domain registry and certificate authority, with the categories passed to each."""
    from trustdesk.policy.queries import version_in_effect

    version = version_in_effect()
    if version is None:
        return None, [], None, [], ["no policy is in effect: no disclosures recorded"]
    policy = version.loaded.policy
    registries = [key for key, r in policy.recipients.items() if r.role == "registry"]
    preferred = [key for key in ("domain_registry", "domain_suppliers") if key in registries]
    registry = (preferred or registries or [None])[0]
    authorities = [key for key in policy.recipients if "certificate" in key]
    authority = authorities[0] if authorities else None
    notes = [] if registry else ["the policy in effect names no domain registry: no disclosures recorded"]

    def categories(key: str | None) -> list[str]:
        found: list[str] = []
        for purpose in policy.purposes.values():
            if key in purpose.recipients:
                found.extend(c for c in purpose.data_categories if c not in found)
        return found or ["user.name", "user.contact.address", "user.contact.email"]

    return registry, categories(registry), authority, categories(authority), notes


def _quarters(today: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """The last ``count`` whole quarters before today, oldest first."""
    first_month = (today.month - 1) // 3 * 3 + 1
    start = dt.date(today.year, first_month, 1)
    out = []
    for _ in range(count):
        end = start - dt.timedelta(days=1)
        start = dt.date(end.year, (end.month - 1) // 3 * 3 + 1, 1)
        out.append((start, end))
    out.reverse()
    return out


def _anniversaries(start: dt.date, first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """The days from ``first`` to ``last`` (inclusive) that fall a whole number of years after ``start``."""
    for year in range(first.year, last.year + 1):
        try:
            day = start.replace(year=year)
        except ValueError:  # 29 February
            day = dt.date(year, 3, 1)
        if first <= day <= last and day > start:
            yield day


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


class _Builder:
    def __init__(self, *, seed: int, actor: Actor, today: dt.date):
        self.rng = random.Random(seed)  # noqa: S311  (demo data: reproducible, not secret)
        self.fakers: dict[str, Faker] = {}
        for offset, locale in enumerate(LOCALES):
            fake = Faker(locale)
            fake.seed_instance(seed * 10 + offset)
            self.fakers[locale] = fake
        self.actor = actor
        self.today = today
        self.tz = dt.UTC
        self.quarters = _quarters(today, 8)
        self.registry, self.registry_categories, self.authority, self.authority_categories, self.notes = (
            _recipients()
        )
        self.domains: set[str] = set()
        self.ipv4 = [ip for net in IPV4_POOL for ip in list(ipaddress.IPv4Network(net).hosts())[9:]]
        self.ipv4_next = 0
        self.invoice_number = 0
        self.refs = {"org": 0, "person": 0, "service": 0, "invoice": 0}

    # --- small tools --------------------------------------------------------------------------------

    def ref(self, kind: str, prefix: str, base: int) -> str:
        self.refs[kind] += 1
        return f"{prefix}{base + self.refs[kind]}"

    def day_between(self, first: dt.date, last: dt.date) -> dt.date:
        if last <= first:
            return first
        return first + dt.timedelta(days=self.rng.randint(0, (last - first).days))

    def moment(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(self.rng.randint(8, 17), self.rng.randint(0, 59)), self.tz)

    def next_ipv4(self) -> str:
        address = self.ipv4[self.ipv4_next % len(self.ipv4)]
        self.ipv4_next += 1
        return str(address)

    def ipv6_network(self, org: int, service: int) -> ipaddress.IPv6Network:
        # One /48 per organisation (65,536 fit in the /32), one /64 per service within it.
        base = int(IPV6_PREFIX.network_address) + (((org + 1) % 65536) << 80) + ((service % 65536) << 64)
        return ipaddress.IPv6Network((base, 64))

    def domain_name(self, stem: str, country: str) -> str:
        tlds = TLDS[country]
        tld = self.rng.choices(tlds, weights=(70, 22, 8))[0]
        stem = (slugify(stem)[:40].strip("-") or "site").replace("--", "-")
        name = f"{stem}.{tld}"
        number = 1
        while name in self.domains:
            number += 1
            name = f"{stem}{number}.{tld}"
        self.domains.add(name)
        return name

    def create(self, model: type[Any], data: dict[str, Any]) -> Any:
        return do_create(model, data, actor=self.actor)

    # --- one customer ---------------------------------------------------------------------------

    def organisation(self, index: int) -> None:
        rng = self.rng
        locale = rng.choices(LOCALES, weights=LOCALE_WEIGHTS)[0]
        fake = self.fakers[locale]
        country, language = COUNTRY[locale], LANGUAGE[locale]
        company = rng.random() < 0.65
        since = self.day_between(self.today - dt.timedelta(days=6 * 365), self.today - dt.timedelta(days=30))
        ended_on = None
        if rng.random() < 0.08 and since < self.today - dt.timedelta(days=200):
            ended_on = self.day_between(since + dt.timedelta(days=120), self.today - dt.timedelta(days=14))

        people_data = [
            self.person_data(fake, country, language, company)
            for _ in range(rng.randint(1, 4 if company else 2))
        ]
        owner = people_data[0]
        if company:
            form = rng.choice(LEGAL_FORMS[country])
            base_name = fake.company()
            name = f"{base_name} {form}".strip() if form and form not in base_name else base_name
            stem = "-".join(w for w in slugify(base_name).split("-") if w not in LEGAL_WORDS)
        else:
            name = f"{owner['first_name']} {owner['last_name']}"
            stem = f"{owner['first_name']}{owner['last_name']}"
        domains = [
            self.domain_name(stem if n == 0 else f"{stem}-{rng.choice(DOMAIN_WORDS[language])}", country)
            for n in range(rng.choices((1, 2, 3, 4), weights=(55, 25, 12, 8))[0])
        ]
        source_kind, source_name = SourceKind.DATA_SUBJECT, ""
        if company:
            roll = rng.random()
            if roll < 0.10:
                source_kind, source_name = SourceKind.PUBLIC, REGISTER[country]
            elif roll < 0.15:
                source_kind, source_name = SourceKind.THIRD_PARTY, "Webbouwers Collectief (reseller)"
            else:
                source_kind = SourceKind.ORGANISATION
        street, postal_code, city = (
            (owner["street"], owner["postal_code"], owner["city"])
            if not company
            else (fake.street_address().replace("\n", ", "), fake.postcode(), fake.city())
        )
        org = self.create(
            Organisation,
            {
                "external_ref": self.ref("org", "C", 10000),
                "kind": Organisation.Kind.COMPANY if company else Organisation.Kind.PRIVATE,
                "name": name[:200],
                "company_number": self.company_number(country) if company else "",
                "vat_number": self.vat_number(country) if company else "",
                "street": street,
                "postal_code": postal_code,
                "city": city,
                "country": country,
                "email": f"info@{domains[0]}" if company else owner["email"],
                "phone": fake.phone_number() if company else owner["phone"],
                "website": f"https://www.{domains[0]}" if company else "",
                "status": Organisation.Status.ENDED if ended_on else Organisation.Status.ACTIVE,
                "ended_on": ended_on,
                "source_kind": source_kind,
                "source_name": source_name,
                "channel": rng.choice(
                    (Channel.WEBSITE, Channel.WEBSITE, Channel.PORTAL, Channel.PHONE, Channel.EMAIL)
                ),
            },
        )
        people = []
        for number, data in enumerate(people_data):
            if company and number == 0:
                data["email"] = (
                    f"{slugify(data['first_name'])}.{slugify(data['last_name'])}@{domains[0]}".replace(
                        "-", ""
                    )
                )
            elif company:
                data["email"] = (
                    f"{slugify(data['first_name'])[:1]}.{slugify(data['last_name'])}@{domains[0]}".replace(
                        "-", ""
                    )
                )
            people.append(self.create(Person, data | {"external_ref": self.ref("person", "P", 50000)}))
        self.roles(org, people, company)
        services = self.services(org, index, country, company, since, ended_on, domains)
        self.invoices(org, services, country, ended_on)
        self.interactions(org, people, language, since, ended_on)

    def person_data(self, fake: Faker, country: str, language: str, company: bool) -> dict[str, Any]:
        rng = self.rng
        first, last = fake.first_name(), fake.last_name()
        data: dict[str, Any] = {
            "kind": Person.Kind.CUSTOMER_CONTACT,
            "first_name": first,
            "last_name": last,
            "email": f"{slugify(first)}.{slugify(last)}@{fake.free_email_domain()}".replace("-", ""),
            "phone": fake.phone_number(),
            "mobile": fake.phone_number() if rng.random() < 0.6 else "",
            "street": fake.street_address().replace("\n", ", "),
            "postal_code": fake.postcode(),
            "city": fake.city(),
            "country": country,
            "language": language,
            "job_title": fake.job()[:100] if company else "",
            "source_kind": SourceKind.DATA_SUBJECT,
            "channel": rng.choice((Channel.WEBSITE, Channel.PORTAL, Channel.PHONE, Channel.EMAIL)),
        }
        if company and rng.random() < 0.3:
            data["source_kind"] = SourceKind.ORGANISATION  # added by a colleague in the portal
            data["channel"] = Channel.PORTAL
        return data

    def company_number(self, country: str) -> str:
        rng = self.rng
        if country == "NL":
            return f"{rng.randint(10000000, 99999999)}"
        if country == "BE":
            return f"0{rng.randint(200, 999)}.{rng.randint(100, 999)}.{rng.randint(100, 999)}"
        return f"{rng.randint(1000000, 15999999):08d}"

    def vat_number(self, country: str) -> str:
        rng = self.rng
        if country == "NL":
            return f"NL{rng.randint(100000000, 999999999)}B01"
        if country == "BE":
            return f"BE0{rng.randint(200000000, 999999999)}"
        return f"GB{rng.randint(100000000, 999999999)}"

    def roles(self, org: Organisation, people: list[Person], company: bool) -> None:
        owner = people[0]
        do_link_person(org, owner, Role.Kind.OWNER, actor=self.actor)
        kinds = [Role.Kind.BILLING, Role.Kind.TECHNICAL, Role.Kind.USER]
        if len(people) == 1 or (not company and self.rng.random() < 0.8):
            do_link_person(org, owner, Role.Kind.BILLING, actor=self.actor)
            kinds.remove(Role.Kind.BILLING)
        for person in people[1:]:
            kind = kinds.pop(0) if kinds else Role.Kind.USER
            do_link_person(org, person, kind, actor=self.actor)
            if self.rng.random() < 0.25:
                do_link_person(org, person, Role.Kind.USER, actor=self.actor)

    # --- services -------------------------------------------------------------------------------

    def services(
        self,
        org: Organisation,
        index: int,
        country: str,
        company: bool,
        since: dt.date,
        ended_on: dt.date | None,
        domains: list[str],
    ) -> list[tuple[Service, dict[str, Any]]]:
        """Create the organisation's services; returns each with what invoicing needs to know."""
        rng = self.rng
        made: list[tuple[Service, dict[str, Any]]] = []
        last_day = ended_on or self.today

        def period(earliest: dt.date) -> tuple[dt.date, dt.date | None]:
            start = self.day_between(earliest, min(last_day, earliest + dt.timedelta(days=900)))
            end = ended_on
            if end is None and rng.random() < 0.12 and start < self.today - dt.timedelta(days=120):
                end = self.day_between(start + dt.timedelta(days=90), self.today - dt.timedelta(days=1))
            return start, end

        def service(kind: str, label: str, start: dt.date, end: dt.date | None, **extra: Any) -> Service:
            return self.create(
                Service,
                {
                    "external_ref": self.ref("service", "S", 200000),
                    "organisation": org,
                    "kind": kind,
                    "label": label,
                    "starts_on": start,
                    "ends_on": end,
                    "source_kind": SourceKind.ORGANISATION if company else SourceKind.DATA_SUBJECT,
                    "channel": Channel.PORTAL,
                    **extra,
                },
            )

        def identifier(svc: Service, kind: str, value: str, start: dt.date, end: dt.date | None) -> None:
            self.create(
                ServiceIdentifier,
                {
                    "service": svc,
                    "kind": kind,
                    "value": value,
                    "assigned_from": self.moment(start),
                    "assigned_until": self.moment(end) if end else None,
                    "source_kind": SourceKind.OBSERVED,
                },
            )

        for number, domain in enumerate(domains):
            start, end = period(since)
            svc = service(Service.Kind.DOMAIN, domain, start, end)
            identifier(svc, ServiceIdentifier.Kind.DOMAIN, domain, start, end)
            if self.registry:
                do_record_disclosure(
                    org,
                    self.registry,
                    self.registry_categories,
                    actor=self.actor,
                    service=svc,
                    at=self.moment(start),
                )
            made.append(
                (svc, {"price": DOMAIN_PRICE[domain.split(".", 1)[1]], "yearly": True, "domain": domain})
            )

            if number == 0 or rng.random() < 0.3:
                plan, monthly, included = rng.choices(HOSTING_PLANS, weights=(50, 35, 15))[0]
                h_end = end
                h_last = h_end or self.today
                h_start = self.day_between(start, min(start + dt.timedelta(days=30), h_last))
                hosting = service(Service.Kind.WEB_HOSTING, f"Webhosting {plan} ({domain})", h_start, h_end)
                network = self.ipv6_network(index, len(made))
                identifier(hosting, ServiceIdentifier.Kind.DOMAIN, domain, h_start, h_end)
                identifier(hosting, ServiceIdentifier.Kind.IP_NETWORK, str(network), h_start, h_end)
                identifier(
                    hosting,
                    ServiceIdentifier.Kind.IP_ADDRESS,
                    str(network.network_address + 1),
                    h_start,
                    h_end,
                )
                moved = h_start < h_last - dt.timedelta(days=365) and rng.random() < 0.3
                if moved:
                    # Moved to a new server once: the old address was assigned until then.
                    move = self.day_between(h_start + dt.timedelta(days=60), h_last - dt.timedelta(days=30))
                    identifier(hosting, ServiceIdentifier.Kind.IP_ADDRESS, self.next_ipv4(), h_start, move)
                    identifier(hosting, ServiceIdentifier.Kind.IP_ADDRESS, self.next_ipv4(), move, h_end)
                else:
                    identifier(hosting, ServiceIdentifier.Kind.IP_ADDRESS, self.next_ipv4(), h_start, h_end)
                made.append((hosting, {"monthly": monthly, "included_gb": included, "usage": "hosting"}))

                if rng.random() < (0.75 if company else 0.35):
                    cert_type = rng.choices(("dv", "ov", "ev"), weights=(50, 35, 15))[0] if company else "dv"
                    c_start = self.day_between(h_start, h_last)
                    expires, c_end = c_start + dt.timedelta(days=365), end
                    while expires < h_last:
                        if end is None and rng.random() < 0.15:
                            c_end = expires  # not renewed: the certificate ended when it expired
                            break
                        expires += dt.timedelta(days=365)
                    cert = service(
                        Service.Kind.SSL_CERTIFICATE,
                        f"{cert_type.upper()} certificate {domain}",
                        c_start,
                        c_end,
                        certificate_type=cert_type,
                        certificate_expires_on=expires,
                    )
                    identifier(cert, ServiceIdentifier.Kind.DOMAIN, domain, c_start, c_end)
                    if cert_type in ("ov", "ev") and self.authority:
                        do_record_disclosure(
                            org,
                            self.authority,
                            self.authority_categories,
                            actor=self.actor,
                            service=cert,
                            at=self.moment(c_start),
                        )
                    made.append((cert, {"price": CERT_PRICE[cert_type], "yearly": True}))

        if company and rng.random() < 0.2:
            plan, monthly = rng.choice(VPS_PLANS)
            start, end = period(since)
            vps = service(Service.Kind.VPS, f"{plan} vps{rng.randint(1, 99):02d}.{domains[0]}", start, end)
            network = self.ipv6_network(index, 200)
            identifier(vps, ServiceIdentifier.Kind.IP_ADDRESS, self.next_ipv4(), start, end)
            identifier(vps, ServiceIdentifier.Kind.IP_NETWORK, str(network), start, end)
            made.append((vps, {"monthly": monthly, "included_gb": 1000, "usage": "vps"}))

        if rng.random() < (0.5 if company else 0.2):
            mailboxes = rng.randint(1, 25 if company else 3)
            start, end = period(since)
            mail = service(Service.Kind.EMAIL, f"E-mail {domains[0]} ({mailboxes} mailboxes)", start, end)
            identifier(mail, ServiceIdentifier.Kind.DOMAIN, domains[0], start, end)
            made.append(
                (mail, {"monthly": MAILBOX_PRICE * mailboxes, "mailboxes": mailboxes, "usage": "email"})
            )
        return made

    # --- invoices and usage ---------------------------------------------------------------------

    def invoices(
        self,
        org: Organisation,
        services: list[tuple[Service, dict[str, Any]]],
        country: str,
        ended_on: dt.date | None,
    ) -> None:
        rng = self.rng
        billing_address = f"{org.street}\n{org.postal_code} {org.city}\n{country}"
        for q_start, q_end in self.quarters:
            if ended_on is not None and ended_on < q_start:
                break
            lines: list[Mapping[str, Any]] = []
            for svc, info in services:
                start, end = svc.starts_on or q_start, svc.ends_on
                if start > q_end or (end is not None and end < q_start):
                    continue
                if info.get("yearly"):
                    for _day in _anniversaries(start, q_start, q_end):
                        lines.append(
                            {
                                "service": svc,
                                "description": f"{svc.label}: one year",
                                "quantity": Decimal(1),
                                "unit_price": info["price"],
                            }
                        )
                    continue
                months = Decimal(3)
                lines.append(
                    {
                        "service": svc,
                        "description": f"{svc.label}: {q_start:%Y-%m} to {q_end:%Y-%m}",
                        "quantity": months,
                        "unit_price": info["monthly"],
                    }
                )
                usage = info["usage"]
                if usage == "email":
                    self.usage(svc, UsageRecord.Metric.MAILBOXES, q_start, q_end, Decimal(info["mailboxes"]))
                    continue
                traffic = (
                    Decimal(rng.randint(1, info["included_gb"] * 4)) + Decimal(rng.randint(0, 999)) / 1000
                )
                storage = Decimal(rng.randint(1, info["included_gb"])) + Decimal(rng.randint(0, 999)) / 1000
                self.usage(svc, UsageRecord.Metric.TRAFFIC_GB, q_start, q_end, traffic)
                self.usage(svc, UsageRecord.Metric.STORAGE_GB, q_start, q_end, storage)
                over = traffic - info["included_gb"] * 3
                if over > 0:
                    lines.append(
                        {
                            "service": svc,
                            "description": f"{svc.label}: extra traffic (GB)",
                            "quantity": over,
                            "unit_price": TRAFFIC_PRICE,
                        }
                    )
            if not lines:
                continue
            issued = q_end + dt.timedelta(days=1)
            self.invoice_number += 1
            total = sum((line["quantity"] * line["unit_price"] for line in lines), Decimal(0))
            do_create_invoice(
                {
                    "external_ref": self.ref("invoice", "F", 900000),
                    "organisation": org,
                    "number": f"{issued.year}-{self.invoice_number:06d}",
                    "issued_on": issued,
                    "fiscal_year_end": dt.date(issued.year, 12, 31),
                    "currency": "EUR",
                    "total": _money(total),
                    "billing_name": org.name,
                    "billing_address": billing_address,
                    "source_kind": SourceKind.ORGANISATION,
                    "channel": Channel.PORTAL,
                },
                lines,
                actor=self.actor,
            )

    def usage(self, svc: Service, metric: str, start: dt.date, end: dt.date, quantity: Decimal) -> None:
        self.create(
            UsageRecord,
            {
                "service": svc,
                "metric": metric,
                "period_start": start,
                "period_end": end,
                "quantity": quantity,
                "source_kind": SourceKind.OBSERVED,
            },
        )

    # --- interactions ---------------------------------------------------------------------------

    def interactions(
        self, org: Organisation, people: list[Person], language: str, since: dt.date, ended_on: dt.date | None
    ) -> None:
        rng = self.rng
        first = max(since, self.today - dt.timedelta(days=730))
        last = ended_on or self.today
        for _ in range(rng.randint(0, 5)):
            direction, channels, subject, summary = rng.choice(TOPICS[language])
            channel = rng.choice(channels)
            self.create(
                Interaction,
                {
                    "organisation": org,
                    "person": rng.choice(people),
                    "direction": direction,
                    "occurred_at": self.moment(self.day_between(first, last)),
                    "subject": subject,
                    "summary": summary,
                    "source_kind": SourceKind.DATA_SUBJECT if direction == "in" else SourceKind.ORGANISATION,
                    "channel": channel,
                },
            )
