"""The mask rules for personal data (gridcare.kit.masking). Pure: no database."""

from __future__ import annotations

import logging

import pytest

from gridcare.kit.masking import (
    PersonalDataLogFilter,
    mask_bank_account_no,
    mask_landline,
    mask_personal_text,
    mask_personal_values,
)


@pytest.mark.parametrize(
    ("value", "masked"),
    [("0531-88886666", "0531-******66"), ("01088886666", "010******66"), ("", ""), (None, "")],
)
def test_mask_landline_keeps_the_area_code_and_last_two(value: str | None, masked: str) -> None:
    assert mask_landline(value) == masked


def test_mask_bank_account_keeps_the_last_four() -> None:
    assert mask_bank_account_no("6222020200112233445") == "***************3445"


def test_personal_values_are_masked_by_key_in_nested_changes() -> None:
    changes = {
        "id_number": "110105194912310021",
        "name": "张三",
        "mobile": ["13800138000", "13912345678"],
        "contact": {"landline": "0531-88886666", "email": "a@example.cn"},
        "bank_account_no": "6222020200112233445",
        "rows": [{"mobile": "13800138000"}],
        "empty": {"mobile": "", "id_number": None},
    }

    assert mask_personal_values(changes) == {
        "id_number": "110***********0021",
        "name": "张三",
        "mobile": ["138****8000", "139****5678"],
        "contact": {"landline": "0531-******66", "email": "a@example.cn"},
        "bank_account_no": "***************3445",
        "rows": [{"mobile": "138****8000"}],
        "empty": {"mobile": "", "id_number": None},
    }


def test_log_lines_lose_id_numbers_and_mobiles_but_keep_other_digits() -> None:
    line = '"GET /accounts/?q=13812345678 HTTP/1.1" 200 id=11010519491231002X hash=a13812345678 n=0000010017'

    assert mask_personal_text(line) == (
        '"GET /accounts/?q=138****5678 HTTP/1.1" 200 id=110***********002X hash=a13812345678 n=0000010017'
    )


def test_the_log_filter_masks_the_formatted_message() -> None:
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, "%s %s", ("GET", "/?q=13912345678"), None
    )

    assert PersonalDataLogFilter().filter(record) is True
    assert record.getMessage() == "GET /?q=139****5678"
