"""The password policy: length, character classes, no reuse of the last five, maximum age,
forced change for new and reset passwords; changes and resets are audited without secrets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import translation
from pytest_django.fixtures import Settings

from gridcare.audit.models import AuditEvent
from gridcare.identity.errors import CurrentPasswordWrong, PasswordRejected
from gridcare.identity.models import PasswordHistory, Role, User
from gridcare.identity.operations import change_password, create_staff_user, reset_password
from gridcare.identity.passwords import password_change_required

INITIAL = "Staff-Secret-2025"
LATER = ["Second-Secret-2025", "Third-Secret-2025", "Fourth-Secret-2025", "Fifth-Secret-2025"]
REUSE_REASON = "The password must differ from your last 5 passwords."
CLASSES_REASON = (
    "The password must use at least 3 of these: upper-case letters, lower-case letters, digits and symbols."
)


@pytest.fixture
def clerk(org_tree: Any, staff_user_factory: Any) -> User:
    user: User = staff_user_factory(username="clerk", org_unit=org_tree.station, roles=[Role.METER_READER])
    return user


def state(user: User) -> tuple[str, int, int]:
    user.refresh_from_db()
    return user.password, PasswordHistory.objects.filter(user=user).count(), AuditEvent.objects.count()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Short-1a", "The password must have at least 12 characters."),
        (
            "onlylowercaseletters",
            CLASSES_REASON,
        ),
        (
            "lowercase and spaces",  # lower case and a symbol: two classes
            CLASSES_REASON,
        ),
    ],
)
def test_short_passwords_and_too_few_character_classes_are_refused(
    clerk: User, now: datetime, password: str, reason: str
) -> None:
    before = state(clerk)
    with pytest.raises(PasswordRejected) as raised:
        change_password(user=clerk, current_password=INITIAL, new_password=password, now=now)
    assert raised.value.message("en") == f"The password is not acceptable: {reason}"
    assert state(clerk) == before


@pytest.mark.parametrize("password", ["Harbour-Lights-77", "UPPER lower 12345", "no-digits-But-Symbols!"])
def test_three_of_four_classes_and_twelve_characters_are_accepted(
    clerk: User, now: datetime, password: str
) -> None:
    change_password(user=clerk, current_password=INITIAL, new_password=password, now=now)
    assert clerk.check_password(password)


def test_each_of_the_last_five_passwords_is_refused_with_the_reason(clerk: User, now: datetime) -> None:
    current = INITIAL
    for step, password in enumerate(LATER, start=1):
        change_password(
            user=clerk, current_password=current, new_password=password, now=now + timedelta(days=step)
        )
        current = password
    assert PasswordHistory.objects.filter(user=clerk).count() == 5

    before = state(clerk)
    for reused in [INITIAL, *LATER]:
        with pytest.raises(PasswordRejected) as raised:
            change_password(
                user=clerk, current_password=current, new_password=reused, now=now + timedelta(days=9)
            )
        assert raised.value.message("en") == f"The password is not acceptable: {REUSE_REASON}"
        with translation.override("zh-hans"):
            assert raised.value.message("zh-hans").startswith("密码不符合要求：")
    assert state(clerk) == before

    # A sixth password pushes the first out of the history, so the first may return.
    change_password(
        user=clerk, current_password=current, new_password="Sixth-Secret-2025", now=now + timedelta(days=10)
    )
    assert PasswordHistory.objects.filter(user=clerk).count() == 5
    change_password(
        user=clerk, current_password="Sixth-Secret-2025", new_password=INITIAL, now=now + timedelta(days=11)
    )
    assert clerk.check_password(INITIAL)


def test_a_password_change_is_audited_without_the_password_or_its_hash(clerk: User, now: datetime) -> None:
    change_password(user=clerk, current_password=INITIAL, new_password="Harbour-Lights-77", now=now)

    event = AuditEvent.objects.get(action="change_password")
    assert (event.actor_id, event.object_id, event.occurred_at) == (clerk.pk, str(clerk.pk), now)
    assert event.changes == {"was_required": False}
    clerk.refresh_from_db()
    assert (clerk.password_changed_at, clerk.must_change_password) == (now, False)
    assert "Harbour" not in str(event.changes)
    assert clerk.password not in str(event.changes)


def test_a_wrong_current_password_changes_nothing(clerk: User, now: datetime) -> None:
    before = state(clerk)
    with pytest.raises(CurrentPasswordWrong):
        change_password(
            user=clerk, current_password="Not-The-Password-1", new_password="Harbour-Lights-77", now=now
        )
    assert state(clerk) == before


def test_a_new_staff_user_must_change_the_password_an_administrator_chose(
    org_tree: Any, now: datetime
) -> None:
    user = create_staff_user(
        username="newcomer",
        password="Initial-Secret-2025",
        org_unit=org_tree.station,
        roles=[Role.CASHIER],
        display_name="新人",
        actor=None,
        now=now,
    )

    assert (user.must_change_password, user.password_changed_at) == (True, now)
    assert password_change_required(user=user, now=now)
    assert PasswordHistory.objects.filter(user=user).count() == 1


def test_a_weak_initial_password_is_refused_and_creates_nobody(org_tree: Any, now: datetime) -> None:
    with pytest.raises(PasswordRejected):
        create_staff_user(
            username="newcomer",
            password="password",
            org_unit=org_tree.station,
            roles=[],
            display_name="新人",
            actor=None,
            now=now,
        )
    assert not User.objects.filter(username="newcomer").exists()


def test_an_administrators_reset_is_audited_and_forces_a_change(
    clerk: User, org_tree: Any, staff_user_factory: Any, now: datetime
) -> None:
    admin = staff_user_factory(
        username="admin", org_unit=org_tree.province, roles=[Role.SYSTEM_ADMINISTRATOR]
    )

    reset_password(actor=admin, user=clerk, new_password="Temporary-Pass-2025", now=now)

    clerk.refresh_from_db()
    assert clerk.check_password("Temporary-Pass-2025")
    assert clerk.must_change_password is True
    event = AuditEvent.objects.get(action="reset_password")
    assert (event.actor_id, event.object_id, event.changes) == (admin.pk, str(clerk.pk), {})
    # The user's own change then clears the flag and says it was required.
    change_password(
        user=clerk, current_password="Temporary-Pass-2025", new_password="Harbour-Lights-77", now=now
    )
    clerk.refresh_from_db()
    assert clerk.must_change_password is False
    assert AuditEvent.objects.get(action="change_password").changes == {"was_required": True}


@pytest.mark.parametrize(
    ("max_age_days", "age", "required"),
    [
        (90, timedelta(days=89, hours=23), False),
        (90, timedelta(days=90), True),
        (30, timedelta(days=31), True),
        (0, timedelta(days=3650), False),
    ],
)
def test_a_password_older_than_the_maximum_age_must_be_changed(
    clerk: User, now: datetime, settings: Settings, max_age_days: int, age: timedelta, required: bool
) -> None:
    settings.GRIDCARE_PASSWORD_MAX_AGE_DAYS = max_age_days
    assert clerk.password_changed_at == now
    assert password_change_required(user=clerk, now=now + age) is required
