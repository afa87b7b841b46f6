"""A POST without a valid CSRF token is refused with the 403 page and audited as ``deny_csrf``."""

from __future__ import annotations

import pytest
from django.test import Client

from gridcare.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_post_without_the_csrf_token_is_refused_and_audited(world, log_in) -> None:
    user = world.station_a_user
    client = log_in(Client(enforce_csrf_checks=True), user)
    client.cookies["django_language"] = "en"

    response = client.post("/logout/")

    assert response.status_code == 403
    assert "The form was stale or came from another site." in response.content.decode()
    assert "_auth_user_id" in client.session  # still logged in: the logout was refused
    event = AuditEvent.objects.get(action="deny_csrf")
    assert (event.actor, event.object_type, event.object_id) == (user, "http.request", "POST /logout/")
    assert event.org_unit_id == world.station_a.pk
    assert event.changes == {"reason": "CSRF cookie not set.", "path": "/logout/"}


def test_an_anonymous_forged_post_is_audited_without_an_actor(db: None) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/login/", {"username": "someone", "password": "x"})

    assert response.status_code == 403
    event = AuditEvent.objects.get(action="deny_csrf")
    assert (event.actor, event.object_id, event.changes["path"]) == (None, "POST /login/", "/login/")
    assert not AuditEvent.objects.filter(action="login_failed").exists()
