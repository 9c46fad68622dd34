"""Reading log files in chunks of whole lines: plain or gzip, from a file or standard input.

Nothing holds a whole file: a chunk is about ``CHUNK_BYTES`` of whole lines, read into a buffer
of its own without copying. A line longer than ``MAX_LINE_BYTES`` is never held whole either: it
becomes a chunk of its own that keeps only its first bytes (``long_line_kept``), and the ingest
rejects it with its number. Bytes that are not UTF-8 are kept as ``\\xNN`` escapes, as nginx writes
them (``as_text``), so that every line reaches the parser and nothing is lost on the way.
"""

from __future__ import annotations

import gzip
import io
import sys
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from trustdesk.weblogs._fastlog import newlines

CHUNK_BYTES = 32 * 1024 * 1024
#: The longest line read: a longer one is rejected, and only its start is kept with the rejects.
MAX_LINE_BYTES = 16 * 1024 * 1024
#: How much of an over-long line the rejects keep (at most the limit itself).
LONG_LINE_KEPT = 64 * 1024


def long_line_kept(max_line: int) -> int:
    """The bytes of an over-long line that are kept with the rejects."""
    return min(LONG_LINE_KEPT, max_line)


#: How much of a chunk its first lines are read from (to recognise the format).
HEAD_BYTES = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class SourceError(Exception):
    """A source cannot be opened or read; the message names it."""


@dataclass
class Chunk:
    first_line: int  # the number (from 1) of the chunk's first line in its source
    block: bytes | memoryview  # whole lines, each with its line ending if it had one
    lines: int  # how many
    #: An over-long line (the chunk's only line; ``block`` is empty): its first bytes and its length.
    long_line: tuple[bytes, int] | None = None
    #: The read buffer ``block`` lies in, to be handed back (``Buffers.give``) once the chunk is done.
    buffer: bytearray | None = None

    def __len__(self) -> int:
        return self.lines

    def text(self, start: int, end: int) -> str:
        """The text of ``block[start:end]`` (a line of it, say)."""
        return as_text(bytes(self.block[start:end])).decode("utf-8")

    def head(self, count: int) -> list[str]:
        """The chunk's first lines (at most ``count``, from its first MiB), as text."""
        sample = as_text(bytes(self.block[:HEAD_BYTES]))
        return [line.decode("utf-8") for line in sample.split(b"\n", count)[:count] if line]


class Source:
    """One file (``-`` for standard input), opened lazily."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.label = "standard input" if name == "-" else name
        self._raw: BinaryIO | None = None
        self.size: int | None = None
        self.compressed = False

    def open(self) -> BinaryIO:
        if self.name == "-":
            raw: BinaryIO = io.BufferedReader(sys.stdin.buffer)  # type: ignore[type-var]
        else:
            path = Path(self.name)
            try:
                raw = path.open("rb")
                self.size = path.stat().st_size
            except OSError as exc:
                raise SourceError(f"{self.name}: cannot be read ({exc.strerror})") from None
        self._raw = raw
        head = raw.peek(2)[:2] if isinstance(raw, io.BufferedReader) else b""
        if head == _GZIP_MAGIC:
            self.compressed = True
            return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
        return raw

    def position(self) -> int:
        """How far into the (possibly compressed) file reading has come, in bytes."""
        if self._raw is None or self.name == "-":
            return 0
        try:
            return self._raw.tell()
        except OSError:
            return 0

    def close(self) -> None:
        if self._raw is not None and self.name != "-":
            self._raw.close()


def as_text(block: bytes) -> bytes:
    """The block as UTF-8: bytes that are not become ``\\xNN`` escapes."""
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return block.decode("utf-8", "backslashreplace").encode("utf-8")
    return block


def _fill(stream: BinaryIO, view: memoryview) -> int:
    """Read into the view until it is full or the stream ends; the bytes read."""
    done = 0
    while done < len(view):
        count = stream.readinto(view[done:])  # type: ignore[attr-defined]
        if not count:
            break
        done += count
    return done


class Buffers:
    """Read buffers that the reader takes and its consumer gives back once done with a chunk, so that
    each chunk is read into memory used before instead of new memory, which the kernel must map and
    zero page by page (a buffer is larger than what ``malloc`` keeps for reuse). The consumer may
    give from another thread; a chunk it never gives back costs only the reuse of its buffer."""

    def __init__(self, size: int, spare: int = LONG_LINE_KEPT) -> None:
        self.capacity = size + spare  # room for the start of a line carried over from the last read
        self._free: deque[bytearray] = deque()  # append and pop are atomic

    def take(self, needed: int) -> bytearray:
        if needed <= self.capacity:
            try:
                return self._free.pop()
            except IndexError:
                return bytearray(self.capacity)
        return bytearray(needed)  # a long line carried over: once, not reused

    def give(self, chunk: Chunk) -> None:
        """The chunk is done with: its buffer is reused by a later read (its block reads empty)."""
        buffer, chunk.buffer, chunk.block = chunk.buffer, None, b""
        if buffer is not None:
            self.put_back(buffer)

    def put_back(self, buffer: bytearray) -> None:
        if len(buffer) == self.capacity:
            self._free.append(buffer)


def chunks(
    stream: BinaryIO,
    *,
    size: int = CHUNK_BYTES,
    max_line: int = MAX_LINE_BYTES,
    read_hook: Callable[[], None] | None = None,
    buffers: Buffers | None = None,
) -> Iterator[Chunk]:
    """The stream's lines, a chunk at a time, numbered from 1.

    A line that is still going on after ``max_line`` bytes is skipped to its end without being held
    and comes as a chunk of its own (``long_line``); the parser rejects shorter lines over the
    limit that a read happened to hold whole, so that the limit does not depend on where reads end.
    With ``buffers``, each chunk is read into a buffer taken from it (see ``Buffers``).
    """
    carry = b""
    line = 1
    skipping: tuple[bytes, int] | None = None  # inside an over-long line: its start and length so far
    while True:
        buffer = buffers.take(len(carry) + size) if buffers is not None else bytearray(len(carry) + size)
        buffer[: len(carry)] = carry
        try:
            count = _fill(stream, memoryview(buffer)[len(carry) : len(carry) + size])
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise SourceError(f"cannot be read after line {line - 1:,} ({exc})") from None
        if read_hook is not None:
            read_hook()
        total = len(carry) + count
        if not count:
            if buffers is not None:
                buffers.put_back(buffer)
            if skipping is not None:
                yield Chunk(line, b"", 1, skipping)
            elif carry:
                yield Chunk(line, carry, 1)
            return
        start = 0
        if skipping is not None:
            found = buffer.find(b"\n", 0, total)
            if found < 0:
                skipping = (skipping[0], skipping[1] + total)
                carry = b""
                if buffers is not None:
                    buffers.put_back(buffer)
                continue
            yield Chunk(line, b"", 1, (skipping[0], skipping[1] + found + 1))
            line += 1
            skipping = None
            start = found + 1
        lines, cut = newlines(buffer, start, total)  # in C, without the interpreter lock
        if cut < 0:  # no line ends in what was read: the line goes on
            if total - start > max_line:
                skipping = (bytes(buffer[start : start + long_line_kept(max_line)]), total - start)
                carry = b""
            else:
                carry = bytes(buffer[start:total])
            if buffers is not None:
                buffers.put_back(buffer)
            continue
        carry = bytes(buffer[cut + 1 : total])
        yield Chunk(line, memoryview(buffer)[start : cut + 1], lines, buffer=buffer)
        line += lines
