"""Session idle timeout and absolute lifetime (time moved by rewriting the session's clocks, not
by waiting), cookie flags, CSRF, and the security headers (CSP and friends) on every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from auth_helpers import actions, post_login
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from gridcare.identity.middleware import SESSION_LAST_SEEN_AT, SESSION_STARTED_AT
from gridcare.identity.models import Role, User

TEMPLATE_ROOT = Path(django_settings.BASE_DIR)
EXPECTED_CSP = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'self'",
    "object-src 'none'",
}


@pytest.fixture
def reader(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user("reader", roles=[Role.METER_READER])


def age_session(client: Client, *, started_seconds_ago: float, last_seen_seconds_ago: float) -> None:
    session = client.session
    now = timezone.now().timestamp()
    session[SESSION_STARTED_AT] = now - started_seconds_ago
    session[SESSION_LAST_SEEN_AT] = now - last_seen_seconds_ago
    session.save()


def test_a_session_idle_for_the_timeout_is_logged_out_with_a_message(client: Client, reader: User) -> None:
    post_login(client, "reader")
    age_session(client, started_seconds_ago=3600, last_seen_seconds_ago=29 * 60 + 50)
    assert client.get("/accounts/").status_code == 200

    age_session(client, started_seconds_ago=3600, last_seen_seconds_ago=30 * 60)
    response = client.get("/accounts/", follow=True)

    assert response.redirect_chain == [("/login/?next=/accounts/", 302)]
    assert [str(message) for message in response.context["messages"]] == [
        "You were logged out after 30 minutes without activity."
    ]
    assert "_auth_user_id" not in client.session
    assert [action for action, _changes in actions("login", "logout")] == ["login", "logout"]


def test_a_request_keeps_the_session_alive(client: Client, reader: User) -> None:
    post_login(client, "reader")
    age_session(client, started_seconds_ago=3600, last_seen_seconds_ago=20 * 60)

    client.get("/accounts/")

    assert timezone.now().timestamp() - client.session[SESSION_LAST_SEEN_AT] < 5
    age_session(client, started_seconds_ago=3600, last_seen_seconds_ago=20 * 60)
    assert client.get("/accounts/").status_code == 200


def test_a_session_past_its_absolute_lifetime_ends_however_active(client: Client, reader: User) -> None:
    post_login(client, "reader")
    age_session(client, started_seconds_ago=12 * 3600 - 10, last_seen_seconds_ago=10)
    assert client.get("/").status_code == 200

    age_session(client, started_seconds_ago=12 * 3600, last_seen_seconds_ago=10)
    response = client.get("/", follow=True)

    assert response.redirect_chain == [("/login/?next=/", 302)]
    assert [str(message) for message in response.context["messages"]] == [
        "You were logged out: a session lasts at most 12 hours."
    ]
    assert "_auth_user_id" not in client.session


def test_the_lifetimes_come_from_settings(client: Client, reader: User, settings: Settings) -> None:
    settings.GRIDCARE_SESSION_IDLE_MINUTES = 5
    post_login(client, "reader")
    age_session(client, started_seconds_ago=400, last_seen_seconds_ago=300)
    assert client.get("/")["Location"] == "/login/?next=/"


def test_pages_carry_the_content_security_policy_and_the_other_security_headers(
    client: Client, reader: User, make_user, log_in
) -> None:  # type: ignore[no-untyped-def]
    anonymous_pages = ["/login/", "/portal/login/", "/admin/login/"]
    responses = [client.get(path) for path in anonymous_pages]
    post_login(client, "reader")
    responses += [client.get(path) for path in ["/", "/accounts/", "/security/", "/security/password/"]]
    root = log_in(Client(), make_user("root", is_superuser=True))
    responses += [root.get(path) for path in ["/admin/", "/security/lockouts/", "/audit/"]]

    for response in responses:
        assert response.status_code == 200
        assert set(response["Content-Security-Policy"].split("; ")) == EXPECTED_CSP
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        # HSTS only over HTTPS (the TLS serve test checks it there).
        assert "Strict-Transport-Security" not in response


def test_the_session_cookie_is_http_only_and_same_site_lax(client: Client, reader: User) -> None:
    post_login(client, "reader")
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    assert (cookie["httponly"], cookie["samesite"]) == (True, "Lax")


def test_a_post_without_the_csrf_token_is_refused(reader: User) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "reader", "password": "Quancheng-Road-2025"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_no_template_has_inline_scripts_styles_or_event_handlers() -> None:
    """The CSP refuses inline code, so none may be written: scripts and styles are static files."""
    templates = sorted(TEMPLATE_ROOT.rglob("templates/**/*.html"))
    assert len(templates) > 20
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE
    )
    offenders = {str(path.relative_to(TEMPLATE_ROOT)): inline.findall(path.read_text()) for path in templates}
    assert {path: found for path, found in offenders.items() if found} == {}
