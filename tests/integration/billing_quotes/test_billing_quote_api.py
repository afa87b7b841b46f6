"""``POST /api/v1/billing/quote``: staff sessions holding billing.quote, integrations holding
the billing:quote scope; 422 naming the field; refusals audited. Figures derived by hand."""

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

URL = "/api/v1/billing/quote"


def post(client: Client, payload: Any) -> Any:
    return client.post(URL, json.dumps(payload), content_type="application/json")


def test_a_billing_clerk_quotes_a_bill(
    org_tree: Any, staff_user_factory: Any, log_in: Any, beijing_450: Any, beijing_450_answer: Any
) -> None:
    clerk = staff_user_factory(username="clerk", org_unit=org_tree.station, roles=[Role.BILLING_CLERK])
    response = post(log_in(Client(), clerk), beijing_450)
    assert response.status_code == 200, response.content
    assert response.json() == beijing_450_answer


def test_a_low_income_quote_gets_its_free_kwh(
    org_tree: Any, staff_user_factory: Any, log_in: Any, beijing_450: Any
) -> None:
    # 15 free, then 225 × 0.4883 = 109.8675 → 109.87; 86.13; 39.42; total 235.42.
    agent = staff_user_factory(username="agent", org_unit=org_tree.station, roles=[Role.SERVICE_DESK_AGENT])
    response = post(log_in(Client(), agent), {**beijing_450, "low_income": True})
    assert response.status_code == 200, response.content
    assert [line["amount"] for line in response.json()["lines"]] == ["0.00", "109.87", "86.13", "39.42"]
    assert response.json()["total"] == "235.42"


def test_invalid_input_is_422_naming_the_field(
    org_tree: Any, staff_user_factory: Any, log_in: Any, beijing_450: Any
) -> None:
    clerk = staff_user_factory(username="clerk", org_unit=org_tree.station, roles=[Role.BILLING_CLERK])
    client = log_in(Client(), clerk)
    response = post(client, {**beijing_450, "energy_kwh": {"total": "lots"}})
    assert response.status_code == 422
    reason = 'Quote input "energy_kwh.total" is invalid: it must be a number (JSON number or string)'
    assert response.json() == {
        "code": "quote_input_invalid",
        "field": "energy_kwh.total",
        "message_zh": "试算输入“energy_kwh.total”无效：应为数字（数值或字符串）",
        "message_en": reason,
        "errors": [
            {
                "field": "energy_kwh.total",
                "message": reason,
                "type": "quote_input_invalid",
            }
        ],
    }
    # The engine's own refusals too: a contract demand under 40% of the capacity.
    two_part = {
        "tariff": "DEMO-GD-LI-2P",
        "period_start": "2025-03-01",
        "period_end": "2025-04-01",
        "energy_kwh": {"sharp": 0, "peak": 0, "flat": 1000, "valley": 0},
        "reactive_kvarh": {"forward": 300},
        "basic_charge_method": "demand",
        "max_demand_kw": 100,
        "contract_demand_kw": 100,
        "capacity_kva": 500,
    }
    refused = post(client, two_part)
    assert refused.status_code == 422
    assert (refused.json()["code"], refused.json()["field"]) == (
        "contract_demand_too_low",
        "contract_demand_kw",
    )
    not_json = client.post(URL, "{", content_type="application/json")
    assert (not_json.status_code, not_json.json()["field"]) == (422, "(body)")


def test_a_role_without_billing_quote_is_refused_and_audited(
    org_tree: Any, staff_user_factory: Any, log_in: Any, beijing_450: Any
) -> None:
    reader = staff_user_factory(username="reader", org_unit=org_tree.station, roles=[Role.METER_READER])
    response = post(log_in(Client(), reader), beijing_450)
    assert response.status_code == 403
    assert response.json()["message_en"] == "You do not hold the permission billing.quote"
    assert AuditEvent.objects.get(action="deny_api_request").changes["code"] == "api_permission_denied"
    assert post(Client(), beijing_450).status_code == 401


def _signed(credentials: IssuedCredentials, payload: Any) -> Any:
    body = json.dumps(payload).encode()
    headers = sign_request(
        method="POST", url=URL, body=body, token=credentials.token, signing_key=credentials.signing_key
    )
    return Client().generic("POST", URL, data=body, content_type="application/json", headers=headers)


def test_an_integration_needs_the_billing_quote_scope(org_tree: Any, beijing_450: Any) -> None:
    quoting = create_integration(
        name="quoting",
        kind=IntegrationKind.AMI,
        org_unit=org_tree.station,
        scopes=[ApiScope.BILLING_QUOTE],
        actor=None,
        now=timezone.now(),
    )
    response = _signed(quoting, beijing_450)
    assert response.status_code == 200, response.content
    assert response.json()["total"] == "242.74"
    reading = create_integration(
        name="reading",
        kind=IntegrationKind.AMI,
        org_unit=org_tree.station,
        scopes=[ApiScope.ACCOUNTS_READ],
        actor=None,
        now=timezone.now(),
    )
    refused = _signed(reading, beijing_450)
    assert refused.status_code == 403
