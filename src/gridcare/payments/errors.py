"""Expected failures of payments (the pure late-fee rules keep theirs in late_fee_rules.py)."""

from __future__ import annotations

from gridcare.kit.errors import GridCareError


class LateFeeQuoteInputInvalid(GridCareError):
    """A late-fee quote request field that is missing, unknown or not what it should be; ``field``
    is its path, e.g. ``bills[1].due_date``."""

    code = "late_fee_quote_input_invalid"
    message_zh = "违约金试算输入“{field_name}”无效：{reason_zh}"
    message_en = 'Late-fee quote input "{field_name}" is invalid: {reason_en}'

    def __init__(self, *, field: str, reason_zh: str, reason_en: str) -> None:
        super().__init__(field=field, field_name=field, reason_zh=reason_zh, reason_en=reason_en)
