"""ISO-8601 durations (``P7Y``, ``P1M``, ``PT30M``) with calendar arithmetic and plain words.

Months and years are calendar units: one month after 31 August is 30 September,
one year after 29 February is 28 February. Words come in English and Dutch.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_PATTERN = re.compile(
    r"^P(?!$)(?:(?P<years>\d{1,6})Y)?(?:(?P<months>\d{1,6})M)?(?:(?P<weeks>\d{1,6})W)?(?:(?P<days>\d{1,6})D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d{1,6})H)?(?:(?P<minutes>\d{1,6})M)?(?:(?P<seconds>\d{1,6})S)?)?$"
)
_MAX_COMPONENT = 100_000


class DurationError(ValueError):
    """A text that is not an ISO-8601 duration this product understands."""


@dataclass(frozen=True)
class Duration:
    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        if not isinstance(text, str):
            raise DurationError("a duration is written as text, for example P2Y or P30D")
        match = _PATTERN.match(text.strip().upper())
        if match is None:
            raise DurationError(
                f"{text[:40]!r} is not an ISO-8601 duration: write for example P7Y (seven years), "
                "P6M (six months), P30D (30 days) or PT30M (30 minutes)"
            )
        parts = {name: int(value) for name, value in match.groupdict().items() if value is not None}
        if any(value > _MAX_COMPONENT for value in parts.values()):
            raise DurationError(f"{text[:40]!r} is out of range")
        duration = cls(**parts)
        if duration.is_zero:
            raise DurationError(f"{text!r} is a duration of zero")
        return duration

    @property
    def is_zero(self) -> bool:
        return not any(
            (self.years, self.months, self.weeks, self.days, self.hours, self.minutes, self.seconds)
        )

    def iso(self) -> str:
        date = "".join(
            f"{value}{unit}"
            for value, unit in ((self.years, "Y"), (self.months, "M"), (self.weeks, "W"), (self.days, "D"))
            if value
        )
        time = "".join(
            f"{value}{unit}"
            for value, unit in ((self.hours, "H"), (self.minutes, "M"), (self.seconds, "S"))
            if value
        )
        return "P" + date + ("T" + time if time else "")

    def __str__(self) -> str:
        return self.iso()

    def add_to(self, moment: dt.datetime | dt.date) -> dt.datetime | dt.date:
        """Calendar addition: months and years keep the day, clamped to the month's last day."""
        total_months = moment.month - 1 + self.months + 12 * self.years
        year = moment.year + total_months // 12
        month = total_months % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        shifted = moment.replace(year=year, month=month, day=day)
        return shifted + dt.timedelta(
            weeks=self.weeks, days=self.days, hours=self.hours, minutes=self.minutes, seconds=self.seconds
        )

    def upper_bound(self) -> dt.timedelta:
        """The longest span this duration can be, for comparing durations with months in them."""
        return dt.timedelta(
            days=366 * self.years + 31 * self.months + 7 * self.weeks + self.days,
            hours=self.hours,
            minutes=self.minutes,
            seconds=self.seconds,
        )

    def words(self, lang: str) -> str:
        units = _UNITS[lang]
        parts = [
            _count(value, units[name], lang)
            for name, value in (
                ("year", self.years),
                ("month", self.months),
                ("week", self.weeks),
                ("day", self.days),
                ("hour", self.hours),
                ("minute", self.minutes),
                ("second", self.seconds),
            )
            if value
        ]
        conjunction = " and " if lang == "en" else " en "
        if len(parts) == 1:
            return parts[0]
        return ", ".join(parts[:-1]) + conjunction + parts[-1]


_NUMBERS = {
    "en": [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
    ],
    "nl": [
        "nul",
        "één",
        "twee",
        "drie",
        "vier",
        "vijf",
        "zes",
        "zeven",
        "acht",
        "negen",
        "tien",
        "elf",
        "twaalf",
    ],
}
_UNITS = {
    "en": {
        "year": ("year", "years"),
        "month": ("month", "months"),
        "week": ("week", "weeks"),
        "day": ("day", "days"),
        "hour": ("hour", "hours"),
        "minute": ("minute", "minutes"),
        "second": ("second", "seconds"),
    },
    "nl": {
        "year": ("jaar", "jaar"),
        "month": ("maand", "maanden"),
        "week": ("week", "weken"),
        "day": ("dag", "dagen"),
        "hour": ("uur", "uur"),
        "minute": ("minuut", "minuten"),
        "second": ("seconde", "seconden"),
    },
}


def _count(value: int, unit: tuple[str, str], lang: str) -> str:
    number = _NUMBERS[lang][value] if value < len(_NUMBERS[lang]) else str(value)
    return f"{number} {unit[0] if value == 1 else unit[1]}"
