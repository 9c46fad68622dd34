"""One key per month for the visitors' addresses, kept outside the store and destroyed with the month.

A key file is ``weblog-YYYY-MM.key`` (96 random bytes, mode 0600) in ``TRUSTDESK_WEBLOGS_KEY_DIR``:
the first 32 bytes key the HMAC-SHA-256 tokens, the other 64 the deterministic AES-SIV tokens
(AES-256-SIV). Destroying a month's key overwrites and removes the file and leaves a
``weblog-YYYY-MM.destroyed`` marker, so that no key is ever made again for that month: from then on
no token of the month can be decrypted or matched, in the store and in every backup of it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from trustdesk.lib import durable

KEY_BYTES = 96
HMAC_BYTES = 16  # 128 bits of HMAC-SHA-256: collisions are out of reach, and the store stays small
_SIV_CONTEXT = [b"trustdesk weblogs ip address"]
_KEY_FILE = re.compile(r"weblog-(\d{4}-\d{2})\.key")
_TOMBSTONE = re.compile(r"weblog-(\d{4}-\d{2})\.destroyed")
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class WeblogKeyError(Exception):
    """A month key cannot be read, written or destroyed; the message names the file."""


@dataclass(frozen=True)
class MonthKey:
    month: str
    secret: bytes = field(repr=False)

    @property
    def id(self) -> str:
        return f"weblog-{self.month}"

    def __repr__(self) -> str:  # never print the secret
        return f"MonthKey(month={self.month!r})"

    @cached_property
    def _siv(self) -> AESSIV:
        return AESSIV(self.secret[32:])

    def hmac_token(self, packed: bytes) -> bytes:
        """The keyed, irreversible token of a packed address (4 or 16 bytes)."""
        return hmac.digest(self.hmac_key, packed, hashlib.sha256)[:HMAC_BYTES]

    @property
    def hmac_key(self) -> bytes:
        """The 32 bytes that key the HMAC tokens (the compiled ingest computes them too)."""
        return self.secret[:32]

    def siv_token(self, packed: bytes) -> bytes:
        """The deterministic encryption of a packed address: the same address gives the same token."""
        return self._siv.encrypt(packed, _SIV_CONTEXT)

    def decrypt(self, token: bytes) -> str:
        """The address an AES-SIV token of this month holds."""
        try:
            packed = self._siv.decrypt(token, _SIV_CONTEXT)
        except InvalidTag:
            raise WeblogKeyError(f"a token does not decrypt under the key of {self.month}") from None
        return ipaddress.ip_address(packed).compressed


class KeyRing:
    """The month keys in one directory."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: dict[str, MonthKey] = {}

    def _path(self, month: str) -> Path:
        if not MONTH.fullmatch(month):
            raise WeblogKeyError(f"{month!r} is not a month like 2026-11")
        return self.folder / f"weblog-{month}.key"

    def is_destroyed(self, month: str) -> bool:
        return (self.folder / f"weblog-{month}.destroyed").exists()

    def get(self, month: str, *, create: bool = False) -> MonthKey | None:
        """The key of a month; with ``create`` a new one is written when the month has none yet.

        A destroyed month never gets a key again: None.
        """
        if month in self._cache:
            return self._cache[month]
        path = self._path(month)
        if path.exists():
            key = MonthKey(month, self._read(path))
        elif self.is_destroyed(month) or not create:
            return None
        else:
            key = MonthKey(month, self._write(path))
        self._cache[month] = key
        return key

    def _read(self, path: Path) -> bytes:
        try:
            secret = path.read_bytes()
        except OSError as exc:
            raise WeblogKeyError(f"{path}: cannot be read ({exc.strerror})") from None
        if len(secret) != KEY_BYTES:
            raise WeblogKeyError(f"{path} does not hold a {KEY_BYTES}-byte key; restore it from its backup")
        return secret

    def _write(self, path: Path) -> bytes:
        try:
            durable.create_exclusive(path, secrets.token_bytes(KEY_BYTES))  # or another process's, whole
        except OSError as exc:
            raise WeblogKeyError(f"{path}: cannot be written ({exc.strerror})") from None
        return self._read(path)

    def months(self) -> list[str]:
        """The months that have a live key, oldest first."""
        if not self.folder.is_dir():
            return []
        return sorted(m.group(1) for entry in self.folder.iterdir() if (m := _KEY_FILE.fullmatch(entry.name)))

    def destroy(self, month: str) -> bool:
        """Overwrite and remove a month's key; True if there was one."""
        path = self._path(month)
        self._cache.pop(month, None)
        return durable.shred(path, tombstone=self.folder / f"weblog-{month}.destroyed")


def destroyed_months(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(m.group(1) for entry in folder.iterdir() if (m := _TOMBSTONE.fullmatch(entry.name)))
