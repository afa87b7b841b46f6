"""Money: the one fen rounding, int64 fen, parsing and display."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridcare.kit.decimals import INT64_MAX
from gridcare.kit.money import (
    FEN,
    MoneyInvalid,
    format_yuan,
    from_minor_units,
    parse_money,
    round_to_fen,
    to_minor_units,
)

fen_amounts = st.integers(min_value=-INT64_MAX, max_value=INT64_MAX).map(from_minor_units)


def test_fen_is_one_hundredth_of_a_yuan() -> None:
    assert Decimal("0.01") == FEN


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.005"), "0.01"),
        (Decimal("0.004"), "0.00"),
        (Decimal("0.0049999"), "0.00"),
        (Decimal("2.675"), "2.68"),
        (Decimal("2.665"), "2.67"),
        (Decimal("-0.005"), "-0.01"),
        (Decimal("-2.675"), "-2.68"),
        (Decimal("1.999"), "2.00"),
        (Decimal("12345678901234567.895"), "12345678901234567.90"),
        ("3.14159", "3.14"),
        (7, "7.00"),
        (-7, "-7.00"),
    ],
)
def test_round_to_fen_rounds_halves_away_from_zero(value: Decimal | int | str, expected: str) -> None:
    assert str(round_to_fen(value)) == expected


@pytest.mark.parametrize("value", [Decimal("-0.004"), Decimal("-0"), "-0.000"])
def test_round_to_fen_never_returns_a_negative_zero(value: Decimal | str) -> None:
    assert str(round_to_fen(value)) == "0.00"


@pytest.mark.parametrize("value", [0.1, 2.675, 1.0, True])
def test_round_to_fen_refuses_floats_and_bools(value: object) -> None:
    with pytest.raises(TypeError, match="expected Decimal, int or str"):
        round_to_fen(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), "-inf", "abc", "1,234"])
def test_round_to_fen_refuses_non_numbers(value: Decimal | str) -> None:
    with pytest.raises(ValueError, match="not a"):
        round_to_fen(value)


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=6, allow_nan=False, allow_infinity=False))
def test_round_to_fen_moves_at_most_half_a_fen(value: Decimal) -> None:
    rounded = round_to_fen(value)
    assert rounded.as_tuple().exponent == -2
    assert abs(rounded - value) <= Decimal("0.005")


@pytest.mark.parametrize(
    ("amount", "fen"),
    [
        (Decimal("1.23"), 123),
        (Decimal("1.230"), 123),
        (Decimal("-0.01"), -1),
        (Decimal("0"), 0),
        (5, 500),
        (Decimal("92233720368547758.07"), INT64_MAX),
    ],
)
def test_to_minor_units_is_exact(amount: Decimal | int, fen: int) -> None:
    assert to_minor_units(amount) == fen


def test_to_minor_units_refuses_fractions_of_a_fen() -> None:
    with pytest.raises(ValueError, match="not a whole number of fen: round it with round_to_fen first"):
        to_minor_units(Decimal("1.235"))
    assert to_minor_units(round_to_fen(Decimal("1.235"))) == 124


def test_to_minor_units_refuses_amounts_beyond_int64() -> None:
    with pytest.raises(ValueError, match="does not fit int64"):
        to_minor_units(Decimal("92233720368547758.08"))


def test_to_minor_units_refuses_floats() -> None:
    with pytest.raises(TypeError):
        to_minor_units(1.23)  # type: ignore[arg-type]


def test_from_minor_units_gives_two_decimals() -> None:
    assert str(from_minor_units(123)) == "1.23"
    assert str(from_minor_units(100)) == "1.00"
    assert str(from_minor_units(0)) == "0.00"
    assert str(from_minor_units(-5)) == "-0.05"


def test_from_minor_units_refuses_non_ints_and_overflow() -> None:
    with pytest.raises(TypeError, match="expected int fen, not float"):
        from_minor_units(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected int fen, not bool"):
        from_minor_units(True)
    with pytest.raises(ValueError, match="does not fit int64"):
        from_minor_units(INT64_MAX + 1)


@given(st.integers(min_value=-INT64_MAX, max_value=INT64_MAX))
def test_minor_units_round_trip_from_fen(fen: int) -> None:
    assert to_minor_units(from_minor_units(fen)) == fen


@given(fen_amounts)
def test_minor_units_round_trip_from_amount(amount: Decimal) -> None:
    assert from_minor_units(to_minor_units(amount)) == amount
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", "1234.50"),
        ("1,234.56", "1234.56"),
        ("1,234,567", "1234567.00"),
        ("¥12.30", "12.30"),
        ("￥12.30", "12.30"),
        ("12.30元", "12.30"),
        ("¥ 12.3 元", "12.30"),
        ("  -3 ", "-3.00"),
        ("-¥3.00", "-3.00"),
        ("+7", "7.00"),
        ("0", "0.00"),
        ("-0", "0.00"),
        ("1.230", "1.23"),
        ("92233720368547758.07", "92233720368547758.07"),
    ],
)
def test_parse_money_accepts_written_amounts(text: str, expected: str) -> None:
    assert str(parse_money(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        "nan",
        "Infinity",
        "inf",
        "-inf",
        "abc",
        "1,23",
        "12,34.5",
        "1.2.3",
        ".5",
        "5.",
        "1e5",
        "¥-3",
        "--3",
    ],
)
def test_parse_money_refuses_garbage(text: str) -> None:
    with pytest.raises(MoneyInvalid) as caught:
        parse_money(text)
    assert (
        caught.value.message("zh-hans")
        == f"金额“{text}”无效：不是金额，应写成 1234.56、1,234.56 或 ¥12.30 这样的数字"
    )
    assert caught.value.message("en") == (
        f'Amount "{text}" is invalid: it is not an amount; write it like 1234.56, 1,234.56 or ¥12.30'
    )


def test_parse_money_refuses_more_than_two_decimals_with_both_messages() -> None:
    with pytest.raises(MoneyInvalid) as caught:
        parse_money("1.234", field="amount")
    assert caught.value.as_dict() == {
        "code": "money_invalid",
        "field": "amount",
        "message_zh": "金额“1.234”无效：最多两位小数（精确到分）",
        "message_en": (
            'Amount "1.234" is invalid: it has more than 2 decimal places (amounts are exact to the fen)'
        ),
    }


def test_parse_money_refuses_empty_text() -> None:
    with pytest.raises(MoneyInvalid) as caught:
        parse_money("   ")
    assert caught.value.message("zh-hans") == "金额“   ”无效：不能为空"
    assert caught.value.message("en") == 'Amount "   " is invalid: it is empty'


def test_parse_money_refuses_amounts_beyond_int64_fen() -> None:
    with pytest.raises(MoneyInvalid) as caught:
        parse_money("92233720368547758.08")
    assert caught.value.message("en") == 'Amount "92233720368547758.08" is invalid: it is too large'
    assert caught.value.message("zh-hans") == "金额“92233720368547758.08”无效：金额过大"


@pytest.mark.parametrize(
    ("amount", "zh", "en"),
    [
        (Decimal("1234.56"), "¥1,234.56", "CN¥1,234.56"),
        (Decimal("-3"), "-¥3.00", "-CN¥3.00"),
        (0, "¥0.00", "CN¥0.00"),
        (Decimal("1234567.891"), "¥1,234,567.89", "CN¥1,234,567.89"),
        (Decimal("-0.004"), "¥0.00", "CN¥0.00"),
        (Decimal("999.995"), "¥1,000.00", "CN¥1,000.00"),
    ],
)
def test_format_yuan(amount: Decimal | int, zh: str, en: str) -> None:
    assert format_yuan(amount) == zh
    assert format_yuan(amount, language="zh-hans") == zh
    assert format_yuan(amount, language="en") == en


def test_format_yuan_refuses_floats() -> None:
    with pytest.raises(TypeError):
        format_yuan(3.0)  # type: ignore[arg-type]


@given(fen_amounts)
def test_parse_money_reads_back_format_yuan(amount: Decimal) -> None:
    assert parse_money(format_yuan(amount)) == amount
