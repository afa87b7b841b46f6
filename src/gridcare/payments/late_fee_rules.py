"""Late fees (电费违约金): the rule set and the fee of overdue bills — pure (no Django, no database).

The rules are rules-cn.md §5 (供电营业规则 1996 Art. 98, believed unchanged by the 2024 rules) as
issue 6 §3 states them:

- a bill accrues a fee for each overdue day, from the day after its due date through the day it
  is paid (the day count is a switch of the rule set, :class:`DayCount`);
- the daily rate is 1‰ for residential customers; for other customers 2‰ for days in the
  bill's year and 3‰ for days in any later calendar year;
- the base of a day is what was still unpaid of the bill, never earlier late fees;
- each bill's fee is rounded half up to the fen once (not day by day); the total is the sum of
  the bills' fees, raised to the rule set's minimum (if it has one) when it is above zero.

docs/late-fees.md explains the conventions and why they were chosen.

WARNING: fees already charged depend on these results; never change how an existing rule set
computes. A changed rule is a new :class:`LateFeeRules` value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from enum import StrEnum

from gridcare.kit.decimals import is_multiple_of
from gridcare.kit.errors import GridCareError
from gridcare.kit.money import FEN, round_to_fen

# A fixed context, so a fee never depends on whatever the thread's decimal context was set to;
# 50 digits hold any amount × rate × days exactly.
_CONTEXT = Context(prec=50, rounding=ROUND_HALF_UP)


class CustomerClass(StrEnum):
    """Which daily rates apply: residential (居民) or any other customer (非居民)."""

    RESIDENTIAL = "residential"
    NON_RESIDENTIAL = "non_residential"


class DayCount(StrEnum):
    """Which overdue days count. Both start on the day after the due date (the first overdue day)."""

    #: Through the payment date, inclusive: a bill due on the 10th and paid on the 20th counts
    #: 10 days (the 11th to the 20th). The reading of "从逾期之日起至交纳日止" the issue adopts.
    THROUGH_PAYMENT_DATE = "through_payment_date"
    #: Up to the day before the payment date: the same bill counts 9 days (the 11th to the 19th).
    BEFORE_PAYMENT_DATE = "before_payment_date"


@dataclass(frozen=True, kw_only=True)
class LateFeeRules:
    """A late-fee rule set: the daily rates (fractions of the unpaid amount per day), the
    minimum total (None for no minimum) and which overdue days count."""

    residential_daily_rate: Decimal = Decimal("0.001")
    #: Non-residential, for days in the calendar year of the bill (当年欠费).
    non_residential_daily_rate: Decimal = Decimal("0.002")
    #: Non-residential, for days in any calendar year after the bill's year (跨年度欠费).
    non_residential_later_year_daily_rate: Decimal = Decimal("0.003")
    #: A total above zero but below this is charged as this (the 1996 rules: Decimal("1.00")).
    minimum_total: Decimal | None = None
    day_count: DayCount = DayCount.THROUGH_PAYMENT_DATE

    def __post_init__(self) -> None:
        for name in (
            "residential_daily_rate",
            "non_residential_daily_rate",
            "non_residential_later_year_daily_rate",
        ):
            rate = getattr(self, name)
            if not isinstance(rate, Decimal) or not rate.is_finite() or rate < 0:
                raise ValueError(f"{name} must be a finite Decimal of at least 0, not {rate!r}")
        minimum = self.minimum_total
        if minimum is not None and (
            not isinstance(minimum, Decimal)
            or not minimum.is_finite()
            or minimum <= 0
            or not is_multiple_of(minimum, FEN)
        ):
            raise ValueError(f"minimum_total must be None or a positive whole number of fen, not {minimum!r}")
        if not isinstance(self.day_count, DayCount):
            raise ValueError(f"day_count must be a DayCount, not {self.day_count!r}")


#: The rules the quote applies. No minimum: the 1996 rules' "under 1 yuan is charged as 1 yuan"
#: is not confirmed in the 2024 供电营业规则 that replaced them (rules-cn.md §5 marks it [U]), so
#: it is a switch (``minimum_total=Decimal("1.00")``) rather than the default.
DEFAULT_LATE_FEE_RULES = LateFeeRules()

#: The 1996 rules as written (供电营业规则 1996 Art. 98): the default rates, a 1-yuan minimum.
RULES_1996 = LateFeeRules(minimum_total=Decimal("1.00"))


class LateFeeInputInvalid(GridCareError):
    """An input of a late-fee calculation that the rules refuse; ``field`` names it."""

    code = "late_fee_input_invalid"
    message_zh = "违约金计算输入“{field_name}”无效：{reason_zh}"
    message_en = 'Late-fee input "{field_name}" is invalid: {reason_en}'

    def __init__(self, *, field: str, reason_zh: str, reason_en: str) -> None:
        super().__init__(field=field, field_name=field, reason_zh=reason_zh, reason_en=reason_en)


@dataclass(frozen=True, kw_only=True)
class OverdueBill:
    """A bill whose late fee is wanted: its unpaid ``amount`` (yuan, whole fen) and ``due_date``;
    ``partial_payments`` (date, amount) made before the final payment; ``bill_year`` as in
    :func:`late_fee_of_bill`."""

    amount: Decimal
    due_date: date
    partial_payments: Sequence[tuple[date, Decimal]] = ()
    bill_year: int | None = None


@dataclass(frozen=True, kw_only=True)
class BillLateFee:
    """One bill's late fee: the overdue days counted up to the final payment, and the fee
    (yuan, rounded half up to the fen)."""

    due_date: date
    days: int
    late_fee: Decimal


@dataclass(frozen=True, kw_only=True)
class LateFeeTotal:
    """The late fees of bills paid together: each bill's, and the total (their sum, or the rule
    set's minimum when ``minimum_applied``)."""

    bills: tuple[BillLateFee, ...]
    late_fee: Decimal
    minimum_applied: bool


