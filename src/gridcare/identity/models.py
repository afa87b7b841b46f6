"""Users. Staff users are bound to one OrgUnit; portal users (网上营业厅) are bound to none."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridcare.organization.models import OrgUnit


class UserKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    PORTAL = "portal", _("Portal customer")


class Role(models.TextChoices):
    """The marketing department's roles, seeded as auth groups named with these values."""

    BUSINESS_EXPANSION_CLERK = "业扩受理员", _("Business expansion clerk")
    METER_READER = "抄表员", _("Meter reader")
    BILLING_CLERK = "核算员", _("Billing clerk")
    CASHIER = "收费员", _("Cashier")
    ACCOUNT_MANAGER = "客户经理", _("Account manager")
    USAGE_INSPECTOR = "用电检查员", _("Usage inspector")
    SERVICE_DESK_AGENT = "95598座席", _("95598 service desk agent")
    MARKETING_SUPERVISOR = "营销主管", _("Marketing supervisor")
    AUDITOR = "审计员", _("Auditor")
    SYSTEM_ADMINISTRATOR = "系统管理员", _("System administrator")


class User(AbstractUser):
    """A person who logs in: marketing staff (bound to an org unit) or a portal customer."""

    kind = models.CharField(_("kind"), max_length=16, choices=UserKind.choices, default=UserKind.STAFF)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("org unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    # Staff authentication (issue 3): password age and forced change.
    password_changed_at = models.DateTimeField(
        _("password changed at"),
        null=True,
        blank=True,
        help_text=_("When the password was last set; its age counts from joining when empty."),
    )
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set for a new user and after an administrator resets the password."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=UserKind.PORTAL, org_unit__isnull=True, is_staff=False)
                | Q(kind=UserKind.STAFF),
                name="user_portal_users_have_no_org_unit",
                violation_error_message=_("A portal customer cannot be bound to an org unit or be staff."),
            ),
        ]

    def roles(self) -> list[str]:
        """Names of the role groups this user holds."""
        return sorted(self.groups.values_list("name", flat=True))


# --- Staff authentication: password age, forced change and history (issue 3, item 1) ---


class PasswordHistory(models.Model):
    """A password hash a user held, so that the last few cannot be chosen again."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(_("password hash"), max_length=128)
    set_at = models.DateTimeField(_("set at"))

    class Meta:
        verbose_name = _("password history entry")
        verbose_name_plural = _("password history")
        ordering = ["-set_at", "-pk"]
        indexes = [models.Index(fields=["user", "-set_at"], name="passwordhistory_user_set_at")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.set_at:%Y-%m-%d %H:%M}"
