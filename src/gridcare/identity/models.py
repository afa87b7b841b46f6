"""Users. Staff users are bound to one OrgUnit; portal users (网上营业厅) are bound to none."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridcare.identity.fields import EncryptedTextField, PiiHashField
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
    # Personal data: encrypted at rest, found by its keyed hash (ADR 0004).
    mobile = EncryptedTextField(_("mobile"), max_length=20, blank=True)
    mobile_hash = PiiHashField(
        _("mobile hash"), source="mobile", kind="mobile", blank=True, default="", db_index=True
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
