"""The compiled parser and address dictionary (``trustdesk/weblogs/_fastlog.c``).

The parser is checked line by line against a reference written in Python from the patterns of
``formats.py`` (with RE2's classes spelled out: ``\\S`` is anything but tab, newline, form feed,
carriage return and space), on fixed hostile lines and on lines Hypothesis makes and breaks.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import hmac
import re
import socket

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustdesk.weblogs import formats
from trustdesk.weblogs.addresses import pack
from trustdesk.weblogs.fastlog import (
    FORMAT_CODES,
    Addresses,
    Kind,
    Parser,
    keep_bits,
    newlines,
    parse,
)
from trustdesk.weblogs.formats import FORMATS

ALL_FIELDS = {"domain", "path", "user_agent", "ip_address", "referrer", "status", "bytes"}
MAX_LINE = 1 << 20


# --- the reference -------------------------------------------------------------------------------


def _re2(pattern: str) -> re.Pattern[str]:
    """A pattern of formats.py as RE2 reads it, for Python's re."""
    pattern = pattern.replace(r"\S", r"[^\t\n\f\r ]").replace(r"\d", "[0-9]").replace("$", r"\Z")
    return re.compile(pattern)


PATTERNS = {name: (_re2(pattern), names) for name, (pattern, names) in FORMATS.items()}
REQUEST = _re2(formats.REQUEST)
TIME = re.compile(
    r"([0-9]{1,2})/([A-Za-z]{3})/([0-9]{4}):([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}) "
    r"([+-])([0-9]{2})(?::?([0-9]{2}))?\Z"  # +HHMM, +HH:MM or +HH
)
MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
SITE = re.compile(r"[a-z0-9_][a-z0-9._-]{0,252}|-")


def reference_time(text: str) -> int | None:
    """The documented time grammar: seconds since 1970 (UTC), or None."""
    found = TIME.fullmatch(text)
    if not found:
        return None
    day, month, year, hour, minute, second, sign, zone_h, zone_m = found.groups()
    if month.lower() not in MONTHS:
        return None
    if int(hour) > 23 or int(minute) > 59 or int(second) > 59 or int(zone_h) > 23 or int(zone_m or 0) > 59:
        return None
    try:
        moment = dt.datetime(int(year), MONTHS[month.lower()], int(day), int(hour), int(minute), int(second))  # noqa: DTZ001
    except ValueError:
        return None
    offset = (int(zone_h) * 3600 + int(zone_m or 0) * 60) * (-1 if sign == "-" else 1)
    return calendar.timegm(moment.timetuple()) - offset


def reference_site(vhost: str) -> str | None:
    name = re.sub(
        r":[0-9]+\Z",
        "",
        vhost.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")),
    )
    name = name.rstrip(".")
    return name if SITE.fullmatch(name) else None


def reference(fmt: str, line: str, cutoff: int, site: str | None) -> tuple[int, dict[str, object] | None]:
    """What the parser must make of one line (with its line ending): a Kind and the stored row."""
    pattern, names = PATTERNS[fmt]
    found = pattern.match(line)
    if not found:
        return (Kind.BLANK if re.fullmatch(r"[\r\n\t ]*", line) else Kind.FORMAT), None
    groups = dict(zip(names, found.groups(), strict=True))
    ts = reference_time(groups["ts"])
    if ts is None:
        return Kind.TIME, None
    if site is None:
        row_site = reference_site(groups["vhost"])
        if row_site is None:
            return Kind.SITE, None
    else:
        row_site = site
    if ts <= cutoff:
        return Kind.EXPIRED, None
    request = REQUEST.match(groups["request"])
    size = groups["bytes"]
    row = {
        "site": row_site,
        "ts": ts,
        "status": int(groups["status"]),
        "bytes": None if size == "-" or int(size) >= 2**63 else int(size),
        "method": request.group(1) if request else None,
        "path": request.group(2) if request else groups["request"],
        "protocol": request.group(3) if request else None,
        "referrer": None if groups.get("referrer") in (None, "-") else groups["referrer"],
        "user_agent": None if groups.get("user_agent") in (None, "-") else groups["user_agent"],
        "ip": groups["ip"],
    }
    return Kind.STORED, row


