"""Admin for the org tree, and the admin base classes every GridCare app uses.

The admin is a window on the records: it lists, searches and shows them, scoped to the
user's org subtree. Records are created and their state changed through the named, audited
operations (pages, imports, the seeder); see :mod:`gridcare.audit.admin` for the few audited
corrections the admin allows.

Who sees and corrects what comes from GridCare's permission vocabulary, not Django's model
permissions: each admin names a ``view_permission`` and a ``change_permission``
(:class:`gridcare.identity.permissions.Permission` values, asked through
:func:`~gridcare.organization.models.holds_permission`), and the admin site itself lets in only
holders of ``identity.manage_users`` and superusers (:mod:`gridcare.web.admin_site`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from gridcare.organization.models import NumberSequence, OrgUnit, holds_permission

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    TabularInline = admin.TabularInline[Any, Any]
else:  # the admin classes are not subscriptable at run time
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline


class PermissionAdmin(ModelAdmin):
    """Permissions from GridCare's vocabulary: ``view_permission`` to see the rows (``None``:
    everyone the admin site lets in), ``change_permission`` to correct them (``None``: nobody).
    Nothing is added or deleted here."""

    view_permission: str | None = None
    change_permission: str | None = None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.view_permission is None or holds_permission(request.user, self.view_permission)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.change_permission is not None and holds_permission(request.user, self.change_permission)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrgScopedAdmin(PermissionAdmin):
    """Lists only rows inside the user's org subtree, through ``Model.objects.visible_to``;
    a row outside it is not found (404), so the object-level permission follows the scope.

    A table without its own org unit names in ``scoped_through`` the foreign key whose
    target is org-scoped (a contact is visible when its customer is).
    """

    scoped_through: str | None = None

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        queryset = super().get_queryset(request)
        if self.scoped_through is None:
            return queryset.visible_to(request.user)  # type: ignore[attr-defined, no-any-return]
        related_model: Any = self.model._meta.get_field(self.scoped_through).related_model
        visible = related_model.objects.visible_to(request.user)
        return queryset.filter(**{f"{self.scoped_through}__in": visible})


class ViewOnlyAdmin(PermissionAdmin):
    """Shows records but never adds, changes or deletes them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ViewOnlyInline(TabularInline):
    """A read-only table of child rows on a parent's admin page."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # shown wherever the parent's page is: its admin decided who sees that

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OrgUnit)
class OrgUnitAdmin(ViewOnlyAdmin):
    """The org tree changes only through the audited ``organization.operations.create_org_unit``."""

    list_display = ["code", "name", "level", "parent", "area_type", "path"]
    list_filter = ["level", "area_type"]
    search_fields = ["code", "name", "path"]
    list_select_related = ["parent"]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[OrgUnit]:
        return super().get_queryset(request) & OrgUnit.objects.visible_to(request.user)


@admin.register(NumberSequence)
class NumberSequenceAdmin(ViewOnlyAdmin):
    list_display = ["name", "last_value"]
    search_fields = ["name"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)
