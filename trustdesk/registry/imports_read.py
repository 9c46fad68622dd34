"""Reading import files: CSV and JSON, streamed, with errors that name the line or item.

A CSV file is UTF-8 (with or without a byte-order mark, or the encoding given), separated by
``,``, ``;`` or a tab (found from the header line), and read one physical line at a time so that
memory stays bounded whatever the file's size. A JSON file is a list of objects, parsed one item
at a time. Nothing here touches the database; :mod:`trustdesk.registry.imports` does.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

#: A physical CSV line longer than this is rejected as a row (and skipped) rather than read.
MAX_LINE_BYTES = 1024 * 1024
#: One JSON item may not be larger than this; a larger one refuses the file.
MAX_ITEM_CHARS = 1024 * 1024
#: The longest value of one CSV field (Python's csv module refuses longer ones).
MAX_FIELD_CHARS = csv.field_size_limit()
_CHUNK = 64 * 1024
_SEPARATORS = (",", ";", "\t")


class FileRefused(Exception):
    """The file as a whole cannot be imported; nothing of it is written."""


@dataclass
class Record:
    """One record of the file: its row number (CSV line, JSON item index), its values and problems.

    ``problems`` are (field, reason) pairs found while reading (a row cut short, a value too long).
    ``parts`` holds the further rows of a record spread over several CSV lines (invoice lines).
    """

    row: int
    values: dict[str, Any]
    problems: list[tuple[str, str]] = field(default_factory=list)
    parts: list[Record] = field(default_factory=list)


def _checked_encoding(name: str | None) -> str:
    if name is None:
        return "utf-8"
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise FileRefused(f"--encoding {name!r} is not an encoding Python knows") from None
    if "a,;\n".encode(info.name, errors="replace") != b"a,;\n":
        raise FileRefused(
            f"--encoding {name!r} is not supported: use UTF-8 or an 8-bit encoding such as cp1252 or latin-1"
        )
    return info.name


class _Decoder:
    """Decodes a binary stream into text pieces, tracking the line for error messages."""

    def __init__(self, stream: IO[bytes], encoding: str | None) -> None:
        self.stream = stream
        self.given = encoding is not None
        self.encoding = _checked_encoding(encoding)
        self.decoder = codecs.getincrementaldecoder(self.encoding)(errors="strict")
        self.line = 1  # the line the next piece starts on
        self.line_offset = 0  # bytes of the current line already consumed
        self.first = True

    def piece(self, limit: int) -> bytes:
        return self.stream.readline(limit)

    def decode(self, raw: bytes, final: bool = False) -> str:
        try:
            text = self.decoder.decode(raw, final)
        except UnicodeDecodeError as exc:
            pending = len(self.decoder.getstate()[0])
            position = self.line_offset + max(exc.start - pending, 0) + 1
            bad = exc.object[exc.start : exc.start + 1]
            byte = f"0x{bad[0]:02X}" if bad else "the last byte"
            if self.given:
                raise FileRefused(
                    f"line {self.line}, byte {position}: {byte} is not valid {self.encoding}"
                ) from None
            raise FileRefused(
                f"line {self.line}, byte {position}: {byte} is not valid UTF-8; the file is in another "
                "encoding (Latin-1 or Windows-1252?): save it as UTF-8, or give --encoding cp1252"
            ) from None
        if self.first and text:
            self.first = False
            text = text.removeprefix("\ufeff")
        newlines = raw.count(b"\n")
        if newlines:
            self.line += newlines
            self.line_offset = len(raw) - raw.rfind(b"\n") - 1
        else:
            self.line_offset += len(raw)
        return text


def open_binary(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as exc:
        raise FileRefused(f"cannot read {path}: {exc.strerror}") from None


# --- CSV ----------------------------------------------------------------------------------------


class _CsvLines:
    """Iterates a binary file as decoded lines for csv.reader; over-long lines become blank ones."""

    def __init__(self, stream: IO[bytes], encoding: str | None) -> None:
        self.decoder = _Decoder(stream, encoding)
        self.too_long: list[int] = []
        self.ended_with_newline = True
        self.lines_read = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self.decoder.piece(MAX_LINE_BYTES + 1)
        if not raw:
            self.decoder.decode(b"", final=True)
            raise StopIteration
        self.lines_read += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            # Skip the rest of the line without keeping it; report it as a rejected row.
            line = self.decoder.line
            while raw and not raw.endswith(b"\n"):
                raw = self.decoder.stream.readline(_CHUNK)
            self.decoder.line += 1
            self.decoder.line_offset = 0
            self.too_long.append(line)
            return "\n"
        self.ended_with_newline = raw.endswith(b"\n")
        return self.decoder.decode(raw)


def sniff_separator(header: str) -> str:
    """The separator of a header line: the most frequent of ``,`` ``;`` and tab outside quotes."""
    counts = dict.fromkeys(_SEPARATORS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


class CsvSource:
    """The rows of a CSV file as records keyed by the header's column names."""

    label = "line"

    def __init__(self, path: Path, encoding: str | None = None) -> None:
        self.path = path
        self.encoding = encoding
        self.columns: list[str] = []
        self.separator = ","
        self._stream = open_binary(path)
        self._lines = _CsvLines(self._stream, encoding)
        header = self._first_line()
        if header is None:
            raise FileRefused("the file is empty: the first line must name the columns")
        self.separator = sniff_separator(header)
        try:
            names = next(csv.reader([header], delimiter=self.separator, strict=True))
        except csv.Error as exc:
            raise FileRefused(f"line 1 is not a valid CSV header: {exc}") from None
        self.columns = [name.strip().lower() for name in names]
        if not any(self.columns):
            raise FileRefused("line 1 names no columns: the first line must name the columns")
        seen: set[str] = set()
        for name in self.columns:
            if not name:
                raise FileRefused("line 1 has a column without a name")
            if name in seen:
                raise FileRefused(f"line 1 names the column {name} twice")
            seen.add(name)
        self._reader = csv.reader(self._lines, delimiter=self.separator, quotechar='"', strict=True)

    def _first_line(self) -> str | None:
        for line in self._lines:
            if self._lines.too_long:
                raise FileRefused(f"line 1 is longer than {MAX_LINE_BYTES:,} bytes: this is not a CSV header")
            if line == "":
                continue  # a byte-order mark alone
            if line.strip():
                return line
            raise FileRefused("line 1 is blank: the first line must name the columns")
        return None

    def close(self) -> None:
        self._stream.close()

    def records(self) -> Iterator[Record]:
        width = len(self.columns)
        reader = self._reader
        while True:
            start = self._lines.lines_read + 1
            try:
                values = next(reader)
            except StopIteration:
                for line in self._lines.too_long:
                    yield Record(line, {}, [("", f"the line is longer than {MAX_LINE_BYTES:,} bytes")])
                break
            except csv.Error as exc:
                yield Record(start, {}, [("", _csv_problem(str(exc)))])
                continue
            for line in self._lines.too_long:
                yield Record(line, {}, [("", f"the line is longer than {MAX_LINE_BYTES:,} bytes")])
            self._lines.too_long.clear()
            if not any(value.strip() for value in values):
                continue  # blank lines and lines of separators only
            record = Record(start, dict(zip(self.columns, values, strict=False)))
            if len(values) != width:
                cut = not self._lines.ended_with_newline and len(values) < width
                record.problems.append(("", _width_problem(len(values), width, cut)))
            yield record


