"""The injectable clock and Asia/Shanghai business dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from gridcare.kit.clock import (
    SHANGHAI,
    Clock,
    FrozenClock,
    NaiveDatetimeError,
    SystemClock,
    local_date,
    local_midnight,
    require_aware,
    to_local,
)

NATIONAL_DAY_STARTS = datetime(2025, 9, 30, 16, 0, tzinfo=UTC)


def test_shanghai_is_utc_plus_eight_all_year() -> None:
    assert datetime(2025, 1, 15, tzinfo=SHANGHAI).utcoffset() == timedelta(hours=8)
    assert datetime(2025, 7, 15, tzinfo=SHANGHAI).utcoffset() == timedelta(hours=8)


def test_system_clock_reads_the_current_aware_instant() -> None:
    clock: Clock = SystemClock()
    before = datetime.now(tz=UTC)
    now = clock.now()
    after = datetime.now(tz=UTC)
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= after


def test_frozen_clock_stands_still_until_advanced() -> None:
    clock = FrozenClock(NATIONAL_DAY_STARTS)
    as_protocol: Clock = clock
    assert as_protocol.now() == NATIONAL_DAY_STARTS
    assert clock.now() == NATIONAL_DAY_STARTS
    clock.advance(timedelta(hours=1, minutes=30))
    assert clock.now() == datetime(2025, 9, 30, 17, 30, tzinfo=UTC)
    clock.advance(timedelta(days=-1))
    assert clock.now() == datetime(2025, 9, 29, 17, 30, tzinfo=UTC)


def test_frozen_clock_refuses_a_naive_datetime() -> None:
    with pytest.raises(NaiveDatetimeError, match="naive datetime 2025-10-01T00:00:00"):
        FrozenClock(datetime(2025, 10, 1))


def test_local_date_is_the_shanghai_business_date() -> None:
    assert local_date(NATIONAL_DAY_STARTS) == date(2025, 10, 1)
    assert local_date(NATIONAL_DAY_STARTS - timedelta(seconds=1)) == date(2025, 9, 30)
    assert local_date(datetime(2025, 10, 1, 23, 59, tzinfo=SHANGHAI)) == date(2025, 10, 1)


def test_to_local_keeps_the_instant() -> None:
    local = to_local(NATIONAL_DAY_STARTS)
    assert local == NATIONAL_DAY_STARTS
    assert (local.year, local.month, local.day, local.hour) == (2025, 10, 1, 0)
    assert local.tzinfo is SHANGHAI


def test_local_midnight_is_the_start_of_the_business_date() -> None:
    assert local_midnight(date(2025, 10, 1)) == NATIONAL_DAY_STARTS
    assert local_date(local_midnight(date(2025, 10, 1))) == date(2025, 10, 1)


@pytest.mark.parametrize("function", [require_aware, to_local, local_date])
def test_naive_datetimes_are_refused(function: object) -> None:
    with pytest.raises(NaiveDatetimeError, match="GridCare needs timezone-aware datetimes"):
        function(datetime(2025, 10, 1, 8, 0))  # type: ignore[operator]
