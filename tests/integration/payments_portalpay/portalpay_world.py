"""The world of the provider-payment tests (their fixtures: conftest.py): the ledger world
(tests/integration/ledger: 张伟's two accounts at the station) with a bill of 97.66 issued to the
first, due 2025-03-20 (not overdue on the fixed day 2025-03-10, so no late fee accrues whatever
the day's rules), a portal login bound to 张伟, another customer's account, and notifications
signed with the sandbox provider's key (the provider settings of the demo and the tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from ledger_world import LedgerWorld, bill_issued, make_ledger_world

from gridcare.customers.models import Account, Customer, CustomerKind, PortalLink
from gridcare.identity.models import User, UserKind
from gridcare.kit.ids import make_account_number
from gridcare.ledger.operations import post_journal_entries
from gridcare.payments.provider_protocol import ensure_private_key_file, signed

#: The bill issued to the world's first account and its open item.
BILL_AMOUNT, BILL_ITEM = Decimal("97.66"), "billing.bill:501"


@dataclass(frozen=True)
class PortalPayWorld:
    ledger: LedgerWorld
    account: Account
    portal_user: User
    other_account: Account


def make_portal_pay_world(org_tree: Any, now: Any) -> PortalPayWorld:
    ledger = make_ledger_world(org_tree, now)
    post_journal_entries(entries=[bill_issued(ledger, ledger.first, "97.66", key="501")], actor=None, now=now)
    portal_user = User.objects.create(username="zhangwei-portal", kind=UserKind.PORTAL)
    PortalLink.objects.create(user=portal_user, customer=ledger.first.customer)
    stranger = Customer.objects.create(
        org_unit=org_tree.station,
        customer_no="C0000000009",
        kind=CustomerKind.PERSON,
        name="李娜",
        id_number="110101199003071234",
        created_at=now,
    )
    other = Account.objects.create(
        org_unit=org_tree.station,
        account_no=make_account_number(sequence=9),
        customer=stranger,
        name="李娜",
        service_address="济南市历下区泉城路 2 号",
        usage_category=ledger.first.usage_category,
        voltage_level=ledger.first.voltage_level,
        contract_capacity_kva=Decimal(8),
        tariff_code="CN-BJ-RES-2012",
        reading_day=1,
        status_effective_date=date(2024, 1, 1),
        opened_date=date(2024, 1, 1),
    )
    return PortalPayWorld(ledger=ledger, account=ledger.first, portal_user=portal_user, other_account=other)


def sandbox_provider_key() -> rsa.RSAPrivateKey:
    """The sandbox provider's private key (made on first use, as the sandbox does)."""
    return ensure_private_key_file(Path(str(settings.PAYMENT_PROVIDER["SANDBOX_KEY_DIR"])) / "provider.pem")


TRADE_NO = "20250310SBX0000000000001"
Notify = Callable[..., dict[str, str]]


def notification_signer(provider_key: rsa.RSAPrivateKey) -> Notify:
    """``notification(out_trade_no, total_amount, **others)`` → a paid-trade notification signed
    by the provider (``key=`` another key to sign it with)."""

    def make(
        out_trade_no: str, total_amount: str, key: rsa.RSAPrivateKey | None = None, **others: str
    ) -> dict[str, str]:
        parameters = {
            "app_id": str(settings.PAYMENT_PROVIDER["APP_ID"]),
            "out_trade_no": out_trade_no,
            "trade_no": TRADE_NO,
            "total_amount": total_amount,
            "trade_status": "TRADE_SUCCESS",
            "gmt_payment": "2025-03-10 09:31:02",
            "notify_id": "notify-1",
            **others,
        }
        return signed(parameters, private_key=key or provider_key)

    return make
