"""Energy: kWh as a Decimal with one fixed scale, the 0.01 kWh of register readings and usage."""

from __future__ import annotations

from decimal import Decimal

from gridcare.kit.decimals import (
    DecimalInput,
    fits_int64,
    is_multiple_of,
    quantize_half_up,
    read_written_number,
)
from gridcare.kit.errors import GridCareError

ENERGY_SCALE = Decimal("0.01")


class EnergyInvalid(GridCareError):
    """Text that is not a non-negative kWh quantity exact to 0.01 kWh."""

    code = "energy_invalid"
    message_zh = "电量“{value}”无效：{reason_zh}"
    message_en = 'Energy "{value}" is invalid: {reason_en}'


def quantize_energy(value: DecimalInput) -> Decimal:
    """``value`` kWh rounded to 0.01 kWh with ROUND_HALF_UP.

    WARNING: issued bills depend on this result; never change the scale or the rounding rule.
    """
    return quantize_half_up(value, scale=ENERGY_SCALE)


def parse_energy(text: str, *, field: str | None = None) -> Decimal:
    """The kWh typed or imported as ``text`` (``"1234.5"``, ``"1,234.56"``), or :class:`EnergyInvalid`.

    Refuses negatives, garbage and anything finer than 0.01 kWh rather than rounding it away.
    """
    stripped = text.strip()
    if not stripped:
        raise _energy_invalid(text, field, "不能为空", "it is empty")
    if stripped.startswith("-") and read_written_number(stripped[1:].strip()) is not None:
        raise _energy_invalid(text, field, "不能为负数", "it is negative")
    number = read_written_number(stripped)
    if number is None:
        raise _energy_invalid(
            text,
            field,
            "不是电量，应写成 1234.56 或 1,234.56 这样的千瓦时数",
            "it is not a quantity of energy; write the kWh like 1234.56 or 1,234.56",
        )
    if not fits_int64(number, ENERGY_SCALE):
        raise _energy_invalid(text, field, "电量过大", "it is too large")
    if not is_multiple_of(number, ENERGY_SCALE):
        raise _energy_invalid(
            text, field, "最多两位小数（精确到 0.01 千瓦时）", "it has more than 2 decimal places (0.01 kWh)"
        )
    return quantize_energy(number)


def _energy_invalid(text: str, field: str | None, reason_zh: str, reason_en: str) -> EnergyInvalid:
    return EnergyInvalid(field=field, value=text, reason_zh=reason_zh, reason_en=reason_en)
