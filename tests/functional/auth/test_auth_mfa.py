"""TOTP MFA through the pages: a role that needs it reaches no page before enrolling and
verifying; recovery codes work once; a role that does not need it may enrol; an administrator
resets an authenticator with an audited action."""

from __future__ import annotations

import re

import pytest
from auth_helpers import actions, current_code, post_login
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridcare.identity.models import Role, User

#: Every part of the site a walled user must not reach: back office, security pages other than
#: the step's own, the exchange, the Django admin and the JSON API.
WALLED_PAGES = [
    "/",
    "/accounts/",
    "/accounts/3700000001/",
    "/audit/",
    "/audit/export.csv",
    "/security/",
    "/security/lockouts/",
    "/security/password/",
    "/exchange/",
    "/admin/",
    "/admin/identity/user/",
    "/portal/",
]
API_PATH = "/api/v1/accounts/"


@pytest.fixture
def cashier(make_user) -> User:  # type: ignore[no-untyped-def]
    """A role that handles money: needs MFA."""
    return make_user("cashier", roles=[Role.CASHIER])


def assert_walled(client: Client, step_url: str) -> None:
    for path in WALLED_PAGES:
        response = client.get(path)
        assert (path, response.status_code, response["Location"]) == (path, 302, f"{step_url}?next={path}")
    client.cookies["django_language"] = "en"
    refused = client.get(API_PATH)
    del client.cookies["django_language"]
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "Finish logging in first: two-factor authentication or a password change."
    }
    # A POST anywhere is refused the same way and changes nothing.
    assert client.post("/security/lockouts/unlock/", {"username": "x"})["Location"] == step_url


def enrol(client: Client, user: User) -> list[str]:
    """Open the enrolment page, confirm with the device's current code; the recovery codes."""
    client.get("/security/mfa/enrol/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/security/mfa/enrol/", {"code": current_code(device), "next": "/accounts/"})
    assert response.status_code == 200
    return list(response.context["codes"])


