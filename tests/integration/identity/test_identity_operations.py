"""Staff and portal users: creation, refusals with clear messages, audit and constraints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from gridcare.audit.models import AuditEvent
from gridcare.identity.errors import MobileInvalid, PasswordRejected, UsernameMissing, UsernameTaken
from gridcare.identity.models import Role, User, UserKind
from gridcare.identity.operations import create_portal_user, create_staff_user, ensure_role_groups

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]


def _counts() -> tuple[int, int]:
    return User.objects.count(), AuditEvent.objects.count()


def test_a_portal_user_has_no_org_unit_and_is_not_staff(now: datetime) -> None:
    user = create_portal_user(
        username="zhangsan", password="Quancheng-Road-88", mobile="+86 138-0013-8000", actor=None, now=now
    )

    user.refresh_from_db()
    assert (user.kind, user.org_unit, user.is_staff, user.is_superuser) == (
        UserKind.PORTAL,
        None,
        False,
        False,
    )
    assert user.mobile == "13800138000"
    assert user.date_joined == now
    assert user.check_password("Quancheng-Road-88")
    event = AuditEvent.objects.get()
    assert (event.action, event.object_type, event.object_id) == (
        "create_portal_user",
        "identity.user",
        str(user.pk),
    )
    assert event.org_unit is None
    assert event.actor is None
    assert event.changes == {"username": "zhangsan", "mobile": "138****8000"}  # masked in the audit log


def test_a_taken_username_is_refused(now: datetime) -> None:
    create_portal_user(
        username="zhangsan", password="Quancheng-Road-88", mobile="13800138000", actor=None, now=now
    )
    before = _counts()

    with pytest.raises(UsernameTaken) as raised:
        create_portal_user(
            username="zhangsan", password="Another-Pass-99", mobile="13900139000", actor=None, now=now
        )

    assert raised.value.message("zh-hans") == "用户名 zhangsan 已被使用"
    assert raised.value.message("en") == "Username zhangsan is already taken"
    assert _counts() == before


def test_a_blank_username_is_refused(now: datetime) -> None:
    with pytest.raises(UsernameMissing) as raised:
        create_portal_user(
            username="  ", password="Quancheng-Road-88", mobile="13800138000", actor=None, now=now
        )
    assert raised.value.message("zh-hans") == "用户名不能为空"
    assert _counts() == (0, 0)


def test_a_weak_password_is_refused_with_the_validators_reasons_in_both_languages(now: datetime) -> None:
    with pytest.raises(PasswordRejected) as raised:
        create_portal_user(username="lisi", password="12345678", mobile="13800138000", actor=None, now=now)

    # GridCare's own policy messages (length, character classes) get their zh-Hans text from
    # the project catalog; Django's are translated by Django.
    assert raised.value.message("zh-hans").startswith("密码不符合要求：")
    assert "这个密码太常见了。密码只包含数字。" in raised.value.message("zh-hans")
    assert raised.value.message("en") == (
        "The password is not acceptable: The password must have at least 12 characters. "
        "This password is too common. This password is entirely numeric. "
        "The password must use at least 3 of these: upper-case letters, lower-case letters, "
        "digits and symbols."
    )
    assert _counts() == (0, 0)


def test_an_invalid_mobile_is_refused(now: datetime) -> None:
    with pytest.raises(MobileInvalid) as raised:
        create_portal_user(
            username="lisi", password="Quancheng-Road-88", mobile="1380013800", actor=None, now=now
        )

    assert raised.value.message("zh-hans") == "手机号 1380013800 无效：应为以 1 开头的 11 位数字"
    assert (
        raised.value.message("en")
        == "Mobile number 1380013800 is invalid: it must be 11 digits starting with 1"
    )
    assert _counts() == (0, 0)


def test_creating_a_staff_user_binds_the_org_unit_and_roles_and_is_audited(
    org_tree: Any, staff_user_factory: Any, now: datetime
) -> None:
    admin = staff_user_factory(
        username="admin", org_unit=org_tree.province, roles=[Role.SYSTEM_ADMINISTRATOR]
    )

    manager = create_staff_user(
        username="wangwu",
        password="Manager-Pass-2025",
        org_unit=org_tree.county,
        roles=[Role.ACCOUNT_MANAGER, Role.MARKETING_SUPERVISOR],
        display_name="王五",
        actor=admin,
        now=now,
    )

    assert (manager.kind, manager.org_unit, manager.is_staff, manager.first_name) == (
        UserKind.STAFF,
        org_tree.county,
        True,
        "王五",
    )
    assert manager.roles() == ["客户经理", "营销主管"]
    event = AuditEvent.objects.get(action="create_staff_user", object_id=str(manager.pk))
    assert (event.actor, event.org_unit, event.occurred_at) == (admin, org_tree.county, now)
    assert event.changes == {"username": "wangwu", "org_unit": "370102", "roles": ["客户经理", "营销主管"]}


def test_a_staff_username_already_taken_is_refused(
    org_tree: Any, staff_user_factory: Any, now: datetime
) -> None:
    staff_user_factory(username="wangwu", org_unit=org_tree.county)
    before = _counts()

    with pytest.raises(UsernameTaken):
        create_staff_user(
            username="wangwu",
            password="Manager-Pass-2025",
            org_unit=org_tree.station,
            roles=[],
            display_name="另一个王五",
            actor=None,
            now=now,
        )

    assert _counts() == before


def test_role_groups_are_created_once() -> None:
    first = ensure_role_groups()
    second = ensure_role_groups()

    assert [group.name for group in first] == [role.value for role in Role]
    assert [group.pk for group in second] == [group.pk for group in first]
    assert Group.objects.count() == 10


def test_the_database_refuses_a_portal_user_bound_to_an_org_unit(org_tree: Any) -> None:
    before = _counts()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="portal", kind=UserKind.PORTAL, org_unit=org_tree.station)
    assert _counts() == before


def test_the_database_refuses_a_portal_user_who_is_staff() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="portal", kind=UserKind.PORTAL, is_staff=True)
    assert _counts() == (0, 0)


def test_model_validation_reports_the_portal_user_constraint(org_tree: Any) -> None:
    user = User(username="portal", kind=UserKind.PORTAL, org_unit=org_tree.station, password="!")
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        user.full_clean()
    assert raised.value.messages == ["A portal customer cannot be bound to an org unit or be staff."]
