"""The error base class: a code and a message in zh-Hans and English."""

from __future__ import annotations

import pytest

from gridcare.kit.errors import GridCareError


class MeterNotFound(GridCareError):
    code = "meter_not_found"
    message_zh = "找不到资产编号为 {asset_no} 的电能表"
    message_en = "No meter has asset number {asset_no}"


def test_messages_are_formatted_with_the_raise_parameters() -> None:
    error = MeterNotFound(field="asset_no", asset_no="E0012")
    assert error.message() == "找不到资产编号为 E0012 的电能表"
    assert error.message("zh-hans") == "找不到资产编号为 E0012 的电能表"
    assert error.message("en") == "No meter has asset number E0012"
    assert error.message("en-GB") == "No meter has asset number E0012"
    assert error.params == {"asset_no": "E0012"}


def test_the_exception_text_is_english_for_logs() -> None:
    with pytest.raises(MeterNotFound, match=r"^No meter has asset number E0012$"):
        raise MeterNotFound(asset_no="E0012")


def test_as_dict_carries_code_field_and_both_messages() -> None:
    assert MeterNotFound(asset_no="E0012").as_dict() == {
        "code": "meter_not_found",
        "field": None,
        "message_zh": "找不到资产编号为 E0012 的电能表",
        "message_en": "No meter has asset number E0012",
    }


def test_the_base_class_has_a_generic_message() -> None:
    error = GridCareError()
    assert (error.code, error.field) == ("error", None)
    assert error.message() == "操作失败。"
    assert str(error) == "The operation failed."


def test_an_error_crosses_to_another_process_with_its_class_field_and_messages() -> None:
    import pickle

    from gridcare.billing.engine.errors import BillInputInvalid

    for error in (
        MeterNotFound(field="asset_no", asset_no="E0012"),
        # A subclass with its own keyword-only __init__: rebuilt without calling it again.
        BillInputInvalid(field="energy_kwh", reason_zh="电量不能为负", reason_en="kWh cannot be negative"),
    ):
        again = pickle.loads(pickle.dumps(error))  # noqa: S301  # nosec B301
        assert type(again) is type(error)
        assert again.as_dict() == error.as_dict()
        assert str(again) == str(error)
