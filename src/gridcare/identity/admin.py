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
from gridcare.identity.pii import pii_hash
from gridcare.kit.masking import mask_mobile
from gridcare.organization.models import OrgUnit

if TYPE_CHECKING:
    BaseUserAdmin = DjangoUserAdmin[User]
else:  # the admin classes are not subscriptable at run time
    BaseUserAdmin = DjangoUserAdmin


@admin.register(User)
class UserAdmin(AuditedCorrectionAdmin, BaseUserAdmin):
    """Django's user admin plus the kind, org unit and mobile; adds are allowed (the system
    administrator's tool) and audited like changes."""

    # PII (issue 3 item 5): the mobile is listed masked and found by exact value (keyed hash).
    list_display = ["username", "first_name", "kind", "org_unit", "masked_mobile", "is_active", "is_staff"]
    list_filter = ["kind", "is_active", "is_staff", "is_superuser", "groups"]
    search_fields = ["username", "first_name", "last_name", "email"]
    list_select_related = ["org_unit"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("GridCare"), {"fields": ("kind", "org_unit", "masked_mobile")}),
    )
    readonly_fields = ["masked_mobile"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return DjangoUserAdmin.has_add_permission(self, request)

    @admin.display(description=_("mobile"))
    def masked_mobile(self, user: User) -> str:
        return mask_mobile(user.mobile)

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet[User], search_term: str
    ) -> tuple[models.QuerySet[User], bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if not search_term.strip():
            return found, may_have_duplicates
        return found | queryset.filter(mobile_hash=pii_hash(search_term, kind="mobile")), may_have_duplicates

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
