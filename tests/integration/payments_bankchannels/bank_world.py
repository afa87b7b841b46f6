"""A bank world on top of the payments world (张伟's account at the station owing 181.50 on
2025-03-10: January's 100.00 due 2025-03-12, February's 80.00, a late fee of 1.50): the
bank ``icbc-quancheng`` (an integration of the station holding ``payments:bank_collection``), a
second account at the station, 济南泉城商贸有限公司, owing one bill of 250.00 due 2025-03-05 (and
on 2025-03-10 its late fee: 5 days × 2‰ × 250.00 = 2.50, so 252.50), a
third account at the other station (outside the bank's org units) and the other station's bank
``abc-jiefang``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.test import Client

from gridcare.customers.models import Account, Customer, CustomerKind, UsageCategory, VoltageLevel
from gridcare.identity.integrations import ApiScope, IssuedCredentials
from gridcare.identity.models import IntegrationKind
from gridcare.identity.operations import create_integration
from gridcare.identity.signing import sign_request
from gridcare.kit.ids import make_account_number
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.operations import post_journal_entries

SHOP_BILL = "billing.bill:3"


@dataclass(frozen=True)
class BankWorld:
    payments: Any  # PaymentsWorld
    bank: IssuedCredentials
    other_bank: IssuedCredentials
    shop: Account
    outsider: Account

    @property
    def account(self) -> Account:
        return self.payments.account  # type: ignore[no-any-return]


def make_account(*, sequence: int, name: str, unit: Any, now: datetime) -> Account:
    customer = Customer.objects.create(
        org_unit=unit,
        customer_no=f"C{sequence:010d}",
        kind=CustomerKind.ENTERPRISE,
        credit_code=f"91370100MA3C5DEX{sequence:02d}",
        name=name,
        created_at=now,
    )
    return Account.objects.create(
        org_unit=unit,
        account_no=make_account_number(sequence=sequence),
        customer=customer,
        name=name,
        service_address="济南市历下区泉城路 9 号",
        usage_category=UsageCategory.GENERAL_COMMERCIAL,
        voltage_level=VoltageLevel.V380,
        contract_capacity_kva=Decimal(50),
        tariff_code="CN-BJ-COM-2012",
        reading_day=1,
        status_effective_date=date(2024, 1, 1),
        opened_date=date(2024, 1, 1),
    )


def make_bank_world(payments: Any, now: datetime) -> BankWorld:
    from payments_world import receivable_entry

    tree = payments.tree
    shop = make_account(sequence=2, name="济南泉城商贸有限公司", unit=tree.station, now=now)
    outsider = make_account(sequence=3, name="解放路商店", unit=tree.other_station, now=now)
    post_journal_entries(
        entries=[
            receivable_entry(
                tree,
                shop,
                code=ChartCode.RECEIVABLE_ENERGY,
                income=ChartCode.ENERGY_REVENUE,
                amount="250.00",
                item=SHOP_BILL,
                due=date(2025, 3, 5),
            )
        ],
        actor=None,
        now=now,
    )
    scopes = [ApiScope.PAYMENTS_BANK_COLLECTION]
    bank = create_integration(
        name="icbc-quancheng",
        kind=IntegrationKind.BANK,
        org_unit=tree.station,
        scopes=scopes,
        actor=None,
        now=now,
    )
    other_bank = create_integration(
        name="abc-jiefang",
        kind=IntegrationKind.BANK,
        org_unit=tree.other_station,
        scopes=scopes,
        actor=None,
        now=now,
    )
    return BankWorld(payments=payments, bank=bank, other_bank=other_bank, shop=shop, outsider=outsider)


def signed(
    credentials: IssuedCredentials, method: str, url: str, payload: object | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and the headers of a request signed with the real client helper."""
    body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    headers = sign_request(
        method=method, url=url, body=body, token=credentials.token, signing_key=credentials.signing_key
    )
    return body, headers


def send(method: str, url: str, body: bytes, headers: dict[str, str]) -> Any:
    return Client().generic(method, url, data=body, content_type="application/json", headers=headers)


def call(credentials: IssuedCredentials, method: str, url: str, payload: object | None = None) -> Any:
    """Sign a request with ``credentials`` (fresh nonce) and send it."""
    body, headers = signed(credentials, method, url, payload)
    return send(method, url, body, headers)
