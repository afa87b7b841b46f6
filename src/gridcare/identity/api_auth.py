"""Who may call an API endpoint: the two authentication methods of the JSON API and the error
bodies every router documents.

Each endpoint declares ``auth=api_access(permission=..., scope=...)``:

- an integration sends a bearer token and signs the request (:mod:`gridcare.identity.signing`);
  it must hold ``scope`` and acts as its service user, inside its org unit's subtree;
- a logged-in staff user (session cookie) must hold ``permission``
  (:func:`~gridcare.identity.permissions.has_permission`) and, for a changing request, send the
  CSRF token.

The endpoint receives an :class:`ApiCaller` as ``request.auth``. Every refusal is a
:class:`~gridcare.identity.errors.ApiRequestRefused` (401/403 with a specific code) and is
audited as ``deny_api_request``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja import Schema
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from gridcare.identity.errors import (
    ApiCsrfFailed,
    ApiPermissionDenied,
    ApiRequestRefused,
    ApiStaffRequired,
)
from gridcare.identity.integrations import (
    ApiScope,
    SignedRequest,
    check_scope,
    check_signature,
    find_usable_token,
    remember_nonce,
)
from gridcare.identity.models import Integration, User, UserKind
from gridcare.identity.operations import record_api_request_denial
from gridcare.identity.permissions import Permission, has_permission

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass(frozen=True, kw_only=True)
class ApiCaller:
    """Who is calling: ``user`` is the acting user of every query and operation (the staff
    user, or the integration's service user); ``integration`` is set for token requests."""

    user: User
    integration: Integration | None = None


class ErrorOut(Schema):
    """An error: a machine-readable code and the message in both languages."""

    code: str
    message_zh: str
    message_en: str
    field: str | None = None


class FieldErrorOut(Schema):
    """One invalid input: where (``query.page``, ``body.registers.import_active_total``) and why."""

    field: str
    message: str
    type: str


class ValidationErrorOut(ErrorOut):
    """A request whose parameters or body do not match the schema (422)."""

    errors: list[FieldErrorOut]


def error_responses() -> dict[int, Any]:
    """The error statuses every endpoint may answer with, for its ``response=`` declaration."""
    return {
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ValidationErrorOut,
    }


def deny(request: HttpRequest, refusal: ApiRequestRefused, *, integration: Integration | None = None) -> None:
    """Audit ``refusal`` of ``request`` (by ``integration`` or the logged-in user, if known)."""
    user = request.user if getattr(request.user, "is_authenticated", False) else None
    record_api_request_denial(
        refusal=refusal,
        integration=integration,
        user=user if isinstance(user, User) else None,
        method=request.method or "",
        path=request.path,
        # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it.
        ip_address=request.META.get("REMOTE_ADDR"),
        now=timezone.now(),
    )


class SignedTokenAuth(HttpBearer):
    """An integration's bearer token plus the HMAC signature headers; needs ``scope``."""

    def __init__(self, *, scope: ApiScope) -> None:
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiCaller:
        now = timezone.now()
        integration: Integration | None = None
        try:
            api_token = find_usable_token(token=token)
            integration = api_token.integration
            checked = check_signature(
                integration=integration,
                request=SignedRequest(
                    method=request.method or "",
                    path=request.path,
                    query=request.META.get("QUERY_STRING", ""),
                    body=request.body,
                    header=request.headers.get,
                ),
                now=now,
            )
            check_scope(integration=integration, scope=self.scope)
            remember_nonce(integration=integration, nonce=checked.nonce, now=now)
        except ApiRequestRefused as refusal:
            deny(request, refusal, integration=integration)
            raise
        return ApiCaller(user=integration.service_user, integration=integration)


class StaffSessionAuth(APIKeyCookie):
    """A logged-in staff user's session; needs ``permission``, and the CSRF token for changes."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, *, permission: Permission) -> None:
        self.permission = permission
        # The CSRF check is made below, after the user is known: an anonymous request is
        # "not authenticated" (401), not "CSRF failed".
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiCaller | None:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return None
        try:
            if user.kind != UserKind.STAFF or (user.org_unit_id is None and not user.is_superuser):
                raise ApiStaffRequired()
            if request.method not in SAFE_METHODS and check_csrf(request) is not None:
                raise ApiCsrfFailed()
            if not has_permission(user, self.permission):
                raise ApiPermissionDenied(permission=self.permission.value)
        except ApiRequestRefused as refusal:
            deny(request, refusal)
            raise
        return ApiCaller(user=user)


def api_access(*, permission: Permission, scope: ApiScope) -> list[AuthBase]:
    """The ``auth=`` of an endpoint: an integration holding ``scope``, or staff holding
    ``permission``. A request carrying a bearer token is judged by the token alone."""
    return [SignedTokenAuth(scope=scope), StaffSessionAuth(permission=permission)]


def api_caller(request: HttpRequest) -> ApiCaller:
    """The caller an endpoint's authentication let in."""
    caller = getattr(request, "auth", None)
    if not isinstance(caller, ApiCaller):
        raise TypeError("The endpoint has no api_access authentication.")
    return caller


__all__ = [
    "SAFE_METHODS",
    "ApiCaller",
    "ErrorOut",
    "FieldErrorOut",
    "SignedTokenAuth",
    "StaffSessionAuth",
    "ValidationErrorOut",
    "api_access",
    "api_caller",
    "deny",
    "error_responses",
]
