"""Loading a policy file: YAML with line numbers, the schema, and the taxonomy references.

Every problem names the file, the line and the key, in words a privacy officer
understands; all problems of a file are reported at once, not only the first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from trustdesk.policy.schema import Authority, Policy
from trustdesk.policy.taxonomy import KINDS, closest, fideslang_terms

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 24
MAX_NODES = 100_000

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
        return f"{where}: {self.key}: {self.message}" if self.path else f"{where}: {self.message}"


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


@dataclass
class Source:
    """The parsed YAML data and where each key and value stands in the file."""

    name: str
    text: str
    data: Any
    lines: dict[PathT, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


# --- YAML -----------------------------------------------------------------------------------

_BOOL_TRUE = {"true"}
_BOOL_FALSE = {"false"}


class _Converter:
    """Turns PyYAML's node tree into plain data, recording lines, refusing what a policy never needs."""

    def __init__(self, name: str):
        self.name = name
        self.lines: dict[PathT, int] = {}
        self.problems: list[Problem] = []
        self.seen: set[int] = set()
        self.count = 0

    def problem(self, line: int | None, path: PathT, message: str) -> None:
        self.problems.append(Problem(self.name, line, path, message))

    def convert(self, node: yaml.Node, path: PathT, depth: int = 0) -> Any:
        line = node.start_mark.line + 1
        self.count += 1
        if self.count > MAX_NODES:
            raise _Abort(Problem(self.name, line, path, f"the file has more than {MAX_NODES} values; a policy never needs that many"))
        if depth > MAX_DEPTH:
            raise _Abort(Problem(self.name, line, path, f"values are nested more than {MAX_DEPTH} levels deep"))
        if id(node) in self.seen:
            raise _Abort(
                Problem(self.name, line, path, "YAML anchors and aliases (&name, *name) are not allowed in a policy file; write the value out")
            )
        self.seen.add(id(node))
        self.lines.setdefault(path, line)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _Abort(Problem(self.name, key_line, path, "YAML merge keys (<<) are not allowed in a policy file"))
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problem(key_line, path, "a key must be a plain word, not a list or mapping")
                    continue
                key = str(key_node.value)
                if key in result:
                    self.problem(key_line, (*path, key), f"the key '{key[:60]}' appears twice; the first is on line {self.lines[(*path, key)]}")
                    continue
                self.lines[(*path, key)] = key_line
                result[key] = self.convert(value_node, (*path, key), depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.lines[(*path, index)] = item.start_mark.line + 1
                items.append(self.convert(item, (*path, index), depth + 1))
            return items
        return self.scalar(node)

    @staticmethod
    def scalar(node: yaml.Node) -> Any:
        value = str(node.value)
        if getattr(node, "style", None) is not None:
            return value  # quoted or block text: always a string
        lowered = value.lower()
        if node.tag == "tag:yaml.org,2002:null" or lowered in {"null", "~", ""}:
            return None
        if lowered in _BOOL_TRUE:
            return True
        if lowered in _BOOL_FALSE:
            return False
        # 'yes', 'no', 'on', 'off' stay words: NO is Norway, not false.
        if node.tag == "tag:yaml.org,2002:int":
            try:
                return int(value, 10)
            except ValueError:
                return value
        if node.tag == "tag:yaml.org,2002:float":
            try:
                return float(value)
            except ValueError:
                return value
        return value


class _Abort(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def parse_yaml(text: str, name: str) -> Source:
    """Parse YAML text into data with line numbers; raises PolicyError naming the line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise PolicyError([Problem(name, line, (), f"this is not valid YAML: {exc.problem or exc.context}")]) from None
    except yaml.YAMLError as exc:
        raise PolicyError([Problem(name, None, (), f"this is not valid YAML: {exc}")]) from None
    except RecursionError:
        raise PolicyError([Problem(name, None, (), f"values are nested more than {MAX_DEPTH} levels deep")]) from None
    if root is None:
        raise PolicyError([Problem(name, 1, (), "the file is empty")])
    converter = _Converter(name)
    try:
        data = converter.convert(root, ())
    except _Abort as abort:
        raise PolicyError([abort.problem]) from None
    if converter.problems:
        raise PolicyError(converter.problems)
    if not isinstance(data, dict):
        raise PolicyError([Problem(name, 1, (), "a policy file is a mapping of keys (controller:, purposes:, ...), not a single value or a list")])
    return Source(name=name, text=text, data=data, lines=converter.lines)


def read_text(path: Path) -> str:
    name = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise PolicyError([Problem(name, None, (), "no such file")]) from None
    except OSError as exc:
        raise PolicyError([Problem(name, None, (), f"cannot be read: {exc.strerror}")]) from None
    if path.is_dir():
        raise PolicyError([Problem(name, None, (), "is a directory, not a policy file")])
    if size > MAX_BYTES:
        raise PolicyError([Problem(name, None, (), f"the file is {size:,} bytes; a policy file is at most {MAX_BYTES:,} bytes")])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError([Problem(name, None, (), f"cannot be read: {exc.strerror}")]) from None
    return decode(raw, name)


def decode(raw: bytes, name: str) -> str:
    if len(raw) > MAX_BYTES:
        raise PolicyError([Problem(name, None, (), f"the file is {len(raw):,} bytes; a policy file is at most {MAX_BYTES:,} bytes")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PolicyError([Problem(name, line, (), f"the file is not UTF-8 text (byte {exc.start} cannot be read); save it as UTF-8")]) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise PolicyError([Problem(name, line, (), "the file contains a NUL character: it is not a text file")])
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


def describe(path: PathT) -> str:
    """A person's words for where a key stands: "purpose 'newsletter': legal basis"."""
    words: list[str] = []
    index = 0
    while index < len(path):
        part = path[index]
        if part in ("purposes", "recipients", "sanctions", "categories") and index + 1 < len(path):
            words.append(f"{_WHAT[str(part)]} '{path[index + 1]}'")
            index += 2
            continue
        if isinstance(part, int):
            words[-1:] = [f"{words[-1] if words else 'item'} #{part + 1}"]
        else:
            words.append(str(part).replace("_", " ").rstrip(" "))
        index += 1
    if len(words) <= 1:
        return words[0] if words else "the policy"
    return f"{', '.join(words[:-1])}: {words[-1]}"


def _clean_loc(loc: Sequence[str | int]) -> PathT:
    """Drop pydantic's union and type markers from an error location, keep the file's keys."""
    cleaned: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (
            "[" in part or part in {"Authority", "function-after", "function-before", "literal", "str", "lax-or-strict"}
        ):
            continue
        if isinstance(part, str) and part.startswith(("function-", "constrained-", "json-or-python")):
            continue
        if part == "from_":
            part = "from"
        cleaned.append(part)
    return tuple(cleaned)


def _input_repr(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "...'"


def _message(error: dict[str, Any], path: PathT) -> str:
    kind = error["type"]
    value = error.get("input")
    where = describe(path)
    if kind == "missing":
        return f"{where} is missing"
    if kind == "extra_forbidden":
        return f"{where} is not a key this policy format knows; check its spelling and indentation"
    if kind in ("literal_error", "enum") and "legal_basis" in path[-2:]:
        return (
            f"{where} is {_input_repr(value)}, which is not a legal basis of GDPR Art. 6(1): use consent (a), "
            "contract (b), legal_obligation (c), vital_interests (d), public_task (e) or legitimate_interests (f)"
        )
    if kind in ("literal_error", "enum"):
        expected = error.get("ctx", {}).get("expected", "")
        return f"{where} is {_input_repr(value)}, which is not one of {expected}"
    if kind in ("string_type",):
        return f"{where} must be text, not {_input_repr(value)}"
    if kind in ("string_too_short",):
        return f"{where} is empty"
    if kind in ("string_too_long",):
        return f"{where} is too long ({len(value)} characters)"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{where} must be a whole number, not {_input_repr(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{where} must be true or false, not {_input_repr(value)}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{where} is {_input_repr(value)}: {error['msg'].lower()}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{where} must be a mapping of keys, not {_input_repr(value)}"
    if kind in ("list_type",):
        return f"{where} must be a list, not {_input_repr(value)}"
    if kind in ("too_short",) and isinstance(value, list | dict):
        return f"{where} is empty: at least {error.get('ctx', {}).get('min_length', 1)} needed"
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        return f"{where} must be a date written as YYYY-MM-DD, not {_input_repr(value)}"
    if kind == "string_pattern_mismatch":
        return f"{where} is {_input_repr(value)}, which is not a taxonomy key such as user.contact.email"
    if kind == "value_error":
        return f"{where}: {error['msg'].removeprefix('Value error, ')}"
    return f"{where}: {error['msg']}"


def _lookup(data: Any, path: PathT) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _schema_problems(source: Source, exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[PathT, str]] = set()
    errors = exc.errors(include_url=False)
    # For a union (country code or inline authority), report the most useful branch only.
    by_path: dict[PathT, list[dict[str, Any]]] = {}
    for error in errors:
        path = _clean_loc(error["loc"])
        if path and isinstance(path[-1], int) and not isinstance(_lookup(source.data, path[:-1]), list):
            path = path[:-1]  # a single value where a list is also accepted (legal_basis: consent)
        by_path.setdefault(path, []).append(error)
    for path, group in by_path.items():
        if path == ("supervisory_authority",) and len(group) > 1:
            value = source.data.get("supervisory_authority")
            group = [
                {"type": "value_error", "msg": f"{_input_repr(value)} is neither a country code with a built-in authority (BE, NL, GB) nor an authority written out (name, address, country)", "input": value}
            ]
        for error in group:
            message = _message(error, path)
            if (path, message) in seen:
                continue
            seen.add((path, message))
            line = source.line_of(path)
            if error["type"] == "missing":
                line = source.line_of(path[:-1])
            problems.append(Problem(source.name, line, path, message))
    return problems


# --- references: the taxonomy -----------------------------------------------------------------


def _taxonomy_problems(source: Source, policy: Policy) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: PathT, message: str) -> None:
        problems.append(Problem(source.name, source.line_of(path), path, message))

    known: dict[str, set[str]] = {}
    for kind in KINDS:
        builtin = fideslang_terms(kind)
        custom = getattr(policy.taxonomy, kind)
        for key, entry in custom.items():
            if key in builtin:
                add(("taxonomy", kind, key), f"'{key}' is already a fideslang key: use it without declaring it")
            if entry.parent not in builtin and entry.parent not in custom:
                add(("taxonomy", kind, key, "parent"), f"the parent '{entry.parent}' of '{key}' is not a known key")
        known[kind] = set(builtin) | set(custom)

    def check(kind: str, key: str, path: PathT) -> None:
        if key in known[kind]:
            return
        noun = _WHAT[kind]
        hint = closest(key, known[kind])
        suggestion = f" Did you mean {' or '.join(repr(h) for h in hint)}?" if hint else ""
        add(path, f"{describe(path[:-1])}: '{key}' is not a known {noun}; declare it under taxonomy.{kind} if it is your own.{suggestion}")

    for pkey, purpose in policy.purposes.items():
        base: PathT = ("purposes", pkey)
        check("data_uses", purpose.data_use, (*base, "data_use"))
        for index, subject in enumerate(purpose.data_subjects):
            check("data_subjects", subject, (*base, "data_subjects", index))
        for index, category in enumerate(purpose.data_categories):
            check("data_categories", category, (*base, "data_categories", index))
        for index, category in enumerate(purpose.required_categories):
            if category not in purpose.data_categories:
                add((*base, "required_categories", index), f"purpose '{pkey}': the required category '{category}' is not one of the purpose's data categories")
        for sindex, src in enumerate(purpose.sources):
            for index, category in enumerate(src.data_categories):
                if category not in purpose.data_categories:
                    add((*base, "sources", sindex, "data_categories", index), f"purpose '{pkey}': the source's category '{category}' is not one of the purpose's data categories")
    for index, category in enumerate(policy.never_collected):
        check("data_categories", category, ("never_collected", index))
    chosen = policy.supervisory_authority
    if isinstance(chosen, str) and policy.authority() is None:
        add(("supervisory_authority",), f"there is no built-in authority for '{chosen}' (there is for BE, NL and GB): write it out with name, address and country")
    return problems


# --- entry points -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedPolicy:
    policy: Policy
    source: Source

    @property
    def sha256(self) -> str:
        return content_hash(self.source.text)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_text(text: str, name: str = "<policy>") -> LoadedPolicy:
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


__all__ = ["Authority", "LoadedPolicy", "PolicyError", "Problem", "load_file", "load_text"]
