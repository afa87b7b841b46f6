"""Property (issue 6's acceptance): any sequence of bill issues (billing's own issue of real bills,
and receivables posted directly), refund bills (adjustments below zero), payments, reversals,
refunds of prepaid, late-fee accruals and waivers, made through the operations themselves over
days that pass,
leaves every journal entry balanced and every account's cached balance equal to its postings —
and on the last day, paying each account what amount_due says clears it to the fen."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from accounts_world import AccountsWorld, moment
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridcare.customers.models import UsageCategory
from gridcare.identity.operations import approve_request
from gridcare.ledger.models import AccountBalance, JournalEntry
from gridcare.ledger.queries import check_ledger
from gridcare.payments.errors import LateFeeWaiverInvalid, PaymentAlreadyReversed, RefundAmountInvalid
from gridcare.payments.late_fees import charge_late_fees, request_late_fee_waiver
from gridcare.payments.models import Payment
from gridcare.payments.operations import refund_prepaid, reverse_payment

pytestmark = pytest.mark.django_db

amounts = st.integers(min_value=1, max_value=500_000).map(lambda fen: Decimal(fen) / 100)
accounts = st.integers(0, 1)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("days"), st.integers(1, 45)),
        st.tuples(st.just("bill"), accounts, amounts, st.integers(-40, 20)),
        st.tuples(st.just("issue"), accounts, amounts),
        st.tuples(st.just("refund_bill"), st.integers(0, 20), amounts),
        st.tuples(st.just("pay"), accounts, amounts),
        st.tuples(st.just("reverse"), st.integers(0, 20)),
        st.tuples(st.just("refund"), accounts, amounts),
        st.tuples(
            st.just("accrue"),
        ),
        st.tuples(st.just("waive"), accounts, amounts),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_any_sequence_keeps_the_ledger_balanced_and_amount_due_clears_the_account(
    world: AccountsWorld, sequence: list[tuple[Any, ...]]
) -> None:
    with transaction.atomic():
        pair = [world.account(UsageCategory.RESIDENTIAL), world.account(UsageCategory.LARGE_INDUSTRY)]
        day, serial, issued = date(2025, 11, 20), 0, []
        for step in sequence:
            kind, now = step[0], moment(day)
            if kind == "days":
                day += timedelta(days=step[1])
            elif kind == "bill":
                serial += 1
                world.bill(
                    pair[step[1]],
                    item=f"billing.bill:{serial}",
                    amount=str(step[2]),
                    due=day + timedelta(days=step[3]),
                )
            elif kind == "issue":
                issued.append(world.issue(pair[step[1]], amount=str(step[2]), on=day))
            elif kind == "refund_bill":
                if issued:
                    adjusted = issued[step[1] % len(issued)]
                    refund = min(step[2], adjusted.total)
                    world.issue(adjusted.account, amount=str(-refund), on=day, adjusts=adjusted)
            elif kind == "pay":
                serial += 1
                world.pay(pair[step[1]], str(step[2]), day, f"p-{serial}")
            elif kind == "reverse":
                payments = list(Payment.objects.order_by("pk"))
                if payments:
                    with contextlib.suppress(PaymentAlreadyReversed):
                        reverse_payment(
                            actor=world.cashier,
                            payment=payments[step[1] % len(payments)],
                            reason="测试",
                            now=now,
                        )
            elif kind == "refund":
                with contextlib.suppress(RefundAmountInvalid):
                    refund_prepaid(
                        actor=world.cashier, account=pair[step[1]], amount=step[2], reason="测试", now=now
                    )
            elif kind == "accrue":
                charge_late_fees(account_ids=[a.pk for a in pair], through=day, actor=None, now=now)
            else:
                with contextlib.suppress(LateFeeWaiverInvalid):
                    request = request_late_fee_waiver(
                        actor=world.cashier, account=pair[step[1]], amount=step[2], reason="测试", now=now
                    )
                    approve_request(request=request, reason="同意", actor=world.supervisor, now=now)
            check = check_ledger()
            assert check.unbalanced_entries == []
            assert check.balance_mismatches == []
        assert check.entries == JournalEntry.objects.count()

        day += timedelta(days=3)
        for account in pair:
            due = world.due(account, day)
            if due.total:
                serial += 1
                world.pay(account, str(due.total), day, f"p-{serial}")
            owed = AccountBalance.objects.filter(customer_account=account).values_list(
                "energy_owed", "late_fees_owed"
            )
            assert set(owed) <= {(Decimal("0.00"), Decimal("0.00"))}
            assert world.due(account, day).total == Decimal("0.00")
        assert check_ledger().passed
        transaction.set_rollback(True)
