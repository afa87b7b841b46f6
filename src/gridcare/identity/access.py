"""Who may enter which part of the site.

The back office is for staff bound to an org unit (superusers may be unbound: they see every
unit); the portal (网上营业厅) is for portal customers. Each side sends the other's users home.
MFA, lockout and per-role permissions come with the identity issue and plug in here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from gridcare.identity.models import UserKind

View = Callable[..., HttpResponseBase]


def is_portal_user(user: Any) -> bool:
    """Whether ``user`` is a logged-in portal customer."""
    return bool(user.is_authenticated and user.kind == UserKind.PORTAL)


def staff_required(view: View) -> View:
    """Let in logged-in staff bound to an org unit (or superusers); send anonymous users to the
    staff login, portal customers to the portal, and refuse unbound staff."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url="web:login")
        if is_portal_user(user):
            return redirect("portal:home")
        if user.org_unit_id is None and not user.is_superuser:
            raise PermissionDenied(
                _("Your user is not bound to an org unit. Ask a system administrator to assign one.")
            )
        return view(request, *args, **kwargs)

    return guarded


def portal_user_required(view: View) -> View:
    """Let in logged-in portal customers; send anonymous users to the portal login and staff to
    the back office."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url="portal:login")
        if not is_portal_user(user):
            return redirect("web:home")
        return view(request, *args, **kwargs)

    return guarded
