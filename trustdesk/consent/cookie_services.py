"""Recording a visitor's cookie choice (P2.2). Atomic, with its journal entry in the same transaction.

Giving, changing and withdrawing a choice are the same call: the visitor presses "accept all",
"only necessary" or "save my choices", and the choice is recorded as a new row under the
browser's consent id (a new id the first time). The journal's core holds only the row's reference;
the consent id, the policy version and the choices are in its payload.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from trustdesk.consent.cookies import is_consent_id, new_consent_id, optional_purposes
from trustdesk.consent.models import CookieChoice, CookieChoiceKind
from trustdesk.journal.services import record
from trustdesk.policy.models import PolicyVersion

#: The journal action and object type.
CHOSEN = "consent.cookies_chosen"
OBJECT_TYPE = "consent.cookiechoice"
#: Visitors are anonymous: the journal's actor says only that a visitor made the choice.
VISITOR = "visitor"

_LANG_MAX = CookieChoice._meta.get_field("lang").max_length or 10


class CookieChoiceError(ValueError):
    """A cookie choice that cannot be recorded; the message says what is wrong."""


@transaction.atomic
def do_record_cookie_choice(
    version: PolicyVersion,
    choice: str,
    *,
    selected: Iterable[str] = (),
    consent_id: str | None = None,
    lang: str = "en",
) -> CookieChoice:
    """Record a visitor's choice about the optional cookies of ``version``.

    ``choice`` is ``all`` (every purpose with optional cookies), ``necessary`` (none) or
    ``selected`` (the purposes in ``selected``; any the policy does not offer is ignored, such as
    one from a form shown under an earlier version). ``consent_id`` is the browser's id from its
    choice cookie; without one, or with one that is not an id, a new id is made.
    """
    if choice not in CookieChoiceKind.values:
        raise CookieChoiceError(
            f"cookie choice {choice[:20]!r} is not one of {', '.join(CookieChoiceKind.values)}"
        )
    if not 0 < len(lang) <= _LANG_MAX:
        raise CookieChoiceError(f"the language code must have 1 to {_LANG_MAX} characters, such as en or nl")
    offered = list(optional_purposes(version.loaded.policy))
    if choice == CookieChoiceKind.ALL:
        accepted = list(offered)
    elif choice == CookieChoiceKind.NECESSARY:
        accepted = []
    else:
        wanted = set(selected)
        accepted = [purpose for purpose in offered if purpose in wanted]
    row = CookieChoice.objects.create(
        consent_id=consent_id if consent_id and is_consent_id(consent_id) else new_consent_id(),
        at=timezone.now(),
        policy_version=version,
        choice=choice,
        offered=offered,
        accepted=accepted,
        lang=lang,
    )
    record(
        CHOSEN,
        actor=VISITOR,
        object_type=OBJECT_TYPE,
        object_id=str(row.pk),
        payload={
            "consent_id": row.consent_id,
            "policy_version": version.number,
            "choice": choice,
            "offered": offered,
            "accepted": accepted,
            "lang": lang,
        },
    )
    return row
