"""Promises about who receives data: processors only under an agreement (P3.6), transfers outside the
EEA only under a safeguard (P3.7).

What Trustdesk keeps of them: a policy that names a processor without its agreement, or a recipient
outside the EEA without a safeguard, cannot be published, so it never drives the system; and data passed
on is recorded only to a recipient of the policy in effect (``do_record_disclosure``), so every recorded
disclosure went to a processor with an agreement and under a safeguard where it left the EEA. What the
provider's own systems pass on without telling Trustdesk is not seen."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLES
from trustdesk.policy.models import PolicyVersion
from trustdesk.policy.render import render_statement
from trustdesk.policy.services import PublishRefused, do_publish_policy
from trustdesk.registry.models import Organisation
from trustdesk.registry.services import IntakeError, do_create, do_record_disclosure

pytestmark = pytest.mark.django_db

STARTER = (EXAMPLES / "starter.yaml").read_text(encoding="utf-8")
AGREEMENT = """    agreement:
      date: 2025-01-15
      reference: DPA-2025-001
"""
PAYMENT_COUNTRY = """    role: processor
    country: NL
"""
INVOICE_DATA = ["user.name", "user.contact.address"]


def _refused(text: str) -> list[tuple[str, tuple[str | int, ...]]]:
    with pytest.raises(PublishRefused) as refused:
        do_publish_policy(text, "policy.yaml", actor="alice")
    assert PolicyVersion.objects.count() == 0  # nothing of a refused policy is stored
    return [(f.code, tuple(f.path)) for f in refused.value.findings if f.severity == "error"]


def _statement_text() -> str:
    version = PolicyVersion.objects.get()
    return render_statement(version.loaded.policy, "en", "md")


@pytest.mark.promise("P3.6")
def test_a_processor_receives_data_only_under_a_processing_agreement(operator) -> None:
    assert AGREEMENT in STARTER and STARTER.count(AGREEMENT) == 1
    errors = _refused(STARTER.replace(AGREEMENT, ""))
    assert ("TD114", ("recipients", "payment_provider", "role")) in errors

    do_publish_policy(STARTER, "policy.yaml", actor="alice")
    statement = _statement_text()
    assert "under a data processing agreement" in statement
    organisation = do_create(Organisation, {"name": "Brouwerij BV", "kind": "private"}, actor=operator)
    recorded = do_record_disclosure(organisation, "payment_provider", INVOICE_DATA, actor=operator)
    assert recorded.recipient == "payment_provider"
    # A processor the policy does not name (so with no agreement on record) gets nothing recorded.
    with pytest.raises(IntakeError) as refused:
        do_record_disclosure(organisation, "cheap_mailer", INVOICE_DATA, actor=operator)
    assert refused.value.message_dict == {
        "recipient": ["'cheap_mailer' is not a recipient of the policy in effect"]
    }
    assert organisation.disclosures.count() == 1


@pytest.mark.promise("P3.7")
def test_data_leaves_the_eea_only_under_a_safeguard(operator) -> None:
    assert STARTER.count(PAYMENT_COUNTRY) == 1
    in_the_us = STARTER.replace(PAYMENT_COUNTRY, "    role: processor\n    country: US\n")
    errors = _refused(in_the_us)
    assert ("TD113", ("recipients", "payment_provider", "country")) in [(c, p[:3]) for c, p in errors]

    with_clauses = in_the_us.replace(
        AGREEMENT, AGREEMENT + "    transfer:\n      safeguard: standard_contractual_clauses\n"
    )
    do_publish_policy(with_clauses, "policy.yaml", actor="alice")
    statement = _statement_text()
    assert "standard data protection clauses (Art. 46(2)(c)" in statement
    organisation = do_create(Organisation, {"name": "Brouwerij BV", "kind": "private"}, actor=operator)
    assert do_record_disclosure(organisation, "payment_provider", INVOICE_DATA, actor=operator).pk
