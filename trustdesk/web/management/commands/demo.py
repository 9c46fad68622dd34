"""``trustdesk demo``: a working Trustdesk on this machine in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

import trustdesk
from trustdesk.accounts.demo import demo_accounts
from trustdesk.registry.demo_data import fill
from trustdesk.registry.services import Actor

#: The example policies ship beside the package in a checkout (pip install -e .).
EXAMPLES = Path(trustdesk.__file__).resolve().parent.parent / "examples" / "policies"
DEMO_POLICY = "dutch-hosting-nl.yaml"


class Command(BaseCommand):
    help = (
        "Create the data directory, migrate, publish an example policy, fill the registry with example "
        "customers and start the server on 127.0.0.1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="the port to listen on (default 8000)")
        parser.add_argument(
            "--policy", help=f"the policy file to publish (default: examples/policies/{DEMO_POLICY})"
        )
        parser.add_argument("--no-serve", action="store_true", help="prepare everything but start no server")
        parser.add_argument(
            "--organisations",
            type=int,
            default=200,
            metavar="N",
            help="fill an empty registry with N example customers (default 200; 0 for none)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["organisations"] < 0:
            raise CommandError(f"--organisations {options['organisations']}: give 0 or more")
        policy = Path(options["policy"]) if options.get("policy") else EXAMPLES / DEMO_POLICY
        if not policy.is_file():
            raise CommandError(
                f"{policy}: no such file; run the demo from a checkout of Trustdesk, or give --policy FILE"
            )
        data_dir: Path = settings.DATA_DIR
        data_dir.mkdir(parents=True, exist_ok=True)
        self.stdout.write(f"data directory: {data_dir}")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("database: migrated")
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("policy", "publish", str(policy), stdout=self.stdout, stderr=self.stderr)
        if options["organisations"]:
            for line in fill(options["organisations"], actor=Actor.operator("demo")).lines():
                self.stdout.write(line)
            from trustdesk.rights.demo_data import fill_requests

            requests = fill_requests(actor=Actor.operator("demo"))
            if requests:
                self.stdout.write(
                    f"requests: {requests} example data-subject requests (`trustdesk request list`)"
                )
        port = options["port"]
        address = f"http://127.0.0.1:{port}/"
        logins = demo_accounts(data_dir)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Trustdesk is ready at {address}"))
        self.stdout.write(f"  privacy statement:  {address}privacy")
        self.stdout.write(f"  versions:           {address}privacy/versions")
        self.stdout.write(f"  API documentation:  {address}api/docs")
        self.stdout.write(f"  log in:             {address}account/login/")
        for who, email, password in logins:
            self.stdout.write(f"    {who + ':':17} log in as {email} / {password}")
        self.stdout.write(f"  staff view (admin): {address}admin/  (the administrator's log-in)")
        self.stdout.write(
            "  Staff set up an authenticator app at their first log-in when the policy requires it; "
            "e-mail (reset links) is printed here."
        )
        if options["no_serve"]:
            return
        self.stdout.write("Press Ctrl-C to stop.")
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
