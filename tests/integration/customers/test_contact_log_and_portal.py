"""The contact log (visits, calls, meetings, follow-ups) and portal user links."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from gridcare.audit.models import AuditEvent
from gridcare.customers import errors
from gridcare.customers.models import Account, ContactLogEntry, Customer, PortalLink
from gridcare.customers.operations import complete_follow_up, link_portal_user, log_customer_contact
from gridcare.identity.models import Role, User
from gridcare.identity.operations import create_portal_user
from gridcare.kit.errors import GridCareError

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(org_tree: Any, staff_user_factory: Any) -> User:
    return staff_user_factory(username="manager", org_unit=org_tree.county, roles=[Role.ACCOUNT_MANAGER])


@pytest.fixture
def portal_user(now: datetime, fast_password_hasher: None) -> User:
    return create_portal_user(
        username="zhangsan", password="Quancheng-Road-88", mobile="13800138000", actor=None, now=now
    )


def test_a_visit_is_logged_under_the_account_org_unit_and_audited(
    key_account: Account, manager: User, actor: Any, now: datetime
) -> None:
    visited_at = now - timedelta(days=1)

    entry = log_customer_contact(
        account=key_account,
        kind="visit",
        occurred_at=visited_at,
        staff=manager,
        summary=" 走访了解迎峰度夏用电需求 ",
        notes=" 客户计划增容 200 kVA \n",
        follow_up_date=date(2025, 3, 20),
        actor=actor,
        now=now,
    )

    entry.refresh_from_db()
    assert (entry.org_unit_id, entry.kind, entry.occurred_at, entry.staff) == (
        key_account.org_unit_id,
        "visit",
        visited_at,
        manager,
    )
    assert (entry.summary, entry.notes, entry.follow_up_date, entry.follow_up_done_at) == (
        "走访了解迎峰度夏用电需求",
        "客户计划增容 200 kVA",
        date(2025, 3, 20),
        None,
    )
    event = AuditEvent.objects.get(action="log_customer_contact")
    assert (event.object_type, event.object_id, event.org_unit_id) == (
        "customers.contactlogentry",
        str(entry.pk),
        key_account.org_unit_id,
    )
    assert event.changes == {
        "account_no": "0000000018",
        "kind": "visit",
        "occurred_at": "2025-03-09 09:30:00+08:00",
        "staff": "manager",
        "summary": "走访了解迎峰度夏用电需求",
        "follow_up_date": "2025-03-20",
    }


def test_a_follow_up_is_completed_once(
    key_account: Account, manager: User, actor: Any, now: datetime, snapshot: Any
) -> None:
    entry = log_customer_contact(
        account=key_account,
        kind="call",
        occurred_at=now - timedelta(hours=2),
        staff=manager,
        summary="电话提醒电费到期",
        follow_up_date=date(2025, 3, 12),
        actor=actor,
        now=now,
    )
    done_at = now + timedelta(days=2)

    complete_follow_up(entry=entry, actor=manager, now=done_at)

    entry.refresh_from_db()
    assert entry.follow_up_done_at == done_at
    event = AuditEvent.objects.get(action="complete_follow_up")
    assert (event.actor, event.object_id, event.changes) == (
        manager,
        str(entry.pk),
        {"follow_up_done_at": [None, "2025-03-12 09:30:00+08:00"]},
    )
    before = snapshot()

    with pytest.raises(errors.FollowUpAlreadyDone) as raised:
        complete_follow_up(entry=entry, actor=manager, now=done_at + timedelta(hours=1))

    assert raised.value.message("zh-hans") == "该跟进已于 2025-03-12 09:30 完成"
    assert raised.value.message("en") == "This follow-up was already done at 2025-03-12 09:30"
    assert snapshot() == before


def test_an_entry_without_a_follow_up_cannot_be_completed(
    key_account: Account, manager: User, actor: Any, now: datetime, snapshot: Any
) -> None:
    entry = log_customer_contact(
        account=key_account,
        kind="meeting",
        occurred_at=now,
        staff=manager,
        summary="签订供用电合同",
        actor=actor,
        now=now,
    )
    before = snapshot()

    with pytest.raises(errors.NoFollowUpPlanned) as raised:
        complete_follow_up(entry=entry, actor=manager, now=now)

    assert raised.value.message("zh-hans") == "该联系记录没有安排跟进"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("overrides", "error", "message_zh", "message_en"),
    [
        (
            {"occurred_at_shift": timedelta(minutes=1)},
            errors.ContactInFuture,
            "联系时间 2025-03-10 09:31 晚于当前时间",
            "The contact time 2025-03-10 09:31 is in the future",
        ),
        (
            {"occurred_at_shift": -timedelta(days=3), "follow_up_date": date(2025, 3, 6)},
            errors.FollowUpBeforeContact,
            "跟进日期 2025-03-06 早于联系日期 2025-03-07",
            "The follow-up date 2025-03-06 is before the contact date 2025-03-07",
        ),
        (
            {"summary": " "},
            errors.RequiredFieldMissing,
            "联系摘要不能为空",
            "The summary is required",
        ),
        (
            {"kind": "email"},
            errors.ChoiceInvalid,
            "类型 email 无效，可选值：visit, call, meeting",
            "kind email is invalid; allowed values: visit, call, meeting",
        ),
        (
            {"staff": "portal_user"},
            errors.StaffUserRequired,
            "zhangsan 不是在职的营销人员",
            "zhangsan is not an active staff user",
        ),
    ],
)
def test_invalid_contact_log_entries_are_refused(
    key_account: Account,
    manager: User,
    portal_user: User,
    actor: Any,
    now: datetime,
    snapshot: Any,
    overrides: dict[str, Any],
    error: type[GridCareError],
    message_zh: str,
    message_en: str,
) -> None:
    arguments: dict[str, Any] = {
        "account": key_account,
        "kind": overrides.get("kind", "visit"),
        "occurred_at": now + overrides.get("occurred_at_shift", timedelta(0)),
        "staff": portal_user if overrides.get("staff") == "portal_user" else manager,
        "summary": overrides.get("summary", "走访"),
        "follow_up_date": overrides.get("follow_up_date"),
        "actor": actor,
        "now": now,
    }
    before = snapshot()

    with pytest.raises(error) as raised:
        log_customer_contact(**arguments)

    assert raised.value.message("zh-hans") == message_zh
    assert raised.value.message("en") == message_en
    assert snapshot() == before


def test_the_database_refuses_a_done_follow_up_that_was_never_planned(
    key_account: Account, manager: User, now: datetime
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactLogEntry.objects.create(
            org_unit_id=key_account.org_unit_id,
            account=key_account,
            kind="visit",
            occurred_at=now,
            staff=manager,
            summary="走访",
            follow_up_done_at=now,
        )
    assert ContactLogEntry.objects.count() == 0


# --- portal links --------------------------------------------------------------------------


def test_a_portal_user_is_linked_to_a_customer_and_audited(
    person: Customer, portal_user: User, actor: Any, now: datetime
) -> None:
    link = link_portal_user(user=portal_user, customer=person, actor=actor, now=now)

    assert (link.user, link.customer) == (portal_user, person)
    event = AuditEvent.objects.get(action="link_portal_user")
    assert (event.object_type, event.object_id, event.org_unit_id, event.changes) == (
        "customers.customer",
        str(person.pk),
        person.org_unit_id,
        {"portal_user": "zhangsan"},
    )


def test_a_portal_user_serves_one_customer(
    person: Customer, enterprise: Customer, portal_user: User, actor: Any, now: datetime, snapshot: Any
) -> None:
    link_portal_user(user=portal_user, customer=person, actor=actor, now=now)
    before = snapshot()

    with pytest.raises(errors.PortalUserAlreadyLinked) as raised:
        link_portal_user(user=portal_user, customer=enterprise, actor=actor, now=now)

    assert raised.value.message("zh-hans") == "网上营业厅用户 zhangsan 已关联客户 C000000001"
    assert raised.value.message("en") == "Portal user zhangsan is already linked to customer C000000001"
    assert snapshot() == before


def test_a_staff_user_cannot_be_linked_as_a_portal_user(
    person: Customer, manager: User, actor: Any, now: datetime, snapshot: Any
) -> None:
    before = snapshot()

    with pytest.raises(errors.NotPortalUser) as raised:
        link_portal_user(user=manager, customer=person, actor=actor, now=now)

    assert raised.value.message("zh-hans") == "manager 不是网上营业厅用户"
    assert raised.value.message("en") == "manager is not a portal user"
    assert snapshot() == before


def test_the_database_refuses_a_second_link_for_a_portal_user(
    person: Customer, enterprise: Customer, portal_user: User, actor: Any, now: datetime
) -> None:
    link_portal_user(user=portal_user, customer=person, actor=actor, now=now)

    with pytest.raises(IntegrityError), transaction.atomic():
        PortalLink.objects.create(user=portal_user, customer=enterprise)

    assert list(PortalLink.objects.values_list("customer__customer_no", flat=True)) == ["C000000001"]
