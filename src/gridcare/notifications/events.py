"""The event types the notification service knows, and the variables each provides.

A template of an event may use only the variables its event declares: a template naming any
other variable is refused when it is saved, not when a message is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True, kw_only=True)
class EventType:
    """A kind of notification: its code, label, the variables a caller provides, and sample
    values for the preview page."""

    code: str
    label: str | Promise
    variables: frozenset[str]
    sample_context: dict[str, str]


EVENT_TYPES: dict[str, EventType] = {
    event.code: event
    for event in (
        EventType(
            code="bill_reminder",
            label=_("Bill reminder"),
            variables=frozenset({"customer_name", "account_no", "amount", "due_date"}),
            sample_context={
                "customer_name": "张三",
                "account_no": "3100000001",
                "amount": "128.50",
                "due_date": "2026-12-15",
            },
        ),
        EventType(
            code="arrears_notice",
            label=_("Arrears notice"),
            variables=frozenset({"customer_name", "account_no", "amount", "due_date", "disconnect_date"}),
            sample_context={
                "customer_name": "张三",
                "account_no": "3100000001",
                "amount": "356.20",
                "due_date": "2026-11-15",
                "disconnect_date": "2026-12-20",
            },
        ),
        EventType(
            code="outage_notice",
            label=_("Outage notice"),
            variables=frozenset({"customer_name", "account_no", "area", "starts_at", "ends_at", "reason"}),
            sample_context={
                "customer_name": "张三",
                "account_no": "3100000001",
                "area": "城东供电所 解放路一带",
                "starts_at": "2026-12-03 08:00",
                "ends_at": "2026-12-03 17:00",
                "reason": "线路检修",
            },
        ),
        EventType(
            code="service_order_progress",
            label=_("Service order progress"),
            variables=frozenset({"customer_name", "order_no", "stage", "next_step"}),
            sample_context={
                "customer_name": "张三",
                "order_no": "YK202612010001",
                "stage": "现场勘查",
                "next_step": "答复供电方案",
            },
        ),
        # --- dunning (issue 6, docs/dunning.md): reminders, the formal notice, the reminder
        # before disconnection, and the alarm to staff when a reconnection passes its limit.
        EventType(
            code="arrears_reminder",
            label=_("Arrears reminder"),
            variables=frozenset({"customer_name", "account_no", "amount", "due_date", "days_overdue"}),
            sample_context={
                "customer_name": "张三",
                "account_no": "3100000001",
                "amount": "356.20",
                "due_date": "2026-11-15",
                "days_overdue": "3",
            },
        ),
        EventType(
            code="arrears_formal_notice",
            label=_("Formal arrears notice"),
            variables=frozenset({"customer_name", "account_no", "amount", "due_date", "days_overdue"}),
            sample_context={
                "customer_name": "张三",
                "account_no": "3100000001",
                "amount": "356.20",
                "due_date": "2026-11-15",
                "days_overdue": "25",
            },
        ),
        EventType(
            code="disconnection_reminder",
            label=_("Reminder before disconnection"),
            variables=frozenset({"customer_name", "account_no", "amount", "due_date", "disconnect_date"}),
            sample_context={
                "customer_name": "张三",
                "account_no": "3100000001",
                "amount": "356.20",
                "due_date": "2026-11-15",
                "disconnect_date": "2026-12-20",
            },
        ),
        EventType(
            code="reconnection_breach",
            label=_("Reconnection limit breached"),
            variables=frozenset({"order_no", "account_no", "due_at"}),
            sample_context={
                "order_no": "FD2026120100000001",
                "account_no": "3100000001",
                "due_at": "2026-12-02 10:00",
            },
        ),
        # --- end of dunning events
        # --- prepaid (issue 6, docs/prepaid.md): the low-balance alert
        EventType(
            code="prepaid_low_balance",
            label=_("Prepaid balance low"),
            variables=frozenset({"customer_name", "account_no", "available_balance", "threshold", "through"}),
            sample_context={
                "customer_name": "张三",
                "account_no": "3100000001",
                "available_balance": "18.40",
                "threshold": "20.00",
                "through": "2026-12-01",
            },
        ),
        # --- end of prepaid events
        EventType(
            code="one_time_code",
            label=_("One-time code"),
            variables=frozenset({"code", "minutes"}),
            sample_context={"code": "123456", "minutes": "5"},
        ),
    )
}

#: Variables every template may use besides its event's: the unsubscribe link of e-mails.
COMMON_VARIABLES: frozenset[str] = frozenset({"unsubscribe_url"})

#: The event of one-time codes (sent by :class:`gridcare.notifications.otp.NotificationOtpSender`).
ONE_TIME_CODE_EVENT = "one_time_code"
