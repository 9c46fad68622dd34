"""Legal deadlines (GDPR Art. 12(3), as the EDPB counts them) and business days.

How a deadline is counted here:

- **Months are calendar months** from the day of receipt: one month from 5 March is 5 April; when
  the target month has no such day, its last day: 31 August -> 30 September, 31 January -> 28
  February (29 in a leap year). :class:`~trustdesk.lib.durations.Duration` does the arithmetic.
- **The extension** (Art. 12(3): "by two further months") follows the first period: it is added
  to the unextended end, so 31 January + one month = 28 February, + two months = 28 April. This
  is never later than counting three months from receipt (30 April), so it is the safe reading.
  It must be decided and told within the first period (:func:`may_extend`), and is refused when
  it is longer than the maximum the caller allows (the policy's ``rights.extension_max``, at most
  two months by the GDPR).
- **Pauses**: while the request waits for identity information the provider asked for, the clock
  stands still. A pause runs from the day the provider asked (``start``) to the day the
  information arrived (``end``), and adds ``end - start`` days: asked on the 10th, received on the
  13th, three days (the 10th, 11th and 12th). An open pause (no ``end`` yet) counts up to
  ``today``. Overlapping pauses count each day once; a pause that starts before receipt counts
  from receipt; a pause that starts after the due date (as extended by the pauses before it)
  adds nothing, because the time had already run out when it began.
- **Working days**: a due date that falls on a Saturday, a Sunday or a public holiday of the
  controller's country moves to the next working day. Only the final date moves; the days in
  between are counted as calendar days.
- **Business days** (P2.12: disputes within 90 business days) count working days only: the
  n-th working day after the start day.

Public holidays come from the ``holidays`` package, its ``public`` category, which is what it
counts as a country's public holidays, including substitute ("observed") days where a country
has them. That means:

- **GB** is the bank holidays of **England and Wales** (subdivision ``ENG``; Wales has the same
  days), with their substitute days (Boxing Day on a Saturday moves to the Monday). Write
  ``GB-SCT`` or ``GB-NIR`` for Scotland or Northern Ireland, and ``XX-SUB`` generally for a
  subdivision ``holidays`` knows.
- **NL** includes King's Day (27 April, or 26 April when the 27th is a Sunday), Good Friday,
  Second Day of Christmas, and Liberation Day (5 May) in the years ``holidays`` counts it as a
  public holiday: every fifth year (2025, 2030, ...), when it is a day off for most.
- **BE** is the ten legal holidays (New Year, Easter Monday, 1 May, Ascension, Whit Monday,
  21 July, 15 August, 1 November, 11 November, Christmas); Belgium has no substitute days in law.

Holiday tables are built once per country and year and kept in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import holidays

from trustdesk.lib.durations import Duration

ONE_MONTH = Duration(months=1)
TWO_MONTHS = Duration(months=2)

#: The subdivision used when a country is named without one.
DEFAULT_SUBDIVISIONS = {"GB": "ENG"}

#: Saturday and Sunday (``date.weekday()``).
WEEKEND = frozenset({5, 6})

#: How far ``next_working_day`` looks before it gives up (no real calendar comes near this).
_MAX_CLOSED_DAYS = 60


class UnknownCountry(ValueError):
    """A country (or subdivision) whose public holidays the ``holidays`` package does not know."""


class DeadlineError(ValueError):
    """A deadline that cannot be counted as asked (an extension too long, a pause that ends first)."""


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day number ``months`` calendar months later, or that month's last day."""
    if months < 0:
        raise DeadlineError(f"cannot add {months} months: deadlines run forward")
    return _as_date(Duration(months=months).add_to(day))


def add_duration(day: dt.date, duration: Duration) -> dt.date:
    """A day plus a duration counted in calendar terms (months first, then weeks and days)."""
    return _as_date(duration.add_to(day))


def _split(country: str) -> tuple[str, str | None]:
    text = country.strip()
    code, _, subdivision = text.partition("-")
    code = code.upper()
    if not subdivision:
        return code, DEFAULT_SUBDIVISIONS.get(code)
    return code, subdivision.upper()


@lru_cache(maxsize=1024)
def _table(country: str, year: int) -> dict[dt.date, str]:
    code, subdivision = _split(country)
    if len(code) != 2 or not code.isalpha():
        raise UnknownCountry(
            f"{country[:10]!r} is not an ISO 3166 country code: write two letters, such as BE, NL or GB "
            "(GB-SCT for a subdivision)"
        )
    try:
        table = holidays.country_holidays(code, subdiv=subdivision, years=year)
    except NotImplementedError:
        if code not in holidays.list_supported_countries():
            raise UnknownCountry(
                f"no public holidays are known for country {code!r}: use an ISO 3166 code the "
                "'holidays' package knows, such as BE, NL or GB"
            ) from None
        known = ", ".join(sorted(holidays.list_supported_countries()[code])) or "none"
        raise UnknownCountry(
            f"country {code} has no subdivision {str(subdivision)[:10]!r} in the 'holidays' package; "
            f"known: {known}"
        ) from None
    return {day: str(name) for day, name in table.items()}


def public_holidays(country: str, year: int) -> frozenset[dt.date]:
    """The public holidays of a country (``BE``, ``NL``, ``GB``, ``GB-SCT``) in a year; cached."""
    return frozenset(_table(country, year))


def holiday_name(day: dt.date, country: str) -> str | None:
    """The name ``holidays`` gives a public holiday (in English), or None on other days."""
    return _table(country, day.year).get(day)


def check_country(country: str) -> None:
    """Raise :class:`UnknownCountry` unless the ``holidays`` package knows the country's holidays."""
    _table(country, 2000)


