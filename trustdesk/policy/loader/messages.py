"""Schema errors in words a privacy officer understands, at the right line."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, RootModel, ValidationError

from trustdesk.policy.authorities import BUILTIN_AUTHORITIES
from trustdesk.policy.loader.base import MAX_QUOTE, PathT, Problem, Source, quote
from trustdesk.policy.schema import Policy
from trustdesk.policy.taxonomy import closest

# --- schema errors in words -------------------------------------------------------------------

NOUNS = {
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
            words.append(f"{NOUNS[str(part)]} '{name if len(name) <= 40 else name[:37] + '...'}'")
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


def show_value(value: Any) -> str:
    """A value from the file as the person wrote it, truncated: never the whole input."""
    if isinstance(value, str):
        return quote(value)
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return quote(str(value), MAX_QUOTE)[1:-1]
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
        return f"{_within(path[:-1])}{quote(key)} is not a key this policy format knows.{suggestion}"
    if value is None and "input" in error and kind not in ("value_error", "assertion_error"):
        return f"{where} has no value"
    if kind in ("literal_error", "enum") and "legal_basis" in path[-2:]:
        return f"{where} is {show_value(value)}, which is not a legal basis of GDPR Art. 6(1): {_LEGAL_BASES}"
    if kind in ("literal_error", "enum") and path[:1] == ("languages",):
        return f"{where} is {show_value(value)}: the statement can be written in en (English) and nl (Dutch) only"
    if kind in ("literal_error", "enum") and path == ("format",):
        unquote = " (without quotes)" if value == "1" else ""
        return f"format is {show_value(value)}; this version of Trustdesk reads format 1{unquote}"
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        if " or " not in expected and "," not in expected:
            return f"{where} is {show_value(value)}; it can only be {expected}"
        return f"{where} is {show_value(value)}, which is not one of {expected}"
    if kind == "string_type":
        if isinstance(value, bool | int | float):
            return f"{where} must be text, not {show_value(value)}; put it in quotes"
        return f"{where} must be text, not {show_value(value)}"
    if kind == "string_too_short":
        return f"{where} is empty"
    if kind == "string_too_long":
        length = len(value) if isinstance(value, str) else "too many"
        return f"{where} is too long ({length} characters; at most {ctx.get('max_length')})"
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return f"{where} must be a whole number, not {show_value(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{where} must be true or false, not {show_value(value)}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{where} is {show_value(value)}, but must be {_number_words(kind, ctx)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{where} must be a mapping of keys, not {show_value(value)}"
    if kind == "list_type":
        return f"{where} must be a list, not {show_value(value)}"
    if kind == "too_short" and isinstance(value, list | dict):
        noun = NOUNS.get(str(path[-1]), "entry" if isinstance(value, dict) else "item") if path else "entry"
        return f"{where} is empty: at least one {noun} is needed"
    if kind == "too_long" and isinstance(value, list | dict):
        return f"{where} has {len(value)} items; at most {ctx.get('max_length')}"
    if kind.startswith("date_"):
        return f"{where} must be a date written as YYYY-MM-DD, not {show_value(value)}"
    if kind == "string_pattern_mismatch":
        example = "essential.service" if "data_use" in path or "data_uses" in path else "user.contact.email"
        return (
            f"{where}: {show_value(value)} is not a taxonomy key: use lower-case words joined by dots, "
            f"such as {example}"
        )
    if kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
        if "int_max_str_digits" in message or "Exceeds the limit" in message:
            message = f"{show_value(value)} holds a number far too large"
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
                    f"{show_value(value)} is neither a country code with a built-in authority ({codes}) "
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


def schema_problems(source: Source, exc: ValidationError) -> list[Problem]:
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
