"""The portal shell (网上营业厅) and the language switch over HTTP."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from web_world import ACCOUNT_A1, World, make_portal_user

LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME


def html_lang(response: object) -> str:
    content = response.content.decode()  # type: ignore[attr-defined]
    start = content.index('<html lang="') + len('<html lang="')
    return content[start : content.index('"', start)]


def test_portal_home_lists_the_linked_customers_accounts(client: Client, world: World, log_in) -> None:
    log_in(client, world.portal_user)

    response = client.get("/portal/")

    assert response.status_code == 200
    assert [account.account_no for account in response.context["accounts"]] == [ACCOUNT_A1]
    assert response.context["customer"] == world.zhang
    assert "web/portal_base.html" in [template.name for template in response.templates]
    assert "web/backoffice_base.html" not in [template.name for template in response.templates]
    assert ACCOUNT_A1 in response.content.decode()


def test_unlinked_portal_user_sees_an_empty_state(client: Client, world: World, log_in) -> None:
    log_in(client, make_portal_user(username="newcomer", customer=None))

    response = client.get("/portal/")

    assert response.status_code == 200
    assert list(response.context["accounts"]) == []
    assert 'class="empty-state"' in response.content.decode()
    assert '<a class="button button--secondary" href="/portal/accounts/bind/">' in response.content.decode()


def test_portal_login_page_has_its_own_layout(client: Client, db: None) -> None:
    response = client.get("/portal/login/")

    assert response.status_code == 200
    assert "web/portal_base.html" in [template.name for template in response.templates]
    assert 'class="layout-portal"' in response.content.decode()


@pytest.mark.parametrize("path", ["/login/", "/portal/login/"])
def test_pages_default_to_simplified_chinese(client: Client, db: None, path: str) -> None:
    response = client.get(path)

    assert html_lang(response) == "zh-hans"
    assert response.headers["Content-Language"] == "zh-hans"


@pytest.mark.parametrize("path", ["/login/", "/portal/login/", "/", "/accounts/"])
def test_language_switch_to_english_and_back(station_a_client: Client, path: str) -> None:
    to_english = station_a_client.post("/i18n/setlang/", {"language": "en", "next": path})

    assert to_english.status_code == 302
    assert to_english["Location"] == path
    assert station_a_client.cookies[LANGUAGE_COOKIE].value == "en"
    response = station_a_client.get(path, follow=True)
    assert html_lang(response) == "en"

    to_chinese = station_a_client.post("/i18n/setlang/", {"language": "zh-hans", "next": path})

    assert to_chinese["Location"] == path
    assert station_a_client.cookies[LANGUAGE_COOKIE].value == "zh-hans"
    assert html_lang(station_a_client.get(path, follow=True)) == "zh-hans"


def test_language_switch_form_posts_to_set_language_with_the_current_page(station_a_client: Client) -> None:
    page = station_a_client.get("/accounts/?q=%E5%BC%A0").content.decode()

    assert '<form class="language-switch" action="/i18n/setlang/" method="post">' in page
    assert '<input type="hidden" name="next" value="/accounts/?q=%E5%BC%A0">' in page
    assert 'name="language" value="en"' in page
    assert 'name="language" value="zh-hans"' in page


def test_a_language_outside_the_offered_two_falls_back_to_chinese(station_a_client: Client) -> None:
    response = station_a_client.post("/i18n/setlang/", {"language": "fr", "next": "/"})

    assert response.status_code == 302
    assert html_lang(station_a_client.get("/")) == "zh-hans"


@pytest.mark.parametrize("path", ["/login/", "/portal/login/"])
def test_an_english_browser_still_gets_chinese_until_the_user_switches(
    client: Client, db: None, path: str
) -> None:
    first_visit = client.get(path, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert html_lang(first_visit) == "zh-hans"
    client.cookies[LANGUAGE_COOKIE] = "en"
    assert html_lang(client.get(path, HTTP_ACCEPT_LANGUAGE="zh-CN")) == "en"


def test_the_login_page_speaks_chinese_and_english_after_the_switch(client: Client, db: None) -> None:
    chinese = client.get("/login/").content.decode()

    assert '<h1 id="login-title">员工登录</h1>' in chinese
    assert "登录网上营业厅" in chinese
    client.cookies[LANGUAGE_COOKIE] = "en"
    english = client.get("/login/").content.decode()
    assert '<h1 id="login-title">Staff login</h1>' in english
    assert "员工登录" not in english
