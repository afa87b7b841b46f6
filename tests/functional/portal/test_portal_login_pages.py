"""The portal login page over HTTP: 户号 (or username) + password, and mobile + one-time code
with a "send me a code" button that is a plain form post."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone
from portal_http_values import (
    CLIENT_ADDRESS,
    MOBILE_ZHANG_PORTAL,
    UNKNOWN_MOBILE,
    flash_messages,
    form_errors,
    without_tokens,
)
from web_world import ACCOUNT_A1, ACCOUNT_B1, PASSWORD, World

from gridcare.audit.models import AuditEvent
from gridcare.identity.models import OneTimeCode, RateLimitHit
from gridcare.identity.rate_limits import (
    CODE_REQUESTS_PER_MOBILE_PER_HOUR,
    PORTAL_LOGIN_FAILURES_PER_ADDRESS,
    record_rate_limit_hit,
)
from gridcare.notifications.models import OutboxMessage

SentCodes = Callable[[str], list[str]]
CODE_SENT = "If {masked} can receive our messages, a 6-digit code is on its way. It is valid for 5 minutes."


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


def test_the_login_page_offers_both_ways_and_no_inline_script(english_client: Client, db: None) -> None:
    password_page = english_client.get("/portal/login/?next=/portal/accounts/bind/").content.decode()
    code_page = english_client.get("/portal/login/code/").content.decode()

    assert '<a href="/portal/login/?next=/portal/accounts/bind/" aria-current="page">' in password_page
    assert '<a href="/portal/login/code/?next=/portal/accounts/bind/">Text message login</a>' in password_page
    assert 'name="username"' in password_page
    assert 'name="mobile"' not in password_page
    assert '<a href="/portal/login/code/" aria-current="page">Text message login</a>' in code_page
    assert 'name="mobile"' in code_page
    assert 'name="code"' in code_page
    assert 'name="password"' not in code_page
    assert code_page.index('value="log_in"') < code_page.index('value="send_code"')
    assert 'href="/portal/register/"' in code_page
    for page in (password_page, code_page):
        # A strict Content-Security-Policy allows no inline scripts or handlers.
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
        assert re.findall(r"\son[a-z]+=", page) == []


def test_account_number_and_password_log_in(client: Client, world: World) -> None:
    response = client.post("/portal/login/", {"username": ACCOUNT_A1, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert logged_in_user_id(client) == str(world.portal_user.pk)
    login = AuditEvent.objects.get(action="login")
    assert (login.actor, login.changes) == (world.portal_user, {"ip_address": CLIENT_ADDRESS})


def test_a_wrong_password_for_an_account_number_is_refused_and_audited(
    english_client: Client, world: World
) -> None:
    response = english_client.post("/portal/login/", {"username": ACCOUNT_A1, "password": "wrong"})

    assert response.status_code == 200
    assert [error.code for error in response.context["form"].errors.as_data()["__all__"]] == ["invalid_login"]
    assert logged_in_user_id(english_client) is None
    failure = AuditEvent.objects.get(action="login_failed")
    assert failure.changes == {"username": ACCOUNT_A1, "ip_address": CLIENT_ADDRESS}


def test_an_account_number_without_a_portal_login_is_refused_alike(
    english_client: Client, world: World
) -> None:
    wrong_password = english_client.post("/portal/login/", {"username": ACCOUNT_A1, "password": "wrong"})
    no_login = english_client.post("/portal/login/", {"username": ACCOUNT_B1, "password": PASSWORD})

    assert form_errors(no_login) == form_errors(wrong_password)
    assert logged_in_user_id(english_client) is None


def test_a_mobile_code_logs_in(english_client: Client, world: World, sent_codes: SentCodes) -> None:
    sent = english_client.post("/portal/login/code/", {"mobile": MOBILE_ZHANG_PORTAL, "action": "send_code"})

    assert sent.status_code == 200
    assert flash_messages(sent) == [CODE_SENT.format(masked="138****5678")]
    assert f'value="{MOBILE_ZHANG_PORTAL}"' in sent.content.decode()
    [code] = sent_codes(MOBILE_ZHANG_PORTAL)
    response = english_client.post(
        "/portal/login/code/",
        {"mobile": MOBILE_ZHANG_PORTAL, "code": code, "action": "log_in", "next": "/portal/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert logged_in_user_id(english_client) == str(world.portal_user.pk)
    actions = list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))
    assert actions == ["issue_one_time_code", "use_one_time_code", "login"]


def test_an_unknown_mobile_gets_the_same_page_and_nothing_is_sent(world: World) -> None:
    known, unknown = Client(), Client()

    known_page = known.post("/portal/login/code/", {"mobile": MOBILE_ZHANG_PORTAL, "action": "send_code"})
    unknown_page = unknown.post("/portal/login/code/", {"mobile": UNKNOWN_MOBILE, "action": "send_code"})

    assert OutboxMessage.objects.count() == 1
    assert unknown_page.status_code == known_page.status_code == 200
    assert without_tokens(unknown_page.content).replace(UNKNOWN_MOBILE, "M").replace("139****1111", "m") == (
        without_tokens(known_page.content).replace(MOBILE_ZHANG_PORTAL, "M").replace("138****5678", "m")
    )


def test_wrong_codes_are_refused_and_the_sixth_try_fails_even_with_the_right_code(
    english_client: Client, world: World, sent_codes: SentCodes
) -> None:
    english_client.post("/portal/login/code/", {"mobile": MOBILE_ZHANG_PORTAL, "action": "send_code"})
    [code] = sent_codes(MOBILE_ZHANG_PORTAL)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    errors = []
    for _try in range(5):
        response = english_client.post(
            "/portal/login/code/", {"mobile": MOBILE_ZHANG_PORTAL, "code": wrong, "action": "log_in"}
        )
        errors.append(form_errors(response))
    sixth = english_client.post(
        "/portal/login/code/", {"mobile": MOBILE_ZHANG_PORTAL, "code": code, "action": "log_in"}
    )

    assert [error["__all__"] for error in errors] == [
        ["The code is wrong. Tries left: 4."],
        ["The code is wrong. Tries left: 3."],
        ["The code is wrong. Tries left: 2."],
        ["The code is wrong. Tries left: 1."],
        ["Too many wrong tries: this code no longer works. Request a new code."],
    ]
    assert form_errors(sixth) == {
        "__all__": ["Too many wrong tries: this code no longer works. Request a new code."]
    }
    assert logged_in_user_id(english_client) is None
    assert AuditEvent.objects.filter(action="login_failed").count() == 6
    assert OneTimeCode.objects.get().attempts == 5


def test_a_used_or_expired_code_is_refused(
    english_client: Client, world: World, sent_codes: SentCodes
) -> None:
    english_client.post("/portal/login/code/", {"mobile": MOBILE_ZHANG_PORTAL, "action": "send_code"})
    [code] = sent_codes(MOBILE_ZHANG_PORTAL)
    english_client.post(
        "/portal/login/code/", {"mobile": MOBILE_ZHANG_PORTAL, "code": code, "action": "log_in"}
    )
    english_client.post("/portal/logout/")

    used = english_client.post(
        "/portal/login/code/", {"mobile": MOBILE_ZHANG_PORTAL, "code": code, "action": "log_in"}
    )
    OneTimeCode.objects.update(
        created_at=timezone.now() - timedelta(minutes=10),
        expires_at=timezone.now() - timedelta(minutes=5),
        used_at=None,
    )
    expired = english_client.post(
        "/portal/login/code/", {"mobile": MOBILE_ZHANG_PORTAL, "code": code, "action": "log_in"}
    )

    assert form_errors(used) == {"__all__": ["This code has already been used. Request a new code."]}
    assert form_errors(expired) == {
        "__all__": ["The code has expired or was never requested. Request a new code."]
    }
    assert logged_in_user_id(english_client) is None


def test_logging_in_without_a_code_asks_for_it(english_client: Client, world: World) -> None:
    response = english_client.post(
        "/portal/login/code/", {"mobile": MOBILE_ZHANG_PORTAL, "code": "", "action": "log_in"}
    )

    assert form_errors(response) == {
        "code": ["Enter the 6-digit code from the text message, or press “Send me a code”."]
    }
    assert AuditEvent.objects.count() == 0


def test_code_requests_over_the_limit_are_refused_with_the_wait_and_send_nothing(
    english_client: Client, world: World
) -> None:
    half_an_hour_ago = timezone.now() - timedelta(minutes=30)
    for _request in range(5):
        record_rate_limit_hit(
            scope=CODE_REQUESTS_PER_MOBILE_PER_HOUR.scope, key=MOBILE_ZHANG_PORTAL, now=half_an_hour_ago
        )

    response = english_client.post(
        "/portal/login/code/", {"mobile": MOBILE_ZHANG_PORTAL, "action": "send_code"}
    )

    assert form_errors(response) == {"__all__": ["Too many attempts. Try again in 30 minutes."]}
    assert flash_messages(response) == []
    assert (OutboxMessage.objects.count(), OneTimeCode.objects.count(), AuditEvent.objects.count()) == (
        0,
        0,
        0,
    )


def test_failed_logins_per_address_are_limited_for_both_ways(english_client: Client, world: World) -> None:
    five_minutes_ago = timezone.now() - timedelta(minutes=5)
    for _failure in range(PORTAL_LOGIN_FAILURES_PER_ADDRESS.limit):
        record_rate_limit_hit(
            scope=PORTAL_LOGIN_FAILURES_PER_ADDRESS.scope, key=CLIENT_ADDRESS, now=five_minutes_ago
        )

    by_password = english_client.post("/portal/login/", {"username": ACCOUNT_A1, "password": PASSWORD})
    by_code = english_client.post(
        "/portal/login/code/", {"mobile": MOBILE_ZHANG_PORTAL, "code": "123456", "action": "log_in"}
    )

    assert form_errors(by_password) == {"__all__": ["Too many attempts. Try again in 10 minutes."]}
    assert form_errors(by_code) == {"__all__": ["Too many attempts. Try again in 10 minutes."]}
    assert logged_in_user_id(english_client) is None
    assert AuditEvent.objects.count() == 0


def test_failed_logins_are_counted_per_address(english_client: Client, world: World) -> None:
    english_client.post("/portal/login/", {"username": ACCOUNT_A1, "password": "wrong"})
    english_client.post(
        "/portal/login/code/", {"mobile": MOBILE_ZHANG_PORTAL, "code": "123456", "action": "log_in"}
    )
    english_client.post("/portal/login/", {"username": ACCOUNT_A1, "password": PASSWORD})

    assert RateLimitHit.objects.filter(scope=PORTAL_LOGIN_FAILURES_PER_ADDRESS.scope).count() == 2


def test_staff_get_no_code_and_cannot_log_in_with_one(english_client: Client, world: World) -> None:
    world.station_a_user.mobile = UNKNOWN_MOBILE
    world.station_a_user.save()

    english_client.post("/portal/login/code/", {"mobile": UNKNOWN_MOBILE, "action": "send_code"})

    assert OutboxMessage.objects.count() == 0
    assert OneTimeCode.objects.get().user is None
