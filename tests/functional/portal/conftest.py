"""Fixtures of the portal's HTTP tests: the two-station world of tests/integration/web, with
fast password hashing, the portal customer's mobile, and an English-speaking client."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from pytest_django.fixtures import Settings

# The scenario is shared with tests/integration/web; pytest's importlib mode puts no test
# folder on sys.path, so that folder (and this one, for portal_http_values) is added here.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "web"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from portal_http_values import MOBILE_ZHANG_PORTAL
from web_world import World, build_world

from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.events import ONE_TIME_CODE_EVENT
from gridcare.notifications.models import OutboxMessage


@pytest.fixture
def world(db: None, settings: Settings) -> World:
    """The web world with passwords (hashed fast) and 张三's portal login on his mobile."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world(with_passwords=True)
    world.portal_user.mobile = MOBILE_ZHANG_PORTAL
    world.portal_user.save()
    return world


@pytest.fixture
def english_client(client: Client) -> Client:
    """A client that chose English, so messages can be compared exactly."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def sent_codes(db: None) -> Callable[[str], list[str]]:
    """``sent_codes(mobile)`` → the 6-digit codes in the one-time-code SMS queued in the
    notification outbox for ``mobile``, oldest first."""

    def codes(mobile: str) -> list[str]:
        messages = OutboxMessage.objects.filter(
            event=ONE_TIME_CODE_EVENT, channel=ChannelKind.SMS, address=mobile
        )
        bodies = messages.order_by("created_at", "id").values_list("body", flat=True)
        return [
            match.group(0)
            for body in bodies
            for match in [re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", body)]
            if match
        ]

    return codes
