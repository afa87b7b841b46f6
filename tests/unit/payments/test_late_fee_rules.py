"""The late-fee rules (rules-cn.md §5, issue 6 §3), worked by hand. A day "counts" from the day
after the due date through the payment date unless the rule set says otherwise.

- Residential 1,000.00 due 2026-03-10 paid 2026-03-20: 11th–20th = 10 days × 1‰ × 1,000.00 = 10.00.
- Non-residential, current year, 5,000.00 due 2026-04-15 paid 2026-05-05: 15 April days (16th–30th)
  + 5 May days = 20 days × 2‰ × 5,000.00 = 200.00.
- Non-residential across a year end, 8,000.00 due 2025-12-20 paid 2026-01-10: 11 December days
  (21st–31st) × 2‰ × 8,000.00 = 176.00, plus 10 January days × 3‰ × 8,000.00 = 240.00; 416.00.
- Residential across a year end stays at 1‰: 600.00 due 2025-12-25 paid 2026-01-05:
  6 + 5 = 11 days × 0.60 = 6.60.
- Partial payment: residential 1,000.00 due 2026-03-10, 400.00 paid 2026-03-15, the 600.00 rest
  paid 2026-03-20: 11th–15th on 1,000.00 = 5 × 1.00 = 5.00 (the 15th still on the amount unpaid
  before that day's payment), 16th–20th on 600.00 = 5 × 0.60 = 3.00; 8.00.
- Each bill's fee is rounded half up to the fen once: residential 5.00 for 3 days is
  3 × 0.005 = 0.015 → 0.02 (rounding each day would give 3 × 0.01 = 0.03); 45.00 for 1 day is
  0.045 → 0.05 (half-even would give 0.04).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from gridcare.payments.late_fee_rules import (
    DEFAULT_LATE_FEE_RULES,
    RULES_1996,
    BillLateFee,
    CustomerClass,
    DayCount,
    LateFeeInputInvalid,
    LateFeeRules,
    LateFeeTotal,
    OverdueBill,
    late_fee_of_bill,
    late_fees_of_bills,
)

RESIDENTIAL = CustomerClass.RESIDENTIAL
NON_RESIDENTIAL = CustomerClass.NON_RESIDENTIAL
EXCLUDING_PAYMENT_DATE = LateFeeRules(day_count=DayCount.BEFORE_PAYMENT_DATE)


def fee(
    amount: str,
    due: str,
    paid: str,
    customer_class: CustomerClass = RESIDENTIAL,
    rules: LateFeeRules = DEFAULT_LATE_FEE_RULES,
    **extra: object,
) -> BillLateFee:
    return late_fee_of_bill(
        amount=D(amount),
        due_date=date.fromisoformat(due),
        paid_date=date.fromisoformat(paid),
        customer_class=customer_class,
        rules=rules,
        **extra,  # type: ignore[arg-type]
    )


def test_the_default_rules_are_the_issues_rates_without_a_minimum() -> None:
    rules = DEFAULT_LATE_FEE_RULES
    assert (
        rules.residential_daily_rate,
        rules.non_residential_daily_rate,
        rules.non_residential_later_year_daily_rate,
        rules.minimum_total,
        rules.day_count,
    ) == (D("0.001"), D("0.002"), D("0.003"), None, DayCount.THROUGH_PAYMENT_DATE)
    assert (RULES_1996.minimum_total, RULES_1996.day_count) == (D("1.00"), DayCount.THROUGH_PAYMENT_DATE)


def test_residential_ten_days_at_one_per_mille() -> None:
    # 2026-03-11 … 2026-03-20 = 10 days × 0.001 × 1,000.00 = 10.00.
    result = fee("1000.00", "2026-03-10", "2026-03-20")
    assert result == BillLateFee(due_date=date(2026, 3, 10), days=10, late_fee=D("10.00"))
    assert str(result.late_fee) == "10.00"


def test_residential_across_a_year_end_stays_at_one_per_mille() -> None:
    # 2025-12-26 … 2026-01-05 = 6 + 5 = 11 days × 0.001 × 600.00 = 6.60.
    assert fee("600.00", "2025-12-25", "2026-01-05") == BillLateFee(
        due_date=date(2025, 12, 25), days=11, late_fee=D("6.60")
    )


def test_non_residential_current_year_at_two_per_mille() -> None:
    # 2026-04-16 … 2026-05-05 = 15 + 5 = 20 days × 0.002 × 5,000.00 = 200.00.
    assert fee("5000.00", "2026-04-15", "2026-05-05", NON_RESIDENTIAL) == BillLateFee(
        due_date=date(2026, 4, 15), days=20, late_fee=D("200.00")
    )


def test_non_residential_across_a_year_end_three_per_mille_for_the_later_year() -> None:
    # December 21–31: 11 × 0.002 × 8,000.00 = 176.00; January 1–10: 10 × 0.003 × 8,000.00 = 240.00.
    assert fee("8000.00", "2025-12-20", "2026-01-10", NON_RESIDENTIAL) == BillLateFee(
        due_date=date(2025, 12, 20), days=21, late_fee=D("416.00")
    )


def test_non_residential_two_year_ends_later_are_still_three_per_mille() -> None:
    # 1,000.00 due 2024-12-30: 2024-12-31 1 day × 2.00 = 2.00; all 365 days of 2025 × 3.00 = 1,095.00;
    # 2026-01-01 … 2026-01-02 2 days × 3.00 = 6.00; 368 days, 1,103.00.
    assert fee("1000.00", "2024-12-30", "2026-01-02", NON_RESIDENTIAL) == BillLateFee(
        due_date=date(2024, 12, 30), days=368, late_fee=D("1103.00")
    )


def test_a_leap_day_is_a_day() -> None:
    # 2028-02-27 … 2028-03-01 = 28th, 29th, 1st = 3 days × 0.002 × 1,000.00 = 6.00.
    assert fee("1000.00", "2028-02-27", "2028-03-01", NON_RESIDENTIAL).days == 3
    assert fee("1000.00", "2028-02-27", "2028-03-01", NON_RESIDENTIAL).late_fee == D("6.00")


def test_the_bill_year_may_be_given_when_the_due_date_is_in_the_next_year() -> None:
    # A December 2025 bill due 2026-01-05 paid 2026-01-15: 10 days (6th–15th) × 1,000.00.
    # As a 2025 bill every day is in a later year: 10 × 3.00 = 30.00; by the due date alone
    # (a 2026 bill) 10 × 2.00 = 20.00.
    assert fee("1000.00", "2026-01-05", "2026-01-15", NON_RESIDENTIAL, bill_year=2025).late_fee == D("30.00")
    assert fee("1000.00", "2026-01-05", "2026-01-15", NON_RESIDENTIAL).late_fee == D("20.00")
    # Residential rates do not depend on the year: 10 × 1.00 = 10.00 either way.
    assert fee("1000.00", "2026-01-05", "2026-01-15", bill_year=2025).late_fee == D("10.00")


@pytest.mark.parametrize("paid", ["2026-03-10", "2026-03-01", "2025-12-31"])
def test_a_bill_paid_on_or_before_its_due_date_has_no_fee(paid: str) -> None:
    assert fee("1000.00", "2026-03-10", paid, NON_RESIDENTIAL) == BillLateFee(
        due_date=date(2026, 3, 10), days=0, late_fee=D("0.00")
    )


def test_the_first_overdue_day_counts_through_the_payment_date() -> None:
    # Paid the day after the due date: 1 day × 0.001 × 1,000.00 = 1.00.
    assert fee("1000.00", "2026-03-10", "2026-03-11") == BillLateFee(
        due_date=date(2026, 3, 10), days=1, late_fee=D("1.00")
    )


def test_the_alternative_day_count_leaves_out_the_payment_date() -> None:
    # 2026-03-11 … 2026-03-19 = 9 days × 1.00 = 9.00; paid on the 11th: no day counts.
    assert fee("1000.00", "2026-03-10", "2026-03-20", rules=EXCLUDING_PAYMENT_DATE) == BillLateFee(
        due_date=date(2026, 3, 10), days=9, late_fee=D("9.00")
    )
    assert fee("1000.00", "2026-03-10", "2026-03-11", rules=EXCLUDING_PAYMENT_DATE) == BillLateFee(
        due_date=date(2026, 3, 10), days=0, late_fee=D("0.00")
    )
    # Across a year end: December 21–31 11 × 16.00 = 176.00; January 1–9 9 × 24.00 = 216.00; 392.00.
    assert fee(
        "8000.00", "2025-12-20", "2026-01-10", NON_RESIDENTIAL, rules=EXCLUDING_PAYMENT_DATE
    ) == BillLateFee(due_date=date(2025, 12, 20), days=20, late_fee=D("392.00"))


def test_a_partial_payment_lowers_the_base_from_the_day_after_it() -> None:
    # 11th–15th on 1,000.00: 5 × 1.00 = 5.00; 16th–20th on 600.00: 5 × 0.60 = 3.00; 8.00.
    result = fee("1000.00", "2026-03-10", "2026-03-20", partial_payments=[(date(2026, 3, 15), D("400.00"))])
    assert result == BillLateFee(due_date=date(2026, 3, 10), days=10, late_fee=D("8.00"))


def test_a_partial_payment_under_the_alternative_day_count_lowers_the_base_on_its_day() -> None:
    # 11th–14th on 1,000.00: 4 × 1.00 = 4.00; 15th–19th on 600.00: 5 × 0.60 = 3.00; 7.00, 9 days.
    result = fee(
        "1000.00",
        "2026-03-10",
        "2026-03-20",
        rules=EXCLUDING_PAYMENT_DATE,
        partial_payments=[(date(2026, 3, 15), D("400.00"))],
    )
    assert result == BillLateFee(due_date=date(2026, 3, 10), days=9, late_fee=D("7.00"))


def test_partial_payments_across_a_year_end() -> None:
    # 8,000.00 due 2025-12-20, 5,000.00 paid 2025-12-31 and 1,000.00 paid 2026-01-05, the 2,000.00
    # rest 2026-01-10. December 21–31 on 8,000.00: 11 × 16.00 = 176.00 (the 31st before its payment);
    # January 1–5 on 3,000.00: 5 × 9.00 = 45.00; January 6–10 on 2,000.00: 5 × 6.00 = 30.00; 251.00.
    result = fee(
        "8000.00",
        "2025-12-20",
        "2026-01-10",
        NON_RESIDENTIAL,
        partial_payments=[(date(2026, 1, 5), D("1000.00")), (date(2025, 12, 31), D("5000.00"))],
    )
    assert result == BillLateFee(due_date=date(2025, 12, 20), days=21, late_fee=D("251.00"))


def test_a_partial_payment_before_the_due_date_only_lowers_the_base() -> None:
    # 1,000.00 − 300.00 paid 2026-03-01 = 700.00 × 10 days × 0.001 = 7.00.
    result = fee("1000.00", "2026-03-10", "2026-03-20", partial_payments=[(date(2026, 3, 1), D("300.00"))])
    assert result.late_fee == D("7.00")


def test_partial_payments_of_the_whole_amount_stop_the_fee_at_their_dates() -> None:
    # 1,000.00 paid in full on the 13th (through the 20th nothing is left): 3 days × 1.00 = 3.00.
    result = fee("1000.00", "2026-03-10", "2026-03-20", partial_payments=[(date(2026, 3, 13), D("1000.00"))])
    assert result == BillLateFee(due_date=date(2026, 3, 10), days=10, late_fee=D("3.00"))


def test_the_fee_is_rounded_half_up_once_per_bill() -> None:
    # 5.00 × 0.001 = 0.005 a day; 3 days = 0.015 → 0.02 (rounding each day would give 3 × 0.01 = 0.03).
    assert fee("5.00", "2026-03-10", "2026-03-13").late_fee == D("0.02")
    # 45.00 × 0.001 × 1 = 0.045 → 0.05 half up (half-even would give 0.04).
    assert fee("45.00", "2026-03-10", "2026-03-11").late_fee == D("0.05")
    # 44.99 × 0.001 × 1 = 0.04499 → 0.04.
    assert fee("44.99", "2026-03-10", "2026-03-11").late_fee == D("0.04")
    # 4.00 × 0.001 = 0.004 a day, 0.00 if rounded daily; 3 days = 0.012 → 0.01.
    assert fee("4.00", "2026-03-10", "2026-03-13").late_fee == D("0.01")


def test_several_bills_sum_their_rounded_fees() -> None:
    # Non-residential, all paid 2026-02-10:
    # A 8,000.00 due 2025-12-20: December 21–31 11 × 16.00 = 176.00; January 1 – February 10
    #   31 + 10 = 41 × 24.00 = 984.00; 52 days, 1,160.00.
    # B 3,000.00 due 2026-01-20: January 21–31 11 + February 1–10 10 = 21 × 6.00 = 126.00.
    # C 1,500.00 due 2026-02-15: not yet due, 0.00.
    # D 0.35 due 2026-02-05: 5 days × 0.0007 = 0.0035 → 0.00 (rounded per bill, not on the sum).
    # Total 1,160.00 + 126.00 + 0.00 + 0.00 = 1,286.00.
    result = late_fees_of_bills(
        bills=[
            OverdueBill(amount=D("8000.00"), due_date=date(2025, 12, 20)),
            OverdueBill(amount=D("3000.00"), due_date=date(2026, 1, 20)),
            OverdueBill(amount=D("1500.00"), due_date=date(2026, 2, 15)),
            OverdueBill(amount=D("0.35"), due_date=date(2026, 2, 5)),
        ],
        paid_date=date(2026, 2, 10),
        customer_class=NON_RESIDENTIAL,
    )
    assert result == LateFeeTotal(
        bills=(
            BillLateFee(due_date=date(2025, 12, 20), days=52, late_fee=D("1160.00")),
            BillLateFee(due_date=date(2026, 1, 20), days=21, late_fee=D("126.00")),
            BillLateFee(due_date=date(2026, 2, 15), days=0, late_fee=D("0.00")),
            BillLateFee(due_date=date(2026, 2, 5), days=5, late_fee=D("0.00")),
        ),
        late_fee=D("1286.00"),
        minimum_applied=False,
    )
    assert str(result.late_fee) == "1286.00"


def test_per_bill_rounding_then_the_sum() -> None:
    # Two residential bills of 5.00, 3 days each: 0.015 → 0.02 each, total 0.04 (the exact sum
    # 0.030 rounded once would be 0.03).
    bill = OverdueBill(amount=D("5.00"), due_date=date(2026, 3, 10))
    result = late_fees_of_bills(bills=[bill, bill], paid_date=date(2026, 3, 13), customer_class=RESIDENTIAL)
    assert [fee.late_fee for fee in result.bills] == [D("0.02"), D("0.02")]
    assert result.late_fee == D("0.04")


def _total(amount: str, paid: str, rules: LateFeeRules) -> LateFeeTotal:
    return late_fees_of_bills(
        bills=[OverdueBill(amount=D(amount), due_date=date(2026, 3, 10))],
        paid_date=date.fromisoformat(paid),
        customer_class=RESIDENTIAL,
        rules=rules,
    )


def test_the_minimum_switch_on_raises_a_small_total_to_one_yuan() -> None:
    # 300.00 × 0.001 × 2 days = 0.60: charged 1.00 under the 1996 rules; the bill's own fee stays 0.60.
    result = _total("300.00", "2026-03-12", RULES_1996)
    assert result == LateFeeTotal(
        bills=(BillLateFee(due_date=date(2026, 3, 10), days=2, late_fee=D("0.60")),),
        late_fee=D("1.00"),
        minimum_applied=True,
    )


def test_the_minimum_switch_off_charges_the_fee_itself() -> None:
    result = _total("300.00", "2026-03-12", DEFAULT_LATE_FEE_RULES)
    assert (result.late_fee, result.minimum_applied) == (D("0.60"), False)


def test_the_minimum_leaves_a_zero_total_and_a_larger_one_alone() -> None:
    # Paid on the due date: 0.00 stays 0.00. 1,000.00 for 10 days = 10.00 is above the minimum.
    on_time = _total("300.00", "2026-03-10", RULES_1996)
    assert (on_time.late_fee, on_time.minimum_applied) == (D("0.00"), False)
    assert _total("1000.00", "2026-03-20", RULES_1996).late_fee == D("10.00")
    # Exactly the minimum: 100.00 × 0.001 × 10 = 1.00, not raised.
    exactly = _total("100.00", "2026-03-20", RULES_1996)
    assert (exactly.late_fee, exactly.minimum_applied) == (D("1.00"), False)


def test_a_rule_set_of_other_rates() -> None:
    # A contract rate of 1.5‰ for residential (条例 Art. 39 allows 1‰–3‰): 1,000.00 × 0.0015 × 10 = 15.00.
    rules = LateFeeRules(residential_daily_rate=D("0.0015"))
    assert fee("1000.00", "2026-03-10", "2026-03-20", rules=rules).late_fee == D("15.00")


def test_the_last_date_there_is() -> None:
    # No day follows 9999-12-31: a bill due then is never overdue.
    assert fee("1000.00", "9999-12-31", "9999-12-31", NON_RESIDENTIAL).days == 0
    # The first date there is, paid under the alternative count: no day before it.
    assert fee("1000.00", "0001-01-01", "0001-01-01", rules=EXCLUDING_PAYMENT_DATE).days == 0


@pytest.mark.parametrize(
    ("amount", "extra", "field", "reason"),
    [
        ("-0.01", {}, "amount", "it cannot be negative"),
        ("10.005", {}, "amount", "it must be exact to the fen (at most 2 decimals)"),
        (
            "100.00",
            {"partial_payments": [(date(2026, 3, 21), D("10.00"))]},
            "partial_payments[0].paid_date",
            "it cannot be after the final payment date",
        ),
        (
            "100.00",
            {"partial_payments": [(date(2026, 3, 12), D("60.00")), (date(2026, 3, 13), D("40.01"))]},
            "partial_payments",
            "together they exceed the bill's amount",
        ),
        (
            "100.00",
            {"partial_payments": [(date(2026, 3, 12), D("0.00"))]},
            "partial_payments[0].amount",
            "it must be above 0",
        ),
        (
            "100.00",
            {"partial_payments": [(date(2026, 3, 12), D("-5.00"))]},
            "partial_payments[0].amount",
            "it cannot be negative",
        ),
        ("100.00", {"bill_year": 2027}, "bill_year", "it cannot be after the due date's year"),
    ],
)
def test_refusals_name_the_field(amount: str, extra: dict[str, object], field: str, reason: str) -> None:
    with pytest.raises(LateFeeInputInvalid) as refused:
        fee(amount, "2026-03-10", "2026-03-20", **extra)
    assert refused.value.field == field
    assert refused.value.message("en") == f'Late-fee input "{field}" is invalid: {reason}'
    assert refused.value.message("zh-hans").startswith(f"违约金计算输入“{field}”无效：")


def test_a_refusal_among_several_bills_names_the_bill() -> None:
    with pytest.raises(LateFeeInputInvalid) as refused:
        late_fees_of_bills(
            bills=[
                OverdueBill(amount=D("1.00"), due_date=date(2026, 3, 10)),
                OverdueBill(amount=D("-1.00"), due_date=date(2026, 3, 10)),
            ],
            paid_date=date(2026, 3, 20),
            customer_class=RESIDENTIAL,
        )
    assert refused.value.field == "bills[1].amount"
    assert refused.value.message("zh-hans") == "违约金计算输入“bills[1].amount”无效：不能为负数"


@pytest.mark.parametrize(
    "change",
    [
        {"residential_daily_rate": D("-0.001")},
        {"non_residential_daily_rate": D("NaN")},
        {"minimum_total": D("0")},
        {"minimum_total": D("0.005")},
        {"day_count": "through_payment_date_or_so"},
    ],
)
def test_a_rule_set_refuses_nonsense(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        LateFeeRules(**change)  # type: ignore[arg-type]
