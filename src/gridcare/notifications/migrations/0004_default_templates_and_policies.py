"""The templates and delivery policies GridCare ships (version 1 of each; later versions are
made in the back office or admin, never by editing these).

Default paths: bill reminders by SMS and e-mail both; arrears and disconnection notices by SMS
and a served letter, sent despite opt-outs (legally required); outage notices by MMS, falling
back to SMS when the MMS fails or has no receipt within 30 minutes; service-order progress by
SMS. One-time codes are composed by identity and need no template.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import migrations

VALID_FROM = datetime(2024, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))

POLICIES = [
    ("bill_reminder", [{"channels": ["sms", "email"], "fallback_after_minutes": None}], False, False),
    ("arrears_notice", [{"channels": ["sms", "letter"], "fallback_after_minutes": None}], False, True),
    (
        "outage_notice",
        [{"channels": ["mms"], "fallback_after_minutes": 30}, {"channels": ["sms"], "fallback_after_minutes": None}],
        True,
        False,
    ),
    ("service_order_progress", [{"channels": ["sms"], "fallback_after_minutes": None}], False, False),
]

BILL_ZH = "{{ customer_name }}您好：您的户号{{ account_no }}本期电费{{ amount }}元，请于{{ due_date }}前缴纳。【国网示范供电公司】"
BILL_EN = "Dear {{ customer_name }}, account {{ account_no }} owes {{ amount }} yuan for this period; please pay by {{ due_date }}."
ARREARS_ZH = (
    "{{ customer_name }}：您的户号{{ account_no }}已欠电费{{ amount }}元（应于{{ due_date }}前缴纳）。"
    "请尽快缴清，否则将依法于{{ disconnect_date }}起中止供电。"
)
ARREARS_EN = (
    "{{ customer_name }}: account {{ account_no }} owes {{ amount }} yuan, due on {{ due_date }}. "
    "Unless it is paid, supply will be disconnected from {{ disconnect_date }} as the law allows."
)
OUTAGE_ZH = "{{ area }}因{{ reason }}，将于{{ starts_at }}至{{ ends_at }}停电，请提前做好准备。"
OUTAGE_EN = "Power will be off in {{ area }} from {{ starts_at }} to {{ ends_at }} for {{ reason }}."
ORDER_ZH = "{{ customer_name }}您好：您的业务（编号{{ order_no }}）已进入“{{ stage }}”环节，下一步：{{ next_step }}。"
ORDER_EN = "Dear {{ customer_name }}, your request {{ order_no }} has reached '{{ stage }}'; next: {{ next_step }}."
UNSUBSCRIBE_ZH = "\n\n如不希望再收到电子邮件通知，请访问：{{ unsubscribe_url }}"
UNSUBSCRIBE_EN = "\n\nTo stop these e-mails, visit {{ unsubscribe_url }}"

# (event, channel, language, subject, body)
TEMPLATES = [
    ("bill_reminder", "sms", "zh-hans", "", BILL_ZH),
    ("bill_reminder", "sms", "en", "", BILL_EN),
    ("bill_reminder", "email", "zh-hans", "电费缴纳提醒（户号{{ account_no }}）", BILL_ZH + UNSUBSCRIBE_ZH),
    ("bill_reminder", "email", "en", "Electricity bill reminder (account {{ account_no }})", BILL_EN + UNSUBSCRIBE_EN),
    ("arrears_notice", "sms", "zh-hans", "", ARREARS_ZH),
    ("arrears_notice", "sms", "en", "", ARREARS_EN),
    ("arrears_notice", "letter", "zh-hans", "欠费停电通知书", ARREARS_ZH),
    ("arrears_notice", "letter", "en", "Notice of disconnection for arrears", ARREARS_EN),
    ("outage_notice", "mms", "zh-hans", "停电通知", OUTAGE_ZH),
    ("outage_notice", "mms", "en", "Outage notice", OUTAGE_EN),
    ("outage_notice", "sms", "zh-hans", "", OUTAGE_ZH),
    ("outage_notice", "sms", "en", "", OUTAGE_EN),
    ("service_order_progress", "sms", "zh-hans", "", ORDER_ZH),
    ("service_order_progress", "sms", "en", "", ORDER_EN),
]


def seed(apps, schema_editor):
    template_model = apps.get_model("notifications", "NotificationTemplate")
    policy_model = apps.get_model("notifications", "DeliveryPolicy")
    for event, channel, language, subject, body in TEMPLATES:
        template_model.objects.get_or_create(
            event=event,
            channel=channel,
            language=language,
            version=1,
            defaults={"valid_from": VALID_FROM, "subject": subject, "body": body, "created_at": VALID_FROM},
        )
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


def unseed(apps, schema_editor):
    apps.get_model("notifications", "NotificationTemplate").objects.filter(version=1, valid_from=VALID_FROM).delete()
    apps.get_model("notifications", "DeliveryPolicy").objects.filter(version=1, valid_from=VALID_FROM).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_dispatch_periodic_job")]
    operations = [migrations.RunPython(seed, unseed)]
