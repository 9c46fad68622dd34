"""Loading a policy file: YAML with line numbers, the schema, and the taxonomy references.

Every problem names the file, the line and the key, in words a privacy officer
understands; all problems of a file are reported at once, not only the first.

The YAML is read event by event (never through PyYAML's recursive composer), so
that deep nesting, anchors and aliases, merge keys, tags, duplicate keys and
huge files are refused with a line number before they cost time or memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from trustdesk.policy.loader.base import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_NODES,
    PathT,
    PolicyError,
    Problem,
    Source,
    dotted,
)
from trustdesk.policy.loader.messages import describe, schema_problems
from trustdesk.policy.loader.references import taxonomy_problems
from trustdesk.policy.loader.yamlread import decode, parse_yaml, read_text
from trustdesk.policy.schema import Authority, Policy

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
        raise PolicyError(schema_problems(source, exc)) from None
    problems = taxonomy_problems(source, policy)
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
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "Authority",
    "LoadedPolicy",
    "PathT",
    "PolicyError",
    "Problem",
    "Source",
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