def parsed_rows(fmt: str, lines: list[str], cutoff: int = 0, site: str | None = "example.com"):
    parser = Parser(FORMAT_CODES[fmt], site, keep_bits(ALL_FIELDS))
    block = "".join(lines).encode()
    parsed = parse(parser, block, cutoff, MAX_LINE)
    assert parsed is not None
    rows = []
    for row in range(parsed.rows):
        rows.append(
            {
                "site": parsed.sites[parsed.site[row]],
                "ts": int(parsed.ts[row]),
                "status": int(parsed.status[row]),
                "bytes": None if parsed.size[row] < 0 else int(parsed.size[row]),
                **{name: parsed.strings[name][row].as_py() for name in parsed.strings},
            }
        )
    return parsed, rows


def check_against_reference(fmt: str, lines: list[str], cutoff: int = 0, site: str | None = "example.com"):
    parsed, rows = parsed_rows(fmt, lines, cutoff, site)
    assert parsed.lines == len(lines)
    expected = [reference(fmt, line, cutoff, site) for line in lines]
    assert [Kind(k) for k in parsed.kinds] == [kind for kind, _row in expected]
    stored = [row for kind, row in expected if kind == Kind.STORED and row is not None]
    assert [{k: v for k, v in row.items() if k != "ip"} for row in stored] == rows
    # every rejected line is listed with where it is in the block
    block = "".join(lines).encode()
    rejected = [
        n for n, (kind, _row) in enumerate(expected) if kind not in (Kind.STORED, Kind.BLANK, Kind.EXPIRED)
    ]
    assert [int(r[0]) for r in parsed.rejects] == rejected
    for number, start, end in parsed.rejects.tolist():
        assert block[start:end].decode() == lines[number]
    # the rows' lines and addresses
    assert [int(n) for n in parsed.line] == [
        n for n, (kind, _row) in enumerate(expected) if kind == Kind.STORED
    ]
    for row, (_kind, want) in enumerate(e for e in expected if e[0] == Kind.STORED):
        assert want is not None
        packed = pack(str(want["ip"]))
        family = int(parsed.family[row])
        if family:
            assert packed is not None
            assert parsed.ip[row, : len(packed)].tobytes() == packed
            assert family == (4 if len(packed) == 4 else 6)
        else:  # left to Python: its text is listed
            [(_fallback_row, start, end)] = [f for f in parsed.fallback.tolist() if f[0] == row]
            assert block[start:end].decode() == want["ip"]


def combined(
    ip="192.0.2.7",
    when="30/Nov/2026:10:00:00 +0000",
    request="GET /index.html HTTP/1.1",
    status="200",
    size="512",
    referrer="https://example.org/",
    agent="Mozilla/5.0 (X11; Linux x86_64)",
    tail="",
    end="\n",
):
    return f'{ip} - - [{when}] "{request}" {status} {size} "{referrer}" "{agent}"{tail}{end}'


# --- fixed lines ---------------------------------------------------------------------------------

