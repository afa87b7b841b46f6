"""Packing interval days: exact round trips, the bitmap, and refused input."""

from __future__ import annotations

import struct
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridcare.metering.errors import IntervalValuesInvalid
from gridcare.metering.intervals import (
    day_total,
    intervals_per_day,
    missing_count,
    pack_day,
    unpack_day,
)

THOUSANDTHS = st.integers(min_value=-(2**31), max_value=2**31 - 1).map(
    lambda count: Decimal(count).scaleb(-3)
)


@st.composite
def days(draw: st.DrawFn) -> tuple[int, list[Decimal | None]]:
    interval_minutes = draw(st.sampled_from([15, 30, 60]))
    count = 1440 // interval_minutes
    values = draw(st.lists(st.none() | THOUSANDTHS, min_size=count, max_size=count))
    return interval_minutes, values


@given(days())
def test_pack_then_unpack_returns_the_same_values(day: tuple[int, list[Decimal | None]]) -> None:
    interval_minutes, values = day
    packed = pack_day(interval_minutes=interval_minutes, values=values)
    assert len(packed.values) == 4 * len(values)
    assert len(packed.missing) == len(values) // 8
    assert (
        unpack_day(interval_minutes=interval_minutes, values=packed.values, missing=packed.missing) == values
    )
    assert day_total(interval_minutes=interval_minutes, values=packed.values, missing=packed.missing) == sum(
        (value for value in values if value is not None), Decimal(0)
    )
    assert missing_count(interval_minutes=interval_minutes, missing=packed.missing) == values.count(None)


def test_layout_is_little_endian_thousandths_and_lsb_first_bitmap() -> None:
    values: list[Decimal | None] = [Decimal("1.5"), None, Decimal("-0.001")] + [Decimal(0)] * 20 + [None]
    packed = pack_day(interval_minutes=60, values=values)
    assert packed.values[:12] == struct.pack("<3i", 1500, 0, -1)
    assert packed.values[:4] == bytes([0xDC, 0x05, 0x00, 0x00])
    # Interval 1 is bit 1 of byte 0; interval 23 is bit 7 of byte 2.
    assert packed.missing == bytes([0b0000_0010, 0, 0b1000_0000])


def test_day_total_of_a_15_minute_day_is_exact() -> None:
    values: list[Decimal | None] = [Decimal("0.125")] * 95 + [None]
    packed = pack_day(interval_minutes=15, values=values)
    assert day_total(interval_minutes=15, values=packed.values, missing=packed.missing) == Decimal("11.875")
    assert missing_count(interval_minutes=15, missing=packed.missing) == 1


@pytest.mark.parametrize(("interval_minutes", "count"), [(15, 96), (30, 48), (60, 24)])
def test_a_shanghai_day_has_a_fixed_number_of_intervals(interval_minutes: int, count: int) -> None:
    assert intervals_per_day(interval_minutes=interval_minutes) == count


@pytest.mark.parametrize("interval_minutes", [0, 5, 45, 1440])
def test_unknown_interval_is_refused(interval_minutes: int) -> None:
    with pytest.raises(IntervalValuesInvalid) as refused:
        intervals_per_day(interval_minutes=interval_minutes)
    assert refused.value.field == "interval_minutes"


@pytest.mark.parametrize("length", [0, 23, 25, 48, 96])
def test_wrong_number_of_values_is_refused(length: int) -> None:
    with pytest.raises(IntervalValuesInvalid) as refused:
        pack_day(interval_minutes=60, values=[Decimal(1)] * length)
    assert refused.value.message("en") == (
        f"Interval values are invalid: a day of 60-minute intervals has 24 values, not {length}"
    )


@pytest.mark.parametrize(
    ("value", "reason_en"),
    [
        (Decimal("0.0001"), "has more than 3 decimal places"),
        (Decimal("2147483.648"), "is outside the storable range"),
        (Decimal("-2147483.649"), "is outside the storable range"),
        (Decimal("NaN"), "is not a finite Decimal"),
        (1.5, "is not a finite Decimal"),
    ],
)
def test_values_that_cannot_be_stored_exactly_are_refused(value: object, reason_en: str) -> None:
    values = [Decimal(0)] * 24
    values[5] = value  # type: ignore[call-overload]
    with pytest.raises(IntervalValuesInvalid) as refused:
        pack_day(interval_minutes=60, values=values)
    assert refused.value.message("en") == f"Interval values are invalid: value 6 ({value}) {reason_en}"


def test_storable_extremes_are_kept() -> None:
    values: list[Decimal | None] = [Decimal("2147483.647"), Decimal("-2147483.648")] + [Decimal(0)] * 22
    packed = pack_day(interval_minutes=60, values=values)
    assert unpack_day(interval_minutes=60, values=packed.values, missing=packed.missing) == values


@pytest.mark.parametrize(("values_length", "missing_length"), [(95, 3), (96, 2), (96, 4)])
def test_blobs_of_the_wrong_size_are_refused(values_length: int, missing_length: int) -> None:
    with pytest.raises(IntervalValuesInvalid):
        unpack_day(interval_minutes=60, values=bytes(values_length), missing=bytes(missing_length))


def test_precision_beyond_the_decimal_context_is_still_refused() -> None:
    values = [Decimal(0)] * 24
    values[0] = Decimal("1.000000000000000000000000000000001")  # 34 significant digits
    with pytest.raises(IntervalValuesInvalid):
        pack_day(interval_minutes=60, values=values)
    values[0] = Decimal("1.500000000000000000000000000000000")
    assert pack_day(interval_minutes=60, values=values).values[:4] == struct.pack("<i", 1500)
