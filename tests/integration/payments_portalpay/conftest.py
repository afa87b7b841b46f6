"""Fixtures of the provider-payment tests (the world: portalpay_world.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

# pytest's importlib mode puts no test folder on sys.path: the ledger world is shared, and this
# folder holds the world module.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ledger"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from portalpay_world import (
    Notify,
    PortalPayWorld,
    make_portal_pay_world,
    notification_signer,
    sandbox_provider_key,
)


@pytest.fixture
def portal_pay_world(org_tree: Any, now: Any) -> PortalPayWorld:
    return make_portal_pay_world(org_tree, now)


@pytest.fixture
def provider_key() -> rsa.RSAPrivateKey:
    return sandbox_provider_key()


@pytest.fixture
def notification(provider_key: rsa.RSAPrivateKey) -> Notify:
    return notification_signer(provider_key)
