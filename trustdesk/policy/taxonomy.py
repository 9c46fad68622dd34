"""The fideslang taxonomy (data categories, data uses, data subjects) plus the policy's own keys."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from fideslang.default_taxonomy import DEFAULT_TAXONOMY

KINDS = ("data_categories", "data_uses", "data_subjects")

#: Data uses that are profiling in the sense of GDPR Art. 4(4); a purpose with one must declare it.
PROFILING_USES = frozenset(
    {
        "marketing.advertising.profiling",
        "marketing.advertising.first_party.targeted",
        "marketing.advertising.third_party.targeted",
        "personalize.profiling",
        "personalize.content.profiling",
        "personalize.content.profiled",
    }
)

#: Special categories (Art. 9) and criminal data (Art. 10): never a matter of an Art. 6 basis alone.
SPECIAL_CATEGORY_PREFIXES = (
    "user.biometric",
    "user.health_and_medical",
    "user.criminal_history",
    "user.demographic.political_opinion",
    "user.demographic.race_ethnicity",
    "user.demographic.religious_belief",
    "user.demographic.sexual_orientation",
    "user.authorization.biometric",
)


@dataclass(frozen=True)
class Term:
    key: str
    name: str
    description: str
    parent: str | None


@cache
def fideslang_terms(kind: str) -> dict[str, Term]:
    sources: dict[str, list[Any]] = {
        "data_categories": DEFAULT_TAXONOMY.data_category,
        "data_uses": DEFAULT_TAXONOMY.data_use,
        "data_subjects": DEFAULT_TAXONOMY.data_subject,
    }
    source = sources[kind]
    return {
        item.fides_key: Term(
            key=item.fides_key,
            name=item.name or item.fides_key,
            description=item.description or "",
            parent=getattr(item, "parent_key", None),
        )
        for item in source
    }


def is_special_category(key: str) -> bool:
    return any(key == prefix or key.startswith(prefix + ".") for prefix in SPECIAL_CATEGORY_PREFIXES)


def closest(key: str, candidates: set[str] | dict[str, object], limit: int = 3) -> list[str]:
    """Suggestions for a mistyped key."""
    import difflib

    return difflib.get_close_matches(key, list(candidates), n=limit, cutoff=0.6)
