"""The admin site: a window on the records for holders of ``identity.manage_users`` (the
系统管理员) and superusers. Other staff are refused with an audited 403; anonymous users and
portal customers are sent to the admin login, as Django does. A model admin's own refusal (no
adding, changing or deleting here) is recorded as a ``deny_permission`` audit event too.

What each admin page shows and allows is decided by the base classes in
:mod:`gridcare.organization.admin` (our permissions and the org scope).
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from gridcare.identity.access import ensure_permission, record_denial, request_operation
from gridcare.identity.errors import AccessDenied, PermissionMissing
from gridcare.identity.permissions import Permission, has_permission

#: The permission that opens the admin.
ADMIN_PERMISSION = Permission.MANAGE_USERS


class GridCareAdminSite(admin.AdminSite):
    site_header = _("GridCare administration")
    site_title = _("GridCare administration")

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(super().has_permission(request) and has_permission(request.user, ADMIN_PERMISSION))

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        guarded = super().admin_view(view, cacheable)

        @wraps(guarded)
        def refusing(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            # Logged-in, active staff without the permission: refuse and record it (the others
            # go to the admin login, as Django sends them).
            if user.is_authenticated and user.is_active and user.is_staff:
                try:
                    ensure_permission(
                        user=user, permission=ADMIN_PERMISSION, operation=request_operation(request)
                    )
                except AccessDenied as refusal:
                    record_denial(denial=refusal, now=timezone.now())
                    raise PermissionDenied(refusal.message(get_language() or "zh-hans")) from refusal
            try:
                response: HttpResponseBase = guarded(request, *args, **kwargs)
            except PermissionDenied:
                # A model admin refused (no add, change or delete here): record it like any denial.
                url_name = request.resolver_match.url_name if request.resolver_match else ""
                denial = PermissionMissing(
                    actor=user, operation=request_operation(request), permission=f"admin.{url_name}"
                )
                record_denial(denial=denial, now=timezone.now())
                raise
            return response

        return refusing
