"""Keyed pseudonyms: HMAC-SHA-256 under a secret key that can be rotated and destroyed.

An unkeyed hash of an IPv4 address or an e-mail address is reversed by trying every
candidate, so it never counts as pseudonymisation. A pseudonym here is
``<key id>:<digest>`` (``p1:3mfq...``): the same value under the same key always gives
the same pseudonym, so records stay linkable; nobody without the key can compute one or
test a guess; destroying the key makes every pseudonym under it anonymous for good.

Keys live in ``DATA_DIR/keys/pseudonym-<id>.key`` (32 random bytes, mode 0600). The key with
the highest number is the current one; ``rotate_key`` writes the next; ``destroy_key``
overwrites and removes one and leaves a ``.destroyed`` marker so that its number is never
used again. Alternatively ``TRUSTDESK_PSEUDONYM_KEY_FILE`` names a key kept elsewhere
(64 hexadecimal characters or 32 raw bytes); it is then the only key, and it is rotated
or destroyed where it is kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from trustdesk.lib import durable
from trustdesk.lib.env import env_file

KEY_BYTES = 32
ENV_KEY_FILE = "TRUSTDESK_PSEUDONYM_KEY_FILE"

#: Canonical forms, so that one value always gives one pseudonym.
KINDS = ("email", "ip", "ip_network", "domain", "text")

_KEY_FILE = re.compile(r"pseudonym-(p(\d{1,9}))\.key")
_TOMBSTONE = re.compile(r"pseudonym-(p(\d{1,9}))\.destroyed")
#: A pseudonym: key id, colon, lower-case base32 digest (possibly shortened to fit a field).
PSEUDONYM = re.compile(r"([a-z][a-z0-9]{0,15}):([a-z2-7]{16,52})")


class PseudonymKeyError(Exception):
    """A pseudonym key cannot be read, written, rotated or destroyed; the message says why."""


@dataclass(frozen=True)
class Key:
    id: str
    secret: bytes

    def __repr__(self) -> str:  # never print the secret
        return f"Key(id={self.id!r})"


def keys_dir() -> Path:
    return Path(settings.DATA_DIR) / "keys"


def _external() -> Path | None:
    try:
        return env_file(ENV_KEY_FILE)
    except ImproperlyConfigured as exc:
        raise PseudonymKeyError(str(exc)) from None


def _read_external(path: Path) -> Key:
    raw = path.read_bytes()
    text = raw.strip()
    if re.fullmatch(rb"[0-9a-fA-F]{64,}", text):
        secret = bytes.fromhex(text.decode("ascii"))
    elif len(raw) >= KEY_BYTES:
        secret = raw
    else:
        raise PseudonymKeyError(f"{ENV_KEY_FILE}={str(path)!r} holds fewer than {KEY_BYTES} bytes of key")
    match = _KEY_FILE.fullmatch(path.name)
    if match:
        key_id = match.group(1)
    else:
        # A short fingerprint names the key, so that pseudonyms under a replaced key stay recognisable.
        key_id = "x" + hashlib.sha256(b"trustdesk pseudonym key id\0" + secret).hexdigest()[:8]
    return Key(key_id, secret)


def _numbers() -> tuple[dict[int, Path], set[int]]:
    """The key files by number, and the numbers of destroyed keys."""
    live: dict[int, Path] = {}
    destroyed: set[int] = set()
    folder = keys_dir()
    if not folder.is_dir():
        return live, destroyed
    for entry in folder.iterdir():
        if match := _KEY_FILE.fullmatch(entry.name):
            live[int(match.group(2))] = entry
        elif match := _TOMBSTONE.fullmatch(entry.name):
            destroyed.add(int(match.group(2)))
    return live, destroyed


def _read(path: Path) -> bytes:
    secret = path.read_bytes()
    if len(secret) != KEY_BYTES:
        raise PseudonymKeyError(f"{path} does not hold a {KEY_BYTES}-byte key; restore it from a backup")
    return secret


def _write_new(number: int) -> Key:
    path = keys_dir() / f"pseudonym-p{number}.key"
    durable.create_exclusive(path, secrets.token_bytes(KEY_BYTES))  # or another process's, whole
    return Key(f"p{number}", _read(path))


def current_key() -> Key:
    """The key new pseudonyms are made with; the first one is created on first use."""
    external = _external()
    if external is not None:
        return _read_external(external)
    live, destroyed = _numbers()
    highest = max([*live, *destroyed], default=0)
    if highest in live:
        return Key(f"p{highest}", _read(live[highest]))
    # No key yet, or the current one was destroyed: the next number becomes current.
    return _write_new(highest + 1)


def key_by_id(key_id: str) -> Key:
    """The key with this id, to check pseudonyms made under it; PseudonymKeyError once destroyed."""
    external = _external()
    if external is not None:
        key = _read_external(external)
        if key.id == key_id:
            return key
        raise PseudonymKeyError(f"key {key_id!r} is not the key of {ENV_KEY_FILE}")
    match = re.fullmatch(r"p(\d{1,9})", key_id)
    live, _ = _numbers()
    if match is None or int(match.group(1)) not in live:
        raise PseudonymKeyError(f"there is no pseudonym key {key_id!r}: it never existed or was destroyed")
    return Key(key_id, _read(live[int(match.group(1))]))


def key_ids() -> list[str]:
    """The ids of the keys that still exist, oldest first."""
    external = _external()
    if external is not None:
        return [_read_external(external).id]
    live, _ = _numbers()
    return [f"p{n}" for n in sorted(live)]


def rotate_key() -> str:
    """Start a new key and return its id; pseudonyms made earlier keep their key's id."""
    if _external() is not None:
        raise PseudonymKeyError(
            f"the pseudonym key comes from {ENV_KEY_FILE}; replace that file to rotate it"
        )
    live, destroyed = _numbers()
    return _write_new(max([*live, *destroyed], default=0) + 1).id


