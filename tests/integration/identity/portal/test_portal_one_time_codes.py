"""Portal login codes: sent only to registered mobiles (with the same answer either way),
stored hashed, single-use, 5 tries, 5 minutes; audited with the mobile masked."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import ClassVar

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.utils import timezone, translation
from portal_login_values import ADDRESS, MOBILE, UNKNOWN_MOBILE, SentCodes
from pytest_django.fixtures import Settings

from gridcare.audit.models import AuditEvent
from gridcare.identity import errors
from gridcare.identity.models import OneTimeCode, OneTimeCodePurpose, User
from gridcare.identity.otp import mobile_digest, redeem_one_time_code
from gridcare.identity.portal_auth import find_portal_user_by_mobile, request_portal_login_code
from gridcare.notifications.models import OutboxMessage

LOGIN = OneTimeCodePurpose.PORTAL_LOGIN


def last_sequence() -> int:
    return AuditEvent.objects.count()


def audit_trail(*, after: int) -> list[tuple[str, dict[str, object]]]:
    """The actions and changes of the audit events recorded after sequence number ``after``."""
    events = AuditEvent.objects.filter(sequence__gt=after).order_by("sequence")
    return [(event.action, event.changes) for event in events]


def test_a_login_code_is_sent_to_a_registered_mobile_and_stored_only_hashed(
    portal_user: User, now: datetime, sent_codes: SentCodes
) -> None:
    before = last_sequence()

    with translation.override("en"):
        one_time_code = request_portal_login_code(mobile="138 1234 5678", client_address=ADDRESS, now=now)

    [code] = sent_codes(MOBILE)
    assert (one_time_code.user, one_time_code.purpose, one_time_code.attempts, one_time_code.used_at) == (
        portal_user,
        LOGIN,
        0,
        None,
    )
    assert one_time_code.expires_at == now + timedelta(minutes=5)
    assert one_time_code.mobile_digest == mobile_digest(MOBILE)
    assert code not in one_time_code.code_hash
    assert MOBILE not in one_time_code.mobile_digest
    message = OutboxMessage.objects.get()
    assert (message.event, message.channel, message.address) == ("one_time_code", "sms", MOBILE)
    assert message.body == (
        f"Your GridCare login code is {code}. It is valid for 5 minutes. Never tell anyone this code."
    )
    assert audit_trail(after=before) == [
        ("issue_one_time_code", {"purpose": "portal_login", "mobile": "138****5678", "delivery": "code"})
    ]


def test_an_unknown_mobile_gets_a_code_nobody_receives(portal_user: User, now: datetime) -> None:
    before = last_sequence()

    one_time_code = request_portal_login_code(mobile=UNKNOWN_MOBILE, client_address=ADDRESS, now=now)

    assert OutboxMessage.objects.count() == 0
    assert (one_time_code.user, one_time_code.purpose, one_time_code.expires_at) == (
        None,
        LOGIN,
        now + timedelta(minutes=5),
    )
    assert audit_trail(after=before) == [
        ("issue_one_time_code", {"purpose": "portal_login", "mobile": "139****1111", "delivery": "none"})
    ]
    # Wrong tries count alike, so probing reveals nothing.
    with pytest.raises(errors.OneTimeCodeWrong) as raised:
        redeem_one_time_code(purpose=LOGIN, mobile=UNKNOWN_MOBILE, code="000000", now=now)
    assert raised.value.message("en") == "The code is wrong. Tries left: 4."


def test_the_right_code_logs_the_portal_user_in_once(portal_user: User, sent_codes: SentCodes) -> None:
    # The authentication backend reads the clock, so the code is sent now.
    now = timezone.now()
    request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now)
    [code] = sent_codes(MOBILE)

    assert (
        authenticate(RequestFactory().post("/portal/login/"), mobile=MOBILE, one_time_password=code)
        == portal_user
    )

    assert OneTimeCode.objects.get().used_at is not None
    assert (
        authenticate(RequestFactory().post("/portal/login/"), mobile=MOBILE, one_time_password=code) is None
    )
    with pytest.raises(errors.OneTimeCodeUsed) as raised:
        redeem_one_time_code(purpose=LOGIN, mobile=MOBILE, code=code, now=now)
    assert raised.value.message("zh-hans") == "验证码已使用过，请重新获取"
    event = AuditEvent.objects.get(action="use_one_time_code")
    assert (event.actor, event.changes) == (portal_user, {"purpose": "portal_login", "mobile": "138****5678"})


def test_wrong_codes_are_counted_and_the_sixth_try_fails_even_with_the_right_code(
    portal_user: User, now: datetime, sent_codes: SentCodes
) -> None:
    request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now)
    [code] = sent_codes(MOBILE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    messages = []
    for _try in range(5):
        with pytest.raises(errors.OneTimeCodeRejected) as raised:
            redeem_one_time_code(purpose=LOGIN, mobile=MOBILE, code=wrong, now=now)
        messages.append(raised.value.message("en"))

    assert messages == [
        "The code is wrong. Tries left: 4.",
        "The code is wrong. Tries left: 3.",
        "The code is wrong. Tries left: 2.",
        "The code is wrong. Tries left: 1.",
        "Too many wrong tries: this code no longer works. Request a new code.",
    ]
    with pytest.raises(errors.OneTimeCodeAttemptsExhausted):
        redeem_one_time_code(purpose=LOGIN, mobile=MOBILE, code=code, now=now + timedelta(seconds=30))
    one_time_code = OneTimeCode.objects.get()
    assert (one_time_code.attempts, one_time_code.used_at) == (5, None)
    rejections = AuditEvent.objects.filter(action="reject_one_time_code").order_by("sequence")
    assert [event.changes["attempts"] for event in rejections] == [1, 2, 3, 4, 5]


def test_a_code_expires_after_five_minutes(portal_user: User, now: datetime, sent_codes: SentCodes) -> None:
    request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now)
    [code] = sent_codes(MOBILE)

    with pytest.raises(errors.OneTimeCodeExpired) as raised:
        redeem_one_time_code(purpose=LOGIN, mobile=MOBILE, code=code, now=now + timedelta(minutes=5))

    assert raised.value.message("en") == "The code has expired or was never requested. Request a new code."
    assert OneTimeCode.objects.get().used_at is None
    redeemed = redeem_one_time_code(
        purpose=LOGIN, mobile=MOBILE, code=code, now=now + timedelta(minutes=4, seconds=59)
    )
    assert redeemed.used_at == now + timedelta(minutes=4, seconds=59)


def test_a_new_code_retires_the_previous_one(portal_user: User, now: datetime, sent_codes: SentCodes) -> None:
    request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now)
    later = now + timedelta(minutes=1)
    request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=later)
    first, second = sent_codes(MOBILE)

    if first != second:
        with pytest.raises(errors.OneTimeCodeWrong):
            redeem_one_time_code(purpose=LOGIN, mobile=MOBILE, code=first, now=later)
    assert redeem_one_time_code(purpose=LOGIN, mobile=MOBILE, code=second, now=later).created_at == later


def test_a_code_for_a_mobile_never_sent_one_is_refused(portal_user: User, now: datetime) -> None:
    with pytest.raises(errors.OneTimeCodeExpired):
        redeem_one_time_code(purpose=LOGIN, mobile=MOBILE, code="123456", now=now)
    assert OneTimeCode.objects.count() == 0


def test_a_login_code_does_not_register_and_a_staff_mobile_gets_no_code(
    portal_user: User, now: datetime, staff_user_factory, org_tree
) -> None:
    staff = staff_user_factory(username="reader", org_unit=org_tree.station)
    staff.mobile = UNKNOWN_MOBILE
    staff.save()

    request_portal_login_code(mobile=UNKNOWN_MOBILE, client_address=ADDRESS, now=now)

    assert OutboxMessage.objects.count() == 0
    assert find_portal_user_by_mobile(mobile=UNKNOWN_MOBILE) is None
    with pytest.raises(errors.OneTimeCodeExpired):
        redeem_one_time_code(
            purpose=OneTimeCodePurpose.PORTAL_REGISTRATION, mobile=UNKNOWN_MOBILE, code="123456", now=now
        )


def test_an_invalid_mobile_is_refused_and_nothing_is_stored(portal_user: User, now: datetime) -> None:
    with pytest.raises(errors.MobileInvalid) as raised:
        request_portal_login_code(mobile="12345", client_address=ADDRESS, now=now)

    assert (
        raised.value.message("en") == "Mobile number 12345 is invalid: it must be 11 digits starting with 1"
    )
    assert (OneTimeCode.objects.count(), OutboxMessage.objects.count()) == (0, 0)


class RecordingSender:
    """A sender that keeps what it is asked to send (the setting names it by dotted path)."""

    sent: ClassVar[list[tuple[str, str]]] = []

    def send(self, *, mobile: str, message: str, now: datetime) -> None:
        RecordingSender.sent.append((mobile, message))


def test_codes_go_through_the_sender_the_setting_names(
    portal_user: User, now: datetime, settings: Settings
) -> None:
    settings.GRIDCARE_OTP_SENDER = f"{__name__}.RecordingSender"
    RecordingSender.sent.clear()

    with translation.override("en"):
        request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now)

    [(mobile, message)] = RecordingSender.sent
    assert mobile == MOBILE
    assert message.startswith("Your GridCare login code is ")
    assert OutboxMessage.objects.count() == 0


def test_under_debug_the_text_is_also_logged_for_the_demo_console(
    portal_user: User,
    now: datetime,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    sent_codes: SentCodes,
) -> None:
    settings.DEBUG = True

    with translation.override("en"), caplog.at_level(logging.WARNING, logger="gridcare.identity.otp"):
        request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now)

    [code] = sent_codes(MOBILE)
    assert [(record.levelname, record.getMessage()) for record in caplog.records] == [
        (
            "WARNING",
            f"DEBUG: text message to 138****5678: Your GridCare login code is {code}. "
            "It is valid for 5 minutes. Never tell anyone this code.",
        )
    ]


def test_without_debug_nothing_is_logged(
    portal_user: User, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="gridcare.identity.otp"):
        request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now)

    assert caplog.records == []
    assert OutboxMessage.objects.count() == 1
