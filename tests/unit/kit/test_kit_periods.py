"""Half-open periods [start, end) of dates and aware datetimes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from gridcare.kit.clock import SHANGHAI, NaiveDatetimeError
from gridcare.kit.periods import Period, PeriodInvalid, billing_months, month_period

OCTOBER = Period(start=date(2025, 10, 1), end=date(2025, 11, 1))


@pytest.mark.parametrize("end", [date(2025, 10, 1), date(2025, 9, 30)])
def test_empty_and_inverted_periods_are_refused(end: date) -> None:
    with pytest.raises(PeriodInvalid) as caught:
        Period(start=date(2025, 10, 1), end=end)
    assert caught.value.message("zh-hans") == f"期间无效：开始 2025-10-01 必须早于结束 {end}"
    assert caught.value.message("en") == f"Invalid period: the start 2025-10-01 must be before the end {end}"


def test_bounds_must_be_both_dates_or_both_datetimes() -> None:
    with pytest.raises(TypeError, match="mix a date and a datetime"):
        Period(start=date(2025, 10, 1), end=datetime(2025, 11, 1, tzinfo=SHANGHAI))


def test_datetime_bounds_must_be_aware() -> None:
    with pytest.raises(NaiveDatetimeError):
        Period(start=datetime(2025, 10, 1), end=datetime(2025, 11, 1, tzinfo=SHANGHAI))
    with pytest.raises(NaiveDatetimeError):
        Period(start=datetime(2025, 10, 1, tzinfo=SHANGHAI), end=datetime(2025, 11, 1))


def test_periods_are_frozen_values() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        OCTOBER.end = None  # type: ignore[misc]
    assert Period(start=date(2025, 10, 1), end=date(2025, 11, 1)) == OCTOBER


def test_contains_includes_the_start_and_excludes_the_end() -> None:
    assert OCTOBER.contains(date(2025, 10, 1))
    assert OCTOBER.contains(date(2025, 10, 31))
    assert not OCTOBER.contains(date(2025, 11, 1))
    assert not OCTOBER.contains(date(2025, 9, 30))


def test_open_ended_period_contains_everything_from_its_start() -> None:
    from_october = Period(start=date(2025, 10, 1))
    assert from_october.end is None
    assert from_october.contains(date(9999, 12, 31))
    assert not from_october.contains(date(2025, 9, 30))


def test_contains_refuses_comparing_a_datetime_with_date_bounds() -> None:
    with pytest.raises(TypeError):
        OCTOBER.contains(datetime(2025, 10, 2, tzinfo=SHANGHAI))


def test_touching_periods_do_not_overlap() -> None:
    november = month_period(year=2025, month=11)
    assert not OCTOBER.overlaps(november)
    assert not november.overlaps(OCTOBER)
    assert OCTOBER.intersection(november) is None


def test_intersection_of_overlapping_periods() -> None:
    late_october_on = Period(start=date(2025, 10, 20), end=date(2025, 12, 1))
    expected = Period(start=date(2025, 10, 20), end=date(2025, 11, 1))
    assert OCTOBER.overlaps(late_october_on)
    assert OCTOBER.intersection(late_october_on) == expected
    assert late_october_on.intersection(OCTOBER) == expected


def test_intersection_with_open_ended_periods() -> None:
    from_mid_october = Period(start=date(2025, 10, 15))
    from_2026 = Period(start=date(2026, 1, 1))
    assert OCTOBER.intersection(from_mid_october) == Period(start=date(2025, 10, 15), end=date(2025, 11, 1))
    assert from_mid_october.intersection(from_2026) == from_2026
    assert OCTOBER.intersection(from_2026) is None
    assert OCTOBER.intersection(OCTOBER) == OCTOBER


def test_datetime_periods_compare_instants_across_time_zones() -> None:
    business_day = Period(
        start=datetime(2025, 10, 9, 0, 0, tzinfo=SHANGHAI), end=datetime(2025, 10, 10, 0, 0, tzinfo=SHANGHAI)
    )
    assert business_day.contains(datetime(2025, 10, 8, 16, 0, tzinfo=UTC))
    assert not business_day.contains(datetime(2025, 10, 8, 15, 59, 59, tzinfo=UTC))
    evening = Period(start=datetime(2025, 10, 9, 12, 0, tzinfo=UTC))
    assert business_day.intersection(evening) == Period(
        start=datetime(2025, 10, 9, 20, 0, tzinfo=SHANGHAI), end=datetime(2025, 10, 10, 0, 0, tzinfo=SHANGHAI)
    )


def test_days_counts_the_days_of_a_closed_date_period() -> None:
    assert OCTOBER.days == 31
    assert month_period(year=2024, month=2).days == 29
    assert month_period(year=2025, month=2).days == 28
    assert Period(start=date(2025, 10, 1), end=date(2025, 10, 2)).days == 1


def test_days_refuses_open_ended_and_datetime_periods() -> None:
    with pytest.raises(ValueError, match="open-ended period from 2025-10-01 has no day count"):
        _ = Period(start=date(2025, 10, 1)).days
    with pytest.raises(TypeError, match="days counts date periods"):
        _ = Period(
            start=datetime(2025, 10, 1, tzinfo=SHANGHAI), end=datetime(2025, 10, 2, tzinfo=SHANGHAI)
        ).days


def test_month_period() -> None:
    assert month_period(year=2025, month=10) == OCTOBER
    assert month_period(year=2025, month=12) == Period(start=date(2025, 12, 1), end=date(2026, 1, 1))
    with pytest.raises(ValueError, match=r"month must be in 1\.\.12"):
        month_period(year=2025, month=13)


@pytest.mark.parametrize(
    ("period", "months"),
    [
        (Period(start=date(2025, 11, 15), end=date(2026, 2, 1)), [(2025, 11), (2025, 12), (2026, 1)]),
        (
            Period(start=date(2025, 11, 15), end=date(2026, 2, 2)),
            [(2025, 11), (2025, 12), (2026, 1), (2026, 2)],
        ),
        (Period(start=date(2025, 10, 31), end=date(2025, 11, 1)), [(2025, 10)]),
        (month_period(year=2025, month=12), [(2025, 12)]),
    ],
)
def test_billing_months_lists_every_month_touched(
    period: Period[date], months: list[tuple[int, int]]
) -> None:
    assert list(billing_months(period)) == months


def test_billing_months_refuses_open_ended_periods() -> None:
    with pytest.raises(ValueError, match="has no last month"):
        list(billing_months(Period(start=date(2025, 10, 1))))
