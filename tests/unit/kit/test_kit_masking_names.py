"""The payer's name as receipts print it: first character kept, and the last from three on."""

from __future__ import annotations

import pytest

from gridcare.kit.masking import mask_person_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("", ""),
        (None, ""),
        ("张", "张"),
        ("张伟", "张*"),
        ("张三丰", "张*丰"),
        ("欧阳明日", "欧**日"),
        ("  李娜 ", "李*"),
        ("济南明湖机械有限公司", "济********司"),
    ],
)
def test_names_are_masked_for_receipts(name: str | None, masked: str) -> None:
    assert mask_person_name(name) == masked
