"""State changes of identity: role groups, staff users and portal users."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from gridcare.audit.operations import record_audit_event
from gridcare.identity.errors import PasswordRejected, UsernameMissing, UsernameTaken
from gridcare.identity.models import Role, User, UserKind
from gridcare.identity.validators import validate_mobile
from gridcare.organization.models import OrgUnit


def ensure_role_groups() -> list[Group]:
    """Create the auth group of every :class:`Role` that does not exist yet; return all of them."""
    return [Group.objects.get_or_create(name=role.value)[0] for role in Role]


@transaction.atomic
def create_staff_user(
    *,
    username: str,
    password: str,
    org_unit: OrgUnit,
    roles: list[Role],
    display_name: str,
    actor: User | None,
    now: datetime,
    is_superuser: bool = False,
) -> User:
    """Create a staff user bound to ``org_unit`` holding ``roles``, and audit it."""
    _check_username_free(username)
    user = User(
        username=username,
        kind=UserKind.STAFF,
        org_unit=org_unit,
        first_name=display_name,
        is_staff=True,
        is_superuser=is_superuser,
        date_joined=now,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    groups = [Group.objects.get_or_create(name=role.value)[0] for role in roles]
    user.groups.set(groups)
    record_audit_event(
        actor=actor,
        action="create_staff_user",
        target=user,
        occurred_at=now,
        changes={"username": username, "org_unit": org_unit.code, "roles": [role.value for role in roles]},
    )
    return user


@transaction.atomic
def create_portal_user(
    *, username: str, password: str, mobile: str, actor: User | None, now: datetime
) -> User:
    """Create a customer's 网上营业厅 login: no org unit, not staff, and audit it.

    The password must pass the project's password validators. Link the user to a customer
    with :func:`gridcare.customers.operations.link_portal_user`.
    """
    _check_username_free(username)
    normalized_mobile = validate_mobile(mobile)
    user = User(
        username=username,
        kind=UserKind.PORTAL,
        org_unit=None,
        mobile=normalized_mobile,
        is_staff=False,
        date_joined=now,
    )
    _check_password(password, user=user)
    user.set_password(password)
    user.save()
    record_audit_event(
        actor=actor,
        action="create_portal_user",
        target=user,
        occurred_at=now,
        changes={"username": username, "mobile": normalized_mobile},
    )
    return user


def _check_username_free(username: str) -> None:
    if not username.strip():
        raise UsernameMissing(field="username")
    if User.objects.filter(username=username).exists():
        raise UsernameTaken(field="username", username=username)


def _check_password(password: str, *, user: User) -> None:
    """Run Django's password validators; report their reasons in both languages."""
    reasons: dict[str, str] = {}
    # Each reason is a full sentence ending in 。 or a full stop.
    for language, separator in (("zh-hans", ""), ("en", " ")):
        # The validators translate while raising, so run them once per language.
        with translation.override(language):
            try:
                validate_password(password, user=user)
            except ValidationError as error:
                reasons[language] = separator.join(error.messages)
    if reasons:
        raise PasswordRejected(field="password", reasons_zh=reasons["zh-hans"], reasons_en=reasons["en"])
