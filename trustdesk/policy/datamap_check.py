"""The policy against the data the software stores: ``trustdesk policy lint FILE --against-datamap``.

These findings need the software's data map (every model's declared personal fields), so they
are not among the policy rules in :mod:`trustdesk.policy.lint`, which look at the file alone.
Categories match hierarchically: a purpose that covers ``user.contact`` covers
``user.contact.email``. The codes are documented in ``docs/lint.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from trustdesk.lib.datamap import Entry, covers, personal_fields
from trustdesk.policy.lint import Finding, Severity, cite
from trustdesk.policy.loader import LoadedPolicy, PathT


@dataclass(frozen=True)
class Check:
    code: str
    severity: Severity
    article: str
    title: str | Promise


UNCOVERED = Check(
    "TD190",
    Severity.ERROR,
    "GDPR Art. 13(1)(c), 30(1)(c)",
    _lazy("Every category the software stores is covered by a purpose"),
)
UNSTORED = Check(
    "TD191", Severity.INFO, "GDPR Art. 30(1)(c)", _lazy("Every category a purpose lists is stored somewhere")
)
UNKNOWN_HOLD = Check(
    "TD192",
    Severity.WARNING,
    "GDPR Art. 17(3)(b), 5(1)(e)",
    _lazy("Every legal hold of the data map has a legal-obligation purpose in the policy"),
)
STAFF_ONLY = Check(
    "TD193",
    Severity.ERROR,
    "GDPR Art. 13(1)(c), 30(1)(c)",
    _lazy("Every category the software keeps about customers is covered by a purpose for them"),
)
CHECKS = (UNCOVERED, UNSTORED, UNKNOWN_HOLD, STAFF_ONLY)


def _related(a: str, b: str) -> bool:
    """One category lies within the other (either way): a field may hold what the purpose lists."""
    return covers(a, b) or covers(b, a)


def check_against_datamap(
    loaded: LoadedPolicy, entries: Iterable[Entry] | None = None, about_people: Iterable[str] | None = None
) -> list[Finding]:
    """TD190 to TD193 findings for a loaded policy and the data map (default: the software's).

    ``about_people`` names the models whose records are about the registry's people and organisations
    (default: those the data map reaches, :func:`trustdesk.registry.datamap_ops.reaches`)."""
    policy = loaded.policy
    if about_people is None:
        from trustdesk.registry.datamap_ops import reaches

        about_people = [reach.label for reach in reaches()]
    registry_models = set(about_people)
    stored: dict[str, list[str]] = defaultdict(list)
    about_customers: dict[str, list[str]] = defaultdict(list)
    holds: dict[str, list[str]] = defaultdict(list)
    for entry in personal_fields() if entries is None else entries:
        stored[entry.category].append(f"{entry.model}.{entry.field}")
        if entry.model in registry_models:
            about_customers[entry.category].append(f"{entry.model}.{entry.field}")
        if entry.hold:
            holds[entry.hold].append(f"{entry.model}.{entry.field}")
    listed = {key: list(purpose.data_categories) for key, purpose in policy.purposes.items()}
    for_them = {key: listed[key] for key in policy.registry_purposes()}

    found: list[tuple[Check, PathT, str]] = []
    for category in sorted(stored):
        if not any(covers(broad, category) for categories in listed.values() for broad in categories):
            fields = _some(stored[category])
            found.append(
                (
                    UNCOVERED,
                    ("purposes",),
                    _(
                        "the software stores %(category)s (%(fields)s) but no purpose of the policy covers it; "
                        "add it (or a broader category) to the purpose it is processed for"
                    )
                    % {"category": category, "fields": fields},
                )
            )
    for category in sorted(about_customers):
        covering = [key for key, categories in listed.items() if any(covers(b, category) for b in categories)]
        if covering and not any(covers(b, category) for categories in for_them.values() for b in categories):
            found.append(
                (
                    STAFF_ONLY,
                    ("purposes", covering[0], "data_subjects"),
                    _(
                        "the software keeps %(category)s about customers (%(fields)s), but only purposes for "
                        "your staff alone cover it (%(purposes)s: their data subjects are all employees); add "
                        "it (or a broader category) to the purpose it is processed for about customers"
                    )
                    % {
                        "category": category,
                        "fields": _some(about_customers[category]),
                        "purposes": ", ".join(covering),
                    },
                )
            )
    for key, categories in listed.items():
        never = [c for c in categories if not any(_related(c, s) for s in stored)]
        if never:
            found.append(
                (
                    UNSTORED,
                    ("purposes", key, "data_categories"),
                    _(
                        "purpose '%(purpose)s' lists %(categories)s, which the software never stores; "
                        "fine if it is kept elsewhere (another system, the web logs), otherwise remove it"
                    )
                    % {"purpose": key, "categories": ", ".join(never)},
                )
            )
    for event in sorted(holds):
        if policy.legal_hold(event) is None:
            found.append(
                (
                    UNKNOWN_HOLD,
                    ("purposes",),
                    _(
                        "the software keeps %(fields)s under a legal hold running from %(event)s, but no "
                        "purpose of the policy rests on legal_obligation with retention from that event; erasure "
                        "cannot tell until when the hold lasts. Declare the purpose that keeps these records "
                        "(for example invoices: legal_obligation, retention from %(event)s)"
                    )
                    % {"fields": _some(holds[event]), "event": event},
                )
            )
    findings = [
        Finding(
            code=check.code,
            severity=check.severity,
            article=cite(check.article),
            message=message,
            path=path,
            file=loaded.source.name,
            line=loaded.source.line_of(path),
        )
        for check, path, message in found
    ]
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    findings.sort(key=lambda f: (order[f.severity], f.line or 0, f.code))
    return findings


def _some(fields: list[str], shown: int = 3) -> str:
    names = sorted(fields, key=lambda name: (".historical" in name, name))  # history copies last
    more = len(names) - shown
    listed = ", ".join(names[:shown])
    return _("%(fields)s and %(more)s more") % {"fields": listed, "more": more} if more > 0 else listed
