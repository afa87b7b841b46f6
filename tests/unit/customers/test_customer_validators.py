"""Customer identifier checks: normalized values or a specific zh-Hans/English error."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from gridcare.customers import validators
from gridcare.customers.errors import (
    CreditCodeInvalid,
    EmailInvalid,
    IdNumberInvalid,
    IndustryCodeInvalid,
    LandlineInvalid,
    MobileInvalid,
    WechatOpenidInvalid,
)
from gridcare.customers.operations import make_customer_number
from gridcare.kit.errors import GridCareError


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("11010519491231002X", "11010519491231002X"),
        (" 11010519491231002x ", "11010519491231002X"),
        ("370102199002152343", "370102199002152343"),
    ],
)
def test_valid_id_numbers_are_normalized(value: str, normalized: str) -> None:
    assert validators.validate_id_number(value) == normalized


@pytest.mark.parametrize(
    ("value", "reason_zh", "reason_en"),
    [
        ("110105194912310021", "校验码错误", "the checksum does not match"),
        ("370102198013011234", "出生日期或地区码无效", "the birth date or region code is not valid"),
        ("370102199002301230", "出生日期或地区码无效", "the birth date or region code is not valid"),
        ("99999919900215234X", "出生日期或地区码无效", "the birth date or region code is not valid"),
        ("1101051949123100", "长度错误", "the length is wrong"),
        ("11010519491231A02X", "格式错误", "the format is wrong"),
    ],
)
def test_invalid_id_numbers_say_why(value: str, reason_zh: str, reason_en: str) -> None:
    with pytest.raises(IdNumberInvalid) as raised:
        validators.validate_id_number(value)
    assert raised.value.message("zh-hans") == f"身份证号 {value} 无效：{reason_zh}"
    assert raised.value.message("en") == f"Resident ID number {value} is invalid: {reason_en}"
    assert raised.value.field == "id_number"


def test_credit_codes_are_normalized_and_checked() -> None:
    assert validators.validate_credit_code(" 91370100ma3c12345-9 ") == "91370100MA3C123459"
    with pytest.raises(CreditCodeInvalid) as raised:
        validators.validate_credit_code("91370100MA3C123458")
    assert raised.value.message("zh-hans") == "统一社会信用代码 91370100MA3C123458 无效：校验码错误"


@pytest.mark.parametrize(
    ("check", "value", "normalized"),
    [
        (validators.validate_mobile, "+86 139-0013-9000", "13900139000"),
        (validators.validate_landline, "0531-88888888", "0531-88888888"),
        (validators.validate_landline, "010 6666 6666-123", "01066666666-123"),
        (validators.validate_email, " zhangsan@example.cn ", "zhangsan@example.cn"),
        (validators.validate_wechat_openid, " oUpF8uMuAJO_M2pxb1Q9zNjWeS6o ", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"),
        (validators.validate_industry_code, " c3011 ", "C3011"),
        (validators.validate_industry_code, "D", "D"),
    ],
)
def test_channels_and_codes_are_normalized(check: object, value: str, normalized: str) -> None:
    assert callable(check)
    assert check(value) == normalized


@pytest.mark.parametrize(
    ("check", "value", "error"),
    [
        (validators.validate_mobile, "1380013800", MobileInvalid),
        (validators.validate_mobile, "23800138000", MobileInvalid),
        (validators.validate_landline, "88888888", LandlineInvalid),
        (validators.validate_landline, "0531-08888888", LandlineInvalid),
        (validators.validate_email, "zhangsan@", EmailInvalid),
        (validators.validate_wechat_openid, "short", WechatOpenidInvalid),
        (validators.validate_wechat_openid, "o" * 65, WechatOpenidInvalid),
        (validators.validate_industry_code, "U10", IndustryCodeInvalid),
        (validators.validate_industry_code, "C1", IndustryCodeInvalid),
        (validators.validate_industry_code, "C30111", IndustryCodeInvalid),
    ],
)
def test_bad_channels_and_codes_are_refused(check: object, value: str, error: type[GridCareError]) -> None:
    assert callable(check)
    with pytest.raises(error):
        check(value)


def test_field_validators_raise_a_translated_validation_error() -> None:
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        validators.validate_account_number_field("0000000019")
    assert raised.value.messages == ["Account number 0000000019 is invalid: the check digit does not match"]
    assert raised.value.code == "account_no_invalid"
    assert validators.validate_id_number_field("") is None


def test_customer_numbers_are_c_and_nine_digits() -> None:
    assert make_customer_number(sequence=1) == "C000000001"
    assert make_customer_number(sequence=999_999_999) == "C999999999"
    with pytest.raises(ValueError, match="customer sequence out of range: 1000000000"):
        make_customer_number(sequence=1_000_000_000)
    with pytest.raises(ValueError, match="customer sequence out of range: 0"):
        make_customer_number(sequence=0)
