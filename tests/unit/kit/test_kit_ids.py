"""Account numbers (户号): 10 digits, the last a Luhn check digit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridcare.kit.ids import AccountNumberInvalid, make_account_number, validate_account_number

sequences = st.integers(min_value=1, max_value=999_999_999)


@pytest.mark.parametrize(
    ("sequence", "account_no"),
    [(1, "0000000018"), (123_456_789, "1234567897"), (999_999_999, "9999999999")],
)
def test_make_account_number_appends_the_luhn_digit(sequence: int, account_no: str) -> None:
    assert make_account_number(sequence=sequence) == account_no
    assert validate_account_number(account_no) == account_no


@pytest.mark.parametrize("sequence", [0, -1, 1_000_000_000])
def test_make_account_number_refuses_sequences_out_of_range(sequence: int) -> None:
    with pytest.raises(ValueError, match=f"account sequence out of range: {sequence}"):
        make_account_number(sequence=sequence)


def test_a_bad_check_digit_is_refused_with_both_messages() -> None:
    with pytest.raises(AccountNumberInvalid) as caught:
        validate_account_number("0000000017")
    assert caught.value.as_dict() == {
        "code": "account_no_invalid",
        "field": "account_no",
        "message_zh": "户号 0000000017 无效：校验位错误",
        "message_en": "Account number 0000000017 is invalid: the check digit does not match",
    }


@pytest.mark.parametrize(
    "account_no",
    ["", "000000018", "00000000018", "00000000a8", "0000 00018", "０００００００００１８"[:10], "-000000018"],
)
def test_wrong_length_and_non_digits_are_refused(account_no: str) -> None:
    with pytest.raises(AccountNumberInvalid) as caught:
        validate_account_number(account_no)
    assert caught.value.message("zh-hans") == f"户号 {account_no} 无效：应为 10 位数字"
    assert (
        caught.value.message("en") == f"Account number {account_no} is invalid: it must be exactly 10 digits"
    )


@given(sequences, st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=9))
def test_every_single_digit_change_is_caught(sequence: int, position: int, shift: int) -> None:
    account_no = make_account_number(sequence=sequence)
    changed_digit = str((int(account_no[position]) + shift) % 10)
    mistyped = account_no[:position] + changed_digit + account_no[position + 1 :]
    with pytest.raises(AccountNumberInvalid):
        validate_account_number(mistyped)
