"""The MFA operations: enrolment, verification with throttling, recovery codes and resets, each
audited without secrets; refusals change nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridcare.audit.models import AuditEvent
from gridcare.identity import mfa
from gridcare.identity.errors import MfaCodeInvalid, MfaEnrolmentNotStarted, MfaNotEnrolled, MfaThrottled
from gridcare.identity.models import Role, User
from gridcare.identity.operations import (
    confirm_mfa_enrolment,
    regenerate_recovery_codes,
    reset_mfa,
    start_mfa_enrolment,
    verify_mfa,
)


@pytest.fixture
def cashier(org_tree: Any, staff_user_factory: Any) -> User:
    user: User = staff_user_factory(username="cashier", org_unit=org_tree.station, roles=[Role.CASHIER])
    return user


def code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def audit_actions() -> list[str]:
    return list(
        AuditEvent.objects.filter(action__contains="mfa")
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def counts(user: User) -> tuple[int, int, int]:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).count(),
        StaticToken.objects.filter(device__user=user).count(),
        AuditEvent.objects.count(),
    )


def test_enrolment_starts_once_and_confirms_with_a_first_code(cashier: User, now: datetime) -> None:
    device = start_mfa_enrolment(user=cashier, now=now)
    assert start_mfa_enrolment(user=cashier, now=now) == device
    assert device.confirmed is False

    confirmed, codes = confirm_mfa_enrolment(user=cashier, token=code_of(device), now=now)

    assert (confirmed.pk, confirmed.confirmed) == (device.pk, True)
    assert len(codes) == mfa.RECOVERY_CODE_COUNT == 10
    assert mfa.recovery_codes_left(cashier) == 10
    assert audit_actions() == ["start_mfa_enrolment", "enrol_mfa"]
    event = AuditEvent.objects.get(action="enrol_mfa")
    assert device.key not in str(event.changes)
    assert not any(code in str(event.changes) for code in codes)


def test_confirming_without_starting_is_refused(cashier: User, now: datetime) -> None:
    with pytest.raises(MfaEnrolmentNotStarted):
        confirm_mfa_enrolment(user=cashier, token="123456", now=now)
    assert counts(cashier) == (0, 0, AuditEvent.objects.count())


def test_a_wrong_code_is_audited_then_the_device_is_throttled(cashier: User, now: datetime) -> None:
    device = start_mfa_enrolment(user=cashier, now=now)
    wrong = f"{(int(code_of(device)) + 1) % 1_000_000:06d}"

    with pytest.raises(MfaCodeInvalid):
        confirm_mfa_enrolment(user=cashier, token=wrong, now=now)
    # Right after a failure even the right code waits (django-otp doubles the wait each time).
    with pytest.raises(MfaThrottled) as throttled:
        confirm_mfa_enrolment(user=cashier, token=code_of(device), now=now)

    assert throttled.value.message("en") == "Too many wrong codes: try again after 1 s"
    assert audit_actions() == ["start_mfa_enrolment", "verify_mfa_failed", "verify_mfa_failed"]
    device.refresh_from_db()
    assert (device.confirmed, device.throttling_failure_count) == (False, 1)


def test_a_totp_code_verifies_once(cashier: User, now: datetime) -> None:
    device = start_mfa_enrolment(user=cashier, now=now)
    device.confirmed = True
    device.save()
    code = code_of(device)

    assert verify_mfa(user=cashier, token=code, now=now) == device
    with pytest.raises(MfaCodeInvalid):
        verify_mfa(user=cashier, token=code, now=now)
    assert audit_actions() == ["start_mfa_enrolment", "verify_mfa", "verify_mfa_failed"]


def test_recovery_codes_work_once_and_regenerating_replaces_them(cashier: User, now: datetime) -> None:
    device = start_mfa_enrolment(user=cashier, now=now)
    _device, codes = confirm_mfa_enrolment(user=cashier, token=code_of(device), now=now)

    used = verify_mfa(user=cashier, token=codes[0].upper(), now=now)

    assert isinstance(used, StaticDevice)
    assert mfa.recovery_codes_left(cashier) == 9
    assert AuditEvent.objects.get(action="use_mfa_recovery_code").changes == {"recovery_codes_left": 9}
    new_codes = regenerate_recovery_codes(user=cashier, now=now)
    assert set(StaticToken.objects.filter(device__user=cashier).values_list("token", flat=True)) == set(
        new_codes
    )


def test_a_user_without_an_authenticator_cannot_verify_regenerate_or_be_reset(
    cashier: User, org_tree: Any, staff_user_factory: Any, now: datetime
) -> None:
    admin = staff_user_factory(
        username="admin", org_unit=org_tree.province, roles=[Role.SYSTEM_ADMINISTRATOR]
    )
    before = counts(cashier)

    with pytest.raises(MfaNotEnrolled):
        verify_mfa(user=cashier, token="123456", now=now)
    with pytest.raises(MfaNotEnrolled):
        regenerate_recovery_codes(user=cashier, now=now)
    with pytest.raises(MfaNotEnrolled) as raised:
        reset_mfa(actor=admin, user=cashier, now=now)

    assert raised.value.message("en") == "User cashier has not enrolled an authenticator"
    assert counts(cashier) == before


def test_a_reset_removes_the_authenticator_and_the_recovery_codes(
    cashier: User, org_tree: Any, staff_user_factory: Any, now: datetime
) -> None:
    admin = staff_user_factory(
        username="admin", org_unit=org_tree.province, roles=[Role.SYSTEM_ADMINISTRATOR]
    )
    device = start_mfa_enrolment(user=cashier, now=now)
    confirm_mfa_enrolment(user=cashier, token=code_of(device), now=now)

    reset_mfa(actor=admin, user=cashier, now=now)

    assert (
        TOTPDevice.objects.filter(user=cashier).count(),
        StaticDevice.objects.filter(user=cashier).count(),
    ) == (0, 0)
    event = AuditEvent.objects.get(action="reset_mfa")
    assert (event.actor_id, event.object_id, event.changes) == (
        admin.pk,
        str(cashier.pk),
        {"username": "cashier", "removed_devices": 2},
    )
