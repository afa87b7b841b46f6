"""Money: yuan as a Decimal quantized to the fen (分), or int64 fen inside the billing engine.

Floats are never money: every function here refuses them.
"""

from __future__ import annotations

import re
from decimal import Decimal

from gridcare.kit.decimals import (
    INT64_MAX,
    DecimalInput,
    fits_int64,
    is_multiple_of,
    quantize_half_up,
    read_written_number,
    to_decimal,
)
from gridcare.kit.errors import GridCareError

FEN = Decimal("0.01")

_MONEY_TEXT = re.compile(r"(?P<sign>[-+]?)\s*[¥￥]?\s*(?P<number>[\d.,]+)\s*元?")


class MoneyInvalid(GridCareError):
    """Text that is not an amount of money exact to the fen."""

    code = "money_invalid"
    message_zh = "金额“{value}”无效：{reason_zh}"
    message_en = 'Amount "{value}" is invalid: {reason_en}'


def round_to_fen(value: DecimalInput) -> Decimal:
    """``value`` rounded to the fen with ROUND_HALF_UP (halves away from zero): THE rounding of money.

    WARNING: issued bills depend on this result; never change the rounding rule.
    """
    return quantize_half_up(value, scale=FEN)


def to_minor_units(amount: Decimal | int) -> int:
    """``amount`` in whole fen, for the engine's int64 columns; refuses fractions of a fen."""
    number = to_decimal(amount)
    if not is_multiple_of(number, FEN):
        raise ValueError(f"{number} is not a whole number of fen: round it with round_to_fen first")
    if not fits_int64(number, FEN):
        raise ValueError(f"{number} does not fit int64 fen")
    return int(number.scaleb(2))


def from_minor_units(fen: int) -> Decimal:
    """The yuan amount of ``fen`` whole fen, with two decimals (``123`` → ``Decimal("1.23")``)."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"expected int fen, not {type(fen).__name__}")
    if abs(fen) > INT64_MAX:
        raise ValueError(f"{fen} fen does not fit int64")
    return Decimal(fen).scaleb(-2)


def parse_money(text: str, *, field: str | None = None) -> Decimal:
    """The amount typed or imported as ``text``, quantized to the fen, or :class:`MoneyInvalid`.

    Accepts an optional sign, an optional ¥/￥ and 元, comma thousands separators:
    ``"1234.5"``, ``"1,234.56"``, ``"¥12.30"``, ``"-3"``. Refuses anything that is not a whole
    number of fen (``"1.235"``) rather than rounding it away silently.
    """
    stripped = text.strip()
    if not stripped:
        raise _money_invalid(text, field, "不能为空", "it is empty")
    match = _MONEY_TEXT.fullmatch(stripped)
    number = read_written_number(match["number"]) if match else None
    if match is None or number is None:
        raise _money_invalid(
            text,
            field,
            "不是金额，应写成 1234.56、1,234.56 或 ¥12.30 这样的数字",
            "it is not an amount; write it like 1234.56, 1,234.56 or ¥12.30",
        )
    if not fits_int64(number, FEN):
        raise _money_invalid(text, field, "金额过大", "it is too large")
    if not is_multiple_of(number, FEN):
        raise _money_invalid(
            text,
            field,
            "最多两位小数（精确到分）",
            "it has more than 2 decimal places (amounts are exact to the fen)",
        )
    return round_to_fen(-number if match["sign"] == "-" else number)


def format_yuan(amount: DecimalInput, *, language: str = "zh-hans") -> str:
    """``amount`` rounded to the fen for display: ``¥1,234.56``, ``-¥3.00`` (``CN¥`` in English, as CLDR)."""
    rounded = round_to_fen(amount)
    symbol = "CN¥" if language.lower().startswith("en") else "¥"
    sign = "-" if rounded < 0 else ""
    return f"{sign}{symbol}{abs(rounded):,.2f}"


def _money_invalid(text: str, field: str | None, reason_zh: str, reason_en: str) -> MoneyInvalid:
    return MoneyInvalid(field=field, value=text, reason_zh=reason_zh, reason_en=reason_en)
