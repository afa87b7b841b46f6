"""Templates: checked at save (unknown variables refused in both languages), versioned,
rendered in Jinja2's sandbox."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta

import pytest
from django.apps import apps as django_apps

from gridcare.audit.models import AuditEvent
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.errors import TemplateSyntaxInvalid, TemplateUsesUnknownVariable, UnknownEvent
from gridcare.notifications.models import DeliveryPolicy, NotificationTemplate
from gridcare.notifications.operations import create_notification_template, current_template
from gridcare.notifications.rendering import check_template, render_html, render_text

pytestmark = pytest.mark.django_db


def _create(
    *, body: str, now: datetime, event: str = "bill_reminder", subject: str = ""
) -> NotificationTemplate:
    return create_notification_template(
        actor=None,
        event=event,
        channel=ChannelKind.SMS,
        language="zh-hans",
        subject=subject,
        body=body,
        valid_from=now,
        now=now,
    )


def test_a_template_naming_an_unknown_variable_is_refused_at_save(now: datetime) -> None:
    with pytest.raises(TemplateUsesUnknownVariable) as refusal:
        _create(body="{{ customer_name }}您好，余额{{ balance }}元，积分{{ points }}。", now=now)

    assert refusal.value.message("zh-hans") == (
        "模板使用了事件“bill_reminder”不提供的变量：balance, points。"
        "可用变量：account_no, amount, customer_name, due_date, unsubscribe_url。"
    )
    assert refusal.value.message("en") == (
        'The template uses variables the event "bill_reminder" does not provide: balance, points. '
        "Available: account_no, amount, customer_name, due_date, unsubscribe_url."
    )
    assert NotificationTemplate.objects.count() == 0
    assert not AuditEvent.objects.filter(action="create_notification_template").exists()


def test_the_subject_is_checked_too_and_a_direct_model_save_is_refused(now: datetime) -> None:
    with pytest.raises(TemplateUsesUnknownVariable):
        _create(body="{{ amount }}", subject="{{ meter_no }}", now=now)
    with pytest.raises(TemplateUsesUnknownVariable):
        NotificationTemplate(
            event="one_time_code",
            channel="sms",
            language="zh-hans",
            version=1,
            valid_from=now,
            body="验证码{{ code }}，{{ account_no }}",
            created_at=now,
        ).save()
    assert NotificationTemplate.objects.count() == 0


def test_syntax_errors_and_unknown_events_are_refused(now: datetime) -> None:
    with pytest.raises(TemplateSyntaxInvalid) as refusal:
        _create(body="{{ amount ", now=now)
    assert refusal.value.message("en").startswith("The template has a syntax error (line 1): ")
    with pytest.raises(UnknownEvent):
        _create(body="hello", event="birthday_greeting", now=now)
    assert NotificationTemplate.objects.count() == 0


def test_a_new_version_ends_the_previous_and_is_chosen_from_its_start(now: datetime) -> None:
    first = _create(body="v1 {{ amount }}", now=now)
    second = create_notification_template(
        actor=None,
        event="bill_reminder",
        channel=ChannelKind.SMS,
        language="zh-hans",
        subject="",
        body="v2 {{ amount }}",
        valid_from=now + timedelta(days=1),
        now=now,
    )
    first.refresh_from_db()

    assert (first.version, first.valid_to, second.version, second.valid_to) == (
        1,
        now + timedelta(days=1),
        2,
        None,
    )
    assert current_template(event="bill_reminder", channel="sms", language="zh-hans", now=now) == first
    later = now + timedelta(days=1)
    assert current_template(event="bill_reminder", channel="sms", language="en", now=later) == second


def test_rendering_is_sandboxed_and_html_is_escaped() -> None:
    assert render_text(source="{{ name }}：{{ amount }}元", context={"name": "张三", "amount": "12.30"}) == (
        "张三：12.30元"
    )
    assert (
        render_html(source="<p>{{ name }}</p>", context={"name": "<b>x</b>"}) == "<p>&lt;b&gt;x&lt;/b&gt;</p>"
    )
    from jinja2.exceptions import SecurityError, UndefinedError

    with pytest.raises(SecurityError):
        render_text(source="{{ name.__class__.__mro__ }}", context={"name": "x"})
    with pytest.raises(UndefinedError):
        render_text(source="{{ missing }}", context={})


def test_the_shipped_templates_and_policies_are_valid_and_cover_each_policy_channel() -> None:
    # The autouse fixture removed what the migration wrote: write it again with its own function.
    shipped = importlib.import_module("gridcare.notifications.migrations.0004_default_templates_and_policies")
    shipped.seed(django_apps, None)
    templates = list(NotificationTemplate.objects.all())
    policies = {policy.event: policy for policy in DeliveryPolicy.objects.all()}
    assert len(templates) == 14
    for template in templates:
        check_template(event=template.event, texts=(template.subject, template.body, template.html_body))
    assert {event: (p.urgent, p.legally_required) for event, p in policies.items()} == {
        "bill_reminder": (False, False),
        "arrears_notice": (False, True),
        "outage_notice": (True, False),
        "service_order_progress": (False, False),
    }
    for event, policy in policies.items():
        for step in policy.steps:
            for channel in step["channels"]:
                languages = {t.language for t in templates if (t.event, t.channel) == (event, channel)}
                assert languages == {"zh-hans", "en"}, (event, channel)
