"""The ``trustdesk`` command: Django's management commands under the project's settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustdesk.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    args = ["trustdesk", *(sys.argv[1:] if argv is None else argv)]
    if len(args) > 1 and args[1] == "run-periodic":
        args[1] = "run_periodic"  # command modules cannot have a dash in their name
    try:
        execute_from_command_line(args)
    except ImproperlyConfigured as exc:
        # A bad environment variable: say what is wrong in one line, no traceback.
        print(f"trustdesk: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
