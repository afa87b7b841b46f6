"""Energy: kWh at the fixed 0.01 scale."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gridcare.kit.energy import ENERGY_SCALE, EnergyInvalid, parse_energy, quantize_energy


def test_energy_scale_is_one_hundredth_of_a_kwh() -> None:
    assert Decimal("0.01") == ENERGY_SCALE


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1.005"), "1.01"),
        (Decimal("1.004"), "1.00"),
        (Decimal("2.675"), "2.68"),
        (Decimal("-1.005"), "-1.01"),
        (Decimal("-0.001"), "0.00"),
        ("12345.6", "12345.60"),
        (40, "40.00"),
    ],
)
def test_quantize_energy_rounds_half_up(value: Decimal | int | str, expected: str) -> None:
    assert str(quantize_energy(value)) == expected


def test_quantize_energy_refuses_floats() -> None:
    with pytest.raises(TypeError, match="floats are never exact"):
        quantize_energy(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", "1234.50"),
        ("1,234.56", "1234.56"),
        (" 0 ", "0.00"),
        ("86000", "86000.00"),
        ("7.100", "7.10"),
    ],
)
def test_parse_energy_accepts_kwh(text: str, expected: str) -> None:
    assert str(parse_energy(text)) == expected


@pytest.mark.parametrize(
    ("text", "reason_zh", "reason_en"),
    [
        ("-1", "不能为负数", "it is negative"),
        ("-0.5", "不能为负数", "it is negative"),
        ("1.234", "最多两位小数（精确到 0.01 千瓦时）", "it has more than 2 decimal places (0.01 kWh)"),
        ("", "不能为空", "it is empty"),
        ("92233720368547758.08", "电量过大", "it is too large"),
        *(
            (
                garbage,
                "不是电量，应写成 1234.56 或 1,234.56 这样的千瓦时数",
                "it is not a quantity of energy; write the kWh like 1234.56 or 1,234.56",
            )
            for garbage in ["NaN", "Infinity", "abc", "1,23", "+5", "1e3", "12 kWh"]
        ),
    ],
)
def test_parse_energy_refuses_bad_text_with_both_messages(text: str, reason_zh: str, reason_en: str) -> None:
    with pytest.raises(EnergyInvalid) as caught:
        parse_energy(text, field="import_active_total")
    assert caught.value.code == "energy_invalid"
    assert caught.value.field == "import_active_total"
    assert caught.value.message("zh-hans") == f"电量“{text}”无效：{reason_zh}"
    assert caught.value.message("en") == f'Energy "{text}" is invalid: {reason_en}'
