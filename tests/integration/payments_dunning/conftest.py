"""Fixtures of the dunning tests (the world module sits beside this file)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

# pytest's importlib mode puts no test folder on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gridcare.identity.models import Role, User


@pytest.fixture
def manager(org_tree: Any, staff_user_factory: Any) -> User:
    """客户经理 at the station: manages arrears, prints and serves letters."""
    return staff_user_factory(username="manager", org_unit=org_tree.station, roles=[Role.ACCOUNT_MANAGER])


@pytest.fixture
def cashier(org_tree: Any, staff_user_factory: Any) -> User:
    return staff_user_factory(username="cashier", org_unit=org_tree.station, roles=[Role.CASHIER])


@pytest.fixture
def client_of(log_in: Any) -> Any:
    """``client_of(user)`` → a test client logged in as ``user`` (MFA verified when needed)."""
    from django.test import Client

    return lambda user: log_in(Client(), user)
