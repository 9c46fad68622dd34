"""The language of the page being answered, as the policy's texts and the e-mails are keyed by it."""

from __future__ import annotations

from django.utils import translation


def page_language() -> str:
    """The active language's code without its region (``nl`` for ``nl-be``); ``en`` when none is active."""
    return (translation.get_language() or "en").split("-")[0]
