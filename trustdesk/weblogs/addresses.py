"""Visitors' addresses: their canonical form and the value the store keeps of them.

The canonical form is that of ``trustdesk.lib.pseudonyms.canonical(..., "ip")``: an IPv4-mapped IPv6
address becomes the IPv4 address, IPv6 is zero-compressed and lower case, so that one address
always gives one token and no look-up misses.
"""

from __future__ import annotations

import ipaddress
import socket

from trustdesk.lib.pseudonyms import canonical
from trustdesk.policy.schema import IpStorage
from trustdesk.weblogs.keys import KeyRing, MonthKey

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


_MAPPED = b"\0" * 10 + b"\xff\xff"


def pack(text: str) -> bytes | None:
    """The canonical address of a log's text as 4 or 16 bytes (IPv4-mapped IPv6 as IPv4), or None.

    The packed form is what tokens are computed from: it is canonical by construction, so every
    written form of one address (``::FFFF:192.0.2.1``, ``2001:DB8:0::1``) gives one token.
    """
    if "\0" in text:  # a NUL byte in a log's address field: no address (inet_pton refuses to look)
        return None
    try:
        return socket.inet_pton(socket.AF_INET, text)  # strict dotted quad, as ipaddress reads it
    except OSError:
        pass
    try:
        packed = socket.inet_pton(socket.AF_INET6, text)
    except OSError:
        address = parse_address(text)
        return address.packed if address is not None else None
    return packed[12:] if packed[:12] == _MAPPED else packed


def parse_address(text: str) -> Address | None:
    """The canonical address of a text, or None when it is not an IP address."""
    try:
        return ipaddress.ip_address(canonical(text, "ip"))
    except ValueError:
        return None


def truncated(address: Address) -> str:
    """The /24 of an IPv4 address, the /48 of an IPv6 address."""
    prefix = 24 if address.version == 4 else 48
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False).compressed


def stored_value(address: Address | bytes, storage: IpStorage, key: MonthKey | None) -> bytes:
    """What the store keeps for an address (or its packed form) under the policy's ``ip_storage``."""
    packed = address if isinstance(address, bytes) else address.packed
    if storage in (IpStorage.HMAC, IpStorage.AES_SIV) and key is None:
        raise ValueError(f"ip_storage {storage.value} needs the month's key")
    if storage is IpStorage.HMAC and key is not None:
        return key.hmac_token(packed)
    if storage is IpStorage.AES_SIV and key is not None:
        return key.siv_token(packed)
    parsed = ipaddress.ip_address(packed)
    if storage is IpStorage.TRUNCATE:
        return truncated(parsed).encode("ascii")
    return parsed.compressed.encode("ascii")


def candidates(address: Address, month: str, ring: KeyRing, *, networks: bool) -> list[tuple[str, bytes]]:
    """Every (ip_storage, value) the address may have been stored as in a month.

    Files written under an earlier policy may hold another kind, so a look-up tries them all.
    ``networks`` adds the truncated network, which other visitors share: right for an
    investigation or an erasure, wrong for an access request. Without the month's key
    (destroyed) its tokens can no longer be computed.
    """
    values: list[tuple[str, bytes]] = [(IpStorage.RAW.value, stored_value(address, IpStorage.RAW, None))]
    if networks:
        values.append((IpStorage.TRUNCATE.value, stored_value(address, IpStorage.TRUNCATE, None)))
    key = ring.get(month)
    if key is not None:
        values.append((IpStorage.HMAC.value, key.hmac_token(address.packed)))
        values.append((IpStorage.AES_SIV.value, key.siv_token(address.packed)))
    return values
