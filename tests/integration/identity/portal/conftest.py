"""Fixtures of the portal login tests: a portal user with a mobile, and readers of the codes
queued in the notification outbox."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from gridcare.identity.models import User
from gridcare.identity.operations import create_portal_user
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.events import ONE_TIME_CODE_EVENT
from gridcare.notifications.models import OutboxMessage

# pytest's importlib mode puts no test folder on sys.path; the test modules import the shared
# values from portal_login_values.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from portal_login_values import MOBILE, PASSWORD


@pytest.fixture
def portal_user(db: None, now: datetime, fast_password_hasher: None) -> User:
    return create_portal_user(username="zhangsan", password=PASSWORD, mobile=MOBILE, actor=None, now=now)


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
