"""Protected customers are never disconnected automatically (the step is recorded as skipped
with the reason); an instalment agreement being kept stops dunning, a missed instalment breaks
it and dunning resumes; changes are audited and need payments.manage_arrears."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from dunning_world import at, day, make_account, run_day, serve_notice, steps_by_day

from gridcare.audit.models import AuditEvent
from gridcare.customers.models import UsageCategory
from gridcare.identity.errors import AccessDenied
from gridcare.payments.arrears_protection import (
    add_protected_account,
    cancel_instalment_agreement,
    create_instalment_agreement,
)
from gridcare.payments.errors import (
    InstalmentAgreementExists,
    InstalmentAgreementNotActive,
    InstalmentScheduleInvalid,
)
from gridcare.payments.models import (
    DunningCase,
    DunningCaseStatus,
    InstalmentAgreement,
    InstalmentStatus,
    PaymentChannel,
    SupplyOrder,
    SupplyOrderStatus,
)
from gridcare.payments.operations import record_payment

pytestmark = pytest.mark.django_db


def _through_day(last: int, *, account: Any, manager: Any, org_tree: Any, first: int = 1) -> None:
    for number in range(first, last + 1):
        run_day(number)
        if number == 26:
            serve_notice(account=account, actor=manager, org_unit=org_tree.station, number=26)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"industry_code": "8411"}, "protected: hospital"),
        ({"is_key_account": True}, "protected: key_account"),
    ],
)
def test_a_hospital_or_key_account_is_never_disconnected(
    org_tree: Any, manager: Any, kwargs: dict[str, Any], reason: str
) -> None:
    account = make_account(
        org_tree.station, sequence=11, usage_category=UsageCategory.GENERAL_COMMERCIAL, now=at(0), **kwargs
    )
    _through_day(40, account=account, manager=manager, org_tree=org_tree)
    assert steps_by_day(account)[-2:] == [
        (30, "reminder_before_cut_non_residential", "sent"),
        (31, "disconnection_non_residential", "skipped"),
    ]
    assert DunningCase.objects.get(account=account).steps.get(
        step_code="disconnection_non_residential"
    ).detail == (reason)
    assert not SupplyOrder.objects.exists()


def test_an_account_on_the_protected_list_is_never_disconnected(org_tree: Any, manager: Any) -> None:
    account = make_account(org_tree.station, sequence=12, now=at(0))
    entry = add_protected_account(actor=manager, account=account, reason="生命支持设备", now=at(0))
    assert (
        AuditEvent.objects.filter(action="payments.account_protected", object_id=str(entry.pk)).count() == 1
    )
    _through_day(40, account=account, manager=manager, org_tree=org_tree)
    assert steps_by_day(account)[-1] == (34, "disconnection_residential", "skipped")
    assert not SupplyOrder.objects.exists()


def test_a_cashier_may_not_protect_an_account_and_nothing_changes(org_tree: Any, cashier: Any) -> None:
    account = make_account(org_tree.station, sequence=13, now=at(0))
    with pytest.raises(AccessDenied):
        add_protected_account(actor=cashier, account=account, reason="x", now=at(0))
    assert not account.dunning_cases.exists()
    from gridcare.payments.models import ProtectedAccount

    assert not ProtectedAccount.objects.exists()
    assert AuditEvent.objects.filter(action="deny_permission", actor=cashier).count() == 1


def test_an_instalment_agreement_kept_stops_dunning_and_a_missed_instalment_resumes_it(
    org_tree: Any, manager: Any, cashier: Any
) -> None:
    account = make_account(org_tree.station, sequence=14, now=at(0))
    _through_day(10, account=account, manager=manager, org_tree=org_tree)
    agreement = create_instalment_agreement(
        actor=manager,
        account=account,
        instalments=[(day(12), Decimal("40.00")), (day(20), Decimal("60.00"))],
        now=at(10, 14),
    )
    record_payment(
        actor=cashier,
        account=account,
        amount=Decimal("40.00"),
        channel=PaymentChannel.COUNTER_CASH,
        idempotency_key="S-1",
        received_at=at(12, 15),
        now=at(12, 15),
    )
    _through_day(20, account=account, manager=manager, org_tree=org_tree, first=11)
    # Kept: no day-15 reminder; the case says why it waits.
    assert steps_by_day(account) == [(3, "reminder_day_3", "sent")]
    case = DunningCase.objects.get(account=account)
    assert case.waiting_reason == "instalment agreement being kept"
    # The 40.00 paid the late fee accrued over 12 days first (100.00 × 1‰ × 12 = 1.20), then
    # 38.80 of the bill.
    assert case.amount_overdue == Decimal("61.20")
    # The day-20 instalment of 60.00 is not paid by the end of day 20: broken on day 21.
    summary = run_day(21)
    assert summary.agreements_broken == 1
    agreement.refresh_from_db()
    assert (agreement.status, agreement.ended_at) == (InstalmentStatus.BROKEN, at(21))
    assert agreement.end_reason == f"instalment of {date(2025, 2, 9).isoformat()} missed"
    # Dunning resumes in a new case (docs/dunning.md, "New arrears, new case"): the first case's
    # steps were about the arrears before the agreement; the plan starts again.
    assert steps_by_day(account) == [(3, "reminder_day_3", "sent"), (21, "reminder_day_3", "sent")]
    assert list(
        DunningCase.objects.filter(account=account).order_by("pk").values_list("status", flat=True)
    ) == [
        DunningCaseStatus.CLOSED,
        DunningCaseStatus.OPEN,
    ]
    assert AuditEvent.objects.filter(action="payments.instalment_agreement_broken").count() == 1


def test_an_agreement_cancels_the_open_disconnection_order_and_refuses_a_second(
    org_tree: Any, manager: Any
) -> None:
    account = make_account(
        org_tree.station, sequence=15, usage_category=UsageCategory.GENERAL_COMMERCIAL, now=at(0)
    )
    _through_day(31, account=account, manager=manager, org_tree=org_tree)
    order = SupplyOrder.objects.get(account=account)
    create_instalment_agreement(
        actor=manager, account=account, instalments=[(day(40), Decimal("100.00"))], now=at(31, 12)
    )
    order.refresh_from_db()
    assert (order.status, order.cancelled_by, order.cancel_reason) == (
        SupplyOrderStatus.CANCELLED,
        manager,
        "instalment agreement",
    )
    with pytest.raises(InstalmentAgreementExists):
        create_instalment_agreement(
            actor=manager, account=account, instalments=[(day(41), Decimal("100.00"))], now=at(31, 13)
        )
    assert InstalmentAgreement.objects.count() == 1


def test_a_schedule_in_the_past_or_without_whole_fen_is_refused(org_tree: Any, manager: Any) -> None:
    account = make_account(org_tree.station, sequence=16, now=at(0))
    for instalments in ([(day(5), Decimal("10.00"))], [(day(20), Decimal("10.005"))], []):
        with pytest.raises(InstalmentScheduleInvalid):
            create_instalment_agreement(actor=manager, account=account, instalments=instalments, now=at(10))
    assert not InstalmentAgreement.objects.exists()


def test_cancelling_an_agreement_resumes_dunning(org_tree: Any, manager: Any) -> None:
    account = make_account(org_tree.station, sequence=17, now=at(0))
    _through_day(10, account=account, manager=manager, org_tree=org_tree)
    agreement = create_instalment_agreement(
        actor=manager, account=account, instalments=[(day(30), Decimal("100.00"))], now=at(10, 14)
    )
    _through_day(16, account=account, manager=manager, org_tree=org_tree, first=11)
    cancel_instalment_agreement(actor=manager, agreement=agreement, reason="客户要求", now=at(16, 14))
    with pytest.raises(InstalmentAgreementNotActive) as refused:
        cancel_instalment_agreement(actor=manager, agreement=agreement, reason="again", now=at(16, 15))
    assert refused.value.message("en") == (
        "This instalment agreement has already ended (cancelled); it cannot be cancelled."
    )
    run_day(17)
    # A new case: its plan starts again (the old case's reminders were before the agreement).
    assert steps_by_day(account) == [(3, "reminder_day_3", "sent"), (17, "reminder_day_3", "sent")]
