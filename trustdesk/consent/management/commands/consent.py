"""``trustdesk consent give|withdraw|show``: record and read a person's consent from the command line."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trustdesk.consent.models import ConsentEvent, Method
from trustdesk.registry.models import Channel, Person

#: Exit status for a person, purpose or value that is not known (argparse's usage errors are 2 too).
USAGE = 2


def _at(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _event(event: ConsentEvent | None) -> dict[str, Any] | None:
    if event is None:
        return None
    return {
        "id": event.pk,
        "kind": event.kind,
        "at": _at(event.at),
        "policy_version": event.policy_version.number,
        "text_sha256": event.text_sha256,
        "lang": event.lang,
        "channel": event.channel,
        "method": event.method,
        "recorded_by": event.recorded_by,
    }


class Command(BaseCommand):
    help = "Record that a person gives or withdraws consent to a purpose, or show their consents."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, what in (("give", "record that the person consents"), ("withdraw", "record a withdrawal")):
            p = sub.add_parser(name, help=what)
            self._who(p, purpose_required=True)
            p.add_argument("--channel", required=True, choices=Channel.values, help="where it came in")
            p.add_argument("--method", required=True, choices=Method.values, help="how it came in")
            p.add_argument("--evidence", default="", help="a reference to the evidence, e.g. a message id")
            if name == "give":
                p.add_argument("--text", help="the text the person agreed to (default: the policy's)")
                p.add_argument("--lang", help="the language of the policy's text (default: the person's)")
        show = sub.add_parser("show", help="show where the person's consents stand, and their history")
        self._who(show, purpose_required=False)
        show.add_argument("--history", action="store_true", help="list every event, oldest first")

    @staticmethod
    def _who(parser: CommandParser, *, purpose_required: bool) -> None:
        parser.add_argument("--person", required=True, help="the person's id in the registry")
        parser.add_argument("--purpose", required=purpose_required, help="the policy's purpose key")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        person = self._person(options["person"])
        if options["action"] == "show":
            self._show(person, options)
        else:
            self._change(person, options)

    @staticmethod
    def _person(text: str) -> Person:
        if not (text.isascii() and text.isdigit()):
            raise CommandError(
                f"--person takes a person's id (a number), not {text[:20]!r}", returncode=USAGE
            )
        person = Person.objects.filter(pk=int(text)).first()
        if person is None:
            raise CommandError(f"no person has id {text} in the registry", returncode=USAGE)
        return person

    def _change(self, person: Person, options: dict[str, Any]) -> None:
        from trustdesk.consent.services import ConsentError, do_give_consent, do_withdraw_consent
        from trustdesk.registry.services import Actor

        actor = Actor.command_line()
        common = {
            "actor": actor,
            "channel": options["channel"],
            "method": options["method"],
            "evidence": options["evidence"],
        }
        try:
            if options["action"] == "give":
                result = do_give_consent(
                    person, options["purpose"], text=options["text"], lang=options["lang"], **common
                )
            else:
                result = do_withdraw_consent(person, options["purpose"], **common)
        except ConsentError as exc:
            raise CommandError(str(exc), returncode=USAGE) from None
        if options["json"]:
            row = {
                "person": person.pk,
                "purpose": result.purpose,
                "state": result.state.value,
                "changed": result.changed,
                "note": result.note,
                "event": _event(result.event),
            }
            self.stdout.write(json.dumps(row, indent=2))
            return
        self.stdout.write(f"Person {person.pk}: {result.note}.")

    def _show(self, person: Person, options: dict[str, Any]) -> None:
        from trustdesk.consent.queries import consent_history, current_consents

        purpose = options["purpose"]
        states = current_consents(person)
        if purpose is not None and purpose not in states:
            raise CommandError(
                f"purpose '{purpose}' is not on consent in the policy in effect and has no consent events "
                f"for person {person.pk}",
                returncode=USAGE,
            )
        chosen = {purpose: states[purpose]} if purpose is not None else states
        history = consent_history(person, purpose) if options["history"] else []
        if options["json"]:
            data: dict[str, Any] = {
                "person": person.pk,
                "consents": {
                    key: {
                        "state": state.state.value,
                        "since": _at(state.since),
                        "policy_version": state.policy_version,
                        "text": state.text or None,
                        "text_sha256": state.text_sha256 or None,
                        "event": state.event_id,
                    }
                    for key, state in chosen.items()
                },
            }
            if options["history"]:
                data["history"] = [{"purpose": e.purpose, **(_event(e) or {})} for e in history]
            self.stdout.write(json.dumps(data, indent=2))
            return
        if not chosen:
            self.stdout.write(f"Person {person.pk}: no purpose of the policy in effect rests on consent.")
        for key, state in chosen.items():
            if state.since is None:
                self.stdout.write(f"{key}: never given")
            else:
                self.stdout.write(
                    f"{key}: {state.state.label} since {_at(state.since)} (policy version {state.policy_version})"
                )
        for event in history:
            self.stdout.write(
                f"  {_at(event.at)}  {event.purpose}  {event.kind}  via {event.channel}/{event.method}  "
                f"by {event.recorded_by}  version {event.policy_version.number}  text {event.text_sha256[:12]}"
            )
