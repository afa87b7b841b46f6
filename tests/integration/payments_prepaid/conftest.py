"""Fixtures of the prepaid tests (the world module sits beside this file)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

# pytest's importlib mode puts no test folder on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gridcare.identity.models import Role, User


@pytest.fixture
def cashier(org_tree: Any, staff_user_factory: Any) -> User:
    """收费员 at the station: takes payments and switches accounts to and from prepaid."""
    return staff_user_factory(username="cashier", org_unit=org_tree.station, roles=[Role.CASHIER])


@pytest.fixture
def client_of(log_in: Any) -> Any:
    """``client_of(user)`` → a test client logged in as ``user`` (MFA verified when needed)."""
    from django.test import Client

    return lambda user: log_in(Client(), user)
