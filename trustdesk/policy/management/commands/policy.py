"""``trustdesk policy lint|render|publish|show``: the policy file from the command line."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from trustdesk.policy.lint import Finding, Severity, has_errors, lint
from trustdesk.policy.loader import LoadedPolicy, PolicyError, load_file
from trustdesk.policy.schema import STATEMENT_LANGUAGES


def _policy_path(value: str | None) -> Path:
    if value:
        return Path(value)
    configured = getattr(settings, "TRUSTDESK_POLICY", None)
    if configured is None:
        raise CommandError("no FILE given and TRUSTDESK_POLICY is not set")
    return Path(configured)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--effective {value!r} is not a date written as YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Check, render and publish the provider's policy file."
    requires_system_checks: list[str] = []  # linting a file must work whatever TRUSTDESK_POLICY holds

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        lint_p = sub.add_parser(
            "lint", help="check a policy file against GDPR Art. 13/14 and for consistency"
        )
        lint_p.add_argument("file", nargs="?", help="the policy file (default: TRUSTDESK_POLICY)")
        lint_p.add_argument("--json", action="store_true", help="print the findings as a JSON list")
        lint_p.add_argument(
            "--against-datamap",
            action="store_true",
            help="also compare the policy's purposes with the data categories the software stores",
        )
        render_p = sub.add_parser("render", help="write the privacy statement")
        render_p.add_argument("file", nargs="?", help="the policy file (default: TRUSTDESK_POLICY)")
        render_p.add_argument("--lang", required=True, choices=STATEMENT_LANGUAGES)
        render_p.add_argument("--format", dest="fmt", choices=("html", "md"), default="html")
        render_p.add_argument("--output", "-o", help="write to this file instead of standard output")
        publish_p = sub.add_parser("publish", help="store the policy as a new published version")
        publish_p.add_argument("file", nargs="?", help="the policy file (default: TRUSTDESK_POLICY)")
        publish_p.add_argument("--effective", type=_date, help="the day it takes effect (default: today)")
        publish_p.add_argument("--json", action="store_true")
        sub.add_parser("versions", help="list the published versions").add_argument(
            "--json", action="store_true"
        )
        schema_p = sub.add_parser("schema", help="print the JSON Schema of the policy file, for editors")
        schema_p.add_argument("--output", "-o", help="write to this file instead of standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "versions":
            self._versions(options)
            return
        if action == "schema":
            self._schema(options)
            return
        path = _policy_path(options.get("file"))
        try:
            loaded = load_file(path)
        except PolicyError as exc:
            if options.get("json"):
                problems = [
                    {
                        "code": "TD001",
                        "severity": "error",
                        "article": "",
                        "message": p.message,
                        "file": p.file,
                        "line": p.line,
                        "key": p.key,
                    }
                    for p in exc.problems
                ]
                self.stdout.write(json.dumps(problems, indent=2, ensure_ascii=False))
                sys.exit(1)
            for problem in exc.problems:
                self.stderr.write(f"error TD001 {problem}")
            sys.exit(1)
        if action == "lint":
            self._lint(loaded, options)
        elif action == "render":
            self._render(loaded, options)
        else:
            self._publish(path, loaded, options)

    def _lint(self, loaded: LoadedPolicy, options: dict[str, Any]) -> None:
        # The command line speaks English, whatever LANGUAGE_CODE holds: Django runs commands in it.
        with translation.override("en"):
            findings = lint(loaded)
            if options.get("against_datamap"):
                from trustdesk.policy.datamap_check import check_against_datamap

                findings += check_against_datamap(loaded)
        if options["json"]:
            self.stdout.write(json.dumps([f.as_dict() for f in findings], indent=2, ensure_ascii=False))
        else:
            for finding in findings:
                self.stdout.write(str(finding))
            self.stdout.write(_summary(loaded.source.name, findings))
        if has_errors(findings):
            sys.exit(1)

    def _render(self, loaded: LoadedPolicy, options: dict[str, Any]) -> None:
        from trustdesk.policy.render import render_document

        policy = loaded.policy
        lang = options["lang"]
        if lang not in policy.languages:
            raise CommandError(
                f"{loaded.source.name} is published in {', '.join(policy.languages)}, not in {lang}"
            )
        text = render_document(policy, lang, options["fmt"])
        if options.get("output"):
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"wrote {options['output']}")
        else:
            self.stdout.write(text)

    def _publish(self, path: Path, loaded: LoadedPolicy, options: dict[str, Any]) -> None:
        from trustdesk.policy.services import PublishRefused, do_publish_policy
        from trustdesk.registry.services import Actor

        actor = Actor.command_line().ref
        try:
            result = do_publish_policy(
                loaded.source.text, str(path), actor=actor, effective=options.get("effective")
            )
        except PublishRefused as exc:
            for finding in exc.findings:
                if finding.severity is Severity.ERROR:
                    self.stderr.write(str(finding))
            raise CommandError(str(exc)) from None
        version = result.version
        if options.get("json"):
            self.stdout.write(
                json.dumps(
                    {
                        "created": result.created,
                        "number": version.number,
                        "sha256": version.sha256,
                        "effective_from": version.effective_from.isoformat(),
                        "published_at": version.published_at.isoformat(),
                        "published_by": version.published_by,
                    }
                )
            )
        elif result.created:
            self.stdout.write(
                f"published version {version.number} (sha256 {version.sha256[:12]}), "
                f"effective {version.effective_from:%Y-%m-%d}"
            )
        else:
            self.stdout.write(
                f"unchanged: the policy is the same as version {version.number}; no new version was created"
            )

    def _schema(self, options: dict[str, Any]) -> None:
        from trustdesk.policy.schema import json_schema

        text = json.dumps(json_schema(), indent=2, ensure_ascii=False)
        if options.get("output"):
            Path(options["output"]).write_text(text + "\n", encoding="utf-8")
            self.stderr.write(f"wrote {options['output']}")
        else:
            self.stdout.write(text)

    def _versions(self, options: dict[str, Any]) -> None:
        from trustdesk.policy.queries import versions_with_periods

        rows = versions_with_periods()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "number": v.number,
                            "sha256": v.sha256,
                            "effective_from": v.effective_from.isoformat(),
                            "until": until.isoformat() if until else None,
                            "state": state,
                            "published_at": v.published_at.isoformat(),
                            "published_by": v.published_by,
                        }
                        for v, until, state in rows
                    ],
                    indent=2,
                )
            )
            return
        if not rows:
            self.stdout.write("no version has been published")
        for version, _until, state in rows:
            self.stdout.write(
                f"{version.number:>4}  {version.effective_from:%Y-%m-%d}  {state:<16} {version.sha256[:12]}  "
                f"{version.published_by}"
            )


def _summary(name: str, findings: list[Finding]) -> str:
    counts = {severity: sum(1 for f in findings if f.severity is severity) for severity in Severity}
    if not findings:
        return f"{name}: no findings"
    return f"{name}: " + ", ".join(f"{n} {s.value}{'s' if n != 1 else ''}" for s, n in counts.items())
