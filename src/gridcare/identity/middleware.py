"""Middleware of staff authentication: session lifetimes, and the wall that keeps a logged-in
user on the MFA and password pages until they are done.

Both read the clock, as interfaces do; tests move a session's recorded times instead of waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridcare.identity import mfa
from gridcare.identity.models import UserKind
from gridcare.identity.passwords import password_change_required

#: Session keys holding when the session was logged in and when it last served a request
#: (POSIX timestamps).
SESSION_STARTED_AT = "gridcare_session_started_at"
SESSION_LAST_SEEN_AT = "gridcare_session_last_seen_at"
#: The last-seen time is written at most this often, so most requests do not save the session.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
#: Paths under this prefix are the JSON API: refused with JSON, not redirected to a page.
API_PATH_PREFIX = "/api/"

GetResponse = Callable[[HttpRequest], HttpResponseBase]


def start_session_clocks(*, sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """At login, record when this session started (receiver of ``user_logged_in``)."""
    if request is None or not hasattr(request, "session"):
        return
    moment = timezone.now().timestamp()
    request.session[SESSION_STARTED_AT] = moment
    request.session[SESSION_LAST_SEEN_AT] = moment


def session_expiry(*, session: Any, now: datetime) -> str | None:
    """Why the session has expired at ``now``: ``"absolute"`` past its maximum lifetime,
    ``"idle"`` after too long without a request, or None while it is valid."""
    started_at = session.get(SESSION_STARTED_AT)
    last_seen_at = session.get(SESSION_LAST_SEEN_AT)
    moment = now.timestamp()
    if started_at is not None and moment - started_at >= settings.GRIDCARE_SESSION_MAX_HOURS * 3600:
        return "absolute"
    if last_seen_at is not None and moment - last_seen_at >= settings.GRIDCARE_SESSION_IDLE_MINUTES * 60:
        return "idle"
    return None


class SessionLifetimeMiddleware:
    """Log out a session idle for ``GRIDCARE_SESSION_IDLE_MINUTES`` or older than
    ``GRIDCARE_SESSION_MAX_HOURS``, and send the user to their login page with a message."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated:
            now = timezone.now()
            session = request.session
            reason = session_expiry(session=session, now=now)
            if reason is not None:
                return self._expire(request, reason=reason, is_portal=user.kind == UserKind.PORTAL)
            if SESSION_STARTED_AT not in session:
                # A session from before the clocks existed: time it from now on.
                session[SESSION_STARTED_AT] = now.timestamp()
            last_seen_at = session.get(SESSION_LAST_SEEN_AT)
            if last_seen_at is None or now.timestamp() - last_seen_at >= LAST_SEEN_RESOLUTION.total_seconds():
                session[SESSION_LAST_SEEN_AT] = now.timestamp()
        return self.get_response(request)

    def _expire(self, request: HttpRequest, *, reason: str, is_portal: bool) -> HttpResponseBase:
        logout(request)
        if reason == "idle":
            message = _("You were logged out after %(minutes)d minutes without activity.") % {
                "minutes": settings.GRIDCARE_SESSION_IDLE_MINUTES
            }
        else:
            message = _("You were logged out: a session lasts at most %(hours)d hours.") % {
                "hours": settings.GRIDCARE_SESSION_MAX_HOURS
            }
        if request.path.startswith(API_PATH_PREFIX):
            return JsonResponse({"detail": message}, status=401)
        messages.warning(request, message)
        login_url = "portal:login" if is_portal else settings.LOGIN_URL
        return _redirect(request, redirect_to_login(request.get_full_path(), login_url=login_url))


class WallStep(StrEnum):
    """What a logged-in staff user must do before any other page."""

    ENROL_MFA = "enrol_mfa"
    VERIFY_MFA = "verify_mfa"
    CHANGE_PASSWORD = "change_password"  # noqa: S105  # a step name, not a password  # nosec B105


#: The page of each step (URL names), and the pages open during every step.
STEP_PAGES: dict[WallStep, tuple[str, ...]] = {
    WallStep.ENROL_MFA: ("web:mfa_enrol",),
    WallStep.VERIFY_MFA: ("web:mfa_verify",),
    WallStep.CHANGE_PASSWORD: ("web:password_change",),
}
ALWAYS_OPEN_PAGES = ("web:login", "web:logout", "set_language")


def pending_step(*, user: Any, now: datetime) -> WallStep | None:
    """The first thing ``user`` must do before reaching any page: enrol an authenticator (roles
    that need MFA), pass a code in this session, then replace a new, reset or expired password."""
    if not getattr(user, "is_authenticated", False) or user.kind != UserKind.STAFF:
        return None
    if mfa.must_verify_mfa(user):
        return WallStep.VERIFY_MFA if mfa.has_enrolled_mfa(user) else WallStep.ENROL_MFA
    if password_change_required(user=user, now=now):
        return WallStep.CHANGE_PASSWORD
    return None


class AuthenticationWallMiddleware:
    """Send a logged-in staff user with a pending :class:`WallStep` to that step's page from
    every other URL: the back office, /exchange/, /admin/ and the API alike."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        step = pending_step(user=request.user, now=timezone.now())
        if step is not None and not self._is_open(request.path, step):
            return self._refuse(request, step)
        return self.get_response(request)

    @staticmethod
    def _is_open(path: str, step: WallStep) -> bool:
        return path in {reverse(name) for name in (*STEP_PAGES[step], *ALWAYS_OPEN_PAGES)} or path.startswith(
            settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}"
        )

    @staticmethod
    def _refuse(request: HttpRequest, step: WallStep) -> HttpResponseBase:
        if request.path.startswith(API_PATH_PREFIX):
            return JsonResponse(
                {"detail": _("Finish logging in first: two-factor authentication or a password change.")},
                status=403,
            )
        url = reverse(STEP_PAGES[step][0])
        if request.method == "GET":
            return _redirect(request, redirect(f"{url}?next={_quoted(request.get_full_path())}"))
        return _redirect(request, redirect(url))


def _quoted(path: str) -> str:
    return quote(path, safe="/")


def _redirect(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """An htmx request gets an ``HX-Redirect`` so the whole page moves, not a fragment."""
    if getattr(request, "htmx", False):
        htmx_response = HttpResponse(status=204)
        htmx_response["HX-Redirect"] = response["Location"]
        return htmx_response
    return response
