"""A portal user's change of mobile: a code on the new mobile (rate-limited like login codes),
then the change, audited with both mobiles masked; refusals change nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import translation
from portal_login_values import ADDRESS, MOBILE, PASSWORD, UNKNOWN_MOBILE, SentCodes

from gridcare.audit.models import AuditEvent
from gridcare.identity import errors
from gridcare.identity.models import OneTimeCode, OneTimeCodePurpose, RateLimitHit, User
from gridcare.identity.operations import create_portal_user
from gridcare.identity.pii import pii_hash
from gridcare.identity.portal_auth import change_portal_user_mobile, request_mobile_change_code
from gridcare.notifications.models import OutboxMessage

NEW_MOBILE = UNKNOWN_MOBILE


def stored(user: User) -> tuple[object, ...]:
    fresh = User.objects.get(pk=user.pk)
    return (
        fresh.mobile,
        fresh.mobile_hash,
        OneTimeCode.objects.count(),
        OutboxMessage.objects.count(),
        RateLimitHit.objects.count(),
        AuditEvent.objects.count(),
    )


def test_the_code_goes_to_the_new_mobile_and_the_change_is_audited(
    portal_user: User, now: datetime, sent_codes: SentCodes
) -> None:
    with translation.override("en"):
        one_time_code = request_mobile_change_code(
            user=portal_user, new_mobile=NEW_MOBILE, client_address=ADDRESS, now=now
        )
    [code] = sent_codes(NEW_MOBILE)
    assert (one_time_code.purpose, one_time_code.user, one_time_code.expires_at) == (
        OneTimeCodePurpose.CONFIRM_MOBILE_CHANGE,
        portal_user,
        now + timedelta(minutes=5),
    )
    message = OutboxMessage.objects.get()
    assert (message.event, message.channel, message.address, message.body) == (
        "one_time_code",
        "sms",
        NEW_MOBILE,
        f"Your GridCare code to make this your mobile number is {code}. It is valid for 5 minutes. "
        "Never tell anyone this code.",
    )

    changed = change_portal_user_mobile(
        user=portal_user, new_mobile=NEW_MOBILE, code=code, now=now + timedelta(minutes=1)
    )

    fresh = User.objects.get(pk=portal_user.pk)
    assert (changed, fresh.mobile, fresh.mobile_hash) == (
        portal_user,
        NEW_MOBILE,
        pii_hash(NEW_MOBILE, kind="mobile"),
    )
    event = AuditEvent.objects.get(action="change_portal_user_mobile")
    assert (event.actor, event.occurred_at, event.changes) == (
        portal_user,
        now + timedelta(minutes=1),
        {"mobile": ["138****5678", "139****1111"]},
    )
    assert OneTimeCode.objects.get().used_at == now + timedelta(minutes=1)


def test_code_requests_share_the_login_codes_rate_limits(portal_user: User, now: datetime) -> None:
    request_mobile_change_code(user=portal_user, new_mobile=NEW_MOBILE, client_address=ADDRESS, now=now)
    before = stored(portal_user)

    with pytest.raises(errors.RateLimited) as raised:
        request_mobile_change_code(
            user=portal_user, new_mobile=NEW_MOBILE, client_address=ADDRESS, now=now + timedelta(seconds=35)
        )

    assert raised.value.message("en") == "Too many attempts. Try again in 25 seconds."
    assert raised.value.message("zh-hans") == "操作过于频繁，请 25 秒后再试"
    assert stored(portal_user) == before


def test_the_sixth_request_in_an_hour_is_refused(portal_user: User, now: datetime) -> None:
    for minute in range(5):
        request_mobile_change_code(
            user=portal_user,
            new_mobile=NEW_MOBILE,
            client_address=ADDRESS,
            now=now + timedelta(minutes=minute),
        )
    before = stored(portal_user)

    with pytest.raises(errors.RateLimited) as raised:
        request_mobile_change_code(
            user=portal_user, new_mobile=NEW_MOBILE, client_address=ADDRESS, now=now + timedelta(minutes=5)
        )

    assert raised.value.message("en") == "Too many attempts. Try again in 55 minutes."
    assert stored(portal_user) == before


def test_a_wrong_code_is_counted_and_the_fifth_exhausts_it(
    portal_user: User, now: datetime, sent_codes: SentCodes
) -> None:
    request_mobile_change_code(user=portal_user, new_mobile=NEW_MOBILE, client_address=ADDRESS, now=now)
    [code] = sent_codes(NEW_MOBILE)
    wrong = "000000" if code != "000000" else "111111"

    for tries_left in (4, 3, 2, 1):
        with pytest.raises(errors.OneTimeCodeWrong) as raised:
            change_portal_user_mobile(user=portal_user, new_mobile=NEW_MOBILE, code=wrong, now=now)
        assert raised.value.params == {"tries_left": tries_left}
    with pytest.raises(errors.OneTimeCodeAttemptsExhausted):
        change_portal_user_mobile(user=portal_user, new_mobile=NEW_MOBILE, code=wrong, now=now)
    with pytest.raises(errors.OneTimeCodeAttemptsExhausted):
        change_portal_user_mobile(user=portal_user, new_mobile=NEW_MOBILE, code=code, now=now)

    assert User.objects.get(pk=portal_user.pk).mobile == MOBILE
    assert OneTimeCode.objects.get().attempts == 5
    assert not AuditEvent.objects.filter(action="change_portal_user_mobile").exists()


def test_a_mobile_taken_between_the_code_and_the_change_is_refused_and_the_code_stays_unused(
    portal_user: User, now: datetime, sent_codes: SentCodes
) -> None:
    request_mobile_change_code(user=portal_user, new_mobile=NEW_MOBILE, client_address=ADDRESS, now=now)
    [code] = sent_codes(NEW_MOBILE)
    create_portal_user(username="lisi", password=PASSWORD, mobile=NEW_MOBILE, actor=None, now=now)
    before = stored(portal_user)

    with pytest.raises(errors.MobileUsedByAnotherPortalUser) as raised:
        change_portal_user_mobile(user=portal_user, new_mobile=NEW_MOBILE, code=code, now=now)

    assert (raised.value.field, raised.value.message("zh-hans"), raised.value.message("en")) == (
        "mobile",
        "手机号 139****1111 已被另一个网上营业厅账号使用，不能改用此号码",
        "Mobile 139****1111 is already used by another portal login: choose another number",
    )
    assert stored(portal_user) == before
    assert OneTimeCode.objects.get().used_at is None


def test_the_current_mobile_is_refused_before_anything_is_counted(portal_user: User, now: datetime) -> None:
    before = stored(portal_user)

    with pytest.raises(errors.MobileUnchanged) as raised:
        request_mobile_change_code(
            user=portal_user, new_mobile="138-1234-5678", client_address=ADDRESS, now=now
        )

    assert (
        raised.value.message("en")
        == "The new mobile 138****5678 is the one you already have: nothing to change"
    )
    assert stored(portal_user) == before


def test_an_invalid_mobile_is_refused(portal_user: User, now: datetime) -> None:
    before = stored(portal_user)

    with pytest.raises(errors.MobileInvalid):
        request_mobile_change_code(user=portal_user, new_mobile="12345", client_address=ADDRESS, now=now)

    assert stored(portal_user) == before
