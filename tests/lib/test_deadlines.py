"""Deadlines of GDPR Art. 12(3) and business days, counted on the calendars of BE, NL and GB."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustdesk.lib import deadlines
from trustdesk.lib.deadlines import (
    ONE_MONTH,
    TWO_MONTHS,
    DeadlineError,
    Pause,
    UnknownCountry,
    Urgency,
    add_business_days,
    add_months,
    answer_due,
    business_days_between,
    check_country,
    holiday_name,
    is_working_day,
    may_extend,
    next_working_day,
    public_holidays,
    urgency,
)
from trustdesk.lib.durations import Duration

D = dt.date
COUNTRIES = ("BE", "NL", "GB")


# --- calendar months ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2025, 3, 5), D(2025, 4, 5)),  # the EDPB's example
        (D(2025, 8, 31), D(2025, 9, 30)),
        (D(2025, 1, 31), D(2025, 2, 28)),
        (D(2024, 1, 31), D(2024, 2, 29)),  # leap year
        (D(2025, 1, 29), D(2025, 2, 28)),
        (D(2024, 1, 29), D(2024, 2, 29)),
        (D(2025, 1, 30), D(2025, 2, 28)),
        (D(2025, 2, 28), D(2025, 3, 28)),
        (D(2024, 2, 29), D(2024, 3, 29)),
        (D(2025, 3, 31), D(2025, 4, 30)),
        (D(2025, 4, 30), D(2025, 5, 30)),
        (D(2025, 5, 31), D(2025, 6, 30)),
        (D(2025, 6, 30), D(2025, 7, 30)),
        (D(2025, 7, 31), D(2025, 8, 31)),
        (D(2025, 9, 30), D(2025, 10, 30)),
        (D(2025, 10, 31), D(2025, 11, 30)),
        (D(2025, 11, 30), D(2025, 12, 30)),
        (D(2025, 12, 31), D(2026, 1, 31)),  # across the year
    ],
)
def test_it_adds_one_calendar_month_keeping_the_day_or_the_last_day(day, expected):
    assert add_months(day, 1) == expected


def test_it_adds_several_months_and_years_of_months():
    assert add_months(D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert add_months(D(2023, 2, 28), 12) == D(2024, 2, 28)
    assert add_months(D(2025, 12, 31), 2) == D(2026, 2, 28)
    assert add_months(D(2027, 12, 31), 2) == D(2028, 2, 29)
    assert add_months(D(2025, 11, 30), 3) == D(2026, 2, 28)
    assert add_months(D(2025, 5, 17), 0) == D(2025, 5, 17)


def test_it_refuses_to_add_negative_months():
    with pytest.raises(DeadlineError, match="-1 months"):
        add_months(D(2025, 5, 17), -1)


@pytest.mark.parametrize("year", [2023, 2024, 2100, 2000])
def test_it_agrees_with_the_calendar_for_every_day_of_a_year(year):
    day = D(year, 1, 1)
    while day.year == year:
        month, next_year = (day.month % 12) + 1, year + (day.month == 12)
        last = calendar.monthrange(next_year, month)[1]
        assert add_months(day, 1) == D(next_year, month, min(day.day, last)), day
        day += dt.timedelta(days=1)


# --- working days ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "country", "name"),
    [
        (D(2025, 4, 21), "BE", "Easter Monday"),
        (D(2025, 6, 9), "BE", "Whit Monday"),
        (D(2025, 7, 21), "BE", "National Day"),
        (D(2025, 11, 11), "BE", "Armistice"),
        (D(2025, 5, 1), "BE", "Labour Day"),
        (D(2025, 5, 29), "BE", "Ascension"),
        (D(2025, 8, 15), "BE", "Assumption"),
        (D(2026, 4, 27), "NL", "King's Day"),
        (D(2025, 5, 5), "NL", "Liberation Day in a lustrum year"),
        (D(2025, 4, 18), "NL", "Good Friday"),
        (D(2025, 12, 26), "NL", "Second Day of Christmas"),
        (D(2025, 4, 18), "GB", "Good Friday"),
        (D(2025, 5, 5), "GB", "Early May bank holiday"),
        (D(2025, 8, 25), "GB", "Summer bank holiday (England and Wales)"),
        (D(2026, 12, 28), "GB", "Boxing Day substitute"),
        (D(2020, 12, 28), "GB", "Boxing Day substitute"),
        (D(2021, 12, 27), "GB", "Christmas Day substitute"),
        (D(2021, 12, 28), "GB", "Boxing Day substitute"),
        (D(2022, 1, 3), "GB", "New Year's Day substitute"),
        (D(2022, 12, 27), "GB", "Christmas Day substitute"),
    ],
)
def test_it_knows_the_public_holidays_on_weekdays(day, country, name):
    assert day.weekday() < 5, "the case is about a weekday"
    assert not is_working_day(day, country), name
    assert holiday_name(day, country)


@pytest.mark.parametrize(
    ("day", "country", "why"),
    [
        (D(2025, 11, 11), "NL", "Armistice is Belgian, not Dutch"),
        (D(2025, 7, 21), "NL", "21 July is Belgian"),
        (D(2026, 5, 5), "NL", "Liberation Day is a day off only every fifth year"),
        (D(2025, 12, 26), "BE", "Belgium has no Boxing Day"),
        (D(2021, 12, 27), "BE", "Belgium has no substitute days"),
        (D(2025, 4, 18), "BE", "Good Friday is not a Belgian public holiday"),
        (D(2025, 1, 2), "GB", "2 January is a holiday in Scotland only"),
        (D(2025, 8, 4), "GB", "the first Monday of August is Scotland's"),
        (D(2025, 3, 17), "GB", "St Patrick's Day is Northern Ireland's"),
        (D(2025, 6, 10), "BE", "an ordinary Tuesday"),
    ],
)
def test_it_counts_other_weekdays_as_working_days(day, country, why):
    assert is_working_day(day, country), why
    assert holiday_name(day, country) is None


def test_it_moves_kings_day_to_saturday_when_27_april_is_a_sunday():
    assert D(2025, 4, 27).weekday() == 6
    assert holiday_name(D(2025, 4, 26), "NL") == "King's Day"
    assert holiday_name(D(2025, 4, 27), "NL") is None
    assert D(2014, 4, 27).weekday() == 6
    assert holiday_name(D(2014, 4, 26), "NL") == "King's Day"


def test_it_counts_scotland_and_northern_ireland_when_named():
    assert not is_working_day(D(2025, 1, 2), "GB-SCT")
    assert not is_working_day(D(2025, 8, 4), "gb-sct")
    assert not is_working_day(D(2025, 3, 17), "GB-NIR")
    assert is_working_day(D(2025, 8, 25), "GB-SCT")  # England's summer bank holiday


def test_it_counts_weekends_as_closed():
    assert not is_working_day(D(2025, 6, 14), "BE")  # Saturday
    assert not is_working_day(D(2025, 6, 15), "NL")  # Sunday
    assert is_working_day(D(2025, 6, 16), "GB")


def test_it_finds_the_next_working_day():
    assert next_working_day(D(2025, 6, 16), "BE") == D(2025, 6, 16)  # itself
    assert next_working_day(D(2025, 6, 14), "BE") == D(2025, 6, 16)
    assert next_working_day(D(2025, 12, 25), "BE") == D(2025, 12, 26)
    assert next_working_day(D(2025, 12, 25), "NL") == D(2025, 12, 29)
    assert next_working_day(D(2021, 12, 25), "GB") == D(2021, 12, 29)


def test_it_knows_any_country_the_holidays_package_knows():
    assert D(2025, 10, 3) in public_holidays("DE", 2025)  # German Unity Day
    assert D(2025, 7, 14) in public_holidays("FR", 2025)
    assert not is_working_day(D(2025, 7, 14), "FR")


@pytest.mark.parametrize(
    ("country", "named"),
    [("ZZ", "'ZZ'"), ("Belgium", "'Belgium'"), ("GB-XYZ", "'XYZ'"), ("", "''")],
)
def test_it_names_a_country_it_knows_no_holidays_of(country, named):
    with pytest.raises(UnknownCountry) as caught:
        is_working_day(D(2025, 1, 2), country)
    assert named in str(caught.value)
    with pytest.raises(UnknownCountry):
        check_country(country)


def test_it_lists_the_known_subdivisions_when_one_is_unknown():
    with pytest.raises(UnknownCountry, match="ENG, NIR, SCT, WLS"):
        check_country("GB-XYZ")


def test_it_builds_each_holiday_table_once():
    deadlines._table.cache_clear()
    for _ in range(3):
        is_working_day(D(2025, 7, 21), "BE")
        is_working_day(D(2025, 7, 22), "BE")
    info = deadlines._table.cache_info()
    assert info.misses == 1
    assert info.hits == 5


# --- the answer's due date --------------------------------------------------------------------


def test_it_gives_one_month_moved_to_a_working_day():
    assert answer_due(D(2025, 3, 5), "BE") == D(2025, 4, 7)  # 5 April is a Saturday
    assert answer_due(D(2025, 3, 4), "BE") == D(2025, 4, 4)
    assert answer_due(D(2025, 8, 31), "BE") == D(2025, 9, 30)
    assert answer_due(D(2025, 1, 31), "NL") == D(2025, 2, 28)
    assert answer_due(D(2024, 1, 31), "NL") == D(2024, 2, 29)


@pytest.mark.parametrize(
    ("received", "country", "due", "why"),
    [
        (D(2026, 3, 6), "BE", D(2026, 4, 7), "6 April 2026 is Easter Monday"),
        (D(2026, 3, 6), "GB", D(2026, 4, 7), "Easter Monday is a bank holiday too"),
        (D(2026, 4, 25), "BE", D(2026, 5, 26), "25 May 2026 is Whit Monday"),
        (D(2026, 4, 25), "GB", D(2026, 5, 26), "25 May 2026 is the spring bank holiday"),
        (D(2025, 6, 21), "BE", D(2025, 7, 22), "21 July, Belgian National Day"),
        (D(2025, 6, 21), "NL", D(2025, 7, 21), "not a Dutch holiday"),
        (D(2025, 10, 11), "BE", D(2025, 11, 12), "11 November, Armistice"),
        (D(2025, 10, 11), "NL", D(2025, 11, 11), "not a Dutch holiday"),
        (D(2026, 3, 27), "NL", D(2026, 4, 28), "27 April 2026, King's Day"),
        (D(2025, 3, 26), "NL", D(2025, 4, 28), "King's Day on Saturday 26 April, then Sunday"),
        (D(2025, 3, 27), "NL", D(2025, 4, 28), "27 April 2025 is a Sunday, not King's Day"),
        (D(2025, 4, 5), "NL", D(2025, 5, 6), "5 May 2025, Liberation Day (lustrum year)"),
        (D(2026, 4, 5), "NL", D(2026, 5, 5), "5 May 2026 is a working day"),
        (D(2020, 11, 26), "GB", D(2020, 12, 29), "Boxing Day on Saturday, substitute Monday 28"),
        (D(2026, 11, 26), "GB", D(2026, 12, 29), "Boxing Day 2026 on Saturday, substitute Monday 28"),
        (D(2026, 11, 25), "GB", D(2026, 12, 29), "Christmas Friday, weekend, Boxing Day substitute"),
        (D(2026, 11, 25), "BE", D(2026, 12, 28), "Christmas Friday, weekend"),
        (D(2026, 11, 25), "NL", D(2026, 12, 28), "Christmas Friday, Second Christmas Saturday, Sunday"),
        (D(2021, 11, 25), "GB", D(2021, 12, 29), "Christmas Saturday: 25 to 28 December closed"),
        (D(2021, 12, 1), "GB", D(2022, 1, 4), "New Year Saturday, Sunday, substitute Monday 3"),
        (D(2021, 12, 1), "BE", D(2022, 1, 3), "Belgium: New Year Saturday, Sunday, then Monday"),
        (D(2025, 11, 25), "NL", D(2025, 12, 29), "Christmas Thursday, Friday, weekend"),
    ],
)
def test_it_moves_a_due_date_off_holidays(received, country, due, why):
    assert answer_due(received, country) == due, why
    assert is_working_day(due, country)


def test_it_counts_from_receipt_on_a_holiday_without_moving_the_start():
    # Received on Christmas Day: the month runs from that day.
    assert answer_due(D(2025, 12, 25), "BE") == D(2026, 1, 26)  # 25 January 2026 is a Sunday
    assert answer_due(D(2025, 11, 11), "BE") == D(2025, 12, 11)
    assert answer_due(D(2025, 4, 21), "BE") == D(2025, 5, 21)  # Easter Monday


def test_it_uses_the_period_the_policy_gives():
    assert answer_due(D(2025, 3, 5), "BE", within=Duration(days=30)) == D(2025, 4, 4)
    assert answer_due(D(2025, 3, 5), "BE", within=Duration(weeks=2)) == D(2025, 3, 19)
    assert answer_due(D(2025, 3, 5), "BE", within=Duration(months=2)) == D(2025, 5, 5)


# --- pauses -----------------------------------------------------------------------------------

RECEIVED = D(2025, 9, 6)  # unpaused: 6 October 2025, a Monday


def test_it_adds_the_days_a_pause_lasts():
    assert answer_due(RECEIVED, "BE") == D(2025, 10, 6)
    # Asked on the 10th, the answer came on the 13th: three days.
    assert answer_due(RECEIVED, "BE", pauses=[Pause(D(2025, 9, 10), D(2025, 9, 13))]) == D(2025, 10, 9)


def test_it_adds_nothing_for_a_pause_that_ends_the_day_it_starts():
    assert answer_due(RECEIVED, "BE", pauses=[Pause(D(2025, 9, 10), D(2025, 9, 10))]) == D(2025, 10, 6)


def test_it_counts_an_open_pause_up_to_today():
    open_pause = [Pause(D(2025, 9, 10))]
    assert answer_due(RECEIVED, "BE", pauses=open_pause, today=D(2025, 9, 10)) == D(2025, 10, 6)
    assert answer_due(RECEIVED, "BE", pauses=open_pause, today=D(2025, 9, 20)) == D(2025, 10, 16)
    assert answer_due(RECEIVED, "BE", pauses=open_pause, today=D(2025, 9, 1)) == D(2025, 10, 6)


def test_it_counts_an_open_pause_up_to_the_controllers_today_by_default(settings, monkeypatch):
    monkeypatch.setattr(deadlines, "_today", lambda: D(2025, 9, 15))
    assert answer_due(RECEIVED, "BE", pauses=[Pause(D(2025, 9, 10))]) == D(2025, 10, 13)


def test_it_counts_pauses_across_month_ends():
    # Base 20 February; paused 30 January to 3 February: four days.
    assert answer_due(D(2025, 1, 20), "BE", pauses=[Pause(D(2025, 1, 30), D(2025, 2, 3))]) == D(2025, 2, 24)
    # Base 28 February 2025; paused 27 February to 2 March: three days (no 29th).
    assert answer_due(D(2025, 1, 31), "BE", pauses=[Pause(D(2025, 2, 27), D(2025, 3, 2))]) == D(2025, 3, 3)
    # Base 29 February 2024; paused 27 February to 2 March: four days.
    assert answer_due(D(2024, 1, 31), "BE", pauses=[Pause(D(2024, 2, 27), D(2024, 3, 2))]) == D(2024, 3, 4)


def test_it_counts_each_day_of_overlapping_pauses_once():
    overlapping = [Pause(D(2025, 9, 12), D(2025, 9, 15)), Pause(D(2025, 9, 10), D(2025, 9, 13))]
    single = [Pause(D(2025, 9, 10), D(2025, 9, 15))]
    assert answer_due(RECEIVED, "BE", pauses=overlapping) == answer_due(RECEIVED, "BE", pauses=single)
    assert answer_due(RECEIVED, "BE", pauses=single) == D(2025, 10, 13)  # 11 October is a Saturday


def test_it_adds_every_separate_pause():
    pauses = [Pause(D(2025, 9, 10), D(2025, 9, 12)), Pause(D(2025, 9, 20), D(2025, 9, 23))]
    assert answer_due(RECEIVED, "BE", pauses=pauses) == D(2025, 10, 13)  # 5 days: 11 October, Saturday


def test_it_counts_a_pause_from_receipt_when_it_starts_earlier():
    assert answer_due(RECEIVED, "BE", pauses=[Pause(D(2025, 9, 1), D(2025, 9, 8))]) == D(2025, 10, 8)


def test_it_ignores_a_pause_that_starts_after_the_time_ran_out():
    late = [Pause(D(2025, 10, 10), D(2025, 10, 20))]
    assert answer_due(RECEIVED, "BE", pauses=late) == D(2025, 10, 6)
    # A pause on the last day still counts, and so does one inside the time an earlier pause added.
    assert answer_due(RECEIVED, "BE", pauses=[Pause(D(2025, 10, 6), D(2025, 10, 8))]) == D(2025, 10, 8)
    chained = [Pause(D(2025, 9, 10), D(2025, 9, 13)), Pause(D(2025, 10, 8), D(2025, 10, 9))]
    assert answer_due(RECEIVED, "BE", pauses=chained) == D(2025, 10, 10)


def test_it_refuses_a_pause_that_ends_before_it_starts():
    with pytest.raises(DeadlineError, match=r"2025-09-09.*2025-09-10"):
        Pause(D(2025, 9, 10), D(2025, 9, 9))


# --- extensions -------------------------------------------------------------------------------


def test_it_adds_an_extension_after_the_first_period():
    assert answer_due(D(2025, 3, 5), "BE", extension=TWO_MONTHS) == D(2025, 6, 5)
    # 31 January + 1 month = 28 February, + 2 months = 28 April (not 30 April).
    assert answer_due(D(2025, 1, 31), "BE", extension=TWO_MONTHS) == D(2025, 4, 28)
    assert answer_due(D(2025, 1, 31), "BE", extension=ONE_MONTH) == D(2025, 3, 28)
    assert answer_due(D(2025, 3, 5), "BE", extension=None) == answer_due(D(2025, 3, 5), "BE")


def test_it_moves_an_extended_due_date_to_a_working_day():
    # 21 May 2025 + 2 months = 21 July, Belgian National Day.
    assert answer_due(D(2025, 4, 21), "BE", extension=TWO_MONTHS) == D(2025, 7, 22)


def test_it_refuses_an_extension_longer_than_allowed():
    with pytest.raises(DeadlineError, match=r"P3M is longer than the P2M allowed"):
        answer_due(D(2025, 3, 5), "BE", extension=Duration(months=3))
    with pytest.raises(DeadlineError, match=r"P1M is longer than the P14D allowed"):
        answer_due(D(2025, 3, 5), "BE", extension=ONE_MONTH, extension_max=Duration(days=14))


def test_it_compares_an_extension_in_days_with_the_months_from_the_first_periods_end():
    # From 28 February 2025 two months reach 28 April: 59 days fit, 60 do not.
    assert answer_due(D(2025, 1, 31), "BE", extension=Duration(days=59)) == D(2025, 4, 28)
    with pytest.raises(DeadlineError):
        answer_due(D(2025, 1, 31), "BE", extension=Duration(days=60))


def test_it_adds_pauses_to_an_extended_period():
    pauses = [Pause(D(2025, 3, 10), D(2025, 3, 13))]
    assert answer_due(D(2025, 3, 5), "BE", extension=TWO_MONTHS, pauses=pauses) == D(
        2025, 6, 10
    )  # 9 June: Whit Monday


def test_it_allows_an_extension_only_within_the_first_period():
    # Unextended due: 7 April 2025 (5 April is a Saturday).
    assert may_extend(D(2025, 3, 5), "BE", D(2025, 3, 5))
    assert may_extend(D(2025, 3, 5), "BE", D(2025, 4, 7))
    assert not may_extend(D(2025, 3, 5), "BE", D(2025, 4, 8))
    # Paused for three days: three days more to decide.
    pauses = [Pause(D(2025, 3, 10), D(2025, 3, 13))]
    assert may_extend(D(2025, 3, 5), "BE", D(2025, 4, 8), pauses=pauses)
    assert not may_extend(D(2025, 3, 5), "BE", D(2025, 4, 9), pauses=pauses)
    assert not may_extend(D(2025, 3, 5), "BE", D(2025, 3, 20), within=Duration(days=14))


# --- business days ----------------------------------------------------------------------------


def test_it_adds_business_days_skipping_weekends_and_holidays():
    friday = D(2025, 12, 19)
    assert add_business_days(friday, 1, "BE") == D(2025, 12, 22)
    assert add_business_days(friday, 5, "BE") == D(2025, 12, 29)  # 25th closed, 26th open
    assert add_business_days(friday, 5, "NL") == D(2025, 12, 30)  # 25th and 26th closed
    assert add_business_days(friday, 5, "GB") == D(2025, 12, 30)
    assert add_business_days(friday, 0, "BE") == friday


def test_it_gives_90_business_days_as_a_complaint_deadline():
    # 90 weekdays after Monday 6 January 2025 reach Monday 12 May; Easter Monday and 1 May add two.
    assert add_business_days(D(2025, 1, 6), 90, "BE") == D(2025, 5, 14)
    assert business_days_between(D(2025, 1, 6), D(2025, 5, 14), "BE") == 90


def test_it_counts_business_days_from_a_holiday():
    assert add_business_days(D(2025, 12, 25), 1, "BE") == D(2025, 12, 26)
    assert add_business_days(D(2025, 12, 25), 1, "NL") == D(2025, 12, 29)
    assert add_business_days(D(2025, 12, 27), 1, "GB") == D(2025, 12, 29)


def test_it_refuses_negative_business_days():
    with pytest.raises(DeadlineError, match="-3 business days"):
        add_business_days(D(2025, 1, 6), -3, "BE")


def test_it_counts_business_days_between_two_days():
    assert business_days_between(D(2025, 12, 19), D(2025, 12, 29), "BE") == 5
    assert business_days_between(D(2025, 12, 29), D(2025, 12, 19), "BE") == 0


# --- urgency ----------------------------------------------------------------------------------


def test_it_tells_how_urgent_a_due_date_is():
    today = D(2025, 6, 10)
    assert urgency(D(2025, 6, 9), today) is Urgency.OVERDUE
    assert urgency(D(2025, 6, 10), today) is Urgency.DUE_TODAY
    assert urgency(D(2025, 6, 11), today) is Urgency.DUE_SOON
    assert urgency(D(2025, 6, 17), today) is Urgency.DUE_SOON
    assert urgency(D(2025, 6, 18), today) is Urgency.ON_TIME
    assert urgency(D(2025, 6, 18), today, soon=dt.timedelta(days=14)) is Urgency.DUE_SOON


def test_it_gives_each_urgency_a_label_a_colour_and_an_order():
    assert [u.label for u in Urgency] == ["overdue", "due today", "due soon", "on time"]
    assert [u.colour for u in Urgency] == ["red", "orange", "yellow", "green"]
    assert sorted(Urgency, key=lambda u: -u.rank)[0] is Urgency.ON_TIME
    assert Urgency.choices()[0] == ("overdue", "overdue")
    assert Urgency("due_soon") is Urgency.DUE_SOON


# --- properties -------------------------------------------------------------------------------

days = st.dates(min_value=D(2000, 1, 1), max_value=D(2060, 12, 31))
countries = st.sampled_from(COUNTRIES)
withins = st.sampled_from([ONE_MONTH, Duration(months=2), Duration(days=30), Duration(weeks=2)])


@settings(max_examples=300, deadline=None)
@given(received=days, country=countries, within=withins)
def test_it_never_gives_a_due_date_before_the_period_ends(received, country, within):
    due = answer_due(received, country, within=within)
    end = deadlines.add_duration(received, within)
    assert end <= due < end + dt.timedelta(days=10)


@settings(max_examples=300, deadline=None)
@given(received=days, country=countries)
def test_it_always_gives_a_working_day(received, country):
    due = answer_due(received, country, extension=TWO_MONTHS)
    assert is_working_day(due, country)
    assert due.weekday() < 5


@settings(max_examples=300, deadline=None)
@given(first=days, second=days, country=countries)
def test_it_never_gives_an_earlier_due_date_for_a_later_receipt(first, second, country):
    early, late = sorted((first, second))
    assert answer_due(early, country) <= answer_due(late, country)


@settings(max_examples=200, deadline=None)
@given(received=days, country=countries, start=st.integers(0, 40), length=st.integers(0, 30))
def test_it_adds_at_least_the_paused_days_inside_the_period(received, country, start, length):
    pause = Pause(received + dt.timedelta(days=start), received + dt.timedelta(days=start + length))
    plain = answer_due(received, country)
    paused = answer_due(received, country, pauses=[pause])
    assert paused >= plain
    if pause.start <= deadlines.add_months(received, 1):
        assert paused >= deadlines.add_months(received, 1) + dt.timedelta(days=length)
    else:
        assert paused == plain


@settings(max_examples=200, deadline=None)
@given(received=days, country=countries, start=st.integers(0, 20), waited=st.integers(0, 60))
def test_it_never_moves_the_due_date_back_while_a_pause_stays_open(received, country, start, waited):
    pause = Pause(received + dt.timedelta(days=start))
    today = pause.start + dt.timedelta(days=waited)
    later = today + dt.timedelta(days=1)
    assert answer_due(received, country, pauses=[pause], today=today) <= answer_due(
        received, country, pauses=[pause], today=later
    )


@settings(max_examples=200, deadline=None)
@given(start=days, n=st.integers(0, 120), country=countries)
def test_it_lands_business_days_on_working_days(start, n, country):
    end = add_business_days(start, n, country)
    assert business_days_between(start, end, country) == n
    if n:
        assert is_working_day(end, country)
        assert end > start
