"""Fixtures of the bank-channel tests: the payments world (payments_world.py: 张伟's account
owing 181.50) with a bank integration at the station, a second account with a mandate, and a
signed-request helper using the real client code (gridcare.identity.signing)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

# pytest's importlib mode puts no test folder on sys.path: the payments world is one folder over,
# this folder's world beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "payments"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bank_world import BankWorld, make_bank_world
from payments_world import make_payments_world


@pytest.fixture
def bank_world(org_tree: Any, now: Any, staff_user_factory: Any) -> BankWorld:
    return make_bank_world(make_payments_world(org_tree, now, staff_user_factory), now)
