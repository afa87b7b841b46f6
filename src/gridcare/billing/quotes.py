"""Quotes (电费试算): a JSON request read into the engine's inputs, and the bill back as JSON.

The contract (docs/billing.md) is shared by ``gridcare quote registers`` and
``POST /api/v1/billing/quote``. Numbers may be JSON numbers or strings; read the JSON with
``parse_float=Decimal`` so no number ever passes through a float.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from gridcare.billing.engine.reference import Bill, RegisterBillInput, calculate_register_bill
from gridcare.billing.engine.tariff import BasicChargeMethod, TariffDocument, parse_tariff_document
from gridcare.billing.errors import QuoteInputInvalid, TariffCodeUnknown
from gridcare.kit.decimals import to_decimal
from gridcare.kit.money import round_to_fen
from gridcare.tariffs.errors import TariffNotFound, TariffVersionMissing
from gridcare.tariffs.queries import tariff_document_for

_TARIFF_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,63}$")

#: The largest magnitude a quote's number may have (kWh, kW, kVA, days): far above any bill.
_LARGEST_NUMBER = Decimal("1e12")
#: The most decimal places a quote's number may have.
_MOST_PLACES = 6

_OPTIONAL_NUMBERS = ("max_demand_kw", "contract_demand_kw", "capacity_kva", "contract_capacity_kva")
#: Account facts beyond the issue's contract (documented extensions).
_OPTIONAL_FLAGS = ("large_household", "low_income")
FIELDS = frozenset(
    {
        "tariff",
        "period_start",
        "period_end",
        "energy_kwh",
        "reactive_kvarh",
        "basic_charge_method",
        "tier_year_kwh_before",
        "days_used",
        "usage_category",
        *_OPTIONAL_NUMBERS,
        *_OPTIONAL_FLAGS,
    }
)


def tariff_document_by_code(code: str, on: date) -> TariffDocument:
    """The document of the catalog tariff ``code`` in force ``on`` (the tariffs app)."""
    if not _TARIFF_CODE.match(code):
        raise TariffCodeUnknown(field="tariff", tariff_code=code)
    try:
        return tariff_document_for(code=code, on=on)
    except (TariffNotFound, TariffVersionMissing) as error:
        raise TariffCodeUnknown(field="tariff", tariff_code=code) from error


def read_quote_json(text: str | bytes) -> Any:
    """The JSON of a quote request, numbers as Decimal (never float)."""
    try:
        return json.loads(text, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        raise QuoteInputInvalid(
            field="(body)", reason_zh=f"不是有效的 JSON：{error}", reason_en=f"not JSON: {error}"
        ) from error


def parse_quote_request(
    *, data: Any, tariff_by_code: Callable[[str, date], TariffDocument] = tariff_document_by_code
) -> RegisterBillInput:
    """The engine input a quote request describes, or :class:`QuoteInputInvalid` naming the field."""
    if not isinstance(data, Mapping):
        raise _invalid("(body)", "应为 JSON 对象", "it must be a JSON object")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise _invalid(unknown[0], "不是试算输入的字段", "it is not a field of a quote")
    period_start = _date(data, "period_start")
    period_end = _date(data, "period_end")
    energy = data.get("energy_kwh")
    if not isinstance(energy, Mapping) or not energy:
        raise _invalid(
            "energy_kwh",
            '应为时段到电量的对象，例如 {"total": 450}',
            'give an object of period → kWh, e.g. {"total": 450}',
        )
    reactive = data.get("reactive_kvarh")
    if reactive is not None and (not isinstance(reactive, Mapping) or set(reactive) - {"forward", "reverse"}):
        raise _invalid(
            "reactive_kvarh", '应为 {"forward": …, "reverse": …}', 'give {"forward": …, "reverse": …}'
        )
    method = data.get("basic_charge_method")
    if method is not None and method not in {m.value for m in BasicChargeMethod}:
        raise _invalid("basic_charge_method", "应为 demand 或 capacity", "it must be demand or capacity")
    category = data.get("usage_category")
    if category is not None and not isinstance(category, str):
        raise _invalid("usage_category", "应为文本", "it must be text")
    for flag in _OPTIONAL_FLAGS:
        if not isinstance(data.get(flag, False), bool):
            raise _invalid(flag, "应为 true 或 false", "it must be true or false")
    return RegisterBillInput(
        tariff=_tariff(data.get("tariff"), period_start, tariff_by_code),
        period_start=period_start,
        period_end=period_end,
        energy_kwh={str(name): _number(kwh, f"energy_kwh.{name}") for name, kwh in energy.items()},
        reactive_kvarh_forward=_optional(reactive, "forward", "reactive_kvarh."),
        reactive_kvarh_reverse=_optional(reactive, "reverse", "reactive_kvarh."),
        basic_charge_method=BasicChargeMethod(method) if method is not None else None,
        tier_year_kwh_before=_optional(data, "tier_year_kwh_before") or Decimal(0),
        days_used=_days(data.get("days_used")),
        usage_category=category,
        max_demand_kw=_optional(data, "max_demand_kw"),
        contract_demand_kw=_optional(data, "contract_demand_kw"),
        capacity_kva=_optional(data, "capacity_kva"),
        contract_capacity_kva=_optional(data, "contract_capacity_kva"),
        large_household=data.get("large_household", False),
        low_income=data.get("low_income", False),
    )


def bill_as_json(*, bill: Bill) -> dict[str, Any]:
    """The quote's answer: ``lines`` (code, name, quantity, unit, unit_price, amount) and ``total``,
    amounts as decimal strings with two decimals."""
    return {
        "lines": [
            {
                "code": line.code,
                "name": line.name_zh,
                "quantity": _plain(line.quantity),
                "unit": line.unit,
                "unit_price": _plain(line.unit_price),
                "amount": f"{round_to_fen(line.amount):.2f}",
            }
            for line in bill.lines
        ],
        "total": f"{round_to_fen(bill.total):.2f}",
    }


def quote_registers(
    *, data: Any, tariff_by_code: Callable[[str, date], TariffDocument] = tariff_document_by_code
) -> dict[str, Any]:
    """The JSON answer to a register quote request (``data`` as read by :func:`read_quote_json`)."""
    bill_input = parse_quote_request(data=data, tariff_by_code=tariff_by_code)
    try:
        bill = calculate_register_bill(bill=bill_input)
    except ArithmeticError as error:  # an inline tariff's figures beyond any real bill
        raise _invalid(
            "tariff", "数值超出可计算范围", "its figures are out of the computable range"
        ) from error
    return bill_as_json(bill=bill)


def _tariff(value: Any, on: date, tariff_by_code: Callable[[str, date], TariffDocument]) -> TariffDocument:
    if isinstance(value, str):
        return tariff_by_code(value, on)
    if isinstance(value, Mapping):
        try:
            return parse_tariff_document(_jsonable(value))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in ("tariff", *first["loc"]))
            raise _invalid(where, first["msg"], first["msg"]) from error
    raise _invalid("tariff", "应为电价代码或电价文档对象", "give a catalog code or an inline tariff document")


def _jsonable(value: Any) -> Any:
    """Decimals read from JSON numbers back as strings, which the tariff schema reads exactly."""
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def _date(data: Mapping[str, Any], name: str) -> date:
    value = data.get(name)
    if value is None:
        raise _invalid(name, "必填", "it is required")
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else _bad_date()
    except ValueError as error:
        raise _invalid(name, "应为 YYYY-MM-DD 日期", "it must be a date YYYY-MM-DD") from error


def _bad_date() -> date:
    raise ValueError("not an ISO date")


def _number(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise _invalid(name, "应为数字（数值或字符串）", "it must be a number (JSON number or string)")
    try:
        number = to_decimal(value.strip() if isinstance(value, str) else value)
    except ValueError as error:
        raise _invalid(
            name, "应为数字（数值或字符串）", "it must be a number (JSON number or string)"
        ) from error
    if abs(number) >= _LARGEST_NUMBER or _places(number) > _MOST_PLACES:
        raise _invalid(
            name,
            f"应小于 10¹²，最多 {_MOST_PLACES} 位小数",
            f"it must be below 10^12 with at most {_MOST_PLACES} decimal places",
        )
    return number


def _places(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0


def _optional(data: Mapping[str, Any] | None, name: str, prefix: str = "") -> Decimal | None:
    if data is None or data.get(name) is None:
        return None
    return _number(data[name], prefix + name)


def _days(value: Any) -> int | None:
    if value is None:
        return None
    number = _number(value, "days_used")
    if number != number.to_integral_value():
        raise _invalid("days_used", "应为整天数", "it must be a whole number of days")
    return int(number)


def _plain(value: Decimal) -> str:
    return format(value, "f")


def _invalid(field: str, reason_zh: str, reason_en: str) -> QuoteInputInvalid:
    return QuoteInputInvalid(field=field, reason_zh=reason_zh, reason_en=reason_en)
