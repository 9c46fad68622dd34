"""``trustdesk request new|list|show|verify|fulfil|confirm|refuse|extend|withdraw|purge-downloads|reapply-erasures``.

For operators and scripts: every change goes through the rights services (journal, timeline,
e-mails); ``--json`` prints what a script reads. Errors are one line on standard error with exit
status 2, naming what is wrong and never a person's data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from trustdesk.lib import mail
from trustdesk.lib.mail import MailNotSent
from trustdesk.registry.models import Person
from trustdesk.registry.services import Actor, IntakeError
from trustdesk.rights import clock
from trustdesk.rights.models import Channel, IdentityMethod, Kind, RefusalGround, Request, Status

STAFF_CHANNELS = [c for c in Channel.values if c not in (Channel.PORTAL, Channel.PUBLIC_FORM)]


def as_dict(request: Request, *, events: bool = False) -> dict[str, Any]:
    urgency = clock.urgency(request)
    data: dict[str, Any] = {
        "reference": request.reference,
        "kind": request.kind,
        "status": request.status,
        "channel": request.channel,
        "person": request.person_id,
        "received_on": request.received_on.isoformat(),
        "due_on": request.due_on.isoformat(),
        "urgency": urgency.value if urgency else None,
        "extended_by": request.extended_by or None,
        "identity": request.identity_method or None,
        "closed_at": request.closed_at.isoformat() if request.closed_at else None,
        "mail_not_sent_at": request.mail_failed_at.isoformat() if request.mail_failed_at else None,
    }
    if events:
        data["timeline"] = [
            {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "to": e.to_status or None}
            for e in request.events.order_by("at", "id")
        ]
        data["downloads"] = [
            {"format": d.format, "expires_at": d.expires_at.isoformat(), "deleted": d.deleted_at is not None}
            for d in request.downloads.order_by("pk")
        ]
    return data


class Failure(Exception):
    pass


class Command(BaseCommand):
    help = "Open, list and handle data-subject requests."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        new = sub.add_parser("new", help="record a request received by letter, phone, e-mail or in person")
        new.add_argument("--type", required=True, choices=Kind.values, dest="kind")
        new.add_argument("--email", default="", help="the address the answer goes to")
        new.add_argument("--person", type=int, help="the person's id, when known")
        new.add_argument("--channel", choices=STAFF_CHANNELS, default=Channel.COMMAND)
        new.add_argument("--details", default="", help="what the person asked")
        new.add_argument("--original", type=Path, help="the letter or e-mail as received, to attach")
        new.add_argument("--language", choices=["en", "nl"])
        new.add_argument(
            "--change",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="rectification: a field of the person and its right value (repeatable)",
        )
        new.add_argument(
            "--purpose",
            action="append",
            default=[],
            metavar="KEY",
            help="objection or consent withdrawal: a purpose key (repeatable)",
        )
        new.add_argument(
            "--ip",
            action="append",
            default=[],
            metavar="ADDRESS",
            help="access or erasure: an IP address whose web server log lines are included",
        )
        new.add_argument("--send-to", default="", help="portability: the other party's address")
        new.add_argument("--json", action="store_true")

        listing = sub.add_parser("list", help="open requests, due first (overdue at the top)")
        listing.add_argument("--all", action="store_true", help="closed requests too")
        listing.add_argument("--json", action="store_true")

        for name, text in (
            ("show", "a request with its timeline"),
            ("fulfil", "carry out a request in progress"),
            ("confirm", "record that the person confirmed an erasure that ends their service"),
            ("withdraw", "the person withdrew the request"),
            ("ask-identity", "ask for identity information (the clock stops)"),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("reference")
            p.add_argument("--json", action="store_true")

        verify = sub.add_parser("verify", help="record how identity was established")
        verify.add_argument("reference")
        verify.add_argument(
            "--method", required=True, choices=[IdentityMethod.ID_DOCUMENT, IdentityMethod.STAFF]
        )
        verify.add_argument("--note", default="", help="what was checked (the document itself is never kept)")
        verify.add_argument("--json", action="store_true")

        again = sub.add_parser(
            "send-link",
            help="send a new link to confirm identity or an erasure (the earlier ones stay valid)",
        )
        again.add_argument("reference")
        again.add_argument("--note", default="", help="why, for the timeline")
        again.add_argument("--json", action="store_true")

        handled = sub.add_parser(
            "mail-handled", help="record how the person was told what an e-mail that was not sent said"
        )
        handled.add_argument("reference")
        handled.add_argument("--note", required=True, help="how the person was told")
        handled.add_argument("--json", action="store_true")

        refuse = sub.add_parser("refuse", help="refuse with a ground and reasons")
        refuse.add_argument("reference")
        refuse.add_argument("--ground", required=True, choices=RefusalGround.values)
        refuse.add_argument("--reasons", required=True)
        refuse.add_argument("--json", action="store_true")

        extend = sub.add_parser("extend", help="extend the deadline, with reasons")
        extend.add_argument("reference")
        extend.add_argument("--by", default="P2M", help="an ISO-8601 duration, at most the policy's maximum")
        extend.add_argument("--reason", required=True)
        extend.add_argument("--json", action="store_true")

        sub.add_parser("purge-downloads", help="delete downloads past their expiry")
        sub.add_parser(
            "reapply-erasures", help="after restoring a backup: erase again everyone in the ledger"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.actor = Actor.command_line()
        try:
            # Every e-mail of the action is tried; those not sent are reported together at the end.
            with mail.reporting() as failures:
                getattr(self, "_" + options["action"].replace("-", "_"))(options)
            if failures:
                raise mail.combined(failures)
        except (Failure, clock.NoPolicy) as exc:
            self._fail(str(exc))
        except MailNotSent as exc:  # sent when the change commits: the change is stored
            self._fail(
                f"done and recorded, but {exc}; it is noted on the request: if it was a link, send it again "
                "with 'send-link'; otherwise tell the person another way and record how with 'mail-handled'"
            )
        except IntakeError as exc:
            self._fail(
                "; ".join(f"{field}: {', '.join(messages)}" for field, messages in exc.message_dict.items())
            )
        except Exception as exc:
            from trustdesk.rights.services import RequestError

            if isinstance(exc, RequestError):
                self._fail(str(exc))
            raise

    def _fail(self, message: str) -> None:
        self.stderr.write(f"trustdesk request: {message}")
        raise SystemExit(2)

    def _get(self, reference: str) -> Request:
        found = Request.objects.filter(reference=reference.strip().upper()).first()
        if found is None:
            raise Failure(f"there is no request {reference!r}")
        return found

    def _print(self, request: Request, options: dict[str, Any], *, events: bool = False) -> None:
        request.refresh_from_db()
        data = as_dict(request, events=events)
        if options.get("json"):
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write(
            f"{data['reference']}  {data['kind']}  {Status(request.status).label}  due {data['due_on']}"
            + (f"  ({data['urgency'].replace('_', ' ')})" if data["urgency"] else "")
        )
        for event in data.get("timeline", []):
            self.stdout.write(f"  {event['at']}  {event['action']}  by {event['actor']}")

    def _new(self, options: dict[str, Any]) -> None:
        from trustdesk.rights.services import do_open_request

        person = None
        if options["person"] is not None:
            person = Person.objects.filter(pk=options["person"]).first()
            if person is None:
                raise Failure(f"there is no person {options['person']}")
        specifics: dict[str, Any] = {}
        if options["change"]:
            changes = {}
            for item in options["change"]:
                field, sep, value = item.partition("=")
                if not sep or not field:
                    raise Failure(f"--change {item.split('=')[0]!r}: write FIELD=VALUE")
                changes[field.strip()] = value
            specifics["changes"] = changes
        if options["purpose"]:
            specifics["purposes"] = options["purpose"]
        if options["ip"]:
            from trustdesk.rights.services import BadAddress, canonical_addresses

            try:
                specifics["ip_addresses"] = canonical_addresses(options["ip"])
            except BadAddress:
                raise Failure("--ip: one of the values is not an IP address") from None
        if options["send_to"]:
            specifics["send_to"] = options["send_to"]
        original = options.get("original")
        if original is not None and not original.is_file():
            raise Failure(f"--original {str(original)!r} is not a file")
        with transaction.atomic():
            handle = original.open("rb") if original is not None else None
            try:
                request = do_open_request(
                    options["kind"],
                    channel=options["channel"],
                    actor=self.actor,
                    email=options["email"],
                    person=person,
                    details=options["details"],
                    specifics=specifics,
                    language=options.get("language"),
                    original=File(handle, name=original.name) if handle is not None and original else None,
                )
            finally:
                if handle is not None:
                    handle.close()
        self._print(request, options)

    def _list(self, options: dict[str, Any]) -> None:
        from trustdesk.rights.queries import queue

        requests = queue(include_closed=options["all"])
        if options["json"]:
            self.stdout.write(json.dumps([as_dict(r) for r in requests], indent=2))
            return
        if not requests:
            self.stdout.write("no open requests")
        for request in requests:
            self._print(request, {})

    def _show(self, options: dict[str, Any]) -> None:
        self._print(self._get(options["reference"]), options, events=True)

    def _fulfil(self, options: dict[str, Any]) -> None:
        from trustdesk.rights.fulfil import do_fulfil

        request = self._get(options["reference"])
        do_fulfil(request, actor=self.actor)
        self._print(request, options)

    def _confirm(self, options: dict[str, Any]) -> None:
        from trustdesk.rights.fulfil import do_confirm_erasure

        request = self._get(options["reference"])
        do_confirm_erasure(request, actor=self.actor)
        self._print(request, options)

    def _withdraw(self, options: dict[str, Any]) -> None:
        from trustdesk.rights.services import do_withdraw_request

        request = self._get(options["reference"])
        do_withdraw_request(request, actor=self.actor)
        self._print(request, options)

    def _ask_identity(self, options: dict[str, Any]) -> None:
        from trustdesk.rights.services import do_ask_identity

        request = self._get(options["reference"])
        do_ask_identity(request, actor=self.actor)
        self._print(request, options)

    def _send_link(self, options: dict[str, Any]) -> None:
        from trustdesk.rights.services import do_send_link_again

        request = self._get(options["reference"])
        do_send_link_again(request, actor=self.actor, note=options["note"])
        self._print(request, options)

    def _mail_handled(self, options: dict[str, Any]) -> None:
        from trustdesk.rights.services import do_mail_handled

        request = self._get(options["reference"])
        do_mail_handled(request, actor=self.actor, note=options["note"])
        self._print(request, options)

    def _verify(self, options: dict[str, Any]) -> None:
        from trustdesk.rights.services import do_verify_identity

        request = self._get(options["reference"])
        do_verify_identity(request, method=options["method"], actor=self.actor, note=options["note"])
        self._print(request, options)

    def _refuse(self, options: dict[str, Any]) -> None:
        from trustdesk.rights.services import do_refuse

        request = self._get(options["reference"])
        do_refuse(request, ground=options["ground"], reasons=options["reasons"], actor=self.actor)
        self._print(request, options)

    def _extend(self, options: dict[str, Any]) -> None:
        from trustdesk.rights.services import do_extend

        request = self._get(options["reference"])
        do_extend(request, by=options["by"], reason=options["reason"], actor=self.actor)
        self._print(request, options)

    def _purge_downloads(self, options: dict[str, Any]) -> None:
        from trustdesk.rights.fulfil import do_purge_downloads

        self.stdout.write(f"{do_purge_downloads(actor=self.actor)} expired download files deleted")

    def _reapply_erasures(self, options: dict[str, Any]) -> None:
        from trustdesk.rights.fulfil import do_reapply_erasures

        erased = do_reapply_erasures(actor=self.actor)
        self.stdout.write(f"{len(erased)} people erased again")
