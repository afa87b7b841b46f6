"""Fixtures of the hostile-input tests; the texts and the customer file are in hostile_world."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from pytest_django.fixtures import Settings

# pytest's importlib mode puts no test folder on sys.path: this folder's helpers are added here.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_world import HostileFile, build_hostile_file

from gridcare.identity.models import User


@pytest.fixture
def hostile_file(db: None, settings: Settings) -> HostileFile:
    """Every hostile text as a customer, contact and account (see hostile_world)."""
    # Argon2 costs a third of a second per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_hostile_file()


@pytest.fixture
def client_for(log_in: Callable[[Client, Any], Client]) -> Callable[[User], Client]:
    """``client_for(user)`` → a new client logged in as ``user``, in English."""

    def make(user: User) -> Client:
        client = log_in(Client(), user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make
