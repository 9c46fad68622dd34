"""Log filters of Trustdesk's logging (settings.LOGGING)."""

from __future__ import annotations

import logging


class ClientFaults(logging.Filter):
    """Logs what Django calls a suspicious operation as a warning, without a traceback.

    Django answers such a request 400 (an unknown host name, a body too large, too many fields, a
    redirect it refuses) and logs it at ERROR with the traceback, under ``django.security.<kind>``.
    The fault is the client's, not ours, and scanners send such requests all day: at ERROR they would
    bury the errors that need an operator. The message stays (it names the kind and carries no
    personal data); the level becomes WARNING and the traceback, always the same frames of Django's
    request handling, is left out.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.security.") and record.levelno == logging.ERROR:
            record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
            record.exc_info, record.exc_text = None, None
        return True
