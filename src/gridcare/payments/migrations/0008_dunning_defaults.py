"""What dunning ships as data (later versions are published, never edits of these):

- the default dunning plan, version 1 (docs/dunning.md, "The default plan");
- the notification templates and delivery policies of the dunning events (the disconnection
  notice itself is the notification service's ``arrears_notice``: SMS and a served letter);
- the periodic jobs: the dunning run daily at 07:00, the supply-order check every 5 minutes.
"""

import hashlib
import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db import migrations

SHANGHAI = ZoneInfo("Asia/Shanghai")
VALID_FROM = datetime(2024, 1, 1, tzinfo=SHANGHAI)
BOTH = ["residential", "non_residential"]

DEFAULT_PLAN = {
    "steps": [
        {"code": "reminder_day_3", "day": 3, "action": "reminder", "channels": ["sms", "wechat"], "customer_classes": BOTH},
        {"code": "reminder_day_15", "day": 15, "action": "reminder", "channels": ["sms", "wechat"], "customer_classes": BOTH},
        {"code": "formal_notice", "day": 25, "action": "formal_notice", "channels": ["sms", "wechat"], "customer_classes": BOTH},
        {"code": "disconnection_notice", "day": 26, "action": "disconnection_notice", "channels": ["letter", "sms"], "customer_classes": BOTH},
        {"code": "reminder_before_cut_non_residential", "day": 30, "action": "pre_disconnection_reminder", "channels": ["sms", "wechat"], "customer_classes": ["non_residential"]},
        {"code": "disconnection_non_residential", "day": 31, "action": "disconnection", "channels": [], "customer_classes": ["non_residential"]},
        {"code": "reminder_before_cut_residential", "day": 33, "action": "pre_disconnection_reminder", "channels": ["sms", "wechat"], "customer_classes": ["residential"]},
        {"code": "disconnection_residential", "day": 34, "action": "disconnection", "channels": [], "customer_classes": ["residential"]},
    ]
}

POLICIES = [
    ("arrears_reminder", [{"channels": ["wechat", "sms", "email"], "fallback_after_minutes": None}], False, False),
    ("arrears_formal_notice", [{"channels": ["wechat", "sms", "email", "letter"], "fallback_after_minutes": None}], False, False),
    ("disconnection_reminder", [{"channels": ["wechat", "sms", "email"], "fallback_after_minutes": None}], False, True),
    ("reconnection_breach", [{"channels": ["sms", "email"], "fallback_after_minutes": None}], True, False),
]

REMINDER_ZH = "{{ customer_name }}您好：您的户号{{ account_no }}电费{{ amount }}元已逾期{{ days_overdue }}天（应于{{ due_date }}前缴纳），请尽快缴纳。"
REMINDER_EN = "Dear {{ customer_name }}, {{ amount }} yuan on account {{ account_no }} is {{ days_overdue }} days overdue (due {{ due_date }}); please pay soon."
FORMAL_ZH = (
    "{{ customer_name }}：您的户号{{ account_no }}欠电费{{ amount }}元，已逾期{{ days_overdue }}天（应于{{ due_date }}前缴纳）。"
    "请立即缴清；逾期超过30日仍未缴纳的，将依法中止供电。"
)
FORMAL_EN = (
    "{{ customer_name }}: account {{ account_no }} owes {{ amount }} yuan, {{ days_overdue }} days overdue (due {{ due_date }}). "
    "Please pay now: supply may be stopped as the law allows when arrears are more than 30 days overdue."
)
CUT_ZH = "{{ customer_name }}：您的户号{{ account_no }}欠电费{{ amount }}元（应于{{ due_date }}前缴纳），如仍未缴清，将于{{ disconnect_date }}起中止供电。"
CUT_EN = "{{ customer_name }}: unless the {{ amount }} yuan owed on account {{ account_no }} (due {{ due_date }}) is paid, supply stops from {{ disconnect_date }}."
BREACH_ZH = "复电工单{{ order_no }}（户号{{ account_no }}）已超过复电时限{{ due_at }}仍未完成，请立即处理。"
BREACH_EN = "Reconnection order {{ order_no }} (account {{ account_no }}) passed its limit {{ due_at }} unfinished; act now."

