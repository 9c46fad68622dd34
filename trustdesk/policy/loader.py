"""Loading a policy file: YAML with line numbers, the schema, and the taxonomy references.

Every problem names the file, the line and the key, in words a privacy officer
understands; all problems of a file are reported at once, not only the first.

The YAML is read event by event (never through PyYAML's recursive composer), so
that deep nesting, anchors and aliases, merge keys, tags, duplicate keys and
huge files are refused with a line number before they cost time or memory.
"""

from __future__ import annotations

import hashlib
import re
import stat
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, RootModel, ValidationError

from trustdesk.policy.authorities import BUILTIN_AUTHORITIES
from trustdesk.policy.schema import Authority, Policy
from trustdesk.policy.taxonomy import KINDS, closest, fideslang_terms

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


def _quote(value: str, limit: int = MAX_QUOTE) -> str:
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


def _line_count(text: str) -> int:
    return max(1, len(text.splitlines()))


# --- YAML -----------------------------------------------------------------------------------

_STR_TAG = "tag:yaml.org,2002:str"
_PLAIN_TAGS = {_STR_TAG, "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_RESOLVER = yaml.resolver.Resolver()
_NO_KEY: Any = object()  # a mapping waiting for its next key
_SKIP: Any = object()  # a key whose value is dropped (it was refused)


_SECOND_DOCUMENT = "the file holds a second YAML document (after a '---' line); a policy file is one document"
_TOO_MANY = f"the file has more than {MAX_NODES:,} values; a policy never needs that many"
_TOO_DEEP = f"values are nested more than {MAX_DEPTH} levels deep; a policy never needs that"
_WRITE_OUT = "write the value out where it is needed"


class _Abort(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


@dataclass
class _Frame:
    """An open mapping or list (or the document itself, with ``container`` None)."""

    container: dict[str, Any] | list[Any] | None
    path: PathT | None  # None: inside a key that is itself a mapping or list, which is dropped
    is_key: bool = False
    line: int = 1
    key: Any = _NO_KEY


def _show_tag(tag: str) -> str:
    return _quote(tag.replace("tag:yaml.org,2002:", "!!"), 40)


class _Builder:
    """Turns PyYAML's event stream into plain data, recording lines, refusing what a policy never needs."""

    def __init__(self, name: str, text: str):
        self.name = name
        self.text = text
        self.last_line = _line_count(text)
        self.problems: list[Problem] = []
        self.lines: dict[PathT, int] = {}
        self.value_lines: dict[PathT, int] = {}
        self.count = 0
        self.documents = 0
        self.root: Any = _NO_KEY

    def line(self, event: yaml.Event) -> int:
        mark = event.start_mark
        return min(mark.line + 1, self.last_line) if mark is not None else 1

    def problem(self, line: int, path: PathT | None, message: str) -> None:
        self.problems.append(Problem(self.name, line, path or (), message))

    def abort(self, line: int, path: PathT | None, message: str) -> None:
        raise _Abort(Problem(self.name, line, path or (), message))

    def build(self) -> Any:
        stack: list[_Frame] = []
        for event in yaml.parse(self.text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.StreamStartEvent | yaml.StreamEndEvent | yaml.DocumentEndEvent):
                continue
            line = self.line(event)
            if isinstance(event, yaml.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    self.abort(line, (), _SECOND_DOCUMENT)
                stack = [_Frame(None, ())]
                continue
            if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                frame = stack.pop()
                self.place(stack[-1], frame.is_key, frame.container, frame.line, frame.path)
                continue
            parent = stack[-1]
            is_key, path = self.position(parent)
            self.count += 1
            if self.count > MAX_NODES:
                self.abort(line, path, _TOO_MANY)
            if isinstance(event, yaml.AliasEvent):
                self.abort(line, path, f"YAML aliases (*name) are not allowed in a policy file; {_WRITE_OUT}")
            assert isinstance(event, yaml.NodeEvent)  # noqa: S101 - narrows the type for mypy
            if event.anchor is not None:
                self.abort(
                    line,
                    path,
                    f"YAML anchors (&{event.anchor[:MAX_QUOTE]}) are not allowed in a policy file; "
                    + _WRITE_OUT,
                )
            tag = getattr(event, "tag", None)
            if tag is not None and tag != "!" and tag not in _PLAIN_TAGS:
                message = f"YAML tags such as {_show_tag(tag)} are not allowed in a policy file"
                self.problem(line, path, f"{message}; write a plain value")
            if path is not None and not is_key:
                self.value_lines[path] = line
            if isinstance(event, yaml.ScalarEvent):
                if is_key:
                    self.place(parent, True, event, line, path)
                else:
                    self.place(parent, False, self.scalar(event), line, path)
                continue
            if len(stack) > MAX_DEPTH:
                self.abort(line, (), _TOO_DEEP)
            container: dict[str, Any] | list[Any] = {} if isinstance(event, yaml.MappingStartEvent) else []
            stack.append(_Frame(container, None if is_key else path, is_key, line))
        return self.root

    @staticmethod
    def position(parent: _Frame) -> tuple[bool, PathT | None]:
        """Whether the next node is a key, and the path of the value it is (None: it is dropped)."""
        if parent.container is None:
            return False, ()
        if isinstance(parent.container, dict):
            if parent.key is _NO_KEY:
                return True, parent.path
            if parent.path is None or parent.key is _SKIP:
                return False, None
            return False, (*parent.path, parent.key)
        return False, None if parent.path is None else (*parent.path, len(parent.container))

    def place(self, parent: _Frame, is_key: bool, value: Any, line: int, path: PathT | None) -> None:
        container = parent.container
        if container is None:
            self.root = value
        elif isinstance(container, list):
            container.append(value)
            if path is not None:
                self.lines[path] = line
        elif is_key:
            parent.key = self.key(parent, value, line)
        else:
            if parent.key is not _SKIP:
                container[parent.key] = value
            parent.key = _NO_KEY

    def key(self, parent: _Frame, event: Any, line: int) -> Any:
        assert isinstance(parent.container, dict)  # noqa: S101 - narrows the type for mypy
        if not isinstance(event, yaml.ScalarEvent):
            self.problem(line, parent.path, "a key must be a plain word, not a list or mapping")
            return _SKIP
        key = str(event.value)
        if event.style is None and key == "<<" and event.tag is None:
            self.problem(
                line, parent.path, "YAML merge keys (<<) are not allowed in a policy file; write the keys out"
            )
            return _SKIP
        if parent.path is None:
            return _SKIP
        path = (*parent.path, key)
        if key in parent.container:
            self.problem(
                line,
                path,
                f"the key {_quote(key)} appears twice; the first is on line {self.lines.get(path, '?')}",
            )
            return _SKIP
        self.lines[path] = line
        return key

    @staticmethod
    def scalar(event: yaml.ScalarEvent) -> Any:
        value = str(event.value)
        if event.style is not None or event.tag is not None:
            return value  # quoted, block text or !!str: always a string
        tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            # 'yes', 'no', 'on', 'off' stay words: NO is Norway, not false.
            lowered = value.lower()
            return True if lowered == "true" else False if lowered == "false" else value
        if tag == "tag:yaml.org,2002:int":
            digits = value.lstrip("+-")
            if (len(digits) > 1 and digits.startswith("0")) or ":" in value or len(digits) > 30:
                return value  # 0123 (a company number), 1:30 (a time), or a number too long to be one
            try:
                return int(value, 10)
            except ValueError:
                return value
        if tag == "tag:yaml.org,2002:float":
            try:
                return float(value)
            except ValueError:
                return value  # .inf, .nan, 1:30.5
        return value


def _syntax_message(exc: yaml.MarkedYAMLError, text: str) -> tuple[int | None, str]:
    """PyYAML's complaint in a person's words, and the line to look at."""
    problem = str(exc.problem or exc.context or "")
    context = str(exc.context or "")
    problem_line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
    context_line = exc.context_mark.line + 1 if exc.context_mark is not None else None
    lines = text.split("\n")
    for line in (context_line, problem_line):
        if line is not None and line <= len(lines) and len(lines[line - 1].split(":")[0]) > 1024:
            return line, "a key on this line is longer than 1,024 characters, which YAML does not allow"
    if "'\\t'" in problem:
        return problem_line, "a tab character is used for indentation; indent with spaces only"
    if "flow sequence" in context and context_line is not None:
        return context_line, f"the list opened with '[' on line {context_line} is not closed with ']'"
    if "flow mapping" in context and context_line is not None:
        return context_line, f"the mapping opened with '{{' on line {context_line} is not closed with '}}'"
    if "quoted scalar" in context and "end of stream" in problem and context_line is not None:
        return (
            context_line,
            f"the quoted text that starts on line {context_line} is not closed with its quote",
        )
    if "scanning an anchor" in context or "scanning an alias" in context:
        return problem_line, (
            "'&' and '*' start YAML anchors and aliases, which a policy file does not use; "
            "put a value that starts with & or * in quotes"
        )
    if "block scalar" in context:
        return problem_line, (
            "'|' and '>' start a block of text and end their line; "
            "put a value that starts with | or > in quotes"
        )
    if "sequence entries are not allowed here" in problem:
        return problem_line, "a '- ' list item where a value was expected: start the list on the next line"
    if "expected the node content" in problem:
        found = problem.rsplit("found ", 1)[-1]
        return problem_line, f"a value is missing before {found[:20]}"
    if "expected a comment or a line break" in problem or "found '<scalar>'" in problem:
        return problem_line, (
            "more text follows a value on this line: put the whole value in quotes, or check the indentation"
        )
    if "unknown escape character" in problem or "escape sequence" in problem:
        return problem_line, (
            "a backslash in double quotes must start an escape such as \\n; "
            "use single quotes for text with backslashes"
        )
    if "mapping values are not allowed here" in problem:
        return problem_line, (
            "a second ': ' on this line: put a value that contains ': ' in quotes, or check the indentation"
        )
    if "could not find expected ':'" in problem:
        return (
            context_line or problem_line,
            "a line that is neither 'key: value' nor '- item'; check the colon",
        )
    if "expected <block end>" in problem or "expected <block" in problem:
        return problem_line, "the indentation is wrong here: keys of one mapping start in the same column"
    if "that cannot start any token" in problem:
        char = problem.split("'")[1] if problem.count("'") >= 2 else "?"
        return problem_line, f"a value cannot start with {_quote(char, 8)}: put the value in quotes"
    return problem_line or context_line, f"this is not valid YAML: {problem[:200]}"


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _check_characters(text: str, name: str) -> None:
    """Refuse NUL and other control characters with their line, before YAML sees them."""
    found = _CONTROL.search(text)
    if found is None:
        return
    char = found.group()
    line = text.count("\n", 0, found.start()) + 1
    if char == "\x00":
        message = "the file contains a NUL character: it is not a text file"
    elif "\ud800" <= char <= "\udfff":
        message = "the file contains a broken character; save it as UTF-8"
    else:
        message = (
            f"the file contains the control character U+{ord(char):04X}, which a policy file cannot hold"
        )
    raise PolicyError([Problem(name, line, (), message)])


def parse_yaml(text: str, name: str) -> Source:
    """Parse YAML text into data with line numbers; raises PolicyError naming the line."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise PolicyError([Problem(name, None, (), _too_big(size))])
    _check_characters(text, name)
    builder = _Builder(name, text)
    try:
        data = builder.build()
    except _Abort as abort:
        raise PolicyError([*builder.problems, abort.problem]) from None
    except yaml.MarkedYAMLError as exc:
        line, message = _syntax_message(exc, text)
        line = min(line, builder.last_line) if line is not None else None
        raise PolicyError([*builder.problems, Problem(name, line, (), message)]) from None
    except yaml.YAMLError as exc:
        message = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise PolicyError(
            [*builder.problems, Problem(name, None, (), f"this is not valid YAML: {message}")]
        ) from None
    except RecursionError:  # pragma: no cover - the builder does not recurse; kept as a last guard
        raise PolicyError([Problem(name, None, (), _TOO_DEEP)]) from None
    if builder.problems:
        raise PolicyError(builder.problems)
    if data is _NO_KEY or data is None:
        if text:
            raise PolicyError(
                [Problem(name, 1, (), "the file holds only comments or blank lines, no policy")]
            )
        raise PolicyError([Problem(name, None, (), "the file is empty")])
    if not isinstance(data, dict):
        what = "a list" if isinstance(data, list) else f"the single value {_show(data)}"
        raise PolicyError(
            [
                Problem(
                    name,
                    builder.value_lines.get((), 1),
                    (),
                    f"a policy file is a mapping of keys (format:, controller:, purposes:, ...), not {what}",
                )
            ]
        )
    return Source(name=name, text=text, data=data, lines=builder.lines, value_lines=builder.value_lines)


def _too_big(size: int) -> str:
    return f"the file is {size:,} bytes; a policy file is at most {MAX_BYTES:,} bytes"


def read_text(path: Path) -> str:
    """The text of a policy file; raises PolicyError for a file that is missing, too big or not text."""
    name = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise PolicyError([Problem(name, None, (), "there is no such file")]) from None
    except (OSError, ValueError) as exc:
        raise PolicyError([Problem(name, None, (), f"the file cannot be read: {_reason(exc)}")]) from None
    if stat.S_ISDIR(info.st_mode):
        raise PolicyError([Problem(name, None, (), "this is a directory, not a policy file")])
    if not stat.S_ISREG(info.st_mode):
        raise PolicyError([Problem(name, None, (), "this is not a regular file")])
    if info.st_size > MAX_BYTES:
        raise PolicyError([Problem(name, None, (), _too_big(info.st_size))])
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise PolicyError([Problem(name, None, (), f"the file cannot be read: {_reason(exc)}")]) from None
    return decode(raw, name)


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc)[:MAX_QUOTE]


def decode(raw: bytes, name: str) -> str:
    """UTF-8 bytes (with or without a byte-order mark) as text; raises PolicyError naming the line."""
    if len(raw) > MAX_BYTES:
        raise PolicyError([Problem(name, None, (), _too_big(len(raw)))])
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PolicyError([Problem(name, 1, (), "the file is UTF-16 text; save it as UTF-8")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise PolicyError(
            [
                Problem(
                    name,
                    line,
                    (),
                    f"the file is not UTF-8 text (the byte at column {column} cannot be read); "
                    "save it as UTF-8",
                )
            ]
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise PolicyError(
            [Problem(name, line, (), "the file contains a NUL character: it is not a text file")]
        )
    return text


# --- schema errors in words -------------------------------------------------------------------

_WHAT = {
    "purposes": "purpose",
    "recipients": "recipient",
    "sanctions": "sanction",
    "categories": "abuse category",
    "data_categories": "data category",
    "data_uses": "data use",
    "data_subjects": "data subject",
}

_LEGAL_BASES = (
    "use consent (a), contract (b), legal_obligation (c), vital_interests (d), public_task (e) "
    "or legitimate_interests (f)"
)


def _words(path: PathT) -> list[str]:
    words: list[str] = []
    index = 0
    while index < len(path):
        part = path[index]
        if part in ("purposes", "recipients", "sanctions", "categories") and index + 1 < len(path):
            name = str(path[index + 1])
            words.append(f"{_WHAT[str(part)]} '{name if len(name) <= 40 else name[:37] + '...'}'")
            index += 2
            continue
        if isinstance(part, int):
            words[-1:] = [f"{words[-1] if words else 'item'} #{part + 1}"]
        else:
            word = str(part) if len(str(part)) <= 40 else str(part)[:37] + "..."
            words.append(word.replace("_", " ").rstrip(" "))
        index += 1
    return words


def describe(path: PathT) -> str:
    """A person's words for where a key stands: "purpose 'newsletter': legal basis"."""
    words = _words(path)
    if len(words) <= 1:
        return words[0] if words else "the policy"
    return f"{', '.join(words[:-1])}: {words[-1]}"


def _within(path: PathT) -> str:
    """A person's words for the mapping a key belongs in, followed by a colon: "security, lockout: "."""
    words = _words(path)
    return f"{', '.join(words)}: " if words else ""


def _show(value: Any) -> str:
    """A value from the file as the person wrote it, truncated: never the whole input."""
    if isinstance(value, str):
        return _quote(value)
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _quote(str(value), MAX_QUOTE)[1:-1]
    if isinstance(value, dict):
        keys = ", ".join(f"{str(key)[:20]}:" for key in list(value)[:3])
        return f"a mapping ({keys}{', ...' if len(value) > 3 else ''})" if value else "an empty mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}" if value else "an empty list"
    return "a value of another kind"


def _walk(data: Any, loc: Sequence[str | int], missing: bool) -> PathT:
    """The keys of the file in a pydantic error location, without pydantic's union and type markers."""
    path: list[str | int] = []
    for position, part in enumerate(loc):
        in_dict = isinstance(data, dict) and isinstance(part, str) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_dict or in_list:
            path.append(part)
            data = data[part]
        elif missing and position == len(loc) - 1 and isinstance(part, str):
            path.append(part)
    return tuple(path)


def _annotation_fields(annotation: Any, path: Sequence[str | int]) -> list[str] | None:
    """The keys a mapping at ``path`` below a schema type may have, for 'did you mean'."""
    current: Any = annotation
    for part in (*path, None):
        candidates = [current]
        resolved: Any = None
        while candidates:
            kind = candidates.pop()
            origin = typing.get_origin(kind)
            if origin is typing.Annotated:
                candidates.append(typing.get_args(kind)[0])
            elif origin in (typing.Union, types.UnionType):
                candidates.extend(typing.get_args(kind))
            elif isinstance(kind, type) and issubclass(kind, BaseModel) and not issubclass(kind, RootModel):
                names = {info.alias or name: info for name, info in kind.model_fields.items()}
                if part is None:
                    return sorted(names)
                if isinstance(part, str) and part in names:
                    resolved = names[part].annotation
            elif part is not None and origin is dict and isinstance(part, str):
                resolved = typing.get_args(kind)[1]
            elif part is not None and origin is list and isinstance(part, int):
                resolved = typing.get_args(kind)[0]
        if resolved is None:
            return None
        current = resolved
    return None


def _number_words(kind: str, ctx: dict[str, Any]) -> str:
    if kind == "greater_than_equal":
        return f"at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"at most {ctx.get('le')}"
    if kind == "greater_than":
        return f"more than {ctx.get('gt')}"
    return f"less than {ctx.get('lt')}"


def _message(error: Mapping[str, Any], path: PathT) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    where = describe(path)
    if kind == "missing":
        key = f"'{path[-1]}'" if path else "a key"
        return f"{_within(path[:-1])}{key} is missing"
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else ""
        known = _annotation_fields(Policy, path[:-1]) or []
        hint = closest(key, set(known), limit=1) if len(key) <= 100 else []
        suggestion = f" Did you mean '{hint[0]}'?" if hint else " Check its spelling and indentation."
        return f"{_within(path[:-1])}{_quote(key)} is not a key this policy format knows.{suggestion}"
    if value is None and "input" in error and kind not in ("value_error", "assertion_error"):
        return f"{where} has no value"
    if kind in ("literal_error", "enum") and "legal_basis" in path[-2:]:
        return f"{where} is {_show(value)}, which is not a legal basis of GDPR Art. 6(1): {_LEGAL_BASES}"
    if kind in ("literal_error", "enum") and path[:1] == ("languages",):
        return f"{where} is {_show(value)}: the statement can be written in en (English) and nl (Dutch) only"
    if kind in ("literal_error", "enum") and path == ("format",):
        unquote = " (without quotes)" if value == "1" else ""
        return f"format is {_show(value)}; this version of Trustdesk reads format 1{unquote}"
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        if " or " not in expected and "," not in expected:
            return f"{where} is {_show(value)}; it can only be {expected}"
        return f"{where} is {_show(value)}, which is not one of {expected}"
    if kind == "string_type":
        if isinstance(value, bool | int | float):
            return f"{where} must be text, not {_show(value)}; put it in quotes"
        return f"{where} must be text, not {_show(value)}"
    if kind == "string_too_short":
        return f"{where} is empty"
    if kind == "string_too_long":
        length = len(value) if isinstance(value, str) else "too many"
        return f"{where} is too long ({length} characters; at most {ctx.get('max_length')})"
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return f"{where} must be a whole number, not {_show(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{where} must be true or false, not {_show(value)}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{where} is {_show(value)}, but must be {_number_words(kind, ctx)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{where} must be a mapping of keys, not {_show(value)}"
    if kind == "list_type":
        return f"{where} must be a list, not {_show(value)}"
    if kind == "too_short" and isinstance(value, list | dict):
        noun = _WHAT.get(str(path[-1]), "entry" if isinstance(value, dict) else "item") if path else "entry"
        return f"{where} is empty: at least one {noun} is needed"
    if kind == "too_long" and isinstance(value, list | dict):
        return f"{where} has {len(value)} items; at most {ctx.get('max_length')}"
    if kind.startswith("date_"):
        return f"{where} must be a date written as YYYY-MM-DD, not {_show(value)}"
    if kind == "string_pattern_mismatch":
        example = "essential.service" if "data_use" in path or "data_uses" in path else "user.contact.email"
        return (
            f"{where}: {_show(value)} is not a taxonomy key: use lower-case words joined by dots, "
            f"such as {example}"
        )
    if kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
        if "int_max_str_digits" in message or "Exceeds the limit" in message:
            message = f"{_show(value)} holds a number far too large"
        if not path or len(path) == 1:
            return message  # a top-level key: the problem's key already names it
        return f"{where}: {message}"
    return f"{where}: {str(error['msg'])[:200]}"


def _lookup(data: Any, path: PathT) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _branch(loc: Sequence[str | int]) -> tuple[int, str]:
    """Where in an error location a union member is named (a country code or an authority), and which."""
    for index, part in enumerate(loc):
        if isinstance(part, str) and part != "[key]" and ("[" in part or part[:1].isupper()):
            return index, part
    return -1, ""


def _is_model(branch: str) -> bool:
    return branch[:1].isupper()


def _choose(source: Source, errors: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Of the errors of a union (a country code or an authority; a duration or 'session'), the useful ones.

    pydantic reports every member that failed; a person needs the one they meant to write.
    """
    unions: dict[PathT, set[str]] = {}
    for error in errors:
        index, branch = _branch(error["loc"])
        if index >= 0:
            unions.setdefault(_walk(source.data, error["loc"][:index], False), set()).add(branch)
    chosen: list[Mapping[str, Any]] = []
    done: set[PathT] = set()
    for error in errors:
        index, branch = _branch(error["loc"])
        where = _walk(source.data, error["loc"][:index], False) if index >= 0 else ()
        if index < 0 or len(unions[where]) < 2:
            chosen.append(error)
            continue
        value = _lookup(source.data, where)
        branches = unions[where]
        if any(_is_model(b) for b in branches):
            if isinstance(value, dict | str) and isinstance(value, dict) == _is_model(branch):
                chosen.append(error)
            elif not isinstance(value, dict | str) and where not in done:
                done.add(where)
                codes = ", ".join(sorted(BUILTIN_AUTHORITIES))
                message = (
                    f"{_show(value)} is neither a country code with a built-in authority ({codes}) "
                    "nor an authority written out (name, address, country)"
                )
                chosen.append({"type": "value_error", "msg": message, "input": value, "loc": where})
            continue
        if error["type"] == "literal_error":
            continue
        literals = [
            other
            for other in errors
            if other["type"] == "literal_error" and other["loc"][:index] == error["loc"][:index]
        ]
        alternatives = " or ".join(str((other.get("ctx") or {}).get("expected", "")) for other in literals)
        chosen.append({**error, "alternative": alternatives} if alternatives else error)
    return chosen


def _schema_problems(source: Source, exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[PathT, str]] = set()
    for error in _choose(source, exc.errors(include_url=False)):
        path = _walk(source.data, error["loc"], error["type"] == "missing")
        message = _message(error, path)
        if error.get("alternative"):
            message += f" (or write {error['alternative']})"
        if (path, message) in seen:
            continue
        seen.add((path, message))
        problems.append(Problem(source.name, _error_line(source, path, error), path, message))
    return sorted(problems, key=lambda problem: problem.line or 0)


def _error_line(source: Source, path: PathT, error: Mapping[str, Any]) -> int | None:
    if error["type"] == "missing":
        return source.line_of(path[:-1])  # the mapping that lacks the key
    if error["type"] == "extra_forbidden":
        return source.line_of(path)  # the unknown key itself
    value = _lookup(source.data, path)
    if isinstance(value, dict) or value is None:
        return source.line_of(path)  # a mapping, or an empty value: the key that names it
    return source.line_of(path, value=True)


# --- references: the taxonomy -----------------------------------------------------------------


def _alternatives(words: Sequence[str]) -> str:
    quoted = [f"'{word}'" for word in words]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _taxonomy_problems(source: Source, policy: Policy) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: PathT, message: str) -> None:
        problems.append(Problem(source.name, source.line_of(path, value=True), path, message))

    known: dict[str, set[str]] = {}
    for kind in KINDS:
        builtin = fideslang_terms(kind)
        custom = getattr(policy.taxonomy, kind)
        for key, entry in custom.items():
            if key in builtin:
                problems.append(
                    Problem(
                        source.name,
                        source.line_of(("taxonomy", kind, key)),
                        ("taxonomy", kind, key),
                        f"'{key}' is already a fideslang {_WHAT[kind]}: use it without declaring it here",
                    )
                )
            if entry.parent not in builtin and entry.parent not in custom:
                hint = closest(entry.parent, set(builtin) | set(custom))
                suggestion = f" Did you mean {_alternatives(hint)}?" if hint else ""
                add(
                    ("taxonomy", kind, key, "parent"),
                    f"the parent '{entry.parent}' of '{key}' is not a known {_WHAT[kind]}.{suggestion}",
                )
        known[kind] = set(builtin) | set(custom)

    def check(kind: str, key: str, path: PathT) -> None:
        if key in known[kind]:
            return
        noun = _WHAT[kind]
        hint = closest(key, known[kind])
        suggestion = f" Did you mean {_alternatives(hint)}?" if hint else ""
        add(
            path,
            f"{describe(path[:-1])}: '{key}' is not a known {noun}; "
            f"declare it under taxonomy.{kind} if it is your own.{suggestion}",
        )

    for pkey, purpose in policy.purposes.items():
        base: PathT = ("purposes", pkey)
        check("data_uses", purpose.data_use, (*base, "data_use"))
        for index, subject in enumerate(purpose.data_subjects):
            check("data_subjects", subject, (*base, "data_subjects", index))
        for index, category in enumerate(purpose.data_categories):
            check("data_categories", category, (*base, "data_categories", index))
        for index, category in enumerate(purpose.required_categories):
            if category not in purpose.data_categories:
                add(
                    (*base, "required_categories", index),
                    f"purpose '{pkey}': the required category '{category}' is not one of the purpose's "
                    "data categories; add it to data_categories",
                )
        for sindex, src in enumerate(purpose.sources):
            for index, category in enumerate(src.data_categories):
                if category not in purpose.data_categories:
                    add(
                        (*base, "sources", sindex, "data_categories", index),
                        f"purpose '{pkey}': the source's category '{category}' is not one of the purpose's "
                        "data categories; add it to data_categories",
                    )
    for index, category in enumerate(policy.never_collected):
        check("data_categories", category, ("never_collected", index))
    chosen = policy.supervisory_authority
    if isinstance(chosen, str) and policy.authority() is None:
        codes = sorted(BUILTIN_AUTHORITIES)
        listed = f"{', '.join(codes[:-1])} and {codes[-1]}" if len(codes) > 1 else ", ".join(codes)
        add(
            ("supervisory_authority",),
            f"there is no built-in authority for '{chosen}' (there is for {listed}): "
            "write it out with name, address and country",
        )
    return sorted(problems, key=lambda problem: problem.line or 0)


# --- entry points -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedPolicy:
    policy: Policy
    source: Source

    @property
    def sha256(self) -> str:
        return content_hash(self.source.text)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def load_text(text: str, name: str = "<policy>") -> LoadedPolicy:
    """Load a policy from its text; raises PolicyError listing every problem found."""
    source = parse_yaml(text, name)
    try:
        policy = Policy.model_validate(source.data)
    except ValidationError as exc:
        raise PolicyError(_schema_problems(source, exc)) from None
    problems = _taxonomy_problems(source, policy)
    if problems:
        raise PolicyError(problems)
    return LoadedPolicy(policy=policy, source=source)


def load_file(path: str | Path) -> LoadedPolicy:
    path = Path(path)
    return load_text(read_text(path), str(path))


@lru_cache(maxsize=32)
def load_cached(text: str, name: str) -> LoadedPolicy:
    """The same as load_text, remembered: published versions are immutable."""
    return load_text(text, name)


__all__ = [
    "Authority",
    "LoadedPolicy",
    "PolicyError",
    "Problem",
    "content_hash",
    "decode",
    "describe",
    "dotted",
    "load_cached",
    "load_file",
    "load_text",
    "parse_yaml",
    "read_text",
]
