"""One-time codes through the outbox: urgent, outside opt-outs and quiet hours, expiring with
the code, sent through identity's issue_one_time_code (the default sender)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gridcare.identity.models import OneTimeCodePurpose
from gridcare.identity.otp import issue_one_time_code
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.models import OutboxMessage
from gridcare.notifications.operations import opt_out
from gridcare.notifications.otp import NotificationOtpSender

pytestmark = pytest.mark.django_db


def test_the_code_is_queued_as_one_urgent_sms_despite_opt_out_and_quiet_hours(now: datetime) -> None:
    night = now.replace(hour=23)
    opt_out(recipient_key="", address="13800000001", channel=ChannelKind.SMS, source="sms_reply", now=night)

    NotificationOtpSender().send(mobile="13800000001", message="验证码 123456，5分钟内有效。", now=night)

    message = OutboxMessage.objects.get()
    assert (message.event, message.channel, message.address, message.body) == (
        "one_time_code",
        "sms",
        "13800000001",
        "验证码 123456，5分钟内有效。",
    )
    assert (message.state, message.send_after, message.expires_at) == (
        "queued",
        night,
        night + timedelta(minutes=5),
    )
    assert message.policy is None
    assert message.template is None


def test_issue_one_time_code_writes_to_the_outbox_by_default(now: datetime) -> None:
    issue_one_time_code(
        purpose=OneTimeCodePurpose.PORTAL_LOGIN,
        mobile="13800000002",
        user=None,
        compose=lambda code: f"您的登录验证码：{code}",
        delivery="code",
        now=now,
    )

    message = OutboxMessage.objects.get()
    assert message.address == "13800000002"
    assert message.body.startswith("您的登录验证码：")
    assert len(message.body) == len("您的登录验证码：") + 6
