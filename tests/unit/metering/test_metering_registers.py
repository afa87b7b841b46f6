"""Dial advances with rollover, the suspicious-rollover flag and billed energy, exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gridcare.metering.registers import (
    billed_energy,
    is_rolled_over,
    is_suspicious_rollover,
    register_advance,
)


@pytest.mark.parametrize(
    ("previous", "current", "integer_digits", "advance"),
    [
        ("1234.56", "1334.57", 6, "100.01"),
        ("500.00", "500.00", 6, "0.00"),
        ("999950.25", "49.75", 6, "99.50"),
        ("9990", "15", 4, "25"),
        ("9999999999.99", "0.00", 10, "0.01"),
        ("0.00", "999999.99", 6, "999999.99"),
    ],
)
def test_advance_allows_one_rollover(previous: str, current: str, integer_digits: int, advance: str) -> None:
    result = register_advance(
        previous=Decimal(previous), current=Decimal(current), integer_digits=integer_digits
    )
    assert result == Decimal(advance)
    assert str(result) == advance


@pytest.mark.parametrize(("previous", "current"), [("1000000", "1"), ("1", "1000000"), ("-0.01", "5")])
def test_readings_off_the_dial_are_programming_errors(previous: str, current: str) -> None:
    with pytest.raises(ValueError, match="is not on a 6-digit dial"):
        register_advance(previous=Decimal(previous), current=Decimal(current), integer_digits=6)


def test_rollover_is_seen_when_the_reading_goes_down() -> None:
    assert is_rolled_over(previous=Decimal("999950"), current=Decimal("50"))
    assert not is_rolled_over(previous=Decimal("50"), current=Decimal("50"))


@pytest.mark.parametrize(
    ("previous", "current", "suspicious"),
    [
        ("999950.00", "50.00", False),  # a genuine rollover: 100 kWh
        ("1000.00", "990.00", True),  # running backwards: would imply 999,990 kWh
        ("600000.00", "100000.00", False),  # implies exactly half the dial: at the threshold
        ("600000.00", "100000.01", True),  # a hundredth beyond half the dial
        ("100.00", "200.00", False),  # no rollover at all
    ],
)
def test_suspicious_rollover_is_one_implying_more_than_half_the_dial(
    previous: str, current: str, suspicious: bool
) -> None:
    assert (
        is_suspicious_rollover(previous=Decimal(previous), current=Decimal(current), integer_digits=6)
        is suspicious
    )


def test_suspicion_threshold_can_be_tightened() -> None:
    assert is_suspicious_rollover(
        previous=Decimal("9000"), current=Decimal("2000"), integer_digits=4, fraction=Decimal("0.2")
    )
    assert not is_suspicious_rollover(previous=Decimal("9000"), current=Decimal("2000"), integer_digits=4)


@pytest.mark.parametrize(
    ("advance", "multiplier", "energy"),
    [("100.01", 1, "100.01"), ("12.34", 200, "2468.00"), ("0.01", 6000, "60.00"), ("345", 80, "27600.00")],
)
def test_billed_energy_is_advance_times_multiplier_at_the_energy_scale(
    advance: str, multiplier: int, energy: str
) -> None:
    result = billed_energy(advance=Decimal(advance), multiplier=multiplier)
    assert str(result) == energy


@pytest.mark.parametrize(
    ("advance", "multiplier", "match"),
    [("-1", 1, "non-negative multiple"), ("0.001", 1, "non-negative multiple"), ("1", 0, "at least 1")],
)
def test_billed_energy_refuses_impossible_input(advance: str, multiplier: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        billed_energy(advance=Decimal(advance), multiplier=multiplier)
