"""The log formats read: Apache's and nginx's common, combined and vhost_combined.

- common: ``%h %l %u %t "%r" %>s %b`` (nginx: ``$remote_addr - $remote_user [$time_local]
  "$request" $status $body_bytes_sent``)
- combined: common plus ``"%{Referer}i" "%{User-agent}i"``; further fields after them (nginx
  configurations often add ``"$http_x_forwarded_for"``) are allowed and not kept
- vhost_combined: ``%v:%p`` (the virtual host and port) before combined

Quoted fields may hold escaped quotes and backslashes (``\\"``, ``\\\\``), as Apache and nginx write
them; they are kept as logged. The identity (``%l``) and the authenticated user (``%u``) are never
kept. The patterns define the formats: the compiled parser (``_fastlog.c``) accepts exactly what
they accept read as RE2 reads them (``\\S``: anything but tab, newline, form feed, carriage return
and space), which ``tests/weblogs/test_fastlog.py`` checks; ``detect`` uses them with Python's
``re`` on a sample of lines.
"""

from __future__ import annotations

import re

_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_COMMON = r"(\S+) \S+ \S+ \[([^\]]+)\] " + _QUOTED + r" (\d{3}) (\d+|-)"
_END = r"[\r\n]*$"

#: format -> (pattern, the names of its groups)
FORMATS: dict[str, tuple[str, list[str]]] = {
    "vhost_combined": (
        r"^(\S+) " + _COMMON + " " + _QUOTED + " " + _QUOTED + r"(?: [^\r\n]*)?" + _END,
        ["vhost", "ip", "ts", "request", "status", "bytes", "referrer", "user_agent"],
    ),
    "combined": (
        r"^" + _COMMON + " " + _QUOTED + " " + _QUOTED + r"(?: [^\r\n]*)?" + _END,
        ["ip", "ts", "request", "status", "bytes", "referrer", "user_agent"],
    ),
    "common": (r"^" + _COMMON + _END, ["ip", "ts", "request", "status", "bytes"]),
}
#: The order in which ``auto`` tries them: the most specific first.
AUTO_ORDER = ("vhost_combined", "combined", "common")
CHOICES = ("auto", *FORMATS)
#: The request line split into method, target and protocol; a request that is not in this form
#: is kept whole as the path.
REQUEST = r"^([A-Za-z]+) (\S+) (HTTP/[0-9.]+)$"

_COMPILED = {name: re.compile(pattern) for name, (pattern, _groups) in FORMATS.items()}


def detect(sample: list[str]) -> str | None:
    """The format most of the sample's lines are in, or None when none fits any."""
    scores = {name: sum(1 for line in sample if _COMPILED[name].match(line)) for name in AUTO_ORDER}
    best = max(AUTO_ORDER, key=lambda name: scores[name])
    return best if scores[best] else None
