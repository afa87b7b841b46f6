"""Code requests are rate-limited per mobile (1 a minute, 5 an hour) and per IP address (20 an
hour), counted in the database; a refusal names the wait and sends nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from portal_login_values import ADDRESS, MOBILE, UNKNOWN_MOBILE

from gridcare.identity import errors
from gridcare.identity.models import OneTimeCode, RateLimitHit, User
from gridcare.identity.portal_auth import request_portal_login_code, request_portal_registration_code
from gridcare.identity.rate_limits import RateLimit, check_rate_limits, rate_limited, record_rate_limit_hit
from gridcare.notifications.models import OutboxMessage


def stored() -> tuple[int, int, int]:
    return OneTimeCode.objects.count(), OutboxMessage.objects.count(), RateLimitHit.objects.count()


def test_a_second_code_within_a_minute_is_refused_with_the_wait(portal_user: User, now: datetime) -> None:
    request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now)
    before = stored()

    with pytest.raises(errors.RateLimited) as raised:
        request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now + timedelta(seconds=35))

    assert raised.value.params["wait_seconds"] == 25
    assert raised.value.message("zh-hans") == "操作过于频繁，请 25 秒后再试"
    assert raised.value.message("en") == "Too many attempts. Try again in 25 seconds."
    assert stored() == before
    request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now + timedelta(seconds=60))
    assert OutboxMessage.objects.count() == 2


def test_the_sixth_code_in_an_hour_is_refused_until_the_first_leaves_the_hour(
    portal_user: User, now: datetime
) -> None:
    for minute in range(5):
        request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now + timedelta(minutes=minute))
    before = stored()

    with pytest.raises(errors.RateLimited) as raised:
        request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now + timedelta(minutes=5))

    assert raised.value.params["wait_seconds"] == 55 * 60
    assert raised.value.message("en") == "Too many attempts. Try again in 55 minutes."
    assert raised.value.message("zh-hans") == "操作过于频繁，请 55 分钟后再试"
    assert stored() == before
    request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now + timedelta(minutes=60))
    assert OutboxMessage.objects.count() == 6


def test_an_unknown_mobile_is_limited_exactly_like_a_registered_one(portal_user: User, now: datetime) -> None:
    request_portal_login_code(mobile=UNKNOWN_MOBILE, client_address=ADDRESS, now=now)

    with pytest.raises(errors.RateLimited) as raised:
        request_portal_login_code(
            mobile=UNKNOWN_MOBILE, client_address=ADDRESS, now=now + timedelta(seconds=35)
        )

    assert raised.value.params["wait_seconds"] == 25
    assert OutboxMessage.objects.count() == 0


def test_login_and_registration_codes_share_the_mobile_limit(portal_user: User, now: datetime) -> None:
    request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now)

    with pytest.raises(errors.RateLimited):
        request_portal_registration_code(
            mobile=MOBILE, client_address=ADDRESS, now=now + timedelta(seconds=10)
        )

    assert OutboxMessage.objects.count() == 1


def test_one_address_may_ask_for_20_codes_an_hour(portal_user: User, now: datetime) -> None:
    for number in range(20):
        request_portal_login_code(
            mobile=f"1370000{number:04d}", client_address=ADDRESS, now=now + timedelta(minutes=number)
        )
    before = stored()

    with pytest.raises(errors.RateLimited) as raised:
        request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now + timedelta(minutes=30))

    assert raised.value.message("en") == "Too many attempts. Try again in 30 minutes."
    assert stored() == before
    assert OutboxMessage.objects.count() == 0
    request_portal_login_code(mobile=MOBILE, client_address="198.51.100.1", now=now + timedelta(minutes=30))
    assert OutboxMessage.objects.count() == 1


def test_hits_are_stored_as_digests(portal_user: User, now: datetime) -> None:
    request_portal_login_code(mobile=MOBILE, client_address=ADDRESS, now=now)

    digests = list(RateLimitHit.objects.order_by("scope").values_list("scope", "key_digest"))
    assert [scope for scope, _digest in digests] == ["code_request_address", "code_request_mobile"]
    assert all(
        len(digest) == 64 and MOBILE not in digest and ADDRESS not in digest for _scope, digest in digests
    )


def test_a_limit_counts_only_its_window_and_its_key(db: None, now: datetime) -> None:
    limit = RateLimit(scope="test", limit=2, window=timedelta(minutes=10))
    record_rate_limit_hit(scope="test", key="a", now=now - timedelta(minutes=10))
    record_rate_limit_hit(scope="test", key="a", now=now - timedelta(minutes=4))
    record_rate_limit_hit(scope="test", key="b", now=now - timedelta(minutes=3))

    check_rate_limits(checks=[(limit, "a"), (limit, "b")], now=now)
    record_rate_limit_hit(scope="test", key="a", now=now - timedelta(minutes=1))
    with pytest.raises(errors.RateLimited) as raised:
        check_rate_limits(checks=[(limit, "a"), (limit, "b")], now=now)
    assert raised.value.params["wait_seconds"] == 6 * 60


@pytest.mark.parametrize(
    ("seconds", "english", "chinese"),
    [
        (0.2, "1 second", "1 秒"),
        (59, "59 seconds", "59 秒"),
        (59.5, "1 minute", "1 分钟"),
        (60, "1 minute", "1 分钟"),
        (61, "2 minutes", "2 分钟"),
        (3600, "60 minutes", "60 分钟"),
    ],
)
def test_waits_are_rounded_up(seconds: float, english: str, chinese: str) -> None:
    refusal = rate_limited(wait=timedelta(seconds=seconds))

    assert refusal.message("en") == f"Too many attempts. Try again in {english}."
    assert refusal.message("zh-hans") == f"操作过于频繁，请 {chinese}后再试"
