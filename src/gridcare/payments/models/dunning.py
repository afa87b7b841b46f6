"""Arrears and dunning (催费, 停复电): the dunning plan's versions, each overdue account's dunning
case and the steps taken in it, disconnection and reconnection orders, each account's supply
state, the protected list and instalment agreements (docs/dunning.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridcare.organization.models import OrgScopedQuerySet, org_unit_field
from gridcare.payments.errors import DunningPlanVersionImmutable
from gridcare.payments.models.payment import MONEY_DECIMALS, MONEY_DIGITS


class DunningPlanVersion(models.Model):
    """One version of the dunning plan, valid over the dates ``[valid_from, valid_to)``: its
    ``document`` lists the steps (docs/dunning.md, "The plan"). A case keeps the version it was
    opened under, so a saved version never changes: a change is a new version, which ends the
    open one."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    valid_from = models.DateField(_("valid from"), unique=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    document = models.JSONField(_("document"))
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64)
    source = models.CharField(_("source"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("dunning plan version")
        verbose_name_plural = _("dunning plan versions")
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="dunning_plan_valid_to_after_valid_from",
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Cases run on the version they were opened under: a saved version never changes.
        if not self._state.adding and kwargs.get("update_fields") != ["valid_to"]:
            raise DunningPlanVersionImmutable(version=self.version)
        super().save(*args, **kwargs)


class DunningAction(models.TextChoices):
    REMINDER = "reminder", _("Reminder")  # 催费提醒
    FORMAL_NOTICE = "formal_notice", _("Formal notice")  # 催费通知书
    DISCONNECTION_NOTICE = "disconnection_notice", _("Disconnection notice")  # 停电通知书
    PRE_DISCONNECTION_REMINDER = "pre_disconnection_reminder", _("Reminder before disconnection")
    DISCONNECTION = "disconnection", _("Disconnection")  # 停电


class DunningCaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class DunningCase(models.Model):
    """One episode of an account's arrears: opened by the daily run when the account first has
    an overdue bill, closed when nothing is overdue any more. ``oldest_due_date`` and
    ``amount_overdue`` are refreshed by every run; ``stage`` is the last step taken."""

    org_unit = org_unit_field()
    account = models.ForeignKey(
        "customers.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="dunning_cases"
    )
    plan_version = models.ForeignKey(
        DunningPlanVersion, verbose_name=_("plan version"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=DunningCaseStatus.choices, default=DunningCaseStatus.OPEN
    )
    oldest_due_date = models.DateField(_("oldest due date"))
    amount_overdue = models.DecimalField(
        _("amount overdue"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS
    )
    #: The action of the last step taken (blank: none yet).
    stage = models.CharField(_("stage"), max_length=32, choices=DunningAction.choices, blank=True)
    #: Why the next due step is waiting (a notice not served long enough, an instalment
    #: agreement being kept); blank when nothing waits.
    waiting_reason = models.CharField(_("waiting for"), max_length=200, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("dunning case")
        verbose_name_plural = _("dunning cases")
        ordering = ["oldest_due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(status="open"),
                name="dunning_case_one_open_per_account",
            )
        ]
        indexes = [models.Index(fields=["status", "org_unit"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.oldest_due_date}"


class DunningStepOutcome(models.TextChoices):
    SENT = "sent", _("Sent")
    ORDER_CREATED = "order_created", _("Order created")
    SKIPPED = "skipped", _("Skipped")


class DunningStepTaken(models.Model):
    """A plan step taken in a case, once: when, how (the channels and outbox messages, or the
    order it created) or why it was skipped. The unique (case, step code) is the step's
    idempotency key: a rerun after a crash finds it and takes it no second time."""

    case = models.ForeignKey(DunningCase, on_delete=models.PROTECT, related_name="steps")
    step_code = models.CharField(_("step"), max_length=40)
    action = models.CharField(_("action"), max_length=32, choices=DunningAction.choices)
    taken_on = models.DateField(_("taken on"))
    days_overdue = models.PositiveIntegerField(_("days overdue"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=DunningStepOutcome.choices)
    channels = models.JSONField(_("channels"), default=list)
    message_ids = models.JSONField(_("outbox messages"), default=list)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    #: The disconnection date the step's messages stated (a disconnection notice's: the case is
    #: never cut before it); blank when none was stated.
    disconnect_on = models.DateField(_("disconnection date stated"), null=True, blank=True)
    taken_at = models.DateTimeField(_("taken at"))

    class Meta:
        verbose_name = _("dunning step taken")
        verbose_name_plural = _("dunning steps taken")
        ordering = ["taken_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "step_code"], name="dunning_step_once_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.step_code}"


class SupplyOrderKind(models.TextChoices):
    DISCONNECTION = "disconnection", _("Disconnection order")  # 停电工单
    RECONNECTION = "reconnection", _("Reconnection order")  # 复电工单


class SupplyOrderDispatch(models.TextChoices):
    FIELD = "field", _("Field staff")
    REMOTE = "remote", _("Remote control")


class SupplyOrderStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class SupplyOrder(models.Model):
    """A disconnection (停电工单) or reconnection (复电工单) order of an account, for field staff
    or the remote-control interface: open → done (who, when) or cancelled (who, when, why). A
    reconnection order is due within the reconnection limit (``due_at``); an order of the
    remote-control interface records the command sent and its confirmation."""

    org_unit = org_unit_field()
    order_no = models.CharField(_("order number"), max_length=20, unique=True)
    account = models.ForeignKey(
        "customers.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="supply_orders"
    )
    case = models.ForeignKey(
        DunningCase, verbose_name=_("dunning case"), on_delete=models.PROTECT, null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=16, choices=SupplyOrderKind.choices)
    dispatch = models.CharField(_("dispatched to"), max_length=8, choices=SupplyOrderDispatch.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=SupplyOrderStatus.choices, default=SupplyOrderStatus.OPEN
    )
    created_at = models.DateTimeField(_("created at"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    command_id = models.CharField(_("remote command id"), max_length=64, blank=True)
    command_sent_at = models.DateTimeField(_("remote command sent at"), null=True, blank=True)
    command_confirmed_at = models.DateTimeField(_("remote command confirmed at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(_("cancel reason"), max_length=200, blank=True)
    breach_alarmed_at = models.DateTimeField(_("limit breach alarmed at"), null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("supply order")
        verbose_name_plural = _("supply orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind"],
                condition=models.Q(status="open"),
                name="supply_order_one_open_per_kind",
            )
        ]
        indexes = [models.Index(fields=["kind", "status", "due_at"])]

    def __str__(self) -> str:
        return self.order_no


class AccountSupply(models.Model):
    """An account's supply as dunning knows it: disconnected for arrears or not, and whether its
    meter can be switched remotely (the metering file records no such capability yet)."""

    account = models.OneToOneField(
        "customers.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="supply"
    )
    disconnected = models.BooleanField(_("disconnected for arrears"), default=False)
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)
    remote_switch_capable = models.BooleanField(_("meter can be switched remotely"), default=False)

    class Meta:
        verbose_name = _("account supply")
        verbose_name_plural = _("account supplies")

    def __str__(self) -> str:
        return f"{self.account_id} {'off' if self.disconnected else 'on'}"


class ProtectionReason(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    KEY_ACCOUNT = "key_account", _("Key account")
    PAYMENT_PLAN = "payment_plan", _("Instalment agreement")
    LISTED = "listed", _("On the protected list")


class ProtectedAccount(models.Model):
    """An account on the configurable protected list: never disconnected automatically while
    the entry is in force (``removed_at`` blank)."""

    org_unit = org_unit_field()
    account = models.ForeignKey(
        "customers.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"))
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("protected account")
        verbose_name_plural = _("protected accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(removed_at__isnull=True),
                name="protected_account_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.reason}"


class InstalmentStatus(models.TextChoices):
    ACTIVE = "active", _("Being kept")
    COMPLETED = "completed", _("Completed")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")


class InstalmentAgreement(models.Model):
    """An instalment agreement (分期缴费协议): while active, dunning of the account stops; a
    missed instalment breaks it and dunning resumes. Kept means: by the end of each instalment's
    day, the account's payments since the agreement add up to every instalment due so far."""

    org_unit = org_unit_field()
    account = models.ForeignKey(
        "customers.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=InstalmentStatus.choices, default=InstalmentStatus.ACTIVE
    )
    total = models.DecimalField(_("total"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(_("end reason"), max_length=200, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("instalment agreement")
        verbose_name_plural = _("instalment agreements")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(status="active"),
                name="instalment_agreement_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.total}"


class Instalment(models.Model):
    """One instalment of an agreement: its amount, due by the end of ``due_date``."""

    agreement = models.ForeignKey(InstalmentAgreement, on_delete=models.CASCADE, related_name="instalments")
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "due_date"], name="instalment_one_per_day"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="instalment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} {self.due_date} {self.amount}"
