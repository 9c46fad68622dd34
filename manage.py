#!/usr/bin/env python
"""Django's manage.py; the same as the ``trustdesk`` command."""

from trustdesk.cli import main

if __name__ == "__main__":
    main()
