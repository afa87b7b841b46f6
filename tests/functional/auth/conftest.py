"""Fixtures of the staff-authentication HTTP tests: one province with staff users made by the
audited operations, and helpers to log in through the real forms."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from gridcare.identity.models import Role, User
from gridcare.identity.operations import create_staff_user
from gridcare.organization.models import AreaType, OrgLevel, OrgUnit
from gridcare.organization.operations import create_org_unit

# pytest's importlib mode puts no test folder on sys.path; the helpers module sits beside this.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from auth_helpers import PASSWORD

MakeUser = Callable[..., User]


@pytest.fixture
def province(db: None) -> OrgUnit:
    return create_org_unit(
        code="37",
        name="国网山东省电力公司",
        level=OrgLevel.PROVINCE,
        parent=None,
        area_type=AreaType.URBAN,
        actor=None,
        now=timezone.now(),
    )


@pytest.fixture
def make_user(province: OrgUnit, settings: Settings) -> MakeUser:
    """``make_user(username, roles=[...], is_superuser=False, must_change_password=False)``."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def make(
        username: str,
        *,
        roles: Iterable[Role] = (),
        is_superuser: bool = False,
        must_change_password: bool = False,
    ) -> User:
        return create_staff_user(
            username=username,
            password=PASSWORD,
            org_unit=province,
            roles=list(roles),
            display_name=username,
            actor=None,
            now=timezone.now(),
            is_superuser=is_superuser,
            must_change_password=must_change_password,
        )

    return make


@pytest.fixture
def client(client: Client) -> Client:
    """pytest-django's client, reading the pages in English (the tests assert English messages;
    Chinese is the default, chosen by the language cookie)."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
