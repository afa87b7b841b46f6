"""Periods of the reference tariffs' schedules, minute by minute at the edges (Asia/Shanghai)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gridcare.billing.engine.schedule import Segment, day_segments, kwh_by_period, period_at
from gridcare.billing.engine.tariff import TariffDocument, TOUSchedule, parse_tariff_document

CATALOG = Path(__file__).resolve().parents[3] / "src" / "gridcare" / "tariffs" / "catalog"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def schedule_of(code: str) -> TOUSchedule:
    document: TariffDocument = parse_tariff_document(json.loads((CATALOG / f"{code}.json").read_text()))
    assert document.schedule is not None
    return document.schedule


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def test_guangdong_periods_on_an_ordinary_day() -> None:
    assert day_segments(schedule=schedule_of("DEMO-GD-LI-2P"), day=date(2026, 3, 16)) == (
        Segment(start_minute=0, end_minute=480, period="valley"),
        Segment(start_minute=480, end_minute=600, period="flat"),
        Segment(start_minute=600, end_minute=720, period="peak"),
        Segment(start_minute=720, end_minute=840, period="flat"),
        Segment(start_minute=840, end_minute=1140, period="peak"),
        Segment(start_minute=1140, end_minute=1440, period="flat"),
    )


def test_guangdong_critical_peak_hours_in_july_to_september_and_on_listed_dates() -> None:
    july = date(2026, 7, 15)
    assert day_segments(schedule=schedule_of("DEMO-GD-LI-2P"), day=july) == (
        Segment(start_minute=0, end_minute=480, period="valley"),
        Segment(start_minute=480, end_minute=600, period="flat"),
        Segment(start_minute=600, end_minute=660, period="peak"),
        Segment(start_minute=660, end_minute=720, period="sharp"),
        Segment(start_minute=720, end_minute=840, period="flat"),
        Segment(start_minute=840, end_minute=900, period="peak"),
        Segment(start_minute=900, end_minute=1020, period="sharp"),
        Segment(start_minute=1020, end_minute=1140, period="peak"),
        Segment(start_minute=1140, end_minute=1440, period="flat"),
    )
    schedule = schedule_of("DEMO-GD-LI-2P")
    hot_day = schedule.model_copy(
        update={
            "day_types": {
                "critical_peak": schedule.day_types["critical_peak"].model_copy(
                    update={"dates": (date(2026, 6, 2),)}
                )
            }
        }
    )
    assert period_at(schedule=hot_day, moment=at(date(2026, 6, 2), 11, 30)) == "sharp"
    assert period_at(schedule=hot_day, moment=at(date(2026, 6, 3), 11, 30)) == "peak"
    assert period_at(schedule=schedule, moment=at(date(2026, 9, 30), 16, 59)) == "sharp"
    assert period_at(schedule=schedule, moment=at(date(2026, 10, 1), 16, 59)) == "peak"


@pytest.mark.parametrize(
    ("code", "hour", "minute", "period"),
    [
        ("CN-ZJ-RES-TOU", 7, 59, "valley"),
        ("CN-ZJ-RES-TOU", 8, 0, "peak"),
        ("CN-ZJ-RES-TOU", 21, 59, "peak"),
        ("CN-ZJ-RES-TOU", 22, 0, "valley"),
        ("CN-SH-RES-TOU", 5, 59, "valley"),
        ("CN-SH-RES-TOU", 6, 0, "peak"),
        ("CN-SH-RES-TOU", 22, 0, "valley"),
    ],
)
def test_residential_peak_and_valley_edges(code: str, hour: int, minute: int, period: str) -> None:
    assert period_at(schedule=schedule_of(code), moment=at(date(2026, 1, 5), hour, minute)) == period


def test_moments_are_read_in_beijing_time() -> None:
    # 23:30 UTC on 4 January is 07:30 on 5 January in Shanghai: still the valley.
    utc_moment = datetime(2026, 1, 4, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert period_at(schedule=schedule_of("CN-ZJ-RES-TOU"), moment=utc_moment) == "valley"
    assert (
        period_at(schedule=schedule_of("CN-ZJ-RES-TOU"), moment=utc_moment + timedelta(minutes=30)) == "peak"
    )


def test_quarter_hour_reads_are_summed_per_period() -> None:
    # One day of 96 quarter-hours of 0.25 kWh each on the Zhejiang schedule: 14 peak hours
    # (56 quarter-hours, 14 kWh) and 10 valley hours (40 quarter-hours, 10 kWh).
    totals = kwh_by_period(
        schedule=schedule_of("CN-ZJ-RES-TOU"),
        start=at(date(2026, 1, 5), 0),
        step_minutes=15,
        kwh=[Decimal("0.25")] * 96,
    )
    assert totals == {"valley": Decimal("10.00"), "peak": Decimal("14.00")}
