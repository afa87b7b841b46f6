"""Expected failures of the customer file, each with a zh-Hans and an English message."""

from __future__ import annotations

from gridcare.kit.errors import GridCareError
from gridcare.kit.ids import AccountNumberInvalid


class IdNumberInvalid(GridCareError):
    code = "id_number_invalid"
    message_zh = "身份证号 {value} 无效：{reason_zh}"
    message_en = "Resident ID number {value} is invalid: {reason_en}"


class CreditCodeInvalid(GridCareError):
    code = "credit_code_invalid"
    message_zh = "统一社会信用代码 {value} 无效：{reason_zh}"
    message_en = "Unified social credit code {value} is invalid: {reason_en}"


class MobileInvalid(GridCareError):
    code = "mobile_invalid"
    message_zh = "手机号 {value} 无效：应为以 1 开头的 11 位数字"
    message_en = "Mobile number {value} is invalid: it must be 11 digits starting with 1"


class IndustryCodeInvalid(GridCareError):
    code = "industry_code_invalid"
    message_zh = "行业分类代码 {value} 无效：应为 GB/T 4754 门类字母 A–T 加 0、2、3 或 4 位数字"
    message_en = (
        "Industry code {value} is invalid: a GB/T 4754 code is a section letter A–T "
        "followed by 0, 2, 3 or 4 digits"
    )


__all__ = [
    "AccountNumberInvalid",
    "CreditCodeInvalid",
    "IdNumberInvalid",
    "IndustryCodeInvalid",
    "MobileInvalid",
]
