"""Exact decimal plumbing shared by money and energy: conversion, half-up quantizing, text parsing.

Floats are never money or energy: a binary float cannot hold 0.1 exactly, so every entry point
here refuses them instead of converting them.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import TypeAlias

DecimalInput: TypeAlias = Decimal | int | str

INT64_MAX = 2**63 - 1
"""The largest scaled integer the billing engine's int64 columns hold."""

# A fixed context, so results never depend on whatever the thread's decimal context was set to.
_CONTEXT = Context(prec=40, rounding=ROUND_HALF_UP)
_WRITTEN_NUMBER = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")


def to_decimal(value: DecimalInput) -> Decimal:
    """``value`` as a finite Decimal.

    Floats and bools raise TypeError; NaN, infinity and text that is no number raise ValueError.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"expected Decimal, int or str, not {type(value).__name__}: floats are never exact")
    try:
        number = Decimal(value)
    except InvalidOperation as error:
        raise ValueError(f"not a decimal number: {value!r}") from error
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


def quantize_half_up(value: DecimalInput, *, scale: Decimal) -> Decimal:
    """``value`` rounded to ``scale`` (e.g. ``Decimal("0.01")``) with ROUND_HALF_UP, never a negative zero."""
    quantized = to_decimal(value).quantize(scale, rounding=ROUND_HALF_UP, context=_CONTEXT)
    # -0.004 rounds to -0.00, which equals 0 but would print as "-0.00".
    return quantized.copy_abs() if quantized.is_zero() else quantized


def read_written_number(text: str) -> Decimal | None:
    """The non-negative number written in ``text`` as digits, optional comma thousands separators
    (in groups of three) and an optional decimal point with digits; None if it is not written so.
    """
    if not _WRITTEN_NUMBER.fullmatch(text):
        return None
    return Decimal(text.replace(",", ""))


def is_multiple_of(number: Decimal, scale: Decimal) -> bool:
    """Whether ``number`` is a whole number of ``scale`` units (``1.230`` is a whole number of 0.01)."""
    return number == number.quantize(scale, context=_CONTEXT)


def fits_int64(number: Decimal, scale: Decimal) -> bool:
    """Whether ``number`` counted in ``scale`` units fits the engine's int64."""
    return abs(number) <= INT64_MAX * scale
