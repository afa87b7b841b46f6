"""Fixtures of the late-fee quote tests: a request whose fees are worked by hand."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

#: Non-residential, paid 2026-02-10 (rules-cn.md §5):
#: 8,000.00 due 2025-12-20: December 21–31 11 days × 0.002 × 8,000.00 = 176.00, January 1 –
#: February 10 31 + 10 = 41 days × 0.003 × 8,000.00 = 984.00; 52 days, 1,160.00.
#: 3,000.00 due 2026-01-20: January 21–31 11 + February 1–10 10 = 21 days × 0.002 × 3,000.00 = 126.00.
#: 1,500.00 due 2026-02-15: not yet overdue, 0 days, 0.00. Total 1,286.00.
SEVERAL_BILLS = {
    "customer_class": "non_residential",
    "paid_date": "2026-02-10",
    "bills": [
        {"amount": "8000.00", "due_date": "2025-12-20"},
        {"amount": 3000, "due_date": "2026-01-20"},
        {"amount": "1500.00", "due_date": "2026-02-15"},
    ],
}

SEVERAL_BILLS_ANSWER = {
    "late_fee": "1286.00",
    "bills": [
        {"due_date": "2025-12-20", "days": 52, "late_fee": "1160.00"},
        {"due_date": "2026-01-20", "days": 21, "late_fee": "126.00"},
        {"due_date": "2026-02-15", "days": 0, "late_fee": "0.00"},
    ],
}


@pytest.fixture
def several_bills() -> dict[str, Any]:
    return {**SEVERAL_BILLS, "bills": [dict(bill) for bill in SEVERAL_BILLS["bills"]]}


@pytest.fixture
def several_bills_answer() -> dict[str, Any]:
    return SEVERAL_BILLS_ANSWER


# pytest's importlib mode puts no test folder on sys.path; the world module sits beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from accounts_world import AccountsWorld  # noqa: E402
from payments_world import PaymentsWorld, make_payments_world  # noqa: E402


@pytest.fixture
def world(org_tree: Any, staff_user_factory: Any) -> AccountsWorld:
    return AccountsWorld(org_tree, staff_user_factory)


@pytest.fixture
def payments_world(org_tree: Any, now: Any, staff_user_factory: Any) -> PaymentsWorld:
    return make_payments_world(org_tree, now, staff_user_factory)
