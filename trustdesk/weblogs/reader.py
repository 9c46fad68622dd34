"""Reading log files in chunks of whole lines: plain or gzip, from a file or standard input.

Nothing holds a whole file: a chunk is about ``CHUNK_BYTES`` of whole lines (a single longer line
makes a longer chunk). Bytes that are not UTF-8 are kept as ``\\xNN`` escapes, as nginx writes
them, so that every line reaches the parser and nothing is lost on the way.
"""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa

CHUNK_BYTES = 32 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class SourceError(Exception):
    """A source cannot be opened or read; the message names it."""


@dataclass
class Chunk:
    first_line: int  # the number (from 1) of the chunk's first line in its source
    lines: pa.StringArray  # each line with its line ending, if it had one

    def __len__(self) -> int:
        return len(self.lines)


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


def _as_text(block: bytes) -> bytes:
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return block.decode("utf-8", "backslashreplace").encode("utf-8")
    return block


def _array(block: bytes) -> pa.StringArray:
    data = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(data == 10) + 1
    if not len(ends) or ends[-1] != len(block):
        ends = np.append(ends, len(block))
    offsets = np.empty(len(ends) + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:] = ends
    array = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(block))
    return array


def chunks(
    stream: BinaryIO, *, size: int = CHUNK_BYTES, read_hook: Callable[[], None] | None = None
) -> Iterator[Chunk]:
    """The stream's lines, a chunk at a time, numbered from 1."""
    carry = b""
    line = 1
    while True:
        try:
            block = stream.read(size)
        except (OSError, EOFError) as exc:
            raise SourceError(f"cannot be read after line {line - 1:,} ({exc})") from None
        if read_hook is not None:
            read_hook()
        if not block:
            if carry:
                yield Chunk(line, _array(_as_text(carry)))
            return
        cut = block.rfind(b"\n")
        if cut < 0:
            carry += block
            continue
        whole = carry + block[: cut + 1]
        carry = block[cut + 1 :]
        chunk = Chunk(line, _array(_as_text(whole)))
        line += len(chunk)
        yield chunk
