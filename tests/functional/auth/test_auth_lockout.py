"""Lockout after repeated failed logins (django-axes), per username and per IP address, on the
staff login and the Django admin login; audited; lifted by the cool-off or an audited unlock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auth_helpers import PASSWORD, WRONG_PASSWORD, actions, post_login
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from gridcare.audit.models import AuditEvent
from gridcare.identity.models import Role, User

FAILURE_LIMIT = 5


@pytest.fixture
def reader(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user("reader", roles=[Role.METER_READER])


@pytest.fixture
def administrator(make_user, log_in) -> Client:  # type: ignore[no-untyped-def]
    """A client logged in (with MFA) as a system administrator, who may unlock users."""
    return log_in(Client(), make_user("sysadmin", roles=[Role.SYSTEM_ADMINISTRATOR]))


def fail_logins(client: Client, username: str, times: int, **extra: str) -> list[int]:
    return [post_login(client, username, WRONG_PASSWORD, **extra).status_code for _attempt in range(times)]


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_account_and_audit_each_failure_and_the_lockout(
    client: Client, reader: User
) -> None:
    # The first four failures show the form again; the fifth locks the username out.
    assert fail_logins(client, "reader", FAILURE_LIMIT) == [200, 200, 200, 200, 429]

    expected_attempt = {"username": "reader", "ip_address": "127.0.0.1"}
    # django-axes hears the fifth failure first (the admin loads it before identity connects).
    assert actions("login_failed", "lock_out_user") == [
        *[("login_failed", expected_attempt)] * (FAILURE_LIMIT - 1),
        ("lock_out_user", {**expected_attempt, "failures": 5, "locked_by": ["username", "ip_address"]}),
        ("login_failed", expected_attempt),
    ]
    locked = client.get("/login/")
    assert locked.status_code == 200  # the form still shows; logging in is what is refused

    # The right password is refused too while the lockout lasts.
    refused = post_login(client, "reader", PASSWORD)

    assert refused.status_code == 429
    assert "Too many failed logins (5) for this username or from this address." in refused.content.decode()
    assert not is_logged_in(client)
    assert actions("login") == []


def test_the_lockout_ends_after_the_cool_off(client: Client, reader: User, settings: Settings) -> None:
    fail_logins(client, "reader", FAILURE_LIMIT)
    assert post_login(client, "reader", PASSWORD).status_code == 429

    # 30 minutes after the last failure the attempts no longer count.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=30, seconds=1))
    response = post_login(client, "reader", PASSWORD)

    assert (response.status_code, response["Location"]) == (302, "/")
    assert is_logged_in(client)


def test_an_administrator_unlocks_with_an_audited_action_and_login_works_again(
    client: Client, reader: User, administrator: Client
) -> None:
    fail_logins(client, "reader", FAILURE_LIMIT)
    page = administrator.get("/security/lockouts/")
    assert page.status_code == 200
    [by_username] = page.context["by_username"]
    assert (by_username.subject, by_username.failures, by_username.is_locked_out) == ("reader", 5, True)
    [by_address] = page.context["by_ip_address"]
    assert (by_address.subject, by_address.failures, by_address.is_locked_out) == ("127.0.0.1", 5, True)

    response = administrator.post("/security/lockouts/unlock/", {"username": "reader"})

    assert (response.status_code, response["Location"]) == (302, "/security/lockouts/")
    sysadmin = User.objects.get(username="sysadmin")
    [(action, changes)] = actions("unlock_user")
    assert (action, changes) == ("unlock_user", {"username": "reader", "cleared_failures": 5})
    event = AuditEvent.objects.get(action="unlock_user")
    assert (event.actor_id, event.object_id) == (sysadmin.pk, str(reader.pk))
    assert AccessAttempt.objects.count() == 0
    login = post_login(client, "reader", PASSWORD)
    assert (login.status_code, login["Location"]) == (302, "/")


def test_unlocking_what_is_not_locked_changes_nothing(administrator: Client, reader: User) -> None:
    response = administrator.post("/security/lockouts/unlock/", {"username": "reader"}, follow=True)

    assert [str(message) for message in response.context["messages"]] == ["reader 没有失败登录记录，无需解锁"]
    assert actions("unlock_user") == []


def test_failures_from_one_address_lock_it_out_for_every_username(
    client: Client, reader: User, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("cashier_user", roles=[Role.CASHIER])
    for attempt in range(FAILURE_LIMIT):
        post_login(client, f"guess{attempt}", WRONG_PASSWORD, REMOTE_ADDR="10.9.8.7")

    # Another username from that address is refused with the right password...
    assert post_login(Client(), "reader", PASSWORD, REMOTE_ADDR="10.9.8.7").status_code == 429
    # ...while the same username from elsewhere logs in.
    assert post_login(Client(), "reader", PASSWORD, REMOTE_ADDR="10.9.8.8").status_code == 302
    [(_action, changes)] = actions("lock_out_user")
    assert changes == {
        "username": "guess4",
        "ip_address": "10.9.8.7",
        "failures": 5,
        "locked_by": ["ip_address"],
    }


def test_an_address_unlock_is_audited(client: Client, reader: User, administrator: Client) -> None:
    for attempt in range(FAILURE_LIMIT):
        post_login(client, f"guess{attempt}", WRONG_PASSWORD, REMOTE_ADDR="10.9.8.7")

    administrator.post("/security/lockouts/unlock/", {"ip_address": "10.9.8.7"})

    assert actions("unlock_ip_address") == [
        ("unlock_ip_address", {"ip_address": "10.9.8.7", "cleared_failures": 5})
    ]
    assert post_login(Client(), "reader", PASSWORD, REMOTE_ADDR="10.9.8.7").status_code == 302


def test_the_django_admin_login_locks_out_too(client: Client, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("root", is_superuser=True)
    statuses = [
        client.post("/admin/login/", {"username": "root", "password": WRONG_PASSWORD}).status_code
        for _attempt in range(FAILURE_LIMIT)
    ]
    assert statuses == [200, 200, 200, 200, 429]

    refused = client.post("/admin/login/", {"username": "root", "password": PASSWORD})

    assert refused.status_code == 429
    assert not is_logged_in(client)
    assert [changes["username"] for _action, changes in actions("lock_out_user")] == ["root"]


def test_the_limit_and_cool_off_come_from_settings(client: Client, reader: User, settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    assert fail_logins(client, "reader", 2) == [200, 429]


def test_a_username_reaching_the_limit_from_an_address_already_locked_is_audited_too(
    client: Client, reader: User
) -> None:
    for attempt in range(FAILURE_LIMIT):
        post_login(client, f"guess{attempt}", WRONG_PASSWORD, REMOTE_ADDR="10.9.8.7")
    # The same address then fails five times for reader: the address count passes the limit
    # (no new event for it), the username count reaches it.
    fail_logins(client, "reader", FAILURE_LIMIT, REMOTE_ADDR="10.9.8.7")

    assert [changes["locked_by"] for _action, changes in actions("lock_out_user")] == [
        ["ip_address"],
        ["username"],
    ]


def test_only_holders_of_the_unlock_permission_see_lockouts(client: Client, make_user, log_in) -> None:  # type: ignore[no-untyped-def]
    manager = log_in(Client(), make_user("manager", roles=[Role.ACCOUNT_MANAGER]))
    fail_logins(client, "reader", 3)

    assert manager.get("/security/lockouts/").status_code == 403
    assert manager.post("/security/lockouts/unlock/", {"username": "reader"}).status_code == 403
    assert AccessAttempt.objects.filter(username="reader").get().failures_since_start == 3
    assert actions("unlock_user") == []


def test_axes_own_admin_is_hidden(administrator: Client, make_user, log_in) -> None:  # type: ignore[no-untyped-def]
    root = log_in(Client(), make_user("root", is_superuser=True))

    assert root.get("/admin/axes/accessattempt/").status_code == 404
    assert root.get("/admin/otp_totp/totpdevice/").status_code == 404


def test_a_station_administrator_sees_and_unlocks_only_their_own_users(
    client: Client,
    make_user,
    province,
    log_in,  # type: ignore[no-untyped-def]
) -> None:
    from gridcare.organization.models import AreaType, OrgLevel
    from gridcare.organization.operations import create_org_unit

    def unit(code: str, parent):  # type: ignore[no-untyped-def]
        level = {2: OrgLevel.CITY, 4: OrgLevel.COUNTY, 6: OrgLevel.STATION}[len(code) - 2]
        return create_org_unit(
            code=code,
            name=code,
            level=level,
            parent=parent,
            area_type=AreaType.URBAN,
            actor=None,
            now=timezone.now(),
        )

    city = unit("3701", province)
    county = unit("370101", city)
    station, other_station = unit("37010101", county), unit("37010102", county)
    own = make_user("own_reader", roles=[Role.METER_READER])
    other = make_user("other_reader", roles=[Role.METER_READER])
    User.objects.filter(pk=own.pk).update(org_unit=station)
    User.objects.filter(pk=other.pk).update(org_unit=other_station)
    station_admin = make_user("station_admin", roles=[Role.SYSTEM_ADMINISTRATOR])
    User.objects.filter(pk=station_admin.pk).update(org_unit=station)
    for username in ("own_reader", "other_reader", "nobody"):
        fail_logins(Client(), username, FAILURE_LIMIT, REMOTE_ADDR=f"10.0.0.{len(username)}")
    attempts_before = AccessAttempt.objects.count()
    admin_client = log_in(Client(), User.objects.get(pk=station_admin.pk))

    page = admin_client.get("/security/lockouts/")

    assert [row.subject for row in page.context["by_username"]] == ["own_reader"]
    assert page.context["by_ip_address"] == []
    refused = [
        admin_client.post("/security/lockouts/unlock/", {"username": "other_reader"}).status_code,
        admin_client.post("/security/lockouts/unlock/", {"username": "nobody"}).status_code,
        admin_client.post("/security/lockouts/unlock/", {"ip_address": "10.0.0.10"}).status_code,
    ]
    assert refused == [403, 403, 403]
    assert AccessAttempt.objects.count() == attempts_before
    assert [
        event.changes["reason"]
        for event in AuditEvent.objects.filter(action="deny_permission").order_by("sequence")
    ] == [
        "outside_org_scope",
        "whole_org_tree_required",
        "whole_org_tree_required",
    ]
    assert admin_client.post("/security/lockouts/unlock/", {"username": "own_reader"}).status_code == 302
    assert not AccessAttempt.objects.filter(username="own_reader").exists()
    assert actions("unlock_user") == [("unlock_user", {"username": "own_reader", "cleared_failures": 5})]
