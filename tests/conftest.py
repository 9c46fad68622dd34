"""Shared fixtures: policy texts and published versions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

pytest_plugins = ["tests.smtp", "tests.webhook", "tests.personas"]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "policies"

POLICY = """\
format: 1
controller:
  legal_name: Hostwerk Test BV
  address: "Stationsstraat 1\\n9000 Gent"
  country: BE
  email: privacy@hostwerk.example
  phone: "+32 9 123 45 67"
  website: https://hostwerk.example
languages: [en, nl]
statement:
  changes:
    en: We announce every change on this website before it takes effect.
    nl: Elke wijziging kondigen we vooraf aan op deze website.
purposes:
  invoicing:
    name: {en: Invoicing, nl: Facturatie}
    data_use: essential.service.payment_processing
    legal_basis: legal_obligation
    data_subjects: [customer]
    data_categories: [user.name, user.contact.address, user.contact.email]
    requirement: statutory
    consequence:
      en: Without these details we cannot invoice you, so we cannot deliver the service.
      nl: Zonder deze gegevens kunnen we niet factureren en dus de dienst niet leveren.
    retention:
      period: P7Y
      from: end_of_fiscal_year_of_invoice
      action: delete
      legal_reason: {en: Belgian accounting law, nl: Belgisch boekhoudrecht}
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
    retention: {period: P1M, from: consent_withdrawal, action: delete}
rights:
  contact: {email: privacy@hostwerk.example}
security:
  lockout: {attempts: 5, duration: PT30M}
  two_factor: {staff: required, customers: optional}
  measures:
    - {en: Encrypted connections, nl: Versleutelde verbindingen}
"""


@pytest.fixture
def policy_text() -> str:
    return POLICY


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return path


@pytest.fixture
def publish(db):
    """Publish a policy text; returns the version."""
    from trustdesk.policy.services import do_publish_policy

    def _publish(text: str = POLICY, *, effective: dt.date | None = None, name: str = "policy.yaml"):
        return do_publish_policy(text, name, actor="test", effective=effective).version

    return _publish


@pytest.fixture
def starter_policy(publish):
    """The starter policy published: purposes with required categories, a domain registry with WHOIS."""
    return publish((EXAMPLES / "starter.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def operator():
    from trustdesk.registry.services import Actor

    return Actor.operator("tester")


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashing():
    """Passwords hashed with argon2id at its lowest cost (tests/hashers.py) for the whole session."""
    from django.conf import settings
    from django.test import override_settings

    from tests.hashers import quick

    with override_settings(PASSWORD_HASHERS=quick(settings.PASSWORD_HASHERS)):
        yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts and ends in the default language: a page in Dutch leaves Dutch active in the thread,
    and the policy check writes its findings in the active language."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: allauth counts its rate limits there (password changes, codes),
    keyed by the user's id, which the next test's user has too."""
    from django.core.cache import cache

    cache.clear()


#: Fixtures through which a test reaches the test database (pytest-django's own; ``db`` and the rest all
#: go through ``_django_db_helper``, which is also what the ``django_db`` mark asks for).
_DATABASE_FIXTURES = frozenset({"_django_db_helper", "db", "transactional_db", "live_server"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that use the test database (the PostgreSQL pass of scripts/test: a test "
        "that uses no database runs the same code whatever DATABASE_URL says, and the SQLite pass ran it)",
    )


def uses_database(item: pytest.Item) -> bool:
    """Whether a collected test reaches the test database: the ``django_db`` mark, or a fixture that
    needs the database anywhere in its closure (pytest-django refuses database access to any other)."""
    if item.get_closest_marker("django_db") is not None:
        return True
    return bool(_DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--database-tests-only"):
        return
    kept: list[pytest.Item] = []
    left: list[pytest.Item] = []
    for item in items:
        (kept if uses_database(item) else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
