"""Half-open periods ``[start, end)`` of dates or aware datetimes; ``end=None`` means open-ended."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, TypeAlias, TypeVar

from gridcare.kit.clock import require_aware
from gridcare.kit.errors import GridCareError

Moment = TypeVar("Moment", date, datetime)


class PeriodInvalid(GridCareError):
    """A period whose start is not before its end."""

    code = "period_invalid"
    message_zh = "期间无效：开始 {start} 必须早于结束 {end}"
    message_en = "Invalid period: the start {start} must be before the end {end}"


@dataclass(frozen=True, slots=True)
class Period(Generic[Moment]):
    """The moments ``start <= x < end`` (every moment from ``start`` on when ``end`` is None).

    Both bounds are dates or both are aware datetimes; an empty or inverted period is refused.
    """

    start: Moment
    end: Moment | None = None

    def __post_init__(self) -> None:
        bounds = (self.start,) if self.end is None else (self.start, self.end)
        if len({isinstance(bound, datetime) for bound in bounds}) > 1:
            raise TypeError(f"period bounds mix a date and a datetime: {self.start!r}, {self.end!r}")
        for bound in bounds:
            if isinstance(bound, datetime):
                require_aware(bound)
        if self.end is not None and not self.start < self.end:
            raise PeriodInvalid(start=self.start, end=self.end)

    def contains(self, moment: Moment) -> bool:
        """Whether ``moment`` lies in the period (the end itself does not)."""
        return self.start <= moment and (self.end is None or moment < self.end)

    def overlaps(self, other: Period[Moment]) -> bool:
        """Whether the two periods share at least one moment (touching ends do not overlap)."""
        return self.intersection(other) is not None

    def intersection(self, other: Period[Moment]) -> Period[Moment] | None:
        """The moments in both periods, or None when they do not overlap."""
        start = max(self.start, other.start)
        ends = [end for end in (self.end, other.end) if end is not None]
        end = min(ends) if ends else None
        if end is not None and end <= start:
            return None
        return Period(start=start, end=end)

    @property
    def days(self) -> int:
        """The number of days in a closed date period (``[Oct 1, Oct 8)`` has 7)."""
        if isinstance(self.start, datetime):
            raise TypeError("days counts date periods; subtract the bounds of a datetime period")
        if self.end is None:
            raise ValueError(f"the open-ended period from {self.start} has no day count")
        return (self.end - self.start).days


DatePeriod: TypeAlias = Period[date]
DateTimePeriod: TypeAlias = Period[datetime]


def month_period(*, year: int, month: int) -> DatePeriod:
    """The calendar month ``[first day, first day of the next month)``."""
    first_day = date(year, month, 1)
    next_first_day = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(start=first_day, end=next_first_day)


def billing_months(period: DatePeriod) -> Iterator[tuple[int, int]]:
    """The ``(year, month)`` of every calendar month the closed date ``period`` touches, in order."""
    if period.end is None:
        raise ValueError(f"the open-ended period from {period.start} has no last month")
    last_day = period.end - timedelta(days=1)
    year, month = period.start.year, period.start.month
    while (year, month) <= (last_day.year, last_day.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
