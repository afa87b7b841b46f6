"""Amounts in Chinese capital numerals (人民币大写): the examples of the People's Bank of China's
rules for filling in vouchers and the edge cases of zeros, sections and the 整 ending."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gridcare.kit.money_words import amount_in_capitals


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        ("0.00", "零元整"),
        ("0", "零元整"),
        ("0.01", "壹分"),
        ("0.05", "伍分"),
        ("0.10", "壹角"),
        ("0.50", "伍角"),
        ("0.55", "伍角伍分"),
        ("1.00", "壹元整"),
        ("1.01", "壹元零壹分"),
        ("1.10", "壹元壹角"),
        ("10.00", "壹拾元整"),
        ("10.50", "壹拾元零伍角"),
        ("11.00", "壹拾壹元整"),
        ("20.00", "贰拾元整"),
        ("100.00", "壹佰元整"),
        ("100.05", "壹佰元零伍分"),
        ("101.00", "壹佰零壹元整"),
        ("110.00", "壹佰壹拾元整"),
        ("123.45", "壹佰贰拾叁元肆角伍分"),
        ("325.04", "叁佰贰拾伍元零肆分"),
        ("1000.00", "壹仟元整"),
        ("1001.00", "壹仟零壹元整"),
        ("1010.00", "壹仟零壹拾元整"),
        ("1409.50", "壹仟肆佰零玖元伍角"),
        ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("10000.00", "壹万元整"),
        ("10001.00", "壹万零壹元整"),
        ("10100.00", "壹万零壹佰元整"),
        ("11000.00", "壹万壹仟元整"),
        ("100001.00", "壹拾万零壹元整"),
        ("107000.53", "壹拾万柒仟元零伍角叁分"),
        ("1000000.00", "壹佰万元整"),
        ("1000000.10", "壹佰万元零壹角"),
        ("1000000.01", "壹佰万元零壹分"),
        ("10000000.00", "壹仟万元整"),
        ("10010000.00", "壹仟零壹万元整"),
        ("100000000.00", "壹亿元整"),
        ("100010000.00", "壹亿零壹万元整"),
        ("100000001.00", "壹亿零壹元整"),
        ("110000000.00", "壹亿壹仟万元整"),
        ("1234567890.12", "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元零壹角贰分"),
        ("1000000000000.00", "壹万亿元整"),
        ("9999999999999999.99", "玖仟玖佰玖拾玖万亿玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_amounts_are_written_in_capitals(amount: str, written: str) -> None:
    assert amount_in_capitals(Decimal(amount)) == written


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-0.01", "outside 0 to"),
        ("10000000000000000.00", "outside 0 to"),
        ("0.001", "not a whole number of fen"),
        ("NaN", "not a Decimal amount"),
        ("Infinity", "not a Decimal amount"),
    ],
)
def test_amounts_that_cannot_be_written_are_refused(amount: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        amount_in_capitals(Decimal(amount))


def test_a_float_is_refused() -> None:
    with pytest.raises(ValueError, match="not a Decimal amount"):
        amount_in_capitals(1.5)  # type: ignore[arg-type]
