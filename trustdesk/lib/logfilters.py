"""Log filters of Trustdesk's logging (settings.LOGGING)."""

from __future__ import annotations

import logging
import re


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


#: PostgreSQL's detail of an error, which can quote the values of a row: ``Key (email)=(anna@...)
#: already exists``, ``Failing row contains (12, anna@..., ...)``. It runs to the end of its line.
_DETAIL = re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE)
DETAIL_LEFT_OUT = r"\1  (left out of the log: it can quote the values of a row)"


def _database_error(exc: BaseException | None) -> bool:
    from django.db import Error as DjangoDatabaseError

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DjangoDatabaseError) or type(exc).__module__.split(".")[0] in (
            "psycopg",
            "psycopg2",
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class DatabaseErrorDetails(logging.Filter):
    """Leaves PostgreSQL's ``DETAIL:`` lines out of a logged database error.

    A unique, foreign-key, not-null or check violation names the values that broke it in its detail, and
    those can be personal data: an e-mail address, a whole row. The error's kind, its message (the
    constraint, the column, the table) and the traceback stay; only the detail is replaced, in the
    traceback and in any argument of the message that is such an error.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and _database_error(record.exc_info[1]):
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text = _DETAIL.sub(DETAIL_LEFT_OUT, text)
        if isinstance(record.args, tuple) and any(isinstance(a, BaseException) for a in record.args):
            record.args = tuple(
                _DETAIL.sub(DETAIL_LEFT_OUT, str(a))
                if isinstance(a, BaseException) and _database_error(a)
                else a
                for a in record.args
            )
        return True
