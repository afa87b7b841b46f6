"""Fixtures shared by the whole suite."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from gridcare.identity.mfa import TOTP_DEVICE_NAME
from gridcare.identity.permissions import requires_mfa

LogIn = Callable[[Client, Any], Client]


@pytest.fixture(autouse=True)
def passwords_do_not_expire_by_age(settings: Settings) -> None:
    """Test users are created at fixed past dates, so by the real clock the pages read every
    password would be past the 90-day maximum age; tests of expiry set their own maximum."""
    settings.GRIDCARE_PASSWORD_MAX_AGE_DAYS = 0


@pytest.fixture
def log_in() -> LogIn:
    """``log_in(client, user)`` → the client, logged in as ``user`` as a real login would leave it
    (every test logs users in through this, so login requirements such as MFA live in one place):
    a user whose role needs MFA (or who enrolled) has a TOTP device and a session verified by it."""

    def log_in_client(client: Client, user: Any) -> Client:
        client.force_login(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None and requires_mfa(user):
            device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return log_in_client


#: Test folders whose tests create the notification templates and policies they use.
FOLDERS_STATING_THEIR_OWN_NOTIFICATION_SETUP = frozenset(
    {"notifications", "notifications_channels", "notifications_letters"}
)


@pytest.fixture(autouse=True)
def without_shipped_notification_defaults(request: pytest.FixtureRequest) -> None:
    """In the folders above, remove the templates and delivery policies the notifications
    migration ships, so each test states its own (for tests that use the database at all)."""
    if request.path.parent.name not in FOLDERS_STATING_THEIR_OWN_NOTIFICATION_SETUP:
        return
    if "db" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("db")
    from gridcare.notifications.models import DeliveryPolicy, NotificationTemplate

    NotificationTemplate.objects.all().delete()
    DeliveryPolicy.objects.all().delete()
