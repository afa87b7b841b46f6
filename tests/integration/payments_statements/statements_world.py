"""The reconciliation world: the payments world's account (tests/integration/payments) with two
bank payments recorded on 2025-03-10 — 100.00 collected in real time (serial BR20250310001)
and 80.00 by direct debit (serial BD20250310002) — a 核算员 at the station who reconciles,
another at the sibling station, and the payments world's cashier, who may not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from payments_world import PaymentsWorld, make_payments_world

from gridcare.identity.models import Role, User
from gridcare.payments.models import Payment, PaymentChannel
from gridcare.payments.operations import record_payment

REALTIME_SERIAL, DEBIT_SERIAL = "BR20250310001", "BD20250310002"


@dataclass(frozen=True)
class StatementWorld:
    payments: PaymentsWorld
    realtime: Payment
    debit: Payment
    clerk: User
    other_clerk: User

    @property
    def tree(self) -> Any:
        return self.payments.tree


def make_statement_world(org_tree: Any, now: datetime, staff_user_factory: Any) -> StatementWorld:
    world = make_payments_world(org_tree, now, staff_user_factory)
    realtime, debit = (
        record_payment(
            actor=world.cashier,
            account=world.account,
            amount=Decimal(amount),
            channel=channel,
            idempotency_key=serial,
            received_at=now,
            now=now,
        )
        for amount, channel, serial in (
            ("100.00", PaymentChannel.BANK_REALTIME, REALTIME_SERIAL),
            ("80.00", PaymentChannel.BANK_DEBIT, DEBIT_SERIAL),
        )
    )
    clerk = staff_user_factory(username="clerk", org_unit=org_tree.station, roles=[Role.BILLING_CLERK])
    other = staff_user_factory(
        username="other-clerk", org_unit=org_tree.other_station, roles=[Role.BILLING_CLERK]
    )
    return StatementWorld(payments=world, realtime=realtime, debit=debit, clerk=clerk, other_clerk=other)
