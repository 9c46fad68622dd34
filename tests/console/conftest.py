"""The console's personas: the account personas (staff of every role, customers) and the request people."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tests.accounts.personas import Personas, personas
from tests.personas import STAFF, People
from trustdesk.rights import services
from trustdesk.rights.models import Request

__all__ = ["personas"]

#: Who may open the request pages, who may decide, and who gets 403.
ROLES = ("sam", "pia", "abe", "ada")


@pytest.fixture(autouse=True)
def _own_data_dir(data_dir):
    return data_dir


@dataclass
class Desk:
    staff: Personas
    people: People

    def client(self, name: str | None) -> Client:
        client = Client()
        if name is not None:
            user = getattr(self.staff, name)
            client.force_login(user)
        return client

    def open(self, kind: str = "access", *, days_ago: int = 0, person: Any = None, **extra: Any) -> Request:
        received = services._now() - dt.timedelta(days=days_ago)
        return services.do_open_request(
            kind,
            channel=extra.pop("channel", "email"),
            actor=STAFF,
            person=person if person is not None else self.people.bob,
            received_at=received,
            language="en",
            **extra,
        )


@pytest.fixture
def desk(personas: Personas, people: People) -> Desk:
    """Staff personas, and Anna and Bob under the request policy (identity documents checked, not kept)."""
    return Desk(personas, people)
