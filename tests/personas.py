"""Personas and a published policy for the request tests (a plugin of tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import POLICY as BASE_POLICY
from trustdesk.lib import pseudonyms
from trustdesk.registry.models import Organisation, Person, Service
from trustdesk.registry.services import Actor, do_create, do_create_invoice, do_link_person

STAFF = Actor.operator("privacy-officer")


def october_traffic(service: Service, quantity: str, *, actor: Actor = STAFF, **more: object) -> None:
    """A usage record of the service: ``quantity`` GB of traffic in October 2026."""
    from trustdesk.registry.models import UsageRecord

    do_create(
        UsageRecord,
        {
            "service": service,
            "metric": "traffic_gb",
            "period_start": dt.date(2026, 10, 1),
            "period_end": dt.date(2026, 10, 31),
            "quantity": Decimal(quantity),
            **more,
        },
        actor=actor,
    )


def invoice_0042(
    organisation: Organisation, billing_name: str, *, actor: Actor = STAFF, **more: object
) -> None:
    """Invoice 2026-0042 of 1 February 2026 to the organisation, with no lines."""
    do_create_invoice(
        {
            "organisation": organisation,
            "number": "2026-0042",
            "issued_on": dt.date(2026, 2, 1),
            "fiscal_year_end": dt.date(2026, 12, 31),
            "total": Decimal("121.00"),
            "billing_name": billing_name,
            **more,
        },
        [],
        actor=actor,
    )


@pytest.fixture
def data_dir(settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(pseudonyms.ENV_KEY_FILE, raising=False)
    settings.DATA_DIR = tmp_path
    settings.SITE_URL = "https://privacy.hostwerk.example"
    return tmp_path


@dataclass
class People:
    anna: Person  # a private customer with web hosting, her own organisation
    bob: Person  # a contact at a company
    company: Organisation
    private: Organisation
    hosting: Service


#: The test policy, with identity documents checked where needed (and never kept).
POLICY = BASE_POLICY.replace(
    "rights:\n  contact: {email: privacy@hostwerk.example}\n",
    "rights:\n  contact: {email: privacy@hostwerk.example}\n"
    "  identity: {signed_in: two_factor, id_document: check_and_discard}\n",
)
assert POLICY != BASE_POLICY


@pytest.fixture
def people(publish) -> People:
    publish(POLICY)
    anna = do_create(
        Person,
        {
            "first_name": "Anna",
            "last_name": "Peeters",
            "email": "anna@example.be",
            "phone": "+32 470 12 34 56",
            "language": "nl",
        },
        actor=STAFF,
    )
    bob = do_create(
        Person, {"first_name": "Bob", "last_name": "Jansen", "email": "bob@jansen.example"}, actor=STAFF
    )
    private = do_create(
        Organisation, {"kind": "private", "name": "Anna Peeters", "email": "anna@example.be"}, actor=STAFF
    )
    company = do_create(Organisation, {"kind": "company", "name": "Bakkerij Jansen BV"}, actor=STAFF)
    do_link_person(private, anna, "owner", actor=STAFF)
    do_link_person(company, bob, "owner", actor=STAFF)
    hosting = do_create(
        Service, {"organisation": private, "kind": "web_hosting", "label": "anna-blog"}, actor=STAFF
    )
    do_create_invoice(
        {
            "organisation": private,
            "number": "2026-0001",
            "issued_on": dt.date(2026, 2, 1),
            "fiscal_year_end": dt.date(2026, 12, 31),
            "total": Decimal("121.00"),
            "billing_name": "Anna Peeters",
            "billing_address": "Kerkstraat 1, 9000 Gent",
        },
        [{"description": "Hosting", "quantity": Decimal("1"), "unit_price": Decimal("100")}],
        actor=STAFF,
    )
    return People(anna, bob, company, private, hosting)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``with commit(): ...`` runs what the block leaves for the commit (e-mails) as a real commit would."""

    def _commit():
        return django_capture_on_commit_callbacks(execute=True)

    return _commit


@pytest.fixture
def travel():
    """The clock stopped at 5 January 2026, 10:00 in Brussels; ``travel.move_to(...)`` moves it.

    Ask for it before ``people``, so that the policy is published at that time."""
    import time_machine

    with time_machine.travel(dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def officer_actor(db):
    """A privacy officer's account: the only role that searches the logs for an investigation."""
    from trustdesk.accounts.models import Profile
    from trustdesk.accounts.services import do_create_account, user_ref
    from trustdesk.registry.services import Actor

    user = do_create_account(
        "pia.officer@hostwerk.example", role=Profile.Role.PRIVACY_OFFICER, verified=True, actor="test"
    )
    return Actor(ref=user_ref(user), user=user)


def fetch_download(client, path: str):
    """A download by its e-mailed link, as a person fetches it: the page that offers the file (which sends
    nothing), then its button (a POST) for the file."""
    offer = client.get(path)
    assert offer.status_code == 200, offer.status_code
    assert 'method="post"' in offer.content.decode() and offer.get("Content-Disposition") is None
    return client.post(path)
