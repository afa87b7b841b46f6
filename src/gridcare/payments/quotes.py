"""Late-fee quotes (电费违约金试算): a JSON request read into the late-fee rules' inputs, and the
fees back as JSON.

The contract (docs/late-fees.md) is shared by ``gridcare quote late-fee`` and
``POST /api/v1/payments/late-fee-quote``::

    {"customer_class": "residential" | "non_residential", "paid_date": "2026-01-10",
     "bills": [{"amount": "8000.00", "due_date": "2025-12-20"}]}
    → {"late_fee": "416.00", "bills": [{"due_date": "2025-12-20", "days": 21, "late_fee": "416.00"}]}

Amounts may be JSON numbers or strings; the JSON is read with ``parse_float=Decimal`` so no
number ever passes through a float.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from gridcare.kit.decimals import is_multiple_of, to_decimal
from gridcare.kit.money import FEN
from gridcare.payments.errors import LateFeeQuoteInputInvalid
from gridcare.payments.late_fee_rules import (
    DEFAULT_LATE_FEE_RULES,
    CustomerClass,
    LateFeeInputInvalid,
    LateFeeRules,
    LateFeeTotal,
    OverdueBill,
    late_fees_of_bills,
)

FIELDS = frozenset({"customer_class", "paid_date", "bills"})
BILL_FIELDS = frozenset({"amount", "due_date"})

#: The largest amount a quoted bill may have (yuan): far above any bill.
_LARGEST_AMOUNT = Decimal("1e12")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def read_late_fee_quote_json(text: str | bytes) -> Any:
    """The JSON of a late-fee quote request, numbers as Decimal (never float)."""
    try:
        return json.loads(text, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        raise _invalid("(body)", f"不是有效的 JSON：{error}", f"not JSON: {error}") from error


def quote_late_fees(*, data: Any, rules: LateFeeRules = DEFAULT_LATE_FEE_RULES) -> dict[str, Any]:
    """The JSON answer to a late-fee quote request (``data`` as read by
    :func:`read_late_fee_quote_json`), or :class:`LateFeeQuoteInputInvalid` naming the field."""
    customer_class, paid_date, bills = parse_late_fee_quote_request(data=data)
    try:
        total = late_fees_of_bills(
            bills=bills, paid_date=paid_date, customer_class=customer_class, rules=rules
        )
    except LateFeeInputInvalid as refusal:
        # The request is checked above; this keeps any refusal of the rules in the quote's terms.
        raise _invalid(
            refusal.field or "bills", str(refusal.params["reason_zh"]), str(refusal.params["reason_en"])
        ) from refusal
    return late_fees_as_json(total=total)


def parse_late_fee_quote_request(*, data: Any) -> tuple[CustomerClass, date, tuple[OverdueBill, ...]]:
    """The customer class, payment date and bills a request describes, or
    :class:`LateFeeQuoteInputInvalid` naming the field (``bills[1].due_date``)."""
    if not isinstance(data, Mapping):
        raise _invalid("(body)", "应为 JSON 对象", "it must be a JSON object")
    _refuse_unknown(data, FIELDS, prefix="")
    customer_class = data.get("customer_class")
    if customer_class is None:
        raise _invalid("customer_class", "必填", "it is required")
    if customer_class not in {member.value for member in CustomerClass}:
        raise _invalid(
            "customer_class",
            "应为 residential（居民）或 non_residential（非居民）",
            "it must be residential or non_residential",
        )
    paid_date = _date(data.get("paid_date"), "paid_date")
    bills = data.get("bills")
    if bills is None:
        raise _invalid("bills", "必填", "it is required")
    if not isinstance(bills, list) or not bills:
        raise _invalid("bills", "应为至少含一张账单的数组", "it must be a list of at least one bill")
    return (
        CustomerClass(customer_class),
        paid_date,
        tuple(_bill(bill, index) for index, bill in enumerate(bills)),
    )


def late_fees_as_json(*, total: LateFeeTotal) -> dict[str, Any]:
    """The quote's answer: the total ``late_fee`` and each bill's ``due_date``, ``days`` and
    ``late_fee``, amounts as decimal strings with two decimals."""
    return {
        "late_fee": f"{total.late_fee:.2f}",
        "bills": [
            {"due_date": fee.due_date.isoformat(), "days": fee.days, "late_fee": f"{fee.late_fee:.2f}"}
            for fee in total.bills
        ],
    }


def _bill(value: Any, index: int) -> OverdueBill:
    where = f"bills[{index}]"
    if not isinstance(value, Mapping):
        raise _invalid(where, '应为 {"amount": …, "due_date": …} 对象', 'give {"amount": …, "due_date": …}')
    _refuse_unknown(value, BILL_FIELDS, prefix=f"{where}.")
    return OverdueBill(
        amount=_amount(value.get("amount"), f"{where}.amount"),
        due_date=_date(value.get("due_date"), f"{where}.due_date"),
    )


def _refuse_unknown(data: Mapping[str, Any], known: frozenset[str], *, prefix: str) -> None:
    unknown = sorted(str(key) for key in set(data) - known)
    if unknown:
        raise _invalid(
            prefix + unknown[0], "不是违约金试算输入的字段", "it is not a field of a late-fee quote"
        )


def _date(value: Any, name: str) -> date:
    if value is None:
        raise _invalid(name, "必填", "it is required")
    try:
        if not isinstance(value, str) or not _ISO_DATE.match(value):
            raise ValueError("not an ISO date")
        return date.fromisoformat(value)
    except ValueError as error:
        raise _invalid(name, "应为 YYYY-MM-DD 日期", "it must be a date YYYY-MM-DD") from error


def _amount(value: Any, name: str) -> Decimal:
    if value is None:
        raise _invalid(name, "必填", "it is required")
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise _invalid(name, "应为金额（数值或字符串）", "it must be an amount (JSON number or string)")
    try:
        amount = to_decimal(value.strip() if isinstance(value, str) else value)
    except ValueError as error:
        raise _invalid(
            name, "应为金额（数值或字符串）", "it must be an amount (JSON number or string)"
        ) from error
    if amount < 0:
        raise _invalid(name, "不能为负数", "it cannot be negative")
    if amount >= _LARGEST_AMOUNT:
        raise _invalid(name, "应小于 10¹² 元", "it must be below 10^12 yuan")
    if not is_multiple_of(amount, FEN):
        raise _invalid(name, "最多两位小数（精确到分）", "it must be exact to the fen (at most 2 decimals)")
    return amount


def _invalid(field: str, reason_zh: str, reason_en: str) -> LateFeeQuoteInputInvalid:
    return LateFeeQuoteInputInvalid(field=field, reason_zh=reason_zh, reason_en=reason_en)
