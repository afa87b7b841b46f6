"""Checks on customer identifiers, shared by model ``clean``, operations and imports.

The ``validate_*`` functions are pure: they return the normalized value or raise a
:class:`~gridcare.kit.errors.GridCareError`. The ``*_field`` wrappers turn that into Django's
``ValidationError`` for forms and the admin.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core import validators as django_validators
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import ric, uscc

from gridcare.customers.errors import (
    BankAccountNumberInvalid,
    CreditCodeInvalid,
    EmailInvalid,
    IdNumberInvalid,
    IndustryCodeInvalid,
    LandlineInvalid,
    WechatOpenidInvalid,
)
from gridcare.identity.validators import validate_mobile
from gridcare.kit.errors import GridCareError
from gridcare.kit.ids import validate_account_number

_INDUSTRY_CODE = re.compile(r"^[A-T]([0-9]{2}([0-9]{1,2})?)?$")
# Area code (0 + 2 or 3 digits), a 7- or 8-digit number not starting with 0, an optional extension.
_LANDLINE = re.compile(r"^0[1-9][0-9]{1,2}-?[1-9][0-9]{6,7}(-[0-9]{1,6})?$")
_WECHAT_OPENID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
_BANK_ACCOUNT_NO = re.compile(r"^[0-9]{12,30}$")


def _stdnum_reason(error: stdnum_exceptions.ValidationError) -> tuple[str, str]:
    if isinstance(error, stdnum_exceptions.InvalidChecksum):
        return "校验码错误", "the checksum does not match"
    if isinstance(error, stdnum_exceptions.InvalidLength):
        return "长度错误", "the length is wrong"
    if isinstance(error, stdnum_exceptions.InvalidFormat):
        return "格式错误", "the format is wrong"
    if isinstance(error, stdnum_exceptions.InvalidComponent):
        return "出生日期或地区码无效", "the birth date or region code is not valid"
    return "无法识别", "it is not recognised"


def validate_id_number(value: str) -> str:
    """A valid 18-character 居民身份证号码 (GB 11643), upper-cased, or :class:`IdNumberInvalid`."""
    try:
        return str(ric.validate(value.strip().upper()))
    except stdnum_exceptions.ValidationError as error:
        reason_zh, reason_en = _stdnum_reason(error)
        raise IdNumberInvalid(
            field="id_number", value=value, reason_zh=reason_zh, reason_en=reason_en
        ) from error


def validate_credit_code(value: str) -> str:
    """A valid 统一社会信用代码 (GB 32100), upper-cased, or :class:`CreditCodeInvalid`."""
    try:
        return str(uscc.validate(value.strip().upper()))
    except stdnum_exceptions.ValidationError as error:
        reason_zh, reason_en = _stdnum_reason(error)
        raise CreditCodeInvalid(
            field="credit_code", value=value, reason_zh=reason_zh, reason_en=reason_en
        ) from error


def validate_landline(value: str) -> str:
    """A mainland landline with its area code, e.g. ``0531-88888888`` or ``01088888888-123``."""
    normalized = value.strip().replace(" ", "")
    if not _LANDLINE.match(normalized):
        raise LandlineInvalid(field="landline", value=value)
    return normalized


def validate_bank_account_no(value: str) -> str:
    """A mainland bank account or card number: 12 to 30 digits once blanks and dashes are
    removed, else :class:`BankAccountNumberInvalid` (the number is not repeated: it is personal)."""
    normalized = value.strip().replace(" ", "").replace("-", "")
    if not _BANK_ACCOUNT_NO.match(normalized):
        raise BankAccountNumberInvalid(field="bank_account_no")
    return normalized


def validate_email(value: str) -> str:
    """An email address as Django's ``EmailValidator`` accepts it, surrounding blanks removed."""
    normalized = value.strip()
    try:
        django_validators.validate_email(normalized)
    except ValidationError as error:
        raise EmailInvalid(field="email", value=value) from error
    return normalized


def validate_wechat_openid(value: str) -> str:
    """A WeChat openid: 6 to 64 letters, digits, underscores or dashes."""
    normalized = value.strip()
    if not _WECHAT_OPENID.match(normalized):
        raise WechatOpenidInvalid(field="wechat_openid", value=value)
    return normalized


def validate_industry_code(value: str) -> str:
    """A GB/T 4754 industry code: section letter plus division/group/class digits."""
    normalized = value.strip().upper()
    if not _INDUSTRY_CODE.match(normalized):
        raise IndustryCodeInvalid(field="industry_code", value=value)
    return normalized


def _as_field_validator(check: Callable[[str], str]) -> Callable[[str], None]:
    def field_validator(value: str) -> None:
        if value in (None, ""):
            return
        try:
            check(value)
        except GridCareError as error:
            raise ValidationError(error.message(get_language() or "zh-hans"), code=error.code) from error

    field_validator.__name__ = f"{check.__name__}_field"
    field_validator.__qualname__ = field_validator.__name__
    return field_validator


validate_id_number_field = _as_field_validator(validate_id_number)
validate_credit_code_field = _as_field_validator(validate_credit_code)
validate_mobile_field = _as_field_validator(validate_mobile)
validate_industry_code_field = _as_field_validator(validate_industry_code)
validate_account_number_field = _as_field_validator(validate_account_number)

__all__ = [
    "validate_account_number",
    "validate_account_number_field",
    "validate_bank_account_no",
    "validate_credit_code",
    "validate_credit_code_field",
    "validate_email",
    "validate_id_number",
    "validate_id_number_field",
    "validate_industry_code",
    "validate_industry_code_field",
    "validate_landline",
    "validate_mobile",
    "validate_mobile_field",
    "validate_wechat_openid",
]
