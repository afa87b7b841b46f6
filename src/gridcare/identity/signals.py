"""Audit events for logins, logouts and failed logins, written by receivers of Django's
authentication signals (connected in :class:`~gridcare.identity.apps.IdentityConfig`).

The password is never recorded: a failed login records only the attempted username.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from gridcare.audit.operations import record_audit_event
from gridcare.identity.models import User

#: The attempted username is cut to this length (the username column's) before it is recorded.
ATTEMPTED_USERNAME_MAX_LENGTH = 150


def record_username_event(
    *, actor: User | None, action: str, username: str, occurred_at: datetime, changes: Mapping[str, object]
) -> None:
    """Audit an event about a login name: on the user who holds ``username``, or on no record
    (object type ``identity.user``) when nobody does (a mistyped or guessed name)."""
    user = User.objects.filter(username=username).first() if username else None
    record_audit_event(
        actor=actor,
        action=action,
        target=user,
        object_type="" if user is not None else User._meta.label_lower,
        occurred_at=occurred_at,
        changes=changes,
    )


def audit_login(*, sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """Record a ``login`` of ``user``, done by ``user``."""
    record_audit_event(
        actor=user,
        action="login",
        target=user,
        occurred_at=timezone.now(),
        changes={"ip_address": _client_address(request)},
    )


def audit_logout(*, sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    """Record a ``logout`` of ``user`` (nothing when no one was logged in)."""
    if user is None:
        return
    record_audit_event(
        actor=user,
        action="logout",
        target=user,
        occurred_at=timezone.now(),
        changes={"ip_address": _client_address(request)},
    )


def audit_login_failed(
    *, sender: Any, credentials: Mapping[str, object], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Record a ``login_failed`` with the attempted username, on that user when one exists."""
    username = str(credentials.get(User.USERNAME_FIELD) or "")[:ATTEMPTED_USERNAME_MAX_LENGTH]
    changes = {"username": username, "ip_address": _client_address(request)}
    record_username_event(
        actor=None, action="login_failed", username=username, occurred_at=timezone.now(), changes=changes
    )


def _client_address(request: HttpRequest | None) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR") if request is not None else None
