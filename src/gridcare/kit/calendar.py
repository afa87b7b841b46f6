"""The China working-day calendar: weekends, national holidays and 调休 make-up workdays.

The data comes from the ``chinese_calendar`` package, which knows the years the State Council
has published. Outside them we raise :class:`CalendarYearUnknown` rather than guess, because a
wrong working day moves an SLA deadline.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import chinese_calendar

from gridcare.kit.errors import GridCareError

FIRST_KNOWN_YEAR: int = min(day.year for day in chinese_calendar.holidays)
LAST_KNOWN_YEAR: int = max(day.year for day in chinese_calendar.holidays)


class CalendarYearUnknown(GridCareError):
    """A date in a year whose holidays the calendar does not know."""

    code = "calendar_year_unknown"
    message_zh = "工作日历没有 {year} 年的节假日安排（仅支持 {first_year}–{last_year} 年）"
    message_en = (
        "The working-day calendar has no holiday schedule for {year} (it knows {first_year}–{last_year} only)"
    )


def _is_working_day_in_data(day: date) -> bool:
    # The package's own rule, on its published data: a make-up workday works, else Monday to
    # Friday work unless they are holidays.
    return day in chinese_calendar.workdays or (day.weekday() < 5 and day not in chinese_calendar.holidays)


def _every_known_day() -> Iterator[date]:
    day, last_day = date(FIRST_KNOWN_YEAR, 1, 1), date(LAST_KNOWN_YEAR, 12, 31)
    while day <= last_day:
        yield day
        day += timedelta(days=1)


# Every working day of the known years, sorted, so counting and stepping are binary searches.
_WORKING_DAYS: tuple[date, ...] = tuple(filter(_is_working_day_in_data, _every_known_day()))


def _require_known(day: date) -> date:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a date, not {type(day).__name__}: convert with clock.local_date")
    if not FIRST_KNOWN_YEAR <= day.year <= LAST_KNOWN_YEAR:
        raise CalendarYearUnknown(year=day.year, first_year=FIRST_KNOWN_YEAR, last_year=LAST_KNOWN_YEAR)
    return day


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day in mainland China (make-up Saturdays/Sundays included)."""
    _require_known(day)
    index = bisect_left(_WORKING_DAYS, day)
    return index < len(_WORKING_DAYS) and _WORKING_DAYS[index] == day


def add_working_days(*, start: date, count: int) -> date:
    """The ``count``-th working day after ``start``; ``start`` itself never counts.

    SLA convention: the day of acceptance does not count, so a 3-working-day limit on an order
    accepted on ``start`` ends on ``add_working_days(start=start, count=3)``. ``count=0`` gives
    ``start`` back. For a working ``start``, ``working_days_between(start=start, end=result)``
    equals ``count``.
    """
    if count < 0:
        raise ValueError(f"count must be zero or more, not {count}")
    _require_known(start)
    if count == 0:
        return start
    index = bisect_right(_WORKING_DAYS, start) + count - 1
    if index >= len(_WORKING_DAYS):
        raise CalendarYearUnknown(
            year=LAST_KNOWN_YEAR + 1, first_year=FIRST_KNOWN_YEAR, last_year=LAST_KNOWN_YEAR
        )
    return _WORKING_DAYS[index]


def working_days_between(*, start: date, end: date) -> int:
    """The number of working days in ``[start, end)``: ``start`` counts, ``end`` does not."""
    _require_known(start)
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if end > start:
        _require_known(end - timedelta(days=1))
    return bisect_left(_WORKING_DAYS, end) - bisect_left(_WORKING_DAYS, start)


def holiday_name(day: date, *, language: str = "zh-hans") -> str | None:
    """The name of the national holiday ``day`` is a day off for (``国庆节``), else None.

    Make-up workdays and ordinary weekends have no holiday name.
    """
    _require_known(day)
    english_name: str | None = chinese_calendar.holidays.get(day)
    if english_name is None:
        return None
    if language.lower().startswith("en"):
        return english_name
    return str(chinese_calendar.Holiday(english_name).chinese)