def late_fee_of_bill(
    *,
    amount: Decimal,
    due_date: date,
    paid_date: date,
    customer_class: CustomerClass,
    rules: LateFeeRules = DEFAULT_LATE_FEE_RULES,
    partial_payments: Sequence[tuple[date, Decimal]] = (),
    bill_year: int | None = None,
) -> BillLateFee:
    """The late fee of a bill of ``amount`` due on ``due_date`` whose remainder is paid on
    ``paid_date``, after the ``partial_payments`` (date, amount) made before it.

    The base of each overdue day is what was unpaid of the bill at the start of that day: with
    :attr:`DayCount.THROUGH_PAYMENT_DATE` a payment on day D still leaves D accruing on the
    amount unpaid before it, and the later days on the remainder; with
    :attr:`DayCount.BEFORE_PAYMENT_DATE` day D accrues on the remainder only. Payments on or
    before the due date simply lower the base. A bill paid on or before its due date has 0 days
    and a fee of 0.00.

    For non-residential customers, days in ``bill_year`` accrue at the current-year rate and
    days in any later year at the later-year rate. ``bill_year`` defaults to the due date's
    year: a quote knows a bill only by its due date, so a December bill due in January counts
    as a bill of January's year unless the caller says otherwise.

    The fee is the exact sum over the days, rounded half up to the fen once. Refuses (with
    :class:`LateFeeInputInvalid`) a negative amount or one not in whole fen, partial payments
    that are not positive whole fen, fall after ``paid_date`` or add up to more than the
    amount, and a ``bill_year`` after the due date's year.

    WARNING: fees already charged depend on this result; never change how it computes (a new
    rule is a new :class:`LateFeeRules` value).
    """
    _check_amount(amount, "amount")
    payments = tuple(partial_payments)
    for index, (payment_date, payment_amount) in enumerate(payments):
        _check_amount(payment_amount, f"partial_payments[{index}].amount")
        if payment_amount == 0:
            raise _invalid(f"partial_payments[{index}].amount", "应大于 0", "it must be above 0")
        if payment_date > paid_date:
            raise _invalid(
                f"partial_payments[{index}].paid_date",
                "不能晚于最终缴费日期",
                "it cannot be after the final payment date",
            )
    remainder = amount - sum((payment_amount for _date, payment_amount in payments), Decimal(0))
    if remainder < 0:
        raise _invalid(
            "partial_payments", "部分缴费合计超过账单金额", "together they exceed the bill's amount"
        )
    year = due_date.year if bill_year is None else bill_year
    if year > due_date.year:
        raise _invalid("bill_year", "不能晚于到期日所在年份", "it cannot be after the due date's year")

    # Each payment ends the accrual of the part of the bill it pays: summing every part over
    # its own days is the same as summing each day over what was unpaid that day.
    exact = Decimal(0)
    for payment_date, paid_amount in (*payments, (paid_date, remainder)):
        first, last = _overdue_days(due_date=due_date, paid_date=payment_date, rules=rules)
        rate_days = _rate_days(first=first, last=last, customer_class=customer_class, year=year, rules=rules)
        exact = _CONTEXT.add(exact, _CONTEXT.multiply(paid_amount, rate_days))
    first, last = _overdue_days(due_date=due_date, paid_date=paid_date, rules=rules)
    return BillLateFee(due_date=due_date, days=max(last - first + 1, 0), late_fee=round_to_fen(exact))


