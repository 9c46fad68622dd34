"""Fill a fresh database with a few thousand records due for deletion: ``python -m tests.retention.seed``.

Run by the kill test in a subprocess on its own data directory (TRUSTDESK_DATA_DIR): the test
policy with the support purpose, a company whose invoice keeps its contacts for the books, its
contacts' old interactions (each deleted by itself) and prospects gone quiet (erased whole).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from decimal import Decimal


def main(contacts: int, interactions: int, prospects: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustdesk.settings")
    import django

    django.setup()
    from tests.retention.conftest import RETENTION_POLICY
    from trustdesk.lib.pseudonyms import current_key
    from trustdesk.policy.services import do_publish_policy
    from trustdesk.registry.models import Interaction, Organisation, Person, Role
    from trustdesk.registry.services import Actor, do_create, do_create_invoice

    actor = Actor.operator("seed")
    current_key()  # the pseudonym key, made now, so that copies of the data directory share it
    do_publish_policy(RETENTION_POLICY, "policy.yaml", actor="seed")
    company = do_create(Organisation, {"kind": "company", "name": "Bakkerij Jansen BV"}, actor=actor)
    do_create_invoice(
        {
            "organisation": company,
            "number": "2025-1",
            "issued_on": dt.date(2025, 6, 1),
            "fiscal_year_end": dt.date(2025, 12, 31),
            "total": Decimal("10.00"),
            "billing_name": "Bakkerij Jansen BV",
        },
        [],
        actor=actor,
    )
    old = dt.datetime(2024, 1, 15, 10, tzinfo=dt.UTC)
    people = Person.objects.bulk_create(
        [Person(first_name=f"Contact{i}", email=f"contact{i}@jansen.example") for i in range(contacts)]
        + [Person(first_name=f"Prospect{i}", email=f"prospect{i}@example.be") for i in range(prospects)]
    )
    Role.objects.bulk_create(
        [Role(organisation=company, person=p, kind="technical") for p in people[:contacts]]
    )
    Interaction.objects.bulk_create(
        [
            Interaction(person=p, direction="in", occurred_at=old, summary=f"question {n} of {p.first_name}")
            for p in people
            for n in range(interactions if p.first_name.startswith("Contact") else 2)
        ],
        batch_size=1000,
    )
    for model in (Person, Role, Interaction):
        model.objects.update(created_at=old, updated_at=old)


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:4]))