def is_working_day(day: dt.date, country: str) -> bool:
    """Neither a weekend day nor a public holiday of the country."""
    return day.weekday() not in WEEKEND and day not in _table(country, day.year)


def next_working_day(day: dt.date, country: str) -> dt.date:
    """The day itself when it is a working day, otherwise the first working day after it."""
    candidate = day
    for _ in range(_MAX_CLOSED_DAYS):
        if is_working_day(candidate, country):
            return candidate
        candidate += dt.timedelta(days=1)
    raise DeadlineError(f"no working day in {country} within {_MAX_CLOSED_DAYS} days of {day.isoformat()}")


def add_business_days(start: dt.date, n: int, country: str) -> dt.date:
    """The n-th working day after ``start`` (``start`` itself does not count); 0 gives ``start``."""
    if n < 0:
        raise DeadlineError(f"cannot add {n} business days: deadlines run forward")
    day = start
    for _ in range(n):
        day = next_working_day(day + dt.timedelta(days=1), country)
    return day


def business_days_between(start: dt.date, end: dt.date, country: str) -> int:
    """How many working days lie after ``start`` up to and including ``end`` (0 when end <= start)."""
    count = 0
    day = start + dt.timedelta(days=1)
    while day <= end:
        if is_working_day(day, country):
            count += 1
        day += dt.timedelta(days=1)
    return count


@dataclass(frozen=True)
class Pause:
    """The clock stands still from ``start`` (the day the provider asked) until ``end`` (arrival).

    ``end`` is None while the information is still awaited.
    """

    start: dt.date
    end: dt.date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise DeadlineError(
                f"a pause cannot end ({self.end.isoformat()}) before it starts ({self.start.isoformat()})"
            )

    def until(self, today: dt.date) -> dt.date:
        """The day the clock runs again: ``end``, or ``today`` while the pause is open."""
        if self.end is not None:
            return self.end
        return max(today, self.start)


def _merged(pauses: Iterable[Pause], received: dt.date, today: dt.date) -> list[tuple[dt.date, dt.date]]:
    spans = sorted((max(p.start, received), max(p.until(today), received)) for p in pauses)
    merged: list[tuple[dt.date, dt.date]] = []
    for start, end in spans:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


def _check_extension(extension: Duration, extension_max: Duration, base: dt.date) -> None:
    if add_duration(base, extension) > add_duration(base, extension_max):
        raise DeadlineError(
            f"an extension of {extension.iso()} is longer than the {extension_max.iso()} allowed"
        )


def _calendar_end(
    received: dt.date,
    within: Duration,
    pauses: Sequence[Pause],
    extension: Duration | None,
    extension_max: Duration,
    today: dt.date | None,
) -> dt.date:
    end = add_duration(received, within)
    if extension is not None and not extension.is_zero:
        _check_extension(extension, extension_max, end)
        end = add_duration(end, extension)
    if pauses:
        day = today if today is not None else _today()
        for start, stop in _merged(pauses, received, day):
            if start > end:
                break  # the time had run out before this pause began
            end += stop - start
    return end


def answer_due(
    received: dt.date,
    country: str,
    *,
    within: Duration = ONE_MONTH,
    pauses: Sequence[Pause] = (),
    extension: Duration | None = None,
    extension_max: Duration = TWO_MONTHS,
    today: dt.date | None = None,
) -> dt.date:
    """The day a request received on ``received`` must be answered by (see the module's rules).

    ``within`` is the policy's ``rights.answer_within``; ``extension`` a recorded extension, refused
    with :class:`DeadlineError` when longer than ``extension_max`` (the policy's
    ``rights.extension_max``); ``today`` is where open pauses stop counting (the controller's
    today when not given).
    """
    end = _calendar_end(received, within, pauses, extension, extension_max, today)
    return next_working_day(end, country)


def may_extend(
    received: dt.date,
    country: str,
    today: dt.date,
    *,
    within: Duration = ONE_MONTH,
    pauses: Sequence[Pause] = (),
) -> bool:
    """Whether an extension can still be decided: on or before the unextended due date."""
    return today <= answer_due(received, country, within=within, pauses=pauses, today=today)


class Urgency(StrEnum):
    """How a case's due date stands today, with a label and a colour for the queue."""

    OVERDUE = "overdue"
    DUE_TODAY = "due_today"
    DUE_SOON = "due_soon"
    ON_TIME = "on_time"

    @property
    def label(self) -> str:
        return _URGENCY_LABELS[self]

    @property
    def colour(self) -> str:
        return _URGENCY_COLOURS[self]

    @property
    def rank(self) -> int:
        """0 for the most urgent: sort a queue by it."""
        return list(Urgency).index(self)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]


_URGENCY_LABELS = {
    Urgency.OVERDUE: "overdue",
    Urgency.DUE_TODAY: "due today",
    Urgency.DUE_SOON: "due soon",
    Urgency.ON_TIME: "on time",
}
_URGENCY_COLOURS = {
    Urgency.OVERDUE: "red",
    Urgency.DUE_TODAY: "orange",
    Urgency.DUE_SOON: "yellow",
    Urgency.ON_TIME: "green",
}

SOON = dt.timedelta(days=7)


def urgency(due: dt.date, today: dt.date, *, soon: dt.timedelta = SOON) -> Urgency:
    """OVERDUE after the due day, DUE_TODAY on it, DUE_SOON within ``soon`` of it, else ON_TIME."""
    if due < today:
        return Urgency.OVERDUE
    if due == today:
        return Urgency.DUE_TODAY
    if due - today <= soon:
        return Urgency.DUE_SOON
    return Urgency.ON_TIME
