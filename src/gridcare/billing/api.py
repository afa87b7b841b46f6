"""The billing API: quotes (电费试算) by the same engine as the bills (docs/billing.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from gridcare.billing.quotes import quote_registers, read_quote_json
from gridcare.identity.api_auth import api_access, error_responses
from gridcare.identity.integrations import ApiScope
from gridcare.identity.permissions import Permission
from gridcare.kit.errors import GridCareError

router = Router(tags=["billing"])

_NUMBER: dict[str, Any] = {"oneOf": [{"type": "number"}, {"type": "string"}]}

#: The request body as documented (the endpoint reads the JSON itself, numbers as Decimal).
QUOTE_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["tariff", "period_start", "period_end", "energy_kwh"],
    "properties": {
        "tariff": {
            "oneOf": [{"type": "string", "example": "CN-BJ-RES-2012"}, {"type": "object"}],
            "description": "A catalog code, or an inline tariff document (docs/tariffs.md).",
        },
        "period_start": {"type": "string", "format": "date"},
        "period_end": {"type": "string", "format": "date", "description": "Exclusive."},
        "energy_kwh": {
            "type": "object",
            "additionalProperties": _NUMBER,
            "description": 'kWh per tariff period, or {"total": kWh} for a single-period tariff.',
        },
        "reactive_kvarh": {"type": "object", "properties": {"forward": _NUMBER, "reverse": _NUMBER}},
        "basic_charge_method": {"type": "string", "enum": ["demand", "capacity"]},
        "max_demand_kw": _NUMBER,
        "contract_demand_kw": _NUMBER,
        "capacity_kva": _NUMBER,
        "contract_capacity_kva": _NUMBER,
        "tier_year_kwh_before": _NUMBER,
        "days_used": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
        "large_household": {"type": "boolean"},
        "low_income": {"type": "boolean"},
        "usage_category": {"type": "string"},
    },
}


class QuoteLineOut(Schema):
    code: str
    name: str
    quantity: str
    unit: str
    unit_price: str
    #: Yuan, two decimals.
    amount: str


class QuoteOut(Schema):
    lines: list[QuoteLineOut]
    #: The sum of the lines' amounts, two decimals.
    total: str


@router.post(
    "/quote",
    response={200: QuoteOut, **error_responses()},
    auth=api_access(permission=Permission.QUOTE_BILLS, scope=ApiScope.BILLING_QUOTE),
    summary="Quote a bill from register usage",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": QUOTE_REQUEST_SCHEMA}}}
    },
)
def quote(request: HttpRequest) -> Status[dict[str, Any]]:
    """The bill's lines and total for the given tariff and usage; 422 naming the field of any
    invalid input. Nothing is stored."""
    try:
        return Status(200, quote_registers(data=read_quote_json(request.body)))
    except GridCareError as refusal:
        field = refusal.field or ""
        problem = {"field": field, "message": refusal.message("en"), "type": refusal.code}
        return Status(422, {**refusal.as_dict(), "errors": [problem]})
