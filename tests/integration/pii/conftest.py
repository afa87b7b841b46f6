"""Fixtures of the personal data tests: people with known ID numbers, phones and a bank
account (:mod:`pii_people`), and key ring settings for rotation."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

# pii_people is shared with the subprocess that writes a database file; pytest's importlib
# mode puts no test folder on sys.path, so this folder is added here.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pii_people import HASH_KEY, People, register_people

from gridcare.identity.models import Role, User


@pytest.fixture
def actor(org_tree: Any, staff_user_factory: Any) -> User:
    """A provincial 业扩受理员 who performs the operations."""
    return staff_user_factory(
        username="clerk", org_unit=org_tree.province, roles=[Role.BUSINESS_EXPANSION_CLERK]
    )


@pytest.fixture
def people(org_tree: Any, actor: User, now: datetime, fast_password_hasher: None) -> People:
    return register_people(org_unit=org_tree.station, actor=actor, now=now)


@pytest.fixture
def key_ring(settings: Settings) -> Any:
    """``key_ring(keys="k2:...,k1:...", hash_key=...)`` switches the PII key ring settings."""

    def switch(*, keys: str, hash_key: str = HASH_KEY) -> None:
        settings.GRIDCARE_PII_KEYS = keys
        settings.GRIDCARE_PII_HASH_KEY = hash_key

    return switch
