"""Expected failures of billing (the engine's own are in billing/engine/errors.py)."""

from __future__ import annotations

from gridcare.kit.errors import GridCareError


class QuoteInputInvalid(GridCareError):
    """A quote request field that is missing, unknown or not what it should be."""

    code = "quote_input_invalid"
    message_zh = "试算输入“{field_name}”无效：{reason_zh}"
    message_en = 'Quote input "{field_name}" is invalid: {reason_en}'

    def __init__(self, *, field: str, reason_zh: str, reason_en: str) -> None:
        super().__init__(field=field, field_name=field, reason_zh=reason_zh, reason_en=reason_en)


class TariffCodeUnknown(GridCareError):
    code = "tariff_code_unknown"
    message_zh = "“tariff”：没有代码为“{tariff_code}”的电价"
    message_en = '"tariff": no tariff has the code "{tariff_code}"'
