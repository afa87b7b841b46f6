"""The payments API: late-fee quotes (电费违约金试算) by the same rules as the fees (docs/late-fees.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from gridcare.identity.api_auth import api_access, error_responses
from gridcare.identity.integrations import ApiScope
from gridcare.identity.permissions import Permission
from gridcare.kit.errors import GridCareError
from gridcare.payments.quotes import quote_late_fees, read_late_fee_quote_json

router = Router(tags=["payments"])

_AMOUNT: dict[str, Any] = {
    "oneOf": [{"type": "number"}, {"type": "string"}],
    "description": "Yuan, at least 0, exact to the fen.",
}

#: The request body as documented (the endpoint reads the JSON itself, numbers as Decimal).
LATE_FEE_QUOTE_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["customer_class", "paid_date", "bills"],
    "additionalProperties": False,
    "properties": {
        "customer_class": {"type": "string", "enum": ["residential", "non_residential"]},
        "paid_date": {"type": "string", "format": "date", "description": "The day the bills are paid."},
        "bills": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["amount", "due_date"],
                "additionalProperties": False,
                "properties": {
                    "amount": _AMOUNT,
                    "due_date": {"type": "string", "format": "date"},
                },
            },
        },
    },
}


class LateFeeOfBillOut(Schema):
    due_date: str
    #: Overdue days counted: from the day after the due date through the payment date.
    days: int
    #: Yuan, two decimals.
    late_fee: str


class LateFeeQuoteOut(Schema):
    #: The sum of the bills' late fees, two decimals.
    late_fee: str
    bills: list[LateFeeOfBillOut]


@router.post(
    "/late-fee-quote",
    response={200: LateFeeQuoteOut, **error_responses()},
    # The same access as the bill quote (billing.api): a quote changes and reads nothing stored.
    auth=api_access(permission=Permission.QUOTE_BILLS, scope=ApiScope.BILLING_QUOTE),
    summary="Quote the late fees of overdue bills",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": LATE_FEE_QUOTE_REQUEST_SCHEMA}},
        }
    },
)
def late_fee_quote(request: HttpRequest) -> Status[dict[str, Any]]:
    """Each bill's overdue days and late fee, and their total, for bills paid on ``paid_date``;
    422 naming the field of any invalid input. Nothing is stored."""
    try:
        return Status(200, quote_late_fees(data=read_late_fee_quote_json(request.body)))
    except GridCareError as refusal:
        field = refusal.field or ""
        problem = {"field": field, "message": refusal.message("en"), "type": refusal.code}
        return Status(422, {**refusal.as_dict(), "errors": [problem]})
