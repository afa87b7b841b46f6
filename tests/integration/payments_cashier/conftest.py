"""Fixtures of the cashier tests (cashier_world.py)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

# pytest's importlib mode puts no test folder on sys.path: this one, and ../payments for the
# payments world.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "payments"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cashier_world import CashierWorld, make_cashier_world


@pytest.fixture
def cashier_world(org_tree: Any, now: datetime, staff_user_factory: Any) -> CashierWorld:
    return make_cashier_world(org_tree, now, staff_user_factory)
