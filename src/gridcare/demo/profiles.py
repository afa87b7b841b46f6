"""Load shapes of the demo utility: how much of a customer's usual day each calendar day and
each quarter hour gets, by usage category.

Daily weights average about 1 over a year: residential peaks in summer (air conditioning) and
winter (heating), commerce follows the weekday and the holidays, industry dips over the
Spring Festival and ramps up the week after, agriculture follows irrigation.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import cache

from gridcare.customers.models import UsageCategory
from gridcare.kit.calendar import CalendarYearUnknown, holiday_name

_SPRING_FESTIVAL = "Spring Festival"
#: Monthly level (January first) by category, before weekday and holiday effects.
_MONTHLY_LEVEL: dict[UsageCategory, tuple[float, ...]] = {
    UsageCategory.RESIDENTIAL: (1.22, 1.12, 0.92, 0.80, 0.84, 1.02, 1.36, 1.42, 1.02, 0.80, 0.86, 1.10),
    UsageCategory.GENERAL_COMMERCIAL: (
        1.04,
        0.96,
        0.95,
        0.92,
        0.95,
        1.06,
        1.22,
        1.25,
        1.04,
        0.93,
        0.94,
        1.03,
    ),
    UsageCategory.LARGE_INDUSTRY: (1.00, 1.00, 1.00, 0.99, 0.99, 1.02, 1.05, 1.05, 1.01, 0.98, 0.98, 1.00),
    UsageCategory.AGRICULTURE: (0.40, 0.50, 0.90, 1.50, 1.60, 1.30, 1.50, 1.40, 1.00, 0.80, 0.60, 0.50),
}
#: (Saturday, Sunday) factors.
_WEEKEND: dict[UsageCategory, tuple[float, float]] = {
    UsageCategory.RESIDENTIAL: (1.06, 1.08),
    UsageCategory.GENERAL_COMMERCIAL: (0.85, 0.80),
    UsageCategory.LARGE_INDUSTRY: (0.96, 0.90),
    UsageCategory.AGRICULTURE: (1.00, 1.00),
}
#: (Spring Festival holiday, other national holiday, week after the Spring Festival) factors.
_HOLIDAY: dict[UsageCategory, tuple[float, float, float]] = {
    UsageCategory.RESIDENTIAL: (1.10, 1.05, 1.00),
    UsageCategory.GENERAL_COMMERCIAL: (0.55, 0.75, 0.85),
    UsageCategory.LARGE_INDUSTRY: (0.30, 0.80, 0.65),
    UsageCategory.AGRICULTURE: (0.80, 1.00, 1.00),
}
_WEEK_AFTER_SPRING_FESTIVAL = 7


def _holiday(day: date) -> str | None:
    try:
        return holiday_name(day, language="en")
    except CalendarYearUnknown:
        # Outside the published years the shape simply has no holidays.
        return None


def _days_after_spring_festival(day: date) -> int | None:
    """1 on the first day after the Spring Festival holiday, 2 on the next …, else None."""
    for days_after in range(1, _WEEK_AFTER_SPRING_FESTIVAL + 1):
        if _holiday(day - timedelta(days=days_after)) == _SPRING_FESTIVAL:
            return days_after if _holiday(day) != _SPRING_FESTIVAL else None
    return None


def _seasonal_level(category: UsageCategory, day: date) -> float:
    """The monthly level interpolated between the middles of the months, so months blend."""
    levels = _MONTHLY_LEVEL[category]
    month_index = day.month - 1
    middle = date(day.year, day.month, 15)
    neighbour = month_index + (1 if day >= middle else -1)
    fraction = abs((day - middle).days) / 30.5
    return levels[month_index] * (1 - fraction) + levels[neighbour % 12] * fraction


@cache
def daily_weight(category: UsageCategory, day: date) -> float:
    """The share of a usual day's energy the customer uses on ``day`` (about 1 on average)."""
    weight = _seasonal_level(category, day)
    if day.weekday() >= 5:
        weight *= _WEEKEND[category][day.weekday() - 5]
    holiday = _holiday(day)
    spring_festival, other_holiday, week_after = _HOLIDAY[category]
    if holiday == _SPRING_FESTIVAL:
        weight *= spring_festival
    elif holiday is not None:
        weight *= other_holiday
    elif _days_after_spring_festival(day) is not None:
        weight *= week_after
    return weight


@cache
def period_weight(category: UsageCategory, start: date, end: date) -> float:
    """The sum of :func:`daily_weight` over the days of ``[start, end)``."""
    return math.fsum(
        daily_weight(category, start + timedelta(days=offset)) for offset in range((end - start).days)
    )


#: Quarter-hour shapes of large customers: one shift, two shifts, round the clock.
INTERVALS_PER_DAY = 96


def _shape(hourly: tuple[float, ...]) -> tuple[float, ...]:
    """96 quarter-hour weights from 24 hourly levels, normalized to sum to 1."""
    quarter_hours = [hourly[position // 4] for position in range(INTERVALS_PER_DAY)]
    total = math.fsum(quarter_hours)
    return tuple(weight / total for weight in quarter_hours)


INTERVAL_SHAPES: tuple[tuple[float, ...], ...] = (
    _shape((0.30,) * 7 + (0.7, 1.0, 1.0, 1.0, 0.9, 0.6, 1.0, 1.0, 1.0, 0.9, 0.6) + (0.35,) * 6),
    _shape(
        (0.35,) * 6
        + (0.6, 0.9, 1.0, 1.0, 1.0, 0.95, 0.8, 1.0, 1.0, 1.0, 1.0, 0.95, 0.9, 0.9, 0.85, 0.8)
        + (0.5, 0.4)
    ),
    _shape((0.90,) * 7 + (1.0,) * 12 + (0.95,) * 5),
)


def split_exactly(total: int, weights: list[float] | tuple[float, ...]) -> list[int]:
    """``total`` split into integers proportional to ``weights`` that add up to ``total`` exactly
    (cumulative rounding, so no part drifts by more than one unit)."""
    weight_sum = math.fsum(weights)
    parts: list[int] = []
    running = 0.0
    previous = 0
    for weight in weights:
        running += weight
        boundary = round(total * running / weight_sum)
        parts.append(boundary - previous)
        previous = boundary
    parts[-1] += total - previous
    return parts
