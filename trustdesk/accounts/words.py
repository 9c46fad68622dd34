"""What the journal's entries about an account say, in words: the log-in history page and the access report.

The journal keeps the action and its payload as recorded (``accounts.login_failed``, ``{"reason":
"wrong_password", "failures": 2}``); a person reads "Failed log-in" and "Failed attempts in a row: 2".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from trustdesk.accounts.middleware import SESSION_LIMIT_REASON
from trustdesk.lib.browsers import browser_name

#: The account's journal actions.
EVENTS: dict[str, Promise] = {
    "accounts.created": _("Account opened"),
    "accounts.logged_in": _("Logged in"),
    "accounts.logged_out": _("Logged off"),
    "accounts.login_failed": _("Failed log-in"),
    "accounts.locked": _("Blocked after failed log-ins"),
    "accounts.unlocked": _("Block lifted"),
    "accounts.failures_reset": _("Failed log-ins set back to none"),
    "accounts.password_reset": _("Password reset"),
    "accounts.sessions_ended": _("Logged off everywhere"),
    "accounts.authenticator_added": _("Two-factor authentication set up"),
    "accounts.authenticator_removed": _("Two-factor authentication removed"),
    "accounts.authenticator_reset": _("New recovery codes made"),
    "accounts.two_factor_removed": _("Two-factor authentication removed by our staff"),
    "accounts.two_factor_removal_asked": _("Our staff were asked to remove two-factor authentication"),
    "accounts.two_factor_removal_kept": _("Two-factor authentication kept: its removal was stopped"),
    "accounts.two_factor_removal_withdrawn": _("Removal of two-factor authentication withdrawn by our staff"),
    "accounts.two_factor_removal_approved": _(
        "Removal of two-factor authentication approved by a second member of our staff"
    ),
    "accounts.notices_told_otherwise": _("Told by our staff of changes whose e-mail could not be sent"),
    "accounts.role_changed": _("Role changed"),
    "accounts.deactivated": _("Account deactivated: it can no longer log in"),
    "accounts.reactivated": _("Account reactivated"),
}

#: The same actions about the recovery codes (``kind`` in the payload) rather than the authenticator app.
RECOVERY_CODE_EVENTS: dict[str, Promise] = {
    "accounts.authenticator_added": _("Recovery codes made"),
    "accounts.authenticator_removed": _("Recovery codes removed"),
}

#: What a payload's keys hold. A key not named here is a reference for staff (a record's number in the
#: database, the policy's figures at the time) and is left to the journal and the data file.
DETAILS: dict[str, Promise] = {
    "ip": _("IP address"),
    "user_agent": _("Browser"),
    "reason": _("Reason"),
    "failures": _("Failed attempts in a row"),
    "attempts": _("Failed attempts"),
    "until": _("Blocked until"),
    "sessions": _("Sessions ended"),
    "authenticators": _("Authenticators removed"),
    "due_at": _("To be removed on"),
    "asked_at": _("Asked for on"),
    "role": _("Role"),
    "was": _("Role before"),
}

#: The details that are a stored moment.
MOMENTS = ("until", "due_at", "asked_at")

#: The reasons the software itself records (a member of staff's reason for lifting a block is their own words).
REASONS: dict[str, Promise] = {
    "wrong_password": _("wrong password"),
    "blocked": _("refused: the account was blocked"),
    "throttled": _("refused: too many attempts from one address"),
    "inactive": _("refused: the account is deactivated"),
    SESSION_LIMIT_REASON: _("the session reached its time limit"),
    "expired": _("the block ran out"),
    "password_reset": _("a new password was chosen"),
}


def event_name(action: str, payload: Mapping[str, Any] | None = None) -> str:
    """An account's journal action in words, as its payload tells it apart; an action with no words stays
    as it is."""
    payload = payload if isinstance(payload, Mapping) else {}
    if action == "accounts.logged_out" and payload.get("reason") == SESSION_LIMIT_REASON:
        return str(_("Logged off: the session reached its time limit"))
    if payload.get("kind") == "recovery_codes" and action in RECOVERY_CODE_EVENTS:
        return str(RECOVERY_CODE_EVENTS[action])
    said = EVENTS.get(action)
    return str(said) if said is not None else action


def details(payload: Mapping[str, Any], moment: Any = None) -> list[tuple[str, str]]:
    """The payload's details a person can read, each as (what, value) in the active language: a browser by
    its name, a reason in words. ``moment`` writes a stored moment (``until``) as the reader reads one."""
    from trustdesk.accounts.models import Profile

    found: list[tuple[str, str]] = []
    for key, label in DETAILS.items():
        value = payload.get(key)
        if value in (None, ""):
            continue
        if key == "user_agent":
            text = browser_name(str(value))
        elif key == "reason":
            text = str(REASONS.get(str(value), value))
        elif key == "role":
            text = str(Profile.Role(value).label) if value in Profile.Role.values else str(value)
        elif key in MOMENTS and moment is not None:
            text = moment(value)
        else:
            text = str(value)
        found.append((str(label), text))
    return found
