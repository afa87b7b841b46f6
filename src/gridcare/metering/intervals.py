"""Packing a day of interval reads into :class:`~gridcare.metering.models.IntervalReadDay` blobs.

Pure: no database, no clock. A day's ``values`` blob is ``intervals_per_day`` little-endian
signed 32-bit integers counting thousandths of the quantity (Wh for kWh, W for kW), so any
value from -2147483.648 to 2147483.647 that is a whole number of 0.001 is stored exactly. The
``missing`` blob is a bitmap, one bit per interval, least significant bit first (interval ``i``
is bit ``i % 8`` of byte ``i // 8``); a missing interval stores 0 in ``values``.

Business days are Asia/Shanghai days, which have no daylight saving time: every day has
exactly 96, 48 or 24 intervals of 15, 30 or 60 minutes.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from gridcare.metering.errors import IntervalValuesInvalid

MINUTES_PER_DAY = 24 * 60
INTERVAL_MINUTES = (15, 30, 60)
VALUE_SCALE = Decimal("0.001")
_SMALLEST = Decimal(-(2**31)).scaleb(-3)
_LARGEST = Decimal(2**31 - 1).scaleb(-3)


@dataclass(frozen=True)
class PackedDay:
    """The two blobs of one :class:`IntervalReadDay`."""

    values: bytes
    missing: bytes


def intervals_per_day(*, interval_minutes: int) -> int:
    """96, 48 or 24 for 15-, 30- or 60-minute intervals; :class:`IntervalValuesInvalid` otherwise."""
    if interval_minutes not in INTERVAL_MINUTES:
        raise IntervalValuesInvalid(
            field="interval_minutes",
            reason_zh=f"采集间隔 {interval_minutes} 分钟无效，应为 15、30 或 60 分钟",
            reason_en=f"an interval of {interval_minutes} minutes is not 15, 30 or 60",
        )
    return MINUTES_PER_DAY // interval_minutes


def missing_bitmap_length(*, interval_count: int) -> int:
    """Bytes of the missing-interval bitmap for ``interval_count`` intervals (12, 6 or 3)."""
    return (interval_count + 7) // 8


def pack_day(*, interval_minutes: int, values: Sequence[Decimal | None]) -> PackedDay:
    """Pack one day's values (``None`` = not collected) into the ``values`` and ``missing`` blobs.

    Refuses a sequence of the wrong length for the interval, values that are not Decimals
    (floats are never exact), not whole thousandths, or beyond a signed 32-bit count.
    """
    expected = intervals_per_day(interval_minutes=interval_minutes)
    if len(values) != expected:
        raise IntervalValuesInvalid(
            field="values",
            reason_zh=f"{interval_minutes} 分钟间隔一天应有 {expected} 个值，实际 {len(values)} 个",
            reason_en=(
                f"a day of {interval_minutes}-minute intervals has {expected} values, not {len(values)}"
            ),
        )
    counts: list[int] = []
    missing = bytearray(missing_bitmap_length(interval_count=expected))
    for position, value in enumerate(values):
        if value is None:
            counts.append(0)
            missing[position // 8] |= 1 << (position % 8)
        else:
            counts.append(_to_thousandths(position=position, value=value))
    return PackedDay(values=struct.pack(f"<{expected}i", *counts), missing=bytes(missing))


def _to_thousandths(*, position: int, value: Decimal) -> int:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise _value_invalid(position, value, "不是有效的十进制数", "is not a finite Decimal")
    if not _SMALLEST <= value <= _LARGEST:
        raise _value_invalid(position, value, "超出可存储范围", "is outside the storable range")
    # Exact, whatever the decimal context's precision: digits below the thousandth must be zeros.
    _, digits, exponent = value.as_tuple()
    digits_below_thousandth = -3 - int(exponent)
    if digits_below_thousandth > 0 and any(digits[-digits_below_thousandth:]):
        raise _value_invalid(position, value, "小数超过 3 位", "has more than 3 decimal places")
    return int(value.scaleb(3))


def _value_invalid(position: int, value: object, reason_zh: str, reason_en: str) -> IntervalValuesInvalid:
    return IntervalValuesInvalid(
        field="values",
        reason_zh=f"第 {position + 1} 个值 {value} {reason_zh}",
        reason_en=f"value {position + 1} ({value}) {reason_en}",
    )


def unpack_day(*, interval_minutes: int, values: bytes, missing: bytes) -> list[Decimal | None]:
    """The day's values from its blobs, ``None`` where the bitmap marks an interval missing."""
    counts = _unpack_counts(interval_minutes=interval_minutes, values=values)
    missing_positions = _missing_positions(interval_count=len(counts), missing=missing)
    return [
        None if position in missing_positions else _from_thousandths(count)
        for position, count in enumerate(counts)
    ]


def day_total(*, interval_minutes: int, values: bytes, missing: bytes) -> Decimal:
    """The sum of the day's collected values, in the stored unit, exact to 0.001.

    For an energy day (kWh per interval) this is the day's kWh. Missing intervals count as
    nothing (they store 0); callers that must not bill a partial day check :func:`missing_count`.
    """
    counts = _unpack_counts(interval_minutes=interval_minutes, values=values)
    _missing_positions(interval_count=len(counts), missing=missing)
    return _from_thousandths(sum(counts))


def missing_count(*, interval_minutes: int, missing: bytes) -> int:
    """How many intervals of the day were not collected."""
    interval_count = intervals_per_day(interval_minutes=interval_minutes)
    return len(_missing_positions(interval_count=interval_count, missing=missing))


def _unpack_counts(*, interval_minutes: int, values: bytes) -> tuple[int, ...]:
    expected = intervals_per_day(interval_minutes=interval_minutes)
    if len(values) != expected * 4:
        raise IntervalValuesInvalid(
            field="values",
            reason_zh=f"数据块长度 {len(values)} 字节，应为 {expected * 4} 字节",
            reason_en=f"the values blob has {len(values)} bytes, not {expected * 4}",
        )
    return struct.unpack(f"<{expected}i", values)


def _missing_positions(*, interval_count: int, missing: bytes) -> frozenset[int]:
    expected = missing_bitmap_length(interval_count=interval_count)
    if len(missing) != expected:
        raise IntervalValuesInvalid(
            field="missing",
            reason_zh=f"缺数位图长度 {len(missing)} 字节，应为 {expected} 字节",
            reason_en=f"the missing-interval bitmap has {len(missing)} bytes, not {expected}",
        )
    return frozenset(
        position for position in range(interval_count) if missing[position // 8] >> (position % 8) & 1
    )


def _from_thousandths(count: int) -> Decimal:
    return Decimal(count).scaleb(-3)


__all__ = [
    "INTERVAL_MINUTES",
    "MINUTES_PER_DAY",
    "VALUE_SCALE",
    "PackedDay",
    "day_total",
    "intervals_per_day",
    "missing_bitmap_length",
    "missing_count",
    "pack_day",
    "unpack_day",
]
