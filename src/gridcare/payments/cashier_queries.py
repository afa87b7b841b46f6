"""Reads of cashier shifts and the payments taken in them (docs/cashier.md): a cashier's open
shift, its running totals and expected cash, the counters a user may open a shift at, and the
payment history. Every read of business records starts from ``visible_to(user)``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum

from gridcare.identity.permissions import Permission
from gridcare.kit.clock import SHANGHAI
from gridcare.kit.money import round_to_fen
from gridcare.organization.models import OrgLevel, OrgUnit
from gridcare.payments.models import CashierShift, Payment, ShiftPayment, ShiftStatus, TenderMethod

_ZERO = Decimal("0.00")


@dataclass(frozen=True, kw_only=True)
class ShiftTotals:
    """What a shift has taken so far, and the cash its drawer should hold."""

    payments: int
    cash_taken: Decimal
    card_taken: Decimal
    cash_reversed: Decimal
    card_reversed: Decimal
    opening_float: Decimal
    expected_cash: Decimal


def shift_totals(*, shift: CashierShift) -> ShiftTotals:
    """The totals of ``shift``'s payments by method, with the reversals made in the shift."""
    sums = ShiftPayment.objects.filter(shift=shift).aggregate(
        cash=Sum("payment__amount", filter=Q(method=TenderMethod.CASH)),
        card=Sum("payment__amount", filter=Q(method=TenderMethod.CARD)),
        cash_reversed=Sum("payment__amount", filter=Q(method=TenderMethod.CASH, reversed_at__isnull=False)),
        card_reversed=Sum("payment__amount", filter=Q(method=TenderMethod.CARD, reversed_at__isnull=False)),
    )
    # SQLite sums decimals as floating point: each sum is brought back to the fen.
    cash, card, cash_reversed, card_reversed = (
        round_to_fen(sums[name] or _ZERO) for name in ("cash", "card", "cash_reversed", "card_reversed")
    )
    return ShiftTotals(
        payments=ShiftPayment.objects.filter(shift=shift).count(),
        cash_taken=cash,
        card_taken=card,
        cash_reversed=cash_reversed,
        card_reversed=card_reversed,
        opening_float=shift.opening_float,
        expected_cash=shift.opening_float + cash - cash_reversed,
    )


def expected_cash(*, shift: CashierShift) -> Decimal:
    """The cash ``shift``'s drawer should hold: the float + cash taken − cash handed back."""
    return shift_totals(shift=shift).expected_cash


def open_shift_of(*, user: Any) -> CashierShift | None:
    """``user``'s open shift, if any."""
    if not getattr(user, "pk", None):
        return None
    shift: CashierShift | None = (
        CashierShift.objects.visible_to(user)
        .filter(cashier=user, status=ShiftStatus.OPEN)
        .select_related("org_unit")
        .first()
    )
    return shift


def last_closed_shift_of(*, user: Any) -> CashierShift | None:
    """``user``'s shift closed last, if any (the shift panel shows its result)."""
    shift: CashierShift | None = (
        CashierShift.objects.visible_to(user)
        .filter(cashier=user, status=ShiftStatus.CLOSED)
        .order_by("-closed_at", "-pk")
        .first()
    )
    return shift


def shift_counters(*, user: Any) -> QuerySet[OrgUnit]:
    """The org units ``user`` may open a shift at: those below the county where they may
    collect payments (营业厅 and 供电所), their own first."""
    return OrgUnit.objects.changeable_by(user, Permission.COLLECT_PAYMENTS).filter(
        level__in=[OrgLevel.COUNTY, OrgLevel.STATION]
    )


def shift_payments(*, user: Any, shift: CashierShift) -> QuerySet[ShiftPayment]:
    """The payments of ``shift`` (visible to ``user``), newest first."""
    return (
        ShiftPayment.objects.filter(shift__in=CashierShift.objects.visible_to(user).filter(pk=shift.pk))
        .select_related("payment__account")
        .order_by("-sequence")
    )


def get_shift_payment(*, user: Any, receipt_no: str) -> ShiftPayment:
    """The shift link of the payment with ``receipt_no`` visible to ``user``; raises
    ``ShiftPayment.DoesNotExist`` otherwise."""
    link: ShiftPayment = ShiftPayment.objects.select_related("shift", "payment").get(
        payment__in=Payment.objects.visible_to(user), payment__receipt_no=receipt_no
    )
    return link


@dataclass(frozen=True, kw_only=True)
class PaymentFilter:
    """The payment history's filters (each optional)."""

    account_no: str = ""
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    channel: str = ""
    shift_number: str = ""
    cashier_username: str = ""
    status: str = ""


def payment_history(*, user: Any, filters: PaymentFilter) -> QuerySet[Payment]:
    """The payments visible to ``user`` matching ``filters``, newest first, with their account,
    recorder and shift loaded."""
    payments = Payment.objects.visible_to(user).select_related("account", "recorded_by", "shift_link__shift")
    if filters.account_no:
        payments = payments.filter(account__account_no=filters.account_no.strip())
    if filters.date_from is not None:
        payments = payments.filter(received_at__gte=_day_start(filters.date_from))
    if filters.date_to is not None:
        payments = payments.filter(received_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.channel:
        payments = payments.filter(channel=filters.channel)
    if filters.shift_number:
        payments = payments.filter(shift_link__shift__number=filters.shift_number.strip())
    if filters.cashier_username:
        payments = payments.filter(recorded_by__username=filters.cashier_username.strip())
    if filters.status:
        payments = payments.filter(status=filters.status)
    return payments.order_by("-received_at", "-pk")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def get_payment(*, user: Any, receipt_no: str) -> Payment:
    """The payment with ``receipt_no`` visible to ``user`` (account, customer, recorder and shift
    loaded); raises ``Payment.DoesNotExist`` otherwise."""
    payment: Payment = (
        Payment.objects.visible_to(user)
        .select_related("account__customer", "recorded_by", "journal_entry", "shift_link__shift")
        .get(receipt_no=receipt_no)
    )
    return payment


def shifts(*, user: Any, awaiting_review: bool) -> QuerySet[CashierShift]:
    """The shifts of ``user``'s units, newest first (only those closed with a difference and
    not yet reviewed when ``awaiting_review``)."""
    found = CashierShift.objects.visible_to(user).select_related("org_unit", "cashier", "reviewed_by")
    if awaiting_review:
        found = found.filter(status=ShiftStatus.CLOSED, needs_review=True)
    return found.order_by("-opened_at", "-pk")


def get_shift(*, user: Any, number: str) -> CashierShift:
    """The shift ``number`` of ``user``'s units; raises ``CashierShift.DoesNotExist`` otherwise."""
    shift: CashierShift = (
        CashierShift.objects.visible_to(user).select_related("org_unit", "cashier").get(number=number)
    )
    return shift
