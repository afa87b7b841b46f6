"""What prepaid ships as data: the template and delivery policy of the low-balance alert
(WeChat and SMS at once) and the daily estimate job at 07:30 (after the night's frozen AMI reads and
outside the quiet hours; docs/prepaid.md)."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.db import migrations

VALID_FROM = datetime(2024, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
EVENT = "prepaid_low_balance"
LOW_ZH = (
    "{{ customer_name }}您好：您的户号{{ account_no }}预付电费可用余额为{{ available_balance }}元"
    "（已扣除截至{{ through }}的估算电费），已低于{{ threshold }}元，请及时充值，以免停电。"
)
LOW_EN = (
    "Dear {{ customer_name }}, the available prepaid balance of account {{ account_no }} is "
    "{{ available_balance }} yuan (after estimated charges through {{ through }}), below {{ threshold }} yuan: "
    "please top up to avoid a cut-off."
)
TEMPLATES = [
    *[(EVENT, channel, "zh-hans", LOW_ZH) for channel in ("sms", "wechat")],
    *[(EVENT, channel, "en", LOW_EN) for channel in ("sms", "wechat")],
]
JOB = {
    "name": "prepaid-estimate",
    "task_path": "gridcare.billing.prepaid_estimates.estimate_prepaid_task",
    "interval_seconds": None,
    "daily_at": time(7, 30),
}


def seed(apps, schema_editor):
    template_model = apps.get_model("notifications", "NotificationTemplate")
    for event, channel, language, body in TEMPLATES:
        template_model.objects.get_or_create(
            event=event,
            channel=channel,
            language=language,
            version=1,
            defaults={"valid_from": VALID_FROM, "subject": "", "body": body, "created_at": VALID_FROM},
        )
    apps.get_model("notifications", "DeliveryPolicy").objects.get_or_create(
        event=EVENT,
        version=1,
        defaults={
            "valid_from": VALID_FROM,
            "steps": [{"channels": ["wechat", "sms"], "fallback_after_minutes": None}],
            "urgent": False,
            "legally_required": False,
            "created_at": VALID_FROM,
        },
    )
    apps.get_model("jobs", "PeriodicJob").objects.get_or_create(
        name=JOB["name"], defaults={**JOB, "kwargs": {}}
    )


def unseed(apps, schema_editor):
    apps.get_model("jobs", "PeriodicJob").objects.filter(name=JOB["name"]).delete()
    apps.get_model("notifications", "DeliveryPolicy").objects.filter(event=EVENT, version=1).delete()
    apps.get_model("notifications", "NotificationTemplate").objects.filter(event=EVENT, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0010_prepaid"),
        ("notifications", "0007_callback_nonces"),
        ("jobs", "0003_jobs_seed_purge"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
