"""Fixtures shared by the whole suite."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

LogIn = Callable[[Client, Any], Client]


@pytest.fixture
def log_in() -> LogIn:
    """``log_in(client, user)`` → the client, logged in as ``user`` as a real login would leave it
    (every test logs users in through this, so login requirements such as MFA live in one place)."""

    def log_in_client(client: Client, user: Any) -> Client:
        client.force_login(user)
        return client

    return log_in_client
