"""Which time-of-use period each moment falls in, by a tariff's schedule (Asia/Shanghai).

A schedule's rules are read in order; for each minute of a day the first rule that matches the
day and whose hour ranges cover the minute decides, and minutes no rule covers take the
schedule's default period (docs/tariffs.md). Register reads arrive already split by period;
this is for interval reads, which are aggregated to periods here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from gridcare.billing.engine.tariff import DayKind, HourRange, ScheduleRule, TOUSchedule
from gridcare.kit.calendar import holiday_name, is_working_day
from gridcare.kit.clock import to_local

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, kw_only=True)
class Segment:
    """Minutes ``[start_minute, end_minute)`` of a day in ``period``."""

    start_minute: int
    end_minute: int
    period: str


def _minute(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _covered_minutes(hours: HourRange) -> range | tuple[range, range]:
    start, end = _minute(hours.start), _minute(hours.end)
    if start < end:
        return range(start, end)
    # A range that wraps midnight: the evening part and the morning part of the same day.
    return (range(start, MINUTES_PER_DAY), range(0, end))


def _rule_matches(*, rule: ScheduleRule, day: date, schedule: TOUSchedule) -> bool:
    if rule.months and day.month not in rule.months:
        return False
    kind = rule.days
    if kind in schedule.day_types:
        day_type = schedule.day_types[kind]
        return day.month in day_type.months or day in day_type.dates
    if kind == DayKind.ALL:
        return True
    if kind == DayKind.WEEKDAY:
        return day.weekday() < 5
    if kind == DayKind.WEEKEND:
        return day.weekday() >= 5
    if kind == DayKind.WORKING_DAY:
        return is_working_day(day)
    if kind == DayKind.REST_DAY:
        return not is_working_day(day)
    if kind == DayKind.HOLIDAY:
        return holiday_name(day) is not None
    raise ValueError(f"Unknown day kind {kind!r}: the tariff document should have refused it.")


def day_segments(*, schedule: TOUSchedule, day: date) -> tuple[Segment, ...]:
    """The periods of ``day`` (local) as consecutive segments covering its 1,440 minutes."""
    periods: list[str | None] = [None] * MINUTES_PER_DAY
    for rule in schedule.rules:
        if not _rule_matches(rule=rule, day=day, schedule=schedule):
            continue
        for hours in rule.hours:
            covered = _covered_minutes(hours)
            for minutes in covered if isinstance(covered, tuple) else (covered,):
                for minute in minutes:
                    if periods[minute] is None:
                        periods[minute] = hours.period
    segments: list[Segment] = []
    start = 0
    for minute in range(1, MINUTES_PER_DAY + 1):
        if minute == MINUTES_PER_DAY or periods[minute] != periods[start]:
            segments.append(
                Segment(
                    start_minute=start, end_minute=minute, period=periods[start] or schedule.default_period
                )
            )
            start = minute
    return _merged(segments)


def _merged(segments: Iterable[Segment]) -> tuple[Segment, ...]:
    """Neighbouring segments of one period joined (a default-period gap beside a rule's range)."""
    merged: list[Segment] = []
    for segment in segments:
        if merged and merged[-1].period == segment.period:
            merged[-1] = Segment(
                start_minute=merged[-1].start_minute, end_minute=segment.end_minute, period=segment.period
            )
        else:
            merged.append(segment)
    return tuple(merged)


def period_at(*, schedule: TOUSchedule, moment: datetime) -> str:
    """The period ``moment`` (aware; read in Asia/Shanghai) falls in."""
    local = to_local(moment)
    minute = local.hour * 60 + local.minute
    return next(
        segment.period
        for segment in day_segments(schedule=schedule, day=local.date())
        if segment.start_minute <= minute < segment.end_minute
    )


def kwh_by_period(
    *, schedule: TOUSchedule, start: datetime, step_minutes: int, kwh: Iterable[Decimal]
) -> Mapping[str, Decimal]:
    """Interval energy summed per period: the ``n``-th value is the kWh of
    ``[start + n·step, start + (n+1)·step)``, assigned to the period of its first minute (steps
    divide the hour, so no interval straddles a period boundary on the minute grid)."""
    if step_minutes <= 0 or (60 % step_minutes and step_minutes % 60):
        raise ValueError("step_minutes must divide an hour or be whole hours")
    totals: defaultdict[str, Decimal] = defaultdict(Decimal)
    segments_of_day: dict[date, tuple[Segment, ...]] = {}
    moment = to_local(start)
    step = timedelta(minutes=step_minutes)
    for value in kwh:
        day = moment.date()
        if day not in segments_of_day:
            segments_of_day[day] = day_segments(schedule=schedule, day=day)
        minute = moment.hour * 60 + moment.minute
        period = next(s.period for s in segments_of_day[day] if s.start_minute <= minute < s.end_minute)
        totals[period] += value
        moment += step
    return dict(totals)


__all__ = ["MINUTES_PER_DAY", "Segment", "day_segments", "kwh_by_period", "period_at"]
