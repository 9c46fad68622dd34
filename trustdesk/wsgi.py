"""WSGI entry point: ``gunicorn trustdesk.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustdesk.settings")
application = get_wsgi_application()
