"""The hash recipe of the journal, in one place.

docs/journal.md describes the same recipe for auditors who re-implement it; a test pins it
with a fixed example, so a change here cannot go unnoticed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

#: The previous hash of the first entry.
GENESIS = "0" * 64

_HEX64 = re.compile(r"[0-9a-f]{64}")


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, non-ASCII characters as themselves, UTF-8.

    The same text as ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``.
    """
    return _ENCODER.encode(value).encode("utf-8")


def format_at(at: dt.datetime) -> str:
    """ISO-8601 in UTC with microseconds: 2025-03-05T14:07:09.120000Z."""
    if at.tzinfo is None:
        raise ValueError("journal times are aware datetimes")
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def payload_digest(salt_hex: str, payload: Any) -> str:
    """SHA-256 over the 16 salt bytes followed by the payload's canonical JSON, as hex."""
    return hashlib.sha256(bytes.fromhex(salt_hex) + canonical_json(payload)).hexdigest()


def entry_hash(
    seq: int,
    at: dt.datetime | str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    payload_digest: str,
    prev_hash: str,
) -> str:
    """SHA-256 over the canonical JSON array of the entry's core, as hex."""
    when = at if isinstance(at, str) else format_at(at)
    core = [seq, when, actor, action, object_type, object_id, payload_digest, prev_hash]
    return hashlib.sha256(canonical_json(core)).hexdigest()


def is_hash(value: str) -> bool:
    return bool(_HEX64.fullmatch(value))
