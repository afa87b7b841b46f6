"""Who gets into the back office and the portal: logins, redirects and refusals."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from web_world import PASSWORD, World, build_world


@pytest.fixture
def world_with_passwords(db: None) -> World:
    return build_world(with_passwords=True)


def login_error_codes(response: object) -> list[str]:
    form = response.context["form"]  # type: ignore[attr-defined]
    return [error.code for error in form.errors.as_data()["__all__"]]


def test_staff_login_page_renders_the_form(client: Client, db: None) -> None:
    response = client.get("/login/")

    assert response.status_code == 200
    assert response.templates[0].name == "web/backoffice/login.html"
    assert 'name="username"' in response.content.decode()
    assert 'name="password"' in response.content.decode()


def test_staff_logs_in_and_lands_on_home(client: Client, world_with_passwords: World) -> None:
    response = client.post("/login/", {"username": "reader_a", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(world_with_passwords.station_a_user.pk)
    assert client.get("/").status_code == 200


def test_staff_login_follows_next(client: Client, world_with_passwords: World) -> None:
    response = client.post(
        "/login/?next=/accounts/", {"username": "reader_a", "password": PASSWORD, "next": "/accounts/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/"


def test_wrong_password_is_refused_with_a_form_error(client: Client, world_with_passwords: World) -> None:
    response = client.post("/login/", {"username": "reader_a", "password": "wrong"})

    assert response.status_code == 200
    assert login_error_codes(response) == ["invalid_login"]
    assert SESSION_KEY not in client.session


def test_empty_login_form_marks_each_missing_field(client: Client, db: None) -> None:
    response = client.post("/login/", {"username": "", "password": ""})
    page = response.content.decode()

    assert response.status_code == 200
    assert sorted(response.context["form"].errors) == ["password", "username"]
    assert page.count('class="field field--invalid field--required"') == 2
    assert '<p class="field__error" id="id_username_error_1">' in page
    assert SESSION_KEY not in client.session


def test_portal_customer_cannot_log_in_to_the_back_office(
    client: Client, world_with_passwords: World
) -> None:
    response = client.post("/login/", {"username": "zhang_portal", "password": PASSWORD})

    assert response.status_code == 200
    assert login_error_codes(response) == ["wrong_side"]
    assert SESSION_KEY not in client.session


def test_staff_cannot_log_in_to_the_portal(client: Client, world_with_passwords: World) -> None:
    response = client.post("/portal/login/", {"username": "reader_a", "password": PASSWORD})

    assert response.status_code == 200
    assert login_error_codes(response) == ["wrong_side"]
    assert SESSION_KEY not in client.session


def test_portal_customer_logs_in_to_the_portal(client: Client, world_with_passwords: World) -> None:
    response = client.post("/portal/login/", {"username": "zhang_portal", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert client.session[SESSION_KEY] == str(world_with_passwords.portal_user.pk)


@pytest.mark.parametrize("path", ["/", "/accounts/", "/accounts/0000010010/"])
def test_anonymous_users_are_sent_to_the_staff_login(client: Client, db: None, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_anonymous_users_are_sent_to_the_portal_login(client: Client, db: None) -> None:
    response = client.get("/portal/")

    assert response.status_code == 302
    assert response["Location"] == "/portal/login/?next=/portal/"


@pytest.mark.parametrize("path", ["/", "/accounts/", "/accounts/0000010010/"])
def test_portal_customers_are_sent_from_the_back_office_to_the_portal(
    client: Client, world: World, path: str, log_in
) -> None:
    log_in(client, world.portal_user)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == "/portal/"


def test_staff_are_sent_from_the_portal_to_the_back_office(station_a_client: Client) -> None:
    response = station_a_client.get("/portal/")

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_staff_bound_to_no_org_unit_are_refused(client: Client, world: World, log_in) -> None:
    log_in(client, world.unbound_staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    for path in ("/", "/accounts/"):
        response = client.get(path)
        assert response.status_code == 403
        assert "not bound to an org unit" in response.content.decode()


def test_superuser_bound_to_no_org_unit_sees_every_unit(client: Client, world: World, log_in) -> None:
    log_in(client, world.superuser)

    response = client.get("/")

    assert response.status_code == 200
    assert response.context["counts"]["accounts"] == 3


def test_logout_needs_a_post_and_ends_the_session(station_a_client: Client) -> None:
    assert station_a_client.get("/logout/").status_code == 405

    response = station_a_client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert SESSION_KEY not in station_a_client.session
    assert station_a_client.get("/")["Location"] == "/login/?next=/"


def test_logout_notice_shows_once_on_the_login_page(station_a_client: Client) -> None:
    station_a_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    login_page = station_a_client.post("/logout/", follow=True)

    assert [str(message) for message in login_page.context["messages"]] == ["You have logged out."]
    assert login_page.content.decode().count('class="flash flash--info"') == 1
    assert 'class="flash' not in station_a_client.get("/login/").content.decode()


def test_portal_logout_returns_to_the_portal_login(client: Client, world: World, log_in) -> None:
    log_in(client, world.portal_user)

    response = client.post("/portal/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/portal/login/"
    assert SESSION_KEY not in client.session
    assert 'class="flash flash--info"' in client.get("/portal/login/").content.decode()


def test_logged_in_users_skip_the_login_pages(
    station_a_client: Client, client: Client, world: World, log_in
) -> None:
    assert station_a_client.get("/login/")["Location"] == "/"
    log_in(client, world.portal_user)
    assert client.get("/portal/login/")["Location"] == "/portal/"
