"""Admin for users: staff see the users of their org subtree; every save is audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridcare.audit.admin import AuditedCorrectionAdmin
from gridcare.identity.models import User
from gridcare.identity.permissions import Permission, has_permission
from gridcare.organization.models import OrgUnit

if TYPE_CHECKING:
    BaseUserAdmin = DjangoUserAdmin[User]
else:  # the admin classes are not subscriptable at run time
    BaseUserAdmin = DjangoUserAdmin


@admin.register(User)
class UserAdmin(AuditedCorrectionAdmin, BaseUserAdmin):
    """Django's user admin plus the kind, org unit and mobile; adds are allowed (the system
    administrator's tool) and audited like changes."""

    list_display = ["username", "first_name", "kind", "org_unit", "mobile", "is_active", "is_staff"]
    list_filter = ["kind", "is_active", "is_staff", "is_superuser", "groups"]
    search_fields = ["username", "first_name", "last_name", "email", "mobile"]
    list_select_related = ["org_unit"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("GridCare"), {"fields": ("kind", "org_unit", "mobile")}),
    )

    # access (issue 3): a user's roles and org unit change only through a four-eyes approval
    # (identity.approvals), so the admin shows them and never edits them.
    readonly_fields = ["groups", "user_permissions", "is_superuser", "org_unit", "kind"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_permission(request.user, Permission.MANAGE_USERS)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_permission(request.user, Permission.MANAGE_USERS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_permission(request.user, Permission.MANAGE_USERS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_permission(request.user, Permission.MANAGE_USERS)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[User]:
        queryset = super().get_queryset(request)
        if request.user.is_active and request.user.is_superuser:
            return queryset
        # Portal users carry no org unit, so only superusers see them.
        return queryset.filter(org_unit__in=OrgUnit.objects.visible_to(request.user))

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "org_unit" in form.base_fields:
            org_unit_field: Any = form.base_fields["org_unit"]
            org_unit_field.queryset = OrgUnit.objects.visible_to(request.user)
        return form
