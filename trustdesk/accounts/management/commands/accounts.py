"""``trustdesk accounts``: make and change log-ins, from the command line only.

Accounts are made by the provider, never by sign-up, and the Django admin shows them read-only: this is
where an operator creates a customer's or a member of staff's account, gives a member another role, and
deactivates an account (someone who left) or reactivates it. Every change goes through
``trustdesk.accounts.services`` and is journaled with the operator as actor.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

#: The largest number a registry record can have (a signed 64-bit integer): a larger one names nobody.
_LARGEST_ID = 2**63 - 1


class Command(BaseCommand):
    help = (
        "Create an account (a customer's, tied to a registry person, or a member of staff's with a role), "
        "list accounts, give a member of staff another role, deactivate or reactivate an account. Journaled."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser(
            "create",
            help="create an account; its owner sets a password with the reset link of the log-in page",
        )
        create.add_argument("email", help="the address it logs in with")
        create.add_argument(
            "--role",
            required=True,
            help="customer, support, privacy_officer, abuse_desk or administrator",
        )
        create.add_argument("--person", type=int, help="the registry person a customer's account belongs to")
        create.add_argument(
            "--verified",
            action="store_true",
            help="the address is known to be theirs (otherwise it is confirmed by a link at the first log-in)",
        )
        listing = sub.add_parser("list", help="every account: address, role, active, two-factor, last log-in")
        listing.add_argument("--json", action="store_true", help="as JSON lines")
        role = sub.add_parser("set-role", help="give a member of staff another staff role")
        role.add_argument("email")
        role.add_argument("role", help="support, privacy_officer, abuse_desk or administrator")
        for name, what in (
            ("deactivate", "close an account to log-in and end its sessions"),
            ("reactivate", "open it again"),
        ):
            change = sub.add_parser(name, help=what)
            change.add_argument("email")
            change.add_argument("--reason", required=True, help="why: kept in the journal")

    def handle(self, *args: Any, **options: Any) -> None:
        from trustdesk.accounts.services import AccountError

        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except AccountError as exc:
            raise CommandError(f"nothing was changed: {exc}") from None

    def _actor(self) -> str:
        from trustdesk.registry.services import Actor

        return Actor.command_line().ref

    def _create(self, options: dict[str, Any]) -> None:
        from trustdesk.accounts.services import do_create_account
        from trustdesk.registry.models import Person

        person = None
        if options["person"] is not None:
            number = options["person"]
            found = Person.objects.filter(pk=number).first() if 0 < number <= _LARGEST_ID else None
            if found is None:
                raise CommandError(f"nothing was changed: no registry person has the number {number}")
            person = found
        user = do_create_account(
            options["email"],
            role=options["role"],
            person=person,
            verified=options["verified"],
            actor=self._actor(),
        )
        self.stdout.write(
            f"created account {user.pk} ({options['role']}); its owner sets a password with "
            "'Forgot your password?' on the log-in page (/account/password/reset/)"
        )

    def _list(self, options: dict[str, Any]) -> None:
        from allauth.mfa.models import Authenticator
        from django.contrib.auth import get_user_model

        from trustdesk.accounts.models import Profile

        roles = dict(Profile.objects.values_list("user_id", "role"))
        with_app = set(
            Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list("user_id", flat=True)
        )
        for user in get_user_model().objects.order_by("email", "pk"):
            row = {
                "id": user.pk,
                "email": user.email,
                "role": roles.get(user.pk, ""),
                "active": user.is_active,
                "two_factor": user.pk in with_app,
                "last_login": user.last_login.isoformat() if user.last_login else None,
            }
            if options["json"]:
                self.stdout.write(json.dumps(row))
            else:
                self.stdout.write(
                    f"{row['id']}\t{row['email']}\t{row['role'] or '(no role)'}\t"
                    f"{'active' if row['active'] else 'deactivated'}\t"
                    f"{'two-factor' if row['two_factor'] else 'no two-factor'}\t{row['last_login'] or 'never'}"
                )

    def _set_role(self, options: dict[str, Any]) -> None:
        from trustdesk.accounts.services import account_by_email, do_change_role

        user = account_by_email(options["email"])
        was = do_change_role(user, options["role"], actor=self._actor())
        self.stdout.write(f"account {user.pk}: role {options['role']} (was {was})")

    def _deactivate(self, options: dict[str, Any]) -> None:
        from trustdesk.accounts.services import account_by_email, do_deactivate_account

        user = account_by_email(options["email"])
        ended = do_deactivate_account(user, actor=self._actor(), reason=options["reason"])
        self.stdout.write(f"account {user.pk} deactivated; {ended} sessions ended")

    def _reactivate(self, options: dict[str, Any]) -> None:
        from trustdesk.accounts.services import account_by_email, do_reactivate_account

        user = account_by_email(options["email"])
        do_reactivate_account(user, actor=self._actor(), reason=options["reason"])
        self.stdout.write(f"account {user.pk} reactivated")
