"""Load shapes, exact splits and the category mix arithmetic of the demo seeder."""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import date, timedelta

from gridcare.customers.models import UsageCategory
from gridcare.demo.draws import Draws, Weighted
from gridcare.demo.profiles import INTERVAL_SHAPES, daily_weight, period_weight, split_exactly
from gridcare.demo.seeding import largest_remainder
from gridcare.demo.tables import TABLE_FIELDS, Rows


def test_split_exactly_adds_up_and_follows_the_weights() -> None:
    assert split_exactly(100, [1, 1, 1]) == [33, 34, 33]
    assert split_exactly(0, [0.2, 0.8]) == [0, 0]
    parts = split_exactly(
        123_456_789, [daily_weight(UsageCategory.LARGE_INDUSTRY, date(2026, 2, d)) for d in range(1, 29)]
    )
    assert sum(parts) == 123_456_789
    assert all(part > 0 for part in parts)


def test_largest_remainder_gives_exact_counts() -> None:
    assert largest_remainder(200, [9200, 550, 80, 170], 10_000) == [184, 11, 2, 3]
    assert largest_remainder(100, [9200, 550, 80, 170], 10_000) == [92, 5, 1, 2]
    assert largest_remainder(1_000_000, [9200, 550, 80, 170], 10_000) == [920_000, 55_000, 8_000, 17_000]
    assert largest_remainder(7, [1, 1, 1], 3) == [3, 2, 2]


def test_daily_weights_average_about_one_over_a_year() -> None:
    year = [date(2025, 1, 1) + timedelta(days=offset) for offset in range(365)]
    for category in UsageCategory:
        average = math.fsum(daily_weight(category, day) for day in year) / 365
        assert 0.85 < average < 1.15, category


def test_residential_peaks_in_summer_and_winter_and_industry_dips_at_the_spring_festival() -> None:
    residential = UsageCategory.RESIDENTIAL
    august = period_weight(residential, date(2026, 8, 1), date(2026, 9, 1))
    april = period_weight(residential, date(2026, 4, 1), date(2026, 5, 1))
    january = period_weight(residential, date(2026, 1, 1), date(2026, 2, 1))
    assert august / 31 > 1.3 * april / 30
    assert january / 31 > 1.2 * april / 30
    industry = UsageCategory.LARGE_INDUSTRY
    # 2026's Spring Festival holiday is 15–23 February.
    assert daily_weight(industry, date(2026, 2, 17)) < 0.4 * daily_weight(industry, date(2026, 3, 17))
    february = period_weight(industry, date(2026, 2, 1), date(2026, 3, 1)) / 28
    march = period_weight(industry, date(2026, 3, 1), date(2026, 4, 1)) / 31
    assert february < 0.85 * march


def test_years_outside_the_holiday_calendar_still_have_a_shape() -> None:
    assert daily_weight(UsageCategory.LARGE_INDUSTRY, date(2040, 2, 13)) > 0


def test_interval_shapes_are_96_fractions_of_a_day() -> None:
    for shape in INTERVAL_SHAPES:
        assert len(shape) == 96
        assert math.isclose(math.fsum(shape), 1.0)


def test_draws_repeat_for_the_same_seed_and_stream() -> None:
    first, again, other = (Draws(seed=1, stream="x"), Draws(seed=1, stream="x"), Draws(seed=1, stream="y"))
    sequence = [first.integer(1, 6) for _ in range(50)]
    assert sequence == [again.integer(1, 6) for _ in range(50)]
    assert sequence != [other.integer(1, 6) for _ in range(50)]
    assert set(sequence) <= set(range(1, 7))
    weighted = Weighted.of([("a", 0), ("b", 1)])
    assert {first.weighted(weighted) for _ in range(50)} == {"b"}


def test_row_lists_match_the_tables_in_writing_order() -> None:
    assert [row_field.name for row_field in fields(Rows)] == list(TABLE_FIELDS)
