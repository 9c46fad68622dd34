"""Promises kept by the registry: what is recorded, where it came from, and what is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.personas import october_traffic
from trustdesk.lib.cards import CARD_MESSAGE
from trustdesk.registry.models import Interaction, Organisation, Person, RegistryModel, Service, UsageRecord
from trustdesk.registry.services import IntakeError, do_create, do_record_disclosure, do_update

pytestmark = pytest.mark.django_db

CARD = "5500-0000-0000-0004"


@pytest.mark.promise("P0.1")
def test_it_records_customer_data_with_the_channel_it_came_through(operator) -> None:
    for channel in ("website", "email", "phone", "fax"):
        organisation = do_create(
            Organisation,
            {
                "name": f"Brouwerij {channel}",
                "street": "Markt 1",
                "postal_code": "9000",
                "city": "Gent",
                "country": "BE",
                "email": "info@brouwerij.example",
                "phone": "+32 9 111 22 33",
                "fax": "+32 9 111 22 34",
                "channel": channel,
            },
            actor=operator,
        )
        person = do_create(
            Person, {"first_name": "Jan", "last_name": "Claes", "channel": channel}, actor=operator
        )
        do_create(
            Interaction,
            {
                "organisation": organisation,
                "person": person,
                "direction": "in",
                "occurred_at": timezone.now(),
                "subject": "Question about hosting",
                "channel": channel,
            },
            actor=operator,
        )
    assert sorted(Organisation.objects.values_list("channel", flat=True)) == [
        "email",
        "fax",
        "phone",
        "website",
    ]
    stored = Organisation.objects.get(channel="fax")
    assert (stored.name, stored.email, stored.phone, stored.fax, stored.city) == (
        "Brouwerij fax",
        "info@brouwerij.example",
        "+32 9 111 22 33",
        "+32 9 111 22 34",
        "Gent",
    )
    assert sorted(Interaction.objects.values_list("channel", flat=True)) == [
        "email",
        "fax",
        "phone",
        "website",
    ]


@pytest.mark.promise("P0.2")
def test_it_records_the_quantities_needed_for_invoicing(operator) -> None:
    organisation = do_create(Organisation, {"name": "Brouwerij BV"}, actor=operator)
    service = do_create(Service, {"organisation": organisation, "kind": "web_hosting"}, actor=operator)
    october_traffic(service, "123.456", actor=operator, source_kind="observed")
    usage = UsageRecord.objects.get()
    assert (usage.metric, usage.quantity, usage.service.organisation) == (
        "traffic_gb",
        Decimal("123.456"),
        organisation,
    )


@pytest.mark.promise("P0.7")
def test_it_keeps_an_archival_copy_of_modified_data(operator) -> None:
    person = do_create(
        Person, {"first_name": "Jan", "last_name": "Claes", "email": "jan@old.example"}, actor=operator
    )
    do_update(person, {"email": "jan@new.example"}, actor=operator, reason="typo in the address")
    do_update(person, {"last_name": "Claeys"}, actor=operator, reason="spelling")
    history = list(
        person.history.order_by("history_date").values_list(
            "email", "last_name", "history_change_reason", "history_actor"
        )
    )
    assert history == [
        ("jan@old.example", "Claes", "created", operator.ref),
        ("jan@new.example", "Claes", "typo in the address", operator.ref),
        ("jan@new.example", "Claeys", "spelling", operator.ref),
    ]
    # An error can be redressed from the copy.
    original = person.history.earliest("history_date")
    do_update(person, {"email": original.email}, actor=operator, reason="redress")
    person.refresh_from_db()
    assert person.email == "jan@old.example"


@pytest.mark.promise("P0.8")
def test_it_refuses_a_card_number_wherever_free_text_is_stored(operator) -> None:
    organisation = do_create(Organisation, {"name": "Brouwerij BV"}, actor=operator)
    person = do_create(Person, {"first_name": "Jan"}, actor=operator)
    service = do_create(Service, {"organisation": organisation, "kind": "domain"}, actor=operator)
    related = {"organisation": organisation, "person": person, "service": service}
    checked = 0
    for model in apps.get_models():
        if not issubclass(model, RegistryModel):
            continue
        for name in model.free_text:
            instance = model()
            for field in model._meta.concrete_fields:
                if field.name in related and field.is_relation:
                    setattr(instance, field.name, related[field.name])
            setattr(instance, name, f"paid with {CARD}")
            with pytest.raises(ValidationError) as refused:
                instance.clean()
            assert str(CARD_MESSAGE) in str(refused.value), (model.__name__, name)
            assert CARD not in str(refused.value)
            checked += 1
    assert checked >= 10
    with pytest.raises(IntakeError):
        do_create(
            Interaction,
            {"person": person, "direction": "in", "occurred_at": timezone.now(), "summary": f"card {CARD}"},
            actor=operator,
        )
    assert not Interaction.objects.exists()


@pytest.mark.promise("P2.3")
def test_it_enforces_the_mandatory_fields_the_policy_declares(operator, starter_policy) -> None:
    with pytest.raises(IntakeError) as refused:
        do_create(
            Person, {"first_name": "Jan", "street": "Markt 1"}, actor=operator, purpose="customer_account"
        )
    assert list(refused.value.message_dict) == ["email"]
    assert "purpose 'customer_account' requires user.contact.email" in refused.value.message_dict["email"][0]
    person = do_create(
        Person,
        {"first_name": "Jan", "street": "Markt 1", "email": "jan@example.be"},
        actor=operator,
        purpose="customer_account",
    )
    assert person.pk
    # Optional fields stay optional: no phone number was needed.
    assert person.phone == ""


@pytest.mark.promise("P2.4")
def test_it_records_data_from_third_parties_with_their_source(operator) -> None:
    organisation = do_create(
        Organisation,
        {
            "name": "Widget Ltd",
            "company_number": "01234567",
            "country": "GB",
            "source_kind": "public",
            "source_name": "Companies House",
        },
        actor=operator,
    )
    assert (organisation.source_kind, organisation.source_name) == ("public", "Companies House")
    with pytest.raises(IntakeError):
        do_create(Organisation, {"name": "Other Ltd", "source_kind": "third_party"}, actor=operator)


@pytest.mark.promise("P3.5")
def test_it_records_whether_data_came_from_the_person_their_company_or_a_trade_fair(operator) -> None:
    own = do_create(
        Person, {"first_name": "An", "source_kind": "data_subject", "channel": "website"}, actor=operator
    )
    colleague = do_create(
        Person, {"first_name": "Bert", "source_kind": "organisation", "channel": "email"}, actor=operator
    )
    fair = do_create(
        Person,
        {
            "first_name": "Chris",
            "kind": "prospect",
            "source_kind": "third_party",
            "source_name": "Hosting Expo Kortrijk 2026",
            "channel": "in_person",
        },
        actor=operator,
    )
    stored = {p.first_name: (p.source_kind, p.source_name) for p in Person.objects.all()}
    assert stored == {
        "An": ("data_subject", ""),
        "Bert": ("organisation", ""),
        "Chris": ("third_party", "Hosting Expo Kortrijk 2026"),
    }
    assert {own.pk, colleague.pk, fair.pk} == set(Person.objects.values_list("pk", flat=True))


@pytest.mark.promise("P0.5", "P4.1")
def test_it_records_each_disclosure_to_a_registry_as_public(operator, starter_policy) -> None:
    organisation = do_create(Organisation, {"name": "Brouwerij BV", "kind": "private"}, actor=operator)
    domain = do_create(
        Service, {"organisation": organisation, "kind": "domain", "label": "brouwerij.be"}, actor=operator
    )
    disclosure = do_record_disclosure(
        organisation,
        "domain_registry",
        ["user.name", "user.contact.address", "user.contact.email"],
        actor=operator,
        service=domain,
    )
    assert disclosure.public is True  # the registry publishes it through WHOIS
    assert disclosure.recipient == "domain_registry"
    assert organisation.disclosures.get() == disclosure
    with pytest.raises(IntakeError) as refused:
        do_record_disclosure(organisation, "somebody_else", ["user.name"], actor=operator)
    assert refused.value.message_dict == {
        "recipient": ["'somebody_else' is not a recipient of the policy in effect"]
    }


@pytest.mark.promise("P2.7")
def test_it_passes_purchase_data_to_payment_gateways_only_to_complete_a_transaction(
    operator, starter_policy
) -> None:
    from tests.conftest import EXAMPLES
    from trustdesk.policy.loader import load_file
    from trustdesk.policy.render import render_statement

    # Seed 002: purchase data goes to payment gateways and resellers only to complete or verify a
    # transaction. Its policy names them as recipients of the orders and fraud prevention purposes only,
    seed = load_file(EXAMPLES / "openitc-uk.yaml").policy
    purchase = ["user.name", "user.contact.address", "user.contact.email", "user.financial.credit_reference"]
    assert seed.not_passed_to("payment_gateways", purchase) == []
    # ... so browsing behaviour (site visits, usage patterns) is never theirs, and the statement says why.
    assert seed.not_passed_to("payment_gateways", ["user.behavior.browsing_history", "user.name"]) == [
        "user.behavior.browsing_history"
    ]
    assert "only to complete a transaction or to verify that it is not fraudulent" in render_statement(
        seed, "en", "html"
    )
    # Recording what went to a recipient refuses data that no purpose naming it covers.
    organisation = do_create(Organisation, {"name": "Winkel BV", "kind": "company"}, actor=operator)
    invoice_data = ["user.name", "user.contact.address"]
    assert do_record_disclosure(organisation, "payment_provider", invoice_data, actor=operator).pk
    with pytest.raises(IntakeError) as refused:
        do_record_disclosure(
            organisation, "payment_provider", ["user.behavior.browsing_history"], actor=operator
        )
    assert refused.value.message_dict == {
        "categories": [
            "no purpose of the policy in effect passes user.behavior.browsing_history to 'payment_provider': "
            "a recipient gets only the data of the purposes that name it"
        ]
    }
    assert organisation.disclosures.count() == 1
