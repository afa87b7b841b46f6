"""Identifiers: the 10-digit account number (户号) with its Luhn check digit."""

from __future__ import annotations

from stdnum import luhn

from gridcare.kit.errors import GridCareError

ACCOUNT_NUMBER_LENGTH = 10


class AccountNumberInvalid(GridCareError):
    """An account number that is not 10 digits or whose check digit does not match."""

    code = "account_no_invalid"
    message_zh = "户号 {account_no} 无效：{reason_zh}"
    message_en = "Account number {account_no} is invalid: {reason_en}"


def make_account_number(*, sequence: int) -> str:
    """The account number for a 9-digit sequence: the zero-padded sequence plus a Luhn digit."""
    if not 0 < sequence < 10 ** (ACCOUNT_NUMBER_LENGTH - 1):
        raise ValueError(f"account sequence out of range: {sequence}")
    body = f"{sequence:0{ACCOUNT_NUMBER_LENGTH - 1}d}"
    return body + luhn.calc_check_digit(body)


def validate_account_number(account_no: str) -> str:
    """Return ``account_no`` if it is a valid 户号, else raise :class:`AccountNumberInvalid`."""
    if len(account_no) != ACCOUNT_NUMBER_LENGTH or not account_no.isascii() or not account_no.isdigit():
        raise AccountNumberInvalid(
            field="account_no",
            account_no=account_no,
            reason_zh="应为 10 位数字",
            reason_en="it must be exactly 10 digits",
        )
    if not luhn.is_valid(account_no):
        raise AccountNumberInvalid(
            field="account_no",
            account_no=account_no,
            reason_zh="校验位错误",
            reason_en="the check digit does not match",
        )
    return account_no
