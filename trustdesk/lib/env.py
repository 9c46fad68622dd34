"""Settings from the environment, failing loudly and clearly on a bad value.

Every helper names the variable and what was wrong with it; none of them ever
echoes a secret's value back.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip()


_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)+")


def env_url_prefix(name: str) -> str:
    """A path the site is served under (``/privacy-desk``), without a trailing slash; ``""`` for the root."""
    raw = (os.environ.get(name) or "").strip().rstrip("/")
    if raw and (not _PREFIX.fullmatch(raw) or any(part in (".", "..") for part in raw.split("/"))):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a path such as /privacy-desk: segments of letters, digits, '.', '_', '~' "
            "and '-', each after a '/'."
        )
    return raw


def env_origin(name: str, default: str) -> str:
    """A site's origin (``https://privacy.example.com``, a port allowed), without a trailing slash."""
    raw = (os.environ.get(name) or "").strip() or default
    parts = urlsplit(raw.rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an address such as https://privacy.example.com.")
    if parts.path or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"{name}={raw!r} has more than the scheme and host: give https://{parts.netloc} alone, and a path "
            "the site is served under in TRUSTDESK_URL_PREFIX."
        )
    return f"{parts.scheme}://{parts.netloc}"


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a yes/no value: use one of 1, true, yes, on, 0, false, no, off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}.")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={value} is above the maximum of {maximum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_json_object(name: str) -> dict[str, Any]:
    """A JSON object (empty when unset); the error never repeats the value, which may hold a secret."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno})."
        ) from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(
            f'{name} must be a JSON object, such as {{"endpoint_url": "https://..."}}.'
        )
    return value


def env_path(name: str, default: str) -> Path:
    raw = os.environ.get(name)
    value = default if raw is None or raw.strip() == "" else raw.strip()
    path = Path(value).expanduser()
    if path.exists() and not path.is_dir():
        raise ImproperlyConfigured(f"{name}={value!r} exists but is not a directory.")
    return path.resolve()


def env_file(name: str) -> Path | None:
    """An optional path to an existing, readable file."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    path = Path(raw.strip()).expanduser()
    if not path.is_file():
        raise ImproperlyConfigured(f"{name}={raw.strip()!r}: no such file.")
    if not os.access(path, os.R_OK):
        raise ImproperlyConfigured(f"{name}={raw.strip()!r}: the file is not readable.")
    return path.resolve()


MIN_SECRET_KEY_LENGTH = 50


def secret_key(data_dir: Path) -> tuple[str, str]:
    """Return (key, where it came from).

    Order: TRUSTDESK_SECRET_KEY, the file named by TRUSTDESK_SECRET_KEY_FILE, and
    otherwise ``secret_key`` in the data directory, generated (mode 0600) on first use.
    """
    value = os.environ.get("TRUSTDESK_SECRET_KEY")
    if value is not None:
        if len(value.strip()) < MIN_SECRET_KEY_LENGTH:
            raise ImproperlyConfigured(
                f"TRUSTDESK_SECRET_KEY is too short: use at least {MIN_SECRET_KEY_LENGTH} random "
                "characters (for example the output of `python -c 'import secrets; "
                "print(secrets.token_urlsafe(64))'`)."
            )
        return value.strip(), "environment"
    key_file = env_file("TRUSTDESK_SECRET_KEY_FILE")
    if key_file is not None:
        value = key_file.read_text(encoding="utf-8").strip()
        if len(value) < MIN_SECRET_KEY_LENGTH:
            raise ImproperlyConfigured(
                f"TRUSTDESK_SECRET_KEY_FILE={str(key_file)!r} holds a key shorter than "
                f"{MIN_SECRET_KEY_LENGTH} characters."
            )
        return value, "file"
    generated = data_dir / "secret_key"
    if not generated.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(generated, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(64))
    value = generated.read_text(encoding="utf-8").strip()
    if len(value) < MIN_SECRET_KEY_LENGTH:
        raise ImproperlyConfigured(
            f"{generated} holds a key shorter than {MIN_SECRET_KEY_LENGTH} characters: delete it "
            "to have a new one generated."
        )
    return value, "generated"


def secret_key_fallbacks() -> list[str]:
    """Earlier secret keys, one per line of the file named by TRUSTDESK_SECRET_KEY_FALLBACKS_FILE (empty
    lines and lines starting with # are skipped): Django still accepts what they signed (sessions, links),
    and sealed two-factor secrets still open, while ``trustdesk twofactor reseal`` moves them to the new key."""
    path = env_file("TRUSTDESK_SECRET_KEY_FALLBACKS_FILE")
    if path is None:
        return []
    keys = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        key = line.strip()
        if not key or key.startswith("#"):
            continue
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ImproperlyConfigured(
                f"TRUSTDESK_SECRET_KEY_FALLBACKS_FILE={str(path)!r}, line {number}: a key shorter than "
                f"{MIN_SECRET_KEY_LENGTH} characters."
            )
        keys.append(key)
    return keys


_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def env_channels(name: str) -> dict[str, str]:
    """``key=mailto:ADDRESS`` or ``key=https://URL`` pairs, comma-separated, by key.

    Plain ``http://`` is accepted only for a receiver on this machine (127.0.0.1, localhost, [::1]).
    """
    raw = os.environ.get(name, "")
    channels: dict[str, str] = {}
    for number, item in enumerate((part.strip() for part in raw.split(",")), start=1):
        if not item:
            continue
        key, sep, target = item.partition("=")
        key, target = key.strip(), target.strip()
        if not sep or not key or not target:
            raise ImproperlyConfigured(f"{name}: item {number} is not KEY=mailto:ADDRESS or KEY=https://URL")
        if key in channels:
            raise ImproperlyConfigured(f"{name}: recipient '{key[:63]}' is given twice")
        if target.startswith("mailto:"):
            address = target.removeprefix("mailto:")
            if address.count("@") != 1 or " " in address or "." not in address.split("@")[1]:
                raise ImproperlyConfigured(
                    f"{name}: the address for recipient '{key[:63]}' is not an e-mail address"
                )
        elif target.startswith("https://"):
            pass
        elif target.startswith("http://"):
            host = target.removeprefix("http://").split("/", 1)[0].rsplit(":", 1)[0]
            if host not in _LOOPBACK:
                raise ImproperlyConfigured(
                    f"{name}: the webhook of recipient '{key[:63]}' must use https:// "
                    "(plain http:// only to this machine)"
                )
        else:
            raise ImproperlyConfigured(
                f"{name}: the channel of recipient '{key[:63]}' must start with mailto: or https://"
            )
        channels[key] = target
    return channels