def _csv_problem(message: str) -> str:
    if message.startswith("field larger than field limit"):
        return f"a value is longer than {MAX_FIELD_CHARS:,} characters"
    if message == "unexpected end of data":
        return "the file ends inside a quoted value: it was cut short"
    if "NUL" in message:
        return "the line contains a NUL byte: this is not a text file"
    return f"not valid CSV ({message}): a quote inside a value must be doubled"


def _width_problem(found: int, width: int, cut: bool) -> str:
    if cut:
        return f"the file ends in the middle of this row ({found} of {width} values): it was cut short"
    if found < width:
        return f"{found} values where the header has {width} columns"
    return f"{found} values where the header has {width} columns (a separator inside an unquoted value?)"


# --- JSON ---------------------------------------------------------------------------------------


class JsonSource:
    """The items of a JSON list, parsed one at a time (memory bounded by the largest item)."""

    label = "item"

    def __init__(self, path: Path, encoding: str | None = None) -> None:
        self.path = path
        self._stream = open_binary(path)
        self._decoder = _Decoder(self._stream, encoding)
        self._buffer = ""
        self._pos = 0
        self._eof = False
        self._json = json.JSONDecoder(parse_float=Decimal)
        self._consumed_lines = 1  # line of self._buffer[0]
        first = self._skip_space()
        if first is None:
            raise FileRefused("the file is empty: expected a JSON list of objects, [ {...}, ... ]")
        if first != "[":
            raise FileRefused(f"{self._where()}: the file must be a JSON list of objects, starting with [")
        self._pos += 1

    def close(self) -> None:
        self._stream.close()

    def _fill(self) -> bool:
        if self._eof:
            return False
        raw = self._decoder.piece(_CHUNK)
        if not raw:
            self._eof = True
            self._buffer += self._decoder.decode(b"", final=True)
            return False
        if self._pos > _CHUNK:
            self._consumed_lines += self._buffer.count("\n", 0, self._pos)
            self._buffer = self._buffer[self._pos :]
            self._pos = 0
        self._buffer += self._decoder.decode(raw)
        return True

    def _skip_space(self) -> str | None:
        while True:
            while self._pos < len(self._buffer) and self._buffer[self._pos] in " \t\r\n":
                self._pos += 1
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._fill():
                return None

    def _where(self) -> str:
        line = self._consumed_lines + self._buffer.count("\n", 0, self._pos)
        column = self._pos - self._buffer.rfind("\n", 0, self._pos)
        return f"line {line}, column {column}"

    def records(self) -> Iterator[Record]:
        index = 0
        char = self._skip_space()
        if char == "]":
            self._pos += 1
            self._expect_end()
            return
        while True:
            if char is None:
                raise FileRefused(f"the file ends before item {index}: it was cut short")
            yield Record(index, self._item(index))
            char = self._skip_space()
            if char == ",":
                self._pos += 1
                char = self._skip_space()
                index += 1
                continue
            if char == "]":
                self._pos += 1
                self._expect_end()
                return
            if char is None:
                raise FileRefused(f"the file ends after item {index}: it was cut short (no closing ])")
            raise FileRefused(f"{self._where()}: expected , or ] after item {index}")

    def _item(self, index: int) -> dict[str, Any]:
        while True:
            try:
                value, end = self._json.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as exc:
                if len(self._buffer) - self._pos > MAX_ITEM_CHARS:
                    raise FileRefused(f"item {index} is larger than {MAX_ITEM_CHARS:,} characters") from None
                unterminated = exc.msg.startswith("Unterminated string")
                if (unterminated or exc.pos >= len(self._buffer) - 6) and self._fill():
                    continue  # the item goes on in the next piece of the file
                if self._eof and (unterminated or not self._buffer[exc.pos :].strip()):
                    raise FileRefused(f"the file ends inside item {index}: it was cut short") from None
                self._pos = exc.pos
                raise FileRefused(f"{self._where()} (item {index}): not valid JSON: {exc.msg}") from None
            if end >= len(self._buffer) and self._fill():
                continue  # a number or literal may go on in the next piece
            self._pos = end
            if not isinstance(value, dict):
                raise FileRefused(
                    f'item {index} is not an object: each item must be {{"column": value, ...}}'
                )
            return value

    def _expect_end(self) -> None:
        if self._skip_space() is not None:
            raise FileRefused(f"{self._where()}: unexpected text after the closing ] of the list")


Source = CsvSource | JsonSource


def open_source(path: Path, encoding: str | None = None) -> Source:
    """A CSV or JSON source by the file's extension (``.csv``, ``.json``)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return CsvSource(path, encoding)
    if suffix == ".json":
        return JsonSource(path, encoding)
    raise FileRefused(f"{path.name}: the file name must end in .csv or .json")
