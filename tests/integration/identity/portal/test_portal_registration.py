"""Self-registration: mobile + one-time code + password; a mobile that already has a login gets
a notice instead of a code."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.utils import translation
from portal_login_values import ADDRESS, MOBILE, UNKNOWN_MOBILE, SentCodes

from gridcare.audit.models import AuditEvent
from gridcare.identity import errors
from gridcare.identity.models import OneTimeCode, User, UserKind
from gridcare.identity.portal_auth import register_portal_user, request_portal_registration_code
from gridcare.notifications.models import OutboxMessage

NEW_PASSWORD = "Spring-Water-2025"


def test_a_new_customer_registers_with_mobile_code_and_password(
    db: None, now: datetime, sent_codes: SentCodes, fast_password_hasher: None
) -> None:
    request_portal_registration_code(mobile=UNKNOWN_MOBILE, client_address=ADDRESS, now=now)
    [code] = sent_codes(UNKNOWN_MOBILE)

    user = register_portal_user(
        mobile=UNKNOWN_MOBILE, code=code, password=NEW_PASSWORD, now=now + timedelta(minutes=1)
    )

    assert (user.kind, user.mobile, user.org_unit, user.is_staff) == (
        UserKind.PORTAL,
        UNKNOWN_MOBILE,
        None,
        False,
    )
    assert user.username.startswith("portal_")
    assert user.check_password(NEW_PASSWORD)
    assert OneTimeCode.objects.get().used_at == now + timedelta(minutes=1)
    actions = list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))
    assert actions == [
        "issue_one_time_code",
        "use_one_time_code",
        "create_portal_user",
        "register_portal_user",
    ]
    assert AuditEvent.objects.get(action="register_portal_user").changes == {"mobile": "139****1111"}


def test_a_wrong_code_registers_nobody_and_stays_counted(
    db: None, now: datetime, sent_codes: SentCodes, fast_password_hasher: None
) -> None:
    request_portal_registration_code(mobile=UNKNOWN_MOBILE, client_address=ADDRESS, now=now)
    [code] = sent_codes(UNKNOWN_MOBILE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    with pytest.raises(errors.OneTimeCodeWrong):
        register_portal_user(mobile=UNKNOWN_MOBILE, code=wrong, password=NEW_PASSWORD, now=now)

    assert User.objects.count() == 0
    assert OneTimeCode.objects.get().attempts == 1
    assert AuditEvent.objects.filter(action="reject_one_time_code").count() == 1


def test_a_rejected_password_leaves_the_code_unused(
    db: None, now: datetime, sent_codes: SentCodes, fast_password_hasher: None
) -> None:
    request_portal_registration_code(mobile=UNKNOWN_MOBILE, client_address=ADDRESS, now=now)
    [code] = sent_codes(UNKNOWN_MOBILE)
    events_before = AuditEvent.objects.count()

    with pytest.raises(errors.PasswordRejected) as raised, translation.override("en"):
        register_portal_user(mobile=UNKNOWN_MOBILE, code=code, password="12345678", now=now)

    assert "This password is too common." in raised.value.message("en")
    assert User.objects.count() == 0
    one_time_code = OneTimeCode.objects.get()
    assert (one_time_code.used_at, one_time_code.attempts) == (None, 0)
    assert AuditEvent.objects.count() == events_before
    assert register_portal_user(mobile=UNKNOWN_MOBILE, code=code, password=NEW_PASSWORD, now=now).mobile == (
        UNKNOWN_MOBILE
    )


def test_a_registered_mobile_gets_a_notice_without_a_code(
    portal_user: User, now: datetime, sent_codes: SentCodes
) -> None:
    with translation.override("en"):
        request_portal_registration_code(mobile=MOBILE, client_address=ADDRESS, now=now)

    assert sent_codes(MOBILE) == []
    assert OutboxMessage.objects.get().body == (
        "Someone asked to register a GridCare online service hall login with this mobile, which already "
        "has one. Log in with a code instead. If it was not you, ignore this message."
    )
    assert AuditEvent.objects.filter(action="issue_one_time_code").get().changes == {
        "purpose": "portal_registration",
        "mobile": "138****5678",
        "delivery": "notice",
    }
    with pytest.raises(errors.OneTimeCodeWrong):
        register_portal_user(mobile=MOBILE, code="000000", password=NEW_PASSWORD, now=now)
    assert list(User.objects.values_list("username", flat=True)) == ["zhangsan"]


def test_a_mobile_registered_meanwhile_is_refused_and_the_code_kept(
    db: None, now: datetime, sent_codes: SentCodes, fast_password_hasher: None
) -> None:
    request_portal_registration_code(mobile=UNKNOWN_MOBILE, client_address=ADDRESS, now=now)
    [code] = sent_codes(UNKNOWN_MOBILE)
    first = register_portal_user(mobile=UNKNOWN_MOBILE, code=code, password=NEW_PASSWORD, now=now)
    request_portal_registration_code(
        mobile=UNKNOWN_MOBILE, client_address=ADDRESS, now=now + timedelta(minutes=1)
    )

    assert len(sent_codes(UNKNOWN_MOBILE)) == 1  # the second request got the notice
    OneTimeCode.objects.filter(used_at__isnull=True).delete()
    request_portal_registration_code(
        mobile="13900002222", client_address=ADDRESS, now=now + timedelta(minutes=2)
    )
    [other_code] = sent_codes("13900002222")
    # Saved, not .update(): the keyed hash the lookup uses is kept current on save.
    first.mobile = "13900002222"
    first.save()

    with pytest.raises(errors.MobileAlreadyRegistered) as raised:
        register_portal_user(
            mobile="13900002222", code=other_code, password=NEW_PASSWORD, now=now + timedelta(minutes=2)
        )

    assert raised.value.message("en") == "Mobile 139****2222 already has a portal login. Log in instead."
    assert OneTimeCode.objects.get(used_at__isnull=True).attempts == 0
    assert User.objects.count() == 1


def test_a_registration_code_does_not_log_in(db: None, now: datetime, sent_codes: SentCodes) -> None:
    request_portal_registration_code(mobile=UNKNOWN_MOBILE, client_address=ADDRESS, now=now)
    [code] = sent_codes(UNKNOWN_MOBILE)

    assert (
        authenticate(RequestFactory().post("/portal/login/"), mobile=UNKNOWN_MOBILE, one_time_password=code)
        is None
    )
    assert OneTimeCode.objects.get().used_at is None
