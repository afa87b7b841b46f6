"""The notification pages over HTTP: who may see them, the path of a message with fallback,
masking, filters, daily counts, template preview, unsubscribe and the admin's refusal of an
unknown variable."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from web_world import make_staff_user

from gridcare.audit.models import AuditEvent
from gridcare.notifications import queries
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.models import NotificationTemplate, RecipientOptOut
from gridcare.notifications.operations import unsubscribe_token

from .conftest import SENT_AT, Scene

pytestmark = pytest.mark.django_db


def _client(log_in: Any, user: Any) -> Client:
    return log_in(Client(), user)


def test_the_path_page_shows_both_steps_their_history_and_unmasked_contact_to_pii_holders(
    scene: Scene, log_in: Any
) -> None:
    response = _client(log_in, scene.agent).get(reverse("web:notification_detail", args=[scene.sms.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert f'data-message="{scene.mms.pk}"' in body
    assert f'data-message="{scene.sms.pk}"' in body
    assert body.count("13812345678") == 2
    assert "MMS not supported by handset" in body
    assert f"smsc-{scene.sms.pk}" in body
    assert "张三：解放路一带于2025-03-12 08:00至2025-03-12 17:00停电（线路检修）。" in body
    assert body.index(f'data-message="{scene.mms.pk}"') < body.index(f'data-message="{scene.sms.pk}"')
    for state in ("queued", "sending", "sent", "delivered", "failed"):
        assert f"<td>{state}</td>" in body


def test_viewers_without_pii_unmask_see_the_contact_masked(scene: Scene, log_in: Any) -> None:
    client = _client(log_in, scene.auditor)

    detail = client.get(reverse("web:notification_detail", args=[scene.sms.pk])).content.decode()
    listing = client.get(reverse("web:notification_list")).content.decode()

    for body in (detail, listing):
        assert "13812345678" not in body
        assert "138****5678" in body


def test_a_message_of_another_station_is_not_found_and_not_listed(scene: Scene, log_in: Any) -> None:
    client = _client(log_in, scene.agent)

    assert client.get(reverse("web:notification_detail", args=[scene.other.pk])).status_code == 404
    listing = client.get(reverse("web:notification_list")).content.decode()
    assert f'data-message="{scene.other.pk}"' not in listing
    assert listing.count("data-message=") == 2


def test_staff_without_the_permission_are_refused_and_the_refusal_is_audited(
    scene: Scene, log_in: Any
) -> None:
    client = _client(log_in, scene.reader)

    for url in (
        reverse("web:notification_list"),
        reverse("web:notification_detail", args=[scene.sms.pk]),
        reverse("web:notification_counts"),
        reverse("web:notification_template_preview", args=[scene.template.pk]),
    ):
        assert client.get(url).status_code == 403
    assert AuditEvent.objects.filter(action="deny_permission", actor=scene.reader).count() == 4


def test_the_list_filters_by_channel_state_and_date(scene: Scene, log_in: Any) -> None:
    client = _client(log_in, scene.agent)

    sms_only = client.get(reverse("web:notification_list"), {"channel": "sms"}).content.decode()
    failed = client.get(reverse("web:notification_list"), {"state": "failed"}).content.decode()
    other_day = client.get(reverse("web:notification_list"), {"date_from": "2025-03-11"}).content.decode()

    assert (sms_only.count("data-message="), f'data-message="{scene.sms.pk}"' in sms_only) == (1, True)
    assert (failed.count("data-message="), f'data-message="{scene.mms.pk}"' in failed) == (1, True)
    assert other_day.count("data-message=") == 0


def test_daily_counts_count_per_day_channel_event_and_state(scene: Scene, log_in: Any, settings: Any) -> None:

    counts = queries.daily_counts(
        user=scene.agent,
        created_from=SENT_AT.replace(hour=0, minute=0),
        created_before=SENT_AT.replace(hour=23),
    )
    assert [(c.day.isoformat(), c.channel, c.event, c.state, c.count) for c in counts] == [
        ("2025-03-10", "mms", "outage_notice", "failed", 1),
        ("2025-03-10", "sms", "outage_notice", "delivered", 1),
    ]
    page = _client(log_in, scene.agent).get(reverse("web:notification_counts"))
    assert page.status_code == 200


def test_the_preview_renders_the_template_with_sample_data(scene: Scene, log_in: Any) -> None:
    response = _client(log_in, scene.auditor).get(
        reverse("web:notification_template_preview", args=[scene.template.pk])
    )
    assert (
        '<dd data-preview="body">张三：城东供电所 解放路一带于2026-12-03 08:00至2026-12-03 17:00'
        "停电（线路检修）。</dd>" in (response.content.decode())
    )


def test_the_unsubscribe_link_opts_out_of_email_and_a_forged_one_is_refused() -> None:
    token = unsubscribe_token(recipient_key="customer:7", channel=ChannelKind.EMAIL)
    client = Client()

    assert client.get(reverse("web:notification_unsubscribe", args=[token])).status_code == 200
    assert RecipientOptOut.objects.count() == 0
    done = client.post(reverse("web:notification_unsubscribe", args=[token]))
    forged = client.post(reverse("web:notification_unsubscribe", args=[token[:-3] + "abc"]))

    assert done.status_code == 200
    assert forged.status_code == 400
    assert list(RecipientOptOut.objects.values_list("recipient_key", "channel", "source")) == [
        ("customer:7", "email", "unsubscribe_link")
    ]


def test_the_admin_refuses_a_template_with_an_unknown_variable_in_both_languages(
    scene: Scene, log_in: Any
) -> None:
    administrator = make_staff_user(username="root", org_unit=scene.station, is_superuser=True)
    client = _client(log_in, administrator)
    form = {
        "event": "one_time_code",
        "channel": "sms",
        "language": "zh-hans",
        "valid_from_0": "2025-03-10",
        "valid_from_1": "10:00:00",
        "subject": "",
        "body": "验证码{{ code }}，户号{{ account_no }}",
        "html_body": "",
    }

    refused = client.post(reverse("admin:notifications_notificationtemplate_add"), form)
    form["body"] = "验证码{{ code }}，{{ minutes }}分钟内有效"
    accepted = client.post(reverse("admin:notifications_notificationtemplate_add"), form)

    body = refused.content.decode()
    assert refused.status_code == 200
    assert "模板使用了事件“one_time_code”不提供的变量：account_no。" in body
    assert (
        "The template uses variables the event &quot;one_time_code&quot; does not provide: account_no."
        in body
    )
    assert accepted.status_code == 302
    created = NotificationTemplate.objects.get(event="one_time_code")
    assert (created.version, created.body, created.created_by) == (
        1,
        "验证码{{ code }}，{{ minutes }}分钟内有效",
        administrator,
    )
    assert AuditEvent.objects.filter(action="create_notification_template", actor=administrator).count() == 1
