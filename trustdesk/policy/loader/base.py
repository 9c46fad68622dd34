"""Problems in a policy file and the parsed source with its line numbers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 24
MAX_NODES = 100_000
#: The longest piece of the input a message quotes.
MAX_QUOTE = 60

PathT = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a policy file."""

    file: str
    line: int | None
    path: PathT
    message: str

    @property
    def key(self) -> str:
        return dotted(self.path)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = self.key if len(self.key) <= 2 * MAX_QUOTE else self.key[: 2 * MAX_QUOTE - 3] + "..."
        return f"{where}: {key}: {self.message}" if self.path else f"{where}: {self.message}"


class PolicyError(Exception):
    """A policy file that cannot be used; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def dotted(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def quote(value: str, limit: int = MAX_QUOTE) -> str:
    """A piece of the input for a message: quoted, on one line, truncated."""
    text = value.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f"'{text}'" if len(text) <= limit else f"'{text[: limit - 3]}...'"


@dataclass
class Source:
    """The parsed YAML data and where each key and value stands in the file.

    ``lines`` holds the line of each key (and of each list item); ``value_lines``
    the line where each value starts, which differs for a value written on the
    lines below its key.
    """

    name: str
    text: str
    data: Any
    lines: dict[PathT, int] = field(default_factory=dict)
    value_lines: dict[PathT, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int], *, value: bool = False) -> int | None:
        """The line of the key at ``path`` (or of its value), else of the nearest enclosing key."""
        path = tuple(path)
        while path:
            if value and path in self.value_lines:
                return self.value_lines[path]
            if path in self.lines:
                return self.lines[path]
            if path in self.value_lines:
                return self.value_lines[path]
            path = path[:-1]
        return self.value_lines.get((), 1)


def line_count(text: str) -> int:
    return max(1, len(text.splitlines()))