HOSTILE = [
    combined(),
    combined(request=r"GET /q?x=\"quoted\"&y=[1] HTTP/1.1"),
    combined(agent=r"Evil \"agent\" [brackets] \\ backslash"),
    combined(agent="ends with a backslash \\"),  # the closing quote is escaped: no line
    combined(request="GET /a b HTTP/1.1"),  # a space in the target: the whole request is the path
    combined(request="GET\t/tab HTTP/1.1"),
    combined(request="get /lower HTTP/2.0"),
    combined(request="GET /x HTTP/"),
    combined(request=""),
    combined(request="-"),
    combined(request="\x16\x03\x01"),  # TLS spoken to a plain port
    combined(ip="2001:DB8::1"),
    combined(ip="::ffff:192.0.2.10"),
    combined(ip="[2001:db8::1]"),  # for Python's reading
    combined(ip="fe80::1%eth0"),
    combined(ip="192.0.2.010"),
    combined(ip="1.2.3"),
    combined(ip="host.example.net"),
    combined(ip=""),
    combined(ip="a" * 100),
    combined(ip="192.0.2.7\x00x"),  # a NUL byte: no address, for C or for Python
    combined(ip="2001:db8::1\x00"),
    combined(ip="255.255.255.256"),
    combined(ip="1.2.3.4.5"),
    combined(ip="01.2.3.4"),
    combined(ip="0.0.0.0"),  # noqa: S104 (an address in a log line)
    combined(when="31/Nov/2026:10:00:00 +0000"),
    combined(when="29/Feb/2024:10:00:00 +0000"),
    combined(when="29/Feb/2026:10:00:00 +0000"),
    combined(when="1/nov/2026:1:2:3 -0930"),
    combined(when="01/Nov/2026:10:00:00 +01:00"),
    combined(when="01/Nov/2026:10:00:00 +01"),
    combined(when="01/Nov/2026:10:00:00 +010"),
    combined(when="01/Nov/2026:24:00:00 +0000"),
    combined(when="01/Nov/2026:23:59:60 +0000"),
    combined(when="01/November/2026:10:00:00 +0000"),
    combined(when="01/Nov/2026:10:00:00"),
    combined(when="01/Nov/2026:10:00:00 +2400"),
    combined(when="01/Nov/0000:10:00:00 +0000"),
    combined(when="01/Jan/0001:00:00:00 +0100"),  # before year 1 in UTC
    combined(when="31/Dec/9999:23:59:59 -0100"),  # after 9999 in UTC
    combined(size="-"),
    combined(size="99999999999999999999999"),
    combined(size="0000000000000000000000042"),
    combined(status="2000"),
    combined(status="20"),
    combined(referrer="-", agent="-"),
    combined(referrer="", agent=""),
    combined(tail=' "203.0.113.50, 198.51.100.2"'),
    combined(tail=" trailing\tfields"),
    combined(tail="x"),
    combined(end="\r\n"),
    combined(end="\r\r\n"),
    combined(agent="caf\u00e9 \u2603 \U0001f600"),
    combined(request="GET /caf\u00e9 HTTP/1.1"),
    combined(agent="vertical\x0btab and \x00 nul"),
    combined()[:60] + "\n",
    combined()[:-10] + "\n",
    "\n",
    "   \t \r\n",
    "garbage that is no log line\n",
    '" " " "\n',
    "[]\n",
    combined(ip="192.0.2.7 extra"),
    combined(when="30/Nov/2026:10:00:00 +0000] [x"),
]


@pytest.mark.parametrize("fmt", ["combined", "common"])
def test_it_reads_hostile_lines_as_the_patterns_do(fmt):
    check_against_reference(fmt, HOSTILE)


def test_it_reads_the_virtual_host_of_each_line():
    lines = [
        "Shop.Example.COM:443 " + combined(),
        "shop.example.com. " + combined(),
        "- " + combined(),
        ":80 " + combined(),
        "bad_host!:80 " + combined(),
        "_dmarc.example:8080 " + combined(),
        "a" * 253 + " " + combined(),
        "a" * 254 + " " + combined(),
        "x.-y " + combined(),
        "-x " + combined(),
        "K.example " + combined(),  # the Kelvin sign: lowered only in ASCII, so no domain name
        "example.com:80." + " " + combined(),
        combined(),  # no virtual host at all
    ]
    check_against_reference("vhost_combined", lines, site=None)


def test_a_given_site_names_every_line():
    parsed, rows = parsed_rows(
        "combined", [combined(), combined(request="GET /2 HTTP/1.1")], site="given.example"
    )
    assert {row["site"] for row in rows} == {"given.example"}
    assert parsed.sites == ["given.example"]


