"""Reading YAML event by event: line numbers kept, anchors, tags, duplicates and deep nesting refused."""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from trustdesk.policy.loader.base import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_NODES,
    MAX_QUOTE,
    PathT,
    PolicyError,
    Problem,
    Source,
    line_count,
    quote,
)
from trustdesk.policy.loader.messages import show_value

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
    return quote(tag.replace("tag:yaml.org,2002:", "!!"), 40)


class _Builder:
    """Turns PyYAML's event stream into plain data, recording lines, refusing what a policy never needs."""

    def __init__(self, name: str, text: str):
        self.name = name
        self.text = text
        self.last_line = line_count(text)
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
                f"the key {quote(key)} appears twice; the first is on line {self.lines.get(path, '?')}",
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
        return problem_line, f"a value cannot start with {quote(char, 8)}: put the value in quotes"
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
        what = "a list" if isinstance(data, list) else f"the single value {show_value(data)}"
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
