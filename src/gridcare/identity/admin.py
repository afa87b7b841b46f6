"""Admin for users: staff see the users of their org subtree; every save is audited."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridcare.audit.admin import AuditedCorrectionAdmin
from gridcare.identity import operations
from gridcare.identity.errors import MfaNotEnrolled
from gridcare.identity.models import User
from gridcare.identity.permissions import Permission, has_permission
from gridcare.identity.pii import pii_hash
from gridcare.kit.masking import mask_mobile
from gridcare.organization.models import OrgUnit

if TYPE_CHECKING:
    BaseUserAdmin = DjangoUserAdmin[User]
    BasePasswordChangeForm = AdminPasswordChangeForm[User]
else:  # the admin classes are not subscriptable at run time
    BaseUserAdmin = DjangoUserAdmin
    BasePasswordChangeForm = AdminPasswordChangeForm

# Authenticators change only through the audited operations (enrol, reset), never by editing
# device rows, so django-otp's own admin pages are removed.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)

#: The administrator resetting a password in the admin, for the form's audited save.
_acting_administrator: ContextVar[User | None] = ContextVar("acting_administrator", default=None)


class AuditedAdminPasswordChangeForm(BasePasswordChangeForm):
    """The admin's "change password" form as an audited reset: the policy applies and the user
    must choose their own password at the next login. Disabling password login is not offered."""

    usable_password = None

    def save(self, commit: bool = True) -> Any:
        actor = _acting_administrator.get()
        if actor is None:
            raise RuntimeError("The admin password form saves only inside UserAdmin.user_change_password.")
        operations.reset_password(
            actor=actor, user=self.user, new_password=self.cleaned_data["password1"], now=timezone.now()
        )
        return self.user


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
        (_("Password policy"), {"fields": ("must_change_password", "password_changed_at")}),
    )
    change_password_form = AuditedAdminPasswordChangeForm
    actions = ["reset_mfa"]

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        token = _acting_administrator.set(request.user)  # type: ignore[arg-type]
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _acting_administrator.reset(token)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: Any) -> None:
        if not change:
            # An administrator chose this password: the new user replaces it at first login.
            obj.must_change_password = True
            obj.password_changed_at = timezone.now()
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Reset two-factor authentication"))
    def reset_mfa(self, request: HttpRequest, queryset: models.QuerySet[User]) -> None:
        """Remove the selected users' authenticators and recovery codes (audited, one by one)."""
        if not has_permission(request.user, Permission.MANAGE_USERS):
            self.message_user(
                request, gettext("Only user managers may reset authenticators."), messages.ERROR
            )
            return
        reset = []
        for user in queryset:
            try:
                operations.reset_mfa(actor=request.user, user=user, now=timezone.now())  # type: ignore[arg-type]
            except MfaNotEnrolled as error:
                self.message_user(request, error.message(request.LANGUAGE_CODE), messages.WARNING)
            else:
                reset.append(user.username)
        if reset:
            self.message_user(
                request,
                gettext("Two-factor authentication reset for: %(usernames)s.")
                % {"usernames": ", ".join(reset)},
                messages.SUCCESS,
            )

    # access (issue 3): a user's roles and org unit change only through a four-eyes approval
    # (identity.approvals), so the admin shows them and never edits them.
    # The mobile is shown masked only; password age is the system's record.
    readonly_fields = [
        "groups",
        "user_permissions",
        "is_superuser",
        "org_unit",
        "kind",
        "masked_mobile",
        "password_changed_at",
    ]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_permission(request.user, Permission.MANAGE_USERS)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_permission(request.user, Permission.MANAGE_USERS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_permission(request.user, Permission.MANAGE_USERS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_permission(request.user, Permission.MANAGE_USERS)

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
