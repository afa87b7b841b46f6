"""The late-fee quote contract (docs/late-fees.md): the JSON request read exactly, every invalid
field named by its path, the answer as two-decimal strings. Figures worked by hand in comments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from gridcare.payments.errors import LateFeeQuoteInputInvalid
from gridcare.payments.late_fee_rules import RULES_1996
from gridcare.payments.quotes import quote_late_fees, read_late_fee_quote_json


def quote(text: str) -> dict[str, Any]:
    return quote_late_fees(data=read_late_fee_quote_json(text))


def test_a_cross_year_non_residential_quote() -> None:
    # December 21–31: 11 × 0.002 × 8,000.00 = 176.00; January 1–10: 10 × 0.003 × 8,000.00 = 240.00.
    answer = quote(
        '{"customer_class": "non_residential", "paid_date": "2026-01-10",'
        ' "bills": [{"amount": "8000.00", "due_date": "2025-12-20"}]}'
    )
    assert answer == {
        "late_fee": "416.00",
        "bills": [{"due_date": "2025-12-20", "days": 21, "late_fee": "416.00"}],
    }


def test_amounts_may_be_json_numbers_read_exactly() -> None:
    # Residential, paid 2026-03-20: 1000 (an integer) × 10 days × 0.001 = 10.00;
    # 0.30 × 10 × 0.001 = 0.003 → 0.00; 45.5 due the 19th: 1 day × 0.001 = 0.0455 → 0.05. Total 10.05.
    answer = quote(
        '{"customer_class": "residential", "paid_date": "2026-03-20", "bills": ['
        '{"amount": 1000, "due_date": "2026-03-10"},'
        '{"amount": 0.30, "due_date": "2026-03-10"},'
        '{"amount": 45.5, "due_date": "2026-03-19"}]}'
    )
    assert answer == {
        "late_fee": "10.05",
        "bills": [
            {"due_date": "2026-03-10", "days": 10, "late_fee": "10.00"},
            {"due_date": "2026-03-10", "days": 10, "late_fee": "0.00"},
            {"due_date": "2026-03-19", "days": 1, "late_fee": "0.05"},
        ],
    }


def test_the_quote_applies_no_minimum_unless_its_rules_have_one() -> None:
    # 300.00 × 2 days × 0.001 = 0.60; under the 1996 rules the total is raised to 1.00.
    data = read_late_fee_quote_json(
        '{"customer_class": "residential", "paid_date": "2026-03-12",'
        ' "bills": [{"amount": "300.00", "due_date": "2026-03-10"}]}'
    )
    assert quote_late_fees(data=data)["late_fee"] == "0.60"
    assert quote_late_fees(data=data, rules=RULES_1996) == {
        "late_fee": "1.00",
        "bills": [{"due_date": "2026-03-10", "days": 2, "late_fee": "0.60"}],
    }


def test_json_is_read_with_decimals() -> None:
    assert read_late_fee_quote_json('{"a": 0.1}') == {"a": Decimal("0.1")}


REQUEST: dict[str, Any] = {
    "customer_class": "residential",
    "paid_date": "2026-03-20",
    "bills": [{"amount": "1.00", "due_date": "2026-03-10"}, {"amount": "2.00", "due_date": "2026-03-11"}],
}


def _with_second_bill(**change: Any) -> dict[str, Any]:
    return {**REQUEST, "bills": [REQUEST["bills"][0], {**REQUEST["bills"][1], **change}]}


@pytest.mark.parametrize(
    ("data", "field", "reason_en"),
    [
        ([], "(body)", "it must be a JSON object"),
        ({**REQUEST, "colour": "red"}, "colour", "it is not a field of a late-fee quote"),
        ({**REQUEST, "customer_class": None}, "customer_class", "it is required"),
        (
            {**REQUEST, "customer_class": "commercial"},
            "customer_class",
            "it must be residential or non_residential",
        ),
        ({**REQUEST, "paid_date": "2026-02-30"}, "paid_date", "it must be a date YYYY-MM-DD"),
        ({**REQUEST, "paid_date": "2026-W01-1"}, "paid_date", "it must be a date YYYY-MM-DD"),
        ({**REQUEST, "paid_date": 20260320}, "paid_date", "it must be a date YYYY-MM-DD"),
        ({k: v for k, v in REQUEST.items() if k != "bills"}, "bills", "it is required"),
        ({**REQUEST, "bills": []}, "bills", "it must be a list of at least one bill"),
        ({**REQUEST, "bills": {"amount": "1.00"}}, "bills", "it must be a list of at least one bill"),
        (
            {**REQUEST, "bills": [REQUEST["bills"][0], "2.00"]},
            "bills[1]",
            'give {"amount": …, "due_date": …}',
        ),
        (_with_second_bill(due_date="2026/03/11"), "bills[1].due_date", "it must be a date YYYY-MM-DD"),
        (_with_second_bill(due_date=None), "bills[1].due_date", "it is required"),
        (_with_second_bill(amount=None), "bills[1].amount", "it is required"),
        (_with_second_bill(amount="-2.00"), "bills[1].amount", "it cannot be negative"),
        (
            _with_second_bill(amount="2.005"),
            "bills[1].amount",
            "it must be exact to the fen (at most 2 decimals)",
        ),
        (_with_second_bill(amount="¥2"), "bills[1].amount", "it must be an amount (JSON number or string)"),
        (_with_second_bill(amount="NaN"), "bills[1].amount", "it must be an amount (JSON number or string)"),
        (_with_second_bill(amount=True), "bills[1].amount", "it must be an amount (JSON number or string)"),
        (_with_second_bill(amount="1e12"), "bills[1].amount", "it must be below 10^12 yuan"),
        (_with_second_bill(paid="2026-03-12"), "bills[1].paid", "it is not a field of a late-fee quote"),
    ],
)
def test_invalid_input_names_the_field(data: Any, field: str, reason_en: str) -> None:
    with pytest.raises(LateFeeQuoteInputInvalid) as refused:
        quote_late_fees(data=data)
    assert refused.value.field == field
    assert refused.value.message("en") == f'Late-fee quote input "{field}" is invalid: {reason_en}'
    assert refused.value.message("zh-hans").startswith(f"违约金试算输入“{field}”无效：")


def test_text_that_is_not_json_is_refused_as_the_body() -> None:
    with pytest.raises(LateFeeQuoteInputInvalid) as refused:
        read_late_fee_quote_json("{")
    assert refused.value.field == "(body)"
    assert refused.value.message("zh-hans").startswith("违约金试算输入“(body)”无效：不是有效的 JSON：")


def test_the_chinese_message_of_a_bill_field() -> None:
    with pytest.raises(LateFeeQuoteInputInvalid) as refused:
        quote_late_fees(data=_with_second_bill(due_date="soon"))
    assert refused.value.message("zh-hans") == "违约金试算输入“bills[1].due_date”无效：应为 YYYY-MM-DD 日期"
