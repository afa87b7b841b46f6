"""Account status: normal ↔ suspended, anything → closed, closed is final; history and audit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from gridcare.audit.models import AuditEvent
from gridcare.customers import errors
from gridcare.customers.models import Account, AccountStatusChange
from gridcare.customers.operations import assign_account_manager, change_account_status
from gridcare.identity.models import Role
from gridcare.kit.errors import GridCareError

pytestmark = pytest.mark.django_db


def _history(account: Account) -> list[tuple[str, date, str]]:
    return list(
        account.status_changes.order_by("effective_date").values_list("status", "effective_date", "reason")
    )


def test_suspending_records_history_updates_the_account_and_is_audited(
    account: Account, actor: Any, now: datetime
) -> None:
    change = change_account_status(
        account=account,
        status="suspended",
        effective_date=date(2025, 2, 1),
        reason=" 暂停用电 ",
        actor=actor,
        now=now,
    )

    account.refresh_from_db()
    assert (account.status, account.status_effective_date) == ("suspended", date(2025, 2, 1))
    assert (change.status, change.effective_date, change.reason, change.recorded_at, change.recorded_by) == (
        "suspended",
        date(2025, 2, 1),
        "暂停用电",
        now,
        actor,
    )
    assert _history(account) == [
        ("normal", date(2025, 1, 2), ""),
        ("suspended", date(2025, 2, 1), "暂停用电"),
    ]
    event = AuditEvent.objects.get(action="change_account_status")
    assert (event.actor, event.object_type, event.object_id, event.org_unit_id, event.occurred_at) == (
        actor,
        "customers.account",
        str(account.pk),
        account.org_unit_id,
        now,
    )
    assert event.changes == {
        "status": ["normal", "suspended"],
        "status_effective_date": ["2025-01-02", "2025-02-01"],
        "reason": "暂停用电",
    }


def test_a_suspended_account_resumes_and_any_account_closes(
    account: Account, actor: Any, now: datetime
) -> None:
    for status, effective_date in (
        ("suspended", date(2025, 2, 1)),
        ("normal", date(2025, 2, 15)),
        ("suspended", date(2025, 3, 1)),
        ("closed", date(2025, 3, 5)),
    ):
        change_account_status(
            account=account,
            status=status,
            effective_date=effective_date,
            reason="客户申请",
            actor=actor,
            now=now,
        )

    assert (account.status, account.status_effective_date) == ("closed", date(2025, 3, 5))
    assert [status for status, _, _ in _history(account)] == [
        "normal",
        "suspended",
        "normal",
        "suspended",
        "closed",
    ]
    assert AuditEvent.objects.filter(action="change_account_status").count() == 4


def test_a_normal_account_closes_directly(account: Account, actor: Any, now: datetime) -> None:
    change_account_status(
        account=account, status="closed", effective_date=date(2025, 3, 1), reason="销户", actor=actor, now=now
    )
    assert _history(account)[-1] == ("closed", date(2025, 3, 1), "销户")


@pytest.mark.parametrize("status", ["normal", "suspended", "closed"])
def test_closed_is_final(account: Account, actor: Any, now: datetime, snapshot: Any, status: str) -> None:
    change_account_status(
        account=account, status="closed", effective_date=date(2025, 3, 1), reason="销户", actor=actor, now=now
    )
    before = snapshot()

    with pytest.raises(errors.AccountClosed) as raised:
        change_account_status(
            account=account,
            status=status,
            effective_date=date(2025, 3, 9),
            reason="复电",
            actor=actor,
            now=now,
        )

    assert raised.value.message("zh-hans") == "用电户 0000000018 已于 2025-03-01 销户，销户后不能再变更"
    assert (
        raised.value.message("en")
        == "Account 0000000018 was closed on 2025-03-01; a closed account cannot change"
    )
    assert snapshot() == before


def test_a_stale_account_object_still_sees_the_closure(account: Account, actor: Any, now: datetime) -> None:
    stale = Account.objects.get(pk=account.pk)
    change_account_status(
        account=account, status="closed", effective_date=date(2025, 3, 1), reason="销户", actor=actor, now=now
    )

    with pytest.raises(errors.AccountClosed):
        change_account_status(
            account=stale,
            status="suspended",
            effective_date=date(2025, 3, 9),
            reason="暂停",
            actor=actor,
            now=now,
        )
    assert AccountStatusChange.objects.count() == 2


@pytest.mark.parametrize(
    ("status", "effective_date", "reason", "error", "message_zh", "message_en"),
    [
        (
            "normal",
            date(2025, 2, 1),
            "无",
            errors.AccountStatusUnchanged,
            "用电户 0000000018 已是正常状态",
            "Account 0000000018 is already normal",
        ),
        (
            "suspended",
            date(2025, 1, 2),
            "暂停",
            errors.StatusEffectiveDateTooEarly,
            "生效日期 2025-01-02 须晚于最近一次状态变更的生效日期 2025-01-02",
            "The effective date 2025-01-02 must be after 2025-01-02, the latest status change",
        ),
        (
            "suspended",
            date(2024, 12, 31),
            "暂停",
            errors.StatusEffectiveDateTooEarly,
            "生效日期 2024-12-31 须晚于最近一次状态变更的生效日期 2025-01-02",
            "The effective date 2024-12-31 must be after 2025-01-02, the latest status change",
        ),
        (
            "suspended",
            date(2025, 2, 1),
            "  ",
            errors.RequiredFieldMissing,
            "变更原因不能为空",
            "The reason is required",
        ),
        (
            "terminated",
            date(2025, 2, 1),
            "无",
            errors.ChoiceInvalid,
            "用电户状态 terminated 无效，可选值：normal, suspended, closed",
            "account status terminated is invalid; allowed values: normal, suspended, closed",
        ),
    ],
)
def test_invalid_status_changes_are_refused_with_clear_messages(
    account: Account,
    actor: Any,
    now: datetime,
    snapshot: Any,
    status: str,
    effective_date: date,
    reason: str,
    error: type[GridCareError],
    message_zh: str,
    message_en: str,
) -> None:
    before = snapshot()

    with pytest.raises(error) as raised:
        change_account_status(
            account=account, status=status, effective_date=effective_date, reason=reason, actor=actor, now=now
        )

    assert raised.value.message("zh-hans") == message_zh
    assert raised.value.message("en") == message_en
    assert snapshot() == before


def test_closing_a_key_account_ends_its_manager_assignment(
    key_account: Account, org_tree: Any, staff_user_factory: Any, actor: Any, now: datetime
) -> None:
    manager = staff_user_factory(username="manager", org_unit=org_tree.county, roles=[Role.ACCOUNT_MANAGER])
    assign_account_manager(
        account=key_account, manager=manager, valid_from=date(2025, 1, 2), actor=actor, now=now
    )

    change_account_status(
        account=key_account,
        status="closed",
        effective_date=date(2025, 3, 1),
        reason="销户",
        actor=actor,
        now=now,
    )

    assert list(
        key_account.manager_assignments.values_list("manager__username", "valid_from", "valid_to")
    ) == [("manager", date(2025, 1, 2), date(2025, 3, 1))]
    event = AuditEvent.objects.get(action="change_account_status")
    assert event.changes == {
        "status": ["normal", "closed"],
        "status_effective_date": ["2025-01-02", "2025-03-01"],
        "reason": "销户",
        "account_manager": ["manager", None],
    }


def test_an_account_cannot_close_before_its_manager_starts(
    key_account: Account, org_tree: Any, staff_user_factory: Any, actor: Any, now: datetime, snapshot: Any
) -> None:
    manager = staff_user_factory(username="manager", org_unit=org_tree.county, roles=[Role.ACCOUNT_MANAGER])
    assign_account_manager(
        account=key_account, manager=manager, valid_from=date(2025, 3, 1), actor=actor, now=now
    )
    before = snapshot()

    with pytest.raises(errors.ManagerAssignmentAfterClosure) as raised:
        change_account_status(
            account=key_account,
            status="closed",
            effective_date=date(2025, 2, 1),
            reason="销户",
            actor=actor,
            now=now,
        )

    assert raised.value.message("zh-hans") == "客户经理自 2025-03-01 起任职，不能在 2025-02-01 销户"
    assert raised.value.message("en") == (
        "The account manager starts on 2025-03-01, so the account cannot close on 2025-02-01"
    )
    assert snapshot() == before


def test_the_database_refuses_two_status_changes_on_one_day(account: Account, now: datetime) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountStatusChange.objects.create(
            account=account, status="suspended", effective_date=date(2025, 1, 2), recorded_at=now
        )
    assert AccountStatusChange.objects.count() == 1


def test_a_status_change_dated_after_today_is_refused(
    account: Account, actor: Any, now: datetime, snapshot: Any
) -> None:
    before = snapshot()

    with pytest.raises(errors.DateInFuture) as raised:
        change_account_status(
            account=account,
            status="closed",
            effective_date=date(2025, 3, 11),
            reason="销户",
            actor=actor,
            now=now,
        )

    assert raised.value.message("zh-hans") == (
        "生效日期 2025-03-11 晚于今天（2025-03-10）：只能登记已经发生的日期"
    )
    assert raised.value.message("en") == (
        "The effective date 2025-03-11 is after today (2025-03-10): only dates that have come can be recorded"
    )
    assert raised.value.field == "effective_date"
    assert snapshot() == before


def test_a_status_change_dated_today_in_beijing_takes_effect(account: Account, actor: Any) -> None:
    # 2025-03-09 17:00 UTC is already 2025-03-10 01:00 in Beijing: "today" is the local date.
    late_evening_utc = datetime(2025, 3, 9, 17, 0, tzinfo=UTC)

    change_account_status(
        account=account,
        status="suspended",
        effective_date=date(2025, 3, 10),
        reason="暂停用电",
        actor=actor,
        now=late_evening_utc,
    )

    account.refresh_from_db()
    assert (account.status, account.status_effective_date) == ("suspended", date(2025, 3, 10))
