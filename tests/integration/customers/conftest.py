"""A small customer file on top of the shared ``org_tree``: an administrator, a person
registered at 泉城路供电所 with a residential account, an enterprise registered at the county
with a key account at 解放路供电所, and the snapshot a refused operation must leave unchanged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from gridcare.audit.models import AuditEvent
from gridcare.customers.models import (
    Account,
    AccountManagerAssignment,
    AccountStatusChange,
    Contact,
    ContactLogEntry,
    Customer,
    CustomerKind,
    PaymentMethod,
    PortalLink,
    ReadingRoute,
    UsageCategory,
    VoltageLevel,
)
from gridcare.customers.operations import open_account, register_customer
from gridcare.identity.models import Role, User
from gridcare.organization.models import NumberSequence

PERSON_ID_NUMBER = "370102199002152343"
ENTERPRISE_CREDIT_CODE = "91370100MA3C123459"
OPENED = date(2025, 1, 2)


@pytest.fixture
def actor(org_tree: Any, staff_user_factory: Any) -> User:
    """The 业扩受理员 of the provincial company (holding the change permission everywhere in
    the province), who performs the operations."""
    return staff_user_factory(
        username="admin", org_unit=org_tree.province, roles=[Role.BUSINESS_EXPANSION_CLERK]
    )


@pytest.fixture
def person(org_tree: Any, actor: User, now: datetime) -> Customer:
    return register_customer(
        org_unit=org_tree.station,
        kind=CustomerKind.PERSON,
        name="张三",
        id_number=PERSON_ID_NUMBER,
        postal_address="济南市历下区泉城路 1 号",
        actor=actor,
        now=now,
    )


@pytest.fixture
def enterprise(org_tree: Any, actor: User, now: datetime) -> Customer:
    return register_customer(
        org_unit=org_tree.county,
        kind=CustomerKind.ENTERPRISE,
        name="济南泉城机械制造有限公司",
        credit_code=ENTERPRISE_CREDIT_CODE,
        postal_address="济南市历下区解放路 100 号",
        actor=actor,
        now=now,
    )


OpenAccount = Callable[..., Account]


@pytest.fixture
def open_account_with(org_tree: Any, person: Customer, actor: User, now: datetime) -> OpenAccount:
    """``open_account`` with a residential account of ``person`` as defaults; keywords override."""

    def open_with(**overrides: Any) -> Account:
        arguments: dict[str, Any] = {
            "customer": person,
            "org_unit": org_tree.station,
            "name": "张三",
            "service_address": "济南市历下区泉城路 1 号 1 单元 101 室",
            "usage_category": UsageCategory.RESIDENTIAL,
            "voltage_level": VoltageLevel.V220,
            "contract_capacity_kva": Decimal("8"),
            "tariff_code": "RES-220V",
            "payment_method": PaymentMethod.POSTPAID,
            "reading_day": 5,
            "opened_date": OPENED,
            "actor": actor,
            "now": now,
        }
        arguments.update(overrides)
        return open_account(**arguments)

    return open_with


@pytest.fixture
def account(open_account_with: OpenAccount) -> Account:
    return open_account_with()


@pytest.fixture
def key_account(org_tree: Any, enterprise: Customer, open_account_with: OpenAccount) -> Account:
    return open_account_with(
        customer=enterprise,
        org_unit=org_tree.other_station,
        name="济南泉城机械制造有限公司",
        service_address="济南市历下区解放路 100 号",
        usage_category=UsageCategory.LARGE_INDUSTRY,
        voltage_level=VoltageLevel.KV10,
        contract_capacity_kva=Decimal("630"),
        tariff_code="LI-10KV",
        industry_code="C3411",
        is_key_account=True,
    )


Snapshot = Callable[[], dict[str, object]]


@pytest.fixture
def snapshot(db: None) -> Snapshot:
    """Everything a refused customer operation must leave as it was."""

    def take() -> dict[str, object]:
        return {
            "customers": list(Customer.objects.order_by("pk").values_list("pk", "customer_no", "name")),
            "contacts": list(Contact.objects.order_by("pk").values_list("pk", "is_primary")),
            "reading_routes": list(ReadingRoute.objects.order_by("pk").values_list("pk", "code")),
            "accounts": list(
                Account.objects.order_by("pk").values_list(
                    "pk", "account_no", "status", "status_effective_date"
                )
            ),
            "status_changes": AccountStatusChange.objects.count(),
            "assignments": list(
                AccountManagerAssignment.objects.order_by("pk").values_list("pk", "manager_id", "valid_to")
            ),
            "contact_log": list(
                ContactLogEntry.objects.order_by("pk").values_list("pk", "follow_up_done_at")
            ),
            "portal_links": PortalLink.objects.count(),
            "sequences": list(NumberSequence.objects.order_by("name").values_list("name", "last_value")),
            "audit_events": AuditEvent.objects.count(),
        }

    return take
