"""The acceptable use policy as a page: what the policy in effect's ``acceptable_use`` says, in one language.

The texts the provider wrote (the introduction, each category, liability, remedies, sanction names)
come from the policy in the language asked; the sentences around them are the interface's, so they
are translated with gettext in the language active when this runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext

from trustdesk.policy.schema import AcceptableUse, LocalText


@dataclass(frozen=True)
class CategoryPage:
    key: str
    name: str
    description: str
    liability: str
    written_consent: bool
    remedies: list[str]
    immediate: list[str]
    sanctions: list[str]


@dataclass(frozen=True)
class AcceptableUsePage:
    introduction: list[str]
    categories: list[CategoryPage]
    sanctions: list[str]
    email: str
    details: list[str]


def _report_details() -> dict[str, str]:
    return {
        "domain": gettext("the domain name involved"),
        "email": gettext("the e-mail address involved"),
        "website": gettext("the website involved"),
        "ip_address": gettext("the IP address involved"),
        "description": gettext("a detailed description of the abuse"),
        "evidence": gettext("evidence, such as the headers of a spam message or a log excerpt"),
    }


def _paragraphs(text: str) -> list[str]:
    return [part.strip() for part in text.split("\n\n") if part.strip()]


def acceptable_use_page(aup: AcceptableUse, lang: str) -> AcceptableUsePage:
    """The page's content in ``lang``; interface sentences follow the active language."""

    def local(text: LocalText | None) -> str:
        return text.get(lang) if text is not None else ""

    def names(keys: list[str]) -> list[str]:
        # An unknown sanction is a lint error (TD170), so a published policy has none; the key shows if one slips by.
        return [local(aup.sanctions[key].name) if key in aup.sanctions else key for key in keys]

    categories = [
        CategoryPage(
            key=key,
            name=local(category.name),
            description=local(category.description),
            liability=local(category.liability),
            written_consent=category.allowed_with_written_consent,
            remedies=[local(remedy) for remedy in category.remedies],
            immediate=names(category.immediate),
            sanctions=names([key for key in category.sanctions if key not in category.immediate]),
        )
        for key, category in aup.categories.items()
    ]
    wording = _report_details()
    return AcceptableUsePage(
        introduction=_paragraphs(local(aup.introduction)),
        categories=categories,
        sanctions=[local(sanction.name) for sanction in aup.sanctions.values()],
        email=aup.reporting.email,
        details=[wording[detail] for detail in aup.reporting.details],
    )
