"""Fixtures of the portal payment HTTP tests: the two-station web world (tests/integration/web;
the portal login is 张三's, holder of ACCOUNT_A1) with bill 0000000001 of 97.66 issued to
ACCOUNT_A1 today, due in 15 days (so no late fee accrues), and notifications signed with the
sandbox provider's key."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.utils import timezone

# pytest's importlib mode puts no test folder on sys.path: the web world is shared, and this
# folder holds the bill helper.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "web"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from portalpay_bills import BILL_NUMBER, issue_bill
from web_world import World, build_world

from gridcare.billing.models import Bill
from gridcare.kit.clock import local_date
from gridcare.payments.provider_protocol import ensure_private_key_file


@pytest.fixture
def pay_world(db: None) -> World:
    return build_world()


@pytest.fixture
def bill(pay_world: World) -> Bill:
    now = timezone.now()
    return issue_bill(
        account=pay_world.account_a1,
        clerk=pay_world.station_a_user,
        number=BILL_NUMBER,
        amount="97.66",
        due_date=local_date(now) + timedelta(days=15),
        now=now,
    )


@pytest.fixture
def provider_key() -> rsa.RSAPrivateKey:
    """The sandbox provider's private key (made on first use, as the sandbox does)."""
    return ensure_private_key_file(Path(str(settings.PAYMENT_PROVIDER["SANDBOX_KEY_DIR"])) / "provider.pem")