TEMPLATES = [
    *[("arrears_reminder", channel, "zh-hans", "", REMINDER_ZH) for channel in ("sms", "wechat")],
    *[("arrears_reminder", channel, "en", "", REMINDER_EN) for channel in ("sms", "wechat")],
    ("arrears_reminder", "email", "zh-hans", "电费逾期提醒（户号{{ account_no }}）", REMINDER_ZH),
    ("arrears_reminder", "email", "en", "Overdue electricity bill (account {{ account_no }})", REMINDER_EN),
    *[("arrears_formal_notice", channel, "zh-hans", "", FORMAL_ZH) for channel in ("sms", "wechat")],
    *[("arrears_formal_notice", channel, "en", "", FORMAL_EN) for channel in ("sms", "wechat")],
    ("arrears_formal_notice", "email", "zh-hans", "催费通知书（户号{{ account_no }}）", FORMAL_ZH),
    ("arrears_formal_notice", "email", "en", "Formal arrears notice (account {{ account_no }})", FORMAL_EN),
    ("arrears_formal_notice", "letter", "zh-hans", "催费通知书", FORMAL_ZH),
    ("arrears_formal_notice", "letter", "en", "Formal arrears notice", FORMAL_EN),
    *[("disconnection_reminder", channel, "zh-hans", "", CUT_ZH) for channel in ("sms", "wechat")],
    *[("disconnection_reminder", channel, "en", "", CUT_EN) for channel in ("sms", "wechat")],
    ("disconnection_reminder", "email", "zh-hans", "停电前提醒（户号{{ account_no }}）", CUT_ZH),
    ("disconnection_reminder", "email", "en", "Reminder before disconnection (account {{ account_no }})", CUT_EN),
    ("reconnection_breach", "sms", "zh-hans", "", BREACH_ZH),
    ("reconnection_breach", "sms", "en", "", BREACH_EN),
    ("reconnection_breach", "email", "zh-hans", "复电超时告警 {{ order_no }}", BREACH_ZH),
    ("reconnection_breach", "email", "en", "Reconnection limit breached: {{ order_no }}", BREACH_EN),
]

PERIODIC_JOBS = [
    {"name": "dunning-run", "task_path": "gridcare.payments.dunning_tasks.run_dunning_task", "interval_seconds": None, "daily_at": time(7, 0)},
    {"name": "supply-order-check", "task_path": "gridcare.payments.dunning_tasks.check_supply_orders", "interval_seconds": 300, "daily_at": None},
]


def _sha256(document):
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def seed(apps, schema_editor):
    apps.get_model("payments", "DunningPlanVersion").objects.get_or_create(
        version=1,
        defaults={
            "valid_from": date(2024, 1, 1),
            "document": DEFAULT_PLAN,
            "document_sha256": _sha256(DEFAULT_PLAN),
            "source": "GridCare default plan (docs/dunning.md)",
            "created_at": VALID_FROM,
        },
    )
    template_model = apps.get_model("notifications", "NotificationTemplate")
    for event, channel, language, subject, body in TEMPLATES:
        template_model.objects.get_or_create(
            event=event,
            channel=channel,
            language=language,
            version=1,
            defaults={"valid_from": VALID_FROM, "subject": subject, "body": body, "created_at": VALID_FROM},
        )
    policy_model = apps.get_model("notifications", "DeliveryPolicy")
    for event, steps, urgent, legally_required in POLICIES:
        policy_model.objects.get_or_create(
            event=event,
            version=1,
            defaults={
                "valid_from": VALID_FROM,
                "steps": steps,
                "urgent": urgent,
                "legally_required": legally_required,
                "created_at": VALID_FROM,
            },
        )
    periodic_job = apps.get_model("jobs", "PeriodicJob")
    for job in PERIODIC_JOBS:
        periodic_job.objects.get_or_create(name=job["name"], defaults={**job, "kwargs": {}})


def unseed(apps, schema_editor):
    apps.get_model("jobs", "PeriodicJob").objects.filter(name__in=[job["name"] for job in PERIODIC_JOBS]).delete()
    events = {event for event, *_rest in POLICIES}
    apps.get_model("notifications", "DeliveryPolicy").objects.filter(event__in=events, version=1).delete()
    apps.get_model("notifications", "NotificationTemplate").objects.filter(event__in=events, version=1).delete()
    apps.get_model("payments", "DunningPlanVersion").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0007_dunning"),
        ("notifications", "0007_callback_nonces"),
        ("jobs", "0003_jobs_seed_purge"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