def test_lines_at_or_before_the_cutoff_are_expired():
    moment = calendar.timegm(dt.datetime(2026, 11, 30, 10, 0, 0).timetuple())  # noqa: DTZ001
    lines = [
        combined(when="30/Nov/2026:09:59:59 +0000"),
        combined(),
        combined(when="30/Nov/2026:10:00:01 +0000"),
    ]
    check_against_reference("combined", lines, cutoff=moment)
    parsed, _rows = parsed_rows("combined", lines, cutoff=moment)
    assert [Kind(k) for k in parsed.kinds] == [Kind.EXPIRED, Kind.EXPIRED, Kind.STORED]


def test_it_gives_the_day_and_month_in_utc():
    parsed, _rows = parsed_rows(
        "combined",
        [combined(when="30/Nov/2026:23:30:00 -0200"), combined(when="01/Jan/1970:00:59:59 +0100")],
        cutoff=-(10**12),
    )
    assert [int(m) for m in parsed.month] == [202612, 196912]
    assert [int(d) for d in parsed.mday] == [1, 31]
    assert [dt.date(1970, 1, 1) + dt.timedelta(days=int(d)) for d in parsed.day] == [
        dt.date(2026, 12, 1),
        dt.date(1969, 12, 31),
    ]


def test_only_the_kept_columns_are_read():
    parser = Parser(FORMAT_CODES["combined"], "example.com", keep_bits({"status", "bytes"}))
    parsed = parse(parser, combined().encode(), 0, MAX_LINE)
    assert parsed is not None and parsed.rows == 1
    assert all(parsed.strings[name].null_count == 1 for name in parsed.strings)
    assert len(parsed.strings["user_agent"].dictionary) == 0


def test_each_column_comes_dictionary_encoded_and_sorted():
    lines = [combined(request=f"GET /{name} HTTP/1.1") for name in ["b", "a", "c", "a", "b"]]
    _parsed, rows = parsed_rows("combined", lines)
    parser = Parser(FORMAT_CODES["combined"], "example.com", keep_bits(ALL_FIELDS))
    parsed = parse(parser, "".join(lines).encode(), 0, MAX_LINE)
    assert parsed is not None
    path = parsed.strings["path"]
    assert path.dictionary.to_pylist() == ["/a", "/b", "/c"]
    assert path.to_pylist() == ["/b", "/a", "/c", "/a", "/b"] == [row["path"] for row in rows]


def test_a_block_that_is_not_utf8_is_refused_whole():
    parser = Parser(FORMAT_CODES["combined"], "example.com", keep_bits(ALL_FIELDS))
    for bad in (
        b"\xff",
        b"\xc0\x80",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
        b"\xe2\x82",
        "\u00e9".encode()[:1],
    ):
        assert parse(parser, combined().encode() + bad + b"\n", 0, MAX_LINE) is None
    assert parse(parser, combined(agent="\U0001f600").encode(), 0, MAX_LINE) is not None


def test_a_line_longer_than_the_limit_is_rejected_as_too_long():
    parser = Parser(FORMAT_CODES["combined"], "example.com", keep_bits(ALL_FIELDS))
    long_line = combined(request="GET /" + "a" * 5000 + " HTTP/1.1")
    parsed = parse(parser, (combined() + long_line + combined()).encode(), 0, 4096)
    assert parsed is not None
    assert [Kind(k) for k in parsed.kinds] == [Kind.STORED, Kind.LONG, Kind.STORED]
    parsed = parse(parser, long_line.encode(), 0, len(long_line))  # exactly the limit: read
    assert parsed is not None and parsed.rows == 1


def test_the_last_line_may_lack_its_newline_and_an_empty_block_has_none():
    _parsed, rows = parsed_rows("combined", [combined(), combined(end="")])
    assert len(rows) == 2
    parser = Parser(FORMAT_CODES["combined"], "example.com", keep_bits(ALL_FIELDS))
    parsed = parse(parser, b"", 0, MAX_LINE)
    assert parsed is not None and (parsed.lines, parsed.rows) == (0, 0)


def test_a_megabyte_path_is_read_whole():
    path = "/" + "a" * 1_000_000
    _parsed, rows = parsed_rows("combined", [combined(request=f"GET {path} HTTP/1.1")])
    assert rows[0]["path"] == path


