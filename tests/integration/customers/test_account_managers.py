"""客户经理 assignments: key accounts only, the right person, one current manager at a time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from gridcare.audit.models import AuditEvent
from gridcare.customers import errors
from gridcare.customers.models import Account, AccountManagerAssignment
from gridcare.customers.operations import assign_account_manager, change_account_status
from gridcare.identity.models import Role, User
from gridcare.identity.operations import create_portal_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(org_tree: Any, staff_user_factory: Any) -> User:
    """A 客户经理 of the county, which covers both stations."""
    return staff_user_factory(username="manager", org_unit=org_tree.county, roles=[Role.ACCOUNT_MANAGER])


def _assignments(account: Account) -> list[tuple[str, date, date | None]]:
    return list(
        account.manager_assignments.order_by("valid_from").values_list(
            "manager__username", "valid_from", "valid_to"
        )
    )


def test_a_key_account_gets_a_manager_and_the_assignment_is_audited(
    key_account: Account, manager: User, actor: Any, now: datetime
) -> None:
    assignment = assign_account_manager(
        account=key_account, manager=manager, valid_from=date(2025, 3, 1), actor=actor, now=now
    )

    assert (assignment.manager, assignment.valid_from, assignment.valid_to) == (
        manager,
        date(2025, 3, 1),
        None,
    )
    event = AuditEvent.objects.get(action="assign_account_manager")
    assert (event.actor, event.object_type, event.object_id, event.org_unit_id) == (
        actor,
        "customers.account",
        str(key_account.pk),
        key_account.org_unit_id,
    )
    assert event.changes == {"account_manager": [None, "manager"], "valid_from": "2025-03-01"}


def test_a_new_manager_ends_the_current_assignment(
    key_account: Account, org_tree: Any, manager: User, staff_user_factory: Any, actor: Any, now: datetime
) -> None:
    successor = staff_user_factory(
        username="successor", org_unit=org_tree.other_station, roles=[Role.ACCOUNT_MANAGER]
    )
    assign_account_manager(
        account=key_account, manager=manager, valid_from=date(2025, 1, 2), actor=actor, now=now
    )

    assign_account_manager(
        account=key_account, manager=successor, valid_from=date(2025, 3, 1), actor=actor, now=now
    )

    assert _assignments(key_account) == [
        ("manager", date(2025, 1, 2), date(2025, 3, 1)),
        ("successor", date(2025, 3, 1), None),
    ]
    assert key_account.manager_assignments.filter(valid_to__isnull=True).count() == 1
    latest = AuditEvent.objects.filter(action="assign_account_manager").order_by("id").last()
    assert latest is not None
    assert latest.changes == {"account_manager": ["manager", "successor"], "valid_from": "2025-03-01"}


def test_only_key_accounts_have_managers(
    account: Account, manager: User, actor: Any, now: datetime, snapshot: Any
) -> None:
    before = snapshot()

    with pytest.raises(errors.NotKeyAccount) as raised:
        assign_account_manager(
            account=account, manager=manager, valid_from=date(2025, 3, 1), actor=actor, now=now
        )

    assert raised.value.message("zh-hans") == "用电户 0000000018 不是重要客户，不配备客户经理"
    assert (
        raised.value.message("en") == "Account 0000000018 is not a key account, so it has no account manager"
    )
    assert snapshot() == before


def test_the_manager_must_hold_the_account_manager_role(
    key_account: Account, org_tree: Any, staff_user_factory: Any, actor: Any, now: datetime, snapshot: Any
) -> None:
    reader = staff_user_factory(username="reader", org_unit=org_tree.county, roles=[Role.METER_READER])
    before = snapshot()

    with pytest.raises(errors.StaffLacksRole) as raised:
        assign_account_manager(
            account=key_account, manager=reader, valid_from=date(2025, 3, 1), actor=actor, now=now
        )

    assert raised.value.message("zh-hans") == "reader 没有客户经理角色"
    assert raised.value.message("en") == "reader does not hold the account manager role"
    assert snapshot() == before


def test_the_manager_must_be_an_active_staff_user(
    key_account: Account, manager: User, actor: Any, now: datetime, snapshot: Any
) -> None:
    manager.is_active = False
    manager.save()
    portal_user = create_portal_user(
        username="customer", password="Quancheng-Road-88", mobile="13800138000", actor=None, now=now
    )
    before = snapshot()

    for candidate in (manager, portal_user):
        with pytest.raises(errors.StaffUserRequired) as raised:
            assign_account_manager(
                account=key_account, manager=candidate, valid_from=date(2025, 3, 1), actor=actor, now=now
            )
        assert raised.value.message("en") == f"{candidate.username} is not an active staff user"

    assert raised.value.message("zh-hans") == "customer 不是在职的营销人员"
    assert snapshot() == before


def test_the_manager_org_unit_must_cover_the_account(
    key_account: Account, org_tree: Any, staff_user_factory: Any, actor: Any, now: datetime, snapshot: Any
) -> None:
    elsewhere = staff_user_factory(
        username="elsewhere", org_unit=org_tree.station, roles=[Role.ACCOUNT_MANAGER]
    )
    before = snapshot()

    with pytest.raises(errors.StaffOutsideOrgUnit) as raised:
        assign_account_manager(
            account=key_account, manager=elsewhere, valid_from=date(2025, 3, 1), actor=actor, now=now
        )

    assert raised.value.message("zh-hans") == "elsewhere 所属单位不管辖 解放路供电所"
    assert raised.value.message("en") == "The org unit of elsewhere does not cover 解放路供电所"
    assert snapshot() == before


def test_reassigning_the_current_manager_or_starting_too_early_is_refused(
    key_account: Account,
    org_tree: Any,
    manager: User,
    staff_user_factory: Any,
    actor: Any,
    now: datetime,
    snapshot: Any,
) -> None:
    successor = staff_user_factory(
        username="successor", org_unit=org_tree.county, roles=[Role.ACCOUNT_MANAGER]
    )
    assign_account_manager(
        account=key_account, manager=manager, valid_from=date(2025, 2, 1), actor=actor, now=now
    )
    before = snapshot()

    with pytest.raises(errors.ManagerAlreadyAssigned) as again:
        assign_account_manager(
            account=key_account, manager=manager, valid_from=date(2025, 3, 1), actor=actor, now=now
        )
    with pytest.raises(errors.AssignmentStartsTooEarly) as early:
        assign_account_manager(
            account=key_account, manager=successor, valid_from=date(2025, 2, 1), actor=actor, now=now
        )

    assert again.value.message("zh-hans") == "manager 已是用电户 0000000018 的客户经理"
    assert again.value.message("en") == "manager is already the account manager of account 0000000018"
    assert early.value.message("zh-hans") == (
        "新的客户经理须在 2025-02-01 之后生效（当前客户经理自该日起任职），收到 2025-02-01"
    )
    assert early.value.message("en") == (
        "The new account manager must start after 2025-02-01, when the current one started; got 2025-02-01"
    )
    assert snapshot() == before


def test_a_closed_account_gets_no_manager(
    key_account: Account, manager: User, actor: Any, now: datetime, snapshot: Any
) -> None:
    change_account_status(
        account=key_account,
        status="closed",
        effective_date=date(2025, 2, 1),
        reason="销户",
        actor=actor,
        now=now,
    )
    before = snapshot()

    with pytest.raises(errors.AccountClosed):
        assign_account_manager(
            account=key_account, manager=manager, valid_from=date(2025, 3, 1), actor=actor, now=now
        )

    assert snapshot() == before


def test_the_database_refuses_two_current_managers(
    key_account: Account, org_tree: Any, manager: User, staff_user_factory: Any, actor: Any, now: datetime
) -> None:
    successor = staff_user_factory(
        username="successor", org_unit=org_tree.county, roles=[Role.ACCOUNT_MANAGER]
    )
    assign_account_manager(
        account=key_account, manager=manager, valid_from=date(2025, 2, 1), actor=actor, now=now
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        AccountManagerAssignment.objects.create(
            account=key_account, manager=successor, valid_from=date(2025, 3, 1)
        )

    assert _assignments(key_account) == [("manager", date(2025, 2, 1), None)]


def test_the_database_refuses_an_assignment_that_ends_before_it_starts(
    key_account: Account, manager: User
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountManagerAssignment.objects.create(
            account=key_account, manager=manager, valid_from=date(2025, 3, 1), valid_to=date(2025, 3, 1)
        )
    assert AccountManagerAssignment.objects.count() == 0
