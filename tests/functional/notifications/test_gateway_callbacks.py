"""The gateway callbacks: an HTTP SMS gateway's signed receipt and WeChat's signed event push
mark the message delivered or failed; a wrong signature is refused and changes nothing."""

from __future__ import annotations

import copy
import json
import secrets
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from gridcare.notifications.channels.http_sms import sign
from gridcare.notifications.channels.wechat import callback_signature
from gridcare.notifications.models import MessageState, OutboxMessage

pytestmark = pytest.mark.django_db

SMS_URL = "/notifications/callbacks/sms/"
WECHAT_URL = "/notifications/callbacks/wechat/"
SECRET = "sms-gateway-shared-secret"
TOKEN = "wechat-callback-token"


@pytest.fixture
def gateways_configured(settings: Settings) -> None:
    channels = copy.deepcopy(settings.NOTIFICATION_CHANNELS)
    channels["sms"]["HTTP_SECRET"] = SECRET
    channels["wechat"]["CALLBACK_TOKEN"] = TOKEN
    settings.NOTIFICATION_CHANNELS = channels


def sent_message(*, channel: str, provider_message_id: str) -> OutboxMessage:
    now = timezone.now()
    return OutboxMessage.objects.create(
        event="bill_reminder",
        recipient_key="customer:1",
        dedupe_key="2026-11",
        step_index=0,
        channel=channel,
        address="13800000001" if channel == "sms" else "o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
        language="zh-hans",
        body="电费提醒",
        created_at=now - timedelta(minutes=1),
        send_after=now - timedelta(minutes=1),
        state=MessageState.SENT,
        provider_message_id=provider_message_id,
        sent_at=now - timedelta(seconds=30),
    )


def post_sms_receipt(client: Client, payload: dict[str, str], *, secret: str = SECRET) -> int:
    body = json.dumps(payload).encode()
    timestamp = str(int(time.time()))
    response = client.post(
        SMS_URL,
        data=body,
        content_type="application/json",
        headers={
            "X-GridCare-Timestamp": timestamp,
            "X-GridCare-Signature": sign(secret=secret, timestamp=timestamp, body=body),
        },
    )
    return response.status_code


def test_a_signed_sms_gateway_receipt_marks_the_message_delivered(
    client: Client, gateways_configured: None
) -> None:
    message = sent_message(channel="sms", provider_message_id="gw-42")
    assert post_sms_receipt(client, {"id": "gw-42", "status": "delivered"}) == 200
    message.refresh_from_db()
    assert message.state == MessageState.DELIVERED
    assert list(message.history.values_list("from_state", "to_state", "detail")) == [
        ("sent", "delivered", "delivery receipt")
    ]


def test_a_failure_receipt_fails_the_message_with_the_gateway_reason(
    client: Client, gateways_configured: None
) -> None:
    message = sent_message(channel="sms", provider_message_id="gw-43")
    assert post_sms_receipt(client, {"id": "gw-43", "status": "failed", "error": "MK:0001"}) == 200
    message.refresh_from_db()
    assert (message.state, message.last_error) == (MessageState.FAILED, "MK:0001")


def test_a_receipt_with_a_wrong_signature_is_refused_and_changes_nothing(
    client: Client, gateways_configured: None
) -> None:
    message = sent_message(channel="sms", provider_message_id="gw-44")
    assert post_sms_receipt(client, {"id": "gw-44", "status": "delivered"}, secret="guessed") == 403
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert not message.history.exists()


def test_without_a_configured_gateway_the_callbacks_do_not_exist(client: Client) -> None:
    assert settings.NOTIFICATION_CHANNELS["sms"]["HTTP_SECRET"] == ""
    assert client.post(SMS_URL, data=b"{}", content_type="application/json").status_code == 404
    assert client.get(WECHAT_URL).status_code == 404


def wechat_query(*, echostr: str = "", nonce: str = "", timestamp: int | None = None) -> str:
    timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(8)
    signature = callback_signature(token=TOKEN, timestamp=timestamp_text, nonce=nonce)
    return f"?timestamp={timestamp_text}&nonce={nonce}&signature={signature}&echostr={echostr}"


def test_wechat_server_verification_echoes_only_when_signed(
    client: Client, gateways_configured: None
) -> None:
    answered = client.get(WECHAT_URL + wechat_query(echostr="4893275"))
    assert (answered.status_code, answered.content) == (200, b"4893275")
    forged = client.get(WECHAT_URL + "?timestamp=1&nonce=2&signature=abc&echostr=4893275")
    assert forged.status_code == 403


def test_a_wechat_template_send_event_records_the_receipt(client: Client, gateways_configured: None) -> None:
    delivered = sent_message(channel="wechat", provider_message_id="200163836")
    event = (
        "<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>"
        "<FromUserName><![CDATA[o6_bmjrPTlm6_2sgVt7hMZOPfL2M]]></FromUserName>"
        "<CreateTime>1395658920</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>200163836</MsgID>"
        "<Status><![CDATA[success]]></Status></xml>"
    )
    response = client.post(WECHAT_URL + wechat_query(), data=event.encode(), content_type="text/xml")
    assert (response.status_code, response.content) == (200, b"success")
    delivered.refresh_from_db()
    assert delivered.state == MessageState.DELIVERED
    malformed = client.post(WECHAT_URL + wechat_query(), data=b"<xml><unclosed>", content_type="text/xml")
    assert malformed.status_code == 400


def test_a_stale_or_repeated_wechat_callback_is_refused(client: Client, gateways_configured: None) -> None:
    message = sent_message(channel="wechat", provider_message_id="200163837")
    event = (
        b"<xml><Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>200163837</MsgID>"
        b"<Status><![CDATA[failed:user block]]></Status></xml>"
    )
    stale = wechat_query(timestamp=int(time.time()) - 301)
    assert client.post(WECHAT_URL + stale, data=event, content_type="text/xml").status_code == 403
    query = wechat_query(nonce="replayed-nonce")
    assert (
        client.post(
            WECHAT_URL + query, data=b"<xml><Event>VIEW</Event></xml>", content_type="text/xml"
        ).status_code
        == 200
    )
    replayed = client.post(WECHAT_URL + query, data=event, content_type="text/xml")
    assert replayed.status_code == 403
    message.refresh_from_db()
    assert message.state == MessageState.SENT


def test_a_wechat_event_without_a_message_id_changes_nothing(
    client: Client, gateways_configured: None
) -> None:
    expired = sent_message(channel="wechat", provider_message_id="")
    OutboxMessage.objects.filter(pk=expired.pk).update(state=MessageState.EXPIRED)
    event = (
        b"<xml><Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><Status>failed:system failed</Status></xml>"
    )
    assert client.post(WECHAT_URL + wechat_query(), data=event, content_type="text/xml").status_code == 200
    expired.refresh_from_db()
    assert (expired.state, expired.history.count()) == (MessageState.EXPIRED, 0)