def test_a_role_that_needs_mfa_reaches_no_page_before_enrolling(client: Client, cashier: User) -> None:
    login = post_login(client, "cashier")
    assert (login.status_code, login["Location"]) == (302, "/")

    assert_walled(client, "/security/mfa/enrol/")

    page = client.get("/security/mfa/enrol/?next=/accounts/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=cashier, confirmed=False)
    body = page.content.decode()
    assert re.search(r'<div class="mfa-qr" data-qr><svg width="\d+" height="\d+" class="segno">', body)
    assert f'<code class="mfa-secret" data-secret>{page.context["secret"]}</code>' in body
    assert len(page.context["secret"]) == 32
    assert actions("start_mfa_enrolment") == [("start_mfa_enrolment", {})]

    wrong = client.post("/security/mfa/enrol/", {"code": "000000"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["code"]
    device.refresh_from_db()
    assert device.confirmed is False
    assert actions("verify_mfa_failed") == [("verify_mfa_failed", {"stage": "enrolment"})]
    assert_walled(client, "/security/mfa/enrol/")

    device.throttle_reset()
    confirmed = client.post("/security/mfa/enrol/", {"code": current_code(device), "next": "/accounts/"})

    assert confirmed.status_code == 200
    codes = confirmed.context["codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert "data-recovery-codes" in confirmed.content.decode()
    assert actions("enrol_mfa") == [("enrol_mfa", {"replaced_devices": 0, "recovery_codes": 10})]
    for path in ("/", "/accounts/", "/security/"):
        assert client.get(path).status_code == 200


def test_an_enrolled_user_verifies_in_every_new_session_before_any_page(
    client: Client, cashier: User
) -> None:
    post_login(client, "cashier")
    enrol(client, cashier)
    device = TOTPDevice.objects.get(user=cashier, confirmed=True)
    device.last_t = -1  # a new session may use the code the enrolment used
    device.save()

    second = Client()
    post_login(second, "cashier")
    assert_walled(second, "/security/mfa/verify/")
    verified = second.post("/security/mfa/verify/", {"code": current_code(device), "next": "/audit/"})

    assert (verified.status_code, verified["Location"]) == (302, "/audit/")
    assert second.get("/accounts/").status_code == 200
    assert actions("verify_mfa") == [("verify_mfa", {"method": "totp"})]


def test_the_admin_and_the_exchange_need_mfa_too(client: Client, make_user) -> None:  # type: ignore[no-untyped-def]
    root = make_user("root", is_superuser=True)
    post_login(client, "root")

    assert client.get("/admin/")["Location"] == "/security/mfa/enrol/?next=/admin/"
    assert client.get("/exchange/")["Location"] == "/security/mfa/enrol/?next=/exchange/"
    enrol(client, root)
    assert client.get("/admin/").status_code == 200
    assert client.get("/exchange/").status_code == 200


def test_a_recovery_code_works_once(client: Client, cashier: User) -> None:
    post_login(client, "cashier")
    codes = enrol(client, cashier)

    first = Client()
    post_login(first, "cashier")
    used = first.post("/security/mfa/verify/", {"code": codes[3]})

    assert (used.status_code, used["Location"]) == (302, "/")
    assert first.get("/accounts/").status_code == 200
    assert actions("use_mfa_recovery_code") == [("use_mfa_recovery_code", {"recovery_codes_left": 9})]

    again = Client()
    post_login(again, "cashier")
    refused = again.post("/security/mfa/verify/", {"code": codes[3]})

    assert refused.status_code == 200
    assert refused.context["form"].errors["code"]
    assert again.get("/accounts/")["Location"] == "/security/mfa/verify/?next=/accounts/"
    assert actions("verify_mfa_failed") == [
        ("verify_mfa_failed", {"stage": "login", "method": "recovery_code"})
    ]
    assert sorted(StaticToken.objects.filter(device__user=cashier).values_list("token", flat=True)) == sorted(
        code for index, code in enumerate(codes) if index != 3
    )


def test_regenerating_recovery_codes_replaces_them_and_is_audited(client: Client, cashier: User) -> None:
    post_login(client, "cashier")
    old_codes = enrol(client, cashier)

    response = client.post("/security/mfa/recovery-codes/")

    new_codes = response.context["codes"]
    assert len(new_codes) == 10
    assert set(new_codes).isdisjoint(old_codes)
    assert actions("regenerate_mfa_recovery_codes") == [
        ("regenerate_mfa_recovery_codes", {"recovery_codes": 10})
    ]
    other = Client()
    post_login(other, "cashier")
    refused = other.post("/security/mfa/verify/", {"code": old_codes[0]})
    assert refused.status_code == 200
    assert refused.context["form"].errors["code"]
    StaticDevice.objects.get(user=cashier).throttle_reset()
    accepted = other.post("/security/mfa/verify/", {"code": new_codes[0]})
    assert (accepted.status_code, accepted["Location"]) == (302, "/")


def test_a_role_without_mfa_reaches_pages_and_may_enrol(client: Client, make_user) -> None:  # type: ignore[no-untyped-def]
    reader = make_user("reader", roles=[Role.METER_READER])
    post_login(client, "reader")
    assert client.get("/accounts/").status_code == 200
    overview = client.get("/security/")
    assert 'data-mfa-status="not-enrolled"' in overview.content.decode()

    enrol(client, reader)

    # Having enrolled, the reader passes the second step at every later login.
    later = Client()
    post_login(later, "reader")
    assert later.get("/accounts/")["Location"] == "/security/mfa/verify/?next=/accounts/"


def test_an_administrator_resets_an_authenticator_with_an_audited_action(
    client: Client, cashier: User, make_user, log_in
) -> None:  # type: ignore[no-untyped-def]
    post_login(client, "cashier")
    enrol(client, cashier)
    sysadmin = make_user("sysadmin", roles=[Role.SYSTEM_ADMINISTRATOR], is_superuser=True)
    administrator = log_in(Client(), sysadmin)

    response = administrator.post(
        "/admin/identity/user/", {"action": "reset_mfa", "_selected_action": [str(cashier.pk)]}
    )

    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=cashier).count() == 0
    assert actions("reset_mfa") == [("reset_mfa", {"username": "cashier", "removed_devices": 2})]
    # The cashier's next login asks for a new enrolment.
    again = Client()
    post_login(again, "cashier")
    assert again.get("/")["Location"] == "/security/mfa/enrol/?next=/"
