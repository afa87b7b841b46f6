"""Cashier shifts: opened with a float, counter payments (cash with change, card) recorded and
linked, a reversal within the shift handing the cash back, the shift closed by counting the cash
(balanced, or with a reason and flagged for review); door-to-door collection in a field shift;
refusals change nothing.

The account owes 181.50 (January's 100.00, February's 80.00, a late fee of 1.50); the clock
stands at 2025-03-10 09:30 Beijing time."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from cashier_world import CashierWorld
from payments_world import FEBRUARY_BILL, JANUARY_BILL, LATE_FEE

from gridcare.audit.models import AuditEvent
from gridcare.identity.errors import AccessDenied
from gridcare.identity.models import Role
from gridcare.ledger.models import AccountBalance
from gridcare.ledger.queries import open_items
from gridcare.payments.cashier import (
    close_shift,
    open_shift,
    reverse_counter_payment,
    review_shift,
    take_counter_payment,
    take_door_to_door_payment,
)
from gridcare.payments.cashier_queries import shift_totals
from gridcare.payments.errors import (
    CounterPaymentAlreadyReversed,
    ReceivedOutsideShift,
    ShiftAlreadyOpen,
    ShiftAmountInvalid,
    ShiftDifferenceReasonMissing,
    ShiftKindWrong,
    ShiftNotAwaitingReview,
    ShiftNotOpen,
    ShiftNotYours,
    ShiftReviewNoteMissing,
    ShiftSubmissionConflict,
    TenderedTooLittle,
)
from gridcare.payments.models import (
    CashierShift,
    Payment,
    ShiftKind,
    ShiftPayment,
    ShiftStatus,
    TenderMethod,
)
from gridcare.payments.operations import ALLOCATION_ORDER

pytestmark = pytest.mark.django_db


def _open(
    world: CashierWorld, now: datetime, *, float_: str = "500.00", kind: ShiftKind = ShiftKind.COUNTER
) -> CashierShift:
    return open_shift(
        actor=world.cashier,
        counter=world.world.tree.station,
        kind=kind,
        opening_float=Decimal(float_),
        now=now,
    )


def _cash(
    world: CashierWorld, shift: CashierShift, amount: str, tendered: str | None, now: datetime
) -> ShiftPayment:
    return take_counter_payment(
        actor=world.cashier,
        shift=shift,
        account=world.account,
        amount=Decimal(amount),
        method=TenderMethod.CASH,
        tendered=None if tendered is None else Decimal(tendered),
        now=now,
    )


def _open_items(world: CashierWorld) -> dict[str, Decimal]:
    return {
        i.item: i.open_amount
        for i in open_items(customer_account_id=world.account.pk, codes=ALLOCATION_ORDER)
    }


def _shift_state(shift: CashierShift) -> tuple[Any, ...]:
    row = CashierShift.objects.get(pk=shift.pk)
    return (
        row.status,
        row.last_sequence,
        row.expected_cash,
        row.counted_cash,
        row.difference,
        row.needs_review,
    )


def test_a_shift_takes_cash_and_card_and_closes_balanced(cashier_world: CashierWorld, now: datetime) -> None:
    shift = _open(cashier_world, now)
    assert (shift.number, shift.status, shift.opening_float, shift.org_unit) == (
        "BC20250310000001",
        ShiftStatus.OPEN,
        Decimal("500.00"),
        cashier_world.world.tree.station,
    )

    # 181.50 in cash, 200.00 handed over: 18.50 change; then 50.00 by card, kept as prepaid.
    cash = _cash(cashier_world, shift, "181.50", "200.00", now)
    card = take_counter_payment(
        actor=cashier_world.cashier,
        shift=shift,
        account=cashier_world.account,
        amount=Decimal("50.00"),
        method=TenderMethod.CARD,
        tendered=Decimal("999.00"),  # ignored for a card: no cash changes hands
        now=now + timedelta(minutes=5),
    )

    assert (cash.sequence, cash.method, cash.tendered, cash.change_given) == (
        1,
        "cash",
        Decimal("200.00"),
        Decimal("18.50"),
    )
    assert (card.sequence, card.method, card.tendered, card.change_given) == (2, "card", None, None)
    assert [
        (p.receipt_no, p.channel, p.amount, p.idempotency_key) for p in Payment.objects.order_by("pk")
    ] == [
        ("R2025031000000001", "counter_cash", Decimal("181.50"), "counter_cash:BC20250310000001-0001"),
        ("R2025031000000002", "counter_card", Decimal("50.00"), "counter_card:BC20250310000001-0002"),
    ]
    assert _open_items(cashier_world) == {}
    balance = AccountBalance.objects.get(customer_account=cashier_world.account)
    assert (balance.energy_owed, balance.late_fees_owed, balance.prepaid) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("50.00"),
    )
    totals = shift_totals(shift=shift)
    assert (
        totals.payments,
        totals.cash_taken,
        totals.card_taken,
        totals.cash_reversed,
        totals.expected_cash,
    ) == (
        2,
        Decimal("181.50"),
        Decimal("50.00"),
        Decimal("0.00"),
        Decimal("681.50"),  # 500.00 float + 181.50 cash; the card's 50.00 is not in the drawer
    )

    closed = close_shift(
        actor=cashier_world.cashier,
        shift=shift,
        counted_cash=Decimal("681.50"),
        reason="",
        now=now + timedelta(hours=8),
    )

    assert _shift_state(closed) == (
        ShiftStatus.CLOSED,
        2,
        Decimal("681.50"),
        Decimal("681.50"),
        Decimal("0.00"),
        False,
    )
    events = AuditEvent.objects.filter(action__startswith="payments.shift").order_by("pk")
    assert [e.action for e in events] == [
        "payments.shift_opened",
        "payments.shift_payment_taken",
        "payments.shift_payment_taken",
        "payments.shift_closed",
    ]
    assert events.last().changes == {  # type: ignore[union-attr]
        "number": "BC20250310000001",
        "expected_cash": "681.50",
        "counted_cash": "681.50",
        "difference": "0.00",
        "reason": "",
        "needs_review": False,
    }
    assert events[1].changes["change"] == "18.50"


def test_the_same_submission_takes_the_payment_once(cashier_world: CashierWorld, now: datetime) -> None:
    shift = _open(cashier_world, now)

    def take(amount: str) -> ShiftPayment:
        return take_counter_payment(
            actor=cashier_world.cashier,
            shift=shift,
            account=cashier_world.account,
            amount=Decimal(amount),
            method=TenderMethod.CASH,
            tendered=None,
            now=now,
            submission="form-1",
        )

    first = take("100.00")
    second = take("100.00")

    assert second.pk == first.pk
    assert (Payment.objects.count(), shift_totals(shift=shift).expected_cash) == (1, Decimal("600.00"))
    with pytest.raises(ShiftSubmissionConflict):
        take("90.00")
    assert Payment.objects.count() == 1


def test_a_short_count_needs_a_reason_and_is_flagged(cashier_world: CashierWorld, now: datetime) -> None:
    shift = _open(cashier_world, now, float_="200.00")
    _cash(cashier_world, shift, "100.00", None, now)  # exact money: no change

    with pytest.raises(ShiftDifferenceReasonMissing) as refused:
        close_shift(
            actor=cashier_world.cashier, shift=shift, counted_cash=Decimal("298.50"), reason=" ", now=now
        )
    assert (
        refused.value.message("zh-hans")
        == "“reason”：清点现金与应有现金相差 1.50 元（短款），结班须写明原因。"
    )
    assert _shift_state(shift) == (ShiftStatus.OPEN, 1, None, None, None, False)

    closed = close_shift(
        actor=cashier_world.cashier, shift=shift, counted_cash=Decimal("298.50"), reason="找零差错", now=now
    )
    assert _shift_state(closed) == (
        ShiftStatus.CLOSED,
        1,
        Decimal("300.00"),
        Decimal("298.50"),
        Decimal("-1.50"),
        True,
    )
    assert closed.close_reason == "找零差错"


def test_an_overage_is_recorded_above_zero(cashier_world: CashierWorld, now: datetime) -> None:
    shift = _open(cashier_world, now, float_="0.00")
    with pytest.raises(ShiftDifferenceReasonMissing) as refused:
        close_shift(
            actor=cashier_world.cashier, shift=shift, counted_cash=Decimal("10.00"), reason="", now=now
        )
    assert refused.value.message("en") == (
        '"reason": the counted cash differs from the expected cash by 10.00 (overage); '
        "closing needs a reason."
    )
    closed = close_shift(
        actor=cashier_world.cashier, shift=shift, counted_cash=Decimal("10.00"), reason="多收", now=now
    )
    assert (closed.difference, closed.needs_review) == (Decimal("10.00"), True)


def test_one_open_shift_per_cashier(cashier_world: CashierWorld, now: datetime) -> None:
    first = _open(cashier_world, now)

    with pytest.raises(ShiftAlreadyOpen) as refused:
        _open(cashier_world, now, kind=ShiftKind.FIELD)

    assert refused.value.message("zh-hans") == "您已有未结班次 BC20250310000001，请先结班再开新班。"
    assert list(CashierShift.objects.values_list("number", flat=True)) == [first.number]
    # Another cashier opens their own; once closed, the first cashier opens again.
    open_shift(
        actor=cashier_world.other_cashier,
        counter=cashier_world.world.tree.station,
        kind=ShiftKind.COUNTER,
        opening_float=Decimal("0.00"),
        now=now,
    )
    close_shift(actor=cashier_world.cashier, shift=first, counted_cash=Decimal("500.00"), reason="", now=now)
    again = _open(cashier_world, now + timedelta(days=1))
    assert again.number == "BC20250311000003"


def test_a_reversal_within_the_shift_hands_the_cash_back(cashier_world: CashierWorld, now: datetime) -> None:
    shift = _open(cashier_world, now)
    wrong = _cash(cashier_world, shift, "120.00", "120.00", now)
    right = _cash(cashier_world, shift, "181.50", "181.50", now)
    assert shift_totals(shift=shift).expected_cash == Decimal("801.50")

    reverse_counter_payment(actor=cashier_world.cashier, shift_payment=wrong, reason="户号输错", now=now)

    wrong.refresh_from_db()
    assert wrong.reversed_at == now
    assert wrong.payment.status == "reversed"
    totals = shift_totals(shift=shift)
    assert (totals.cash_taken, totals.cash_reversed, totals.expected_cash) == (
        Decimal("301.50"),
        Decimal("120.00"),
        Decimal("681.50"),
    )
    # The first paid 1.50 + 100.00 + 18.50, the second the 61.50 left and 120.00 prepaid; the
    # reversal re-opens what the first paid (the prepaid pays it when the next bill is issued).
    assert _open_items(cashier_world) == {
        LATE_FEE: Decimal("1.50"),
        JANUARY_BILL: Decimal("100.00"),
        FEBRUARY_BILL: Decimal("18.50"),
    }
    assert AccountBalance.objects.get(customer_account=cashier_world.account).prepaid == Decimal("120.00")
    assert right.payment.status == "posted"
    with pytest.raises(CounterPaymentAlreadyReversed):
        reverse_counter_payment(actor=cashier_world.cashier, shift_payment=wrong, reason="again", now=now)
    closed = close_shift(
        actor=cashier_world.cashier, shift=shift, counted_cash=Decimal("681.50"), reason="", now=now
    )
    assert closed.difference == Decimal("0.00")


def test_no_reversal_once_the_shift_is_closed_nor_by_another_cashier(
    cashier_world: CashierWorld, now: datetime
) -> None:
    shift = _open(cashier_world, now)
    taken = _cash(cashier_world, shift, "100.00", None, now)
    with pytest.raises(ShiftNotYours):
        reverse_counter_payment(actor=cashier_world.other_cashier, shift_payment=taken, reason="x", now=now)
    close_shift(actor=cashier_world.cashier, shift=shift, counted_cash=Decimal("600.00"), reason="", now=now)

    with pytest.raises(ShiftNotOpen) as refused:
        reverse_counter_payment(actor=cashier_world.cashier, shift_payment=taken, reason="x", now=now)

    assert refused.value.message("zh-hans") == "班次 BC20250310000001 已结班，不能再收费或冲正。"
    taken.refresh_from_db()
    assert (taken.reversed_at, taken.payment.status) == (None, "posted")
    assert _open_items(cashier_world) == {FEBRUARY_BILL: Decimal("80.00"), JANUARY_BILL: Decimal("1.50")}


def test_refused_payments_change_nothing(cashier_world: CashierWorld, now: datetime) -> None:
    shift = _open(cashier_world, now)
    before = (_open_items(cashier_world), Payment.objects.count(), ShiftPayment.objects.count())

    with pytest.raises(TenderedTooLittle):
        _cash(cashier_world, shift, "100.00", "99.99", now)
    with pytest.raises(ShiftNotYours):
        take_counter_payment(
            actor=cashier_world.other_cashier,
            shift=shift,
            account=cashier_world.account,
            amount=Decimal("10.00"),
            method=TenderMethod.CASH,
            tendered=None,
            now=now,
        )
    with pytest.raises(AccessDenied):  # the other station's account is outside the cashier's unit
        take_counter_payment(
            actor=cashier_world.cashier,
            shift=shift,
            account=cashier_world.other_account,
            amount=Decimal("10.00"),
            method=TenderMethod.CASH,
            tendered=None,
            now=now,
        )
    with pytest.raises(ShiftKindWrong):
        take_door_to_door_payment(
            actor=cashier_world.cashier,
            shift=shift,
            account=cashier_world.account,
            amount=Decimal("10.00"),
            received_at=now,
            now=now,
        )

    assert (_open_items(cashier_world), Payment.objects.count(), ShiftPayment.objects.count()) == before
    assert before[0] == {
        LATE_FEE: Decimal("1.50"),
        JANUARY_BILL: Decimal("100.00"),
        FEBRUARY_BILL: Decimal("80.00"),
    }
    assert _shift_state(shift) == (ShiftStatus.OPEN, 0, None, None, None, False)
    denial = AuditEvent.objects.get(action="deny_permission")
    assert denial.changes["operation"] == "take_counter_payment"


def test_who_may_not_open_a_shift_or_with_what(cashier_world: CashierWorld, now: datetime) -> None:
    with pytest.raises(AccessDenied):
        open_shift(
            actor=cashier_world.world.meter_reader,
            counter=cashier_world.world.tree.station,
            kind=ShiftKind.COUNTER,
            opening_float=Decimal("0.00"),
            now=now,
        )
    with pytest.raises(AccessDenied):
        open_shift(
            actor=cashier_world.cashier,
            counter=cashier_world.world.tree.other_station,
            kind=ShiftKind.COUNTER,
            opening_float=Decimal("0.00"),
            now=now,
        )
    with pytest.raises(ShiftAmountInvalid):
        _open(cashier_world, now, float_="-1.00")
    with pytest.raises(ShiftAmountInvalid):
        _open(cashier_world, now, float_="1.001")

    assert not CashierShift.objects.exists()
    assert AuditEvent.objects.filter(action="deny_permission").count() == 2


def test_door_to_door_collection_in_a_field_shift(cashier_world: CashierWorld, now: datetime) -> None:
    shift = _open(cashier_world, now, float_="50.00", kind=ShiftKind.FIELD)
    collected_at = now + timedelta(hours=2)

    link = take_door_to_door_payment(
        actor=cashier_world.cashier,
        shift=shift,
        account=cashier_world.account,
        amount=Decimal("101.50"),
        received_at=collected_at,
        now=now + timedelta(hours=6),
    )

    payment = link.payment
    assert (payment.channel, payment.amount, payment.received_at, payment.idempotency_key) == (
        "door_to_door",
        Decimal("101.50"),
        collected_at,
        "door_to_door:BC20250310000001-0001",
    )
    assert (link.method, link.tendered, link.change_given) == ("cash", Decimal("101.50"), Decimal("0.00"))
    assert _open_items(cashier_world) == {FEBRUARY_BILL: Decimal("80.00")}
    with pytest.raises(ReceivedOutsideShift):
        take_door_to_door_payment(
            actor=cashier_world.cashier,
            shift=shift,
            account=cashier_world.account,
            amount=Decimal("10.00"),
            received_at=now - timedelta(minutes=1),
            now=now + timedelta(hours=6),
        )
    with pytest.raises(ShiftKindWrong):
        _cash(cashier_world, shift, "10.00", None, now)
    closed = close_shift(
        actor=cashier_world.cashier,
        shift=shift,
        counted_cash=Decimal("151.50"),
        reason="",
        now=now + timedelta(hours=7),
    )
    assert (closed.expected_cash, closed.difference, closed.needs_review) == (
        Decimal("151.50"),
        Decimal("0.00"),
        False,
    )


def test_a_supervisor_reviews_a_shift_closed_with_a_difference(
    cashier_world: CashierWorld, now: datetime, staff_user_factory: Any
) -> None:
    supervisor = staff_user_factory(
        username="supervisor", org_unit=cashier_world.world.tree.county, roles=[Role.MARKETING_SUPERVISOR]
    )
    balanced = _open(cashier_world, now, float_="0.00")
    close_shift(actor=cashier_world.cashier, shift=balanced, counted_cash=Decimal("0.00"), reason="", now=now)
    short = open_shift(
        actor=cashier_world.other_cashier,
        counter=cashier_world.world.tree.station,
        kind=ShiftKind.COUNTER,
        opening_float=Decimal("100.00"),
        now=now,
    )
    close_shift(
        actor=cashier_world.other_cashier,
        shift=short,
        counted_cash=Decimal("95.00"),
        reason="点钞差错",
        now=now,
    )

    with pytest.raises(ShiftNotAwaitingReview):
        review_shift(actor=supervisor, shift=balanced, note="ok", now=now)
    with pytest.raises(ShiftReviewNoteMissing):
        review_shift(actor=supervisor, shift=short, note=" ", now=now)
    with pytest.raises(AccessDenied):  # a cashier holds no approvals.approve
        review_shift(actor=cashier_world.cashier, shift=short, note="ok", now=now)
    short.refresh_from_db()
    assert (short.needs_review, short.reviewed_by, short.review_note) == (True, None, "")

    reviewed = review_shift(
        actor=supervisor, shift=short, note="收费员赔偿 5.00", now=now + timedelta(days=1)
    )

    assert (reviewed.needs_review, reviewed.reviewed_by, reviewed.reviewed_at, reviewed.review_note) == (
        False,
        supervisor,
        now + timedelta(days=1),
        "收费员赔偿 5.00",
    )
    event = AuditEvent.objects.get(action="payments.shift_reviewed")
    assert event.changes == {"number": short.number, "difference": "-5.00", "note": "收费员赔偿 5.00"}
    with pytest.raises(ShiftNotAwaitingReview):
        review_shift(actor=supervisor, shift=short, note="again", now=now)
