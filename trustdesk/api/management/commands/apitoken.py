"""``trustdesk apitoken create|list|revoke``: the tokens billing and provisioning systems use."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trustdesk.api.models import ApiToken, Scope


def _at(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


class Command(BaseCommand):
    help = "Create, list and revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create_p = sub.add_parser("create", help="create a token and print it once")
        create_p.add_argument("name", help="what the token is for, e.g. 'WHMCS sync'")
        create_p.add_argument(
            "--scope",
            action="append",
            required=True,
            choices=Scope.values,
            help="a scope the token gets; repeat for several",
        )
        list_p = sub.add_parser("list", help="list the tokens (never their secrets)")
        list_p.add_argument("--json", action="store_true", help="print the tokens as JSON")
        revoke_p = sub.add_parser("revoke", help="revoke a token for good")
        revoke_p.add_argument("prefix", help="the token's first 8 characters, as `apitoken list` shows them")

    def handle(self, *args: Any, **options: Any) -> None:
        from trustdesk.registry.services import Actor

        actor = Actor.command_line()
        if options["action"] == "create":
            self._create(options, actor)
        elif options["action"] == "list":
            self._list(options)
        else:
            self._revoke(options, actor)

    def _create(self, options: dict[str, Any], actor: Any) -> None:
        from trustdesk.api.services import TokenError, do_create_token

        try:
            token, plaintext = do_create_token(options["name"], options["scope"], actor=actor)
        except TokenError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(plaintext)
        self.stderr.write(
            f"Created token {token.prefix} ({token.name}) with {', '.join(token.scopes)}. "
            "It is shown only now: store it in the calling system's secret store."
        )

    def _list(self, options: dict[str, Any]) -> None:
        tokens = ApiToken.objects.order_by("created_at", "pk")
        rows = [
            {
                "id": t.pk,
                "prefix": t.prefix,
                "name": t.name,
                "scopes": t.scopes,
                "created_at": _at(t.created_at),
                "last_used_at": _at(t.last_used_at),
                "revoked_at": _at(t.revoked_at),
            }
            for t in tokens
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No API tokens. Create one with `trustdesk apitoken create NAME --scope ...`.")
            return
        for row in rows:
            state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
            used = f"last used {row['last_used_at']}" if row["last_used_at"] else "never used"
            self.stdout.write(
                f"{row['prefix']}  {row['name']}  {','.join(row['scopes'])}  "
                f"created {row['created_at']}  {used}  {state}"
            )

    def _revoke(self, options: dict[str, Any], actor: Any) -> None:
        from trustdesk.api.services import do_revoke_token

        token = ApiToken.objects.filter(prefix=options["prefix"]).first()
        if token is None:
            raise CommandError(
                f"no API token has the prefix {options['prefix']!r}; see `trustdesk apitoken list`"
            )
        if token.revoked_at is not None:
            self.stdout.write(f"Token {token.prefix} ({token.name}) was already revoked.")
            return
        do_revoke_token(token, actor=actor)
        self.stdout.write(f"Revoked token {token.prefix} ({token.name}).")
