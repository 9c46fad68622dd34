"""``trustdesk twofactor reseal``: seal every two-factor secret under the current secret key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Seal every account's two-factor secrets (TOTP keys, recovery-code seeds) under the current "
        "TRUSTDESK_SECRET_KEY; run it after changing the key, with the old one in "
        "TRUSTDESK_SECRET_KEY_FALLBACKS_FILE, then drop the old key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("reseal", help="seal every two-factor secret under the current secret key")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.db import transaction

        from trustdesk.accounts.sealing import SealError, reseal_all
        from trustdesk.journal.services import record
        from trustdesk.registry.services import Actor

        try:
            with transaction.atomic():
                written = reseal_all()
                record(
                    "accounts.two_factor_resealed",
                    actor=Actor.command_line().ref,
                    object_type="mfa.authenticator",
                    payload={"authenticators": written},
                )
        except SealError as exc:
            raise CommandError(f"nothing was changed: {exc}") from None
        self.stdout.write(f"sealed the secrets of {written} authenticators under the current secret key")
