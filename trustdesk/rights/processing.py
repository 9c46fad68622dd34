"""Whether a person's data may be used for a purpose: ``may_process(person, purpose)``.

Every feature that processes personal data asks this one function first. It says no when:

- the policy in effect has no such purpose;
- the person's processing is restricted (Art. 18): then only storage (:data:`STORAGE`) is allowed;
- the person objected to the purpose and the objection was upheld, or objected to direct
  marketing and the purpose is marketing (Art. 21(2)-(3): immediate and absolute);
- the purpose rests on consent alone and the person has not given it, or withdrew it.
"""

from __future__ import annotations

from dataclasses import dataclass

from trustdesk.policy.schema import LegalBasis, Policy, Purpose
from trustdesk.registry.models import Person
from trustdesk.rights.models import Objection, Restriction

#: Keeping the data as it is: the one use a restriction allows (Art. 18(2)).
STORAGE = "storage"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def _policy() -> Policy | None:
    from trustdesk.policy.queries import version_in_effect

    version = version_in_effect()
    return version.loaded.policy if version is not None else None


def is_marketing(purpose: Purpose) -> bool:
    """Direct marketing, by the purpose's fideslang data use (``marketing.*``)."""
    return purpose.data_use == "marketing" or purpose.data_use.startswith("marketing.")


def is_restricted(person: Person) -> bool:
    return Restriction.objects.filter(person=person, lifted_at__isnull=True).exists()


def may_process(person: Person, purpose: str) -> Verdict:
    """Whether ``person``'s data may be used for the policy's purpose ``purpose`` now."""
    restricted = is_restricted(person)
    if purpose == STORAGE:
        return Verdict(True, "storage is always allowed")
    if restricted:
        return Verdict(False, "processing is restricted (Art. 18): only storage is allowed")
    policy = _policy()
    if policy is None:
        return Verdict(False, "no policy is in effect")
    declared = policy.purposes.get(purpose)
    if declared is None:
        return Verdict(False, f"the policy in effect has no purpose '{purpose}'")
    upheld = set(
        Objection.objects.filter(person=person, decision=Objection.Decision.UPHELD).values_list(
            "purpose", flat=True
        )
    )
    if purpose in upheld:
        return Verdict(False, f"the person objected to '{purpose}' and the objection was upheld (Art. 21)")
    if Objection.DIRECT_MARKETING in upheld and is_marketing(declared):
        return Verdict(False, "the person objected to direct marketing (Art. 21(3))")
    if declared.legal_basis == [LegalBasis.CONSENT]:
        from trustdesk.consent.queries import has_consent

        if not has_consent(person, purpose):
            return Verdict(False, f"'{purpose}' rests on consent, which the person has not given or withdrew")
    return Verdict(True, "allowed")
