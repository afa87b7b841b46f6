"""The China working-day calendar across national holidays and 调休 make-up workdays.

Expected days follow the State Council notices: National Day 2025 is off Oct 1–8 with Sunday
Sep 28 and Saturday Oct 11 worked; Spring Festival 2026 is off Feb 15–23 with Saturdays Feb 14
and Feb 28 worked.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridcare.kit.calendar import (
    FIRST_KNOWN_YEAR,
    LAST_KNOWN_YEAR,
    CalendarYearUnknown,
    add_working_days,
    holiday_name,
    is_working_day,
    working_days_between,
)
from gridcare.kit.clock import SHANGHAI


def test_known_years_are_the_packages_years() -> None:
    assert (FIRST_KNOWN_YEAR, LAST_KNOWN_YEAR) == (2004, 2026)
    assert chinese_calendar.is_workday(date(FIRST_KNOWN_YEAR, 1, 5))
    with pytest.raises(NotImplementedError, match="no available data for year"):
        chinese_calendar.is_workday(date(LAST_KNOWN_YEAR + 1, 1, 4))
    with pytest.raises(NotImplementedError, match="no available data for year"):
        chinese_calendar.is_workday(date(FIRST_KNOWN_YEAR - 1, 12, 31))


def test_is_working_day_agrees_with_the_package_on_every_known_day() -> None:
    day = date(FIRST_KNOWN_YEAR, 1, 1)
    disagreements = []
    while day.year <= LAST_KNOWN_YEAR:
        if is_working_day(day) != chinese_calendar.is_workday(day):
            disagreements.append(day)
        day += timedelta(days=1)
    assert disagreements == []


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 26), True),  # Friday
        (date(2025, 9, 27), False),  # Saturday
        (date(2025, 9, 28), True),  # Sunday, make-up workday
        (date(2025, 10, 1), False),  # National Day
        (date(2025, 10, 6), False),  # Monday, Mid-autumn Festival
        (date(2025, 10, 8), False),  # Wednesday, last day off
        (date(2025, 10, 9), True),  # Thursday
        (date(2025, 10, 11), True),  # Saturday, make-up workday
        (date(2025, 10, 12), False),  # Sunday
        (date(2026, 2, 14), True),  # Saturday, make-up workday
        (date(2026, 2, 16), False),  # Monday, Spring Festival
        (date(2026, 2, 23), False),  # Monday, last day off
        (date(2026, 2, 24), True),  # Tuesday
        (date(2026, 2, 28), True),  # Saturday, make-up workday
        (date(2026, 3, 1), False),  # Sunday
    ],
)
def test_is_working_day_around_national_holidays(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2025, 9, 26), 0, date(2025, 9, 26)),
        (date(2025, 9, 26), 1, date(2025, 9, 28)),  # the make-up Sunday
        (date(2025, 9, 26), 3, date(2025, 9, 30)),
        (date(2025, 9, 26), 4, date(2025, 10, 9)),  # jumps the eight days off
        (date(2025, 9, 26), 6, date(2025, 10, 11)),  # the make-up Saturday
        (date(2025, 9, 26), 7, date(2025, 10, 13)),
        (date(2025, 9, 30), 1, date(2025, 10, 9)),
        (date(2025, 10, 3), 1, date(2025, 10, 9)),  # accepted during the holiday
        (date(2025, 10, 3), 0, date(2025, 10, 3)),
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 13), 2, date(2026, 2, 24)),
        (date(2026, 2, 12), 5, date(2026, 2, 26)),
        (date(2026, 2, 12), 7, date(2026, 2, 28)),
        (date(2026, 2, 12), 8, date(2026, 3, 2)),
        (date(2025, 12, 31), 1, date(2026, 1, 4)),  # New Year 2026 off Jan 1–3, Sunday Jan 4 worked
        (date(2025, 12, 31), 2, date(2026, 1, 5)),
    ],
)
def test_add_working_days_does_not_count_the_start(start: date, count: int, expected: date) -> None:
    assert add_working_days(start=start, count=count) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2025, 9, 27), date(2025, 10, 12), 6),  # Sep 28, 29, 30, Oct 9, 10, 11
        (date(2025, 10, 1), date(2025, 10, 9), 0),
        (date(2025, 10, 9), date(2025, 10, 9), 0),
        (date(2025, 10, 9), date(2025, 10, 10), 1),  # start counts, end does not
        (date(2025, 9, 1), date(2025, 10, 1), 23),  # 22 weekdays and Sunday Sep 28
        (date(2025, 10, 1), date(2025, 11, 1), 18),  # 23 weekdays, 6 off, Saturday Oct 11
        (date(2026, 2, 1), date(2026, 3, 1), 16),  # 20 weekdays, 6 off, Saturdays Feb 14 and 28
        (date(2026, 12, 1), date(2027, 1, 1), 23),  # an exclusive end in an unknown year is fine
    ],
)
def test_working_days_between_counts_start_but_not_end(start: date, end: date, expected: int) -> None:
    assert working_days_between(start=start, end=end) == expected


def test_working_days_between_refuses_an_end_before_the_start() -> None:
    with pytest.raises(ValueError, match="end 2025-10-01 is before start 2025-10-02"):
        working_days_between(start=date(2025, 10, 2), end=date(2025, 10, 1))


def test_add_working_days_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="count must be zero or more, not -1"):
        add_working_days(start=date(2025, 10, 9), count=-1)


known_days = st.dates(min_value=date(FIRST_KNOWN_YEAR, 1, 1), max_value=date(LAST_KNOWN_YEAR, 6, 30))


@given(known_days, st.integers(min_value=0, max_value=60))
def test_add_and_count_working_days_agree(start: date, count: int) -> None:
    deadline = add_working_days(start=start, count=count)
    assert working_days_between(start=start + timedelta(days=1), end=deadline + timedelta(days=1)) == count
    if count:
        assert is_working_day(deadline)
    if is_working_day(start):
        assert working_days_between(start=start, end=deadline) == count


@pytest.mark.parametrize(
    ("day", "zh", "en"),
    [
        (date(2025, 10, 1), "国庆节", "National Day"),
        (date(2025, 10, 6), "中秋", "Mid-autumn Festival"),
        (date(2026, 2, 17), "春节", "Spring Festival"),
        (date(2025, 9, 28), None, None),  # a make-up workday is no holiday
        (date(2025, 10, 12), None, None),  # an ordinary Sunday
        (date(2025, 10, 9), None, None),
    ],
)
def test_holiday_name(day: date, zh: str | None, en: str | None) -> None:
    assert holiday_name(day) == zh
    assert holiday_name(day, language="en") == en


def _assert_unknown_year(caught: pytest.ExceptionInfo[CalendarYearUnknown], year: int) -> None:
    assert caught.value.code == "calendar_year_unknown"
    assert caught.value.message("zh-hans") == (
        f"工作日历没有 {year} 年的节假日安排（仅支持 {FIRST_KNOWN_YEAR}–{LAST_KNOWN_YEAR} 年）"
    )
    assert caught.value.message("en") == (
        f"The working-day calendar has no holiday schedule for {year} "
        f"(it knows {FIRST_KNOWN_YEAR}–{LAST_KNOWN_YEAR} only)"
    )


@pytest.mark.parametrize("year", [FIRST_KNOWN_YEAR - 1, LAST_KNOWN_YEAR + 1, 1990])
def test_unknown_years_raise_instead_of_guessing(year: int) -> None:
    day = date(year, 6, 1)
    for call in (
        lambda: is_working_day(day),
        lambda: holiday_name(day),
        lambda: add_working_days(start=day, count=1),
        lambda: working_days_between(start=day, end=day + timedelta(days=7)),
    ):
        with pytest.raises(CalendarYearUnknown) as caught:
            call()
        _assert_unknown_year(caught, year)


def test_stepping_past_the_last_known_year_raises() -> None:
    with pytest.raises(CalendarYearUnknown) as caught:
        add_working_days(start=date(LAST_KNOWN_YEAR, 12, 31), count=1)
    _assert_unknown_year(caught, LAST_KNOWN_YEAR + 1)
    with pytest.raises(CalendarYearUnknown) as caught:
        working_days_between(start=date(LAST_KNOWN_YEAR, 12, 1), end=date(LAST_KNOWN_YEAR + 1, 1, 2))
    _assert_unknown_year(caught, LAST_KNOWN_YEAR + 1)


def test_datetimes_are_refused_so_a_time_zone_cannot_shift_the_day() -> None:
    with pytest.raises(TypeError, match=r"convert with clock\.local_date"):
        is_working_day(datetime(2025, 10, 9, 1, 0, tzinfo=SHANGHAI))
