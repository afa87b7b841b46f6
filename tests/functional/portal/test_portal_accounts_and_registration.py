"""Self-registration, binding an account and what a customer sees, over HTTP: a customer sees
only the accounts bound to them; any other 户号 in a URL is a 404."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from portal_http_values import UNKNOWN_MOBILE, flash_messages, form_errors
from web_world import (
    ACCOUNT_A1,
    ACCOUNT_A2,
    ACCOUNT_B1,
    ID_NUMBER_LI,
    ID_NUMBER_ZHANG,
    World,
    make_portal_user,
)

from gridcare.audit.models import AuditEvent
from gridcare.customers.models import PortalLink
from gridcare.identity.models import OneTimeCode, User, UserKind
from gridcare.identity.pii import pii_hash

SentCodes = Callable[[str], list[str]]
NEW_PASSWORD = "Spring-Water-2025"


def test_a_customer_registers_binds_an_account_and_sees_it(
    english_client: Client, world: World, sent_codes: SentCodes
) -> None:
    form_page = english_client.get("/portal/register/")
    sent = english_client.post("/portal/register/", {"mobile": UNKNOWN_MOBILE, "action": "send_code"})
    [code] = sent_codes(UNKNOWN_MOBILE)
    registered = english_client.post(
        "/portal/register/",
        {
            "mobile": UNKNOWN_MOBILE,
            "code": code,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "action": "register",
        },
    )

    assert form_page.status_code == 200
    assert flash_messages(sent) == [
        "If 139****1111 can receive our messages, a 6-digit code is on its way. It is valid for 5 minutes."
    ]
    assert registered.status_code == 302
    assert registered["Location"] == "/portal/accounts/bind/"
    user = User.objects.get(mobile_hash=pii_hash(UNKNOWN_MOBILE, kind="mobile"))
    assert user.kind == UserKind.PORTAL
    assert english_client.session[SESSION_KEY] == str(user.pk)

    bind_page = english_client.get("/portal/accounts/bind/")
    assert flash_messages(bind_page) == ["Your login is ready. Bind your electricity account to see it here."]
    bound = english_client.post(
        "/portal/accounts/bind/", {"account_no": ACCOUNT_B1, "proof": ID_NUMBER_LI[-6:]}
    )
    assert bound.status_code == 302
    assert bound["Location"] == "/portal/"
    home = english_client.get("/portal/")
    assert flash_messages(home) == ["Your login is now bound to the accounts of 李四."]
    assert [account.account_no for account in home.context["accounts"]] == [ACCOUNT_B1]
    assert list(PortalLink.objects.filter(user=user).values_list("customer__customer_no", flat=True)) == [
        "C0003"
    ]
    assert AuditEvent.objects.filter(action="bind_portal_account", actor=user).count() == 1


def test_a_weak_password_is_refused_before_the_code_is_spent(
    english_client: Client, world: World, sent_codes: SentCodes
) -> None:
    english_client.post("/portal/register/", {"mobile": UNKNOWN_MOBILE, "action": "send_code"})
    [code] = sent_codes(UNKNOWN_MOBILE)

    response = english_client.post(
        "/portal/register/",
        {
            "mobile": UNKNOWN_MOBILE,
            "code": code,
            "password1": "password",
            "password2": "password",
            "action": "register",
        },
    )

    assert response.status_code == 200
    assert form_errors(response) == {
        "password1": [
            "The password must have at least 12 characters.",
            "This password is too common.",
            "The password must use at least 3 of these: upper-case letters, lower-case letters, "
            "digits and symbols.",
        ]
    }
    assert not User.objects.filter(mobile_hash=pii_hash(UNKNOWN_MOBILE, kind="mobile")).exists()
    assert OneTimeCode.objects.get().used_at is None


def test_registration_with_a_wrong_code_or_differing_passwords_is_refused(
    english_client: Client, world: World, sent_codes: SentCodes
) -> None:
    english_client.post("/portal/register/", {"mobile": UNKNOWN_MOBILE, "action": "send_code"})
    [code] = sent_codes(UNKNOWN_MOBILE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    wrong_code = english_client.post(
        "/portal/register/",
        {
            "mobile": UNKNOWN_MOBILE,
            "code": wrong,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "action": "register",
        },
    )
    differing = english_client.post(
        "/portal/register/",
        {
            "mobile": UNKNOWN_MOBILE,
            "code": code,
            "password1": NEW_PASSWORD,
            "password2": "other",
            "action": "register",
        },
    )

    assert form_errors(wrong_code) == {"code": ["The code is wrong. Tries left: 4."]}
    assert form_errors(differing) == {"password2": ["The two passwords differ."]}
    assert not User.objects.filter(mobile_hash=pii_hash(UNKNOWN_MOBILE, kind="mobile")).exists()


def test_binding_with_wrong_proof_is_refused_and_changes_nothing(
    english_client: Client, world: World, log_in
) -> None:
    newcomer = make_portal_user(username="newcomer", customer=None)
    log_in(english_client, newcomer)

    wrong = english_client.post(
        "/portal/accounts/bind/", {"account_no": ACCOUNT_B1, "proof": ID_NUMBER_ZHANG[-6:]}
    )
    unknown = english_client.post(
        "/portal/accounts/bind/", {"account_no": "0000000018", "proof": ID_NUMBER_LI[-6:]}
    )

    refusal = [
        "The account number and the proof do not match. Check the account number and the last 6 characters "
        "of the account holder's resident ID number or unified social credit code"
    ]
    assert form_errors(wrong) == {"__all__": refusal}
    assert form_errors(unknown) == {"__all__": refusal}
    assert not PortalLink.objects.filter(user=newcomer).exists()
    assert AuditEvent.objects.filter(action="refuse_portal_account_binding", actor=newcomer).count() == 2
    assert list(english_client.get("/portal/").context["accounts"]) == []


def test_a_customer_opens_their_own_account_and_never_anothers(client: Client, world: World, log_in) -> None:
    log_in(client, world.portal_user)

    own = client.get(f"/portal/accounts/{ACCOUNT_A1}/")

    assert own.status_code == 200
    assert own.context["account"] == world.account_a1
    assert ACCOUNT_A1 in own.content.decode()
    assert "解放路12号3单元201" in own.content.decode()
    for other in (ACCOUNT_A2, ACCOUNT_B1, "0000000018", "bind-me"):
        assert client.get(f"/portal/accounts/{other}/").status_code == 404


@pytest.mark.parametrize("path", ["/portal/accounts/bind/", f"/portal/accounts/{ACCOUNT_A1}/"])
def test_anonymous_visitors_are_sent_to_the_portal_login(client: Client, db: None, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/portal/login/?next={path}"


@pytest.mark.parametrize("path", ["/portal/accounts/bind/", f"/portal/accounts/{ACCOUNT_A1}/"])
def test_staff_are_sent_to_the_back_office(client: Client, world: World, path: str, log_in) -> None:
    log_in(client, world.superuser)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_home_page_links_each_account_and_the_bind_page(client: Client, world: World, log_in) -> None:
    log_in(client, world.portal_user)

    page = client.get("/portal/").content.decode()

    assert f'href="/portal/accounts/{ACCOUNT_A1}/"' in page
    assert 'href="/portal/accounts/bind/"' in page
    assert f'href="/portal/accounts/{ACCOUNT_B1}/"' not in page


def test_logged_in_customers_skip_registration(client: Client, world: World, log_in) -> None:
    log_in(client, world.portal_user)

    assert client.get("/portal/register/")["Location"] == "/portal/"
