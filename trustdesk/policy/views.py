"""Public pages of the policy: the statement in effect, its versions and what changed (P0.12, P3.14)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.views.decorators.http import require_safe

from trustdesk.policy.acceptable_use import acceptable_use_page
from trustdesk.policy.diff import diff, show
from trustdesk.policy.models import PolicyVersion
from trustdesk.policy.queries import upcoming_versions, version_in_effect, versions_with_periods
from trustdesk.policy.render import render_statement


def _language(request: HttpRequest, languages: list[str]) -> str:
    """The statement's language: ?lang= when the policy has it, else the visitor's, else the policy's first."""
    asked = request.GET.get("lang", "")
    if asked in languages:
        return asked
    current = (translation.get_language() or "").split("-")[0]
    return current if current in languages else languages[0]


def _statement_page(request: HttpRequest, version: PolicyVersion, *, current: bool) -> HttpResponse:
    policy = version.loaded.policy
    lang = _language(request, list(policy.languages))
    translation.activate(lang)  # the page around the statement speaks its language too
    body = render_statement(
        policy, lang, "html", effective=version.effective_from, published=version.published_at.date()
    )
    return render(
        request,
        "policy/statement.html",
        {
            "version": version,
            "current": current,
            "statement": body,
            "page_lang": lang,
            "languages": [(code, _LANGUAGE_NAMES.get(code, code)) for code in policy.languages],
            "upcoming": upcoming_versions() if current else [],
        },
    )


_LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands"}


@require_safe
def statement(request: HttpRequest) -> HttpResponse:
    version = version_in_effect()
    if version is None:
        response = render(request, "policy/none.html", status=503)
        response["Retry-After"] = "3600"
        return response
    return _statement_page(request, version, current=True)


@require_safe
def acceptable_use(request: HttpRequest) -> HttpResponse:
    """The acceptable use policy in effect (P1.1, P1.2), in the visitor's language with the same switch."""
    version = version_in_effect()
    if version is None:
        response = render(request, "policy/none.html", status=503)
        response["Retry-After"] = "3600"
        return response
    policy = version.loaded.policy
    lang = _language(request, list(policy.languages))
    translation.activate(lang)
    if policy.acceptable_use is None:
        return render(request, "policy/no_acceptable_use.html", {"page_lang": lang}, status=404)
    return render(
        request,
        "policy/acceptable_use.html",
        {
            "version": version,
            "aup": acceptable_use_page(policy.acceptable_use, lang),
            "page_lang": lang,
            "languages": [(code, _LANGUAGE_NAMES.get(code, code)) for code in policy.languages],
        },
    )


@require_safe
def versions(request: HttpRequest) -> HttpResponse:
    return render(request, "policy/versions.html", {"rows": versions_with_periods()})


@require_safe
def version_detail(request: HttpRequest, number: int) -> HttpResponse:
    version = get_object_or_404(PolicyVersion, number=number)
    current = version_in_effect()
    return _statement_page(request, version, current=current is not None and current.pk == version.pk)


@require_safe
def compare(request: HttpRequest, old: int, new: int) -> HttpResponse:
    if old == new:
        raise Http404("compare two different versions")
    before = get_object_or_404(PolicyVersion, number=old)
    after = get_object_or_404(PolicyVersion, number=new)
    changes = diff(before.loaded.source.data, after.loaded.source.data)
    rows = [
        {"kind": c.kind, "where": c.where, "key": c.key, "old": show(c.old), "new": show(c.new)}
        for c in changes
    ]
    return render(request, "policy/compare.html", {"before": before, "after": after, "rows": rows})
