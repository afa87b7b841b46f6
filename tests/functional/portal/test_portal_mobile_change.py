"""A portal customer changes the login's mobile over HTTP: a code goes (as an SMS in the
notification outbox) to the new mobile, and once it is entered the login's mobile is the new
one — text message login then works with it, and no longer with the old one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db.models import F
from django.test import Client
from portal_http_values import MOBILE_ZHANG_PORTAL, UNKNOWN_MOBILE, flash_messages, form_errors
from web_world import World, make_portal_user

from gridcare.audit.models import AuditEvent
from gridcare.identity.models import OneTimeCode, OneTimeCodePurpose, RateLimitHit, User
from gridcare.identity.pii import pii_hash
from gridcare.identity.portal_auth import find_portal_user_by_mobile
from gridcare.notifications.models import OutboxMessage

SentCodes = Callable[[str], list[str]]
PAGE = "/portal/profile/mobile/"
NEW_MOBILE = UNKNOWN_MOBILE  # 13900001111, nobody's yet
OLD_MOBILE_HASH = pii_hash(MOBILE_ZHANG_PORTAL, kind="mobile")


def log_in(client: Client, user: User) -> Client:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def mobile_state(user: User) -> tuple[str, str]:
    fresh = User.objects.get(pk=user.pk)
    return fresh.mobile, fresh.mobile_hash


def test_the_page_shows_the_current_mobile_masked_and_a_form_with_csrf(
    english_client: Client, world: World
) -> None:
    page = log_in(english_client, world.portal_user).get(PAGE).content.decode()

    assert "Your login's mobile number is 138****5678." in page
    assert MOBILE_ZHANG_PORTAL not in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'name="mobile"' in page
    assert 'name="code"' in page
    assert page.index('value="change"') < page.index('value="send_code"')
    home = english_client.get("/portal/").content.decode()
    assert f'href="{PAGE}"' in home


def test_the_whole_change_then_a_code_login_with_the_new_mobile(
    english_client: Client, world: World, sent_codes: SentCodes
) -> None:
    log_in(english_client, world.portal_user)

    asked = english_client.post(PAGE, {"mobile": "139 0000 1111", "action": "send_code"})

    assert asked.status_code == 200
    assert flash_messages(asked) == [
        "A 6-digit code is on its way to 139****1111. It is valid for 5 minutes."
    ]
    message = OutboxMessage.objects.get()
    assert (message.event, message.channel, message.address, message.state) == (
        "one_time_code",
        "sms",
        NEW_MOBILE,
        "queued",
    )
    [code] = sent_codes(NEW_MOBILE)
    assert message.body == (
        f"Your GridCare code to make this your mobile number is {code}. It is valid for 5 minutes. "
        "Never tell anyone this code."
    )
    assert sent_codes(MOBILE_ZHANG_PORTAL) == []
    assert mobile_state(world.portal_user) == (
        MOBILE_ZHANG_PORTAL,
        pii_hash(MOBILE_ZHANG_PORTAL, kind="mobile"),
    )

    confirmed = english_client.post(PAGE, {"mobile": NEW_MOBILE, "code": code, "action": "change"})

    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/portal/"
    assert flash_messages(english_client.get("/portal/")) == [
        "Your mobile number is now 139****1111. Log in by text message with it from now on."
    ]
    assert mobile_state(world.portal_user) == (NEW_MOBILE, pii_hash(NEW_MOBILE, kind="mobile"))
    assert find_portal_user_by_mobile(mobile=NEW_MOBILE) == world.portal_user
    assert find_portal_user_by_mobile(mobile=MOBILE_ZHANG_PORTAL) is None
    change = AuditEvent.objects.get(action="change_portal_user_mobile")
    assert (change.actor, change.object_id, change.changes) == (
        world.portal_user,
        str(world.portal_user.pk),
        {"mobile": ["138****5678", "139****1111"]},
    )
    assert list(
        AuditEvent.objects.filter(action__endswith="one_time_code")
        .order_by("sequence")
        .values_list("action", "changes")
    ) == [
        (
            "issue_one_time_code",
            {"purpose": "confirm_mobile_change", "mobile": "139****1111", "delivery": "code"},
        ),
        ("use_one_time_code", {"purpose": "confirm_mobile_change", "mobile": "139****1111"}),
    ]

    # Two minutes on (past the one-code-a-minute limit of the mobile), a code login with the
    # new mobile works; the old mobile gets no code.
    RateLimitHit.objects.update(occurred_at=F("occurred_at") - timedelta(minutes=2))
    fresh = Client()
    fresh.post("/portal/login/code/", {"mobile": NEW_MOBILE, "action": "send_code"})
    fresh.post("/portal/login/code/", {"mobile": MOBILE_ZHANG_PORTAL, "action": "send_code"})
    [_, login_code] = sent_codes(NEW_MOBILE)
    assert sent_codes(MOBILE_ZHANG_PORTAL) == []
    logged_in = fresh.post(
        "/portal/login/code/", {"mobile": NEW_MOBILE, "code": login_code, "action": "log_in"}
    )
    assert logged_in.status_code == 302
    assert logged_in["Location"] == "/portal/"
    assert fresh.session["_auth_user_id"] == str(world.portal_user.pk)


def test_a_wrong_code_is_refused_counted_and_nothing_changes(
    english_client: Client, world: World, sent_codes: SentCodes
) -> None:
    log_in(english_client, world.portal_user)
    english_client.post(PAGE, {"mobile": NEW_MOBILE, "action": "send_code"})
    [code] = sent_codes(NEW_MOBILE)
    wrong = "000000" if code != "000000" else "111111"

    refused = english_client.post(PAGE, {"mobile": NEW_MOBILE, "code": wrong, "action": "change"})

    assert refused.status_code == 200
    assert form_errors(refused) == {"code": ["The code is wrong. Tries left: 4."]}
    assert mobile_state(world.portal_user) == (
        MOBILE_ZHANG_PORTAL,
        pii_hash(MOBILE_ZHANG_PORTAL, kind="mobile"),
    )
    one_time_code = OneTimeCode.objects.get()
    assert (one_time_code.attempts, one_time_code.used_at) == (1, None)
    assert not AuditEvent.objects.filter(action="change_portal_user_mobile").exists()


def test_a_code_for_another_mobile_or_none_at_all_is_refused(
    english_client: Client, world: World, sent_codes: SentCodes
) -> None:
    log_in(english_client, world.portal_user)
    english_client.post(PAGE, {"mobile": NEW_MOBILE, "action": "send_code"})
    [code] = sent_codes(NEW_MOBILE)

    other_mobile = english_client.post(PAGE, {"mobile": "13700002222", "code": code, "action": "change"})
    no_code = english_client.post(PAGE, {"mobile": NEW_MOBILE, "action": "change"})

    assert form_errors(other_mobile) == {
        "code": ["The code has expired or was never requested. Request a new code."]
    }
    assert form_errors(no_code) == {
        "code": ["Enter the 6-digit code sent to the new mobile, or press “Send me a code”."]
    }
    assert mobile_state(world.portal_user)[0] == MOBILE_ZHANG_PORTAL
    assert OneTimeCode.objects.get().used_at is None


def test_another_users_code_for_the_same_mobile_does_not_change_this_login(
    english_client: Client, world: World, sent_codes: SentCodes
) -> None:
    other = make_portal_user(username="wang_portal", customer=None)
    other.mobile = "13600003333"
    other.save()
    log_in(Client(), other).post(PAGE, {"mobile": NEW_MOBILE, "action": "send_code"})
    [others_code] = sent_codes(NEW_MOBILE)
    log_in(english_client, world.portal_user)

    refused = english_client.post(PAGE, {"mobile": NEW_MOBILE, "code": others_code, "action": "change"})

    assert form_errors(refused) == {
        "code": ["The code has expired or was never requested. Request a new code."]
    }
    assert (mobile_state(world.portal_user)[0], mobile_state(other)[0]) == (
        MOBILE_ZHANG_PORTAL,
        "13600003333",
    )
    assert OneTimeCode.objects.get().used_at is None


def test_a_mobile_of_another_portal_user_is_refused_and_gets_no_code(
    english_client: Client, world: World
) -> None:
    other = make_portal_user(username="wang_portal", customer=None)
    other.mobile = NEW_MOBILE
    other.save()
    log_in(english_client, world.portal_user)

    refused = english_client.post(PAGE, {"mobile": NEW_MOBILE, "action": "send_code"})

    assert form_errors(refused) == {
        "mobile": ["Mobile 139****1111 is already used by another portal login: choose another number"]
    }
    assert (OneTimeCode.objects.count(), OutboxMessage.objects.count()) == (0, 0)
    # The probe is counted like any code request.
    assert RateLimitHit.objects.filter(scope="code_request_mobile").count() == 1
    assert mobile_state(world.portal_user)[0] == MOBILE_ZHANG_PORTAL


def test_the_current_mobile_is_refused_in_chinese_too(client: Client, world: World) -> None:
    log_in(client, world.portal_user)

    refused = client.post(PAGE, {"mobile": MOBILE_ZHANG_PORTAL, "action": "send_code"})

    assert form_errors(refused) == {"mobile": ["新手机号 138****5678 与当前手机号相同，无需修改"]}
    assert (OneTimeCode.objects.count(), OutboxMessage.objects.count(), RateLimitHit.objects.count()) == (
        0,
        0,
        0,
    )


def test_code_requests_are_rate_limited_like_login_codes(
    english_client: Client, world: World, sent_codes: SentCodes
) -> None:
    log_in(english_client, world.portal_user)
    english_client.post(PAGE, {"mobile": NEW_MOBILE, "action": "send_code"})

    again = english_client.post(PAGE, {"mobile": NEW_MOBILE, "action": "send_code"})

    # One request a minute per mobile: the wait is a minute (59 s if the test ran slowly).
    assert form_errors(again) in (
        {"__all__": ["Too many attempts. Try again in 1 minute."]},
        {"__all__": ["Too many attempts. Try again in 59 seconds."]},
    )
    assert len(sent_codes(NEW_MOBILE)) == 1
    assert OneTimeCode.objects.filter(purpose=OneTimeCodePurpose.CONFIRM_MOBILE_CHANGE).count() == 1


def test_the_page_is_for_portal_customers_only(client: Client, world: World) -> None:
    anonymous = client.get(PAGE)
    anonymous_post = client.post(PAGE, {"mobile": NEW_MOBILE, "action": "send_code"})

    assert (anonymous.status_code, anonymous["Location"]) == (302, f"/portal/login/?next={PAGE}")
    assert anonymous_post.status_code == 302
    assert (OneTimeCode.objects.count(), OutboxMessage.objects.count()) == (0, 0)
