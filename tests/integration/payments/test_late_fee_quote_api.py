"""``POST /api/v1/payments/late-fee-quote``: the bill quote's access (staff holding billing.quote,
integrations holding the billing:quote scope); 422 naming the field; refusals audited and
nothing stored. Figures worked by hand in conftest.py and the comments."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gridcare.audit.models import AuditEvent
from gridcare.identity.integrations import ApiScope, IssuedCredentials
from gridcare.identity.models import IntegrationKind, Role
from gridcare.identity.operations import create_integration
from gridcare.identity.signing import sign_request

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/late-fee-quote"


def post(client: Client, payload: Any) -> Any:
    return client.post(URL, json.dumps(payload), content_type="application/json")


def test_a_billing_clerk_quotes_the_late_fees_of_several_bills(
    org_tree: Any,
    staff_user_factory: Any,
    log_in: Any,
    several_bills: dict[str, Any],
    several_bills_answer: dict[str, Any],
) -> None:
    clerk = staff_user_factory(username="clerk", org_unit=org_tree.station, roles=[Role.BILLING_CLERK])
    client = log_in(Client(), clerk)
    events_before = AuditEvent.objects.count()
    response = post(client, several_bills)
    assert response.status_code == 200, response.content
    assert response.json() == several_bills_answer
    # A quote is not a change: it records nothing.
    assert AuditEvent.objects.count() == events_before


def test_a_service_desk_agent_quotes_a_residential_bill(
    org_tree: Any, staff_user_factory: Any, log_in: Any
) -> None:
    # 600.00 due 2025-12-25 paid 2026-01-05: 6 + 5 = 11 days × 0.001 × 600.00 = 6.60 (no 3‰ for
    # residential customers in the later year).
    agent = staff_user_factory(username="agent", org_unit=org_tree.station, roles=[Role.SERVICE_DESK_AGENT])
    payload = {
        "customer_class": "residential",
        "paid_date": "2026-01-05",
        "bills": [{"amount": "600.00", "due_date": "2025-12-25"}],
    }
    response = post(log_in(Client(), agent), payload)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "late_fee": "6.60",
        "bills": [{"due_date": "2025-12-25", "days": 11, "late_fee": "6.60"}],
    }


def test_invalid_input_is_422_naming_the_field(
    org_tree: Any, staff_user_factory: Any, log_in: Any, several_bills: dict[str, Any]
) -> None:
    clerk = staff_user_factory(username="clerk", org_unit=org_tree.station, roles=[Role.BILLING_CLERK])
    client = log_in(Client(), clerk)
    several_bills["bills"][1]["due_date"] = "2026-01-32"
    response = post(client, several_bills)
    assert response.status_code == 422
    reason = 'Late-fee quote input "bills[1].due_date" is invalid: it must be a date YYYY-MM-DD'
    assert response.json() == {
        "code": "late_fee_quote_input_invalid",
        "field": "bills[1].due_date",
        "message_zh": "违约金试算输入“bills[1].due_date”无效：应为 YYYY-MM-DD 日期",
        "message_en": reason,
        "errors": [{"field": "bills[1].due_date", "message": reason, "type": "late_fee_quote_input_invalid"}],
    }
    unknown = post(client, {**several_bills, "rules": "1996"})
    assert (unknown.status_code, unknown.json()["field"]) == (422, "rules")
    not_json = client.post(URL, "{", content_type="application/json")
    assert (not_json.status_code, not_json.json()["field"]) == (422, "(body)")


def test_a_role_without_billing_quote_is_refused_and_audited(
    org_tree: Any, staff_user_factory: Any, log_in: Any, several_bills: dict[str, Any]
) -> None:
    reader = staff_user_factory(username="reader", org_unit=org_tree.station, roles=[Role.METER_READER])
    response = post(log_in(Client(), reader), several_bills)
    assert response.status_code == 403
    assert response.json()["message_en"] == "You do not hold the permission billing.quote"
    denial = AuditEvent.objects.get(action="deny_api_request")
    assert denial.changes["code"] == "api_permission_denied"


def test_an_unauthenticated_request_is_refused(db: None, several_bills: dict[str, Any]) -> None:
    response = post(Client(), several_bills)
    assert response.status_code == 401
    assert response.json()["code"] == "api_credentials_missing"
    assert "late_fee" not in response.json()


def _signed(credentials: IssuedCredentials, payload: Any) -> Any:
    body = json.dumps(payload).encode()
    headers = sign_request(
        method="POST", url=URL, body=body, token=credentials.token, signing_key=credentials.signing_key
    )
    return Client().generic("POST", URL, data=body, content_type="application/json", headers=headers)


def test_an_integration_needs_the_billing_quote_scope(
    org_tree: Any, several_bills: dict[str, Any], several_bills_answer: dict[str, Any]
) -> None:
    quoting = create_integration(
        name="quoting",
        kind=IntegrationKind.AMI,
        org_unit=org_tree.station,
        scopes=[ApiScope.BILLING_QUOTE],
        actor=None,
        now=timezone.now(),
    )
    response = _signed(quoting, several_bills)
    assert response.status_code == 200, response.content
    assert response.json() == several_bills_answer
    reading = create_integration(
        name="reading",
        kind=IntegrationKind.AMI,
        org_unit=org_tree.station,
        scopes=[ApiScope.ACCOUNTS_READ],
        actor=None,
        now=timezone.now(),
    )
    refused = _signed(reading, several_bills)
    assert refused.status_code == 403