def test_a_wrong_line_count_is_refused():
    parser = Parser(FORMAT_CODES["combined"], "example.com", keep_bits(ALL_FIELDS))
    block = (combined() + combined()).encode()
    for lines in (1, 3):
        with pytest.raises(ValueError, match="another number of lines"):
            parse(parser, block, 0, MAX_LINE, lines)
    with pytest.raises(ValueError, match="cannot hold that many lines"):
        parse(parser, b"x", 0, MAX_LINE, 2)
    parsed = parse(parser, block, 0, MAX_LINE, 2)
    assert parsed is not None and parsed.rows == 2


def test_a_parser_refuses_bad_arguments():
    with pytest.raises(ValueError, match="fmt is 0"):
        Parser(7, "example.com", 0)
    with pytest.raises(ValueError, match="needs a site"):
        Parser(FORMAT_CODES["combined"], None, 0)


# --- generated lines -----------------------------------------------------------------------------

PIECES = st.sampled_from(
    [
        '"',
        "\\",
        '\\"',
        "[",
        "]",
        " ",
        "\t",
        "\r",
        "\n",
        "-",
        ":",
        "/",
        "\x0b",
        "\x0c",
        "\u00e9",
        "%",
        "0",
        "9",
    ]
)
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


@st.composite
def mangled(draw, fmt: str) -> str:
    """A line of the format, then broken a little: characters inserted, removed or swapped."""
    fields = {
        "ip": draw(st.sampled_from(["192.0.2.7", "2001:db8::1", "::ffff:10.0.0.1", "1.2.3", "[::1]", "x"])),
        "when": draw(
            st.sampled_from(
                ["30/Nov/2026:10:00:00 +0000", "1/jan/2025:0:0:0 -0130", "31/Apr/2026:10:00:00 +0000", "x"]
            )
        ),
        "request": draw(st.sampled_from(["GET / HTTP/1.1", "POST /a?b=c HTTP/2", "-", ""])) + draw(TEXT),
        "status": draw(st.sampled_from(["200", "404", "99", "1234"])),
        "size": draw(st.sampled_from(["0", "-", "123456", "9" * 25])),
        "referrer": draw(TEXT),
        "agent": draw(TEXT),
        "tail": draw(st.sampled_from(["", ' "x"', " y", "z"])),
        "end": draw(st.sampled_from(["\n", "\r\n", "\n"])),
    }
    line = combined(**fields)
    if fmt == "common":
        line = line[: line.index(f' "{fields["referrer"]}"')] + fields["end"] if draw(st.booleans()) else line
    if fmt == "vhost_combined":
        line = draw(st.sampled_from(["a.example", "A.Example:443", "-", "bad!", "x."])) + " " + line
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, max(len(line) - 2, 0)))
        action = draw(st.integers(0, 2))
        if action == 0:
            line = line[:at] + draw(PIECES) + line[at:]
        elif action == 1:
            line = line[:at] + line[at + 1 :]
        else:
            line = line[:at] + draw(PIECES) + line[at + 1 :]
    body = line.rstrip("\n").replace("\n", " ")  # one line: a newline only at its end
    return body + ("\n" if line.endswith("\n") or draw(st.booleans()) else "")