def late_fees_of_bills(
    *,
    bills: Sequence[OverdueBill],
    paid_date: date,
    customer_class: CustomerClass,
    rules: LateFeeRules = DEFAULT_LATE_FEE_RULES,
) -> LateFeeTotal:
    """The late fees of ``bills`` of one customer all settled on ``paid_date``: each bill's fee
    (:func:`late_fee_of_bill`) and the total, their sum raised to ``rules.minimum_total`` when
    the rules have one and the sum is above zero but below it. A refusal names the bill's field
    as ``bills[i].…``."""
    fees = []
    for index, bill in enumerate(bills):
        try:
            fees.append(
                late_fee_of_bill(
                    amount=bill.amount,
                    due_date=bill.due_date,
                    paid_date=paid_date,
                    customer_class=customer_class,
                    rules=rules,
                    partial_payments=bill.partial_payments,
                    bill_year=bill.bill_year,
                )
            )
        except LateFeeInputInvalid as refusal:
            raise LateFeeInputInvalid(
                field=f"bills[{index}].{refusal.field}",
                reason_zh=str(refusal.params["reason_zh"]),
                reason_en=str(refusal.params["reason_en"]),
            ) from refusal
    total = sum((fee.late_fee for fee in fees), Decimal("0.00"))
    minimum = rules.minimum_total
    minimum_applied = minimum is not None and 0 < total < minimum
    return LateFeeTotal(
        bills=tuple(fees),
        late_fee=round_to_fen(minimum if minimum_applied and minimum is not None else total),
        minimum_applied=minimum_applied,
    )


def _overdue_days(*, due_date: date, paid_date: date, rules: LateFeeRules) -> tuple[int, int]:
    """The proleptic ordinals of the first and last overdue day counted (the last before the
    first when none counts). Ordinals, not dates: the day after 9999-12-31 is no date."""
    last = paid_date.toordinal()
    if rules.day_count is DayCount.BEFORE_PAYMENT_DATE:
        last -= 1
    return due_date.toordinal() + 1, last


def _rate_days(
    *, first: int, last: int, customer_class: CustomerClass, year: int, rules: LateFeeRules
) -> Decimal:
    """The sum of the daily rates of the days with ordinals ``first`` to ``last`` (inclusive)."""
    if last < first:
        return Decimal(0)
    if customer_class is CustomerClass.RESIDENTIAL:
        return _CONTEXT.multiply(rules.residential_daily_rate, Decimal(last - first + 1))
    total = Decimal(0)
    # Both are real days here: first is at most last, and last at most the payment date.
    for calendar_year in range(date.fromordinal(first).year, date.fromordinal(last).year + 1):
        year_first = max(first, date(calendar_year, 1, 1).toordinal())
        year_last = min(last, date(calendar_year, 12, 31).toordinal())
        days = year_last - year_first + 1
        # Every overdue day falls in the bill's year or later: late_fee_of_bill refuses a bill
        # year after the due date's year.
        rate = (
            rules.non_residential_daily_rate
            if calendar_year == year
            else rules.non_residential_later_year_daily_rate
        )
        total = _CONTEXT.add(total, _CONTEXT.multiply(rate, Decimal(days)))
    return total


def _check_amount(amount: Decimal, field: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int) or not Decimal(amount).is_finite():
        raise _invalid(field, "应为金额（Decimal）", "it must be an amount (a Decimal)")
    if amount < 0:
        raise _invalid(field, "不能为负数", "it cannot be negative")
    if not is_multiple_of(Decimal(amount), FEN):
        raise _invalid(field, "最多两位小数（精确到分）", "it must be exact to the fen (at most 2 decimals)")


def _invalid(field: str, reason_zh: str, reason_en: str) -> LateFeeInputInvalid:
    return LateFeeInputInvalid(field=field, reason_zh=reason_zh, reason_en=reason_en)
