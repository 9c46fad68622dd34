"""The compiled parser and address dictionary of the ingest (``_fastlog.c``), as numpy and Arrow.

``Parser.parse`` reads a block of whole lines in one of the formats of ``formats.py``, exactly as
their patterns accept them, and gives a ``Parsed`` block: the kind of every line (stored, blank,
rejected and why, or past the retention window), where each rejected line is, and the columns of
the lines to store. ``Addresses`` gives each (month, site, address) of an ingest its id in the
month's index and the days it was seen on; ``ingest.py`` drives both.

A time is ``D[D]/Mon/YYYY:H[H]:M[M]:S[S] ±HHMM`` (also ``±HH:MM`` and ``±HH``), the month's English
abbreviation in any case; a day that does not exist, an hour past 23 or a second past 59 is no
valid time. A virtual host is lowered (ASCII letters), loses a ``:port`` and trailing dots, and
must then be a domain name (``ingest.SITE``) or ``-``. An address in the strict forms of
``inet_pton`` is read here; any other text (brackets, a zone) is left to ``addresses.pack``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trustdesk.weblogs._fastlog import Addresses, Parser, newlines

__all__ = ["COLUMNS", "FORMAT_CODES", "Addresses", "Kind", "Parsed", "Parser", "parse"]

#: The format names of formats.py and the parser's codes for them.
FORMAT_CODES = {"common": 0, "combined": 1, "vhost_combined": 2}
#: The string columns the parser gives, in its order.
COLUMNS = ("method", "path", "protocol", "referrer", "user_agent")
#: The parser's ``keep`` bits: what the policy keeps.
KEEP_PATH, KEEP_REFERRER, KEEP_AGENT = 1, 2, 4


class Kind(IntEnum):
    """What became of a line."""

    STORED = 0
    BLANK = 1
    FORMAT = 2  # not a line in the format
    TIME = 3  # the time is not a valid date and time
    SITE = 4  # the virtual host is not a domain name
    EXPIRED = 5  # at or before the retention window's start
    LONG = 6  # longer than the reader's limit


def keep_bits(fields: Collection[str]) -> int:
    return (
        (KEEP_PATH if "path" in fields else 0)
        | (KEEP_REFERRER if "referrer" in fields else 0)
        | (KEEP_AGENT if "user_agent" in fields else 0)
    )


@dataclass
class Parsed:
    """One block parsed: ``lines`` lines, ``rows`` of them to store (numpy arrays of ``rows``)."""

    lines: int
    rows: int
    kinds: np.ndarray  # uint8, a Kind per line
    rejects: np.ndarray  # int64 (line, start, end) per rejected line, offsets into the block
    line: np.ndarray  # int32: the line (from 0 in the block) of each row
    ts: np.ndarray  # int64 seconds since 1970, UTC
    day: np.ndarray  # int32 days since 1970
    month: np.ndarray  # int32 yyyymm
    mday: np.ndarray  # uint8 day of the month
    site: np.ndarray  # int32 code into ``sites``
    status: np.ndarray  # int16
    size: np.ndarray  # int64, -1 where the size is "-" (or past a 64-bit integer)
    family: np.ndarray  # uint8: 4, 6, or 0 where the text is left to Python (``fallback``)
    ip: np.ndarray  # uint8 (rows, 16): IPv4 in the first 4 bytes
    fallback: np.ndarray  # int64 (row, start, end) of each address text the parser did not read
    strings: dict[str, pa.DictionaryArray]  # the COLUMNS, each dictionary sorted
    sites: list[str]  # the name of each site code so far

    def counts(self) -> np.ndarray:
        """How many lines of each Kind."""
        return np.bincount(self.kinds, minlength=len(Kind))


def _strings(codes: bytes, offsets: bytes, data: bytes) -> pa.DictionaryArray:
    """A column as the parser gives it (each row's code, each value once), its dictionary sorted:
    the writers then give each file the part of it that the file uses, still sorted."""
    indices = np.frombuffer(codes, dtype=np.int32)
    count = len(offsets) // 8 - 1
    values = pa.LargeStringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(data))
    nulls = indices < 0
    if count > 1:
        order = pc.sort_indices(values).to_numpy()
        position = np.empty(count + 1, dtype=np.int32)
        position[order] = np.arange(count, dtype=np.int32)
        position[count] = -1  # where a row has no value (code -1)
        indices = position[indices]
        values = values.take(pa.array(order))
    return pa.DictionaryArray.from_arrays(pa.array(indices, mask=nulls if nulls.any() else None), values)


def count_lines(block: bytes | memoryview) -> int:
    """The lines of a block: one for each newline, and one for bytes after the last."""
    count, last = newlines(block, 0, len(block))
    return count + (1 if last != len(block) - 1 else 0)


def parse(
    parser: Parser, block: bytes | memoryview, cutoff: int, max_line: int, lines: int | None = None
) -> Parsed | None:
    """Parse a block of whole lines (``lines`` of them: the reader counts them while it reads);
    None when it is not UTF-8 (the caller escapes it first)."""
    if lines is None:
        lines = count_lines(block)
    lines, utf8, rows, out, sites = parser.parse(block, cutoff, max_line, lines)
    if not utf8:
        return None
    (kinds, rejects, line, ts, day, month, mday, site, status, size, family, ip, fallback, *strings) = out
    return Parsed(
        lines=lines,
        rows=rows,
        kinds=np.frombuffer(kinds, dtype=np.uint8, count=lines),
        rejects=np.frombuffer(rejects, dtype=np.int64).reshape(-1, 3),
        line=np.frombuffer(line, dtype=np.int32),
        ts=np.frombuffer(ts, dtype=np.int64),
        day=np.frombuffer(day, dtype=np.int32),
        month=np.frombuffer(month, dtype=np.int32),
        mday=np.frombuffer(mday, dtype=np.uint8),
        site=np.frombuffer(site, dtype=np.int32),
        status=np.frombuffer(status, dtype=np.int16),
        size=np.frombuffer(size, dtype=np.int64),
        family=np.frombuffer(family, dtype=np.uint8),
        ip=np.frombuffer(ip, dtype=np.uint8).reshape(-1, 16),
        fallback=np.frombuffer(fallback, dtype=np.int64).reshape(-1, 3),
        strings={
            name: _strings(strings[3 * n], strings[3 * n + 1], strings[3 * n + 2])
            for n, name in enumerate(COLUMNS)
        },
        sites=sites,
    )
