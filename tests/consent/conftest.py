"""Personas and a published policy with a purpose on consent (the starter policy's newsletter)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trustdesk.lib import pseudonyms
from trustdesk.registry.models import Organisation, Person
from trustdesk.registry.services import Actor, do_create, do_link_person

#: The starter policy's purpose on consent, and its text in English and Dutch.
NEWSLETTER = "newsletter"
TEXT_EN = "Yes, send me the Example Hosting newsletter."
TEXT_NL = "Ja, stuur mij de nieuwsbrief van Example Hosting."

SUPPORT = Actor.operator("support-desk")


@pytest.fixture(autouse=True)
def keys(settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pseudonyms.ENV_KEY_FILE, raising=False)
    settings.DATA_DIR = tmp_path


@pytest.fixture
def policy(starter_policy):
    return starter_policy


@pytest.fixture
def company(db) -> Organisation:
    return do_create(
        Organisation, {"name": "Bakkerij Jansen BV", "email": "info@bakkerij.example"}, actor=SUPPORT
    )


@pytest.fixture
def anna(company) -> Person:
    """A customer's contact person who reads Dutch."""
    person = do_create(
        Person,
        {"first_name": "Anna", "last_name": "Jansen", "email": "anna@bakkerij.example", "language": "nl"},
        actor=SUPPORT,
    )
    do_link_person(company, person, "owner", actor=SUPPORT)
    return person


@pytest.fixture
def bob(company) -> Person:
    """Anna's colleague in the same organisation, no language recorded."""
    person = do_create(
        Person, {"first_name": "Bob", "last_name": "Vos", "email": "bob@bakkerij.example"}, actor=SUPPORT
    )
    do_link_person(company, person, "billing", actor=SUPPORT)
    return person


@pytest.fixture
def anna_herself(anna) -> Actor:
    """Anna acting for herself, as a portal or a form would record her."""
    return Actor(ref=f"person:{anna.pk}")
