"""A browser's identification (the User-Agent header it sends) in words a person recognises: "Firefox 128 on
Windows 10/11" rather than "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0".

The header is read by ua-parser with the rules of uap-core (``ua-parser-builtins``). It is what the browser
says of itself, not a proof: the pages that show it (open sessions, log-in history) say which browser a
session claims to be, to help a person tell their own devices from someone else's.
"""

from __future__ import annotations

import functools

from django.utils.translation import gettext

#: The most of a header that is read: Trustdesk stores at most 300 characters of it (allauth's sessions
#: 200), and no browser needs more to be recognised.
READ_AT_MOST = 300


def _named(family: str | None, major: str | None) -> str:
    if not family or family == "Other":
        return ""
    return f"{family} {major}" if major else family


def _system(family: str | None, major: str | None, minor: str | None) -> str:
    """The operating system with its major version, where the header can tell it. Browsers froze the
    version they report: every Mac since macOS 11 says "Mac OS X 10_15_7", and Windows 11 says "Windows NT
    10.0". So a Mac at 10.15 or later is "macOS", an older one "Mac OS X 10.9", and Windows 10 is "Windows
    10/11": never a version the device may not have."""
    if family == "Mac OS X" and major == "10" and minor and minor.isdigit():
        return "macOS" if int(minor) >= 15 else f"Mac OS X 10.{minor}"
    if family == "Windows" and major == "10":
        return "Windows 10/11"
    return _named(family, major)


@functools.lru_cache(maxsize=512)
def _recognised(user_agent: str) -> tuple[str, str]:
    """(browser, operating system) with their major versions, each empty when not recognised."""
    # Imported at first use: loading the rules takes about a tenth of a second, which only the pages that
    # name a browser need to pay, once per process.
    from ua_parser import parse

    found = parse(user_agent)
    browser = _named(found.user_agent.family, found.user_agent.major) if found.user_agent else ""
    system = _system(found.os.family, found.os.major, found.os.minor) if found.os else ""
    return browser, system


def browser_name(user_agent: str | None) -> str:
    """The browser and its operating system in the active language ("Chrome 120 on macOS"); the
    browser or the system alone when only one is recognised; the header as sent when neither is (a script's
    own name, say); "" when there was none."""
    sent = " ".join((user_agent or "")[:READ_AT_MOST].split())
    if not sent:
        return ""
    browser, system = _recognised(sent)
    if browser and system:
        return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or sent