@pytest.mark.parametrize("fmt", ["common", "combined", "vhost_combined"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_lines_are_read_as_the_patterns_read_them(fmt, data):
    lines = data.draw(st.lists(mangled(fmt), min_size=1, max_size=8))
    lines = [line if line.endswith("\n") else line + "\n" for line in lines[:-1]] + lines[-1:]
    check_against_reference(fmt, lines, site=None if fmt == "vhost_combined" else "example.com")


@settings(max_examples=300, deadline=None)
@given(block=st.binary(max_size=300), start=st.integers(-5, 310), end=st.integers(-5, 310))
def test_newlines_counts_and_finds_the_last_one_as_bytes_do(block, start, end):
    clipped = max(start, 0), min(end, len(block))
    expected = (
        (block.count(b"\n", *clipped), block.rfind(b"\n", *clipped)) if clipped[0] < clipped[1] else (0, -1)
    )
    assert newlines(block, start, end) == expected
    assert newlines(bytearray(block), start, end) == expected
    assert newlines(memoryview(b"\n" + block)[1:], start, end) == expected  # a view counts from its own start


@settings(max_examples=300, deadline=None)
@given(block=st.binary(max_size=2000))
def test_any_bytes_are_accounted_for(block):
    for fmt in FORMAT_CODES.values():
        parser = Parser(fmt, None if fmt == 2 else "example.com", keep_bits(ALL_FIELDS))
        parsed = parse(parser, block, 0, 512)
        if parsed is None:
            with pytest.raises(UnicodeDecodeError):
                block.decode("utf-8")
            continue
        assert parsed.lines == block.count(b"\n") + (0 if block.endswith(b"\n") or not block else 1)
        counts = parsed.counts()
        assert int(counts[Kind.STORED]) == parsed.rows
        assert int(counts.sum()) == parsed.lines
        assert len(parsed.rejects) == parsed.lines - parsed.rows - int(counts[Kind.BLANK]) - int(
            counts[Kind.EXPIRED]
        )


# --- addresses -----------------------------------------------------------------------------------


def _intern(addresses: Addresses, rows: list[tuple[int, int, str, int]]):
    """Intern (month, site, address text, day of month) rows as the ingest does."""
    ips = np.zeros((len(rows), 16), dtype=np.uint8)
    families = np.zeros(len(rows), dtype=np.uint8)
    for n, (_month, _site, text, _mday) in enumerate(rows):
        packed = pack(text)
        assert packed is not None
        ips[n, : len(packed)] = np.frombuffer(packed, dtype=np.uint8)
        families[n] = 4 if len(packed) == 4 else 6
    months = np.array([r[0] for r in rows], dtype=np.int32)
    sites = np.array([r[1] for r in rows], dtype=np.int32)
    mdays = np.array([r[3] for r in rows], dtype=np.uint8)
    return addresses.intern(months, sites, families, ips, mdays)


KEY_OCT, KEY_NOV = bytes(range(32)), bytes(range(1, 33))


def test_it_gives_each_address_of_a_month_one_id_and_token():
    addresses = Addresses()
    slots, first = _intern(
        addresses,
        [
            (202611, 0, "192.0.2.1", 3),
            (202611, 0, "::ffff:192.0.2.1", 5),
            (202611, 0, "2001:db8::1", 5),
            (202610, 0, "192.0.2.1", 31),
        ],
    )
    assert first == 0
    slot = np.frombuffer(slots, dtype=np.int32)
    assert slot[0] == slot[1] != slot[2]  # one address in two forms
    tokens, has = addresses.hmac(first, {202611: KEY_NOV, 202610: KEY_OCT})
    assert has == b"\x01\x01\x01"
    expected = [
        hmac.digest(KEY_NOV, socket.inet_aton("192.0.2.1"), hashlib.sha256)[:16],
        hmac.digest(KEY_NOV, socket.inet_pton(socket.AF_INET6, "2001:db8::1"), hashlib.sha256)[:16],
        hmac.digest(KEY_OCT, socket.inet_aton("192.0.2.1"), hashlib.sha256)[:16],
    ]
    assert [tokens[i : i + 16] for i in range(0, 48, 16)] == expected
    addresses.resolve(first, tokens, np.full(3, 16, dtype=np.int32), False)
    assert list(np.frombuffer(addresses.ids(slots), dtype=np.int32)) == [0, 0, 1, 0]
    assert addresses.months() == {202611: 3, 202610: 1}
    _month, sites, ids, days = (np.frombuffer(part, dtype=np.int32) for part in addresses.seen(202611))
    assert list(ids) == [0, 1] and list(days) == [0b10100, 0b10000] and list(sites) == [0, 0]
    _month, ids_raw, names, offsets = addresses.added(202611)
    assert list(np.frombuffer(ids_raw, dtype=np.int32)) == [0, 1]
    assert names == expected[0] + expected[1] and list(np.frombuffer(offsets, dtype=np.int64)) == [0, 16, 32]


def test_an_address_on_two_sites_keeps_one_id_and_its_days_per_site():
    addresses = Addresses()
    _slots, first = _intern(
        addresses, [(202611, 0, "192.0.2.1", 1), (202611, 1, "192.0.2.1", 2), (202611, 1, "192.0.2.1", 2)]
    )
    tokens, _has = addresses.hmac(first, {202611: KEY_NOV})
    addresses.resolve(first, tokens, np.full(1, 16, dtype=np.int32), False)
    assert addresses.months() == {202611: 2}  # the same day again is no change
    _month, sites, ids, days = (np.frombuffer(part, dtype=np.int32) for part in addresses.seen(202611))
    assert sorted(zip(sites.tolist(), ids.tolist(), days.tolist(), strict=True)) == [
        (0, 0, 0b1),
        (1, 0, 0b10),
    ]


def test_a_loaded_month_keeps_its_ids_and_new_ones_follow():
    addresses = Addresses()
    known = hmac.digest(KEY_NOV, socket.inet_aton("192.0.2.1"), hashlib.sha256)[:16]
    other = b"\x00" * 16
    addresses.load(
        202611, known + other, np.array([0, 16, 32], dtype=np.int64), np.array([4, 9], dtype=np.int32)
    )
    slots, first = _intern(addresses, [(202611, 0, "192.0.2.2", 1), (202611, 0, "192.0.2.1", 1)])
    tokens, _has = addresses.hmac(first, {202611: KEY_NOV})
    addresses.resolve(first, tokens, np.full(2, 16, dtype=np.int32), False)
    assert list(np.frombuffer(addresses.ids(slots), dtype=np.int32)) == [10, 4]
    _month, ids_raw, _names, _offsets = addresses.added(202611)
    assert list(np.frombuffer(ids_raw, dtype=np.int32)) == [10]  # only the new one is added


def test_a_month_loaded_after_its_ids_were_given_is_refused():
    addresses = Addresses()
    _slots, first = _intern(addresses, [(202611, 0, "192.0.2.1", 1)])
    addresses.resolve(first, b"t", np.array([1], dtype=np.int32), False)
    with pytest.raises(RuntimeError, match="loaded before its ids"):
        addresses.load(202611, b"", np.array([0], dtype=np.int64), np.array([], dtype=np.int32))


def test_shared_values_share_an_id_when_asked_and_a_missing_key_gives_none():
    addresses = Addresses()
    slots, first = _intern(
        addresses, [(202611, 0, "192.0.2.1", 1), (202611, 0, "192.0.2.2", 1), (202610, 0, "192.0.2.3", 1)]
    )
    network = b"192.0.2.0/24"
    addresses.resolve(
        first, network + network, np.array([len(network), len(network), -1], dtype=np.int32), True
    )
    assert list(np.frombuffer(addresses.ids(slots), dtype=np.int32)) == [0, 0, -1]
    tokens, has = Addresses().hmac(0, {})  # nothing pending: nothing made
    assert (tokens, has) == (b"", b"")


def test_addresses_refuse_inconsistent_arguments():
    addresses = Addresses()
    with pytest.raises(ValueError, match="month holds"):
        addresses.intern(
            np.zeros(2, np.int32),
            np.zeros(1, np.int32),
            np.zeros(1, np.uint8),
            np.zeros(16, np.uint8),
            np.ones(1, np.uint8),
        )
    _slots, first = _intern(addresses, [(202611, 0, "192.0.2.1", 1)])
    with pytest.raises(ValueError, match="run past the tokens"):
        addresses.resolve(first, b"short", np.array([16], dtype=np.int32), False)
    with pytest.raises(ValueError, match="not resolved"):
        addresses.ids(np.array([0], dtype=np.int32))
    with pytest.raises(IndexError):
        addresses.pending(5)
    with pytest.raises(ValueError, match="32 bytes"):
        addresses.hmac(0, {202611: b"short"})