def destroy_key(key_id: str) -> None:
    """Overwrite and remove a key: its pseudonyms can never again be computed or checked."""
    if _external() is not None:
        raise PseudonymKeyError(f"the pseudonym key comes from {ENV_KEY_FILE}; destroy it where it is kept")
    match = re.fullmatch(r"p(\d{1,9})", key_id)
    if match is None:
        raise PseudonymKeyError(f"{key_id!r} is not a pseudonym key id like 'p1'")
    folder = keys_dir()
    path = folder / f"pseudonym-{key_id}.key"
    if not path.exists():
        if (folder / f"pseudonym-{key_id}.destroyed").exists():
            return
        raise PseudonymKeyError(f"there is no pseudonym key {key_id!r}")
    durable.shred(path, tombstone=folder / f"pseudonym-{key_id}.destroyed")


def canonical(value: str, kind: str) -> str:
    """The form of a value that is pseudonymised: one value, one pseudonym."""
    if kind not in KINDS:
        raise ValueError(f"unknown pseudonym kind {kind!r}: use one of {', '.join(KINDS)}")
    text = unicodedata.normalize("NFC", value).strip()
    if kind == "email":
        return text.lower()
    if kind == "ip":
        address = ipaddress.ip_address(text.strip("[]"))
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return address.compressed
    if kind == "ip_network":
        network = ipaddress.ip_network(text, strict=False)
        if isinstance(network, ipaddress.IPv6Network):
            mapped = network.network_address.ipv4_mapped
            if mapped is not None and network.prefixlen >= 96:
                return ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}", strict=False).compressed
        return network.compressed
    if kind == "domain":
        name = text.lower().rstrip(".")
        try:
            return name.encode("idna").decode("ascii")
        except UnicodeError:
            return name
    return text


def guess_kind(value: str, category: str = "") -> str:
    """The kind for a value of a data category: e-mail by category, IP addresses and networks by form."""
    if category == "user.contact.email" or category.startswith("user.contact.email."):
        return "email"
    text = value.strip()
    try:
        canonical(text, "ip")
        return "ip"
    except ValueError:
        pass
    if "/" in text:
        try:
            canonical(text, "ip_network")
            return "ip_network"
        except ValueError:
            pass
    return "text"


def pseudonymise(value: str, *, kind: str, key: Key | None = None) -> str:
    """``<key id>:<base32 HMAC-SHA-256>`` of the canonical value (55 characters under key p1)."""
    use = key or current_key()
    message = f"{kind}\0{canonical(value, kind)}".encode()
    digest = hmac.new(use.secret, message, hashlib.sha256).digest()
    return f"{use.id}:{base64.b32encode(digest).decode('ascii').rstrip('=').lower()}"


def fit(pseudonym: str, max_length: int | None) -> str | None:
    """The pseudonym shortened to a field's length (at least 16 digest characters), or None if it cannot fit."""
    if max_length is None or len(pseudonym) <= max_length:
        return pseudonym
    key_id = pseudonym.split(":", 1)[0]
    if max_length < len(key_id) + 1 + 16:
        return None
    return pseudonym[:max_length]


def is_pseudonym(value: object) -> bool:
    return isinstance(value, str) and PSEUDONYM.fullmatch(value) is not None


def key_id_of(pseudonym: str) -> str | None:
    match = PSEUDONYM.fullmatch(pseudonym)
    return match.group(1) if match else None
