"""References the schema cannot check: taxonomy keys and built-in authorities."""

from __future__ import annotations

from collections.abc import Sequence

from trustdesk.policy.authorities import BUILTIN_AUTHORITIES
from trustdesk.policy.loader.base import PathT, Problem, Source
from trustdesk.policy.loader.messages import NOUNS, describe
from trustdesk.policy.schema import Policy
from trustdesk.policy.taxonomy import KINDS, closest, fideslang_terms

# --- references: the taxonomy -----------------------------------------------------------------


def _alternatives(words: Sequence[str]) -> str:
    quoted = [f"'{word}'" for word in words]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def taxonomy_problems(source: Source, policy: Policy) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: PathT, message: str) -> None:
        problems.append(Problem(source.name, source.line_of(path, value=True), path, message))

    known: dict[str, set[str]] = {}
    for kind in KINDS:
        builtin = fideslang_terms(kind)
        custom = getattr(policy.taxonomy, kind)
        for key, entry in custom.items():
            if key in builtin:
                problems.append(
                    Problem(
                        source.name,
                        source.line_of(("taxonomy", kind, key)),
                        ("taxonomy", kind, key),
                        f"'{key}' is already a fideslang {NOUNS[kind]}: use it without declaring it here",
                    )
                )
            if entry.parent is None:
                if kind != "data_subjects":
                    add(
                        ("taxonomy", kind, key),
                        f"'{key}' needs a parent: the fideslang key it refines, such as "
                        f"{'user.contact' if kind == 'data_categories' else 'essential.service'}",
                    )
            elif entry.parent not in builtin and entry.parent not in custom:
                hint = closest(entry.parent, set(builtin) | set(custom))
                suggestion = f" Did you mean {_alternatives(hint)}?" if hint else ""
                add(
                    ("taxonomy", kind, key, "parent"),
                    f"the parent '{entry.parent}' of '{key}' is not a known {NOUNS[kind]}.{suggestion}",
                )
        known[kind] = set(builtin) | set(custom)

    def check(kind: str, key: str, path: PathT) -> None:
        if key in known[kind]:
            return
        noun = NOUNS[kind]
        hint = closest(key, known[kind])
        suggestion = f" Did you mean {_alternatives(hint)}?" if hint else ""
        add(
            path,
            f"{describe(path[:-1])}: '{key}' is not a known {noun}; "
            f"declare it under taxonomy.{kind} if it is your own.{suggestion}",
        )

    for pkey, purpose in policy.purposes.items():
        base: PathT = ("purposes", pkey)
        check("data_uses", purpose.data_use, (*base, "data_use"))
        for index, subject in enumerate(purpose.data_subjects):
            check("data_subjects", subject, (*base, "data_subjects", index))
        for index, category in enumerate(purpose.data_categories):
            check("data_categories", category, (*base, "data_categories", index))
        for index, category in enumerate(purpose.required_categories):
            if category not in purpose.data_categories:
                add(
                    (*base, "required_categories", index),
                    f"purpose '{pkey}': the required category '{category}' is not one of the purpose's "
                    "data categories; add it to data_categories",
                )
        for sindex, src in enumerate(purpose.sources):
            for index, category in enumerate(src.data_categories):
                if category not in purpose.data_categories:
                    add(
                        (*base, "sources", sindex, "data_categories", index),
                        f"purpose '{pkey}': the source's category '{category}' is not one of the purpose's "
                        "data categories; add it to data_categories",
                    )
    for index, category in enumerate(policy.never_collected):
        check("data_categories", category, ("never_collected", index))
    chosen = policy.supervisory_authority
    if isinstance(chosen, str) and policy.authority() is None:
        codes = sorted(BUILTIN_AUTHORITIES)
        listed = f"{', '.join(codes[:-1])} and {codes[-1]}" if len(codes) > 1 else ", ".join(codes)
        add(
            ("supervisory_authority",),
            f"there is no built-in authority for '{chosen}' (there is for {listed}): "
            "write it out with name, address and country",
        )
    return sorted(problems, key=lambda problem: problem.line or 0)
