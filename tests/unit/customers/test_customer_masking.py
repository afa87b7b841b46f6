"""Partial masking of personal data (gridcare.customers.masking). Pure functions: no database."""

from __future__ import annotations

import pytest

from gridcare.customers.masking import mask_id_number, mask_middle, mask_mobile


@pytest.mark.parametrize(
    ("value", "masked"),
    [("110101199003071235", "110***********1235"), ("11010119900307123X", "110***********123X"), ("", "")],
)
def test_mask_id_number_keeps_first_three_and_last_four(value: str, masked: str) -> None:
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"), [("13812345678", "138****5678"), (None, ""), ("1234567", "*******")]
)
def test_mask_mobile_keeps_prefix_and_last_four(value: str | None, masked: str) -> None:
    assert mask_mobile(value) == masked


def test_mask_middle_masks_whole_values_too_short_to_keep_both_ends() -> None:
    assert mask_middle("12345", keep_start=3, keep_end=2) == "*****"
    assert mask_middle("123456", keep_start=3, keep_end=2) == "123*56"
