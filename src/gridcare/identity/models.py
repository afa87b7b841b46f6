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


# --- Portal (网上营业厅) one-time codes, the development outbox and rate limits --------------


class OneTimeCodePurpose(models.TextChoices):
    PORTAL_LOGIN = "portal_login", _("Portal login")
    PORTAL_REGISTRATION = "portal_registration", _("Portal registration")


class OneTimeCode(models.Model):
    """A 6-digit code sent to a mobile, stored only as a keyed hash.

    The mobile is kept as a keyed digest too, never in plain text. A login code names the
    portal user it logs in; a code nobody received (the mobile has no portal login) names none,
    so a stranger probing a mobile number meets the same behaviour either way.
    """

    purpose = models.CharField(_("purpose"), max_length=32, choices=OneTimeCodePurpose.choices)
    mobile_digest = models.CharField(_("mobile digest"), max_length=64)
    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    code_hash = models.CharField(_("code hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="onetimecode_expires_after_creation",
                violation_error_message=_("A one-time code must expire after it is created."),
            ),
        ]
        indexes = [models.Index(fields=["purpose", "mobile_digest", "created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M:%S}"


class DevOutboxMessage(models.Model):
    """A text message the development sender "sent": read it here instead of on a phone.

    Stands in for the SMS gateway until the notifications issue brings the real outbox. The
    recipient is kept masked and as a keyed digest (to find the messages of one mobile).
    """

    recipient_digest = models.CharField(_("recipient digest"), max_length=64, db_index=True)
    recipient_masked = models.CharField(_("recipient"), max_length=20)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("development outbox message")
        verbose_name_plural = _("development outbox messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.recipient_masked} {self.created_at:%Y-%m-%d %H:%M:%S}"


class RateLimitHit(models.Model):
    """One counted event (a code request, a failed login or binding) for a rate limit.

    Kept in the database so every server process counts the same events. The key (a mobile,
    an IP address, a user id) is kept as a keyed digest.
    """

    scope = models.CharField(_("scope"), max_length=64)
    key_digest = models.CharField(_("key digest"), max_length=64)
    occurred_at = models.DateTimeField(_("occurred at"))

    class Meta:
        verbose_name = _("rate limit hit")
        verbose_name_plural = _("rate limit hits")
        indexes = [models.Index(fields=["scope", "key_digest", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.scope} {self.occurred_at:%Y-%m-%d %H:%M:%S}"


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
